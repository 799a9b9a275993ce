"""The payroll to print (`payment-list`) and the list to post publicly (`public-list`).

Both list the people paid in the month (benefit > 0 after R11), one sheet per resolution,
grouped by residential group (`Tổ dân phố`, natural order), people in Vietnamese order (given
name, then full name) — never in register order, which often follows the groups.
"""
from __future__ import annotations

import datetime as dt
from functools import lru_cache

from xl_support.engine.policy import Group, Groups
from xl_support.documents.xlsx import DocBook
from xl_support.documents.layout import ColumnSpec, Section, write_table
from xl_support.documents.vnwords import amount_in_words
from xl_support.operations.exports.common import (REGISTER_ORDER, RESOLUTION_TITLES, UnitNames, begin_document, end_document,
                     month_text, note, person_key, sheet_title)
from xl_support.book.text import natural_key
from xl_support.engine.schedule import BookSchedule
from xl_support.operations.exports import privacy

NO_GROUP = "Chưa ghi tổ dân phố"
SIGNATURE_ROW_PT = 30

# ---------------------------------------------------------------- privacy (public list)

#: Neutral wording per register for a group whose own public label would reveal it: each must be
#: the public label of a non-sensitive group too (KNND, household members), so it reveals nothing.
NEUTRAL_LABEL = {"NQ55": "Trẻ em có hoàn cảnh đặc biệt", "NQ04": "Thành viên hộ nghèo, cận nghèo"}

#: Words that must never be posted (domain.md §4 "Sensitive data"), matched with diacritics;
#: the folded (no-diacritics) forms are matched only in text typed without any diacritics.
SENSITIVE_WORDS = ("hiv", "aids", "xâm hại", "tình dục", "khuyết tật", "chất độc", "da cam", "dioxin",
                   "nhiễm", "tàn tật", "mồ côi", "bạo lực", "hiếp")


@lru_cache(maxsize=16)
def sensitive_terms(groups: Groups) -> tuple[str, ...]:
    """Every word or label that would reveal a sensitive group (lower case)."""
    terms = list(SENSITIVE_WORDS)
    for g in groups.groups:
        if g.sensitive:
            terms += [g.label.lower(), g.code.lower()]
    return tuple(terms)


mentions_sensitive = privacy.mentions_sensitive     # issue 12: any form of the word (privacy.py)


@lru_cache(maxsize=1024)
def public_label(group: Group | None, register: str, groups: Groups) -> str:
    """The group's wording on a public list: its public label when that label is shared with
    a non-sensitive group of the same register (so it reveals nothing), else the neutral one."""
    neutral = NEUTRAL_LABEL[register]
    if group is None:
        return neutral
    terms = sensitive_terms(groups)
    if mentions_sensitive(group.public_label, terms):
        return neutral
    if not group.sensitive:
        return group.public_label
    shared = {g.public_label for g in groups.groups if not g.sensitive and g.register == group.register}
    return group.public_label if group.public_label in shared else neutral


def mask_id(id_key: str | None) -> str:
    """'********1234': the personal ID with all but its last 4 digits hidden."""
    if not id_key:
        return ""
    return "*" * max(0, len(id_key) - 4) + id_key[-4:] if len(id_key) > 4 else "*" * len(id_key)


def month_year(day: dt.date | None) -> str:
    """Birth as month/year only ('03/2015')."""
    return f"{day.month:02d}/{day.year}" if day else ""


def public_text(text: str, terms: list[str], where: str) -> str:
    """User text for a public cell: long digit runs (an ID typed in the wrong column) are hidden;
    a sensitive word refuses the export, naming the cell to fix."""
    found = mentions_sensitive(text, terms)
    if found:
        raise privacy.SensitiveText(
            f"Không thể lập danh sách công khai: ô {where} có nội dung nhạy cảm («{found}»). "
            "Danh sách công khai không được nêu nhóm HIV, bị xâm hại, khuyết tật… Hãy sửa ô này "
            "(ghi chú để ở cột «Ghi chú») rồi xuất lại.")
    return privacy.scrub(text)


# ---------------------------------------------------------------- shared

def _paid_by_register(sched: BookSchedule, month: dt.date, extra: dict | None = None) -> dict[str, list[int]]:
    """Positions of the people paid in `month` (or paid arrears, `extra`), per register, in list order."""
    k = sched.at(month)
    p = sched.people
    extra = extra or {}
    out: dict[str, list[int]] = {}
    registers = p["register"].tolist()
    paid = (sched.benefit[k] > 0).tolist()
    rgroups, names, sheets, rows = (p[c].tolist() for c in ("residential_group", "name", "sheet", "row"))
    group_key = {g: natural_key(g or NO_GROUP) for g in set(rgroups)}
    for reg in REGISTER_ORDER:
        idx = [i for i in range(len(p)) if registers[i] == reg and (paid[i] or i in extra)]
        idx.sort(key=lambda i: (group_key[rgroups[i]], person_key(names[i]), sheets[i], rows[i]))
        if idx:
            out[reg] = idx
    return out


def _sections(sched: BookSchedule, idx: list[int], make_row, subtotal: bool) -> list[Section]:
    sections: list[Section] = []
    rgroups = sched.people["residential_group"].tolist()
    for i in idx:
        title = rgroups[i] or NO_GROUP
        if not sections or sections[-1].title != title:
            sections.append(Section(title, [], None))
        sections[-1].rows.append(make_row(i))
    stt = 0
    for s in sections:
        for r in s.rows:
            stt += 1
            r[0] = stt
        if subtotal:
            s.subtotal_label = f"Cộng {s.title} ({len(s.rows)} người)"
    return sections


def _signers_payroll():
    return [("Người lập biểu", ""), ("Kế toán", ""), ("TM. Ủy ban nhân dân\nChủ tịch", "", "(Ký, đóng dấu)")]


# ---------------------------------------------------------------- payment-list

PAYROLL_COLUMNS = [
    ColumnSpec("STT", 5, "center"),
    ColumnSpec("Họ và tên", 24, "text"),
    ColumnSpec("Ngày sinh", 11.5, "date"),
    ColumnSpec("Đối tượng", 30, "text"),
    ColumnSpec("Số tiền (đồng)", 13, "money"),
    ColumnSpec("Người nhận thay (họ tên, quan hệ)", 20, "text"),
    ColumnSpec("Ký nhận", 13, "text"),
]


ARREARS_COLUMNS = [              # issue 17: the month's amount plus the arrears paid with it
    ColumnSpec("Tháng này (đồng)", 12, "money"),
    ColumnSpec("Truy lĩnh (đồng)", 12, "money"),
    ColumnSpec("Cộng số tiền nhận (đồng)", 13, "money"),
]


def payroll_label(group: Group | None, register: str, groups: Groups) -> str:
    """The group on the payroll [decision]: the public wording for every group. Every recipient
    signs the same sheet and sees the other rows; the full label of a sensitive group would
    reveal it, and the full label of the others only would single the sensitive ones out (the
    register and its basis column keep the exact group for the accountant)."""
    return public_label(group, register, groups)


def write_payment_list(wb: DocBook, sched: BookSchedule, month: dt.date, unit: UnitNames, on: dt.date,
                       groups: Groups, arrears: dict[int, int] | None = None) -> dict:
    """One payroll sheet per resolution; returns {'rows': people, 'total': VND}. `arrears`
    (schedule position → truy lĩnh, issue 17) adds the columns month / arrears / sum."""
    k = sched.at(month)
    p = sched.people
    used: set[str] = set()
    total_all, count_all = 0, 0
    by_reg = _paid_by_register(sched, month, arrears)
    columns = PAYROLL_COLUMNS if not arrears else (PAYROLL_COLUMNS[:4] + ARREARS_COLUMNS + PAYROLL_COLUMNS[5:])
    for reg in REGISTER_ORDER if by_reg else ("NQ55",):
        idx = by_reg.get(reg, [])
        ws = wb.create_sheet(sheet_title(f"Chi trả {reg[:2]} {reg[2:]}", used))
        n = len(columns)
        row = begin_document(ws, [c.width for c in columns], unit,
                             "Danh sách chi trả kinh phí hỗ trợ hằng tháng",
                             [f"Theo {RESOLUTION_TITLES[reg]}", month_text(month)], on=on)

        names, births, codes = p["name"].tolist(), p["birth"].tolist(), p["group"].tolist()
        benefit = sched.benefit[k].tolist()
        labels = {c: payroll_label(groups.get(c), reg, groups) for c in set(codes[i] for i in idx)}

        def make_row(i):
            amounts = [int(benefit[i])]
            if arrears:
                amounts += [arrears.get(i) or None, amounts[0] + arrears.get(i, 0)]
            return [None, privacy.scrub(names[i]), births[i], labels[codes[i]], *amounts, "", ""]

        sections = _sections(sched, idx, make_row, subtotal=True)
        for s in sections:          # every recipient sees the sheet: no ID-like digits in a title
            s.title = privacy.scrub(s.title)
            s.subtotal_label = privacy.scrub(s.subtotal_label)
        total = int(sum(sched.benefit[k, i] + (arrears or {}).get(i, 0) for i in idx))
        header = row
        row = write_table(ws, row, columns, sections, total_label=f"Tổng cộng ({len(idx)} người)")
        for r in range(header + 2, row):  # room for a signature on every person's row
            if isinstance(ws.cell(row=r, column=1).value, int):
                dim = ws.row_dimensions[r]
                dim.height = max(dim.height or 0, SIGNATURE_ROW_PT)
        row = note(ws, row - 1, f"Số tiền bằng chữ: {amount_in_words(total)}.", n, italic=True) + 1
        end_document(ws, row, unit, on, _signers_payroll(), n, table_header_rows=(header, header + 1),
                     landscape=True)
        total_all += total
        count_all += len(idx)
    return {"rows": count_all, "total": total_all}


# ---------------------------------------------------------------- public-list

PUBLIC_COLUMNS = [
    ColumnSpec("STT", 5, "center"),
    ColumnSpec("Họ và tên", 26, "text"),
    ColumnSpec("Tháng, năm sinh", 11, "center"),
    ColumnSpec("Số định danh cá nhân", 17, "center"),
    ColumnSpec("Diện được hỗ trợ", 32, "text"),
]


def write_public_list(wb: DocBook, sched: BookSchedule, month: dt.date, unit: UnitNames, on: dt.date,
                      groups: Groups) -> dict:
    """The list to post (domain.md §4 sensitive data): name, month/year of birth, ID masked but
    the last 4 digits, residential group (the section), neutral group wording. No amount (it
    would tell the group), no basis, no notes, no group headings."""
    p = sched.people
    terms = sensitive_terms(groups)
    used: set[str] = set()
    count = 0
    by_reg = _paid_by_register(sched, month)
    for reg in REGISTER_ORDER if by_reg else ("NQ55",):
        idx = by_reg.get(reg, [])
        ws = wb.create_sheet(sheet_title(f"Công khai {reg[:2]} {reg[2:]}", used))
        n = len(PUBLIC_COLUMNS)
        row = begin_document(ws, [c.width for c in PUBLIC_COLUMNS], unit,
                             "Danh sách công khai đối tượng được hỗ trợ",
                             [f"Theo {RESOLUTION_TITLES[reg]}", month_text(month)], on=on)

        names, births, codes, ids, rgroups, sheets, rows = (
            p[c].tolist() for c in ("name", "birth", "group", "id_key", "residential_group", "sheet", "row"))
        labels = {c: public_label(groups.get(c), reg, groups) for c in set(codes[i] for i in idx)}
        checked: set[str] = set()
        suspects = {idx[k] for k in privacy.may_mention([names[i] for i in idx], terms)}

        def make_row(i):
            where = f"«{sheets[i]}» dòng {rows[i]}"
            if rgroups[i] not in checked:
                public_text(rgroups[i], terms, where)
                checked.add(rgroups[i])
            name = public_text(names[i], terms, where) if i in suspects else privacy.scrub(names[i])
            return [None, name, month_year(births[i]), mask_id(ids[i]), labels[codes[i]]]

        sections = _sections(sched, idx, make_row, subtotal=False)
        for s in sections:
            s.title = privacy.scrub(s.title)
        header = row
        row = write_table(ws, row, PUBLIC_COLUMNS, sections, total_label=f"Tổng số: {len(idx)} người")
        row = note(ws, row - 1, "Mọi ý kiến về danh sách xin gửi Ủy ban nhân dân trong thời hạn niêm yết.",
                   n, italic=True) + 1
        end_document(ws, row, unit, on, [("TM. Ủy ban nhân dân\nChủ tịch", "", "(Ký, đóng dấu)")], n,
                     table_header_rows=(header, header + 1), landscape=False)
        count += len(idx)
    return {"rows": count, "total": 0}
