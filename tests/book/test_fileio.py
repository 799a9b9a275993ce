"""Tests for xl_support.fileio: OUT checks, atomic writes, formula-injection guards."""

import csv
import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import openpyxl
import pytest

from xl_support.book.fileio import (
    OutputExistsError,
    OutputFolderMissingError,
    SameAsInputError,
    UserFacingError,
    atomic_path,
    atomic_write,
    check_output_path,
    com_text,
    csv_safe,
    excel_safe,
    save_workbook_atomic,
    set_text,
)

REPO = Path(__file__).resolve().parents[2]


# ---------------------------------------------------------------- check_output_path

def test_new_output_is_accepted(tmp_path):
    out = tmp_path / "bao_cao.xlsx"
    assert check_output_path(out) == out


def test_existing_output_needs_force(tmp_path):
    out = tmp_path / "bao_cao.xlsx"
    out.write_bytes(b"old")
    with pytest.raises(OutputExistsError) as err:
        check_output_path(out)
    assert isinstance(err.value, UserFacingError)
    assert "đã tồn tại" in err.value.message and "--force" in err.value.message
    assert check_output_path(out, force=True) == out


def test_output_equal_to_book_needs_in_place(tmp_path):
    book = tmp_path / "so_theo_doi.xlsx"
    book.write_bytes(b"book")
    with pytest.raises(SameAsInputError) as err:
        check_output_path(book, source=book)
    assert "--in-place" in err.value.message
    # --force is not enough to overwrite the input book
    with pytest.raises(SameAsInputError):
        check_output_path(book, source=book, force=True)
    assert check_output_path(book, source=book, in_place=True) == book


def test_same_book_through_another_spelling_is_detected(tmp_path, monkeypatch):
    book = tmp_path / "so.xlsx"
    book.write_bytes(b"book")
    monkeypatch.chdir(tmp_path)
    with pytest.raises(SameAsInputError):
        check_output_path(Path("./so.xlsx"), source=book)
    link = tmp_path / "link.xlsx"
    link.symlink_to(book)
    with pytest.raises(SameAsInputError):
        check_output_path(link, source=book, force=True)


def test_different_existing_output_with_source_still_needs_force(tmp_path):
    book = tmp_path / "so.xlsx"
    out = tmp_path / "out.xlsx"
    book.write_bytes(b"book")
    out.write_bytes(b"out")
    with pytest.raises(OutputExistsError):
        check_output_path(out, source=book, in_place=True)
    assert check_output_path(out, source=book, force=True) == out


def test_missing_folder_and_folder_as_output(tmp_path):
    with pytest.raises(OutputFolderMissingError) as err:
        check_output_path(tmp_path / "khong_co" / "a.xlsx")
    assert "không tồn tại" in err.value.message
    with pytest.raises(OutputFolderMissingError) as err:
        check_output_path(tmp_path, force=True)
    assert "thư mục" in err.value.message


# ---------------------------------------------------------------- atomic writing

def _leftovers(folder: Path, keep: set[str]) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name not in keep)


def test_atomic_write_bytes_and_callable(tmp_path):
    out = tmp_path / "a.bin"
    atomic_write(out, b"first")
    assert out.read_bytes() == b"first"
    atomic_write(out, lambda fh: fh.write("thứ hai".encode()))
    assert out.read_text(encoding="utf-8") == "thứ hai"
    assert _leftovers(tmp_path, {"a.bin"}) == []


def test_exception_mid_write_keeps_old_file_and_removes_temp(tmp_path):
    out = tmp_path / "bang_luong.xlsx"
    out.write_bytes(b"old payroll")

    def crashing_writer(fh):
        fh.write(b"half of the new file")
        fh.flush()
        # the temp file exists next to the target while writing
        assert any(p.name.startswith(".bang_luong.xlsx.") for p in tmp_path.iterdir())
        raise RuntimeError("disk full")

    with pytest.raises(RuntimeError, match="disk full"):
        atomic_write(out, crashing_writer)
    assert out.read_bytes() == b"old payroll"
    assert _leftovers(tmp_path, {"bang_luong.xlsx"}) == []


def test_process_killed_mid_write_keeps_old_file(tmp_path):
    """A real crash (SIGKILL while writing): the old file is untouched."""
    out = tmp_path / "bao_cao.xlsx"
    out.write_bytes(b"old report")
    script = textwrap.dedent(
        f"""
        import os, signal, sys
        sys.path.insert(0, {str(REPO)!r})
        from xl_support.book.fileio import atomic_write
        def writer(fh):
            fh.write(b"x" * 100_000)
            fh.flush()
            os.kill(os.getpid(), signal.SIGKILL)
        atomic_write({str(out)!r}, writer)
        """
    )
    proc = subprocess.run([sys.executable, "-c", script], timeout=30)
    assert proc.returncode == -signal.SIGKILL
    assert out.read_bytes() == b"old report"


def test_atomic_write_keeps_permissions_of_replaced_file(tmp_path):
    out = tmp_path / "a.txt"
    out.write_bytes(b"old")
    os.chmod(out, 0o640)
    atomic_write(out, b"new")
    assert out.read_bytes() == b"new"
    assert out.stat().st_mode & 0o777 == 0o640


def test_atomic_path_gives_a_same_folder_temp_with_the_extension(tmp_path):
    out = tmp_path / "x.xlsx"
    with atomic_path(out) as tmp:
        assert tmp.parent == tmp_path and tmp.suffix == ".xlsx"
        tmp.write_bytes(b"data")
        assert not out.exists()
    assert out.read_bytes() == b"data"
    with pytest.raises(ValueError):
        with atomic_path(out) as tmp:
            tmp.write_bytes(b"other")
            raise ValueError("stop")
    assert out.read_bytes() == b"data"
    assert _leftovers(tmp_path, {"x.xlsx"}) == []


def test_atomic_write_rejects_other_data(tmp_path):
    out = tmp_path / "a"
    with pytest.raises(TypeError):
        atomic_write(out, "text is not bytes")
    assert not out.exists() and _leftovers(tmp_path, set()) == []


def test_save_workbook_atomic_round_trip(tmp_path):
    out = tmp_path / "book.xlsx"
    wb = openpyxl.Workbook()
    wb.active["A1"] = "Họ và tên"
    wb.active["B1"] = 1_500_000
    save_workbook_atomic(wb, out)
    back = openpyxl.load_workbook(out)
    assert back.active["A1"].value == "Họ và tên"
    assert back.active["B1"].value == 1_500_000
    assert _leftovers(tmp_path, {"book.xlsx"}) == []


# ---------------------------------------------------------------- formula injection

@pytest.mark.parametrize(
    "text, expected",
    [
        ("=HYPERLINK(\"http://x\",\"y\")", "'=HYPERLINK(\"http://x\",\"y\")"),
        ("+84912345678", "'+84912345678"),
        ("-2+3", "'-2+3"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\t=1", "'\t=1"),
        ("\r=1", "'\r=1"),
        ("\uff1d1+1", "'\uff1d1+1"),
        ("Nguyễn Văn An", "Nguyễn Văn An"),
        ("Tổ 1 - khu A", "Tổ 1 - khu A"),
        ("", ""),
    ],
)
def test_csv_safe(text, expected):
    assert csv_safe(text) == expected


def test_csv_safe_leaves_numbers_alone():
    assert csv_safe(-1_500_000) == -1_500_000
    assert csv_safe(None) is None


def test_excel_safe_cleans_text():
    assert excel_safe("a\x00b\x07c\nd\te") == "abc\nd\te"
    assert len(excel_safe("x" * 40_000)) == 32_767
    assert excel_safe(5) == 5


def test_com_text():
    assert com_text("=1+1") == "'=1+1"
    assert com_text("-") == "'-"
    assert com_text("An") == "An"
    assert com_text(12) == 12


def test_plain_openpyxl_would_store_a_formula():
    """The risk being guarded: openpyxl turns user text "=..." into a formula."""
    ws = openpyxl.Workbook().active
    ws["A1"] = "=1+1"
    assert ws["A1"].data_type == "f"


USER_TEXTS = ["=1+1", "+1+1", "-1+1", "@SUM(1,1)", "=HYPERLINK(\"http://example.com\",\"x\")"]


def _injection_book(path: Path) -> None:
    wb = openpyxl.Workbook()
    ws = wb.active
    for i, text in enumerate(USER_TEXTS, start=1):
        set_text(ws.cell(row=i, column=1), text)
    ws.cell(row=len(USER_TEXTS) + 1, column=1, value="=1+1")  # a real formula, as a control
    set_text(ws.cell(row=len(USER_TEXTS) + 2, column=1), "Nguyễn Văn An")
    save_workbook_atomic(wb, path)


def test_set_text_reads_back_as_literal_text(tmp_path):
    path = tmp_path / "inj.xlsx"
    _injection_book(path)
    ws = openpyxl.load_workbook(path).active
    for i, text in enumerate(USER_TEXTS, start=1):
        cell = ws.cell(row=i, column=1)
        assert cell.value == text and cell.data_type == "s"
        assert cell.quotePrefix
    assert ws.cell(row=len(USER_TEXTS) + 1, column=1).data_type == "f"
    plain = ws.cell(row=len(USER_TEXTS) + 2, column=1)
    assert plain.value == "Nguyễn Văn An" and not plain.quotePrefix


def test_libreoffice_does_not_evaluate_user_text(tmp_path):
    path = tmp_path / "inj.xlsx"
    _injection_book(path)
    subprocess.run(
        ["soffice", "--headless", f"-env:UserInstallation=file://{tmp_path}/lo_profile",
         "--convert-to", "csv", "--outdir", str(tmp_path), str(path)],
        check=True, capture_output=True, timeout=120,
    )
    with open(tmp_path / "inj.csv", encoding="utf-8", newline="") as fh:
        cells = [row[0] if row else "" for row in csv.reader(fh)]
    assert cells[: len(USER_TEXTS)] == USER_TEXTS
    assert cells[len(USER_TEXTS)] == "2"  # the control formula *is* evaluated
