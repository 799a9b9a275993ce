"""The sheet patcher on hand-written XML: cells put in column order, rows in row order, every
other byte kept (issue 18.1)."""
from __future__ import annotations

import datetime as dt
import re

from hypothesis import given, settings, strategies as st

from xl_support.book.patch import SheetEdits, Styles, patch_sheet
from xl_support.book.values import ExcelError

STYLES = ('<styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><fonts count="1"><font>'
          '<sz val="11"/><name val="Calibri"/></font></fonts><fills count="2"><fill><patternFill patternType="none"/>'
          '</fill><fill><patternFill patternType="gray125"/></fill></fills><cellXfs count="2"><xf numFmtId="0" '
          'fontId="0" fillId="0" borderId="0"/><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellXfs>'
          '</styleSheet>')


def sheet(rows: str, cols: str = "") -> str:
    return ('<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><dimension ref="A1:C3"/>'
            f'<sheetViews><sheetView workbookViewId="0"/></sheetViews>{cols}<sheetData>{rows}</sheetData>'
            '<pageMargins left="0.7" right="0.7" top="0.75" bottom="0.75" header="0.3" footer="0.3"/></worksheet>')


def cells(xml: str) -> list[str]:
    return re.findall(r'<c r="([A-Z]+\d+)"', xml)


def test_cells_and_rows_in_order_everything_else_kept():
    for last_row in ('<row r="3" spans="1:3"><c r="A3"><v>9</v></c></row>', '<row r="3"/>'):   # split / regex path
        xml = sheet('<row r="1" spans="1:3" x14ac:dyDescent="0.25"><c r="A1" s="1"><v>1</v></c><c r="C1"><v>3</v>'
                    f'</c></row>{last_row}', '<cols><col min="2" max="2" width="9" style="1" customWidth="1"/></cols>')
        edits = SheetEdits()
        edits.put(1, 2, 5)                          # between two cells of row 1
        edits.put(2, 1, "x < y")                    # a new row between rows 1 and 3
        edits.put(3, 1, dt.date(2026, 11, 30), "dd/mm/yyyy")
        edits.put(5, 2, ExcelError("#N/A"))         # a new last row
        edits.put(1, 1, fill="FFC7CE")              # a mark: value kept
        styles = Styles(STYLES)
        out = patch_sheet(xml, edits, styles)
        assert cells(out) == ["A1", "B1", "C1", "A2", "A3", "B5"]
        assert '<c r="B1" s="1"><v>5</v></c>' in out                     # the column's style, like Excel
        assert "<t>x &lt; y</t>" in out and '<v>46356</v>' in out and '<c r="B5" s="1" t="e"><v>#N/A</v></c>' in out
        assert re.search(r'<c r="A1" s="(\d+)"><v>1</v></c>', out)[1] != "1"     # new fill, same value
        assert 'x14ac:dyDescent="0.25"' in out and "spans" not in out.split("</row>")[0]
        assert out.endswith('<pageMargins left="0.7" right="0.7" top="0.75" bottom="0.75" header="0.3" '
                            'footer="0.3"/></worksheet>')
        assert '<dimension ref="A1:C5"/>' in out
        assert styles.changed and 'formatCode="dd/mm/yyyy"' in styles.render()


def test_untouched_rows_are_byte_identical():
    rows = "".join(f'<row r="{r}"><c r="A{r}" t="s"><v>{r}</v></c></row>' for r in range(1, 200))
    edits = SheetEdits()
    edits.add_block(50, 2, [[r] for r in range(100)], None)
    out = patch_sheet(sheet(rows), edits, Styles(STYLES))
    before = re.findall(r'<row r="(\d+)">(.*?)</row>', sheet(rows))
    after = dict(re.findall(r'<row r="(\d+)">(.*?)</row>', out))
    for r, body in before:
        if not 50 <= int(r) < 150:
            assert after[r] == body
        else:
            assert after[r] == body + f'<c r="B{r}"><v>{int(r) - 50}</v></c>'


def test_block_rows_rendered_by_column_as_cell_by_cell():
    """issue 18.2 — rows only blocks write are rendered column by column (a window of rows at a
    time, a one-column block kept flat): the same XML as each cell written on its own."""
    from xl_support.book.patch import _as_block

    kinds = [7, "Có", "=not a formula", None, dt.date(2026, 2, 28), "", 2.5, ExcelError("#REF!"), "a" * 80, True]
    n = 5000                                    # more than one window of rows
    column = [[kinds[i % len(kinds)]] for i in range(n)]
    rows = "".join(f'<row r="{r}"><c r="A{r}"><v>{r}</v></c></row>' for r in range(1, n + 20, 3))
    outs = []
    for blocks in (True, False):
        edits = SheetEdits()
        if blocks:
            edits.add_block(2, 2, _as_block(column), "#,##0")
            edits.add_block(2, 3, [[v[0], "x"] for v in column], None)     # two columns wide
            edits.add_block(2, 5, column, None, formula="")                  # a spill's results
        else:
            for i, (v,) in enumerate(column):
                edits.put(2 + i, 2, v, "#,##0")
                edits.put(2 + i, 3, v)
                edits.put(2 + i, 4, "x")
                edits.put(2 + i, 5, v, formula="")
        edits.put(4100, 2, fill="FFC7CE")       # a mark on a cell a block writes
        outs.append(patch_sheet(sheet(rows), edits, Styles(STYLES)))
    assert outs[0] == outs[1]
    assert '<c r="B4100" s="' in outs[0] and cells(outs[0])[:5] == ["A1", "B2", "C2", "D2", "E2"]


def test_split_rows_same_as_rows_taken_apart(monkeypatch):
    """issue 18.2 — the sheet split at `</row>` (block rows get their cells appended, or put in
    place of the cells they write anew; windows of rows; new rows put between, after and before
    the existing ones) writes what taking every row apart with regular expressions writes: spans
    dropped, a row format (as Excel and as LibreOffice write it), a cell right of the block, an
    extension list, an unreferenced cell, point edits over blocks."""
    from xl_support.book import patch

    monkeypatch.setattr(patch._BlockCells, "WINDOW", 3)
    regex_rows = patch._regex_rows
    monkeypatch.setattr(patch, "_regex_rows", None)         # the sheet is split, not taken apart
    rows = ['<row r="3" spans="1:4"><c r="A3"><v>3</v></c></row>',
            '<row r="4" s="1" customFormat="1"><c r="A4"><v>4</v></c></row>',
            '<row r="5"><c r="A5"><v>5</v></c><c r="D5"><v>9</v></c></row>',
            '<row r="6"><c r="A6"><v>6</v></c><extLst><ext uri="x"/></extLst></row>',
            '<row r="7"><c r="A7"><v>7</v></c><c><v>8</v></c></row>',
            '<row r="9"/>'.replace("/>", "></row>"), '<row r="12" ht="20" customHeight="1"></row>',
            '<row r="13"><c r="A13"><v>1</v></c><c r="B13"><v>0</v></c><c r="C13" t="inlineStr"><is><t>old</t>'
            '</is></c><c r="D13"><v>1</v></c></row>',                      # cells the blocks replace whole
            '<row r="14"><c r="A14"><v>1</v></c><c r="C14" s="1"><v>0</v></c></row>',   # another format
            '<row r="15"><c r="A15"><v>1</v></c><c r="E15"><v>0</v></c></row>',         # a cell no block writes
            '<row r="16" customFormat="false" ht="15" hidden="false"><c r="A16"><v>1</v></c></row>',  # LibreOffice
            '<row r="17" customFormat="true" s="1" ht="15"><c r="A17"><v>1</v></c></row>',   # its row format
            *(f'<row r="{r}"><c r="A{r}" t="inlineStr"><is><t>{r}</t></is></c></row>' for r in range(18, 30))]
    edits = SheetEdits()
    edits.add_block(2, 2, [[r, f"t{r}", dt.date(2026, 1, r % 28 + 1)] for r in range(2, 40)], "#,##0")
    edits.add_block(10, 4, [["x"]] * 4, None, formula="")
    edits.put(20, 2, "point")
    edits.put(21, 3, fill="FFC7CE")
    edits.put(45, 1, 1)
    xml = sheet("".join(rows))
    styles, ref_styles = Styles(STYLES), Styles(STYLES)
    taken_apart = []
    edited_row = patch._edited_row
    monkeypatch.setattr(patch, "_edited_row", lambda chunk, r, *a: taken_apart.append(r) or edited_row(chunk, r, *a))
    out = patch_sheet(xml, edits, styles)
    assert 16 not in taken_apart and 17 in taken_apart     # customFormat="false": no format of its own
    body = xml[xml.index("<sheetData>") + 11:xml.index("</sheetData>")]
    reference = b"".join(regex_rows(body, edits.rows(), edits, ref_styles, {}, None)).decode()

    def formats(text, st):                      # the same formats, maybe made in another order
        return re.sub(r' s="(\d+)"', lambda m: f' s="{st.xf_xml(int(m[1]))}"', text)

    assert formats(out[out.index("<sheetData>") + 11:out.index("</sheetData>")], styles) == \
        formats(reference, ref_styles)
    assert cells(out)[:4] == ["B2", "C2", "D2", "A3"] and "spans" not in out and cells(out)[-1] == "A45"
    style = {r: re.search(rf'<c r="B{r}" s="(\d+)"', out)[1] for r in (16, 17)}
    assert style[16] != style[17]                           # B17 takes its row's format, B16 none


def test_a_big_part_streamed_in_pieces_is_patched_as_a_whole_one(tmp_path):
    """issue 18 item 2: a big sheet part is inflated in pieces, in two passes; whatever the pieces'
    size, the patched part is the one `sheet_pieces` makes of the whole bytes (and an odd sheet,
    a self-closed row, is read whole)."""
    import zipfile

    from xl_support.book.patch import sheet_pieces, streamed_sheet_pieces
    from xl_support.book.xlsx import ZipRef

    class SmallPieces(ZipRef):
        def __init__(self, path, name, step):
            super().__init__(path, name)
            self.step = step

        def pieces(self, step=None):
            return super().pieces(self.step)

    rows = "".join(f'<row r="{r}" spans="1:3"><c r="A{r}" t="s"><v>{r}</v></c><c r="C{r}"><v>{r % 7}</v></c></row>'
                   for r in range(1, 3000) if r % 97)                  # gaps: rows 97, 194… are new rows
    odd = rows.replace('<row r="5" spans="1:3"><c r="A5" t="s"><v>5</v></c><c r="C5"><v>5</v></c></row>',
                       '<row r="5"/>')

    def edited() -> SheetEdits:
        edits = SheetEdits()
        edits.add_block(2, 4, [[r, f"t{r}"] for r in range(2, 2600)], "#,##0")   # 3 windows, the rest streamed
        edits.put(1500, 2, "x")                                                   # a point edit in a row
        edits.put(3005, 1, 7)                                                     # a new last row
        return edits

    for body, make, select in ((rows, edited, None), (rows, SheetEdits, True), (odd, edited, None)):
        xml = sheet(body).encode()
        path = tmp_path / "book.zip"
        with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
            zf.writestr("sheet.xml", xml)
        whole_styles = Styles(STYLES)
        whole = b"".join(sheet_pieces(xml, make(), whole_styles, select=select))
        for step in (3, 64, 4096, 1 << 20):
            styles = Styles(STYLES)
            assert b"".join(streamed_sheet_pieces(SmallPieces(path, "sheet.xml", step), make(), styles,
                                                  select=select)) == whole
            assert styles.render() == whole_styles.render()


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from([' r="7"', ' spans="1:22"', '  spans="2:3"', '\tspans="x"', ' ht="15"',
                                 ' x14ac:dyDescent="0.25"', ' customFormat="false"', ' spans="', ' spans=1']),
                max_size=5),
       st.sampled_from(["", "\n", "  "]), st.sampled_from(['<c r="A7"><v>1</v></c>', "", '<c r="B7" spans="9"/>']))
def test_spans_dropped_by_find_as_by_the_regular_expression(attrs, lead, body):
    """issue 18.2 — a row's `spans` cut by `find` (`_without_spans`) is what `_ROW_SPANS` cuts."""
    from xl_support.book.patch import _ROW_SPANS, _without_spans
    chunk = f"{lead}<row{''.join(attrs)}>{body}".encode()
    assert _without_spans(chunk, chunk.find(b">")) == _ROW_SPANS.sub(rb"\1", chunk, 1)
