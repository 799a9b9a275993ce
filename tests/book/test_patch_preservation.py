"""Preservation (issue 18.3): a decorated ward workbook — picture, chart, comments, conditional
formats (one with an `extLst`), a data-validation list, a defined name, an autofilter, a hidden
sheet, a VBA project, a dynamic-array formula of the user — goes through every writing command;
every part we do not own is byte-identical afterwards, and LibreOffice still opens it."""
from __future__ import annotations

import datetime as dt
import re
import struct
import zipfile
import zlib
from pathlib import Path

import openpyxl
import pytest
import xlsxwriter

from xl_support.__main__ import main
from xl_support.book.register import FIELDS, NQ55

ROOT = Path(__file__).resolve().parents[2]
REGISTER = "Trẻ em NQ55"
HEADERS = [f.header for f in FIELDS if NQ55 in f.registers and not f.computed]
ROWS = [      # STT … decision, pay from, stop date, stop paying from, school, note (the columns of HEADERS)
    [1, "Nguyễn Văn An", dt.date(2020, 3, 1), "Nam", "031200000001", "Tổ 1", "Thành thị", "MCCN", None, None, None,
     dt.date(2026, 1, 10), None, None, None, "Trường A", "ghi chú"],
    [2, "Trần Thị Bình", dt.date(2019, 5, 2), "Nữ", "031200000002", "Tổ 2", "Nông thôn", "KNND", None, None, None,
     dt.date(2026, 2, 10), None, None, None, None, None],
    [3, "Lê Văn Cường", "31/02/2020", "Nam", "031200000003", "Tổ 1", "Thành thị", "HIV", None, None, None,
     dt.date(2026, 3, 10), None, None, None, None, None],            # a bad date: validate marks it
    [4, "Phạm Thị Dung", dt.date(2018, 7, 4), "Nữ", "031200000004", "Tổ 3", "Thành thị", "CN", None, None, None,
     dt.date(2026, 4, 10), None, None, None, None, None],
]


def tiny_png() -> bytes:
    """A 2×2 red PNG (no imaging library needed)."""
    raw = b"".join(b"\x00" + b"\xff\x00\x00" * 2 for _ in range(2))

    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 2, 2, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))


def decorated_book(folder: Path, rows: list | None = None) -> Path:
    """The ward's own workbook, made with XlsxWriter (VBA project taken from our template)."""
    png = folder / "logo.png"
    png.write_bytes(tiny_png())
    with zipfile.ZipFile(ROOT / "workbook" / "Template.xlsm") as zf:
        (folder / "vbaProject.bin").write_bytes(zf.read("xl/vbaProject.bin"))
    path = folder / "phuong-trang-tri.xlsm"
    wb = xlsxwriter.Workbook(str(path))
    wb.set_vba_name("ThisWorkbook")
    wb.add_vba_project(str(folder / "vbaProject.bin"))
    date = wb.add_format({"num_format": "dd/mm/yyyy"})
    head = wb.add_format({"bold": True, "bg_color": "#DDEBF7", "text_wrap": True})
    ws = wb.add_worksheet(REGISTER)
    ws.set_vba_name("Sheet2")
    ws.write_row(0, 0, HEADERS, head)
    for r, row in enumerate(rows or ROWS, start=1):
        for c, v in enumerate(row):
            if isinstance(v, dt.date):
                ws.write_datetime(r, c, dt.datetime.combine(v, dt.time()), date)
            elif v is not None:
                ws.write(r, c, v)
    ws.autofilter(0, 0, len(ROWS), len(HEADERS) - 1)
    ws.write_comment("B2", "Hồ sơ đã đủ – kiểm tra ngày 05/11")
    ws.conditional_format("C2:C5", {"type": "date", "criteria": "less than", "value": dt.datetime(2019, 1, 1),
                                    "format": wb.add_format({"bg_color": "#FFC7CE"})})
    ws.conditional_format("A2:A5", {"type": "data_bar", "data_bar_2010": True})      # writes an extLst
    ws.data_validation("H2:H200", {"validate": "list", "source": "=DsMa"})
    ws.insert_image("Q2", str(png))
    ws.set_column(0, 20, 14)
    lists = wb.add_worksheet("Danh mục riêng")
    lists.set_vba_name("Sheet7")
    lists.write_column(0, 0, ["MCCN", "KNND", "HIV", "CN"])
    lists.hide()
    wb.define_name("DsMa", "='Danh mục riêng'!$A$1:$A$4")
    settings = wb.add_worksheet("Tham số")
    settings.set_vba_name("Sheet4")
    settings.write_row(0, 0, ["Đơn vị", "Phường Đồ Sơn"])
    settings.write_row(1, 0, ["Loại đơn vị", "Phường"])
    settings.write_row(2, 0, ["Tháng báo cáo", "11/2026"])
    notes = wb.add_worksheet("Ghi chép")
    notes.set_vba_name("Sheet1")
    notes.write_dynamic_array_formula("A1:A3", "=SEQUENCE(3)")
    chart = wb.add_chart({"type": "column"})
    chart.add_series({"values": f"='{REGISTER}'!$A$2:$A$5", "name": "STT"})
    notes.insert_chart("C2", chart)
    wb.close()
    return path


def parts_of(path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as zf:
        return {n: zf.read(n) for n in zf.namelist()}


def outside_cells(xml: bytes) -> str:
    """A sheet part without its cells, dimension and tab selection: what must stay as it was."""
    text = xml.decode()
    text = re.sub(r"<sheetData>.*</sheetData>|<sheetData/>", "", text, flags=re.S)
    text = re.sub(r'<dimension ref="[^"]*"/>', "", text)
    return text.replace(' tabSelected="1"', "")


OURS = ("xl/styles.xml", "xl/workbook.xml", "xl/_rels/workbook.xml.rels", "[Content_Types].xml")


@pytest.fixture(scope="module")
def decorated(tmp_path_factory):
    return decorated_book(tmp_path_factory.mktemp("decorated"))


@pytest.mark.parametrize("command", ["validate", "summary", "compute"])
def test_every_part_we_do_not_own_is_kept(decorated, command, tmp_path):
    out = tmp_path / f"{command}.xlsm"
    args = {"validate": ["validate", decorated, "-o", out],
            "summary": ["summary", decorated, "--month", "2026-11", "-o", out],
            "compute": ["compute", decorated, "--month", "2026-11", "-o", out]}[command]
    assert main([str(a) for a in args]) in (0, 1)
    before, after = parts_of(decorated), parts_of(out)
    assert set(before) <= set(after)
    register_part = "xl/worksheets/sheet1.xml"
    changed = {n for n in before if before[n] != after[n]}
    new = set(after) - set(before)
    assert changed <= {*OURS, register_part}, changed
    # the register: everything outside the cells as it was (comments, filters, formats, picture…)
    assert outside_cells(after[register_part]) == outside_cells(before[register_part])
    # and the cells of the ward's own columns too
    wb0, wb1 = openpyxl.load_workbook(decorated), openpyxl.load_workbook(out)
    for row0, row1 in zip(wb0[REGISTER].iter_rows(max_col=len(HEADERS)), wb1[REGISTER].iter_rows(max_col=len(HEADERS))):
        assert [c.value for c in row0] == [c.value for c in row1]
    # what we add is ours: an owned sheet and (summary) its chart
    assert all(n.startswith(("xl/worksheets/sheet", "xl/worksheets/_rels/", "xl/drawings/", "xl/charts/"))
               for n in new), new
    # the user's dynamic array, the defined name, the hidden sheet
    notes = Path("xl/worksheets/sheet4.xml").as_posix()
    assert after[notes] == before[notes] and b'cm="1"' in after[notes]
    assert b"DsMa" in after["xl/workbook.xml"] and b'state="hidden"' in after["xl/workbook.xml"]


def test_libreoffice_opens_the_written_book(decorated, tmp_path):
    from tests.harness.render import pdf_text, render_pdf
    out = tmp_path / "s.xlsm"
    assert main(["summary", str(decorated), "--month", "2026-11", "-o", str(out)]) == 0
    out2 = tmp_path / "c.xlsm"
    assert main(["compute", str(out), "--month", "2026-11", "-o", str(out2)]) == 0
    text = pdf_text(render_pdf(out2, tmp_path / "pdf"))
    assert "Nguyễn Văn An" in text and "TỔNG HỢP" in text
    assert "Err:" not in text
