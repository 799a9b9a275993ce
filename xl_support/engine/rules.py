"""The rules R1–R13 of domain.md, vectorised: one implementation for one row and for a register.

A register is a table of typed columns (see `PEOPLE_COLUMNS`); a single person is a register of
one (`assess`). The work is split in two:
- `eligibility` — what does not depend on the month: start month (R2, R3), last month paid and
  why (R1, R5, R6, R7, R8), status (pending, errors, unconfirmed group), month of the 6th birthday;
- `month_result` — the month's amounts (R4, R9) and insurance flag (R10); `month_results` the
  same for several months at once.
`schedule` reuses the first and calls `month_results`.
"""
from __future__ import annotations

import dataclasses
import datetime as dt
from dataclasses import dataclass
from enum import IntEnum
from functools import cached_property, lru_cache

import numpy as np

from xl_support.engine.parameters import DEFAULT as DEFAULT_PARAMETERS, Parameters
from xl_support.engine.policy import DEFAULT as DEFAULT_GROUPS, Groups

PEOPLE_COLUMNS = ("group", "area", "birth", "allowance", "recognised", "mother_birth", "decision", "stop",
                  "pay_from", "stop_pay_from", "household_type")
DATE_COLUMNS = ("birth", "recognised", "mother_birth", "decision", "stop", "pay_from", "stop_pay_from")
#: domain.md §3 — `Loại hộ` labels → household codes (People.household); blank or unknown → −1.
HOUSEHOLD_CODES = {"Nghèo": 0, "Cận nghèo": 1, "Thoát nghèo": 2, "Thoát cận nghèo": 3}
ESCAPED_HOUSEHOLDS = (2, 3)
NAT_M = np.datetime64("NaT", "M")
FAR_M = np.datetime64("9999-12", "M")


class Status(IntEnum):
    """Why a row is or is not computed. OK rows are payable between start and end month."""
    OK = 0
    PENDING = 1             # R2: no decision date yet
    UNKNOWN_GROUP = 2
    NO_BIRTH = 3
    NO_AREA = 4
    NO_ALLOWANCE = 5        # R4: top-up groups need the allowance received
    NO_RECOGNITION = 6      # R5: TN groups need the recognition date
    NO_MOTHER_BIRTH = 7     # R7
    UNCONFIRMED = 8         # domain.md §3: amount not yet entered from the Resolution
    NEVER_PAYABLE = 9       # start after the last month (decision after the end event)
    BAD_CELL = 10           # a cell of the row could not be read (set by the register reader)
    ALLOWANCE_FORBIDDEN = 11  # R13
    RECOGNITION_NOT_2025 = 12  # R5 / plan II.2
    BIRTH_AFTER_DECISION = 13  # impossible dates: never a silent amount
    DECISION_AFTER_END = 14    # R2a: decision signed on or after the day eligibility ended
    NO_HOUSEHOLD = 15          # domain.md §3: NQ 04 row without a (known) household type
    MOTHER_AFTER_CHILD = 16    # R7: impossible dates, never a silent amount


class EndReason(IntEnum):
    """domain.md R8 — which end event gives the last month paid (ties: this order)."""
    MAX_AGE = 0
    RECOGNITION_MONTHS = 1
    MOTHER_ADULT = 2
    STOP_DATE = 3
    WINDOW = 4
    STOP_PAY = 5            # R12: `Thôi chi trả từ tháng` M → M−1 is the last month paid


RULE_CODES = {"topup": 0, "poverty_line": 1, "standard_multiple": 2, "fixed": 3, "unconfirmed": 4}
INSURANCE_CODES = {"no": 0, "yes": 1, "unconfirmed": 2}
ALLOWANCE_CODES = {"": 0, "required": 1, "forbidden": 2}


# ---------------------------------------------------------------- vectorised date helpers

_NAT = np.int64(np.iinfo(np.int64).min)   # datetime64's NaT as an integer

# Calendar tables 1800-01 … 2399-12: a date's month and day are one gather, several times faster
# than numpy's datetime64 unit conversions. Dates outside are clipped (values.parse_date refuses them).
# A day's month and day of month are packed in one int32 (month × 32 + day): one small gather, a
# cache line for 16 days (the engine runs just after a file's read has emptied the caches).
_MONTHS = np.arange(np.datetime64("1800-01", "M"), np.datetime64("2400-02", "M")).view(np.int64)
_MONTH_START = _MONTHS.view("M8[M]").astype("M8[D]").view(np.int64)   # first day of each month
_MONTH_SPAN = _MONTH_START[:-1] << 6 | np.diff(_MONTH_START)       # first day × 64 + days in the month
_DAY0 = int(_MONTH_START[0])
_MONTH_LAST = len(_MONTHS) - 2


@lru_cache(maxsize=1)
def _day_table() -> np.ndarray:
    """Each day's month × 32 + day, from 1800-01-01: made on first use, not at import (219,000
    days; issue 18 item 5 — every command's start-up)."""
    return (np.repeat(_MONTHS[:-1] * 32 - _MONTH_START[:-1] + 1, np.diff(_MONTH_START))
            + np.arange(_DAY0, _MONTH_START[-1])).astype(np.int32)


def _day_parts(raw: np.ndarray) -> np.ndarray:
    """Day integers (datetime64[D] viewed as int64; clipped to the tables) → month × 32 + day."""
    return _day_table().take(raw - _DAY0, mode="clip")     # clipped to the table in the gather


def _month_row(months: np.ndarray) -> np.ndarray:
    return np.minimum(np.maximum(months - _MONTHS[0], 0), _MONTH_LAST)


def _raw(values: np.ndarray, unit: str) -> np.ndarray:
    return values.astype(unit, copy=False).view(np.int64)


def _edate(raw: np.ndarray, months) -> tuple[np.ndarray, np.ndarray]:
    """`add_months` on day integers (NaT = _NAT) of any shape: (days, their months as integers)."""
    parts = _day_parts(raw)
    row = _month_row(np.add(parts >> 5, months, dtype=np.int64))
    span = _MONTH_SPAN[row]                            # the month's first day and its length, one gather
    days = (span >> 6) + np.minimum(parts & 31, span & 63) - 1
    valid = raw != _NAT
    return np.where(valid, days, _NAT), np.where(valid, row + _MONTHS[0], _NAT)


def _month_of_raw(raw: np.ndarray) -> np.ndarray:
    """`month_of` on day integers (NaT = _NAT) of any shape."""
    valid = raw != _NAT
    if not np.count_nonzero(valid):                    # an empty column (most registers name no move)
        return np.full(raw.shape, _NAT)
    return np.where(valid, _day_parts(raw) >> 5, _NAT)


def _month_end_raw(raw: np.ndarray) -> np.ndarray:
    """`month_end` on month integers (NaT = _NAT)."""
    return np.where(raw != _NAT, _MONTH_START[_month_row(raw) + 1] - 1, _NAT)


def add_months(days: np.ndarray, months: int | np.ndarray) -> np.ndarray:
    """EDATE: same day `months` later, clamped to the month's last day (NaT stays NaT)."""
    return _edate(_raw(days, "M8[D]"), months)[0].view("M8[D]")


def month_of(days: np.ndarray) -> np.ndarray:
    """datetime64[D] → datetime64[M] (NaT stays NaT)."""
    return _month_of_raw(_raw(days, "M8[D]")).view("M8[M]")


def month_end(months: np.ndarray) -> np.ndarray:
    """Last day of each month (datetime64[M] → datetime64[D]; NaT stays NaT)."""
    return _month_end_raw(_raw(months, "M8[M]")).view("M8[D]")


def year_of(days: np.ndarray) -> np.ndarray:
    """Calendar year (0 for NaT)."""
    raw = _raw(days, "M8[D]")
    return np.where(raw != _NAT, (_day_parts(raw) >> 5) // 12 + 1970, np.int64(0))


_PER_DAY = {"D": 1, "h": 24, "m": 1440, "s": 86_400, "ms": 86_400_000, "us": 86_400_000_000,
            "ns": 86_400_000_000_000}


def to_days(values: np.ndarray) -> np.ndarray:
    """Any datetime64 unit → datetime64[D] by integer division (floor), NaT kept."""
    unit, count = np.datetime_data(values.dtype)
    raw = values.view(np.int64)
    return np.where(raw == _NAT, _NAT, (raw * count) // _PER_DAY[unit]).view("M8[D]")


def as_month(day: dt.date) -> np.datetime64:
    return np.datetime64(day.strftime("%Y-%m"), "M")


def to_date(value: np.datetime64) -> dt.date:
    """A datetime64 day or month as a date (a month: its first day)."""
    return np.datetime64(value, "D").item()


# ---------------------------------------------------------------- group table as arrays

@dataclass(frozen=True)
class GroupArrays:
    """The group table as arrays indexed by group position (−1 = unknown code → last slot)."""
    codes: tuple[str, ...]
    rule: np.ndarray
    num: np.ndarray
    den: np.ndarray
    fixed: np.ndarray
    insurance: np.ndarray
    min_age: np.ndarray
    max_age: np.ndarray
    recognition_months: np.ndarray
    recognition_year: np.ndarray
    mother_max_age: np.ndarray
    allowance: np.ndarray
    nq04: np.ndarray        # bool: a group of the NQ 04 register (`Loại hộ` decides the 36 months)
    standard: tuple[str | None, ...]
    # what eligibility reads per row, gathered at once (`row_ints.take(group, axis=1)`):
    # row_ints: months of the max age, of the min age, after the recognition (R5), of the mother's max age;
    # row_flags: has a max age, a min age, a 36-month limit, a mother's max age; NQ 04; needs the
    # area (poverty line, top-up); allowance required, forbidden; a recognition year; unconfirmed
    row_ints: np.ndarray = dataclasses.field(init=False, repr=False, compare=False)
    row_flags: np.ndarray = dataclasses.field(init=False, repr=False, compare=False)

    def __post_init__(self):
        object.__setattr__(self, "row_ints", np.stack([
            self.max_age * 12, self.min_age * 12, self.recognition_months, self.mother_max_age * 12]))
        object.__setattr__(self, "row_flags", np.stack([
            self.max_age > 0, self.min_age > 0, self.recognition_months > 0, self.mother_max_age > 0, self.nq04,
            (self.rule == RULE_CODES["topup"]) | (self.rule == RULE_CODES["poverty_line"]),
            self.allowance == ALLOWANCE_CODES["required"], self.allowance == ALLOWANCE_CODES["forbidden"],
            self.recognition_year > 0, self.rule == RULE_CODES["unconfirmed"]]))

    @classmethod
    def of(cls, groups: Groups) -> "GroupArrays":
        gs = groups.groups

        def col(values, fill=0):
            return np.array([fill if v is None else v for v in values] + [fill], dtype=np.int64)

        return cls(
            codes=groups.codes,
            rule=col([RULE_CODES[g.amount_rule] for g in gs], RULE_CODES["unconfirmed"]),
            num=col([g.multiple[0] for g in gs], 1), den=col([g.multiple[1] for g in gs], 1),
            fixed=col([g.fixed_amount for g in gs]), insurance=col([INSURANCE_CODES[g.insurance] for g in gs]),
            min_age=col([g.min_age for g in gs]), max_age=col([g.max_age for g in gs]),
            recognition_months=col([g.months_after_recognition for g in gs]),
            recognition_year=col([g.recognition_year for g in gs]),
            mother_max_age=col([g.mother_max_age for g in gs]),
            allowance=col([ALLOWANCE_CODES[g.allowance] for g in gs]),
            nq04=col([g.register == "NQ04" for g in gs]).astype(bool),
            standard=tuple(g.standard for g in gs) + (None,),
        )

    def index(self, codes) -> np.ndarray:
        """Position of each code in the table; unknown or empty → the last (sentinel) slot."""
        positions, missing = _code_positions(self.codes), len(self.codes)
        get = positions.get
        return np.fromiter((get(c, missing) if c.__class__ is str else missing for c in codes),
                           dtype=np.intp, count=len(codes))


@lru_cache(maxsize=64)
def _code_positions(codes: tuple[str, ...]) -> dict[str, int]:
    return {c: i for i, c in enumerate(codes)}


_group_arrays_cache: dict[int, tuple[Groups, GroupArrays]] = {}


def group_arrays(groups: Groups) -> GroupArrays:
    hit = _group_arrays_cache.get(id(groups))
    if hit is None or hit[0] is not groups:
        hit = _group_arrays_cache[id(groups)] = (groups, GroupArrays.of(groups))
    return hit[1]


# ---------------------------------------------------------------- people as arrays

@dataclass(frozen=True)
class People:
    """Typed register columns as numpy arrays (one element per row)."""
    group: np.ndarray       # int group position (GroupArrays.index)
    area: np.ndarray        # int8: 0 rural, 1 urban, -1 unknown
    birth: np.ndarray       # datetime64[D], NaT when empty
    allowance: np.ndarray   # int64, -1 when empty
    recognised: np.ndarray
    mother_birth: np.ndarray
    decision: np.ndarray
    stop: np.ndarray
    bad_cell: np.ndarray    # bool: a cell of the row could not be read
    pay_from: np.ndarray = None       # datetime64[M]: `Chi trả từ tháng` (R2, R12), NaT when empty
    stop_pay_from: np.ndarray = None  # datetime64[M]: `Thôi chi trả từ tháng` (R12), NaT when empty
    household: np.ndarray = None      # int8 HOUSEHOLD_CODES, −1 blank or unknown (domain.md §3)

    def __post_init__(self):
        n = len(self.group)
        for name in ("pay_from", "stop_pay_from"):
            if getattr(self, name) is None:
                object.__setattr__(self, name, np.full(n, NAT_M))
        if self.household is None:
            object.__setattr__(self, "household", np.full(n, -1, dtype=np.int8))

    def __len__(self) -> int:
        return len(self.group)


def _dates(frame, name: str) -> np.ndarray:
    if name not in frame:
        return np.full(len(frame), np.datetime64("NaT"), dtype="M8[D]")
    numbers = getattr(frame, "numbers", None)      # a register Table: dates made while parsing
    if numbers and name in numbers:
        return numbers[name]
    col = np.asarray(frame[name])
    if col.dtype.kind == "M":
        return to_days(col)
    return dates_to_days(col.tolist())


_EPOCH_ORDINAL = dt.date(1970, 1, 1).toordinal()


def dates_to_days(values: list) -> np.ndarray:
    """A list of date/datetime/None → datetime64[D] through ordinals (numpy's own conversion of
    date objects is ~10× slower)."""
    date = dt.date
    return ordinals_to_days(np.array([v.toordinal() if v.__class__ is date or isinstance(v, date) else 0
                                      for v in values], dtype=np.int64))


def ordinals_to_days(ordinals: np.ndarray) -> np.ndarray:
    """Day ordinals (`date.toordinal`; 0: no date) → datetime64[D] (NaT: no date)."""
    return np.where(ordinals == 0, _NAT, ordinals - _EPOCH_ORDINAL).view("M8[D]")


def _amount(value) -> int:
    """A whole amount; empty, not a number or NaN → −1."""
    if isinstance(value, (int, float)) and not isinstance(value, bool) and value == value:
        return int(value)
    return -1


def _amounts(values) -> np.ndarray:
    """`_amount` of each value; a column already of integers is taken whole."""
    column = np.asarray(values)
    if column.dtype.kind in "iu":
        return column.astype(np.int64)
    return np.fromiter(map(_amount, column.tolist()), dtype=np.int64, count=len(column))


def _household_codes(values) -> np.ndarray:
    return np.fromiter((HOUSEHOLD_CODES.get(v, -1) if v.__class__ is str else -1 for v in values), dtype=np.int8,
                       count=len(values))


#: People.area of a typed area (−1: other or empty).
AREA_CODES = {"rural": 0, "urban": 1}


def _area_codes(values: list) -> np.ndarray:
    """People.area of typed areas (`AREA_CODES`)."""
    return np.array([AREA_CODES.get(v, -1) if v.__class__ is str else -1 for v in values], dtype=np.int8)


def _by_distinct(values, lookup, distinct: tuple | None = None) -> np.ndarray:
    """`lookup(values)` computed once per distinct cell of an object array (codes repeat on most
    rows); other sequences are looked up whole. `distinct`: the column as (position of each cell's
    value, the values), as the register reader parsed it (`Table.distinct`)."""
    if distinct is not None:
        codes, found = distinct
        return lookup(found)[codes]
    if not (isinstance(values, np.ndarray) and values.dtype == object):
        return lookup(values)
    values = values.tolist()                # a list iterates several times faster
    position = dict.fromkeys(values)
    for j, value in enumerate(position):
        position[value] = j
    table = lookup(list(position))
    return table[np.fromiter(map(position.__getitem__, values), dtype=np.intp, count=len(values))]


def people_arrays(frame, groups: Groups, default_area: str | None = None) -> People:
    """Typed columns (a register `Table`, or any mapping of PEOPLE_COLUMNS to sequences, such as
    a DataFrame; dates as date or datetime64) → `People`.

    `default_area` applies where the register's area is empty (domain.md §4: the row's area wins).
    """
    n = len(frame)
    garr = group_arrays(groups)
    distinct = getattr(frame, "distinct", None) or {}
    if "area" in distinct:
        area = _by_distinct(None, _area_codes, distinct["area"])
    else:
        area = _by_distinct(np.asarray(frame["area"], dtype=object) if "area" in frame
                            else np.full(n, None, dtype=object), _area_codes)
    if default_area in AREA_CODES:
        area[area == -1] = AREA_CODES[default_area]
    numbers = getattr(frame, "numbers", None) or {}
    allowance = (numbers["allowance"] if "allowance" in numbers
                 else _amounts(frame["allowance"]) if "allowance" in frame
                 else np.full(n, -1, dtype=np.int64))
    bad = np.asarray(frame["bad_cell"], dtype=bool) if "bad_cell" in frame else np.zeros(n, dtype=bool)
    household = (_by_distinct(np.asarray(frame["household_type"], dtype=object), _household_codes,
                              distinct.get("household_type"))
                 if "household_type" in frame else None)
    return People(
        group=(_by_distinct(np.asarray(frame["group"], dtype=object), garr.index, distinct.get("group"))
               if "group" in frame else garr.index([None] * n)),
        area=area, birth=_dates(frame, "birth"), allowance=allowance,
        recognised=_dates(frame, "recognised"), mother_birth=_dates(frame, "mother_birth"),
        decision=_dates(frame, "decision"), stop=_dates(frame, "stop"), bad_cell=bad,
        pay_from=month_of(_dates(frame, "pay_from")) if "pay_from" in frame else None,
        stop_pay_from=month_of(_dates(frame, "stop_pay_from")) if "stop_pay_from" in frame else None,
        household=household,
    )


# ---------------------------------------------------------------- month-independent part

@dataclass(frozen=True)
class Eligibility:
    status: np.ndarray        # Status codes
    start: np.ndarray         # datetime64[M]: first month payable (R2, R3)
    end: np.ndarray           # datetime64[M]: last month paid (R6, R8)
    end_reason: np.ndarray    # EndReason codes
    end_event: np.ndarray     # datetime64[D]: the day of the end event (birthday, stop date…)
    insurance_from: np.ndarray  # datetime64[M]: month of the 6th birthday (R10)
    lapse: np.ndarray = None  # datetime64[D]: R2a — first day not eligible (NaT: none before 2031)
    lapse_reason: np.ndarray = None  # EndReason of `lapse`


def policy_window(params: Parameters) -> tuple[np.datetime64, np.datetime64]:
    """domain.md R3 — the months 2026-01 … 2030-12, from the parameter data."""
    return _window(params)[:2]


@lru_cache(maxsize=64)
def _window(params: Parameters) -> tuple[np.datetime64, np.datetime64, int]:
    """`policy_window`, and the last day of the window as an integer."""
    period = params.periods[[p.key for p in params.periods].index("policy_window")]
    first, last = as_month(period.start), as_month(period.end)
    return first, last, int(_month_end_raw(last.view(np.int64)))


_FAR_M = int(FAR_M.view(np.int64))
_FAR_D = int(np.datetime64("9999-12-31", "D").view(np.int64))


def _first_min(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per column of (events, rows) integers: the smallest value and the first event holding it
    (`np.argmin(axis=0)`), as one reduction of value × 8 + event."""
    key = values * 8 + np.arange(len(values)).reshape(-1, 1)
    low = np.minimum.reduce(key, axis=0)
    return low >> 3, (low & 7).astype(np.intp, copy=False)


_CHUNK = 8192     # rows per eligibility pass: its stacked temporaries stay small (no page faults)


def eligibility(people: People, groups: Groups, params: Parameters) -> Eligibility:
    """R1–R8 without the amounts: status, start month, last month paid and why. Dates are worked
    as integers (days, months since 1970; NaT = int64 min) in stacked (events, rows) arrays, a
    large register `_CHUNK` rows at a time (rows are independent)."""
    n = len(people)
    if n <= _CHUNK:
        return _eligibility(people, groups, params)
    parts = [_eligibility(People(**{f.name: getattr(people, f.name)[a:a + _CHUNK] for f in dataclasses.fields(People)}),
                          groups, params) for a in range(0, n, _CHUNK)]
    return Eligibility(**{f.name: np.concatenate([getattr(p, f.name) for p in parts])
                          for f in dataclasses.fields(Eligibility)})


def _eligibility(people: People, groups: Groups, params: Parameters) -> Eligibility:
    g = group_arrays(groups)
    gi = people.group
    n = len(people)
    window_start, window_end, window_end_day = _window(params)
    cols = np.arange(n)
    birth, recognised, mother, stop, decision = (_raw(getattr(people, k), "M8[D]") for k in
                                                 ("birth", "recognised", "mother_birth", "stop", "decision"))
    max_age_months, min_age_months, recognition_months, mother_age_months = g.row_ints.take(gi, axis=1)
    flags = g.row_flags.take(gi, axis=1)
    has_max_age, has_min_age, has_mother_age = flags[0], flags[1], flags[3]
    counts_36 = _counts_36_months(flags, people.household)

    # R1 / §3 age limits (a limit of 0 = none), R10 6th birthday, R5 36 months, R7 mother's 18th
    # birthday: one EDATE over the stacked dates
    dated, dated_month = _edate(np.stack([birth, birth, birth, recognised, mother]),
                                np.stack([max_age_months, min_age_months, np.full(n, 72), recognition_months,
                                          mother_age_months]))
    max_age_day = np.where(has_max_age, dated[0], _NAT)
    recognition_end = np.where(counts_36 & (recognised != _NAT), dated[3] - 1, _NAT)
    mother_adult = np.where(has_mother_age, dated[4], _NAT)
    stop_pay_last, stop_pay_month = _stop_pay(_raw(people.stop_pay_from, "M8[M]"))

    # R1, R5, R7, R6 stop date, R3 window, R12 (rows follow EndReason); months from the calendar
    # tables where not known from the EDATE
    events = np.empty((len(EndReason), n), dtype=np.int64)
    for i, row in enumerate((max_age_day, recognition_end, mother_adult, stop, window_end_day, stop_pay_last)):
        events[i] = row
    recognition_end_month, stop_month, decision_month, recognition_month = _month_of_raw(
        np.stack([recognition_end, stop, decision, recognised]))
    event_months = np.empty_like(events)
    for i, row in enumerate((np.where(has_max_age, dated_month[0], _NAT), recognition_end_month,
                             np.where(has_mother_age, dated_month[4], _NAT), stop_month, window_end.view(np.int64),
                             stop_pay_month)):
        event_months[i] = row
    event_months[event_months == _NAT] = _FAR_M
    end, end_reason = _first_min(event_months)          # ties → EndReason order
    end_event = events.ravel()[end_reason * n + cols]

    # R2a: the first day not eligible (birthday, day after the 36 months, day after the stop date,
    # day after the policy window; indices follow EndReason).
    lapses = events[:5].copy()
    lapses[1:5:2] += lapses[1:5:2] != _NAT                # the day after; NaT stays NaT
    lapses[4] += 1
    _, lapse_reason = _first_min(np.where(lapses == _NAT, _FAR_D, lapses))
    lapse = lapses.ravel()[lapse_reason * n + cols]

    min_age_month = np.where(has_min_age, dated_month[1], _NAT)
    pay_from = _raw(people.pay_from, "M8[M]")
    first = np.where(pay_from == _NAT, decision_month, pay_from)            # R2, R12
    # the later of first, window start and min-age month (NaT, the int64 minimum, never wins)
    start = np.maximum(np.maximum(first, window_start.view(np.int64)), min_age_month)
    start = np.where(decision == _NAT, _NAT, start).view("M8[M]")
    end, lapse = end.view("M8[M]"), lapse.view("M8[D]")

    status = _status(people, g, start, end, lapse, flags, counts_36, recognition_month)
    return Eligibility(status=status, start=start, end=end, end_reason=end_reason, end_event=end_event.view("M8[D]"),
                       insurance_from=dated_month[2].view("M8[M]"), lapse=lapse, lapse_reason=lapse_reason)


def _stop_pay(spf: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """R12 — `Thôi chi trả từ tháng` M (month integers, NaT = _NAT): the last day and the month
    of M − 1, the last month paid; a register that names no move has nothing to look up."""
    moved = spf != _NAT
    if not np.count_nonzero(moved):
        return spf, spf
    row = _month_row(spf - 1)
    return np.where(moved, _MONTH_START[row + 1] - 1, _NAT), np.where(moved, row + _MONTHS[0], _NAT)


def _counts_36_months(flags: np.ndarray, household: np.ndarray) -> np.ndarray:
    """R5 / domain.md §3 — rows whose eligibility ends 36 months after the recognition date: the
    groups with such a limit, and in NQ 04 only for `Thoát nghèo` / `Thoát cận nghèo` households
    (`flags`: the rows' `GroupArrays.row_flags`)."""
    escaped = (household == ESCAPED_HOUSEHOLDS[0]) | (household == ESCAPED_HOUSEHOLDS[1])
    return flags[2] & (~flags[4] | escaped)


#: `_status`'s conditions in order: a row's status is the first that holds (what staff should fix first).
STATUS_ORDER = (Status.BAD_CELL, Status.UNKNOWN_GROUP, Status.NO_BIRTH, Status.BIRTH_AFTER_DECISION,
                Status.MOTHER_AFTER_CHILD, Status.NO_AREA, Status.NO_ALLOWANCE, Status.ALLOWANCE_FORBIDDEN,
                Status.NO_HOUSEHOLD, Status.NO_RECOGNITION, Status.RECOGNITION_NOT_2025, Status.NO_MOTHER_BIRTH,
                Status.UNCONFIRMED, Status.PENDING, Status.DECISION_AFTER_END, Status.NEVER_PAYABLE)
#: Per status code: a check of the row's own cells against its group failed (the conditions
#: before UNCONFIRMED). A row of any other status (OK, UNCONFIRMED, PENDING, …) meets none of
#: them: validation looks for those errors only where some row has such a status.
CELL_CHECK_FAILED = np.isin(np.arange(len(Status)), STATUS_ORDER[:STATUS_ORDER.index(Status.UNCONFIRMED)])


def _status(people: People, g: GroupArrays, start: np.ndarray, end: np.ndarray, lapse: np.ndarray,
            flags: np.ndarray, counts_36: np.ndarray, recognition_month: np.ndarray) -> np.ndarray:
    """First failing condition per row, in `STATUS_ORDER`; `flags` are the rows'
    `GroupArrays.row_flags`."""
    gi = people.group
    nq04, needs_area, allowance_required, allowance_forbidden, has_rec_year, unconfirmed = flags[4:]
    no_recognition = np.isnat(people.recognised)
    conditions = [
        people.bad_cell,
        gi == len(g.codes),
        np.isnat(people.birth),
        people.birth > people.decision,
        people.mother_birth >= people.birth,
        needs_area & (people.area < 0),
        allowance_required & (people.allowance < 0),
        allowance_forbidden & (people.allowance > 0),
        nq04 & (people.household < 0),
        (has_rec_year | (nq04 & counts_36)) & no_recognition,
        has_rec_year & ~no_recognition & (recognition_month // 12 + 1970 != g.recognition_year[gi]),
        flags[3] & np.isnat(people.mother_birth),
        unconfirmed,
        np.isnat(start),
        people.decision >= lapse,
        start > end,
    ]
    status = np.zeros(len(people), dtype=np.int8)      # Status.OK
    for mask, code in zip(reversed(conditions), reversed(STATUS_ORDER)):
        if np.count_nonzero(mask):                     # most conditions hold on no row
            np.copyto(status, int(code), where=mask)
    return status


# ---------------------------------------------------------------- the month

@dataclass(frozen=True)
class MonthResult:
    month: dt.date
    payable: np.ndarray
    benefit: np.ndarray       # int64 whole VND
    topup: np.ndarray         # int64, ≤ benefit
    insurance: np.ndarray     # bool
    poverty_line: dict        # area code → Period used (for the basis text)
    standard: dict            # parameter key → Period used
    insurance_unconfirmed: np.ndarray | None = None   # bool: would be supported, group's "?" (§3)

    def __post_init__(self):
        if self.insurance_unconfirmed is None:
            object.__setattr__(self, "insurance_unconfirmed", np.zeros(len(self.insurance), dtype=bool))


@dataclass(frozen=True)
class MonthResults:
    """`month_result` for several months at once: arrays are (months, rows)."""
    months: list[dt.date]
    payable: np.ndarray
    insurance: np.ndarray     # bool
    insurance_unconfirmed: np.ndarray = None   # bool (months, rows): domain.md §3, `Chưa xác nhận`
    # `benefit` made from these when first asked (city consolidation takes its changes from them,
    # `consolidate.Monthly.of_amounts`): the runs of months in one parameter state (first, stop,
    # state) and the (states, rows) amounts of a payable row
    benefit_parts: tuple = dataclasses.field(default=None, repr=False, compare=False)
    # `topup` made from these when first asked (city consolidation never asks): the runs of months
    # in one parameter state (first, stop, state) and the (states, rows) top-up amounts; None: no top-up
    topup_parts: tuple | None = dataclasses.field(default=None, repr=False, compare=False)
    # `poverty_line` and `standard` made from these when first asked (city consolidation never
    # asks): the (months, keys) needs and the `_MonthTable` (`_used`)
    used_parts: tuple = dataclasses.field(default=None, repr=False, compare=False)

    @cached_property
    def _periods_used(self) -> tuple[list, list]:
        return _used(*self.used_parts)

    @property
    def poverty_line(self) -> list[dict]:
        """Per month: area code → the poverty-line Period used (for the basis text)."""
        return self._periods_used[0]

    @property
    def standard(self) -> list[dict]:
        """Per month: parameter key → the standard's Period used (for the basis text)."""
        return self._periods_used[1]

    @cached_property
    def benefit(self) -> np.ndarray:
        """int64 (months, rows) whole VND: a month's amount where the row is payable (R4, R9)."""
        segments, amount = self.benefit_parts
        out = np.empty(self.payable.shape, dtype=np.int64)
        for first, stop, state in segments:
            np.multiply(self.payable[first:stop], amount[state], out=out[first:stop])
        return out

    def benefit_at(self, k: int) -> np.ndarray:
        """`benefit[k]` (a new array), without making every month's."""
        if "benefit" in self.__dict__:
            return self.benefit[k].copy()
        segments, amount = self.benefit_parts
        state = next(state for first, stop, state in segments if first <= k < stop)
        return np.multiply(self.payable[k], amount[state], dtype=np.int64)

    @cached_property
    def topup(self) -> np.ndarray:
        """int64 (months, rows), ≤ benefit: the top-up part of the benefit (R4)."""
        out = np.zeros(self.payable.shape, dtype=np.int64)
        if self.topup_parts is not None:
            segments, amount = self.topup_parts
            for first, stop, state in segments:
                np.multiply(self.payable[first:stop], amount[state], out=out[first:stop])
        return out

    def month(self, k: int) -> MonthResult:
        return MonthResult(month=self.months[k], payable=self.payable[k], benefit=self.benefit_at(k),
                           topup=self.topup[k], insurance=self.insurance[k], poverty_line=self.poverty_line[k],
                           standard=self.standard[k], insurance_unconfirmed=self.insurance_unconfirmed[k])


_BIG = np.iinfo(np.int64).max
_OK = int(Status.OK)


def _month_numbers(months) -> np.ndarray:
    """Dates → their months as datetime64[M] integers (what `as_month` gives, without strftime)."""
    return np.array([(d.year - 1970) * 12 + d.month - 1 for d in months], dtype=np.int64)


@dataclass(frozen=True)
class _MonthTable:
    """What `month_results` needs of the parameters and the group table for a list of months.
    Keys: 0/1 poverty line rural/urban, 2 + s the standard of the s-th `standard_multiple` group;
    a state: one set of the keys' values (months in the same state pay the same amounts)."""
    month: np.ndarray          # (k, 1) int64: datetime64[M] integers
    firsts: tuple              # the months' first days
    order: np.ndarray | None   # the months' sorted order (None: already sorted)
    sorted_months: np.ndarray  # (k,) int64
    consecutive: bool          # sorted_months are consecutive months
    std_groups: np.ndarray     # positions of the standard_multiple groups
    std_keys: tuple            # (key column, parameter key) of each standard_multiple group
    periods: list              # per key: the Period in force each month, or None
    missing: np.ndarray        # (k, keys) bool: no value in force
    period_sig: np.ndarray     # (k,) int64: months with the same Period in every key share one
    cell_key: np.ndarray       # (groups × 3,) int8: the key of a (group, area) cell, −1 none
    amounts: np.ndarray        # (states, groups × 3) int64: a cell's amount (a top-up: before the allowance)
    segments: tuple            # (first, stop, state): runs of months in the same state
    topup: np.ndarray          # (groups,) bool
    insured: np.ndarray        # (groups,) bool: insurance `yes`
    unconfirmed: np.ndarray    # (groups,) bool: insurance `unconfirmed`


_month_tables: dict[tuple, tuple[Parameters, GroupArrays, _MonthTable]] = {}


def _month_table(params: Parameters, g: GroupArrays, months: tuple) -> _MonthTable:
    """Each month's parameter values resolved once per parameter period, with what depends only
    on the group table; cached per (parameters, groups, months): a consolidation asks the same
    60 months for every ward book."""
    cache_key = (id(params), id(g), months)
    hit = _month_tables.get(cache_key)
    if hit is not None and hit[0] is params and hit[1] is g:
        return hit[2]
    k = len(months)
    std_groups = np.flatnonzero(g.rule == RULE_CODES["standard_multiple"])
    columns = [("poverty_line", "rural", 1, 1), ("poverty_line", "urban", 1, 1)]
    columns += [(g.standard[i], None, int(g.num[i]), int(g.den[i])) for i in std_groups]
    assert len(columns) <= 40, "_used packs a month's needed keys and periods in one int64"
    periods = [params.periods_in_force(key, months, area) for key, area, _, _ in columns]
    values = np.zeros((k, len(columns)), dtype=np.int64)
    missing = np.zeros((k, len(columns)), dtype=bool)
    for c, ((_, _, num, den), found) in enumerate(zip(columns, periods)):
        missing[:, c] = [p is None for p in found]
        raw = np.array([0 if p is None else p.value for p in found], dtype=np.int64)
        values[:, c] = (2 * raw * num + den) // (2 * den)            # half up (num = den = 1: the value)
    index: dict = {}
    state_of = [index.setdefault(row, len(index)) for row in map(bytes, values)]
    states = values[[state_of.index(i) for i in range(len(index))]]
    cuts = [j for j in range(1, k) if state_of[j] != state_of[j - 1]]
    segments = tuple((a, b, state_of[a]) for a, b in zip([0, *cuts], [*cuts, k])) if k else ()
    sig: dict = {}
    period_sig = np.array([sig.setdefault(tuple(map(id, row)), len(sig)) for row in zip(*periods)], dtype=np.int64)

    # per group (table order) and area: the key a row needs and its amount in each state
    ngroups = len(g.rule)
    pl_groups = (g.rule == RULE_CODES["topup"]) | (g.rule == RULE_CODES["poverty_line"])
    cell_key = np.full((ngroups, 3), -1, dtype=np.int8)
    cell_key[pl_groups, 0], cell_key[pl_groups, 1] = 0, 1
    cell_key[std_groups] = (2 + np.arange(len(std_groups)))[:, None]
    base = np.zeros((len(states), ngroups, 3), dtype=np.int64)
    base[:, pl_groups, 0] = states[:, 0:1]
    base[:, pl_groups, 1] = states[:, 1:2]
    base[:, std_groups, :] = states[:, 2:, None]
    fixed = g.rule == RULE_CODES["fixed"]
    base[:, fixed, :] = g.fixed[fixed][:, None]

    month = _month_numbers(months)
    order = np.argsort(month, kind="stable")
    table = _MonthTable(
        month=month.reshape(k, 1), firsts=tuple(m.replace(day=1) for m in months),
        order=None if (order == np.arange(k)).all() else order, sorted_months=month[order],
        consecutive=bool((np.diff(month[order]) == 1).all()),
        std_groups=std_groups, std_keys=tuple((2 + s, g.standard[i]) for s, i in enumerate(std_groups.tolist())),
        periods=periods, missing=missing, period_sig=period_sig,
        cell_key=cell_key.ravel(), amounts=base.reshape(len(states), ngroups * 3), segments=segments,
        topup=g.rule == RULE_CODES["topup"], insured=g.insurance == INSURANCE_CODES["yes"],
        unconfirmed=g.insurance == INSURANCE_CODES["unconfirmed"])
    if len(_month_tables) >= 64:
        _month_tables.clear()
    _month_tables[cache_key] = (params, g, table)
    return table


def month_results(people: People, elig: Eligibility, months: list[dt.date],
                  groups: Groups, params: Parameters) -> MonthResults:
    """R4, R9, R10 for each of `months` at once: a row is payable from its start to its end month
    (status OK), and its amount depends only on its group, area and allowance and on the month's
    parameter values, so amounts are computed once per distinct set of values and spread over the
    months where the row is payable. The parameters in force are resolved once per list of months
    (`_month_table`); a month reports (and must find) only those some payable row needs, checked
    in the order: month by month, poverty line rural, urban, then the standards of the groups in
    table order."""
    g = group_arrays(groups)
    months = tuple(months)
    k = len(months)
    t = _month_table(params, g, months)
    m = t.month
    gi = people.group
    ok = elig.status == _OK                            # OK rows have a start and an end month
    lo = np.where(ok, _raw(elig.start, "M8[M]"), _BIG)
    hi = _raw(elig.end, "M8[M]")
    span = _month_positions(t, lo, hi) if t.consecutive and k else None
    in_order = span is not None and t.order is None and k < 2 ** 15     # month j is the j-th month
    if in_order:                                       # small integers compare several times faster
        j = np.arange(k, dtype=np.int16).reshape(k, 1)
        payable = np.less_equal(span[0].astype(np.int16), j)
        payable &= np.less(j, span[1].astype(np.int16))
    else:
        payable = np.less_equal(lo, m)
        payable &= np.less_equal(m, hi)

    cell = gi.astype(np.intp) * 3 + people.area.astype(np.intp) % 3     # (group, area) with area −1 → 2
    need = _needs(t, payable, span, lo, hi, t.cell_key[cell])
    bad = need & t.missing
    if bad.any():                                      # the first month and key that lacks its value
        j, c = divmod(int(np.flatnonzero(bad)[0]), bad.shape[1])
        key, area = ("poverty_line", ("rural", "urban")[c]) if c < 2 else (g.standard[t.std_groups[c - 2]], None)
        params.period(key, months[j], area)            # raises ParameterError

    amount = t.amounts.take(cell, axis=1)              # (states, rows); rows not payable get 0 below
    is_topup = t.topup[gi]
    any_topup = np.count_nonzero(is_topup) > 0
    if any_topup:
        amount = np.where(is_topup, np.maximum(amount - people.allowance, 0), amount)
    # R10 from the month of the 6th birthday; domain.md §3: an unconfirmed insurance is never
    # `Không` — flagged until the ward says Có/Không
    since = _raw(elig.insurance_from, "M8[M]")
    since = np.where(since == _NAT, _BIG, since)      # NaT: never
    if in_order:
        old_enough = np.less_equal(_first_position(t, since).astype(np.int16), j)
    else:
        old_enough = np.less_equal(since, m)
    old_enough &= payable
    insurance = old_enough & t.insured[gi]
    unconfirmed = old_enough & t.unconfirmed[gi]
    return MonthResults(months=list(t.firsts), payable=payable, insurance=insurance,
                        insurance_unconfirmed=unconfirmed, used_parts=(need, t), benefit_parts=(t.segments, amount),
                        topup_parts=(t.segments, amount * is_topup) if any_topup else None)


def _month_positions(t: _MonthTable, lo: np.ndarray, hi: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Consecutive months (`t.consecutive`): the rows' intervals lo ≤ month ≤ hi as positions in
    the sorted months, first and stop (0…k), by subtraction; NaT and _BIG clipped."""
    k, m0 = len(t.sorted_months), int(t.sorted_months[0])
    return _first_position(t, lo), np.minimum(np.maximum(hi, m0 - 1) - (m0 - 1), k)


def _first_position(t: _MonthTable, lo: np.ndarray) -> np.ndarray:
    """Consecutive months: the position of the first month ≥ lo (k: none)."""
    k, m0 = len(t.sorted_months), int(t.sorted_months[0])
    return np.minimum(np.maximum(lo, m0) - m0, k)


def _needs(t: _MonthTable, payable: np.ndarray, span: tuple | None, lo: np.ndarray, hi: np.ndarray,
           key: np.ndarray) -> np.ndarray:
    """(months, keys) bool: some row with that key (−1 = none) is payable in the month. One month:
    the keys of its payable rows; several: by counting the rows' intervals lo ≤ month ≤ hi over
    the sorted months (no months × rows work); `span`: their `_month_positions` when consecutive."""
    k, keys = t.missing.shape
    if k == 1:
        return (np.bincount(key[payable[0] & (key >= 0)], minlength=keys) > 0)[None, :keys]
    if span is not None:
        first, stop = span
    else:
        first = np.searchsorted(t.sorted_months, lo, "left")
        stop = np.searchsorted(t.sorted_months, hi, "right")
    use = (key >= 0) & (first < stop)
    base = key.astype(np.intp) * (k + 1)
    size = keys * (k + 1)                              # rows not used count in the extra last bin
    counts = (np.bincount(np.where(use, base + first, size), minlength=size + 1)
              - np.bincount(np.where(use, base + stop, size), minlength=size + 1))[:size]
    covered = (np.cumsum(counts.reshape(keys, k + 1), axis=1)[:, :k] > 0).T
    if t.order is None:
        return covered
    need = np.empty((k, keys), dtype=bool)
    need[t.order] = covered
    return need


def _used(need: np.ndarray, t: _MonthTable) -> tuple[list, list]:
    """Per month: area code → poverty-line Period used, and parameter key → standard Period used
    (the keys some payable row needs); made once per distinct (periods, needs), copied per month."""
    k = len(need)
    if not k:
        return [], []
    code = t.period_sig.copy()                         # periods and needed keys (8 to a byte) as one integer
    for column in np.packbits(need, axis=1).T.astype(np.int64):
        code = code << 8 | column
    sigs = code.tolist()
    made = {}
    periods = t.periods
    for s, j in dict(zip(sigs, range(k))).items():     # any month of a signature stands for all
        row = need[j].tolist()
        pl = {area: periods[c][j] for c, area in ((0, "rural"), (1, "urban")) if row[c]}
        std: dict = {}
        for c, key in t.std_keys:
            if row[c]:
                std.setdefault(key, periods[c][j])
        made[s] = (pl, std)
    return [made[s][0].copy() for s in sigs], [made[s][1].copy() for s in sigs]


def month_result(people: People, elig: Eligibility, month: dt.date,
                 groups: Groups, params: Parameters) -> MonthResult:
    """R4, R9, R10 for one month (`month_results` of one month)."""
    return month_results(people, elig, [month], groups, params).month(0)


# ---------------------------------------------------------------- public API

def months_between(first: dt.date, last: dt.date) -> list[dt.date]:
    """Every month from `first` to `last` inclusive, as first days."""
    a, b = as_month(first), as_month(last)
    return np.arange(a, b + 1).astype("M8[D]").tolist()


@dataclass(frozen=True)
class Schedule:
    months: list[dt.date]
    benefit: np.ndarray     # (months, rows) int64
    topup: np.ndarray
    insurance: np.ndarray   # (months, rows) bool


def schedule(frame, first: dt.date, last: dt.date, *, groups: Groups = DEFAULT_GROUPS,
             params: Parameters = DEFAULT_PARAMETERS, default_area: str | None = None) -> Schedule:
    """Month-by-month amounts over a range (payrolls, budgets): eligibility once, amounts per month."""
    people = people_arrays(frame, groups, default_area)
    elig = eligibility(people, groups, params)
    months = months_between(first, last)
    if not months:
        return Schedule(months=months, benefit=np.zeros((0, len(people)), np.int64),
                        topup=np.zeros((0, len(people)), np.int64), insurance=np.zeros((0, len(people)), bool))
    res = month_results(people, elig, months, groups, params)
    return Schedule(months=months, benefit=res.benefit, topup=res.topup, insurance=res.insurance)
