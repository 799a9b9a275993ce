"""`city-report`: the ward's monthly report on the two resolutions for the city (UBND thành phố,
Sở Y tế, Sở Tài chính, Sở Nông nghiệp và Môi trường).

Period [decision]: the command takes one month; the report gives that month and the running
totals of its quarter and of its year, plus what the rest of the year needs. So the report of
March, June, September or December is the quarterly report, December's the annual one.

Definitions:
* beneficiaries / amount: people paid in the month (benefit > 0 after R11) and their benefit;
* insurance: cards supported in the month (R10 after R11) × base salary × 4.5 % of the month;
* newly approved: decision signed in the month (status OK, not paid in another row, R11);
* stopped: paid last month and not this month; the reason is the end event of last month
  (16th birthday, 36 months, mother's 18th birthday, stop date, end of the policy) or, if
  none, the higher benefit of another row (R11);
* budget used: benefit + insurance from January to the month; needed: the rest of the year
  for the people in the book.

Machine-readable sheet `Dữ liệu` (the city tool reads it; header in row 1, one row per group ×
area, columns `CITY_DATA_COLUMNS` in this order; counts are people, money whole VND):
every group of the book's policy table × `Thành thị` and `Nông thôn` (zeros included), plus a
`Chưa xác định` row for a group when people of that group have no area. Read it back with
`read_city_data(path)`.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from xl_support.book.workbook import Settings
from xl_support.engine.policy import Groups
from xl_support.documents.xlsx import DocBook
from xl_support.documents.styles import Alignment, Font, PatternFill
from xl_support.documents.layout import FONT_NAME, ColumnSpec, Section, write_table
from xl_support.engine.rules import EndReason, Status
from xl_support.engine.messages import NO_AMOUNT
from xl_support.operations.exports.common import REGISTER_ORDER, has_amount, RESOLUTION_SHORT, UnitNames, begin_document, end_document, month_text, note
from xl_support.engine.schedule import BookSchedule
from xl_support.operations.exports.data import END_REASON_TEXT, OTHER_REASON, OTHER_REASON_TEXT, stop_reasons

DATA_SHEET = "Dữ liệu"
REPORT_SHEET = "Báo cáo"
AREA_TEXT = {"urban": "Thành thị", "rural": "Nông thôn", None: "Chưa xác định"}
REASONS = [(int(r), END_REASON_TEXT[r]) for r in EndReason] + [(OTHER_REASON, OTHER_REASON_TEXT)]
REASON_KEYS = {int(EndReason.MAX_AGE): "thoi_het_tuoi", int(EndReason.RECOGNITION_MONTHS): "thoi_het_36_thang",
               int(EndReason.MOTHER_ADULT): "thoi_me_du_18", int(EndReason.STOP_DATE): "thoi_theo_ngay_thoi_huong",
               int(EndReason.WINDOW): "thoi_het_chinh_sach", int(EndReason.STOP_PAY): "thoi_chuyen_noi_cu_tru",
               OTHER_REASON: "thoi_huong_muc_khac"}

#: The `Dữ liệu` sheet's columns (key, header) — a contract with the city tool: add at the end only.
CITY_DATA_COLUMNS: tuple[tuple[str, str], ...] = (
    ("don_vi", "Đơn vị"),
    ("loai_don_vi", "Loại đơn vị"),
    ("thang", "Tháng báo cáo"),
    ("nghi_quyet", "Nghị quyết"),
    ("ma_doi_tuong", "Mã đối tượng"),
    ("khu_vuc", "Khu vực"),
    ("so_nguoi", "Số người được hỗ trợ trong tháng"),
    ("kinh_phi_thang", "Kinh phí hỗ trợ trong tháng (đồng)"),
    ("so_bhyt", "Số người được hỗ trợ BHYT trong tháng"),
    ("kinh_phi_bhyt_thang", "Kinh phí hỗ trợ BHYT trong tháng (đồng)"),
    ("moi_phe_duyet", "Số người mới được phê duyệt trong tháng"),
    ("thoi_huong", "Số người thôi hưởng từ tháng này"),
    ("thoi_het_tuoi", "Thôi hưởng: hết độ tuổi"),
    ("thoi_het_36_thang", "Thôi hưởng: hết 36 tháng sau thoát nghèo"),
    ("thoi_me_du_18", "Thôi hưởng: mẹ đủ 18 tuổi"),
    ("thoi_theo_ngay_thoi_huong", "Thôi hưởng: theo ngày thôi hưởng"),
    ("thoi_het_chinh_sach", "Thôi hưởng: hết thời gian chính sách"),
    ("thoi_huong_muc_khac", "Thôi hưởng: hưởng mức cao hơn ở dòng khác"),
    ("luy_ke_quy_ho_tro", "Kinh phí hỗ trợ lũy kế quý (đồng)"),
    ("luy_ke_quy_bhyt", "Kinh phí BHYT lũy kế quý (đồng)"),
    ("luy_ke_nam_ho_tro", "Kinh phí hỗ trợ lũy kế năm (đồng)"),
    ("luy_ke_nam_bhyt", "Kinh phí BHYT lũy kế năm (đồng)"),
    ("can_den_het_nam_ho_tro", "Kinh phí hỗ trợ cần đến hết năm (đồng)"),
    ("can_den_het_nam_bhyt", "Kinh phí BHYT cần đến hết năm (đồng)"),
    ("thoi_chuyen_noi_cu_tru", "Thôi hưởng: thôi chi trả theo quyết định (chuyển nơi cư trú)"),
    ("so_bhyt_chua_xac_nhan", "Số người hỗ trợ BHYT chưa xác nhận trong tháng (chưa tính kinh phí)"),
)
#: *Nơi nhận* of the report (NĐ 30/2020 Phụ lục I mục 9).
CITY_RECIPIENTS = ("Như trên;", "Thường trực Đảng ủy, HĐND phường (để b/c);", "Lưu: VT, VHXH.")
TEXT_KEYS = ("don_vi", "loai_don_vi", "thang", "nghi_quyet", "ma_doi_tuong", "khu_vuc")


def schedule_range(month: dt.date) -> tuple[dt.date, dt.date]:
    """Months the report needs: the month before January (stops in January) to December."""
    return dt.date(month.year - 1, 12, 1), dt.date(month.year, 12, 1)


@dataclass
class CityFigures:
    rows: list[dict]      # CITY_DATA_COLUMNS keys → values


def city_figures(sched: BookSchedule, month: dt.date, settings: Settings, unit: UnitNames) -> CityFigures:
    """One dict per group × area (module notes)."""
    groups: Groups = settings.groups
    k = sched.at(month)
    p = sched.people
    months = sched.months
    quarter_first = dt.date(month.year, (month.month - 1) // 3 * 3 + 1, 1)
    in_quarter = np.array([quarter_first <= m <= month for m in months])
    in_year = np.array([m.year == month.year and m <= month for m in months])
    rest = np.array([m.year == month.year and m > month for m in months])
    costs = sched.insurance_costs()
    reasons = stop_reasons(sched, month)
    decision = p["decision"].tolist()
    new = np.array([d is not None and d.year == month.year and d.month == month.month for d in decision], bool)
    new &= (p["status"] == Status.OK) & ~sched.suppressed[k]
    codes = p["group"]
    areas = p["area"]
    unit_type = settings.unit.type if settings.unit else (settings.unit_type or "")
    rows = []
    for g in groups.groups:
        in_group = codes == g.code
        area_list = ["urban", "rural"] + ([None] if any(a is None for a in areas[in_group]) else [])
        for area in area_list:
            sel = in_group & np.array([a == area for a in areas], dtype=bool)
            r = {
                "don_vi": unit.full, "loai_don_vi": unit_type, "thang": f"{month:%m/%Y}",
                "nghi_quyet": RESOLUTION_SHORT[g.register], "ma_doi_tuong": g.code, "khu_vuc": AREA_TEXT[area],
                "so_nguoi": int((sched.benefit[k, sel] > 0).sum()),
                "kinh_phi_thang": int(sched.benefit[k, sel].sum()),
                "so_bhyt": int(sched.insurance[k, sel].sum()),
                "kinh_phi_bhyt_thang": int(costs[k, sel].sum()),
                "moi_phe_duyet": int((new & sel).sum()),
                "thoi_huong": int(((reasons != -2) & sel).sum()),
                "so_bhyt_chua_xac_nhan": int(sched.unconfirmed[k, sel].sum()),
            }
            for code, key in REASON_KEYS.items():
                r[key] = int(((reasons == code) & sel).sum())
            for key, mask, arr in (("luy_ke_quy_ho_tro", in_quarter, sched.benefit),
                                   ("luy_ke_quy_bhyt", in_quarter, costs),
                                   ("luy_ke_nam_ho_tro", in_year, sched.benefit),
                                   ("luy_ke_nam_bhyt", in_year, costs),
                                   ("can_den_het_nam_ho_tro", rest, sched.benefit),
                                   ("can_den_het_nam_bhyt", rest, costs)):
                r[key] = int(arr[mask][:, sel].sum())
            rows.append(r)
    return CityFigures(rows)


def _write_data_sheet(wb: DocBook, fig: CityFigures) -> None:
    ws = wb.create_sheet(DATA_SHEET)
    bold = Font(name=FONT_NAME, size=11, bold=True)
    plain = Font(name=FONT_NAME, size=11)
    for c, (_, header) in enumerate(CITY_DATA_COLUMNS, start=1):
        cell = ws.cell(row=1, column=c, value=header)
        cell.font = bold
        cell.alignment = Alignment(wrap_text=True, vertical="center", horizontal="center")
        cell.fill = PatternFill("solid", start_color="FFD9D9D9", end_color="FFD9D9D9")
        ws.column_dimensions[cell.column_letter].width = 16 if c > 6 else (22 if c == 1 else 13)
    ws.row_dimensions[1].height = 62
    for r, values in enumerate(fig.rows, start=2):
        for c, (key, _) in enumerate(CITY_DATA_COLUMNS, start=1):
            cell = ws.cell(row=r, column=c, value=values[key])
            cell.font = plain
            if key not in TEXT_KEYS:
                cell.number_format = "#,##0"
            else:
                cell.number_format = "@"
    ws.freeze_panes = "G2"
    ws.auto_filter.ref = f"A1:{ws.cell(row=1, column=len(CITY_DATA_COLUMNS)).column_letter}{len(fig.rows) + 1}"
    ws.page_setup.orientation = "landscape"
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.page_setup.fitToWidth, ws.page_setup.fitToHeight = 1, 0
    ws.print_title_rows = "1:1"
    ws.oddFooter.center.text = "Trang &P/&N"
    ws.oddFooter.center.font = f"{FONT_NAME},Italic"
    ws.oddFooter.center.size = 11


def read_city_data(path: str | Path) -> list[dict]:
    """The `Dữ liệu` sheet of a city report as dicts keyed by `CITY_DATA_COLUMNS` keys."""
    from xl_support.book.workbook import read_grids
    grid = read_grids(path, [DATA_SHEET])[DATA_SHEET]
    headers = [str(h) for h in grid[0]]
    index = {header: i for i, header in enumerate(headers)}
    out = []
    for row in grid[1:]:
        if not any(v is not None for v in row):
            continue
        d = {}
        for key, header in CITY_DATA_COLUMNS:
            v = row[index[header]]
            d[key] = (v if v is not None else "") if key in TEXT_KEYS else int(v or 0)
        out.append(d)
    return out


REPORT_COLUMNS = [
    ColumnSpec("STT", 5, "center"),
    ColumnSpec("Nhóm đối tượng", 31, "text"),
    # 13.5 wide: tables II and III below reuse columns C–E for money
    ColumnSpec("Thành thị", 13.5, "int", group="Số người được hỗ trợ trong tháng", summed=True),
    ColumnSpec("Nông thôn", 13.5, "int", group="Số người được hỗ trợ trong tháng", summed=True),
    ColumnSpec("Cộng", 13.5, "int", group="Số người được hỗ trợ trong tháng", summed=True),
    ColumnSpec("Kinh phí trong tháng (đồng)", 14, "money"),
    ColumnSpec("Số người được hỗ trợ BHYT", 10, "int", summed=True),
    ColumnSpec("Kinh phí BHYT trong tháng (đồng)", 13, "money"),
    ColumnSpec("Mới phê duyệt", 9, "int", summed=True),
    ColumnSpec("Thôi hưởng", 9, "int", summed=True),
    ColumnSpec("Kinh phí lũy kế năm (đồng)", 15, "money"),
    ColumnSpec("Kinh phí cần đến hết năm (đồng)", 15, "money"),
]


def _sum(rows: list[dict], key: str, **where) -> int:
    return sum(r[key] for r in rows if all(r[k] == v for k, v in where.items()))


def write_city_report(wb: DocBook, sched: BookSchedule, month: dt.date, unit: UnitNames, on: dt.date,
                      settings: Settings) -> dict:
    fig = city_figures(sched, month, settings, unit)
    rows = fig.rows
    ws = wb.create_sheet(REPORT_SHEET)
    n = len(REPORT_COLUMNS)
    quarter = (month.month - 1) // 3 + 1
    row = begin_document(ws, [c.width for c in REPORT_COLUMNS], unit,
                         "Báo cáo tình hình thực hiện chính sách hỗ trợ theo Nghị quyết số 55/2025/NQ-HĐND "
                         "và Nghị quyết số 04/2026/NQ-HĐND",
                         [f"{month_text(month)} (lũy kế quý {quarter} và từ đầu năm {month.year})"],
                         doc_number="      /BC-UBND", on=on)
    row = note(ws, row, "Kính gửi: Ủy ban nhân dân thành phố Hải Phòng; Sở Y tế; Sở Tài chính; "
                        "Sở Nông nghiệp và Môi trường.", n, horizontal="center") + 1

    # I. by group and area: one table per resolution, each short enough to print whole on a page
    # with its own header (a page of table II/III never carries table I's repeated header)
    row = note(ws, row, "I. Đối tượng và kinh phí hỗ trợ trong tháng", n, bold=True)
    sections, stt = [], 0
    for roman, reg in zip(("1", "2"), REGISTER_ORDER):
        items = []
        for g in settings.groups.for_register(reg):
            stt += 1
            c = g.code
            items.append([stt, g.display, _sum(rows, "so_nguoi", ma_doi_tuong=c, khu_vuc="Thành thị"),
                          _sum(rows, "so_nguoi", ma_doi_tuong=c, khu_vuc="Nông thôn"),
                          _sum(rows, "so_nguoi", ma_doi_tuong=c), _sum(rows, "kinh_phi_thang", ma_doi_tuong=c),
                          _sum(rows, "so_bhyt", ma_doi_tuong=c), _sum(rows, "kinh_phi_bhyt_thang", ma_doi_tuong=c),
                          _sum(rows, "moi_phe_duyet", ma_doi_tuong=c), _sum(rows, "thoi_huong", ma_doi_tuong=c),
                          _sum(rows, "luy_ke_nam_ho_tro", ma_doi_tuong=c) + _sum(rows, "luy_ke_nam_bhyt", ma_doi_tuong=c),
                          _sum(rows, "can_den_het_nam_ho_tro", ma_doi_tuong=c)
                          + _sum(rows, "can_den_het_nam_bhyt", ma_doi_tuong=c)])
            if not has_amount(g):
                for i in (5, 7, 10, 11):
                    items[-1][i] = NO_AMOUNT
        sections.append(Section(f"{roman}. Đối tượng theo {RESOLUTION_SHORT[reg]}", items, f"Cộng {roman}"))
    grand = {i: sum(r[i] for sec in sections for r in sec.rows if isinstance(r[i], int)) for i in range(2, n)}
    for k, section in enumerate(sections):
        last = k == len(sections) - 1
        row = write_table(ws, row, REPORT_COLUMNS, [section], total_label="Tổng cộng" if last else None,
                          totals=grand if last else None, set_widths=k == 0)
        if not last:
            row -= 1  # the next table follows without a blank row
    if any(r["khu_vuc"] == "Chưa xác định" and r["so_nguoi"] for r in rows):
        row = note(ws, row - 1, "Cột «Cộng» gồm cả người chưa xác định khu vực.", n, italic=True, size=11) + 1
    unconfirmed = _sum(rows, "so_bhyt_chua_xac_nhan")
    if unconfirmed:         # domain.md §3: their own line, no cost
        row = note(ws, row - 1, f"Ngoài ra {unconfirmed} người có hỗ trợ BHYT «Chưa xác nhận» (nhóm NQ 04 chưa nhập "
                                "«BHYT HN-…» tại sheet Tham số): không tính vào số người và kinh phí BHYT.",
                   n, italic=True, size=11) + 1

    # II. stops by reason
    row = note(ws, row, "II. Đối tượng thôi hưởng từ tháng này, theo lý do", n, bold=True)
    stop_cols = [ColumnSpec("STT", 5, "center"), ColumnSpec("Lý do thôi hưởng", 34, "text"),
                 ColumnSpec("NQ 55", 9, "int", summed=True), ColumnSpec("NQ 04", 9, "int", summed=True),
                 ColumnSpec("Cộng", 9, "int", summed=True)]
    items = []
    for s, (code, text) in enumerate(REASONS, start=1):
        key = REASON_KEYS[code]
        a = _sum(rows, key, nghi_quyet=RESOLUTION_SHORT["NQ55"])
        b = _sum(rows, key, nghi_quyet=RESOLUTION_SHORT["NQ04"])
        items.append([s, text, a, b, a + b])
    row = write_table(ws, row, stop_cols, items, set_widths=False)

    # III. budget: month, quarter, year, rest of the year
    row = note(ws, row, "III. Kinh phí (đồng)", n, bold=True)
    money_cols = [ColumnSpec("STT", 5, "center"), ColumnSpec("Nội dung", 34, "text"),
                  ColumnSpec("Hỗ trợ hằng tháng", 9, "money"), ColumnSpec("Hỗ trợ BHYT", 9, "money"),
                  ColumnSpec("Cộng", 9, "money")]
    lines = [("Trong tháng", "kinh_phi_thang", "kinh_phi_bhyt_thang"),
             (f"Lũy kế quý {quarter}/{month.year}", "luy_ke_quy_ho_tro", "luy_ke_quy_bhyt"),
             (f"Lũy kế từ đầu năm {month.year} (đã sử dụng)", "luy_ke_nam_ho_tro", "luy_ke_nam_bhyt"),
             (f"Cần đến hết năm {month.year}", "can_den_het_nam_ho_tro", "can_den_het_nam_bhyt")]
    items = []
    for s, (text, kb, ki) in enumerate(lines, start=1):
        a, b = _sum(rows, kb), _sum(rows, ki)
        items.append([s, text, a, b, a + b])
    year_b = _sum(rows, "luy_ke_nam_ho_tro") + _sum(rows, "can_den_het_nam_ho_tro")
    year_i = _sum(rows, "luy_ke_nam_bhyt") + _sum(rows, "can_den_het_nam_bhyt")
    items.append([5, f"Cả năm {month.year}", year_b, year_i, year_b + year_i])
    row = write_table(ws, row, money_cols, items, total_label=None, set_widths=False)
    row = note(ws, row - 1, "Bảng số liệu theo nhóm và khu vực ở sheet «Dữ liệu» (để thành phố tổng hợp).",
               n, italic=True, size=11) + 1
    end_document(ws, row, unit, on, [("Người lập biểu", ""), ("TM. Ủy ban nhân dân\nChủ tịch", "", "(Ký, đóng dấu)")],
                 n, table_header_rows=None, landscape=True, recipients=CITY_RECIPIENTS)
    _write_data_sheet(wb, fig)
    return {"rows": _sum(rows, "so_nguoi"), "total": _sum(rows, "kinh_phi_thang"),
            "insurance": _sum(rows, "kinh_phi_bhyt_thang"), "data": rows}
