"""Every register row of a book and its month-by-month amounts, with the highest-single-benefit
rule (domain.md R11) applied per month — what summaries, exports and the city consolidation read.

`book_schedule` is `compute.compute_book` over a range of months without the basis texts: the
same engine calls (`people_arrays`, `eligibility` once, `month_results` for the months) and the same R11
decision (`dedupe.kept_rows` over all registers, per month).
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import pandas as pd

from .book import Book
from .dedupe import suppressed_by_month
from .parameters import Parameters
from .rules import eligibility, month_results, months_between, people_arrays

AREA_NAMES = {1: "urban", 0: "rural", -1: None}


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


def _text(value) -> str:
    """A text cell value as clean text ('' for empty / NaN)."""
    if value is None or (isinstance(value, float) and value != value):
        return ""
    return str(value).strip()


def _date(value) -> dt.date | None:
    if value is None or value is pd.NaT or (isinstance(value, float) and value != value):
        return None
    if isinstance(value, pd.Timestamp):
        return value.date()
    if isinstance(value, dt.datetime):
        return value.date()
    return value if isinstance(value, dt.date) else None


@dataclass
class BookSchedule:
    """People of every register (one row each) and their amounts per month, R11 applied."""
    months: list[dt.date]
    people: pd.DataFrame        # see `people_table`
    benefit: np.ndarray         # (months, people) int64, after R11
    insurance: np.ndarray       # (months, people) bool, after R11
    suppressed: np.ndarray      # (months, people) bool: R11 paid another row instead
    params: Parameters

    def at(self, month: dt.date) -> int:
        """Index of `month` in `months`."""
        return self.months.index(month.replace(day=1))

    def insurance_costs(self) -> np.ndarray:
        """(months, people) int64: the month's contribution for every card supported."""
        per_month = np.array([insurance_cost(self.params, m) for m in self.months], dtype=np.int64)
        return self.insurance.astype(np.int64) * per_month[:, None]


def people_table(book: Book) -> tuple[pd.DataFrame, list]:
    """All register rows as one frame (columns below) and the engine objects per register."""
    s = book.settings
    frames, engine = [], []
    for reg in book.registers:
        f = reg.frame
        people = people_arrays(f, s.groups, s.default_area)
        elig = eligibility(people, s.groups, s.params)
        engine.append((reg, people, elig))
        n = len(f)

        def col(name, conv=_text):
            return [conv(v) for v in f[name]] if name in f else [conv(None)] * n

        frames.append(pd.DataFrame({
            "sheet": [reg.sheet] * n, "row": f["row"].astype(int).tolist(), "register": [reg.kind] * n,
            "name": col("name"), "birth": col("birth", _date), "sex": col("sex"),
            "id_key": [k if isinstance(k, str) else None for k in (f["id_key"] if "id_key" in f else [None] * n)],
            "residential_group": col("residential_group"), "group": col("group"),
            "area": [AREA_NAMES[int(a)] for a in people.area], "school": col("school"),
            "decision": col("decision", _date), "stop": col("stop", _date),
            "status": elig.status.astype(int), "start": elig.start, "end": elig.end,
            "end_reason": elig.end_reason.astype(int),
        }))
    table = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(
        columns=["sheet", "row", "register", "name", "birth", "sex", "id_key", "residential_group", "group",
                 "area", "school", "decision", "stop", "status", "start", "end", "end_reason"])
    return table, engine


def book_schedule(book: Book, first: dt.date, last: dt.date) -> BookSchedule:
    """Amounts of every row for each month first..last, with R11 across rows and registers per
    month (the row kept per ID is the one with the highest benefit that month; the others get
    no benefit and no insurance — as `compute_book`)."""
    s = book.settings
    table, engine = people_table(book)
    months = months_between(first, last)
    n = len(table)
    benefit = np.zeros((len(months), n), dtype=np.int64)
    insurance = np.zeros((len(months), n), dtype=bool)
    suppressed = np.zeros((len(months), n), dtype=bool)
    start = 0
    for _, people, elig in engine:                 # all months of a register at once
        if months:
            res = month_results(people, elig, months, s.groups, s.params)
            benefit[:, start:start + len(people)] = res.benefit
            insurance[:, start:start + len(people)] = res.insurance
        start += len(people)
    apply_r11(table["id_key"].tolist(), benefit, insurance, suppressed)
    return BookSchedule(months=months, people=table, benefit=benefit, insurance=insurance,
                        suppressed=suppressed, params=s.params)


def apply_r11(keys: list, benefit: np.ndarray, insurance: np.ndarray, suppressed: np.ndarray) -> None:
    """R11 per month, in place: a row not kept gets no benefit and no insurance that month."""
    sup = suppressed_by_month(keys, benefit, insurance)
    benefit[sup] = 0
    insurance[sup] = False
    suppressed |= sup
