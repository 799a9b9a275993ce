"""workbook/Template.xlsm built from source (issue 4): reproducible bytes, VBA and ribbon, package
parts, sheets and their contracts, live formulas evaluated by a formula engine, LibreOffice."""
from __future__ import annotations

import datetime as dt
import json
import re
import subprocess
import sys
import time
import xml.etree.ElementTree as ET
import zipfile
from pathlib import Path

import numpy as np
import openpyxl
import pytest
from oletools.olevba import VBA_Parser

from xl_support.book import package as P
from xl_support.book import template_layout as L
from xl_support.build import template as T
from xl_support.book.workbook import SETTINGS_SHEET, open_book, read_settings
from xl_support.operations.compute import compute_book
from xl_support.build.demo_book import write_demo_workbook
from xl_support.build.guide import interpretation_items, read_interpretations
from xl_support.engine.parameters import DEFAULT as DEFAULT_PARAMETERS
from xl_support.engine.policy import DEFAULT as DEFAULT_GROUPS
from xl_support.book.register import FIELDS, NQ04, NQ55, column_letter, read_register
from xl_support.book.values import to_excel_serial
from xl_support.build.vba.project import read_vba_project, xlwings_bas

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
CUI = "{http://schemas.microsoft.com/office/2006/01/customui}"
MAIN = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
CALLBACK = re.compile(r"^Sub (\w+)\(control As IRibbonControl\)\s*$", re.MULTILINE)


def norm(text: str) -> str:
    return text.replace("\r\n", "\n").rstrip("\n")


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("template") / "Template.xlsm"
    return T.build_template(path)


@pytest.fixture(scope="module")
def parts(built) -> dict[str, bytes]:
    return P.read_parts(built.read_bytes())


@pytest.fixture(scope="module")
def wb(built):
    return openpyxl.load_workbook(built, keep_vba=True)


# --------------------------------------------------------------------------- build

def test_two_builds_give_the_same_bytes_within_five_seconds(built):
    started = time.perf_counter()
    again = T.build_template_bytes()
    assert time.perf_counter() - started <= 5.0
    assert again == built.read_bytes()
    with zipfile.ZipFile(built) as zf:
        assert {i.date_time for i in zf.infolist()} == {P.ZIP_DATE}
        assert zf.namelist()[:2] == ["[Content_Types].xml", "_rels/.rels"]
    core = P.read_parts(again)["docProps/core.xml"].decode()
    assert core.count("2026-01-01T00:00:00Z") == 2


def test_committed_template_is_a_fresh_build(built):
    committed = T.DEFAULT_OUT
    assert committed.exists(), "run: python -m xl_support build-template"
    assert committed.read_bytes() == built.read_bytes(), "stale: run python -m xl_support build-template"


def test_committed_udf_wrapper_matches_a_fresh_generation():
    sys.path.insert(0, str(ROOT / "workbook"))
    try:
        import gen_udf_wrapper
    finally:
        sys.path.remove(str(ROOT / "workbook"))
    committed = T.read_source("xlwings_udfs.bas")
    assert committed == gen_udf_wrapper.generate()
    assert 'XLPy.CallUDF("udfs", "HP_BENEFIT"' in committed


# --------------------------------------------------------------------------- VBA + ribbon

def test_olevba_reads_back_every_module_exactly(built):
    got = {Path(stream).name: code for _, stream, _, code in VBA_Parser(str(built)).extract_macros()}
    assert set(got) == {"ThisWorkbook", *(f"Sheet{i}" for i in range(1, 9)), "xlwings", "Ribbon",
                        "xlwings_udfs", "Dictionary"}
    assert norm(got["Ribbon"]) == norm(T.read_source("Ribbon.bas"))
    assert norm(got["xlwings_udfs"]) == norm(T.read_source("xlwings_udfs.bas"))
    assert norm(got["xlwings"]) == norm(xlwings_bas())


def test_every_ribbon_action_names_a_ribbon_callback(parts):
    root = ET.fromstring(parts["customUI/customUI.xml"])
    assert root.tag == CUI + "customUI"
    tab = root.find(f"{CUI}ribbon/{CUI}tabs/{CUI}tab")
    assert tab.get("label") == "Hỗ trợ NQ"
    actions = {e.get("label"): e.get("onAction") for e in root.iter() if e.get("onAction")}
    assert set(actions) == {"Kiểm tra dữ liệu", "Tính lại", "Tổng hợp", "Báo cáo thành phố",
                            "Danh sách BHYT (mẫu D03-TS)", "Danh sách chi trả", "Danh sách công khai",
                            "Dự toán kinh phí", "Nạp lại hàm", "Hướng dẫn", "Chốt tháng", "Truy lĩnh, truy thu",
                            "Thay đổi tháng tới"}
    menu = tab.find(f".//{CUI}menu")
    assert menu.get("label") == "Xuất báo cáo" and len(menu) == 7
    assert all(e.get("imageMso") for e in root.iter() if e.tag in (CUI + "button", CUI + "menu"))
    vba = read_vba_project(parts["xl/vbaProject.bin"])
    source = vba.module("Ribbon").source
    callbacks = set(CALLBACK.findall(source))
    assert set(actions.values()) == callbacks
    # Each Python-backed button runs its macro of the `macros` package (names are final).
    expected = {"OnValidate": "validate", "OnCompute": "compute", "OnSummary": "summary",
                "OnExportCityReport": "export_city_report", "OnExportInsuranceList": "export_insurance_list",
                "OnExportPaymentList": "export_payment_list", "OnExportPublicList": "export_public_list",
                "OnExportBudget": "export_budget", "OnReloadFunctions": "reload_functions",
                "OnCloseMonth": "close_month", "OnExportArrears": "export_arrears",
                "OnExportComingChanges": "export_coming_changes"}
    for sub, macro in expected.items():
        body = source.split(f"Sub {sub}(control As IRibbonControl)")[1].split("End Sub")[0]
        assert f'RunPython "import macros; macros.{macro}()"' in body
    assert "Sheet1.Activate" in source.split("Sub OnShowGuide")[1]


def test_content_types_relationships_and_code_names(parts):
    types = parts["[Content_Types].xml"].decode()
    assert 'PartName="/xl/workbook.xml" ContentType="application/vnd.ms-excel.sheet.macroEnabled.main+xml"' in types
    assert re.search(r'(Extension="bin"|PartName="/xl/vbaProject.bin") ContentType="application/vnd.ms-office.vbaProject"',
                     types)
    assert f'PartName="/xl/metadata.xml" ContentType="{P.METADATA_CT}"' in types
    root_rels = parts["_rels/.rels"].decode()
    assert ('Type="http://schemas.microsoft.com/office/2006/relationships/ui/extensibility"' in root_rels
            and 'Target="customUI/customUI.xml"' in root_rels)
    wb_rels = parts["xl/_rels/workbook.xml.rels"].decode()
    assert "vbaProject.bin" in wb_rels and P.METADATA_REL in wb_rels
    ids = re.findall(r'Id="(rId\d+)"', wb_rels)
    assert len(ids) == len(set(ids))
    workbook = ET.fromstring(parts["xl/workbook.xml"])
    assert workbook.find(f"{MAIN}workbookPr").get("codeName") == "ThisWorkbook"
    sheets = [s.get("name") for s in workbook.find(f"{MAIN}sheets")]
    assert tuple(sheets) == T.SHEET_ORDER
    vba = read_vba_project(parts["xl/vbaProject.bin"])
    documents = [m.name for m in vba.modules if m.kind == "document"]
    assert documents == ["ThisWorkbook", *(f"Sheet{i}" for i in range(1, 9))]
    for i, name in enumerate(T.SHEET_ORDER, 1):
        sheet = ET.fromstring(parts[f"xl/worksheets/sheet{i}.xml"])
        assert sheet.find(f"{MAIN}sheetPr").get("codeName") == T.CODE_NAMES[name] == f"Sheet{i}"


# --------------------------------------------------------------------------- sheets

def test_register_sheets_follow_the_contract(wb):
    for reg in T.REGISTERS:
        ws = wb[reg.title]
        grid = [list(r) for r in ws.iter_rows(values_only=True)]
        found = read_register(reg.title, grid)
        assert found is not None and found.kind == reg.kind and found.header_row == T.HEADER_ROW
        expected = {f.name: i for i, f in enumerate(reg.fields, 1)}
        assert found.columns == expected
        assert [f.name for f in found.missing_columns()] == []
        table = ws.tables[reg.table]
        assert table.ref == f"A5:{chr(64 + len(reg.inputs))}6"
        assert [c.name for c in table.tableColumns] == [f.header for f in reg.inputs]
        assert ws.freeze_panes == "C6" and ws.print_title_rows == "$5:$5"
        assert ws.page_setup.orientation == "landscape" and str(ws.page_setup.paperSize) == ws.PAPERSIZE_A4
        assert ws.sheet_properties.pageSetUpPr.fitToPage and ws.page_setup.fitToHeight == 0
        formats = {f.name: ws.cell(6, i).number_format for i, f in enumerate(reg.fields, 1)}
        assert formats["birth"] == formats["decision"] == formats["end_date"] == "dd/mm/yyyy"
        assert formats["allowance"] == formats["benefit"] == "#,##0" and formats["id"] == "@"
        columns = {f.name: ws.column_dimensions[chr(64 + i)].number_format for i, f in enumerate(reg.fields, 1)}
        assert columns["benefit"] == columns["allowance"] == "#,##0" and columns["id"] == "@"
        assert columns["end_date"] == columns["birth"] == "dd/mm/yyyy" and columns["name"] == "General"
        lists = {str(dv.sqref): dv.formula1 for dv in ws.data_validations.dataValidation}
        col = {f.name: chr(64 + reg.col(f.name)) for f in reg.inputs}
        assert lists[f"{col['group']}6:{col['group']}5005"] == T.GROUP_LISTS[reg.kind]
        assert lists[f"{col['area']}6:{col['area']}5005"] == "DsKhuVuc"
        if reg.kind == NQ04:
            assert lists[f"{col['household_type']}6:{col['household_type']}5005"] == "DsLoaiHo"


def test_drop_down_lists(wb):
    names = wb.defined_names
    lists = wb[T.LISTS_SHEET]
    assert lists.sheet_state == "hidden"

    def values(name):
        ref = names[name].attr_text.split("!")[1].replace("$", "")
        return [c.value for row in lists[ref] for c in row]

    assert values("DsMaNQ55") == [g.display for g in DEFAULT_GROUPS.for_register(NQ55)]
    assert values("DsMaNQ55")[1].startswith("CN – ")
    assert len(values("DsMaNQ04")) == 8
    units = values("DsDonVi")
    assert len(units) == 114 and "Phường Đồ Sơn" in units and "Đặc khu Bạch Long Vĩ" in units


def test_data_validation_texts_fit_excel_limits(wb):
    """Excel refuses a file whose validation title is over 32 characters (prompt/error: 255)."""
    seen = 0
    for ws in wb.worksheets:
        for dv in ws.data_validations.dataValidation:
            seen += 1
            assert len(dv.errorTitle or "") <= 32 and len(dv.promptTitle or "") <= 32, (ws.title, dv.errorTitle)
            assert len(dv.error or "") <= 255 and len(dv.prompt or "") <= 255
    assert seen >= 10


def test_print_setup_covers_the_rows_a_ward_types(wb):
    """No print area that would stop at the header (registers) or at the shipped rows (`Tham số`):
    the rows typed in are printed, with the header rows repeated on every page (issue 13); a
    register's print area is its columns, whole (the `Căn cứ` texts overflowing right of them are
    not printed: LibreOffice would shrink the page to fit them)."""
    for reg in L.REGISTERS:
        ws = wb[reg.title]
        last = column_letter(len(reg.fields))
        assert ws.print_area == f"'{reg.title}'!$A$1:${last}$1048576"
        assert ws.print_title_rows == f"${L.HEADER_ROW}:${L.HEADER_ROW}"
    ws = wb[SETTINGS_SHEET]
    assert not ws.print_area and ws.print_title_rows == "$4:$4"


def test_settings_sheet_reads_back_the_shipped_parameters(wb):
    ws = wb[SETTINGS_SHEET]
    grid = [list(r) for r in ws.iter_rows(values_only=True)]
    s = read_settings(grid)
    assert s.issues == [] and s.overrides == []
    assert s.params.periods == DEFAULT_PARAMETERS.periods
    assert s.groups.groups == DEFAULT_GROUPS.groups
    labels = [row[0] for row in grid if row and isinstance(row[0], str)]
    for p in DEFAULT_PARAMETERS.periods:
        if p.key != "policy_window":
            row = next(r for r in grid if r[0] == p.override_label)
            assert row[1] == p.value and row[3] == p.legal_ref
    unconfirmed = [g for g in DEFAULT_GROUPS.for_register(NQ04) if g.amount_rule == "unconfirmed"]
    assert all(f"Mức hỗ trợ {g.code} (đồng/tháng)" in labels for g in unconfirmed)
    assert "BHYT HN-BTXH" in labels
    names = {n: wb.defined_names[n].attr_text for n in (T.NAME_MONTH, T.NAME_PARAMS, T.NAME_UNIT)}
    assert names == {"ThangBaoCao": "'Tham số'!$B$7", "BangThamSo": "'Tham số'!$A$4:$D$120",
                     "DonVi": "'Tham số'!$B$5"}
    assert [ws["A5"].value, ws["A6"].value, ws["A7"].value] == ["Đơn vị", "Loại đơn vị", "Tháng báo cáo"]


def test_changing_a_settings_value_overrides_it(wb):
    grid = [list(r) for r in wb[SETTINGS_SHEET].iter_rows(values_only=True)]
    for row in grid:
        if row[0] == "Chuẩn nghèo nông thôn từ 01/01/2027":
            row[1] = 2_300_000
        elif row[0] == "Mức hỗ trợ HN-TE (đồng/tháng)":
            row[1] = "500.000"
        elif row[0] == "BHYT HN-TE":
            row[1] = "Có"
        elif row[0] == "Đơn vị":
            row[1] = "Phường Kiến An"
        elif row[0] == "Tháng báo cáo":
            row[1] = dt.datetime(2027, 3, 1)
    s = read_settings(grid)
    assert s.issues == []
    assert s.params.value("poverty_line", dt.date(2027, 3, 1), "rural") == 2_300_000
    assert s.params.value("poverty_line", dt.date(2026, 3, 1), "rural") == 1_500_000
    assert s.groups.get("HN-TE").fixed_amount == 500_000 and s.groups.get("HN-TE").insurance == "yes"
    assert s.unit.full_name == "Phường Kiến An" and s.report_month == dt.date(2027, 3, 1)


def test_xlwings_conf_sheet(wb):
    ws = wb["xlwings.conf"]
    assert ws.sheet_state == "hidden"
    keys = [c.value for c in ws["A"]]
    assert None not in keys and keys[0] == "Interpreter_Win"
    conf = {r[0]: r[1] for r in ws.iter_rows(values_only=True)}
    # The venv that the bundle's cai-dat.cmd makes; xlwings expands %LOCALAPPDATA% (GetConfig).
    assert conf["Interpreter_Win"] == L.INTERPRETER_WIN == r"%LOCALAPPDATA%\HoTroNQ\venv\Scripts\pythonw.exe"
    assert conf["UDF Modules"] == "udfs" and conf["Use UDF Server"] is False


def test_guide_shows_each_interpretation_and_column(wb):
    ws = wb[T.GUIDE_SHEET]
    text = "\n".join(str(c.value) for row in ws.iter_rows() for c in row if c.value)
    items = read_interpretations()
    assert len(items) >= 10
    for _, item in items:
        assert item in text
    assert "**" not in text and "`" not in text
    assert "Ví dụ: lương cơ sở tháng 7/2026 là 2.530.000 đồng." in text  # continuation lines joined
    assert "A month is its first day" not in text and "(KH mục II.2.)" in text
    for f in FIELDS:
        assert f.header in text
    for label in ("Kiểm tra dữ liệu", "Tính lại", "Xuất báo cáo", "Nạp lại hàm", "Trusted Locations", "0.37.8"):
        assert label in text
    assert wb.active.title == T.GUIDE_SHEET


def test_interpretation_items_join_lines_and_drop_developer_notes():
    text = ("# Title\n\nEnglish intro.\n\n1. **Một** dòng\n   tiếp theo. *(English note.)*\n"
            "10. `Hai` *Tính lại* *(KH mục II.2.)*\n    nối.\n\nAfter.\n")
    assert interpretation_items(text) == [("1", "Một dòng tiếp theo."),
                                          ("10", "Hai Tính lại (KH mục II.2.) nối.")]


# --------------------------------------------------------------------------- formulas

def test_computed_columns_hold_one_dynamic_array_formula(parts, wb):
    for i, reg in enumerate(T.REGISTERS, 2):
        xml = parts[f"xl/worksheets/sheet{i}.xml"].decode()
        ws = wb[reg.title]
        for f in reg.fields[len(reg.inputs):]:
            ref = f"{chr(64 + reg.col(f.name))}6"
            assert re.search(rf'<c r="{ref}"[^>]* cm="1"><f t="array" ref="{ref}">{L.FUNCTIONS[f.name]}\(', xml)
            assert ws[ref].value.text == T.column_formula(reg, f.name)
            assert ws.cell(7, reg.col(f.name)).value is None
        assert xml.count('cm="1"') == 5
    assert b"XLDAPR" in parts[P.METADATA_PART] and b'fDynamic="1"' in parts[P.METADATA_PART]


def test_mark_dynamic_arrays_restores_what_openpyxl_drops(built, tmp_path):
    wb = openpyxl.load_workbook(built, keep_vba=True)
    plain = tmp_path / "plain.xlsm"
    wb.save(plain)
    lost = P.read_parts(plain.read_bytes())
    assert P.METADATA_PART not in lost and b'cm="1"' not in lost["xl/worksheets/sheet2.xml"]
    assert P.mark_dynamic_arrays(lost) == 10
    assert P.mark_dynamic_arrays(lost) == 0  # idempotent
    fresh = P.read_parts(built.read_bytes())
    for name in ("xl/worksheets/sheet2.xml", "xl/worksheets/sheet3.xml", P.METADATA_PART):
        assert lost[name].count(b'cm="1"') == fresh[name].count(b'cm="1"')
    assert lost["[Content_Types].xml"].count(b"sheetMetadata") == 1


_STRUCTURED = re.compile(r"(T_NQ\d\d)\[\[((?:[^\]']|'.)*)\]\]")


def resolve(formula: str, ws, table) -> str:
    """Structured references → the A1 ranges they denote (the formula engine knows no Tables).
    Fails if a referenced column is not a column of the Table."""
    first, last = table.ref.split(":")
    top, bottom = int(re.sub(r"\D", "", first)), int(re.sub(r"\D", "", last))
    headers = {ws.cell(top, c).value: c for c in range(1, len(table.tableColumns) + 1)}

    def repl(m):
        assert m.group(1) == table.displayName
        letter = chr(64 + headers[re.sub(r"'(.)", r"\1", m.group(2))])
        return f"{letter}{top + 1}:{letter}{bottom}"

    return _STRUCTURED.sub(repl, formula)


def _cell_values(ws, ref: str) -> np.ndarray:
    block = ws[ref]
    rows = [[_excel(c.value) for c in row] for row in block] if ":" in ref else [[_excel(block.value)]]
    return np.array(rows, dtype=object)


def _excel(value):
    """A cell as the formula engine holds it: dates as serial numbers."""
    if isinstance(value, dt.datetime):
        value = value.date()
    if isinstance(value, dt.date):
        return float(to_excel_serial(value))
    return value


def _register_functions():
    """Our worksheet functions under their Excel names, called with the engine's arrays.
    The engine passes an omitted argument as 0: that is ngay_sinh_me of the NQ 04 formulas."""
    import formulas
    import udfs

    def wrap(func):
        def call(*args):
            args = [None if (isinstance(a, int) and a == 0) else a.tolist() if isinstance(a, np.ndarray) else a
                    for a in args]
            return np.array(func(*args), dtype=object)
        return call

    table = formulas.get_functions()
    for name in L.FUNCTIONS.values():
        table[name] = wrap(getattr(udfs, name))


@pytest.fixture(scope="module")
def demo(built, tmp_path_factory):
    path = tmp_path_factory.mktemp("demo") / "demo.xlsm"
    return write_demo_workbook(path, unit="Phường Đồ Sơn", month=dt.date(2026, 11, 1),
                               n55=60, n04=30, seed=7, template=built)


def test_register_formulas_evaluated_by_a_formula_engine_match_compute(demo):
    import formulas

    _register_functions()
    wb = openpyxl.load_workbook(demo)
    results = {r.register.sheet: r for r in compute_book(open_book(demo))}
    params = wb[SETTINGS_SHEET]
    named = {T.NAME_MONTH.upper(): _cell_values(params, "B7"),
             T.NAME_PARAMS.upper(): _cell_values(params, "A4:D120")}
    compared = 0
    for reg in T.REGISTERS:
        ws = wb[reg.title]
        table = ws.tables[reg.table]
        expected = results[reg.title]
        cells = expected.cells()
        for f in reg.fields[len(reg.inputs):]:
            formula = ws.cell(6, reg.col(f.name)).value.text
            plain_formula = resolve(formula, ws, table)
            assert "T_NQ" not in plain_formula
            func = formulas.Parser().ast(plain_formula)[1].compile()
            inputs = [named[k] if k in named else _cell_values(ws, k) for k in func.inputs]
            got = [row[0] for row in np.asarray(func(*inputs)).tolist()]
            assert len(got) == len(expected.register.table)
            for i, (value, want) in enumerate(zip(got, cells[f.name])):
                if expected.kept_at[i] is not None:
                    continue  # R11 is applied by compute only (docs/interpretation.md point 15)
                if isinstance(value, dt.datetime):
                    value = value.date()
                if f.name == "end_date" and isinstance(value, float):
                    value = (dt.date(1899, 12, 30) + dt.timedelta(days=value))
                if want is None and isinstance(cells["benefit"][i], str):
                    # A row that cannot be computed: compute leaves the other columns empty, the
                    # functions repeat the reason in each column (udfs contract).
                    assert value in ("", None, cells["benefit"][i]), (reg.title, f.name, i + 6, value)
                    continue
                assert value == want, (reg.title, f.name, i + 6, value, want)
                compared += 1
    assert compared >= 300  # 90 rows × 5 columns, less R11 rows and the columns of error rows


def test_demo_workbook(demo):
    book = open_book(demo)
    assert [(r.sheet, len(r.table), r.header_row) for r in book.registers] == [
        ("Trẻ em NQ55", 60, 5), ("Hộ nghèo NQ04", 30, 5)]
    assert book.settings.unit.full_name == "Phường Đồ Sơn"
    assert book.settings.report_month == dt.date(2026, 11, 1)
    wb = openpyxl.load_workbook(demo, keep_vba=True)
    assert wb["Trẻ em NQ55"].tables["T_NQ55"].ref == "A5:Q65"      # 17 input columns
    with zipfile.ZipFile(demo) as zf:
        assert zf.read("xl/worksheets/sheet2.xml").count(b'cm="1"') == 5
        assert "customUI/customUI.xml" in zf.namelist() and "xl/vbaProject.bin" in zf.namelist()
    with pytest.raises(ValueError):
        write_demo_workbook(demo, template=demo)


# --------------------------------------------------------------------------- LibreOffice

def test_libreoffice_imports_every_vba_module(built):
    run = subprocess.run(["/usr/bin/python3", str(ROOT / "tests" / "harness" / "uno_probe.py"), str(built)],
                         capture_output=True, text=True, timeout=180)
    assert run.returncode == 0, run.stderr
    seen = json.loads(run.stdout)
    assert seen["sheets"] == list(T.SHEET_ORDER)
    assert seen["code_names"] == T.CODE_NAMES
    assert set(seen["vba_modules"]) == {"ThisWorkbook", *(f"Sheet{i}" for i in range(1, 9)), "xlwings",
                                        "Ribbon", "xlwings_udfs", "Dictionary"}
    assert "Sub OnCompute(control As IRibbonControl)" in seen["vba_modules"]["Ribbon"]


def test_libreoffice_renders_every_visible_sheet(built, tmp_path):
    from tests.harness.render import pdf_text, pdf_to_pngs, render_pdf

    pdf = render_pdf(built, tmp_path)
    text = pdf_text(pdf)
    pages = text.split("\f")
    titles = ["HƯỚNG DẪN SỬ DỤNG", "DANH SÁCH TRẺ EM", "DANH SÁCH THÀNH VIÊN HỘ NGHÈO", "THAM SỐ TÍNH HỖ TRỢ",
              "TỔNG HỢP ĐỐI TƯỢNG", "KẾT QUẢ KIỂM TRA"]
    for title in titles:
        assert any(title in page for page in pages), title
    # Hidden sheets (xlwings.conf, Danh mục) are not printed.
    assert "ADD_WORKBOOK_TO_PYTHONPATH" not in text and "CN-BTXH – " not in text
    assert len(pdf_to_pngs(pdf, tmp_path / "png")) == len([p for p in pages if p.strip()])
    # `Tham số`'s look-ups carry cached values (issue 13): LibreOffice shows them, not #VALUE!/#NAME?.
    # (LibreOffice 7.4 recalculates array formulas on load whatever their cached value, so the
    # registers' empty first row still shows the VBA wrapper failing without Python.)
    settings = next(p for p in pages if "THAM SỐ TÍNH HỖ TRỢ" in p)
    assert not any(e in settings for e in ("#VALUE!", "#NAME?", "Err:")), settings
    for label, value in (("Chuẩn nghèo thành thị (đồng/tháng)", "2,000,000"), ("Lương cơ sở (đồng/tháng)", "2,340,000"),
                         ("Tiền đóng BHYT một người (đồng/tháng)", "105,300")):
        assert re.search(re.escape(label) + r"\s+" + value, settings), label
