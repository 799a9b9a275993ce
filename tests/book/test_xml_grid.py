"""`xml_grid` (issue 18 item 4): a book in the usual form is read from the screened parts into the
very grids python-calamine gives — the same values, the same types, the same shape — and any form
it does not read is left to calamine (`read_grids` still gives calamine's values). The one reading
of a book (issue 11.8) stays one: every comparison here is against calamine itself."""
import datetime as dt
import io
import random
import zipfile
from pathlib import Path

import numpy as np
import openpyxl
import pytest
import xlsxwriter
from python_calamine import CalamineWorkbook

from xl_support.book import xml_grid as X
from xl_support.book.fileio import UserFacingError
from xl_support.book.safe_open import Inflated, read_screened
from xl_support.book.values import ExcelError
from xl_support.book.workbook import read_grids

from tests.harness.zip_parts import spoil_crc

ROOT = Path(__file__).resolve().parents[2]
TEXTS = ["Nguyễn Văn An", "Trần Thị Bích Ngọc", " cách đầu", "cách cuối ", "  ", "", "a & b <c> \"d\" 'e'",
         "TN-BTXH", "100817077201", "Tổ dân phố 8", "dòng 1\ndòng 2", "Ωµ—€", "=1+1", "0012"]


def calamine(source) -> dict:
    wb = (CalamineWorkbook.from_filelike(io.BytesIO(source)) if isinstance(source, bytes)
          else CalamineWorkbook.from_path(str(source)))
    return {n: wb.get_sheet_by_name(n).to_python(skip_empty_area=False) for n in wb.sheet_names}


def fast(path):
    keep = Inflated()
    read_screened(path, keep=keep)
    return X.book_grids(keep)


def typed(grids: dict) -> dict:
    return {n: [[(type(v).__name__, v) for v in row] for row in grid] for n, grid in grids.items()}


def random_value(rng: random.Random):
    pick = rng.random()
    if pick < 0.35:
        return rng.choice(TEXTS)
    if pick < 0.55:
        return rng.choice([0, 1, -7, 42, 540_000, 1_050_000, 12_345_678, 123_456_789_012, 0.5, -3.25, 1e20,
                           2.5e-7, 1 / 3, 99_999_999.75])
    if pick < 0.75:
        return dt.date(1950, 1, 1) + dt.timedelta(days=rng.randrange(0, 40_000))
    if pick < 0.8:
        return rng.random() < 0.5
    return None


def xlsxwriter_book(path: Path, seed: int) -> Path:
    rng = random.Random(seed)
    wb = xlsxwriter.Workbook(str(path))
    date = wb.add_format({"num_format": "dd/mm/yyyy"})
    money = wb.add_format({"num_format": "#,##0"})
    for name in ("Trẻ em NQ55", "Hộ nghèo NQ04", "Tham số"):
        ws = wb.add_worksheet(name)
        for r in range(rng.randrange(20, 120)):
            for c in range(rng.randrange(1, 24)):
                v = random_value(rng)
                if isinstance(v, dt.date):
                    ws.write_datetime(r, c, v, date)
                elif isinstance(v, bool):
                    ws.write_boolean(r, c, v)
                elif isinstance(v, (int, float)):
                    ws.write_number(r, c, v, money if rng.random() < 0.3 else None)
                elif isinstance(v, str) and v.startswith("="):
                    ws.write_formula(r, c, '="x"&"y"', None, "xy")       # a formula's text, cached
                elif v is not None:
                    ws.write_string(r, c, v)
        ws.write_formula(0, 30, "=1+1", None, 2)                          # a formula's number, cached
    wb.close()
    return path


def openpyxl_book(path: Path, seed: int) -> Path:
    rng = random.Random(seed)
    wb = openpyxl.Workbook()
    wb.active.title = "Trẻ em NQ55"
    for ws in (wb.active, wb.create_sheet("Tham số")):
        for r in range(1, rng.randrange(20, 80)):
            for c in range(1, rng.randrange(2, 20)):
                v = random_value(rng)
                if isinstance(v, str) and v.startswith("="):
                    v = "không phải công thức"
                cell = ws.cell(r, c, v)
                if isinstance(v, dt.date):
                    cell.number_format = "dd/mm/yyyy"
    wb.save(path)
    return path


@pytest.mark.parametrize("seed", [1, 2, 3])
@pytest.mark.parametrize("writer", [xlsxwriter_book, openpyxl_book])
def test_books_are_read_as_calamine_reads_them(tmp_path, writer, seed):
    path = writer(tmp_path / "b.xlsx", seed)
    got = fast(path)
    assert got is not None, "the usual form is read here"
    assert typed(got) == typed(calamine(path))
    assert read_grids(path, empty_as_none=False) == calamine(path)


def test_the_template_and_a_book_read_both_ways_are_the_same(tmp_path):
    template = ROOT / "workbook" / "Template.xlsm"
    assert fast(template) is not None
    assert typed(fast(template)) == typed(calamine(template))
    path = xlsxwriter_book(tmp_path / "b.xlsx", 7)
    by_calamine = read_grids(path, data=read_screened(path))   # a package given: calamine's route
    assert typed(read_grids(path)) == typed(by_calamine)


# ---------------------------------------------------------------- forms, one by one

BASE_SST = (b'<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
            b'<si><t>mot</t></si><si><t xml:space="preserve"> hai </t></si><si><t> ba </t></si></sst>')


def package(tmp_path: Path, sheet_data: bytes, sst: bytes = BASE_SST, styles_numfmt: bytes | None = None,
            book_attr: bytes = b"", dxfs: bytes = b"") -> Path:
    """A one-sheet book (written by XlsxWriter) with its cells, shared strings, a style's number
    format or the workbook's properties replaced."""
    base = tmp_path / "base.xlsx"
    wb = xlsxwriter.Workbook(str(base))
    ws = wb.add_worksheet("Tờ 1")
    ws.write_datetime(0, 0, dt.datetime(2026, 1, 1), wb.add_format({"num_format": "dd/mm/yyyy"}))   # style 1: a date
    ws.write_string(0, 1, "x")
    wb.close()
    with zipfile.ZipFile(base) as zf:
        parts = {n: zf.read(n) for n in zf.namelist()}
    sheet = parts["xl/worksheets/sheet1.xml"]
    start, end = sheet.index(b"<sheetData"), sheet.index(b"</sheetData>") + len(b"</sheetData>")
    parts["xl/worksheets/sheet1.xml"] = sheet[:start] + sheet_data + sheet[end:]
    parts["xl/sharedStrings.xml"] = sst
    if styles_numfmt is not None:
        styles = parts["xl/styles.xml"]
        parts["xl/styles.xml"] = styles.replace(b'formatCode="dd/mm/yyyy"', b'formatCode="' + styles_numfmt + b'"')
    if dxfs:
        parts["xl/styles.xml"] = parts["xl/styles.xml"].replace(b"</styleSheet>", dxfs + b"</styleSheet>")
    if book_attr:
        parts["xl/workbook.xml"] = parts["xl/workbook.xml"].replace(b"<workbookPr", b"<workbookPr " + book_attr)
    out = tmp_path / "p.xlsx"
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
        for n, body in parts.items():
            zf.writestr(n, body)
    return out


def rows(*cells: bytes) -> bytes:
    return b'<sheetData><row r="1">' + b"".join(cells) + b"</row></sheetData>"


READ_HERE = {
    "numbers and dates": rows(b'<c r="A1"><v>1</v></c>', b'<c r="B1" s="1"><v>46023</v></c>',
                              b'<c r="C1"><v>-1.5E-3</v></c>', b'<c r="D1"><v>123456789012</v></c>'),
    "shared strings, kept or trimmed": rows(b'<c r="A1" t="s"><v>0</v></c>', b'<c r="B1" t="s"><v>1</v></c>',
                                            b'<c r="C1" t="s"><v>2</v></c>'),
    "a formula's text and number": rows(b'<c r="A1" t="str"><f>"a"&amp;"b"</f><v>a&amp;b &#233;&#x41;</v></c>',
                                        b'<c r="B1"><f t="shared" ref="B1:C1" si="0">1+1</f><v>2</v></c>',
                                        b'<c r="C1"><f t="shared" si="0"/><v>3</v></c>'),
    "an empty cached value": rows(b'<c r="A1"><v>1</v></c>', b'<c r="C3" t="str"><f>1</f><v /></c>',
                                  b'<c r="E5"><f>1</f><v/></c>'),
    "attributes in any order, openpyxl's closing": rows(b'<c r="A1" t="s" s="1"><v>0</v></c>',
                                                        b'<c r="B1" cm="1" t="str"><f>1</f><v>x</v></c>',
                                                        b'<c r="F9" s="1" />'),
    "inline strings": rows(b'<c r="A1" t="inlineStr"><is><t> a </t></is></c>',
                           b'<c r="B1" t="inlineStr"><is><t xml:space="preserve"> b </t></is></c>',
                           b'<c r="C1" t="inlineStr"><is><t>&#32;c&amp;&#32;</t></is></c>'),
    "booleans and far columns": rows(b'<c r="A1" t="b"><v>1</v></c>', b'<c r="AB1" t="b"><v>0</v></c>',
                                     b'<c r="ZZ1"><v>7</v></c>'),
    "no cells": b"<sheetData/>",
}


@pytest.mark.parametrize("case", READ_HERE)
def test_forms_read_here_give_calamine_s_values(tmp_path, case):
    path = package(tmp_path, READ_HERE[case])
    got = fast(path)
    assert got is not None
    assert typed(got) == typed(calamine(path))


def test_a_conditional_format_s_number_format_is_not_the_cell_s(tmp_path):
    path = package(tmp_path, rows(b'<c r="A1" s="1"><v>46023</v></c>'),
                   dxfs=b'<dxfs count="1"><dxf><numFmt numFmtId="164" formatCode="0.00"/></dxf></dxfs>')
    assert typed(fast(path)) == typed(calamine(path)) == {"Tờ 1": [[("date", dt.date(2026, 1, 1))]]}


def test_shared_strings_trimmed_after_their_references(tmp_path):
    sst = (b'<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
           b'<si><t>&#32;a&#32;</t></si><si><t>  </t></si><si><t>\xc2\xa0b\xc2\xa0</t></si></sst>')
    path = package(tmp_path, rows(*(b'<c r="%s1" t="s"><v>%d</v></c>' % (c, i) for i, c in enumerate((b"A", b"B", b"C")))),
                   sst=sst)
    assert typed(fast(path)) == typed(calamine(path)) == {"Tờ 1": [[("str", "a"), ("str", ""), ("str", "\xa0b\xa0")]]}


LEFT_TO_CALAMINE = {
    "an error value calamine does not know": dict(sheet_data=rows(b'<c r="A1" t="e"><v>#BOGUS</v></c>')),
    "an ISO date": dict(sheet_data=rows(b'<c r="A1" t="d"><v>2026-01-01</v></c>')),
    "rich inline text": dict(sheet_data=rows(b'<c r="A1" t="inlineStr"><is><r><t>a</t></r></is></c>')),
    "a prefixed cell": dict(sheet_data=b'<sheetData><row r="1"><x:c r="A1"><x:v>1</x:v></x:c></row></sheetData>'),
    "a cell without its reference": dict(sheet_data=rows(b'<c><v>1</v></c>')),
    "value metadata": dict(sheet_data=rows(b'<c r="A1" vm="1"><v>1</v></c>')),
    "a time of day": dict(sheet_data=rows(b'<c r="A1" s="1"><v>46023.5</v></c>')),
    "a date before March 1900": dict(sheet_data=rows(b'<c r="A1" s="1"><v>59</v></c>')),
    "a time format": dict(sheet_data=rows(b'<c r="A1" s="1"><v>1</v></c>'), styles_numfmt=b"hh:mm"),
    "a format not known here": dict(sheet_data=rows(b'<c r="A1" s="1"><v>1</v></c>'), styles_numfmt=b'0.0 "km"'),
    "the 1904 date system": dict(sheet_data=rows(b'<c r="A1"><v>1</v></c>'), book_attr=b'date1904="1"'),
    "rich shared text": dict(sheet_data=rows(b'<c r="A1" t="s"><v>0</v></c>'),
                             sst=b'<sst><si><r><t>a</t></r><r><t>b</t></r></si></sst>'),
    "an escaped character": dict(sheet_data=rows(b'<c r="A1" t="s"><v>0</v></c>'), sst=b"<sst><si><t>a_x000D_b</t></si></sst>"),
    "a carriage return": dict(sheet_data=rows(b'<c r="A1" t="s"><v>0</v></c>'), sst=b"<sst><si><t>a\r\nb</t></si></sst>"),
    "a number in text form": dict(sheet_data=rows(b'<c r="A1"><v> 5 </v></c>')),
    "a cell twice": dict(sheet_data=rows(b'<c r="A1"><v>1</v></c>', b'<c r="A1"><v>2</v></c>')),
    "a value after its cell": dict(sheet_data=rows(b'<c r="A1"></c><v>1</v>')),
    "a value before any cell": dict(sheet_data=rows(b'<v>1</v><c r="A1"><v>2</v></c>')),
}


@pytest.mark.parametrize("case", LEFT_TO_CALAMINE)
def test_other_forms_are_left_to_calamine(tmp_path, case):
    path = package(tmp_path, **LEFT_TO_CALAMINE[case])
    assert fast(path) is None
    try:
        expected = calamine(path)
    except Exception:                       # noqa: BLE001 — calamine refuses it: so does read_grids
        with pytest.raises(UserFacingError):
            read_grids(path)
        return
    got = read_grids(path, empty_as_none=False)
    for name, grid in expected.items():     # calamine's values (error cells: `values.ExcelError` on top)
        assert len(got[name]) == len(grid)


def test_error_values_are_the_errors_read_grids_reports_at_their_cells(tmp_path):
    """Issue 11.8: an error value, typed or a formula's cached result (a workbook saved where the
    add-in's functions were not loaded holds #NAME? in every computed cell), is a
    `values.ExcelError` at its cell, as calamine's route gives it (calamine reads "" there, the
    error cells are put on top)."""
    path = package(tmp_path, b'<sheetData><row r="1"><c r="A1"><v>1</v></c><c r="B1" t="e"><f>HP_BENEFIT(A1)</f>'
                             b'<v>#NAME?</v></c></row><row r="3"><c r="D3" t="e"><v>#REF!</v></c>'
                             b'<c r="E3" s="1" t="e"><v>#N/A</v></c></row></sheetData>')
    got = fast(path)
    assert got is not None
    by_calamine = read_grids(path, data=read_screened(path))     # calamine, then the error cells on top
    assert typed(read_grids(path)) == typed(by_calamine)
    assert got["Tờ 1"][0][1] == ExcelError("#NAME?") and got["Tờ 1"][2][4] == ExcelError("#N/A")


def test_a_part_whose_crc_is_wrong_is_left_to_calamine_which_refuses_it(tmp_path):
    path = package(tmp_path, rows(b'<c r="A1"><v>1</v></c>'))
    spoil_crc(path, "xl/worksheets/sheet1.xml")
    assert fast(path) is None
    with pytest.raises(UserFacingError):
        read_grids(path)


def test_shared_string_index_beyond_the_table_is_left_to_calamine(tmp_path):
    path = package(tmp_path, rows(b'<c r="A1" t="s"><v>3</v></c>'))
    assert fast(path) is None


def test_digits_and_quotes_are_read_eight_bytes_at_a_time():
    words = np.frombuffer(b'12345678' b'7"......' b'0042"...', dtype="<u8")
    assert X._digits(words, np.array([8, 1, 4])).tolist() == [12345678, 7, 42]
    assert X._digits(words[:1], np.array([3])).tolist() == [123]
    assert X._digits(np.frombuffer(b"1x3.....", dtype="<u8"), np.array([3])) is None
    assert X._quote(words).tolist() == [8, 1, 4]


FORMS = {   # one cell of each form read here: (attributes, body or None for an empty cell)
    "number": (b"", b"<v>%(n)s</v>"), "typed number": (b' t="n"', b"<v>%(n)s</v>"),
    "date": (b' s="1"', b"<v>%(d)d</v>"), "shared": (b' t="s"', b"<v>%(i)d</v>"),
    "formula text": (b' t="str"', b"<f>1</f><v>%(t)s</v>"), "boolean": (b' t="b"', b"<v>%(b)d</v>"),
    "inline": (b' t="inlineStr"', b"<is><t>%(t)s</t></is>"),
    "inline kept": (b' t="inlineStr"', b'<is><t xml:space="preserve">%(t)s</t></is>'),
    "shared formula": (b"", b'<f t="shared" si="0"/><v>%(d)d</v>'), "no cached text": (b' t="str"', b"<f>1</f><v/>"),
    "no cached number": (b"", b"<f>1</f><v />"), "formula only": (b"", b"<f>x</f>"),
    "styled empty": (b' s="0"', None), "dynamic array": (b' cm="1" t="str"', b'<f t="array" ref="A1">1</f><v>%(t)s</v>'),
}


def column_letters(i: int) -> bytes:
    out = b""
    while i:
        i, r = divmod(i - 1, 26)
        out = bytes([65 + r]) + out
    return out


@pytest.mark.parametrize("seed", range(12))
def test_random_cells_of_every_form_give_calamine_s_grid(tmp_path, seed):
    rng = random.Random(seed)
    texts = [b"a", b" b ", b"&amp;x", b"&#32;y", b"c&lt;d", b"", "ẽ".encode(), b"  ", b"&#7901;", b"q&quot;"]
    out = []
    for r in sorted(rng.sample(range(1, 40), rng.randrange(1, 8))):
        cells = []
        for c in sorted(rng.sample(range(1, 60), rng.randrange(1, 6))):
            attrs, body = FORMS[rng.choice(list(FORMS))]
            fill = {b"n": rng.choice([b"1", b"-5", b"3.25", b"1E+20", b"123456789", b"007"]), b"d": rng.randrange(61, 60000),
                    b"i": rng.randrange(3), b"t": rng.choice(texts), b"b": rng.randrange(2)}
            head = b'<c r="%s%d"%s' % (column_letters(c), r, attrs)
            cells.append(head + rng.choice([b"/>", b" />", b"></c>"]) if body is None
                         else head + b">" + body % fill + b"</c>")
        out.append(b'<row r="%d">' % r + b"".join(cells) + b"</row>")
    path = package(tmp_path, b"<sheetData>" + b"".join(out) + b"</sheetData>")
    got = fast(path)
    assert got is not None
    assert typed(got) == typed(calamine(path))
    assert typed(read_grids(path)) == typed(read_grids(path, data=read_screened(path)))   # empty cells and texts: None
