"""An .xlsx/.xlsm package as parts (zip name → bytes): read, write reproducibly, and keep the
column-form `HP_` formulas Excel 365 dynamic arrays after an openpyxl save (``cm="1"`` +
``xl/metadata.xml``, ECMA-376 §18.9 + [MS-XLSX] 2.6.x)."""
from __future__ import annotations

import io
import re
import zipfile
from pathlib import Path

from xl_support.book.lazy_re import Pattern

ZIP_DATE = (1980, 1, 1, 0, 0, 0)
METADATA_PART = "xl/metadata.xml"
METADATA_CT = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheetMetadata+xml"
METADATA_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/sheetMetadata"
METADATA_XML = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<metadata xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
    'xmlns:xda="http://schemas.microsoft.com/office/spreadsheetml/2017/dynamicarray">'
    '<metadataTypes count="1"><metadataType name="XLDAPR" minSupportedVersion="120000" copy="1" '
    'pasteAll="1" pasteValues="1" merge="1" splitFirst="1" rowColShift="1" clearFormats="1" '
    'clearComments="1" assign="1" coerce="1" cellMeta="1"/></metadataTypes>'
    '<futureMetadata name="XLDAPR" count="1"><bk><extLst>'
    '<ext uri="{bdbb8cdc-fa1e-496e-a857-3c3f30c029c3}">'
    '<xda:dynamicArrayProperties fDynamic="1" fCollapsed="0"/></ext></extLst></bk></futureMetadata>'
    '<cellMetadata count="1"><bk><rc t="1" v="0"/></bk></cellMetadata></metadata>'
)
# A single-cell array formula calling a column-form HP_ function (as openpyxl writes it).
_DYNAMIC_CELL = Pattern(
    r'<c r="([A-Z]+\d+)"((?:(?! cm=)[^>])*)>(<f t="array" ref="\1"[^>]*>(?:HP_BENEFIT|HP_TOPUP|'
    r'HP_INSURANCE|HP_END_DATE|HP_BASIS)\()')
def mark_dynamic_arrays(parts: dict[str, bytes]) -> int:
    """Make every single-cell array formula of an HP_ column function an Excel 365 dynamic array
    (``cm="1"`` + the XLDAPR metadata part, its relationship and content type). In place on
    ``parts`` (zip name → bytes); returns the number of cells marked. Idempotent: use it after any
    openpyxl save of a workbook holding these formulas (openpyxl drops ``cm`` and metadata.xml)."""
    count = 0
    for name in [n for n in parts if n.startswith("xl/worksheets/sheet") and n.endswith(".xml")]:
        text = parts[name].decode("utf-8")
        new, n = _DYNAMIC_CELL.subn(r'<c r="\1"\2 cm="1">\3', text)
        if n:
            parts[name] = new.encode("utf-8")
            count += n
    marked = count or any(b' cm="1"' in v for k, v in parts.items() if k.startswith("xl/worksheets/"))
    if marked and METADATA_PART not in parts:
        parts[METADATA_PART] = METADATA_XML.encode("utf-8")
        ct = parts["[Content_Types].xml"].decode("utf-8")
        parts["[Content_Types].xml"] = ct.replace(
            "</Types>", f'<Override PartName="/{METADATA_PART}" ContentType="{METADATA_CT}"/></Types>').encode()
        rels = parts["xl/_rels/workbook.xml.rels"].decode("utf-8")
        ids = [int(i) for i in re.findall(r'Id="rId(\d+)"', rels)]
        rel = f'<Relationship Id="rId{max(ids, default=0) + 1}" Type="{METADATA_REL}" Target="metadata.xml"/>'
        parts["xl/_rels/workbook.xml.rels"] = rels.replace("</Relationships>", rel + "</Relationships>").encode()
    return count


def read_parts(data: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        return {info.filename: zf.read(info) for info in zf.infolist()}


def write_parts(parts: dict[str, bytes]) -> bytes:
    """A zip with constant dates/attributes and a canonical entry order (`[Content_Types].xml`,
    `_rels/.rels`, then by name; openpyxl copies the VBA parts in set order): same parts → same
    bytes."""
    first = {"[Content_Types].xml": 0, "_rels/.rels": 1}
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for name in sorted(parts, key=lambda n: (first.get(n, 2), n)):
            data = parts[name]
            info = zipfile.ZipInfo(name, ZIP_DATE)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.create_system = 0
            info.external_attr = 0
            zf.writestr(info, data, compress_type=zipfile.ZIP_DEFLATED, compresslevel=6)
    return buf.getvalue()


def save_xlsm(wb, path: str | Path) -> Path:
    """Save an openpyxl workbook made from the template, keeping its dynamic-array formulas."""
    from xl_support.book.fileio import atomic_write
    buf = io.BytesIO()
    wb.save(buf)
    parts = read_parts(buf.getvalue())
    mark_dynamic_arrays(parts)
    data = write_parts(parts)
    return atomic_write(path, data)


