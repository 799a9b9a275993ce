"""The administrative layout every printed document shares (ND 30/2020 blocks, tables, print
setup) and numbers in Vietnamese words.

May import `book` and `engine`; never `operations` nor `build`.
"""
