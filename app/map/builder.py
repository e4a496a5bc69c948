"""A standalone folium map of a selection: the baseline the benchmark measures the live map
against (``python -m app.bench``: "naive folium") and one self-contained HTML page of a map.
No page of the app uses it: every page's map is the live component (:mod:`app.map.live`,
``static/live_map.js``). No streamlit here.

It draws what the live map draws, from the same pieces, so the comparison is fair. Features reach the browser as *data*; tooltips, cards and the legend are built in the browser
by ``static/atlas_map.js`` with ``textContent``, so no register text is ever parsed as HTML or
evaluated as a template, at any size. What a tooltip or card shows is its layer spec's
``tooltip`` and ``card`` (:mod:`app.map.fields`); project layers come ready-made from
:mod:`app.map.project_layers` (SVG or canvas by size), the legend from :mod:`app.map.legend`,
the tiles from :mod:`app.map.basemaps`. Everything reaches the page through
:class:`app.map.elements.MapScript`, as JSON written by :func:`app.map.scriptjson.script_json`.

On a GCJ-02 basemap (AMap) every overlay is shifted WGS-84 -> GCJ-02 here, at the edge; the
data itself stays WGS-84. Panning and zooming never come back to Python.

>>> from app.data.atlas import load_atlas
>>> atlas = load_atlas()
>>> html = build_map(atlas, atlas.projects, basemap="none").get_root().render()
>>> "atlasMap.legend(" in html, "tile.openstreetmap.org" in html
(True, False)
>>> build_map(atlas, atlas.projects, basemap="google")
Traceback (most recent call last):
...
KeyError: "unknown basemap 'google'; use one of osm, amap, tianditu, none"
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from importlib import resources

import folium
import geopandas as gpd
from branca.element import Element
from folium.plugins import Fullscreen, MeasureControl, MiniMap
from xyzservices import TileProvider

from app.data.atlas import Atlas
from app.data.layers import LayerSpec
from app.domain.i18n import t
from app.geo.crs import convert, convert_geometry
from app.map.basemaps import BASEMAPS
from app.map.elements import MapScript
from app.map.legend import legend_spec
from app.map.live import DISTRICT_CENTRE, DISTRICT_ZOOM, map_css
from app.map.project_layers import SVG_MAX_FEATURES, MapLayer, project_layers
from app.map.references import reference_parts
from app.map.scriptjson import script_json

__all__ = ["build_map"]

#: The card's popup size in this standalone map (the live map sizes its cards to the map).
_CARD_CSS = ".leaflet-popup-content .atlas-card{max-height:320px}"


def _add_project_layer(m: folium.Map, layer: MapLayer) -> None:
    """Draw a prebuilt project layer: one script call per part."""
    call = ("window.atlasMap.canvas({map}).add(" if layer.strategy == "canvas"
            else "window.atlasMap.geojson({map}, ")
    for text in layer.parts:
        m.add_child(MapScript(call, text, f", {layer.config});"))


def _add_reference_layer(m: folium.Map, atlas: Atlas, spec: LayerSpec, lang: str, crs: str,
                         below: bool = False, interactive: bool = True) -> None:
    """Draw a reference layer (:func:`reference_parts`) on `m`."""
    parts, config = reference_parts(atlas, spec, lang, crs, below, interactive)
    for args in parts:
        m.add_child(MapScript("window.atlasMap.geojson({map}, ", args, f", {config});"))


def _view(frame: gpd.GeoDataFrame, focus: str | None, centre: tuple[float, float] | None,
          zoom: int | None, crs: str) -> tuple[tuple[float, float], int, tuple | None]:
    """(centre lat/lon in the basemap CRS, zoom, bounds to fit or None)."""
    if focus is not None:
        rows = frame[(frame["id"] == focus) & frame.geometry.notna()]
        if not rows.empty:
            geom = rows.geometry.iloc[0]
            if geom.geom_type == "Point":
                lon, lat = convert(geom.x, geom.y, "wgs84", crs)
                return (lat, lon), zoom or 17, None
            minx, miny, maxx, maxy = convert_geometry(geom, "wgs84", crs).bounds
            return ((miny + maxy) / 2, (minx + maxx) / 2), zoom or 16, ((miny, minx), (maxy, maxx))
    if centre is not None:
        lon, lat = convert(centre[1], centre[0], "wgs84", crs)
        return (lat, lon), zoom or DISTRICT_ZOOM, None
    lon, lat = convert(DISTRICT_CENTRE[1], DISTRICT_CENTRE[0], "wgs84", crs)
    return (lat, lon), zoom or DISTRICT_ZOOM, None if zoom else "district"


def _fit(bounds: Sequence[Sequence[float]], max_zoom: int | None = None) -> MapScript:
    """Fit the view to `bounds` ((south, west), (north, east)) at once, without the pan
    animation (whose end would redraw every layer a second time right after loading)."""
    options = {"animate": False, **({"maxZoom": max_zoom} if max_zoom is not None else {})}
    box = [[float(v) for v in corner] for corner in bounds]
    return MapScript(f"{{map}}.fitBounds({script_json(box)}, {script_json(options)});")


def _tiles(basemap: str, key: str | None) -> TileProvider:
    """The basemap's provider, with its key filled in where it needs one."""
    if basemap not in BASEMAPS:
        raise KeyError(f"unknown basemap {basemap!r}; use one of {', '.join(BASEMAPS)}")
    provider = BASEMAPS[basemap]
    if not provider.requires_token():
        return provider
    if not key:
        raise ValueError(f"the {provider['title_en']} basemap needs a key (TIANDITU_KEY)")
    return provider(tk=key, overlays=tuple(o(tk=key) for o in provider["overlays"]))


def build_map(atlas: Atlas, frame: gpd.GeoDataFrame, *, lang: str = "zh", basemap: str = "osm",
              visible_refs: Sequence[str] = (), focus: str | None = None,
              centre: tuple[float, float] | None = None, zoom: int | None = None,
              tianditu_key: str | None = None, height: int = 600,
              here: tuple[float, float, float | None] | None = None,
              layers: Mapping[str, MapLayer] | None = None,
              svg_max: int = SVG_MAX_FEATURES, clickable_refs: bool = True) -> folium.Map:
    """The folium map of `frame` (already filtered) with the chosen reference layers.

    `basemap` is a key of :data:`app.map.basemaps.BASEMAPS` (KeyError naming the known ones
    otherwise); one that needs a key (Tianditu) without `tianditu_key` raises ValueError (the
    UI falls back and says so). Only located projects are drawn. `here` = (lon, lat, accuracy
    in metres or None), WGS-84: the field worker's position, drawn with its accuracy circle.

    `layers` are prebuilt project layers by layer id (:func:`app.map.project_layers.project_layers`
    of the same rows, language and basemap CRS, e.g. from a cache); the others are built here,
    drawn as SVG up to `svg_max` features and on the canvas beyond. Without `clickable_refs`
    reference layers never take a click (a tap anywhere reaches the map: the field page).
    """
    provider = _tiles(basemap, tianditu_key)
    crs = provider["crs"]
    location, zoom_level, bounds = _view(frame, focus, centre, zoom, crs)
    m = folium.Map(location=location, zoom_start=zoom_level, tiles=None, control_scale=True,
                   min_zoom=9, max_zoom=provider["max_zoom"], height=height)
    if provider.url:
        folium.TileLayer(tiles=provider, name=basemap).add_to(m)
        for overlay in provider["overlays"]:
            folium.TileLayer(tiles=overlay, overlay=True).add_to(m)
        MiniMap(tile_layer=folium.TileLayer(tiles=provider), toggle_display=False,
                position="bottomleft").add_to(m)
    m.get_root().header.add_child(Element(f"<style>{map_css()}{_CARD_CSS}</style>"))
    m.add_child(MapScript(resources.files("app.map").joinpath("static/atlas_map.js").read_text(encoding="utf-8")))
    for spec in atlas.reference_layers:
        if spec.id in visible_refs and spec.id == "district_boundary":
            _add_reference_layer(m, atlas, spec, lang, crs, below=True,
                                 interactive=clickable_refs)
    given = dict(layers or {})
    missing = [s.id for s in atlas.project_layers if s.id not in given]
    if missing:
        given.update(project_layers(atlas, frame, lang, crs, only=missing, svg_max=svg_max))
    for spec in atlas.project_layers:
        _add_project_layer(m, given[spec.id])
    for spec in atlas.reference_layers:
        if spec.id in visible_refs and spec.id != "district_boundary":
            _add_reference_layer(m, atlas, spec, lang, crs, interactive=clickable_refs)
    if here is not None:
        lon, lat = convert(here[0], here[1], "wgs84", crs)
        if here[2]:
            folium.Circle((lat, lon), radius=float(here[2]), color="#1565c0", weight=1,
                          fill=True, fill_opacity=0.1, class_name="atlas-here-accuracy").add_to(m)
        folium.CircleMarker((lat, lon), radius=8, color="#ffffff", weight=3, fill=True,
                            fill_color="#1565c0", fill_opacity=1, class_name="atlas-here").add_to(m)
    Fullscreen(position="topleft", title=t("fullscreen", lang), title_cancel=t("exit_fullscreen", lang)).add_to(m)
    MeasureControl(position="topleft", primary_length_unit="meters",
                   secondary_length_unit="kilometers", primary_area_unit="sqmeters",
                   secondary_area_unit="hectares").add_to(m)
    legend = legend_spec(atlas, frame, visible_refs, lang)
    m.add_child(MapScript(f"window.atlasMap.legend({{map}}, {script_json(legend)});"))
    if bounds == "district":
        district = atlas.places["district-changning"].geometry
        minx, miny, maxx, maxy = convert_geometry(district, "wgs84", crs).bounds
        m.add_child(_fit([(miny, minx), (maxy, maxx)]))
    elif bounds is not None:
        m.add_child(_fit(bounds, max_zoom=17))
    if focus is not None:
        m.add_child(MapScript(
            f"setTimeout(function(){{window.atlasMap.openPopup({{map}}, {script_json(focus)});}}, 300);"))
    return m
