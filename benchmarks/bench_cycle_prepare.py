"""close-month and prepare: the package-patching port (`ports.open_port`, issue 18.1) against the
openpyxl round trip they used before, and a python-calamine read of the same book (design.md
Performance: writing back into the user's book ≤ 4 × a calamine read).

    .venv/bin/python benchmarks/bench_cycle_prepare.py [--ward-rows 1300] [--months 12] [--rows 5000] [--repeat 3]

close-month: a ward of `--ward-rows` rows (70 % NQ 55) with `--months` months closed (01/2026…),
closing the next one. prepare: a ward's own (foreign) workbook of `--rows` rows in two registers.
Sides alternate in each repeat, in one process (imports done); the two writers' results must be
equal (the ledger read back; the formulas written).
"""
from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.harness.foreign_books import CHILDREN, HOUSEHOLDS, write_foreign_book  # noqa: E402
from xl_support.book.patch import PatchPort, formula_cells  # noqa: E402
from xl_support.book.ports import OpenpyxlPort, open_port, read_port_book  # noqa: E402
from xl_support.book.workbook import open_book, read_grids  # noqa: E402
from xl_support.build.sample import write_sample_book  # noqa: E402
from xl_support.engine.schedule import month_add  # noqa: E402
from xl_support.operations.cycle import close_month  # noqa: E402
from xl_support.operations.prepare import prepare  # noqa: E402

SKIP = ("Tổng hợp", "Kiểm tra")


def close_openpyxl(book: Path, out: Path, month) -> None:
    """What `close-month` did before: a calamine read, then openpyxl load + save."""
    data = open_book(book)
    port = OpenpyxlPort(book, quiet=True)
    close_month(port, month, book=data)
    port.save(out)


def close_patch(book: Path, out: Path, month) -> None:
    port = open_port(book, quiet=True)
    close_month(port, month, book=read_port_book(port, skip=SKIP))
    port.save(out)


def prepare_with(port_class, book: Path, out: Path) -> None:
    port = port_class(book, quiet=True)
    prepare(port)
    port.save(out)


def ledger_of(path: Path):
    rows = open_book(path).ledger.rows
    return [list(map(str, r)) for r in rows.records(*(c for c in rows if c != "closed_on"))]


def formulas_of(path: Path) -> dict:
    port = PatchPort(path, quiet=True)
    return {s: {k: v[0] for k, v in port.formulas(s).items()} for s in port.sheet_names()}


def timed(fn, *args) -> float:
    started = time.perf_counter()
    fn(*args)
    return time.perf_counter() - started


def report(title: str, sides: dict[str, list[float]]) -> None:
    base = statistics.median(sides["calamine read"])
    print(title)
    for name, times in sides.items():
        print(f"  {name:<22} min {min(times):6.2f} s  median {statistics.median(times):6.2f} s  "
              f"{statistics.median(times) / base:6.1f} × calamine")


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--ward-rows", type=int, default=1300)
    ap.add_argument("--months", type=int, default=12)
    ap.add_argument("--rows", type=int, default=5000, help="prepare: rows in all (half per register)")
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    import datetime as dt
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        ward = write_sample_book(tmp / "w0.xlsx", n55=args.ward_rows * 7 // 10,
                                 n04=args.ward_rows - args.ward_rows * 7 // 10, seed=1)
        month = dt.date(2026, 1, 1)
        for k in range(args.months):                       # the closed months, through the fast writer
            close_patch(ward, tmp / f"w{k + 1}.xlsx", month)
            ward, month = tmp / f"w{k + 1}.xlsx", month_add(month, 1)
        print(f"close-month {month:%m/%Y}: {args.ward_rows:,} rows, {args.months} months closed, "
              f"{len(open_book(ward).ledger.rows):,} ledger rows; shared 2-core machine")
        sides = {"calamine read": [], "openpyxl (before)": [], "patch port (after)": []}
        for i in range(args.repeat):
            sides["calamine read"].append(timed(read_grids, ward))
            sides["openpyxl (before)"].append(timed(close_openpyxl, ward, tmp / "c-old.xlsx", month))
            sides["patch port (after)"].append(timed(close_patch, ward, tmp / "c-new.xlsx", month))
        same = ledger_of(tmp / "c-old.xlsx") == ledger_of(tmp / "c-new.xlsx")
        report(f"  ledger read back: {'equal' if same else 'DIFFERENT'}", sides)

        book = write_foreign_book(tmp / "so.xlsx", layouts=(CHILDREN, HOUSEHOLDS), n=args.rows // 2)
        print(f"prepare: {args.rows:,} rows in two registers of a ward's own workbook")
        sides = {"calamine read": [], "openpyxl (before)": [], "patch port (after)": []}
        for i in range(args.repeat):
            sides["calamine read"].append(timed(read_grids, book))
            sides["openpyxl (before)"].append(timed(prepare_with, OpenpyxlPort, book, tmp / "p-old.xlsx"))
            sides["patch port (after)"].append(timed(prepare_with, PatchPort, book, tmp / "p-new.xlsx"))
        same = formulas_of(tmp / "p-old.xlsx") == formulas_of(tmp / "p-new.xlsx")
        report(f"  formulas written: {'equal' if same else 'DIFFERENT'}", sides)
        return 0 if same else 1


if __name__ == "__main__":
    sys.exit(main())
