"""The planner's drawing tools: which tools a layer gets, texts in the UI language, drawings
back to WGS-84 from a GCJ-02 basemap, and the map's overlays in the basemap's CRS."""

from __future__ import annotations

import pytest
from shapely import Point, box

from app.errors import SubmissionError
from app.geo.crs import convert_geometry
from app.geo.geocode import to_metric
from app.map.drawing import draw_texts, draw_tools, drawn_geometry
from app.map.live import live_assets, overlay


@pytest.mark.parametrize(("kinds", "tools"), [
    (["point"], {"marker"}),
    (["line"], {"polyline"}),
    (["point", "polygon"], {"marker", "polygon", "rectangle"}),
])
def test_a_layer_gets_the_tools_of_its_kinds_and_never_circles(kinds, tools):
    options = draw_tools(kinds)
    assert {k for k, v in options.items() if v} == tools
    assert options["circle"] is False and options["circlemarker"] is False


def test_polygons_may_not_cross_themselves_while_drawn():
    assert draw_tools(["polygon"])["polygon"]["allowIntersection"] is False


def test_texts_become_leaflet_draw_paths_and_its_files_are_served_here():
    paths = draw_texts({"polygon": "绘制多边形", "finish": "完成"})
    assert paths == {"draw.toolbar.buttons.polygon": "绘制多边形", "draw.toolbar.finish.text": "完成"}
    assets = live_assets(draw=True)
    assert any(url.endswith("leaflet.draw.js") for url in assets["js"])
    assert any(url.endswith("leaflet.draw.css") for url in assets["css"])
    assert not any("//" in url for url in assets["js"] + assets["css"])
    assert not any("draw" in url for url in live_assets()["js"])  # only the planner's map loads it


def test_a_drawing_on_the_amap_basemap_comes_back_in_wgs84():
    truth = Point(121.4186, 31.2183)  # near 中山公园
    on_screen = convert_geometry(truth, "wgs84", "gcj02")
    drawing = {"type": "Point", "coordinates": [on_screen.x, on_screen.y]}
    back = drawn_geometry(drawing, "gcj02")
    assert to_metric(back).distance(to_metric(truth)) < 0.5
    assert to_metric(drawn_geometry(drawing)).distance(to_metric(truth)) > 400  # the trap


def test_a_broken_drawing_is_refused_with_a_message():
    with pytest.raises(SubmissionError, match="not a readable GeoJSON geometry"):
        drawn_geometry({"type": "Feature", "geometry": {"type": "Polygon", "coordinates": [[1]]}})


def test_a_proposed_geometry_is_drawn_in_the_basemap_crs():
    site = box(121.40, 31.21, 121.401, 31.211)
    shown = overlay(site, "new", "gcj02")
    ring = shown["geometry"]["coordinates"][0]
    assert abs(ring[0][0] - convert_geometry(site, "wgs84", "gcj02").exterior.coords[0][0]) < 1e-9
    assert shown["style"]["dashArray"]
