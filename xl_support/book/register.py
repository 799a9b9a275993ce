"""Register schema (design.md "Register sheets"): find the header row, map columns, type the cells.

Works on a *grid*: the sheet's values as a list of rows (lists), row 1 first, as any reader gives
them (openpyxl, python-calamine, xlwings `used_range.value`). Parsing never guesses: a cell that
cannot be read becomes a `CellIssue` with its row and column, and its row is marked `bad_cell`.
"""
from __future__ import annotations

import csv
import datetime as dt
import unicodedata
from dataclasses import dataclass, field
from functools import cache
from itertools import islice
from operator import itemgetter

import numpy as np

from xl_support.book.lazy_re import Pattern
from xl_support.book import values as V
from xl_support.book.text import header_key, id_key, nfkc_cells
from xl_support.engine import data_text
from xl_support.engine.rules import dates_to_days, ordinals_to_days

NQ55, NQ04 = "NQ55", "NQ04"


@dataclass(frozen=True)
class Field:
    name: str
    header: str             # the contract header (design.md)
    kind: str               # text | date | month | amount | area | group | household | id
    registers: tuple[str, ...] = (NQ55, NQ04)
    required: bool = False  # a contract column: missing → reported
    computed: bool = False
    essential: bool = False  # nothing can be computed without it: missing → error, else warning
    template: bool = True    # a column of the template's registers (False: optional, read when present)


FIELDS: tuple[Field, ...] = (
    Field("stt", "STT", "text"),
    Field("name", "Họ và tên", "text", required=True, essential=True),
    Field("birth", "Ngày sinh", "date", required=True, essential=True),
    Field("sex", "Giới tính", "text", required=True),
    Field("id", "Số định danh cá nhân", "id", required=True),
    Field("residential_group", "Tổ dân phố", "text", required=True),
    Field("area", "Khu vực", "area", required=True),
    Field("household_type", "Loại hộ", "household", registers=(NQ04,), required=True),
    Field("group", "Mã đối tượng", "group", required=True, essential=True),
    Field("allowance", "Trợ cấp xã hội đang hưởng (đồng/tháng)", "amount", required=True),
    Field("recognised", "Ngày công nhận thoát nghèo/cận nghèo", "date", required=True),
    Field("mother_birth", "Ngày sinh của mẹ", "date", registers=(NQ55,), required=True),
    Field("decision", "Ngày ký quyết định", "date", required=True, essential=True),
    Field("pay_from", "Chi trả từ tháng", "month"),             # R2, R12: optional
    Field("stop", "Ngày thôi hưởng", "date", required=True),
    Field("stop_pay_from", "Thôi chi trả từ tháng", "month"),   # R12: optional
    Field("school", "Trường đang học", "text", registers=(NQ55,), required=True),
    Field("note", "Ghi chú", "text"),
    # optional (design.md "Optional input headers"): carried into the D03-TS list
    Field("insurance_number", "Mã số BHXH", "id", template=False),
    Field("kcb_place", "Nơi đăng ký KCB ban đầu", "text", template=False),
    Field("benefit", "Mức hỗ trợ (đồng/tháng)", "computed", computed=True),
    Field("topup", "Trong đó bù chênh lệch (đồng/tháng)", "computed", computed=True),
    Field("insurance", "Hỗ trợ BHYT", "computed", computed=True),
    Field("end_date", "Hưởng đến ngày", "computed", computed=True),
    Field("basis", "Căn cứ", "computed", computed=True),
)
FIELD_BY_NAME = {f.name: f for f in FIELDS}
COMPUTED_FIELDS = tuple(f for f in FIELDS if f.computed)
INPUT_FIELDS = tuple(f for f in FIELDS if not f.computed)
PARSERS = {
    "date": V.parse_date, "month": V.parse_month, "amount": V.parse_amount, "area": V.parse_area, "group": V.parse_group_code,
    "household": V.parse_household_type, "text": V.parse_text, "id": V.parse_text,
}
HEADER_SCAN_ROWS = 100


@cache
def _synonym_rows() -> tuple[tuple[str, str], ...]:
    """(field, header) rows of data/header_synonyms.csv."""
    text = data_text("header_synonyms.csv")
    return tuple((r["field"], r["header"]) for r in csv.DictReader(text.splitlines()))


@cache
def header_synonyms() -> dict[str, str]:
    """Folded header text → field name (data/header_synonyms.csv, plus every contract header)."""
    table = {header_key(f.header): f.name for f in FIELDS}
    table.update({header_key(header): name for name, header in _synonym_rows()})
    return table


def accepted_headers(field: str) -> list[str]:
    """Every header text recognised as `field`: the contract header first, then its synonyms."""
    out = [FIELD_BY_NAME[field].header]
    out += [h for name, h in _synonym_rows() if name == field and header_key(h) != header_key(out[0])]
    return out


def column_letter(col: int) -> str:
    """1 → A, 27 → AA."""
    letters = ""
    while col:
        col, rem = divmod(col - 1, 26)
        letters = chr(65 + rem) + letters
    return letters


@dataclass(frozen=True)
class CellIssue:
    """One problem, pointing at a cell (row/column are Excel's, 1-based)."""
    sheet: str
    row: int
    column: int
    field: str
    code: str
    severity: str           # 'error' | 'warning'
    message: str            # Vietnamese

    @property
    def cell(self) -> str:
        return f"{column_letter(self.column)}{self.row}" if self.column else (str(self.row) if self.row else "")


class Table:
    """A register's typed columns: field name → numpy array (object arrays for texts, codes and
    dates, some made when first read: `_Later`; `row` int64, `bad_cell` bool), all of one length —
    the engine's input (`rules.people_arrays`).
    `numbers`: the same columns in the engine's form where `typed_table` made it while parsing
    (dates and months datetime64[D], amounts int64 with −1 for empty), so they are not converted twice;
    `present`: for columns of other kinds, where parsing told it without a look per cell, which
    cells are not empty (the typed value is not None); `distinct`: for a column parsed once per
    distinct value (codes, areas), (position of each cell's value, the typed values) — the column
    is `values[position]`, so the engine maps the few values, not the rows."""
    __slots__ = ("columns", "n", "numbers", "present", "distinct")

    def __init__(self, columns: dict[str, np.ndarray], n: int, numbers: dict[str, np.ndarray] | None = None,
                 present: dict[str, np.ndarray] | None = None,
                 distinct: dict[str, tuple[np.ndarray, list]] | None = None):
        self.columns, self.n, self.numbers, self.present = columns, n, numbers or {}, present or {}
        self.distinct = distinct or {}

    def __len__(self) -> int:
        return self.n

    def __contains__(self, name: str) -> bool:
        return name in self.columns

    def __getitem__(self, name: str) -> np.ndarray:
        column = self.columns[name]
        if column.__class__ is _Later:
            column = self.columns[name] = column()
        return column

    def __iter__(self):
        return iter(self.columns)


class _Later:
    """A typed column made when first read (`Table.__getitem__`): a command that reads only the
    engine's forms and the presence masks of a column (city consolidation) never makes its
    object array — one pass less over the cells, and their reference counts untouched."""
    __slots__ = ("make", "args")

    def __init__(self, make, *args):
        self.make, self.args = make, args

    def __call__(self) -> np.ndarray:
        return self.make(*self.args)


def _blanked(cells: list, keep: np.ndarray) -> np.ndarray:
    """The cells as an object array, None where `keep` is false."""
    out = object_array(cells)
    out[~keep] = None
    return out


def object_array(values: list) -> np.ndarray:
    """A list of scalars as a 1-D object array (never a 2-D one, whatever the values; no look
    into each value for an array or a sequence, which costs ~0.2 µs a date)."""
    return np.fromiter(values, dtype=object, count=len(values))


@dataclass
class Register:
    sheet: str
    kind: str                           # NQ55 | NQ04
    header_row: int                     # Excel row number of the header
    columns: dict[str, int]             # field name → Excel column number
    table: Table                        # typed columns + 'row' (Excel row) + 'bad_cell' + 'id_key'
    raw: dict[str, list]                # field → cell values as read (input fields in nfkc form), aligned with table
    issues: list[CellIssue] = field(default_factory=list)
    width: int = 0                      # columns in the header row (last used)
    first_row: int = 0                  # first row below the header that may hold data (0: header_row + 1)

    def missing_columns(self) -> list[Field]:
        """Contract columns this sheet lacks (`essential` ones make the sheet uncomputable)."""
        return [f for f in INPUT_FIELDS if f.required and self.kind in f.registers and f.name not in self.columns]


_COLUMN_NUMBER = Pattern(r"^\(?\s*(?:\d{1,2}|[A-Z])\s*\)?$")


def numbering_row(row: list) -> bool:
    """A row of column numbers printed under the header of official forms — `(1) (2) (3)…`,
    `1 2 3…`, `A B 1 2…` — is not a register row (at least three cells, nothing else in it)."""
    cells = [v for v in row if not V.is_blank(v)]
    if len(cells) < 3:
        return False
    for v in cells:
        if isinstance(v, (int, float)) and not isinstance(v, bool) and float(v).is_integer() and 0 < v < 100:
            continue
        if isinstance(v, str) and _COLUMN_NUMBER.match(v.strip()):
            continue
        return False
    return True


def find_header(grid: list[list]) -> tuple[int, dict[str, int]] | None:
    """First row (within the first 100) holding both `Họ và tên` and `Mã đối tượng` (or synonyms)."""
    synonyms = header_synonyms()
    for r, row in enumerate(grid[:HEADER_SCAN_ROWS]):
        columns: dict[str, int] = {}
        for c, value in enumerate(row):
            if isinstance(value, str) and value.strip():
                name = synonyms.get(header_key(value))
                if name and name not in columns:
                    columns[name] = c + 1
        if "name" in columns and "group" in columns:
            return r + 1, columns
    return None


def _last_used(row: list) -> int:
    for c in range(len(row), 0, -1):
        if not V.is_blank(row[c - 1]):
            return c
    return 0


def _register_kind(columns: dict[str, int], codes: list) -> str:
    if "household_type" in columns:
        return NQ04
    if "mother_birth" in columns or "school" in columns:
        return NQ55
    hn = sum(1 for c in codes if isinstance(c, str) and c.upper().startswith("HN"))
    return NQ04 if hn > len(codes) / 2 else NQ55


_MISSING = object()
_DATE, _DATETIME, _NONE = dt.date, dt.datetime, type(None)
_FIRST_DAY, _LAST_DAY = dt.date(1900, 1, 1).toordinal(), dt.date(2100, 12, 31).toordinal()   # values.parse_date
_NAT = np.iinfo(np.int64).min
_MEMO_TYPES = frozenset((str, int, float, _NONE))
_INT_TEXT_CACHE = 1 << 17         # whole numbers below this print from one table (STT columns)
_int_texts = np.empty(0, dtype=object)


def _only_blanks(cells: list, others: int) -> bool:
    """`others` cells of the column are "" or None (what a reader gives for an empty cell),
    counted in C: "" first (calamine's empty cell), None only when needed."""
    blanks = cells.count("")
    return blanks == others or blanks + cells.count(None) == others


def _parse_dates(cells: list, normalise: bool = False) -> tuple[list, np.ndarray, list, np.ndarray]:
    """Date cells: typed dates of years 1900–2100 are taken as they are (one ordinal per cell, no
    call), "" and None are empty cells — when nothing else is in the column, that is all (one
    count of the empty cells tells); the rest go through `values.parse_date` (`normalise`: the
    column is first put in `nfkc` form, then only when it holds such cells). Gives the column
    (normalised), its typed values (a `_Later` when they are the cells' dates), the cells that
    failed, and the column as datetime64[D]."""
    ordinals = np.fromiter([v.toordinal() if v.__class__ is _DATE else 0 for v in cells], dtype=np.int64,
                           count=len(cells))
    typed = (ordinals >= _FIRST_DAY) & (ordinals <= _LAST_DAY)
    errors = []
    others = len(cells) - int(np.count_nonzero(typed))
    if not others:
        out = _Later(object_array, cells)
    else:
        ordinals[~typed] = 0
        if _only_blanks(cells, others):         # only empty cells besides the dates
            out = _Later(_blanked, cells, typed)
        else:
            out = _blanked(cells, typed)
            if normalise:
                cells = nfkc_cells(cells)
            for i in np.flatnonzero(~typed).tolist():
                v = cells[i]
                if v is None or v == "":
                    continue
                try:
                    day = V.parse_date(v)
                except V.CellError as e:
                    errors.append((i, e))
                    continue
                if day is not None:
                    out[i], ordinals[i] = day, day.toordinal()
    return cells, out, errors, ordinals_to_days(ordinals)


def _whole_texts(cells: list) -> np.ndarray | None:
    """A column of whole floats or of ints (an STT column) as the texts of the numbers; None when
    another value is in it. Numbers below `_INT_TEXT_CACHE` print from one shared table."""
    global _int_texts
    if not cells:
        return None
    if cells[0].__class__ is float:
        try:
            if not all(map(float.is_integer, cells)):   # TypeError: not a column of floats only
                return None
        except TypeError:
            return None
        numbers = np.fromiter(cells, dtype=np.float64, count=len(cells))
    elif cells[0].__class__ is int and set(map(type, cells)) == {int}:      # not bool: "True"
        try:
            numbers = np.fromiter(cells, dtype=np.int64, count=len(cells))
        except OverflowError:
            return object_array(list(map(str, cells)))
    else:
        return None
    if 0 <= numbers.min() and numbers.max() < _INT_TEXT_CACHE:
        top, texts = int(numbers.max()) + 1, _int_texts     # this call's table: another thread may grow it
        if top > len(texts):
            size = min(_INT_TEXT_CACHE, max(top, 2 * len(texts), 1024))
            texts = _int_texts = np.fromiter(map(str, range(size)), dtype=object, count=size)
        return texts[numbers.astype(np.intp)]
    return object_array(list(map(str, map(int, cells))))


def _parse_texts(cells: list, parse) -> tuple[np.ndarray, list, np.ndarray | None]:
    """Text cells: stripped (blank → None); a column of texts (and None), or of whole numbers, in
    one pass without a call per cell (a column of texts: the typed array made when first read,
    `_Later`); other values as `values.parse_text` gives them. Also which cells are not empty,
    where these passes tell (else None)."""
    n, stripped = len(cells), None
    try:
        stripped = list(map(str.strip, cells))          # TypeError: not a column of texts only
    except TypeError:
        whole = _whole_texts(cells)
        if whole is not None:
            return whole, [], np.ones(n, dtype=bool)
        if set(map(type, cells)) == {str, _NONE}:       # texts and empty cells (None): None as ""
            texts = object_array(cells)
            texts[np.equal(texts, None)] = ""
            stripped = list(map(str.strip, texts.tolist()))
    if stripped is not None:
        empty = stripped.count("")
        if empty == n:
            return np.full(n, None, dtype=object), [], np.zeros(n, dtype=bool)
        if not empty:
            return _Later(object_array, stripped), [], np.ones(n, dtype=bool)
        filled = np.fromiter(map(bool, stripped), dtype=bool, count=n)
        return _Later(_blanked, stripped, filled), [], filled
    out, errors = [None] * len(cells), []
    for i, v in enumerate(cells):
        if v is None:
            continue
        t = v.__class__
        if t is str:
            out[i] = v.strip() or None
        elif t is int or (t is float and v.is_integer()):
            out[i] = str(int(v))
        else:
            try:
                out[i] = parse(v)
            except V.CellError as e:
                errors.append((i, e))
    return object_array(out), errors, None


def _digit_texts(cells: list) -> tuple | None:
    """issue 18.4 — `_parse_texts` of a column of texts of ASCII digits and empty texts (the usual
    ID column), told by one join of the column: nothing in it to normalise or strip, so it is
    kept as read. None for any other column."""
    try:
        joined = "".join(cells)
    except TypeError:
        return None
    if not (joined.isascii() and joined.encode().isdigit()):     # bytes: no look-up per character
        return None
    n = len(cells)
    if "" not in cells:
        return _Later(object_array, cells), [], np.ones(n, dtype=bool)
    filled = np.fromiter(map(bool, cells), dtype=bool, count=n)
    return _Later(_blanked, cells, filled), [], filled


_SAMPLE = 64       # first cells looked at to tell a column of repeated texts


def _repeated_texts(cells: list) -> tuple | None:
    """issue 18.4 — `_parse_texts` of a column of texts that repeat (sex, residential group,
    school), with its look for text to normalise (issue 12) and for spaces to strip made on its
    distinct texts only: the column is then kept as read. None when its first cells hardly repeat,
    when a distinct value is not a text, or when one is not in `nfkc` form or has spaces at an end
    (the caller reads the column cell by cell)."""
    if len(dict.fromkeys(cells[:_SAMPLE])) > _SAMPLE // 2:
        return None
    distinct = dict.fromkeys(cells)
    if set(map(type, distinct)) != {str}:
        return None
    joined = "\x00".join(distinct)
    if not (joined.isascii() or unicodedata.is_normalized("NFKC", joined)):
        return None
    if list(map(str.strip, distinct)) != list(distinct):
        return None
    n = len(cells)
    if "" not in distinct:
        return _Later(object_array, cells), [], np.ones(n, dtype=bool)
    if len(distinct) == 1:
        return np.full(n, None, dtype=object), [], np.zeros(n, dtype=bool)
    filled = np.fromiter(map(bool, cells), dtype=bool, count=n)
    return _Later(_blanked, cells, filled), [], filled


def _parse_distinct(cells: list, parse, normalise: bool = False) -> tuple[np.ndarray, list, list] | None:
    """A column of texts and numbers (codes, areas, amounts, months repeat): each distinct value
    parsed once, then spread by its position in the distinct list. None where equal values may
    print differently (0.0 and -0.0, 1 and 1.0) or are of other types: the caller parses per cell;
    also (`normalise`) where a text is not in `nfkc` form: the caller normalises the column first."""
    try:
        position = dict.fromkeys(cells)
    except TypeError:           # an unhashable cell
        return None
    if not set(map(type, position)) <= {str, _NONE}:    # only texts never equal another type's value
        types = set(map(type, cells))
        if not types <= _MEMO_TYPES or (int in types and float in types) or (float in types and 0.0 in position):
            return None
    if normalise:               # nfkc_cells's test, on the distinct texts only
        joined = "\x00".join([v for v in position if v.__class__ is str])
        if not (joined.isascii() or unicodedata.is_normalized("NFKC", joined)):
            return None
    results = []
    for j, value in enumerate(position):
        position[value] = j
        try:
            results.append(parse(value))
        except V.CellError as e:
            results.append(e)
    codes = (np.zeros(len(cells), dtype=np.intp) if len(results) == 1
             else np.fromiter(map(position.__getitem__, cells), dtype=np.intp, count=len(cells)))
    failed = [j for j, r in enumerate(results) if r.__class__ is V.CellError]
    errors = sorted((i, results[j]) for j in failed for i in np.flatnonzero(codes == j).tolist())
    for j in failed:
        results[j] = None
    return codes, results, errors


def _parse_each(cells: list, parse, repeats: bool) -> tuple[list, list]:
    """One cell at a time (each distinct value of a repeating kind parsed once, where equal values
    print alike: not 0.0 / -0.0, not time zones)."""
    out, errors, memo = [None] * len(cells), [], {}
    for i, value in enumerate(cells):
        if value is None:
            continue
        cls = value.__class__
        key = (cls, value) if repeats and (cls is str or cls is int or (cls is float and value)) else None
        hit = _MISSING if key is None else memo.get(key, _MISSING)
        if hit is _MISSING:
            try:
                hit = parse(value)
            except V.CellError as e:
                hit = e
            if key is not None:
                memo[key] = hit
        if hit.__class__ is V.CellError:
            errors.append((i, hit))
        else:
            out[i] = hit
    return out, errors


def _numbers(kind: str, values: list) -> np.ndarray | None:
    """The engine's form of typed values: dates and months as datetime64[D] (NaT: empty), amounts
    as int64 (−1: empty, as `rules.people_arrays` reads them); None for other kinds."""
    if kind in ("date", "month"):
        return dates_to_days(values)
    if kind == "amount":
        return np.array([-1 if v is None else v for v in values], dtype=np.int64)
    return None


def _empty_column(kind: str, n: int) -> tuple:
    """`_parse_column` of a column of empty cells only."""
    number = (np.full(n, _NAT).view("M8[D]") if kind in ("date", "month")
              else np.full(n, -1, dtype=np.int64) if kind == "amount" else None)
    return np.full(n, None, dtype=object), [], number, np.zeros(n, dtype=bool), None


def _distinct_column(kind: str, found) -> tuple:
    codes, results, errors = found
    numbers = _numbers(kind, results)
    present = np.array([r is not None for r in results], dtype=bool)[codes]
    return (object_array(results)[codes], errors, None if numbers is None else numbers[codes], present,
            (codes, results))


def _parse_column(kind: str, cells: list) -> tuple:
    """One column through its `values` parser, as a whole (the parsers are pure functions of the
    value and its type): typed values (object array), the cells that failed (row index,
    `CellError`) in row order, the engine's form of the column (`_numbers`), and which cells are
    not empty where parsing told it (`Table.present`; else None), and the column by its distinct
    values where it was parsed so (`Table.distinct`; else None)."""
    parse = PARSERS[kind]
    if kind == "date":
        return (*_parse_dates(cells)[1:], None, None)
    if kind in ("text", "id"):
        out, errors, present = _parse_texts(cells, parse)
        return out, errors, None, present, None
    found = _parse_distinct(cells, parse)
    if found is not None:
        return _distinct_column(kind, found)
    out, errors = _parse_each(cells, parse, repeats=True)
    return object_array(out), errors, _numbers(kind, out), None, None


def _normalise_and_parse(kind: str | None, cells: list) -> tuple[list, tuple | None]:
    """issue 12 — an input column (`kind`) in `nfkc` form and `_parse_column` of it, with the look
    for text to normalise fused into the parsing where it can be skipped: a column of empty cells,
    of typed dates and empty cells, of whole floats (STT), or of repeated values (only its
    distinct texts are looked at). Other columns (kind None: computed, as the last run wrote
    them) are kept as read: no parsing reads them (the `Căn cứ` texts of a computed book are
    most of its text)."""
    if kind == "date":          # `_parse_dates` tells an empty column itself (no count first)
        cells, *parsed = _parse_dates(cells, normalise=True)
        return cells, (*parsed, None, None)
    n = len(cells)
    first = cells[0] if n else None
    if n and (first is None or (first.__class__ is str and not first)) and cells.count(first) == n:
        return cells, None if kind is None else _empty_column(kind, n)
    if kind is None:            # a computed column (or one the engine does not know): nothing parses it
        return cells, None
    if kind in ("text", "id"):
        whole = _whole_texts(cells) if first.__class__ is float or first.__class__ is int else None
        if whole is not None:
            return cells, (whole, [], None, np.ones(n, dtype=bool), None)
        texts = _repeated_texts(cells) if kind == "text" else _digit_texts(cells)     # an ID does not repeat
        if texts is not None:
            out, errors, present = texts
            return cells, (out, errors, None, present, None)
    else:
        found = _parse_distinct(cells, PARSERS[kind], normalise=True)
        if found is not None:
            return cells, _distinct_column(kind, found)
    cells = nfkc_cells(cells)
    return cells, _parse_column(kind, cells)


def _id_keys(values: list) -> np.ndarray:
    """`text.id_key` of each value (a text of ASCII digits is its own key, an empty cell none)."""
    try:
        joined = "".join(values)
    except TypeError:
        joined = ""
    if joined.isascii() and joined.encode().isdigit():     # texts of digits or empty: one check for the column
        keys = object_array(values)
        if "" in values:
            keys[keys == ""] = None
        return keys
    return object_array([v if v.__class__ is str and v.isdigit() and v.isascii() else id_key(v) for v in values])


def typed_table(raw: dict[str, list], rows: list[int], sheet: str = "",
                columns: dict[str, int] | None = None, *, normalised: bool = False) -> tuple[Table, list[CellIssue]]:
    """Raw cell columns (field → values) → the engine's typed table and the cells that failed.

    The one conversion used by registers read from sheets and by the worksheet functions
    (`normalised`: the texts are already in `nfkc` form).
    """
    table, issues, _ = _typed_table(raw, rows, sheet, columns or {}, normalised)
    for name in table:          # every column made now: the caller may reuse its lists
        table[name]
    return table, issues


def _typed_table(raw: dict[str, list], rows: list[int] | range, sheet: str, columns: dict[str, int], normalised: bool,
                 row_numbers: np.ndarray | None = None) -> tuple[Table, list[CellIssue], dict[str, list]]:
    """`typed_table`, also giving the input columns in `nfkc` form (issue 12: one text form), each
    normalised with its parsing (`_normalise_and_parse`; computed columns as read);
    `row_numbers`: `rows` as an array."""
    issues: list[CellIssue] = []
    n = len(rows)
    bad = np.zeros(n, dtype=bool)
    typed, numbers, present, distinct, clean = {}, {}, {}, {}, {}
    for name, cells in raw.items():
        f = FIELD_BY_NAME.get(name)
        kind = None if f is None or f.computed else f.kind
        if normalised:
            parsed = None if kind is None else _parse_column(kind, cells)
        else:
            cells, parsed = _normalise_and_parse(kind, cells)
        clean[name] = cells
        if parsed is None:
            continue
        typed[name], errors, number, filled, by_value = parsed
        if number is not None:
            numbers[name] = number
        elif filled is not None:
            present[name] = filled
        if by_value is not None:
            distinct[name] = by_value
        col = columns.get(name, 0)
        for i, e in errors:
            bad[i] = True
            issues.append(CellIssue(sheet, rows[i], col, name, "CELL_" + name.upper(), "error",
                                    f"{f.header}: {e.message}"))
    typed["row"] = np.array(rows, dtype=np.int64) if row_numbers is None else row_numbers
    typed["bad_cell"] = bad
    typed["id_key"] = _id_keys(clean["id"]) if "id" in clean else np.full(n, None, dtype=object)
    return Table(typed, n, numbers, present, distinct), issues, clean


def _column(data: list[list], col: int, width: int) -> list:
    """Column `col` (1-based) of the rows; rows too short give None."""
    i = col - 1
    if i < width:
        return list(map(itemgetter(i), data))
    return [r[i] if i < len(r) else None for r in data]


_CHUNK = 2048      # rows transposed at once: a block that stays in the CPU cache


def _columns(data: list[list], columns: dict[str, int]) -> dict[str, list]:
    """The named columns (field → 1-based column) of the rows: a transposition of the rows, block
    by block, up to the last column named only (issue 18.4: the computed columns after it are not
    transposed); column by column when a row is shorter than that."""
    last = max(columns.values(), default=0)
    out = {name: [] for name in columns}
    for start in range(0, len(data), _CHUNK):
        block = data if len(data) <= _CHUNK else data[start:start + _CHUNK]
        grid = list(islice(zip(*block), last))     # zip stops at the shortest row
        if len(grid) < last:
            width = min(map(len, data))
            return {name: _column(data, c, width) for name, c in columns.items()}
        for name, c in columns.items():
            out[name] += grid[c - 1]
    return out


def _filled(cells: list) -> bool:
    """No blank cell (None or blank text) in the column: a column that sums holds neither (an STT
    column: one C loop, issue 18.4)."""
    try:
        return all(map(str.strip, cells))
    except TypeError:           # not texts only
        pass
    try:
        sum(cells)
        return True
    except (TypeError, ValueError, ArithmeticError):    # a text, None or another value that does not add
        types = set(map(type, cells))
        return _NONE not in types and not any(issubclass(t, str) for t in types)


def _register_rows(data: list[list], input_cols: list[int]) -> list[int]:
    """Positions of the rows with any input cell filled (`values.is_blank` false), row by row."""
    kept = []
    for offset, row in enumerate(data):
        size = len(row)
        for i in input_cols:
            if i < size:
                v = row[i]
                if v is not None and not (isinstance(v, str) and not v.strip()):     # not V.is_blank(v)
                    kept.append(offset)
                    break
    return kept


def column_cells(grid: list[list], register: Register, name: str) -> list:
    """The cells of the register's column `name` on its rows, as read from `grid` (the sheet the
    register was read from): for a computed column, which a register locates but does not keep."""
    col = register.columns[name] - 1
    return [line[col] if col < len(line) else None for line in (grid[r - 1] for r in register.table["row"].tolist())]


def read_register(sheet: str, grid: list[list]) -> Register | None:
    """A register sheet as typed columns; None when the sheet has no register header. The rows
    kept are those with an input cell filled: all of them when one of the first three input
    columns is filled on every row (the usual register: STT, names), else row by row."""
    found = find_header(grid)
    if found is None:
        return None
    header_row, columns = found
    first = header_row + 1
    if len(grid) > header_row and numbering_row(grid[header_row]):
        first += 1
    data = grid[first - 1:]
    inputs = {n: c for n, c in columns.items() if not FIELD_BY_NAME[n].computed}
    cells = _columns(data, inputs)      # the computed columns are ours, rewritten: not read (memory)
    if any(_filled(cells[n]) for n in list(inputs)[:3]):
        positions = range(len(data))
    else:
        positions = _register_rows(data, [c - 1 for c in inputs.values()])
        if len(positions) != len(data):
            cells = _columns([data[i] for i in positions], inputs)
    every = len(positions) == len(data)
    rows = range(first, first + len(data)) if every else [first + i for i in positions]
    row_numbers = np.arange(first, first + len(data), dtype=np.int64) if every else np.array(rows, dtype=np.int64)
    table, issues, raw = _typed_table(cells, rows, sheet, columns, False, row_numbers)
    kind = _register_kind(columns, raw.get("group", []))
    return Register(sheet=sheet, kind=kind, header_row=header_row, columns=columns, table=table, raw=raw,
                    issues=issues, width=_last_used(grid[header_row - 1]), first_row=first)
