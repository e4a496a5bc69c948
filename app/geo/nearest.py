"""Field check: which located projects are next to the worker?

A field worker's phone reports a position, usually WGS-84 (the browser's geolocation) but
sometimes copied from a Chinese app in GCJ-02 (AMap) or BD-09 (Baidu).
``app.geo.position.check_position(..., fix_swaps=False)`` turns it into WGS-84 and refuses what
is clearly wrong with a message the worker can act on. :func:`nearest` then lists the closest
located projects with the distance and direction from the worker to the nearest point of each
project's geometry.

Distances are measured in ``app.geo.crs.METRIC_CRS`` (UTM 51N); bearings are true-north geodesic
azimuths on the WGS-84 ellipsoid (in Changning, UTM grid north is about 0.8° away from true
north, and a phone's magnetic compass differs again by the local declination).

>>> compass(90.0)
('东', 'E')
"""

from __future__ import annotations

import math
import numbers

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import Geod
from shapely import Point

from app.errors import DataError, PositionError
from app.geo.crs import METRIC_CRS, transformer
from app.geo.geocode import to_metric

__all__ = ["NEAREST_COLUMNS", "compass", "nearest"]

#: Columns of the frame :func:`nearest` returns, in order.
NEAREST_COLUMNS: tuple[str, ...] = (
    "id", "name_zh", "name_en", "layer", "precision",
    "distance_m", "bearing_deg", "direction_zh", "direction_en",
)

_FRAME_COLUMNS = ("id", "name_zh", "name_en", "layer", "precision")
_COMPASS_EN = ("N", "NE", "E", "SE", "S", "SW", "W", "NW")
_COMPASS_ZH = ("北", "东北", "东", "东南", "南", "西南", "西", "西北")
#: Direction shown when the worker stands on (or inside) the geometry: no bearing exists.
_HERE = ("此处", "here")
_GEOD = Geod(ellps="WGS84")


def _number(value: object, name: str) -> float:
    """`value` as a float, or PositionError naming what was given instead of a number."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise PositionError(f"{name} must be a number, got {type(value).__name__} {value!r}")
    return float(value)


def _in_range(lon: float, lat: float) -> bool:
    return -180.0 <= lon <= 180.0 and -90.0 <= lat <= 90.0


def compass(bearing_deg: float) -> tuple[str, str]:
    """The 8-point compass direction ``(zh, en)`` of a bearing in degrees from true north.

    Each direction covers 45°, centred on it (N is 337.5°–22.5°). NaN (no bearing: the worker
    stands on the geometry) gives ``("此处", "here")``.

    >>> compass(44.9), compass(337.5), compass(float("nan"))
    (('东北', 'NE'), ('北', 'N'), ('此处', 'here'))
    """
    bearing = _number(bearing_deg, "bearing_deg")
    if math.isnan(bearing):
        return _HERE
    i = int(((bearing % 360.0) + 22.5) % 360.0 // 45.0)
    return _COMPASS_ZH[i], _COMPASS_EN[i]


def _empty() -> pd.DataFrame:
    frame = pd.DataFrame({c: pd.Series(dtype=object) for c in NEAREST_COLUMNS})
    return frame.astype({"distance_m": float, "bearing_deg": float})


def nearest(frame: gpd.GeoDataFrame, lon: float, lat: float, n: int = 5) -> pd.DataFrame:
    """The `n` located projects of `frame` closest to the WGS-84 position (lon, lat).

    `frame` needs the columns id, name_zh, name_en, layer, precision and a geometry with a CRS
    (any CRS; the atlas's projects are EPSG:4326). Rows without geometry (unlocated projects) or
    with an empty one are skipped. The distance is to the geometry itself, in metres in
    ``METRIC_CRS``: to the nearest point of a line or polygon outline, 0 inside a polygon.
    ``bearing_deg`` (0–360, true north, clockwise) points from the worker to that nearest point;
    it is NaN where the distance rounds to 0, and the direction there reads 此处 / here.
    Sorted by distance (rounded to 0.1 m, as shown), ties by id. Returns the columns
    ``NEAREST_COLUMNS``; n <= 0 or nothing located gives an empty frame with those columns.

    >>> from shapely import LineString
    >>> frame = gpd.GeoDataFrame(
    ...     {"id": ["road", "plot"], "name_zh": ["路", "地块"], "name_en": ["Road", "Plot"],
    ...      "layer": ["streets", "renewal"], "precision": ["street", "unlocated"]},
    ...     geometry=[LineString([(121.410, 31.2125), (121.420, 31.2125)]), None], crs="EPSG:4326")
    >>> nearest(frame, 121.415, 31.212)[["id", "distance_m", "direction_en"]].to_dict("records")
    [{'id': 'road', 'distance_m': 55.4, 'direction_en': 'N'}]
    >>> nearest(frame, 121.415, 31.212, n=0).columns.tolist() == list(NEAREST_COLUMNS)
    True
    """
    if not isinstance(frame, gpd.GeoDataFrame):
        raise TypeError(f"frame must be a GeoDataFrame, got {type(frame).__name__}")
    if isinstance(n, bool) or not isinstance(n, numbers.Integral):
        raise TypeError(f"n must be an integer, got {type(n).__name__} {n!r}")
    lon, lat = _number(lon, "lon"), _number(lat, "lat")
    if not (math.isfinite(lon) and math.isfinite(lat) and _in_range(lon, lat)):
        raise PositionError(f"lon={lon!r}, lat={lat!r} is not a WGS-84 position; "
                            "check it with app.geo.position.check_position() first")
    missing = [c for c in _FRAME_COLUMNS if c not in frame.columns]
    if missing:
        raise DataError(f"frame lacks the column(s) {missing} that nearest() reports")
    if n <= 0 or frame.empty:
        return _empty()
    if frame.crs is None:
        raise DataError("frame has no CRS; set one (the atlas's projects are EPSG:4326)")
    geometry = np.asarray(frame.geometry.array, dtype=object)
    located = frame.loc[shapely.is_geometry(geometry) & ~shapely.is_empty(geometry)]
    if located.empty:
        return _empty()

    shapes = np.asarray(located.geometry.to_crs(METRIC_CRS).array, dtype=object)
    worker = to_metric(Point(lon, lat))
    distance = np.round(shapely.distance(shapes, worker), 1)
    # shortest_line(a, b) runs from a to b: its first vertex is the nearest point on a.
    near_xy = shapely.get_coordinates(shapely.shortest_line(shapes, worker)).reshape(-1, 2, 2)[:, 0]
    near_lon, near_lat = transformer(METRIC_CRS, "EPSG:4326").transform(near_xy[:, 0], near_xy[:, 1])
    azimuth, _back, _dist = _GEOD.inv(np.full(len(shapes), lon), np.full(len(shapes), lat),
                                      near_lon, near_lat)
    bearing = np.where(distance > 0, np.round(np.asarray(azimuth) % 360.0, 1) % 360.0, np.nan)
    # Sectors 0-7 are the compass points; 8 (appended) is "here", for the NaN bearings.
    sector = np.where(np.isnan(bearing), 8, ((np.nan_to_num(bearing) + 22.5) % 360.0) // 45.0)
    sector = sector.astype(int)
    zh = np.array(_COMPASS_ZH + (_HERE[0],), dtype=object)
    en = np.array(_COMPASS_EN + (_HERE[1],), dtype=object)

    result = pd.DataFrame({
        **{c: located[c].to_numpy() for c in _FRAME_COLUMNS},
        "distance_m": distance.astype(float),
        "bearing_deg": bearing.astype(float),
        "direction_zh": zh[sector],
        "direction_en": en[sector],
    })
    result = result.sort_values(["distance_m", "id"], kind="stable").head(n)
    return result.reset_index(drop=True)
