"""Cell value → typed value, in one place (design.md "Register sheets": dates, amounts, codes).

Every parser returns the typed value or raises `CellError` with a short Vietnamese message.
Empty cells (None, blank text) are `None` — empty is never 0.
"""
from __future__ import annotations

import datetime as dt

from xl_support.book.lazy_re import Pattern
from xl_support.book.text import header_key

EXCEL_EPOCH = dt.date(1899, 12, 30)
_DMY = Pattern(r"^\s*(\d{1,2})\s*[/.-]\s*(\d{1,2})\s*[/.-]\s*(\d{4})\s*$")
_ISO = Pattern(r"^\s*(\d{4})-(\d{2})-(\d{2})(?:[T ][\d:.]+)?\s*$")
_MONTH = Pattern(r"^\s*(\d{1,2})\s*[/.-]\s*(\d{4})\s*$")
_ISO_MONTH = Pattern(r"^\s*(\d{4})-(\d{1,2})\s*$")
MAX_AMOUNT = 10**12      # no amount of these registers comes near; keeps int64 sums far from overflow
_AMOUNT = Pattern(r"^\d{1,3}(\.\d{3})+$|^\d+$")


class CellError(ValueError):
    """A cell that cannot be read; `message` is Vietnamese and shown to staff."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class ExcelError:
    """An error value held by a cell (`#REF!`, `#N/A`, `#DIV/0!`…), as a formula's cached value or
    typed (issue 11.8, one reading of a book: never blank, never text). Every parser rejects it
    with a `CellError` naming the error, so it is reported at its cell."""
    __slots__ = ("code",)

    def __init__(self, code: str):
        self.code = code

    def __eq__(self, other: object) -> bool:
        return isinstance(other, ExcelError) and other.code == self.code

    def __hash__(self) -> int:
        return hash(("ExcelError", self.code))

    def __repr__(self) -> str:
        return f"ExcelError({self.code!r})"


def _reject_error(value: object) -> None:
    if value.__class__ is ExcelError:
        raise CellError(f"ô có lỗi công thức {value.code}")


def is_blank(value: object) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def parse_date(value: object, *, serials: bool = True) -> dt.date | None:
    """A real Excel date, an Excel serial number, or text `dd/mm/yyyy` (also `d/m/yyyy`)."""
    _reject_error(value)
    if is_blank(value):
        return None
    if isinstance(value, dt.datetime):
        value = value.date()
    if isinstance(value, dt.date):
        if not 1900 <= value.year <= 2100:
            raise CellError(f"năm không hợp lệ: {value:%d/%m/%Y}")
        return value
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        if serials and 1 <= value < 2958466 and float(value).is_integer():
            return EXCEL_EPOCH + dt.timedelta(days=int(value))
        raise CellError("ngày không hợp lệ (cần dd/mm/yyyy)")
    if isinstance(value, str):
        m = _DMY.match(value)
        if m:
            d, mo, y = (int(g) for g in m.groups())
        else:
            m = _ISO.match(value)
            if not m:
                raise CellError(f"ngày không hợp lệ: «{value.strip()}» (cần dd/mm/yyyy)")
            y, mo, d = (int(g) for g in m.groups())
        if not 1900 <= y <= 2100:
            raise CellError(f"năm không hợp lệ: «{value.strip()}»")
        try:
            return dt.date(y, mo, d)
        except ValueError:
            raise CellError(f"ngày không tồn tại: «{value.strip()}»") from None
    raise CellError("ngày không hợp lệ (cần dd/mm/yyyy)")


def parse_month(value: object) -> dt.date | None:
    """A report month: a date (its month), `mm/yyyy`, `yyyy-mm` or `dd/mm/yyyy` → first day."""
    _reject_error(value)
    if is_blank(value):
        return None
    if isinstance(value, str):
        m, month_first = _MONTH.match(value), True
        if m is None:
            m, month_first = _ISO_MONTH.match(value), False
        if m:
            a, b = (int(g) for g in m.groups())
            month, year = (a, b) if month_first else (b, a)
            if not 1 <= month <= 12:
                raise CellError(f"tháng không hợp lệ: «{value.strip()}» (cần mm/yyyy)")
            return dt.date(year, month, 1)
    d = parse_date(value)
    return d.replace(day=1)


def parse_amount(value: object) -> int | None:
    """Whole VND: a number, or text with `.` thousands separators (`1.050.000`)."""
    _reject_error(value)
    if is_blank(value):
        return None
    if isinstance(value, bool):
        raise CellError("số tiền không hợp lệ")
    if isinstance(value, int):
        amount = value
    elif isinstance(value, float):
        if not value.is_integer():
            raise CellError(f"số tiền phải là số đồng nguyên: {value}")
        amount = int(value)
    elif isinstance(value, str):
        text = value.strip().replace(" ", "").removesuffix("đ").removesuffix("đồng")
        if not _AMOUNT.match(text):
            raise CellError(f"số tiền không hợp lệ: «{value.strip()[:40]}»")
        digits = text.replace(".", "").lstrip("0")
        if len(digits) > len(str(MAX_AMOUNT)):     # before int(): a 5,000-digit text is no amount
            raise CellError(f"số tiền quá lớn ({len(digits)} chữ số; tối đa {MAX_AMOUNT:,} đồng)".replace(",", "."))
        amount = int(digits or "0")
    else:
        raise CellError("số tiền không hợp lệ")
    if amount < 0:
        raise CellError("số tiền không được âm")
    if amount > MAX_AMOUNT:
        raise CellError(f"số tiền quá lớn: {amount:.3g} (tối đa {MAX_AMOUNT:,} đồng)".replace(",", "."))
    return amount


def parse_text(value: object) -> str | None:
    _reject_error(value)
    if is_blank(value):
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


AREA_CODES = {"thanh thi": "urban", "nong thon": "rural", "urban": "urban", "rural": "rural"}
AREA_LABELS = {"urban": "Thành thị", "rural": "Nông thôn"}


def _look_up(value: object, table: dict, error: str):
    """A cell read through a table keyed by folded text (any case, with or without diacritics);
    blank → None; a text not in the table → CellError(`error`, with the text)."""
    _reject_error(value)
    if is_blank(value):
        return None
    key = header_key(str(value))
    if key not in table:
        raise CellError(error.format(value=value))
    return table[key]


def parse_area(value: object) -> str | None:
    """`Thành thị` / `Nông thôn` (any case, with or without diacritics) → 'urban' / 'rural'."""
    return _look_up(value, AREA_CODES, "khu vực không hợp lệ: «{value}» (Thành thị / Nông thôn)")


def parse_group_code(value: object) -> str | None:
    """Group code as typed, upper-cased; a drop-down label `CN – …` keeps only the code."""
    _reject_error(value)
    if is_blank(value):
        return None
    text = str(value).strip().upper()
    for sep in (" – ", " - ", ":", " "):
        text = text.split(sep)[0]
    return text.replace("_", "-")


YES_NO = {"co": True, "khong": False, "x": True, "yes": True, "no": False}


def parse_yes_no(value: object) -> bool | None:
    return _look_up(value, YES_NO, "cần «Có» hoặc «Không»: «{value}»")


HOUSEHOLD_TYPES = {"ngheo": "Nghèo", "can ngheo": "Cận nghèo", "thoat ngheo": "Thoát nghèo",
                   "thoat can ngheo": "Thoát cận nghèo"}


def parse_household_type(value: object) -> str | None:
    return _look_up(value, HOUSEHOLD_TYPES,
                    "loại hộ không hợp lệ: «{value}» (Nghèo / Cận nghèo / Thoát nghèo / Thoát cận nghèo)")


def to_excel_serial(day: dt.date) -> int:
    return (day - EXCEL_EPOCH).days
