"""`validate` (design.md "Command line", issue 5): every issue of a ward book at once, like
pandera's lazy validation — one table of `CellIssue`s (sheet, row, column, field, code,
severity, Vietnamese message), never a stop at the first failure.

Checks are vectorised over a register (numpy masks); an issue object is built only for a
flagged row. Writing (`validate(port)`) rebuilds the `Kiểm tra` sheet, highlights the offending
cells and clears the previous run's highlights; no input cell and no other sheet changes.
"""
from __future__ import annotations

import datetime as dt
import sys
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Callable

import numpy as np

from xl_support.book.lazy_re import Pattern
from xl_support.book.workbook import SETTINGS_SHEET, UNIT_TYPE_AREAS, Book, load_book
from xl_support.engine.dedupe import kept_rows, repeated, same_name_birth
from xl_support.book.ports import BookPort
from xl_support.book.register import FIELD_BY_NAME, NQ04, NQ55, CellIssue, Register, Table, column_letter
from xl_support.engine.basis import dmy, lapse_text, my
from xl_support.engine.rules import (AREA_CODES, CELL_CHECK_FAILED, HOUSEHOLD_CODES, EndReason, GroupArrays, Status,
                                     eligibility, group_arrays, month_result, people_arrays, policy_window, to_date)
from xl_support.book.sheets import Link, SheetSpec, quote_sheet
from xl_support.book.text import header_key, name_key
from xl_support.book.values import HOUSEHOLD_TYPES

CHECK_SHEET = "Kiểm tra"
SEVERITY_LABELS = {"error": "Lỗi", "warning": "Cảnh báo"}
FILLS = {"error": "FFC7CE", "warning": "FFEB9C"}     # light red / light yellow
TABLE_HEADERS = ["STT", "Trang tính", "Ô", "Dòng", "Cột", "Mã lỗi", "Mức độ", "Nội dung", "Giải thích mã lỗi"]
#: The codes of the `Mã lỗi` column in words (the codes stay: tools and the command line use them).
CODE_LABELS = {
    "AGE_AT_DECISION": "Quá tuổi tại ngày ký quyết định", "ALLOWANCE_FORBIDDEN": "Nhóm không áp dụng khi có trợ cấp",
    "ALLOWANCE_REQUIRED": "Thiếu trợ cấp đang hưởng", "AREA_UNIT": "Khu vực khác loại đơn vị",
    "BIRTH_AFTER_DECISION": "Ngày sinh sau ngày quyết định", "DATE_FUTURE": "Ngày ở tương lai",
    "DECISION_WINDOW": "Quyết định ngoài thời gian chính sách", "DUPLICATE_ID": "Trùng số định danh",
    "GROUP_REGISTER": "Mã đối tượng khác sổ", "GROUP_UNKNOWN": "Mã đối tượng không có",
    "HOUSEHOLD_RECOGNITION": "Loại hộ và ngày công nhận", "ID_FORMAT": "Số định danh sai dạng",
    "INSURANCE_UNCONFIRMED": "BHYT chưa xác nhận", "MISSING_COLUMN": "Thiếu cột",
    "MOTHER_AFTER_CHILD": "Ngày sinh của mẹ sau ngày sinh con", "MOTHER_BIRTH_REQUIRED": "Thiếu ngày sinh của mẹ",
    "NO_REGISTER": "Không có sổ đối tượng", "RECOGNITION_REQUIRED": "Thiếu ngày công nhận",
    "RECOGNITION_YEAR": "Năm công nhận không đúng", "REQUIRED": "Thiếu thông tin bắt buộc",
    "SAME_NAME_BIRTH": "Trùng họ tên và ngày sinh", "SETTINGS_MISSING": "Thiếu sheet Tham số",
    "SETTINGS_PARAMETER": "Tham số không hợp lệ", "SETTINGS_VALUE": "Giá trị tham số không đọc được",
    "STOP_BEFORE_DECISION": "Ngày thôi hưởng trước quyết định", "UNCONFIRMED": "Nhóm chưa có mức hỗ trợ",
    "UNIT_MISSING": "Chưa ghi đơn vị", "UNIT_TYPE": "Loại đơn vị không khớp", "UNIT_UNKNOWN": "Đơn vị không có trong danh sách",
}


def code_label(code: str) -> str:
    """The Vietnamese words for an issue code ("CELL_BIRTH" → "Ô không đọc được: Ngày sinh")."""
    if code in CODE_LABELS:
        return CODE_LABELS[code]
    if code.startswith("CELL_"):
        f = FIELD_BY_NAME.get(code[5:].lower())
        return f"Ô không đọc được: {f.header}" if f else "Ô không đọc được"
    return "Lỗi dữ liệu"
TABLE_HEADER_ROW = 7
REGISTER_NAMES = {NQ55: "NQ 55/2025/NQ-HĐND", NQ04: "NQ 04/2026/NQ-HĐND"}


@dataclass
class ValidationReport:
    """All issues of a book, sorted by sheet order, row, column."""
    issues: list[CellIssue]
    rows: dict[str, int]                     # register sheet → rows checked
    unit: str | None = None
    month: dt.date | None = None
    run_at: dt.datetime = field(default_factory=dt.datetime.now)

    @property
    def errors(self) -> list[CellIssue]:
        return [i for i in self.issues if i.severity == "error"]

    @property
    def warnings(self) -> list[CellIssue]:
        return [i for i in self.issues if i.severity == "warning"]

    @property
    def ok(self) -> bool:
        return not self.errors

    def codes(self) -> set[str]:
        return {i.code for i in self.issues}

    def summary_text(self) -> str:
        n = sum(self.rows.values())
        return (f"Đã kiểm tra {n} dòng trong {len(self.rows)} sổ: {len(self.errors)} lỗi, "
                f"{len(self.warnings)} cảnh báo.")


def _dmy(day) -> str:
    return f"{to_date(day):%d/%m/%Y}"


class _Collector:
    """Collects the issues of one register: `add(mask, field, code, severity, message)`."""

    def __init__(self, reg: Register):
        self.reg = reg
        self.rows = reg.table["row"]
        self.issues: list[CellIssue] = []

    def add(self, mask: np.ndarray, field_name: str, code: str, severity: str,
            message: str | Callable[[int], str]) -> None:
        if not np.count_nonzero(mask):      # the usual case; several times faster than mask.any()
            return
        col = self.reg.columns.get(field_name, 0)
        for i in np.flatnonzero(mask):
            text = message(int(i)) if callable(message) else message
            self.issues.append(CellIssue(self.reg.sheet, int(self.rows[i]), col, field_name, code, severity, text))

    def at(self, i: int, field_name: str, code: str, severity: str, message: str) -> None:
        """`add` of one row (position `i`)."""
        self.issues.append(CellIssue(self.reg.sheet, int(self.rows[i]), self.reg.columns.get(field_name, 0),
                                     field_name, code, severity, message))


def _present(table: Table, name: str) -> np.ndarray:
    if name not in table:
        return np.zeros(len(table), dtype=bool)
    if isinstance(table, Table):
        number = table.numbers.get(name)
        if number is not None:              # the engine's form: NaT / −1 where the cell is empty
            return ~np.isnat(number) if number.dtype.kind == "M" else number >= 0
        if name in table.present:           # told by the parsing
            return table.present[name]
    return np.not_equal(table[name], None)


class _Present(dict):
    """Field → `_present` mask, made when first asked for."""

    def __init__(self, table: Table):
        super().__init__()
        self.table = table

    def __missing__(self, name: str) -> np.ndarray:
        mask = self[name] = _present(self.table, name)
        return mask


def _readable(reg: Register) -> dict[str, np.ndarray]:
    """Per field: rows whose cell could be read (the others are already reported by the register
    reader); a field without such a cell gives one shared all-true mask (never written to)."""
    rows = reg.table["row"]
    by_field: dict[str, list[int]] = defaultdict(list)
    for issue in reg.issues:
        by_field[issue.field].append(issue.row)
    every = np.ones(len(rows), dtype=bool)
    return defaultdict(lambda: every, {f: ~np.isin(rows, r) for f, r in by_field.items()})


def engine_people(reg: Register, book: Book):
    """`rules.people_arrays` of the register with the book's groups and default area."""
    return people_arrays(reg.table, book.settings.groups, book.settings.default_area)


def _register_issues(reg: Register, book: Book, today: dt.date, people=None, elig=None) -> list[CellIssue]:
    """Row checks of one register (domain.md R1–R13, design.md register contract)."""
    s = book.settings
    frame = reg.table
    n = len(frame)
    out = _Collector(reg)
    if n == 0:
        return []
    people = people if people is not None else engine_people(reg, book)
    g: GroupArrays = group_arrays(s.groups)
    gi = people.group
    known = gi < len(g.codes)
    readable = _readable(reg)
    has = _Present(frame)
    today64 = np.datetime64(today, "D")
    # the engine's own reading (R1–R8), so validation and the amounts agree
    elig = elig if elig is not None else eligibility(people, s.groups, s.params)

    # Required fields (design.md register contract); a cell that failed to parse is reported once.
    required = [("name", "error", "Thiếu họ và tên"), ("birth", "error", "Thiếu ngày sinh"),
                ("group", "error", "Thiếu mã đối tượng"),
                ("id", "error", "Thiếu số định danh cá nhân (cần để áp dụng quy tắc hưởng một mức cao nhất)"),
                ("sex", "warning", "Thiếu giới tính"), ("residential_group", "warning", "Thiếu tổ dân phố")]
    if reg.kind == NQ04:
        required.append(("household_type", "error", "Thiếu loại hộ (Nghèo / Cận nghèo / Thoát nghèo / Thoát cận nghèo)"))
    for name, severity, message in required:
        if name in reg.columns and np.count_nonzero(has[name]) < n:
            out.add(~has[name] & readable[name], name, "REQUIRED", severity, message)
    if s.default_area is None and "area" in reg.columns:
        needs_area = g.row_flags[5][gi]          # the poverty line or a top-up: by area
        out.add(~has["area"] & readable["area"] & needs_area, "area", "REQUIRED", "error",
                "Thiếu khu vực (Thành thị / Nông thôn): cần để xác định chuẩn nghèo")

    # Dates (years outside 1900–2100 are refused by the value parser): future, wrong order.
    dates = {"birth": people.birth, "mother_birth": people.mother_birth, "recognised": people.recognised,
             "decision": people.decision, "stop": people.stop}
    for name in ("birth", "mother_birth", "recognised"):
        days, label = dates[name], FIELD_BY_NAME[name].header
        out.add(days > today64, name, "DATE_FUTURE", "error",
                lambda i, d=days, lb=label: f"{lb}: ngày {_dmy(d[i])} ở tương lai (sau ngày {today:%d/%m/%Y})")

    # R2a: eligible on the day of the decision (16th birthday, 36 months, mother's 18th birthday,
    # stop date).
    _decision_after_end(out, people, elig, g)
    # R12: `Chi trả từ tháng` far before the decision; `Thôi chi trả từ tháng` not after the start.
    _moves(out, people, elig)

    # R3: decision outside the 2026–2030 window (its month before the first, after the last: by days).
    w_start, w_end = policy_window(s.params)
    after_window = people.decision > (w_end + 1).astype("M8[D]") - 1
    out.add(people.decision < w_start.astype("M8[D]"), "decision", "DECISION_WINDOW", "warning",
            lambda i: f"Ngày ký quyết định {_dmy(people.decision[i])} trước thời gian thực hiện "
                      f"{to_date(w_start):%m/%Y}–{to_date(w_end):%m/%Y}: chỉ chi trả từ tháng "
                      f"{to_date(w_start):%m/%Y}")
    out.add(after_window, "decision", "DECISION_WINDOW", "error",
            lambda i: f"Ngày ký quyết định {_dmy(people.decision[i])} sau thời gian thực hiện "
                      f"{to_date(w_start):%m/%Y}–{to_date(w_end):%m/%Y}: không chi trả")

    # Any other row that no month of the window pays (e.g. the minimum age reached after 2030).
    never = elig.status == int(Status.NEVER_PAYABLE)
    if np.count_nonzero(never):
        never &= ~after_window & ~(people.stop_pay_from <= elig.start)
    if np.count_nonzero(never):
        starts, ends = my(elig.start), my(elig.end)
        out.add(never, "decision", "NEVER_PAYABLE", "warning",
                lambda i: f"Không có tháng nào được chi trả: tháng bắt đầu hưởng {starts[i]} sau tháng cuối cùng "
                          f"được hưởng {ends[i]}")

    # Personal ID: exactly 12 digits.
    if "id" in reg.columns:
        raw_ids = reg.raw["id"]
        bad_id = _bad_ids(raw_ids)
        out.add(bad_id, "id", "ID_FORMAT", "error",
                lambda i: f"Số định danh cá nhân phải gồm đúng 12 chữ số: «{_id_text(raw_ids[i])}»")

    # Group code: of this register.
    codes = frame["group"] if "group" in frame else np.full(n, None, dtype=object)
    wrong = known & (g.nq04[gi] != (reg.kind == NQ04))      # a group of the other register (`Group.register`)
    out.add(wrong, "group", "GROUP_REGISTER", "error",
            lambda i: f"Mã «{codes[i]}» thuộc {REGISTER_NAMES[s.groups.get(codes[i]).register]}, "
                      f"không dùng trong sổ {REGISTER_NAMES[reg.kind]}")
    if np.count_nonzero(CELL_CHECK_FAILED[elig.status]):
        _cell_check_issues(out, reg, s, people, g, known, has, readable, codes)

    # NQ 04: household type vs recognition date (36-month continuation, domain.md §3).
    if reg.kind == NQ04 and "household_type" not in reg.columns:    # no NQ 04 row computes: say so per row
        out.add(known & g.nq04[gi], "group", "HOUSEHOLD_MISSING", "error",
                "Sổ không có cột «Loại hộ» (Nghèo / Cận nghèo / Thoát nghèo / Thoát cận nghèo): dòng nhóm NQ 04 "
                "không tính được")
    if reg.kind == NQ04 and "household_type" in frame:
        htype = frame["household_type"]           # `values.HOUSEHOLD_TYPES` labels or None
        escaped = _one_of(htype, [h for h in HOUSEHOLD_TYPES.values() if h.startswith("Thoát")], people.household)
        current = _one_of(htype, ["Nghèo", "Cận nghèo"], people.household)
        out.add(escaped & ~has["recognised"] & readable["recognised"], "recognised", "HOUSEHOLD_RECOGNITION",
                "error", lambda i: f"Hộ «{htype[i]}» cần ngày công nhận thoát nghèo/cận nghèo "
                                   f"(để tính 36 tháng tiếp tục hỗ trợ)")
        out.add(current & has["recognised"], "recognised", "HOUSEHOLD_RECOGNITION", "warning",
                lambda i: f"Hộ «{htype[i]}» nhưng có ngày công nhận thoát nghèo/cận nghèo: ngày này không được "
                          f"dùng để tính (hộ {htype[i].lower()} không áp dụng 36 tháng); nếu hộ đã thoát nghèo, "
                          f"sửa loại hộ")

    # §4: area contradicting the unit type (the row's area wins, so only a warning).
    unit_type = s.unit.type if s.unit else s.unit_type
    expected = UNIT_TYPE_AREAS.get(unit_type or "")
    if expected and "area" in frame:          # a filled area is 'urban' or 'rural': people.area 1 or 0
        out.add(has["area"] & (people.area != AREA_CODES[expected]), "area", "AREA_UNIT", "warning",
                f"Khu vực «{'Nông thôn' if expected == 'urban' else 'Thành thị'}» khác loại đơn vị "
                f"«{unit_type}» (mặc định {'Thành thị' if expected == 'urban' else 'Nông thôn'}): kiểm tra lại")

    # §3: groups whose amount / insurance the ward has not entered yet — once per group.
    counts = np.bincount(gi, minlength=len(g.codes) + 1)
    pending = [pos for pos in np.flatnonzero(counts[:len(g.codes)]).tolist()
               if "unconfirmed" in (s.groups.groups[pos].amount_rule, s.groups.groups[pos].insurance)]
    firsts = np.argmax(gi[:, None] == np.array(pending, dtype=gi.dtype), axis=0).tolist() if pending else []
    for pos, first in zip(pending, firsts):
        group = s.groups.groups[pos]
        rows = int(counts[pos])                   # the group's first row, its rows
        if group.amount_rule == "unconfirmed":
            out.at(first, "group", "UNCONFIRMED", "warning",
                   f"Nhóm {group.code} ({rows} dòng): chưa có mức hỗ trợ – nhập «Mức hỗ trợ {group.code} "
                   f"(đồng/tháng)» theo Nghị quyết tại sheet «{SETTINGS_SHEET}»; đến khi đó không tính được")
        if group.insurance == "unconfirmed":
            out.at(first, "group", "INSURANCE_UNCONFIRMED", "warning",
                   f"Nhóm {group.code} ({rows} dòng): chưa xác định có hỗ trợ BHYT – nhập «BHYT {group.code}» "
                   f"(Có/Không) tại sheet «{SETTINGS_SHEET}»")
    return out.issues


def _cell_check_issues(out: _Collector, reg: Register, s, people, g: GroupArrays, known: np.ndarray,
                       has: _Present, readable: dict, codes: np.ndarray) -> None:
    """The rows whose own cells contradict each other or their group: dates in the wrong order,
    an unknown group code, the group-specific fields (R4, R5, R7, R13). Each is a condition of
    the engine's status (`rules.STATUS_ORDER`, before UNCONFIRMED): the caller runs these only
    where some row has such a status (`rules.CELL_CHECK_FAILED`)."""
    gi = people.group
    out.add(people.birth > people.decision, "birth", "BIRTH_AFTER_DECISION", "error",
            lambda i: f"Ngày sinh {_dmy(people.birth[i])} sau ngày ký quyết định {_dmy(people.decision[i])}")
    out.add(people.mother_birth >= people.birth, "mother_birth", "MOTHER_AFTER_CHILD", "error",
            lambda i: f"Ngày sinh của mẹ {_dmy(people.mother_birth[i])} không trước ngày sinh của trẻ "
                      f"{_dmy(people.birth[i])}")
    out.add(has["group"] & ~known & readable["group"], "group", "GROUP_UNKNOWN", "error",
            lambda i: f"Mã đối tượng «{codes[i]}» không có trong danh mục "
                      f"({', '.join(x.code for x in s.groups.for_register(reg.kind))})")
    allowance, allowance_rule = people.allowance, g.allowance[gi]
    out.add(known & (allowance_rule == 1) & (allowance < 0) & readable["allowance"], "allowance",
            "ALLOWANCE_REQUIRED", "error",
            lambda i: f"Nhóm {codes[i]} cần trợ cấp xã hội đang hưởng (đồng/tháng) để tính mức bù chênh lệch")
    out.add(known & (allowance_rule == 2) & (allowance > 0), "allowance", "ALLOWANCE_FORBIDDEN", "error",
            lambda i: f"Nhóm {codes[i]} không áp dụng cho người đang hưởng trợ cấp xã hội "
                      f"({allowance[i]:,} đồng/tháng) (KH mục IV.2)".replace(",", "."))
    rec_year = g.recognition_year[gi]
    dated = known & (rec_year > 0)
    rec_years = people.recognised.astype("M8[Y]").astype(np.int64) + 1970 if np.count_nonzero(dated) else rec_year
    out.add(dated & ~has["recognised"] & readable["recognised"], "recognised",
            "RECOGNITION_REQUIRED", "error",
            lambda i: f"Nhóm {codes[i]} cần ngày công nhận thoát nghèo/cận nghèo (năm {rec_year[i]})")
    out.add(dated & has["recognised"] & (rec_years != rec_year), "recognised",
            "RECOGNITION_YEAR", "error",
            lambda i: f"Nhóm {codes[i]}: hộ phải được công nhận thoát nghèo, thoát cận nghèo trong năm "
                      f"{rec_year[i]} (ngày ghi: {_dmy(people.recognised[i])}) (KH mục II.2)")
    out.add(known & (g.mother_max_age[gi] > 0) & ~has["mother_birth"] & readable["mother_birth"], "mother_birth",
            "MOTHER_BIRTH_REQUIRED", "error",
            lambda i: f"Nhóm {codes[i]} cần ngày sinh của mẹ (hỗ trợ đến khi mẹ đủ 18 tuổi – KH mục IV.3)")



def _one_of(values: np.ndarray, texts: list[str], codes: np.ndarray | None = None) -> np.ndarray:
    """Cells equal to one of `texts` (household labels); by `codes`, the engine's
    `rules.HOUSEHOLD_CODES` of the cells (People.household), when given."""
    if codes is not None:
        out = np.zeros(len(codes), dtype=bool)
        for text in texts:
            out |= codes == HOUSEHOLD_CODES[text]
        return out
    out = np.zeros(len(values), dtype=bool)
    for text in texts:
        out |= values == text
    return out


def _decision_after_end(out: _Collector, people, elig, g: GroupArrays) -> None:
    """domain.md R2a — a decision signed on or after the day eligibility ended pays nothing: an
    error with the two dates (the engine's status `DECISION_AFTER_END` when no other check fails).
    A decision after the policy window is `DECISION_WINDOW`'s error, not repeated here."""
    known = people.group < len(g.codes)
    mask = known & (people.decision >= elig.lapse)       # also when another check fails first
    mask &= elig.lapse_reason != int(EndReason.WINDOW)      # an int: numpy compares an IntEnum slowly
    if not mask.any():
        return
    decisions, lapses = dmy(people.decision), dmy(elig.lapse)

    def message(i: int) -> str:
        gpos = int(people.group[i])
        when = lapse_text(int(elig.lapse_reason[i]), lapses[i], int(g.max_age[gpos]), int(g.mother_max_age[gpos]),
                          int(g.recognition_months[gpos]))
        return (f"Quyết định ký ngày {decisions[i]} khi đã hết điều kiện hưởng từ {when}: không chi trả tháng "
                f"nào, kể cả tháng ký (KH mục IV.2a, IV.3)")
    out.add(mask, "decision", "DECISION_AFTER_END", "error", message)


PAY_FROM_MAX_ARREARS = 12       # months of arrears before a warning (issue 11, R12)


def _moves(out: _Collector, people, elig) -> None:
    """domain.md R12 — the months a move names: `Chi trả từ tháng` more than 12 months before the
    decision month → warning; `Thôi chi trả từ tháng` not after the first month paid → error.
    Most registers name no move: nothing to compare then."""
    n = len(people)
    if np.count_nonzero(np.isnat(people.pay_from)) == n and np.count_nonzero(np.isnat(people.stop_pay_from)) == n:
        return
    decision_m = people.decision.astype("M8[M]")
    early = people.pay_from < decision_m - np.timedelta64(PAY_FROM_MAX_ARREARS, "M")
    if early.any():
        pay, dec = my(people.pay_from), dmy(people.decision)
        out.add(early, "pay_from", "PAY_FROM_EARLY", "warning",
                lambda i: f"Chi trả từ tháng {pay[i]}, hơn {PAY_FROM_MAX_ARREARS} tháng trước tháng ký quyết định "
                          f"{dec[i]}: kiểm tra lại (các tháng trước tháng ký được truy lĩnh)")
    start = np.where(np.isnat(elig.start), decision_m, elig.start)
    before = people.stop_pay_from <= start
    if before.any():
        stop, first = my(people.stop_pay_from), my(start)
        out.add(before, "stop_pay_from", "STOP_PAY_BEFORE_START", "error",
                lambda i: f"Thôi chi trả từ tháng {stop[i]} không sau tháng bắt đầu hưởng {first[i]}: "
                          f"không chi trả tháng nào (tháng trước tháng thôi chi trả là tháng cuối cùng được hưởng)")


_TWELVE_DIGITS = Pattern(r"\d{12}")


def _bad_ids(values: list) -> np.ndarray:
    """`_bad_id` of each cell: a text cell is bad unless, without spaces, it is empty or exactly
    12 digits (`\\d`, as `re`); an empty cell (None, NaN, NaT) is not bad."""
    bad = np.zeros(len(values), dtype=bool)
    try:
        joined = "".join(values)
    except TypeError:
        joined = None
    if joined is not None and joined.isascii() and joined.encode().isdigit():    # texts of ASCII digits only
        if set(map(len, values)) <= {0, 12}:
            return bad
        lengths = np.fromiter(map(len, values), dtype=np.int64, count=len(values))
        return (lengths != 12) & (lengths != 0)
    for i, v in enumerate(values):
        if v is None:
            continue
        if v.__class__ is str:
            if len(v) == 12 and v.isascii() and v.isdigit():      # the usual cell: nothing to strip
                continue
            text = v.replace(" ", "")
            if text and not (len(text) == 12 and text.isascii() and text.isdigit()) \
                    and not _TWELVE_DIGITS.fullmatch(text):
                bad[i] = True
        elif not (isinstance(v, float) and v != v):         # NaN: empty
            bad[i] = _bad_id(v)
    return bad


def _bad_id(value) -> bool:
    """Not exactly 12 digits (spaces allowed in text; a number keeps its digits)."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return False
    if isinstance(value, bool):
        return True
    if isinstance(value, (int, float)):
        return not float(value).is_integer() or not (10 ** 9 <= value < 10 ** 12)
    text = str(value).replace(" ", "")
    return not (len(text) == 12 and text.isdigit())


def _id_text(value) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _cross_issues(book: Book, month: dt.date, people: dict | None = None,
                  benefit: dict | None = None, insurance: dict | None = None,
                  eligible: dict | None = None) -> list[CellIssue]:
    """R11 across rows and registers: duplicate IDs (tell which row is kept) and the same
    normalised name + birth date where one row has no ID (a warning, never a merge).
    `people` / `benefit` / `insurance` / `eligible`: the engine's People, the month's benefit and
    insurance flag, and the eligibility per register id, when known."""
    regs = [r for r in book.registers if len(r.table)]
    if not regs:
        return []
    s = book.settings
    people = people or {}
    benefit_of = benefit or {}
    insurance_of = insurance or {}
    keys = np.concatenate([reg.table["id_key"] for reg in regs]).tolist()
    types = set(map(type, keys))
    if not types <= {str, type(None)}:
        keys = [k if isinstance(k, str) else None for k in keys]
        types = set(map(type, keys))
    unkeyed = type(None) in types           # a row without an ID
    cuts = np.cumsum([len(reg.table) for reg in regs])

    def where(i):
        k = int(np.searchsorted(cuts, i, side="right"))
        return regs[k], int(regs[k].table["row"][i - (cuts[k - 1] if k else 0)])

    issues = []
    keyed = len(keys) - keys.count(None) if unkeyed else len(keys)
    dup = repeated(keys) if len(set(keys) - {None}) < keyed else np.zeros(len(keys), dtype=bool)
    kept = np.arange(len(keys))
    if dup.any():
        benefit, insured = [], []
        for reg in regs:
            if id(reg) in benefit_of and id(reg) in insurance_of:
                benefit.append(benefit_of[id(reg)])
                insured.append(insurance_of[id(reg)])
                continue
            p = people[id(reg)] if id(reg) in people else engine_people(reg, book)
            elig = (eligible or {}).get(id(reg))
            res = month_result(p, eligibility(p, s.groups, s.params) if elig is None else elig, month, s.groups,
                               s.params)
            benefit.append(res.benefit)
            insured.append(res.insurance)
        subset = np.flatnonzero(dup)
        kept[subset] = subset[kept_rows([keys[i] for i in subset], np.concatenate(benefit)[subset],
                                        np.concatenate(insured)[subset])]
    for i in np.flatnonzero(dup & (kept != np.arange(len(keys)))) if dup.any() else ():
        reg, row = where(i)
        kreg, krow = where(kept[i])
        same = "cùng sheet" if kreg is reg else f"sheet «{kreg.sheet}»"
        issues.append(CellIssue(
            reg.sheet, row, reg.columns.get("id", 0), "id", "DUPLICATE_ID", "warning",
            f"Số định danh {keys[i]} trùng với dòng {krow} ({same}); theo quy tắc hưởng một mức cao nhất "
            f"(KH mục IV.1) chỉ chi trả dòng {krow} {'' if kreg is reg else f'sheet «{kreg.sheet}» '}"
            f"(mức tháng {month:%m/%Y} cao hơn hoặc bằng), dòng này không được chi trả"))
    # same name + birth date matters only where a row has no ID (dedupe.same_name_birth): the names
    # are folded only then
    names = ([name_key(v) if isinstance(v, str) else None for reg in regs for v in reg.table["name"].tolist()]
             if all("name" in r.table for r in regs) and unkeyed else [])
    if names:
        births = [b for reg in regs for b in (reg.table["birth"].tolist() if "birth" in reg.table
                                               else [None] * len(reg.table))]
        cand = np.flatnonzero(repeated([None if n is None or b is None else (n, b) for n, b in zip(names, births)]))
        same = np.full(len(names), -1)
        if len(cand):                    # dedupe.same_name_birth on the rows that can match only
            sub = same_name_birth([names[i] for i in cand], [births[i] for i in cand], [keys[i] for i in cand])
            same[cand[sub >= 0]] = cand[sub[sub >= 0]]
        for i in np.flatnonzero(same >= 0):
            reg, row = where(i)
            oreg, orow = where(same[i])
            issues.append(CellIssue(
                reg.sheet, row, reg.columns.get("name", 0), "name", "SAME_NAME_BIRTH", "warning",
                f"Trùng họ tên và ngày sinh với dòng {orow} sheet «{oreg.sheet}» (một trong hai dòng thiếu số "
                f"định danh): kiểm tra có phải cùng một người không"))
    return issues


def _book_issues(book: Book) -> list[CellIssue]:
    """Sheet-level checks: registers found, contract columns, the `Tham số` sheet."""
    s = book.settings
    issues: list[CellIssue] = []
    if not book.registers:
        issues.append(CellIssue("", 0, 0, "", "NO_REGISTER", "error",
                                "Không tìm thấy sổ nào: cần một dòng tiêu đề có cả «Họ và tên» và «Mã đối tượng»"))
    for reg in book.registers:
        for f in reg.missing_columns():
            issues.append(CellIssue(
                reg.sheet, reg.header_row, 0, f.name, "MISSING_COLUMN", "error" if f.essential else "warning",
                f"Thiếu cột «{f.header}» ở dòng tiêu đề {reg.header_row}"
                + (": không tính được sổ này" if f.essential else "")))
    if not s.found:
        issues.append(CellIssue(SETTINGS_SHEET, 0, 0, "settings", "SETTINGS_MISSING", "warning",
                                f"Không có sheet «{SETTINGS_SHEET}»: chưa xác định đơn vị và tháng báo cáo"))
    else:
        if not s.unit_name:
            issues.append(CellIssue(SETTINGS_SHEET, 0, 0, "settings", "UNIT_MISSING", "warning",
                                    "Chưa ghi «Đơn vị» tại sheet «Tham số» (tên theo danh sách 114 đơn vị)"))
        if s.unit and s.unit_type and header_key(s.unit_type) != header_key(s.unit.type):
            issues.append(CellIssue(SETTINGS_SHEET, 0, 0, "settings", "UNIT_TYPE", "warning",
                                    f"«Loại đơn vị» là «{s.unit_type}» nhưng {s.unit.full_name} là {s.unit.type}"))
        issues.extend(s.issues)
    return issues


def validate_book(book: Book, *, today: dt.date | None = None, month: dt.date | None = None,
                  people: list | None = None, benefit: list | None = None,
                  insurance: list | None = None, eligible: list | None = None) -> ValidationReport:
    """Every issue of the book (parse issues, settings, row checks, R11 across registers).

    A caller that already ran the engine on the book (city consolidation) passes, per register
    in `book.registers` order, `people` (`engine_people`), `benefit` and `insurance`
    (`month_result(...).benefit` / `.insurance` of `book.month(month)`, before R11), so the engine
    is not run twice; `eligible`, likewise, the engine's `eligibility` per register."""
    today = today or dt.date.today()
    month = book.month(month)
    issues = _book_issues(book)
    given = dict(zip(map(id, book.registers), people)) if people is not None else {}
    eligible = dict(zip(map(id, book.registers), eligible)) if eligible is not None else {}
    people, s = {}, book.settings
    for reg in book.registers:
        issues.extend(reg.issues)
        if len(reg.table):
            p = people[id(reg)] = given[id(reg)] if id(reg) in given else engine_people(reg, book)
            if eligible.get(id(reg)) is None:       # made once, for the row checks and R11
                eligible[id(reg)] = eligibility(p, s.groups, s.params)
            issues.extend(_register_issues(reg, book, today, p, eligible[id(reg)]))
    issues.extend(_cross_issues(book, month, people,
                                dict(zip(map(id, book.registers), benefit)) if benefit is not None else None,
                                dict(zip(map(id, book.registers), insurance)) if insurance is not None else None,
                                eligible))
    order = {name: i for i, name in enumerate(book.sheet_names)}
    issues.sort(key=lambda x: (order.get(x.sheet, -1), x.row, x.column, x.code))
    return ValidationReport(issues=issues, rows={r.sheet: len(r.table) for r in book.registers},
                            unit=book.settings.unit.full_name if book.settings.unit else book.settings.unit_name,
                            month=month)


# ---------------------------------------------------------------- the Kiểm tra sheet

def check_sheet(report: ValidationReport) -> SheetSpec:
    """The `Kiểm tra` sheet: title, run time, counts, then one row per issue with a link to its cell."""
    spec = SheetSpec(CHECK_SHEET, widths={1: 6, 2: 18, 3: 8, 4: 7, 5: 6, 6: 24, 7: 10, 8: 80, 9: 28},
                     print_title_rows=f"{TABLE_HEADER_ROW}:{TABLE_HEADER_ROW}", freeze=f"A{TABLE_HEADER_ROW + 1}")
    per_sheet = "; ".join(f"{k}: {v}" for k, v in report.rows.items())
    counts = (f"Kết quả: {len(report.errors)} lỗi, {len(report.warnings)} cảnh báo."
              if report.issues else "Kết quả: không phát hiện lỗi hoặc cảnh báo nào.")
    spec.put(1, 1, [["KẾT QUẢ KIỂM TRA DỮ LIỆU"]], bold=True, size=14)
    spec.put(2, 1, [[f"Đơn vị: {report.unit or '(chưa ghi tại sheet Tham số)'}"],
                    [f"Thời điểm kiểm tra: {report.run_at:%d/%m/%Y %H:%M}"],
                    [f"Số dòng đã kiểm tra: {sum(report.rows.values())}" + (f" ({per_sheet})" if per_sheet else "")]])
    spec.put(5, 1, [[counts]], bold=True)
    spec.put(6, 1, [["Ô có lỗi được tô đỏ, ô có cảnh báo tô vàng; bấm vào địa chỉ ô (cột Ô) để đến ô đó. "
                     "Sửa xong, bấm Kiểm tra lại."]])
    spec.put(TABLE_HEADER_ROW, 1, [TABLE_HEADERS], bold=True, fill="D9D9D9", wrap=True)
    body = []
    for k, issue in enumerate(report.issues, start=1):
        r = TABLE_HEADER_ROW + k
        cell = issue.cell if issue.row and issue.column else ""
        body.append([k, issue.sheet or None, cell or None, issue.row or None,
                     column_letter(issue.column) if issue.column else None, issue.code,
                     SEVERITY_LABELS[issue.severity], issue.message, code_label(issue.code)])
        if cell and issue.sheet:
            spec.links.append(Link(r, 3, f"{quote_sheet(issue.sheet)}!{cell}", cell))
    if body:
        spec.put(TABLE_HEADER_ROW + 1, 1, body)
        spec.style(TABLE_HEADER_ROW + 1, 8, len(body), 2, wrap=True)
    spec.fit_rows()
    return spec


def previous_marks(grid: list[list] | None) -> dict[str, set[tuple[int, int]]]:
    """Cells highlighted by the previous run, read back from its `Kiểm tra` table (Sheet, Dòng,
    Cột): the remote engine cannot read fills, so the table is the memory."""
    out: dict[str, set[tuple[int, int]]] = defaultdict(set)
    if not grid:
        return out
    header = None
    for r, row in enumerate(grid[:30]):
        keys = [header_key(v) if isinstance(v, str) else None for v in row]
        sheet_key = "trang tinh" if "trang tinh" in keys else "sheet"  # "Sheet" before issue 16
        if sheet_key in keys and "dong" in keys and "cot" in keys:
            header = r, keys.index(sheet_key), keys.index("dong"), keys.index("cot")
            break
    if header is None:
        return out
    r0, cs, cr, cc = header
    for row in grid[r0 + 1:]:
        if max(cs, cr, cc) >= len(row):
            continue
        sheet, line, col = row[cs], row[cr], row[cc]
        if not isinstance(sheet, str) or not isinstance(col, str) or not col.isalpha():
            continue
        try:
            line = int(line)
        except (TypeError, ValueError):
            continue
        out[sheet].add((line, _column_number(col)))
    return out


def _column_number(letters: str) -> int:
    n = 0
    for ch in letters.upper():
        n = n * 26 + ord(ch) - 64
    return n


def validate(port: BookPort, *, today: dt.date | None = None, write: bool = True) -> ValidationReport:
    """The `validate` operation over a port (CLI and the *Kiểm tra* button): read, check every
    rule, highlight cells (clearing the previous run's marks), rebuild `Kiểm tra`."""
    port.progress("Đang đọc sổ…")
    names = port.sheet_names()
    grids = {name: port.read_grid(name) for name in names}
    old = previous_marks(grids.pop(CHECK_SHEET, None))
    book = load_book(grids, source=port.name)
    if getattr(port, "book_cache", None) is not None:     # a file port: parsed once (ports.read_port_book)
        port.book_cache[frozenset((CHECK_SHEET,))] = book
    port.progress(f"Đang kiểm tra {sum(len(r.table) for r in book.registers)} dòng…")
    report = validate_book(book, today=today)
    if not write:
        return report
    port.progress("Đang tô màu các ô có lỗi…")
    marks: dict[str, dict[tuple[int, int], str]] = defaultdict(dict)
    for issue in report.issues:
        if issue.row and issue.column and issue.sheet in grids:
            cell = (issue.row, issue.column)
            if marks[issue.sheet].get(cell) != "error":
                marks[issue.sheet][cell] = issue.severity
    for sheet, cells in old.items():
        stale = sorted(cells - set(marks.get(sheet, {})))
        if sheet in grids and stale:
            port.mark_cells(sheet, stale, None)
    for sheet, cells in marks.items():
        for severity in ("error", "warning"):
            chosen = sorted(c for c, sev in cells.items() if sev == severity)
            if chosen:
                port.mark_cells(sheet, chosen, FILLS[severity])
    port.progress("Đang ghi sheet Kiểm tra…")
    port.replace_sheet(check_sheet(report))
    port.progress(report.summary_text())
    return report


def issue_line(issue: CellIssue) -> str:
    where = f"{issue.sheet}!{issue.cell}" if issue.sheet and issue.cell else (issue.sheet or "-")
    return f"{SEVERITY_LABELS[issue.severity]:<9} {where:<24} {issue.code:<22} {issue.message}"


def run_cli(args) -> int:
    """`validate BOOK [-o OUT]`: print every issue; write OUT (Kiểm tra sheet + marks) when given.
    Exit status 0 when no errors (warnings alone → 0), 1 otherwise."""
    from xl_support.book.fileio import check_output_path
    from xl_support.book.ports import open_port
    if args.out:
        out = check_output_path(args.out, source=args.book, force=args.force, in_place=args.in_place)
        from xl_support.book.workbook import paused_gc
        from xl_support.operations.live_formulas import refresh_cached_values
        with paused_gc():
            port = open_port(args.book)
            report = validate(port)
            port.activate(CHECK_SHEET)
            refresh_cached_values(port, skip=(CHECK_SHEET,))
            port.save(out)
    else:
        from xl_support.book.workbook import read_grids
        print("Đang đọc sổ…", file=sys.stderr)
        grids = read_grids(args.book)      # screened; an unreadable file is a UserFacingError
        grids.pop(CHECK_SHEET, None)
        report = validate_book(load_book(grids, source=args.book))
        out = None
    for issue in report.issues:
        print(issue_line(issue))
    print(f"Đã ghi {out}" if out else report.summary_text(), file=sys.stderr)
    return 0 if report.ok else 1
