"""Call worksheet functions through xlwings' COM-server path on Linux.

design.md, "How we test what Excel would do" → "UDFs through the production path":
Excel's VBA wrapper (``xlwings_udfs`` module) calls ``XLPython.CallUDF`` in
``xlwings.com_server``, which calls ``xlwings.udfs.call_udf``; that converts every
argument with ``xlwings.conversion.read`` (the ``excel`` engine's cleaning: COM dates
→ ``datetime``, error codes → ``None``, ``@xw.arg`` options such as ``ndim``), runs
the function and converts the result with ``conversion.write``. This module makes that
exact code importable here:

- the Windows-only modules it imports (``pywintypes``, ``pythoncom``, ``win32api``,
  ``win32com.client`` …, and ``ctypes.windll/oledll``) get minimal fakes, only what
  import needs; nothing of Excel is faked beyond the argument values;
- the real decorators ``xlwings.udfs.xlfunc/xlarg/xlret/xlsub`` replace ``xw.func/
  arg/ret/sub`` (off Windows those are no-ops) before a UDF module is imported.

Arguments are given as Excel's COM hands them over (see :func:`excel_arg`). Range
arguments arrive as values (a 2-D tuple), not as a COM ``Range``: options that need
the range itself (``expand=``, a ``caller`` argument, async functions) are not
supported here.

Reusable outside tests (no test-only dependency): :func:`install`,
:func:`load_udf_module`, :func:`generate_vba` and :func:`udf_specs`; the template
builder can copy them (it needs only the stubs and the swapped decorators).
"""

from __future__ import annotations

import ctypes
import datetime as dt
import importlib
import io
import os
import sys
import types
from typing import Any, Sequence

os.environ.setdefault("XLWINGS_LICENSE_KEY", "noncommercial")

__all__ = [
    "MISSING",
    "XlError",
    "call",
    "call_raw",
    "column",
    "excel_arg",
    "generate_vba",
    "install",
    "load_udf_module",
    "udf_specs",
]

# What pywin32 hands over for an omitted optional argument (VT_ERROR DISP_E_PARAMNOTFOUND).
_MISSING_CODE = -2147352572
# Excel's COM error codes for error cells (xlwings._xlwindows.cell_errors).
_ERROR_CODES = {
    "#DIV/0!": -2146826281,
    "#N/A": -2146826246,
    "#NAME?": -2146826259,
    "#NULL!": -2146826288,
    "#NUM!": -2146826252,
    "#REF!": -2146826265,
    "#VALUE!": -2146826273,
}


class _Missing:
    def __repr__(self) -> str:
        return "MISSING"


MISSING = _Missing()
"""An optional argument left out in the formula (``=HP_BENEFIT(A2)``)."""


class XlError(str):
    """An error cell's value (``XlError("#N/A")``); COM passes it as an int code."""


# ---------------------------------------------------------------------------
# pywin32 stubs (only what importing xlwings.udfs / _xlwindows / com_server needs)
# ---------------------------------------------------------------------------


class _TimeType(dt.datetime):
    """``pywintypes.TimeType``: pywin32's datetime subclass for VT_DATE values."""


class _ComError(Exception):
    pass


class _Anything:
    """Callable attribute bag standing in for COM helpers never called on this path."""

    def __init__(self, name: str = "stub"):
        self._name = name

    def __getattr__(self, item: str) -> "_Anything":
        if item.startswith("__"):
            raise AttributeError(item)
        return _Anything(f"{self._name}.{item}")

    def __call__(self, *args: Any, **kwargs: Any) -> "_Anything":
        return _Anything(f"{self._name}()")

    def __getitem__(self, item: Any) -> "_Anything":
        return _Anything(f"{self._name}[]")

    def __repr__(self) -> str:
        return f"<stub {self._name}>"


def _module(name: str, **attrs: Any) -> types.ModuleType:
    mod = types.ModuleType(name)
    mod.__dict__.update(attrs)
    mod.__stub__ = True
    return mod


def _not_wrapped(obj: Any) -> Any:
    """``win32com.server.util.unwrap``: raises for anything that is not a wrapped
    Python object, which is every argument Excel passes."""
    raise ValueError("not a wrapped Python object")


def _install_pywin32_stubs() -> None:
    try:
        import pywintypes  # noqa: F401  (real pywin32 on Windows)

        return
    except ImportError:
        pass

    class _UTC:
        @staticmethod
        def utc() -> dt.tzinfo:
            return dt.timezone.utc

    class _Dispatch:  # win32com.client.Dispatch et al. are never reached here
        def __init__(self, *args: Any, **kwargs: Any):
            raise RuntimeError("COM is not available on this machine")

    win32com = _module("win32com")
    client = _module(
        "win32com.client",
        CDispatch=type("CDispatch", (), {}),
        CoClassBaseClass=type("CoClassBaseClass", (), {}),
        DispatchBaseClass=type("DispatchBaseClass", (), {}),
        Dispatch=_Dispatch,
        DispatchEx=_Dispatch,
    )
    server = _module("win32com.server")
    stubs = {
        "pywintypes": _module(
            "pywintypes",
            TimeType=_TimeType,
            com_error=_ComError,
            error=_ComError,
            IID=lambda s: s,
        ),
        "pythoncom": _module(
            "pythoncom",
            CoInitialize=lambda: None,
            IID_IDispatch="{00020400-0000-0000-C000-000000000046}",
            TypeIIDs={"{00020400-0000-0000-C000-000000000046}": type("PyIDispatch", (), {})},
            LOCALE_USER_DEFAULT=0x400,
            __file__="pythoncom-stub",
        ),
        "win32api": _module("win32api"),
        "win32con": _module("win32con"),
        "win32gui": _module("win32gui"),
        "win32process": _module("win32process"),
        "win32event": _module("win32event"),
        "win32timezone": _module("win32timezone", TimeZoneInfo=_UTC),
        "win32com": win32com,
        "win32com.client": client,
        "win32com.server": server,
        "win32com.server.dispatcher": _module("win32com.server.dispatcher"),
        "win32com.server.policy": _module("win32com.server.policy"),
        "win32com.server.util": _module("win32com.server.util", unwrap=_not_wrapped),
    }
    win32com.client = client
    win32com.server = server
    server.dispatcher = stubs["win32com.server.dispatcher"]
    server.policy = stubs["win32com.server.policy"]
    server.util = stubs["win32com.server.util"]
    for name, mod in stubs.items():
        sys.modules.setdefault(name, mod)
    # ctypes on Linux has no Windows DLL loaders; _xlwindows imports them by name.
    for attr in ("windll", "oledll"):
        if not hasattr(ctypes, attr):
            setattr(ctypes, attr, _Anything(f"ctypes.{attr}"))


_installed = False


def install() -> None:
    """Make ``xlwings.udfs.call_udf`` and ``com_server`` work here (idempotent).

    Stubs pywin32, imports ``xlwings._xlwindows`` and registers its engine as
    ``excel`` (the engine ``conversion.read/write`` use for UDF values), and swaps the
    real decorators in for ``xw.func/arg/ret/sub``.
    """
    global _installed
    if _installed:
        return
    _install_pywin32_stubs()
    import xlwings
    from xlwings import main

    # _xlwindows loads pythoncom's DLL at import (PyDLL(pythoncom.__file__)); lend it
    # a stub loader for the duration of that import only.
    real_pydll = ctypes.PyDLL
    if getattr(sys.modules["pythoncom"], "__stub__", False):
        ctypes.PyDLL = lambda *a, **k: _Anything("PyDLL(pythoncom)")
    try:
        xlwindows = importlib.import_module("xlwings._xlwindows")
    finally:
        ctypes.PyDLL = real_pydll
    if "excel" not in xlwings.engines.engines_by_name:
        # Registered, not activated: xw.apps / xw.books keep their engine.
        xlwings.engines.add(main.Engine(impl=xlwindows.engine))
    udfs = importlib.import_module("xlwings.udfs")
    importlib.import_module("xlwings.com_server")
    xlwings.func = udfs.xlfunc
    xlwings.arg = udfs.xlarg
    xlwings.ret = udfs.xlret
    xlwings.sub = udfs.xlsub
    xlwings.script = udfs.xlsub
    _installed = True


def _has_xlfuncs(module: types.ModuleType) -> bool:
    return any(hasattr(getattr(module, n), "__xlfunc__") for n in dir(module))


def load_udf_module(module_name: str) -> types.ModuleType:
    """Import ``module_name`` with the real decorators (re-importing it if it was
    imported earlier with the no-op ones) and register it where ``call_udf`` looks."""
    install()
    from xlwings import udfs

    module = sys.modules.get(module_name)
    if module is None:
        module = importlib.import_module(module_name)
    elif not _has_xlfuncs(module):
        # Imported earlier with the no-op decorators: re-run the package's submodules
        # (deepest first) and then the module, so re-exported functions are decorated.
        prefix = module_name + "."
        subs = sorted(
            (n for n in list(sys.modules) if n.startswith(prefix)), key=lambda n: -n.count(".")
        )
        for sub in subs:
            importlib.reload(sys.modules[sub])
        module = importlib.reload(module)
    if not _has_xlfuncs(module):
        raise LookupError(f"{module_name} defines no @xw.func functions")
    udfs.udf_modules.pop(module_name, None)
    udfs.get_udf_module(module_name, None)
    return module


# ---------------------------------------------------------------------------
# Calling
# ---------------------------------------------------------------------------


def _com_value(value: Any) -> Any:
    """One cell value as pywin32 delivers it from Excel."""
    if value is None or isinstance(value, (bool, str)) and not isinstance(value, XlError):
        return value
    if isinstance(value, XlError):
        return _ERROR_CODES[str(value)]
    if isinstance(value, dt.datetime):
        return _TimeType(
            value.year, value.month, value.day, value.hour, value.minute, value.second,
            value.microsecond, tzinfo=dt.timezone.utc,
        )
    if isinstance(value, dt.date):
        return _TimeType(value.year, value.month, value.day, tzinfo=dt.timezone.utc)
    if isinstance(value, (int, float)):
        return float(value)  # every Excel number is a double
    raise TypeError(f"Excel cannot hold {value!r}")


def excel_arg(value: Any) -> Any:
    """An argument as Excel's COM passes it to ``call_udf``.

    - a scalar is one cell (or a literal): ``date``/``datetime`` → pywin32 datetime
      (what a date cell gives), ``int``/``float`` → ``float``, ``None`` → an empty
      cell, ``XlError("#N/A")`` → the COM error code, ``MISSING`` → an omitted
      optional argument;
    - a list/tuple of rows is a range: a tuple of tuples, 2-D even for one column;
      a 1×1 range collapses to its value (``Range.Value`` of one cell).
    A literal date typed in the formula is a float serial in Excel: pass the float.
    """
    if value is MISSING:
        return _MISSING_CODE
    if isinstance(value, (list, tuple)):
        rows = [row if isinstance(row, (list, tuple)) else (row,) for row in value]
        if any(len(r) != len(rows[0]) for r in rows):
            raise ValueError("a range argument must be rectangular")
        matrix = tuple(tuple(_com_value(v) for v in row) for row in rows)
        if len(matrix) == 1 and len(matrix[0]) == 1:
            return matrix[0][0]
        return matrix
    return _com_value(value)


def _from_com(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        return dt.datetime(
            value.year, value.month, value.day, value.hour, value.minute, value.second,
            value.microsecond,
        )
    if isinstance(value, list):
        return [_from_com(v) for v in value]
    return value


def call_raw(module_name: str, func_name: str, *excel_args: Any) -> Any:
    """``xlwings.udfs.call_udf(...)``'s own return value (a 2-D list), tz stripped."""
    load_udf_module(module_name)
    from xlwings import udfs

    args = tuple(excel_arg(a) for a in excel_args)
    return _from_com(udfs.call_udf(module_name, func_name, args, None, None))


def call(module_name: str, func_name: str, *excel_args: Any) -> Any:
    """Call ``module_name.func_name`` exactly as a worksheet cell would.

    Goes through ``com_server.XLPython.CallUDF`` → ``udfs.call_udf``; returns what
    Excel receives: a scalar for a 1×1 result, a list for one row, a list of rows
    otherwise; dates as naive ``datetime``; ``""`` where the cell shows nothing.
    """
    load_udf_module(module_name)
    from xlwings import com_server

    args = tuple(excel_arg(a) for a in excel_args)
    return _from_com(com_server.XLPython().CallUDF(module_name, func_name, args, None, None))


# ---------------------------------------------------------------------------
# The VBA wrapper module
# ---------------------------------------------------------------------------


class _Workbook:
    """What ``generate_vba_wrapper`` reads from the workbook: its ``Name`` only."""

    def __init__(self, name: str):
        self.Name = name


def generate_vba(module_name: str, *, workbook_name: str = "Template.xlsm") -> str:
    """The ``xlwings_udfs`` VBA module text for ``module_name``, as ``import_udfs``
    writes it before ``VBComponents.Import`` (``Attribute VB_Name`` line included,
    ``\\n`` line ends; a .bas file for Excel wants ``\\r\\n``).

    Several modules: pass ``"a;b"`` like the ``UDF Modules`` setting.
    """
    from xlwings.utils import VBAWriter

    install()
    from xlwings import udfs

    out = io.StringIO()
    vba = VBAWriter(out)
    vba.writeln('Attribute VB_Name = "xlwings_udfs"')
    vba.writeln("'Autogenerated code by xlwings - changes will be lost with next import!")
    vba.writeln("""#Const App = "Microsoft Excel" 'Adjust when using outside of Excel""")
    for name in module_name.split(";"):
        module = load_udf_module(name)
        udfs.generate_vba_wrapper(name, module, out, _Workbook(workbook_name))
    return out.getvalue()


def udf_specs(module_name: str) -> list[dict]:
    """Per function what ``import_udfs`` passes to ``Application.MacroOptions``:
    ``name``, ``description`` (docstring, ≤255), ``category``, ``arg_names``,
    ``arg_descriptions`` (each ``doc=``, ≤255), ``volatile``."""
    module = load_udf_module(module_name)
    specs = []
    for attr in dir(module):
        info = getattr(getattr(module, attr), "__xlfunc__", None)
        if info is None:
            continue
        args = [a for a in info["args"] if not a["vba"]]
        specs.append(
            {
                "name": info["name"],
                "description": info["ret"]["doc"][:255],
                "category": info["category"],
                "arg_names": [a["name"] for a in args],
                "arg_descriptions": [a["doc"][:255] for a in args],
                "volatile": info["volatile"],
            }
        )
    return specs


def column(values: Sequence[Any]) -> list[list[Any]]:
    """``[a, b, c]`` → ``[[a], [b], [c]]``: a column range for :func:`call`."""
    return [[v] for v in values]
