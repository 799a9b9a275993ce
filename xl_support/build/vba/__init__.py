"""Tools to produce the workbook's VBA project without Excel.

- :mod:`.ovba`: MS-OVBA compression (``compress``/``decompress``).
- :mod:`.cfb`: a minimal Compound File Binary writer (``write_cfb``).
- :mod:`.project`: ``build_vba_project`` (the vbaProject.bin) and ``read_vba_project``.
- :mod:`.xlsm`: ``openpyxl_vba_archive`` (attach the project and the ribbon to an openpyxl save).
"""

from xl_support.build.vba.cfb import write_cfb
from xl_support.build.vba.ovba import compress, decompress
from xl_support.build.vba.project import (
    VbaProject,
    ModuleInfo,
    build_vba_project,
    read_vba_project,
    template_document_modules,
    template_vba_bin,
)
from xl_support.build.vba.xlsm import openpyxl_vba_archive

__all__ = [
    "ModuleInfo",
    "VbaProject",
    "build_vba_project",
    "compress",
    "decompress",
    "openpyxl_vba_archive",
    "read_vba_project",
    "template_document_modules",
    "template_vba_bin",
    "write_cfb",
]
