"""``python -m app history``: the living register's change log (or one project's) as CSV or
GeoJSON.

``history [--project ID] [--since YYYY-MM-DD] --output PATH [--format csv|geojson] [--store …]``
writes one row (GeoJSON: one feature) per change, oldest first, atomically; the format comes
from the suffix unless given. The store is the configured one, or the one ``--store`` names;
reading never creates a store. Errors the user can fix -- no store, an unknown project, a bad
date, a path that cannot be written -- print one line on stderr and exit with status 2
(``app.cli.main``). The work is done in :mod:`app.service.history`.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from app.cli.store import add_store_argument
from app.errors import StoreError
from app.io.atomic import atomic_write
from app.io.naming import safe_output_path
from app.service.history import (
    HISTORY_FORMATS,
    check_since,
    history_bytes,
    history_format,
    history_frame,
    history_metadata,
)
from app.store import AtlasStore, existing_store, open_store
from app.store.select import SQLITE_SUFFIXES

__all__ = ["add_parser", "run"]


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``history`` sub-command to an argparse sub-parsers object.

    >>> parser = argparse.ArgumentParser(prog="atlas")
    >>> add_parser(parser.add_subparsers(dest="command"))
    >>> args = parser.parse_args(["history", "--output", "log.csv", "--since", "2025-06-01"])
    >>> args.project, args.since, args.format, args.store, args.func is run
    (None, '2025-06-01', None, None, True)
    """
    sub = subparsers.add_parser(
        "history", help="write the register's change log (or one project's) as CSV or GeoJSON",
        description="Write the change log of the living register: one row (GeoJSON: one feature) "
                    "per change with who, when, why, the review, the old and new values and the "
                    "old and new geometry. GeoJSON features carry the new geometry; the old one "
                    "is in the property old_wkt.")
    sub.add_argument("--project", metavar="ID", help="only this project's changes")
    sub.add_argument("--since", metavar="YYYY-MM-DD",
                     help="only changes recorded on or after this day")
    sub.add_argument("--output", required=True, metavar="PATH", help="file to write, as given")
    sub.add_argument("--format", choices=list(HISTORY_FORMATS),
                     help="csv (UTF-8 with BOM) or geojson (default: from the suffix of PATH)")
    add_store_argument(sub)
    sub.set_defaults(func=run)


def _reading_store(location: str | None) -> AtlasStore:
    """The store to read: the one named, else the configured one; StoreError when there is none."""
    hint = "run `python -m app store load` to create it and seed the register"
    if location is None:
        store = existing_store()
        if store is None:
            raise StoreError(f"there is no store yet: {hint}")
        return store
    text = location.strip()
    if Path(text).suffix.lower() in SQLITE_SUFFIXES and not Path(text).is_file():
        raise StoreError(f"there is no store at {text}: {hint}")
    return open_store(text, migrate=False)


def run(args: argparse.Namespace) -> int:
    """Write the change log the arguments ask for; prints one line."""
    since = check_since(args.since)
    fmt = history_format(args.output, args.format)
    target = safe_output_path(args.output)
    store = _reading_store(args.store)
    frame = history_frame(store, project_id=args.project, since=since)
    metadata = history_metadata(project_id=args.project, since=since, revision=store.revision())
    atomic_write(target, history_bytes(frame, fmt, metadata))
    placed = int(frame.geometry.notna().sum())
    print(f"wrote {len(frame)} change{'' if len(frame) == 1 else 's'} "
          f"({placed} with a new geometry) to {target}")
    return 0
