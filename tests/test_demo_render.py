"""LibreOffice renders of the template and of every book `demo` writes (issue 13, "Done when").

What LibreOffice 7.4 (Debian's, default profile) does with our books, asserted as it is:

- every formula stored as a plain `<f>` shows its cached value (`Tham số`'s look-ups, titles);
- every formula stored as an array (`<f t="array" ref=…>`: the registers' spilling `HP_` columns,
  which Excel needs as dynamic arrays, `cm="1"`) is recalculated on load whatever its cached
  values (LibreOffice's OOXML import keeps no result for array formulas: sheetdatacontext.cxx
  "set cell formatting, but do not set result as cell value"); without Python the `HP_` functions
  give `#VALUE!` there — in exactly those cells and nowhere else;
- the same books with those arrays stored as plain formulas show every cached value: the values
  the writer stores are complete and right, only LibreOffice's array import hides them.
"""

from __future__ import annotations

import re
import zipfile
from pathlib import Path

import pytest

from xl_support.build.template import DEFAULT_OUT as TEMPLATE

ERRORS = re.compile(r"#VALUE!|#NAME\?|Err:\d+|#REF!|#N/A|#DIV/0!|#NUM!|#NULL!")
ARRAY = re.compile(r'<f t="array" ref="[A-Z]+(\d+)(?::[A-Z]+(\d+))?"')
# The books whose spilled HP_ columns carry cached values (validate -o, summary -o). Not the
# template: its empty first row caches "" (what the functions give for a blank row) and
# LibreOffice keeps no empty cached string (`<v></v>`); not the demo's ward books: their register
# columns are as openpyxl writes them (one-cell spills, no cached value).
PLAIN = ("1-kiem-tra.xlsm", "3-tong-hop.xlsm")
AMOUNT = re.compile(r"\b\d{1,3}(?:,\d{3})+\b")          # 2,000,000 (LibreOffice's en-US grouping)


def array_cells(book: Path) -> int:
    """Cells covered by array formulas (anchor + spilled cells) over the book's worksheets."""
    with zipfile.ZipFile(book) as z:
        return sum(int(m[2] or m[1]) - int(m[1]) + 1
                   for n in z.namelist() if n.startswith("xl/worksheets/sheet")
                   for m in ARRAY.finditer(z.read(n).decode("utf-8")))


def as_plain_formulas(book: Path, out: Path) -> Path:
    """The book with each array formula stored as a plain formula (cached values, `cm` kept)."""
    with zipfile.ZipFile(book) as zin, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            data = zin.read(info.filename)
            if info.filename.startswith("xl/worksheets/sheet"):
                data = re.sub(rb'<f t="array" ref="[^"]*">', b"<f>", data)
            zout.writestr(info, data)
    return out


@pytest.fixture(scope="module")
def pdfs(tmp_path_factory):
    """{book: pdf} for the template, every book `demo` writes, and the plain-formula copies
    (`plain-<name>`) of the validate/summary books — one LibreOffice start for all."""
    from tests.harness.render import render_pdfs
    from xl_support.__main__ import main

    tmp = tmp_path_factory.mktemp("demo_render")
    out = tmp / "demo"
    assert main(["demo", "--out-dir", str(out)]) == 0
    books = [Path(TEMPLATE), *sorted(p for p in out.rglob("*") if p.suffix in (".xlsx", ".xlsm"))]
    assert len(books) >= 1 + 4 + 3 + 5 + 1          # template, 4 ward books, validate/compute/summary, 5 exports, city
    plain = [as_plain_formulas(b, tmp / f"plain-{b.name}") for b in books if b.name in PLAIN]
    return render_pdfs([*books, *plain], tmp / "pdf")


@pytest.fixture(scope="module")
def rendered(pdfs):
    """{book: pdf text}."""
    from tests.harness.render import pdf_text
    return {src: pdf_text(pdf) for src, pdf in pdfs.items()}


def test_libreoffice_shows_errors_only_in_the_spilled_hp_columns(rendered):
    for book, text in rendered.items():
        if book.name.startswith("plain-"):
            continue
        errors = ERRORS.findall(text)
        assert set(errors) <= {"#VALUE!"}, (book.name, sorted(set(errors)))
        # One #VALUE! per cell of an array formula, none elsewhere. (Should a LibreOffice keep
        # cached array results one day, this count drops to 0: then assert no error at all.)
        assert len(errors) == array_cells(book), book.name


def test_books_without_array_formulas_render_without_error_and_show_amounts(rendered):
    books = [b for b in rendered if not b.name.startswith("plain-") and not array_cells(b)]
    assert {b.name for b in books} >= {"2-da-tinh.xlsm", "5-tong-hop-thanh-pho.xlsx", "4-payment-list.xlsx"}
    for book in books:
        assert not ERRORS.search(rendered[book]), book.name
        if book.name != "4-public-list.xlsx":        # the public list shows no money (by design)
            assert AMOUNT.search(rendered[book]), book.name


def test_settings_lookups_show_their_cached_amounts(rendered):
    """`Tham số`'s one-cell look-ups carry cached values in the template and every book written
    from it (ward books included): LibreOffice shows the amounts."""
    books = [b for b in rendered if b.suffix == ".xlsm" and not b.name.startswith("plain-")]
    assert len(books) >= 1 + 4 + 3                  # template, ward books, validate/compute/summary
    for book in books:
        page = next(p for p in rendered[book].split("\f") if "THAM SỐ TÍNH HỖ TRỢ" in p)
        assert re.search(r"Chuẩn nghèo thành thị \(đồng/tháng\)\s+2,000,000", page), book.name
        for label in ("Chuẩn nghèo nông thôn", "Lương cơ sở", "Tiền đóng BHYT một người"):
            assert re.search(re.escape(label) + r" \(đồng/tháng\)\s+" + AMOUNT.pattern, page), (book.name, label)


def test_cached_values_show_once_the_arrays_are_plain_formulas(rendered):
    """The cached values the writer stores for the spilled columns are complete and are the
    engine's: stored as plain formulas LibreOffice shows every one of them, no error."""
    from python_calamine import CalamineWorkbook

    plain = {b.name.removeprefix("plain-"): b for b in rendered if b.name.startswith("plain-")}
    assert set(plain) == set(PLAIN)
    for name, book in plain.items():
        assert not ERRORS.search(rendered[book]), name
    for name in PLAIN:
        grid = CalamineWorkbook.from_path(str(plain[name])).get_sheet_by_name("Trẻ em NQ55").to_python()
        header = grid[4]
        col = next(i for i, h in enumerate(header) if str(h).startswith("Mức hỗ trợ"))
        amounts = {int(row[col]) for row in grid[5:] if isinstance(row[col], (int, float)) and row[col]}
        assert amounts, name
        for amount in amounts:
            assert f"{amount:,}" in rendered[plain[name]], (name, amount)


def test_registers_print_at_a_legible_size(pdfs):
    """A register page of the template and of every book made from it prints its header at ≥ 4
    points (A4 landscape, one page wide): its print area is its columns, so the `Căn cứ` texts
    that overflow to the right of them (a computed book) do not shrink the page (they did to
    under 2 points)."""
    from tests.harness.render import word_heights
    books = [b for b in pdfs if b.suffix == ".xlsm" and not b.name.startswith("plain-")]
    assert any(b.name == "2-da-tinh.xlsm" for b in books)
    for book in books:
        heights = [h for _, h in word_heights(pdfs[book], "STT")]
        assert heights and min(heights) >= 4, (book.name, heights)
