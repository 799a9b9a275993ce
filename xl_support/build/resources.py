"""Where the product's files are: the one place that knows (issue 14).

The repository keeps them in `workbook/` (Template.xlsm, the add-in HoTroNQ.xlam, the VBA and
ribbon sources in `workbook/src/`) and `docs/` (interpretation.md, read by the guide); the wheel
carries the same files as `xl_support/_shipped/workbook` and `xl_support/_shipped/docs`
(setup.py maps the folders, one copy in the repository). Every command finds them here, from
any working folder:

- in a checkout (editable install, tests, `python -m xl_support` beside the sources) the
  repository's folders are used, so an edit of a source is seen at once, and the build commands
  write their outputs back into `workbook/`;
- in an installed wheel the packaged copies are used (read-only: `build-template` and
  `build-addin` then need `-o`).
"""
from __future__ import annotations

from importlib import resources
from pathlib import Path

TEMPLATE_NAME = "Template.xlsm"
ADDIN_NAME = "HoTroNQ.xlam"
INTERPRETATION_NAME = "interpretation.md"


def bundle_name(version: str | None = None) -> str:
    """The offline install bundle's file name (`build-bundle`; named on the guide sheet)."""
    from xl_support import __version__
    return f"HoTroNQ-{version or __version__}-win64.zip"


def _package_dir() -> Path:
    return Path(str(resources.files("xl_support")))


def checkout_root() -> Path | None:
    """The repository root when xl_support runs from a checkout (its sources beside it), else None."""
    root = _package_dir().parent
    if (root / "pyproject.toml").is_file() and (root / "workbook" / "src").is_dir():
        return root
    return None


def _shipped(name: str) -> Path:
    """A folder of shipped files: the repository's in a checkout, else the wheel's copy."""
    root = checkout_root()
    if root is not None:
        return root / name
    return _package_dir() / "_shipped" / name


def workbook_dir() -> Path:
    """Template.xlsm, HoTroNQ.xlam (build outputs) and `src/` (their sources)."""
    return _shipped("workbook")


def source_dir() -> Path:
    """The VBA modules and ribbon XML the builds read (`workbook/src`)."""
    return workbook_dir() / "src"


def source(name: str) -> bytes:
    """One source file of `workbook/src` (e.g. Ribbon.bas, customUI.xml)."""
    return (source_dir() / name).read_bytes()


def template_path() -> Path:
    """The built template shipped with this version."""
    return workbook_dir() / TEMPLATE_NAME


def addin_path() -> Path:
    """The built add-in (may not exist: it is built by `build-addin`)."""
    return workbook_dir() / ADDIN_NAME


def docs_dir() -> Path:
    return _shipped("docs")


def interpretation_path() -> Path:
    """docs/interpretation.md, shown on the guide sheet (domain.md: every [decision] in the workbook)."""
    return docs_dir() / INTERPRETATION_NAME


def default_build_output(name: str) -> Path | None:
    """Where `build-template` / `build-addin` write without `-o`: the checkout's `workbook/NAME`;
    None when installed from a wheel (the package folder is not the place for outputs)."""
    root = checkout_root()
    return root / "workbook" / name if root is not None else None
