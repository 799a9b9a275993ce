"""The shape of a workbook made from `Template.xlsm` (a contract of the build, the macros and the
functions): sheet names and code names, the registers' header row, and the one column-form `HP_`
formula of each computed column."""
from __future__ import annotations

import re
from dataclasses import dataclass

from xl_support.book.register import FIELDS, NQ04, NQ55
from xl_support.book.workbook import SETTINGS_SHEET

GUIDE_SHEET = "Hướng dẫn"
SUMMARY_SHEET = "Tổng hợp"
CHECK_SHEET = "Kiểm tra"
LISTS_SHEET = "Danh mục"
CONF_SHEET = "xlwings.conf"
HEADER_ROW = 5                  # register header row; data from row 6
FIRST_ROW = HEADER_ROW + 1
NAME_MONTH = "ThangBaoCao"
NAME_PARAMS = "BangThamSo"
NAME_UNIT = "DonVi"

# Where the offline bundle's installer (cai-dat.cmd) puts Python on a ward PC, and so where the
# template's and the add-in's hidden `xlwings.conf` point `Interpreter_Win`: xlwings 0.37.8's VBA
# (GetConfig → ExpandEnvironmentStrings → WScript.ExpandEnvironmentStrings) expands %VARIABLES%
# in every config value, so the one path works for every Windows user without editing.
INSTALL_DIR_WIN = r"%LOCALAPPDATA%\HoTroNQ"
VENV_DIR_WIN = INSTALL_DIR_WIN + r"\venv"
INTERPRETER_WIN = VENV_DIR_WIN + r"\Scripts\pythonw.exe"


def xlwings_conf(interpreter_win: str | None = INTERPRETER_WIN) -> tuple[tuple[str, object], ...]:
    """Rows of a hidden `xlwings.conf` sheet (key in A, value in B; no blank cell in column A):
    the worksheet functions are the `udfs` module of the installed package."""
    return (
        ("Interpreter_Win", interpreter_win),   # None: `python` on PATH
        ("Interpreter_Mac", None),
        ("PYTHONPATH", None),
        ("Conda Path", None),
        ("Conda Env", None),
        ("UDF Modules", "udfs"),
        ("Debug UDFs", False),
        ("Use UDF Server", False),
        ("Show Console", False),
        ("ADD_WORKBOOK_TO_PYTHONPATH", False),   # macros/udfs are pip-installed, never beside the book
    )

COMPUTED_WIDTHS = {"benefit": 13, "topup": 13, "insurance": 9, "end_date": 11.5, "basis": 45}   # characters
FUNCTIONS = {"benefit": "HP_BENEFIT", "topup": "HP_TOPUP", "insurance": "HP_INSURANCE",
             "end_date": "HP_END_DATE", "basis": "HP_BASIS"}
# The worksheet functions' register arguments, in order (udfs contract) → register field.
FUNCTION_ARGS = ("group", "birth", "area", "decision", "allowance", "recognised", "stop", "mother_birth",
                 "pay_from", "stop_pay_from", "household_type")
REQUIRED_FUNCTION_ARGS = 4      # the first four are not Optional in the VBA wrapper

@dataclass(frozen=True)
class RegisterSheet:
    kind: str
    title: str                  # sheet name
    table: str                  # Excel Table name
    heading: str                # title row text
    code_name: str

    @property
    def fields(self):
        return [f for f in FIELDS if self.kind in f.registers and f.template]

    @property
    def inputs(self):
        return [f for f in self.fields if not f.computed]

    def col(self, field: str) -> int:
        return next(i for i, f in enumerate(self.fields, 1) if f.name == field)


REGISTERS = (
    RegisterSheet(NQ55, "Trẻ em NQ55", "T_NQ55",
                  "DANH SÁCH TRẺ EM HƯỞNG HỖ TRỢ THEO NGHỊ QUYẾT 55/2025/NQ-HĐND", "Sheet2"),
    RegisterSheet(NQ04, "Hộ nghèo NQ04", "T_NQ04",
                  "DANH SÁCH THÀNH VIÊN HỘ NGHÈO, CẬN NGHÈO HƯỞNG HỖ TRỢ THEO NGHỊ QUYẾT 04/2026/NQ-HĐND",
                  "Sheet3"),
)
SHEET_ORDER = (GUIDE_SHEET, REGISTERS[0].title, REGISTERS[1].title, SETTINGS_SHEET, SUMMARY_SHEET,
               CHECK_SHEET, LISTS_SHEET, CONF_SHEET)
CODE_NAMES = {name: f"Sheet{i}" for i, name in enumerate(SHEET_ORDER, 1)}

def structured_ref(table: str, header: str) -> str:
    """`T[[header]]`: a whole Table column; the inner brackets allow any character in the header
    (Excel: `[`, `]`, `#`, `'` are escaped with `'`)."""
    escaped = re.sub(r"([\[\]#'])", r"'\1", header)
    return f"{table}[[{escaped}]]"


def column_formula(reg: RegisterSheet, output: str) -> str:
    """The one column-form formula of a computed column (udfs contract argument order)."""
    args = []
    for name in FUNCTION_ARGS:
        field = next((f for f in reg.inputs if f.name == name), None)
        args.append(structured_ref(reg.table, field.header) if field else "")
    return f"={FUNCTIONS[output]}({','.join(args + [NAME_MONTH, NAME_PARAMS])})"


def a1_column(col: int, first: int, last: int) -> str:
    """`$H$5:$H$504`: a register column as an absolute A1 range."""
    from xl_support.book.register import column_letter
    letter = column_letter(col)
    return f"${letter}${first}:${letter}${last}"


def a1_column_formula(output: str, columns: dict[str, int], first: int, last: int, tham_so: str) -> str:
    """The column-form formula of a computed column in a register that is not an Excel Table (a
    ward's own workbook, *Chuẩn bị sổ*): A1 ranges of rows `first..last` of the register's
    columns (udfs contract argument order). A missing optional column is left out; a missing
    required one (Khu vực) is passed as "" (blank: the unit type's default area). The month is left
    out: `Tháng báo cáo` of `tham_so`."""
    args = []
    for i, name in enumerate(FUNCTION_ARGS):
        if name in columns:
            args.append(a1_column(columns[name], first, last))
        else:
            args.append('""' if i < REQUIRED_FUNCTION_ARGS else "")
    return f"={FUNCTIONS[output]}({','.join(args + ['', tham_so])})"
