"""GeoJSON FeatureCollections as script-safe text, built in bulk for the SVG-drawn layers.

Geometries are written by shapely, every distinct property value is encoded once (all of a
column's text labels in one :func:`~app.map.scriptjson.script_json` pass) and each collection
is joined once, so a few thousand features cost milliseconds. Every piece of the text is
script-safe JSON, so the whole is.

>>> import json
>>> import pandas as pd
>>> import shapely
>>> from app.map.fields import labelled
>>> geoms = np.array([shapely.Point(121.4, 31.2)], dtype=object)
>>> text = feature_collections(geoms, {"id": labelled((pd.Series(["a</script>"]), None))})[0]
>>> json.loads(text)["features"][0]["properties"]
{'id': 'a</script>'}
>>> "</" in text
False
>>> feature_collections(geoms[:0], {})
['{"type":"FeatureCollection","features":[]}']
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import shapely

from app.io.jsontext import json_contents
from app.map.fields import Column, take, used
from app.map.scriptjson import script_json

__all__ = ["feature_collections", "geojson_args"]


def _tokens(codes: np.ndarray, labels: np.ndarray) -> np.ndarray:
    """The script-safe JSON text of each row's value (null where missing): every label these
    rows use encoded once (text in bulk: one pass over the labels joined), taken by code."""
    codes_used, inverse = used(codes, len(labels))
    values = take(codes_used, labels)
    table = np.empty(len(codes_used), dtype=object)
    text = np.array([type(v) is str for v in values], dtype=bool)
    contents = json_contents(values[text].tolist(), script_json)
    table[text] = ['"' + c + '"' for c in contents] if contents is not None else [script_json(v) for v in values[text]]
    table[~text] = [script_json(v) for v in values[~text]]
    return table[inverse]


def feature_collections(geoms: np.ndarray, columns: Mapping[str, Column],
                        groups: Sequence[np.ndarray] | None = None) -> list[str]:
    """FeatureCollections as script-safe JSON text -- feature id = the ``id`` column, properties
    = `columns` ((codes, labels) each, see :func:`app.map.fields.labelled`) -- one of all
    rows, or one per array of row positions in `groups`."""
    n = len(geoms)
    groups = [np.arange(n)] if groups is None else groups
    if n == 0:
        return ['{"type":"FeatureCollection","features":[]}' for _ in groups]
    rounded = shapely.transform(geoms, lambda xy: xy.round(6))
    pieces = np.empty((n, 5 + 2 * len(columns)), dtype=object)
    pieces[:, 0] = ',{"type":"Feature","id":'
    pieces[:, 1] = _tokens(*columns["id"])
    pieces[:, 2] = ',"geometry":'
    pieces[:, 3] = shapely.to_geojson(rounded)  # numbers only
    for i, (name, (codes, labels)) in enumerate(columns.items()):
        pieces[:, 4 + 2 * i] = (',"properties":{' if i == 0 else ",") + script_json(name) + ":"
        pieces[:, 5 + 2 * i] = _tokens(codes, labels)
    pieces[:, -1] = "}}"
    return ['{"type":"FeatureCollection","features":['
            + "".join(pieces[rows].ravel().tolist())[1:] + "]}" for rows in groups]


def geojson_args(style: Mapping[str, Any], data: str, radius: float | None) -> str:
    """Arguments of ``atlasMap.geojson`` after the map: data, style, point radius.

    >>> geojson_args({"color": "#000000"}, "{}", None)
    '{}, {"color": "#000000"}, null'
    """
    return f"{data}, {script_json(style)}, {script_json(radius)}"
