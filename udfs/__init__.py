"""Worksheet functions `HP_…` (design.md "Worksheet functions"; issue 3).

Thin: convert what Excel passes (`xl_support.excel_args`), compute a whole column in one engine
call (`register.typed_table` → `rules.people_arrays/eligibility/month_result`, `basis.basis_texts`),
convert back (whole VND ints, `datetime` dates, `Có`/`Không`, Vietnamese messages).

Every argument accepts one cell or a whole column (`ndim=2`); the result is a column of the
same length (one call per column keeps a 5,000-row register fast: xlwings issue #1981). A single
cell in gives a single value out. Blank register rows (no group code and no birth date) give "".
Nothing raises into Excel: an unexpected error becomes `Lỗi: …` in the cell.

Decision (documented for staff in the README): the functions see only their arguments, not the
other rows or sheets, so they do NOT apply the highest-single-benefit rule R11 across rows and
registers; the `compute` command / *Tính lại* button and validation do.

Workbook setting: `UDF Modules = udfs` (sheet `xlwings.conf`); xlwings pinned at 0.37.8.
"""
from __future__ import annotations

import datetime as dt
from collections import OrderedDict
from dataclasses import dataclass

import numpy as np
import xlwings as xw

from xl_support.book import excel_args as A
from xl_support.book import values as V
from xl_support.engine.basis import basis_texts
from xl_support.engine.messages import cell_marker, insurance_cells
from xl_support.engine.parameters import ParameterError
from xl_support.engine.rules import Status, eligibility, month_end, month_result, people_arrays

__all__ = ["HP_BENEFIT", "HP_TOPUP", "HP_INSURANCE", "HP_END_DATE", "HP_BASIS", "HP_POVERTY_LINE",
           "HP_STANDARD", "HP_CITY_STANDARD", "HP_BASE_SALARY", "HP_INSURANCE_COST"]

CATEGORY = "Hải Phòng – hỗ trợ xã hội"

# Register arguments in order → engine field.
REGISTER_ARGS = (
    ("ma_doi_tuong", "group"), ("ngay_sinh", "birth"), ("khu_vuc", "area"), ("ngay_quyet_dinh", "decision"),
    ("tro_cap", "allowance"), ("ngay_cong_nhan", "recognised"), ("ngay_thoi_huong", "stop"),
    ("ngay_sinh_me", "mother_birth"), ("chi_tra_tu_thang", "pay_from"), ("thoi_chi_tra_tu_thang", "stop_pay_from"),
    ("loai_ho", "household_type"),
)
ARG_DOCS = {
    "ma_doi_tuong": "Ô hoặc cột Mã đối tượng (ví dụ CN, TN-BTXH, KNND, HN-BTXH)",
    "ngay_sinh": "Ô hoặc cột Ngày sinh (ngày hoặc dd/mm/yyyy)",
    "khu_vuc": "Ô hoặc cột Khu vực: Thành thị / Nông thôn (bỏ trống: theo Loại đơn vị ở sheet Tham số)",
    "ngay_quyet_dinh": "Ô hoặc cột Ngày ký quyết định hỗ trợ",
    "tro_cap": "Không bắt buộc. Trợ cấp xã hội đang hưởng (đồng/tháng), cho các nhóm bù chênh lệch",
    "ngay_cong_nhan": "Không bắt buộc. Ngày công nhận thoát nghèo/cận nghèo (nhóm TN, HN-…)",
    "ngay_thoi_huong": "Không bắt buộc. Ngày thôi hưởng",
    "ngay_sinh_me": "Không bắt buộc. Ngày sinh của mẹ (nhóm SRXHTD)",
    "chi_tra_tu_thang": "Không bắt buộc. Chi trả từ tháng (mm/yyyy) khi quyết định ghi, ví dụ người chuyển đến",
    "thoi_chi_tra_tu_thang": "Không bắt buộc. Thôi chi trả từ tháng (mm/yyyy): tháng đầu tiên không chi trả",
    "loai_ho": "Sổ NQ 04: Loại hộ (Nghèo / Cận nghèo / Thoát nghèo / Thoát cận nghèo)",
    "thang": "Không bắt buộc. Tháng tính (ngày hoặc mm/yyyy); bỏ trống: Tháng báo cáo ở sheet Tham số",
    "tham_so": "Không bắt buộc. Vùng nhãn – giá trị của sheet Tham số (ví dụ 'Tham số'!A1:B40)",
}
ORDER = tuple(field for _, field in REGISTER_ARGS)
PAID_STATUSES = (Status.OK, Status.PENDING, Status.NEVER_PAYABLE)   # rows compute writes numbers for


def _describe(f):
    """The function wizard shows the docstring's first paragraph only (xlwings would pass the
    whole docstring as the description); applied on top of `xw.func`."""
    info = getattr(f, "__xlfunc__", None)
    if info is not None:
        info["ret"]["doc"] = f.__doc__.strip().split("\n\n")[0].replace("\n", " ")
    return f


RAW_ARGS = frozenset(a for a, _ in REGISTER_ARGS)


def _args(*names: str):
    """`@xw.arg(…, doc=…)` for each argument. Register columns are taken `raw` (COM values as
    Excel passes them: a cell's value or a tuple of row tuples; cleaned once per distinct value
    in `excel_args.typed_columns`, which keeps a 5,000-row column call fast); the month and the
    `Tham số` range go through xlwings' usual cleaning as 2-D lists (`ndim=2`)."""
    def decorate(f):
        for name in reversed(names):
            if name in RAW_ARGS:
                f = xw.arg(name, "raw", doc=ARG_DOCS[name])(f)
            else:
                f = xw.arg(name, ndim=2, doc=ARG_DOCS[name])(f)
        return f
    return decorate


def _rows(value: object) -> int:
    try:
        return len(A.column(value))
    except A.ArgError:
        return len(value) if isinstance(value, (list, tuple)) else 1


def _guard(columns: tuple, compute, *args):
    """Run `compute(*args)`; any failure becomes a Vietnamese message in every row (as many
    rows as the longest of `columns`, the column arguments)."""
    try:
        return compute(*args)
    except A.ArgError as e:
        message = e.message
    except ParameterError as e:
        message = A.error_text(e.message)
    except Exception as e:  # noqa: BLE001 — never a traceback in a cell
        message = f"Lỗi: không tính được ({type(e).__name__}: {e})"[:250]
    n = max([_rows(a) for a in columns] or [1])
    return [[message] for _ in range(n)]


# ---------------------------------------------------------------- the five register columns

@dataclass(frozen=True)
class _Prepared:
    """What does not depend on the output column: typed rows, eligibility, months."""
    n: int
    month_codes: np.ndarray
    month_values: list
    frame: object
    people: object
    elig: object
    blank: np.ndarray
    bad: list
    settings: object        # kept alive so its id() in the cache key stays unique


_PREPARED: OrderedDict = OrderedDict()
_PREPARED_SIZE = 4


def _prepare(values: tuple, thang, settings) -> _Prepared:
    """Typed columns → People → eligibility, once for the five columns of a register: the
    template calls HP_BENEFIT, HP_TOPUP, … with the same ranges, so the last few results are
    kept (keyed by the argument values themselves; unhashable arguments are not cached)."""
    try:
        key = (values, thang if not isinstance(thang, list) else A._freeze(thang), id(settings),
               dt.date.today().replace(day=1))   # the default month without Tham số
        hash(key)
    except TypeError:
        key = None
    hit = _PREPARED.get(key) if key is not None else None
    if hit is not None and hit.settings is settings:
        _PREPARED.move_to_end(key)
        return hit
    raw = {field: A.column(v, arg) for (arg, field), v in zip(REGISTER_ARGS, values)}
    raw["month"] = A.column(thang, "thang")
    n, raw = A.broadcast(raw)
    month_codes, month_cells = A.distinct(raw.pop("month"))
    frame, issues = A.typed_columns(raw, n)
    blank = (np.equal(frame["group"], None) & np.isnat(frame["birth"]) & ~frame["bad_cell"])
    people = people_arrays(frame, settings.groups, settings.default_area)
    elig = eligibility(people, settings.groups, settings.params)
    hit = _Prepared(n, month_codes, A.months(month_cells, settings), frame, people, elig, blank,
                    A.bad_cell_messages(issues, n, ORDER), settings)
    if key is not None:
        _PREPARED[key] = hit
        if len(_PREPARED) > _PREPARED_SIZE:
            _PREPARED.popitem(last=False)
    return hit


def _register_column(output: str, values: tuple, thang, tham_so) -> list[list]:
    """One engine pass over the whole column (or one cell): typed columns → People →
    eligibility → month result(s) → the output column. Rows are never looped over the engine."""
    settings = A.settings_from_range(tham_so)
    prepared = _prepare(values, thang, settings)
    n, month_codes, month_values = prepared.n, prepared.month_codes, prepared.month_values
    people, elig, blank, bad = prepared.people, prepared.elig, prepared.blank, prepared.bad
    groups, params = settings.groups, settings.params
    out = np.full(n, "", dtype=object)
    for k, month in enumerate(month_values):
        rows = (month_codes == k) & ~blank
        if not rows.any():
            continue
        if isinstance(month, str):          # the month cell itself is bad
            out[rows] = month
            continue
        res = month_result(people, elig, month, groups, params)
        if output == "basis":
            out[rows] = np.array(basis_texts(people, elig, res, groups, params, bad), dtype=object)[rows]
        else:
            out[rows] = _output_values(output, elig, res)[rows]
    if output != "basis":
        _markers(out, ~blank & ~np.isin(elig.status, PAID_STATUSES), elig.status)
    return out.reshape(-1, 1).tolist()


def _output_values(output: str, elig, res) -> np.ndarray:
    """The month's column for every row, as Excel values (int, 'Có'/'Không', datetime)."""
    if output == "benefit":
        return np.array(res.benefit.tolist(), dtype=object)
    if output == "topup":
        return np.array(res.topup.tolist(), dtype=object)
    if output == "insurance":
        return np.array(insurance_cells(res.insurance, res.insurance_unconfirmed), dtype=object)
    if output == "end_date":
        ends = np.empty(len(elig.end), dtype=object)
        ends[:] = month_end(elig.end).astype("M8[us]").tolist()     # datetime; NaT → None
        return ends
    raise ValueError(output)


def _markers(out: np.ndarray, rows: np.ndarray, status: np.ndarray) -> None:
    """Rows that cannot be computed: a short marker (`Lỗi` / `—`); HP_BASIS says why (issue 13)."""
    for i in np.flatnonzero(rows).tolist():
        out[i] = cell_marker(int(status[i]))


def _register(output: str, arguments: dict) -> list[list]:
    columns = tuple(arguments[a] for a, _ in REGISTER_ARGS)
    return _guard(columns, _register_column, output, columns, arguments["thang"], arguments["tham_so"])


_REGISTER_DOC = """
    Arguments are register cells or whole register columns (same number of rows; single cells
    repeat). `thang` defaults to `Tháng báo cáo` of `tham_so`, else the current month;
    `tham_so` carries the ward's parameter overrides, unit type (default area) and the amounts
    of unconfirmed NQ 04 groups. Blank rows (no code, no birth date) → "". A row that cannot
    be computed shows a short marker in the value columns, as `compute` writes it: `Lỗi` for a
    data error, `—` when it cannot be computed yet (an unconfirmed NQ 04 group); HP_BASIS gives
    the reason (`Lỗi: ngày sinh không hợp lệ (cần dd/mm/yyyy)`, `Chưa có mức: …`). A row without
    a decision date is pending: 0 / `Không` (HP_BASIS says why).
    Rule R11 (one benefit per person, the highest) is NOT applied: a function sees only its
    own row; the `compute` command / *Tính lại* button and validation apply it.
"""

_REGISTER_ARG_NAMES = tuple(a for a, _ in REGISTER_ARGS) + ("thang", "tham_so")


@_describe
@xw.func(category=CATEGORY)
@xw.ret("raw")  # ints and text: no per-cell cleaning needed
@_args(*_REGISTER_ARG_NAMES)
def HP_BENEFIT(ma_doi_tuong, ngay_sinh, khu_vuc, ngay_quyet_dinh, tro_cap=None, ngay_cong_nhan=None,
               ngay_thoi_huong=None, ngay_sinh_me=None, chi_tra_tu_thang=None,
               thoi_chi_tra_tu_thang=None, loai_ho=None, thang=None, tham_so=None):
    """Mức hỗ trợ hằng tháng (đồng/tháng) theo NQ 55/2025 hoặc NQ 04/2026 cho tháng tính.

    Column `Mức hỗ trợ (đồng/tháng)`: whole VND (0 outside the months paid), or `Lỗi` / `—`.
    """
    return _register("benefit", locals())


@_describe
@xw.func(category=CATEGORY)
@xw.ret("raw")  # ints and text: no per-cell cleaning needed
@_args(*_REGISTER_ARG_NAMES)
def HP_TOPUP(ma_doi_tuong, ngay_sinh, khu_vuc, ngay_quyet_dinh, tro_cap=None, ngay_cong_nhan=None,
             ngay_thoi_huong=None, ngay_sinh_me=None, chi_tra_tu_thang=None,
               thoi_chi_tra_tu_thang=None, loai_ho=None, thang=None, tham_so=None):
    """Phần bù chênh lệch (đồng/tháng) trong mức hỗ trợ, cho nhóm đang hưởng trợ cấp xã hội.

    Column `Trong đó bù chênh lệch (đồng/tháng)`: the part of the benefit that tops up the
    allowance already received (BTXH groups), else 0.
    """
    return _register("topup", locals())


@_describe
@xw.func(category=CATEGORY)
@xw.ret("raw")  # ints and text: no per-cell cleaning needed
@_args(*_REGISTER_ARG_NAMES)
def HP_INSURANCE(ma_doi_tuong, ngay_sinh, khu_vuc, ngay_quyet_dinh, tro_cap=None, ngay_cong_nhan=None,
                 ngay_thoi_huong=None, ngay_sinh_me=None, chi_tra_tu_thang=None,
               thoi_chi_tra_tu_thang=None, loai_ho=None, thang=None, tham_so=None):
    """Có/Không/Chưa xác nhận: ngân sách hỗ trợ đóng BHYT cho người này trong tháng tính.

    Column `Hỗ trợ BHYT` (R10: group with insurance, month payable, 6 years old in the month;
    `Chưa xác nhận` for an NQ 04 group whose insurance the ward has not entered, domain.md §3).
    """
    return _register("insurance", locals())


@_describe
@xw.func(category=CATEGORY)
@_args(*_REGISTER_ARG_NAMES)
def HP_END_DATE(ma_doi_tuong, ngay_sinh, khu_vuc, ngay_quyet_dinh, tro_cap=None, ngay_cong_nhan=None,
                ngay_thoi_huong=None, ngay_sinh_me=None, chi_tra_tu_thang=None,
               thoi_chi_tra_tu_thang=None, loai_ho=None, thang=None, tham_so=None):
    """Ngày cuối cùng được hưởng (ngày cuối của tháng cuối cùng được chi trả).

    Column `Hưởng đến ngày` (R8): a real date; format the cell as a date (dd/mm/yyyy).
    """
    return _register("end_date", locals())


@_describe
@xw.func(category=CATEGORY)
@xw.ret("raw")  # ints and text: no per-cell cleaning needed
@_args(*_REGISTER_ARG_NAMES)
def HP_BASIS(ma_doi_tuong, ngay_sinh, khu_vuc, ngay_quyet_dinh, tro_cap=None, ngay_cong_nhan=None,
             ngay_thoi_huong=None, ngay_sinh_me=None, chi_tra_tu_thang=None,
               thoi_chi_tra_tu_thang=None, loai_ho=None, thang=None, tham_so=None):
    """Căn cứ: nhóm, điều khoản, cách tính mức, tham số áp dụng và lý do ngày hết hưởng.

    Column `Căn cứ` (Vietnamese text).
    """
    return _register("basis", locals())


for _f in (HP_BENEFIT, HP_TOPUP, HP_INSURANCE, HP_END_DATE, HP_BASIS):
    _f.__doc__ += _REGISTER_DOC


# ---------------------------------------------------------------- parameter look-ups

def _by_month(key: str, thang, tham_so) -> list[list]:
    settings = A.settings_from_range(tham_so)
    cells = A.months(A.column(thang, "thang"), settings)
    found: dict = {}
    out = []
    for m in cells:
        if m not in found:
            if isinstance(m, str):
                found[m] = m
            elif key == "insurance_cost":
                found[m] = A.insurance_cost(settings.params, m).value
            else:
                found[m] = settings.params.value(key, m)
        out.append([found[m]])
    return out


def _poverty_line(khu_vuc, thang, tham_so) -> list[list]:
    settings = A.settings_from_range(tham_so)
    omitted = khu_vuc is None
    n, cols = A.broadcast({"area": A.column(khu_vuc, "khu_vuc"), "month": A.column(thang, "thang")})
    months = A.months(cols["month"], settings)
    found: dict = {}
    out = []
    for cell, m in zip(cols["area"], months):
        key = (type(cell), cell, m)
        if key not in found:
            found[key] = _one_poverty_line(cell, m, settings, omitted)
        out.append([found[key]])
    return out


def _one_poverty_line(cell, month, settings, omitted: bool):
    if isinstance(month, str):
        return month
    try:
        area = V.parse_area(cell) or settings.default_area
    except V.CellError:
        return "Lỗi: khu vực không hợp lệ (Thành thị/Nông thôn)"
    if area is None:
        return "Lỗi: thiếu khu vực (Thành thị/Nông thôn)" if omitted else ""
    return settings.params.value("poverty_line", month, area)


def _params_doc(what: str) -> str:
    return f"""
    `thang`: a date, serial or `mm/yyyy` text, or a column of them (then a column out); blank →
    `Tháng báo cáo` of `tham_so`, else the current month. Overrides on the `Tham số` sheet
    (`<label> từ dd/mm/yyyy`) apply. Value: {what}, from xl_support/data/parameters.csv.
    """


@_describe
@xw.func(category=CATEGORY)
@xw.ret("raw")  # ints and text: no per-cell cleaning needed
@_args("khu_vuc", "thang", "tham_so")
def HP_POVERTY_LINE(khu_vuc=None, thang=None, tham_so=None):
    """Chuẩn nghèo (đồng/người/tháng) của khu vực thành thị hoặc nông thôn trong tháng tính.

    `khu_vuc` may be a column; omitted → the default area of the unit type in `tham_so`.
    """
    return _guard((khu_vuc, thang), _poverty_line, khu_vuc, thang, tham_so)


@_describe
@xw.func(category=CATEGORY)
@xw.ret("raw")  # ints and text: no per-cell cleaning needed
@_args("thang", "tham_so")
def HP_STANDARD(thang=None, tham_so=None):
    """Mức chuẩn trợ giúp xã hội do Chính phủ quy định (đồng/tháng) trong tháng tính."""
    return _guard((thang,), _by_month, "national_standard", thang, tham_so)


@_describe
@xw.func(category=CATEGORY)
@xw.ret("raw")  # ints and text: no per-cell cleaning needed
@_args("thang", "tham_so")
def HP_CITY_STANDARD(thang=None, tham_so=None):
    """Mức chuẩn trợ giúp xã hội của thành phố Hải Phòng (đồng/tháng) trong tháng tính."""
    return _guard((thang,), _by_month, "city_standard", thang, tham_so)


@_describe
@xw.func(category=CATEGORY)
@xw.ret("raw")  # ints and text: no per-cell cleaning needed
@_args("thang", "tham_so")
def HP_BASE_SALARY(thang=None, tham_so=None):
    """Mức lương cơ sở (đồng/tháng) trong tháng tính."""
    return _guard((thang,), _by_month, "base_salary", thang, tham_so)


@_describe
@xw.func(category=CATEGORY)
@xw.ret("raw")  # ints and text: no per-cell cleaning needed
@_args("thang", "tham_so")
def HP_INSURANCE_COST(thang=None, tham_so=None):
    """Mức đóng BHYT một người một tháng (4,5% lương cơ sở, đồng) trong tháng tính."""
    return _guard((thang,), _by_month, "insurance_cost", thang, tham_so)


HP_POVERTY_LINE.__doc__ += _params_doc("the poverty line of the area")
HP_STANDARD.__doc__ += _params_doc("national_standard (NĐ 76/2024)")
HP_CITY_STANDARD.__doc__ += _params_doc("city_standard")
HP_BASE_SALARY.__doc__ += _params_doc("base_salary")
HP_INSURANCE_COST.__doc__ += _params_doc("hi_rate_permille × base_salary, whole VND, half up")

del _f
