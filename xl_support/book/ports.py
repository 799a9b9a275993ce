"""The book port (design.md "Macros"): what a macro needs from a workbook. Adapters: the file
writer the command line uses (`open_port` → book/patch.PatchPort: reads with calamine, patches the
package, issue 18.1), openpyxl (tests and new files) and xlwings (in `macros/`).

A macro is written once over this port; the CLI is the macros run on a file.
"""
from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Protocol, Sequence

if TYPE_CHECKING:
    from xl_support.book.sheets import SheetSpec

DATE_FORMAT = "dd/mm/yyyy"
MONEY_FORMAT = "#,##0"


class BookPort(Protocol):
    name: str

    def sheet_names(self) -> list[str]: ...

    def read_grid(self, sheet: str) -> list[list]:
        """The sheet's values from A1 to the last used cell, rows of equal length."""

    def write_block(self, sheet: str, row: int, col: int, values: Sequence[Sequence],
                    number_format: str | None = None) -> None:
        """Write a rectangle of values at (row, col), 1-based; user text stays text."""

    def progress(self, text: str) -> None:
        """Tell the user what is going on (status bar / stderr)."""

    def write_formula(self, sheet: str, row: int, col: int, formula: str, cached: Sequence | None = None) -> None:
        """A dynamic-array (spilling) formula at (row, col). `cached`: the values it gives (a column,
        from the engine for the report month), stored as Excel stores a spilled array — the first
        in the anchor, the rest in the cells below — so a reader without Python (LibreOffice, a
        viewer, Excel without the add-in) shows them (issue 13.2). Ports over a live Excel ignore
        it (Excel computes)."""

    def replace_sheet(self, spec: "SheetSpec") -> None:
        """(Re)build an owned sheet from scratch (xl_support.sheets.SheetSpec); other sheets untouched."""

    def mark_cells(self, sheet: str, cells: Sequence[tuple[int, int]], color: str | None) -> None:
        """Fill the cells (row, col) with colour 'RRGGBB'; None removes the fill."""

    def column_widths(self, sheet: str, widths: dict[int, float]) -> None:
        """Set the width (characters) of columns (1-based) of a sheet the user owns, e.g. the
        computed columns *Chuẩn bị sổ* appends; nothing else of the sheet changes."""

    def activate(self, sheet: str) -> None:
        """The sheet the user sees when the command is done / the saved book opens (issue 13.4)."""

    # A file port (book/patch.PatchPort) also has `formulas(sheet)` — the formula cells as saved,
    # (row, col) → (text, <c> attributes, <f> attributes) — used to give kept formulas their cached
    # values (operations/live_formulas.cache_live_formulas), and `save(out)`.


def open_port(path: str | Path, *, quiet: bool = False) -> "BookPort":
    """The port the command line writes a user's workbook through: the package-patching writer
    (book/patch.PatchPort: calamine read, only owned cells and sheets rewritten; issue 18.1).
    It also has `activate(sheet)` (the sheet the saved book opens on) and `save(out)`."""
    from xl_support.book.patch import PatchPort
    return PatchPort(path, quiet=quiet)


def cached_port_book(port: "BookPort"):
    """The whole book a file port has already parsed (`read_port_book`), or None: a caller that
    needs only `Tham số` then reads nothing again (compute lets the grids go, issue 18 item 2)."""
    return (getattr(port, "book_cache", None) or {}).get(frozenset())


def read_port_book(port: "BookPort", skip: tuple[str, ...] = ()):
    """The port's workbook as the engine sees it (registers + Tham số), owned sheets skipped."""
    from xl_support.book.workbook import load_book
    cache = getattr(port, "book_cache", None)        # a file port reads one unchanging file: parse it once
    if cache is not None and frozenset(skip) in cache:
        return cache[frozenset(skip)]
    book = load_book({n: port.read_grid(n) for n in port.sheet_names() if n not in skip}, source=port.name)
    if cache is not None:
        cache[frozenset(skip)] = book
    return book


class OpenpyxlPort:
    """A workbook file opened with openpyxl (VBA kept for .xlsm)."""

    def __init__(self, path: str | Path, *, quiet: bool = False):
        import io

        import openpyxl
        from xl_support.book.safe_open import read_screened, unreadable
        self.path = Path(path)
        self.name = self.path.name
        self.quiet = quiet
        keep_vba = self.path.suffix.lower() in (".xlsm", ".xltm")
        self._screened = read_screened(self.path)       # openpyxl and calamine parse these bytes
        try:
            self.wb = openpyxl.load_workbook(io.BytesIO(self._screened), keep_vba=keep_vba, rich_text=False)
        except (KeyboardInterrupt, SystemExit):
            raise
        except BaseException as e:   # noqa: BLE001 — a file the screening let through but openpyxl refuses
            raise unreadable(self.path, e) from None
        self._grids: dict[str, list[list]] | None = None

    def sheet_names(self) -> list[str]:
        return list(self.wb.sheetnames)

    def read_grid(self, sheet: str) -> list[list]:
        """The sheet as every command reads the file (workbook.read_grids: cached values of
        formulas, error cells as `values.ExcelError`; issue 11.8), not openpyxl's formula text."""
        if self._grids is None:
            from xl_support.book.workbook import read_grids
            self._grids = read_grids(self.path, data=self._screened)
        return self._grids.get(sheet, [])

    def write_block(self, sheet, row, col, values, number_format=None):
        from xl_support.book.fileio import set_text
        ws = self.wb[sheet]
        for r, line in enumerate(values):
            for c, value in enumerate(line):
                cell = ws.cell(row=row + r, column=col + c)
                set_text(cell, value)
                if number_format and not isinstance(value, str):
                    cell.number_format = number_format

    def activate(self, sheet: str) -> None:
        self.wb.active = self.wb.sheetnames.index(sheet)
        for ws in self.wb.worksheets:
            ws.sheet_view.tabSelected = ws.title == sheet

    def write_formula(self, sheet, row, col, formula, cached=None):
        from openpyxl.utils import get_column_letter
        from openpyxl.worksheet.formula import ArrayFormula
        ref = f"{get_column_letter(col)}{row}"
        self.wb[sheet][ref] = ArrayFormula(ref, formula)     # saved as a dynamic array (save_xlsm)

    def progress(self, text: str) -> None:
        if not self.quiet:
            print(text, file=sys.stderr)

    def save(self, out: str | Path) -> Path:
        """Atomic save that keeps the template's dynamic-array (spilling) HP_ formulas."""
        from xl_support.book.fileio import UserFacingError
        from xl_support.book.package import save_xlsm
        if self.wb.vba_archive is not None and Path(out).suffix.lower() not in (".xlsm", ".xltm"):
            raise UserFacingError(f"Sổ «{self.name}» có macro: hãy đặt tên tệp kết quả có đuôi .xlsm "
                                  f"(Excel không mở tệp .xlsx chứa macro).")
        return save_xlsm(self.wb, out)

    # ------------------------------------------------------------ owned sheets and marks

    def replace_sheet(self, spec: "SheetSpec") -> None:
        """Remove the sheet if present and build it again at the same position (else last)."""
        from xl_support.book.sheets import render_openpyxl
        index = None
        if spec.name in self.wb.sheetnames:
            index = self.wb.sheetnames.index(spec.name)
            self.wb.remove(self.wb[spec.name])
        ws = self.wb.create_sheet(spec.name, index)
        render_openpyxl(ws, spec)

    def column_widths(self, sheet, widths):
        from openpyxl.utils import get_column_letter
        for col, width in widths.items():
            self.wb[sheet].column_dimensions[get_column_letter(col)].width = width

    def mark_cells(self, sheet, cells, color):
        from openpyxl.styles import PatternFill
        ws = self.wb[sheet]
        fill = PatternFill() if color is None else PatternFill("solid", fgColor=color)
        for row, col in cells:
            ws.cell(row=row, column=col).fill = fill
