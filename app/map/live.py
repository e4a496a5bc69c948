"""The live map's data: one base per (data version, language, basemap), a visibility mask per
filter, and what a page's mode adds (a position, overlays, a shape to edit). No streamlit here
(the component that shows them is :mod:`app.ui.live_map`).

Every page's map is this one component (``static/live_map.js``), in a mode: ``view`` (the map
page, the import preview), ``pick`` (the field page: a tap sets a position and nothing else),
``draw`` (the planner page) and ``review`` (recorded and proposed geometry side by side). A
page keeps one Leaflet map per visit and updates it in place. What it needs splits in two:

``base``
    every located project of the atlas, drawn as the builder draws it (SVG paths for small
    layers, the columnar canvas payload beyond :data:`~app.map.project_layers.SVG_MAX_FEATURES`),
    the reference layers, the tiles and the district's extent. It depends on the data version,
    the language (labels) and the basemap (its CRS shifts the overlays) only, so it is built
    once per process for every session and sent to a browser once per visit.
``mask``
    which of the atlas's rows pass the filter, as a bitset (``mask_bits``): 100,000 rows are
    17 kB of text. A filter change sends this, the legend and little else.

>>> from app.data.atlas import load_atlas
>>> atlas = load_atlas()
>>> base = json.loads(live_base(atlas, "en", "none"))
>>> base["ids"] == atlas.projects["id"].tolist(), base["tiles"]
(True, [])
>>> mask_bits(np.array([True, False, False, True, False, False, False, False, True]))
'CQE='
>>> mask_bits(np.array([], dtype=bool))
''
"""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Mapping, Sequence
from importlib import resources
from typing import Any

import folium
import geopandas as gpd
import numpy as np
import shapely
from folium.plugins import Draw, Fullscreen, MeasureControl, MiniMap
from shapely.geometry import mapping
from shapely.geometry.base import BaseGeometry

from app.data.atlas import Atlas
from app.geo.crs import convert, convert_geometry
from app.map.assets import localize
from app.map.basemaps import BASEMAPS
from app.map.halos import halo_rows
from app.map.project_layers import SVG_MAX_FEATURES, MapLayer, project_layers
from app.map.references import reference_parts

__all__ = ["DISTRICT_CENTRE", "DISTRICT_ZOOM", "MODES", "OVERLAY_STYLES", "base_key",
           "geometry_bounds", "here_marker", "live_assets", "live_base", "map_css", "mask_bits",
           "overlay", "result_bounds", "view_shift"]

DISTRICT_CENTRE = (31.2135, 121.3960)  # lat, lon (WGS-84), roughly the middle of Changning
DISTRICT_ZOOM = 13

#: The map's modes (module doc).
MODES: tuple[str, ...] = ("view", "pick", "draw", "review")

#: How overlays are drawn: the recorded geometry solid, a proposed one dashed in red.
OVERLAY_STYLES: dict[str, dict[str, object]] = {
    "old": {"color": "#1f4e79", "weight": 4, "opacity": 0.95, "fillColor": "#1f4e79",
            "fillOpacity": 0.12},
    "new": {"color": "#c0392b", "weight": 3, "opacity": 1, "dashArray": "6 4",
            "fillColor": "#c0392b", "fillOpacity": 0.15},
}


def base_key(data_version: str, lang: str, basemap: str) -> str:
    """A short name of one base (file name safe).

    >>> base_key("v1", "zh", "none") == base_key("v1", "zh", "none") != base_key("v1", "en", "none")
    True
    """
    text = f"{data_version}\x1f{lang}\x1f{basemap}"
    return hashlib.blake2b(text.encode("utf-8"), digest_size=12).hexdigest()


def _tiles(basemap: str, key: str | None) -> list[dict[str, Any]]:
    """The tile layers of `basemap` (base, then overlays) as Leaflet URL templates + options."""
    provider = BASEMAPS[basemap]
    if not provider.url:
        return []
    if provider.requires_token():
        if not key:
            raise ValueError(f"the {provider['title_en']} basemap needs a key (TIANDITU_KEY)")
        provider = provider(tk=key, overlays=tuple(o(tk=key) for o in provider["overlays"]))
    out = []
    for tiles in (provider, *provider["overlays"]):
        options = {"attribution": tiles.get("html_attribution", tiles.get("attribution", "")),
                   "maxZoom": tiles["max_zoom"]}
        if "subdomains" in tiles:
            options["subdomains"] = tiles["subdomains"]
        out.append({"url": tiles.build_url(fill_subdomain=False), "options": options})
    return out


def _layer_text(layer: MapLayer) -> str:
    """One project layer as JSON: its strategy, card config and parts (SVG parts are the
    ``data, style, radius`` arguments of ``atlasMap.geojson``, made a JSON array)."""
    parts = [f"[{p}]" if layer.strategy == "svg" else p for p in layer.parts]
    head = json.dumps({"id": layer.layer, "strategy": layer.strategy, "count": layer.count})
    return f'{head[:-1]}, "config": {layer.config}, "parts": [{",".join(parts)}]}}'


def live_base(atlas: Atlas, lang: str, basemap: str, tianditu_key: str | None = None, *,
              layers: Mapping[str, MapLayer] | None = None,
              svg_max: int = SVG_MAX_FEATURES, version: str | None = None) -> str:
    """The base of the live map as JSON text (module doc): project ids in row order, every
    located project by layer, the reference layers, the tiles, the district's extent.

    `layers` are prebuilt project layers of all of ``atlas.projects`` in this language and the
    basemap's CRS (built here otherwise); `version` names the data in the base's key (default:
    the atlas's data version). KeyError for an unknown basemap, ValueError for
    Tianditu without a key.

    >>> from app.data.atlas import load_atlas
    >>> base = json.loads(live_base(load_atlas(), "zh", "amap"))
    >>> base["crs"], base["tiles"][0]["options"]["subdomains"]
    ('gcj02', '1234')
    >>> live_base(load_atlas(), "zh", "google")
    Traceback (most recent call last):
    ...
    KeyError: 'google'
    """
    crs = BASEMAPS[basemap]["crs"]
    given = dict(layers or {})
    missing = [s.id for s in atlas.project_layers if s.id not in given]
    if missing:
        given.update(project_layers(atlas, atlas.projects, lang, crs, only=missing,
                                    svg_max=svg_max))
    refs = []
    for spec in atlas.reference_layers:
        if spec.tiles_url:  # a planner's own layer, drawn from its vector tiles (WGS-84 only)
            tiles = {"id": spec.id, "url": spec.tiles_url, "title": spec.title(lang), "style": spec.style}
            refs.append(json.dumps({"id": spec.id, "below": False, "visible": spec.visible,
                                    "tiles": tiles if crs == "wgs84" else None, "config": {},
                                    "parts": []}, ensure_ascii=False))
            continue
        below = spec.id == "district_boundary"
        parts, config = reference_parts(atlas, spec, lang, crs, below=below)
        head = json.dumps({"id": spec.id, "below": below, "visible": spec.visible})
        refs.append(f'{head[:-1]}, "config": {config}, "parts": [{",".join(f"[{p}]" for p in parts)}]}}')
    district = convert_geometry(atlas.places["district-changning"].geometry, "wgs84", crs).bounds
    meta = {
        "key": base_key(version or atlas.data_version, lang, basemap), "crs": crs, "basemap": basemap,
        "tiles": _tiles(basemap, tianditu_key), "maxZoom": BASEMAPS[basemap]["max_zoom"],
        "district": [[district[1], district[0]], [district[3], district[2]]],
        "ids": atlas.projects["id"].tolist(),
        # each row's layer, as its index in "layers" (-1: a layer the map does not draw):
        # the map's own layer control hides a layer at once, before the page's rerun confirms
        "row_layers": _row_layers(atlas),
        # [row, lat, lon, metres]: the uncertainty halo of a point project (app.map.halos)
        "halos": halo_rows(atlas.projects, crs),
    }
    head = json.dumps(meta, ensure_ascii=False)
    layer_texts = ",".join(_layer_text(given[s.id]) for s in atlas.project_layers)
    return f'{head[:-1]}, "layers": [{layer_texts}], "refs": [{",".join(refs)}]}}'


def _row_layers(atlas: Atlas) -> list[int]:
    """Each project's layer as its index among the atlas's project layers (-1: none of them).

    >>> from app.data.atlas import load_atlas
    >>> atlas = load_atlas()
    >>> rows = _row_layers(atlas)
    >>> [atlas.project_layers[i].id for i in rows[:1]] == atlas.projects["layer"].tolist()[:1]
    True
    """
    order = {spec.id: i for i, spec in enumerate(atlas.project_layers)}
    return [order.get(layer, -1) for layer in atlas.projects["layer"].tolist()]


def mask_bits(mask: np.ndarray) -> str:
    """Row `mask` as base64 of its bits, least significant bit first (row 0 is bit 0 of byte 0)."""
    packed = np.packbits(np.asarray(mask, dtype=bool), bitorder="little")
    return base64.b64encode(packed.tobytes()).decode("ascii")


def result_bounds(frame: gpd.GeoDataFrame, crs: str) -> list[list[float]] | None:
    """[[south, west], [north, east]] of `frame`'s located rows in the basemap `crs`, or None.

    >>> from app.data.atlas import load_atlas
    >>> atlas = load_atlas()
    >>> result_bounds(atlas.projects.iloc[0:0], "wgs84") is None
    True
    """
    geoms = frame.geometry.to_numpy()
    geoms = geoms[~shapely.is_missing(geoms)]
    if not len(geoms):
        return None
    if crs != "wgs84":
        geoms = np.asarray(convert_geometry(geoms, "wgs84", crs), dtype=object)
    box = shapely.bounds(geoms)
    return [[float(np.nanmin(box[:, 1])), float(np.nanmin(box[:, 0]))],
            [float(np.nanmax(box[:, 3])), float(np.nanmax(box[:, 2]))]]


def visible_refs(refs: Sequence[str] | None, atlas: Atlas) -> list[str]:
    """The reference layers to show: `refs`, or the layers' defaults when None."""
    if refs is None:
        return [s.id for s in atlas.reference_layers if s.visible]
    return list(refs)


def map_css() -> str:
    """The atlas map's own style sheet (``static/atlas_map.css``): cards, legend, layer box.

    >>> ".atlas-card{" in map_css()
    True
    """
    return resources.files("app.map").joinpath("static/atlas_map.css").read_text(encoding="utf-8")


def live_assets(draw: bool = False) -> dict[str, Any]:
    """The local URLs of Leaflet and the plugins the live map uses (in load order); with `draw`
    also Leaflet.draw (the planner's map). folium keeps this one job: it knows each plugin's
    files, and :func:`app.map.assets.localize` points them at the copies this server serves.

    >>> assets = live_assets()
    >>> assets["js"][0], any("//" in url for url in assets["js"] + assets["css"])
    ('/app/static/vendor/xstatic-leaflet-1.9.3.0/leaflet.js', False)
    >>> [url.rsplit("/", 1)[1] for url in live_assets(draw=True)["js"] if "draw" in url]
    ['leaflet.draw.js']
    """
    m = folium.Map(tiles=None)
    Fullscreen().add_to(m)
    MeasureControl().add_to(m)
    MiniMap().add_to(m)
    if draw:
        Draw().add_to(m)
    localize(m)
    js: list[str] = []
    css: list[str] = []
    for element in (m, *m._children.values()):
        js += [url for _, url in getattr(element, "default_js", [])]
        css += [url for _, url in getattr(element, "default_css", [])]
    return {"js": list(dict.fromkeys(js)), "css": list(dict.fromkeys(css)), "style": ""}


def geometry_bounds(geometry: BaseGeometry | None, crs: str, pad_m: float = 60.0
                    ) -> list[list[float]] | None:
    """[[south, west], [north, east]] of a WGS-84 `geometry` in the basemap `crs`, widened by
    about `pad_m` metres (a point gets a box to fit); None for no geometry.

    >>> geometry_bounds(shapely.Point(121.4, 31.2), "wgs84", pad_m=0)
    [[31.2, 121.4], [31.2, 121.4]]
    >>> geometry_bounds(None, "gcj02") is None
    True
    """
    if geometry is None or geometry.is_empty:
        return None
    shown = convert_geometry(geometry, "wgs84", crs) if crs != "wgs84" else geometry
    minx, miny, maxx, maxy = shown.bounds
    pad = pad_m / 111_000
    return [[miny - pad, minx - pad], [maxy + pad, maxx + pad]]


def overlay(geometry: BaseGeometry, role: str, crs: str) -> dict[str, Any]:
    """One overlay of the live map: a WGS-84 `geometry` shown in the basemap `crs` in the style
    of its `role` (:data:`OVERLAY_STYLES`: ``old``, the recorded geometry; ``new``, a proposed
    one). Overlays take no click; only coordinates reach the browser.

    >>> overlay(shapely.Point(121.4, 31.2), "new", "wgs84")["geometry"]
    {'type': 'Point', 'coordinates': (121.4, 31.2)}
    >>> overlay(shapely.Point(121.4, 31.2), "other", "wgs84")
    Traceback (most recent call last):
    ...
    KeyError: "unknown overlay role 'other'; use one of old, new"
    """
    if role not in OVERLAY_STYLES:
        raise KeyError(f"unknown overlay role {role!r}; use one of {', '.join(OVERLAY_STYLES)}")
    shown = convert_geometry(geometry, "wgs84", crs) if crs != "wgs84" else geometry
    return {"geometry": mapping(shown), "role": role, "style": dict(OVERLAY_STYLES[role])}


def here_marker(lon: float, lat: float, accuracy: float | None, crs: str) -> dict[str, Any]:
    """The field worker's position (WGS-84) for the live map, in the basemap `crs`, with its
    accuracy circle's radius in metres (None: no circle).

    >>> here_marker(121.4, 31.2, 15, "wgs84")
    {'lat': 31.2, 'lon': 121.4, 'accuracy': 15.0}
    >>> here_marker(121.4, 31.2, None, "gcj02")["accuracy"] is None
    True
    """
    x, y = (lon, lat) if crs == "wgs84" else convert(lon, lat, "wgs84", crs)
    return {"lat": float(y), "lon": float(x),
            "accuracy": float(accuracy) if accuracy else None}


def view_shift(basemap: str) -> list[float]:
    """[dlat, dlon] from WGS-84 to the basemap's CRS at the district's centre: the live map
    turns its view centre back to WGS-84 for the URL with it (the GCJ-02 shift varies by a few
    metres across the district; a view centre needs no better).

    >>> view_shift("osm")
    [0.0, 0.0]
    >>> lat, lon = view_shift("amap")
    >>> -0.01 < lat < 0 < lon < 0.01
    True
    """
    crs = BASEMAPS[basemap]["crs"]
    lat, lon = DISTRICT_CENTRE
    slon, slat = convert(lon, lat, "wgs84", crs)
    return [round(float(slat - lat), 7), round(float(slon - lon), 7)]
