"""City consolidation of the ward workbooks (design.md `consolidate`; issue 7).

Reads each ward workbook itself (registers + `Tham số`, python-calamine) and recomputes it with
the engine — not the numbers a ward exported: a ward may have edited its report, and R11
(highest single benefit) must be applied across units. Each file is first screened by
`safe_open.read_screened` (inside `read_grids`) and runs in its own worker process (a crash
costs that file only, issue 12); a rejected file is reported with a Vietnamese reason and every
other file is still consolidated.

Decisions (issue 7):
* The unit is the `Đơn vị` of the `Tham số` sheet, never the file name. A workbook without a
  recognised unit is consolidated in its own row ("Chưa xác định đơn vị", named by its file)
  below the 114 units and counted in the city totals (its people are paid by someone; R11
  across units still removes double payments if the file duplicates another ward's).
* Two files claiming the same unit: the newer file (modification time; then the later name)
  is consolidated, the older one is listed as superseded and NOT consolidated (a ward that
  re-sends a corrected workbook) — but a ward that copied a neighbour's workbook and forgot
  to change `Đơn vị` would lose its data, so this makes the run partial (exit 3).
* Exit status: 0 every file consolidated into a known unit; 3 partial (a file rejected, a
  file superseded, or a unit unidentified); 2 user error (no input, bad output path).
* Figures of the month and of each month 2026–2030 come from the engine's `eligibility` +
  `month_results` (what `compute_book` runs month by month, without the basis texts); R11 is
  applied city-wide per month with `dedupe.kept_rows` semantics (highest benefit, first row on
  a tie), which includes each ward's own R11. Each ward's own parameter overrides and group
  amounts from its `Tham số` apply, as in its own `compute`; the overrides are listed in
  `Tình trạng tệp`.
* Speed (design.md "Performance"): per book the engine runs once for all months and validation
  reuses its arrays; a worker sends back compact arrays (`Monthly`: changes month to month) in
  one message, their bytes out of band (`dump_result`), to a main process that only waits and
  unpickles (no executor threads); the city step gathers across files only the rows whose ID
  is repeated.
* Insurance cost of a month = insured people × (hi_rate_permille × base_salary of that month,
  rounded to whole VND). Budget need of a year = Σ months of (support + insurance cost).
"""
from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import io
import os
import pickle
import select
import struct
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from xl_support.book.template_layout import CHECK_SHEET, CONF_SHEET, GUIDE_SHEET, SUMMARY_SHEET
from xl_support.book.workbook import Book, Unit, load_book, paused_gc, read_grids, units
from xl_support.engine.dedupe import (LONG_ID, id_keys_of, id_numbers, repeated_ids,
                                      suppressed_by_month)
from xl_support.engine.moves import month_ranges, moves as find_moves
from xl_support.book.fileio import UserFacingError, check_output_path
from xl_support.engine.parameters import DEFAULT as DEFAULT_PARAMETERS
from xl_support.book.register import FIELD_BY_NAME
from xl_support.engine.rules import (Eligibility, People, eligibility, month_results, months_between, people_arrays,
                                     policy_window, to_date)
from xl_support.book.safe_open import SUPPORTED_SUFFIXES, Rejection, ScreenError
from xl_support.engine.schedule import insurance_costs
from xl_support.operations.validation import validate_book

IGNORED_PREFIXES = ("~$", ".")            # Excel lock files, hidden files
LISTED_SUFFIXES = SUPPORTED_SUFFIXES + (".xls", ".xlsb", ".ods", ".xltx", ".xltm")
ESSENTIAL = [f for f in FIELD_BY_NAME.values() if f.essential]


def window_months(params=DEFAULT_PARAMETERS) -> list[dt.date]:
    """domain.md R3 — the 60 months of the policy window (the budget years 2026–2030)."""
    first, last = policy_window(params)
    return months_between(to_date(first), to_date(last))


# ---------------------------------------------------------------- one file (runs in a worker)

@dataclass
class Monthly:
    """A (months × rows) array of whole numbers kept as its changes from one month to the next:
    a row's amount changes a few times in 60 months, so this is ~10× smaller to send from a
    worker process than the array, and exact (integer sums)."""
    shape: tuple[int, int]
    dtype: str
    month: np.ndarray     # int16: month index of each change
    row: np.ndarray       # int32: row of each change
    delta: np.ndarray     # int64: value minus the previous month's value (month 0: minus 0)
    totals: np.ndarray    # (months,) int64: sum over the rows

    @classmethod
    def of(cls, a: np.ndarray) -> "Monthly":
        months, cols = a.shape
        if not a.size:
            none = np.zeros(0, np.int64)
            return cls(a.shape, a.dtype.str, none.astype(np.int16), none.astype(np.int32), none,
                       np.zeros(months, np.int64))
        changed = np.empty(a.shape, dtype=bool)
        np.not_equal(a[0], 0, out=changed[0])
        np.not_equal(a[1:], a[:-1], out=changed[1:])
        flat = np.flatnonzero(changed)                 # as np.nonzero(changed), month by month (~10× faster)
        month, row = np.divmod(flat, cols)
        values = a.ravel()
        delta = values[flat].astype(np.int64)
        later = month > 0
        delta[later] -= values[flat[later] - cols]
        return cls(a.shape, a.dtype.str, month.astype(np.int16), row.astype(np.int32), delta,
                   _month_totals(month, delta, months))

    @classmethod
    def of_amounts(cls, payable: np.ndarray, segments: tuple, amount: np.ndarray) -> "Monthly":
        """`of` the int64 amounts `payable × amount[state of the month]` (`MonthResults.benefit`
        from its `benefit_parts`) without making them: within a run of months in one state
        (`segments`: (first, stop, state)) a row's amount changes where its payable flag does,
        unless the amount is 0; at the start of a run the amounts are compared."""
        months, cols = payable.shape
        if not payable.size:
            return cls.of(np.zeros(payable.shape, np.int64))
        state = np.empty(months, dtype=np.intp)
        changed = np.empty(payable.shape, dtype=bool)
        changed[0] = payable[0]
        np.not_equal(payable[1:], payable[:-1], out=changed[1:])
        for first, stop, s in segments:
            state[first:stop] = s
            changed[first:stop] &= amount[s] != 0
            if first:
                np.not_equal(payable[first] * amount[s], payable[first - 1] * amount[state[first - 1]],
                             out=changed[first])
        flat = np.flatnonzero(changed)
        month, row = np.divmod(flat, cols)
        paid, amounts = payable.ravel(), amount.ravel()
        at = state[month] * cols + row                 # each change's amount, in `amount` flattened
        delta = paid[flat] * amounts[at]
        later = np.flatnonzero(month > 0)
        delta[later] -= paid[flat[later] - cols] * amounts[state[month[later] - 1] * cols + row[later]]
        return cls(payable.shape, np.dtype(np.int64).str, month.astype(np.int16), row.astype(np.int32), delta,
                   _month_totals(month, delta, months))

    def at(self, k: int) -> np.ndarray:
        """Month `k` of every row."""
        keep = self.month <= k
        out = np.zeros(self.shape[1], dtype=np.int64)
        np.add.at(out, self.row[keep], self.delta[keep])
        return out.astype(self.dtype)

    def columns(self, cols: np.ndarray) -> np.ndarray:
        """Every month of the rows `cols` (distinct): (months × len(cols))."""
        if not len(cols):
            return np.zeros((self.shape[0], 0), dtype=self.dtype)
        where = np.full(self.shape[1], -1, dtype=np.int64)
        where[cols] = np.arange(len(cols))
        pos = where[self.row]
        keep = pos >= 0
        out = np.zeros((self.shape[0], len(cols)), dtype=np.int64)
        np.add.at(out, (self.month[keep], pos[keep]), self.delta[keep])
        return np.cumsum(out, axis=0).astype(self.dtype)

    def dense(self) -> np.ndarray:
        return self.columns(np.arange(self.shape[1]))


def _month_totals(month: np.ndarray, delta: np.ndarray, months: int) -> np.ndarray:
    """(months,) int64: the sum over the rows of each month, from the changes (`month` sorted):
    the running sum of the changes up to each month's last one — exact, and a few thousand
    changes are summed, not months × rows values."""
    running = np.concatenate([[0], np.cumsum(delta)])
    return running[np.searchsorted(month, np.arange(months), side="right")]


@dataclass
class Texts:
    """A column of texts as one string and the offsets of its cells: a worker sends it as one
    object, not one per row (issue 18 item 4); None where a cell has no text. The string is kept
    as UTF-8 bytes (sent as an array, not copied out of the message) and decoded when first
    taken: the city names a few rows of a few files, and decoding every ward's names cost the
    main process more than anything else it receives."""
    utf8: np.ndarray                         # uint8: the texts one after the other (`surrogatepass`)
    ends: np.ndarray                         # int64: where each cell's text ends in `joined`
    missing: np.ndarray                      # bool

    @classmethod
    def of(cls, values: list, blank_missing: bool = False) -> "Texts":
        """`values` (a list); `blank_missing`: an empty text, or any false value, is no text too."""
        try:
            joined = "".join(values)                   # texts only: the usual column
        except TypeError:
            if blank_missing:
                values = [v or None for v in values]
            texts = ["" if v is None else str(v) for v in values]
            joined, missing = "".join(texts), np.fromiter((v is None for v in values), bool, count=len(texts))
            return cls(_utf8(joined), np.cumsum(np.fromiter(map(len, texts), np.int64, count=len(texts))), missing)
        lengths = np.fromiter(map(len, values), np.int64, count=len(values))
        return cls(_utf8(joined), np.cumsum(lengths),
                   lengths == 0 if blank_missing else np.zeros(len(values), bool))

    @functools.cached_property
    def joined(self) -> str:
        return self.utf8.tobytes().decode("utf-8", "surrogatepass")

    def take(self, positions) -> list[str | None]:
        starts = np.concatenate([[0], self.ends])
        return [None if self.missing[p] else self.joined[starts[p]:self.ends[p]] for p in positions]


def _utf8(text: str) -> np.ndarray:
    return np.frombuffer(text.encode("utf-8", "surrogatepass"), dtype=np.uint8)


@dataclass
class FileResult:
    """What one workbook contributes; small and picklable (it crosses process boundaries)."""
    path: str
    mtime: float
    rejection: Rejection | None = None
    unit: Unit | None = None
    unit_text: str | None = None
    report_month: dt.date | None = None
    registers: list[tuple[str, str, int]] = field(default_factory=list)   # sheet, kind, rows
    errors: int = 0
    warnings: int = 0
    notes: list[str] = field(default_factory=list)
    months: list[dt.date] = field(default_factory=list)
    # one element per register row, registers in sheet order (each row's sheet and kind: `registers`)
    row: np.ndarray | None = None            # int32 Excel row
    id_number: np.ndarray | None = None      # int64: `dedupe.id_numbers` of the ID keys (R11 across units)
    long_keys: dict[int, str] = field(default_factory=dict)   # row → its ID key where it is LONG_ID
    id_text: Texts | None = None             # the ID as typed (None: no ID)
    name: Texts | None = None                # None: no name
    group: np.ndarray | None = None          # int16: position of the group code in `group_names`, −1 none
    group_names: list[str] = field(default_factory=list)
    area: np.ndarray | None = None           # int8: 0 rural, 1 urban, -1 unknown
    benefit: Monthly | None = None           # (months, rows) int64, before R11
    insurance: Monthly | None = None         # (months, rows) bool, before R11
    hi_cost: np.ndarray | None = None        # (months,) int64 insurance cost of one person
    unconfirmed: Monthly | None = None       # (months, rows) bool: insurance `Chưa xác nhận` (§3); None: none
    checked: dt.date | None = None           # the month the book checks (`Book.month`), its rows below
    at_checked: tuple | None = None          # (benefit, insurance, unconfirmed or None) of every row that month
    closed: list = field(default_factory=list)   # issue 17: (month, paid, entitled) per closed month
    report: list[dict] | None = None         # an exported city report: its `Dữ liệu` rows (no register rows)

    @property
    def n(self) -> int:
        return 0 if self.row is None else len(self.row)


def _validation_counts(book: Book, month: dt.date | None, people=None, benefit=None,
                       insurance=None, eligible=None) -> tuple[int, int, list[str]]:
    """Errors, warnings and the first two errors of a book (`validation.validate_book`, given the
    engine's People per register and the benefit of the checked month when already computed)."""
    report = validate_book(book, month=month, people=people, benefit=benefit, insurance=insurance, eligible=eligible)
    errors = report.errors
    return len(errors), len(report.warnings), [f"{i.sheet} {i.cell}: {i.message}" for i in errors[:2]]


#: Sheets of the template a consolidation does not need: the guide, the outputs `validate` and
#: `summary` write (ours, never a register), xlwings' settings — listed, not parsed.
NOT_READ = frozenset({GUIDE_SHEET, CHECK_SHEET, SUMMARY_SHEET, CONF_SHEET})


def process_file(path: str, months: list[dt.date], month: dt.date | None = None) -> FileResult:
    """Screen, read and compute one workbook for `months` (never raises for a bad file)."""
    with paused_gc():
        return _process_file(path, months, month)


def _process_file(path: str, months: list[dt.date], month: dt.date | None) -> FileResult:
    p = Path(path)
    try:
        mtime = p.stat().st_mtime
    except OSError:
        mtime = 0.0
    out = FileResult(path=str(path), mtime=mtime)
    try:
        book = load_book(read_grids(p, empty_as_none=False, skip=NOT_READ), source=str(p))   # screened first
        return compute_file(book, months, out, month)
    except ScreenError as e:
        out.rejection = e.rejection
    except MemoryError:
        out.rejection = Rejection("TOO_BIG", "Không đủ bộ nhớ để đọc tệp (tệp quá lớn hoặc có vùng dữ liệu bất "
                                             "thường): hãy đề nghị đơn vị xóa các vùng thừa rồi gửi lại")
    except Exception as e:   # noqa: BLE001 — one bad file never stops the others
        out.rejection = Rejection("CORRUPT", f"Không đọc hoặc không tính được tệp ({type(e).__name__}): "
                                             "hãy đề nghị đơn vị mở bằng Excel, lưu lại rồi gửi lại")
    return out


def compute_file(book: Book, months: list[dt.date], out: FileResult, month: dt.date | None = None) -> FileResult:
    """The engine over every register of a book, month by month (R1–R10; R11 is city-wide)."""
    s = book.settings
    out.unit, out.unit_text, out.report_month = s.unit, s.unit_name, s.report_month
    if SHEET_CITY in book.sheet_names and SHEET_FILES in book.sheet_names:
        out.rejection = Rejection("CITY_WORKBOOK", "Đây là sổ tổng hợp thành phố (kết quả của một lần tổng hợp "
                                                   "trước), không phải sổ của đơn vị")
        return out
    if not book.registers and is_city_report(book):
        return report_file(book, months, out)
    if not book.registers:
        out.rejection = Rejection("NO_REGISTER", "Không có sổ đăng ký (không sheet nào có dòng tiêu đề gồm «Họ và tên» "
                                                 "và «Mã đối tượng»): tệp không theo mẫu hoặc là mẫu phiên bản khác")
        return out
    for reg in book.registers:
        missing = [f.header for f in ESSENTIAL if reg.kind in f.registers and f.name not in reg.columns]
        if missing:
            out.rejection = Rejection("OTHER_VERSION", f"Sheet «{reg.sheet}» thiếu cột {', '.join(missing)}: "
                                                       "tệp theo mẫu phiên bản khác, hãy đề nghị đơn vị chuyển sang mẫu hiện hành")
            return out
    # one People for all registers of the book (same settings): one engine call for all months;
    # validation reuses the registers' People and the benefit of its month (the engine runs once)
    parts = [(reg, people_arrays(reg.table, s.groups, s.default_area)) for reg in book.registers]
    people = People(**{f.name: np.concatenate([getattr(p, f.name) for _, p in parts])
                       for f in dataclasses.fields(People)})
    elig = eligibility(people, s.groups, s.params)
    results = month_results(people, elig, months, s.groups, s.params)
    out.registers = [(reg.sheet, reg.kind, len(reg.table)) for reg, _ in parts]
    checked = book.month(month)
    unconfirmed = np.count_nonzero(results.insurance_unconfirmed) > 0
    if checked in months:               # the checked month's rows: validated here, sent as they are
        k = months.index(checked)
        out.checked = checked
        out.at_checked = (results.benefit_at(k), results.insurance[k].copy(),
                          results.insurance_unconfirmed[k].copy() if unconfirmed else None)
    cuts = np.cumsum([len(p) for _, p in parts])[:-1]
    benefit, insured = (np.split(a, cuts) for a in out.at_checked[:2]) if out.at_checked else (None, None)
    bounds = list(zip([0, *cuts], [*cuts, len(people)]))     # each register's rows: its eligibility
    eligible = [Eligibility(**{f.name: None if (v := getattr(elig, f.name)) is None else v[a:b]
                               for f in dataclasses.fields(Eligibility)}) for a, b in bounds]
    out.errors, out.warnings, first = _validation_counts(book, month, [p for _, p in parts], benefit, insured,
                                                         eligible)
    if not s.found:
        out.notes.append("Không có sheet «Tham số»: không xác định được đơn vị")
    elif s.unit is None:
        out.notes.append(f"Đơn vị «{s.unit_name}» không có trong danh sách 114 đơn vị" if s.unit_name
                         else "Sheet «Tham số» chưa ghi «Đơn vị»")
    if s.overrides:
        out.notes.append("Tham số riêng của đơn vị: " + "; ".join(s.overrides))
    out.notes.extend(first)
    out.months = list(months)
    closed = book.closed_months()                        # `Đã chi trả` (issue 17)
    if closed:
        from xl_support.operations.changes import paid_vs_entitled
        out.closed = paid_vs_entitled(book, closed)

    out.row = np.concatenate([np.asarray(reg.table["row"], dtype=np.int32) for reg in book.registers])
    keys = [k for reg in book.registers for k in reg.table["id_key"].tolist()]
    out.id_number = id_numbers(keys)
    out.long_keys = {int(i): keys[i] for i in np.flatnonzero(out.id_number == LONG_ID)}
    out.id_text = Texts.of(_cells(book.registers, "id"))
    out.name = Texts.of(_cells(book.registers, "name"), blank_missing=True)
    out.group, out.group_names = _group_codes(book.registers)
    out.area = people.area
    out.benefit = Monthly.of_amounts(results.payable, *results.benefit_parts)   # money: int64 end to end
    out.insurance = Monthly.of(results.insurance)
    out.hi_cost = np.array(insurance_costs(s.params, tuple(months)), dtype=np.int64)
    if unconfirmed:
        out.unconfirmed = Monthly.of(results.insurance_unconfirmed)
    return out


def _cells(registers, name: str) -> list:
    """The cells of a column as read (`Register.raw`), registers one after the other (None where
    a register has no such column)."""
    out: list = []
    for reg in registers:
        cells = reg.raw.get(name)
        out.extend([None] * len(reg.table) if cells is None else cells)
    return out


def _group_codes(registers) -> tuple[np.ndarray, list[str]]:
    """Each row's group code as its position in the codes in order of first appearance
    (`dedupe.factorize` of the column, int16; −1 none) and those codes. Where parsing kept a
    register's column by its distinct cells (`Table.distinct`: positions in order of first
    appearance, their codes) the few codes are looked up, not the rows."""
    columns = []
    for reg in registers:
        table = reg.table
        if "group" not in table:
            columns.append((None, [None] * len(table)))
        elif "group" in getattr(table, "distinct", {}):
            columns.append(table.distinct["group"])
        else:
            columns.append((None, table["group"].tolist()))
    names = [k for k in dict.fromkeys(v for _, values in columns for v in values) if k is not None]
    index = {k: i for i, k in enumerate(names)}
    codes = []
    for positions, values in columns:
        table = np.array([-1 if v is None else index[v] for v in values], dtype=np.int64)
        codes.append(table if positions is None else table[positions])
    return (np.concatenate(codes) if codes else np.zeros(0, np.int64)).astype(np.int16), names


def is_city_report(book: Book) -> bool:
    """A ward's exported `city-report` (sheets `Báo cáo` and `Dữ liệu`, no register)."""
    from xl_support.operations.exports.city import DATA_SHEET, REPORT_SHEET
    return DATA_SHEET in book.sheet_names and REPORT_SHEET in book.sheet_names


def report_file(book: Book, months: list[dt.date], out: FileResult) -> FileResult:
    """A ward that sent its exported city report instead of its workbook (issue 16): its figures
    are taken from the `Dữ liệu` sheet (`exports.city.CITY_DATA_COLUMNS`); it has no person rows,
    so R11 across units and the duplicate list cannot include it, and the budget need is known
    for the report's year only."""
    from xl_support.book.workbook import find_unit
    from xl_support.operations.exports.city import read_city_data
    try:
        rows = read_city_data(book.source)
    except Exception as e:   # noqa: BLE001 — a `Dữ liệu` sheet that does not follow the contract
        out.rejection = Rejection("BAD_REPORT", f"Sheet «Dữ liệu» của báo cáo không đúng mẫu ({type(e).__name__}): "
                                                "hãy đề nghị đơn vị xuất lại báo cáo hoặc gửi sổ")
        return out
    if not rows:
        out.rejection = Rejection("BAD_REPORT", "Sheet «Dữ liệu» của báo cáo không có số liệu")
        return out
    first = rows[0]
    out.unit_text = first["don_vi"] or None
    out.unit = find_unit(first["don_vi"], first["loai_don_vi"] or None)
    try:
        mm, yyyy = str(first["thang"]).split("/")
        out.report_month = dt.date(int(yyyy), int(mm), 1)
    except ValueError:
        out.report_month = None
    out.report = rows
    out.months = list(months)
    n = len(months)
    out.id_text, out.name = Texts.of([]), Texts.of([])
    out.group = np.zeros(0, np.int16)
    out.id_number = np.zeros(0, np.int64)
    out.row = np.zeros(0, np.int32)
    out.area = np.zeros(0, np.int8)
    out.benefit = Monthly.of(np.zeros((n, 0), np.int64))
    out.insurance = Monthly.of(np.zeros((n, 0), bool))
    out.hi_cost = np.zeros(n, np.int64)
    out.notes.append(FROM_REPORT_NOTE)
    if out.unit is None:
        out.notes.append(f"Đơn vị «{first['don_vi']}» không có trong danh sách 114 đơn vị")
    return out


FROM_REPORT = "từ báo cáo"
FROM_REPORT_NOTE = ("Tổng hợp từ báo cáo (sheet «Dữ liệu»), không từ sổ: không kiểm tra được người hưởng ở hai đơn "
                    "vị; nhu cầu kinh phí chỉ có năm của báo cáo")


def _report_of_other_month(r: FileResult, month: dt.date) -> FileResult:
    """A city report of another month cannot be added to this month's figures: rejected."""
    if r.report is None or r.rejection or r.report_month == month:
        return r
    said = f"Báo cáo tháng {r.report_month:%m/%Y}" if r.report_month else "Báo cáo không rõ tháng"
    return dataclasses.replace(r, rejection=Rejection(
        "REPORT_MONTH", f"{said}, không phải tháng tổng hợp {month:%m/%Y}: hãy đề nghị đơn vị gửi báo cáo "
                        "đúng tháng hoặc gửi sổ"))


def _report_unit_row(r: FileResult, row: "UnitRow", month: dt.date, years: list[int]) -> "UnitRow":
    """A unit's line from its city report, when the report is of the consolidated month."""
    if r.report_month != month:
        row.status = f"Báo cáo tháng {r.report_month:%m/%Y}" if r.report_month else "Báo cáo không rõ tháng"
        return row
    data = r.report
    row.status = f"Đã tổng hợp ({FROM_REPORT})"
    row.paid = {k: sum(d["so_nguoi"] for d in data if d["nghi_quyet"].replace(" ", "").startswith(f"NQ{k[2:]}"))
                for k in ("NQ55", "NQ04")}
    row.benefit = sum(d["kinh_phi_thang"] for d in data)
    row.insured = sum(d["so_bhyt"] for d in data)
    row.insurance_cost = sum(d["kinh_phi_bhyt_thang"] for d in data)
    row.years = {y: (sum(d["luy_ke_nam_ho_tro"] + d["luy_ke_nam_bhyt"] + d["can_den_het_nam_ho_tro"]
                         + d["can_den_het_nam_bhyt"] for d in data) if y == month.year else None) for y in years}
    return row


def _report_group_rows(chosen: list[FileResult], month: dt.date) -> list[tuple]:
    """The month's figures per group × area of the units consolidated from their reports:
    (group, area, paid, benefit, insured, cost)."""
    area = {"Thành thị": "Thành thị", "Nông thôn": "Nông thôn"}
    return [(d["ma_doi_tuong"], area.get(d["khu_vuc"], "Chưa rõ"), d["so_nguoi"], d["kinh_phi_thang"], d["so_bhyt"],
             d["kinh_phi_bhyt_thang"])
            for r in chosen if r.report is not None and r.report_month == month for d in r.report]


GROUP_FIGURES = ("paid", "benefit", "insured", "cost")


def group_totals(code_names: list[str], area_names: list[str],
                 parts: list[tuple]) -> dict[tuple[str, str], dict[str, int]]:
    """(group code, area) → the sums of GROUP_FIGURES over the rows of `parts`, each (code, area,
    figures): positions in `code_names` and `area_names`, and an array per figure (bool: counted;
    else whole numbers, summed in int64); rows without a group code (−1) are left out. The pairs
    are few: one slot each (no sort of the rows)."""
    width = max(len(area_names), 1)
    size = len(code_names) * width
    present = np.zeros(size, dtype=bool)
    sums = [np.zeros(size, dtype=np.int64) for _ in GROUP_FIGURES]
    for code, area, figures in parts:
        has = code >= 0
        pair = code[has].astype(np.intp) * width + area[has]
        present[pair] = True
        for total, values in zip(sums, figures):
            values = np.asarray(values)[has]
            if values.dtype == bool:
                total += np.bincount(pair[values], minlength=size)
            else:
                np.add.at(total, pair, values.astype(np.int64, copy=False))
    pairs = np.flatnonzero(present)
    keys = [(code_names[p // width], area_names[p % width]) for p in pairs.tolist()]
    columns = zip(*(total[pairs].tolist() for total in sums))
    return {k: dict(zip(GROUP_FIGURES, column)) for k, column in zip(keys, columns)}


# ---------------------------------------------------------------- inputs

def expand_inputs(inputs: list[str]) -> list[Path]:
    """Folders → their workbook files (sorted; Excel lock files `~$…` skipped); files as given.
    Files of unsupported formats found in a folder are kept so they are reported."""
    files: list[Path] = []
    for text in inputs:
        p = Path(text)
        if p.is_dir():
            files.extend(sorted(f for f in p.iterdir() if f.is_file() and f.suffix.lower() in LISTED_SUFFIXES
                                and not f.name.startswith(IGNORED_PREFIXES)))
        elif p.exists():
            files.append(p)
        else:
            raise UserFacingError(f"Không tìm thấy tệp hoặc thư mục «{text}»")
    seen, unique = set(), []
    for f in files:
        key = os.path.normcase(os.path.abspath(f))
        if key not in seen:
            seen.add(key)
            unique.append(f)
    if not unique:
        raise UserFacingError("Không có sổ Excel (.xlsx, .xlsm) nào trong " + ", ".join(f"«{t}»" for t in inputs))
    return unique


def refuse_output_among_inputs(out: str | Path, inputs: list[str], files: list[Path]) -> None:
    """issue 12: the city workbook never replaces a ward's workbook, nor lands in a folder being
    consolidated (the next run would read it as a ward) — refused even with --force."""
    def key(p) -> str:
        return os.path.normcase(os.path.realpath(p))
    target = key(out)
    if any(target == key(f) for f in files):
        raise UserFacingError(f"Tệp kết quả «{out}» là một sổ đầu vào: không ghi đè sổ của đơn vị (kể cả với "
                              "--force). Hãy chọn tên tệp khác, ở thư mục khác.")
    for text in inputs:
        if Path(text).is_dir():
            folder = key(text)
            if target.startswith(folder.rstrip(os.sep) + os.sep):
                raise UserFacingError(f"Tệp kết quả «{out}» nằm trong thư mục đầu vào «{text}»: lần tổng hợp sau "
                                      "sẽ đọc nhầm nó như sổ của đơn vị. Hãy ghi kết quả ra thư mục khác.")


def default_jobs(n_files: int) -> int:
    """2 processes on this 2-core machine from 8 files on (measured: benchmarks/bench_consolidate.py)."""
    return 2 if n_files >= 8 and (os.cpu_count() or 1) >= 2 else 1


#: Address space of one worker process: a file that needs more fails alone (MemoryError or the
#: worker dies) instead of taking the machine or the other files down (issue 12).
WORKER_MEMORY = 3 * 2**30
CRASHED = Rejection("CRASH", "Tệp làm chương trình đọc dừng đột ngột (tệp hỏng, quá lớn hoặc có vùng dữ liệu "
                             "bất thường); các tệp khác vẫn được tổng hợp: hãy đề nghị đơn vị lưu lại rồi gửi lại")


def _limit_worker_memory(limit: int = WORKER_MEMORY) -> None:
    """Pool initializer: cap the worker's address space (POSIX; elsewhere nothing to do). A
    worker that dies is reported per file: no fault dump on the console."""
    import faulthandler
    faulthandler.disable()
    try:
        import resource
        soft, hard = resource.getrlimit(resource.RLIMIT_AS)
        if hard != resource.RLIM_INFINITY:
            limit = min(limit, hard)
        resource.setrlimit(resource.RLIMIT_AS, (limit, hard))
    except (ImportError, ValueError, OSError):
        pass


class _ResultPickler(pickle.Pickler):
    """Pickles a FileResult's arrays (1-D, numbers) as `np.frombuffer` of an out-of-band buffer
    (protocol 5): a C call per array on loading, not numpy's own reduction."""

    def reducer_override(self, obj):
        if type(obj) is np.ndarray and obj.ndim == 1 and obj.dtype.kind in "biuf" and obj.flags.c_contiguous:
            return np.frombuffer, (pickle.PickleBuffer(obj), obj.dtype.str)
        return NotImplemented


def dump_result(result: FileResult) -> list:
    """A FileResult as one message for the main process, in parts (written as they are, not
    joined): its length, the sizes of its parts, its pickle, then its arrays' bytes, each part
    padded to a multiple of 8 bytes."""
    buffers: list = []
    f = io.BytesIO()
    _ResultPickler(f, protocol=5, buffer_callback=buffers.append).dump(result)
    parts = [f.getbuffer(), *(b.raw() for b in buffers)]
    sizes = [p.nbytes for p in parts]
    out = [struct.pack(f"<{len(sizes) + 2}Q", 8 * (len(sizes) + 1) + sum(n + -n % 8 for n in sizes),
                       len(sizes), *sizes)]
    for part, n in zip(parts, sizes):
        out += (part, bytes(-n % 8))
    return out


def load_result(message: bytearray) -> FileResult:
    """`dump_result`'s message (without its length) → the FileResult (its arrays: views of it)."""
    view = memoryview(message)
    (count,) = struct.unpack_from("<Q", view)
    at, parts = 8 * (count + 1), []
    for n in struct.unpack_from(f"<{count}Q", view, 8):
        parts.append(view[at:at + n])
        at += n + -n % 8
    return pickle.loads(parts[0], buffers=parts[1:])


#: POSIX: a message goes through the pipe's descriptor from its parts straight into the buffer
#: it is read from (no joined copy, no chunks); elsewhere through `Connection` as bytes.
_RAW = hasattr(os, "writev") and hasattr(os, "readv")


def _send_message(conn, parts: list) -> None:
    if not _RAW:
        conn.send_bytes(b"".join(parts))
        return
    views = [memoryview(p).cast("B") for p in parts]
    while views:
        n = os.writev(conn.fileno(), views[:1024])          # IOV_MAX
        while views and n >= len(views[0]):
            n -= len(views.pop(0))
        if n:
            views[0] = views[0][n:]


def _recv_message(conn) -> bytearray:
    """A message's bytes after its length (EOFError: the other side is gone)."""
    if not _RAW:
        return bytearray(conn.recv_bytes()[8:])
    (size,) = struct.unpack("<Q", _read_into(conn, bytearray(8)))
    return _read_into(conn, bytearray(size))


def _read_into(conn, buf: bytearray) -> bytearray:
    view, got = memoryview(buf), 0
    while got < len(buf):
        n = os.readv(conn.fileno(), [view[got:]])
        if not n:
            raise EOFError
        got += n
    return buf


def _worker(conn, paths: list[str], months, month) -> None:
    """A worker process of `_pool_run`: file positions in, `dump_result`s out (a message of no
    parts: the result could not be sent); an empty request or a closed pipe ends it. The months
    of a result are the ones asked: not sent back. Ctrl+C ends it quietly: the main process
    tells the user (no traceback per worker)."""
    _limit_worker_memory()
    try:
        while task := conn.recv_bytes():
            result = process_file(paths[int.from_bytes(task, "little")], months, month)
            if result.months == months:
                result.months = None
            try:
                message = dump_result(result)
            except Exception:   # noqa: BLE001 — reported as a crash of this file
                message = [struct.pack("<QQ", 8, 0)]       # no parts: not loadable
            _send_message(conn, message)
    except (EOFError, OSError, KeyboardInterrupt):          # the main process gone, or Ctrl+C
        return


#: Files a worker holds at once: the one it is on and the next (`_pool_run`).
AHEAD = 2


def _pool_run(items: list[tuple[int, Path]], months, month, jobs: int, done) -> list[int]:
    """process_file on `jobs` worker processes, one file at a time each; `done(i, result)` per
    file. Returns the indices of the files whose worker died while on them (a new worker takes
    the files left). One pipe per worker, the file's position sent, its result back
    (`dump_result`): the main process only waits, reads and unpickles (issue 18 item 4: it shares
    the cores with the workers). A worker holds its next file before it finishes the one it is on
    (`AHEAD`), so it never waits for the main process between files; not near the end, where that
    file could be waiting behind a worker while another is idle."""
    import multiprocessing
    from multiprocessing.connection import wait

    # what every worker imports to read a book, imported once here: forked workers (POSIX) inherit
    # it instead of each importing it again (issue 18 item 5)
    import python_calamine  # noqa: F401
    import xl_support.book.xlsx  # noqa: F401
    ctx = multiprocessing.get_context()
    paths = [str(p) for _, p in items]
    todo = list(range(len(items)))[::-1]
    workers: dict = {}                 # pipe → [process, positions of its files, oldest first]
    died: list[int] = []
    poll = select.poll() if _RAW else None          # POSIX: one poll set for the pool's life
    by_fd: dict = {}

    def ready() -> list:
        if poll is None:
            return wait(list(workers))
        return [by_fd[fd] for fd, _ in poll.poll()]

    def start() -> None:
        mine, theirs = ctx.Pipe()
        process = ctx.Process(target=_worker, args=(theirs, paths, months, month), daemon=True)
        process.start()
        theirs.close()
        workers[mine] = [process, []]
        if poll is not None:
            by_fd[mine.fileno()] = mine
            poll.register(mine.fileno(), select.POLLIN)
        feed(mine)

    def feed(pipe) -> None:
        held = workers[pipe][1]
        while todo and len(held) < (AHEAD if len(todo) > len(workers) else 1):
            held.append(todo.pop())
            pipe.send_bytes(held[-1].to_bytes(4, "little"))
        if not held:
            stop(pipe)

    def stop(pipe) -> None:
        process, _ = workers.pop(pipe)
        if poll is not None:
            fd = pipe.fileno()
            del by_fd[fd]
            poll.unregister(fd)
        try:
            pipe.send_bytes(b"")
        except OSError:
            pass
        pipe.close()
        process.join()

    try:
        for _ in range(min(jobs, len(items))):
            start()
        while workers:
            for pipe in ready():
                held = workers[pipe][1]
                try:
                    message = _recv_message(pipe)
                except (EOFError, OSError):              # the worker died on its oldest file
                    died.append(items[held[0]][0])
                    todo.extend(held[:0:-1])             # the ones it held after it: next, in order
                    stop(pipe)
                    if todo:
                        start()
                    continue
                k = held.pop(0)
                try:
                    result = load_result(message)
                except Exception:   # noqa: BLE001 — the worker could not send this file's result
                    result = None
                if result is not None and result.months is None:
                    result.months = list(months)
                done(items[k][0], result if result is not None else FileResult(paths[k], 0.0, CRASHED))
                feed(pipe)
    finally:
        for pipe in list(workers):
            workers[pipe][0].kill()
            stop(pipe)
    return sorted(died)


class Progress:
    """`Tổng hợp: 12/114 tệp` on one line of a terminal's stderr, erased at the end (nothing
    when stderr is not a terminal: a log file gets the summary line only)."""

    def __init__(self, total: int, what: str, unit: str, enabled: bool = True):
        self.total, self.what, self.unit, self.done = total, what, unit, 0
        self.enabled = enabled and sys.stderr.isatty()
        self._shown = 0.0

    def update(self) -> None:
        self.done += 1
        now = time.monotonic()
        if self.enabled and (now - self._shown >= 0.1 or self.done == self.total):
            self._shown = now
            sys.stderr.write(f"\r{self.what}: {self.done}/{self.total} {self.unit}")
            sys.stderr.flush()

    def close(self) -> None:
        if self.enabled and self._shown:
            sys.stderr.write("\r\x1b[K")
            sys.stderr.flush()


def run_files(paths: list[Path], months: list[dt.date], month: dt.date | None = None, jobs: int = 0,
              progress: bool = True) -> list[FileResult]:
    """process_file over every path in worker processes (`jobs`, 0 = choose), with a progress
    bar. Each file is isolated (issue 12): a worker that dies (native abort, out of memory)
    costs the file it was on, which is run again alone in a fresh worker afterwards; only the
    file that kills its own worker is rejected."""
    jobs = jobs or default_jobs(len(paths))
    bar = Progress(len(paths), "Tổng hợp", "tệp", enabled=progress)
    results: dict[int, FileResult] = {}

    def done(i: int, result: FileResult) -> None:
        results[i] = result
        bar.update()

    try:
        left = _pool_run(list(enumerate(paths)), months, month, max(1, min(jobs, len(paths))), done)
        for i in left:                                   # alone, so a crash costs only this file
            if _pool_run([(i, paths[i])], months, month, 1, done):
                done(i, FileResult(str(paths[i]), 0.0, CRASHED))
    finally:
        bar.close()
    return [results[i] for i in range(len(paths))]


# ---------------------------------------------------------------- the city

OK, UNIDENTIFIED, SUPERSEDED, REJECTED = "ok", "unidentified", "superseded", "rejected"
FILE_STATUS_VI = {OK: "Đã tổng hợp", UNIDENTIFIED: "Đã tổng hợp – chưa xác định đơn vị",
                  SUPERSEDED: "Không tổng hợp – trùng đơn vị với tệp mới hơn", REJECTED: "Bị loại"}


@dataclass
class FileStatus:
    path: Path
    status: str                 # OK | UNIDENTIFIED | SUPERSEDED | REJECTED
    unit: Unit | None
    unit_text: str | None
    rows: int
    registers: int
    errors: int
    warnings: int
    reason: str                 # Vietnamese (rejection reason, superseding file, notes)
    from_report: bool = False   # consolidated from the unit's exported city report (issue 16)


@dataclass
class UnitRow:
    label: str                  # unit full name, or the file name for an unidentified workbook
    unit: Unit | None
    status: str                 # Vietnamese
    received: bool
    rows: int = 0
    paid: dict = field(default_factory=lambda: {"NQ55": 0, "NQ04": 0})
    benefit: int = 0
    insured: int = 0
    insurance_cost: int = 0
    years: dict = field(default_factory=dict)     # year → budget need (support + insurance)


@dataclass
class DuplicateRow:
    person: int                 # 1, 2, … per ID
    id_text: str
    name: str
    unit: str
    sheet: str
    row: int
    group: str
    benefit: int                # the ward's own figure for the month (before R11 across units)
    kept: bool
    note: str


@dataclass
class ConsolidationResult:
    month: dt.date
    files: list[FileStatus]
    units: list[UnitRow]                      # the 114 in list order, then unidentified files
    missing: list[tuple[Unit, str]]           # units without a consolidated workbook, with a note
    duplicates: list[DuplicateRow]
    groups: dict[tuple[str, str], dict[str, int]]   # (group code, area) → paid, benefit, insured, cost
    years: list[int]
    out: Path | None = None
    seconds: float = 0.0
    moves: list = field(default_factory=list)  # MoveRow: people paid by two units (R12)
    unconfirmed: int = 0                       # people with insurance `Chưa xác nhận` in the month (§3)
    closed: list = field(default_factory=list)  # (unit, month, paid, entitled): closed months (issue 17)

    @property
    def partial(self) -> bool:
        return any(f.status != OK for f in self.files)

    @property
    def exit_status(self) -> int:
        return 3 if self.partial else 0

    def total(self, attr: str) -> int:
        return sum(getattr(u, attr) for u in self.units)


def choose_month(results: list[FileResult], month: dt.date | None) -> dt.date:
    """The asked month; else the report month most files give (the latest on a tie); else today's."""
    if month:
        return month.replace(day=1)
    counts = Counter(r.report_month for r in results if r.report_month and not r.rejection)
    if counts:
        best = max(counts.values())
        return max(m for m, c in counts.items() if c == best).replace(day=1)
    return dt.date.today().replace(day=1)


def _select(results: list[FileResult]) -> tuple[list[FileResult], dict[str, str]]:
    """Files consolidated (unit order, then unidentified by name) and the superseded ones."""
    by_unit: dict[Unit, list[FileResult]] = {}
    unidentified = []
    for r in results:
        if r.rejection:
            continue
        if r.unit is None:
            unidentified.append(r)
        else:
            by_unit.setdefault(r.unit, []).append(r)
    superseded: dict[str, str] = {}
    chosen = []
    for unit in units():
        files = by_unit.get(unit)
        if not files:
            continue
        if len(files) > 1:
            files.sort(key=lambda r: (r.report is None, r.mtime, Path(r.path).name))   # a workbook wins over a report
        chosen.append(files[-1])
        for old in files[:-1]:
            superseded[old.path] = (f"Cùng đơn vị «{unit.full_name}» với tệp mới hơn «{Path(files[-1].path).name}» "
                                    "(tệp mới hơn được tổng hợp). Nếu là hai đơn vị khác nhau, hãy đề nghị đơn vị "
                                    "sửa ô «Đơn vị» ở sheet Tham số")
    chosen.extend(sorted(unidentified, key=lambda r: Path(r.path).name))
    return chosen, superseded


def city(results: list[FileResult], month: dt.date) -> ConsolidationResult:
    """Every file's contribution → the city's tables (R11 across units, per month).

    Sums are taken per file over its (months × rows) arrays, then the rows R11 does not pay are
    taken off; only rows whose ID is repeated city-wide are gathered across files."""
    results = [_report_of_other_month(r, month) for r in results]
    chosen, superseded = _select(results)
    months = chosen[0].months if chosen else window_months()
    mi = months.index(month) if month in months else None
    years = sorted({m.year for m in window_months()})
    year_of = np.array([m.year for m in months])

    # R11 across units on the rows whose ID is repeated (suppressed: months × those rows)
    n_rows = [r.n for r in chosen]
    starts = np.concatenate([[0], np.cumsum(n_rows)]).astype(np.int64)
    owner = np.repeat(np.arange(len(chosen)), n_rows)
    numbers = np.concatenate([r.id_number for r in chosen]) if chosen else np.zeros(0, np.int64)
    long_keys = {int(starts[i]) + j: k for i, r in enumerate(chosen) for j, k in r.long_keys.items()}
    dup_cols = np.flatnonzero(repeated_ids(numbers, long_keys))
    dup_keys = id_keys_of(numbers[dup_cols], [long_keys.get(p) for p in dup_cols.tolist()])
    dup_owner = owner[dup_cols]
    bounds = np.searchsorted(dup_owner, np.arange(len(chosen) + 1))     # file i's: dup_cols[bounds[i]:bounds[i + 1]]
    local = [dup_cols[a:b] - starts[i] for i, (a, b) in enumerate(zip(bounds[:-1], bounds[1:]))]
    dup_benefit = (np.concatenate([r.benefit.columns(c) for r, c in zip(chosen, local)], axis=1) if chosen
                   else np.zeros((len(months), 0), np.int64))
    dup_insurance = (np.concatenate([r.insurance.columns(c) for r, c in zip(chosen, local)], axis=1) if chosen
                     else np.zeros((len(months), 0), bool))
    dup_suppressed = suppressed_by_month(dup_keys, dup_benefit, dup_insurance)
    taken_benefit = np.where(dup_suppressed, dup_benefit, 0).astype(np.int64)     # not paid: R11
    taken_insured = dup_insurance & dup_suppressed

    # the month's arrays over all rows (R11 applied)
    suppressed_month = np.zeros(len(numbers), dtype=bool)
    at_month = [_month_rows(r, month, mi) for r in chosen] if mi is not None else []
    if mi is not None:
        suppressed_month[dup_cols] = dup_suppressed[mi]
        ward_benefit = np.concatenate([a[0] for a in at_month]) if chosen else np.zeros(0, np.int64)
        ward_insurance = np.concatenate([a[1] for a in at_month]) if chosen else np.zeros(0, bool)
        month_paid = ward_benefit.astype(np.int64)
        month_paid[suppressed_month] = 0
        month_insured = ward_insurance & ~suppressed_month
        hi_month = np.array([r.hi_cost[mi] for r in chosen], dtype=np.int64)
        month_cost = month_insured * hi_month[owner]
    else:
        month_paid = np.zeros(len(numbers), np.int64)
        month_insured = np.zeros(len(numbers), bool)
        month_cost = np.zeros(len(numbers), np.int64)

    # per file sums: of the month (each file's and register's slice of the rows), and per month
    # (each file's totals less the rows R11 does not pay)
    is_paid = month_paid > 0
    need = np.zeros((len(chosen), len(months)), np.int64)
    if chosen:
        taken = [cut_cols[:, bounds[1:]] - cut_cols[:, bounds[:-1]]            # months × files
                 for cut_cols in (np.cumsum(np.pad(t, ((0, 0), (1, 0))), axis=1, dtype=np.int64)
                                  for t in (taken_benefit, taken_insured))]
        paid = np.stack([r.benefit.totals for r in chosen]) - taken[0].T
        insured = np.stack([r.insurance.totals for r in chosen]) - taken[1].T
        need = paid + insured * np.stack([r.hi_cost for r in chosen])
    need_by_year = {y: need[:, year_of == y].sum(axis=1).tolist() for y in years}
    unit_rows: dict[str, UnitRow] = {}
    for i, r in enumerate(chosen):
        a, b = int(starts[i]), int(starts[i + 1])
        label = r.unit.full_name if r.unit else Path(r.path).name + (f" («{r.unit_text}»)" if r.unit_text else "")
        row = UnitRow(label=label, unit=r.unit,
                      status="Đã tổng hợp" if r.unit else "Chưa xác định đơn vị", received=True, rows=r.n)
        row.paid = {"NQ55": 0, "NQ04": 0}
        at = a
        for _, kind, n in r.registers:
            row.paid[kind] = row.paid.get(kind, 0) + int(np.count_nonzero(is_paid[at:at + n]))
            at += n
        row.benefit = int(month_paid[a:b].sum())
        row.insured = int(np.count_nonzero(month_insured[a:b]))
        row.insurance_cost = int(month_cost[a:b].sum())
        row.years = {y: need_by_year[y][i] for y in years}
        if r.report is not None:
            row = _report_unit_row(r, row, month, years)
        unit_rows[r.path] = row

    # file statuses
    files: list[FileStatus] = []
    rejected_by_unit: dict[Unit, str] = {}
    for r in results:
        if r.rejection:
            status, reason = REJECTED, r.rejection.reason
            if r.unit:
                rejected_by_unit.setdefault(r.unit, reason)
        elif r.path in superseded:
            status, reason = SUPERSEDED, superseded[r.path]
        else:
            status, reason = (OK if r.unit else UNIDENTIFIED), "; ".join(r.notes)
        files.append(FileStatus(Path(r.path), status, r.unit, r.unit_text, r.n, len(r.registers), r.errors,
                                r.warnings, reason, from_report=r.report is not None))

    # the 114 units, then unidentified files
    by_unit = {r.unit: unit_rows[r.path] for r in chosen if r.unit}
    table, missing = [], []
    for unit in units():
        if unit in by_unit:
            table.append(by_unit[unit])
        else:
            note = "Tệp gửi bị loại: " + rejected_by_unit[unit] if unit in rejected_by_unit else ""
            table.append(UnitRow(unit.full_name, unit, "Tệp bị loại" if note else "Chưa gửi", False))
            missing.append((unit, note))
    table.extend(unit_rows[r.path] for r in chosen if not r.unit)

    details = _row_details(chosen, starts, dup_cols)
    # people paid in two units (R11 across units): IDs with rows the wards pay in ≥ 2 files
    duplicates: list[DuplicateRow] = []
    if mi is not None and len(numbers):
        ward_paid = (ward_benefit > 0) | ward_insurance
        by_key: dict = {}
        for p, key in zip(dup_cols.tolist(), dup_keys):
            if ward_paid[p] and key is not None:         # only a repeated ID can be in two files
                by_key.setdefault(key, []).append(p)
        person = 0
        for key in sorted(k for k, ps in by_key.items() if len({owner[p] for p in ps}) > 1):
            person += 1
            positions = by_key[key]
            kept_pos = [p for p in positions if not suppressed_month[p]]
            kept_label = (unit_rows[chosen[owner[kept_pos[0]]].path].label if kept_pos else "")
            for p in sorted(positions, key=lambda p: (suppressed_month[p], p)):
                kept = not suppressed_month[p]
                where = unit_rows[chosen[owner[p]].path].label
                note = ("Được chi trả (mức cao nhất)" if kept else
                        f"Không chi trả: đã hưởng mức cao hơn hoặc bằng tại «{kept_label}» – đề nghị đơn vị "
                        "dừng chi trả (người chuyển đi: ghi «Thôi chi trả từ tháng»; xem sheet «Chuyển nơi cư trú»)")
                id_text, name, sheet, excel_row, group = details[p]
                duplicates.append(DuplicateRow(person, str(id_text if id_text is not None else key), name or "",
                                               where, sheet, excel_row, group or "", int(ward_benefit[p]), kept, note))

    unconfirmed = 0
    for i, rows in enumerate(at_month):     # domain.md §3: counted on their own line, no cost (after R11)
        if rows[2] is not None:
            unconfirmed += int((rows[2] & ~suppressed_month[starts[i]:starts[i + 1]]).sum())
    moves = _move_rows([unit_rows[r.path].label for r in chosen], dup_keys, owner[dup_cols],
                       (dup_benefit > 0) | dup_insurance, [details[p] for p in dup_cols.tolist()], months)

    # by group and area, the month: the registers' rows, then the rows of the units' city reports
    area_names = ["Nông thôn", "Thành thị", "Chưa rõ"]
    areas = np.concatenate([r.area for r in chosen]) if chosen else np.zeros(0, np.int8)
    code_of: dict[str, int] = {}
    codes = [np.array([*(code_of.setdefault(g, len(code_of)) for g in r.group_names), -1], np.int32)[r.group]
             for r in chosen]
    reports = _report_group_rows(chosen, month)
    report_codes = np.array([-1 if g is None else code_of.setdefault(g, len(code_of)) for g, *_ in reports], np.int64)
    area_of = {a: i for i, a in enumerate(area_names)}
    report_areas = np.array([area_of.setdefault(r[1], len(area_of)) for r in reports], np.int64)
    groups = group_totals(list(code_of), list(area_of), [
        (np.concatenate(codes) if codes else np.zeros(0, np.int32), np.where(areas < 0, 2, areas),
         (is_paid, month_paid, month_insured, month_cost)),
        (report_codes, report_areas, [np.array([r[k] for r in reports], dtype=np.int64) for k in range(2, 6)])])
    closed = [(unit_rows[r.path].label, m, p, e) for r in chosen for m, p, e in r.closed]
    return ConsolidationResult(month=month, files=files, units=table, missing=missing, duplicates=duplicates,
                               groups=groups, years=years, moves=moves, unconfirmed=unconfirmed,
                               closed=closed)


def _month_rows(r: FileResult, month: dt.date, k: int) -> tuple:
    """(benefit, insurance, unconfirmed or None) of every row of a file in `month` (`r.months[k]`):
    as the worker sent it when it is the month the book checks, else from the monthly arrays."""
    if r.checked == month and r.at_checked is not None:
        return r.at_checked
    return (r.benefit.at(k).astype(np.int64), r.insurance.at(k).astype(bool),
            None if r.unconfirmed is None else r.unconfirmed.at(k).astype(bool))


def _row_details(chosen: list[FileResult], starts: np.ndarray, positions: np.ndarray) -> dict[int, tuple]:
    """Position (over all files' rows) → (ID as typed, name, sheet, Excel row, group code) of the
    rows at `positions` (sorted): what the lists of people name."""
    out = {}
    owners = np.searchsorted(starts, positions, side="right") - 1
    for i in dict.fromkeys(owners.tolist()):          # (not np.unique: it imports numpy.ma, ~25 ms)
        r, mine = chosen[i], positions[owners == i]
        local = (mine - starts[i]).tolist()
        sheet_ends = np.cumsum([n for _, _, n in r.registers])
        sheets = [r.registers[j][0] for j in np.searchsorted(sheet_ends, local, side="right").tolist()]
        ids, names = r.id_text.take(local), r.name.take(local)
        for p, j, id_text, name, sheet in zip(mine.tolist(), local, ids, names, sheets):
            g = int(r.group[j])
            out[p] = (id_text, name, sheet, int(r.row[j]), r.group_names[g] if g >= 0 else None)
    return out


@dataclass
class MoveRow:
    """domain.md R12 — one person paid by two units or more over the window (before R11)."""
    id_text: str
    name: str
    spans: str                  # `Unit: months; Unit: months`
    twice: str                  # months paid by two units ('' none)
    gap: str                    # months nobody paid between two units ('' none)
    advice: str


def _move_rows(labels: list[str], keys: np.ndarray, owner: np.ndarray, paid: np.ndarray, details: list[tuple],
               months: list[dt.date]) -> list[MoveRow]:
    """`engine.moves` over the rows whose ID is repeated city-wide, with the units named
    (`details`: `_row_details` of each row)."""
    if not len(keys):
        return []
    first_row = {}
    for i, k in enumerate(keys):
        first_row.setdefault(k, i)
    rows = []
    for m in find_moves(keys, owner, paid, months):
        i = first_row[m.key]
        spans = "; ".join(f"{labels[s.unit]}: {month_ranges(s.months)}" for s in m.spans)
        advice = []
        if m.twice:
            later = max(m.spans, key=lambda s: s.first)
            advice.append(f"Chi trả trùng {len(m.twice)} tháng: nếu người này chuyển nơi cư trú, đơn vị nơi cũ ghi "
                          f"«Thôi chi trả từ tháng» = {later.first:%m/%Y} (tháng nơi mới bắt đầu chi trả); thành phố "
                          "chỉ tính một mức cao nhất mỗi tháng")
        if m.gap:
            advice.append(f"Không đơn vị nào chi trả {len(m.gap)} tháng: đơn vị nơi mới ghi «Chi trả từ tháng» = "
                          f"{m.gap[0]:%m/%Y} (tháng nơi cũ thôi chi trả) để người này được truy lĩnh")
        id_text, name = details[i][:2]
        rows.append(MoveRow(str(id_text if id_text is not None else m.key), name or "", spans,
                            month_ranges(m.twice), month_ranges(m.gap),
                            ". ".join(advice) or "Đúng quy định: không trùng, không gián đoạn"))
    return rows


def consolidate(paths, month: dt.date | None, out: str | Path | None, jobs: int = 0,
                progress: bool = True) -> ConsolidationResult:
    """Read, check and compute every workbook; write the city workbook to `out` (when given)."""
    started = time.perf_counter()
    paths = [Path(p) for p in paths]
    months = window_months()
    if month and month.replace(day=1) not in months:
        months = sorted(set(months) | {month.replace(day=1)})
    results = run_files(paths, months, month, jobs, progress)
    result = city(results, choose_month(results, month))
    if out is not None:
        write_city_workbook(result, out)
        result.out = Path(out)
    result.seconds = time.perf_counter() - started
    return result


def run_cli(args) -> int:
    """`consolidate FOLDER_OR_FILES… --month YYYY-MM -o OUT [--jobs N]` (design.md)."""
    paths = expand_inputs(list(args.inputs))
    refuse_output_among_inputs(args.out, list(args.inputs), paths)
    out = check_output_path(args.out, force=args.force, in_place=args.in_place)
    if args.jobs is not None and args.jobs < 0:
        raise UserFacingError("--jobs phải là số không âm (0 = tự chọn)")
    result = consolidate(paths, args.month, out, jobs=args.jobs or 0, progress=sys.stderr.isatty())
    n = lambda v: f"{v:,}".replace(",", ".")   # noqa: E731
    received = sum(1 for u in result.units if u.unit and u.received)
    print(f"Tháng {result.month:%m/%Y}: {received}/{len(units())} đơn vị đã tổng hợp, "
          f"{len(result.missing)} đơn vị chưa có sổ; tiền hỗ trợ {n(result.total('benefit'))} đồng; "
          f"{n(result.total('insured'))} người được hỗ trợ BHYT → {out}", file=sys.stderr)
    for f in result.files:
        if f.status != OK:
            print(f"  {f.path.name}: {FILE_STATUS_VI[f.status]} – {f.reason}", file=sys.stderr)
    if result.duplicates:
        people = len({d.person for d in result.duplicates})
        print(f"  {people} người được chi trả ở hai đơn vị trở lên: xem sheet «Trùng giữa đơn vị»", file=sys.stderr)
    return result.exit_status


# ---------------------------------------------------------------- the city workbook

SHEET_CITY = "Tổng hợp thành phố"
SHEET_GROUPS = "Theo nhóm đối tượng"
SHEET_MISSING = "Chưa gửi"
SHEET_DUPLICATES = "Trùng giữa đơn vị"
SHEET_FILES = "Tình trạng tệp"
SHEET_MOVES = "Chuyển nơi cư trú"
SHEET_CLOSED = "Đã chi trả theo đơn vị"
ROMAN = ["I", "II", "III", "IV", "V"]
TYPE_PLURAL = {"Phường": "phường", "Xã": "xã", "Đặc khu": "đặc khu"}


#: The issuing body of the city workbook (NĐ 30/2020 header): the city office that consolidates
#: is not known to the command, so its name is left for the office to write in [decision].
CITY_ISSUER = ("ỦY BAN NHÂN DÂN THÀNH PHỐ HẢI PHÒNG", "SỞ ……………………")
CITY_PLACE = "Hải Phòng"


def _sheet(wb, title: str, columns, header_rows: int, title_text: str, subtitles: list[str]):
    """A sheet with the ND 30 header (city, office, motto, place and date) and its title;
    returns (ws, first table row)."""
    from xl_support.documents.layout import write_document_header, write_title
    ws = wb.create_sheet(title)
    for i, column in enumerate(columns, start=1):   # the header's blocks are measured on these widths
        ws.column_dimensions[ws.cell(row=1, column=i).column_letter].width = column.width
    row = write_document_header(ws, issuer_upper=CITY_ISSUER[0], issuer=CITY_ISSUER[1], doc_number="      /BC-…",
                                width_cols=len(columns), place_date=(CITY_PLACE, dt.date.today()))
    row = write_title(ws, row, title_text, subtitles, len(columns), italic_subtitles=True)
    return ws, row


def _signatures(ws, row: int, width_cols: int) -> int:
    """Signature blocks of the city workbook's first sheet."""
    from xl_support.documents.layout import write_place_date_and_signatures
    return write_place_date_and_signatures(ws, row, place=None, on=None, width_cols=width_cols,
                                           signers=[("Người lập biểu", ""),
                                                    ("Thủ trưởng cơ quan", "", "(Ký, đóng dấu)")],
                                           recipients=("UBND thành phố (để b/c);", "Lưu: VT."))


def _finish(ws, table_row: int, header_rows: int, landscape: bool = True) -> None:
    """Frozen header, header repeated on every printed page, A4 set-up."""
    from xl_support.documents.layout import setup_print
    last_header = table_row + header_rows     # header rows + the column-number row
    ws.freeze_panes = f"A{last_header + 1}"
    setup_print(ws, landscape=landscape, repeat_rows=f"{table_row}:{last_header}",
                margins_cm=(1.5, 1.0, 1.5, 1.5))


def _note(ws, row: int, text: str) -> None:
    """An italic line under a table (e.g. "nothing to list")."""
    from xl_support.book.fileio import set_text
    from xl_support.documents.layout import FONT_NAME
    from xl_support.documents.styles import Font
    set_text(ws.cell(row=row, column=2), text).font = Font(name=FONT_NAME, size=11, italic=True)


def _city_sheet(wb, r: ConsolidationResult) -> None:
    from xl_support.documents.layout import ColumnSpec, Section, write_table
    month = f"{r.month:%m/%Y}"
    cols = [
        ColumnSpec("STT", 5, "center"),
        ColumnSpec("Đơn vị", 25, "text"),
        ColumnSpec("Tình trạng", 12, "center"),
        ColumnSpec("Số dòng trong sổ", 9, "int", summed=True),
        ColumnSpec("Trẻ em NQ 55 (người)", 9, "int", group=f"Được hỗ trợ tháng {month}", summed=True),
        ColumnSpec("Hộ nghèo NQ 04 (người)", 9, "int", group=f"Được hỗ trợ tháng {month}", summed=True),
        ColumnSpec("Tiền hỗ trợ (đồng)", 13, "money", group=f"Được hỗ trợ tháng {month}"),
        ColumnSpec("Số người", 8, "int", group=f"Hỗ trợ BHYT tháng {month}", summed=True),
        ColumnSpec("Tiền BHYT (đồng)", 12, "money", group=f"Hỗ trợ BHYT tháng {month}"),
    ] + [ColumnSpec(f"Năm {y}", 14, "money", group="Nhu cầu kinh phí cả năm (hỗ trợ + BHYT, đồng)")
         for y in r.years]

    def values(i: int, u: UnitRow) -> list:
        if not u.received:
            return [i, u.label, u.status] + [None] * (len(cols) - 3)
        return [i, u.label, u.status, u.rows, u.paid["NQ55"], u.paid["NQ04"], u.benefit, u.insured,
                u.insurance_cost] + [u.years.get(y, 0) for y in r.years]

    sections, n = [], 0
    for k, unit_type in enumerate(("Phường", "Xã", "Đặc khu")):
        rows = []
        for u in r.units:
            if u.unit and u.unit.type == unit_type:
                n += 1
                rows.append(values(n, u))
        received = sum(1 for u in r.units if u.unit and u.unit.type == unit_type and u.received)
        sections.append(Section(f"{ROMAN[k]}. {unit_type} ({received}/{len(rows)} đơn vị đã tổng hợp)", rows,
                                subtotal_label=f"Cộng {TYPE_PLURAL[unit_type]}"))
    unknown = [values(i, u) for i, u in enumerate((u for u in r.units if not u.unit), start=1)]
    if unknown:
        sections.append(Section("IV. Tệp chưa xác định đơn vị (sheet Tham số thiếu hoặc sai tên đơn vị)",
                                unknown, subtotal_label="Cộng tệp chưa xác định đơn vị"))
    received = sum(1 for u in r.units if u.unit and u.received)
    ws, row = _sheet(wb, SHEET_CITY, cols, 2, "Tổng hợp kết quả thực hiện Nghị quyết 55/2025/NQ-HĐND "
                     "và Nghị quyết 04/2026/NQ-HĐND",
                     [f"Tháng {month} – {received}/{len(units())} đơn vị đã tổng hợp; "
                      f"lập ngày {dt.date.today():%d/%m/%Y}",
                      "Số liệu tính lại từ sổ của đơn vị; mỗi người chỉ hưởng một mức cao nhất trong toàn "
                      "thành phố (KH mục IV.1)"])
    end = write_table(ws, row, cols, sections, total_label="Tổng cộng toàn thành phố", font_size=11)
    if r.unconfirmed:
        _note(ws, end, f"Ngoài ra {r.unconfirmed} người có hỗ trợ BHYT «Chưa xác nhận» (nhóm NQ 04 đơn vị chưa nhập "
                       "«BHYT HN-…» tại sheet Tham số): không tính vào số người và kinh phí BHYT.")
        end += 1
    _signatures(ws, end, len(cols))
    _finish(ws, row, 2)


def _groups_sheet(wb, r: ConsolidationResult) -> None:
    from xl_support.engine.policy import DEFAULT as GROUPS
    from xl_support.documents.layout import ColumnSpec, Section, write_table
    month = f"{r.month:%m/%Y}"
    cols = [ColumnSpec("STT", 5, "center"), ColumnSpec("Nhóm đối tượng", 46, "text")]
    for area in ("Thành thị", "Nông thôn"):
        cols += [ColumnSpec("Người", 8, "int", group=area, summed=True),
                 ColumnSpec("Tiền (đồng)", 14, "money", group=area)]
    cols += [ColumnSpec("Người", 8, "int", group="Cộng", summed=True), ColumnSpec("Tiền (đồng)", 14, "money", group="Cộng"),
             ColumnSpec("Người", 8, "int", group="Hỗ trợ BHYT", summed=True),
             ColumnSpec("Tiền (đồng)", 13, "money", group="Hỗ trợ BHYT")]
    def get(code, area, what):
        return r.groups.get((code, area), {}).get(what, 0)

    sections = []
    for k, (resolution, register) in enumerate((("Nghị quyết 55/2025/NQ-HĐND – trẻ em", "NQ55"),
                                                ("Nghị quyết 04/2026/NQ-HĐND – thành viên hộ nghèo, cận nghèo", "NQ04"))):
        rows = []
        for i, grp in enumerate(GROUPS.for_register(register), start=1):
            v = [i, grp.display]
            for area in ("Thành thị", "Nông thôn"):
                v += [get(grp.code, area, "paid"), get(grp.code, area, "benefit")]
            v += [sum(get(grp.code, a, "paid") for a in ("Thành thị", "Nông thôn", "Chưa rõ")),
                  sum(get(grp.code, a, "benefit") for a in ("Thành thị", "Nông thôn", "Chưa rõ")),
                  sum(get(grp.code, a, "insured") for a in ("Thành thị", "Nông thôn", "Chưa rõ")),
                  sum(get(grp.code, a, "cost") for a in ("Thành thị", "Nông thôn", "Chưa rõ"))]
            rows.append(v)
        sections.append(Section(f"{ROMAN[k]}. {resolution}", rows, subtotal_label="Cộng"))
    ws, row = _sheet(wb, SHEET_GROUPS, cols, 2, "Tổng hợp theo nhóm đối tượng và khu vực",
                     [f"Tháng {month} – toàn thành phố (các đơn vị đã tổng hợp)"])
    write_table(ws, row, cols, sections, total_label="Tổng cộng", font_size=11)
    _finish(ws, row, 2)


def _missing_sheet(wb, r: ConsolidationResult) -> None:
    from xl_support.documents.layout import ColumnSpec, write_table
    cols = [ColumnSpec("STT", 6, "center"), ColumnSpec("Đơn vị", 28, "text"), ColumnSpec("Loại", 10, "center"),
            ColumnSpec("Thuộc địa bàn cũ", 18, "center"), ColumnSpec("Ghi chú", 70, "text")]
    rows = [[i, u.full_name, u.type, u.former_area, note or "Chưa gửi sổ"]
            for i, (u, note) in enumerate(r.missing, start=1)]
    ws, row = _sheet(wb, SHEET_MISSING, cols, 1, "Danh sách đơn vị chưa có sổ được tổng hợp",
                     [f"Tháng {r.month:%m/%Y} – {len(r.missing)}/{len(units())} đơn vị"])
    end = write_table(ws, row, cols, rows, total_label=None, font_size=11)
    if not rows:
        _note(ws, end - 1, "Tất cả đơn vị đã có sổ được tổng hợp.")
    _finish(ws, row, 1, landscape=True)


def _duplicates_sheet(wb, r: ConsolidationResult) -> None:
    from xl_support.documents.layout import ColumnSpec, write_table
    cols = [ColumnSpec("STT", 5, "center"), ColumnSpec("Số định danh cá nhân", 17, "center"),
            ColumnSpec("Họ và tên", 22, "text"), ColumnSpec("Đơn vị", 18, "text"), ColumnSpec("Sheet", 14, "text"),
            ColumnSpec("Dòng", 7, "center"), ColumnSpec("Mã đối tượng", 10, "center"),
            ColumnSpec("Mức đơn vị tính (đồng/tháng)", 13, "money", summed=False),
            ColumnSpec("Kết quả (hưởng một mức cao nhất – KH mục IV.1)", 42, "text")]
    rows, last = [], None
    for d in r.duplicates:
        rows.append([d.person if d.person != last else "", d.id_text, d.name, d.unit, d.sheet, d.row, d.group,
                     d.benefit, d.note])
        last = d.person
    people = len({d.person for d in r.duplicates})
    ws, row = _sheet(wb, SHEET_DUPLICATES, cols, 1, "Người được chi trả ở hai đơn vị trở lên",
                     [f"Tháng {r.month:%m/%Y} – {people} người; danh sách nội bộ để đơn vị rà soát, không công khai"])
    end = write_table(ws, row, cols, rows, total_label=None, font_size=11)
    if not rows:
        _note(ws, end - 1, "Không có người nào được chi trả ở hai đơn vị trở lên trong tháng.")
    _finish(ws, row, 1)


def _moves_sheet(wb, r: ConsolidationResult) -> None:
    """domain.md R12 — people paid by two units: the months paid twice and the months nobody paid."""
    from xl_support.documents.layout import ColumnSpec, write_table
    cols = [ColumnSpec("STT", 5, "center"), ColumnSpec("Số định danh cá nhân", 16, "center"),
            ColumnSpec("Họ và tên", 20, "text"), ColumnSpec("Đơn vị và các tháng đơn vị tính chi trả", 40, "text"),
            ColumnSpec("Tháng chi trả trùng", 15, "text"), ColumnSpec("Tháng không đơn vị nào chi trả", 15, "text"),
            ColumnSpec("Đề nghị", 48, "text")]
    rows = [[i, m.id_text, m.name, m.spans, m.twice or "Không", m.gap or "Không", m.advice]
            for i, m in enumerate(r.moves, start=1)]
    ws, row = _sheet(wb, SHEET_MOVES, cols, 1, "Người được chi trả ở hai đơn vị (chuyển nơi cư trú)",
                     [f"Cả thời gian thực hiện nghị quyết, theo sổ của từng đơn vị – {len(rows)} người; "
                      "danh sách nội bộ để đơn vị rà soát, không công khai"])
    end = write_table(ws, row, cols, rows, total_label=None, font_size=11)
    if not rows:
        _note(ws, end - 1, "Không có người nào được hai đơn vị chi trả.")
    _finish(ws, row, 1)


def _closed_sheet(wb, r: ConsolidationResult) -> None:
    """Issue 17 — per unit and closed month: paid as the unit's `Đã chi trả` recorded vs the
    entitlement computed now from its register (R11 within the unit)."""
    from xl_support.documents.layout import ColumnSpec, Section, write_table
    cols = [ColumnSpec("STT", 5, "center"), ColumnSpec("Tháng đã chốt", 12, "center"),
            ColumnSpec("Đã chi trả (đồng)", 18, "money"), ColumnSpec("Theo sổ hiện nay (đồng)", 18, "money"),
            ColumnSpec("Chênh lệch (đồng)", 16, "money")]
    sections: list = []
    for unit, m, paid, entitled in r.closed:
        if not sections or sections[-1].title != unit:
            sections.append(Section(unit, [], None))
        sections[-1].rows.append([len(sections[-1].rows) + 1, f"{m:%m/%Y}", paid, entitled, entitled - paid])
    ws, row = _sheet(wb, SHEET_CLOSED, cols, 1, "Đã chi trả và được hưởng theo sổ – các tháng đơn vị đã chốt",
                     ["Chênh lệch khác 0: đơn vị đã sửa sổ hoặc tham số sau khi chốt (truy lĩnh, truy thu)"])
    write_table(ws, row, cols, sections, total_label="Cộng", font_size=11)
    _finish(ws, row, 1)


def _files_sheet(wb, r: ConsolidationResult) -> None:
    from xl_support.documents.layout import ColumnSpec, write_table
    cols = [ColumnSpec("STT", 5, "center"), ColumnSpec("Tệp", 24, "text"), ColumnSpec("Đơn vị (sheet Tham số)", 18, "text"),
            ColumnSpec("Kết quả", 16, "center"), ColumnSpec("Số sổ", 6, "int", summed=False),
            ColumnSpec("Số dòng", 8, "int", summed=True), ColumnSpec("Lỗi", 7, "int", summed=True),
            ColumnSpec("Cảnh báo", 8, "int", summed=True), ColumnSpec("Lý do, ghi chú", 55, "text")]
    order = {REJECTED: 0, SUPERSEDED: 1, UNIDENTIFIED: 2, OK: 3}
    files = sorted(r.files, key=lambda f: (order[f.status], f.path.name))
    rows = [[i, f.path.name, f.unit.full_name if f.unit else (f.unit_text or "—"),
             FILE_STATUS_VI[f.status] + (f" ({FROM_REPORT})" if f.from_report and f.status != REJECTED else ""),
             f.registers if f.status != REJECTED else None, f.rows if f.status != REJECTED else None,
             f.errors if f.status != REJECTED else None, f.warnings if f.status != REJECTED else None, f.reason]
            for i, f in enumerate(files, start=1)]
    bad = sum(1 for f in r.files if f.status != OK)
    ws, row = _sheet(wb, SHEET_FILES, cols, 1, "Tình trạng các tệp nhận được",
                     [f"{len(r.files)} tệp; {bad} tệp cần xử lý (bị loại, trùng đơn vị hoặc chưa xác định đơn vị)"])
    write_table(ws, row, cols, rows, total_label="Cộng", font_size=11)
    _finish(ws, row, 1)


def build_city_workbook(r: ConsolidationResult):
    """The city workbook (`documents.xlsx`, no openpyxl: issue 18 item 5): six sheets, numbers as
    numbers, A4 landscape. Its default font and row height stay openpyxl's (Calibri 11, 15 pt),
    in which its column widths were chosen."""
    from xl_support.documents.layout import stamp_version
    from xl_support.documents.styles import Font
    from xl_support.documents.xlsx import DocBook
    wb = DocBook(default_font=Font(name="Calibri", size=11, family=2), default_row_height=15)
    stamp_version(wb)
    _city_sheet(wb, r)
    _groups_sheet(wb, r)
    _missing_sheet(wb, r)
    _duplicates_sheet(wb, r)
    _moves_sheet(wb, r)
    if r.closed:
        _closed_sheet(wb, r)
    _files_sheet(wb, r)
    return wb


def write_city_workbook(r: ConsolidationResult, out: str | Path) -> Path:
    from xl_support.book.fileio import save_workbook_atomic
    return save_workbook_atomic(build_city_workbook(r), out)
