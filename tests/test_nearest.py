"""Field check: position checks and nearest projects, with distances known by construction.

Fixture geometries are laid out in metres in the metric CRS around a worker and brought to
WGS-84 with ``app.geo.geocode.to_wgs84``, so every expected distance is exact by construction.
"""

from __future__ import annotations

import doctest

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from shapely import LineString, Point, Polygon, box

import app.geo.nearest
from app.errors import AtlasError, DataError, PositionError, UnknownCRSError
from app.geo.crs import METRIC_CRS, convert
from app.geo.geocode import to_metric, to_wgs84
from app.geo.nearest import NEAREST_COLUMNS, compass, nearest
from app.geo.position import FIELD_TOLERANCE_M, check_position

# The worker stands near Tianshan Park, Changning (WGS-84).
WORKER = (121.411, 31.2121)
WORKER_M = to_metric(Point(*WORKER))
X0, Y0 = WORKER_M.x, WORKER_M.y


def metric(geom):
    """A geometry given in metres relative to the worker -> WGS-84."""
    from shapely import affinity

    return to_wgs84(affinity.translate(geom, X0, Y0))


def frame(rows, crs="EPSG:4326"):
    """A projects-like frame: rows are (id, geometry); names derived from the id."""
    return gpd.GeoDataFrame(
        {"id": [r[0] for r in rows],
         "name_zh": [f"项目{r[0]}" for r in rows],
         "name_en": [f"Project {r[0]}" for r in rows],
         "layer": ["test"] * len(rows),
         "precision": ["site" if r[1] is not None else "unlocated" for r in rows]},
        geometry=[r[1] for r in rows], crs=crs)


def bearing_off(bearing, expected):
    """Smallest angle between two bearings, in degrees."""
    return abs((bearing - expected + 180.0) % 360.0 - 180.0)


def field(lon, lat, crs="wgs84", district=None, tolerance_m=FIELD_TOLERANCE_M):
    """A field position as the CLI and the field page check it: swaps refused, not fixed."""
    district_m = None if district is None else to_metric(district)
    return check_position((lon, lat), crs, district_m, fix_swaps=False,
                          tolerance_m=tolerance_m).lonlat()


def test_doctests():
    assert doctest.testmod(app.geo.nearest).failed == 0


# --- distances to the geometry itself ------------------------------------------------------

def test_point_1000_m_north():
    result = nearest(frame([("north", metric(Point(0, 1000)))]), *WORKER)
    row = result.iloc[0]
    assert row["distance_m"] == 1000.0
    # True north differs from UTM grid north by the meridian convergence (< 1° here).
    assert bearing_off(row["bearing_deg"], 0.0) < 1.0
    assert (row["direction_zh"], row["direction_en"]) == ("北", "N")


def test_line_passing_50_m_away_measures_to_the_line_not_its_centroid():
    # East-west line 50 m north of the worker, running far to the east: centroid ~1 km away.
    line = metric(LineString([(-200, 50), (2200, 50)]))
    result = nearest(frame([("road", line)]), *WORKER)
    assert result.loc[0, "distance_m"] == 50.0
    assert to_metric(line).centroid.distance(WORKER_M) > 900
    assert result.loc[0, "direction_en"] == "N"


def test_bearing_points_to_the_nearest_point_not_the_centroid():
    # North-south line 100 m east, running far north: centroid is NNE, nearest point is due east.
    line = metric(LineString([(100, -50), (100, 3000)]))
    row = nearest(frame([("road", line)]), *WORKER).iloc[0]
    assert row["distance_m"] == 100.0
    assert bearing_off(row["bearing_deg"], 90.0) < 1.0
    assert (row["direction_zh"], row["direction_en"]) == ("东", "E")


def test_polygon_containing_the_worker_is_at_zero():
    plot = metric(box(-100, -100, 300, 200))
    row = nearest(frame([("plot", plot)]), *WORKER).iloc[0]
    assert row["distance_m"] == 0.0
    assert np.isnan(row["bearing_deg"])
    assert (row["direction_zh"], row["direction_en"]) == ("此处", "here")


def test_polygon_outside_measures_to_its_outline():
    plot = metric(box(-300, -500, 300, -80))  # southern edge 80 m south of the worker
    row = nearest(frame([("plot", plot)]), *WORKER).iloc[0]
    assert row["distance_m"] == 80.0
    assert row["direction_en"] == "S"


def test_polygon_with_a_hole_around_the_worker_measures_to_the_hole():
    ring = Polygon([(-500, -500), (500, -500), (500, 500), (-500, 500)],
                   holes=[[(-40, -40), (40, -40), (40, 40), (-40, 40)]])
    assert nearest(frame([("ring", metric(ring))]), *WORKER).loc[0, "distance_m"] == 40.0


@pytest.mark.parametrize("dx,dy,zh,en", [
    (0, 100, "北", "N"), (100, 100, "东北", "NE"), (100, 0, "东", "E"), (100, -100, "东南", "SE"),
    (0, -100, "南", "S"), (-100, -100, "西南", "SW"), (-100, 0, "西", "W"), (-100, 100, "西北", "NW"),
])
def test_compass_directions(dx, dy, zh, en):
    row = nearest(frame([("p", metric(Point(dx, dy)))]), *WORKER).iloc[0]
    assert row["distance_m"] == pytest.approx(np.hypot(dx, dy), abs=0.05)
    assert (row["direction_zh"], row["direction_en"]) == (zh, en)
    assert 0.0 <= row["bearing_deg"] < 360.0


@pytest.mark.parametrize("bearing,expected", [
    (0.0, "N"), (22.4, "N"), (22.5, "NE"), (67.5, "E"), (180.0, "S"), (337.4, "NW"),
    (337.5, "N"), (359.9, "N"), (360.0, "N"), (-90.0, "W"), (float("nan"), "here"),
])
def test_compass_sectors(bearing, expected):
    assert compass(bearing)[1] == expected


def test_compass_rejects_non_numbers():
    with pytest.raises(PositionError, match="bearing_deg must be a number, got str"):
        compass("N")


# --- selection, ordering, shape -------------------------------------------------------------

def test_ties_are_broken_by_id_and_order_is_by_distance():
    here = metric(box(-10, -10, 10, 10))
    rows = [("zeta", metric(Point(0, 300))), ("beta", here), ("alpha", here),
            ("mid", metric(Point(-120, 0)))]
    result = nearest(frame(rows), *WORKER, n=10)
    assert result["id"].tolist() == ["alpha", "beta", "mid", "zeta"]
    assert result["distance_m"].tolist() == [0.0, 0.0, 120.0, 300.0]


def test_only_located_projects_and_n_limits():
    rows = [("a", metric(Point(0, 10))), ("none", None), ("empty", Point()),
            ("b", metric(Point(0, 20))), ("c", metric(Point(0, 30)))]
    result = nearest(frame(rows), *WORKER, n=2)
    assert result["id"].tolist() == ["a", "b"]
    assert nearest(frame(rows), *WORKER, n=99)["id"].tolist() == ["a", "b", "c"]


def test_result_columns_and_types():
    result = nearest(frame([("a", metric(Point(30, 40)))]), *WORKER)
    assert result.columns.tolist() == list(NEAREST_COLUMNS)
    assert list(result.index) == [0]
    assert result["distance_m"].dtype == float and result["bearing_deg"].dtype == float
    assert result.loc[0, "distance_m"] == 50.0
    assert result.loc[0, ["name_zh", "name_en", "layer", "precision"]].tolist() == [
        "项目a", "Project a", "test", "site"]


@pytest.mark.parametrize("make", [
    lambda: nearest(frame([("a", metric(Point(0, 10)))]), *WORKER, n=0),
    lambda: nearest(frame([("a", metric(Point(0, 10)))]), *WORKER, n=-3),
    lambda: nearest(frame([]), *WORKER),
    lambda: nearest(frame([("x", None), ("y", None)]), *WORKER),
])
def test_empty_results_keep_the_columns(make):
    result = make()
    assert result.empty
    assert result.columns.tolist() == list(NEAREST_COLUMNS)
    assert result["distance_m"].dtype == float


def test_frame_in_another_crs_gives_the_same_answer():
    geoms = [Point(0, 1000), LineString([(-200, 50), (2200, 50)]), box(-10, -10, 10, 10)]
    wgs = frame([(str(i), metric(g)) for i, g in enumerate(geoms)])
    utm = wgs.to_crs(METRIC_CRS)
    pd.testing.assert_frame_equal(nearest(wgs, *WORKER, n=5), nearest(utm, *WORKER, n=5))


def test_bad_inputs_are_named():
    good = frame([("a", metric(Point(0, 10)))])
    with pytest.raises(TypeError, match="GeoDataFrame, got DataFrame"):
        nearest(pd.DataFrame(good.drop(columns="geometry")), *WORKER)
    with pytest.raises(TypeError, match="n must be an integer, got float"):
        nearest(good, *WORKER, n=2.0)
    with pytest.raises(DataError, match="no CRS"):
        nearest(good.set_crs(None, allow_override=True), *WORKER)
    with pytest.raises(DataError, match=r"\['name_en'\]"):
        nearest(good.drop(columns="name_en"), *WORKER)
    with pytest.raises(PositionError, match="check_position"):
        nearest(good, float("nan"), 31.2)


# --- check_position ------------------------------------------------------------------------

def test_wgs84_passes_through():
    assert field(*WORKER) == WORKER


@pytest.mark.parametrize("crs", ["gcj02", "GCJ-02", "amap", "bd09", "baidu"])
def test_chinese_crs_is_converted_to_its_wgs84_truth(crs):
    given = convert(*WORKER, "wgs84", crs)
    assert field(*given, crs=crs) == pytest.approx(WORKER, abs=1e-8)


def test_gcj02_input_gives_the_same_nearest_answer_as_its_wgs84_truth():
    rows = [("line", metric(LineString([(-200, 50), (2200, 50)]))),
            ("north", metric(Point(0, 1000))), ("plot", metric(box(-30, -30, 30, 30)))]
    projects = frame(rows)
    truth = nearest(projects, *WORKER)
    gcj = convert(*WORKER, "wgs84", "gcj02")
    from_gcj = nearest(projects, *field(*gcj, crs="gcj02"))
    pd.testing.assert_frame_equal(from_gcj, truth)
    # The mistake this guards against: GCJ-02 numbers read as WGS-84 are ~500 m off.
    wrong = nearest(projects, *gcj)
    assert wrong.loc[wrong["id"] == "plot", "distance_m"].item() > 300


@pytest.mark.parametrize("lon,lat,message", [
    (float("nan"), 31.2, "lon must be a finite number, got nan"),
    (121.4, float("inf"), "lat must be a finite number, got inf"),
    (181.0, 31.2, "longitude must lie within ±180°"),
    (121.4, -95.0, "latitude within ±90°"),
    (400.0, 400.0, "is not a position"),
    (None, 31.2, "lon must be a number, got NoneType"),
    ("121.4", 31.2, "lon must be a number, got str"),
    (121.4, True, "lat must be a number, got bool"),
])
def test_unusable_values_are_refused(lon, lat, message):
    with pytest.raises(PositionError, match=message):
        field(lon, lat)


@pytest.mark.parametrize("lon,lat", [
    (31.2, 121.4),    # latitude out of range: clearly swapped
    (31.2121, 89.0),  # both in range, but only the swapped reading lies in China
])
def test_swapped_lat_lon_is_refused_not_fixed(lon, lat):
    with pytest.raises(PositionError, match="look swapped") as info:
        field(lon, lat)
    assert f"did you mean lon={lat!r}, lat={lon!r}" in str(info.value)


def test_errors_are_atlas_value_errors():
    with pytest.raises(AtlasError):
        field(31.2, 121.4)
    with pytest.raises(ValueError):
        field(31.2, 121.4)


def test_unknown_crs():
    with pytest.raises(UnknownCRSError, match="unknown CRS 'utm'"):
        field(*WORKER, crs="utm")


# A small square "district": 1 km around the worker.
DISTRICT = metric(box(-500, -500, 500, 500))


def test_inside_and_just_outside_the_district_pass():
    assert field(*WORKER, district=DISTRICT) == WORKER
    just_outside = metric(Point(0, 500 + FIELD_TOLERANCE_M - 20))
    assert field(just_outside.x, just_outside.y, district=DISTRICT) == pytest.approx(
        (just_outside.x, just_outside.y))


def test_far_outside_the_district_is_refused_with_the_distance():
    far = metric(Point(0, 500 + 1200))
    with pytest.raises(PositionError, match=r"lies 1200 m outside the district \(tolerance 500 m\)"):
        field(far.x, far.y, district=DISTRICT)
    with pytest.raises(PositionError, match="tolerance 1000 m"):
        field(far.x, far.y, district=DISTRICT, tolerance_m=1000)
    assert field(far.x, far.y, district=DISTRICT, tolerance_m=2000) == pytest.approx(
        (far.x, far.y))


def test_tolerance_is_configurable():
    point = metric(Point(0, 500 + 200))
    field(point.x, point.y, district=DISTRICT, tolerance_m=250)
    with pytest.raises(PositionError, match="tolerance 150 m"):
        field(point.x, point.y, district=DISTRICT, tolerance_m=150)


@pytest.mark.parametrize("tolerance", [-1.0, float("nan"), float("inf")])
def test_bad_tolerance(tolerance):
    with pytest.raises(PositionError, match="tolerance_m"):
        field(*WORKER, district=DISTRICT, tolerance_m=tolerance)


def test_gcj02_numbers_given_as_wgs84_get_a_hint():
    small = metric(box(-100, -100, 100, 100))
    gcj = convert(*WORKER, "wgs84", "gcj02")
    with pytest.raises(PositionError, match=r"if these are gcj02 coordinates, say so \(crs='gcj02'\)"):
        field(*gcj, district=small, tolerance_m=50)
    assert field(*gcj, crs="gcj02", district=small, tolerance_m=50) == pytest.approx(WORKER)


def test_bad_district():
    with pytest.raises(PositionError, match="district_m must be a non-empty shapely geometry"):
        check_position(WORKER, district_m="changning", fix_swaps=False)
    with pytest.raises(PositionError, match="non-empty"):
        check_position(WORKER, district_m=Polygon(), fix_swaps=False)


# --- the shipped atlas ---------------------------------------------------------------------

def test_at_west_yanan_road_station(atlas):
    station = atlas.places["metro-l3-yananxilu"].geometry
    district = atlas.places["district-changning"].geometry
    lon, lat = field(station.x, station.y, district=district)
    result = nearest(atlas.projects, lon, lat, n=10).set_index("id")
    for segment in ("viaduct-underspace-zhongshan-yananxi", "viaduct-underspace-yananxi-hongqiao"):
        assert result.loc[segment, "distance_m"] <= 1.0
    assert result.loc["tianshan-park", "distance_m"] <= 300.0
    assert result.loc["tianshan-park", "direction_en"] in {"W", "SW", "NW"}
    assert set(result["precision"]) <= {"site", "street", "area"}
    assert result["distance_m"].is_monotonic_increasing


def test_at_west_yanan_road_station_from_baidu_numbers(atlas):
    station = atlas.places["metro-l3-yananxilu"].geometry
    bd = convert(station.x, station.y, "wgs84", "bd09")
    truth = nearest(atlas.projects, station.x, station.y, n=8)
    pd.testing.assert_frame_equal(nearest(atlas.projects, *field(*bd, crs="bd09"), n=8),
                                  truth)


def test_ties_are_broken_by_id(atlas):
    # The shipped data no longer has two projects on one point (the 友谊商城 / 新虹桥中心大厦
    # placeholder shared an invented one and is now unlocated), so two are put on one here.
    projects = atlas.projects.copy()
    park = projects.set_index("id").loc["tianshan-park"].geometry
    for pid in ("tongren-hospital", "children-library-upgrade"):
        projects.loc[projects["id"] == pid, "geometry"] = park
    station = atlas.places["metro-l3-yananxilu"].geometry
    result = nearest(projects, station.x, station.y, n=len(projects))
    tied = result[result["id"].isin(["children-library-upgrade", "tianshan-park", "tongren-hospital"])]
    assert tied["distance_m"].nunique() == 1
    assert tied["id"].tolist() == ["children-library-upgrade", "tianshan-park", "tongren-hospital"]
    assert list(tied.index) == list(range(tied.index[0], tied.index[0] + 3))
    for _distance, group in result.groupby("distance_m"):
        assert group["id"].tolist() == sorted(group["id"])
