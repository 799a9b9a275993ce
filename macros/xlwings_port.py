"""The book port (xl_support.ports.BookPort) over a live workbook: `xw.Book.caller()` in Excel
(COM), and xlwings' remote engine in tests (design.md "How we test what Excel would do").

Few calls: one `value` read per sheet, one `value` write per block, one colour call per run of
cells. What only Excel's COM engine can do (status bar, fonts, page setup, charts) is tried and
skipped where the engine says it is not supported; `skipped` records what was left out.
"""
from __future__ import annotations

from typing import Sequence

from xl_support.book.fileio import com_text
from xl_support.book.sheets import SheetSpec, runs

XL_LANDSCAPE, XL_PAPER_A4 = 2, 9


def _safe(value):
    return com_text(value) if isinstance(value, str) else value


ADDIN_SUFFIXES = (".xlam", ".xla")


def target_book(book=None):
    """The workbook a ribbon action works on: `book` when given (tests, scripts); else the calling
    book. For a button of the add-in that is the ACTIVE workbook (the add-in's xlwings module is
    xlwings' add-in flavour: `RunPython` passes `ActiveWorkbook`); a caller that is an add-in
    itself (an add-in built with the standalone module) is replaced by its application's active
    workbook, never acted on."""
    import xlwings as xw
    if book is not None:
        return book
    caller = xw.Book.caller()
    if caller.name.lower().endswith(ADDIN_SUFFIXES):
        return caller.app.books.active
    return caller


class XlwingsPort:
    """A BookPort over an `xw.Book` (default: `target_book()`, the book the user works in)."""

    def __init__(self, book=None):
        self.book = target_book(book)
        self.name = self.book.name
        self.engine = self.book.app.engine.name            # 'excel' (COM) | 'remote' | …
        self.client = self.book.api.get("client") if self.engine == "remote" else None
        self.messages: list[str] = []                       # progress texts (also where no status bar)
        self.skipped: list[str] = []
        self._grids: dict[str, list[list]] = {}             # reads since the last write (one COM read each)

    # ------------------------------------------------------------ reading

    def sheet_names(self) -> list[str]:
        return [s.name for s in self.book.sheets]

    def read_grid(self, sheet: str) -> list[list]:
        """`used_range.value`, padded so the grid starts at A1 (Excel's used range may not). Kept
        until the next write, so checking a book and then acting on it reads each sheet once."""
        if sheet not in self._grids:
            self._grids[sheet] = self._read_grid(sheet)
        return [row[:] for row in self._grids[sheet]]

    def _read_grid(self, sheet: str) -> list[list]:
        rng = self.book.sheets[sheet].used_range
        values = rng.options(ndim=2).value or [[]]
        r0, c0 = rng.row, rng.column
        width = c0 - 1 + max((len(r) for r in values), default=0)
        grid = [[None] * width for _ in range(r0 - 1)]
        grid += [[None] * (c0 - 1) + list(row) for row in values]
        return grid

    # ------------------------------------------------------------ writing

    def write_block(self, sheet, row, col, values, number_format=None):
        self._grids.clear()
        values = [[_safe(v) for v in line] for line in values]
        if not values or not values[0]:
            return
        ws = self.book.sheets[sheet]
        ws.range((row, col)).value = values
        if number_format:
            ws.range((row, col), (row + len(values) - 1, col + len(values[0]) - 1)).number_format = number_format

    def mark_cells(self, sheet: str, cells: Sequence[tuple[int, int]], color: str | None) -> None:
        ws = self.book.sheets[sheet]
        fill = None if color is None else "#" + color
        for first, col, n in runs(list(cells)):
            ws.range((first, col), (first + n - 1, col)).color = fill

    def column_widths(self, sheet: str, widths: dict[int, float]) -> None:
        ws = self.book.sheets[sheet]
        for col, width in widths.items():
            self._try("width", lambda: setattr(ws.range((1, col)), "column_width", width))

    def replace_sheet(self, spec: SheetSpec) -> None:
        """Clear the sheet (or add it last) and render `spec` on it."""
        self._grids.clear()
        if spec.name in self.sheet_names():
            ws = self.book.sheets[spec.name]
            if spec.protected and self.engine != "remote":
                self._try("protect", lambda: ws.api.Unprotect())     # no password (SheetSpec.protected)
            ws.clear()
        else:
            ws = self.book.sheets.add(spec.name, after=self.book.sheets[-1])
        for b in spec.blocks:
            if b.values:
                ws.range((b.row, b.col)).value = [[_safe(v) for v in line] for line in b.values]
        self._links(ws, spec)
        for s in spec.styles:
            rng = ws.range((s.row, s.col), (s.row + s.nrows - 1, s.col + s.ncols - 1))
            if s.number_format:
                rng.number_format = s.number_format
            if s.fill:
                rng.color = "#" + s.fill
            if s.bold is not None:
                self._try("font", lambda: setattr(rng.font, "bold", s.bold))
            if s.size is not None:
                self._try("font", lambda: setattr(rng.font, "size", s.size))
            if s.wrap is not None:
                self._try("wrap", lambda: setattr(rng, "wrap_text", s.wrap))
        for col, width in spec.widths.items():
            self._try("width", lambda: setattr(ws.range((1, col)), "column_width", width))
        for row, height in spec.heights.items():
            self._try("height", lambda: setattr(ws.range((row, 1)), "row_height", height))
        if spec.freeze:
            self._try("freeze", lambda: ws.freeze_panes.freeze_at(spec.freeze))
        if self.engine != "remote":
            self._try("page_setup", lambda: self._page_setup(ws, spec))
        else:
            self.skipped.append("page_setup")
        for v in spec.validations:
            self._try("validation", lambda: self._validation(ws, v))
        if spec.hidden:
            self._try("hidden", lambda: setattr(ws, "visible", False))
        if spec.chart:
            self._chart(ws, spec)
        if spec.hidden:
            self._try("hidden", lambda: setattr(ws, "visible", False))
        if spec.protected:
            if self.engine != "remote":      # COM only; the remote engine has no protection action
                self._try("protect", lambda: ws.api.Protect())
            else:
                self.skipped.append("protect")

    def _validation(self, ws, v) -> None:
        """A drop-down list (COM `Range.Validation.Add(xlValidateList, xlValidAlertWarning)`)."""
        if self.engine == "remote":
            raise NotImplementedError
        validation = ws.range((v.row, v.col)).api.Validation
        validation.Delete()
        # COM wants "=range" or the bare items, the file format a bare range or "quoted items"
        source = v.source[1:-1] if v.source.startswith('"') else "=" + v.source
        validation.Add(3, 2, 1, source)
        if v.prompt:
            validation.InputMessage = v.prompt[:255]

    def _links(self, ws, spec: SheetSpec) -> None:
        """Links as HYPERLINK formulas, one write per column run (add_hyperlink is one call per cell)."""
        by_cell = {(link.row, link.col): link for link in spec.links}
        values = spec.cell_values()
        for first, col, n in runs(list(by_cell)):
            column = []
            for r in range(first, first + n):
                link = by_cell[(r, col)]
                target = ("#" + link.location).replace('"', '""')
                column.append([f'=HYPERLINK("{target}","{str(link.text).replace(chr(34), chr(34) * 2)}")'
                               if link else values.get((r, col))])
            ws.range((first, col)).value = column

    def _page_setup(self, ws, spec: SheetSpec) -> None:
        """A4, landscape, fit to one page wide, title rows repeated (COM only)."""
        ps = ws.api.PageSetup
        ps.PaperSize = XL_PAPER_A4
        if spec.landscape:
            ps.Orientation = XL_LANDSCAPE
        if spec.fit_width:
            ps.Zoom = False
            ps.FitToPagesWide = 1
            ps.FitToPagesTall = False
        if spec.print_title_rows:
            first, last = spec.print_title_rows.split(":")
            ps.PrintTitleRows = f"${first}:${last}"
        ps.CenterHorizontally = True
        for row in spec.page_breaks:
            ws.api.HPageBreaks.Add(ws.api.Cells(row, 1))

    def _chart(self, ws, spec: SheetSpec) -> None:
        """A clustered column chart (COM; Office.js client of the remote engine). The VBA client
        of the remote engine has no chart action, so it is skipped there."""
        c = spec.chart
        if self.engine == "remote" and self.client != "Office.js":
            self.skipped.append("chart")
            return
        last_col = max(c.series_cols)
        source = ws.range((c.header_row, c.category_col), (c.last_row, last_col))
        anchor = ws.range(c.anchor)
        width, height = c.width_cm * 28.35, c.height_cm * 28.35
        if self.engine == "remote":
            chart = ws.charts.add(0, 0, width, height, chart_type="column_clustered", anchor=anchor)
        else:
            chart = ws.charts.add(anchor.left, anchor.top, width, height)
            chart.chart_type = "column_clustered"
        chart.set_source_data(source)
        self._try("chart_title", lambda: setattr(chart, "title", c.title))

    def _try(self, what: str, action) -> None:
        try:
            action()
        except (NotImplementedError, AttributeError):
            if what not in self.skipped:
                self.skipped.append(what)

    # ------------------------------------------------------------ the user

    def progress(self, text: str) -> None:
        """Excel's status bar (COM); the remote engine has none, so the text is only kept."""
        self.messages.append(text)
        try:
            self.book.app.status_bar = text
        except NotImplementedError:
            pass

    def write_formula(self, sheet: str, row: int, col: int, formula: str) -> None:
        """`Range.Formula2`: Excel 365 spills it (`.formula` would add the implicit-intersection @)."""
        self._grids.clear()
        self.book.sheets[sheet].range((row, col)).formula2 = formula

    def alert(self, text: str, title: str = "Hỗ trợ NQ 55/2025 – NQ 04/2026", mode: str = "critical") -> None:
        """A message box (Excel, and an `alert` action on the remote engine); `mode` 'info' or 'critical'."""
        self.messages.append(text)
        try:
            self.book.app.alert(text, title=title, mode=mode)
        except NotImplementedError:
            self.skipped.append("alert")

    def activate(self, sheet: str) -> None:
        if sheet in self.sheet_names():
            self.book.sheets[sheet].activate()
