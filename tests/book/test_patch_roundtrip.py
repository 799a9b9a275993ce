"""Round trips through the package-patching writer (issue 13 "Done when", issue 18.1): a book made
from the template is saved "as Excel would" (spilled refs with `cm`, shared strings, a formula of
the user's, the first sheet selected), then validate / summary / compute --in-place write it.
VBA document modules = sheet code names, no ghost; every `cm` kept; VBA and customUI unchanged;
the CFB directory reads; the formulas we keep or write carry this month's values."""
from __future__ import annotations

import datetime as dt
import re
import shutil
import zipfile
from xml.sax.saxutils import escape

import olefile
import openpyxl
import pytest

from xl_support.__main__ import main
from xl_support.book.patch import formula_cells
from xl_support.book.workbook import open_book
from xl_support.book.xlsx import Package
from xl_support.build.demo_book import write_demo_workbook
from xl_support.operations.compute import compute_book

MONTH = dt.date(2026, 11, 1)
SST_CT = "application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"
SST_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings"
USER_FORMULA = '<c r="Z2" cm="1"><f t="array" ref="Z2:Z4">_xlfn.SEQUENCE(3)</f><v>1</v></c>'


def excel_like(src, dst):
    """What Excel does to the book when a ward saves it: text in a shared-string table, the
    spilled HP_ columns' refs covering the table, a dynamic array of the user's, tab selected."""
    with zipfile.ZipFile(src) as zf:
        parts = {i.filename: zf.read(i) for i in zf.infolist()}
    strings: dict[str, int] = {}

    def shared(m):
        text = re.sub(r"<[^>]+>", "", m[2])
        index = strings.setdefault(text, len(strings))
        return f'<c{m[1]} t="s"><v>{index}</v></c>'

    for name in [n for n in parts if n.startswith("xl/worksheets/sheet")]:
        xml = parts[name].decode()
        xml = re.sub(r'<c([^>]*?) t="inlineStr"><is>(.*?)</is></c>', shared, xml)
        last = max((int(r) for r in re.findall(r'<row r="(\d+)"', xml)), default=1)
        xml = re.sub(r'<f t="array" ref="([A-Z]+)6">(HP_)', rf'<f t="array" ref="\g<1>6:\g<1>{last}">\2', xml)
        if name.endswith("sheet1.xml"):
            xml = xml.replace("<sheetView ", '<sheetView tabSelected="1" ', 1)
        if name.endswith("sheet4.xml"):         # Tham số: a formula of the user's
            for r, cell in ((2, USER_FORMULA), (3, '<c r="Z3"><v>2</v></c>'), (4, '<c r="Z4"><v>3</v></c>')):
                xml = re.sub(rf'(<row r="{r}"[^>]*>.*?)(</row>)', lambda m: m[1] + cell + m[2], xml, count=1, flags=re.S)
        parts[name] = xml.encode()
    sst = "".join(f"<si><t xml:space=\"preserve\">{escape(t)}</t></si>" for t in strings)
    parts["xl/sharedStrings.xml"] = (f'<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
                                     f'count="{len(strings)}" uniqueCount="{len(strings)}">{sst}</sst>').encode()
    ct = parts["[Content_Types].xml"].decode()
    parts["[Content_Types].xml"] = ct.replace(
        "</Types>", f'<Override PartName="/xl/sharedStrings.xml" ContentType="{SST_CT}"/></Types>').encode()
    rels = parts["xl/_rels/workbook.xml.rels"].decode()
    parts["xl/_rels/workbook.xml.rels"] = rels.replace(
        "</Relationships>", f'<Relationship Id="rId99" Type="{SST_REL}" Target="sharedStrings.xml"/></Relationships>').encode()
    with zipfile.ZipFile(dst, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in parts.items():
            zf.writestr(name, data)
    return dst


@pytest.fixture(scope="module")
def excel_saved(tmp_path_factory):
    folder = tmp_path_factory.mktemp("roundtrip")
    demo = write_demo_workbook(folder / "demo.xlsm", unit="Phường Đồ Sơn", unit_type="Phường", month=MONTH,
                               n55=40, n04=20, seed=7)
    return excel_like(demo, folder / "excel-saved.xlsm")


def parts_of(path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as zf:
        return {n: zf.read(n) for n in zf.namelist()}


def document_modules(vba: bytes) -> set[str]:
    """The VBA project's document modules (`Document=Sheet1/&H00000000` lines of PROJECT)."""
    import io
    ole = olefile.OleFileIO(io.BytesIO(vba))
    text = ole.openstream("PROJECT").read().decode("latin-1")
    return {m for m in re.findall(r"^Document=([^/\r\n]+)/", text, re.M)}


def code_names(path) -> set[str]:
    pkg = Package.open(path)
    names = set(re.findall(r'<workbookPr\b[^>]*codeName="([^"]+)"', pkg.workbook_xml))
    for s in pkg.sheets:
        m = re.search(r'<sheetPr\b[^>]*codeName="([^"]+)"', pkg.text(s.part))
        if m:
            names.add(m[1])
    return names


def cm_cells(parts: dict[str, bytes]) -> set[tuple[str, str]]:
    return {(n, m) for n, x in parts.items() if n.startswith("xl/worksheets/sheet")
            for m in re.findall(r'<c r="([A-Z]+\d+)"[^>]*\bcm="1"', x.decode())}


COMMANDS = {
    "validate": lambda src, out: ["validate", src, "-o", out],
    "summary": lambda src, out: ["summary", src, "--month", "2026-11", "-o", out],
    "compute": lambda src, out: ["compute", src, "--month", "2026-11", "-o", src, "--in-place"],
}
OWNED_SHEETS = {"validate": "Kiểm tra", "summary": "Tổng hợp", "compute": "Trẻ em NQ55"}


def run_command(command, src, tmp_path):
    if command == "compute":
        out = shutil.copy(src, tmp_path / "in-place.xlsm")
        assert main([str(a) for a in COMMANDS[command](out, None)]) == 0
        return out
    out = tmp_path / f"{command}.xlsm"
    assert main([str(a) for a in COMMANDS[command](src, out)]) in (0, 1)
    return out


@pytest.mark.parametrize("command", list(COMMANDS))
def test_round_trip_keeps_the_workbook_whole(excel_saved, command, tmp_path):
    before = parts_of(excel_saved)
    out = run_command(command, excel_saved, tmp_path)
    after = parts_of(out)
    # VBA project and ribbon byte-identical; the CFB directory reads
    assert after["xl/vbaProject.bin"] == before["xl/vbaProject.bin"]
    assert after["customUI/customUI.xml"] == before["customUI/customUI.xml"]
    assert olefile.isOleFile(after["xl/vbaProject.bin"])
    # document modules = sheet code names: no ghost module, no sheet without its module
    modules = document_modules(after["xl/vbaProject.bin"])
    assert modules == code_names(out)
    # every cm kept: the user's spilled formula and (except where compute wrote values) ours
    kept = cm_cells(after)
    user = [(n, "Z2") for n in before if (n, "Z2") in cm_cells(before)]
    assert user and set(user) <= kept
    if command != "compute":
        assert cm_cells(before) <= kept
    assert set(before) - set(after) <= set()          # nothing lost
    # the book opens on the sheet the command produced (issue 13.4)
    wb = openpyxl.load_workbook(out, keep_vba=True)
    assert wb.active.title == OWNED_SHEETS[command]
    assert [ws.title for ws in wb.worksheets if ws.sheet_view.tabSelected] == [OWNED_SHEETS[command]]
    # parts nobody of ours touches are byte-identical
    untouched = {n for n in before if not n.startswith(("xl/worksheets/", "xl/styles.xml", "xl/workbook.xml",
                                                         "[Content_Types].xml", "xl/_rels/", "xl/drawings",
                                                         "xl/charts"))}
    assert {n for n in untouched if after.get(n) != before[n]} == set()


def test_kept_formulas_carry_this_months_values(excel_saved, tmp_path):
    """validate keeps the live HP_ columns (spilled over the table, cm) and stores what they give
    for the report month in the anchor and every spilled cell (issue 13.2); the Tham số look-ups too."""
    out = run_command("validate", excel_saved, tmp_path)
    results = {r.register.sheet: r for r in compute_book(open_book(excel_saved))}
    pkg = Package.open(out)
    for sheet, res in results.items():
        xml = pkg.text(pkg.sheet(sheet).part)
        col = res.register.columns["benefit"]
        anchor = formula_cells(xml)[(6, col)]
        assert anchor[0].startswith("HP_BENEFIT(") and anchor[1].get("cm") == "1"
        letter = chr(64 + col)
        assert anchor[2]["ref"] == f"{letter}6:{letter}{max(res.register.table['row'])}"
    wb = openpyxl.load_workbook(out, data_only=True)
    for sheet, res in results.items():
        ws = wb[sheet]
        cells = res.cells()
        cols = res.register.columns
        for i, row in enumerate(res.register.table["row"]):
            for name in ("benefit", "insurance", "basis"):
                assert ws.cell(row, cols[name]).value == cells[name][i]
    settings = wb["Tham số"]
    assert settings["G5"].value == 2_000_000 and settings["G9"].value > 0
    # calamine (every command's reader) reads the cached values back
    assert len(open_book(out).registers[0].table) == len(results["Trẻ em NQ55"].register.table)


def test_chained_runs_replace_owned_sheets_without_growth(excel_saved, tmp_path):
    """validate → summary → validate → summary: the owned sheets are replaced in their parts, the
    old chart goes with its sheet, styles do not grow from the second run on."""
    src = excel_saved
    sizes = []
    for k, command in enumerate(["validate", "summary", "validate", "summary"]):
        out = tmp_path / f"{k}-{command}.xlsm"
        main([str(a) for a in COMMANDS[command](src, out)])
        parts = parts_of(out)
        sizes.append(len(parts["xl/styles.xml"]))
        assert len([n for n in parts if n.startswith("xl/charts/chart")]) == 1 if k else True
        assert document_modules(parts["xl/vbaProject.bin"]) == code_names(out)
        src = out
    assert sizes[2] == sizes[3] == sizes[1]
    wb = openpyxl.load_workbook(src)
    assert wb.sheetnames.count("Kiểm tra") == 1 and wb.sheetnames.count("Tổng hợp") == 1


def test_error_cells_are_reported_not_blank(tmp_path):
    """One reading of a book (issue 11.8): `#REF!` as a formula's cached value is a cell error at its
    cell for validate and compute alike; `Tháng báo cáo` given as a formula is read by its value."""
    demo = write_demo_workbook(tmp_path / "d.xlsm", unit="Phường Đồ Sơn", unit_type="Phường", month=MONTH,
                               n55=10, n04=5, seed=3)
    parts = parts_of(demo)
    xml = parts["xl/worksheets/sheet2.xml"].decode()
    xml = re.sub(r'<c r="C7"[^>]*?(?:/>|>.*?</c>)', '<c r="C7" t="e"><f>#REF!+1</f><v>#REF!</v></c>', xml, count=1,
                 flags=re.S)
    parts["xl/worksheets/sheet2.xml"] = xml.encode()
    settings = parts["xl/worksheets/sheet4.xml"].decode()
    settings = re.sub(r'<c r="B7"([^>]*?)(?:/>|>.*?</c>)', r'<c r="B7"\1><f>DATE(2026,11,1)</f><v>46327</v></c>',
                      settings, count=1, flags=re.S)
    parts["xl/worksheets/sheet4.xml"] = settings.encode()
    path = tmp_path / "e.xlsm"
    with zipfile.ZipFile(path, "w") as zf:
        for n, d in parts.items():
            zf.writestr(n, d)
    book = open_book(path)
    assert book.settings.report_month == MONTH
    reg = book.registers[0]
    issue = next(i for i in reg.issues if i.cell == "C7")
    assert "#REF!" in issue.message
    assert reg.table["bad_cell"][reg.table["row"] == 7].item()
    out = tmp_path / "c.xlsm"
    assert main(["compute", str(path), "-o", str(out)]) == 0
    wb = openpyxl.load_workbook(out)
    assert wb["Trẻ em NQ55"]["P7"].value != 0 and isinstance(wb["Trẻ em NQ55"]["P7"].value, str)


def test_restored_live_formulas_carry_values(excel_saved, tmp_path):
    """*Nạp lại hàm* through the file port, after compute froze the values: the column formulas
    come back as dynamic arrays (cm) over the rows, with the month's values cached."""
    from xl_support.book.patch import PatchPort
    from xl_support.operations.live_formulas import restore_live_formulas
    frozen = run_command("compute", excel_saved, tmp_path)
    port = PatchPort(frozen, quiet=True)
    assert restore_live_formulas(port) == 10
    port.save(tmp_path / "restored.xlsm")
    results = {r.register.sheet: r for r in compute_book(open_book(excel_saved))}
    pkg = Package.open(tmp_path / "restored.xlsm")
    wb = openpyxl.load_workbook(tmp_path / "restored.xlsm", data_only=True)
    for sheet, res in results.items():
        cols = res.register.columns
        found = formula_cells(pkg.text(pkg.sheet(sheet).part))
        for name in ("benefit", "basis"):
            text, cell, f = found[(6, cols[name])]
            assert cell.get("cm") and f["t"] == "array" and f["ref"].endswith(str(max(res.register.table["row"])))
            values = [wb[sheet].cell(r, cols[name]).value for r in res.register.table["row"]]
            assert values == res.cells()[name]


def test_big_parts_left_in_the_file_give_the_same_book(excel_saved, tmp_path, monkeypatch):
    """Parts above `BIG_PART` are copied from the source file when saving (here: every part),
    also in place; the result equals the one made with every part in memory."""
    import xl_support.book.xlsx as xlsx
    (tmp_path / "memory").mkdir()
    normal = run_command("compute", excel_saved, tmp_path / "memory")
    monkeypatch.setattr(xlsx, "BIG_PART", 0)
    lazy = run_command("compute", excel_saved, tmp_path)
    assert parts_of(lazy) == parts_of(normal)
    out = tmp_path / "v.xlsm"
    assert main(["validate", str(lazy), "-o", str(out)]) in (0, 1)
    assert parts_of(out)["xl/vbaProject.bin"] == parts_of(excel_saved)["xl/vbaProject.bin"]
