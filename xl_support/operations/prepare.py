"""*Chuẩn bị sổ* / `prepare BOOK -o OUT` (issue 15): make a ward's own register workbook ready for
the add-in, changing no input cell.

Written once over the book port (`book/ports.BookPort`), like compute and validate:
- registers are found by the register contract and its header synonyms (`book/register.py`),
  whatever their sheet names, title rows and column order;
- each computed column the register lacks is appended to the RIGHT of everything the sheet uses
  from the header row down, after one empty column (never inside the register, never moving a
  cell: sorting or filtering the register never takes in a spilled column), with its header in
  the header row and one live column formula in the first data row (`template_layout.
  a1_column_formula`: A1 ranges of the register's own columns down to the last row + `ROOM`, so
  rows typed later are computed too; a non-Table register has no structured references). Excel
  365 spills it; the port writes it as a dynamic array;
- a `Tham số` sheet (laid out like the template's: `book/settings_layout.py`) and a hidden
  `xlwings.conf` (`UDF Modules = udfs`, the install bundle's interpreter) are added when missing;
  an existing `Tham số` is kept as it is and the formulas point at it;
- headers it does not recognise are reported with the names that would match, and missing
  contract columns with the names accepted for them.
A second run finds every column and sheet in place and changes nothing.
"""
from __future__ import annotations

import datetime as dt
import difflib
from dataclasses import dataclass, field

from xl_support.book import settings_layout as S
from xl_support.book.fileio import UserFacingError
from xl_support.book.ports import BookPort
from xl_support.book.register import (COMPUTED_FIELDS, FIELD_BY_NAME, Field, NQ55, Register, _last_used,
                                      accepted_headers, column_letter, header_synonyms)
from xl_support.book.sheets import Block, ListValidation, SheetSpec, quote_sheet
from xl_support.book.template_layout import COMPUTED_WIDTHS, CONF_SHEET, a1_column_formula, xlwings_conf
from xl_support.book.text import header_key
from xl_support.operations.compute import FORMATS            # number formats of the computed columns
from xl_support.book.workbook import (LABEL_MONTH, LABEL_SPECIAL_ZONE_AREA, LABEL_UNIT, LABEL_UNIT_TYPE,
                                      SETTINGS_SHEET, Unit, load_book, no_register_message, units)

ROOM = 500                      # rows below the last register row the formulas already cover
GAP = 1                         # empty columns between the register and the computed columns: Excel's
                                # current region (Sort, Filter, Ctrl+A, a Table's auto-expansion) then
                                # stops at the register and never takes in part of a spilled result
SETTINGS_LAST_ROW = 120         # the `tham_so` range of a sheet made here: A1:D120 (room for overrides)
MESSAGE_BOX_LIMIT = 1000        # characters of a report shown in Excel's message box (MsgBox: ~1,024)
COMPUTED_FILL = "E7E6E6"        # the template's colour of computed headers
HEADER_FILL, INPUT_FILL = "D9E1F2", "FFF2CC"
UNIT_LIST_COL = 11              # column K of `Tham số`: the 114 units, source of the Đơn vị drop-down


class NoRegisterError(UserFacingError):
    """The book has no register: nothing to prepare."""


@dataclass
class RegisterPrep:
    """What *Chuẩn bị sổ* found and did in one register."""
    sheet: str
    kind: str
    header_row: int
    rows: int
    added: list[tuple[str, int]] = field(default_factory=list)            # (header, column)
    kept: list[str] = field(default_factory=list)                         # computed headers already there
    missing: list[Field] = field(default_factory=list)                    # contract input columns absent
    unknown: list[tuple[str, str, list[str]]] = field(default_factory=list)  # (cell, header, fields it may be)


@dataclass
class PrepareReport:
    book: str
    registers: list[RegisterPrep]
    settings_sheet: str
    settings_added: bool
    conf_added: bool
    unit: Unit | None = None

    @property
    def changed(self) -> bool:
        return self.settings_added or self.conf_added or any(r.added for r in self.registers)

    def lines(self) -> list[str]:
        """What was done first (registers, sheets added), then what was not recognised."""
        out, details = [], []
        for r in self.registers:
            where = (f"Sheet «{r.sheet}» (danh sách NQ {'55' if r.kind == NQ55 else '04'}, tiêu đề ở dòng "
                     f"{r.header_row}, {r.rows} dòng)")
            if r.added:
                cols = ", ".join(f"«{h}» (cột {column_letter(c)})" for h, c in r.added)
                out.append(f"{where}: thêm {len(r.added)} cột tính tự động bằng công thức HP_: {cols}.")
                if r.kept:
                    out.append(f"  Các cột đã có được giữ nguyên: {', '.join('«' + h + '»' for h in r.kept)}.")
            else:
                out.append(f"{where}: đã có đủ các cột tính, giữ nguyên.")
            for cell, header, fields in r.unknown:
                if fields:
                    names = "; ".join(f"«{FIELD_BY_NAME[f].header}» (nhận các tên: "
                                      f"{_some_names(f)})" for f in fields)
                    details.append(f"«{r.sheet}»: chưa nhận ra cột «{header}» (ô {cell}): có phải là {names}? "
                                   f"Đổi tiêu đề thành một trong các tên đó rồi bấm lại «Chuẩn bị sổ». "
                                   f"Cột này được giữ nguyên.")
                else:
                    details.append(f"«{r.sheet}»: cột «{header}» (ô {cell}) không thuộc mẫu danh sách: giữ "
                                   f"nguyên, không dùng để tính.")
            for f in r.missing:
                details.append(f"«{r.sheet}»: thiếu cột «{f.header}» (nhận các tên: "
                               f"{_some_names(f.name)})"
                               + (": chưa tính được khi thiếu cột này." if f.essential else "."))
        if self.settings_added:
            unit = self.unit.full_name if self.unit else "chưa chọn – hãy chọn ở ô B5"
            out.append(f"Thêm sheet «{self.settings_sheet}» (Đơn vị: {unit}; Tháng báo cáo ở ô B7).")
        else:
            out.append(f"Dùng sheet «{self.settings_sheet}» có sẵn (giữ nguyên).")
        if self.conf_added:
            out.append(f"Thêm sheet ẩn «{CONF_SHEET}» (cấu hình để chạy các hàm HP_).")
        if not self.changed:
            out.append("Sổ đã sẵn sàng: không thay đổi gì.")
        return out + details

    def text(self, limit: int | None = None) -> str:
        """The report; with `limit` (Excel's message box shows about 1,024 characters) whole lines
        up to that length and a last line saying how many were left out."""
        lines = [f"Chuẩn bị sổ «{self.book}»:"] + self.lines()
        if limit is not None and len("\n".join(lines)) > limit:
            kept, size = [], 0
            for line in lines:
                if size + len(line) + 1 > limit - 80:
                    break
                kept.append(line)
                size += len(line) + 1
            kept.append(f"… và {len(lines) - len(kept)} dòng nữa: sửa các tiêu đề nêu trên rồi bấm lại «Chuẩn bị sổ».")
            lines = kept
        return "\n".join(lines)


def _some_names(field: str, most: int = 3) -> str:
    """A few of the header names a field accepts (a message box shows about 1,024 characters)."""
    names = accepted_headers(field)
    return ", ".join(names[:most]) + (", …" if len(names) > most else "")


# ---------------------------------------------------------------- what is in the book

def right_edge(grid: list[list], header_row: int) -> int:
    """The last column used anywhere from the header row down (new columns go after it)."""
    return max((_last_used(row) for row in grid[header_row - 1:]), default=0)


def unknown_headers(grid: list[list], reg: Register) -> list[tuple[str, str, list[str]]]:
    """Header cells no synonym matches: (cell, text, up to two fields whose names are close: a known
    name the header starts with, e.g. «Ngày sinh (dd/mm/yyyy)», first; then similar spellings)."""
    synonyms = header_synonyms()
    used = set(reg.columns)
    out = []
    for c, value in enumerate(grid[reg.header_row - 1], 1):
        if not isinstance(value, str) or not value.strip() or header_key(value) in synonyms:
            continue
        key = header_key(value)
        prefixed = [k for k in synonyms if key.startswith(k + " ") or k.startswith(key + " ")]
        close = sorted(prefixed, key=len, reverse=True) + difflib.get_close_matches(key, list(synonyms), n=6,
                                                                                     cutoff=0.6)
        fields = []
        for key in close:
            name = synonyms[key]
            if name not in fields and name not in used and not FIELD_BY_NAME[name].computed:
                fields.append(name)
        out.append((f"{column_letter(c)}{reg.header_row}", value.strip(), fields[:2]))
    return out


def settings_range(sheet: str, grid: list[list] | None) -> str:
    """The `tham_so` argument: label/value columns A:D of the parameter sheet, every used row."""
    last = max(SETTINGS_LAST_ROW, len(grid or []))
    return f"{quote_sheet(sheet)}!$A$1:$D${last}"


# ---------------------------------------------------------------- sheets written here

def settings_spec(unit: Unit | None = None, month: dt.date | None = None, name: str = SETTINGS_SHEET) -> SheetSpec:
    """A `Tham số` sheet laid out like the template's (labels in A, values in B from row 5)."""
    spec = SheetSpec(name, widths={1: 44, 2: 24, 3: 13, 4: 70, UNIT_LIST_COL: 30}, landscape=True,
                     print_title_rows="4:4", freeze="A5")
    spec.put(1, 1, [["THAM SỐ TÍNH HỖ TRỢ"]], bold=True, size=14)
    spec.put(2, 1, [["Nhập ở cột «Giá trị» (nền vàng). Khi có văn bản mới: sửa giá trị của dòng có cùng ngày "
                     "hiệu lực, hoặc thêm ở cuối bảng một dòng «<tên tham số> từ dd/mm/yyyy» với giá trị mới."]])
    spec.put(4, 1, [["Thông tin đơn vị", "Giá trị", None, "Ghi chú"]], bold=True, fill=HEADER_FILL)
    values = {LABEL_UNIT: unit.full_name if unit else None, LABEL_UNIT_TYPE: unit.type if unit else None,
              LABEL_MONTH: month.replace(day=1) if month else None}
    for row, (label, default, note) in enumerate(S.UNIT_ROWS, S.UNIT_FIRST_ROW):
        spec.put(row, 1, [[label, values.get(label, default), None, note]], wrap=True)
        spec.style(row, 2, fill=INPUT_FILL, number_format="mm/yyyy" if label == LABEL_MONTH else None)
    rows_of = {label: r for r, (label, _d, _n) in enumerate(S.UNIT_ROWS, S.UNIT_FIRST_ROW)}
    names = [u.full_name for u in units()]
    spec.put(4, UNIT_LIST_COL, [["Danh sách 114 đơn vị (nguồn của ô Đơn vị)"]], bold=True, fill=HEADER_FILL)
    spec.put(5, UNIT_LIST_COL, [[n] for n in names])
    letter = column_letter(UNIT_LIST_COL)
    spec.validations += [
        ListValidation(rows_of[LABEL_UNIT], 2, f"${letter}$5:${letter}${4 + len(names)}",
                       "Chọn đơn vị trong danh sách 114 đơn vị của thành phố."),
        ListValidation(rows_of[LABEL_UNIT_TYPE], 2, '"' + ",".join(S.UNIT_TYPES) + '"'),
        ListValidation(rows_of[LABEL_SPECIAL_ZONE_AREA], 2, '"Thành thị,Nông thôn"'),
    ]
    row = S.PERIODS_HEADER_ROW
    spec.put(row, 1, [list(S.PERIODS_HEADER)], bold=True, fill=HEADER_FILL)
    for p in S.period_rows():
        row += 1
        spec.put(row, 1, [[p.override_label, p.value, p.end, p.legal_ref]], wrap=True)
        spec.style(row, 2, fill=INPUT_FILL, number_format="#,##0")
        spec.style(row, 3, number_format="dd/mm/yyyy")
    window = S.policy_window()
    row += 1
    spec.put(row, 1, [[S.WINDOW_LABEL, window.start, window.end, window.legal_ref]], wrap=True)
    spec.style(row, 2, 1, 2, number_format="dd/mm/yyyy")
    row += 2
    spec.put(row, 1, [list(S.GROUPS_HEADER)], bold=True, fill=HEADER_FILL)
    for label, group_label, kind in S.unconfirmed_group_rows():
        row += 1
        spec.put(row, 1, [[label, None, None, group_label]], wrap=True)
        spec.style(row, 2, fill=INPUT_FILL, number_format="#,##0" if kind == "amount" else None)
        if kind == "insurance":
            spec.validations.append(ListValidation(row, 2, '"Có,Không"'))
    spec.fit_rows()
    return spec


def conf_spec() -> SheetSpec:
    """The hidden `xlwings.conf` the worksheet functions need (design.md; the add-in's own values)."""
    return SheetSpec(CONF_SHEET, blocks=[Block(1, 1, [[k, v] for k, v in xlwings_conf()])], widths={1: 30},
                     hidden=True, fit_width=False)


# ---------------------------------------------------------------- the operation

def formula_rows(reg: Register) -> tuple[int, int]:
    """First and last row the column formulas of a register cover (its rows + `ROOM`)."""
    first = reg.first_row or reg.header_row + 1           # below a row of column numbers, if any
    return first, max(reg.table["row"].tolist(), default=first - 1) + ROOM


def _inputs(reg: Register) -> dict[str, int]:
    return {n: c for n, c in reg.columns.items() if not FIELD_BY_NAME[n].computed}


def computed_columns(port: BookPort, reg: Register, right: int, tham_so: str,
                     result=None) -> list[tuple[str, int]]:
    """Append the register's missing computed columns after column `right` and `GAP` empty ones:
    header, number format and width, one live column formula. Returns (header, column) of each.
    `result` (compute.RegisterResult, file ports only): the formulas carry what they compute as
    cached values, spilled over the register's rows (issue 13.2)."""
    first, last = formula_rows(reg)
    cells = result.cells() if result is not None else None
    rows = reg.table["row"].tolist()
    added, widths, col = [], {}, right + GAP
    for f in COMPUTED_FIELDS:
        if f.name in reg.columns:
            continue
        col += 1
        widths[col] = COMPUTED_WIDTHS[f.name]
        port.write_block(reg.sheet, reg.header_row, col, [[f.header]])
        if f.name in FORMATS:
            port.write_block(reg.sheet, first, col, [[None]] * (last - first + 1), FORMATS[f.name])
        formula = a1_column_formula(f.name, _inputs(reg), first, last, tham_so)
        if result is None:
            port.write_formula(reg.sheet, first, col, formula)
        else:
            port.write_formula(reg.sheet, first, col, formula, number_format=FORMATS.get(f.name),
                               cached=_column_values(rows, cells[f.name], first))
        added.append((f.header, col))
    if added:
        port.mark_cells(reg.sheet, [(reg.header_row, c) for _, c in added], COMPUTED_FILL)
        port.column_widths(reg.sheet, widths)
    return added


def rewrite_formulas(port: BookPort, reg: Register, tham_so: str) -> int:
    """*Nạp lại hàm* in a prepared register: the live formula back at the top of each computed
    column it has (after *Tính lại* froze the values), the cells below emptied so it can spill."""
    first, last = formula_rows(reg)
    rows = reg.table["row"].tolist()
    done = 0
    for f in COMPUTED_FIELDS:
        col = reg.columns.get(f.name)
        if col is None:
            continue
        if rows and rows[-1] > first:
            port.write_block(reg.sheet, first + 1, col, [[None]] * (rows[-1] - first))
        port.write_formula(reg.sheet, first, col, a1_column_formula(f.name, _inputs(reg), first, last, tham_so))
        done += 1
    return done


def settings_sheet_name(names) -> str | None:
    """The book's `Tham số` sheet, found as `load_book` finds it (case and accents folded)."""
    return next((n for n in names if header_key(n) == header_key(SETTINGS_SHEET)), None)


def book_settings_range(grids: dict[str, list[list]]) -> str:
    """`settings_range` of the book's `Tham số`."""
    sheet = settings_sheet_name(grids) or SETTINGS_SHEET
    return settings_range(sheet, grids.get(sheet))


def _column_values(rows: list[int], column: list, first: int) -> list:
    """A computed column by sheet row, rows first..last person (blank where no person): what the
    column formula gives — as `live_formulas.column_values`, which imports this module (no cycle)."""
    by_row = dict(zip(rows, column))
    return [by_row.get(r) for r in range(first, max(rows, default=first) + 1)]


def spec_grid(spec: SheetSpec) -> list[list]:
    """An owned sheet's values as a grid (what `read_grid` gives once it is written)."""
    cells = spec.cell_values()
    rows, cols = max((r for r, _ in cells), default=0), max((c for _, c in cells), default=0)
    grid = [[None] * cols for _ in range(rows)]
    for (r, c), v in cells.items():
        grid[r - 1][c - 1] = v
    return grid


def cached_results(port: BookPort, book, settings: SheetSpec | None) -> dict:
    """Register sheet → what its live formulas compute (compute.RegisterResult), with the `Tham
    số` they will read (the one added, else the book's): the cached values a file port stores
    with them (issue 13.2). Nothing for a port over Excel (Excel computes)."""
    if not hasattr(port, "formulas"):
        return {}
    import dataclasses
    from xl_support.operations.compute import compute_book
    if settings is not None:
        added = load_book({settings.name: spec_grid(settings)}).settings
        book = dataclasses.replace(book, settings=added)
    return {r.register.sheet: r for r in compute_book(book)}


def prepare(port: BookPort, unit: Unit | None = None, month: dt.date | None = None) -> PrepareReport:
    """The `prepare` operation over a port (CLI and the *Chuẩn bị sổ* button)."""
    port.progress("Đang đọc sổ…")
    names = port.sheet_names()
    grids = {n: port.read_grid(n) for n in names}
    book = load_book(grids, source=port.name)
    if not book.registers:
        raise NoRegisterError(no_register_message(port.name))
    settings_sheet = settings_sheet_name(names)
    settings_added = settings_sheet is None
    settings_sheet = settings_sheet or SETTINGS_SHEET
    tham_so = book_settings_range(grids)
    settings = settings_spec(unit, month, settings_sheet) if settings_added else None
    results = cached_results(port, book, settings)
    preps = []
    for reg in book.registers:
        port.progress(f"Đang chuẩn bị sheet «{reg.sheet}»…")
        prep = RegisterPrep(reg.sheet, reg.kind, reg.header_row, len(reg.table),
                            kept=[f.header for f in COMPUTED_FIELDS if f.name in reg.columns],
                            missing=reg.missing_columns(), unknown=unknown_headers(grids[reg.sheet], reg))
        prep.added = computed_columns(port, reg, right_edge(grids[reg.sheet], reg.header_row), tham_so,
                                      results.get(reg.sheet))
        preps.append(prep)
    if settings_added:
        port.replace_sheet(settings)
    conf_added = CONF_SHEET not in names
    if conf_added:
        port.replace_sheet(conf_spec())
    report = PrepareReport(port.name, preps, settings_sheet, settings_added, conf_added, unit)
    port.progress(f"Đã chuẩn bị sổ «{port.name}»" if report.changed else "Sổ đã sẵn sàng: không thay đổi gì.")
    return report


def run_cli(args) -> int:
    """`prepare BOOK -o OUT [--unit NAME] [--month YYYY-MM]`: exit 0 when done (unknown headers are
    reported, not errors), 2 when the book has no register or cannot be read/written."""
    import sys

    from xl_support.book.fileio import check_output_path
    from xl_support.book.ports import open_port
    from xl_support.book.safe_open import check_workbook
    from xl_support.book.workbook import find_unit

    unit = None
    if getattr(args, "unit", None):
        unit = find_unit(args.unit)
        if unit is None:
            close = difflib.get_close_matches(args.unit, [u.full_name for u in units()], n=3, cutoff=0.5)
            hint = f" Có phải: {', '.join(close)}?" if close else ""
            raise UserFacingError(f"Đơn vị «{args.unit}» không có trong danh sách 114 đơn vị của thành phố.{hint}")
    out = check_output_path(args.out, source=args.book, force=args.force, in_place=args.in_place)
    rejected = check_workbook(args.book)          # missing, not a workbook, .xls, damaged, hostile
    if rejected is not None:
        raise UserFacingError(f"Không mở được «{args.book}»: {rejected.reason}")
    port = open_port(args.book, quiet=True)
    report = prepare(port, unit, getattr(args, "month", None))
    port.save(out)
    print(report.text() + f"\n→ {out}", file=sys.stderr)
    return 0
