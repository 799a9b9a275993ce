"""The `Căn cứ` column: why each row gets what it gets, in Vietnamese (design.md computed columns).

Group, clause, amount rule, the parameters used with their legal basis and effective dates, and
why the end date. Built for whole registers: shared parts are formatted once per group.
"""
from __future__ import annotations

import numpy as np

from .messages import STATUS_MESSAGES
from .parameters import Parameters, Period
from .policy import Groups
from .rules import EndReason, Eligibility, GroupArrays, MonthResult, People, RULE_CODES, Status, group_arrays

AREA_WORDS = {"rural": "nông thôn", "urban": "thành thị"}


def money(amount: int) -> str:
    """Whole VND with `.` thousands separators, as Vietnamese documents write it."""
    return f"{int(amount):,}".replace(",", ".")


def period_text(p: Period) -> str:
    until = f" đến {p.end:%d/%m/%Y}" if p.end else ""
    return f"{p.legal_ref}, áp dụng từ {p.start:%d/%m/%Y}{until}"


def dmy(days: np.ndarray) -> list[str]:
    """datetime64[D] → `dd/mm/yyyy` strings ('' for NaT)."""
    iso = np.datetime_as_string(days.astype("M8[D]"), unit="D")
    return ["" if s == "NaT" else f"{s[8:10]}/{s[5:7]}/{s[:4]}" for s in iso]


def my(months: np.ndarray) -> list[str]:
    iso = np.datetime_as_string(months.astype("M8[M]"), unit="M")
    return ["" if s == "NaT" else f"{s[5:7]}/{s[:4]}" for s in iso]


def _multiple(num: int, den: int) -> str:
    return str(num) if den == 1 else f"{num / den:g}".replace(".", ",")


def _amount_rule(g: GroupArrays, gpos: int, area: int, res: MonthResult) -> str:
    """Amount rule text for a group (and area), with the parameter periods used this month."""
    rule = g.rule[gpos]
    area_code = "urban" if area == 1 else "rural"
    pl = res.poverty_line.get(area_code)
    pl_text = (f"chuẩn nghèo {AREA_WORDS[area_code]} {money(pl.value)} đồng ({period_text(pl)})" if pl
               else f"chuẩn nghèo {AREA_WORDS[area_code]}")
    if rule == RULE_CODES["topup"]:
        return f"bù chênh lệch: {pl_text} trừ trợ cấp xã hội đang hưởng"
    if rule == RULE_CODES["poverty_line"]:
        return f"bằng {pl_text}"
    if rule == RULE_CODES["standard_multiple"]:
        std = res.standard.get(g.standard[gpos])
        std_text = f" {money(std.value)} đồng ({period_text(std)})" if std else ""
        return f"{_multiple(g.num[gpos], g.den[gpos])} lần mức chuẩn trợ giúp xã hội{std_text}"
    if rule == RULE_CODES["fixed"]:
        return f"mức do đơn vị nhập theo Nghị quyết tại sheet Tham số: {money(g.fixed[gpos])} đồng"
    return "chưa xác nhận mức"


def _end_text(reason: int, event: str, max_age: int, mother_age: int, months: int) -> str:
    if reason == EndReason.MAX_AGE:
        return f"tháng đủ {max_age} tuổi ({event})"
    if reason == EndReason.RECOGNITION_MONTHS:
        return f"hết {months} tháng kể từ ngày công nhận thoát nghèo/cận nghèo (hết hạn ngày {event})"
    if reason == EndReason.MOTHER_ADULT:
        return f"tháng mẹ đủ {mother_age} tuổi ({event})"
    if reason == EndReason.STOP_DATE:
        return f"tháng có ngày thôi hưởng {event}"
    return "hết thời gian thực hiện nghị quyết"


def basis_texts(people: People, elig: Eligibility, res: MonthResult, groups: Groups,
                params: Parameters, row_messages: list[str | None] | None = None) -> list[str]:
    """One `Căn cứ` text per row for the month of `res`."""
    g = group_arrays(groups)
    table = groups.groups
    month = f"{res.month:%m/%Y}"
    starts, ends = my(elig.start), dmy(_month_end(elig.end))
    events = dmy(elig.end_event)
    decisions = dmy(people.decision)
    heads: dict[int, str] = {}
    rules: dict[tuple[int, int], str] = {}
    out: list[str] = []
    for i in range(len(people)):
        gpos = int(people.group[i])
        status = int(elig.status[i])
        if gpos not in heads:
            heads[gpos] = (f"{table[gpos].resolution} – nhóm {table[gpos].code}: {table[gpos].label} "
                           f"({table[gpos].clause})." if gpos < len(table) else "")
        head = heads[gpos]
        if status not in (Status.OK, Status.PENDING, Status.NEVER_PAYABLE):
            message = (row_messages[i] if row_messages and row_messages[i] else
                       STATUS_MESSAGES[Status(status)].format(code=table[gpos].code if gpos < len(table) else ""))
            out.append(f"{head} {message}".strip())
            continue
        end = (f"Hưởng đến {ends[i]}: " + _end_text(int(elig.end_reason[i]), events[i], int(g.max_age[gpos]),
                                                  int(g.mother_max_age[gpos]), int(g.recognition_months[gpos])) + ".")
        if status == Status.PENDING:
            out.append(f"{head} Chưa có ngày ký quyết định hỗ trợ: chưa chi trả. {end}")
            continue
        if status == Status.NEVER_PAYABLE:
            out.append(f"{head} Không được hưởng: quyết định ký ngày {decisions[i]}, sau tháng cuối cùng "
                       f"được hưởng. {end}")
            continue
        key = (gpos, int(people.area[i]))
        if key not in rules:
            rules[key] = _amount_rule(g, gpos, int(people.area[i]), res)
        start = f"Hưởng từ tháng {starts[i]} (quyết định ký ngày {decisions[i]}). {end}"
        if res.payable[i]:
            amount = f" Tháng {month}: {money(res.benefit[i])} đồng"
            if g.rule[gpos] == RULE_CODES["topup"]:
                amount += f" (trợ cấp đang hưởng {money(people.allowance[i])} đồng)"
            ins = " BHYT: ngân sách hỗ trợ 100% mức đóng." if res.insurance[i] else ""
            out.append(f"{head} Mức: {rules[key]}.{amount}. {start}{ins}")
        else:
            when = "chưa đến tháng bắt đầu hưởng" if elig.start[i] > np.datetime64(res.month, "M") else "đã hết thời gian hưởng"
            out.append(f"{head} Tháng {month}: không chi trả ({when}). {start}")
    return out


def _month_end(months: np.ndarray) -> np.ndarray:
    return np.where(np.isnat(months), np.datetime64("NaT", "D"),
                    (months + 1).astype("M8[D]") - np.timedelta64(1, "D"))
