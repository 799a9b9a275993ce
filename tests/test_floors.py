"""The floors of `xl_support` (design.md "Layout"), checked on the source with `ast` (nothing is
imported): the five subpackages exist, the top level holds only the command line, imports point
down, `engine` knows no Excel file reader, nothing in `xl_support` imports xlwings, no cycles."""
import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PKG = ROOT / "xl_support"
FLOORS = ("engine", "book", "documents", "operations", "build")
# floor → the floors it may import (besides itself)
ALLOWED = {
    "engine": set(),
    "book": {"engine"},
    "documents": {"book", "engine"},
    "operations": {"documents", "book", "engine"},
    "build": {"operations", "documents", "book", "engine"},
    "top": set(FLOORS),
}
EXCEL_READERS = {"openpyxl", "python_calamine", "xlwings", "fastexcel", "xlsxwriter"}


def module_name(path: Path) -> str:
    rel = path.relative_to(ROOT).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def modules() -> dict[str, Path]:
    return {module_name(p): p for p in PKG.rglob("*.py")}


def imports_of(path: Path, name: str) -> set[str]:
    """Every module imported anywhere in the file (module level or inside functions), absolute."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text("utf-8"))):
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - (node.level - 1)]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module
            found.add(target)
            found.update(f"{target}.{a.name}" for a in node.names)   # `from pkg import module`
    return found


def floor_of(name: str) -> str | None:
    parts = name.split(".")
    if parts[0] != "xl_support":
        return None
    return parts[1] if len(parts) > 1 and parts[1] in FLOORS else "top"


def internal_graph() -> dict[str, set[str]]:
    mods = modules()
    return {name: {m for m in imports_of(path, name) if m in mods and m != name} for name, path in mods.items()}


def test_five_floors_and_a_small_top_level():
    for floor in FLOORS:
        assert (PKG / floor / "__init__.py").is_file(), floor
        assert ast.get_docstring(ast.parse((PKG / floor / "__init__.py").read_text("utf-8"))), floor
    top = sorted(p.name for p in PKG.glob("*.py"))
    assert set(top) <= {"__init__.py", "__main__.py", "cli.py"}, top
    assert len(top) <= 4


@pytest.mark.parametrize("name", sorted(modules()))
def test_imports_point_down(name):
    path = modules()[name]
    floor = floor_of(name)
    for target in imports_of(path, name):
        t_floor = floor_of(target)
        if t_floor is None:
            assert target.split(".")[0] != "xlwings", f"{name} imports xlwings"
            if floor == "engine":
                assert target.split(".")[0] not in EXCEL_READERS, f"engine module {name} imports {target}"
            continue
        if t_floor in (floor, "top") and (t_floor != "top" or floor == "top"):
            continue
        if target in ("xl_support", "xl_support.__version__"):   # the root holds only __version__, for all
            continue
        assert t_floor in ALLOWED[floor], f"{name} ({floor}) imports {target} ({t_floor})"


def test_no_import_cycles():
    graph = internal_graph()
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node):
        state[node] = 1
        stack.append(node)
        for nxt in sorted(graph[node]):
            if node.startswith(nxt + "."):        # a module and its own package's __init__
                continue
            if state.get(nxt) == 1:
                cycle = stack[stack.index(nxt):] + [nxt]
                raise AssertionError("import cycle: " + " → ".join(cycle))
            if not state.get(nxt):
                visit(nxt)
        stack.pop()
        state[node] = 2

    for node in sorted(graph):
        if not state.get(node):
            visit(node)


def test_the_check_sees_a_cycle_and_a_wrong_floor(tmp_path):
    """The checker itself: a cycle and an upward import are found (so a pass means something)."""
    a = tmp_path / "a.py"
    a.write_text("from xl_support.operations import compute\nimport xlwings\n", "utf-8")
    found = imports_of(a, "xl_support.engine.a")
    assert "xl_support.operations" in found and "xlwings" in found
    assert floor_of("xl_support.operations.compute") not in ALLOWED["engine"]


def test_udfs_and_macros_use_operations_or_engine_only():
    for pkg in ("udfs", "macros"):
        for path in (ROOT / pkg).rglob("*.py"):
            for target in imports_of(path, module_name(path)):
                floor = floor_of(target)
                assert floor in (None, "operations", "engine", "book"), f"{path.name} imports {target}"
