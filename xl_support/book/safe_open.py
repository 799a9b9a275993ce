"""The one safe opening (issue 12; design.md "Reliability and security"): checks on a workbook
file before any parser sees it — format, truncated, password-protected, zip bomb, XML entity
bomb, and the real extent of each sheet (a sheet may claim A1:O10 and hold one cell at
XFD99999: readers allocate up to the farthest cell).

The zip directory and the XML prologs are read first; then every sheet part is streamed once
(byte searches in the common case), so a hostile file costs milliseconds and little memory.
`check_workbook(path)` returns None when the file may be parsed, else a `Rejection` with a
Vietnamese reason; `screen_workbook(path)` raises it as a `ScreenError` (every command).
"""
from __future__ import annotations

import os
import re
import stat
import zipfile
from dataclasses import dataclass
from pathlib import Path
from posixpath import normpath

from xl_support.book.fileio import UserFacingError, os_reason

SUPPORTED_SUFFIXES = (".xlsx", ".xlsm")
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
ZIP_MAGIC = b"PK\x03\x04"
_DOCTYPE = re.compile(rb"<!\s*(DOCTYPE|ENTITY)", re.IGNORECASE)
_ROOT_START = re.compile(rb"<[A-Za-z_]")
_SHEET = re.compile(rb'<(?:\w+:)?sheet\b[^>]*?\bname="([^"]*)"[^>]*?\br(?:elationships)?:id="([^"]*)"')
_SHEET_ALT = re.compile(rb'<(?:\w+:)?sheet\b[^>]*?\br(?:elationships)?:id="([^"]*)"[^>]*?\bname="([^"]*)"')
_REL = re.compile(rb'<Relationship\b[^>]*?\bId="([^"]*)"[^>]*?\bTarget="([^"]*)"')
_REL_ALT = re.compile(rb'<Relationship\b[^>]*?\bTarget="([^"]*)"[^>]*?\bId="([^"]*)"')


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


LIMITS = Limits()


@dataclass(frozen=True)
class Rejection:
    code: str        # NOT_FOUND, NOT_FILE, UNSUPPORTED, EMPTY, NOT_ZIP, ENCRYPTED, OLD_XLS, CORRUPT, ZIP_BOMB, XML_BOMB, TOO_MANY_ROWS
    reason: str      # Vietnamese, for the file-status sheet


def _n(value: int) -> str:
    return f"{value:,}".replace(",", ".")


def _col_number(letters: bytes | None) -> int:
    n = 0
    for ch in (letters or b"A").decode():
        n = n * 26 + ord(ch) - 64
    return n


def check_signature(path: Path) -> Rejection | None:
    """Extension and first bytes: .xls, empty, OLE (encrypted or old binary), not a zip."""
    suffix = path.suffix.lower()
    if suffix == ".xls":
        return Rejection("UNSUPPORTED", "Tệp .xls (Excel 97–2003) không được hỗ trợ: hãy mở bằng Excel và "
                                        "lưu lại dạng .xlsx hoặc .xlsm theo mẫu")
    if suffix not in SUPPORTED_SUFFIXES:
        return Rejection("UNSUPPORTED", f"Định dạng «{suffix or 'không có đuôi'}» không được hỗ trợ: "
                                        "chỉ nhận tệp .xlsx hoặc .xlsm")
    try:
        info = os.stat(path)
    except FileNotFoundError:
        return Rejection("NOT_FOUND", "Không tìm thấy tệp")
    except OSError as e:
        return Rejection("NOT_FOUND", f"Không đọc được tệp ({os_reason(e)})")
    if stat.S_ISDIR(info.st_mode):
        return Rejection("NOT_FILE", "Đây là một thư mục, không phải tệp sổ Excel")
    if not stat.S_ISREG(info.st_mode):
        return Rejection("NOT_FILE", "Đây không phải tệp thông thường (ống dẫn, thiết bị…): không đọc")
    try:
        with open(path, "rb") as fh:
            head = fh.read(8)
    except FileNotFoundError:
        return Rejection("NOT_FOUND", "Không tìm thấy tệp")
    except OSError as e:
        return Rejection("NOT_FOUND", f"Không đọc được tệp ({os_reason(e)})")
    if not head:
        return Rejection("EMPTY", "Tệp rỗng (0 byte): hãy đề nghị đơn vị gửi lại")
    if head == OLE_MAGIC:
        return _check_ole(path)
    if head[:4] != ZIP_MAGIC:
        return Rejection("NOT_ZIP", "Tệp không phải sổ Excel .xlsx/.xlsm (nội dung không đúng định dạng, "
                                    "có thể là tệp khác bị đổi tên): hãy đề nghị đơn vị gửi lại")
    return None


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


def _prolog(zf: zipfile.ZipFile, info: zipfile.ZipInfo, limits: Limits) -> tuple[bytes, bool]:
    """The XML up to the root element's start tag (where a DOCTYPE must be), capped; and
    whether the root was found within the cap."""
    out = b""
    with zf.open(info) as fh:
        while len(out) < limits.prolog_bytes:
            chunk = fh.read(4096)
            if not chunk:
                return out, True
            out += chunk
            if _ROOT_START.search(out):
                return out, True
    return out, False


def _sheet_parts(zf: zipfile.ZipFile, names: set[str]) -> dict[str, str]:
    """Worksheet part name → sheet name (from xl/workbook.xml and its relationships)."""
    if "xl/workbook.xml" not in names or "xl/_rels/workbook.xml.rels" not in names:
        return {}
    with zf.open("xl/workbook.xml") as fh:
        book = fh.read(4 * 2**20)
    with zf.open("xl/_rels/workbook.xml.rels") as fh:
        rels = fh.read(4 * 2**20)
    targets = {rid: target for rid, target in _REL.findall(rels)}
    targets.update({rid: target for target, rid in _REL_ALT.findall(rels) if rid not in targets})
    sheets = {rid: name for name, rid in _SHEET.findall(book)}
    sheets.update({rid: name for rid, name in _SHEET_ALT.findall(book) if rid not in sheets})
    out = {}
    for rid, name in sheets.items():
        target = targets.get(rid)
        if not target:
            continue
        target = target.decode("utf-8", "replace")
        part = target.lstrip("/") if target.startswith("/") else normpath("xl/" + target)
        out[part] = _xml_text(name)
    return out


def _xml_text(raw: bytes) -> str:
    import html
    return html.unescape(raw.decode("utf-8", "replace"))


def check_zip(path: Path, limits: Limits = LIMITS, with_errors: set | None = None) -> Rejection | None:
    """Zip directory (bomb), XML prologs (entity bomb), the real extent of every sheet (and, in
    the same pass, the names of the sheets that may hold error cells, into `with_errors`)."""
    try:
        zf = zipfile.ZipFile(path)
    except zipfile.BadZipFile:
        return Rejection("CORRUPT", "Tệp bị hỏng hoặc không đầy đủ (có thể gửi hoặc tải về chưa xong): "
                                    "hãy đề nghị đơn vị gửi lại")
    except OSError as e:
        return Rejection("CORRUPT", f"Không đọc được tệp ({os_reason(e)})")
    with zf:
        infos = zf.infolist()
        names = {i.filename for i in infos}
        if len(infos) > limits.max_members:
            return Rejection("ZIP_BOMB", f"Tệp chứa {_n(len(infos))} phần (giới hạn {_n(limits.max_members)}): "
                                         "nghi là tệp độc hại («zip bomb»), không mở")
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
        try:
            for i in infos:
                if i.filename.lower().endswith((".xml", ".rels", ".vml")) and i.file_size:
                    head, root_found = _prolog(zf, i, limits)
                    if _DOCTYPE.search(head) or not root_found:
                        return Rejection("XML_BOMB", f"Phần «{i.filename}» có khai báo DOCTYPE/ENTITY (sổ Excel "
                                                     "không bao giờ có): nghi là tệp độc hại («XML bomb»), không mở")
            sheet_names = _sheet_parts(zf, names)
            for part, sheet in sheet_names.items():
                if part in names:
                    problem = _check_sheet(zf, zf.getinfo(part), sheet, limits, with_errors)
                    if problem:
                        return problem
            if with_errors is not None and any(n.startswith("xl/worksheets/") and n.endswith(".xml")
                                               and n not in sheet_names for n in names):
                with_errors.add(None)     # a worksheet part not screened here: its error cells unknown
        except (zipfile.BadZipFile, EOFError, ValueError, OSError, NotImplementedError) as e:
            # zlib.error is a subclass of Exception only; caught by the caller
            return Rejection("CORRUPT", f"Tệp bị hỏng, không giải nén được ({type(e).__name__}): "
                                        "hãy đề nghị đơn vị gửi lại")
    return None


_CELL_REF = re.compile(rb'<(?:\w+:)?c\s[^>]*?\br="([A-Z]{1,4})(\d{1,9})"')
_ROW_REF = re.compile(rb'<(?:\w+:)?row\s[^>]*?\br="(\d{1,9})"')
_CELL_TAG = re.compile(rb'<(?:\w+:)?c[\s/>]')
_ROW_TAG = re.compile(rb'<(?:\w+:)?row[\s/>]')
_ODD_C_TAG = re.compile(rb'<c(?! r="|o|f|u|e)')      # an unreferenced cell, or an element we do not know
_NEAR_DIGITS = 6
_NEAR_CELL_ROWS = {d: re.compile(rb'<c r="[A-Z](\d{%d})"' % d) for d in range(1, _NEAR_DIGITS + 1)}
# a chunk's shape: every digit → 0, every capital → A (`<c r="Q1234"` → `<c r="A0000"`), so that
# references of a given shape are found with byte searches, not one regex step per cell
_SHAPE = bytes.maketrans(b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ", b"0" * 10 + b"A" * 26)
_LAST_REF = re.compile(rb'<c r="([A-Z])(\d+)"')


def _near_max_row(data: bytes, shape: bytes, limit: int) -> tuple[int, str]:
    """The last row holding a cell in a near chunk, and that cell: the longest row numbers are
    found first (from the chunk's shape), and only those are compared (as bytes of one length:
    numeric order). When no row number that long can pass `limit`, the chunk's last cell stands
    for them (a row at most the real one, and the sheet passes either way)."""
    for d in range(_NEAR_DIGITS, 0, -1):
        if shape.find(b'<c r="A' + b"0" * d + b'"') >= 0:
            break
    else:
        return 1, "A1"
    if 10 ** d - 1 <= limit:
        m = _LAST_REF.match(data, data.rfind(b'<c r="'))
        if m:
            return int(m[2]), (m[1] + m[2]).decode()
    found = _NEAR_CELL_ROWS[d].findall(data)
    row = max(found)
    cell = re.search(rb'<c r="([A-Z])' + row + b'"', data)
    return int(row), (cell[1].decode() if cell else "A") + row.decode()


@dataclass(frozen=True)
class Extent:
    """What a sheet really holds (from its cell references, never from `<dimension>`)."""
    rows: int            # last row a reader will allocate
    cols: int            # last column a reader will allocate
    cells: int           # cell elements
    far_cell: str        # the cell that sets the extent (e.g. "XFD99999"), for the message
    errors: bool = False  # some cell may hold an error value (`t="e"`): `xlsx.error_cells` must look


def _near_chunk(data: bytes, shape: bytes) -> int | None:
    """The number of cells of the chunk when every one is referenced (`<c r="…"`, as Excel
    writes) and lies within A1:Z999999, checked with byte searches only (the common case: no
    per-cell work in Python); else None."""
    # every `<c` is a referenced cell (two counts: a chunk of rows) or another element starting
    # with "c" (cols, cfRule, …: one regex pass); a reference beyond column Z or row 999,999 is
    # found in the shape (` r="AA`, ` r="A0000000`)
    cells = data.count(b'<c r="')
    if ((data.count(b"<c") != cells and _ODD_C_TAG.search(data)) or data.find(b":c ") >= 0
            or shape.find(b' r="AA') >= 0 or shape.find(b' r="A0000000') >= 0):
        return None
    return cells


def sheet_extent(zf: zipfile.ZipFile, info: zipfile.ZipInfo, limits: Limits = LIMITS) -> Extent:
    """Stream a sheet part and find the last row and column holding a cell (design.md
    "Reliability": a sheet may claim A1:O10 and hold one cell at XFD99999; python-calamine and
    openpyxl allocate rows × columns up to the farthest cell). Stops early once a limit is passed.

    Chunks whose cells all lie in A1:Z999999 are passed by byte searches (their last row from
    the longest row numbers of their cells); the others are read cell by cell. Rows without cells (a custom
    height) allocate nothing and are not counted. A cell without a reference is placed after
    the previous one, as readers do: counted conservatively (each may extend the columns, its
    row element the rows)."""
    max_row = max_col = cells = rows_seen = unreferenced = 0
    far_row = far_col = "A1"
    tail = b""
    errors = False
    with zf.open(info) as fh:
        while True:
            chunk = fh.read(1 << 20)
            data = tail + chunk if tail else chunk
            if chunk:                       # keep an unfinished tag for the next chunk
                cut = data.rfind(b"<")
                data, tail = (data[:cut], data[cut:]) if cut >= 0 else (data, b"")
                if len(tail) > 65536:       # a "tag" this long is not a cell; do not carry it forever
                    tail, errors = b"", True
            errors = errors or data.find(b't="e"') >= 0
            shape = data.translate(_SHAPE)
            n = _near_chunk(data, shape)
            if n is not None:
                cells += n
                if n:
                    row, cell = _near_max_row(data, shape, min(limits.max_rows, limits.max_cells))
                    if row > max_row:
                        max_row, far_row = row, cell
                    max_col = max(max_col, 1)
            else:
                refs = _CELL_REF.findall(data)
                n_tags = len(_CELL_TAG.findall(data))
                cells += n_tags
                unreferenced += n_tags - len(refs)
                if refs:
                    letters, numbers = zip(*refs)
                    widest = max(set(letters), key=lambda c: (len(c), c))
                    ints = list(map(int, numbers))
                    col, row = _col_number(widest), max(ints)
                    if col > max_col:
                        max_col, far_col = col, f"{widest.decode()}{ints[letters.index(widest)]}"
                    if row > max_row:
                        max_row, far_row = row, f"{letters[ints.index(row)].decode()}{row}"
                if unreferenced:           # cells placed by position: their row is the row element's
                    rows_seen += len(_ROW_TAG.findall(data))
                    max_row = max(max_row, rows_seen, *map(int, _ROW_REF.findall(data)))
                    max_col = max(max_col, min(unreferenced, 16_384))
            if (max_row > limits.max_rows or max_col > limits.max_cols or cells > limits.max_cells
                    or max_row * max_col > limits.max_cells or not chunk):
                break
    too_wide = max_col > limits.max_cols or (max_row <= limits.max_rows and max_col > 26)
    return Extent(max_row, max_col, cells, far_col if too_wide else far_row, errors)


def _check_sheet(zf: zipfile.ZipFile, info: zipfile.ZipInfo, sheet: str, limits: Limits,
                 with_errors: set | None = None) -> Rejection | None:
    """Reject a sheet whose real extent (not its `<dimension>`) is absurd for a register; a sheet
    that may hold error cells is added to `with_errors`."""
    e = sheet_extent(zf, info, limits)
    if e.errors and with_errors is not None:
        with_errors.add(sheet)
    if e.rows > limits.max_rows:
        return Rejection("TOO_MANY_ROWS", f"Sheet «{sheet}» có {_n(e.rows)} dòng, dữ liệu tới ô {e.far_cell} (giới hạn "
                                          f"{_n(limits.max_rows)} dòng mỗi sheet): hãy xóa các dòng thừa rồi lưu lại")
    if e.cols > limits.max_cols or e.rows * e.cols > limits.max_cells or e.cells > limits.max_cells:
        return Rejection("TOO_MANY_ROWS", f"Sheet «{sheet}» có dữ liệu trải tới ô {e.far_cell} (vùng {_n(e.rows)} dòng × "
                                          f"{_n(e.cols)} cột, giới hạn {_n(limits.max_cols)} cột và {_n(limits.max_cells)} ô): "
                                          "hãy xóa các ô thừa ở xa bảng rồi lưu lại")
    return None


def check_workbook(path: str | Path, limits: Limits = LIMITS, with_errors: set | None = None) -> Rejection | None:
    """All cheap checks; None when the file may be given to the parser. `with_errors` (optional)
    receives the sheets that may hold error cells (`t="e"`), found in the same pass."""
    path = Path(path)
    problem = check_signature(path)
    if problem:
        return problem
    try:
        return check_zip(path, limits, with_errors)
    except Exception as e:   # noqa: BLE001 — zlib.error and friends on a damaged stream
        return Rejection("CORRUPT", f"Tệp bị hỏng, không giải nén được ({type(e).__name__}): "
                                    "hãy đề nghị đơn vị gửi lại")


class ScreenError(UserFacingError):
    """An input workbook refused by the screening (the `Rejection` is kept for consolidation)."""

    def __init__(self, path: Path, rejection: Rejection):
        self.rejection = rejection
        super().__init__(f"Không mở được tệp «{path}»: {rejection.reason}")


def screen_workbook(path: str | Path, limits: Limits = LIMITS, with_errors: set | None = None) -> None:
    """The one safe opening every command goes through before a reader sees a file (issue 12):
    format, encryption, zip and entity bombs, and the real extent of each sheet (never its
    `<dimension>`). Raises `ScreenError` (a `UserFacingError`, Vietnamese reason)."""
    rejection = check_workbook(path, limits, with_errors)
    if rejection:
        raise ScreenError(Path(path), rejection)


def unreadable(path: str | Path, error: BaseException) -> UserFacingError:
    """The message for a file that passed the screening but that the reader refused."""
    if isinstance(error, MemoryError):
        return UserFacingError(f"Không đủ bộ nhớ để đọc tệp «{path}»: tệp quá lớn hoặc có vùng dữ liệu bất thường.")
    if isinstance(error, OSError):
        return UserFacingError(f"Không đọc được tệp «{path}»: {os_reason(error)}.")
    return UserFacingError(f"Không đọc được tệp «{path}»: tệp bị hỏng hoặc không đúng định dạng sổ Excel "
                           f"({type(error).__name__}). Hãy mở bằng Excel, lưu lại rồi thử lại.")
