"""close-month and prepare write through the package-patching port (issue 18.1): on the decorated
ward workbook of test_patch_preservation every part they do not own stays byte-identical, the
ledger `Đã chi trả` is hidden and protected in the saved XML, prepare's columns carry their
cached values and widths, and LibreOffice opens what they write."""
from __future__ import annotations

import datetime as dt
import re

import openpyxl
import pytest

from tests.book.test_patch_preservation import OURS, ROWS, decorated_book, outside_cells, parts_of
from xl_support.__main__ import main
from xl_support.book.ledger import LEDGER_SHEET
from xl_support.book.register import COMPUTED_FIELDS
from xl_support.book.template_layout import CONF_SHEET
from xl_support.book.workbook import open_book
from xl_support.operations.compute import compute_book

REGISTER_PART = "xl/worksheets/sheet1.xml"
# the preservation rows without their errors (a month is closed only on a clean book)
CLEAN = [row[:7] + [{"MCCN": "CN"}.get(row[7], row[7])] + row[8:13] + [None, None] + row[13:] for row in ROWS]
CLEAN[2][2] = dt.date(2020, 2, 28)


@pytest.fixture(scope="module")
def clean(tmp_path_factory):
    return decorated_book(tmp_path_factory.mktemp("clean"), CLEAN)


def sheet_part(parts: dict, name: str) -> str:
    """The worksheet part of a sheet, from workbook.xml and its relationships."""
    wb, rels = parts["xl/workbook.xml"].decode(), parts["xl/_rels/workbook.xml.rels"].decode()
    rid = re.search(rf'<sheet\b[^>]*name="{re.escape(name)}"[^>]*r:id="([^"]+)"', wb)[1]
    target = re.search(rf'<Relationship\b[^>]*Id="{rid}"[^>]*Target="([^"]+)"', rels)
    target = target or re.search(rf'<Relationship\b[^>]*Target="([^"]+)"[^>]*Id="{rid}"', rels)
    return target[1].lstrip("/") if target[1].startswith("/") else "xl/" + target[1]


def test_close_month_keeps_every_part_it_does_not_own(clean, tmp_path):
    nov, dec = tmp_path / "11.xlsm", tmp_path / "12.xlsm"
    assert main(["close-month", str(clean), "--month", "2026-11", "-o", str(nov)]) == 0
    before, after = parts_of(clean), parts_of(nov)
    assert {n for n in before if before[n] != after[n]} <= set(OURS)        # registers, VBA, drawings… as they were
    ledger = sheet_part(after, LEDGER_SHEET)
    assert set(after) - set(before) == {ledger}
    entry = re.search(rf'<sheet\b[^>]*name="{LEDGER_SHEET}"[^>]*/>', after["xl/workbook.xml"].decode())[0]
    assert 'state="hidden"' in entry                                       # hidden …
    assert b'<sheetProtection sheet="1"' in after[ledger]                  # … protected, no password
    assert b"password" not in after[ledger]
    # the next month: the ledger replaced in its own part, November kept
    assert main(["close-month", str(nov), "--month", "2026-12", "-o", str(dec)]) == 0
    again = parts_of(dec)
    assert sheet_part(again, LEDGER_SHEET) == ledger and set(again) == set(after)
    assert {n for n in after if after[n] != again[n]} <= {*OURS, ledger}
    assert open_book(dec).ledger.closed_months() == [dt.date(2026, 11, 1), dt.date(2026, 12, 1)]
    wb = openpyxl.load_workbook(dec)
    assert wb[LEDGER_SHEET].sheet_state == "hidden" and wb[LEDGER_SHEET].protection.sheet
    assert wb.active.sheet_state == "visible"


def test_prepare_keeps_every_part_it_does_not_own(clean, tmp_path):
    out = tmp_path / "p.xlsm"
    assert main(["prepare", str(clean), "-o", str(out)]) == 0
    before, after = parts_of(clean), parts_of(out)
    assert {n for n in before if before[n] != after[n]} <= {*OURS, REGISTER_PART}
    conf = sheet_part(after, CONF_SHEET)
    assert set(after) - set(before) == {conf}
    assert re.search(rf'<sheet\b[^>]*name="{CONF_SHEET}"[^>]*state="hidden"', after["xl/workbook.xml"].decode())
    # the register: outside its cells only the widths of the new columns (U:Y, after one empty column)
    no_cols = lambda xml: re.sub(r"<cols>.*?</cols>", "", outside_cells(xml))   # noqa: E731
    assert no_cols(after[REGISTER_PART]) == no_cols(before[REGISTER_PART])
    cols = re.search(r"<cols>.*?</cols>", after[REGISTER_PART].decode())[0]
    old = re.search(r'<col min="1" max="21"([^>]*)/>', before[REGISTER_PART].decode())[1]   # A:U, the ward's width
    assert f'<col min="1" max="20"{old}/>' in cols                         # A:T kept, U split off
    for c in range(21, 26):
        assert f'<col min="{c}" max="{c}" width=' in cols
    assert after[REGISTER_PART].count(b' cm="1"') == len(COMPUTED_FIELDS)
    # the formulas carry what they compute (issue 13.2), the ward's cells are unchanged
    wb0, wb1 = openpyxl.load_workbook(clean), openpyxl.load_workbook(out)
    ws0, ws1 = wb0["Trẻ em NQ55"], wb1["Trẻ em NQ55"]
    for row0, row1 in zip(ws0.iter_rows(max_col=19), ws1.iter_rows(max_col=19)):
        assert [c.value for c in row0] == [c.value for c in row1]
    (result,) = compute_book(open_book(out))
    day = lambda v: v.date() if isinstance(v, dt.datetime) else v          # noqa: E731
    assert ws1["U1"].value == COMPUTED_FIELDS[0].header
    assert ws1["U2"].value.ref == "U2:U5"
    assert [day(ws1.cell(r, 21).value) for r in range(3, 6)] == result.cells()["benefit"][1:]
    assert [day(ws1.cell(r, 24).value) for r in range(3, 6)] == result.cells()["end_date"][1:]
    assert ws1["X3"].number_format == "dd/mm/yyyy" and ws1["U3"].number_format == "#,##0"
    assert ws1["X200"].number_format == "dd/mm/yyyy"                       # rows typed later: formatted too
    assert wb1[CONF_SHEET].sheet_state == "hidden"


@pytest.mark.parametrize("command", ["close-month", "prepare"])
def test_libreoffice_opens_what_they_write(clean, command, tmp_path):
    from tests.harness.render import pdf_text, render_pdf
    out = tmp_path / "o.xlsm"
    args = {"close-month": ["close-month", str(clean), "--month", "2026-11", "-o", str(out)],
            "prepare": ["prepare", str(clean), "-o", str(out)]}[command]
    assert main(args) == 0
    text = pdf_text(render_pdf(out, tmp_path / "pdf"))
    assert "Nguyễn Văn An" in text and "Err:" not in text
    again = openpyxl.load_workbook(render_pdf(out, tmp_path / "lo", to="xlsx"))   # as LibreOffice read it
    owned = LEDGER_SHEET if command == "close-month" else CONF_SHEET
    assert again[owned].sheet_state == "hidden"
    if command == "close-month":
        ws = again[LEDGER_SHEET]
        assert ws.protection.sheet
        assert [c.value for c in ws[4]][4] == "Nguyễn Văn An"
