"""What the live map adds for implementation supervision: colour by progress, and the changes
between two days. Plain data for ``static/live_map.js``; no streamlit here.

``tone``
    the map coloured by progress: one code per row of the atlas (0: the layer's own colour;
    ``i + 1``: the colour of :data:`~app.domain.model.PROGRESS` ``[i]``), base64, sent with the
    filter's mask. The base (every feature, built once) stays as it is; the browser restyles the
    features in place (SVG paths and the canvas painter alike).
``compare``
    the changes between two days as an overlay: a symbol per kind of change at the project's
    position (:data:`CHANGE_STYLE`), the old position or outline ghosted (dashed grey), and for a
    move a dashed line from where it was. At most :data:`MAX_COMPARE_FEATURES` changes are drawn;
    the page's table lists them all.

Both come with a legend group (zh/en) and are converted to the basemap's CRS like the base.

>>> import pandas as pd
>>> tone = tone_payload(pd.Series(["done", "target_passed", None]))
>>> tone["colours"][1:3] == [PROGRESS_COLOURS["target_passed"], PROGRESS_COLOURS["due_soon"]]
True
>>> list(base64.b64decode(tone["codes"]))
[5, 1, 0]
"""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Mapping
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from app.domain.i18n import t
from app.domain.model import CHANGE_KINDS, PROGRESS
from app.geo.crs import convert_geometry

__all__ = ["CHANGE_STYLE", "MAX_COMPARE_FEATURES", "PROGRESS_COLOURS", "compare_legend_group",
           "compare_overlay", "progress_legend", "tone_payload"]

#: One colour per progress, the same on the map, in its legend and in the summary's charts:
#: overdue red, due soon orange, on track blue, without target grey, done green.
PROGRESS_COLOURS: dict[str, str] = {
    "target_passed": "#d62728", "due_soon": "#ff7f0e", "on_track": "#1f77b4",
    "no_target": "#9e9e9e", "done": "#2ca02c",
}

#: Each kind of change: the symbol drawn at the project and its colour.
CHANGE_STYLE: dict[str, tuple[str, str]] = {
    "added": ("+", "#2ca02c"), "retired": ("×", "#7f7f7f"), "moved": ("➜", "#1f77b4"),
    "reshaped": ("◇", "#9467bd"), "stage": ("▲", "#ff7f0e"), "attributes": ("✎", "#8c564b"),
}

#: Changes drawn on the map at most (the table and the downloads hold every one).
MAX_COMPARE_FEATURES = 2_000

#: The ghost of an old position: dashed grey, no fill.
_GHOST = {"color": "#555555", "weight": 2, "opacity": 0.8, "dashArray": "5 5", "fill": False}


def _key(*parts: object) -> str:
    text = json.dumps(parts, ensure_ascii=False, default=str)
    return hashlib.blake2b(text.encode("utf-8"), digest_size=10).hexdigest()


def tone_payload(progress: pd.Series) -> dict[str, Any]:
    """The map coloured by `progress` (one value per row of the atlas, in row order): the
    palette (index 0 unused: the layer's own colour) and each row's code, base64."""
    order = {p: i + 1 for i, p in enumerate(PROGRESS)}
    codes = np.asarray(progress.map(order).fillna(0).to_numpy(dtype=float), dtype=np.uint8)
    text = base64.b64encode(codes.tobytes()).decode("ascii")
    return {"key": hashlib.blake2b(codes.tobytes(), digest_size=10).hexdigest(),
            "colours": ["", *(PROGRESS_COLOURS[p] for p in PROGRESS)], "codes": text}


def progress_legend(legend: Mapping[str, Any], frame: pd.DataFrame, lang: str, day: str) -> dict[str, Any]:
    """`legend` (the map's, app/map/legend.py) with its project groups replaced by one group:
    the located projects of `frame` by progress, with counts, as of `day`.

    >>> from shapely import Point
    >>> frame = gpd.GeoDataFrame({"progress": ["done", "done", "no_target"]},
    ...                          geometry=[Point(0, 0), None, Point(1, 1)])
    >>> spec = progress_legend({"title": "图例", "groups": [{"title": "图层", "entries": []}]}, frame,
    ...                        "en", "2026-12-08")
    >>> [(e["label"], e["count"]) for e in spec["groups"][0]["entries"]]
    [('No target date', 1), ('Done', 1)]
    """
    located = frame[frame.geometry.notna()]
    counts = located["progress"].value_counts() if "progress" in located else pd.Series(dtype=int)
    entries = [{"label": t(f"supervision.progress_{p}", lang), "color": PROGRESS_COLOURS[p],
                "fill": PROGRESS_COLOURS[p], "shape": "point", "count": int(counts[p])}
               for p in PROGRESS if p in counts.index and counts[p] > 0]
    refs = [g for g in legend.get("groups", []) if g.get("title") == t("reference_layers", lang)]
    group = {"title": t("supervision.legend", lang).format(day=day), "entries": entries}
    return {**dict(legend), "groups": [group, *refs]}


def compare_legend_group(changes: pd.DataFrame, lang: str, since: str) -> dict[str, Any]:
    """The legend group of the compare overlay: each kind present, its symbol and count, and
    the ghost of an old position.

    >>> group = compare_legend_group(pd.DataFrame({"change": ["moved", "stage", "moved"]}), "en", "2025-06-01")
    >>> [e["label"] for e in group["entries"]]
    ['➜ Moved', '▲ Stage changed', 'Old position (dashed)']
    """
    counts = changes["change"].value_counts() if len(changes) else pd.Series(dtype=int)
    entries = [{"label": f"{CHANGE_STYLE[k][0]} {t(f'supervision.change_{k}', lang)}",
                "color": CHANGE_STYLE[k][1], "fill": CHANGE_STYLE[k][1], "shape": "point",
                "count": int(counts[k])} for k in CHANGE_KINDS if k in counts.index]
    if any(k in counts.index for k in ("moved", "reshaped", "retired")):
        entries.append({"label": t("supervision.ghost", lang), "color": _GHOST["color"],
                        "fill": _GHOST["color"], "shape": "line", "count": None})
    return {"title": t("supervision.legend_changes", lang).format(day=since), "entries": entries}


def _tip(row: Mapping[str, Any], lang: str) -> str:
    """A change in words, for its tooltip: kind, name, and what changed."""
    kind = str(row["change"])
    name = row.get("name_en" if lang == "en" else "name_zh") or row.get("project_id")
    text = f"{CHANGE_STYLE[kind][0]} {t(f'supervision.change_{kind}', lang)}: {name}"
    if kind in ("moved", "reshaped") and pd.notna(row.get("distance_m")):
        text += f" ({float(row['distance_m']):.0f} m)"
    if kind == "stage":
        text += f" ({row.get('stage_from') or '—'} → {row.get('stage_to') or '—'})"
    if kind == "attributes":
        fields = row.get("fields")
        text += f" ({', '.join(fields)})" if isinstance(fields, list | tuple) else ""
    return text


def compare_overlay(changes: gpd.GeoDataFrame, crs: str, lang: str,
                    stage_label: Any = None, limit: int = MAX_COMPARE_FEATURES) -> dict[str, Any]:
    """The compare overlay of `changes` (:mod:`app.service.compare`'s frame) in the basemap's
    `crs`: a GeoJSON FeatureCollection of symbols (``role`` ``marker``), ghosts (``ghost``) and
    move lines (``path``), at most `limit` changes; ``count`` and ``shown`` say how many there
    are and how many are drawn. `stage_label` turns a stage code into words.

    >>> from shapely import Point
    >>> changes = gpd.GeoDataFrame({"change": ["moved"], "project_id": ["a"], "name_zh": ["甲"],
    ...     "name_en": ["A"], "distance_m": [95.0], "old_wkt": ["POINT (121.40 31.20)"],
    ...     "stage_from": [""], "stage_to": [""], "fields": [["geometry"]]},
    ...     geometry=[Point(121.401, 31.2)], crs="EPSG:4326")
    >>> overlay = compare_overlay(changes, "wgs84", "en")
    >>> [f["properties"]["role"] for f in overlay["features"]["features"]], overlay["shown"]
    (['ghost', 'path', 'marker'], 1)
    >>> overlay["features"]["features"][-1]["properties"]["tip"]
    '➜ Moved: A (95 m)'
    """
    shown = changes.iloc[:limit]
    label = stage_label or (lambda s: s)
    features: list[dict[str, Any]] = []
    new = shown.geometry.to_numpy()
    old = np.array([shapely.from_wkt(w) if isinstance(w, str) and w else None
                    for w in shown.get("old_wkt", pd.Series([None] * len(shown)))], dtype=object)
    if crs != "wgs84":
        new = np.asarray(convert_geometry(new, "wgs84", crs), dtype=object)
        old = np.asarray(convert_geometry(old, "wgs84", crs), dtype=object)
    records = shown.drop(columns=shown.geometry.name).to_dict("records")
    for row, geom, before in zip(records, new, old, strict=True):
        kind = str(row["change"])
        row = {**row, "stage_from": label(row.get("stage_from") or ""),
               "stage_to": label(row.get("stage_to") or "")}
        symbol, colour = CHANGE_STYLE[kind]
        props = {"kind": kind, "symbol": symbol, "colour": colour, "id": row["project_id"],
                 "tip": _tip(row, lang)}
        where = geom
        if kind == "retired":
            before, where = geom, geom
        if before is not None and kind in ("moved", "reshaped", "retired"):
            features.append({"type": "Feature", "geometry": shapely.geometry.mapping(before),
                             "properties": {**props, "role": "ghost", "style": _GHOST}})
        if where is None or shapely.is_empty(where):
            continue
        anchor = shapely.point_on_surface(where)
        if kind == "moved" and before is not None:
            start = shapely.point_on_surface(before)
            features.append({"type": "Feature",
                             "geometry": shapely.geometry.mapping(shapely.LineString([start, anchor])),
                             "properties": {**props, "role": "path",
                                            "style": {**_GHOST, "color": colour, "dashArray": "2 6"}}})
        features.append({"type": "Feature", "geometry": shapely.geometry.mapping(anchor),
                         "properties": {**props, "role": "marker"}})
    collection = {"type": "FeatureCollection", "features": features}
    return {"key": _key(crs, lang, collection), "features": collection, "count": len(changes),
            "shown": len(shown)}
