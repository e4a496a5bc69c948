"""``python -m app nearest``: the located projects closest to where a field worker stands.

Wired into ``app.cli.main`` by :func:`add_parser` (which also sets ``func=run`` on the sub-parser).
Text output is one line per project, nearest first::

      150.1 m, W 西, 天山公园整体提升开放 (Tianshan Park upgrade and opening) [tianshan-park]

``--json`` prints a JSON list of objects with the columns of ``app.geo.nearest.NEAREST_COLUMNS``
(``bearing_deg`` is null where the worker stands on the project). A position that is not
usable (not finite, out of range, swapped, more than ``--tolerance-m`` outside the district)
or an unknown ``--crs`` prints one message on stderr and exits with status 2.
"""

from __future__ import annotations

import argparse
import json
import math
import sys

import pandas as pd

from app.cli.store import add_register_argument
from app.errors import AtlasError
from app.geo.crs import CRS_NAMES
from app.geo.gazetteer import DISTRICT_ID
from app.geo.geocode import to_metric
from app.geo.nearest import nearest
from app.geo.position import FIELD_TOLERANCE_M, check_position
from app.service.atlas import BUILT_IN, shown_atlas
from app.store import existing_store

__all__ = ["add_parser", "run"]


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``nearest`` sub-command to an argparse sub-parsers object.

    >>> parser = argparse.ArgumentParser(prog="atlas")
    >>> add_parser(parser.add_subparsers(dest="command"))
    >>> args = parser.parse_args(["nearest", "--lon", "121.41", "--lat", "31.21", "-n", "0"])
    >>> args.crs, args.n, args.json, args.register, args.func is run
    ('wgs84', 0, False, '', True)
    """
    sub = subparsers.add_parser(
        "nearest", help="list the located projects nearest to a position",
        description="List the located projects nearest to a position (distance to the project's "
                    "geometry, direction from the position). Exit status 2 for a position that "
                    "is unusable or too far outside the district.")
    sub.add_argument("--lon", type=float, required=True, help="longitude (east, e.g. 121.41)")
    sub.add_argument("--lat", type=float, required=True, help="latitude (north, e.g. 31.21)")
    # No `choices`: aliases such as 'amap' or 'baidu' are accepted, and an unknown name gets the
    # atlas's own message (exit 2) instead of argparse's.
    sub.add_argument("--crs", default="wgs84", metavar="{" + ",".join(CRS_NAMES) + "}",
                     help="coordinate system of --lon/--lat: wgs84 (GPS, default), gcj02 (AMap), "
                          "bd09 (Baidu)")
    sub.add_argument("-n", type=int, default=5, help="how many projects (default 5)")
    sub.add_argument("--tolerance-m", type=float, default=FIELD_TOLERANCE_M, metavar="M",
                     help=f"refuse positions more than M metres outside the district "
                          f"(default {FIELD_TOLERANCE_M:g})")
    sub.add_argument("--json", action="store_true", help="print a JSON list instead of text")
    add_register_argument(sub)
    sub.set_defaults(func=run)


def _line(row: pd.Series) -> str:
    return (f"{row['distance_m']:>9.1f} m, {row['direction_en']} {row['direction_zh']}, "
            f"{row['name_zh']} ({row['name_en']}) [{row['id']}]")


def _records(result: pd.DataFrame) -> list[dict[str, object]]:
    """Rows as JSON-ready dicts: NaN becomes None (JSON has no NaN)."""
    records = result.to_dict("records")
    for record in records:
        for key, value in record.items():
            if isinstance(value, float) and math.isnan(value):
                record[key] = None
    return records


def run(args: argparse.Namespace) -> int:
    """Run ``nearest`` for parsed arguments; print the result; return the exit status.

    Reads the atlas the app shows (accepted field corrections applied, ``--register`` if
    given); uses ``args.data_dir`` / ``args.layers_dir`` when the main parser provides them.
    """
    try:
        atlas = shown_atlas(getattr(args, "register", BUILT_IN), store=existing_store(),
                            data_dir=getattr(args, "data_dir", None),
                            layers_dir=getattr(args, "layers_dir", None)).atlas
        district_m = to_metric(atlas.places[DISTRICT_ID].geometry)
        lon, lat = check_position((args.lon, args.lat), args.crs, district_m, fix_swaps=False,
                                  tolerance_m=args.tolerance_m).lonlat()
        result = nearest(atlas.projects, lon, lat, args.n)
    except AtlasError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if args.json:
        print(json.dumps(_records(result), ensure_ascii=False, indent=2))
    elif result.empty:
        print("no located projects to list", file=sys.stderr)
    else:
        print("\n".join(_line(row) for _, row in result.iterrows()))
    return 0
