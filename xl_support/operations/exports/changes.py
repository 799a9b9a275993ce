"""`export --kind coming-changes` (issue 17): what changes in the two months after the report
month — insurance increases and decreases for the D03-TS list, people who stop or start, amounts
that change (poverty line in January 2027, base salary), rows pending a decision or an amount."""
from __future__ import annotations

import datetime as dt
from collections import Counter
from itertools import groupby

from xl_support.book.workbook import Book
from xl_support.documents.xlsx import DocBook
from xl_support.documents.layout import ColumnSpec, Section, write_table
from xl_support.operations.exports.common import UnitNames, begin_document, end_document, month_text, note, sheet_title
from xl_support.operations.exports.lists import payroll_label

CHANGES_SHEET = "Thay đổi tháng tới"
CHANGES_COLUMNS = [
    ColumnSpec("STT", 5, "center"),
    ColumnSpec("Họ và tên", 22, "text"),
    ColumnSpec("Ngày sinh", 11.5, "date"),
    ColumnSpec("Tổ dân phố", 14, "text"),
    ColumnSpec("Đối tượng", 22, "text"),
    ColumnSpec("Sổ, dòng", 14, "text"),
    ColumnSpec("Trước (đồng)", 12, "money", summed=False),
    ColumnSpec("Sau (đồng)", 12, "money", summed=False),
    ColumnSpec("Chi tiết", 40, "text"),
]


def write_changes(wb: DocBook, book: Book, month: dt.date, unit: UnitNames, on: dt.date) -> dict:
    """One sheet, a section per month and kind of change (CHANGE_KINDS order), then the pending rows."""
    from xl_support.operations.changes import CHANGE_KINDS, coming_changes
    table, sched = coming_changes(book, month)
    p, groups = {c: sched.people[c].tolist() for c in ("name", "birth", "residential_group", "group", "register",
                                                        "sheet", "row")}, book.settings.groups
    ws = wb.create_sheet(sheet_title(CHANGES_SHEET, set(wb.sheetnames)))
    n = len(CHANGES_COLUMNS)
    row = begin_document(ws, [c.width for c in CHANGES_COLUMNS], unit, "Danh sách thay đổi các tháng tới",
                         [f"Sau {month_text(month).lower()}: tháng {sched.months[1]:%m/%Y} và {sched.months[-1]:%m/%Y}"],
                         on=on)
    sections: list[Section] = []
    order = {k: i for i, k in enumerate(CHANGE_KINDS)}
    changes = sorted(zip(*(table[c].tolist() for c in ("month", "kind", "pos", "before", "after", "detail"))),
                     key=lambda c: (c[0] or dt.date.max, order[c[1]]))          # stable: engine order within
    for (m, kind), items in groupby(changes, key=lambda c: (c[0] or dt.date.max, c[1])):
        items = list(items)
        title = (f"{kind} ({len(items)} người)" if m == dt.date.max
                 else f"Tháng {m:%m/%Y} — {kind} ({len(items)} người)")
        rows = []
        for _, _, j, before, after, detail in items:
            rows.append([len(rows) + 1, p["name"][j], p["birth"][j], p["residential_group"][j],
                         payroll_label(groups.get(p["group"][j]), p["register"][j], groups),
                         f"{p['sheet'][j]}, dòng {p['row'][j]}", int(before) or None, int(after) or None,
                         detail])
        sections.append(Section(title, rows, None))
    header = row
    row = write_table(ws, row, CHANGES_COLUMNS, sections, total_label=None)
    row = note(ws, row, "Tăng/giảm BHYT: lập danh sách D03-TS (Xuất báo cáo → Danh sách BHYT) cho tháng có thay đổi. "
               "Các tháng sau tính theo sổ hiện có (chưa gồm đối tượng mới).", n, italic=True)
    end_document(ws, row + 1, unit, on, [("Người lập biểu", "")], n,
                 table_header_rows=(header, header + 1), landscape=True)
    return {"rows": len(set(table["pos"].tolist())), "total": 0, "counts": dict(sorted(Counter(table["kind"].tolist()).items()))}
