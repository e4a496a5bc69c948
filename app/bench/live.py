"""Benchmark of the live map (app/map/live.py, static/live_map.js): filter change -> repainted
map, and first map for a new visitor, in headless Chromium.

Two set-ups, printed by ``python -m app.bench`` beside the full-rerun figures:

* **app** -- the real app (``streamlit run streamlit_app.py``, shipped register, no basemap):
  first map = navigation start -> every feature drawn; filter changes two ways (see
  :func:`_drive_app`): a layer toggle of the map's own layer control, which the map applies
  itself before the page's rerun confirms it (both timed), and the sidebar's search box, where
  the whole page's rerun is inside the figure (Enter in the page -> the new mask painted).
* **harness** -- the live map component alone on a synthetic register, hosted by a page that
  speaks the component protocol in place of Streamlit: first map = iframe load -> base fetched,
  decoded and painted; filter change = the map page's Python work for the new filter (mask,
  bitset, legend, arguments as JSON) + posting them -> painted. The rest of the page's rerun
  (table, charts) is not in it.

Percentiles are nearest-rank over the changes.

>>> percentile([0.1, 0.2, 0.3, 0.4], 95)
0.4
>>> percentile([], 95) is None
True
"""

from __future__ import annotations

import json
import math
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Sequence
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np

from app.data.atlas import Atlas
from app.domain.filters import apply_filter
from app.domain.i18n import t
from app.map.legend import legend_spec
from app.map.live import live_assets, live_base, mask_bits

__all__ = ["app_figures", "harness_figures", "percentile"]

_HOST_PAGE = """<!DOCTYPE html><html><head><meta charset="utf-8"></head><body style="margin:0">
<iframe id="map" src="/live/index.html" style="width:1200px;height:700px;border:0"></iframe>
<script>
window.__ready = false;
var frame = document.getElementById("map");
window.post = function (args) {
  frame.contentWindow.postMessage({type: "streamlit:render", args: args}, "*");
};
window.addEventListener("message", function (e) {
  if (e.data && e.data.type === "streamlit:componentReady") { window.__ready = true; }
});
</script></body></html>
"""

# resolves with wall-clock ms from now until the map frame has applied one more mask and painted
_POST_AND_WAIT = """(args) => new Promise((resolve) => {
  const live = document.getElementById("map").contentWindow;
  const before = live.__atlasLive.applied, t0 = performance.timeOrigin + performance.now();
  window.post(JSON.parse(args));
  (function poll() {
    const s = live.__atlasLive;
    if (s.applied > before && s.ready && s.paintedAt !== null &&
        live.performance.timeOrigin + s.paintedAt >= t0) {
      resolve(live.performance.timeOrigin + s.paintedAt - t0);
    } else { requestAnimationFrame(poll); }
  })();
})"""


def percentile(values: Sequence[float], q: float) -> float | None:
    """Nearest-rank percentile `q` of `values` (None when empty)."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[max(0, math.ceil(q / 100 * len(ordered)) - 1)]


def _args(atlas: Atlas, mask: np.ndarray, base_url: str, key: str) -> str:
    """The live map's arguments for one filter, as JSON (what the map page sends)."""
    frame = atlas.projects[mask]
    refs = ["district_boundary"]
    return json.dumps({
        "base_url": base_url, "base_key": key, "mask": mask_bits(mask), "refs": refs,
        "legend": legend_spec(atlas, frame, refs, "zh"),
        "layer_control": {"title": "图层", "items": []}, "focus": {"id": None, "seq": 0},
        "fit": {"bounds": None, "seq": 0}, "view": None, "shift": [0, 0],
        "district": [[31.17, 121.33], [31.24, 121.46]], "height": 700, "assets": live_assets(),
        "texts": {"fullscreen": "", "exit_fullscreen": "", "tile_error": "", "tile_fallback": ""},
    }, ensure_ascii=False)


def harness_figures(atlas: Atlas, site: Path, base_url: str, browser: Any, filters: Sequence[Any],
                    changes: int = 20) -> dict[str, Any]:
    """First map and filter-change figures of the component alone on `atlas` (module doc);
    `site` is the bench's web root served at `base_url`, `browser` a Playwright browser."""
    folder = site / "live"
    folder.mkdir(exist_ok=True)
    static = resources.files("app.map").joinpath("static")
    for name in ("index.html", "live_map.js", "atlas_map.js"):
        (folder / name).write_text(static.joinpath(name).read_text(encoding="utf-8"), encoding="utf-8")
    started = time.perf_counter()
    text = live_base(atlas, "zh", "none", version="bench")
    base_build_s = time.perf_counter() - started
    (folder / "base.json").write_text(text, encoding="utf-8")
    (folder / "host.html").write_text(_HOST_PAGE, encoding="utf-8")
    key = json.loads(text[:text.index(', "layers"')] + "}")["key"]
    everything = np.ones(len(atlas.projects), dtype=bool)
    masks = [apply_filter(atlas.projects, f).to_numpy() for f in filters]
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    try:
        page = context.new_page()
        page.goto(f"{base_url}/live/host.html")
        page.wait_for_function("window.__ready === true")
        first_ms = page.evaluate(_POST_AND_WAIT, _args(atlas, everything, "/live/base.json", key))
        python_s, browser_ms = [], []
        for i in range(changes):
            mask = masks[i % len(masks)] if i % 2 == 0 else everything
            started = time.perf_counter()
            args = _args(atlas, mask, "/live/base.json", key)
            python_s.append(time.perf_counter() - started)
            browser_ms.append(page.evaluate(_POST_AND_WAIT, args))
    finally:
        context.close()
    totals = [p + b / 1000 for p, b in zip(python_s, browser_ms, strict=True)]
    return {"features": len(atlas.projects), "base_build_s": base_build_s,
            "base_mb": len(text.encode("utf-8")) / 1e6, "first_map_s": first_ms / 1000,
            "change_p50_s": percentile(totals, 50), "change_p95_s": percentile(totals, 95),
            "change_python_p95_s": percentile(python_s, 95), "changes": changes}


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait_healthy(url: str, timeout_s: float = 60.0) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            # the URL is built here from 127.0.0.1 and a port: always http
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as response:  # noqa: S310
                if response.read().strip() == b"ok":
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            time.sleep(0.2)
    raise RuntimeError(f"the app at {url} did not start within {timeout_s:.0f} s")


def app_figures(browser: Any, repo: Path, changes: int = 20, timeout_s: float = 120.0,
                visits: int = 5) -> dict[str, Any]:
    """First map and filter-change figures of the real app on the shipped register (module
    doc); the app runs from `repo` (where streamlit_app.py is) on a free port, with a store
    of its own, and is stopped afterwards."""
    port = _free_port()
    store = Path(tempfile.mkdtemp(prefix="atlas-bench-live-"))
    env = {**os.environ, "ATLAS_STORE": str(store / "store.sqlite")}
    server = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", str(repo / "streamlit_app.py"),
         "--server.port", str(port), "--server.headless", "true"],
        cwd=repo, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_healthy(url)
        return _drive_app(browser, url, changes, timeout_s, visits)
    finally:
        server.terminate()
        server.wait(timeout=30)
        shutil.rmtree(store, ignore_errors=True)


# in the page: when the search box last got Enter (its event's time, on the page's clock)
_ENTER_CLOCK = """() => { window.__enterAt = null; document.addEventListener("keydown",
  (e) => { if (e.key === "Enter") { window.__enterAt = e.timeStamp; } }, true); }"""

# in the map frame: wall-clock ms of the last painted mask
_PAINTED = "() => performance.timeOrigin + window.__atlasLive.paintedAt"


def _wait_applied(frame: Any, applied: int, *, renders: int | None = None) -> None:
    """Until the map has applied a mask after `applied` (and, given `renders`, the page's rerun
    has reached it too) and painted it."""
    more = "" if renders is None else f" && s.renders > {renders}"
    frame.wait_for_function(f"() => {{ const s = window.__atlasLive; return s.applied > {applied}"
                            f" && s.ready{more}; }}", polling="raf")


# in the page, from its navigation start: when the sidebar's search box and the project table
# first appear (the map comes first; these come with the run its first paint triggers)
_ARRIVALS = """(() => { const seen = window.__arrivals = {};
  new MutationObserver(() => {
    const now = Math.round(performance.now());
    if (!("controls" in seen) && document.querySelector('[data-testid="stSidebar"] input[type="text"]')) { seen.controls = now; }
    if (!("table" in seen) && document.querySelector('[data-testid="stDataFrame"]')) { seen.table = now; }
  }).observe(document, { subtree: true, childList: true });
})();"""


def _drive_app(browser: Any, url: str, changes: int, timeout_s: float, visits: int = 5
               ) -> dict[str, Any]:
    """Open the map as a new visitor 1 + `visits` times (the first open also fills the process
    caches: reported apart) -- first map, then when the controls and the table arrive --, then
    change the filter `changes` times each way:

    * the map's own layer control (a layer off, then on again): the map hides or shows the
      layer itself -- timed from the checkbox's change event to the painted map --, and the
      page's rerun follows -- timed from the click until the map has the rerun's arguments;
    * the sidebar's search box (a word, then none): timed from the Enter key's event in the
      page to the map painted with the rerun's mask.
    """
    frame_sel = 'iframe[title="app.ui.live_map.atlas_live_map"]'
    firsts, controls, tables = [], [], []
    for visit in range(1 + visits):
        context = browser.new_context(viewport={"width": 1400, "height": 1000})
        page = context.new_page()
        page.set_default_timeout(timeout_s * 1000)
        page.add_init_script(_ARRIVALS)
        page.goto(f"{url}/?basemap=none")
        page.wait_for_selector(frame_sel)
        frame = page.locator(frame_sel).element_handle().content_frame()
        frame.wait_for_function("() => window.__atlasLive && window.__atlasLive.ready")
        # when the features were drawn (the map's own mark), from the page's navigation start
        painted = frame.evaluate("() => window.__atlasLive.marks.painted")
        firsts.append((painted - page.evaluate("() => performance.timeOrigin")) / 1000)
        # then the rest of the page (drawn once the map has painted) before anything is timed
        frame.wait_for_function("() => window.__atlasLive.complete")
        page.wait_for_function("() => 'controls' in window.__arrivals && 'table' in window.__arrivals")
        arrivals = page.evaluate("() => window.__arrivals")
        controls.append(arrivals["controls"] / 1000)
        tables.append(arrivals["table"] / 1000)
        if visit < visits:
            context.close()
    local, rerun, sidebar, to_render = [], [], [], []
    panel = frame.locator('[data-testid="atlas-panel"]')
    if "atlas-collapsed" in (panel.get_attribute("class") or ""):  # one folded control (< 1400 px)
        panel.locator(".atlas-panel-title").click()
    control = frame.locator('[data-testid="atlas-layer-control"]')
    if "atlas-collapsed" in (control.get_attribute("class") or ""):  # folded on a narrow map
        control.locator(".atlas-layers-title").click()
    toggle = control.locator('input[data-kind="layer"]').first
    clock = "() => performance.timeOrigin + performance.now()"
    for _ in range(changes):
        applied, renders = frame.evaluate("() => [window.__atlasLive.applied, window.__atlasLive.renders]")
        frame.evaluate("() => { window.__atlasLive.localPaintedAt = null; }")
        started, at = time.perf_counter(), frame.evaluate(clock)
        toggle.click()
        # the map's own paint of the change (the rerun's paint may follow before this reads)
        frame.wait_for_function("() => window.__atlasLive.localPaintedAt !== null", polling="raf")
        local.append(frame.evaluate("() => (window.__atlasLive.localPaintedAt"
                                    " - window.__atlasLive.changedAt) / 1000"))
        _wait_applied(frame, applied, renders=renders)
        rerun.append(time.perf_counter() - started)
        to_render.append((frame.evaluate("() => window.__atlasLive.renderAt") - at) / 1000)
    page.evaluate(_ENTER_CLOCK)
    search = page.get_by_test_id("stSidebar").get_by_role("textbox", name=t("search", "zh"))
    for i in range(changes):
        applied = frame.evaluate("() => window.__atlasLive.applied")
        search.fill("" if i % 2 else "park")
        search.press("Enter")
        _wait_applied(frame, applied)
        entered = page.evaluate("() => performance.timeOrigin + window.__enterAt")
        sidebar.append((frame.evaluate(_PAINTED) - entered) / 1000)
    context.close()
    return {"first_map_cold_s": firsts[0], "first_map_s": percentile(firsts[1:], 50),
            "first_map_max_s": max(firsts[1:]), "visits": visits,
            "first_controls_s": percentile(controls[1:], 50),
            "first_table_s": percentile(tables[1:], 50),
            "change_p50_s": percentile(local, 50), "change_p95_s": percentile(local, 95),
            "rerun_p50_s": percentile(rerun, 50), "rerun_p95_s": percentile(rerun, 95),
            "change_to_render_p50_s": percentile(to_render, 50),
            "sidebar_p50_s": percentile(sidebar, 50), "sidebar_p95_s": percentile(sidebar, 95),
            "changes": changes}
