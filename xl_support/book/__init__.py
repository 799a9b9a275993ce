"""Workbooks in and out: safe opening, the register schema and cell values, the book port and its
openpyxl adapter, owned sheets, the package (zip parts) writer, atomic writes, text helpers, the
template's layout contract, Excel argument conversion for the worksheet functions.

Knows cells, not the rules' meaning beyond the typed columns. May import `engine`; never
`documents`, `operations`, `build` nor xlwings.
"""
