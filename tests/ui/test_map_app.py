"""The atlas's map page in a real browser: what it draws, filters, shares by URL and refuses to run.

Starts ``streamlit run streamlit_app.py`` from the repository root (so ``.streamlit/config.toml``
applies) once for the module on the shipped ``geodata/``, and once more on a copy of it with an
injected hostile project. Every URL asks for ``basemap=none``: no tile is ever requested.

Expected numbers are computed from the data (``app.data.atlas.load_atlas``), never written down.
Leaflet draws one SVG path per feature here (points are circle markers, a MultiPolygon is one
path); only a MultiPoint would make several, which :func:`_paths` allows for.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import geopandas as gpd
import pytest
import shapely
from playwright.sync_api import FrameLocator, Locator, Page, expect

from app.data.atlas import Atlas, load_atlas
from app.domain.filters import Filter, apply_filter
from app.domain.i18n import t
from app.map.basemaps import basemap_title
from tests.conftest import name_in_coverage

from .conftest import (
    assert_only_local_requests,
    record_requests,
    wait_for_app,
    wait_for_map,
    wait_until_settled,
)

REPO = Path(__file__).resolve().parents[2]
APP = REPO / "streamlit_app.py"
GEODATA = REPO / "geodata"
TIMEOUT_MS = 30_000

# Paths of the main map only (a minimap would be a second Leaflet map inside the iframe). The
# live map draws reference layers in panes of their own (under and over the projects).
OVERLAY = "#map_div > .leaflet-map-pane"
PROJECT_PATHS = f"{OVERLAY} path.atlas-project"
REFERENCE_PATHS = f"{OVERLAY} path.atlas-reference"
# Leaflet's SVG renderer gives a feature outside its clip area the empty path "M0 0". Right after
# the iframe is resized that area is stale for a moment (features are cut off at an old edge),
# so "none of these" means every feature is inside the settled view.
CLIPPED_PATHS = f'{OVERLAY} path.atlas-feature[d="M0 0"]'

# A project whose every text field tries to run script: as markup, as a JS template literal and
# by closing the <script> element the map's data sits in. Positioned on Tianshan Park.
XSS_ID = "xss-probe"
XSS_NAME_ZH = '<img src=x onerror="window.__xss=1">'
XSS_NAME_EN = "${window.__xss=2}"
XSS_DESCRIPTION = "</script><script>window.__xss=3</script>"
XSS_PROJECT = f"""

[[project]]
id = "{XSS_ID}"
name_zh = '{XSS_NAME_ZH}'
name_en = '{XSS_NAME_EN}'
layer = "public_space"
category = "park"
action = "开放"
status = "operating"
precision = "site"
geometry = {{ ref = "poi-tianshangongyuan" }}
description = '{XSS_DESCRIPTION}'
report = {{ section = "四", paragraph = "打造高品质公共空间" }}
"""

# Finds the project's Leaflet layer in the map iframe and opens its tooltip or card through
# Leaflet itself: on the full map its marker lies exactly on Tianshan Park's, so a click is
# ambiguous. The live map keeps its Leaflet map as window.map_div.
OPEN_FEATURE_JS = """(_mapDiv, [id, what]) => {
  if (!(window.map_div instanceof L.Map)) { return "window.map_div is not a Leaflet map"; }
  let found = null;
  window.map_div.eachLayer((layer) => {
    if (layer.feature && layer.feature.properties && layer.feature.properties.id === id) {
      found = layer;
    }
  });
  if (found === null) { return "no layer for " + id; }
  if (what === "tooltip") { found.openTooltip(); } else { found.openPopup(); }
  return "ok";
}"""

# Inserts `html` as markup into the map iframe and resolves with window.__xss once the <img>
# has failed to load (or with what it is after 5 s).
FIRE_AS_HTML_JS = """(body, html) => new Promise((resolve) => {
  body.insertAdjacentHTML("beforeend", html);
  const started = Date.now();
  const timer = setInterval(() => {
    if (window.__xss !== undefined || Date.now() - started > 5000) {
      clearInterval(timer);
      resolve(window.__xss === undefined ? "undefined" : window.__xss);
    }
  }, 50);
})"""


def _paths(geometry: shapely.Geometry) -> int:
    """How many SVG paths Leaflet draws for one geometry (a MultiPoint: one per point)."""
    return len(geometry.geoms) if geometry.geom_type == "MultiPoint" else 1


def _drawn(frame: gpd.GeoDataFrame) -> int:
    """How many SVG paths Leaflet draws for the located rows of `frame`."""
    located = frame.geometry[frame.geometry.notna() & ~frame.geometry.is_empty]
    return sum(_paths(geometry) for geometry in located)


def _located(frame: gpd.GeoDataFrame) -> int:
    """How many rows of `frame` have a position."""
    return int(frame.geometry.notna().sum())


def _count_line(frame: gpd.GeoDataFrame, lang: str) -> str:
    """The page's count line for `frame` ('共 n 个项目符合筛选…')."""
    located = _located(frame)
    return t("count_line", lang).format(n=len(frame), located=located,
                                        unlocated=len(frame) - located)


def _open(page: Page, url: str) -> FrameLocator:
    """Load `url`, wait for the script run and the drawn map; return the map's frame."""
    page.goto(url)
    wait_for_app(page)
    return wait_for_map(page)


def _multiselect(page: Page, label: str) -> Locator:
    """The sidebar multiselect whose widget label is exactly `label`."""
    return page.get_by_test_id("stSidebar").get_by_test_id("stMultiSelect").filter(
        has=page.get_by_test_id("stWidgetLabel").get_by_text(label, exact=True))


def _assert_nothing_ran(page: Page, frame: FrameLocator) -> None:
    """No payload set window.__xss, in the page or the map iframe, and no <img src=x> exists."""
    assert page.evaluate("() => typeof window.__xss") == "undefined"
    assert frame.locator("body").evaluate("() => typeof window.__xss") == "undefined"
    expect(frame.locator('img[src="x"]')).to_have_count(0)
    expect(page.locator('img[src="x"]')).to_have_count(0)


@pytest.fixture(scope="module")
def atlas() -> Atlas:
    """The shipped data, as the app loads it."""
    return load_atlas(GEODATA)


@pytest.fixture(scope="module")
def atlas_app(app_server: Callable[..., str]) -> str:
    """Base URL of the atlas on the shipped data."""
    return app_server(APP, env={"ATLAS_DATA_DIR": str(GEODATA)}, cwd=REPO)


@pytest.fixture(scope="module")
def xss_data(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of geodata/ whose register has the hostile project appended; checked valid."""
    data = tmp_path_factory.mktemp("xss-geodata")
    shutil.copytree(GEODATA, data, dirs_exist_ok=True)
    with (data / "register.toml").open("a", encoding="utf-8") as register:
        register.write(XSS_PROJECT)
    name_in_coverage(data, "xss-probe")
    result = subprocess.run(
        [sys.executable, "-m", "app", "--data-dir", str(data), "validate"],
        cwd=REPO, capture_output=True, text=True, timeout=120, check=False,
    )
    assert result.returncode == 0, f"the test register is invalid:\n{result.stdout}{result.stderr}"
    return data


@pytest.fixture(scope="module")
def xss_app(app_server: Callable[..., str], xss_data: Path) -> str:
    """Base URL of the atlas on the register with the hostile project."""
    return app_server(APP, env={"ATLAS_DATA_DIR": str(xss_data)}, cwd=REPO)


def test_map_draws_every_located_project(
    atlas_app: str, atlas: Atlas, desktop_page: Page, screenshot: Callable[[Page, str], Path],
) -> None:
    page = desktop_page
    frame = _open(page, f"{atlas_app}/?basemap=none")

    projects = atlas.projects
    assert _located(projects) > 0
    expect(frame.locator(PROJECT_PATHS)).to_have_count(_drawn(projects), timeout=TIMEOUT_MS)
    for spec in atlas.project_layers:
        rows = projects[projects["layer"] == spec.id]
        expect(frame.locator(f"{PROJECT_PATHS}.atlas-layer-{spec.id}"),
               spec.id).to_have_count(_drawn(rows))
    # With no ref= in the URL, the reference layers marked visible are drawn.
    visible = [spec for spec in atlas.reference_layers if spec.visible]
    assert visible
    for spec in visible:
        expect(frame.locator(f"{REFERENCE_PATHS}.atlas-layer-{spec.id}"),
               spec.id).to_have_count(_drawn(atlas.reference_frame(spec)))
    # the legend and the layer box: one folded control on a laptop's window, unfolded on a click
    panel = frame.get_by_test_id("atlas-panel")
    expect(panel).to_be_visible()
    panel.locator(".atlas-panel-title").click()
    expect(frame.locator(".atlas-legend")).to_be_visible()
    expect(page.get_by_text(_count_line(projects, "zh"), exact=True)).to_be_visible()
    expect(frame.locator(CLIPPED_PATHS)).to_have_count(0)

    shot = screenshot(page, "atlas-map-desktop")
    assert shot.stat().st_size > 10_000


def test_layer_filter_reduces_the_features(atlas_app: str, atlas: Atlas, desktop_page: Page) -> None:
    page = desktop_page
    projects = atlas.projects
    public_space = projects[projects["layer"] == "public_space"]
    assert 0 < _drawn(public_space) < _drawn(projects)

    frame = _open(page, f"{atlas_app}/?basemap=none&layer=public_space")

    expect(frame.locator(PROJECT_PATHS)).to_have_count(_drawn(public_space), timeout=TIMEOUT_MS)
    expect(frame.locator(f"{PROJECT_PATHS}:not(.atlas-layer-public_space)")).to_have_count(0)
    expect(page.get_by_text(_count_line(public_space, "zh"), exact=True)).to_be_visible()


def test_search_finds_tianshan_park(atlas_app: str, atlas: Atlas, desktop_page: Page) -> None:
    page = desktop_page
    projects = atlas.projects
    found = projects[apply_filter(projects, Filter(query="tianshan")).to_numpy()]
    park = projects.set_index("id").loc["tianshan-park", "name_zh"]
    assert "天山公园" in park and park in set(found["name_zh"])

    frame = _open(page, f"{atlas_app}/?basemap=none&q=tianshan")

    expect(frame.locator(PROJECT_PATHS)).to_have_count(_drawn(found), timeout=TIMEOUT_MS)
    expect(page.get_by_text(_count_line(found, "zh"), exact=True)).to_be_visible()
    expect(page.get_by_test_id("stDataFrame").last).to_contain_text(park)
    expect(page.get_by_test_id("stSidebar").get_by_label(t("search", "zh"))).to_have_value("tianshan")


def test_url_with_filters_reproduces_the_view(atlas_app: str, atlas: Atlas, desktop_page: Page) -> None:
    page = desktop_page
    projects = atlas.projects
    operating = projects[projects["status"] == "operating"]
    boundary = atlas.spec("district_boundary")
    query = "basemap=none&lang=en&status=operating&ref=district_boundary"

    frame = _open(page, f"{atlas_app}/?{query}")

    expect(page.locator("h4")).to_have_text("Changning Urban Renewal Atlas")
    expect(frame.locator(PROJECT_PATHS)).to_have_count(_drawn(operating), timeout=TIMEOUT_MS)
    expect(frame.locator(REFERENCE_PATHS)).to_have_count(_drawn(atlas.reference_frame(boundary)))
    expect(frame.locator(f"{REFERENCE_PATHS}:not(.atlas-layer-district_boundary)")).to_have_count(0)
    expect(page.get_by_text(_count_line(operating, "en"), exact=True)).to_be_visible()

    status = _multiselect(page, "Status")
    expect(status).to_have_count(1)
    expect(status.get_by_test_id("stMultiSelectTagsContainer")).to_have_text(
        atlas.vocab.status_label("operating", "en"))
    refs = _multiselect(page, t("ref_layers", "en"))
    expect(refs.get_by_test_id("stMultiSelectTagsContainer")).to_have_text(boundary.title("en"))
    sidebar = page.get_by_test_id("stSidebar")
    expect(sidebar.get_by_role("radio", name="English")).to_be_checked()
    expect(sidebar.get_by_role("combobox", name=t("basemap", "en"))).to_have_value(
        basemap_title("none", "en"))

    # the link reproduces the view; the page adds the data version, the map its centre and zoom
    shared = parse_qs(urlsplit(page.url).query)
    assert {k: v for k, v in shared.items() if k not in ("v", "lat", "lon", "z")} == parse_qs(query)
    assert shared["v"][0].startswith(atlas.data_version), page.url


def test_no_request_leaves_the_machine(atlas_app: str, desktop_page: Page) -> None:
    page = desktop_page
    log = record_requests(page)

    frame = _open(page, f"{atlas_app}/?basemap=none")
    expect(frame.locator(PROJECT_PATHS)).not_to_have_count(0, timeout=TIMEOUT_MS)
    wait_until_settled(page)

    assert_only_local_requests(log)
    assert not frame.locator("img.leaflet-tile").count()
    assert not log.failed, log.failed
    assert not log.errors, log.errors
    assert not log.page_errors, log.page_errors


def test_injected_script_does_not_run(xss_app: str, xss_data: Path, desktop_page: Page) -> None:
    page = desktop_page
    projects = load_atlas(xss_data).projects
    assert XSS_ID in set(projects["id"])

    # The full map: open the tooltip and the card through Leaflet (the marker is on Tianshan Park's).
    frame = _open(page, f"{xss_app}/?basemap=none")
    expect(frame.locator(PROJECT_PATHS)).to_have_count(_drawn(projects), timeout=TIMEOUT_MS)
    map_div = frame.locator("#map_div")
    assert map_div.evaluate(OPEN_FEATURE_JS, [XSS_ID, "tooltip"]) == "ok"
    expect(frame.locator(".leaflet-tooltip .atlas-tip strong")).to_have_text(XSS_NAME_ZH)
    assert map_div.evaluate(OPEN_FEATURE_JS, [XSS_ID, "popup"]) == "ok"
    card = frame.locator(f'.atlas-card[data-project-id="{XSS_ID}"]')
    expect(card).to_be_visible()
    expect(card.locator(".atlas-card-title")).to_have_text(XSS_NAME_ZH)
    expect(card).to_contain_text(XSS_NAME_EN)
    expect(card).to_contain_text(XSS_DESCRIPTION)
    _assert_nothing_ran(page, frame)

    # Filtered to the hostile project alone: a real hover and click reach it. The map is focused
    # first: the first mousedown on the map focuses Leaflet's container, which scrolls the
    # iframe's document (a stray element below the map) or the page
    # between mousedown and mouseup, and the click then lands beside the marker.
    frame = _open(page, f"{xss_app}/?basemap=none&ref=none&q=xss")
    path = frame.locator(PROJECT_PATHS)
    expect(path).to_have_count(1, timeout=TIMEOUT_MS)
    frame.locator("#map_div").focus()
    path.hover()
    expect(frame.locator(".leaflet-tooltip")).to_contain_text(XSS_NAME_ZH)
    path.click()
    card = frame.locator(f'.atlas-card[data-project-id="{XSS_ID}"]')
    expect(card.locator(".atlas-card-title")).to_have_text(XSS_NAME_ZH)
    expect(card).to_contain_text(XSS_DESCRIPTION)
    expect(page.get_by_test_id("stDataFrame").last).to_contain_text(XSS_NAME_ZH)
    wait_until_settled(page)
    _assert_nothing_ran(page, frame)

    # Control: the same name parsed as HTML does run, so the checks above can fail.
    fired = frame.locator("body").evaluate(FIRE_AS_HTML_JS, XSS_NAME_ZH)
    assert fired == 1, fired


def test_phone_shows_the_map(
    atlas_app: str, atlas: Atlas, phone_page: Page, screenshot: Callable[[Page, str], Path],
) -> None:
    page = phone_page
    frame = _open(page, f"{atlas_app}/?basemap=none")

    container = frame.locator(".leaflet-container").first
    expect(container).to_be_visible()
    expect(frame.locator(PROJECT_PATHS)).to_have_count(_drawn(atlas.projects), timeout=TIMEOUT_MS)
    box = container.bounding_box()
    assert box is not None and box["width"] >= 300, box
    assert box["width"] <= 390, box
    expect(frame.locator(CLIPPED_PATHS)).to_have_count(0)

    shot = screenshot(page, "atlas-map-phone")
    assert shot.stat().st_size > 10_000


def test_bad_url_value_gives_a_notice(atlas_app: str, atlas: Atlas, desktop_page: Page) -> None:
    page = desktop_page
    frame = _open(page, f"{atlas_app}/?basemap=none&status=bogus&z=99")

    notice = page.get_by_test_id("stAlert").filter(has_text="bogus")
    expect(notice).to_be_visible()
    expect(notice).to_contain_text("z='99'")
    # The bad values are dropped: the whole register is drawn.
    expect(frame.locator(PROJECT_PATHS)).to_have_count(_drawn(atlas.projects), timeout=TIMEOUT_MS)
    expect(frame.get_by_test_id("atlas-panel")).to_be_visible()
