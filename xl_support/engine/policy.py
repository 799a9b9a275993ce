"""Policy tables as data (domain.md §2 NQ 55 groups, §3 NQ 04 groups): data/groups.csv."""
from __future__ import annotations

import csv
from dataclasses import dataclass, replace
from functools import cache

from xl_support.engine import data_text

AMOUNT_RULES = ("topup", "poverty_line", "standard_multiple", "fixed", "unconfirmed")
NQ55 = "NQ 55/2025/NQ-HĐND"
NQ04 = "NQ 04/2026/NQ-HĐND"


@dataclass(frozen=True)
class Group:
    code: str
    resolution: str
    label: str
    public_label: str
    clause: str
    amount_rule: str            # one of AMOUNT_RULES
    multiple: tuple[int, int]   # numerator, denominator (standard_multiple)
    standard: str | None        # parameter key the multiple applies to
    fixed_amount: int | None    # fixed rule, or an amount entered by the ward
    insurance: str              # 'yes' | 'no' | 'unconfirmed'
    min_age: int | None
    max_age: int | None         # eligibility ends on this birthday (R1)
    months_after_recognition: int | None  # R5
    recognition_year: int | None          # R5: recognised in this year
    mother_max_age: int | None            # R7
    allowance: str              # 'required' | 'forbidden' | '' (R4, R13)
    sensitive: bool

    @property
    def register(self) -> str:
        return "NQ04" if self.code.startswith("HN-") else "NQ55"

    @property
    def is_topup(self) -> bool:
        return self.amount_rule == "topup"

    @property
    def display(self) -> str:
        """`CN – label`: what the drop-down shows."""
        return f"{self.code} – {self.label}"


def _int(text: str) -> int | None:
    return int(text) if text else None


def _group(r: dict) -> Group:
    return Group(
        code=r["code"], resolution=r["resolution"], label=r["label_vi"], public_label=r["public_label_vi"],
        clause=r["clause"], amount_rule=r["amount_rule"],
        multiple=(int(r["multiple_num"] or 1), int(r["multiple_den"] or 1)), standard=r["standard"] or None,
        fixed_amount=_int(r["fixed_amount"]), insurance=r["insurance"], min_age=_int(r["min_age"]),
        max_age=_int(r["max_age"]), months_after_recognition=_int(r["months_after_recognition"]),
        recognition_year=_int(r["recognition_year"]), mother_max_age=_int(r["mother_max_age"]),
        allowance=r["allowance"], sensitive=r["sensitive"] == "yes",
    )


@cache
def _shipped_groups() -> tuple[Group, ...]:
    text = data_text("groups.csv")
    groups = tuple(_group(r) for r in csv.DictReader(text.splitlines()))
    assert all(g.amount_rule in AMOUNT_RULES for g in groups)
    return groups


class Groups:
    """The group table in force for a workbook (shipped rows + the ward's entries)."""

    def __init__(self, groups: tuple[Group, ...] | None = None):
        self.groups = groups if groups is not None else _shipped_groups()
        self.by_code = {g.code: g for g in self.groups}
        self.codes = tuple(g.code for g in self.groups)

    def get(self, code: str | None) -> Group | None:
        return self.by_code.get(code) if code else None

    def with_amount(self, code: str, amount: int) -> "Groups":
        """domain.md §3 — the ward enters an unconfirmed amount from the Resolution."""
        return self._replace(code, amount_rule="fixed", fixed_amount=amount)

    def with_insurance(self, code: str, yes: bool) -> "Groups":
        return self._replace(code, insurance="yes" if yes else "no")

    def _replace(self, code: str, **changes) -> "Groups":
        return Groups(tuple(replace(g, **changes) if g.code == code else g for g in self.groups))

    def for_register(self, register: str) -> tuple[Group, ...]:
        return tuple(g for g in self.groups if g.register == register)


DEFAULT = Groups()
