"""Benchmark (design.md "Performance", issue 18 item 4): city consolidation of 114 ward workbooks ×
1,000 rows against python-calamine reading every sheet's values of the same files, in the same
run, with the SAME number of processes on both sides (1 vs 1 and 2 vs 2). Target: ≤ 1.5 ×.

    .venv/bin/python benchmarks/bench_consolidate.py [--rows 1000] [--count 114] [--repeat 3]

Honest by construction (issue 18 item 6): the two sides alternate run by run (calamine,
consolidation, calamine, …) so a busy machine slows both alike; every run's consolidation is
checked (no file rejected, every register row consolidated, the same totals on 1 and 2
processes); min and median of `--repeat` runs are printed; peak memory (RSS) of each side is
measured in a fresh process (its own and its workers'). Consolidation here excludes writing the
city workbook, which is printed on its own line.
"""
from __future__ import annotations

import argparse
import datetime as dt
import statistics
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from make_wards import make_wards  # noqa: E402

from xl_support.operations.consolidate import (city, consolidate, run_files, window_months,  # noqa: E402
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


def timed(fn) -> float:
    t = time.perf_counter()
    fn()
    return time.perf_counter() - t


def alternate(sides: dict, repeat: int) -> dict[str, list[float]]:
    """Run the sides in turn, `repeat` rounds (A, B, A, B …): seconds per side."""
    times = {k: [] for k in sides}
    for _ in range(repeat):
        for k, fn in sides.items():
            times[k].append(timed(fn))
    return times


def peak_rss_mb(side: str, jobs: int, files: list[str], month: dt.date) -> tuple[float, float]:
    """Resident memory (MB) of a fresh process after its imports, and its peak over one run of
    `side` (workers included: the largest of the process and its children)."""
    import json
    import subprocess
    code = (f"import sys, json, resource; sys.path[:0] = {[str(ROOT), str(ROOT / 'benchmarks')]!r}\n"
            "import bench_consolidate as b, datetime as dt\n"
            "before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss\n"
            f"b.one_side({side!r}, {jobs}, json.loads({json.dumps(json.dumps(files))}), dt.date({month.year}, {month.month}, 1))\n"
            "print(before, max(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, "
            "resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    before, peak = (int(x) / 1024 for x in out.stdout.split()[-2:])
    return before, peak


def one_side(side: str, jobs: int, files: list[str], month: dt.date) -> None:
    if side == "calamine":
        read(files, jobs)
    else:
        consolidate(files, month, None, jobs=jobs, progress=False)


def read(files: list[str], jobs: int) -> int:
    """calamine over every file on `jobs` processes (the same pool set-up as `run_files`)."""
    if jobs <= 1:
        return sum(calamine_read(f) for f in files)
    with ProcessPoolExecutor(jobs) as pool:
        return sum(pool.map(calamine_read, files))


def register_rows(path: str) -> int:
    """Rows under a register header with a name, read with calamine alone (the check's reference)."""
    from python_calamine import CalamineWorkbook
    wb = CalamineWorkbook.from_path(path)
    n = 0
    for name in wb.sheet_names:
        rows = wb.get_sheet_by_name(name).to_python()
        header = next((i for i, r in enumerate(rows[:30]) if "Họ và tên" in r and "Mã đối tượng" in r), None)
        if header is not None:
            col = rows[header].index("Họ và tên")
            n += sum(1 for r in rows[header + 1:] if col < len(r) and str(r[col]).strip())
    return n


def routes(files: list[str]) -> int:
    """How many of the files `read_grids` reads with `xml_grid` (the usual form) rather than
    calamine: the benchmark says which reading it timed."""
    from xl_support.book.safe_open import Inflated, read_screened
    from xl_support.book.xml_grid import book_grids
    n = 0
    for f in files:
        keep = Inflated()
        read_screened(f, keep=keep)
        n += keep.infos != [] and book_grids(keep) is not None
    return n


def check(result, files: list[str], expected_rows: int) -> tuple:
    """No file rejected or superseded, every register row consolidated; the figures compared."""
    bad = [(f.path.name, f.status, f.reason) for f in result.files if f.status != "ok"]
    assert not bad, f"tệp không được tổng hợp: {bad[:3]}"
    rows = sum(u.rows for u in result.units if u.received)
    assert rows == expected_rows, f"{rows} dòng được tổng hợp, calamine thấy {expected_rows}"
    return (result.total("benefit"), result.total("insured"), rows, len(result.duplicates),
            tuple(sorted((y, sum(u.years.get(y, 0) for u in result.units)) for y in result.years)))


def paired(files: list[str], month: dt.date, rounds: int) -> None:
    """A steadier figure on a machine whose speed drifts (±30 % here between whole runs): each
    file read by calamine and consolidated by `process_file` back to back, in one process, so both
    see the same moment; the city step and the transfer between processes are not in it (the city
    step is printed on its own line)."""
    import gc

    from xl_support.operations.consolidate import process_file, window_months
    months = window_months()
    ratios = []
    for _ in range(rounds):
        ours = base = 0.0
        for f in files:
            gc.collect()
            base += timed(lambda: calamine_read(f))
            gc.collect()
            ours += timed(lambda: process_file(f, months, month))
        ratios.append(ours / base)
    print(f"từng tệp, calamine và process_file nối tiếp trong một tiến trình ({rounds} lượt): "
          f"min {min(ratios):.2f} × / trung vị {statistics.median(ratios):.2f} × (tham khảo)")


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
        grids = read_grids(f, empty_as_none=False)
        t2 = time.perf_counter()
        book = load_book(grids)
        t3 = time.perf_counter()
        s = book.settings
        parts = [people_arrays(r.table, s.groups, s.default_area) for r in book.registers]
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
    print(f"  (read_grids gồm cả kiểm tra tệp: phần đọc ≈ "
          f"{(spent['đọc (read_grids)'] - spent['kiểm tra tệp']) / len(files) * 1000:.1f} ms)")


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

    expected_rows = sum(register_rows(f) for f in files)
    results, figures = {}, {}
    for jobs in (1, 2):
        holder = []
        times = alternate({"calamine": lambda j=jobs: read(files, j),
                           "consolidate": lambda j=jobs: holder.append(consolidate(files, month, None, jobs=j,
                                                                                   progress=False))}, a.repeat)
        figures[jobs] = {check(r, files, expected_rows) for r in holder}
        assert len(figures[jobs]) == 1, "kết quả khác nhau giữa các lần chạy"
        results[jobs] = times
        last = holder[-1]
    assert figures[1] == figures[2], "1 và 2 tiến trình cho kết quả khác nhau"
    print(f"kiểm tra: {len(files)} tệp, không tệp nào bị loại; {expected_rows:,} dòng sổ được tổng hợp (= số dòng "
          f"calamine đọc được); kết quả giống nhau ở 1 và 2 tiến trình và ở mọi lần chạy")
    print(f"cách đọc: {routes(files)}/{len(files)} tệp ở dạng thông thường, đọc bằng xml_grid (cùng giá trị "
          f"với calamine); các tệp còn lại đọc bằng calamine")
    ok = True
    for jobs, times in results.items():
        base_min, base_med = min(times["calamine"]), statistics.median(times["calamine"])
        cons_min, cons_med = min(times["consolidate"]), statistics.median(times["consolidate"])
        ratio_min, ratio_med = cons_min / base_min, cons_med / base_med
        ok &= ratio_med <= 1.5
        print(f"{jobs} tiến trình mỗi bên, {a.repeat} lần xen kẽ: calamine đọc min {base_min:.2f} s / trung vị "
              f"{base_med:.2f} s; tổng hợp min {cons_min:.2f} s / trung vị {cons_med:.2f} s → "
              f"{ratio_min:.2f} × (min) / {ratio_med:.2f} × (trung vị), mục tiêu ≤ 1,5 × "
              f"{'ĐẠT' if ratio_med <= 1.5 else 'CHƯA ĐẠT'}")
    out = Path(tempfile.gettempdir()) / "hp_city_bench.xlsx"
    write = [timed(lambda: write_city_workbook(last, out)) for _ in range(a.repeat)]
    print(f"ghi sổ thành phố (riêng): min {min(write):.2f} s / trung vị {statistics.median(write):.2f} s")
    file_results = run_files([Path(f) for f in files], window_months(), month, 1, progress=False)
    city_t = [timed(lambda: city(file_results, month)) for _ in range(a.repeat)]
    print(f"  trong đó bảng thành phố (city): min {min(city_t):.3f} s")
    for jobs in (1, 2):
        mem = {side: peak_rss_mb(side, jobs, files, month) for side in ("calamine", "consolidate")}
        print(f"bộ nhớ đỉnh, {jobs} tiến trình (tiến trình chính hoặc tiến trình con lớn nhất; sau import → đỉnh): "
              f"calamine {mem['calamine'][0]:.0f} → {mem['calamine'][1]:.0f} MB, tổng hợp "
              f"{mem['consolidate'][0]:.0f} → {mem['consolidate'][1]:.0f} MB")
    paired(files, month, a.repeat)
    stages(files, month)
    print(f"tiền hỗ trợ tháng {month:%m/%Y}: {last.total('benefit'):,} đồng; {sum(u.rows for u in last.units):,} dòng")
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
