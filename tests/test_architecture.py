"""The package map of ARCHITECTURE.md, checked: which package may import which, no import cycle,
no private name used across modules, streamlit only in app/ui, every package says what it owns."""

from __future__ import annotations

import ast
from collections import defaultdict
from pathlib import Path

import pytest

APP = Path(__file__).resolve().parents[1] / "app"

#: Each package's rank: a module may import from packages of a lower rank and from its own.
#: Packages of equal rank are independent of each other (io and store; the four at the top).
RANKS: dict[str, int] = {
    "errors": 0,
    "domain": 1,
    "geo": 2,
    "data": 3,
    "io": 4, "store": 4,
    "map": 5, "service": 5,
    "sheet": 6, "ogc": 6,
    "cli": 7, "bench": 7, "ui": 7,
    "__main__": 8,
}
STREAMLIT = ("streamlit", "streamlit_folium", "streamlit_geolocation")
#: Modules outside app/ui that may import streamlit, and why.
STREAMLIT_OUTSIDE_UI = {
    "app.bench.load": "speaks Streamlit's websocket protocol (streamlit.proto) to load-test the app",
}


def module_name(path: Path) -> str:
    parts = path.relative_to(APP.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def package_of(module: str) -> str:
    """'app.geo.crs' -> 'geo'; 'app.errors' -> 'errors'."""
    return module.split(".")[1]


def imports(path: Path, *, top_level_only: bool) -> list[tuple[str, tuple[str, ...]]]:
    """(module imported, names taken from it) for each import in `path`."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    nodes = tree.body if top_level_only else list(ast.walk(tree))
    found = []
    for node in nodes:
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.append((node.module, tuple(a.name for a in node.names)))
        elif isinstance(node, ast.Import):
            found.extend((a.name, ()) for a in node.names)
    return found


MODULES = {module_name(p): p for p in sorted(APP.rglob("*.py"))}


def test_the_rank_table_knows_every_package():
    packages = {package_of(m) for m in MODULES if m != "app"}
    assert sorted(packages - set(RANKS)) == []


@pytest.mark.parametrize("module", sorted(m for m in MODULES if m != "app"))
def test_a_module_imports_only_from_lower_packages(module):
    own = package_of(module)
    wrong = []
    for target, _ in imports(MODULES[module], top_level_only=False):
        if not target.startswith("app.") or package_of(target) == own:
            continue
        if RANKS[package_of(target)] >= RANKS[own]:
            wrong.append(target)
    assert wrong == [], f"{module} ({own}, rank {RANKS[own]}) imports {wrong}"


@pytest.mark.parametrize("module", sorted(MODULES))
def test_no_private_name_is_imported_across_modules(module):
    private = [f"{target}.{name}" for target, names in imports(MODULES[module], top_level_only=False)
               for name in names if target.startswith("app") and name.startswith("_")]
    assert private == []


@pytest.mark.parametrize("module", sorted(m for m in MODULES if not m.startswith("app.ui")
                                          and m not in STREAMLIT_OUTSIDE_UI))
def test_only_the_ui_imports_streamlit(module):
    used = [target for target, _ in imports(MODULES[module], top_level_only=False)
            if target.split(".")[0] in STREAMLIT]
    assert used == []


def test_no_import_cycle_between_modules():
    graph: dict[str, set[str]] = defaultdict(set)
    for module, path in MODULES.items():
        for target, names in imports(path, top_level_only=True):
            for candidate in (target, *(f"{target}.{n}" for n in names)):
                # A submodule taking a sibling from its own package is no cycle: the package
                # is already being imported when its submodules run.
                if candidate in MODULES and not module.startswith(candidate):
                    graph[module].add(candidate)
    state: dict[str, int] = {}  # 1 on the current path, 2 done

    def visit(node: str, path: list[str]) -> list[str] | None:
        state[node] = 1
        for nxt in sorted(graph[node]):
            if state.get(nxt) == 1:
                return [*path, node, nxt]
            if nxt not in state and (cycle := visit(nxt, [*path, node])):
                return cycle
        state[node] = 2
        return None

    for start in sorted(MODULES):
        if start not in state and (cycle := visit(start, [])):
            pytest.fail("import cycle: " + " -> ".join(cycle))


@pytest.mark.parametrize("package", sorted(p for p in APP.rglob("__init__.py")))
def test_every_package_says_what_it_owns(package):
    assert ast.get_docstring(ast.parse(package.read_text(encoding="utf-8"))), package
