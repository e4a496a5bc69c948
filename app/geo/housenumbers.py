"""Known house numbers on Changning's roads, and addresses placed from them.

``geodata/addresses.geojson`` (built by ``geodata/scripts/build_streets.py`` from AMap POIs of
c. 2020) holds one point per distinct address ``<road><n>号`` or lane ``<road><n>弄``. An
:class:`AddressBook` answers :meth:`AddressBook.locate`:

- ``address``: the address is known exactly -> its point (precision ``site``, score 1.0);
- ``address-interpolated``: two known house numbers on the same road bracket it -> a point
  between them, measured along the road's sketch when one is given (straight between them
  otherwise), keeping each neighbour's offset from the sketch so that the side of the road is
  kept. Neighbours of the same parity (odd and even sides) are preferred when both exist.
  Precision ``street``; the score falls with the gap between the neighbours' numbers.
- ``None``: nothing known brackets it (the caller falls back to the road).

Lanes (…弄) take part only in exact matches: a lane's point stands deep in its block.

>>> from shapely import Point
>>> book = AddressBook([KnownAddress("甲路1号", "甲路", "1", 1, False, Point(121.40, 31.20)),
...                     KnownAddress("甲路21号", "甲路", "21", 21, False, Point(121.41, 31.20))])
>>> hit = book.locate("甲路", "11")
>>> hit.method, round(hit.point.x, 4), hit.neighbours
('address-interpolated', 121.405, ('甲路1号', '甲路21号'))
>>> book.locate("甲路", "1").method, book.locate("甲路", "99") is None
('address', True)
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import shapely
from shapely import LineString, Point
from shapely.geometry.base import BaseGeometry

from app.errors import DataError
from app.geo.crs import METRIC_CRS, transformer

__all__ = ["ADDRESSES_FILE", "AddressBook", "AddressHit", "KnownAddress", "house_number"]

#: File name of the known addresses in the data folder.
ADDRESSES_FILE = "addresses.geojson"
#: Interpolation between numbers further apart than this is refused (the road may bend away).
MAX_BRACKET_GAP = 400


def house_number(number: str) -> int:
    """The first integer of a house number as written ('196-200' -> 196).

    >>> house_number("196-200"), house_number("1111")
    (196, 1111)
    >>> house_number("甲")
    Traceback (most recent call last):
    ...
    app.errors.DataError: house number '甲' does not start with digits
    """
    digits = ""
    for char in number:
        if not char.isdigit():
            break
        digits += char
    if not digits:
        raise DataError(f"house number {number!r} does not start with digits")
    return int(digits)


def _metric(geometry: BaseGeometry) -> BaseGeometry:
    """WGS-84 -> METRIC_CRS."""
    t = transformer("EPSG:4326", METRIC_CRS)
    return shapely.transform(geometry, lambda xy: np.column_stack(t.transform(xy[:, 0], xy[:, 1])))


def _wgs84(geometry: BaseGeometry) -> BaseGeometry:
    """METRIC_CRS -> WGS-84."""
    t = transformer(METRIC_CRS, "EPSG:4326")
    return shapely.transform(geometry, lambda xy: np.column_stack(t.transform(xy[:, 0], xy[:, 1])))


@dataclass(frozen=True)
class KnownAddress:
    """One known address: its key as written, road, number, lane flag and WGS-84 point."""

    key: str
    road: str
    number: str
    house: int
    lane: bool
    point: Point
    names: tuple[str, ...] = ()
    source: str = ""
    #: The road's English name ('West Yan'an Road'), for English addresses.
    road_en: str = ""


@dataclass(frozen=True)
class AddressHit:
    """An address placed from known house numbers."""

    method: str
    precision: str
    point: Point
    score: float
    neighbours: tuple[str, ...]
    note: str
    source: str


class AddressBook:
    """Known addresses by key and by road; see the module docstring."""

    def __init__(self, entries: Iterable[KnownAddress]) -> None:
        self.entries: tuple[KnownAddress, ...] = tuple(entries)
        self.by_key: dict[str, KnownAddress] = {e.key: e for e in self.entries}
        self.by_road: dict[str, list[KnownAddress]] = {}
        for entry in sorted(self.entries, key=lambda e: (e.road, e.house, e.key)):
            if not entry.lane:
                self.by_road.setdefault(entry.road, []).append(entry)

    def __len__(self) -> int:
        return len(self.entries)

    @classmethod
    def from_file(cls, path: Path) -> AddressBook:
        """Read ``addresses.geojson``; an absent file gives an empty book.

        >>> len(AddressBook.from_file(Path("/nonexistent/addresses.geojson")))
        0
        """
        if not path.exists():
            return cls(())
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            return cls(KnownAddress(
                key=f["properties"]["address"], road=f["properties"]["road"],
                number=f["properties"]["number"], house=int(f["properties"]["house"]),
                lane=bool(f["properties"]["lane"]), point=Point(f["geometry"]["coordinates"]),
                names=tuple(f["properties"].get("names") or ()),
                source=str(f["properties"].get("source") or ""),
                road_en=str(f["properties"].get("road_en") or ""),
            ) for f in data["features"])
        except (json.JSONDecodeError, KeyError, TypeError, ValueError) as exc:
            raise DataError(f"{path}: not a readable address file ({exc})") from exc

    def roads(self) -> frozenset[str]:
        """Roads with at least one known address."""
        return frozenset(e.road for e in self.entries)

    def locate(self, road: str, number: str, lane: bool = False,
               road_line: BaseGeometry | None = None) -> AddressHit | None:
        """Place ``<road><number>号`` (or ``弄`` when `lane`), or None when nothing brackets it.

        >>> AddressBook(()).locate("甲路", "5") is None
        True
        """
        key = f"{road}{number}{'弄' if lane else '号'}"
        if key in self.by_key:
            known = self.by_key[key]
            return AddressHit("address", "site", known.point, 1.0, (known.key,),
                              f"known address {known.key}" + (
                                  f" ({', '.join(known.names[:2])})" if known.names else ""),
                              known.source)
        try:
            house = house_number(number)
        except DataError:
            return None
        pair = self._bracket(road, house)
        if pair is None:
            return None
        low, high = pair
        share = (house - low.house) / (high.house - low.house)
        point = self._between(low.point, high.point, share, road_line)
        gap = high.house - low.house
        score = round(max(0.5, 0.9 - 0.4 * gap / MAX_BRACKET_GAP), 2)
        side = "same side" if low.house % 2 == high.house % 2 == house % 2 else "either side"
        return AddressHit(
            "address-interpolated", "street", point, score, (low.key, high.key),
            f"interpolated between {low.key} and {high.key} ({side})"
            + (" along the road sketch" if road_line is not None else ""),
            low.source)

    def _bracket(self, road: str, house: int) -> tuple[KnownAddress, KnownAddress] | None:
        """The nearest known numbers below and above `house` (same parity first)."""
        known = self.by_road.get(road, [])
        for pool in ([e for e in known if e.house % 2 == house % 2], known):
            below = [e for e in pool if e.house < house]
            above = [e for e in pool if e.house > house]
            if below and above and above[0].house - below[-1].house <= MAX_BRACKET_GAP:
                return below[-1], above[0]
        return None

    @staticmethod
    def _between(a: Point, b: Point, share: float, road_line: BaseGeometry | None) -> Point:
        """The point `share` of the way from a to b, along `road_line` when it is a line."""
        if not isinstance(road_line, LineString):
            return Point(a.x + share * (b.x - a.x), a.y + share * (b.y - a.y))
        line, pa, pb = _metric(road_line), _metric(a), _metric(b)
        ma, mb = line.project(pa), line.project(pb)
        on = line.interpolate(ma + share * (mb - ma))
        qa, qb = line.interpolate(ma), line.interpolate(mb)
        dx = (pa.x - qa.x) + share * ((pb.x - qb.x) - (pa.x - qa.x))
        dy = (pa.y - qa.y) + share * ((pb.y - qb.y) - (pa.y - qa.y))
        return _wgs84(Point(on.x + dx, on.y + dy))
