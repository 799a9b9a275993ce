"""Handlers of the commands that are not one operation's own `run_cli`: `compute` and `demo`."""
from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path

DEMO_MONTH = dt.date(2026, 11, 1)
DEMO_WARDS = [("Phường Đồ Sơn", "Phường", 1), ("Phường Phù Liễn", "Phường", 2), ("Xã An Lão", "Xã", 3),
              ("Đặc khu Cát Hải", "Đặc khu", 4)]
DEMO_KINDS = ("city-report", "insurance-list", "payment-list", "public-list", "budget", "coming-changes")


def compute(args) -> int:
    """`compute BOOK --month YYYY-MM -o OUT` (design.md): fill the five columns, write atomically."""
    from xl_support.book.fileio import check_output_path
    from xl_support.book.ports import open_port
    from xl_support.operations.compute import compute as compute_op

    out = check_output_path(args.out, source=args.book, force=args.force, in_place=args.in_place)
    from xl_support.book.workbook import paused_gc
    from xl_support.operations.live_formulas import cache_settings_formulas
    with paused_gc():
        port = open_port(args.book)
        results = compute_op(port, args.month)
        if results:
            port.activate(results[0].register.sheet)
        cache_settings_formulas(port)
        rows = sum(len(r.register.table) for r in results)
        total = sum(int(r.res.benefit.sum()) for r in results)
        month = results[0].res.month if results else args.month
        lists = len(results)
        del results                             # the book is no longer needed while writing
        port.save(out)
    why = "theo --month" if args.month else "tháng báo cáo của sổ, hoặc tháng hiện tại khi sổ không ghi"
    shown = f"tháng {month:%m/%Y} ({why})" if month else "không có danh sách nào"
    print(f"Đã tính {shown}: {rows} dòng trong {lists} danh sách; tổng mức hỗ trợ tháng: {total:,} đồng → {out}"
          .replace(",", "."), file=sys.stderr)
    return 0


DEMO_MARK = ".hp-support-demo"
"""The file that marks a folder as made by `demo`; it lists, one a line, the files demo wrote."""


def _demo_folder(out: Path) -> None:
    """Make OUT ready for a demo run, deleting only what an earlier demo run wrote (issue 14):
    a new or empty folder is used and marked; a marked folder loses the files its mark lists
    (a user's own files there stay); any other existing path is refused."""
    from xl_support.book.fileio import UserFacingError

    mark = out / DEMO_MARK
    if out.exists() and not out.is_dir():
        raise UserFacingError(f"«{out}» là một tệp, không phải thư mục: hãy chọn --out-dir khác.")
    if out.is_dir() and not mark.is_file() and any(out.iterdir()):
        raise UserFacingError(f"Thư mục «{out}» đã có và không phải do demo tạo: demo không ghi vào đó "
                              f"(để không xóa nhầm tệp). Hãy chọn --out-dir khác, chưa có.")
    if mark.is_file():
        for line in mark.read_text("utf-8").splitlines():
            made = out / line
            if line and ".." not in Path(line).parts and made.is_file():
                made.unlink()
        for folder in sorted({p.parent for p in out.rglob("*")} - {out}, key=lambda p: -len(p.parts)):
            if folder.is_dir() and not any(folder.iterdir()):
                folder.rmdir()
    out.mkdir(parents=True, exist_ok=True)
    mark.write_text("", "utf-8")


def _demo_record(out: Path, paths) -> None:
    """List in the mark every file demo wrote (so the next run deletes those and nothing else)."""
    made = sorted(str(p.relative_to(out).as_posix()) for p in paths if p.is_file())
    (out / DEMO_MARK).write_text("".join(f"{m}\n" for m in made), "utf-8")


def demo(args) -> int:
    """`demo`: the main job on the shipped sample, every step through the real command line."""
    from xl_support.__main__ import main
    from xl_support.build.demo_book import write_demo_workbook

    out = Path(args.out_dir)
    _demo_folder(out)
    wards = out / "phuong-gui-len"
    wards.mkdir(exist_ok=True)
    month = f"{DEMO_MONTH:%Y-%m}"
    books = [wards / f"{i}-{unit.removeprefix(kind).strip().replace(' ', '-')}.xlsm"
             for i, (unit, kind, seed) in enumerate(DEMO_WARDS, 1)]
    steps = [
        ["validate", books[0], "-o", out / "1-kiem-tra.xlsm"],
        ["compute", books[0], "--month", month, "-o", out / "2-da-tinh.xlsm"],
        ["summary", books[0], "--month", month, "-o", out / "3-tong-hop.xlsm"],
        *[["export", books[0], "--kind", kind, "--month", month, "-o", out / f"4-{kind}.xlsx"] for kind in DEMO_KINDS],
        ["consolidate", wards, "--month", month, "-o", out / "5-tong-hop-thanh-pho.xlsx"],
        ["close-month", books[0], "--month", month, "-o", out / "6-da-chot-thang.xlsm"],
    ]
    _demo_record(out, [])
    try:
        for path, (unit, kind, seed) in zip(books, DEMO_WARDS):
            write_demo_workbook(path, unit=unit, unit_type=kind, month=DEMO_MONTH, n55=60, n04=30, seed=seed)
        print(f"1. Sổ mẫu của phường: {books[0]}", file=sys.stderr)
        worst = 0
        for step in steps:
            argv = [str(a) for a in step]
            print(f"\n$ hp-support {' '.join(argv)}", file=sys.stderr)
            status = main(argv)
            print(f"→ mã thoát {status}", file=sys.stderr)
            worst = max(worst, 0 if step[0] == "validate" and status == 1 else status)
    finally:
        _demo_record(out, [*books, *(step[-1] for step in steps)])
    print(f"\nKết quả trong {out}/", file=sys.stderr)
    return worst
