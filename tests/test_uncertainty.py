"""Every position says how wrong it may be: ``uncertainty_m`` from the recipe to every export.

The store's halves (a field check's device accuracy, a planner's drawing) are tested with the
stores in tests/test_store_backends.py and tests/test_living_store.py.
"""

from __future__ import annotations

import io
import json
import sqlite3
import tempfile
import xml.etree.ElementTree as ET
from pathlib import Path

import pandas as pd
import pytest
from shapely import Point

from app.data.atlas import load_atlas
from app.domain.filters import Filter
from app.domain.model import Recipe
from app.errors import DataError
from app.geo.geocode import resolve, to_metric
from app.geo.uncertainty import (
    ADDRESS_M,
    BUS_STOP_SKETCH_M,
    INTERPOLATED_M,
    STATION_M,
    reach_m,
)
from app.io.export import export_bytes
from app.io.importer import import_file


@pytest.fixture(scope="module")
def atlas():
    return load_atlas()


def test_every_drawn_project_has_a_radius_and_no_unlocated_one_has(atlas):
    projects = atlas.projects
    drawn = projects[projects.geometry.notna()]
    assert len(drawn) > 10
    assert (drawn["uncertainty_m"] > 0).all(), drawn.loc[~(drawn["uncertainty_m"] > 0), "id"].tolist()
    assert projects.loc[projects.geometry.isna(), "uncertainty_m"].isna().all()


def test_the_radius_follows_how_the_position_was_made(atlas):
    places = atlas.places
    station = next(p for p in places.values() if p.kind == "metro_station" and p.located
                   and p.method.startswith("bd09"))
    _, prov = resolve(Recipe(kind="ref", refs=(station.id,)), places)
    assert prov["uncertainty_m"] == STATION_M
    # a buffer is a sketch of that size: the true place may be anywhere in it
    _, prov = resolve(Recipe(kind="ref", refs=(station.id,), buffer_m=200), places)
    assert prov["uncertainty_m"] == STATION_M + 200
    # the representative point of an area stands for all of it
    _, prov = resolve(Recipe(kind="within", refs=("zone-hongkaifa",)), places)
    zone = to_metric(places["zone-hongkaifa"].geometry)
    assert prov["uncertainty_m"] >= reach_m(zone, zone) > 500
    # a stated radius is a floor, never a way to claim better than the sources
    _, prov = resolve(Recipe(kind="ref", refs=(station.id,), uncertainty_m=10), places)
    assert prov["uncertainty_m"] == STATION_M
    _, prov = resolve(Recipe(kind="ref", refs=(station.id,), uncertainty_m=700), places)
    assert prov["uncertainty_m"] == 700
    road = next(p for p in places.values() if p.kind == "road" and p.method.startswith("bus-stop"))
    assert road.uncertainty_m == BUS_STOP_SKETCH_M


def test_addresses_get_the_measured_radii(atlas):
    exact = next(e for e in atlas.addresses.entries if not e.lane)
    _, prov = resolve(Recipe(kind="address", address=exact.key), atlas.places,
                      addresses=atlas.addresses)
    assert prov["uncertainty_m"] == ADDRESS_M
    road = atlas.addresses.by_road[exact.road]
    low, high = next((a, b) for a, b in zip(road, road[1:], strict=False)
                     if b.house - a.house >= 4 and b.house - a.house <= 200)
    between = f"{exact.road}{low.house + 2}号"
    _, prov = resolve(Recipe(kind="address", address=between), atlas.places,
                      addresses=atlas.addresses)
    assert prov["pos_method"].startswith("address-interpolated")
    assert prov["uncertainty_m"] == INTERPOLATED_M


def test_a_derived_place_must_say_how_far_its_shape_may_be(tmp_path):
    from app.geo.gazetteer import DerivedPlace

    raw = {"id": "z", "kind": "zone", "confidence": "low", "note": "a hull",
           "geometry": {"hull": ["a", "b"], "buffer_m": 10}}
    with pytest.raises(DataError, match="uncertainty_m"):
        DerivedPlace.from_mapping(raw, "derived_places.toml entry 0")
    assert DerivedPlace.from_mapping(raw | {"uncertainty_m": 80}, "x").uncertainty_m == 80


@pytest.mark.parametrize("fmt", ["geojson", "gpkg", "csv", "kml"])
def test_every_export_format_carries_the_radius(atlas, fmt):
    data, _, _ = export_bytes(atlas, Filter(), fmt)
    expected = atlas.projects.set_index("id")["uncertainty_m"]
    if fmt == "geojson":
        features = json.loads(data)["features"]
        got = {f["id"]: f["properties"]["uncertainty_m"] for f in features}
    elif fmt == "csv":
        table = pd.read_csv(io.BytesIO(data), encoding="utf-8-sig")
        got = dict(zip(table["id"], table["uncertainty_m"], strict=True))
    elif fmt == "gpkg":
        with tempfile.TemporaryDirectory() as folder:
            path = Path(folder) / "x.gpkg"
            path.write_bytes(data)
            with sqlite3.connect(path) as db:
                tables = [r[0] for r in db.execute(
                    "SELECT table_name FROM gpkg_contents WHERE data_type = 'features'")]
                got = {pid: value for table in tables for pid, value in db.execute(
                    f'SELECT id, uncertainty_m FROM "{table}"')}  # noqa: S608 - names from the file
    else:
        root = ET.fromstring(data)  # noqa: S314  (our own output)
        ns = {"k": "http://www.opengis.net/kml/2.2"}
        got = {}
        for mark in root.iter("{http://www.opengis.net/kml/2.2}Placemark"):
            values = {d.get("name"): (d.findtext("k:value", namespaces=ns) or "")
                      for d in mark.iter("{http://www.opengis.net/kml/2.2}Data")}
            got[mark.get("id")] = float(values["uncertainty_m"]) if values["uncertainty_m"] else None
    assert set(got) == set(expected.index)
    for pid, value in got.items():
        want = expected[pid]
        if pd.isna(want):
            assert value is None or pd.isna(value), pid
        else:
            assert value == pytest.approx(want), pid


def test_a_road_level_geocode_reports_its_point_with_the_radius_it_stands_for(atlas):
    road = atlas.places["road-yananxilu"]
    csv = "名称,地址\n某项目,延安西路99999号\n".encode()
    result = import_file(csv, filename="a.csv", atlas=atlas)
    [row] = result.report.rows
    assert row.method == "road" and row.lon is not None
    line = to_metric(road.geometry)
    farthest = line.hausdorff_distance(to_metric(Point(row.lon, row.lat)))
    # the report's point is honest only with a radius reaching the far end of the road
    assert row.uncertainty_m >= farthest > 1000
    assert row.to_dict()["uncertainty_m"] == row.uncertainty_m
    stored = result.frame.iloc[0]
    assert stored["uncertainty_m"] == road.uncertainty_m


def test_the_card_shows_the_radius_in_both_languages(atlas):
    from app.map.fields import project_sources

    for lang, text in (("en", "±1100 m"), ("zh", "±1100 米")):
        values, label = project_sources(atlas, atlas.projects, lang)["uncertainty"]
        row = atlas.projects.index[atlas.projects["id"] == "huichuan-road-office"][0]
        assert label(values[row]) == text
    unlocated = atlas.projects.index[atlas.projects["id"] == "tianshan-beihong-housing"][0]
    values, label = project_sources(atlas, atlas.projects, "en")["uncertainty"]
    assert pd.isna(values[unlocated])


def test_the_file_level_sources_name_every_source_a_position_rests_on(atlas):
    """Each feature's pos_source starts with its source file; the file's `sources` names them
    all, and every copied source that places something."""
    data, _, _ = export_bytes(atlas, Filter(), "geojson")
    collection = json.loads(data)
    sources = " ".join(collection["sources"])
    used = {part.split(":")[0] for f in collection["features"]
            for part in (f["properties"]["pos_source"] or "").split("; ") if part}
    assert used and all(name in sources for name in used), used
    copied = Path(__file__).resolve().parents[1] / "geodata" / "sources"
    placing = {p.name for p in copied.iterdir() if p.suffix in (".csv", ".json", ".geojson")}
    placing -= {"changning_subdistricts_nbs2023.csv"}  # names and codes only, no position
    assert all(name in sources for name in placing), placing
