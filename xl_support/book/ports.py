"""The book port (design.md "Macros"): what a macro needs from a workbook, and the openpyxl
adapter used by the command line. The xlwings adapter lives in `macros/`.

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

    def write_formula(self, sheet: str, row: int, col: int, formula: str) -> None:
        """A dynamic-array (spilling) formula at (row, col)."""

    def replace_sheet(self, spec: "SheetSpec") -> None:
        """(Re)build an owned sheet from scratch (xl_support.sheets.SheetSpec); other sheets untouched."""

    def mark_cells(self, sheet: str, cells: Sequence[tuple[int, int]], color: str | None) -> None:
        """Fill the cells (row, col) with colour 'RRGGBB'; None removes the fill."""

    def column_widths(self, sheet: str, widths: dict[int, float]) -> None:
        """Set the width (characters) of columns (1-based) of a sheet the user owns, e.g. the
        computed columns *Chuẩn bị sổ* appends; nothing else of the sheet changes."""


def read_port_book(port: "BookPort", skip: tuple[str, ...] = ()):
    """The port's workbook as the engine sees it (registers + Tham số), owned sheets skipped."""
    from xl_support.book.workbook import load_book
    return load_book({n: port.read_grid(n) for n in port.sheet_names() if n not in skip}, source=port.name)


class OpenpyxlPort:
    """A workbook file opened with openpyxl (VBA kept for .xlsm)."""

    def __init__(self, path: str | Path, *, quiet: bool = False):
        import openpyxl
        from xl_support.book.safe_open import screen_workbook, unreadable
        self.path = Path(path)
        self.name = self.path.name
        self.quiet = quiet
        keep_vba = self.path.suffix.lower() in (".xlsm", ".xltm")
        screen_workbook(self.path)
        try:
            self.wb = openpyxl.load_workbook(self.path, keep_vba=keep_vba, rich_text=False)
        except (KeyboardInterrupt, SystemExit):
            raise
        except BaseException as e:   # noqa: BLE001 — a file the screening let through but openpyxl refuses
            raise unreadable(self.path, e) from None

    def sheet_names(self) -> list[str]:
        return list(self.wb.sheetnames)

    def read_grid(self, sheet: str) -> list[list]:
        """From the sheet's stored cells only: `iter_rows` would create a cell object for every
        empty position up to a stray value far below the register (issue 12: 60,000 rows → 1.2
        million cells, seconds and hundreds of MB, all saved back)."""
        cells = self.wb[sheet]._cells          # {(row, column): Cell}, what the file holds
        if not cells:
            return []
        rows = max(r for r, _ in cells)
        cols = max(c for _, c in cells)
        grid = [[None] * cols for _ in range(rows)]
        for (r, c), cell in cells.items():
            grid[r - 1][c - 1] = cell.value
        return grid

    def write_block(self, sheet, row, col, values, number_format=None):
        from xl_support.book.fileio import set_text
        ws = self.wb[sheet]
        for r, line in enumerate(values):
            for c, value in enumerate(line):
                cell = ws.cell(row=row + r, column=col + c)
                set_text(cell, value)
                if number_format and not isinstance(value, str):
                    cell.number_format = number_format

    def write_formula(self, sheet, row, col, formula):
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
