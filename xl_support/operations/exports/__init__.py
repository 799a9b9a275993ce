"""The exports (issue 6; design.md `export BOOK --kind … --month … -o OUT`): each an .xlsx in the
administrative layout of `reports.layout`, every figure from the engine (R11 applied per month).

* `city-report` — `city.py`: the month with the quarter's and year's running totals, the rest of
  the year's need; sheet `Dữ liệu` is machine-readable (`city.CITY_DATA_COLUMNS`).
* `insurance-list` — `insurance.py`: D03-TS, one sheet for people not at school, one per school.
* `payment-list` — `lists.py`: the payroll per residential group, signature column, total in words.
* `public-list` — `lists.py`: the list to post: neutral wording, masked IDs, month/year of birth.
* `budget` — `budget.py`: need 2026–2030 by year and group, insurance split where the base
  salary changes.

`export_book` refuses when the book has data errors (run *Kiểm tra dữ liệu* / `validate`) and
never overwrites a file unless `force`.
"""
from __future__ import annotations

import datetime as dt
import sys
from dataclasses import dataclass, field
from pathlib import Path

from xl_support.book.workbook import Book
from xl_support.book.fileio import UserFacingError, check_output_path, save_workbook_atomic
from xl_support.documents.layout import new_document_book
from xl_support.engine.rules import policy_window, to_date
from xl_support.operations.exports.common import unit_names
from xl_support.engine.schedule import month_add
from xl_support.operations.schedule import book_schedule

KINDS = ("city-report", "insurance-list", "payment-list", "public-list", "budget", "arrears", "coming-changes")
KIND_TITLES = {"city-report": "Báo cáo thành phố", "insurance-list": "Danh sách BHYT (D03-TS)",
               "payment-list": "Danh sách chi trả", "public-list": "Danh sách công khai",
               "budget": "Nhu cầu kinh phí", "arrears": "Truy lĩnh, truy thu",
               "coming-changes": "Thay đổi các tháng tới"}

__all__ = ["KINDS", "ExportResult", "ExportRefused", "export_book", "export_errors", "run_cli"]


@dataclass
class ExportResult:
    """What was written: the file, its sheets, how many people it lists (paid people for the
    reports) and its headline amount in VND (payroll total, D03-TS contribution, budget need…)."""
    path: Path
    kind: str
    month: dt.date
    sheets: list[str]
    rows: int
    total: int
    details: dict = field(default_factory=dict)


class ExportRefused(UserFacingError):
    """The book has data errors: nothing is exported (exit status 1, design.md)."""

    exit_status = 1

    def __init__(self, errors: list[str]):
        self.errors = errors
        shown = "\n".join(f"  – {e}" for e in errors[:5])
        more = f"\n  … và {len(errors) - 5} lỗi khác." if len(errors) > 5 else ""
        super().__init__(
            f"Sổ còn {len(errors)} lỗi dữ liệu nên chưa xuất báo cáo. Hãy chạy «Kiểm tra dữ liệu» "
            f"(lệnh validate) để xem toàn bộ danh sách lỗi, sửa rồi xuất lại.\n{shown}{more}")


def _where(sheet: str, cell: str) -> str:
    if sheet and cell:
        return f"«{sheet}» ô {cell}: "
    return f"«{sheet}»: " if sheet else ""


def export_errors(book: Book, month: dt.date | None = None) -> list[str]:
    """Every data error that forbids an export (Vietnamese, with its place): the errors of
    `validation.validate_book`. Pending rows, unconfirmed NQ 04 amounts and warnings are not errors."""
    from xl_support.operations.validation import validate_book
    return [_where(i.sheet, i.cell) + i.message for i in validate_book(book, month=month).errors]


def _range(book: Book, kind: str, month: dt.date) -> tuple[dt.date, dt.date]:
    """Months the kind needs from the schedule."""
    first, last = (to_date(m) for m in policy_window(book.settings.params))
    if kind == "city-report":
        from xl_support.operations.exports.city import schedule_range
        return schedule_range(month)
    if kind in ("insurance-list", "budget"):
        lo = min(first, month_add(month, -1)) if kind == "insurance-list" else first
        hi = max(last, month) if kind == "insurance-list" else last
        return lo, hi
    return month, month


def export_book(book: Book, kind: str, month: dt.date | None, out: str | Path, *, force: bool = False,
                on: dt.date | None = None) -> ExportResult:
    """Write the export `kind` of `book` for `month` (None: the book's report month) to `out`.

    `on` is the date printed on the place/date line (default: today). Raises `UserFacingError`
    (OUT exists without `force`, OUT is the book, unknown kind) or `ExportRefused` (data errors).
    """
    if kind not in KINDS:
        raise UserFacingError(f"Loại báo cáo «{kind}» không có; chọn một trong: {', '.join(KINDS)}.")
    path = check_output_path(out, source=book.source or None, force=force)
    if book.source and path.exists() and Path(book.source).exists() and path.samefile(book.source):
        raise UserFacingError("Không ghi báo cáo đè lên sổ đầu vào: hãy chọn tên tệp khác.")
    if not book.registers:
        raise UserFacingError("Không tìm thấy sổ đối tượng nào (sheet có cột «Họ và tên» và «Mã đối tượng»).")
    month = book.month(month)
    errors = export_errors(book, month)
    if errors:
        raise ExportRefused(errors)
    on = on or dt.date.today()
    unit = unit_names(book.settings)
    wb = new_document_book()
    groups = book.settings.groups
    sched = book_schedule(book, *_range(book, kind, month)) if kind not in ("arrears", "coming-changes",
                                                                           "payment-list") else None
    if kind == "arrears":                # issue 17: the monthly cycle
        from xl_support.operations.exports.arrears import export_arrears
        info = export_arrears(wb, book, month, unit, on)
    elif kind == "coming-changes":
        from xl_support.operations.exports.changes import write_changes
        info = write_changes(wb, book, month, unit, on)
    elif kind == "city-report":
        from xl_support.operations.exports.city import write_city_report
        info = write_city_report(wb, sched, month, unit, on, book.settings)
    elif kind == "insurance-list":
        from xl_support.operations.exports.insurance import write_insurance_list
        info = write_insurance_list(wb, sched, month, unit, on, book.settings.unit_code)
    elif kind == "payment-list":
        from xl_support.operations.exports.arrears import payroll_inputs, write_arrears_sheet
        from xl_support.operations.exports.lists import write_payment_list
        sched, by_col, lines, notes = payroll_inputs(book, month)
        info = write_payment_list(wb, sched, month, unit, on, groups, arrears=by_col)
        if len(lines):
            info["arrears"] = write_arrears_sheet(wb, lines, month, unit, on, groups, notes)
    elif kind == "public-list":
        from xl_support.operations.exports.lists import write_public_list
        info = write_public_list(wb, sched, month, unit, on, groups)
    else:
        from xl_support.operations.exports.budget import write_budget
        info = write_budget(wb, sched, month, unit, on, groups)
    wb.properties.creator = unit.full
    wb.properties.title = KIND_TITLES[kind]   # the version: documents.xlsx.product_version()
    save_workbook_atomic(wb, path)
    return ExportResult(path=path, kind=kind, month=month, sheets=wb.sheetnames, rows=int(info["rows"]),
                        total=int(info["total"]), details=info)


def run_cli(args) -> int:
    """`export BOOK --kind KIND [--month YYYY-MM] -o OUT [--force]` (design.md command line)."""
    from xl_support.engine.basis import money
    from xl_support.book.workbook import open_book
    if Path(args.book).exists() and Path(args.out).exists() and Path(args.out).samefile(args.book):
        raise UserFacingError("Không ghi báo cáo đè lên sổ đầu vào: hãy chọn tên tệp khác.")
    out = check_output_path(args.out, source=args.book, force=args.force, in_place=args.in_place)
    book = open_book(args.book)        # screened; an unreadable file is a UserFacingError
    result = export_book(book, args.kind, args.month, out, force=args.force)
    amount = f", {money(result.total)} đồng" if result.kind != "public-list" else ""
    print(f"Đã xuất «{KIND_TITLES[result.kind]}» tháng {result.month:%m/%Y}: {result.rows} người{amount} "
          f"→ {result.path} (sheet: {', '.join(result.sheets)})", file=sys.stderr)
    return 0
