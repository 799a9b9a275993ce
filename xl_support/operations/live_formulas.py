"""*Nạp lại hàm*: put the template's live column formulas back into the registers."""
from __future__ import annotations

from xl_support.book.ports import read_port_book
from xl_support.book.template_layout import FIRST_ROW, HEADER_ROW, REGISTERS, column_formula


def restore_live_formulas(port) -> int:
    """Put the template's column formulas back into the registers (*Nạp lại hàm*): after *Tính lại*
    froze the month's values, or in a register laid out like the template. The cells below each
    formula are emptied so the result can spill. Returns the number of columns restored."""
    book = read_port_book(port)
    restored = 0
    for reg in book.registers:
        spec = next((r for r in REGISTERS if r.kind == reg.kind), None)
        layout = {f.name: spec.col(f.name) for f in spec.fields} if spec else {}
        if reg.header_row != HEADER_ROW or any(reg.columns.get(n) != c for n, c in layout.items()):
            port.progress(f"Sheet «{reg.sheet}» không theo mẫu Template.xlsm: giữ nguyên, không ghi công thức")
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
