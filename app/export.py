"""Exports of the projects frame. Pure: no streamlit; used by the app and the CLI alike.

GeoJSON follows RFC 7946: WGS-84 lon/lat, no ``crs`` member, exterior rings counter-clockwise
and holes clockwise, coordinates rounded to :data:`COORD_DECIMALS` decimals (about 1 cm), feature
``id`` = project id, unlocated projects as ``"geometry": null``. Geometry is serialised in bulk
by shapely (no Python loop over coordinates). Files are written atomically.

>>> import geopandas as gpd
>>> from shapely import Point
>>> frame = gpd.GeoDataFrame({"id": ["a", "b"], "name_zh": ["甲", "<乙>"]},
...                          geometry=[Point(121.123456789, 31.2), None], crs="EPSG:4326")
>>> text = geojson_text(frame, columns=["id", "name_zh"], metadata={})
>>> '"coordinates":[121.1234568,31.2]' in text, '"geometry":null' in text
(True, True)
"""

from __future__ import annotations

import json
import math
import os
import tempfile
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from app.errors import ExportError

__all__ = ["COORD_DECIMALS", "atomic_write", "geojson_text", "prepare_geometries"]

#: Decimal places kept in exported coordinates: 1e-7 degree is about 1.1 cm.
COORD_DECIMALS = 7


def prepare_geometries(geoms: Iterable[shapely.Geometry | None]) -> tuple[np.ndarray, np.ndarray]:
    """Make geometries export-ready in bulk: valid, RFC 7946 winding, rounded coordinates.

    Returns (geometries, repaired) where `repaired` flags those that make_valid had to fix.

    >>> from shapely import Polygon
    >>> bow = Polygon([(0, 0), (1, 1), (1, 0), (0, 1)])
    >>> out, fixed = prepare_geometries([bow, None])
    >>> fixed.tolist(), out[1] is None
    ([True, False], True)
    """
    arr = np.asarray(list(geoms) if not isinstance(geoms, np.ndarray) else geoms, dtype=object)
    present = ~shapely.is_missing(arr)
    repaired = present & ~shapely.is_valid(arr)
    if repaired.any():
        arr = arr.copy()
        arr[repaired] = shapely.make_valid(arr[repaired])
    arr = shapely.transform(arr, lambda xy: np.round(xy, COORD_DECIMALS))
    arr = shapely.orient_polygons(arr, exterior_cw=False)
    return arr, repaired


def _json_value(value: Any) -> Any:
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, float) and math.isnan(value):
        return None
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, np.floating):
        return None if np.isnan(value) else float(value)
    if isinstance(value, np.ndarray):
        return [_json_value(v) for v in value.tolist()]
    if isinstance(value, list | tuple):
        return [_json_value(v) for v in value]
    return value


def geojson_text(frame: gpd.GeoDataFrame, columns: Iterable[str], metadata: Mapping[str, Any]) -> str:
    """One RFC 7946 FeatureCollection as text; `metadata` becomes top-level foreign members."""
    if frame.crs is None or not frame.crs.equals("EPSG:4326"):
        raise ExportError(f"GeoJSON export needs a WGS-84 (EPSG:4326) frame, got {frame.crs}")
    columns = list(columns)
    geoms, repaired = prepare_geometries(frame.geometry.values)
    geom_text = shapely.to_geojson(geoms)  # vectorised; None stays None
    records = frame[columns].astype(object).to_dict(orient="records")
    features = []
    for record, geom, fixed in zip(records, geom_text, repaired, strict=True):
        props = {k: _json_value(v) for k, v in record.items()}
        if fixed:
            props["geometry_repaired"] = True
        fid = json.dumps(props.get("id"), ensure_ascii=False)
        features.append(
            '{"type":"Feature","id":' + fid + ',"geometry":' + (geom if geom is not None else "null")
            + ',"properties":' + json.dumps(props, ensure_ascii=False, separators=(",", ":")) + "}"
        )
    head = {"type": "FeatureCollection", **dict(metadata)}
    head_text = json.dumps(head, ensure_ascii=False, separators=(",", ":"))[:-1]
    return head_text + ',"features":[\n' + ",\n".join(features) + "\n]}\n"


def atomic_write(path: Path, data: str | bytes) -> Path:
    """Write `data` to `path` through a temporary file in the same folder and os.replace.

    A crash or kill mid-write leaves any previous file at `path` untouched.
    """
    path = Path(path)
    folder = path.parent if str(path.parent) else Path(".")
    if not folder.is_dir():
        raise ExportError(f"cannot write {path}: folder {folder} does not exist")
    payload = data.encode("utf-8") if isinstance(data, str) else data
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".part", dir=folder)
    except OSError as exc:
        raise ExportError(f"cannot write into {folder}: {exc.strerror}") from exc
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(payload)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except OSError as exc:
        Path(tmp).unlink(missing_ok=True)
        raise ExportError(f"cannot write {path}: {exc.strerror}") from exc
    return path
