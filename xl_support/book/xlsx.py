"""An .xlsx/.xlsm package read as parts, with the few facts the patch writer and the reader need:
which part holds which sheet, relationships, content types, cell references, error cells.

Everything here works on the raw XML text with regular expressions over known element shapes
(ECMA-376 Part 1 §18): nothing is parsed into a tree and nothing is re-serialised, so what is not
touched stays byte for byte as it was.
"""
from __future__ import annotations

import datetime as dt
import posixpath
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Iterator
from xl_support.book.lazy_re import Pattern
from xl_support.book.xmltext import escape, unescape

REL_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
WORKSHEET_REL = REL_NS + "/worksheet"
DRAWING_REL = REL_NS + "/drawing"
CHART_REL = REL_NS + "/chart"
WORKSHEET_CT = "application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"
DRAWING_CT = "application/vnd.openxmlformats-officedocument.drawing+xml"
CHART_CT = "application/vnd.openxmlformats-officedocument.drawingml.chart+xml"

KEEP = object()          # "leave this aspect of the cell as it is"
FORMULA_TRIGGERS = ("=", "+", "-", "@")
_ILLEGAL_XML = Pattern("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
EXCEL_EPOCH = dt.datetime(1899, 12, 30)
_SHEET_EL = Pattern(r"<(?:\w+:)?sheet\b[^>]*/?>")
_ATTR = Pattern(r'([\w:]+)="([^"]*)"')
_REL_EL = Pattern(r"<(?:\w+:)?Relationship\b[^>]*/?>")
_REF = Pattern(r"([A-Z]{1,3})(\d+)")


def attrs(tag: str) -> dict[str, str]:
    """The attributes of one start tag (values unescaped)."""
    return {k: unescape(v) for k, v in _ATTR.findall(tag)}


def col_number(letters: str) -> int:
    n = 0
    for ch in letters:
        n = n * 26 + ord(ch) - 64
    return n


_LETTERS: list[str] = []


def col_letters(col: int) -> str:
    """1 → A, 27 → AA (cached: the writer asks for the same few columns many times)."""
    while len(_LETTERS) < col:
        n, s = len(_LETTERS) + 1, ""
        while n:
            n, rem = divmod(n - 1, 26)
            s = chr(65 + rem) + s
        _LETTERS.append(s)
    return _LETTERS[col - 1]


def split_ref(ref: str) -> tuple[int, int]:
    """`P6` → (6, 16)."""
    m = _REF.match(ref.replace("$", ""))
    return int(m[2]), col_number(m[1])


def rels_name(part: str) -> str:
    """`xl/worksheets/sheet2.xml` → `xl/worksheets/_rels/sheet2.xml.rels`."""
    folder, name = posixpath.split(part)
    return posixpath.join(folder, "_rels", name + ".rels")


def resolve(source: str, target: str) -> str:
    """A relationship target relative to its source part → the part name in the zip."""
    if target.startswith("/"):
        return target[1:]
    return posixpath.normpath(posixpath.join(posixpath.dirname(source), target))


@dataclass
class Relationship:
    id: str
    type: str
    target: str
    external: bool


def relationships(xml: str) -> list[Relationship]:
    out = []
    for tag in _REL_EL.findall(xml):
        a = attrs(tag)
        out.append(Relationship(a.get("Id", ""), a.get("Type", ""), a.get("Target", ""),
                                a.get("TargetMode") == "External"))
    return out


@dataclass
class SheetEntry:
    name: str
    sheet_id: int
    rid: str
    part: str           # zip name of the worksheet part ('' for a chart sheet / missing)
    state: str          # visible | hidden | veryHidden
    tag: str            # the <sheet …/> element as written


BIG_PART = 1 << 20          # parts larger than this (uncompressed) stay in the file until used


class ZipRef:
    """A part left in the source file: read when asked for, copied as it is when saving; `size`:
    its declared size, uncompressed."""
    __slots__ = ("path", "name", "size")

    def __init__(self, path: str | Path, name: str, size: int = 0):
        self.path, self.name, self.size = path, name, size

    def read(self) -> bytes:
        with zipfile.ZipFile(self.path) as zf:
            info = zf.getinfo(self.name)
            if info.compress_type != zipfile.ZIP_DEFLATED or info.flag_bits & 0x1:
                return zf.read(self.name)
            with open(self.path, "rb") as fh:       # one inflate into a buffer of the part's size: the
                fh.seek(info.header_offset)         # part is never held twice (zipfile's reader joins blocks)
                head = fh.read(30)
                if head[:4] != b"PK\x03\x04":
                    return zf.read(self.name)
                fh.seek(int.from_bytes(head[26:28], "little") + int.from_bytes(head[28:30], "little"), 1)
                data = zlib.decompress(fh.read(info.compress_size), -15, max(info.file_size, 1))
            if len(data) != info.file_size or zlib.crc32(data) != info.CRC:
                raise zipfile.BadZipFile(f"Bad CRC-32 for file {self.name!r}")
            return data

    def pieces(self, step: int = 1 << 21) -> Iterator[bytes]:
        """The part inflated in pieces of `step` bytes (issue 18 item 2: a big sheet is never held
        whole); the zip's CRC is checked when the last one is read."""
        with zipfile.ZipFile(self.path) as zf, zf.open(self.name) as fh:
            while piece := fh.read(step):
                yield piece

    def head(self, marker: bytes, step: int = 1 << 16) -> bytes | None:
        """The part's bytes before the first `marker`, read by streaming (None: it has none)."""
        data = b""
        with zipfile.ZipFile(self.path) as zf, zf.open(self.name) as fh:
            while chunk := fh.read(step):
                data += chunk
                at = data.find(marker, max(0, len(data) - len(chunk) - len(marker)))
                if at >= 0:
                    return data[:at]
        return None


class Parts(dict):
    """zip name → bytes; a big part is a `ZipRef` inside and is read (not kept) on access."""

    def __getitem__(self, name: str) -> bytes:
        value = dict.__getitem__(self, name)
        return value.read() if value.__class__ is ZipRef else value

    def raw(self) -> dict:
        """A plain copy that keeps the `ZipRef`s (for the writer)."""
        return {k: dict.__getitem__(self, k) for k in self}


class Package:
    """The parts of one workbook file (zip name → bytes); big parts are read when used."""

    def __init__(self, data: dict[str, bytes], infos: list[zipfile.ZipInfo] | None = None):
        self.parts = data
        self.order = [i.filename for i in infos] if infos else list(data)
        self.workbook_part = self._workbook_part()
        self.workbook_xml = self.text(self.workbook_part)
        self.workbook_rels_part = rels_name(self.workbook_part)
        self.sheets = self._sheets()

    @classmethod
    def open(cls, path: str | Path) -> "Package":
        with zipfile.ZipFile(path) as zf:
            infos = zf.infolist()
            return cls(Parts({i.filename: ZipRef(path, i.filename, i.file_size) if i.file_size > BIG_PART else zf.read(i)
                              for i in infos}), infos)

    def text(self, name: str) -> str:
        return self.parts[name].decode("utf-8")

    def _workbook_part(self) -> str:
        for rel in relationships(self.text("_rels/.rels")):
            if rel.type.endswith("/officeDocument"):
                return resolve("", rel.target)
        return "xl/workbook.xml"

    def rels(self, part: str) -> list[Relationship]:
        name = rels_name(part)
        return relationships(self.text(name)) if name in self.parts else []

    def _sheets(self) -> list[SheetEntry]:
        targets = {r.id: resolve(self.workbook_part, r.target) for r in self.rels(self.workbook_part)
                   if r.type == WORKSHEET_REL}
        out = []
        for tag in _SHEET_EL.findall(self.workbook_xml):
            a = attrs(tag)
            rid = a.get("r:id") or next((v for k, v in a.items() if k.endswith(":id")), "")
            out.append(SheetEntry(a.get("name", ""), int(a.get("sheetId", "0") or 0), rid, targets.get(rid, ""),
                                  a.get("state", "visible"), tag))
        return out

    def sheet(self, name: str) -> SheetEntry | None:
        return next((s for s in self.sheets if s.name == name), None)


_V = Pattern(rb"<v>([^<]*)</v>")
_R = Pattern(rb'\br="([A-Z]{1,3})(\d+)"')
_ERROR_TYPE = Pattern(rb'\bt="e"')


def error_cells(sheet_xml: bytes) -> list[tuple[int, int, str]]:
    """Cells holding an error value (`t="e"`: typed or a formula's cached result) → (row, col,
    `#REF!`…). python-calamine reads them as empty strings; issue 11.8 wants them reported. Each
    `t="e"` is found by `bytes.find` and its cell around it (a regular expression trying every
    cell costs 0.2 s on a 100,000-row sheet)."""
    out = []
    at = sheet_xml.find(b't="e"')
    while at >= 0:
        start = sheet_xml.rfind(b"<c", 0, at)
        tag_end = sheet_xml.find(b">", at)
        if start >= 0 and tag_end >= 0 and sheet_xml[start + 2:start + 3] in b" \t\r\n" \
                and sheet_xml.find(b">", start, at) < 0 and sheet_xml[tag_end - 1:tag_end] != b"/":
            tag = sheet_xml[start + 2:tag_end]
            end = sheet_xml.find(b"</c>", tag_end)
            r = _R.search(tag)
            v = _V.search(sheet_xml, tag_end, end) if end >= 0 and _ERROR_TYPE.search(tag) else None
            if r and v:
                out.append((int(r[2]), col_number(r[1].decode()), unescape(v[1].decode("utf-8"))))
            at = tag_end
        at = sheet_xml.find(b't="e"', at + 1)
    return out


def sheet_error_cells(path: str | Path | IO[bytes]) -> dict[str, list[tuple[int, int, str]]]:
    """Every sheet's error cells, by sheet name (only .xlsx/.xlsm packages; others: none); `path`
    may be the file's bytes already read (`io.BytesIO`), as the reader was given them."""
    try:
        with zipfile.ZipFile(path) as zf:
            pkg_parts = {n: zf.read(n) for n in zf.namelist() if n.endswith(".rels") or n.endswith("workbook.xml")}
            pkg = Package(pkg_parts)
            out = {}
            for s in pkg.sheets:
                if s.part and s.part in zf.namelist():
                    found = error_cells(zf.read(s.part))
                    if found:
                        out[s.name] = found
            return out
    except (zipfile.BadZipFile, KeyError, OSError):
        return {}


# ---------------------------------------------------------------- cell values → XML

def _text(value: str) -> str:
    value = _ILLEGAL_XML.sub("", value)[:32767]
    if value[:1].isspace() or value[-1:].isspace() or "\n" in value:
        return f'<t xml:space="preserve">{escape(value)}</t>'
    return f"<t>{escape(value)}</t>"


def serial(value: dt.date) -> str:
    """A date (or datetime) as Excel's serial number (1900 date system)."""
    if isinstance(value, dt.datetime):
        delta = value - EXCEL_EPOCH
        return repr(delta.days + delta.seconds / 86400) if delta.seconds else str(delta.days)
    return str((value - EXCEL_EPOCH.date()).days)


def value_xml(ref: str, style: int, value, formula: str | None = None, cm: int | None = None) -> str:
    """One `<c>` element. Text → inline string; a formula's text result → `t="str"` (`formula`
    is the `<f>` element, or "" for a cell of a spilled array: a result without a formula);
    `cm` marks a dynamic-array anchor."""
    s = (f' s="{style}"' if style else "") + (f' cm="{cm}"' if cm and formula else "")
    if value is None or value == "":
        return f'<c r="{ref}"{s}/>' if formula is None else f'<c r="{ref}"{s}>{formula}</c>'
    f = formula or ""
    if isinstance(value, bool):
        return f'<c r="{ref}"{s} t="b">{f}<v>{int(value)}</v></c>'
    if isinstance(value, (int, float)):
        return f'<c r="{ref}"{s}>{f}<v>{value!r}</v></c>'
    if isinstance(value, (dt.date, dt.datetime)):
        return f'<c r="{ref}"{s}>{f}<v>{serial(value)}</v></c>'
    if value.__class__.__name__ == "ExcelError":     # values.ExcelError
        return f'<c r="{ref}"{s} t="e">{f}<v>{escape(value.code)}</v></c>'
    if formula is not None:
        return f'<c r="{ref}"{s} t="str">{f}<v>{escape(_ILLEGAL_XML.sub("", str(value)))}</v></c>'
    return f'<c r="{ref}"{s} t="inlineStr"><is>{_text(str(value))}</is></c>'
