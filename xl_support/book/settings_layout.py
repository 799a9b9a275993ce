"""What a `Tham số` sheet shows (design.md "Parameter sheet"): the unit rows, every dated
parameter period and the NQ 04 groups the ward confirms. One list, used by the template build
(`build/template.py`) and by *Chuẩn bị sổ* (`operations/prepare.py`), which lay it out alike."""
from __future__ import annotations

import datetime as dt

from xl_support.book.workbook import LABEL_MONTH, LABEL_SPECIAL_ZONE_AREA, LABEL_UNIT, LABEL_UNIT_CODE, LABEL_UNIT_TYPE
from xl_support.engine.parameters import DEFAULT as DEFAULT_PARAMETERS
from xl_support.engine.policy import DEFAULT as DEFAULT_GROUPS

PARAMETER_ORDER = ("poverty_line", "national_standard", "city_standard", "base_salary", "hi_rate_permille")
UNIT_TYPES = ("Phường", "Xã", "Đặc khu")

# (label, default value, note): rows 5-8 of the sheet, values in column B.
UNIT_ROWS = (
    (LABEL_UNIT, None, "Chọn tên đơn vị trong danh sách 114 xã, phường, đặc khu của thành phố."),
    (LABEL_UNIT_TYPE, None, "Phường → thành thị, Xã → nông thôn (khi cột «Khu vực» của một dòng để trống)."),
    (LABEL_MONTH, None, "Tháng tính hỗ trợ, nhập dạng mm/yyyy (ví dụ 11/2026). Để trống = tháng hiện tại."),
    (LABEL_SPECIAL_ZONE_AREA, "Nông thôn",
     "Chỉ dùng cho đặc khu (Cát Hải, Bạch Long Vĩ): khu vực áp dụng chuẩn nghèo."),
    (LABEL_UNIT_CODE, None,
     "Mã đơn vị tham gia BHYT do cơ quan BHXH cấp (ghi ở đầu danh sách D03-TS). Không bắt buộc."),
)
UNIT_FIRST_ROW = 5
PERIODS_HEADER_ROW = 10
PERIODS_HEADER = ("Tham số theo thời kỳ (tên và ngày bắt đầu hiệu lực)", "Giá trị", "Đến ngày", "Căn cứ pháp lý")
GROUPS_HEADER = ("Nhóm NQ 04/2026 chưa xác nhận (đơn vị nhập theo Nghị quyết)", "Giá trị", "", "Nhóm")
WINDOW_LABEL = "Thời gian thực hiện hai nghị quyết (không sửa)"


def period_rows():
    """Dated parameters shown on `Tham số`: every period of every parameter (domain.md §1 order)."""
    periods = [p for p in DEFAULT_PARAMETERS.periods if p.key in PARAMETER_ORDER]
    return sorted(periods, key=lambda p: (PARAMETER_ORDER.index(p.key), p.start, p.area or ""))


def policy_window():
    """The period both resolutions run (domain.md §1), shown read-only."""
    return DEFAULT_PARAMETERS.period("policy_window", dt.date(2026, 1, 1))


def unconfirmed_group_rows() -> list[tuple[str, str, str]]:
    """(label, group label, kind) of each NQ 04 value the ward enters (domain.md §3):
    kind `amount` (đồng/tháng) or `insurance` (Có/Không)."""
    rows = []
    for g in DEFAULT_GROUPS.for_register("NQ04"):
        if g.amount_rule == "unconfirmed":
            rows.append((f"Mức hỗ trợ {g.code} (đồng/tháng)", g.label, "amount"))
        if g.insurance == "unconfirmed":
            rows.append((f"BHYT {g.code}", g.label, "insurance"))
    return rows
