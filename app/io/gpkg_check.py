"""What a GeoPackage may hold before any of its rows is read: tables, not SQL views; no triggers
but the standard ones; no generated columns.

A GeoPackage is an SQLite database, and SQLite computes some things while it is *read*: a view
runs its query (a recursive one, ``WITH RECURSIVE c(n) ... WHERE n < 4000000000``, runs for
hours), a generated column its expression. So before GDAL opens the file, its schema is read
from ``sqlite_master`` (which runs nothing) and the file is refused when it holds

- a view (GDAL would read a view registered as a feature layer like a table);
- a trigger other than those the GeoPackage standard and GDAL write (the spatial index's
  ``rtree_<table>_<column>_…`` and GDAL's ``trigger_insert/delete_feature_count_<table>``,
  ``gpkg_…``): triggers run only on writes, which a reader never makes, but a file that
  declares its own has been made by hand, and is not what a design institute sends;
- a table with a generated column (``… AS (expression)``).

>>> import sqlite3
>>> db = sqlite3.connect(":memory:")
>>> _ = db.execute("CREATE TABLE t (fid INTEGER PRIMARY KEY)")
>>> check_geopackage(db.serialize())
>>> _ = db.execute("CREATE VIEW endless AS WITH RECURSIVE c(n) AS (SELECT 1 UNION ALL "
...                "SELECT n + 1 FROM c WHERE n < 4000000000) SELECT n AS fid FROM c")
>>> check_geopackage(db.serialize())
Traceback (most recent call last):
app.errors.ImportFileError: the GeoPackage holds an SQL view ('endless'); views are not read (one could run without end): save the layer as a table
>>> check_geopackage(b"SQLite format 3\\x00" + b"\\x00" * 80)
Traceback (most recent call last):
app.errors.ImportFileError: the file is not a readable GeoPackage (SQLite database): file is not a database
"""

from __future__ import annotations

import re
import sqlite3

from app.domain.messages import keyed
from app.errors import ImportFileError

__all__ = ["check_geopackage"]

#: Trigger names the GeoPackage standard (spatial index, metadata) and GDAL write.
_STANDARD_TRIGGER = re.compile(
    r"(rtree_.+_(insert|update\d*|delete)|trigger_(insert|delete)_feature_count_.+|gpkg_.+)",
    flags=re.IGNORECASE)
#: A generated column in a CREATE TABLE statement: ``name type [GENERATED ALWAYS] AS (expr)``.
_GENERATED = re.compile(r"\bAS\s*\(", flags=re.IGNORECASE)


def _names(rows: list[tuple[str, str]]) -> str:
    """Up to five names, quoted, for a message."""
    shown = ", ".join(repr(name) for name, _ in rows[:5])
    return shown + (", …" if len(rows) > 5 else "")


def check_geopackage(data: bytes) -> None:
    """ImportFileError when the SQLite database `data` holds a view, a trigger that is not a
    standard one, or a generated column (see the module docstring); nothing is evaluated.

    >>> db = sqlite3.connect(":memory:")
    >>> _ = db.execute("CREATE TABLE t (fid INTEGER PRIMARY KEY, x)")
    >>> _ = db.execute("CREATE TRIGGER stamp AFTER INSERT ON t BEGIN SELECT 1; END")
    >>> check_geopackage(db.serialize())
    Traceback (most recent call last):
    app.errors.ImportFileError: the GeoPackage declares its own trigger(s) ('stamp'), which are not read: export the layer again from a GIS
    """
    try:
        db = sqlite3.connect(":memory:")
        try:
            db.deserialize(data)
            db.execute("PRAGMA query_only = ON")
            objects = db.execute("SELECT type, name, sql FROM sqlite_master").fetchall()
        finally:
            db.close()
    except (sqlite3.DatabaseError, OverflowError, ValueError) as exc:
        raise keyed(ImportFileError, "err.gpkg_unreadable", reason=str(exc)) from exc
    views = [(name, sql) for kind, name, sql in objects if kind == "view"]
    if views:
        raise keyed(ImportFileError, "err.gpkg_view", names=_names(views))
    triggers = [(name, sql) for kind, name, sql in objects
                if kind == "trigger" and not _STANDARD_TRIGGER.fullmatch(name)]
    if triggers:
        raise keyed(ImportFileError, "err.gpkg_trigger", names=_names(triggers))
    generated = [(name, sql) for kind, name, sql in objects
                 if kind == "table" and sql and not sql.lstrip().upper().startswith("CREATE VIRTUAL")
                 and _GENERATED.search(sql)]
    if generated:
        raise keyed(ImportFileError, "err.gpkg_generated", names=_names(generated))
