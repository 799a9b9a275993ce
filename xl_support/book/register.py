"""Register schema (design.md "Register sheets"): find the header row, map columns, type the cells.

Works on a *grid*: the sheet's values as a list of rows (lists), row 1 first, as any reader gives
them (openpyxl, python-calamine, xlwings `used_range.value`). Parsing never guesses: a cell that
cannot be read becomes a `CellIssue` with its row and column, and its row is marked `bad_cell`.
"""
from __future__ import annotations

import csv
import datetime as dt
import re
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from operator import itemgetter

import numpy as np

from xl_support.book import values as V
from xl_support.book.text import header_key, id_key, nfkc_cells

NQ55, NQ04 = "NQ55", "NQ04"


@dataclass(frozen=True)
class Field:
    name: str
    header: str             # the contract header (design.md)
    kind: str               # text | date | month | amount | area | group | household | id
    registers: tuple[str, ...] = (NQ55, NQ04)
    required: bool = False  # a contract column: missing → reported
    computed: bool = False
    essential: bool = False  # nothing can be computed without it: missing → error, else warning
    template: bool = True    # a column of the template's registers (False: optional, read when present)


FIELDS: tuple[Field, ...] = (
    Field("stt", "STT", "text"),
    Field("name", "Họ và tên", "text", required=True, essential=True),
    Field("birth", "Ngày sinh", "date", required=True, essential=True),
    Field("sex", "Giới tính", "text", required=True),
    Field("id", "Số định danh cá nhân", "id", required=True),
    Field("residential_group", "Tổ dân phố", "text", required=True),
    Field("area", "Khu vực", "area", required=True),
    Field("household_type", "Loại hộ", "household", registers=(NQ04,), required=True),
    Field("group", "Mã đối tượng", "group", required=True, essential=True),
    Field("allowance", "Trợ cấp xã hội đang hưởng (đồng/tháng)", "amount", required=True),
    Field("recognised", "Ngày công nhận thoát nghèo/cận nghèo", "date", required=True),
    Field("mother_birth", "Ngày sinh của mẹ", "date", registers=(NQ55,), required=True),
    Field("decision", "Ngày ký quyết định", "date", required=True, essential=True),
    Field("pay_from", "Chi trả từ tháng", "month"),             # R2, R12: optional
    Field("stop", "Ngày thôi hưởng", "date", required=True),
    Field("stop_pay_from", "Thôi chi trả từ tháng", "month"),   # R12: optional
    Field("school", "Trường đang học", "text", registers=(NQ55,), required=True),
    Field("note", "Ghi chú", "text"),
    # optional (design.md "Optional input headers"): carried into the D03-TS list
    Field("insurance_number", "Mã số BHXH", "id", template=False),
    Field("kcb_place", "Nơi đăng ký KCB ban đầu", "text", template=False),
    Field("benefit", "Mức hỗ trợ (đồng/tháng)", "computed", computed=True),
    Field("topup", "Trong đó bù chênh lệch (đồng/tháng)", "computed", computed=True),
    Field("insurance", "Hỗ trợ BHYT", "computed", computed=True),
    Field("end_date", "Hưởng đến ngày", "computed", computed=True),
    Field("basis", "Căn cứ", "computed", computed=True),
)
FIELD_BY_NAME = {f.name: f for f in FIELDS}
COMPUTED_FIELDS = tuple(f for f in FIELDS if f.computed)
INPUT_FIELDS = tuple(f for f in FIELDS if not f.computed)
PARSERS = {
    "date": V.parse_date, "month": V.parse_month, "amount": V.parse_amount, "area": V.parse_area, "group": V.parse_group_code,
    "household": V.parse_household_type, "text": V.parse_text, "id": V.parse_text,
}
HEADER_SCAN_ROWS = 100


@cache
def _synonym_rows() -> tuple[tuple[str, str], ...]:
    """(field, header) rows of data/header_synonyms.csv."""
    text = resources.files("xl_support.engine").joinpath("data/header_synonyms.csv").read_text("utf-8")
    return tuple((r["field"], r["header"]) for r in csv.DictReader(text.splitlines()))


@cache
def header_synonyms() -> dict[str, str]:
    """Folded header text → field name (data/header_synonyms.csv, plus every contract header)."""
    table = {header_key(f.header): f.name for f in FIELDS}
    table.update({header_key(header): name for name, header in _synonym_rows()})
    return table


def accepted_headers(field: str) -> list[str]:
    """Every header text recognised as `field`: the contract header first, then its synonyms."""
    out = [FIELD_BY_NAME[field].header]
    out += [h for name, h in _synonym_rows() if name == field and header_key(h) != header_key(out[0])]
    return out


def column_letter(col: int) -> str:
    """1 → A, 27 → AA."""
    letters = ""
    while col:
        col, rem = divmod(col - 1, 26)
        letters = chr(65 + rem) + letters
    return letters


@dataclass(frozen=True)
class CellIssue:
    """One problem, pointing at a cell (row/column are Excel's, 1-based)."""
    sheet: str
    row: int
    column: int
    field: str
    code: str
    severity: str           # 'error' | 'warning'
    message: str            # Vietnamese

    @property
    def cell(self) -> str:
        return f"{column_letter(self.column)}{self.row}" if self.column else (str(self.row) if self.row else "")


class Table:
    """A register's typed columns: field name → numpy array (object arrays for texts, codes and
    dates; `row` int64, `bad_cell` bool), all of one length — the engine's input (`rules.people_arrays`)."""
    __slots__ = ("columns", "n")

    def __init__(self, columns: dict[str, np.ndarray], n: int):
        self.columns, self.n = columns, n

    def __len__(self) -> int:
        return self.n

    def __contains__(self, name: str) -> bool:
        return name in self.columns

    def __getitem__(self, name: str) -> np.ndarray:
        return self.columns[name]

    def __iter__(self):
        return iter(self.columns)


def object_array(values: list) -> np.ndarray:
    """A list of scalars as a 1-D object array (never a 2-D one, whatever the values)."""
    out = np.empty(len(values), dtype=object)
    out[:] = values
    return out


@dataclass
class Register:
    sheet: str
    kind: str                           # NQ55 | NQ04
    header_row: int                     # Excel row number of the header
    columns: dict[str, int]             # field name → Excel column number
    table: Table                        # typed columns + 'row' (Excel row) + 'bad_cell' + 'id_key'
    raw: dict[str, list]                # field → raw cell values, aligned with table
    issues: list[CellIssue] = field(default_factory=list)
    width: int = 0                      # columns in the header row (last used)
    first_row: int = 0                  # first row below the header that may hold data (0: header_row + 1)

    def missing_columns(self) -> list[Field]:
        """Contract columns this sheet lacks (`essential` ones make the sheet uncomputable)."""
        return [f for f in INPUT_FIELDS if f.required and self.kind in f.registers and f.name not in self.columns]


_COLUMN_NUMBER = re.compile(r"^\(?\s*(?:\d{1,2}|[A-Z])\s*\)?$")


def numbering_row(row: list) -> bool:
    """A row of column numbers printed under the header of official forms — `(1) (2) (3)…`,
    `1 2 3…`, `A B 1 2…` — is not a register row (at least three cells, nothing else in it)."""
    cells = [v for v in row if not V.is_blank(v)]
    if len(cells) < 3:
        return False
    for v in cells:
        if isinstance(v, (int, float)) and not isinstance(v, bool) and float(v).is_integer() and 0 < v < 100:
            continue
        if isinstance(v, str) and _COLUMN_NUMBER.match(v.strip()):
            continue
        return False
    return True


def find_header(grid: list[list]) -> tuple[int, dict[str, int]] | None:
    """First row (within the first 100) holding both `Họ và tên` and `Mã đối tượng` (or synonyms)."""
    synonyms = header_synonyms()
    for r, row in enumerate(grid[:HEADER_SCAN_ROWS]):
        columns: dict[str, int] = {}
        for c, value in enumerate(row):
            if isinstance(value, str) and value.strip():
                name = synonyms.get(header_key(value))
                if name and name not in columns:
                    columns[name] = c + 1
        if "name" in columns and "group" in columns:
            return r + 1, columns
    return None


def _last_used(row: list) -> int:
    for c in range(len(row), 0, -1):
        if not V.is_blank(row[c - 1]):
            return c
    return 0


def _register_kind(columns: dict[str, int], codes: list) -> str:
    if "household_type" in columns:
        return NQ04
    if "mother_birth" in columns or "school" in columns:
        return NQ55
    hn = sum(1 for c in codes if isinstance(c, str) and c.upper().startswith("HN"))
    return NQ04 if hn > len(codes) / 2 else NQ55


_MISSING = object()
_DATE, _DATETIME = dt.date, dt.datetime


def _parse_dates(cells: list, out: list, failed: list) -> None:
    """Date cells: typed dates of years 1900–2100 are taken as they are, the rest go through
    `values.parse_date` (same result, without a call per cell); "" is an empty cell."""
    for i, v in enumerate(cells):
        if v is None or v == "":
            continue
        t = v.__class__
        if (t is _DATE or t is _DATETIME) and 1900 <= v.year <= 2100:
            out[i] = v.date() if t is _DATETIME else v
        else:
            failed.append(i)


def _parse_texts(cells: list, out: list, failed: list) -> None:
    """Text cells: stripped (blank → None); whole numbers as `values.parse_text` gives them
    (1.0 → "1"); other values go through `values.parse_text`."""
    for i, v in enumerate(cells):
        if v is None:
            continue
        t = v.__class__
        if t is str:
            out[i] = v.strip() or None
        elif t is int or (t is float and v.is_integer()):
            out[i] = str(int(v))
        else:
            failed.append(i)


def _parse_column(sheet: str, name: str, col: int, rows: list[int], cells: list, issues: list[CellIssue],
                  bad: list[bool]) -> list:
    """One column through its `values` parser (each distinct value parsed once: the parsers are
    pure functions of the value and its type)."""
    kind = FIELD_BY_NAME[name].kind
    parse = PARSERS[kind]
    out = [None] * len(cells)
    pending: list[int] = []
    if kind == "date":
        _parse_dates(cells, out, pending)
    elif kind in ("text", "id"):
        _parse_texts(cells, out, pending)
    else:
        pending = [i for i, v in enumerate(cells) if v is not None]
    memo: dict = {}
    repeats = kind not in ("date", "text", "id")      # codes and amounts repeat; row numbers, dates less
    for i in pending:
        value = cells[i]
        cls = value.__class__
        # memo only where equal values print alike (not 0.0 / -0.0, not time zones)
        key = (cls, value) if repeats and (cls is str or cls is int or (cls is float and value)) else None
        hit = _MISSING if key is None else memo.get(key, _MISSING)
        if hit is _MISSING:
            try:
                hit = parse(value)
            except V.CellError as e:
                hit = e
            if key is not None:
                memo[key] = hit
        if hit.__class__ is V.CellError:
            bad[i] = True
            issues.append(CellIssue(sheet, rows[i], col, name, "CELL_" + name.upper(), "error",
                                    f"{FIELD_BY_NAME[name].header}: {hit.message}"))
        else:
            out[i] = hit
    return out


def _id_keys(values: list) -> list:
    """`text.id_key` of each value (a text of ASCII digits is its own key)."""
    return [v if v.__class__ is str and v.isascii() and v.isdigit() else id_key(v) for v in values]


def typed_table(raw: dict[str, list], rows: list[int], sheet: str = "",
                columns: dict[str, int] | None = None, *, normalised: bool = False) -> tuple[Table, list[CellIssue]]:
    """Raw cell columns (field → values) → the engine's typed table and the cells that failed.

    The one conversion used by registers read from sheets and by the worksheet functions
    (`normalised`: the texts are already in `nfkc` form, as `read_register` gives them).
    """
    columns = columns or {}
    if not normalised:
        raw = {name: nfkc_cells(cells) for name, cells in raw.items()}     # issue 12: one text form
    issues: list[CellIssue] = []
    n = len(rows)
    bad = [False] * n
    typed = {name: object_array(_parse_column(sheet, name, columns.get(name, 0), rows, cells, issues, bad))
             for name, cells in raw.items() if name in FIELD_BY_NAME and not FIELD_BY_NAME[name].computed}
    typed["row"] = np.array(rows, dtype=np.int64)
    typed["bad_cell"] = np.array(bad, dtype=bool)
    typed["id_key"] = object_array(_id_keys(raw["id"]) if "id" in raw else [None] * n)
    return Table(typed, n), issues


def _column(data: list[list], col: int, width: int) -> list:
    """Column `col` (1-based) of the rows; rows too short give None."""
    i = col - 1
    if i < width:
        return list(map(itemgetter(i), data))
    return [r[i] if i < len(r) else None for r in data]


def read_register(sheet: str, grid: list[list]) -> Register | None:
    """A register sheet as typed columns; None when the sheet has no register header."""
    found = find_header(grid)
    if found is None:
        return None
    header_row, columns = found
    first = header_row + 1
    if len(grid) > header_row and numbering_row(grid[header_row]):
        first += 1
    data = grid[first - 1:]
    input_cols = [c - 1 for n, c in columns.items() if not FIELD_BY_NAME[n].computed]
    rows, kept = [], []
    for offset, row in enumerate(data):          # a row with any input cell filled
        size = len(row)
        for i in input_cols:
            if i < size:
                v = row[i]
                if v is not None and not (isinstance(v, str) and not v.strip()):     # not V.is_blank(v)
                    rows.append(first + offset)
                    kept.append(row)
                    break
    width = min(map(len, kept)) if kept else 0
    raw = {n: nfkc_cells(_column(kept, c, width)) for n, c in columns.items()}
    kind = _register_kind(columns, raw.get("group", []))
    table, issues = typed_table(raw, rows, sheet, columns, normalised=True)
    return Register(sheet=sheet, kind=kind, header_row=header_row, columns=columns, table=table, raw=raw,
                    issues=issues, width=_last_used(grid[header_row - 1]), first_row=first)
