"""A large reference layer drawn from vector tiles: built with tippecanoe, served as static
files, painted by the vendored Leaflet.VectorGrid in Chromium (app/map/static/vector_layer.js);
a click shows the feature's attributes, hostile text as text. Only local requests."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import shapely
from playwright.sync_api import Page

from app.bench.tiles import footprints, served, site, vector_page
from app.map.vector_tiles import build_tiles
from tests.ui.conftest import assert_only_local_requests, record_requests

HOSTILE = '<img src=x onerror="window.__pwned=1">**bold** http://evil.test'


def test_tiles_are_painted_and_a_click_shows_attributes_as_text(desktop_page: Page, tmp_path: Path,
                                                                screenshot):
    buildings = footprints(300, seed=3)
    # one large block at the map's centre, to click on
    block = gpd.GeoDataFrame({"fid": [-1], "height_m": [99], "use": [HOSTILE]}, crs="EPSG:4326",
                             geometry=[shapely.box(121.396, 31.212, 121.404, 31.218)])
    frame = gpd.GeoDataFrame(gpd.pd.concat([buildings, block], ignore_index=True), crs="EPSG:4326")
    root = site(tmp_path / "site")
    built = build_tiles(frame, root / "tiles", "buildings", zooms=(11, 15))
    assert built.tiles > 0
    (root / "page.html").write_text(vector_page("buildings", "建筑"), encoding="utf-8")
    log = record_requests(desktop_page)
    errors: list[str] = []
    desktop_page.on("pageerror", lambda error: errors.append(str(error)))
    with served(root) as base:
        desktop_page.goto(f"{base}/page.html")
        desktop_page.wait_for_function("window.atlasVectorStats && window.atlasVectorStats.features > 20",
                                       timeout=60_000)
        assert desktop_page.locator(".leaflet-tile-container svg path").count() > 20
        size = desktop_page.viewport_size
        desktop_page.mouse.click(size["width"] / 2, size["height"] / 2)  # the map's centre: the block
        card = desktop_page.locator(".atlas-vector-card")
        card.wait_for(timeout=30_000)
        screenshot(desktop_page, "vector-layer-click")
        assert card.locator("strong").inner_text() == "建筑"
        cells = dict(zip(card.locator("th").all_inner_texts(), card.locator("td").all_inner_texts(),
                         strict=True))
        assert cells["use"] == HOSTILE and cells["height_m"] == "99"
        assert card.locator("img, a, b").count() == 0
        assert desktop_page.evaluate("window.__pwned") is None
    assert errors == []
    assert_only_local_requests(log)


def test_the_app_draws_a_planners_tiled_layer_chosen_by_ref(app_server, desktop_page: Page,
                                                           tmp_path: Path, screenshot):
    from app.io.reference_layers import save_layer, tiles_folder
    from tests.ui.conftest import REPO, open_map

    folder = tmp_path / "reference_layers"
    block = gpd.GeoDataFrame({"use": [HOSTILE]}, crs="EPSG:4326",
                             geometry=[shapely.box(121.396, 31.212, 121.404, 31.218)])
    frame = gpd.GeoDataFrame(gpd.pd.concat([footprints(200, seed=5), block], ignore_index=True),
                             crs="EPSG:4326")
    save_layer(frame, "buildings", "建筑轮廓", "Building footprints", "buildings.gpkg", folder)
    build_tiles(frame, tiles_folder("buildings", folder), "buildings", zooms=(11, 15))
    url = app_server(REPO / "streamlit_app.py", env={"ATLAS_REFERENCE_LAYERS_DIR": str(folder)})
    live = open_map(desktop_page, f"{url}/?basemap=none&ref=buildings&lat=31.215&lon=121.40&z=15")
    live.wait_for_function("() => window.atlasVectorStats && window.atlasVectorStats.features > 0",
                           timeout=60_000)
    box = desktop_page.locator('iframe[title="app.ui.live_map.atlas_live_map"]').bounding_box()
    desktop_page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    card = live.locator(".atlas-vector-card")
    card.wait_for(timeout=30_000)
    screenshot(desktop_page, "vector-layer-in-app")
    assert card.locator("strong").inner_text() == "建筑轮廓"
    assert card.locator("td").first.inner_text() == HOSTILE and card.locator("img").count() == 0
