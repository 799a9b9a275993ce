"""The monthly cycle (issue 17): close a month into the ledger `Đã chi trả`, arrears (truy lĩnh)
and recoveries (truy thu) against it, and the coming changes of the next two months.

Every amount comes from one engine schedule over all months of all people
(`operations.schedule.book_schedule`, R11 applied per month); the ledger (`book.ledger`) says
what was paid. A person is matched by `book.ledger.person_keys` (the personal ID; else name and
birth date).
"""
from __future__ import annotations

import datetime as dt
import sys
from dataclasses import dataclass, field

import numpy as np

from xl_support.book.fileio import UserFacingError
from xl_support.book.ledger import (KIND_ARREARS, KIND_MONTH, KIND_RECOVERY, LEDGER_FIELDS, LEDGER_SHEET, Ledger,
                                    Rows, is_in, ledger_sheet, person_keys)
from xl_support.book.register import object_array
from xl_support.book.ports import BookPort, read_port_book
from xl_support.book.workbook import Book
from xl_support.engine.basis import money, period_text
from xl_support.engine.rules import policy_window, to_date
from xl_support.engine.schedule import BookSchedule, insurance_cost, month_add
from xl_support.operations.schedule import as_date, book_schedule


def product_version() -> str:
    """The installed product's version, `xl_support.__version__` (pyproject's `version.attr`): read
    from the loaded top-level package (always loaded with any of its submodules) since the
    operations floor does not import the top level; importlib.metadata would load email and
    socket (issue 18.5)."""
    return str(getattr(sys.modules.get(__name__.split(".")[0]), "__version__", ""))


# reasons of an arrears / recovery line (Vietnamese: shown to the clerk), in order of precedence
R_EARLIER = "Quyết định cho hưởng từ tháng trước tháng ký"
R_NOT_PAID = "Chưa có trong danh sách đã chi trả của tháng"
R_GONE = "Không còn trong sổ hoặc không còn được hưởng"
R_BIRTH = "Sửa ngày sinh"
R_GROUP = "Đổi mã đối tượng"
R_ALLOWANCE = "Sửa trợ cấp đang hưởng"
R_AREA = "Đổi khu vực"
R_DECISION = "Sửa ngày ký quyết định"
R_STOP = "Sửa ngày thôi hưởng"
R_STOP_PAY = "Thôi chi trả từ tháng (chuyển nơi cư trú)"
R_PARAMS = "Thay đổi tham số (chuẩn nghèo, mức chuẩn, mức của nhóm)"




def _column(book: Book, name: str) -> list:
    """A typed register column of every row, in `people_table` order (None when empty/absent)."""
    out: list = []
    for reg in book.registers:
        f = reg.table
        out += [None if v is None or (isinstance(v, float) and v != v) else v
                for v in (f[name] if name in f else [None] * len(f))]
    return out


def _allowances(book: Book) -> np.ndarray:
    """The allowance column of every register row (−1 when empty)."""
    return np.array([-1 if v is None else int(v) for v in _column(book, "allowance")], dtype=np.int64)


@dataclass
class Entitlement:
    """The engine's schedule of the book from the window's first month to `month`, plus what
    the cycle needs per register row: person key, allowance, topup flag."""
    sched: BookSchedule
    keys: list[str]
    allowance: np.ndarray
    topup: np.ndarray        # bool per row: the group tops up an allowance
    month: dt.date
    pay_from: list = field(default_factory=list)        # R12 `Chi trả từ tháng` per row
    stop_pay_from: list = field(default_factory=list)   # R12 `Thôi chi trả từ tháng` per row


def entitlement(book: Book, month: dt.date) -> Entitlement:
    """One engine call for all months of all people (domain.md R11 per month)."""
    first = min(to_date(policy_window(book.settings.params)[0]), month)
    sched = book_schedule(book, first, month)
    p = sched.people
    keys = person_keys(p["id_key"].tolist(), p["name"].tolist(), [as_date(b) for b in p["birth"]])
    groups = book.settings.groups
    topup = np.array([bool(g and g.is_topup) for g in map(groups.get, p["group"])], dtype=bool)
    return Entitlement(sched=sched, keys=keys, allowance=_allowances(book), topup=topup, month=month,
                       pay_from=[as_date(v) for v in _column(book, "pay_from")],
                       stop_pay_from=[as_date(v) for v in _column(book, "stop_pay_from")])


# ---------------------------------------------------------------- arrears

LINE_COLUMNS = ("key", "month", "entitled", "recorded", "diff", "reason", "id", "name", "birth", "residential_group",
                "sheet", "row", "register", "group", "area", "allowance", "decision", "stop", "pay_from",
                "stop_pay_from")
INFO_COLUMNS = LINE_COLUMNS[6:]          # who: the register row's (or, gone from it, the ledger's) data
GONE_COLUMNS = ("id", "name", "birth", "residential_group", "sheet", "row", "register", "group", "area", "allowance",
                "decision", "stop", "pay_from", "stop_pay_from")


@dataclass
class Arrears:
    """Truy lĩnh / truy thu of the months before `month` (one line per person and month)."""
    month: dt.date
    lines: Rows                  # LINE_COLUMNS
    unrecorded: list[dt.date]    # months before `month` not closed: only R12-earlier months count
    closed: list[dt.date]
    rep: dict = field(default_factory=dict)   # person key → schedule column carrying the arrears

    def by_column(self) -> dict[int, int]:
        """Schedule column → truy lĩnh to pay with the month (the payroll hook)."""
        per: dict[str, int] = {}
        for key, d in zip(self.lines["key"].tolist(), self.lines["diff"].tolist()):
            per[key] = per.get(key, 0) + max(int(d), 0)
        return {self.rep[k]: a for k, a in per.items() if a > 0 and k in self.rep}


def _info(ent: Entitlement) -> Rows:
    """INFO_COLUMNS of every schedule row."""
    p = ent.sched.people
    area = p["area"].copy()
    area[np.equal(area, None)] = ""
    return Rows.of({
        "id": p["id_key"], "name": p["name"], "birth": [as_date(b) for b in p["birth"]],
        "residential_group": p["residential_group"], "sheet": p["sheet"], "row": p["row"],
        "register": p["register"], "group": p["group"], "area": area, "allowance": ent.allowance,
        "decision": [as_date(d) for d in p["decision"]], "stop": [as_date(d) for d in p["stop"]],
        "pay_from": ent.pay_from if ent.pay_from else [None] * len(p),
        "stop_pay_from": ent.stop_pay_from if ent.stop_pay_from else [None] * len(p)})


def arrears(book: Book, month: dt.date, ent: Entitlement | None = None) -> tuple[Arrears, Entitlement]:
    """domain.md R12 and issue 17 — for every person and every month before `month` that is closed
    or was due: entitlement now minus what the ledger recorded as paid. Closed months compare
    everything; months not closed (before the first closed month, or a gap) count as not
    recorded: only months before the decision month (a decision paying from an earlier month)
    give arrears there."""
    ent = ent or entitlement(book, month)
    sched = ent.sched
    ledger = book.ledger
    closed = ledger.closed_months()
    past = [m for m in sched.months if m < month]
    k = len(past)
    index: dict[str, int] = {}              # person key → its number: the schedule's first, then the ledger's
    codes = np.fromiter((index.setdefault(key, len(index)) for key in ent.keys), dtype=np.intp, count=len(ent.keys))
    uniq = list(index)
    paid = ledger.paid
    lkeys = person_keys(paid["id"].tolist(), paid["name"].tolist(), paid["birth"].tolist()) if len(paid) else []
    ki = np.fromiter((index.setdefault(key, len(index)) for key in lkeys), dtype=np.intp, count=len(lkeys))
    all_keys = object_array(list(index))
    u = len(all_keys)
    benefit = sched.benefit[:k]
    ent_m = np.zeros((u, k), dtype=np.int64)
    np.add.at(ent_m, codes, benefit.T)
    dmonth = np.array([np.datetime64(d, "M") if d else np.datetime64("NaT", "M")
                       for d in map(as_date, sched.people["decision"])], dtype="M8[M]")
    mcol = np.array([np.datetime64(m, "M") for m in past], dtype="M8[M]")
    earlier = (mcol[:, None] < dmonth[None, :]) & (benefit > 0)           # R12: paid from before signing
    early_m = np.zeros((u, k), dtype=np.int64)
    np.add.at(early_m, codes, (benefit * earlier).T)
    rec_m = np.zeros((u, k), dtype=np.int64)
    if len(paid):
        pos = {m: i for i, m in enumerate(past)}
        mi = np.fromiter((pos.get(m, -1) for m in paid["month"]), dtype=np.intp, count=len(paid))
        ok = mi >= 0
        np.add.at(rec_m, (ki[ok], mi[ok]), paid["amount"][ok].astype(np.int64))
    is_closed = np.array([m in closed for m in past], dtype=bool)
    diff = np.where(is_closed[None, :], ent_m - rec_m, early_m - np.minimum(rec_m, early_m))
    ui, mi = np.nonzero(diff)
    unrecorded = [m for m, c in zip(past, is_closed) if not c and m >= to_date(policy_window(book.settings.params)[0])]
    # one column per person carries their arrears: the row paid in the month, else the first
    rep = {}
    if len(codes) and sched.benefit.shape[0]:
        n = len(codes)
        first_col = np.unique(codes, return_index=True)[1]             # codes number keys by first appearance
        now_col = np.full(len(uniq), n, dtype=np.intp)
        np.minimum.at(now_col, codes, np.where(sched.benefit[-1] > 0, np.arange(n), n))
        rep = dict(zip(uniq, np.where(now_col < n, now_col, first_col).tolist()))
    lines = _lines(ent, all_keys[ui], [past[i] for i in mi], ent_m[ui, mi], rec_m[ui, mi], diff[ui, mi],
                   early_m[ui, mi], rep, paid, all_keys[ki])
    return Arrears(month=month, lines=lines, unrecorded=unrecorded, closed=closed, rep=rep), ent


def _lines(ent, keys, months, entitled, recorded, diff, early, rep, paid, paid_keys) -> Rows:
    """The non-zero differences with who, and why (R_* reasons), by register sheet, row and month.
    `paid_keys`: the person key of each `paid` ledger row."""
    if not len(keys):
        return Rows.empty(LINE_COLUMNS)
    cols = [rep.get(key, -1) for key in keys]
    cur = _info(ent)[[c if c >= 0 else 0 for c in cols]]
    gone = np.array([c < 0 for c in cols], dtype=bool)
    # what was recorded for that month (the last row of the month's own kind), to say what changed
    last: dict = {}                     # (key, month) → ledger row
    mine = np.flatnonzero(is_in(paid_keys, set(keys)) & (paid["kind"] == KIND_MONTH))
    for j, key, m in zip(mine.tolist(), paid_keys[mine].tolist(), paid["month"][mine].tolist()):
        last[(key, m)] = j
    rec = [last.get(km) for km in zip(keys, months)]
    if gone.any():                           # a person no longer in the register: the ledger's data
        led = {}
        for (key, _), j in last.items():
            led[key] = max(led.get(key, j), j)
        for c in ("row", "allowance"):       # the ledger's cell may be blank
            cur.columns[c] = cur[c].astype(object)
        for i in np.flatnonzero(gone):
            if keys[i] in led:
                for c in GONE_COLUMNS:
                    cur[c][i] = paid[c][led[keys[i]]]
    amounts = paid["amount"]
    has_rec = np.array([j is not None and amounts[j] is not None for j in rec], dtype=bool)

    def differs(col):
        a, b = cur[col].tolist(), paid[col]
        return has_rec & np.array([_norm(x) != _norm(None if j is None else b[j]) for x, j in zip(a, rec)], dtype=bool)
    early = early > 0
    no_amount = entitled == 0
    reason = np.select(
        [~has_rec & early, ~has_rec & ~gone, gone | no_amount & ~has_rec,
         differs("birth"), differs("group"), differs("allowance"), differs("area"), differs("decision"),
         differs("pay_from"), differs("stop"), differs("stop_pay_from"), gone | no_amount],
        [R_EARLIER, R_NOT_PAID, R_GONE, R_BIRTH, R_GROUP, R_ALLOWANCE, R_AREA, R_DECISION, R_EARLIER, R_STOP,
         R_STOP_PAY, R_GONE],
        default=R_PARAMS).astype(object)
    out = Rows.of({"key": keys, "month": months, "entitled": entitled, "recorded": recorded, "diff": diff,
                   "reason": reason, **{c: cur[c] for c in INFO_COLUMNS}})
    return out[sort_order(out["sheet"], out["row"], out["month"])]


def sort_order(*columns) -> np.ndarray:
    """Positions that sort the rows by the columns in turn, stable, blanks (None) last."""
    ranks = []
    for values in columns:
        values = values.tolist()
        distinct = sorted({v for v in values if v is not None})
        rank = {v: r for r, v in enumerate(distinct)}
        ranks.append(np.array([rank.get(v, len(distinct)) for v in values], dtype=np.intp))
    return np.lexsort(ranks[::-1])


def _norm(v):
    """Compare ledger and register values alike (blank = None, numbers as int)."""
    if v is None or (isinstance(v, float) and v != v) or v == "" or v == -1:
        return None
    if isinstance(v, dt.datetime):
        return v.date()
    if isinstance(v, (np.integer, float)):
        return int(v)
    return v


# ---------------------------------------------------------------- closing a month

def _params_texts(sched: BookSchedule, groups, month: dt.date) -> list[str]:
    """The parameters used for each row's amount in `month` (poverty line / standard, base salary
    when insured): computed once per (group, area, insured)."""
    params = sched.params
    cache: dict = {}
    out = []
    k = sched.at(month)
    for code, area, ins in zip(sched.people["group"], sched.people["area"], sched.insurance[k]):
        key = (code, area, bool(ins))
        if key not in cache:
            g = groups.get(code)
            parts = []
            try:
                if g and g.amount_rule in ("topup", "poverty_line") and area:
                    p = params.period("poverty_line", month, area)
                    parts.append(f"{p.label} {money(p.value)} ({period_text(p)})")
                elif g and g.amount_rule == "standard_multiple" and g.standard:
                    p = params.period(g.standard, month)
                    parts.append(f"{p.label} {money(p.value)} × {g.multiple[0]}/{g.multiple[1]} ({period_text(p)})")
                elif g and g.fixed_amount:
                    parts.append(f"Mức của nhóm {code} {money(g.fixed_amount)}")
                if ins:
                    p = params.period("base_salary", month)
                    parts.append(f"{p.label} {money(p.value)} ({period_text(p)})")
            except LookupError:
                pass
            cache[key] = "; ".join(parts)
        out.append(cache[key])
    return out


def _ledger_rows(info: Rows, **cols) -> Rows:
    """Ledger rows (LEDGER_FIELDS, object columns): `info`'s columns and `cols` (arrays or one value
    for every row); the fields given by neither are blank."""
    n = len(info)
    out = {}
    for f in LEDGER_FIELDS:
        v = cols[f] if f in cols else info.columns.get(f)
        if isinstance(v, np.ndarray):
            out[f] = v.astype(object)
        else:
            out[f] = np.empty(n, dtype=object)
            out[f][:] = [v] * n
    return Rows(out, n)


def payment_rows(book: Book, month: dt.date, closed_on: dt.date) -> tuple[Rows, Arrears]:
    """The ledger rows of `month`: the month's amount of each row paid, then truy lĩnh (paid
    with it) and truy thu (a notice for the clerk, never deducted)."""
    arr, ent = arrears(book, month)
    sched = ent.sched
    k = sched.at(month)
    paid = (sched.benefit[k] > 0) | sched.insurance[k]
    cost = insurance_cost(sched.params, month)
    common = dict(paid_in=month, version=product_version(), closed_on=closed_on, state="")
    rows = _ledger_rows(
        _info(ent)[paid], month=month, kind=KIND_MONTH, amount=sched.benefit[k][paid],
        topup=(sched.benefit[k] * ent.topup)[paid], insurance=sched.insurance[k][paid],
        insurance_cost=np.where(sched.insurance[k][paid], cost, 0),
        params=object_array(_params_texts(sched, book.settings.groups, month))[paid], reason="", **common)
    lines = arr.lines
    extra = []
    for kind, mask in ((KIND_ARREARS, lines["diff"] > 0), (KIND_RECOVERY, lines["diff"] < 0)):
        sel = lines[mask]
        if len(sel):
            extra.append(_ledger_rows(Rows({c: sel[c] for c in INFO_COLUMNS}, len(sel)), month=sel["month"],
                                      kind=kind, amount=sel["diff"], entitled=sel["entitled"],
                                      recorded=sel["recorded"], topup=0, insurance=False, insurance_cost=0,
                                      reason=sel["reason"], params="", **common))
    return rows.concat(*extra), arr


class CloseRefused(UserFacingError):
    """The book has data errors: the month is not closed (exit status 1)."""

    def __init__(self, errors: list[str]):
        self.errors = errors
        shown = "\n".join(f"  – {e}" for e in errors[:5])
        more = f"\n  … và {len(errors) - 5} lỗi khác." if len(errors) > 5 else ""
        super().__init__(f"Sổ còn {len(errors)} lỗi dữ liệu nên chưa chốt tháng. Hãy chạy «Kiểm tra dữ liệu» "
                         f"(lệnh validate), sửa rồi chốt lại.\n{shown}{more}")


@dataclass
class Closing:
    month: dt.date
    people: int
    amount: int           # the month's amounts
    arrears: int          # truy lĩnh paid with it
    recovery: int         # truy thu listed (≤ 0), not deducted
    reopened: bool


def close_month_ledger(book: Book, month: dt.date, *, reopen: bool = False,
                       today: dt.date | None = None) -> tuple[Ledger, Closing]:
    """Issue 17 — the new ledger with `month` closed. Refused: a month already closed (unless
    `reopen`, which keeps the old rows marked replaced, and only for the last closed month), a
    month out of order (the next month after the last closed one), a book with data errors."""
    from xl_support.operations.validation import validate_book
    today = today or dt.date.today()
    month = month.replace(day=1)
    ledger = book.ledger
    if ledger.issues:
        raise UserFacingError(f"Sheet «{LEDGER_SHEET}» có ô không đọc được (không sửa tay sheet này):\n  – "
                              + "\n  – ".join(ledger.issues[:5]))
    closed = ledger.closed_months()
    if month in closed:
        if not reopen:
            raise UserFacingError(f"Tháng {month:%m/%Y} đã chốt: số liệu đã chi trả không tính lại. "
                                  f"Nếu thật sự cần chốt lại, dùng --reopen (các dòng cũ được giữ, ghi «Đã thay thế»).")
        if month != closed[-1]:
            raise UserFacingError(f"Chỉ mở lại được tháng chốt gần nhất ({closed[-1]:%m/%Y}); "
                                  f"tháng {month:%m/%Y} đã có các tháng sau chốt tiếp.")
        ledger = ledger.replace_month(month, today)
    elif closed and month != month_add(closed[-1], 1):
        expected = month_add(closed[-1], 1)
        raise UserFacingError(f"Các tháng chốt lần lượt: tháng chốt gần nhất là {closed[-1]:%m/%Y}, "
                              f"tháng cần chốt tiếp là {expected:%m/%Y} (không phải {month:%m/%Y}).")
    errors = validate_book(book, month=month).errors
    if errors:
        raise CloseRefused([f"«{i.sheet}» ô {i.cell}: {i.message}" if i.cell else f"«{i.sheet}»: {i.message}"
                            for i in errors])
    book = Book(registers=book.registers, settings=book.settings, sheet_names=book.sheet_names,
                source=book.source, ledger_parsed=ledger)
    rows, arr = payment_rows(book, month, today)
    kinds, amounts = rows["kind"], rows["amount"]
    month_amount = int(sum(amounts[kinds == KIND_MONTH]))
    arrears_amount = int(sum(amounts[kinds == KIND_ARREARS]))
    paid_rows = rows[kinds != KIND_RECOVERY]
    people = len(set(person_keys(paid_rows["id"].tolist(), paid_rows["name"].tolist(), paid_rows["birth"].tolist())))
    entry = dict(closed=month, closed_on=today, version=product_version(), people=people,
                 total=month_amount + arrears_amount, state="")
    closing = Closing(month=month, people=people, amount=month_amount, arrears=arrears_amount,
                      recovery=int(sum(amounts[kinds == KIND_RECOVERY])), reopened=reopen)
    return ledger.with_rows(rows, entry), closing


def close_month(port: BookPort, month: dt.date | None = None, *, reopen: bool = False,
                today: dt.date | None = None, book: Book | None = None) -> Closing:
    """*Chốt tháng* / `close-month`: record the month's payments in the owned sheet `Đã chi trả`.
    `book`: the port's workbook already read (the CLI reads the file with calamine)."""
    from xl_support.book.template_layout import SUMMARY_SHEET
    from xl_support.operations.validation import CHECK_SHEET
    port.progress("Đang đọc sổ…")
    book = book or read_port_book(port, skip=(SUMMARY_SHEET, CHECK_SHEET))
    month = book.month(month)
    ledger, closing = close_month_ledger(book, month, reopen=reopen, today=today)
    port.replace_sheet(ledger_sheet(ledger))
    port.progress(closing_text(closing))
    return closing


def closing_text(c: Closing) -> str:
    again = " (chốt lại, các dòng cũ ghi «Đã thay thế»)" if c.reopened else ""
    rec = f"; truy thu cần xem xét: {money(-c.recovery)} đồng (không tự trừ)" if c.recovery else ""
    return (f"Đã chốt tháng {c.month:%m/%Y}{again}: {c.people} người, {money(c.amount)} đồng của tháng"
            f" + {money(c.arrears)} đồng truy lĩnh{rec}. Ghi vào sheet «{LEDGER_SHEET}».")


def run_cli(args) -> int:
    """`close-month BOOK --month YYYY-MM -o OUT [--reopen]`; exit 1 when the book has data errors."""
    from xl_support.book.fileio import check_output_path
    from xl_support.book.ports import open_port
    from xl_support.book.template_layout import SUMMARY_SHEET
    from xl_support.operations.validation import CHECK_SHEET
    out = check_output_path(args.out, source=args.book, force=args.force, in_place=args.in_place)
    from pathlib import Path
    if not Path(args.book).is_file():
        raise UserFacingError(f"Không tìm thấy tệp «{args.book}».")
    try:
        port = open_port(args.book, quiet=True)     # calamine read, the package patched (issue 18.1)
        book = read_port_book(port, skip=(SUMMARY_SHEET, CHECK_SHEET))
    except UserFacingError:
        raise
    except FileNotFoundError:
        raise UserFacingError(f"Không tìm thấy tệp «{args.book}».") from None
    except Exception as e:  # a broken or foreign file: say so, no traceback
        raise UserFacingError(f"Không đọc được sổ «{args.book}»: {e}") from None
    try:
        closing = close_month(port, args.month, reopen=args.reopen, book=book)
    except CloseRefused as e:
        print(f"Lỗi: {e.message}", file=sys.stderr)
        return 1
    port.save(out)
    _cache_values(out)
    print(closing_text(closing) + f" → {out}", file=sys.stderr)
    return 0


def _cache_values(path) -> None:
    """The written book's live `HP_` formulas and `Tham số` look-ups get this month's cached
    values (issue 13.2; openpyxl drops them), through the file writer as validate -o does."""
    from xl_support.book.ports import open_port
    from xl_support.operations.live_formulas import refresh_cached_values
    port = open_port(path, quiet=True)
    if refresh_cached_values(port):
        port.save(path)
