"""Command line (design.md "Command line"): `python -m xl_support COMMAND …` / `hp-support`.

Each command's handler lives beside the code it runs (`module:function(args) -> exit status`).
"""
from __future__ import annotations

import argparse
import datetime as dt
import importlib
import os
import sys

from xl_support.book.values import CellError, parse_month

KINDS = ("city-report", "insurance-list", "payment-list", "public-list", "budget")


def month_arg(text: str) -> dt.date:
    try:
        month = parse_month(text)
    except CellError as e:
        raise argparse.ArgumentTypeError(e.message) from None
    if month is None:
        raise argparse.ArgumentTypeError("cần tháng dạng YYYY-MM")
    return month


def _out_options(p: argparse.ArgumentParser, required: bool = True) -> None:
    p.add_argument("-o", "--out", required=required, help="tệp kết quả")
    p.add_argument("--force", action="store_true", help="ghi đè tệp kết quả đã có")
    p.add_argument("--in-place", action="store_true", help="cho phép ghi đè chính tệp đầu vào")


def parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(prog="hp-support", description="Hỗ trợ NQ 55/2025 và NQ 04/2026 – Hải Phòng")
    sub = ap.add_subparsers(dest="command", required=True)

    p = sub.add_parser("compute", help="điền 5 cột tính toán cho tháng")
    p.add_argument("book")
    p.add_argument("--month", type=month_arg)
    _out_options(p)
    p.set_defaults(handler="xl_support.cli:compute")

    p = sub.add_parser("validate", help="kiểm tra dữ liệu, ghi sheet Kiểm tra")
    p.add_argument("book")
    _out_options(p, required=False)
    p.set_defaults(handler="xl_support.operations.validation:run_cli")

    p = sub.add_parser("summary", help="sheet Tổng hợp cho lãnh đạo")
    p.add_argument("book")
    p.add_argument("--month", type=month_arg)
    _out_options(p)
    p.set_defaults(handler="xl_support.operations.summary:run_cli")

    p = sub.add_parser("export", help="xuất báo cáo, danh sách")
    p.add_argument("book")
    p.add_argument("--kind", required=True, choices=KINDS)
    p.add_argument("--month", type=month_arg)
    _out_options(p)
    p.set_defaults(handler="xl_support.operations.exports:run_cli")

    p = sub.add_parser("consolidate", help="tổng hợp toàn thành phố")
    p.add_argument("inputs", nargs="+")
    p.add_argument("--month", type=month_arg)
    p.add_argument("--jobs", type=int, default=0, help="số tiến trình (0 = tự chọn)")
    _out_options(p)
    p.set_defaults(handler="xl_support.operations.consolidate:run_cli")

    p = sub.add_parser("build-template", help="dựng lại workbook/Template.xlsm")
    p.add_argument("-o", "--out", default=None)
    p.set_defaults(handler="xl_support.build.template:run_cli")

    p = sub.add_parser("demo", help="chạy toàn bộ trên dữ liệu mẫu vào demo-output/")
    p.add_argument("--out-dir", default="demo-output")
    p.set_defaults(handler="xl_support.cli:demo")
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
