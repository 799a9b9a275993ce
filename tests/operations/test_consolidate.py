"""City consolidation (issue 7): totals equal the wards' own compute, R11 across units,
missing units, and broken or hostile files reported per file (each one built here by code)."""
from __future__ import annotations

import datetime as dt
import os
import shutil
import zipfile
from pathlib import Path

import numpy as np
import openpyxl
import pytest

from xl_support.__main__ import main
from xl_support.book.register import column_cells
from xl_support.book.workbook import load_book, open_book, read_grids, units
from xl_support.operations.compute import compute_book
from xl_support.operations.consolidate import (OK, SHEET_CITY, SHEET_DUPLICATES, SHEET_FILES, SHEET_GROUPS, SHEET_MISSING,
                                                SHEET_MOVES, SUPERSEDED, UNIDENTIFIED, consolidate, expand_inputs)
from xl_support.engine.parameters import DEFAULT as PARAMS
from xl_support.engine.rules import schedule
from xl_support.book.safe_open import Limits, check_workbook
from xl_support.build.sample import write_sample_book
from xl_support.build.vba.cfb import write_cfb

MONTH = dt.date(2026, 11, 1)
_BY_TYPE = {t: [u for u in units() if u.type == t] for t in ("Phường", "Xã", "Đặc khu")}
UNITS = [_BY_TYPE["Phường"][0], _BY_TYPE["Phường"][3], _BY_TYPE["Xã"][10], _BY_TYPE["Đặc khu"][0]]
OTHER = [u for u in units() if u not in UNITS][:2]          # units of the rejected files


def _ward(path: Path, unit, seed: int, n55: int = 30, n04: int = 12) -> Path:
    return write_sample_book(path, unit=unit.full_name, unit_type=unit.type, n55=n55, n04=n04, seed=seed)


@pytest.fixture(scope="module")
def wards(tmp_path_factory) -> list[Path]:
    folder = tmp_path_factory.mktemp("wards")
    return [_ward(folder / f"tep_{i}.xlsx", u, seed=20 + i) for i, u in enumerate(UNITS)]


def _ward_month_total(path: Path, month=MONTH) -> tuple[int, int]:
    results = compute_book(open_book(path), month)
    return (sum(int(r.res.benefit.sum()) for r in results), sum(int(r.res.insurance.sum()) for r in results))


def _hi_cost(month: dt.date) -> int:
    return (PARAMS.value("hi_rate_permille", month) * PARAMS.value("base_salary", month) + 500) // 1000


def test_city_totals_equal_the_wards_own_compute(wards, tmp_path):
    r = consolidate(wards, MONTH, tmp_path / "city.xlsx", jobs=1, progress=False)
    assert r.exit_status == 0 and all(f.status == OK for f in r.files)
    rows = {u.label: u for u in r.units}
    for path, unit in zip(wards, UNITS):
        benefit, insured = _ward_month_total(path)
        row = rows[unit.full_name]
        assert (row.benefit, row.insured) == (benefit, insured)
        assert row.insurance_cost == insured * _hi_cost(MONTH) == insured * 113_850
    assert r.total("benefit") == sum(_ward_month_total(p)[0] for p in wards) > 0


def test_city_totals_equal_the_compute_cli_output_read_back(wards, tmp_path):
    r = consolidate(wards, MONTH, None, jobs=1, progress=False)
    total = 0
    for i, path in enumerate(wards):
        out = tmp_path / f"computed_{i}.xlsx"
        assert main(["compute", str(path), "--month", "2026-11", "-o", str(out)]) == 0
        grids = read_grids(out)
        for reg in load_book(grids).registers:     # the computed column as the CLI wrote it
            total += sum(v for v in column_cells(grids[reg.sheet], reg, "benefit") if isinstance(v, (int, float)))
    assert r.total("benefit") == total


def test_budget_by_year_is_the_engine_schedule(wards):
    r = consolidate(wards[:1], MONTH, None, jobs=1, progress=False)
    book = open_book(wards[0])
    s = book.settings
    need = {y: 0 for y in range(2026, 2031)}
    for reg in book.registers:
        sch = schedule(reg.table, dt.date(2026, 1, 1), dt.date(2030, 12, 1), groups=s.groups, params=s.params,
                       default_area=s.default_area)
        for k, m in enumerate(sch.months):
            need[m.year] += int(sch.benefit[k].sum()) + int(sch.insurance[k].sum()) * _hi_cost(m)
    row = next(u for u in r.units if u.unit == UNITS[0])
    assert row.years == need and need[2027] > 0


def _set_id(path: Path, sheet: str, row: int, value: str) -> None:
    wb = openpyxl.load_workbook(path)
    ws = wb[sheet]
    col = next(c.column for c in ws[3] if c.value == "Số định danh cá nhân")
    ws.cell(row=row, column=col, value=value)
    wb.save(path)


def _paid_rows(path: Path) -> list[tuple[str, int, int, str]]:
    """(sheet, row, benefit, id) of the rows paid in MONTH, highest first."""
    out = []
    for res in compute_book(open_book(path), MONTH):
        reg = res.register
        for i in np.flatnonzero(res.res.benefit > 0):
            out.append((reg.sheet, int(reg.table["row"][i]), int(res.res.benefit[i]), str(reg.raw["id"][i])))
    return sorted(out, key=lambda t: -t[2])


def test_same_person_in_two_units_is_paid_once_the_highest(tmp_path):
    a = _ward(tmp_path / "a.xlsx", UNITS[0], seed=31)
    b = _ward(tmp_path / "b.xlsx", UNITS[2], seed=32)
    high = _paid_rows(a)[0]
    low = next(t for t in _paid_rows(b) if t[2] < high[2])
    _set_id(b, low[0], low[1], high[3])                    # the same person, paid less in unit b
    before = _ward_month_total(a)[0] + _ward_month_total(b)[0]
    r = consolidate([a, b], MONTH, tmp_path / "city.xlsx", jobs=1, progress=False)
    assert r.total("benefit") == before - low[2]
    dup = [d for d in r.duplicates if d.id_text == high[3]]
    assert [(d.unit, d.kept, d.benefit) for d in dup] == [(UNITS[0].full_name, True, high[2]),
                                                         (UNITS[2].full_name, False, low[2])]
    assert dup[1].sheet == low[0] and dup[1].row == low[1] and UNITS[0].full_name in dup[1].note
    ws = openpyxl.load_workbook(tmp_path / "city.xlsx")[SHEET_DUPLICATES]
    texts = [c.value for row in ws.iter_rows() for c in row if c.value is not None]
    assert high[3] in texts and UNITS[2].full_name in texts


def test_missing_units_are_the_114_minus_received(wards, tmp_path):
    out = tmp_path / "city.xlsx"
    r = consolidate(wards, MONTH, out, jobs=1, progress=False)
    assert len(r.missing) == len(units()) - len(UNITS) == 110
    assert {u for u, _ in r.missing}.isdisjoint(UNITS)
    wb = openpyxl.load_workbook(out)
    assert wb.sheetnames == [SHEET_CITY, SHEET_GROUPS, SHEET_MISSING, SHEET_DUPLICATES, SHEET_MOVES, SHEET_FILES]
    names = [c.value for c in wb[SHEET_MISSING]["B"] if isinstance(c.value, str)]
    assert OTHER[0].full_name in names and UNITS[0].full_name not in names
    city = wb[SHEET_CITY]
    labels = [c.value for c in city["B"]]
    assert all(u.full_name in labels for u in units())               # one row per unit, received or not
    money = [c for row in city.iter_rows() for c in row if isinstance(c.value, int) and c.value >= 1_000_000]
    assert money and all(c.number_format == "#,##0" for c in money)
    assert city.freeze_panes and city.page_setup.orientation == "landscape" and city.page_setup.paperSize == 9


def test_unit_comes_from_tham_so_not_from_the_file_name(tmp_path):
    path = _ward(tmp_path / f"{UNITS[0].full_name}.xlsx", UNITS[2], seed=5)      # file named after another unit
    r = consolidate([path], MONTH, None, jobs=1, progress=False)
    received = [u.unit for u in r.units if u.received]
    assert received == [UNITS[2]]


def test_unidentified_and_same_unit_twice_make_the_run_partial(tmp_path):
    old = _ward(tmp_path / "old.xlsx", UNITS[0], seed=1)
    new = _ward(tmp_path / "new.xlsx", UNITS[0], seed=2)
    os.utime(old, (1_700_000_000, 1_700_000_000))
    nameless = _ward(tmp_path / "nameless.xlsx", UNITS[1], seed=3)
    wb = openpyxl.load_workbook(nameless)
    del wb["Tham số"]
    wb.save(nameless)
    r = consolidate([old, new, nameless], MONTH, None, jobs=1, progress=False)
    status = {f.path.name: f.status for f in r.files}
    assert status == {"old.xlsx": SUPERSEDED, "new.xlsx": OK, "nameless.xlsx": UNIDENTIFIED}
    assert r.exit_status == 3
    row = next(u for u in r.units if u.unit == UNITS[0])
    assert row.benefit == _ward_month_total(new)[0]
    assert any(u.unit is None and u.label == "nameless.xlsx" and u.benefit == _ward_month_total(nameless)[0]
               for u in r.units)


# ---------------------------------------------------------------- broken and hostile files

def _rezip(src: Path, dst: Path, replace: dict[str, bytes]) -> Path:
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            zout.writestr(info.filename, replace.get(info.filename, zin.read(info)))
    return dst


BILLION_LAUGHS = (b'<?xml version="1.0"?>\n<!DOCTYPE lolz [<!ENTITY lol "lol">'
                  b'<!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">'
                  b'<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>'
                  b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>'
                  b'<row r="1"><c r="A1" t="inlineStr"><is><t>&lol3;</t></is></c></row></sheetData></worksheet>')


def _many_rows(with_dimension: bool, rows: int) -> bytes:
    head = (b'<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxmlformats.org/'
            b'spreadsheetml/2006/main">' + (f'<dimension ref="A1:A{rows}"/>'.encode() if with_dimension else b"")
            + b"<sheetData>")
    body = b"".join(b'<row r="%d"><c r="A%d"><v>1</v></c></row>' % (i, i) for i in range(1, rows + 1))
    return head + body + b"</sheetData></worksheet>"


@pytest.fixture(scope="module")
def bad_files(tmp_path_factory, wards) -> dict[str, Path]:
    d = tmp_path_factory.mktemp("bad")
    good = wards[0]
    files = {}
    files["NOT_ZIP"] = d / "not_a_zip.xlsx"
    files["NOT_ZIP"].write_text("Đây là văn bản, không phải sổ Excel", encoding="utf-8")
    files["CORRUPT"] = d / "truncated.xlsx"
    files["CORRUPT"].write_bytes(good.read_bytes()[: good.stat().st_size // 2])
    files["ENCRYPTED"] = d / "password.xlsx"
    files["ENCRYPTED"].write_bytes(write_cfb({"EncryptionInfo": b"\x04\x00\x04\x00" + b"\x00" * 60,
                                              "EncryptedPackage": os.urandom(5000)}))
    files["OLD_XLS"] = d / "renamed_xls.xlsx"
    files["OLD_XLS"].write_bytes(write_cfb({"Workbook": b"\x09\x08" + b"\x00" * 600}))
    files["UNSUPPORTED"] = d / "old.xls"
    files["UNSUPPORTED"].write_bytes(write_cfb({"Workbook": b"\x09\x08" + b"\x00" * 600}))
    files["ZIP_BOMB"] = _rezip(good, d / "zip_bomb.xlsx", {"xl/theme/theme1.xml": b"<a/>" + b" " * (40 * 2**20)})
    files["XML_BOMB"] = _rezip(good, d / "entities.xlsx", {"xl/worksheets/sheet3.xml": BILLION_LAUGHS})
    files["TOO_MANY_ROWS"] = _rezip(good, d / "million_rows.xlsx",
                                    {"xl/worksheets/sheet2.xml": _many_rows(True, 1_000_000)})
    wb = openpyxl.Workbook()                           # another version: no register header at all
    wb.active.append(["Số TT", "Tên trẻ", "Đối tượng"])
    wb.active.append([1, "Nguyễn Văn An", "Mồ côi"])
    wb.create_sheet("Tham số").append(["Đơn vị", OTHER[0].full_name])
    files["NO_REGISTER"] = d / "other_template.xlsx"
    wb.save(files["NO_REGISTER"])
    wb = openpyxl.Workbook()                           # a register missing an essential column
    wb.active.append(["STT", "Họ và tên", "Ngày sinh", "Mã đối tượng", "Khu vực"])
    wb.active.append([1, "Nguyễn Văn An", "01/02/2015", "CN", "Thành thị"])
    wb.create_sheet("Tham số").append(["Đơn vị", OTHER[1].full_name])
    files["OTHER_VERSION"] = d / "old_template.xlsx"
    wb.save(files["OTHER_VERSION"])
    return files


@pytest.mark.parametrize("code", ["NOT_ZIP", "CORRUPT", "ENCRYPTED", "OLD_XLS", "UNSUPPORTED", "ZIP_BOMB",
                                  "XML_BOMB", "TOO_MANY_ROWS"])
def test_hostile_files_are_caught_before_parsing(bad_files, code):
    rejection = check_workbook(bad_files[code])
    assert rejection is not None and rejection.code == code
    assert any(ch in rejection.reason for ch in "ạảáàãệểếềọỏòóôốờớưữđ")    # Vietnamese text


def test_good_file_passes_the_checks(wards):
    assert check_workbook(wards[0]) is None


def test_row_count_without_dimension_is_streamed(tmp_path, wards):
    path = _rezip(wards[0], tmp_path / "nodim.xlsx", {"xl/worksheets/sheet1.xml": _many_rows(False, 3000)})
    assert check_workbook(path) is None
    rejection = check_workbook(path, Limits(max_rows=2000))
    assert rejection and rejection.code == "TOO_MANY_ROWS" and "3.000" in rejection.reason


def test_a_partial_run_reports_every_bad_file_and_consolidates_the_rest(bad_files, wards, tmp_path):
    folder = tmp_path / "in"
    folder.mkdir()
    for p in list(bad_files.values()) + wards:
        shutil.copy(p, folder / p.name)
    (folder / "~$tep_0.xlsx").write_bytes(b"lock")          # Excel's lock file: skipped, not reported
    out = tmp_path / "city.xlsx"
    assert main(["consolidate", str(folder), "--month", "2026-11", "-o", str(out)]) == 3
    wb = openpyxl.load_workbook(out)
    by_name = {row[1]: row for row in wb[SHEET_FILES].iter_rows(values_only=True) if row[1]}
    for code, p in bad_files.items():
        assert by_name[p.name][3] == "Bị loại", code
        assert by_name[p.name][8], code
    assert "~$tep_0.xlsx" not in by_name
    for p in wards:
        assert by_name[p.name][3] == "Đã tổng hợp"
    city = {row[1]: row for row in wb[SHEET_CITY].iter_rows(values_only=True) if row[1]}
    assert city[UNITS[0].full_name][6] == _ward_month_total(wards[0])[0]
    assert city[OTHER[0].full_name][2] == "Tệp bị loại" and city[OTHER[0].full_name][6] is None
    missing = {row[1]: row[4] for row in wb[SHEET_MISSING].iter_rows(values_only=True) if row[1]}
    assert missing[OTHER[1].full_name].startswith("Tệp gửi bị loại: Sheet")      # its only file was bad


def test_two_processes_give_the_same_result(wards, bad_files):
    files = wards + [bad_files["NOT_ZIP"]]
    one = consolidate(files, MONTH, None, jobs=1, progress=False)
    two = consolidate(files, MONTH, None, jobs=2, progress=False)
    assert [(u.label, u.benefit, u.insured, u.years) for u in one.units] == \
        [(u.label, u.benefit, u.insured, u.years) for u in two.units]
    assert [(f.path, f.status) for f in one.files] == [(f.path, f.status) for f in two.files]


def test_user_errors_exit_2(wards, tmp_path, capsys):
    assert main(["consolidate", str(tmp_path / "nowhere"), "--month", "2026-11", "-o", str(tmp_path / "c.xlsx")]) == 2
    existing = tmp_path / "exists.xlsx"
    existing.write_bytes(b"x")
    assert main(["consolidate", str(wards[0]), "--month", "2026-11", "-o", str(existing)]) == 2
    empty = tmp_path / "empty"
    empty.mkdir()
    assert main(["consolidate", str(empty), "--month", "2026-11", "-o", str(tmp_path / "c.xlsx")]) == 2
    assert "Lỗi:" in capsys.readouterr().err


def test_folders_expand_to_workbooks_only(tmp_path, wards):
    shutil.copy(wards[0], tmp_path / "a.xlsx")
    (tmp_path / "notes.txt").write_text("x")
    (tmp_path / "~$a.xlsx").write_bytes(b"lock")
    (tmp_path / "b.xls").write_bytes(b"x")
    assert [p.name for p in expand_inputs([str(tmp_path)])] == ["a.xlsx", "b.xls"]


def test_city_workbook_in_the_input_folder(tmp_path, wards):
    shutil.copy(wards[0], tmp_path / "a.xlsx")
    out = tmp_path / "city.xlsx"
    for force in ([], ["--force"]):                    # issue 12: refused, even with --force
        assert main(["consolidate", str(tmp_path), "--month", "2026-11", "-o", str(out), *force]) == 2
        assert not out.exists()
    assert main(["consolidate", str(tmp_path / "a.xlsx"), "--month", "2026-11", "-o", str(tmp_path / "a.xlsx"),
                 "--force"]) == 2                      # onto an input file
    assert (tmp_path / "a.xlsx").read_bytes() == wards[0].read_bytes()
    elsewhere = tmp_path.parent / f"{tmp_path.name}-city.xlsx"
    assert main(["consolidate", str(tmp_path), "--month", "2026-11", "-o", str(elsewhere)]) == 0
    shutil.copy(elsewhere, tmp_path / "city_old.xlsx")
    r = consolidate(expand_inputs([str(tmp_path)]), MONTH, None, jobs=1, progress=False)
    assert {f.path.name: f.status for f in r.files}["city_old.xlsx"] == "rejected"
    assert "sổ tổng hợp thành phố" in next(f.reason for f in r.files if f.path.name == "city_old.xlsx")


# ---------------------------------------------------------------- the fast path computes the same

@pytest.fixture(scope="module")
def messy_ward(tmp_path_factory) -> Path:
    """A ward book with what the fast paths must not change: unreadable cells, repeated IDs
    (R11 inside the ward), same name + birth, a ward amount for an unconfirmed NQ 04 group, a
    poverty-line override (two parameter periods more in the window)."""
    path = _ward(tmp_path_factory.mktemp("messy") / "messy.xlsx", UNITS[3], seed=77, n55=60, n04=30)
    wb = openpyxl.load_workbook(path)
    ps = wb["Tham số"]
    ps.append(["Mức hỗ trợ HN-TE (đồng/tháng)", 500_000])
    ps.append(["BHYT HN-TE", "Có"])
    ps.append(["Chuẩn nghèo nông thôn từ 01/01/2027", 2_100_000])
    for ws in (wb["Trẻ em NQ55"], wb["Hộ nghèo NQ04"]):
        head = {c.value: c.column for c in ws[3]}
        ws.cell(6, head["Ngày sinh"], "31/02/2015")                   # no such day
        ws.cell(7, head["Mã đối tượng"], "XYZ")                        # unknown group
        ws.cell(8, head["Trợ cấp xã hội đang hưởng (đồng/tháng)"], "1,050,000")
        ws.cell(9, head["Số định danh cá nhân"], "0312")               # not 12 digits
        for r in (10, 11, 12):                                           # one person in three rows
            ws.cell(r, head["Số định danh cá nhân"], ws.cell(13, head["Số định danh cá nhân"]).value)
        ws.cell(14, head["Họ và tên"], ws.cell(15, head["Họ và tên"]).value)
        ws.cell(14, head["Ngày sinh"], ws.cell(15, head["Ngày sinh"]).value)
        ws.cell(14, head["Số định danh cá nhân"]).value = None
    wb.save(path)
    return path


def test_all_months_at_once_equal_month_by_month(messy_ward):
    from xl_support.engine.rules import eligibility, month_result, month_results, people_arrays
    book = open_book(messy_ward)
    s = book.settings
    assert s.overrides and any(g.amount_rule == "fixed" for g in s.groups.groups)
    months = [dt.date(2025, 12, 1)] + [dt.date(y, m, 1) for y in (2026, 2027, 2030) for m in range(1, 13)]
    paid_rules = set()
    for reg in book.registers:
        people = people_arrays(reg.table, s.groups, s.default_area)
        elig = eligibility(people, s.groups, s.params)
        together = month_results(people, elig, months, s.groups, s.params)
        for k, month in enumerate(months):
            one = month_result(people, elig, month, s.groups, s.params)
            got = together.month(k)
            for name in ("payable", "benefit", "topup", "insurance"):
                assert np.array_equal(getattr(one, name), getattr(got, name)), (reg.sheet, month, name)
            assert got.poverty_line == one.poverty_line and got.standard == one.standard
            paid_rules |= {s.groups.groups[g].amount_rule for g in people.group[one.benefit > 0]}
    assert paid_rules == {"topup", "poverty_line", "standard_multiple", "fixed"}


def test_validation_given_the_engine_arrays_is_the_same(messy_ward):
    from xl_support.engine.rules import eligibility, month_result
    from xl_support.operations.validation import engine_people, validate_book
    book = open_book(messy_ward)
    s = book.settings
    people = [engine_people(r, book) for r in book.registers]
    benefit = [month_result(p, eligibility(p, s.groups, s.params), MONTH, s.groups, s.params).benefit for p in people]
    plain = validate_book(book, month=MONTH, today=dt.date(2026, 11, 20))
    given = validate_book(book, month=MONTH, today=dt.date(2026, 11, 20), people=people, benefit=benefit)
    assert given.issues == plain.issues
    assert {"DUPLICATE_ID", "SAME_NAME_BIRTH", "ID_FORMAT", "GROUP_UNKNOWN", "CELL_BIRTH"} <= plain.codes()


def test_monthly_arrays_sent_by_workers_are_exact():
    from xl_support.operations.consolidate import Monthly
    rng = np.random.default_rng(3)
    benefit = np.where(rng.random((61, 40)) < 0.6, rng.integers(0, 3, (61, 40)) * 1_234_567, 0).astype(np.int32)
    insured = rng.random((61, 40)) < 0.5
    for a in (benefit, insured, np.zeros((61, 0), np.int32)):
        m = Monthly.of(a)
        assert m.dense().dtype == a.dtype and np.array_equal(m.dense(), a)
        assert np.array_equal(m.totals, a.sum(axis=1, dtype=np.int64))
        for k in (0, 30, 60):
            assert np.array_equal(m.at(k), a[k])
        cols = np.array([5, 2, 39]) if a.shape[1] else np.zeros(0, int)
        assert np.array_equal(m.columns(cols), a[:, cols])


def test_consolidated_messy_ward_equals_its_own_compute(messy_ward, wards, tmp_path):
    copy = tmp_path / "same_people.xlsx"             # another unit paying the same people
    shutil.copy(messy_ward, copy)
    wb = openpyxl.load_workbook(copy)
    wb["Tham số"]["B1"] = UNITS[0].full_name
    wb.save(copy)
    r = consolidate([messy_ward], MONTH, None, jobs=1, progress=False)
    row = next(u for u in r.units if u.unit == UNITS[3])
    assert (row.benefit, row.insured) == _ward_month_total(messy_ward)
    both = consolidate([messy_ward, copy], MONTH, None, jobs=2, progress=False)
    assert both.total("benefit") == row.benefit                   # R11 across units: paid once
    assert both.duplicates and all(d.unit in (UNITS[0].full_name, UNITS[3].full_name) for d in both.duplicates)


def test_monthly_changes_of_the_amounts_are_those_of_the_months_x_rows_array():
    """`Monthly.of_amounts` (the benefit's changes from its runs of months and their amounts) is
    `Monthly.of` of the array it does not make: amounts of 0, runs in the same state, no row."""
    from xl_support.operations.consolidate import Monthly
    rng = np.random.default_rng(5)
    for _ in range(200):
        k, n = int(rng.integers(1, 30)), int(rng.integers(0, 40))
        payable = rng.random((k, n)) < 0.6
        bounds = [0, *sorted(set(rng.integers(1, k, int(rng.integers(0, 4))).tolist())), k] if k > 1 else [0, k]
        segments = tuple((a, b, int(rng.integers(0, 3))) for a, b in zip(bounds[:-1], bounds[1:]))
        amount = rng.choice(np.array([0, 5, 7, 1_000_000], dtype=np.int64), size=(3, n))
        dense = np.empty((k, n), dtype=np.int64)
        for a, b, s in segments:
            dense[a:b] = payable[a:b] * amount[s]
        got, want = Monthly.of_amounts(payable, segments, amount), Monthly.of(dense)
        assert got.shape == want.shape and got.dtype == want.dtype
        for name in ("month", "row", "delta", "totals"):
            x, y = getattr(got, name), getattr(want, name)
            assert x.dtype == y.dtype and np.array_equal(x, y), name
        assert np.array_equal(got.dense(), dense)
