"""Importing registers (app/io/importer.py, app/geo/address.py, app/cli/import_cmd.py).

Every fixture file is written by the tests themselves, from the small tables below.
"""

from __future__ import annotations

import argparse
import doctest
import json
import sys
from dataclasses import replace
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest
import shapely
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pyproj import Transformer
from shapely import LineString, Point

import app.geo.address
import app.io.charset
import app.io.crs_guess
import app.io.importer
import app.io.limits
import app.io.mapping
import app.io.readers
import app.io.report
from app.cli import import_cmd as cli_import
from app.data.atlas import PROJECT_COLUMNS
from app.domain.filters import Filter, apply_filter
from app.errors import AtlasError, ImportFileError, UnknownCRSError
from app.geo.address import Matcher, normalise_address, parse_road_address
from app.geo.crs import convert
from app.geo.gazetteer import Place
from app.geo.geocode import to_metric
from app.io.importer import DEFAULT_LAYER, IMPORTED, import_file
from app.io.limits import UPLOAD_LIMIT_BYTES, check_upload_size
from app.io.mapping import MAPPING_FIELDS, infer_mapping, resolve_mapping
from app.io.readers import detect_format, read_table
from app.io.report import ROW_STATUSES, ImportReport
from app.map.builder import build_map

PROPERTY = settings(max_examples=60, deadline=None,
                    suppress_health_check=[HealthCheck.function_scoped_fixture])

# WGS-84 truths: two named reference places in Changning (gazetteer positions, rounded).
TIANSHAN = (121.4110, 31.2121)
ZHONGSHAN = (121.4186, 31.2183)

HEADER = "项目名称,地址,经度,纬度,类别,状态,年份"
ROWS = [
    "天山公园改造,,121.4110,31.2121,公园,运营提升,2025",
    "中山公园连廊,,121.4186,31.2183,corridor,建设中,2026年",
    "地址项目,上海市长宁区延安西路1609号,,,,,",
    "公园项目,天山公园,,,,,",
]


def csv_text(rows: list[str] = ROWS, header: str = HEADER) -> str:
    return "\n".join([header, *rows]) + "\n"


def metres(a: shapely.Geometry, b: shapely.Geometry) -> float:
    return to_metric(a).distance(to_metric(b))


def run_import(atlas, text: str, **kwargs):
    return import_file(text.encode("utf-8"), filename=kwargs.pop("filename", "r.csv"),
                       atlas=atlas, **kwargs)


def row(result, number: int):
    return next(r for r in result.report.rows if r.row == number)


@pytest.mark.parametrize("module", [app.io.importer, app.io.readers, app.io.mapping, app.io.report,
                                    app.io.limits, app.io.charset, app.io.crs_guess,
                                    app.geo.address, cli_import], ids=lambda m: m.__name__)
def test_doctests(module):
    assert doctest.testmod(module).failed == 0


# -- reading ---------------------------------------------------------------------------------


def test_gbk_and_utf8_bom_csvs_give_identical_frames(atlas, tmp_path):
    gbk = tmp_path / "register-gbk.csv"
    bom = tmp_path / "register-bom.csv"
    gbk.write_bytes(csv_text().encode("gbk"))
    bom.write_bytes(csv_text().encode("utf-8-sig"))
    assert gbk.read_bytes() != bom.read_bytes()
    tables = [read_table(p) for p in (gbk, bom)]
    assert [t.encoding for t in tables] == ["gb18030", "utf-8-sig"]
    pd.testing.assert_frame_equal(tables[0].frame, tables[1].frame)
    assert tables[0].columns == ("项目名称", "地址", "经度", "纬度", "类别", "状态", "年份")
    results = [import_file(p, filename="register.csv", atlas=atlas) for p in (gbk, bom)]
    pd.testing.assert_frame_equal(results[0].frame, results[1].frame)
    assert results[0].report.rows == results[1].report.rows


def test_plain_utf8_and_given_encoding(atlas):
    plain = read_table(csv_text().encode("utf-8"), filename="a.csv")
    given_ = read_table(csv_text().encode("gbk"), filename="a.csv", encoding="gbk")
    assert plain.encoding == "utf-8" and given_.encoding == "gbk"
    pd.testing.assert_frame_equal(plain.frame, given_.frame)


def test_wrong_given_encoding_is_an_import_error():
    with pytest.raises(ImportFileError, match="not utf-8"):
        read_table(csv_text().encode("gbk"), filename="a.csv", encoding="utf-8")
    with pytest.raises(ImportFileError, match="unknown encoding"):
        read_table(b"a,b\n1,2\n", filename="a.csv", encoding="klingon")


def test_semicolon_and_tab_separated_csv():
    for sep in (";", "\t"):
        table = read_table(csv_text().replace(",", sep).encode(), filename="a.csv")
        assert table.columns[:2] == ("项目名称", "地址") and len(table.frame) == len(ROWS)


def test_excel_file(atlas, tmp_path):
    path = tmp_path / "register.xlsx"
    frame = pd.DataFrame([r.split(",") for r in ROWS], columns=HEADER.split(","))
    frame["经度"] = pd.to_numeric(frame["经度"])  # real numbers in the cells, as Excel keeps them
    frame["纬度"] = pd.to_numeric(frame["纬度"])
    with pd.ExcelWriter(path, engine="openpyxl") as writer:
        frame.to_excel(writer, sheet_name="项目", index=False)
        pd.DataFrame({"x": [1]}).to_excel(writer, sheet_name="other", index=False)
    result = import_file(path, atlas=atlas)
    from_csv = run_import(atlas, csv_text())
    assert result.report.source["format"] == "xlsx"
    assert "'项目'" in result.report.source["notes"][0]
    assert [(r.status, r.method) for r in result.report.rows] == [
        (r.status, r.method) for r in from_csv.report.rows]
    assert result.frame.geometry.iloc[0].equals(Point(*TIANSHAN))


def test_geojson_in_gcj02_lands_within_a_metre_of_the_truth(atlas):
    truths = {"天山公园": TIANSHAN, "中山公园": ZHONGSHAN}
    features = []
    for name, (lon, lat) in truths.items():
        glon, glat = convert(lon, lat, "wgs84", "gcj02")
        features.append({"type": "Feature", "properties": {"name": name, "status": "operating"},
                         "geometry": {"type": "Point", "coordinates": [glon, glat]}})
    data = json.dumps({"type": "FeatureCollection", "features": features}).encode()
    result = import_file(data, filename="parks.geojson", crs="gcj02", atlas=atlas)
    assert result.report.source["geometry_crs"] == "gcj02"
    for (name, truth), geom in zip(truths.items(), result.frame.geometry, strict=True):
        assert metres(geom, Point(*truth)) < 1.0, name
    assert set(result.frame["pos_source_crs"]) == {"gcj02"}
    assert all("gcj02→wgs84" in m for m in result.frame["pos_method"])
    wrong = import_file(data, filename="parks.geojson", crs="wgs84", atlas=atlas)
    assert all(metres(g, Point(*t)) > 300 for g, t in
               zip(wrong.frame.geometry, truths.values(), strict=True))


def test_geojson_polygon_and_null_geometry(atlas):
    polygon = shapely.Point(*TIANSHAN).buffer(0.001)
    data = json.dumps({"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"名称": "地块"}, "geometry": shapely.geometry.mapping(polygon)},
        {"type": "Feature", "properties": {"名称": "天山公园"}, "geometry": None},
        {"type": "Feature", "properties": {"名称": "坏"}, "geometry": {"type": "Point", "coordinates": []}},
    ]}).encode()
    result = import_file(data, filename="x.json", atlas=atlas)
    assert [r.status for r in result.report.rows] == ["placed", "placed", "rejected"]
    assert row(result, 2).method == "exact"
    assert result.frame.geometry.iloc[0].geom_type == "Polygon"


def test_geopackage_in_a_projected_crs(atlas, tmp_path):
    to_utm = Transformer.from_crs("EPSG:4326", "EPSG:32651", always_xy=True)
    frame = gpd.GeoDataFrame({"项目名称": ["天山", "中山"]},
                             geometry=[Point(*to_utm.transform(*TIANSHAN)),
                                       Point(*to_utm.transform(*ZHONGSHAN))], crs="EPSG:32651")
    path = tmp_path / "register.gpkg"
    frame.to_file(path, driver="GPKG", layer="projects")
    result = import_file(path.read_bytes(), filename="register.gpkg", atlas=atlas)
    assert result.report.source["geometry_crs"] == "EPSG:32651"
    assert metres(result.frame.geometry.iloc[0], Point(*TIANSHAN)) < 0.01
    assert metres(result.frame.geometry.iloc[1], Point(*ZHONGSHAN)) < 0.01


def test_geopackage_labelled_4326_takes_the_declared_crs(atlas, tmp_path):
    glon, glat = convert(*TIANSHAN, "wgs84", "gcj02")
    path = tmp_path / "gcj.gpkg"
    gpd.GeoDataFrame({"name": ["天山"]}, geometry=[Point(glon, glat)], crs="EPSG:4326").to_file(path)
    result = import_file(path, crs="gcj02", atlas=atlas)
    assert metres(result.frame.geometry.iloc[0], Point(*TIANSHAN)) < 1.0


@pytest.mark.parametrize(("filename", "data", "message"), [
    ("a.csv", b"", "empty"),
    ("a.csv", b"\x00\x01\x02binary", "binary"),
    ("a.csv", "名称\n\n  \n".encode(), "no data rows"),
    ("a.xls", b"whatever", r"\.xls"),
    ("a.xlsx", b"not a zip", "Excel"),
    ("a.gpkg", b"not sqlite", "GeoPackage"),
    ("a.geojson", b"{not json", "JSON"),
    ("a.geojson", b'{"type": "Point", "coordinates": [1, 2]}', "FeatureCollection"),
    ("a.geojson", b'[1, 2]', "object"),
    ("a.pdf", b"%PDF-1.4", "unknown file type"),
    ("a.csv", "名称,名称\n1,2\n".encode(), "repeated"),
    ("a.csv", b"foo,bar\n1,2\n", "no column for a name"),
    ("a.csv", "名称,经度\n天山,121.4\n".encode(), "lon is mapped"),
])
def test_unusable_files_raise_import_file_error(atlas, filename, data, message):
    with pytest.raises(ImportFileError, match=message):
        import_file(data, filename=filename, atlas=atlas)


def test_missing_path_and_bad_crs(atlas, tmp_path):
    with pytest.raises(ImportFileError, match="no such file"):
        import_file(tmp_path / "nope.csv", atlas=atlas)
    with pytest.raises(UnknownCRSError):
        run_import(atlas, csv_text(), crs="utm")


def test_format_detection_by_content():
    assert detect_format(None, b"PK\x03\x04rest") == "xlsx"
    assert detect_format(None, b'\xef\xbb\xbf {"type": "FeatureCollection"}') == "geojson"
    assert detect_format(None, "名称\n".encode()) == "csv"


def test_upload_size_limit():
    check_upload_size(UPLOAD_LIMIT_BYTES)
    with pytest.raises(ImportFileError, match=r"limited to 5 MiB \(5242880 bytes"):
        check_upload_size(UPLOAD_LIMIT_BYTES + 1)


# -- mapping ---------------------------------------------------------------------------------


@pytest.mark.parametrize(("columns", "expected"), [
    (["名称", "地址", "经度", "纬度"], {"name": "名称", "address": "地址", "lon": "经度", "lat": "纬度"}),
    (["项目名称", "项目地址", "lng", "lat"], {"name": "项目名称", "address": "项目地址", "lon": "lng", "lat": "lat"}),
    (["Name", "Address", "Longitude", "Latitude"], {"name": "Name", "address": "Address", "lon": "Longitude", "lat": "Latitude"}),
    (["NAME_EN", "name", "X", "Y"], {"name": "name", "name_en": "NAME_EN", "lon": "X", "lat": "Y"}),
    (["经度（GCJ-02）", "纬度（GCJ-02）"], {"lon": "经度（GCJ-02）", "lat": "纬度（GCJ-02）"}),
    (["编号", "图层", "类别", "状态", "行动", "目标年份", "街道", "说明", "别名"],
     {"id": "编号", "layer": "图层", "category": "类别", "status": "状态", "action": "行动",
      "target_year": "目标年份", "subdistrict": "街道", "description": "说明", "aliases": "别名"}),
    (["ｎａｍｅ", " 地 址 "], {"name": "ｎａｍｅ", "address": " 地 址 "}),
    (["值", "other"], {}),
])
def test_mapping_is_inferred_from_common_headers(columns, expected):
    assert infer_mapping(columns) == expected


def test_explicit_mapping_wins_and_can_unmap():
    columns = ["名称", "地址", "标题"]
    assert resolve_mapping(columns, {"name": "标题"}) == {"name": "标题", "address": "地址"}
    assert resolve_mapping(columns, {"address": None}) == {"name": "名称"}
    assert resolve_mapping(columns, {"address": "名称"}) == {"address": "名称"}
    with pytest.raises(ImportFileError, match="unknown field"):
        resolve_mapping(columns, {"colour": "名称"})
    with pytest.raises(ImportFileError, match="more than one field"):
        resolve_mapping(columns, {"name": "名称", "address": "名称"})


def test_import_reports_the_mapping_it_used(atlas):
    result = run_import(atlas, csv_text(), mapping={"target_year": None})
    assert result.mapping == {"name": "项目名称", "address": "地址", "lon": "经度", "lat": "纬度",
                              "category": "类别", "status": "状态"}
    assert result.report.source["mapping"] == dict(result.mapping)
    assert list(result.mapping) == [f for f in MAPPING_FIELDS if f in result.mapping]


# -- coordinates, row by row -----------------------------------------------------------------

PROBLEM_ROWS = csv_text(header="名称,经度,纬度", rows=[
    "正常,121.4110,31.2121",
    "交换,31.2121,121.4110",
    "投影,350000,3454000",
    "全角,１２１．４１１０,３１．２１２１",
    "度分秒,121°24′39.6″E,31°12′43.56″N",
    "天山公园,NaN,NaN",
    "半空,121.4110,",
    "区外,121.60,31.30",
    "看不懂,东边一点,31.2",
])


@pytest.mark.parametrize(("number", "status", "codes"), [
    (1, "placed", []),
    (2, "fixed", ["swapped"]),
    (3, "rejected", ["projected-as-degrees"]),
    (4, "fixed", ["full-width"]),
    (5, "fixed", ["dms"]),
    (6, "placed", []),
    (7, "rejected", ["incomplete-coordinates"]),
    (8, "rejected", ["outside-district"]),
    (9, "rejected", ["unparsable-coordinate"]),
])
def test_each_coordinate_problem_is_reported(atlas, number, status, codes):
    result = run_import(atlas, PROBLEM_ROWS)
    report = row(result, number)
    assert report.status == status
    assert [p.code for p in report.problems] == codes
    assert all(p.message for p in report.problems)
    if status == "fixed":
        assert metres(Point(report.lon, report.lat), Point(*TIANSHAN)) < 1.0
        assert "fixed: " + codes[0] in result.frame.set_index("id").loc[report.id, "pos_method"]


def test_nan_coordinates_fall_back_to_the_gazetteer(atlas):
    report = row(run_import(atlas, PROBLEM_ROWS), 6)
    assert (report.method, report.matched_on, report.place_id) == ("exact", "name", "poi-tianshangongyuan")


def test_rejected_rows_are_reported_but_not_in_the_frame(atlas):
    result = run_import(atlas, PROBLEM_ROWS)
    rejected = {r.id for r in result.report.rows if r.status == "rejected"}
    assert len(rejected) == 4
    assert rejected.isdisjoint(result.frame["id"])
    assert len(result.frame) == len(result.report.rows) - 4
    summary = result.report.summary
    assert summary == {**summary, "rows": 9, "placed": 2, "fixed": 3, "unlocated": 0, "rejected": 4}


def test_declared_epsg_for_coordinate_columns(atlas):
    x, y = Transformer.from_crs("EPSG:4326", "EPSG:32651", always_xy=True).transform(*TIANSHAN)
    result = run_import(atlas, csv_text(header="name,x,y", rows=[f"p,{x},{y}"]), crs="EPSG:32651")
    assert row(result, 1).status == "placed"
    assert metres(result.frame.geometry.iloc[0], Point(*TIANSHAN)) < 0.01
    assert result.frame["pos_source_crs"].iloc[0] == "EPSG:32651"


# -- geocoding by address and name -----------------------------------------------------------


def test_tianshan_park_resolves(atlas):
    result = run_import(atlas, csv_text())
    report = row(result, 4)
    assert (report.status, report.method, report.matched_on) == ("placed", "exact", "address")
    assert report.place_id == "poi-tianshangongyuan" and report.score == 1.0
    project = result.frame.set_index("id").loc[report.id]
    assert project.geometry.equals(atlas.places["poi-tianshangongyuan"].geometry)
    assert project["precision"] == "site"
    assert project["pos_refs"] == ["poi-tianshangongyuan"]
    assert project["pos_source"] == atlas.places["poi-tianshangongyuan"].source


def test_a_street_address_is_not_placed_at_a_station_named_after_its_road(atlas):
    """延安西路1609号 is placed from the known house numbers on 延安西路, never at 延安西路站."""
    result = run_import(atlas, csv_text())
    report = row(result, 3)
    assert (report.status, report.method, report.precision) == (
        "placed", "address-interpolated", "street")
    assert report.place_id == "road-yananxilu"
    project = result.frame.set_index("id").loc[report.id]
    station = atlas.places["metro-l3-yananxilu"].geometry
    assert metres(project.geometry, station) > 200
    assert project.geometry.equals(result.frame.set_index("id").loc[report.id].geometry)
    assert "延安西路1590号" in project["position_note"] and "延安西路1798号" in project["position_note"]


def test_without_a_road_or_house_numbers_a_street_address_stays_unlocated(atlas):
    """The same address with no road and no house numbers: honestly unlocated, stations as candidates."""
    places = {k: v for k, v in atlas.places.items() if v.kind != "road"}
    result = run_import(replace(atlas, places=places, addresses=None), csv_text())
    report = row(result, 3)
    assert (report.status, report.method, report.precision) == (
        "unlocated", "road-not-in-gazetteer", "unlocated")
    assert report.place_id is None and report.lon is None
    assert report.candidates[0].name_zh == "延安西路站"


def road_atlas(atlas):
    """The shipped atlas plus a road place (in-code fixture): 延安西路 as a line."""
    road = Place("road-yananxilu", "延安西路", "West Yan'an Road", "road",
                 LineString([(121.395, 31.2065), (121.420, 31.2100), (121.436, 31.2125)]),
                 "test fixture", "wgs84", "drawn for the test", "low", aliases=("延安西路", "yananxilu"))
    return replace(atlas, places={**atlas.places, road.id: road}, addresses=None), road


def test_a_street_address_resolves_to_the_road_when_the_road_is_known(atlas):
    with_road, road = road_atlas(atlas)
    text = csv_text(header="名称,地址,图层,类别", rows=["美术馆街区,上海市长宁区延安西路1609号,美丽街区,美丽街区"])
    result = run_import(with_road, text)
    report = row(result, 1)
    assert (report.status, report.method, report.precision) == ("placed", "road", "street")
    assert report.place_id == road.id
    project = result.frame.iloc[0]
    assert project.geometry.equals(road.geometry)
    assert (project["layer"], project["category"], project["precision"]) == (
        "streets", "beautiful_street", "street")
    assert project["pos_confidence"] == "low"
    assert "1609" in project["position_note"]


def test_a_bare_road_name_is_a_road_not_a_station(atlas):
    matcher = Matcher.from_places({k: v for k, v in atlas.places.items() if v.kind != "road"})
    assert matcher.match("延安西路").method == "road-not-in-gazetteer"
    assert matcher.match("延安西路站").place_id in {"metro-l3-yananxilu", "metro-l4-yananxilu"}
    with_road, road = road_atlas(atlas)
    assert Matcher.from_places(with_road.places).match("延安西路").place_id == road.id


def test_nonsense_ends_unlocated_with_candidates(atlas):
    result = run_import(atlas, csv_text(header="名称,地址", rows=["某项目,火星基地99号", "另一个,qwertyuiop"]))
    for report in result.report.rows:
        assert report.status == "unlocated" and report.method == "no-match"
        assert report.candidates and all(0 < c.score < 0.8 for c in report.candidates)
        # the row's score is that of its closest miss, so the report scores every row
        assert report.score == max(c.score for c in report.candidates)
        assert report.problems[0].code == "no-match"
    assert result.frame.geometry.isna().all()
    assert (result.frame["precision"] == "unlocated").all()


@pytest.mark.parametrize(("text", "method", "place"), [
    ("天山公园", "exact", "poi-tianshangongyuan"),
    ("Tianshan Park", "exact", "poi-tianshangongyuan"),
    ("上海市长宁区天山公园", "normalised", "poi-tianshangongyuan"),
    ("ｔｉａｎｓｈａｎ ｐａｒｋ", "normalised", "poi-tianshangongyuan"),
    ("tianshan", "alias", "poi-tianshangongyuan"),
    ("天山公园南门", "fuzzy", "poi-tianshangongyuan"),
    ("延安西路1609号刘海粟美术馆", "name-in-address", "poi-liuhaisumeishuguan"),
    ("中山公园", "exact", "poi-zhongshangongyuan"),
    ("3号线", "alias", "line-3-4-viaduct"),
])
def test_matcher_methods(atlas, text, method, place):
    result = Matcher.from_places(atlas.places).match(text)
    assert (result.method, result.place_id) == (method, place)
    assert 0.8 <= result.score <= 1.0


@pytest.mark.parametrize(("text", "method"), [
    ("", "no-input"), ("上海市长宁区", "too-vague"), ("天山路街道", "place-not-located"),
    ("火星路", "road-not-in-gazetteer"),
])
def test_matcher_unlocated_reasons(atlas, text, method):
    result = Matcher.from_places(atlas.places).match(text)
    assert result.method == method and result.geometry is None and result.precision == "unlocated"


def test_ties_far_apart_are_ambiguous(atlas):
    a = Place("a", "同名", "Same", "park", Point(121.40, 31.21), "s", "wgs84", "m", "high")
    b = Place("b", "同名", "Same", "park", Point(121.43, 31.21), "s", "wgs84", "m", "high")
    c = Place("c", "近邻", "Near", "park", Point(121.4001, 31.21), "s", "wgs84", "m", "high",
              aliases=("同名",))
    assert Matcher.from_places([a, b]).match("同名").method == "ambiguous"
    assert Matcher.from_places([a, c]).match("同名").place_id == "a"


def test_road_parsing():
    assert normalise_address("中国上海市长宁区 延安西路１６０９号") == "延安西路1609号"
    assert parse_road_address("天山路街道") is None
    # a building inside the site is a detail of the address, not a place name to look up
    inside = parse_road_address("延安西路1609号3号楼")
    assert (inside.number, inside.rest, inside.detail) == ("1609", "", "3号楼")


def test_threshold_is_a_parameter(atlas):
    text = csv_text(header="名称", rows=["天山公园南门"])
    assert row(run_import(atlas, text), 1).status == "placed"
    assert row(run_import(atlas, text, threshold=0.95), 1).status == "unlocated"


# -- the frame -------------------------------------------------------------------------------


def test_frame_is_shaped_like_the_atlas_projects(atlas):
    result = run_import(atlas, csv_text())
    frame = result.frame
    assert list(frame.columns) == [*PROJECT_COLUMNS, "geometry", "search_text"]
    assert frame.crs == "EPSG:4326"
    assert list(frame.dtypes[["target_year"]]) == ["Int64"]
    assert set(frame["layer"]) <= {s.id for s in atlas.project_layers}
    assert frame["id"].is_unique


def test_imported_convention_for_layer_category_status_action(atlas):
    result = run_import(atlas, csv_text())
    first, second, third = (result.frame.iloc[i] for i in range(3))
    assert first["layer"] == DEFAULT_LAYER
    assert first["category"] == IMPORTED  # 公园 is not a category of the renewal layer
    assert first["status"] == "operating"  # given as its Chinese label
    assert second["status"] == "construction"
    assert first["target_year"] == 2025 and second["target_year"] == 2026
    assert third["status"] == IMPORTED and third["action"] == IMPORTED
    assert pd.isna(third["target_year"])
    assert first["report_section"] == "" and first["report_ref"] == ""
    codes = [p.code for p in row(result, 1).problems]
    assert codes == ["unknown-category"]


def test_layer_column_picks_layer_and_category(atlas):
    text = csv_text(header="名称,经度,纬度,图层,类别,行动,街道",
                    rows=["天山公园,121.4110,31.2121,public_space,公园,开放,天山路街道",
                          "某处,121.4110,31.2121,Parks and public space,Green space,open to the public,虹桥"])
    frame = run_import(atlas, text).frame
    assert frame["layer"].tolist() == ["public_space", "public_space"]
    assert frame["category"].tolist() == ["park", "green_space"]
    assert frame["action"].tolist() == ["开放", "开放"]
    assert frame["action_en"].tolist() == ["open to the public"] * 2
    assert frame["subdistrict"].tolist() == ["天山路街道", "虹桥街道"]


def test_ids_from_the_file_or_generated(atlas):
    text = csv_text(header="id,名称,地址", rows=["park-1,甲,天山公园", "Park 2,乙,天山公园",
                                                  "park-1,丙,天山公园", "编号四,丁,天山公园"])
    result = run_import(atlas, text)
    assert result.frame["id"].tolist() == ["park-1", "park-2", "import-0003", "import-0004"]
    assert [p.code for p in row(result, 3).problems] == ["id-generated"]


def test_the_frame_becomes_layers_through_the_same_specs_and_filters(atlas):
    result = run_import(atlas, csv_text())
    as_atlas = replace(atlas, projects=result.frame)
    mask = apply_filter(result.frame, Filter(values={"status": ("operating",)}, query="天山"))
    assert mask.tolist() == [True, False, False, False]
    html = build_map(as_atlas, result.frame, basemap="none",
                     visible_refs=("district_boundary",)).get_root().render()
    assert '"import-0001"' in html and '"import-0002"' in html
    assert '"import-0003"' in html  # placed from the known house numbers of 延安西路
    unlocated = run_import(atlas, csv_text(header="名称,地址", rows=["甲,天山公园", "乙,火星路5号"]))
    html = build_map(replace(atlas, projects=unlocated.frame), unlocated.frame, basemap="none",
                     visible_refs=("district_boundary",)).get_root().render()
    assert '"import-0001"' in html and '"import-0002"' not in html  # unlocated: listed, never drawn


# -- the report ------------------------------------------------------------------------------


def test_report_json_shape(atlas):
    result = run_import(atlas, csv_text())
    data = json.loads(result.report.to_json())
    assert set(data) == {"source", "summary", "warnings", "rows"}
    assert data["warnings"] == []
    assert set(data["source"]) == {"filename", "format", "encoding", "crs", "geometry_crs",
                                   "threshold", "notes", "mapping"}
    assert set(data["summary"]) == {"rows", *ROW_STATUSES, "by_method", "by_problem"}
    assert sum(data["summary"][s] for s in ROW_STATUSES) == data["summary"]["rows"] == len(ROWS)
    assert set(data["rows"][0]) == {"row", "id", "name", "status", "method", "score", "precision",
                                    "matched_on", "place_id", "lon", "lat", "uncertainty_m", "problems",
                                    "candidates"}
    unlocated = data["rows"][2]
    best = unlocated["candidates"][0]
    assert set(best) == {"id", "name_zh", "name_en", "kind", "score"}
    assert (best["name_zh"], best["kind"]) == ("延安西路站", "metro_station")
    assert best["name_en"].startswith("West Yan'an Road")
    assert "延安西路" in result.report.to_json()  # not \\u-escaped


def test_report_table_has_one_line_per_row(atlas):
    table = run_import(atlas, PROBLEM_ROWS).report.to_frame()
    assert len(table) == 9
    assert table.loc[2, "problems"].startswith("[projected-as-degrees]")


# -- the CLI ---------------------------------------------------------------------------------


def cli(*argv: str) -> int:
    parser = argparse.ArgumentParser(prog="test")
    parser.add_argument("--data-dir", type=Path)
    parser.add_argument("--layers-dir", type=Path)
    cli_import.add_parser(parser.add_subparsers(dest="command", required=True))
    return cli_import.run(parser.parse_args(list(argv)))


def test_cli_bad_rows_are_not_a_failure(tmp_path, capsys):
    source = tmp_path / "r.csv"
    source.write_bytes(PROBLEM_ROWS.encode("gbk"))
    report = tmp_path / "report.json"
    assert cli("import", str(source), "--report", str(report)) == 0
    out = capsys.readouterr().out
    assert "mapping: name ← 名称, lon ← 经度, lat ← 纬度" in out
    assert "summary: 9 rows: 2 placed, 3 fixed, 0 unlocated, 4 rejected" in out
    assert json.loads(report.read_text(encoding="utf-8"))["summary"]["rejected"] == 4


def test_cli_map_crs_and_report_to_stdout(tmp_path, capsys):
    source = tmp_path / "r.csv"
    glon, glat = convert(*TIANSHAN, "wgs84", "gcj02")
    source.write_text(f"标题,E,N\n天山,{glon},{glat}\n", encoding="utf-8")
    assert cli("import", str(source), "--crs", "gcj02", "--map", "name=标题", "--map", "lon=E",
               "--map", "lat=N", "--report", "-") == 0
    captured = capsys.readouterr()
    data = json.loads(captured.out)
    assert data["rows"][0]["status"] == "placed"
    assert metres(Point(data["rows"][0]["lon"], data["rows"][0]["lat"]), Point(*TIANSHAN)) < 1.0
    assert "mapping:" in captured.err


@pytest.mark.parametrize("argv", [
    ("import", "{dir}/missing.csv"),
    ("import", "{dir}/r.csv", "--crs", "utm"),
    ("import", "{dir}/r.csv", "--map", "name=nope"),
    ("import", "{dir}/r.csv", "--map", "name"),
    ("import", "{dir}/r.csv", "--encoding", "utf-16"),
    ("import", "{dir}/r.csv", "--report", "{dir}/no-such-folder/report.json"),
])
def test_cli_unusable_input_exits_2(tmp_path, capsys, argv):
    (tmp_path / "r.csv").write_text("名称\n天山公园\n", encoding="utf-8")
    assert cli(*(a.format(dir=tmp_path) for a in argv)) == 2
    assert capsys.readouterr().err.startswith("error: ")


def test_cli_save_into_the_store(tmp_path, isolated_store, capsys):
    from app.store import Store

    source = tmp_path / "r.csv"
    source.write_text(csv_text(), encoding="utf-8")
    assert cli("import", str(source), "--save", "parks-2025") == 0
    assert "saved register 'parks-2025': 4 projects" in capsys.readouterr().out
    store = Store(isolated_store)
    assert store.registers()["name"].tolist() == ["parks-2025"]
    assert len(store.load_register("parks-2025")) == 4
    assert cli("import", str(source), "--save", "bad name!") == 2


def test_cli_without_a_store_exits_2(tmp_path, capsys, monkeypatch):
    monkeypatch.setitem(sys.modules, "app.store", None)  # import app.store now fails
    source = tmp_path / "r.csv"
    source.write_text(csv_text(), encoding="utf-8")
    assert cli("import", str(source), "--save", "x") == 2
    assert "store not available" in capsys.readouterr().err


# -- properties: any input gives a report or the project's own error -------------------------

CELL = st.one_of(
    st.text(alphabet="0123456789.-,°′″NSEW 经度纬度天山公园延安西路号上海市长宁区１２．\"'\n", max_size=14),
    st.floats(-400, 4e6).map(repr),
    st.sampled_from(["", "NaN", "121.4110", "31.2121", "１２１．４１１０", "121°24′39.6″E", "350000"]),
)


@PROPERTY
@given(st.lists(st.tuples(CELL, CELL, CELL, CELL), min_size=1, max_size=8),
       st.sampled_from(["utf-8", "utf-8-sig", "gb18030"]),
       st.sampled_from(["wgs84", "gcj02", "bd09", "EPSG:32651"]))
def test_any_register_gives_a_report(atlas, rows, encoding, crs):
    def quote(cell: str) -> str:
        return '"' + cell.replace('"', '""') + '"'

    text = csv_text(header="名称,地址,经度,纬度",
                    rows=[",".join(quote(c) for c in r) for r in rows])
    try:
        result = import_file(text.encode(encoding), filename="p.csv", crs=crs, atlas=atlas)
    except ImportFileError:
        return
    assert isinstance(result.report, ImportReport)
    assert all(r.status in ROW_STATUSES for r in result.report.rows)
    kept = [r.id for r in result.report.rows if r.status != "rejected"]
    assert result.frame["id"].tolist() == kept
    located = result.frame[result.frame.geometry.notna()]
    assert (located["precision"] != "unlocated").all()
    json.loads(result.report.to_json())


@PROPERTY
@given(st.one_of(st.binary(max_size=300), st.text(max_size=300).map(str.encode)),
       st.sampled_from(["a.csv", "a.geojson", "a.xlsx", "a.gpkg", "a.json", "a"]))
def test_any_bytes_give_a_report_or_an_atlas_error(atlas, data, filename):
    try:
        result = import_file(data, filename=filename, atlas=atlas)
    except AtlasError:
        return
    assert len(result.report.rows) >= 1


JSON = st.recursive(st.none() | st.booleans() | st.floats(allow_nan=False) | st.integers()
                    | st.text(max_size=5),
                    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=4), inner, max_size=3),
                    max_leaves=8)
GEOMETRY = st.one_of(
    JSON,
    st.fixed_dictionaries({"type": st.sampled_from(["Point", "LineString", "Polygon", "MultiPoint",
                                                    "GeometryCollection", "Nonsense"]),
                           "coordinates": JSON}),
    st.builds(lambda x, y: {"type": "Point", "coordinates": [x, y]},
              st.floats(allow_nan=True, allow_infinity=True), st.floats(allow_nan=True, allow_infinity=True)),
)


@PROPERTY
@given(st.lists(st.fixed_dictionaries({"type": st.just("Feature"), "geometry": GEOMETRY,
                                       "properties": st.one_of(JSON, st.dictionaries(
                                           st.sampled_from(["name", "名称", "address", "lon", "lat", ""]),
                                           JSON, max_size=4))}),
                min_size=0, max_size=5),
       st.one_of(st.none(), JSON))
def test_any_geojson_gives_a_report_or_an_atlas_error(atlas, features, crs_member):
    doc = {"type": "FeatureCollection", "features": features}
    if crs_member is not None:
        doc["crs"] = crs_member
    try:
        result = import_file(json.dumps(doc).encode(), filename="f.geojson", atlas=atlas)
    except AtlasError:
        return
    assert len(result.report.rows) >= 1
    assert all(r.status in ROW_STATUSES for r in result.report.rows)
