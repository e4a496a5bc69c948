"""Project layers made ready for the map: per layer spec, its located projects as script text.

How a project layer is drawn depends on its size (:func:`project_layers` decides, per layer):

``svg``
    up to :data:`SVG_MAX_FEATURES` features: one L.geoJSON per style class, one SVG path per
    feature with its own tooltip and card (what the shipped register uses);
``canvas``
    more than that: the compact columnar payloads of :mod:`app.map.payload`, drawn by one
    canvas painter per map, tooltips and cards made for the feature under the pointer only.

Either way a feature carries exactly its layer spec's tooltip and card fields (plus its id),
and the layer's configuration tells the browser which to show, in the spec's order
(:func:`app.map.fields.card_config`). A :class:`MapLayer` is plain, immutable data, so the UI
can cache it per (data version, selection, language, basemap CRS) and a filter change rebuilds
only the layers whose rows changed.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from app.data.atlas import Atlas
from app.data.layers import LayerSpec
from app.geo.crs import convert_geometry
from app.map.fields import Column, card_config, columns_of, project_sources, shipped_fields
from app.map.geojson import feature_collections, geojson_args
from app.map.payload import canvas_parts
from app.map.scriptjson import script_json
from app.map.style import KIND_OF_TYPE, path_style

__all__ = ["STRATEGIES", "SVG_MAX_FEATURES", "MapLayer", "project_layer", "project_layers",
           "shifted"]

#: A project layer with more located features than this is drawn on the canvas (see above).
SVG_MAX_FEATURES = 500

#: How a project layer can be drawn.
STRATEGIES: tuple[str, ...] = ("svg", "canvas")


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


def shifted(geoms: object, crs: str) -> object:
    """Geometries (a GeoSeries, an array or one) shifted from WGS-84 into the basemap's `crs`.

    >>> shifted("anything", "wgs84")
    'anything'
    """
    return geoms if crs == "wgs84" else convert_geometry(geoms, "wgs84", crs)


def _svg_parts(spec: LayerSpec, geoms: np.ndarray, category: np.ndarray, area: np.ndarray,
               columns: Mapping[str, Column]) -> tuple[str, ...]:
    """Per style class of a small layer (sorted by category, area point, kind), the arguments
    that draw it as SVG paths."""
    if len(geoms) == 0:
        return ()
    kinds = KIND_OF_TYPE[shapely.get_type_id(geoms)]
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
    texts = feature_collections(geoms, columns, groups)
    for (value, is_area, kind), text in zip(classes, texts, strict=True):
        style = path_style(spec.style, spec.colour_for(value), area_point=bool(is_area), kind=kind)
        style["className"] = f"atlas-feature atlas-project atlas-layer-{spec.id}"
        radius = spec.style.get("radius", 7) if kind == "point" else None
        parts.append(geojson_args(style, text, radius))
    return tuple(parts)


def project_layers(atlas: Atlas, frame: gpd.GeoDataFrame, lang: str = "zh", crs: str = "wgs84",
                   *, only: Sequence[str] | None = None,
                   svg_max: int = SVG_MAX_FEATURES) -> dict[str, MapLayer]:
    """The project layers of `frame`'s located rows (all, or those named in `only`), by layer
    id, ready for :func:`app.map.builder.build_map`.

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
    configs = {s.id: script_json(card_config(s, lang)) for s in specs}
    geoms = frame.geometry.to_numpy()
    located = ~shapely.is_missing(geoms)
    located[located] = ~shapely.is_empty(geoms[located])
    members = {s.id: np.flatnonzero((frame["layer"] == s.id).to_numpy(dtype=bool) & located)
               for s in specs}
    out = {s.id: MapLayer(s.id, "svg", 0, (), configs[s.id]) for s in specs if not len(members[s.id])}
    if len(out) == len(specs):
        return out
    # factorise each field the layers show once over the whole frame (no copy of its text)
    fields = tuple(dict.fromkeys(f for s in specs if len(members[s.id]) for f in shipped_fields(s)))
    columns = columns_of(project_sources(atlas, frame, lang), fields)
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
        cols = {name: (columns[name][0][index], columns[name][1]) for name in shipped_fields(spec)}
        moved = np.asarray(shifted(geoms[index], crs), dtype=object)
        build = _svg_parts if svg else canvas_parts
        parts = build(spec, moved, categories[category_codes[index]], area[index], cols)
        out[spec.id] = MapLayer(spec.id, "svg" if svg else "canvas", len(index), parts,
                                configs[spec.id])
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
