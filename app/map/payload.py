"""Compact columnar payloads of the canvas-drawn (city-scale) project layers.

Geometry is built in bulk (``shapely.get_coordinates`` and counts; Multi geometries and rings
with holes split only where present) into one raw-deflated Int32 array of vertex steps in
1/:data:`COORD_SCALE` degree plus part/ring/vertex counts; property columns are
dictionary-encoded where values repeat and deflated. Features are sorted by style class, then
along a Z-order curve. ``static/atlas_map.js`` inflates the geometry natively, draws each style
class as one canvas path and decodes the properties of the feature under the pointer only.
"""

from __future__ import annotations

import base64
import json
import zlib
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd
import shapely

from app.data.layers import LayerSpec
from app.map.fields import Column, take, used
from app.map.scriptjson import script_json
from app.map.style import KIND_OF_TYPE, path_style

__all__ = ["COORD_SCALE", "canvas_parts"]

#: Canvas coordinates travel as integers: degrees times this (1e-6 degree is about 0.1 m).
COORD_SCALE = 1_000_000


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
    codes_used, inverse = used(codes, len(labels))
    if len(codes_used) > max(1, len(codes) // 2):
        return take(codes, labels).tolist()
    if len(codes_used) and codes_used[0] == -1:  # missing values already map to values[0]
        return {"v": take(codes_used, labels).tolist(), "c": _packed(inverse)}
    return {"v": [None, *take(codes_used, labels).tolist()], "c": _packed(inverse + 1)}


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


def canvas_parts(spec: LayerSpec, geoms: np.ndarray, category: np.ndarray, area: np.ndarray,
                 columns: Mapping[str, Column]) -> tuple[str, ...]:
    """The canvas payload text of each geometry kind of a big layer (polygons, lines, points:
    the draw order). Features are sorted by style class (category in legend order, then area
    point) and, within a class, along a Z-order curve.

    Geometry travels as one deflated Int32 array: the vertex coordinates (x, y interleaved,
    each the difference from the previous vertex's, in 1/:data:`COORD_SCALE` degree), then the
    count levels that are not all ones; ``sizes`` gives the length of each part. Properties
    travel as deflated JSON of the columns (see :func:`_column_payload`).

    >>> from app.data.atlas import load_atlas
    >>> spec = load_atlas().spec("renewal")
    >>> geoms = np.array([shapely.Point(121.4, 31.2)], dtype=object)
    >>> columns = {"id": (np.array([0]), np.array(["p1"], dtype=object))}
    >>> (text,) = canvas_parts(spec, geoms, np.array(["area_renewal"], dtype=object),
    ...                        np.array([False]), columns)
    >>> payload = json.loads(text)
    >>> payload["kind"], payload["n"], payload["classes"][0]["style"]["color"]
    ('point', 1, '#b03a2e')
    >>> canvas_parts(spec, geoms[:0], geoms[:0], np.array([], dtype=bool), {})
    ()
    """
    kinds = KIND_OF_TYPE[shapely.get_type_id(geoms)]
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
            style = path_style(spec.style, spec.colour_for(category[first]),
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
        texts.append(script_json(payload))
    return tuple(texts)
