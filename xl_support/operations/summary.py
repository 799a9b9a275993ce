"""The ward summary sheet `Tổng hợp` for leaders (design.md "Who uses it"; issue 5).

For the month: people paid and amounts by group × area and by residential group (Tổ dân phố),
health-insurance cards and their cost (base salary of the month × contribution rate), then the
twelve months of the year (payroll per month, R11 applied per month) and the year's budget need,
with a chart. Everything comes from one `book_schedule` (the engine + R11), rebuilt each run.
"""
from __future__ import annotations

import datetime as dt
import sys
from dataclasses import dataclass

import numpy as np

from xl_support.engine.basis import money
from xl_support.book.workbook import Book
from xl_support.engine.messages import ERROR_STATUSES, NO_AMOUNT
from xl_support.book.ports import MONEY_FORMAT, BookPort, read_port_book
from xl_support.book.register import NQ04, NQ55
from xl_support.engine.rules import Status
from xl_support.engine.schedule import BookSchedule, insurance_cost, month_add
from xl_support.operations.schedule import book_schedule
from xl_support.book.sheets import ChartSpec, SheetSpec
from xl_support.book.text import natural_key

SUMMARY_SHEET = "Tổng hợp"
AREAS = (("urban", "Thành thị"), ("rural", "Nông thôn"))
RESOLUTIONS = ((NQ55, "NQ 55/2025/NQ-HĐND – trẻ em"), (NQ04, "NQ 04/2026/NQ-HĐND – thành viên hộ nghèo, cận nghèo"))
HEADER_FILL = "D9D9D9"
#: Residential groups per printed page of table II: each page gets its own header row.
TDP_ROWS_PER_PAGE = 25
TOTAL_FILL = "F2F2F2"


@dataclass
class SummaryFigures:
    """The month's and the year's totals (also returned to callers and tests)."""
    month: dt.date
    paid: int                 # people paid in the month
    amount: int               # monthly support paid in the month
    insured: int              # insurance cards supported in the month
    insurance_cost: int       # their cost in the month
    monthly: list[tuple[dt.date, int, int, int, int]]   # month, payroll, insurance cost, paid, insured
    year_need: int            # sum of payroll + insurance over the year
    unconfirmed: int = 0      # people whose insurance is `Chưa xác nhận` in the month (§3): no cost


def figures(sched: BookSchedule, month: dt.date) -> SummaryFigures:
    k = sched.at(month)
    costs = sched.insurance_costs()
    monthly = [(m, int(sched.benefit[i].sum()), int(costs[i].sum()), int((sched.benefit[i] > 0).sum()),
                int(sched.insurance[i].sum())) for i, m in enumerate(sched.months)]
    return SummaryFigures(month=month, paid=int((sched.benefit[k] > 0).sum()), amount=int(sched.benefit[k].sum()),
                          insured=int(sched.insurance[k].sum()), insurance_cost=int(costs[k].sum()),
                          monthly=monthly, year_need=sum(p + c for _, p, c, _, _ in monthly),
                          unconfirmed=int(sched.unconfirmed[k].sum()))


def summary_sheet(book: Book, month: dt.date | None = None, run_at: dt.datetime | None = None
                  ) -> tuple[SheetSpec, SummaryFigures]:
    """The `Tổng hợp` sheet for `month` (default: the book's report month)."""
    month = book.month(month)
    run_at = run_at or dt.datetime.now()
    s = book.settings
    year, coming = (dt.date(month.year, 1, 1), dt.date(month.year, 12, 1)), (month, month_add(month, 2))
    whole = book_schedule(book, year[0], max(year[1], coming[1]))    # one schedule for sections I–V
    sched = whole.between(*year)
    fig = figures(sched, month)
    k = sched.at(month)
    people = sched.people
    benefit, insured = sched.benefit[k], sched.insurance[k]
    paid = benefit > 0
    unit = s.unit.full_name if s.unit else (s.unit_name or "(chưa ghi đơn vị tại sheet Tham số)")

    spec = SheetSpec(SUMMARY_SHEET, widths={1: 10, 2: 46, **{c: 14 for c in range(3, 10)}},
                     print_title_rows="1:3", freeze="C5")
    spec.put(1, 1, [["TỔNG HỢP THỰC HIỆN HỖ TRỢ THEO NQ 55/2025/NQ-HĐND VÀ NQ 04/2026/NQ-HĐND"]], bold=True, size=14)
    spec.put(2, 1, [[f"Đơn vị: {unit}"]], bold=True, size=12)
    spec.put(3, 1, [[f"Tháng {month:%m/%Y} – lập lúc {run_at:%H:%M} ngày {run_at:%d/%m/%Y}"]])
    spec.put(4, 1, [["Số liệu đã áp dụng quy tắc hưởng một mức cao nhất (KH mục IV.1). Đơn vị tiền: đồng."]])

    # I. group × area
    row = 6
    spec.put(row, 1, [[f"I. SỐ NGƯỜI ĐƯỢC CHI TRẢ VÀ KINH PHÍ THÁNG {month:%m/%Y} THEO NHÓM ĐỐI TƯỢNG, KHU VỰC"]],
             bold=True)
    row += 1
    header = ["Mã", "Nhóm đối tượng", "Thành thị: số người", "Thành thị: số tiền", "Nông thôn: số người",
              "Nông thôn: số tiền", "Cộng: số người", "Cộng: số tiền", "Hỗ trợ BHYT: số người"]
    spec.put(row, 1, [header], bold=True, fill=HEADER_FILL, wrap=True)
    row += 1
    codes = people["group"]
    areas = people["area"]
    registers = people["register"]

    def line(mask):
        out = []
        for area, _ in AREAS:
            m = mask & paid & (areas == area)
            out += [int(m.sum()), int(benefit[m].sum())]
        out += [int((mask & paid).sum()), int(benefit[mask & paid].sum()), int((mask & insured).sum())]
        return out

    first_table = row
    for reg, title in RESOLUTIONS:
        groups = [g for g in s.groups.for_register(reg)]
        in_reg = registers == reg
        if not in_reg.any() and reg == NQ04 and not any(r.kind == NQ04 for r in book.registers):
            continue
        if reg == NQ04:  # the second resolution on a new page, under the table's header again
            spec.page_breaks.append(row)
            spec.put(row, 1, [header], bold=True, fill=HEADER_FILL, wrap=True)
            row += 1
        spec.put(row, 1, [[title]], bold=True)
        row += 1
        body = [[g.code, g.label, *(line(in_reg & (codes == g.code)) if g.amount_rule != "unconfirmed"
                                    else [NO_AMOUNT] * 7)] for g in groups]
        other = in_reg & ~np.isin(codes, [g.code for g in groups])
        if other.any():
            body.append(["", "Mã khác / không hợp lệ", *line(other)])
        spec.put(row, 1, body)
        spec.style(row, 2, len(body), 1, wrap=True)
        row += len(body)
        spec.put(row, 1, [["", f"Cộng {title.split(' – ')[0]}", *line(in_reg)]], bold=True, fill=TOTAL_FILL)
        row += 1
    spec.put(row, 1, [["", "TỔNG CỘNG", *line(np.ones(len(codes), dtype=bool))]], bold=True, fill=TOTAL_FILL)
    spec.style(first_table, 3, row - first_table + 1, 7, number_format=MONEY_FORMAT)
    row += 1
    status = people["status"]
    not_paid = ~paid
    pending = int((not_paid & (status == Status.PENDING)).sum())
    errors = int((not_paid & np.isin(status, list(ERROR_STATUSES))).sum())
    unconfirmed = int((not_paid & (status == Status.UNCONFIRMED)).sum())
    suppressed = int(sched.suppressed[k].sum())
    rest = int(not_paid.sum()) - pending - errors - unconfirmed - suppressed
    spec.put(row, 1, [[f"Chưa chi trả tháng này: {int(not_paid.sum())} dòng (chưa có quyết định: {pending}; "
                       f"lỗi dữ liệu – xem sheet Kiểm tra: {errors}; nhóm chưa có mức: {unconfirmed}; "
                       f"hưởng ở dòng khác: {suppressed}; hết thời gian hưởng hoặc khác: {rest})."]])
    row += 2

    # II. residential groups: a new page, the header again on every page of the table
    spec.page_breaks.append(row)
    spec.put(row, 1, [[f"II. THEO TỔ DÂN PHỐ (THÁNG {month:%m/%Y})"]], bold=True)
    row += 1
    tdp_header = ["STT", "Tổ dân phố", "Số người được chi trả", "Số tiền hỗ trợ", "Số người hỗ trợ BHYT",
                  "Kinh phí BHYT", "Cộng kinh phí"]
    card = insurance_cost(s.params, month)
    tdp = np.array([t or "(chưa ghi tổ dân phố)" for t in people["residential_group"]], dtype=object)
    names = sorted({t for t, p, i in zip(tdp, paid, insured) if p or i}, key=natural_key)
    body = []
    for n, name in enumerate(names, start=1):
        m = tdp == name
        cost = int((m & insured).sum()) * card
        body.append([n, name, int((m & paid).sum()), int(benefit[m].sum()), int((m & insured).sum()), cost,
                     int(benefit[m].sum()) + cost])
    body.append(["", "Cộng", fig.paid, fig.amount, fig.insured, fig.insurance_cost, fig.amount + fig.insurance_cost])
    for start in range(0, len(body), TDP_ROWS_PER_PAGE):
        if start:
            spec.page_breaks.append(row)
        chunk = body[start:start + TDP_ROWS_PER_PAGE]
        spec.put(row, 1, [tdp_header], bold=True, fill=HEADER_FILL, wrap=True)
        spec.put(row + 1, 1, chunk)
        spec.style(row + 1, 3, len(chunk), 5, number_format=MONEY_FORMAT)
        row += 1 + len(chunk)
    spec.style(row - 1, 1, 1, 7, bold=True, fill=TOTAL_FILL)
    row += 1

    # III. health insurance
    base = s.params.period("base_salary", month)
    rate = s.params.value("hi_rate_permille", month)
    spec.put(row, 1, [[f"III. HỖ TRỢ ĐÓNG BẢO HIỂM Y TẾ THÁNG {month:%m/%Y}"]], bold=True)
    row += 1
    spec.put(row, 2, [["Số người được hỗ trợ BHYT", fig.insured],
                      [f"Mức đóng/người/tháng ({f'{rate / 10:g}'.replace('.', ',')}% lương cơ sở "
                       f"{money(base.value)})", card],
                      ["Kinh phí BHYT tháng", fig.insurance_cost]])
    spec.style(row, 3, 3, 1, number_format=MONEY_FORMAT)
    spec.put(row + 3, 2, [[f"Lương cơ sở: {base.legal_ref}, áp dụng từ {base.start:%d/%m/%Y}"]])
    row += 4
    if fig.unconfirmed:     # domain.md §3: counted on their own line, no cost until the ward decides
        spec.put(row, 2, [["Số người BHYT «Chưa xác nhận» (nhóm NQ 04 chưa nhập «BHYT HN-…» tại sheet Tham số; "
                           "chưa tính kinh phí)", fig.unconfirmed]])
        spec.style(row, 2, 1, 1, wrap=True)
        row += 1
    row += 1

    # IV. the twelve months
    spec.page_breaks.append(row)
    spec.put(row, 1, [[f"IV. KINH PHÍ TỪNG THÁNG NĂM {month.year} VÀ NHU CẦU KINH PHÍ CẢ NĂM"]], bold=True)
    row += 1
    header_row = row
    spec.put(row, 1, [["STT", "Tháng", "Cộng kinh phí", "Hỗ trợ hằng tháng", "Kinh phí BHYT",
                       "Số người được chi trả", "Số người hỗ trợ BHYT"]], bold=True, fill=HEADER_FILL, wrap=True)
    row += 1
    body = [[i + 1, f"{m:%m/%Y}", p + c, p, c, n, ni] for i, (m, p, c, n, ni) in enumerate(fig.monthly)]
    spec.put(row, 1, body)
    first_month_row = row
    row += len(body)
    spec.put(row, 1, [["", f"Cả năm {month.year}", fig.year_need, sum(b[3] for b in body), sum(b[4] for b in body),
                       None, None]], bold=True, fill=TOTAL_FILL)
    spec.style(first_month_row, 3, len(body) + 1, 5, number_format=MONEY_FORMAT)
    row += 1
    spec.put(row, 1, [[f"Nhu cầu kinh phí năm {month.year}: {money(fig.year_need)} đồng"]], bold=True)
    spec.put(row + 1, 1, [["Các tháng sau tháng báo cáo tính theo danh sách hiện có (người đang hưởng, "
                           "quyết định đã ký); chưa gồm đối tượng mới."]])
    row += 3
    spec.chart = ChartSpec(title=f"Kinh phí từng tháng năm {month.year} (hỗ trợ + BHYT, đồng)", header_row=header_row,
                           first_row=first_month_row, last_row=first_month_row + len(body) - 1,
                           category_col=2, series_cols=[3], anchor=f"B{row}", y_title="đồng")
    from xl_support.operations.changes import summary_section
    summary_section(spec, row + 20, book, month, whole.between(*coming))      # below the chart (issue 17)
    spec.fit_rows()
    return spec, fig


def summary(port: BookPort, month: dt.date | None = None) -> SummaryFigures:
    """The `summary` operation over a port (CLI and the *Tổng hợp* button)."""
    from xl_support.operations.validation import CHECK_SHEET
    port.progress("Đang đọc sổ…")
    book = read_port_book(port, skip=(SUMMARY_SHEET, CHECK_SHEET))
    port.progress("Đang tổng hợp…")
    spec, fig = summary_sheet(book, month)
    port.replace_sheet(spec)
    port.progress(f"Đã lập sheet {SUMMARY_SHEET} tháng {fig.month:%m/%Y}: {fig.paid} người, "
                  f"{money(fig.amount)} đồng; nhu cầu năm {fig.month.year}: {money(fig.year_need)} đồng")
    return fig


def run_cli(args) -> int:
    """`summary BOOK --month YYYY-MM -o OUT`."""
    from xl_support.book.fileio import check_output_path
    from xl_support.book.ports import open_port
    from xl_support.operations.validation import CHECK_SHEET
    out = check_output_path(args.out, source=args.book, force=args.force, in_place=args.in_place)
    from xl_support.book.workbook import paused_gc
    from xl_support.operations.live_formulas import refresh_cached_values
    with paused_gc():
        port = open_port(args.book)
        summary(port, args.month)
        port.activate(SUMMARY_SHEET)
        refresh_cached_values(port, skip=(SUMMARY_SHEET, CHECK_SHEET))
        port.save(out)
    print(f"Đã ghi {out}", file=sys.stderr)
    return 0
