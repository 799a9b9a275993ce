"""`sheets.safe_sheet_name`: names made from user text (school names…) are legal Excel sheet names (issue 13)."""
from __future__ import annotations

import openpyxl
import pytest

from xl_support.book.sheets import MAX_SHEET_NAME, safe_sheet_name


@pytest.mark.parametrize("text, existing, expected", [
    ("Trường THCS Lê Lợi", [], "Trường THCS Lê Lợi"),
    ("Trường\tTHCS\nLê Lợi\r", [], "Trường THCS Lê Lợi"),           # control characters never kept
    ("a\x00b\x07c\x7f", [], "abc"),
    ("Lớp 6/1 [A]: *?", [], "Lớp 6-1 -A-- --"),
    ("'Trường Hoa Sen'", [], "Trường Hoa Sen"),                      # no leading / trailing apostrophe
    ("Trường Tiểu học Nguyễn Văn Trỗi ' cơ sở", [], "Trường Tiểu học Nguyễn Văn Trỗi"),   # truncate, then strip
    ("History", [], "History (2)"),                                   # Excel's reserved name
    ("history", ["History (2)"], "history (3)"),
    ("Chi trả", ["CHI TRẢ"], "Chi trả (2)"),                          # unique, case-insensitively
    ("", [], "Danh sách"),
    (" ' ", [], "Danh sách"),
    (None, [], "Danh sách"),
])
def test_safe_sheet_name(text, existing, expected):
    assert safe_sheet_name(text, existing) == expected


def test_long_names_with_suffixes_stay_within_31_and_unique():
    used: list[str] = []
    for _ in range(12):
        name = safe_sheet_name("Trường Trung học cơ sở Nguyễn Bỉnh Khiêm", used)
        assert len(name) <= MAX_SHEET_NAME and name == name.strip(" '")
        used.append(name)
    assert len({n.casefold() for n in used}) == 12


def test_openpyxl_accepts_every_name(tmp_path):
    wb = openpyxl.Workbook()
    used = [wb.active.title]
    for text in ["a/b", "x" * 40, "History", "'q'", "t\tab", "Trường 'Lê' ", "[1]"]:
        name = safe_sheet_name(text, used)
        wb.create_sheet(name)
        used.append(name)
    wb.save(tmp_path / "names.xlsx")
    assert openpyxl.load_workbook(tmp_path / "names.xlsx").sheetnames == used
