"""`export --kind arrears` and the arrears sheet of the payroll (issue 17): truy lĩnh and truy thu
per person and month against the ledger `Đã chi trả`, each in its own column (never netted),
with the reason. Recoveries are listed for the clerk to decide, never deducted.

A closed month is re-exported from the ledger (what was recorded), never recomputed
(`closed_payroll`)."""
from __future__ import annotations

import datetime as dt

import numpy as np

from xl_support.book.ledger import KIND_ARREARS, KIND_MONTH, KIND_RECOVERY, Rows, is_in, person_keys
from xl_support.book.register import object_array
from xl_support.book.workbook import Book
from xl_support.documents.xlsx import DocBook
from xl_support.documents.layout import ColumnSpec, Section, write_table
from xl_support.engine.policy import Groups
from xl_support.engine.schedule import BookSchedule
from xl_support.operations.exports.common import UnitNames, begin_document, end_document, month_text, note, sheet_title
from xl_support.operations.exports.lists import payroll_label

ARREARS_SHEET = "Truy lĩnh, truy thu"
ARREARS_COLUMNS = [
    ColumnSpec("STT", 5, "center"),
    ColumnSpec("Họ và tên", 22, "text"),
    ColumnSpec("Ngày sinh", 11.5, "date"),
    ColumnSpec("Đối tượng", 22, "text"),
    ColumnSpec("Tháng được hưởng", 10, "center"),
    ColumnSpec("Được hưởng theo sổ (đồng)", 13, "money", summed=False),
    ColumnSpec("Đã chi trả (đồng)", 13, "money", summed=False),
    ColumnSpec("Truy lĩnh (đồng)", 13, "money"),
    ColumnSpec("Truy thu (đồng)", 13, "money"),
    ColumnSpec("Lý do", 30, "text"),
]


def write_arrears_sheet(wb: DocBook, lines: Rows, month: dt.date, unit: UnitNames, on: dt.date,
                        groups: Groups, notes: list[str], used: set[str] | None = None) -> dict:
    """One sheet: a section per person (sheet, row), one line per month; truy thu as a positive
    amount in its own column. Returns {'rows': people, 'total': truy lĩnh, 'recovery': truy thu}."""
    used = used if used is not None else set(wb.sheetnames)
    ws = wb.create_sheet(sheet_title(ARREARS_SHEET, used))
    n = len(ARREARS_COLUMNS)
    row = begin_document(ws, [c.width for c in ARREARS_COLUMNS], unit, "Danh sách truy lĩnh, truy thu",
                         [f"Chi trả cùng kỳ {month_text(month).lower()}",
                          "So với số đã ghi ở sheet «Đã chi trả» (các tháng đã chốt)"], on=on)
    sections: list[Section] = []
    stt = 0
    col = {c: lines[c].tolist() for c in ("key", "name", "birth", "group", "register", "month", "entitled",
                                          "recorded", "diff", "reason", "sheet", "row")}
    people: dict[str, list[int]] = {}           # person → their lines, in order of first appearance
    for j, key in enumerate(col["key"]):
        people.setdefault(key, []).append(j)
    for idx in people.values():
        first = idx[0]
        where = f"«{col['sheet'][first]}» dòng {col['row'][first]}" if col["sheet"][first] else "không còn trong sổ"
        stt += 1
        rows = [[stt if i == 0 else None, col["name"][j] if i == 0 else "", col["birth"][j] if i == 0 else None,
                 payroll_label(groups.get(col["group"][j]), col["register"][j], groups) if i == 0 else "",
                 f"{col['month'][j]:%m/%Y}", int(col["entitled"][j]) or None, int(col["recorded"][j]) or None,
                 max(int(col["diff"][j]), 0) or None, max(-int(col["diff"][j]), 0) or None, col["reason"][j]]
                for i, j in enumerate(idx)]
        sections.append(Section(f"{col['name'][first]} ({where})", rows, None))
    header = row
    row = write_table(ws, row, ARREARS_COLUMNS, sections, number_row=True,
                      total_label=f"Tổng cộng ({stt} người)")
    arrears = sum(max(int(d), 0) for d in col["diff"])
    recovery = sum(max(-int(d), 0) for d in col["diff"])
    texts = [f"Truy lĩnh chi trả cùng kỳ này: {money_text(arrears)} đồng.",
             f"Truy thu (nhận thừa): {money_text(recovery)} đồng — không tự trừ vào danh sách chi trả; "
             "cán bộ xem xét, báo cáo Chủ tịch quyết định thu hồi.", *notes]
    for t in texts:
        row = note(ws, row, t, n, italic=True)
    end_document(ws, row + 1, unit, on, [("Người lập biểu", ""), ("Kế toán", ""),
                                         ("TM. Ủy ban nhân dân\nChủ tịch", "", "(Ký, đóng dấu)")], n,
                 table_header_rows=(header, header + 1), landscape=True)
    return {"rows": stt, "total": arrears, "recovery": recovery}


def money_text(amount: int) -> str:
    from xl_support.engine.basis import money
    return money(amount)


def unrecorded_note(months: list[dt.date]) -> list[str]:
    if not months:
        return []
    span = f"{months[0]:%m/%Y}" + (f"–{months[-1]:%m/%Y}" if len(months) > 1 else "")
    return [f"Tháng {span} chưa chốt (chưa ghi số đã chi trả): chỉ tính truy lĩnh của quyết định cho hưởng "
            "từ tháng trước tháng ký."]


def closed_payroll(book: Book, month: dt.date) -> tuple[BookSchedule, dict[int, int], Rows]:
    """A closed month's payroll from the ledger rows paid in it: a one-month schedule of the people
    recorded, their truy lĩnh, and the arrears lines — the same document as when it was closed."""
    rows = book.ledger.active
    rows = rows[rows["paid_in"] == month]
    keys = person_keys(rows["id"].tolist(), rows["name"].tolist(), rows["birth"].tolist())
    kinds, amounts = rows["kind"].tolist(), rows["amount"].tolist()
    paid = [j for j, kind in enumerate(kinds) if kind in (KIND_MONTH, KIND_ARREARS)]
    first: dict[str, int] = {}      # person → their ledger row: the month's own row, else the first arrears row
    for j in [j for j in paid if kinds[j] == KIND_MONTH] + [j for j in paid if kinds[j] != KIND_MONTH]:
        first.setdefault(keys[j], j)
    pos = {k: i for i, k in enumerate(first)}
    benefit = np.zeros((1, len(pos)), dtype=np.int64)
    by_col: dict[int, int] = {}
    for j in paid:
        if kinds[j] == KIND_MONTH:
            benefit[0, pos[keys[j]]] += int(amounts[j])
    for j in paid:
        if kinds[j] == KIND_ARREARS:
            by_col[pos[keys[j]]] = by_col.get(pos[keys[j]], 0) + int(amounts[j])
    people = rows[list(first.values())]
    rgroups = people["residential_group"].copy()
    rgroups[np.equal(rgroups, None)] = ""
    table = Rows({"sheet": people["sheet"], "row": people["row"], "register": people["register"],
                  "name": people["name"], "birth": people["birth"], "id_key": people["id"],
                  "residential_group": rgroups, "group": people["group"]}, len(people))
    sched = BookSchedule(months=[month], people=table, benefit=benefit, insurance=np.zeros_like(benefit, bool),
                         suppressed=np.zeros_like(benefit, bool), params=book.settings.params)
    is_note = is_in(kinds, (KIND_ARREARS, KIND_RECOVERY))
    notes = rows[is_note]

    def zero_if_blank(values):
        out = values.copy()
        out[np.equal(values, None)] = 0
        return out
    lines = Rows({"key": object_array(keys)[is_note], "month": notes["month"],
                  "entitled": zero_if_blank(notes["entitled"]), "recorded": zero_if_blank(notes["recorded"]),
                  "diff": notes["amount"], "reason": notes["reason"], "name": notes["name"], "birth": notes["birth"],
                  "sheet": notes["sheet"], "row": notes["row"], "register": notes["register"],
                  "group": notes["group"]}, len(notes))
    return sched, by_col, lines


def export_arrears(wb: DocBook, book: Book, month: dt.date, unit: UnitNames, on: dt.date) -> dict:
    """`export --kind arrears`: the lines of `month` (from the ledger when it is closed)."""
    from xl_support.operations.cycle import arrears
    if month in book.ledger.closed_months():
        _, _, lines = closed_payroll(book, month)
        notes = [f"Tháng {month:%m/%Y} đã chốt: số liệu lấy từ sheet «Đã chi trả», không tính lại."]
    else:
        arr, _ = arrears(book, month)
        lines, notes = arr.lines, unrecorded_note(arr.unrecorded)
    return write_arrears_sheet(wb, lines, month, unit, on, book.settings.groups, notes)


def payroll_inputs(book: Book, month: dt.date, sched: BookSchedule | None = None):
    """The payroll hook: (schedule, truy lĩnh by column or None, arrears lines, notes). A closed
    month comes from the ledger; else the book's schedule and the arrears against the ledger."""
    from xl_support.operations.cycle import arrears
    if month in book.ledger.closed_months():
        sched, by_col, lines = closed_payroll(book, month)
        return sched, by_col or None, lines, [f"Tháng {month:%m/%Y} đã chốt: lập lại từ sheet «Đã chi trả»."]
    arr, ent = arrears(book, month)
    return ent.sched, arr.by_column() or None, arr.lines, unrecorded_note(arr.unrecorded)
