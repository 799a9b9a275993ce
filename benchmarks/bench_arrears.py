"""Arrears over 24 closed months for 10,000 people (issue 17: ≤ 1 s).

Side A: `operations.cycle.arrears` (one engine schedule for all months of all people, the ledger
compared as arrays). Side B: the same comparison written as a loop over people and months (the
reference), on the same schedule and ledger. The two sides alternate; results are checked equal;
min and median of the runs are printed. Also printed: reading the 240,000-row ledger sheet from
a grid (`book.ledger.read_ledger`).
Usage: python benchmarks/bench_arrears.py [PEOPLE] [RUNS]
"""
from __future__ import annotations

import datetime as dt
import random
import statistics
import sys
import time

import numpy as np

from xl_support.book.ledger import KIND_MONTH, LEDGER_FIELDS, Ledger, Rows, ledger_sheet, person_keys, read_ledger
from xl_support.book.register import FIELDS, NQ55, read_register
from xl_support.book.workbook import Book, read_settings
from xl_support.build.sample import sample_people
from xl_support.operations import cycle
from xl_support.operations.schedule import book_schedule

FIRST, LAST, MONTH = dt.date(2026, 1, 1), dt.date(2027, 12, 1), dt.date(2028, 1, 1)


def make_book(n: int) -> Book:
    fields = [f for f in FIELDS if NQ55 in f.registers and not f.computed]
    people = sample_people(n, NQ55, seed=3)
    grid = [[f.header for f in fields]] + [[p.get(f.name) for f in fields] for p in people]
    settings = read_settings([["Đơn vị", "Phường Đồ Sơn"], ["Loại đơn vị", "Phường"], ["Tháng báo cáo", "01/2028"]])
    return Book(registers=[read_register("Trẻ em NQ55", grid)], settings=settings, sheet_names=["Trẻ em NQ55"])


def make_ledger(book: Book) -> Ledger:
    """Every month 01/2026–12/2027 closed with what the engine pays; 3 % of the entries recorded
    100,000 lower (arrears) and 1 % 50,000 higher (recoveries)."""
    s = book_schedule(book, FIRST, LAST)
    p = s.people
    mi, ci = np.nonzero(s.benefit > 0)
    rng = random.Random(5)
    amount = s.benefit[mi, ci].copy()
    for i in rng.sample(range(len(amount)), len(amount) // 33):
        amount[i] -= 100_000
    for i in rng.sample(range(len(amount)), len(amount) // 100):
        amount[i] += 50_000
    months = [s.months[m] for m in mi]
    given = dict(paid_in=months, month=months, kind=[KIND_MONTH] * len(mi), id=p["id_key"][ci], name=p["name"][ci],
                 birth=p["birth"][ci], amount=amount.astype(object), state=[""] * len(mi))
    rows = Rows.of({f: given.get(f, [None] * len(mi)) for f in LEDGER_FIELDS})
    k = len(s.months)
    closed = Rows.of({"closed": s.months, "closed_on": [MONTH] * k, "version": [""] * k, "people": [0] * k,
                      "total": [0] * k, "state": [""] * k})
    return Ledger(rows=rows, months=closed)


def reference(book: Book) -> dict:
    """The loop version: per person and month, entitled − recorded (closed months only here)."""
    s = book_schedule(book, FIRST, MONTH)
    p = s.people
    keys = person_keys(p["id_key"].tolist(), p["name"].tolist(), list(p["birth"]))
    ent: dict = {}
    for c, key in enumerate(keys):
        for m, month in enumerate(s.months[:-1]):
            ent[(key, month)] = ent.get((key, month), 0) + int(s.benefit[m, c])
    paid = book.ledger.paid
    rec: dict = {}
    for key, month, amount in zip(person_keys(paid["id"].tolist(), paid["name"].tolist(), paid["birth"].tolist()),
                                  paid["month"], paid["amount"]):
        rec[(key, month)] = rec.get((key, month), 0) + int(amount)
    return {k: ent.get(k, 0) - rec.get(k, 0) for k in set(ent) | set(rec) if ent.get(k, 0) != rec.get(k, 0)}


def main(n: int = 10_000, runs: int = 3) -> None:
    book = make_book(n)
    book.ledger_parsed = make_ledger(book)
    print(f"people: {n:,}; closed months: 24; ledger rows: {len(book.ledger.rows):,}")
    a_times, b_times = [], []
    for _ in range(runs):
        t0 = time.perf_counter()
        arr, _ = cycle.arrears(book, MONTH)
        a_times.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        ref = reference(book)
        b_times.append(time.perf_counter() - t0)
    got = {(k, m): int(d) for k, m, d in zip(arr.lines["key"], arr.lines["month"], arr.lines["diff"])}
    assert got == ref, "arrays and loop differ"
    print(f"lines: {len(got):,}; truy lĩnh {int(arr.lines['diff'].clip(min=0).sum()):,}; "
          f"truy thu {int(-arr.lines['diff'].clip(max=0).sum()):,} (equal on both sides)")
    for label, t in (("A cycle.arrears (arrays)", a_times), ("B loop over people × months", b_times)):
        print(f"{label:30s} min {min(t):.3f} s  median {statistics.median(t):.3f} s")
    print(f"ratio B/A (median): {statistics.median(b_times) / statistics.median(a_times):.1f}×   (target A ≤ 1 s)")
    missed = statistics.median(a_times) > 1.0
    spec = ledger_sheet(book.ledger)
    grid = [[None] * 40 for _ in range(2 + 1 + len(book.ledger.rows))]
    for b in spec.blocks:
        for i, line in enumerate(b.values):
            grid[b.row - 1 + i][b.col - 1:b.col - 1 + len(line)] = line
    t0 = time.perf_counter()
    back = read_ledger(grid)
    print(f"read_ledger ({len(back.rows):,} rows, grid → typed rows): {time.perf_counter() - t0:.3f} s")
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main(*(int(a) for a in sys.argv[1:3])))
