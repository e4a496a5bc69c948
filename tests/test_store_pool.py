"""The PostGIS store's connection pool: one pool per process, no new connection per call, a
clear "unavailable" while the server is down and recovery by itself when it is back -- on a
throwaway PostGIS server of this test's own (.ci/start-postgis on another port and folder),
restarted while threads keep calling the store."""

from __future__ import annotations

import glob
import os
import shutil
import subprocess
import tempfile
import threading
import time
from pathlib import Path

import pytest

from app.errors import StoreError
from app.store.postgis import PostgisStore, _pool, close_pools, pool_size
from tests import pg_support

ROOT = Path(__file__).resolve().parent.parent
START = ROOT / ".ci" / "start-postgis"
postgis_server = pg_support.postgis_server
pg_url = pg_support.pg_url


def test_calls_share_the_pool_and_open_no_connection_each(pg_url):
    store = PostgisStore(pg_url)
    pool = _pool(store._params, store._wait_s)
    before = pool.get_stats().get("connections_num", 0)
    threads = [threading.Thread(target=lambda: [store.revision() for _ in range(25)]) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    stats = pool.get_stats()
    assert stats.get("requests_num", 0) >= 100
    assert stats.get("connections_num", 0) - before <= pool_size()[1]  # not one per call
    assert PostgisStore(pg_url, migrate=False).revision() == store.revision()  # the same pool


def test_a_bad_pool_size_is_refused_with_its_name():
    with pytest.raises(StoreError, match="ATLAS_DATABASE_POOL_MAX must be a whole number"):
        pool_size({"ATLAS_DATABASE_POOL_MAX": "many"})


def _owner(*command: str) -> list[str]:
    return ["runuser", "-u", "postgres", "--", *command] if os.geteuid() == 0 else list(command)


@pytest.fixture()
def own_server():
    """A PostGIS server of this test alone: (URL, stop, start)."""
    if not glob.glob("/usr/lib/postgresql/*/bin/initdb"):
        pytest.skip("PostgreSQL is not installed here (the recovery test needs its own server)")
    folder = Path(tempfile.mkdtemp(prefix="atlas-pg-recovery-", dir="/tmp"))
    folder.chmod(0o755)
    env = {**os.environ, "ATLAS_PG_DIR": str(folder / "pg"), "ATLAS_PG_PORT": "56120",
           "ATLAS_PG_NO_INSTALL": "1"}

    def start() -> str:
        done = subprocess.run(["bash", str(START)], env=env, capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, done.stderr[-800:]
        return done.stdout.strip().rpartition("ATLAS_TEST_DATABASE_URL=")[2]

    def stop() -> None:
        binary = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"))[-1]
        subprocess.run(_owner(binary, "-D", str(folder / "pg" / "data"), "-m", "fast", "-w", "stop"),
                       capture_output=True, timeout=60, check=True)

    try:
        yield start(), stop, start
    finally:
        close_pools()  # its pool, before its server goes for good
        subprocess.run(["bash", str(START), "stop"], env=env, capture_output=True, timeout=120)
        shutil.rmtree(folder, ignore_errors=True)


def test_the_store_says_unavailable_and_recovers_when_postgis_restarts_under_load(own_server):
    url, stop, start = own_server
    store = PostgisStore(url)
    outcomes: list[tuple[float, str, float]] = []  # (when, ok | unavailable | other: text, took)
    running = threading.Event()
    running.set()

    def work() -> None:
        deadline = time.monotonic() + 90  # bounded, whatever happens
        while running.is_set() and time.monotonic() < deadline:
            start_at = time.monotonic()
            try:
                store.revision()
                outcome = "ok"
            except StoreError as exc:
                outcome = "unavailable" if ("unavailable" in str(exc)) else f"other: {exc}"
            outcomes.append((start_at, outcome, time.monotonic() - start_at))
            time.sleep(0.02)

    threads = [threading.Thread(target=work) for _ in range(4)]
    for thread in threads:
        thread.start()
    try:
        time.sleep(1.0)
        stop()
        stopped = time.monotonic()
        time.sleep(2.0)
        restarting = time.monotonic()
        start()
        restarted = time.monotonic()
        deadline = restarted + 30
        while time.monotonic() < deadline and not any(
                when > restarted and outcome == "ok" for when, outcome, _ in outcomes):
            time.sleep(0.2)
    finally:
        running.clear()
        for thread in threads:
            thread.join(timeout=30)
    down = [(o, took) for when, o, took in outcomes if stopped + 0.5 < when < restarting]
    assert down and all(o == "unavailable" for o, _ in down), down[:5]
    assert max(took for _, took in down) < 5  # a quick, clear answer, not a hang
    assert not [o for _, o, _ in outcomes if o.startswith("other")]
    after = [o for when, o, _ in outcomes if when > restarted]
    assert "ok" in after  # recovered by itself: the same store object, no restart of the app
    assert store.revision() == 0
