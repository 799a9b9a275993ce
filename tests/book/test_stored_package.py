"""The screened package handed to the reader (issue 18 item 4): `read_screened` gives back the
same package with every part the screening inflated stored — the very bytes screened, same
names, order and CRC-32 — and every other part as it was compressed; the reader reads it as it
reads the file, refuses what it refused, and a package past `Limits.stored_bytes` is the file's
bytes unchanged."""
import io
import struct
import zipfile

import openpyxl
import pytest
from python_calamine import CalamineWorkbook

from xl_support.book import safe_open as S
from xl_support.book.fileio import UserFacingError
from xl_support.book.workbook import read_grids

from tests.harness.zip_parts import spoil_crc

PICTURE = bytes(range(256)) * 64          # a binary part the screening never inflates
BIG_XML = b'<?xml version="1.0"?><items>' + b"".join(b"<i>%d</i>" % i for i in range(20_000)) + b"</items>"


def _book(path, names=("Danh sách", "Tham số")):
    wb = openpyxl.Workbook()
    wb.active.title = names[0]
    wb.create_sheet(names[1])
    for r in range(1, 3001):
        wb[names[0]].append([r, f"Nguyễn Văn {r:05d} — tổ dân phố {r % 37}", r * 1000])
    wb[names[1]].append(["mức", 500_000])
    wb.save(path)
    with zipfile.ZipFile(path) as zf:
        parts = [(i, zf.read(i)) for i in zf.infolist()]
    with zipfile.ZipFile(path, "w") as zf:
        for info, body in parts:
            zf.writestr(info, body, compress_type=zipfile.ZIP_DEFLATED)
        zf.writestr("xl/media/ảnh 1.bin", PICTURE, compress_type=zipfile.ZIP_DEFLATED)   # UTF-8 name
        zf.writestr("customXml/item1.xml", BIG_XML, compress_type=zipfile.ZIP_DEFLATED)   # past 64 KB: its prolog screened
    return path


def _grids(source):
    wb = (CalamineWorkbook.from_path(str(source)) if not isinstance(source, bytes)
          else CalamineWorkbook.from_filelike(io.BytesIO(source)))
    return {n: wb.get_sheet_by_name(n).to_python(skip_empty_area=False) for n in wb.sheet_names}


def test_screened_parts_are_stored_the_others_kept_compressed(tmp_path):
    path = _book(tmp_path / "a.xlsx")
    package = S.read_screened(path)
    with zipfile.ZipFile(path) as was, zipfile.ZipFile(io.BytesIO(package)) as now:
        before, after = was.infolist(), now.infolist()
        assert [(i.filename, i.CRC, i.file_size, i.date_time, i.flag_bits & 0x800) for i in before] == \
               [(i.filename, i.CRC, i.file_size, i.date_time, i.flag_bits & 0x800) for i in after]
        assert now.testzip() is None                        # every CRC-32 checks against the bytes
        assert all(now.read(n) == was.read(n) for n in was.namelist())
        method = {i.filename: i.compress_type for i in after}
    assert method["xl/worksheets/sheet1.xml"] == method["xl/workbook.xml"] == zipfile.ZIP_STORED
    assert method["customXml/item1.xml"] == method["xl/media/ảnh 1.bin"] == zipfile.ZIP_DEFLATED
    assert _grids(package) == _grids(path)
    assert read_grids(path)["Danh sách"][2999] == [3000, "Nguyễn Văn 03000 — tổ dân phố 3", 3_000_000]


def test_a_large_package_is_the_files_bytes(tmp_path):
    path = _book(tmp_path / "a.xlsx")
    assert S.read_screened(path, S.Limits(stored_bytes=1024)) == path.read_bytes()


def test_a_wrong_crc_is_refused_as_from_the_file(tmp_path):
    path = _book(tmp_path / "a.xlsx")
    spoil_crc(path, "xl/worksheets/sheet1.xml")
    with pytest.raises(Exception, match="checksum"):
        _grids(path)
    with pytest.raises(Exception, match="checksum"):
        _grids(S.read_screened(path))
    with pytest.raises(UserFacingError):
        read_grids(path)


def test_a_legacy_code_page_name_is_written_back_as_it_was(tmp_path):
    """A part name without the UTF-8 flag (CP437 bytes) keeps its bytes and its flag."""
    path = _book(tmp_path / "a.xlsx")
    data = bytearray(path.read_bytes())
    utf8, legacy = "xl/media/ảnh 1.bin".encode(), b"xl/media/\x80\x81\x82nh 1.bin"
    assert len(utf8) == len(legacy)
    at = data.find(utf8)
    while at >= 0:                                  # the name in both headers, the UTF-8 flag cleared
        data[at:at + len(utf8)] = legacy
        flags = at - 30 + 6 if data[at - 30:at - 26] == b"PK\x03\x04" else at - 46 + 8
        struct.pack_into("<H", data, flags, struct.unpack_from("<H", data, flags)[0] & ~0x800)
        at = data.find(utf8, at)
    path.write_bytes(bytes(data))
    package = S.read_screened(path)
    assert package.count(legacy) == 2
    with zipfile.ZipFile(io.BytesIO(package)) as zf:
        info = zf.getinfo(legacy.decode("cp437"))
        assert info.flag_bits & 0x800 == 0 and zf.read(info) == PICTURE


def test_zlib_ng_and_zlib_screen_alike(tmp_path):
    """The parts are inflated with zlib-ng (a dependency), or zlib when it is missing: the same
    screened package, and the same refusal of a damaged deflate stream."""
    import subprocess
    import sys
    assert S._inflater.__name__ == "zlib_ng.zlib_ng"
    path = _book(tmp_path / "a.xlsx")
    data = bytearray(path.read_bytes())
    with zipfile.ZipFile(path) as zf:
        info = zf.getinfo("xl/worksheets/sheet1.xml")
    at = info.header_offset + 30 + len(info.filename.encode()) + len(info.extra) + info.compress_size // 2
    data[at:at + 64] = bytes(64)
    damaged = tmp_path / "b.xlsx"
    damaged.write_bytes(bytes(data))
    code = ("import sys; sys.modules['zlib_ng'] = None\n"
            "from xl_support.book import safe_open as S\n"
            "assert S._inflater.__name__ == 'zlib'\n"
            "open(sys.argv[3], 'wb').write(S.read_screened(sys.argv[1]))\n"
            "print(S.check_workbook(sys.argv[2]))\n")
    out = tmp_path / "package"
    proc = subprocess.run([sys.executable, "-c", code, str(path), str(damaged), str(out)],
                          capture_output=True, text=True, check=True)
    assert out.read_bytes() == S.read_screened(path)
    refusal = S.check_workbook(damaged)
    assert refusal.code == "CORRUPT" and proc.stdout.strip() == str(refusal)
