"""The screening's one pass also tells which sheets may hold error cells (issue 18 item 4: the
error-cell scan no longer reads every sheet a second time), and the reader still reports them."""
import re
import zipfile

import openpyxl

from xl_support.book import values as V
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
