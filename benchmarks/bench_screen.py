"""The one safe opening (issue 18 item 4): `check_workbook` per file against python-calamine
reading the same file, and `read_grids` (screening + reading, one in-memory copy) per file, on
the ward books of `make_wards.py` (114 × 1,000 rows in /tmp/hp_wards). Each side runs over all
files, sides alternated, min / median of the runs, in wall-clock and in CPU time of this process
(the box is shared: CPU time moves less). Target: the screening ≤ 2 ms per file (min, wall).

    .venv/bin/python benchmarks/bench_screen.py [--folder /tmp/hp_wards] [--count 40] [--repeat 9]
"""
from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

TARGET_MS = 2.0


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--folder", default="/tmp/hp_wards")
    ap.add_argument("--count", type=int, default=40)
    ap.add_argument("--repeat", type=int, default=9)
    args = ap.parse_args()
    files = sorted(str(p) for p in Path(args.folder).glob("*.xlsx"))[: args.count]
    if not files:
        print(f"không có tệp .xlsx trong {args.folder} (chạy benchmarks/make_wards.py)")
        return 2

    from python_calamine import CalamineWorkbook

    from xl_support.book.safe_open import check_workbook
    from xl_support.book.workbook import read_grids

    def screen():                                   # as read_grids screens: with the error-cell side output
        for f in files:
            assert check_workbook(f, with_errors=set()) is None, f

    def calamine():
        for f in files:
            wb = CalamineWorkbook.from_path(f)
            for name in wb.sheet_names:
                wb.get_sheet_by_name(name).to_python(skip_empty_area=False)

    def grids():
        for f in files:
            read_grids(f, empty_as_none=False)

    sides = {"check_workbook": screen, "calamine (đọc cả tệp)": calamine, "read_grids (kiểm tra + đọc)": grids}
    wall: dict[str, list[float]] = {k: [] for k in sides}
    cpu: dict[str, list[float]] = {k: [] for k in sides}
    screen()                                        # imports and first calls outside the figures
    for _ in range(args.repeat):
        for name, fn in sides.items():
            w, c = time.perf_counter(), time.process_time()
            fn()
            wall[name].append((time.perf_counter() - w) / len(files) * 1000)
            cpu[name].append((time.process_time() - c) / len(files) * 1000)
    print(f"{len(files)} tệp ({args.folder}), {args.repeat} lượt, ms mỗi tệp — min / median (thời gian thực; CPU):")
    for name in sides:
        print(f"  {name:30s} {min(wall[name]):6.2f} / {statistics.median(wall[name]):6.2f}"
              f"   (CPU {min(cpu[name]):6.2f} / {statistics.median(cpu[name]):6.2f})")
    best = min(wall["check_workbook"])
    ok = best <= TARGET_MS
    print(f"kiểm tra tệp: {best:.2f} ms mỗi tệp (mục tiêu ≤ {TARGET_MS} ms) — {'đạt' if ok else 'CHƯA ĐẠT'}; "
          f"bằng {best / min(wall['calamine (đọc cả tệp)']) * 100:.0f} % thời gian calamine đọc tệp")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
