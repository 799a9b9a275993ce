"""The one safe opening (issue 18 item 4): `check_workbook` per file against python-calamine
reading the same file, and `read_grids` (screening + reading, one in-memory copy) per file, on
the ward books of `make_wards.py` (114 × 1,000 rows in /tmp/hp_wards). Each side runs over all
the files, sides alternated, each file timed alone; printed per file: min / median over the runs
of the mean over the files, and the mean over the files of each file's best run (the box is
shared: a busy moment slows one call, not all runs of a file). Targets: the screening ≤ 2 ms per
file; read_grids ≤ calamine + 2 ms per file (it hands calamine the screened package with the
parts the screening inflated stored: calamine does not inflate them again).

    .venv/bin/python benchmarks/bench_screen.py [--folder /tmp/hp_wards] [--count 40] [--repeat 9]
"""
from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

TARGET_MS = 2.0
READ_OVER_MS = 2.0          # read_grids − calamine, per file


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

    def screen(f):                                  # as read_grids screens: with the error-cell side output
        assert check_workbook(f, with_errors=set()) is None, f

    def calamine(f):
        wb = CalamineWorkbook.from_path(f)
        for name in wb.sheet_names:
            wb.get_sheet_by_name(name).to_python(skip_empty_area=False)

    def grids(f):
        read_grids(f, empty_as_none=False)

    sides = {"check_workbook": screen, "calamine (đọc cả tệp)": calamine, "read_grids (kiểm tra + đọc)": grids}
    spent = {k: [[] for _ in files] for k in sides}      # side → file → ms of each run
    for f in files:                                 # imports and first calls outside the figures
        screen(f)
    for _ in range(args.repeat):
        for name, fn in sides.items():
            for i, f in enumerate(files):
                t = time.perf_counter()
                fn(f)
                spent[name][i].append((time.perf_counter() - t) * 1000)
    print(f"{len(files)} tệp ({args.folder}), {args.repeat} lượt, ms mỗi tệp: min / median của các lượt; "
          "trung bình lần nhanh nhất của từng tệp")
    best = {}
    for name, per_file in spent.items():
        runs = [statistics.fmean(ms[r] for ms in per_file) for r in range(args.repeat)]
        best[name] = statistics.fmean(min(ms) for ms in per_file)
        print(f"  {name:30s} {min(runs):6.2f} / {statistics.median(runs):6.2f};  {best[name]:6.2f}")
    ok = best["check_workbook"] <= TARGET_MS
    print(f"kiểm tra tệp: {best['check_workbook']:.2f} ms mỗi tệp (mục tiêu ≤ {TARGET_MS} ms) — "
          f"{'đạt' if ok else 'CHƯA ĐẠT'}; bằng {best['check_workbook'] / best['calamine (đọc cả tệp)'] * 100:.0f} % "
          "thời gian calamine đọc tệp")
    over = best["read_grids (kiểm tra + đọc)"] - best["calamine (đọc cả tệp)"]
    print(f"read_grids: hơn calamine {over:.2f} ms mỗi tệp (mục tiêu ≤ {READ_OVER_MS} ms) — "
          f"{'đạt' if over <= READ_OVER_MS else 'CHƯA ĐẠT'}")
    return 0 if ok and over <= READ_OVER_MS else 1


if __name__ == "__main__":
    sys.exit(main())
