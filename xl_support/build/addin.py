"""Build the Excel add-in `workbook/HoTroNQ.xlam` from source, byte-for-byte reproducibly
(issue 15; design.md "The workbook and how it is built").

Laid out like the add-ins of `xlwings quickstart --addin --ribbon` (the wheel's
`quickstart_addin_ribbon.xlam`): workbook part of content type
`application/vnd.ms-excel.addin.macroEnabled.main+xml`, the ribbon as `customUI/customUI.xml`, a
VBA project made from that add-in's project with

- `xlwings`: xlwings' *add-in* flavour of its module (`vba.project.xlwings_addin_bas`), which acts
  on `ActiveWorkbook`: `RunPython` hands Python the active workbook as the calling book, and the
  configuration is read from the active workbook's `xlwings.conf` sheet, then from the add-in's;
- `xlwings_udfs`: the pre-generated wrapper of every `HP_` function (`workbook/src/xlwings_udfs.bas`,
  the same as the template's), so the functions exist in every open workbook;
- `Ribbon`: `workbook/src/AddinRibbon.bas`, the callbacks of `workbook/src/customUI_addin.xml`.

Sheets: `Giới thiệu` (what the add-in is; an add-in's sheets are never shown in Excel) and the
hidden `xlwings.conf` (`UDF Modules = udfs`, the install bundle's interpreter). The template's
builder does the rest: the same VBA project writer, the same zip post-processing.
"""
from __future__ import annotations

import io
import time
from pathlib import Path

from xl_support.book.template_layout import CONF_SHEET, INTERPRETER_WIN, xlwings_conf
from xl_support.build import resources
from xl_support.build import template as T

ADDIN_NAME = resources.ADDIN_NAME
DEFAULT_OUT = resources.addin_path()
ADDIN_CONTENT_TYPE = "application/vnd.ms-excel.addin.macroEnabled.main+xml"
PROJECT_NAME = "HoTroNQ"                 # the VBA project (xlwings' add-in template calls it MyAddin)
ABOUT_SHEET = "Giới thiệu"
SHEETS = (ABOUT_SHEET, CONF_SHEET)
CODE_NAMES = {name: f"Sheet{i}" for i, name in enumerate(SHEETS, 1)}
RIBBON_SOURCE = "AddinRibbon.bas"
CUSTOM_UI_SOURCE = "customUI_addin.xml"
TITLE = "Hỗ trợ NQ 55/2025 – NQ 04/2026 (Hải Phòng)"
DESCRIPTION = ("Thẻ «Hỗ trợ NQ» và các hàm HP_ cho sổ theo dõi của xã, phường, đặc khu: "
               "Chuẩn bị sổ, Kiểm tra, Tính lại, Tổng hợp, Xuất báo cáo.")


def vba_modules() -> dict[str, str]:
    """Standard modules of the add-in besides xlwings: the ribbon callbacks, the UDF wrappers."""
    return {"Ribbon": T.read_source(RIBBON_SOURCE), "xlwings_udfs": T.read_source("xlwings_udfs.bas")}


def about_rows() -> list[tuple[str, str]]:
    return [
        (TITLE, ""),
        ("Là gì", "Phần bổ trợ (add-in) của Excel: thêm thẻ «Hỗ trợ NQ» và các hàm HP_BENEFIT, HP_TOPUP, "
                  "HP_INSURANCE, HP_END_DATE, HP_BASIS, HP_POVERTY_LINE… cho mọi sổ đang mở."),
        ("Cài đặt", "Excel → Tệp → Tùy chọn → Phần bổ trợ → Quản lý: Phần bổ trợ Excel → Đi → đánh dấu "
                    "«HoTroNQ» (hoặc Duyệt… tới tệp HoTroNQ.xlam)."),
        ("Dùng", "Mở sổ theo dõi của đơn vị, bấm «Chuẩn bị sổ» rồi «Kiểm tra dữ liệu», «Tính lại», "
                 "«Xuất báo cáo» trên thẻ «Hỗ trợ NQ»."),
        ("Python", f"Các nút và hàm chạy bằng Python cài tại {INTERPRETER_WIN} (bộ cài đặt)."),
    ]


def build_openpyxl_addin(vba_bin: bytes, custom_ui: bytes):
    import openpyxl

    from xl_support.build.vba.xlsm import openpyxl_vba_archive

    st = T._styles()
    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    sheets = {name: wb.create_sheet(name) for name in SHEETS}
    for name, ws in sheets.items():
        ws.sheet_properties.codeName = CODE_NAMES[name]
    about = sheets[ABOUT_SHEET]
    about.column_dimensions["A"].width = 16
    about.column_dimensions["B"].width = 100
    for r, (label, text) in enumerate(about_rows(), 1):
        about.cell(row=r, column=1, value=label).font = st["title"] if r == 1 else st["bold"]
        about.cell(row=r, column=2, value=text or None).alignment = st["wrap"]
    T._fit_rows(about, 2, about.max_row, {"B": 88})
    T._print_setup(about, None, landscape=False)
    conf = sheets[CONF_SHEET]
    for r, (key, value) in enumerate(xlwings_conf(INTERPRETER_WIN), 1):
        conf.cell(row=r, column=1, value=key)
        conf.cell(row=r, column=2, value=value)
    conf.column_dimensions["A"].width = 30
    conf.sheet_state = "hidden"
    wb.active = 0
    wb.code_name = "ThisWorkbook"
    wb.properties.creator = wb.properties.lastModifiedBy = "xl_support build-addin"
    wb.properties.title = TITLE
    wb.properties.description = DESCRIPTION
    wb.properties.created = wb.properties.modified = T.FIXED_TIME
    wb.vba_archive = openpyxl_vba_archive(vba_bin, custom_ui)
    return wb


def build_addin_bytes() -> bytes:
    """The whole add-in as bytes (deterministic)."""
    from xl_support.build.vba.project import addin_template_vba_bin, build_vba_project, xlwings_addin_bas

    vba_bin = build_vba_project(vba_modules(), {CODE_NAMES[name]: "" for name in SHEETS},
                                template=addin_template_vba_bin(), xlwings_source=xlwings_addin_bas(),
                                project_name=PROJECT_NAME)
    wb = build_openpyxl_addin(vba_bin, T.read_source(CUSTOM_UI_SOURCE).encode("utf-8"))
    buf = io.BytesIO()
    wb.save(buf)
    return T.finalize(buf.getvalue(), ADDIN_CONTENT_TYPE, cache_values=False)


def build_addin(out: str | Path = DEFAULT_OUT) -> Path:
    from xl_support.book.fileio import atomic_write
    return atomic_write(out, build_addin_bytes())


def run_cli(args) -> int:
    """`python -m xl_support build-addin [-o OUT]` (overwrites: the add-in is a build output).
    Without -o: the checkout's workbook/HoTroNQ.xlam; an installed package needs -o."""
    from xl_support.book.fileio import UserFacingError
    started = time.perf_counter()
    out = Path(args.out) if getattr(args, "out", None) else resources.default_build_output(ADDIN_NAME)
    if out is None:
        raise UserFacingError("cần -o TỆP.xlam: gói đã cài không có thư mục workbook/ của mã nguồn để ghi vào")
    path = build_addin(out)
    print(f"Đã dựng {path} ({path.stat().st_size:,} byte, {time.perf_counter() - started:.1f} giây)")
    return 0
