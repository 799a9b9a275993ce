"""Issue 16: the exports as the offices file them — ND 30/2020 blocks, pages that print whole
(headers on every page, checked page by page in LibreOffice's PDF), a complete D03-TS, "Chưa có
mức", the Kiểm tra sheet in Vietnamese, city reports accepted by `consolidate`."""
from __future__ import annotations

import datetime as dt
import shutil
import subprocess
import zipfile
from pathlib import Path

import openpyxl
import pytest

from xl_support import __version__
from xl_support.book.sheets import safe_sheet_name
from xl_support.book.workbook import open_book
from xl_support.build.sample import write_sample_book
from xl_support.operations.consolidate import SHEET_CITY, SHEET_FILES, consolidate
from xl_support.operations.exports import KINDS, export_book
from xl_support.engine.messages import NO_AMOUNT
from xl_support.operations.exports.common import sheet_title
from xl_support.operations.exports.insurance import D03_COLUMNS, NOT_AT_SCHOOL

NOV = dt.date(2026, 11, 1)
ON = dt.date(2026, 11, 23)
INSURANCE_NUMBER = "0312345678"
KCB = "Trạm Y tế phường Đồ Sơn"
UNIT_CODE = "HP0123Z"


def _with_optional_columns(path: Path) -> Path:
    """A 400-row ward whose NQ 55 register has the optional D03-TS columns, and `Mã đơn vị`."""
    write_sample_book(path, n55=280, n04=120, seed=3)
    wb = openpyxl.load_workbook(path)
    ws = wb["Trẻ em NQ55"]
    header = next(r for r in range(1, 10) if ws.cell(row=r, column=2).value == "Họ và tên")
    col = ws.max_column + 1
    ws.cell(row=header, column=col, value="Mã số BHXH")
    ws.cell(row=header, column=col + 1, value="Nơi đăng ký KCB ban đầu")
    for r in range(header + 1, ws.max_row + 1):
        ws.cell(row=r, column=col, value=INSURANCE_NUMBER).number_format = "@"
        ws.cell(row=r, column=col + 1, value=KCB)
    ps = wb["Tham số"]
    ps.cell(row=ps.max_row + 1, column=1, value="Mã đơn vị")
    ps.cell(row=ps.max_row, column=2, value=UNIT_CODE)
    wb.save(path)
    return path


@pytest.fixture(scope="module")
def folder(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("documents16")


@pytest.fixture(scope="module")
def exports(folder) -> dict:
    book = open_book(_with_optional_columns(folder / "ward400.xlsx"))
    return {kind: export_book(book, kind, NOV, folder / f"{kind}.xlsx", on=ON) for kind in KINDS}


def _text(ws, rows: int = 8) -> str:
    return " ".join(str(c.value) for row in ws.iter_rows(max_row=rows) for c in row if c.value is not None)


def _all_text(ws) -> str:
    return " ".join(str(c.value) for row in ws.iter_rows() for c in row if c.value is not None)


@pytest.mark.parametrize("kind", KINDS)
def test_nd30_header_blocks(exports, kind):
    wb = openpyxl.load_workbook(exports[kind].path)
    for ws in wb.worksheets:
        if ws.title == "Dữ liệu":
            continue
        top = _text(ws)
        assert "ỦY BAN NHÂN DÂN" in top and "PHƯỜNG ĐỒ SƠN" in top and "UBND PHƯỜNG" not in top
        assert "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM" in top and "Độc lập - Tự do - Hạnh phúc" in top
        assert "Đồ Sơn, ngày 23 tháng 11 năm 2026" in top, "place and date under the motto"
        body = _all_text(ws)
        assert body.count("Đồ Sơn, ngày") == 1, "place and date once, not again above the signatures"
        if kind in ("city-report", "budget"):
            assert "Số:" in top and "/BC-UBND" in top
            assert "Nơi nhận:" in body and "- Lưu: VT" in body
    assert wb.properties.version == __version__


def test_every_sheet_longer_than_a_page_repeats_its_table_header(exports):
    for kind in ("payment-list", "public-list", "budget"):
        wb = openpyxl.load_workbook(exports[kind].path)
        for ws in wb.worksheets:
            if len(ws.row_breaks.brk):
                assert ws.print_title_rows, (kind, ws.title)
                first = int(ws.print_title_rows.split(":")[0].strip("$"))
                assert ws.cell(row=first, column=1).value == "STT"


def test_d03_complete_and_without_empty_sheets(exports):
    wb = openpyxl.load_workbook(exports["insurance-list"].path)
    number_col = [c.number for c in D03_COLUMNS]
    col_bhxh = number_col.index("1") + 1
    col_kcb = number_col.index("6") + 1
    for ws in wb.worksheets:
        values = [[c.value for c in row] for row in ws.iter_rows()]
        people = [r for r in values if isinstance(r[0], int) and r[1]]
        assert people, f"sheet {ws.title} lists nobody"
        assert f"Mã đơn vị: {UNIT_CODE}" in _all_text(ws)
        nq55 = [r for r in people if r[col_bhxh - 1]]
        assert all(r[col_bhxh - 1] == INSURANCE_NUMBER and r[col_kcb - 1] == KCB for r in nq55)
    assert any(any(r[col_bhxh - 1] == INSURANCE_NUMBER for r in ws.iter_rows(values_only=True))
               for ws in wb.worksheets)


def test_d03_month_without_changes_is_one_sheet_saying_so(folder):
    path = folder / "small.xlsx"
    write_sample_book(path, n55=3, n04=0, seed=5)
    result = export_book(open_book(path), "insurance-list", dt.date(2026, 1, 1), folder / "d03-none.xlsx", on=ON)
    wb = openpyxl.load_workbook(result.path)
    if result.rows == 0:
        assert wb.sheetnames == ["Không có tăng giảm"]
        assert "không có người tăng, giảm" in _all_text(wb.worksheets[0])
    else:
        assert NOT_AT_SCHOOL not in wb.sheetnames or any(
            isinstance(r[0], int) for r in wb[NOT_AT_SCHOOL].iter_rows(values_only=True))


def test_groups_without_an_amount_say_so(exports):
    ws = openpyxl.load_workbook(exports["budget"].path).worksheets[0]
    rows = [[c.value for c in r] for r in ws.iter_rows()]
    te = [r for r in rows if isinstance(r[1], str) and r[1].startswith("HN-TE")]
    assert te and all(v == NO_AMOUNT for v in te[0][2:])
    city = openpyxl.load_workbook(exports["city-report"].path)["Báo cáo"]
    te = [[c.value for c in r] for r in city.iter_rows() if isinstance(r[1].value, str) and r[1].value.startswith("HN-TE")]
    assert te and te[0][5] == NO_AMOUNT


def test_headers_on_every_rendered_page(exports, tmp_path):
    """LibreOffice renders each export; every page shows a table header (pdftotext per page)."""
    files = [str(exports[k].path) for k in KINDS]
    subprocess.run(["soffice", "--headless", f"-env:UserInstallation=file://{tmp_path}/lo", "--convert-to", "pdf",
                    "--outdir", str(tmp_path), *files], check=True, capture_output=True, timeout=300)
    for kind in KINDS:
        pdf = tmp_path / f"{kind}.pdf"
        info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True).stdout
        pages = int(next(line.split()[1] for line in info.splitlines() if line.startswith("Pages")))
        assert pages >= 1
        for page in range(1, pages + 1):
            text = subprocess.run(["pdftotext", "-f", str(page), "-l", str(page), "-layout", str(pdf), "-"],
                                  capture_output=True, text=True, check=True).stdout
            assert "STT" in text or "Mã đối tượng" in text, f"{kind} page {page}: no table header"
            assert f"Trang {page}/" in text


def test_check_sheet_in_vietnamese(folder):
    from xl_support.operations.validation import TABLE_HEADERS, check_sheet, code_label, validate_book
    book = open_book(_with_optional_columns(folder / "check.xlsx"))
    spec = check_sheet(validate_book(book, month=NOV))
    assert "Sheet" not in TABLE_HEADERS and "Trang tính" in TABLE_HEADERS
    assert code_label("DUPLICATE_ID") == "Trùng số định danh"
    assert code_label("CELL_BIRTH") == "Ô không đọc được: Ngày sinh"
    assert spec.print_title_rows and spec.freeze


def test_school_sheet_titles_are_legal_and_unique():
    used: set[str] = set()
    assert sheet_title("Trường THCS Ngọc Xuyên / cơ sở 2: lớp [6A]*?", used) == "Trường THCS Ngọc Xuyên - cơ sở"
    assert sheet_title("'Trường A'", used) == "Trường A"
    assert sheet_title("trường a", used) == "trường a (2)"
    assert sheet_title("History", used) == "History (2)"
    assert sheet_title("Tab\x01\x1fname", used) == "Tabname"
    assert sheet_title("   ", used) == "Danh sách"
    long = safe_sheet_name("A" * 29 + " 'x", set())
    assert len(long) <= 31 and not long.endswith(("'", " "))


def test_consolidate_mixes_ward_books_and_city_reports(folder):
    d = folder / "mixed"
    d.mkdir()
    write_sample_book(d / "do_son.xlsx", unit="Phường Đồ Sơn", unit_type="Phường", n55=50, n04=20, seed=1)
    source = folder / "an_hung_book.xlsx"
    write_sample_book(source, unit="Xã An Hưng", unit_type="Xã", n55=50, n04=20, seed=2)
    export_book(open_book(source), "city-report", NOV, d / "an_hung_report.xlsx", on=ON)
    books = consolidate([d / "do_son.xlsx", source], NOV, None, jobs=1, progress=False)
    mixed = consolidate(sorted(d.iterdir()), NOV, folder / "city.xlsx", jobs=1, progress=False)
    for attr in ("benefit", "insured", "insurance_cost"):
        assert mixed.total(attr) == books.total(attr) > 0
    def figures(groups):                       # group × area with a figure (a report lists zero lines too)
        return {k: v for k, v in groups.items() if any(v.values())}
    assert figures(mixed.groups) == figures(books.groups)
    unit = next(u for u in mixed.units if u.label == "Xã An Hưng")
    assert unit.received and "từ báo cáo" in unit.status
    wb = openpyxl.load_workbook(folder / "city.xlsx")
    files = _all_text(wb[SHEET_FILES])
    assert "Đã tổng hợp (từ báo cáo)" in files and "không kiểm tra được người hưởng ở hai đơn vị" in files
    top = _text(wb[SHEET_CITY])
    assert "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM" in top and "Hải Phòng, ngày" in top
    assert "THỦ TRƯỞNG CƠ QUAN" in _all_text(wb[SHEET_CITY])


def test_city_report_of_another_month_is_refused(folder):
    d = folder / "other_month"
    d.mkdir()
    source = folder / "an_hung_oct.xlsx"
    write_sample_book(source, unit="Xã An Hưng", unit_type="Xã", n55=20, n04=5, seed=2)
    export_book(open_book(source), "city-report", dt.date(2026, 10, 1), d / "report_oct.xlsx", on=ON)
    write_sample_book(d / "do_son.xlsx", n55=20, n04=5, seed=1)
    result = consolidate(sorted(d.iterdir()), NOV, None, jobs=1, progress=False)
    status = {f.path.name: (f.status, f.reason) for f in result.files}
    assert status["report_oct.xlsx"][0] == "rejected" and "10/2026" in status["report_oct.xlsx"][1]
    assert result.exit_status == 3


def test_writer_package_parts(exports):
    with zipfile.ZipFile(exports["payment-list"].path) as z:
        names = set(z.namelist())
        core = z.read("docProps/core.xml").decode()
    assert {"[Content_Types].xml", "xl/workbook.xml", "xl/styles.xml", "docProps/app.xml"} <= names
    assert f"<cp:version>{__version__}</cp:version>" in core
    assert shutil.which("soffice")


def test_payroll_rows_leave_room_for_a_signature(exports):
    from xl_support.operations.exports.lists import SIGNATURE_ROW_PT
    ws = openpyxl.load_workbook(exports["payment-list"].path).worksheets[0]
    people = [r for r in range(1, ws.max_row + 1) if isinstance(ws.cell(row=r, column=1).value, int)]
    assert people and all(ws.row_dimensions[r].height >= SIGNATURE_ROW_PT for r in people)
