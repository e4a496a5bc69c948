"""Benchmark: the map page over a living register of city scale on PostGIS.

``python -m app.bench citymap --projects 100000 --database-url postgresql://…@127.0.0.1/…``
makes a copy of ``geodata/`` whose ``register.toml`` repeats the report's entries under new ids
(``<id>-r<k>``), creates a new database on the given loopback PostgreSQL server (its name made
here, dropped afterwards), starts the app on it (``python -m app.ui``; it loads the register and
seeds the store's living register at start), and then drives the map page as
:mod:`app.bench.load` does: one first session (the first map after start: loading, seeding,
folding, building the map's base) and then ``--sessions`` sessions at once, each its two runs
(the map first, then the rest once the map reports its paint).

Printed beside the targets: the first map of a started server, the crowd's p95, and the
PostgreSQL connections the app opened per page run (``pg_stat_database.sessions`` before and
after the crowd, over its runs). The search-to-repaint time needs a browser and is measured by
``python -m app.bench`` (render) on synthetic registers, not here.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import re
import shutil
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from urllib.parse import urlsplit

import psycopg

from app.bench import load
from app.data.atlas import default_data_dir

__all__ = ["main", "repeated_register", "run"]

#: The targets of the city-scale map page.
FIRST_MAP_TARGET_S = 2.0
CROWD_P95_TARGET_S = 5.0
CONNECTIONS_PER_RUN_TARGET = 1.0


def repeated_register(source: Path, out: Path, n: int) -> Path:
    """A copy of the data folder `source` in `out` whose register holds `n` entries: the real
    ones repeated in order, entry k with the id ``<id>-r<k>`` (and no ``parent``, which would
    name an id that is not there). Returns `out`.

    >>> import tempfile
    >>> out = repeated_register(default_data_dir(), Path(tempfile.mkdtemp()) / "d", 50)
    >>> (out / "register.toml").read_text(encoding="utf-8").count("[[project]]")
    50
    """
    shutil.copytree(source, out, ignore=shutil.ignore_patterns("scripts", "sources"))
    text = (source / "register.toml").read_text(encoding="utf-8")
    head, *blocks = text.split("[[project]]\n")
    parts = [head]
    for k in range(n):
        block = re.sub(r"^parent = .*\n", "", blocks[k % len(blocks)], flags=re.M)
        parts.append("[[project]]\n" + re.sub(r'^id = "([^"]+)"', lambda m, k=k: f'id = "{m.group(1)}-r{k}"',
                                              block, count=1, flags=re.M))
    (out / "register.toml").write_text("".join(parts), encoding="utf-8")
    return out


def _sessions_opened(admin_url: str, database: str) -> int:
    with psycopg.connect(admin_url, autocommit=True) as conn:
        row = conn.execute("SELECT sessions FROM pg_stat_database WHERE datname = %s",
                           (database,)).fetchone()
    return int(row[0]) if row and row[0] is not None else 0


def run(n: int, admin_url: str, sessions: int, *, timeout_s: float = 1800.0,
        say=print) -> dict[str, object]:
    """The figures of one run (see the module docstring)."""
    load.loopback_url("http://" + (urlsplit(admin_url).hostname or "") + "/")  # loopback only
    database = f"atlas_citymap_{n}_{int(time.time())}"
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{database}"')
    url = urlsplit(admin_url)._replace(path=f"/{database}").geturl()
    try:
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute("CREATE EXTENSION IF NOT EXISTS postgis")
        with tempfile.TemporaryDirectory(prefix="atlas-citymap-") as folder:
            data = repeated_register(default_data_dir(), Path(folder) / "geodata", n)
            say(f"register of {n} projects in {data}; starting the app on {database} ...")
            env = {"ATLAS_DATA_DIR": str(data), "ATLAS_DATABASE_URL": url}
            with load.started_server(timeout_s=300, env=env) as server:
                start = time.monotonic()
                first = asyncio.run(load.session(server.url, load.MAP_PAGE, "", timeout_s))
                first_s = time.monotonic() - start
                if first.error:
                    raise load.BenchError(f"the first session failed: {first.error}")
                say(f"first map after start: {first_s:.1f} s; a second session ...")
                again = asyncio.run(load.session(server.url, load.MAP_PAGE, "", timeout_s))
                before = _sessions_opened(admin_url, database)
                say(f"{sessions} sessions at once ...")
                outcome = asyncio.run(load.crowd(server.url, sessions, load.MAP_PAGE, "", timeout_s,
                                                 server.pid))
                time.sleep(1.0)
                opened = _sessions_opened(admin_url, database) - before
                figures = load._round_figures(outcome, load.process_rss(server.pid))
                runs = 2 * sessions
                return {"projects": n, "first_map_s": round(first_s, 2),
                        "warm_map_s": round(again.seconds, 2) if again.seconds is not None else None,
                        "crowd_p50_s": figures["p50_s"], "crowd_p95_s": figures["p95_s"],
                        "errors": figures["errors"], "connections_opened": opened,
                        "connections_per_run": round(opened / runs, 3)}
    finally:
        with psycopg.connect(admin_url, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')


def main(argv: Sequence[str] | None = None) -> int:
    """``citymap --projects N --database-url URL [--sessions 50] [--json]``."""
    parser = argparse.ArgumentParser(prog="python -m app.bench citymap",
                                     description=__doc__.splitlines()[0])
    parser.add_argument("--projects", type=int, default=100_000)
    parser.add_argument("--database-url", required=True,
                        help="a PostgreSQL server with PostGIS on this machine (a database is "
                             "made on it for the run and dropped after)")
    parser.add_argument("--sessions", type=int, default=50)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    if args.projects < 1 or args.sessions < 1:
        parser.error("--projects and --sessions must be at least 1")
    try:
        result = run(args.projects, args.database_url, args.sessions,
                     say=lambda t: print(t, file=sys.stderr, flush=True))
    except (load.BenchError, psycopg.Error) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if args.json:
        print(json.dumps(result))
        return 0
    verdict = {True: "met", False: "NOT met"}
    print(f"{result['projects']} projects on PostGIS")
    print(f"  first map after start {result['first_map_s']} s, a warm one {result['warm_map_s']} s "
          f"(target <= {FIRST_MAP_TARGET_S:g} s) {verdict[(result['warm_map_s'] or 1e9) <= FIRST_MAP_TARGET_S]}")
    print(f"  {args.sessions} sessions: p50 {result['crowd_p50_s']:.2f} s, p95 {result['crowd_p95_s']:.2f} s, "
          f"{result['errors']} errors (target p95 <= {CROWD_P95_TARGET_S:g} s) "
          f"{verdict[result['crowd_p95_s'] is not None and result['crowd_p95_s'] <= CROWD_P95_TARGET_S]}")
    print(f"  connections opened per page run {result['connections_per_run']} "
          f"({result['connections_opened']} for {2 * args.sessions} runs; target <= "
          f"{CONNECTIONS_PER_RUN_TARGET:g}) {verdict[result['connections_per_run'] <= CONNECTIONS_PER_RUN_TARGET]}")
    return 0
