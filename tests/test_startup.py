"""Issue 18.5 — a ward's command reaches its work without loading what it does not need: compute,
validate, summary and close-month run for real in a fresh interpreter and must not load pandas,
openpyxl or xml.sax (urllib, http, ssl); no export kind and no consolidation loads pandas or openpyxl
(their documents are written by `documents.xlsx` with `documents.styles`). The seconds are measured in benchmarks/bench_startup.py; this test keeps
the heavy packages out of the path (a module-level import added later fails it)."""
import datetime as dt
import json
import subprocess
import sys
from pathlib import Path

import pytest

from xl_support.build.demo_book import write_demo_workbook

ROOT = Path(__file__).resolve().parents[1]
HEAVY = ("pandas", "openpyxl", "xml.sax.saxutils", "socket", "numpy.ma")     # numpy.ma: ~25 ms, `np.unique(a)` loads it
EXPORT_KINDS = ("city-report", "insurance-list", "payment-list", "public-list", "budget", "arrears", "coming-changes")


@pytest.fixture(scope="module")
def ward(tmp_path_factory):
    return write_demo_workbook(tmp_path_factory.mktemp("startup") / "ward.xlsm", n55=20, n04=10,
                               month=dt.date(2026, 11, 1))


@pytest.fixture(scope="module")
def closed(ward):
    """The ward's book with October closed: a `Đã chi trả` sheet (summary reads its totals)."""
    from xl_support.__main__ import main
    out = ward.with_name("closed.xlsm")
    assert main(["close-month", str(ward), "--month", "2026-10", "-o", str(out)]) == 0
    return out


def loaded_by(argv: list[str]) -> tuple[int, list[str]]:
    """Run the command line in a fresh interpreter: its exit status and the heavy modules loaded."""
    code = ("import json, sys\nfrom xl_support.__main__ import main\nrc = main(json.loads(sys.argv[1]))\n"
            f"print(json.dumps([rc, [m for m in {HEAVY!r} if m in sys.modules]]))")
    run = subprocess.run([sys.executable, "-c", code, json.dumps(argv)], capture_output=True, text=True, cwd=ROOT,
                         timeout=120)
    assert run.returncode == 0, run.stderr[-2000:]
    rc, loaded = json.loads(run.stdout.splitlines()[-1])
    return rc, loaded


@pytest.mark.parametrize("command", [["compute", "{book}", "-o", "{out}"], ["validate", "{book}"],
                                     ["validate", "{book}", "-o", "{out}"], ["summary", "{book}", "-o", "{out}"]])
def test_ward_commands_load_no_heavy_package(ward, tmp_path, command):
    argv = [a.format(book=ward, out=tmp_path / "out.xlsm") for a in command]
    rc, loaded = loaded_by(argv)
    assert rc in (0, 1)             # validate: 1 when the book has data errors
    assert loaded == [], f"{argv[0]} loaded {loaded}"


def test_summary_of_a_book_with_closed_months_loads_no_heavy_package(closed, tmp_path):
    rc, loaded = loaded_by(["summary", str(closed), "-o", str(tmp_path / "out.xlsm")])
    assert rc == 0 and loaded == []


@pytest.mark.parametrize("month", ["2026-10", "2026-11"])      # October is closed: re-export from the ledger
@pytest.mark.parametrize("kind", EXPORT_KINDS)
def test_exports_load_no_pandas_nor_openpyxl(closed, tmp_path, kind, month):
    from xl_support.operations.exports import KINDS
    assert set(KINDS) == set(EXPORT_KINDS)
    rc, loaded = loaded_by(["export", str(closed), "--kind", kind, "--month", month, "-o", str(tmp_path / "out.xlsx")])
    assert rc == 0 and (tmp_path / "out.xlsx").exists()
    assert not {"pandas", "openpyxl", "numpy.ma"} & set(loaded), f"export {kind} loaded {loaded}"


def test_consolidate_loads_no_pandas_nor_openpyxl(ward, closed, tmp_path):
    """The city workbook of two units, one with a closed month (the «Đã chi trả theo đơn vị» sheet)."""
    from xl_support.book.workbook import units
    folder = tmp_path / "wards"
    folder.mkdir()
    other = units()[5]
    write_demo_workbook(folder / "other.xlsm", unit=other.full_name, unit_type=other.type, n55=20, n04=10, seed=3,
                        month=dt.date(2026, 11, 1))
    (folder / "closed.xlsm").write_bytes(closed.read_bytes())
    out = tmp_path / "city.xlsx"
    rc, loaded = loaded_by(["consolidate", str(folder), "--month", "2026-11", "-o", str(out)])
    assert rc in (0, 3) and out.exists()            # 3: a partial city (2 of the 114 units)
    assert not {"pandas", "openpyxl", "numpy.ma"} & set(loaded), f"consolidate loaded {loaded}"


def test_close_month_loads_no_pandas(closed, tmp_path):
    """November closed against October's ledger (arrears computed), then October reopened: the
    ledger sheet goes through the patch writer, nothing heavy is loaded."""
    rc, loaded = loaded_by(["close-month", str(closed), "--month", "2026-11", "-o", str(tmp_path / "c11.xlsm")])
    assert rc == 0 and loaded == [], f"close-month loaded {loaded}"
    rc, loaded = loaded_by(["close-month", str(closed), "--month", "2026-10", "--reopen", "-o", str(tmp_path / "r.xlsm")])
    assert rc == 0 and loaded == [], f"close-month --reopen loaded {loaded}"


def test_ribbon_macros_own_part_loads_no_pandas():
    """RunPython imports xlwings (and xlwings pandas) before our macro: that part is not ours. Ours —
    `macros`, its xlwings port, every module a handler imports and every export kind — loads no pandas."""
    import ast
    tree = ast.parse((ROOT / "macros" / "__init__.py").read_text("utf-8"))
    modules = {n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) and n.level == 0
               and n.module.startswith("xl_support.")}
    modules |= {f"xl_support.operations.exports.{m}" for m in ("city", "insurance", "lists", "budget", "arrears",
                                                                 "changes")}
    assert "xl_support.operations.cycle" in modules and "xl_support.operations.exports" in modules
    code = "\n".join(["import json, sys", "import macros, macros.xlwings_port", *(f"import {m}" for m in sorted(modules)),
                      "print(json.dumps([m for m in ('pandas', 'xlwings') if m in sys.modules]))"])
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert run.returncode == 0, run.stderr[-2000:]
    assert json.loads(run.stdout.splitlines()[-1]) == []
