"""Which store to open: the configured one, or the one a user named.

Kept apart from :mod:`app.store.base` and the backends because it is the only place that knows
both of them: it reads the settings (``$ATLAS_DATABASE_URL``, ``$ATLAS_STORE``), checks a store
named by a user, and imports the PostGIS backend only when PostGIS is chosen.

* ``$ATLAS_DATABASE_URL`` set (a ``postgresql://`` URL): the PostGIS store there;
* else the SQLite file ``$ATLAS_STORE``, or ``var/atlas.sqlite`` in the repository.

A store named as text (``python -m app store --store …``) must be a ``postgresql://`` URL or a
path ending in ``.sqlite``, ``.sqlite3`` or ``.db``: anything else is refused rather than taken
for a file name, and a password in it is shown as ``***``.

>>> open_store("host=db password=X")
Traceback (most recent call last):
app.errors.StoreError: a store is a postgresql:// URL or an SQLite file ending in .sqlite, .sqlite3 or .db; got 'host=db password=***'
"""

from __future__ import annotations

import os
from pathlib import Path

import geopandas as gpd

from app.errors import StoreError, SubmissionError
from app.store.base import CURATED_REGISTER, GAZETTEER_REGISTER, AtlasStore, mask_password
from app.store.sqlite import Store

__all__ = ["SQLITE_SUFFIXES", "database_url", "default_store_path", "delete_register",
           "existing_store", "open_store", "rename_register", "save_register"]

#: File name endings accepted for an SQLite store named as text.
SQLITE_SUFFIXES = (".sqlite", ".sqlite3", ".db")
_URL_SCHEMES = ("postgresql://", "postgres://")
_ROOT = Path(__file__).resolve().parents[2]


def default_store_path() -> Path:
    """``$ATLAS_STORE``, else ``var/atlas.sqlite`` in the source tree, else in the working folder.

    An installed wheel has no source tree, and its package folder is no place for data.

    >>> default_store_path().suffix
    '.sqlite'
    """
    if os.environ.get("ATLAS_STORE"):
        return Path(os.environ["ATLAS_STORE"])
    in_source = (_ROOT / "pyproject.toml").is_file() and (_ROOT / "app").is_dir()
    return (_ROOT if in_source else Path.cwd()) / "var" / "atlas.sqlite"


def _check_url(url: str, setting: str) -> str:
    """`url` when it is a PostgreSQL URL, else StoreError naming `setting` (password masked)."""
    if not url.startswith(_URL_SCHEMES):
        raise StoreError(f"{setting} must be a postgresql:// URL, got {mask_password(url)!r}")
    return url


def database_url() -> str | None:
    """``$ATLAS_DATABASE_URL`` (a PostgreSQL URL that selects the PostGIS store), or None.

    >>> os.environ["ATLAS_DATABASE_URL"] = " "
    >>> database_url() is None
    True
    >>> os.environ["ATLAS_DATABASE_URL"] = "user=atlas password=X"
    >>> database_url()
    Traceback (most recent call last):
    app.errors.StoreError: ATLAS_DATABASE_URL must be a postgresql:// URL, got 'user=atlas password=***'
    >>> del os.environ["ATLAS_DATABASE_URL"]
    """
    url = (os.environ.get("ATLAS_DATABASE_URL") or "").strip()
    return _check_url(url, "ATLAS_DATABASE_URL") if url else None


def _postgis(url: str, *, migrate: bool) -> AtlasStore:
    """The PostGIS store at `url` (imported only when chosen)."""
    from app.store.postgis import PostgisStore

    return PostgisStore(url, migrate=migrate)


def _named(location: str, *, migrate: bool) -> AtlasStore:
    """The store a user named as text: a PostgreSQL URL or an SQLite file name."""
    location = location.strip()
    if location.startswith(_URL_SCHEMES):
        return _postgis(location, migrate=migrate)
    if Path(location).suffix.lower() in SQLITE_SUFFIXES:
        return Store(Path(location))
    raise StoreError("a store is a postgresql:// URL or an SQLite file ending in "
                     f".sqlite, .sqlite3 or .db; got {mask_password(location)!r}")


def open_store(location: str | Path | None = None, *, migrate: bool = True) -> AtlasStore:
    """The store at `location`, created (or migrated) when needed.

    * None: the configured store (PostGIS at ``$ATLAS_DATABASE_URL`` when set, else the SQLite
      file at :func:`default_store_path`);
    * a :class:`~pathlib.Path`: the SQLite store in that file;
    * text (what a user typed): a ``postgresql://`` URL, or a path ending in ``.sqlite``,
      ``.sqlite3`` or ``.db``; anything else is a StoreError.

    `migrate` False leaves a PostGIS schema untouched (SQLite files are always brought up to date).

    >>> import tempfile, pathlib
    >>> open_store(pathlib.Path(tempfile.mkdtemp()) / "s.sqlite").describe().startswith("SQLite")
    True
    >>> open_store("postgresql://atlas:pw@db.example/atlas", migrate=False).describe()
    'PostGIS store postgresql://atlas:***@db.example/atlas'
    >>> open_store("atlas")
    Traceback (most recent call last):
    app.errors.StoreError: a store is a postgresql:// URL or an SQLite file ending in .sqlite, .sqlite3 or .db; got 'atlas'
    """
    if isinstance(location, Path):
        return Store(location)
    if location is not None:
        return _named(location, migrate=migrate)
    url = database_url()
    if url:
        return _postgis(url, migrate=migrate)
    return Store(default_store_path())


def existing_store() -> AtlasStore | None:
    """The configured store if it exists, for readers that must not create one.

    PostGIS when ``$ATLAS_DATABASE_URL`` is set (its schema is not created or migrated here:
    StoreError says to run ``python -m app store init``); else the SQLite file when it exists;
    else None.

    >>> import tempfile
    >>> os.environ["ATLAS_STORE"] = tempfile.mkdtemp() + "/absent.sqlite"
    >>> existing_store() is None
    True
    >>> del os.environ["ATLAS_STORE"]
    """
    url = database_url()
    if url:
        return _postgis(url, migrate=False)
    path = default_store_path()
    return Store(path) if path.exists() else None


def save_register(name: str, frame: gpd.GeoDataFrame, report: object,
                  store: AtlasStore | None = None, *, saved_by: str) -> None:
    """Save an imported register into `store` (default: the configured one).

    The curated data's names are refused here: only ``python -m app store load`` writes them.

    >>> save_register(CURATED_REGISTER, gpd.GeoDataFrame(geometry=[]), {}, saved_by="王工")
    Traceback (most recent call last):
    app.errors.SubmissionError: the register name 'curated' is reserved for the curated data; choose another name
    """
    _check_not_reserved(name)
    (store or open_store()).save_register(name, frame, report, saved_by=saved_by)


def _check_not_reserved(name: str) -> None:
    """SubmissionError when `name` is one of the curated data's registers."""
    if name in (CURATED_REGISTER, GAZETTEER_REGISTER):
        raise SubmissionError(f"the register name {name!r} is reserved for the curated data; "
                              "choose another name")


def rename_register(old: str, new: str, store: AtlasStore | None = None, *, actor: str) -> None:
    """Rename a saved register in `store` (default: the configured one), audited as `actor`.

    The curated data's registers are neither renamed nor taken as a new name.

    >>> rename_register("district", GAZETTEER_REGISTER, actor="cli:ops")
    Traceback (most recent call last):
    app.errors.SubmissionError: the register name 'gazetteer' is reserved for the curated data; choose another name
    """
    _check_not_reserved(old)
    _check_not_reserved(new)
    (store or open_store()).rename_register(old, new, actor)


def delete_register(name: str, store: AtlasStore | None = None, *, actor: str) -> None:
    """Delete a saved register from `store` (default: the configured one), audited as `actor`.

    >>> delete_register(CURATED_REGISTER, actor="cli:ops")
    Traceback (most recent call last):
    app.errors.SubmissionError: the register name 'curated' is reserved for the curated data; choose another name
    """
    _check_not_reserved(name)
    (store or open_store()).delete_register(name, actor)
