"""An "owned sheet" (design.md "Macros": write an owned sheet) described once, rendered by both
book-port adapters: openpyxl (CLI) and xlwings (Excel / remote engine).

A `SheetSpec` is plain data: blocks of values, styles over rectangles, column widths, links to
cells, an optional bar chart and print setup. Adapters render it with as few calls as they can
(xlwings: one `value` write per block).
"""
from __future__ import annotations

import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field

from xl_support.book.lazy_re import Pattern

LEDGER_SHEET = "Đã chi trả"     # the ledger of closed months (issue 17): `book.ledger`, `operations.cycle`

MAX_SHEET_NAME = 31                       # Excel's limit (characters)
RESERVED_SHEET_NAMES = ("History",)       # Excel keeps it for the change-tracking sheet
_BAD_SHEET_CHARS = Pattern(r"[\[\]:*?/\\]")


def safe_sheet_name(text: str | None, existing: Iterable[str] = (), default: str = "Danh sách") -> str:
    """A legal, unique sheet name made from `text` (a school's name, a list title…): control
    characters removed, `[]:*?/\\` replaced by `-`, at most 31 characters (truncate, then strip
    spaces and apostrophes: a name may not begin or end with `'`), not Excel's reserved
    `History`, and different (case-insensitively) from every name in `existing` (` (2)`, ` (3)`…)."""
    cleaned = "".join(" " if c in "\t\n\r" else c for c in str(text or "")
                      if c in "\t\n\r" or not unicodedata.category(c).startswith("C"))
    cleaned = " ".join(_BAD_SHEET_CHARS.sub("-", cleaned).split())

    def fit(base: str, suffix: str = "") -> str:
        return base[:MAX_SHEET_NAME - len(suffix)].strip(" '") + suffix

    base = fit(cleaned.strip(" '")) or default
    taken = {n.casefold() for n in existing} | {n.casefold() for n in RESERVED_SHEET_NAMES}
    name, k = base, 2
    while name.casefold() in taken:
        name, k = fit(base, f" ({k})"), k + 1
    return name


@dataclass
class Block:
    """Values written at (row, col), 1-based; a 2-D list."""
    row: int
    col: int
    values: list[list]


@dataclass
class Style:
    """Formatting of a rectangle (any attribute left None is not touched)."""
    row: int
    col: int
    nrows: int = 1
    ncols: int = 1
    number_format: str | None = None
    bold: bool | None = None
    size: float | None = None
    fill: str | None = None          # 'RRGGBB'
    wrap: bool | None = None


@dataclass
class Link:
    """A link in cell (row, col) to `location` inside the book (`'Sheet'!H12`), showing `text`."""
    row: int
    col: int
    location: str
    text: str


@dataclass
class ListValidation:
    """A drop-down on cell (row, col): `source` is a range of the same sheet (`$K$5:$K$118`) or
    the items within quotes (`"Phường,Xã"`), as the file format stores them (formula1)."""
    row: int
    col: int
    source: str
    prompt: str = ""


@dataclass
class ChartSpec:
    """A clustered bar (column) chart of `series_cols` over `first_row..last_row`, categories
    in `category_col`, series names in `header_row`; placed at `anchor` (e.g. 'J5')."""
    title: str
    header_row: int
    first_row: int
    last_row: int
    category_col: int
    series_cols: list[int]
    anchor: str
    y_title: str = ""
    width_cm: float = 18.0
    height_cm: float = 9.0


@dataclass
class SheetSpec:
    name: str
    blocks: list[Block] = field(default_factory=list)
    styles: list[Style] = field(default_factory=list)
    links: list[Link] = field(default_factory=list)
    widths: dict[int, float] = field(default_factory=dict)   # column → width in characters
    chart: ChartSpec | None = None
    landscape: bool = True
    fit_width: bool = True
    print_title_rows: str | None = None   # e.g. '7:7'
    freeze: str | None = None             # e.g. 'A8'
    heights: dict[int, float] = field(default_factory=dict)  # row → height in points
    page_breaks: list[int] = field(default_factory=list)     # a new printed page starts at these rows
    validations: list[ListValidation] = field(default_factory=list)
    hidden: bool = False                  # hidden sheet (not 'very hidden': Unhide shows it)
    protected: bool = False               # sheet protection without a password (against accidental edits)

    def put(self, row: int, col: int, values: list[list], **style) -> None:
        """Add a block, and a style over it when style attributes are given."""
        self.blocks.append(Block(row, col, values))
        if style:
            width = max((len(r) for r in values), default=1)
            self.styles.append(Style(row, col, len(values), width, **style))

    def style(self, row: int, col: int, nrows: int = 1, ncols: int = 1, **style) -> None:
        self.styles.append(Style(row, col, nrows, ncols, **style))

    def fit_rows(self, line_pt: float = 15.0) -> None:
        """Row heights for wrapped cells (Excel and LibreOffice do not grow rows written by
        code): lines ≈ text length / column width in characters, rounded up."""
        values = self.cell_values()
        for st in self.styles:
            if not st.wrap:
                continue
            for r in range(st.row, st.row + st.nrows):
                for c in range(st.col, st.col + st.ncols):
                    text = values.get((r, c))
                    if isinstance(text, str):
                        lines = -(-len(text) // max(1, int(self.widths.get(c, 8.43) * 1.2)))
                        height = line_pt * max(1, lines) * (st.size or 11) / 11
                        self.heights[r] = max(self.heights.get(r, line_pt), height)

    def cell_values(self) -> dict[tuple[int, int], object]:
        """Every written cell → value (links show their text): for tests and checks."""
        out: dict[tuple[int, int], object] = {}
        for b in self.blocks:
            for i, line in enumerate(b.values):
                for j, v in enumerate(line):
                    out[(b.row + i, b.col + j)] = v
        for link in self.links:
            out[(link.row, link.col)] = link.text
        return out


def quote_sheet(name: str) -> str:
    """`Trẻ em NQ55` → `'Trẻ em NQ55'` (Excel's quoting in references)."""
    return "'" + name.replace("'", "''") + "'"


def runs(cells: list[tuple[int, int]]) -> list[tuple[int, int, int]]:
    """Cells (row, col) → vertical runs (first_row, col, nrows): fewer calls to mark them."""
    out: list[tuple[int, int, int]] = []
    for row, col in sorted(set(cells), key=lambda rc: (rc[1], rc[0])):
        if out and out[-1][1] == col and out[-1][0] + out[-1][2] == row:
            first, c, n = out[-1]
            out[-1] = (first, c, n + 1)
        else:
            out.append((row, col, 1))
    return out


def render_openpyxl(ws, spec: SheetSpec) -> None:
    """Write `spec` onto an empty openpyxl worksheet (the CLI adapter)."""
    from openpyxl.chart import BarChart, Reference
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.hyperlink import Hyperlink

    from xl_support.book.fileio import set_text

    for b in spec.blocks:
        for i, line in enumerate(b.values):
            for j, value in enumerate(line):
                if value is not None:
                    set_text(ws.cell(row=b.row + i, column=b.col + j), value)
    for link in spec.links:
        cell = set_text(ws.cell(row=link.row, column=link.col), link.text)
        cell.hyperlink = Hyperlink(ref=cell.coordinate, location=link.location)
        cell.font = Font(color="0563C1", underline="single")
    for s in spec.styles:
        for r in range(s.row, s.row + s.nrows):
            for c in range(s.col, s.col + s.ncols):
                cell = ws.cell(row=r, column=c)
                if s.number_format:
                    cell.number_format = s.number_format
                if s.bold is not None or s.size is not None:
                    f = cell.font
                    cell.font = Font(name=f.name, size=s.size or f.size, bold=f.bold if s.bold is None else s.bold,
                                     italic=f.italic, color=f.color, underline=f.underline)
                if s.fill:
                    cell.fill = PatternFill("solid", fgColor=s.fill)
                if s.wrap is not None:
                    cell.alignment = Alignment(wrap_text=s.wrap, vertical="top")
    for col, width in spec.widths.items():
        ws.column_dimensions[get_column_letter(col)].width = width
    for row, height in spec.heights.items():
        ws.row_dimensions[row].height = height
    if spec.freeze:
        ws.freeze_panes = spec.freeze
    if spec.page_breaks:
        from openpyxl.worksheet.pagebreak import Break
        for row in spec.page_breaks:
            ws.row_breaks.append(Break(id=row - 1))
    ps = ws.page_setup
    ps.paperSize = ws.PAPERSIZE_A4
    ps.orientation = "landscape" if spec.landscape else "portrait"
    if spec.fit_width:
        ws.sheet_properties.pageSetUpPr.fitToPage = True
        ps.fitToWidth, ps.fitToHeight = 1, 0
    ws.print_options.horizontalCentered = True
    if spec.hidden:
        ws.sheet_state = "hidden"
    if spec.protected:
        ws.protection.sheet = True        # no password: Review → Unprotect Sheet lifts it
    ws.page_margins.left = ws.page_margins.right = 0.5
    if spec.print_title_rows:
        ws.print_title_rows = spec.print_title_rows
    for v in spec.validations:
        from openpyxl.worksheet.datavalidation import DataValidation
        dv = DataValidation(type="list", formula1=v.source, allow_blank=True, showErrorMessage=True,
                            showInputMessage=bool(v.prompt), errorStyle="warning")
        dv.prompt = v.prompt[:255] or None
        dv.add(f"{get_column_letter(v.col)}{v.row}")
        ws.add_data_validation(dv)
    if spec.hidden:
        ws.sheet_state = "hidden"
    if spec.chart and spec.chart.last_row >= spec.chart.first_row:
        c = spec.chart
        chart = BarChart()
        chart.type = "col"
        chart.title = c.title
        chart.y_axis.title = c.y_title
        chart.width, chart.height = c.width_cm, c.height_cm
        for col in c.series_cols:
            data = Reference(ws, min_col=col, min_row=c.header_row, max_row=c.last_row)
            chart.add_data(data, titles_from_data=True)
        cats = Reference(ws, min_col=c.category_col, min_row=c.first_row, max_row=c.last_row)
        chart.set_categories(cats)
        chart.y_axis.numFmt = "#,##0"
        chart.y_axis.delete = False
        chart.x_axis.delete = False
        ws.add_chart(chart, c.anchor)
