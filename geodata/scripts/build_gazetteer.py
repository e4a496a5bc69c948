"""Build geodata/gazetteer.geojson: the named places of Changning District, in WGS-84.

Inputs (nothing is fetched from the network):

- ``shanghai_metro_stations_bd09.csv`` (``geodata/sources/``; **BD-09**): Baidu station POIs of 2017.
  Rows of lines 2, 3, 4, 10 and 11 are converted BD-09 -> WGS-84 and kept when they lie in the
  district or within STATION_BUFFER_M of it; one feature per (line, station).
- ``changning_pois_gcj02.csv`` (``geodata/sources/``; **GCJ-02**): AMap markers of 2019. Converted
  GCJ-02 -> WGS-84 and kept when in the district or within POI_BUFFER_M of it.
- ``shanghai_metro_amap2025_gcj02.json`` (``geodata/sources/``; **GCJ-02**): the 2025 AMap
  subway map; gives the Line 15 stations flagged ``position_amap2025`` in gazetteer_extra.toml.
- ``geodata/gazetteer_extra.toml``: hand-curated English names, kinds, aliases, Line 15 (absent
  from the 2017 file) and the ten sub-districts (names and codes, no geometry).
- ``geodata/changning_boundary.geojson`` (built by build_boundary.py): for in/out and distances,
  measured in EPSG:32651.

The output is an RFC 7946 FeatureCollection sorted by id, written with indent=1 and
ensure_ascii=False; the same inputs give a byte-identical file.

Run from the repository root (pypinyin comes with the ``build-data`` extra)::

    python -m geodata.scripts.build_gazetteer [--reference-dir DIR] [--output-dir DIR]
"""

from __future__ import annotations

import argparse
import csv
import json
import re
import sys
import tomllib
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from shapely.geometry import MultiPolygon, Point, Polygon, shape

from app.errors import DataError
from app.geo.crs import convert
from geodata.scripts.build_boundary import (
    BOUNDARY_FILENAME,
    COORD_DECIMALS,
    INSTALL_HINT,
    to_metric,
    write_geojson,
)

__all__ = [
    "CONFIDENCES",
    "GAZETTEER_FILENAME",
    "KINDS",
    "METRO_LINES",
    "POI_BUFFER_M",
    "SOURCE_CRS_NAMES",
    "STATION_BUFFER_M",
    "District",
    "GazetteerEntry",
    "MetroRow",
    "PoiRow",
    "build_gazetteer",
    "gazetteer_collection",
    "load_extra",
    "main",
    "metro_entries",
    "metro_extra_entries",
    "pinyin_key",
    "poi_entries",
    "read_amap2025_line15",
    "read_metro_rows",
    "read_poi_rows",
    "register_pinyin_corrections",
    "subdistrict_entries",
]

#: Output file name in geodata/.
GAZETTEER_FILENAME = "gazetteer.geojson"
#: Metro lines taken from the reference file (Line 15 is curated by hand: it is not in the file).
METRO_LINES = (2, 3, 4, 10, 11)
#: A station is kept when it lies in the district or at most this far outside (metres).
STATION_BUFFER_M = 1000.0
#: A reference place is kept when it lies in the district or at most this far outside (metres).
POI_BUFFER_M = 200.0
#: Rows of two variants of one line name the same station when this close (metres).
VARIANT_TOLERANCE_M = 1.0

KINDS = frozenset({
    "district", "subdistrict", "metro_station", "park", "museum", "mall", "hotel",
    "creative_park", "library", "venue", "school", "landmark",
})
CONFIDENCES = frozenset({"high", "medium", "low", "none"})
SOURCE_CRS_NAMES = frozenset({"bd09", "gcj02", "wgs84"})

METRO_FILE = "shanghai_metro_stations_bd09.csv"
POI_FILE = "changning_pois_gcj02.csv"
AMAP2025_FILE = "shanghai_metro_amap2025_gcj02.json"
METRO_SOURCE = f"{METRO_FILE}: Baidu station POI (2017)"
POI_SOURCE = f"{POI_FILE}: AMap marker (2019)"
SUBDISTRICT_NOTE = "no outline in the shipped sources"

REPO_ROOT = Path(__file__).resolve().parents[2]
DEFAULT_REFERENCE_DIR = REPO_ROOT / "geodata" / "sources"
DEFAULT_OUTPUT_DIR = REPO_ROOT / "geodata"
DEFAULT_BOUNDARY = REPO_ROOT / "geodata" / BOUNDARY_FILENAME
DEFAULT_EXTRA = REPO_ROOT / "geodata" / "gazetteer_extra.toml"

_ID_PATTERN = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")
_LINE_PATTERN = re.compile(r"^地铁(\d+)号线")
_CJK = re.compile(r"[\u4e00-\u9fff]")


# --------------------------------------------------------------------------------------------
# Types


@dataclass(frozen=True)
class MetroRow:
    """One row of the BD-09 station file: a station of one variant of one line."""

    line_label: str
    line: int
    seq: int
    station: str
    bd09_lon: float
    bd09_lat: float

    @property
    def reference(self) -> str:
        """Human-readable pointer back to the row, e.g. '地铁2号线(广兰路-徐泾东) seq 15'."""
        return f"{self.line_label} seq {self.seq}"


@dataclass(frozen=True)
class PoiRow:
    """One row of the GCJ-02 place file."""

    name: str
    gcj02_lon: float
    gcj02_lat: float


@dataclass(frozen=True)
class District:
    """The district outline in WGS-84 and in EPSG:32651, for in/out tests and distances."""

    wgs84: MultiPolygon
    metric: MultiPolygon = field(repr=False)

    @classmethod
    def from_wgs84(cls, outline: Polygon | MultiPolygon) -> District:
        """Wrap a WGS-84 outline.

        >>> d = District.from_wgs84(Polygon([(121.40, 31.20), (121.41, 31.20), (121.41, 31.21)]))
        >>> d.locate((121.409, 31.201)), d.locate((121.40, 31.21))[0]
        ((True, 0.0), False)
        >>> d.locate(None)
        (None, None)
        """
        if isinstance(outline, Polygon):
            outline = MultiPolygon([outline])
        if not isinstance(outline, MultiPolygon) or outline.is_empty:
            raise DataError(f"district outline must be a non-empty (Multi)Polygon, got {outline.wkt[:60]!r}")
        return cls(wgs84=outline, metric=to_metric(outline))

    @classmethod
    def from_geojson(cls, path: Path) -> District:
        """Read the one-feature FeatureCollection written by build_boundary.py."""
        with open(path, encoding="utf-8") as handle:
            data = json.load(handle)
        features = data.get("features") if isinstance(data, dict) else None
        if not features or len(features) != 1:
            raise DataError(f"{str(path)!r} should hold exactly one feature, got {features!r:.80}")
        return cls.from_wgs84(shape(features[0]["geometry"]))

    def locate(self, position: tuple[float, float] | None) -> tuple[bool | None, float | None]:
        """(in_district, distance in metres rounded to 1 m) for a WGS-84 lon/lat, or (None, None)."""
        if position is None:
            return None, None
        point = Point(position)
        if self.wgs84.covers(point):
            return True, 0.0
        distance = float(self.metric.distance(to_metric(point)))
        return False, float(round(distance))


@dataclass(frozen=True)
class GazetteerEntry:
    """One named place; raises DataError naming the bad value when inconsistent.

    >>> GazetteerEntry(id="poi-x", name_zh="某地", name_en="X", aliases=(), kind="zoo",
    ...                source="s", source_crs=None, method="none", confidence="none", note="")
    ... # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    app.errors.DataError: poi-x: unknown kind 'zoo'; use one of ...
    """

    id: str
    name_zh: str
    name_en: str
    aliases: tuple[str, ...]
    kind: str
    source: str
    source_crs: str | None
    method: str
    confidence: str
    note: str
    code: str | None = None
    lines: tuple[int, ...] = ()
    position: tuple[float, float] | None = None
    in_district: bool | None = None
    distance_to_district_m: float | None = None
    seq: int | None = None

    def __post_init__(self) -> None:
        problems = []
        if not _ID_PATTERN.match(self.id):
            problems.append(f"id {self.id!r} is not a slug [a-z0-9-]")
        if self.kind not in KINDS:
            problems.append(f"unknown kind {self.kind!r}; use one of {', '.join(sorted(KINDS))}")
        if self.confidence not in CONFIDENCES:
            problems.append(f"unknown confidence {self.confidence!r}; use one of {sorted(CONFIDENCES)}")
        if self.source_crs is not None and self.source_crs not in SOURCE_CRS_NAMES:
            problems.append(f"unknown source_crs {self.source_crs!r}")
        if (self.position is None) != (self.confidence == "none"):
            problems.append(
                f"position {self.position!r} does not fit confidence {self.confidence!r}: "
                "an entry has a position exactly when its confidence is not 'none'"
            )
        if self.position is None and self.distance_to_district_m is not None:
            problems.append(f"distance {self.distance_to_district_m!r} without a position")
        if self.position is not None:
            lon, lat = self.position
            if not (-180 <= lon <= 180 and -90 <= lat <= 90):
                problems.append(f"position {self.position!r} is not lon/lat")
        if (self.kind == "metro_station") != bool(self.lines):
            problems.append(f"lines {list(self.lines)!r} only, and always, for metro stations")
        if not self.name_zh or not self.name_en:
            problems.append(f"names must not be empty: {self.name_zh!r} / {self.name_en!r}")
        if problems:
            raise DataError(f"{self.id}: " + "; ".join(problems))

    def to_feature(self) -> dict:
        """The entry as an RFC 7946 Feature (Point or null geometry)."""
        properties: dict = {
            "id": self.id,
            "name_zh": self.name_zh,
            "name_en": self.name_en,
            "aliases": list(self.aliases),
            "kind": self.kind,
            "source": self.source,
            "source_crs": self.source_crs,
            "method": self.method,
            "confidence": self.confidence,
            "note": self.note,
            "code": self.code,
            "lines": list(self.lines),
            "in_district": self.in_district,
            "distance_to_district_m": self.distance_to_district_m,
        }
        if self.kind == "metro_station":
            properties["seq"] = self.seq
        geometry = None
        if self.position is not None:
            geometry = {"type": "Point", "coordinates": [self.position[0], self.position[1]]}
        return {"type": "Feature", "id": self.id, "properties": properties, "geometry": geometry}


# --------------------------------------------------------------------------------------------
# Reading inputs


def _read_csv(path: Path, columns: Sequence[str]) -> list[dict[str, str]]:
    """Rows of a UTF-8 CSV whose header must be exactly `columns`."""
    if not path.is_file():
        raise DataError(f"reference file not found: {str(path)!r} (pass --reference-dir)")
    with open(path, encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle)
        if reader.fieldnames != list(columns):
            raise DataError(f"{path.name}: expected columns {list(columns)!r}, got {reader.fieldnames!r}")
        return list(reader)


def _number(text: str, what: str) -> float:
    """A float from a CSV cell, or DataError quoting the cell."""
    try:
        return float(text)
    except ValueError:
        raise DataError(f"{what}: {text!r} is not a number") from None


def read_metro_rows(reference_dir: Path) -> list[MetroRow]:
    """All rows of the BD-09 station file, in file order.

    The line number is read from the line label: '地铁10号线(新江湾城-航中路)' -> 10;
    '地铁2号线东延伸段(...)' -> 2.
    """
    rows = []
    path = Path(reference_dir) / METRO_FILE
    for number, raw in enumerate(_read_csv(path, ["line", "seq", "station", "bd09_lat", "bd09_lon"]), 2):
        match = _LINE_PATTERN.match(raw["line"])
        if not match:
            raise DataError(f"{METRO_FILE} line {number}: line label {raw['line']!r} is not '地铁N号线…'")
        where = f"{METRO_FILE} line {number}"
        rows.append(MetroRow(
            line_label=raw["line"],
            line=int(match.group(1)),
            seq=int(_number(raw["seq"], where)),
            station=raw["station"].strip(),
            bd09_lon=_number(raw["bd09_lon"], where),
            bd09_lat=_number(raw["bd09_lat"], where),
        ))
    return rows


def read_poi_rows(reference_dir: Path) -> list[PoiRow]:
    """All rows of the GCJ-02 place file, in file order; names must be unique."""
    path = Path(reference_dir) / POI_FILE
    rows = []
    for number, raw in enumerate(_read_csv(path, ["name", "gcj02_lat", "gcj02_lon"]), 2):
        where = f"{POI_FILE} line {number}"
        rows.append(PoiRow(raw["name"].strip(), _number(raw["gcj02_lon"], where),
                           _number(raw["gcj02_lat"], where)))
    duplicates = sorted(name for name, n in Counter(r.name for r in rows).items() if n > 1)
    if duplicates:
        raise DataError(f"{POI_FILE}: duplicate names {duplicates!r}")
    return rows


def load_extra(path: Path) -> dict:
    """Parse gazetteer_extra.toml; DataError quoting the file on a syntax error."""
    try:
        with open(path, "rb") as handle:
            return tomllib.load(handle)
    except tomllib.TOMLDecodeError as exc:
        raise DataError(f"{str(path)!r}: {exc}") from None


# --------------------------------------------------------------------------------------------
# Names


def _pinyin_module():
    """Import pypinyin, or explain how to install it (it is a build-only dependency)."""
    try:
        import pypinyin
    except ModuleNotFoundError as exc:
        raise ImportError(f"the package 'pypinyin' is not installed: {INSTALL_HINT}") from exc
    return pypinyin


def register_pinyin_corrections(corrections: dict[str, str]) -> None:
    """Teach pypinyin readings it gets wrong, e.g. {'长宁': 'cháng níng'} (tone marks required).

    >>> register_pinyin_corrections({"长宁": "cháng"})
    Traceback (most recent call last):
    ...
    app.errors.DataError: pinyin correction for '长宁': 'cháng' has 1 syllable(s) for 2 character(s)
    """
    phrases = {}
    for phrase, reading in sorted(corrections.items()):
        syllables = reading.split()
        if len(syllables) != len(phrase):
            raise DataError(f"pinyin correction for {phrase!r}: {reading!r} has "
                            f"{len(syllables)} syllable(s) for {len(phrase)} character(s)")
        phrases[phrase] = [[s] for s in syllables]
    _pinyin_module().load_phrases_dict(phrases)


def pinyin_key(text: str) -> str:
    """Toneless pinyin without spaces or punctuation, lower case; other letters and digits kept.

    >>> pinyin_key("天山公园"), pinyin_key("虹桥2号航站楼"), pinyin_key("凌空SOHO")
    ('tianshangongyuan', 'hongqiao2haohangzhanlou', 'lingkongsoho')
    >>> pinyin_key("环东华·智尚源"), pinyin_key("")
    ('huandonghuazhishangyuan', '')
    """
    pypinyin = _pinyin_module()
    syllables = pypinyin.lazy_pinyin(text, style=pypinyin.Style.NORMAL)
    return re.sub(r"[^a-z0-9]", "", "".join(syllables).lower())


def _slug(text: str, what: str) -> str:
    """An id part from a Chinese name; DataError if nothing is left."""
    slug = pinyin_key(text)
    if not slug:
        raise DataError(f"cannot make an id from {what} {text!r}")
    return slug


def _aliases(zh: Iterable[str], en: Iterable[str], pinyin_of: Iterable[str]) -> tuple[str, ...]:
    """Aliases in a stable order: zh variants, en variants, pinyin; duplicates and blanks dropped."""
    zh, en, pinyin_of = list(zh), list(en), list(pinyin_of)
    pinyin = [pinyin_key(text) for text in pinyin_of if _CJK.search(text)]
    ordered = []
    for alias in [*zh, *en, *pinyin]:
        alias = alias.strip()
        if alias and alias not in ordered:
            ordered.append(alias)
    return tuple(ordered)


def _strings(table: dict, key: str, where: str) -> list[str]:
    """An optional list-of-strings value of a TOML table."""
    value = table.get(key, [])
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise DataError(f"{where}: {key} must be a list of strings, got {value!r}")
    return value


def _required(table: dict, key: str, where: str) -> str:
    """A required non-empty string value of a TOML table."""
    value = table.get(key)
    if not isinstance(value, str) or not value.strip():
        raise DataError(f"{where}: {key} must be a non-empty string, got {value!r}")
    return value


# --------------------------------------------------------------------------------------------
# Building entries


def _converted(lons: Sequence[float], lats: Sequence[float], src: str) -> list[tuple[float, float]]:
    """Convert positions to WGS-84 and round them to COORD_DECIMALS."""
    if not lons:
        return []
    lon, lat = convert(np.asarray(lons, dtype=float), np.asarray(lats, dtype=float), src, "wgs84")
    return [(round(float(x), COORD_DECIMALS), round(float(y), COORD_DECIMALS)) for x, y in zip(lon, lat, strict=True)]


def _station_names(extra: dict, station: str) -> dict:
    """The curated [metro_station."<name>"] table, or DataError."""
    names = extra.get("metro_station", {}).get(station)
    if names is None:
        raise DataError(f"station {station!r} has no [metro_station.\"{station}\"] entry in gazetteer_extra.toml")
    return names


def _station_entry(
    line: int, station: str, extra: dict, district: District, *, position: tuple[float, float] | None,
    source: str, source_crs: str | None, method: str, confidence: str, note: str, seq: int | None,
) -> GazetteerEntry:
    """A metro_station entry with names and aliases from the curated table."""
    where = f"[metro_station.\"{station}\"]"
    names = _station_names(extra, station)
    name_en = _required(names, "name_en", where)
    aliases_zh = _strings(names, "aliases_zh", where)
    in_district, distance = district.locate(position)
    return GazetteerEntry(
        id=f"metro-l{line}-{_slug(station, 'station')}",
        name_zh=f"{station}站",
        name_en=f"{name_en} (Line {line})",
        aliases=_aliases([station, f"{station}站", *aliases_zh],
                         [name_en, *_strings(names, "aliases_en", where)], [station, *aliases_zh]),
        kind="metro_station", source=source, source_crs=source_crs, method=method,
        confidence=confidence, note=note, lines=(line,), position=position,
        in_district=in_district, distance_to_district_m=distance, seq=seq,
    )


def metro_entries(rows: Sequence[MetroRow], extra: dict, district: District) -> list[GazetteerEntry]:
    """One entry per (line, station) of METRO_LINES within STATION_BUFFER_M of the district.

    Variants of one line that list the same station (Line 10's two branches, Line 11's two
    rows, the Line 4 loop listing 宜山路 at both ends) become one entry with the first row's seq;
    DataError if their positions differ by more than VARIANT_TOLERANCE_M.
    """
    wanted = [row for row in rows if row.line in METRO_LINES]
    positions = _converted([r.bd09_lon for r in wanted], [r.bd09_lat for r in wanted], "bd09")
    groups: dict[tuple[int, str], list[tuple[MetroRow, tuple[float, float]]]] = {}
    for row, position in zip(wanted, positions, strict=True):
        _, distance = district.locate(position)
        if distance <= STATION_BUFFER_M:
            groups.setdefault((row.line, row.station), []).append((row, position))
    entries = []
    for (line, station), members in groups.items():
        first_row, position = members[0]
        for row, other in members[1:]:
            gap = to_metric(Point(position)).distance(to_metric(Point(other)))
            if gap > VARIANT_TOLERANCE_M:
                raise DataError(f"Line {line} {station!r}: rows {first_row.reference!r} and "
                                f"{row.reference!r} are {gap:.0f} m apart; decide which to keep")
        references = "; ".join(row.reference for row, _ in members)
        label = "reference rows" if len(members) > 1 else "reference row"
        entries.append(_station_entry(
            line, station, extra, district, position=position, source=METRO_SOURCE,
            source_crs="bd09", method="bd09→wgs84 conversion", confidence="high",
            note=f"{label}: {references}", seq=first_row.seq,
        ))
    return entries


def read_amap2025_line15(reference_dir: Path) -> dict[str, tuple[float, float]]:
    """Line 15 station -> GCJ-02 lon/lat from the 2025 AMap subway map (vertices in station order)."""
    path = Path(reference_dir) / AMAP2025_FILE
    if not path.is_file():
        raise DataError(f"reference file not found: {str(path)!r} (pass --reference-dir)")
    with open(path, encoding="utf-8") as handle:
        data = json.load(handle)
    order = data.get("line15_station_order") or []
    lines = [line for line in data.get("lines", []) if line.get("line_name") == "15号线"]
    if len(lines) != 1 or len(lines[0]["gcj02_lonlat"]) != len(order):
        raise DataError(f"{AMAP2025_FILE}: Line 15's vertices do not match its station order")
    return {name: (float(xy[0]), float(xy[1])) for name, xy in zip(order, lines[0]["gcj02_lonlat"], strict=True)}


def metro_extra_entries(extra: dict, district: District, built: Sequence[GazetteerEntry],
                        line15_gcj02: dict[str, tuple[float, float]] | None = None) -> list[GazetteerEntry]:
    """Stations curated in [[metro_extra]] (Line 15): a position via `position_from` or
    `position_amap2025` (the 2025 subway-map vertex, converted GCJ-02 -> WGS-84)."""
    by_id = {entry.id: entry for entry in built}
    entries = []
    for number, item in enumerate(extra.get("metro_extra", []), 1):
        where = f"[[metro_extra]] #{number}"
        line, station = item.get("line"), _required(item, "station", where)
        if not isinstance(line, int):
            raise DataError(f"{where}: line must be an integer, got {line!r}")
        confidence = _required(item, "confidence", where)
        origin = item.get("position_from")
        position, source_crs = None, None
        if origin is not None:
            if origin not in by_id or by_id[origin].position is None:
                raise DataError(f"{where}: position_from {origin!r} is not a built entry with a position")
            position, source_crs = by_id[origin].position, by_id[origin].source_crs
        elif item.get("position_amap2025"):
            if not line15_gcj02 or station not in line15_gcj02:
                raise DataError(f"{where}: {station!r} is not in {AMAP2025_FILE}")
            gcj = line15_gcj02[station]
            position, source_crs = _converted([gcj[0]], [gcj[1]], "gcj02")[0], "gcj02"
        elif confidence != "none":
            raise DataError(f"{where}: {station!r} has no position_from, so its confidence must "
                            f"be 'none', not {confidence!r}")
        entries.append(_station_entry(
            line, station, extra, district, position=position,
            source=_required(item, "source", where), source_crs=source_crs,
            method=_required(item, "method", where), confidence=confidence,
            note=item.get("note", ""), seq=None,
        ))
    return entries


def poi_entries(rows: Sequence[PoiRow], extra: dict, district: District) -> tuple[list[GazetteerEntry], list[tuple[str, float]]]:
    """Entries for reference places within POI_BUFFER_M of the district, and (name, metres) left out.

    DataError if a kept place has no [poi."<name>"] entry, or an entry matches no kept place.
    """
    curated = extra.get("poi", {})
    positions = _converted([r.gcj02_lon for r in rows], [r.gcj02_lat for r in rows], "gcj02")
    entries, excluded, missing = [], [], []
    for row, position in zip(rows, positions, strict=True):
        in_district, distance = district.locate(position)
        if distance > POI_BUFFER_M:
            excluded.append((row.name, distance))
            continue
        if row.name not in curated:
            missing.append(row.name)
            continue
        item, where = curated[row.name], f"[poi.\"{row.name}\"]"
        name_en = _required(item, "name_en", where)
        aliases_zh = _strings(item, "aliases_zh", where)
        entries.append(GazetteerEntry(
            id=f"poi-{_slug(row.name, 'place')}", name_zh=row.name, name_en=name_en,
            aliases=_aliases(aliases_zh, [name_en, *_strings(item, "aliases_en", where)],
                             [row.name, *aliases_zh]),
            kind=_required(item, "kind", where), source=POI_SOURCE, source_crs="gcj02",
            method="gcj02→wgs84 conversion", confidence="medium", note=item.get("note", ""),
            position=position, in_district=in_district, distance_to_district_m=distance,
        ))
    if missing:
        raise DataError(f"places in or near the district without a [poi] entry in gazetteer_extra.toml: {missing!r}")
    unused = sorted(set(curated) - {entry.name_zh for entry in entries})
    if unused:
        raise DataError(f"[poi] entries in gazetteer_extra.toml that match no kept place: {unused!r}")
    return entries, excluded


def subdistrict_entries(extra: dict) -> list[GazetteerEntry]:
    """The sub-districts from [[subdistrict]]: names and codes, no geometry (no outline is shipped).

    >>> extra = {"subdistricts": {"source": "codes"},
    ...          "subdistrict": [{"name_zh": "新泾镇", "code": "310105102", "name_en": "Xinjing Town"}]}
    >>> [(e.id, e.aliases) for e in subdistrict_entries(extra)]
    [('subdistrict-xinjing', ('新泾', 'Xinjing Town', 'xinjingzhen', 'xinjing'))]
    """
    source = _required(extra.get("subdistricts", {}), "source", "[subdistricts]")
    entries = []
    for number, item in enumerate(extra.get("subdistrict", []), 1):
        where = f"[[subdistrict]] #{number}"
        name_zh, code = _required(item, "name_zh", where), _required(item, "code", where)
        if not re.fullmatch(r"310105\d{3}", code):
            raise DataError(f"{where}: code {code!r} is not a 9-digit code under 310105")
        short = re.sub(r"(街道|镇)$", "", name_zh)
        name_en = _required(item, "name_en", where)
        entries.append(GazetteerEntry(
            id=f"subdistrict-{_slug(short, 'sub-district')}", name_zh=name_zh, name_en=name_en,
            aliases=_aliases([short, *_strings(item, "aliases_zh", where)],
                             [name_en, *_strings(item, "aliases_en", where)], [name_zh, short]),
            kind="subdistrict", source=source, source_crs=None, method="none", confidence="none",
            note=SUBDISTRICT_NOTE, code=code, in_district=True,
        ))
    return entries


def gazetteer_collection(entries: Iterable[GazetteerEntry]) -> dict:
    """An RFC 7946 FeatureCollection of the entries, sorted by id; DataError on duplicate ids.

    >>> gazetteer_collection([])
    {'type': 'FeatureCollection', 'features': []}
    """
    entries = sorted(entries, key=lambda entry: entry.id)
    duplicates = sorted(i for i, n in Counter(entry.id for entry in entries).items() if n > 1)
    if duplicates:
        raise DataError(f"duplicate gazetteer ids: {duplicates!r}")
    return {"type": "FeatureCollection", "features": [entry.to_feature() for entry in entries]}


def _check_unused_station_names(extra: dict, entries: Sequence[GazetteerEntry]) -> None:
    """DataError for [metro_station] tables that no built station uses."""
    used = {entry.name_zh.removesuffix("站") for entry in entries if entry.kind == "metro_station"}
    unused = sorted(set(extra.get("metro_station", {})) - used)
    if unused:
        raise DataError(f"[metro_station] entries in gazetteer_extra.toml used by no station: {unused!r}")


def build_gazetteer(
    reference_dir: Path = DEFAULT_REFERENCE_DIR,
    output_dir: Path = DEFAULT_OUTPUT_DIR,
    boundary_path: Path = DEFAULT_BOUNDARY,
    extra_path: Path = DEFAULT_EXTRA,
) -> Path:
    """Build ``gazetteer.geojson`` into `output_dir`, print a summary, and return its path."""
    reference_dir = Path(reference_dir)
    if not reference_dir.is_dir():
        raise DataError(f"reference directory not found: {str(reference_dir)!r} (pass --reference-dir)")
    extra = load_extra(Path(extra_path))
    register_pinyin_corrections(extra.get("pinyin", {}))
    district = District.from_geojson(Path(boundary_path))

    stations = metro_entries(read_metro_rows(reference_dir), extra, district)
    stations += metro_extra_entries(extra, district, stations, read_amap2025_line15(reference_dir))
    _check_unused_station_names(extra, stations)
    places, excluded = poi_entries(read_poi_rows(reference_dir), extra, district)
    subdistricts = subdistrict_entries(extra)

    path = Path(output_dir) / GAZETTEER_FILENAME
    write_geojson(gazetteer_collection([*stations, *places, *subdistricts]), path)

    per_line = Counter(entry.lines[0] for entry in stations)
    print(f"wrote {path}: {len(stations) + len(places) + len(subdistricts)} features")
    print("  stations per line (in district or within "
          f"{STATION_BUFFER_M:.0f} m): " + ", ".join(f"L{k}: {per_line[k]}" for k in sorted(per_line)))
    near = [entry.name_zh for entry in places if not entry.in_district]
    print(f"  reference places kept: {len(places)} ({len(near)} outside but within {POI_BUFFER_M:.0f} m"
          + (f": {', '.join(near)}" if near else "") + ")")
    print(f"  reference places left out (beyond {POI_BUFFER_M:.0f} m): "
          + (", ".join(f"{name} ({metres:.0f} m)" for name, metres in excluded) or "none"))
    print(f"  sub-districts: {len(subdistricts)} (no geometry)")
    return path


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point; returns the process exit status."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--reference-dir", type=Path, default=DEFAULT_REFERENCE_DIR,
                        help="folder with the reference CSV files (default: %(default)s)")
    parser.add_argument("--output-dir", type=Path, default=DEFAULT_OUTPUT_DIR,
                        help=f"where to write {GAZETTEER_FILENAME} (default: %(default)s)")
    parser.add_argument("--boundary", type=Path, default=DEFAULT_BOUNDARY,
                        help="district outline built by build_boundary.py (default: %(default)s)")
    parser.add_argument("--extra", type=Path, default=DEFAULT_EXTRA,
                        help="hand-curated entries (default: %(default)s)")
    args = parser.parse_args(argv)
    build_gazetteer(args.reference_dir, args.output_dir, args.boundary, args.extra)
    return 0


if __name__ == "__main__":
    sys.exit(main())
