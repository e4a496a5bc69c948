"""Positions no more precise than their sources: placeholders made honest, no invented point
shared by two projects, road sketches only where the sources give a road's direction, and the
address forms people type."""

from __future__ import annotations

import json
from collections import defaultdict
from pathlib import Path

import pytest
from shapely import Point

from app.geo.address import Matcher
from app.geo.geocode import to_metric
from app.geo.housenumbers import ADDRESSES_FILE

DATA = Path(__file__).resolve().parents[1] / "geodata"


@pytest.fixture(scope="module")
def projects(atlas):
    return atlas.projects.set_index("id")


@pytest.fixture(scope="module")
def matcher(atlas):
    return Matcher.from_places(atlas.places, addresses=atlas.addresses)


def _metres(a, b) -> float:
    return float(to_metric(a).distance(to_metric(b)))


def test_no_two_projects_share_an_invented_point_and_every_drawn_one_has_a_radius(atlas):
    """A point a recipe composed (no source gives it) must not stand for two projects; a point
    taken from a source (a gazetteer place, a known address) may, when both rest on it."""
    projects = atlas.projects[atlas.projects.geometry.notna()]
    assert (projects["uncertainty_m"] > 0).all()
    sourced = {(round(p.geometry.x, 7), round(p.geometry.y, 7))
               for p in atlas.places.values() if p.located and p.geometry.geom_type == "Point"}
    sourced |= {(round(e.point.x, 7), round(e.point.y, 7)) for e in atlas.addresses.entries}
    by_point = defaultdict(list)
    for pid, geom in zip(projects["id"], projects.geometry, strict=True):
        if geom.geom_type == "Point":
            by_point[(round(geom.x, 7), round(geom.y, 7))].append(pid)
    shared_invented = {xy: ids for xy, ids in by_point.items() if len(ids) > 1 and xy not in sourced}
    assert not shared_invented
    invented = [ids for xy, ids in by_point.items() if xy not in sourced]
    assert not invented, "every drawn point comes from a source place or a known address"


def test_the_two_road_placeholders_are_a_sourced_point_with_a_road_sized_radius(projects, atlas):
    for pid, address in (("huichuan-road-office", "汇川路18号"), ("qingchi-road-care-home", "清池路211号")):
        row = projects.loc[pid]
        assert row.geometry.geom_type == "Point" and row["precision"] == "area"
        assert row.geometry.equals(atlas.addresses.by_key[address].point)
        assert row["uncertainty_m"] == 1100
        assert "1,100 m" in row["position_note"] and "1100米" in row["position_note_zh"]
    # neither road is sketched: the sources give no direction for either
    assert "road-huichuanlu" not in atlas.places and "road-qingchilu" not in atlas.places


def test_buildings_no_source_places_are_listed_not_drawn(projects):
    for pid in ("friendship-mall-renewal", "new-hongqiao-centre-podium"):
        row = projects.loc[pid]
        assert row.geometry is None and row["precision"] == "unlocated"
        assert "field check" in row["position_note"] and row["subdistrict"] == "虹桥街道"


def test_the_airport_east_area_lies_east_of_the_airport(projects, atlas):
    station = atlas.places["metro-l10-hongqiao1haohangzhanlou"].geometry
    area = projects.loc["airport-east-renewal"].geometry
    assert area.geom_type in ("Polygon", "MultiPolygon")
    assert area.bounds[0] >= station.x - 1e-7  # nothing west of the T1 station, over the airport
    assert atlas.places["district-changning"].geometry.buffer(1e-6).covers(area)
    assert 0.5e6 < to_metric(area).area < 1.6e6  # at most half of a 1 km circle
    assert projects.loc["airport-east-renewal", "uncertainty_m"] >= 1000


def test_roads_are_sketched_only_with_a_direction_of_their_own():
    streets = json.loads((DATA / "streets.geojson").read_text(encoding="utf-8"))["features"]
    roads = [f for f in streets if f["properties"]["kind"] == "road"]
    names = {f["properties"]["name_zh"] for f in roads}
    for feature in roads:
        method = feature["properties"]["method"]
        if method.startswith("house-number"):
            # at least two distinct addresses of the road itself (a crossing stop is on the other road)
            keys = {k for k in feature["properties"]["note"].split(", ") if "号" in k}
            assert len(keys) >= 2, feature["id"]
    assert not {"汇川路", "清池路"} & names


def test_no_spurious_road_or_address_keys():
    streets = json.loads((DATA / "streets.geojson").read_text(encoding="utf-8"))["features"]
    addresses = json.loads((DATA / ADDRESSES_FILE).read_text(encoding="utf-8"))["features"]
    roads = {f["properties"]["name_zh"] for f in streets} | {f["properties"]["road"] for f in addresses}
    assert not [r for r in roads if r.startswith(("新泾镇", "虹桥镇"))]  # a town prefix is no road
    assert not {"宁路", "江路"} & roads  # addresses cut short in the source
    assert "法华镇路" in roads  # a road whose name holds 镇 keeps it
    assert "通协路288号" in {f["properties"]["address"] for f in addresses}


@pytest.mark.parametrize("text", [
    "仙霞路１１１１号",            # full-width digits
    "仙霞路一千一百一十一号",       # Chinese numerals, positional
    "仙霞路一一一一号",            # Chinese numerals, digit by digit
    "200051 上海市长宁区仙霞路1111号",  # a leading postcode
    "上海市长宁区200051仙霞路1111号",   # a postcode after the city
    "仙霞新村街道仙霞路1111号",     # a leading 街道
    "仙霞路1111号3号楼",           # a building inside the site
])
def test_address_forms_reach_the_known_address(matcher, atlas, text):
    result = matcher.match(text)
    assert result.method == "address", (text, result.note)
    assert result.geometry.equals(atlas.addresses.by_key["仙霞路1111号"].point)


def test_a_leading_town_and_lanes_with_sub_lanes(matcher, atlas):
    assert matcher.match("新泾镇通协路288号").geometry.equals(atlas.addresses.by_key["通协路288号"].point)
    lane = atlas.addresses.by_key["愚园路1280弄"].point
    assert matcher.match("愚园路1280弄3支弄18号").geometry.equals(lane)
    assert matcher.match("愚园路一二八〇弄十八号").geometry.equals(lane)
    assert matcher.match("法华镇路15号").method == "address"  # 镇 inside a road name stays


@pytest.mark.parametrize("text", ["1609 West Yan'an Road", "No. 1609 Yan'an Rd (W)",
                                  "West Yan'an Rd. 1609", "１６０９ West Yan'an Road"])
def test_english_addresses_are_parsed_onto_their_road(matcher, atlas, text):
    result = matcher.match(text)
    assert (result.method, result.precision) == ("address-interpolated", "street"), result.note
    assert result.place_id == "road-yananxilu"
    assert _metres(result.geometry, atlas.places["road-yananxilu"].geometry) < 100


@pytest.mark.parametrize("text", ["1609 Mars Road", "Room 5, 1609 West Yan'an Road",
                                  "88 Zhongshan Park Road"])
def test_english_addresses_never_fall_to_a_station(matcher, text):
    result = matcher.match(text)
    assert result.precision == "unlocated" and result.place_id is None, (text, result.method)
    assert not (result.geometry is not None and result.method in ("fuzzy", "alias"))


def test_an_english_address_of_a_road_without_a_sketch_reaches_its_known_number(matcher, atlas):
    result = matcher.match("18 Huichuan Road")
    assert result.method == "address"
    assert result.geometry.equals(atlas.addresses.by_key["汇川路18号"].point)
    assert _metres(result.geometry, Point(121.412864, 31.2175522)) < 100
