"""The monthly cycle through the command line (issue 17): close a month, arrears and recoveries
against the ledger `Đã chi trả`, re-export of a closed month, coming changes."""
from __future__ import annotations

import datetime as dt
import shutil

import openpyxl
import pytest

from tests.operations.test_exports import _append, make_book
from xl_support.__main__ import main
from xl_support.book.ledger import KIND_ARREARS, KIND_MONTH, KIND_RECOVERY, LEDGER_SHEET, REPLACED
from xl_support.book.register import FIELD_BY_NAME, NQ55
from xl_support.book.workbook import open_book
from xl_support.operations import changes, cycle

D = dt.date
S55 = "Trẻ em NQ55"
EXTRA = [
    dict(name="Bù Giảm Trợ Cấp", birth=D(2015, 1, 1), sex="Nam", id="031299000001", residential_group="Tổ dân phố 1",
         area="Thành thị", group="CN-BTXH", allowance=1_200_000, decision=D(2026, 2, 1)),
    dict(name="Bù Tăng Trợ Cấp", birth=D(2015, 1, 2), sex="Nữ", id="031299000002", residential_group="Tổ dân phố 1",
         area="Thành thị", group="CN-BTXH", allowance=1_000_000, decision=D(2026, 2, 1)),
    # 6th birthday in December 2026: insurance from December (R10)
    dict(name="Sáu Tuổi Tháng Mười Hai", birth=D(2020, 12, 10), sex="Nữ", id="031299000003",
         residential_group="Tổ dân phố 2", area="Thành thị", group="KNND", decision=D(2026, 3, 1)),
    # stop date in January 2027: last month paid January, stops from February (R6)
    dict(name="Thôi Tháng Một", birth=D(2016, 3, 3), sex="Nam", id="031299000004", residential_group="Tổ dân phố 2",
         area="Thành thị", group="CN", decision=D(2026, 3, 1), stop=D(2027, 1, 20)),
    # R12: moves out, `Thôi chi trả từ tháng` 01/2027 → December 2026 is the last month paid
    dict(name="Chuyển Đi Tháng Một", birth=D(2016, 2, 2), sex="Nữ", id="031299000006", residential_group="Tổ dân phố 3",
         area="Thành thị", group="CN", decision=D(2026, 3, 1), stop_pay_from="01/2027"),
    # no decision yet: pending
    dict(name="Chờ Quyết Định", birth=D(2017, 4, 4), sex="Nam", id="031299000005", residential_group="Tổ dân phố 3",
         area="Thành thị", group="CN"),
]


def _run(*argv) -> int:
    return main([str(a) for a in argv])


def _rows(ws, first=1):
    return [list(r) for r in ws.iter_rows(min_row=first, values_only=True)]


def _find_row(ws, name):
    for r in range(1, ws.max_row + 1):
        if ws.cell(r, 2).value == name:
            return [ws.cell(r, c).value for c in range(1, ws.max_column + 1)]
    return None


def _set(wb, name, field, value):
    ws = wb[S55]
    headers = {ws.cell(3, c).value: c for c in range(1, ws.max_column + 1)}
    for r in range(4, ws.max_row + 1):
        if ws.cell(r, headers["Họ và tên"]).value == name:
            ws.cell(r, headers[FIELD_BY_NAME[field].header]).value = value
            return
    raise AssertionError(name)


@pytest.fixture(scope="module")
def closed(tmp_path_factory):
    d = tmp_path_factory.mktemp("cycle")
    book = make_book(d / "book.xlsx")
    wb = openpyxl.load_workbook(book)
    _append(wb[S55], 3, NQ55, EXTRA)
    wb.save(book)
    assert _run("close-month", book, "--month", "2026-10", "-o", d / "c10.xlsx") == 0
    assert _run("export", d / "c10.xlsx", "--kind", "payment-list", "--month", "2026-10", "-o", d / "p10.xlsx") == 0
    return d


def test_close_writes_a_hidden_protected_ledger(closed):
    wb = openpyxl.load_workbook(closed / "c10.xlsx")
    ws = wb[LEDGER_SHEET]
    assert ws.sheet_state == "hidden" and ws.protection.sheet and not ws.protection.password
    book = open_book(closed / "c10.xlsx")
    rows = book.ledger.rows
    assert set(rows["paid_in"]) == {D(2026, 10, 1)} and set(rows["kind"]) == {KIND_MONTH}
    sel = rows[rows["name"] == "Bù Giảm Trợ Cấp"]
    giam = {c: sel[c][0] for c in sel}
    assert giam["amount"] == 800_000 and giam["topup"] == 800_000 and giam["allowance"] == 1_200_000
    assert "Chuẩn nghèo" in giam["params"] and giam["version"] and giam["closed_on"] == dt.date.today()
    assert book.ledger.closed_months() == [D(2026, 10, 1)]
    # the ledger is not a register and the input sheets did not change
    assert [r.sheet for r in book.registers] == [r.sheet for r in open_book(closed / "book.xlsx").registers]


def test_closing_again_or_out_of_order_is_refused(closed, capsys):
    assert _run("close-month", closed / "c10.xlsx", "--month", "2026-10", "-o", closed / "x.xlsx") == 2
    assert "đã chốt" in capsys.readouterr().err
    assert _run("close-month", closed / "c10.xlsx", "--month", "2026-12", "-o", closed / "x.xlsx") == 2
    assert "11/2026" in capsys.readouterr().err
    assert not (closed / "x.xlsx").exists()


def test_reopen_keeps_the_old_rows_marked_replaced(closed):
    assert _run("close-month", closed / "c10.xlsx", "--month", "2026-10", "--reopen", "-o", closed / "r10.xlsx") == 0
    ledger = open_book(closed / "r10.xlsx").ledger
    old = ledger.rows[[isinstance(s, str) and s.startswith(REPLACED) for s in ledger.rows["state"]]]
    assert len(old) == len(ledger.active) > 0
    assert ledger.closed_months() == [D(2026, 10, 1)]


@pytest.fixture(scope="module")
def changed(closed):
    """After closing 10/2026: an allowance lowered and one raised, a birth date corrected."""
    wb = openpyxl.load_workbook(closed / "c10.xlsx", keep_vba=False)
    _set(wb, "Bù Giảm Trợ Cấp", "allowance", 1_100_000)      # top-up 800,000 → 900,000
    _set(wb, "Bù Tăng Trợ Cấp", "allowance", 1_300_000)      # top-up 1,000,000 → 700,000
    _set(wb, "Lê Thị Mười Sáu", "birth", D(2010, 9, 5))      # 16 in September: October was not due
    wb.save(closed / "changed.xlsx")
    return closed / "changed.xlsx"


def test_arrears_and_recoveries_per_month_with_reason(changed, closed):
    assert _run("export", changed, "--kind", "arrears", "--month", "2026-11", "-o", closed / "a11.xlsx") == 0
    ws = openpyxl.load_workbook(closed / "a11.xlsx").worksheets[0]
    assert _find_row(ws, "Bù Giảm Trợ Cấp")[4:10] == ["10/2026", 900_000, 800_000, 100_000, None,
                                                     cycle.R_ALLOWANCE]
    assert _find_row(ws, "Bù Tăng Trợ Cấp")[4:10] == ["10/2026", 700_000, 1_000_000, None, 300_000,
                                                     cycle.R_ALLOWANCE]
    assert _find_row(ws, "Lê Thị Mười Sáu")[4:10] == ["10/2026", None, 750_000, None, 750_000, cycle.R_BIRTH]
    # months before the first closed month are "not recorded": no arrears from the corrections there
    assert not any(isinstance(r[4], str) and r[4].endswith("09/2026") for r in _rows(ws))


def test_payroll_pays_arrears_and_never_deducts_recoveries(changed, closed):
    assert _run("export", changed, "--kind", "payment-list", "--month", "2026-11", "-o", closed / "p11.xlsx") == 0
    wb = openpyxl.load_workbook(closed / "p11.xlsx")
    ws = wb["Chi trả NQ 55"]
    assert _find_row(ws, "Bù Giảm Trợ Cấp")[4:7] == [900_000, 100_000, 1_000_000]
    assert _find_row(ws, "Bù Tăng Trợ Cấp")[4:7] == [700_000, None, 700_000]
    assert _find_row(ws, "Lê Thị Mười Sáu") is None          # not due in November, nothing deducted
    assert "Truy lĩnh, truy thu" in wb.sheetnames


def test_closing_november_records_the_arrears_paid(changed, closed):
    assert _run("close-month", changed, "--month", "2026-11", "-o", closed / "c11.xlsx") == 0
    book = open_book(closed / "c11.xlsx")
    rows = book.ledger.rows
    nov = rows[rows["paid_in"] == D(2026, 11, 1)]
    arrears = nov[nov["kind"] == KIND_ARREARS]
    assert arrears.records("name", "month", "amount") == [["Bù Giảm Trợ Cấp", D(2026, 10, 1), 100_000]]
    assert sorted(nov[nov["kind"] == KIND_RECOVERY]["amount"]) == [-750_000, -300_000]
    arr, _ = cycle.arrears(book, D(2026, 12, 1))
    assert (arr.lines["diff"] > 0).sum() == 0                   # paid: no arrears again
    assert sorted(arr.lines["diff"]) == [-750_000, -300_000]    # recoveries stay listed until decided


def test_a_later_parameter_edit_does_not_change_a_closed_payroll(closed):
    wb = openpyxl.load_workbook(closed / "c10.xlsx")
    ps = wb["Tham số"]
    r = ps.max_row + 1
    ps.cell(r, 1, "Chuẩn nghèo thành thị từ 01/10/2026")
    ps.cell(r, 2, 2_100_000)
    wb.save(closed / "param.xlsx")
    assert _run("export", closed / "param.xlsx", "--kind", "payment-list", "--month", "2026-10",
                "-o", closed / "p10-again.xlsx") == 0
    a, b = openpyxl.load_workbook(closed / "p10.xlsx"), openpyxl.load_workbook(closed / "p10-again.xlsx")
    assert a.sheetnames == b.sheetnames
    for ws in a.worksheets:
        assert _rows(ws) == _rows(b[ws.title])
    arr, _ = cycle.arrears(open_book(closed / "param.xlsx"), D(2026, 11, 1))
    cn = arr.lines[arr.lines["group"] == "CN"]
    assert len(cn) and set(cn["diff"]) == {100_000} and set(cn["reason"]) == {cycle.R_PARAMS}


def test_coming_changes_list_each_kind_with_its_month(closed):
    assert _run("export", closed / "c10.xlsx", "--kind", "coming-changes", "--month", "2026-11",
                "-o", closed / "cc.xlsx") == 0
    frame, sched = changes.coming_changes(open_book(closed / "c10.xlsx"), D(2026, 11, 1))
    names = sched.people["name"]
    got = {(names[j], k, m) for j, k, m in zip(frame["pos"], frame["kind"], frame["month"])}
    dec, jan = D(2026, 12, 1), D(2027, 1, 1)
    assert ("Lê Thị Mười Sáu", changes.C_STOP, dec) in got and ("Lê Thị Mười Sáu", changes.C_INS_DOWN, dec) in got
    assert ("Sáu Tuổi Tháng Mười Hai", changes.C_INS_UP, dec) in got
    assert ("Bù Giảm Trợ Cấp", changes.C_AMOUNT, jan) in got          # poverty line of 2027
    assert ("Chờ Quyết Định", changes.C_PENDING, None) in got
    assert ("Chuyển Đi Tháng Một", changes.C_STOP, jan) in got
    stop = (frame["kind"] == changes.C_STOP) & (names[frame["pos"].astype(int)] == "Lê Thị Mười Sáu")
    assert "tròn 16 tuổi" in frame["detail"][stop][0]
    pending = (frame["kind"] == changes.C_PENDING) & (names[frame["pos"].astype(int)] == "Chờ Quyết Định")
    assert list(frame["detail"][pending]) == ["chưa có ngày ký quyết định"] and frame["month"][pending][0] is None
    ws = openpyxl.load_workbook(closed / "cc.xlsx").worksheets[0]
    texts = [r[0] for r in _rows(ws) if isinstance(r[0], str)]
    assert any(t.startswith("Tháng 12/2026 — Tăng BHYT") for t in texts)


def test_moved_in_child_paid_from_an_earlier_month(changed, closed):
    """domain.md R12: a child moved in, `Chi trả từ tháng` 09/2026, decision signed 05/11/2026."""
    wb = openpyxl.load_workbook(changed)
    _append(wb[S55], 3, NQ55, [dict(name="Chuyển Đến Tháng Chín", birth=D(2016, 5, 5), sex="Nam", id="031299000009",
                                    residential_group="Tổ dân phố 4", area="Thành thị", group="CN",
                                    decision=D(2026, 11, 5), pay_from="09/2026")])
    wb.save(closed / "moved.xlsx")
    assert _run("export", closed / "moved.xlsx", "--kind", "payment-list", "--month", "2026-11",
                "-o", closed / "p11m.xlsx") == 0
    ws = openpyxl.load_workbook(closed / "p11m.xlsx")["Chi trả NQ 55"]
    assert _find_row(ws, "Chuyển Đến Tháng Chín")[4:7] == [2_000_000, 4_000_000, 6_000_000]
    arr, _ = cycle.arrears(open_book(closed / "moved.xlsx"), D(2026, 11, 1))
    mine = arr.lines[arr.lines["name"] == "Chuyển Đến Tháng Chín"]
    assert mine.records("month", "diff") == [[D(2026, 9, 1), 2_000_000], [D(2026, 10, 1), 2_000_000]]
    assert set(mine["reason"]) == {cycle.R_EARLIER}


def test_city_consolidation_shows_paid_vs_entitled_for_closed_months(changed, closed):
    from xl_support.operations.consolidate import SHEET_CLOSED
    folder = closed / "wards"
    folder.mkdir()
    shutil.copy(changed, folder / "do-son.xlsx")
    status = _run("consolidate", folder, "--month", "2026-11", "-o", closed / "city.xlsx")
    assert status in (0, 3)
    ws = openpyxl.load_workbook(closed / "city.xlsx")[SHEET_CLOSED]
    book = open_book(changed)
    paid = int(book.ledger.paid["amount"].sum())
    entitled = int(cycle.entitlement(book, D(2026, 10, 1)).sched.benefit[-1].sum())
    row = next(r for r in _rows(ws) if r[1] == "10/2026")
    assert row[2:5] == [paid, entitled, entitled - paid] and entitled - paid == 100_000 - 300_000 - 750_000


def test_coming_changes_for_the_other_end_events(closed):
    """36 months after escaping poverty (R5), the mother's 18th birthday (R7), the base salary
    (insurance contribution), the end of the window (R3)."""
    wb = openpyxl.load_workbook(closed / "book.xlsx")
    _append(wb[S55], 3, NQ55, [
        dict(name="Hết Ba Mươi Sáu Tháng", birth=D(2016, 1, 1), sex="Nam", id="031299000011", residential_group="Tổ 1",
             area="Thành thị", group="TN", recognised=D(2025, 1, 5), decision=D(2026, 2, 1)),
        dict(name="Mẹ Đủ Mười Tám", birth=D(2025, 6, 1), sex="Nữ", id="031299000012", residential_group="Tổ 1",
             area="Thành thị", group="SRXHTD", mother_birth=D(2010, 1, 20), decision=D(2026, 2, 1))])
    wb.save(closed / "ends.xlsx")
    book = open_book(closed / "ends.xlsx")

    def events(month):
        frame, sched = changes.coming_changes(book, month)
        names = sched.people["name"]
        return {(names[j], k, m): d for j, k, m, d in zip(frame["pos"], frame["kind"], frame["month"],
                                                                frame["detail"])}
    feb28 = D(2028, 2, 1)
    got = events(D(2027, 12, 1))
    assert "36 tháng" in got[("Hết Ba Mươi Sáu Tháng", changes.C_STOP, feb28)]
    assert ("Hết Ba Mươi Sáu Tháng", changes.C_INS_DOWN, feb28) in got
    assert "mẹ tròn 18 tuổi" in got[("Mẹ Đủ Mười Tám", changes.C_STOP, feb28)]
    got = events(D(2026, 5, 1))
    jul = [d for (n, k, m), d in got.items() if k == changes.C_INS_COST and m == D(2026, 7, 1)]
    assert jul and "2.530.000" in jul[0]
    got = events(D(2030, 11, 1))
    assert any(k == changes.C_STOP and m == D(2031, 1, 1) and "31/12/2030" in d for (n, k, m), d in got.items())


def test_a_person_removed_after_closing_is_listed_from_the_ledger(closed):
    """Issue 17: paid in October, then deleted from the register — the whole amount is a recovery
    (R_GONE), and who it is (sheet, row, birth) comes from the ledger's row."""
    wb = openpyxl.load_workbook(closed / "c10.xlsx")
    ws = wb[S55]
    row = next(r for r in range(4, ws.max_row + 1) if ws.cell(r, 2).value == "Bù Tăng Trợ Cấp")
    ws.delete_rows(row)
    wb.save(closed / "gone.xlsx")
    arr, _ = cycle.arrears(open_book(closed / "gone.xlsx"), D(2026, 11, 1))
    mine = arr.lines[arr.lines["name"] == "Bù Tăng Trợ Cấp"]
    assert mine.records("month", "entitled", "recorded", "diff", "reason", "sheet", "row", "birth") == [
        [D(2026, 10, 1), 0, 1_000_000, -1_000_000, cycle.R_GONE, S55, row, D(2015, 1, 2)]]
    order = arr.lines.records("sheet", "row", "month")
    assert order == sorted(order)                                   # by register sheet, row, month
    assert _run("export", closed / "gone.xlsx", "--kind", "arrears", "--month", "2026-11", "-o", closed / "g.xlsx") == 0
    texts = [r[0] for r in _rows(openpyxl.load_workbook(closed / "g.xlsx").worksheets[0]) if isinstance(r[0], str)]
    assert f"Bù Tăng Trợ Cấp («{S55}» dòng {row})" in texts
