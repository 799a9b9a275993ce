"""Coming changes (issue 17): for the months after a month, who starts or stops, whose amount or
insurance contribution changes, who is still pending — and section V of `Tổng hợp`. Reads the
book's schedule only (no pandas: `summary` and the coming-changes list stay light); the closed
months' figures are `paid_vs_entitled`: the ledger's amounts per month against the schedule.
"""
from __future__ import annotations

import datetime as dt
from itertools import repeat

import numpy as np

from xl_support.book.register import Table, object_array
from xl_support.book.workbook import Book
from xl_support.engine.basis import money, period_text
from xl_support.engine.schedule import BookSchedule, insurance_cost, month_add
from xl_support.operations.schedule import as_date, book_schedule


C_INS_UP, C_INS_DOWN, C_STOP, C_START, C_AMOUNT, C_INS_COST, C_PENDING = (
    "Tăng BHYT (D03-TS)", "Giảm BHYT (D03-TS)", "Thôi hưởng", "Bắt đầu hưởng", "Thay đổi mức hỗ trợ",
    "Thay đổi mức đóng BHYT", "Chờ quyết định hoặc mức hỗ trợ")
CHANGE_KINDS = (C_STOP, C_START, C_AMOUNT, C_INS_UP, C_INS_DOWN, C_INS_COST, C_PENDING)
CHANGE_COLUMNS = ("month", "kind", "pos", "before", "after", "detail")


def _end_text(people, groups) -> str:
    """Why the last month paid is the last (domain.md R1, R5, R6, R7, R3; R12 stop month)."""
    from xl_support.engine.rules import EndReason
    reason = int(people["end_reason"])
    g = groups.get(people["group"])
    if reason == EndReason.MAX_AGE:
        return f"tròn {g.max_age if g and g.max_age else 16} tuổi"
    if reason == EndReason.RECOGNITION_MONTHS:
        return "hết 36 tháng kể từ ngày công nhận thoát nghèo/cận nghèo"
    if reason == EndReason.MOTHER_ADULT:
        return "mẹ tròn 18 tuổi"
    if reason == EndReason.STOP_DATE:
        stop = as_date(people["stop"])
        return f"ngày thôi hưởng {stop:%d/%m/%Y}" if stop else "ngày thôi hưởng"
    if reason == EndReason.WINDOW:
        return "hết thời gian thực hiện chính sách (31/12/2030)"
    return "thôi chi trả từ tháng theo quyết định (chuyển nơi cư trú)"


def coming_changes(book: Book, month: dt.date, horizon: int = 2,
                   sched: BookSchedule | None = None) -> tuple[Table, BookSchedule]:
    """Issue 17 — for the `horizon` months after `month`: who starts or stops insurance, who stops
    or starts, whose amount or insurance contribution changes (one engine schedule over
    month..month+horizon, or `sched`: the caller's schedule of those months), and the rows still
    pending a decision or an amount."""
    from xl_support.engine.rules import Status
    month = month.replace(day=1)
    if sched is None:
        sched = book_schedule(book, month, month_add(month, horizon))
    p, params, groups = sched.people, sched.params, book.settings.groups
    row = _Rows(p)                      # row(j)[column]: no pandas Series per row (issue 18 speed)
    b, ins = sched.benefit, sched.insurance
    out = []

    def add(t, kind, cols, before, after, details):
        for j, x, y, d in zip(cols, before, after, details):
            out.append((sched.months[t], kind, int(j), int(x), int(y), d))

    for t in range(1, len(sched.months)):
        m, prev = sched.months[t], sched.months[t - 1]
        stop = np.flatnonzero((b[t - 1] > 0) & (b[t] == 0))
        add(t, C_STOP, stop, b[t - 1, stop], b[t, stop],
            [("hưởng ở dòng khác có mức cao hơn (một người một mức)" if sched.suppressed[t, j]
              else f"tháng cuối được hưởng {prev:%m/%Y}: {_end_text(row(j), groups)}") for j in stop])
        start = np.flatnonzero((b[t - 1] == 0) & (b[t] > 0))
        add(t, C_START, start, b[t - 1, start], b[t, start], [f"từ tháng {m:%m/%Y}"] * len(start))
        change = np.flatnonzero((b[t - 1] > 0) & (b[t] > 0) & (b[t - 1] != b[t]))
        reasons: dict = {}                  # (group, area) → why: worked out once per pair

        def reason(g, a):
            if (g, a) not in reasons:
                reasons[g, a] = _amount_reason(params, prev, m, groups.get(g), a)
            return reasons[g, a]

        group, area = row.column("group"), row.column("area")
        add(t, C_AMOUNT, change, b[t - 1, change], b[t, change],
            [reason(group[j], area[j]) for j in change.tolist()])
        up = np.flatnonzero(~ins[t - 1] & ins[t])
        add(t, C_INS_UP, up, [0] * len(up), [insurance_cost(params, m)] * len(up),
            [("tròn 6 tuổi trong tháng" if _sixth_birthday_month(row(j)["birth"]) == m else "bắt đầu hưởng")
             for j in up])
        down = np.flatnonzero(ins[t - 1] & ~ins[t])
        add(t, C_INS_DOWN, down, [insurance_cost(params, prev)] * len(down), [0] * len(down),
            [("thôi hưởng: " + _end_text(row(j), groups)) if b[t, j] == 0 else "không còn thuộc diện hỗ trợ BHYT"
             for j in down])
        c0, c1 = insurance_cost(params, prev), insurance_cost(params, m)
        if c0 != c1:
            same = np.flatnonzero(ins[t - 1] & ins[t])
            base = params.period("base_salary", m)
            add(t, C_INS_COST, same, [c0] * len(same), [c1] * len(same),
                [f"lương cơ sở {money(base.value)} ({period_text(base)})"] * len(same))
    status = p["status"]
    pending = np.flatnonzero((status == Status.PENDING) | (status == Status.UNCONFIRMED))
    why = np.where(status[pending] == Status.PENDING, "chưa có ngày ký quyết định",
                   "nhóm chưa có mức hỗ trợ (nhập ở sheet Tham số)").tolist()     # a whole column at once
    out.extend(zip(repeat(None), repeat(C_PENDING), pending.tolist(), repeat(0), repeat(0), why))
    columns = list(zip(*out)) if out else [()] * len(CHANGE_COLUMNS)
    return Table({c: object_array(list(v)) for c, v in zip(CHANGE_COLUMNS, columns)}, len(out)), sched


class _Rows:
    """Row j of a table as `rows(j)[column]`, each column made a list once."""

    def __init__(self, frame: Table):
        self.table, self.columns = frame, {}

    def __call__(self, j: int) -> "_Row":
        return _Row(self, j)

    def column(self, name: str) -> list:
        if name not in self.columns:
            self.columns[name] = self.table[name].tolist()
        return self.columns[name]


class _Row:
    def __init__(self, rows: _Rows, j: int):
        self.rows, self.j = rows, j

    def __getitem__(self, name: str):
        return self.rows.column(name)[self.j]


def _sixth_birthday_month(birth) -> dt.date | None:
    """domain.md R10/R14 — the month of the 6th birthday (29/02 → 28/02)."""
    birth = as_date(birth)
    if not birth:
        return None
    return month_add(birth.replace(day=1), 72)


def _amount_reason(params, prev: dt.date, month: dt.date, group, area) -> str:
    """Which parameter of the row's amount changed between the two months (its area's poverty
    line, its group's standard)."""
    parts = []
    if group and group.amount_rule in ("topup", "poverty_line") and area:
        keys = [("poverty_line", area)]
    elif group and group.amount_rule == "standard_multiple" and group.standard:
        keys = [(group.standard, None)]
    else:
        keys = []
    for key, area in keys:
        try:
            a, b = params.period(key, prev, area), params.period(key, month, area)
        except LookupError:
            continue
        if a.value != b.value:
            parts.append(f"{b.label} {money(a.value)} → {money(b.value)} ({period_text(b)})")
    return "; ".join(parts) or "thay đổi mức của nhóm"


def summary_section(spec, row: int, book: Book, month: dt.date, sched: BookSchedule | None = None) -> int:
    """Section V of `Tổng hợp` (issue 17): the coming changes counted per kind and month, and the
    closed months (paid as recorded vs entitled now). Returns the next free row. `sched`: the
    schedule of `month` and the two after it, if the caller has it."""
    frame, sched = coming_changes(book, month, sched=sched)
    later = sched.months[1:]
    spec.put(row, 1, [["V. THAY ĐỔI CÁC THÁNG TỚI VÀ CÁC THÁNG ĐÃ CHỐT"]], bold=True)
    row += 1
    spec.put(row, 1, [["", "Loại thay đổi (số người)", *[f"Tháng {m:%m/%Y}" for m in later]]],
             bold=True, fill="D9D9D9", wrap=True)
    row += 1
    body = []
    for kind in CHANGE_KINDS:
        if kind == C_PENDING:
            body.append(["", f"{kind} (hiện nay)", int((frame["kind"] == kind).sum()) if len(frame) else 0, None])
        else:
            body.append(["", kind, *[int(((frame["kind"] == kind) & (frame["month"] == m)).sum()) if len(frame)
                                     else 0 for m in later]])
    spec.put(row, 1, body)
    row += len(body) + 1
    closed = book.closed_months()
    if closed:
        paid = paid_vs_entitled(book, closed)
        spec.put(row, 1, [["", "Tháng đã chốt", "Đã chi trả (đồng)", "Theo sổ hiện nay (đồng)", "Chênh lệch (đồng)"]],
                 bold=True, fill="D9D9D9", wrap=True)
        row += 1
        lines = [["", f"{m:%m/%Y}", p, e, e - p] for m, p, e in paid]
        spec.put(row, 1, lines, number_format="#,##0")
        row += len(lines)
        spec.put(row, 1, [["Chênh lệch ≠ 0: sổ hoặc tham số đã sửa sau khi chốt; xem «Xuất báo cáo → "
                           "Truy lĩnh, truy thu»."]])
        row += 1
    else:
        spec.put(row, 1, [["Chưa chốt tháng nào (nút «Chốt tháng» sau khi chi trả)."]])
        row += 1
    return row


def paid_vs_entitled(book: Book, months: list[dt.date]) -> list[tuple[dt.date, int, int]]:
    """Issue 17 §5 — for each closed month: the month's amounts recorded as paid (arrears paid
    with a later month included for the month they are for) and the entitlement now (R11)."""
    if not months:
        return []
    sched = book_schedule(book, months[0], months[-1])
    paid = book.paid_by_month()
    return [(m, paid.get(m, 0), int(sched.benefit[sched.at(m)].sum())) for m in months]
