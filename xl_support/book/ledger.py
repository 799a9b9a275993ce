"""The ledger sheet `Đã chi trả` (issue 17): what was actually paid, one row per person and month
paid for, written when a month is closed (`operations.cycle.close_month`) and read back here as
typed rows (a grid → `Rows`, numpy columns like registers; no pandas: issue 18.5).

Layout (owned, hidden, protected without a password): title in A1, a note in A2, the header in
row 3, payment rows from row 4 (`LEDGER_COLUMNS`); the closed-months table sits to the right of
it (`MONTH_COLUMNS`, same header row). A row of kind *Truy thu* lists a recovery for the clerk:
it is never counted as paid (`Ledger.paid`).
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import numpy as np

from xl_support.book import values as V
from xl_support.book.register import Table
from xl_support.book.sheets import LEDGER_SHEET, SheetSpec
from xl_support.book.text import header_key, id_key, name_key

HEADER_ROW = 3
KIND_MONTH, KIND_ARREARS, KIND_RECOVERY = "Tháng", "Truy lĩnh", "Truy thu"
PAID_KINDS = (KIND_MONTH, KIND_ARREARS)      # what reached the person; Truy thu is a notice
REPLACED = "Đã thay thế"                     # state of rows of a reopened month

# (field, header, kind): kind drives how the cell is read back and formatted
LEDGER_COLUMNS = (
    ("paid_in", "Kỳ chi trả", "month"),
    ("month", "Tháng được hưởng", "month"),
    ("kind", "Loại", "text"),
    ("id", "Số định danh cá nhân", "id"),
    ("name", "Họ và tên", "text"),
    ("birth", "Ngày sinh", "date"),
    ("residential_group", "Tổ dân phố", "text"),
    ("sheet", "Sổ", "text"),
    ("row", "Dòng", "int"),
    ("register", "Nghị quyết", "text"),
    ("group", "Nhóm", "text"),
    ("area", "Khu vực", "area"),
    ("allowance", "Trợ cấp đang hưởng (đồng)", "allowance"),
    ("decision", "Ngày ký quyết định", "date"),
    ("stop", "Ngày thôi hưởng", "date"),
    ("pay_from", "Chi trả từ tháng", "month"),
    ("stop_pay_from", "Thôi chi trả từ tháng", "month"),
    ("amount", "Số tiền (đồng)", "int"),
    ("entitled", "Được hưởng theo sổ (đồng)", "int"),
    ("recorded", "Đã chi trả trước đó (đồng)", "int"),
    ("topup", "Trong đó bù chênh lệch (đồng)", "int"),
    ("insurance", "Hỗ trợ BHYT", "yesno"),
    ("insurance_cost", "Tiền BHYT (đồng)", "int"),
    ("reason", "Lý do", "text"),
    ("params", "Tham số áp dụng", "text"),
    ("version", "Phiên bản", "text"),
    ("closed_on", "Ngày chốt", "date"),
    ("state", "Trạng thái", "text"),
)
MONTH_COLUMNS = (
    ("closed", "Tháng đã chốt", "month"),
    ("closed_on", "Ngày chốt", "date"),
    ("version", "Phiên bản", "text"),
    ("people", "Số người", "int"),
    ("total", "Tổng tiền (đồng)", "int"),
    ("state", "Trạng thái", "text"),
)
MONTH_TABLE_COL = len(LEDGER_COLUMNS) + 2          # one empty column between the two tables
LEDGER_FIELDS = tuple(f for f, _, _ in LEDGER_COLUMNS)
MONTH_FIELDS = tuple(f for f, _, _ in MONTH_COLUMNS)
AREA_TEXT = {"urban": "Thành thị", "rural": "Nông thôn"}
_FORMATS = {"date": "dd/mm/yyyy", "month": "mm/yyyy"}   # dates only: a format per cell is costly to write


def person_keys(ids, names, births) -> list[str]:
    """domain.md R11 — one key per person: the personal ID; without an ID, name and birth date."""
    return [("ID " + i) if i.__class__ is str and i else
            f"TÊN {name_key(n or '')} {b.isoformat() if isinstance(b, dt.date) else ''}"
            for i, n, b in zip(ids, names, births)]


class Rows(Table):
    """A `Table` whose rows can be selected: `rows["name"]` is a column, `rows[mask]` or
    `rows[positions]` the rows chosen (the ledger's and the arrears' table work, issue 18.5)."""
    __slots__ = ()

    def __getitem__(self, key):
        if isinstance(key, str):
            return self.columns[key]
        index = np.asarray(key)
        if index.dtype != bool:
            index = index.astype(np.intp)
        columns = {c: v[index] for c, v in self.columns.items()}
        return Rows(columns, int(index.sum()) if index.dtype == bool else len(index))

    @classmethod
    def of(cls, columns: dict) -> "Rows":
        """Columns of equal length (sequences of scalars become object arrays)."""
        columns = {c: v if isinstance(v, np.ndarray) else np.fromiter(v, dtype=object, count=len(v))
                   for c, v in columns.items()}
        return cls(columns, len(next(iter(columns.values()))) if columns else 0)

    @classmethod
    def empty(cls, names) -> "Rows":
        return cls({c: np.empty(0, dtype=object) for c in names}, 0)

    def records(self, *names: str) -> list[list]:
        """One list per row: the values of the named columns."""
        return [list(r) for r in zip(*(self.columns[c].tolist() for c in names))]

    def concat(self, *others: "Rows") -> "Rows":
        """These rows, then the others' (same columns)."""
        parts = [self, *others]
        return Rows({c: np.concatenate([p.columns[c] for p in parts]) for c in self.columns}, sum(map(len, parts)))


def is_in(values, options) -> np.ndarray:
    """Per value: one of `options` (a bool mask)."""
    options = set(options)
    return np.fromiter((v in options for v in values), dtype=bool, count=len(values))


@dataclass
class Ledger:
    """The rows of `Đã chi trả` (LEDGER_FIELDS, typed: object columns) and its closed-months table."""
    rows: Rows
    months: Rows
    issues: list[str] = field(default_factory=list)

    @property
    def active(self) -> Rows:
        """Rows not replaced by a reopening (the state of a live row is blank)."""
        return self.rows[self._live()]

    @property
    def paid(self) -> Rows:
        """Active rows that were paid (the month's amount and arrears; recoveries are notices)."""
        return self.rows[self._live() & is_in(self.rows["kind"], PAID_KINDS)]

    def _live(self) -> np.ndarray:
        return np.fromiter(map(_live, self.rows["state"]), dtype=bool, count=len(self.rows))

    def closed_months(self) -> list[dt.date]:
        """Months closed and not reopened, in order."""
        return _closed_months(self.months["closed"], self.months["state"])

    def paid_by_month(self) -> dict[dt.date, int]:
        """The amounts paid (active rows of PAID_KINDS) per month they are for."""
        r = self.rows
        return _paid_by_month(r["month"], r["kind"], r["amount"], r["state"])

    def with_rows(self, rows: Rows, month_row: dict) -> "Ledger":
        entry = Rows.of({f: [month_row.get(f)] for f in MONTH_FIELDS})
        return Ledger(rows=self.rows.concat(rows) if len(self.rows) else rows, months=self.months.concat(entry),
                      issues=list(self.issues))

    def replace_month(self, month: dt.date, when: dt.date) -> "Ledger":
        """A reopening: the month's rows and entry stay, marked replaced (issue 17: never lost)."""
        mark = f"{REPLACED} ngày {when:%d/%m/%Y}"

        def marked(table: Rows, key: str) -> Rows:
            state = table["state"].copy()
            live = np.fromiter((not (isinstance(s, str) and s.startswith(REPLACED)) for s in state), dtype=bool,
                               count=len(state))
            state[live & (table[key] == month)] = mark
            return Rows({**table.columns, "state": state}, len(table))
        return Ledger(rows=marked(self.rows, "paid_in"), months=marked(self.months, "closed"),
                      issues=list(self.issues))


def empty_ledger() -> Ledger:
    return Ledger(rows=Rows.empty(LEDGER_FIELDS), months=Rows.empty(MONTH_FIELDS))


def _reader(kind: str):
    if kind == "month":
        return V.parse_month
    if kind == "date":
        return V.parse_date
    if kind == "int":
        def amount(v):
            if type(v) is int:
                return v
            if type(v) is float and v.is_integer():
                return int(v)
            return V.parse_amount(v)
        return amount
    if kind == "id":
        return id_key
    if kind == "yesno":
        return lambda v: isinstance(v, str) and header_key(v) == "co"
    if kind == "area":
        return V.parse_area
    if kind == "allowance":            # blank = none entered (−1, as the engine's People)
        amount = _reader("int")
        return lambda v: -1 if V.is_blank(v) else amount(v)
    return V.parse_text


def _live(state) -> bool:
    """A row or closed month not replaced by a reopening: its state is blank."""
    return state is None or state == "" or (isinstance(state, float) and state != state)


def _closed_months(closed, states) -> list[dt.date]:
    """Months closed and not reopened, in order."""
    return sorted({d for d, s in zip(closed, states)
                   if isinstance(d, dt.date) and (_live(s) or not str(s).startswith(REPLACED))})


def _paid_by_month(months, kinds, amounts, states) -> dict[dt.date, int]:
    """The amounts of the live rows of PAID_KINDS, per month they are for."""
    out: dict[dt.date, int] = {}
    for m, kind, amount, state in zip(months, kinds, amounts, states):
        if _live(state) and kind in PAID_KINDS and isinstance(amount, int):
            out[m] = out.get(m, 0) + amount
    return out


def _columns(grid: list[list], header: list, columns, col0: int, col1: int, issues: list[str]) -> dict[str, list]:
    """Rows below the header of one table (its columns, 0-based col0 ≤ c < col1, found by header
    text) → typed columns; rows whose first column is empty are left out."""
    keys = {header_key(str(h)): c for c, h in enumerate(header) if col0 <= c < col1 and isinstance(h, str)}
    data = {}
    body = grid[HEADER_ROW:]
    for name, title, kind in columns:
        c = keys.get(header_key(title))
        read = _reader(kind)
        cells = [line[c] if c is not None and c < len(line) else None for line in body]
        seen: dict = {}                     # a ledger repeats months, dates, IDs, names: parse each once
        values = []
        for r, v in enumerate(cells):
            try:
                values.append(seen[v])
                continue
            except (KeyError, TypeError):
                pass
            try:
                out = read(v)
            except V.CellError as e:
                issues.append(f"«{LEDGER_SHEET}» dòng {HEADER_ROW + 1 + r}, cột «{title}»: {e.message}")
                out = None
            try:
                seen[v] = out
            except TypeError:
                pass
            values.append(out)
        data[name] = values
    keep = [i for i, v in enumerate(data[columns[0][0]]) if v is not None]
    return {name: [values[i] for i in keep] for name, values in data.items()}


def _table(grid: list[list], header: list, columns, col0: int, col1: int, issues: list[str]) -> Rows:
    return Rows.of(_columns(grid, header, columns, col0, col1, issues))


def month_totals(grid: list[list] | None) -> tuple[list[dt.date], dict[dt.date, int]]:
    """The closed months (not reopened) and the amounts paid per month they are for, read from the
    sheet's grid without building the ledger's tables (what `Tổng hợp` and the city need)."""
    if not grid or len(grid) < HEADER_ROW:
        return [], {}
    header, issues = list(grid[HEADER_ROW - 1]), []
    pick = {f: (f, t, k) for f, t, k in (*LEDGER_COLUMNS, *MONTH_COLUMNS)}
    rows = _columns(grid, header, [pick[f] for f in ("paid_in", "month", "kind", "amount", "state")], 0,
                    MONTH_TABLE_COL - 1, issues)
    months = _columns(grid, header, [MONTH_COLUMNS[0], *(c for c in MONTH_COLUMNS if c[0] == "state")],
                      MONTH_TABLE_COL - 1, len(header), issues)
    return (_closed_months(months["closed"], months["state"]),
            _paid_by_month(rows["month"], rows["kind"], rows["amount"], rows["state"]))


def read_ledger(grid: list[list] | None) -> Ledger:
    """The sheet's grid → typed rows; an absent sheet is an empty ledger."""
    if not grid or len(grid) < HEADER_ROW:
        return empty_ledger()
    header = list(grid[HEADER_ROW - 1])
    issues: list[str] = []
    rows = _table(grid, header, LEDGER_COLUMNS, 0, MONTH_TABLE_COL - 1, issues)
    months = _table(grid, header, MONTH_COLUMNS, MONTH_TABLE_COL - 1, len(header), issues)
    return Ledger(rows=rows, months=months, issues=issues)


def _cell(value, kind: str):
    if value is None or value != value:         # NaN, NaT: empty
        return None
    if kind == "month":          # a real date shown mm/yyyy: Excel would turn the text 10/2026 into a date anyway
        return value
    if kind == "yesno":
        return "Có" if value else "Không"
    if kind == "area":
        return AREA_TEXT.get(value, value)
    if kind == "allowance":
        return None if value is None or int(value) < 0 else int(value)
    if kind == "int":
        return int(value)
    return value


def ledger_sheet(ledger: Ledger) -> SheetSpec:
    """The owned sheet: hidden, protected without a password (not edited by accident)."""
    spec = SheetSpec(LEDGER_SHEET, hidden=True, protected=True, landscape=True, fit_width=False,
                     freeze=f"A{HEADER_ROW + 1}")
    spec.put(1, 1, [["Đã chi trả — sổ ghi các tháng đã chốt (do chương trình ghi, không sửa tay)"]],
             bold=True, size=13)
    spec.put(2, 1, [["Mỗi dòng: một người, một tháng được hưởng, số tiền đã chi trả trong kỳ chốt. "
                     "Chốt lại một tháng (mở lại) giữ các dòng cũ, ghi «Đã thay thế»."]])
    spec.put(HEADER_ROW, 1, [[t for _, t, _ in LEDGER_COLUMNS]], bold=True, fill="DDEBF7", wrap=True)
    spec.put(HEADER_ROW, MONTH_TABLE_COL, [[t for _, t, _ in MONTH_COLUMNS]], bold=True, fill="DDEBF7", wrap=True)
    body = [[_cell(v, k) for v, (_, _, k) in zip(r, LEDGER_COLUMNS)]
            for r in ledger.rows.records(*LEDGER_FIELDS)]
    if body:
        spec.put(HEADER_ROW + 1, 1, body)
    months = [[_cell(v, k) for v, (_, _, k) in zip(r, MONTH_COLUMNS)]
              for r in ledger.months.records(*MONTH_FIELDS)]
    if months:
        spec.put(HEADER_ROW + 1, MONTH_TABLE_COL, months)
    for cols, first, n in ((LEDGER_COLUMNS, 1, len(body)), (MONTH_COLUMNS, MONTH_TABLE_COL, len(months))):
        for j, (_, title, kind) in enumerate(cols):
            spec.widths[first + j] = 28 if title in ("Tham số áp dụng", "Lý do") else 13
            if kind in _FORMATS and n:
                spec.style(HEADER_ROW + 1, first + j, n, 1, number_format=_FORMATS[kind])
    spec.heights[HEADER_ROW] = 45
    return spec
