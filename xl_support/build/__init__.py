"""Building `Template.xlsm` (sheets, guide, VBA project: MS-OVBA, CFB) and sample data and demo
books.

May import `operations`, `documents`, `book` and `engine`; nothing imports `build` but the
command line and the tests.
"""
