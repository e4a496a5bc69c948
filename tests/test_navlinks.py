"""Links and copyable coordinates for AMap and Baidu: right CRS, right order, safe names."""

from __future__ import annotations

import doctest
import re
from urllib.parse import parse_qs, urlsplit

import pytest

import app.geo.navlinks
from app.errors import PositionError
from app.geo.crs import convert
from app.geo.navlinks import amap_link, baidu_link, coordinates_for

# Tianshan Park; its GCJ-02 / BD-09 values were computed independently with the PyPI package
# `prcoords` 1.0.2 (the same pair tests/test_crs.py pins).
WGS = (121.411, 31.2121)
GCJ_INDEPENDENT = (121.41564773955926, 31.210254581728957)
BD_INDEPENDENT = (121.42213036115638, 31.216363278820584)

NASTY_NAMES = [
    "天山公园整体提升开放",
    "A&B?c=d#frag <b>bold</b>",
    "100% 'quoted' \"double\" + plus / slash; semi,comma",
    "海粟绿地-轨交3、4号线-天山公园连廊项目 & more?",
    "line\nbreak\ttab",
]


def query(url: str) -> dict[str, str]:
    """The URL's query parameters, each exactly once."""
    parsed = parse_qs(urlsplit(url).query, keep_blank_values=True, strict_parsing=True)
    assert all(len(v) == 1 for v in parsed.values()), parsed
    return {k: v[0] for k, v in parsed.items()}


def numbers(text: str, sep: str = ",") -> tuple[float, float]:
    first, second = (float(part) for part in text.split(sep))
    return first, second


def test_doctests():
    assert doctest.testmod(app.geo.navlinks).failed == 0


# --- coordinates_for -------------------------------------------------------------------------

def test_coordinates_for_gives_lat_lon_in_each_crs():
    coords = coordinates_for(*WGS)
    assert list(coords) == ["wgs84", "gcj02", "bd09"]
    for crs, text in coords.items():
        assert re.fullmatch(r"-?\d+\.\d{6}, -?\d+\.\d{6}", text), text
        lat, lon = numbers(text, ", ")
        expected_lon, expected_lat = convert(*WGS, "wgs84", crs)
        assert (lat, lon) == (round(expected_lat, 6), round(expected_lon, 6))
        assert lat < lon  # latitude first: in Shanghai it is the smaller number


def test_coordinates_for_matches_independent_values():
    coords = coordinates_for(*WGS)
    assert numbers(coords["gcj02"], ", ")[::-1] == pytest.approx(GCJ_INDEPENDENT, abs=1e-6)
    assert numbers(coords["bd09"], ", ")[::-1] == pytest.approx(BD_INDEPENDENT, abs=1e-6)


def test_coordinates_for_refuses_bad_positions():
    with pytest.raises(PositionError, match="look swapped"):
        coordinates_for(31.2121, 121.411)
    with pytest.raises(PositionError, match="finite"):
        coordinates_for(float("nan"), 31.2)


# --- AMap ------------------------------------------------------------------------------------

def test_amap_link_is_a_gcj02_marker():
    url = amap_link(*WGS, "天山公园")
    parts = urlsplit(url)
    assert (parts.scheme, parts.netloc, parts.path) == ("https", "uri.amap.com", "/marker")
    params = query(url)
    assert params["coordinate"] == "gaode"
    assert params["callnative"] == "1"
    assert params["src"]
    lon, lat = numbers(params["position"])  # AMap: position=lon,lat
    expected = convert(*WGS, "wgs84", "gcj02")
    assert (lon, lat) == (round(expected[0], 6), round(expected[1], 6))
    assert (lon, lat) == pytest.approx(GCJ_INDEPENDENT, abs=1e-6)
    # Not the WGS-84 numbers: those would put the marker ~500 m off on AMap.
    assert abs(lon - WGS[0]) > 0.003


# --- Baidu -----------------------------------------------------------------------------------

def test_baidu_link_is_a_bd09_marker():
    url = baidu_link(*WGS, "天山公园")
    parts = urlsplit(url)
    assert (parts.scheme, parts.netloc, parts.path) == ("https", "api.map.baidu.com", "/marker")
    params = query(url)
    assert params["coord_type"] == "bd09ll"
    assert params["output"] == "html"
    assert params["src"].startswith("webapp.")
    assert params["content"] == "WGS-84 31.212100, 121.411000"
    lat, lon = numbers(params["location"])  # Baidu: location=lat,lng
    expected = convert(*WGS, "wgs84", "bd09")
    assert (lon, lat) == (round(expected[0], 6), round(expected[1], 6))
    assert (lon, lat) == pytest.approx(BD_INDEPENDENT, abs=1e-6)
    assert abs(lon - convert(*WGS, "wgs84", "gcj02")[0]) > 0.003  # BD-09, not GCJ-02


# --- names are encoded, never injected -------------------------------------------------------

@pytest.mark.parametrize("name", NASTY_NAMES)
@pytest.mark.parametrize("link,key,count", [(amap_link, "name", 5), (baidu_link, "title", 6)])
def test_names_survive_encoding(link, key, count, name):
    url = link(*WGS, name)
    assert query(url)[key] == name.strip()
    assert len(query(url)) == count  # no parameter injected by '&' or '='
    assert url.count("?") == 1 and url.count("&") == count - 1
    assert not re.search(r"[\s#<>\"'\u0080-\uffff]", url), url  # nothing raw that needs encoding
    assert urlsplit(url).fragment == ""


@pytest.mark.parametrize("link,key", [(amap_link, "name"), (baidu_link, "title")])
def test_blank_name_gets_a_label(link, key):
    assert query(link(*WGS, "  "))[key] == "位置"


@pytest.mark.parametrize("link", [amap_link, baidu_link])
def test_links_refuse_bad_input(link):
    with pytest.raises(PositionError, match="look swapped"):
        link(31.2121, 121.411, "x")
    with pytest.raises(PositionError, match="finite"):
        link(float("inf"), 31.2, "x")
    with pytest.raises(TypeError, match="name must be a string, got NoneType"):
        link(*WGS, None)
