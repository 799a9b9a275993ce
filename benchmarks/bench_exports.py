"""Benchmark (design.md "Performance", issue 16): each export of a register of 10,000 and of
100,000 rows, beside the time python-calamine alone takes to read every sheet of the same book,
in the same run. Target: ≤ 5 × the calamine read, for every export.

    .venv/bin/python benchmarks/bench_exports.py [--rows 10000 100000] [--repeat 3] [--kinds …]

An export is timed as the command does it: open the book (calamine), check it (validation),
compute the schedule and write the document (`documents.xlsx`). The two sides alternate, each
run is checked to give the same people count and total; min and median are printed, and the
ratio of the medians. Exit status 1 when a ratio is above the target.
"""
from __future__ import annotations

import argparse
import datetime as dt
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from xl_support.book.workbook import open_book  # noqa: E402
from xl_support.build.sample import write_sample_book  # noqa: E402
from xl_support.operations.exports import KINDS, export_book  # noqa: E402

TARGET = 5.0
MONTH = dt.date(2026, 11, 1)


def calamine_read(path: Path) -> int:
    """Every sheet's values, python-calamine only (the baseline)."""
    from python_calamine import CalamineWorkbook
    wb = CalamineWorkbook.from_path(str(path))
    return sum(len(r) for name in wb.sheet_names for r in wb.get_sheet_by_name(name).to_python())


def book_path(folder: Path, rows: int) -> Path:
    path = folder / f"ward_{rows}.xlsx"
    if not path.exists():
        write_sample_book(path, unit="Phường Đồ Sơn", unit_type="Phường", n55=rows * 7 // 10,
                          n04=rows - rows * 7 // 10, seed=1)
    return path


def run(path: Path, kind: str, out: Path) -> tuple[int, int]:
    result = export_book(open_book(path), kind, MONTH, out, force=True, on=dt.date(2026, 11, 23))
    return result.rows, result.total


def main(argv=None) -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, nargs="+", default=[10_000, 100_000])
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--kinds", nargs="+", default=list(KINDS))
    ap.add_argument("--folder", default=str(Path(tempfile.gettempdir()) / "hp_exports_bench"))
    args = ap.parse_args(argv)
    folder = Path(args.folder)
    folder.mkdir(parents=True, exist_ok=True)
    worst = 0.0
    print(f"{'rows':>7} {'export':<15} {'calamine min/med s':>19} {'export min/med s':>17} {'ratio':>6}")
    for rows in args.rows:
        path = book_path(folder, rows)
        for kind in args.kinds:
            cal, exp, results = [], [], set()
            for _ in range(args.repeat):  # alternate the two sides
                t = time.perf_counter()
                calamine_read(path)
                cal.append(time.perf_counter() - t)
                t = time.perf_counter()
                results.add(run(path, kind, folder / f"{kind}.xlsx"))
                exp.append(time.perf_counter() - t)
            if len(results) != 1:
                print(f"  {kind}: results differ between runs: {results}")
                return 1
            ratio = statistics.median(exp) / statistics.median(cal)
            worst = max(worst, ratio)
            print(f"{rows:>7} {kind:<15} {min(cal):>8.3f} /{statistics.median(cal):>8.3f}  "
                  f"{min(exp):>7.3f} /{statistics.median(exp):>7.3f} {ratio:>6.1f}×"
                  + ("" if ratio <= TARGET else "  (above the target)"), flush=True)
    print(f"target ≤ {TARGET:g} × a calamine read; worst {worst:.1f} ×")
    return 0 if worst <= TARGET else 1


if __name__ == "__main__":
    sys.exit(main())
