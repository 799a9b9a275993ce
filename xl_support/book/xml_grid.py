"""calamine's values of a workbook in its usual form, read from the screened parts with numpy
(issue 18 item 4: a consolidation parses only what it needs, straight into arrays).

`workbook.read_grids` is the one reading of a book (issue 11.8): python-calamine's
`to_python(skip_empty_area=False)` of every sheet. A sheet written the way Excel, LibreOffice,
XlsxWriter and openpyxl write cells — `<c r="B4" s="1" t="s"><v>12</v></c>`, a formula's `<f>`
before its cached `<v>`, an inline string `<is><t>…</t></is>` — is read here into the very same
grid (the same values, types and shape; `tests/book/test_xml_grid.py` compares the two on books
of every writer and on each form, one by one). Anything else — an ISO-date cell, a
number format or a date this module does not know as calamine does, rich text, a prefixed
namespace, the 1904 date system, a part whose CRC-32 is wrong — returns None, and calamine reads
the book. An error value (`t="e"`) is read as `read_grids` gives it: a `values.ExcelError`. Nothing here is a second rule: only a faster route to the same values.
"""
from __future__ import annotations

import re
import zlib

import numpy as np

from xl_support.book import values as V
from xl_support.book.safe_open import SHARED_STRINGS, Inflated

_LT, _QUOTE, _SPACE = 60, 34, 32

#: calamine's number formats of the builtin ids (`formats::builtin_format_by_id`): 14–22, 45 and 47
#: are dates and times, 46 a duration; the dates 14–17 are read here, the rest go to calamine.
_BUILTIN_DATE, _BUILTIN_TIME = frozenset({14, 15, 16, 17}), frozenset({18, 19, 20, 21, 22, 45, 46, 47})
_DATE_FORMAT = re.compile(r"(?:\[\$-[0-9A-Fa-f]{1,8}\])?(?=[^dmyDMY]*[dmyDMY])[dmyDMY/\-., ]+")
_NUMBER_FORMAT = re.compile(r"General|@|[#0.,% ]+(?:;[#0.,% \-()]+)*")
OTHER, DATE, UNKNOWN = 0, 1, 2

_SI = re.compile(rb'<si><t( xml:space="preserve")?(?:>([^<]*)</t>|(/>))</si>')
_NUM_FMT = re.compile(rb'<numFmt numFmtId="(\d+)" formatCode="([^"]*)"\s*/>')
_XF = re.compile(rb"<xf\b[^>]*>")
_XF_NUM_FMT = re.compile(rb'\snumFmtId="(\d+)"')
_ENTITY = re.compile(r"&(?:(amp|lt|gt|quot|apos)|#([0-9]{1,7})|#x([0-9A-Fa-f]{1,6}));")
_ENTITIES = {"amp": "&", "lt": "<", "gt": ">", "quot": '"', "apos": "'"}
_DAY_ONE, _LAST_SERIAL = 61, 2958465            # 1900-03-01 (after Excel's 29/02/1900) … 9999-12-31
_DATE_1904 = re.compile(rb"date1904\s*=\s*[\"']([^\"']*)")
_EPOCH = 25569                                  # the serial of 1970-01-01

# tags inside <sheetData>, told by their first 2 bytes after "<" (the end tags then checked for ">")
_CELL, _END_CELL, _END_V, _END_T, _V, _T, _FORMULA, _IS, _END_IS, _ROW, _NO_V = range(1, 12)
_TAGS = {b"c ": _CELL, b"/c": _END_CELL, b"v>": _V, b"/v": _END_V, b"t>": _T, b"t ": _T, b"/t": _END_T,
         b"v/": _NO_V, b"v ": _NO_V,
         b"f>": _FORMULA, b"f ": _FORMULA, b"f/": _FORMULA, b"/f": _FORMULA, b"is": _IS, b"/i": _END_IS,
         b"ro": _ROW, b"/r": _ROW}
_KIND = np.zeros(1 << 16, dtype=np.int8)
for _tag, _kind in _TAGS.items():
    _KIND[_tag[0] << 8 | _tag[1]] = _kind
_OPEN_NEXT = np.zeros(16, dtype=bool)              # what may follow an open cell's tag
_OPEN_NEXT[[_V, _NO_V, _FORMULA, _IS, _END_CELL]] = True
_PRESERVE = b'<t xml:space="preserve">'
_REF_OPEN = b'<c r="'
_MASK = np.array([(1 << 8 * n) - 1 for n in range(8)] + [2 ** 64 - 1], dtype=np.uint64)
_FILL = np.array([int.from_bytes(b"0" * (8 - n), "little") for n in range(9)], dtype=np.uint64)
_SHIFT = np.array([8 * (8 - n) for n in range(8)] + [0], dtype=np.uint64)
_ZEROS, _SIXES = np.uint64(0x3030303030303030), np.uint64(0x0606060606060606)
_HIGH, _LOW = np.uint64(0xF0F0F0F0F0F0F0F0), np.uint64(0x0101010101010101)
_QUOTES, _TOPS = np.uint64(0x2222222222222222), np.uint64(0x8080808080808080)


def _const(literal: bytes) -> np.uint64:
    return np.uint64(int.from_bytes(literal, "little"))


class _Bytes:
    """A part's bytes (zero-padded) and gathers of them at many positions at once."""

    def __init__(self, xml: bytes):
        self.u = np.frombuffer(xml + bytes(48), dtype=np.uint8)
        self._v8 = np.ndarray((len(self.u) - 7,), "V8", self.u, 0, (1,))

    def word(self, at: np.ndarray) -> np.ndarray:
        """The 8 bytes at each position, the first in the low byte."""
        return self._v8[at].view("<u8")

    def starts(self, at: np.ndarray, literal: bytes) -> np.ndarray:
        """Whether `literal` (at most 8 bytes) is written at each position."""
        return (self.word(at) & _MASK[len(literal)]) == _const(literal)

    def whole(self, at: np.ndarray, length: np.ndarray) -> np.ndarray | None:
        """The whole numbers written at `at` in `length` (1 to 8) ASCII digits, or None."""
        if length.size and (length.min() < 1 or length.max() > 8):
            return None
        return _digits(self.word(at), length)


def _digits(w: np.ndarray, length: np.ndarray) -> np.ndarray | None:
    """The whole numbers of the first `length` (1 to 8) bytes of each word, ASCII digits, or None."""
    value, digits = _whole_words(w, length)
    return value if digits.all() else None


def _whole_words(w: np.ndarray, length: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """`_digits` of each word, and whether its first `length` bytes are all digits."""
    w = (w & _MASK[length]) << _SHIFT[length] | _FILL[length]       # leading "0"s up to 8 digits
    digits = ((w & _HIGH) == _ZEROS) & (((w + _SIXES) & _HIGH) == _ZEROS)
    w -= _ZEROS
    w = (w * np.uint64(10) + (w >> np.uint64(8))) & np.uint64(0x00FF00FF00FF00FF)
    w = (w * np.uint64(100) + (w >> np.uint64(16))) & np.uint64(0x0000FFFF0000FFFF)
    w = (w * np.uint64(10000) + (w >> np.uint64(32))) & np.uint64(0xFFFFFFFF)
    return w.astype(np.int64), digits


def _quote(w: np.ndarray) -> np.ndarray:
    """The index of the first `"` in each word (8: none)."""
    x = w ^ _QUOTES
    z = (x - _LOW) & ~x & _TOPS
    return np.bitwise_count((z & (~z + np.uint64(1))) - np.uint64(1)).astype(np.int64) // 8


def sheet_grid(xml: bytes, strings: np.ndarray, kinds: np.ndarray, blank: str | None = "") -> list[list] | None:
    """A worksheet part's `to_python(skip_empty_area=False)` as calamine gives it, or None when the
    part is not in the form read here; `blank`: what an empty cell and an empty text are (calamine's
    "", or None as `read_grids` makes them; `strings` then already hold it)."""
    start, end = xml.find(b"<sheetData"), xml.rfind(b"</sheetData>")
    if start < 0 or not xml[-64:].rstrip().endswith(b"</worksheet>"):
        return None
    if xml.startswith(b"<sheetData/>", start) or xml.startswith(b"<sheetData />", start):
        return [] if end < 0 and xml.find(b"<sheetData", start + 1) < 0 else None
    if not xml.startswith(b"<sheetData>", start) or end < start or xml.find(b"<sheetData", end) >= 0:
        return None                                 # (one inside it is a tag not read here)
    b = _Bytes(xml)
    lt = np.flatnonzero(b.u[start + 11:end] == _LT) + (start + 11)
    if not lt.size:
        return []
    kind = _KIND[b.u[lt + 1].astype(np.uint16) << 8 | b.u[lt + 2]]
    if not kind.all():                              # a tag not read here (rich text, extLst, a prefix …)
        return None
    if not (b.u[lt[(kind >= _END_CELL) & (kind <= _END_T)] + 3] == ord(">")).all():      # </c> </v> </t>
        return None
    is_cell = kind == _CELL
    cells = np.flatnonzero(is_cell)
    if not cells.size:
        return []
    found = _cells(b, lt[cells])
    if found is None:
        return None
    col, row, style, ctype, self_closing = found
    # an open cell holds a value, formula tags or an inline string, then </c>; each cell closes
    # before the next opens (the parser calamine uses refuses anything else)
    kind = np.concatenate([kind, np.zeros(4, dtype=np.int8)])
    closed = np.cumsum(kind == _END_CELL)
    inside = np.diff(np.append(closed[cells], closed[-1]))
    if closed[cells[0]] or not (inside == ~self_closing).all() or not _OPEN_NEXT[kind[cells[~self_closing] + 1]].all():
        return None
    values = np.flatnonzero((kind == _V) | (kind == _T) | (kind == _NO_V))
    if not values.size:
        return []
    owner = np.cumsum(is_cell)[values] - 1
    if owner[0] < 0:                                # a value before any cell
        return None
    empty = kind[values] == _NO_V                   # <v/>: a formula's text "" (t="str"), else no value
    if empty.any():
        at = lt[values[empty]]
        if not (b.starts(at, b"<v/>") | b.starts(at, b"<v />")).all():
            return None
    inline = kind[values] == _T
    if inline.any() or (kind == _IS).any():
        in_is = (kind[values + 1] == _END_T) & (kind[values + 2] == _END_IS) & (kind[values + 3] == _END_CELL) \
            & (cells[owner] == values - 2) & (kind[values - 1] == _IS) & (ctype[owner] == ord("i"))
        if not (in_is | ~inline).all() or np.count_nonzero(kind == _IS) != np.count_nonzero(inline):
            return None
    plain = np.where(empty, kind[values + 1] == _END_CELL,
                     (kind[values + 1] == _END_V) & (kind[values + 2] == _END_CELL)) & (ctype[owner] != ord("i"))
    if (kind == _FORMULA).any():                    # only formula tags between a cell and its <v>
        others = np.cumsum(kind != _FORMULA)
        plain &= others[values - 1] == others[cells[owner]]
    else:
        plain &= cells[owner] == values - 1
    if not (plain | inline).all():
        return None
    if empty.any():
        keep = ~empty | (ctype[owner] == ord("S"))
        values, owner, empty, inline = values[keep], owner[keep], empty[keep], inline[keep]
        if not values.size:
            return []
    return _grid(b, lt, values, inline, empty, owner, col, row, style, ctype, strings, kinds, blank)


def _cells(b: _Bytes, p: np.ndarray) -> tuple | None:
    """Column, row, style, type and self-closing of the cell tags at `p` (`<c r="…"`, then `s`,
    `t` and `cm` if any, nothing else: `_attributes`); the type as one byte: n, s, b, "S" (a
    formula's text, str) or "i" (inlineStr)."""
    if not b.starts(p, _REF_OPEN).all():
        return None
    w = b.word(p + 6)
    size = _quote(w)                                # the reference: 1 to 3 letters, then digits
    c0, c1, c2 = (((w >> np.uint64(8 * i)) & np.uint64(0xFF)).astype(np.int64) - 65 for i in range(3))
    up0, up1, up2 = ((c >= 0) & (c < 26) for c in (c0, c1, c2))
    letters = up0.astype(np.int64) + (up0 & up1) + (up0 & up1 & up2)
    if size.max() > 7 or (size - letters).min() < 1 or not letters.min():
        return None
    col = np.where(letters == 1, c0 + 1, np.where(letters == 2, (c0 + 1) * 26 + c1 + 1,
                                                 ((c0 + 1) * 26 + c1 + 1) * 26 + c2 + 1))
    row = _digits(w >> (letters * 8).astype(np.uint64), size - letters)
    if row is None or row.min() < 1 or col.max() > 16384:
        return None
    found = _attributes(b, p + 7 + size)            # after the reference's closing quote
    if found is None:
        return None
    style, ctype, at = found
    at += b.u[at] == _SPACE                          # `<c … />` (openpyxl)
    tail = b.word(at) & np.uint64(0xFFFF)
    self_closing = tail == _const(b"/>")
    if not (self_closing | ((tail & np.uint64(0xFF)) == ord(">"))).all():
        return None
    return col, row, style, ctype, self_closing


def _attributes(b: _Bytes, at: np.ndarray) -> tuple | None:
    """A cell's `s`, `t` and `cm` from `at` on, each at most once, in any order (the usual one
    first, at once): its style, its one-byte type, and where its tag goes on."""
    style = np.zeros(len(at), dtype=np.int64)
    ctype = np.full(len(at), ord("n"), dtype=np.int64)
    seen = np.zeros((3, len(at)), dtype=bool)
    for _ in range(3):
        moved = False
        for j, name in enumerate((b' s="', b' t="', b' cm="')):
            has = b.starts(at, name)
            if not has.any():
                continue
            if (has & seen[j]).any():
                return None
            seen[j] |= has
            moved = True
            start = at[has] + len(name)
            if j == 1:
                got = _cell_types(b, start)
                if got is None:
                    return None
                ctype[has], size = got
            else:
                w = b.word(start)
                size = _quote(w)
                got = _digits(w, np.minimum(size, 7)) if size.max() < 8 and size.min() > 0 else None
                if got is None or j == 2 and size.max() > 3:
                    return None
                if j == 0:
                    style[has] = got
            at[has] = start + size + 1
        if not moved or (b.u[at] != _SPACE).all():
            break
    return style, ctype, at


_TYPES = ((b's"', ord("s")), (b'n"', ord("n")), (b'b"', ord("b")), (b'e"', ord("e")), (b'str"', ord("S")),
          (b'inlineSt', ord("i")))
#: the error values calamine reads (any other it refuses): a cell holding one is a `values.ExcelError`
ERROR_CODES = frozenset({"#DIV/0!", "#N/A", "#NAME?", "#NULL!", "#NUM!", "#REF!", "#VALUE!"})


def _cell_types(b: _Bytes, start: np.ndarray) -> tuple | None:
    """The one-byte type of each `t` value at `start`, and its length; None for a type not read
    here (d, …)."""
    w = b.word(start)
    code, size = np.zeros(len(w), dtype=np.int64), np.zeros(len(w), dtype=np.int64)
    for literal, one in _TYPES:
        match = (w & _MASK[len(literal)]) == _const(literal)
        code[match], size[match] = one, len(literal) - 1
    inline = code == ord("i")
    if inline.any():
        if not b.starts(start[inline] + 8, b'r"').all():
            return None
        size[inline] = 9
    return None if not code.all() else (code, size)


_WHITE = np.zeros(256, dtype=bool)
_WHITE[list(b" \t\n\r")] = True


def _texts(b: _Bytes, start: np.ndarray, stop: np.ndarray, trim: np.ndarray) -> list | None:
    """The texts between `start` and `stop` (entities replaced, `trim`med where asked; None for a
    carriage return or an `_xHHHH_` escape: calamine's), decoded at once: the spans gathered,
    each ended by NUL (a byte XML never holds)."""
    length = stop - start + 1                          # each with its NUL
    ends = np.cumsum(length)
    index = np.repeat(start - (ends - length), length)
    index += np.arange(int(ends[-1]))
    joined = b.u[index]
    joined[ends - 1] = 0
    joined = joined.tobytes()
    if b"\r" in joined or b"_x" in joined:
        return None
    texts = joined.decode("utf-8").split("\x00")[:-1]
    edge = _WHITE[b.u[start]] | _WHITE[b.u[np.maximum(stop - 1, start)]]
    if b"&" in joined:
        for i, t in enumerate(texts):
            if "&" in t:
                got = _unescape(t)
                if got is None:
                    return None
                texts[i], edge[i] = got, True        # `&#32;` is white space once replaced
    for i in np.flatnonzero(trim & edge).tolist():
        texts[i] = texts[i].strip(" \t\n\r")
    return texts


def _grid(b: _Bytes, lt, values, inline, empty, owner, col, row, style, ctype, strings, kinds, blank) -> list[list] | None:
    v_start, v_stop = lt[values] + 3, lt[values + 1]
    v_stop[empty] = v_start[empty]
    preserve = inline & (b.u[lt[values] + 2] == _SPACE)
    if preserve.any():
        at = lt[values][preserve]
        if not (b.starts(at, _PRESERVE[:8]) & b.starts(at + 8, _PRESERVE[8:16]) & b.starts(at + 16, _PRESERVE[16:])).all():
            return None
        v_start[preserve] = at + len(_PRESERVE)
    t = ctype[owner]
    out = np.empty(len(values), dtype=object)
    texts = (t == ord("S")) | inline
    length = v_stop - v_start
    errors = t == ord("e")
    if errors.any():                                # issue 11.8: an error value is an error at its cell
        got = _texts(b, v_start[errors], v_stop[errors], np.zeros(np.count_nonzero(errors), dtype=bool))
        if got is None or not ERROR_CODES.issuperset(got):
            return None
        out[errors] = [V.ExcelError(code) for code in got]
    if texts.any():
        got = _texts(b, v_start[texts], v_stop[texts], (inline & ~preserve)[texts])
        if got is None:
            return None
        out[texts] = got if blank == "" else [text or blank for text in got]
    if (length[~texts & ~errors] == 0).any():
        return None
    shared = t == ord("s")
    if shared.any():
        index = b.whole(v_start[shared], length[shared])
        if index is None or index.max() >= len(strings):
            return None
        out[shared] = strings[index]
    booleans = t == ord("b")
    if booleans.any():
        bit = b.u[v_start[booleans]]
        if not ((length[booleans] == 1) & ((bit == ord("0")) | (bit == ord("1")))).all():
            return None
        out[booleans] = (bit == ord("1")).tolist()
    numbers = t == ord("n")
    if numbers.any():
        got = _numbers(b, v_start[numbers], length[numbers])
        used = style[owner[numbers]]
        if got is None or used.max() >= len(kinds):
            return None
        kind = kinds[used]
        if (kind == UNKNOWN).any():
            return None
        boxed = got.astype(object)
        dates = kind == DATE
        if dates.any():
            serial = got[dates]
            if not ((serial == np.floor(serial)) & (serial >= _DAY_ONE) & (serial <= _LAST_SERIAL)).all():
                return None
            boxed[dates] = (serial.astype(np.int64) - _EPOCH).astype("datetime64[D]").astype(object)
        out[numbers] = boxed
    r, c = row[owner], col[owner]
    if r.size > 1 and not (np.diff((r - 1) * 16384 + c) > 0).all():   # each cell once, in order
        return None
    height, width = int(r.max()), int(c.max())
    grid = np.full(height * width, blank, dtype=object)
    grid[(r - 1) * width + (c - 1)] = out
    return grid.reshape(height, width).tolist()


_NUMBER_BYTES = np.zeros(256, dtype=bool)
_NUMBER_BYTES[list(b"0123456789.eE+-")] = True


def _numbers(b: _Bytes, start: np.ndarray, length: np.ndarray) -> np.ndarray | None:
    """The numbers written at `start` as float64, as calamine parses them: up to 8 digits at once
    (`_whole_words`), any other plain decimal form of at most 24 bytes by numpy's parser
    (correctly rounded, like Rust's)."""
    value, whole = _whole_words(b.word(start), np.clip(length, 1, 8))
    whole &= (length >= 1) & (length <= 8)
    out = value.astype(np.float64)
    if whole.all():
        return out
    rest = np.flatnonzero(~whole)
    width, size = 24, length[rest]
    if size.max() > width or size.min() < 1:
        return None
    inside = np.arange(width, dtype=np.int32) < size[:, None]
    raw = b.u[start[rest][:, None] + np.arange(width, dtype=np.int32)] * inside
    if not (_NUMBER_BYTES[raw] | ~inside).all():
        return None
    try:
        out[rest] = raw.view(f"S{width}").ravel().astype(np.float64)
    except ValueError:
        return None
    return out


def _unescape(text: str) -> str | None:
    """A text with its XML entities and character references replaced, as calamine gives it;
    None when an `&` starts none of them (or a reference is out of Unicode): left to calamine."""
    if text.count("&") != len(_ENTITY.findall(text)):
        return None
    try:
        return _ENTITY.sub(_entity, text)
    except ValueError:
        return None


def _entity(m: re.Match) -> str:
    name, dec, hexa = m.groups()
    if name:
        return _ENTITIES[name]
    code = int(dec) if dec else int(hexa, 16)
    if 0xD800 <= code <= 0xDFFF or code == 0:
        raise ValueError(code)
    return chr(code)


def shared_strings(xml: bytes | None) -> np.ndarray | None:
    """`xl/sharedStrings.xml` as an array of texts, each `<si>` a plain `<t>` (no rich text, no
    phonetic run); None otherwise. The texts are decoded at once, each item's tags replaced by
    NUL (a byte XML never holds); only a text with white space at an end is looked at alone
    (calamine drops it unless `xml:space="preserve"`)."""
    if xml is None:
        return np.empty(0, dtype=object)
    count = xml.count(b"<si")
    first, last = xml.find(b"<si>"), xml.rfind(b"</si>")
    if not count:
        return np.empty(0, dtype=object) if first < 0 else None
    body = xml[first:last + 5].replace(b"<si><t/></si>", b"<si><t></t></si>")
    if b"\x01" in body:                             # the mark of a text kept as written, below
        return None
    marked = body.replace(b'<si><t xml:space="preserve">', b"<si><t>\x01")
    if not (marked.startswith(b"<si><t>") and marked.endswith(b"</t></si>")):
        return None
    marked = marked[7:-9].replace(b"</t></si><si><t>", b"\x00")
    if b"<" in marked or b"\r" in marked or b"_x" in marked:
        return None
    joined = marked.replace(b"\x01", b"")
    texts = joined.decode("utf-8").split("\x00")
    if len(texts) != count:
        return None
    if b"&" in joined:
        for i, text in enumerate(texts):
            if "&" in text:
                texts[i] = _unescape(text)
                if texts[i] is None:
                    return None
    if _edge_white(joined):
        for i, raw in enumerate(marked.split(b"\x00")):
            if raw[:1] != b"\x01":
                texts[i] = texts[i].strip(" \t\n\r")
    out = np.empty(len(texts), dtype=object)
    out[:] = texts
    return out


def _edge_white(joined: bytes) -> bool:
    """Some text of NUL-joined texts may start or end with XML white space (a character
    reference `&#…;` may be one): white space next to a NUL, or at either end."""
    u = np.frombuffer(b"\x00" + joined + b"\x00", dtype=np.uint8)
    nul, white = u == 0, _WHITE[u]
    return b"&#" in joined or bool((nul[:-1] & white[1:]).any() or (white[:-1] & nul[1:]).any())


def _format_kind(code: str) -> int:
    if _DATE_FORMAT.fullmatch(code):
        return DATE
    if _NUMBER_FORMAT.fullmatch(code):
        return OTHER
    return UNKNOWN


def style_kinds(xml: bytes | None) -> np.ndarray | None:
    """Per cell style (`cellXfs`), what calamine makes of a number in it: OTHER (a number), DATE
    (a date), UNKNOWN (a time, a duration or a format not known here: calamine reads the book)."""
    if xml is None:
        return np.zeros(1, dtype=np.int8)
    start, end = xml.find(b"<cellXfs"), xml.find(b"</cellXfs>")
    if start < 0 or end < 0 or xml.count(b"<cellXfs") != 1:
        return None
    fmt_start, fmt_end = xml.find(b"<numFmts"), xml.find(b"</numFmts>")      # (a `dxf`'s numFmt is not one)
    block = xml[fmt_start:fmt_end] if 0 <= fmt_start < fmt_end else b""
    custom, formats = {}, _NUM_FMT.findall(block)
    if len(formats) != block.count(b"<numFmt ") or xml.count(b"<numFmts") > 1:
        return None
    for num, code in formats:
        text = _unescape(code.decode("utf-8"))
        custom[int(num)] = UNKNOWN if text is None else _format_kind(text)
    kinds = []
    for tag in _XF.findall(xml, start, end):
        m = _XF_NUM_FMT.search(tag)
        num = int(m.group(1)) if m else 0
        kinds.append(custom[num] if num in custom else
                     DATE if num in _BUILTIN_DATE else UNKNOWN if num in _BUILTIN_TIME else OTHER)
    return np.array(kinds or [OTHER], dtype=np.int8)


def book_grids(keep: Inflated, wanted=None, skip: frozenset[str] = frozenset(),
               blank: str | None = "") -> dict[str, list[list]] | None:
    """Every sheet's grid (`wanted` ones only, when given; those in `skip` empty, unread; empty
    cells and texts `blank`) from what the screening inflated (`safe_open.Inflated`: the parts,
    the sheets in the workbook's order), or None when one of them — or the shared strings, the
    styles, the date system — is not in the form read here, or a part's CRC-32 is not the one its
    zip entry declares (calamine refuses the file then)."""
    crc = {i.filename: i.CRC for i in keep.infos}
    if any(n.lower().endswith(("sharedstrings.xml", "styles.xml")) and n not in (SHARED_STRINGS, "xl/styles.xml")
           for n in crc):
        return None                                 # parts where calamine may look for them otherwise

    def part(name: str) -> bytes | None:
        body = keep.parts.get(name)
        if body is None or zlib.crc32(body) != crc.get(name):
            raise LookupError(name)
        return body

    try:
        book = part("xl/workbook.xml")
        if any(v not in (b"false", b"0") for v in _DATE_1904.findall(book)):
            return None
        strings = shared_strings(part(SHARED_STRINGS) if SHARED_STRINGS in crc else None)
        kinds = style_kinds(part("xl/styles.xml") if "xl/styles.xml" in crc else None)
        if strings is not None and blank != "":
            strings[strings == ""] = blank
        if strings is None or kinds is None or book.count(b"<sheet ") != len(keep.sheets) \
                or any(c in name for name, _ in keep.sheets for c in "&<>\"'"):    # names as the screening decoded them
            return None
        out = {}
        for name, where in keep.sheets:
            if wanted is not None and name not in wanted:
                continue
            if name in skip:
                out[name] = []
                continue
            grid = sheet_grid(part(where), strings, kinds, blank)
            if grid is None:
                return None
            out[name] = grid
    except LookupError:
        return None
    return out
