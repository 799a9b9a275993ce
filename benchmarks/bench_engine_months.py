"""The engine's share of a city consolidation (issue 18 item 4): per ward book, what
`consolidate.compute_file` runs — `people_arrays` per register, one concatenated `People`,
`eligibility` and `month_results` for the 60 months of `consolidate.window_months()`.

    .venv/bin/python benchmarks/bench_engine_months.py [--folder /tmp/hp_wards] [--count 114] [--repeat 5]

The books are read once (`load_book(read_grids(path, empty_as_none=False))`) outside the timing.
Prints min / median ms per file of each step (each file timed `--repeat` times, the per-file
minimum kept; then min and median over the files) against the target: eligibility +
month_results ≤ 1.5 ms per file. A python-calamine read of each file (`bench_consolidate.calamine_read`,
~20 ms) alternates with the engine runs, so the engine's share of a read is also printed: it moves
less than the milliseconds on this shared machine. `--save FILE` / `--check FILE` write / compare every field of
the results of all files (a pickle), for bit-identical refactoring. Exit status 1 when the target
is missed or a check differs.
"""
from __future__ import annotations

import argparse
import dataclasses
import pickle
import statistics
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from xl_support.book.workbook import load_book, read_grids  # noqa: E402
from xl_support.engine.rules import MonthResults, People, eligibility, month_results, people_arrays  # noqa: E402
from xl_support.operations.consolidate import window_months  # noqa: E402

from bench_consolidate import calamine_read  # noqa: E402

TARGET_MS = 1.5


def prepare(book):
    s = book.settings
    parts = [people_arrays(reg.table, s.groups, s.default_area) for reg in book.registers]
    return People(**{f.name: np.concatenate([getattr(p, f.name) for p in parts]) for f in dataclasses.fields(People)})


def as_plain(obj):
    """A result object as nested plain values (arrays kept), for pickling and equality."""
    if dataclasses.is_dataclass(obj):       # the fields compared (a MonthResults: what it makes when asked too)
        out = {f.name: as_plain(getattr(obj, f.name)) for f in dataclasses.fields(obj) if f.compare}
        if isinstance(obj, MonthResults):
            out.update(benefit=obj.benefit, topup=obj.topup, poverty_line=as_plain(obj.poverty_line),
                       standard=as_plain(obj.standard))
        return out
    if isinstance(obj, dict):
        return {k: as_plain(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [as_plain(v) for v in obj]
    return obj


def same(a, b) -> bool:
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        return (isinstance(a, np.ndarray) and isinstance(b, np.ndarray) and a.dtype == b.dtype
                and a.shape == b.shape and np.array_equal(a, b, equal_nan=a.dtype.kind in "fcmM"))
    if isinstance(a, dict):
        return isinstance(b, dict) and a.keys() == b.keys() and all(same(a[k], b[k]) for k in a)
    if isinstance(a, list):
        return isinstance(b, list) and len(a) == len(b) and all(same(x, y) for x, y in zip(a, b))
    return type(a) is type(b) and a == b


def main(argv=None) -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--folder", default="/tmp/hp_wards")
    ap.add_argument("--count", type=int, default=114)
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--save")
    ap.add_argument("--check")
    a = ap.parse_args(argv)
    paths = sorted(Path(a.folder).glob("*.xlsx"))[:a.count]
    books = [load_book(read_grids(p, empty_as_none=False), source=str(p)) for p in paths]
    months = window_months()
    steps = {"people_arrays": [], "eligibility": [], "month_results": [], "eligibility + month_results": [],
             "calamine read (reference)": []}
    outputs = {}
    for path, book in zip(paths, books):
        s = book.settings
        best = dict.fromkeys(steps, float("inf"))
        for _ in range(a.repeat + 1):                  # the first run warms the caches up, as a worker's
            tr = time.perf_counter()
            calamine_read(str(path))
            t0 = time.perf_counter()
            people = prepare(book)
            t1 = time.perf_counter()
            elig = eligibility(people, s.groups, s.params)
            t2 = time.perf_counter()
            res = month_results(people, elig, months, s.groups, s.params)
            t3 = time.perf_counter()
            for k, v in zip(steps, (t1 - t0, t2 - t1, t3 - t2, t3 - t1, t0 - tr)):
                best[k] = min(best[k], v)
        for k in steps:
            steps[k].append(best[k] * 1000)
        outputs[path.name] = {"people": as_plain(people), "eligibility": as_plain(elig), "results": as_plain(res)}
    print(f"{len(books)} books from {a.folder}, {len(months)} months, per file best of {a.repeat} runs; "
          f"ms per file over the files:")
    for k, v in steps.items():
        print(f"  {k:<30} min {min(v):6.2f}  median {statistics.median(v):6.2f}")
    total = statistics.median(steps["eligibility + month_results"])
    ok = total <= TARGET_MS
    share = statistics.median(e / r for e, r in zip(steps["eligibility + month_results"],
                                                     steps["calamine read (reference)"]))
    print(f"eligibility + month_results median {total:.2f} ms, target ≤ {TARGET_MS} ms: {'yes' if ok else 'NO'}; "
          f"{share:.1%} of a calamine read of the file (median over the files)")
    if a.save:
        Path(a.save).write_bytes(pickle.dumps(outputs))
        print(f"saved {len(outputs)} results to {a.save}")
    if a.check:
        saved = pickle.loads(Path(a.check).read_bytes())
        bad = [name for name in outputs if name not in saved or not same(saved[name], outputs[name])]
        bad += [name for name in saved if name not in outputs]
        print(f"check against {a.check}: {len(outputs) - len(bad)} equal, {len(bad)} differ {bad[:5]}")
        ok &= not bad
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
