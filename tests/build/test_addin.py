"""workbook/HoTroNQ.xlam built from source (issue 15): reproducible bytes, an Excel add-in package,
the VBA modules olevba finds, one Sub per ribbon action, its own hidden xlwings.conf, LibreOffice."""
from __future__ import annotations

import importlib
import io
import json
import re
import subprocess
import xml.etree.ElementTree as ET
import zipfile
from pathlib import Path

import openpyxl
import pytest
from oletools.olevba import VBA_Parser

from xl_support.book import package as P
from xl_support.book.template_layout import CONF_SHEET, INTERPRETER_WIN
from xl_support.build import addin as A
from xl_support.build import template as T
from xl_support.build.vba.project import read_vba_project, xlwings_addin_bas, xlwings_bas

ROOT = Path(__file__).resolve().parents[2]
CUI = "{http://schemas.microsoft.com/office/2006/01/customui}"
CALLBACK = re.compile(r"^Sub (\w+)\(control As IRibbonControl\)\s*$", re.MULTILINE)
RUN_PYTHON = re.compile(r'RunPython "import macros; macros\.(\w+)\(\)"')
LO_FILTER = "Calc MS Excel 2007 VBA XML"      # LibreOffice's type detection does not know .xlam


def norm(text: str) -> str:
    return text.replace("\r\n", "\n").rstrip("\n")


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> Path:
    return A.build_addin(tmp_path_factory.mktemp("addin") / A.ADDIN_NAME)


@pytest.fixture(scope="module")
def parts(built) -> dict[str, bytes]:
    return P.read_parts(built.read_bytes())


def actions(xml: bytes) -> dict[str, str]:
    return {e.get("label"): e.get("onAction") for e in ET.fromstring(xml).iter() if e.get("onAction")}


def test_two_builds_give_the_same_bytes_and_the_committed_add_in_is_fresh(built):
    assert A.build_addin_bytes() == built.read_bytes()
    assert A.DEFAULT_OUT.read_bytes() == built.read_bytes(), "stale: run python -m xl_support build-addin"
    with zipfile.ZipFile(built) as zf:
        assert {i.date_time for i in zf.infolist()} == {P.ZIP_DATE}


def test_an_excel_add_in_package_like_xlwings_own(parts):
    types = parts["[Content_Types].xml"].decode()
    assert f'PartName="/xl/workbook.xml" ContentType="{A.ADDIN_CONTENT_TYPE}"' in types
    assert T.XLSM_CONTENT_TYPE not in types
    rels = parts["_rels/.rels"].decode()
    assert 'relationships/ui/extensibility" Target="customUI/customUI.xml"' in rels
    assert "vbaProject.bin" in parts["xl/_rels/workbook.xml.rels"].decode()
    assert parts["customUI/customUI.xml"] == T.read_source(A.CUSTOM_UI_SOURCE).encode()
    core = parts["docProps/core.xml"].decode()
    assert A.TITLE in core                                  # shown in Excel's Add-ins dialog


def test_olevba_finds_every_module(built):
    got = {Path(stream).name: code for _, stream, _, code in VBA_Parser(str(built)).extract_macros()}
    assert set(got) == {"ThisWorkbook", "Sheet1", "Sheet2", "xlwings", "Ribbon", "xlwings_udfs", "Dictionary"}
    assert norm(got["Ribbon"]) == norm(T.read_source(A.RIBBON_SOURCE))
    assert norm(got["xlwings_udfs"]) == norm(T.read_source("xlwings_udfs.bas"))     # the template's wrapper
    assert norm(got["xlwings"]) == norm(xlwings_addin_bas())
    assert 'XLPy.CallUDF("udfs", "HP_BENEFIT"' in got["xlwings_udfs"]


def test_the_xlwings_module_is_the_add_in_flavour(parts):
    """xlwings' add-in module hands Python the ACTIVE workbook and reads the active workbook's
    xlwings.conf, then the add-in's own; the standalone module (the template's) uses ThisWorkbook."""
    source = read_vba_project(parts["xl/vbaProject.bin"]).module("xlwings").source
    assert '"BOOK_CALLER", ActiveWorkbook' in source and '"BOOK_CALLER", ThisWorkbook' in xlwings_bas()
    assert '" --wb=" & """" & ActiveWorkbook.Name' in source
    assert 'Public Const PROJECT_NAME As String = "xlwings"' in source           # sheet xlwings.conf
    assert "GetConfigFromSheet(ActiveWorkbook)" in source and "GetConfigFromSheet(ThisWorkbook)" in source
    assert "0.37.8" in source and "0.37.8" in xlwings_bas()                      # the pinned version
    project = read_vba_project(parts["xl/vbaProject.bin"]).project_text
    assert 'Name="HoTroNQ"' in project


def test_every_on_action_has_its_sub_and_runs_an_existing_macro(parts):
    xml = parts["customUI/customUI.xml"]
    root = ET.fromstring(xml)
    assert root.tag == CUI + "customUI"
    assert root.find(f"{CUI}ribbon/{CUI}tabs/{CUI}tab").get("label") == "Hỗ trợ NQ"
    got = actions(xml)
    template = actions(T.read_source("customUI.xml").encode())
    assert got == {"Chuẩn bị sổ": "OnPrepare", **template}                    # the template's buttons + prepare
    assert list(got)[0] == "Chuẩn bị sổ"
    source = read_vba_project(parts["xl/vbaProject.bin"]).module("Ribbon").source
    assert set(got.values()) == set(CALLBACK.findall(source))
    macros = importlib.import_module("macros")
    for sub in got.values():
        body = source.split(f"Sub {sub}(control As IRibbonControl)")[1].split("End Sub")[0]
        called = RUN_PYTHON.findall(body)
        assert len(called) == 1 and callable(getattr(macros, called[0])), sub
        assert "HasBook()" in body                              # no workbook open → a message, nothing run
    assert "ThisWorkbook" not in source and "Sheet1" not in source  # never acts on the add-in itself


def test_hidden_xlwings_conf_with_the_bundle_interpreter(parts):
    # openpyxl reads workbooks, not add-ins: give it the same parts as an .xlsm
    ct = parts["[Content_Types].xml"].replace(A.ADDIN_CONTENT_TYPE.encode(), T.XLSM_CONTENT_TYPE.encode())
    wb = openpyxl.load_workbook(io.BytesIO(P.write_parts({**parts, "[Content_Types].xml": ct})))
    assert wb.sheetnames == [A.ABOUT_SHEET, CONF_SHEET]
    ws = wb[CONF_SHEET]
    assert ws.sheet_state == "hidden"
    conf = {r[0]: r[1] for r in ws.iter_rows(values_only=True)}
    assert conf["UDF Modules"] == "udfs"
    assert conf["Interpreter_Win"] == INTERPRETER_WIN == r"%LOCALAPPDATA%\HoTroNQ\venv\Scripts\pythonw.exe"
    assert all(r[0] for r in ws.iter_rows(values_only=True))        # no blank cell in column A (xlwings)
    assert {ws.title: ws.sheet_properties.codeName for ws in wb} == A.CODE_NAMES


def test_libreoffice_opens_the_add_in_and_imports_its_modules(built):
    run = subprocess.run(["/usr/bin/python3", str(ROOT / "tests" / "harness" / "uno_probe.py"), str(built),
                          LO_FILTER], capture_output=True, text=True, timeout=240)
    assert run.returncode == 0, run.stderr
    seen = json.loads(run.stdout)
    assert seen["sheets"] == [A.ABOUT_SHEET, CONF_SHEET]
    assert seen["vba_project"] == A.PROJECT_NAME
    assert {"xlwings", "Ribbon", "xlwings_udfs"} <= set(seen["vba_modules"])
    assert "Sub OnPrepare(control As IRibbonControl)" in seen["vba_modules"]["Ribbon"]
