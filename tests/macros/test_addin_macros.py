"""Every ribbon action of the add-in, through the add-in path, on ward workbooks that did not come
from the template (issue 15; xlwings' remote engine, tests/harness/remote.py).

The path: the built `workbook/HoTroNQ.xlam` → its `Ribbon` module → the `RunPython` command of
each button, run as xlwings' add-in module runs it: the calling book is the ACTIVE workbook (the
add-in flavour of the xlwings module passes `ActiveWorkbook`), here the ward's book set as the mock
caller. Each test asserts the action's owned output and that no input cell changed."""
from __future__ import annotations

import re

import openpyxl
import pytest

from tests.harness import remote  # sets the licence key before xlwings is imported
from tests.harness.foreign_books import CHILDREN, HOUSEHOLDS, values, write_foreign_book
from tests.operations.test_validation import check_rows
from xl_support.__main__ import main
from xl_support.book.package import read_parts
from xl_support.book.register import COMPUTED_FIELDS
from xl_support.book.template_layout import CONF_SHEET
from xl_support.book.workbook import SETTINGS_SHEET
from xl_support.build import addin as A
from xl_support.build.vba.project import read_vba_project
from xl_support.operations.exports import KINDS
from xl_support.operations.summary import SUMMARY_SHEET
from xl_support.operations.validation import CHECK_SHEET

LAYOUTS = (CHILDREN, HOUSEHOLDS)
OWNED = (CHECK_SHEET, SUMMARY_SHEET)


@pytest.fixture(scope="module")
def commands() -> dict[str, str]:
    """Ribbon Sub → the Python command its RunPython runs, read from the committed add-in."""
    source = read_vba_project(read_parts(A.DEFAULT_OUT.read_bytes())["xl/vbaProject.bin"]).module("Ribbon").source
    out = {}
    for sub, body in re.findall(r"Sub (\w+)\(control As IRibbonControl\)(.*?)End Sub", source, re.S):
        (command,) = re.findall(r'RunPython "([^"]+)"', body)
        out[sub] = command
    assert len(out) == 14
    return out


def press(path, commands, sub, **kw) -> remote.RunResult:
    """Press a button of the add-in with `path` as the active workbook."""
    return remote.run_macro(path, exec, commands[sub], {}, **kw)


def inputs(wb) -> dict:
    """Cells of the registers left of the computed columns, and of the other sheets the user owns."""
    edge = {layout.sheet: len(layout.columns) for layout in LAYOUTS}
    out = {}
    for (sheet, ref), value in values(wb, skip=OWNED + (SETTINGS_SHEET, CONF_SHEET)).items():
        col = openpyxl.utils.cell.column_index_from_string(re.match(r"[A-Z]+", ref).group())
        if col <= edge.get(sheet, 10**6):
            out[(sheet, ref)] = value
    return out


@pytest.fixture
def prepared(tmp_path, commands, monkeypatch):
    """A ward's own book after «Chuẩn bị sổ», with Đơn vị and Tháng báo cáo chosen on Tham số."""
    monkeypatch.chdir(tmp_path)
    book = write_foreign_book(tmp_path / "so-cua-xa.xlsx")
    run = press(book, commands, "OnPrepare")
    ws = run.workbook[SETTINGS_SHEET]
    ws["B5"], ws["B6"], ws["B7"] = "Xã An Lão", "Xã", "11/2026"
    return run.save(tmp_path / "da-chuan-bi.xlsx")


def test_prepare_button_adds_the_live_columns_and_matches_the_cli(tmp_path, commands):
    book = write_foreign_book(tmp_path / "so.xlsx")
    run = press(book, commands, "OnPrepare")
    wb = run.workbook
    assert inputs(wb) == inputs(openpyxl.load_workbook(book))              # no input cell changed
    assert main(["prepare", str(book), "-o", str(tmp_path / "cli.xlsx")]) == 0
    cli = openpyxl.load_workbook(tmp_path / "cli.xlsx")
    assert wb.sheetnames == cli.sheetnames
    for layout in LAYOUTS:
        first, edge = layout.first_row, len(layout.columns)
        for k, f in enumerate(COMPUTED_FIELDS, edge + 2):
            assert wb[layout.sheet].cell(layout.header_row, k).value == f.header
            formula = wb[layout.sheet].cell(first, k).value
            assert formula == cli[layout.sheet].cell(first, k).value.text and formula.startswith("=HP_")
    text = lambda ws: [[c for c in r] for r in ws.iter_rows(values_only=True)]  # noqa: E731
    assert text(wb[SETTINGS_SHEET]) == text(cli[SETTINGS_SHEET])
    assert wb[CONF_SHEET].sheet_state == "hidden"
    assert text(wb[CONF_SHEET]) == text(cli[CONF_SHEET])
    (alert,) = run.alerts
    assert alert["mode"] == "info" and "Thêm sheet «Tham số»" in alert["prompt"] and "«Số hộ khẩu»" in alert["prompt"]
    assert run.n_actions < 400


def test_prepare_button_twice_changes_nothing(prepared, commands):
    run = press(prepared, commands, "OnPrepare")
    assert [a["func"] for a in run.actions if a["func"] not in ("alert", "activateSheet")] == []
    assert "không thay đổi gì" in run.alerts[0]["prompt"]


def test_validate_button(prepared, commands, tmp_path):
    run = press(prepared, commands, "OnValidate")
    assert inputs(run.workbook) == inputs(openpyxl.load_workbook(prepared))
    main(["validate", str(prepared), "-o", str(tmp_path / "v.xlsx")])
    assert check_rows(run.workbook[CHECK_SHEET]) == check_rows(openpyxl.load_workbook(tmp_path / "v.xlsx")[CHECK_SHEET])
    assert run.workbook.active.title == CHECK_SHEET


def test_compute_button_writes_what_the_cli_writes_in_the_prepared_columns(prepared, commands, tmp_path):
    run = press(prepared, commands, "OnCompute")
    assert inputs(run.workbook) == inputs(openpyxl.load_workbook(prepared))
    assert main(["compute", str(prepared), "-o", str(tmp_path / "c.xlsx")]) == 0
    cli = openpyxl.load_workbook(tmp_path / "c.xlsx")
    for layout in LAYOUTS:
        ws, want = run.workbook[layout.sheet], cli[layout.sheet]
        edge, first = len(layout.columns), layout.first_row
        assert ws.max_column == edge + 6
        for c in range(edge + 2, edge + 7):
            got = [ws.cell(r, c).value for r in range(first, first + 12)]
            assert got == [want.cell(r, c).value for r in range(first, first + 12)], (layout.sheet, c)
    assert any(isinstance(v, int) and v > 0 for v in (run.workbook[CHILDREN.sheet].cell(r, 19).value
                                                      for r in range(5, 17)))


def test_reload_button_puts_the_formulas_back_after_compute(prepared, commands, tmp_path):
    frozen = press(prepared, commands, "OnCompute").save(tmp_path / "frozen.xlsx")
    run = press(frozen, commands, "OnReloadFunctions")
    before = openpyxl.load_workbook(prepared)
    for layout in LAYOUTS:
        first, edge = layout.first_row, len(layout.columns)
        for c in range(edge + 2, edge + 7):
            assert run.workbook[layout.sheet].cell(first, c).value == before[layout.sheet].cell(first, c).value
            assert all(run.workbook[layout.sheet].cell(r, c).value is None for r in range(first + 1, first + 12))
    assert inputs(run.workbook) == inputs(before)


def test_summary_button(prepared, commands, tmp_path):
    run = press(prepared, commands, "OnSummary")
    assert inputs(run.workbook) == inputs(openpyxl.load_workbook(prepared))
    main(["summary", str(prepared), "-o", str(tmp_path / "s.xlsx")])
    strip = lambda ws: [tuple(v for v in r if not (isinstance(v, str) and "lập lúc" in v))  # noqa: E731
                        for r in ws.iter_rows(min_row=2, values_only=True)]
    assert strip(run.workbook[SUMMARY_SHEET]) == strip(openpyxl.load_workbook(tmp_path / "s.xlsx")[SUMMARY_SHEET])


def test_export_buttons_write_new_files_next_to_the_book(prepared, commands, tmp_path):
    subs = {"city-report": "OnExportCityReport", "insurance-list": "OnExportInsuranceList",
            "payment-list": "OnExportPaymentList", "public-list": "OnExportPublicList", "budget": "OnExportBudget",
            "arrears": "OnExportArrears", "coming-changes": "OnExportComingChanges"}
    assert set(subs) == set(KINDS)
    for kind, sub in subs.items():
        run = press(prepared, commands, sub)
        assert not run.alerts, (kind, run.alerts)
        assert inputs(run.workbook) == inputs(openpyxl.load_workbook(prepared))
        assert list((tmp_path).glob(f"da-chuan-bi - {kind} - 11-2026.xlsx")), kind


def test_guide_button_explains_the_steps(prepared, commands):
    run = press(prepared, commands, "OnShowGuide")
    assert [a["func"] for a in run.actions] == ["alert"]
    assert "Chuẩn bị sổ" in run.alerts[0]["prompt"] and "Tính lại" in run.alerts[0]["prompt"]


def test_every_button_on_a_book_without_a_register_says_so_and_changes_nothing(tmp_path, commands, monkeypatch):
    monkeypatch.chdir(tmp_path)
    wb = openpyxl.Workbook()
    wb.active["A1"], wb.active["B3"] = "Sổ công văn đến", "Họ và tên"
    wb.save(tmp_path / "khac.xlsx")
    for sub in commands:
        if sub == "OnShowGuide":
            continue
        run = press(tmp_path / "khac.xlsx", commands, sub)
        assert [a["func"] for a in run.actions] == ["alert"], sub
        assert "không có danh sách đối tượng" in run.alerts[0]["prompt"] and "Không thay đổi gì" in run.alerts[0]["prompt"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["khac.xlsx"]
