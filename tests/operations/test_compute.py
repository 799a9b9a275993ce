"""`compute BOOK --month -o OUT` on real workbooks: values right, everything else kept."""
import datetime as dt
import subprocess
import sys

import openpyxl
import pytest
from openpyxl.styles import Font, PatternFill

from xl_support.book.workbook import open_book
from xl_support.operations.compute import compute_book
from xl_support.engine.assess import assess

D = dt.date
HEADERS = ["STT", "Họ và tên", "Ngày sinh", "Số điện thoại", "Số định danh cá nhân", "Khu vực", "Mã đối tượng",
           "Trợ cấp xã hội đang hưởng (đồng/tháng)", "Ngày công nhận thoát nghèo/cận nghèo", "Ngày sinh của mẹ",
           "Ngày ký quyết định", "Ngày thôi hưởng"]
ROWS = [
    [1, "Nguyễn Văn An", D(2014, 5, 1), "0912", "031214000001", "Thành thị", "CN", None, None, None, D(2026, 3, 15), None],
    [2, "Trần Thị Bình", "05/06/2014", None, "031214000002", "Nông thôn", "CN-BTXH", "1.050.000", None, None,
     D(2026, 1, 2), None],
    [3, "Lê Văn Cường", D(2016, 2, 1), None, "031216000003", "Nông thôn", "TN", None, D(2025, 12, 20), None,
     D(2026, 2, 10), None],
    [4, "Phạm Thu Dung", D(2011, 8, 15), None, "031211000004", None, "KNND", None, None, None, D(2026, 1, 5), None],
    [5, "Hoàng Minh Em", D(2015, 1, 1), None, "031215000005", "Thành thị", "CN", None, None, None, None, None],
    [6, "Vũ Gia Huy", "31/02/2015", None, "031215000006", "Thành thị", "CN", None, None, None, D(2026, 1, 1), None],
    [7, "Đặng Hà", D(2015, 1, 1), None, "031215000007", "Thành thị", "HN-TE", None, None, None, D(2026, 1, 1), None],
]


def make_book(path):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "DS trẻ em"
    ws["A1"] = "UBND PHƯỜNG ĐỒ SƠN"
    ws["A2"] = "DANH SÁCH TRẺ EM ĐƯỢC HỖ TRỢ"
    ws["A1"].font = Font(bold=True, size=14)
    for c, h in enumerate(HEADERS, 1):
        ws.cell(row=4, column=c, value=h).fill = PatternFill("solid", fgColor="DDDDDD")
    for r, row in enumerate(ROWS, 5):
        for c, v in enumerate(row, 1):
            cell = ws.cell(row=r, column=c, value=v)
            if isinstance(v, D):
                cell.number_format = "dd/mm/yyyy"
    ws.column_dimensions["B"].width = 28
    other = wb.create_sheet("Ghi chú")
    other["A1"] = "Sổ theo dõi riêng"
    other["B3"] = 12345
    other["B3"].font = Font(italic=True)
    hh = wb.create_sheet("Hộ nghèo")
    for c, h in enumerate(["Họ và tên", "Ngày sinh", "Số định danh cá nhân", "Khu vực", "Loại hộ", "Mã đối tượng",
                           "Trợ cấp xã hội đang hưởng (đồng/tháng)", "Ngày ký quyết định"], 1):
        hh.cell(row=1, column=c, value=h)
    # the same child as row 1 of the NQ 55 register, also an NQ 04 BTXH member: R11
    hh.append(["Nguyễn Văn An", D(2014, 5, 1), "031214000001", "Thành thị", "Cận nghèo", "HN-BTXH", 360_000, D(2026, 1, 1)])
    ps = wb.create_sheet("Tham số")
    ps.append(["Đơn vị", "Phường Đồ Sơn"])
    ps.append(["Loại đơn vị", "Phường"])
    ps.append(["Tháng báo cáo", "10/2026"])
    wb.save(path)


def run(*args):
    return subprocess.run([sys.executable, "-m", "xl_support", *map(str, args)], capture_output=True, text=True)


@pytest.fixture()
def computed(tmp_path):
    src, out = tmp_path / "book.xlsx", tmp_path / "out.xlsx"
    make_book(src)
    p = run("compute", src, "--month", "2026-11", "-o", out)
    assert p.returncode == 0, p.stderr
    return src, out


def test_values_right(computed):
    _, out = computed
    ws = openpyxl.load_workbook(out)["DS trẻ em"]
    header = [c.value for c in ws[4]]
    assert header[12:] == ["Mức hỗ trợ (đồng/tháng)", "Trong đó bù chênh lệch (đồng/tháng)", "Hỗ trợ BHYT",
                           "Hưởng đến ngày", "Căn cứ"]
    got = {r: [ws.cell(row=r, column=c).value for c in range(13, 18)] for r in range(5, 12)}
    assert got[5][:2] == [2_000_000, 0]
    assert got[6][:4] == [450_000, 450_000, "Không", dt.datetime(2030, 6, 30)]
    assert got[7][:4] == [1_500_000, 0, "Có", dt.datetime(2028, 12, 31)]
    # KNND: area empty → the unit (phường) is urban; the amount does not depend on area
    assert got[8][:4] == [750_000, 0, "Có", dt.datetime(2027, 8, 31)]
    assert got[9][:3] == [0, 0, "Không"] and "Chưa có ngày ký quyết định" in got[9][4]
    assert got[10][0].startswith("Lỗi") and "C10" in got[10][4]
    assert got[11][0] == "Lỗi: thiếu loại hộ (Nghèo/Cận nghèo/Thoát nghèo/Thoát cận nghèo)"   # §3
    assert ws.cell(row=6, column=13).number_format == "#,##0"
    assert ws.cell(row=6, column=16).number_format == "dd/mm/yyyy"
    # R11: the NQ 04 top-up (2,000,000 − 360,000 = 1,640,000) is lower than CN's 2,000,000
    hh = openpyxl.load_workbook(out)["Hộ nghèo"]
    assert hh.cell(row=2, column=9).value == 0
    assert "Không chi trả" in hh.cell(row=2, column=13).value and "sheet «DS trẻ em» dòng 5" in hh.cell(row=2, column=13).value


def test_highest_single_benefit_across_registers(tmp_path):
    src = tmp_path / "b.xlsx"
    make_book(src)
    book = open_book(src)
    results = {r.register.sheet: r for r in compute_book(book, D(2026, 11, 1))}
    kids, members = results["DS trẻ em"], results["Hộ nghèo"]
    assert members.res.benefit[0] == 0 and members.kept_at[0] == ("DS trẻ em", 5)
    assert kids.res.benefit[0] == 2_000_000 and kids.kept_at[0] is None
    assert "dòng 5" in members.basis[0]


def test_everything_else_is_kept(computed):
    src, out = computed
    a, b = openpyxl.load_workbook(src), openpyxl.load_workbook(out)
    assert a.sheetnames == b.sheetnames
    for name in a.sheetnames:
        wa, wb_ = a[name], b[name]
        for row in wa.iter_rows():
            for cell in row:
                other = wb_[cell.coordinate]
                assert (other.value, other.number_format, other.font.b, other.font.i, other.fill.fgColor.rgb) == \
                    (cell.value, cell.number_format, cell.font.b, cell.font.i, cell.fill.fgColor.rgb), cell.coordinate
    assert b["DS trẻ em"].column_dimensions["B"].width == 28


def test_refuses_to_overwrite(computed, tmp_path):
    src, out = computed
    before = out.read_bytes()
    p = run("compute", src, "-o", out)
    assert p.returncode == 2 and "--force" in p.stderr and "Traceback" not in p.stderr
    assert out.read_bytes() == before
    p = run("compute", src, "-o", src)
    assert p.returncode == 2 and "--in-place" in p.stderr
    assert run("compute", src, "-o", out, "--force").returncode == 0
    assert run("compute", src, "-o", src, "--in-place").returncode == 0
    assert openpyxl.load_workbook(src)["DS trẻ em"].cell(row=4, column=13).value == "Mức hỗ trợ (đồng/tháng)"


def test_second_compute_overwrites_its_own_columns_only(computed, tmp_path):
    _, out = computed
    again = tmp_path / "again.xlsx"
    assert run("compute", out, "--month", "2027-01", "-o", again).returncode == 0
    ws = openpyxl.load_workbook(again)["DS trẻ em"]
    assert ws.max_column == 17                     # columns found by header, not added twice
    assert ws.cell(row=7, column=13).value == 2_200_000


def test_month_defaults_to_report_month(tmp_path):
    src, out = tmp_path / "b.xlsx", tmp_path / "o.xlsx"
    make_book(src)
    assert run("compute", src, "-o", out).returncode == 0
    basis = openpyxl.load_workbook(out)["DS trẻ em"].cell(row=7, column=17).value
    assert "Tháng 10/2026" in basis


def test_single_row_equals_engine(computed):
    _, out = computed
    ws = openpyxl.load_workbook(out)["DS trẻ em"]
    a = assess(dict(group="TN", area="rural", recognised=D(2025, 12, 20), birth=D(2016, 2, 1),
                    decision=D(2026, 2, 10)), D(2026, 11, 1))
    assert ws.cell(row=7, column=17).value == a.basis


def test_a_macro_workbook_is_written_as_xlsm_only(tmp_path):
    from xl_support.build.template import DEFAULT_OUT
    out = tmp_path / "out.xlsx"
    p = run("compute", DEFAULT_OUT, "-o", out)
    assert p.returncode == 2 and ".xlsm" in p.stderr and not out.exists()
    assert run("compute", DEFAULT_OUT, "-o", tmp_path / "out.xlsm").returncode == 0
