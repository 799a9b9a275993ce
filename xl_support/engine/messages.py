"""Short Vietnamese messages shown in computed cells when a row cannot be computed."""
from __future__ import annotations

from xl_support.engine.rules import Status

STATUS_MESSAGES: dict[Status, str] = {
    Status.BAD_CELL: "Lỗi: có ô không đọc được (xem sheet Kiểm tra)",
    Status.UNKNOWN_GROUP: "Lỗi: mã đối tượng không hợp lệ",
    Status.NO_BIRTH: "Lỗi: thiếu ngày sinh",
    Status.NO_AREA: "Lỗi: thiếu khu vực (Thành thị/Nông thôn)",
    Status.NO_ALLOWANCE: "Lỗi: thiếu trợ cấp xã hội đang hưởng",
    Status.NO_RECOGNITION: "Lỗi: thiếu ngày công nhận thoát nghèo/cận nghèo",
    Status.NO_MOTHER_BIRTH: "Lỗi: thiếu ngày sinh của mẹ",
    Status.UNCONFIRMED: "Chưa có mức: nhập mức hỗ trợ nhóm {code} theo Nghị quyết tại sheet Tham số",
    Status.PENDING: "Chưa có quyết định hỗ trợ",
    Status.NEVER_PAYABLE: "Không được hưởng: quyết định ký sau tháng cuối cùng được hưởng",
    Status.ALLOWANCE_FORBIDDEN: "Lỗi: nhóm {code} không áp dụng cho người đang hưởng trợ cấp xã hội",
    Status.BIRTH_AFTER_DECISION: "Lỗi: ngày sinh sau ngày ký quyết định",
    Status.DECISION_AFTER_END: "Lỗi: quyết định ký khi đã hết điều kiện hưởng (xem Căn cứ)",
    Status.MOTHER_AFTER_CHILD: "Lỗi: ngày sinh của mẹ không trước ngày sinh của trẻ",
    Status.NO_HOUSEHOLD: "Lỗi: thiếu loại hộ (Nghèo/Cận nghèo/Thoát nghèo/Thoát cận nghèo)",
    Status.RECOGNITION_NOT_2025: "Không thuộc nhóm: hộ không được công nhận thoát nghèo, thoát cận nghèo năm 2025",
}


#: Shown instead of 0 for a group whose amount the ward has not entered yet (domain.md §3):
#: "no amount yet" is not "nobody" (summaries, city report, budget).
NO_AMOUNT = "Chưa có mức"

#: Statuses whose computed cells say "Lỗi: …" (data errors); pending, not payable and
#: unconfirmed NQ 04 amounts are not errors.
ERROR_STATUSES = frozenset(s for s, text in STATUS_MESSAGES.items() if text.startswith("Lỗi"))


#: What the value columns (amount, top-up, insurance, end date) show for a row that cannot be
#: computed, in the worksheet functions and in `compute` alike (issue 13): a short marker that fits
#: a narrow money column; the full reason is in «Căn cứ».
ERROR_MARK = "Lỗi"
NOT_COMPUTED_MARK = "—"


def cell_marker(status: int) -> str:
    """`Lỗi` for a data error, `—` for a row not computable yet (amount not entered, not in the group)."""
    return ERROR_MARK if Status(status) in ERROR_STATUSES else NOT_COMPUTED_MARK


#: `Hỗ trợ BHYT` cell values (design.md computed columns).
INSURANCE_YES, INSURANCE_NO, INSURANCE_UNCONFIRMED = "Có", "Không", "Chưa xác nhận"


def insurance_cells(insurance, unconfirmed) -> list[str]:
    """`Có` / `Không` / `Chưa xác nhận` per row (domain.md R10, §3: an unconfirmed insurance is
    never `Không`)."""
    return [INSURANCE_YES if y else INSURANCE_UNCONFIRMED if u else INSURANCE_NO
            for y, u in zip(insurance.tolist(), unconfirmed.tolist())]


def cell_message(status: int, code: str | None) -> str:
    return STATUS_MESSAGES[Status(status)].format(code=code or "")
