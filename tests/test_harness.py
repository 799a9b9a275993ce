"""The harnesses that stand in for Excel (design.md, "How we test what Excel would do")."""

from __future__ import annotations

import datetime as dt
import textwrap
import uuid

import openpyxl
import pytest

from tests.harness import remote, render, udf_host
import xlwings as xw  # after tests.harness: the licence key must be set first

# ---------------------------------------------------------------------------
# remote: macros on a real xw.Book
# ---------------------------------------------------------------------------


def _register(path):
    """A register with title rows above the header, a Text-formatted ID column."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Danh sách"
    ws["A1"] = "DANH SÁCH TRẺ EM"
    ws.append([])
    ws.append(["Mã", "Họ và tên", "Ngày sinh", "Mức hỗ trợ (đồng/tháng)", "Ghi chú"])
    ws.append(["00004", "Nguyễn Văn An", dt.date(2020, 3, 1), None, None])
    ws.append(["00017", "Trần Thị Bình", dt.date(2019, 12, 31), None, None])
    for row in range(3, 10):
        ws.cell(row, 1).number_format = "@"
    wb.create_sheet("Tham số")["A1"] = "Đơn vị"
    wb["Tham số"]["B1"] = "Phường Đồ Sơn"
    wb.save(path)
    return path


def _macro(seen):
    """A tiny macro: reads the register, writes values, adds a sheet, colours a cell."""
    book = xw.Book.caller()
    sheet = book.sheets["Danh sách"]
    rows = sheet.used_range.value
    seen["rows"] = rows
    header = rows[2]
    body = [row for row in rows[3:] if row[1] is not None]  # formatted rows count as used
    amount_col = header.index("Mức hỗ trợ (đồng/tháng)") + 1
    sheet.range((4, amount_col)).value = [[1_500_000], [2_000_000]]
    sheet.range((6, 1)).value = [["00012", "Lê Văn Cường", dt.date(2026, 1, 5), 750_000, "00012"]]
    seen["after_write"] = sheet.range((6, 1)).value  # the engine does not see its writes
    check = book.sheets.add("Kiểm tra", after=book.sheets[-1])
    check["A1"].value = [["Dòng", "Nội dung"], [5, "Ngày sinh sau ngày ký quyết định"]]
    sheet.range((5, 3)).color = (255, 199, 206)
    return len(body)


def test_remote_round_trip_on_a_real_book(tmp_path):
    seen = {}
    result = remote.run_macro(_register(tmp_path / "so.xlsx"), _macro, seen)

    # What the macro read: Excel's types (dates as datetime, numbers as float).
    assert result.return_value == 2
    assert seen["rows"][3][:3] == ["00004", "Nguyễn Văn An", dt.datetime(2020, 3, 1)]
    assert seen["after_write"] is None
    assert result.payload["sheets"][0]["values"][3][2] == "2020-03-01T00:00:00.000Z"

    # What Excel did with the actions, checked on the saved file.
    out = result.save(tmp_path / "out.xlsx")
    wb = openpyxl.load_workbook(out)
    ws = wb["Danh sách"]
    assert ws["D4"].value == 1_500_000 and ws["D5"].value == 2_000_000
    assert ws["A6"].value == "00012"  # Text column keeps the leading zeros
    assert ws["E6"].value == 12  # General column: Excel turns the text into a number
    assert ws["C6"].value == dt.datetime(2026, 1, 5)
    assert ws["C6"].is_date
    assert ws["C5"].fill.fgColor.rgb == "00FFC7CE"
    assert wb.sheetnames == ["Danh sách", "Tham số", "Kiểm tra"]
    assert wb["Kiểm tra"]["B2"].value == "Ngày sinh sau ngày ký quyết định"
    assert [(c.cell, c.kind, c.value) for c in result.coercions] == [("E6", "number", 12)]
    assert result.counts == {"setValues": 3, "addSheet": 1, "setRangeColor": 1}
    assert result.n_actions == 5


def test_remote_numbers_as_com_or_as_vba_json():
    wb = openpyxl.Workbook()
    wb.active.append([4, 2.5, True, None])
    as_com = remote.payload_from_workbook(wb)["sheets"][0]["values"]
    as_json = remote.payload_from_workbook(wb, numbers="json")["sheets"][0]["values"]
    assert as_com == [[4.0, 2.5, True, None]] and isinstance(as_com[0][0], float)
    assert as_json == [[4, 2.5, True, None]] and isinstance(as_json[0][0], int)
    empty = openpyxl.Workbook()
    assert remote.payload_from_workbook(empty)["sheets"][0]["values"] == [[]]


def test_remote_payload_names_and_active_sheet():
    wb = openpyxl.Workbook()
    wb.create_sheet("Tham số")
    wb.defined_names["DON_VI"] = openpyxl.workbook.defined_name.DefinedName(
        "DON_VI", attr_text="'Tham số'!$B$1"
    )
    payload = remote.payload_from_workbook(wb, active_sheet="Tham số")
    assert payload["book"]["active_sheet_index"] == 1
    assert payload["names"] == [
        {
            "name": "DON_VI",
            "sheet_index": 1,
            "address": "B1",
            "book_scope": True,
            "scope_sheet_name": None,
            "scope_sheet_index": None,
        }
    ]
    book = xw.Book(json=payload)
    assert book.names["DON_VI"].refers_to_range.address == "$B$1"
    book.close()


@pytest.mark.parametrize(
    ("number_format", "written", "stored"),
    [
        ("General", "00004", 4),
        ("@", "00004", "00004"),
        ("General", "001203004567", 1203004567),  # a CCCD number loses its zeros
        ("General", "1,234", 1234),
        ("General", "1.234.567", "1.234.567"),  # Vietnamese thousands: stays text
        ("General", "05/01/2026", dt.datetime(2026, 5, 1)),  # en-US month first
        ("General", "25/12/2026", "25/12/2026"),  # not a US date: stays text
        ("General", "2026-01-05", dt.datetime(2026, 1, 5)),  # how xlwings sends a date
        ("General", "Thành thị", "Thành thị"),
        ("General", "", None),
        ("General", 2.5, 2.5),
    ],
)
def test_excel_entry_converts_text_like_excel(number_format, written, stored):
    cell = openpyxl.Workbook().active["A1"]
    cell.number_format = number_format
    remote.excel_entry(cell, written)
    assert cell.value == stored
    assert type(cell.value) is type(stored)


def test_replay_rejects_actions_it_does_not_know():
    wb = openpyxl.Workbook()
    action = {"func": "rangeSort", "args": [[1], [True], True], "sheet_position": 0,
              "start_row": 0, "start_column": 0, "row_count": 2, "column_count": 1}
    with pytest.raises(remote.UnsupportedAction, match="rangeSort"):
        remote.replay_actions(wb, [action])


def test_remote_replays_formats_hyperlinks_and_sheet_changes():
    wb = openpyxl.Workbook()
    wb.active.title = "A"
    wb.active["A1"] = "x"

    def macro():
        book = xw.Book.caller()
        sheet = book.sheets["A"]
        sheet["B1:B3"].number_format = "@"
        sheet["B1"].font.bold = True
        sheet["B:B"].column_width = 30
        sheet["C1"].add_hyperlink("#'A'!A1", "Về đầu", "Đi tới A1")
        sheet.name = "Danh sách"
        sheet["A1"].clear_contents()

    result = remote.run_macro(wb, macro)
    ws = result.workbook["Danh sách"]
    assert ws["B3"].number_format == "@" and ws["B1"].font.bold
    assert ws.column_dimensions["B"].width == 30
    assert ws["C1"].value == "Về đầu" and ws["C1"].hyperlink.location == "'A'!A1"
    assert ws["A1"].value is None


# ---------------------------------------------------------------------------
# udf_host: worksheet functions through call_udf
# ---------------------------------------------------------------------------

_UDF_SOURCE = '''
import datetime as dt
import xlwings as xw


@xw.func
@xw.arg("amounts", ndim=2, doc="Cột số tiền (đồng/tháng)")
@xw.arg("factor", doc="Hệ số nhân")
def HP_TEST_SCALE(amounts, factor=2):
    """Nhân từng dòng với hệ số; trả về một cột."""
    return [[None if row[0] is None else int(row[0] * factor)] for row in amounts]


@xw.func
def HP_TEST_KIND(value):
    """Kiểu giá trị Python nhận được."""
    return type(value).__name__
'''


@pytest.fixture
def udf_module(tmp_path, monkeypatch):
    name = f"udf_probe_{uuid.uuid4().hex[:8]}"
    (tmp_path / f"{name}.py").write_text(textwrap.dedent(_UDF_SOURCE), encoding="utf-8")
    monkeypatch.syspath_prepend(str(tmp_path))
    return name


def test_udf_column_in_column_out(udf_module):
    column = [[1_500_000], [None], [750_000]]
    assert udf_host.call(udf_module, "HP_TEST_SCALE", column) == [[3_000_000], [""], [1_500_000]]
    assert udf_host.call(udf_module, "HP_TEST_SCALE", column, 3) == [[4_500_000], [""], [2_250_000]]
    # one cell in, one value out (CallUDF unwraps 1×1)
    assert udf_host.call(udf_module, "HP_TEST_SCALE", 10, udf_host.MISSING) == 20


@pytest.mark.parametrize(
    ("excel_value", "python_type"),
    [
        (dt.date(2026, 1, 5), "datetime"),  # a date cell
        (45000.0, "float"),  # a literal date serial in the formula
        (4, "float"),  # every Excel number is a double
        (None, "NoneType"),  # an empty cell
        (udf_host.XlError("#N/A"), "NoneType"),  # an error cell
        ("00004", "str"),
    ],
)
def test_udf_arguments_arrive_as_from_excel(udf_module, excel_value, python_type):
    assert udf_host.call(udf_module, "HP_TEST_KIND", excel_value) == python_type


def test_udf_vba_wrapper_and_descriptions(udf_module):
    vba = udf_host.generate_vba(udf_module)
    assert vba.startswith('Attribute VB_Name = "xlwings_udfs"\n')
    assert "Function HP_TEST_SCALE(amounts, Optional factor)" in vba
    assert (
        f'HP_TEST_SCALE = XLPy.CallUDF("{udf_module}", "HP_TEST_SCALE", '
        "Array(amounts, factor), ThisWorkbook, Application.Caller)"
    ) in vba
    assert "Function HP_TEST_KIND(value)" in vba
    specs = {s["name"]: s for s in udf_host.udf_specs(udf_module)}
    assert specs["HP_TEST_SCALE"]["description"] == "Nhân từng dòng với hệ số; trả về một cột."
    assert specs["HP_TEST_SCALE"]["arg_descriptions"] == ["Cột số tiền (đồng/tháng)", "Hệ số nhân"]


def test_udf_harness_leaves_the_remote_engine_working(udf_module):
    udf_host.call(udf_module, "HP_TEST_KIND", 1)
    wb = openpyxl.Workbook()

    def macro():
        xw.Book.caller().sheets[0]["A1"].value = "ok"

    assert remote.run_macro(wb, macro).workbook.active["A1"].value == "ok"


# ---------------------------------------------------------------------------
# render: LibreOffice headless
# ---------------------------------------------------------------------------


def test_render_pdf_png_and_text(tmp_path):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Tổng hợp"
    ws.column_dimensions["A"].width = 40
    ws.append(["Họ và tên", "Mức hỗ trợ"])
    ws.append(["Nguyễn Thị Bích Ngọc", 1_500_000])
    src = tmp_path / "report.xlsx"
    wb.save(src)

    pdf = render.render_pdf(src, tmp_path / "out")
    assert pdf.read_bytes().startswith(b"%PDF")
    text = render.pdf_text(pdf)
    assert "Nguyễn Thị Bích Ngọc" in text and "1500000" in text
    pages = render.pdf_to_pngs(pdf, tmp_path / "png", dpi=40)
    assert len(pages) == 1 and pages[0].read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_render_reports_a_broken_file(tmp_path):
    bad = tmp_path / "broken.xlsx"
    bad.write_bytes(b"not a workbook")
    with pytest.raises(render.RenderError):
        render.render_pdf(bad, tmp_path / "out")
