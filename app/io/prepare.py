"""Frames made export-ready: WGS-84 (or labelled GCJ-02), rounded, valid, wound per RFC 7946.

Every writer (:mod:`app.io.geojson`, :mod:`app.io.gpkg`, :mod:`app.io.kml`,
:mod:`app.io.csvfile`) starts from a :class:`Prepared` frame made by :func:`prepare_frame`:
geometry is converted, rounded to :data:`COORD_DECIMALS` decimals (about 1 cm), repaired by
``make_valid`` when rounding broke it (flagged in ``geometry_repaired``) and wound with
exterior rings counter-clockwise, all in bulk by shapely.

>>> import geopandas as gpd
>>> from shapely import Point
>>> frame = gpd.GeoDataFrame({"id": ["a"]}, geometry=[Point(121.123456789, 31.2)], crs="EPSG:4326")
>>> prep = prepare_frame(frame, ["id"], "wgs84")
>>> prep.geoms[0].coords[0], prep.props.columns.tolist()
((121.1234568, 31.2), ['id', 'geometry_repaired'])
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from app.errors import ExportError, UnknownCRSError
from app.geo.crs import convert_geometry, normalize_crs

__all__ = ["COORD_DECIMALS", "OUTPUT_CRS", "Prepared", "flat_properties", "layer_groups",
           "output_crs", "prepare_frame", "prepare_geometries"]

#: Decimal places kept in exported coordinates: 1e-7 degree is about 1.1 cm.
COORD_DECIMALS = 7

#: Output coordinate systems: WGS-84 (default, RFC 7946) and GCJ-02 (AMap/Gaode tools only).
OUTPUT_CRS: tuple[str, ...] = ("wgs84", "gcj02")

_LIST_SEPARATOR = "; "


def _round_and_wind(arr: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Round all coordinates and wind hole-free polygons counter-clockwise, in one pass over
    the flat coordinate array (shoelace sums by geometry, clockwise rings reversed by index).

    Returns (geometries, wound): `wound` marks the polygons whose winding is now final.
    """
    coords = np.round(shapely.get_coordinates(arr), COORD_DECIMALS)  # 2D: exports drop Z
    counts = shapely.get_num_coordinates(arr)
    wound = (shapely.get_type_id(arr) == 3) & (shapely.get_num_interior_rings(arr) == 0)
    if wound.any():
        starts = np.concatenate([[0], np.cumsum(counts)[:-1]])
        x, y = coords[:, 0], coords[:, 1]
        cross = np.zeros(len(coords))
        cross[:-1] = x[:-1] * y[1:] - x[1:] * y[:-1]
        filled = np.flatnonzero(counts > 0)
        cross[starts[filled] + counts[filled] - 1] = 0.0  # no segment between geometries
        area2 = np.zeros(len(arr))
        area2[filled] = np.add.reduceat(cross, starts[filled])  # one sum per geometry
        clockwise = wound & (area2 < 0)
        if clockwise.any():
            owner = np.repeat(np.arange(len(arr)), counts)
            flip = clockwise[owner]
            order = np.arange(len(coords))
            order[flip] = (2 * starts + counts - 1)[owner[flip]] - order[flip]
            coords = coords[order]
    out = shapely.set_coordinates(arr.copy(), coords)  # new geometries; the input stays as is
    return out, wound


def output_crs(crs: str) -> str:
    """Canonical output CRS name, or ExportError for one exports do not offer.

    >>> output_crs("GCJ-02")
    'gcj02'
    >>> output_crs("bd09")
    Traceback (most recent call last):
    ...
    app.errors.ExportError: exports are written in wgs84 or gcj02, not 'bd09'
    """
    try:
        name = normalize_crs(crs)
    except UnknownCRSError as exc:
        raise ExportError(f"{exc}; exports offer {' or '.join(OUTPUT_CRS)}") from exc
    if name not in OUTPUT_CRS:
        raise ExportError(f"exports are written in {' or '.join(OUTPUT_CRS)}, not {crs!r}")
    return name


def prepare_geometries(geoms: Iterable[shapely.Geometry | None], crs: str = "wgs84"
                       ) -> tuple[np.ndarray, np.ndarray]:
    """Make WGS-84 geometries export-ready in bulk: converted to `crs` ('wgs84' or 'gcj02'),
    rounded to :data:`COORD_DECIMALS`, valid, 2D, exterior rings counter-clockwise and holes
    clockwise. Missing and empty geometries come back as None.

    Returns (geometries, repaired) where `repaired` flags those that make_valid had to fix
    (validity is checked after rounding, since rounding itself can break a geometry).

    >>> from shapely import Polygon
    >>> bow = Polygon([(0, 0), (1, 1), (1, 0), (0, 1)])
    >>> out, fixed = prepare_geometries([bow, None])
    >>> fixed.tolist(), out[1] is None
    ([True, False], True)
    >>> cw = Polygon([(0, 0), (0, 1), (1, 1), (1, 0)])
    >>> bool(prepare_geometries([cw])[0][0].exterior.is_ccw)
    True
    """
    crs = output_crs(crs)
    arr = np.array(geoms if isinstance(geoms, np.ndarray) else list(geoms), dtype=object)
    if arr.ndim != 1:
        arr = arr.reshape(-1)
    if crs != "wgs84":
        arr = convert_geometry(arr, "wgs84", crs)
    arr, wound = _round_and_wind(arr)
    present = ~shapely.is_missing(arr) & ~shapely.is_empty(arr)
    repaired = present & ~shapely.is_valid(arr)
    if repaired.any():
        fixed = shapely.make_valid(arr[repaired], method="structure")
        # make_valid adds intersection nodes off the grid; snapping keeps the result valid.
        arr[repaired] = shapely.set_precision(fixed, 10.0 ** -COORD_DECIMALS)
    # polygons with holes, multi-parts, repaired ones (points and lines have no rings to turn)
    polygonal = np.isin(shapely.get_type_id(arr), (3, 6, 7))
    rest = present & (~wound | repaired) & polygonal
    arr[rest] = shapely.orient_polygons(arr[rest], exterior_cw=False)
    arr[~present | shapely.is_empty(arr)] = None
    return arr, repaired


@dataclass(frozen=True)
class Prepared:
    """A frame made export-ready: properties (object columns), geometries, repair flags."""

    props: pd.DataFrame
    geoms: np.ndarray
    crs: str


def prepare_frame(frame: gpd.GeoDataFrame, columns: Iterable[str], crs: str) -> Prepared:
    """`frame` (WGS-84) made export-ready in `crs`: its `columns` plus ``geometry_repaired``."""
    if not isinstance(frame, gpd.GeoDataFrame):
        raise ExportError(f"export needs a GeoDataFrame, got {type(frame).__name__}")
    if frame.crs is None or not frame.crs.equals("EPSG:4326"):
        raise ExportError(f"export needs a WGS-84 (EPSG:4326) frame, got {frame.crs}")
    columns = [c for c in columns if c != "geometry_repaired"]
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise ExportError(f"export: the frame has no column(s) {missing}")
    geoms, repaired = prepare_geometries(frame.geometry.to_numpy(), crs)
    props = frame[columns].reset_index(drop=True)
    props["geometry_repaired"] = repaired
    return Prepared(props=props, geoms=geoms, crs=output_crs(crs))


def _flat(value: object) -> object:
    """One value for a format without list or object types (see :func:`flat_properties`)."""
    if isinstance(value, dict):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, list | tuple | np.ndarray):
        if any(isinstance(v, dict | list | tuple) for v in value):
            return json.dumps(list(value), ensure_ascii=False)
        return _LIST_SEPARATOR.join(map(str, value))
    return value


def flat_properties(props: pd.DataFrame) -> pd.DataFrame:
    """Properties for formats without list types: lists of plain values joined with '; ',
    objects and lists of objects as JSON text.

    >>> flat = flat_properties(pd.DataFrame({"aliases": [["甲", "乙"], []],
    ...                                      "stages": [[{"stage": "planning"}], []]}))
    >>> flat["aliases"].tolist(), flat["stages"].tolist()
    (['甲; 乙', ''], ['[{"stage": "planning"}]', ''])
    """
    out = props.copy()
    for name in out.columns:
        if out[name].dtype == object:
            values = out[name].to_numpy()
            if any(isinstance(v, list | tuple | np.ndarray | dict) for v in values):
                out[name] = [_flat(v) for v in values]
    return out


def layer_groups(prep: Prepared, layers: Sequence[tuple[str, str]] | None
                 ) -> list[tuple[str, str, np.ndarray]]:
    """(table/folder id, title, row mask) per layer; one 'projects' group without `layers`.

    ExportError when a row's layer is not among `layers` (it would be left out silently).
    """
    if not layers or "layer" not in prep.props.columns:
        return [("projects", "projects", np.ones(len(prep.props), dtype=bool))]
    values = prep.props["layer"].astype(str).to_numpy()
    stray = sorted(set(values) - {lid for lid, _ in layers})
    if stray:
        raise ExportError(f"rows of layer(s) {stray} would be left out: not among {list(dict(layers))}")
    return [(lid, title, values == lid) for lid, title in layers]
