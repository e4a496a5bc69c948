"""The address geocoder on the shipped data: known addresses, interpolation, roads, lanes, clipping."""

from __future__ import annotations

import pytest
from shapely import Point

from app.geo.address import Matcher
from app.geo.geocode import to_metric
from app.geo.housenumbers import AddressBook, KnownAddress


@pytest.fixture(scope="module")
def matcher(atlas):
    return Matcher.from_places(atlas.places, addresses=atlas.addresses)


def _metres(a, b) -> float:
    return float(to_metric(a).distance(to_metric(b)))


def test_an_exact_address_is_its_known_point(matcher, atlas):
    result = matcher.match("仙霞路1111号")
    assert (result.method, result.precision, result.score) == ("address", "site", 1.0)
    assert result.geometry.equals(atlas.addresses.by_key["仙霞路1111号"].point)
    assert result.source.startswith("changning_pois_amap2020_wgs84.csv")


@pytest.mark.parametrize("text", ["上海市长宁区仙霞路1111号", " 长宁区 仙霞路 １１１１ 号 ", "上海市仙霞路1111号"])
def test_prefixes_full_width_digits_and_spaces_are_normalised(matcher, text):
    assert matcher.match(text).method == "address"


def test_an_interpolated_address_lies_within_its_bracket_on_the_right_road(matcher, atlas):
    result = matcher.match("延安西路1609号")
    assert (result.method, result.precision) == ("address-interpolated", "street")
    low, high = (atlas.addresses.by_key[k] for k in result.refs)
    assert low.road == high.road == "延安西路" and low.house < 1609 < high.house
    assert low.key in result.note and high.key in result.note
    span = _metres(low.point, high.point)
    assert _metres(result.geometry, low.point) <= span and _metres(result.geometry, high.point) <= span
    road = atlas.places["road-yananxilu"].geometry
    assert _metres(result.geometry, road) < 100
    assert result.place_id == "road-yananxilu"
    assert 0.5 <= result.score < 1.0


def test_interpolation_keeps_odd_and_even_sides_apart():
    road = [KnownAddress(f"甲路{n}号", "甲路", str(n), n, False, Point(121.40 + n * 1e-5, y))
            for n, y in [(1, 31.2000), (2, 31.2010), (21, 31.2000), (22, 31.2010)]]
    book = AddressBook(road)
    odd, even = book.locate("甲路", "11"), book.locate("甲路", "12")
    assert odd.neighbours == ("甲路1号", "甲路21号") and even.neighbours == ("甲路2号", "甲路22号")
    assert odd.point.y == pytest.approx(31.2000) and even.point.y == pytest.approx(31.2010)
    assert "same side" in odd.note


def test_an_address_nothing_brackets_resolves_to_the_road(matcher, atlas):
    result = matcher.match("武夷路9999号")
    assert (result.method, result.precision, result.place_id) == ("road", "street", "road-wuyilu")
    assert result.geometry.equals(atlas.places["road-wuyilu"].geometry)
    assert result.score < 1.0 and "9999号 is not located" in result.note


def test_a_lane_address_matches_the_lane(matcher, atlas):
    result = matcher.match("愚园路1280弄18号")
    assert (result.method, result.precision) == ("address", "site")
    assert result.geometry.equals(atlas.addresses.by_key["愚园路1280弄"].point)


def test_an_unknown_road_is_unlocated_with_candidates(matcher):
    result = matcher.match("长宁区火星路12号")
    assert (result.method, result.precision, result.geometry) == ("road-not-in-gazetteer", "unlocated", None)
    assert "火星路" in result.note
    assert matcher.match("武夷路88号酒店").candidates  # nearby names are offered when nothing fits


def test_a_road_that_leaves_the_district_is_clipped(matcher, atlas):
    """愚园路 runs on into Jing'an (its 镇宁路 stop is there): only the Changning part is drawn."""
    result = matcher.match("愚园路")
    district = atlas.places["district-changning"].geometry
    assert district.buffer(1e-6).covers(result.geometry)
    jingan_stop = Point(121.4322553, 31.2229281)  # 愚园路镇宁路, adname 静安区
    assert not district.covers(jingan_stop)
    assert _metres(result.geometry, jingan_stop) > 50
    assert "clipped to the district" in atlas.places["road-yuyuanlu"].note


def test_the_import_report_states_method_and_score(atlas):
    from app.io.importer import import_file

    text = "名称,地址\n甲,仙霞路1111号\n乙,延安西路1609号\n丙,武夷路9999号\n丁,火星路1号\n"
    result = import_file(text.encode("utf-8"), filename="a.csv", atlas=atlas)
    rows = [(r.method, r.score is not None) for r in result.report.rows]
    assert [m for m, _ in rows] == ["address", "address-interpolated", "road", "road-not-in-gazetteer"]
    assert all(has_score for _, has_score in rows[:3])
    frame = result.frame.set_index("name_zh")
    assert frame.loc["乙", "pos_method"].startswith("address-interpolated match")
    assert frame.loc["甲", "precision"] == "site" and frame.loc["乙", "precision"] == "street"

