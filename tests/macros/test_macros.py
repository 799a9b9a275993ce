"""The ribbon macros on real xlwings Book objects (remote engine, tests/harness/remote.py): the
same results as the CLI on the same file, no input cell changed, few calls to Excel."""
from __future__ import annotations

import datetime as dt

import openpyxl

from tests.harness import remote  # sets the licence key before xlwings is imported
import xlwings as xw  # noqa: E402

import macros  # noqa: E402
from macros.xlwings_port import XlwingsPort  # noqa: E402
from tests.operations.test_validation import (S55, check_rows, clean_book, fault_book, link_target,  # noqa: E402
                                   values)
from xl_support.__main__ import main  # noqa: E402
from xl_support.operations.summary import SUMMARY_SHEET, summary  # noqa: E402
from xl_support.operations.validation import CHECK_SHEET, FILLS  # noqa: E402


def fills(wb):
    return {(ws.title, c.coordinate): c.fill.fgColor.rgb[-6:] for ws in wb.worksheets if ws.title != CHECK_SHEET
            for row in ws.iter_rows() for c in row if c.fill.fill_type == "solid"}


def test_validate_macro_matches_cli_and_changes_no_input(tmp_path):
    fault_book(tmp_path / "f.xlsx")
    run = remote.run_macro(tmp_path / "f.xlsx", macros.validate)
    assert not run.return_value.ok
    main(["validate", str(tmp_path / "f.xlsx"), "-o", str(tmp_path / "cli.xlsx")])
    cli = openpyxl.load_workbook(tmp_path / "cli.xlsx")
    before = openpyxl.load_workbook(tmp_path / "f.xlsx")
    wb = run.workbook
    assert wb.sheetnames == cli.sheetnames
    assert values(wb) == values(before)                     # no input cell changed
    assert check_rows(wb[CHECK_SHEET]) == check_rows(cli[CHECK_SHEET])
    assert fills(wb) == fills(cli)
    ws = wb[CHECK_SHEET]
    for r in range(9, ws.max_row + 1):
        if ws.cell(r, 5).value:
            assert link_target(ws.cell(r, 3)) == f"'{ws.cell(r, 2).value}'!{ws.cell(r, 5).value}{ws.cell(r, 4).value}"
    assert wb.active.title == CHECK_SHEET
    # one read, one write per block, one call per run of marked cells: far fewer than cells
    assert run.counts["setValues"] <= 12
    assert run.n_actions < 120
    assert not run.alerts


def test_validate_macro_rerun_clears_marks(tmp_path):
    fault_book(tmp_path / "f.xlsx")
    first = remote.run_macro(tmp_path / "f.xlsx", macros.validate)
    first.workbook[S55]["C4"].value = dt.datetime(2020, 2, 28)
    first.save(tmp_path / "1.xlsx")
    second = remote.run_macro(tmp_path / "1.xlsx", macros.validate)
    wb = second.workbook
    assert wb[S55]["C4"].fill.fill_type is None
    assert wb[S55]["B5"].fill.fgColor.rgb[-6:] == FILLS["error"]
    assert wb.sheetnames.count(CHECK_SHEET) == 1
    assert len(check_rows(wb[CHECK_SHEET])) == len(check_rows(first.workbook[CHECK_SHEET])) - 1


def test_summary_macro_matches_cli(tmp_path):
    clean_book(tmp_path / "c.xlsx")
    run = remote.run_macro(tmp_path / "c.xlsx", macros.summary)
    main(["summary", str(tmp_path / "c.xlsx"), "-o", str(tmp_path / "cli.xlsx")])
    cli = openpyxl.load_workbook(tmp_path / "cli.xlsx")
    got = [r for r in run.workbook[SUMMARY_SHEET].iter_rows(min_row=2, values_only=True)]
    want = [r for r in cli[SUMMARY_SHEET].iter_rows(min_row=2, values_only=True)]
    strip = lambda rows: [tuple(v for v in r if not (isinstance(v, str) and "lập lúc" in v)) for r in rows]  # noqa: E731
    assert strip(got) == strip(want)
    assert run.return_value.year_need > 0
    assert "addChart" not in run.counts                      # the VBA client has no chart action
    assert values(run.workbook, skip=(SUMMARY_SHEET,)) == values(openpyxl.load_workbook(tmp_path / "c.xlsx"))
    assert len(cli[SUMMARY_SHEET]._charts) == 1


def test_summary_chart_on_office_js_client(tmp_path):
    clean_book(tmp_path / "c.xlsx")
    wb = openpyxl.load_workbook(tmp_path / "c.xlsx")
    book = xw.Book(json=remote.payload_from_workbook(wb, client="Office.js"))
    port = XlwingsPort(book)
    summary(port)
    actions = book.json()["actions"]
    chart = [a for a in actions if a["func"] == "addChart"]
    assert len(chart) == 1 and chart[0]["args"][2] == SUMMARY_SHEET
    assert "chart" not in port.skipped
    book.close()


def test_exports_and_guide_macros_report_in_status(tmp_path):
    clean_book(tmp_path / "c.xlsx")
    run = remote.run_macro(tmp_path / "c.xlsx", macros.show_guide)
    assert run.n_actions == 0
    run = remote.run_macro(tmp_path / "c.xlsx", macros.compute)
    assert run.workbook[S55].cell(3, 18).value == "Mức hỗ trợ (đồng/tháng)"    # after the 17 input columns
    assert isinstance(run.workbook[S55].cell(4, 18).value, (int, float, str))


def test_read_grid_pads_used_range_to_a1(tmp_path):
    wb = openpyxl.Workbook()
    wb.active["C5"] = "x"
    wb.active["D6"] = 2
    book = xw.Book(json=remote.payload_from_workbook(wb))
    grid = XlwingsPort(book).read_grid(wb.active.title)
    assert grid[4][2] == "x" and grid[5][3] == 2 and len(grid) == 6
    book.close()


def test_export_macros_write_next_to_the_book_and_never_replace(tmp_path, monkeypatch):
    from xl_support.operations.exports import KINDS
    monkeypatch.chdir(tmp_path)
    clean_book(tmp_path / "c.xlsx")
    for kind in KINDS:
        run = remote.run_macro(tmp_path / "c.xlsx", getattr(macros, "export_" + kind.replace("-", "_")))
        assert run.return_value is not None and run.return_value.path.exists()
    written = sorted(p.name for p in tmp_path.glob("*.xlsx") if p.name != "c.xlsx")
    assert len(written) == len(KINDS) and all(" - " in n for n in written)
    # the same export as the command line, for the same month
    out = tmp_path / "cli.xlsx"
    result = remote.run_macro(tmp_path / "c.xlsx", macros.export_payment_list).return_value
    assert result.path.name.endswith("(2).xlsx")                  # a second run never replaces the first
    assert main(["export", str(tmp_path / "c.xlsx"), "--kind", "payment-list", "--month",
                 f"{result.month:%Y-%m}", "-o", str(out)]) == 0
    cli_ws = openpyxl.load_workbook(out).active
    macro_ws = openpyxl.load_workbook(result.path).active
    assert [[c.value for c in r] for r in cli_ws.iter_rows()] == [[c.value for c in r] for r in macro_ws.iter_rows()]


def test_export_macro_refuses_a_book_with_errors(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    fault_book(tmp_path / "f.xlsx")
    run = remote.run_macro(tmp_path / "f.xlsx", macros.export_city_report)
    assert run.return_value is None
    assert run.alerts and "lỗi" in str(run.alerts[0]) and "Kiểm tra" in str(run.alerts[0])
    assert CHECK_SHEET in run.workbook.sheetnames            # the list of errors is offered
    assert not [p for p in tmp_path.glob("*.xlsx") if p.name != "f.xlsx"]


def test_compute_freezes_values_and_reload_restores_the_live_formulas(tmp_path):
    from xl_support.build.demo_book import write_demo_workbook
    from xl_support.book.template_layout import FIRST_ROW, REGISTERS, column_formula
    book = write_demo_workbook(tmp_path / "w.xlsm", unit="Phường Đồ Sơn", unit_type="Phường",
                               month=dt.date(2026, 11, 1), n55=8, n04=4, seed=3)
    spec = REGISTERS[0]
    col = spec.col("benefit")
    frozen = remote.run_macro(book, macros.compute)
    ws = frozen.workbook[spec.title]
    assert isinstance(ws.cell(FIRST_ROW, col).value, (int, float, str))     # a value, not a formula
    frozen.save(tmp_path / "frozen.xlsm")
    run = remote.run_macro(tmp_path / "frozen.xlsm", macros.reload_functions)
    assert run.return_value == 10                                        # 5 columns × 2 registers
    ws = run.workbook[spec.title]
    formula = ws.cell(FIRST_ROW, col).value
    assert column_formula(spec, "benefit") in (getattr(formula, "text", formula),)
    assert all(ws.cell(r, col).value is None for r in range(FIRST_ROW + 1, FIRST_ROW + 8))   # room to spill
    inputs_before = [[c.value for c in row] for row in frozen.workbook[spec.title].iter_rows(max_col=col - 1)]
    assert [[c.value for c in row] for row in ws.iter_rows(max_col=col - 1)] == inputs_before
