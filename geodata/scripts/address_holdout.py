"""Measure the address geocoder: hold out 20 % of the known house numbers and place them from the rest.

The known addresses are those of ``geodata/addresses.geojson`` with a house number (``…号``;
lanes are left out: a lane's point stands deep in its block). A fixed seed picks the held-out
fifth; each held-out address is placed by :meth:`app.geo.housenumbers.AddressBook.locate` from the
other four fifths and the road sketches of ``geodata/streets.geojson``, exactly as the importer
does, and its error is the distance in EPSG:32651 to its true (known) point.

Printed: how many were interpolated, fell back to the road, or stayed unlocated; the median and
90th-percentile error of the interpolated ones; and, for the road fallbacks, the distance from the
true point to the road line (a lower bound: the whole road is the answer).

    python -m geodata.scripts.address_holdout [--seed N] [--share 0.2] [--data-dir DIR]
"""

from __future__ import annotations

import argparse
import random
import sys
from pathlib import Path

import numpy as np

from app.geo.gazetteer import load_places
from app.geo.geocode import to_metric
from app.geo.housenumbers import ADDRESSES_FILE, AddressBook

__all__ = ["holdout", "main"]

DEFAULT_DATA_DIR = Path(__file__).resolve().parents[2] / "geodata"
SEED = 20250108  # the report's date


def holdout(data_dir: Path = DEFAULT_DATA_DIR, share: float = 0.2, seed: int = SEED) -> dict[str, object]:
    """Run the hold-out and return the counts and error figures (metres).

    >>> figures = holdout()
    >>> figures["held_out"] > 50, figures["interpolated"] + figures["road"] + figures["unlocated"] == figures["held_out"]
    (True, True)
    """
    if not 0 < share < 1:
        raise ValueError(f"share must be between 0 and 1, got {share!r}")
    book = AddressBook.from_file(Path(data_dir) / ADDRESSES_FILE)
    numbered = sorted((e for e in book.entries if not e.lane), key=lambda e: e.key)
    rng = random.Random(seed)  # noqa: S311 - a reproducible sample, not a secret
    held = set(rng.sample(range(len(numbered)), round(share * len(numbered))))
    kept = AddressBook([e for i, e in enumerate(book.entries) if e not in
                        {numbered[j] for j in held}])
    roads = {p.name_zh: p.geometry for p in load_places(Path(data_dir))
             if p.kind == "road" and p.located}
    interpolated: list[float] = []
    road_gap: list[float] = []
    unlocated = 0
    for j in sorted(held):
        truth = numbered[j]
        hit = kept.locate(truth.road, truth.number, False, roads.get(truth.road))
        if hit is not None:
            interpolated.append(float(to_metric(hit.point).distance(to_metric(truth.point))))
        elif truth.road in roads:
            road_gap.append(float(to_metric(roads[truth.road]).distance(to_metric(truth.point))))
        else:
            unlocated += 1

    def stats(values: list[float]) -> tuple[float | None, float | None]:
        if not values:
            return None, None
        return round(float(np.median(values))), round(float(np.percentile(values, 90)))

    median, p90 = stats(interpolated)
    road_median, road_p90 = stats(road_gap)
    return {"known": len(numbered), "held_out": len(held), "seed": seed,
            "interpolated": len(interpolated), "road": len(road_gap), "unlocated": unlocated,
            "median_m": median, "p90_m": p90, "road_median_m": road_median, "road_p90_m": road_p90}


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point: print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seed", type=int, default=SEED)
    parser.add_argument("--share", type=float, default=0.2)
    parser.add_argument("--data-dir", type=Path, default=DEFAULT_DATA_DIR)
    args = parser.parse_args(argv)
    f = holdout(args.data_dir, args.share, args.seed)
    print(f"known house numbers: {f['known']}; held out {f['held_out']} (seed {f['seed']})")
    print(f"  interpolated: {f['interpolated']}  median error {f['median_m']} m, "
          f"90th percentile {f['p90_m']} m")
    print(f"  road only: {f['road']}  (true point to the road line: median {f['road_median_m']} m, "
          f"90th percentile {f['road_p90_m']} m)")
    print(f"  unlocated (road not sketched): {f['unlocated']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
