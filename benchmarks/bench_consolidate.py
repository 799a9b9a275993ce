"""Benchmark (design.md "Performance"): city consolidation of 114 ward workbooks × 1,000 rows,
beside the time python-calamine alone takes to read every sheet's values of the same files,
in the same run. Target: consolidation ≤ 1.5 × calamine reading.

    .venv/bin/python benchmarks/bench_consolidate.py [--rows 1000] [--count 114] [--repeat 3]

Prints: calamine sequential and on 2 processes, consolidation (without writing the city
workbook) with 1 and 2 processes, writing the city workbook, and the ratio of the default
(`--jobs 0`) consolidation to calamine reading (sequential — the plain read a user would do).
"""
from __future__ import annotations

import argparse
import datetime as dt
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from make_wards import make_wards  # noqa: E402

from xl_support.consolidate import consolidate, default_jobs, write_city_workbook  # noqa: E402


def calamine_read(path: str) -> int:
    """Every sheet's values, python-calamine only (the baseline)."""
    from python_calamine import CalamineWorkbook
    wb = CalamineWorkbook.from_path(path)
    cells = 0
    for name in wb.sheet_names:
        rows = wb.get_sheet_by_name(name).to_python(skip_empty_area=False)
        cells += sum(len(r) for r in rows)
    return cells


def best(fn, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return min(times)


def stages(files: list[str], month: dt.date) -> None:
    """Where the time goes, per file, one process: checks, read, parse, validation, engine."""
    from xl_support.book import load_book, read_grids
    from xl_support.consolidate import FileResult, compute_file, window_months
    from xl_support.safe_open import check_workbook
    try:
        from xl_support.validation import validate_book
    except ImportError:
        validate_book = None
    spent = {"kiểm tra tệp": 0.0, "đọc (read_grids)": 0.0, "phân tích sổ (load_book)": 0.0,
             "kiểm tra dữ liệu (validate_book)": 0.0, "động cơ + kiểm tra dữ liệu": 0.0}
    for f in files:
        t0 = time.perf_counter()
        check_workbook(f)
        t1 = time.perf_counter()
        grids = read_grids(f)
        t2 = time.perf_counter()
        book = load_book(grids)
        t3 = time.perf_counter()
        if validate_book:
            validate_book(book, month=month)
        t4 = time.perf_counter()
        compute_file(book, window_months(), FileResult(f, 0.0), month)
        t5 = time.perf_counter()
        for k, a, b in zip(spent, (t0, t1, t2, t3, t4), (t1, t2, t3, t4, t5)):
            spent[k] += b - a
    print("mỗi tệp, 1 tiến trình: " + "; ".join(f"{k} {v / len(files) * 1000:.1f} ms" for k, v in spent.items()))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=1000)
    ap.add_argument("--count", type=int, default=114)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--folder", default=str(Path(tempfile.gettempdir()) / "hp_wards"))
    a = ap.parse_args()
    t = time.perf_counter()
    files = [str(p) for p in make_wards(a.folder, a.rows, a.count)]
    print(f"{len(files)} tệp × {a.rows} dòng trong {a.folder} (chuẩn bị {time.perf_counter() - t:.1f} s)")
    month = dt.date(2026, 11, 1)

    def read_seq():
        for f in files:
            calamine_read(f)

    def read_par():
        with ProcessPoolExecutor(2) as pool:
            list(pool.map(calamine_read, files, chunksize=4))

    results = {}
    results["calamine, 1 tiến trình"] = best(read_seq, a.repeat)
    results["calamine, 2 tiến trình"] = best(read_par, a.repeat)
    holder = {}

    def run(jobs):
        def go():
            holder[jobs] = consolidate(files, month, None, jobs=jobs, progress=False)
        return go

    results["tổng hợp, 1 tiến trình"] = best(run(1), a.repeat)
    results["tổng hợp, 2 tiến trình"] = best(run(2), a.repeat)
    out = Path(tempfile.gettempdir()) / "hp_city_bench.xlsx"
    results["ghi sổ thành phố"] = best(lambda: write_city_workbook(holder[2], out), 1)
    base = results["calamine, 1 tiến trình"]
    for k, v in results.items():
        print(f"{k:28s} {v:6.2f} s   ({v / base:4.2f} × calamine 1 tiến trình)")
    jobs = default_jobs(len(files))
    chosen = results[f"tổng hợp, {jobs} tiến trình"] + results["ghi sổ thành phố"]
    print(f"--jobs 0 chọn {jobs} tiến trình; tổng hợp + ghi sổ: {chosen:.2f} s = {chosen / base:.2f} × "
          f"calamine đọc tuần tự (mục tiêu ≤ 1,5 ×); so với calamine 2 tiến trình: "
          f"{chosen / results['calamine, 2 tiến trình']:.2f} ×")
    stages(files, month)
    r = holder[2]
    print(f"tiền hỗ trợ tháng {month:%m/%Y}: {r.total('benefit'):,} đồng; {sum(u.rows for u in r.units):,} dòng")


if __name__ == "__main__":
    main()
