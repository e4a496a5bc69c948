"""Is this a usable position? One set of rules for every way a position reaches the atlas.

Positions arrive as a geometry from an imported register (in a declared CRS, sometimes
projected metres), as a ``(lon, lat)`` pair from a field worker's phone or keyboard (WGS-84,
GCJ-02 or BD-09), or as the WGS-84 pair a navigation link is built from. :func:`check_position`
takes any of them to WGS-84 and says what is wrong, in this order:

1. not numbers, not finite, empty or self-intersecting: ``not-a-number`` / ``invalid-geometry``;
2. metres declared as degrees (a number of 1000 or more): ``projected-as-degrees``; degrees
   declared as a projected CRS: ``degrees-as-projected``;
3. x and y exchanged (``swapped``): in degrees, when the exchanged reading lies in China and
   the given one does not; in metres, when the exchanged reading lies in the district and the
   given one does not. What happens then is the caller's explicit choice, ``fix_swaps``:
   an import fixes the swap and records a ``fixed`` problem (the file is data to repair, and the
   report says so); a field position is refused, so the worker re-enters it (a swapped phone
   reading means something else went wrong too);
4. numbers that are not a position at all: ``out-of-range``;
5. more than `tolerance_m` outside the district, when one is given: ``outside-district``; the
   message names the distance and, for numbers that would fit another Chinese CRS, that CRS.

Nothing is corrected silently: every fix and refusal is a :class:`~app.geo.coords.Problem`.
:meth:`PositionCheck.lonlat` turns a refused check into a ``PositionError`` for callers that
stop at the first problem.

>>> check_position((121.4186, 31.2183), fix_swaps=False).lonlat()
(121.4186, 31.2183)
>>> check_position((31.2183, 121.4186), fix_swaps=True).problems[0].action
'fixed'
>>> check_position((31.2183, 121.4186), fix_swaps=False).lonlat()
Traceback (most recent call last):
...
app.errors.PositionError: lon=31.2183, lat=121.4186 look swapped: latitude must lie within ±90°; in China the longitude is the larger number, so did you mean lon=121.4186, lat=31.2183? Please re-enter the position; the atlas does not swap it for you.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from numbers import Real

import numpy as np
import shapely
from shapely import Point
from shapely.geometry.base import BaseGeometry

from app.domain.i18n import STRINGS
from app.domain.messages import keyed
from app.errors import PositionError
from app.geo.coords import Problem, SourceCRS, parse_source_crs
from app.geo.crs import CRS_NAMES, convert_geometry, out_of_china, transformer
from app.geo.district import distance_outside

__all__ = ["FIELD_TOLERANCE_M", "PositionCheck", "check_position"]

#: How far outside the district outline a field position may lie before it is refused (metres).
#: Wider than ``app.data.atlas.PROJECT_TOLERANCE_M`` (300 m): a phone's fix in a street canyon can be
#: off by 100 m or more, and a worker checking a border project may stand across the border road.
FIELD_TOLERANCE_M = 500.0

# Magnitudes at or above this cannot be degrees: they are metres (or feet) of a projected CRS.
_PROJECTED_MAGNITUDE = 1000.0


@dataclass(frozen=True)
class PositionCheck:
    """Outcome of :func:`check_position`: a WGS-84 geometry (None when refused) and problems."""

    geometry: BaseGeometry | None
    problems: tuple[Problem, ...] = ()

    @property
    def rejected(self) -> bool:
        """True when the position was refused."""
        return self.geometry is None

    @property
    def fixed(self) -> bool:
        """True when the position was kept after a recorded fix."""
        return self.geometry is not None and any(p.action == "fixed" for p in self.problems)

    def lonlat(self) -> tuple[float, float]:
        """The WGS-84 point as ``(lon, lat)``; PositionError with the problems when refused.

        >>> PositionCheck(Point(121.4, 31.2)).lonlat()
        (121.4, 31.2)
        >>> PositionCheck(None, (Problem("out-of-range", "rejected", "lon=400 is not a position"),)).lonlat()
        Traceback (most recent call last):
        ...
        app.errors.PositionError: lon=400 is not a position
        """
        if self.geometry is None:
            refused = [p for p in self.problems if p.action == "rejected"]
            message = "; ".join(p.message for p in refused)
            key = f"err.position_{refused[0].code}" if refused else "err.position"
            raise keyed(PositionError, key if key in STRINGS else "err.position", en_message=message)
        if self.geometry.geom_type != "Point":
            raise PositionError(f"a {self.geometry.geom_type} is not a single position")
        return float(self.geometry.x), float(self.geometry.y)


def _fmt(geometry: BaseGeometry) -> str:
    """A geometry quoted in a message: a point by its numbers, anything else by its bounds."""
    if geometry.geom_type == "Point":
        return f"({geometry.x:g}, {geometry.y:g})"
    minx, miny, maxx, maxy = geometry.bounds
    return f"{geometry.geom_type} with bounds ({minx:g}, {miny:g}, {maxx:g}, {maxy:g})"


def _distance_text(metres: float) -> str:
    """'1200 m' below 10 km, '11.3 km' above."""
    return f"{metres:.0f} m" if metres < 10_000 else f"{metres / 1000:.1f} km"


def _in_degree_range(coords: np.ndarray) -> bool:
    return bool(np.all(np.abs(coords[:, 0]) <= 180) and np.all(np.abs(coords[:, 1]) <= 90))


def _in_china(coords: np.ndarray) -> bool:
    """True when every vertex is a lon/lat inside the GCJ-02 rectangle."""
    return _in_degree_range(coords) and not np.any(out_of_china(coords[:, 0], coords[:, 1]))


def _swap(geometry: BaseGeometry) -> BaseGeometry:
    return shapely.transform(geometry, lambda xy: xy[:, ::-1])


def _to_wgs84(geometry: BaseGeometry, crs: SourceCRS) -> BaseGeometry:
    """Bring `geometry` from `crs` to WGS-84 lon/lat (non-finite where it cannot)."""
    if crs.name in CRS_NAMES:
        return convert_geometry(geometry, crs.name, "wgs84")
    t = transformer(crs.name, "EPSG:4326")
    return shapely.transform(geometry, lambda xy: np.column_stack(t.transform(xy[:, 0], xy[:, 1])))


def _refuse(code: str, message: str) -> PositionCheck:
    return PositionCheck(None, (Problem(code, "rejected", message),))


def _pair(position: tuple[object, object]) -> tuple[Point | None, str, Problem | None]:
    """A (lon, lat) pair as a Point and its label, or the problem with its numbers."""
    lon, lat = position
    for name, value in (("lon", lon), ("lat", lat)):
        if isinstance(value, bool | np.bool_) or not isinstance(value, Real | np.floating):
            return None, "", Problem("not-a-number", "rejected",
                                     f"{name} must be a number, got {type(value).__name__} {value!r}")
    lon, lat = float(lon), float(lat)
    for name, value in (("lon", lon), ("lat", lat)):
        if not math.isfinite(value):
            return None, "", Problem("invalid-geometry", "rejected",
                                     f"{name} must be a finite number, got {value!r}")
    return Point(lon, lat), f"lon={lon!r}, lat={lat!r}", None


def _geometry_problem(geometry: BaseGeometry | None) -> str | None:
    """Why `geometry` is not a geometry to check (empty, non-finite, invalid), or None."""
    if geometry is None or geometry.is_empty:
        return "the geometry is empty"
    if not np.all(np.isfinite(shapely.get_coordinates(geometry))):
        return f"the geometry has non-finite numbers: {_fmt(geometry)}"
    if not shapely.is_valid(geometry):
        return f"invalid {geometry.geom_type}: {shapely.is_valid_reason(geometry)}"
    return None


def _swap_reason(coords: np.ndarray, crs: SourceCRS, geometry: BaseGeometry,
                 district_m: BaseGeometry | None, tolerance_m: float) -> str | None:
    """Why x and y look exchanged (see the module's rule 3), or None when they do not."""
    swapped = coords[:, ::-1]
    if not crs.projected:
        if _in_china(swapped) and not _in_china(coords):
            return ("latitude must lie within ±90°" if not _in_degree_range(coords)
                    else "as given the point lies outside China, exchanged it lies inside")
        return None
    if district_m is None:
        return None
    if (distance_outside(_to_wgs84(geometry, crs), district_m) > tolerance_m
            and distance_outside(_to_wgs84(_swap(geometry), crs), district_m) <= tolerance_m):
        return "as given it lies outside the district, exchanged inside"
    return None


def _swap_refused(label: str, geometry: BaseGeometry, swapped: BaseGeometry, why: str,
                  is_pair: bool) -> PositionCheck:
    """The refusal of a swapped position, with the reading the user probably meant."""
    if is_pair:
        meant = f"lon={swapped.x!r}, lat={swapped.y!r}"
        what = f"{label} look swapped"
    else:
        meant, what = _fmt(swapped), f"x and y of {label} look swapped"
    return _refuse("swapped", f"{what}: {why}; in China the longitude is the larger number, so did "
                              f"you mean {meant}? Please re-enter the position; the atlas does not "
                              "swap it for you.")


def _crs_hint(geometry: BaseGeometry, crs: SourceCRS, district_m: BaseGeometry,
              tolerance_m: float) -> str:
    """'; if these are gcj02 coordinates, say so' when another Chinese CRS would fit."""
    if crs.name not in CRS_NAMES:
        return ""
    for other in CRS_NAMES:
        if other != crs.name and distance_outside(
                convert_geometry(geometry, other, "wgs84"), district_m) <= tolerance_m:
            return f"; if these are {other} coordinates, say so (crs='{other}')"
    return ""


def _checked_arguments(crs: str | SourceCRS, district_m: BaseGeometry | None, fix_swaps: bool,
                       tolerance_m: float) -> tuple[SourceCRS, float]:
    """The CRS as a SourceCRS and the tolerance as a float, or the error naming the bad argument."""
    if not isinstance(fix_swaps, bool):
        raise TypeError(f"fix_swaps must be True or False, got {fix_swaps!r}")
    source = crs if isinstance(crs, SourceCRS) else parse_source_crs(crs)
    if isinstance(tolerance_m, bool) or not isinstance(tolerance_m, Real) or not (
            0 <= float(tolerance_m) < math.inf):
        raise PositionError(f"tolerance_m must be a finite number >= 0, got {tolerance_m!r}")
    if district_m is not None and (not isinstance(district_m, BaseGeometry) or district_m.is_empty):
        raise PositionError(f"district_m must be a non-empty shapely geometry (in METRIC_CRS), got "
                            f"{type(district_m).__name__}")
    return source, float(tolerance_m)


def check_position(position: BaseGeometry | tuple[float, float] | None,
                   crs: str | SourceCRS = "wgs84", district_m: BaseGeometry | None = None, *,
                   fix_swaps: bool, tolerance_m: float = 0.0) -> PositionCheck:
    """Check a position given in `crs` and bring it to WGS-84, or refuse it, with problems.

    `position` is a shapely geometry or a ``(lon, lat)`` pair of numbers. `crs` is a
    :class:`~app.geo.coords.SourceCRS` or any text :func:`~app.geo.coords.parse_source_crs`
    reads ('wgs84', 'amap', 'EPSG:32651'; UnknownCRSError otherwise). `district_m` is the
    district outline in ``app.geo.crs.METRIC_CRS``; when given, a position may lie up to
    `tolerance_m` metres outside it. `fix_swaps` says what to do with exchanged x and y:
    True fixes them with a ``fixed`` problem (imports), False refuses them (field positions).
    The rules and problem codes are listed in this module's docstring.

    >>> from shapely import box
    >>> from app.geo.geocode import to_metric
    >>> district_m = to_metric(box(121.35, 31.18, 121.45, 31.24))
    >>> lon, lat = check_position((121.423243, 31.216453), "gcj02", district_m, fix_swaps=False).lonlat()
    >>> round(lon, 4), round(lat, 4)  # AMap numbers in, WGS-84 out
    (121.4186, 31.2183)
    >>> check_position(Point(31.21, 121.40), "wgs84", district_m, fix_swaps=True).geometry.wkt
    'POINT (121.4 31.21)'
    >>> check_position((2.35, 48.85), fix_swaps=False).lonlat()  # outside China, no district
    (2.35, 48.85)
    >>> check_position((121.65, 31.23), district_m=district_m, fix_swaps=False).problems[0].message
    'lon=121.65, lat=31.23 (wgs84) lies 19.1 km outside the district (tolerance 0 m)'
    >>> check_position((121.48, 31.21), district_m=district_m, fix_swaps=False, tolerance_m=500).lonlat()
    Traceback (most recent call last):
    ...
    app.errors.PositionError: lon=121.48, lat=31.21 (wgs84) lies 2858 m outside the district (tolerance 500 m)
    >>> check_position((float("nan"), 31.2), fix_swaps=False).problems[0].message
    'lon must be a finite number, got nan'
    >>> check_position(Point(350000, 3450000), "wgs84", fix_swaps=True).problems[0].code
    'projected-as-degrees'
    """
    source, tolerance = _checked_arguments(crs, district_m, fix_swaps, tolerance_m)
    is_pair = isinstance(position, tuple | list)
    if is_pair:
        if len(position) != 2:
            raise TypeError(f"a position pair is (lon, lat), got {len(position)} values")
        geometry, label, problem = _pair(position)
        if problem is not None:
            return PositionCheck(None, (problem,))
    elif position is None or isinstance(position, BaseGeometry):
        geometry = position
        why = _geometry_problem(geometry)
        if why is not None:
            return _refuse("invalid-geometry", why)
        label = _fmt(geometry)
    else:
        raise TypeError(f"position must be a shapely geometry or a (lon, lat) pair, got "
                        f"{type(position).__name__}")
    coords = shapely.get_coordinates(geometry)
    if not source.projected and float(np.abs(coords).max()) >= _PROJECTED_MAGNITUDE:
        return _refuse("projected-as-degrees",
                       f"{label} cannot be degrees ({source.label} was declared): these look like "
                       "metres of a projected CRS; declare its EPSG code (e.g. EPSG:32651) and "
                       "import again")
    if source.projected and _in_degree_range(coords):
        return _refuse("degrees-as-projected",
                       f"{label} looks like degrees, but {source.label} (projected, metres) was "
                       "declared; declare wgs84, gcj02 or bd09 instead")
    problems: tuple[Problem, ...] = ()
    reading = geometry
    why = _swap_reason(coords, source, geometry, district_m, tolerance)
    if why is not None:
        swapped = _swap(geometry)
        if not fix_swaps:
            return _swap_refused(label, geometry, swapped, why, is_pair)
        reading = swapped
        problems = (Problem("swapped", "fixed",
                            f"x and y exchanged: {label} read as {_fmt(swapped)} ({why})"),)
    elif not source.projected and not _in_degree_range(coords):
        return _refuse("out-of-range", f"{label} is not a position: longitude must lie within "
                                       "±180° and latitude within ±90°")
    wgs = _to_wgs84(reading, source)
    if district_m is None:
        return PositionCheck(wgs, problems)
    outside = distance_outside(wgs, district_m)
    if outside <= tolerance:
        return PositionCheck(wgs, problems)
    where = (f"lies {_distance_text(outside)} outside the district" if math.isfinite(outside)
             else "cannot be converted to WGS-84")
    read = ", read with x and y exchanged," if problems else ""
    hint = _crs_hint(reading, source, district_m, tolerance) if math.isfinite(outside) else ""
    return _refuse("outside-district",
                   f"{label} ({source.label}){read} {where} (tolerance {tolerance:.0f} m){hint}")
