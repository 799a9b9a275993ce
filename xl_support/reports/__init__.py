"""Report writers (city report, D03-TS insurance list, payroll, public list, budget).

``layout`` holds the administrative blocks every report is built from (header, title, table,
place/date and signatures, print setup)."""
