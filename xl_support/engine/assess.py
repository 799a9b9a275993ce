"""One register or one person for one month, with the basis text: the engine's convenience API
(`rules` computes, `basis` explains; this module joins them so neither imports the other)."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import pandas as pd

from xl_support.engine.basis import basis_texts
from xl_support.engine.parameters import DEFAULT as DEFAULT_PARAMETERS, Parameters
from xl_support.engine.policy import DEFAULT as DEFAULT_GROUPS, Groups
from xl_support.engine.rules import (PEOPLE_COLUMNS, EndReason, Eligibility, MonthResult, Status, eligibility,
                                     month_end, month_result, people_arrays)


@dataclass(frozen=True)
class Assessment:
    """One person, one month: the five computed columns plus status and reason codes."""
    benefit: int
    topup: int
    insurance: bool
    end_date: dt.date | None
    status: Status
    end_reason: EndReason
    basis: str


def result_frame(elig: Eligibility, res: MonthResult, index=None) -> pd.DataFrame:
    has_end = (elig.status == Status.OK) | (elig.status == Status.PENDING) | (elig.status == Status.NEVER_PAYABLE)
    end_date = np.where(has_end, month_end(elig.end), np.datetime64("NaT", "D"))
    return pd.DataFrame({
        "benefit": res.benefit, "topup": res.topup, "insurance": res.insurance,
        "end_date": end_date, "status": elig.status, "end_reason": elig.end_reason,
        "start": elig.start, "payable": res.payable,
    }, index=index)


def assess_frame(frame: pd.DataFrame, month: dt.date, *, groups: Groups = DEFAULT_GROUPS,
                 params: Parameters = DEFAULT_PARAMETERS, default_area: str | None = None,
                 with_basis: bool = True) -> pd.DataFrame:
    """The whole register for one month: benefit, topup, insurance, end_date, status, end_reason
    (+ basis). The same code serves one row (`assess`)."""
    people = people_arrays(frame, groups, default_area)
    elig = eligibility(people, groups, params)
    res = month_result(people, elig, month, groups, params)
    out = result_frame(elig, res, index=frame.index)
    if with_basis:
        out["basis"] = basis_texts(people, elig, res, groups, params)
    return out


def assess(person: dict, month: dt.date, **kwargs) -> Assessment:
    """One person (a dict of PEOPLE_COLUMNS) for one month: a register of one."""
    row = assess_frame(pd.DataFrame([{k: person.get(k) for k in PEOPLE_COLUMNS}]), month, **kwargs).iloc[0]
    end = row["end_date"]
    return Assessment(
        benefit=int(row["benefit"]), topup=int(row["topup"]), insurance=bool(row["insurance"]),
        end_date=None if pd.isna(end) else pd.Timestamp(end).date(),
        status=Status(int(row["status"])), end_reason=EndReason(int(row["end_reason"])), basis=row["basis"],
    )
