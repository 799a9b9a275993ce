"""The wheel is the product (issue 14): built from the checkout, installed into a fresh venv, every
command run from a folder that is not the checkout, finding the template, the VBA sources and
the guide's text inside the installed package (xl_support.build.resources)."""
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from xl_support import __version__
from xl_support.build import resources
from xl_support.cli import DEMO_KINDS

ROOT = Path(__file__).resolve().parents[2]


def clean_env(**extra) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "VIRTUAL_ENV"))}
    return {**env, "PIP_DISABLE_PIP_VERSION_CHECK": "1", "PIP_NO_INPUT": "1", **extra}


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(out), str(ROOT)],
                   check=True, env=clean_env(), capture_output=True)
    (built,) = out.glob("hp_support-*.whl")
    return built


@pytest.fixture(scope="module")
def venv(wheel, tmp_path_factory) -> Path:
    """A fresh venv with the wheel and its dependencies (from the package index; no .pyc compile)."""
    env = tmp_path_factory.mktemp("venv") / "v"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(env)], check=True)
    python = env / "bin" / "python"
    proc = subprocess.run([sys.executable, "-m", "pip", "--python", str(python), "install", "-q", "--no-compile",
                           str(wheel)], env=clean_env(), capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr[-2000:]
    return env


def hp(venv: Path, cwd: Path, *args) -> subprocess.CompletedProcess:
    return subprocess.run([str(venv / "bin" / "hp-support"), *map(str, args)], cwd=cwd, env=clean_env(),
                          capture_output=True, text=True, timeout=300)


def test_the_wheel_carries_the_workbook_sources_and_docs(wheel):
    names = set(zipfile.ZipFile(wheel).namelist())
    shipped = {"xl_support/_shipped/workbook/Template.xlsm", "xl_support/_shipped/workbook/src/Ribbon.bas",
               "xl_support/_shipped/workbook/src/customUI.xml", "xl_support/_shipped/workbook/src/xlwings_udfs.bas",
               "xl_support/_shipped/docs/interpretation.md", "xl_support/engine/data/parameters.csv"}
    assert shipped <= names
    assert not any(n.endswith("gen_udf_wrapper.py") or n.startswith("tests/") for n in names)
    with zipfile.ZipFile(wheel) as zf:
        assert zf.read("xl_support/_shipped/workbook/Template.xlsm") == resources.template_path().read_bytes()


def test_every_command_from_the_installed_wheel(venv, tmp_path):
    work = tmp_path / "thu-muc-lam-viec"
    work.mkdir()
    where = subprocess.run([str(venv / "bin" / "python"), "-c", "import xl_support, udfs, macros;"
                            "from xl_support.build import resources as r;"
                            "print(xl_support.__file__, r.checkout_root(), r.template_path())"],
                           cwd=work, env=clean_env(), capture_output=True, text=True, check=True).stdout
    assert str(venv) in where and " None " in where and ROOT.as_posix() not in where

    p = hp(venv, work, "--version")
    assert (p.returncode, p.stdout) == (0, f"hp-support {__version__}\n")

    p = hp(venv, work, "build-template")
    assert p.returncode == 2 and "cần -o" in p.stderr and "Traceback" not in p.stderr
    p = hp(venv, work, "build-template", "-o", "mau.xlsm")
    assert p.returncode == 0, p.stderr
    assert (work / "mau.xlsm").read_bytes() == resources.template_path().read_bytes()

    p = hp(venv, work, "demo")
    assert p.returncode == 0, p.stderr
    demo = work / "demo-output"
    books = sorted((demo / "phuong-gui-len").glob("*.xlsm"))
    assert len(books) == 4

    p = hp(venv, work, "validate", books[1], "-o", "kiem-tra.xlsm")
    assert p.returncode in (0, 1) and (work / "kiem-tra.xlsm").is_file(), p.stderr
    p = hp(venv, work, "compute", books[1], "-o", "da-tinh.xlsm")
    assert p.returncode == 0 and "tháng 11/2026 (tháng báo cáo của sổ" in p.stderr, p.stderr
    p = hp(venv, work, "summary", books[1], "--month", "12/2026", "-o", "tong-hop.xlsm")
    assert p.returncode == 0 and (work / "tong-hop.xlsm").is_file(), p.stderr
    for kind in DEMO_KINDS:
        p = hp(venv, work, "export", books[1], "--kind", kind, "--month", "2026-11", "-o", f"{kind}.xlsx")
        assert p.returncode == 0 and (work / f"{kind}.xlsx").is_file(), (kind, p.stderr)
    p = hp(venv, work, "consolidate", demo / "phuong-gui-len", "--month", "2026-11", "-o", "thanh-pho.xlsx")
    assert p.returncode == 0 and (work / "thanh-pho.xlsx").is_file(), p.stderr
    p = hp(venv, work, "export", books[1], "--kind", "budget", "-o", "x.csv")
    assert p.returncode == 2 and "cách dùng:" in p.stderr and ".xlsx" in p.stderr

    import openpyxl
    assert openpyxl.load_workbook(work / "budget.xlsx").properties.version == __version__
