"""Map builder: layer specs + (filtered) data -> a folium map. No streamlit here.

Features reach the browser as *data*; tooltips, cards and the legend are built in the browser
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
from app.data.layers import LayerSpec, geometry_kind
from app.domain.i18n import t
from app.geo.crs import convert, convert_geometry
from app.map.basemaps import BASEMAPS
from app.map.elements import MapScript
from app.map.fields import card_config, columns_of, reference_sources, shipped_fields
from app.map.geojson import feature_collections, geojson_args
from app.map.legend import legend_spec
from app.map.project_layers import SVG_MAX_FEATURES, MapLayer, project_layers, shifted
from app.map.scriptjson import script_json
from app.map.style import path_style

__all__ = ["DISTRICT_CENTRE", "DISTRICT_ZOOM", "MAP_CSS", "build_map", "reference_parts"]

DISTRICT_CENTRE = (31.2135, 121.3960)  # lat, lon (WGS-84), roughly the middle of Changning
DISTRICT_ZOOM = 13


MAP_CSS = """
/* streamlit-folium puts a spacer after #root that makes the frame scroll on the first click */
body>span{display:none}
.atlas-tip strong{display:block}
.atlas-card{font:13px/1.35 system-ui,"Noto Sans CJK SC",sans-serif;max-height:320px;overflow:auto}
.atlas-card-title{font-weight:600;font-size:15px}
.atlas-card table{border-collapse:collapse}
.atlas-card th{text-align:left;vertical-align:top;color:#666;font-weight:500;padding:1px 6px 1px 0;white-space:nowrap}
.atlas-card td{padding:1px 0;word-break:break-word}
.atlas-timeline{list-style:none;margin:0;padding:0 0 0 10px;border-left:2px solid #c9d3dd}
.atlas-stage{position:relative;margin:0 0 3px;color:#555}
.atlas-stage:before{content:"";position:absolute;left:-15px;top:5px;width:8px;height:8px;border-radius:50%;background:#c9d3dd}
.atlas-stage-now{color:#111}
.atlas-stage-now:before{background:#2b6cb0}
.atlas-stage-date{font-variant-numeric:tabular-nums;margin-right:6px}
.atlas-stage-label{font-weight:600}
.atlas-stage-source{display:block;color:#777;font-size:12px}
.atlas-links{margin:0;padding-left:16px}
/* a narrow map (a phone): the card fits inside it, the stage history wraps */
@media (max-width:600px){.atlas-card{max-width:calc(100vw - 72px)}}
.atlas-legend{background:rgba(255,255,255,.92);padding:6px 8px;font:12px/1.4 system-ui,"Noto Sans CJK SC",sans-serif;max-height:45vh;overflow:auto}
.atlas-legend-title{font-weight:600;cursor:pointer}
.atlas-legend-title:after{content:" ▾"}
.atlas-collapsed .atlas-legend-title:after{content:" ▸"}
.atlas-collapsed > :not(.atlas-legend-title){display:none}
.atlas-legend-group{margin-top:4px;color:#444;font-weight:500}
.atlas-legend-row{display:flex;align-items:center;gap:5px}
.atlas-legend-count{color:#777;margin-left:auto;padding-left:6px}
.atlas-swatch{display:inline-block;width:12px;height:12px;border:2px solid;box-sizing:border-box}
.atlas-swatch-point{border-radius:50%}
.atlas-swatch-line{height:4px;border:0}
.leaflet-container.atlas-hovering,.atlas-hovering path.atlas-below{cursor:pointer}
.atlas-hovering .leaflet-tooltip:not(.atlas-canvas-tip){display:none}
@media (max-width:600px){.atlas-legend{max-height:30vh;font-size:11px}.leaflet-control-minimap{display:none}}
/* the live map while a card is open: the minimap steps aside; on a narrow map (a phone) the
   card needs the whole width, so the top controls wait until it is closed */
.atlas-card-open .leaflet-control-minimap{display:none}
@media (max-width:600px){.atlas-card-open .leaflet-top .leaflet-control{display:none}}
"""


def _add_project_layer(m: folium.Map, layer: MapLayer) -> None:
    """Draw a prebuilt project layer: one script call per part."""
    call = ("window.atlasMap.canvas({map}).add(" if layer.strategy == "canvas"
            else "window.atlasMap.geojson({map}, ")
    for text in layer.parts:
        m.add_child(MapScript(call, text, f", {layer.config});"))


def reference_parts(atlas: Atlas, spec: LayerSpec, lang: str, crs: str, below: bool = False,
                    interactive: bool = True) -> tuple[list[str], str]:
    """(per legend value the ``data, style, radius`` argument text, card config JSON) of a
    reference layer drawn as SVG with its spec's tooltip and card; `below`: under the projects,
    letting the canvas painter take events; not `interactive`: it never takes a click or tap
    (the field page's outline must let a tap through to the map)."""
    frame = atlas.reference_frame(spec)
    config = script_json(card_config(spec, lang))
    if frame.empty:
        return [], config
    frame = frame.assign(geometry=shifted(frame.geometry, crs))
    sources = reference_sources(atlas, frame, lang)
    fields = shipped_fields(spec)
    key = spec.legend_field if spec.legend_field in frame else None
    parts = frame.groupby(key) if key else [(None, frame)]
    out = []
    for value, part in parts:
        kind = geometry_kind(part.geometry.iloc[0].geom_type)
        style = path_style(spec.style, spec.colour_for(value), area_point=False, kind=kind)
        style.update({k: v for k, v in spec.style.items() if k in ("fillOpacity", "dashArray")})
        # 'atlas-below': drawn under the projects; the canvas painter takes pointer events on it
        style["className"] = (f"atlas-feature atlas-reference atlas-layer-{spec.id}"
                              + (" atlas-below" if below else ""))
        if not interactive:
            style["interactive"] = False
            style["bubblingMouseEvents"] = True
        if kind == "point":
            style["color"] = "#333333"
        rows = {name: (values.loc[part.index], label) for name, (values, label) in sources.items()}
        data = feature_collections(part.geometry.to_numpy(), columns_of(rows, fields))[0]
        radius = spec.style.get("radius", 5) if kind == "point" else None
        out.append(geojson_args(style, data, radius))
    return out, config


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
    m.get_root().header.add_child(Element(f"<style>{MAP_CSS}</style>"))
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
