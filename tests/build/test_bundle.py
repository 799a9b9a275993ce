"""The offline bundle for ward PCs (issue 14): one build per test session (it downloads the
Windows wheels from the package index and prints the guide with LibreOffice), then what a ward
PC would do with it, as far as Linux can tell: pip resolves the whole install from the bundle
alone for win_amd64 and each CPython, the Windows-only dependencies are there, the installer
and the workbooks agree on where Python is."""
import os
import re
import shutil
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import openpyxl
import pytest

from xl_support import __version__
from xl_support.book.template_layout import INTERPRETER_WIN, VENV_DIR_WIN
from xl_support.build import bundle as B
from xl_support.build import resources


@pytest.fixture(scope="session")
def built(tmp_path_factory):
    out = tmp_path_factory.mktemp("bundle")
    started = time.perf_counter()
    path = B.build_bundle(out, log=lambda m: None)
    seconds = time.perf_counter() - started
    print(f"\nbundle: {path.name} {path.stat().st_size / 1e6:.1f} MB in {seconds:.1f} s")
    folder = out / "giai-nen"
    with zipfile.ZipFile(path) as zf:
        zf.extractall(folder)
    return path, folder


def test_name_and_contents(built):
    path, folder = built
    assert path.name == f"HoTroNQ-{__version__}-win64.zip"
    top = sorted(p.name for p in folder.iterdir())
    expected = {"cai-dat.cmd", "HUONG-DAN.pdf", "Template.xlsm", "wheels"}
    assert expected <= set(top) and set(top) - expected <= {"HoTroNQ.xlam"}
    assert ("HoTroNQ.xlam" in top) == resources.addin_path().is_file()
    assert (folder / "Template.xlsm").read_bytes() == resources.template_path().read_bytes()
    assert (folder / "wheels" / f"hp_support-{__version__}-py3-none-any.whl").is_file()
    for whl in (folder / "wheels").glob("*.whl"):
        assert whl.name.endswith(("-none-any.whl", "-win_amd64.whl")), whl.name


@pytest.mark.parametrize("python", B.PYTHONS)
def test_pip_resolves_the_whole_install_from_the_bundle_alone(built, python, tmp_path):
    """pip, offline (--no-index, no config), for 64-bit Windows CPython `python`."""
    _, folder = built
    env = {k: v for k, v in os.environ.items() if not k.startswith("PIP_")}
    proc = subprocess.run([sys.executable, "-m", "pip", "--isolated", "download", "--no-index", "--find-links",
                           str(folder / "wheels"), "--only-binary=:all:", "--platform", "win_amd64", "--python-version",
                           python, "--implementation", "cp", "--dest", str(tmp_path), f"hp-support=={__version__}"],
                          capture_output=True, text=True, env=env)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    resolved = {p.name for p in tmp_path.glob("*.whl")}
    tag = f"cp{python.replace('.', '')}"
    assert {n.split("-")[0] for n in resolved} >= {"hp_support", "xlwings", "numpy", "openpyxl"}
    assert not any(n.startswith("pandas-") for n in resolved)    # no command needs it; xlwings would import it
    assert any(n.startswith("xlwings-0.37.8-") and tag in n for n in resolved)
    # pip applies markers for the machine it runs on: the Windows-only ones are checked here.
    assert B.missing_for_windows(folder / "wheels", python) == []
    wheels = [p.name for p in (folder / "wheels").glob("*.whl")]
    assert any(n.startswith("pywin32-") and f"-{tag}-" in n for n in wheels)     # xlwings on Windows


def test_a_missing_windows_dependency_is_found(built, tmp_path):
    _, folder = built
    for whl in (folder / "wheels").glob("*.whl"):
        if not whl.name.startswith("pywin32-"):
            shutil.copy(whl, tmp_path)
    assert B.missing_for_windows(tmp_path, "3.12") == ["pywin32>=224"]


def test_the_installer_and_the_workbooks_agree_on_python(built, tmp_path):
    _, folder = built
    raw = (folder / "cai-dat.cmd").read_bytes()
    assert raw.count(b"\r\n") == raw.count(b"\n") and raw.startswith(b"@echo off\r\nchcp 65001")
    text = raw.decode("utf-8")
    assert f'set "VENV={VENV_DIR_WIN}"' in text and INTERPRETER_WIN == VENV_DIR_WIN + r"\Scripts\pythonw.exe"
    assert '-m venv "%VENV%"' in text
    assert '--no-index --find-links "%WHEELS%" --disable-pip-version-check' in text and f"hp-support=={__version__}" in text
    assert "http" not in text.lower()                     # nothing downloads on the ward PC
    assert "py -%%V" in text and "3.13 3.12 3.11" in text
    assert r"%APPDATA%\Microsoft\AddIns" in B.installer_text(__version__, addin=True)
    assert "Manage: Excel Add-ins" in B.installer_text(__version__, addin=True)
    from python_calamine import CalamineWorkbook     # reads an add-in too (openpyxl refuses its content type)
    assert (folder / "HoTroNQ.xlam").is_file()
    for book in (folder / "Template.xlsm", folder / "HoTroNQ.xlam"):
        rows = CalamineWorkbook.from_path(str(book)).get_sheet_by_name("xlwings.conf").to_python()
        values = {r[0]: r[1] for r in rows}
        assert values["Interpreter_Win"] == INTERPRETER_WIN, book.name


def test_the_guide_pdf_is_vietnamese_and_tells_how_to_install(built, tmp_path):
    _, folder = built
    text = subprocess.run(["pdftotext", "-layout", str(folder / "HUONG-DAN.pdf"), "-"], capture_output=True,
                          text=True, check=True).stdout
    flat = re.sub(r"\s+", " ", text)
    assert "HƯỚNG DẪN SỬ DỤNG SỔ THEO DÕI HỖ TRỢ XÃ HỘI" in flat
    assert "cai-dat.cmd" in flat and f"HoTroNQ-{__version__}-win64.zip" in flat and "Trusted Locations" in flat
    assert "pip install" not in flat


def test_an_existing_bundle_is_not_overwritten(built):
    path, _ = built
    from xl_support.book.fileio import UserFacingError
    with pytest.raises(UserFacingError):
        B.build_bundle(path.parent)
