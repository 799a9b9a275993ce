"""`prepare BOOK -o OUT` (issue 15) on ward workbooks that did not come from the template (title
rows, the header on row 4 or 12, another column order, unknown columns, synonyms, no `Tham số`):
live columns appended right of each register, no input cell changed, idempotent, and the prepared
book's HP_ formulas evaluate (formula engine) to what `compute` writes."""
from __future__ import annotations

import datetime as dt
import re
import zipfile

import openpyxl
import pytest
from openpyxl.worksheet.formula import ArrayFormula

from tests.harness.foreign_books import CHILDREN, HOUSEHOLDS, Layout, values, write_foreign_book
from xl_support.__main__ import main
from xl_support.book.register import COMPUTED_FIELDS, column_letter
from xl_support.book.template_layout import CONF_SHEET
from xl_support.book.workbook import SETTINGS_SHEET, open_book, read_settings
from xl_support.operations import prepare as P
from xl_support.operations.compute import compute_book

MONTH = dt.date(2026, 11, 1)
LAYOUTS = {CHILDREN.sheet: CHILDREN, HOUSEHOLDS.sheet: HOUSEHOLDS}


def prepare(book, out, *extra) -> int:
    return main(["prepare", str(book), "-o", str(out), *map(str, extra)])


def right_edges(wb) -> dict[str, int]:
    return {name: len(layout.columns) for name, layout in LAYOUTS.items() if name in wb.sheetnames}


def formula_text(cell) -> str:
    return getattr(cell.value, "text", cell.value)


@pytest.fixture
def book(tmp_path):
    return write_foreign_book(tmp_path / "so-cua-xa.xlsx")


def test_prepare_appends_live_columns_and_changes_no_input(book, tmp_path, capsys):
    out = tmp_path / "da-chuan-bi.xlsx"
    assert prepare(book, out, "--unit", "Xã An Lão", "--month", "2026-11") == 0
    err = capsys.readouterr().err
    before, after = openpyxl.load_workbook(book), openpyxl.load_workbook(out)
    old, new = values(before), values(after)
    assert {k: new.get(k) for k in old} == old                          # no input cell changed or moved
    edges = right_edges(before)
    want = {r.register.sheet: r.cells() for r in compute_book(open_book(out), MONTH)}
    for (sheet, ref), _ in new.items():
        if (sheet, ref) not in old and sheet in edges:
            col = openpyxl.utils.cell.column_index_from_string(re.match(r"[A-Z]+", ref).group())
            assert col > edges[sheet] + 1, (sheet, ref)                 # right of the register, a column apart
    for sheet, layout in LAYOUTS.items():
        ws = after[sheet]
        first = layout.first_row
        for k, f in enumerate(COMPUTED_FIELDS, edges[sheet] + 2):
            assert ws.cell(layout.header_row, k).value == f.header
            cell = ws.cell(first, k)
            # a dynamic array spilled over the register's 12 rows, what it computes cached (issue 13.2)
            assert isinstance(cell.value, ArrayFormula)
            assert cell.value.ref == f"{cell.coordinate}:{column_letter(k)}{first + 11}"
            assert formula_text(cell).startswith(f"={P.a1_column_formula.__globals__['FUNCTIONS'][f.name]}(")
            assert f"'{SETTINGS_SHEET}'!$A$1:$D$120" in formula_text(cell)
            day = lambda v: v.date() if isinstance(v, dt.datetime) else v          # noqa: E731
            assert [day(ws.cell(r, k).value) for r in range(first + 1, first + 12)] == want[sheet][f.name][1:]
            assert all(ws.cell(r, k).value is None for r in range(first + 12, first + 20))   # room to spill
    ws = after[CHILDREN.sheet]
    # the arguments are the register's own columns: Mã ĐT in C, Ngày tháng năm sinh in E (row 5 to 5+12+ROOM)
    assert formula_text(ws["S5"]).startswith(f"=HP_BENEFIT($C$5:$C${4 + 12 + P.ROOM},$E$5:$E${4 + 12 + P.ROOM},")
    # an NQ 04 register without Khu vực: "" (the unit type's default area)
    # an NQ 04 register without Khu vực: "" (the unit type's default area); data below a row of
    # column numbers (1) (2)… start on row 14
    assert after[HOUSEHOLDS.sheet]["M13"].value is None
    assert formula_text(after[HOUSEHOLDS.sheet]["M14"]).startswith('=HP_BENEFIT($B$14:$B$525,$E$14:$E$525,"",')
    with zipfile.ZipFile(out) as zf:                                    # Excel 365 dynamic arrays
        assert sum(zf.read(n).count(b' cm="1"') for n in zf.namelist() if n.startswith("xl/worksheets/")) == 10
    settings = read_settings([list(r) for r in after[SETTINGS_SHEET].iter_rows(values_only=True)])
    assert settings.unit.full_name == "Xã An Lão" and settings.unit_type == "Xã" and settings.report_month == MONTH
    assert not settings.issues and not settings.overrides
    conf = after[CONF_SHEET]
    assert conf.sheet_state == "hidden"
    assert {r[0]: r[1] for r in conf.iter_rows(values_only=True)}["UDF Modules"] == "udfs"
    assert "«Số hộ khẩu» (ô F4)" in err and "«Điện thoại liên hệ» (ô N4)" in err
    assert "«Ho ngheo»: thiếu cột «Khu vực»" in err and "Thêm sheet «Tham số»" in err


def test_prepare_twice_changes_nothing(book, tmp_path, capsys):
    assert prepare(book, tmp_path / "1.xlsx") == 0
    assert prepare(tmp_path / "1.xlsx", tmp_path / "2.xlsx") == 0
    assert "không thay đổi gì" in capsys.readouterr().err
    one, two = openpyxl.load_workbook(tmp_path / "1.xlsx"), openpyxl.load_workbook(tmp_path / "2.xlsx")
    assert [(ws.title, ws.sheet_state) for ws in one] == [(ws.title, ws.sheet_state) for ws in two]
    text = lambda wb: {k: getattr(v, "text", v) for k, v in values(wb).items()}   # noqa: E731
    assert text(one) == text(two)


def test_unknown_headers_are_reported_with_the_names_that_would_match(tmp_path, capsys):
    renamed = {"Ngày tháng năm sinh": "Ngày sinh (dd/mm/yyyy)", "Ngày QĐ": "Ngày ký QĐ UBND"}
    layout = Layout(CHILDREN.sheet, CHILDREN.register, 4, tuple((renamed.get(h, h), f) for h, f in CHILDREN.columns),
                    CHILDREN.titles)
    book = write_foreign_book(tmp_path / "b.xlsx", layouts=(layout,))
    assert prepare(book, tmp_path / "o.xlsx") == 0
    err = capsys.readouterr().err
    assert "chưa nhận ra cột «Ngày sinh (dd/mm/yyyy)» (ô E4): có phải là «Ngày sinh» (nhận các tên: Ngày sinh, " \
           "Ngày tháng năm sinh)" in err
    assert "«Ngày ký QĐ UBND» (ô J4): có phải là «Ngày ký quyết định»" in err
    assert "thiếu cột «Ngày sinh»" in err and "chưa tính được khi thiếu cột này" in err


def test_a_book_without_a_register_is_refused_and_nothing_written(tmp_path, capsys):
    wb = openpyxl.Workbook()
    wb.active["A1"] = "Họ và tên"                        # no Mã đối tượng beside it: not a register
    wb.save(tmp_path / "x.xlsx")
    assert prepare(tmp_path / "x.xlsx", tmp_path / "o.xlsx") == 2
    assert "không có danh sách đối tượng" in capsys.readouterr().err
    assert not (tmp_path / "o.xlsx").exists()


def test_an_unknown_unit_is_refused_with_the_close_names(book, tmp_path, capsys):
    assert prepare(book, tmp_path / "o.xlsx", "--unit", "Phường Đồ Sớn") == 2
    err = capsys.readouterr().err
    assert "không có trong danh sách 114 đơn vị" in err and "Phường Đồ Sơn" in err
    assert not (tmp_path / "o.xlsx").exists()


def test_a_template_book_is_already_prepared(tmp_path, capsys):
    from xl_support.build.demo_book import write_demo_workbook
    demo = write_demo_workbook(tmp_path / "d.xlsm", n55=6, n04=3, seed=2)
    assert prepare(demo, tmp_path / "o.xlsm") == 0
    assert "Sổ đã sẵn sàng: không thay đổi gì." in capsys.readouterr().err


def test_compute_on_the_prepared_book_fills_the_prepared_columns(book, tmp_path):
    assert prepare(book, tmp_path / "p.xlsx", "--month", "2026-11") == 0
    assert main(["compute", str(tmp_path / "p.xlsx"), "-o", str(tmp_path / "c.xlsx")]) == 0
    wb = openpyxl.load_workbook(tmp_path / "c.xlsx")
    want = {r.register.sheet: r.cells() for r in compute_book(open_book(tmp_path / "p.xlsx"), MONTH)}
    for sheet, layout in LAYOUTS.items():
        ws = wb[sheet]
        edge = len(layout.columns)
        assert ws.max_column == edge + 6                                  # no column added twice
        got = [ws.cell(r, edge + 2).value for r in range(layout.first_row, layout.first_row + 12)]
        assert got == want[sheet]["benefit"]


# ------------------------------------------------------------------ formula engine

from tests.udfs.test_udfs_formulas import _expected, _same, _solve, functions  # noqa: E402,F401


def spilled(path_in, path_out):
    """What Excel 365 does with the dynamic-array anchors: each fills its column down to the rows its
    arguments cover. `formulas` has no spill, so the anchor becomes the equivalent array formula."""
    wb = openpyxl.load_workbook(path_in)
    for ws in wb.worksheets:
        anchors = [cell for row in ws.iter_rows() for cell in row
                   if isinstance(cell.value, ArrayFormula) and cell.value.text.startswith("=HP_")]
        for cell in anchors:
            last = int(re.search(r"\$[A-Z]+\$\d+:\$[A-Z]+\$(\d+)", cell.value.text).group(1))
            for r in range(cell.row + 1, last + 1):             # the cached values of the old spill go
                ws.cell(r, cell.column).value = None
            ref = f"{cell.coordinate}:{column_letter(cell.column)}{last}"
            ws[cell.coordinate] = ArrayFormula(ref, cell.value.text)
    wb.save(path_out)


def test_prepared_formulas_evaluate_to_what_compute_writes(tmp_path, functions, monkeypatch):  # noqa: F811
    monkeypatch.setattr(P, "ROOM", 8)                       # a short spill keeps the formula engine fast
    book = write_foreign_book(tmp_path / "b.xlsx", n=10)
    assert prepare(book, tmp_path / "p.xlsx", "--unit", "Phường Đồ Sơn", "--month", "2026-11") == 0
    spilled(tmp_path / "p.xlsx", tmp_path / "s.xlsx")
    solved = _solve(tmp_path / "s.xlsx")
    results = {r.register.sheet: r for r in compute_book(open_book(tmp_path / "p.xlsx"), MONTH)}
    checked = 0
    for sheet, layout in LAYOUTS.items():
        first, edge = layout.first_row, len(layout.columns)
        for k, f in enumerate(COMPUTED_FIELDS, edge + 2):
            letter = column_letter(k)
            got = solved[(sheet.upper(), f"{letter}{first}:{letter}{first + 10 - 1 + 8}")].ravel().tolist()
            expected = _expected(results[sheet], f.name)
            assert all(_same(g, e, f.name) for g, e in zip(got, expected)), (sheet, f.name, got, expected)
            assert got[len(expected):] == [""] * 8                    # rows below the register: blank
            checked += len(expected)
    assert checked == 5 * 20
    benefits = _expected(results[CHILDREN.sheet], "benefit")
    assert any(isinstance(b, int) and b > 0 for b in benefits)
    assert benefits[2] == 2_000_000            # Khu vực left blank: Phường → the urban line (Tham số)


def test_a_file_that_is_not_a_workbook_gets_a_message_not_a_traceback(tmp_path, capsys):
    (tmp_path / "so.xls").write_bytes(b"a,b\n1,2\n")
    assert prepare(tmp_path / "so.xls", tmp_path / "o.xlsx") == 2
    assert prepare(tmp_path / "khong-co.xlsx", tmp_path / "o.xlsx") == 2
    err = capsys.readouterr().err
    assert "Không mở được «" in err and "Traceback" not in err
    assert not (tmp_path / "o.xlsx").exists()


def test_the_report_fits_a_message_box():
    report = P.PrepareReport("so.xlsx", [P.RegisterPrep("S", "NQ55", 4, 10, unknown=[
        (f"{column_letter(c)}4", f"Cột lạ số {c}", []) for c in range(1, 60)])], SETTINGS_SHEET, True, True)
    full, short = report.text(), report.text(P.MESSAGE_BOX_LIMIT)
    assert len(full) > 2000 and len(short) <= P.MESSAGE_BOX_LIMIT
    assert short.splitlines()[:3] == full.splitlines()[:3] and "dòng nữa" in short.splitlines()[-1]
    assert "Thêm sheet «Tham số»" in short                   # what was done comes before the details
    assert report.text(P.MESSAGE_BOX_LIMIT * 10) == full
