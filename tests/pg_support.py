"""PostgreSQL + PostGIS for the store tests: one server per session, one fresh database per test.

The server is the one at ``$ATLAS_TEST_DATABASE_URL`` (a ``postgresql://`` URL of a role that may
create databases; ``.ci/run`` starts it with
``.ci/start-postgis``). Without that variable the session starts one itself with the same script
when PostgreSQL and PostGIS are installed, and stops it at the end. When no server can be had the
PostGIS tests are skipped with a reason starting ``POSTGIS NOT AVAILABLE:`` (shown by ``-ra``),
except under CI (``$CI`` set), where that is a failure: CI must run them.

A test module takes the fixtures by naming them: ``pg_url = pg_support.pg_url`` (and the same for
``postgis_server``).
"""

from __future__ import annotations

import glob
import itertools
import os
import subprocess
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import psycopg
import pytest
from psycopg.conninfo import conninfo_to_dict, make_conninfo

from app.store.postgis import close_pools

ROOT = Path(__file__).resolve().parent.parent
START_SCRIPT = ROOT / ".ci" / "start-postgis"
_counter = itertools.count()


def _unavailable(reason: str) -> None:
    """Skip loudly, or fail under CI where the PostGIS tests must run."""
    message = f"POSTGIS NOT AVAILABLE: {reason}"
    if os.environ.get("CI"):
        pytest.fail(f"{message} (CI must run the PostGIS store tests)", pytrace=False)
    pytest.skip(message)


def _start_server() -> tuple[str, bool]:
    """(URL, whether this call started the server) from .ci/start-postgis, without installing."""
    if not glob.glob("/usr/lib/postgresql/*/bin/initdb"):
        _unavailable("ATLAS_TEST_DATABASE_URL is not set and PostgreSQL is not installed "
                     "(Debian: apt-get install postgresql postgresql-15-postgis-3)")
    proc = subprocess.run(["bash", str(START_SCRIPT)], capture_output=True, text=True,
                          timeout=120, env={**os.environ, "ATLAS_PG_NO_INSTALL": "1"})
    line = proc.stdout.strip().rpartition("ATLAS_TEST_DATABASE_URL=")[2]
    if proc.returncode or not line:
        _unavailable(f".ci/start-postgis failed: {proc.stderr.strip()[-500:]}")
    return line, "already running" not in proc.stderr


def with_dbname(url: str, dbname: str) -> str:
    """The connection string `url` pointing at another database."""
    return make_conninfo(url, dbname=dbname)


@pytest.fixture(scope="session")
def postgis_server() -> Iterator[tuple[str, str]]:
    """(server URL, name of a template database that has PostGIS) for the whole session."""
    url = os.environ.get("ATLAS_TEST_DATABASE_URL")
    started = False
    if not url:
        url, started = _start_server()
    template = f"atlas_tpl_{os.getpid()}"
    try:
        with psycopg.connect(url, autocommit=True, connect_timeout=10) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{template}"')
            conn.execute(f'CREATE DATABASE "{template}"')
        with psycopg.connect(with_dbname(url, template), autocommit=True) as conn:
            conn.execute("CREATE EXTENSION IF NOT EXISTS postgis")
    except psycopg.Error as exc:
        _unavailable(f"cannot prepare a PostGIS database at {conninfo_to_dict(url).get('host')}:"
                     f"{conninfo_to_dict(url).get('port')}: {str(exc).strip()}")
    yield url, template
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{template}" WITH (FORCE)')
    if started:
        subprocess.run(["bash", str(START_SCRIPT), "stop"], capture_output=True, timeout=60,
                       check=False)


@pytest.fixture()
def pg_url(postgis_server: tuple[str, str]) -> Iterator[str]:
    """The URL of a new, empty database with PostGIS, dropped after the test."""
    url, template = postgis_server
    name = f"atlas_t_{os.getpid()}_{next(_counter)}"
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
    yield urlsplit(url)._replace(path=f"/{name}").geturl()
    close_pools()  # the pooled connections to it, before it goes
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
