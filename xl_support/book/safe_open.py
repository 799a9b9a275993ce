"""Cheap checks on a workbook file before any parser sees it (design.md "Reliability and
security": truncated, not a zip, password-protected, zip bomb, XML entity bomb, huge sheets).

Every check reads only the zip directory and the first kilobytes of the XML parts (a sheet
part is streamed through only when its dimension is missing or its size is suspicious), so a
hostile file costs milliseconds. `check_workbook(path)` returns None when the file may be
parsed, else a `Rejection` with a Vietnamese reason for the city office.
"""
from __future__ import annotations

import re
import zipfile
from dataclasses import dataclass
from pathlib import Path
from posixpath import normpath

SUPPORTED_SUFFIXES = (".xlsx", ".xlsm")
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
ZIP_MAGIC = b"PK\x03\x04"
_DOCTYPE = re.compile(rb"<!\s*(DOCTYPE|ENTITY)", re.IGNORECASE)
_ROOT_START = re.compile(rb"<[A-Za-z_]")
_DIMENSION = re.compile(rb'<(?:\w+:)?dimension\s+ref="([A-Z]{1,3})?(\d+)?(?::([A-Z]{1,3})(\d+))?"')
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
    max_cells: int = 20_000_000               # rows × columns of one sheet's dimension
    prolog_bytes: int = 64 * 1024             # XML read before the root element, at most
    stream_count_above: int = 4 * 2**20       # sheet parts this big get their rows counted


LIMITS = Limits()


@dataclass(frozen=True)
class Rejection:
    code: str        # NOT_FOUND, UNSUPPORTED, EMPTY, NOT_ZIP, ENCRYPTED, OLD_XLS, CORRUPT, ZIP_BOMB, XML_BOMB, TOO_MANY_ROWS
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
        with open(path, "rb") as fh:
            head = fh.read(8)
    except FileNotFoundError:
        return Rejection("NOT_FOUND", "Không tìm thấy tệp")
    except OSError as e:
        return Rejection("NOT_FOUND", f"Không đọc được tệp ({e.strerror or e})")
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


def _count_rows(zf: zipfile.ZipFile, info: zipfile.ZipInfo, stop_after: int) -> int:
    """Row elements of a sheet part, streamed (stops as soon as the limit is passed)."""
    count, tail = 0, b""
    with zf.open(info) as fh:
        while chunk := fh.read(1 << 20):
            data = tail + chunk
            count += data.count(b"<row ") + data.count(b"<row>") + data.count(b":row ")
            tail = data[-5:]
            count -= tail.count(b"<row ") + tail.count(b":row ")   # counted again with the next chunk
            if count > stop_after:
                return count
        count += tail.count(b"<row ") + tail.count(b":row ")
    return count


def check_zip(path: Path, limits: Limits = LIMITS) -> Rejection | None:
    """Zip directory (bomb), XML prologs (entity bomb), sheet dimensions (row cap)."""
    try:
        zf = zipfile.ZipFile(path)
    except zipfile.BadZipFile:
        return Rejection("CORRUPT", "Tệp bị hỏng hoặc không đầy đủ (có thể gửi hoặc tải về chưa xong): "
                                    "hãy đề nghị đơn vị gửi lại")
    except OSError as e:
        return Rejection("CORRUPT", f"Không đọc được tệp ({e.strerror or e})")
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
                    problem = _check_sheet(zf, zf.getinfo(part), sheet, limits)
                    if problem:
                        return problem
        except (zipfile.BadZipFile, EOFError, ValueError, OSError, NotImplementedError) as e:
            # zlib.error is a subclass of Exception only; caught by the caller
            return Rejection("CORRUPT", f"Tệp bị hỏng, không giải nén được ({type(e).__name__}): "
                                        "hãy đề nghị đơn vị gửi lại")
    return None


def _check_sheet(zf: zipfile.ZipFile, info: zipfile.ZipInfo, sheet: str, limits: Limits) -> Rejection | None:
    """Row cap from `<dimension ref=…>`; counted by streaming when absent or the part is big."""
    with zf.open(info) as fh:
        head = fh.read(8192)
    m = _DIMENSION.search(head)
    rows = cols = None
    if m and m.group(2):
        last_row = int(m.group(4) or m.group(2))
        first_row = int(m.group(2))
        rows = last_row - first_row + 1 if m.group(4) else last_row
        cols = (_col_number(m.group(3)) - _col_number(m.group(1)) + 1) if m.group(3) else 1
    if rows is None or info.file_size >= limits.stream_count_above:
        counted = _count_rows(zf, info, limits.max_rows)
        rows = max(rows or 0, counted)
    if rows > limits.max_rows:
        return Rejection("TOO_MANY_ROWS", f"Sheet «{sheet}» có {_n(rows)} dòng (giới hạn {_n(limits.max_rows)} "
                                          "dòng mỗi sheet): hãy đề nghị đơn vị xóa các dòng thừa rồi gửi lại")
    if cols and rows * cols > limits.max_cells:
        return Rejection("TOO_MANY_ROWS", f"Sheet «{sheet}» có vùng dữ liệu {_n(rows)} dòng × {_n(cols)} cột "
                                          f"(giới hạn {_n(limits.max_cells)} ô): hãy xóa vùng thừa rồi gửi lại")
    return None


def check_workbook(path: str | Path, limits: Limits = LIMITS) -> Rejection | None:
    """All cheap checks; None when the file may be given to the parser."""
    path = Path(path)
    problem = check_signature(path)
    if problem:
        return problem
    try:
        return check_zip(path, limits)
    except Exception as e:   # noqa: BLE001 — zlib.error and friends on a damaged stream
        return Rejection("CORRUPT", f"Tệp bị hỏng, không giải nén được ({type(e).__name__}): "
                                    "hãy đề nghị đơn vị gửi lại")
