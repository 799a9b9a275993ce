"""*Chốt tháng* and the cycle exports on real xlwings Book objects (remote engine): the same
ledger as the command line, refused when the month is already closed (issue 17)."""
from __future__ import annotations

import datetime as dt

import openpyxl

from tests.harness import remote  # sets the licence key before xlwings is imported
import macros  # noqa: E402
from tests.operations.test_cycle import EXTRA, S55, _append, _set  # noqa: E402
from tests.operations.test_exports import make_book  # noqa: E402
from xl_support.__main__ import main  # noqa: E402
from xl_support.book.ledger import KIND_ARREARS, LEDGER_SHEET, read_ledger  # noqa: E402
from xl_support.book.register import NQ55  # noqa: E402

NOV = dt.date(2026, 11, 1)


def _ledger(wb):
    return read_ledger([list(r) for r in wb[LEDGER_SHEET].iter_rows(values_only=True)])


def _comparable(ledger):
    cols = ["paid_in", "month", "kind", "id", "name", "sheet", "row", "amount", "insurance", "reason"]
    return sorted(tuple(map(str, r)) for r in ledger.rows.records(*cols))


def test_close_month_macro_matches_the_cli_and_refuses_a_second_close(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    book = make_book(tmp_path / "book.xlsx")
    wb = openpyxl.load_workbook(book)
    _append(wb[S55], 3, NQ55, EXTRA)
    wb.save(book)
    assert main(["close-month", str(book), "--month", "2026-10", "-o", str(tmp_path / "c10.xlsx")]) == 0
    wb = openpyxl.load_workbook(tmp_path / "c10.xlsx")
    _set(wb, "Bù Giảm Trợ Cấp", "allowance", 1_100_000)
    wb.save(tmp_path / "changed.xlsx")

    run = remote.run_macro(tmp_path / "changed.xlsx", macros.close_month)   # the report month: 11/2026
    assert run.return_value is not None and run.return_value.month == NOV and not run.alerts
    assert run.workbook[LEDGER_SHEET].sheet_state == "hidden"
    ledger = _ledger(run.workbook)
    assert ledger.closed_months() == [dt.date(2026, 10, 1), NOV]
    arrears = ledger.rows[(ledger.rows["paid_in"] == NOV) & (ledger.rows["kind"] == KIND_ARREARS)]
    assert arrears.records("name", "amount") == [["Bù Giảm Trợ Cấp", 100_000]]
    assert main(["close-month", str(tmp_path / "changed.xlsx"), "--month", "2026-11",
                 "-o", str(tmp_path / "cli.xlsx")]) == 0
    assert _comparable(ledger) == _comparable(_ledger(openpyxl.load_workbook(tmp_path / "cli.xlsx")))
    assert run.counts["setValues"] <= 6 and run.n_actions < 100    # per block and column, not per cell

    run.save(tmp_path / "closed.xlsx")
    again = remote.run_macro(tmp_path / "closed.xlsx", macros.close_month)
    assert again.return_value is None
    assert again.alerts and "đã chốt" in str(again.alerts[0])


def test_cycle_export_macros_write_next_to_the_book(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    book = make_book(tmp_path / "book.xlsx")
    for macro in (macros.export_arrears, macros.export_coming_changes):
        result = remote.run_macro(book, macro).return_value
        assert result is not None and result.path.exists() and result.month == NOV
