"""One map stack: every page's map is the live map component; folium draws no page's map.

folium keeps two jobs (ARCHITECTURE.md): the list of each Leaflet plugin's files that the live
map loads (app/map/live.py, localised by app/map/assets.py) and the bench's baseline map
(app/map/builder.py + app/map/elements.py), which only the bench imports.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

APP = Path(__file__).resolve().parents[1] / "app"
PAGES = sorted((APP / "ui" / "pages").glob("*.py"))
#: Modules that draw a folium map, and who may import them.
FOLIUM_MAP = {"app.map.builder", "app.map.elements"}
FOLIUM_MAP_USERS = {"app.bench.render", "app.map.builder"}


def imported(path: Path) -> set[str]:
    """Every module `path` imports, at any depth (function-level imports too), absolute or
    relative."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    package = ".".join(path.relative_to(APP.parent).with_suffix("").parts[:-1])
    out = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*parts, base] if base else parts)
            out.add(base)
            out |= {f"{base}.{a.name}" for a in node.names}
    return out


def module_name(path: Path) -> str:
    return ".".join(path.relative_to(APP.parent).with_suffix("").parts)


@pytest.mark.parametrize("path", sorted((APP / "ui").rglob("*.py")), ids=lambda p: p.name)
def test_no_ui_module_draws_a_folium_map(path: Path) -> None:
    found = {name for name in imported(path)
             if name.split(".")[0] in ("folium", "branca", "streamlit_folium")
             or any(name == m or name.startswith(m + ".") for m in FOLIUM_MAP)}
    assert not found, f"{path.name} imports {sorted(found)}"


def test_every_page_with_a_map_uses_the_live_map_component() -> None:
    with_map = [p.name for p in PAGES if "app.ui.live_map" in imported(p)]
    assert with_map == ["field_page.py", "import_page.py", "map_page.py", "planner_page.py",
                        "review_page.py"]


def test_only_the_bench_imports_the_folium_baseline() -> None:
    users = {module_name(p) for p in APP.rglob("*.py")
             if any(name == m or name.startswith(m + ".") for name in imported(p) for m in FOLIUM_MAP)}
    assert users <= FOLIUM_MAP_USERS, sorted(users - FOLIUM_MAP_USERS)


def test_streamlit_folium_is_no_dependency() -> None:
    pyproject = (APP.parent / "pyproject.toml").read_text(encoding="utf-8")
    assert "streamlit-folium" not in pyproject
