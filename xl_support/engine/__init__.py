"""The law as code and data: dated parameters, policy tables, rules R1–R14, R11, schedules, basis
texts, status messages, and `data/*.csv` (parameters, groups, header synonyms, the 114 units).

May import: the standard library, numpy, pandas. Never another floor of `xl_support`, nothing
that reads Excel files (openpyxl, python-calamine) and never xlwings.
"""
