"""Coordinate systems of Chinese web maps: WGS-84, GCJ-02 and BD-09.

The atlas stores and exports WGS-84 (EPSG:4326, lon/lat) only. GCJ-02 (AMap/Gaode, Tencent) and
BD-09 (Baidu) appear at the edges: converting inputs that arrive in them, shifting overlays onto a
GCJ-02 basemap, and showing field workers the numbers their navigation app expects.

GCJ-02 and BD-09 are published obfuscation formulas, not datum shifts. The forward directions
(WGS-84 -> GCJ-02 -> BD-09) are closed-form; the inverses are solved here by fixed-point
iteration to better than 1e-9 degrees (about 0.1 mm), far inside the 0.5 m the atlas promises.

Outside mainland China the published GCJ-02 algorithm leaves coordinates unchanged; it decides
"outside" by a rectangle (lon 72.004-137.8347, lat 0.8293-55.8271), and so does this module.
BD-09 is always applied on top of GCJ-02, inside or outside that rectangle.

Every function is vectorised over numpy arrays and accepts Python scalars as well.

>>> lon, lat = convert(121.4186, 31.2183, "wgs84", "gcj02")
>>> round(float(lon) - 121.4186, 4), round(float(lat) - 31.2183, 4)
(0.0046, -0.0018)
>>> convert(2.35, 48.85, "wgs84", "gcj02")  # Paris: outside China, unchanged
(2.35, 48.85)
>>> normalize_crs("Baidu")
'bd09'
>>> normalize_crs("utm")
Traceback (most recent call last):
...
app.errors.UnknownCRSError: unknown CRS 'utm': use one of wgs84, gcj02, bd09 (or an alias such as 'EPSG:4326', 'amap', 'baidu')
"""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache
from typing import overload

import numpy as np
import shapely
from pyproj import Transformer
from pyproj.exceptions import CRSError

from app.errors import UnknownCRSError

__all__ = [
    "CRS_NAMES",
    "METRIC_CRS",
    "convert",
    "convert_geometry",
    "normalize_crs",
    "out_of_china",
    "transformer",
]

#: The three coordinate systems the atlas understands, by their canonical names.
CRS_NAMES: tuple[str, ...] = ("wgs84", "gcj02", "bd09")

#: Metric CRS for distances and areas in Shanghai: UTM zone 51N on WGS-84.
METRIC_CRS = "EPSG:32651"

_ALIASES = {
    "wgs84": "wgs84", "wgs-84": "wgs84", "wgs_84": "wgs84", "epsg:4326": "wgs84", "4326": "wgs84",
    "gps": "wgs84",
    "gcj02": "gcj02", "gcj-02": "gcj02", "gcj_02": "gcj02", "amap": "gcj02", "gaode": "gcj02",
    "tencent": "gcj02", "mars": "gcj02",
    "bd09": "bd09", "bd-09": "bd09", "bd_09": "bd09", "baidu": "bd09", "bd09ll": "bd09",
}

# Krasovsky 1940 ellipsoid, as the GCJ-02 formula uses it.
_A = 6378245.0
_EE = 0.00669342162296594323
_X_PI = np.pi * 3000.0 / 180.0

_TOLERANCE_DEG = 1e-10
_MAX_ITERATIONS = 30


def normalize_crs(name: str) -> str:
    """Return the canonical name ('wgs84', 'gcj02' or 'bd09') for a CRS name or alias.

    >>> normalize_crs("EPSG:4326"), normalize_crs(" GCJ-02 ")
    ('wgs84', 'gcj02')
    """
    if not isinstance(name, str):
        raise UnknownCRSError(f"CRS name must be a string, got {type(name).__name__} {name!r}")
    key = name.strip().lower()
    if key not in _ALIASES:
        raise UnknownCRSError(
            f"unknown CRS {name!r}: use one of {', '.join(CRS_NAMES)} "
            "(or an alias such as 'EPSG:4326', 'amap', 'baidu')"
        )
    return _ALIASES[key]


@lru_cache(maxsize=32)
def transformer(src: str, dst: str) -> Transformer:
    """The pyproj transformer from `src` to `dst` (any CRS text pyproj reads), x = lon/easting.

    Built once per pair and shared: building one costs milliseconds, using it microseconds.
    ``always_xy=True``, so geographic CRSs take and give (lon, lat), whatever their axis order.

    >>> x, y = transformer("EPSG:4326", METRIC_CRS).transform(123.0, 0.0)  # UTM 51N's meridian
    >>> round(x), round(y)
    (500000, 0)
    >>> transformer("EPSG:4326", METRIC_CRS) is transformer("EPSG:4326", METRIC_CRS)
    True
    >>> transformer("EPSG:4326", "EPSG:0")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    app.errors.UnknownCRSError: pyproj cannot transform 'EPSG:4326' -> 'EPSG:0': ...
    """
    try:
        return Transformer.from_crs(src, dst, always_xy=True)
    except CRSError as exc:
        raise UnknownCRSError(f"pyproj cannot transform {src!r} -> {dst!r}: {exc}") from exc


def out_of_china(lon: np.ndarray | float, lat: np.ndarray | float) -> np.ndarray | bool:
    """True where the published GCJ-02 algorithm leaves a point unchanged.

    >>> bool(out_of_china(121.42, 31.22)), bool(out_of_china(139.69, 35.69))
    (False, True)
    """
    lon = np.asarray(lon, dtype=float)
    lat = np.asarray(lat, dtype=float)
    outside = (lon < 72.004) | (lon > 137.8347) | (lat < 0.8293) | (lat > 55.8271)
    return outside if outside.ndim else bool(outside)


def _delta(lon: np.ndarray, lat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """GCJ-02 offset (dlon, dlat) in degrees at WGS-84 positions inside China."""
    x = lon - 105.0
    y = lat - 35.0
    sqrt_abs_x = np.sqrt(np.abs(x))
    common = (20.0 * np.sin(6.0 * x * np.pi) + 20.0 * np.sin(2.0 * x * np.pi)) * 2.0 / 3.0
    dlat = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * sqrt_abs_x + common
    dlat += (20.0 * np.sin(y * np.pi) + 40.0 * np.sin(y / 3.0 * np.pi)) * 2.0 / 3.0
    dlat += (160.0 * np.sin(y / 12.0 * np.pi) + 320.0 * np.sin(y * np.pi / 30.0)) * 2.0 / 3.0
    dlon = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * sqrt_abs_x + common
    dlon += (20.0 * np.sin(x * np.pi) + 40.0 * np.sin(x / 3.0 * np.pi)) * 2.0 / 3.0
    dlon += (150.0 * np.sin(x / 12.0 * np.pi) + 300.0 * np.sin(x / 30.0 * np.pi)) * 2.0 / 3.0
    rad_lat = lat / 180.0 * np.pi
    magic = 1.0 - _EE * np.sin(rad_lat) ** 2
    sqrt_magic = np.sqrt(magic)
    dlat = (dlat * 180.0) / ((_A * (1.0 - _EE)) / (magic * sqrt_magic) * np.pi)
    dlon = (dlon * 180.0) / (_A / sqrt_magic * np.cos(rad_lat) * np.pi)
    return dlon, dlat


def _wgs84_to_gcj02(lon: np.ndarray, lat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    dlon, dlat = _delta(lon, lat)
    outside = out_of_china(lon, lat)
    return np.where(outside, lon, lon + dlon), np.where(outside, lat, lat + dlat)


def _gcj02_to_bd09(lon: np.ndarray, lat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    z = np.sqrt(lon * lon + lat * lat) + 0.00002 * np.sin(lat * _X_PI)
    theta = np.arctan2(lat, lon) + 0.000003 * np.cos(lon * _X_PI)
    return z * np.cos(theta) + 0.0065, z * np.sin(theta) + 0.006


def _bd09_to_gcj02_approx(lon: np.ndarray, lat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    x = lon - 0.0065
    y = lat - 0.006
    z = np.sqrt(x * x + y * y) - 0.00002 * np.sin(y * _X_PI)
    theta = np.arctan2(y, x) - 0.000003 * np.cos(x * _X_PI)
    return z * np.cos(theta), z * np.sin(theta)


Forward = Callable[[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]


def _invert(
    forward: Forward, lon: np.ndarray, lat: np.ndarray, start: tuple[np.ndarray, np.ndarray]
) -> tuple[np.ndarray, np.ndarray]:
    """Solve forward(x) = (lon, lat) for x by fixed-point iteration from `start`."""
    x_lon, x_lat = start
    for _ in range(_MAX_ITERATIONS):
        f_lon, f_lat = forward(x_lon, x_lat)
        err_lon = f_lon - lon
        err_lat = f_lat - lat
        x_lon = x_lon - err_lon
        x_lat = x_lat - err_lat
        worst = np.nanmax(np.abs(np.concatenate([err_lon.ravel(), err_lat.ravel(), [0.0]])))
        if worst < _TOLERANCE_DEG:
            break
    return x_lon, x_lat


def _gcj02_to_wgs84(lon: np.ndarray, lat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    return _invert(_wgs84_to_gcj02, lon, lat, start=(lon, lat))


def _bd09_to_gcj02(lon: np.ndarray, lat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    return _invert(_gcj02_to_bd09, lon, lat, start=_bd09_to_gcj02_approx(lon, lat))


_STEPS: dict[tuple[str, str], Forward] = {
    ("wgs84", "gcj02"): _wgs84_to_gcj02,
    ("gcj02", "wgs84"): _gcj02_to_wgs84,
    ("gcj02", "bd09"): _gcj02_to_bd09,
    ("bd09", "gcj02"): _bd09_to_gcj02,
}


def _convert_arrays(
    lon: np.ndarray, lat: np.ndarray, src: str, dst: str
) -> tuple[np.ndarray, np.ndarray]:
    path = {"wgs84": 0, "gcj02": 1, "bd09": 2}
    i, j = path[src], path[dst]
    step = 1 if j > i else -1
    for k in range(i, j, step):
        lon, lat = _STEPS[(CRS_NAMES[k], CRS_NAMES[k + step])](lon, lat)
    return lon, lat


@overload
def convert(lon: float, lat: float, src: str, dst: str) -> tuple[float, float]: ...
@overload
def convert(lon: np.ndarray, lat: np.ndarray, src: str, dst: str) -> tuple[np.ndarray, np.ndarray]: ...


def convert(lon, lat, src, dst):
    """Convert lon/lat between 'wgs84', 'gcj02' and 'bd09' (names or aliases).

    Scalars in give floats out; arrays (or sequences) give arrays of the same shape. NaN stays NaN.

    >>> lon, lat = convert(121.531541859215, 31.17530398364597, "gcj02", "wgs84")
    >>> round(lon, 7), round(lat, 7)
    (121.5272106, 31.1774276)
    >>> convert([121.4, float("nan")], [31.2, 31.2], "wgs84", "wgs84")[0].tolist()
    [121.4, nan]
    """
    src, dst = normalize_crs(src), normalize_crs(dst)
    scalar = np.ndim(lon) == 0 and np.ndim(lat) == 0
    lon_a = np.asarray(lon, dtype=float)
    lat_a = np.asarray(lat, dtype=float)
    if lon_a.shape != lat_a.shape:
        raise ValueError(f"lon and lat differ in shape: {lon_a.shape} vs {lat_a.shape}")
    if src != dst:
        lon_a, lat_a = _convert_arrays(lon_a, lat_a, src, dst)
    if scalar:
        return float(lon_a), float(lat_a)
    return lon_a, lat_a


def convert_geometry(geometry, src: str, dst: str):
    """Convert shapely geometries (one, an array, or a GeoSeries' values) between CRSs.

    Empty geometries and None pass through unchanged.

    >>> from shapely import Point
    >>> p = convert_geometry(Point(121.4186, 31.2183), "wgs84", "gcj02")
    >>> round(p.x - 121.4186, 4)
    0.0046
    >>> convert_geometry(None, "wgs84", "gcj02") is None
    True
    """
    src, dst = normalize_crs(src), normalize_crs(dst)
    if geometry is None or src == dst:
        return geometry

    def _transform(coords: np.ndarray) -> np.ndarray:
        lon, lat = _convert_arrays(coords[:, 0], coords[:, 1], src, dst)
        return np.column_stack([lon, lat])

    if isinstance(geometry, shapely.Geometry):
        return shapely.transform(geometry, _transform)
    if hasattr(geometry, "crs") and hasattr(geometry, "index"):  # a GeoSeries
        converted = shapely.transform(np.asarray(geometry.values, dtype=object), _transform)
        return type(geometry)(converted, index=geometry.index, crs=geometry.crs)
    return shapely.transform(np.asarray(geometry, dtype=object), _transform)
