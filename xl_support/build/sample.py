"""Sample ward registers made by code (the demo, tests and benchmarks use them).

Deterministic for a seed; names and IDs are invented. `write_sample_book` writes a workbook that
follows the register and parameter-sheet contracts (title rows above the header, as wards do).
"""
from __future__ import annotations

import datetime as dt
import random
from pathlib import Path

import numpy as np

from xl_support.book.workbook import LABEL_MONTH, LABEL_UNIT, LABEL_UNIT_TYPE, SETTINGS_SHEET
from xl_support.book.register import FIELDS, NQ04, NQ55

FAMILY = ["Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Vũ", "Đặng", "Bùi", "Đỗ", "Hồ", "Ngô", "Dương"]
MIDDLE = ["Văn", "Thị", "Minh", "Ngọc", "Đức", "Thu", "Gia", "Bảo", "Hải", "Khánh"]
GIVEN = ["An", "Bình", "Chi", "Dũng", "Giang", "Hà", "Hùng", "Khoa", "Lan", "Linh", "Mai", "Nam", "Phúc",
         "Quân", "Thảo", "Trang", "Tuấn", "Vy", "Yến", "Đạt"]
NQ55_CODES = ["CN-BTXH", "CN", "TN-BTXH", "TN", "DC-BTXH", "DC-NHE", "KNND", "XHTD", "SRXHTD", "HIV"]
NQ04_CODES = ["HN-BTXH", "HN-TE", "HN-BENH", "HN-NCT", "HN-NCTCD", "HN-HIV", "HN-KNLD", "HN-NKT"]
BTXH_ALLOWANCES = [360_000, 540_000, 720_000, 1_050_000]


def _day(rng: random.Random, first: dt.date, last: dt.date) -> dt.date:
    return first + dt.timedelta(days=rng.randrange((last - first).days + 1))


def sample_person(rng: random.Random, register: str, i: int, area: str) -> dict:
    """One plausible register row (contract field names → values)."""
    codes = NQ55_CODES if register == NQ55 else NQ04_CODES
    code = rng.choice(codes)
    adult = register == NQ04 and code not in ("HN-TE",)
    if code in ("HN-NCT", "HN-NCTCD"):
        birth = _day(rng, dt.date(1947, 1, 1), dt.date(1965, 12, 31))
    elif adult:
        birth = _day(rng, dt.date(1960, 1, 1), dt.date(2005, 12, 31))
    elif code == "SRXHTD":
        birth = _day(rng, dt.date(2024, 1, 1), dt.date(2025, 6, 30))
    elif code == "XHTD":
        birth = _day(rng, dt.date(2011, 1, 1), dt.date(2012, 6, 30))
    else:
        birth = _day(rng, dt.date(2011, 1, 1), dt.date(2025, 6, 30))
    row = {
        "stt": i + 1,
        "name": f"{rng.choice(FAMILY)} {rng.choice(MIDDLE)} {rng.choice(GIVEN)}",
        "birth": birth,
        "sex": rng.choice(["Nam", "Nữ"]) if code != "XHTD" else "Nữ",
        "id": f"031{rng.randrange(10**9):09d}",
        "residential_group": f"Tổ dân phố {rng.randint(1, 12)}",
        "area": area,
        "group": code,
        "allowance": rng.choice(BTXH_ALLOWANCES) if code.endswith("BTXH") else None,
        "recognised": _day(rng, dt.date(2025, 1, 1), dt.date(2025, 12, 31)) if code.startswith("TN") else None,
        "decision": _day(rng, max(dt.date(2026, 1, 1), birth), dt.date(2026, 11, 30)) if rng.random() > 0.05 else None,
        "stop": None,
        "note": None,
    }
    if register == NQ55:
        row["mother_birth"] = _day(rng, dt.date(2009, 1, 1), dt.date(2010, 12, 31)) if code == "SRXHTD" else None
        row["school"] = f"Trường Tiểu học số {rng.randint(1, 4)}" if (dt.date(2026, 9, 1) - birth).days > 6 * 365 else None
    else:
        row["household_type"] = rng.choice(["Nghèo", "Cận nghèo", "Thoát nghèo", "Thoát cận nghèo"])
        if row["household_type"].startswith("Thoát"):
            row["recognised"] = _day(rng, dt.date(2025, 1, 1), dt.date(2026, 6, 30))
    if rng.random() < 0.04 and row["decision"]:
        row["stop"] = _day(rng, row["decision"], dt.date(2027, 12, 31))
    return row


def sample_people(n: int, register: str = NQ55, seed: int = 1, area: str = "Thành thị") -> list[dict]:
    rng = random.Random(seed)
    return [sample_person(rng, register, i, area) for i in range(n)]


def people_frame(n: int, seed: int = 1):
    """A typed pandas frame of n NQ 55 rows for the engine (benchmarks): dates as datetime64[D]."""
    import pandas as pd
    rng = np.random.default_rng(seed)
    birth = np.datetime64("2010-07-01") + rng.integers(0, 15 * 365, n).astype("m8[D]")
    decision = np.datetime64("2026-01-01") + rng.integers(0, 700, n).astype("m8[D]")
    codes = np.array(NQ55_CODES, dtype=object)[rng.integers(0, len(NQ55_CODES), n)]
    recognised = np.where(np.char.startswith(codes.astype(str), "TN"),
                          np.datetime64("2025-01-01") + rng.integers(0, 365, n).astype("m8[D]"),
                          np.datetime64("NaT"))
    mother = np.where(codes == "SRXHTD", np.datetime64("2009-01-01") + rng.integers(0, 1000, n).astype("m8[D]"),
                      np.datetime64("NaT"))
    allowance = np.where(np.char.endswith(codes.astype(str), "BTXH"),
                         np.array(BTXH_ALLOWANCES)[rng.integers(0, 4, n)], 0)
    return pd.DataFrame({
        "group": codes, "area": np.where(rng.random(n) < 0.5, "urban", "rural").astype(object),
        "birth": birth.astype("M8[s]"), "allowance": allowance, "recognised": recognised.astype("M8[s]"),
        "mother_birth": mother.astype("M8[s]"), "decision": decision.astype("M8[s]"),
        "stop": np.full(n, np.datetime64("NaT"), dtype="M8[s]"),
    })


def headers(register: str) -> list[str]:
    return [f.header for f in FIELDS if register in f.registers and f.template]


def write_register_sheet(ws, register: str, people: list[dict], title: str | None = None) -> int:
    """Title rows, the contract header and the rows; returns the header row number."""
    row = 1
    if title:
        ws.cell(row=1, column=1, value=title)
        row = 3
    fields = [f for f in FIELDS if register in f.registers and f.template]
    for c, f in enumerate(fields, start=1):
        ws.cell(row=row, column=c, value=f.header)
    for r, person in enumerate(people, start=row + 1):
        write_person(ws, r, [f for f in fields if not f.computed], person)
    return row


def write_person(ws, row: int, fields, person: dict) -> None:
    """One register row: dates as real dates, the ID as text (keeps leading zeros), amounts #,##0."""
    from xl_support.book.fileio import set_text
    for c, f in enumerate(fields, start=1):
        value = person.get(f.name)
        if value is None:
            continue
        cell = set_text(ws.cell(row=row, column=c), str(value) if f.kind == "id" else value)
        if isinstance(value, dt.date):
            cell.number_format = "dd/mm/yyyy"
        elif f.kind == "id":
            cell.number_format = "@"
        elif f.kind == "amount":
            cell.number_format = "#,##0"


def write_sample_book(path: str | Path, *, unit: str = "Phường Đồ Sơn", unit_type: str = "Phường",
                      month: dt.date = dt.date(2026, 11, 1), n55: int = 40, n04: int = 20, seed: int = 1) -> Path:
    """A ward workbook following the contracts (not the template): two registers + Tham số."""
    import openpyxl
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Trẻ em NQ55"
    area = "Thành thị" if unit_type == "Phường" else "Nông thôn"
    write_register_sheet(ws, NQ55, sample_people(n55, NQ55, seed, area),
                         f"DANH SÁCH TRẺ EM HƯỞNG HỖ TRỢ THEO NQ 55/2025/NQ-HĐND – {unit.upper()}")
    write_register_sheet(wb.create_sheet("Hộ nghèo NQ04"), NQ04, sample_people(n04, NQ04, seed + 1000, area),
                         f"DANH SÁCH THÀNH VIÊN HỘ NGHÈO, CẬN NGHÈO THEO NQ 04/2026/NQ-HĐND – {unit.upper()}")
    ps = wb.create_sheet(SETTINGS_SHEET)
    for r, (label, value) in enumerate([(LABEL_UNIT, unit), (LABEL_UNIT_TYPE, unit_type),
                                        (LABEL_MONTH, f"{month:%m/%Y}")], start=1):
        ps.cell(row=r, column=1, value=label)
        ps.cell(row=r, column=2, value=value)
    from xl_support.book.fileio import save_workbook_atomic
    return save_workbook_atomic(wb, path)
