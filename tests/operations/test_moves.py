"""domain.md R12 — moves between wards: the two month columns through compute and validate, and
the city consolidation of two wards listing the months paid twice and the months nobody paid."""
from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import openpyxl

from xl_support.book.register import NQ55
from xl_support.book.workbook import LABEL_MONTH, LABEL_UNIT, LABEL_UNIT_TYPE, SETTINGS_SHEET, open_book, units
from xl_support.build.sample import write_register_sheet
from xl_support.engine.moves import month_ranges, moves
from xl_support.operations.compute import compute_book
from xl_support.operations.consolidate import SHEET_MOVES, consolidate
from xl_support.operations.validation import validate_book

D = dt.date
TODAY = D(2026, 11, 23)
WARDS = [u for u in units() if u.type == "Phường"][:2]


def person(i: int, group="CN", **changes) -> dict:
    row = dict(stt=i, name=f"Người Chuyển {i}", birth=D(2015, 3, 3), sex="Nam", id=f"0312345670{i:02d}",
               residential_group="Tổ 1", area="Thành thị", group=group, decision=D(2026, 1, 10))
    row.update(changes)
    return row


def ward(path: Path, unit, people: list[dict]) -> Path:
    wb = openpyxl.Workbook()
    write_register_sheet(wb.active, NQ55, people, "DANH SÁCH")
    ps = wb.create_sheet(SETTINGS_SHEET)
    for r, (label, value) in enumerate([(LABEL_UNIT, unit.full_name), (LABEL_UNIT_TYPE, unit.type),
                                        (LABEL_MONTH, "11/2026")], start=1):
        ps.cell(row=r, column=1, value=label)
        ps.cell(row=r, column=2, value=value)
    wb.save(path)
    return path


# old ward A / new ward B
OLD = [person(1, stop_pay_from=D(2026, 6, 1)),                 # gap: B forgot «Chi trả từ tháng»
       person(2, "KNND"),                                       # twice: A never stopped
       person(3, stop_pay_from="04/2026"),                      # right: A stops from 04, B pays from 04
       person(4)]                                               # in A only
NEW = [person(1, decision=D(2026, 9, 15)),
       person(2, "KNND", decision=D(2026, 5, 20), pay_from="05/2026"),
       person(3, decision=D(2026, 7, 2), pay_from=D(2026, 4, 1))]


def test_month_columns_through_compute(tmp_path):
    a = compute_book(open_book(ward(tmp_path / "a.xlsx", WARDS[0], OLD)), D(2026, 5, 1))[0]
    b = compute_book(open_book(ward(tmp_path / "b.xlsx", WARDS[1], NEW)), D(2026, 5, 1))[0]
    cells_a, cells_b = a.cells(), b.cells()
    # A: person 1's last month is May (stop from June); person 3's is March
    assert cells_a["end_date"][0] == D(2026, 5, 31) and cells_a["benefit"][0] == 2_000_000
    assert cells_a["end_date"][2] == D(2026, 3, 31) and cells_a["benefit"][2] == 0
    assert "Thôi chi trả từ tháng" in cells_a["basis"][2] and "04/2026" in cells_a["basis"][2]
    # B: person 3 is paid from April although the decision is of July (arrears)
    assert cells_b["benefit"][2] == 2_000_000
    assert "chi trả từ tháng 04/2026" in cells_b["basis"][2] and "truy lĩnh" in cells_b["basis"][2]
    assert cells_b["benefit"][0] == 0        # person 1: decision of September, no month named


def test_validation_of_the_month_columns(tmp_path):
    rows = [person(1, pay_from="01/2025", decision=D(2026, 3, 1)),          # 14 months before: a warning
            person(2, stop_pay_from="01/2026", decision=D(2026, 2, 3)),     # stop before the start: error
            person(3, stop_pay_from="13/2026"),                             # not a month
            person(4, pay_from="02/2026", decision=D(2026, 3, 1))]          # fine
    report = validate_book(open_book(ward(tmp_path / "v.xlsx", WARDS[0], rows)), today=TODAY)
    found = {(i.row - 3, i.field, i.code, i.severity) for i in report.issues if i.field in ("pay_from", "stop_pay_from")}
    assert found == {(1, "pay_from", "PAY_FROM_EARLY", "warning"),
                     (2, "stop_pay_from", "STOP_PAY_BEFORE_START", "error"),
                     (3, "stop_pay_from", "CELL_STOP_PAY_FROM", "error")}
    early = next(i for i in report.issues if i.code == "PAY_FROM_EARLY")
    assert "01/2025" in early.message and "01/03/2026" in early.message


def test_two_ward_consolidation_lists_overlap_and_gap(tmp_path):
    paths = [ward(tmp_path / "a.xlsx", WARDS[0], OLD), ward(tmp_path / "b.xlsx", WARDS[1], NEW)]
    r = consolidate(paths, D(2026, 11, 1), tmp_path / "city.xlsx", jobs=1, progress=False)
    by_id = {m.id_text: m for m in r.moves}
    assert set(by_id) == {"031234567001", "031234567002", "031234567003"}
    gap, twice, right = by_id["031234567001"], by_id["031234567002"], by_id["031234567003"]
    assert (gap.twice, gap.gap) == ("", "06/2026–08/2026")
    assert WARDS[0].full_name in gap.spans and WARDS[1].full_name in gap.spans
    assert "«Chi trả từ tháng» = 06/2026" in gap.advice
    # KNND born 03/03/2015: both wards pay from 05/2026 to the 16th-birthday month 03/2031 → window end
    assert (twice.twice, twice.gap) == ("05/2026–12/2030", "")
    assert "«Thôi chi trả từ tháng» = 05/2026" in twice.advice
    assert (right.twice, right.gap) == ("", "") and right.advice.startswith("Đúng quy định")
    assert f"{WARDS[0].full_name}: 01/2026–03/2026; {WARDS[1].full_name}: 04/2026–12/2030" == right.spans
    wb = openpyxl.load_workbook(tmp_path / "city.xlsx")
    text = [v for row in wb[SHEET_MOVES].iter_rows(values_only=True) for v in row if isinstance(v, str)]
    assert "06/2026–08/2026" in text and "05/2026–12/2030" in text


def test_moves_month_arithmetic():
    months = [D(2026, m, 1) for m in range(1, 13)]
    paid = np.zeros((12, 4), dtype=bool)
    paid[0:3, 0] = True        # key A, unit 0: Jan–Mar
    paid[5:12, 1] = True       # key A, unit 1: Jun–Dec → gap Apr–May
    paid[0:12, 2] = True       # key B, unit 0 all year
    paid[3:5, 3] = True        # key B, unit 0 again (another row of the same unit): not a move
    found = moves(np.array(["A", "A", "B", "B"], dtype=object), np.array([0, 1, 0, 0]), paid, months)
    assert [(m.key, month_ranges(m.twice), month_ranges(m.gap)) for m in found] == [("A", "", "04/2026–05/2026")]
    assert month_ranges([D(2026, 1, 1), D(2026, 3, 1), D(2026, 2, 1), D(2026, 12, 1)]) == "01/2026–03/2026, 12/2026"


def test_the_worksheet_functions_read_the_month_columns():
    """HP_ functions take `chi_tra_tu_thang`, `thoi_chi_tra_tu_thang` (text mm/yyyy or a date) as compute does."""
    from tests.harness import udf_host
    from tests.harness.udf_host import MISSING
    from xl_support.book.template_layout import FUNCTION_ARGS

    def call(func, person, month):
        args = [MISSING if person.get(n) is None else person[n] for n in FUNCTION_ARGS]
        return udf_host.call("udfs", func, *args, month, MISSING)

    new, old = NEW[2], OLD[2]           # pays from 04/2026 (decision 02/07/2026); stops from 04/2026
    assert call("HP_BENEFIT", new, "05/2026") == 2_000_000 and call("HP_BENEFIT", new, "03/2026") == 0
    assert call("HP_BENEFIT", old, "03/2026") == 2_000_000 and call("HP_BENEFIT", old, "04/2026") == 0
    assert call("HP_END_DATE", old, "03/2026") == dt.datetime(2026, 3, 31)
    assert "04/2026" in call("HP_BASIS", old, "03/2026")
    bad = dict(old, stop_pay_from="13/2026")
    assert call("HP_BENEFIT", bad, "03/2026") == "Lỗi: thôi chi trả từ tháng không hợp lệ (cần mm/yyyy)"
