"""Addresses and names against the gazetteer: normalise, parse roads, match with a score.

A :class:`Matcher` is built once from the gazetteer's places and answers :meth:`Matcher.match`
with an :class:`AddressMatch`: the place found (or none), the method, a score in 0..1, the
precision the position supports, and the best candidates. The steps, in order:

1. ``exact``: the text is a place's Chinese or English name as written (score 1.0);
   ``normalised``: equal after width/case/space folding and dropping the 中国 / 上海市 / 长宁区
   prefixes (0.97);
2. roads: text shaped like ``<road>[<number>号|弄]`` (延安西路1609号, 汇川路) -- after
   :func:`normalise_address` drops a leading postcode, 上海市/长宁区 and a leading 街道/镇 and
   writes Chinese house numerals as digits; a sub-lane, building or room after the number
   (``3支弄12号``, ``2号楼``) is detail that does not move the point -- is first looked up
   among the known house numbers (:mod:`app.geo.housenumbers`): an exact address gives its point
   (``address``, precision ``site``); two known numbers on the road bracketing it give a point
   interpolated along the road's sketch (``address-interpolated``, precision ``street``, the
   neighbours named in the note). Otherwise it resolves only to a place of kind ``road``
   (precision ``street``, method ``road``); a station or a sub-district named after the road is
   *not* the road. A name after the number (…1609号刘海粟美术馆) is tried as a
   place name (``name-in-address``). An unknown road ends ``road-not-in-gazetteer``, unlocated.
   English addresses (``1609 West Yan'an Road``, ``No. 1609 Yan'an Rd (W)``) are read onto the
   road of that English name the same way, or stay unlocated: never matched by name;
3. ``alias``: a place's alias, after folding (0.95);
4. ``fuzzy``: the best similarity of the text to any name or alias (difflib ratio, or
   containment: 0.6 + 0.4 × shorter/longer), placed when at least the threshold (0.8).

Ties between different places are kept only when they lie within 300 m of each other (one
interchange station on several lines); otherwise the text is ``ambiguous`` and unlocated. The
district itself is never a match: "somewhere in Changning" is not a position.

>>> from shapely import Point
>>> park = Place("poi-a", "天山公园", "Tianshan Park", "park", Point(121.41, 31.21), "s", "gcj02",
...              "m", "medium", aliases=("天山",))
>>> station = Place("metro-x", "延安西路站", "West Yan'an Road", "metro_station",
...                 Point(121.42, 31.21), "s", "bd09", "m", "medium", aliases=("延安西路",))
>>> m = Matcher.from_places([park, station])
>>> r = m.match("上海市长宁区天山公园")
>>> r.place_id, r.method, r.score, r.precision
('poi-a', 'normalised', 0.97, 'site')
>>> r = m.match("延安西路1609号")
>>> r.place_id, r.method, r.precision, [c.place_id for c in r.candidates][:1]
(None, 'road-not-in-gazetteer', 'unlocated', ['metro-x'])
>>> m.match("").method
'no-input'
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from difflib import SequenceMatcher

from shapely.geometry.base import BaseGeometry

from app.domain.filters import normalise_text
from app.domain.model import PRECISIONS
from app.errors import GeocodeError
from app.geo.gazetteer import DISTRICT_ID, Place
from app.geo.geocode import to_metric
from app.geo.housenumbers import AddressBook

__all__ = [
    "FUZZY_THRESHOLD",
    "KIND_PRECISION",
    "MATCH_METHODS",
    "MAX_ADDRESS_CHARS",
    "AddressMatch",
    "Candidate",
    "Matcher",
    "RoadAddress",
    "chinese_numerals_to_digits",
    "normalise_address",
    "parse_english_address",
    "parse_road_address",
    "strip_admin_prefix",
    "strip_unit_prefix",
]

#: The longest address or name matched, in characters (after trimming); a longer text is not
#: an address (it is a pasted paragraph or an attack) and is refused before any parsing.
MAX_ADDRESS_CHARS = 300

#: Fuzzy matches at or above this score are placed; below it the text stays unlocated.
FUZZY_THRESHOLD = 0.8

#: Precision a match supports, by the kind of place matched (anything else: 'site').
KIND_PRECISION: dict[str, str] = {
    "road": "street", "metro_line": "street", "zone": "area", "subdistrict": "area",
    "district": "area",
}

#: Every method a match can report; the first eight place the text, the others do not.
MATCH_METHODS: tuple[str, ...] = (
    "exact", "normalised", "alias", "address", "address-interpolated", "road", "name-in-address",
    "fuzzy",
    "road-not-in-gazetteer", "ambiguous", "place-not-located", "no-match", "too-vague", "no-input",
)

_SCORES = {"exact": 1.0, "normalised": 0.97, "alias": 0.95, "road": 1.0, "road-for-number": 0.7,
           "name-in-address": 0.95}
_TIE_DISTANCE_M = 300.0
_CANDIDATES = 5
# Administrative prefixes dropped before matching (after normalise_text: no spaces, folded).
_ADMIN = re.compile(r"^(?:中华人民共和国|中国)?(?:上海市|上海(?=长宁区)|shanghai(?:shi)?)?"
                    r"(?:长宁区|changning(?:qu|district))?")
# Linear time: the road name is bounded, and the house number's digits are possessive (`\d++`
# never gives digits back to `rest`), so a failed match cannot retry other splits.
_ROAD = re.compile(r"(?P<road>[\u3400-\u9fff]{1,12}?(?:大道|公路|支路|路|街|巷))"
                   r"(?:(?P<number>\d++(?:[-~]\d++)?)(?P<unit>号|弄)?)?(?P<rest>.*)", re.DOTALL)
# A leading postcode (Shanghai's are 200000–202199), with or without its label.
_POSTCODE = re.compile(r"^(?:邮编|邮政编码)?[:：]?2\d{5}(?!\d)")
# A leading 街道/镇 (新泾镇, 天山路街道, 虹桥镇) before a road of at least two characters; 法华镇路
# keeps its 镇, which is followed by 路 alone.
_UNIT_PREFIX = re.compile(r"^[\u4e00-\u9fff]{2,5}?(?:街道|镇)(?=[\u4e00-\u9fff]{2,12}?(?:大道|公路|支路|路|街|巷))")
# What may follow a house number inside one address: a sub-lane, a building, a floor, a room;
# it says where inside the site, not which site.
_DETAIL = re.compile(r"^(?:(?:\d+|[a-z])(?:支弄|号楼|号|幢|栋|座|楼|层|室|单元)|[-~]\d+|[,，、])+")
_NUMERAL_DIGITS = {"〇": 0, "零": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6,
                   "七": 7, "八": 8, "九": 9}
_NUMERAL_UNITS = {"十": 10, "百": 100, "千": 1000}
# Chinese numerals where a house, lane or building number stands: after a road's suffix or a
# 弄, before 号 / 弄 / 支弄 / 号楼.
_NUMERAL = re.compile(r"(?<=[路街巷道弄])([〇零一二三四五六七八九十百千两]{1,8})(?=号|弄|支弄)")
# English: 'No. 1609 Yan'an Rd (W)', '1609 West Yan'an Road', 'West Yan'an Road 1609'.
_EN_TYPES = {"road": "road", "rd": "road", "street": "street", "st": "street", "avenue": "avenue",
             "ave": "avenue", "highway": "highway", "hwy": "highway", "lu": "road"}
_EN_DIRECTIONS = {"w": "west", "west": "west", "e": "east", "east": "east", "n": "north",
                  "north": "north", "s": "south", "south": "south"}
_EN_WORDS = re.compile(r"[a-z]+|\d+")
# An English text with a number and a road word: an address, whatever else it says.
_ENGLISH_ADDRESS = re.compile(r"(?i)(?=.*\d)(?=.*\b(?:road|rd|street|st|avenue|ave|highway|hwy|lu)\b)")


def _too_long(text: str) -> str | None:
    """Why `text` is too long to match (naming MAX_ADDRESS_CHARS), or None."""
    if len(text) <= MAX_ADDRESS_CHARS:
        return None
    return (f"address text too long: {len(text)} characters (at most {MAX_ADDRESS_CHARS} are "
            f"read), starting {text[:20]!r}")


def _check_length(text: str) -> None:
    """GeocodeError when `text` is longer than MAX_ADDRESS_CHARS."""
    why = _too_long(text)
    if why is not None:
        raise GeocodeError(why)


def strip_admin_prefix(text: str) -> str:
    """Drop 中国 / 上海市 / 长宁区 (and their pinyin) from the start of a normalised text.

    >>> strip_admin_prefix("上海市长宁区延安西路1609号"), strip_admin_prefix("上海动物园")
    ('延安西路1609号', '上海动物园')
    >>> strip_admin_prefix("长宁区")
    ''
    """
    return _ADMIN.sub("", text, count=1)


def strip_unit_prefix(text: str) -> str:
    """Drop a leading 街道/镇 name standing before a road (新泾镇通协路 -> 通协路).

    >>> strip_unit_prefix("新泾镇通协路288号"), strip_unit_prefix("天山路街道仙霞路100号")
    ('通协路288号', '仙霞路100号')
    >>> strip_unit_prefix("法华镇路15号")
    '法华镇路15号'
    """
    return _UNIT_PREFIX.sub("", text, count=1)


def _numeral(text: str) -> int:
    """The value of Chinese numerals: positional (一千六百零九) or digit by digit (一六〇九)."""
    if not any(c in _NUMERAL_UNITS for c in text):
        return int("".join(str(_NUMERAL_DIGITS[c]) for c in text))
    total, digit = 0, None
    for char in text:
        if char in _NUMERAL_UNITS:
            total += (1 if digit is None else digit) * _NUMERAL_UNITS[char]
            digit = None
        else:
            digit = _NUMERAL_DIGITS[char]
    return total + (digit or 0)


def chinese_numerals_to_digits(text: str) -> str:
    """House, lane and building numbers written in Chinese numerals, as digits.

    >>> chinese_numerals_to_digits("延安西路一千六百零九号"), chinese_numerals_to_digits("愚园路一二八〇弄十八号")
    ('延安西路1609号', '愚园路1280弄18号')
    >>> chinese_numerals_to_digits("迎宾三路一百二十号")
    '迎宾三路120号'
    """
    return _NUMERAL.sub(lambda m: str(_numeral(m[1])), text)


def normalise_address(text: str) -> str:
    """Fold width, case and spaces; drop a leading postcode, the administrative prefix and a
    leading 街道/镇; write Chinese house numerals as digits.

    >>> normalise_address(" 200050 上海市 长宁区　新泾镇通协路２８８号 ")
    '通协路288号'
    >>> normalise_address("")
    ''
    """
    folded = _POSTCODE.sub("", normalise_text(text), count=1)
    folded = _POSTCODE.sub("", strip_admin_prefix(folded), count=1)
    return chinese_numerals_to_digits(strip_unit_prefix(folded))


def parse_english_address(text: str) -> tuple[str, str] | None:
    """(house number, the road's English name folded: 'westyananroad') of an English street
    address, or None when the text is not one (no Latin road word, no number).

    >>> parse_english_address("No. 1609 Yan'an Rd (W)"), parse_english_address("1609 West Yan'an Road")
    (('1609', 'westyananroad'), ('1609', 'westyananroad'))
    >>> parse_english_address("Tianshan Park") is None, parse_english_address("延安西路1609号") is None
    (True, True)
    """
    _check_length(text.strip())
    folded = unicodedata.normalize("NFKC", text).casefold().replace("'", "").replace("’", "")
    if re.search(r"[\u3400-\u9fff]", folded):
        return None
    words = _EN_WORDS.findall(folded)
    numbers = [w for w in words if w.isdigit()]
    kinds = [i for i, w in enumerate(words) if w in _EN_TYPES]
    if len(numbers) != 1 or not kinds:
        return None
    kind = kinds[-1]
    name = [w for w in words[:kind] if not w.isdigit() and w != "no"]
    after = [w for w in words[kind + 1:] if not w.isdigit()]
    direction = ""
    if name and name[0] in _EN_DIRECTIONS and len(name) > 1:
        direction = _EN_DIRECTIONS[name.pop(0)]
    elif after and after[0] in _EN_DIRECTIONS:
        direction = _EN_DIRECTIONS[after.pop(0)]
    if not name or after:
        return None
    return numbers[0], direction + "".join(name) + _EN_TYPES[words[kind]]


def _english_key(name_en: str) -> str:
    """A road's English name folded like :func:`parse_english_address` ('West Yan'an Road' ->
    'westyananroad')."""
    return "".join(_EN_WORDS.findall(name_en.casefold().replace("'", "").replace("’", "")))


@dataclass(frozen=True)
class RoadAddress:
    """A road-shaped address: the road, its house number (or None), any text after it, whether
    the number is a lane's (…弄), and the part naming a place inside the site (a sub-lane, a
    building, a room: ``3支弄12号``, ``2号楼``)."""

    road: str
    number: str | None = None
    rest: str = ""
    lane: bool = field(default=False, repr=False)
    detail: str = ""

    def __post_init__(self) -> None:
        if not self.road:
            raise ValueError("a road address needs a road name")


def parse_road_address(text: str) -> RoadAddress | None:
    """Parse ``<road>[<number>[号|弄]][<rest>]``; None unless it is a road (bare or numbered).

    A text that only starts with a road name (虹桥路站, 天山路街道) is not a road address.

    >>> parse_road_address("上海市长宁区延安西路1609号")
    RoadAddress(road='延安西路', number='1609', rest='', detail='')
    >>> parse_road_address("愚园路1088弄3支弄12号"), parse_road_address("汇川路")
    (RoadAddress(road='愚园路', number='1088', rest='', detail='3支弄12号'), RoadAddress(road='汇川路', number=None, rest='', detail=''))
    >>> parse_road_address("虹桥路站") is None, parse_road_address("") is None
    (True, True)
    >>> parse_road_address("路" * 301)
    Traceback (most recent call last):
    ...
    app.errors.GeocodeError: address text too long: 301 characters (at most 300 are read), starting '路路路路路路路路路路路路路路路路路路路路'
    """
    _check_length(text.strip())
    match = _ROAD.fullmatch(normalise_address(text))
    if match is None:
        return None
    number, rest = match["number"], match["rest"]
    if number is None and rest:
        return None
    detail = ""
    if number is not None:  # a sub-lane, building or room says where inside, not which site
        inside = _DETAIL.match(rest)
        detail, rest = (inside[0], rest[inside.end():]) if inside else ("", rest)
    return RoadAddress(road=match["road"], number=number, rest=rest, lane=match["unit"] == "弄",
                       detail=detail)


@dataclass(frozen=True)
class Candidate:
    """A place the text might mean, with its similarity score."""

    place_id: str
    name_zh: str
    name_en: str
    kind: str
    score: float

    def to_dict(self) -> dict[str, object]:
        """Plain data for the JSON report."""
        return {"id": self.place_id, "name_zh": self.name_zh, "name_en": self.name_en,
                "kind": self.kind, "score": self.score}


@dataclass(frozen=True)
class AddressMatch:
    """The outcome of matching one text: a place and its geometry, or none and why."""

    query: str
    method: str
    precision: str
    place_id: str | None = None
    geometry: BaseGeometry | None = field(default=None, repr=False)
    score: float | None = None
    candidates: tuple[Candidate, ...] = ()
    note: str = ""
    #: For address matches (no single gazetteer place): the source, its CRS and the addresses used.
    source: str = ""
    source_crs: str = ""
    refs: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if self.method not in MATCH_METHODS:
            raise ValueError(f"match method must be one of {MATCH_METHODS}, got {self.method!r}")
        if self.precision not in PRECISIONS:
            raise ValueError(f"precision must be one of {PRECISIONS}, got {self.precision!r}")
        if (self.geometry is None) != (self.precision == "unlocated"):
            raise ValueError(f"precision {self.precision!r} does not fit geometry {self.geometry!r:.40}")

    @property
    def located(self) -> bool:
        """True when the match gives a position."""
        return self.geometry is not None


def _contained(query: str, key: str) -> float:
    """0.6 + 0.4 × shorter/longer when one text holds the other (at least 2 characters), else 0."""
    short, long_ = (key, query) if len(key) <= len(query) else (query, key)
    return 0.6 + 0.4 * len(short) / len(long_) if len(short) >= 2 and short in long_ else 0.0


@dataclass(frozen=True)
class Matcher:
    """Matches addresses and names against gazetteer places. Build with :meth:`from_places`."""

    places: tuple[Place, ...]
    threshold: float = FUZZY_THRESHOLD
    addresses: AddressBook | None = field(default=None, repr=False, compare=False)
    _names: dict[str, list[int]] = field(default_factory=dict, repr=False, compare=False)
    _verbatim: dict[str, list[int]] = field(default_factory=dict, repr=False, compare=False)
    _aliases: dict[str, list[int]] = field(default_factory=dict, repr=False, compare=False)
    _roads: dict[str, list[int]] = field(default_factory=dict, repr=False, compare=False)
    #: Roads by their folded English name ('westyananroad'): the gazetteer's roads and the
    #: roads of the known house numbers.
    _english: dict[str, str] = field(default_factory=dict, repr=False, compare=False)
    _keys: list[tuple[str, frozenset[str], int]] = field(default_factory=list, repr=False,
                                                         compare=False)
    _cache: dict[str, AddressMatch] = field(default_factory=dict, repr=False, compare=False)

    def __post_init__(self) -> None:
        if not 0.0 < self.threshold <= 1.0:
            raise ValueError(f"threshold must be in (0, 1], got {self.threshold!r}")
        for i, place in enumerate(self.places):
            names = [n for n in (place.name_zh, place.name_en) if n]
            for name in names:
                self._verbatim.setdefault(name.strip(), []).append(i)
                self._names.setdefault(normalise_text(name), []).append(i)
            for alias in place.aliases:
                self._aliases.setdefault(normalise_text(alias), []).append(i)
            if place.kind == "road":
                for text in (*names, *place.aliases):
                    self._roads.setdefault(normalise_text(text), []).append(i)
                if place.name_en:
                    self._english.setdefault(_english_key(place.name_en), place.name_zh)
            keys = {normalise_text(t) for t in (*names, *place.aliases)}
            self._keys.extend((k, frozenset(k), i) for k in sorted(keys) if len(k) >= 2)
        for entry in (self.addresses.entries if self.addresses is not None else ()):
            if entry.road_en:
                self._english.setdefault(_english_key(entry.road_en), entry.road)

    @classmethod
    def from_places(cls, places: Mapping[str, Place] | Iterable[Place],
                    threshold: float = FUZZY_THRESHOLD, addresses: AddressBook | None = None
                    ) -> Matcher:
        """A matcher over `places` (a dict by id or any iterable) and known house numbers; the
        district is left out."""
        values = places.values() if isinstance(places, Mapping) else places
        return cls(tuple(p for p in values if p.id != DISTRICT_ID and p.kind != "district"),
                   threshold, addresses)

    # -- the steps ------------------------------------------------------------------------

    def candidates(self, text: str, limit: int = _CANDIDATES) -> tuple[Candidate, ...]:
        """The `limit` places most similar to `text` (score > 0), one per name, best first.

        >>> Matcher.from_places([]).candidates("天山公园")
        ()
        """
        _check_length(text.strip())
        query = normalise_address(text) or normalise_text(text)
        if not query:
            return ()
        sm = SequenceMatcher(None, autojunk=False)
        sm.set_seq2(query)
        chars = frozenset(query)
        # Upper bounds first (containment, difflib's quick ratio), then exact ratios in that
        # order until no remaining bound can enter the top (with room for names dropped below).
        bounds = []
        for key, key_chars, i in self._keys:
            if chars.isdisjoint(key_chars):
                continue
            sm.set_seq1(key)
            contained = _contained(query, key)
            bounds.append((max(contained, sm.quick_ratio()), contained, key, i))
        bounds.sort(key=lambda b: -b[0])
        best: dict[int, float] = {}
        room = 4 * limit
        for bound, contained, key, i in bounds:
            if len(best) >= room and bound <= sorted(best.values(), reverse=True)[room - 1]:
                break
            sm.set_seq1(key)
            score = round(max(contained, sm.ratio()), 3)
            if score > best.get(i, 0.0):
                best[i] = score
        ranked = sorted(best.items(), key=lambda item: (-item[1], item[0]))
        out: list[Candidate] = []
        seen: set[str] = set()
        for i, score in ranked:
            place = self.places[i]
            if place.name_zh in seen:
                continue
            seen.add(place.name_zh)
            out.append(Candidate(place.id, place.name_zh, place.name_en, place.kind, score))
            if len(out) == limit:
                break
        return tuple(out)

    def _resolve(self, query: str, indices: list[int], method: str, score: float,
                 candidates: tuple[Candidate, ...], note: str = "") -> AddressMatch:
        """Turn the places found by one step into a match: pick, or explain why not."""
        chosen = [self.places[i] for i in dict.fromkeys(indices)]
        located = [p for p in chosen if p.located]
        if not located:
            names = ", ".join(f"{p.name_zh} ({p.id})" for p in chosen)
            return AddressMatch(query, "place-not-located", "unlocated", score=score,
                                candidates=candidates,
                                note=f"matched {names}, which has no position in the gazetteer")
        first = located[0]
        if len(located) > 1:
            anchor = to_metric(first.geometry)
            far = [p for p in located[1:] if to_metric(p.geometry).distance(anchor) > _TIE_DISTANCE_M]
            if far:
                names = ", ".join(f"{p.name_zh} ({p.id})" for p in located)
                return AddressMatch(query, "ambiguous", "unlocated", score=score,
                                    candidates=candidates,
                                    note=f"{method} match to places more than "
                                         f"{_TIE_DISTANCE_M:.0f} m apart: {names}")
        precision = KIND_PRECISION.get(first.kind, "site")
        return AddressMatch(query, method, precision, place_id=first.id, geometry=first.geometry,
                            score=score, candidates=candidates,
                            note=note or f"{method} match to {first.name_zh} ({first.id})")

    def _exact(self, forms: tuple[str, ...], raw: str) -> tuple[list[int], str] | None:
        if raw in self._verbatim:
            return self._verbatim[raw], "exact"
        for form in forms:
            if form in self._names:
                return self._names[form], "normalised"
        return None

    def _road(self, query: str, road: RoadAddress, candidates: tuple[Candidate, ...]
              ) -> AddressMatch:
        if road.rest:  # a place named after the house number is more specific than the number
            rest = normalise_text(road.rest)
            for table in (self._names, self._aliases):
                if rest in table:
                    return self._resolve(query, table[rest], "name-in-address",
                                         _SCORES["name-in-address"], candidates,
                                         f"place name {road.rest!r} after the house number")
        key = normalise_text(road.road)
        road_ids = [i for i in self._roads.get(key, []) if self.places[i].located]
        if road.number and self.addresses is not None:
            line = self.places[road_ids[0]].geometry if road_ids else None
            hit = self.addresses.locate(road.road, road.number, road.lane, line)
            if hit is not None:
                return AddressMatch(
                    query, hit.method, hit.precision,
                    place_id=self.places[road_ids[0]].id if road_ids else None,
                    geometry=hit.point, score=hit.score, candidates=candidates, note=hit.note,
                    source=hit.source, source_crs="wgs84", refs=hit.neighbours)
        if key in self._roads:
            number = f" {road.number}号" if road.number else ""
            note = (f"road {road.road} found; house number{number} is not located along it, so "
                    "the whole road is shown" if road.number else f"road {road.road} found")
            score = _SCORES["road"] if not road.number else _SCORES["road-for-number"]
            return self._resolve(query, self._roads[key], "road", score, candidates, note)
        return AddressMatch(query, "road-not-in-gazetteer", "unlocated", candidates=candidates,
                            note=f"road {road.road} is not in the gazetteer (places named after "
                                 "it, such as stations, are not the road)")

    def _english_address(self, query: str, candidates: tuple[Candidate, ...]) -> AddressMatch:
        """An English street address: placed on its road when the road is known, otherwise
        unlocated -- never matched by name to a station or a building called after the road."""
        parsed = parse_english_address(query)
        if parsed is None:
            return AddressMatch(query, "no-match", "unlocated", candidates=candidates,
                                note="an English address that could not be read as "
                                     "'<number> <road>'; write it as 延安西路1609号 or '1609 West "
                                     "Yan'an Road'")
        number, key = parsed
        road = self._english.get(key)
        if road is None:
            return AddressMatch(query, "road-not-in-gazetteer", "unlocated", candidates=candidates,
                                note=f"English road name {key!r} is not a known road (places "
                                     "named after it, such as stations, are not the road)")
        return self._road(query, RoadAddress(road=road, number=number), candidates)

    def match(self, text: str) -> AddressMatch:
        """Match one address or name; never raises for any text.

        >>> Matcher.from_places([]).match("火星基地").method
        'no-match'
        >>> Matcher.from_places([]).match("天" * 301).note[:40]
        'address text too long: 301 characters (a'
        """
        if not isinstance(text, str):
            text = "" if text is None else str(text)
        raw = unicodedata.normalize("NFC", text).strip()
        if raw in self._cache:
            return self._cache[raw]
        result = self._match(raw)
        if len(self._cache) < 100_000 and len(raw) <= MAX_ADDRESS_CHARS:
            self._cache[raw] = result
        return result

    def _match(self, raw: str) -> AddressMatch:
        if not raw:
            return AddressMatch(raw, "no-input", "unlocated", note="nothing to match")
        too_long = _too_long(raw)
        if too_long is not None:
            return AddressMatch(raw, "no-match", "unlocated", note=too_long)
        key = normalise_text(raw)
        stripped = strip_admin_prefix(key)
        if not stripped:
            return AddressMatch(raw, "too-vague", "unlocated",
                                note="names only the city or the district, not a place in it")
        candidates = self.candidates(raw)
        forms = tuple(dict.fromkeys((key, stripped)))
        exact = self._exact(forms, raw)
        if exact is not None:
            indices, method = exact
            return self._resolve(raw, indices, method, _SCORES[method], candidates)
        road = parse_road_address(raw)
        if road is not None:
            return self._road(raw, road, candidates)
        if _ENGLISH_ADDRESS.search(raw) and not re.search(r"[\u3400-\u9fff]", raw):
            return self._english_address(raw, candidates)
        for form in forms:
            if form in self._aliases:
                return self._resolve(raw, self._aliases[form], "alias", _SCORES["alias"], candidates)
        if candidates and candidates[0].score >= self.threshold:
            top = candidates[0].score
            by_id = {p.id: i for i, p in enumerate(self.places)}
            tied = [by_id[c.place_id] for c in candidates if c.score == top]
            return self._resolve(raw, tied, "fuzzy", top, candidates,
                                 f"fuzzy match (score {top:.2f}) to {candidates[0].name_zh}")
        best = f"; best {candidates[0].name_zh} at {candidates[0].score:.2f}" if candidates else ""
        return AddressMatch(raw, "no-match", "unlocated", candidates=candidates,
                            note=f"no place scores {self.threshold:.2f} or more{best}")
