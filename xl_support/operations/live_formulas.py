"""*Nạp lại hàm*: put the template's live column formulas back into the registers."""
from __future__ import annotations

import re

from xl_support.book.ports import read_port_book
from xl_support.book.template_layout import FIRST_ROW, FUNCTIONS, HEADER_ROW, REGISTERS, column_formula
from xl_support.book.workbook import SETTINGS_SHEET, load_book


def restore_live_formulas(port) -> int:
    """Put the live column formulas back into the registers (*Nạp lại hàm*): after *Tính lại*
    froze the month's values. A register laid out like the template gets the template's formulas;
    another register (a ward's own, after *Chuẩn bị sổ*) gets the A1-range formulas of `prepare`
    in the computed columns it has. The cells below each formula are emptied so the result can
    spill. Through the file writer the template's formulas carry this month's values (issue 13.2).
    Returns the number of columns restored."""
    from xl_support.operations.prepare import book_settings_range, rewrite_formulas
    grids = {n: port.read_grid(n) for n in port.sheet_names()}
    book = load_book(grids, source=port.name)
    results = {}
    if hasattr(port, "formulas"):           # a file: the formulas carry this month's values (issue 13.2)
        from xl_support.operations.compute import FORMATS, compute_book
        results = {r.register.sheet: r for r in compute_book(book)}
    restored = 0
    cells = {sheet: r.cells() for sheet, r in results.items()}
    for reg in book.registers:
        spec = next((r for r in REGISTERS if r.kind == reg.kind), None)
        layout = {f.name: spec.col(f.name) for f in spec.fields} if spec else {}
        if reg.header_row != HEADER_ROW or any(reg.columns.get(n) != c for n, c in layout.items()):
            restored += rewrite_formulas(port, reg, book_settings_range(grids))
            continue
        rows = reg.table["row"].tolist()
        last = max(rows, default=FIRST_ROW)
        for f in spec.fields:
            if f.computed:
                col = spec.col(f.name)
                if last > FIRST_ROW:
                    port.write_block(reg.sheet, FIRST_ROW + 1, col, [[None]] * (last - FIRST_ROW))
                formula = column_formula(spec, f.name)
                if reg.sheet in results:
                    port.write_formula(reg.sheet, FIRST_ROW, col, formula, number_format=FORMATS.get(f.name),
                                       cached=column_values(results[reg.sheet], f.name, FIRST_ROW, last,
                                                            cells[reg.sheet]))
                else:
                    port.write_formula(reg.sheet, FIRST_ROW, col, formula)
                restored += 1
    return restored


# ------------------------------------------------------------ cached values (issue 13.2)

PARAMETER_FUNCTIONS = {"HP_STANDARD": "national_standard", "HP_CITY_STANDARD": "city_standard",
                       "HP_BASE_SALARY": "base_salary", "HP_INSURANCE_COST": "insurance_cost",
                       "HP_POVERTY_LINE": "poverty_line"}


def column_values(result, field: str, first_row: int, last_row: int, cells: dict | None = None) -> list:
    """What the column-form function of `field` gives for the rows first_row..last_row of the
    register (compute.RegisterResult): the values compute writes, blank for rows without a person.
    The cached values of a spilled `HP_` column (issue 13.2). `cells`: `result.cells()` if the
    caller has it already."""
    column = (cells or result.cells())[field]
    by_row = dict(zip(result.register.table["row"].tolist(), column))
    return [by_row.get(r) for r in range(first_row, last_row + 1)]


def parameter_value(formula: str, settings, month):
    """The value of a `Tham số` look-up formula (`HP_STANDARD(ThangBaoCao,BangThamSo)`,
    `HP_POVERTY_LINE("Thành thị",…)`, …) for the report month; None when it is not one."""
    from xl_support.book import values as V
    from xl_support.book.excel_args import insurance_cost
    m = re.match(r'^=?\s*(HP_[A-Z_]+)\((.*)\)\s*$', formula)
    if not m or m[1] not in PARAMETER_FUNCTIONS:
        return None
    key = PARAMETER_FUNCTIONS[m[1]]
    if key == "insurance_cost":
        return insurance_cost(settings.params, month).value
    if key == "poverty_line":
        area_text = re.match(r'^\s*"([^"]*)"', m[2])
        try:
            area = V.parse_area(area_text[1]) if area_text else settings.default_area
        except V.CellError:
            return None
        return settings.params.value(key, month, area) if area else None
    return settings.params.value(key, month)


def cache_live_formulas(port, results) -> int:
    """Store, as cached values, what the live `HP_` formulas of the book compute for the report
    month: the column formulas of the registers (as a spilled column) and the look-ups of
    `Tham số` (issue 13.2). Only for ports that can read formulas back (`formulas(sheet)`: the
    file writer; in Excel the formulas compute themselves). Returns the formulas given values."""
    if not hasattr(port, "formulas"):
        return 0
    from xl_support.book.register import COMPUTED_FIELDS
    from xl_support.operations.compute import FORMATS
    done = 0
    for result in results:
        reg = result.register
        formulas = port.formulas(reg.sheet)
        if not formulas:
            continue
        first = reg.header_row + 1
        last = max(reg.table["row"].tolist(), default=first)
        cells = result.cells()
        for f in COMPUTED_FIELDS:
            col = reg.columns.get(f.name)
            found = formulas.get((first, col)) if col else None
            if not found or not found[0].lstrip("=").startswith(FUNCTIONS[f.name] + "("):
                continue
            old_ref = found[2].get("ref", "")
            old_last = int(re.sub(r"^.*?(\d+)$", r"\1", old_ref)) if old_ref else first
            values = column_values(result, f.name, first, last, cells)
            fmt = FORMATS.get(f.name)
            port.write_formula(reg.sheet, first, col, "=" + found[0], cached=values, number_format=fmt)
            if old_last > last:              # the old spill was longer: its stale values go
                port.write_block(reg.sheet, last + 1, col, [[None]] * (old_last - last))
            done += 1
    return done + cache_settings_formulas(port)


def cache_settings_formulas(port) -> int:
    """The look-up formulas of `Tham số` (`HP_STANDARD(ThangBaoCao,BangThamSo)`, …) get their
    value for the report month as cached value (issue 13.2)."""
    if not hasattr(port, "formulas") or SETTINGS_SHEET not in port.sheet_names():
        return 0
    from xl_support.book.ports import cached_port_book
    from xl_support.book.workbook import load_book
    book = cached_port_book(port)
    if book is None:
        book = load_book({SETTINGS_SHEET: port.read_grid(SETTINGS_SHEET)})
    month = book.month()
    done = 0
    for (row, col), (text, _, fattrs) in port.formulas(SETTINGS_SHEET).items():
        value = parameter_value(text, book.settings, month)
        if value is not None and fattrs.get("t") != "array":
            port.write_formula(SETTINGS_SHEET, row, col, "=" + text, cached=[value], spill=False)
            done += 1
    return done


def refresh_cached_values(port, skip: tuple[str, ...] = ()) -> int:
    """After validate/summary through the file writer: the live `HP_` formulas kept in the book get
    this month's values as their cached values (nothing is read or computed when it has none)."""
    if not hasattr(port, "formulas"):
        return 0
    if not any("HP_" in text for name in port.sheet_names() if name not in skip
               for text, _, _ in port.formulas(name).values()):
        return 0
    from xl_support.operations.compute import compute_book
    book = read_port_book(port, skip=skip)
    return cache_live_formulas(port, compute_book(book))
