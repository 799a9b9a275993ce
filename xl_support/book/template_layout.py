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

FUNCTIONS = {"benefit": "HP_BENEFIT", "topup": "HP_TOPUP", "insurance": "HP_INSURANCE",
             "end_date": "HP_END_DATE", "basis": "HP_BASIS"}
# The worksheet functions' register arguments, in order (udfs contract) → register field.
FUNCTION_ARGS = ("group", "birth", "area", "decision", "allowance", "recognised", "stop", "mother_birth")

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
