"""``python -m app diff`` and ``python -m app report``: implementation supervision, headless.

``diff --from D1 [--to D2] --output PATH [--format geojson|csv] [--store …]`` writes what
changed in the built-in register between two days, one feature (row) per change
(:mod:`app.service.compare`); ``report [--asof D] [--compare D0] --output PATH.xlsx|PATH.pdf
[--lang zh|en] [--store …]`` writes the supervision report (:mod:`app.sheet.supervision`). Both
read the store the app uses (or the one ``--store`` names; without one, the curated register
as seeded). Errors the user can fix -- a bad day, a path that cannot be written, a missing
store -- print one line on stderr and exit with status 2 (``app.cli.main``).
"""

from __future__ import annotations

import argparse
from collections import Counter
from pathlib import Path

from app.cli.asof import add_asof_argument, asof_day
from app.cli.store import add_store_argument
from app.data.atlas import load_atlas
from app.domain.model import PROGRESS
from app.domain.viewstate import LANGS, district_today
from app.errors import StoreError
from app.io.atomic import atomic_write
from app.io.naming import safe_output_path
from app.service.atlas import shown_atlas
from app.service.compare import (
    CHANGE_KINDS,
    DIFF_FORMATS,
    EARLIEST_DIFF,
    compare_days,
    diff_bytes,
    diff_format,
    diff_metadata,
)
from app.service.living import living_changes
from app.sheet.supervision import report_bytes, report_format, supervision_report
from app.store import AtlasStore, existing_store, open_store
from app.store.select import SQLITE_SUFFIXES

__all__ = ["add_parsers", "reading_store", "run_diff", "run_report"]


def add_parsers(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``diff`` and ``report`` sub-commands to an argparse sub-parsers object.

    >>> parser = argparse.ArgumentParser(prog="atlas")
    >>> add_parsers(parser.add_subparsers(dest="command"))
    >>> args = parser.parse_args(["diff", "--from", "2025-03-01", "--output", "c.csv"])
    >>> args.from_day, args.to_day, args.format, args.func is run_diff
    ('2025-03-01', None, None, True)
    >>> args = parser.parse_args(["report", "--compare", "2025-06-01", "--output", "r.pdf"])
    >>> args.asof, args.compare, args.lang, args.func is run_report
    (None, '2025-06-01', 'zh', True)
    """
    sub = subparsers.add_parser(
        "diff", help="write what changed in the register between two days (GeoJSON or CSV)",
        description="Compare the built-in register on two days: one feature (CSV: one row) per "
                    "change, with a `change` property (added, retired, moved, reshaped, stage, "
                    "attributes) and the old and new values. Positions moved or reshaped carry "
                    "the distance moved; stage changes the stage before and after.")
    sub.add_argument("--from", dest="from_day", required=True, metavar="YYYY-MM-DD",
                     help="the earlier day (a day before the report lists every project as added)")
    sub.add_argument("--to", dest="to_day", metavar="YYYY-MM-DD",
                     help="the later day (default: today, the live register)")
    sub.add_argument("--output", required=True, metavar="PATH", help="file to write, as given")
    sub.add_argument("--format", choices=list(DIFF_FORMATS),
                     help="geojson or csv (UTF-8 with BOM); default: from the suffix of PATH")
    add_store_argument(sub)
    sub.set_defaults(func=run_diff)

    rep = subparsers.add_parser(
        "report", help="write the supervision report (督办报告) as .xlsx or .pdf",
        description="Write the supervision report of the built-in register on a day: overdue "
                    "items first, with days past target and the last recorded stage and its "
                    "source; counts by progress, report section and lead agency; with --compare, "
                    "what changed since that day. .xlsx: a sheet per report section and a summary "
                    "by lead agency; .pdf: A4, page numbers, the data version and day on every page.")
    add_asof_argument(rep)
    rep.add_argument("--compare", metavar="YYYY-MM-DD",
                     help="also list what changed since this day (on or after the report, "
                          "before the day of the report)")
    rep.add_argument("--output", required=True, metavar="PATH",
                     help="file to write, as given: its suffix (.xlsx or .pdf) says the format")
    rep.add_argument("--lang", choices=list(LANGS), default="zh",
                     help="the report's language (default zh)")
    add_store_argument(rep)
    rep.set_defaults(func=run_report)


def reading_store(location: str | None) -> AtlasStore | None:
    """The store to read: the one `location` names, else the configured one if it exists
    (None: the curated register as seeded). StoreError when a named SQLite file is missing.

    >>> reading_store("/nonexistent/atlas.sqlite")
    Traceback (most recent call last):
    app.errors.StoreError: there is no store at /nonexistent/atlas.sqlite: run `python -m app store load` to create it and seed the register
    """
    if location is None:
        return existing_store()
    text = location.strip()
    if Path(text).suffix.lower() in SQLITE_SUFFIXES and not Path(text).is_file():
        raise StoreError(f"there is no store at {text}: run `python -m app store load` to create "
                         "it and seed the register")
    return open_store(text, migrate=False)


def run_diff(args: argparse.Namespace) -> int:
    """Write the changes the arguments ask for; print what was written, or that nothing changed."""
    fmt = diff_format(args.output, args.format)
    target = safe_output_path(args.output)
    store = reading_store(args.store)
    base = load_atlas(args.data_dir, args.layers_dir)
    changes = compare_days(base, store, args.from_day, args.to_day, earliest=EARLIEST_DIFF)
    from_day, to_day = str(changes.attrs.get("from_day")), str(changes.attrs.get("to_day"))
    metadata = diff_metadata(from_day=from_day, to_day=to_day,
                             data_version=str(changes.attrs.get("data_version", "")))
    atomic_write(target, diff_bytes(changes, fmt, metadata))
    if not len(changes):
        print(f"no changes between {from_day} and {to_day} (wrote an empty file to {target})")
        return 0
    kinds = Counter(changes["change"])
    counted = ", ".join(f"{kinds[k]} {k}" for k in CHANGE_KINDS if kinds[k])
    print(f"wrote {len(changes)} change{'' if len(changes) == 1 else 's'} between {from_day} and "
          f"{to_day} ({counted}) to {target}")
    return 0



def run_report(args: argparse.Namespace) -> int:
    """Write the supervision report the arguments ask for; print its counts."""
    fmt = report_format(args.output)
    target = safe_output_path(args.output)
    asof = asof_day(args.asof)
    day = asof or district_today().isoformat()
    store = reading_store(args.store)
    base = load_atlas(args.data_dir, args.layers_dir)
    log = living_changes(store, base)
    changes = compare_days(base, store, args.compare, asof, log=log) if args.compare else None
    atlas = shown_atlas(store=store, base=base, asof=asof, log=log).atlas
    report = supervision_report(atlas, day, lang=args.lang, changes=changes,
                                compare=changes.attrs["from_day"] if changes is not None else None)
    atomic_write(target, report_bytes(report, fmt))
    counted = ", ".join(f"{report.counts[p]} {p}" for p in PROGRESS if report.counts[p])
    since = f"; {len(changes)} changes since {args.compare}" if changes is not None else ""
    print(f"wrote the supervision report as of {day} ({report.counts['total']} projects: "
          f"{counted}{since}) to {target}")
    return 0
