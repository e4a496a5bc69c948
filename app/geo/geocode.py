"""Geocoding: turn geometry recipes into WGS-84 geometries with provenance.

Geometry is built in WGS-84; anything metric (buffers, hulls, linear referencing) is done in
``app.geo.crs.METRIC_CRS`` and brought back. Every result carries the provenance of the places it
was made from: their sources, source CRSs, the method, and the weakest confidence among them.

>>> from shapely import Point
>>> places = {"a": Place("a", "甲", "A", "park", Point(121.40, 31.21), "ref.csv", "gcj02",
...                      "gcj02→wgs84 conversion", "medium")}
>>> geom, prov = resolve(Recipe(kind="ref", refs=("a",)), places)
>>> geom.wkt, prov["pos_source_crs"], prov["pos_confidence"], prov["uncertainty_m"]
('POINT (121.4 31.21)', 'gcj02', 'medium', 150.0)
>>> resolve(Recipe(kind="none"), places)[1]["uncertainty_m"] is None
True

Every result carries ``uncertainty_m`` (:mod:`app.geo.uncertainty`): the places' own radii,
grown by a buffer (a sketch of that size), by the reach of an area whose representative point
stands for it (``within``), or the address rules; a recipe's stated ``uncertainty_m`` is a floor.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import shapely
from shapely import LineString, MultiPoint, Point, box
from shapely.geometry.base import BaseGeometry
from shapely.ops import substring

from app.domain.model import Recipe
from app.errors import GeocodeError, UnknownCRSError
from app.geo.crs import METRIC_CRS, convert_geometry, normalize_crs, transformer
from app.geo.gazetteer import CONFIDENCES, DISTRICT_ID, DerivedPlace, Place
from app.geo.housenumbers import AddressBook
from app.geo.uncertainty import ADDRESS_M, INTERPOLATED_M, MARKER_M, reach_m, rounded_m

__all__ = ["NO_POSITION", "resolve", "resolve_derived", "to_metric", "to_wgs84"]

#: The provenance columns of a project without a position.
NO_POSITION: dict[str, object] = {"pos_source": "", "pos_source_crs": "", "pos_method": "none",
                                  "pos_confidence": "none", "pos_refs": [], "uncertainty_m": None}


#: Recipes whose shape is a sketch built from reference points, whatever those points' quality.
_SCHEMATIC = ("line", "hull", "within")


def _reproject(geometry: BaseGeometry, src: str, dst: str) -> BaseGeometry:
    t = transformer(src, dst)
    return shapely.transform(geometry, lambda xy: np.column_stack(t.transform(xy[:, 0], xy[:, 1])))


def to_metric(geometry: BaseGeometry) -> BaseGeometry:
    """WGS-84 geometry -> the metric CRS (metres)."""
    return _reproject(geometry, "EPSG:4326", METRIC_CRS)


def to_wgs84(geometry: BaseGeometry) -> BaseGeometry:
    """Metric-CRS geometry -> WGS-84 lon/lat."""
    return _reproject(geometry, METRIC_CRS, "EPSG:4326")


def _weakest(confidences: list[str]) -> str:
    return max(confidences, key=CONFIDENCES.index) if confidences else "none"


def _unique(values: list[str]) -> list[str]:
    return list(dict.fromkeys(v for v in values if v))


def _place(places: Mapping[str, Place], pid: str, where: str) -> Place:
    if pid not in places:
        raise GeocodeError(f"{where}: unknown place reference {pid!r}")
    place = places[pid]
    if not place.located:
        raise GeocodeError(
            f"{where}: place {pid!r} has no position ({place.note or 'confidence none'}); "
            "mark the entry 'unlocated' instead"
        )
    return place


def _point(places: Mapping[str, Place], pid: str, where: str) -> Point:
    geom = _place(places, pid, where).geometry
    if not isinstance(geom, Point):
        raise GeocodeError(f"{where}: {pid!r} is a {geom.geom_type}, but this recipe needs a point")
    return geom


def _along(recipe: Recipe, places: Mapping[str, Place], where: str) -> BaseGeometry:
    line = _place(places, recipe.line, where).geometry
    if not isinstance(line, LineString):
        raise GeocodeError(f"{where}: {recipe.line!r} is a {line.geom_type}, along needs a line")
    line_m = to_metric(line)
    start, end = (line_m.project(to_metric(_point(places, pid, where))) for pid in recipe.refs)
    if start > end:  # stations given against the line's direction: measure from the first anyway
        line_m = line_m.reverse()
        start, end = line_m.length - start, line_m.length - end
    length = end - start
    lo = 0.0 if recipe.from_m is None else recipe.from_m
    hi = length if recipe.to_m is None else recipe.to_m
    if not 0 <= lo < hi <= length + 0.5:
        raise GeocodeError(
            f"{where}: along {recipe.refs[0]!r}–{recipe.refs[1]!r} is {length:.0f} m long; "
            f"from_m={lo:g} to_m={hi:g} must satisfy 0 <= from_m < to_m <= {length:.0f}"
        )
    return to_wgs84(substring(line_m, start + lo, start + min(hi, length)))


def _describe(recipe: Recipe) -> str:
    refs = ", ".join(recipe.refs)
    if recipe.kind == "ref":
        return f"gazetteer place {refs}"
    if recipe.kind == "line":
        return f"line through gazetteer places {refs}"
    if recipe.kind == "hull":
        return f"convex hull of gazetteer places {refs} grown by {recipe.buffer_m:g} m"
    if recipe.kind == "within":
        return f"approximate centre (representative point) of {refs}"
    if recipe.kind == "point":
        return f"explicit coordinates, {recipe.crs}→wgs84 conversion"
    span = "whole stretch" if recipe.from_m is None and recipe.to_m is None else (
        f"{recipe.from_m or 0:g}–{'end' if recipe.to_m is None else f'{recipe.to_m:g}'} m")
    return f"linear reference along {recipe.line}: segment {refs}, {span}"


def _address(recipe: Recipe, places: Mapping[str, Place], addresses: AddressBook | None,
             where: str) -> tuple[BaseGeometry, dict[str, object]]:
    """An ``address`` recipe placed from the known house numbers (exact or interpolated)."""
    from app.geo.address import parse_road_address  # address.py imports this module

    parsed = parse_road_address(recipe.address)
    if parsed is None or parsed.number is None:
        raise GeocodeError(f"{where}: {recipe.address!r} is not an address '<road><number>号'")
    road = next((p for p in places.values() if p.kind == "road" and p.name_zh == parsed.road
                 and p.located), None)
    hit = (addresses or AddressBook(())).locate(parsed.road, parsed.number, parsed.lane,
                                                road.geometry if road else None)
    if hit is None:
        raise GeocodeError(f"{where}: address {recipe.address!r} is neither a known address nor "
                           "bracketed by two known house numbers on its road")
    method = (f"address: {hit.note}" if hit.method == "address"
              else f"address-interpolated: {hit.note}")
    refs = [road.id] if road is not None and hit.method != "address" else []
    radius = ADDRESS_M if hit.method == "address" else INTERPOLATED_M
    return hit.point, {"pos_source": hit.source, "pos_source_crs": "wgs84", "pos_method": method,
                       "pos_confidence": "medium" if hit.method == "address" else "low",
                       "pos_refs": refs, "uncertainty_m": rounded_m(max(radius, recipe.uncertainty_m))}


def resolve(
    recipe: Recipe, places: Mapping[str, Place], where: str = "recipe",
    addresses: AddressBook | None = None,
) -> tuple[BaseGeometry | None, dict[str, object]]:
    """Resolve a recipe into (WGS-84 geometry or None, provenance columns).

    ``address`` recipes are placed from `addresses` (the known house numbers). Raises
    GeocodeError naming `where` when a reference is unknown, has no position, or has the wrong
    geometry type for the recipe, or when an address cannot be placed.
    """
    if recipe.kind == "address":
        return _address(recipe, places, addresses, where)
    if recipe.kind == "none":
        return None, dict(NO_POSITION)
    if recipe.kind == "point":
        try:
            crs = normalize_crs(recipe.crs or "")
        except UnknownCRSError as exc:
            raise GeocodeError(f"{where}: {exc}") from exc
        geom = convert_geometry(Point(recipe.lon, recipe.lat), crs, "wgs84")
        return geom, {"pos_source": recipe.source, "pos_source_crs": crs,
                      "pos_method": _describe(recipe), "pos_confidence": "medium", "pos_refs": [],
                      "uncertainty_m": rounded_m(recipe.uncertainty_m or MARKER_M)}
    used = [_place(places, pid, where) for pid in recipe.place_refs()]
    if recipe.kind == "ref":
        geom = used[0].geometry
    elif recipe.kind == "line":
        geom = LineString([_point(places, pid, where) for pid in recipe.refs])
    elif recipe.kind == "hull":
        pts = to_metric(MultiPoint([_point(places, pid, where) for pid in recipe.refs]))
        geom = to_wgs84(pts.convex_hull.buffer(recipe.buffer_m, quad_segs=4))
    elif recipe.kind == "within":
        geom = used[0].geometry.representative_point()
    else:
        geom = _along(recipe, places, where)
    if recipe.buffer_m and recipe.kind == "ref":
        grown = to_wgs84(to_metric(geom).buffer(recipe.buffer_m, quad_segs=8))
        if recipe.side:  # east of the place's meridian (lon/lat: the grid of UTM is turned)
            grown = grown.intersection(_half(grown, geom.representative_point(), recipe.side))
        geom = grown
    if recipe.clip_to_district:
        district = _place(places, DISTRICT_ID, where).geometry
        geom = geom.intersection(district)
        if isinstance(geom, shapely.MultiLineString):
            geom = shapely.line_merge(geom)
    provenance = {
        "pos_source": "; ".join(_unique([p.source for p in used])),
        "pos_source_crs": ",".join(_unique([p.source_crs or "" for p in used])),
        "pos_method": _describe(recipe),
        "pos_confidence": _weakest([p.confidence for p in used] + (
            ["low"] if recipe.kind in _SCHEMATIC or recipe.buffer_m else [])),
        "pos_refs": [p.id for p in used],
        "uncertainty_m": _uncertainty(recipe, used),
    }
    return geom, provenance


def _half(shape: BaseGeometry, centre: Point, side: str) -> BaseGeometry:
    """The box covering `shape` on `side` (east, west, north, south) of `centre`."""
    x0, y0, x1, y1 = shape.bounds
    return {"east": box(centre.x, y0, x1, y1), "west": box(x0, y0, centre.x, y1),
            "north": box(x0, centre.y, x1, y1), "south": box(x0, y0, x1, centre.y)}[side]


def _uncertainty(recipe: Recipe, used: list[Place]) -> float:
    """The radius of a recipe's result from the places it used (see the module docstring)."""
    own = max((p.uncertainty_m or 0.0 for p in used), default=0.0)
    if recipe.kind in ("ref", "hull"):
        derived = own + recipe.buffer_m
    elif recipe.kind == "within":
        area = to_metric(used[0].geometry)
        derived = own + reach_m(area, area)
    else:  # line, along: as good as the points and lines they join
        derived = own
    return rounded_m(max(derived, recipe.uncertainty_m))


def resolve_derived(derived: list[DerivedPlace], places: Mapping[str, Place]) -> dict[str, Place]:
    """Resolve derived places in order; each may use the ones before it. Returns all places."""
    resolved = dict(places)
    for d in derived:
        where = f"derived place {d.id!r}"
        if d.id in resolved:
            raise GeocodeError(f"{where}: id already used by the gazetteer")
        geom, prov = resolve(d.recipe, resolved, where)
        confidence = _weakest([d.confidence, str(prov["pos_confidence"])])
        resolved[d.id] = Place(
            id=d.id, name_zh=d.name_zh, name_en=d.name_en, kind=d.kind, geometry=geom,
            source=str(prov["pos_source"]), source_crs=str(prov["pos_source_crs"]) or None,
            method=f"derived: {prov['pos_method']}", confidence=confidence, aliases=d.aliases,
            note=d.note, uncertainty_m=max(float(prov["uncertainty_m"] or 0.0), d.uncertainty_m),
        )
    return resolved
