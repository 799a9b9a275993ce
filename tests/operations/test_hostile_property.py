"""Property test (issue 12): random registers and random `Tham số` values never crash compute or
validate, every row gets a value or an explanation, no amount is negative, and a row compute
cannot pay is one validation points at."""
from __future__ import annotations

import datetime as dt

import numpy as np
from hypothesis import HealthCheck, given, settings, strategies as st

from xl_support.book.workbook import load_book
from xl_support.engine.policy import DEFAULT as GROUPS
from xl_support.operations.compute import compute_book, person_rows
from xl_support.operations.validation import validate_book

MONTH = dt.date(2026, 11, 1)
CODES = [g.code for g in GROUPS.groups]
HEADERS = ["STT", "Họ và tên", "Ngày sinh", "Số định danh cá nhân", "Tổ dân phố", "Khu vực", "Mã đối tượng",
           "Trợ cấp xã hội đang hưởng (đồng/tháng)", "Ngày công nhận thoát nghèo/cận nghèo", "Ngày sinh của mẹ",
           "Ngày ký quyết định", "Ngày thôi hưởng", "Loại hộ"]

odd_numbers = st.one_of(st.integers(-10**20, 10**20), st.floats(allow_nan=True, allow_infinity=True),
                        st.sampled_from([0, 1, 1e20, -1.5, 2**63, 45_000.5]))
dates = st.one_of(st.dates(dt.date(1900, 1, 1), dt.date(2100, 12, 31)),
                  st.dates(dt.date(2005, 1, 1), dt.date(2027, 12, 31)).map(lambda d: f"{d:%d/%m/%Y}"),
                  st.sampled_from(["31/02/2026", "１５/０３/２０１５", "2026-13-01", "", "  ", "x" * 50]),
                  odd_numbers)
texts = st.one_of(st.text(max_size=30), st.sampled_from(["Tổng cộng", "Ghi chú", "9" * 5000, "=SUM(A1:A3)",
                                                         "Nguye\u0302\u0303n Văn A"]))
ids = st.one_of(st.from_regex(r"0[0-9]{11}", fullmatch=True),
                st.from_regex(r"0[0-9]{11}", fullmatch=True).map(lambda s: "".join(chr(ord(c) + 0xFEE0) for c in s)),
                st.integers(0, 10**13), texts)
cells = {
    "STT": st.one_of(st.none(), st.integers(1, 999), texts),
    "Họ và tên": st.one_of(st.none(), st.sampled_from(["Nguyễn Văn An", "Trần Thị Bình", "Lê Chi"]), texts),
    "Ngày sinh": st.one_of(st.none(), dates),
    "Số định danh cá nhân": st.one_of(st.none(), ids),
    "Tổ dân phố": st.one_of(st.none(), texts),
    "Khu vực": st.one_of(st.none(), st.sampled_from(["Thành thị", "Nông thôn", "thanh thi", "Biển"])),
    "Mã đối tượng": st.one_of(st.none(), st.sampled_from(CODES), texts),
    "Trợ cấp xã hội đang hưởng (đồng/tháng)": st.one_of(st.none(), odd_numbers, st.sampled_from(["1.050.000", "abc"])),
    "Ngày công nhận thoát nghèo/cận nghèo": st.one_of(st.none(), dates),
    "Ngày sinh của mẹ": st.one_of(st.none(), dates),
    "Ngày ký quyết định": st.one_of(st.none(), dates),
    "Ngày thôi hưởng": st.one_of(st.none(), dates),
    "Loại hộ": st.one_of(st.none(), st.sampled_from(["Nghèo", "Cận nghèo", "Thoát nghèo", "Thoát cận nghèo", "?"])),
}
rows = st.fixed_dictionaries({h: cells[h] for h in HEADERS}).map(lambda d: [d[h] for h in HEADERS])
settings_rows = st.lists(st.tuples(
    st.sampled_from(["Chuẩn nghèo thành thị từ 01/01/2026", "Chuẩn nghèo nông thôn từ 01/01/2027",
                     "Lương cơ sở từ 01/07/2026", "Mức chuẩn trợ giúp xã hội từ 01/07/2024",
                     "Tỷ lệ đóng BHYT (phần nghìn) từ 15/08/2025", "Mức hỗ trợ HN-TE (đồng/tháng)", "BHYT HN-TE",
                     "Tháng báo cáo", "Đơn vị", "Loại đơn vị"]),
    st.one_of(odd_numbers, texts, dates)), max_size=6)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(rows, min_size=1, max_size=12), settings_rows)
def test_random_registers_never_crash_and_validate_agrees_with_compute(register_rows, params):
    grids = {"Sổ": [["DANH SÁCH"], HEADERS, *register_rows], "Tham số": [list(p) for p in params]}
    book = load_book(grids, source="random.xlsx")
    assert len(book.registers) == 1
    results = compute_book(book, MONTH)
    report = validate_book(book, month=MONTH, today=dt.date(2026, 11, 20))
    flagged = {(i.sheet, i.row) for i in report.issues}
    for r in results:
        cells_ = r.cells()
        assert (r.res.benefit >= 0).all() and r.res.benefit.dtype == np.int64
        people = person_rows(r.register)
        for i, row in enumerate(r.register.table["row"].tolist()):
            benefit, basis = cells_["benefit"][i], cells_["basis"][i]
            assert isinstance(basis, str) and basis.strip()                     # always an explanation
            assert (isinstance(benefit, int) and benefit >= 0) or (isinstance(benefit, str) and benefit.strip())
            if isinstance(benefit, str) and people[i]:
                assert ("Sổ", row) in flagged, (row, benefit)                  # validate says why too


def test_the_property_sees_paid_rows_too():
    """The generator reaches real amounts (the property is not only about broken rows)."""
    row = [1, "Nguyễn Văn An", "01/02/2015", "031202001234", "Tổ 1", "Thành thị", "HN-TE", None, None, None,
           "10/02/2026", None, "Nghèo"]
    book = load_book({"Sổ": [HEADERS, row], "Tham số": [["Mức hỗ trợ HN-TE (đồng/tháng)", 500_000]]})
    assert int(compute_book(book, MONTH)[0].res.benefit[0]) == 500_000


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(rows, min_size=1, max_size=12), settings_rows)
def test_a_cell_check_fails_only_on_rows_the_engine_status_flags(register_rows, params):
    """validation runs its checks of a row's cells against its group only where the engine's
    status says one failed (`rules.CELL_CHECK_FAILED`): run unconditionally, they flag no other row."""
    from xl_support.engine.rules import CELL_CHECK_FAILED, eligibility, group_arrays
    from xl_support.operations.validation import _cell_check_issues, _Collector, _Present, _readable, engine_people
    book = load_book({"Sổ": [["DANH SÁCH"], HEADERS, *register_rows], "Tham số": [list(p) for p in params]})
    reg, s = book.registers[0], book.settings
    people = engine_people(reg, book)
    elig = eligibility(people, s.groups, s.params)
    g = group_arrays(s.groups)
    out = _Collector(reg)
    codes = reg.table["group"] if "group" in reg.table else np.full(len(reg.table), None, dtype=object)
    _cell_check_issues(out, reg, s, people, g, people.group < len(g.codes), _Present(reg.table), _readable(reg), codes)
    failed = set(reg.table["row"][CELL_CHECK_FAILED[elig.status]].tolist())
    assert {i.row for i in out.issues} <= failed
