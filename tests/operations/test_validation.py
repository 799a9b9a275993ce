"""validate (issue 5): every rule reported at the right cell, clean books report nothing, the
Kiểm tra sheet, highlights and their clearing, the CLI exit status."""
from __future__ import annotations

import datetime as dt

import openpyxl
import pytest

from xl_support.__main__ import main
from xl_support.book.workbook import open_book
from xl_support.book.register import FIELDS, NQ04, NQ55
from xl_support.build.sample import write_sample_book
from xl_support.operations.validation import CHECK_SHEET, FILLS, TABLE_HEADER_ROW, validate_book

TODAY = dt.date(2026, 11, 23)
S55, S04, SP = "Trẻ em NQ55", "Hộ nghèo NQ04", "Tham số"
HN_CODES = ["HN-BTXH", "HN-TE", "HN-BENH", "HN-NCT", "HN-NCTCD", "HN-HIV", "HN-KNLD", "HN-NKT"]


def columns(register):
    return {f.name: i for i, f in enumerate((f for f in FIELDS if register in f.registers and not f.computed), 1)}


COL55, COL04 = columns(NQ55), columns(NQ04)
LETTER = lambda n: openpyxl.utils.get_column_letter(n)  # noqa: E731


def base55(i, group="CN", **changes):
    row = dict(stt=i, name=f"Trần Văn Kiểm {i}", birth=dt.date(2018, 5, 5), sex="Nam", id=f"0319999900{i:02d}",
               residential_group="Tổ dân phố 1", area="Thành thị", group=group, allowance=None, recognised=None,
               mother_birth=None, decision=dt.date(2026, 3, 10), stop=None, school=None, note=None)
    if group.endswith("BTXH"):
        row["allowance"] = 540_000
    if group.startswith("TN"):
        row["recognised"] = dt.date(2025, 6, 1)
    if group == "SRXHTD":
        row.update(birth=dt.date(2025, 1, 10), mother_birth=dt.date(2009, 5, 1))
    row.update(changes)
    return row


def base04(i, group="HN-BENH", **changes):
    row = dict(stt=i, name=f"Lê Thị Hộ {i}", birth=dt.date(1970, 1, 1), sex="Nữ", id=f"0318888800{i:02d}",
               residential_group="Tổ dân phố 2", area="Thành thị", household_type="Cận nghèo", group=group,
               allowance=540_000 if group == "HN-BTXH" else None, recognised=None, decision=dt.date(2026, 3, 10),
               stop=None, note=None)
    row.update(changes)
    return row


CROSS_ID = "031777770001"
# (fields of the row, expected issues as (field, code, severity))
FAULTS55 = [
    (base55(1, birth="31/02/2020"), [("birth", "CELL_BIRTH", "error")]),
    (base55(2, name=None), [("name", "REQUIRED", "error")]),
    (base55(3, birth=dt.date(2030, 1, 1)), [("birth", "DATE_FUTURE", "error"), ("birth", "BIRTH_AFTER_DECISION", "error")]),
    (base55(4, birth=dt.date(2026, 5, 1)), [("birth", "BIRTH_AFTER_DECISION", "error")]),
    (base55(5, birth=dt.date(2009, 1, 1)), [("decision", "DECISION_AFTER_END", "error")]),
    (base55(6, id="03120000123"), [("id", "ID_FORMAT", "error")]),
    (base55(7, id="031999990777"), []),                                   # kept: CN 2,000,000
    (base55(8, "KNND", id="031999990777"), [("id", "DUPLICATE_ID", "warning")]),
    (base55(9, name="Phạm Thị Hồng Nhung", birth=dt.date(2019, 4, 4)), []),
    (base55(10, name="PHẠM THỊ HỒNG NHUNG", birth=dt.date(2019, 4, 4), id=None),
     [("id", "REQUIRED", "error"), ("name", "SAME_NAME_BIRTH", "warning")]),
    (base55(11, group="XYZ"), [("group", "GROUP_UNKNOWN", "error")]),
    (base55(12, group="HN-BTXH", allowance=540_000), [("group", "GROUP_REGISTER", "error")]),
    (base55(13, "CN-BTXH", allowance=None), [("allowance", "ALLOWANCE_REQUIRED", "error")]),
    (base55(14, "TN", recognised=None), [("recognised", "RECOGNITION_REQUIRED", "error")]),
    (base55(15, "TN", recognised=dt.date(2024, 12, 1)), [("recognised", "RECOGNITION_YEAR", "error")]),
    (base55(16, "SRXHTD", mother_birth=None), [("mother_birth", "MOTHER_BIRTH_REQUIRED", "error")]),
    (base55(17, "KNND", allowance=360_000), [("allowance", "ALLOWANCE_FORBIDDEN", "error")]),
    (base55(18, decision=dt.date(2031, 2, 1)), [("decision", "DECISION_WINDOW", "error")]),
    (base55(19, decision=dt.date(2025, 12, 15)), [("decision", "DECISION_WINDOW", "warning")]),
    (base55(20, area="Nông thôn"), [("area", "AREA_UNIT", "warning")]),
    (base55(21, area="Miền núi"), [("area", "CELL_AREA", "error")]),
    (base55(22, stop=dt.date(2026, 1, 5)), [("decision", "DECISION_AFTER_END", "error")]),
    (base55(23, "SRXHTD", mother_birth=dt.date(2025, 3, 1)), [("mother_birth", "MOTHER_AFTER_CHILD", "error")]),
    (base55(24, "CN-BTXH", allowance="abc"), [("allowance", "CELL_ALLOWANCE", "error")]),
    (base55(25, birth="01/01/1890"), [("birth", "CELL_BIRTH", "error")]),
    (base55(26, sex=None), [("sex", "REQUIRED", "warning")]),
    (base55(27, id=CROSS_ID), []),                                        # kept across registers
]
FAULTS04 = [
    (base04(1, household_type="Thoát nghèo"), [("recognised", "HOUSEHOLD_RECOGNITION", "error")]),
    (base04(2, household_type="Nghèo", recognised=dt.date(2025, 3, 1)), [("recognised", "HOUSEHOLD_RECOGNITION", "warning")]),
    (base04(3, household_type=None), [("household_type", "REQUIRED", "error")]),
    (base04(4, "HN-BTXH", id=CROSS_ID), [("id", "DUPLICATE_ID", "warning")]),
    (base04(5, "HN-NKT"), [("group", "UNCONFIRMED", "warning"), ("group", "INSURANCE_UNCONFIRMED", "warning")]),
]
SETTINGS_FAULTS = [("Chuẩn nghèo thành thị từ 01/01/2027", "abc", "SETTINGS_VALUE", "error")]


def _write_rows(ws, cols, rows, first=4):
    for k, fields in enumerate(rows):
        for name, col in cols.items():
            cell = ws.cell(row=first + k, column=col)
            cell.value = fields.get(name)
            if isinstance(cell.value, dt.date):
                cell.number_format = "dd/mm/yyyy"


def settle_groups(ws, skip=()):
    """Enter the ward's amounts / insurance for the NQ 04 groups (domain.md §3)."""
    r = ws.max_row + 1
    for code in HN_CODES:
        if code != "HN-BTXH" and code not in skip:
            ws.cell(row=r, column=1, value=f"Mức hỗ trợ {code} (đồng/tháng)")
            ws.cell(row=r, column=2, value=500_000)
            r += 1
        if code not in skip:
            ws.cell(row=r, column=1, value=f"BHYT {code}")
            ws.cell(row=r, column=2, value="Không")
            r += 1


def clean_book(path, seed=1, n55=40, n04=20, settle=True):
    write_sample_book(path, n55=n55, n04=n04, seed=seed)
    if settle:
        wb = openpyxl.load_workbook(path)
        settle_groups(wb[SP])
        wb.save(path)
    return path


def fault_book(path):
    """A sample ward book with every rule broken at least once; returns the expected issues
    {(sheet, cell or '', code, severity)}."""
    write_sample_book(path, n55=40, n04=20, seed=7)
    wb = openpyxl.load_workbook(path)
    for ws, code_col in ((wb[S04], COL04["group"]),):           # no HN-NKT before our row
        for r in range(4, ws.max_row + 1):
            if ws.cell(r, code_col).value == "HN-NKT":
                ws.cell(r, code_col).value = "HN-BENH"
    _write_rows(wb[S55], COL55, [f for f, _ in FAULTS55])
    _write_rows(wb[S04], COL04, [f for f, _ in FAULTS04])
    settle_groups(wb[SP], skip=("HN-NKT",))
    ws = wb[SP]
    r = ws.max_row + 1
    expected = set()
    for label, value, code, severity in SETTINGS_FAULTS:
        ws.cell(row=r, column=1, value=label)
        ws.cell(row=r, column=2, value=value)
        expected.add((SP, f"B{r}", code, severity))
        r += 1
    wb.save(path)
    for sheet, cols, faults in ((S55, COL55, FAULTS55), (S04, COL04, FAULTS04)):
        for k, (_, issues) in enumerate(faults):
            for field, code, severity in issues:
                expected.add((sheet, f"{LETTER(cols[field])}{4 + k}", code, severity))
    return expected


def found(report):
    return {(i.sheet, i.cell if i.column else "", i.code, i.severity) for i in report.issues}


def test_every_rule_is_reported_at_its_cell(tmp_path):
    expected = fault_book(tmp_path / "f.xlsx")
    report = validate_book(open_book(tmp_path / "f.xlsx"), today=TODAY)
    assert found(report) == expected
    assert not report.ok
    for issue in report.issues:
        assert issue.message and issue.message[0].isupper()
    dup = next(i for i in report.issues if i.code == "DUPLICATE_ID" and i.sheet == S04)
    assert "dòng 30" in dup.message and S55 in dup.message          # row 27 of FAULTS55 is Excel row 30
    dup55 = next(i for i in report.issues if i.code == "DUPLICATE_ID" and i.sheet == S55)
    assert "dòng 10" in dup55.message and "cùng sheet" in dup55.message
    age = next(i for i in report.issues if i.code == "DECISION_AFTER_END" and i.row == 8)
    assert "16 tuổi" in age.message and "01/01/2025" in age.message


@pytest.mark.parametrize("empty", ["", None])
def test_masks_told_by_parsing_give_the_report_of_the_cells(tmp_path, empty):
    """The presence masks and engine forms the register reader makes while parsing (issue 18) give
    the report that the typed cells give alone (a table without them, as any other caller's), on
    a book that breaks every rule, whether empty cells come as "" (city consolidation) or None."""
    from xl_support.book.workbook import load_book, read_grids
    fault_book(tmp_path / "f.xlsx")
    grids = read_grids(tmp_path / "f.xlsx", empty_as_none=empty is None)
    report = validate_book(load_book(grids), today=TODAY)
    bare = load_book(grids)
    for reg in bare.registers:
        assert reg.table.present                # the reader told them
        reg.table.present, reg.table.numbers = {}, {}
    assert validate_book(bare, today=TODAY).issues == report.issues


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_clean_sample_reports_nothing(tmp_path, seed):
    report = validate_book(open_book(clean_book(tmp_path / "c.xlsx", seed=seed, n55=150, n04=80)), today=TODAY)
    assert report.issues == []
    assert report.rows == {S55: 150, S04: 80}


def test_unconfirmed_groups_are_warned_once_per_group(tmp_path):
    report = validate_book(open_book(clean_book(tmp_path / "u.xlsx", settle=False)), today=TODAY)
    assert report.ok and report.issues
    assert {i.code for i in report.issues} <= {"UNCONFIRMED", "INSURANCE_UNCONFIRMED"}
    unconfirmed = [i.message.split()[1] for i in report.issues if i.code == "UNCONFIRMED"]
    assert len(unconfirmed) == len(set(unconfirmed))


def test_missing_columns_and_no_register(tmp_path):
    path = clean_book(tmp_path / "m.xlsx")
    wb = openpyxl.load_workbook(path)
    ws = wb[S55]
    ws.cell(3, COL55["sex"]).value = None
    ws.cell(3, COL55["birth"]).value = "Ngày tháng"
    wb.save(path)
    report = validate_book(open_book(path), today=TODAY)
    missing = {(i.field, i.severity) for i in report.issues if i.code == "MISSING_COLUMN"}
    assert missing == {("sex", "warning"), ("birth", "error")}
    wb = openpyxl.Workbook()
    wb.active["A1"] = "Không phải sổ"
    wb.save(tmp_path / "empty.xlsx")
    report = validate_book(open_book(tmp_path / "empty.xlsx"), today=TODAY)
    assert {i.code for i in report.issues} == {"NO_REGISTER", "SETTINGS_MISSING"}


def values(wb, skip=(CHECK_SHEET,)):
    return {(ws.title, c.coordinate): c.value for ws in wb.worksheets if ws.title not in skip
            for row in ws.iter_rows() for c in row if c.value is not None}


def check_rows(ws):
    """The Kiểm tra table as (Sheet, Dòng, Cột, Mã lỗi, Mức độ, Nội dung) rows."""
    assert [c.value for c in ws[TABLE_HEADER_ROW]][:8] == ["STT", "Trang tính", "Ô", "Dòng", "Cột", "Mã lỗi", "Mức độ",
                                                            "Nội dung"]
    rows = [tuple(r[1:2] + r[3:8]) for r in ws.iter_rows(min_row=TABLE_HEADER_ROW + 1, values_only=True)]
    return [r for r in rows if any(v is not None for v in r)]


def link_target(cell):
    if cell.hyperlink is not None:
        return cell.hyperlink.location
    if isinstance(cell.value, str) and cell.value.startswith("=HYPERLINK("):
        return cell.value.split('"')[1].lstrip("#")
    return None


def test_cli_writes_check_sheet_marks_and_changes_nothing_else(tmp_path, capsys):
    expected = fault_book(tmp_path / "f.xlsx")
    assert main(["validate", str(tmp_path / "f.xlsx"), "-o", str(tmp_path / "out.xlsx")]) == 1
    err = capsys.readouterr()
    assert "Đang đọc sổ" in err.err and "DUPLICATE_ID" in err.out
    before = openpyxl.load_workbook(tmp_path / "f.xlsx")
    after = openpyxl.load_workbook(tmp_path / "out.xlsx")
    assert after.sheetnames == before.sheetnames + [CHECK_SHEET]
    assert values(after) == values(before)
    ws = after[CHECK_SHEET]
    rows = check_rows(ws)
    assert len(rows) == len(expected)
    assert all(r[4] in ("Lỗi", "Cảnh báo") for r in rows)
    # links and fills
    for r in range(TABLE_HEADER_ROW + 1, ws.max_row + 1):
        sheet, cell, col = ws.cell(r, 2).value, ws.cell(r, 3).value, ws.cell(r, 5).value
        if col:
            assert link_target(ws.cell(r, 3)) == f"'{sheet}'!{cell}"
            fill = after[sheet][cell].fill.fgColor.rgb
            assert fill[-6:] in FILLS.values()
    assert after[S55]["C4"].fill.fgColor.rgb[-6:] == FILLS["error"]
    assert after[S55]["G23"].fill.fgColor.rgb[-6:] == FILLS["warning"]     # AREA_UNIT
    assert after[S55]["B44"].fill.fill_type is None                      # untouched cell


def test_rerun_clears_previous_marks(tmp_path):
    fault_book(tmp_path / "f.xlsx")
    assert main(["validate", str(tmp_path / "f.xlsx"), "-o", str(tmp_path / "1.xlsx")]) == 1
    wb = openpyxl.load_workbook(tmp_path / "1.xlsx")
    wb[S55]["C4"].value = dt.datetime(2020, 2, 28)                       # fix CELL_BIRTH
    wb[S55]["G23"].value = "Thành thị"                                   # fix AREA_UNIT
    wb.save(tmp_path / "1.xlsx")
    assert main(["validate", str(tmp_path / "1.xlsx"), "-o", str(tmp_path / "2.xlsx")]) == 1
    wb = openpyxl.load_workbook(tmp_path / "2.xlsx")
    assert wb[S55]["C4"].fill.fill_type is None and wb[S55]["G23"].fill.fill_type is None
    assert wb[S55]["B5"].fill.fgColor.rgb[-6:] == FILLS["error"]
    assert wb.sheetnames.count(CHECK_SHEET) == 1
    assert not any(r[0] == S55 and r[1] == 4 and r[2] == "C" for r in check_rows(wb[CHECK_SHEET]))


def test_cli_exit_status(tmp_path, capsys):
    clean = clean_book(tmp_path / "c.xlsx")
    assert main(["validate", str(clean)]) == 0
    warn = clean_book(tmp_path / "w.xlsx", settle=False)
    assert main(["validate", str(warn)]) == 0                            # warnings alone
    fault_book(tmp_path / "f.xlsx")
    assert main(["validate", str(tmp_path / "f.xlsx")]) == 1
    assert not (tmp_path / "f - Kiểm tra.xlsx").exists()
    assert main(["validate", str(clean), "-o", str(clean)]) == 2         # never OUT = BOOK
    out = capsys.readouterr()
    assert "lỗi" in out.err
