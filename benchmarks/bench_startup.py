"""Benchmark (design.md "Performance", issue 18 item 5): start-up of a command and of a ribbon
action, measured with `python -X importtime`. Target: ≤ 0.3 s of imports before the work starts.

    .venv/bin/python benchmarks/bench_startup.py [--repeat 5]

For each entry point a fresh interpreter imports what that command or action imports before it
reads the book (the CLI module, then the handler's module, as `cli.py` and `macros/` do lazily);
`-X importtime` gives the cumulative microseconds of every top-level import. Printed: min and
median over `--repeat` runs, the largest third-party packages inside that figure, and the bare
interpreter start for reference. A ribbon action runs in a process started by xlwings'
`RunPython`, which imports xlwings itself (and xlwings imports pandas): that line shows how much
of an action's start-up is ours.
"""
from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

COMMANDS = {
    "compute / prepare": "xl_support.operations.compute",
    "validate": "xl_support.operations.validation",
    "summary": "xl_support.operations.summary",
    "export": "xl_support.operations.exports",
    "consolidate": "xl_support.operations.consolidate",
    "close-month": "xl_support.operations.schedule",
}
ACTIONS = {   # ribbon: RunPython "import macros; macros.X()" → what X imports before reading the book
    "nút Kiểm tra (macros.validate)": ["xlwings", "macros", "macros.xlwings_port", "xl_support.operations.validation"],
    "nút Tính lại (macros.compute)": ["xlwings", "macros", "macros.xlwings_port", "xl_support.operations.compute"],
}
WATCH = ("pandas", "numpy", "openpyxl", "xlwings", "python_calamine", "tqdm")


def import_times(modules: list[str]) -> tuple[float, dict[str, float]]:
    """Seconds of top-level imports for `modules` in a fresh interpreter; per watched package."""
    code = "; ".join(f"import {m}" for m in modules)
    run = subprocess.run([sys.executable, "-X", "importtime", "-c", code], capture_output=True, text=True,
                         cwd=ROOT, env={"XLWINGS_LICENSE_KEY": "noncommercial", "PATH": "/usr/bin:/bin"})
    if run.returncode:
        raise SystemExit(run.stderr[-2000:])
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
    return total / 1e6, parts


def bare_start(repeat: int) -> float:
    import time
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        subprocess.run([sys.executable, "-c", "pass"], check=True)
        times.append(time.perf_counter() - t)
    return min(times)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeat", type=int, default=5)
    a = ap.parse_args()
    print(f"khởi động trình thông dịch (không import gì): min {bare_start(a.repeat):.3f} s")
    entries = {f"lệnh {k}": ["xl_support.__main__", v] for k, v in COMMANDS.items()} | ACTIONS
    ok = True
    for label, modules in entries.items():
        runs = [import_times(modules) for _ in range(a.repeat)]
        seconds = [r[0] for r in runs]
        parts = runs[seconds.index(min(seconds))][1]
        med = statistics.median(seconds)
        ok &= med <= 0.3 or label in ACTIONS
        detail = ", ".join(f"{k} {v:.3f}" for k, v in sorted(parts.items(), key=lambda kv: -kv[1]))
        print(f"{label:34s} import min {min(seconds):.3f} s / trung vị {med:.3f} s (mục tiêu ≤ 0,3 s "
              f"{'ĐẠT' if med <= 0.3 else 'CHƯA ĐẠT'}); trong đó {detail}")
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
