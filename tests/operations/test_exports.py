"""Exports (issue 6): every export read back with openpyxl and checked against the engine
(`compute_book`), the public list's privacy scan, refusals (data errors, existing file), the
CLI, and LibreOffice rendering every export to PDF."""
from __future__ import annotations

import datetime as dt
import re
import shutil
import subprocess
from pathlib import Path

import numpy as np
import openpyxl
import pytest

from xl_support.__main__ import main as cli_main
from xl_support.book.workbook import open_book
from xl_support.operations.compute import compute_book
from xl_support.operations.exports import KINDS, ExportRefused, export_book
from xl_support.operations.exports.city import CITY_DATA_COLUMNS, DATA_SHEET, read_city_data
from xl_support.engine.schedule import insurance_cost
from xl_support.operations.schedule import book_schedule
from xl_support.operations.exports.insurance import D03_COLUMNS
from xl_support.operations.exports.lists import NEUTRAL_LABEL, mask_id, public_label
from xl_support.book.fileio import OutputExistsError, UserFacingError
from xl_support.engine.policy import DEFAULT as GROUPS
from xl_support.book.register import FIELDS, NQ04, NQ55
from xl_support.build.sample import write_sample_book
from xl_support.documents.vnwords import amount_in_words

NOV = dt.date(2026, 11, 1)
ON = dt.date(2026, 11, 23)
D = dt.date

# Rows added to the sample registers: each exercises one rule of the exports.
EXTRA_55 = [
    # R11: also in the NQ 04 register (HN-BTXH 1,460,000 < CN 2,000,000): paid here only.
    dict(name="Nguyễn Văn Trùng", birth=D(2015, 4, 2), sex="Nam", id="031200000001", residential_group="Tổ dân phố 2",
         area="Thành thị", group="CN", decision=D(2026, 2, 10)),
    # 16th birthday in November 2026: last month paid November; insurance stops in December.
    dict(name="Lê Thị Mười Sáu", birth=D(2010, 11, 5), sex="Nữ", id="031210000016", residential_group="Tổ dân phố 3",
         area="Thành thị", group="KNND", decision=D(2026, 1, 20)),
    # A pupil whose card starts in October 2026 (school sheet of the D03-TS list).
    dict(name="Phạm Học Sinh", birth=D(2015, 5, 1), sex="Nam", id="031215000099", residential_group="Tổ dân phố 4",
         area="Thành thị", group="TN", recognised=D(2025, 6, 1), decision=D(2026, 10, 12),
         school="Trường THCS Đồ Sơn"),
    # Sensitive group, card from March 2026: 4 months at 2,340,000 + 8 at 2,530,000.
    dict(name="Vũ Tháng Ba", birth=D(2014, 3, 3), sex="Nữ", id="031214000033", residential_group="Tổ dân phố 5",
         area="Thành thị", group="DC-NHE", decision=D(2026, 3, 1), note="khuyết tật nhẹ, hồ sơ 2026"),
    # Stop date in October 2026: paid October, stops from November.
    dict(name="Đỗ Chuyển Đi", birth=D(2016, 6, 6), sex="Nam", id="031216000066", residential_group="Tổ dân phố 1",
         area="Thành thị", group="CN", decision=D(2026, 1, 5), stop=D(2026, 10, 15)),
    dict(name="Hồ Bảo Mật", birth=D(2013, 7, 7), sex="Nam", id="031213000077", residential_group="Tổ dân phố 1",
         area="Thành thị", group="HIV", decision=D(2026, 1, 5), note="HIV"),
]
EXTRA_04 = [
    dict(name="Nguyễn Văn Trùng", birth=D(2015, 4, 2), sex="Nam", id="031200000001", residential_group="Tổ dân phố 2",
         area="Thành thị", group="HN-BTXH", allowance=540_000, household_type="Cận nghèo", decision=D(2026, 1, 15)),
    dict(name="Trần Có Mức", birth=D(2018, 8, 8), sex="Nữ", id="031218000088", residential_group="Tổ dân phố 6",
         area="Thành thị", group="HN-TE", household_type="Nghèo", decision=D(2026, 4, 1)),
]


def _append(ws, header_row: int, register: str, people: list[dict]) -> None:
    headers = {ws.cell(row=header_row, column=c).value: c for c in range(1, ws.max_column + 1)}
    for person in people:
        r = ws.max_row + 1
        for f in FIELDS:
            if register in f.registers and f.name in person and f.header in headers:
                cell = ws.cell(row=r, column=headers[f.header], value=person[f.name])
                if isinstance(person[f.name], dt.date):
                    cell.number_format = "dd/mm/yyyy"
                elif f.name == "id":
                    cell.number_format = "@"


def make_book(path: Path, *, extra_55=EXTRA_55, extra_04=EXTRA_04, settings=()) -> Path:
    write_sample_book(path, n55=90, n04=30, seed=7, month=NOV)
    wb = openpyxl.load_workbook(path)
    _append(wb["Trẻ em NQ55"], 3, NQ55, extra_55)
    _append(wb["Hộ nghèo NQ04"], 3, NQ04, extra_04)
    ps = wb["Tham số"]
    for label, value in [("Mức hỗ trợ HN-TE (đồng/tháng)", 600_000), ("BHYT HN-TE", "Có"), *settings]:
        r = ps.max_row + 1
        ps.cell(row=r, column=1, value=label)
        ps.cell(row=r, column=2, value=value)
    wb.save(path)
    return path


@pytest.fixture(scope="module")
def folder(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("exports")


@pytest.fixture(scope="module")
def book_path(folder) -> Path:
    return make_book(folder / "so_do_son.xlsx")


@pytest.fixture(scope="module")
def book(book_path):
    return open_book(book_path)


@pytest.fixture(scope="module")
def exports(book, folder) -> dict:
    """Every kind for November 2026 (the insurance list also for March and October)."""
    out = {kind: export_book(book, kind, NOV, folder / f"{kind}.xlsx", on=ON) for kind in KINDS}
    for month in (D(2026, 3, 1), D(2026, 10, 1), D(2026, 12, 1)):
        out[f"insurance-{month.month}"] = export_book(book, "insurance-list", month,
                                                      folder / f"insurance-{month.month}.xlsx", on=ON)
    return out


def _engine(book, month):
    """(sheet, row) → (benefit, insurance) after R11, from compute_book."""
    out = {}
    for r in compute_book(book, month):
        for row, b, i in zip(r.register.table["row"], r.res.benefit, r.res.insurance):
            out[(r.register.sheet, int(row))] = (int(b), bool(i))
    return out


def _values(ws):
    return [[c.value for c in row] for row in ws.iter_rows()]


def _row_starting(ws, prefix: str) -> list:
    rows = [r for r in _values(ws) if isinstance(r[0], str) and r[0].startswith(prefix)]
    assert rows, f"no row starting with {prefix!r} in {ws.title}"
    return rows[-1]


def _data_rows(ws, first_col_int=True):
    """Table rows: STT (an int) in column A."""
    return [r for r in _values(ws) if isinstance(r[0], int) and not isinstance(r[0], bool)]


# ---------------------------------------------------------------- engine agreement

@pytest.mark.parametrize("month", [D(2026, 1, 1), D(2026, 3, 1), NOV, D(2027, 2, 1)])
def test_schedule_month_equals_compute_book(book, month):
    sched = book_schedule(book, D(2026, 1, 1), D(2027, 3, 1))
    k = sched.at(month)
    engine = _engine(book, month)
    p = sched.people
    got = {(s, int(r)): (int(b), bool(i)) for s, r, b, i in zip(p["sheet"], p["row"], sched.benefit[k],
                                                                   sched.insurance[k])}
    assert got == engine
    assert sched.benefit[k].sum() > 0


def test_insurance_cost_follows_base_salary(book):
    params = book.settings.params
    assert insurance_cost(params, D(2026, 6, 1)) == 105_300     # 2,340,000 × 4.5 %
    assert insurance_cost(params, D(2026, 7, 1)) == 113_850     # 2,530,000 × 4.5 %


# ---------------------------------------------------------------- payment-list

def test_payment_list_totals_match_engine(book, exports):
    result = exports["payment-list"]
    wb = openpyxl.load_workbook(result.path)
    engine = _engine(book, NOV)
    sheets = {r.sheet: r.kind for r in book.registers}
    expected = {kind: sum(b for (s, _), (b, _) in engine.items() if sheets[s] == kind) for kind in (NQ55, NQ04)}
    assert wb.sheetnames == ["Chi trả NQ 55", "Chi trả NQ 04"]
    for name, kind in zip(wb.sheetnames, (NQ55, NQ04)):
        ws = wb[name]
        rows = _data_rows(ws)
        assert [r[0] for r in rows] == list(range(1, len(rows) + 1))
        assert sum(r[4] for r in rows) == expected[kind]
        assert len(rows) == sum(1 for (s, _), (b, _) in engine.items() if sheets[s] == kind and b > 0)
        total = _row_starting(ws, "Tổng cộng")
        assert total[4] == expected[kind]
        words = [v for r in _values(ws) for v in r if isinstance(v, str) and v.startswith("Số tiền bằng chữ")]
        assert words == [f"Số tiền bằng chữ: {amount_in_words(expected[kind])}."]
        subtotals = [r for r in _values(ws) if isinstance(r[0], str) and r[0].startswith("Cộng Tổ dân phố")]
        assert sum(r[4] for r in subtotals) == expected[kind]
        assert ws.cell(row=1, column=1).font.name == "Times New Roman"
        assert int(ws.page_setup.paperSize) == 9 and ws.page_setup.orientation == "landscape"
    assert result.total == sum(expected.values())
    # R11: the person in both registers is paid once, in the NQ 55 register (the higher amount)
    names = [r[1] for name in wb.sheetnames for r in _data_rows(wb[name])]
    assert names.count("Nguyễn Văn Trùng") == 1
    assert "Nguyễn Văn Trùng" in [r[1] for r in _data_rows(wb["Chi trả NQ 55"])]
    assert "Trần Có Mức" in [r[1] for r in _data_rows(wb["Chi trả NQ 04"])]   # amount entered in Tham số
    # every recipient signs the same sheet: the group column never names a sensitive group
    labels = {r[3] for name in wb.sheetnames for r in _data_rows(wb[name])}
    assert not labels & {g.label for g in GROUPS.groups if g.sensitive}
    assert {r[3] for r in _data_rows(wb["Chi trả NQ 55"]) if r[1] == "Hồ Bảo Mật"} == {NEUTRAL_LABEL["NQ55"]}


def test_payment_list_groups_by_residential_group_in_natural_order(exports):
    ws = openpyxl.load_workbook(exports["payment-list"].path)["Chi trả NQ 55"]
    groups = [r[0] for r in _values(ws) if isinstance(r[0], str) and r[0].startswith("Tổ dân phố")]
    numbers = [int(g.split()[-1]) for g in groups]
    assert numbers == sorted(numbers) and len(numbers) == len(set(numbers)) > 3


# ---------------------------------------------------------------- public-list

SENSITIVE = ["hiv", "aids", "xâm hại", "tình dục", "khuyết tật", "chất độc", "da cam", "dioxin"]


def _public_cells(path):
    wb = openpyxl.load_workbook(path)
    for ws in wb.worksheets:
        yield ws.title, None
        for row in ws.iter_rows():
            for c in row:
                yield c.value, c
        yield ws.oddFooter.center.text, None
        yield ws.oddHeader.center.text, None


def privacy_problems(path) -> list[str]:
    """Every cell of the public list: no sensitive label or word, no run of 5+ digits, no full
    date (a date value or dd/mm/yyyy text), no group code of a sensitive group."""
    labels = [g.label.lower() for g in GROUPS.groups if g.sensitive]
    codes = [g.code.lower() for g in GROUPS.groups if g.sensitive]
    problems = []
    for value, cell in _public_cells(path):
        if value is None:
            continue
        if isinstance(value, (dt.date, dt.datetime)):
            problems.append(f"date value {value} in {cell.coordinate}")
            continue
        text = str(value).lower()
        for term in labels + SENSITIVE:
            if term in text:
                problems.append(f"{term!r} in {value!r}")
        for code in codes:
            if re.search(rf"(?<![\w-]){re.escape(code)}(?![\w-])", text):
                problems.append(f"code {code!r} in {value!r}")
        if re.search(r"\d{5,}", text):
            problems.append(f"digits in {value!r}")
        if re.search(r"\b\d{1,2}/\d{1,2}/\d{4}\b", text) and "ngày" not in text:
            problems.append(f"full date in {value!r}")
    return problems


def test_public_list_reveals_nothing(book, exports):
    path = exports["public-list"].path
    assert privacy_problems(path) == []
    wb = openpyxl.load_workbook(path)
    engine = _engine(book, NOV)
    rows = [r for ws in wb.worksheets for r in _data_rows(ws)]
    assert len(rows) == sum(1 for b, _ in engine.values() if b > 0) == exports["public-list"].rows
    for r in rows:
        assert re.fullmatch(r"\*{8}\d{4}", r[3]), r
        assert re.fullmatch(r"\d{2}/\d{4}", r[2]), r
        assert len([v for v in r if v is not None]) == 5
    by_name = {r[1]: r for r in rows}
    assert by_name["Vũ Tháng Ba"][4] == NEUTRAL_LABEL["NQ55"]          # DC-NHE
    assert by_name["Hồ Bảo Mật"][4] == NEUTRAL_LABEL["NQ55"]          # HIV
    assert by_name["Lê Thị Mười Sáu"][4] == NEUTRAL_LABEL["NQ55"]     # KNND shares the wording
    assert by_name["Vũ Tháng Ba"][3] == "********0033"
    # no money anywhere, no notes
    values = [v for ws in wb.worksheets for row in _values(ws) for v in row]
    assert not any(isinstance(v, int) and v >= 10_000 for v in values)
    assert "hồ sơ 2026" not in " ".join(str(v) for v in values)


def test_public_label_never_singles_out_a_sensitive_group():
    for g in GROUPS.groups:
        label = public_label(g, g.register, GROUPS)
        shared = [h for h in GROUPS.groups if not h.sensitive and public_label(h, h.register, GROUPS) == label]
        assert shared, f"{g.code}: «{label}» is used by sensitive groups only"
    assert mask_id("031214000033") == "********0033" and mask_id(None) == ""


def test_public_list_on_hostile_rows(folder):
    """Rows a clerk might type: an ID in the name, a long number in the residential group."""
    extra = [dict(name="Ngô Văn Số 031299998888", birth=D(2015, 1, 1), sex="Nam", id="0312 9999 8888",
                  residential_group="Tổ 123456", area="Thành thị", group="XHTD", decision=D(2026, 2, 2)),
             dict(name="Đinh Thị Tư", birth=D(2012, 2, 2), sex="Nữ", id=31299997777, residential_group="Tổ dân phố 9",
                  area="Thành thị", group="SRXHTD", decision=D(2026, 2, 2), mother_birth=D(2010, 1, 1))]
    path = make_book(folder / "hostile.xlsx", extra_55=EXTRA_55 + extra, extra_04=[])
    result = export_book(open_book(path), "public-list", NOV, folder / "hostile-public.xlsx", on=ON)
    assert privacy_problems(result.path) == []
    text = " ".join(str(v) for ws in openpyxl.load_workbook(result.path).worksheets for r in _values(ws) for v in r)
    assert "Ngô Văn Số ************" in text and "Tổ ******" in text
    assert "********7777" in text          # an ID typed as a number keeps its digits


def test_public_list_refuses_a_sensitive_word_in_a_name(folder):
    extra = [dict(name="Mai Văn Nam (HIV)", birth=D(2015, 1, 1), sex="Nam", id="031288887777",
                  residential_group="Tổ dân phố 1", area="Thành thị", group="CN", decision=D(2026, 2, 2))]
    path = make_book(folder / "word.xlsx", extra_55=extra, extra_04=[])
    out = folder / "word-public.xlsx"
    with pytest.raises(UserFacingError) as e:
        export_book(open_book(path), "public-list", NOV, out, on=ON)
    assert "nhạy cảm" in e.value.message and "dòng" in e.value.message
    assert not out.exists()


# ---------------------------------------------------------------- insurance-list (D03-TS)

def _d03_rows(ws):
    rows = _values(ws)
    header = next(i for i, r in enumerate(rows) if r[0] == "STT")
    assert rows[header + 1] == [c.number for c in D03_COLUMNS]
    assert rows[header] == [c.header for c in D03_COLUMNS]
    inc, dec, section = [], [], None
    for r in rows[header + 2:]:
        if r[0] in ("I. Tăng", "II. Giảm"):
            section = r[0]
        elif isinstance(r[0], int):
            (inc if section == "I. Tăng" else dec).append(dict(zip([c.field for c in D03_COLUMNS], r)))
    return inc, dec


def test_insurance_list_matches_engine(book, exports):
    for month in (D(2026, 3, 1), D(2026, 10, 1), NOV, D(2026, 12, 1)):
        key = "insurance-list" if month == NOV else f"insurance-{month.month}"
        wb = openpyxl.load_workbook(exports[key].path)
        now = _engine(book, month)
        before = _engine(book, D(month.year, month.month - 1, 1))
        ids = {(s, r): k for reg in book.registers for s, r, k in
               zip([reg.sheet] * len(reg.table), reg.table["row"], reg.table["id_key"])}
        new = {ids[k] for k, (_, ins) in now.items() if ins and not before[k][1]}
        gone = {ids[k] for k, (_, ins) in before.items() if ins and not now[k][1]}
        inc, dec = [], []
        for ws in wb.worksheets:
            a, b = _d03_rows(ws)
            inc += a
            dec += b
        assert new <= {r["id"] for r in inc}, month     # every new card (renewals may add more)
        assert {r["id"] for r in dec} == gone, month
        assert len({r["id"] for r in inc}) == len(inc)  # one card per person
        for r in inc:
            assert r["from_month"] == f"{month:%m/%Y}" and 1 <= r["months"] <= 12
            first = month
            costs = [insurance_cost(book.settings.params, D(first.year + (first.month - 1 + j) // 12,
                                                            (first.month - 1 + j) % 12 + 1, 1))
                     for j in range(r["months"])]
            assert r["amount"] == r["local_support"] == sum(costs)
        total = _row_starting(wb.worksheets[0], "Tổng cộng")
        assert exports[key].total == sum(r["amount"] for r in inc)
        del total


def test_insurance_list_cases(exports):
    march = openpyxl.load_workbook(exports["insurance-3"].path)
    inc, _ = _d03_rows(march["Không đi học"])
    (vu,) = [r for r in inc if r["name"] == "Vũ Tháng Ba"]
    assert vu["id"] == "031214000033"                      # full ID for the insurance office
    assert vu["months"] == 12 and vu["amount"] == 4 * 105_300 + 8 * 113_850
    assert vu["note"] == "Tăng mới" and "khuyết" not in str(vu).lower()
    october = openpyxl.load_workbook(exports["insurance-10"].path)
    assert "Trường THCS Đồ Sơn" in october.sheetnames      # one sheet per school
    inc, _ = _d03_rows(october["Trường THCS Đồ Sơn"])
    assert [r["name"] for r in inc if r["name"] == "Phạm Học Sinh"] == ["Phạm Học Sinh"]
    for name in october.sheetnames:
        if name != "Trường THCS Đồ Sơn":
            assert "Phạm Học Sinh" not in [r["name"] for r in _d03_rows(october[name])[0]]
    december = openpyxl.load_workbook(exports["insurance-12"].path)
    _, dec = _d03_rows(december["Không đi học"])
    (le,) = [r for r in dec if r["name"] == "Lê Thị Mười Sáu"]
    assert le["note"].startswith("Hết độ tuổi") and le["amount"] is None
    ws = december["Không đi học"]
    text = " ".join(str(v) for r in _values(ws) for v in r if v)
    assert "2.530.000 đồng" in text and "100 %" in text and "Mẫu số D03-TS" in text


# ---------------------------------------------------------------- city-report

def test_city_report_data_sheet_matches_engine(book, exports):
    result = exports["city-report"]
    data = read_city_data(result.path)
    engine = _engine(book, NOV)
    paid = [b for b, _ in engine.values() if b > 0]
    assert sum(r["so_nguoi"] for r in data) == len(paid)
    assert sum(r["kinh_phi_thang"] for r in data) == sum(paid) == result.total
    cards = sum(1 for _, i in engine.values() if i)
    assert sum(r["so_bhyt"] for r in data) == cards
    assert sum(r["kinh_phi_bhyt_thang"] for r in data) == cards * 113_850
    ytd = ytd_ins = 0
    for m in range(1, 12):
        e = _engine(book, D(2026, m, 1))
        ytd += sum(b for b, _ in e.values())
        ytd_ins += sum(1 for _, i in e.values() if i) * insurance_cost(book.settings.params, D(2026, m, 1))
    assert sum(r["luy_ke_nam_ho_tro"] for r in data) == ytd
    assert sum(r["luy_ke_nam_bhyt"] for r in data) == ytd_ins
    dec = _engine(book, D(2026, 12, 1))
    assert sum(r["can_den_het_nam_ho_tro"] for r in data) == sum(b for b, _ in dec.values())
    oct_ = _engine(book, D(2026, 10, 1))
    q4 = sum(b for b, _ in oct_.values()) + sum(paid)
    assert sum(r["luy_ke_quy_ho_tro"] for r in data) == q4
    # stable shape: every group × both areas, unit and month on every row
    assert {(r["ma_doi_tuong"], r["khu_vuc"]) for r in data} >= {(g.code, a) for g in GROUPS.groups
                                                                 for a in ("Thành thị", "Nông thôn")}
    assert {r["don_vi"] for r in data} == {"Phường Đồ Sơn"} and {r["thang"] for r in data} == {"11/2026"}
    ws = openpyxl.load_workbook(result.path)[DATA_SHEET]
    assert [c.value for c in ws[1]] == [h for _, h in CITY_DATA_COLUMNS]


def test_city_report_stops_and_new(book, exports):
    data = read_city_data(exports["city-report"].path)
    cn = [r for r in data if r["ma_doi_tuong"] == "CN" and r["khu_vuc"] == "Thành thị"]
    assert sum(r["thoi_theo_ngay_thoi_huong"] for r in cn) >= 1          # Đỗ Chuyển Đi (stop 15/10/2026)
    assert sum(r["thoi_huong"] for r in data) == sum(
        r[k] for r in data for k in ("thoi_het_tuoi", "thoi_het_36_thang", "thoi_me_du_18",
                                     "thoi_theo_ngay_thoi_huong", "thoi_het_chinh_sach", "thoi_huong_muc_khac"))
    before, now = _engine(book, D(2026, 10, 1)), _engine(book, NOV)
    assert sum(r["thoi_huong"] for r in data) == sum(1 for k in now if before[k][0] > 0 and now[k][0] == 0)
    dec_path = exports["city-report"].path.with_name("city-12.xlsx")
    dec = read_city_data(export_book(book, "city-report", D(2026, 12, 1), dec_path, on=ON).path)
    knnd = [r for r in dec if r["ma_doi_tuong"] == "KNND"]
    assert sum(r["thoi_het_tuoi"] for r in knnd) >= 1                     # Lê Thị Mười Sáu
    oct_path = exports["city-report"].path.with_name("city-10.xlsx")
    october = read_city_data(export_book(book, "city-report", D(2026, 10, 1), oct_path, on=ON).path)
    decided = sum(1 for reg in book.registers for d in reg.table["decision"]
                  if d is not None and d == d and d.year == 2026 and d.month == 10)
    assert 1 <= sum(r["moi_phe_duyet"] for r in october) <= decided


def test_city_report_printed_totals(book, exports):
    ws = openpyxl.load_workbook(exports["city-report"].path)["Báo cáo"]
    data = read_city_data(exports["city-report"].path)
    totals = [r for r in _values(ws) if r[0] == "Tổng cộng"]
    first = totals[0]                       # table I
    assert first[4] == sum(r["so_nguoi"] for r in data)
    assert first[5] == sum(r["kinh_phi_thang"] for r in data)
    text = " ".join(str(v) for r in _values(ws) for v in r if v)
    assert "ỦY BAN NHÂN DÂN" in text and "PHƯỜNG ĐỒ SƠN" in text and "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM" in text
    assert "Đồ Sơn, ngày 23 tháng 11 năm 2026" in text and "Kính gửi" in text


# ---------------------------------------------------------------- budget

def test_budget_matches_engine(book, exports):
    ws = openpyxl.load_workbook(exports["budget"].path)["Nhu cầu kinh phí"]
    rows = _values(ws)
    header = next(i for i, r in enumerate(rows) if r[0] == "STT")
    top, sub = rows[header], rows[header + 1]
    cols = {}
    for c, (a, b) in enumerate(zip(top, sub)):
        cols[(a, b)] = c
    y2027 = next(c for (a, b), c in cols.items() if a == "Năm 2027")
    h1 = next(c for (a, b), c in cols.items() if b == "Tháng 1–6")
    h2 = next(c for (a, b), c in cols.items() if b == "Tháng 7–12")
    grand = next(c for (a, b), c in cols.items() if a == "Cộng 2026–2030")
    totals = [r for r in rows if r[0] == "Tổng cộng"]
    benefit_total, insurance_total, summary_total = totals
    e2027 = sum(sum(b for b, _ in _engine(book, D(2027, m, 1)).values()) for m in range(1, 13))
    assert benefit_total[y2027] == e2027
    ins_h1 = sum(sum(1 for _, i in _engine(book, D(2026, m, 1)).values() if i) for m in range(1, 7)) * 105_300
    ins_h2 = sum(sum(1 for _, i in _engine(book, D(2026, m, 1)).values() if i) for m in range(7, 13)) * 113_850
    assert insurance_total[h1] == ins_h1 and insurance_total[h2] == ins_h2
    assert summary_total[grand] == benefit_total[grand] + insurance_total[grand] == exports["budget"].total
    # per group: the 2027 need of KNND equals the engine's KNND rows
    knnd = next(r for r in rows if isinstance(r[1], str) and r[1].startswith("KNND –"))
    sheets = {reg.sheet: reg for reg in book.registers}
    codes = {(reg.sheet, int(r)): g for reg in book.registers for r, g in zip(reg.table["row"], reg.table["group"])}
    e_knnd = sum(b for m in range(1, 13) for k, (b, _) in _engine(book, D(2027, m, 1)).items() if codes[k] == "KNND")
    assert knnd[y2027] == e_knnd
    del sheets


# ---------------------------------------------------------------- refusals and the CLI

def test_refuses_when_the_book_has_errors(folder):
    bad = [dict(name="Lỗi Ngày Sinh", birth="31/02/2015", sex="Nam", id="031277776666",
                residential_group="Tổ dân phố 1", area="Thành thị", group="CN", decision=D(2026, 2, 2)),
           dict(name="Lỗi Mã", birth=D(2015, 1, 1), sex="Nam", id="031277775555",
                residential_group="Tổ dân phố 1", area="Thành thị", group="XYZ", decision=D(2026, 2, 2))]
    path = make_book(folder / "errors.xlsx", extra_55=bad, extra_04=[])
    for kind in KINDS:
        out = folder / f"errors-{kind}.xlsx"
        with pytest.raises(ExportRefused) as e:
            export_book(open_book(path), kind, NOV, out, on=ON)
        assert len(e.value.errors) >= 2
        assert f"Sổ còn {len(e.value.errors)} lỗi" in e.value.message
        assert "Kiểm tra dữ liệu" in e.value.message and "validate" in e.value.message
        assert not out.exists()


def test_never_overwrites_without_force(book, folder):
    out = folder / "existing.xlsx"
    out.write_bytes(b"do not touch")
    with pytest.raises(OutputExistsError):
        export_book(book, "payment-list", NOV, out, on=ON)
    assert out.read_bytes() == b"do not touch"
    export_book(book, "payment-list", NOV, out, force=True, on=ON)
    assert openpyxl.load_workbook(out).sheetnames[0] == "Chi trả NQ 55"


def test_cli(book_path, folder, capsys):
    out = folder / "cli-public.xlsx"
    assert cli_main(["export", str(book_path), "--kind", "public-list", "-o", str(out)]) == 0
    assert "11/2026" in capsys.readouterr().err          # month from the book's Tham số sheet
    assert cli_main(["export", str(book_path), "--kind", "public-list", "-o", str(out)]) == 2
    assert "--force" in capsys.readouterr().err
    assert cli_main(["export", str(book_path), "--kind", "budget", "-o", str(book_path)]) == 2
    assert "đè lên sổ đầu vào" in capsys.readouterr().err
    with pytest.raises(SystemExit) as stop:              # an export never replaces its book: no --in-place
        cli_main(["export", str(book_path), "--kind", "budget", "-o", str(book_path), "--in-place"])
    assert stop.value.code == 2
    assert open_book(book_path).registers                # the book is intact
    assert cli_main(["export", str(book_path), "--kind", "insurance-list", "--month", "2026-10",
                     "-o", str(out), "--force"]) == 0
    assert "Trường THCS Đồ Sơn" in openpyxl.load_workbook(out).sheetnames


# ---------------------------------------------------------------- LibreOffice

def test_libreoffice_renders_every_export(exports, folder):
    """LibreOffice opens each export and prints it: the PDF carries the Vietnamese text."""
    soffice, pdftotext = shutil.which("soffice"), shutil.which("pdftotext")
    assert soffice and pdftotext, "LibreOffice and poppler-utils are required (scripts/setup.sh)"
    pdf_dir = folder / "pdf"
    files = [str(exports[k].path) for k in KINDS]
    proc = subprocess.run([soffice, f"-env:UserInstallation={(folder / 'lo').as_uri()}", "--headless",
                           "--convert-to", "pdf", "--outdir", str(pdf_dir), *files],
                          capture_output=True, text=True, timeout=240)
    assert proc.returncode == 0, proc.stderr
    expect = {"city-report": "BÁO CÁO TÌNH HÌNH THỰC HIỆN", "insurance-list": "DANH SÁCH NGƯỜI CHỈ THAM GIA",
              "payment-list": "Số tiền bằng chữ", "public-list": "DANH SÁCH CÔNG KHAI",
              "budget": "NHU CẦU KINH PHÍ", "arrears": "DANH SÁCH TRUY LĨNH, TRUY THU",
              "coming-changes": "DANH SÁCH THAY ĐỔI"}
    for kind in KINDS:
        text = subprocess.run([pdftotext, "-layout", str(pdf_dir / f"{kind}.pdf"), "-"], capture_output=True,
                              text=True).stdout
        assert "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM" in text and expect[kind] in text, kind
        assert "Trang 1/" in text
        assert "###" not in text, f"{kind}: a column too narrow for its number"
    assert np.all([True])
