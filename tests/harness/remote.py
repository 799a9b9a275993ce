"""Run a macro on a real ``xw.Book`` on Linux through xlwings' remote engine.

design.md, "How we test what Excel would do" → "Macros on real xlwings objects":

1. :func:`payload_from_workbook` builds the JSON that the VBA client
   (``xlwings/addin/Remote.bas``, ``RunServerPython``) sends for a workbook.
2. :func:`run_macro` opens it with ``xw.Book(json=payload)``, sets it as the mock
   caller (so the macro's own ``xw.Book.caller()`` works unchanged), runs the macro,
   takes ``book.json()["actions"]`` and replays every action onto the openpyxl
   workbook the way Excel would (see :func:`excel_entry` for Excel's text → number /
   date conversion, which matters for ID numbers with leading zeros).

Known limits of the remote engine (xlwings 0.37.8), so macros must live with them:
- reads see the workbook as it was when the macro started; writes of the same run are
  not visible to later reads;
- values only: no number formats, fonts, fills or formulas can be read back (formula
  cells read as their cached value, ``None`` when the file has none);
- no ``Book.save(path)``, no PDF, no ``app.status_bar``; with the VBA client also no
  alignment, notes, borders (those raise ``NotImplementedError`` in the macro);
- the ``used_range`` is always anchored at A1 (the VBA client sends A1:last cell).
"""

from __future__ import annotations

import copy
import datetime as dt
import json
import os
import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

os.environ.setdefault("XLWINGS_LICENSE_KEY", "noncommercial")

import openpyxl  # noqa: E402
import xlwings as xw  # noqa: E402
from openpyxl.cell.cell import Cell  # noqa: E402
from openpyxl.comments import Comment  # noqa: E402
from openpyxl.styles import Alignment, Font, PatternFill  # noqa: E402
from openpyxl.utils import get_column_letter, range_boundaries  # noqa: E402
from openpyxl.workbook.defined_name import DefinedName  # noqa: E402
from openpyxl.worksheet.hyperlink import Hyperlink  # noqa: E402

if not xw.__pro__:  # pragma: no cover - depends on import order of the test run
    raise ImportError(
        "xlwings was imported before XLWINGS_LICENSE_KEY was set, so its remote "
        "engine is missing: import tests.harness (or set the variable in conftest) "
        "before anything imports xlwings."
    )

__all__ = [
    "Coercion",
    "RunResult",
    "UnsupportedAction",
    "excel_entry",
    "payload_from_workbook",
    "replay_actions",
    "run_macro",
]

TEXT_FORMAT = "@"
_MAX_ROWS, _MAX_COLUMNS = 1_048_576, 16_384
AUTO_DATE_FORMAT = "mm-dd-yy"  # built-in format 14: Excel's short date of the locale
AUTO_DATETIME_FORMAT = "m/d/yy h:mm"  # built-in format 22
AUTO_PERCENT_FORMAT = "0%"


class UnsupportedAction(NotImplementedError):
    """The macro emitted an action this harness cannot replay (extend ``_REPLAY``)."""


@dataclass(frozen=True)
class Coercion:
    """A text value Excel turned into something else when it was written."""

    sheet: str
    cell: str
    text: str
    value: Any
    kind: str  # "number", "date", "bool", "formula", "empty"


@dataclass
class RunResult:
    """What a macro run produced: the workbook after replay and what was sent."""

    workbook: openpyxl.Workbook
    actions: list[dict]
    counts: Counter
    return_value: Any = None
    coercions: list[Coercion] = field(default_factory=list)
    alerts: list[dict] = field(default_factory=list)
    payload: dict = field(default_factory=dict)

    @property
    def n_actions(self) -> int:
        """Total number of actions (each one is at least one call into Excel)."""
        return len(self.actions)

    def save(self, path: str | os.PathLike) -> Path:
        """Save the replayed workbook (keeps the VBA project if it was loaded)."""
        path = Path(path)
        self.workbook.save(path)
        return path


# ---------------------------------------------------------------------------
# Payload (what Remote.bas sends)
# ---------------------------------------------------------------------------


def _vba_iso(value: dt.datetime | dt.date | dt.time) -> str:
    """VBA-JSON's ``ConvertToIso``: ``Format(d, "yyyy-mm-ddTHH:mm:ss.000Z")``."""
    if isinstance(value, dt.time):
        value = dt.datetime.combine(dt.date(1899, 12, 30), value)
    elif not isinstance(value, dt.datetime):
        value = dt.datetime(value.year, value.month, value.day)
    return value.strftime("%Y-%m-%dT%H:%M:%S") + ".000Z"


def _payload_value(value: Any, numbers: str) -> Any:
    """One cell as ``Range.Value`` gives it to the VBA client, JSON-encoded."""
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, (dt.datetime, dt.date, dt.time)):
        return _vba_iso(value)
    if isinstance(value, (int, float)):
        value = float(value)  # Excel stores every number as a double
        if numbers == "json" and value.is_integer():
            return int(value)  # VBA-JSON writes CStr(4#) = "4"
        return value
    if isinstance(value, dt.timedelta):
        return value.total_seconds() / 86400.0
    return str(value)


def _sheet_values(ws, value_ws, numbers: str) -> list[list]:
    """A1 to the used range's last cell (``Remote.bas``), ``[[]]`` for an empty sheet."""
    max_row, max_col = ws.max_row, ws.max_column
    if max_row == 1 and max_col == 1 and ws.cell(1, 1).value is None:
        return [[]]
    rows = []
    for r in range(1, max_row + 1):
        row = []
        for c in range(1, max_col + 1):
            if value_ws is not None:
                v = value_ws.cell(r, c).value
            else:
                cell = ws.cell(r, c)
                v = None if cell.data_type == "f" else cell.value
            row.append(_payload_value(v, numbers))
        rows.append(row)
    return rows


def _abs(ref: str) -> str:
    """``A1:C5`` → ``$A$1:$C$5`` (``Range.Address`` default)."""
    parts = []
    for part in ref.replace("$", "").split(":"):
        m = re.match(r"([A-Za-z]+)(\d+)", part)
        parts.append(f"${m.group(1).upper()}${m.group(2)}")
    return ":".join(parts)


def _tables(ws) -> list[dict]:
    out = []
    for table in ws.tables.values():
        min_col, min_row, max_col, max_row = range_boundaries(table.ref)
        headers = (table.headerRowCount if table.headerRowCount is not None else 1) > 0
        totals = bool(table.totalsRowCount)
        body_first = min_row + (1 if headers else 0)
        body_last = max_row - (1 if totals else 0)
        col = lambda c, r: f"${get_column_letter(c)}${r}"  # noqa: E731
        out.append(
            {
                "name": table.displayName or table.name,
                "range_address": _abs(table.ref),
                "header_row_range_address": (
                    f"{col(min_col, min_row)}:{col(max_col, min_row)}" if headers else None
                ),
                "data_body_range_address": (
                    f"{col(min_col, body_first)}:{col(max_col, body_last)}"
                    if body_last >= body_first
                    else None
                ),
                "total_row_range_address": (
                    f"{col(min_col, max_row)}:{col(max_col, max_row)}" if totals else None
                ),
                "show_headers": headers,
                "show_totals": totals,
                "table_style": (
                    table.tableStyleInfo.name if table.tableStyleInfo is not None else ""
                ),
                "show_autofilter": table.autoFilter is not None,
            }
        )
    return out


def _pictures(ws) -> list[dict]:
    return [
        {
            "name": f"Picture {i + 1}",
            "height": float(getattr(img, "height", 0) or 0) * 0.75,
            "width": float(getattr(img, "width", 0) or 0) * 0.75,
        }
        for i, img in enumerate(getattr(ws, "_images", []))
    ]


def _names(wb: openpyxl.Workbook) -> list[dict]:
    titles = [ws.title for ws in wb.worksheets]

    def entries(defined, scope_ws):
        for dn in defined.values():
            try:
                dests = list(dn.destinations)
            except Exception:  # a constant or formula, not a range
                continue
            if len(dests) != 1 or dests[0][0] not in titles:
                continue
            sheet_title, ref = dests[0]
            yield {
                "name": dn.name if scope_ws is None else f"{scope_ws.title}!{dn.name}",
                "sheet_index": titles.index(sheet_title),
                "address": ref.replace("$", ""),
                "book_scope": scope_ws is None,
                "scope_sheet_name": None if scope_ws is None else scope_ws.title,
                "scope_sheet_index": None if scope_ws is None else titles.index(scope_ws.title),
            }

    out = list(entries(wb.defined_names, None))
    for ws in wb.worksheets:
        out.extend(entries(ws.defined_names, ws))
    return out


def _selection(ws) -> str:
    try:
        sqref = ws.sheet_view.selection[0].sqref
        first = str(sqref).split()[0]
        return first.replace("$", "") if first else "A1"
    except (IndexError, AttributeError):
        return "A1"


def payload_from_workbook(
    wb: openpyxl.Workbook,
    *,
    active_sheet: str | None = None,
    name: str = "Book1.xlsm",
    values_wb: openpyxl.Workbook | None = None,
    numbers: str = "float",
    client: str = "VBA",
) -> dict:
    """The request body ``Remote.bas`` (``RunServerPython``) sends for ``wb``.

    Cells are sent as ``Range.Value`` gives them: dates as VBA-JSON ISO strings
    ``yyyy-mm-ddTHH:MM:SS.000Z`` (the engine parses those back into ``datetime``),
    empty cells as ``null``, error values as their text (read back as ``None``).
    ``numbers="float"`` (default) sends every number as a double, which is what a
    macro sees through COM in production (``4.0``, never ``4``); ``numbers="json"``
    sends whole numbers as JSON integers exactly like VBA-JSON does.
    ``values_wb`` is the same file opened with ``data_only=True`` (cached formula
    results); without it formula cells are sent as empty.
    ``client="Office.js"`` unlocks the engine's Office.js-only features
    (alignment, notes, …), which the COM engine has too.
    """
    if numbers not in ("float", "json"):
        raise ValueError("numbers must be 'float' or 'json'")
    sheets = wb.worksheets
    titles = [ws.title for ws in sheets]
    if active_sheet is not None:
        active_index = titles.index(active_sheet)
    else:
        active = wb.active
        active_index = titles.index(active.title) if active is not None and active.title in titles else 0
    sheets_payload = []
    for ws in sheets:
        value_ws = values_wb[ws.title] if values_wb is not None else None
        sheet = {
            "name": ws.title,
            "pictures": _pictures(ws),
            "tables": _tables(ws),
            "values": _sheet_values(ws, value_ws, numbers),
        }
        if client == "Office.js":
            sheet.update(
                visibility="Visible" if ws.sheet_state == "visible" else "Hidden",
                shapes=[],
                charts=[],
                notes=[],
                pivot_tables=[],
                show_gridlines=bool(ws.sheet_view.showGridLines in (None, True)),
                print_area=None,
            )
        sheets_payload.append(sheet)
    payload = {
        "client": client,
        "version": xw.__version__,
        "book": {
            "name": name,
            "active_sheet_index": active_index,
            "selection": _selection(sheets[active_index]),
        },
        "names": _names(wb),
        "sheets": sheets_payload,
    }
    return json.loads(json.dumps(payload))  # exactly what survives the wire


# ---------------------------------------------------------------------------
# Excel's conversion of a written value
# ---------------------------------------------------------------------------

_ISO_DATE = re.compile(r"^(\d{4})-(\d{2})-(\d{2})(?:[ T](\d{2}):(\d{2}):(\d{2})(?:\.\d+)?Z?)?$")
_NUMBER = re.compile(r"^([+-]?)((?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d*)?|\.\d+)(?:[eE]([+-]?\d+))?(%?)$")
_US_DATE = re.compile(r"^(\d{1,2})[/-](\d{1,2})(?:[/-](\d{2}|\d{4}))?$")


def _iso_to_datetime(m: re.Match) -> dt.datetime | None:
    y, mo, d, hh, mm, ss = (int(g) if g else 0 for g in m.groups())
    try:
        return dt.datetime(y, mo, d, hh, mm, ss)
    except ValueError:
        return None


def _parse_text(text: str, today: dt.date) -> tuple[Any, str, str | None] | None:
    """What Excel stores when ``text`` is written into a General cell.

    Modelled on the widely reported behaviour of ``Range.Value`` (VBA and COM): strings
    are parsed with en-US rules whatever the PC's locale — numbers with ``,``
    thousands separators and ``.`` decimals, ``TRUE``/``FALSE``, ``m/d/yyyy`` dates
    (so ``05/01/2026`` is May 1st and ``25/12/2026`` stays text), ISO dates, ``=``
    formulas. Not verified in Excel here: the Windows acceptance run should confirm.
    Returns ``(value, kind, number_format_or_None)`` or ``None`` when it stays text.
    """
    s = text.strip()
    if text.startswith("="):
        return text, "formula", None
    if s.upper() in ("TRUE", "FALSE"):
        return s.upper() == "TRUE", "bool", None
    m = _NUMBER.match(s)
    if m:
        sign, digits, exp, pct = m.groups()
        number = float(digits.replace(",", "")) * (10 ** int(exp) if exp else 1)
        number = -number if sign == "-" else number
        if pct:
            return number / 100, "number", AUTO_PERCENT_FORMAT
        return (int(number) if number.is_integer() and abs(number) < 1e15 else number), "number", None
    m = _ISO_DATE.match(s)
    if m:
        value = _iso_to_datetime(m)
        if value is not None:
            has_time = m.group(4) is not None and value.time() != dt.time(0)
            return value, "date", AUTO_DATETIME_FORMAT if has_time else AUTO_DATE_FORMAT
    m = _US_DATE.match(s)
    if m:
        month, day = int(m.group(1)), int(m.group(2))
        year = today.year if m.group(3) is None else int(m.group(3))
        if m.group(3) is not None and len(m.group(3)) == 2:
            year += 2000 if year < 30 else 1900
        try:
            return dt.datetime(year, month, day), "date", AUTO_DATE_FORMAT
        except ValueError:
            return None
    return None


def excel_entry(cell: Cell, value: Any, *, today: dt.date | None = None) -> Coercion | None:
    """Write ``value`` (as the remote engine sent it) into ``cell`` like Excel would.

    - ``None``/``""`` clear the cell;
    - numbers and booleans are stored as they are;
    - ISO date strings (how the engine sends ``date``/``datetime``) become dates
      unless the cell is Text-formatted (the engine has lost which it was);
    - other text in a cell whose number format is not Text (``@``) is parsed by
      :func:`_parse_text` (``"00004"`` → ``4``, ``"1,234"`` → ``1234``, ``"1/2"`` → a
      date); in a Text cell it stays text.
    A General cell that receives a date or percentage gets Excel's automatic format.
    Returns a :class:`Coercion` when text became something else.
    """
    today = today or dt.date.today()
    text_cell = cell.number_format == TEXT_FORMAT
    if value is None or value == "":
        cell.value = None
        return None
    if isinstance(value, str):
        if text_cell:
            cell.value = value
            return None
        m = _ISO_DATE.match(value)
        parsed = _parse_text(value, today)
        if parsed is None:
            cell.value = value
            return None
        new, kind, fmt = parsed
        before = cell.number_format
        cell.value = new  # openpyxl may set its own date format here
        cell.number_format = fmt if fmt is not None and before == "General" else before
        if m and kind == "date":
            return None  # a date the macro wrote (sent as ISO text): no coercion
        return Coercion(cell.parent.title, cell.coordinate, value, new, kind)
    before = cell.number_format
    cell.value = value
    cell.number_format = before
    return None


# ---------------------------------------------------------------------------
# Replay of the action list (Remote.bas's Subs, by name)
# ---------------------------------------------------------------------------


class _Replayer:
    def __init__(self, wb: openpyxl.Workbook, today: dt.date | None):
        self.wb = wb
        self.today = today
        self.coercions: list[Coercion] = []
        self.alerts: list[dict] = []

    # helpers -------------------------------------------------------------
    def sheet(self, action):
        return self.wb.worksheets[action["sheet_position"]]

    def cells(self, action, *, clamp=True):
        """Cells of the action's range; whole rows/columns are clamped to the used area."""
        ws = self.sheet(action)
        r0, c0 = action["start_row"] + 1, action["start_column"] + 1
        nrows, ncols = action["row_count"], action["column_count"]
        if clamp and nrows >= _MAX_ROWS:  # whole columns: only the used part
            nrows = max(0, min(nrows, ws.max_row - r0 + 1))
        if clamp and ncols >= _MAX_COLUMNS:  # whole rows
            ncols = max(0, min(ncols, ws.max_column - c0 + 1))
        for r in range(r0, r0 + nrows):
            for c in range(c0, c0 + ncols):
                yield ws.cell(r, c)

    def arg(self, action, i=0):
        return action["args"][i]

    # values --------------------------------------------------------------
    def setValues(self, action):
        ws = self.sheet(action)
        r0, c0 = action["start_row"] + 1, action["start_column"] + 1
        for i, row in enumerate(action["values"]):
            for j, value in enumerate(row):
                co = excel_entry(ws.cell(r0 + i, c0 + j), value, today=self.today)
                if co is not None:
                    self.coercions.append(co)

    def setFormula(self, action):
        ws = self.sheet(action)
        r0, c0 = action["start_row"] + 1, action["start_column"] + 1
        for i, row in enumerate(action["values"]):
            for j, value in enumerate(row):
                ws.cell(r0 + i, c0 + j).value = value if value != "" else None

    setFormulaArray = setFormula

    def rangeClearContents(self, action):
        for cell in self.cells(action):
            cell.value = None
            cell.hyperlink = None

    def rangeClearFormats(self, action):
        for cell in self.cells(action):
            cell.style = "Normal"

    def rangeClear(self, action):
        self.rangeClearContents(action)
        self.rangeClearFormats(action)

    # formats ---------------------------------------------------------------
    def setRangeColor(self, action):
        color = self.arg(action)
        fill = PatternFill() if color is None else PatternFill("solid", fgColor=color.lstrip("#").upper())
        for cell in self.cells(action):
            cell.fill = fill

    def setNumberFormat(self, action):
        for cell in self.cells(action):
            cell.number_format = self.arg(action)

    def setFontProperty(self, action):
        attr, value = action["args"][:2]
        key = {"bold": "bold", "italic": "italic", "size": "size", "name": "name", "color": "color"}.get(attr)
        if key is None:
            raise UnsupportedAction(f"setFontProperty {attr!r}")
        if key == "color" and value is not None:
            value = value.lstrip("#").upper()
        for cell in self.cells(action):
            font = copy.copy(cell.font)
            cell.font = Font(**{**_font_kwargs(font), key: value})

    def setWrapText(self, action):
        for cell in self.cells(action):
            cell.alignment = _alignment(cell, wrap_text=bool(self.arg(action)))

    def setHorizontalAlignment(self, action):
        value = self.arg(action)
        for cell in self.cells(action):
            cell.alignment = _alignment(cell, horizontal=_align(value))

    def setVerticalAlignment(self, action):
        value = self.arg(action)
        for cell in self.cells(action):
            cell.alignment = _alignment(cell, vertical=_align(value))

    def setColumnWidth(self, action):
        ws = self.sheet(action)
        c0 = action["start_column"] + 1
        for c in range(c0, c0 + action["column_count"]):
            ws.column_dimensions[get_column_letter(c)].width = self.arg(action)

    def setRowHeight(self, action):
        ws = self.sheet(action)
        r0 = action["start_row"] + 1
        nrows = action["row_count"]
        if nrows >= _MAX_ROWS:
            nrows = max(ws.max_row - r0 + 1, 1)
        for r in range(r0, r0 + nrows):
            ws.row_dimensions[r].height = self.arg(action)

    def setColumnHidden(self, action):
        ws = self.sheet(action)
        c0 = action["start_column"] + 1
        for c in range(c0, c0 + action["column_count"]):
            ws.column_dimensions[get_column_letter(c)].hidden = bool(self.arg(action))

    def setRowHidden(self, action):
        ws = self.sheet(action)
        r0 = action["start_row"] + 1
        nrows = action["row_count"]
        if nrows >= _MAX_ROWS:
            nrows = max(ws.max_row - r0 + 1, 1)
        for r in range(r0, r0 + nrows):
            ws.row_dimensions[r].hidden = bool(self.arg(action))

    def setAutofit(self, action):
        """No layout engine here: autofit is counted but changes nothing."""

    setSheetAutofit = setAutofit

    def addHyperlink(self, action):
        address, text, tip = (list(action["args"]) + [None, None, None])[:3]
        ws = self.sheet(action)
        cell = ws.cell(action["start_row"] + 1, action["start_column"] + 1)
        if address.startswith("#"):
            cell.hyperlink = Hyperlink(ref=cell.coordinate, location=address[1:], tooltip=tip)
        else:
            cell.hyperlink = Hyperlink(ref=cell.coordinate, target=address, tooltip=tip)
        cell.value = text if text not in (None, "") else address
        cell.style = "Hyperlink"

    def addNote(self, action):
        text = self.arg(action)
        for cell in self.cells(action, clamp=False):
            cell.comment = Comment(text, "xlwings")

    setNoteText = addNote

    def deleteNote(self, action):
        for cell in self.cells(action, clamp=False):
            cell.comment = None

    # sheets ----------------------------------------------------------------
    def addSheet(self, action):
        position, name = (list(action["args"]) + [None, None])[:2]
        sheets = self.wb.worksheets
        if name is None:
            n = 1
            while f"Sheet{n}" in [s.title for s in sheets]:
                n += 1
            name = f"Sheet{n}"
        index = self.wb._sheets.index(sheets[position]) if position < len(sheets) else len(self.wb._sheets)
        ws = self.wb.create_sheet(name, index=index)
        self.wb.active = self.wb._sheets.index(ws)

    def setSheetName(self, action):
        self.sheet(action).title = self.arg(action)

    def setSheetVisibility(self, action):
        self.sheet(action).sheet_state = "visible" if self.arg(action) == "Visible" else "hidden"

    def sheetDelete(self, action):
        self.wb.remove(self.sheet(action))

    def sheetClearContents(self, action):
        for row in self.sheet(action).iter_rows():
            for cell in row:
                cell.value = None
                cell.hyperlink = None

    def sheetClearFormats(self, action):
        for row in self.sheet(action).iter_rows():
            for cell in row:
                cell.style = "Normal"

    def sheetClear(self, action):
        self.sheetClearContents(action)
        self.sheetClearFormats(action)

    def setSheetVisibility(self, action):
        self.sheet(action).sheet_state = "visible" if self.arg(action) == "Visible" else "hidden"

    def activateSheet(self, action):
        self.wb.active = self.wb._sheets.index(self.wb.worksheets[self.arg(action)])

    def freezePaneAtRange(self, action):
        self.sheet(action).freeze_panes = self.arg(action).replace("$", "").split(":")[0]

    def freezePaneUnfreeze(self, action):
        self.sheet(action).freeze_panes = None

    def rangeSelect(self, action):
        ws = self.sheet(action)
        r, c = action["start_row"] + 1, action["start_column"] + 1
        ref = f"{get_column_letter(c)}{r}"
        if action["row_count"] > 1 or action["column_count"] > 1:
            ref += f":{get_column_letter(c + action['column_count'] - 1)}{r + action['row_count'] - 1}"
        ws.sheet_view.selection[0].activeCell = ref.split(":")[0]
        ws.sheet_view.selection[0].sqref = ref

    # names -------------------------------------------------------------------
    def namesAdd(self, action):
        name, refers_to = action["args"][:2]
        dn = DefinedName(name, attr_text=refers_to.lstrip("="))
        if action["sheet_position"] is None:
            self.wb.defined_names[name] = dn
        else:
            self.sheet(action).defined_names[name] = dn

    def setRangeName(self, action):
        ws = self.sheet(action)
        r, c = action["start_row"] + 1, action["start_column"] + 1
        ref = f"${get_column_letter(c)}${r}:${get_column_letter(c + action['column_count'] - 1)}${r + action['row_count'] - 1}"
        quoted = "'" + ws.title.replace("'", "''") + "'"
        name = self.arg(action)
        self.wb.defined_names[name] = DefinedName(name, attr_text=f"{quoted}!{ref}")

    def nameDelete(self, action):
        name = self.arg(action)
        if name in self.wb.defined_names:
            del self.wb.defined_names[name]

    # structure ---------------------------------------------------------------
    def rangeInsert(self, action):
        shift = self.arg(action)
        ws = self.sheet(action)
        r0, c0 = action["start_row"] + 1, action["start_column"] + 1
        nrows, ncols = action["row_count"], action["column_count"]
        if shift == "down" and ncols >= ws.max_column - c0 + 1 and c0 == 1:
            ws.insert_rows(r0, nrows)
        elif shift == "right" and nrows >= ws.max_row - r0 + 1 and r0 == 1:
            ws.insert_cols(c0, ncols)
        else:
            raise UnsupportedAction(f"rangeInsert of a partial range (shift={shift!r})")

    def rangeDelete(self, action):
        shift = self.arg(action)
        ws = self.sheet(action)
        r0, c0 = action["start_row"] + 1, action["start_column"] + 1
        nrows, ncols = action["row_count"], action["column_count"]
        if shift == "up" and ncols >= ws.max_column - c0 + 1 and c0 == 1:
            ws.delete_rows(r0, nrows)
        elif shift == "left" and nrows >= ws.max_row - r0 + 1 and r0 == 1:
            ws.delete_cols(c0, ncols)
        else:
            raise UnsupportedAction(f"rangeDelete of a partial range (shift={shift!r})")

    # application -------------------------------------------------------------
    def alert(self, action):
        prompt, title, buttons, mode, callback = (list(action["args"]) + [""] * 5)[:5]
        self.alerts.append(
            {"prompt": prompt, "title": title, "buttons": buttons, "mode": mode, "callback": callback}
        )

    def _noop(self, action):
        """Changes nothing in the file (screen updating, recalculation)."""

    setScreenUpdating = calculate = setCalculation = _noop


def _font_kwargs(font: Font) -> dict:
    return {
        "name": font.name,
        "size": font.size,
        "bold": font.bold,
        "italic": font.italic,
        "underline": font.underline,
        "strike": font.strike,
        "color": font.color,
        "vertAlign": font.vertAlign,
    }


def _align(value: str | None) -> str | None:
    if value is None:
        return None
    value = value.lower()
    return {"centeracrossselection": "centerContinuous", "center_across_selection": "centerContinuous"}.get(value, value)


def _alignment(cell: Cell, **changes) -> Alignment:
    a = cell.alignment
    kwargs = {
        "horizontal": a.horizontal,
        "vertical": a.vertical,
        "wrap_text": a.wrap_text,
        "shrink_to_fit": a.shrink_to_fit,
        "indent": a.indent,
        "text_rotation": a.text_rotation,
    }
    kwargs.update(changes)
    return Alignment(**kwargs)


def replay_actions(
    wb: openpyxl.Workbook, actions: list[dict], *, today: dt.date | None = None
) -> tuple[list[Coercion], list[dict]]:
    """Apply ``actions`` to ``wb`` in order, as ``Remote.bas`` does in Excel.

    Returns ``(coercions, alerts)``. Raises :class:`UnsupportedAction` for an action
    this harness does not know, so a test notices instead of passing silently.
    """
    replayer = _Replayer(wb, today)
    for action in actions:
        func = action["func"]
        method = getattr(replayer, func, None) if not func.startswith("_") else None
        if method is None or func in ("sheet", "cells", "arg"):
            raise UnsupportedAction(f"action {func!r} is not replayed by tests/harness/remote.py")
        method(action)
    return replayer.coercions, replayer.alerts


# ---------------------------------------------------------------------------
# Running a macro
# ---------------------------------------------------------------------------


def run_macro(
    path_or_wb: str | os.PathLike | openpyxl.Workbook,
    func: Callable[..., Any],
    *args: Any,
    active_sheet: str | None = None,
    numbers: str = "float",
    client: str = "VBA",
    today: dt.date | None = None,
    **kwargs: Any,
) -> RunResult:
    """Run ``func(*args, **kwargs)`` as if Excel had called it with ``RunPython``.

    ``path_or_wb`` is an .xlsx/.xlsm path (opened twice: with formulas for the replay,
    ``data_only`` for the values Excel would send) or an openpyxl workbook (modified in
    place; formula cells are sent as empty). The macro calls ``xw.Book.caller()``
    unchanged. Returns a :class:`RunResult` with the replayed workbook, the action
    list, per-action counts, coercions Excel made and alerts shown.
    """
    if isinstance(path_or_wb, openpyxl.Workbook):
        wb, values_wb, name = path_or_wb, None, "Book1.xlsm"
    else:
        path = Path(path_or_wb)
        keep_vba = path.suffix.lower() in (".xlsm", ".xltm", ".xlam")
        wb = openpyxl.load_workbook(path, keep_vba=keep_vba, rich_text=False)
        values_wb = openpyxl.load_workbook(path, data_only=True)
        name = path.name
    payload = payload_from_workbook(
        wb, active_sheet=active_sheet, name=name, values_wb=values_wb, numbers=numbers, client=client
    )
    book = xw.Book(json=payload)
    had_mock = hasattr(xw.Book, "_mock_caller")
    previous = getattr(xw.Book, "_mock_caller", None)
    book.set_mock_caller()
    try:
        return_value = func(*args, **kwargs)
    finally:
        if had_mock:
            xw.Book._mock_caller = previous
        else:
            del xw.Book._mock_caller
    actions = book.json()["actions"]
    coercions, alerts = replay_actions(wb, actions, today=today)
    book.close()
    return RunResult(
        workbook=wb,
        actions=actions,
        counts=Counter(a["func"] for a in actions),
        return_value=return_value,
        coercions=coercions,
        alerts=alerts,
        payload=payload,
    )
