"""A workbook as the engine sees it: its registers and its `Tham số` settings (design.md contracts).

Everything starts from grids (sheet name → rows of values), so the same code reads a file
(python-calamine / openpyxl) and a live Excel book (xlwings `used_range.value`).
"""
from __future__ import annotations

import csv
import datetime as dt
import gc
import re
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import cache, cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Callable

from xl_support.book.lazy_re import Pattern
from xl_support.book import values as V
from xl_support.engine.parameters import DEFAULT as DEFAULT_PARAMETERS, ParameterError, Parameters
from xl_support.engine.policy import DEFAULT as DEFAULT_GROUPS, Groups
from xl_support.book.register import CellIssue, Register, read_register
from xl_support.book.sheets import LEDGER_SHEET
from xl_support.book.text import header_key, nfkc
from xl_support.engine import data_text

if TYPE_CHECKING:
    from xl_support.book.safe_open import Inflated
    from xl_support.book.ledger import Ledger

SETTINGS_SHEET = "Tham số"
UNIT_TYPE_AREAS = {"Phường": "urban", "Xã": "rural"}     # domain.md §4; Đặc khu: setting
_OVERRIDE = Pattern(r"^(?P<label>.+?)\s+từ\s+(?P<date>\d{1,2}/\d{1,2}/\d{4})\s*$", re.IGNORECASE)
_GROUP_AMOUNT = Pattern(r"^mức hỗ trợ\s+(?:nhóm\s+)?(?P<code>[A-Z0-9-]+)\b", re.IGNORECASE)
_GROUP_INSURANCE = Pattern(r"^(?:hỗ trợ\s+)?bhyt\s+(?:nhóm\s+)?(?P<code>[A-Z0-9-]+)\b", re.IGNORECASE)
LABEL_UNIT = "Đơn vị"
LABEL_UNIT_TYPE = "Loại đơn vị"
LABEL_MONTH = "Tháng báo cáo"
LABEL_SPECIAL_ZONE_AREA = "Khu vực của đặc khu"
LABEL_UNIT_CODE = "Mã đơn vị"   # the unit's code at the social-insurance office (D03-TS header)


@dataclass(frozen=True)
class Unit:
    type: str     # Phường | Xã | Đặc khu
    name: str     # without the type word
    former_area: str = field(default="", compare=False)    # the area it lay in before 2025 (units.csv)

    @property
    def full_name(self) -> str:
        return f"{self.type} {self.name}"


@cache
def units() -> tuple[Unit, ...]:
    """Hải Phòng's 114 commune-level units since 2025-07-01 (NQ 1669/NQ-UBTVQH15)."""
    text = data_text("units.csv")
    return tuple(Unit(r["loai"], r["ten"], r["khu_vuc_cu"]) for r in csv.DictReader(text.splitlines()))


@cache
def _unit_index() -> tuple[dict[str, Unit], dict[str, list[Unit]]]:
    """`units()` by casefolded full name (the first of a name) and by casefolded bare name."""
    by_full: dict[str, Unit] = {}
    by_name: dict[str, list[Unit]] = {}
    for unit in units():
        by_full.setdefault(unit.full_name.casefold(), unit)
        by_name.setdefault(unit.name.casefold(), []).append(unit)
    return by_full, by_name


def find_unit(text: str | None, unit_type: str | None = None) -> Unit | None:
    """`Phường Đồ Sơn`, `Đồ Sơn` (+ type) → the unit; exact Vietnamese spelling (Cẩm Giang ≠ Cẩm Giàng).
    Looked up in `_unit_index` (issue 18.4: not a pass over the 114 units per book)."""
    if not text:
        return None
    key = " ".join(str(text).split()).casefold()
    by_full, by_name = _unit_index()
    if key in by_full:
        return by_full[key]
    matches = [u for u in by_name.get(key, ()) if not unit_type or u.type == unit_type]
    return matches[0] if len(matches) == 1 else None


@dataclass
class Settings:
    """The `Tham số` sheet (design.md "Parameter sheet")."""
    unit_name: str | None = None
    unit_type: str | None = None
    unit: Unit | None = None
    report_month: dt.date | None = None
    special_zone_area: str = "rural"
    unit_code: str | None = None
    params: Parameters = DEFAULT_PARAMETERS
    groups: Groups = DEFAULT_GROUPS
    issues: list[CellIssue] = field(default_factory=list)
    overrides: list[str] = field(default_factory=list)   # Vietnamese lines describing what changed
    found: bool = False

    @property
    def default_area(self) -> str | None:
        """domain.md §4 — phường → urban, xã → rural, đặc khu → setting; the row's area wins."""
        unit_type = self.unit.type if self.unit else self.unit_type
        if unit_type == "Đặc khu":
            return self.special_zone_area
        return UNIT_TYPE_AREAS.get(unit_type or "")


def _cells(grid: list[list]):
    for r, row in enumerate(grid):
        for c, value in enumerate(row):
            if isinstance(value, str) and value.strip():
                yield r + 1, c + 1, nfkc(value).strip(), nfkc(row[c + 1] if c + 1 < len(row) else None)


def read_settings(grid: list[list] | None, sheet: str = SETTINGS_SHEET) -> Settings:
    """Label → value pairs anywhere on the sheet (label in one cell, value to its right)."""
    s = Settings()
    if grid is None:
        return s
    s.found = True
    labels = {header_key(p.label): (p.key, p.area) for p in DEFAULT_PARAMETERS.periods}
    params, groups = DEFAULT_PARAMETERS, DEFAULT_GROUPS

    def issue(row, col, code, message):
        s.issues.append(CellIssue(sheet, row, col + 1, "settings", code, "error", message))

    for row, col, label, value in _cells(grid):
        key = header_key(label)
        try:
            if key == header_key(LABEL_UNIT):
                s.unit_name = V.parse_text(value)
            elif key == header_key(LABEL_UNIT_TYPE):
                s.unit_type = V.parse_text(value)
            elif key == header_key(LABEL_MONTH):
                s.report_month = V.parse_month(value)
            elif key == header_key(LABEL_UNIT_CODE):
                s.unit_code = V.parse_text(value)
            elif key == header_key(LABEL_SPECIAL_ZONE_AREA):
                s.special_zone_area = V.parse_area(value) or "rural"
            elif (m := _OVERRIDE.match(label)) and header_key(m["label"]) in labels and not V.is_blank(value):
                pkey, area = labels[header_key(m["label"])]
                start = V.parse_date(m["date"])
                amount = V.parse_amount(value)
                params.check_plausible(pkey, amount)       # issue 12: outside its bound → error, not used
                if params.value_at(pkey, start, area) != amount:
                    params = params.with_override(pkey, area, start, amount)
                    s.overrides.append(f"{label}: {amount:,}".replace(",", "."))
            elif (m := _GROUP_AMOUNT.match(label)) and groups.get(m["code"].upper()) and not V.is_blank(value):
                amount = V.parse_amount(value)
                params.check_plausible("poverty_line", amount, label)   # a monthly amount: the money bound
                groups = groups.with_amount(m["code"].upper(), amount)
                s.overrides.append(f"{label}: {value}")
            elif (m := _GROUP_INSURANCE.match(label)) and groups.get(m["code"].upper()) and not V.is_blank(value):
                groups = groups.with_insurance(m["code"].upper(), V.parse_yes_no(value))
                s.overrides.append(f"{label}: {value}")
        except V.CellError as e:
            issue(row, col, "SETTINGS_VALUE", f"{label}: {e.message}")
        except ParameterError as e:
            issue(row, col, "SETTINGS_PARAMETER", f"{label}: {e.message}")
    s.unit = find_unit(s.unit_name, s.unit_type)
    if s.unit_name and s.unit is None:
        s.issues.append(CellIssue(sheet, 0, 0, "settings", "UNIT_UNKNOWN", "warning",
                                  f"Đơn vị «{s.unit_name}» không có trong danh sách 114 đơn vị của thành phố"))
    s.params, s.groups = params, groups
    return s


@dataclass
class Book:
    """Registers + settings of one workbook."""
    registers: list[Register]
    settings: Settings
    sheet_names: list[str]
    source: str = ""
    ledger_grid: list[list] | None = None     # `Đã chi trả` as read (issue 17), parsed on first use
    ledger_parsed: "Ledger | None" = field(default=None, repr=False)

    @property
    def ledger(self) -> "Ledger":
        """The `Đã chi trả` rows (issue 17); only the commands that use them parse them."""
        if self.ledger_parsed is None:
            from xl_support.book.ledger import read_ledger
            self.ledger_parsed = read_ledger(self.ledger_grid)
        return self.ledger_parsed

    def closed_months(self) -> list[dt.date]:
        """Months closed in `Đã chi trả` (issue 17), not reopened; read without the ledger's tables."""
        return self.ledger.closed_months() if self.ledger_parsed is not None else self._month_totals[0]

    def paid_by_month(self) -> dict[dt.date, int]:
        """`Đã chi trả`: the amounts paid per month they are for (issue 17 §5)."""
        return self.ledger.paid_by_month() if self.ledger_parsed is not None else self._month_totals[1]

    @cached_property
    def _month_totals(self):
        """`ledger.month_totals` of the grid, read once (summary asks for both facts); a book without
        the sheet closed nothing (the ledger module is not loaded for it)."""
        if not self.ledger_grid:
            return [], {}
        from xl_support.book.ledger import month_totals
        return month_totals(self.ledger_grid)

    def month(self, month: dt.date | None = None) -> dt.date:
        """The month computed: asked, else the report month, else the current month."""
        return (month or self.settings.report_month or dt.date.today()).replace(day=1)


def no_register_message(name: str) -> str:
    """What a button or command says about a book without any register (design.md "Register sheets")."""
    return (f"Sổ «{name}» không có danh sách đối tượng: không sheet nào có dòng tiêu đề chứa cả «Họ và tên» "
            f"và «Mã đối tượng» (hoặc tên tương đương như «Họ tên», «Mã ĐT») trong 30 dòng đầu. "
            f"Không thay đổi gì trong sổ.")


def load_book(grids: dict[str, list[list]], source: str = "") -> Book:
    registers = [r for name, grid in grids.items() if name not in (SETTINGS_SHEET, LEDGER_SHEET)
                 for r in [read_register(name, grid)] if r is not None]
    settings_sheet = next((n for n in grids if header_key(n) == header_key(SETTINGS_SHEET)), None)
    settings = read_settings(grids.get(settings_sheet), settings_sheet or SETTINGS_SHEET)
    return Book(registers=registers, settings=settings, sheet_names=list(grids), source=source,
                ledger_grid=grids.get(LEDGER_SHEET))


@contextmanager
def paused_gc():
    """No cyclic garbage collection while a command reads, computes and writes a book: its
    hundreds of thousands of cell values and row lists live until the end (they form no cycles),
    and collecting over them again and again cost more than the writing itself (issue 18.2), or
    ~2–3 ms a ward book in a consolidation."""
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()


def read_grids(path: str | Path, sheets: list[str] | None = None, *, empty_as_none: bool = True,
               errors: dict | Callable[[], dict] | None = None,
               data: bytes | None = None, skip: frozenset[str] = frozenset(),
               keep: "Inflated | None" = None) -> dict[str, list[list]]:
    """Every sheet's values with python-calamine: the one reading of a book (issue 11.8) — a
    formula's cached value is the value; an error value (`#REF!`, typed or cached) is a
    `values.ExcelError` at its cell, never blank, never text. The file is read once and screened
    (`safe_open.screen_file`: the reader never allocates by a hostile extent), and calamine
    parses the package made of it — the parts the screening inflated, stored: the very bytes
    screened, not inflated again (issue 18 item 4: nothing can change between the screening and
    the reading). `data`: a package a caller has already screened (`read_screened`), or, with
    `keep` (what that screening inflated), the file's bytes it screened. A book in the usual form
    is read from the inflated parts by `xml_grid` into the very grids this gives (issue 18 item
    4), faster: no package is made then. `errors`: the error cells ((row, col, code) by sheet) a
    caller holding the parts gives, or a function giving them — asked only when calamine reads.
    A file the reader still refuses is a `UserFacingError`, never a traceback. Empty cells are
    None; with `empty_as_none=False` they stay calamine's "" (no pass over the grid: `load_book`
    reads both alike — city consolidation, issue 18). Sheets named in `skip` are listed with an
    empty grid, unread."""
    from xl_support.book.safe_open import Inflated, screen_file, stored_package, unreadable
    with_errors: set = {None}    # sheets that may hold error cells (None: not known, look), found by the screening
    if data is None:
        with_errors, keep = set(), Inflated()
        data = screen_file(path, with_errors=with_errors, keep=keep)
    if keep is not None and keep.infos:
        from xl_support.book.xml_grid import book_grids
        grids = book_grids(keep, sheets, skip, blank=None if empty_as_none else "")
        if grids is not None:
            return grids
        data = stored_package(data, keep)
    if callable(errors):
        errors = errors()
    try:
        grids, errors = _calamine_grids(path, data, sheets, skip, with_errors, errors)
    except (KeyboardInterrupt, SystemExit):
        raise
    except BaseException as e:   # noqa: BLE001 — calamine errors and Rust panics (PanicException)
        raise unreadable(path, e) from None
    return _finish_grids(grids, errors, empty_as_none)


def _calamine_grids(path, data: bytes, sheets, skip, with_errors: set, errors) -> tuple[dict, dict]:
    """calamine's `to_python(skip_empty_area=False)` of each sheet asked, and the error cells
    ((row, col, code) by sheet) when the screening found some may exist."""
    import io

    from python_calamine import CalamineWorkbook

    from xl_support.book.xlsx import sheet_error_cells
    source = io.BytesIO(data)
    wb = CalamineWorkbook.from_filelike(source)
    if errors is None:      # a caller holding the parts gives them; not a zip package: none
        errors = sheet_error_cells(source) if with_errors else {}
    out = {}
    for name in wb.sheet_names:
        if sheets is not None and name not in sheets:
            continue
        out[name] = [] if name in skip else wb.get_sheet_by_name(name).to_python(skip_empty_area=False)
    return out, errors


def _finish_grids(grids: dict[str, list[list]], errors: dict, empty_as_none: bool) -> dict[str, list[list]]:
    """Empty cells → None (in place: no second copy of a grid) when asked; error cells put at
    their places as `values.ExcelError`."""
    for name, grid in grids.items():
        if empty_as_none:
            for row in grid:
                if "" in row:
                    for i, v in enumerate(row):
                        if v == "":
                            row[i] = None
        for r, c, code in errors.get(name, ()):
            while len(grid) < r:
                grid.append([])
            line = grid[r - 1]
            if len(line) < c:
                line.extend([None] * (c - len(line)))
            line[c - 1] = V.ExcelError(code)
    return grids


def open_book(path: str | Path) -> Book:
    return load_book(read_grids(path), source=str(path))
