"""How far a geometry lies outside the district: the one measure every position check uses.

The district outline is given in ``app.geo.crs.METRIC_CRS`` (metres), built once by the caller
(``app.geo.geocode.to_metric(place.geometry)``); the geometry under test is WGS-84. The answer
is the distance, in metres, of the geometry's farthest vertex from the outline: 0 when every
vertex lies inside or on it, infinity when there is nothing to measure.

>>> from shapely import LineString, Point, box
>>> from app.geo.geocode import to_metric
>>> district_m = to_metric(box(121.40, 31.20, 121.42, 31.22))
>>> distance_outside(Point(121.41, 31.21), district_m)
0.0
>>> round(distance_outside(LineString([(121.41, 31.21), (121.43, 31.21)]), district_m), -1)
950.0
"""

from __future__ import annotations

import math

import numpy as np
import shapely
from shapely.geometry.base import BaseGeometry

from app.geo.crs import METRIC_CRS, transformer

__all__ = ["distance_outside"]


def distance_outside(geometry: BaseGeometry, district_m: BaseGeometry) -> float:
    """Metres that WGS-84 `geometry`'s farthest vertex lies outside `district_m` (metric CRS).

    0.0 when every vertex is inside or on the outline (a line that leaves and comes back
    between two inside vertices still counts as inside: vertices are what a register records).
    ``inf`` for an empty geometry or one with a non-finite or untransformable coordinate.

    >>> from shapely import Point, box
    >>> from app.geo.geocode import to_metric
    >>> district_m = to_metric(box(121.40, 31.20, 121.42, 31.22))
    >>> round(distance_outside(Point(121.43, 31.21), district_m), -1)  # 0.01° east of the edge
    950.0
    >>> distance_outside(Point(), district_m), distance_outside(Point(float("nan"), 31.2), district_m)
    (inf, inf)
    >>> distance_outside("POINT (121.41 31.21)", district_m)
    Traceback (most recent call last):
    ...
    TypeError: geometry must be a shapely geometry, got str
    """
    for name, value in (("geometry", geometry), ("district_m", district_m)):
        if not isinstance(value, BaseGeometry):
            raise TypeError(f"{name} must be a shapely geometry, got {type(value).__name__}")
    coords = shapely.get_coordinates(geometry)
    if len(coords) == 0:
        return math.inf
    x, y = transformer("EPSG:4326", METRIC_CRS).transform(coords[:, 0], coords[:, 1])
    x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    if not (np.all(np.isfinite(x)) and np.all(np.isfinite(y))):
        return math.inf
    inside = shapely.contains_xy(district_m, x, y)
    if inside.all():
        return 0.0
    return float(shapely.distance(shapely.points(x[~inside], y[~inside]), district_m).max())
