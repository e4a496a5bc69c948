"""Geocoding recipes against tiny in-code gazetteers, and against the shipped data."""

import pytest
import shapely
from shapely import LineString, Point, Polygon

from app.domain.model import Recipe
from app.errors import GeocodeError
from app.geo.crs import convert
from app.geo.gazetteer import Place
from app.geo.geocode import resolve, to_metric


def place(pid, geom, confidence="high", crs="bd09", kind="metro_station"):
    return Place(pid, pid, pid, kind, geom, f"source of {pid}", crs, "conversion", confidence)


@pytest.fixture()
def places():
    # Three stations ~1 km apart on a north-south line, a district square around them.
    a, b, c = Point(121.41, 31.23), Point(121.41, 31.22), Point(121.41, 31.21)
    district = Polygon([(121.40, 31.205), (121.42, 31.205), (121.42, 31.235), (121.40, 31.235)])
    out = {p.id: p for p in [place("a", a), place("b", b, "medium", "gcj02"), place("c", c),
                             place("nowhere", None, "none", None),
                             place("district-changning", district, kind="district")]}
    out["track"] = place("track", LineString([a, b, c]), "low", kind="metro_line")
    return out


def test_ref_returns_the_place_and_its_provenance(places):
    geom, prov = resolve(Recipe(kind="ref", refs=("b",)), places)
    assert geom.equals(places["b"].geometry)
    assert prov["pos_source_crs"] == "gcj02" and prov["pos_confidence"] == "medium"
    assert prov["pos_refs"] == ["b"]


def test_line_through_points_is_schematic(places):
    geom, prov = resolve(Recipe(kind="line", refs=("a", "b", "c")), places)
    assert list(geom.coords) == [(121.41, 31.23), (121.41, 31.22), (121.41, 31.21)]
    assert prov["pos_confidence"] == "low"
    assert prov["pos_source_crs"] == "bd09,gcj02"


def test_hull_grows_by_buffer_in_metres(places):
    geom, _ = resolve(Recipe(kind="hull", refs=("a", "c"), buffer_m=100), places)
    segment = to_metric(LineString([places["a"].geometry, places["c"].geometry]))
    ring = shapely.points(shapely.get_coordinates(to_metric(geom).exterior))
    distances = shapely.distance(ring, segment)
    assert distances.min() == pytest.approx(100, abs=1) and distances.max() == pytest.approx(100, abs=1)


def test_along_takes_the_stretch_between_stations(places):
    whole, prov = resolve(Recipe(kind="along", line="track", refs=("a", "b")), places)
    assert to_metric(whole).length == pytest.approx(1109, abs=5)  # 0.01° of latitude
    part, _ = resolve(Recipe(kind="along", line="track", refs=("a", "b"), from_m=100, to_m=300), places)
    assert to_metric(part).length == pytest.approx(200, abs=0.5)
    start = to_metric(Point(part.coords[0]))
    assert start.distance(to_metric(places["a"].geometry)) == pytest.approx(100, abs=0.5)
    assert "track" in prov["pos_refs"]


def test_along_against_the_line_direction_measures_from_the_first_station(places):
    part, _ = resolve(Recipe(kind="along", line="track", refs=("c", "b"), from_m=0, to_m=50), places)
    assert to_metric(Point(part.coords[0])).distance(to_metric(places["c"].geometry)) < 0.5


def test_along_beyond_the_segment_is_refused(places):
    with pytest.raises(GeocodeError, match="to_m=5000"):
        resolve(Recipe(kind="along", line="track", refs=("a", "b"), from_m=0, to_m=5000), places)


def test_point_in_gcj02_is_converted(places):
    geom, prov = resolve(Recipe(kind="point", lon=121.4156, lat=31.2101, crs="amap", source="x"),
                         places)
    assert (geom.x, geom.y) == pytest.approx(convert(121.4156, 31.2101, "gcj02", "wgs84"))
    assert prov["pos_source_crs"] == "gcj02"


@pytest.mark.parametrize("recipe,message", [
    (Recipe(kind="ref", refs=("missing",)), "unknown place reference 'missing'"),
    (Recipe(kind="ref", refs=("nowhere",)), "has no position"),
    (Recipe(kind="line", refs=("a", "track")), "needs a point"),
    (Recipe(kind="point", lon=1.0, lat=2.0, crs="utm", source="x"), "unknown CRS 'utm'"),
])
def test_broken_recipes_are_named(places, recipe, message):
    with pytest.raises(GeocodeError, match=message):
        resolve(recipe, places, "project 'demo'")


def test_clip_to_district(places):
    geom, _ = resolve(Recipe(kind="line", refs=("a", "c"), clip_to_district=True), places)
    assert geom.within(places["district-changning"].geometry.buffer(1e-9))


# --- the shipped data ---------------------------------------------------------------------

def test_viaduct_segments_add_up_to_the_line(atlas):
    line = to_metric(atlas.places["line-3-4-viaduct"].geometry).length
    parts = sum(to_metric(atlas.places[p].geometry).length for p in
                ("viaduct-seg-north", "viaduct-seg-zhongshan-yananxi", "viaduct-seg-yananxi-hongqiao"))
    assert parts == pytest.approx(line, rel=1e-6)
    assert 2000 < line < 4500


def test_site_projects_sit_on_their_converted_reference(atlas):
    row = atlas.projects.set_index("id").loc["tianshan-park"]
    assert row.geometry.equals(atlas.places["poi-tianshangongyuan"].geometry)
    assert row["pos_source_crs"] == "gcj02"


def test_an_address_recipe_is_placed_from_the_known_house_numbers(atlas):
    exact, prov = resolve(Recipe.from_mapping({"address": "仙霞路1111号"}, "t"), atlas.places,
                          addresses=atlas.addresses)
    assert exact.equals(atlas.addresses.by_key["仙霞路1111号"].point)
    assert prov["pos_method"].startswith("address: known address") and prov["pos_confidence"] == "medium"
    between, prov = resolve(Recipe.from_mapping({"address": "延安西路1609号"}, "t"), atlas.places,
                            addresses=atlas.addresses)
    assert prov["pos_method"].startswith("address-interpolated: interpolated between 延安西路1590号")
    assert prov["pos_refs"] == ["road-yananxilu"] and prov["pos_confidence"] == "low"
    assert to_metric(between).distance(to_metric(atlas.places["road-yananxilu"].geometry)) < 100
    with pytest.raises(GeocodeError, match="neither a known address"):
        resolve(Recipe.from_mapping({"address": "仙霞路1111号"}, "t"), atlas.places)  # no book
