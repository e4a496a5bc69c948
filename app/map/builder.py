"""Map builder: layer specs + (filtered) data -> a folium map. No streamlit here.

Features reach the browser as *data*; tooltips, cards and the legend are built in the browser
by ``app/atlas_map.js`` with ``textContent``, so no register text is ever parsed as HTML or
evaluated as a template, at any size. Styles are per style class (layer, category, approximate
area point, geometry kind), never a per-feature style function.

How a project layer is drawn depends on its size (:func:`project_layers` decides, per layer):

``svg``
    up to :data:`SVG_MAX_FEATURES` features: one L.geoJSON per style class, one SVG path per
    feature with its own tooltip and card (what the shipped register uses);
``canvas``
    more than that: a compact columnar payload per geometry kind for one canvas painter per
    map. Geometry is built in bulk (``shapely.get_coordinates`` and counts; Multi geometries
    and rings with holes split only where present) into one raw-deflated Int32 array of
    vertex steps in 1e-6 degree plus part/ring/vertex counts; property columns are
    dictionary-encoded where values repeat, labelled once per distinct value, and deflated.
    Features are sorted by style class, then along a Z-order curve. The browser inflates the
    geometry natively, draws each style class as one path on one canvas (culled to the view,
    sub-pixel vertices dropped at the zoom shown, features under two pixels drawn as dots),
    decodes the properties on first use and builds a tooltip or card only for the feature
    under the pointer.

A :class:`MapLayer` is plain, immutable data, so the UI can cache it per (data version,
selection, language, basemap CRS) and a filter change rebuilds only the layers whose rows
changed. Panning and zooming never come back to Python.

All of it reaches the page through :class:`_Script`, which branca never compiles as a Jinja
template: register text such as ``{{ 7*7 }}`` stays text (folium elements holding data would
evaluate it on the server).

On the AMap basemap (GCJ-02 tiles) every overlay is shifted WGS-84 -> GCJ-02 here, at the edge;
the data itself stays WGS-84.

>>> BASEMAPS["amap"].crs, BASEMAPS["osm"].crs
('gcj02', 'wgs84')
"""

from __future__ import annotations

import base64
import json
import zlib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from importlib import resources
from typing import Any

import folium
import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from branca.element import Element, MacroElement
from folium.plugins import Fullscreen, MeasureControl, MiniMap
from jinja2 import Template

from app.data.atlas import Atlas
from app.data.layers import LayerSpec, geometry_kind
from app.domain.i18n import field_label, t
from app.geo.crs import convert, convert_geometry

__all__ = ["BASEMAPS", "COORD_SCALE", "SVG_MAX_FEATURES", "STRATEGIES", "Basemap", "MapLayer",
           "build_map", "legend_spec", "project_layer", "project_layers", "project_payload",
           "safe_json"]

DISTRICT_CENTRE = (31.2135, 121.3960)  # lat, lon (WGS-84), roughly the middle of Changning
DISTRICT_ZOOM = 13

#: A project layer with more located features than this is drawn on the canvas (see above).
SVG_MAX_FEATURES = 500

#: How a project layer can be drawn.
STRATEGIES: tuple[str, ...] = ("svg", "canvas")

#: Canvas coordinates travel as integers: degrees times this (1e-6 degree is about 0.1 m).
COORD_SCALE = 1_000_000


@dataclass(frozen=True)
class Basemap:
    """A tile basemap: URL template, attribution, and the CRS its tiles are drawn in."""

    id: str
    url: str | None
    attribution: str
    crs: str  # 'wgs84' or 'gcj02': overlays are shifted into this CRS
    subdomains: str = "abc"
    max_zoom: int = 18
    needs_key: bool = False


BASEMAPS: dict[str, Basemap] = {
    "osm": Basemap("osm", "https://tile.openstreetmap.org/{z}/{x}/{y}.png",
                   "&copy; OpenStreetMap contributors", "wgs84", subdomains="", max_zoom=19),
    "amap": Basemap("amap", "https://webrd0{s}.is.autonavi.com/appmaptile?lang=zh_cn&size=1"
                    "&scale=1&style=8&x={x}&y={y}&z={z}", "&copy; 高德地图 AutoNavi (GCJ-02)",
                    "gcj02", subdomains="1234"),
    "tianditu": Basemap("tianditu", "https://t{s}.tianditu.gov.cn/vec_w/wmts?SERVICE=WMTS"
                        "&REQUEST=GetTile&VERSION=1.0.0&LAYER=vec&STYLE=default&TILEMATRIXSET=w"
                        "&FORMAT=tiles&TILEMATRIX={z}&TILEROW={y}&TILECOL={x}&tk={key}",
                        "&copy; 天地图 Tianditu (CGCS2000)", "wgs84", subdomains="01234567",
                        needs_key=True),
    "none": Basemap("none", None, "", "wgs84"),
}

_CSS = """
/* streamlit-folium puts a spacer after #root that makes the frame scroll on the first click */
body>span{display:none}
.atlas-tip strong{display:block}
.atlas-card{font:13px/1.35 system-ui,"Noto Sans CJK SC",sans-serif;max-height:320px;overflow:auto}
.atlas-card-title{font-weight:600;font-size:15px}
.atlas-card-subtitle{color:#555;margin-bottom:4px}
.atlas-card table{border-collapse:collapse}
.atlas-card th{text-align:left;vertical-align:top;color:#666;font-weight:500;padding:1px 6px 1px 0;white-space:nowrap}
.atlas-card td{padding:1px 0;word-break:break-word}
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
"""


def safe_json(value: Any) -> str:
    """JSON that is safe inside a <script> element (no '<', '>', '&' or line separators).

    >>> safe_json({"a": "</script><b>"})
    '{"a": "\\\\u003c/script\\\\u003e\\\\u003cb\\\\u003e"}'
    >>> safe_json([])
    '[]'
    """
    return _script_safe(json.dumps(value, ensure_ascii=False))


def _script_safe(text: str) -> str:
    """JSON text with the characters that could end a <script> element or a JS line escaped."""
    for char, escape in (("<", "\\u003c"), (">", "\\u003e"), ("&", "\\u0026"),
                         ("\u2028", "\\u2028"), ("\u2029", "\\u2029")):
        if char in text:
            text = text.replace(char, escape)
    return text


class _Raw(Element):
    """Text placed in the figure as it is."""

    def __init__(self, text: str) -> None:
        super().__init__()
        self._text = text

    def render(self, **kwargs: Any) -> str:
        """The text, untouched."""
        return self._text


class _Script(MacroElement):
    """Raw JavaScript placed in the map's own script, in the order it is added.

    streamlit-folium drops <script> elements of the page header, so everything the map needs
    runs from here. ``{map}`` in `code` and `tail` is replaced by the map's JS variable name;
    `data` goes between them as it is (a big payload is never searched for the placeholder).

    branca compiles the output of every element's script macro as a Jinja template when the
    figure renders, so register text such as ``{{ 7*7 }}`` would be evaluated on the server and
    ``{% raw %}`` would break the page. :meth:`render` therefore adds the code to the figure
    as plain text; streamlit-folium reads it through the macro, which does not compile it either.
    All of the atlas's data reaches the map through this element.
    """

    _template = Template("{% macro script(this, kwargs) %}{{ this.code }}{% endmacro %}")

    def __init__(self, code: str, data: str = "", tail: str = "") -> None:
        super().__init__()
        self._name = "AtlasScript"
        self._code = code
        self._data = data
        self._tail = tail

    @property
    def code(self) -> str:
        """The script with the map's variable name filled in."""
        name = self._parent.get_name()
        head = self._code.replace("{map}", name)
        return head + self._data + self._tail.replace("{map}", name) if self._data else head

    def render(self, **kwargs: Any) -> None:
        """Add the code to the figure's script without compiling it as a template."""
        self.get_root().script.add_child(_Raw(self.code), name=self.get_name())


# ------------------------------------------------------------------------------ properties


def _shift(geoms: Any, crs: str) -> Any:
    """Geometries (a GeoSeries or an array) shifted from WGS-84 into the basemap's `crs`."""
    return geoms if crs == "wgs84" else convert_geometry(geoms, "wgs84", crs)


#: Card fields of a project, in card order (the title is the name in the UI language).
_PROJECT_CARD = ("name_other", "layer", "category", "status", "action", "target_year",
                 "subdistrict", "address", "precision", "pos_confidence", "pos_method",
                 "pos_source", "position_note", "report_ref", "description")
#: Every property a project feature carries to the browser.
_PROJECT_FIELDS = ("id", "name", *_PROJECT_CARD)

_Source = tuple[pd.Series, Callable[[Any], Any] | None]


def _sources(atlas: Atlas, frame: pd.DataFrame, lang: str) -> dict[str, _Source]:
    """Per display field: the column it comes from and the label function of its values.

    A label function sees each distinct value once (see :func:`_labelled`); a key made of two
    columns joined by a unit separator carries what labels of two fields need.
    """
    vocab = atlas.vocab
    titles = {s.id: s.title(lang) for s in atlas.specs}
    sep = "\x1f"

    def category(key: str) -> str:
        layer, _, value = key.partition(sep)
        return atlas.spec(layer).legend_label(value, lang) if layer in titles else value

    def action(key: str) -> str:
        value, _, english = key.partition(sep)
        return f"{value} ({english})" if english else value

    en = lang == "en"
    return {
        "id": (frame["id"], None),
        "name": (frame["name_en" if en else "name_zh"], None),
        "name_other": (frame["name_zh" if en else "name_en"], None),
        "name_zh": (frame["name_zh"], None),
        "name_en": (frame["name_en"], None),
        "layer": (frame["layer"], lambda v: titles.get(v, v)),
        "category": (frame["layer"].astype(str) + sep + frame["category"].astype(str), category),
        "status": (frame["status"], lambda v: vocab.status_label(v, lang)),
        "action": ((frame["action"].astype(str) + sep + frame["action_en"].fillna("").astype(str),
                    action) if en else (frame["action"], None)),
        "target_year": (frame["target_year"], None),
        "subdistrict": (frame["subdistrict"], lambda v: t("unknown", lang) if v == "unknown" else v),
        "address": (frame["address"], None),
        "precision": (frame["precision"], lambda v: vocab.label("precision", v, lang)),
        "pos_confidence": (frame["pos_confidence"], lambda v: vocab.label("confidence", v, lang)),
        "pos_method": (frame["pos_method"], None),
        "pos_source": (frame["pos_source"], None),
        "position_note": (frame["position_note"], None),
        "report_ref": (frame["report_ref"], None),
        "description": (frame["description"], None),
    }


def _labelled(source: _Source) -> tuple[np.ndarray, np.ndarray]:
    """(codes, labels) of a column: code -1 is a missing value; labels (an object array) are
    plain JSON values, the label function run once per distinct value."""
    values, label = source
    codes, uniques = pd.factorize(values, use_na_sentinel=True)
    plain = uniques.tolist()  # Python scalars, except from object columns of numpy values
    if pd.api.types.is_object_dtype(getattr(uniques, "dtype", None)):
        plain = [_plain(u) for u in plain]
    out = np.empty(len(plain), dtype=object)
    out[:] = plain if label is None else [label(u) for u in plain]
    return codes, out


def _take(codes: np.ndarray, labels: np.ndarray) -> np.ndarray:
    """Per-row values (None where missing), in time proportional to the rows only."""
    if len(labels) == 0:
        return np.full(len(codes), None, dtype=object)
    return np.where(codes >= 0, labels[codes], None)


def _plain(value: Any) -> Any:
    """A value as plain JSON data (numpy scalars unwrapped, NaN as None)."""
    if hasattr(value, "item"):
        value = value.item()
    if isinstance(value, float) and value != value:
        return None
    return value


def _values(source: _Source) -> np.ndarray:
    """Per-row display values of a column (object array, None for missing)."""
    return _take(*_labelled(source))


def project_payload(frame: gpd.GeoDataFrame, atlas: Atlas, lang: str, crs: str = "wgs84"
                    ) -> gpd.GeoDataFrame:
    """Located rows of `frame` with display-ready, language-specific label columns, in the
    basemap's `crs` ('wgs84' or 'gcj02'). Labels are looked up once per distinct value.

    >>> from app.data.atlas import load_atlas
    >>> atlas = load_atlas()
    >>> out = project_payload(atlas.projects, atlas, "en")
    >>> len(out) == int(atlas.projects.geometry.notna().sum()), out["status"].iloc[0] in (
    ...     "Planning", "Preparation", "Under construction", "Operating, being improved",
    ...     "Ongoing programme")
    (True, True)
    >>> len(project_payload(atlas.projects.iloc[0:0], atlas, "zh"))
    0
    """
    located = frame[frame.geometry.notna() & ~frame.geometry.is_empty]
    sources = _sources(atlas, located, lang)
    columns = {name: _values(sources[name]) for name in _PROJECT_FIELDS[:2]}
    columns.update({name: _values(sources[name]) for name in ("name_other", "name_zh", "name_en")})
    columns.update({name: _values(sources[name]) for name in _PROJECT_CARD[1:]})
    is_point = shapely.get_type_id(located.geometry.to_numpy()) == 0
    columns.update({
        "_layer": located["layer"].to_numpy(dtype=object),
        "_category": located["category"].to_numpy(dtype=object),
        "_area": (located["precision"].to_numpy(dtype=object) == "area") & is_point,
    })
    return gpd.GeoDataFrame(columns, index=located.index, geometry=_shift(located.geometry, crs),
                            crs="EPSG:4326")


# ------------------------------------------------------------------------------ styles


def _card_config(fields: Sequence[str], lang: str, title: str, subtitle: str | None
                 ) -> dict[str, Any]:
    return {"title": title, "subtitle": subtitle, "tooltip": [],
            "card": [[f, field_label(f, lang)] for f in fields]}


def _style(base: Mapping[str, Any], colour: str, *, area_point: bool, kind: str) -> dict[str, Any]:
    style = {k: v for k, v in base.items() if k != "radius"}
    style.update(color=colour, fillColor=colour, fill=kind != "line")
    if kind == "polygon":
        style.setdefault("fillOpacity", 0.2)
    if area_point:  # an approximate position: hollow, dashed
        style.update(fillOpacity=0.08, dashArray="4 4")
    elif kind == "point":
        style["fillOpacity"] = 0.85
    return style


# shapely type id -> geometry kind (GeometryCollections stay on the SVG path)
_KIND_OF_TYPE = np.array(["point", "line", "line", "polygon", "point", "line", "polygon", "other"],
                         dtype=object)


# ------------------------------------------------------------------------------ layers


@dataclass(frozen=True)
class MapLayer:
    """One project layer made ready for the map; plain immutable data, safe to cache.

    `strategy` is 'svg' or 'canvas' (:data:`STRATEGIES`); `count` the features drawn; `parts`
    the script text of each part -- for 'svg' the arguments drawing one style class
    (FeatureCollection, style, point radius), for 'canvas' the columnar payload of one geometry
    kind; `config` the tooltip/card configuration as JSON text.

    >>> MapLayer("renewal", "svg", 0, (), "{}").size
    0
    >>> MapLayer("renewal", "webgl", 0, (), "{}")
    Traceback (most recent call last):
    ...
    ValueError: strategy must be one of svg, canvas, got 'webgl'
    """

    layer: str
    strategy: str
    count: int
    parts: tuple[str, ...]
    config: str

    def __post_init__(self) -> None:
        if self.strategy not in STRATEGIES:
            raise ValueError(f"strategy must be one of {', '.join(STRATEGIES)}, got {self.strategy!r}")
        if self.count < 0:
            raise ValueError(f"count must be >= 0, got {self.count!r}")

    @property
    def size(self) -> int:
        """Characters of script text this layer sends."""
        return sum(len(p) for p in self.parts) + len(self.config) * len(self.parts)


def _project_config(lang: str) -> dict[str, Any]:
    cfg = _card_config(_PROJECT_CARD, lang, "name", None)
    cfg["tooltip"] = ["name", "status"]
    return cfg


def _used(codes: np.ndarray, size: int) -> tuple[np.ndarray, np.ndarray]:
    """(used codes, each row's index among them) -- code -1 (missing) first when present --
    by counting, in time linear in rows and labels (no sort)."""
    present = np.zeros(size + 1, dtype=bool)
    present[codes + 1] = True
    used = np.flatnonzero(present) - 1
    return used, (np.cumsum(present) - 1)[codes + 1]


def _tokens(codes: np.ndarray, labels: np.ndarray) -> np.ndarray:
    """The JSON text of each row's value (null where missing): every label these rows use
    encoded once (text in bulk: one escape pass over the labels joined), taken by code."""
    used, inverse = _used(codes, len(labels))
    values = _take(used, labels)
    table = np.empty(len(used), dtype=object)
    text = np.array([type(v) is str for v in values], dtype=bool)
    escaped = _escaped_texts(values[text].tolist())
    table[text] = escaped if escaped is not None else [json.dumps(v, ensure_ascii=False)
                                                       for v in values[text]]
    table[~text] = [json.dumps(v, ensure_ascii=False) for v in values[~text]]
    return table[inverse]


def _escaped_texts(texts: list[str]) -> list[str] | None:
    """JSON strings of `texts` (as json.dumps with ensure_ascii=False writes them), escaped in
    one pass over their NUL-joined text; None when a text holds NUL or a literal \\u0000."""
    joined = "\x00".join(texts)
    if joined.count("\x00") != max(0, len(texts) - 1) or "\\u0000" in joined:
        return None
    if not texts:
        return []
    inner = json.dumps(joined, ensure_ascii=False)[1:-1].split("\\u0000")
    return ['"' + t + '"' for t in inner]


_Columns = Mapping[str, tuple[np.ndarray, np.ndarray]]


def _features(geoms: np.ndarray, columns: _Columns,
              groups: Sequence[np.ndarray] | None = None) -> list[str]:
    """FeatureCollections as script-safe JSON text -- feature id = the ``id`` column, properties
    = `columns` ((codes, labels) each, see :func:`_labelled`) -- one of all rows, or one per
    array of row positions in `groups`. Built in bulk: geometries by shapely, each distinct
    property value encoded once, every collection joined once."""
    n = len(geoms)
    groups = [np.arange(n)] if groups is None else groups
    if n == 0:
        return ['{"type":"FeatureCollection","features":[]}' for _ in groups]
    rounded = shapely.transform(geoms, lambda xy: xy.round(6))
    pieces = np.empty((n, 5 + 2 * len(columns)), dtype=object)
    pieces[:, 0] = ',{"type":"Feature","id":'
    pieces[:, 1] = _tokens(*columns["id"])
    pieces[:, 2] = ',"geometry":'
    pieces[:, 3] = shapely.to_geojson(rounded)
    for i, (name, (codes, labels)) in enumerate(columns.items()):
        pieces[:, 4 + 2 * i] = (',"properties":{' if i == 0 else ",") + json.dumps(name) + ":"
        pieces[:, 5 + 2 * i] = _tokens(codes, labels)
    pieces[:, -1] = "}}"
    return [_script_safe('{"type":"FeatureCollection","features":['
                         + "".join(pieces[rows].ravel().tolist())[1:] + "]}") for rows in groups]


def _geojson_args(style: Mapping[str, Any], data: str, radius: float | None) -> str:
    """Arguments of atlasMap.geojson after the map: data, style, point radius."""
    return f"{data}, {safe_json(style)}, {safe_json(radius)}"


def _svg_parts(spec: LayerSpec, geoms: np.ndarray, category: np.ndarray, area: np.ndarray,
               columns: _Columns) -> tuple[str, ...]:
    """Per style class of a small layer (sorted by category, area point, kind), the arguments
    that draw it as SVG paths."""
    if len(geoms) == 0:
        return ()
    kinds = _KIND_OF_TYPE[shapely.get_type_id(geoms)]
    kinds = np.where(kinds == "other", "polygon", kinds)
    # classes in (category, area point, kind) order: a key made of sorted codes sorts alike
    category_codes, categories = pd.factorize(category, sort=True, use_na_sentinel=False)
    kind_codes, kind_names = pd.factorize(kinds, sort=True)
    key = (category_codes * 2 + area.astype(np.int64)) * len(kind_names) + kind_codes
    keys, codes = np.unique(key, return_inverse=True)
    groups = [np.flatnonzero(codes == i) for i in range(len(keys))]
    classes = [(categories[k // len(kind_names) // 2], bool(k // len(kind_names) % 2),
                kind_names[k % len(kind_names)]) for k in keys.tolist()]
    parts = []
    for (value, is_area, kind), text in zip(classes, _features(geoms, columns, groups), strict=True):
        style = _style(spec.style, spec.colour_for(value), area_point=bool(is_area), kind=kind)
        style["className"] = f"atlas-feature atlas-project atlas-layer-{spec.id}"
        radius = spec.style.get("radius", 7) if kind == "point" else None
        parts.append(_geojson_args(style, text, radius))
    return tuple(parts)


def _packed(values: np.ndarray, signed: bool = False) -> dict[str, str]:
    """Integers as {t: type, b: base64 little-endian}: Int32 when `signed`, otherwise the
    narrowest unsigned type that holds them."""
    values = np.asarray(values)
    if signed:
        code = "i4"
    else:
        high = int(values.max()) if values.size else 0
        code = "u1" if high < 2 ** 8 else "u2" if high < 2 ** 16 else "u4"
    dtype = {"u1": "<u1", "u2": "<u2", "u4": "<u4", "i4": "<i4"}[code]
    return {"t": code, "b": base64.b64encode(values.astype(dtype).tobytes()).decode("ascii")}


def _geometry_arrays(geoms: np.ndarray, kind: str) -> tuple[np.ndarray, list[np.ndarray | None]]:
    """(coordinates, counts from features inwards) of geometries all of one `kind`.

    Points: points per feature. Lines: lines per feature, vertices per line. Polygons: polygons
    per feature, rings per polygon, vertices per ring without the closing one. A count level
    where every item has one is None. Only Multi geometries are split and only polygons with
    holes are taken apart into rings (both copy geometries in GEOS); coordinates come in one
    call either way, in the same order.
    """
    n = len(geoms)
    multi = np.isin(shapely.get_type_id(geoms), (4, 5, 6))
    per_feature = np.ones(n, dtype=np.int64)
    if multi.any():
        per_feature[multi] = shapely.get_num_geometries(geoms[multi])
        parts = np.empty(int(per_feature.sum()), dtype=object)
        first = np.cumsum(per_feature) - per_feature
        parts[first[~multi]] = geoms[~multi]
        inner = shapely.get_parts(geoms[multi])
        offset = np.arange(len(inner)) - np.repeat(np.cumsum(per_feature[multi]) - per_feature[multi],
                                                   per_feature[multi])
        parts[np.repeat(first[multi], per_feature[multi]) + offset] = inner
    else:
        parts = geoms
    counts: list[np.ndarray | None] = [per_feature if multi.any() else None]
    coords = shapely.get_coordinates(parts)
    if kind == "point":
        return coords, counts
    if kind == "line":
        return coords, [*counts, shapely.get_num_coordinates(parts)]
    holes = shapely.get_num_interior_rings(parts)
    per_polygon = holes + 1
    per_ring = np.empty(int(per_polygon.sum()), dtype=np.int64)
    first_ring = np.cumsum(per_polygon) - per_polygon
    plain = holes == 0
    per_ring[first_ring[plain]] = shapely.get_num_coordinates(parts[plain])
    if not plain.all():
        rings = shapely.get_rings(parts[~plain])
        per_ring[np.repeat(first_ring[~plain], per_polygon[~plain])
                 + np.arange(len(rings)) - np.repeat(np.cumsum(per_polygon[~plain])
                                                     - per_polygon[~plain], per_polygon[~plain])
                 ] = shapely.get_num_coordinates(rings)
    keep = np.ones(len(coords), dtype=bool)
    keep[np.cumsum(per_ring) - 1] = False  # the closing vertex repeats the first
    return coords[keep], [*counts, None if plain.all() else per_polygon, per_ring - 1]


def _column_payload(codes: np.ndarray, labels: np.ndarray) -> list[Any] | dict[str, Any]:
    """One property column for the canvas: {v: [None, *values], c: codes + 1} when values
    repeat (only the values these rows use), otherwise the plain array (None for missing)."""
    used, inverse = _used(codes, len(labels))
    if len(used) > max(1, len(codes) // 2):
        return _take(codes, labels).tolist()
    if len(used) and used[0] == -1:  # missing values already map to values[0]
        return {"v": _take(used, labels).tolist(), "c": _packed(inverse)}
    return {"v": [None, *_take(used, labels).tolist()], "c": _packed(inverse + 1)}


def _deflated(data: bytes) -> str:
    """`data` compressed as raw deflate (level 1: fast), base64 -- the browser inflates it with
    its native DecompressionStream."""
    packer = zlib.compressobj(1, zlib.DEFLATED, -15)
    return base64.b64encode(packer.compress(data) + packer.flush()).decode("ascii")


def _morton(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Z-order (Morton) codes of points on a 65536 x 65536 grid over their bounding box:
    sorting by them keeps neighbours together (smaller deltas, better compression)."""
    if len(x) == 0:
        return np.zeros(0, dtype=np.uint64)
    grid = []
    for values in (x, y):
        low, span = values.min(), np.ptp(values) or 1.0
        cells = ((values - low) / span * 65535).astype(np.uint64)
        for shift, mask in ((8, 0x00FF00FF), (4, 0x0F0F0F0F), (2, 0x33333333), (1, 0x55555555)):
            cells = (cells | (cells << np.uint64(shift))) & np.uint64(mask)
        grid.append(cells)
    return grid[0] | (grid[1] << np.uint64(1))


def _canvas_parts(spec: LayerSpec, geoms: np.ndarray, category: np.ndarray, area: np.ndarray,
                  columns: _Columns) -> tuple[str, ...]:
    """The canvas payload text of each geometry kind of a big layer (polygons, lines, points:
    the draw order). Features are sorted by style class (category in legend order, then area
    point) and, within a class, along a Z-order curve.

    Geometry travels as one deflated Int32 array: the vertex coordinates (x, y interleaved,
    each the difference from the previous vertex's, in 1/:data:`COORD_SCALE` degree), then the
    count levels that are not all ones; ``sizes`` gives the length of each part. Properties
    travel as deflated JSON of the columns (see :func:`_column_payload`).
    """
    kinds = _KIND_OF_TYPE[shapely.get_type_id(geoms)]
    legend = {value: i for i, value in enumerate(spec.legend_values())}
    rank = pd.Series(category).map(legend).fillna(len(legend)).to_numpy(dtype=np.int64)
    key = rank * 2 + area.astype(np.int64)
    corner = shapely.bounds(geoms)
    texts = []
    for kind in ("polygon", "line", "point"):
        index = np.flatnonzero(kinds == kind)
        if not len(index):
            continue
        order = index[np.lexsort((_morton(corner[index, 0], corner[index, 1]), key[index]))]
        starts = np.flatnonzero(np.diff(key[order], prepend=-1))
        counts = np.diff(np.append(starts, len(order)))
        classes = []
        for start, count in zip(starts.tolist(), counts.tolist(), strict=True):
            first = order[start]
            style = _style(spec.style, spec.colour_for(category[first]),
                           area_point=bool(area[first]), kind=kind)
            classes.append({"style": style, "n": count})
        coords, levels = _geometry_arrays(geoms[order], kind)
        xy = np.round(coords * COORD_SCALE).astype(np.int64)
        steps = np.diff(xy, axis=0, prepend=np.zeros((1, 2), dtype=np.int64)).ravel()
        blocks = [steps, *(c for c in levels if c is not None)]
        geometry = np.concatenate(blocks).astype("<i4").tobytes()
        cols = {name: _column_payload(codes[order], labels) for name, (codes, labels) in columns.items()}
        payload = {
            "kind": kind, "n": len(order), "scale": COORD_SCALE, "classes": classes,
            "radius": spec.style.get("radius", 7),
            "levels": [c is not None for c in levels], "sizes": [len(b) for b in blocks],
            "geometry": _deflated(geometry),
            "columns": _deflated(json.dumps(cols, ensure_ascii=False).encode("utf-8")),
        }
        texts.append(safe_json(payload))
    return tuple(texts)


#: Columns of the projects frame a project layer reads.
_LAYER_COLUMNS = ("id", "name_zh", "name_en", "layer", "category", "status", "action", "action_en",
                  "target_year", "subdistrict", "address", "precision", "pos_confidence",
                  "pos_method", "pos_source", "position_note", "report_ref", "description")
#: Properties of an SVG-drawn project (the canvas sends only :data:`_PROJECT_FIELDS`).
_SVG_FIELDS = ("id", "name", "name_other", "name_zh", "name_en", *_PROJECT_CARD[1:])


def project_layers(atlas: Atlas, frame: gpd.GeoDataFrame, lang: str = "zh", crs: str = "wgs84",
                   *, only: Sequence[str] | None = None,
                   svg_max: int = SVG_MAX_FEATURES) -> dict[str, MapLayer]:
    """The project layers of `frame`'s located rows (all, or those named in `only`), by layer
    id, ready for :func:`build_map`.

    Each is drawn as SVG paths up to `svg_max` features and on the canvas beyond (module doc).
    `crs` is the basemap's ('wgs84' or 'gcj02'). Columns are factorised and labelled once for
    all the layers asked for. Pure: equal arguments give equal layers, so the UI may cache them.

    >>> from app.data.atlas import load_atlas
    >>> atlas = load_atlas()
    >>> layers = project_layers(atlas, atlas.projects)
    >>> located = atlas.projects[atlas.projects.geometry.notna()]
    >>> sum(layer.count for layer in layers.values()) == len(located)
    True
    >>> {layer.strategy for layer in layers.values()}
    {'svg'}
    >>> project_layers(atlas, atlas.projects, only=["public_space"], svg_max=0)["public_space"].strategy
    'canvas'
    >>> project_layers(atlas, atlas.projects.iloc[0:0], only=["renewal"])["renewal"].count
    0
    """
    specs = [s for s in atlas.project_layers if only is None or s.id in only]
    config = safe_json(_project_config(lang))
    geoms = frame.geometry.to_numpy()
    located = ~shapely.is_missing(geoms)
    located[located] = ~shapely.is_empty(geoms[located])
    members = {s.id: np.flatnonzero((frame["layer"] == s.id).to_numpy(dtype=bool) & located)
               for s in specs}
    out = {s.id: MapLayer(s.id, "svg", 0, (), config) for s in specs if not len(members[s.id])}
    if len(out) == len(specs):
        return out
    # factorise each column once over the whole frame (no copy of its text columns)
    sources = _sources(atlas, frame, lang)
    columns = {name: _labelled(sources[name]) for name in _SVG_FIELDS}
    category_codes, categories = pd.factorize(frame["category"], use_na_sentinel=True)
    categories = np.append(np.asarray(categories, dtype=object), None)  # code -1: None
    types = np.full(len(frame), -1, dtype=np.int64)
    types[located] = shapely.get_type_id(geoms[located])
    area = frame["precision"].eq("area").to_numpy(dtype=bool, na_value=False) & (types == 0)
    for spec in specs:
        index = members[spec.id]
        if not len(index):
            continue
        svg = len(index) <= svg_max or bool((types[index] == 7).any())
        fields = _SVG_FIELDS if svg else _PROJECT_FIELDS
        cols = {name: (columns[name][0][index], columns[name][1]) for name in fields}
        shifted = np.asarray(_shift(geoms[index], crs), dtype=object)
        build = _svg_parts if svg else _canvas_parts
        parts = build(spec, shifted, categories[category_codes[index]], area[index], cols)
        out[spec.id] = MapLayer(spec.id, "svg" if svg else "canvas", len(index), parts, config)
    return {s.id: out[s.id] for s in specs}


def project_layer(atlas: Atlas, spec: LayerSpec, frame: gpd.GeoDataFrame, lang: str = "zh",
                  crs: str = "wgs84", *, svg_max: int = SVG_MAX_FEATURES) -> MapLayer:
    """One project layer of `frame` (:func:`project_layers` with ``only=[spec.id]``).

    >>> from app.data.atlas import load_atlas
    >>> atlas = load_atlas()
    >>> project_layer(atlas, atlas.spec("public_space"), atlas.projects).strategy
    'svg'
    """
    return project_layers(atlas, frame, lang, crs, only=[spec.id], svg_max=svg_max)[spec.id]


def _add_project_layer(m: folium.Map, layer: MapLayer) -> None:
    call = ("window.atlasMap.canvas({map}).add(" if layer.strategy == "canvas"
            else "window.atlasMap.geojson({map}, ")
    for text in layer.parts:
        m.add_child(_Script(call, text, f", {layer.config});"))


def _add_reference_layer(m: folium.Map, atlas: Atlas, spec: LayerSpec, lang: str, crs: str,
                         below: bool = False) -> None:
    frame = atlas.reference_frame(spec)
    if frame.empty:
        return
    frame = frame.assign(
        name=frame["name_en" if lang == "en" else "name_zh"],
        name_other=frame["name_zh" if lang == "en" else "name_en"],
        confidence=frame["confidence"].map(lambda v: atlas.vocab.label("confidence", v, lang)),
        geometry=_shift(frame.geometry, crs),
    )
    fields = [f for f in ("line", "source", "method", "confidence", "note") if f in spec.card]
    cfg = _card_config(fields, lang, "name", "name_other")
    cfg["tooltip"] = ["name"]
    key = spec.legend_field if spec.legend_field in frame else None
    parts = frame.groupby(key) if key else [(None, frame)]
    config = safe_json(cfg)
    for value, part in parts:
        kind = geometry_kind(part.geometry.iloc[0].geom_type)
        style = _style(spec.style, spec.colour_for(value), area_point=False, kind=kind)
        style.update({k: v for k, v in spec.style.items() if k in ("fillOpacity", "dashArray")})
        # 'atlas-below': drawn under the projects; the canvas painter takes pointer events on it
        style["className"] = (f"atlas-feature atlas-reference atlas-layer-{spec.id}"
                              + (" atlas-below" if below else ""))
        if kind == "point":
            style["color"] = "#333333"
        columns = {name: _labelled((part[name], None)) for name in ["id", "name", "name_other", *fields]}
        data = _features(part.geometry.to_numpy(), columns)[0]
        radius = spec.style.get("radius", 5) if kind == "point" else None
        m.add_child(_Script("window.atlasMap.geojson({map}, ", _geojson_args(style, data, radius),
                            f", {config});"))


def legend_spec(atlas: Atlas, frame: pd.DataFrame, visible_refs: Sequence[str], lang: str
                ) -> dict[str, Any]:
    """Legend groups for the visible layers: project categories present (with counts), then
    the visible reference layers. Plain data; the browser renders it as text."""
    geoms = frame.geometry.to_numpy()
    located = np.flatnonzero(~shapely.is_missing(geoms))
    layers = frame["layer"].to_numpy(dtype=object)[located]
    pairs = pd.DataFrame({"layer": layers, "category": frame["category"].to_numpy(dtype=object)[located]})
    counts = pairs.value_counts().to_dict()  # (layer, category) -> count, no copy of the frame
    first = dict(zip(layers[::-1].tolist(), located[::-1].tolist(), strict=True))  # first row per layer
    groups = []
    for spec in atlas.project_layers:
        if spec.id not in first:
            continue
        kind = geometry_kind(geoms[first[spec.id]].geom_type)
        entries = [{"label": e.zh if lang == "zh" else e.en, "color": e.color, "fill": e.color,
                    "shape": kind, "count": int(counts[(spec.id, e.value)])}
                   for e in spec.legend if (spec.id, e.value) in counts]
        groups.append({"title": spec.title(lang), "entries": entries})
    refs = []
    for spec in atlas.reference_layers:
        if spec.id not in visible_refs:
            continue
        kind = spec.geometry[0]
        if spec.legend:
            present = {str(v) for v in atlas.reference_frame(spec)[spec.legend_field]}
            refs += [{"label": e.zh if lang == "zh" else e.en, "color": e.color, "fill": e.color,
                      "shape": kind, "count": None} for e in spec.legend if e.value in present]
        else:
            refs.append({"label": spec.title(lang), "color": spec.style["color"],
                         "fill": "transparent" if kind != "line" else spec.style["color"],
                         "shape": kind, "count": None})
    if refs:
        groups.append({"title": t("reference_layers", lang), "entries": refs})
    return {"title": t("legend", lang), "groups": groups}


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


def _fit(bounds: Sequence[Sequence[float]], max_zoom: int | None = None) -> _Script:
    """Fit the view to `bounds` ((south, west), (north, east)) at once, without the pan
    animation (whose end would redraw every layer a second time right after loading)."""
    options = {"animate": False, **({"maxZoom": max_zoom} if max_zoom is not None else {})}
    box = [[float(v) for v in corner] for corner in bounds]
    return _Script(f"{{map}}.fitBounds({safe_json(box)}, {safe_json(options)});")


def build_map(atlas: Atlas, frame: gpd.GeoDataFrame, *, lang: str = "zh", basemap: str = "osm",
              visible_refs: Sequence[str] = (), focus: str | None = None,
              centre: tuple[float, float] | None = None, zoom: int | None = None,
              tianditu_key: str | None = None, height: int = 600,
              here: tuple[float, float, float | None] | None = None,
              layers: Mapping[str, MapLayer] | None = None,
              svg_max: int = SVG_MAX_FEATURES) -> folium.Map:
    """The folium map of `frame` (already filtered) with the chosen reference layers.

    `basemap` is a key of BASEMAPS; 'tianditu' without a key raises ValueError (the UI falls back
    and says so). Only located projects are drawn. `here` = (lon, lat, accuracy in metres or
    None), WGS-84: the field worker's position, drawn with its accuracy circle.

    `layers` are prebuilt project layers by layer id (:func:`project_layers` of the same rows,
    language and basemap CRS, e.g. from a cache); the others are built here, drawn as SVG up to
    `svg_max` features and on the canvas beyond.
    """
    base = BASEMAPS[basemap]
    if base.needs_key and not tianditu_key:
        raise ValueError("the Tianditu basemap needs a key (TIANDITU_KEY)")
    location, zoom_level, bounds = _view(frame, focus, centre, zoom, base.crs)
    m = folium.Map(location=location, zoom_start=zoom_level, tiles=None, control_scale=True,
                   min_zoom=9, max_zoom=base.max_zoom, height=height)
    if base.url:
        url = base.url.replace("{key}", tianditu_key or "")
        tiles = folium.TileLayer(tiles=url, attr=base.attribution, name=base.id,
                                 max_zoom=base.max_zoom, subdomains=base.subdomains or "abc")
        tiles.add_to(m)
        if base.id == "tianditu":
            folium.TileLayer(tiles=url.replace("vec_w", "cva_w").replace("LAYER=vec", "LAYER=cva"),
                             attr=base.attribution, name="tianditu-labels", overlay=True,
                             max_zoom=base.max_zoom, subdomains=base.subdomains).add_to(m)
        MiniMap(tile_layer=folium.TileLayer(tiles=url, attr=base.attribution,
                                            subdomains=base.subdomains or "abc"),
                toggle_display=False, position="bottomleft").add_to(m)
    m.get_root().header.add_child(Element(f"<style>{_CSS}</style>"))
    m.add_child(_Script(resources.files("app.map").joinpath("static/atlas_map.js").read_text(encoding="utf-8")))
    for spec in atlas.reference_layers:
        if spec.id in visible_refs and spec.id == "district_boundary":
            _add_reference_layer(m, atlas, spec, lang, base.crs, below=True)
    given = dict(layers or {})
    missing = [s.id for s in atlas.project_layers if s.id not in given]
    if missing:
        given.update(project_layers(atlas, frame, lang, base.crs, only=missing, svg_max=svg_max))
    for spec in atlas.project_layers:
        _add_project_layer(m, given[spec.id])
    for spec in atlas.reference_layers:
        if spec.id in visible_refs and spec.id != "district_boundary":
            _add_reference_layer(m, atlas, spec, lang, base.crs)
    if here is not None:
        lon, lat = convert(here[0], here[1], "wgs84", base.crs)
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
    m.add_child(_Script(f"window.atlasMap.legend({{map}}, {safe_json(legend)});"))
    if bounds == "district":
        district = atlas.places["district-changning"].geometry
        minx, miny, maxx, maxy = convert_geometry(district, "wgs84", base.crs).bounds
        m.add_child(_fit([(miny, minx), (maxy, maxx)]))
    elif bounds is not None:
        m.add_child(_fit(bounds, max_zoom=17))
    if focus is not None:
        m.add_child(_Script(
            f"setTimeout(function(){{window.atlasMap.openPopup({{map}}, {safe_json(focus)});}}, 300);"))
    return m
