"""The HP_ formulas in a workbook, evaluated by a formula engine, give what `compute` writes.

The `formulas` package evaluates a workbook made here (registers from `xl_support.sample`, a
`Tham số` sheet) whose computed columns hold one column-form (array) formula each, plus a few
single-cell formulas; our functions are registered under their Excel names and called through
`xlwings.udfs.call_udf` (tests/harness/udf_host), so the values pass the same conversion as in
Excel (numbers as floats, empty cells as None; dates arrive as serials, as `formulas` holds them).
Every result must equal what `xl_support.compute.compute_book` writes for the same rows and month
(IDs are distinct, so the highest-single-benefit rule R11 — which the functions do not apply —
changes nothing).

`formulas` has no dynamic-array spill: a plain formula returning a column gives #VALUE!. The
column form is written as an array formula over the register rows (openpyxl `ArrayFormula`,
Excel's Ctrl+Shift+Enter form), which every Excel version evaluates; Excel 365 also spills a
plain formula.
"""
from __future__ import annotations

import datetime as dt

import numpy as np
import openpyxl
import pytest
from openpyxl.worksheet.formula import ArrayFormula

from tests.harness import udf_host
from xl_support.book import register as R
from xl_support.book.workbook import open_book
from xl_support.operations.compute import compute_book
from xl_support.book.register import NQ04, NQ55, column_letter
from xl_support.book.template_layout import FUNCTION_ARGS
from xl_support.build.sample import sample_people, write_register_sheet

formulas = pytest.importorskip("formulas")  # a test dependency (pyproject [test]); never skipped in CI

FUNCS = {"benefit": "HP_BENEFIT", "topup": "HP_TOPUP", "insurance": "HP_INSURANCE", "end_date": "HP_END_DATE",
         "basis": "HP_BASIS"}
ARG_FIELDS = FUNCTION_ARGS      # the udfs contract's argument order
MONTH = dt.date(2026, 11, 1)
SETTINGS_RANGE = "'Tham số'!$A$1:$B$8"
EXCEL_EPOCH = dt.datetime(1899, 12, 30)


def _excel_value(value):
    """A `formulas` cell value → what Excel's COM hands over (numbers are doubles, empty → None)."""
    if value is formulas.functions.sh.EMPTY:
        return None
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, (int, float, np.integer, np.floating)):
        return float(value)
    return value


def _argument(arg):
    """A `formulas` argument → `udf_host.excel_arg` input. An omitted argument (`=F(a,,b)`)
    reaches a custom function as the int 0; Excel passes "missing" to the VBA wrapper."""
    if type(arg) is int and arg == 0:
        return udf_host.MISSING
    value = getattr(arg, "value", arg)
    if isinstance(value, np.ndarray):
        return [[_excel_value(v) for v in r] for r in value.tolist()]
    return _excel_value(value)


def _sheet_value(value):
    """What the cell holds after Excel writes the result: dates as serials."""
    if isinstance(value, dt.datetime):
        return (value - EXCEL_EPOCH).days
    return value


def _excel_function(name):
    def function(*args):
        result = udf_host.call_raw("udfs", name, *(_argument(a) for a in args))
        return np.array([[_sheet_value(v) for v in r] for r in result], dtype=object)
    return function


@pytest.fixture(scope="module")
def functions():
    udf_host.load_udf_module("udfs")
    table = formulas.get_functions()
    for name in ("HP_BENEFIT", "HP_TOPUP", "HP_INSURANCE", "HP_END_DATE", "HP_BASIS", "HP_POVERTY_LINE",
                 "HP_STANDARD", "HP_BASE_SALARY", "HP_INSURANCE_COST"):
        table[name] = _excel_function(name)
    yield table
    for name in [n for n in table if n.startswith("HP_")]:
        del table[name]


def _people():
    nq55 = sample_people(20, NQ55, seed=5, area="Thành thị")
    nq55[2]["area"] = "Nông thôn"
    nq55[4]["area"] = None                     # default area from Loại đơn vị
    nq55[6]["birth"] = "31/02/2016"            # a bad cell
    nq55[8]["birth"] = nq55[8]["birth"].strftime("%d/%m/%Y")   # a text date
    nq04 = sample_people(8, NQ04, seed=9, area="Thành thị")
    ids = [p["id"] for p in nq55 + nq04]
    assert len(set(ids)) == len(ids)           # distinct IDs: R11 does not apply
    return nq55, nq04


def _columns(register):
    fields = [f for f in R.FIELDS if register in f.registers]
    return {f.name: c for c, f in enumerate(fields, start=1)}


def _write_book(path):
    """Two registers whose computed columns are HP_ formulas, and a `Tham số` sheet."""
    nq55, nq04 = _people()
    wb = openpyxl.Workbook()
    ws55 = wb.active
    ws55.title = "Trẻ em NQ55"
    ws04 = wb.create_sheet("Hộ nghèo NQ04")
    layout = {}
    for ws, register, people in ((ws55, NQ55, nq55), (ws04, NQ04, nq04)):
        header = write_register_sheet(ws, register, people, f"DANH SÁCH {register}")
        cols = _columns(register)
        first, last = header + 1, header + len(people)
        args = []
        for name in ARG_FIELDS:
            if name in cols:
                letter = column_letter(cols[name])
                args.append(f"{letter}{first}:{letter}{last}")
            else:
                args.append("")                                  # omitted (NQ04 has no mother's birth)
        for field, func in FUNCS.items():
            letter = column_letter(cols[field])
            ref = f"{letter}{first}:{letter}{last}"
            # thang omitted: the report month of Tham số
            ws[f"{letter}{first}"] = ArrayFormula(ref, f"={func}({','.join(args)},,{SETTINGS_RANGE})")
        layout[ws.title] = (register, cols, first, last)
    # single-cell forms next to three NQ55 rows (month given as a cell reference)
    cols = _columns(NQ55)
    extra = max(cols.values()) + 2
    for i, r in enumerate((4, 9, 12)):
        refs = [f"{column_letter(cols[n])}{r}" if n in cols else "" for n in ARG_FIELDS]
        for k, func in enumerate(FUNCS.values()):
            ws55.cell(row=r, column=extra + k, value=f"={func}({','.join(refs)},'Tham số'!$B$3,{SETTINGS_RANGE})")
    ps = wb.create_sheet("Tham số")
    for r, (label, value) in enumerate([("Đơn vị", "Phường Đồ Sơn"), ("Loại đơn vị", "Phường"),
                                        ("Tháng báo cáo", f"{MONTH:%m/%Y}"),
                                        ("Mức hỗ trợ HN-TE (đồng/tháng)", 650_000),
                                        ("Chuẩn nghèo thành thị từ 01/10/2026", 2_100_000)], start=1):
        ps.cell(row=r, column=1, value=label)
        ps.cell(row=r, column=2, value=value)
    # parameter look-ups
    ps["D1"] = f"=HP_POVERTY_LINE(,,{SETTINGS_RANGE})"
    ps["D2"] = f'=HP_POVERTY_LINE("Nông thôn",B3,{SETTINGS_RANGE})'
    ps["D3"] = f"=HP_INSURANCE_COST(B3,{SETTINGS_RANGE})"
    ps["D4"] = '=HP_BASE_SALARY("06/2026")'
    wb.save(path)
    return layout, extra


def _solve(path):
    model = formulas.ExcelModel().loads(str(path)).finish()
    solution = model.calculate()
    out = {}
    for key, value in solution.items():
        if "!" not in key:
            continue
        sheet, ref = key.rsplit("!", 1)
        sheet = sheet.strip("'").split("]", 1)[-1]
        out[(sheet, ref)] = np.asarray(getattr(value, "value", value), dtype=object)
    return out


def _expected(result, field):
    """What `compute` writes in a computed column; for an uncomputable row the functions show the
    row's message in every column (compute writes it in the benefit column only)."""
    cells = result.cells()
    values = []
    for value, message in zip(cells[field], cells["benefit"]):
        if value is None:
            value = message
        if isinstance(value, dt.date):
            value = (value - EXCEL_EPOCH.date()).days
        values.append(value)
    return values


BAD_CELL = "Lỗi: có ô không đọc được (xem sheet Kiểm tra)"


def _same(got, want, field) -> bool:
    """Equal, except where a cell cannot be read: `compute` points at the `Kiểm tra` sheet
    (benefit) or names the cell (basis: `… (ô C10)`); a function, which cannot know the cell,
    names the argument: `Lỗi: ngày sinh không hợp lệ (cần dd/mm/yyyy)`."""
    if want == BAD_CELL:
        return isinstance(got, str) and got.startswith("Lỗi: ") and "không hợp lệ" in got
    if field == "basis" and " Lỗi: " in want:
        return got.split(" Lỗi: ")[0] == want.split(" Lỗi: ")[0] and "không hợp lệ" in got
    return got == want and type(got) is type(want)


def test_formulas_equal_what_compute_writes(tmp_path, functions):
    path = tmp_path / "so.xlsx"
    layout, extra = _write_book(path)
    solved = _solve(path)
    results = {r.register.sheet: r for r in compute_book(open_book(path), None)}
    assert set(results) == set(layout)
    checked = 0
    for sheet, (register, cols, first, last) in layout.items():
        key = sheet.upper()
        for field in FUNCS:
            letter = column_letter(cols[field])
            got = solved[(key, f"{letter}{first}:{letter}{last}")].ravel().tolist()
            expected = _expected(results[sheet], field)
            assert len(got) == len(expected)
            for i, (g, e) in enumerate(zip(got, expected)):
                assert _same(g, e, field), (sheet, field, first + i, g, e)
            checked += len(got)
    assert checked == 5 * (20 + 8)
    # single-cell forms
    nq55 = results["Trẻ em NQ55"]
    for i, r in enumerate((4, 9, 12)):
        for k, field in enumerate(FUNCS):
            got = solved[("TRẺ EM NQ55", f"{column_letter(extra + k)}{r}")].ravel().tolist()[0]
            assert _same(got, _expected(nq55, field)[r - 4], field), (r, field)
    # the sample really exercises what matters
    benefits = _expected(nq55, "benefit") + _expected(results["Hộ nghèo NQ04"], "benefit")
    assert any(isinstance(b, int) and b > 0 for b in benefits)
    assert "Lỗi: ngày sinh không hợp lệ (cần dd/mm/yyyy)" in solved[
        ("TRẺ EM NQ55", f"{column_letter(_columns(NQ55)['benefit'])}4:{column_letter(_columns(NQ55)['benefit'])}23")
    ].ravel().tolist()
    assert 650_000 in benefits or any(str(b).startswith("Chưa có mức") for b in benefits)
    assert 2_100_000 in benefits                           # the Tham số override of the urban line


def test_parameter_lookup_formulas(tmp_path, functions):
    path = tmp_path / "so.xlsx"
    _write_book(path)
    solved = _solve(path)
    assert solved[("THAM SỐ", "D1")].ravel().tolist() == [2_100_000]   # Phường → urban, override
    assert solved[("THAM SỐ", "D2")].ravel().tolist() == [1_500_000]
    assert solved[("THAM SỐ", "D3")].ravel().tolist() == [113_850]
    assert solved[("THAM SỐ", "D4")].ravel().tolist() == [2_340_000]
