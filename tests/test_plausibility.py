"""What a planner's new geometry is measured against: the layer's own sizes once there are
enough of them, the layer spec's usual size before, the whole register's after that."""

from __future__ import annotations

import dataclasses

import geopandas as gpd
import pytest
from shapely import box

from app.data.atlas import load_atlas
from app.data.plausibility import MIN_SAMPLE, size_check


@pytest.fixture(scope="module")
def atlas():
    return load_atlas()


def _with_sites(atlas, layer: str, n: int, side: float = 0.001):
    """`atlas` with `n` square sites of `side` degrees in `layer` (about 1 ha each)."""
    rows = atlas.projects.iloc[:n].copy()
    rows["layer"] = layer
    rows["id"] = [f"site-{k}" for k in range(n)]
    rows = rows.set_geometry(gpd.GeoSeries(
        [box(121.40 + k * 0.002, 31.20, 121.40 + k * 0.002 + side, 31.20 + side) for k in range(n)],
        index=rows.index, crs="EPSG:4326"))
    others = atlas.projects[atlas.projects["layer"] != layer]
    return dataclasses.replace(atlas, projects=gpd.GeoDataFrame(
        gpd.pd.concat([others, rows], ignore_index=True), geometry="geometry", crs="EPSG:4326"))


def test_a_layer_with_enough_sites_is_measured_by_its_own(atlas):
    check = size_check(_with_sites(atlas, "public_services", MIN_SAMPLE), "public_services",
                       box(121.40, 31.20, 121.41, 31.21))  # about 100 ha
    assert check.scope == "layer" and check.sample == MIN_SAMPLE and check.unusual


def test_too_few_sites_are_no_measure_the_spec_is(atlas):
    few = _with_sites(atlas, "public_services", MIN_SAMPLE - 1)
    check = size_check(few, "public_services", box(121.40, 31.20, 121.41, 31.21))
    assert check.scope == "spec" and check.usual == atlas.spec("public_services").usual_area_m2
    assert check.unusual
    assert not size_check(few, "public_services", box(121.40, 31.20, 121.401, 31.201)).unusual


def test_without_a_usual_size_in_the_spec_the_register_measures(atlas):
    spec = dataclasses.replace(atlas.spec("public_services"), usual_area_m2=0.0)
    specs = tuple(spec if s.id == spec.id else s for s in atlas.specs)
    bare = dataclasses.replace(_with_sites(atlas, "renewal", MIN_SAMPLE), specs=specs)
    check = size_check(bare, "public_services", box(121.40, 31.20, 121.41, 31.21))
    assert check.scope == "register" and check.sample >= MIN_SAMPLE
