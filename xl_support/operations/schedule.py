"""Every register row of a book and its month-by-month amounts, R11 applied per month — what
summaries, exports and the city consolidation read.

`book_schedule` is `compute.compute_book` over a range of months without the basis texts: the
same engine calls (`people_arrays`, `eligibility` once, `month_results` for the months) and the same R11
decision (`engine.schedule.apply_r11`, per month).
"""
from __future__ import annotations

import datetime as dt

import numpy as np

from xl_support.book.register import Table, object_array
from xl_support.book.workbook import Book
from xl_support.engine.rules import eligibility, month_results, months_between, people_arrays
from xl_support.engine.schedule import BookSchedule, apply_r11

AREA_NAMES = {1: "urban", 0: "rural", -1: None}
AREA_ARRAY = object_array([AREA_NAMES[-1], AREA_NAMES[0], AREA_NAMES[1]])      # people.area + 1 → name


def _text(value) -> str:
    """A text cell value as clean text ('' for empty / NaN)."""
    if value is None or (isinstance(value, float) and value != value):
        return ""
    return str(value).strip()


def as_date(value) -> dt.date | None:
    """A date cell value as a date (a datetime's day; anything else None)."""
    if isinstance(value, dt.datetime):
        return value.date()
    return value if isinstance(value, dt.date) else None


def _keys(values: np.ndarray) -> np.ndarray:
    """ID keys: texts, None where there is none."""
    if set(map(type, values)) <= {str, type(None)}:
        return values
    return object_array([k if isinstance(k, str) else None for k in values])


PEOPLE_TABLE_COLUMNS = ("sheet", "row", "register", "name", "birth", "sex", "id_key", "residential_group", "group",
                        "area", "school", "insurance_number", "kcb_place", "decision", "stop", "status", "start",
                        "end", "end_reason")


def people_table(book: Book) -> tuple[Table, list]:
    """All register rows as one table (`PEOPLE_TABLE_COLUMNS`) and the engine objects per register."""
    s = book.settings
    parts: dict[str, list] = {c: [] for c in PEOPLE_TABLE_COLUMNS}
    engine = []
    for reg in book.registers:
        f = reg.table
        people = people_arrays(f, s.groups, s.default_area)
        elig = eligibility(people, s.groups, s.params)
        engine.append((reg, people, elig))
        n = len(f)

        def col(name, conv=_text):
            if name not in f:
                return object_array([conv(None)] * n)
            values = f[name]
            kinds = set(map(type, values))
            if conv is _text and kinds <= {str, type(None)}:    # the parsed texts (stripped): '' for none
                out = values.copy()
                out[np.equal(values, None)] = ""
                return out
            if conv is as_date and kinds <= {dt.date, type(None)}:
                return values
            return object_array([conv(v) for v in values.tolist()])

        for name, values in {
            "sheet": object_array([reg.sheet] * n), "row": f["row"].astype(np.int64),
            "register": object_array([reg.kind] * n), "name": col("name"), "birth": col("birth", as_date),
            "sex": col("sex"), "id_key": _keys(f["id_key"]),
            "residential_group": col("residential_group"), "group": col("group"),
            "area": AREA_ARRAY[people.area.astype(np.int64) + 1], "school": col("school"),
            "insurance_number": col("insurance_number"), "kcb_place": col("kcb_place"),
            "decision": col("decision", as_date), "stop": col("stop", as_date),
            "status": elig.status.astype(np.int64), "start": elig.start, "end": elig.end,
            "end_reason": elig.end_reason.astype(np.int64),
        }.items():
            parts[name].append(values)
    empty = {"row": np.int64, "status": np.int64, "end_reason": np.int64, "start": "M8[M]", "end": "M8[M]"}
    columns = {c: np.concatenate(v) if v else np.zeros(0, dtype=empty.get(c, object)) for c, v in parts.items()}
    return Table(columns, len(columns["row"])), engine


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
    unconfirmed = np.zeros((len(months), n), dtype=bool)
    suppressed = np.zeros((len(months), n), dtype=bool)
    start = 0
    for _, people, elig in engine:                 # all months of a register at once
        if months:
            res = month_results(people, elig, months, s.groups, s.params)
            benefit[:, start:start + len(people)] = res.benefit
            insurance[:, start:start + len(people)] = res.insurance
            unconfirmed[:, start:start + len(people)] = res.insurance_unconfirmed
        start += len(people)
    apply_r11(table["id_key"].tolist(), benefit, insurance, suppressed, unconfirmed)
    return BookSchedule(months=months, people=table, benefit=benefit, insurance=insurance,
                        suppressed=suppressed, params=s.params, unconfirmed=unconfirmed)
