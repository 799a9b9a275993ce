"""Administrative layout of Vietnamese official documents on a worksheet (`documents.xlsx`, or openpyxl).

Every export (city report, D03-TS list, payroll, public list, budget) is built from these
blocks, following the presentation rules of Nghị định 30/2020/NĐ-CP (Phụ lục I, công tác văn
thư) as far as a worksheet allows:

* :func:`write_document_header` — issuing body on the left (superior body upper-case regular,
  issuing body upper-case bold with a short rule under it, then "Số: ..."), national title
  "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM" (bold) and motto "Độc lập - Tự do - Hạnh phúc" (bold,
  underlined over its own length) on the right;
* :func:`write_title` — title in bold upper case, subtitle lines (bold/italic) centred;
* :func:`write_table` — header (bold, wrapped, borders, grey fill, optional two-level
  grouping), a row of column numbers ("(1)", "(2)"… or "A", "B", "1" as in D03-TS), data rows,
  section headings ("I. Tăng", "Tổ dân phố 1"), subtotal rows ("Cộng tăng") and a grand total
  row ("Tổng cộng");
* :func:`write_place_date_and_signatures` — "Đồ Sơn, ngày 23 tháng 11 năm 2026" (italic) and
  the signature blocks;
* :func:`setup_print` — A4, margins, fit to page width, title rows repeated, centred, page
  numbers "Trang &P/&N" in the footer.

Decisions:

* Font "Times New Roman" (the font NĐ 30/2020 prescribes): 12 pt for tables and the header
  blocks, 13 pt for the motto, 14 pt for the title. Where Times New Roman is not installed
  (this Linux machine) LibreOffice substitutes Liberation Serif, which is metric-compatible, so
  line breaks and page breaks stay the same as on a Windows PC.
* Totals are computed ints written as values, not ``=SUM()`` formulas: a reader (and a tool
  without a formula engine: calamine, pandas, a PDF) sees the figure; nothing is recalculated
  or left without a cached value. The report is a snapshot; the live register keeps formulas.
* Money uses the number format ``#,##0`` — the number stays a number, and the thousands
  separator is the reader's locale: "1.250.000" in Excel with Vietnamese regional settings,
  "1,250,000" in an English locale (and in LibreOffice here, en-US). Dates use ``dd/mm/yyyy``.
* Row heights are set explicitly from an estimate of the wrapped text (Excel never auto-fits
  merged cells, and the estimate makes Excel and LibreOffice paginate alike). The estimate
  errs on the tall side.
* User text goes through :func:`xl_support.fileio.set_text`: a name starting with "=" stays text.
* Day numbers below 10 and months 1 and 2 are written with a leading zero in the place/date
  line ("ngày 05 tháng 01 năm 2026"), as NĐ 30/2020 requires.
"""

from __future__ import annotations

import datetime as _dt
import functools
import unicodedata
import weakref
from copy import copy
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal, Sequence, Union

from xl_support.book.fileio import set_text
from xl_support.book.xlsx import col_letters
from xl_support.documents.styles import Alignment, Border, Font, PatternFill, Side, openpyxl_style

if TYPE_CHECKING:  # openpyxl is imported only where an openpyxl workbook is written (issue 18 item 5)
    from openpyxl import Workbook
    from openpyxl.worksheet.worksheet import Worksheet

__all__ = [
    "FONT_NAME",
    "use_document_font",
    "new_report_workbook",
    "new_document_book",
    "ColumnSpec",
    "Section",
    "write_document_header",
    "write_title",
    "write_table",
    "write_place_date_and_signatures",
    "setup_print",
    "place_date_text",
    "MONEY_FORMAT",
    "DATE_FORMAT",
]

FONT_NAME = "Times New Roman"
SIZE_BODY = 12
SIZE_MOTTO = 13
SIZE_TITLE = 14
MONEY_FORMAT = "#,##0"
INT_FORMAT = "#,##0"
DATE_FORMAT = "dd/mm/yyyy"
HEADER_FILL = PatternFill(fill_type="solid", start_color="FFD9D9D9", end_color="FFD9D9D9")

_THIN = Side(style="thin", color="FF000000")
_BOX = Border(left=_THIN, right=_THIN, top=_THIN, bottom=_THIN)

Kind = Literal["text", "int", "money", "date", "center"]
_KINDS = ("text", "int", "money", "date", "center")


def _font(size: float = SIZE_BODY, *, bold: bool = False, italic: bool = False,
          underline: str | None = None) -> Font:
    return Font(name=FONT_NAME, size=size, bold=bold, italic=italic, underline=underline)


# ---------------------------------------------------------------- text measuring

# Advance widths (1/1000 em) of ASCII 32..126 in Times Roman and Times Bold (the Adobe core
# font metrics; Times New Roman and Liberation Serif share them closely).
_TIMES = [int(x) for x in (
    "250 333 408 500 500 833 778 180 333 333 500 564 250 333 250 278 500 500 500 500 500 500 "
    "500 500 500 500 278 278 564 564 564 444 921 722 667 667 722 611 556 722 722 333 389 722 "
    "611 889 722 722 556 722 667 556 611 722 722 944 722 722 611 333 278 333 469 500 333 444 "
    "500 444 500 444 333 500 500 278 278 500 278 778 500 500 500 500 333 389 278 500 500 722 "
    "500 500 444 480 200 480 541").split()]
_TIMES_BOLD = [int(x) for x in (
    "250 333 555 500 500 1000 833 278 333 333 500 570 250 333 250 278 500 500 500 500 500 500 "
    "500 500 500 500 333 333 570 570 570 500 930 722 667 722 722 667 611 778 778 389 500 778 "
    "667 944 722 778 611 778 722 556 667 722 722 1000 722 722 667 333 278 333 581 500 333 500 "
    "556 444 556 444 333 500 556 278 333 556 278 833 556 500 556 556 444 389 333 556 500 722 "
    "500 500 444 394 220 394 520").split()]


@functools.lru_cache(maxsize=None)
def _char_em(ch: str, bold: bool = False) -> float:
    """Advance width of one character in em: Vietnamese letters take their base letter's
    width (the horn of ơ/ư adds a little); other characters count as an average letter."""
    base = unicodedata.normalize("NFD", ch)[0] if ch else " "
    base = {"đ": "d", "Đ": "D"}.get(ch, base)
    code = ord(base)
    table = _TIMES_BOLD if bold else _TIMES
    width = table[code - 32] / 1000 if 32 <= code <= 126 else 0.55
    if "\u031b" in unicodedata.normalize("NFD", ch):  # combining horn
        width += 0.08
    return width


def _text_pt(text: str, size: float, bold: bool) -> float:
    """Estimated printed width of a one-line text, in points (5 % margin)."""
    table = _EM_BOLD if bold else _EM_REGULAR
    try:
        em = sum(map(table.__getitem__, text))
    except KeyError:
        for c in set(text):
            table.setdefault(c, _char_em(c, bold))
        em = sum(map(table.__getitem__, text))
    return em * size * 1.05


_EM_REGULAR: dict[str, float] = {}
_EM_BOLD: dict[str, float] = {}


def _max_digit_px(ws: Worksheet) -> int:
    """Excel's column-width unit: the max digit width, in pixels at 96 dpi, of the workbook's
    default font (Calibri 11: 7 px; Times New Roman 12: 8 px)."""
    fonts = getattr(ws.parent, "_fonts", None)
    font = fonts[0] if fonts else None
    if font is not None and font.name in (FONT_NAME, "Liberation Serif") and font.sz:
        return max(1, round(0.5 * float(font.sz) * 96 / 72))
    return 7


def _col_pt(ws: Worksheet, col: int) -> float:
    """Width of one column in points (Excel: width × max digit width + 5 px, at 96 dpi)."""
    width = ws.column_dimensions[col_letters(col)].width or 8.43
    return (width * _max_digit_px(ws) + 5) * 0.75


def _span_pt(ws: Worksheet, first: int, last: int) -> float:
    return sum(_col_pt(ws, c) for c in range(first, last + 1)) - 4  # cell padding


@functools.lru_cache(maxsize=1 << 16)
def _line_count(text: str, width_pt: float, size: float, bold: bool) -> int:
    """Lines the text takes when wrapped (greedy word wrap, explicit line breaks kept)."""
    if "\n" not in text and _text_pt(text, size, bold) <= width_pt:
        return 1
    lines = 0
    space = _text_pt(" ", size, bold)
    for paragraph in str(text).split("\n"):
        used, lines = 0.0, lines + 1
        for word in paragraph.split(" "):
            w = _text_pt(word, size, bold)
            if used and used + space + w > width_pt:
                lines += 1
                used = w
            else:
                used += (space if used else 0) + w
            while used > width_pt > 0:  # a word longer than the line breaks by characters
                lines += 1
                used -= width_pt
    return lines


def _line_height(size: float) -> float:
    return size * 1.22


def _fit_height(ws: Worksheet, row: int, height: float) -> None:
    """Raise the row height to at least ``height`` points."""
    dim = ws.row_dimensions[row]
    if dim.height is None or dim.height < height:
        dim.height = round(height, 2)


def _fit_text_height(ws, row, first, last, text, size, bold, *, extra: float = 2.0) -> None:
    lines = _line_count(text, _span_pt(ws, first, last), size, bold)
    _fit_height(ws, row, lines * _line_height(size) + extra)


def _style_of(ws):
    """Style values as the sheet takes them: as they are in a `documents.xlsx` sheet, as openpyxl
    objects in an openpyxl one."""
    return _as_is if _is_doc(ws) else openpyxl_style


def _as_is(value):
    return value


def _put(ws: Worksheet, row: int, first: int, last: int, value: Any, *, font: Font,
         horizontal: str = "center", vertical: str = "center", wrap: bool = True,
         border: Border | None = None, fill: PatternFill | None = None,
         number_format: str | None = None, fit: bool = True):
    """Write one value in a (merged when ``last > first``) range of one row, styled."""
    cell = ws.cell(row=row, column=first)
    set_text(cell, value)
    style = _style_of(ws)
    cell.font = style(font)
    cell.alignment = style(Alignment(horizontal=horizontal, vertical=vertical, wrap_text=wrap))
    if number_format:
        cell.number_format = number_format
    if fill is not None:
        for c in range(first, last + 1):
            ws.cell(row=row, column=c).fill = style(fill)
    if border is not None:
        for c in range(first, last + 1):
            ws.cell(row=row, column=c).border = style(border)
    if last > first:
        ws.merge_cells(start_row=row, start_column=first, end_row=row, end_column=last)
    if fit and isinstance(value, str) and value:
        _fit_text_height(ws, row, first, last, value, font.sz, bool(font.b))
    return cell


def _blocks(ws: Worksheet, first: int, last: int, n: int, *, min_last_pt: float = 0.0):
    """Split columns first..last into n consecutive (first, last) blocks of about equal
    printed width; the last block is widened to at least ``min_last_pt`` points if possible."""
    cols = list(range(first, last + 1))
    if n < 1 or len(cols) < n:
        raise ValueError(f"cannot split {len(cols)} columns into {n} blocks")
    widths = [_col_pt(ws, c) for c in cols]
    if n == 1:
        return [(first, last)]
    # last block: the shortest tail reaching the target, leaving a column per other block
    target = max(min_last_pt, sum(widths) / n)
    start_last, tail = len(cols), 0.0
    while start_last > n - 1 and tail < target:
        start_last -= 1
        tail += widths[start_last]
    head = widths[:start_last]
    goal = sum(head) / (n - 1)
    cuts, acc = [], 0.0  # cuts[k] = index where block k+1 starts
    for i, w in enumerate(head[:-1]):
        acc += w
        blocks_left = (n - 1) - (len(cuts) + 1)
        if len(cuts) < n - 2 and (acc >= goal * (len(cuts) + 1) or len(head) - (i + 1) == blocks_left):
            cuts.append(i + 1)
    starts = [0] + cuts + [start_last]
    bounds = [(cols[starts[k]], cols[starts[k + 1] - 1]) for k in range(n - 1)]
    return bounds + [(cols[start_last], cols[-1])]


# ---------------------------------------------------------------- workbook font

def use_document_font(wb: Workbook, *, name: str = FONT_NAME, size: float = SIZE_BODY) -> None:
    """Make ``name`` ``size`` the workbook's default font (the "Normal" style and font 0).

    Call it on a new report workbook before writing: Excel measures column widths in digits of
    the default font, so with Times New Roman as default the widths mean the same in Excel and
    in LibreOffice (which substitutes the metric-compatible Liberation Serif), while openpyxl's
    default Calibri is replaced by a wider font on machines without it. Do not call it on a
    ward's register workbook: it would change the look of every sheet.
    """
    font = openpyxl_style(Font(name=name, size=size, family=1))
    fonts = wb._fonts  # openpyxl keeps the default font at index 0 of this IndexedList
    list.__setitem__(fonts, 0, font)
    fonts._rebuild_dict()  # refresh the value → index map
    wb._named_styles["Normal"].font = font


def new_document_book():
    """A new export workbook written by the fast writer of :mod:`xl_support.documents.xlsx`
    (same layout calls; Times New Roman 12 is its default font)."""
    from xl_support.documents.xlsx import DocBook
    return DocBook()


def new_report_workbook() -> Workbook:
    """A new openpyxl Workbook whose default font is the document font."""
    from openpyxl import Workbook
    wb = Workbook()
    use_document_font(wb)
    stamp_version(wb)
    return wb


def stamp_version(wb: Workbook) -> None:
    """The program and its version in the file's properties (issue 14: every export says which
    version made it; Excel: File → Info → Properties)."""
    from xl_support import __version__
    wb.properties.version = __version__
    wb.properties.description = f"Lập bằng hp-support {__version__}"


# ---------------------------------------------------------------- document header

def write_document_header(
    ws: Worksheet,
    *,
    issuer_upper: str | None,
    issuer: str,
    doc_number: str | None,
    width_cols: int,
    first_row: int = 1,
    first_col: int = 1,
    place_date: tuple[str, _dt.date] | None = None,
    left_share: float = 0.42,
    upper_bold: bool = False,
) -> int:
    """Write the administrative header (NĐ 30/2020, Phụ lục I, mục 1–4) from ``first_row``;
    return the next free row.

    Left block, over about ``left_share`` of the width: ``issuer_upper`` (superior body, e.g.
    "UBND PHƯỜNG ĐỒ SƠN", upper case, regular; may be None), ``issuer`` (e.g. "PHÒNG VĂN HÓA -
    XÃ HỘI", upper case, bold) with a short rule under it, and "Số: {doc_number}" (e.g.
    ``"   /BC-UBND"``; None: no number line). Right block: the national title and the motto.
    ``place_date`` puts "Đồ Sơn, ngày … tháng … năm …" (italic) on the right of the number
    line, under the motto (NĐ 30/2020 Phụ lục I mục 5). ``upper_bold``: the first line is
    bold too — a People's Committee is named in full on two bold lines ("ỦY BAN NHÂN DÂN",
    "PHƯỜNG ĐỒ SƠN"), without a superior body.
    """
    if width_cols < 2:
        raise ValueError("the header needs at least 2 columns")
    last_col = first_col + width_cols - 1
    n_left = max(1, min(width_cols - 1, round(width_cols * left_share)))
    left = (first_col, first_col + n_left - 1)
    right = (first_col + n_left, last_col)
    row = first_row

    left_lines: list[tuple[str, Font]] = []
    if issuer_upper:
        left_lines.append((issuer_upper.upper(), _font(SIZE_BODY, bold=upper_bold)))
    left_lines.append((issuer.upper(), _font(SIZE_BODY, bold=True)))
    right_lines = [
        ("CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", _font(SIZE_BODY, bold=True)),
        ("Độc lập - Tự do - Hạnh phúc", _font(SIZE_MOTTO, bold=True, underline="single")),
    ]
    # Align the issuer (bold) with the motto when there is a superior body line.
    if len(left_lines) == 1:
        left_lines.insert(0, ("", _font(SIZE_BODY)))
    for (ltext, lfont), (rtext, rfont) in zip(left_lines, right_lines):
        _put(ws, row, *left, ltext, font=lfont)
        _put(ws, row, *right, rtext, font=rfont)
        row += 1
    # short rule under the issuing body: a bottom border on the middle third of the left block
    _rule_under(ws, row, *left, issuer.upper())
    row += 1
    if doc_number is not None or place_date is not None:
        if doc_number is not None:
            _put(ws, row, *left, f"Số: {doc_number}", font=_font(SIZE_BODY))
        if place_date is not None:
            _put(ws, row, *right, place_date_text(*place_date), font=_font(SIZE_BODY, italic=True))
        row += 1
    return row + 1  # a blank row before the title


def _rule_under(ws: Worksheet, row: int, first: int, last: int, above_text: str) -> None:
    """A short rule centred under a text (NĐ 30/2020: 1/3 to 1/2 of the text's length): a
    centred run of underscores, which renders as one continuous line whatever the widths of
    the columns below (a cell border could only follow column edges)."""
    size = 7
    count = max(6, round(_text_pt(above_text, SIZE_BODY, True) * 0.4 / (0.5 * size)))
    _put(ws, row, first, last, "_" * count, font=_font(size), vertical="top", fit=False)
    _fit_height(ws, row, 9)


# ---------------------------------------------------------------- title

def write_title(
    ws: Worksheet,
    row: int,
    title: str,
    subtitle_lines: Sequence[str] = (),
    width_cols: int = 1,
    *,
    first_col: int = 1,
    italic_subtitles: bool = False,
) -> int:
    """Write the title (upper case, bold, 14 pt, centred over ``width_cols`` merged columns)
    and its subtitle lines (bold, or italic when ``italic_subtitles``, 12–13 pt); return the
    next free row (one blank row left after them)."""
    last = first_col + width_cols - 1
    _put(ws, row, first_col, last, title.upper(), font=_font(SIZE_TITLE, bold=True))
    row += 1
    for line in subtitle_lines:
        font = _font(SIZE_BODY, italic=True) if italic_subtitles else _font(SIZE_MOTTO, bold=True)
        _put(ws, row, first_col, last, line, font=font)
        row += 1
    return row + 1


# ---------------------------------------------------------------- tables

@dataclass(frozen=True)
class ColumnSpec:
    """One table column.

    ``kind``: 'text' (left, wrapped), 'center' (centred text or small numbers such as STT),
    'int' (centred, ``#,##0``), 'money' (whole VND, right, ``#,##0``), 'date' (centred,
    ``dd/mm/yyyy``; a text such as a birth year alone is written as text).
    ``number_label``: the label in the column-number row; default "(1)", "(2)", …; D03-TS uses
    "A", "B", "1", "2", ….  ``group``: adjacent columns with the same group get a merged upper
    header (e.g. "Số tiền (đồng)" over "Tháng 1", "Tháng 2").  ``summed``: whether subtotal and
    total rows add this column (default: money columns).
    """

    header: str
    width: float
    kind: Kind = "text"
    number_label: str | None = None
    group: str | None = None
    summed: bool | None = None

    def __post_init__(self):
        if self.kind not in _KINDS:
            raise ValueError(f"unknown column kind {self.kind!r}; expected one of {_KINDS}")

    @property
    def is_summed(self) -> bool:
        return self.kind == "money" if self.summed is None else self.summed


@dataclass
class Section:
    """A group of rows under a heading row ("I. Tăng", "Tổ dân phố 1"), optionally closed by a
    subtotal row ("Cộng tăng"). ``rows`` may hold nested sections. ``subtotal_values`` (column
    index → value) overrides or adds cells of the subtotal row (e.g. a head count)."""

    title: str
    rows: Sequence[Union[Sequence[Any], "Section"]] = field(default_factory=list)
    subtotal_label: str | None = None
    subtotal_values: dict[int, Any] | None = None


def _check_int(value: Any, column: ColumnSpec) -> Any:
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        raise TypeError(f"column {column.header!r}: a bool is not a number")
    if isinstance(value, int):
        return value
    if hasattr(value, "__index__"):  # numpy integers
        return int(value)
    if isinstance(value, str):
        return value  # e.g. "—", "Chưa có mức"
    raise TypeError(
        f"column {column.header!r} ({column.kind}) takes whole numbers (VND ints), got {value!r}"
    )


_STYLE_CACHE: "weakref.WeakKeyDictionary[Workbook, dict]" = weakref.WeakKeyDictionary()
#: Per sheet: rows to print on the same page as the next row (headings), row ranges never split
#: across pages (signature blocks, short tables) and the tables written (header rows, last row).
_KEEP_NEXT: "weakref.WeakKeyDictionary[Any, set]" = weakref.WeakKeyDictionary()
_KEEP_TOGETHER: "weakref.WeakKeyDictionary[Any, list]" = weakref.WeakKeyDictionary()
_TABLES: "weakref.WeakKeyDictionary[Any, list]" = weakref.WeakKeyDictionary()


def keep_with_next(ws, row: int) -> None:
    """Print ``row`` (a heading) on the same page as the row under it (no orphaned heading)."""
    _KEEP_NEXT.setdefault(ws, set()).add(row)


def keep_together(ws, first: int, last: int) -> None:
    """Never split rows ``first``..``last`` across two pages when they fit on one."""
    _KEEP_TOGETHER.setdefault(ws, []).append((first, last))
_SHARED_STYLES: dict[tuple, tuple] = {}


def _write_value(ws: Worksheet, row: int, col: int, value: Any, column: ColumnSpec, *,
                 bold: bool, size: float) -> None:
    cell = ws.cell(row=row, column=col)
    kind = column.kind
    if kind in ("money", "int"):
        value = _check_int(value, column)
    if kind == "date" and isinstance(value, (_dt.date, _dt.datetime)):
        cell.value = value
        cell.number_format = DATE_FORMAT
    elif kind in ("money", "int") and isinstance(value, int):
        cell.value = value
        cell.number_format = MONEY_FORMAT if kind == "money" else INT_FORMAT
    else:
        set_text(cell, value)
    horizontal = {"text": "left", "money": "right"}.get(kind, "center")
    if not hasattr(cell, "_style"):  # a documents.xlsx sheet: shared style objects, no hashing
        key = (horizontal, size, bold)
        shared = _SHARED_STYLES.get(key)
        if shared is None:
            shared = _SHARED_STYLES[key] = (
                Alignment(horizontal=horizontal, vertical="center", wrap_text=True), _font(size, bold=bold))
        cell.alignment, cell.font = shared
        cell.border = _BOX
        return
    # Assigning openpyxl style objects hashes them into the workbook's style tables (most of
    # the time of a table); the same assignments on the same prior style always give the same
    # style array, so it is computed once per workbook and copied.
    cache = _STYLE_CACHE.setdefault(ws.parent, {})
    key = (None if cell._style is None else tuple(cell._style), horizontal, size, bold)
    styled = cache.get(key)
    if styled is not None:
        cell._style = copy(styled)
        return
    cell.alignment = openpyxl_style(Alignment(horizontal=horizontal, vertical="center", wrap_text=True))
    cell.font = openpyxl_style(_font(size, bold=bold))
    cell.border = openpyxl_style(_BOX)
    cache[key] = copy(cell._style)


_FAST_STYLES: dict[tuple, tuple] = {}


def _fast_style(column: ColumnSpec, size: float) -> tuple:
    """Shared style tuples of one column for `documents.xlsx` rows: (font, alignment, text style,
    value style, kind, quoted-text style); a style is (font, alignment, border, number format,
    quote prefix)."""
    key = (column.kind, size)
    found = _FAST_STYLES.get(key)
    if found is None:
        horizontal = {"text": "left", "money": "right"}.get(column.kind, "center")
        font = _font(size)
        align = Alignment(horizontal=horizontal, vertical="center", wrap_text=True)
        value_fmt = {"money": MONEY_FORMAT, "int": INT_FORMAT, "date": DATE_FORMAT}.get(column.kind, "General")
        found = _FAST_STYLES[key] = (font, align, (font, align, _BOX, "General", False),
                                     (font, align, _BOX, value_fmt, False), column.kind,
                                     (font, align, _BOX, "General", True))
    return found


def _display_text(value: Any, column: ColumnSpec) -> str:
    if value is None:
        return ""
    if isinstance(value, (_dt.date, _dt.datetime)):
        return "00/00/0000"
    if isinstance(value, int) and not isinstance(value, bool):
        return f"{value:,}"
    return str(value)


def _fit_row(ws: Worksheet, row: int, first_col: int, columns: Sequence[ColumnSpec],
             values: Sequence[Any], size: float, bold: bool,
             widths: Sequence[float] | None = None) -> None:
    lines = 1
    for i, (column, value) in enumerate(zip(columns, values)):
        text = _display_text(value, column)
        if text:
            width = widths[i] if widths is not None else _span_pt(ws, first_col + i, first_col + i)
            lines = max(lines, _line_count(text, width, size, bold))
    _fit_height(ws, row, lines * _line_height(size) + 3)


def _sum_rows(items: Sequence[Any], columns: Sequence[ColumnSpec]) -> dict[int, int]:
    """Totals of the summed columns over every data row (nested sections included)."""
    totals = {i: 0 for i, c in enumerate(columns) if c.is_summed}
    for item in items:
        if isinstance(item, Section):
            for i, v in _sum_rows(item.rows, columns).items():
                totals[i] += v
        else:
            for i in totals:
                v = _check_int(item[i], columns[i])
                if isinstance(v, int):
                    totals[i] += v
    return totals


def _write_total_row(ws, row, first_col, columns, label, values: dict[int, Any], size) -> None:
    """A bold total row: the label merged over the leading columns that carry no value."""
    n = len(columns)
    first_value = min((i for i, v in values.items() if v is not None), default=n)
    label_span = max(1, first_value)
    row_values: list[Any] = [None] * n
    for i, v in values.items():
        row_values[i] = v
    for i in range(label_span, n):
        _write_value(ws, row, first_col + i, row_values[i], columns[i], bold=True, size=size)
    if first_value == 0:  # no room for a label: values only
        _write_value(ws, row, first_col, row_values[0], columns[0], bold=True, size=size)
    else:
        _put(ws, row, first_col, first_col + label_span - 1, label,
             font=_font(size, bold=True), border=_BOX, fit=False)
    label_lines = _line_count(label, _span_pt(ws, first_col, first_col + label_span - 1), size, True)
    fit_values = [None] * label_span + row_values[label_span:]
    _fit_row(ws, row, first_col, columns, fit_values, size, True)
    _fit_height(ws, row, label_lines * _line_height(size) + 4)


def write_table(
    ws: Worksheet,
    row: int,
    columns: Sequence[ColumnSpec],
    rows: Sequence[Union[Sequence[Any], Section]],
    *,
    first_col: int = 1,
    number_row: bool = True,
    total_label: str | None = "Tổng cộng",
    totals: dict[int, Any] | None = None,
    font_size: float = SIZE_BODY,
    set_widths: bool = True,
) -> int:
    """Write a bordered table from ``row``; return the next free row.

    ``rows`` holds data rows (one value per column, in column order) and/or :class:`Section`
    items (heading, rows, optional subtotal). Money and int cells take whole ints; dates take
    ``datetime.date``; text is written as text (never a formula). When ``total_label`` is not
    None a grand total row adds every summed column over all data rows (computed ints, see the
    module notes); ``totals`` (column index → value) overrides or adds cells of that row.
    The header occupies one row (two when a column has a ``group``) plus the number row; pass
    those rows to :func:`setup_print` as ``repeat_rows``.
    """
    if not columns:
        raise ValueError("a table needs at least one column")
    n = len(columns)
    last_col = first_col + n - 1
    if set_widths:
        for i, column in enumerate(columns):
            ws.column_dimensions[col_letters(first_col + i)].width = column.width

    # header: one level, or two when groups are used
    two_levels = any(c.group for c in columns)
    header_font = _font(font_size, bold=True)
    top = row
    if two_levels:
        spanning: list[int] = []  # columns without a group: merged over both header rows
        i = 0
        while i < n:
            group = columns[i].group
            j = i
            while group and j + 1 < n and columns[j + 1].group == group:
                j += 1
            if group:
                _put(ws, top, first_col + i, first_col + j, group, font=header_font,
                     border=_BOX, fill=HEADER_FILL)
                for k in range(i, j + 1):
                    _put(ws, top + 1, first_col + k, first_col + k, columns[k].header,
                         font=header_font, border=_BOX, fill=HEADER_FILL)
            else:
                c = first_col + i
                cell = ws.cell(row=top, column=c)
                set_text(cell, columns[i].header)
                style = _style_of(ws)
                cell.font = style(header_font)
                cell.alignment = style(Alignment(horizontal="center", vertical="center", wrap_text=True))
                for r in (top, top + 1):
                    ws.cell(row=r, column=c).border = style(_BOX)
                    ws.cell(row=r, column=c).fill = style(HEADER_FILL)
                ws.merge_cells(start_row=top, start_column=c, end_row=top + 1, end_column=c)
                spanning.append(i)
            i = j + 1
        _fit_height(ws, top, _line_height(font_size) + 4)
        _fit_height(ws, top + 1, _line_height(font_size) + 4)
        for i in spanning:  # the two rows together must hold the spanning header's text
            lines = _line_count(columns[i].header, _span_pt(ws, first_col + i, first_col + i),
                                font_size, True)
            need = lines * _line_height(font_size) + 4
            _fit_height(ws, top + 1, need - ws.row_dimensions[top].height)
        row = top + 2
    else:
        for i, column in enumerate(columns):
            _put(ws, top, first_col + i, first_col + i, column.header, font=header_font,
                 border=_BOX, fill=HEADER_FILL)
        row = top + 1

    header_last = row - 1 + (1 if number_row else 0)
    for r in range(top, header_last + 1):
        keep_with_next(ws, r)
    if number_row:
        for i, column in enumerate(columns):
            label = column.number_label if column.number_label is not None else f"({i + 1})"
            _put(ws, row, first_col + i, first_col + i, label,
                 font=_font(font_size - 1, italic=True), border=_BOX)
        row += 1

    widths = [_span_pt(ws, first_col + i, first_col + i) for i in range(n)]
    fast = _is_doc(ws)
    if fast:
        from xl_support.book.fileio import FORMULA_TRIGGERS, excel_safe
        base = [_fast_style(c, font_size) for c in columns]
        numeric_fit = [w < 70 for w in widths]  # numbers can need two lines in narrow columns only
        date_lines = [_line_count("00/00/0000", w, font_size, False) for w in widths]

    def emit(items: Sequence[Any], depth: int) -> None:
        nonlocal row
        for item in items:
            if isinstance(item, Section):
                _put(ws, row, first_col, last_col, item.title,
                     font=_font(font_size, bold=True, italic=depth > 0),
                     horizontal="left", border=_BOX)
                keep_with_next(ws, row)
                row += 1
                emit(item.rows, depth + 1)
                if item.subtotal_label is not None:
                    keep_with_next(ws, row - 1)  # a subtotal never starts a page alone
                    values: dict[int, Any] = dict(_sum_rows(item.rows, columns))
                    values.update(item.subtotal_values or {})
                    _write_total_row(ws, row, first_col, columns, item.subtotal_label,
                                     values, font_size)
                    row += 1
            else:
                if len(item) != n:
                    raise ValueError(f"a table row has {len(item)} values for {n} columns: {item!r}")
                if fast:
                    values, styles, lines = [], [], 1
                    for i, value in enumerate(item):
                        b = base[i]   # (font, alignment, text style, value style, kind, quoted style)
                        cls = value.__class__
                        if value is None:
                            styles.append(b[2])
                        elif cls is str:
                            if not value.isprintable() or len(value) > 32_000:
                                value = excel_safe(value)
                            styles.append(b[5] if value.startswith(FORMULA_TRIGGERS) else b[2])
                            if value:
                                lines = max(lines, _line_count(value, widths[i], font_size, False))
                        elif cls is int:
                            styles.append(b[3])
                            if numeric_fit[i] and not 0 <= value < 1000:
                                lines = max(lines, _line_count(_display_text(value, columns[i]), widths[i],
                                                               font_size, False))
                        elif b[4] == "date" and isinstance(value, _dt.date):
                            styles.append(b[3])
                            if date_lines[i] > lines:
                                lines = date_lines[i]
                        elif b[4] in ("money", "int"):
                            value = _check_int(value, columns[i])   # numpy ints; refuses floats, bools
                            styles.append(b[3] if value.__class__ is int else b[2])
                        elif hasattr(value, "__index__") and cls is not bool:
                            value = int(value)
                            styles.append(b[3])
                        elif cls is float or isinstance(value, _dt.date):
                            styles.append(b[3] if b[4] == "date" else b[2])
                        else:
                            value = excel_safe(str(value))
                            styles.append(b[2])
                        values.append(value)
                    ws.put_row(row, first_col, values, styles)
                    _fit_height(ws, row, lines * _line_height(font_size) + 3)
                    row += 1
                    continue
                for i, (column, value) in enumerate(zip(columns, item)):
                    _write_value(ws, row, first_col + i, value, column, bold=False, size=font_size)
                _fit_row(ws, row, first_col, columns, item, font_size, False, widths)
                row += 1

    emit(rows, 0)
    if total_label is not None:
        keep_with_next(ws, row - 1)  # nor does the total
        values = dict(_sum_rows(rows, columns))
        values.update(totals or {})
        _write_total_row(ws, row, first_col, columns, total_label, values, font_size)
        row += 1
    _TABLES.setdefault(ws, []).append((top, header_last, row - 1))
    return row + 1


# ---------------------------------------------------------------- place, date, signatures

def place_date_text(place: str, on: _dt.date) -> str:
    """"Đồ Sơn, ngày 23 tháng 11 năm 2026" (NĐ 30/2020: a leading zero for days 1–9 and for
    months 1 and 2)."""
    day = f"{on.day:02d}" if on.day < 10 else str(on.day)
    month = f"{on.month:02d}" if on.month < 3 else str(on.month)
    return f"{place}, ngày {day} tháng {month} năm {on.year}"


Signer = Union[tuple[str, str], tuple[str, str, str]]


def write_place_date_and_signatures(
    ws: Worksheet,
    row: int,
    *,
    place: str | None,
    on: _dt.date | None,
    signers: Sequence[Signer],
    width_cols: int,
    first_col: int = 1,
    signature_space_rows: int = 4,
    note: str = "(Ký, ghi rõ họ tên)",
    recipients: Sequence[str] | None = None,
) -> int:
    """Write the place/date line (italic, over the last signer) and the signature blocks side
    by side; return the next free row.

    ``signers``: (title, name) or (title, name, note) from left to right, e.g. ("NGƯỜI LẬP
    BIỂU", "Nguyễn Thị Hoa"), ("KT. CHỦ TỊCH\\nPHÓ CHỦ TỊCH", "Trần Văn Nam", "(Ký, đóng dấu)");
    the title is bold upper case, the note italic, then blank rows for the signature, then the
    name in bold. A blank note (``""``) leaves the note line empty.
    """
    if not signers:
        raise ValueError("at least one signer is needed")
    last_col = first_col + width_cols - 1
    date_text = place_date_text(place, on) if place and on else None
    min_last = _text_pt(date_text, SIZE_BODY, False) + 12 if date_text else 0.0
    n_blocks = len(signers) + (1 if recipients else 0)
    blocks = _blocks(ws, first_col, last_col, n_blocks, min_last_pt=min_last)
    start = row

    if date_text:
        _put(ws, row, *blocks[-1], date_text, font=_font(SIZE_BODY, italic=True))
        row += 1
    title_row, note_row = row, row + 1
    name_row = note_row + 1 + signature_space_rows
    if recipients:  # NĐ 30/2020 Phụ lục I mục 9: "Nơi nhận:" on the left, the lines under it
        first, last = blocks[0]
        blocks = blocks[1:]
        _put(ws, title_row, first, last, "Nơi nhận:", font=_font(SIZE_BODY, bold=True, italic=True),
             horizontal="left", vertical="top")
        for k, line in enumerate(recipients):
            _put(ws, note_row + k, first, last, f"- {line}", font=_font(11), horizontal="left", vertical="top")
        name_row = max(name_row, note_row + len(recipients))
    for (first, last), signer in zip(blocks, signers):
        title, name = signer[0], signer[1]
        signer_note = signer[2] if len(signer) > 2 else note
        _put(ws, title_row, first, last, title.upper(), font=_font(SIZE_BODY, bold=True),
             vertical="top")
        if signer_note:
            _put(ws, note_row, first, last, signer_note, font=_font(SIZE_BODY, italic=True))
        if name:
            _put(ws, name_row, first, last, name, font=_font(SIZE_BODY, bold=True))
    for r in range(note_row + 1, name_row):
        _fit_height(ws, r, _line_height(SIZE_BODY) + 2)
    keep_together(ws, start, name_row)
    return name_row + 1


# ---------------------------------------------------------------- printing

_CM = 1 / 2.54  # openpyxl page margins are in inches


def setup_print(
    ws: Worksheet,
    *,
    landscape: bool,
    repeat_rows: str | None,
    fit_width: bool = True,
    margins_cm: tuple[float, float, float, float] = (2.0, 1.5, 1.5, 1.5),
    footer: str = "Trang &P/&N",
) -> None:
    """Print setup shared by every report: A4, portrait or landscape, margins in cm (left,
    right, top, bottom; NĐ 30 asks 3/1.5–2/2/2 for text pages, tables use less on the left),
    fitted to one page wide (any number of pages tall), ``repeat_rows`` (e.g. "8:9", the table
    header) printed on every page, centred horizontally, "Trang 1/3" in the footer."""
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.orientation = ws.ORIENTATION_LANDSCAPE if landscape else ws.ORIENTATION_PORTRAIT
    left, right, top, bottom = margins_cm
    ws.page_margins.left = left * _CM
    ws.page_margins.right = right * _CM
    ws.page_margins.top = top * _CM
    ws.page_margins.bottom = bottom * _CM
    ws.page_margins.header = 0.5 * _CM
    ws.page_margins.footer = 0.6 * _CM
    ws.sheet_properties.pageSetUpPr.fitToPage = bool(fit_width)
    if fit_width:
        ws.page_setup.fitToWidth = 1
        ws.page_setup.fitToHeight = 0
    if repeat_rows:
        ws.print_title_rows = repeat_rows
    ws.print_options.horizontalCentered = True
    paginate(ws, landscape=landscape, margins_cm=margins_cm, fit_width=fit_width)
    if footer:
        ws.oddFooter.center.text = footer
        ws.oddFooter.center.font = f"{FONT_NAME},Italic"
        ws.oddFooter.center.size = 11
        ws.evenFooter.center.text = footer
        ws.evenFooter.center.font = f"{FONT_NAME},Italic"
        ws.evenFooter.center.size = 11


# ---------------------------------------------------------------- pages

A4_PT = (595.28, 841.89)
_PT_PER_CM = 72 / 2.54
DEFAULT_ROW_PT = 15.75
_SAFETY = 0.99  # row heights are explicit (estimated tall); a little room for rounding


def _is_doc(ws) -> bool:
    from xl_support.documents.xlsx import DocSheet
    return isinstance(ws, DocSheet)


def _max_col(ws) -> int:
    return ws.max_column


def _max_row(ws) -> int:
    return ws.max_row


def _row_pt(ws, row: int) -> float:
    dim = ws.row_dimensions.get(row) if hasattr(ws.row_dimensions, "get") else None
    height = getattr(dim, "height", None)
    return float(height) if height else DEFAULT_ROW_PT


def _add_break(ws, after_row: int) -> None:
    if _is_doc(ws):
        ws.row_breaks.append(after_row)
    else:
        from openpyxl.worksheet.pagebreak import Break
        ws.row_breaks.append(Break(id=after_row))


def _clear_breaks(ws) -> None:
    if _is_doc(ws):
        ws.row_breaks.clear()
    else:
        from openpyxl.worksheet.pagebreak import RowBreak
        ws.row_breaks = RowBreak()


def page_scale(ws, *, landscape: bool, margins_cm, fit_width: bool = True) -> float:
    """The print scale of a sheet fitted to one page wide (whole percent, as Excel rounds)."""
    width = (A4_PT[1] if landscape else A4_PT[0]) - (margins_cm[0] + margins_cm[1]) * _PT_PER_CM
    sheet = sum(_col_pt(ws, c) for c in range(1, _max_col(ws) + 1))
    if not fit_width or sheet <= width:
        return 1.0
    return max(0.1, int(100 * width / sheet) / 100)


def paginate(ws, *, landscape: bool, margins_cm=(2.0, 1.5, 1.5, 1.5), fit_width: bool = True) -> list[int]:
    """Place every page break of the sheet (manual breaks; returns the rows after which a page
    ends), so that what the layout marked stays whole: a heading with the row under it
    (:func:`keep_with_next`), a signature block or a table short enough for one page
    (:func:`keep_together`). A table taller than a page gets its header rows repeated on every
    page (print titles) unless the sheet already has print titles. Row heights are the
    explicit ones the layout set (estimated from the text, on the tall side), so Excel and
    LibreOffice break where this function does."""
    _clear_breaks(ws)
    scale = page_scale(ws, landscape=landscape, margins_cm=margins_cm, fit_width=fit_width)
    height = (A4_PT[0] if landscape else A4_PT[1]) - (margins_cm[2] + margins_cm[3]) * _PT_PER_CM
    first_cap = height / scale * _SAFETY
    last_row = _max_row(ws)
    keep_next = _KEEP_NEXT.get(ws, set())
    blocks = list(_KEEP_TOGETHER.get(ws, []))

    def span(a: int, b: int) -> float:
        return sum(_row_pt(ws, r) for r in range(a, b + 1))

    for top, header_last, last in _TABLES.get(ws, []):
        start = top - 1 if top - 1 in keep_next else top
        if span(start, last) <= first_cap * 0.9:
            blocks.append((start, last))
        elif not ws.print_title_rows:
            ws.print_title_rows = f"{top}:{header_last}"
    titles = 0.0
    if ws.print_title_rows:
        a, _, b = str(ws.print_title_rows).replace("$", "").partition(":")
        titles = span(int(a), int(b or a))
    cap = first_cap
    later_cap = first_cap - titles
    block_end = {}
    for a, b in blocks:
        if span(a, b) <= later_cap:
            block_end[a] = max(block_end.get(a, a), b)
    breaks: list[int] = []
    used, r = 0.0, 1
    while r <= last_row:
        end = r
        while end in keep_next and end < last_row:
            end += 1
        end = max(end, block_end.get(r, r))
        k = r + 1
        while k <= end:  # a block starting inside the unit extends it
            end = max(end, block_end.get(k, k))
            k += 1
        unit = span(r, end)
        if used > 0 and used + unit > cap and unit <= later_cap:
            breaks.append(r - 1)
            _add_break(ws, r - 1)
            used, cap = 0.0, later_cap
        if unit > cap - used:  # too tall for any page: row by row
            h = _row_pt(ws, r)
            if used > 0 and used + h > cap:
                breaks.append(r - 1)
                _add_break(ws, r - 1)
                used, cap = 0.0, later_cap
            used += h
            r += 1
            continue
        used += unit
        r = end + 1
    return breaks
