"""Measure the address geocoder out of sample: k-fold by address, the held-out POIs removed
from everything the geocoder is built from.

The known house numbers and the road sketches are both made from the AMap POIs of c. 2020
(``sources/changning_pois_amap2020_wgs84.csv``), so a test on the addresses the index was built
from says nothing. Here the distinct house-number addresses (``<road><n>号``; lanes are left
out, a lane's point stands deep in its block) are dealt into `k` folds by a fixed seed. For each
fold, every POI row giving one of its addresses is removed; the road sketches and the known
house numbers are rebuilt from the remaining rows exactly as ``build_streets`` builds them; and
each held-out address, typed as ``<road><n>号``, is matched by :class:`app.geo.address.Matcher`
over the gazetteer's other places and those rebuilt roads, as the importer matches a row. Its
true point is the median of its own POIs (what ``addresses.geojson`` would hold).

Outcomes per held-out address:

- ``house``: placed at house-number level (an interpolated point between two known numbers);
  its error is the distance to the true point;
- ``road``: only the road was found; its error is the distance from the road's representative
  point (the point a CSV or a report would give) to the true point;
- ``unlocated``: not placed (the road is not sketched without these POIs, or unknown).

Printed and returned: counts and shares of each, the median and 90th-percentile error of the
house-level ones and of the road-only ones, and the share of all held-out addresses placed
within 100 m.

    python -m geodata.scripts.address_kfold [--folds 5] [--seed N] [--only FOLD ...]
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
from collections import defaultdict
from pathlib import Path

import numpy as np
from shapely import Point

from app.geo.address import Matcher
from app.geo.gazetteer import Place, load_places
from app.geo.geocode import to_metric
from app.geo.housenumbers import AddressBook, KnownAddress
from geodata.scripts.build_gazetteer import District, load_extra, register_pinyin_corrections
from geodata.scripts.build_streets import (
    DEFAULT_BOUNDARY,
    DEFAULT_EXTRA,
    DEFAULT_REFERENCE_DIR,
    address_features,
    read_amap_rows,
    road_features,
    row_address,
    truncated_roads,
)

__all__ = ["SEED", "kfold", "main"]

DEFAULT_DATA_DIR = Path(__file__).resolve().parents[2] / "geodata"
SEED = 20250108  # the report's date
#: Distance under which a placed address counts as right at the door.
NEAR_M = 100.0


def _book(features: list[dict]) -> AddressBook:
    """An AddressBook of address features as build_streets writes them."""
    return AddressBook(KnownAddress(
        key=f["properties"]["address"], road=f["properties"]["road"],
        number=f["properties"]["number"], house=int(f["properties"]["house"]),
        lane=bool(f["properties"]["lane"]), point=Point(f["geometry"]["coordinates"]),
        names=tuple(f["properties"]["names"]), source=f["properties"]["source"],
        road_en=f["properties"]["road_en"]) for f in features)


def _stats(values: list[float]) -> tuple[int | None, int | None]:
    if not values:
        return None, None
    return round(float(np.median(values))), round(float(np.percentile(values, 90)))


def kfold(folds: int = 5, seed: int = SEED, only: tuple[int, ...] | None = None,
          reference_dir: Path = DEFAULT_REFERENCE_DIR, data_dir: Path = DEFAULT_DATA_DIR,
          boundary: Path = DEFAULT_BOUNDARY, extra: Path = DEFAULT_EXTRA) -> dict[str, object]:
    """Run the k-fold evaluation (all folds, or those in `only`) and return the figures.

    >>> f = kfold(folds=20, only=(0,))
    >>> f["held_out"] == f["house"] + f["road"] + f["unlocated"] and f["held_out"] > 10
    True
    >>> kfold(folds=1)
    Traceback (most recent call last):
    ...
    ValueError: folds must be at least 2, got 1
    """
    if folds < 2:
        raise ValueError(f"folds must be at least 2, got {folds}")
    chosen = tuple(range(folds)) if only is None else tuple(only)
    if any(not 0 <= i < folds for i in chosen):
        raise ValueError(f"folds to run must lie in 0..{folds - 1}, got {chosen}")
    register_pinyin_corrections(load_extra(Path(extra)).get("pinyin", {}))
    district = District.from_geojson(Path(boundary))
    rows = read_amap_rows(Path(reference_dir))
    truncated = truncated_roads(rows)
    by_key: dict[str, list[int]] = defaultdict(list)
    for i, row in enumerate(rows):
        address = row_address(row, truncated)
        if address is not None and not address[3]:
            by_key[address[0]].append(i)
    keys = sorted(by_key)
    random.Random(seed).shuffle(keys)  # noqa: S311 - a reproducible deal, not a secret
    others = [p for p in load_places(Path(data_dir)) if p.kind != "road"]
    house: list[float] = []
    road: list[float] = []
    unlocated = 0
    for fold in chosen:
        held = keys[fold::folds]
        dropped = {i for key in held for i in by_key[key]}
        kept = [row for i, row in enumerate(rows) if i not in dropped]
        roads = [Place.from_feature(f, where="fold road") for f in road_features(kept, district)]
        matcher = Matcher.from_places([*others, *roads],
                                      addresses=_book(address_features(kept, district)))
        for key in held:
            points = [(float(rows[i]["wgs84_lon"]), float(rows[i]["wgs84_lat"])) for i in by_key[key]]
            xs, ys = zip(*points, strict=True)
            truth = to_metric(Point(statistics.median(xs), statistics.median(ys)))
            result = matcher.match(key)
            if result.method in ("address", "address-interpolated"):
                house.append(float(to_metric(result.geometry).distance(truth)))
            elif result.method == "road":
                point = result.geometry.representative_point()
                road.append(float(to_metric(point).distance(truth)))
            else:
                unlocated += 1
    total = len(house) + len(road) + unlocated
    house_median, house_p90 = _stats(house)
    road_median, road_p90 = _stats(road)

    def share(n: int) -> float:
        return round(100 * n / total, 1) if total else 0.0

    return {"addresses": len(keys), "folds": folds, "run": list(chosen), "seed": seed,
            "held_out": total, "house": len(house), "road": len(road), "unlocated": unlocated,
            "house_pct": share(len(house)), "road_pct": share(len(road)),
            "unlocated_pct": share(unlocated),
            "within_100m_pct": share(sum(1 for d in house if d <= NEAR_M)),
            "house_median_m": house_median, "house_p90_m": house_p90,
            "road_median_m": road_median, "road_p90_m": road_p90}


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point: print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--seed", type=int, default=SEED)
    parser.add_argument("--only", type=int, nargs="*", help="run these folds only (0-based)")
    args = parser.parse_args(argv)
    try:
        f = kfold(args.folds, args.seed, tuple(args.only) if args.only else None)
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(f"{f['addresses']} known house-number addresses, {f['folds']} folds by address "
          f"(seed {f['seed']}), folds run: {f['run']}; held out {f['held_out']}")
    print(f"  house-number level: {f['house']} ({f['house_pct']} %), error median "
          f"{f['house_median_m']} m, 90th percentile {f['house_p90_m']} m")
    print(f"  within {NEAR_M:.0f} m of the true point: {f['within_100m_pct']} % of all held out")
    print(f"  road only: {f['road']} ({f['road_pct']} %), its representative point is a median "
          f"{f['road_median_m']} m (90th percentile {f['road_p90_m']} m) from the address")
    print(f"  unlocated: {f['unlocated']} ({f['unlocated_pct']} %)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
