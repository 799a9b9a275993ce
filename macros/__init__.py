"""Ribbon actions (RunPython targets of the template's `Ribbon` VBA module): read the calling
book through the xlwings book port, run the xl_support operation, write back, report in the
status bar. The same operations run on files from the command line (design.md "Macros")."""
from __future__ import annotations

import datetime as dt
from pathlib import Path

__all__ = ["prepare", "validate", "compute", "summary", "export_city_report", "export_insurance_list",
           "export_payment_list", "export_public_list", "export_budget", "reload_functions", "show_guide",
           "close_month", "export_arrears", "export_coming_changes"]

GUIDE_SHEET = "Hướng dẫn"


def _port(book=None):
    from .xlwings_port import XlwingsPort
    return XlwingsPort(book)


def _run(action, book=None, needs_register: bool = True):
    """Run `action(port)` on the target book (`xlwings_port.target_book`); a user-facing error goes
    to the status bar and a message box instead of a traceback. A book without any register gets
    a message box and is not changed."""
    from xl_support.book.fileio import UserFacingError
    from xl_support.book.ports import read_port_book
    from xl_support.book.workbook import no_register_message
    port = _port(book)
    try:
        if needs_register and not read_port_book(port).registers:
            raise UserFacingError(no_register_message(port.name))
        return action(port)
    except UserFacingError as e:
        port.progress(f"Lỗi: {e.message.splitlines()[0]}")
        port.alert(e.message)
        return None


def prepare(book=None):
    """*Chuẩn bị sổ* (the add-in's first button): the computed columns with live formulas to the
    right of each register, `Tham số` and the hidden `xlwings.conf` when missing; what was done and
    what was not recognised in a message box."""
    from xl_support.operations.prepare import MESSAGE_BOX_LIMIT, prepare as prepare_op

    def action(port):
        report = prepare_op(port)
        port.alert(report.text(MESSAGE_BOX_LIMIT), mode="info")
        if report.registers:
            port.activate(report.registers[0].sheet)
        return report
    return _run(action, book, needs_register=False)      # prepare says itself that there is none


def validate(book=None):
    """*Kiểm tra*: every issue in the `Kiểm tra` sheet, offending cells highlighted."""
    from xl_support.operations.validation import CHECK_SHEET, validate as validate_op

    def action(port):
        report = validate_op(port)
        port.activate(CHECK_SHEET)
        return report
    return _run(action, book)


def compute(book=None, month: dt.date | None = None):
    """*Tính lại*: the five computed columns for the report month (R11 applied)."""
    from xl_support.engine.basis import money
    from xl_support.operations.compute import compute as compute_op

    def action(port):
        results = compute_op(port, month)
        total = sum(int(r.res.benefit.sum()) for r in results)
        port.progress(f"Đã tính {sum(len(r.register.table) for r in results)} dòng; "
                      f"tổng mức hỗ trợ tháng: {money(total)} đồng")
        return results
    return _run(action, book)


def summary(book=None, month: dt.date | None = None):
    """*Tổng hợp*: the leaders' summary sheet for the report month."""
    from xl_support.operations.summary import SUMMARY_SHEET, summary as summary_op

    def action(port):
        fig = summary_op(port, month)
        port.activate(SUMMARY_SHEET)
        return fig
    return _run(action, book)


def _free_name(path: Path) -> Path:
    """`path`, or `name (2).xlsx`, `name (3).xlsx`… — an export never replaces a file."""
    candidate, n = path, 1
    while candidate.exists():
        n += 1
        candidate = path.with_name(f"{path.stem} ({n}){path.suffix}")
    return candidate


def _export(kind: str, book=None, month: dt.date | None = None):
    """*Xuất báo cáo*: the export `kind` of the calling book for the report month, written next to
    the workbook as `<book> - <kind> - <mm-yyyy>.xlsx` (a new name when that file exists)."""
    from xl_support.operations.exports import ExportRefused, export_book
    from xl_support.book.ports import read_port_book
    from xl_support.operations.summary import SUMMARY_SHEET
    from xl_support.operations.validation import CHECK_SHEET, validate as validate_op

    def action(port):
        port.progress(f"Đang xuất «{kind}»…")
        data = read_port_book(port, skip=(SUMMARY_SHEET, CHECK_SHEET))
        chosen = data.month(month)
        folder = Path(getattr(port.book, "fullname", "") or port.name).parent
        out = _free_name(folder / f"{Path(port.name).stem} - {kind} - {chosen:%m-%Y}.xlsx")
        try:
            result = export_book(data, kind, chosen, out)
        except ExportRefused:
            validate_op(port)            # offer the list: every error, in the Kiểm tra sheet
            port.activate(CHECK_SHEET)
            raise
        port.progress(f"Đã xuất {result.path}")
        return result
    return _run(action, book)


def export_city_report(book=None, month=None):
    return _export("city-report", book, month)


def export_insurance_list(book=None, month=None):
    return _export("insurance-list", book, month)


def export_payment_list(book=None, month=None):
    return _export("payment-list", book, month)


def export_public_list(book=None, month=None):
    return _export("public-list", book, month)


def export_budget(book=None, month=None):
    return _export("budget", book, month)


def export_arrears(book=None, month=None):
    return _export("arrears", book, month)


def export_coming_changes(book=None, month=None):
    return _export("coming-changes", book, month)


def close_month(book=None, month: dt.date | None = None, reopen: bool = False):
    """*Chốt tháng* (issue 17): record the report month's payments in the hidden sheet
    `Đã chi trả`; refused for a month already closed, out of order, or a book with errors."""
    from xl_support.operations.cycle import CloseRefused, close_month as close_op
    from xl_support.operations.validation import CHECK_SHEET, validate as validate_op

    def action(port):
        try:
            closing = close_op(port, month, reopen=reopen)
        except CloseRefused:
            validate_op(port)
            port.activate(CHECK_SHEET)
            raise
        return closing
    return _run(action, book)


def reload_functions(book=None):
    """*Nạp lại hàm* (after VBA `KillPy` restarted the functions' Python process): put the live
    HP_ column formulas back into template registers, e.g. after *Tính lại* froze values."""
    def action(port):
        from xl_support.operations.live_formulas import restore_live_formulas
        restored = restore_live_formulas(port)
        port.progress(f"Đã nạp lại các hàm và đặt lại {restored} cột công thức trực tiếp")
        return restored
    return _run(action, book)


ADDIN_GUIDE = (
    "Dùng thẻ «Hỗ trợ NQ» với sổ đang mở:\n"
    "1. «Chuẩn bị sổ»: thêm năm cột tính (Mức hỗ trợ … Căn cứ) bên phải mỗi danh sách và sheet «Tham số»; "
    "không sửa ô nào đã nhập. Chọn Đơn vị và Tháng báo cáo ở sheet «Tham số».\n"
    "2. «Kiểm tra dữ liệu»: các lỗi ở sheet «Kiểm tra», ô sai được tô màu.\n"
    "3. «Tính lại»: tính năm cột cho tháng báo cáo (một người chỉ hưởng một mức cao nhất).\n"
    "4. «Tổng hợp», «Xuất báo cáo»: bảng tổng hợp và các báo cáo, ghi thành tệp mới cạnh sổ.\n"
    "«Nạp lại hàm» đặt lại công thức của năm cột sau khi «Tính lại».")


def show_guide(book=None):
    """*Hướng dẫn*: open the guide sheet of a template book; elsewhere (the add-in on a ward's own
    workbook) the steps in a message box."""
    def action(port):
        if GUIDE_SHEET in port.sheet_names():
            port.activate(GUIDE_SHEET)
            port.progress("Xem hướng dẫn tại sheet «Hướng dẫn»")
        else:
            port.alert(ADDIN_GUIDE, mode="info")
    return _run(action, book, needs_register=False)
