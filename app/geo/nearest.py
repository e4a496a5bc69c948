"""Field check: is this a usable position, and which located projects are next to it?

A field worker's phone reports a position, usually WGS-84 (the browser's geolocation) but
sometimes copied from a Chinese app in GCJ-02 (AMap) or BD-09 (Baidu). :func:`check_position`
turns it into WGS-84 and refuses what is clearly wrong (not a number, out of range, latitude and
longitude swapped, far outside the district) with a message the worker can act on; it never
"repairs" a position silently. :func:`nearest` then lists the closest located projects with the
distance and direction from the worker to the nearest point of each project's geometry.

Distances are measured in ``app.geo.crs.METRIC_CRS`` (UTM 51N); bearings are true-north geodesic
azimuths on the WGS-84 ellipsoid (in Changning, UTM grid north is about 0.8° away from true
north, and a phone's magnetic compass differs again by the local declination).

>>> check_position(121.4186, 31.2183)
(121.4186, 31.2183)
>>> check_position(31.2183, 121.4186)
Traceback (most recent call last):
...
app.errors.PositionError: lon=31.2183, lat=121.4186 look swapped: latitude must lie within ±90°; in China the longitude is the larger number, so did you mean lon=121.4186, lat=31.2183? Please re-enter the position; the atlas does not swap it for you.
"""

from __future__ import annotations

import math
import numbers
from functools import cache

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import Geod, Transformer
from shapely import Point

from app.errors import DataError, PositionError
from app.geo.crs import CRS_NAMES, METRIC_CRS, convert, normalize_crs, out_of_china
from app.geo.geocode import to_metric

__all__ = [
    "FIELD_TOLERANCE_M",
    "NEAREST_COLUMNS",
    "check_position",
    "compass",
    "nearest",
]

#: How far outside the district outline a field position may lie before it is refused (metres).
#: Wider than ``app.data.atlas.PROJECT_TOLERANCE_M`` (300 m): a phone's fix in a street canyon can be
#: off by 100 m or more, and a worker checking a border project may stand across the border road.
FIELD_TOLERANCE_M = 500.0

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


@cache
def _to_lonlat() -> Transformer:
    return Transformer.from_crs(METRIC_CRS, "EPSG:4326", always_xy=True)


def _number(value: object, name: str) -> float:
    """`value` as a float, or PositionError naming what was given instead of a number."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise PositionError(f"{name} must be a number, got {type(value).__name__} {value!r}")
    return float(value)


def _in_range(lon: float, lat: float) -> bool:
    return -180.0 <= lon <= 180.0 and -90.0 <= lat <= 90.0


def _looks_swapped(lon: float, lat: float) -> bool:
    """True when (lon, lat) is not a position in China but (lat, lon) is."""
    if not _in_range(lat, lon):
        return False
    return not (_in_range(lon, lat) and not out_of_china(lon, lat)) and not out_of_china(lat, lon)


def _swapped_message(lon: float, lat: float, why: str) -> str:
    return (f"lon={lon!r}, lat={lat!r} look swapped: {why}; in China the longitude is the larger "
            f"number, so did you mean lon={lat!r}, lat={lon!r}? Please re-enter the position; "
            "the atlas does not swap it for you.")


def _metres_outside(lon: float, lat: float, district_m: shapely.Geometry) -> float:
    return float(shapely.distance(to_metric(Point(lon, lat)), district_m))


def check_position(
    lon: float,
    lat: float,
    crs: str = "wgs84",
    district: shapely.Geometry | None = None,
    tolerance_m: float = FIELD_TOLERANCE_M,
) -> tuple[float, float]:
    """Check a field position and return it as WGS-84 ``(lon, lat)``.

    `crs` is the system the numbers are in: 'wgs84' (GPS, the browser), 'gcj02' (AMap, Tencent)
    or 'bd09' (Baidu), or an alias that ``app.geo.crs.normalize_crs`` knows. `district` is a WGS-84
    geometry (normally ``atlas.places["district-changning"].geometry``); when given, a position
    more than `tolerance_m` metres outside it is refused.

    Raises ``app.errors.PositionError`` for a value that is not a finite number, out of range,
    apparently swapped (refused, never swapped back), or too far outside the district (the
    message suggests another CRS when the numbers would fit it); ``app.errors.UnknownCRSError``
    for an unknown `crs`.

    >>> lon, lat = check_position(121.423243, 31.216453, crs="gcj02")  # AMap numbers in, WGS-84 out
    >>> round(lon, 4), round(lat, 4)
    (121.4186, 31.2183)
    >>> check_position(float("nan"), 31.2)
    Traceback (most recent call last):
    ...
    app.errors.PositionError: lon must be a finite number, got nan
    """
    lon = _number(lon, "lon")
    lat = _number(lat, "lat")
    src = normalize_crs(crs)
    tolerance_m = _number(tolerance_m, "tolerance_m")
    if not tolerance_m >= 0 or math.isinf(tolerance_m):
        raise PositionError(f"tolerance_m must be a finite number >= 0, got {tolerance_m!r}")
    for name, value in (("lon", lon), ("lat", lat)):
        if not math.isfinite(value):
            raise PositionError(f"{name} must be a finite number, got {value!r}")
    if not _in_range(lon, lat):
        if _looks_swapped(lon, lat):
            raise PositionError(_swapped_message(lon, lat, "latitude must lie within ±90°"))
        raise PositionError(f"lon={lon!r}, lat={lat!r} is not a position: longitude must lie "
                            "within ±180° and latitude within ±90°")
    if _looks_swapped(lon, lat):
        raise PositionError(_swapped_message(
            lon, lat, "as given the point lies outside China, swapped it lies inside"))
    lon_wgs, lat_wgs = convert(lon, lat, src, "wgs84")
    if district is None:
        return lon_wgs, lat_wgs
    if not isinstance(district, shapely.Geometry) or district.is_empty:
        raise PositionError(f"district must be a non-empty shapely geometry (WGS-84), got "
                            f"{type(district).__name__}")
    district_m = to_metric(district)
    outside = _metres_outside(lon_wgs, lat_wgs, district_m)
    if outside <= tolerance_m:
        return lon_wgs, lat_wgs
    fits = [other for other in CRS_NAMES if other != src
            and _metres_outside(*convert(lon, lat, other, "wgs84"), district_m) <= tolerance_m]
    hint = (f"; if these are {fits[0]} coordinates, say so (crs='{fits[0]}')" if fits else "")
    raise PositionError(
        f"position lon={lon!r}, lat={lat!r} ({src}) lies {outside:.0f} m outside the district "
        f"(tolerance {tolerance_m:.0f} m){hint}")


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
                            "check it with check_position() first")
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
    near_lon, near_lat = _to_lonlat().transform(near_xy[:, 0], near_xy[:, 1])
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
