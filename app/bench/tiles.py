"""Benchmark: a reference layer of a million building footprints as vector tiles, against
plain GeoJSON.

``python -m app.bench tiles --features 1000000`` makes synthetic building footprints over the
district (rectangles of 8-40 m, uniform inside its outline, with a height and a use), builds
their vector tiles (:func:`app.map.vector_tiles.build_tiles`, ``build_s``), serves them as
static files on 127.0.0.1 and measures: every tile of zooms 13-14 fetched from that server
(``tile_p95_ms``); in headless Chromium, the first painted feature of the layer at district
zoom (``first_paint_s``), the frames while the map pans a frame at a time and zooms in and
out (``frame_p95_ms``), and the JS heap (``browser_mb``). ``--geojson 10000,100000`` measures
the plain-GeoJSON path (one file, Leaflet's canvas renderer) at those sizes the same way
(``build_s``: writing the file; no tiles). ``--json`` prints one object per line.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import shutil
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator, Sequence
from pathlib import Path

import geopandas as gpd
import numpy as np
import shapely

from app.bench.render import CHROMIUM, CHROMIUM_ARGS, serve_folder
from app.data.atlas import load_atlas
from app.geo.gazetteer import DISTRICT_ID
from app.map.assets import ensure_static_assets
from app.map.vector_tiles import build_tiles

__all__ = ["footprints", "main", "measure", "site", "vector_page"]

TARGETS = {"tile_p95_ms": 50.0, "first_paint_s": 1.5, "frame_p95_ms": 50.0}
STATIC = Path(__file__).resolve().parents[1] / "map" / "static"
_USES = ("居住", "商业", "办公", "教育", "医疗", "工业")


def footprints(n: int, seed: int = 0) -> gpd.GeoDataFrame:
    """`n` synthetic building footprints inside the district, WGS-84, with ``height_m`` and
    ``use``.

    >>> frame = footprints(100)
    >>> len(frame), frame.crs.to_epsg(), bool(frame.is_valid.all())
    (100, 4326, True)
    """
    rng = np.random.default_rng(seed)
    district = load_atlas().places[DISTRICT_ID].geometry
    minx, miny, maxx, maxy = district.bounds
    shapely.prepare(district)
    xy = np.empty((0, 2))
    while len(xy) < n:
        batch = np.column_stack([rng.uniform(minx, maxx, 2 * n + 64), rng.uniform(miny, maxy, 2 * n + 64)])
        xy = np.concatenate([xy, batch[shapely.contains_xy(district, batch[:, 0], batch[:, 1])]])
    xy = xy[:n]
    half_w = rng.uniform(4, 20, n) / 95_000.0  # metres to degrees of longitude at 31.2 N
    half_h = rng.uniform(4, 20, n) / 111_000.0
    boxes = shapely.box(xy[:, 0] - half_w, xy[:, 1] - half_h, xy[:, 0] + half_w, xy[:, 1] + half_h)
    return gpd.GeoDataFrame({"fid": np.arange(n), "height_m": rng.integers(3, 120, n),
                             "use": np.array(_USES)[rng.integers(0, len(_USES), n)]},
                            geometry=boxes, crs="EPSG:4326")


def _page(body: str) -> str:
    return f"""<!DOCTYPE html><html><head><meta charset="utf-8">
<link rel="stylesheet" href="/app/static/vendor/xstatic-leaflet-1.9.3.0/leaflet.css">
<style>html,body,#map{{height:100%;margin:0}}</style>
<script src="/app/static/vendor/xstatic-leaflet-1.9.3.0/leaflet.js"></script>
<script src="/app/static/vendor/vectorgrid/Leaflet.VectorGrid.bundled.min.js"></script>
<script src="/app/static/vector_layer.js"></script></head>
<body><div id="map"></div><script>
var map = window.__map = L.map("map", {{preferCanvas: true}}).setView([31.215, 121.40], 13);
{body}
window.__frames = function (steps) {{
  return new Promise(function (resolve) {{
    var deltas = [], last = performance.now(), n = 0;
    function step(now) {{
      deltas.push(now - last); last = now; n += 1;
      if (n % 20 === 10) {{ map.setZoom(map.getZoom() + 1, {{animate: false}}); }}
      else if (n % 20 === 0) {{ map.setZoom(map.getZoom() - 1, {{animate: false}}); }}
      else {{ map.panBy([n % 40 < 20 ? 60 : -60, 25], {{animate: false}}); }}
      if (n < steps) {{ requestAnimationFrame(step); }} else {{ resolve(deltas.slice(1)); }}
    }}
    requestAnimationFrame(step);
  }});
}};
</script></body></html>"""


def vector_page(layer: str, title: str = "buildings") -> str:
    """The page drawing the tiles of source layer `layer` under ``/tiles/``."""
    spec = json.dumps({"id": layer, "url": "/tiles/{z}/{x}/{y}.pbf", "title": title})
    return _page(f"var layer = window.atlasVectorLayer({spec}).addTo(map);\n"
                 "var wait = setInterval(function () { if (window.atlasVectorStats.firstPaintMs !== null)"
                 " { window.__drawn = window.atlasVectorStats.firstPaintMs; clearInterval(wait); } }, 10);")


def _geojson_page() -> str:
    return _page("fetch('/layer.geojson').then(function (r) { return r.json(); }).then(function (data) {\n"
                 "  L.geoJSON(data, {style: {weight: 1, color: '#6b5b4b', fillOpacity: 0.45}}).addTo(map);\n"
                 "  requestAnimationFrame(function () { window.__drawn = performance.now(); });\n});")


def site(root: Path) -> Path:
    """`root` made a web root: Leaflet, Leaflet.VectorGrid and vector_layer.js where the pages
    link them."""
    static = root / "app" / "static"
    ensure_static_assets(static)
    (static / "vendor" / "vectorgrid").mkdir(parents=True, exist_ok=True)
    shutil.copy(STATIC / "vendor" / "Leaflet.VectorGrid.bundled.min.js", static / "vendor" / "vectorgrid")
    shutil.copy(STATIC / "vector_layer.js", static)
    return root


@contextlib.contextmanager
def served(root: Path) -> Iterator[str]:
    """`root` served on a free port of 127.0.0.1 (a thread); yields the base URL."""
    with serve_folder(root) as base:
        yield base


def _p95(values: Sequence[float]) -> float | None:
    return float(np.percentile(values, 95)) if len(values) else None


def _browser_figures(base: str, page: str, timeout_s: float) -> dict[str, float | None]:
    from playwright.sync_api import sync_playwright  # noqa: PLC0415 -- only when a browser is measured

    with sync_playwright() as play:
        browser = play.chromium.launch(executable_path=str(CHROMIUM), args=list(CHROMIUM_ARGS))
        try:
            context = browser.new_context(viewport={"width": 1366, "height": 900})
            tab = context.new_page()
            cdp = context.new_cdp_session(tab)
            cdp.send("Performance.enable")
            tab.goto(f"{base}/{page}", wait_until="commit", timeout=timeout_s * 1000)
            tab.wait_for_function("window.__drawn !== undefined", timeout=timeout_s * 1000, polling=20)
            first = float(tab.evaluate("window.__drawn")) / 1000
            frames = tab.evaluate("window.__frames(120)")
            metrics = {m["name"]: m["value"] for m in cdp.send("Performance.getMetrics")["metrics"]}
        finally:
            browser.close()
    return {"first_paint_s": round(first, 3), "frame_p95_ms": round(_p95(frames), 1),
            "browser_mb": round(metrics["JSHeapUsedSize"] / 1e6, 1)}


def measure(n: int, path: str = "tiles", *, timeout_s: float = 600.0) -> dict[str, object]:
    """The figures of one layer of `n` footprints drawn by `path` (``tiles`` or ``geojson``)."""
    frame = footprints(n)
    with tempfile.TemporaryDirectory(prefix="atlas-tiles-bench-") as folder:
        root = site(Path(folder))
        start = time.perf_counter()
        out: dict[str, object] = {"features": n, "path": path}
        if path == "tiles":
            built = build_tiles(frame, root / "tiles", "buildings")
            out.update(build_s=round(time.perf_counter() - start, 2), tiles=built.tiles,
                       tiles_mb=round(built.bytes / 1e6, 1))
            (root / "page.html").write_text(vector_page("buildings"), encoding="utf-8")
        else:
            (root / "layer.geojson").write_text(frame.to_json(), encoding="utf-8")
            out.update(build_s=round(time.perf_counter() - start, 2),
                       file_mb=round((root / "layer.geojson").stat().st_size / 1e6, 1))
            (root / "page.html").write_text(_geojson_page(), encoding="utf-8")
        with served(root) as base:
            if path == "tiles":
                sample = sorted(root.glob("tiles/1[34]/*/*.pbf"))[:400]
                times = []
                for tile in sample:
                    t0 = time.perf_counter()
                    url = f"{base}/{tile.relative_to(root).as_posix()}"  # our own loopback server
                    with urllib.request.urlopen(url, timeout=30) as r:  # noqa: S310
                        r.read()
                    times.append((time.perf_counter() - t0) * 1000)
                out["tile_p95_ms"] = round(_p95(times), 1)
            out.update(_browser_figures(base, "page.html", timeout_s))
    return out


def main(argv: Sequence[str] | None = None) -> int:
    """``tiles --features N [--geojson 10000,100000] [--json]``."""
    parser = argparse.ArgumentParser(prog="python -m app.bench tiles", description=__doc__.splitlines()[0])
    parser.add_argument("--features", type=int, default=1_000_000)
    parser.add_argument("--geojson", default="10000,100000",
                        help="sizes of the plain-GeoJSON path, comma-separated ('' for none)")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    try:
        sizes = [int(v) for v in args.geojson.split(",") if v.strip()]
    except ValueError:
        parser.error("--geojson takes whole numbers separated by commas")
    if args.features < 1 or any(n < 1 for n in sizes):
        parser.error("sizes must be at least 1")
    runs = [("tiles", args.features)] + [("geojson", n) for n in sizes]
    for path, n in runs:
        print(f"{path} at {n} features ...", file=sys.stderr, flush=True)
        figures = measure(n, path)
        if args.json:
            print(json.dumps(figures), flush=True)
            continue
        parts = [f"{path:8} {n:>9} features  build {figures['build_s']} s"]
        for name, target in TARGETS.items():
            if name in figures:
                value = figures[name]
                met = "met" if value is not None and value <= target else "NOT met"
                parts.append(f"{name} {value} (target <= {target:g}) {met}")
        parts.append(f"browser {figures['browser_mb']} MB")
        print("  ".join(parts), flush=True)
    return 0
