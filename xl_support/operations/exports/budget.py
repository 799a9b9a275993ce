"""`budget`: the need for 2026–2030 by year and group, from each row's month-by-month schedule
(16th birthdays, 36-month ends, mothers' 18th birthdays, stop dates, the 2027 poverty-line
step), with R11 applied per month, and the health-insurance cost at the base salary in force
each month — a year in which the base salary changes (2026: July) is split into its periods.

The need covers the people in the book only (no new cases; rows without a decision are not
counted; groups whose amount the ward has not entered count 0 and are listed in a note).
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np

from xl_support.engine.basis import money
from xl_support.engine.policy import Groups
from xl_support.documents.xlsx import DocBook
from xl_support.documents.layout import ColumnSpec, Section, write_table
from xl_support.engine.rules import Status
from xl_support.engine.messages import NO_AMOUNT
from xl_support.operations.exports.common import REGISTER_ORDER, has_amount, RESOLUTION_SHORT, UnitNames, begin_document, end_document, note
from xl_support.engine.schedule import BookSchedule


#: *Nơi nhận* of the budget report (NĐ 30/2020 Phụ lục I mục 9).
BUDGET_RECIPIENTS = ("UBND thành phố (để b/c);", "Sở Tài chính;", "Lưu: VT, KT.")


@dataclass(frozen=True)
class Segment:
    """Months of one year at one base salary: the columns of the budget tables."""
    year: int
    first: dt.date
    last: dt.date
    base_salary: int


def segments(sched: BookSchedule) -> list[Segment]:
    """Split each year of the schedule where the base salary changes (parameter data)."""
    out: list[Segment] = []
    for m in sched.months:
        base = sched.params.value("base_salary", m)
        if out and out[-1].year == m.year and out[-1].base_salary == base:
            out[-1] = Segment(m.year, out[-1].first, m, base)
        else:
            out.append(Segment(m.year, m, m, base))
    return out


def _mask(sched: BookSchedule, seg: Segment) -> np.ndarray:
    return np.array([seg.first <= m <= seg.last for m in sched.months])


def budget_columns(segs: list[Segment]) -> tuple[list[ColumnSpec], list[tuple]]:
    """Columns and what each sums: ('seg', [segment indexes]) per money column."""
    cols = [ColumnSpec("STT", 5, "center"), ColumnSpec("Nội dung", 40, "text")]
    sums: list[tuple] = [None, None]
    years = sorted({s.year for s in segs})
    for y in years:
        parts = [k for k, s in enumerate(segs) if s.year == y]
        if len(parts) == 1:
            cols.append(ColumnSpec(f"Năm {y}", 14, "money"))
            sums.append(tuple(parts))
            continue
        for k in parts:
            s = segs[k]
            cols.append(ColumnSpec(f"Tháng {s.first.month}–{s.last.month}", 13, "money", group=f"Năm {y}"))
            sums.append((k,))
        cols.append(ColumnSpec("Cả năm", 14, "money", group=f"Năm {y}"))
        sums.append(tuple(parts))
    cols.append(ColumnSpec(f"Cộng {years[0]}–{years[-1]}" if years else "Cộng", 15, "money"))
    sums.append(tuple(range(len(segs))))
    return cols, sums


@dataclass
class BudgetFigures:
    segments: list[Segment]
    benefit: dict[str, list[int]]     # group code → VND per segment
    insurance: dict[str, list[int]]


def budget_figures(sched: BookSchedule) -> BudgetFigures:
    segs = segments(sched)
    codes = sched.people["group"]
    costs = sched.insurance_costs()
    benefit: dict[str, list[int]] = {}
    insurance: dict[str, list[int]] = {}
    for code in sorted(set(codes)):
        rows = codes == code
        benefit[code] = [int(sched.benefit[_mask(sched, s)][:, rows].sum()) for s in segs]
        insurance[code] = [int(costs[_mask(sched, s)][:, rows].sum()) for s in segs]
    return BudgetFigures(segs, benefit, insurance)


def write_budget(wb: DocBook, sched: BookSchedule, month: dt.date, unit: UnitNames, on: dt.date,
                 groups: Groups) -> dict:
    fig = budget_figures(sched)
    cols, sums = budget_columns(fig.segments)
    n = len(cols)
    ws = wb.create_sheet("Nhu cầu kinh phí")
    years = sorted({s.year for s in fig.segments})
    row = begin_document(ws, [c.width for c in cols], unit,
                         "Nhu cầu kinh phí thực hiện chính sách hỗ trợ",
                         ["Theo Nghị quyết số 55/2025/NQ-HĐND và Nghị quyết số 04/2026/NQ-HĐND "
                          "của HĐND thành phố Hải Phòng",
                          f"Giai đoạn {years[0]}–{years[-1]} (lập theo sổ tháng {month:%m/%Y})" if years else ""],
                         doc_number="      /BC-UBND", on=on)

    def values(per_segment: list[int]) -> list[int]:
        return [sum(per_segment[k] for k in s) for s in sums[2:]]

    def table(data: dict[str, list[int]]) -> list[Section]:
        sections = []
        stt = 0
        for roman, reg in zip(("1", "2"), REGISTER_ORDER):
            rows = []
            for g in groups.for_register(reg):
                stt += 1
                figures = values(data.get(g.code, [0] * len(fig.segments)))
                rows.append([stt, g.display] + (figures if has_amount(g) else [NO_AMOUNT] * len(figures)))
            sections.append(Section(f"{roman}. Đối tượng theo {RESOLUTION_SHORT[reg]}", rows,
                                    f"Cộng {roman}"))
        return sections

    totals = {"benefit": sum(sum(v) for v in fig.benefit.values()),
              "insurance": sum(sum(v) for v in fig.insurance.values())}
    header_rows = []
    for title, data in (("I. Kinh phí hỗ trợ hằng tháng (đồng)", fig.benefit),
                        ("II. Kinh phí hỗ trợ đóng bảo hiểm y tế (đồng)", fig.insurance)):
        row = note(ws, row, title, n, bold=True)
        header_rows.append(row)
        row = write_table(ws, row, cols, table(data))
    row = note(ws, row, "III. Tổng hợp nhu cầu kinh phí (đồng)", n, bold=True)
    ben = [sum(v[k] for v in fig.benefit.values()) for k in range(len(fig.segments))]
    ins = [sum(v[k] for v in fig.insurance.values()) for k in range(len(fig.segments))]
    row = write_table(ws, row, cols, [[1, "Hỗ trợ hằng tháng"] + values(ben),
                                      [2, "Hỗ trợ đóng bảo hiểm y tế"] + values(ins)])
    unconfirmed = sorted({c for c, s in zip(sched.people["group"], sched.people["status"])
                          if int(s) == Status.UNCONFIRMED})
    pending = int((sched.people["status"] == Status.PENDING).sum())
    lines = ["Ghi chú: Nhu cầu tính theo từng người, từng tháng trên danh sách hiện có trong sổ (không gồm đối "
             "tượng mới phát sinh): dừng khi trẻ đủ 16 tuổi, hết 36 tháng kể từ khi thoát nghèo, mẹ đủ 18 tuổi "
             "hoặc có ngày thôi hưởng; chuẩn nghèo mới từ tháng 01/2027; mỗi người chỉ hưởng một mức cao nhất."]
    lines.append("Kinh phí BHYT = mức lương cơ sở từng tháng × " +
                 f"{sched.params.value('hi_rate_permille', fig.segments[0].first) / 10:g}".replace(".", ",") +
                 " % × số thẻ; mức lương cơ sở: " +
                 "; ".join(f"tháng {s.first.month}–{s.last.month}/{s.year}: {money(s.base_salary)} đồng"
                           for s in fig.segments if s.year == years[0]) + "." if fig.segments else "")
    if pending:
        lines.append(f"Chưa tính {pending} hồ sơ chưa có ngày ký quyết định.")
    if unconfirmed:
        lines.append("Chưa tính các nhóm chưa có mức hỗ trợ (" + ", ".join(unconfirmed) +
                     "): nhập mức theo Nghị quyết tại sheet «Tham số» rồi xuất lại.")
    unsure = sched.unconfirmed.any(axis=0)
    if unsure.any():        # domain.md §3: counted on their own, no cost until the ward decides
        codes = sorted(set(sched.people["group"][unsure]))
        lines.append(f"Chưa tính kinh phí BHYT của {int(unsure.sum())} người có hỗ trợ BHYT «Chưa xác nhận» (nhóm "
                     + ", ".join(codes) + "): nhập «BHYT <mã nhóm>» (Có/Không) tại sheet «Tham số» rồi xuất lại.")
    for line in lines:
        row = note(ws, row, line, n, italic=True, size=11)
    row += 1
    end_document(ws, row, unit, on, [("Người lập biểu", ""), ("Kế toán", ""),
                                     ("TM. Ủy ban nhân dân\nChủ tịch", "", "(Ký, đóng dấu)")], n,
                 table_header_rows=None, landscape=True, recipients=BUDGET_RECIPIENTS)
    return {"rows": int(((sched.benefit > 0).any(axis=0)).sum()), "total": totals["benefit"] + totals["insurance"],
            **totals}
