"""Coordinate cells, declared CRSs and position checks of imported registers (app/geo/coords.py)."""

from __future__ import annotations

import doctest
import math

import pytest
import shapely
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from shapely import LineString, Point, box

import app.geo.coords
from app.errors import CoordinateError, UnknownCRSError
from app.geo.coords import (
    MISSING_TEXTS,
    ParsedCoordinate,
    Problem,
    SourceCRS,
    parse_coordinate,
    parse_dms,
    parse_source_crs,
)
from app.geo.crs import convert
from app.geo.district import distance_outside
from app.geo.geocode import to_metric
from app.geo.position import PositionCheck, check_position

# A rectangle around central Changning stands in for the district in the unit tests.
DISTRICT_M = to_metric(box(121.36, 31.19, 121.45, 31.24))
TIANSHAN = (121.4110, 31.2121)  # WGS-84, inside the rectangle
PROPERTY = settings(max_examples=300, deadline=None,
                    suppress_health_check=[HealthCheck.function_scoped_fixture])


def metres(a: shapely.Geometry, b: shapely.Geometry) -> float:
    return to_metric(a).distance(to_metric(b))


def imported(geometry, crs: SourceCRS, district_m=DISTRICT_M, tolerance_m: float = 300.0):
    """A position as the importer checks it: swaps fixed (and said), 300 m tolerance."""
    return check_position(geometry, crs, district_m, fix_swaps=True, tolerance_m=tolerance_m)


# -- cells -----------------------------------------------------------------------------------


@pytest.mark.parametrize(("cell", "value", "fixes"), [
    (121.42, 121.42, ()),
    (121, 121.0, ()),
    ("121.42", 121.42, ()),
    (" -33.5 ", -33.5, ()),
    ("+31.2", 31.2, ()),
    ("１２１．４２", 121.42, ("full-width",)),
    ("　３１．２　", 31.2, ("full-width",)),
    ("\u2212121.5", -121.5, ()),
    ("121°25′30″E", 121.425, ("dms",)),
    ("121° 25' 30\" E", 121.425, ("dms",)),
    ("E121°25'30\"", 121.425, ("dms",)),
    ("31°13′30″N", 31.225, ("dms",)),
    ("北纬31度13分30秒", 31.225, ("dms",)),
    ("东经121度25分", 121.41666666666667, ("dms",)),
    ("121:25:30", 121.425, ("dms",)),
    ("31d13m30s", 31.225, ("dms",)),
    ("33 51 S", -33.85, ("dms",)),
    ("121.42E", 121.42, ("dms",)),
    ("１２１°２５′Ｅ", 121.41666666666667, ("full-width", "dms")),
])
def test_cells_parse_with_their_fixes(cell, value, fixes):
    parsed = parse_coordinate(cell)
    assert parsed.value == pytest.approx(value, abs=1e-12)
    assert parsed.fixes == fixes


@pytest.mark.parametrize("cell", [None, float("nan"), "", "  ", "NaN", "nan", "NULL", "None", "N/A",
                                  "-", "—", "无", "#N/A"])
def test_missing_cells_are_missing_not_zero(cell):
    assert parse_coordinate(cell).value is None


@pytest.mark.parametrize("cell", ["121,42", "abc", "12 34 56 78", "31°75′N", "31°13′75″N",
                                  "31.5°13′N", "-31°N", "N31°S", True, float("inf"), "inf",
                                  [121.4], b"121.4"])
def test_unreadable_cells_raise_coordinate_error(cell):
    with pytest.raises(CoordinateError):
        parse_coordinate(cell)


def test_decimal_comma_error_explains_what_to_write():
    with pytest.raises(CoordinateError, match="decimal point"):
        parse_coordinate("121,42")


def test_south_and_west_are_negative():
    assert parse_dms("33°51′S") == pytest.approx(-33.85)
    assert parse_dms("西经70度") == -70.0
    assert parse_dms("70 30 W") == -70.5


@pytest.mark.parametrize("cell", ["3113'", "31°1330\"", "1213°", "31°13'300\""])
def test_dms_parts_must_be_separated_and_short(cell):
    # Unseparated or overlong parts have no single reading (3113' could be 311°3' or 31°13');
    # refusing them is also what keeps the pattern linear (tests/security/test_redos.py).
    with pytest.raises(CoordinateError, match="not a coordinate"):
        parse_coordinate(cell)


@pytest.mark.parametrize("cell,value", [("31:13:30", 31.225), ("31 13 30 N", 31.225),
                                        ("31°13.5′N", 31.225), ("31.225°", 31.225),
                                        ("31d13m30s", 31.225), ("121°E", 121.0)])
def test_dms_separators(cell, value):
    assert parse_coordinate(cell).value == pytest.approx(value)


def test_parsed_coordinate_refuses_non_finite():
    with pytest.raises(ValueError, match="finite"):
        ParsedCoordinate(float("nan"))


def test_missing_texts_are_folded():
    assert all(t == t.casefold().strip() for t in MISSING_TEXTS)


# -- declared CRS ----------------------------------------------------------------------------


@pytest.mark.parametrize(("text", "name", "projected"), [
    ("wgs84", "wgs84", False), ("EPSG:4326", "wgs84", False), ("4326", "wgs84", False),
    ("GCJ-02", "gcj02", False), ("amap", "gcj02", False), ("Baidu", "bd09", False),
    ("EPSG:32651", "EPSG:32651", True), ("epsg 32651", "EPSG:32651", True),
    ("EPSG:4490", "EPSG:4490", False), ("3857", "EPSG:3857", True),
])
def test_declared_crs(text, name, projected):
    assert parse_source_crs(text) == SourceCRS(name, projected)


@pytest.mark.parametrize("text", ["utm", "EPSG:999999", "", "EPSG:", 4326])
def test_unknown_crs_is_named(text):
    with pytest.raises(UnknownCRSError):
        parse_source_crs(text)


def test_source_crs_checks_itself():
    with pytest.raises(UnknownCRSError):
        SourceCRS("mars")
    with pytest.raises(UnknownCRSError):
        SourceCRS("wgs84", projected=True)


# -- position checks -------------------------------------------------------------------------


def test_a_good_point_passes_unchanged():
    check = imported(Point(*TIANSHAN), SourceCRS("wgs84"))
    assert check == PositionCheck(Point(*TIANSHAN))
    assert not check.rejected and not check.fixed


def test_gcj02_input_is_converted_to_wgs84_within_a_metre():
    gcj = Point(*convert(*TIANSHAN, "wgs84", "gcj02"))
    check = imported(gcj, SourceCRS("gcj02"))
    assert metres(check.geometry, Point(*TIANSHAN)) < 1.0
    assert metres(gcj, Point(*TIANSHAN)) > 300  # the shift that must not be silently kept


def test_bd09_input_is_converted():
    bd = Point(*convert(*TIANSHAN, "wgs84", "bd09"))
    assert metres(imported(bd, SourceCRS("bd09")).geometry, Point(*TIANSHAN)) < 1.0


@pytest.mark.parametrize("point", [Point(TIANSHAN[1], TIANSHAN[0]), Point(31.2121, 121.4110)])
def test_swapped_lat_lon_is_fixed_and_said(point):
    check = imported(point, SourceCRS("wgs84"))
    assert check.fixed
    assert [p.code for p in check.problems] == ["swapped"]
    assert check.geometry.equals(Point(*TIANSHAN))


def test_projected_numbers_labelled_as_degrees_are_rejected():
    x, y = 350_000.0, 3_454_000.0
    check = imported(Point(x, y), SourceCRS("wgs84"))
    assert check.rejected
    assert check.problems[0].code == "projected-as-degrees"
    assert "EPSG" in check.problems[0].message


def test_projected_crs_is_transformed():
    from pyproj import Transformer

    x, y = Transformer.from_crs("EPSG:4326", "EPSG:32651", always_xy=True).transform(*TIANSHAN)
    check = imported(Point(x, y), parse_source_crs("EPSG:32651"))
    assert check.problems == ()
    assert metres(check.geometry, Point(*TIANSHAN)) < 0.01


def test_projected_xy_swapped_is_fixed():
    from pyproj import Transformer

    x, y = Transformer.from_crs("EPSG:4326", "EPSG:32651", always_xy=True).transform(*TIANSHAN)
    check = imported(Point(y, x), parse_source_crs("EPSG:32651"))
    assert [p.code for p in check.problems] == ["swapped"]
    assert metres(check.geometry, Point(*TIANSHAN)) < 0.01


def test_degrees_labelled_as_projected_are_rejected():
    check = imported(Point(*TIANSHAN), parse_source_crs("EPSG:32651"))
    assert check.rejected and check.problems[0].code == "degrees-as-projected"


def test_numbers_out_of_range_are_rejected():
    check = imported(Point(500.0, 400.0), SourceCRS("wgs84"))
    assert check.rejected and check.problems[0].code == "out-of-range"


@pytest.mark.parametrize("point", [Point(121.60, 31.30), Point(2.35, 48.85), Point(0.0, 0.0)])
def test_points_outside_the_district_are_rejected_with_distance(point):
    check = imported(point, SourceCRS("wgs84"))
    assert check.rejected
    assert check.problems[0].code == "outside-district"
    assert "km outside" in check.problems[0].message


def test_tolerance_lets_border_points_in():
    just_outside = Point(121.4530, 31.21)  # ~290 m east of the rectangle
    assert 200 < distance_outside(just_outside, DISTRICT_M) < 300
    assert not imported(just_outside, SourceCRS("wgs84")).rejected
    assert imported(just_outside, SourceCRS("wgs84"), tolerance_m=100).rejected


def test_lines_are_checked_by_their_farthest_vertex():
    line = LineString([TIANSHAN, (121.60, 31.21)])
    assert imported(line, SourceCRS("wgs84")).problems[0].code == "outside-district"


@pytest.mark.parametrize("geometry", [None, Point(), Point(float("nan"), 31.2), Point(math.inf, 31.2)])
def test_empty_or_non_finite_geometry_is_rejected(geometry):
    check = imported(geometry, SourceCRS("wgs84"))
    assert check.rejected and check.problems[0].code == "invalid-geometry"


def test_self_intersecting_polygon_is_rejected():
    bowtie = shapely.Polygon([(121.40, 31.20), (121.41, 31.21), (121.41, 31.20), (121.40, 31.21)])
    check = imported(bowtie, SourceCRS("wgs84"))
    assert check.rejected and "Self-intersection" in check.problems[0].message


@pytest.mark.parametrize("position", [(TIANSHAN[1], TIANSHAN[0]), Point(TIANSHAN[1], TIANSHAN[0])])
def test_one_swap_rule_two_choices(position):
    fixed = check_position(position, "wgs84", DISTRICT_M, fix_swaps=True, tolerance_m=300)
    refused = check_position(position, "wgs84", DISTRICT_M, fix_swaps=False, tolerance_m=300)
    assert fixed.fixed and fixed.geometry.equals(Point(*TIANSHAN))
    assert refused.rejected and [p.code for p in refused.problems] == ["swapped"]
    assert "look swapped" in refused.problems[0].message
    assert "x and y exchanged" in fixed.problems[0].message


def test_a_swap_outside_china_is_not_suspected():
    # Both readings are real places, only (2.35, 48.85) is in range: no swap, just far away.
    check = check_position((2.35, 48.85), "wgs84", DISTRICT_M, fix_swaps=True, tolerance_m=300)
    assert [p.code for p in check.problems] == ["outside-district"]


def test_a_fixed_swap_still_has_to_lie_in_the_district():
    # (31.21, 80.0) swapped is (80.0, 31.21): in China (Tibet), thousands of km from Changning.
    check = imported(Point(31.21, 80.0), SourceCRS("wgs84"))
    assert check.rejected and check.problems[0].code == "outside-district"
    assert "read with x and y exchanged" in check.problems[0].message


def test_pairs_are_checked_as_numbers_first():
    for pair, message in [((None, 31.2), "lon must be a number, got NoneType"),
                          ((121.4, True), "lat must be a number, got bool"),
                          ((float("nan"), 31.2), "lon must be a finite number")]:
        check = check_position(pair, fix_swaps=True)
        assert check.rejected and message in check.problems[0].message
    with pytest.raises(TypeError, match="fix_swaps must be True or False"):
        check_position((121.4, 31.2), fix_swaps=None)
    with pytest.raises(TypeError, match=r"\(lon, lat\)"):
        check_position((121.4, 31.2, 0.0), fix_swaps=False)


def test_problem_validates_itself():
    with pytest.raises(ValueError):
        Problem("x", "ignored", "message")
    with pytest.raises(ValueError):
        Problem("", "fixed", "message")
    assert Problem("dms", "fixed", "m").to_dict() == {"code": "dms", "action": "fixed", "message": "m"}


# -- properties: any input gives a value or the project's own error --------------------------

CELL_ALPHABET = "0123456789.,-+ °′″'\":dmsNSEWnsew北南东西纬经度分秒１２３．　\u2212eE"


@PROPERTY
@given(st.one_of(st.none(), st.floats(allow_nan=True, allow_infinity=True), st.integers(),
                 st.booleans(), st.text(), st.text(alphabet=CELL_ALPHABET, max_size=24)))
def test_any_cell_parses_or_raises_coordinate_error(cell):
    try:
        parsed = parse_coordinate(cell)
    except CoordinateError:
        return
    assert isinstance(parsed, ParsedCoordinate)
    assert parsed.value is None or math.isfinite(parsed.value)
    assert set(parsed.fixes) <= {"full-width", "dms"}


@PROPERTY
@given(st.text(alphabet=CELL_ALPHABET, max_size=30))
def test_any_text_is_dms_or_coordinate_error(text):
    try:
        value = parse_dms(text)
    except CoordinateError:
        return
    assert math.isfinite(value)


@PROPERTY
@given(st.integers(0, 179), st.integers(0, 59), st.floats(0, 59.999, allow_nan=False),
       st.sampled_from(["E", "W", "N", "S"]), st.sampled_from(["°′″", "度分秒", "d m s"]),
       st.booleans())
def test_dms_round_trip(deg, minutes, seconds, hemisphere, marks, full_width):
    d, m, s = (marks.split() if " " in marks else list(marks))
    text = f"{deg}{d}{minutes}{m}{seconds:.3f}{s}{hemisphere}"
    if full_width:
        text = text.translate({ord(c): ord(c) + 0xFEE0 for c in "0123456789.ENSW"})
    expected = (deg + minutes / 60 + float(f"{seconds:.3f}") / 3600) * (
        -1 if hemisphere in "SW" else 1)
    parsed = parse_coordinate(text)
    assert parsed.value == pytest.approx(expected, abs=1e-9)
    assert "dms" in parsed.fixes and ("full-width" in parsed.fixes) == full_width


@PROPERTY
@given(st.floats(allow_nan=True, allow_infinity=True, width=64),
       st.floats(allow_nan=True, allow_infinity=True, width=64),
       st.sampled_from(["wgs84", "gcj02", "bd09", "EPSG:32651", "EPSG:4490"]))
def test_any_point_is_placed_or_rejected_never_raises(x, y, crs):
    check = imported(Point(x, y), parse_source_crs(crs))
    assert isinstance(check, PositionCheck)
    if check.rejected:
        assert check.problems and check.problems[0].action == "rejected"
    else:
        assert distance_outside(check.geometry, DISTRICT_M) <= 300.0
        assert all(p.action == "fixed" for p in check.problems)


def test_doctests():
    assert doctest.testmod(app.geo.coords).failed == 0
