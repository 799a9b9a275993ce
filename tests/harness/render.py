"""Render workbooks with a real spreadsheet application (LibreOffice headless).

design.md, "How we test what Excel would do" → "A real spreadsheet application":
``soffice --headless --convert-to pdf`` opens the file like a user would; ``pdftoppm``
turns the PDF into pictures a person can look at; ``pdftotext`` gives its text to
assert on. Needs Debian's ``libreoffice-calc-nogui`` and ``poppler-utils``
(``scripts/setup.sh`` installs them; tests must not skip when they are missing).
"""

from __future__ import annotations

import html
import os
import re
import shutil
import subprocess
import tempfile
from pathlib import Path

__all__ = ["RenderError", "pdf_text", "pdf_to_pngs", "render_pdf", "render_pdfs"]

SOFFICE_TIMEOUT = 120  # seconds; a first start builds the profile (~5-10 s)


class RenderError(RuntimeError):
    """LibreOffice or poppler failed; the message carries their output."""


def _tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        raise RenderError(f"{name} not found: run scripts/setup.sh")
    return path


def render_pdf(xlsx_path: str | os.PathLike, out_dir: str | os.PathLike, *, timeout: float = SOFFICE_TIMEOUT,
               to: str = "pdf") -> Path:
    """Convert ``xlsx_path`` (.xlsx/.xlsm/.ods…) to PDF in ``out_dir``; return the PDF path.
    ``to="xlsx"``: the book as LibreOffice saves it again (what it read, hidden sheets included).

    Each call uses its own LibreOffice profile (``-env:UserInstallation``) so parallel
    runs and a user's open LibreOffice do not clash; the profile is removed afterwards.
    """
    src = Path(xlsx_path).resolve()
    if not src.is_file():
        raise FileNotFoundError(src)
    out = Path(out_dir).resolve()
    out.mkdir(parents=True, exist_ok=True)
    profile = Path(tempfile.mkdtemp(prefix=f"lo_profile_{os.getpid()}_"))
    cmd = [
        _tool("soffice"),
        f"-env:UserInstallation={profile.as_uri()}",
        "--headless",
        "--norestore",
        "--nolockcheck",
        "--convert-to",
        to,
        "--outdir",
        str(out),
        str(src),
    ]
    env = {**os.environ, "HOME": str(profile), "SAL_USE_VCLPLUGIN": "svp"}
    try:
        proc = subprocess.run(
            cmd, stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=timeout, env=env
        )
    except subprocess.TimeoutExpired as exc:
        raise RenderError(f"soffice timed out after {timeout} s on {src.name}") from exc
    finally:
        shutil.rmtree(profile, ignore_errors=True)
    pdf = out / (src.stem + "." + to)
    if proc.returncode != 0 or not pdf.exists():
        raise RenderError(
            f"soffice could not convert {src.name} (exit {proc.returncode}):\n{proc.stdout}\n{proc.stderr}"
        )
    return pdf


def render_pdfs(paths, out_dir: str | os.PathLike, *, timeout: float = 4 * SOFFICE_TIMEOUT) -> dict[Path, Path]:
    """Like `render_pdf` for several files in one LibreOffice start (file stems must differ);
    returns {source: pdf}."""
    srcs = [Path(p).resolve() for p in paths]
    assert len({p.stem for p in srcs}) == len(srcs), "render_pdfs: two files with the same stem"
    out = Path(out_dir).resolve()
    out.mkdir(parents=True, exist_ok=True)
    profile = Path(tempfile.mkdtemp(prefix=f"lo_profile_{os.getpid()}_"))
    cmd = [_tool("soffice"), f"-env:UserInstallation={profile.as_uri()}", "--headless", "--norestore",
           "--nolockcheck", "--convert-to", "pdf", "--outdir", str(out), *map(str, srcs)]
    env = {**os.environ, "HOME": str(profile), "SAL_USE_VCLPLUGIN": "svp"}
    try:
        proc = subprocess.run(cmd, stdin=subprocess.DEVNULL, capture_output=True, text=True,
                              timeout=timeout, env=env)
    except subprocess.TimeoutExpired as exc:
        raise RenderError(f"soffice timed out after {timeout} s on {len(srcs)} files") from exc
    finally:
        shutil.rmtree(profile, ignore_errors=True)
    pdfs = {src: out / (src.stem + ".pdf") for src in srcs}
    missing = [src.name for src, pdf in pdfs.items() if not pdf.exists()]
    if proc.returncode != 0 or missing:
        raise RenderError(f"soffice could not convert {missing} (exit {proc.returncode}):\n{proc.stdout}\n{proc.stderr}")
    return pdfs


def pdf_to_pngs(pdf: str | os.PathLike, out_dir: str | os.PathLike, dpi: int = 60) -> list[Path]:
    """One PNG per page (``<stem>-<n>.png``), in page order."""
    pdf = Path(pdf)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    prefix = out / pdf.stem
    for stale in out.glob(f"{pdf.stem}-*.png"):
        stale.unlink()
    proc = subprocess.run(
        [_tool("pdftoppm"), "-png", "-r", str(dpi), str(pdf), str(prefix)],
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=120,
    )
    if proc.returncode != 0:
        raise RenderError(f"pdftoppm failed on {pdf.name}: {proc.stderr}")
    pages = sorted(
        out.glob(f"{pdf.stem}-*.png"), key=lambda p: int(p.stem.rsplit("-", 1)[1])
    )
    if not pages:
        raise RenderError(f"pdftoppm produced no page for {pdf.name}")
    return pages


def _pdftotext(pdf: str | os.PathLike, mode: str) -> str:
    """``pdftotext <mode> -enc UTF-8`` of the PDF."""
    proc = subprocess.run(
        [_tool("pdftotext"), mode, "-enc", "UTF-8", str(pdf), "-"],
        stdin=subprocess.DEVNULL,
        capture_output=True,
        timeout=120,
    )
    if proc.returncode != 0:
        raise RenderError(f"pdftotext failed on {Path(pdf).name}: {proc.stderr.decode(errors='replace')}")
    return proc.stdout.decode("utf-8")


def pdf_text(pdf: str | os.PathLike) -> str:
    """The PDF's text (``pdftotext -layout``, UTF-8), pages separated by form feeds."""
    return _pdftotext(pdf, "-layout")


def word_heights(pdf: str | os.PathLike, word: str) -> list[tuple[int, float]]:
    """(page, height in points) of each occurrence of `word` (``pdftotext -bbox``): how large a
    page prints its text."""
    out, page = [], 0
    for line in _pdftotext(pdf, "-bbox").splitlines():
        if "<page " in line:
            page += 1
        m = re.search(r'yMin="([\d.]+)" xMax="[\d.]+" yMax="([\d.]+)">([^<]*)</word>', line)
        if m and html.unescape(m[3]) == word:
            out.append((page, float(m[2]) - float(m[1])))
    return out
