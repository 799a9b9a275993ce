"""Handlers of the core commands (the others live beside the code they run)."""
from __future__ import annotations

import sys

from .compute import compute as compute_op
from .fileio import check_output_path
from .ports import OpenpyxlPort


def compute(args) -> int:
    """`compute BOOK --month YYYY-MM -o OUT` (design.md): fill the five columns, write atomically."""
    out = check_output_path(args.out, source=args.book, force=args.force, in_place=args.in_place)
    port = OpenpyxlPort(args.book)
    results = compute_op(port, args.month)
    port.save(out)
    rows = sum(len(r.register.frame) for r in results)
    total = sum(int(r.res.benefit.sum()) for r in results)
    print(f"Đã tính {rows} dòng trong {len(results)} sổ; tổng mức hỗ trợ tháng: {total:,} đồng → {out}"
          .replace(",", "."), file=sys.stderr)
    return 0
