"""The screening's one pass also tells which sheets may hold error cells (issue 18 item 4: the
error-cell scan no longer reads every sheet a second time), and the reader still reports them;
and the extent it finds is the reader's, whichever way the cells are read (the vectorised
reading of `<c r="A1"` cells equals the reference regular expressions, both equal a parse)."""
import re
import xml.etree.ElementTree as ET
import zipfile

import openpyxl
import pytest
from hypothesis import given, settings, strategies as st

from xl_support.book import values as V
from xl_support.book import safe_open as S
from xl_support.book.register import column_letter
from xl_support.book.safe_open import check_workbook
from xl_support.book.workbook import read_grids


def _book(path, error_in: str | None = None):
    wb = openpyxl.Workbook()
    wb.active.title = "A"
    wb.create_sheet("B")
    for ws in wb:
        for r in range(1, 6):
            ws.append([r, f"dòng {r}"])
    wb.save(path)
    if error_in is None:
        return path
    with zipfile.ZipFile(path) as zf:
        parts = {n: zf.read(n) for n in zf.namelist()}
    part = "xl/worksheets/sheet1.xml" if error_in == "A" else "xl/worksheets/sheet2.xml"
    xml = re.sub(r'<c r="B3"[^>]*?(?:/>|>.*?</c>)', '<c r="B3" t="e"><f>#REF!+1</f><v>#REF!</v></c>',
                 parts[part].decode(), count=1, flags=re.S)
    parts[part] = xml.encode()
    with zipfile.ZipFile(path, "w") as zf:
        for n, d in parts.items():
            zf.writestr(n, d)
    return path


def test_screening_names_the_sheets_with_error_cells(tmp_path):
    clean, found = set(), set()
    assert check_workbook(_book(tmp_path / "clean.xlsx"), with_errors=clean) is None
    assert clean == set()
    assert check_workbook(_book(tmp_path / "err.xlsx", "B"), with_errors=found) is None
    assert found == {"B"}


def test_error_cell_still_read_at_its_cell(tmp_path):
    grids = read_grids(_book(tmp_path / "err.xlsx", "B"))
    cell = grids["B"][2][1]
    assert isinstance(cell, V.ExcelError) and cell.code == "#REF!"
    assert grids["A"][2][1] == "dòng 3"
    assert not any(isinstance(v, V.ExcelError) for row in read_grids(_book(tmp_path / "ok.xlsx"))["B"] for v in row)


# ---------------------------------------------------------------- the real extent: fast = reference

WIDE = S.Limits(max_rows=10**9, max_cols=10**9, max_cells=10**15)
NS = b'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:x="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'
FORMS = {          # how a cell with reference `ref` is written; "canonical" is `<c r="…"` (every common writer)
    "canonical": lambda ref, body: f'<c r="{ref}" s="1" t="n">{body}</c>',
    "empty": lambda ref, body: f'<c r="{ref}"/>',
    "error": lambda ref, body: f'<c r="{ref}" t="e"><v>#REF!</v></c>',
    "attr_first": lambda ref, body: f'<c s="2" r="{ref}">{body}</c>',
    "quote": lambda ref, body: f"<c r='{ref}'>{body}</c>",
    "lower": lambda ref, body: f'<c r="{ref.lower()}">{body}</c>',
    "prefix": lambda ref, body: f'<x:c r="{ref}">{body}</x:c>',
    "newline": lambda ref, body: f'<c\nr="{ref}">{body}</c>',
    "spaces": lambda ref, body: f'<c r = "{ref}">{body}</c>',
    "gt_in_value": lambda ref, body: f'<c z="&gt;>" r="{ref}">{body}</c>',
}
BODIES = ["<v>1</v>", '<is><t>Ghi chú: "e" là c r=</t></is>', "<f>A1+1</f><v>2</v>", "",
          "<is><t>" + "Nguyễn Văn An " * 20 + "</t></is>"]


def _sheet(rows: list[tuple[int, list[tuple[int, str, int]]]]) -> bytes:
    body = "".join(f'<row r="{r}">' + "".join(FORMS[form](f"{column_letter(c)}{r}", BODIES[b]) for c, form, b in cells)
                   + "</row>" for r, cells in rows)
    return (b'<?xml version="1.0" encoding="UTF-8"?><worksheet ' + NS + b'><dimension ref="A1:O10"/>'
            b'<cols><col min="1" max="3" width="9"/></cols><sheetData>' + body.encode()
            + b"</sheetData><conditionalFormatting><cfRule type=\"x\"/></conditionalFormatting></worksheet>")


def _truth(data: bytes) -> tuple[int, int, int]:
    """(last row, last column, cells) as the reader sees them: elements named c, attribute r."""
    rows = cols = cells = 0
    for el in ET.fromstring(data).iter():
        if el.tag.rsplit("}", 1)[-1] == "c":
            cells += 1
            m = re.fullmatch(r"([A-Za-z]+)(\d+)", el.get("r"))
            rows, cols = max(rows, int(m[2])), max(cols, S._col_number(m[1].encode()))
    return rows, cols, cells


def _pieces(data: bytes, sizes: list[int]):
    at, out = 0, []
    for size in sizes * (len(data) // max(min(sizes), 1) + 1):
        if at >= len(data):
            break
        out.append(data[at:at + size])
        at += size
    return lambda: iter(out)


row_numbers = st.integers(1, 1_200_000)
cells_of_row = st.lists(st.tuples(st.integers(1, 17_000), st.sampled_from(sorted(FORMS)), st.integers(0, 4)),
                        min_size=1, max_size=12)


@settings(max_examples=150, deadline=None)
@given(rows=st.lists(st.tuples(row_numbers, cells_of_row), min_size=1, max_size=40),
       sizes=st.lists(st.integers(200, 9000), min_size=1, max_size=4), canonical=st.booleans())
def test_extent_is_the_readers_extent(rows, sizes, canonical):
    """Rows out of order, columns up to XFD and beyond, every way of writing a cell, pieces of any
    size (a far cell at a piece boundary): the screened extent is the reader's, and the fast
    reading of a piece equals the reference reading of it."""
    if canonical:
        rows = [(r, [(c, "canonical", b) for c, _, b in cells]) for r, cells in rows]
    data = _sheet(rows)
    last_row, last_col, cells = _truth(data)
    e = S.sheet_extent(_pieces(data, sizes), WIDE)
    assert (e.rows, e.cols, e.cells) == (last_row, last_col, cells)
    assert e.errors == (b't="e"' in data)
    whole = S.sheet_extent(lambda: iter([data]), WIDE)
    assert whole == S._extent(iter([data]), WIDE, fast=False) and (whole.rows, whole.cols) == (last_row, last_col)
    fast, ref = S.fast_cells(data), S.reference_cells(data)
    assert fast is None or fast == ref
    if canonical:
        assert fast == ref


@pytest.mark.parametrize("shift", range(-3, 4))
def test_error_cell_found_at_either_parity_and_across_blocks(shift):
    """`t="e"` is seen wherever it starts (even or odd byte, across a block boundary of `_scan`),
    and a piece with none is not flagged, though each `="false"` in it ends in `e"` (LibreOffice)."""
    row = b'<row r="1" hidden="false"><c r="A1" s="0"><v>1</v></c></row>'
    rows = row * (S._BLOCK // len(row) - 1)
    error = b'<c r="B2" t="e"><v>#REF!</v></c>'
    head = b"<sheetData>" + rows
    quote = S._BLOCK + shift                                # where the `"` of `t="e"` falls
    data = head + b" " * (quote - len(head) - error.index(b'"e')) + error + b"</sheetData>" + b" " * 40
    assert data.index(b'"e"') == quote
    assert S.fast_cells(data).errors
    assert not S.fast_cells(data.replace(error, b'<c r="B2"><v>1</v></c>')).errors


@pytest.mark.parametrize("cells, far", [
    ('<c r="A1"/><c r="B2"/>', "B2"),
    ('<c r="Q1000"><v>1</v></c><c r="C999999"/>', "C999999"),
    ('<c r="XFD7"/><c r="A3"/>', "XFD7"),
    ('<c r="A9"/><c r="ZZ9"/><c r="A9"/>', "ZZ9"),
])
def test_fast_reading_of_canonical_cells(cells, far):
    data = b"<sheetData><row>" + cells.encode() + b"</row></sheetData>" + b" " * 40
    fast = S.fast_cells(data)
    assert fast == S.reference_cells(data) and far in (fast.row_cell, fast.col_cell)


@pytest.mark.parametrize("cells", ['<c r="A1"/><c>x</c>', '<c r="A1"/><x:c r="B1"/>', '<c r="A1"/><c s="1" r="B1"/>',
                                   "<c r='A1'/>", '<c r="a1"/>', '<c r="ABCD1"/>', '<c r="A12345678"/>',
                                   '<c r="A1 "/>', '<c\tr="A1"/>', '<c/>', '<c r="A0012"/>',
                                   '<c r="A"/>', '<c r="1"/>', '<c r="A1\'/>'])
def test_fast_reading_leaves_other_forms_to_the_reference(cells):
    data = b"<sheetData><row>" + cells.encode() + b"</row></sheetData>" + b" " * 40
    assert S.fast_cells(data) is None


def _placed(data: bytes) -> tuple[int, int]:
    """(rows, columns) the reader allocates, placing a cell without a reference as it does: after
    the previous cell of its row, its row from the row element's `r` or after the previous row."""
    rows = cols = 0
    row_index = 0
    for el in ET.fromstring(data).iter():
        name = el.tag.rsplit("}", 1)[-1]
        if name == "row":
            row_index = int(el.get("r")) - 1 if el.get("r") else row_index
            col_index = 0
            for c in el:
                if c.get("r"):
                    m = re.fullmatch(r"([A-Za-z]+)(\d+)", c.get("r"))
                    row, col_index = int(m[2]) - 1, S._col_number(m[1].encode()) - 1
                else:
                    row = row_index
                rows, cols = max(rows, row + 1), max(cols, col_index + 1)
                col_index += 1
            row_index += 1
    return rows, cols


@settings(max_examples=120, deadline=None)
@given(rows=st.lists(st.tuples(st.one_of(st.none(), st.integers(1, 3000)),
                               st.lists(st.one_of(st.none(), st.integers(1, 300)), min_size=0, max_size=8)),
                     min_size=1, max_size=200),
       sizes=st.lists(st.integers(200, 9000), min_size=1, max_size=3))
def test_cells_without_reference_are_counted_conservatively(rows, sizes):
    """Rows without `r` (placed after the previous row) and cells without `r` (after the previous
    cell), in any piece: the screened extent is never smaller than what the reader allocates."""
    text = "".join((f'<row r="{r}">' if r else "<row>") + "".join(
        f'<c r="{column_letter(c)}{r or 1}"><v>1</v></c>' if c else "<c><v>2</v></c>" for c in cells) + "</row>"
        for r, cells in rows)
    data = (b'<worksheet ' + NS + b'><sheetData>' + text.encode() + b'<row><c r="A1"/></row>' * 60
            + b"</sheetData></worksheet>")
    e = S.sheet_extent(_pieces(data, sizes), WIDE)
    placed = _placed(data)
    assert e.rows >= placed[0] and e.cols >= placed[1], (e, placed)


def test_rows_before_a_late_cell_without_reference_are_counted():
    """5,000 rows without `r` in the first pieces, then one cell without a reference: it is on
    row 5,001 for the reader, however the part is cut."""
    data = (b'<worksheet ' + NS + b'><sheetData>' + b'<row><c r="A1"><v>1</v></c></row>' * 5000
            + b"<row><c><v>2</v></c></row></sheetData></worksheet>")
    for size in (5000, 40000, len(data)):
        e = S.sheet_extent(_pieces(data, [size]), WIDE)
        assert e.rows >= 5001 and e.cells == 5001, (size, e)


_CELL_FORMS = [
    '<c r="A{r}" t="e"><v>#REF!</v></c>', '<c r="B{r}" s="3" t="e"><f>1/0</f><v>#DIV/0!</v></c>',
    '<c r="C{r}" t="e" s="1"><f t="array" ref="C{r}">X()</f><v>#NAME?</v></c>', '<c r="D{r}" t="e"/>',
    '<c r="E{r}" t="inlineStr"><is><t>t="e" &lt;c t="e"&gt;</t></is></c>', '<c r="F{r}"><f>"t=""e"""</f><v>0</v></c>',
    '<c r="G{r}"\nt="e"><v>#N/A</v></c>', '<c r="H{r}" xt="e"><v>1</v></c>', '<c r="I{r}"><v>2</v></c>',
    '<cols><col min="1" t="e"/></cols>', '<c r="J{r}" t="e"><v>#VALUE!</v></c>',
]


@settings(max_examples=200, deadline=None)
@given(st.lists(st.lists(st.sampled_from(_CELL_FORMS), max_size=6), max_size=12))
def test_error_cells_found_by_their_t_as_a_regular_expression_finds_them(rows):
    """`xlsx.error_cells` finds `t="e"` and reads its cell around it: what a regular expression over
    every cell finds (an error in a text or a formula, another attribute ending in `t`: none; a
    self-closed error cell has no value, and no longer hides the error cell after it)."""
    from xl_support.book.xlsx import col_number, error_cells, unescape
    xml = "<sheetData>" + "".join(f'<row r="{r}">' + "".join(c.format(r=r) for c in cells) + "</row>"
                                  for r, cells in enumerate(rows, 1)) + "</sheetData>"
    reference = []
    for m in re.finditer(rb'<c\b([^>]*?\bt="e"[^>/]*)(?:/>|>(.*?)</c>)', xml.encode(), re.S):
        r, v = re.search(rb'\br="([A-Z]{1,3})(\d+)"', m[1]), m[2] and re.search(rb"<v>([^<]*)</v>", m[2])
        if r and v:
            reference.append((int(r[2]), col_number(r[1].decode()), unescape(v[1].decode())))
    assert error_cells(xml.encode()) == reference
