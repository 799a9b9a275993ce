"""The `Căn cứ` column: why each row gets what it gets, in Vietnamese (design.md computed columns).

Group, clause, amount rule, the parameters used with their legal basis and effective dates, and
why the end date. Built for whole registers: shared parts are formatted once per group.
"""
from __future__ import annotations

import numpy as np

from xl_support.engine.messages import STATUS_MESSAGES
from xl_support.engine.parameters import Parameters, Period
from xl_support.engine.policy import Groups
from xl_support.engine.rules import (EndReason, Eligibility, GroupArrays, MonthResult, People, RULE_CODES, Status, group_arrays,
                    month_end)

AREA_WORDS = {"rural": "nông thôn", "urban": "thành thị"}


def money(amount: int) -> str:
    """Whole VND with `.` thousands separators, as Vietnamese documents write it."""
    return f"{int(amount):,}".replace(",", ".")


def period_text(p: Period) -> str:
    until = f" đến {p.end:%d/%m/%Y}" if p.end else ""
    return f"{p.legal_ref}, áp dụng từ {p.start:%d/%m/%Y}{until}"


def _format_unique(values: np.ndarray, unit: str, fmt) -> list[str]:
    """Format each distinct date once (registers repeat dates), '' for NaT."""
    uniq, inverse = np.unique(values.astype(f"M8[{unit}]").view(np.int64), return_inverse=True)
    iso = np.datetime_as_string(uniq.view(f"M8[{unit}]"), unit=unit)
    texts = np.array(["" if s == "NaT" else fmt(s) for s in iso], dtype=object)
    return texts[inverse].tolist()


def dmy(days: np.ndarray) -> list[str]:
    """datetime64[D] → `dd/mm/yyyy` strings ('' for NaT)."""
    return _format_unique(days, "D", lambda s: f"{s[8:10]}/{s[5:7]}/{s[:4]}")


def my(months: np.ndarray) -> list[str]:
    return _format_unique(months, "M", lambda s: f"{s[5:7]}/{s[:4]}")


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
    if reason == EndReason.STOP_PAY:
        return f"tháng trước tháng thôi chi trả ghi ở cột «Thôi chi trả từ tháng» ({event})"
    return "hết thời gian thực hiện nghị quyết"


def lapse_text(reason: int, lapse: str, max_age: int, mother_age: int, months: int) -> str:
    """R2a — the day eligibility ended, in words (`lapse` = the first day not eligible)."""
    if reason == EndReason.MAX_AGE:
        return f"ngày đủ {max_age} tuổi {lapse}"
    if reason == EndReason.RECOGNITION_MONTHS:
        return f"ngày {lapse}, khi đã hết {months} tháng kể từ ngày công nhận thoát nghèo/cận nghèo"
    if reason == EndReason.MOTHER_ADULT:
        return f"ngày mẹ đủ {mother_age} tuổi {lapse}"
    if reason == EndReason.WINDOW:
        return f"ngày {lapse}, khi đã hết thời gian thực hiện nghị quyết"
    return f"ngày {lapse}, sau ngày thôi hưởng"


def decision_after_end_texts(people: People, elig: Eligibility, g: GroupArrays, rows) -> dict[int, str]:
    """R2a — for each row in `rows`: why its decision pays nothing, with the two dates."""
    rows = np.asarray(rows, dtype=np.intp)
    decisions, lapses = dmy(people.decision[rows]), dmy(elig.lapse[rows])
    texts: dict[tuple[int, int], tuple[str, str]] = {}
    out = {}
    for k, (i, gpos, reason) in enumerate(zip(rows.tolist(), people.group[rows].tolist(),
                                              elig.lapse_reason[rows].tolist())):
        parts = texts.get((gpos, reason))
        if parts is None:
            text = lapse_text(reason, "\0", int(g.max_age[gpos]), int(g.mother_max_age[gpos]),
                              int(g.recognition_months[gpos]))
            parts = texts[(gpos, reason)] = tuple(text.split("\0"))
        out[i] = (f"Không được hưởng: quyết định ký ngày {decisions[k]}, khi đã hết điều kiện hưởng từ "
                  f"{parts[0]}{lapses[k]}{parts[1]} (phải còn đủ điều kiện vào ngày ký quyết định – KH mục "
                  f"IV.2a, IV.3).")
    return out


def _named_months(people: People) -> list[str]:
    """R2, R12 — per row, the words for a first month named by the decision ('' when none)."""
    has = ~np.isnat(people.pay_from)
    if not has.any():
        return [""] * len(people)
    arrears = has & (people.pay_from < people.decision.astype("M8[M]"))
    texts = my(people.pay_from)
    return [("" if not t else f", chi trả từ tháng {t} theo quyết định"
             + ("; các tháng trước tháng ký được truy lĩnh trong lần chi trả đầu tiên" if a else ""))
            for t, a in zip(texts, arrears.tolist())]


def basis_texts(people: People, elig: Eligibility, res: MonthResult, groups: Groups,
                params: Parameters, row_messages: list[str | None] | None = None) -> list[str]:
    """One `Căn cứ` text per row for the month of `res` (shared parts formatted once)."""
    g = group_arrays(groups)
    table = groups.groups
    month = f"{res.month:%m/%Y}"
    month_m = np.datetime64(res.month, "M")
    starts, ends, events, decisions = my(elig.start), dmy(month_end(elig.end)), dmy(elig.end_event), dmy(people.decision)
    group, area, status, reason = (a.tolist() for a in (people.group, people.area, elig.status, elig.end_reason))
    payable, benefit, allowance, insurance, unconfirmed = (
        a.tolist() for a in (res.payable, res.benefit, people.allowance, res.insurance, res.insurance_unconfirmed))
    not_started = (elig.start > month_m).tolist()
    heads: dict[int, str] = {}
    rules: dict[tuple[int, int], str] = {}
    ends_text: dict[tuple[int, int], tuple[str, ...]] = {}
    amounts: dict[int, str] = {}
    is_topup = (g.rule == RULE_CODES["topup"]).tolist()
    ok, pending, never = int(Status.OK), int(Status.PENDING), int(Status.NEVER_PAYABLE)
    r2a = int(Status.DECISION_AFTER_END)
    after_end = decision_after_end_texts(people, elig, g, np.flatnonzero(elig.status == r2a))
    named = _named_months(people)
    stop_pay = elig.end_reason == EndReason.STOP_PAY
    if stop_pay.any():      # R12: the event of a stop-payment month is that month
        events = np.where(stop_pay, np.array(my(people.stop_pay_from), dtype=object),
                          np.array(events, dtype=object)).tolist()
    out: list[str] = []
    for i in range(len(group)):
        gpos, st = group[i], status[i]
        head = heads.get(gpos)
        if head is None:
            head = heads[gpos] = (f"{table[gpos].resolution} – nhóm {table[gpos].code}: {table[gpos].label} "
                                  f"({table[gpos].clause})." if gpos < len(table) else "")
        if st == r2a:
            out.append(f"{head} {after_end[i]}".strip())
            continue
        if st != ok and st != pending and st != never:
            message = (row_messages[i] if row_messages and row_messages[i] else
                       STATUS_MESSAGES[Status(st)].format(code=table[gpos].code if gpos < len(table) else ""))
            out.append(f"{head} {message}".strip())
            continue
        key = (gpos, reason[i])
        parts = ends_text.get(key)
        if parts is None:
            marker = "\0"
            text = _end_text(reason[i], marker, int(g.max_age[gpos]), int(g.mother_max_age[gpos]),
                             int(g.recognition_months[gpos]))
            parts = ends_text[key] = tuple(text.split(marker))
        event = f"{events[i]}{parts[1]}" if len(parts) == 2 else ""
        end = f"Hưởng đến {ends[i]}: {parts[0]}{event}."
        if st == pending:
            out.append(f"{head} Chưa có ngày ký quyết định hỗ trợ: chưa chi trả. {end}")
            continue
        if st == never:
            out.append(f"{head} Không được hưởng: quyết định ký ngày {decisions[i]}, sau tháng cuối cùng "
                       f"được hưởng. {end}")
            continue
        start = f"Hưởng từ tháng {starts[i]} (quyết định ký ngày {decisions[i]}{named[i]}). {end}"
        if payable[i]:
            rkey = (gpos, area[i])
            rule = rules.get(rkey)
            if rule is None:
                rule = rules[rkey] = _amount_rule(g, gpos, area[i], res)
            amount = amounts.get(benefit[i]) or amounts.setdefault(benefit[i], money(benefit[i]))
            extra = (f" (trợ cấp đang hưởng {money(allowance[i])} đồng)" if is_topup[gpos] else "")
            ins = (" BHYT: ngân sách hỗ trợ 100% mức đóng." if insurance[i] else
                   f" BHYT: chưa xác nhận – Nghị quyết chưa được nhập; đơn vị nhập «BHYT {table[gpos].code}» "
                   f"(Có/Không) tại sheet Tham số." if unconfirmed[i] else "")
            out.append(f"{head} Mức: {rule}. Tháng {month}: {amount} đồng{extra}. {start}{ins}")
        else:
            when = "chưa đến tháng bắt đầu hưởng" if not_started[i] else "đã hết thời gian hưởng"
            out.append(f"{head} Tháng {month}: không chi trả ({when}). {start}")
    return out
