"""Rules at the edges (issue 11): R2a decisions on the wrong day, R11 ties and the insurance card,
R13 CN with an allowance, R14 29 February, the NQ 04 household type, unconfirmed insurance —
through compute on a real workbook, the worksheet functions (COM path) and validate."""
from __future__ import annotations

import datetime as dt

import openpyxl
import pytest

from tests.harness import udf_host
from tests.harness.udf_host import MISSING
from xl_support.book.register import NQ04, NQ55
from xl_support.book.template_layout import FUNCTION_ARGS
from xl_support.book.workbook import LABEL_MONTH, LABEL_UNIT, LABEL_UNIT_TYPE, SETTINGS_SHEET, open_book
from xl_support.build.sample import write_register_sheet
from xl_support.operations.compute import compute_book
from xl_support.operations.validation import validate_book

D = dt.date
TODAY = D(2026, 11, 23)
R2A = "Lỗi"      # value columns show a short marker; the reason is in «Căn cứ» (issue 13)


def child(i, group="CN", **changes):
    row = dict(stt=i, name=f"Trẻ Biên {i}", birth=D(2015, 5, 5), sex="Nữ", id=f"0317777770{i:02d}",
               residential_group="Tổ 2", area="Thành thị", group=group, decision=D(2026, 1, 10))
    row.update(changes)
    return row


def member(i, **changes):
    row = dict(stt=i, name=f"Người Hộ {i}", birth=D(1970, 1, 1), sex="Nam", id=f"0316666660{i:02d}",
               residential_group="Tổ 3", area="Thành thị", group="HN-BTXH", allowance=500_000,
               household_type="Nghèo", decision=D(2026, 1, 10))
    row.update(changes)
    return row


CHILDREN = [
    child(1, birth=D(2010, 3, 15), decision=D(2026, 3, 20)),                      # R2a: 16 on 15/03
    child(2, birth=D(2010, 3, 15), decision=D(2026, 3, 14)),                      # the day before: March paid
    child(3, "TN", area="Nông thôn", recognised=D(2025, 1, 10), decision=D(2028, 1, 10)),   # R2a: 36 months
    child(4, "SRXHTD", birth=D(2025, 1, 1), mother_birth=D(2008, 2, 29), decision=D(2026, 2, 28)),  # R2a, R14
    child(5, "SRXHTD", birth=D(2025, 1, 1), mother_birth=D(2008, 2, 29), decision=D(2026, 2, 27)),  # Feb paid
    child(6, stop=D(2026, 2, 1), decision=D(2026, 3, 1)),                         # R2a: stop before decision
    child(7, "KNND", birth=D(2020, 2, 29), decision=D(2026, 1, 5)),               # R14: 6 on 28/02/2026
    child(8, allowance=1_050_000),                                                # R13: CN with an allowance
    child(9, "HIV", id="031777770099"),                                           # R11 tie: HIV first …
    child(10, "KNND", id="031777770099"),                                         # … KNND (with a card) kept
    child(11, "KNND", birth=D(2012, 2, 29)),                                      # 16 on 29/02/2028 (leap)
]
MEMBERS = [
    member(1, household_type="Thoát nghèo"),                                      # no recognition date
    member(2, recognised=D(2022, 1, 1)),                                          # Nghèo: the date is ignored
    member(3, household_type=None),                                               # blank household type
    member(4, household_type="Thoát cận nghèo", recognised=D(2025, 6, 10)),       # 36 months: to 06/2028
]


@pytest.fixture(scope="module")
def book(tmp_path_factory):
    path = tmp_path_factory.mktemp("edges") / "edges.xlsx"
    wb = openpyxl.Workbook()
    wb.active.title = "Trẻ em"
    write_register_sheet(wb.active, NQ55, CHILDREN)
    write_register_sheet(wb.create_sheet("Hộ nghèo"), NQ04, MEMBERS)
    ps = wb.create_sheet(SETTINGS_SHEET)
    for r, (label, value) in enumerate([(LABEL_UNIT, "Phường Đồ Sơn"), (LABEL_UNIT_TYPE, "Phường"),
                                        (LABEL_MONTH, "03/2026")], start=1):
        ps.cell(row=r, column=1, value=label)
        ps.cell(row=r, column=2, value=value)
    wb.save(path)
    return path


def cells(book, month, sheet="Trẻ em"):
    """Per register row (1-based): (benefit, topup, insurance, end_date, basis) as compute writes them."""
    result = next(r for r in compute_book(open_book(book), month) if r.register.sheet == sheet)
    c = result.cells()
    return {i + 1: tuple(c[k][i] for k in ("benefit", "topup", "insurance", "end_date", "basis"))
            for i in range(len(result.register.table))}


def udf(func, person, month, settings=None):
    """The worksheet function on one row's cells, as the VBA wrapper calls it."""
    args = []
    for name in FUNCTION_ARGS:
        value = person.get(name)
        args.append(MISSING if value is None else value)
    return udf_host.call("udfs", func, *args, f"{month:%m/%Y}", MISSING if settings is None else settings)


def test_r2a_decision_on_or_after_the_day_eligibility_ended(book):
    march, feb = cells(book, D(2026, 3, 1)), cells(book, D(2026, 2, 1))
    for i in (1, 3, 4, 6):
        assert march[i][:4] == (R2A,) * 4, i
    assert "20/03/2026" in march[1][4] and "ngày đủ 16 tuổi 15/03/2026" in march[1][4]
    assert "10/01/2028" in march[3][4] and "36 tháng" in march[3][4]
    assert "ngày mẹ đủ 18 tuổi 28/02/2026" in march[4][4]
    assert "01/03/2026" in march[6][4] and "02/02/2026" in march[6][4]
    # the day before: the month of the event is paid, not the next
    assert march[2][:4] == (2_000_000, 0, "Không", D(2026, 3, 31))
    assert cells(book, D(2026, 4, 1))[2][0] == 0
    assert feb[5][:4] == (750_000, 0, "Không", D(2026, 2, 28)) and march[5][0] == 0
    # the worksheet functions agree
    for i, expected in ((1, R2A), (4, R2A), (6, R2A)):
        assert udf("HP_BENEFIT", CHILDREN[i - 1], D(2026, 3, 1)) == expected
    assert udf("HP_BENEFIT", CHILDREN[1], D(2026, 3, 1)) == 2_000_000
    assert udf("HP_END_DATE", CHILDREN[4], D(2026, 2, 1)) == dt.datetime(2026, 2, 28)


def test_r2a_is_a_validation_error_with_the_two_dates(book):
    report = validate_book(open_book(book), today=TODAY)
    r2a = {i.row - 1: i.message for i in report.issues if i.code == "DECISION_AFTER_END" and i.sheet == "Trẻ em"}
    assert set(r2a) == {1, 3, 4, 6}
    assert "20/03/2026" in r2a[1] and "15/03/2026" in r2a[1]
    assert "10/01/2028" in r2a[3]
    assert "28/02/2026" in r2a[4]


def test_r14_29_february(book):
    jan, feb = cells(book, D(2026, 1, 1)), cells(book, D(2026, 2, 1))
    assert (jan[7][2], feb[7][2]) == ("Không", "Có")          # 6 on 28/02/2026
    assert cells(book, D(2028, 2, 1))[11][3] == D(2028, 2, 29)    # 16 on 29/02/2028 (a leap year)
    assert udf("HP_INSURANCE", CHILDREN[6], D(2026, 2, 1)) == "Có"
    assert udf("HP_INSURANCE", CHILDREN[6], D(2026, 1, 1)) == "Không"


def test_r13_cn_with_an_allowance_is_an_error(book):
    row = cells(book, D(2026, 3, 1))[8]
    assert row[0] == "Lỗi" and "nhóm CN không áp dụng cho người đang hưởng trợ cấp xã hội" in row[4]
    assert udf("HP_BENEFIT", CHILDREN[7], D(2026, 3, 1)) == row[0]
    report = validate_book(open_book(book), today=TODAY)
    assert any(i.code == "ALLOWANCE_FORBIDDEN" and i.row == 9 and i.sheet == "Trẻ em" for i in report.issues)


def test_r11_tie_keeps_the_row_with_the_insurance_card(book):
    march = cells(book, D(2026, 3, 1))
    assert march[10][:3] == (750_000, 0, "Có")
    assert march[9][:3] == (0, 0, "Không") and "dòng 11" in march[9][4]
    report = validate_book(open_book(book), today=TODAY)
    dup = next(i for i in report.issues if i.code == "DUPLICATE_ID")
    assert dup.row == 10 and "dòng 11" in dup.message


def test_nq04_household_type_decides_the_36_months(book):
    nov = cells(book, D(2026, 11, 1), "Hộ nghèo")
    assert nov[1][0] == "Lỗi" and "thiếu ngày công nhận thoát nghèo/cận nghèo" in nov[1][4]
    assert nov[2][0] == 1_500_000 and nov[2][3] == D(2030, 12, 31)     # Nghèo: the old date is ignored
    assert nov[3][0] == "Lỗi" and "thiếu loại hộ (Nghèo/Cận nghèo/Thoát nghèo/Thoát cận nghèo)" in nov[3][4]
    assert nov[4][0] == 1_500_000 and nov[4][3] == D(2028, 6, 30)
    assert cells(book, D(2028, 7, 1), "Hộ nghèo")[4][0] == 0
    assert udf("HP_END_DATE", MEMBERS[3], D(2026, 11, 1)) == dt.datetime(2028, 6, 30)
    assert udf("HP_BENEFIT", MEMBERS[0], D(2026, 11, 1)) == nov[1][0]
    assert udf("HP_BENEFIT", MEMBERS[1], D(2026, 11, 1)) == 1_500_000
    report = validate_book(open_book(book), today=TODAY)
    found = {(i.row - 1, i.code, i.severity) for i in report.issues if i.sheet == "Hộ nghèo"
             and i.code in ("HOUSEHOLD_RECOGNITION", "REQUIRED")}
    assert found == {(1, "HOUSEHOLD_RECOGNITION", "error"), (2, "HOUSEHOLD_RECOGNITION", "warning"),
                     (3, "REQUIRED", "error")}


def test_unconfirmed_insurance_is_never_khong(book):
    nov = cells(book, D(2026, 11, 1), "Hộ nghèo")
    assert nov[2][2] == "Chưa xác nhận" and "BHYT: chưa xác nhận" in nov[2][4] and "BHYT HN-BTXH" in nov[2][4]
    assert udf("HP_INSURANCE", MEMBERS[1], D(2026, 11, 1)) == "Chưa xác nhận"
    settings = [["BHYT HN-BTXH", "Không"]]
    assert udf("HP_INSURANCE", MEMBERS[1], D(2026, 11, 1), settings) == "Không"
    assert udf("HP_INSURANCE", MEMBERS[1], D(2026, 11, 1), [["BHYT HN-BTXH", "Có"]]) == "Có"
