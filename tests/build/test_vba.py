"""Tests for xl_support.vba: MS-OVBA compression, the CFB writer and the VBA project builder.

Readers used as oracles: olefile (CFB), oletools.olevba (dir stream and module sources),
LibreOffice through tests/harness/uno_probe.py (a real application importing the VBA project).
"""

from __future__ import annotations

import json
import random
import struct
import subprocess
import zipfile
from pathlib import Path

import olefile
import pytest
from hypothesis import given, settings, strategies as st
from oletools.olevba import VBA_Parser, decompress_stream

from xl_support.build.vba import (
    build_vba_project,
    compress,
    decompress,
    read_vba_project,
    template_document_modules,
    template_vba_bin,
    write_cfb,
)
from xl_support.build.vba.cfb import NOSTREAM, cfb_name_key
from xl_support.build.vba.xlsm import CUSTOM_UI_REL, openpyxl_vba_archive
from xl_support.build.vba.project import (
    VBA_PROJECT_SOURCE_ONLY,
    parse_dir,
    xlwings_bas,
    xlwings_dir,
)

HERE = Path(__file__).parent

RIBBON = (
    "Option Explicit\n"
    "\n"
    "Sub OnValidate(control As IRibbonControl)\n"
    '    RunPython "import macros; macros.validate()"\n'
    "End Sub\n"
    "\n"
    "Sub OnCompute(control As IRibbonControl)\n"
    '    RunPython "import macros; macros.compute()"\n'
    "End Sub\n"
)
UDFS = (
    'Function HP_BENEFIT(code, birth)\n'
    '    HP_BENEFIT = Py.CallUDF("udfs", "HP_BENEFIT", Array(code, birth))\n'
    "End Function\n"
)
SHEETS = {f"Sheet{i}": "" for i in range(1, 8)}


def norm(text: str) -> str:
    """Line endings normalised, trailing blank lines dropped."""
    return text.replace("\r\n", "\n").rstrip("\n")


@pytest.fixture(scope="module")
def built() -> bytes:
    return build_vba_project({"Ribbon": RIBBON, "xlwings_udfs": UDFS},
                             {**SHEETS, "Sheet3": "' register sheet\n"})


def write_xlsm_with_vba(path: Path, vba_bin: bytes) -> Path:
    """A real .xlsm: the wheel's quickstart_standalone.xlsm with its vbaProject.bin swapped."""
    src = xlwings_dir() / "quickstart_standalone.xlsm"
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            data = vba_bin if info.filename == "xl/vbaProject.bin" else zin.read(info.filename)
            zout.writestr(info.filename, data)
    return path


# --------------------------------------------------------------------------- MS-OVBA 2.4.1

# [MS-OVBA] 3.2 examples: (uncompressed, compressed container).
SPEC_NO_COMPRESSION = (
    b"abcdefghijklmnopqrstuv.",
    bytes.fromhex("0119B000616263646566676800696A6B6C6D6E6F70007172737475762E"),
)
SPEC_NORMAL = (
    b"#aaabcdefaaaaghijaaaaaklaaamnopqaaaaaaaaaaaarstuvwxyzaaa",
    bytes.fromhex("012FB00023616161626364658266007061676869"
                  "6A013808616B6C00306D6E6F700671027004107273747576107778797A003C"),
)
SPEC_MAXIMUM = (b"a" * 73, bytes.fromhex("0103B002614500"))


@pytest.mark.parametrize("plain, packed", [SPEC_NO_COMPRESSION, SPEC_NORMAL, SPEC_MAXIMUM])
def test_decompress_spec_examples(plain, packed):
    assert decompress(packed) == plain


@pytest.mark.parametrize("plain, packed", [SPEC_NO_COMPRESSION, SPEC_MAXIMUM])
def test_compress_spec_examples_byte_exact(plain, packed):
    assert compress(plain) == packed


def test_compress_spec_normal_example_same_tokens():
    # Office's example picks a farther equal-length match in 3 copy tokens; the spec's own
    # procedure (nearest match) gives the same token layout and length.
    plain, packed = SPEC_NORMAL
    ours = compress(plain)
    assert len(ours) == len(packed)
    assert ours[:23] == packed[:23]
    assert decompress(ours) == plain


def test_compress_xlwings_bas_multi_chunk_read_by_oletools():
    data = xlwings_bas().encode("ascii")
    packed = compress(data)
    assert len(data) > 8 * 4096 and len(packed) < len(data) // 2
    assert decompress(packed) == data
    assert decompress_stream(bytearray(packed)) == data


@pytest.mark.parametrize("n", [4093, 4094, 4095, 4096, 4097, 4098, 8191, 8192, 8193, 12289])
def test_round_trip_matches_near_chunk_boundaries(n):
    # Periodic data makes a 3-byte match available that would cross the chunk end.
    data = bytes(97 + (i % 7) for i in range(n))
    packed = compress(data)
    assert decompress(packed) == data
    assert decompress_stream(bytearray(packed)) == data


def test_no_copy_token_crosses_the_chunk_end():
    # "ab" ends chunk 1 and "c" starts chunk 2: "abc" also opens chunk 1, but a copy token
    # must not reach into the next chunk (2.4.1.3.19.4 bounds matches by the chunk end).
    rng = random.Random(3)
    filler = bytes(rng.choice(b"defg") for _ in range(4091))
    data = b"abc" + filler + b"abc" + filler[:500]
    packed = compress(data)
    assert decompress(packed) == data
    assert decompress_stream(bytearray(packed)) == data


def test_incompressible_full_chunks_are_raw_and_round_trip():
    data = random.Random(7).randbytes(2 * 4096)
    packed = compress(data)
    (header,) = struct.unpack_from("<H", packed, 1)
    assert header == 0x3FFF  # raw chunk: flag 0, signature 0b011, size 4098 - 3
    assert len(packed) == 1 + 2 * (2 + 4096)
    assert decompress(packed) == data
    assert decompress_stream(bytearray(packed)) == data


def test_incompressible_short_tail_is_padded_as_the_spec_says():
    data = random.Random(8).randbytes(4000)
    out = decompress(compress(data))
    assert out[:4000] == data and out[4000:] == b"\x00" * 96


@pytest.mark.parametrize("bad", [b"", b"\x02\x00\xb0", b"\x01\x00\x00", b"\x01\x01\xb0\x01\x00\x00"])
def test_decompress_rejects_malformed(bad):
    with pytest.raises(ValueError):
        decompress(bad)


_text = st.text(alphabet="ab c\r\n=()\"'Sub End", max_size=12000).map(str.encode)
_pieces = st.lists(st.binary(min_size=1, max_size=40), min_size=1, max_size=6).flatmap(
    lambda ps: st.lists(st.sampled_from(ps), max_size=600).map(b"".join))


@settings(max_examples=60, deadline=None)
@given(st.one_of(_text, _pieces))
def test_round_trip_compressible_data(data):
    packed = compress(data)
    assert decompress(packed) == data
    assert decompress_stream(bytearray(packed)) == data


@settings(max_examples=60, deadline=None)
@given(st.binary(max_size=9000))
def test_round_trip_any_bytes(data):
    out = decompress(compress(data))
    assert out[:len(data)] == data
    assert set(out[len(data):]) <= {0}  # only a raw final chunk is zero-padded (2.4.1.3.10)
    assert decompress_stream(bytearray(compress(data))) == out


def test_compress_is_deterministic():
    data = xlwings_bas().encode("ascii")
    assert compress(data) == compress(data)


# --------------------------------------------------------------------------- CFB writer

CFB_TREE = {
    "PROJECT": b"P" * 613,
    "PROJECTwm": b"",
    "VBA": {
        "dir": bytes(range(256)) * 5,
        "xlwings": random.Random(1).randbytes(19531),
        "Big": random.Random(2).randbytes(300_000),
        "_VBA_PROJECT": VBA_PROJECT_SOURCE_ONLY,
        "m63": b"x" * 63, "m64": b"y" * 64, "m4095": b"z" * 4095, "m4096": b"w" * 4096,
        "Nested": {"inner": b"inner data", "Deeper": {"leaf": b"L"}},
    },
    **{f"S{'n' * (i % 5)}{i:02d}": bytes([i]) * (i * 37) for i in range(1, 21)},
}


def _walk(tree, prefix=()):
    for name, value in tree.items():
        if isinstance(value, dict):
            yield from _walk(value, prefix + (name,))
        else:
            yield "/".join(prefix + (name,)), value


def test_cfb_olefile_reads_every_stream_exactly():
    data = write_cfb(CFB_TREE)
    assert data[:8] == bytes.fromhex("D0CF11E0A1B11AE1") and len(data) % 512 == 0
    ole = olefile.OleFileIO(data, raise_defects=olefile.DEFECT_INCORRECT)
    streams = dict(_walk(CFB_TREE))
    listed = {"/".join(p) for p in ole.listdir(streams=True, storages=False)}
    assert listed == set(streams)
    for path, value in streams.items():
        assert ole.openstream(path).read() == value, path
    assert ole.get_type("VBA/Nested/Deeper") == olefile.STGTY_STORAGE


def test_cfb_storages_start_at_sector_zero(built):
    """MS-CFB 2.6.3: a storage's starting sector location MUST be 0 (the root's is the mini stream)."""
    for data in (write_cfb(CFB_TREE), built):
        ole = olefile.OleFileIO(data, raise_defects=olefile.DEFECT_INCORRECT)
        storages = [e for e in ole.direntries if e is not None and e.entry_type == olefile.STGTY_STORAGE]
        assert storages and all(e.isectStart == 0 for e in storages)


def test_cfb_sibling_trees_are_sorted_red_black_trees():
    ole = olefile.OleFileIO(write_cfb(CFB_TREE))
    entries = ole.direntries

    def check(sid, lo, hi):
        """Return black height; assert BST order in (lo, hi) and no red-red."""
        if sid == NOSTREAM:
            return 1
        e = entries[sid]
        key = cfb_name_key(e.name)
        assert (lo is None or lo < key) and (hi is None or key < hi)
        for child in (e.sid_left, e.sid_right):
            if e.color == 0 and child != NOSTREAM:
                assert entries[child].color == 1, "red node with red child"
        left, right = check(e.sid_left, lo, key), check(e.sid_right, key, hi)
        assert left == right, "unequal black height"
        return left + (e.color == 1)

    storages = [e for e in entries if e is not None and e.entry_type in (1, 5)]
    assert len(storages) == 4  # root, VBA, Nested, Deeper
    assert any(e.color == 0 for e in entries if e is not None and e.entry_type != 5)
    for storage in storages:
        if storage.sid_child != NOSTREAM:
            assert entries[storage.sid_child].color == 1  # root of each tree is black
            check(storage.sid_child, None, None)


def test_cfb_name_order_is_length_then_uppercase():
    names = ["dir", "PROJECT", "_VBA_PROJECT", "ab", "Ba", "aC"]
    assert sorted(names, key=cfb_name_key) == ["ab", "aC", "Ba", "dir", "PROJECT", "_VBA_PROJECT"]


def test_cfb_is_deterministic_and_rejects_bad_names():
    assert write_cfb(CFB_TREE) == write_cfb(dict(reversed(list(CFB_TREE.items()))))
    for bad in ({"a/b": b""}, {"x" * 32: b""}, {"A": b"", "a": b""}, {"n": 3}):
        with pytest.raises((ValueError, TypeError)):
            write_cfb(bad)


# --------------------------------------------------------------------------- VBA project

def test_template_code_names():
    assert template_document_modules() == ["ThisWorkbook", "Sheet1", "Sheet2"]


def test_built_project_modules_and_dir_records(built):
    project = read_vba_project(built)
    assert project.code_page == 1252
    assert project.names() == ["ThisWorkbook", *SHEETS, "xlwings", "Ribbon", "xlwings_udfs",
                               "Dictionary"]
    kinds = {m.name: m.kind for m in project.modules}
    assert kinds["Ribbon"] == kinds["xlwings"] == kinds["xlwings_udfs"] == "procedural"
    assert kinds["Sheet7"] == kinds["ThisWorkbook"] == "document"
    assert kinds["Dictionary"] == "class"
    for name in ["Ribbon", "xlwings_udfs", "xlwings", *SHEETS]:
        assert project.module(name).offset == 0
    assert project.vba_project_stream == VBA_PROJECT_SOURCE_ONLY

    ole = olefile.OleFileIO(built, raise_defects=olefile.DEFECT_INCORRECT)
    d = parse_dir(decompress(ole.openstream("VBA/dir").read()))
    types = {m.name: m.type_id for m in d.modules}
    assert types["Ribbon"] == 0x0021 and types["Sheet2"] == 0x0022
    assert "Module1" not in types
    streams = {p[1] for p in ole.listdir() if p[0] == "VBA"}
    assert streams == {"_VBA_PROJECT", "dir", *types}


def test_olevba_reads_back_every_module_exactly(built):
    parser = VBA_Parser("vbaProject.bin", data=built)
    got = {Path(stream).name: code for _, stream, _, code in parser.extract_macros()}
    assert norm(got["Ribbon"]) == norm('Attribute VB_Name = "Ribbon"\n' + RIBBON)
    assert norm(got["xlwings_udfs"]) == norm('Attribute VB_Name = "xlwings_udfs"\n' + UDFS)
    assert norm(got["xlwings"]) == norm(xlwings_bas())
    assert got["Sheet3"].endswith("Attribute VB_Customizable = True\r\n' register sheet\r\n")
    assert "Module1" not in got and "Dictionary" in got
    assert len(got) == 12


def test_document_modules_copy_template_attributes(built):
    template = read_vba_project(template_vba_bin())
    sheet1 = norm(template.module("Sheet1").source).split("\n")
    project = read_vba_project(built)
    for i in range(1, 8):
        lines = norm(project.module(f"Sheet{i}").source).split("\n")
        assert lines[0] == f'Attribute VB_Name = "Sheet{i}"'
        expected_tail = sheet1[1:] + (["' register sheet"] if i == 3 else [])
        assert lines[1:] == expected_tail
    # ThisWorkbook and the Dictionary class are kept byte for byte.
    assert project.module("ThisWorkbook").source == template.module("ThisWorkbook").source
    assert project.module("Dictionary").source == template.module("Dictionary").source


def test_project_stream_and_projectwm(built):
    ole = olefile.OleFileIO(built)
    text = ole.openstream("PROJECT").read().decode("cp1252")
    lines = text.split("\r\n")
    assert lines[0].startswith("ID=")
    assert lines[1:4] == ["Document=ThisWorkbook/&H00000000", "Document=Sheet1/&H00000000",
                          "Document=Sheet2/&H00000000"]
    assert "Module=Ribbon" in lines and "Module=xlwings_udfs" in lines
    assert "Class=Dictionary" in lines and "Module=Module1" not in lines
    assert 'Name="VBAProject"' in lines and "Ribbon=0, 0, 0, 0, C" in lines
    wm = ole.openstream("PROJECTwm").read()
    assert wm.endswith(b"\x00\x00")
    assert b"Ribbon\x00" + "Ribbon".encode("utf-16-le") + b"\x00\x00" in wm


def test_default_keeps_template_sheets():
    project = read_vba_project(build_vba_project({"Ribbon": RIBBON}))
    assert project.names() == ["ThisWorkbook", "Sheet1", "Sheet2", "xlwings", "Ribbon",
                               "Dictionary"]


def test_build_is_deterministic(built):
    again = build_vba_project({"Ribbon": RIBBON, "xlwings_udfs": UDFS},
                              {**SHEETS, "Sheet3": "' register sheet\n"})
    assert again == built


def test_bas_export_with_vb_name_is_accepted():
    source = 'Attribute VB_Name = "Ribbon"\r\n' + RIBBON.replace("\n", "\r\n")
    project = read_vba_project(build_vba_project({"Ribbon": source}))
    assert norm(project.module("Ribbon").source) == norm(source)


@pytest.mark.parametrize("modules, docs", [
    ({"Ribbon": "MsgBox \"Kiểm tra\"\n"}, None),  # Vietnamese cannot be stored in cp1252
    ({"Ribbon": 'Attribute VB_Name = "Other"\nSub A()\nEnd Sub\n'}, None),
    ({"xlwings": "Sub A()\nEnd Sub\n"}, None),
    ({"Dictionary": ""}, None),
    ({"Sheet1": ""}, {"Sheet1": ""}),
    ({"1Bad": ""}, None),
    ({}, {"Sheet1": "Attribute VB_Exposed = True\n"}),
])
def test_invalid_inputs_are_refused(modules, docs):
    with pytest.raises(ValueError):
        build_vba_project(modules, docs)


def test_olevba_reads_a_real_xlsm(tmp_path, built):
    path = write_xlsm_with_vba(tmp_path / "book.xlsm", built)
    parser = VBA_Parser(str(path))
    assert parser.detect_vba_macros()
    names = sorted(Path(stream).name for _, stream, _, _ in parser.extract_macros())
    assert names == sorted(["ThisWorkbook", *SHEETS, "xlwings", "Ribbon", "xlwings_udfs",
                            "Dictionary"])


def _openpyxl_book(path: Path, vba_bin: bytes, ribbon: bytes) -> Path:
    """A workbook written by openpyxl, sheets Sheet1..Sheet7 by code name, VBA attached."""
    import openpyxl

    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    for i in range(1, 8):
        ws = wb.create_sheet("xlwings.conf" if i == 7 else f"Sổ {i}")
        ws.sheet_properties.codeName = f"Sheet{i}"
    wb.code_name = "ThisWorkbook"
    wb.vba_archive = openpyxl_vba_archive(vba_bin, ribbon)
    wb.save(path)
    return path


RIBBON_XML = (
    '<customUI xmlns="http://schemas.microsoft.com/office/2006/01/customui"><ribbon><tabs>'
    '<tab id="hp" label="Hải Phòng"><group id="g" label="Kiểm tra">'
    '<button id="v" label="Kiểm tra" onAction="OnValidate"/></group></tab></tabs></ribbon>'
    "</customUI>"
).encode("utf-8")


def test_openpyxl_saves_the_project_and_ribbon(tmp_path, built):
    path = _openpyxl_book(tmp_path / "book.xlsm", built, RIBBON_XML)
    with zipfile.ZipFile(path) as zf:
        assert zf.read("xl/vbaProject.bin") == built
        assert zf.read("customUI/customUI.xml") == RIBBON_XML
        assert CUSTOM_UI_REL in zf.read("_rels/.rels").decode()
        types = zf.read("[Content_Types].xml").decode()
        assert "application/vnd.ms-excel.sheet.macroEnabled.main+xml" in types
        assert "vbaProject" in zf.read("xl/_rels/workbook.xml.rels").decode()
    names = {Path(s).name for _, s, _, _ in VBA_Parser(str(path)).extract_macros()}
    assert {"Ribbon", "xlwings_udfs", "Sheet7"} <= names


def test_libreoffice_imports_the_modules(tmp_path, built):
    path = _openpyxl_book(tmp_path / "book.xlsm", built, RIBBON_XML)
    run = subprocess.run(["/usr/bin/python3", str(HERE.parent / "harness" / "uno_probe.py"), str(path)],
                         capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    seen = json.loads(run.stdout)
    assert "VBAProject" in seen["basic_libraries"]
    modules = seen["vba_modules"]
    assert set(modules) == {"ThisWorkbook", *SHEETS, "xlwings", "Ribbon", "xlwings_udfs",
                            "Dictionary"}
    assert "Sub OnValidate(control As IRibbonControl)" in modules["Ribbon"]
    assert 'Py.CallUDF("udfs", "HP_BENEFIT"' in modules["xlwings_udfs"]
    assert "VBAModule" in modules["Ribbon"] and "VBADocumentModule" in modules["Sheet5"]
    assert "' register sheet" in modules["Sheet3"]
    assert seen["code_names"] == {**{f"Sổ {i}": f"Sheet{i}" for i in range(1, 7)},
                                  "xlwings.conf": "Sheet7"}
