"""Benchmark (design.md "Performance", issue 18 item 5): what a command or a ribbon action spends
importing modules, measured with `python -X importtime`. Target: ≤ 0.3 s.

    .venv/bin/python benchmarks/bench_startup.py [--repeat 5]

Commands: each one RUNS for real, in a fresh interpreter, on a 200-row ward book made from the
template (and, for the lines marked «có sổ Đã chi trả», on the same book after `close-month`);
every import of the whole run is counted, the lazy ones made during the work included — a lazy
import that the work needs anyway is no saving. Printed: min and median over `--repeat` runs of
the top-level imports' cumulative time, the largest packages in it, and the bare interpreter
start for reference.

Ribbon actions: `RunPython` runs our macro in a Python process that has imported xlwings first.
xlwings imports pandas when it is installed; the ward PC's install (`build-bundle`) has no pandas
(no command needs it), so the action is measured as there: pandas made unimportable, then
xlwings, `macros` and the handler's modules — judged whole — and, apart, ours alone (each run
less its own xlwings import).
"""
from __future__ import annotations

import argparse
import datetime as dt
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TARGET = 0.3
WATCH = ("pandas", "numpy", "openpyxl", "xlwings", "python_calamine", "lxml")


def commands(book: Path, ledger: Path, out: Path) -> dict[str, list[str]]:
    """Each command line as a ward officer or a city clerk runs it."""
    o = str(out)
    return {
        "compute -o": ["compute", str(book), "-o", o, "--force"],
        "validate": ["validate", str(book)],
        "validate -o": ["validate", str(book), "-o", o, "--force"],
        "summary -o": ["summary", str(book), "-o", o, "--force"],
        "consolidate (3 sổ)": ["consolidate", str(book.parent / "wards"), "-o", str(out.with_suffix(".xlsx")),
                               "--force", "--month", "2026-11"],
        "export payment-list": ["export", str(book), "--kind", "payment-list", "-o", str(out.with_suffix(".xlsx")),
                                "--force"],
        "close-month": ["close-month", str(book), "--month", "2026-11", "-o", o, "--force"],
        "close-month, có sổ Đã chi trả": ["close-month", str(ledger), "--month", "2026-11", "-o", o, "--force"],
        "export arrears, có sổ Đã chi trả": ["export", str(ledger), "--kind", "arrears", "--month", "2026-11",
                                             "-o", str(out.with_suffix(".xlsx")), "--force"],
        "compute -o, có sổ Đã chi trả": ["compute", str(ledger), "-o", o, "--force"],
        "summary -o, có sổ Đã chi trả": ["summary", str(ledger), "-o", o, "--force"],
    }


ACTIONS = {   # RunPython "import macros; macros.X()": what the action imports before it reads the book
    "nút Kiểm tra (macros.validate)": ["macros", "macros.xlwings_port", "xl_support.operations.validation"],
    "nút Tính lại (macros.compute)": ["macros", "macros.xlwings_port", "xl_support.operations.compute"],
}


def import_times(argv: list[str]) -> tuple[float, dict[str, float], int]:
    """Seconds of top-level imports of one fresh interpreter run; per watched package; exit status."""
    env = {**os.environ, "XLWINGS_LICENSE_KEY": "noncommercial", "PYTHONDONTWRITEBYTECODE": "0"}
    run = subprocess.run([sys.executable, "-X", "importtime", *argv], capture_output=True, text=True, cwd=ROOT,
                         env=env)
    total, parts = 0, {}
    for line in run.stderr.splitlines():
        fields = line.split("|")
        if not line.startswith("import time:") or len(fields) != 3 or "cumulative" in line:
            continue
        cumulative, raw = int(fields[1]), fields[2]
        name = raw.strip()
        if raw.startswith(" ") and not raw.startswith("  "):      # top level (nested ones are indented more)
            total += cumulative
        if name in WATCH:                                         # where the package was first imported
            parts[name] = max(parts.get(name, 0), cumulative / 1e6)
    return total / 1e6, parts, run.returncode


def bare_start(repeat: int) -> float:
    import time
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        subprocess.run([sys.executable, "-c", "pass"], check=True)
        times.append(time.perf_counter() - t)
    return min(times)


def make_books(folder: Path) -> tuple[Path, Path]:
    """A 200-row ward book from the template, three copies for consolidation, and the same book
    with October 2026 closed (a `Đã chi trả` sheet)."""
    from xl_support.__main__ import main
    from xl_support.build.demo_book import write_demo_workbook
    from xl_support.book.workbook import units
    book = write_demo_workbook(folder / "ward.xlsm", n55=140, n04=60, month=dt.date(2026, 11, 1))
    wards = folder / "wards"
    wards.mkdir(exist_ok=True)
    for k, unit in enumerate(units()[:3]):
        write_demo_workbook(wards / f"ward{k}.xlsm", unit=unit.full_name, unit_type=unit.type, n55=140, n04=60,
                            seed=k + 2, month=dt.date(2026, 11, 1))
    ledger = folder / "ward-closed.xlsm"
    if main(["close-month", str(book), "--month", "2026-10", "-o", str(ledger), "--force"]) != 0:
        raise SystemExit("close-month failed while preparing the benchmark books")
    return book, ledger


def line(label: str, runs: list[tuple[float, dict, int]], judged: bool) -> bool:
    seconds = [r[0] for r in runs]
    parts = runs[seconds.index(min(seconds))][1]
    med = statistics.median(seconds)
    good = med <= TARGET
    detail = ", ".join(f"{k} {v:.3f}" for k, v in sorted(parts.items(), key=lambda kv: -kv[1]) if v >= 0.005)
    verdict = ("ĐẠT" if good else "CHƯA ĐẠT") if judged else "tham khảo"
    print(f"{label:38s} import min {min(seconds):.3f} s / trung vị {med:.3f} s (mục tiêu ≤ {TARGET:g} s: {verdict})"
          + (f"; trong đó {detail}" if detail else ""))
    return good or not judged


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeat", type=int, default=5)
    a = ap.parse_args()
    ok = True
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        book, ledger = make_books(folder)
        print(f"khởi động trình thông dịch (không import gì): min {bare_start(a.repeat):.3f} s")
        print("Lệnh (chạy thật trên sổ 200 dòng; mọi import của cả lần chạy):")
        for label, args in commands(book, ledger, folder / "out.xlsm").items():
            runs = [import_times(["-m", "xl_support", *args]) for _ in range(a.repeat)]
            if any(r[2] not in (0, 1, 3) for r in runs):     # 3: a consolidation of 3 of the 114 units
                raise SystemExit(f"«{label}» kết thúc với mã {runs[0][2]}")
            ok &= line(label, runs, judged=True)
    print("Nút trên ribbon (RunPython: xlwings được import trước; như trên máy phường cài từ bộ cài: không có pandas):")
    no_pandas = "import sys; sys.modules['pandas'] = None; "
    for label, modules in ACTIONS.items():
        code = no_pandas + "; ".join(f"import {m}" for m in ["xlwings", *modules])
        both = [import_times(["-c", code]) for _ in range(a.repeat)]
        ok &= line(label, both, judged=True)
        extra = [b[0] - b[1].get("xlwings", 0.0) for b in both]     # the same run less its xlwings import
        print(f"{'  … phần của chúng ta (trừ xlwings)':38s} min {min(extra):.3f} s / trung vị {statistics.median(extra):.3f} s"
              f" (mục tiêu ≤ {TARGET:g} s: {'ĐẠT' if statistics.median(extra) <= TARGET else 'CHƯA ĐẠT'})")
        ok &= statistics.median(extra) <= TARGET
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
