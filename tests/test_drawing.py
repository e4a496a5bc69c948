"""The planner's drawing tools: which tools a layer gets, texts in the UI language, drawings
back to WGS-84 from a GCJ-02 basemap, and nothing fetched from another host."""

from __future__ import annotations

import folium
import pytest
from shapely import Point, box

from app.errors import SubmissionError
from app.geo.crs import convert_geometry
from app.geo.geocode import to_metric
from app.map.assets import localize, offline_html
from app.map.drawing import add_draw_tools, add_proposed, drawn_geometry


@pytest.mark.parametrize(("kinds", "tools"), [
    (["point"], {"marker"}),
    (["line"], {"polyline"}),
    (["point", "polygon"], {"marker", "polygon", "rectangle"}),
])
def test_a_layer_gets_the_tools_of_its_kinds_and_never_circles(kinds, tools):
    draw = add_draw_tools(folium.Map(tiles=None), kinds)
    assert {k for k, v in draw.draw_options.items() if v} == tools
    assert draw.draw_options["circle"] is False and draw.draw_options["circlemarker"] is False


def test_polygons_may_not_cross_themselves_while_drawn():
    draw = add_draw_tools(folium.Map(tiles=None), ["polygon"])
    assert draw.draw_options["polygon"]["allowIntersection"] is False


def test_texts_are_set_before_the_control_and_the_map_stays_offline():
    m = folium.Map(location=(31.21, 121.40), tiles=None)
    add_draw_tools(m, ["polygon"], texts={"polygon": "绘制多边形</script>", "finish": "完成"})
    html = offline_html(localize(m))
    assert html.index('"draw.toolbar.buttons.polygon"') < html.index("new L.Control.Draw(")
    assert "</script>\"" not in html and "\\u003c/script\\u003e" in html  # script-safe
    assert "leaflet.draw.js" in html


def test_a_drawing_on_the_amap_basemap_comes_back_in_wgs84():
    truth = Point(121.4186, 31.2183)  # near 中山公园
    on_screen = convert_geometry(truth, "wgs84", "gcj02")
    feature = {"type": "Feature", "properties": {},
               "geometry": {"type": "Point", "coordinates": [on_screen.x, on_screen.y]}}
    back = drawn_geometry(feature, "gcj02")
    assert to_metric(back).distance(to_metric(truth)) < 0.5
    assert to_metric(drawn_geometry(feature)).distance(to_metric(truth)) > 400  # the trap


def test_a_broken_drawing_is_refused_with_a_message():
    with pytest.raises(SubmissionError, match="not a readable GeoJSON geometry"):
        drawn_geometry({"type": "Feature", "geometry": {"type": "Polygon", "coordinates": [[1]]}})


def test_a_proposed_geometry_is_drawn_in_the_basemap_crs_and_framed():
    m = folium.Map(tiles=None)
    site = box(121.40, 31.21, 121.401, 31.211)
    layer = add_proposed(m, site, "gcj02")
    ring = layer.data["features"][0]["geometry"]["coordinates"][0]
    assert abs(ring[0][0] - convert_geometry(site, "wgs84", "gcj02").exterior.coords[0][0]) < 1e-9
    assert "fitBounds" in m.get_root().render()
