"""The law as code and data: dated parameters, policy tables, rules R1–R14, R11, schedules, basis
texts, status messages, and `data/*.csv` (parameters, groups, header synonyms, the 114 units).

May import: the standard library, numpy, pandas. Never another floor of `xl_support`, nothing
that reads Excel files (openpyxl, python-calamine) and never xlwings.
"""
from pathlib import Path

DATA = Path(__file__).with_name("data")


def data_text(name: str) -> str:
    """A shipped table, `xl_support/engine/data/NAME`, as text (a plain file read: no
    `importlib.resources` at every start, issue 18.5; the package is always installed as files)."""
    return (DATA / name).read_text("utf-8")
