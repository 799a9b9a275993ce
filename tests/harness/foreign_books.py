"""Ward register workbooks that did NOT come from our template (issue 15): title rows, the header
on row 4 or row 12, columns in another order, unknown columns, header synonyms, no `Tham số`.
Made by code from `xl_support.build.sample` people; dates as real dates, IDs as text."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

import openpyxl

from xl_support.book.register import NQ04, NQ55
from xl_support.build.sample import sample_people


@dataclass(frozen=True)
class Layout:
    sheet: str
    register: str
    header_row: int
    columns: tuple[tuple[str, str | None], ...]    # (header text, field or None for an unknown column)
    titles: tuple[tuple[str, str], ...] = ()        # (cell, text) above the header
    numbering: bool = False                         # a row of column numbers (1), (2)… under the header

    @property
    def first_row(self) -> int:
        return self.header_row + (2 if self.numbering else 1)


# NQ 55: header on row 4 (three title rows), synonyms, another order, two unknown columns.
CHILDREN = Layout(
    sheet="DS tre em 2026", register=NQ55, header_row=4,
    titles=(("A1", "UBND PHƯỜNG ĐỒ SƠN"), ("A2", "DANH SÁCH TRẺ EM HƯỞNG HỖ TRỢ NĂM 2026"),
            ("F2", "(kèm theo Kế hoạch số 12/KH-UBND)")),
    columns=(("TT", "stt"), ("Họ tên", "name"), ("Mã ĐT", "group"), ("Số CCCD", "id"),
             ("Ngày tháng năm sinh", "birth"), ("Số hộ khẩu", None), ("Giới tính", "sex"),
             ("TDP", "residential_group"), ("Khu vực", "area"), ("Ngày QĐ", "decision"),
             ("Trợ cấp đang hưởng", "allowance"), ("Ngày công nhận", "recognised"),
             ("Ngày sinh mẹ", "mother_birth"), ("Điện thoại liên hệ", None), ("Ngày thôi hưởng", "stop"),
             ("Trường", "school"), ("Ghi chú", "note")),
)
# NQ 04: header on row 12 (an administrative heading above), a row of column numbers under it,
# no area column, no stop column.
HOUSEHOLDS = Layout(
    sheet="Ho ngheo", register=NQ04, header_row=12, numbering=True,
    titles=(("A1", "ỦY BAN NHÂN DÂN"), ("A2", "XÃ AN LÃO"), ("E1", "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM"),
            ("E2", "Độc lập - Tự do - Hạnh phúc"), ("A5", "DANH SÁCH THÀNH VIÊN HỘ NGHÈO, CẬN NGHÈO"),
            ("A6", "được hỗ trợ theo Nghị quyết số 04/2026/NQ-HĐND"), ("A8", "Cập nhật đến ngày 30/10/2026"),
            ("A10", "Đơn vị tính: đồng")),
    columns=(("Số TT", "stt"), ("Mã nhóm", "group"), ("Họ và tên đối tượng", "name"), ("Loại hộ", "household_type"),
             ("Ngày sinh", "birth"), ("Số định danh", "id"), ("Ngày công nhận thoát nghèo", "recognised"),
             ("Mức trợ cấp xã hội đang hưởng", "allowance"), ("Thôn", "residential_group"),
             ("Ngày ký quyết định", "decision"), ("Ghi chú", "note")),
)


def write_register(ws, layout: Layout, people: list[dict]) -> None:
    for cell, text in layout.titles:
        ws[cell] = text
    for c, (header, _field) in enumerate(layout.columns, 1):
        ws.cell(layout.header_row, c, header)
        if layout.numbering:
            ws.cell(layout.header_row + 1, c, f"({c})")
    for r, person in enumerate(people, layout.first_row):
        for c, (header, field) in enumerate(layout.columns, 1):
            value = person.get(field) if field else (f"HK-{r:04d}" if "hộ khẩu" in header else f"09{r:08d}")
            if value is None:
                continue
            cell = ws.cell(r, c, value)
            if isinstance(value, dt.date):
                cell.number_format = "dd/mm/yyyy"
            elif field == "id":
                cell.number_format = "@"


def people(layout: Layout, n: int, seed: int) -> list[dict]:
    rows = sample_people(n, layout.register, seed=seed, area="Thành thị")
    if layout.register == NQ55:
        rows[1]["area"] = "Nông thôn"
        rows[2]["area"] = None
    return rows


def write_foreign_book(path: str | Path, layouts=(CHILDREN, HOUSEHOLDS), n: int = 12, seed: int = 3,
                       extra_sheet: bool = True) -> Path:
    """A ward's own workbook: the given registers (distinct IDs), a notes sheet, no `Tham số`."""
    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    if extra_sheet:
        notes = wb.create_sheet("Ghi chu")
        notes["A1"] = "Sổ theo dõi của cán bộ phụ trách; không phải danh sách."
    for i, layout in enumerate(layouts):
        write_register(wb.create_sheet(layout.sheet), layout, people(layout, n, seed + 100 * i))
    wb.save(path)
    return Path(path)


def values(wb, skip=()) -> dict:
    """Every non-empty cell value → for 'no input cell changed' checks."""
    return {(ws.title, c.coordinate): c.value for ws in wb.worksheets if ws.title not in skip
            for row in ws.iter_rows() for c in row if c.value is not None}
