"""The map draws with no network: Leaflet and every plugin come from this machine.

Drives tests/ui/offline_map_app.py, a real Streamlit server, in headless Chromium on a desktop
and on a phone viewport. Screenshots are kept (see the ``screenshot`` fixture).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from .conftest import (
    assert_only_local_requests,
    record_requests,
    wait_for_app,
    wait_for_map,
    wait_until_settled,
)

APP = Path(__file__).parent / "offline_map_app.py"

# offline_map_app draws 4 circle markers and 1 polygon. Only the main map's overlay pane is
# counted: the minimap is a second Leaflet map whose own rectangles are interactive paths too.
VECTOR_PATHS = 5
MAIN_MAP_PATHS = "#map_div > .leaflet-map-pane .leaflet-overlay-pane path.leaflet-interactive"

CONTROLS = {
    "zoom": ".leaflet-control-zoom",
    "fullscreen": ".leaflet-control-zoom-fullscreen",
    "measure": ".leaflet-control-measure",
    "minimap": ".leaflet-control-minimap",
    "scale": ".leaflet-control-scale",
    "locate": ".leaflet-control-locate",
}


@pytest.fixture(scope="module")
def offline_app(app_server: Callable[..., str]) -> str:
    """Base URL of the running fixture app."""
    return app_server(APP)


@pytest.mark.parametrize("device", ["desktop", "phone"])
def test_map_draws_offline(
    device: str,
    offline_app: str,
    request: pytest.FixtureRequest,
    screenshot: Callable[[Page, str], Path],
) -> None:
    page: Page = request.getfixturevalue(f"{device}_page")
    log = record_requests(page)

    page.goto(offline_app)
    wait_for_app(page)
    frame = wait_for_map(page)

    expect(frame.locator(MAIN_MAP_PATHS)).to_have_count(VECTOR_PATHS)
    for name, selector in CONTROLS.items():
        expect(frame.locator(selector), f"{name} control").to_have_count(1)
    expect(frame.locator(".leaflet-tooltip", has_text="中山公园")).to_be_visible()
    expect(frame.locator(".marker-cluster")).not_to_have_count(0)
    icons = frame.locator("img.leaflet-marker-icon")
    expect(icons).to_have_count(1)
    icons.first.evaluate("img => img.decode()")  # rejects when the image did not load

    wait_until_settled(page)
    shot = screenshot(page, f"offline-map-{device}")
    assert shot.stat().st_size > 10_000

    assert_only_local_requests(log)
    assert any("/app/static/vendor/" in url for url in log.urls)
    assert not log.failed, log.failed
    assert not log.errors, log.errors
    assert not log.page_errors, log.page_errors
