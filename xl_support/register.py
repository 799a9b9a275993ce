"""Register schema (design.md "Register sheets"): find the header row, map columns, type the cells.

Works on a *grid*: the sheet's values as a list of rows (lists), row 1 first, as any reader gives
them (openpyxl, python-calamine, xlwings `used_range.value`). Parsing never guesses: a cell that
cannot be read becomes a `CellIssue` with its row and column, and its row is marked `bad_cell`.
"""
from __future__ import annotations

import csv
import datetime as dt
from dataclasses import dataclass, field
from functools import cache
from importlib import resources

import pandas as pd

from . import values as V
from .text import header_key, id_key, name_key

NQ55, NQ04 = "NQ55", "NQ04"


@dataclass(frozen=True)
class Field:
    name: str
    header: str             # the contract header (design.md)
    kind: str               # text | date | amount | area | group | household | id
    registers: tuple[str, ...] = (NQ55, NQ04)
    required: bool = False  # a contract column: missing → reported
    computed: bool = False
    essential: bool = False  # nothing can be computed without it: missing → error, else warning


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
    Field("stop", "Ngày thôi hưởng", "date", required=True),
    Field("school", "Trường đang học", "text", registers=(NQ55,), required=True),
    Field("note", "Ghi chú", "text"),
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
    "date": V.parse_date, "amount": V.parse_amount, "area": V.parse_area, "group": V.parse_group_code,
    "household": V.parse_household_type, "text": V.parse_text, "id": V.parse_text,
}
HEADER_SCAN_ROWS = 30


@cache
def header_synonyms() -> dict[str, str]:
    """Folded header text → field name (data/header_synonyms.csv, plus every contract header)."""
    text = resources.files("xl_support").joinpath("data/header_synonyms.csv").read_text("utf-8")
    table = {header_key(f.header): f.name for f in FIELDS}
    table.update({header_key(r["header"]): r["field"] for r in csv.DictReader(text.splitlines())})
    return table


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


@dataclass
class Register:
    sheet: str
    kind: str                           # NQ55 | NQ04
    header_row: int                     # Excel row number of the header
    columns: dict[str, int]             # field name → Excel column number
    frame: pd.DataFrame                 # typed columns + 'row' (Excel row) + 'bad_cell'
    raw: dict[str, list]                # field → raw cell values, aligned with frame
    issues: list[CellIssue] = field(default_factory=list)
    width: int = 0                      # columns in the header row (last used)

    def missing_columns(self) -> list[Field]:
        """Contract columns this sheet lacks (`essential` ones make the sheet uncomputable)."""
        return [f for f in INPUT_FIELDS if f.required and self.kind in f.registers and f.name not in self.columns]


def find_header(grid: list[list]) -> tuple[int, dict[str, int]] | None:
    """First row (within the first 30) holding both `Họ và tên` and `Mã đối tượng` (or synonyms)."""
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


def _fast(kind: str):
    """Values that need no parser call: None, and typed dates/text in their usual form."""
    if kind == "date":
        def fast(v):
            t = type(v)
            if t is dt.datetime or t is dt.date:
                return v.date() if t is dt.datetime else v, 1900 <= v.year <= 2100
            return None, False
    elif kind in ("text", "id"):
        def fast(v):
            return (v.strip() or None, True) if type(v) is str else (None, False)
    else:
        def fast(v):
            return None, False
    return fast


def _parse_column(sheet: str, name: str, col: int, rows: list[int], cells: list, issues: list[CellIssue],
                  bad: list[bool]) -> list:
    kind = FIELD_BY_NAME[name].kind
    parse, fast = PARSERS[kind], _fast(kind)
    out = []
    for i, value in enumerate(cells):
        if value is None:
            out.append(None)
            continue
        typed, done = fast(value)
        if done:
            out.append(typed)
            continue
        try:
            out.append(parse(value))
        except V.CellError as e:
            out.append(None)
            bad[i] = True
            issues.append(CellIssue(sheet, rows[i], col, name, "CELL_" + name.upper(), "error",
                                    f"{FIELD_BY_NAME[name].header}: {e.message}"))
    return out


def typed_frame(raw: dict[str, list], rows: list[int], sheet: str = "",
                columns: dict[str, int] | None = None) -> tuple[pd.DataFrame, list[CellIssue]]:
    """Raw cell columns (field → values) → the engine's typed frame and the cells that failed.

    The one conversion used by registers read from sheets and by the worksheet functions.
    """
    columns = columns or {}
    issues: list[CellIssue] = []
    n = len(rows)
    bad = [False] * n
    typed = {name: _parse_column(sheet, name, columns.get(name, 0), rows, cells, issues, bad)
             for name, cells in raw.items() if name in FIELD_BY_NAME and not FIELD_BY_NAME[name].computed}
    frame = pd.DataFrame(typed, index=range(n))
    frame["row"] = rows
    frame["bad_cell"] = bad
    frame["id_key"] = [id_key(v) for v in raw["id"]] if "id" in raw else None
    frame["name_key"] = [name_key(v) if isinstance(v, str) else None for v in typed["name"]] if "name" in typed else None
    return frame, issues


def read_register(sheet: str, grid: list[list]) -> Register | None:
    """A register sheet as typed columns; None when the sheet has no register header."""
    found = find_header(grid)
    if found is None:
        return None
    header_row, columns = found
    data = grid[header_row:]
    input_cols = [c for n, c in columns.items() if not FIELD_BY_NAME[n].computed]
    rows, kept = [], []
    for offset, row in enumerate(data):
        if any(c - 1 < len(row) and not V.is_blank(row[c - 1]) for c in input_cols):
            rows.append(header_row + 1 + offset)
            kept.append(row)
    raw = {n: [r[c - 1] if c - 1 < len(r) else None for r in kept] for n, c in columns.items()}
    kind = _register_kind(columns, raw.get("group", []))
    frame, issues = typed_frame(raw, rows, sheet, columns)
    return Register(sheet=sheet, kind=kind, header_row=header_row, columns=columns, frame=frame, raw=raw,
                    issues=issues, width=_last_used(grid[header_row - 1]))
