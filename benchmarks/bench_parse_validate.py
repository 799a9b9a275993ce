"""Parsing and validating one ward book of city consolidation (issue 18 item 4).

Per file of a folder of ward books (default /tmp/hp_wards, `make_wards.py`: 1,000 rows each),
the grids are read once (`read_grids(path, empty_as_none=False)`, as `consolidate.process_file`)
outside the timing; then, as `process_file` / `compute_file` do:
- `load_book(grids)`: header, register rows, every column typed (targets ≤ 4 ms per file);
- `validate_book(book, month=…, people=…, benefit=…, insurance=…, eligible=…)` given the engine's
  arrays of the book, as `compute_file` gives them (target ≤ 3 ms per file).
Each figure is the min over REPEAT runs of a file; the script prints the min and median of those
over the files. Usage: python benchmarks/bench_parse_validate.py [--folder DIR] [--count N] [--repeat 5]
"""
from __future__ import annotations

import argparse
import dataclasses
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from xl_support.book.workbook import load_book, read_grids  # noqa: E402
from xl_support.engine.rules import Eligibility, People, eligibility, month_results, people_arrays  # noqa: E402
from xl_support.operations.consolidate import window_months  # noqa: E402
from xl_support.operations.validation import validate_book  # noqa: E402

LOAD_TARGET_MS, VALIDATE_TARGET_MS = 4.0, 3.0


def engine_arrays(book, months):
    """What `consolidate.compute_file` gives `validate_book`: People, benefit, insurance and
    eligibility per register (the engine run once for the book)."""
    s = book.settings
    parts = [people_arrays(reg.table, s.groups, s.default_area) for reg in book.registers]
    people = People(**{f.name: np.concatenate([getattr(p, f.name) for p in parts]) for f in dataclasses.fields(People)})
    elig = eligibility(people, s.groups, s.params)
    results = month_results(people, elig, months, s.groups, s.params)
    k = months.index(book.month(None))
    cuts = np.cumsum([len(p) for p in parts])[:-1]
    bounds = list(zip([0, *cuts], [*cuts, len(people)]))
    eligible = [Eligibility(**{f.name: None if (v := getattr(elig, f.name)) is None else v[a:b]
                               for f in dataclasses.fields(Eligibility)}) for a, b in bounds]
    return dict(people=parts, benefit=np.split(results.benefit[k], cuts),
                insurance=np.split(results.insurance[k], cuts), eligible=eligible)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--folder", default=str(Path(tempfile.gettempdir()) / "hp_wards"))
    ap.add_argument("--count", type=int, default=114)
    ap.add_argument("--repeat", type=int, default=5)
    a = ap.parse_args()
    files = sorted(Path(a.folder).glob("*.xlsx"))[:a.count]
    if not files:
        sys.exit(f"no .xlsx in {a.folder} (benchmarks/make_wards.py)")
    months = window_months()
    loads, checks, rows = [], [], 0
    for path in files:
        grids = read_grids(path, empty_as_none=False)
        book = load_book(grids, source=str(path))
        given = engine_arrays(book, months)
        rows += sum(len(r.table) for r in book.registers)
        lt, vt = [], []
        for _ in range(a.repeat):
            t0 = time.perf_counter()
            book = load_book(grids, source=str(path))
            t1 = time.perf_counter()
            validate_book(book, month=None, **given)
            t2 = time.perf_counter()
            lt.append(t1 - t0)
            vt.append(t2 - t1)
        loads.append(min(lt) * 1e3)
        checks.append(min(vt) * 1e3)
    print(f"{len(files)} files, {rows:,} register rows; per file, min of {a.repeat} runs:")
    for label, ms, target in (("load_book", loads, LOAD_TARGET_MS), ("validate_book", checks, VALIDATE_TARGET_MS)):
        print(f"{label:<14} min {min(ms):6.2f} ms / median {statistics.median(ms):6.2f} ms   (target ≤ {target} ms: "
              f"{'met' if min(ms) <= target else 'NOT met'})")
    sys.exit(0 if min(loads) <= LOAD_TARGET_MS and min(checks) <= VALIDATE_TARGET_MS else 1)


if __name__ == "__main__":
    main()
