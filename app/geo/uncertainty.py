"""How wrong a position may be: ``uncertainty_m``, derived from how the position was made.

Every drawn position carries ``uncertainty_m``: the distance in metres within which the true
position is expected to lie from what is drawn (around a point: a radius; beside a line or an
outline: how far the true line or edge may lie from the drawn one). It is never typed in for a
gazetteer place or a register entry: it follows from the kind of source and the method, by the
rules below (the same table is in ``geodata/README.md``). A recipe or a derived place may state
a larger value (``uncertainty_m = N``) where its note says why; a stated value never lowers the
derived one.

==========================================  ====================================================
how the position was made                   uncertainty_m
==========================================  ====================================================
a metro station POI (Baidu 2017, AMap map)  :data:`STATION_M`: a POI marks the station, whose
                                            platforms are 140–180 m long
a station placed at its interchange partner :data:`INTERCHANGE_M`: the other line's platform may
                                            lie a few hundred metres away
a marker of a named place (AMap 2019)       :data:`MARKER_M` (a park: :data:`PARK_MARKER_M`)
a road sketched through bus stops           :data:`BUS_STOP_SKETCH_M`: kerbside stops lie
                                            10–30 m off the centreline
a road sketched through house numbers       :data:`HOUSE_SKETCH_M`: buildings stand 20–100 m
                                            back from the road
a track line of a line query                :data:`TRACK_M`
an outline loaded from a file               :data:`OUTLINE_M`
a known house number (address point)        :data:`ADDRESS_M`: 90 % of the POIs that give one
                                            address lie within 78 m of its point
a house number interpolated between two     :data:`INTERPOLATED_M`: the 90th percentile of the
known numbers                               out-of-sample error (docs/import.md)
a road-level geocode's representative point :func:`reach_m` of the road plus its own
a planner's drawing or uploaded outline     :data:`DRAWN_M`
coordinates or a geometry in an imported    :data:`FILE_M`
file
a field check with a device accuracy        that accuracy (at least :data:`MIN_M`)
a field check typed or tapped, no accuracy  :data:`FIELD_UNKNOWN_M`
==========================================  ====================================================

>>> place_uncertainty_m("metro_station", "bd09→wgs84 conversion")
100.0
>>> place_uncertainty_m("subdistrict", "none") is None
True
"""

from __future__ import annotations

import math

from shapely.geometry.base import BaseGeometry

__all__ = [
    "ADDRESS_M",
    "BUS_STOP_SKETCH_M",
    "DRAWN_M",
    "FILE_M",
    "FIELD_UNKNOWN_M",
    "HOUSE_SKETCH_M",
    "INTERCHANGE_M",
    "INTERPOLATED_M",
    "MARKER_M",
    "MIN_M",
    "OUTLINE_M",
    "PARK_MARKER_M",
    "STATION_M",
    "TRACK_M",
    "field_uncertainty_m",
    "place_uncertainty_m",
    "reach_m",
    "rounded_m",
]

#: The smallest radius stored: nothing here is surveyed to better than a metre.
MIN_M = 1.0
#: A metro station's POI (one marker for a station whose platforms are 140–180 m long).
STATION_M = 100.0
#: A station placed at the position of its interchange partner on another line.
INTERCHANGE_M = 300.0
#: A map marker of a building-scale named place (two independent markers of one place lie a
#: median 25 m apart).
MARKER_M = 50.0
#: A map marker of a park or a creative park: it stands anywhere on a site of that size.
PARK_MARKER_M = 150.0
#: A road sketched through bus stops: kerbside stops lie 10–30 m off the centreline.
BUS_STOP_SKETCH_M = 30.0
#: A road sketched through house numbers: buildings stand 20–100 m back from the road.
HOUSE_SKETCH_M = 100.0
#: A track line from a map service's line query.
TRACK_M = 20.0
#: An outline loaded from a planner's or an analyst's file, taken as drawn.
OUTLINE_M = 10.0
#: A known house number: 90 % of the POIs giving one address lie within 78 m of its point.
ADDRESS_M = 80.0
#: A house number interpolated between two known ones: the 90th percentile of the error of
#: interpolated addresses in the out-of-sample evaluation (geodata/scripts/address_kfold.py;
#: the figures are in docs/import.md).
INTERPOLATED_M = 250.0
#: A planner's drawing on the map (or an uploaded site outline).
DRAWN_M = 10.0
#: Coordinates or a geometry given in an imported file, taken as given.
FILE_M = 10.0
#: A field position typed or tapped on a phone map, without a device accuracy.
FIELD_UNKNOWN_M = 30.0

_PARKS = ("park", "creative_park")
_OUTLINES = ("unit", "parcel", "subdistrict", "district", "zone")


def rounded_m(value: float) -> float:
    """A radius rounded up to whole metres, at least :data:`MIN_M`.

    >>> rounded_m(0.2), rounded_m(118.01)
    (1.0, 119.0)
    """
    return max(MIN_M, float(math.ceil(value - 1e-9)))


def place_uncertainty_m(kind: str, method: str) -> float | None:
    """The radius of a gazetteer place from its kind and the method that made it; None for a
    place without a position (method ``none``).

    >>> place_uncertainty_m("road", "bus-stop sketch: 5 stop points")
    30.0
    >>> place_uncertainty_m("park", "gcj02→wgs84 conversion"), place_uncertainty_m("mall", "x")
    (150.0, 50.0)
    """
    if method == "none":
        return None
    if kind == "metro_station":
        return INTERCHANGE_M if method.startswith("interchange") else STATION_M
    if kind == "road":
        return HOUSE_SKETCH_M if method.startswith("house-number") else BUS_STOP_SKETCH_M
    if kind == "metro_line":
        return TRACK_M
    if kind in _OUTLINES:
        return OUTLINE_M
    return PARK_MARKER_M if kind in _PARKS else MARKER_M


def reach_m(geometry: BaseGeometry, metric: BaseGeometry | None = None) -> float:
    """How far the farthest part of `geometry` lies from its representative point, in metres.

    `metric` is the same geometry in a metric CRS (pass it when you have it; otherwise the
    geometry is taken to be metric already). A point reaches 0 m.

    >>> from shapely import LineString, Point
    >>> reach_m(LineString([(0, 0), (300, 0)])), reach_m(Point(5, 5))  # a line: its first vertex
    (300.0, 0.0)
    """
    shape = metric if metric is not None else geometry
    if shape.is_empty or shape.geom_type == "Point":
        return 0.0
    return float(shape.hausdorff_distance(shape.representative_point()))


def field_uncertainty_m(accuracy_m: float | None) -> float:
    """A field check's radius: the device's accuracy, or :data:`FIELD_UNKNOWN_M` without one.

    >>> field_uncertainty_m(12.4), field_uncertainty_m(None), field_uncertainty_m(float("nan"))
    (13.0, 30.0, 30.0)
    """
    if accuracy_m is None or not math.isfinite(accuracy_m) or accuracy_m < 0:
        return FIELD_UNKNOWN_M
    return rounded_m(accuracy_m)

