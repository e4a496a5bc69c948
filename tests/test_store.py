"""The store without a database server: the SQLite file itself, choosing a store from a setting
or a name a user typed, the checks made before anything is written, and the package's shape.

Every behaviour both backends share is tested once, over both, in tests/test_store_backends.py.
"""

from __future__ import annotations

import argparse
import ast
import doctest
import sqlite3
from pathlib import Path

import pytest

import app.cli.store
import app.store
import app.store.base
import app.store.dump
import app.store.postgis
import app.store.select
import app.store.sqlite
from app.cli.store import add_parser, run
from app.errors import StoreError, SubmissionError
from app.store import MAX_PHOTO_BYTES, Store, Submission, database_url, open_store

ROOT = Path(__file__).resolve().parent.parent
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


@pytest.fixture()
def store(tmp_path: Path) -> Store:
    return Store(tmp_path / "atlas.sqlite")


def correction(**kw) -> Submission:
    values = dict(project_id="tianshan-park", kind="correct", submitted_by="王工", team="一组",
                  lon=121.4105, lat=31.2125, precision="site", accuracy_m=6.0,
                  note="入口在北侧") | kw
    return Submission(**values)


def cli(*argv: str) -> int:
    parser = argparse.ArgumentParser(prog="atlas")
    add_parser(parser.add_subparsers(dest="command", required=True))
    return run(parser.parse_args(list(argv)))


@pytest.mark.parametrize("module", [app.store.base, app.store.sqlite, app.store.postgis,
                                    app.store.select, app.store.dump, app.cli.store],
                         ids=lambda m: m.__name__)
def test_doctests(module):
    result = doctest.testmod(module)
    assert result.failed == 0 and (result.attempted > 0 or module is app.cli.store)


# -- the package's shape -------------------------------------------------------------------

def _imports(path: Path) -> list[tuple[str, str]]:
    """(module, name) of every ``from app… import name`` in the file at `path`."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return [(node.module, alias.name) for node in ast.walk(tree)
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("app")
            for alias in node.names]


def test_backends_share_base_and_no_private_name_crosses_a_module():
    files = [*sorted((ROOT / "app" / "store").glob("*.py")), ROOT / "app" / "cli" / "store.py"]
    imports = {path.name if path.parent.name == "store" else "cli/store.py": _imports(path)
               for path in files}
    private = [(f, m, n) for f, pairs in imports.items() for m, n in pairs if n.startswith("_")]
    assert private == []
    # the backends share base and the living register's checks, never each other
    assert {m for m, _ in imports["sqlite.py"]} == {"app.errors", "app.store.base", "app.data.living"}
    assert {m for m, _ in imports["postgis.py"]} == {"app.errors", "app.store.base", "app.data.living"}
    assert set(app.store.__all__) <= set(dir(app.store))
    for name in ("open_store", "existing_store", "Submission", "apply_field_updates",
                 "AtlasStore", "ConflictError", "MAX_PHOTO_BYTES", "save_register"):
        assert name in app.store.__all__, name


# -- what is refused before anything is written ----------------------------------------------

@pytest.mark.parametrize("kw,message", [
    ({"note": "  "}, "needs a note"),
    ({"lon": float("nan")}, "not a number"),
    ({"lon": None}, "needs the new position"),
    ({"precision": "unlocated"}, "precision"),
    ({"submitted_by": " "}, "who made it"),
    ({"project_id": ""}, "the project it is about"),
    ({"kind": "delete"}, "'delete'"),
    ({"accuracy_m": -3.0}, "accuracy"),
    ({"photo": b"GIF89a"}, "JPEG or PNG"),
    ({"photo": PNG + b"\x00" * MAX_PHOTO_BYTES}, "at most"),
    ({"note": "x" * 5000}, "5000 characters"),
    ({"note": "入口\x00在北侧"}, r"the note contains a NUL character \(\\x00\)"),
    ({"submitted_by": "王\x00工"}, "the submitter's name contains a NUL"),
    ({"team": "一\x00组"}, "the team contains a NUL"),
    ({"project_id": "tianshan\x00park"}, "the project id contains a NUL"),
])
def test_bad_submissions_store_nothing(store, kw, message):
    with pytest.raises(SubmissionError, match=message):
        store.submit(correction(**kw))
    assert store.submissions().empty and store.audit().empty


# -- the SQLite file ------------------------------------------------------------------------

def test_wal_mode_and_schema_version(store):
    conn = sqlite3.connect(store.path)
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert conn.execute("PRAGMA user_version").fetchone()[0] == 4
    Store(store.path)  # reopening migrates nothing and loses nothing
    assert conn.execute("PRAGMA user_version").fetchone()[0] == 4


def test_an_unusable_file_is_a_store_error_naming_it(tmp_path):
    not_a_database = tmp_path / "notes.sqlite"
    not_a_database.write_text("这不是数据库\n" * 200, encoding="utf-8")
    with pytest.raises(StoreError, match=f"SQLite store at {not_a_database}.*not a database"):
        Store(not_a_database)
    folder = tmp_path / "folder.sqlite"
    folder.mkdir()
    with pytest.raises(StoreError, match="folder.sqlite"):
        Store(folder)
    with pytest.raises(StoreError, match="cannot create the folder"):
        Store(not_a_database / "inside.sqlite")  # its 'folder' is a file
    assert not_a_database.read_text(encoding="utf-8").startswith("这不是数据库")


# -- choosing a store -----------------------------------------------------------------------

@pytest.mark.parametrize("value", ["host=db.internal password=s3cr3t dbname=atlas",
                                   "atlas", "var/atlas.gpkg", "mysql://atlas:s3cr3t@db/atlas"])
def test_a_store_name_that_is_neither_url_nor_sqlite_file_is_refused(value, tmp_path,
                                                                     monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    assert cli("store", "--store", value, "init") == 2
    err = capsys.readouterr().err
    assert err.startswith("error: a store is a postgresql:// URL or an SQLite file ending in")
    assert "s3cr3t" not in err and list(tmp_path.iterdir()) == []  # nothing created
    if "s3cr3t" in value:
        assert "***" in err


@pytest.mark.parametrize("name", ["a.sqlite", "b.SQLITE3", "sub/c.db"])
def test_sqlite_file_names_are_accepted(name, tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    assert cli("store", "--store", name, "init") == 0
    assert "schema version 4" in capsys.readouterr().out and (tmp_path / name).is_file()


def test_a_password_is_never_printed(monkeypatch, capsys):
    url = "postgresql://atlas:s3cr3t@127.0.0.1:1/atlas?connect_timeout=2"
    assert open_store(url, migrate=False).describe() == "PostGIS store postgresql://atlas:***@127.0.0.1:1/atlas"
    assert cli("store", "--store", url, "init") == 2
    err = capsys.readouterr().err
    assert "cannot connect" in err and "atlas:***@" in err and "s3cr3t" not in err
    for malformed in ("postgresql://atlas:s3cr3t@[db/atlas", "postgresql://atlas:s3cr3t@db/a?bogus=1"):
        assert cli("store", "--store", malformed, "init") == 2
        err = capsys.readouterr().err
        assert err.startswith("error: not a usable PostgreSQL URL") and "s3cr3t" not in err
    monkeypatch.setenv("ATLAS_DATABASE_URL", "user=atlas password=s3cr3t")
    with pytest.raises(StoreError, match=r"ATLAS_DATABASE_URL must be a postgresql:// URL") as info:
        database_url()
    assert "s3cr3t" not in str(info.value) and "password=***" in str(info.value)
    assert cli("store", "init") == 2
    assert "s3cr3t" not in capsys.readouterr().err
