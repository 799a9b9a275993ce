"""A small, fast .xlsx writer for the exported documents (issue 16: exports ≤ 5 × a calamine read).

:class:`DocBook` / :class:`DocSheet` record what the document layout writes, through the
subset of openpyxl's worksheet API that `documents.layout` and the exports use (``cell``,
``merge_cells``, ``row_dimensions``, ``column_dimensions``, ``page_setup``, ``page_margins``,
``print_title_rows``, ``print_options``, ``oddFooter``/``evenFooter``, ``freeze_panes``,
``auto_filter``), so the same layout code writes into a ward's openpyxl book (summary,
Kiểm tra) and into a new export. :meth:`DocBook.save` streams SpreadsheetML directly: inline
strings, one style record per distinct (font, fill, border, alignment, number format), merged
cells, print titles as ``_xlnm.Print_Titles``, A4 page set-up. Writing is about 1 µs a cell,
against ~40 µs for openpyxl and ~5 µs for XlsxWriter (measured in `benchmarks/bench_exports.py`'s
note); the style values (`documents.styles`, or openpyxl's alike) are only read, never hashed per
cell, and openpyxl is not imported (issue 18 item 5).

The package parts are the minimal set Excel and LibreOffice open without repair (the same parts
XlsxWriter writes): content types, package and workbook relationships, workbook, styles, one
part per sheet, core and app properties. `xl_support.__version__` goes in the core properties
(``cp:version`` and the description) and in the app properties.
"""
from __future__ import annotations

import datetime as dt
import sys
import zipfile
from types import SimpleNamespace
from typing import Any
from xl_support.book.xlsx import col_letters
from xl_support.book.xmltext import escape, quoteattr
from xl_support.documents.styles import Font

__all__ = ["DocBook", "DocSheet", "product_version"]


def product_version() -> str:
    """`xl_support.__version__`: read from the loaded top-level package (always loaded with any of
    its submodules) rather than imported, since no floor imports the top level (tests/test_floors.py)."""
    return str(getattr(sys.modules.get(__name__.split(".")[0]), "__version__", ""))

_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_PKG_REL = "http://schemas.openxmlformats.org/package/2006/relationships"
_EPOCH = dt.date(1899, 12, 30)
_COL = [""] + [col_letters(i) for i in range(1, 200)]


class _Cell:
    __slots__ = ("row", "column", "value", "font", "alignment", "border", "fill", "number_format",
                 "data_type", "quotePrefix")

    def __init__(self, row: int, column: int):
        self.row, self.column = row, column
        self.value = None
        self.font = self.alignment = self.border = self.fill = None
        self.number_format = "General"
        self.data_type = None
        self.quotePrefix = False

    @property
    def column_letter(self) -> str:
        return _COL[self.column]

    @property
    def coordinate(self) -> str:
        return f"{_COL[self.column]}{self.row}"


class _Dims(dict):
    """``row_dimensions[r].height`` / ``column_dimensions['A'].width`` as in openpyxl."""

    def __missing__(self, key):
        dim = SimpleNamespace(height=None, width=None)
        self[key] = dim
        return dim


class _HeaderPart:
    def __init__(self):
        self.center = SimpleNamespace(text=None, font=None, size=None)
        self.left = SimpleNamespace(text=None, font=None, size=None)


class DocSheet:
    """One worksheet being recorded (see the module notes)."""

    PAPERSIZE_A4 = 9
    ORIENTATION_LANDSCAPE = "landscape"
    ORIENTATION_PORTRAIT = "portrait"

    def __init__(self, parent: "DocBook", title: str):
        self.parent = parent
        self.title = title
        self._cells: dict[int, dict[int, _Cell]] = {}
        self._fast: dict[int, tuple] = {}
        self._merges: list[str] = []
        self.row_dimensions = _Dims()
        self.column_dimensions = _Dims()
        self.page_setup = SimpleNamespace(paperSize=None, orientation=None, fitToWidth=None, fitToHeight=None)
        self.page_margins = SimpleNamespace(left=0.7, right=0.7, top=0.75, bottom=0.75, header=0.3, footer=0.3)
        self.sheet_properties = SimpleNamespace(pageSetUpPr=SimpleNamespace(fitToPage=False))
        self.print_options = SimpleNamespace(horizontalCentered=False)
        self.print_title_rows: str | None = None
        self.freeze_panes: str | None = None
        self.auto_filter = SimpleNamespace(ref=None)
        self.row_breaks: list[int] = []  # rows after which a page ends (layout.paginate)
        self.oddFooter = _HeaderPart()
        self.evenFooter = _HeaderPart()

    def cell(self, row: int, column: int, value: Any = None) -> _Cell:
        fast = self._fast.get(row)
        if fast is not None and value is None:  # a row written by put_row: a read-only view
            first, values, _ = fast
            c = _Cell(row, column)
            k = column - first
            c.value = values[k] if 0 <= k < len(values) else None
            return c
        cells = self._cells.get(row)
        if cells is None:
            cells = self._cells[row] = {}
        c = cells.get(column)
        if c is None:
            c = cells[column] = _Cell(row, column)
        if value is not None:
            c.value = value
        return c

    def put_row(self, row: int, first_col: int, values: list, styles: list) -> None:
        """A whole table row at once (the layout's fast path): ``values`` already converted
        (int, float, date, str or None), ``styles`` one (font, alignment, border, number format,
        quote prefix) tuple per value, shared between rows."""
        self._fast[row] = (first_col, values, styles)

    def merge_cells(self, *, start_row: int, start_column: int, end_row: int, end_column: int) -> None:
        self._merges.append(f"{_COL[start_column]}{start_row}:{_COL[end_column]}{end_row}")

    @property
    def max_row(self) -> int:
        return max(max(self._cells, default=1), max(self._fast, default=1))

    @property
    def max_column(self) -> int:
        cols = [max(c) for c in self._cells.values() if c]
        cols += [first + len(values) - 1 for first, values, _ in self._fast.values()]
        return max(cols, default=1)


class DocBook:
    """A new workbook of document sheets, saved by :meth:`save` (module notes)."""

    def __init__(self, default_font: Font = Font(name="Times New Roman", size=12), default_row_height: float = 15.75):
        """``default_font``: the Normal style's font, in whose digits column widths count
        (layout._max_digit_px); ``default_row_height``: the height, in points, of a row given none
        (Excel's for that font: 15.75 for Times New Roman 12, 15 for Calibri 11)."""
        self._sheets: list[DocSheet] = []
        self._fonts = [default_font]
        self.default_row_height = default_row_height
        self.properties = SimpleNamespace(creator=None, title=None, description=None, version=None)

    def create_sheet(self, title: str) -> DocSheet:
        ws = DocSheet(self, title)
        self._sheets.append(ws)
        return ws

    @property
    def sheetnames(self) -> list[str]:
        return [ws.title for ws in self._sheets]

    @property
    def worksheets(self) -> list[DocSheet]:
        return list(self._sheets)

    def __getitem__(self, name: str) -> DocSheet:
        for ws in self._sheets:
            if ws.title == name:
                return ws
        raise KeyError(name)

    def save(self, target) -> None:
        """Write the package to a path or a binary file object."""
        styles = _Styles(self._fonts[0])
        with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as z:
            sheets_xml = [_sheet_xml(ws, styles, k == 0) for k, ws in enumerate(self._sheets)]
            z.writestr("[Content_Types].xml", _content_types(len(self._sheets)))
            z.writestr("_rels/.rels", _ROOT_RELS)
            z.writestr("docProps/core.xml", _core(self.properties))
            z.writestr("docProps/app.xml", _app(self.sheetnames))
            z.writestr("xl/workbook.xml", _workbook(self._sheets))
            z.writestr("xl/_rels/workbook.xml.rels", _workbook_rels(len(self._sheets)))
            z.writestr("xl/styles.xml", styles.xml())
            for k, data in enumerate(sheets_xml, start=1):
                z.writestr(f"xl/worksheets/sheet{k}.xml", data)


# ---------------------------------------------------------------- styles

def _font_key(f) -> tuple:
    if f is None:
        return ()
    return (f.name, float(f.sz or 12), bool(f.b), bool(f.i), f.u or None, getattr(f, "family", None) or 1)


def _side_key(s) -> tuple | None:
    if s is None or not s.style:
        return None
    color = s.color if isinstance(s.color, str) else getattr(s.color, "rgb", None)
    return (s.style, color if isinstance(color, str) else "FF000000")


def _border_key(b) -> tuple:
    if b is None:
        return (None, None, None, None)
    return (_side_key(b.left), _side_key(b.right), _side_key(b.top), _side_key(b.bottom))


def _fill_key(f) -> str | None:
    if f is None or f.fill_type != "solid":
        return None
    rgb = f.start_color if isinstance(f.start_color, str) else getattr(f.start_color, "rgb", None)
    return rgb if isinstance(rgb, str) else "FFD9D9D9"


def _align_key(a) -> tuple:
    if a is None:
        return ()
    return (a.horizontal, a.vertical, bool(a.wrap_text))


class _Styles:
    """Fonts, fills, borders, number formats and cell formats, each stored once."""

    def __init__(self, default_font: Font):
        self.fonts = [_font_key(default_font)]
        self.fills = [None]
        self.borders = [(None, None, None, None)]
        self.numfmts: dict[str, int] = {}
        self.xfs = [(0, 0, 0, 0, (), False)]
        self._xf_index = {self.xfs[0]: 0}
        self._by_ids: dict[tuple, int] = {}
        self._keep = []  # style objects seen: their ids stay valid while the book is saved

    def _index(self, table: list, key) -> int:
        try:
            return table.index(key)
        except ValueError:
            table.append(key)
            return len(table) - 1

    def xf(self, c: _Cell) -> int:
        ids = (id(c.font), id(c.alignment), id(c.border), id(c.fill), c.number_format, c.quotePrefix)
        found = self._by_ids.get(ids)
        if found is not None:
            return found
        self._keep.append((c.font, c.alignment, c.border, c.fill))
        fmt = c.number_format or "General"
        num = 0 if fmt == "General" else self.numfmts.setdefault(fmt, 164 + len(self.numfmts))
        font = 0 if c.font is None else self._index(self.fonts, _font_key(c.font))
        fill = 0 if _fill_key(c.fill) is None else self._index(self.fills, _fill_key(c.fill)) + 1
        border = self._index(self.borders, _border_key(c.border))
        key = (num, font, fill, border, _align_key(c.alignment), bool(c.quotePrefix))
        index = self._xf_index.get(key)
        if index is None:
            index = self._xf_index[key] = len(self.xfs)
            self.xfs.append(key)
        self._by_ids[ids] = index
        return index

    def xf_of(self, style: tuple) -> int:
        """The cell format of a fast-row style tuple (font, alignment, border, number format, quote)."""
        ids = (id(style[0]), id(style[1]), id(style[2]), 0, style[3], style[4])
        found = self._by_ids.get(ids)
        if found is not None:
            return found
        c = _Cell(0, 0)
        c.font, c.alignment, c.border, c.number_format, c.quotePrefix = style
        index = self.xf(c)
        self._by_ids[ids] = index
        return index

    def xml(self) -> str:
        out = [f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<styleSheet xmlns="{_MAIN}">']
        if self.numfmts:
            out.append(f'<numFmts count="{len(self.numfmts)}">')
            out += [f'<numFmt numFmtId="{i}" formatCode={quoteattr(f)}/>' for f, i in self.numfmts.items()]
            out.append("</numFmts>")
        out.append(f'<fonts count="{len(self.fonts)}">')
        for name, size, b, i, u, family in self.fonts:
            out.append("<font>" + ("<b/>" if b else "") + ("<i/>" if i else "")
                       + (f'<u val="{u}"/>' if u and u != "single" else "<u/>" if u else "")
                       + f'<sz val="{size:g}"/><name val={quoteattr(name or "Times New Roman")}/>'
                       + f'<family val="{family:g}"/></font>')
        out.append("</fonts>")
        out.append(f'<fills count="{len(self.fills) + 1}"><fill><patternFill patternType="none"/></fill>'
                   '<fill><patternFill patternType="gray125"/></fill>')
        for rgb in self.fills[1:]:
            out.append(f'<fill><patternFill patternType="solid"><fgColor rgb="{rgb}"/><bgColor indexed="64"/>'
                       '</patternFill></fill>')
        out.append("</fills>")
        out.append(f'<borders count="{len(self.borders)}">')
        for sides in self.borders:
            parts = []
            for tag, side in zip(("left", "right", "top", "bottom"), sides):
                parts.append(f'<{tag} style="{side[0]}"><color rgb="{side[1]}"/></{tag}>' if side else f"<{tag}/>")
            out.append("<border>" + "".join(parts) + "<diagonal/></border>")
        out.append("</borders>")
        out.append('<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>')
        out.append(f'<cellXfs count="{len(self.xfs)}">')
        for num, font, fill, border, align, quote in self.xfs:
            attrs = (f'numFmtId="{num}" fontId="{font}" fillId="{fill}" borderId="{border}" xfId="0"'
                     + (' applyNumberFormat="1"' if num else "") + (' applyFont="1"' if font else "")
                     + (' applyFill="1"' if fill else "") + (' applyBorder="1"' if border else "")
                     + (' applyAlignment="1"' if align else "") + (' quotePrefix="1"' if quote else ""))
            if align:
                h, v, wrap = align
                a = ((f' horizontal="{h}"' if h and h != "general" else "")
                     + (f' vertical="{v}"' if v and v != "bottom" else "") + (' wrapText="1"' if wrap else ""))
                out.append(f"<xf {attrs}><alignment{a}/></xf>")
            else:
                out.append(f"<xf {attrs}/>")
        out.append('</cellXfs><cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>'
                   '<dxfs count="0"/><tableStyles count="0"/></styleSheet>')
        return "".join(out)


# ---------------------------------------------------------------- sheets

def _text(value: str) -> str:
    if value.isprintable() and not value[0].isspace() and not value[-1].isspace():
        if "&" in value or "<" in value or ">" in value:
            value = escape(value)
        return f"<is><t>{value}</t></is>"
    space = ' xml:space="preserve"' if value[:1].isspace() or value[-1:].isspace() or "\n" in value else ""
    return f"<is><t{space}>{escape(value)}</t></is>"


def _cell_xml(c: _Cell, ref: str, s: int) -> str:
    v = c.value
    st = f' s="{s}"' if s else ""
    if v is None or v == "":
        return f'<c r="{ref}"{st}/>' if s else ""
    if isinstance(v, bool):
        return f'<c r="{ref}"{st} t="b"><v>{int(v)}</v></c>'
    if isinstance(v, (int, float)):
        return f'<c r="{ref}"{st}><v>{v!r}</v></c>' if isinstance(v, float) else f'<c r="{ref}"{st}><v>{v}</v></c>'
    if isinstance(v, dt.datetime):
        serial = (v - dt.datetime(1899, 12, 30)).total_seconds() / 86400
        return f'<c r="{ref}"{st}><v>{serial:g}</v></c>'
    if isinstance(v, dt.date):
        return f'<c r="{ref}"{st}><v>{(v - _EPOCH).days}</v></c>'
    if hasattr(v, "__index__"):
        return f'<c r="{ref}"{st}><v>{int(v)}</v></c>'
    return f'<c r="{ref}"{st} t="inlineStr">{_text(str(v))}</c>'


def _pane(ref: str) -> str:
    col = 0
    i = 0
    while i < len(ref) and ref[i].isalpha():
        col = col * 26 + ord(ref[i].upper()) - 64
        i += 1
    row = int(ref[i:])
    x, y = col - 1, row - 1
    if not x and not y:
        return ""
    pane = "bottomRight" if x and y else ("bottomLeft" if y else "topRight")
    return ((f'<pane xSplit="{x}"' if x else "<pane") + (f' ySplit="{y}"' if y else "")
            + f' topLeftCell="{ref}" activePane="{pane}" state="frozen"/>'
            + f'<selection pane="{pane}" activeCell="{ref}" sqref="{ref}"/>')


def _footer(part: _HeaderPart) -> str:
    out = ""
    for code, sec in (("&L", part.left), ("&C", part.center)):
        if sec.text:
            font = f'&"{sec.font}"' if sec.font else ""
            size = f"&{int(sec.size)}" if sec.size else ""
            out += f"{code}{font}{size}{sec.text}"
    return out


def _sheet_xml(ws: DocSheet, styles: _Styles, first: bool) -> bytes:
    rows = sorted(set(ws._cells) | set(ws._fast) | {r for r, d in ws.row_dimensions.items() if d.height})
    max_col = ws.max_column
    max_row = rows[-1] if rows else 1
    out = [f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<worksheet xmlns="{_MAIN}" xmlns:r="{_REL}">']
    if ws.sheet_properties.pageSetUpPr.fitToPage:
        out.append('<sheetPr><pageSetUpPr fitToPage="1"/></sheetPr>')
    out.append(f'<dimension ref="A1:{_COL[max_col]}{max_row}"/>')
    pane = _pane(ws.freeze_panes) if ws.freeze_panes else ""
    out.append('<sheetViews><sheetView' + (' tabSelected="1"' if first else "") + ' workbookViewId="0">'
               + pane + "</sheetView></sheetViews>")
    out.append(f'<sheetFormatPr defaultRowHeight="{ws.parent.default_row_height:g}"/>')
    cols = sorted(((_col_index(k), d.width) for k, d in ws.column_dimensions.items() if d.width), key=lambda t: t[0])
    if cols:
        out.append("<cols>" + "".join(f'<col min="{i}" max="{i}" width="{w:g}" customWidth="1"/>' for i, w in cols)
                   + "</cols>")
    out.append("<sheetData>")
    xf = styles.xf
    fast_xf: dict[int, int] = {}
    for r in rows:
        dim = ws.row_dimensions.get(r)
        ht = f' ht="{dim.height:g}" customHeight="1"' if dim is not None and dim.height else ""
        fast = ws._fast.get(r)
        if fast is not None:
            first, values, row_styles = fast
            body = []
            for col, v, st in zip(_COL[first:first + len(values)], values, row_styles):
                s = fast_xf.get(id(st))
                if s is None:
                    s = fast_xf[id(st)] = styles.xf_of(st)
                ref = f"{col}{r}"
                if v is None or v == "":
                    body.append(f'<c r="{ref}" s="{s}"/>')
                elif v.__class__ is str:
                    body.append(f'<c r="{ref}" s="{s}" t="inlineStr">{_text(v)}</c>')
                elif v.__class__ is int:
                    body.append(f'<c r="{ref}" s="{s}"><v>{v}</v></c>')
                else:
                    c = _Cell(r, 0)
                    c.value = v
                    body.append(_cell_xml(c, ref, s))
            out.append(f'<row r="{r}"{ht}>' + "".join(body) + "</row>")
            continue
        cells = ws._cells.get(r, {})
        body = []
        for col in sorted(cells):
            c = cells[col]
            s = xf(c) if (c.font is not None or c.alignment is not None or c.border is not None
                         or c.fill is not None or c.number_format != "General" or c.quotePrefix) else 0
            body.append(_cell_xml(c, f"{_COL[col]}{r}", s))
        out.append(f'<row r="{r}"{ht}>' + "".join(body) + "</row>")
    out.append("</sheetData>")
    if ws.auto_filter.ref:
        out.append(f'<autoFilter ref="{ws.auto_filter.ref}"/>')
    if ws._merges:
        out.append(f'<mergeCells count="{len(ws._merges)}">'
                   + "".join(f'<mergeCell ref="{m}"/>' for m in ws._merges) + "</mergeCells>")
    if ws.print_options.horizontalCentered:
        out.append('<printOptions horizontalCentered="1"/>')
    m = ws.page_margins
    out.append(f'<pageMargins left="{m.left:.4f}" right="{m.right:.4f}" top="{m.top:.4f}" bottom="{m.bottom:.4f}" '
               f'header="{m.header:.4f}" footer="{m.footer:.4f}"/>')
    ps = ws.page_setup
    attrs = ""
    if ps.paperSize:
        attrs += f' paperSize="{ps.paperSize}"'
    if ps.fitToWidth is not None:
        attrs += f' fitToWidth="{ps.fitToWidth}"'
    if ps.fitToHeight is not None:
        attrs += f' fitToHeight="{ps.fitToHeight}"'
    if ps.orientation:
        attrs += f' orientation="{ps.orientation}"'
    if attrs:
        out.append(f"<pageSetup{attrs}/>")
    odd, even = _footer(ws.oddFooter), _footer(ws.evenFooter)
    if odd or even:
        out.append("<headerFooter>" + (f"<oddFooter>{escape(odd)}</oddFooter>" if odd else "")
                   + (f"<evenFooter>{escape(even)}</evenFooter>" if even and even != odd else "") + "</headerFooter>")
    if ws.row_breaks:
        out.append(f'<rowBreaks count="{len(ws.row_breaks)}" manualBreakCount="{len(ws.row_breaks)}">'
                   + "".join(f'<brk id="{r}" max="16383" man="1"/>' for r in ws.row_breaks) + "</rowBreaks>")
    out.append("</worksheet>")
    return "".join(out).encode("utf-8")


def _col_index(letter) -> int:
    if isinstance(letter, int):
        return letter
    n = 0
    for ch in letter:
        n = n * 26 + ord(ch.upper()) - 64
    return n


# ---------------------------------------------------------------- package parts

_ROOT_RELS = (
    f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<Relationships xmlns="{_PKG_REL}">'
    f'<Relationship Id="rId1" Type="{_REL}/officeDocument" Target="xl/workbook.xml"/>'
    '<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/package/2006/relationships/metadata/'
    'core-properties" Target="docProps/core.xml"/>'
    f'<Relationship Id="rId3" Type="{_REL}/extended-properties" Target="docProps/app.xml"/></Relationships>')


def _content_types(n: int) -> str:
    sheets = "".join(f'<Override PartName="/xl/worksheets/sheet{k}.xml" ContentType="application/'
                     f'vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>' for k in range(1, n + 1))
    return ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
            '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
            '<Default Extension="xml" ContentType="application/xml"/>'
            '<Override PartName="/xl/workbook.xml" ContentType="application/'
            'vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
            '<Override PartName="/xl/styles.xml" ContentType="application/'
            'vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>'
            + sheets +
            '<Override PartName="/docProps/core.xml" ContentType="application/'
            'vnd.openxmlformats-package.core-properties+xml"/>'
            '<Override PartName="/docProps/app.xml" ContentType="application/'
            'vnd.openxmlformats-officedocument.extended-properties+xml"/></Types>')


def _quote_sheet(name: str) -> str:
    return "'" + name.replace("'", "''") + "'"


def _print_titles(rows: str) -> str:
    first, _, last = rows.partition(":")
    return f"${first}:${last or first}"


def _workbook(sheets: list[DocSheet]) -> str:
    items = "".join(f'<sheet name={quoteattr(ws.title)} sheetId="{k}" r:id="rId{k}"/>'
                    for k, ws in enumerate(sheets, start=1))
    names = "".join(f'<definedName name="_xlnm.Print_Titles" localSheetId="{k}">'
                    f'{escape(_quote_sheet(ws.title))}!{_print_titles(ws.print_title_rows)}</definedName>'
                    for k, ws in enumerate(sheets) if ws.print_title_rows)
    return (f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<workbook xmlns="{_MAIN}" xmlns:r="{_REL}">'
            '<workbookPr/><bookViews><workbookView/></bookViews>'
            f"<sheets>{items}</sheets>" + (f"<definedNames>{names}</definedNames>" if names else "")
            + '<calcPr calcId="191029"/></workbook>')


def _workbook_rels(n: int) -> str:
    rels = "".join(f'<Relationship Id="rId{k}" Type="{_REL}/worksheet" Target="worksheets/sheet{k}.xml"/>'
                   for k in range(1, n + 1))
    return (f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<Relationships xmlns="{_PKG_REL}">'
            + rels + f'<Relationship Id="rId{n + 1}" Type="{_REL}/styles" Target="styles.xml"/></Relationships>')


def _core(p) -> str:
    __version__ = product_version()
    now = dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    desc = p.description or f"Lập bằng hp-support {__version__}"
    return ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
            '<cp:coreProperties xmlns:cp="http://schemas.openxmlformats.org/package/2006/metadata/core-properties" '
            'xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:dcterms="http://purl.org/dc/terms/" '
            'xmlns:dcmitype="http://purl.org/dc/dcmitype/" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">'
            + (f"<dc:title>{escape(p.title)}</dc:title>" if p.title else "")
            + (f"<dc:creator>{escape(p.creator)}</dc:creator>" if p.creator else "")
            + f"<dc:description>{escape(desc)}</dc:description>"
            + f"<cp:version>{escape(p.version or __version__)}</cp:version>"
            + f'<dcterms:created xsi:type="dcterms:W3CDTF">{now}</dcterms:created>'
            + f'<dcterms:modified xsi:type="dcterms:W3CDTF">{now}</dcterms:modified></cp:coreProperties>')


def _app(names: list[str]) -> str:
    __version__ = product_version()
    return ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
            '<Properties xmlns="http://schemas.openxmlformats.org/officeDocument/2006/extended-properties" '
            'xmlns:vt="http://schemas.openxmlformats.org/officeDocument/2006/docPropsVTypes">'
            f"<Application>hp-support {escape(__version__)}</Application></Properties>")
