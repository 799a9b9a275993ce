"""`eligibility` and `month_results` (R1–R10 over many months at once) against expectations saved
from the month-by-month engine before it was vectorised across months (issue 18 item 4), on
random registers, random parameter overrides and random month lists; and the many-month call
against one call per month (hypothesis).

The expectations file holds the inputs too (no dependence on a random generator's stream).
Regenerate it only from an engine known to be right: `python tests/engine/test_month_results.py`.
"""
from __future__ import annotations

import dataclasses
import datetime as dt
import json
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from xl_support.engine.parameters import DEFAULT as PARAMS, ParameterError, Parameters
from xl_support.engine.policy import DEFAULT as GROUPS
from xl_support.engine.rules import (People, add_months, eligibility, month_end, month_of, month_result,
                                     month_results, year_of)

D = dt.date
EXPECTED = Path(__file__).with_name("data") / "month_results_expected.npz"
PEOPLE_FIELDS = [f.name for f in dataclasses.fields(People)]
RESULT_ARRAYS = ("payable", "benefit", "topup", "insurance", "insurance_unconfirmed")


def _params(variant: int):
    """0: shipped; 1: overrides starting mid-month and mid-year (a month takes the value in force
    on its first day); 2: a poverty line that ends in 2029 (an error where a payable row needs it)."""
    if variant == 0:
        return PARAMS
    if variant == 1:
        return (PARAMS.with_override("poverty_line", "rural", D(2028, 7, 15), 2_500_000)
                .with_override("poverty_line", "urban", D(2027, 1, 1), 2_900_000)
                .with_override("national_standard", None, D(2029, 1, 1), 600_001)
                .with_override("city_standard", None, D(2027, 3, 2), 800_000))
    return Parameters(tuple(dataclasses.replace(p, end=D(2029, 5, 31)) if (p.key, p.area, p.start) ==
                            ("poverty_line", "urban", D(2027, 1, 1)) else p for p in PARAMS.periods))


def _groups(variant: int):
    if variant == 0:
        return GROUPS
    return (GROUPS.with_amount("HN-TE", 600_000).with_insurance("HN-TE", True)
            .with_amount("HN-NCT", 450_000).with_insurance("KNND", False).with_insurance("HN-BENH", True))


def _random_people(rng: np.random.Generator, n: int) -> dict[str, np.ndarray]:
    """Rows of every group (and unknown), missing cells, 29/02 and month-end dates, stop and
    pay-from months, decisions around the window's ends."""
    def days(first: str, last: str, blank: float) -> np.ndarray:
        a, b = np.datetime64(first, "D"), np.datetime64(last, "D")
        out = a + rng.integers(0, int((b - a).astype(int)) + 1, n).astype("m8[D]")
        special = rng.random(n) < 0.1              # month ends and 29 February
        ends = (out.astype("M8[M]") + 1).astype("M8[D]") - 1
        out = np.where(special & (rng.random(n) < 0.5), ends, out)
        leap = np.datetime64("2012-02-29") + (rng.integers(0, 5, n) * 1461).astype("m8[D]")
        out = np.where(special & (rng.random(n) < 0.2), leap, out)
        return np.where(rng.random(n) < blank, np.datetime64("NaT", "D"), out)

    def months(first: str, last: str, blank: float) -> np.ndarray:
        return days(first, last, blank).astype("M8[M]")

    young = rng.random(n) < 0.7                    # children, most rows; else any age (NQ 04 elderly)
    return {
        "group": rng.integers(0, len(GROUPS.codes) + 1, n).astype(np.intp),
        "area": rng.choice(np.array([-1, 0, 1], dtype=np.int8), n, p=[0.05, 0.5, 0.45]),
        "birth": np.where(young, days("2010-01-01", "2025-06-30", 0.02), days("1935-01-01", "2026-12-31", 0.03)),
        "allowance": np.where(rng.random(n) < 0.5, rng.choice([0, 360_000, 500_000, 1_050_000, 2_500_000], n), -1),
        "recognised": np.where(rng.random(n) < 0.7, days("2025-01-01", "2025-12-31", 0.1),
                               days("2023-06-01", "2027-06-30", 0.2)),
        "mother_birth": days("1980-01-01", "2012-12-31", 0.3),
        "decision": np.where(rng.random(n) < 0.7, days("2025-06-01", "2026-12-31", 0.02),
                             days("2025-06-01", "2031-03-31", 0.05)),
        "stop": days("2026-01-01", "2031-06-30", 0.8),
        "bad_cell": rng.random(n) < 0.01,
        "pay_from": months("2025-10-01", "2030-06-30", 0.85),
        "stop_pay_from": months("2026-01-01", "2031-01-31", 0.85),
        "household": rng.choice(np.array([-1, 0, 1, 2, 3], dtype=np.int8), n, p=[0.05, 0.35, 0.2, 0.2, 0.2]),
    }


def _random_months(rng: np.random.Generator) -> list[dt.date]:
    """All 60 months of the window, a random sorted subset, a shuffled list with repeats, or one."""
    window = np.arange(np.datetime64("2026-01"), np.datetime64("2031-01")).astype("M8[D]").tolist()
    kind = rng.integers(0, 4)
    if kind == 0:
        return window
    if kind == 1:
        return sorted(rng.choice(window, rng.integers(2, 30), replace=False).tolist())
    if kind == 2:
        return [window[i].replace(day=int(rng.integers(1, 28))) for i in rng.integers(0, 60, rng.integers(2, 20))]
    return [window[int(rng.integers(0, 60))]]


def _cases():
    rng = np.random.default_rng(20261202)
    for i in range(24):
        yield i, _random_people(rng, int(rng.integers(1, 400))), _random_months(rng), i % 3, (i // 3) % 2


def _periods(per_month: list[dict]) -> str:
    return json.dumps([[[k, repr(v)] for k, v in d.items()] for d in per_month])


def _outcome(people: People, months, groups, params) -> dict[str, np.ndarray]:
    elig = eligibility(people, groups, params)
    out = {f"elig_{f.name}": getattr(elig, f.name) for f in dataclasses.fields(elig)}
    try:
        res = month_results(people, elig, months, groups, params)
    except ParameterError as e:
        return {**out, "error": np.array(e.message)}
    out.update({name: getattr(res, name) for name in RESULT_ARRAYS})
    out["months"] = np.array(res.months, dtype="M8[D]")
    out["poverty_line"] = np.array(_periods(res.poverty_line))
    out["standard"] = np.array(_periods(res.standard))
    return out


def write_expectations(path: Path = EXPECTED) -> None:
    arrays = {}
    for i, cols, months, pv, gv in _cases():
        arrays.update({f"{i}/in_{k}": v for k, v in cols.items()})
        arrays[f"{i}/in_months"] = np.array(months, dtype="M8[D]")
        arrays[f"{i}/in_variants"] = np.array([pv, gv])
        people = People(**cols)
        arrays.update({f"{i}/{k}": v for k, v in _outcome(people, months, _groups(gv), _params(pv)).items()})
    path.parent.mkdir(exist_ok=True)
    np.savez_compressed(path, **arrays)


def _saved() -> dict[int, dict[str, np.ndarray]]:
    with np.load(EXPECTED) as z:
        cases: dict[int, dict] = {}
        for name in z.files:
            i, key = name.split("/")
            cases.setdefault(int(i), {})[key] = z[name]
    return cases


SAVED = _saved() if EXPECTED.exists() else {}


@pytest.mark.parametrize("case", sorted(SAVED))
def test_month_results_equal_the_saved_month_by_month_engine(case):
    saved = SAVED[case]
    people = People(**{k: saved[f"in_{k}"] for k in PEOPLE_FIELDS})
    months = saved["in_months"].tolist()
    pv, gv = saved["in_variants"].tolist()
    got = _outcome(people, months, _groups(gv), _params(pv))
    expected = {k: v for k, v in saved.items() if not k.startswith("in_")}
    assert got.keys() == expected.keys()
    for key, value in expected.items():
        assert got[key].dtype == value.dtype and got[key].shape == value.shape, key
        assert np.array_equal(got[key], value, equal_nan=value.dtype.kind == "M"), key


def test_the_saved_cases_cover_errors_overrides_and_every_status():
    errors = [c for c in SAVED.values() if "error" in c]
    assert errors and all("Chuẩn nghèo thành thị" in str(c["error"]) for c in errors)
    assert any(c["in_variants"][0] == 2 and "error" not in c for c in SAVED.values())
    statuses = np.concatenate([c["elig_status"] for c in SAVED.values()])
    assert len(np.unique(statuses)) >= 14
    paid = np.concatenate([c["benefit"].ravel() for c in SAVED.values() if "benefit" in c])
    assert len(np.unique(paid)) > 20


@settings(max_examples=40, deadline=None)
@given(st.integers(0, 2**32 - 1), st.integers(1, 60), st.booleans())
def test_many_months_at_once_equal_one_month_at_a_time(seed, count, overrides):
    rng = np.random.default_rng(seed)
    people = People(**_random_people(rng, int(rng.integers(1, 60))))
    params, groups = _params(int(overrides)), _groups(int(overrides))
    window = np.arange(np.datetime64("2026-01"), np.datetime64("2031-01")).astype("M8[D]").tolist()
    months = [window[i] for i in rng.integers(0, 60, count)]
    elig = eligibility(people, groups, params)
    together = month_results(people, elig, months, groups, params)
    for k, month in enumerate(months):
        one = month_result(people, elig, month, groups, params)
        got = together.month(k)
        for name in RESULT_ARRAYS:
            assert np.array_equal(getattr(got, name), getattr(one, name)), name
        assert got.poverty_line == one.poverty_line and got.standard == one.standard and got.month == one.month


def test_calendar_helpers_equal_numpy_datetime_arithmetic_on_every_day():
    """The calendar tables (1800-01 … 2399-12) against datetime64 arithmetic: EDATE clamps to the
    month's last day, NaT stays NaT."""
    days = np.concatenate([np.arange(np.datetime64("1800-01-01"), np.datetime64("2400-01-01")),
                           np.array(["NaT"], dtype="M8[D]")])
    month = days.astype("M8[M]")
    assert np.array_equal(month_of(days), month, equal_nan=True)
    assert np.array_equal(year_of(days)[:-1], month[:-1].astype(int) // 12 + 1970) and year_of(days)[-1] == 0
    assert np.array_equal(month_end(month), (month + 1).astype("M8[D]") - 1, equal_nan=True)
    day_of_month = days - month.astype("M8[D]")
    for offset in (1, 12, 36, 72, 192, 216):
        target = month[days < np.datetime64("2350-01-01")] + offset
        first, last = target.astype("M8[D]"), (target + 1).astype("M8[D]") - 1
        expected = np.minimum(first + day_of_month[:len(target)], last)
        assert np.array_equal(add_months(days, offset)[:len(target)], expected, equal_nan=True), offset
    assert np.isnat(add_months(days, 72)[-1])


if __name__ == "__main__":
    write_expectations()
    print(f"wrote {EXPECTED}")
