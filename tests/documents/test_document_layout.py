"""Tests for xl_support.documents.layout: build a sample official document, read it back with
openpyxl, and render it with LibreOffice (PDF text and a picture)."""

import datetime as dt
import re
import subprocess
from pathlib import Path

import openpyxl
import pytest

from xl_support.book.fileio import save_workbook_atomic
from xl_support.documents.layout import (
    DATE_FORMAT,
    FONT_NAME,
    MONEY_FORMAT,
    ColumnSpec,
    Section,
    _blocks,
    new_report_workbook,
    place_date_text,
    setup_print,
    write_document_header,
    write_place_date_and_signatures,
    write_table,
    write_title,
)
from xl_support.documents.vnwords import amount_in_words

COLUMNS = [
    ColumnSpec("STT", 5, "center", number_label="A"),
    ColumnSpec("Họ và tên", 26, "text", number_label="B"),
    ColumnSpec("Ngày sinh", 12, "date", number_label="1"),
    ColumnSpec("Số định danh cá nhân", 16, "center", number_label="2"),
    ColumnSpec("Mã đối tượng", 11, "center", number_label="3"),
    ColumnSpec("Mức hỗ trợ (đồng/tháng)", 14, "money", number_label="4"),
    ColumnSpec("Số tháng", 9, "int", number_label="5"),
    ColumnSpec("Thành tiền (đồng)", 15, "money", number_label="6"),
    ColumnSpec("Ghi chú", 20, "text", number_label="7"),
]
WIDTH = len(COLUMNS)


def _row(stt, name, born, code, amount, months, note=""):
    return [stt, name, born, "031216000123", code, amount, months, amount * months, note]


def build_sample(path: Path) -> dict:
    """A payroll-like list with every block; returns the rows the blocks started on."""
    wb = new_report_workbook()
    ws = wb.active
    ws.title = "Danh sách chi trả"
    # widths first: the header and signature blocks measure them
    starts = {}
    for i, c in enumerate(COLUMNS, start=1):
        ws.column_dimensions[openpyxl.utils.get_column_letter(i)].width = c.width
    starts["header"] = 1
    row = write_document_header(
        ws, issuer_upper="UBND phường Đồ Sơn", issuer="Phòng Văn hóa - Xã hội",
        doc_number="   /DS-VHXH", width_cols=WIDTH,
    )
    starts["title"] = row
    row = write_title(
        ws, row, "Danh sách chi trả hỗ trợ hằng tháng",
        ["Theo Nghị quyết số 55/2025/NQ-HĐND của HĐND thành phố Hải Phòng",
         "Tháng 11 năm 2026"], WIDTH,
    )
    starts["table"] = row
    rows = [
        Section("I. Tổ dân phố 1", [
            _row(1, "Nguyễn Văn An", dt.date(2015, 3, 4), "CN", 2_000_000, 1),
            _row(2, "=Trần Thị Bình", dt.date(2012, 11, 20), "KNND", 750_000, 1, "Tên bắt đầu bằng dấu ="),
            _row(3, "Lê Hoàng Phương Thảo Nguyên Anh", dt.date(2018, 1, 9), "TN", 2_000_000, 1,
                 "Hộ thoát nghèo năm 2025, hỗ trợ đến hết 36 tháng"),
        ], subtotal_label="Cộng tổ 1"),
        Section("II. Tổ dân phố 2", [
            _row(4, "Phạm Minh Châu", dt.date(2011, 8, 15), "CN-BTXH", 450_000, 2),
        ], subtotal_label="Cộng tổ 2"),
    ]
    next_row = write_table(ws, row, COLUMNS, rows, total_label="Tổng cộng (4 người)", totals={6: 5})
    total = 2_000_000 + 750_000 + 2_000_000 + 900_000
    ws.cell(row=next_row, column=1, value=f"Số tiền bằng chữ: {amount_in_words(total)}.").font = (
        openpyxl.styles.Font(name=FONT_NAME, size=12, italic=True))
    starts["words"] = next_row
    row = next_row + 1
    starts["signatures"] = row
    write_place_date_and_signatures(
        ws, row, place="Đồ Sơn", on=dt.date(2026, 11, 23),
        signers=[("Người lập biểu", "Nguyễn Thị Hoa"), ("Kế toán", "Vũ Văn Hải"),
                 ("KT. Chủ tịch\nPhó Chủ tịch", "Trần Văn Nam", "(Ký, đóng dấu)")],
        width_cols=WIDTH, signature_space_rows=3,
    )
    setup_print(ws, landscape=True, repeat_rows=f"{starts['table']}:{starts['table'] + 1}")
    save_workbook_atomic(wb, path)
    starts["total"] = total
    return starts


@pytest.fixture(scope="module")
def sample(tmp_path_factory):
    folder = tmp_path_factory.mktemp("layout")
    path = folder / "danh_sach.xlsx"
    starts = build_sample(path)
    return path, starts


def _cells_with(ws, text):
    return [c for row in ws.iter_rows() for c in row if c.value == text]


def test_header_blocks(sample):
    path, starts = sample
    ws = openpyxl.load_workbook(path).active
    merges = {str(m) for m in ws.merged_cells.ranges}
    (national,) = _cells_with(ws, "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM")
    (motto,) = _cells_with(ws, "Độc lập - Tự do - Hạnh phúc")
    (issuer,) = _cells_with(ws, "PHÒNG VĂN HÓA - XÃ HỘI")
    (upper,) = _cells_with(ws, "UBND PHƯỜNG ĐỒ SƠN")
    assert national.font.b and national.font.name == FONT_NAME
    assert motto.font.b and motto.font.u == "single" and motto.font.sz == 13
    assert issuer.font.b and not upper.font.b
    assert issuer.row == motto.row == upper.row + 1 and national.row == upper.row
    assert national.alignment.horizontal == "center"
    assert f"A1:D1" in merges and f"E1:I1" in merges and "E2:I2" in merges
    # short rule under the issuing body, centred in the left block
    rule = ws.cell(row=issuer.row + 1, column=1)
    assert set(rule.value) == {"_"} and 6 <= len(rule.value) <= 20
    assert rule.alignment.horizontal == "center" and f"A{rule.row}:D{rule.row}" in merges
    assert _cells_with(ws, "Số:    /DS-VHXH")


def test_title(sample):
    path, starts = sample
    ws = openpyxl.load_workbook(path).active
    title = ws.cell(row=starts["title"], column=1)
    assert title.value == "DANH SÁCH CHI TRẢ HỖ TRỢ HẰNG THÁNG"
    assert title.font.b and title.font.sz == 14
    assert f"A{starts['title']}:I{starts['title']}" in {str(m) for m in ws.merged_cells.ranges}
    assert ws.cell(row=starts["title"] + 2, column=1).value == "Tháng 11 năm 2026"


def test_table_cells(sample):
    path, starts = sample
    ws = openpyxl.load_workbook(path).active
    top = starts["table"]
    header = [ws.cell(row=top, column=c).value for c in range(1, WIDTH + 1)]
    assert header == [c.header for c in COLUMNS]
    h = ws.cell(row=top, column=2)
    assert h.font.b and h.alignment.wrap_text and h.fill.fgColor.rgb == "FFD9D9D9"
    assert h.border.left.style == "thin" and h.border.bottom.style == "thin"
    numbers = [ws.cell(row=top + 1, column=c).value for c in range(1, WIDTH + 1)]
    assert numbers == ["A", "B", "1", "2", "3", "4", "5", "6", "7"]
    # section heading merged across, then data rows
    assert ws.cell(row=top + 2, column=1).value == "I. Tổ dân phố 1"
    assert ws.cell(row=top + 2, column=1).font.b
    assert f"A{top + 2}:I{top + 2}" in {str(m) for m in ws.merged_cells.ranges}
    first = top + 3
    assert ws.cell(row=first, column=2).value == "Nguyễn Văn An"
    born = ws.cell(row=first, column=3)
    assert born.value == dt.datetime(2015, 3, 4) and born.number_format == DATE_FORMAT
    money = ws.cell(row=first, column=6)
    assert money.value == 2_000_000 and money.number_format == MONEY_FORMAT
    assert money.alignment.horizontal == "right" and money.border.right.style == "thin"
    # the ID number stays text (leading zero kept)
    assert ws.cell(row=first, column=4).value == "031216000123"
    # a name starting with "=" stays text
    name = ws.cell(row=first + 1, column=2)
    assert name.value == "=Trần Thị Bình" and name.data_type == "s"


def test_subtotals_and_total_are_computed_ints(sample):
    path, starts = sample
    ws = openpyxl.load_workbook(path).active
    (sub1,) = _cells_with(ws, "Cộng tổ 1")
    assert ws.cell(row=sub1.row, column=6).value == 4_750_000
    assert ws.cell(row=sub1.row, column=8).value == 4_750_000
    assert ws.cell(row=sub1.row, column=7).value is None  # int column not summed by default
    assert sub1.font.b
    (sub2,) = _cells_with(ws, "Cộng tổ 2")
    assert ws.cell(row=sub2.row, column=8).value == 900_000
    (total,) = _cells_with(ws, "Tổng cộng (4 người)")
    assert ws.cell(row=total.row, column=8).value == starts["total"] == 5_650_000
    assert ws.cell(row=total.row, column=7).value == 5  # an int column added through totals=
    assert f"A{total.row}:E{total.row}" in {str(m) for m in ws.merged_cells.ranges}
    assert ws.cell(row=total.row, column=8).font.b
    assert not any(c.data_type == "f" for row in ws.iter_rows() for c in row)


def test_signatures(sample):
    path, starts = sample
    ws = openpyxl.load_workbook(path).active
    (date_line,) = _cells_with(ws, "Đồ Sơn, ngày 23 tháng 11 năm 2026")
    assert date_line.font.i and date_line.row == starts["signatures"]
    (chair,) = _cells_with(ws, "KT. CHỦ TỊCH\nPHÓ CHỦ TỊCH")
    (maker,) = _cells_with(ws, "NGƯỜI LẬP BIỂU")
    assert chair.font.b and maker.font.b and chair.row == maker.row == date_line.row + 1
    assert chair.column > maker.column
    # the date line is centred over the last signer's block
    merges = {m.min_col: m for m in ws.merged_cells.ranges if m.min_row == date_line.row}
    chair_merge = [m for m in ws.merged_cells.ranges if m.min_row == chair.row and m.min_col == chair.column]
    assert merges[date_line.column].min_col == chair_merge[0].min_col
    notes = _cells_with(ws, "(Ký, ghi rõ họ tên)")
    assert len(notes) == 2 and all(n.font.i for n in notes)
    assert _cells_with(ws, "(Ký, đóng dấu)")
    (name,) = _cells_with(ws, "Trần Văn Nam")
    assert name.font.b and name.row - chair.row >= 5  # room to sign


def test_print_setup(sample):
    path, starts = sample
    ws = openpyxl.load_workbook(path).active
    assert int(ws.page_setup.paperSize) == 9  # A4
    assert ws.page_setup.orientation == "landscape"
    assert ws.sheet_properties.pageSetUpPr.fitToPage
    assert ws.page_setup.fitToWidth == 1 and ws.page_setup.fitToHeight == 0
    assert ws.print_title_rows == f"${starts['table']}:${starts['table'] + 1}"
    assert ws.print_options.horizontalCentered
    assert ws.oddFooter.center.text == "Trang &P/&N"
    assert ws.page_margins.left == pytest.approx(2.0 / 2.54)


def test_libreoffice_renders_the_vietnamese_text(sample, tmp_path):
    path, _ = sample
    subprocess.run(
        ["soffice", "--headless", f"-env:UserInstallation=file://{tmp_path}/lo_profile",
         "--convert-to", "pdf", "--outdir", str(tmp_path), str(path)],
        check=True, capture_output=True, timeout=120,
    )
    pdf = tmp_path / "danh_sach.pdf"
    text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], check=True,
                          capture_output=True, text=True).stdout
    for expected in ["CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", "Độc lập - Tự do - Hạnh phúc",
                     "PHÒNG VĂN HÓA - XÃ HỘI", "DANH SÁCH CHI TRẢ HỖ TRỢ HẰNG THÁNG",
                     "=Trần Thị Bình", "Đồ Sơn, ngày 23 tháng 11 năm 2026", "NGƯỜI LẬP BIỂU",
                     "Năm triệu sáu trăm năm mươi nghìn đồng", "Trang 1/1"]:
        assert expected in text, expected
    # LibreOffice here runs in an en-US locale: "#,##0" shows commas (Excel on a Vietnamese
    # Windows shows dots); the date format is day first.
    assert "5,650,000" in text and "2,000,000" in text
    assert "04/03/2015" in text
    pages = subprocess.run(["pdfinfo", str(pdf)], check=True, capture_output=True, text=True).stdout
    assert re.search(r"Pages:\s+1\n", pages)  # fitted to the width, the sample fits one page
    assert re.search(r"Page size:\s+841\.\d+ x 595\.\d+ pts \(A4\)", pages)  # A4 landscape


# ---------------------------------------------------------------- small pure parts

@pytest.mark.parametrize(
    "on, text",
    [
        (dt.date(2026, 11, 23), "Đồ Sơn, ngày 23 tháng 11 năm 2026"),
        (dt.date(2026, 1, 5), "Đồ Sơn, ngày 05 tháng 01 năm 2026"),
        (dt.date(2026, 2, 10), "Đồ Sơn, ngày 10 tháng 02 năm 2026"),
        (dt.date(2026, 3, 9), "Đồ Sơn, ngày 09 tháng 3 năm 2026"),
    ],
)
def test_place_date_text(on, text):
    assert place_date_text("Đồ Sơn", on) == text


def test_blocks_split_by_width():
    ws = openpyxl.Workbook().active
    for i, w in enumerate([5, 24, 12, 16, 10, 14, 8, 15, 20], start=1):
        ws.column_dimensions[openpyxl.utils.get_column_letter(i)].width = w
    blocks = _blocks(ws, 1, 9, 3)
    assert blocks[0][0] == 1 and blocks[-1][1] == 9 and len(blocks) == 3
    assert all(a[1] + 1 == b[0] for a, b in zip(blocks, blocks[1:]))
    assert _blocks(ws, 1, 3, 3) == [(1, 1), (2, 2), (3, 3)]
    with pytest.raises(ValueError):
        _blocks(ws, 1, 2, 3)


def test_money_column_refuses_floats():
    ws = openpyxl.Workbook().active
    with pytest.raises(TypeError):
        write_table(ws, 1, [ColumnSpec("Số tiền", 12, "money")], [[1.5]])


def test_row_length_is_checked():
    ws = openpyxl.Workbook().active
    with pytest.raises(ValueError):
        write_table(ws, 1, COLUMNS, [[1, "An"]])


def test_unknown_kind_is_refused():
    with pytest.raises(ValueError):
        ColumnSpec("x", 10, "float")


def test_grouped_header_two_levels():
    ws = openpyxl.Workbook().active
    cols = [ColumnSpec("STT", 5, "center"), ColumnSpec("Họ và tên", 20),
            ColumnSpec("Tháng 1", 12, "money", group="Số tiền (đồng)"),
            ColumnSpec("Tháng 2", 12, "money", group="Số tiền (đồng)")]
    nxt = write_table(ws, 3, cols, [[1, "An", 100, 200], [2, "Bình", 300, None]])
    merges = {str(m) for m in ws.merged_cells.ranges}
    assert {"A3:A4", "B3:B4", "C3:D3"} <= merges
    assert ws["C3"].value == "Số tiền (đồng)" and ws["C4"].value == "Tháng 1"
    assert [ws.cell(row=5, column=c).value for c in range(1, 5)] == ["(1)", "(2)", "(3)", "(4)"]
    assert ws["A8"].value == "Tổng cộng" and ws["C8"].value == 400 and ws["D8"].value == 200
    assert "A8:B8" in merges and nxt == 10


def test_document_font_is_the_workbook_default(tmp_path):
    import zipfile

    wb = new_report_workbook()
    wb.active["A1"] = "x"
    wb.active["A2"].font = openpyxl.styles.Font(name=FONT_NAME, size=14, bold=True)
    wb.save(tmp_path / "f.xlsx")
    styles = zipfile.ZipFile(tmp_path / "f.xlsx").read("xl/styles.xml").decode()
    fonts = re.search(r"<fonts[^>]*>(.*?)</fonts>", styles).group(1)
    first_font = re.search(r"<font>(.*?)</font>", fonts).group(1)
    assert 'val="Times New Roman"' in first_font and '<sz val="12"' in first_font
    assert "Calibri" not in styles
    assert re.search(r'<cellStyleXfs count="1"><xf numFmtId="0" fontId="0"', styles)


def test_header_without_superior_body_and_with_place_date():
    ws = new_report_workbook().active
    for c in "ABCDEF":
        ws.column_dimensions[c].width = 14
    nxt = write_document_header(ws, issuer_upper=None, issuer="Ủy ban nhân dân\nphường Đồ Sơn",
                                doc_number=None, width_cols=6,
                                place_date=("Đồ Sơn", dt.date(2026, 2, 3)))
    assert ws["A2"].value == "ỦY BAN NHÂN DÂN\nPHƯỜNG ĐỒ SƠN" and ws["A2"].font.b
    assert ws["A2"].row == ws["D2"].row and ws["D2"].value == "Độc lập - Tự do - Hạnh phúc"
    # two lines of issuer: the row is tall enough for both
    assert ws.row_dimensions[2].height >= 2 * 12
    assert ws["D4"].value == "Đồ Sơn, ngày 03 tháng 02 năm 2026" and ws["D4"].font.i
    assert not any(isinstance(c.value, str) and c.value.startswith("Số:") for r in ws.iter_rows() for c in r)
    assert nxt == 6
    with pytest.raises(ValueError):
        write_document_header(ws, issuer_upper=None, issuer="X", doc_number=None, width_cols=1)


def test_long_text_rows_are_taller_than_short_ones():
    ws = new_report_workbook().active
    cols = [ColumnSpec("STT", 5, "center"), ColumnSpec("Ghi chú", 15)]
    write_table(ws, 1, cols, [[1, "ngắn"], [2, "một ghi chú rất dài cần xuống dòng nhiều lần " * 3]],
                total_label=None)
    short, long_ = ws.row_dimensions[3].height, ws.row_dimensions[4].height
    assert short < 20 and long_ >= 4 * short * 0.9
    assert ws.max_row == 4  # no total row when total_label is None
