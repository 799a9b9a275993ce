"""The package-patching writer (issue 18.1, issue 13.1–13.2): write back into a user's workbook
touching only what we own.

`PatchPort` is a `BookPort` (book/ports.py) over a workbook file. It reads with python-calamine
(`workbook.read_grids`: the one reading of a book) and records writes; `save` then writes a new
package where
- every part we do not own is copied byte for byte (VBA project, customUI, drawings, comments,
  tables, pivot caches, the other sheets…);
- a register sheet is streamed once: only the rows holding an edited cell are rewritten, and in
  them only the edited cells (styles for them appended to `styles.xml`, text as inline strings);
  a formula cell keeps `cm` (dynamic array) whatever its `ref`;
- an owned sheet (`Kiểm tra`, `Tổng hợp`, …) is replaced whole in the same part, keeping its
  `codeName` (a new owned sheet gets no code name: Excel then makes its document module itself,
  and the VBA project is never edited);
- `[Content_Types].xml`, relationships and `workbook.xml` are edited in place, never regenerated;
- the file is written to a temporary file and renamed (fileio.atomic_write).
"""
from __future__ import annotations

import datetime as dt
import re
import shutil
import sys
import zipfile
from bisect import bisect_left, bisect_right
from collections import defaultdict
from collections.abc import Iterator
from functools import lru_cache
from itertools import chain, count, islice, repeat
from pathlib import Path
from typing import NamedTuple, Sequence
from xl_support.book.lazy_re import Pattern
from xl_support.book.xmltext import escape, unescape

from xl_support.book.xlsx import (_ILLEGAL_XML, EXCEL_EPOCH, FORMULA_TRIGGERS, KEEP, WORKSHEET_CT, WORKSHEET_REL, Package,
                                  SheetEntry, ZipRef, _text, attrs, col_letters, col_number, resolve, serial,
                                  split_ref, value_xml)

BUILTIN_FORMATS = {"General": 0, "0": 1, "0.00": 2, "#,##0": 3, "#,##0.00": 4, "0%": 9, "0.00%": 10, "@": 49}
R_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"


# ---------------------------------------------------------------- styles.xml, appended to

_SECTION = {name: Pattern(rf"<{name}\b[^>]*?(?:/>|>(.*?)</{name}>)", re.S)
            for name in ("numFmts", "fonts", "fills", "cellXfs")}
_XF = Pattern(r"<xf\b[^>]*?(?:/>|>.*?</xf>)", re.S)
_FONT = Pattern(r"<font\b[^>]*?(?:/>|>.*?</font>)", re.S)
_FILL = Pattern(r"<fill\b[^>]*?(?:/>|>.*?</fill>)", re.S)
_NUMFMT = Pattern(r"<numFmt\b[^>]*/>")


class Styles:
    """The cell formats of `styles.xml`: existing ones looked up, new ones appended (never renumbered)."""

    def __init__(self, xml: str):
        self.xml = xml
        self.xfs = self._items("cellXfs", _XF)
        self.fonts = self._items("fonts", _FONT)
        self.fills = self._items("fills", _FILL)
        self.formats = {attrs(t)["formatCode"]: int(attrs(t)["numFmtId"]) for t in self._items("numFmts", _NUMFMT)}
        self.new_xfs: list[str] = []
        self.new_fonts: list[str] = []
        self.new_fills: list[str] = []
        self.new_formats: dict[str, int] = {}
        self._cache: dict = {}
        self._known: dict[str, int] | None = None
        self.memo: dict = {}                    # the writer's own (base, format, quote) → xf cache
        self.texts: dict[str, str] = {}         # short text → its <t> element (patch._new_cells)

    def _items(self, section: str, item: re.Pattern) -> list[str]:
        m = _SECTION[section].search(self.xml)
        return item.findall(m[1] or "") if m else []

    @property
    def changed(self) -> bool:
        return bool(self.new_xfs or self.new_fonts or self.new_fills or self.new_formats)

    def format_id(self, code: str) -> int:
        if code in BUILTIN_FORMATS:
            return BUILTIN_FORMATS[code]
        if code not in self.formats:
            self.formats[code] = self.new_formats[code] = max([163, *self.formats.values()]) + 1
        return self.formats[code]

    def fill_id(self, color: str | None) -> int:
        if color is None:
            return 0
        key = ("fill", color)
        if key not in self._cache:
            xml = (f'<fill><patternFill patternType="solid"><fgColor rgb="FF{color}"/>'
                   f'<bgColor indexed="64"/></patternFill></fill>')
            if xml in self.fills:                   # made by an earlier run
                self._cache[key] = self.fills.index(xml)
            else:
                self.new_fills.append(xml)
                self._cache[key] = len(self.fills) + len(self.new_fills) - 1
        return self._cache[key]

    def font_id(self, bold: bool = False, size: float | None = None, color: str | None = None,
                underline: bool = False) -> int:
        """A font like the workbook's default font (font 0) with these changes."""
        key = ("font", bold, size, color, underline)
        if key not in self._cache:
            base = self.fonts[0] if self.fonts else '<font><sz val="11"/><name val="Calibri"/></font>'
            name = re.search(r'<name val="[^"]*"\s*/>', base)
            family = re.search(r'<family val="[^"]*"\s*/>', base)
            scheme = re.search(r'<scheme val="[^"]*"\s*/>', base)
            base_size = re.search(r'<sz val="([^"]*)"', base)
            sz = size or (float(base_size[1]) if base_size else 11)
            xml = ("<font>" + ("<b/>" if bold else "") + ('<u/>' if underline else "") + f'<sz val="{sz:g}"/>'
                   + (f'<color rgb="FF{color}"/>' if color else "") + (name[0] if name else '<name val="Calibri"/>')
                   + (family[0] if family else "") + (scheme[0] if scheme and not color else "") + "</font>")
            if xml in self.fonts:
                self._cache[key] = self.fonts.index(xml)
            else:
                self.new_fonts.append(xml)
                self._cache[key] = len(self.fonts) + len(self.new_fonts) - 1
        return self._cache[key]

    def xf_xml(self, index: int) -> str:
        n = len(self.xfs)
        if index < n:
            return self.xfs[index]
        return self.new_xfs[index - n] if index - n < len(self.new_xfs) else (self.xfs[0] if self.xfs else '<xf/>')

    def derive(self, base: int, *, number_format: str | None = None, fill=KEEP, font: int | None = None,
               wrap: bool | None = None, quote: bool = False) -> int:
        """The cell format `base` with these changes (appended once, then reused)."""
        key = (base, number_format, fill, font, wrap, quote)
        hit = self._cache.get(key)
        if hit is not None:
            return hit
        xml = self.xf_xml(base)
        changes: dict[str, str] = {}
        if number_format is not None:
            changes.update(numFmtId=str(self.format_id(number_format)), applyNumberFormat="1")
        if fill is not KEEP:
            changes.update(fillId=str(self.fill_id(fill)), applyFill="1")
        if font is not None:
            changes.update(fontId=str(font), applyFont="1")
        if quote:
            changes.update(quotePrefix="1")
        if wrap is not None:
            changes.update(applyAlignment="1")
        if not changes:
            self._cache[key] = base
            return base
        head_end = xml.index(">")
        closed = xml[head_end - 1] == "/"
        head = xml[:head_end - 1] if closed else xml[:head_end]
        body = "" if closed else xml[head_end + 1:xml.rindex("</xf>")]
        for k, v in changes.items():
            head, n = re.subn(rf'\s{k}="[^"]*"', f' {k}="{v}"', head)
            if not n:
                head += f' {k}="{v}"'
        if wrap is not None:
            body = re.sub(r"<alignment\b[^>]*/>", "", body)
            body = ('<alignment vertical="top" wrapText="1"/>' if wrap else '<alignment wrapText="0"/>') + body
        new = f"{head}/>" if not body else f"{head}>{body}</xf>"
        if new == xml:
            self._cache[key] = base
            return base
        if self._known is None:
            self._known = {x: i for i, x in enumerate(self.xfs)}
        if new in self._known:                  # made by an earlier run: reuse, never grow the list
            self._cache[key] = self._known[new]
            return self._known[new]
        self.new_xfs.append(new)
        index = len(self.xfs) + len(self.new_xfs) - 1
        self._cache[key] = index
        return index

    def render(self) -> str:
        xml = self.xml
        xml = _append(xml, "cellXfs", self.new_xfs, len(self.xfs))
        xml = _append(xml, "fills", self.new_fills, len(self.fills))
        xml = _append(xml, "fonts", self.new_fonts, len(self.fonts))
        if self.new_formats:
            items = [f'<numFmt numFmtId="{i}" formatCode="{escape(c, {chr(34): "&quot;"})}"/>'
                     for c, i in self.new_formats.items()]
            if _SECTION["numFmts"].search(xml):
                xml = _append(xml, "numFmts", items, len(self.formats) - len(self.new_formats))
            else:
                start = re.search(r"<styleSheet\b[^>]*>", xml).end()
                xml = xml[:start] + f'<numFmts count="{len(items)}">' + "".join(items) + "</numFmts>" + xml[start:]
        return xml


def _append(xml: str, section: str, items: list[str], before: int) -> str:
    """Append items at the end of a `<section count="…">` and update its count."""
    if not items:
        return xml
    m = _SECTION[section].search(xml)
    tag = xml[m.start():m.end()]
    head = re.match(rf"<{section}\b[^>]*?(?=/?>)", tag)[0]
    head = re.sub(r'\scount="\d+"', "", head) + f' count="{before + len(items)}"'
    inner = m[1] or ""
    return xml[:m.start()] + f"{head}>{inner}{''.join(items)}</{section}>" + xml[m.end():]


# ---------------------------------------------------------------- dynamic-array metadata

XLDAPR_TYPE = ('<metadataType name="XLDAPR" minSupportedVersion="120000" copy="1" pasteAll="1" pasteValues="1" '
               'merge="1" splitFirst="1" rowColShift="1" clearFormats="1" clearComments="1" assign="1" coerce="1" '
               'cellMeta="1"/>')
XLDAPR_FUTURE = ('<futureMetadata name="XLDAPR" count="1"><bk><extLst><ext uri="{bdbb8cdc-fa1e-496e-a857-3c3f30c029c3}">'
                 '<xda:dynamicArrayProperties fDynamic="1" fCollapsed="0"/></ext></extLst></bk></futureMetadata>')


def dynamic_array_index(metadata: str) -> int | None:
    """The `cm` value (1-based cell-metadata block) that marks a dynamic array in this
    metadata part ([MS-XLSX] 2.3.x XLDAPR), or None when the part has none."""
    types = re.findall(r"<metadataType\b[^>]*/>", metadata)
    t = next((i for i, tag in enumerate(types, 1) if attrs(tag).get("name") == "XLDAPR"), None)
    if t is None:
        return None
    futures = re.search(r'<futureMetadata\b[^>]*name="XLDAPR"[^>]*>(.*?)</futureMetadata>', metadata, re.S)
    cell = re.search(r"<cellMetadata\b[^>]*>(.*?)</cellMetadata>", metadata, re.S)
    if not futures or not cell:
        return None
    for k, bk in enumerate(re.findall(r"<bk>(.*?)</bk>", cell[1], re.S), 1):
        rc = re.search(r"<rc\b[^>]*/>", bk)
        if rc and attrs(rc[0]).get("t") == str(t):
            return k
    return None


# ---------------------------------------------------------------- a register sheet, streamed

_ROW = Pattern(r"<row\b([^>]*?)(?:/>|>(.*?)</row>)", re.S)
_CELL = Pattern(r"<c\b([^>]*?)(?:/>|>(.*?)</c>)", re.S)
_R_ATTR = Pattern(r'\br="([A-Z]{1,3})?(\d*)"')
_R_ATTR_B = Pattern(rb'\sr="(\d+)"')
_S_ATTR = Pattern(r'\bs="(\d+)"')
# a row's own format (`customFormat` true: "1" as Excel writes it, "true" as LibreOffice does)
_ROW_FORMATTED_TEXT = r'\bcustomFormat\s*=\s*["\'](?:1|true)["\']'
_ROW_FORMATTED = Pattern(_ROW_FORMATTED_TEXT)
_ROW_FORMATTED_B = Pattern(_ROW_FORMATTED_TEXT.encode())      # the same, on a row's bytes


def _row_formatted(chunk: bytes, tag_end: int) -> bool:
    """`_ROW_FORMATTED` in a row's start tag (`tag_end`: where it closes): no `customFormat`
    (Excel's usual row) and LibreOffice's `customFormat="false"` on every row told by `find`."""
    at = chunk.find(b"customFormat", 0, tag_end)
    return (at >= 0 and chunk.find(b'customFormat="false"', at, tag_end) < 0
            and _ROW_FORMATTED_B.search(chunk, 0, tag_end) is not None)
_COLS = Pattern(r"<cols>(.*?)</cols>", re.S)
_COL = Pattern(r"<col\b[^>]*/>")


def column_styles(sheet_xml: str) -> dict[int, int]:
    """Column → style index of the sheet's `<cols>` (what Excel gives a new cell there)."""
    out: dict[int, int] = {}
    m = _COLS.search(sheet_xml)
    for tag in _COL.findall(m[1]) if m else ():
        a = attrs(tag)
        if a.get("style"):
            for c in range(int(a["min"]), min(int(a["max"]), 16384) + 1):
                out[c] = int(a["style"])
    return out


class _Column:
    """A one-column block kept flat (the values, not a list of one-value rows: 100,000 small lists
    less to hold until the sheet is written). Reads like the rows it stands for."""
    __slots__ = ("values",)

    def __init__(self, values: list):
        self.values = values

    def __len__(self) -> int:
        return len(self.values)

    def __getitem__(self, i):
        return _Column(self.values[i]) if isinstance(i, slice) else [self.values[i]]

    def __iter__(self):
        return ([v] for v in self.values)


def _width(values) -> int:
    """The widest row of a block."""
    if values.__class__ is _Column:
        return 1 if len(values) else 0
    return max(map(len, values), default=0)


def _as_block(values):
    """A block as stored: flat when every row holds one value."""
    if values.__class__ is _Column or not isinstance(values, list):
        return values
    lengths = list(map(len, values))
    if lengths.count(1) == len(lengths) and set(map(type, values)) == {list}:
        return _Column([line[0] for line in values])
    return values


class SheetEdits:
    """The recorded edits of one sheet: point edits row → col → (value, number_format, fill,
    formula), and blocks of values (row, col, rows of values, number_format) kept as given — a
    column of 100,000 values costs no object per cell until the sheet is written. Point edits
    override blocks (a later block first clears the point edits under it, keeping their fill)."""

    BLOCK_MIN = 64

    def __init__(self):
        self.cells: dict[int, dict[int, tuple]] = defaultdict(dict)
        self.blocks: list[tuple[int, int, list, str | None, str | None]] = []   # …, formula ("" = a result)
        self.widths: dict[int, float] = {}       # column → width (PatchPort.column_widths)

    def put(self, row: int, col: int, value=KEEP, number_format: str | None = None, fill=KEEP,
            formula: str | None = None) -> None:
        old = self.cells[row].get(col)
        if old is None:
            under = self._block_value(row, col)
            if under is not None and value is KEEP:     # a mark on a cell a block writes
                old = under
        if old is not None:
            if value is KEEP:
                value, formula = old[0], old[3]
            if number_format is None:
                number_format = old[1]
            if fill is KEEP:
                fill = old[2]
        self.cells[row][col] = (value, number_format, fill, formula)

    def _block_value(self, row: int, col: int) -> tuple | None:
        for r0, c0, values, fmt, formula in reversed(self.blocks):
            i, j = row - r0, col - c0
            if 0 <= i < len(values) and 0 <= j < len(values[i]):
                return (values[i][j], fmt, KEEP, formula)
        return None

    def add_block(self, row: int, col: int, values: list, number_format: str | None,
                  formula: str | None = None) -> None:
        """A rectangle of values; `formula=""`: they are the results of a spilled formula."""
        width = _width(values)
        for r in [r for r in self.cells if row <= r < row + len(values)]:
            line = self.cells[r]
            for c in [c for c in line if col <= c < col + width]:
                fill = line[c][2]
                if fill is KEEP:
                    del line[c]
                else:
                    line[c] = (KEEP, None, fill, None)      # the block's value, the mark's fill
        self.blocks.append((row, col, values, number_format, formula))

    def empty(self) -> bool:
        return not self.blocks and not any(self.cells.values()) and not self.widths

    def rows(self) -> list[int]:
        out = {r for r, line in self.cells.items() if line}
        for r0, _, values, _, _ in self.blocks:
            out.update(range(r0, r0 + len(values)))
        return sorted(out)

    def extent(self) -> tuple[int, int]:
        """(last row, last column) edited."""
        rows = [r for r, line in self.cells.items() if line]
        cols = [max(line) for line in self.cells.values() if line]
        for r0, c0, values, _, _ in self.blocks:
            rows.append(r0 + len(values) - 1)
            cols.append(c0 + (_width(values) or 1) - 1)
        return max(rows, default=1), max(cols, default=1)

    def row(self, r: int) -> dict[int, tuple]:
        """The edits of row r: blocks in write order, then point edits (a mark keeps the value)."""
        out: dict[int, tuple] = {}
        for r0, c0, values, fmt, formula in self.blocks:
            i = r - r0
            if 0 <= i < len(values):
                for j, v in enumerate(values[i]):
                    out[c0 + j] = (v, fmt, KEEP, formula)
        point = self.cells.get(r)
        if point:
            for c, e in point.items():
                old = out.get(c)
                if e[0] is KEEP and old is not None:
                    e = (old[0], e[1] or old[1], e[2], old[3])
                out[c] = e
        return out

    def formulas(self):
        return (e[3] for line in self.cells.values() for e in line.values() if e[3] is not None)


def patch_sheet(xml: str, edits: SheetEdits, styles: Styles, *, select: bool | None = None,
                cm: int | None = None) -> str:
    """The sheet XML with the edited cells replaced or inserted; every other byte kept."""
    return b"".join(sheet_pieces(xml.encode("utf-8"), edits, styles, select=select, cm=cm)).decode("utf-8")


def sheet_pieces(xml: bytes, edits: SheetEdits, styles: Styles, *, select: bool | None = None,
                 cm: int | None = None) -> Iterator[bytes]:
    """The patched sheet part as pieces to stream into the zip (the whole part is never held as
    one string). The part is split once at `</row>` (`_patched_rows` does the rest). A sheet not
    written as Excel writes it (rows or cells without `r`, self-closed rows) goes through
    `_regex_rows`."""
    start = xml.find(b"<sheetData")
    head_end = xml.index(b">", start) + 1
    empty = xml[head_end - 2:head_end] == b"/>"          # <sheetData/>
    body_end = head_end if empty else xml.index(b"</sheetData>", head_end)
    head = xml[:head_end - 2].decode("utf-8") + ">" if empty else xml[:head_end].decode("utf-8")
    tail = ("</sheetData>" if empty else "") + xml[body_end:].decode("utf-8")
    head, col_style = _new_head(head, edits, select)
    yield head
    nums = list(map(int, _ROW_NUM.findall(xml, head_end, body_end)))
    chunks = xml.split(b"</row>")                       # chunk k: row k up to its </row>; then the rest
    if len(chunks) != len(nums) + 1 or any(a >= b for a, b in zip(nums, nums[1:])):   # (self-closed row, no r…)
        del chunks
        text = xml[head_end:body_end].decode("utf-8")
        del xml
        yield from _regex_rows(text, edits.rows(), edits, styles, col_style, cm)
        yield tail.encode("utf-8")
        return
    chunks[0] = chunks[0][head_end:]
    chunks[-1] = chunks[-1][:len(chunks[-1]) - (len(xml) - body_end)]
    del xml
    yield from _patched_rows(_Rows(_handed_out(chunks)), nums, edits, styles, col_style, cm)
    yield tail.encode("utf-8")


def streamed_sheet_pieces(part: ZipRef, edits: SheetEdits, styles: Styles, *, select: bool | None = None,
                          cm: int | None = None) -> Iterator[bytes]:
    """`sheet_pieces` of a big part left in the source file, inflated in pieces and never held
    whole (issue 18 item 2: ≤ 400 MB at 100,000 rows): a first pass finds the head, the row
    numbers and the tail (`_sheet_layout`), a second one hands `_patched_rows` the rows it asks
    for. A sheet the first pass does not vouch for is read whole (`sheet_pieces`)."""
    layout = _sheet_layout(part.pieces())
    if layout is None:
        yield from sheet_pieces(part.read(), edits, styles, select=select, cm=cm)
        return
    head, col_style = _new_head(layout.head.decode("utf-8"), edits, select)
    yield head
    body = _slice(part.pieces(), layout.head_end, layout.body_end)
    yield from _patched_rows(_Rows(_row_chunks(body)), layout.nums, edits, styles, col_style, cm)
    yield layout.tail


def _new_head(head: str, edits: SheetEdits, select: bool | None) -> tuple[bytes, dict[int, int]]:
    """The part's XML up to `<sheetData…>` with the view, widths and dimension edited; and the
    column styles it declares."""
    col_style = column_styles(head)
    if select is not None:
        head = _select_view(head, select)
    if edits.widths:
        head = set_column_widths(head, edits.widths)
    if edits.blocks or any(edits.cells.values()):
        head = _grow_dimension(head, *edits.extent())
    return head.encode("utf-8"), col_style


def _patched_rows(chunks: "_Rows", nums: list[int], edits: SheetEdits, styles: Styles, col_style: dict[int, int],
                  cm: int | None) -> Iterator[bytes]:
    """The rows of `<sheetData>` with the edits put in. `chunks[k]` is row k (number `nums[k]`) up
    to its `</row>`, `chunks[len(nums)]` what follows the last one; they are asked for in
    increasing windows. Rows without an edit are passed on as they are, in runs; a row that only
    blocks write gets its new cells put before its `</row>` (rendered by column for a window of
    rows: `_BlockCells`); only the other edited rows (point edits, a cell at or right of a column
    a block writes, a row format of its own, `extLst`) are decoded and taken apart."""
    n = len(nums)
    pending = edits.rows()
    index = dict(zip(nums, range(n)))
    first_col = min((c0 for _, c0, _, _, _ in edits.blocks), default=1)
    left = {f"{col_letters(c)}{d}".encode() for c in range(1, min(first_col, 27)) for d in range(10)}  # cell refs' starts
    block_cells = _BlockCells(edits, styles, col_style, cm)
    point = block_cells.point
    done = 0                                            # chunks[:done] are written
    carry: list[bytes] = []                             # new rows that go before chunks[done]
    for w in range(0, len(pending), _BlockCells.WINDOW):
        rows = pending[w:w + _BlockCells.WINDOW]
        last = bisect_right(nums, rows[-1])             # the last window: up to its last row (and the
        if w + _BlockCells.WINDOW < len(pending):       # new rows right after it), the rest is streamed
            last -= 1
        lo = rows[0]
        made = block_cells.render(lo, rows[-1] + 1)
        fast_k, fast_c, fast_x = [], [], []
        mods: dict[int, bytes] = {}
        new: dict[int, list[bytes]] = defaultdict(list)
        for r in rows:
            k = index.get(r)
            x = made[r - lo] if made else b""
            if k is not None and x and r not in point:
                chunk = chunks[k]
                at = chunk.rfind(b'<c r="')
                tag_end = chunk.find(b">")              # (find, not `in`: `in` on bytes costs an exception)
                cut = -1
                if chunk.find(b"<c", at + 1) < 0 and chunk.find(b"<extLst>") < 0 \
                        and not _row_formatted(chunk, tag_end):
                    # the common case: the new cells go before </row>; or they replace cells the
                    # blocks write anew (a column Excel filled with a formula's spilled values)
                    cut = len(chunk) if at < 0 or chunk[at + 6:at + 8] in left or _last_col(chunk) < first_col \
                        else _tail(chunk, at, x, first_col, col_style)
                if cut >= 0:
                    fast_k.append(k)
                    chunk = chunk[:cut] if cut < len(chunk) else chunk
                    fast_c.append(_without_spans(chunk, tag_end))
                    fast_x.append(x)
                    continue
            if r in point:
                x = None
            elif not x:                                 # a block row without cells (a block of width 0)
                continue
            if k is None:                               # a new row, before the next existing one
                new[bisect_left(nums, r)].append(b'<row r="%d">%s</row>' % (r, x) if x else
                                                 _new_row(r, edits.row(r), styles, col_style, cm).encode("utf-8"))
            else:
                mods[k] = _edited_row(chunks[k], r, edits.row(r), styles, col_style, cm)
        mods.update(zip(fast_k, map(bytes.__add__, fast_c, fast_x)))
        later = []
        for k, xs in new.items():
            if k > last:
                later += xs
            else:
                mods[k] = b"".join(xs) + mods.get(k, chunks[k])
        piece = carry
        carry = later
        if last >= done:
            seg = chunks.take(done, last + 1)           # written: their memory goes
            for k, x in mods.items():
                seg[k - done] = x
            piece.append(b"</row>".join(seg) + (b"</row>" if last < n else b""))
            done = last + 1
        yield b"".join(piece)
    if done <= n:
        yield from chunks.rest(done)


class _Layout(NamedTuple):
    """What the first streaming pass over a big sheet part finds (issue 18 item 2)."""
    head: bytes             # up to and with `<sheetData…>`
    head_end: int
    body_end: int           # where `</sheetData>` starts
    nums: list[int]         # the rows' numbers, increasing
    tail: bytes             # from `</sheetData>` on


def _sheet_layout(pieces: Iterator[bytes]) -> _Layout | None:
    """The first pass of `streamed_sheet_pieces` (issue 18 item 2): the part's layout, or None
    when `sheet_pieces` would not split it at `</row>` (no `<sheetData>` body, a `</row>` count
    other than the row count, rows out of order), the cases it reads whole."""
    buf = b""
    for piece in pieces:
        buf += piece
        start = buf.find(b"<sheetData")
        if start >= 0 and buf.find(b">", start) >= 0:
            break
    else:
        return None
    head_end = buf.index(b">", start) + 1
    head, buf = buf[:head_end], buf[head_end:]
    if head.endswith(b"/>") or b"</row>" in head:
        return None
    nums: list[int] = []
    rows = closes = 0                                   # rows: the body's bytes before buf
    while (end := buf.find(b"</sheetData>")) < 0:
        cut = buf.rfind(b"</row>") + 6 if b"</row>" in buf else 0   # whole rows only: no tag is cut
        nums += map(int, _ROW_NUM.findall(buf, 0, cut))
        closes += buf.count(b"</row>", 0, cut)
        rows += cut
        piece = next(pieces, None)
        if piece is None:
            return None
        buf = buf[cut:] + piece
    nums += map(int, _ROW_NUM.findall(buf, 0, end))
    closes += buf.count(b"</row>", 0, end)
    tail = buf[end:] + b"".join(pieces)
    if closes != len(nums) or b"</row>" in tail or any(a >= b for a, b in zip(nums, nums[1:])):
        return None
    return _Layout(head, head_end, head_end + rows + end, nums, tail)


def _slice(pieces: Iterator[bytes], start: int, stop: int) -> Iterator[bytes]:
    """The bytes `start:stop` of the stream `pieces`, as pieces (read to its end: the zip's CRC
    is checked there)."""
    pos = 0
    for piece in pieces:
        lo, hi = max(start - pos, 0), min(stop - pos, len(piece))
        if lo < hi:
            yield piece if hi - lo == len(piece) else piece[lo:hi]
        pos += len(piece)


def _row_chunks(body: Iterator[bytes]) -> Iterator[bytes]:
    """`b"".join(body).split(b"</row>")`, one chunk at a time (issue 18 item 2)."""
    rest = b""
    for piece in body:
        *rows, rest = (rest + piece).split(b"</row>")
        yield from rows
    yield rest


def _handed_out(chunks: list[bytes]) -> Iterator[bytes]:
    """The chunks in order, each dropped from the list as it is handed out."""
    for k in range(len(chunks)):
        chunk, chunks[k] = chunks[k], b""
        yield chunk


class _Rows:
    """The chunks `_patched_rows` reads, from a stream of them (issue 18 item 2): it asks for
    chunk k only from `done` on, in increasing windows, so only the window's chunks are held."""

    def __init__(self, chunks: Iterator[bytes]):
        self._chunks = chunks
        self._held: list[bytes] = []                    # chunks first, first + 1, …
        self._first = 0

    def __getitem__(self, k: int) -> bytes:
        held = self._held
        while self._first + len(held) <= k:
            more = list(islice(self._chunks, 4096))
            if not more:                                # (the part changed between the two passes)
                raise zipfile.BadZipFile("a sheet part is shorter than its first reading")
            held += more
        return held[k - self._first]

    def take(self, lo: int, hi: int) -> list[bytes]:
        """chunks[lo:hi] (lo: the first not taken yet), then forgotten."""
        assert lo == self._first
        if hi > lo:
            self[hi - 1]
        seg = self._held[:hi - lo]
        del self._held[:hi - lo]
        self._first = hi
        return seg

    def rest(self, lo: int) -> Iterator[bytes]:
        """`b"</row>".join(chunks[lo:])` (lo: the first not taken yet), in pieces."""
        assert lo == self._first
        chunks = chain(self._held, self._chunks)
        self._held = []
        yield next(chunks)
        while seg := list(islice(chunks, 4096)):
            yield b"</row>" + b"</row>".join(seg)


def _encode_all(texts: list[str]) -> list[bytes]:
    """Each text as UTF-8, in one encoding (cell XML holds no NUL: it is not legal in XML)."""
    joined = "\0".join(texts)
    if not texts or joined.count("\0") != len(texts) - 1:
        return [t.encode("utf-8") for t in texts]
    return joined.encode("utf-8").split(b"\0")


def _edited_row(chunk: bytes, r: int, row_edits: dict[int, tuple], styles: Styles, col_style: dict[int, int],
                cm: int | None) -> bytes:
    """One existing row (its bytes up to `</row>`) with its edits put in, taken apart as text."""
    text = chunk.decode("utf-8")
    ti = text.find("<row")
    tj = text.index(">", ti)
    return (text[:ti] + _patch_row(text[ti + 4:tj], text[tj + 1:], r, row_edits, styles, col_style, cm)[:-6]
            ).encode("utf-8")


def _regex_rows(text: str, pending: list[int], edits: SheetEdits, styles: Styles, col_style: dict[int, int],
                cm: int | None) -> Iterator[bytes]:
    """The rows of a sheet not written as Excel writes them (rows or cells without `r`,
    self-closed rows), taken apart with regular expressions."""
    out = []
    pos = k = last_row = 0
    for m in _ROW.finditer(text):
        ra = _R_ATTR.search(m[1])
        r = int(ra[2]) if ra and ra[2] else last_row + 1
        last_row = r
        while k < len(pending) and pending[k] < r:
            out.append(text[pos:m.start()])
            pos = m.start()
            out.append(_new_row(pending[k], edits.row(pending[k]), styles, col_style, cm))
            k += 1
        if k < len(pending) and pending[k] == r:
            out.append(text[pos:m.start()])
            out.append(_patch_row(m[1], m[2] or "", r, edits.row(r), styles, col_style, cm))
            pos = m.end()
            k += 1
    out.append(text[pos:])
    out.extend(_new_row(r, edits.row(r), styles, col_style, cm) for r in pending[k:])
    yield "".join(out).encode("utf-8")


_ROW_NUM = Pattern(rb'<row r="(\d+)"')
_ROW_SPANS = Pattern(rb'\A(\s*<row\b[^>]*?)\s+spans="[^"]*"')


def _without_spans(chunk: bytes, tag_end: int) -> bytes:
    """A row's chunk without the `spans` of its start tag (`tag_end`: where the tag closes), which
    new cells may leave wrong; cut by `find` as `_ROW_SPANS` would (a regular expression per row
    of 100,000 costs 0.5 s)."""
    at = chunk.find(b"spans=", 0, tag_end)
    if at < 0:
        return chunk
    end = chunk.find(b'"', at + 7, tag_end)
    if chunk[at - 1:at] != b" " or chunk[at + 6:at + 7] != b'"' or end < 0:
        return _ROW_SPANS.sub(rb"\1", chunk, 1)            # another form: the expression decides
    return chunk[:at].rstrip() + chunk[end + 1:]


_COLUMNS: dict[bytes, int] = {}
_CELL_HEAD_B = Pattern(rb'(<c r="([A-Z]{1,3})\d+")(?: s="(\d+)")?')


def _tail(chunk: bytes, at: int, cells: bytes, first_col: int, col_style: dict[int, int]) -> int:
    """Where the row's cells in column `first_col` or right of it start (`at`: its last cell),
    when each of them is one that `cells` (the row's new cells) writes anew and has its column's
    format or the new cell's (an earlier run's), so that the new cell is the one `_cell_xml`
    would make of it; else -1."""
    first = chunk.find(cells[:cells.find(b'"', 6) + 1])      # the first new cell's column, in the row
    if first >= 0:                                             # (the usual case: the same columns again)
        new = {ref: s for ref, _, s in _CELL_HEAD_B.findall(cells)}
        old = _CELL_HEAD_B.findall(chunk, first)
        if chunk.count(b"<c", first) == len(old) and all(
                ref in new and (s == new[ref] or int(s or 0) == col_style.get(_col(letters), 0))
                for ref, letters, s in old):
            return first
    start, n = -1, 0
    while at >= 0:
        m = _CELL_HEAD_B.match(chunk, at)
        if not m:
            return -1
        col = _col(m[2])
        if col < first_col:
            break
        found = cells.find(m[1])
        old = int(m[3] or 0)
        if found < 0 or (old != col_style.get(col, 0) and old != int(_CELL_HEAD_B.match(cells, found)[3] or 0)):
            return -1
        start, n = at, n + 1
        at = chunk.rfind(b'<c r="', 0, at)
    return start if chunk.count(b"<c", start) == n else -1


def _col(letters: bytes) -> int:
    col = _COLUMNS.get(letters)
    if col is None:
        col = _COLUMNS[letters] = col_number(letters.decode())
    return col


def _last_col(chunk: bytes) -> int:
    """The column of the last cell of a row (0: none)."""
    at = chunk.rfind(b'<c r="')
    return _col(_LAST_CELL_REF_B.match(chunk, at)[1]) if at >= 0 else 0


def _select_view(head: str, select: bool) -> str:
    """Set (or clear) `tabSelected` on the first sheet view."""
    m = re.search(r"<sheetView\b[^>]*?(?=/?>)", head)
    if not m:
        return head
    tag = re.sub(r'\s+tabSelected="[^"]*"', "", m[0])
    if select:
        tag = tag.replace("<sheetView", '<sheetView tabSelected="1"', 1)
    return head[:m.start()] + tag + head[m.end():]


def set_column_widths(head: str, widths: dict[int, float]) -> str:
    """The sheet's start (up to `<sheetData>`) with these column widths (characters) set in `<cols>`:
    a `<col>` range covering a column is split around it (its other attributes kept: style,
    hidden…); `<cols>` is made, before `<sheetData>`, when the sheet has none."""
    m = _COLS.search(head)
    items = [(int(attrs(t)["min"]), int(attrs(t)["max"]), t) for t in _COL.findall(m[1])] if m else []
    for col, width in sorted(widths.items()):
        w = f' width="{width:g}" customWidth="1"'
        out, done = [], False
        for lo, hi, tag in items:
            if lo <= col <= hi:
                one = re.sub(r'\s(?:min|max|width|customWidth)="[^"]*"', "", tag)
                one = one.replace("<col", f'<col min="{col}" max="{col}"', 1)[:-2].rstrip() + w + "/>"
                if lo < col:
                    out.append((lo, col - 1, re.sub(r'\smax="\d+"', f' max="{col - 1}"', tag)))
                out.append((col, col, one))
                if col < hi:
                    out.append((col + 1, hi, re.sub(r'\smin="\d+"', f' min="{col + 1}"', tag)))
                done = True
            else:
                out.append((lo, hi, tag))
        if not done:
            out.append((col, col, f'<col min="{col}" max="{col}"{w}/>'))
        items = sorted(out, key=lambda t: t[0])
    cols = "<cols>" + "".join(t for _, _, t in items) + "</cols>"
    if m:
        return head[:m.start()] + cols + head[m.end():]
    at = head.rindex("<sheetData")
    return head[:at] + cols + head[at:]


def _grow_dimension(head: str, row: int, col: int) -> str:
    m = re.search(r'<dimension ref="([A-Z]+)(\d+)(?::([A-Z]+)(\d+))?"', head)
    if not m:
        return head
    c1, r1 = m[1], int(m[2])
    c2, r2 = (m[3], int(m[4])) if m[3] else (c1, r1)
    new_r, new_c = max(r2, row), max(col_number(c2), col)
    if (new_r, new_c) == (r2, col_number(c2)):
        return head
    return head[:m.start()] + f'<dimension ref="{c1}{r1}:{col_letters(new_c)}{new_r}"' + head[m.end():]


def _cell_xml(ref: str, old_attrs: str | None, old_body: str | None, base_style: int, edit: tuple,
              styles: Styles, cm: int | None) -> str:
    value, number_format, fill, formula = edit
    if value is KEEP:                                   # a mark: same content, new fill
        style = styles.derive(base_style, fill=fill) if fill is not KEEP else base_style
        if old_attrs is None:
            return f'<c r="{ref}" s="{style}"/>' if style else f'<c r="{ref}"/>'
        new_attrs = _S_ATTR.sub(f's="{style}"', old_attrs) if _S_ATTR.search(old_attrs) else f'{old_attrs} s="{style}"'
        return f"<c{new_attrs}/>" if old_body is None else f"<c{new_attrs}>{old_body}</c>"
    is_text = value.__class__ is str
    fmt = number_format if number_format and not is_text else None
    quote = is_text and formula is None and value.startswith(FORMULA_TRIGGERS)
    style = styles.derive(base_style, number_format=fmt, fill=fill, quote=quote) \
        if fmt is not None or fill is not KEEP or quote else base_style
    return value_xml(ref, style, value, formula, cm if formula and 't="array"' in formula else None)


_LAST_CELL_REF = Pattern(r'<c r="([A-Z]{1,3})\d+"')
_LAST_CELL_REF_B = Pattern(rb'<c r="([A-Z]{1,3})\d+"')


def _patch_row(row_attrs: str, body: str, r: int, row_edits: dict[int, tuple], styles: Styles,
               col_style: dict[int, int], cm: int | None) -> str:
    """One row (its start-tag attributes and its content) with the edited cells put in."""
    if "spans=" in row_attrs:
        row_attrs = re.sub(r'\s+spans="[^"]*"', "", row_attrs)
    row_style = None
    if _ROW_FORMATTED.search(row_attrs) and _S_ATTR.search(row_attrs):
        row_style = int(_S_ATTR.search(row_attrs)[1])
    first_edit = min(row_edits)
    last = body.rfind('<c r="')
    if "<extLst>" not in body and (last < 0 or col_number(_LAST_CELL_REF.match(body, last)[1]) < first_edit):
        # fast path: every edited cell lies right of the row's last cell (columns we add or own)
        return f"<row{row_attrs}>{body}{_new_cells(r, row_edits, styles, col_style, row_style, cm)}</row>"
    cells: list[tuple[int, str]] = []
    seen: set[int] = set()
    col = 0
    for c in _CELL.finditer(body):
        ra = _R_ATTR.search(c[1])
        col = col_number(ra[1]) if ra and ra[1] else col + 1
        edit = row_edits.get(col)
        if edit is None:
            cells.append((col, c[0]))
        else:
            s = _S_ATTR.search(c[1])
            cells.append((col, _cell_xml(f"{col_letters(col)}{r}", c[1], c[2], int(s[1]) if s else 0, edit, styles,
                                         cm)))
        seen.add(col)
    extra = re.search(r"<extLst>.*$", body, re.S)          # a row's own extension list stays last
    for col, edit in row_edits.items():
        if col not in seen:
            base = row_style if row_style is not None else col_style.get(col, 0)
            cells.append((col, _cell_xml(f"{col_letters(col)}{r}", None, None, base, edit, styles, cm)))
    cells.sort(key=lambda t: t[0])
    return f"<row{row_attrs}>" + "".join(x for _, x in cells) + (extra[0] if extra else "") + "</row>"


def _new_row(r: int, row_edits: dict[int, tuple], styles: Styles, col_style: dict[int, int], cm: int | None) -> str:
    return f'<row r="{r}">' + _new_cells(r, row_edits, styles, col_style, None, cm) + "</row>"


def _text_cell(ref: str, s: str, value: str, spilled: bool, short: dict[str, str]) -> str:
    """A text cell: a spilled formula's text result (`t="str"`), else an inline string; short texts
    repeat (Có/Không, messages), so they are escaped once (`short`)."""
    if spilled:
        return f'<c r="{ref}"{s} t="str"><v>{escape(_ILLEGAL_XML.sub("", value))}</v></c>'
    if len(value) < 64:
        xml = short.get(value)
        if xml is None:
            xml = short[value] = _text(value)
    else:
        xml = _text(value)
    return f'<c r="{ref}"{s} t="inlineStr"><is>{xml}</is></c>'


def _new_cells(r: int, row_edits: dict[int, tuple], styles: Styles, col_style: dict[int, int],
               row_style: int | None, cm: int | None) -> str:
    """Cells where the row had none: the common case of compute (plain numbers and text), without
    a call per cell; anything else through `_cell_xml`."""
    memo = styles.memo
    short = styles.texts
    out = []
    for c in sorted(row_edits):
        value, fmt, fill, formula = row_edits[c]
        base = row_style if row_style is not None else col_style.get(c, 0)
        cls = value.__class__
        if (formula is not None and formula != "") or fill is not KEEP or not (cls is int or cls is str or value is None):
            out.append(_cell_xml(f"{col_letters(c)}{r}", None, None, base, row_edits[c], styles, cm))
            continue
        quote = cls is str and formula is None and value.startswith(FORMULA_TRIGGERS)
        key = (base, None if cls is str else fmt, quote)     # an empty cell keeps its format (as _cell_xml)
        style = memo.get(key)
        if style is None:
            style = memo[key] = styles.derive(base, number_format=key[1], quote=quote) if key[1] or quote else base
        s = f' s="{style}"' if style else ""
        if cls is int:
            out.append(f'<c r="{col_letters(c)}{r}"{s}><v>{value}</v></c>')
        elif cls is str and value:
            out.append(_text_cell(f"{col_letters(c)}{r}", s, value, formula == "", short))
        else:
            out.append(f'<c r="{col_letters(c)}{r}"{s}/>')
    return "".join(out)


class _BlockCells:
    """The new cells of rows that only blocks write (no point edit), rendered column by column
    for a window of rows at a time: the same XML as `_new_cells(r, edits.row(r), …)` without a
    dict per row, and the texts of a column escaped in one pass (compute writes five columns of
    100,000 rows: issue 18.2)."""

    WINDOW = 1024

    def __init__(self, edits: SheetEdits, styles: Styles, col_style: dict[int, int], cm: int | None):
        self.edits, self.styles, self.col_style, self.cm = edits, styles, col_style, cm
        self.point = {r for r, line in edits.cells.items() if line}
        for r0, _, values, _, _ in edits.blocks:            # a ragged block: its rows the slow way
            if values.__class__ is _Column:
                continue
            lengths = list(map(len, values))
            if lengths and min(lengths) != max(lengths):
                width = max(lengths)
                self.point.update(r0 + i for i, n in enumerate(lengths) if n != width)

    def render(self, lo: int, hi: int) -> list[bytes]:
        """The cells XML of rows lo, lo + 1, … hi - 1 (b"" where no block writes; [] when none does)."""
        blocks = [(max(lo, r0), min(hi, r0 + len(values)), r0, c0, values, fmt, formula)
                  for r0, c0, values, fmt, formula in self.edits.blocks if max(lo, r0) < min(hi, r0 + len(values))]
        if not blocks:
            return []
        cols: dict[int, list] = {}
        for s, e, r0, c0, values, fmt, formula in blocks:    # in write order: later wins
            lines = values[s - r0:e - r0]
            flat = lines.values if lines.__class__ is _Column else None
            for j in range(_width(lines)):
                store = cols.get(c0 + j)
                if store is None:
                    store = cols[c0 + j] = [b""] * (hi - lo)
                store[s - lo:e - lo] = self._column(c0 + j, s, flat if flat is not None else
                                                    [line[j] if j < len(line) else None for line in lines], fmt,
                                                    formula)
        stores = [cols[c] for c in sorted(cols)]
        return stores[0] if len(stores) == 1 else list(map(b"".join, zip(*stores)))

    def _style(self, base: int, fmt: str | None, quote: bool) -> str:
        key = (base, fmt, quote)
        style = self.styles.memo.get(key)
        if style is None:
            style = self.styles.memo[key] = self.styles.derive(base, number_format=fmt, quote=quote) \
                if fmt or quote else base
        return f' s="{style}"' if style else ""

    def _column(self, c: int, r0: int, values: list, fmt: str | None, formula: str | None) -> list[bytes]:
        """The cells of one column from row r0 (as `_new_cells` writes each), as UTF-8."""
        base = self.col_style.get(c, 0)
        letters = col_letters(c)
        s_value, s_text = self._style(base, fmt, False), self._style(base, None, False)
        spilled = formula == ""
        t_open, t_close = (' t="str"><v>', b"</v></c>") if spilled else (' t="inlineStr"><is>', b"</is></c>")
        kinds = set(map(type, values))
        if kinds == {int}:                      # one kind of value: one comprehension
            return _encode_all([f'<c r="{letters}{r}"{s_value}><v>{v}</v></c>' for r, v in zip(count(r0), values)])
        if kinds == {dt.date}:
            epoch = EXCEL_EPOCH.date()
            return _encode_all([f'<c r="{letters}{r}"{s_value}><v>{(v - epoch).days}</v></c>'
                                for r, v in zip(count(r0), values)])
        if kinds == {str} and all(values) and (formula is not None or
                                               not any(map(str.startswith, values, repeat(FORMULA_TRIGGERS)))):
            heads = _encode_all([f'<c r="{letters}{r}"{s_text}{t_open}' for r in range(r0, r0 + len(values))])
            return [h + x + t_close for h, x in zip(heads, _text_bodies(values, spilled))]
        out, texts = [], []
        append = out.append
        for r, value in zip(count(r0), values):
            cls = value.__class__
            if cls is int:
                append(f'<c r="{letters}{r}"{s_value}><v>{value}</v></c>')
            elif cls is str:
                if not value:
                    append(f'<c r="{letters}{r}"{s_text}/>')
                    continue
                s = s_text if formula is not None or not value.startswith(FORMULA_TRIGGERS) else \
                    self._style(base, None, True)
                texts.append((len(out), value))
                append(f'<c r="{letters}{r}"{s}{t_open}')
            elif cls is dt.date:
                append(f'<c r="{letters}{r}"{s_value}><v>{serial(value)}</v></c>')
            elif value is None:                 # an empty cell keeps its format (as _cell_xml)
                append(f'<c r="{letters}{r}"{s_value}/>')
            else:
                append(_cell_xml(f"{letters}{r}", None, None, base, (value, fmt, KEEP, formula), self.styles,
                                 self.cm))
        out = _encode_all(out)
        for (i, _), x in zip(texts, _text_bodies([v for _, v in texts], spilled)):
            out[i] += x + t_close
        return out


_SEP = "\ue000"
_SEP_B = _SEP.encode("utf-8")
# the control characters XML 1.0 forbids (see _ILLEGAL_XML) → 0, every other byte → 1
_C0 = bytes(0 if b < 32 and b not in (9, 10, 13) else 1 for b in range(256))


def _text_bodies(values: list[str], spilled: bool) -> list[bytes]:
    """What `_text_cell` puts inside the cell for each text (`<t>…</t>`, or the escaped result of a
    spilled formula), as UTF-8: the texts encoded, checked and escaped together, as bytes (a text
    with a character XML forbids, or longer than a cell holds, the way `_text_cell` does it)."""
    data = _SEP.join(values).encode("utf-8")
    if (not values or data.count(_SEP_B) != len(values) - 1 or data.translate(_C0).find(0) >= 0
            or data.find(b"\xef\xbf\xbe") >= 0 or data.find(b"\xef\xbf\xbf") >= 0 or max(map(len, values)) > 32767):
        return [(escape(_ILLEGAL_XML.sub("", v)) if spilled else _text(v)).encode("utf-8") for v in values]
    parts = data.replace(b"&", b"&amp;").replace(b"<", b"&lt;").replace(b">", b"&gt;").split(_SEP_B)
    if spilled:
        return parts
    return [b"<t>" + x + b"</t>" if x[:1] in _PLAIN_START and x[-1:] in _PLAIN_END and x.find(10) < 0
            else b'<t xml:space="preserve">' + x + b"</t>" if _keep_spaces(x) else b"<t>" + x + b"</t>"
            for x in parts]


# bytes a text may start or end with and need no `xml:space="preserve"`: not an ASCII space, and
# not the first (last) byte of a space of Unicode's in UTF-8 (U+0085, U+00A0, U+1680, U+2000–U+200A,
# U+2028, U+2029, U+202F, U+205F, U+3000)
_PLAIN_START = {bytes([b]) for b in range(256) if not bytes([b]).isspace() and b not in (0xC2, 0xE1, 0xE2, 0xE3)}
_PLAIN_END = {bytes([b]) for b in range(256) if not bytes([b]).isspace()
              and b not in (0x85, 0xA0, 0xA8, 0xA9, 0xAF, 0x9F, *range(0x80, 0x8B))}


@lru_cache(maxsize=1024)
def _keep_spaces(text: bytes) -> bool:
    """`xml:space="preserve"` for this UTF-8 text (as `_text`: a space at either end, or a line
    break). Remembered: the texts that come here repeat (the marker «—» of every row not paid)."""
    if text.find(10) >= 0 or text[:1].isspace() or text[-1:].isspace():
        return True
    # a non-ASCII end may be a space of Unicode's (no-break space, ideographic space…)
    return (text[:1] >= b"\x80" and text[:4].decode("utf-8", "ignore")[:1].isspace()) or \
        (text[-1:] >= b"\x80" and text[-4:].decode("utf-8", "ignore")[-1:].isspace())


# ---------------------------------------------------------------- formula cells of a sheet

_F = Pattern(r"<f\b([^>]*)>([^<]*)</f>")
_F_B = Pattern(rb"<f\b([^>]*)>([^<]*)</f>")


def formula_cells(sheet_xml: str | bytes) -> dict[tuple[int, int], tuple[str, dict[str, str], dict[str, str]]]:
    """(row, col) → (formula text without '=', the <c> attributes, the <f> attributes) of every
    formula written out in full (shared-formula children carry no text and are left out). Given
    the part's bytes, only the formula cells are decoded (a 40 MB sheet never becomes one str)."""
    if isinstance(sheet_xml, bytes):
        out = {}
        for m in _F_B.finditer(sheet_xml):
            if m[2]:
                start = sheet_xml.rfind(b"<c ", 0, m.start())
                out.update(formula_cells(sheet_xml[start:m.end()].decode("utf-8")))
        return out
    out = {}
    for m in _F.finditer(sheet_xml):
        if not m[2]:
            continue
        start = sheet_xml.rfind("<c ", 0, m.start())
        ca = attrs(sheet_xml[start:sheet_xml.index(">", start)])
        if ca.get("r"):
            out[split_ref(ca["r"])] = (unescape(m[2]), ca, attrs(m[1]))
    return out


# ---------------------------------------------------------------- the port

class PatchPort:
    """A `BookPort` over a workbook file that writes by patching its package (see module doc)."""

    def __init__(self, path: str | Path, *, quiet: bool = False):
        from xl_support.book.safe_open import Inflated, screen_file
        self.path = Path(path)
        self.name = self.path.name
        self.quiet = quiet
        self._with_errors: set = set()                  # sheets that may hold error cells (None: unknown)
        self._keep = Inflated()                         # the parts screened: what `read_grids` reads
        self._screened = screen_file(self.path, with_errors=self._with_errors, keep=self._keep)
        self.package = Package.open(self.path)
        self._grids: dict[str, list[list]] | None = None
        self.edits: dict[str, SheetEdits] = defaultdict(SheetEdits)
        self.replaced: dict[str, object] = {}           # sheet name → SheetSpec
        self.active: str | None = None
        self.book_cache: dict = {}                      # ports.read_port_book: the file is parsed once
        self._formulas: dict[str, dict] = {}

    # -------------------------------------------------------- reading

    def sheet_names(self) -> list[str]:
        return [s.name for s in self.package.sheets]

    def _all_grids(self) -> dict[str, list[list]]:
        if self._grids is None:
            from xl_support.book.workbook import read_grids
            from xl_support.book.xlsx import error_cells
            pkg = self.package
            maybe = self._with_errors

            def errors() -> dict:                       # only when calamine reads (`xml_grid` reads them itself)
                return {s.name: found for s in pkg.sheets if s.part in pkg.parts and (None in maybe or s.name in maybe)
                        for found in [error_cells(pkg.parts[s.part])] if found}
            self._grids = read_grids(self.path, errors=errors, data=self._screened, keep=self._keep)
            self._screened = self._keep = None
        return self._grids

    def release_grids(self) -> None:
        """Forget the sheets' values once the book is parsed (issue 18 item 2: ≤ 400 MB at 100,000
        rows; compute's results then take their memory); read again if asked."""
        self._grids = None

    def read_grid(self, sheet: str) -> list[list]:
        """The sheet's values as every command reads them (workbook.read_grids, issue 11.8)."""
        return self._all_grids().get(sheet, [])

    def formulas(self, sheet: str) -> dict[tuple[int, int], tuple[str, dict, dict]]:
        """The sheet's formula cells as saved (see `formula_cells`)."""
        if sheet not in self._formulas:
            entry = self.package.sheet(sheet)
            self._formulas[sheet] = formula_cells(self.package.parts[entry.part]) if entry and entry.part else {}
        return self._formulas[sheet]

    # -------------------------------------------------------- writing (recorded, applied by save)

    def write_block(self, sheet, row, col, values, number_format=None):
        edits = self.edits[sheet]
        if sum(map(len, values)) >= edits.BLOCK_MIN:
            edits.add_block(row, col, _as_block(values), number_format)
            return
        for i, line in enumerate(values):
            for j, value in enumerate(line):
                edits.put(row + i, col + j, value, number_format)

    def write_formula(self, sheet, row, col, formula, cached: Sequence | None = None,
                      number_format: str | None = None, spill: bool = True):
        """A dynamic-array formula at (row, col) (`cm` + `ref`), with `cached` values stored as Excel
        stores a spilled column: the first in the anchor, the others in the cells below. Without
        `cached` the anchor holds no value (Excel computes it on open). `spill=False`: an ordinary
        one-cell formula (its cached value: `cached[0]`)."""
        text = formula[1:] if formula.startswith("=") else formula
        values = list(cached) if cached is not None else [None]
        if not values:
            values = [None]
        if not spill:
            values = values[:1]
        last = row + len(values) - 1
        ref = f"{col_letters(col)}{row}" + (f":{col_letters(col)}{last}" if last > row else "")
        f = f'<f t="array" ref="{ref}">{escape(text)}</f>' if spill else f"<f>{escape(text)}</f>"
        edits = self.edits[sheet]
        edits.put(row, col, values[0], number_format, formula=f)
        if len(values) > 1:                 # the spilled cells: results, no <f>
            edits.add_block(row + 1, col, _Column(values[1:]), number_format, formula="")

    def replace_sheet(self, spec) -> None:
        self.replaced[spec.name] = spec
        self.edits.pop(spec.name, None)

    def column_widths(self, sheet, widths):
        """Widths (characters) of columns of a sheet the user owns, set in its `<cols>` when saved."""
        self.edits[sheet].widths.update(widths)

    def mark_cells(self, sheet, cells, color):
        edits = self.edits[sheet]
        for row, col in cells:
            edits.put(row, col, fill=color)

    def activate(self, sheet: str) -> None:
        """Open the saved book on this sheet (issue 13.4)."""
        self.active = sheet

    def progress(self, text: str) -> None:
        if not self.quiet:
            print(text, file=sys.stderr)

    # -------------------------------------------------------- saving

    def save(self, out: str | Path) -> Path:
        from xl_support.book.fileio import UserFacingError, atomic_write
        if "xl/vbaProject.bin" in self.package.parts and Path(out).suffix.lower() not in (".xlsm", ".xltm"):
            raise UserFacingError(f"Sổ «{self.name}» có macro: hãy đặt tên tệp kết quả có đuôi .xlsm "
                                  f"(Excel không mở tệp .xlsx chứa macro).")
        self._grids = None                      # parsed into the book by now (read again if asked):
        self.book_cache.clear()                 # their memory goes to the writing
        parts = build_parts(self.package, self.edits, self.replaced, self.active)
        return atomic_write(out, lambda fh: write_zip(parts, self.package.order, fh))


def write_zip(parts: dict, order: list[str], fh) -> None:
    """The parts in their original order (new ones after), deflated; parts made while writing
    (`_Lazy`: the patched sheets, then styles.xml, which they add to) come last, streamed."""
    known = set(order)
    names = [n for n in order if n in parts] + sorted(n for n in parts if n not in known)
    late = [n for n in parts if isinstance(parts[n], _Lazy)]            # in the order they were made
    with zipfile.ZipFile(fh, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as zf:
        for name in [n for n in names if not isinstance(parts[n], _Lazy)] + late:
            info = zipfile.ZipInfo(name, (1980, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            info._compresslevel = 1
            data = parts[name]
            if isinstance(data, ZipRef):                # untouched and big: copied from the source file
                with zipfile.ZipFile(data.path) as src, src.open(data.name) as r, zf.open(info, "w",
                                                                                          force_zip64=True) as w:
                    shutil.copyfileobj(r, w, 1 << 20)
            elif isinstance(data, _Lazy):
                with zf.open(info, "w", force_zip64=True) as out:
                    _write_behind(out, data.pieces())
            else:
                zf.writestr(info, data, compresslevel=1)


def _write_behind(out, pieces: Iterator[bytes]) -> None:
    """Write the pieces to `out` (a zip entry) from a second thread: deflating and the CRC run
    without the GIL, so the next pieces are made meanwhile (issue 18.2). A failure on either
    side stops both and is raised here."""
    import queue
    import threading
    todo: queue.Queue = queue.Queue(maxsize=4)
    failed: list[BaseException] = []

    def drain():
        while (piece := todo.get()) is not None:
            if not failed:
                try:
                    out.write(piece)
                except BaseException as e:      # noqa: BLE001 — raised in the caller's thread
                    failed.append(e)

    worker = threading.Thread(target=drain, name="zip-writer", daemon=True)
    worker.start()
    try:
        for piece in pieces:
            if failed:
                break
            todo.put(piece)
    finally:
        todo.put(None)
        worker.join()
    if failed:
        raise failed[0]


def build_parts(pkg: Package, edits: dict[str, SheetEdits], replaced: dict, active: str | None) -> dict[str, bytes]:
    """The new package's parts: `pkg`'s, with the edits applied (see PatchPort.save)."""
    from xl_support.book.owned_xml import add_owned_sheet
    parts = pkg.parts.raw() if hasattr(pkg.parts, "raw") else dict(pkg.parts)
    styles_part = next((resolve(pkg.workbook_part, r.target) for r in pkg.rels(pkg.workbook_part)
                        if r.type.endswith("/styles")), "xl/styles.xml")
    styles = Styles(pkg.text(styles_part))
    wb = _WorkbookEdit(pkg, parts)
    cm = None
    if any('t="array"' in f for e in edits.values() for f in e.formulas()):
        cm = wb.dynamic_array_index()
    selected = active if active in [s.name for s in pkg.sheets] or active in replaced else None
    for name, spec in replaced.items():
        part = add_owned_sheet(wb, styles, spec)
        if name == selected:
            parts[part] = _select_view(parts[part].decode("utf-8"), True).encode("utf-8")
    for s in pkg.sheets:
        e = edits.get(s.name)
        if s.name in replaced or not s.part:
            continue
        select = None
        if selected is not None:
            select = s.name == selected
        raw = parts[s.part]                     # a big part is read (streamed) only up to <sheetData
        head = raw.head(b"<sheetData") if isinstance(raw, ZipRef) else \
            (raw[:raw.find(b"<sheetData")] if raw.find(b"<sheetData") >= 0 else None)
        if head is None:
            from xl_support.book.fileio import UserFacingError
            raise UserFacingError(f"Sheet «{s.name}» được lưu theo một dạng XML chưa hỗ trợ (có tiền tố không gian "
                                  f"tên): hãy mở sổ bằng Excel, lưu lại rồi chạy lại lệnh.")
        if (e is None or e.empty()) and (select is None or (b'tabSelected="1"' in head) == select):
            continue
        parts[s.part] = _Lazy(streamed_sheet_pieces if isinstance(raw, ZipRef) and raw.size > STREAMED_PART
                              else _whole_sheet_pieces, raw, e or SheetEdits(), styles, select=select, cm=cm)
    if selected is not None:
        wb.set_active(selected)
    if any(True for e in edits.values() for _ in e.formulas()):
        wb.keep_cached_values()
    parts.pop(styles_part, None)                 # last: the sheets above add the formats they use
    parts[styles_part] = _Lazy(lambda: [styles.render().encode("utf-8") if styles.changed else pkg.parts[styles_part]])
    wb.finish()
    return parts


#: a sheet part larger than this (uncompressed) is patched in two streaming passes (≤ 400 MB at
#: 100,000 rows); a smaller one is inflated once, whole (one pass: faster)
STREAMED_PART = 1 << 24


def _whole_sheet_pieces(raw: bytes | ZipRef, *args, **kwargs) -> Iterator[bytes]:
    """`sheet_pieces` of a part read whole when the writing reaches it."""
    return sheet_pieces(raw.read() if isinstance(raw, ZipRef) else raw, *args, **kwargs)


class _Lazy:
    """A part made while the zip is written (after the parts before it), as pieces of bytes."""

    def __init__(self, make, *args, **kwargs):
        self.make, self.args, self.kwargs = make, args, kwargs

    def pieces(self) -> Iterator[bytes]:
        return iter(self.make(*self.args, **self.kwargs))


class _WorkbookEdit:
    """Edits of workbook.xml, its relationships and the content types, made in place."""

    def __init__(self, pkg: Package, parts: dict[str, bytes]):
        self.pkg, self.parts = pkg, parts
        self.xml = pkg.workbook_xml
        self.rels = pkg.text(pkg.workbook_rels_part)
        self.types = pkg.text("[Content_Types].xml")
        self.changed = False

    # content types and relationships
    def add_override(self, part: str, content_type: str) -> None:
        if f'PartName="/{part}"' not in self.types:
            self.types = self.types.replace("</Types>", f'<Override PartName="/{part}" ContentType="{content_type}"/></Types>')

    def remove_override(self, part: str) -> None:
        self.types = re.sub(rf'<Override\b[^>]*PartName="/{re.escape(part)}"[^>]*/>', "", self.types)

    def new_part_name(self, folder: str, stem: str) -> str:
        n = 1
        while f"{folder}/{stem}{n}.xml" in self.parts:
            n += 1
        return f"{folder}/{stem}{n}.xml"

    def add_workbook_rel(self, rel_type: str, target: str) -> str:
        ids = {int(i) for i in re.findall(r'Id="rId(\d+)"', self.rels)}
        rid = f"rId{max(ids, default=0) + 1}"
        self.rels = self.rels.replace("</Relationships>",
                                      f'<Relationship Id="{rid}" Type="{rel_type}" Target="{target}"/></Relationships>')
        return rid

    def dynamic_array_index(self) -> int:
        """The metadata part's dynamic-array `cm` index, adding the part (or XLDAPR to it) if needed."""
        from xl_support.book.package import METADATA_CT, METADATA_REL, METADATA_XML
        rel = next((r for r in self.pkg.rels(self.pkg.workbook_part) if r.type == METADATA_REL), None)
        if rel is None:
            part = "xl/metadata.xml" if "xl/metadata.xml" not in self.parts else self.new_part_name("xl", "metadata")
            self.parts[part] = METADATA_XML.encode("utf-8")
            self.add_override(part, METADATA_CT)
            self.add_workbook_rel(METADATA_REL, part.removeprefix("xl/"))
            return 1
        part = resolve(self.pkg.workbook_part, rel.target)
        raw = self.parts[part]
        xml = (raw.read() if isinstance(raw, ZipRef) else raw).decode("utf-8")
        found = dynamic_array_index(xml)
        if found is not None:
            return found
        xml = _add_xldapr(xml)
        self.parts[part] = xml.encode("utf-8")
        return dynamic_array_index(xml) or 1

    # sheets
    def sheet_index(self, name: str) -> int:
        return [s.name for s in self.pkg.sheets].index(name)

    def add_sheet(self, name: str, part: str) -> None:
        rid = self.add_workbook_rel(WORKSHEET_REL, "/" + part)
        self.add_override(part, WORKSHEET_CT)
        sheet_id = max([s.sheet_id for s in self.pkg.sheets] + [0]) + 1
        tag = f'<sheet name="{escape(name, {chr(34): "&quot;"})}" sheetId="{sheet_id}" r:id="{rid}"/>'
        if 'xmlns:r="' + R_NS not in self.xml[:self.xml.index(">", self.xml.index("<workbook")) + 1]:
            tag = tag.replace(" r:id=", f' xmlns:r="{R_NS}" r:id=')
        self.xml = re.sub(r"</(\w+:)?sheets>", lambda m: tag + m[0], self.xml, count=1)
        self.pkg.sheets.append(SheetEntry(name, sheet_id, rid, part, "visible", tag))

    def set_print_titles(self, name: str, rows: str | None) -> None:
        """`_xlnm.Print_Titles` of one sheet (e.g. '7:7'), replacing the old one."""
        index = self.sheet_index(name)
        self.xml = re.sub(rf'<definedName\b[^>]*name="_xlnm\.Print_(?:Titles|Area)"[^>]*localSheetId="{index}"[^>]*>'
                          rf'[^<]*</definedName>', "", self.xml)
        self.xml = re.sub(rf'<definedName\b[^>]*localSheetId="{index}"[^>]*name="_xlnm\.Print_(?:Titles|Area)"[^>]*>'
                          rf'[^<]*</definedName>', "", self.xml)
        if not rows:
            return
        first, last = rows.split(":")
        quoted = "'" + name.replace("'", "''") + "'"
        tag = (f'<definedName name="_xlnm.Print_Titles" localSheetId="{index}">'
               f'{escape(quoted)}!${first}:${last}</definedName>')
        if re.search(r"<definedNames\s*/>", self.xml):
            self.xml = re.sub(r"<definedNames\s*/>", f"<definedNames>{tag}</definedNames>", self.xml)
        elif "</definedNames>" in self.xml:
            self.xml = self.xml.replace("</definedNames>", tag + "</definedNames>", 1)
        else:
            self.xml = re.sub(r"(</(?:\w+:)?sheets>)", rf"\1<definedNames>{tag}</definedNames>", self.xml, count=1)

    def set_active(self, name: str) -> None:
        """`activeTab` of the first workbook view → the sheet; shown if it was scrolled away."""
        index = self.sheet_index(name)
        m = re.search(r"<workbookView\b[^>]*?(?=/?>)", self.xml)
        if not m:
            return
        tag = m[0]
        for k, v in (("activeTab", str(index)),):
            tag, n = re.subn(rf'\s{k}="[^"]*"', f' {k}="{v}"', tag)
            if not n:
                tag += f' {k}="{v}"'
        first = re.search(r'\sfirstSheet="(\d+)"', tag)
        if first and int(first[1]) > index:
            tag = tag.replace(first[0], f' firstSheet="{index}"')
        self.xml = self.xml[:m.start()] + tag + self.xml[m.end():]

    def keep_cached_values(self) -> None:
        """The formulas now carry their values: drop `fullCalcOnLoad`, which makes LibreOffice and
        viewers recompute (and show `#NAME?` without the add-in). Excel still recalculates a book
        saved with an older `calcId` on open."""
        self.xml = re.sub(r'(<(?:\w+:)?calcPr\b[^>]*?)\s+fullCalcOnLoad="(?:1|true)"', r"\1", self.xml)

    def finish(self) -> None:
        for part, text in ((self.pkg.workbook_part, self.xml), (self.pkg.workbook_rels_part, self.rels),
                           ("[Content_Types].xml", self.types)):
            if text != self.pkg.text(part):
                self.parts[part] = text.encode("utf-8")


def _add_xldapr(xml: str) -> str:
    """Add the dynamic-array type, its future metadata and a cell-metadata block to a metadata part."""
    types = re.search(r"<metadataTypes\b[^>]*>(.*?)</metadataTypes>", xml, re.S)
    n_types = len(re.findall(r"<metadataType\b", types[1])) if types else 0
    if types:
        xml = (xml[:types.start()] + f'<metadataTypes count="{n_types + 1}">{types[1]}{XLDAPR_TYPE}</metadataTypes>'
               + xml[types.end():])
    else:
        xml = re.sub(r"(<metadata\b[^>]*>)", rf'\1<metadataTypes count="1">{XLDAPR_TYPE}</metadataTypes>', xml, count=1)
    if "xmlns:xda=" not in xml:
        xml = xml.replace("<metadata ", '<metadata xmlns:xda="http://schemas.microsoft.com/office/spreadsheetml/2017/'
                          'dynamicarray" ', 1)
    cell = re.search(r"<cellMetadata\b[^>]*>(.*?)</cellMetadata>", xml, re.S)
    block = f'<bk><rc t="{n_types + 1}" v="0"/></bk>'
    future = XLDAPR_FUTURE
    if cell:
        n = len(re.findall(r"<bk>", cell[1]))
        xml = xml[:cell.start()] + f'<cellMetadata count="{n + 1}">{cell[1]}{block}</cellMetadata>' + xml[cell.end():]
        xml = xml.replace(cell[0][:0] + f'<cellMetadata count="{n + 1}">', future + f'<cellMetadata count="{n + 1}">', 1)
    else:
        xml = xml.replace("</metadata>", f'{future}<cellMetadata count="1">{block}</cellMetadata></metadata>')
    return xml
