"""Browser-test harness: real Streamlit servers driven by Debian's headless Chromium.

Every test under tests/ui gets ``pytest.mark.browser`` (deselect with ``-m "not browser"``).
Chromium comes from ``.ci/install-browser`` (Debian packages ``chromium`` and
``fonts-noto-cjk``); Playwright's own browser download is never used.

Waiting follows Streamlit's own end-to-end tests (``e2e_playwright/conftest.py``,
``wait_for_app_run``): ``stApp`` is CONNECTED, its script state is ``notRunning`` and no
``stSkeleton`` is left. The attribute names were checked against the installed frontend
(streamlit/static: ``data-test-connection-state``, ``data-test-script-state``). Every page's
map is the atlas's live map, a v1 custom component: an iframe with
``data-testid="stCustomComponentV1"`` titled ``app.ui.live_map.atlas_live_map``.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import (
    Browser,
    Frame,
    FrameLocator,
    Page,
    Request,
    Response,
    expect,
    sync_playwright,
)

from app.bench.load import free_port, healthy

HERE = Path(__file__).parent
REPO = HERE.parents[1]
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]
LOCAL_HOSTS = frozenset({"127.0.0.1", "localhost", "::1", "[::1]"})
START_TIMEOUT_S = 60.0
APP_TIMEOUT_MS = 30_000
#: The live-map component's iframe on the map page.
LIVE = 'iframe[title="app.ui.live_map.atlas_live_map"]'
#: the map iframe of any page (the live map, in the page's mode)
MAP_FRAME = 'iframe[data-testid="stCustomComponentV1"][title="app.ui.live_map.atlas_live_map"]'

DESKTOP = {"viewport": {"width": 1280, "height": 800}}
PHONE = {"viewport": {"width": 390, "height": 844}, "device_scale_factor": 3,
         "is_mobile": True, "has_touch": True}


def pytest_ignore_collect(collection_path: Path, config: pytest.Config) -> bool | None:
    """Streamlit scripts the tests serve (``*_app.py``), not test modules, are never imported
    by pytest (with --doctest-modules it would import every .py file, running them outside
    Streamlit); ``test_*_app.py`` modules are tests and are collected."""
    name = collection_path.name
    if name.endswith("_app.py") and not name.startswith("test_"):
        return True
    return None


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark every test collected under tests/ui as a browser test."""
    for item in items:
        if item.path.is_relative_to(HERE):
            item.add_marker(pytest.mark.browser)


# --- the browser ---------------------------------------------------------------------------


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    """Debian's Chromium, headless, with background networking switched off."""
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} is missing: run `bash .ci/install-browser` (needs root)")
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


def _new_page(browser: Browser, options: dict) -> Iterator[Page]:
    """A page in a fresh context with ``options``; closed afterwards."""
    context = browser.new_context(locale="zh-CN", **options)
    page = context.new_page()
    page.set_default_timeout(APP_TIMEOUT_MS)
    yield page
    context.close()


@pytest.fixture
def desktop_page(browser: Browser) -> Iterator[Page]:
    """A 1280x800 desktop page."""
    yield from _new_page(browser, DESKTOP)


@pytest.fixture
def phone_page(browser: Browser) -> Iterator[Page]:
    """A 390x844 touch phone page (is_mobile, has_touch)."""
    yield from _new_page(browser, PHONE)


# --- the app server ------------------------------------------------------------------------




@dataclass
class _Server:
    """One running ``streamlit run`` process and its captured output."""

    process: subprocess.Popen[bytes]
    log: Path

    def output(self) -> str:
        """What the server printed so far (stdout and stderr)."""
        return self.log.read_text(encoding="utf-8", errors="replace")

    def stop(self) -> None:
        """Terminate the process, killing it if it does not exit within 10 s."""
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)


@pytest.fixture(scope="module")
def app_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Callable[..., str]]:
    """Factory: ``start(script, env=None, cwd=None) -> base URL`` of a real Streamlit server.

    Runs ``python -m streamlit run SCRIPT`` on a free port of 127.0.0.1 (cwd: the script's
    folder unless given), with usage statistics off, static serving on and the project root
    on PYTHONPATH and its own empty store (``ATLAS_STORE`` in a temporary folder, unless ``env``
    names one); waits up to 60 s for ``/_stcore/health`` to say ``ok``. Every server it
    started is terminated when the test module ends.
    """
    servers: list[_Server] = []
    logs = tmp_path_factory.mktemp("streamlit-logs")

    def start(script: Path, env: dict[str, str] | None = None, cwd: Path | None = None) -> str:
        script = Path(script).resolve()
        port = free_port()
        base_url = f"http://127.0.0.1:{port}"
        command = [
            sys.executable, "-m", "streamlit", "run", str(script),
            "--server.port", str(port), "--server.address", "127.0.0.1",
            "--server.headless", "true", "--browser.gatherUsageStats", "false",
            "--server.enableStaticServing", "true", "--server.fileWatcherType", "none",
        ]
        pythonpath = os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")]))
        log = logs / f"{script.stem}-{port}.log"
        # Its own empty store, never the repository's var/ nor a developer's database.
        inherited = {key: value for key, value in os.environ.items()
                     if key != "ATLAS_DATABASE_URL"}
        full_env = {**inherited, "PYTHONPATH": pythonpath,
                    "ATLAS_STORE": str(log.with_suffix(".sqlite")), **(env or {})}
        with log.open("wb") as sink:
            process = subprocess.Popen(
                command, cwd=cwd or script.parent, env=full_env,
                stdout=sink, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
            )
        server = _Server(process, log)
        servers.append(server)
        deadline = time.monotonic() + START_TIMEOUT_S
        while not healthy(base_url):
            if process.poll() is not None:
                pytest.fail(f"streamlit exited with {process.returncode}:\n{server.output()}")
            if time.monotonic() > deadline:
                server.stop()
                pytest.fail(f"streamlit not healthy after {START_TIMEOUT_S:.0f} s:\n{server.output()}")
            time.sleep(0.25)
        return base_url

    yield start
    for server in servers:
        server.stop()


# --- waiting for Streamlit and for the map -------------------------------------------------


def wait_for_app(page: Page, timeout_ms: int = APP_TIMEOUT_MS) -> None:
    """Wait until the app is connected, its script has finished and no skeleton is left."""
    page.locator('[data-testid="stApp"][data-test-connection-state="CONNECTED"]').wait_for(
        state="attached", timeout=timeout_ms)
    page.locator('[data-testid="stApp"][data-test-script-state="notRunning"]').wait_for(
        state="attached", timeout=timeout_ms)
    expect(page.get_by_test_id("stSkeleton")).to_have_count(0, timeout=timeout_ms)
    exceptions = page.get_by_test_id("stException")
    if exceptions.count():
        pytest.fail("the app raised:\n" + "\n".join(exceptions.all_inner_texts()))


def live_frame(page: Page) -> Frame:
    """The live map's frame once its latest filter is painted and the page around it is
    complete (the map comes first; the rest with the run its first paint triggers)."""
    page.locator(LIVE).wait_for(state="visible", timeout=APP_TIMEOUT_MS)
    frame = page.locator(LIVE).element_handle().content_frame()
    frame.wait_for_function("() => window.__atlasLive && window.__atlasLive.ready"
                            " && window.__atlasLive.complete", timeout=APP_TIMEOUT_MS)
    wait_for_app(page)
    return frame


def open_map(page: Page, url: str) -> Frame:
    """Load `url` and wait for the app and the painted live map."""
    page.goto(url)
    wait_for_app(page)
    return live_frame(page)


def map_frame(page: Page) -> FrameLocator:
    """The iframe of the (first) map on the page."""
    return page.frame_locator(MAP_FRAME).first


def wait_for_map(page: Page, timeout_ms: int = APP_TIMEOUT_MS) -> FrameLocator:
    """Wait until Leaflet has drawn its container inside the map iframe; return the frame."""
    page.locator(MAP_FRAME).first.wait_for(state="visible", timeout=timeout_ms)
    frame = map_frame(page)
    frame.locator(".leaflet-container").first.wait_for(state="visible", timeout=timeout_ms)
    return frame


#: True in a document once it and everything it started loading are done: the load event has
#: fired, web fonts are loaded and every (non-lazy) image has loaded or failed -- so an
#: ``<img onerror>`` has had its chance to run and no image or font request is still to come.
_SETTLED_JS = """() => document.readyState === "complete"
    && (!document.fonts || document.fonts.status === "loaded")
    && Array.from(document.images).every(img => img.complete || img.loading === "lazy")"""


def wait_until_settled(page: Page, timeout_ms: int = APP_TIMEOUT_MS) -> None:
    """Wait until the page and each of its frames has finished loading (see ``_SETTLED_JS``).

    Used instead of Playwright's ``networkidle`` (a guess: 500 ms without requests) before
    asserting on what a page requested or ran.
    """
    for frame in page.frames:
        if not frame.is_detached():
            frame.wait_for_function(_SETTLED_JS, timeout=timeout_ms)


# --- what the page fetched -----------------------------------------------------------------


@dataclass
class RequestLog:
    """Every URL a page asked for (all frames), failed requests, HTTP errors and JS errors."""

    urls: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    page_errors: list[str] = field(default_factory=list)

    def foreign(self) -> list[str]:
        """URLs whose host is not this machine (data:, blob: and about: are not requests)."""
        return [url for url in self.urls
                if urlsplit(url).scheme in {"http", "https", "ws", "wss"}
                and urlsplit(url).hostname not in LOCAL_HOSTS]


def record_requests(page: Page) -> RequestLog:
    """Start recording the page's requests, websockets, HTTP errors and uncaught JS errors."""
    log = RequestLog()

    def on_failed(request: Request) -> None:
        log.failed.append(f"{request.url} ({request.failure})")

    def on_response(response: Response) -> None:
        if response.status >= 400:
            log.errors.append(f"{response.status} {response.url}")

    page.on("request", lambda request: log.urls.append(request.url))
    page.on("websocket", lambda websocket: log.urls.append(websocket.url))
    page.on("requestfailed", on_failed)
    page.on("response", on_response)
    page.on("pageerror", lambda error: log.page_errors.append(str(error)))
    return log


def assert_only_local_requests(log: RequestLog) -> None:
    """Fail with the list of URLs that went to another host."""
    foreign = log.foreign()
    assert not foreign, "requests left this machine:\n  " + "\n  ".join(foreign)
    assert log.urls, "no request was recorded: was record_requests() called before goto()?"


# --- screenshots ---------------------------------------------------------------------------


@pytest.fixture(scope="session")
def screenshot_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Where screenshots go; also copied to $ATLAS_SCREENSHOT_DIR when that is set."""
    return tmp_path_factory.mktemp("screenshots")


@pytest.fixture
def screenshot(screenshot_dir: Path) -> Callable[[Page, str], Path]:
    """``screenshot(page, name) -> Path``: a full-page PNG, kept for a person to look at."""

    def take(page: Page, name: str) -> Path:
        path = screenshot_dir / f"{name}.png"
        page.screenshot(path=str(path), full_page=True, animations="disabled")
        copy_to = os.environ.get("ATLAS_SCREENSHOT_DIR")
        if copy_to:
            Path(copy_to).mkdir(parents=True, exist_ok=True)
            shutil.copy2(path, Path(copy_to) / path.name)
        return path

    return take


__all__ = [
    "RequestLog",
    "assert_only_local_requests",
    "map_frame",
    "record_requests",
    "wait_for_app",
    "wait_for_map",
    "wait_until_settled",
]
