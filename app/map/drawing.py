"""Drawing on the map: the planner's Leaflet.draw tools and what they return.

The live map's draw mode (``static/live_map.js``) offers Leaflet.draw (served locally by
:mod:`app.map.assets`) with only the kinds a project's layer takes: a point layer gets the
marker, a line layer the polyline, a polygon layer the polygon and rectangle; circles are never
offered (Leaflet.draw returns a circle as its centre point only). Polygons may not cross
themselves while drawn. The toolbar sits in the bottom-right corner, clear of the map's other
controls; its texts are given in the UI language.

A drawing comes back as a GeoJSON geometry in the basemap's coordinates (GCJ-02 on AMap), with
the name of that CRS: :func:`drawn_geometry` turns it into a WGS-84 shapely geometry.

>>> sorted(k for k, v in draw_tools(["point", "polygon"]).items() if v)
['marker', 'polygon', 'rectangle']
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from shapely.geometry import shape
from shapely.geometry.base import BaseGeometry

from app.errors import SubmissionError
from app.geo.crs import convert_geometry

__all__ = ["DRAW_TEXT_KEYS", "draw_texts", "draw_tools", "drawn_geometry"]

#: Leaflet.draw's tools per layer-spec geometry kind.
_TOOLS: dict[str, tuple[str, ...]] = {"point": ("marker",), "line": ("polyline",),
                                      "polygon": ("polygon", "rectangle")}
_ALL_TOOLS = ("polyline", "polygon", "rectangle", "circle", "marker", "circlemarker")
_COLOUR = "#c0392b"

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


def draw_tools(kinds: Sequence[str]) -> dict[str, object]:
    """Leaflet.draw's ``draw`` options offering the tools of `kinds` (layer-spec kinds) only.

    >>> draw_tools(["line"])["polyline"], draw_tools(["line"])["circle"]
    ({'shapeOptions': {'color': '#c0392b'}}, False)
    >>> draw_tools(["volume"])
    Traceback (most recent call last):
    ValueError: unknown geometry kind(s) ['volume']; known: point, line, polygon
    """
    unknown = [k for k in kinds if k not in _TOOLS]
    if unknown or not kinds:
        raise ValueError(f"unknown geometry kind(s) {unknown}; known: {', '.join(_TOOLS)}")
    offered = {tool for kind in kinds for tool in _TOOLS[kind]}
    shape_style = {"color": _COLOUR}
    options: dict[str, object] = {tool: False for tool in _ALL_TOOLS}
    for tool in offered:
        options[tool] = {"shapeOptions": shape_style} if tool != "marker" else {"repeatMode": False}
    if "polygon" in offered:
        options["polygon"] = {"allowIntersection": False, "shapeOptions": shape_style}
    return options


def draw_texts(texts: Mapping[str, str]) -> dict[str, str]:
    """`texts` (keys of :data:`DRAW_TEXT_KEYS`) as ``L.drawLocal`` paths; other keys are left out.

    >>> draw_texts({"finish": "完成", "nonsense": "x"})
    {'draw.toolbar.finish.text': '完成'}
    """
    return {DRAW_TEXT_KEYS[k]: str(v) for k, v in texts.items() if k in DRAW_TEXT_KEYS}


def drawn_geometry(drawing: Mapping[str, object] | None, crs: str = "wgs84") -> BaseGeometry | None:
    """The geometry of a drawing (a GeoJSON geometry or Feature) in WGS-84.

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
