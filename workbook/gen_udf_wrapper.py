"""Generate workbook/src/xlwings_udfs.bas from the `udfs` package (a committed, generated source).

The template embeds this module so the HP_ formulas work on first open, without xlwings'
"Import Functions" (which needs the Trust Center's "access to the VBA project object model").
xlwings writes it with ``xlwings.udfs.generate_vba_wrapper``; on Linux that needs pywin32
stubbed and the real decorators swapped in, which ``tests/harness/udf_host.generate_vba`` does
(design.md "The workbook and how it is built"). The builder (xl_support.template) only reads the
generated file, so xl_support never imports xlwings; tests/build/test_template.py checks the committed
file equals a fresh generation.

    python workbook/gen_udf_wrapper.py          # rewrite workbook/src/xlwings_udfs.bas
    python workbook/gen_udf_wrapper.py --check  # exit 1 when the committed file is stale
"""
from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TARGET = ROOT / "workbook" / "src" / "xlwings_udfs.bas"
UDF_MODULES = "udfs"          # the xlwings.conf "UDF Modules" value
WORKBOOK_NAME = "Template.xlsm"


def generate() -> str:
    """The module text with CRLF line ends, as a .bas export for Excel."""
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    from tests.harness.udf_host import generate_vba

    text = generate_vba(UDF_MODULES, workbook_name=WORKBOOK_NAME)
    lines = text.replace("\r\n", "\n").split("\n")
    while lines and lines[-1] == "":
        lines.pop()
    return "\r\n".join(lines) + "\r\n"


def main(argv: list[str]) -> int:
    fresh = generate()
    if "--check" in argv:
        current = TARGET.read_bytes().decode("ascii") if TARGET.exists() else ""
        if current != fresh:
            print(f"{TARGET} is stale: run python workbook/gen_udf_wrapper.py", file=sys.stderr)
            return 1
        return 0
    TARGET.write_bytes(fresh.encode("ascii"))
    print(f"wrote {TARGET} ({len(fresh.splitlines())} lines)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
