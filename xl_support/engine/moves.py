"""domain.md R12 — a person found in two units (a change of residence): the months both units pay
and the months nobody pays between the two.

The old ward stops paying from a month M (`Thôi chi trả từ tháng`), the new ward pays from the
same month M (`Chi trả từ tháng`), so no month is paid twice and none is lost. When a ward
forgets its column, the city sees it here: months paid twice (the old ward did not stop, or the
new ward started too early) or a gap (the new ward's decision came late and named no month).
Pure month arithmetic over (months × rows) arrays; the city consolidation names the units.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class UnitSpan:
    """One unit's payments to the person: the unit (caller's index) and the months it pays."""
    unit: int
    months: tuple[dt.date, ...]

    @property
    def first(self) -> dt.date:
        return self.months[0]

    @property
    def last(self) -> dt.date:
        return self.months[-1]


@dataclass(frozen=True)
class Move:
    """A person paid by two or more units over the months looked at."""
    key: str
    spans: tuple[UnitSpan, ...]          # by first month paid
    twice: tuple[dt.date, ...]           # months paid by two units or more
    gap: tuple[dt.date, ...]             # months paid by nobody between two units' payments


def moves(keys: np.ndarray, unit: np.ndarray, paid: np.ndarray, months: list[dt.date]) -> list[Move]:
    """R12 for every ID paid in two units or more: `keys` (ID per row, None = no ID), `unit` (the
    unit of each row), `paid` (months × rows, bool: the unit pays the row that month). Rows of one
    unit are one payer; the gap is between one unit's last month and the next unit's first."""
    paid = np.asarray(paid, dtype=bool)
    unit = np.asarray(unit)
    rows_of: dict = {}                   # ID → unit → rows paid at least once
    for pos in np.flatnonzero(paid.any(axis=0)):
        if keys[pos] is not None:
            rows_of.setdefault(keys[pos], {}).setdefault(unit[pos].item(), []).append(pos)
    out = []
    for key in sorted(k for k, units in rows_of.items() if len(units) > 1):
        by_unit = {u: paid[:, rows].any(axis=1) for u, rows in sorted(rows_of[key].items())}
        spans = sorted((UnitSpan(int(u), tuple(months[k] for k in np.flatnonzero(mask))) for u, mask in by_unit.items()),
                       key=lambda s: (s.first, s.unit))
        count = np.sum(list(by_unit.values()), axis=0)
        gap = np.zeros(len(months), dtype=bool)
        index = {m: k for k, m in enumerate(months)}
        for a, b in zip(spans, spans[1:]):
            gap[index[a.last] + 1:index[b.first]] = True
        gap &= count == 0
        out.append(Move(str(key), tuple(spans), tuple(months[k] for k in np.flatnonzero(count > 1)),
                        tuple(months[k] for k in np.flatnonzero(gap))))
    return out


def month_ranges(months: tuple[dt.date, ...] | list[dt.date]) -> str:
    """`01/2026–03/2026, 05/2026`: consecutive months as ranges ('' for none)."""
    parts: list[str] = []
    run: list[dt.date] = []
    for m in sorted(months):
        if run and (m.year * 12 + m.month) - (run[-1].year * 12 + run[-1].month) == 1:
            run.append(m)
            continue
        if run:
            parts.append(_range(run))
        run = [m]
    if run:
        parts.append(_range(run))
    return ", ".join(parts)


def _range(run: list[dt.date]) -> str:
    return f"{run[0]:%m/%Y}" if len(run) == 1 else f"{run[0]:%m/%Y}–{run[-1]:%m/%Y}"
