"""Exports: RFC 7946 GeoJSON, GeoPackage, CSV and KML; atomic writes; safe output names.

The RFC 7946 rules are checked by :func:`rfc7946_problems`, written here from the RFC without
using the export code (its winding test is a shoelace sum; shapely checks the same separately).
"""

from __future__ import annotations

import doctest
import io
import json
import math
import os
import signal
import sqlite3
import subprocess
import sys
import time
import xml.etree.ElementTree as ET
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import pytest
import shapely
from shapely import LineString, MultiPolygon, Point, Polygon

import app.bench.export
import app.io.atomic
import app.io.csvfile
import app.io.export
import app.io.geojson
import app.io.gpkg
import app.io.kml
import app.io.naming
import app.io.prepare
from app.data.atlas import PROJECT_COLUMNS
from app.domain.filters import Filter
from app.errors import ExportError, FilterError
from app.geo.crs import convert
from app.io.atomic import atomic_write
from app.io.export import (
    EXPORT_FIELDS,
    EXPORTED_COLUMNS,
    EXTRA_EXPORT_COLUMNS,
    FIELD_DOCS,
    FORMATS,
    export_bytes,
    export_layers_separately,
    export_metadata,
    frame_bytes,
)
from app.io.geojson import geojson_text
from app.io.naming import label_crs, safe_output_path
from app.io.prepare import COORD_DECIMALS, prepare_geometries

ROOT = Path(__file__).resolve().parent.parent
KML_NS = {"k": "http://www.opengis.net/kml/2.2"}
KML = "{http://www.opengis.net/kml/2.2}"
LAYERS = [("public_space", "公园与公共空间 / Parks and public space"),
          ("renewal", "城市更新 / Urban renewal")]
TRICKY_NAME = '天山"公园" <b>&amp; ]]> \\ 换行\n\u2028 😀 \x01'


# ------------------------------------------------------------------ independent RFC 7946 check


def _ring_area2(ring: list) -> float:
    """Twice the signed area (shoelace): positive = counter-clockwise."""
    return sum(x1 * y2 - x2 * y1 for (x1, y1, *_), (x2, y2, *_) in zip(ring, ring[1:], strict=False))


def _position_problems(pos: object, where: str) -> list[str]:
    if not (isinstance(pos, list) and len(pos) in (2, 3)
            and all(isinstance(v, int | float) and not isinstance(v, bool) for v in pos)):
        return [f"{where}: position must be 2 or 3 numbers, got {pos!r}"]
    lon, lat = pos[0], pos[1]
    problems = []
    if not (-180 <= lon <= 180 and -90 <= lat <= 90):
        problems.append(f"{where}: {pos} is not lon/lat in degrees")
    if any(round(v, COORD_DECIMALS) != v for v in pos[:2]):
        problems.append(f"{where}: {pos} has more than {COORD_DECIMALS} decimals")
    return problems


def _geometry_problems(geom: object, where: str) -> list[str]:
    if geom is None:
        return []
    if not isinstance(geom, dict):
        return [f"{where}: geometry must be an object or null"]
    kind, coords = geom.get("type"), geom.get("coordinates")
    problems = [f"{where}: geometry has a crs member"] if "crs" in geom else []
    if kind == "GeometryCollection":
        for i, part in enumerate(geom.get("geometries", [])):
            problems += _geometry_problems(part, f"{where}[{i}]")
        return problems
    depth = {"Point": 0, "MultiPoint": 1, "LineString": 1, "MultiLineString": 2, "Polygon": 2,
             "MultiPolygon": 3}
    if kind not in depth:
        return problems + [f"{where}: unknown geometry type {kind!r}"]
    if not isinstance(coords, list) or (kind != "Point" and not coords):
        return problems + [f"{where}: {kind} without coordinates"]

    def positions(value: list, level: int) -> list:
        return [value] if level == 0 else [p for v in value for p in positions(v, level - 1)]

    for pos in positions(coords, depth[kind]):
        problems += _position_problems(pos, where)
    lines = {"LineString": [coords], "MultiLineString": coords}.get(kind, [])
    problems += [f"{where}: a line needs 2 positions" for line in lines if len(line) < 2]
    polygons = {"Polygon": [coords], "MultiPolygon": coords}.get(kind, [])
    for polygon in polygons:
        for i, ring in enumerate(polygon):
            if len(ring) < 4 or ring[0] != ring[-1]:
                problems.append(f"{where}: ring {i} is not a closed ring of >= 4 positions")
                continue
            area = _ring_area2(ring)
            if i == 0 and area <= 0:
                problems.append(f"{where}: exterior ring is not counter-clockwise")
            if i > 0 and area >= 0:
                problems.append(f"{where}: hole {i} is not clockwise")
    return problems


def rfc7946_problems(doc: object) -> list[str]:
    """Every RFC 7946 rule this export promises that `doc` (parsed JSON) breaks."""
    if not isinstance(doc, dict) or doc.get("type") != "FeatureCollection":
        return ["top level is not a FeatureCollection"]
    problems = []
    if "crs" in doc:
        problems.append("FeatureCollection has a crs member (RFC 7946 4: not allowed)")
    for member in ("coordinates", "geometries", "geometry", "properties"):
        if member in doc:
            problems.append(f"FeatureCollection has a {member!r} member (RFC 7946 7.1)")
    features = doc.get("features")
    if not isinstance(features, list):
        return problems + ["features is not an array"]
    lons, lats = [], []
    for n, feature in enumerate(features):
        where = f"feature {n}"
        if not isinstance(feature, dict) or feature.get("type") != "Feature":
            problems.append(f"{where}: not a Feature")
            continue
        if "geometry" not in feature or "properties" not in feature:
            problems.append(f"{where}: needs geometry and properties members")
        if "crs" in feature:
            problems.append(f"{where}: has a crs member")
        if "id" in feature and (isinstance(feature["id"], bool)
                                or not isinstance(feature["id"], str | int | float)):
            problems.append(f"{where}: id must be a string or number, got {feature['id']!r}")
        if not isinstance(feature.get("properties"), dict | None):
            problems.append(f"{where}: properties must be an object or null")
        problems += _geometry_problems(feature.get("geometry"), where)
        geom = feature.get("geometry")
        if isinstance(geom, dict) and not problems:
            coords = shapely.get_coordinates(shapely.geometry.shape(geom))
            lons += coords[:, 0].tolist()
            lats += coords[:, 1].tolist()
    if "bbox" in doc and lons:
        expected = [min(lons), min(lats), max(lons), max(lats)]
        if not np.allclose(doc["bbox"], expected, atol=1e-9):
            problems.append(f"bbox {doc['bbox']} is not the extent {expected}")
    return problems


def shapely_winding_ok(doc: dict) -> bool:
    """The same winding rule, checked with shapely on every polygon of the collection."""
    polygons = []
    for feature in doc["features"]:
        if feature["geometry"] is not None:
            geom = shapely.geometry.shape(feature["geometry"])
            polygons += [p for p in shapely.get_parts(geom) if p.geom_type == "Polygon"]
    return all(p.exterior.is_ccw and not any(r.is_ccw for r in p.interiors) for p in polygons)


# ------------------------------------------------------------------ fixtures


def project_row(pid: str, layer: str = "public_space", **fields: object) -> dict[str, object]:
    """A register-like row with every exported column."""
    row: dict[str, object] = {
        "id": pid, "name_zh": "天山公园", "name_en": "Tianshan Park", "aliases": ["天山", "tianshan"],
        "layer": layer, "category": "park", "action": "建设", "action_en": "build",
        "status": "planning", "target_year": 2025, "subdistrict": "天山路街道", "address": "",
        "precision": "site", "report_section": "四", "report_paragraph": "打造高品质公共空间",
        "report_ref": "二、2025年主要任务 (四) 打造高品质公共空间", "description": "A park.",
        "position_note": "", "pos_source": "test fixture", "pos_source_crs": "gcj02",
        "pos_method": "gazetteer place", "pos_confidence": "high", "pos_refs": ["poi-test"],
    }
    row.update(fields)
    return row


CW_WITH_CCW_HOLE = Polygon(
    [(121.40, 31.20), (121.40, 31.21), (121.41, 31.21), (121.41, 31.20)],
    [[(121.402, 31.202), (121.404, 31.202), (121.404, 31.204), (121.402, 31.204)]],
)
BOW_TIE = Polygon([(121.42, 31.21), (121.43, 31.22), (121.43, 31.21), (121.42, 31.22)])


@pytest.fixture()
def frame() -> gpd.GeoDataFrame:
    """Six projects: every geometry kind, wrong winding, an invalid polygon, an unlocated one."""
    rows = [
        project_row("tricky-point", name_zh=TRICKY_NAME, name_en="=HYPERLINK(\"http://x\")",
                    description="line one\nline two, with comma"),
        project_row("a-street", precision="street", position_note="along the road"),
        project_row("holed-park"),
        project_row("bow-tie", layer="renewal"),
        project_row("two-parts", layer="renewal", precision="area", position_note="outline"),
        project_row("nowhere", layer="renewal", precision="unlocated", target_year=None,
                    pos_source="", pos_source_crs="", pos_method="none", pos_confidence="none",
                    pos_refs=[]),
    ]
    geoms = [
        Point(121.416181234567, 31.2234),
        LineString([(121.41, 31.21), (121.415, 31.2125), (121.42, 31.215)]),
        CW_WITH_CCW_HOLE,
        BOW_TIE,
        MultiPolygon([Polygon([(121.44, 31.19), (121.44, 31.195), (121.445, 31.195)]),
                      Polygon([(121.45, 31.19), (121.455, 31.19), (121.455, 31.195)])]),
        None,
    ]
    out = gpd.GeoDataFrame(pd.DataFrame(rows, columns=list(PROJECT_COLUMNS)),
                           geometry=gpd.GeoSeries(geoms, crs="EPSG:4326"), crs="EPSG:4326")
    out["target_year"] = out["target_year"].astype("Int64")
    for column in EXTRA_EXPORT_COLUMNS:  # what a register without them exports: empty
        out[column] = ([[] for _ in range(len(out))] if column in ("links", "stages")
                       else None if column in ("unit_shares", "site_area_m2") else "")
    return out


def parse(data: bytes) -> dict:
    return json.loads(data.decode("utf-8"))


def by_id(doc: dict) -> dict[str, dict]:
    return {f["id"]: f for f in doc["features"]}


# ------------------------------------------------------------------ module-level


@pytest.mark.parametrize("module", [app.io.export, app.io.prepare, app.io.geojson, app.io.gpkg,
                                    app.io.kml, app.io.csvfile, app.io.naming, app.io.atomic],
                         ids=lambda m: m.__name__)
def test_io_doctests(module):
    assert doctest.testmod(module).failed == 0


def test_doctests():
    assert doctest.testmod(app.bench.export).failed == 0


def test_every_exported_field_is_documented():
    assert tuple(FIELD_DOCS) == EXPORT_FIELDS
    doc = (ROOT / "docs" / "export.md").read_text(encoding="utf-8")
    missing = [key for key in EXPORT_FIELDS if f"`{key}`" not in doc]
    assert not missing, f"docs/export.md does not document {missing}"


# ------------------------------------------------------------------ geometry preparation


def test_prepare_geometries_winding_rounding_validity(frame):
    geoms, repaired = prepare_geometries(frame.geometry.to_numpy())
    assert repaired.tolist() == [False, False, False, True, False, False]
    assert geoms[-1] is None
    present = geoms[:-1]
    assert shapely.is_valid(present).all()
    assert shapely_winding_ok({"features": [
        {"geometry": json.loads(shapely.to_geojson(g))} for g in present]})
    coords = shapely.get_coordinates(present)
    assert np.array_equal(coords, np.round(coords, COORD_DECIMALS))
    assert geoms[0].x == 121.4161812
    assert not shapely.has_z(present).any()


def test_prepare_geometries_edge_cases():
    empty = shapely.from_wkt("POLYGON EMPTY")
    with_z = Point(121.4, 31.2, 15.0)
    geoms, repaired = prepare_geometries([empty, with_z, None])
    assert geoms[0] is None and geoms[2] is None and not repaired.any()
    assert not geoms[1].has_z
    # a sliver that rounding to 1e-7 collapses: repaired, and never an invalid geometry
    sliver = Polygon([(121.4, 31.2), (121.40000001, 31.2), (121.40000001, 31.20000002)])
    out, fixed = prepare_geometries([sliver])
    assert out[0] is None or shapely.is_valid(out[0])
    with pytest.raises(ExportError, match="bd09"):
        prepare_geometries([with_z], crs="bd09")


# ------------------------------------------------------------------ GeoJSON


def test_geojson_is_rfc7946(frame):
    doc = json.loads(geojson_text(frame, EXPORTED_COLUMNS, {"data_version": "abc"}))
    assert rfc7946_problems(doc) == []
    assert shapely_winding_ok(doc)
    assert doc["data_version"] == "abc"
    features = by_id(doc)
    assert list(features) == frame["id"].tolist()
    assert all(list(f["properties"]) == list(EXPORT_FIELDS) for f in doc["features"])
    assert features["nowhere"]["geometry"] is None
    assert features["nowhere"]["properties"]["target_year"] is None
    assert features["bow-tie"]["properties"]["geometry_repaired"] is True
    assert features["holed-park"]["properties"]["geometry_repaired"] is False
    assert features["tricky-point"]["properties"]["name_zh"] == TRICKY_NAME
    assert features["tricky-point"]["properties"]["aliases"] == ["天山", "tianshan"]
    assert features["tricky-point"]["geometry"]["coordinates"] == [121.4161812, 31.2234]


def test_geojson_round_trip_through_geopandas(frame):
    meta = {"name": "round-trip"}
    first = json.loads(geojson_text(frame, EXPORTED_COLUMNS, meta))
    read = gpd.read_file(io.BytesIO(geojson_text(frame, EXPORTED_COLUMNS, meta).encode("utf-8")))
    assert read.crs.equals("EPSG:4326") and len(read) == len(frame)
    second = json.loads(geojson_text(read, EXPORTED_COLUMNS, meta))
    assert rfc7946_problems(second) == []
    for a, b in zip(first["features"], second["features"], strict=True):
        assert a["id"] == b["id"]
        props_a = {k: v for k, v in a["properties"].items() if k != "geometry_repaired"}
        props_b = {k: v for k, v in b["properties"].items() if k != "geometry_repaired"}
        assert props_a == props_b
        assert b["properties"]["geometry_repaired"] is False  # prepared output stays valid
        if a["geometry"] is None:
            assert b["geometry"] is None
            continue
        ga, gb = shapely.geometry.shape(a["geometry"]), shapely.geometry.shape(b["geometry"])
        assert ga.geom_type == gb.geom_type
        ca, cb = shapely.get_coordinates(ga), shapely.get_coordinates(gb)
        assert ca.shape == cb.shape and np.abs(ca - cb).max() <= 1e-7


def test_geojson_empty_and_bad_metadata(frame):
    doc = json.loads(geojson_text(frame.iloc[:0], EXPORTED_COLUMNS, {}))
    assert doc == {"type": "FeatureCollection", "features": []}
    for member in ("crs", "type", "features", "bbox"):
        with pytest.raises(ExportError, match="member name"):
            geojson_text(frame, EXPORTED_COLUMNS, {member: 1})
    with pytest.raises(ExportError, match="EPSG:4326"):
        geojson_text(frame.to_crs("EPSG:32651"), EXPORTED_COLUMNS, {})
    with pytest.raises(ExportError, match="no column"):
        geojson_text(frame, ["id", "nope"], {})


def test_geojson_gcj02_is_shifted_and_labelled(frame):
    wgs = parse(frame_bytes(frame, "geojson", {}))
    gcj = parse(frame_bytes(frame, "geojson", {}, crs="gcj02"))
    lon, lat = wgs["features"][0]["geometry"]["coordinates"]
    expected = convert(121.416181234567, 31.2234, "wgs84", "gcj02")
    assert gcj["features"][0]["geometry"]["coordinates"] == pytest.approx(expected, abs=1e-7)
    assert abs(expected[0] - lon) > 0.004  # ~500 m: not silently WGS-84
    assert "crs" not in gcj


def test_frame_bytes_metadata_counts(frame):
    doc = parse(frame_bytes(frame, "geojson", {"name": "x"}))
    assert (doc["feature_count"], doc["unlocated_count"], doc["geometry_repaired_count"]) == (6, 1, 1)
    with pytest.raises(ExportError, match="unknown export format"):
        frame_bytes(frame, "shp", {})


# ------------------------------------------------------------------ CSV


def test_csv_bom_points_wkt_and_formulas(frame):
    data = frame_bytes(frame, "csv", {})
    assert data.startswith(b"\xef\xbb\xbf")
    table = pd.read_csv(io.BytesIO(data), encoding="utf-8-sig", keep_default_na=False, dtype=str)
    assert list(table.columns) == [*EXPORT_FIELDS, "geometry_type", "lon", "lat", "wkt"]
    assert len(table) == len(frame)
    rows = table.set_index("id")
    point = rows.loc["tricky-point"]
    assert (point["lon"], point["lat"], point["wkt"]) == ("121.4161812", "31.2234", "")
    assert point["name_zh"] == TRICKY_NAME.replace("\n", "\r\n") or point["name_zh"] == TRICKY_NAME
    assert point["name_en"].startswith("'=")  # not run as a formula by Excel
    assert point["aliases"] == "天山; tianshan"
    assert rows.loc["holed-park", "wkt"].startswith("POLYGON ((")
    assert shapely.from_wkt(rows.loc["holed-park", "wkt"]).exterior.is_ccw
    assert rows.loc["a-street", "lon"] == "" and rows.loc["a-street", "geometry_type"] == "LineString"
    nowhere = rows.loc["nowhere"]
    assert (nowhere["lon"], nowhere["wkt"], nowhere["geometry_type"], nowhere["target_year"]) == ("", "", "", "")
    assert rows.loc["bow-tie", "geometry_repaired"] == "true"


def test_csv_gcj02_columns_say_so(frame):
    header = frame_bytes(frame, "csv", {}, crs="gcj02").decode("utf-8-sig").splitlines()[0]
    assert header.endswith("lon_gcj02,lat_gcj02,wkt_gcj02")


# ------------------------------------------------------------------ GeoPackage


def gpkg_file(data: bytes, tmp_path: Path) -> Path:
    path = tmp_path / "export.gpkg"
    path.write_bytes(data)
    return path


def test_gpkg_one_table_per_layer_with_spatial_index(frame, tmp_path):
    path = gpkg_file(frame_bytes(frame, "gpkg", {"data_version": "abc", "filter": {}},
                                 layers=LAYERS), tmp_path)
    tables = {name: kind for name, kind in pyogrio.list_layers(path)}
    assert set(tables) == {"public_space", "renewal", "atlas_export_metadata"}
    parks = gpd.read_file(path, layer="public_space")
    assert parks.crs.equals("EPSG:4326")
    assert parks["id"].tolist() == ["tricky-point", "a-street", "holed-park"]
    assert parks["name_zh"].iloc[0] == TRICKY_NAME
    assert parks["aliases"].iloc[0] == "天山; tianshan"
    renewal = gpd.read_file(path, layer="renewal")
    assert renewal["geometry"].isna().tolist() == [False, False, True]
    assert renewal.is_valid[renewal.geometry.notna()].all()
    with sqlite3.connect(path) as db:
        extensions = {row[0] for row in db.execute("SELECT table_name FROM gpkg_extensions "
                                                    "WHERE extension_name = 'gpkg_rtree_index'")}
        contents = dict(db.execute("SELECT table_name, identifier FROM gpkg_contents"))
    assert extensions == {"public_space", "renewal"}
    assert contents["public_space"] == LAYERS[0][1]
    meta = pyogrio.read_dataframe(path, layer="atlas_export_metadata")
    values = dict(zip(meta["key"], meta["value"], strict=True))
    assert values["data_version"] == "abc" and values["feature_count"] == "6"


def test_gpkg_gcj02_crs_is_named(frame, tmp_path):
    path = gpkg_file(frame_bytes(frame, "gpkg", {}, crs="gcj02"), tmp_path)
    read = gpd.read_file(path, layer="projects")
    assert "GCJ-02" in read.crs.name and read.crs.to_epsg() is None


# ------------------------------------------------------------------ KML


def kml_data(element: ET.Element) -> dict[str, str]:
    extended = element.find("k:ExtendedData", KML_NS)
    return {d.get("name"): d.find("k:value", KML_NS).text or "" for d in extended.findall("k:Data", KML_NS)}


def test_kml_folders_bilingual_names_and_escaping(frame):
    data = frame_bytes(frame, "kml", {"title": "测试 / Test", "data_version": "abc"}, layers=LAYERS)
    assert data.startswith(b"<?xml version='1.0' encoding='utf-8'?>")
    root = ET.fromstring(data)  # noqa: S314  (our own output)
    assert root.tag == f"{KML}kml"
    top = root.find("k:Document", KML_NS)
    assert top.find("k:name", KML_NS).text == "测试 / Test"
    assert "data_version: abc" in top.find("k:description", KML_NS).text
    assert kml_data(top)["data_version"] == "abc" and kml_data(top)["feature_count"] == "6"
    folders = top.findall("k:Folder", KML_NS)
    assert [f.get("id") for f in folders] == [lid for lid, _ in LAYERS]
    assert [f.find("k:name", KML_NS).text for f in folders] == [title for _, title in LAYERS]
    marks = {p.get("id"): p for p in root.iter(f"{KML}Placemark")}
    assert sorted(marks) == sorted(frame["id"])
    assert marks["a-street"].find("k:name", KML_NS).text == "天山公园 / Tianshan Park"
    tricky = marks["tricky-point"].find("k:name", KML_NS).text
    # XML 1.0 cannot carry U+0001 at all: it becomes U+FFFD; everything else survives, ']]>' too.
    assert tricky == TRICKY_NAME.replace("\x01", "\ufffd") + " / " + frame["name_en"].iloc[0]
    values = kml_data(marks["a-street"])
    assert list(values) == list(EXPORT_FIELDS)
    assert values["name_en"] == "Tianshan Park" and values["pos_source"] == "test fixture"
    assert values["aliases"] == "天山; tianshan" and values["geometry_repaired"] == "false"
    assert kml_data(marks["nowhere"])["target_year"] == ""
    assert marks["nowhere"].find("k:Point", KML_NS) is None
    point = marks["tricky-point"].find("k:Point/k:coordinates", KML_NS).text
    assert point == "121.4161812,31.2234"
    line = marks["a-street"].find("k:LineString/k:coordinates", KML_NS).text.split()
    assert line == ["121.41,31.21", "121.415,31.2125", "121.42,31.215"]
    polygon = marks["holed-park"].find("k:Polygon", KML_NS)
    rings = [polygon.find("k:outerBoundaryIs/k:LinearRing/k:coordinates", KML_NS).text,
             polygon.find("k:innerBoundaryIs/k:LinearRing/k:coordinates", KML_NS).text]
    outer, hole = ([tuple(map(float, p.split(","))) for p in r.split()] for r in rings)
    assert _ring_area2(outer) > 0 and _ring_area2(hole) < 0  # KML asks for CCW outer rings too
    multi = marks["two-parts"].find("k:MultiGeometry", KML_NS)
    assert len(multi.findall("k:Polygon", KML_NS)) == 2
    repaired = marks["bow-tie"].find("k:MultiGeometry", KML_NS)
    assert repaired is not None and kml_data(marks["bow-tie"])["geometry_repaired"] == "true"


def test_kml_gcj02_says_so_in_its_name(frame):
    root = ET.fromstring(frame_bytes(frame, "kml", {"title": "T"}, crs="gcj02"))  # noqa: S314
    assert "GCJ-02" in root.find("k:Document/k:name", KML_NS).text


# ------------------------------------------------------------------ the real atlas


def layer_ids(atlas) -> list[str]:
    return [s.id for s in atlas.project_layers]


def test_every_shipped_layer_export_is_rfc7946(atlas):
    for lid in [*layer_ids(atlas), None]:
        flt = Filter(values={"layer": (lid,)}) if lid else Filter()
        data, name, mime = export_bytes(atlas, flt, "geojson")
        doc = parse(data)
        assert rfc7946_problems(doc) == [], lid
        assert shapely_winding_ok(doc)
        expected = atlas.projects if lid is None else atlas.projects[atlas.projects["layer"] == lid]
        assert [f["id"] for f in doc["features"]] == expected["id"].tolist()
        assert all(list(f["properties"]) == list(EXPORT_FIELDS) for f in doc["features"])
        assert doc["data_version"] == atlas.data_version and "generated_at" in doc
        assert mime == "application/geo+json" and name.endswith(".geojson")
        assert name == f"changning-{atlas.data_version}{f'-{lid}' if lid else ''}.geojson"


def test_per_layer_exports_cover_the_whole_export(atlas):
    parts = export_layers_separately(atlas, Filter(), "geojson")
    assert list(parts) == layer_ids(atlas)
    whole = parse(export_bytes(atlas, Filter(), "geojson")[0])
    ids = [f["id"] for data, _, _ in parts.values() for f in parse(data)["features"]]
    assert sorted(ids) == sorted(f["id"] for f in whole["features"])
    for lid, (data, name, _) in parts.items():
        doc = parse(data)
        assert rfc7946_problems(doc) == [] and doc["layers"] == [lid] and lid in name


def test_shipped_unlocated_projects_are_null_features(atlas):
    doc = parse(export_bytes(atlas, Filter(values={"precision": ("unlocated",)}), "geojson")[0])
    assert doc["features"] and all(f["geometry"] is None for f in doc["features"])
    assert doc["unlocated_count"] == len(doc["features"])
    assert all(f["properties"]["pos_confidence"] == "none" for f in doc["features"])


def test_export_bytes_all_formats_and_names(atlas, tmp_path):
    for fmt, spec in FORMATS.items():
        data, name, mime = export_bytes(atlas, Filter(), fmt)
        assert data and mime == spec.mime
        assert name == f"changning-{atlas.data_version}{spec.suffix}"
        assert safe_output_path(name, tmp_path).name == name
        gcj_name = export_bytes(atlas, Filter(), fmt, crs="gcj02")[1]
        assert gcj_name.endswith(f"-gcj02{spec.suffix}")


def test_export_bytes_is_deterministic_apart_from_time(atlas):
    flt = Filter(values={"layer": ("public_space",)}, query="公园")
    first = parse(export_bytes(atlas, flt, "geojson")[0])
    second = parse(export_bytes(atlas, flt, "geojson")[0])
    first.pop("generated_at")
    second.pop("generated_at")
    assert first == second
    assert first["filter"] == {"layer": ["public_space"], "q": "公园"}


def test_export_metadata_members(atlas):
    meta = export_metadata(atlas, Filter(), "gcj02")
    assert meta["coordinate_system"] == "gcj02" and "NOT WGS-84" in meta["coordinate_system_note"]
    assert meta["coordinate_decimals"] == COORD_DECIMALS
    assert meta["sources"] and meta["licence"] and meta["data_version"] == atlas.data_version


def test_export_bytes_bad_inputs(atlas):
    with pytest.raises(ExportError, match="unknown export format 'xlsx'"):
        export_bytes(atlas, Filter(), "xlsx")
    with pytest.raises(ExportError, match="wgs84 or gcj02"):
        export_bytes(atlas, Filter(), "geojson", crs="bd09")
    with pytest.raises(FilterError, match="unknown layer"):
        export_bytes(atlas, Filter(values={"layer": ("nope",)}), "geojson")


# ------------------------------------------------------------------ output names


@pytest.mark.parametrize("name", [
    "../../x", "../x.geojson", "a/../../x.csv", "..\\..\\x", "/etc/passwd", "C:\\x.kml",
])
def test_safe_output_path_rejects_traversal(name, tmp_path):
    with pytest.raises(ExportError, match="leaves the output folder"):
        safe_output_path(name, tmp_path)


@pytest.mark.parametrize("name", [
    "CON", "con.geojson", "PRN.csv", "aux", "NUL.kml", "COM1.gpkg", "lpt9.txt", "Com3", "sub/nul.txt",
])
def test_safe_output_path_rejects_reserved_names(name, tmp_path):
    with pytest.raises(ExportError, match="reserved device name"):
        safe_output_path(name, tmp_path)
    with pytest.raises(ExportError, match="reserved device name"):
        safe_output_path(name.split("/")[-1])


@pytest.mark.parametrize("name,message", [
    ("", "empty"), ("   ", "empty"), ("a\x00b.csv", "control characters"),
    ("a\nb.csv", "control characters"), ("x.geojson.", "ends in a dot"), ("x ", "ends in a dot"),
    ("ab:c.csv", "not allowed"), ("a:b.csv", "leaves the output folder"), ('a"b.csv', "not allowed"), ("a|b", "not allowed"), ("a?b", "not allowed"),
])
def test_safe_output_path_rejects_bad_names(name, message, tmp_path):
    with pytest.raises(ExportError, match=message):
        safe_output_path(name, tmp_path)


def test_safe_output_path_accepts_good_names(tmp_path):
    assert safe_output_path("长宁 projects.geojson", tmp_path) == tmp_path.resolve() / "长宁 projects.geojson"
    assert safe_output_path("sub/x.csv", tmp_path) == tmp_path.resolve() / "sub" / "x.csv"
    assert safe_output_path("console.csv", tmp_path).name == "console.csv"  # CON only as a whole
    assert safe_output_path("../out/x.geojson") == Path("../out/x.geojson")  # typed on a CLI
    with pytest.raises(ExportError, match="text or a path"):
        safe_output_path(42, tmp_path)  # type: ignore[arg-type]


def test_safe_output_path_rejects_symlink_escape(tmp_path):
    base, outside = tmp_path / "base", tmp_path / "outside"
    base.mkdir()
    outside.mkdir()
    (base / "link").symlink_to(outside, target_is_directory=True)
    with pytest.raises(ExportError, match="leaves the output folder"):
        safe_output_path("link/x.geojson", base)


def test_label_crs():
    assert label_crs(Path("a/p.geojson"), "gcj02") == Path("a/p-gcj02.geojson")
    assert label_crs(Path("p_GCJ-02.csv"), "gcj02") == Path("p_GCJ-02.csv")
    assert label_crs(Path("p.kml"), "wgs84") == Path("p.kml")


# ------------------------------------------------------------------ atomic writes


def parts_in(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.endswith(".part"))


def test_atomic_write_replaces_and_keeps_mode(tmp_path):
    target = tmp_path / "x.geojson"
    atomic_write(target, "old")
    assert target.read_text() == "old" and (target.stat().st_mode & 0o777) == 0o644
    target.chmod(0o600)
    atomic_write(target, b"new")
    assert target.read_bytes() == b"new" and (target.stat().st_mode & 0o777) == 0o600
    atomic_write(target, iter([b"ch", b"unks"]))
    assert target.read_bytes() == b"chunks"
    assert parts_in(tmp_path) == []


def test_atomic_write_failure_mid_write_keeps_old_file(tmp_path):
    target = tmp_path / "x.geojson"
    atomic_write(target, "old")

    def failing():
        yield b"partial"
        raise OSError(28, "No space left on device")

    with pytest.raises(ExportError, match="No space left"):
        atomic_write(target, failing())
    assert target.read_text() == "old"
    assert parts_in(tmp_path) == []


def test_atomic_write_bad_targets(tmp_path):
    with pytest.raises(ExportError, match="does not exist"):
        atomic_write(tmp_path / "missing" / "x.geojson", "x")
    with pytest.raises(ExportError, match="is a folder"):
        atomic_write(tmp_path, "x")
    (tmp_path / "file").write_text("")
    with pytest.raises(ExportError, match="is not a folder"):
        atomic_write(tmp_path / "file" / "x.geojson", "x")


@pytest.mark.skipif(os.name != "posix", reason="stale parts are recognised by PID on POSIX")
def test_stale_parts_of_dead_writers_are_removed(tmp_path):
    target = tmp_path / "x.geojson"
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True, check=True)
    stale = tmp_path / f".x.geojson.{dead.stdout.strip()}.abc123.part"
    alive = tmp_path / f".x.geojson.{os.getppid()}.def456.part"
    other = tmp_path / f".y.geojson.{dead.stdout.strip()}.abc123.part"
    for path in (stale, alive, other):
        path.write_text("partial")
    atomic_write(target, "new")
    assert parts_in(tmp_path) == sorted([alive.name, other.name])


KILL_CHILD = """
import sys, time
from pathlib import Path
from app.bench.export import synthetic_frame
from app.io.atomic import atomic_write
from app.io.export import frame_bytes

target, n = Path(sys.argv[1]), int(sys.argv[2])
data = frame_bytes(synthetic_frame(n), "geojson", {"name": "new"}, columns=["id", "name_zh"])

def chunks():  # the real bytes, written slowly enough that the kill lands mid-write
    for start in range(0, len(data), 1 << 16):
        yield data[start:start + (1 << 16)]
        time.sleep(0.005)

atomic_write(target, chunks())
print("finished")
"""


@pytest.mark.skipif(os.name != "posix", reason="SIGKILL")
def test_killed_export_leaves_previous_file_intact(tmp_path, frame):
    target = tmp_path / "projects.geojson"
    old = geojson_text(frame, EXPORTED_COLUMNS, {"name": "old"})
    atomic_write(target, old)
    child = subprocess.Popen([sys.executable, "-c", KILL_CHILD, str(target), "20000"],
                             cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 120
        part = None
        while time.monotonic() < deadline and child.poll() is None:
            found = [p for p in tmp_path.iterdir() if p.name.endswith(".part")]
            if found and found[0].stat().st_size > (1 << 17):  # a few chunks are on disk
                part = found[0]
                break
            time.sleep(0.005)
        assert part is not None, f"no temporary file appeared: {child.communicate()}"
        os.kill(child.pid, signal.SIGKILL)
        child.wait(timeout=30)
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()
    assert child.returncode == -signal.SIGKILL
    assert target.read_text(encoding="utf-8") == old
    assert json.loads(target.read_text(encoding="utf-8"))["name"] == "old"
    assert part.exists()  # the orphan of the killed writer...
    atomic_write(target, "{}")
    assert parts_in(tmp_path) == []  # ...is cleaned up by the next write
    assert target.read_text() == "{}"


# ------------------------------------------------------------------ benchmark smoke test


def test_benchmark_smoke(capsys):
    assert app.bench.export.main(["--features", "40", "--vertices", "6"]) == 0
    out = capsys.readouterr().out
    assert "ours" in out and "geopandas" in out and "MB/s" in out
    assert "speed-up vs geopandas to_file GeoJSON: " in out
    ratio = float(out.split("speed-up vs geopandas to_file GeoJSON: ")[1].split("x")[0])
    assert math.isfinite(ratio) and ratio > 0


def test_synthetic_frame_is_valid_and_mixed_winding():
    frame = app.bench.export.synthetic_frame(200, vertices=20)
    assert frame.is_valid.all() and len(frame) == 200
    ccw = shapely.is_ccw(shapely.get_exterior_ring(frame.geometry.to_numpy()))
    assert 0 < ccw.mean() < 1


def test_winding_matches_shapely_on_many_random_rings():
    frame = app.bench.export.synthetic_frame(2000, vertices=9, seed=7)
    rings = frame.geometry.to_numpy()
    holed = shapely.difference(shapely.buffer(rings[:50], 4e-4), shapely.buffer(rings[:50], 1e-4))
    # hole-free polygons, holed ones and others interleaved, so per-geometry sums must not leak
    geoms = np.concatenate([rings[:1000], holed, rings[1000:], [None],
                            shapely.reverse(holed[:5]), [Point(121.4, 31.2), None,
                                                         LineString([(121.4, 31.2), (121.5, 31.3)])]])
    out, repaired = prepare_geometries(geoms)
    rounded = shapely.transform(geoms, lambda xy: np.round(xy, COORD_DECIMALS))
    expected = shapely.orient_polygons(rounded, exterior_cw=False)
    same = shapely.equals_identical(out[~repaired], expected[~repaired])
    assert same[~shapely.is_missing(expected[~repaired])].all()
    assert out[-2] is None and out[-1].geom_type == "LineString"


def test_layers_must_cover_every_row(frame):
    with pytest.raises(ExportError, match="would be left out"):
        frame_bytes(frame, "gpkg", {}, layers=LAYERS[:1])


def test_exports_carry_parts_extent_and_the_living_register(atlas):
    import csv as csvmod

    from app.service.atlas import shown_atlas

    living = shown_atlas(base=atlas).atlas
    doc = json.loads(export_bytes(living, Filter(), "geojson")[0])
    props = {f["id"]: f["properties"] for f in doc["features"]}
    parts = [p for p in props.values() if p["parent"]]
    wide = [p for p in props.values() if p["extent"] == "district"]
    expected = living.projects[living.projects["parent"] != ""].set_index("id")["parent"].to_dict()
    assert parts and {p["id"]: p["parent"] for p in parts} == expected
    assert wide and all(doc_f["geometry"] is None for doc_f in doc["features"]
                        if doc_f["properties"]["extent"] == "district")
    park = props["tianshan-park"]
    assert park["stages"][0]["date"] == "2025-01-08" and park["stages"][0]["stage"] == park["status"]
    assert park["links"] == [] and park["stage_date"] == "2025-01-08"
    rows = list(csvmod.DictReader(io.StringIO(export_bytes(living, Filter(), "csv")[0].decode("utf-8-sig"))))
    row = next(r for r in rows if r["id"] == "tianshan-park")
    assert json.loads(row["stages"])[0]["stage"] == park["status"]  # JSON text in a flat format
