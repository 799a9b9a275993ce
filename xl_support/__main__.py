"""Command line (design.md "Command line"): `python -m xl_support COMMAND …` / `hp-support`.

Each command's handler lives beside the code it runs (`module:function(args) -> exit status`).
"""
from __future__ import annotations

import argparse
import datetime as dt
import importlib
import sys

from xl_support.book.values import CellError, parse_month

KINDS = ("city-report", "insurance-list", "payment-list", "public-list", "budget", "arrears", "coming-changes")


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

    p = sub.add_parser("close-month", help="chốt tháng: ghi số đã chi trả vào sheet Đã chi trả")
    p.add_argument("book")
    p.add_argument("--month", type=month_arg)
    p.add_argument("--reopen", action="store_true", help="chốt lại tháng đã chốt (giữ các dòng cũ)")
    _out_options(p)
    p.set_defaults(handler="xl_support.operations.cycle:run_cli")

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


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    module, func = args.handler.split(":")
    from xl_support.book.fileio import UserFacingError
    try:
        return int(getattr(importlib.import_module(module), func)(args) or 0)
    except UserFacingError as e:
        print(f"Lỗi: {getattr(e, 'message', e)}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
