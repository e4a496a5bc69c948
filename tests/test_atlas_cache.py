"""One shown atlas per (curated data, store revision, register, day) for the whole process; the
app's caches keyed on exactly what they are built from; live base files of bases no longer
served removed."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from app.cli.main import main
from app.data.atlas import load_atlas
from app.data.living import Edit
from app.service.atlas import shown_atlas
from app.service.atlas_cache import AtlasCache
from app.service.living import seed_register
from app.store import open_store
from tests.test_boundaries import _write_units


@pytest.fixture(scope="module")
def base():
    return load_atlas()


def test_a_new_revision_is_a_new_atlas_equal_to_one_built_from_nothing(base, tmp_path):
    store = open_store(str(tmp_path / "s.sqlite"))
    seed_register(store, base)
    cache = AtlasCache()
    first = cache.shown(base, store)
    assert cache.shown(base, store) is first  # the same revision: the same object
    assert cache.shown(base, store, revision=store.revision()) is first
    pid = str(base.projects["id"].iloc[3])
    store.add_changes([Edit(pid, "planner", "规划员", "核实", {}, {"lead_agency": "区建管委"})])
    second = cache.shown(base, store)
    assert second is not first and second.atlas.data_version != first.atlas.data_version
    fresh = shown_atlas(store=store, base=base)
    pd.testing.assert_frame_equal(second.atlas.projects, fresh.atlas.projects, check_exact=True)
    assert second.atlas.data_version == fresh.atlas.data_version
    assert first.atlas.projects.set_index("id").loc[pid, "lead_agency"] == ""  # the old one stands
    # as of a day, and another register, are other atlases
    early = cache.shown(base, store, asof="2025-01-07")
    assert early.atlas.projects.empty and cache.shown(base, store, asof="2025-01-07") is early


def test_imported_boundaries_reach_the_app_without_a_restart(tmp_path, monkeypatch, isolated_store):
    from app.ui import cache

    folder = tmp_path / "boundaries"
    monkeypatch.setenv("ATLAS_BOUNDARIES_DIR", str(folder))
    before = cache.base_atlas()
    assert not any(p.kind == "subdistrict" and p.id.startswith("boundary-") for p in before.places.values())
    source = _write_units(tmp_path / "units.geojson")
    assert main(["import-boundaries", str(source), "--kind", "subdistrict", "--crs", "gcj02",
                 "--code-field", "code", "--boundaries-dir", str(folder)]) == 0
    after = cache.base_atlas()
    assert after.data_version != before.data_version
    assert any(p.id.startswith("boundary-") for p in after.places.values())
    assert cache.get_atlas().data_version.startswith(after.data_version)


def test_live_base_files_no_longer_served_are_removed(tmp_path: Path, monkeypatch):
    """Only the most recently used bases keep their files, and a URL handed out always names a
    file that exists: a base asked for again after its file went is written again."""
    from app.data.atlas import load_atlas
    from app.ui import cache

    monkeypatch.setattr(cache, "STATIC_DIR", tmp_path)
    monkeypatch.setattr(cache, "LIVE_FILES_KEPT", 2)
    monkeypatch.setattr(cache, "_live_files", type(cache._live_files)())
    atlas = load_atlas()

    def file_of(url: str) -> Path:
        return tmp_path / url.removeprefix(f"{cache.STATIC_URL}/")

    urls = [cache.live_base_url(atlas, "zh", "none", None, version=f"v{n}")[0] for n in range(4)]
    assert [file_of(u).exists() for u in urls] == [False, False, True, True]
    again = cache.live_base_url(atlas, "zh", "none", None, version="v0")[0]
    assert again == urls[0] and file_of(again).exists()
    assert sorted(p.name for p in (tmp_path / "live").iterdir()) == sorted(
        file_of(u).name for u in (urls[3], again))
