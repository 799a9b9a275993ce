"""`export --kind arrears` and the arrears sheet of the payroll (issue 17): truy lĩnh and truy thu
per person and month against the ledger `Đã chi trả`, each in its own column (never netted),
with the reason. Recoveries are listed for the clerk to decide, never deducted.

A closed month is re-exported from the ledger (what was recorded), never recomputed
(`closed_payroll`)."""
from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
from openpyxl import Workbook

from xl_support.book.ledger import KIND_ARREARS, KIND_MONTH, KIND_RECOVERY, person_keys
from xl_support.book.register import Table
from xl_support.book.workbook import Book
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


def write_arrears_sheet(wb: Workbook, lines: pd.DataFrame, month: dt.date, unit: UnitNames, on: dt.date,
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
    for key, d in lines.groupby("key", sort=False):
        first = d.iloc[0]
        where = f"«{first['sheet']}» dòng {first['row']}" if first["sheet"] else "không còn trong sổ"
        stt += 1
        rows = [[stt if i == 0 else None, r["name"] if i == 0 else "", r["birth"] if i == 0 else None,
                 payroll_label(groups.get(r["group"]), r["register"], groups) if i == 0 else "",
                 f"{r['month']:%m/%Y}", int(r["entitled"]) or None, int(r["recorded"]) or None,
                 max(int(r["diff"]), 0) or None, max(-int(r["diff"]), 0) or None, r["reason"]]
                for i, (_, r) in enumerate(d.iterrows())]
        sections.append(Section(f"{first['name']} ({where})", rows, None))
    header = row
    row = write_table(ws, row, ARREARS_COLUMNS, sections, number_row=True,
                      total_label=f"Tổng cộng ({stt} người)")
    arrears = int(lines["diff"].clip(lower=0).sum()) if len(lines) else 0
    recovery = int(-lines["diff"].clip(upper=0).sum()) if len(lines) else 0
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


def closed_payroll(book: Book, month: dt.date) -> tuple[BookSchedule, dict[int, int], pd.DataFrame]:
    """A closed month's payroll from the ledger rows paid in it: a one-month schedule of the people
    recorded, their truy lĩnh, and the arrears lines — the same document as when it was closed."""
    rows = book.ledger.active
    rows = rows[rows["paid_in"] == month].reset_index(drop=True)
    keys = person_keys(rows["id"].tolist(), rows["name"].tolist(), rows["birth"].tolist())
    rows = rows.assign(key=keys)
    paid = rows[rows["kind"].isin((KIND_MONTH, KIND_ARREARS))]
    people = paid.sort_values("kind", key=lambda s: s != KIND_MONTH, kind="stable").drop_duplicates("key")
    people = people.reset_index(drop=True)
    pos = {k: i for i, k in enumerate(people["key"])}
    benefit = np.zeros((1, len(people)), dtype=np.int64)
    for k, a in zip(paid.loc[paid["kind"] == KIND_MONTH, "key"], paid.loc[paid["kind"] == KIND_MONTH, "amount"]):
        benefit[0, pos[k]] += int(a)
    by_col: dict[int, int] = {}
    for k, a in zip(paid.loc[paid["kind"] == KIND_ARREARS, "key"], paid.loc[paid["kind"] == KIND_ARREARS, "amount"]):
        by_col[pos[k]] = by_col.get(pos[k], 0) + int(a)
    table = pd.DataFrame({"sheet": people["sheet"], "row": people["row"], "register": people["register"],
                          "name": people["name"], "birth": people["birth"], "id_key": people["id"],
                          "residential_group": people["residential_group"].fillna(""), "group": people["group"]})
    sched = BookSchedule(months=[month], people=Table({c: v.to_numpy() for c, v in table.items()}, len(table)),
                         benefit=benefit, insurance=np.zeros_like(benefit, bool),
                         suppressed=np.zeros_like(benefit, bool), params=book.settings.params)
    notes = rows[rows["kind"].isin((KIND_ARREARS, KIND_RECOVERY))]
    lines = pd.DataFrame({"key": notes["key"], "month": notes["month"], "entitled": notes["entitled"].fillna(0),
                          "recorded": notes["recorded"].fillna(0), "diff": notes["amount"], "reason": notes["reason"],
                          "name": notes["name"], "birth": notes["birth"], "sheet": notes["sheet"],
                          "row": notes["row"], "register": notes["register"], "group": notes["group"]})
    return sched, by_col, lines


def export_arrears(wb: Workbook, book: Book, month: dt.date, unit: UnitNames, on: dt.date) -> dict:
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
