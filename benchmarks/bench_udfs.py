"""Worksheet functions through xlwings' COM-server path (design.md "Performance").

Prints the Python-side time of one column call of HP_BENEFIT (and HP_BASIS) over 5,000 register
rows through `xlwings.udfs.call_udf`, with the values Excel passes (date cells → datetime,
numbers → float, empty → None), target ≤ 50 ms; and the median of a single-cell call.

Run: .venv/bin/python benchmarks/bench_udfs.py [rows]
"""
from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.harness import udf_host  # noqa: E402  (sets the licence key before xlwings)
from xl_support.build.sample import sample_people  # noqa: E402

from xl_support.book.template_layout import FUNCTION_ARGS as ARGS     # the udfs argument order  # noqa: E402
TARGET_MS = 50.0


def register_columns(n: int) -> list:
    """The eight register columns as Excel passes ranges (tuple of 1-tuples, COM values)."""
    people = sample_people(n, "NQ55", seed=7)
    return [udf_host.excel_arg([[p.get(name)] for p in people]) for name in ARGS]


def call_udf(func: str, args: tuple):
    from xlwings import udfs
    return udfs.call_udf("udfs", func, args, None, None)


CPU: list[float] = []


def timed(func: str, args: tuple, repeat: int, cold: bool = True) -> list[float]:
    """Wall milliseconds per call (CPU milliseconds of this process go to CPU: on a shared
    machine they show the cost without other processes' load). cold: the per-range cache of
    udfs is emptied first (a register column that changed); warm: another column function
    already prepared the same ranges."""
    import udfs
    out = []
    CPU.clear()
    for _ in range(repeat):
        if cold:
            udfs._PREPARED.clear()
        t, c = time.perf_counter(), time.process_time()
        call_udf(func, args)
        out.append((time.perf_counter() - t) * 1000)
        CPU.append((time.process_time() - c) * 1000)
    return out


def main(n: int = 5000) -> int:
    udf_host.load_udf_module("udfs")
    cols = register_columns(n)
    month = udf_host.excel_arg("11/2026")
    column_args = (*cols, month, udf_host.excel_arg(None))
    call_udf("HP_BENEFIT", column_args)   # warm-up: imports, parameter caches
    benefit = timed("HP_BENEFIT", column_args, 9)
    benefit_cpu = statistics.median(CPU)
    warm = timed("HP_TOPUP", column_args, 9, cold=False)
    basis = timed("HP_BASIS", column_args, 5)
    one = tuple(udf_host.excel_arg(c[0][0]) for c in cols) + (month, udf_host.excel_arg(None))
    single = timed("HP_BENEFIT", one, 200)
    single_warm = timed("HP_BENEFIT", one, 200, cold=False)
    print(f"HP_BENEFIT column, {n} rows via call_udf: median {statistics.median(benefit):.1f} ms, "
          f"best {min(benefit):.1f} ms, CPU median {benefit_cpu:.1f} ms (target ≤ {TARGET_MS:.0f} ms)")
    print(f"HP_TOPUP column after HP_BENEFIT on the same ranges: median {statistics.median(warm):.1f} ms")
    print(f"HP_BASIS column, {n} rows via call_udf: median {statistics.median(basis):.1f} ms")
    print(f"HP_BENEFIT single cell via call_udf: median {statistics.median(single):.2f} ms "
          f"(same arguments again: {statistics.median(single_warm):.2f} ms)")
    return 0 if statistics.median(benefit) <= TARGET_MS else 1


if __name__ == "__main__":
    sys.exit(main(int(sys.argv[1]) if len(sys.argv) > 1 else 5000))
