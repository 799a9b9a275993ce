"""Test harnesses that stand in for Excel on Linux (design.md, "How we test what
Excel would do").

- ``remote``: run a macro on a real ``xw.Book`` through xlwings' remote engine and
  replay its actions onto an openpyxl workbook.
- ``udf_host``: call worksheet functions through ``xlwings.udfs.call_udf`` exactly as
  the COM server does (pywin32 stubbed).
- ``render``: LibreOffice headless → PDF → PNG / text.

xlwings' remote engine is xlwings PRO (PolyForm Noncommercial); the licence key must
be in the environment *before* xlwings is first imported, so it is set here.
"""

import os

os.environ.setdefault("XLWINGS_LICENSE_KEY", "noncommercial")
