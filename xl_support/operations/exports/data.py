"""What the exports add to `xl_support.schedule`: stop reasons and their texts."""
from __future__ import annotations

import datetime as dt

import numpy as np

from xl_support.engine.rules import EndReason, as_month
from xl_support.engine.schedule import BookSchedule

#: Why a person stopped being paid (domain.md R8 end events), in Vietnamese.
END_REASON_TEXT = {
    EndReason.MAX_AGE: "Hết độ tuổi được hưởng (trẻ em đủ 16 tuổi)",
    EndReason.RECOGNITION_MONTHS: "Hết 36 tháng kể từ ngày công nhận thoát nghèo, thoát cận nghèo",
    EndReason.MOTHER_ADULT: "Mẹ đủ 18 tuổi",
    EndReason.STOP_DATE: "Thôi hưởng theo ngày thôi hưởng (chết, không còn đủ điều kiện)",
    EndReason.WINDOW: "Hết thời gian thực hiện chính sách (31/12/2030)",
    EndReason.STOP_PAY: "Thôi chi trả theo quyết định (chuyển nơi cư trú)",
}
#: A stop that is no end event: R11 moved the payment to another row of the same person.
OTHER_REASON = -1
OTHER_REASON_TEXT = "Chuyển sang hưởng mức cao hơn ở dòng khác (hưởng một mức cao nhất)"


def stop_reasons(sched: BookSchedule, month: dt.date) -> np.ndarray:
    """Per person: the reason code (EndReason or OTHER_REASON) when paid in the month before
    `month` and not in `month`; -2 otherwise. The previous month must be in the schedule."""
    k = sched.at(month)
    out = np.full(len(sched.people), -2, dtype=np.int64)
    if k == 0:
        return out
    stopped = (sched.benefit[k - 1] > 0) & (sched.benefit[k] == 0)
    prev = as_month(sched.months[k - 1])
    ended = sched.people["end"].astype("M8[M]") == prev
    reasons = sched.people["end_reason"]
    out[stopped] = np.where(ended[stopped], reasons[stopped], OTHER_REASON)
    return out


