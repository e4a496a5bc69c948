"""The real app for the OGC API tests: ``streamlit run streamlit_app.py`` in the repository
root on a free port of 127.0.0.1 (the README's command), with its own store, and HTTP helpers.

One server per test module (module-scoped fixtures call :func:`running_app`); each module talks
to ``/ogc`` with urllib, as any client would.
"""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Mapping
from pathlib import Path

import pytest

from app.bench.load import free_port, healthy, stop

ROOT = Path(__file__).resolve().parent.parent
START_TIMEOUT_S = 90.0
_NO_PROXY = urllib.request.build_opener(urllib.request.ProxyHandler({}))


@contextlib.contextmanager
def running_app(env: Mapping[str, str], log: Path) -> Iterator[str]:
    """The app's base URL while it runs with `env` added (ATLAS_STORE or ATLAS_DATABASE_URL)."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    inherited = {k: v for k, v in os.environ.items() if k not in ("ATLAS_DATABASE_URL", "ATLAS_STORE")}
    command = [sys.executable, "-m", "streamlit", "run", "streamlit_app.py", "--server.port", str(port),
               "--server.address", "127.0.0.1", "--server.headless", "true",
               "--browser.gatherUsageStats", "false", "--server.fileWatcherType", "none"]
    with log.open("wb") as sink:
        process = subprocess.Popen(command, cwd=ROOT, env={**inherited, **env}, stdout=sink,
                                   stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + START_TIMEOUT_S
        while not healthy(url):
            if process.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"the app did not start:\n{log.read_text(errors='replace')[-3000:]}")
            time.sleep(0.25)
        yield url
    finally:
        stop(process)


def call(method: str, url: str, *, body: object = None, headers: Mapping[str, str] | None = None,
         timeout: float = 60) -> tuple[int, dict[str, str], bytes]:
    """(status, headers with lower-case names, body) of one request; HTTP errors are answers."""
    data = json.dumps(body, ensure_ascii=False).encode("utf-8") if body is not None else None
    request = urllib.request.Request(url, data=data, method=method, headers=dict(headers or {}))
    if data is not None:
        request.add_header("Content-Type", "application/geo+json")
    try:
        with _NO_PROXY.open(request, timeout=timeout) as response:
            return response.status, {k.lower(): v for k, v in response.headers.items()}, response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, {k.lower(): v for k, v in exc.headers.items()}, exc.read()


def get_json(url: str, **kwargs: object) -> tuple[int, dict[str, str], dict]:
    """(status, headers, parsed JSON body) of a GET."""
    status, headers, body = call("GET", url, **kwargs)
    return status, headers, json.loads(body)
