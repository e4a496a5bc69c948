"""The synthetic city-scale register: deterministic, shaped like the real one, usable everywhere."""

from __future__ import annotations

import doctest

import numpy as np
import pytest
import shapely

import app.bench.synthetic
from app.bench.synthetic import KINDS, synthetic_atlas, synthetic_projects
from app.data.atlas import PROJECT_COLUMNS
from app.domain.filters import Filter, apply_filter
from app.geo.crs import convert_geometry
from app.geo.gazetteer import DISTRICT_ID
from app.io.export import frame_bytes


def test_doctests():
    assert doctest.testmod(app.bench.synthetic).failed == 0


@pytest.mark.parametrize("kind", KINDS)
def test_same_seed_same_register_other_seed_other_register(atlas, kind):
    first = synthetic_projects(atlas, 300, kind, seed=7)
    assert first.equals(synthetic_projects(atlas, 300, kind, seed=7))
    assert not first.equals(synthetic_projects(atlas, 300, kind, seed=8))


@pytest.mark.parametrize("kind", KINDS)
def test_every_value_is_one_the_atlas_knows(atlas, kind):
    frame = synthetic_projects(atlas, 2000, kind, seed=1)
    assert list(frame.columns) == [*PROJECT_COLUMNS, "geometry", "search_text"]
    assert frame.crs.to_epsg() == 4326
    assert frame["id"].is_unique
    specs = {s.id: s for s in atlas.project_layers}
    assert set(frame["layer"]) <= set(specs)
    for layer, category in set(zip(frame["layer"], frame["category"], strict=True)):
        assert category in specs[layer].legend_values()
    assert set(frame["status"]) <= set(atlas.vocab.statuses)
    assert set(frame["action"]) <= set(atlas.vocab.actions)
    assert set(frame["report_section"]) <= set(atlas.vocab.labels["section"])
    subdistricts = {p.name_zh for p in atlas.places.values() if p.kind == "subdistrict"}
    assert set(frame["subdistrict"]) <= subdistricts | {"unknown"}
    assert set(frame["precision"]) <= set(atlas.vocab.labels["precision"])


@pytest.mark.parametrize("kind", KINDS)
def test_geometries_are_valid_inside_the_district_and_of_a_kind_their_layer_takes(atlas, kind):
    frame = synthetic_projects(atlas, 1500, kind, seed=2)
    located = frame[frame.geometry.notna()]
    geoms = located.geometry.to_numpy()
    assert shapely.is_valid(geoms).all() and not shapely.is_empty(geoms).any()
    district = atlas.places[DISTRICT_ID].geometry.buffer(0.01)  # ~1 km: lines wander, shapes spread
    assert shapely.within(geoms, district).all()
    kinds = {"Point": "point", "LineString": "line", "MultiLineString": "line",
             "Polygon": "polygon", "MultiPolygon": "polygon"}
    for layer, geom_type in set(zip(located["layer"], located.geometry.geom_type, strict=True)):
        assert kinds[geom_type] in atlas.spec(layer).geometry
        assert kind == "mixed" or kinds[geom_type] == kind


def test_unlocated_projects_have_no_position_and_say_so(atlas):
    frame = synthetic_projects(atlas, 3000, "point", seed=3)
    unlocated = frame[frame["precision"] == "unlocated"]
    assert len(unlocated) > 0
    assert unlocated.geometry.isna().all()
    assert set(unlocated["pos_method"]) == {"none"} and set(unlocated["pos_confidence"]) == {"none"}
    assert unlocated["pos_refs"].map(len).eq(0).all()
    located = frame[frame.geometry.notna()]
    assert (located["pos_method"] != "none").all() and located["pos_refs"].map(len).eq(1).all()


def test_polygons_have_the_asked_ring_length_and_both_windings(atlas):
    frame = synthetic_projects(atlas, 400, "polygon", seed=4, vertices=12)
    polygons = frame.geometry[frame.geometry.geom_type == "Polygon"].to_numpy()
    assert (shapely.get_num_coordinates(polygons) == 12).all()
    ccw = shapely.is_ccw(shapely.get_exterior_ring(polygons))
    assert ccw.any() and not ccw.all()


def test_cardinalities_look_like_a_city_register(atlas):
    frame = synthetic_projects(atlas, 20_000, "mixed", seed=5)
    assert frame["status"].nunique() == len(atlas.vocab.statuses)
    assert frame["subdistrict"].nunique() >= 8
    assert frame["name_zh"].nunique() > 0.9 * len(frame)  # names nearly unique
    assert frame["description"].nunique() > 0.9 * len(frame)
    shares = frame["status"].value_counts(normalize=True)
    assert shares.max() < 0.5 and shares.min() > 0.05  # skewed, every value in use
    assert frame["aliases"].map(len).isin([0, 1, 2]).all()


def test_filters_search_exports_and_the_map_work_on_it(atlas):
    big = synthetic_atlas(atlas, 3000, "polygon", seed=6)
    operating = apply_filter(big.projects, Filter(values={"status": ("operating",)}))
    assert 0 < operating.sum() < len(big.projects)
    road = big.projects["name_zh"].iloc[0][:3]
    assert apply_filter(big.projects, Filter(query=road)).any()
    text = frame_bytes(big.projects, "geojson", {}).decode("utf-8")
    assert text.count('"type":"Feature"') == len(big.projects)
    from app.map.project_layers import project_layers

    layers = project_layers(big, big.projects, svg_max=100)
    assert {layer.strategy for layer in layers.values() if layer.count > 100} == {"canvas"}


def test_shifted_to_gcj02_the_positions_move_as_the_crs_module_says(atlas):
    frame = synthetic_projects(atlas, 50, "point", seed=9)
    point = frame.geometry.dropna().iloc[0]
    moved = convert_geometry(point, "wgs84", "gcj02")
    assert 0.0005 < np.hypot(moved.x - point.x, moved.y - point.y) < 0.01  # hundreds of metres


def test_bad_arguments_are_refused(atlas):
    with pytest.raises(ValueError, match="kind must be one of"):
        synthetic_projects(atlas, 5, "hexagon")
    with pytest.raises(ValueError, match="vertices >= 4"):
        synthetic_projects(atlas, 5, "polygon", vertices=3)
    with pytest.raises(ValueError, match="n >= 0"):
        synthetic_projects(atlas, -1)
