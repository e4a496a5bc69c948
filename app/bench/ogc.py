"""``python -m app.bench ogc``: the OGC API – Features service at city scale, and what mounting
it costs the app.

Part one serves the service alone (the ASGI app of :mod:`app.ogc.routes`, under uvicorn on a
free port of 127.0.0.1) over a synthetic register of ``--features`` projects
(:mod:`app.bench.synthetic`), all in one collection, and times real HTTP requests:

* a page of 1,000 items at a random offset -- target p95 <= 150 ms;
* ``numberMatched`` of the collection (``resulttype=hits``) -- target p95 <= 50 ms;
* a CQL2 filter on it (1,000 items of the matches) -- target p95 <= 300 ms;
* the process's memory before and after ``--memory-requests`` mixed requests -- target: flat
  (growth <= 5 % of the memory before, or 20 MiB, whichever is more).

The synthetic register is served as the shown atlas itself (``ShownCache(build=...)``): the
figures are the service's own work. The first request builds the collection (the export's
preparation of every item, once per data version and store revision); its time is printed
apart. Building the shown atlas of such a register through the living register's fold is
:mod:`app.service`'s cost, measured by its own benchmarks.

Part two (``--app``, a source tree) starts the real app twice -- ``streamlit run
streamlit_app.py`` (pages and ``/ogc``) and ``streamlit run streamlit_page.py`` (the pages
alone) -- and drives each with :mod:`app.bench.load`'s websocket sessions: the first map of a
fresh server (the warm-up session) and ``--sessions`` sessions at once, side by side.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import random
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import urllib.request
from collections.abc import Iterator, Sequence
from dataclasses import replace
from pathlib import Path

from app.bench.load import (
    BenchError,
    Server,
    free_port,
    healthy,
    nearest_rank,
    process_rss,
    run,
    stop,
)
from app.bench.synthetic import synthetic_atlas
from app.data.atlas import load_atlas
from app.ogc.items import ShownCache
from app.ogc.routes import ogc_app
from app.service.atlas import ShownAtlas

__all__ = ["TARGETS", "main", "percentile_ms", "verdict"]

#: Targets, in milliseconds, of the three timed requests.
TARGETS = {"page": 150.0, "hits": 50.0, "filter": 300.0}
#: The filter timed (CQL2 text): a third of a synthetic register matches it, about.
FILTER = "status IN ('construction', 'operating') AND category <> 'x' AND name_zh LIKE '%1%'"
_NO_PROXY = urllib.request.build_opener(urllib.request.ProxyHandler({}))
_REPO = Path(__file__).resolve().parents[2]


def percentile_ms(seconds: Sequence[float], q: float) -> float:
    """The `q`-th percentile (0-100, nearest rank) of `seconds`, in milliseconds.

    >>> percentile_ms([0.010, 0.020, 0.030, 0.040], 95), percentile_ms([0.010, 0.020, 0.030, 0.040], 50)
    (40.0, 20.0)
    >>> percentile_ms([], 50)
    nan
    """
    return nearest_rank(seconds, q) * 1000 if seconds else float("nan")


def verdict(value: float, target: float) -> str:
    """``met`` or ``NOT met`` for a figure (lower is better) against its target.

    >>> verdict(120.0, 150.0), verdict(151.0, 150.0), verdict(float("nan"), 1.0)
    ('met', 'NOT met', 'NOT met')
    """
    return "met" if value == value and value <= target else "NOT met"


def _get(url: str) -> bytes:
    with _NO_PROXY.open(url, timeout=120) as response:
        if response.status != 200:
            raise BenchError(f"{url} answered {response.status}")
        return response.read()


@contextlib.contextmanager
def _served(app: object) -> Iterator[str]:
    """`app` under uvicorn on a free port of 127.0.0.1, in a thread of this process."""
    import uvicorn  # noqa: PLC0415 -- installed with streamlit; only this bench runs it itself

    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="error",
                                           lifespan="off"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while True:
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=1):
            break
        if time.monotonic() > deadline:
            raise BenchError("the service did not start within 30 s")
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


def service_figures(features: int, requests: int, memory_requests: int, seed: int) -> dict:
    """Part one: the service over a synthetic register of `features` projects."""
    base = load_atlas()
    big = synthetic_atlas(base, features, "mixed", seed=seed)
    projects = big.projects.copy()
    projects["layer"] = "renewal"  # one collection of them all: the largest page space
    projects["category"] = projects["category"].where(
        projects["category"].isin(base.spec("renewal").legend_values()), "")
    big = replace(big, projects=projects)
    # the synthetic register as shown: the service's own work is timed, not the living
    # register's fold of a 100,000-project seed (app.service's, built once per revision)
    cache = ShownCache(lambda: None, base=lambda: big, build=lambda atlas, register, asof: ShownAtlas(atlas))
    rng = random.Random(seed)  # noqa: S311 -- offsets of a benchmark, not a secret
    out: dict = {"features": features, "requests": requests, "pid": os.getpid()}
    with _served(ogc_app(cache)) as root:
        items = f"{root}/collections/renewal/items?f=json"
        started = time.perf_counter()
        _get(f"{items}&limit=1")
        out["cold_s"] = time.perf_counter() - started
        timed: dict[str, list[float]] = {"page": [], "hits": [], "filter": []}
        quoted = urllib.parse.quote(FILTER)
        for _ in range(requests):
            offset = rng.randrange(0, max(1, features - 1000))
            for name, url in (("page", f"{items}&limit=1000&offset={offset}"),
                              ("hits", f"{items}&resulttype=hits"),
                              ("filter", f"{items}&limit=1000&filter={quoted}")):
                started = time.perf_counter()
                body = _get(url)
                timed[name].append(time.perf_counter() - started)
                if name == "page":
                    out["page_bytes"] = len(body)
        for name, seconds in timed.items():
            out[f"{name}_p50_ms"] = percentile_ms(seconds, 50)
            out[f"{name}_p95_ms"] = percentile_ms(seconds, 95)
        out["rss_before"] = process_rss(os.getpid())
        urls = [f"{items}&limit=1000&offset={rng.randrange(0, max(1, features - 1000))}",
                f"{items}&resulttype=hits", f"{items}&limit=1000&filter={quoted}",
                f"{root}/collections?f=json", f"{root}/conformance"]
        for number in range(memory_requests):
            _get(urls[number % len(urls)])
        out["rss_after"] = process_rss(os.getpid())
        out["memory_requests"] = memory_requests
    return out


@contextlib.contextmanager
def _app(script: str, log: Path) -> Iterator[Server]:
    """``streamlit run SCRIPT`` in the repository on a free port, with its own store."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    env = {**{k: v for k, v in os.environ.items() if k != "ATLAS_DATABASE_URL"},
           "ATLAS_STORE": str(log.with_suffix(".sqlite"))}
    command = [sys.executable, "-m", "streamlit", "run", script, "--server.port", str(port),
               "--server.address", "127.0.0.1", "--server.headless", "true",
               "--browser.gatherUsageStats", "false", "--server.fileWatcherType", "none"]
    with log.open("wb") as sink:
        process = subprocess.Popen(command, cwd=_REPO, env=env, stdout=sink, stderr=subprocess.STDOUT,
                                   stdin=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 90
        while not healthy(url):
            if process.poll() is not None or time.monotonic() > deadline:
                raise BenchError(f"{script} did not start:\n{log.read_text(errors='replace')[-1500:]}")
            time.sleep(0.25)
        yield Server(url, process.pid, log)
    finally:
        stop(process)


def app_figures(sessions: int) -> dict[str, dict]:
    """Part two: the app's first map and a crowd of `sessions`, with and without ``/ogc``."""
    if not (_REPO / "streamlit_page.py").is_file():
        raise BenchError("--app needs the source tree (streamlit_app.py and streamlit_page.py)")
    out = {}
    with tempfile.TemporaryDirectory(prefix="atlas-ogc-bench-") as tmp:
        for label, script in (("with /ogc", "streamlit_app.py"), ("without /ogc", "streamlit_page.py")):
            with _app(script, Path(tmp) / f"{Path(script).stem}.log") as server:
                result = run(server, sessions)
                round_ = result["rounds"][0]
                out[label] = {"first_map_s": result["warmup"]["seconds"], "p50_s": round_["p50_s"],
                              "p95_s": round_["p95_s"], "errors": round_["errors"],
                              "rss_after": round_["rss_after"]}
    return out


def report(service: dict, app: dict | None) -> list[str]:
    """The printed table: each figure beside its target."""
    mib = 2 ** 20
    lines = [f"OGC API over a synthetic register of {service['features']:,} projects in one collection "
             f"({service['requests']} rounds of each request)",
             f"  first request (builds the collection): {service['cold_s']:.1f} s"]
    for name, what in (("page", "page of 1,000 items"), ("hits", "numberMatched (resulttype=hits)"),
                       ("filter", "CQL2 filter, 1,000 items")):
        p95, target = service[f"{name}_p95_ms"], TARGETS[name]
        lines.append(f"  {what:<34} p50 {service[f'{name}_p50_ms']:7.1f} ms  p95 {p95:7.1f} ms  "
                     f"target p95 <= {target:.0f} ms: {verdict(p95, target)}")
    growth = service["rss_after"] - service["rss_before"]
    allowed = max(0.05 * service["rss_before"], 20 * mib)
    lines.append(f"  memory over {service['memory_requests']:,} requests: {service['rss_before'] / mib:.0f} MiB "
                 f"-> {service['rss_after'] / mib:.0f} MiB ({growth / mib:+.1f} MiB); target flat "
                 f"(<= {allowed / mib:.0f} MiB): {'met' if growth <= allowed else 'NOT met'}")
    if service.get("page_bytes"):
        lines.append(f"  a page of 1,000 items is {service['page_bytes'] / mib:.1f} MiB of GeoJSON")
    if app:
        lines.append("the app, with and without /ogc mounted (load bench: warm-up session, then a crowd)")
        for label, figures in app.items():
            lines.append(f"  {label:<13} first map {figures['first_map_s']:.2f} s; crowd p50 "
                         f"{figures['p50_s']:.2f} s, p95 {figures['p95_s']:.2f} s, "
                         f"{figures['errors']} errors; server RSS after {figures['rss_after'] / mib:.0f} MiB")
        with_, without = app.get("with /ogc"), app.get("without /ogc")
        if with_ and without:
            worse = with_["p95_s"] > 1.2 * without["p95_s"] + 0.2 or with_["first_map_s"] > 1.2 * without["first_map_s"] + 0.2
            lines.append(f"  target (no worse with /ogc, within noise: 20 % + 0.2 s): {'NOT met' if worse else 'met'}")
    return lines


def main(argv: Sequence[str] | None = None) -> int:
    """Run the benchmark; print the table. Exit 1 when a target is not met."""
    parser = argparse.ArgumentParser(prog="python -m app.bench ogc", description=__doc__.splitlines()[0])
    parser.add_argument("--features", type=int, default=100_000, help="projects in the synthetic register")
    parser.add_argument("--requests", type=int, default=50, help="timed requests of each kind")
    parser.add_argument("--memory-requests", type=int, default=1000, help="requests between the memory readings")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--app", action="store_true", help="also the app with and without /ogc (part two)")
    parser.add_argument("--sessions", type=int, default=50, help="with --app: sessions at once")
    args = parser.parse_args(argv)
    if not 1_000 <= args.features <= 1_000_000 or not 1 <= args.requests <= 10_000 \
            or not 0 <= args.memory_requests <= 100_000 or not 1 <= args.sessions <= 1000:
        parser.error("--features 1,000-1,000,000, --requests 1-10,000, --memory-requests 0-100,000, "
                     "--sessions 1-1,000")
    try:
        service = service_figures(args.features, args.requests, args.memory_requests, args.seed)
        app = app_figures(args.sessions) if args.app else None
    except BenchError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    lines = report(service, app)
    print("\n".join(lines))
    return 1 if any("NOT met" in line for line in lines) else 0

