"""domain.md §2 worked examples and boundaries, and the one-implementation property."""
import datetime as dt

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings, strategies as st

from xl_support.engine.parameters import DEFAULT as PARAMS, ParameterError
from xl_support.engine.policy import DEFAULT as GROUPS
from xl_support.engine.assess import assess, assess_frame
from xl_support.engine.rules import EndReason, Status, schedule

D = dt.date


def amounts(person, *months):
    return [assess(person, m).benefit for m in months]


# ---------------------------------------------------------------- worked examples (domain.md §2)

def test_cn_urban_decision_march_2026():
    p = dict(group="CN", area="urban", birth=D(2014, 5, 1), decision=D(2026, 3, 15))
    assert amounts(p, D(2026, 2, 1), D(2026, 3, 1), D(2027, 1, 1)) == [0, 2_000_000, 2_800_000]


def test_cn_btxh_rural_topup():
    p = dict(group="CN-BTXH", area="rural", birth=D(2014, 5, 1), decision=D(2026, 1, 2), allowance=1_050_000)
    a26, a27 = assess(p, D(2026, 6, 1)), assess(p, D(2027, 6, 1))
    assert (a26.benefit, a26.topup) == (450_000, 450_000)
    assert (a27.benefit, a27.topup) == (1_150_000, 1_150_000)
    assert not a26.insurance


def test_tn_rural_36_months():
    p = dict(group="TN", area="rural", recognised=D(2025, 12, 20), birth=D(2016, 2, 1), decision=D(2026, 2, 10))
    assert amounts(p, D(2026, 1, 1), D(2026, 2, 1), D(2026, 12, 1), D(2027, 1, 1), D(2028, 12, 1), D(2029, 1, 1)) == \
        [0, 1_500_000, 1_500_000, 2_200_000, 2_200_000, 0]
    a = assess(p, D(2026, 2, 1))
    assert a.insurance and a.end_date == D(2028, 12, 31) and a.end_reason == EndReason.RECOGNITION_MONTHS
    assert "19/12/2028" in assess(p, D(2028, 12, 1)).basis


def test_knnd_16th_birthday_month_is_last():
    p = dict(group="KNND", birth=D(2011, 8, 15), decision=D(2026, 1, 5))
    assert amounts(p, D(2026, 1, 1), D(2027, 8, 1), D(2027, 9, 1)) == [750_000, 750_000, 0]
    a = assess(p, D(2027, 8, 1))
    assert a.end_date == D(2027, 8, 31) and a.end_reason == EndReason.MAX_AGE


# ---------------------------------------------------------------- boundaries

def test_decision_month_is_first_month_paid():
    p = dict(group="HIV", birth=D(2015, 1, 1), decision=D(2026, 5, 31))
    assert amounts(p, D(2026, 4, 1), D(2026, 5, 1)) == [0, 750_000]
    assert not assess(p, D(2026, 5, 1)).insurance   # HIV: no insurance support


def test_no_decision_is_pending_not_error():
    a = assess(dict(group="CN", area="urban", birth=D(2015, 1, 1)), D(2026, 5, 1))
    assert a.status == Status.PENDING and a.benefit == 0 and a.end_date == D(2030, 12, 31)


def test_window_2030_12_to_2031_01():
    p = dict(group="CN", area="rural", birth=D(2020, 1, 1), decision=D(2026, 1, 1))
    assert amounts(p, D(2030, 12, 1), D(2031, 1, 1)) == [2_200_000, 0]
    assert assess(p, D(2031, 1, 1)).end_date == D(2030, 12, 31)


def test_decision_before_window_starts_in_january_2026():
    p = dict(group="CN", area="rural", birth=D(2020, 1, 1), decision=D(2025, 11, 20))
    assert amounts(p, D(2025, 12, 1), D(2026, 1, 1)) == [0, 1_500_000]


def test_poverty_line_step_2026_12_to_2027_01():
    p = dict(group="DC-NHE", area="urban", birth=D(2018, 3, 3), decision=D(2026, 1, 1))
    assert amounts(p, D(2026, 12, 1), D(2027, 1, 1)) == [2_000_000, 2_800_000]


def test_36_month_end_is_day_before_anniversary():
    # recognised 01/03/2025 → ends 28/02/2028: February 2028 is the last month
    p = dict(group="TN", area="urban", recognised=D(2025, 3, 1), birth=D(2015, 1, 1), decision=D(2026, 1, 1))
    assert amounts(p, D(2028, 2, 1), D(2028, 3, 1)) == [2_800_000, 0]
    assert assess(p, D(2028, 2, 1)).end_date == D(2028, 2, 29)
    # recognised 31/01/2025 → EDATE clamps: 31/01/2028 − 1 day = 30/01/2028
    p["recognised"] = D(2025, 1, 31)
    assert amounts(p, D(2028, 1, 1), D(2028, 2, 1)) == [2_800_000, 0]


def test_mother_18th_birthday_month_is_last():
    p = dict(group="SRXHTD", birth=D(2025, 1, 10), mother_birth=D(2010, 6, 20), decision=D(2026, 1, 1))
    assert amounts(p, D(2028, 6, 1), D(2028, 7, 1)) == [750_000, 0]
    assert assess(p, D(2028, 6, 1)).end_reason == EndReason.MOTHER_ADULT
    a = assess(dict(p, mother_birth=None), D(2026, 6, 1))
    assert a.status == Status.NO_MOTHER_BIRTH and a.benefit == 0


def test_stop_month_is_last_month_paid():
    p = dict(group="CN", area="urban", birth=D(2015, 1, 1), decision=D(2026, 1, 1), stop=D(2026, 9, 3))
    assert amounts(p, D(2026, 9, 1), D(2026, 10, 1)) == [2_000_000, 0]
    assert assess(p, D(2026, 9, 1)).end_date == D(2026, 9, 30)


def test_insurance_from_month_of_6th_birthday():
    p = dict(group="KNND", birth=D(2020, 7, 31), decision=D(2026, 1, 1))
    assert [assess(p, m).insurance for m in (D(2026, 6, 1), D(2026, 7, 1))] == [False, True]
    assert assess(p, D(2026, 6, 1)).benefit == 750_000


def test_16th_birthday_on_first_of_month():
    p = dict(group="CN", area="urban", birth=D(2010, 10, 1), decision=D(2026, 1, 1))
    assert amounts(p, D(2026, 10, 1), D(2026, 11, 1)) == [2_000_000, 0]


def test_february_29_birthday():
    p = dict(group="CN", area="urban", birth=D(2012, 2, 29), decision=D(2026, 1, 1))
    assert amounts(p, D(2028, 2, 1), D(2028, 3, 1)) == [2_800_000, 0]


def test_topup_floor_zero_and_never_negative():
    p = dict(group="DC-BTXH", area="rural", birth=D(2015, 1, 1), decision=D(2026, 1, 1), allowance=2_000_000)
    a = assess(p, D(2026, 3, 1))
    assert (a.benefit, a.topup) == (0, 0) and a.status == Status.OK


def test_decision_after_16th_birthday_is_never_payable():
    p = dict(group="CN", area="urban", birth=D(2010, 2, 1), decision=D(2026, 4, 1))
    a = assess(p, D(2026, 4, 1))
    assert a.status == Status.DECISION_AFTER_END and a.benefit == 0


@pytest.mark.parametrize("person, status", [
    (dict(group="XX", birth=D(2015, 1, 1), decision=D(2026, 1, 1)), Status.UNKNOWN_GROUP),
    (dict(group="CN", area="urban", decision=D(2026, 1, 1)), Status.NO_BIRTH),
    (dict(group="CN", birth=D(2015, 1, 1), decision=D(2026, 1, 1)), Status.NO_AREA),
    (dict(group="CN-BTXH", area="urban", birth=D(2015, 1, 1), decision=D(2026, 1, 1)), Status.NO_ALLOWANCE),
    (dict(group="TN", area="urban", birth=D(2015, 1, 1), decision=D(2026, 1, 1)), Status.NO_RECOGNITION),
    (dict(group="TN", area="urban", birth=D(2015, 1, 1), decision=D(2026, 1, 1), recognised=D(2024, 5, 5)),
     Status.RECOGNITION_NOT_2025),
    (dict(group="KNND", birth=D(2015, 1, 1), decision=D(2026, 1, 1), allowance=360_000), Status.ALLOWANCE_FORBIDDEN),
    (dict(group="HN-TE", area="urban", birth=D(2015, 1, 1), decision=D(2026, 1, 1), household_type="Nghèo"),
     Status.UNCONFIRMED),
    (dict(group="HN-TE", area="urban", birth=D(2015, 1, 1), decision=D(2026, 1, 1)), Status.NO_HOUSEHOLD),
    (dict(group="HN-TE", area="urban", birth=D(2015, 1, 1), decision=D(2026, 1, 1), household_type="Thoát nghèo"),
     Status.NO_RECOGNITION),
    (dict(group="HIV", birth=D(2026, 5, 1), decision=D(2026, 3, 1)), Status.BIRTH_AFTER_DECISION),
])
def test_rows_that_cannot_be_computed_compute_nothing(person, status):
    a = assess(person, D(2026, 6, 1))
    assert a.status == status and a.benefit == 0 and not a.insurance


def test_unconfirmed_group_computes_once_the_ward_enters_the_amount():
    p = dict(group="HN-TE", area="urban", birth=D(2015, 1, 1), decision=D(2026, 1, 1), household_type="Cận nghèo")
    groups = GROUPS.with_amount("HN-TE", 600_000).with_insurance("HN-TE", True)
    a = assess(p, D(2026, 6, 1), groups=groups)
    assert (a.benefit, a.insurance, a.status) == (600_000, True, Status.OK)


def test_nq04_btxh_topup_and_36_months_after_escaping():
    p = dict(group="HN-BTXH", area="urban", birth=D(1960, 1, 1), decision=D(2026, 2, 1), allowance=500_000,
             recognised=D(2026, 3, 10), household_type="Thoát nghèo")
    assert amounts(p, D(2026, 2, 1), D(2029, 3, 1), D(2029, 4, 1)) == [1_500_000, 2_300_000, 0]


def test_parameter_override_changes_the_amount_from_its_date():
    params = PARAMS.with_override("poverty_line", "urban", D(2028, 1, 1), 3_000_000)
    p = dict(group="CN", area="urban", birth=D(2020, 1, 1), decision=D(2026, 1, 1))
    assert [assess(p, m, params=params).benefit for m in (D(2027, 12, 1), D(2028, 1, 1), D(2030, 12, 1))] == \
        [2_800_000, 3_000_000, 3_000_000]


def test_parameter_not_in_force_is_an_error_not_zero():
    with pytest.raises(ParameterError, match="2031"):
        PARAMS.value("poverty_line", D(2031, 1, 1), "urban")
    assert PARAMS.value("base_salary", D(2026, 6, 1)) == 2_340_000
    assert PARAMS.value("base_salary", D(2026, 7, 1)) == 2_530_000


def test_basis_names_group_clause_parameters_and_end():
    a = assess(dict(group="CN", area="urban", birth=D(2011, 8, 15), decision=D(2026, 3, 15)), D(2026, 3, 1))
    for part in ("NQ 55/2025/NQ-HĐND", "CN", "II.1.b", "2.000.000", "NĐ 351/2025/NĐ-CP", "01/01/2026",
                 "15/03/2026", "16 tuổi", "31/08/2027"):
        assert part in a.basis


# ---------------------------------------------------------------- one implementation

CODES = list(GROUPS.codes) + ["??", None]
dates = st.one_of(st.none(), st.dates(D(2005, 1, 1), D(2032, 12, 31)))
person = st.fixed_dictionaries({
    "group": st.sampled_from(CODES), "area": st.sampled_from(["urban", "rural", None]),
    "birth": dates, "allowance": st.one_of(st.none(), st.integers(0, 3_000_000)),
    "recognised": dates, "mother_birth": dates, "decision": dates, "stop": dates,
})


@settings(max_examples=60, deadline=None)
@given(st.lists(person, min_size=1, max_size=12), st.dates(D(2025, 10, 1), D(2031, 3, 1)))
def test_register_equals_row_by_row_and_topup_within_benefit(people, month):
    frame = pd.DataFrame(people)
    whole = assess_frame(frame, month)
    for i, p in enumerate(people):
        one = assess(p, month)
        row = whole.iloc[i]
        assert (int(row["benefit"]), int(row["topup"]), bool(row["insurance"]), row["basis"]) == \
            (one.benefit, one.topup, one.insurance, one.basis)
    assert ((0 <= whole["topup"]) & (whole["topup"] <= whole["benefit"])).all()
    assert (whole["benefit"] >= 0).all()


def test_schedule_equals_month_by_month():
    frame = pd.DataFrame([
        dict(group="TN", area="rural", recognised=D(2025, 12, 20), birth=D(2016, 2, 1), decision=D(2026, 2, 10)),
        dict(group="KNND", birth=D(2011, 8, 15), decision=D(2026, 1, 5)),
    ])
    s = schedule(frame, D(2026, 1, 1), D(2030, 12, 1))
    assert len(s.months) == 60
    for k, m in enumerate(s.months):
        r = assess_frame(frame, m, with_basis=False)
        assert np.array_equal(s.benefit[k], r["benefit"].to_numpy())
        assert np.array_equal(s.insurance[k], r["insurance"].to_numpy())
    assert s.benefit[:, 0].sum() == 11 * 1_500_000 + 24 * 2_200_000
    assert s.benefit[:, 1].sum() == 20 * 750_000
