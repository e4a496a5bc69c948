"""Coordinate conversions pinned to pairs computed by independent implementations."""

import numpy as np
import pytest
from shapely import LineString, Point, Polygon

from app.errors import UnknownCRSError
from app.geo.crs import convert, convert_geometry, normalize_crs, out_of_china

# (name, wgs_lon, wgs_lat, gcj_lon, gcj_lat, bd_lon, bd_lat), computed with the PyPI package
# `prcoords` 1.0.2 (public domain; its exact, iterative functions), not with this project's code.
SHANGHAI = [
    ("zhongshan_park", 121.41618, 31.2234, 121.42082556069815, 31.221557336785438, 121.42729277463327, 31.22775743171961),
    ("tianshan_park", 121.411, 31.2121, 121.41564773955926, 31.210254581728957, 121.42213036115638, 31.216363278820584),
    ("hongqiao_t1", 121.342, 31.197, 121.34657134948093, 31.195083148298536, 121.35304970692457, 31.201146883719534),
    ("peoples_square", 121.47, 31.231, 121.47453498647829, 31.229067943980063, 121.48107637121566, 31.234987195771826),
    ("lujiazui", 121.5, 31.239, 121.50443197159804, 31.236985083933163, 121.51104125914094, 31.242634991541035),
    ("xinjing", 121.365, 31.217, 121.36961778294643, 31.215130663366434, 121.37621171839469, 31.22082258864168),
]
# The Shanghai pair from the test-suite of `eviltransform` (googollee), WGS-84 -> GCJ-02.
EVILTRANSFORM_SHANGHAI = (121.5272106, 31.1774276, 121.531541859215, 31.17530398364597)

ONE_CM_DEG = 1e-7  # ~1.1 cm in latitude; less in longitude at 31°N
HALF_METRE_DEG = 4.5e-6


def metres_apart(lon1, lat1, lon2, lat2):
    """Equirectangular distance, plenty for offsets of a few hundred metres."""
    k = 111_320.0
    return np.hypot((lon1 - lon2) * k * np.cos(np.radians(lat1)), (lat1 - lat2) * k)


@pytest.mark.parametrize("name,wlon,wlat,glon,glat,blon,blat", SHANGHAI)
def test_forward_pairs(name, wlon, wlat, glon, glat, blon, blat):
    assert convert(wlon, wlat, "wgs84", "gcj02") == pytest.approx((glon, glat), abs=ONE_CM_DEG)
    assert convert(glon, glat, "gcj02", "bd09") == pytest.approx((blon, blat), abs=ONE_CM_DEG)
    assert convert(wlon, wlat, "wgs84", "bd09") == pytest.approx((blon, blat), abs=ONE_CM_DEG)


@pytest.mark.parametrize("name,wlon,wlat,glon,glat,blon,blat", SHANGHAI)
def test_inverse_pairs_within_half_a_metre(name, wlon, wlat, glon, glat, blon, blat):
    lon, lat = convert(glon, glat, "gcj02", "wgs84")
    assert metres_apart(lon, lat, wlon, wlat) < 0.5
    lon, lat = convert(blon, blat, "bd09", "wgs84")
    assert metres_apart(lon, lat, wlon, wlat) < 0.5
    lon, lat = convert(blon, blat, "bd09", "gcj02")
    assert metres_apart(lon, lat, glon, glat) < 0.5


def test_independent_eviltransform_pair():
    wlon, wlat, glon, glat = EVILTRANSFORM_SHANGHAI
    assert convert(wlon, wlat, "wgs84", "gcj02") == pytest.approx((glon, glat), abs=1e-9)


def test_shanghai_offset_is_about_500_m_south_east():
    lon, lat = convert(121.42, 31.22, "wgs84", "gcj02")
    assert 0.004 < lon - 121.42 < 0.005
    assert -0.0025 < lat - 31.22 < -0.0015
    assert 400 < metres_apart(lon, lat, 121.42, 31.22) < 600


def test_vectorised_matches_scalar_and_keeps_shape():
    wlon = np.array([row[1] for row in SHANGHAI])
    wlat = np.array([row[2] for row in SHANGHAI])
    glon, glat = convert(wlon, wlat, "wgs84", "gcj02")
    assert glon.shape == wlon.shape
    np.testing.assert_allclose(glon, [row[3] for row in SHANGHAI], atol=ONE_CM_DEG)
    back_lon, back_lat = convert(glon, glat, "gcj02", "wgs84")
    np.testing.assert_allclose(back_lon, wlon, atol=1e-8)
    np.testing.assert_allclose(back_lat, wlat, atol=1e-8)


@pytest.mark.parametrize("src,dst", [("wgs84", "gcj02"), ("wgs84", "bd09"), ("gcj02", "bd09")])
def test_round_trips_over_a_grid_of_the_district(src, dst):
    lon, lat = np.meshgrid(np.linspace(121.33, 121.46, 40), np.linspace(31.17, 31.24, 40))
    there = convert(lon, lat, src, dst)
    back = convert(*there, dst, src)
    assert metres_apart(back[0], back[1], lon, lat).max() < 0.01


def test_outside_china_gcj02_is_wgs84():
    # Tokyo, Paris, and a point at sea east of the published rectangle.
    for lon, lat in [(139.69, 35.69), (2.35, 48.85), (140.0, 30.0)]:
        assert out_of_china(lon, lat)
        assert convert(lon, lat, "wgs84", "gcj02") == (lon, lat)
        assert convert(lon, lat, "gcj02", "wgs84") == (lon, lat)


def test_boundary_of_the_rectangle_follows_the_published_rule():
    # Exactly on the published limits counts as inside; just past them as outside.
    assert not out_of_china(72.004, 30.0)
    assert out_of_china(72.0039, 30.0)
    assert not out_of_china(137.8347, 30.0)
    assert out_of_china(137.8348, 30.0)
    assert not out_of_china(110.0, 55.8271)
    assert out_of_china(110.0, 55.8272)
    inside = convert(72.01, 40.0, "wgs84", "gcj02")
    assert inside != (72.01, 40.0)


def test_bd09_is_applied_outside_china_too():
    lon, lat = convert(139.69, 35.69, "wgs84", "bd09")
    assert (lon, lat) != (139.69, 35.69)
    assert convert(lon, lat, "bd09", "wgs84") == pytest.approx((139.69, 35.69), abs=1e-9)


def test_nan_passes_through():
    lon, lat = convert(np.array([121.4, np.nan]), np.array([31.2, 31.2]), "wgs84", "gcj02")
    assert np.isnan(lon[1]) and not np.isnan(lon[0])


@pytest.mark.parametrize("bad", ["utm", "", "EPSG:3857", "wgs 84x"])
def test_unknown_crs_names_the_bad_value(bad):
    with pytest.raises(UnknownCRSError, match=repr(bad).replace("(", r"\(")):
        convert(121.4, 31.2, bad, "wgs84")


def test_non_string_crs_is_refused():
    with pytest.raises(UnknownCRSError, match="int"):
        normalize_crs(4326)


@pytest.mark.parametrize("alias,canonical", [("WGS-84", "wgs84"), ("EPSG:4326", "wgs84"),
                                             ("AMap", "gcj02"), ("baidu", "bd09"), (" bd-09 ", "bd09")])
def test_aliases(alias, canonical):
    assert normalize_crs(alias) == canonical


def test_geometries_convert_every_vertex():
    wlon, wlat, glon, glat = SHANGHAI[0][1:5]
    point = convert_geometry(Point(wlon, wlat), "wgs84", "gcj02")
    assert (point.x, point.y) == pytest.approx((glon, glat), abs=ONE_CM_DEG)
    line = LineString([(r[1], r[2]) for r in SHANGHAI])
    moved = convert_geometry(line, "wgs84", "gcj02")
    np.testing.assert_allclose(np.asarray(moved.coords)[:, 0], [r[3] for r in SHANGHAI], atol=ONE_CM_DEG)
    square = Polygon([(121.40, 31.20), (121.41, 31.20), (121.41, 31.21), (121.40, 31.21)])
    back = convert_geometry(convert_geometry(square, "wgs84", "bd09"), "bd09", "wgs84")
    assert back.equals_exact(square, 1e-8)


def test_geoseries_keeps_index_and_crs():
    import geopandas as gpd

    series = gpd.GeoSeries([Point(121.41, 31.21), None], index=["a", "b"], crs="EPSG:4326")
    moved = convert_geometry(series, "wgs84", "gcj02")
    assert list(moved.index) == ["a", "b"]
    assert moved.crs == series.crs
    assert moved.iloc[1] is None
    assert moved.iloc[0].x > 121.414


@pytest.mark.parametrize("module", ["app.geo.crs", "app.geo.district", "app.geo.position",
                                    "app.geo.geocode", "app.geo.address"])
def test_doctests(module):
    import doctest
    import importlib

    assert doctest.testmod(importlib.import_module(module)).failed == 0


def test_one_cached_transformer_per_pair():
    from app.geo.crs import METRIC_CRS, transformer

    assert transformer("EPSG:4326", METRIC_CRS) is transformer("EPSG:4326", METRIC_CRS)
    x, y = transformer(METRIC_CRS, "EPSG:4326").transform(500000.0, 0.0)
    assert (x, y) == pytest.approx((123.0, 0.0))
    with pytest.raises(UnknownCRSError, match="EPSG:0"):
        transformer("EPSG:4326", "EPSG:0")
