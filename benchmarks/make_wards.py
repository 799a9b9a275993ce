"""Generate ward workbooks for the consolidation benchmark, fast.

A few base workbooks are written with `xl_support.sample.write_sample_book` (one per unit type
and seed); each unit's file is a copy of a base whose strings are edited (openpyxl writes inline strings): the unit name
of the `Tham số` sheet, and the ID prefix (so IDs differ between units: no false duplicates).
Files are cached in a folder and reused when their stamp matches.
"""
from __future__ import annotations

import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from xl_support.book.workbook import units  # noqa: E402
from xl_support.build.sample import write_sample_book  # noqa: E402

SEEDS = 2


def _base(folder: Path, unit_type: str, seed: int, rows: int) -> tuple[Path, str]:
    name = {"Phường": "Phường Đồ Sơn", "Xã": "Xã An Hưng", "Đặc khu": "Đặc khu Cát Hải"}[unit_type]
    path = folder / "bases" / f"{unit_type}_{seed}_{rows}.xlsx".replace(" ", "_")
    if not path.exists():
        path.parent.mkdir(exist_ok=True)
        write_sample_book(path, unit=name, unit_type=unit_type, n55=rows * 7 // 10, n04=rows - rows * 7 // 10,
                          seed=seed)
    return path, name


def _copy_with(base: Path, out: Path, old_unit: str, new_unit: str, id_prefix: str) -> None:
    with zipfile.ZipFile(base) as zin, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            data = zin.read(info)
            if info.filename.startswith("xl/worksheets/") or info.filename == "xl/sharedStrings.xml":
                data = data.replace(f"<t>{old_unit}</t>".encode(), f"<t>{new_unit}</t>".encode())
                data = data.replace(b"<t>031", f"<t>{id_prefix}".encode())
            zout.writestr(info, data)


def make_wards(folder: str | Path, rows: int = 1000, count: int = 114) -> list[Path]:
    """`count` ward workbooks of `rows` register rows each (the first `count` units)."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    out = []
    for k, unit in enumerate(units()[:count]):
        path = folder / f"{k + 1:03d}_{rows}.xlsx"
        if not path.exists():
            base, old = _base(folder, unit.type, k % SEEDS + 1, rows)
            _copy_with(base, path, old, unit.full_name, f"{100 + k:03d}")
        out.append(path)
    return out


if __name__ == "__main__":
    import tempfile
    files = make_wards(Path(tempfile.gettempdir()) / "hp_wards")
    print(f"{len(files)} tệp trong {files[0].parent}")
