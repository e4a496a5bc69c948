"""Spotting coordinates declared in one CRS that are really in another (GCJ-02 taken for WGS-84).

In Shanghai a GCJ-02 (AMap/Tencent) position lies about 480 m from the WGS-84 one, to the
east-south-east (around Changning GCJ-02 − WGS-84 ≈ +0.0046° lon, −0.0019° lat, as computed by
:func:`app.geo.crs.convert`), and a BD-09 (Baidu) one about 1.1 km off (+0.0111°, +0.0042°):
every row would be placed, none rejected, all of them wrong. The rows whose *name* also
matches a gazetteer place give a check: if most of them sit where the place is once their
coordinates are read in another CRS, and far from it as declared, the report warns and
suggests that CRS.

>>> from app.geo.crs import convert
>>> places = [(121.4110, 31.2121), (121.4186, 31.2183), (121.3752, 31.1961)]
>>> as_declared = [convert(lon, lat, "wgs84", "gcj02") for lon, lat in places]
>>> guess_crs_mixup(list(zip(as_declared, places)), "wgs84").suggested_crs
'gcj02'
>>> guess_crs_mixup(list(zip(places, places)), "wgs84") is None
True
>>> guess_crs_mixup([], "wgs84") is None
True
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from app.geo.crs import CRS_NAMES, convert
from app.io.report import ReportWarning

__all__ = ["FAR_M", "MIN_MATCHED", "NEAR_M", "SUSPECT_SHARE", "guess_crs_mixup"]

#: Fewest name-matched points the check needs before it says anything.
MIN_MATCHED = 3
#: A point this close to its named place (metres) sits on it.
NEAR_M = 150.0
#: A point this far from its named place (metres) as declared counts against the declared CRS.
FAR_M = 300.0
#: Share of the name-matched points that must favour another CRS for the warning.
SUSPECT_SHARE = 2 / 3

_M_PER_DEG_LAT = 110_574.0
_M_PER_DEG_LON_EQUATOR = 111_320.0

Pair = tuple[tuple[float, float], tuple[float, float]]


def _metres(lon: np.ndarray, lat: np.ndarray, lon0: np.ndarray, lat0: np.ndarray) -> np.ndarray:
    """Approximate ground distances (equirectangular; ample for telling 0 m from 500 m)."""
    dx = (lon - lon0) * _M_PER_DEG_LON_EQUATOR * np.cos(np.radians(lat0))
    dy = (lat - lat0) * _M_PER_DEG_LAT
    return np.hypot(dx, dy)


def guess_crs_mixup(pairs: Sequence[Pair], declared: str) -> ReportWarning | None:
    """A warning when the points of `pairs` fit their named places in another CRS than `declared`.

    `pairs` holds, per row whose name matched a gazetteer place: (the row's point as imported,
    i.e. converted from `declared` to WGS-84; the place's WGS-84 point). Only 'wgs84', 'gcj02'
    and 'bd09' are compared; a projected `declared` CRS gives None.

    >>> guess_crs_mixup([((121.41, 31.21), (121.41, 31.21))] * 5, "EPSG:32651") is None
    True
    """
    if declared not in CRS_NAMES or len(pairs) < MIN_MATCHED:
        return None
    placed = np.array([p for p, _ in pairs], dtype=float)
    truth = np.array([t for _, t in pairs], dtype=float)
    here = _metres(placed[:, 0], placed[:, 1], truth[:, 0], truth[:, 1])
    raw_lon, raw_lat = convert(placed[:, 0], placed[:, 1], "wgs84", declared)  # as in the file
    for other in (c for c in CRS_NAMES if c != declared):
        lon, lat = convert(raw_lon, raw_lat, other, "wgs84")
        there = _metres(lon, lat, truth[:, 0], truth[:, 1])
        favour = (there <= NEAR_M) & (here >= FAR_M)
        if favour.sum() >= max(MIN_MATCHED, math.ceil(SUSPECT_SHARE * len(pairs))):
            offset = float(np.median(here[favour]))
            return ReportWarning(
                "crs-mixup",
                f"{int(favour.sum())} of the {len(pairs)} rows whose name matches a gazetteer place "
                f"sit a median {offset:.0f} m from it as {declared}, but on it when their "
                f"coordinates are read as {other}: the file is probably in {other}. Import it "
                f"again with --crs {other} (or choose {other} on the import page).",
                suggested_crs=other)
    return None
