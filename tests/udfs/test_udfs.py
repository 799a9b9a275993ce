"""Worksheet functions through xlwings' COM-server path (`xlwings.udfs.call_udf`), with the values
Excel passes (design.md "How we test what Excel would do"): a date cell → datetime, a typed date
→ float serial, empty/error cells → None, text dates 'dd/mm/yyyy', a column → tuple of 1-tuples.
"""
from __future__ import annotations

import datetime as dt

import pytest

from tests.harness import udf_host
from tests.harness.udf_host import MISSING, XlError, column

import udfs  # noqa: E402  (after the harness: licence key, real decorators)

REGISTER_FUNCS = ("HP_BENEFIT", "HP_TOPUP", "HP_INSURANCE", "HP_END_DATE", "HP_BASIS")
N_ARGS = 13
REG = 11            # register arguments before `thang`, `tham_so` (template_layout.FUNCTION_ARGS)
MORE = (MISSING,) * 3   # chi_tra_tu_thang, thoi_chi_tra_tu_thang, loai_ho


def call(func: str, *args):
    """As the VBA wrapper calls: every argument is passed; omitted optional ones are MISSING."""
    if func in REGISTER_FUNCS:
        args = args + (MISSING,) * (N_ARGS - len(args))
    return udf_host.call("udfs", func, *args)


def row(code, birth, area, decision, allowance=MISSING, recognised=MISSING, stop=MISSING,
        mother=MISSING, month=MISSING, settings=MISSING, pay_from=MISSING, stop_pay_from=MISSING,
        household=MISSING):
    return (code, birth, area, decision, allowance, recognised, stop, mother, pay_from, stop_pay_from, household,
            month, settings)


def serial(day: dt.date) -> float:
    return float((day - dt.date(1899, 12, 30)).days)


def settings_range(*pairs):
    """A `Tham số` range as Excel passes it: label/value rows (a date cell → datetime)."""
    return [[label, value] for label, value in pairs]


# ---------------------------------------------------------------- domain.md worked examples

def test_cn_urban_by_month_as_a_column_of_months():
    months = column([dt.date(2026, 2, 1), "03/2026", serial(dt.date(2027, 1, 15))])
    assert call("HP_BENEFIT", *row("CN", dt.date(2015, 4, 2), "Thành thị", dt.date(2026, 3, 15),
                                   month=months)) == [[0], [2_000_000], [2_800_000]]


def test_cn_btxh_rural_topup():
    args = row("CN-BTXH", "02/04/2015", "Nông thôn", dt.date(2026, 1, 10), allowance=1_050_000)
    for month, amount in (("05/2026", 450_000), ("01/2027", 1_150_000)):
        full = args[:REG] + (month,)
        assert call("HP_BENEFIT", *full) == amount
        assert call("HP_TOPUP", *full) == amount
        assert call("HP_INSURANCE", *full) == "Không"


def test_tn_rural_36_months_and_insurance():
    args = row("TN", dt.date(2016, 2, 1), "Nông thôn", serial(dt.date(2026, 2, 10)),
               recognised="20/12/2025")[:REG]
    months = column(["01/2026", "02/2026", "12/2026", "01/2027", "12/2028", "01/2029"])
    assert call("HP_BENEFIT", *args, months) == [[0], [1_500_000], [1_500_000], [2_200_000], [2_200_000], [0]]
    assert call("HP_TOPUP", *args, "12/2028") == 0
    assert call("HP_INSURANCE", *args, months) == [["Không"], ["Có"], ["Có"], ["Có"], ["Có"], ["Không"]]
    assert call("HP_END_DATE", *args, "02/2026") == dt.datetime(2028, 12, 31)
    basis = call("HP_BASIS", *args, "02/2026")
    assert "nhóm TN" in basis and "36 tháng" in basis and "19/12/2028" in basis and "1.500.000" in basis


def test_knnd_last_month_is_the_16th_birthday_month():
    args = row("KNND", dt.date(2011, 8, 15), None, dt.date(2026, 1, 5))[:REG]
    assert call("HP_BENEFIT", *args, column(["08/2027", "09/2027"])) == [[750_000], [0]]
    assert call("HP_END_DATE", *args, "08/2027") == dt.datetime(2027, 8, 31)
    assert call("HP_INSURANCE", *args, "08/2027") == "Có"


def test_date_forms_give_the_same_result():
    """A date cell, a typed serial and 'dd/mm/yyyy' / 'd/m/yyyy' text are the same date."""
    results = {call("HP_END_DATE", "KNND", birth, "Thành thị", "5/1/2026")
               for birth in (dt.date(2011, 8, 15), serial(dt.date(2011, 8, 15)), "15/08/2011")}
    assert results == {dt.datetime(2027, 8, 31)}


# ---------------------------------------------------------------- column vs single cell

def _sample_columns(n=24):
    from xl_support.build.sample import sample_people
    people = sample_people(n, "NQ55", seed=11)
    people[3]["birth"] = people[3]["birth"].strftime("%d/%m/%Y")      # a text date
    people[5]["allowance"] = None if people[5]["allowance"] is None else f"{people[5]['allowance']:,}".replace(",", ".")
    fields = ("group", "birth", "area", "decision", "allowance", "recognised", "stop", "mother_birth",
              "pay_from", "stop_pay_from", "household_type")
    return [[p.get(f) for p in people] for f in fields]


@pytest.mark.parametrize("func", REGISTER_FUNCS)
def test_column_call_equals_one_call_per_cell(func):
    cols = _sample_columns()
    whole = call(func, *(column(c) for c in cols), "11/2026")
    singles = [[call(func, *(c[i] for c in cols), "11/2026")] for i in range(len(cols[0]))]
    assert whole == singles
    assert len(whole) == 24 and all(v != "" for [v] in whole)


def test_single_cells_broadcast_against_columns():
    """`=HP_BENEFIT(H5:H7, C5:C7, "Thành thị", …)`: one cell repeats down the column."""
    codes = column(["CN", "KNND", "CN"])
    births = column([dt.date(2015, 1, 1), dt.date(2012, 1, 1), dt.date(2014, 1, 1)])
    assert call("HP_BENEFIT", codes, births, "Thành thị", dt.date(2026, 1, 5), MISSING, MISSING, MISSING,
                MISSING, *MORE, "06/2026") == [[2_000_000], [750_000], [2_000_000]]


def test_output_types():
    args = row("TN", dt.date(2016, 2, 1), "Nông thôn", dt.date(2026, 2, 10), recognised="20/12/2025")[:REG]
    raw = udf_host.call_raw("udfs", "HP_BENEFIT", *args, "03/2026", MISSING)
    assert raw == [[1_500_000]] and type(raw[0][0]) is int
    end = call("HP_END_DATE", *args, "03/2026")
    assert type(end) is dt.datetime and end == dt.datetime(2028, 12, 31)


# ---------------------------------------------------------------- blank rows, bad input

def test_blank_register_rows_give_empty_cells():
    codes = column(["CN", None, None, ""])
    births = column([dt.date(2015, 1, 1), None, None, None])
    areas = column(["Thành thị", "Thành thị", None, None])     # an area alone is still a blank row
    decisions = column([dt.date(2026, 1, 5), None, dt.date(2026, 1, 5), None])
    for func in REGISTER_FUNCS:
        out = call(func, codes, births, areas, decisions, MISSING, MISSING, MISSING, MISSING, *MORE, "03/2026")
        assert [v for [v] in out[1:]] == ["", "", ""], func
        assert out[0][0] != ""


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("CN", "31/02/2015", "Thành thị", dt.date(2026, 1, 5)), "Lỗi: ngày sinh không hợp lệ (cần dd/mm/yyyy)"),
        (("CN", "2015", "Thành thị", dt.date(2026, 1, 5)), "Lỗi: ngày sinh không hợp lệ (cần dd/mm/yyyy)"),
        (("CN", 42000.5, "Thành thị", dt.date(2026, 1, 5)), "Lỗi: ngày sinh không hợp lệ (cần dd/mm/yyyy)"),
        (("CN", dt.date(2015, 1, 1), "Thành phố", dt.date(2026, 1, 5)),
         "Lỗi: khu vực không hợp lệ (Thành thị/Nông thôn)"),
        (("CN-BTXH", dt.date(2015, 1, 1), "Thành thị", dt.date(2026, 1, 5), "một triệu"),
         "Lỗi: trợ cấp xã hội đang hưởng không hợp lệ (cần số đồng nguyên, không âm)"),
        (("CN", dt.date(2015, 1, 1), "Thành thị", "hôm qua"), "Lỗi: ngày ký quyết định không hợp lệ (cần dd/mm/yyyy)"),
        (("XX", dt.date(2015, 1, 1), "Thành thị", dt.date(2026, 1, 5)), "Lỗi: mã đối tượng không hợp lệ"),
        (("CN", XlError("#N/A"), "Thành thị", dt.date(2026, 1, 5)), "Lỗi: thiếu ngày sinh"),
        (("CN-BTXH", dt.date(2015, 1, 1), "Thành thị", dt.date(2026, 1, 5)), "Lỗi: thiếu trợ cấp xã hội đang hưởng"),
        (("CN", dt.date(2015, 1, 1), None, dt.date(2026, 1, 5)), "Lỗi: thiếu khu vực (Thành thị/Nông thôn)"),
        (("TN", dt.date(2015, 1, 1), "Thành thị", dt.date(2026, 1, 5)),
         "Lỗi: thiếu ngày công nhận thoát nghèo/cận nghèo"),
    ],
)
def test_bad_input_gives_a_short_vietnamese_message(args, message):
    for func in ("HP_BENEFIT", "HP_TOPUP", "HP_INSURANCE", "HP_END_DATE"):
        assert call(func, *row(*args)[:REG], "03/2026") == message, func


def test_a_pending_row_is_not_an_error():
    """No decision date yet (R2): nothing payable, as `compute` writes it; the basis says why."""
    args = row("CN", dt.date(2015, 1, 1), "Thành thị", None)[:REG]
    assert [call(f, *args, "03/2026") for f in REGISTER_FUNCS[:4]] == [0, 0, "Không", dt.datetime(2030, 12, 31)]
    assert "Chưa có ngày ký quyết định hỗ trợ: chưa chi trả" in call("HP_BASIS", *args, "03/2026")


def test_the_basis_explains_a_bad_cell():
    basis = call("HP_BASIS", "CN", "31/02/2015", "Thành thị", dt.date(2026, 1, 5))
    assert basis.startswith("NQ 55/2025/NQ-HĐND – nhóm CN")
    assert basis.endswith("Lỗi: ngày sinh không hợp lệ (cần dd/mm/yyyy)")


def test_a_bad_row_does_not_spoil_the_column():
    out = call("HP_BENEFIT", column(["CN", "CN", "CN"]), column([dt.date(2015, 1, 1), "x", dt.date(2014, 1, 1)]),
               "Thành thị", dt.date(2026, 1, 5), MISSING, MISSING, MISSING, MISSING, *MORE, "06/2026")
    assert out == [[2_000_000], ["Lỗi: ngày sinh không hợp lệ (cần dd/mm/yyyy)"], [2_000_000]]


def test_bad_month_and_bad_shapes():
    assert call("HP_BENEFIT", *row("CN", dt.date(2015, 1, 1), "Thành thị", dt.date(2026, 1, 5))[:REG],
                "13/2026") == "Lỗi: tháng không hợp lệ (cần mm/yyyy hoặc một ngày)"
    uneven = call("HP_BENEFIT", column(["CN", "CN", "CN"]), column([dt.date(2015, 1, 1)] * 2), "Thành thị",
                  dt.date(2026, 1, 5))
    assert uneven == [["Lỗi: các cột phải có cùng số dòng"]] * 3
    block = call("HP_BENEFIT", [["CN", "CN"], ["CN", "CN"]], dt.date(2015, 1, 1), "Thành thị", dt.date(2026, 1, 5))
    assert block == [["Lỗi: đối số ma_doi_tuong phải là một cột"]] * 2


def test_an_unexpected_failure_is_a_message_not_a_traceback(monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("hỏng")

    monkeypatch.setattr(udfs, "eligibility", broken)
    udfs._PREPARED.clear()
    out = call("HP_BENEFIT", column(["CN", "KNND"]), column([dt.date(2015, 1, 1)] * 2), "Thành thị",
               dt.date(2026, 1, 5))
    assert out == [["Lỗi: không tính được (RuntimeError: hỏng)"]] * 2


def test_a_parameter_missing_for_the_month_is_a_message():
    assert call("HP_POVERTY_LINE", "Thành thị", "01/2031") == \
        "Lỗi: chưa có giá trị «Chuẩn nghèo thành thị» áp dụng cho tháng 01/2031"


# ---------------------------------------------------------------- NQ 04 unconfirmed groups, Tham số

def test_unconfirmed_group_says_so_until_the_ward_enters_the_amount():
    args = row("HN-TE", dt.date(2015, 5, 5), "Thành thị", dt.date(2026, 2, 1), household="Cận nghèo")[:REG]
    message = "Chưa có mức: nhập mức hỗ trợ nhóm HN-TE theo Nghị quyết tại sheet Tham số"
    assert call("HP_BENEFIT", *args, "03/2026") == message
    assert call("HP_INSURANCE", *args, "03/2026") == message
    assert message in call("HP_BASIS", *args, "03/2026")
    settings = settings_range(("Đơn vị", "Phường Đồ Sơn"), ("Mức hỗ trợ HN-TE (đồng/tháng)", 600_000),
                              ("BHYT HN-TE", "Có"))
    assert call("HP_BENEFIT", *args, "03/2026", settings) == 600_000
    assert call("HP_INSURANCE", *args, "03/2026", settings) == "Có"


def test_parameter_override_from_tham_so():
    settings = settings_range(("Đơn vị", "Phường Đồ Sơn"), ("Loại đơn vị", "Phường"),
                              ("Chuẩn nghèo thành thị từ 01/07/2026", "2.100.000"))
    args = row("CN", dt.date(2015, 1, 1), "Thành thị", dt.date(2026, 1, 5))[:REG]
    assert call("HP_BENEFIT", *args, column(["06/2026", "07/2026"]), settings) == [[2_000_000], [2_100_000]]
    assert call("HP_POVERTY_LINE", "Thành thị", "08/2026", settings) == 2_100_000
    assert "giá trị nhập tại sheet Tham số" in call("HP_BASIS", *args, "08/2026", settings)


def test_default_month_and_area_from_tham_so():
    settings = settings_range(("Đơn vị", "Xã An Hưng"), ("Loại đơn vị", "Xã"), ("Tháng báo cáo", "01/2027"))
    # No month, no area: January 2027 (report month), rural (a xã).
    assert call("HP_BENEFIT", "CN", dt.date(2015, 1, 1), None, dt.date(2026, 1, 5), MISSING, MISSING, MISSING,
                MISSING, *MORE, MISSING, settings) == 2_200_000
    as_date = settings_range(("Tháng báo cáo", dt.date(2026, 6, 30)), ("Loại đơn vị", "Phường"))
    assert call("HP_BENEFIT", "CN", dt.date(2015, 1, 1), None, dt.date(2026, 1, 5), MISSING, MISSING, MISSING,
                MISSING, *MORE, None, as_date) == 2_000_000
    assert call("HP_POVERTY_LINE", MISSING, MISSING, settings) == 2_200_000


def test_a_bad_tham_so_value_is_reported_not_ignored():
    settings = settings_range(("Chuẩn nghèo thành thị từ 01/07/2026", "hai triệu"))
    out = call("HP_BENEFIT", "CN", dt.date(2015, 1, 1), "Thành thị", dt.date(2026, 1, 5), MISSING, MISSING,
               MISSING, MISSING, *MORE, "08/2026", settings)
    assert out.startswith("Lỗi: sheet Tham số – Chuẩn nghèo thành thị từ 01/07/2026: số tiền không hợp lệ")


# ---------------------------------------------------------------- parameter look-ups

def test_parameter_lookups():
    assert call("HP_POVERTY_LINE", column(["Thành thị", "Nông thôn", None, "nong thon"]), "12/2026") == \
        [[2_000_000], [1_500_000], [""], [1_500_000]]
    assert call("HP_POVERTY_LINE", "Thành thị", column(["12/2026", dt.date(2027, 1, 1)])) == [[2_000_000], [2_800_000]]
    assert call("HP_POVERTY_LINE", MISSING, "12/2026") == "Lỗi: thiếu khu vực (Thành thị/Nông thôn)"
    assert call("HP_POVERTY_LINE", "Thành phố", "12/2026") == "Lỗi: khu vực không hợp lệ (Thành thị/Nông thôn)"
    assert call("HP_STANDARD", "03/2026") == 500_000
    assert call("HP_CITY_STANDARD", serial(dt.date(2026, 3, 1))) == 700_000
    assert call("HP_BASE_SALARY", column(["06/2026", "07/2026"])) == [[2_340_000], [2_530_000]]
    assert call("HP_INSURANCE_COST", column(["06/2026", "07/2026"])) == [[105_300], [113_850]]
    override = settings_range(("Lương cơ sở từ 01/01/2027", 2_800_000))
    assert call("HP_INSURANCE_COST", "01/2027", override) == 126_000
    assert type(udf_host.call_raw("udfs", "HP_STANDARD", MISSING, MISSING)[0][0]) is int


def test_default_month_is_the_current_month():
    today = dt.date.today()
    assert call("HP_BASE_SALARY") == call("HP_BASE_SALARY", f"{today:%m/%Y}")


# ---------------------------------------------------------------- function wizard, VBA wrapper

def test_wizard_descriptions_and_wrapper():
    specs = {s["name"]: s for s in udf_host.udf_specs("udfs")}
    assert set(specs) == set(udfs.__all__)
    for spec in specs.values():
        assert spec["category"] == "Hải Phòng – hỗ trợ xã hội"
        assert "\n" not in spec["description"] and 20 < len(spec["description"]) < 120
        assert all(d and not d.startswith("Positional") for d in spec["arg_descriptions"])
    assert specs["HP_BENEFIT"]["arg_names"] == [
        "ma_doi_tuong", "ngay_sinh", "khu_vuc", "ngay_quyet_dinh", "tro_cap", "ngay_cong_nhan",
        "ngay_thoi_huong", "ngay_sinh_me", "chi_tra_tu_thang", "thoi_chi_tra_tu_thang", "loai_ho", "thang",
        "tham_so"]
    assert specs["HP_POVERTY_LINE"]["arg_names"] == ["khu_vuc", "thang", "tham_so"]
    vba = udf_host.generate_vba("udfs")
    assert ("Function HP_BENEFIT(ma_doi_tuong, ngay_sinh, khu_vuc, ngay_quyet_dinh, Optional tro_cap, "
            "Optional ngay_cong_nhan, Optional ngay_thoi_huong, Optional ngay_sinh_me, Optional chi_tra_tu_thang, "
            "Optional thoi_chi_tra_tu_thang, Optional loai_ho, Optional thang, "
            "Optional tham_so)") in vba
    assert "R11" in udfs.HP_BENEFIT.__doc__


@pytest.mark.parametrize("func", REGISTER_FUNCS)
def test_results_are_plain_excel_values(func):
    """What goes back to COM: int, str or datetime only (no None: an empty UDF result shows 0;
    no numpy scalars). Most functions return `raw` (no per-cell cleaning by xlwings)."""
    cols = _sample_columns()
    cols = [c + [None] for c in cols]                      # and a blank row
    raw = udf_host.call_raw("udfs", func, *(column(c) for c in cols), "11/2026", MISSING)
    kinds = {type(v) for [v] in raw}
    allowed = {"HP_END_DATE": {dt.datetime, str}, "HP_INSURANCE": {str}, "HP_BASIS": {str}}.get(func, {int, str})
    assert kinds <= allowed and raw[-1] == [""]


# ---------------------------------------------------------------- xl_support.excel_args helpers

def test_excel_args_helpers():
    from decimal import Decimal

    from xl_support.book import excel_args as A
    from xl_support.engine.parameters import DEFAULT as PARAMETERS

    assert A.column(((1.0,), (None,), ("x",))) == [1.0, None, "x"]
    assert A.column("CN") == ["CN"] and A.column([["a", "b"]]) == ["a", "b"]
    with pytest.raises(A.ArgError):
        A.column([[1, 2], [3, 4]], "tro_cap")
    assert A.broadcast({"a": [1], "b": [1, 2]}) == (2, {"a": [1, 1], "b": [1, 2]})
    codes, found = A.distinct([1.0, True, 1.0, None, "1"])
    assert codes.tolist() == [0, 1, 0, 2, 3] and found == [1.0, True, None, "1"]
    assert A.clean_cell(-2146826246) is None and A.clean_cell("") is None
    assert A.clean_cell(Decimal("1050000")) == 1_050_000.0
    assert A.insurance_cost(PARAMETERS, dt.date(2026, 7, 1)).value == 113_850
