"""Hostile and odd workbooks (issue 12): every command on each, made by code here.

Each case asserts the exit-status contract (0 done, 1 data errors, 2 could not run, 3 partial),
a Vietnamese message and no traceback on stderr, no negative or wrapped amount in any output,
input bytes unchanged, and — in a consolidation — every good ward present.
"""
from __future__ import annotations

import datetime as dt
import os
import re
import shutil
import subprocess
import sys
import time
import unicodedata
import zipfile
from pathlib import Path

import numpy as np
import openpyxl
import pytest

from xl_support.__main__ import main
from xl_support.book import fileio
from xl_support.book.safe_open import Limits, check_workbook
from xl_support.book.workbook import open_book, units
from xl_support.build.sample import write_sample_book
from xl_support.build.vba.cfb import write_cfb
from xl_support.operations import consolidate as C
from xl_support.operations.compute import compute_book

MONTH = "2026-11"
VIETNAMESE = set("ạảáàãệểếềọỏòóôốờớưữđỗộ")
UNIT_A, UNIT_B, UNIT_C = (u for u in units()[:3])
COMMANDS = [
    ["validate", "{book}"],
    ["validate", "{book}", "-o", "{out}.xlsx"],
    ["compute", "{book}", "--month", MONTH, "-o", "{out}.xlsx"],
    ["summary", "{book}", "--month", MONTH, "-o", "{out}.xlsx"],
    *[["export", "{book}", "--kind", kind, "--month", MONTH, "-o", "{out}.xlsx"]
      for kind in ("city-report", "insurance-list", "payment-list", "public-list", "budget")],
    ["consolidate", "{book}", "--month", MONTH, "-o", "{out}.xlsx"],
]


def run(argv: list[str], capsys) -> tuple[int, str, str]:
    status = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return status, out, err


def _vietnamese(text: str) -> bool:
    return any(ch in VIETNAMESE for ch in text.lower())


def _rezip(src: Path, dst: Path, replace: dict[str, bytes]) -> Path:
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            zout.writestr(info.filename, replace.get(info.filename, zin.read(info)))
    return dst


def _sheet_xml(cells: str, dimension: str = "A1:O10") -> bytes:
    return (b'<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxmlformats.org/'
            b'spreadsheetml/2006/main"><dimension ref="' + dimension.encode() + b'"/><sheetData>'
            + cells.encode() + b"</sheetData></worksheet>")


@pytest.fixture(scope="module")
def good(tmp_path_factory) -> Path:
    return write_sample_book(tmp_path_factory.mktemp("good") / "good.xlsx", unit=UNIT_A.full_name,
                             unit_type=UNIT_A.type, n55=20, n04=8, seed=5)


@pytest.fixture(scope="module")
def hostile(tmp_path_factory, good) -> dict[str, Path]:
    """Files a command must refuse (exit 2, the file named, a Vietnamese reason)."""
    d = tmp_path_factory.mktemp("hostile")
    f: dict[str, Path] = {}
    # one cell at XFD99999 under a dimension claiming A1:O10 (11 KB; readers would allocate ~52 GB)
    f["far_cell"] = _rezip(good, d / "far_cell.xlsx", {"xl/worksheets/sheet2.xml": _sheet_xml(
        '<row r="1"><c r="A1" t="inlineStr"><is><t>x</t></is></c></row>'
        '<row r="99999"><c r="XFD99999"><v>1</v></c></row>')})
    # the same, hidden in a cell listed out of order, with attributes before the reference
    f["far_cell_unordered"] = _rezip(good, d / "far_unordered.xlsx", {"xl/worksheets/sheet2.xml": _sheet_xml(
        '<row r="2"><c s="0" r="ZZZ2"><v>1</v></c></row><row r="1"><c r="A1"><v>1</v></c></row>')})
    # cells without references (placed by position): counted conservatively
    f["unreferenced"] = _rezip(good, d / "unreferenced.xlsx", {"xl/worksheets/sheet2.xml": _sheet_xml(
        "<row>" + "<c><v>1</v></c>" * 2000 + "</row>")})
    f["million_rows"] = _rezip(good, d / "million_rows.xlsx", {"xl/worksheets/sheet2.xml": _sheet_xml(
        '<row r="1048576"><c r="A1048576"><v>1</v></c></row>', "A1:A1")})
    f["zip_bomb"] = _rezip(good, d / "zip_bomb.xlsx", {"xl/theme/theme1.xml": b"<a/>" + b" " * (40 * 2**20)})
    f["entity_bomb"] = _rezip(good, d / "entities.xlsx", {"xl/worksheets/sheet3.xml": (
        b'<?xml version="1.0"?><!DOCTYPE l [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;">]>'
        b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>'
        b'<row r="1"><c r="A1" t="inlineStr"><is><t>&b;</t></is></c></row></sheetData></worksheet>')})
    f["encrypted"] = d / "password.xlsx"
    f["encrypted"].write_bytes(write_cfb({"EncryptionInfo": b"\x04\x00\x04\x00" + b"\x00" * 60,
                                          "EncryptedPackage": os.urandom(3000)}))
    f["truncated"] = d / "truncated.xlsx"
    f["truncated"].write_bytes(good.read_bytes()[: good.stat().st_size // 2])
    f["empty"] = d / "empty.xlsx"
    f["empty"].write_bytes(b"")
    f["csv"] = d / "register.csv"
    f["csv"].write_text("Họ và tên;Mã đối tượng\nNguyễn Văn An;CN\n", encoding="utf-8")
    for suffix in ("xls", "ods", "xlsb"):
        f[suffix] = d / f"register.{suffix}"
        f[suffix].write_bytes(good.read_bytes())
    f["text_named_xlsx"] = d / "text.xlsx"
    f["text_named_xlsx"].write_text("không phải sổ Excel", encoding="utf-8")
    f["missing"] = d / "khong_co.xlsx"
    f["folder"] = d / "a_folder.xlsx"
    f["folder"].mkdir()
    f["fifo"] = d / "pipe.xlsx"
    os.mkfifo(f["fifo"])
    return f


def _fingerprints(paths) -> dict:
    return {p: (p.read_bytes() if p.is_file() else None) for p in paths}


@pytest.mark.parametrize("case", ["far_cell", "far_cell_unordered", "unreferenced", "million_rows", "zip_bomb",
                                  "entity_bomb", "encrypted", "truncated", "empty", "csv", "xls", "ods", "xlsb",
                                  "text_named_xlsx", "missing", "folder", "fifo"])
def test_every_command_refuses_a_hostile_file_cleanly(hostile, case, tmp_path, capsys):
    book = hostile[case]             # every case exists here (Linux CI has FIFOs)
    before = _fingerprints([book])
    for i, template in enumerate(COMMANDS):
        argv = [a.format(book=book, out=tmp_path / f"out{i}") for a in template]
        started = time.perf_counter()
        status, out, err = run(argv, capsys)
        assert time.perf_counter() - started < 10, argv          # never hangs (a FIFO is not opened)
        # consolidate: a file it cannot read is reported (partial, 3); no input at all is 2
        expected = 3 if argv[0] == "consolidate" and case not in ("missing", "folder") else 2
        assert status == expected, (argv, err)
        assert "Traceback" not in err and _vietnamese(err), (argv, err)
        assert book.name in err, (argv, err)                       # the file is named
        if argv[0] != "consolidate":
            assert not list(tmp_path.glob(f"out{i}*")), argv       # nothing written
    assert _fingerprints([book]) == before


def test_screening_is_cheap_on_the_worst_case(hostile):
    """Memory and time of screening (issue 12: ≤ 300 MB, ≤ 10 s for a file under 20 MB)."""
    import resource
    started = time.perf_counter()
    for case in ("far_cell", "million_rows", "zip_bomb", "entity_bomb", "unreferenced"):
        assert check_workbook(hostile[case]) is not None
    assert time.perf_counter() - started < 10
    assert resource.getrusage(resource.RUSAGE_SELF).ru_maxrss < 2**20 * 1.2    # KB: the test process stays small


def _rows(n: int, far: str = "", at: int = 0) -> str:
    """A register-like sheetData body of `n` rows, `far` (a cell) written into row `at`."""
    out = []
    for r in range(1, n + 1):
        cells = "".join(f'<c r="{c}{r}" t="inlineStr"><is><t>Nguyễn Văn {r}</t></is></c>' for c in "ABCDEFGH")
        out.append(f'<row r="{r}">{cells}{far if r == at else ""}</row>')
    return "".join(out)


FAR_FORMS = {      # one cell at XFD99999, written as no common writer does, amid 3,000 ordinary rows
    "amid_rows": '<c r="XFD99999"><v>1</v></c>',
    "single_quotes": "<c r='XFD99999'><v>1</v></c>",
    "lower_case": '<c r="xfd99999"><v>1</v></c>',
    "prefixed": '<x:c r="XFD99999"><v>1</v></x:c>',
    "attribute_first": '<c s="0" r="XFD99999"><v>1</v></c>',
    "gt_in_a_value": '<c z=">" r="XFD99999"><v>1</v></c>',
    "spaces": '<c\n r = "XFD99999"><v>1</v></c>',
}


@pytest.mark.parametrize("form", sorted(FAR_FORMS))
def test_screening_finds_the_far_cell_however_written(good, tmp_path, form):
    xml = _sheet_xml(_rows(3000, FAR_FORMS[form], 1700)).replace(
        b"<worksheet ", b'<worksheet xmlns:x="http://schemas.openxmlformats.org/spreadsheetml/2006/main" ')
    book = _rezip(good, tmp_path / "far.xlsx", {"xl/worksheets/sheet2.xml": xml})
    rejection = check_workbook(book)
    assert rejection.code == "TOO_MANY_ROWS" and "XFD99999" in rejection.reason, rejection


def test_far_cell_at_every_piece_boundary(good, tmp_path):
    """A sheet screened in pieces: the far cell cut at any byte by a piece's end is still found."""
    xml = _sheet_xml(_rows(60, '<c r="XFD99999"><v>1</v></c>', 30))
    book = _rezip(good, tmp_path / "far.xlsx", {"xl/worksheets/sheet2.xml": xml})
    at = xml.index(b"XFD99999")
    for piece in range(at - 12, at + 12):
        rejection = check_workbook(book, Limits(piece_bytes=piece))
        assert rejection and "XFD99999" in rejection.reason, piece
    assert check_workbook(_rezip(good, tmp_path / "ok.xlsx", {"xl/worksheets/sheet2.xml": _sheet_xml(_rows(60))}),
                          Limits(piece_bytes=1000)) is None


def test_a_long_tag_or_text_across_pieces(good, tmp_path):
    """A cell whose reference follows a 70 KB attribute (no "<" in it: valid XML) is not lost
    between pieces; a 90 KB text in a cell (a long note) is read past."""
    hostile = _sheet_xml(_rows(20) + '<row r="21"><c a="' + "x" * 70_000 + '" r="XFD99999"><v>1</v></c></row>')
    book = _rezip(good, tmp_path / "long_tag.xlsx", {"xl/worksheets/sheet2.xml": hostile})
    for piece in (5000, 20000):
        assert check_workbook(book, Limits(piece_bytes=piece)) is not None
    note = _sheet_xml(_rows(20) + '<row r="21"><c r="B21" t="inlineStr"><is><t>' + "ghi chú dài " * 8000
                      + "</t></is></c></row>")
    book = _rezip(good, tmp_path / "long_text.xlsx", {"xl/worksheets/sheet2.xml": note})
    assert check_workbook(book, Limits(piece_bytes=5000)) is None


def _patch_size(path: Path, name: str, size: int) -> Path:
    """Declare a smaller uncompressed size for a part (local header and central directory)."""
    data = bytearray(path.read_bytes())
    for sig, field in ((b"PK\x03\x04", 22), (b"PK\x01\x02", 24)):
        at = 0
        while (at := data.find(sig, at)) >= 0:
            name_len = int.from_bytes(data[at + field + 4:at + field + 6] if sig == b"PK\x03\x04"
                                      else data[at + 28:at + 30], "little")
            start = at + (30 if sig == b"PK\x03\x04" else 46)
            if data[start:start + name_len] == name.encode():
                data[at + field:at + field + 4] = size.to_bytes(4, "little")
            at += 4
    path.write_bytes(bytes(data))
    return path


def test_package_tricks_are_refused(good, tmp_path):
    far = _sheet_xml(_rows(50) + '<row r="99999"><c r="XFD99999"><v>1</v></c></row>')
    # a part inflating past its declared size (its far cell beyond it): the reader would see it
    short = _patch_size(_rezip(good, tmp_path / "short.xlsx", {"xl/worksheets/sheet2.xml": far}),
                        "xl/worksheets/sheet2.xml", len(far) // 2)
    assert check_workbook(short).code == "CORRUPT"
    # two parts of one name: which one a reader takes is its own choice
    dup = tmp_path / "dup.xlsx"
    with zipfile.ZipFile(good) as zin, zipfile.ZipFile(dup, "w") as zout:
        for info in zin.infolist():
            zout.writestr(info.filename, zin.read(info))
        with pytest.warns(UserWarning):
            zout.writestr("xl/worksheets/sheet2.xml", far)
    assert check_workbook(dup).code == "CORRUPT"
    # a sheet outside xl/worksheets/, its relationship written with single quotes
    with zipfile.ZipFile(good) as zf:
        rels = zf.read("xl/_rels/workbook.xml.rels").decode()
    moved = re.sub(r'Target="/?(?:xl/)?worksheets/sheet2.xml"', "Target='data/s.xml'", rels).replace('"', "'")
    assert "data/s.xml" in moved
    book = _rezip(good, tmp_path / "moved.xlsx", {"xl/_rels/workbook.xml.rels": moved.encode()})
    with zipfile.ZipFile(book, "a") as zf:
        zf.writestr("xl/data/s.xml", far)
    rejection = check_workbook(book)
    assert rejection.code == "TOO_MANY_ROWS" and "XFD99999" in rejection.reason, rejection
    assert check_workbook(good, Limits(max_file_bytes=1000)).code == "TOO_LARGE"


@pytest.mark.parametrize("method", [zipfile.ZIP_STORED, zipfile.ZIP_LZMA])
def test_parts_stored_or_otherwise_compressed_are_screened(good, tmp_path, method):
    """Parts not deflated (never written by Excel): screened alike, a good book still read."""
    def rezip(dst, replace):
        with zipfile.ZipFile(good) as zin, zipfile.ZipFile(dst, "w", method) as zout:
            for info in zin.infolist():
                zout.writestr(info.filename, replace.get(info.filename, zin.read(info)))
        return dst
    far = _sheet_xml(_rows(3000, '<c r="XFD99999"><v>1</v></c>', 2000))
    rejection = check_workbook(rezip(tmp_path / "far.xlsx", {"xl/worksheets/sheet2.xml": far}))
    assert rejection.code == "TOO_MANY_ROWS" and "XFD99999" in rejection.reason
    assert check_workbook(rezip(tmp_path / "ok.xlsx", {}), Limits(piece_bytes=5000)) is None


# ---------------------------------------------------------------- odd but good books

def _edit(src: Path, dst: Path, edit) -> Path:
    wb = openpyxl.load_workbook(src)
    edit(wb)
    wb.save(dst)
    return dst


def _register_rows_of(grid) -> tuple[int, dict[str, int]]:
    from xl_support.book.register import find_header
    return find_header(grid)


def _register_rows(ws) -> tuple[int, dict[str, int]]:
    return _register_rows_of([list(r) for r in ws.iter_rows(values_only=True)])


def test_compute_writes_only_peoples_rows(good, tmp_path, capsys):
    """A total row with =SUM under the register, a note and blank rows stay untouched; a stray
    value far below the register costs nothing."""
    def edit(wb):
        ws = wb["Trẻ em NQ55"]
        header, cols = _register_rows(ws)
        last = ws.max_row
        ws.cell(row=last + 2, column=cols["name"], value="Tổng cộng")
        ws.cell(row=last + 2, column=cols["allowance"], value=f"=SUM(I{header + 1}:I{last})")
        ws.cell(row=last + 4, column=cols["name"], value="Người lập biểu")
        ws.cell(row=last + 5, column=cols["note"], value="Ghi chú: số liệu đến ngày 30/11")
        ws.cell(row=60_000, column=cols["note"], value="x")           # stray value far below
    book = _edit(good, tmp_path / "totals.xlsx", edit)
    out = tmp_path / "computed.xlsx"
    started = time.perf_counter()
    status, _, err = run(["compute", book, "--month", MONTH, "-o", out], capsys)
    assert status == 0, err
    assert time.perf_counter() - started < 8
    wb = openpyxl.load_workbook(out, read_only=True)
    ws = wb["Trẻ em NQ55"]
    grid = [list(r) for r in ws.iter_rows(values_only=True)]
    header, cols = _register_rows_of(grid)
    last_person = header + 20
    computed = [cols[f] - 1 for f in ("benefit", "topup", "insurance", "end_date", "basis")]
    for r, row in enumerate(grid[last_person:], start=last_person + 1):
        assert all(c >= len(row) or row[c] is None for c in computed), r
    assert grid[last_person + 1][cols["allowance"] - 1].startswith("=SUM(")
    assert all(isinstance(grid[r - 1][cols["benefit"] - 1], (int, str)) for r in range(header + 1, last_person + 1))


@pytest.mark.parametrize("what", ["no_register", "missing_columns"])
def test_compute_without_a_register_is_exit_2(tmp_path, capsys, what):
    wb = openpyxl.Workbook()
    if what == "no_register":
        wb.active.append(["Số TT", "Tên", "Đối tượng"])
        wb.active.append([1, "Nguyễn Văn An", "CN"])
    else:
        wb.active.append(["STT", "Họ và tên", "Mã đối tượng", "Khu vực"])
        wb.active.append([1, "Nguyễn Văn An", "CN", "Thành thị"])
    wb.save(tmp_path / "b.xlsx")
    status, _, err = run(["compute", tmp_path / "b.xlsx", "--month", MONTH, "-o", tmp_path / "o.xlsx"], capsys)
    assert status == 2 and _vietnamese(err) and "Traceback" not in err
    assert ("Ngày sinh" in err) == (what == "missing_columns")
    assert not (tmp_path / "o.xlsx").exists()


def test_header_row_low_on_the_sheet_is_found(good, tmp_path):
    def edit(wb):
        wb["Trẻ em NQ55"].insert_rows(1, 75)
    book = open_book(_edit(good, tmp_path / "low.xlsx", edit))
    assert [len(r.table) for r in book.registers] == [20, 8]
    assert book.registers[0].header_row > 75


def test_full_width_id_is_the_same_person(good, tmp_path):
    """R11 across forms of one ID: full-width digits and a decomposed name are the same child."""
    def edit(wb):
        ws = wb["Trẻ em NQ55"]
        header, cols = _register_rows(ws)
        src = header + 1
        copy = ws.max_row + 1
        for c in range(1, ws.max_column + 1):
            ws.cell(row=copy, column=c, value=ws.cell(row=src, column=c).value)
        ws.cell(row=src, column=cols["group"], value="KNND")
        ws.cell(row=src, column=cols["allowance"], value=None)
        ws.cell(row=copy, column=cols["group"], value="KNND")
        ws.cell(row=copy, column=cols["allowance"], value=None)
        text = str(ws.cell(row=src, column=cols["id"]).value)
        ws.cell(row=copy, column=cols["id"], value="".join(chr(ord(ch) + 0xFEE0) for ch in text))
        ws.cell(row=copy, column=cols["name"],
                value=unicodedata.normalize("NFD", ws.cell(row=src, column=cols["name"]).value))
    book = open_book(_edit(good, tmp_path / "fullwidth.xlsx", edit))
    reg = compute_book(book, dt.date(2026, 11, 1))[0]
    rows = reg.register.table
    first, copy = 0, len(rows) - 1
    assert rows["id_key"][first] == rows["id_key"][copy]
    assert rows["name"][first] == rows["name"][copy]
    paid = [int(reg.res.benefit[i]) for i in (first, copy)]
    assert sorted(paid)[0] == 0 and sum(1 for p in paid if p > 0) <= 1


def test_parameter_overrides_out_of_bounds_are_errors_at_the_cell(good, tmp_path, capsys):
    def edit(wb):
        ps = wb["Tham số"]
        ps.append(["Chuẩn nghèo thành thị từ 01/01/2026", 1e20])
        ps.append(["Lương cơ sở từ 01/07/2026", 250_000_000])
        ps.append(["Mức chuẩn trợ giúp xã hội từ 01/07/2024", -5])
    book_path = _edit(good, tmp_path / "params.xlsx", edit)
    book = open_book(book_path)
    cells = {i.cell for i in book.settings.issues}
    assert {"B4", "B5", "B6"} <= cells
    assert book.settings.params.value("poverty_line", dt.date(2026, 11, 1), "urban") == 2_000_000   # not used
    status, out, err = run(["validate", book_path], capsys)
    assert status == 1 and "Traceback" not in err and "B4" in out
    status, _, err = run(["compute", book_path, "--month", MONTH, "-o", tmp_path / "c.xlsx"], capsys)
    assert status == 0, err


def test_long_texts_tall_rows_and_huge_group_names(good, tmp_path, capsys):
    """Limits: a 40,000-character cell, a 500 pt row, residential groups of 4,000 and 5,000 digits."""
    def edit(wb):
        ws = wb["Trẻ em NQ55"]
        header, cols = _register_rows(ws)
        ws.cell(row=header + 1, column=cols["note"], value="dài " * 10_000)
        ws.cell(row=header + 2, column=cols["birth"], value="x" * 40_000)
        ws.cell(row=header + 3, column=cols["residential_group"], value="9" * 4_000)
        ws.cell(row=header + 4, column=cols["residential_group"], value="8" * 5_000)
        ws.row_dimensions[header + 1].height = 500
    book = _edit(good, tmp_path / "limits.xlsx", edit)
    before = book.read_bytes()
    for i, template in enumerate(COMMANDS[:-1]):
        argv = [a.format(book=book, out=tmp_path / f"o{i}") for a in template]
        status, out, err = run(argv, capsys)
        assert status in (0, 1), (argv, err)
        assert "Traceback" not in err
        assert (status == 1) == (argv[0] in ("validate", "export")), (argv, err)   # the bad date is an error
    assert book.read_bytes() == before
    wb = openpyxl.load_workbook(tmp_path / "o1.xlsx")                   # validate -o wrote its sheet
    assert all(len(str(c.value or "")) <= 32_767 for row in wb["Kiểm tra"].iter_rows() for c in row)


# ---------------------------------------------------------------- money never wraps

def test_city_totals_beyond_int32_stay_exact(tmp_path, capsys):
    """9 billion đồng in a ward: int64 end to end (int32 would wrap to a negative total)."""
    folder = tmp_path / "wards"
    folder.mkdir()
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "NQ04"
    ws.append(["STT", "Họ và tên", "Ngày sinh", "Số định danh cá nhân", "Khu vực", "Mã đối tượng", "Loại hộ",
               "Ngày ký quyết định"])
    for i in range(100):
        ws.append([i + 1, f"Người {i}", "01/01/2015", f"0312{i:08d}", "Thành thị", "HN-TE", "Nghèo", "01/02/2026"])
    ps = wb.create_sheet("Tham số")
    for row in (["Đơn vị", UNIT_B.full_name], ["Loại đơn vị", UNIT_B.type], ["Tháng báo cáo", "11/2026"],
                ["Mức hỗ trợ HN-TE (đồng/tháng)", 95_000_000], ["BHYT HN-TE", "Không"]):
        ps.append(row)
    wb.save(folder / "rich.xlsx")
    r = C.consolidate([folder / "rich.xlsx"], dt.date(2026, 11, 1), tmp_path / "city.xlsx", jobs=1, progress=False)
    assert r.total("benefit") == 100 * 95_000_000 == 9_500_000_000
    row = next(u for u in r.units if u.unit == UNIT_B)
    assert all(v > 0 for v in row.years.values()) and row.years[2027] == 12 * 9_500_000_000
    city = openpyxl.load_workbook(tmp_path / "city.xlsx")
    numbers = [c.value for ws in city for row in ws.iter_rows() for c in row if isinstance(c.value, (int, float))]
    assert min(numbers) >= 0 and 9_500_000_000 in numbers


# ---------------------------------------------------------------- consolidation: isolation

_REAL_PROCESS_FILE = C.process_file


def _abort_on_crash_file(path, months, month=None):
    if path.endswith("crash.xlsx"):
        os.abort()
    return _REAL_PROCESS_FILE(path, months, month)


@pytest.mark.parametrize("jobs", [1, 2])
def test_a_crashing_file_costs_no_other_file(tmp_path, monkeypatch, hostile, good, jobs):
    """A worker that dies in native code (simulated: os.abort in the worker, as a reader's abort
    would) breaks the pool; the other files are run again and all good wards are present — the
    file the dead worker held next too (`AHEAD`: it is not the one that killed it)."""
    folder = tmp_path / "in"
    folder.mkdir()
    goods = []
    for i, unit in enumerate((UNIT_A, UNIT_B, UNIT_C)):
        goods.append(write_sample_book(folder / f"ward{i}.xlsx", unit=unit.full_name, unit_type=unit.type,
                                       n55=10, n04=4, seed=40 + i))
    shutil.copy(good, folder / "crash.xlsx")
    shutil.copy(hostile["far_cell"], folder / "far_cell.xlsx")
    monkeypatch.setattr(C, "process_file", _abort_on_crash_file)   # inherited by the forked workers
    r = C.consolidate(sorted(folder.iterdir()), dt.date(2026, 11, 1), None, jobs=jobs, progress=False)
    status = {f.path.name: f.status for f in r.files}
    assert status == {"crash.xlsx": C.REJECTED, "far_cell.xlsx": C.REJECTED, "ward0.xlsx": C.OK,
                      "ward1.xlsx": C.OK, "ward2.xlsx": C.OK}, [(f.path.name, f.reason) for f in r.files]
    assert r.exit_status == 3
    reasons = {f.path.name: f.reason for f in r.files}
    assert _vietnamese(reasons["crash.xlsx"]) and "XFD99999" in reasons["far_cell.xlsx"]
    assert reasons["crash.xlsx"] == C.CRASHED.reason and reasons["far_cell.xlsx"] != C.CRASHED.reason


def _unsendable_result(path, months, month=None):
    result = _REAL_PROCESS_FILE(path, months, month)
    if path.endswith("ward1.xlsx"):
        result.notes.append(lambda: None)                # cannot be pickled
    return result


def test_a_result_the_worker_cannot_send_costs_that_file_only(tmp_path, monkeypatch):
    folder = tmp_path / "in"
    folder.mkdir()
    for i, unit in enumerate((UNIT_A, UNIT_B, UNIT_C)):
        write_sample_book(folder / f"ward{i}.xlsx", unit=unit.full_name, unit_type=unit.type, n55=10, n04=4,
                          seed=40 + i)
    monkeypatch.setattr(C, "process_file", _unsendable_result)    # inherited by the forked workers
    r = C.consolidate(sorted(folder.iterdir()), dt.date(2026, 11, 1), None, jobs=2, progress=False)
    status = {f.path.name: f.status for f in r.files}
    assert status == {"ward0.xlsx": C.OK, "ward1.xlsx": C.REJECTED, "ward2.xlsx": C.OK}
    assert next(f.reason for f in r.files if f.path.name == "ward1.xlsx") == C.CRASHED.reason
    assert sum(u.rows for u in r.units if u.received) == 28


def test_consolidate_output_never_replaces_an_input(good, tmp_path, capsys):
    folder = tmp_path / "in"
    folder.mkdir()
    ward = shutil.copy(good, folder / "ward.xlsx")
    before = Path(ward).read_bytes()
    for out in (folder / "city.xlsx", ward):
        status, _, err = run(["consolidate", folder, "--month", MONTH, "-o", out, "--force"], capsys)
        assert status == 2 and _vietnamese(err)
    assert Path(ward).read_bytes() == before and not (folder / "city.xlsx").exists()


# ---------------------------------------------------------------- no lost updates

def test_a_book_changed_while_a_command_runs_is_not_replaced(good, tmp_path, monkeypatch, capsys):
    book = Path(shutil.copy(good, tmp_path / "book.xlsx"))
    from xl_support.operations import compute as compute_op
    real = compute_op.compute

    def meanwhile(port, month=None):                        # another program saves the book meanwhile
        result = real(port, month)
        with open(book, "ab") as fh:
            fh.write(b"\0")
        return result

    monkeypatch.setattr(compute_op, "compute", meanwhile)
    changed = book.read_bytes() + b"\0"
    status, _, err = run(["compute", book, "--month", MONTH, "-o", book, "--in-place"], capsys)
    assert status == 2 and "đã bị thay đổi" in err
    assert book.read_bytes() == changed                     # the other program's save is kept
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".book.xlsx.")]   # no temp, no lock left


def test_a_second_writer_waits_for_the_lock(good, tmp_path, capsys):
    book = Path(shutil.copy(good, tmp_path / "book.xlsx"))
    holder = subprocess.Popen([sys.executable, "-c", (
        "import sys, time\nfrom xl_support.book.fileio import check_output_path\n"
        f"check_output_path({str(book)!r}, source={str(book)!r}, in_place=True)\n"
        "print('locked', flush=True)\ntime.sleep(30)\n")], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "locked"
        status, _, err = run(["validate", book, "-o", book, "--in-place"], capsys)
        assert status == 2 and "đang được một lệnh khác ghi" in err
    finally:
        holder.kill()
        holder.wait()
    status, _, err = run(["validate", book, "-o", book, "--in-place"], capsys)   # its process is gone: stale
    assert status in (0, 1) and "Kiểm tra" in openpyxl.load_workbook(book).sheetnames


def test_temp_file_of_a_killed_run_is_removed(good, tmp_path, capsys):
    out = tmp_path / "out.xlsx"
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True,
                          text=True).stdout.strip()
    leftover = tmp_path / f".out.xlsx.{dead}.abcd1234.tmp.xlsx"
    leftover.write_bytes(b"personal data")
    status, _, err = run(["compute", good, "--month", MONTH, "-o", out], capsys)
    assert status == 0, err
    assert not leftover.exists() and out.exists()


# ---------------------------------------------------------------- consoles

def test_a_non_utf8_console_gets_no_unicode_error(hostile, good, tmp_path):
    env = {**os.environ, "PYTHONIOENCODING": "cp1252", "PYTHONUTF8": "0"}
    for argv, expected in ((["validate", str(good)], (0, 1)), (["compute", str(hostile["truncated"]), "-o",
                                                                str(tmp_path / "o.xlsx")], (2,))):
        p = subprocess.run([sys.executable, "-m", "xl_support", *argv], capture_output=True, env=env, timeout=120)
        err = p.stderr.decode("cp1252", "replace")
        assert p.returncode in expected, err
        assert "Traceback" not in err and "UnicodeEncodeError" not in err
