"""Attach a vbaProject.bin (and a ribbon) to a workbook saved by openpyxl.

openpyxl copies VBA parts from ``Workbook.vba_archive`` (a zip shaped like an .xlsm) when it
saves: every ``xl/vba*`` and ``customUI*`` part, the vbaProject content-type override, and the
root relationship of type ``…/ui/extensibility``; it then also writes the macro-enabled
workbook content type. :func:`openpyxl_vba_archive` builds that zip in memory.
"""

from __future__ import annotations

import io
import zipfile

VBA_PART = "xl/vbaProject.bin"
CUSTOM_UI_PART = "customUI/customUI.xml"
CUSTOM_UI_REL = "http://schemas.microsoft.com/office/2006/relationships/ui/extensibility"
_FIXED_DATE = (1980, 1, 1, 0, 0, 0)

_CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/xl/vbaProject.bin" ContentType="application/vnd.ms-office.vbaProject"/>'
    "</Types>"
)


def _root_rels(with_ui: bool) -> str:
    rel = (f'<Relationship Id="rIdCustomUI" Type="{CUSTOM_UI_REL}" Target="{CUSTOM_UI_PART}"/>'
           if with_ui else "")
    return ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
            '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            f"{rel}</Relationships>")


def openpyxl_vba_archive(vba_bin: bytes, custom_ui: bytes | None = None) -> zipfile.ZipFile:
    """A zip to assign to ``openpyxl.Workbook().vba_archive`` before ``save('….xlsm')``.

    ``custom_ui``: the UTF-8 ribbon XML (namespace …/office/2006/01/customui), optional."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        parts = [("[Content_Types].xml", _CONTENT_TYPES.encode()),
                 ("_rels/.rels", _root_rels(custom_ui is not None).encode()),
                 (VBA_PART, vba_bin)]
        if custom_ui is not None:
            parts.append((CUSTOM_UI_PART, custom_ui))
        for name, data in parts:
            zf.writestr(zipfile.ZipInfo(name, _FIXED_DATE), data, zipfile.ZIP_DEFLATED)
    buf.seek(0)
    return zipfile.ZipFile(buf)
