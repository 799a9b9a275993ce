"""A filled ward workbook made from the built template (the `demo` command, tests, screenshots).

Takes `workbook/Template.xlsm` (or a given template), fills both registers with
`xl_support.sample.sample_people` rows, grows each Excel Table over them, and sets `Tham số`
(unit, unit type, report month). The live HP_ formulas stay as they are (one spilling formula per
computed column); the file is saved with `book.package.save_xlsm`, which keeps them dynamic arrays.
"""
from __future__ import annotations

import datetime as dt
from pathlib import Path

from xl_support.book.workbook import SETTINGS_SHEET
from xl_support.book.register import NQ04, NQ55, column_letter
from xl_support.build.sample import sample_people, write_person
from xl_support.book.package import save_xlsm
from xl_support.book.template_layout import FIRST_ROW, HEADER_ROW, REGISTERS
from xl_support.build.template import DEFAULT_OUT

UNIT_CELL, UNIT_TYPE_CELL, MONTH_CELL = "B5", "B6", "B7"


def fill_register(ws, reg, people: list[dict]) -> None:
    """Write the rows under the header (input columns only) and grow the Table over them."""
    for r, person in enumerate(people, FIRST_ROW):
        write_person(ws, r, reg.inputs, person)
    last = FIRST_ROW + max(len(people), 1) - 1
    table = ws.tables[reg.table]
    table.ref = f"A{HEADER_ROW}:{column_letter(len(reg.inputs))}{last}"
    if table.autoFilter is not None:
        table.autoFilter.ref = table.ref


def write_demo_workbook(path: str | Path, *, unit: str = "Phường Đồ Sơn", unit_type: str = "Phường",
                        month: dt.date = dt.date(2026, 11, 1), n55: int = 40, n04: int = 20, seed: int = 1,
                        template: str | Path = DEFAULT_OUT) -> Path:
    """The template with sample rows and `Tham số` set; never overwrites the template itself."""
    import openpyxl

    template, path = Path(template), Path(path)
    if path.resolve() == template.resolve():
        raise ValueError("write_demo_workbook: the output must not be the template")
    wb = openpyxl.load_workbook(template, keep_vba=True)
    area = "Thành thị" if unit_type == "Phường" else "Nông thôn"
    counts = {NQ55: (n55, seed), NQ04: (n04, seed + 1000)}
    for reg in REGISTERS:
        n, s = counts[reg.kind]
        fill_register(wb[reg.title], reg, sample_people(n, reg.kind, s, area))
    ps = wb[SETTINGS_SHEET]
    ps[UNIT_CELL] = unit
    ps[UNIT_TYPE_CELL] = unit_type
    ps[MONTH_CELL] = month.replace(day=1)
    ps[MONTH_CELL].number_format = "mm/yyyy"
    save_xlsm(wb, path)
    return _cache_settings(path)


def _cache_settings(path: Path) -> Path:
    """`Tham số`'s look-ups carry this month's values, as in a book Excel has saved (openpyxl
    drops the template's cached values); issue 13.2. The register columns stay one-cell spills."""
    from xl_support.book.ports import open_port
    from xl_support.operations.live_formulas import cache_settings_formulas

    port = open_port(path, quiet=True)
    if cache_settings_formulas(port):
        port.save(path)
    return path
