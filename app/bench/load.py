"""Load test: a crowd opening the map page at once, as websocket sessions of the real server.

``python -m app.bench load --sessions 50`` starts the app (``python -m app.ui``, i.e.
``streamlit run streamlit_app.py``, headless on a free port of 127.0.0.1, with its own empty
store in a temporary folder) -- or, with ``--url http://127.0.0.1:PORT``, uses one that is
already running on this machine -- and opens N sessions of the map page together, the way a
browser does, without drawing anything:

1. a websocket to ``/_stcore/stream`` (subprotocol ``streamlit``);
2. one ``BackMsg`` whose ``rerun_script`` carries the page's query string and name (the path
   after the site's root, with an empty ``page_script_hash``: the map is the default page, at
   ``/``, so its name is ``""``), empty widget states and no cached messages, so the server
   sends every message in full;
3. the ``ForwardMsg`` stream until the script run reports ``script_finished``;
4. when the map asks to report its first paint (a new visitor's page draws the map first and
   the rest once it has painted: app/ui/pages/map_page.py), the report a browser's map sends --
   a ``rerun_script`` with the component's value -- and the stream of that second run.

A session is **done** when its run finished successfully and the map element (the live map
component's delta, app/ui/live_map.py) came with it; its time is counted from the moment it
started connecting. It is an **error** when it cannot connect, the connection drops, the page
shows an exception or an error notice, the run ends otherwise, no map was sent, or it is not done
within ``--timeout`` seconds. Every loop is bounded (messages per session, reruns, time): the
script always stops by itself.

One warm-up session runs first (what a server that has been up for a while already did:
loading the atlas, the first caches), unless ``--no-warmup``. Each round then opens all the
sessions at once, holds them open until every one is done and closes them. Printed: time to
done p50/p95/max per round, errors, the crowd's wall time, the map element's size, and the
server's resident memory (its process and all its children: psutil when installed, else
``/proc/PID/status``) after the warm-up, at its highest during each round (sampled every 0.2 s)
and after each round.

This is the one module outside ``app/ui`` that imports streamlit: only its protobuf message
classes, to speak the wire protocol as a client. Only loopback servers are driven.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import dataclasses
import ipaddress
import json
import math
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from google.protobuf.message import DecodeError
from streamlit.proto.Alert_pb2 import Alert
from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

__all__ = ["MAP_COMPONENT", "BenchError", "Server", "SessionResult", "crowd", "free_port",
           "healthy", "loopback_url", "main", "nearest_rank", "process_rss", "report", "session",
           "started_server", "stop"]

#: The component name of the map page's map element (the live map of :mod:`app.ui.live_map`).
MAP_COMPONENT = "app.ui.live_map.atlas_live_map"
#: The map page's name in a rerun request: it is the default page (app/ui/frame.py), whose URL
#: path is always the root (``/map`` is answered with "page not found" and the default page).
MAP_PAGE = ""
#: The target: 50 sessions of the map page, both runs each, p95 time to done on 2 cores.
TARGET_P95_S = 2.0
#: Bounds of one session: messages read, script runs (the app may rerun itself) and bytes.
MAX_MESSAGES = 20_000
MAX_RUNS = 5
MAX_MESSAGE_BYTES = 256 * 1024 * 1024
START_TIMEOUT_S = 120.0
RSS_SAMPLE_S = 0.2

_FINISHED = ForwardMsg.ScriptFinishedStatus
_NO_PROXY = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def _websockets() -> Any:
    """The ``websockets`` package (Streamlit's server uses it too), or ImportError with a hint."""
    try:
        import websockets
        from websockets.asyncio.client import connect  # noqa: F401 -- needs websockets >= 13
    except ImportError as exc:
        raise ImportError("the load test needs the websockets package (>= 15): "
                          "pip install 'websockets>=15'") from exc
    return websockets


class BenchError(RuntimeError):
    """The load test cannot run (bad arguments, the server does not start or answer)."""


@dataclasses.dataclass(frozen=True)
class SessionResult:
    """One session: seconds until done (None when it failed), its error, what it received."""

    seconds: float | None
    error: str | None = None
    messages: int = 0
    map_bytes: int = 0


def loopback_url(url: str) -> str:
    """``url`` without a trailing slash, or BenchError unless it is http(s) on this machine.

    >>> loopback_url("http://127.0.0.1:8501/")
    'http://127.0.0.1:8501'
    >>> loopback_url("http://[::1]:8501")
    'http://[::1]:8501'
    >>> loopback_url("http://10.0.0.5:8501")
    Traceback (most recent call last):
    ...
    app.bench.load.BenchError: --url must be a loopback address (127.0.0.1, ::1, localhost), \
not '10.0.0.5'
    >>> loopback_url("ftp://127.0.0.1")
    Traceback (most recent call last):
    ...
    app.bench.load.BenchError: --url must start with http:// or https://, not 'ftp://127.0.0.1'
    """
    parts = urlsplit(url)
    if parts.scheme not in {"http", "https"}:
        raise BenchError(f"--url must start with http:// or https://, not {url!r}")
    host = parts.hostname or ""
    try:
        loopback = host == "localhost" or ipaddress.ip_address(host).is_loopback
    except ValueError:
        loopback = False
    if not loopback:
        raise BenchError(f"--url must be a loopback address (127.0.0.1, ::1, localhost), "
                         f"not {host!r}")
    return url.rstrip("/")


def nearest_rank(values: Sequence[float], q: float) -> float:
    """The `q`-th percentile (0-100) of `values` by the nearest-rank method; NaN when empty.

    >>> nearest_rank([3.0, 1.0, 2.0, 4.0], 50), nearest_rank(range(1, 51), 95)
    (2.0, 48)
    >>> nearest_rank([], 95)
    nan
    """
    if not values:
        return math.nan
    ordered = sorted(values)
    return ordered[max(1, math.ceil(q / 100 * len(ordered))) - 1]


# --- one session ------------------------------------------------------------------------------


def _rerun_request(page: str, query: str) -> bytes:
    """The BackMsg a browser sends after connecting: run `page` with the URL's `query`."""
    msg = BackMsg()
    msg.rerun_script.query_string = query
    msg.rerun_script.page_script_hash = ""
    msg.rerun_script.page_name = page
    msg.rerun_script.context_info.timezone = "Asia/Shanghai"
    msg.rerun_script.context_info.timezone_offset = -480
    msg.rerun_script.context_info.locale = "zh-CN"
    msg.rerun_script.context_info.url = f"/{page}" + (f"?{query}" if query else "")
    return msg.SerializeToString()


def _painted_request(page: str, query: str, component_id: str) -> bytes:
    """The BackMsg a browser sends when the live map has painted (its value, as a rerun)."""
    msg = BackMsg()
    msg.ParseFromString(_rerun_request(page, query))
    state = msg.rerun_script.widget_states.widgets.add()
    state.id = component_id
    state.json_value = json.dumps({"painted": 1, "at": int(time.time() * 1000)})
    return msg.SerializeToString()


def _element_problem(msg: ForwardMsg) -> str | None:
    """What is wrong with a page that sent `msg` (an exception, an error notice), or None."""
    element = msg.delta.new_element
    kind = element.WhichOneof("type")
    if kind == "exception":
        return f"exception on the page: {element.exception.type}: {element.exception.message}"
    if kind == "alert" and element.alert.format == Alert.ERROR:
        return f"error notice on the page: {element.alert.body[:200]}"
    return None


async def _read_run(ws: Any, received: list[int]) -> tuple[str | None, int, str | None]:
    """Read one session's messages until its run finished: (error or None, map bytes, the
    map's widget id when it asks to report its first paint)."""
    map_bytes, runs, report = 0, 0, None
    while received[0] < MAX_MESSAGES:
        msg = ForwardMsg()
        msg.ParseFromString(await ws.recv())
        received[0] += 1
        kind = msg.WhichOneof("type")
        if kind == "page_not_found":
            return "the server answered 'page not found' (see --page)", 0, None
        if kind == "delta" and msg.delta.WhichOneof("type") == "new_element":
            if problem := _element_problem(msg):
                return problem, map_bytes, None
            component = msg.delta.new_element.component_instance
            if component.component_name == MAP_COMPONENT:
                map_bytes = len(component.json_args)
                report = component.id if json.loads(component.json_args).get("report_painted") else None
        if kind == "ref_hash" or msg.ref_hash:
            return "the server sent a cached message by reference (none was offered)", map_bytes, None
        if kind != "script_finished":
            continue
        status = msg.script_finished
        if status == _FINISHED.FINISHED_EARLY_FOR_RERUN and runs < MAX_RUNS:
            runs, map_bytes = runs + 1, 0
            continue
        if status != _FINISHED.FINISHED_SUCCESSFULLY:
            return f"script run ended with {_FINISHED.Name(status)}", map_bytes, None
        return (None if map_bytes else "the run finished without the map element"), map_bytes, report
    return f"more than {MAX_MESSAGES} messages without the end of the run", map_bytes, None


class _Gathering:
    """Sessions of one crowd: who is done with the server, and when all may close."""

    def __init__(self, sessions: int) -> None:
        self.left = sessions
        self.all_done = asyncio.Event()
        self.release = asyncio.Event()

    def arrive(self) -> None:
        """One more session is done (finished or failed)."""
        self.left -= 1
        if self.left <= 0:
            self.all_done.set()


async def session(base_url: str, page: str = MAP_PAGE, query: str = "",
                  timeout_s: float = 120.0, gathering: _Gathering | None = None,
                  headers: Mapping[str, str] | None = None) -> SessionResult:
    """Open one session of `page` on the server at `base_url` and wait for its map.

    With a `gathering`, a session that is done keeps its connection open until the gathering's
    ``release`` is set; `headers` go with the websocket handshake (a browser's cookies, say).
    Never raises for what the server does: a failure is the result's ``error``.
    """
    start = time.monotonic()
    scheme = "wss" if base_url.startswith("https") else "ws"
    address = f"{scheme}://{base_url.split('://', 1)[1]}/_stcore/stream"
    received, arrived = [0], False
    websockets = _websockets()
    try:
        async with asyncio.timeout(timeout_s) as deadline:
            async with websockets.connect(address, subprotocols=["streamlit"], origin=base_url,
                                          max_size=MAX_MESSAGE_BYTES, proxy=None,
                                          additional_headers=dict(headers or {}),
                                          ping_interval=None, open_timeout=None) as ws:
                await ws.send(_rerun_request(page, query))
                error, map_bytes, report = await _read_run(ws, received)
                if error is None and report is not None:  # the map has painted: the rest
                    await ws.send(_painted_request(page, query, report))
                    error, map_bytes, _ = await _read_run(ws, received)
                seconds = time.monotonic() - start
                deadline.reschedule(None)  # holding the connection open has no time limit
                if gathering is not None:
                    gathering.arrive()
                    arrived = True
                    if error is None:
                        await gathering.release.wait()
    except TimeoutError:
        return SessionResult(None, f"not done after {timeout_s:g} s", received[0])
    except (OSError, websockets.WebSocketException) as exc:
        return SessionResult(None, f"connection: {type(exc).__name__}: {exc}", received[0])
    except DecodeError as exc:
        return SessionResult(None, f"not a ForwardMsg from the server: {exc}", received[0])
    finally:
        if gathering is not None and not arrived:
            gathering.arrive()
    if error:
        return SessionResult(None, error, received[0], map_bytes)
    return SessionResult(seconds, None, received[0], map_bytes)


# --- the server's memory ----------------------------------------------------------------------


def _children(pid: int) -> list[int]:
    """Direct children of `pid` from /proc (every thread's ``children`` file)."""
    found: list[int] = []
    for children in Path(f"/proc/{pid}/task").glob("*/children"):
        with contextlib.suppress(OSError):
            found.extend(int(p) for p in children.read_text().split())
    return found


def _vm_rss(pid: int) -> int:
    """VmRSS of one process in bytes from /proc/PID/status (0 when it is gone)."""
    with contextlib.suppress(OSError):
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    return 0


def process_rss(pid: int) -> int:
    """Resident bytes of process `pid` and all its descendants (0 when it does not exist).

    >>> process_rss(os.getpid()) > 1_000_000, process_rss(2**22 + 1)
    (True, 0)
    """
    try:
        import psutil
    except ImportError:
        psutil = None
    if psutil is not None:
        try:
            proc = psutil.Process(pid)
            family = [proc, *proc.children(recursive=True)]
        except psutil.Error:
            return 0
        total = 0
        for member in family:
            with contextlib.suppress(psutil.Error):
                total += member.memory_info().rss
        return total
    total, todo, seen = 0, [pid], set()
    while todo:
        current = todo.pop()
        if current not in seen:
            seen.add(current)
            total += _vm_rss(current)
            todo.extend(_children(current))
    return total


def _listening_pid(port: int) -> int | None:
    """The process listening on TCP `port` of this machine, from /proc (None if not found)."""
    inodes = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        with contextlib.suppress(OSError):
            for row in Path(table).read_text().splitlines()[1:]:
                fields = row.split()
                if fields[3] == "0A" and int(fields[1].rsplit(":", 1)[1], 16) == port:
                    inodes.add(f"socket:[{fields[9]}]")
    for fd_dir in Path("/proc").glob("[0-9]*/fd"):
        with contextlib.suppress(OSError):
            for fd in fd_dir.iterdir():
                with contextlib.suppress(OSError):
                    if os.readlink(fd) in inodes:
                        return int(fd_dir.parent.name)
    return None


async def _sample_rss(pid: int | None, peak: list[int], stop: asyncio.Event) -> None:
    """Keep the highest RSS of `pid` seen in ``peak[0]`` until `stop` is set."""
    while pid is not None and not stop.is_set():
        peak[0] = max(peak[0], process_rss(pid))
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), RSS_SAMPLE_S)


# --- the crowd --------------------------------------------------------------------------------


async def crowd(base_url: str, sessions: int, page: str = MAP_PAGE, query: str = "",
                timeout_s: float = 120.0, pid: int | None = None) -> dict[str, Any]:
    """Open `sessions` sessions at once, hold them until all are done; results and peak RSS."""
    gathering, stop, peak = _Gathering(sessions), asyncio.Event(), [0]
    sampler = asyncio.create_task(_sample_rss(pid, peak, stop))
    start = time.monotonic()
    tasks = [asyncio.create_task(session(base_url, page, query, timeout_s, gathering))
             for _ in range(sessions)]
    await gathering.all_done.wait()  # each session arrives within timeout_s
    wall = time.monotonic() - start
    stop.set()
    await sampler
    peak_rss = max(peak[0], process_rss(pid)) if pid else 0
    gathering.release.set()
    results = await asyncio.gather(*tasks)
    return {"results": results, "wall_s": wall, "peak_rss": peak_rss}


# --- the server -------------------------------------------------------------------------------


@dataclasses.dataclass
class Server:
    """A server to drive: its base URL and the process to measure (None when unknown)."""

    url: str
    pid: int | None
    log: Path | None = None


def free_port() -> int:
    """A TCP port of 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def healthy(base_url: str) -> bool:
    """True when Streamlit's health endpoint answers ``ok``."""
    try:
        with _NO_PROXY.open(f"{base_url}/_stcore/health", timeout=2) as response:
            return response.read().decode().strip() == "ok"
    except (urllib.error.URLError, ConnectionError, TimeoutError):
        return False


@contextlib.contextmanager
def started_server(timeout_s: float = START_TIMEOUT_S,
                   env: Mapping[str, str] | None = None) -> Iterator[Server]:
    """Run the app headless on a free port of 127.0.0.1 with an empty store; stop it after.

    The store is a new SQLite file (``$ATLAS_DATABASE_URL`` is not passed on) unless `env`,
    added to this process's environment, names one.
    """
    with tempfile.TemporaryDirectory(prefix="atlas-load-") as tmp:
        port = free_port()
        url = f"http://127.0.0.1:{port}"
        inherited = {k: v for k, v in os.environ.items() if k != "ATLAS_DATABASE_URL"}
        env = {**inherited, "ATLAS_STORE": str(Path(tmp) / "atlas.sqlite"), **(env or {})}
        command = [sys.executable, "-m", "app.ui", "--server.port", str(port),
                   "--server.address", "127.0.0.1", "--server.headless", "true",
                   "--browser.gatherUsageStats", "false", "--server.fileWatcherType", "none"]
        log = Path(tmp) / "server.log"
        with log.open("wb") as sink:
            process = subprocess.Popen(command, env=env, stdout=sink, stderr=subprocess.STDOUT,
                                       stdin=subprocess.DEVNULL)
        try:
            deadline = time.monotonic() + timeout_s
            while not healthy(url):
                if process.poll() is not None or time.monotonic() > deadline:
                    tail = log.read_text(encoding="utf-8", errors="replace")[-2000:]
                    raise BenchError(f"the app did not start on {url} within {timeout_s:g} s "
                                     f"(exit code {process.poll()}):\n{tail}")
                time.sleep(0.25)
            yield Server(url, process.pid, log)
        finally:
            stop(process)


def stop(process: subprocess.Popen, timeout_s: float = 15.0) -> None:
    """Terminate a child process we started; kill it if it has not exited within `timeout_s`."""
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=timeout_s)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=timeout_s)


def _existing_server(url: str, pid: int | None) -> Server:
    """The server at `url` (loopback only), which must answer its health check."""
    url = loopback_url(url)
    if not healthy(url):
        raise BenchError(f"no Streamlit server answers at {url}/_stcore/health")
    port = urlsplit(url).port or (443 if url.startswith("https") else 80)
    return Server(url, pid if pid is not None else _listening_pid(port))


# --- the run and its report -------------------------------------------------------------------


def _round_figures(outcome: dict[str, Any], rss_after: int) -> dict[str, Any]:
    """The summary of one round: times, errors (first few, counted), sizes, memory."""
    results: list[SessionResult] = outcome["results"]
    times = [r.seconds for r in results if r.seconds is not None]
    errors = [r.error for r in results if r.error]
    return {
        "sessions": len(results), "done": len(times), "errors": len(errors),
        "error_kinds": {e: errors.count(e) for e in sorted(set(errors))[:5]},
        "p50_s": nearest_rank(times, 50), "p95_s": nearest_rank(times, 95),
        "max_s": max(times, default=math.nan), "wall_s": outcome["wall_s"],
        "map_bytes": statistics.median([r.map_bytes for r in results if r.map_bytes] or [0]),
        "rss_peak": outcome["peak_rss"], "rss_after": rss_after,
    }


def run(server: Server, sessions: int, rounds: int = 1, page: str = MAP_PAGE, query: str = "",
        timeout_s: float = 120.0, warmup: bool = True,
        progress: Any = None) -> dict[str, Any]:
    """Drive `rounds` crowds of `sessions` against `server`; the figures as a dict."""
    say = progress or (lambda _text: None)
    pid = server.pid
    result: dict[str, Any] = {"url": server.url, "pid": pid, "page": page, "sessions": sessions,
                              "cores": os.cpu_count(), "rss_start": process_rss(pid) if pid else 0}
    if warmup:
        say("warm-up session ...")
        first = asyncio.run(session(server.url, page, query, timeout_s))
        result["warmup"] = dataclasses.asdict(first)
        if first.error:
            raise BenchError(f"the warm-up session failed: {first.error}")
    result["rss_before"] = process_rss(pid) if pid else 0
    result["rounds"] = []
    for number in range(1, rounds + 1):
        say(f"round {number}/{rounds}: {sessions} sessions ...")
        outcome = asyncio.run(crowd(server.url, sessions, page, query, timeout_s, pid))
        time.sleep(1.0)  # let the server finish closing the sessions before measuring
        result["rounds"].append(_round_figures(outcome, process_rss(pid) if pid else 0))
    return result


def _mib(n: int) -> str:
    """Bytes as MiB with one decimal, or "?" when unknown."""
    return f"{n / 2**20:.1f} MiB" if n else "?"


def report(result: dict[str, Any]) -> list[str]:
    """The printed table of :func:`run`'s result.

    >>> lines = report({"url": "http://127.0.0.1:1", "pid": None, "page": "map",
    ...                 "sessions": 2, "cores": 2, "rss_start": 0, "rss_before": 0,
    ...                 "rounds": [{"sessions": 2, "done": 1, "errors": 1,
    ...                             "error_kinds": {"not done after 1 s": 1}, "p50_s": 0.5,
    ...                             "p95_s": 0.5, "max_s": 0.5, "wall_s": 1.0,
    ...                             "map_bytes": 10, "rss_peak": 0, "rss_after": 0}]})
    >>> print(lines[2]); print(lines[-1])
    round 1: 1/2 done, 1 errors; time to done p50 0.50 s, p95 0.50 s, max 0.50 s; wall 1.0 s
    target (p95 <= 2 s, no error): not met
    """
    lines = [f"server {result['url']} (pid {result['pid'] or '?'}), page /{result['page']}, "
             f"{result['sessions']} sessions, {result['cores']} cores"]
    if "warmup" in result:
        lines.append(f"warm-up session: {result['warmup']['seconds']:.2f} s")
    lines.append(f"server RSS: {_mib(result['rss_start'])} at start, "
                 f"{_mib(result['rss_before'])} before the crowd")
    met = True
    for number, r in enumerate(result["rounds"], start=1):
        lines.append(f"round {number}: {r['done']}/{r['sessions']} done, {r['errors']} errors; "
                     f"time to done p50 {r['p50_s']:.2f} s, p95 {r['p95_s']:.2f} s, "
                     f"max {r['max_s']:.2f} s; wall {r['wall_s']:.1f} s")
        lines.append(f"  map element {r['map_bytes'] / 1024:.0f} KiB; server RSS peak "
                     f"{_mib(r['rss_peak'])}, after {_mib(r['rss_after'])}")
        lines.extend(f"  error x{count}: {kind}" for kind, count in r["error_kinds"].items())
        met = met and not r["errors"] and r["p95_s"] <= TARGET_P95_S
    lines.append(f"target (p95 <= {TARGET_P95_S:g} s, no error): {'met' if met else 'not met'}")
    return lines


def main(argv: Sequence[str] | None = None) -> int:
    """Run the load test; print the table (or ``--json``). Exit 1 when any session failed."""
    parser = argparse.ArgumentParser(prog="python -m app.bench load",
                                     description=__doc__.splitlines()[0])
    parser.add_argument("--sessions", type=int, default=50, help="sessions opened at once")
    parser.add_argument("--rounds", type=int, default=1, help="crowds one after another")
    parser.add_argument("--url", help="drive this running server (loopback only) instead of "
                                      "starting one, e.g. http://127.0.0.1:8501")
    parser.add_argument("--pid", type=int, help="with --url: the server's process (found from "
                                                "the port when omitted)")
    parser.add_argument("--page", default=MAP_PAGE,
                        help="the page's URL path (default: the map, at the site's root)")
    parser.add_argument("--query", default="", help="the URL's query string, without '?'")
    parser.add_argument("--timeout", type=float, default=120.0,
                        help="seconds a session may take before it counts as an error")
    parser.add_argument("--no-warmup", action="store_true", help="no warm-up session first")
    parser.add_argument("--json", action="store_true", help="print JSON instead of the table")
    parser.add_argument("--quiet", action="store_true", help="no progress lines on stderr")
    args = parser.parse_args(argv)
    if not 1 <= args.sessions <= 1000 or not 1 <= args.rounds <= 20 or args.timeout <= 0:
        parser.error("--sessions must be 1-1000, --rounds 1-20 and --timeout positive")
    progress = None if args.quiet else (lambda text: print(text, file=sys.stderr, flush=True))
    try:
        with contextlib.ExitStack() as stack:
            if args.url:
                server = _existing_server(args.url, args.pid)
            else:
                if progress:
                    progress("starting the app ...")
                server = stack.enter_context(started_server())
            result = run(server, args.sessions, args.rounds, args.page, args.query,
                         args.timeout, warmup=not args.no_warmup, progress=progress)
    except BenchError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(json.dumps(result, indent=1) if args.json else "\n".join(report(result)))
    return 1 if any(r["errors"] for r in result["rounds"]) else 0
