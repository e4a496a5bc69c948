"""Map builder: layer specs + (filtered) data -> a folium map. No streamlit here.

Features reach the browser as GeoJSON *data*; tooltips, cards and the legend are built in the
browser by ``app/atlas_map.js`` with ``textContent``, so no register text is ever parsed as HTML
or evaluated as a template. One folium GeoJson layer is made per style class (layer, category,
precision kind), never a per-feature style function.

On the AMap basemap (GCJ-02 tiles) every overlay is shifted WGS-84 -> GCJ-02 here, at the edge;
the data itself stays WGS-84.

>>> BASEMAPS["amap"].crs, BASEMAPS["osm"].crs
('gcj02', 'wgs84')
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from importlib import resources
from typing import Any

import folium
import geopandas as gpd
import pandas as pd
import shapely
from branca.element import Element, MacroElement
from folium.plugins import Fullscreen, MeasureControl, MiniMap
from folium.utilities import JsCode
from jinja2 import Template

from app.atlas import Atlas
from app.crs import convert, convert_geometry
from app.i18n import field_label, t
from app.layers import LayerSpec

__all__ = ["BASEMAPS", "Basemap", "build_map", "legend_spec", "project_payload", "safe_json"]

DISTRICT_CENTRE = (31.2135, 121.3960)  # lat, lon (WGS-84), roughly the middle of Changning
DISTRICT_ZOOM = 13


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
@media (max-width:600px){.atlas-legend{max-height:30vh;font-size:11px}.leaflet-control-minimap{display:none}}
"""


def safe_json(value: Any) -> str:
    """JSON that is safe inside a <script> element (no '<', '>', '&' or line separators).

    >>> safe_json({"a": "</script><b>"})
    '{"a": "\\\\u003c/script\\\\u003e\\\\u003cb\\\\u003e"}'
    """
    text = json.dumps(value, ensure_ascii=False)
    for char, escape in (("<", "\\u003c"), (">", "\\u003e"), ("&", "\\u0026"),
                         ("\u2028", "\\u2028"), ("\u2029", "\\u2029")):
        text = text.replace(char, escape)
    return text


class _Script(MacroElement):
    """Raw JavaScript placed in the map's own script, in the order it is added.

    streamlit-folium drops <script> elements of the page header, so everything the map needs
    runs from here. ``{map}`` in the code is replaced by the map's JS variable name.
    """

    _template = Template("{% macro script(this, kwargs) %}{{ this.code }}{% endmacro %}")

    def __init__(self, code: str) -> None:
        super().__init__()
        self._name = "AtlasScript"
        self._code = code

    @property
    def code(self) -> str:
        """The script with the map's variable name filled in."""
        return self._code.replace("{map}", self._parent.get_name())


def _js_value(value: Any) -> Any:
    if value is None or value is pd.NA:
        return None
    if isinstance(value, float) and value != value:
        return None
    if hasattr(value, "item"):
        return value.item()
    if isinstance(value, list | tuple):
        return [str(v) for v in value]
    return value


def _shift(geoms: gpd.GeoSeries, crs: str) -> gpd.GeoSeries:
    return geoms if crs == "wgs84" else convert_geometry(geoms, "wgs84", crs)


def project_payload(frame: gpd.GeoDataFrame, atlas: Atlas, lang: str, crs: str = "wgs84"
                    ) -> gpd.GeoDataFrame:
    """Located rows of `frame` with display-ready, language-specific label columns."""
    located = frame[frame.geometry.notna() & ~frame.geometry.is_empty]
    vocab = atlas.vocab
    out = gpd.GeoDataFrame({
        "id": located["id"],
        "name": located["name_en" if lang == "en" else "name_zh"],
        "name_other": located["name_zh" if lang == "en" else "name_en"],
        "name_zh": located["name_zh"],
        "name_en": located["name_en"],
        "layer": located["layer"].map(lambda v: atlas.spec(v).title(lang)),
        "category": [atlas.spec(layer).legend_label(cat, lang)
                     for layer, cat in zip(located["layer"], located["category"], strict=True)],
        "status": located["status"].map(lambda v: vocab.status_label(v, lang)),
        "action": [f"{a} ({e})" if lang == "en" and e else a
                   for a, e in zip(located["action"], located["action_en"], strict=True)],
        "target_year": located["target_year"],
        "subdistrict": located["subdistrict"].map(lambda v: t("unknown", lang) if v == "unknown" else v),
        "address": located["address"],
        "precision": located["precision"].map(lambda v: vocab.label("precision", v, lang)),
        "pos_confidence": located["pos_confidence"].map(lambda v: vocab.label("confidence", v, lang)),
        "pos_method": located["pos_method"],
        "pos_source": located["pos_source"],
        "position_note": located["position_note"],
        "report_ref": located["report_ref"],
        "description": located["description"],
        "_layer": located["layer"],
        "_category": located["category"],
        "_area": located["precision"].eq("area") & located.geometry.geom_type.eq("Point"),
    }, geometry=_shift(located.geometry, crs), crs="EPSG:4326")
    return out


def _features(frame: gpd.GeoDataFrame, columns: Sequence[str]) -> dict[str, Any]:
    geoms = shapely.to_geojson(shapely.transform(frame.geometry.values, lambda xy: xy.round(6)))
    records = frame[list(columns)].astype(object).to_dict(orient="records")
    features = [{"type": "Feature", "id": rec["id"], "geometry": json.loads(g),
                 "properties": {k: _js_value(v) for k, v in rec.items()}}
                for rec, g in zip(records, geoms, strict=True)]
    return {"type": "FeatureCollection", "features": features}


def _card_config(fields: Sequence[str], lang: str, title: str, subtitle: str | None) -> str:
    cfg = {"title": title, "subtitle": subtitle, "tooltip": [],
           "card": [[f, field_label(f, lang)] for f in fields]}
    return cfg


def _bind(cfg: Mapping[str, Any]) -> JsCode:
    return JsCode(f"window.atlasMap.bind({safe_json(cfg)})")


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


def _kind(geom_type: str) -> str:
    return {"Point": "point", "MultiPoint": "point", "LineString": "line",
            "MultiLineString": "line"}.get(geom_type, "polygon")


_PROJECT_CARD = ("name_other", "layer", "category", "status", "action", "target_year",
                 "subdistrict", "address", "precision", "pos_confidence", "pos_method",
                 "pos_source", "position_note", "report_ref", "description")


def _add_project_layer(m: folium.Map, spec: LayerSpec, rows: gpd.GeoDataFrame, lang: str) -> None:
    cfg = _card_config(_PROJECT_CARD, lang, "name", None)
    cfg["tooltip"] = ["name", "status"]
    group = folium.FeatureGroup(name=spec.title(lang), show=True)
    kinds = rows.geometry.geom_type.map(_kind)
    for (category, area, kind), part in rows.groupby([rows["_category"], rows["_area"], kinds]):
        style = _style(spec.style, spec.colour_for(category), area_point=bool(area), kind=kind)
        style["className"] = f"atlas-feature atlas-project atlas-layer-{spec.id}"
        data = _features(part, ["id", "name", "name_other", "name_zh", "name_en", *_PROJECT_CARD[1:]])
        marker = folium.CircleMarker(radius=spec.style.get("radius", 7)) if kind == "point" else None
        folium.GeoJson(data, style_function=lambda _f, s=style: s, marker=marker,
                       on_each_feature=_bind(cfg), name=spec.id).add_to(group)
    group.add_to(m)


def _add_reference_layer(m: folium.Map, atlas: Atlas, spec: LayerSpec, lang: str, crs: str) -> None:
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
    group = folium.FeatureGroup(name=spec.title(lang), show=True)
    key = spec.legend_field if spec.legend_field in frame else None
    parts = frame.groupby(key) if key else [(None, frame)]
    for value, part in parts:
        kind = _kind(part.geometry.iloc[0].geom_type)
        style = _style(spec.style, spec.colour_for(value), area_point=False, kind=kind)
        style.update({k: v for k, v in spec.style.items() if k in ("fillOpacity", "dashArray")})
        style["className"] = f"atlas-feature atlas-reference atlas-layer-{spec.id}"
        if kind == "point":
            style["color"] = "#333333"
        data = _features(part, ["id", "name", "name_other", *fields])
        marker = folium.CircleMarker(radius=spec.style.get("radius", 5)) if kind == "point" else None
        folium.GeoJson(data, style_function=lambda _f, s=style: s, marker=marker,
                       on_each_feature=_bind(cfg), name=spec.id).add_to(group)
    group.add_to(m)


def legend_spec(atlas: Atlas, frame: pd.DataFrame, visible_refs: Sequence[str], lang: str
                ) -> dict[str, Any]:
    """Legend groups for the visible layers: project categories present (with counts), then
    the visible reference layers. Plain data; the browser renders it as text."""
    located = frame[frame.geometry.notna()]
    groups = []
    for spec in atlas.project_layers:
        rows = located[located["layer"] == spec.id]
        if rows.empty:
            continue
        counts = rows["category"].value_counts()
        kind = _kind(rows.geometry.iloc[0].geom_type)
        entries = [{"label": e.zh if lang == "zh" else e.en, "color": e.color, "fill": e.color,
                    "shape": kind, "count": int(counts[e.value])}
                   for e in spec.legend if e.value in counts]
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


def build_map(atlas: Atlas, frame: gpd.GeoDataFrame, *, lang: str = "zh", basemap: str = "osm",
              visible_refs: Sequence[str] = (), focus: str | None = None,
              centre: tuple[float, float] | None = None, zoom: int | None = None,
              tianditu_key: str | None = None, height: int = 600,
              here: tuple[float, float, float | None] | None = None) -> folium.Map:
    """The folium map of `frame` (already filtered) with the chosen reference layers.

    `basemap` is a key of BASEMAPS; 'tianditu' without a key raises ValueError (the UI falls back
    and says so). Only located projects are drawn. `here` = (lon, lat, accuracy in metres or
    None), WGS-84: the field worker's position, drawn with its accuracy circle.
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
    m.add_child(_Script(resources.files("app").joinpath("atlas_map.js").read_text(encoding="utf-8")))
    for spec in atlas.reference_layers:
        if spec.id in visible_refs and spec.id == "district_boundary":
            _add_reference_layer(m, atlas, spec, lang, base.crs)
    payload = project_payload(frame, atlas, lang, base.crs)
    for spec in atlas.project_layers:
        rows = payload[payload["_layer"] == spec.id]
        if not rows.empty:
            _add_project_layer(m, spec, rows, lang)
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
        m.fit_bounds([(miny, minx), (maxy, maxx)])
    elif bounds is not None:
        m.fit_bounds(bounds, max_zoom=17)
    if focus is not None:
        m.add_child(_Script(
            f"setTimeout(function(){{window.atlasMap.openPopup({{map}}, {safe_json(focus)});}}, 300);"))
    return m
