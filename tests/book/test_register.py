"""Register schema: header found by content, synonyms, typed cells, issues that point at cells."""
import datetime as dt

import pytest

from xl_support.book import values as V
from xl_support.book.workbook import load_book, read_settings
from xl_support.book.register import find_header, read_register

D = dt.date


def test_header_found_below_title_rows_with_synonyms_and_any_order():
    grid = [
        ["DANH SÁCH TRẺ EM", None, None, None, None],
        [None] * 5,
        ["Mã ĐT", "HO TEN", "Ngày tháng năm sinh", "Số CCCD/ĐDCN", "Cột riêng của phường"],
        ["CN", "Nguyễn Văn An", "05/03/2015", 31215001234.0, "x"],
        [None, None, None, None, None],
        ["KNND", "Lê Thị Bình", D(2012, 1, 2), "031215009999", None],
    ]
    row, cols = find_header(grid)
    assert row == 3 and cols == {"group": 1, "name": 2, "birth": 3, "id": 4}
    reg = read_register("S", grid)
    assert reg.table["row"].tolist() == [4, 6]            # blank row skipped, Excel row numbers
    assert reg.table["birth"].tolist() == [D(2015, 3, 5), D(2012, 1, 2)]
    assert reg.table["id_key"].tolist() == ["031215001234", "031215009999"]  # lost leading zero restored
    assert {f.name for f in reg.missing_columns()} >= {"decision", "area"}
    assert any(f.essential for f in reg.missing_columns())


def test_no_register_header_is_not_a_register():
    assert read_register("Ghi chép", [["Họ và tên", "Tuổi"], ["A", 3]]) is None


def test_unreadable_cells_become_issues_at_their_cell():
    grid = [
        ["Họ và tên", "Mã đối tượng", "Ngày sinh", "Khu vực", "Trợ cấp xã hội đang hưởng (đồng/tháng)"],
        ["A", "CN", "31/02/2015", "Thành thị", None],
        ["B", "CN-BTXH", "1/2/2015", "Phố", "1.050.000"],
        ["C", "CN-BTXH", "hôm qua", "nông thôn", "1,05 triệu"],
    ]
    reg = read_register("Trẻ em", grid)
    cells = {(i.cell, i.field) for i in reg.issues}
    assert cells == {("C2", "birth"), ("D3", "area"), ("C4", "birth"), ("E4", "allowance")}
    assert all(i.severity == "error" and i.message for i in reg.issues)
    assert reg.table["bad_cell"].tolist() == [True, True, True]
    assert reg.table["allowance"].tolist()[1] == 1_050_000
    assert reg.table["area"].tolist()[2] == "rural"


@pytest.mark.parametrize("text, expected", [
    ("05/03/2015", D(2015, 3, 5)), ("5/3/2015", D(2015, 3, 5)), (42000.0, D(2014, 12, 27)),
    (dt.datetime(2015, 3, 5, 0, 0), D(2015, 3, 5)), (None, None), ("  ", None),
])
def test_parse_date(text, expected):
    assert V.parse_date(text) == expected


@pytest.mark.parametrize("text", ["31/02/2015", "2015", "hôm qua", "13/13/2013", 1.5, True])
def test_parse_date_never_guesses(text):
    with pytest.raises(V.CellError):
        V.parse_date(text)


@pytest.mark.parametrize("text, expected", [("1.050.000", 1_050_000), (360000.0, 360_000), ("0", 0), (None, None)])
def test_parse_amount(text, expected):
    assert V.parse_amount(text) == expected


@pytest.mark.parametrize("text", ["1,050,000", "1.05", "-5", 1.5, "abc"])
def test_parse_amount_rejects(text):
    with pytest.raises(V.CellError):
        V.parse_amount(text)


def test_register_kind_and_group_code_from_drop_down_label():
    grid = [["Họ và tên", "Mã đối tượng", "Loại hộ"], ["A", "HN-BTXH – Thành viên hộ nghèo", "Cận nghèo"]]
    reg = read_register("Hộ", grid)
    assert reg.kind == "NQ04" and reg.table["group"].tolist() == ["HN-BTXH"]


def test_settings_sheet_labels_and_overrides():
    grid = [
        ["Đơn vị", "Phường Đồ Sơn"], ["Loại đơn vị", "Phường"], ["Tháng báo cáo", "11/2026"],
        [None, None],
        ["Chuẩn nghèo thành thị từ 01/01/2027", 3_000_000, "31/12/2030", "NĐ 351/2025/NĐ-CP"],
        ["Lương cơ sở từ 01/07/2027", "2.800.000"],
        ["Mức hỗ trợ HN-TE (đồng/tháng)", 500_000],
        ["BHYT HN-TE", "Có"],
        ["Tháng báo cáo sai", "x"],
    ]
    s = read_settings(grid)
    assert s.unit.full_name == "Phường Đồ Sơn" and s.default_area == "urban"
    assert s.report_month == D(2026, 11, 1)
    assert s.params.value("poverty_line", D(2027, 1, 1), "urban") == 3_000_000
    assert s.params.value("poverty_line", D(2026, 12, 1), "urban") == 2_000_000
    assert s.params.value("base_salary", D(2027, 6, 1)) == 2_530_000
    assert s.params.value("base_salary", D(2027, 7, 1)) == 2_800_000
    assert s.groups.get("HN-TE").fixed_amount == 500_000 and s.groups.get("HN-TE").insurance == "yes"
    assert not s.issues


def test_settings_bad_value_is_an_issue_and_unknown_unit_a_warning():
    s = read_settings([["Đơn vị", "Phường Không Có"], ["Tháng báo cáo", "13/2026"]])
    codes = {i.code for i in s.issues}
    assert codes == {"SETTINGS_VALUE", "UNIT_UNKNOWN"}
    assert s.report_month is None


def test_book_without_settings_still_computes():
    book = load_book({"DS": [["Họ và tên", "Mã đối tượng"], ["A", "KNND"]]})
    assert not book.settings.found and len(book.registers) == 1
    assert book.month(None) == dt.date.today().replace(day=1)
