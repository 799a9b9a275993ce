"""*Chuẩn bị sổ* / `prepare` on a ward's own workbook against python-calamine reading the same
book (design.md Performance: writing back into the user's book ≤ 4 × a calamine read), and
`build-addin` (reproducible bytes).

    .venv/bin/python benchmarks/bench_prepare.py [--rows 5000] [--repeat 3]

Both sides alternate in one run; the prepared outputs of every run must be equal.
"""
from __future__ import annotations

import argparse
import hashlib
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.harness.foreign_books import CHILDREN, HOUSEHOLDS, write_foreign_book  # noqa: E402
from xl_support.book.package import read_parts  # noqa: E402
from xl_support.book.ports import open_port  # noqa: E402
from xl_support.book.workbook import read_grids  # noqa: E402
from xl_support.build.addin import build_addin_bytes  # noqa: E402
from xl_support.operations.prepare import prepare  # noqa: E402


def run_prepare(book: Path, out: Path) -> str:
    port = open_port(book, quiet=True)              # as the command line writes (issue 18.1)
    prepare(port)
    port.save(out)
    parts = read_parts(out.read_bytes())
    parts.pop("docProps/core.xml", None)           # openpyxl stamps the save time there
    return hashlib.sha256(repr(sorted(parts.items())).encode()).hexdigest()


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=5000, help="rows in all (half per register)")
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        book = write_foreign_book(Path(tmp) / "so.xlsx", layouts=(CHILDREN, HOUSEHOLDS), n=args.rows // 2)
        reads, writes, digests = [], [], set()
        for i in range(args.repeat):
            started = time.perf_counter()
            read_grids(book)
            reads.append(time.perf_counter() - started)
            started = time.perf_counter()
            digests.add(run_prepare(book, Path(tmp) / f"p{i}.xlsx"))
            writes.append(time.perf_counter() - started)
        ratio = statistics.median(writes) / statistics.median(reads)
        print(f"prepare, {args.rows} rows: min {min(writes):.2f} s, median {statistics.median(writes):.2f} s; "
              f"calamine read: min {min(reads):.3f} s, median {statistics.median(reads):.3f} s; "
              f"ratio {ratio:.1f} × (target ≤ 4 ×); "
              f"{'same output every run' if len(digests) == 1 else 'OUTPUTS DIFFER'}")
        started = time.perf_counter()
        addin = {hashlib.sha256(build_addin_bytes()).hexdigest() for _ in range(3)}
        print(f"build-addin: {(time.perf_counter() - started) / 3:.2f} s a build; "
              f"{'identical bytes' if len(addin) == 1 else 'DIFFERENT BYTES'}")
    return 0 if ratio <= 4 and len(digests) == 1 and len(addin) == 1 else 1


if __name__ == "__main__":
    raise SystemExit(main())
