"""Every page's map draws with no network: Leaflet and every plugin it uses come from this
machine (the map page's view, the field page's pick mode, the planner's draw mode with
Leaflet.draw), on a desktop and on a phone viewport. Screenshots are kept (see the
``screenshot`` fixture)."""

from __future__ import annotations

import re
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

REPO = Path(__file__).resolve().parents[2]
STREAMLIT_PROBE = re.compile(r"^404 http://[^/]+/\w+/_stcore/(health|host-config)$")

#: The controls each page's map shows, by page.
CONTROLS = {
    "map": (".leaflet-control-zoom", ".leaflet-control-zoom-fullscreen",
            ".leaflet-control-measure", ".leaflet-control-scale", ".atlas-panel"),
    "field": (".leaflet-control-zoom", ".leaflet-control-zoom-fullscreen",
              ".leaflet-control-measure", ".leaflet-control-scale", ".atlas-panel"),
    "planner": (".leaflet-control-zoom", ".leaflet-control-zoom-fullscreen",
                ".leaflet-control-scale", ".atlas-panel", ".leaflet-draw-toolbar-top",
                "a.leaflet-draw-draw-polygon"),
}


@pytest.fixture(scope="module")
def offline_app(app_server: Callable[..., str]) -> str:
    """The atlas, with a planner passphrase (the planner's map needs a sign-in)."""
    return app_server(REPO / "streamlit_app.py", cwd=REPO, env={"ATLAS_PLANNER_SECRET": "plan-pass"})


@pytest.mark.parametrize("device", ["desktop", "phone"])
@pytest.mark.parametrize("path", ["map", "field", "planner"])
def test_every_pages_map_draws_offline(
    device: str,
    path: str,
    offline_app: str,
    request: pytest.FixtureRequest,
    screenshot: Callable[[Page, str], Path],
) -> None:
    page: Page = request.getfixturevalue(f"{device}_page")
    log = record_requests(page)
    page.goto(f"{offline_app}/{'' if path == 'map' else path}?basemap=none")
    wait_for_app(page)
    if path == "planner":
        page.get_by_label("姓名").fill("李规划")
        page.get_by_label("小组/单位").fill("规划科")
        page.get_by_label("口令").fill("plan-pass")
        page.get_by_role("button", name="登录").click()
        wait_for_app(page)
    frame = wait_for_map(page)
    expect(frame.locator("path.atlas-project").first).to_be_attached()
    for selector in CONTROLS[path]:
        expect(frame.locator(selector), selector).to_have_count(1)

    wait_until_settled(page)
    shot = screenshot(page, f"offline-{path}-{device}")
    assert shot.stat().st_size > 10_000

    assert_only_local_requests(log)
    assert any("/app/static/vendor/" in url for url in log.urls)
    if path == "planner":
        assert any(url.endswith("leaflet.draw.js") for url in log.urls)
    assert not log.failed, log.failed
    # Streamlit's frontend probes its server under the page's own path first (a 404 there)
    errors = [e for e in log.errors if not STREAMLIT_PROBE.search(e)]
    assert not errors, errors
    assert not log.page_errors, log.page_errors
