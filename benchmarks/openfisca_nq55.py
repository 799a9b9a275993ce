"""NQ 55/2025/NQ-HĐND monthly benefit (domain.md §2, R1–R10, R2a, R13, R14) as an OpenFisca tax-benefit system.

An independent, second implementation of the rules the way an OpenFisca country package would
write them: one `Person` entity, input variables for the register columns, formulas with
`definition_period = MONTH` over numpy vectors, and dated parameters (poverty line by area,
2026 vs 2027+; national social-assistance standard; policy window) loaded from YAML files in a
temporary directory. It does not import xl_support: it is the yardstick the engine is measured
and checked against (benchmarks/bench_engine.py).

Run in the bench virtualenv (openfisca-core is not a project dependency):

    .venv-bench/bin/python benchmarks/openfisca_nq55.py --rows ROWS.npz --month 2027-01 \
        --repeat 5 --out RESULT.npz [--check-months 2026-06,2027-01,...]

ROWS.npz holds one array per register column: group (str codes, e.g. 'CN-BTXH'), area
('rural'/'urban'/''), birth, recognised, mother_birth, decision, stop (datetime64[D], NaT when
empty), allowance (int64, -1 when empty). The script prints one JSON line of timings and writes
benefit / topup / insurance for every month asked.
"""
from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np
from openfisca_core import periods
from openfisca_core.entities import build_entity
from openfisca_core.indexed_enums import Enum
from openfisca_core.model_api import ETERNITY, MONTH, Variable, date, select, where
from openfisca_core.simulations import SimulationBuilder
from openfisca_core.taxbenefitsystems import TaxBenefitSystem

NAT = np.datetime64("NaT", "D")

# ------------------------------------------------------------------ parameters (domain.md §1)

PARAMETER_FILES = {
    "poverty_line.yaml": """\
description: Chuẩn nghèo thu nhập (đồng/người/tháng)
rural:
  description: Nông thôn
  reference: NĐ 351/2025/NĐ-CP
  values:
    2026-01-01:
      value: 1500000
    2027-01-01:
      value: 2200000
    2031-01-01:
      value: null
urban:
  description: Thành thị
  reference: NĐ 351/2025/NĐ-CP
  values:
    2026-01-01:
      value: 2000000
    2027-01-01:
      value: 2800000
    2031-01-01:
      value: null
""",
    "national_standard.yaml": """\
description: Mức chuẩn trợ giúp xã hội (đồng/tháng)
reference: NĐ 76/2024/NĐ-CP
values:
  2024-07-01:
    value: 500000
""",
    "nq55.yaml": """\
description: NQ 55/2025/NQ-HĐND
standard_multiple:
  description: Hệ số nhân mức chuẩn trợ giúp xã hội (KNND, XHTD, SRXHTD, HIV)
  values:
    2026-01-01:
      value: 1.5
max_age:
  description: Tuổi tối đa (R1)
  values:
    2026-01-01:
      value: 16
insurance_min_age:
  description: Tuổi bắt đầu hỗ trợ BHYT (R10)
  values:
    2026-01-01:
      value: 6
months_after_recognition:
  description: Số tháng hưởng kể từ ngày công nhận thoát nghèo (R5)
  values:
    2026-01-01:
      value: 36
recognition_year:
  description: Năm công nhận thoát nghèo, thoát cận nghèo (R5)
  values:
    2026-01-01:
      value: 2025
mother_max_age:
  description: Tuổi của mẹ khi thôi hưởng (R7)
  values:
    2026-01-01:
      value: 18
window_start:
  description: Tháng đầu của thời gian thực hiện (R3), yyyymm
  values:
    2026-01-01:
      value: 202601
window_end:
  description: Tháng cuối của thời gian thực hiện (R3), yyyymm
  values:
    2026-01-01:
      value: 203012
""",
}


# ------------------------------------------------------------------ entities and enums

Person = build_entity(key="person", plural="persons", label="Trẻ em trong danh sách", is_person=True)


class Group(Enum):
    """NQ 55 register codes (domain.md §2); '-' becomes '_' in member names."""
    KHAC = "Mã nhóm không hợp lệ"
    CN_BTXH = "CN-BTXH"
    CN = "CN"
    TN_BTXH = "TN-BTXH"
    TN = "TN"
    DC_BTXH = "DC-BTXH"
    DC_NHE = "DC-NHE"
    KNND = "KNND"
    XHTD = "XHTD"
    SRXHTD = "SRXHTD"
    HIV = "HIV"


class Area(Enum):
    unknown = "Chưa rõ"
    rural = "Nông thôn"
    urban = "Thành thị"


TOPUP = [Group.CN_BTXH, Group.TN_BTXH, Group.DC_BTXH]
POVERTY_LINE = [Group.CN, Group.TN, Group.DC_NHE]
STANDARD_MULTIPLE = [Group.KNND, Group.XHTD, Group.SRXHTD, Group.HIV]
TN_GROUPS = [Group.TN_BTXH, Group.TN]
INSURED = [Group.TN, Group.DC_NHE, Group.KNND, Group.XHTD, Group.SRXHTD]
NO_ALLOWANCE_ALLOWED = [Group.CN, Group.TN, Group.DC_NHE, Group.KNND, Group.XHTD, Group.SRXHTD]   # R13 (CN: not BTXH)


def _in(groups, members) -> np.ndarray:
    return np.isin(groups, [m.index for m in members])


def _edate(days: np.ndarray, months) -> np.ndarray:
    """Excel EDATE on datetime64[D] vectors: same day `months` later, clamped to the month end
    (R14: 29 February → 28 February in a common year)."""
    first = days.astype("M8[M]")
    target = first + months
    last = (target + 1).astype("M8[D]") - np.timedelta64(1, "D")
    return np.minimum(target.astype("M8[D]") + (days - first.astype("M8[D]")), last)


def _month(period) -> np.datetime64:
    return np.datetime64(f"{period.start.year:04d}-{period.start.month:02d}", "M")


def _yyyymm(value) -> np.datetime64:
    v = int(value)
    return np.datetime64(f"{v // 100:04d}-{v % 100:02d}", "M")


# ------------------------------------------------------------------ input variables

def _input(name, value_type, label, default=None, **extra):
    attrs = {"value_type": value_type, "entity": Person, "definition_period": ETERNITY, "label": label}
    if default is not None:
        attrs["default_value"] = default
    attrs.update(extra)
    return type(name, (Variable,), attrs)


INPUTS = [
    _input("group", Enum, "Mã nhóm đối tượng", Group.KHAC, possible_values=Group),
    _input("area", Enum, "Khu vực", Area.unknown, possible_values=Area),
    _input("birth", date, "Ngày sinh"),
    _input("recognised", date, "Ngày công nhận thoát nghèo/thoát cận nghèo"),
    _input("mother_birth", date, "Ngày sinh của mẹ"),
    _input("decision", date, "Ngày ký quyết định hỗ trợ"),
    _input("stop", date, "Ngày thôi hưởng"),
    _input("allowance", int, "Trợ cấp xã hội đang hưởng (-1: chưa nhập)", -1),
]


# ------------------------------------------------------------------ formulas (MONTH)

class eligibility_lapse(Variable):
    """R2a: the first day not eligible — the 16th birthday, the day after the 36 months, the
    mother's 18th birthday, the day after the stop date (NaT: none)."""
    value_type = date
    entity = Person
    definition_period = MONTH
    label = "Ngày hết điều kiện hưởng"

    def formula(person, period, parameters):
        p = parameters(period).nq55
        g = person("group", period).view(np.ndarray)
        one = np.timedelta64(1, "D")
        events = np.stack([
            _edate(person("birth", period), 12 * int(p.max_age)),
            where(_in(g, TN_GROUPS), _edate(person("recognised", period), int(p.months_after_recognition)), NAT),
            where(g == Group.SRXHTD.index, _edate(person("mother_birth", period), 12 * int(p.mother_max_age)), NAT),
            person("stop", period) + one])
        return np.fmin.reduce(events, axis=0)


class eligible(Variable):
    """Row conditions (R2 decision, R2a eligible on its day, R4 area/allowance, R5 recognised in
    2025, R7 mother, R13; impossible dates: born after the decision, mother not born before)."""
    value_type = bool
    entity = Person
    definition_period = MONTH
    label = "Đủ điều kiện (chưa xét tháng)"

    def formula(person, period, parameters):
        p = parameters(period).nq55
        g = person("group", period).view(np.ndarray)
        area = person("area", period).view(np.ndarray)
        allowance = person("allowance", period)
        recognised = person("recognised", period)
        rec_year = recognised.astype("M8[Y]").astype(np.int64) + 1970
        needs_area = _in(g, TOPUP + POVERTY_LINE)
        birth, decision, mother = person("birth", period), person("decision", period), person("mother_birth", period)
        return (
            (g != Group.KHAC.index)
            & ~(decision >= person("eligibility_lapse", period))
            & ~(birth > decision) & ~(mother >= birth)
            & ~np.isnat(person("birth", period))
            & ~np.isnat(person("decision", period))
            & ~(needs_area & (area == Area.unknown.index))
            & ~(_in(g, TOPUP) & (allowance < 0))
            & ~(_in(g, NO_ALLOWANCE_ALLOWED) & (allowance > 0))
            & ~(_in(g, TN_GROUPS) & (np.isnat(recognised) | (rec_year != int(p.recognition_year))))
            & ~((g == Group.SRXHTD.index) & np.isnat(person("mother_birth", period)))
        )


class start_month(Variable):
    """R2, R3: month of the decision, not before the policy window (first day of the month)."""
    value_type = date
    entity = Person
    definition_period = MONTH
    label = "Tháng bắt đầu hưởng"

    def formula(person, period, parameters):
        decision = person("decision", period).astype("M8[M]")
        return np.fmax(decision, _yyyymm(parameters(period).nq55.window_start)).astype("M8[D]")


class end_month(Variable):
    """R1, R5, R6, R7, R8: the earliest end event's month is the last month paid."""
    value_type = date
    entity = Person
    definition_period = MONTH
    label = "Tháng cuối được hưởng"

    def formula(person, period, parameters):
        p = parameters(period).nq55
        g = person("group", period).view(np.ndarray)
        birthday16 = _edate(person("birth", period), 12 * int(p.max_age))
        recognition_end = where(_in(g, TN_GROUPS),
                                _edate(person("recognised", period), int(p.months_after_recognition))
                                - np.timedelta64(1, "D"), NAT)
        mother_adult = where(g == Group.SRXHTD.index,
                             _edate(person("mother_birth", period), 12 * int(p.mother_max_age)), NAT)
        events = np.stack([birthday16, recognition_end, mother_adult, person("stop", period)]).astype("M8[M]")
        window_end = _yyyymm(p.window_end)
        return np.fmin(np.fmin.reduce(events, axis=0), window_end).astype("M8[D]")


class payable(Variable):
    """R9: eligible and start month ≤ this month ≤ last month paid."""
    value_type = bool
    entity = Person
    definition_period = MONTH
    label = "Được chi trả trong tháng"

    def formula(person, period, parameters):
        m = _month(period).astype("M8[D]")
        return person("eligible", period) & (person("start_month", period) <= m) & (m <= person("end_month", period))


class poverty_line(Variable):
    """R4: the poverty line of the person's area for this month."""
    value_type = int
    entity = Person
    definition_period = MONTH
    label = "Chuẩn nghèo áp dụng"

    def formula(person, period, parameters):
        pl = parameters(period).poverty_line
        area = person("area", period)
        return select([area == Area.rural, area == Area.urban], [pl.rural, pl.urban], 0)


class nq55_benefit(Variable):
    """R4, R9: top-up / poverty line / 1.5 × national standard, for the months payable."""
    value_type = int
    entity = Person
    definition_period = MONTH
    label = "Mức hỗ trợ hằng tháng NQ 55 (đồng)"

    def formula(person, period, parameters):
        g = person("group", period).view(np.ndarray)
        pl = person("poverty_line", period)
        std = parameters(period).national_standard
        multiple = parameters(period).nq55.standard_multiple
        amount = select(
            [_in(g, TOPUP), _in(g, POVERTY_LINE), _in(g, STANDARD_MULTIPLE)],
            [np.maximum(pl - person("allowance", period), 0), pl,
             np.floor(multiple * std + 0.5).astype(np.int64)],
            0)
        return where(person("payable", period), amount, 0)


class nq55_topup(Variable):
    """R9: the part of the benefit that tops up an existing allowance (BTXH groups)."""
    value_type = int
    entity = Person
    definition_period = MONTH
    label = "Phần bù chênh lệch (đồng)"

    def formula(person, period, parameters):
        return where(_in(person("group", period).view(np.ndarray), TOPUP), person("nq55_benefit", period), 0)


class nq55_insurance(Variable):
    """R10: group with insurance, month payable, 6th birthday on or before the month's last day."""
    value_type = bool
    entity = Person
    definition_period = MONTH
    label = "Hỗ trợ BHYT"

    def formula(person, period, parameters):
        p = parameters(period).nq55
        sixth = _edate(person("birth", period), 12 * int(p.insurance_min_age)).astype("M8[M]")
        return (person("payable", period) & _in(person("group", period).view(np.ndarray), INSURED)
                & (sixth <= _month(period)))


FORMULAS = [eligibility_lapse, eligible, start_month, end_month, payable, poverty_line, nq55_benefit, nq55_topup, nq55_insurance]


# ------------------------------------------------------------------ system, simulation

def build_system() -> TaxBenefitSystem:
    """The tax-benefit system: entity, variables, parameters from YAML written to a temp dir."""
    tbs = TaxBenefitSystem([Person])
    tbs.add_variables(*INPUTS, *FORMULAS)
    with tempfile.TemporaryDirectory() as tmp:
        for name, text in PARAMETER_FILES.items():
            (Path(tmp) / name).write_text(text, encoding="utf-8")
        tbs.load_parameters(tmp)
    return tbs


def encode_rows(rows: dict) -> dict:
    """Register columns → OpenFisca input arrays (enum member names, datetime64[D])."""
    names = {m.value: m.name for m in Group}
    group = np.array([names.get(c, "KHAC") for c in rows["group"].tolist()])
    area = np.asarray(rows["area"]).astype(str)
    area = np.where(np.isin(area, ["rural", "urban"]), area, "unknown")
    out = {"group": group, "area": area, "allowance": np.asarray(rows["allowance"], dtype=np.int64)}
    for k in ("birth", "recognised", "mother_birth", "decision", "stop"):
        out[k] = np.asarray(rows[k]).astype("M8[D]")
    return out


def simulate(tbs: TaxBenefitSystem, inputs: dict, months: list[str]) -> dict:
    """Build a simulation of len(rows) persons and compute the month(s)."""
    n = len(inputs["group"])
    sim = SimulationBuilder().build_default_simulation(tbs, n)
    for name, values in inputs.items():
        sim.set_input(name, periods.period(ETERNITY), values)
    out = {}
    for m in months:
        out[f"benefit_{m}"] = sim.calculate("nq55_benefit", m)
        out[f"topup_{m}"] = sim.calculate("nq55_topup", m)
        out[f"insurance_{m}"] = sim.calculate("nq55_insurance", m)
    return out


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", required=True, help="npz of register columns")
    ap.add_argument("--month", required=True, help="yyyy-mm timed")
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--out", help="npz to write benefit/topup/insurance per month")
    ap.add_argument("--check-months", default="", help="more yyyy-mm, comma separated (computed, not timed)")
    a = ap.parse_args(argv)
    with np.load(a.rows, allow_pickle=False) as z:
        rows = {k: z[k] for k in z.files}

    t0 = time.perf_counter()
    tbs = build_system()
    t_system = time.perf_counter() - t0

    t_encode, t_build, t_compute = [], [], []
    for _ in range(a.repeat):
        t0 = time.perf_counter()
        inputs = encode_rows(rows)
        t1 = time.perf_counter()
        sim = SimulationBuilder().build_default_simulation(tbs, len(inputs["group"]))
        for name, values in inputs.items():
            sim.set_input(name, periods.period(ETERNITY), values)
        t2 = time.perf_counter()
        sim.calculate("nq55_benefit", a.month)
        t3 = time.perf_counter()
        t_encode.append(t1 - t0)
        t_build.append(t2 - t1)
        t_compute.append(t3 - t2)
    totals = [b + c for b, c in zip(t_build, t_compute)]
    months = [a.month] + [m for m in a.check_months.split(",") if m and m != a.month]
    if a.out:
        np.savez(a.out, **simulate(tbs, encode_rows(rows), months))
    print(json.dumps({
        "rows": int(len(rows["group"])), "month": a.month, "system_build_s": t_system,
        "encode_s": statistics.median(t_encode), "build_s": statistics.median(t_build),
        "compute_s": statistics.median(t_compute), "build_compute_s": statistics.median(totals),
        "months": months,
    }))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
