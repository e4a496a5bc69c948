"""Build geodata/streets.geojson (road sketches, the Line 2 track) and geodata/addresses.geojson.

Inputs, all in ``geodata/sources/`` (nothing is fetched from the network):

- ``changning_pois_amap2020_wgs84.csv`` (**WGS-84**, AMap POIs c. 2020). Its bus stops are named
  ``<road the stop is on><cross street>``, so each stop is a point of its road, and a point of
  the cross street near the crossing. A road is sketched as a line through those points, one
  per cross street (stops of both directions averaged), in order along the points' main axis,
  and clipped to the district. A road with fewer than two stop points is sketched from the
  known house numbers on it instead (addresses ``<road><n>号``, lanes left out because a lane
  runs deep into the block), and only when at least two distinct addresses give it a
  direction: a stop at a crossing stands on the other road, and two buildings of one address
  say nothing about where the road runs. Either way it is a sketch (confidence ``low``):
  kerbside stops are 10–30 m off the centreline and the line is straight between points.
  The same file's street addresses become the known house numbers of the address geocoder:
  one point per distinct address (the median of the POIs giving it; ``…附近`` "near" addresses
  are left out). A leading 街道/镇 name is not part of the road (``新泾镇通协路288号`` is
  ``通协路288号``), and a road name of one character before 路 that ends another road's name
  (``宁路``, ``江路``: addresses cut short in the source) is no road.
- ``shanghai_metro_line2_track_wgs84.geojson`` (**WGS-84**): the Line 2 track, clipped to the
  district outline.

Both outputs are RFC 7946 FeatureCollections sorted by id, written like the gazetteer
(indent=1, ensure_ascii=False); the same inputs give byte-identical files.

    python -m geodata.scripts.build_streets [--reference-dir DIR] [--output-dir DIR]
"""

from __future__ import annotations

import argparse
import csv
import json
import re
import statistics
import sys
from collections import defaultdict
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import shapely
from shapely.geometry import LineString, MultiLineString, Point, mapping, shape

from app.errors import DataError
from app.geo.address import parse_road_address, strip_unit_prefix
from geodata.scripts.build_boundary import (
    BOUNDARY_FILENAME,
    COORD_DECIMALS,
    to_metric,
    write_geojson,
)
from geodata.scripts.build_gazetteer import (
    District,
    load_extra,
    pinyin_key,
    register_pinyin_corrections,
)

__all__ = [
    "ADDRESSES_FILENAME",
    "STREETS_FILENAME",
    "address_features",
    "build_streets",
    "english_road_name",
    "line2_feature",
    "main",
    "read_amap_rows",
    "road_features",
    "row_address",
    "truncated_roads",
    "split_stop_name",
]

STREETS_FILENAME = "streets.geojson"
ADDRESSES_FILENAME = "addresses.geojson"
AMAP_FILE = "changning_pois_amap2020_wgs84.csv"
LINE2_FILE = "shanghai_metro_line2_track_wgs84.geojson"
AMAP_SOURCE = f"{AMAP_FILE}: AMap POIs (c. 2020, publisher-converted to WGS-84)"
LINE2_SOURCE = f"{LINE2_FILE}: Line 2 track (Baidu line query, publisher-converted to WGS-84)"
#: Points of one road at one cross street closer than this are one point (the two directions
#: of a stop, or stops either side of the crossing), metres.
MERGE_M = 150.0

REPO_ROOT = Path(__file__).resolve().parents[2]
DEFAULT_REFERENCE_DIR = REPO_ROOT / "geodata" / "sources"
DEFAULT_OUTPUT_DIR = REPO_ROOT / "geodata"
DEFAULT_BOUNDARY = REPO_ROOT / "geodata" / BOUNDARY_FILENAME
DEFAULT_EXTRA = REPO_ROOT / "geodata" / "gazetteer_extra.toml"

_ROAD_SUFFIX = r"(?:大道|公路|支路|路|街)"
_STOP = re.compile(rf"^(?P<road>[\u4e00-\u9fff]+?{_ROAD_SUFFIX})(?P<cross>[\u4e00-\u9fff]+?)\(公交站\)$")
_DIRECTIONS = {"东": "East", "西": "West", "南": "South", "北": "North"}
_COLUMNS = ["name", "address", "adname", "amap_type", "category", "wgs84_lon", "wgs84_lat", "source_file"]


def split_stop_name(name: str) -> tuple[str, str] | None:
    """(road, cross street) of a bus stop named ``<road><cross>(公交站)``, else None.

    >>> split_stop_name("武夷路定西路(公交站)"), split_stop_name("天山支路仙霞路(公交站)")
    (('武夷路', '定西路'), ('天山支路', '仙霞路'))
    >>> split_stop_name("中山公园(公交站)") is None, split_stop_name("上海动物园(虹井路)(公交站)") is None
    (True, True)
    """
    match = _STOP.match(name)
    return (match["road"], match["cross"]) if match else None


def english_road_name(road: str) -> str:
    """A plain English rendering: pinyin of the stem, direction first, then Road/Street/Avenue.

    >>> english_road_name("延安西路"), english_road_name("武夷路"), english_road_name("天山支路")
    ("West Yan'an Road", 'Wuyi Road', 'Tianshan Branch Road')
    >>> english_road_name("沪青平公路"), english_road_name("古北路")
    ('Huqingping Highway', 'Gubei Road')
    """
    suffixes = (("大道", "Avenue"), ("公路", "Highway"), ("支路", "Branch Road"), ("路", "Road"),
                ("街", "Street"))
    found = next(((s, w) for s, w in suffixes if road.endswith(s)), None)
    if found is None:
        raise DataError(f"{road!r} does not end in a road suffix")
    suffix, word = found
    stem = road[: -len(suffix)]
    direction = ""
    if len(stem) > 2 and stem[-1] in _DIRECTIONS and word == "Road":
        direction, stem = _DIRECTIONS[stem[-1]] + " ", stem[:-1]
    import pypinyin

    syllables = pypinyin.lazy_pinyin(stem, style=pypinyin.Style.NORMAL)
    text = syllables[0] + "".join(("'" + s) if s[0] in "aeo" else s for s in syllables[1:])
    return f"{direction}{text.capitalize()} {word}"


def read_amap_rows(reference_dir: Path) -> list[dict[str, str]]:
    """Rows of the AMap 2020 POI file; DataError on a missing file or other columns."""
    path = Path(reference_dir) / AMAP_FILE
    if not path.is_file():
        raise DataError(f"reference file not found: {str(path)!r} (pass --reference-dir)")
    with open(path, encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle)
        if reader.fieldnames != _COLUMNS:
            raise DataError(f"{AMAP_FILE}: expected columns {_COLUMNS!r}, got {reader.fieldnames!r}")
        return list(reader)


def _round(xy: Sequence[float]) -> tuple[float, float]:
    """A lon/lat rounded to COORD_DECIMALS."""
    return round(float(xy[0]), COORD_DECIMALS), round(float(xy[1]), COORD_DECIMALS)


def truncated_roads(rows: Sequence[dict[str, str]]) -> frozenset[str]:
    """Road names of one character before the suffix that end a longer road name seen in the
    file (宁路 of 长宁路 or 威宁路): addresses cut short in the source, not roads."""
    names: set[str] = set()
    for row in rows:
        split = split_stop_name(row["name"]) if row["category"] == "bus_stop" else None
        if split is not None:
            names.update(split)
        text = strip_unit_prefix(re.split(r"[;；(（]", row["address"])[0])
        match = re.match(rf"^([\u4e00-\u9fff]+?{_ROAD_SUFFIX})\d", text)
        if match:
            names.add(match[1])
    return frozenset(n for n in names if len(n) == 2 and n.endswith("路")
                     and any(o != n and o.endswith(n) for o in names))


def row_address(row: dict[str, str], truncated: frozenset[str] = frozenset()
                ) -> tuple[str, str, str, bool] | None:
    """(key ``<road><n>号|弄``, road, number, lane flag) of a POI row's street address, or None
    (a bus stop, a "near" address, no house number, a road in `truncated`).

    >>> row_address({"category": "hospital", "address": "新泾镇通协路288号旭辉虹桥国际2号楼"})
    ('通协路288号', '通协路', '288', False)
    >>> row_address({"category": "school", "address": "镇宁路14附近"}) is None
    True
    """
    if row["category"] == "bus_stop" or "附近" in row["address"]:
        return None
    first = strip_unit_prefix(re.split(r"[;；(（]", row["address"])[0])
    match = re.match(rf"^([\u4e00-\u9fff]+?{_ROAD_SUFFIX})(\d+(?:-\d+)?)(号|弄)", first)
    if match is None:
        return None
    parsed = parse_road_address(match[0])
    if parsed is None or parsed.road != match[1] or match[1] in truncated:
        return None
    return match[0], match[1], match[2], match[3] == "弄"


def _house_addresses(rows: Sequence[dict[str, str]]) -> dict[str, dict]:
    """Distinct addresses ``<road><n>号|弄`` -> road, number, lane flag, POI names and points."""
    found: dict[str, dict] = {}
    truncated = truncated_roads(rows)
    for row in rows:
        address = row_address(row, truncated)
        if address is None:
            continue
        key, road, number, lane = address
        entry = found.setdefault(key, {"road": road, "number": number, "lane": lane,
                                       "names": [], "points": []})
        entry["names"].append(row["name"])
        entry["points"].append((float(row["wgs84_lon"]), float(row["wgs84_lat"])))
    return found


def address_features(rows: Sequence[dict[str, str]], district: District) -> list[dict]:
    """One Point per distinct address: the component-wise median of its POIs, rounded."""
    features = []
    for key, entry in sorted(_house_addresses(rows).items()):
        xs, ys = zip(*entry["points"], strict=True)
        position = _round((statistics.median(xs), statistics.median(ys)))
        in_district, distance = district.locate(position)
        names = sorted(set(entry["names"]))
        features.append({
            "type": "Feature", "id": key,
            "properties": {
                "address": key, "road": entry["road"], "road_en": english_road_name(entry["road"]),
                "number": entry["number"],
                "house": int(entry["number"].split("-")[0]), "lane": entry["lane"],
                "pois": len(entry["points"]), "names": names[:3], "source": AMAP_SOURCE,
                "source_crs": "wgs84", "in_district": in_district,
                "distance_to_district_m": distance,
            },
            "geometry": {"type": "Point", "coordinates": list(position)},
        })
    return features


def _ordered_line(points: list[tuple[float, float]]) -> LineString:
    """The points in order along their main axis (first principal component), as a line."""
    metric = np.array([to_metric(Point(p)).coords[0] for p in points])
    centred = metric - metric.mean(axis=0)
    axis = np.linalg.svd(centred, full_matrices=False)[2][0]
    order = np.argsort(centred @ axis, kind="stable")
    line = [points[i] for i in order]
    if line[0] > line[-1]:  # a stable direction: west to east (or south to north)
        line.reverse()
    return LineString(line)


def _merge_close(points: list[tuple[str, tuple[float, float]]]) -> list[tuple[str, tuple[float, float]]]:
    """Average points of one cross street lying within MERGE_M of each other."""
    by_cross: dict[str, list[tuple[float, float]]] = defaultdict(list)
    for cross, xy in points:
        by_cross[cross].append(xy)
    merged = []
    for cross, xys in sorted(by_cross.items()):
        groups: list[list[tuple[float, float]]] = []
        for xy in xys:
            for group in groups:
                if to_metric(Point(group[0])).distance(to_metric(Point(xy))) <= MERGE_M:
                    group.append(xy)
                    break
            else:
                groups.append([xy])
        for group in groups:
            merged.append((cross, _round(np.mean(np.array(group), axis=0))))
    return merged


def _clip(line: LineString, district: District) -> LineString | MultiLineString | None:
    """The line inside the district outline (merged where possible), None when nothing is left."""
    clipped = line.intersection(district.wgs84)
    if clipped.is_empty:
        return None
    if not isinstance(clipped, LineString):
        lines = [g for g in getattr(clipped, "geoms", [clipped]) if isinstance(g, LineString)]
        if not lines:
            return None
        clipped = shapely.line_merge(MultiLineString(lines))
    return shapely.set_precision(clipped, 10 ** -COORD_DECIMALS)


def _road_feature(road: str, geometry: LineString | MultiLineString, method: str, note: str,
                  district: District) -> dict:
    """A road feature in the gazetteer's schema (kind 'road', confidence 'low')."""
    slug = pinyin_key(road)
    name_en = english_road_name(road)
    in_district, distance = district.locate(geometry.representative_point().coords[0])
    return {
        "type": "Feature", "id": f"road-{slug}",
        "properties": {
            "id": f"road-{slug}", "name_zh": road, "name_en": name_en,
            "aliases": [road, name_en, slug], "kind": "road", "source": AMAP_SOURCE,
            "source_crs": "wgs84", "method": method, "confidence": "low", "note": note,
            "code": None, "lines": [], "in_district": in_district,
            "distance_to_district_m": distance,
        },
        "geometry": mapping(geometry),
    }


def road_features(rows: Sequence[dict[str, str]], district: District) -> list[dict]:
    """Road sketches from bus stops (or, failing two stop points, from house numbers)."""
    on_road: dict[str, list[tuple[str, tuple[float, float]]]] = defaultdict(list)
    crossing: dict[str, list[tuple[str, tuple[float, float]]]] = defaultdict(list)
    for row in rows:
        if row["category"] != "bus_stop":
            continue
        split = split_stop_name(row["name"])
        if split is None:
            continue
        road, cross = split
        xy = (float(row["wgs84_lon"]), float(row["wgs84_lat"]))
        on_road[road].append((cross, xy))
        if re.search(f"{_ROAD_SUFFIX}$", cross):
            crossing[cross].append((road, xy))
    for road, points in crossing.items():  # a crossing stop only where no stop of the road names it
        own = {cross for cross, _ in on_road.get(road, [])}
        on_road[road].extend((cross, xy) for cross, xy in points if cross not in own)
    by_road_addr: dict[str, list[tuple[str, tuple[float, float]]]] = defaultdict(list)
    for key, entry in sorted(_house_addresses(rows).items()):
        if not entry["lane"]:
            by_road_addr[entry["road"]].extend((key, xy) for xy in entry["points"])
    features = []
    for road in sorted(set(on_road) | set(by_road_addr)):
        points = _merge_close(on_road.get(road, []))
        if len(points) >= 2:
            method = f"bus-stop sketch: {len(points)} stop points (stops on it and at its crossings)"
            note = "Sketched through bus stops at: " + ", ".join(c for c, _ in points) + \
                ". Kerbside stops lie 10–30 m off the centreline; straight between stops; clipped to the district."
        else:
            stops = points
            houses = _merge_close(by_road_addr.get(road, []))
            points = stops + houses
            if len({key for key, _ in houses}) < 2:  # no direction of its own
                continue
            method = (f"house-number sketch: {len(houses)} address points"
                      + (f" and {len(stops)} bus stop" if stops else "") + " (too few bus stops)")
            note = ("Sketched through " + ", ".join(
                [f"the bus stop at {c}" for c, _ in stops] + list(dict.fromkeys(k for k, _ in houses)))
                + "; a building stands back from the road, so expect 20–100 m; clipped to the district.")
        line = _ordered_line([xy for _, xy in points])
        clipped = _clip(line, district)
        if clipped is None:
            continue
        features.append(_road_feature(road, clipped, method, note, district))
    return features


def line2_feature(reference_dir: Path, district: District) -> dict:
    """The Line 2 track clipped to the district, as a metro_line place."""
    path = Path(reference_dir) / LINE2_FILE
    if not path.is_file():
        raise DataError(f"reference file not found: {str(path)!r} (pass --reference-dir)")
    with open(path, encoding="utf-8") as handle:
        data = json.load(handle)
    track = shape(data["features"][0]["geometry"])
    clipped = _clip(track, district)
    if clipped is None:
        raise DataError(f"{LINE2_FILE}: the track does not cross the district")
    return {
        "type": "Feature", "id": "metro-line-2",
        "properties": {
            "id": "metro-line-2", "name_zh": "轨道交通2号线", "name_en": "Metro Line 2",
            "aliases": ["2号线", "地铁2号线", "Line 2"], "kind": "metro_line", "source": LINE2_SOURCE,
            "source_crs": "wgs84", "method": "track geometry clipped to the district",
            "confidence": "medium",
            "note": "Track line of a map service's line query; passes within 1 m of the Line 2 station positions.",
            "code": None, "lines": [2], "in_district": True, "distance_to_district_m": 0.0,
        },
        "geometry": mapping(clipped),
    }


def build_streets(reference_dir: Path = DEFAULT_REFERENCE_DIR, output_dir: Path = DEFAULT_OUTPUT_DIR,
                  boundary_path: Path = DEFAULT_BOUNDARY, extra_path: Path = DEFAULT_EXTRA
                  ) -> tuple[Path, Path]:
    """Write streets.geojson and addresses.geojson into `output_dir`; print a summary."""
    register_pinyin_corrections(load_extra(Path(extra_path)).get("pinyin", {}))
    district = District.from_geojson(Path(boundary_path))
    rows = read_amap_rows(reference_dir)
    roads = road_features(rows, district)
    streets = sorted([*roads, line2_feature(reference_dir, district)], key=lambda f: f["id"])
    addresses = address_features(rows, district)
    streets_path = Path(output_dir) / STREETS_FILENAME
    addresses_path = Path(output_dir) / ADDRESSES_FILENAME
    write_geojson({"type": "FeatureCollection", "features": streets}, streets_path)
    write_geojson({"type": "FeatureCollection", "features": addresses}, addresses_path)
    from_stops = sum(1 for f in roads if f["properties"]["method"].startswith("bus-stop"))
    print(f"wrote {streets_path}: {len(roads)} road sketches ({from_stops} from bus stops, "
          f"{len(roads) - from_stops} from house numbers) and the Line 2 track")
    print(f"wrote {addresses_path}: {len(addresses)} distinct addresses "
          f"({sum(1 for f in addresses if f['properties']['lane'])} lanes)")
    return streets_path, addresses_path


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point; returns the process exit status."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--reference-dir", type=Path, default=DEFAULT_REFERENCE_DIR)
    parser.add_argument("--output-dir", type=Path, default=DEFAULT_OUTPUT_DIR)
    parser.add_argument("--boundary", type=Path, default=DEFAULT_BOUNDARY)
    parser.add_argument("--extra", type=Path, default=DEFAULT_EXTRA)
    args = parser.parse_args(argv)
    build_streets(args.reference_dir, args.output_dir, args.boundary, args.extra)
    return 0


if __name__ == "__main__":
    sys.exit(main())
