"""Command line (design.md "Command line"): `python -m xl_support COMMAND …` / `hp-support`.

Each command's handler lives beside the code it runs (`module:function(args) -> exit status`).
Everything a user reads is Vietnamese, argparse's own words too (`VietParser`). A new command is
a few lines in `parser()`: `command(...)`, then the shared arguments (`add_book`, `add_month`,
`add_out`) and its own.
"""
from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import importlib
import os
import sys
from pathlib import Path

from xl_support import __version__
from xl_support.book.values import CellError, parse_month

# Export kinds and what each is (`export -h`); the same kinds as operations.exports.KINDS
# (tests/test_cli.py), kept here so that `-h` loads no workbook code.
KIND_HELP = {
    "city-report": "báo cáo gửi thành phố (số người, kinh phí theo nhóm và khu vực; sheet «Dữ liệu» cho máy đọc)",
    "insurance-list": "danh sách đề nghị cấp thẻ BHYT, mẫu D03-TS, gửi Bảo hiểm xã hội",
    "payment-list": "danh sách chi trả tháng, có cột ký nhận, để in",
    "public-list": "danh sách công khai để niêm yết (không ghi nhóm nhạy cảm, số định danh chỉ hiện 4 số cuối)",
    "budget": "dự toán kinh phí cả năm theo nhóm",
    "arrears": "truy lĩnh, truy thu: hưởng theo sổ hiện nay trừ số đã chi trả ở các tháng đã chốt",
    "coming-changes": "thay đổi hai tháng tới: bắt đầu, thôi hưởng, đổi mức, tăng/giảm BHYT, dòng còn chờ",
}
KINDS = tuple(KIND_HELP)

# ---------------------------------------------------------------- argparse in Vietnamese

ARGPARSE_VI = {
    "usage: ": "cách dùng: ",
    "positional arguments": "đối số bắt buộc",
    "options": "tùy chọn",
    "show this help message and exit": "in hướng dẫn này rồi thoát",
    "%(prog)s: error: %(message)s\n": "%(prog)s: lỗi: %(message)s\n",
    "argument %(argument_name)s: %(message)s": "đối số %(argument_name)s: %(message)s",
    "the following arguments are required: %s": "thiếu đối số bắt buộc: %s",
    "unrecognized arguments: %s": "không hiểu đối số: %s",
    "invalid choice: %(value)r (choose from %(choices)s)": "lựa chọn không có: %(value)r (chọn một trong: %(choices)s)",
    "invalid %(type)s value: %(value)r": "giá trị không hợp lệ: %(value)r",
    "expected one argument": "cần một giá trị",
    "expected at most one argument": "cần nhiều nhất một giá trị",
    "expected at least one argument": "cần ít nhất một giá trị",
    "expected %s argument": "cần %s giá trị",
    "expected %s arguments": "cần %s giá trị",
    "ambiguous option: %(option)s could match %(matches)s": "tùy chọn %(option)s không rõ, có thể là: %(matches)s",
    "not allowed with argument %s": "không dùng cùng đối số %s",
    "one of the arguments %s is required": "cần một trong các đối số %s",
    "ignored explicit argument %r": "tùy chọn này không nhận giá trị %r",
    "unknown parser %(parser_name)r (choices: %(choices)s)": "không có lệnh %(parser_name)r (các lệnh: %(choices)s)",
    "can't open '%(filename)s': %(error)s": "không mở được «%(filename)s»: %(error)s",
    "unexpected option string: %s": "tùy chọn không mong đợi: %s",
    # Newer Pythons (3.12–3.14: the bundle installs 3.11–3.13; tests run the machine's own argparse).
    "invalid choice: %(value)r, maybe you meant %(closest)r? (choose from %(choices)s)":
        "lựa chọn không có: %(value)r, có phải %(closest)r? (chọn một trong: %(choices)s)",
    "subcommands": "các lệnh",
    "%(heading)s:": "%(heading)s:",
    "%(prog)s: warning: %(message)s\n": "%(prog)s: cảnh báo: %(message)s\n",
    "option '%(option)s' is deprecated": "tùy chọn '%(option)s' không còn dùng",
    "argument '%(argument_name)s' is deprecated": "đối số '%(argument_name)s' không còn dùng",
    "command '%(parser_name)s' is deprecated": "lệnh '%(parser_name)s' không còn dùng",
    # Mistakes in the parser's own code (never seen by a user of a finished command), for completeness.
    "%r is not callable": "%r không gọi được",
    "'required' is an invalid argument for positionals": "đối số vị trí không nhận 'required'",
    ".__call__() not defined": ".__call__() chưa định nghĩa",
    'argument "-" with mode %r': "đối số «-» với chế độ %r",
    "cannot have multiple subparser arguments": "chỉ được một nhóm lệnh con",
    "cannot merge actions - two groups are named %r": "không gộp được: hai nhóm cùng tên %r",
    "conflicting option string: %s": "tùy chọn trùng: %s",
    "conflicting option strings: %s": "tùy chọn trùng: %s",
    "conflicting subparser: %s": "lệnh con trùng: %s",
    "conflicting subparser alias: %s": "tên khác của lệnh con trùng: %s",
    "dest= is required for options like %r": "cần dest= cho tùy chọn như %r",
    "invalid conflict_resolution value: %r": "giá trị conflict_resolution không hợp lệ: %r",
    "invalid option string %(option)r: must start with a character %(prefix_chars)r":
        "tùy chọn %(option)r không hợp lệ: phải bắt đầu bằng %(prefix_chars)r",
    "mutually exclusive arguments must be optional": "các đối số loại trừ nhau phải là tùy chọn",
}


def _vi(message: str) -> str:
    return ARGPARSE_VI.get(message, message)


def _vi_n(singular: str, plural: str, n: int) -> str:
    return _vi(singular if n == 1 else plural)


@contextlib.contextmanager
def _vietnamese():
    """argparse looks its words up through its module-level gettext functions: answer them in
    Vietnamese while our parser works, and put the originals back after (other parsers in the
    same process, e.g. pytest's, keep theirs)."""
    saved = argparse._, argparse.ngettext
    argparse._, argparse.ngettext = _vi, _vi_n
    try:
        yield
    finally:
        argparse._, argparse.ngettext = saved


class VietFormatter(argparse.RawDescriptionHelpFormatter):
    """Keeps the line breaks of descriptions and epilogs (exit statuses, export kinds)."""

    def __init__(self, prog, **kwargs):
        kwargs.setdefault("max_help_position", 30)
        super().__init__(prog, **kwargs)


class VietParser(argparse.ArgumentParser):
    """An ArgumentParser that speaks Vietnamese; after parsing it runs the command's own checks
    (`set_defaults(check=…)`: e.g. the output's extension) before any work is done."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("formatter_class", VietFormatter)
        with _vietnamese():
            super().__init__(*args, **kwargs)

    def parse_known_args(self, *args, **kwargs):
        with _vietnamese():
            return super().parse_known_args(*args, **kwargs)

    def parse_args(self, *args, **kwargs):
        with _vietnamese():
            ns = super().parse_args(*args, **kwargs)
            check = getattr(ns, "check", None)
            if check is not None:
                try:
                    check(ns)
                except argparse.ArgumentTypeError as e:
                    getattr(ns, "command_parser", self).error(str(e))
            return ns

    def add_subparsers(self, **kwargs):
        with _vietnamese():
            return super().add_subparsers(**kwargs)

    def format_usage(self):
        with _vietnamese():
            return super().format_usage()

    def format_help(self):
        with _vietnamese():
            return super().format_help()

    def error(self, message):
        with _vietnamese():
            super().error(message)


# ---------------------------------------------------------------- shared arguments

MONTH_FORMATS = "YYYY-MM hoặc mm/yyyy, ví dụ 2026-11 hoặc 11/2026"
EXIT_0 = "0  xong"
EXIT_2 = "2  không chạy được (đối số sai, không đọc được tệp, tệp kết quả đã có hoặc không ghi được); " \
         "lý do in ra stderr"
XLSX, XLSM = ".xlsx", ".xlsm"


def month_arg(text: str) -> dt.date:
    """`--month`: YYYY-MM or mm/yyyy (book.values.parse_month, which also takes a date dd/mm/yyyy)."""
    try:
        month = parse_month(text)
    except CellError:
        month = None
    if month is None:
        raise argparse.ArgumentTypeError(f"tháng không hợp lệ: «{text}» (cần {MONTH_FORMATS})")
    return month


def jobs_arg(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = -1
    if value < 0:
        raise argparse.ArgumentTypeError(f"«{text}» không phải số tiến trình (số nguyên ≥ 0; 0 = tự chọn)")
    return value


def exits_text(*lines: str) -> str:
    return "mã thoát:\n" + "\n".join(f"  {line}" for line in lines)


def command(sub, name: str, handler: str, summary: str, description: str, exits: tuple[str, ...],
            extra: str = "") -> argparse.ArgumentParser:
    """One subcommand: its help line, description, exit statuses and handler ("module:function")."""
    epilog = "\n\n".join(t for t in (extra, exits_text(*exits)) if t)
    p = sub.add_parser(name, help=summary, description=description, epilog=epilog)
    p.set_defaults(handler=handler, command_parser=p)
    return p


def add_book(p: argparse.ArgumentParser, what: str = "sổ theo dõi của đơn vị") -> None:
    p.add_argument("book", metavar="SỔ", help=f"{what} (.xlsm hoặc .xlsx; sheet danh sách nhận ra theo dòng "
                                              "tiêu đề có «Họ và tên» và «Mã đối tượng»)")


def add_month(p: argparse.ArgumentParser) -> None:
    p.add_argument("--month", type=month_arg, metavar="THÁNG",
                   help=f"tháng tính ({MONTH_FORMATS}); bỏ trống = «Tháng báo cáo» ở sheet Tham số, "
                        "không có thì tháng hiện tại")


def add_build_out(p: argparse.ArgumentParser, name: str, suffix: str, why: str) -> None:
    """`-o TỆP` of a build command: the file built, by default workbook/`name` of the sources."""
    p.add_argument("-o", "--out", default=None, metavar="TỆP",
                   help=f"tệp {suffix} sẽ ghi; bỏ trống = workbook/{name} của mã nguồn (bắt buộc khi chạy từ "
                        "gói đã cài)")
    p.set_defaults(check=lambda a: _check_suffix("-o", a.out, (suffix,), why))


def _check_suffix(option: str, path: str | None, suffixes: tuple[str, ...], why: str) -> None:
    if path is not None and Path(path).suffix.lower() not in suffixes:
        raise argparse.ArgumentTypeError(f"{option} «{path}»: cần tệp đuôi {' hoặc '.join(suffixes)} ({why})")


def add_out(p: argparse.ArgumentParser, kind: str, *, required: bool = True, in_place: bool = False,
            help: str | None = None) -> None:
    """-o/--out (+ --force, + --in-place where the command may rewrite its own input).

    kind "book": OUT is the input book changed, so it keeps the book's extension (.xlsm with
    macros, .xlsx without); "xlsx": a new workbook without macros; "xlsm": a macro workbook.
    Checked right after parsing, before any work."""
    default_help = {"book": "tệp kết quả: sổ đã xử lý, cùng đuôi với SỔ (.xlsm giữ macro, .xlsx)",
                    "xlsx": "tệp kết quả Excel mới (.xlsx)", "xlsm": "tệp kết quả (.xlsm, sổ có macro)"}[kind]
    p.add_argument("-o", "--out", required=required, metavar="TỆP", help=help or default_help)
    p.add_argument("--force", action="store_true", help="ghi đè TỆP kết quả nếu đã có")
    if in_place:
        p.add_argument("--in-place", action="store_true", help="cho phép TỆP kết quả là chính SỔ (ghi đè sổ đầu vào)")
    else:
        p.set_defaults(in_place=False)

    def check(args) -> None:
        out = getattr(args, "out", None)
        if kind == "book":
            suffix = Path(args.book).suffix.lower()
            allowed = (suffix,) if suffix in (XLSX, XLSM) else (XLSM, XLSX)
            _check_suffix("-o", out, allowed, "cùng loại với sổ đầu vào")
        elif kind == "xlsx":
            _check_suffix("-o", out, (XLSX,), "bảng tính Excel không có macro")
        else:
            _check_suffix("-o", out, (XLSM,), "sổ Excel có macro")
    p.set_defaults(check=check)


# ---------------------------------------------------------------- the commands

def parser() -> argparse.ArgumentParser:
    ap = VietParser(prog="hp-support", description="Hỗ trợ NQ 55/2025 và NQ 04/2026 – Hải Phòng: kiểm tra, "
                    "tính, tổng hợp, xuất báo cáo từ sổ theo dõi của xã, phường, đặc khu; tổng hợp toàn thành phố.",
                    epilog="Hướng dẫn một lệnh: hp-support LỆNH -h (ví dụ: hp-support export -h).")
    ap.add_argument("--version", action="version", version=f"hp-support {__version__}",
                    help="in phiên bản chương trình rồi thoát")
    sub = ap.add_subparsers(dest="command", required=True, metavar="LỆNH", title="các lệnh")

    p = command(sub, "compute", "xl_support.cli:compute", "điền 5 cột tính toán cho một tháng",
                "Điền năm cột «Mức hỗ trợ», «Trong đó bù chênh lệch», «Hỗ trợ BHYT», «Hưởng đến ngày», «Căn cứ» "
                "của mọi danh sách trong sổ cho tháng đã chọn, áp dụng quy tắc mỗi người một mức cao nhất; "
                "in ra tháng đã dùng.", (EXIT_0, EXIT_2))
    add_book(p)
    add_month(p)
    add_out(p, "book", in_place=True)

    p = command(sub, "validate", "xl_support.operations.validation:run_cli", "kiểm tra dữ liệu (sheet Kiểm tra)",
                "Kiểm tra mọi dòng của các danh sách: in mỗi lỗi một dòng; với -o ghi thêm sheet «Kiểm tra» và tô "
                "màu các ô sai vào TỆP.", (EXIT_0 + ": không có lỗi (chỉ có cảnh báo cũng là 0)",
                                           "1  có lỗi dữ liệu", EXIT_2))
    add_book(p)
    add_out(p, "book", required=False, in_place=True,
            help="ghi sổ có sheet «Kiểm tra» và ô sai được tô màu vào TỆP (cùng đuôi với SỔ); bỏ trống = chỉ in")

    p = command(sub, "summary", "xl_support.operations.summary:run_cli", "lập sheet Tổng hợp cho lãnh đạo",
                "Lập sheet «Tổng hợp»: số người và kinh phí theo nhóm, khu vực, tổ dân phố; chi trả tháng và nhu "
                "cầu kinh phí cả năm.", (EXIT_0, EXIT_2))
    add_book(p)
    add_month(p)
    add_out(p, "book", in_place=True)

    kinds = "các loại (--kind):\n" + "\n".join(f"  {k:<15} {v}" for k, v in KIND_HELP.items())
    p = command(sub, "export", "xl_support.operations.exports:run_cli", "xuất báo cáo, danh sách ra tệp mới",
                "Lập một tệp Excel mới (.xlsx) từ sổ: báo cáo, danh sách theo mẫu. Sổ còn lỗi dữ liệu thì không "
                "xuất (chạy validate để xem lỗi).", (EXIT_0, "1  sổ còn lỗi dữ liệu: không xuất", EXIT_2),
                extra=kinds)
    add_book(p)
    p.add_argument("--kind", required=True, choices=KINDS, metavar="LOẠI",
                   help="loại báo cáo: " + ", ".join(KINDS) + " (xem dưới đây)")
    add_month(p)
    add_out(p, "xlsx")

    p = command(sub, "close-month", "xl_support.operations.cycle:run_cli", "chốt tháng (sheet Đã chi trả)",
                "Chốt tháng: sau khi kiểm tra không có lỗi, ghi số đã chi trả của từng người trong tháng vào sheet "
                "ẩn «Đã chi trả». Tháng đã chốt không bao giờ tính lại; chốt lại cần --reopen. Các tháng chốt "
                "theo thứ tự.", (EXIT_0, "1  sổ còn lỗi dữ liệu: không chốt", EXIT_2))
    add_book(p)
    add_month(p)
    p.add_argument("--reopen", action="store_true", help="chốt lại tháng đã chốt (giữ các dòng cũ, đánh dấu đã thay)")
    add_out(p, "book", in_place=True)

    p = command(sub, "consolidate", "xl_support.operations.consolidate:run_cli", "tổng hợp toàn thành phố",
                "Tổng hợp sổ của các đơn vị thành một tệp của thành phố: tổng số, đơn vị chưa gửi, người được chi "
                "trả ở hai đơn vị. Tệp hỏng hoặc không đọc được được liệt kê, các tệp khác vẫn được tổng hợp.",
                (EXIT_0, "2  không chạy được (không có sổ nào, tệp kết quả đã có…)",
                 "3  tổng hợp một phần: có tệp không đọc được (xem sheet liệt kê tệp)"))
    p.add_argument("inputs", nargs="+", metavar="THƯ_MỤC_HOẶC_SỔ",
                   help="thư mục chứa sổ của các đơn vị (.xlsx, .xlsm), hoặc từng tệp sổ")
    add_month(p)
    p.add_argument("--jobs", type=jobs_arg, default=0, metavar="N", help="số tiến trình đọc song song (0 = tự chọn)")
    add_out(p, "xlsx")

    p = command(sub, "prepare", "xl_support.operations.prepare:run_cli",
                "chuẩn bị sổ có sẵn: thêm cột tính, sheet Tham số",
                "Chuẩn bị một sổ theo dõi có sẵn của đơn vị (không theo sổ mẫu): nhận ra các danh sách theo dòng "
                "tiêu đề, thêm bên phải mỗi danh sách các cột tính còn thiếu với công thức HP_ sống, thêm sheet "
                "«Tham số» và «xlwings.conf» khi chưa có; không đổi ô nhập nào. Chạy lại lần hai không đổi gì.",
                (EXIT_0, EXIT_2))
    add_book(p)
    p.add_argument("--unit", metavar="ĐƠN_VỊ", help="tên đơn vị trong danh sách 114, ví dụ «Phường Đồ Sơn»")
    add_month(p)
    add_out(p, "book", in_place=True)

    p = command(sub, "build-addin", "xl_support.build.addin:run_cli", "dựng lại phần bổ trợ HoTroNQ.xlam",
                "Dựng phần bổ trợ Excel HoTroNQ.xlam từ mã nguồn (cùng nội dung từng byte mỗi lần dựng). Ghi đè TỆP.",
                (EXIT_0, EXIT_2))
    add_build_out(p, "HoTroNQ.xlam", ".xlam", "phần bổ trợ Excel")

    p = command(sub, "build-template", "xl_support.build.template:run_cli", "dựng lại sổ mẫu Template.xlsm",
                "Dựng sổ mẫu Template.xlsm từ mã nguồn (cùng nội dung từng byte mỗi lần dựng). Ghi đè TỆP.",
                (EXIT_0, EXIT_2))
    add_build_out(p, "Template.xlsm", XLSM, "sổ Excel có macro")

    p = command(sub, "build-bundle", "xl_support.build.bundle:run_cli", "lập bộ cài ngoại tuyến cho máy Windows",
                "Lập HoTroNQ-<phiên bản>-win64.zip: gói chương trình và mọi gói phụ thuộc cho Windows 64 bit, "
                "Python 3.11, 3.12, 3.13; cai-dat.cmd; Template.xlsm; HoTroNQ.xlam (nếu đã dựng); HUONG-DAN.pdf. "
                "Cần mạng tới kho gói Python và LibreOffice trên máy lập bộ cài; máy dùng bộ cài không cần mạng.",
                (EXIT_0, EXIT_2))
    p.add_argument("-o", "--out-dir", required=True, metavar="THƯ_MỤC", help="thư mục ghi tệp .zip (tạo nếu chưa có)")
    p.add_argument("--force", action="store_true", help="ghi đè tệp .zip nếu đã có")

    p = command(sub, "demo", "xl_support.cli:demo", "chạy thử toàn bộ trên dữ liệu mẫu",
                "Tạo bốn sổ mẫu của đơn vị rồi chạy validate, compute, summary, export (5 loại), consolidate; kết "
                "quả ghi vào THƯ_MỤC. Thư mục do demo tạo được đánh dấu; chạy lại chỉ xóa những tệp demo đã tạo. "
                "Thư mục đã có mà không có dấu đó thì demo từ chối (không xóa gì).", (EXIT_0, EXIT_2))
    p.add_argument("--out-dir", default="demo-output", metavar="THƯ_MỤC",
                   help="thư mục kết quả (mặc định demo-output trong thư mục hiện tại)")
    return ap


def _safe_streams() -> None:
    """stdout/stderr survive a console that cannot show Vietnamese (Windows code pages):
    a character the console lacks is written as an escape, never a UnicodeEncodeError."""
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.reconfigure(errors="backslashreplace")
        except (AttributeError, ValueError, OSError):   # replaced streams (tests, IDEs) keep theirs
            pass


def _say(text: str) -> None:
    try:
        print(text, file=sys.stderr)
    except (OSError, ValueError):      # stderr closed or broken: nothing more can be said
        pass


def main(argv: list[str] | None = None) -> int:
    """Run one command; the exit-status contract (design.md): 0 done, 1 data errors, 2 could not
    run, 3 partial. Never a traceback: every failure is a Vietnamese line on stderr."""
    _safe_streams()
    args = parser().parse_args(argv)
    module, func = args.handler.split(":")
    from xl_support.book.fileio import UserFacingError, os_reason, release_all
    try:
        return int(getattr(importlib.import_module(module), func)(args) or 0)
    except UserFacingError as e:
        _say(f"Lỗi: {getattr(e, 'message', e)}")
        return int(getattr(e, "exit_status", 2))
    except KeyboardInterrupt:
        _say("Đã dừng theo yêu cầu người dùng; tệp kết quả (nếu có) chưa được ghi.")
        return 2
    except MemoryError:
        _say("Lỗi: không đủ bộ nhớ để chạy lệnh (sổ quá lớn hoặc có vùng dữ liệu bất thường).")
        return 2
    except OSError as e:
        where = f" «{e.filename}»" if getattr(e, "filename", None) else ""
        _say(f"Lỗi: không đọc/ghi được tệp{where}: {os_reason(e)}.")
        return 2
    except Exception as e:  # noqa: BLE001 — the last line of defence: a message, never a traceback
        _say(f"Lỗi: lệnh «{args.command}» không chạy được do lỗi bất ngờ ({type(e).__name__}). "
             "Hãy kiểm tra tệp đầu vào; nếu lỗi lặp lại, hãy gửi tệp và dòng lệnh này cho bộ phận hỗ trợ.")
        if os.environ.get("HP_SUPPORT_DEBUG"):
            import traceback
            traceback.print_exc()
        return 2
    finally:
        release_all()               # the locks next to OUT this command took (issue 12)


if __name__ == "__main__":
    sys.exit(main())
