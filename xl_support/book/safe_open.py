"""The one safe opening (issue 12; design.md "Reliability and security"): checks on a workbook
file before any parser sees it — format, truncated, password-protected, zip bomb, XML entity
bomb, and the real extent of each sheet (a sheet may claim A1:O10 and hold one cell at
XFD99999: readers allocate up to the farthest cell).

The file is read once into memory (issue 18 item 4: the reader may be given the same bytes);
its zip directory is parsed once and its parts are inflated directly (zlib-ng, else zlib), each
to exactly its declared size (the bytes the reader's zip library will see). The XML prologs are
read first (a few KB of each part); then every sheet part is inflated once, in pieces, and its
cells found with a few vectorised passes when they are written as every common writer does
(`<c r="A1"`), else with the reference regular expressions; so a hostile file costs milliseconds
and little memory. `check_workbook(path)` returns None when the file may be parsed, else a
`Rejection` with a Vietnamese reason; `screen_workbook(path)` raises it as a `ScreenError` (every
command), and `read_screened(path)` also returns the screened package: the same parts, those the
screening inflated stored uncompressed (`stored_package`), so the reader parses the very bytes
screened and does not inflate them a second time.
"""
from __future__ import annotations

import io
import os
import re
import stat
import struct
import zipfile
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from posixpath import normpath

from xl_support.book.fileio import UserFacingError, os_reason
from xl_support.book.lazy_re import Pattern
from xl_support.book.xmltext import unescape

# zlib-ng inflates a ward book's parts in about half zlib's time (issue 18 item 4: the screening's
# share of a consolidation); same API, same streams: zlib when it is not installed.
try:
    from zlib_ng import zlib_ng as _inflater
except ImportError:
    _inflater = zlib
_INFLATE_ERRORS = (zlib.error, _inflater.error)

SUPPORTED_SUFFIXES = (".xlsx", ".xlsm")
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
ZIP_MAGIC = b"PK\x03\x04"
_ROOT_START = re.compile(rb"<[A-Za-z_:\x80-\xff]")
_VALUE = rb"""(?:"([^"]*)"|'([^']*)')"""                     # an attribute value, either quote
_SHEET = re.compile(rb"<(?:[\w.-]+:)?sheet\s[^>]*>")
_REL = re.compile(rb"<(?:[\w.-]+:)?Relationship\s[^>]*>")
_ID, _TARGET, _NAME_ATTR, _RID = (re.compile(rb"\s" + key + rb"\s*=\s*" + _VALUE)
                                  for key in (rb"Id", rb"Target", rb"name", rb"[\w.-]+:id"))


@dataclass(frozen=True)
class Limits:
    """What a ward workbook may hold (a large ward has a few thousand register rows)."""
    max_members: int = 5_000                  # parts in the zip
    max_total_bytes: int = 512 * 2**20        # declared uncompressed total
    max_ratio: int = 200                      # uncompressed / compressed, for parts ≥ ratio_floor
    ratio_floor: int = 4 * 2**20
    max_rows: int = 100_000                   # rows of one sheet
    max_cols: int = 1_000                     # columns of one sheet (the register has ~25)
    max_cells: int = 5_000_000                # rows × columns a reader allocates for one sheet
    prolog_bytes: int = 64 * 1024             # XML read before the root element, at most
    max_file_bytes: int = 256 * 2**20         # the file, read once into memory
    piece_bytes: int = 4 * 2**20              # a sheet part is inflated and screened in pieces this large
    stored_bytes: int = 16 * 2**20            # a package this small (uncompressed) is handed on with its parts stored


LIMITS = Limits()


@dataclass(frozen=True)
class Rejection:
    code: str        # NOT_FOUND, NOT_FILE, UNSUPPORTED, EMPTY, TOO_LARGE, NOT_ZIP, ENCRYPTED, OLD_XLS, CORRUPT, ZIP_BOMB, XML_BOMB, TOO_MANY_ROWS
    reason: str      # Vietnamese, for the file-status sheet


def _n(value: int) -> str:
    return f"{value:,}".replace(",", ".")


def _col_number(letters: bytes) -> int:
    """Column number of a reference's letters, either case, as the reader counts them ("" → 1;
    past 12 letters, a number past any limit)."""
    if len(letters) > 12:
        return 26**13
    n = 0
    for ch in letters.upper() or b"A":
        n = n * 26 + ch - 64
    return n



def _load(path: Path, limits: Limits) -> tuple[bytes | None, Rejection | None]:
    """Extension, kind of file and first bytes (.xls, empty, OLE: encrypted or old binary, not a
    zip); then the whole file, read once (at most `max_file_bytes`)."""
    suffix = path.suffix.lower()
    if suffix == ".xls":
        return None, Rejection("UNSUPPORTED", "Tệp .xls (Excel 97–2003) không được hỗ trợ: hãy mở bằng Excel và "
                                              "lưu lại dạng .xlsx hoặc .xlsm theo mẫu")
    if suffix not in SUPPORTED_SUFFIXES:
        return None, Rejection("UNSUPPORTED", f"Định dạng «{suffix or 'không có đuôi'}» không được hỗ trợ: "
                                              "chỉ nhận tệp .xlsx hoặc .xlsm")
    try:
        info = os.stat(path)
        if stat.S_ISDIR(info.st_mode):
            return None, Rejection("NOT_FILE", "Đây là một thư mục, không phải tệp sổ Excel")
        if not stat.S_ISREG(info.st_mode):
            return None, Rejection("NOT_FILE", "Đây không phải tệp thông thường (ống dẫn, thiết bị…): không đọc")
        with open(path, "rb") as fh:
            data = fh.read(min(info.st_size, limits.max_file_bytes) + 1)
            if len(data) > info.st_size:            # growing meanwhile
                data += fh.read(limits.max_file_bytes + 1 - len(data))
    except FileNotFoundError:
        return None, Rejection("NOT_FOUND", "Không tìm thấy tệp")
    except OSError as e:
        return None, Rejection("NOT_FOUND", f"Không đọc được tệp ({os_reason(e)})")
    if not data:
        return None, Rejection("EMPTY", "Tệp rỗng (0 byte): hãy đề nghị đơn vị gửi lại")
    if len(data) > limits.max_file_bytes:
        return None, Rejection("TOO_LARGE", f"Tệp lớn hơn {_n(limits.max_file_bytes // 2**20)} MB (sổ của một đơn vị "
                                            "không bao giờ lớn như vậy): không mở")
    if data[:8] == OLE_MAGIC:
        return None, _check_ole(path)
    if data[:4] != ZIP_MAGIC:
        return None, Rejection("NOT_ZIP", "Tệp không phải sổ Excel .xlsx/.xlsm (nội dung không đúng định dạng, "
                                          "có thể là tệp khác bị đổi tên): hãy đề nghị đơn vị gửi lại")
    return data, None


def _check_ole(path: Path) -> Rejection:
    """An OLE compound file named .xlsx: Excel's password encryption, or an old .xls renamed."""
    import olefile
    try:
        with olefile.OleFileIO(str(path)) as ole:
            names = {"/".join(entry) for entry in ole.listdir(streams=True, storages=False)}
    except Exception:   # noqa: BLE001 — any parse failure of a hostile file is "corrupt"
        return Rejection("CORRUPT", "Tệp bị hỏng (định dạng OLE không đọc được): hãy đề nghị đơn vị gửi lại")
    if "EncryptedPackage" in names:
        return Rejection("ENCRYPTED", "Tệp được đặt mật khẩu: hãy đề nghị đơn vị gỡ mật khẩu (Tệp → Thông tin → "
                                      "Bảo vệ sổ làm việc → Mã hóa bằng mật khẩu, xóa trống) rồi gửi lại")
    if names & {"Workbook", "Book"}:
        return Rejection("OLD_XLS", "Tệp là sổ Excel 97–2003 (.xls) bị đổi đuôi: hãy mở bằng Excel và lưu lại "
                                    "dạng .xlsx hoặc .xlsm")
    return Rejection("NOT_ZIP", "Tệp không phải sổ Excel .xlsx/.xlsm (tệp OLE không chứa sổ tính)")


_LOCAL_HEADER = struct.Struct("<4s22xHH")     # signature … file name length, extra field length
_FEED = 1 << 18                                # compressed bytes given to the inflater at a time
_SMALL = 1 << 16                               # an XML part this small is inflated whole
SHARED_STRINGS = "xl/sharedStrings.xml"          # inflated whole too when the package is kept (`Inflated`)
_ONE_CALL = 1 << 16                            # a part compressed this small is inflated in one call (≤ 66 MB)


def _raw(data: bytes, info: zipfile.ZipInfo) -> memoryview:
    """A part's compressed bytes in the file (after its local header)."""
    signature, name_len, extra_len = _LOCAL_HEADER.unpack_from(data, info.header_offset)
    if signature != ZIP_MAGIC:
        raise zipfile.BadZipFile(f"bad local header: {info.filename}")
    start = info.header_offset + _LOCAL_HEADER.size + name_len + extra_len
    raw = memoryview(data)[start:start + info.compress_size]
    if len(raw) != info.compress_size:
        raise EOFError(info.filename)
    return raw


def _whole(zf: zipfile.ZipFile, data: bytes, info: zipfile.ZipInfo, piece: int = _SMALL) -> bytes:
    """A part's bytes, whole: its pieces (`_inflate`) joined; inflated in one call directly when
    `_inflate` would (no generator: a book's small parts are many)."""
    if info.compress_type == zipfile.ZIP_DEFLATED and _fits_one_call(info, piece):
        return _one_call(_raw(data, info), info)
    return b"".join(_inflate(zf, data, info, piece))


def _fits_one_call(info: zipfile.ZipInfo, piece: int) -> bool:
    """A deflated part `_inflate` gives as one piece, inflated by `_one_call`."""
    return info.file_size <= piece and info.compress_size <= _ONE_CALL


def _one_call(raw: memoryview, info: zipfile.ZipInfo) -> bytes:
    """A deflated part inflated in one call into a buffer of its declared size (zlib-ng's
    `decompress` maps twice that, touched anew at every part); past it, the rest inflated as a
    whole inflate would (≤ 66 MB: a damaged block is an error, a stream without end too, more
    bytes a size mismatch)."""
    inflater = _inflater.decompressobj(-15)
    out = inflater.decompress(raw, max(info.file_size, 1))
    longer = not inflater.eof and bool(inflater.flush())
    if not inflater.eof:
        raise _inflater.error("incomplete or truncated stream")
    if len(out) != info.file_size or longer:
        raise zipfile.BadZipFile(f"size differs: {info.filename}")
    return out


def _inflate(zf: zipfile.ZipFile, data: bytes, info: zipfile.ZipInfo, piece: int) -> Iterator[bytes]:
    """A part's bytes, in pieces of at most `piece` bytes, inflated from the file in memory with
    `_inflater` (no second reading, no CRC pass). Read to its end, the part must be exactly its
    declared size and its deflate stream must end there: what the reader's zip library inflates."""
    raw = _raw(data, info)
    if info.compress_type == zipfile.ZIP_STORED:
        if info.file_size != info.compress_size:
            raise zipfile.BadZipFile(f"stored size: {info.filename}")
        for at in range(0, len(raw), piece):
            yield bytes(raw[at:at + piece])
        return
    if info.compress_type != zipfile.ZIP_DEFLATED:      # never written by Excel: zipfile's own readers
        with zf.open(info) as fh:
            while out := fh.read(piece):
                yield out
        return
    if _fits_one_call(info, piece):
        out = _one_call(raw, info)
        if out:
            yield out
        return
    inflater, fed, size = _inflater.decompressobj(-15), 0, 0
    pending = b""
    while True:
        if not pending:
            if fed >= len(raw):
                break
            pending, fed = raw[fed:fed + _FEED], fed + _FEED
        out = inflater.decompress(pending, piece)
        pending = inflater.unconsumed_tail
        if out:
            size += len(out)
            if size > info.file_size:
                raise zipfile.BadZipFile(f"longer than declared: {info.filename}")
            yield out
        elif inflater.eof:
            break
    if not inflater.eof or size != info.file_size:
        raise zipfile.BadZipFile(f"size or stream end differs: {info.filename}")


def _slices(whole: bytes, piece: int) -> Iterator[bytes]:
    if len(whole) <= piece:
        if whole:
            yield whole
        return
    for at in range(0, len(whole), piece):
        yield whole[at:at + piece]


_LOCAL = struct.Struct("<4s5H3I2H")            # local header: signature, version, flags, method, time, date, CRC, sizes, name, extra
_CENTRAL = struct.Struct("<4s6H3I5H2I")        # central directory record (same fields, then comment, disk, attributes, offset)
_END = struct.Struct("<4s4H2IH")               # end of central directory


@dataclass
class Inflated:
    """What `check_package` inflated whole, for `stored_package`: the zip directory, and every
    part so inflated by name."""
    infos: list = field(default_factory=list)
    parts: dict[str, bytes] = field(default_factory=dict)
    sheets: list[tuple[str, str]] = field(default_factory=list)     # (sheet name, part), the workbook's order


def stored_package(data: bytes, keep: Inflated) -> bytes:
    """The package `check_package(data, keep=keep)` screened, rebuilt in memory with every part
    it inflated whole stored uncompressed — the very bytes screened — under the same names (as
    written), in the same order, with the same CRC-32 (the reader still checks it); any other
    part (a picture, vbaProject.bin, a large shared-strings part) copied as it was compressed
    (issue 18 item 4: the reader parses what was screened, and does not inflate it again)."""
    out, central, at = [], [], 0
    for info in keep.infos:
        name = info.orig_filename          # ASCII: the same bytes either way, without cp437's Python codec
        name = name.encode("ascii" if name.isascii() else "utf-8" if info.flag_bits & 0x800 else "cp437")
        body = keep.parts.get(info.filename)
        if body is None:
            method, body, size = info.compress_type, _raw(data, info), info.compress_size
        else:
            method, size = zipfile.ZIP_STORED, len(body)
        y, mo, d, h, mi, sec = info.date_time
        date, time = (y - 1980) << 9 | mo << 5 | d, h << 11 | mi << 5 | sec // 2
        flags = info.flag_bits & 0x800                          # sizes in the local header: no data descriptor
        fields = (info.extract_version, flags, method, time, date, info.CRC, size, info.file_size, len(name))
        out += (_LOCAL.pack(b"PK\x03\x04", *fields, 0), name, body)
        central += (_CENTRAL.pack(b"PK\x01\x02", info.create_version | info.create_system << 8, *fields, 0, 0, 0,
                                  info.internal_attr, info.external_attr, at), name)
        at += _LOCAL.size + len(name) + size
    count, size = len(keep.infos), sum(map(len, central))
    return b"".join(out + central + [_END.pack(b"PK\x05\x06", 0, 0, count, count, size, at, 0)])


def _prolog(head: bytes, limits: Limits) -> bool | None:
    """The first bytes of an XML part: True when its root element starts within `prolog_bytes`
    after only comments, processing instructions and white space; False for a DOCTYPE or
    ENTITY declaration (or anything else) before it, or no root within the limit; None: more
    bytes are needed."""
    at = 0
    while True:
        at = head.find(b"<", at)
        if at < 0 or at >= limits.prolog_bytes:
            return False if len(head) >= limits.prolog_bytes else None
        if head.startswith(b"<?", at):
            end, skip = head.find(b"?>", at + 2), 2
        elif head.startswith(b"<!--", at):
            end, skip = head.find(b"-->", at + 4), 3
        else:                                       # `<!DOCTYPE`, `<!ENTITY`, or the root element
            return _ROOT_START.match(head, at) is not None
        if end < 0:
            return False if len(head) >= limits.prolog_bytes else None
        at = end + skip


def _prolog_ok(pieces: Iterator[bytes], limits: Limits) -> bool:
    head = b""
    for out in pieces:
        head += out
        verdict = _prolog(head, limits)
        if verdict is not None:
            return verdict
    return True


class _XmlBomb(Exception):
    """A DOCTYPE or ENTITY declaration before a part's root element."""


def _with_prolog(pieces: Iterator[bytes], limits: Limits) -> Iterator[bytes]:
    """A part's pieces, its prolog checked on the way (`_XmlBomb`)."""
    head = b""
    for out in pieces:
        if head is not None:
            head += out[:limits.prolog_bytes]
            verdict = _prolog(head, limits)
            if verdict is False:
                raise _XmlBomb
            if verdict:
                head = None
        yield out


def _attr(tag: bytes, key: re.Pattern) -> bytes | None:
    m = key.search(tag)
    return None if m is None else m[1] if m[1] is not None else m[2]


def _sheet_parts(zf: zipfile.ZipFile, data: bytes, names: set[str], small: dict[str, bytes]) -> dict[str, str]:
    """Worksheet part name → sheet name (from xl/workbook.xml and its relationships). A target is
    matched with every part name a reader could make of it (relative to xl/, or as written)."""
    if "xl/workbook.xml" not in names or "xl/_rels/workbook.xml.rels" not in names:
        return {}
    book, rels = (small.get(n) or b"".join(_inflate(zf, data, zf.getinfo(n), 4 * 2**20))
                  for n in ("xl/workbook.xml", "xl/_rels/workbook.xml.rels"))
    targets = {}
    for tag in _REL.findall(rels):
        targets.setdefault(_attr(tag, _ID), _attr(tag, _TARGET))
    out = {}
    for tag in _SHEET.findall(book):
        name, target = _attr(tag, _NAME_ATTR), targets.get(_attr(tag, _RID))
        if name is None or not target:
            continue
        target = target.decode("utf-8", "replace")
        for part in {target, target.lstrip("/"), "xl/" + target, normpath("xl/" + target)}:
            if part in names:
                out.setdefault(part, _xml_text(name))
    return out


def _xml_text(raw: bytes) -> str:
    return unescape(raw.decode("utf-8", "replace"))


def _xml_bomb(part: str) -> Rejection:
    return Rejection("XML_BOMB", f"Phần «{part}» có khai báo DOCTYPE/ENTITY (sổ Excel không bao giờ có): "
                                 "nghi là tệp độc hại («XML bomb»), không mở")


def check_package(data: bytes, limits: Limits = LIMITS, with_errors: set | None = None,
                  keep: Inflated | None = None) -> Rejection | None:
    """Zip directory (bomb), XML prologs (entity bomb), the real extent of every sheet (and, in
    the same pass, the names of the sheets that may hold error cells, into `with_errors`) of a
    workbook's bytes. `keep` (optional, for `stored_package`) receives the zip directory and, by
    part name, every part the screening inflated whole: each sheet part and every small XML part,
    when the package is at most `stored_bytes` uncompressed."""
    try:
        zf = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, ValueError, EOFError):
        return Rejection("CORRUPT", "Tệp bị hỏng hoặc không đầy đủ (có thể gửi hoặc tải về chưa xong): "
                                    "hãy đề nghị đơn vị gửi lại")
    infos = zf.infolist()
    names = {i.filename for i in infos}
    if len(infos) > limits.max_members:
        return Rejection("ZIP_BOMB", f"Tệp chứa {_n(len(infos))} phần (giới hạn {_n(limits.max_members)}): "
                                     "nghi là tệp độc hại («zip bomb»), không mở")
    if len(names) != len(infos):
        return Rejection("CORRUPT", "Tệp bị hỏng (hai phần cùng tên trong tệp nén): hãy đề nghị đơn vị gửi lại")
    if "xl/workbook.xml" not in names:
        return Rejection("NOT_ZIP", "Tệp nén không phải sổ Excel (thiếu phần xl/workbook.xml)")
    total = sum(i.file_size for i in infos)
    if total > limits.max_total_bytes:
        return Rejection("ZIP_BOMB", f"Tệp khi giải nén lớn {_n(total // 2**20)} MB (giới hạn "
                                     f"{_n(limits.max_total_bytes // 2**20)} MB): nghi là «zip bomb», không mở")
    for i in infos:
        if i.flag_bits & 0x1:
            return Rejection("ENCRYPTED", "Tệp có phần bị mã hóa: hãy đề nghị đơn vị gỡ mật khẩu rồi gửi lại")
        if i.file_size >= limits.ratio_floor and i.file_size > limits.max_ratio * max(i.compress_size, 1):
            return Rejection("ZIP_BOMB", f"Phần «{i.filename}» nén {_n(i.file_size // max(i.compress_size, 1))} "
                                         "lần (bất thường): nghi là «zip bomb», không mở")
    if keep is not None and total <= limits.stored_bytes:
        keep.infos = infos
    else:
        keep = None
    try:
        small = {}                  # XML parts of at most 64 KB, inflated whole once
        sheets = {n for n in names if n.startswith("xl/worksheets/") and n.endswith(".xml")}
        for i in infos:
            if i.file_size and i.filename.lower().endswith((".xml", ".rels", ".vml")) and i.filename not in sheets:
                if i.file_size <= _SMALL or keep is not None and i.filename == SHARED_STRINGS:
                    small[i.filename] = _whole(zf, data, i, max(i.file_size, _SMALL))
                    safe = _prolog_ok(iter([small[i.filename]]), limits)
                else:
                    safe = _prolog_ok(_inflate(zf, data, i, 4096), limits)
                if not safe:
                    return _xml_bomb(i.filename)
        # every part a reader may take for a sheet (its prolog checked on the way): the
        # workbook's sheets, and any other worksheet part
        sheet_names = _sheet_parts(zf, data, names, small)
        parts = dict.fromkeys(sorted(sheets))
        parts.update(sheet_names)
        if keep is not None:
            keep.parts.update(small)
            keep.sheets = [(name, part) for part, name in sheet_names.items()]
        for part, sheet in parts.items():
            info = zf.getinfo(part)
            if keep is not None:        # inflated whole once, screened in pieces
                whole = keep.parts[part] = _whole(zf, data, info, limits.piece_bytes)
                pieces = lambda whole=whole: _slices(whole, limits.piece_bytes)
            else:
                pieces = lambda info=info: _inflate(zf, data, info, limits.piece_bytes)
            try:
                problem = _check_sheet(lambda pieces=pieces: _with_prolog(pieces(), limits),
                                       sheet or part, limits, with_errors, sheet)
            except _XmlBomb:
                return _xml_bomb(part)
            if problem:
                return problem
    except (zipfile.BadZipFile, EOFError, ValueError, OSError, NotImplementedError, *_INFLATE_ERRORS, struct.error) as e:
        return Rejection("CORRUPT", f"Tệp bị hỏng, không giải nén được ({type(e).__name__}): "
                                    "hãy đề nghị đơn vị gửi lại")
    return None


# ---------------------------------------------------------------- the real extent of a sheet

# The reference reading (any writer's form): a cell is an element whose local name is "c" (the
# reader matches local names: `<c`, `<x:c`); its reference is its attribute `r`, in either
# quote, with letters of either case (the reader's parser). Attribute values never hold "<".
_NAME = rb"[^\s<>/!?:=\"']+"
_BEFORE = rb"(?:[^<>\"']|\"[^<\"]*\"|'[^<']*')*?"
_REF = rb"(?:\s" + _BEFORE + rb"(?<=\s)r\s*=\s*([\"'])([A-Za-z]*)(\d*)\1)?"
_CELL = Pattern(rb"<(?:c|" + _NAME + rb":c)(?=[\s/>])" + _REF)        # every cell, its reference if any
_ROW = Pattern(rb"<(?:row|" + _NAME + rb":row)(?=[\s/>])" + _REF)
_CELL_OR_ROW = Pattern(rb"<(?:" + _NAME + rb":)?(?:c|row)[\s/>]")


@dataclass(frozen=True)
class Extent:
    """What a sheet really holds (from its cell references, never from `<dimension>`)."""
    rows: int            # last row a reader will allocate
    cols: int            # last column a reader will allocate
    cells: int           # cell elements
    far_cell: str        # the cell that sets the extent (e.g. "XFD99999"), for the message
    errors: bool = False  # some cell may hold an error value (`t="e"`): `xlsx.error_cells` must look


@dataclass
class _Chunk:
    """The cells of one piece of a sheet part: how many, how many without a reference, and the
    first cell of the farthest row and of the farthest column (number, name)."""
    cells: int = 0
    unreferenced: int = 0
    row: int = 0
    row_cell: str = "A1"
    col: int = 0
    col_cell: str = "A1"
    row_tags: int = 0     # row elements and their largest `r` (the reference reading only: they
    row_ref: int = 0      # place the cells without a reference)
    errors: bool = False  # `t="e"` somewhere


def _cell_name(letters: bytes, row: int) -> str:
    name = letters[:16].decode().upper() + str(row)
    return name if len(name) <= 16 else name[:15] + "…"


def _column_letters(col: int) -> str:
    out = ""
    while col > 0 and len(out) < 16:
        col, rest = divmod(col - 1, 26)
        out = chr(65 + rest) + out
    return out or "A"


def _number(digits: bytes) -> int:
    return int(digits) if len(digits) <= 18 else 10**18 if digits else 0


def reference_cells(data: bytes, rows: bool = False) -> _Chunk:
    """The cells of a piece by the reference regular expressions (any writer's form); its row
    elements too when it has cells without a reference, or when `rows` (those of a later piece
    are placed after these rows)."""
    found = _CELL.findall(data)
    refs = [f for f in found if f[0]]
    out = _Chunk(cells=len(found), unreferenced=len(found) - len(refs), errors=data.find(b't="e"') >= 0)
    if refs:
        _, letters, digits = zip(*refs)
        numbers = list(map(_number, digits))
        cols = list(map({x: _col_number(x) for x in set(letters)}.__getitem__, letters))
        i, j = numbers.index(max(numbers)), cols.index(max(cols))
        out.row, out.row_cell = numbers[i], _cell_name(letters[i], numbers[i])
        out.col, out.col_cell = cols[j], _cell_name(letters[j], numbers[j])
    if out.unreferenced or rows:
        found = _ROW.findall(data)
        out.row_tags = len(found)
        out.row_ref = max((_number(d) for q, _, d in found if q), default=0)
    return out


_TABLES: dict = {}


def _tables() -> dict:
    """numpy, and what ends an element's name (after `<c`: a cell; else cols, color, cfRule, …)."""
    if not _TABLES:
        import numpy as np
        name_end = np.zeros(256, bool)
        name_end[[9, 10, 13, 32, 47, 62]] = True
        _TABLES.update(np=np, name_end=name_end, **{k: int.from_bytes(v, "little") for k, v in (
            ("quote_e", b'"e'), ("r_eq", b' r="'))})
    return _TABLES


_HIGH, _ZEROS, _SIX = 0x8080808080808080, 0x3030303030303030, 0x7676767676767676
_COLONS = 32        # a piece with more colons than this is searched for `<x:c` all at once


def _prefixed(data: bytes, a, t: dict) -> bool:
    """Whether `:c` followed by what ends a name (`<x:c`, a prefixed cell) is in the piece. Colons
    are few (namespace declarations, some text): each is found with `bytes.find` (memchr), past
    `_COLONS` of them all are compared at once."""
    name_end, n = t["name_end"], len(data)
    at = data.find(b":")
    for _ in range(_COLONS):
        if at < 0:
            return False
        if data[at + 1:at + 2] == b"c" and at + 2 < n and name_end[data[at + 2]]:
            return True
        at = data.find(b":", at + 1)
    if at < 0:
        return False
    pair = a[at:-2] == 58
    pair &= a[at + 1:-1] == 99
    return bool(pair.any() and name_end[a[pair.nonzero()[0] + at + 2]].any())


_BLOCK = 1 << 19     # bytes compared at a time: temporaries of a bounded size, whatever the piece's


def _scan(data: bytes, a, t: dict):
    """The positions of `<c` in a piece, and whether `t="e"` may be in it, a block at a time."""
    np, quote_e = t["np"], t["quote_e"]
    n, found, quote = len(data), [], False
    for lo in range(0, n - 1, _BLOCK):
        hi = min(lo + _BLOCK, n - 1)
        lt_c = a[lo:hi] == 60
        lt_c &= a[lo + 1:hi + 1] == 99
        found.append(lt_c.nonzero()[0] + lo if lo else lt_c.nonzero()[0])
        if not quote:       # `t="e"` holds `"e`: the pairs starting from lo to hi - 1, even then odd
            # places (not `e"`: every `="false"` of a book saved by LibreOffice ends so)
            quote = bool((np.frombuffer(data, "<u2", (hi - lo + 1) // 2, lo) == quote_e).any()
                         or (np.frombuffer(data, "<u2", (hi - lo) // 2, lo + 1) == quote_e).any())
    return (found[0] if len(found) == 1 else np.concatenate(found)), quote


def fast_cells(data: bytes) -> _Chunk | None:
    """The cells of a piece when every one is written `<c r="A1"` (1–3 upper-case letters, a row
    of 1–7 digits not starting with 0: as Excel and every common writer write them), with a pass
    over the piece for `<c` and `t="e"` (`_scan`) and one 16-byte gather at each cell (its row
    number read as one word: that its bytes are digits up to the closing quote, the largest);
    `<x:c` looked for by memchr (`_prefixed`); None for any other
    form (a cell without a reference, with a namespace prefix, another attribute first, …): the
    reference reading then decides (issue 18 item 4: a ward book's sheets are read this way)."""
    t = _tables()
    np = t["np"]
    n = len(data)
    if n < 64:
        return None
    a = np.frombuffer(data, np.uint8)
    if _prefixed(data, a, t):
        return None
    at, errors = _scan(data, a, t)                  # `<c`, in the document's order; `"e`
    errors = errors and data.find(b't="e"') >= 0
    if not at.size:
        return _Chunk(errors=errors)
    # the 16 bytes after each `<c` (zeros past the end): ` r="`, the letters, the digits, `"`
    source = data if at[-1] <= n - 18 else data + bytes(16)
    tags = np.ndarray((len(source) - 15,), "V16", source, 0, (1,))[at + 2]
    canonical = tags.view("<u4")[0::4] == t["r_eq"]
    if not canonical.all():
        if t["name_end"][tags.view(np.uint8)[0::16][~canonical]].any():
            return None                             # `<c>`, `<c/>`, `<c\n`, `<c s="1" r=…`
        at, tags = at[canonical], tags[canonical]
        if not at.size:
            return _Chunk(errors=errors)
    b = tags.view(np.uint8).reshape(-1, 16)         # the letters: 1 to 3, from b[:, 4]
    if not ((b[:, 4] - 65) < 26).all():
        return None
    up1 = (b[:, 5] - 65) < 26
    if up1.any():
        up2 = ((b[:, 6] - 65) < 26) & up1
        if (((b[:, 7] - 65) < 26) & up2).any():
            return None
        col = b[:, 4] - np.int64(64)
        col = np.where(up1, col * 26 + (b[:, 5] - 64), col)
        col = np.where(up2, col * 26 + (b[:, 6] - 64), col)
        letters = 1 + up1 + up2
        shift = (letters.astype(np.uint64) + 4) * 8
        lo, hi = tags.view("<u8")[0::2], tags.view("<u8")[1::2]
        d = (lo >> shift) | (hi << (64 - shift))    # the 8 bytes after the letters
    else:                                           # one letter each (a register's columns)
        col, letters = b[:, 4] - 64, 1
        d = np.ndarray((len(at),), "<u8", tags, 5, (16,)).copy()     # aligned: faster to compute on
    digits = d ^ _ZEROS                             # digit values, where digits
    first = (digits + _SIX) | digits                # high bit of each byte that is no digit …
    first &= _HIGH
    first &= 0 - first                              # … the first of them: the closing quote?
    mask = (first >> 7) - 1                         # the bytes before it
    size = np.bitwise_count(mask)                   # 8 × digits
    if not ((((d >> size) & 0xFF) == 0x22) & (((digits & 0xFF) - 1) < 9)).all():
        return None                                 # no closing quote after 1–7 digits, a leading 0
    # the digits as one number of their order: first digit highest, right-aligned (no leading 0)
    digits &= mask
    i, j = int((digits.byteswap() >> (64 - size)).argmax()), int(col.argmax())
    start = at + 6 + letters                        # the first in the document, of each
    row = int(data[start[i]:start[i] + int(size[i]) // 8])
    row_j = int(data[start[j]:start[j] + int(size[j]) // 8])
    return _Chunk(cells=len(at), row=row, col=int(col[j]), errors=errors,
                  row_cell=data[at[i] + 6:start[i]].decode() + str(row),
                  col_cell=data[at[j] + 6:start[j]].decode() + str(row_j))


class _Again(Exception):
    """A cell without a reference after the first piece: read the part again, the reference way."""


def sheet_extent(open_part: Callable[[], Iterator[bytes]], limits: Limits = LIMITS) -> Extent:
    """Read a sheet part once, in pieces (`open_part()` yields them), and find the last row and
    column holding a cell (design.md "Reliability": a sheet may claim A1:O10 and hold one cell
    at XFD99999; python-calamine and openpyxl allocate rows × columns up to the farthest cell).
    Stops early once a limit is passed.

    A piece whose cells are all written `<c r="A1"` is read by `fast_cells`, any other by
    `reference_cells`. Rows without cells (a custom height) allocate nothing and are not
    counted. A cell without a reference is placed after the previous one, as readers do:
    counted conservatively (each may extend the columns past the farthest referenced one, each
    row element the rows past the farthest row reference); once one is met, every piece is read
    the reference way (the part again from its start if it was met after the first piece)."""
    try:
        return _extent(open_part(), limits, fast=True)
    except _Again:
        return _extent(open_part(), limits, fast=False)


def _extent(pieces: Iterator[bytes], limits: Limits, fast: bool) -> Extent:
    total = _Chunk()
    row_tags = row_ref = 0
    tail = b""
    errors = False
    first = True
    piece = next(pieces, b"")
    while True:
        following = next(pieces, b"") if piece else b""
        data = tail + piece if tail else piece
        tail = b""
        if following:                       # keep an unfinished tag for the next piece
            cut = data.rfind(b"<")
            data, tail = (data[:cut], data[cut:]) if cut >= 0 else (data, b"")
            if len(tail) > 65536:           # not carried forever: a text, or a tag no writer makes
                if _CELL_OR_ROW.match(tail):
                    raise ValueError("a cell or row tag longer than 64 KB")
                tail, errors = b"", True
        chunk = fast_cells(data) if fast and len(data) >= 4096 else None
        if chunk is None:
            chunk = reference_cells(data, rows=not fast)
            if chunk.unreferenced and fast:
                if not first:
                    raise _Again
                fast = False
        errors = errors or chunk.errors
        total.cells += chunk.cells
        total.unreferenced += chunk.unreferenced
        if chunk.row > total.row:
            total.row, total.row_cell = chunk.row, chunk.row_cell
        if chunk.col > total.col:
            total.col, total.col_cell = chunk.col, chunk.col_cell
        row_tags += chunk.row_tags
        row_ref = max(row_ref, chunk.row_ref)
        max_row, max_col = total.row, total.col
        if total.unreferenced:              # cells placed by position, past the farthest ones
            max_row = max(max_row, row_ref + row_tags)
            max_col = max_col + total.unreferenced
        if (max_row > limits.max_rows or max_col > limits.max_cols or total.cells > limits.max_cells
                or max_row * max_col > limits.max_cells or not following):
            break
        piece, first = following, False
    far_row, far_col = total.row_cell, total.col_cell
    if total.unreferenced:
        if max_row > total.row:
            far_row = _column_letters(max(total.col, 1)) + str(max_row)
        if max_col > total.col:
            far_col = _column_letters(max_col) + str(max(max_row, 1))
    too_wide = max_col > limits.max_cols or (max_row <= limits.max_rows and max_col > 26)
    return Extent(max_row, max_col, total.cells, far_col if too_wide else far_row, errors)


def _check_sheet(open_part: Callable[[], Iterator[bytes]], label: str, limits: Limits,
                 with_errors: set | None = None, sheet: str | None = None) -> Rejection | None:
    """Reject a sheet whose real extent (not its `<dimension>`) is absurd for a register; a sheet
    that may hold error cells is added to `with_errors` (None: a part that is not a sheet of the
    workbook)."""
    e = sheet_extent(open_part, limits)
    if e.errors and with_errors is not None:
        with_errors.add(sheet)
    if e.rows > limits.max_rows:
        return Rejection("TOO_MANY_ROWS", f"Sheet «{label}» có {_n(e.rows)} dòng, dữ liệu tới ô {e.far_cell} (giới hạn "
                                          f"{_n(limits.max_rows)} dòng mỗi sheet): hãy xóa các dòng thừa rồi lưu lại")
    if e.cols > limits.max_cols or e.rows * e.cols > limits.max_cells or e.cells > limits.max_cells:
        return Rejection("TOO_MANY_ROWS", f"Sheet «{label}» có dữ liệu trải tới ô {e.far_cell} (vùng {_n(e.rows)} dòng × "
                                          f"{_n(e.cols)} cột, giới hạn {_n(limits.max_cols)} cột và {_n(limits.max_cells)} ô): "
                                          "hãy xóa các ô thừa ở xa bảng rồi lưu lại")
    return None


def _screen(path: str | Path, limits: Limits, with_errors: set | None,
            keep: Inflated | None = None) -> tuple[bytes | None, Rejection | None]:
    path = Path(path)
    data, problem = _load(path, limits)
    if problem:
        return None, problem
    try:
        problem = check_package(data, limits, with_errors, keep)
    except Exception as e:   # noqa: BLE001 — any other failure on a damaged stream
        problem = Rejection("CORRUPT", f"Tệp bị hỏng, không giải nén được ({type(e).__name__}): "
                                       "hãy đề nghị đơn vị gửi lại")
    return (None, problem) if problem else (data, None)


def check_workbook(path: str | Path, limits: Limits = LIMITS, with_errors: set | None = None) -> Rejection | None:
    """All cheap checks; None when the file may be given to the parser. `with_errors` (optional)
    receives the sheets that may hold error cells (`t="e"`), found in the same pass."""
    return _screen(path, limits, with_errors)[1]


class ScreenError(UserFacingError):
    """An input workbook refused by the screening (the `Rejection` is kept for consolidation)."""

    def __init__(self, path: Path, rejection: Rejection):
        self.rejection = rejection
        super().__init__(f"Không mở được tệp «{path}»: {rejection.reason}")


def read_screened(path: str | Path, limits: Limits = LIMITS, with_errors: set | None = None,
                  keep: Inflated | None = None) -> bytes:
    """The one safe opening every command goes through before a reader sees a file (issue 12):
    format, encryption, zip and entity bombs, and the real extent of each sheet (never its
    `<dimension>`). Returns the workbook's package, the file read once: the reader given it
    parses exactly what was screened (issue 18 item 4) — up to `stored_bytes` uncompressed, the
    same package with the parts the screening inflated stored (`stored_package`: not inflated
    a second time), else the file's bytes. Raises `ScreenError` (a `UserFacingError`,
    Vietnamese reason). `keep` (optional) receives what the screening inflated (`Inflated`)."""
    keep = Inflated() if keep is None else keep
    data = screen_file(path, limits, with_errors, keep)
    return stored_package(data, keep) if keep.infos else data


def screen_file(path: str | Path, limits: Limits = LIMITS, with_errors: set | None = None,
                keep: Inflated | None = None) -> bytes:
    """`read_screened` without the stored package: the file's bytes, screened (`keep` receives
    what the screening inflated; `stored_package(data, keep)` makes the package when a reader
    needs it)."""
    data, rejection = _screen(path, limits, with_errors, keep)
    if rejection:
        raise ScreenError(Path(path), rejection)
    return data


def screen_workbook(path: str | Path, limits: Limits = LIMITS, with_errors: set | None = None) -> None:
    """`read_screened`, for a caller that reads the file itself."""
    read_screened(path, limits, with_errors)


def unreadable(path: str | Path, error: BaseException) -> UserFacingError:
    """The message for a file that passed the screening but that the reader refused."""
    if isinstance(error, MemoryError):
        return UserFacingError(f"Không đủ bộ nhớ để đọc tệp «{path}»: tệp quá lớn hoặc có vùng dữ liệu bất thường.")
    if isinstance(error, OSError):
        return UserFacingError(f"Không đọc được tệp «{path}»: {os_reason(error)}.")
    return UserFacingError(f"Không đọc được tệp «{path}»: tệp bị hỏng hoặc không đúng định dạng sổ Excel "
                           f"({type(error).__name__}). Hãy mở bằng Excel, lưu lại rồi thử lại.")
