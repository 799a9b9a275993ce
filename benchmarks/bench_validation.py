"""Validation of 100,000 register rows (design.md "Performance": ≤ 1 s).

Prints two figures: reading the register from a grid (`read_register`: header, cell parsing)
and the checks themselves (`validate_book`: every rule + R11 across registers), separately.
Usage: python benchmarks/bench_validation.py [ROWS]
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


def main(n: int = 100_000) -> None:
    g = grid(n)
    settings = read_settings([["Đơn vị", "Phường Đồ Sơn"], ["Loại đơn vị", "Phường"], ["Tháng báo cáo", "11/2026"]])
    t0 = time.perf_counter()
    reg = read_register("Trẻ em NQ55", g)
    t1 = time.perf_counter()
    book = Book(registers=[reg], settings=settings, sheet_names=["Trẻ em NQ55", "Tham số"])
    report = validate_book(book, today=dt.date(2026, 11, 23))
    t2 = time.perf_counter()
    print(f"rows: {n:,}")
    print(f"read_register (grid → typed frame): {t1 - t0:.3f} s")
    print(f"validate_book (all checks + R11):   {t2 - t1:.3f} s   (target ≤ 1 s)")
    print(f"issues: {len(report.errors)} errors, {len(report.warnings)} warnings")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 100_000)
