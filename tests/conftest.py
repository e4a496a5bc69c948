"""Shared fixtures: the shipped data, and writable copies of it for breaking on purpose."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DATA_DIR = ROOT / "geodata"
LAYERS_DIR = ROOT / "layers"


@pytest.fixture(scope="session")
def atlas():
    """The shipped atlas, loaded strictly (fails if the shipped data has problems)."""
    from app.data.atlas import load_atlas

    return load_atlas(DATA_DIR, LAYERS_DIR)


@pytest.fixture()
def data_copy(tmp_path: Path) -> Path:
    """A writable copy of geodata/ (data files, and the report's text the coverage table is
    checked against)."""
    target = tmp_path / "geodata"
    target.mkdir()
    for path in DATA_DIR.iterdir():
        if path.is_file():
            shutil.copy2(path, target / path.name)
    (target / "sources").mkdir()
    shutil.copy2(DATA_DIR / "sources" / "changning_report_2025_part2.txt", target / "sources")
    return target


@pytest.fixture()
def layers_copy(tmp_path: Path) -> Path:
    """A writable copy of layers/."""
    target = tmp_path / "layers"
    shutil.copytree(LAYERS_DIR, target)
    return target


@pytest.fixture(autouse=True)
def isolated_store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Every test gets its own empty store; in-process Streamlit caches start empty."""
    path = tmp_path / "store.sqlite"
    monkeypatch.setenv("ATLAS_STORE", str(path))
    monkeypatch.delenv("ATLAS_DATABASE_URL", raising=False)  # never a developer's real database
    import streamlit as st

    st.cache_resource.clear()
    st.cache_data.clear()
    return path


def name_in_coverage(data_dir: Path, project_id: str) -> None:
    """Let a register entry a test appends be named by a sentence of the report (the
    天山公园 sentence of geodata/coverage.toml), as validate requires of every entry."""
    table = data_dir / "coverage.toml"
    named = 'projects = ["park-24h-opening", "tianshan-park"]'
    text = table.read_text(encoding="utf-8")
    assert named in text
    table.write_text(text.replace(named, f'{named[:-1]}, "{project_id}"]'), encoding="utf-8")
