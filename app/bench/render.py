"""Benchmark: the atlas map, its filters and its exports on a city-scale register, in one run.

``python -m app.bench.render --features 100000 --kind point --repeat 3 --json`` generates a synthetic
register (:mod:`app.bench.synthetic`, deterministic) and, per round, measures on the same features:

* **build**: Python seconds from the frame to the page -- ours is :func:`app.map.builder.build_map`
  + :func:`app.map.assets.localize` + rendering the HTML;
* **payload**: bytes of that page;
* **draw**: headless Chromium (``/usr/bin/chromium``, software drawing) time from navigation
  start until the map has drawn and one frame has been painted, over a local HTTP server that
  serves Leaflet from the installed packages;
* **heap**: the page's JS heap after drawing, and what stays after a forced garbage collection;
* **filter rerun**: Python seconds a filter change costs (mask + map payload + page) for a
  selective filter (~2 % of the rows) and a broad one (~40 %), with nothing cached;
* **export**: GeoJSON of the whole register, in MB/s and features/s.

Beside each figure: the **naive** baseline -- ``folium.GeoJson`` with ``GeoJsonTooltip`` and
``GeoJsonPopup`` (one DOM marker or SVG path per feature; for exports, geopandas' ``to_file``) --
measured on ``--naive-features`` rows (default: at most 10,000, since it stops being drawable
long before 100,000) and the **floor**: serialising the same features to GeoJSON in bulk
(shapely + pandas, no checks), ``JSON.parse`` and ``L.geoJSON`` building their layers without
drawing them (for exports: that text written to disk); the **bare floor** does the same with the
geometry and the id only. Ratios are medians of per-round ratios.

Not part of the default test run; ``tests/test_bench_smoke.py`` runs it once with a few
thousand features. Medians and ranges need ``--repeat 3`` or more.
"""

from __future__ import annotations

import argparse
import atexit
import contextlib
import dataclasses
import functools
import http.server
import itertools
import json
import os
import shutil
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import folium
import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from app.bench.live import app_figures, harness_figures
from app.bench.synthetic import KINDS, synthetic_atlas
from app.data.atlas import PROJECT_COLUMNS, Atlas, load_atlas
from app.domain.filters import Filter, apply_filter
from app.io.atomic import atomic_write
from app.io.export import frame_bytes
from app.map.assets import DEFAULT_BASE_URL, ensure_static_assets, localize
from app.map.builder import build_map
from app.map.project_layers import project_layers
from app.map.scriptjson import script_json

__all__ = ["CHROMIUM", "CHROMIUM_ARGS", "FIELDS", "BenchError", "choose_filters", "floor_text",
           "main", "report", "run", "serve", "serve_folder", "summarise"]

#: Debian's Chromium; Playwright's own browser download is never used.
CHROMIUM = Path("/usr/bin/chromium")
#: Headless, software drawing, nothing fetched in the background.
CHROMIUM_ARGS: tuple[str, ...] = (
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
)
#: Properties every approach carries to the browser (the project card's raw columns).
FIELDS: tuple[str, ...] = (
    "id", "name_zh", "name_en", "layer", "category", "status", "action", "target_year",
    "subdistrict", "address", "precision", "pos_confidence", "pos_method", "pos_source",
    "position_note", "report_ref", "description",
)
#: Export columns both writers can write (GDAL has no list-of-text field in GeoJSON output).
EXPORT_SCALARS: tuple[str, ...] = tuple(c for c in PROJECT_COLUMNS if c not in ("aliases", "pos_refs"))

_VIEWPORT = {"width": 1280, "height": 800}
_REFS = ("district_boundary",)
# Appended after the page's own scripts: the moment one frame has been painted after them and,
# on an atlas page, after its canvas painter has drawn every layer it was given.
_MARKER = ("<script>(window.atlasMap?window.atlasMap.whenDrawn():Promise.resolve()).then("
           "function(){requestAnimationFrame(function(){setTimeout(function(){"
           "window.__drawn=performance.now();},0);});});</script>")
_FLOOR_PAGE = """<!DOCTYPE html>
<html><head><meta charset="utf-8"><link rel="stylesheet" href="{base}/{leaflet}/leaflet.css">
<script src="{base}/{leaflet}/leaflet.js"></script></head>
<body style="margin:0"><div id="map" style="width:100%;height:600px"></div>
<script>
var map = L.map("map").setView([31.2135, 121.396], 13);
var data = JSON.parse({text});
var layer = L.geoJSON(data);
</script>
</body></html>
"""


class BenchError(RuntimeError):
    """A measurement that cannot be trusted: a page failed to load a file or raised an error."""


# ------------------------------------------------------------------------------ approaches


def _timed(work: Callable[[], Any]) -> tuple[float, Any]:
    """(wall seconds, result) of one call."""
    start = time.perf_counter()
    result = work()
    return time.perf_counter() - start, result


def floor_text(frame: gpd.GeoDataFrame, columns: Sequence[str] = FIELDS) -> str:
    """The floor's serialisation: a GeoJSON FeatureCollection of `frame` built in bulk, with no
    rounding, validity check or winding (geometries by shapely, properties by pandas).

    >>> from shapely import Point
    >>> frame = gpd.GeoDataFrame({"id": ["a"]}, geometry=[Point(1, 2)], crs="EPSG:4326")
    >>> json.loads(floor_text(frame, ["id"]))["features"][0]["geometry"]["coordinates"]
    [1.0, 2.0]
    >>> floor_text(frame.iloc[0:0], ["id"])
    '{"type":"FeatureCollection","features":[]}'
    """
    located = frame[frame.geometry.notna()]
    if located.empty:
        return '{"type":"FeatureCollection","features":[]}'
    props = located[list(columns)].to_json(orient="records", lines=True, force_ascii=False)
    pieces = np.empty((len(located), 4), dtype=object)
    pieces[:, 0] = '{"type":"Feature","geometry":'
    pieces[:, 1] = shapely.to_geojson(located.geometry.to_numpy())
    pieces[:, 2] = ',"properties":'
    pieces[:, 3] = [p + "}," for p in props.rstrip("\n").split("\n")]
    body = "".join(pieces.ravel().tolist())[:-1]
    return '{"type":"FeatureCollection","features":[' + body + "]}"


def _floor_page(frame: gpd.GeoDataFrame, columns: Sequence[str] = FIELDS) -> str:
    leaflet = next(p.name for p in _vendor().iterdir() if p.name.startswith("xstatic-leaflet-1"))
    return _FLOOR_PAGE.format(base=DEFAULT_BASE_URL, leaflet=leaflet,
                              text=script_json(floor_text(frame, columns)))


@functools.lru_cache(maxsize=1)
def _site() -> Path:
    """A temporary web root: Leaflet and plugins under ``/app/static/vendor`` (where the pages
    link them, as Streamlit serves them) and the pages under ``/pages`` (made once per process)."""
    root = Path(tempfile.mkdtemp(prefix="atlas-bench-site-"))
    atexit.register(shutil.rmtree, root, ignore_errors=True)  # pages run to 100s of MB
    vendor = ensure_static_assets(root / "app" / "static")
    if vendor.as_posix()[len(root.as_posix()):] != DEFAULT_BASE_URL:
        raise BenchError(f"vendored files at {vendor}, but pages link {DEFAULT_BASE_URL}")
    (root / "pages").mkdir()
    return root


def _vendor() -> Path:
    """The vendored Leaflet files of :func:`_site`."""
    return _site() / DEFAULT_BASE_URL.lstrip("/")


def _ours_page(atlas: Atlas, frame: gpd.GeoDataFrame) -> str:
    m = build_map(atlas, frame, basemap="none", visible_refs=_REFS)
    return localize(m).get_root().render()


def _naive_page(frame: gpd.GeoDataFrame) -> str:
    located = frame[frame.geometry.notna()]
    m = folium.Map(location=(31.2135, 121.396), zoom_start=13, tiles=None)
    data = located[[*FIELDS, located.geometry.name]]
    folium.GeoJson(data, tooltip=folium.GeoJsonTooltip(fields=["name_zh", "status"]),
                   popup=folium.GeoJsonPopup(fields=list(FIELDS))).add_to(m)
    return localize(m).get_root().render()


def _ours_rerun(atlas: Atlas, flt: Filter) -> str:
    """What the map page does in Python when the filter changes, with nothing cached."""
    frame = atlas.projects[apply_filter(atlas.projects, flt).to_numpy()]
    layers = project_layers(atlas, frame)
    m = build_map(atlas, frame, basemap="none", visible_refs=_REFS, layers=layers)
    return localize(m).get_root().render()


def _naive_rerun(atlas: Atlas, flt: Filter) -> str:
    return _naive_page(atlas.projects[apply_filter(atlas.projects, flt).to_numpy()])


def _floor_rerun(atlas: Atlas, flt: Filter) -> str:
    return floor_text(atlas.projects[apply_filter(atlas.projects, flt).to_numpy()])


# ------------------------------------------------------------------------------ filters


def choose_filters(frame: pd.DataFrame, selective: float = 0.02, broad: float = 0.40
                   ) -> dict[str, tuple[Filter, float]]:
    """A selective filter (sub-district x status, share closest to `selective`) and a broad one
    (a set of statuses, share closest to `broad`), each with the share of rows it keeps.

    >>> frame = pd.DataFrame({"subdistrict": list("aabbccddee") * 10, "status": list("xyxyxyzzzz") * 10})
    >>> chosen = choose_filters(frame, 0.1, 0.4)
    >>> chosen["broad"][1], chosen["selective"][1]
    (0.4, 0.1)
    """
    n = max(1, len(frame))
    pairs = frame.groupby(["subdistrict", "status"]).size() / n
    (sub, status), share = min(pairs.items(), key=lambda kv: abs(kv[1] - selective))
    shares = frame["status"].value_counts() / n
    best: tuple[tuple[str, ...], float] = ((), 0.0)
    for k in range(1, len(shares) + 1):
        for combo in itertools.combinations(shares.index, k):
            total = float(shares[list(combo)].sum())
            if abs(total - broad) < abs(best[1] - broad) or not best[0]:
                best = (tuple(combo), total)
    return {"selective": (Filter(values={"subdistrict": (sub,), "status": (status,)}), float(share)),
            "broad": (Filter(values={"status": best[0]}), best[1])}


# ------------------------------------------------------------------------------ the browser


class _Quiet(http.server.SimpleHTTPRequestHandler):
    """Serves a folder without logging each request."""

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the base class's name
        """Say nothing."""


@contextlib.contextmanager
def _serve(folder: Path) -> Iterator[str]:
    """Serve `folder` on a free port of 127.0.0.1 in a thread; yield the base URL."""
    handler = functools.partial(_Quiet, directory=str(folder))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def serve_folder(folder: Path) -> contextlib.AbstractContextManager[str]:
    """Serve `folder` on a free port of 127.0.0.1 in a thread (a context manager yielding the
    base URL), as the benchmark's pages are served."""
    return _serve(folder)


@contextlib.contextmanager
def serve(pages: Mapping[str, str]) -> Iterator[str]:
    """Serve HTML `pages` (name -> text; each gets the drawn marker, ``window.__drawn``) with
    the vendored Leaflet files, on 127.0.0.1; yield the base URL (pages under ``/pages/``)."""
    for name, html in pages.items():
        _write_page(_site() / "pages", name, html)
    with _serve(_site()) as base:
        yield base


@dataclasses.dataclass(frozen=True)
class Drawn:
    """One page in the browser: ms from navigation start to drawn (None: not within the
    timeout), JS heap MB after drawing and after a forced garbage collection."""

    ms: float | None
    heap_mb: float | None
    retained_mb: float | None


class _Browser:
    """Headless Chromium driven by Playwright, one fresh context per page."""

    def __init__(self, base_url: str, timeout_s: float) -> None:
        from playwright.sync_api import sync_playwright

        self._base = base_url
        self._timeout_ms = timeout_s * 1000
        self._playwright = sync_playwright().start()
        self._browser = self._playwright.chromium.launch(executable_path=str(CHROMIUM),
                                                         args=list(CHROMIUM_ARGS))

    @property
    def browser(self) -> Any:
        """The Playwright browser (for the live-map figures)."""
        return self._browser

    def close(self) -> None:
        """Close the browser and stop Playwright."""
        self._browser.close()
        self._playwright.stop()

    def draw(self, page_name: str) -> Drawn:
        """Load ``/page_name`` and wait for the drawn marker."""
        from playwright.sync_api import Error as PlaywrightError

        context = self._browser.new_context(viewport=_VIEWPORT)
        problems: list[str] = []
        try:
            page = context.new_page()
            page.on("pageerror", lambda error: problems.append(f"script error: {error}"))
            page.on("response", lambda r: problems.append(f"HTTP {r.status} {r.url}")
                    if r.status >= 400 and not r.url.endswith("/favicon.ico") else None)
            page.on("requestfailed", lambda r: problems.append(f"failed: {r.url}"))
            cdp = context.new_cdp_session(page)
            cdp.send("Performance.enable")
            try:
                page.goto(f"{self._base}/{page_name}", wait_until="commit",
                          timeout=self._timeout_ms)
                page.wait_for_function("window.__drawn !== undefined", timeout=self._timeout_ms,
                                       polling=50)
            except PlaywrightError:
                return Drawn(None, None, None)
            if problems:
                raise BenchError(f"{page_name} did not load cleanly: " + "; ".join(problems[:5]))
            ms = float(page.evaluate("window.__drawn"))
            # an atlas page decodes its property columns on first use: count them in
            page.evaluate("window.atlasMap ? window.atlasMap.whenReady().then(() => 1) : 0")
            heap = _heap_mb(cdp)
            cdp.send("HeapProfiler.enable")
            cdp.send("HeapProfiler.collectGarbage")
            return Drawn(ms, heap, _heap_mb(cdp))
        finally:
            context.close()


def _heap_mb(cdp: Any) -> float:
    metrics = {m["name"]: m["value"] for m in cdp.send("Performance.getMetrics")["metrics"]}
    return metrics["JSHeapUsedSize"] / 1e6


# ------------------------------------------------------------------------------ the run


def _write_page(folder: Path, name: str, html: str) -> None:
    (folder / name).write_text(html.replace("</html>", _MARKER + "</html>"), encoding="utf-8")


def _export_round(frame: gpd.GeoDataFrame, folder: Path) -> dict[str, float]:
    """Seconds and MB of each GeoJSON writer on `frame`.

    Ours is the export path of the app and the CLI: serialisation, then an atomic write that
    fsyncs (geopandas does not); its serialisation alone is timed too. Every writer starts
    after os.sync(), so that none waits for another's data to reach the disk.
    """
    scalars = frame[[*EXPORT_SCALARS, frame.geometry.name]]
    out: dict[str, float] = {}

    def ours(columns: Sequence[str], name: str) -> int:
        data = frame_bytes(scalars if columns is EXPORT_SCALARS else frame, "geojson",
                           {"name": "bench"}, columns=columns)
        return atomic_write(folder / name, data).stat().st_size

    def geopandas() -> int:
        scalars.to_file(folder / "geopandas.geojson", driver="GeoJSON")
        return (folder / "geopandas.geojson").stat().st_size

    def floor() -> int:
        (folder / "floor.geojson").write_text(floor_text(frame, EXPORT_SCALARS), encoding="utf-8")
        return (folder / "floor.geojson").stat().st_size

    def serialise_only() -> int:
        return len(frame_bytes(scalars, "geojson", {"name": "bench"}, columns=EXPORT_SCALARS))

    for key, work in (("ours", lambda: ours(EXPORT_SCALARS, "ours.geojson")),
                      ("naive", geopandas), ("floor", floor),
                      ("ours_serialise", serialise_only),
                      ("ours_all_columns", lambda: ours(PROJECT_COLUMNS, "ours_all.geojson"))):
        os.sync()
        seconds, size = _timed(work)
        out[f"{key}_s"], out[f"{key}_mb"] = seconds, size / 1e6
    return out


def run(n: int, kind: str = "point", *, repeat: int = 3, naive_n: int | None = None,
        browser: bool = True, timeout_s: float = 180.0, seed: int = 0,
        progress: Callable[[str], None] | None = None, live_changes: int = 20,
        live_visits: int = 5) -> dict[str, Any]:
    """Run every measurement `repeat` times on one synthetic register of `n` `kind` features
    (the live map's filter changes `live_changes` times each way; its first map for
    1 + `live_visits` new visitors).

    Returns {"config": ..., "rounds": [one dict of figures per round]}; see :func:`summarise`.
    """
    say = progress or (lambda _text: None)
    naive_n = min(n, 10_000) if naive_n is None else min(n, naive_n)
    say(f"generating {n} {kind} features")
    atlas = synthetic_atlas(load_atlas(), n, kind, seed=seed)
    small = dataclasses.replace(atlas, projects=atlas.projects.iloc[:naive_n],
                                data_version=f"{atlas.data_version}-first-{naive_n}")
    filters = choose_filters(atlas.projects)
    config = {"features": n, "kind": kind, "repeat": repeat, "naive_features": naive_n,
              "seed": seed, "browser": browser,
              "located": int(atlas.projects.geometry.notna().sum()),
              "vertices": int(shapely.get_num_coordinates(atlas.projects.geometry.dropna()
                                                          .to_numpy()).sum()),
              "filters": {k: {"filter": f.describe(), "share": round(s, 4)}
                          for k, (f, s) in filters.items()}}
    rounds = []
    pages = _site() / "pages"
    with contextlib.ExitStack() as stack:
        client = None
        if browser:
            base = stack.enter_context(_serve(_site()))
            client = _Browser(base, timeout_s)
            stack.callback(client.close)
        for r in range(repeat):
            figures: dict[str, Any] = {}
            builds = [("ours", lambda: _ours_page(atlas, atlas.projects)),
                      ("floor", lambda: _floor_page(atlas.projects)),
                      ("bare_floor", lambda: _floor_page(atlas.projects, ["id"])),
                      ("naive", lambda: _naive_page(small.projects))]
            if naive_n != n:
                builds.append(("ours_at_naive_n", lambda: _ours_page(small, small.projects)))
            for name, work in builds:
                say(f"round {r + 1}: build {name}")
                seconds, html = _timed(work)
                figures[f"build_{name}_s"] = seconds
                figures[f"payload_{name}_mb"] = len(html.encode("utf-8")) / 1e6
                if client is not None:
                    _write_page(pages, f"{name}.html", html)
                    say(f"round {r + 1}: draw {name}")
                    drawn = client.draw(f"pages/{name}.html")
                    figures[f"draw_{name}_s"] = None if drawn.ms is None else drawn.ms / 1000
                    figures[f"heap_{name}_mb"] = drawn.heap_mb
                    figures[f"retained_{name}_mb"] = drawn.retained_mb
                del html
            for label, (flt, _share) in filters.items():
                for name, work in (("ours", _ours_rerun), ("floor", _floor_rerun),
                                   ("naive", _naive_rerun)):
                    say(f"round {r + 1}: {label} filter rerun, {name}")
                    figures[f"rerun_{label}_{name}_s"] = _timed(lambda w=work, f=flt: w(atlas, f))[0]
            say(f"round {r + 1}: exports")
            with tempfile.TemporaryDirectory(prefix="atlas-bench-export-") as tmp:
                figures.update({f"export_{k}": v for k, v in
                                _export_round(atlas.projects, Path(tmp)).items()})
            rounds.append(figures)
        live: dict[str, Any] = {}
        if client is not None:
            say("live map: the component on the synthetic register")
            live["harness"] = harness_figures(atlas, _site(), base, client.browser,
                                              [f for f, _share in filters.values()],
                                              changes=live_changes)
            repo = Path(__file__).resolve().parents[2]
            if (repo / "streamlit_app.py").is_file():
                say("live map: the real app on the shipped register")
                live["app"] = app_figures(client.browser, repo, changes=live_changes,
                                          visits=live_visits)
    return {"config": config, "rounds": rounds, "live": live}


# ------------------------------------------------------------------------------ reporting


def _stats(values: Sequence[float | None]) -> dict[str, float | None] | None:
    """median / min / max of the measured values (None when none was measured)."""
    measured = [v for v in values if v is not None]
    if not measured:
        return None
    return {"median": statistics.median(measured), "min": min(measured), "max": max(measured),
            "missing": len(values) - len(measured)}


def _ratio(rounds: Sequence[Mapping[str, Any]], top: Callable[[Mapping[str, Any]], float | None],
           bottom: Callable[[Mapping[str, Any]], float | None]) -> dict[str, float | None] | None:
    """Per-round top / bottom, summarised (rounds where either is missing are skipped)."""
    values = []
    for figures in rounds:
        a, b = top(figures), bottom(figures)
        if a is not None and b:
            values.append(a / b)
    return _stats(values)


def _total(prefix: str) -> Callable[[Mapping[str, Any]], float | None]:
    """Build + draw seconds of one approach in one round (None if it was not drawn)."""
    def total(figures: Mapping[str, Any]) -> float | None:
        draw = figures.get(f"draw_{prefix}_s")
        build = figures.get(f"build_{prefix}_s")
        return None if draw is None or build is None else build + draw
    return total


def summarise(result: Mapping[str, Any]) -> dict[str, Any]:
    """Median (min-max) of every figure over the rounds, and the ratios the targets name.

    >>> rounds = [{"build_ours_s": 1.0, "draw_ours_s": 1.0, "build_floor_s": 0.5, "draw_floor_s": 0.5}]
    >>> out = summarise({"config": {"features": 10, "naive_features": 10}, "rounds": rounds})
    >>> out["ratios"]["ours_vs_floor_build_draw"]["median"]
    2.0
    >>> summarise({"config": {"features": 10, "naive_features": 10}, "rounds": []})["figures"]
    {}
    """
    rounds = result["rounds"]
    keys = dict.fromkeys(k for figures in rounds for k in figures)
    figures = {k: _stats([f.get(k) for f in rounds]) for k in keys}
    n, naive_n = result["config"]["features"], result["config"]["naive_features"]
    ratios = {
        "ours_vs_floor_build_draw": _ratio(rounds, _total("ours"), _total("floor")),
        "ours_vs_bare_floor_build_draw": _ratio(rounds, _total("ours"), _total("bare_floor")),
        "naive_at_naive_n_vs_ours_build_draw": _ratio(rounds, _total("naive"), _total("ours")),
        "naive_vs_ours_at_naive_n_build_draw": _ratio(
            rounds, _total("naive"), _total("ours_at_naive_n" if naive_n != n else "ours")),
        "naive_vs_ours_per_feature_build_draw": _ratio(
            rounds, lambda f: None if _total("naive")(f) is None else _total("naive")(f) / naive_n,
            lambda f: None if _total("ours")(f) is None else _total("ours")(f) / n),
        "export_features_per_s_vs_geopandas": _ratio(rounds, lambda f: f.get("export_naive_s"),
                                                     lambda f: f.get("export_ours_s")),
        "export_serialise_features_per_s_vs_geopandas": _ratio(
            rounds, lambda f: f.get("export_naive_s"), lambda f: f.get("export_ours_serialise_s")),
        "export_mb_per_s_vs_geopandas": _ratio(
            rounds, lambda f: f["export_ours_mb"] / f["export_ours_s"] if "export_ours_s" in f else None,
            lambda f: f["export_naive_mb"] / f["export_naive_s"] if "export_naive_s" in f else None),
    }
    for label in ("selective", "broad"):
        ratios[f"rerun_{label}_naive_vs_ours"] = _ratio(
            rounds, lambda f, k=label: f.get(f"rerun_{k}_naive_s"),
            lambda f, k=label: f.get(f"rerun_{k}_ours_s"))
    for key in ("export_ours", "export_naive", "export_floor", "export_ours_serialise",
                "export_ours_all_columns"):
        figures[f"{key}_mb_per_s"] = _stats([f[f"{key}_mb"] / f[f"{key}_s"] for f in rounds
                                             if f"{key}_s" in f])
    return {"config": result["config"], "figures": {k: v for k, v in figures.items() if v},
            "ratios": {k: v for k, v in ratios.items() if v}, "live": result.get("live", {})}


def _fmt(stat: Mapping[str, float | None] | None, digits: int = 2, unit: str = "") -> str:
    """'median (min-max)' or '-'."""
    if not stat:
        return "-"
    text = (f"{stat['median']:.{digits}f}{unit} ({stat['min']:.{digits}f}-"
            f"{stat['max']:.{digits}f})")
    return text + (f" [{stat['missing']} not drawn]" if stat.get("missing") else "")


def report(summary: Mapping[str, Any]) -> list[str]:
    """The human-readable table: one row per figure, ours / naive / floor side by side."""
    cfg, fig, rat = summary["config"], summary["figures"], summary["ratios"]
    lines = [f"{cfg['features']:,} {cfg['kind']} features ({cfg['located']:,} located, "
             f"{cfg['vertices']:,} vertices), {cfg['repeat']} round(s); naive baseline on the first "
             f"{cfg['naive_features']:,}; values: median (min-max)",
             f"{'figure':<28}{'ours':>30}{'naive':>34}{'floor':>30}"]

    def row(label: str, key: str, digits: int = 2, unit: str = "") -> None:
        lines.append(f"{label:<28}{_fmt(fig.get(key.format('ours')), digits, unit):>30}"
                     f"{_fmt(fig.get(key.format('naive')), digits, unit):>34}"
                     f"{_fmt(fig.get(key.format('floor')), digits, unit):>30}")

    row("Python build, s", "build_{}_s", 3)
    row("payload, MB", "payload_{}_mb", 1)
    row("browser time-to-drawn, s", "draw_{}_s", 2)
    row("JS heap after draw, MB", "heap_{}_mb", 0)
    row("JS heap after GC, MB", "retained_{}_mb", 0)
    for label in ("selective", "broad"):
        share = cfg["filters"][label]["share"]
        row(f"{label} filter ({share:.1%}) rerun, s", f"rerun_{label}_{{}}_s", 3)
    row("export GeoJSON, s", "export_{}_s", 2)
    row("export GeoJSON, MB/s", "export_{}_mb_per_s", 1)
    if "build_bare_floor_s" in fig:
        lines.append(f"bare floor (geometry + id only): build {_fmt(fig.get('build_bare_floor_s'), 3)} s, "
                     f"{_fmt(fig.get('payload_bare_floor_mb'), 1)} MB, draw "
                     f"{_fmt(fig.get('draw_bare_floor_s'))} s, heap {_fmt(fig.get('heap_bare_floor_mb'), 0)} MB")
    if "build_ours_at_naive_n_s" in fig:
        lines.append(f"ours on the naive's {cfg['naive_features']:,}: build "
                     f"{_fmt(fig.get('build_ours_at_naive_n_s'), 3)} s, draw "
                     f"{_fmt(fig.get('draw_ours_at_naive_n_s'))} s")
    if "export_ours_all_columns_s" in fig:
        lines.append(f"export, ours serialising only: {_fmt(fig.get('export_ours_serialise_s'))} s, "
                     f"{_fmt(fig.get('export_ours_serialise_mb_per_s'), 1)} MB/s; with all "
                     f"export columns (lists too): {_fmt(fig.get('export_ours_all_columns_mb_per_s'), 1)} MB/s")
    names = {
        "ours_vs_floor_build_draw": "ours / floor, build + draw",
        "ours_vs_bare_floor_build_draw": "ours / bare floor, build + draw",
        "naive_at_naive_n_vs_ours_build_draw": "naive (naive N) / ours (N), build + draw",
        "naive_vs_ours_at_naive_n_build_draw": "naive / ours at the naive's N, build + draw",
        "naive_vs_ours_per_feature_build_draw": "naive / ours per feature, build + draw",
        "export_features_per_s_vs_geopandas": "export speed-up vs geopandas, features/s",
        "export_mb_per_s_vs_geopandas": "export speed-up vs geopandas, MB/s",
        "export_serialise_features_per_s_vs_geopandas": "export speed-up, serialising only",
        "rerun_selective_naive_vs_ours": "selective rerun, naive / ours",
        "rerun_broad_naive_vs_ours": "broad rerun, naive / ours",
    }
    for key, label in names.items():
        if key in rat:
            lines.append(f"{label:<48}{_fmt(rat[key], 2, 'x'):>30}")
    return lines + _live_lines(summary)


def _live_lines(summary: Mapping[str, Any]) -> list[str]:
    """The live map's figures (app/bench/live.py) beside today's full rerun.

    >>> _live_lines({"live": {}, "figures": {}})
    []
    """
    live, fig = summary.get("live") or {}, summary["figures"]
    if not live:
        return []

    def sec(value: float | None) -> str:
        return "-" if value is None else f"{value:.3f} s"

    full = [fig.get(f"rerun_{k}_ours_s") for k in ("selective", "broad")]
    draw = fig.get("draw_ours_s")
    lines = ["live map (filter change -> repainted map, p95 / p50; first map for a new visitor):"]
    if "app" in live:
        a = live["app"]
        lines.append(f"  shipped register, real app ({a['changes']} changes each way):")
        lines.append(f"    map's layer control -> map repainted by the map itself: p95"
                     f" {sec(a['change_p95_s'])} (p50 {sec(a['change_p50_s'])}); the page's rerun"
                     f" confirming it: p95 {sec(a.get('rerun_p95_s'))} (p50 {sec(a.get('rerun_p50_s'))},"
                     f" of which until the map gets its arguments {sec(a.get('change_to_render_p50_s'))})")
        lines.append(f"    sidebar search (from the Enter key's event) -> map repainted after the"
                     f" page's rerun: p95 {sec(a.get('sidebar_p95_s'))} (p50 {sec(a.get('sidebar_p50_s'))};"
                     f" target p95 <= {sec(TARGET_CHANGE_S)} on a calm machine:"
                     f" {_met(a.get('sidebar_p95_s'), TARGET_CHANGE_S)})")
        lines.append(f"    first map on a cold server (the first visit after the start)"
                     f" {sec(a['first_map_cold_s'])} (target <= {sec(TARGET_FIRST_MAP_COLD_S)}:"
                     f" {_met(a['first_map_cold_s'], TARGET_FIRST_MAP_COLD_S)})")
        lines.append(f"    first map (new visitor, warm server, median of {a['visits']} visits)"
                     f" {sec(a['first_map_s'])}, max {sec(a['first_map_max_s'])} (target <="
                     f" {sec(TARGET_FIRST_MAP_S)}: {_met(a['first_map_s'], TARGET_FIRST_MAP_S)});"
                     f" then the sidebar's controls {sec(a['first_controls_s'])}, the table"
                     f" {sec(a['first_table_s'])}")
    if "harness" in live:
        h = live["harness"]
        lines.append(f"  {h['features']:,} synthetic, component + map page's Python: change p95"
                     f" {sec(h['change_p95_s'])} (target <= {sec(TARGET_BIG_CHANGE_S)}:"
                     f" {_met(h['change_p95_s'], TARGET_BIG_CHANGE_S)}; p50 {sec(h['change_p50_s'])}; Python p95"
                     f" {sec(h['change_python_p95_s'])}); first map {sec(h['first_map_s'])};"
                     f" base {h['base_mb']:.1f} MB built once in {sec(h['base_build_s'])}")
    if full[0] and draw:
        lines.append(f"  full rerun today at the same size (map rebuilt + redrawn): selective"
                     f" {sec(full[0]['median'] + draw['median'])}, broad"
                     f" {sec(full[1]['median'] + draw['median']) if full[1] else '-'}")
    return lines


#: The live map's targets: a sidebar filter or search -> painted map on the shipped register
#: (p95, calm machine), a filter change on 100,000 features (p95), a new visitor's first map on
#: a warm server (median of the visits) and on a cold one (the first visit after the start).
TARGET_CHANGE_S, TARGET_BIG_CHANGE_S, TARGET_FIRST_MAP_S = 0.2, 1.0, 0.7
TARGET_FIRST_MAP_COLD_S = 1.5


def _met(value: float | None, target: float) -> str:
    """"met" or "missed" (or "-" when not measured).

    >>> _met(0.25, 0.3), _met(0.31, 0.3), _met(None, 0.3)
    ('met', 'missed', '-')
    """
    return "-" if value is None else "met" if value <= target else "missed"


def main(argv: Sequence[str] | None = None) -> int:
    """Run the benchmark; print the table (or ``--json``: config, rounds and summary)."""
    parser = argparse.ArgumentParser(prog="python -m app.bench.render",
                                     description=__doc__.splitlines()[0])
    parser.add_argument("--features", type=int, default=100_000, help="synthetic features")
    parser.add_argument("--kind", choices=KINDS, default="point", help="geometry kind")
    parser.add_argument("--repeat", type=int, default=3, help="rounds (median and range shown)")
    parser.add_argument("--naive-features", type=int, default=None,
                        help="rows for the naive folium baseline (default: at most 10000)")
    parser.add_argument("--no-browser", action="store_true", help="Python figures only")
    parser.add_argument("--timeout", type=float, default=180.0,
                        help="seconds a page may take to draw before it counts as not drawable")
    parser.add_argument("--seed", type=int, default=0, help="seed of the synthetic register")
    parser.add_argument("--json", action="store_true", help="print JSON instead of the table")
    parser.add_argument("--quiet", action="store_true", help="no progress lines on stderr")
    args = parser.parse_args(argv)
    if args.features < 1 or args.repeat < 1:
        parser.error("--features and --repeat must be at least 1")
    if not args.no_browser and not CHROMIUM.exists():
        parser.error(f"{CHROMIUM} is missing (install Debian's chromium) or pass --no-browser")
    progress = None if args.quiet else (lambda text: print(text, file=sys.stderr, flush=True))
    result = run(args.features, args.kind, repeat=args.repeat, naive_n=args.naive_features,
                 browser=not args.no_browser, timeout_s=args.timeout, seed=args.seed,
                 progress=progress)
    summary = summarise(result)
    if args.json:
        print(json.dumps({**result, "summary": summary}, indent=1))
    else:
        print("\n".join(report(summary)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
