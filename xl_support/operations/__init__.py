"""What a button or a command does: compute, validate, summary, exports, consolidate, restore the
live formulas (and the monthly cycle).

May import `documents`, `book` and `engine`; never `build` nor xlwings (the macros pass a book
port in).
"""
