"""`insurance-list`: the D03-TS list ("Danh sách người chỉ tham gia BHYT", QĐ 595/QĐ-BHXH as
amended by QĐ 490/QĐ-BHXH) for the social-insurance office (domain.md §4; plan V.2).

One sheet for the people not at school, one per school (`Trường đang học`; plan V.2.3: schools
send their pupils' lists). One card per person: the schedule has R11 applied.

Decisions [decision]:
* A card is paid by the local budget (NSĐP) at 100 %; the month's cost is base salary × 4.5 %
  of that month (the base salary changes in July 2026).
* Cards run in periods of up to 12 months from the first month insured (the month of the
  decision, or of the 6th birthday); a period ends earlier at the last month of eligibility.
  "I. Tăng" lists the people whose period starts this month: a new card ("Tăng mới") or the
  next 12 months of a card ("Gia hạn"). Column 12 = this month; column 13 = the period's
  months; column 9 = the contribution for those months (each month at its base salary);
  column 10 = the part paid by the local budget (= column 9, support rate 100 %).
* "II. Giảm" lists the people insured last month and not this month (16th birthday, end of the
  36 months, stop date…, or a higher benefit in another row — R11), from this month, with the
  reason in column 15; no amounts.
* ID numbers in full (the list goes to the insurance office, not to the public). The group is
  not written (data minimisation: the office needs the person, not the group).
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np

from xl_support.engine.basis import money
from xl_support.documents.xlsx import DocBook
from xl_support.documents.layout import ColumnSpec, Section, write_table
from xl_support.operations.exports.common import UnitNames, begin_document, end_document, month_text, note, person_key, sheet_title
from xl_support.book.text import natural_key
from xl_support.engine.rules import as_month
from xl_support.engine.schedule import BookSchedule, insurance_cost, month_add
from xl_support.operations.exports.data import END_REASON_TEXT, OTHER_REASON_TEXT

PERIOD_MONTHS = 12
NOT_AT_SCHOOL = "Không đi học"


@dataclass(frozen=True)
class D03Column:
    number: str     # the column number printed under the header: A, B, 1 … 15
    header: str
    width: float
    kind: str       # reports.layout ColumnSpec kind
    field: str      # key of the row dict built by `_person_row`
    summed: bool | None = None  # totals rows add it (default: money columns)


#: D03-TS columns in print order (domain.md §4, "as best reconstructed, not confirmed"): change
#: the order or a header here, nothing else needs to change.
D03_COLUMNS: tuple[D03Column, ...] = (
    D03Column("A", "STT", 5, "center", "stt"),
    D03Column("B", "Họ và tên", 21, "text", "name"),
    D03Column("1", "Mã số BHXH", 11, "center", "bhxh_code"),
    D03Column("2", "Số CCCD/ĐDCN/ Hộ chiếu", 14.5, "center", "id"),
    D03Column("3", "Ngày tháng năm sinh", 11.5, "date", "birth"),
    D03Column("4", "Giới tính", 6.5, "center", "sex"),
    D03Column("5", "Địa chỉ", 20, "text", "address"),
    D03Column("6", "Nơi đăng ký KCB ban đầu", 11, "text", "hospital"),
    D03Column("7", "Ngày biên lai", 9, "center", "receipt_date"),
    D03Column("8", "Số biên lai", 8, "center", "receipt_no"),
    D03Column("9", "Số tiền đóng", 11.5, "money", "amount"),
    D03Column("10", "NSĐP hỗ trợ thêm", 11.5, "money", "local_support"),
    D03Column("11", "Hỗ trợ khác", 8, "money", "other_support", summed=False),
    D03Column("12", "Từ tháng", 9, "center", "from_month"),
    D03Column("13", "Số tháng", 7, "int", "months"),
    D03Column("14", "Mã số nhân viên thu", 9, "center", "collector"),
    D03Column("15", "Ghi chú", 17, "text", "note"),
)


def _runs(insured: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Per person insured in month k: (first month index of the consecutive run holding k,
    last month index of that run); -1 where not insured in k."""
    m, n = insured.shape
    first = np.full(n, -1)
    last = np.full(n, -1)
    for i in np.flatnonzero(insured[k]):
        a = k
        while a > 0 and insured[a - 1, i]:
            a -= 1
        b = k
        while b + 1 < m and insured[b + 1, i]:
            b += 1
        first[i], last[i] = a, b
    return first, last


@dataclass
class InsuranceChanges:
    """The month's increases and decreases (positions in the schedule's people table)."""
    increases: list[int]
    decreases: list[int]
    months: dict[int, int]      # increase → months of the period
    amount: dict[int, int]      # increase → contribution for the period (VND)
    renewal: dict[int, int]     # increase → period number (1 = new card)
    reason: dict[int, str]      # decrease → why


def insurance_changes(sched: BookSchedule, month: dt.date) -> InsuranceChanges:
    """Who gets a card (or its next 12 months) this month, and whose card stops (module notes)."""
    k = sched.at(month)
    ins = sched.insurance
    first, last = _runs(ins, k)
    inc, months, amount, renewal = [], {}, {}, {}
    for i in np.flatnonzero(ins[k]):
        if (k - first[i]) % PERIOD_MONTHS:
            continue
        n = min(PERIOD_MONTHS, int(last[i]) - k + 1)
        inc.append(int(i))
        months[int(i)] = n
        amount[int(i)] = sum(insurance_cost(sched.params, month_add(month, j)) for j in range(n))
        renewal[int(i)] = (k - first[i]) // PERIOD_MONTHS + 1
    dec, reason = [], {}
    if k > 0:
        prev = as_month(sched.months[k - 1])
        ends = sched.people["end"].astype("M8[M]")
        for i in np.flatnonzero(ins[k - 1] & ~ins[k]):
            dec.append(int(i))
            if ends[i] == prev:
                reason[int(i)] = END_REASON_TEXT[int(sched.people["end_reason"][i])]
            else:
                reason[int(i)] = OTHER_REASON_TEXT
    return InsuranceChanges(inc, dec, months, amount, renewal, reason)


def _address(residential_group: str, unit: UnitNames) -> str:
    parts = [residential_group] if residential_group else []
    parts.append(unit.in_text if unit.full.strip("…") else "")
    parts.append("thành phố Hải Phòng")
    return ", ".join(p for p in parts if p)


def _person_row(sched: BookSchedule, i: int, unit: UnitNames, month: dt.date, ch: InsuranceChanges,
                increase: bool) -> list:
    p = sched.people
    values = {
        "stt": None, "name": p["name"][i], "bhxh_code": p["insurance_number"][i] or "",
        "id": p["id_key"][i] or "",
        "birth": p["birth"][i], "sex": p["sex"][i], "address": _address(p["residential_group"][i], unit),
        "hospital": p["kcb_place"][i] or "", "receipt_date": "", "receipt_no": "", "amount": None, "local_support": None,
        "other_support": None, "from_month": f"{month:%m/%Y}", "months": None, "collector": "", "note": "",
    }
    if increase:
        values.update(amount=ch.amount[i], local_support=ch.amount[i], months=ch.months[i],
                      note="Tăng mới" if ch.renewal[i] == 1 else f"Gia hạn (kỳ {ch.renewal[i]})")
    else:
        values.update(note=ch.reason[i])
    if not p["id_key"][i]:
        values["note"] = (values["note"] + "; thiếu số định danh").lstrip("; ")
    return [values[c.field] for c in D03_COLUMNS]


def _order(sched: BookSchedule, idx: list[int]) -> list[int]:
    rgroups, names = sched.people["residential_group"], sched.people["name"]
    return sorted(idx, key=lambda i: (natural_key(rgroups[i]), person_key(names[i])))


NO_CHANGE_SHEET = "Không có tăng giảm"


def write_insurance_list(wb: DocBook, sched: BookSchedule, month: dt.date, unit: UnitNames,
                         on: dt.date, unit_code: str | None = None) -> dict:
    """The D03-TS sheets: one for the people not at school and one per school, each only when it
    lists someone (a month without any change gets one sheet saying so). `unit_code`: `Mã đơn
    vị` of the `Tham số` sheet. Returns {'rows': people listed, 'total': contribution of the
    increases, 'increases': n, 'decreases': n}."""
    ch = insurance_changes(sched, month)
    p = sched.people
    schools: dict[str, list[int]] = {}
    for i in ch.increases + ch.decreases:
        schools.setdefault(p["school"][i] or "", [])
    names = sorted([s for s in schools if s], key=natural_key)
    columns = [ColumnSpec(c.header, c.width, c.kind, number_label=c.number, summed=c.summed) for c in D03_COLUMNS]
    used: set[str] = set()
    base = sched.params.value("base_salary", month)
    cost = insurance_cost(sched.params, month)
    permille = sched.params.value("hi_rate_permille", month)
    rate = f"{permille / 10:g}".replace(".", ",")
    registers = sorted(set(p["register"][np.array(ch.increases + ch.decreases, dtype=np.intp)])) if len(p) else []
    who = {"NQ55": "trẻ em được hỗ trợ theo NQ 55/2025/NQ-HĐND",
           "NQ04": "thành viên hộ nghèo, cận nghèo, thoát nghèo được hỗ trợ theo NQ 04/2026/NQ-HĐND"}
    participant = "; ".join(who[r] for r in ("NQ55", "NQ04") if r in registers) or who["NQ55"]
    total = 0
    schools_of = {i: p["school"][i] or "" for i in ch.increases + ch.decreases}
    for school in [""] + names:
        inc = _order(sched, [i for i in ch.increases if schools_of[i] == school])
        dec = _order(sched, [i for i in ch.decreases if schools_of[i] == school])
        if not inc and not dec:
            continue  # no empty form (issue 16)
        ws = wb.create_sheet(sheet_title(school or NOT_AT_SCHOOL, used))
        n = len(columns)
        row = begin_document(ws, [c.width for c in columns], unit, "Danh sách người chỉ tham gia bảo hiểm y tế",
                             [month_text(month)], form_note="Mẫu số D03-TS (QĐ 595/QĐ-BHXH, sửa đổi theo "
                                                            "QĐ 490/QĐ-BHXH)", on=on)
        lines = [
            f"Tên đơn vị: Ủy ban nhân dân {unit.in_text}.   Mã đơn vị: {unit_code or '……………'}",
            f"Loại đối tượng tham gia: {participant[0].upper() + participant[1:]}"
            + (f" – học sinh {school}" if school else " – không đi học (danh sách do UBND lập)") + ".",
            f"Người đóng: Ngân sách địa phương (NSĐP) hỗ trợ 100 % mức đóng. Mức lương cơ sở tháng "
            f"{month:%m/%Y}: {money(base)} đồng; mức đóng {rate} % = {money(cost)} đồng/người/tháng.",
        ]
        unsure = int(sched.unconfirmed[sched.at(month)].sum()) if not school else 0
        if unsure:          # domain.md §3: left out until the ward enters «BHYT HN-…»
            lines.append(f"Danh sách không gồm {unsure} người có hỗ trợ BHYT «Chưa xác nhận» (nhóm NQ 04 chưa nhập "
                         "«BHYT HN-…» tại sheet Tham số).")
        for line in lines:
            row = note(ws, row, line, n)
        row += 1
        rows_inc = [_person_row(sched, i, unit, month, ch, True) for i in inc]
        rows_dec = [_person_row(sched, i, unit, month, ch, False) for i in dec]
        stt = 0
        for r in rows_inc + rows_dec:
            stt += 1
            r[0] = stt
        sections = [Section("I. Tăng", rows_inc, f"Cộng tăng ({len(inc)} người)"),
                    Section("II. Giảm", rows_dec, f"Cộng giảm ({len(dec)} người)")]
        header = row
        row = write_table(ws, row, columns, sections, total_label=f"Tổng cộng ({len(inc) + len(dec)} người)")
        total += sum(ch.amount[i] for i in inc)
        end_document(ws, row, unit, on, [("Người lập biểu", ""), ("Thủ trưởng đơn vị", "", "(Ký, đóng dấu)")],
                     n, table_header_rows=(header, header + 1), landscape=True)
    if not wb.sheetnames:  # nobody gets or loses a card this month: say so on one page
        ws = wb.create_sheet(NO_CHANGE_SHEET)
        widths = [c.width for c in columns]
        row = begin_document(ws, widths, unit, "Danh sách người chỉ tham gia bảo hiểm y tế", [month_text(month)],
                             form_note="Mẫu số D03-TS (QĐ 595/QĐ-BHXH, sửa đổi theo QĐ 490/QĐ-BHXH)", on=on)
        row = note(ws, row, f"Tháng {month:%m/%Y} không có người tăng, giảm tham gia bảo hiểm y tế do ngân sách "
                            "địa phương hỗ trợ: không lập danh sách D03-TS.", len(widths), italic=True) + 1
        end_document(ws, row, unit, on, [("Người lập biểu", ""), ("Thủ trưởng đơn vị", "", "(Ký, đóng dấu)")],
                     len(widths), table_header_rows=None, landscape=True)
    return {"rows": len(ch.increases) + len(ch.decreases), "total": total,
            "increases": len(ch.increases), "decreases": len(ch.decreases)}
