"""Handlers of the commands that are not one operation's own `run_cli`: `compute` and `demo`."""
from __future__ import annotations

import datetime as dt
import shutil
import sys
from pathlib import Path

DEMO_MONTH = dt.date(2026, 11, 1)
DEMO_WARDS = [("Phường Đồ Sơn", "Phường", 1), ("Phường Phù Liễn", "Phường", 2), ("Xã An Lão", "Xã", 3),
              ("Đặc khu Cát Hải", "Đặc khu", 4)]
DEMO_KINDS = ("city-report", "insurance-list", "payment-list", "public-list", "budget")


def compute(args) -> int:
    """`compute BOOK --month YYYY-MM -o OUT` (design.md): fill the five columns, write atomically."""
    from xl_support.book.fileio import check_output_path
    from xl_support.book.ports import open_port
    from xl_support.operations.compute import compute as compute_op

    out = check_output_path(args.out, source=args.book, force=args.force, in_place=args.in_place)
    port = open_port(args.book)
    results = compute_op(port, args.month)
    if results:
        port.activate(results[0].register.sheet)
    from xl_support.operations.live_formulas import cache_settings_formulas
    cache_settings_formulas(port)
    port.save(out)
    rows = sum(len(r.register.frame) for r in results)
    total = sum(int(r.res.benefit.sum()) for r in results)
    print(f"Đã tính {rows} dòng trong {len(results)} sổ; tổng mức hỗ trợ tháng: {total:,} đồng → {out}"
          .replace(",", "."), file=sys.stderr)
    return 0


def demo(args) -> int:
    """`demo`: the main job on the shipped sample, every step through the real command line."""
    from xl_support.__main__ import main
    from xl_support.build.demo_book import write_demo_workbook

    out = Path(args.out_dir)
    if out.exists():
        shutil.rmtree(out)
    wards = out / "phuong-gui-len"
    wards.mkdir(parents=True)
    month = f"{DEMO_MONTH:%Y-%m}"
    books = [write_demo_workbook(wards / f"{i}-{unit.removeprefix(kind).strip().replace(' ', '-')}.xlsm",
                                 unit=unit, unit_type=kind, month=DEMO_MONTH, n55=60, n04=30, seed=seed)
             for i, (unit, kind, seed) in enumerate(DEMO_WARDS, 1)]
    book = books[0]
    print(f"1. Sổ mẫu của phường: {book}", file=sys.stderr)
    steps = [
        ["validate", book, "-o", out / "1-kiem-tra.xlsm"],
        ["compute", book, "--month", month, "-o", out / "2-da-tinh.xlsm"],
        ["summary", book, "--month", month, "-o", out / "3-tong-hop.xlsm"],
        *[["export", book, "--kind", kind, "--month", month, "-o", out / f"4-{kind}.xlsx"] for kind in DEMO_KINDS],
        ["consolidate", wards, "--month", month, "-o", out / "5-tong-hop-thanh-pho.xlsx"],
    ]
    worst = 0
    for step in steps:
        argv = [str(a) for a in step]
        print(f"\n$ python -m xl_support {' '.join(argv)}", file=sys.stderr)
        status = main(argv)
        print(f"→ mã thoát {status}", file=sys.stderr)
        worst = max(worst, 0 if step[0] == "validate" and status == 1 else status)
    print(f"\nKết quả trong {out}/", file=sys.stderr)
    return worst
