"""`demo`: the main job on the shipped sample, every step through the real command line."""
from __future__ import annotations

import datetime as dt
import shutil
import sys
from pathlib import Path

DEMO_MONTH = dt.date(2026, 11, 1)
DEMO_WARDS = [("Phường Đồ Sơn", "Phường", 1), ("Phường Phù Liễn", "Phường", 2), ("Xã An Lão", "Xã", 3),
              ("Đặc khu Cát Hải", "Đặc khu", 4)]
KINDS = ("city-report", "insurance-list", "payment-list", "public-list", "budget")


def write_ward_book(path: Path, unit: str, unit_type: str, seed: int, n55: int = 60, n04: int = 30) -> Path:
    """A sample ward workbook: the built template filled with sample rows (contract workbook as fallback)."""
    try:
        from .demo_book import write_demo_workbook
    except ImportError:
        from .sample import write_sample_book as write_demo_workbook
    return write_demo_workbook(path, unit=unit, unit_type=unit_type, month=DEMO_MONTH, n55=n55, n04=n04, seed=seed)


def run_cli(args) -> int:
    from .__main__ import main
    out = Path(args.out_dir)
    if out.exists():
        shutil.rmtree(out)
    wards = out / "phuong-gui-len"
    wards.mkdir(parents=True)
    month = f"{DEMO_MONTH:%Y-%m}"
    books = [write_ward_book(wards / f"{i}-{unit.removeprefix(kind).strip().replace(' ', '-')}.xlsm", unit, kind, seed)
             for i, (unit, kind, seed) in enumerate(DEMO_WARDS, 1)]
    book = books[0]
    print(f"1. Sổ mẫu của phường: {book}", file=sys.stderr)
    steps = [
        ["validate", book, "-o", out / "1-kiem-tra.xlsm"],
        ["compute", book, "--month", month, "-o", out / "2-da-tinh.xlsm"],
        ["summary", book, "--month", month, "-o", out / "3-tong-hop.xlsm"],
        *[["export", book, "--kind", kind, "--month", month, "-o", out / f"4-{kind}.xlsx"] for kind in KINDS],
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
