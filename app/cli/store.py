"""``python -m app store init|migrate|load|dump|registers|rename|delete``: the store and its registers.

* ``init`` creates the configured store's schema (an SQLite file, or the PostGIS tables) and
  says which store and schema version it is; ``migrate`` applies pending schema migrations and
  lists them. Both are idempotent.
* ``load`` writes the curated register (the projects of ``geodata/``, provenance columns and
  unlocated rows included) and the gazetteer into the store as the registers ``curated`` and
  ``gazetteer``, and seeds the living register's change log from it (the first time) or merges
  a newer curated register into it (only the differences; edits made in the app are kept),
  saying how many changes it recorded. ``load --from DUMP`` instead loads a dump written by ``dump``: every register
  in it, and its submissions, field updates and audit trail (ids kept) when the store has none.
* ``dump --format gpkg|geojson --output PATH`` writes everything in the store to a GeoPackage
  file or a folder of GeoJSON files (see :mod:`app.store.dump`).
* ``registers`` lists the saved registers; ``rename OLD NEW`` and ``delete NAME`` change them,
  with an audit row naming the operating-system account (``cli:<account>``: running the CLI is
  the operator's role, the one that writes). ``--by`` names someone else.

``export`` and ``nearest`` read a saved register with ``--register NAME``
(:func:`add_register_argument`).

The store is the configured one (``$ATLAS_DATABASE_URL``, else ``$ATLAS_STORE`` or
``var/atlas.sqlite``) unless ``--store`` names a ``postgresql://`` URL or an SQLite file ending in
``.sqlite``, ``.sqlite3`` or ``.db``. Errors the user can fix print one line (passwords as
``***``) and exit with status 2. The work is done in :mod:`app.store`; this module only reads
the arguments and prints.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from app.cli.import_cmd import operator
from app.data.atlas import load_atlas
from app.errors import AtlasError
from app.service.atlas import BUILT_IN
from app.service.living import seed_register
from app.store import AtlasStore, delete_register, open_store, rename_register
from app.store.dump import load_curated, load_dump, write_dump

__all__ = ["add_parser", "add_register_argument", "add_store_argument", "run"]


def add_register_argument(parser: argparse.ArgumentParser) -> None:
    """Add ``--register NAME`` (a saved register instead of the built-in one) to `parser`.

    >>> parser = argparse.ArgumentParser()
    >>> add_register_argument(parser)
    >>> parser.parse_args([]).register, parser.parse_args(["--register", "d-2025"]).register
    ('', 'd-2025')
    """
    parser.add_argument("--register", default=BUILT_IN, metavar="NAME",
                        help="a register saved in the store (`store registers` lists them; "
                             "default: the built-in register)")


def add_store_argument(parser: argparse.ArgumentParser) -> None:
    """Add ``--store URL_OR_PATH`` (a store other than the configured one) to `parser`.

    >>> parser = argparse.ArgumentParser()
    >>> add_store_argument(parser)
    >>> parser.parse_args([]).store, parser.parse_args(["--store", "x.sqlite"]).store
    (None, 'x.sqlite')
    """
    parser.add_argument("--store", metavar="URL_OR_PATH",
                        help="postgresql://… or an SQLite file ending in .sqlite, .sqlite3 or .db "
                             "(default: $ATLAS_DATABASE_URL, else $ATLAS_STORE or var/atlas.sqlite)")


def add_parser(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    """Add the ``store`` sub-command to the CLI's sub-parsers."""
    parser = subparsers.add_parser(
        "store", help="create, migrate, fill or dump the store (SQLite or PostGIS)",
        description=__doc__.split("\n\n")[0])
    add_store_argument(parser)
    actions = parser.add_subparsers(dest="store_command", required=True)
    actions.add_parser("init", help="create the store's schema (idempotent)")
    actions.add_parser("migrate", help="apply pending schema migrations (idempotent)")
    load = actions.add_parser("load", help="load the curated register and gazetteer, or a dump")
    load.add_argument("--from", dest="source", type=Path, metavar="DUMP",
                      help="a dump written by `store dump` (.gpkg file or GeoJSON folder)")
    load.add_argument("--registers-only", action="store_true",
                      help="with --from: load the registers, not the submissions and audit trail")
    load.add_argument("--by", default="store load", help="who is loading (recorded in the audit)")
    dump = actions.add_parser("dump", help="write the store to a GeoPackage or GeoJSON folder")
    dump.add_argument("--format", choices=["gpkg", "geojson"], default="gpkg")
    dump.add_argument("--output", required=True, type=Path, metavar="PATH",
                      help="the .gpkg file, or the folder for GeoJSON")
    actions.add_parser("registers", help="list the saved registers")
    rename = actions.add_parser("rename", help="rename a saved register (audited)")
    rename.add_argument("old", metavar="OLD")
    rename.add_argument("new", metavar="NEW")
    rename.add_argument("--by", default=None, help="who renames (default: cli:<account>)")
    delete = actions.add_parser("delete", help="delete a saved register (audited)")
    delete.add_argument("name", metavar="NAME")
    delete.add_argument("--by", default=None, help="who deletes (default: cli:<account>)")
    return parser


def _registers(store: AtlasStore, args: argparse.Namespace) -> int:
    """``store registers|rename|delete``: list or change the saved registers."""
    actor = getattr(args, "by", None) or operator()
    if args.store_command == "rename":
        rename_register(args.old, args.new, store, actor=actor)
        print(f"renamed register {args.old!r} to {args.new!r} in the {store.describe()}")
    elif args.store_command == "delete":
        delete_register(args.name, store, actor=actor)
        print(f"deleted register {args.name!r} from the {store.describe()}")
    else:
        listed = store.registers()
        if listed.empty:
            print(f"no saved registers in the {store.describe()}", file=sys.stderr)
        for row in listed.itertuples(index=False):
            print(f"{row.name}\tsaved {row.saved_at} by {row.saved_by}")
    return 0


def _load(store: AtlasStore, args: argparse.Namespace) -> int:
    """``store load``: the curated data, or a dump."""
    if args.source is None:
        data_dir, layers_dir = getattr(args, "data_dir", None), getattr(args, "layers_dir", None)
        for name, rows, located in load_curated(store, data_dir, layers_dir, args.by):
            print(f"loaded register {name!r}: {rows} rows ({located} located) "
                  f"into the {store.describe()}")
        recorded = seed_register(store, load_atlas(data_dir, layers_dir), actor=args.by)
        print(f"living register: recorded {recorded} change{'' if recorded == 1 else 's'} "
              f"from the curated register" + ("" if recorded else " (it was up to date)"))
        return 0
    copied, registers = load_dump(store, args.source, args.by, registers_only=args.registers_only)
    if copied:
        print(f"copied the history: {sum(copied.values())} rows "
              f"({', '.join(f'{n} {t}' for t, n in copied.items())})")
    for name, rows in registers:
        print(f"loaded register {name!r}: {rows} rows")
    return 0


def run(args: argparse.Namespace) -> int:
    """Run ``store …``; returns the exit status (2 with one message for a fixable error)."""
    try:
        if args.store_command == "migrate":
            store = open_store(args.store, migrate=False)
            applied = store.migrate()
            done = f"applied {', '.join(map(str, applied))}" if applied else "nothing to apply"
            print(f"{store.describe()}: schema version {store.schema_version()} ({done})")
            return 0
        store = open_store(args.store)
        if args.store_command == "init":
            print(f"{store.describe()}: schema version {store.schema_version()}")
            return 0
        if args.store_command == "load":
            return _load(store, args)
        if args.store_command in ("registers", "rename", "delete"):
            return _registers(store, args)
        count, rows = write_dump(store, args.format, args.output)
        print(f"wrote {count} registers and the history "
              f"({', '.join(f'{n} {t}' for t, n in rows.items())}) to {args.output}")
        return 0
    except AtlasError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
