"""Tools to produce the workbook's VBA project without Excel.

- :mod:`.ovba`: MS-OVBA compression (``compress``/``decompress``).
- :mod:`.cfb`: a minimal Compound File Binary writer (``write_cfb``).
- :mod:`.project`: ``build_vba_project`` (the vbaProject.bin) and ``read_vba_project``.
"""

from .cfb import write_cfb
from .ovba import compress, decompress
from .project import (
    VbaProject,
    ModuleInfo,
    build_vba_project,
    read_vba_project,
    template_document_modules,
    template_vba_bin,
)

__all__ = [
    "ModuleInfo",
    "VbaProject",
    "build_vba_project",
    "compress",
    "decompress",
    "read_vba_project",
    "template_document_modules",
    "template_vba_bin",
    "write_cfb",
]
