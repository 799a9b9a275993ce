"""`build-bundle -o DIR`: the offline install bundle for ward PCs (issue 14; design.md command line).

`HoTroNQ-<version>-win64.zip` holds:
- `wheels/`: this project's wheel and every dependency as win_amd64 (or pure) wheels for CPython
  3.11, 3.12 and 3.13, fetched with pip's `--platform` options;
- `cai-dat.cmd`: finds Python 3.11–3.13, makes the venv `%LOCALAPPDATA%\\HoTroNQ\\venv` (the path
  the workbooks' `Interpreter_Win` names: `book.template_layout`), installs with `--no-index
  --find-links wheels` (nothing downloads), copies the add-in into the user's AddIns folder and
  prints what to tick in Excel;
- `Template.xlsm`, `HoTroNQ.xlam` once `build-addin` has made it, and `HUONG-DAN.pdf` (the guide
  sheet printed by LibreOffice).

pip evaluates environment markers for the machine it runs on, not for `--platform`: from Linux,
`pywin32; platform_system == "Windows"` (xlwings) is left out. So after
pip's download the Windows closure is walked here with the markers of Windows CPython 3.1x
(`missing_for_windows`) and what is missing is downloaded too, until nothing is.
"""
from __future__ import annotations

import io
import os
import shutil
import subprocess
import sys
import tempfile
import time
import zipfile
from email.parser import Parser
from pathlib import Path

from xl_support.book.template_layout import VENV_DIR_WIN
from xl_support.build import resources

PYTHONS = ("3.11", "3.12", "3.13")
PLATFORM = "win_amd64"
DIST = "hp-support"
WHEELS = "wheels"
INSTALLER = "cai-dat.cmd"
GUIDE_PDF = "HUONG-DAN.pdf"
ZIP_DATE = (2026, 1, 1, 0, 0, 0)


# ---------------------------------------------------------------- the Windows closure

def windows_environment(python: str) -> dict[str, str]:
    """PEP 508 marker values of 64-bit CPython `python` ("3.12") on Windows."""
    return {"os_name": "nt", "sys_platform": "win32", "platform_machine": "AMD64",
            "platform_python_implementation": "CPython", "platform_system": "Windows",
            "platform_release": "10", "platform_version": "10.0.19045", "python_version": python,
            "python_full_version": f"{python}.0", "implementation_name": "cpython",
            "implementation_version": f"{python}.0"}


def _wheel_tags(python: str) -> set:
    from packaging import tags
    version = tuple(int(p) for p in python.split("."))
    interpreter = f"cp{version[0]}{version[1]}"
    return {*tags.cpython_tags(version, abis=[interpreter, "abi3", "none"], platforms=[PLATFORM]),
            *tags.compatible_tags(version, interpreter, platforms=[PLATFORM])}


def wheels_for(folder: Path, python: str) -> dict[str, tuple]:
    """Normalised project name → (version, path) of the wheels in `folder` that CPython `python` on
    win_amd64 can install."""
    from packaging.utils import parse_wheel_filename
    supported = _wheel_tags(python)
    found = {}
    for path in sorted(folder.glob("*.whl")):
        name, version, _, wheel_tags = parse_wheel_filename(path.name)
        if wheel_tags & supported:
            found[name] = (version, path)
    return found


def _requires(path: Path) -> list[str]:
    with zipfile.ZipFile(path) as zf:
        meta = next(n for n in zf.namelist() if n.endswith(".dist-info/METADATA") and n.count("/") == 1)
        message = Parser().parsestr(zf.read(meta).decode("utf-8"))
    return message.get_all("Requires-Dist") or []


def missing_for_windows(folder: Path, python: str, root: str = DIST) -> list[str]:
    """Requirements of `root`'s install on Windows CPython `python` that no wheel in `folder`
    satisfies (markers evaluated for Windows, extras followed); [] = the bundle is complete."""
    from packaging.requirements import Requirement
    from packaging.utils import canonicalize_name

    env = windows_environment(python)
    have = wheels_for(folder, python)
    missing: list[str] = []
    todo = [Requirement(root)]
    seen: set[tuple[str, frozenset]] = set()
    while todo:
        req = todo.pop()
        name = canonicalize_name(req.name)
        found = have.get(name)
        if found is None or not req.specifier.contains(found[0], prereleases=True):
            extras = f"[{','.join(sorted(req.extras))}]" if req.extras else ""
            missing.append(f"{req.name}{extras}{req.specifier}")     # without its marker: pip would apply it here
            continue
        key = (name, frozenset(req.extras))
        if key in seen:
            continue
        seen.add(key)
        for text in _requires(found[1]):
            dep = Requirement(text)
            extras = req.extras or {""}
            if dep.marker is None or any(dep.marker.evaluate({**env, "extra": e}) for e in extras):
                todo.append(dep)
    return sorted(set(missing))


# ---------------------------------------------------------------- fetching

def _pip(*args: str) -> None:
    cmd = [sys.executable, "-m", "pip", *args]
    proc = subprocess.run(cmd, capture_output=True, text=True,
                          env={**os.environ, "PIP_NO_INPUT": "1", "PIP_DISABLE_PIP_VERSION_CHECK": "1"})
    if proc.returncode != 0:
        from xl_support.book.fileio import UserFacingError
        tail = "\n".join((proc.stdout + proc.stderr).strip().splitlines()[-15:])
        raise UserFacingError(f"pip không chạy được ({' '.join(args[:2])} …):\n{tail}")


def project_wheel(dest: Path) -> Path:
    """This project's wheel, built from the checkout (`pip wheel --no-deps`)."""
    from xl_support import __version__
    from xl_support.book.fileio import UserFacingError
    root = resources.checkout_root()
    if root is None:
        raise UserFacingError("build-bundle cần chạy từ mã nguồn của dự án (thư mục có pyproject.toml và "
                              "workbook/), không từ gói đã cài.")
    with tempfile.TemporaryDirectory(prefix="hp-wheel-") as tmp:
        _pip("wheel", "--no-deps", "--quiet", "--wheel-dir", tmp, str(root))
        built = sorted(Path(tmp).glob(f"hp_support-{__version__}-*.whl"))
        if not built:
            raise UserFacingError(f"không thấy gói hp_support-{__version__} sau khi dựng")
        shutil.rmtree(root / "build", ignore_errors=True)   # setuptools' work folder in the checkout
        return Path(shutil.copy2(built[0], dest / built[0].name))


def fetch_wheels(dest: Path, requirement: str) -> None:
    """`requirement` and everything it needs, for each CPython in PYTHONS on win_amd64, into `dest`."""
    for python in PYTHONS:
        target = ["--only-binary=:all:", "--platform", PLATFORM, "--python-version", python,
                  "--implementation", "cp", "--find-links", str(dest), "--dest", str(dest), "--quiet"]
        _pip("download", *target, requirement)
        for _ in range(5):          # Windows-only dependencies pip skipped (see the module docstring)
            missing = missing_for_windows(dest, python)
            if not missing:
                break
            _pip("download", *target, *missing)
        else:
            from xl_support.book.fileio import UserFacingError
            raise UserFacingError(f"thiếu gói cho Python {python}: {', '.join(missing)}")


# ---------------------------------------------------------------- installer and guide

def installer_text(version: str, addin: bool) -> str:
    """cai-dat.cmd (CRLF, UTF-8 after `chcp 65001`); everything it installs is in the bundle."""
    lo, hi = PYTHONS[0], PYTHONS[-1]
    checks = " ".join(reversed(PYTHONS))
    addin_lines = f"""
if not exist "%~dp0HoTroNQ.xlam" goto :no_addin
if not exist "%APPDATA%\\Microsoft\\AddIns" mkdir "%APPDATA%\\Microsoft\\AddIns"
copy /y "%~dp0HoTroNQ.xlam" "%APPDATA%\\Microsoft\\AddIns\\HoTroNQ.xlam" >nul || (
  echo Không chép được add-in: hãy đóng Excel rồi chạy lại cai-dat.cmd.
  goto :fail
)
echo [3/3] Đã chép add-in HoTroNQ.xlam vào %APPDATA%\\Microsoft\\AddIns
echo.
echo Trong Excel: File ^> Options ^> Add-ins ^> Manage: Excel Add-ins ^> Go... ^> đánh dấu «HoTroNQ» ^> OK.
echo Thẻ «Hỗ trợ NQ» xuất hiện trên thanh ribbon.
goto :done
:no_addin""" if addin else "\n:no_addin"
    text = f"""@echo off
chcp 65001 >nul
setlocal EnableExtensions
rem Cài hp-support {version} cho người dùng này, không cần mạng, không cần quyền quản trị.
rem Python: %LOCALAPPDATA%\\HoTroNQ\\venv (Interpreter_Win của Template.xlsm và HoTroNQ.xlam).
set "VENV={VENV_DIR_WIN}"
set "WHEELS=%~dp0{WHEELS}"
echo Cài đặt hp-support {version} – hỗ trợ NQ 55/2025 và NQ 04/2026, Hải Phòng
echo.

set "PY="
for %%V in ({checks}) do if not defined PY py -%%V -c "import sys" >nul 2>&1 && set "PY=py -%%V"
if not defined PY python -c "import sys; sys.exit(not ((3, 11) <= sys.version_info[:2] <= (3, 13)))" >nul 2>&1 && set "PY=python"
if not defined PY (
  echo Không tìm thấy Python {lo} đến {hi} trên máy này.
  echo Hãy cài Python {hi} từ bộ cài python.org ^(chọn «Add python.exe to PATH»^) rồi chạy lại cai-dat.cmd.
  goto :fail
)
echo [1/3] Dùng Python: %PY%

if exist "%VENV%\\Scripts\\python.exe" "%VENV%\\Scripts\\python.exe" -c "import sys; sys.exit(not ((3, 11) <= sys.version_info[:2] <= (3, 13)))" >nul 2>&1 || (
  if exist "%VENV%" rmdir /s /q "%VENV%"
)
if not exist "%VENV%\\Scripts\\python.exe" (
  %PY% -m venv "%VENV%" || goto :fail
)
"%VENV%\\Scripts\\python.exe" -m pip install --no-index --find-links "%WHEELS%" --disable-pip-version-check --upgrade --quiet {DIST}=={version} || (
  echo Cài gói không thành công: xem thông báo ở trên.
  goto :fail
)
for /f "delims=" %%I in ('"%VENV%\\Scripts\\hp-support.exe" --version') do echo [2/3] Đã cài %%I vào %VENV%
{addin_lines}
echo [3/3] Bộ cài này không có add-in: dùng Template.xlsm ^(có sẵn thẻ «Hỗ trợ NQ»^).
:done
echo.
echo Sổ mẫu: chép Template.xlsm vào thư mục làm việc và thêm thư mục đó vào Trusted Locations
echo ^(Excel ^> File ^> Options ^> Trust Center ^> Trust Center Settings ^> Trusted Locations^).
echo Hướng dẫn đầy đủ: HUONG-DAN.pdf
echo.
pause
exit /b 0
:fail
echo.
pause
exit /b 1
"""
    return text.replace("\r\n", "\n").replace("\n", "\r\n")


def guide_pdf(dest: Path) -> Path:
    """HUONG-DAN.pdf: the template's guide sheet alone, printed by LibreOffice (A4, as in Excel)."""
    import openpyxl

    from xl_support.book.fileio import UserFacingError
    from xl_support.build import guide, template
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    if soffice is None:
        raise UserFacingError("cần LibreOffice (soffice) để in HUONG-DAN.pdf: cài libreoffice-calc rồi chạy lại")
    with tempfile.TemporaryDirectory(prefix="hp-guide-") as tmp:
        wb = openpyxl.Workbook()
        ws = wb.active
        ws.title = template.GUIDE_SHEET
        template._guide_sheet(ws, template._styles(), guide.read_interpretations())
        source = Path(tmp) / "HUONG-DAN.xlsx"
        wb.save(source)
        profile = Path(tmp) / "profile"
        proc = subprocess.run([soffice, f"-env:UserInstallation={profile.as_uri()}", "--headless", "--norestore",
                               "--convert-to", "pdf", "--outdir", tmp, str(source)],
                              capture_output=True, text=True, timeout=180,
                              env={**os.environ, "HOME": str(profile), "SAL_USE_VCLPLUGIN": "svp"})
        pdf = Path(tmp) / "HUONG-DAN.pdf"
        if proc.returncode != 0 or not pdf.is_file():
            raise UserFacingError(f"LibreOffice không in được hướng dẫn: {proc.stderr.strip()[-500:]}")
        return Path(shutil.copy2(pdf, dest / GUIDE_PDF))


# ---------------------------------------------------------------- the zip

def _zip(files: dict[str, Path | bytes]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for name in sorted(files, key=lambda n: (n.startswith(WHEELS + "/"), n)):
            data = files[name]
            info = zipfile.ZipInfo(name, ZIP_DATE)
            info.compress_type = zipfile.ZIP_STORED if name.endswith(".whl") else zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            zf.writestr(info, data if isinstance(data, bytes) else data.read_bytes())
    return buf.getvalue()


def build_bundle(out_dir: str | Path, *, force: bool = False, log=print) -> Path:
    """Write DIR/HoTroNQ-<version>-win64.zip (see the module docstring); returns its path."""
    from xl_support import __version__
    from xl_support.book.fileio import atomic_write, check_output_path

    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    out = check_output_path(out_dir / resources.bundle_name(), force=force)
    template, addin = resources.template_path(), resources.addin_path()
    with tempfile.TemporaryDirectory(prefix="hp-bundle-") as tmp:
        wheels = Path(tmp) / WHEELS
        wheels.mkdir()
        log(f"Dựng gói {DIST} {__version__}…")
        own = project_wheel(wheels)
        log(f"Tải các gói phụ thuộc cho Windows 64 bit, Python {', '.join(PYTHONS)}…")
        fetch_wheels(wheels, f"{DIST}=={__version__}")
        log("In HUONG-DAN.pdf bằng LibreOffice…")
        pdf = guide_pdf(Path(tmp))
        files: dict[str, Path | bytes] = {
            INSTALLER: installer_text(__version__, addin.is_file()).encode("utf-8"),
            GUIDE_PDF: pdf,
            template.name: template,
            **{f"{WHEELS}/{p.name}": p for p in sorted(wheels.glob("*.whl"))},
        }
        if addin.is_file():
            files[addin.name] = addin
        assert f"{WHEELS}/{own.name}" in files
        return atomic_write(out, _zip(files))


def run_cli(args) -> int:
    """`build-bundle -o DIR [--force]`."""
    started = time.perf_counter()
    path = build_bundle(args.out_dir, force=args.force, log=lambda m: print(m, file=sys.stderr))
    size = path.stat().st_size / 1e6
    print(f"Đã lập {path} ({size:.1f} MB, {time.perf_counter() - started:.0f} giây)", file=sys.stderr)
    return 0
