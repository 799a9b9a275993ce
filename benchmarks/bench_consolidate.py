"""Benchmark (design.md "Performance"): city consolidation of 114 ward workbooks × 1,000 rows,
beside the time python-calamine alone takes to read every sheet's values of the same files,
in the same run. Target: consolidation ≤ 1.5 × calamine reading.

    .venv/bin/python benchmarks/bench_consolidate.py [--rows 1000] [--count 114] [--repeat 3]

Prints: calamine sequential and on 2 processes, consolidation (without writing the city
workbook) with 1 and 2 processes, writing the city workbook, the city tables step alone, and
the ratio of the default (`--jobs 0`) consolidation *plus writing the city workbook* to calamine
reading (sequential — the plain read a user would do); then the time per file of each stage.
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

from xl_support.operations.consolidate import (city, consolidate, default_jobs, run_files, window_months,  # noqa: E402
                                    write_city_workbook)


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
    """Where the time goes, per file, one process: checks, read, parse, engine, validation."""
    import dataclasses
    import pickle

    import numpy as np

    from xl_support.book.workbook import load_book, read_grids
    from xl_support.operations.consolidate import FileResult, compute_file, window_months
    from xl_support.engine.rules import People, eligibility, month_results, people_arrays
    from xl_support.book.safe_open import check_workbook
    from xl_support.operations.validation import validate_book
    months = window_months()
    spent = {"kiểm tra tệp": 0.0, "đọc (read_grids)": 0.0, "phân tích sổ (load_book)": 0.0,
             "động cơ 60 tháng": 0.0, "kiểm tra dữ liệu (validate_book)": 0.0,
             "compute_file (động cơ + kiểm tra + mảng gửi về)": 0.0}
    size = 0
    for f in files:
        t0 = time.perf_counter()
        check_workbook(f)
        t1 = time.perf_counter()
        grids = read_grids(f)
        t2 = time.perf_counter()
        book = load_book(grids)
        t3 = time.perf_counter()
        s = book.settings
        parts = [people_arrays(r.frame, s.groups, s.default_area) for r in book.registers]
        people = People(**{k.name: np.concatenate([getattr(p, k.name) for p in parts])
                           for k in dataclasses.fields(People)})
        month_results(people, eligibility(people, s.groups, s.params), months, s.groups, s.params)
        t4 = time.perf_counter()
        validate_book(book, month=month, people=parts)
        t5 = time.perf_counter()
        out = compute_file(book, months, FileResult(f, 0.0), month)
        t6 = time.perf_counter()
        size += len(pickle.dumps(out))
        for k, a, b in zip(spent, (t0, t1, t2, t3, t4, t5), (t1, t2, t3, t4, t5, t6)):
            spent[k] += b - a
    print("mỗi tệp, 1 tiến trình: " + "; ".join(f"{k} {v / len(files) * 1000:.1f} ms" for k, v in spent.items())
          + f"; kết quả gửi về {size / len(files) / 1000:.0f} kB")


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
    results["ghi sổ thành phố"] = best(lambda: write_city_workbook(holder[2], out), a.repeat)
    file_results = run_files([Path(f) for f in files], window_months(), month, 2, progress=False)
    results["  trong đó: bảng thành phố (city)"] = best(lambda: city(file_results, month), a.repeat)
    base = results["calamine, 1 tiến trình"]
    for k, v in results.items():
        print(f"{k:28s} {v:6.2f} s   ({v / base:4.2f} × calamine 1 tiến trình)")
    jobs = default_jobs(len(files))
    chosen = results[f"tổng hợp, {jobs} tiến trình"] + results["ghi sổ thành phố"]
    print(f"--jobs 0 chọn {jobs} tiến trình; tổng hợp (kiểm tra tệp, đọc, tính 60 tháng, kiểm tra dữ liệu, "
          f"bảng thành phố) + ghi sổ thành phố: {chosen:.2f} s = {chosen / base:.2f} × calamine đọc tuần tự "
          f"(mục tiêu ≤ 1,5 ×); so với calamine 2 tiến trình: {chosen / results['calamine, 2 tiến trình']:.2f} ×")
    stages(files, month)
    r = holder[2]
    print(f"tiền hỗ trợ tháng {month:%m/%Y}: {r.total('benefit'):,} đồng; {sum(u.rows for u in r.units):,} dòng")


if __name__ == "__main__":
    main()
