"""Dated parameters as data (domain.md §1), looked up for a month, with overrides.

OpenFisca-style: each parameter is a list of periods, each with its value and legal reference.
A value is looked up for a *month*: the value in force on that month's first day.
"""
from __future__ import annotations

import csv
import datetime as dt
from dataclasses import dataclass, replace
from functools import cache

from xl_support.engine import data_text

AREAS = ("rural", "urban")


class ParameterError(LookupError):
    """No value in force; `message` is Vietnamese."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class Period:
    key: str
    area: str | None
    start: dt.date
    end: dt.date | None
    value: int
    unit: str
    label: str
    legal_ref: str
    max_value: int | None = None    # plausibility bound of a value entered in `Tham số` (data, issue 12)

    def covers(self, day: dt.date) -> bool:
        return self.start <= day and (self.end is None or day <= self.end)

    @property
    def override_label(self) -> str:
        """The label of this value on the workbook's `Tham số` sheet."""
        return f"{self.label} từ {self.start:%d/%m/%Y}"


def _date_or_none(text: str) -> dt.date | None:
    return dt.date.fromisoformat(text) if text else None


@cache
def _shipped_periods() -> tuple[Period, ...]:
    text = data_text("parameters.csv")
    return tuple(
        Period(r["key"], r["area"] or None, dt.date.fromisoformat(r["start"]), _date_or_none(r["end"]),
               int(r["value"]), r["unit"], r["label_vi"], r["legal_ref"],
               int(r["max_value"]) if r.get("max_value") else None)
        for r in csv.DictReader(text.splitlines())
    )


class Parameters:
    """All dated parameters; `value(key, month, area)` is the only way rules read them."""

    def __init__(self, periods: tuple[Period, ...] | None = None):
        self.periods = tuple(sorted(periods if periods is not None else _shipped_periods(),
                                    key=lambda p: (p.key, p.area or "", p.start)))
        self._cache: dict = {}

    def period(self, key: str, month: dt.date, area: str | None = None) -> Period:
        """The period in force on the first day of `month` (domain.md §1)."""
        cache_key = (key, month, area)
        hit = self._cache.get(cache_key)
        if hit is None:
            day = month.replace(day=1)
            found = [p for p in self.periods if p.key == key and p.area == area and p.covers(day)]
            if not found:
                label = next((p.label for p in self.periods if p.key == key and p.area == area), key)
                raise ParameterError(f"chưa có giá trị «{label}» áp dụng cho tháng {day:%m/%Y}")
            hit = self._cache[cache_key] = found[-1]
        return hit

    def periods_in_force(self, key: str, months: tuple[dt.date, ...], area: str | None = None
                         ) -> tuple[Period | None, ...]:
        """`period(key, month, area)` for each of `months`, None where no value is in force (no
        error here: the caller raises through `period` for a month that needs the value). Cached:
        a consolidation asks for the same 60 months for every ward book."""
        cache_key = ("months", key, area, months)
        hit = self._cache.get(cache_key)
        if hit is None:
            same = [p for p in self.periods if p.key == key and p.area == area]
            hit = []
            for month in months:
                day = dt.date(month.year, month.month, 1)
                found = [p for p in same if p.covers(day)]
                hit.append(found[-1] if found else None)
            hit = self._cache[cache_key] = tuple(hit)
        return hit

    def value(self, key: str, month: dt.date, area: str | None = None) -> int:
        return self.period(key, month, area).value

    def value_at(self, key: str, day: dt.date, area: str | None = None) -> int | None:
        """The value in force on `day`, or None."""
        found = [p for p in self.periods if p.key == key and p.area == area and p.covers(day)]
        return found[-1].value if found else None

    def bound(self, key: str) -> int | None:
        """The largest plausible value of parameter `key` (data/parameters.csv `max_value`)."""
        return max((p.max_value for p in self.periods if p.key == key and p.max_value is not None), default=None)

    def check_plausible(self, key: str, value: int, label: str | None = None) -> None:
        """issue 12: a value entered in `Tham số` is a whole number between 0 and its bound."""
        bound = self.bound(key)
        if value < 0 or (bound is not None and value > bound):
            label = label or next((p.label for p in self.periods if p.key == key), key)
            limit = f"{bound:,}".replace(",", ".") if bound is not None else ""
            shown, limit = (f"{v:,}".replace(",", ".") for v in (value, bound or 0))
            raise ParameterError(f"giá trị {shown} không hợp lý cho «{label}» (phải từ 0 đến {limit}); "
                                 "giá trị này không được dùng")

    def with_override(self, key: str, area: str | None, start: dt.date, value: int,
                      legal_ref: str = "giá trị nhập tại sheet Tham số") -> "Parameters":
        """A new store where `value` applies from `start` (a new decree needs no new release).

        Same start → the value replaces the shipped one; a new start splits the period in force.
        """
        same = [p for p in self.periods if p.key == key and p.area == area]
        if not same:
            raise ParameterError(f"không có tham số «{key}»")
        template = same[0]
        kept = []
        new_end = None
        for p in same:
            if p.start == start:
                new_end = p.end
                continue
            if p.start < start and (p.end is None or p.end >= start):
                kept.append(replace(p, end=start - dt.timedelta(days=1)))
                new_end = p.end
            else:
                if p.start > start and new_end is None:
                    new_end = p.start - dt.timedelta(days=1)
                kept.append(p)
        if new_end is not None:
            later = [p.start for p in kept if p.start > start]
            if later and new_end >= min(later):
                new_end = min(later) - dt.timedelta(days=1)
        new = replace(template, start=start, end=new_end, value=value, legal_ref=legal_ref)
        others = [p for p in self.periods if not (p.key == key and p.area == area)]
        return Parameters(tuple(others + kept + [new]))


DEFAULT = Parameters()
