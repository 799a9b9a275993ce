"""Shared pieces of the exports: the unit's names, a document sheet (header, title, table,
signatures, print set-up from `reports.layout`), sheet names and sort keys."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Sequence

from xl_support.book.workbook import Settings
from xl_support.book.fileio import set_text
from xl_support.book.sheets import safe_sheet_name
from xl_support.documents.styles import Alignment, Font
from xl_support.book.xlsx import col_letters
from xl_support.documents.layout import (FONT_NAME, keep_with_next, setup_print, write_document_header,
                                         write_place_date_and_signatures, write_title)
from xl_support.book.text import fold


RESOLUTION_TITLES = {
    "NQ55": "Nghị quyết số 55/2025/NQ-HĐND của Hội đồng nhân dân thành phố Hải Phòng",
    "NQ04": "Nghị quyết số 04/2026/NQ-HĐND của Hội đồng nhân dân thành phố Hải Phòng",
}
RESOLUTION_SHORT = {"NQ55": "NQ 55/2025/NQ-HĐND", "NQ04": "NQ 04/2026/NQ-HĐND"}
REGISTER_ORDER = ("NQ55", "NQ04")


def has_amount(group) -> bool:
    """False for an NQ 04 group still without an amount (`Mức hỗ trợ HN-xx` not entered)."""
    return group.amount_rule != "unconfirmed"


@dataclass(frozen=True)
class UnitNames:
    """How the unit is named on a document."""
    issuer: str        # "ỦY BAN NHÂN DÂN PHƯỜNG ĐỒ SƠN" (NĐ 30/2020: the issuing body in full)
    full: str          # "Phường Đồ Sơn"
    place: str         # "Đồ Sơn" (the place/date line)
    known: bool        # found in the city's list of 114 units

    @property
    def issuer_lines(self) -> tuple[str, str]:
        """The header's two bold lines: ("ỦY BAN NHÂN DÂN", "PHƯỜNG ĐỒ SƠN")."""
        return COMMITTEE, self.issuer[len(COMMITTEE):].strip() or "……………………"

    @property
    def in_text(self) -> str:
        """The name inside a sentence: 'phường Đồ Sơn' (the type word in lower case)."""
        for prefix in ("Phường ", "Xã ", "Đặc khu "):
            if self.full.startswith(prefix):
                return prefix.lower() + self.full[len(prefix):]
        return self.full


COMMITTEE = "ỦY BAN NHÂN DÂN"


def unit_names(settings: Settings) -> UnitNames:
    """Names from the `Tham số` sheet (`Đơn vị`, `Loại đơn vị`); dotted blanks when unknown."""
    if settings.unit is not None:
        u = settings.unit
        return UnitNames(f"{COMMITTEE} {u.type} {u.name}".upper(), u.full_name, u.name, True)
    name = (settings.unit_name or "").strip()
    if name:
        place = name
        for prefix in ("Phường ", "Xã ", "Đặc khu "):
            if name.casefold().startswith(prefix.casefold()):
                place = name[len(prefix):]
        return UnitNames(f"{COMMITTEE} {name}".upper(), name, place, False)
    return UnitNames(f"{COMMITTEE} ……………………", "……………………", "……………", False)


def month_text(month: dt.date) -> str:
    """'Tháng 11 năm 2026'."""
    return f"Tháng {month.month:02d} năm {month.year}" if month.month < 3 else f"Tháng {month.month} năm {month.year}"


def set_widths(ws, widths: Sequence[float]) -> None:
    for i, w in enumerate(widths, start=1):
        ws.column_dimensions[col_letters(i)].width = w


def begin_document(ws, widths: Sequence[float], unit: UnitNames, title: str, subtitles: Sequence[str], *,
                   doc_number: str | None = None, form_note: str | None = None,
                   on: dt.date | None = None) -> int:
    """Column widths, the administrative header (NĐ 30/2020: the committee in full, "Số:", the
    motto, place and date under it when ``on`` is given), an optional form note (e.g. "Mẫu số
    D03-TS") above it on the right, and the title; returns the next free row."""
    set_widths(ws, widths)
    row = 1
    if form_note:
        note(ws, 1, form_note, len(widths), italic=True, horizontal="right")
        row = 2
    upper, body = unit.issuer_lines
    row = write_document_header(ws, issuer_upper=upper, issuer=body, doc_number=doc_number,
                                width_cols=len(widths), first_row=row, upper_bold=True,
                                place_date=(unit.place, on) if on else None)
    return write_title(ws, row, title, subtitles, len(widths))


def note(ws, row: int, text: str, width_cols: int, *, italic: bool = False, bold: bool = False,
         horizontal: str = "left", size: float = 12) -> int:
    """One line of text merged over the table width (wrapped; row height from the text)."""
    from xl_support.documents.layout import _fit_text_height
    cell = ws.cell(row=row, column=1)
    set_text(cell, text)
    cell.font = Font(name=FONT_NAME, size=size, italic=italic, bold=bold)
    cell.alignment = Alignment(horizontal=horizontal, vertical="center", wrap_text=True)
    if width_cols > 1:
        ws.merge_cells(start_row=row, start_column=1, end_row=row, end_column=width_cols)
    _fit_text_height(ws, row, 1, width_cols, text, size, bold)
    if bold:  # a heading: printed on the page of what follows it
        keep_with_next(ws, row)
    return row + 1


def end_document(ws, row: int, unit: UnitNames, on: dt.date, signers, width_cols: int, *,
                 table_header_rows: tuple[int, int] | None, landscape: bool,
                 recipients: Sequence[str] | None = None) -> int:
    """Signature blocks (with *Nơi nhận* on the left when ``recipients`` are given), and the A4
    print set-up with page breaks (`layout.paginate`). Place and date are in the header, under
    the motto (NĐ 30/2020); ``on`` is kept for callers that print no header."""
    row = write_place_date_and_signatures(ws, row, place=None, on=None, signers=signers,
                                          width_cols=width_cols, signature_space_rows=4,
                                          recipients=recipients)
    repeat = f"{table_header_rows[0]}:{table_header_rows[1]}" if table_header_rows else None
    setup_print(ws, landscape=landscape, repeat_rows=repeat)
    return row


def sheet_title(name: str, used: set[str]) -> str:
    """A valid, unique sheet name (`book.sheets.safe_sheet_name`), added to `used`."""
    title = safe_sheet_name(name, used)
    used.add(title)
    return title


def person_key(name: str) -> tuple:
    """Vietnamese list order: by given name (last word), then the full name."""
    words = fold(name or "").split()
    return (words[-1] if words else "", " ".join(words))
