"""Validation of 100,000 register rows (design.md "Performance": ≤ 1 s).

Prints two figures: reading the register from a grid (`read_register`: header, cell parsing)
and the checks themselves (`validate_book`: every rule + R11 across registers), separately.
Min and median of REPEAT runs (default 3; issue 18 item 6), and the peak memory of the process.
Usage: python benchmarks/bench_validation.py [ROWS] [REPEAT]
"""
from __future__ import annotations

import datetime as dt
import sys
import time

from xl_support.book.workbook import Book, read_settings
from xl_support.book.register import FIELDS, NQ55, read_register
from xl_support.build.sample import sample_people
from xl_support.operations.validation import validate_book


def grid(n: int) -> list[list]:
    fields = [f for f in FIELDS if NQ55 in f.registers and not f.computed]
    people = sample_people(n, NQ55, seed=3)
    return [[f.header for f in fields]] + [[p.get(f.name) for f in fields] for p in people]


def main(n: int = 100_000, repeat: int = 3) -> None:
    import resource
    import statistics
    g = grid(n)
    settings = read_settings([["Đơn vị", "Phường Đồ Sơn"], ["Loại đơn vị", "Phường"], ["Tháng báo cáo", "11/2026"]])
    reads, checks, reports = [], [], []
    for _ in range(repeat):
        t0 = time.perf_counter()
        reg = read_register("Trẻ em NQ55", g)
        t1 = time.perf_counter()
        book = Book(registers=[reg], settings=settings, sheet_names=["Trẻ em NQ55", "Tham số"])
        report = validate_book(book, today=dt.date(2026, 11, 23))
        t2 = time.perf_counter()
        reads.append(t1 - t0)
        checks.append(t2 - t1)
        reports.append((len(report.errors), len(report.warnings)))
    assert len(set(reports)) == 1, "runs disagree"
    med = statistics.median(checks)
    print(f"rows: {n:,}; {repeat} runs")
    print(f"read_register (grid → typed frame): min {min(reads):.3f} s / median {statistics.median(reads):.3f} s")
    print(f"validate_book (all checks + R11):   min {min(checks):.3f} s / median {med:.3f} s   (target ≤ 1 s: "
          f"{'met' if med <= 1 else 'NOT met'})")
    print(f"issues: {reports[0][0]} errors, {reports[0][1]} warnings; peak memory "
          f"{resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB (grid included)")
    sys.exit(0 if med <= 1 else 1)


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 100_000, int(sys.argv[2]) if len(sys.argv) > 2 else 3)
