"""Every parser of user text runs in linear time: no input makes a regular expression backtrack.

A coordinate cell, an address or a search query comes from whoever fills in a register or a
form. Each parser below gets long runs of every character class its patterns care about (digits,
spaces, degree/minute/second marks, points, minus signs, letters, CJK, and digit-separator
repeats such as ``1.1.1.…`` or ``1 1 1 …``), as they are and with a tail that makes any match
fail (the case that makes a backtracking pattern try every split). Each call must return, or
raise the project's own error (a too-long text is refused naming the bound), within
``RATIO`` times a trivial pass over the same text in the same run (``str.split`` and
``str.strip``), plus ``FLOOR_S`` so that timer noise on a busy machine does not fail the test.
The sizes are each parser's own length bound (where its patterns really run), 10^4 and 10^5.

The degrees-minutes-seconds pattern this guards against took 10.5 s for a cell of 800 digits
and a letter; a trivial pass over it takes microseconds.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from time import perf_counter

import geopandas as gpd
import pytest
from shapely import Point

from app.domain.filters import Filter, apply_filter, normalise_text, search_text
from app.errors import AtlasError, CoordinateError, GeocodeError
from app.geo.address import (
    MAX_ADDRESS_CHARS,
    Matcher,
    normalise_address,
    parse_road_address,
    strip_admin_prefix,
)
from app.geo.coords import MAX_CELL_CHARS, parse_coordinate, parse_dms, parse_source_crs
from app.geo.gazetteer import Place
from app.geo.navlinks import amap_link, baidu_link

RATIO = 200.0
FLOOR_S = 0.05
SIZES = (10**4, 10**5)

#: Runs of each character class the patterns treat specially, and separator repeats.
UNITS = {
    "digits": "1", "spaces": " ", "degree": "°", "minute": "'", "second": '"', "point": ".",
    "minus": "-", "letters": "a", "cjk": "路", "full-width": "１", "dotted": "1.",
    "spaced": "1 ", "coloned": "1:", "dashed": "1-", "degreed": "1°", "dms-letters": "1d",
    "dms": "1°1'", "road-number": "路1", "number-unit": "1号",
}
#: Appended to make any match fail at the very end (the backtracking worst case).
TAILS = ("", "x", "°x")

_PLACES = [
    Place("poi-tianshan", "天山公园", "Tianshan Park", "park", Point(121.41, 31.21), "s", "gcj02",
          "m", "medium", aliases=("天山",)),
    Place("road-yananxi", "延安西路", "West Yan'an Road", "road", Point(121.42, 31.21), "s",
          "gcj02", "m", "medium"),
]
_MATCHER = Matcher.from_places(_PLACES)
_FRAME = gpd.GeoDataFrame(
    {"id": ["a", "b"], "name_zh": ["天山公园", "延安西路"], "name_en": ["Tianshan Park", "Road"]},
    geometry=[Point(121.41, 31.21), Point(121.42, 31.21)], crs="EPSG:4326")

#: (name, parser, the longest text it parses rather than refuses, or None: no bound).
PARSERS: list[tuple[str, Callable[[str], object], int | None]] = [
    ("parse_coordinate", parse_coordinate, MAX_CELL_CHARS),
    ("parse_dms", parse_dms, MAX_CELL_CHARS),
    ("parse_source_crs", parse_source_crs, None),
    ("normalise_address", normalise_address, None),
    ("strip_admin_prefix", strip_admin_prefix, None),
    ("parse_road_address", parse_road_address, MAX_ADDRESS_CHARS),
    ("Matcher.match", _MATCHER.match, MAX_ADDRESS_CHARS),
    ("Matcher.candidates", _MATCHER.candidates, MAX_ADDRESS_CHARS),
    ("normalise_text", normalise_text, None),
    ("apply_filter", lambda text: apply_filter(_FRAME, Filter(query=text)), None),
    ("search_text", lambda text: search_text(_FRAME.assign(name_en=text)), None),
    ("amap_link", lambda text: amap_link(121.41, 31.21, text), None),
    ("baidu_link", lambda text: baidu_link(121.41, 31.21, text), None),
]


def texts(bound: int | None, sizes: tuple[int, ...] = SIZES) -> list[tuple[str, str]]:
    """(label, text) for every unit, tail and size (the bound first, when there is one)."""
    out = []
    for size in ((bound,) if bound else ()) + sizes:
        for unit_name, unit in UNITS.items():
            for tail in TAILS:
                body = unit * ((size - len(tail)) // len(unit))
                out.append((f"{unit_name}×{len(body) // len(unit)}+{tail!r}", body + tail))
    return out


def _trivial_s(text: str) -> float:
    """Best of three trivial passes over `text`: what any parser must at least spend."""
    best = math.inf
    for _ in range(3):
        start = perf_counter()
        len(text.split())
        text.strip()
        best = min(best, perf_counter() - start)
    return best


def _parse_s(parser: Callable[[str], object], text: str) -> float:
    start = perf_counter()
    try:
        parser(text)
    except AtlasError:
        pass
    return perf_counter() - start


def slow_cases(parser: Callable[[str], object], cases: list[tuple[str, str]]) -> list[str]:
    """The cases slower than RATIO × trivial + FLOOR_S on each of three tries.

    Retrying a slow case absorbs a busy machine's pauses (another process, the garbage
    collector); a parser that backtracks is slow on every try.
    """
    slow = []
    for label, text in cases:
        budget = RATIO * _trivial_s(text) + FLOOR_S
        took = _parse_s(parser, text)
        for _ in range(2):
            if took <= budget:
                break
            took = min(took, _parse_s(parser, text))
        if took > budget:
            slow.append(f"{label}: {took:.3f} s > {budget:.3f} s")
    return slow


@pytest.mark.parametrize("name,parser,bound", PARSERS, ids=[p[0] for p in PARSERS])
def test_parser_is_linear_in_its_input(name, parser, bound):
    assert slow_cases(parser, texts(bound)) == [], name


def test_a_coordinate_cell_longer_than_the_bound_is_refused_naming_it():
    padded = " " * (MAX_CELL_CHARS - 5) + "121.5"
    assert parse_coordinate(padded).value == 121.5  # at the bound: read
    for parser in (parse_coordinate, parse_dms):
        with pytest.raises(CoordinateError, match=rf"201 characters \(at most {MAX_CELL_CHARS} "):
            parser(padded + " ")


def test_an_address_longer_than_the_bound_is_refused_naming_it():
    road = "延安西路" + "1" * (MAX_ADDRESS_CHARS - 5) + "号"
    assert parse_road_address(road).road == "延安西路"  # at the bound: read
    with pytest.raises(GeocodeError, match=rf"at most {MAX_ADDRESS_CHARS} are read"):
        parse_road_address(road + "号")
    result = _MATCHER.match("天山公园" * MAX_ADDRESS_CHARS)
    assert result.method == "no-match" and f"at most {MAX_ADDRESS_CHARS}" in result.note
    assert _MATCHER.match("天山公园").place_id == "poi-tianshan"  # a short text still matches
