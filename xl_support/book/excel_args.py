"""Excel arguments → engine inputs, for the worksheet functions (design.md "Worksheet functions").

Pure helpers, no xlwings: what a function receives from Excel is a scalar (one cell or a literal)
or a 2-D list (a range, row-major). Columns are flattened here, a single cell is broadcast to the
length of the longest column, and the `Tham số` range is read with `book.read_settings`. Cell
values are converted by `register.typed_table` (the one conversion registers use), not here.
"""
from __future__ import annotations

import datetime as dt
from collections import OrderedDict
from dataclasses import dataclass

import numpy as np

from xl_support.book import values as V
from xl_support.book.workbook import Settings, read_settings
from xl_support.engine.parameters import Parameters
from xl_support.book.register import FIELD_BY_NAME, CellIssue, Table, typed_table


class ArgError(ValueError):
    """An argument that cannot be used at all; `message` is the Vietnamese cell text."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


def error_text(message: str) -> str:
    """`Lỗi: …` exactly once."""
    return message if message.startswith("Lỗi") else f"Lỗi: {message}"


def column(value: object, name: str = "") -> list:
    """One argument as a list of cell values: a scalar → [value]; an n×1 range → its n values.

    A 1×n row is accepted too (one row typed across); a block of several rows and columns is
    an error (each argument is one register column).
    """
    if not isinstance(value, (list, tuple)):
        return [value]
    if not value:
        return []
    if not isinstance(value[0], (list, tuple)):
        return list(value)
    widths = set(map(len, value))
    if widths == {1}:
        return [r[0] for r in value]
    if len(value) == 1:
        return list(value[0])
    raise ArgError(f"Lỗi: đối số {name} phải là một cột".replace("  ", " "))


def broadcast(columns: dict[str, list]) -> tuple[int, dict[str, list]]:
    """Same length for every column: single cells repeat; other lengths must agree."""
    lengths = {len(v) for v in columns.values() if len(v) != 1}
    if len(lengths) > 1:
        raise ArgError("Lỗi: các cột phải có cùng số dòng")
    n = lengths.pop() if lengths else 1
    return n, {k: (v * n if len(v) == 1 else v) for k, v in columns.items()}


# ---------------------------------------------------------------- cell values → typed columns

# Excel's COM error codes (#N/A, #VALUE!, …) as a raw argument holds them (xlwings._xlwindows).
COM_ERRORS = frozenset({-2146826281, -2146826246, -2146826259, -2146826288, -2146826252, -2146826265,
                        -2146826273})


def clean_cell(value: object) -> object:
    """A raw COM value as xlwings' default conversion would give it to the parsers: error cells
    and "" → None; Currency cells (Decimal) → float. pywin32 dates (tz-aware datetime subclasses) are kept: `values.parse_date`
    reads their calendar date, as xlwings' conversion does (it only drops the tzinfo)."""
    if (type(value) is int and value in COM_ERRORS) or (type(value) is str and value == ""):
        return None
    if value.__class__.__name__ == "Decimal":   # a Currency cell arrives as VT_CY → decimal.Decimal (not imported here)
        return float(value)
    return value


_EPOCH_ORDINAL = dt.date(1970, 1, 1).toordinal()


def date_array(days: list) -> np.ndarray:
    """dates (None = empty) → datetime64[D], fast (ordinals, not per-object numpy parsing)."""
    ords = np.fromiter((0 if d is None else d.toordinal() for d in days), dtype=np.int64, count=len(days))
    out = (ords - _EPOCH_ORDINAL).astype("M8[D]")
    out[ords == 0] = np.datetime64("NaT")
    return out


def distinct(cells: list) -> tuple[np.ndarray, list]:
    """Codes (position of each cell's value in the distinct list) and the distinct values, in
    order of first appearance; same type and value (1.0 and True stay apart)."""
    keys = list(zip(map(type, cells), cells))
    index = {k: i for i, k in enumerate(dict.fromkeys(keys))}
    codes = np.fromiter(map(index.__getitem__, keys), dtype=np.int64, count=len(keys))
    return codes, [v for _, v in index]


def typed_columns(raw: dict[str, list], n: int) -> tuple[Table, list[CellIssue]]:
    """`register.typed_table` (the conversion registers use) applied to each column's distinct
    values, expanded back to the n rows: a register column repeats its codes, areas, amounts
    and many dates, so each distinct cell is parsed once. Date columns come out as
    datetime64[D] (what the engine reads fastest). Issues are per row (0-based), as
    `typed_table` gives them for a register; `bad_cell` marks their rows.
    """
    codes: dict[str, np.ndarray] = {}
    uniques: dict[str, list] = {}
    for name, cells in raw.items():
        codes[name], found = distinct(cells)
        uniques[name] = [clean_cell(v) for v in found]
    m = max([len(u) for u in uniques.values()] or [0])
    # one typed_table call: the columns padded with empty cells to the longest distinct list
    small, issues = typed_table({k: u + [None] * (m - len(u)) for k, u in uniques.items()}, list(range(m)))
    columns = {}
    for name, idx in codes.items():
        if name not in small:
            continue
        values = small[name]
        if FIELD_BY_NAME[name].kind in ("date", "month"):
            values = date_array(values.tolist())
        columns[name] = values[idx]
    bad = np.zeros(n, dtype=bool)
    rows: list[CellIssue] = []
    for issue in issues:
        hit = codes[issue.field] == issue.row
        bad |= hit
        rows.extend(CellIssue(issue.sheet, int(r), issue.column, issue.field, issue.code, issue.severity,
                              issue.message) for r in np.flatnonzero(hit))
    columns["bad_cell"] = bad
    return Table(columns, n), rows


# ---------------------------------------------------------------- Tham số

_SETTINGS_CACHE: OrderedDict = OrderedDict()
_SETTINGS_CACHE_SIZE = 8


def _freeze(grid: list) -> tuple:
    return tuple(tuple(r) if isinstance(r, (list, tuple)) else (r,) for r in grid)


def settings_from_range(value: object) -> Settings:
    """The `tham_so` argument (a range of the `Tham số` sheet, label/value pairs) → Settings.

    Omitted → shipped parameters and groups, no report month. A few parsed ranges are kept
    (each register column calls with the same range). Errors on the sheet make the
    functions answer with the message: a wrong override must not silently give shipped values.
    """
    if value is None:
        return Settings()
    grid = value if isinstance(value, (list, tuple)) else [[value]]
    key = _freeze(grid)
    hit = _SETTINGS_CACHE.get(key)
    if hit is None:
        hit = read_settings([list(r) for r in key])
        _SETTINGS_CACHE[key] = hit
        if len(_SETTINGS_CACHE) > _SETTINGS_CACHE_SIZE:
            _SETTINGS_CACHE.popitem(last=False)
    else:
        _SETTINGS_CACHE.move_to_end(key)
    errors = [i for i in hit.issues if i.severity == "error"]
    if errors:
        raise ArgError(f"Lỗi: sheet Tham số – {errors[0].message}")
    return hit


# ---------------------------------------------------------------- month

def months(values: list, settings: Settings, today: dt.date | None = None) -> list[dt.date | str]:
    """`thang` per row: a date, serial, `mm/yyyy` text → first day of the month; blank → the
    report month of `Tham số`, else the current month. A bad cell → its error message."""
    default = settings.report_month or (today or dt.date.today()).replace(day=1)
    out: list[dt.date | str] = []
    parsed: dict = {}
    for v in values:
        key = (type(v), v)
        if key not in parsed:
            try:
                parsed[key] = V.parse_month(v) or default
            except V.CellError:
                parsed[key] = "Lỗi: tháng không hợp lệ (cần mm/yyyy hoặc một ngày)"
        out.append(parsed[key])
    return out


# ---------------------------------------------------------------- cells the engine could not read

HINTS = {"date": "cần dd/mm/yyyy", "month": "cần mm/yyyy", "amount": "cần số đồng nguyên, không âm",
         "area": "Thành thị/Nông thôn", "household": "Nghèo/Cận nghèo/Thoát nghèo/Thoát cận nghèo"}


def bad_cell_messages(issues: list[CellIssue], n: int, order: list[str]) -> list[str | None]:
    """Per row, the message of its first unreadable argument (in argument order), e.g.
    `Lỗi: ngày sinh không hợp lệ (cần dd/mm/yyyy)`; None where the row reads fine."""
    rank = {name: i for i, name in enumerate(order)}
    first: dict[int, CellIssue] = {}
    for issue in issues:
        kept = first.get(issue.row)
        if kept is None or rank.get(issue.field, 99) < rank.get(kept.field, 99):
            first[issue.row] = issue
    out: list[str | None] = [None] * n
    for row, issue in first.items():
        f = FIELD_BY_NAME[issue.field]
        noun = f.header.split(" (")[0]
        noun = noun[0].lower() + noun[1:]
        hint = HINTS.get(f.kind)
        out[row] = f"Lỗi: {noun} không hợp lệ" + (f" ({hint})" if hint else "")
    return out


# ---------------------------------------------------------------- outputs

def excel_date(day: np.datetime64) -> dt.datetime | None:
    """datetime64 → the naive datetime Excel stores as a date (None for NaT)."""
    if np.isnat(day):
        return None
    return dt.datetime.combine(day.astype("M8[D]").astype(dt.date), dt.time())


@dataclass(frozen=True)
class InsuranceCost:
    value: int
    base_salary: int
    rate_permille: int


def insurance_cost(params: Parameters, month: dt.date) -> InsuranceCost:
    """Monthly health-insurance contribution the budget pays per person (domain.md §1):
    hi_rate_permille × base salary in force that month, whole VND, half up."""
    from xl_support.engine.schedule import insurance_cost as card_cost
    return InsuranceCost(card_cost(params, month), params.value("base_salary", month),
                         params.value("hi_rate_permille", month))
