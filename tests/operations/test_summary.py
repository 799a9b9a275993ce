"""The ward summary `Tổng hợp` (issue 5): figures agree with `compute` month by month (R11),
insurance cost uses the base salary of the month, rebuilt from scratch, rendered by LibreOffice."""
from __future__ import annotations

import datetime as dt

import openpyxl

from tests.harness import render
from tests.operations.test_validation import clean_book
from xl_support.__main__ import main
from xl_support.book.workbook import open_book
from xl_support.operations.compute import compute_book
from xl_support.book.ports import OpenpyxlPort
from xl_support.engine.schedule import insurance_cost
from xl_support.operations.summary import SUMMARY_SHEET, summary, summary_sheet


def test_figures_equal_compute_for_every_month(tmp_path):
    book = open_book(clean_book(tmp_path / "c.xlsx", n55=120, n04=40))
    spec, fig = summary_sheet(book, dt.date(2026, 11, 1))
    for month, payroll, cost, paid, insured in fig.monthly:
        results = compute_book(book, month)
        assert payroll == sum(int(r.res.benefit.sum()) for r in results)
        assert paid == sum(int((r.res.benefit > 0).sum()) for r in results)
        assert insured == sum(int(r.res.insurance.sum()) for r in results)
        assert cost == insured * insurance_cost(book.settings.params, month)
    assert fig.year_need == sum(p + c for _, p, c, _, _ in fig.monthly)
    assert (fig.amount, fig.paid) == (fig.monthly[10][1], fig.monthly[10][3])


def test_insurance_cost_follows_the_base_salary_of_the_month():
    from xl_support.engine.parameters import DEFAULT
    assert insurance_cost(DEFAULT, dt.date(2026, 6, 1)) == 105_300      # 4.5 % × 2,340,000
    assert insurance_cost(DEFAULT, dt.date(2026, 7, 1)) == 113_850      # 4.5 % × 2,530,000


def test_duplicate_id_is_paid_once_in_the_summary(tmp_path):
    path = clean_book(tmp_path / "d.xlsx")
    wb = openpyxl.load_workbook(path)
    ws = wb["Trẻ em NQ55"]
    ws["E5"].value = ws["E4"].value                                   # same person twice
    wb.save(path)
    book = open_book(path)
    _, fig = summary_sheet(book, dt.date(2026, 11, 1))
    assert fig.amount == sum(int(r.res.benefit.sum()) for r in compute_book(book, dt.date(2026, 11, 1)))


def test_sheet_is_rebuilt_and_nothing_else_changes(tmp_path):
    path = clean_book(tmp_path / "c.xlsx")
    assert main(["summary", str(path), "--month", "2026-11", "-o", str(tmp_path / "1.xlsx")]) == 0
    port = OpenpyxlPort(tmp_path / "1.xlsx", quiet=True)
    port.wb[SUMMARY_SHEET]["Z99"] = "cũ"
    summary(port, dt.date(2027, 2, 1))
    port.save(tmp_path / "2.xlsx")
    wb = openpyxl.load_workbook(tmp_path / "2.xlsx")
    ws = wb[SUMMARY_SHEET]
    assert wb.sheetnames.count(SUMMARY_SHEET) == 1 and ws["Z99"].value is None
    assert ws["A2"].value == "Đơn vị: Phường Đồ Sơn" and ws["A3"].value.startswith("Tháng 02/2027")
    assert len(ws._charts) == 1
    src = openpyxl.load_workbook(path)
    for name in src.sheetnames:
        assert [[c.value for c in r] for r in src[name].iter_rows()] == \
               [[c.value for c in r] for r in wb[name].iter_rows()]
    assert ws.page_setup.orientation == "landscape" and ws.page_setup.fitToWidth == 1


def test_libreoffice_renders_the_summary(tmp_path):
    path = clean_book(tmp_path / "c.xlsx")
    main(["summary", str(path), "--month", "2026-11", "-o", str(tmp_path / "s.xlsx")])
    wb = openpyxl.load_workbook(tmp_path / "s.xlsx")
    for name in wb.sheetnames[:-1]:
        del wb[name]
    wb.save(tmp_path / "only.xlsx")
    text = render.pdf_text(render.render_pdf(tmp_path / "only.xlsx", tmp_path / "pdf"))
    assert "TỔNG HỢP THỰC HIỆN HỖ TRỢ" in text and "Phường Đồ Sơn" in text
    assert "Nhu cầu kinh phí năm 2026" in text and "Tổ dân phố 1" in text
