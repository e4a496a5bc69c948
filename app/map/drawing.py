"""Drawing on the map: the planner's Leaflet.draw tools, what they return, and proposed geometries.

The tools are folium's :class:`folium.plugins.Draw` (Leaflet.draw, served locally by
:mod:`app.map.assets`), offering only the kinds a project's layer takes: a point layer gets the
marker, a line layer the polyline, a polygon layer the polygon and rectangle; circles are never
offered (Leaflet.draw returns a circle as its centre point only). Polygons may not cross
themselves while drawn. The toolbar sits in the bottom-right corner, clear of the atlas's other
controls; its texts can be given in the UI language.

A drawing comes back from streamlit-folium as a GeoJSON Feature in the basemap's coordinates
(GCJ-02 on AMap): :func:`drawn_geometry` turns it into a WGS-84 shapely geometry.

>>> import folium
>>> m = folium.Map(tiles=None)
>>> draw = add_draw_tools(m, ["point", "polygon"])
>>> sorted(k for k, v in draw.draw_options.items() if v)
['marker', 'polygon', 'rectangle']
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import folium
import folium.plugins
from shapely.geometry import mapping, shape
from shapely.geometry.base import BaseGeometry

from app.errors import SubmissionError
from app.geo.crs import convert_geometry
from app.map.elements import MapScript
from app.map.scriptjson import script_json

__all__ = ["DRAW_TEXT_KEYS", "PROPOSED_STYLE", "add_draw_tools", "add_proposed", "drawn_geometry"]

#: Leaflet.draw's tools per layer-spec geometry kind.
_TOOLS: dict[str, tuple[str, ...]] = {"point": ("marker",), "line": ("polyline",),
                                      "polygon": ("polygon", "rectangle")}
_ALL_TOOLS = ("polyline", "polygon", "rectangle", "circle", "marker", "circlemarker")

#: The toolbar texts that can be translated: key -> path in ``L.drawLocal``.
DRAW_TEXT_KEYS: dict[str, str] = {
    "polygon": "draw.toolbar.buttons.polygon",
    "polyline": "draw.toolbar.buttons.polyline",
    "rectangle": "draw.toolbar.buttons.rectangle",
    "marker": "draw.toolbar.buttons.marker",
    "finish": "draw.toolbar.finish.text",
    "undo": "draw.toolbar.undo.text",
    "cancel": "draw.toolbar.actions.text",
    "polygon_start": "draw.handlers.polygon.tooltip.start",
    "polygon_cont": "draw.handlers.polygon.tooltip.cont",
    "polygon_end": "draw.handlers.polygon.tooltip.end",
    "polyline_start": "draw.handlers.polyline.tooltip.start",
    "polyline_cont": "draw.handlers.polyline.tooltip.cont",
    "polyline_end": "draw.handlers.polyline.tooltip.end",
    "marker_start": "draw.handlers.marker.tooltip.start",
    "rectangle_start": "draw.handlers.rectangle.tooltip.start",
    "edit": "edit.toolbar.buttons.edit",
    "remove": "edit.toolbar.buttons.remove",
    "save": "edit.toolbar.actions.save.text",
    "clear_all": "edit.toolbar.actions.clearAll.text",
}

#: How a proposed (drawn, uploaded or pending) geometry is drawn: dashed, apart from the layers.
PROPOSED_STYLE: dict[str, object] = {"color": "#c0392b", "weight": 3, "dashArray": "6 4",
                                     "fillColor": "#c0392b", "fillOpacity": 0.15}

# Sets L.drawLocal paths from a JSON object, before the control reads them.
_LOCALISE = """(function () {
  var texts = %s;
  Object.keys(texts).forEach(function (path) {
    var keys = path.split("."), node = L.drawLocal;
    for (var i = 0; i < keys.length - 1; i++) { node = node && node[keys[i]]; }
    if (node) { node[keys[keys.length - 1]] = texts[path]; }
  });
})();
"""


def add_draw_tools(m: folium.Map, kinds: Sequence[str],
                   texts: Mapping[str, str] | None = None) -> folium.plugins.Draw:
    """Add drawing tools for `kinds` (layer-spec kinds) to `m`; return the Draw control.

    `texts` (keys of :data:`DRAW_TEXT_KEYS`) replace Leaflet.draw's English texts. Call
    :func:`app.map.assets.localize` after it, like for every element.

    >>> add_draw_tools(folium.Map(tiles=None), ["line"]).draw_options["polyline"]
    {'shapeOptions': {'color': '#c0392b'}}
    >>> add_draw_tools(folium.Map(tiles=None), ["volume"])
    Traceback (most recent call last):
    ValueError: unknown geometry kind(s) ['volume']; known: point, line, polygon
    """
    unknown = [k for k in kinds if k not in _TOOLS]
    if unknown or not kinds:
        raise ValueError(f"unknown geometry kind(s) {unknown}; known: {', '.join(_TOOLS)}")
    offered = {tool for kind in kinds for tool in _TOOLS[kind]}
    shape_style = {"color": PROPOSED_STYLE["color"]}
    options: dict[str, object] = {tool: False for tool in _ALL_TOOLS}
    for tool in offered:
        options[tool] = {"shapeOptions": shape_style} if tool != "marker" else {"repeatMode": False}
    if "polygon" in offered:
        options["polygon"] = {"allowIntersection": False, "shapeOptions": shape_style}
    if texts:
        paths = {DRAW_TEXT_KEYS[k]: str(v) for k, v in texts.items() if k in DRAW_TEXT_KEYS}
        m.add_child(MapScript(_LOCALISE % script_json(paths)))
    # bottom right: the only corner no other control of the atlas's maps uses (the left holds
    # zoom, full screen, measuring and the overview map; the top right the legend)
    draw = folium.plugins.Draw(position="bottomright", draw_options=options,
                               edit_options={"poly": {"allowIntersection": False}},
                               show_geometry_on_click=False)
    draw.add_to(m)
    return draw


def drawn_geometry(drawing: Mapping[str, object] | None, crs: str = "wgs84") -> BaseGeometry | None:
    """The geometry of a Leaflet.draw feature (as streamlit-folium returns it) in WGS-84.

    `crs` is the basemap's CRS the map was drawn in ('wgs84', 'gcj02'). None for no drawing;
    SubmissionError for something that is not a GeoJSON geometry.

    >>> drawn_geometry({"type": "Feature", "properties": {},
    ...                 "geometry": {"type": "Point", "coordinates": [121.4, 31.21]}}).wkt
    'POINT (121.4 31.21)'
    >>> drawn_geometry(None) is None
    True
    >>> drawn_geometry({"type": "Feature", "geometry": {"type": "Point", "coordinates": "x"}})
    Traceback (most recent call last):
    app.errors.SubmissionError: the drawing is not a readable GeoJSON geometry: {'type': 'Point', 'coordinates': 'x'}
    """
    if not drawing:
        return None
    raw = drawing.get("geometry") if drawing.get("type") == "Feature" else drawing
    try:
        geometry = shape(raw)
    except (ValueError, TypeError, AttributeError, KeyError, IndexError) as exc:
        raise SubmissionError(f"the drawing is not a readable GeoJSON geometry: {str(raw)[:80]}") from exc
    if geometry.is_empty:
        return None
    return convert_geometry(geometry, crs, "wgs84") if crs != "wgs84" else geometry


def add_proposed(m: folium.Map, geometry: BaseGeometry, crs: str = "wgs84",
                 style: Mapping[str, object] = PROPOSED_STYLE) -> folium.GeoJson:
    """Draw the WGS-84 `geometry` on `m` (a map in `crs`) in the proposed style, without
    tooltip or popup (nothing of it reaches HTML but coordinates); fit the map to it.

    >>> from shapely import box
    >>> m = folium.Map(tiles=None)
    >>> layer = add_proposed(m, box(121.40, 31.21, 121.401, 31.211))
    >>> layer.data["features"][0]["geometry"]["type"]
    'Polygon'
    """
    shown = convert_geometry(geometry, "wgs84", crs) if crs != "wgs84" else geometry
    data = {"type": "FeatureCollection",
            "features": [{"type": "Feature", "properties": {}, "geometry": mapping(shown)}]}
    fixed = dict(style)
    layer = folium.GeoJson(data, style_function=lambda _feature: fixed,
                           marker=folium.CircleMarker(radius=7, **fixed))
    layer.add_to(m)
    minx, miny, maxx, maxy = shown.bounds
    pad = 0.0008
    m.fit_bounds([(miny - pad, minx - pad), (maxy + pad, maxx + pad)], max_zoom=17)
    return layer
