"""Build the workbook's vbaProject.bin from the pinned xlwings wheel's project ([MS-OVBA]).

The template is ``quickstart_standalone.xlsm`` of the installed xlwings wheel. We keep its
project information and references (the ``dir`` stream up to PROJECTMODULES, 2.3.4.2.1-2),
its ``ThisWorkbook`` and ``Dictionary`` modules, drop ``Module1``, refresh ``xlwings`` from the
wheel's ``xlwings.bas`` and add our modules. New and refreshed modules are stored source-only
(MS-OVBA compressed text at MODULEOFFSET 0) and ``_VBA_PROJECT`` is the 7-byte form
``CC 61 FF FF 00 01 00`` (2.3.4.1 with version 0xFFFF), so Excel compiles from source: the form
xlwings itself ships. VBA text is stored in the project's code page (PROJECTCODEPAGE); we only
accept ASCII sources (Vietnamese UI text belongs in the UTF-8 ribbon XML).

xlwings is located with ``importlib.util.find_spec`` (no import: xl_support never imports it).
"""

from __future__ import annotations

import importlib.util
import re
import struct
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Mapping

import olefile

from xl_support.build.vba.cfb import write_cfb
from xl_support.build.vba.ovba import compress, decompress

VBA_PROJECT_SOURCE_ONLY = bytes.fromhex("CC61FFFF000100")
PROCEDURAL, DOCUMENT, CLASS = "procedural", "document", "class"

_ID_PROJECTNAME = 0x0004
_ID_PROJECTVERSION = 0x0009
_ID_PROJECTCODEPAGE = 0x0003
_ID_PROJECTMODULES = 0x000F
_ID_PROJECTCOOKIE = 0x0013
_ID_DIR_TERMINATOR = 0x0010
_ID_MODULENAME = 0x0019
_ID_MODULENAMEUNICODE = 0x0047
_ID_MODULESTREAMNAME = 0x001A
_ID_MODULESTREAMNAME_UNICODE = 0x0032
_ID_MODULEDOCSTRING = 0x001C
_ID_MODULEDOCSTRING_UNICODE = 0x0048
_ID_MODULEOFFSET = 0x0031
_ID_MODULEHELPCONTEXT = 0x001E
_ID_MODULECOOKIE = 0x002C
_ID_TYPE_PROCEDURAL = 0x0021
_ID_TYPE_OTHER = 0x0022
_ID_MODULEREADONLY = 0x0025
_ID_MODULEPRIVATE = 0x0028
_ID_MODULE_TERMINATOR = 0x002B

_IDENTIFIER = re.compile(r"[A-Za-z][A-Za-z0-9_]{0,30}\Z")
_ATTR_NAME = re.compile(r'Attribute VB_Name = "([^"]*)"\Z')


# --------------------------------------------------------------------------- template files

def xlwings_dir() -> Path:
    """Folder of the installed xlwings package (found without importing it)."""
    spec = importlib.util.find_spec("xlwings")
    if spec is None or spec.origin is None:
        raise RuntimeError("xlwings is not installed")
    return Path(spec.origin).parent


def template_vba_bin() -> bytes:
    """``xl/vbaProject.bin`` of the wheel's ``quickstart_standalone.xlsm``."""
    with zipfile.ZipFile(xlwings_dir() / "quickstart_standalone.xlsm") as zf:
        return zf.read("xl/vbaProject.bin")


def xlwings_bas() -> str:
    """The wheel's ``xlwings.bas`` (ASCII, starts with ``Attribute VB_Name = "xlwings"``)."""
    return (xlwings_dir() / "xlwings.bas").read_bytes().decode("ascii")


ADDIN_TEMPLATE = "quickstart_addin_ribbon.xlam"      # `xlwings quickstart --addin --ribbon`


def addin_template_vba_bin() -> bytes:
    """``xl/vbaProject.bin`` of the wheel's ribbon add-in template (``quickstart --addin --ribbon``)."""
    with zipfile.ZipFile(xlwings_dir() / ADDIN_TEMPLATE) as zf:
        return zf.read("xl/vbaProject.bin")


def xlwings_addin_bas(project_name: str = "xlwings") -> str:
    """The add-in flavour of the xlwings module, as the wheel's add-in template carries it.

    It differs from ``xlwings.bas`` (the standalone flavour, where every workbook reference is
    ``ThisWorkbook``) in acting on ``ActiveWorkbook``: ``RunPython`` passes the active workbook as
    the caller (``--wb=ActiveWorkbook.Name``, ``BOOK_CALLER``), and ``GetConfig`` reads the active
    workbook's ``<PROJECT_NAME>.conf`` sheet first, then the add-in's own. ``PROJECT_NAME`` (the
    conf sheet's name without ``.conf``) is set to ``project_name``."""
    source = read_vba_project(addin_template_vba_bin()).module("xlwings").source
    new, n = re.subn(r'(Public Const PROJECT_NAME As String = )"[^"]*"', rf'\1"{project_name}"', source)
    if n != 1:
        raise ValueError("xlwings add-in module: no PROJECT_NAME constant")
    return new


# --------------------------------------------------------------------------- dir stream

@dataclass
class DirModule:
    """One MODULE record (2.3.4.2.3.2) plus the bytes of its module stream."""

    name: str
    stream_name: str
    type_id: int  # 0x0021 procedural, 0x0022 document/class/designer
    offset: int
    stream: bytes = b""
    docstring: bytes = b""
    docstring_unicode: bytes = b""
    help_context: int = 0
    cookie: int = 0xFFFF
    readonly: bool = False
    private: bool = False


@dataclass
class DirStream:
    """Decompressed ``dir`` stream split into the verbatim part before PROJECTMODULES
    (information and references records) and the parsed modules."""

    head: bytes
    code_page: int
    modules: list[DirModule] = field(default_factory=list)
    project_cookie: int = 0xFFFF


def _records(data: bytes):
    """Yield (id, payload, start, end) for each dir record (2.3.4.2); PROJECTVERSION's
    Reserved field is 4 but 6 bytes follow (2.3.4.2.1.11)."""
    pos = 0
    while pos < len(data):
        rid, size = struct.unpack_from("<HI", data, pos)
        start = pos
        pos += 6
        if rid == _ID_PROJECTVERSION:
            size = 6
        payload = data[pos:pos + size]
        if len(payload) != size:
            raise ValueError(f"dir stream: record 0x{rid:04X} truncated")
        pos += size
        yield rid, payload, start, pos


def parse_dir(data: bytes) -> DirStream:
    """Parse a decompressed ``dir`` stream (2.3.4.2)."""
    code_page = None
    head = None
    modules: list[DirModule] = []
    current: dict | None = None
    cookie = 0xFFFF
    count = None
    for rid, payload, start, _end in _records(data):
        if head is None:
            if rid == _ID_PROJECTCODEPAGE:
                (code_page,) = struct.unpack("<H", payload)
            if rid == _ID_PROJECTMODULES:
                head = data[:start]
                (count,) = struct.unpack("<H", payload)
            continue
        if rid == _ID_PROJECTCOOKIE:
            (cookie,) = struct.unpack("<H", payload)
        elif rid == _ID_MODULENAME:
            current = {"name_bytes": payload}
        elif current is None:
            if rid == _ID_DIR_TERMINATOR:
                break
            raise ValueError(f"dir stream: unexpected record 0x{rid:04X}")
        elif rid == _ID_MODULESTREAMNAME:
            current["stream_bytes"] = payload
        elif rid == _ID_MODULEDOCSTRING:
            current["docstring"] = payload
        elif rid == _ID_MODULEDOCSTRING_UNICODE:
            current["docstring_unicode"] = payload
        elif rid == _ID_MODULEOFFSET:
            (current["offset"],) = struct.unpack("<I", payload)
        elif rid == _ID_MODULEHELPCONTEXT:
            (current["help_context"],) = struct.unpack("<I", payload)
        elif rid == _ID_MODULECOOKIE:
            (current["cookie"],) = struct.unpack("<H", payload)
        elif rid in (_ID_TYPE_PROCEDURAL, _ID_TYPE_OTHER):
            current["type_id"] = rid
        elif rid == _ID_MODULEREADONLY:
            current["readonly"] = True
        elif rid == _ID_MODULEPRIVATE:
            current["private"] = True
        elif rid == _ID_MODULE_TERMINATOR:
            modules.append(current)  # type: ignore[arg-type]
            current = None
    if head is None or code_page is None:
        raise ValueError("dir stream: no PROJECTCODEPAGE/PROJECTMODULES record")
    codec = f"cp{code_page}"
    result = DirStream(head=head, code_page=code_page, project_cookie=cookie)
    for m in modules:
        result.modules.append(DirModule(
            name=m["name_bytes"].decode(codec),
            stream_name=m["stream_bytes"].decode(codec),
            type_id=m["type_id"],
            offset=m["offset"],
            docstring=m.get("docstring", b""),
            docstring_unicode=m.get("docstring_unicode", b""),
            help_context=m.get("help_context", 0),
            cookie=m.get("cookie", 0xFFFF),
            readonly=m.get("readonly", False),
            private=m.get("private", False),
        ))
    if count != len(result.modules):
        raise ValueError(f"dir stream: PROJECTMODULES says {count}, found {len(result.modules)}")
    return result


def _rec(rid: int, payload: bytes = b"") -> bytes:
    return struct.pack("<HI", rid, len(payload)) + payload


def encode_dir(d: DirStream) -> bytes:
    """Serialise a DirStream back to decompressed ``dir`` bytes (2.3.4.2.3)."""
    codec = f"cp{d.code_page}"
    out = bytearray(d.head)
    out += _rec(_ID_PROJECTMODULES, struct.pack("<H", len(d.modules)))
    out += _rec(_ID_PROJECTCOOKIE, struct.pack("<H", d.project_cookie))
    for m in d.modules:
        out += _rec(_ID_MODULENAME, m.name.encode(codec))
        out += _rec(_ID_MODULENAMEUNICODE, m.name.encode("utf-16-le"))
        out += _rec(_ID_MODULESTREAMNAME, m.stream_name.encode(codec))
        out += _rec(_ID_MODULESTREAMNAME_UNICODE, m.stream_name.encode("utf-16-le"))
        out += _rec(_ID_MODULEDOCSTRING, m.docstring)
        out += _rec(_ID_MODULEDOCSTRING_UNICODE, m.docstring_unicode)
        out += _rec(_ID_MODULEOFFSET, struct.pack("<I", m.offset))
        out += _rec(_ID_MODULEHELPCONTEXT, struct.pack("<I", m.help_context))
        out += _rec(_ID_MODULECOOKIE, struct.pack("<H", m.cookie))
        out += _rec(m.type_id)
        if m.readonly:
            out += _rec(_ID_MODULEREADONLY)
        if m.private:
            out += _rec(_ID_MODULEPRIVATE)
        out += _rec(_ID_MODULE_TERMINATOR)
    out += _rec(_ID_DIR_TERMINATOR)
    return bytes(out)


# --------------------------------------------------------------------------- PROJECT stream

_MODULE_LINE = re.compile(r"(Document|Module|Class|BaseClass|Package)=(.*)\Z")


def parse_project_kinds(project_text: str) -> dict[str, str]:
    """Module name → kind from the PROJECT stream's ProjectModules lines (2.3.1.4-8)."""
    kinds = {}
    for line in project_text.splitlines():
        m = _MODULE_LINE.match(line)
        if m:
            key, value = m.groups()
            name = value.split("/")[0]
            kinds[name] = {"Document": DOCUMENT, "Module": PROCEDURAL}.get(key, CLASS)
    return kinds


def _project_line(name: str, kind: str) -> str:
    if kind == DOCUMENT:
        return f"Document={name}/&H00000000"
    return f"{'Module' if kind == PROCEDURAL else 'Class'}={name}"


def build_project_stream(template_text: str, modules: list[tuple[str, str]]) -> str:
    """2.3.1: keep the template's ID and properties (Name, CMG/DPB/GC protection state,
    host extenders), replace the module lines and the [Workspace] section."""
    lines = template_text.replace("\r\n", "\n").split("\n")
    out: list[str] = []
    inserted = False
    in_workspace = False
    for line in lines:
        if line.startswith("["):
            in_workspace = line == "[Workspace]"
            if in_workspace:
                continue
        if in_workspace or _MODULE_LINE.match(line):
            continue
        out.append(line)
        if line.startswith("ID=") and not inserted:
            out += [_project_line(n, k) for n, k in modules]
            inserted = True
    if not inserted:
        raise ValueError("PROJECT stream: no ID= line")
    while out and out[-1] == "":
        out.pop()
    out += ["", "[Workspace]"] + [f"{n}=0, 0, 0, 0, C" for n, _ in modules]
    return "\r\n".join(out) + "\r\n"


def build_projectwm(names: list[str], code_page: int) -> bytes:
    """2.3.3 PROJECTwm: each name in MBCS + NUL and UTF-16 + NUL, then a 2-byte terminator."""
    out = bytearray()
    for n in names:
        out += n.encode(f"cp{code_page}") + b"\x00" + n.encode("utf-16-le") + b"\x00\x00"
    return bytes(out + b"\x00\x00")


# --------------------------------------------------------------------------- sources

def _check_name(name: str) -> None:
    if not _IDENTIFIER.match(name):
        raise ValueError(f"invalid VBA module name {name!r}")


def _ascii_crlf(name: str, text: str) -> str:
    """Normalise line endings to CRLF, end with one CRLF; refuse non-ASCII text."""
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    for i, line in enumerate(lines, 1):
        if not line.isascii():
            raise ValueError(f"VBA module {name!r} line {i} is not ASCII: {line!r}")
    while lines and lines[-1] == "":
        lines.pop()
    return "\r\n".join(lines) + "\r\n"


def standard_module_source(name: str, source: str) -> str:
    """Stored text of a standard module: ``Attribute VB_Name = "name"`` then the code.
    ``source`` may be a .bas export (already starting with that line, same name)."""
    _check_name(name)
    text = _ascii_crlf(name, source)
    first, _, rest = text.partition("\r\n")
    m = _ATTR_NAME.match(first)
    if m:
        if m.group(1) != name:
            raise ValueError(f"module {name!r}: source declares VB_Name {m.group(1)!r}")
        return text
    if first.startswith("Attribute VB_"):
        raise ValueError(f"module {name!r}: unexpected attribute line {first!r}")
    return f'Attribute VB_Name = "{name}"\r\n' + text


def _attribute_header(source: str) -> list[str]:
    """Leading ``Attribute VB_*`` lines of a stored module, without VB_Name."""
    header = []
    for line in source.replace("\r\n", "\n").split("\n"):
        if not line.startswith("Attribute VB_"):
            break
        if not line.startswith("Attribute VB_Name"):
            header.append(line)
    return header


def document_module_source(name: str, body: str, header: list[str]) -> str:
    """Stored text of a document module: VB_Name, the template's document attributes
    (VB_Base, VB_PredeclaredId, …), then ``body`` (code only, no attribute lines)."""
    _check_name(name)
    body_text = _ascii_crlf(name, body) if body.strip() else ""
    if body_text.startswith("Attribute VB_"):
        raise ValueError(f"document module {name!r}: give the body without attribute lines")
    return "\r\n".join([f'Attribute VB_Name = "{name}"', *header]) + "\r\n" + body_text


# --------------------------------------------------------------------------- reading

@dataclass(frozen=True)
class ModuleInfo:
    name: str
    kind: str  # PROCEDURAL, DOCUMENT or CLASS
    stream_name: str
    offset: int
    source: str  # decoded with the project's code page, line endings as stored


@dataclass(frozen=True)
class VbaProject:
    code_page: int
    modules: tuple[ModuleInfo, ...]
    project_text: str
    vba_project_stream: bytes

    def names(self) -> list[str]:
        return [m.name for m in self.modules]

    def module(self, name: str) -> ModuleInfo:
        return next(m for m in self.modules if m.name == name)


def read_vba_project(data: bytes) -> VbaProject:
    """Read a vbaProject.bin: modules in dir order with their decompressed sources."""
    with olefile.OleFileIO(data) as ole:
        d = parse_dir(decompress(ole.openstream("VBA/dir").read()))
        codec = f"cp{d.code_page}"
        project_text = ole.openstream("PROJECT").read().decode(codec)
        kinds = parse_project_kinds(project_text)
        modules = []
        for m in d.modules:
            stream = ole.openstream(f"VBA/{m.stream_name}").read()
            kind = PROCEDURAL if m.type_id == _ID_TYPE_PROCEDURAL else kinds.get(m.name, CLASS)
            source = decompress(stream[m.offset:]).decode(codec)
            modules.append(ModuleInfo(m.name, kind, m.stream_name, m.offset, source))
        vba_project = ole.openstream("VBA/_VBA_PROJECT").read()
    return VbaProject(d.code_page, tuple(modules), project_text, vba_project)


def template_document_modules() -> list[str]:
    """Code names of the template's document modules (``ThisWorkbook``, ``Sheet1``, …)."""
    return [m.name for m in read_vba_project(template_vba_bin()).modules if m.kind == DOCUMENT]


# --------------------------------------------------------------------------- building

def _rename_project(head: bytes, code_page: int, name: str) -> bytes:
    """The dir stream's information records with PROJECTNAME (2.3.4.2.1.6) set to ``name``."""
    _check_name(name)
    out = bytearray()
    for rid, _payload, start, end in _records(head):
        out += _rec(rid, name.encode(f"cp{code_page}")) if rid == _ID_PROJECTNAME else head[start:end]
    return bytes(out)


def build_vba_project(
    modules: Mapping[str, str],
    document_modules: Mapping[str, str] | None = None,
    *,
    template: bytes | None = None,
    xlwings_source: str | None = None,
    project_name: str | None = None,
) -> bytes:
    """The vbaProject.bin for the workbook.

    ``modules``: new standard modules, name → VBA source (ASCII; a leading
    ``Attribute VB_Name`` line is optional). ``xlwings`` is always present, refreshed from the
    wheel's ``xlwings.bas``; the template's other standard modules (``Module1``) are dropped.
    ``document_modules``: sheet code name → code body ("" for none). ``None`` keeps the
    template's sheet modules; otherwise the sheet document modules are exactly these, in this
    order (a ``ThisWorkbook`` key replaces the workbook module's body). The ``Dictionary`` class
    module is kept. ``xlwings_source``: the xlwings module's text (default: the wheel's
    ``xlwings.bas``; an add-in passes :func:`xlwings_addin_bas`). ``project_name``: a new VBA
    project name (default: the template's). Same arguments → same bytes.
    """
    template = template_vba_bin() if template is None else template
    with olefile.OleFileIO(template) as ole:
        d = parse_dir(decompress(ole.openstream("VBA/dir").read()))
        codec = f"cp{d.code_page}"
        project_text = ole.openstream("PROJECT").read().decode(codec)
        for m in d.modules:
            m.stream = ole.openstream(f"VBA/{m.stream_name}").read()
    kinds = parse_project_kinds(project_text)
    by_name = {m.name: m for m in d.modules}

    def kind_of(m: DirModule) -> str:
        if m.type_id == _ID_TYPE_PROCEDURAL:
            return PROCEDURAL
        return kinds.get(m.name, CLASS)

    def template_source(m: DirModule) -> str:
        return decompress(m.stream[m.offset:]).decode(codec)

    def fresh(name: str, kind: str, text: str, like: DirModule | None = None) -> DirModule:
        type_id = _ID_TYPE_PROCEDURAL if kind == PROCEDURAL else _ID_TYPE_OTHER
        m = DirModule(name=name, stream_name=name, type_id=type_id, offset=0,
                      stream=compress(text.encode(codec)))
        if like is not None:  # keep docstring/help context of the module it replaces
            m.docstring, m.docstring_unicode = like.docstring, like.docstring_unicode
            m.help_context = like.help_context
        return m

    workbook = next(m for m in d.modules if kind_of(m) == DOCUMENT and m.name == "ThisWorkbook")
    template_sheets = [m for m in d.modules if kind_of(m) == DOCUMENT and m is not workbook]
    classes = [m for m in d.modules if kind_of(m) == CLASS]
    sheet_header = _attribute_header(template_source(template_sheets[0]))
    reserved = {"xlwings", workbook.name.lower()} | {c.name.lower() for c in classes}

    result: list[tuple[DirModule, str]] = []
    docs = dict(document_modules) if document_modules is not None else None
    if docs is not None and "ThisWorkbook" in docs:
        header = _attribute_header(template_source(workbook))
        body = docs.pop("ThisWorkbook")
        result.append((fresh("ThisWorkbook", DOCUMENT,
                             document_module_source("ThisWorkbook", body, header), workbook),
                       DOCUMENT))
    else:
        result.append((workbook, DOCUMENT))
    if docs is None:
        result += [(m, DOCUMENT) for m in template_sheets]
    else:
        for name, body in docs.items():
            if name.lower() in reserved:
                raise ValueError(f"document module name {name!r} is reserved")
            result.append((fresh(name, DOCUMENT,
                                 document_module_source(name, body, sheet_header),
                                 by_name.get(name)), DOCUMENT))
    xlwings_text = xlwings_bas() if xlwings_source is None else xlwings_source
    result.append((fresh("xlwings", PROCEDURAL, standard_module_source("xlwings", xlwings_text),
                         by_name.get("xlwings")), PROCEDURAL))
    for name, source in modules.items():
        if name.lower() in reserved:
            raise ValueError(f"module name {name!r} is reserved")
        result.append((fresh(name, PROCEDURAL, standard_module_source(name, source)), PROCEDURAL))
    result += [(m, CLASS) for m in classes]

    names = [m.name for m, _ in result]
    lowered = [n.lower() for n in names]
    if len(set(lowered)) != len(lowered):
        raise ValueError(f"duplicate module names: {names}")

    d.modules = [m for m, _ in result]
    if project_name is not None:
        d.head = _rename_project(d.head, d.code_page, project_name)
        project_text = re.sub(r'(?m)^Name="[^"]*"', f'Name="{project_name}"', project_text)
    vba_storage: dict[str, bytes] = {
        "_VBA_PROJECT": VBA_PROJECT_SOURCE_ONLY,
        "dir": compress(encode_dir(d)),
    }
    for m in d.modules:
        vba_storage[m.stream_name] = m.stream
    project = build_project_stream(project_text, [(m.name, k) for m, k in result])
    return write_cfb({
        "PROJECT": project.encode(codec),
        "PROJECTwm": build_projectwm(names, d.code_page),
        "VBA": vba_storage,
    })
