"""The administrative layout every printed document shares (ND 30/2020 blocks, tables, print
setup, page breaks that keep headings, tables and signatures whole), numbers in Vietnamese
words, and `xlsx`, the fast writer of the exported documents.

May import `book` and `engine`; never `operations` nor `build`.
"""
