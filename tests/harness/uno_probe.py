"""LibreOffice UNO probe: open a workbook headless and print what LibreOffice saw, as JSON.

Run with Debian's ``/usr/bin/python3`` (python3-uno), never the project venv:

    /usr/bin/python3 tests/harness/uno_probe.py BOOK.xlsm [FILTER_NAME]

FILTER_NAME names LibreOffice's import filter where its type detection does not know the file
(an .xlam add-in: "Calc MS Excel 2007 VBA XML").

Prints ``{"sheets": [...], "code_names": {...}, "basic_libraries": [...],
"vba_project": name, "vba_modules": {name: source}}`` where ``vba_modules`` are the modules
LibreOffice imported into the document's Basic library named after the VBA project. Starts its
own soffice with a private profile and pipe name (safe to run in parallel) and stops it
afterwards.
"""

import json
import os
import subprocess
import sys
import tempfile
import time
import uuid

import uno  # noqa: F401  (Debian python3-uno)
from com.sun.star.beans import PropertyValue
from com.sun.star.connection import NoConnectException


def _prop(name, value):
    p = PropertyValue()
    p.Name, p.Value = name, value
    return p


def _connect(pipe, proc, timeout=60.0):
    local = uno.getComponentContext()
    resolver = local.ServiceManager.createInstanceWithContext(
        "com.sun.star.bridge.UnoUrlResolver", local)
    deadline = time.time() + timeout
    while True:
        try:
            return resolver.resolve(
                f"uno:pipe,name={pipe};urp;StarOffice.ComponentContext")
        except NoConnectException:
            if proc.poll() is not None or time.time() > deadline:
                raise
            time.sleep(0.3)


def probe(path, filter_name=None):
    path = os.path.abspath(path)
    with tempfile.TemporaryDirectory(prefix="uno_probe_") as profile:
        pipe = "probe_" + uuid.uuid4().hex
        proc = subprocess.Popen(
            ["soffice", "--headless", "--invisible", "--nologo", "--norestore",
             "--nodefault", "--nolockcheck",
             f"-env:UserInstallation=file://{profile}",
             f"--accept=pipe,name={pipe};urp;"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            ctx = _connect(pipe, proc)
            smgr = ctx.ServiceManager
            desktop = smgr.createInstanceWithContext("com.sun.star.frame.Desktop", ctx)
            # MacroExecMode 4 = ALWAYS_EXECUTE_NO_WARN: VBA code is imported, not blocked.
            doc = desktop.loadComponentFromURL(
                uno.systemPathToFileUrl(path), "_blank", 0,
                (_prop("Hidden", True), _prop("MacroExecMode", 4))
                + ((_prop("FilterName", filter_name),) if filter_name else ()))
            if doc is None:
                raise RuntimeError(f"LibreOffice could not open {path}")
            result = {"sheets": list(doc.Sheets.ElementNames)}
            result["code_names"] = {
                n: doc.Sheets.getByName(n).getPropertyValue("CodeName")
                for n in doc.Sheets.ElementNames}
            libs = doc.BasicLibraries
            result["basic_libraries"] = list(libs.ElementNames)
            modules = {}
            # The library is named after the VBA project ("VBAProject" unless renamed, e.g. an add-in's).
            names = [n for n in libs.ElementNames if n != "Standard"]
            project = "VBAProject" if "VBAProject" in names else (names[0] if names else None)
            result["vba_project"] = project
            if project is not None:
                libs.loadLibrary(project)
                lib = libs.getByName(project)
                for name in lib.ElementNames:
                    modules[name] = lib.getByName(name)
            result["vba_modules"] = modules
            doc.close(True)
            try:
                desktop.terminate()
            except Exception:  # the bridge drops while soffice exits
                pass
        finally:
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
    return result


if __name__ == "__main__":
    if len(sys.argv) not in (2, 3):
        sys.exit("usage: /usr/bin/python3 tests/harness/uno_probe.py BOOK [FILTER_NAME]")
    print(json.dumps(probe(*sys.argv[1:]), ensure_ascii=False))
