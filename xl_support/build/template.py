"""Build `workbook/Template.xlsm` from sources, byte-for-byte reproducibly (issue 4;
design.md "The workbook and how it is built").

Sheets are written with openpyxl; the VBA project (`xl_support.vba.project`) gets the wheel's
xlwings module, `workbook/src/Ribbon.bas` and the generated `workbook/src/xlwings_udfs.bas`; the
ribbon is `workbook/src/customUI.xml`. The saved zip is then post-processed:
- the five computed columns hold ONE column-form formula each, in the first data row, stored as
  an Excel 365 *dynamic array* (cell attribute ``cm="1"`` → ``xl/metadata.xml`` XLDAPR record,
  ECMA-376 §18.9 + [MS-XLSX] 2.6.x): Excel spills the column. openpyxl cannot write ``cm``; a
  plain formula would be opened as a legacy implicit-intersection ``=@HP_BENEFIT(…)`` showing one
  value. (A spilling formula is not allowed inside an Excel Table, so the Table covers the input
  columns and the computed columns sit right of it; structured references grow with the Table.)
- ``docProps/core.xml`` dates and every zip entry's date are constant, entries are written in a
  fixed order with fixed attributes: two builds give the same bytes.

xlwings is never imported here (the `xlwings_udfs` text is a committed, generated source:
`python workbook/gen_udf_wrapper.py`).
"""
from __future__ import annotations

import datetime as dt
import io
import re
import time
from pathlib import Path

from xl_support.build import guide, resources
from xl_support.book.workbook import (LABEL_MONTH, LABEL_SPECIAL_ZONE_AREA, LABEL_UNIT, LABEL_UNIT_CODE, LABEL_UNIT_TYPE,
                                      SETTINGS_SHEET, units)
from xl_support.engine.parameters import DEFAULT as DEFAULT_PARAMETERS
from xl_support.engine.policy import DEFAULT as DEFAULT_GROUPS
from xl_support.engine.schedule import insurance_cost
from xl_support.book.package import mark_dynamic_arrays, read_parts, write_parts
from xl_support.book import settings_layout as S
from xl_support.book.register import NQ04, NQ55, column_letter
from xl_support.book.template_layout import (CHECK_SHEET, CODE_NAMES, COMPUTED_WIDTHS, CONF_SHEET, FIRST_ROW,
                                             FUNCTION_ARGS, GUIDE_SHEET, HEADER_ROW, INTERPRETER_WIN, LISTS_SHEET,
                                             NAME_MONTH, NAME_PARAMS, NAME_UNIT, REGISTERS, SHEET_ORDER,
                                             SUMMARY_SHEET, RegisterSheet, column_formula, xlwings_conf)

DEFAULT_OUT = resources.template_path()     # the built template of this checkout or installed wheel
FIXED_TIME = dt.datetime(2026, 1, 1, 0, 0, 0)

FORMAT_ROWS = 5000              # validation / formats cover a 5,000-row register
PARAMS_LAST_ROW = 120           # BangThamSo = 'Tham số'!$A$4:$D$120 (room for added overrides)

XLWINGS_CONF = xlwings_conf(INTERPRETER_WIN)      # the venv made by the bundle's cai-dat.cmd


WIDTHS = {"stt": 5, "name": 24, "birth": 11.5, "sex": 7, "id": 15, "residential_group": 14, "area": 11,
          "household_type": 16, "group": 18, "allowance": 13, "recognised": 13, "mother_birth": 11.5,
          "decision": 11.5, "pay_from": 10, "stop": 11.5, "stop_pay_from": 10, "school": 18, "note": 16,
          **COMPUTED_WIDTHS}
LISTS = {
    "sex": ("DsGioiTinh", ["Nam", "Nữ"]),
    "area": ("DsKhuVuc", ["Thành thị", "Nông thôn"]),
    "household_type": ("DsLoaiHo", ["Nghèo", "Cận nghèo", "Thoát nghèo", "Thoát cận nghèo"]),
    "unit_type": ("DsLoaiDonVi", list(S.UNIT_TYPES)),
    "yes_no": ("DsCoKhong", ["Có", "Không"]),
}
GROUP_LISTS = {NQ55: "DsMaNQ55", NQ04: "DsMaNQ04"}
NUMBER_FORMATS = {"date": "dd/mm/yyyy", "month": "mm/yyyy", "amount": "#,##0", "id": "@", "benefit": "#,##0", "topup": "#,##0",
                  "end_date": "dd/mm/yyyy"}
UNIT_LIST = "DsDonVi"


# --------------------------------------------------------------------------- sources

def read_source(name: str) -> str:
    return resources.source(name).decode("utf-8")


def vba_modules() -> dict[str, str]:
    """Standard modules added to the project: the ribbon callbacks and the UDF wrappers."""
    return {"Ribbon": read_source("Ribbon.bas"), "xlwings_udfs": read_source("xlwings_udfs.bas")}


# --------------------------------------------------------------------------- formulas

def example_formula(reg: RegisterSheet, row: int = FIRST_ROW) -> str:
    """The same call on single cells of one row (shown in the guide)."""
    args = []
    for name in FUNCTION_ARGS:
        field = next((f for f in reg.inputs if f.name == name), None)
        args.append(f"{column_letter(reg.col(field.name))}{row}" if field else "")
    return f"=HP_BENEFIT({','.join(args + [NAME_MONTH, NAME_PARAMS])})"


# --------------------------------------------------------------------------- styles

def _styles():
    from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
    thin = Side(style="thin", color="808080")
    return {
        "title": Font(name="Calibri", size=14, bold=True, color="1F3864"),
        "subtitle": Font(name="Calibri", size=11, italic=True, color="404040"),
        "bold": Font(name="Calibri", size=11, bold=True),
        "section": Font(name="Calibri", size=12, bold=True, color="1F3864"),
        "header_fill": PatternFill("solid", fgColor="D9E1F2"),
        "computed_fill": PatternFill("solid", fgColor="E7E6E6"),
        "input_fill": PatternFill("solid", fgColor="FFF2CC"),
        "section_fill": PatternFill("solid", fgColor="DDEBF7"),
        "border": Border(left=thin, right=thin, top=thin, bottom=thin),
        "wrap": Alignment(wrap_text=True, vertical="top"),
        "header_align": Alignment(wrap_text=True, vertical="center", horizontal="center"),
        "center": Alignment(horizontal="center", vertical="top"),
    }


EXCEL_ROWS = 1_048_576          # rows of a worksheet: a print area of whole columns


def _print_setup(ws, title_rows: str | None, landscape: bool = True) -> None:
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.orientation = "landscape" if landscape else "portrait"
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.print_options.horizontalCentered = True
    ws.page_margins.left = ws.page_margins.right = 0.4
    ws.page_margins.top = ws.page_margins.bottom = 0.6
    ws.oddFooter.center.text = "Trang &P / &N"
    if title_rows:
        ws.print_title_rows = title_rows


def _list_validation(formula: str, prompt_title: str, prompt: str, strict: bool = False):
    from openpyxl.worksheet.datavalidation import DataValidation
    dv = DataValidation(type="list", formula1=formula, allow_blank=True, showDropDown=False,
                        showErrorMessage=True, showInputMessage=True,
                        errorStyle="stop" if strict else "warning")
    dv.promptTitle, dv.prompt = prompt_title[:32], prompt[:255]
    dv.errorTitle = "Giá trị không có trong danh sách"
    dv.error = ("Chọn một giá trị trong danh sách." if strict else
                "Giá trị không có trong danh sách. Bấm Yes để giữ, No để nhập lại.")
    return dv


def _month_validation(title: str):
    """A month column (domain.md R12): a date (Excel reads `04/2026` typed in an mm/yyyy cell as
    01/04/2026) within 2025–2031; warning style, so `mm/yyyy` kept as text is accepted too."""
    from openpyxl.worksheet.datavalidation import DataValidation
    dv = DataValidation(type="date", operator="between", formula1="DATE(2025,1,1)", formula2="DATE(2031,12,31)",
                        allow_blank=True, showErrorMessage=True, showInputMessage=True, errorStyle="warning")
    dv.promptTitle, dv.prompt = title[:32], "Nhập tháng dạng mm/yyyy, ví dụ 04/2026 (không bắt buộc)."
    dv.errorTitle = "Tháng không hợp lệ"
    dv.error = "Cần một tháng dạng mm/yyyy trong thời gian 2025–2031. Bấm Yes để giữ, No để nhập lại."
    return dv


# --------------------------------------------------------------------------- sheets

def _guide_sheet(ws, st, interpretations) -> None:
    ws.column_dimensions["A"].width = 30
    ws.column_dimensions["B"].width = 100
    ws.sheet_view.showGridLines = False
    for r, (kind, label, text) in enumerate(guide.guide_rows(interpretations, example_formula(REGISTERS[0])), 1):
        a, b = ws.cell(row=r, column=1, value=label or None), ws.cell(row=r, column=2, value=text or None)
        if kind == "title":
            a.font = st["title"]
            ws.row_dimensions[r].height = 24
        elif kind == "section":
            a.font = st["section"]
            for c in (a, b):
                c.fill = st["section_fill"]
            ws.row_dimensions[r].height = 20
        else:
            a.font = st["bold"]
            a.alignment = b.alignment = st["wrap"]
            if b.value and b.value.startswith("="):
                b.data_type = "s"
            # No auto-fit on open: size the row from the text (≈ 95 characters per line at width 100).
            lines = max(1, -(-len(text) // 95), -(-len(label) // 28))
            ws.row_dimensions[r].height = 15 * lines + 2
    _print_setup(ws, None, landscape=False)
    ws.print_area = f"A1:B{ws.max_row}"


def _register_sheet(ws, reg: RegisterSheet, st) -> None:
    from openpyxl.worksheet.formula import ArrayFormula
    from openpyxl.worksheet.table import Table, TableStyleInfo

    fields = reg.fields
    last_input = len(reg.inputs)
    last_col = len(fields)
    ws.cell(row=1, column=1, value=reg.heading).font = st["title"]
    ws.cell(row=2, column=1, value=f'="Đơn vị: "&{NAME_UNIT}').font = st["bold"]
    ws.cell(row=2, column=6, value="Tháng báo cáo:").font = st["bold"]
    month = ws.cell(row=2, column=8, value=f'=IF({NAME_MONTH}="","(tháng hiện tại)",{NAME_MONTH})')
    month.number_format = "mm/yyyy"
    month.alignment = st["center"]
    ws.cell(row=3, column=1, value=(
        "Nhập mỗi người một dòng, từ dòng 6; bảng tự mở rộng khi gõ tiếp xuống dưới. Các cột nền xám "
        "(từ «Mức hỗ trợ» đến «Căn cứ») do công thức tự tính cho tháng báo cáo – không gõ vào đó. "
        "Xem sheet Hướng dẫn.")).font = st["subtitle"]
    for c, f in enumerate(fields, 1):
        cell = ws.cell(row=HEADER_ROW, column=c, value=f.header)
        cell.font = st["bold"]
        cell.alignment = st["header_align"]
        cell.border = st["border"]
        cell.fill = st["computed_fill"] if f.computed else st["header_fill"]
        ws.column_dimensions[column_letter(c)].width = WIDTHS[f.name]
    ws.row_dimensions[HEADER_ROW].height = 62

    # Formats: a column style (empty cells, new rows and spilled results take it) and the Table's
    # one empty data row (a Table needs one).
    for c, f in enumerate(fields, 1):
        fmt = NUMBER_FORMATS.get(f.name) or NUMBER_FORMATS.get(f.kind)
        if fmt:
            ws.column_dimensions[column_letter(c)].number_format = fmt
            ws.cell(row=FIRST_ROW, column=c).number_format = fmt
        if f.name in ("insurance", "sex"):
            ws.column_dimensions[column_letter(c)].alignment = st["center"]
    table = Table(displayName=reg.table, ref=f"A{HEADER_ROW}:{column_letter(last_input)}{FIRST_ROW}")
    table.tableStyleInfo = TableStyleInfo(name="TableStyleLight9", showRowStripes=True)
    ws.add_table(table)

    # Computed columns: one spilling formula each.
    end = FIRST_ROW + FORMAT_ROWS - 1
    for f in fields[last_input:]:
        ref = f"{column_letter(reg.col(f.name))}{FIRST_ROW}"
        ws[ref] = ArrayFormula(ref, column_formula(reg, f.name))

    # Drop-downs (warning style: a typed code without its label is accepted).
    for f in reg.inputs:
        letter = column_letter(reg.col(f.name))
        rng = f"{letter}{FIRST_ROW}:{letter}{end}"
        if f.name == "group":
            dv = _list_validation(GROUP_LISTS[reg.kind], "Mã đối tượng",
                                  "Chọn nhóm trong danh sách, hoặc gõ mã (ví dụ CN, KNND, HN-BTXH).")
        elif f.name in LISTS:
            name, values = LISTS[f.name]
            dv = _list_validation(name, f.header, "Chọn: " + " / ".join(values))
        elif f.kind == "month":
            dv = _month_validation(f.header)
        else:
            continue
        dv.add(rng)
        ws.add_data_validation(dv)

    ws.freeze_panes = f"C{FIRST_ROW}"
    ws.sheet_view.zoomScale = 90
    _print_setup(ws, f"{HEADER_ROW}:{HEADER_ROW}")
    # the register's columns, every row (issue 13: none stops at the header or at a row count):
    # LibreOffice would otherwise print the `Căn cứ` texts overflowing to the right and shrink
    # the page to fit them (Excel prints the used columns only)
    ws.print_area = f"A1:{column_letter(last_col)}{EXCEL_ROWS}"


# `Tham số` F5:G10: the values in force for the report month, through the same functions as the
# registers; the third item gives the value the build caches in the cell (issue 13).
SETTINGS_LOOKUPS = (
    ("Chuẩn nghèo thành thị (đồng/tháng)", f'=HP_POVERTY_LINE("Thành thị",{NAME_MONTH},{NAME_PARAMS})',
     lambda p, m: p.value("poverty_line", m, "urban")),
    ("Chuẩn nghèo nông thôn (đồng/tháng)", f'=HP_POVERTY_LINE("Nông thôn",{NAME_MONTH},{NAME_PARAMS})',
     lambda p, m: p.value("poverty_line", m, "rural")),
    ("Mức chuẩn trợ giúp xã hội (đồng/tháng)", f"=HP_STANDARD({NAME_MONTH},{NAME_PARAMS})",
     lambda p, m: p.value("national_standard", m)),
    ("Mức chuẩn TGXH thành phố (đồng/tháng)", f"=HP_CITY_STANDARD({NAME_MONTH},{NAME_PARAMS})",
     lambda p, m: p.value("city_standard", m)),
    ("Lương cơ sở (đồng/tháng)", f"=HP_BASE_SALARY({NAME_MONTH},{NAME_PARAMS})",
     lambda p, m: p.value("base_salary", m)),
    ("Tiền đóng BHYT một người (đồng/tháng)", f"=HP_INSURANCE_COST({NAME_MONTH},{NAME_PARAMS})",
     lambda p, m: insurance_cost(p, m)),
)
SETTINGS_LOOKUP_ROW, SETTINGS_LOOKUP_COL = 5, "G"


def _fit_rows(ws, first: int, last: int, widths: dict[str, float]) -> None:
    """Row heights for wrapped text (neither Excel nor LibreOffice re-fits rows written by openpyxl
    reliably): lines = longest cell text / characters per line of its column."""
    for r in range(first, last + 1):
        lines = 1
        for letter, width in widths.items():
            value = ws[f"{letter}{r}"].value
            if isinstance(value, str) and not value.startswith("="):
                lines = max(lines, -(-len(value) // max(1, int(width * 1.1))))
        ws.row_dimensions[r].height = 15 * lines + 1


def _settings_sheet(ws, st) -> dict[str, str]:
    """`Tham số` (design.md "Parameter sheet"); returns defined names → cell references."""
    ws.column_dimensions["A"].width = 44
    ws.column_dimensions["B"].width = 24
    ws.column_dimensions["C"].width = 13
    ws.column_dimensions["D"].width = 70
    ws.cell(row=1, column=1, value="THAM SỐ TÍNH HỖ TRỢ").font = st["title"]
    ws.cell(row=2, column=1, value=(
        "Nhập ở cột «Giá trị» (nền vàng). Khi có văn bản mới: sửa giá trị của dòng có cùng ngày hiệu lực, "
        "hoặc thêm ở cuối bảng một dòng «<tên tham số> từ dd/mm/yyyy» với giá trị mới.")).font = st["subtitle"]
    quoted = f"'{SETTINGS_SHEET}'"

    def header(row, *texts):
        for c, text in enumerate(texts, 1):
            cell = ws.cell(row=row, column=c, value=text)
            cell.font = st["bold"]
            cell.fill = st["header_fill"]
            cell.border = st["border"]
            cell.alignment = st["wrap"]

    def line(row, label, value=None, end=None, note=None, *, editable=True, fmt=None):
        cells = [ws.cell(row=row, column=1, value=label), ws.cell(row=row, column=2, value=value),
                 ws.cell(row=row, column=3, value=end), ws.cell(row=row, column=4, value=note)]
        for cell in cells:
            cell.border = st["border"]
            cell.alignment = st["wrap"]
        if editable:
            cells[1].fill = st["input_fill"]
        if fmt:
            cells[1].number_format = fmt
        if isinstance(end, dt.date):
            cells[2].number_format = "dd/mm/yyyy"
        return cells

    header(4, "Thông tin đơn vị", "Giá trị", "", "Ghi chú")
    for row, (label, value, note) in enumerate(S.UNIT_ROWS, S.UNIT_FIRST_ROW):
        line(row, label, value, note=note, fmt={LABEL_MONTH: "mm/yyyy", LABEL_UNIT_CODE: "@"}.get(label))
    validations = [
        ("B5", _list_validation(UNIT_LIST, LABEL_UNIT, "Chọn đơn vị trong danh sách.", strict=True)),
        ("B6", _list_validation(LISTS["unit_type"][0], LABEL_UNIT_TYPE, "Phường / Xã / Đặc khu", strict=True)),
        ("B8", _list_validation(LISTS["area"][0], LABEL_SPECIAL_ZONE_AREA, "Thành thị / Nông thôn", strict=True)),
    ]

    row = S.PERIODS_HEADER_ROW
    header(row, *S.PERIODS_HEADER)
    for p in S.period_rows():
        row += 1
        line(row, p.override_label, p.value, p.end, p.legal_ref, fmt="#,##0")
    window = S.policy_window()
    row += 1
    line(row, S.WINDOW_LABEL, window.start, window.end, window.legal_ref, editable=False, fmt="dd/mm/yyyy")

    row += 2
    header(row, *S.GROUPS_HEADER)
    for label, group_label, kind in S.unconfirmed_group_rows():
        row += 1
        if kind == "amount":
            line(row, label, note=group_label, fmt="#,##0")
        else:
            line(row, label, note=group_label)
            validations.append((f"B{row}", _list_validation(LISTS["yes_no"][0], label, "Có / Không", strict=True)))
    row += 2
    ws.cell(row=row, column=1, value="Thêm dòng tham số mới dưới đây (đến dòng "
                                     f"{PARAMS_LAST_ROW}).").font = st["subtitle"]
    for ref, dv in validations:
        dv.add(ref)
        ws.add_data_validation(dv)

    # Values in force for the report month (look-ups through the same functions).
    ws.column_dimensions["F"].width = 40
    ws.column_dimensions["G"].width = 14
    ws.cell(row=4, column=6, value="Áp dụng cho tháng báo cáo").font = st["bold"]
    ws.cell(row=4, column=6).fill = st["header_fill"]
    ws.cell(row=4, column=7).fill = st["header_fill"]
    lookups = SETTINGS_LOOKUPS
    for i, (label, formula, _) in enumerate(lookups, 5):
        ws.cell(row=i, column=6, value=label).border = st["border"]
        cell = ws.cell(row=i, column=7, value=formula)
        cell.number_format = "#,##0"
        cell.border = st["border"]
    _fit_rows(ws, 4, row, {"A": 44, "B": 24, "C": 13, "D": 70})
    ws.freeze_panes = "A5"
    _print_setup(ws, "4:4")     # no print area: override rows added below are printed too (issue 13)
    return {
        NAME_UNIT: f"{quoted}!$B$5",
        NAME_MONTH: f"{quoted}!$B$7",
        NAME_PARAMS: f"{quoted}!$A$4:$D${PARAMS_LAST_ROW}",
    }


def _lists_sheet(ws) -> dict[str, str]:
    """Hidden `Danh mục`: the drop-down lists; returns defined names → ranges."""
    quoted = f"'{LISTS_SHEET}'"
    columns = [(GROUP_LISTS[NQ55], "Mã đối tượng NQ 55", [g.display for g in DEFAULT_GROUPS.for_register(NQ55)]),
               (GROUP_LISTS[NQ04], "Mã đối tượng NQ 04", [g.display for g in DEFAULT_GROUPS.for_register(NQ04)]),
               (UNIT_LIST, "Đơn vị", [u.full_name for u in units()])]
    columns += [(name, name, values) for name, values in LISTS.values()]
    names = {}
    for c, (name, header, values) in enumerate(columns, 1):
        letter = column_letter(c)
        ws.cell(row=1, column=c, value=header)
        for r, value in enumerate(values, 2):
            ws.cell(row=r, column=c, value=value)
        ws.column_dimensions[letter].width = 30
        names[name] = f"{quoted}!${letter}$2:${letter}${len(values) + 1}"
    ws.sheet_state = "hidden"
    return names


def _titled_sheet(ws, st, title: str, note: str) -> None:
    ws.cell(row=1, column=1, value=title).font = st["title"]
    ws.cell(row=2, column=1, value=note).font = st["subtitle"]
    ws.column_dimensions["A"].width = 30
    _print_setup(ws, None)


def _conf_sheet(ws) -> None:
    for r, (key, value) in enumerate(XLWINGS_CONF, 1):
        ws.cell(row=r, column=1, value=key)
        ws.cell(row=r, column=2, value=value)
    ws.column_dimensions["A"].width = 30
    ws.sheet_state = "hidden"


def build_openpyxl_workbook(vba_bin: bytes, custom_ui: bytes):
    import openpyxl
    from openpyxl.workbook.defined_name import DefinedName

    from xl_support.build.vba.xlsm import openpyxl_vba_archive

    st = _styles()
    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    sheets = {name: wb.create_sheet(name) for name in SHEET_ORDER}
    for name, ws in sheets.items():
        ws.sheet_properties.codeName = CODE_NAMES[name]
    _guide_sheet(sheets[GUIDE_SHEET], st, guide.read_interpretations())
    for reg in REGISTERS:
        _register_sheet(sheets[reg.title], reg, st)
    names = _settings_sheet(sheets[SETTINGS_SHEET], st)
    names.update(_lists_sheet(sheets[LISTS_SHEET]))
    _titled_sheet(sheets[SUMMARY_SHEET], st, "TỔNG HỢP ĐỐI TƯỢNG VÀ KINH PHÍ",
                  "Bấm nút «Tổng hợp» trên thẻ «Hỗ trợ NQ» để lập bảng tổng hợp cho tháng báo cáo.")
    _titled_sheet(sheets[CHECK_SHEET], st, "KẾT QUẢ KIỂM TRA DỮ LIỆU",
                  "Bấm nút «Kiểm tra dữ liệu» trên thẻ «Hỗ trợ NQ»: mỗi lỗi một dòng, có liên kết tới ô cần sửa.")
    _conf_sheet(sheets[CONF_SHEET])
    for name in sorted(names):
        wb.defined_names[name] = DefinedName(name, attr_text=names[name])
    wb.active = 0
    wb.code_name = "ThisWorkbook"
    wb.properties.creator = "xl_support build-template"
    wb.properties.lastModifiedBy = "xl_support build-template"
    wb.properties.title = "Sổ theo dõi hỗ trợ NQ 55/2025 và NQ 04/2026 – Hải Phòng"
    wb.properties.created = wb.properties.modified = FIXED_TIME
    wb.vba_archive = openpyxl_vba_archive(vba_bin, custom_ui)
    return wb


# --------------------------------------------------------------------------- zip post-processing

XLSM_CONTENT_TYPE = "application/vnd.ms-excel.sheet.macroEnabled.main+xml"
_CORE_DATE = re.compile(r"(<dcterms:(created|modified)[^>]*>)[^<]*(</dcterms:\2>)")


CACHE_MONTH = FIXED_TIME.date().replace(day=1)     # the month of the cached values (reproducible bytes)
_CACHED_CELL = re.compile(r'<c r="(?P<ref>[A-Z]+\d+)"(?P<attrs>[^>]*?)(?: t="[a-z]+")?(?P<attrs2>[^>]*)>'
                          r'(?P<f><f[^>]*>[^<]*</f>)(?:<v\s*/>|<v>[^<]*</v>)?</c>')


def cache_formula_values(xml: str, values: dict[str, object]) -> str:
    """Store `values` (cell ref → number or text) as the cached results of those formula cells, as
    Excel does (`<v>` after `<f>`; `t="str"` for text). Viewers that do not recalculate — a mail
    preview, a phone, Excel without the add-in — then show numbers instead of `#NAME?` (issue 13)."""
    from xl_support.book.xmltext import escape

    def repl(m):
        ref = m["ref"]
        if ref not in values:
            return m[0]
        value = values[ref]
        kind = ' t="str"' if isinstance(value, str) else ""
        text = escape(value) if isinstance(value, str) else str(int(value))
        return f'<c r="{ref}"{m["attrs"]}{m["attrs2"]}{kind}>{m["f"]}<v>{text}</v></c>'
    return _CACHED_CELL.sub(repl, xml)


def template_cached_values() -> dict[str, dict[str, object]]:
    """Sheet name → cell → the value our engine gives each formula of the template for CACHE_MONTH:
    the `Tham số` look-ups, and the computed columns of the registers' empty first row (the
    functions return an empty text for a row with nothing typed) and the title formulas."""
    out = {SETTINGS_SHEET: {f"{SETTINGS_LOOKUP_COL}{SETTINGS_LOOKUP_ROW + i}": value(DEFAULT_PARAMETERS, CACHE_MONTH)
                            for i, (_, _, value) in enumerate(SETTINGS_LOOKUPS)}}
    for reg in REGISTERS:
        out[reg.title] = {f"{column_letter(reg.col(f.name))}{FIRST_ROW}": "" for f in reg.fields if f.computed}
        out[reg.title].update({"A2": "Đơn vị: ", "H2": "(tháng hiện tại)"})    # `DonVi`, `ThangBaoCao` empty
    return out


def _cache_values(parts: dict[str, bytes]) -> None:
    for name, cells in template_cached_values().items():
        part = f"xl/worksheets/sheet{SHEET_ORDER.index(name) + 1}.xml"
        parts[part] = cache_formula_values(parts[part].decode("utf-8"), cells).encode("utf-8")


def finalize(data: bytes, main_content_type: str | None = None, cache_values: bool = True) -> bytes:
    """openpyxl's saved bytes → the reproducible template (dynamic arrays, cached values, fixed dates).
    ``main_content_type`` replaces the workbook part's content type (an add-in's, which has no
    template sheets to cache: ``cache_values=False``)."""
    parts = read_parts(data)
    if main_content_type:
        ct = parts["[Content_Types].xml"].decode("utf-8")
        parts["[Content_Types].xml"] = ct.replace(XLSM_CONTENT_TYPE, main_content_type).encode("utf-8")
    if cache_values:
        _cache_values(parts)
    stamp = FIXED_TIME.strftime("%Y-%m-%dT%H:%M:%SZ")
    core = parts["docProps/core.xml"].decode("utf-8")
    parts["docProps/core.xml"] = _CORE_DATE.sub(rf"\g<1>{stamp}\g<3>", core).encode("utf-8")
    mark_dynamic_arrays(parts)
    return write_parts(parts)


def build_template_bytes() -> bytes:
    """The whole template as bytes (deterministic)."""
    from xl_support.build.vba.project import build_vba_project

    vba_bin = build_vba_project(vba_modules(), {CODE_NAMES[name]: "" for name in SHEET_ORDER})
    wb = build_openpyxl_workbook(vba_bin, resources.source("customUI.xml"))
    buf = io.BytesIO()
    wb.save(buf)
    return finalize(buf.getvalue())


def build_template(out: str | Path = DEFAULT_OUT) -> Path:
    from xl_support.book.fileio import atomic_write
    data = build_template_bytes()
    return atomic_write(out, data)


def run_cli(args) -> int:
    """`python -m xl_support build-template [-o OUT]` (overwrites: the template is a build output).
    Without -o: the checkout's workbook/Template.xlsm; an installed package needs -o."""
    from xl_support.book.fileio import UserFacingError
    started = time.perf_counter()
    out = Path(args.out) if getattr(args, "out", None) else resources.default_build_output(resources.TEMPLATE_NAME)
    if out is None:
        raise UserFacingError("cần -o TỆP.xlsm: gói đã cài không có thư mục workbook/ của mã nguồn để ghi vào")
    path = build_template(out)
    print(f"Đã dựng {path} ({path.stat().st_size:,} byte, {time.perf_counter() - started:.1f} giây)")
    return 0
