"""`build-template` time (design.md Performance: ≤ 5 s) and reproducibility.

    .venv/bin/python benchmarks/bench_template.py [--runs 5]
"""
from __future__ import annotations

import argparse
import hashlib
import statistics
import time

from xl_support.build.template import build_template_bytes


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=5)
    runs = ap.parse_args().runs
    times, digests = [], set()
    for _ in range(runs):
        started = time.perf_counter()
        data = build_template_bytes()
        times.append(time.perf_counter() - started)
        digests.add(hashlib.sha256(data).hexdigest())
    print(f"build-template: {len(data):,} bytes; median {statistics.median(times):.2f} s, "
          f"max {max(times):.2f} s over {runs} runs (limit 5 s); "
          f"{'identical bytes' if len(digests) == 1 else f'{len(digests)} different outputs!'}")
    return 0 if max(times) <= 5 and len(digests) == 1 else 1


if __name__ == "__main__":
    raise SystemExit(main())
