"""*Nạp lại hàm*: put the template's live column formulas back into the registers."""
from __future__ import annotations

from xl_support.book.workbook import load_book
from xl_support.book.template_layout import FIRST_ROW, HEADER_ROW, REGISTERS, column_formula


def restore_live_formulas(port) -> int:
    """Put the live column formulas back into the registers (*Nạp lại hàm*): after *Tính lại*
    froze the month's values. A register laid out like the template gets the template's formulas;
    another register (a ward's own, after *Chuẩn bị sổ*) gets the A1-range formulas of `prepare`
    in the computed columns it has. The cells below each formula are emptied so the result can
    spill. Returns the number of columns restored."""
    from xl_support.operations.prepare import book_settings_range, rewrite_formulas
    grids = {n: port.read_grid(n) for n in port.sheet_names()}
    book = load_book(grids, source=port.name)
    restored = 0
    for reg in book.registers:
        spec = next((r for r in REGISTERS if r.kind == reg.kind), None)
        layout = {f.name: spec.col(f.name) for f in spec.fields} if spec else {}
        if reg.header_row != HEADER_ROW or any(reg.columns.get(n) != c for n, c in layout.items()):
            restored += rewrite_formulas(port, reg, book_settings_range(grids))
            continue
        rows = reg.frame["row"].tolist()
        last = max(rows, default=FIRST_ROW)
        for f in spec.fields:
            if f.computed:
                col = spec.col(f.name)
                if last > FIRST_ROW:
                    port.write_block(reg.sheet, FIRST_ROW + 1, col, [[None]] * (last - FIRST_ROW))
                port.write_formula(reg.sheet, FIRST_ROW, col, column_formula(spec, f.name))
                restored += 1
    return restored
