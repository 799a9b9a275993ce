"""Month arithmetic, the insurance cost of a month and the month-by-month amounts of many people
with the highest-single-benefit rule (domain.md R11) applied per month (`BookSchedule`).
`operations.schedule.book_schedule` fills one from a workbook."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, replace
from functools import lru_cache

import numpy as np

from xl_support.engine.dedupe import suppressed_by_month
from xl_support.engine.parameters import Parameters

def month_add(month: dt.date, n: int) -> dt.date:
    """First day of the month `n` months after `month`."""
    k = month.year * 12 + month.month - 1 + n
    return dt.date(k // 12, k % 12 + 1, 1)


def months_count(first: dt.date, last: dt.date) -> int:
    """Months from `first` to `last` inclusive (0 when last < first)."""
    return max(0, (last.year - first.year) * 12 + last.month - first.month + 1)


def insurance_cost(params: Parameters, month: dt.date) -> int:
    """Monthly health-insurance contribution per card: base salary × rate (‰) of the month,
    whole VND rounded half up (domain.md §1: 4.5 % of the base salary; NĐ 188/2025)."""
    base = params.value("base_salary", month)
    permille = params.value("hi_rate_permille", month)
    return (base * permille + 500) // 1000


@lru_cache(maxsize=16)
def insurance_costs(params: Parameters, months: tuple[dt.date, ...]) -> tuple[int, ...]:
    """`insurance_cost` of each month, kept per parameters (every book of a city run asks it)."""
    return tuple(insurance_cost(params, m) for m in months)


@dataclass
class BookSchedule:
    """People of every register (one row each) and their amounts per month, R11 applied."""
    months: list[dt.date]
    people: object              # book.register.Table of `operations.schedule.PEOPLE_TABLE_COLUMNS`
    benefit: np.ndarray         # (months, people) int64, after R11
    insurance: np.ndarray       # (months, people) bool, after R11
    suppressed: np.ndarray      # (months, people) bool: R11 paid another row instead
    params: Parameters
    unconfirmed: np.ndarray | None = None   # (months, people) bool: insurance `Chưa xác nhận` (§3), after R11

    def __post_init__(self):
        if self.unconfirmed is None:
            self.unconfirmed = np.zeros(self.insurance.shape, dtype=bool)

    def at(self, month: dt.date) -> int:
        """Index of `month` in `months`."""
        return self.months.index(month.replace(day=1))

    def between(self, first: dt.date, last: dt.date) -> "BookSchedule":
        """The months first..last (each month is computed on its own, R11 included: the part is
        the schedule of those months)."""
        i, j = self.at(first), self.at(last) + 1
        return replace(self, months=self.months[i:j], benefit=self.benefit[i:j], insurance=self.insurance[i:j],
                       suppressed=self.suppressed[i:j], unconfirmed=self.unconfirmed[i:j])

    def insurance_costs(self) -> np.ndarray:
        """(months, people) int64: the month's contribution for every card supported."""
        per_month = np.array([insurance_cost(self.params, m) for m in self.months], dtype=np.int64)
        return self.insurance.astype(np.int64) * per_month[:, None]


def apply_r11(keys: list, benefit: np.ndarray, insurance: np.ndarray, suppressed: np.ndarray,
              unconfirmed: np.ndarray | None = None) -> None:
    """R11 per month, in place: a row not kept gets no benefit and no insurance that month."""
    sup = suppressed_by_month(keys, benefit, insurance)
    benefit[sup] = 0
    insurance[sup] = False
    if unconfirmed is not None:
        unconfirmed[sup] = False
    suppressed |= sup
