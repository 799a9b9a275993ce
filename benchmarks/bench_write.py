"""Writing back into the user's book (issue 18.2, issue 13.5; design.md "Performance").

For a book made from the template (live HP_ formulas, 70 % NQ 55 / 30 % NQ 04 rows), each side
runs in a fresh subprocess that imports first and then times only the work, and reports its peak
memory (`VmHWM` of that process):
- calamine: python-calamine reads every sheet (`to_python`), the yardstick (calamine again: of the
  book a first compute wrote, for compute again);
- compute -o, validate -o, summary -o: the commands' own handlers (`xl_support.__main__.main`);
- compute again: compute on the book a first compute wrote (next month's run: every row already
  holds the five values, which are replaced);
- openpyxl: load_workbook(keep_vba=True) + save, issue 13.5's yardstick (by default only up to
  20,000 rows: at 100,000 rows one run takes about a minute).
`--book` times the same sides on workbooks you give instead (one a ward sent, one LibreOffice or
XlsxWriter saved: shared strings, other row attributes); each is copied into the folder first.
The sides alternate within each repeat; min and median of the repeats are printed, with the
ratios (min / min) next to the targets: ≤ 4 × calamine at 10,000 and 100,000 rows, ≤ 400 MB at
100,000 rows; ≤ 1.3 × openpyxl load + save. The written books are checked: compute's benefit
column equals the engine's result for every row.

Usage: python benchmarks/bench_write.py [--rows 10000 100000] [--repeat 3] [--openpyxl-max 20000]
       python benchmarks/bench_write.py --book WARD.xlsx [OTHER.xlsm …] [--repeat 3]
"""
from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

COMMANDS = {
    "compute": ["compute", "{book}", "-o", "{out}", "--force"],
    "validate -o": ["validate", "{book}", "-o", "{out}", "--force"],
    "summary -o": ["summary", "{book}", "-o", "{out}", "--force"],
    "compute again": ["compute", "{computed}", "-o", "{out}", "--force"],    # next month: the values are there
}
RATIO_TARGET = 4.0
MEMORY_TARGET_MB = 400
OPENPYXL_TARGET = 1.3


def child(side: str, book: str, out: str) -> None:
    """One timed run in this process (imports done before the clock starts)."""
    import contextlib
    import io
    import time

    import openpyxl  # noqa: F401  (imported before timing on every side)
    from python_calamine import CalamineWorkbook

    from xl_support.__main__ import main
    import importlib
    for module in ("xl_support.cli", "xl_support.book.patch", "xl_support.book.owned_xml", "xl_support.book.excel_args",
                   "xl_support.operations.compute", "xl_support.operations.validation", "xl_support.operations.summary",
                   "xl_support.operations.live_formulas", "xl_support.operations.schedule", "xl_support.engine.basis",
                   "pandas.tseries.offsets"):
        importlib.import_module(module)         # start-up is issue 18.5's benchmark: not timed here
    computed = str(computed_path(Path(book)))
    t0 = time.perf_counter()
    if side.startswith("calamine"):
        wb = CalamineWorkbook.from_path(computed if side == "calamine again" else book)
        cells = sum(len(wb.get_sheet_by_name(n).to_python(skip_empty_area=False)) for n in wb.sheet_names)
        assert cells
    elif side == "openpyxl":
        wb = openpyxl.load_workbook(book, keep_vba=True)
        wb.save(out)
    else:
        argv = [a.format(book=book, out=out, computed=computed) for a in COMMANDS[side]]
        with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
            status = main(argv)
        assert status in (0, 1), status
    seconds = time.perf_counter() - t0
    print(json.dumps({"seconds": seconds, "peak_mb": peak_kb() / 1024}))


def peak_kb() -> int:
    """This process's peak resident memory: `VmHWM` (of its own address space; `ru_maxrss` on
    Linux keeps the parent's peak across fork + exec, and the parent made the book)."""
    import resource
    try:
        with open("/proc/self/status") as fh:
            return next(int(line.split()[1]) for line in fh if line.startswith("VmHWM:"))
    except (OSError, StopIteration):
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def run_side(side: str, book: Path, out: Path) -> dict:
    proc = subprocess.run([sys.executable, __file__, "--child", side, str(book), str(out)], capture_output=True,
                          text=True, cwd=ROOT)
    if proc.returncode:
        raise SystemExit(f"{side} failed:\n{proc.stderr[-3000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def computed_path(book: Path) -> Path:
    """The book after one compute (what "compute again" and "calamine again" read)."""
    return book.with_name(book.stem + "-computed" + book.suffix)


def make_computed(book: Path) -> None:
    computed = computed_path(book)
    if not computed.exists():
        subprocess.run([sys.executable, "-m", "xl_support", "compute", str(book), "-o", str(computed), "--force"],
                       cwd=ROOT, check=True, capture_output=True)


def make_book(folder: Path, rows: int) -> Path:
    import datetime as dt

    from xl_support.build.demo_book import write_demo_workbook
    path = folder / f"book-{rows}.xlsm"
    if not path.exists():
        n55 = rows * 7 // 10
        write_demo_workbook(path, n55=n55, n04=rows - n55, seed=11, month=dt.date(2026, 11, 1))
    make_computed(path)
    return path


def given_book(folder: Path, source: Path) -> tuple[Path, int]:
    """A copy of a workbook given with `--book` (its computed sibling made), and its register rows."""
    import shutil

    from xl_support.book.workbook import open_book
    path = folder / source.name
    if path.resolve() != source.resolve():
        shutil.copyfile(source, path)
        computed_path(path).unlink(missing_ok=True)
    make_computed(path)
    return path, sum(len(r.table) for r in open_book(path).registers)


def check_compute(book: Path, out: Path) -> None:
    """compute's written benefit column = the engine's result, row by row."""
    from xl_support.book.register import column_cells
    from xl_support.book.workbook import load_book, open_book, read_grids
    from xl_support.operations.compute import compute_book
    grids = read_grids(out)
    written = {r.sheet: r for r in load_book(grids).registers}
    for res in compute_book(open_book(book)):
        sheet = res.register.sheet
        got = column_cells(grids[sheet], written[sheet], "benefit")
        got = [int(v) if isinstance(v, float) else v for v in got]
        assert got == res.cells()["benefit"], f"compute wrote other values in {res.register.sheet}"


def bench(book: Path, rows: int, repeat: int, with_openpyxl: bool, folder: Path) -> bool:
    sides = ["calamine", "calamine again", *COMMANDS] + (["openpyxl"] if with_openpyxl else [])
    times: dict[str, list[float]] = {s: [] for s in sides}
    peaks: dict[str, float] = {s: 0.0 for s in sides}
    for k in range(repeat):
        order = sides if k % 2 == 0 else list(reversed(sides))         # alternate the sides
        for side in order:
            r = run_side(side, book, folder / f"out-{book.stem}-{side.split()[0]}{book.suffix}")
            times[side].append(r["seconds"])
            peaks[side] = max(peaks[side], r["peak_mb"])
    check_compute(book, folder / f"out-{book.stem}-compute{book.suffix}")
    ok = True
    print(f"\n{book.name}: {rows:,} rows ({book.stat().st_size / 2**20:.1f} MB file), best of {repeat}, "
          f"sides alternated")
    print(f"{'side':<14}{'min s':>8}{'median s':>10}{'peak MB':>9}{'× calamine':>12}  target")
    for side in sides:
        best, med = min(times[side]), statistics.median(times[side])
        ratio = best / min(times["calamine again" if side.endswith("again") else "calamine"])
        target = ""
        if side in COMMANDS:
            good = ratio <= RATIO_TARGET and (rows < 100_000 or peaks[side] <= MEMORY_TARGET_MB)
            ok &= good
            target = f"≤ {RATIO_TARGET:g} ×" + (f", ≤ {MEMORY_TARGET_MB} MB" if rows >= 100_000 else "") + \
                ("  ok" if good else "  MISSED")
        print(f"{side:<14}{best:>8.2f}{med:>10.2f}{peaks[side]:>9.0f}{ratio:>12.2f}  {target}")
    if with_openpyxl:
        ref = min(times["openpyxl"])
        for side in [s for s in COMMANDS if not s.endswith("again")]:
            ratio = min(times[side]) / ref
            good = ratio <= OPENPYXL_TARGET
            ok &= good
            print(f"{side:<14} = {ratio:.2f} × openpyxl load + save  (target ≤ {OPENPYXL_TARGET} ×){'' if good else '  MISSED'}")
    return ok


def main() -> int:
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        child(*sys.argv[2:5])
        return 0
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--rows", type=int, nargs="+", default=[10_000, 100_000])
    p.add_argument("--repeat", type=int, default=3)
    p.add_argument("--openpyxl-max", type=int, default=20_000)
    p.add_argument("--folder", default=None, help="where the books are made and kept (default: a temp folder)")
    p.add_argument("--book", type=Path, nargs="+", default=[], help="time these workbooks instead of made ones")
    args = p.parse_args()
    folder = Path(args.folder or tempfile.mkdtemp(prefix="bench_write_"))
    folder.mkdir(parents=True, exist_ok=True)
    print("machine: shared 2-core box; each side in its own subprocess; imports not timed")
    ok = True
    books = [given_book(folder, b) for b in args.book] or [(make_book(folder, rows), rows) for rows in args.rows]
    for book, rows in books:
        ok &= bench(book, rows, args.repeat, rows <= args.openpyxl_max, folder)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
