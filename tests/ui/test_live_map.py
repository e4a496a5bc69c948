"""The live map in a real browser: one frame per visit, updated in place; two-way selection; the
view in the URL; state across pages; the field page's tap.

Waits are on explicit conditions only: an element, a count, or the live map's own flags
(``window.__atlasLive``: ``applied`` counts filter masks applied, ``ready`` is set once the
latest one is painted). Every URL asks for ``basemap=none`` unless a test says otherwise; the
AMap test answers every tile request itself (no request leaves the machine).
"""

from __future__ import annotations

import io
import re
from collections.abc import Callable
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import numpy as np
import pytest
from PIL import Image
from playwright.sync_api import Browser, Page, expect

from app.data.atlas import Atlas, load_atlas
from app.domain.i18n import t
from app.geo.crs import convert
from app.map.basemaps import basemap_title
from app.ui.pages.map_page import MAP_FIRST_WAIT_S

from .conftest import LIVE, PHONE, live_frame, open_map, wait_for_app

REPO = Path(__file__).resolve().parents[2]
APP = REPO / "streamlit_app.py"
TIMEOUT_MS = 30_000
PROJECT_PATHS = "#map_div > .leaflet-map-pane path.atlas-project"

# the map's view and the live map's counters, read inside the map frame
VIEW_JS = """() => { const c = window.map_div.getCenter();
  return [c.lat.toFixed(6), c.lng.toFixed(6), window.map_div.getZoom()]; }"""
# container point of a project's SVG feature (a circle marker's centre)
POINT_JS = """(id) => { let out = null;
  window.map_div.eachLayer((l) => { if (l.feature && l.feature.properties.id === id && l.getLatLng) {
    const p = window.map_div.latLngToContainerPoint(l.getLatLng()); out = [p.x, p.y]; } });
  return out; }"""


@pytest.fixture(scope="module")
def atlas() -> Atlas:
    """The shipped data."""
    return load_atlas()


@pytest.fixture(scope="module")
def live_app(app_server: Callable[..., str], tmp_path_factory: pytest.TempPathFactory) -> str:
    """The atlas on the shipped data with a store of its own."""
    store = tmp_path_factory.mktemp("live") / "store.sqlite"
    return app_server(APP, cwd=REPO, env={"ATLAS_STORE": str(store)})


def _tile() -> bytes:
    """One plain 256 px PNG tile, made here (no tile server is reachable)."""
    out = io.BytesIO()
    Image.new("RGB", (256, 256), (236, 232, 222)).save(out, format="PNG")
    return out.getvalue()


_TILE = _tile()


def params(page: Page) -> dict[str, list[str]]:
    """The page's query parameters."""
    return parse_qs(urlsplit(page.url).query)


def pick(page: Page, label: str, option: str) -> None:
    """Choose `option` in the sidebar multiselect labelled `label`, then close it with Esc."""
    box = page.get_by_test_id("stSidebar").get_by_test_id("stMultiSelect").filter(
        has=page.get_by_test_id("stWidgetLabel").get_by_text(label, exact=True))
    # mid-sidebar first: a dropdown opened at the window's edge scrolls, and closes on scroll
    box.evaluate("(e) => e.scrollIntoView({block: 'center'})")
    box.click()
    page.get_by_role("option", name=option, exact=True).click()
    page.keyboard.press("Escape")


def open_panel(frame) -> None:
    """Unfold the map's legend-and-layers control where it starts folded (windows < 1400 px)."""
    panel = frame.get_by_test_id("atlas-panel")
    if "atlas-collapsed" in (panel.get_attribute("class") or ""):
        panel.locator(".atlas-panel-title").click()
    expect(panel).not_to_have_class(re.compile(r"\batlas-collapsed\b"))


def test_a_filter_updates_the_map_in_place(live_app: str, atlas: Atlas, desktop_page: Page) -> None:
    page = desktop_page
    frame = open_map(page, f"{live_app}/?basemap=none")
    expect(frame.locator(PROJECT_PATHS)).to_have_count(int(atlas.projects.geometry.notna().sum()))
    frame.evaluate("() => { window.map_div.setView([31.215, 121.40], 14, {animate: false}); window.__kept = 'yes'; }")
    before = frame.evaluate(VIEW_JS)
    applied = frame.evaluate("() => window.__atlasLive.applied")

    pick(page, "状态", atlas.vocab.status_label("operating", "zh"))

    frame.wait_for_function(f"() => window.__atlasLive.applied > {applied} && window.__atlasLive.ready")
    operating = atlas.projects[(atlas.projects["status"] == "operating") & atlas.projects.geometry.notna()]
    expect(frame.locator(PROJECT_PATHS)).to_have_count(len(operating))
    assert frame.evaluate("() => window.__kept") == "yes"  # the same document: not reloaded
    assert frame.evaluate("() => window.__atlasLive.baseLoads") == 1
    assert frame.evaluate(VIEW_JS) == before


def test_the_map_layer_control_hides_a_layer_at_once_and_the_page_follows(
        live_app: str, atlas: Atlas, desktop_page: Page) -> None:
    page = desktop_page
    frame = open_map(page, f"{live_app}/?basemap=none&lang=en")
    located = atlas.projects[atlas.projects.geometry.notna()]
    first = atlas.project_layers[0].id
    expect(frame.locator(PROJECT_PATHS)).to_have_count(len(located))
    # a mark on the layer box: a box rebuilt by the rerun would lose it (and unfold over a card)
    frame.evaluate("() => { document.querySelector('.atlas-layers').dataset.kept = 'yes'; }")
    open_panel(frame)
    legend = frame.locator(".atlas-legend")
    if "atlas-collapsed" not in (legend.get_attribute("class") or ""):
        legend.locator(".atlas-legend-title").click()  # folded by the user: stays folded
    renders, applied = frame.evaluate("() => [window.__atlasLive.renders, window.__atlasLive.applied]")
    control = frame.get_by_test_id("atlas-layer-control")
    if "atlas-collapsed" in (control.get_attribute("class") or ""):  # folded on a narrow map
        control.locator(".atlas-layers-title").click()

    control.locator(f'input[data-layer="{first}"]').uncheck()

    # hidden by the map itself, before any rerun reached it
    frame.wait_for_function(f"() => window.__atlasLive.applied > {applied} && window.__atlasLive.ready")
    expect(frame.locator(f"{PROJECT_PATHS}.atlas-layer-{first}")).to_have_count(0)
    expect(frame.locator(PROJECT_PATHS)).to_have_count(int((located["layer"] != first).sum()))
    # then the page's rerun: the layer filter in the URL and the sidebar, the same map
    page.wait_for_url(lambda url: "layer=" in url, timeout=TIMEOUT_MS)
    assert first not in params(page)["layer"][0].split(",")
    frame.wait_for_function(f"() => window.__atlasLive.renders > {renders} && window.__atlasLive.ready")
    expect(frame.locator(PROJECT_PATHS)).to_have_count(int((located["layer"] != first).sum()))
    assert frame.evaluate("() => document.querySelector('.atlas-layers').dataset.kept") == "yes"
    expect(frame.locator(".atlas-legend")).to_have_class(re.compile(r"\batlas-collapsed\b"))
    assert not frame.locator(f'input[data-layer="{first}"]').is_checked()

    # ticked again: every layer, and no layer filter left
    control.locator(f'input[data-layer="{first}"]').check()
    expect(frame.locator(PROJECT_PATHS)).to_have_count(len(located))
    page.wait_for_url(lambda url: "layer=" not in url, timeout=TIMEOUT_MS)


# the boxes of the open card and of every visible control of the map, inside the map frame
_BOXES_JS = """() => {
  const box = (e) => { const r = e.getBoundingClientRect();
                       return [r.left, r.top, r.right, r.bottom]; };
  const shown = (e) => e.offsetParent !== null && getComputedStyle(e).display !== "none";
  return { card: box(document.querySelector(".leaflet-popup")),
           controls: [...document.querySelectorAll(".leaflet-control")].filter(shown)
                       .map((e) => [e.className, box(e)]) };
}"""


@pytest.mark.parametrize("viewport", ["desktop", "phone"])
def test_an_open_card_is_never_under_a_control(live_app: str, browser: Browser,
                                               viewport: str) -> None:
    options = ({"viewport": {"width": 1366, "height": 900}} if viewport == "desktop" else PHONE)
    context = browser.new_context(**options)
    # a basemap (tiles of one colour, served here): its minimap is a control too
    context.route("**/tile.openstreetmap.org/**",
                  lambda route: route.fulfill(body=_TILE, content_type="image/png"))
    page = context.new_page()
    frame = open_map(page, f"{live_app}/?basemap=osm&lang=en&p=tianshan-park")
    expect(frame.locator('.atlas-card[data-project-id="tianshan-park"]')).to_be_visible()
    boxes = frame.evaluate(_BOXES_JS)
    left, top, right, bottom = boxes["card"]
    for name, (x0, y0, x1, y1) in boxes["controls"]:
        assert x1 <= left or x0 >= right or y1 <= top or y0 >= bottom, f"{name} covers the card"
    # the whole card is on the screen: inside the map and inside the window
    width, height = frame.evaluate("() => [window.innerWidth, window.innerHeight]")
    assert left >= 0 and top >= 0 and right <= width and bottom <= height, boxes["card"]
    map_top = page.locator(LIVE).bounding_box()["y"]
    assert map_top + bottom <= options["viewport"]["height"], (map_top, bottom)
    context.close()


def test_on_a_laptop_legend_and_layers_are_one_folded_control(live_app: str, browser: Browser) -> None:
    context = browser.new_context(viewport={"width": 1366, "height": 900}, locale="zh-CN")
    page = context.new_page()
    frame = open_map(page, f"{live_app}/?basemap=none")
    panel = frame.get_by_test_id("atlas-panel")
    expect(panel).to_have_class(re.compile(r"\batlas-collapsed\b"))
    expect(frame.locator(".leaflet-control.atlas-legend")).to_have_count(0)  # not a second box
    expect(panel.locator(".atlas-legend")).to_be_hidden()
    expect(panel.get_by_test_id("atlas-layer-control")).to_be_hidden()
    box = panel.bounding_box()
    assert box["width"] < 160 and box["height"] < 40, box  # one small title, not the legend
    panel.locator(".atlas-panel-title").click()
    expect(panel.locator(".atlas-legend")).to_be_visible()
    expect(panel.get_by_test_id("atlas-layer-control")).to_be_visible()
    context.close()


def test_a_filter_that_leaves_the_view_fits_the_map_to_the_selection(
        live_app: str, atlas: Atlas, desktop_page: Page) -> None:
    page = desktop_page
    frame = open_map(page, f"{live_app}/?basemap=none")
    # the west of the district, far from 汇川路
    frame.evaluate("() => window.map_div.setView([31.205, 121.36], 15, {animate: false})")
    applied, fits = frame.evaluate("() => [window.__atlasLive.applied, window.__atlasLive.fits]")
    office = atlas.projects.set_index("id").loc["huichuan-road-office"]
    label = atlas.spec("major_projects").legend_label(office["category"], "zh")
    pick(page, "类别", label)
    frame.wait_for_function(f"() => window.__atlasLive.applied > {applied} && window.__atlasLive.ready")
    assert frame.evaluate("() => window.__atlasLive.fits") == fits + 1
    minx, miny, maxx, maxy = office.geometry.bounds
    assert frame.evaluate("""([s, w, n, e]) => window.map_div.getBounds().contains([[s, w], [n, e]])""",
                          [miny, minx, maxy, maxx])


def test_a_link_with_a_project_and_a_view_keeps_the_view(live_app: str, desktop_page: Page) -> None:
    page = desktop_page
    frame = open_map(page, f"{live_app}/?basemap=none&p=tianshan-park&lat=31.21000&lon=121.40000&z=14")
    expect(frame.locator('.atlas-card[data-project-id="tianshan-park"]')).to_be_visible()
    lat, lon, zoom = frame.evaluate(VIEW_JS)
    assert (round(float(lat), 4), round(float(lon), 4), zoom) == (31.21, 121.4, 14)


def test_the_card_stays_open_across_a_language_switch(live_app: str, desktop_page: Page) -> None:
    page = desktop_page
    frame = open_map(page, f"{live_app}/?basemap=none&p=tianshan-park")
    card = frame.locator('.atlas-card[data-project-id="tianshan-park"]')
    expect(card).to_be_visible()
    expect(card.locator(".atlas-card-title")).to_have_text("天山公园整体提升开放")
    view = frame.evaluate(VIEW_JS)
    page.get_by_test_id("stSidebar").get_by_role("radio", name="English").click()
    frame.wait_for_function("() => window.__atlasLive.baseLoads === 2 && window.__atlasLive.ready")
    expect(card).to_have_count(1)  # the old card fades out (Leaflet's 200 ms) as the new one opens
    expect(card.locator(".atlas-card-title")).to_have_text(
        load_atlas().projects.set_index("id").loc["tianshan-park", "name_en"])
    assert frame.evaluate(VIEW_JS) == view


def test_a_click_on_a_feature_selects_its_row_and_writes_p(live_app: str, atlas: Atlas,
                                                            desktop_page: Page) -> None:
    page = desktop_page
    # no reference layers: a metro station's marker sits over the park's
    frame = open_map(page, f"{live_app}/?basemap=none&lang=en&ref=none")
    expect(page.get_by_test_id("stDataFrame").last.get_by_label("Clear selection")).to_have_count(0)
    x, y = frame.evaluate(POINT_JS, "tianshan-park")
    box = page.locator(LIVE).bounding_box()
    page.mouse.click(box["x"] + x, box["y"] + y)

    expect(frame.locator('.atlas-card[data-project-id="tianshan-park"]')).to_be_visible()
    page.wait_for_url(lambda url: "p=tianshan-park" in url, timeout=TIMEOUT_MS)
    wait_for_app(page)
    name = atlas.projects.set_index("id").loc["tianshan-park", "name_en"]
    expect(page.get_by_text(f"{t('focus', 'en')} {name}")).to_be_visible()
    # the table's row is selected (its toolbar offers to clear a selection only when there is one)
    table = page.get_by_test_id("stDataFrame").last
    expect(table.get_by_label("Clear selection")).to_have_count(1)


def test_a_search_zooms_to_its_results(live_app: str, atlas: Atlas, desktop_page: Page) -> None:
    page = desktop_page
    frame = open_map(page, f"{live_app}/?basemap=none")
    zoom = frame.evaluate(VIEW_JS)[2]
    applied = frame.evaluate("() => window.__atlasLive.applied")
    search = page.get_by_test_id("stSidebar").get_by_label(t("search", "zh"))
    search.fill("tianshan")
    search.press("Enter")
    frame.wait_for_function(f"() => window.__atlasLive.applied > {applied} && window.__atlasLive.ready")
    park = atlas.projects.set_index("id").loc["tianshan-park"].geometry
    inside = frame.evaluate("([lat, lon]) => window.map_div.getBounds().contains([lat, lon])",
                            [park.y, park.x])
    assert inside and frame.evaluate(VIEW_JS)[2] > zoom


def test_pan_and_zoom_go_to_the_url_and_the_version_too(live_app: str, desktop_page: Page) -> None:
    page = desktop_page
    frame = open_map(page, f"{live_app}/?basemap=none")
    renders = frame.evaluate("() => window.__atlasLive.renders")
    frame.evaluate("() => window.map_div.setView([31.2200, 121.4100], 15, {animate: false})")
    page.wait_for_url(lambda url: "z=15" in url, timeout=TIMEOUT_MS)
    shared = params(page)
    assert abs(float(shared["lat"][0]) - 31.22) < 1e-4 and abs(float(shared["lon"][0]) - 121.41) < 1e-4
    assert shared["v"][0]
    assert frame.evaluate("() => window.__atlasLive.renders") == renders  # no rerun for a pan

    # the permalink reopens the same view
    frame = open_map(page, page.url)
    lat, lon, zoom = frame.evaluate(VIEW_JS)
    assert abs(float(lat) - 31.22) < 1e-4 and abs(float(lon) - 121.41) < 1e-4 and zoom == 15


def test_an_old_version_in_a_link_gives_a_notice(live_app: str, desktop_page: Page) -> None:
    page = desktop_page
    open_map(page, f"{live_app}/?basemap=none&lang=en&v=0123-old")
    expect(page.get_by_test_id("stAlert").filter(
        has_text="The data has changed since this link was made")).to_be_visible()
    assert params(page)["v"][0] != "0123-old"


def test_the_view_survives_a_visit_to_another_page(live_app: str, atlas: Atlas,
                                                   desktop_page: Page) -> None:
    page = desktop_page
    open_map(page, f"{live_app}/?basemap=none&status=operating&q=park")
    sidebar = page.get_by_test_id("stSidebar")
    sidebar.get_by_role("link", name=t("about_page", "zh")).click()
    page.wait_for_url(lambda url: "/about" in url, timeout=TIMEOUT_MS)
    wait_for_app(page)
    assert params(page)["status"] == ["operating"] and params(page)["basemap"] == ["none"]
    sidebar.get_by_role("link", name=t("map_page", "zh")).click()
    wait_for_app(page)
    live_frame(page)
    expect(sidebar.get_by_label(t("search", "zh"))).to_have_value("park")
    status = sidebar.get_by_test_id("stMultiSelect").filter(
        has=page.get_by_test_id("stWidgetLabel").get_by_text("状态", exact=True))
    expect(status.get_by_test_id("stMultiSelectTagsContainer")).to_have_text(
        atlas.vocab.status_label("operating", "zh"))
    expect(sidebar.get_by_role("combobox", name=t("basemap", "zh"))).to_have_value("无底图")
    assert params(page)["status"] == ["operating"]


def test_a_language_switch_relabels_the_chosen_filters(live_app: str, atlas: Atlas,
                                                      desktop_page: Page) -> None:
    page = desktop_page
    open_map(page, f"{live_app}/?basemap=none&status=operating&ref=district_boundary")
    sidebar = page.get_by_test_id("stSidebar")
    sidebar.get_by_text(t("lang_en", "en"), exact=True).click()
    status = sidebar.get_by_test_id("stMultiSelect").filter(
        has=page.get_by_test_id("stWidgetLabel").get_by_text(t("status", "en"), exact=True))
    # the chosen values in English too, not the labels they were chosen with
    expect(status.get_by_test_id("stMultiSelectTagsContainer")).to_have_text(
        atlas.vocab.status_label("operating", "en"))
    refs = sidebar.get_by_test_id("stMultiSelect").filter(
        has=page.get_by_test_id("stWidgetLabel").get_by_text(t("ref_layers", "en"), exact=True))
    expect(refs.get_by_test_id("stMultiSelectTagsContainer")).to_have_text(
        atlas.spec("district_boundary").title("en"))
    expect(sidebar.get_by_role("combobox", name=t("basemap", "en"))).to_have_value(
        basemap_title("none", "en"))


def test_clear_filters_works_after_a_dropdown_closed_with_esc(live_app: str, atlas: Atlas,
                                                             desktop_page: Page) -> None:
    page = desktop_page
    frame = open_map(page, f"{live_app}/?basemap=none")
    applied = frame.evaluate("() => window.__atlasLive.applied")
    pick(page, "状态", atlas.vocab.status_label("operating", "zh"))
    frame.wait_for_function(f"() => window.__atlasLive.applied > {applied} && window.__atlasLive.ready")
    page.get_by_test_id("stSidebar").get_by_role("button", name=t("reset", "zh")).click()
    wait_for_app(page)
    expect(frame.locator(PROJECT_PATHS)).to_have_count(int(atlas.projects.geometry.notna().sum()))
    assert "status" not in params(page)


def test_a_map_that_cannot_load_does_not_hold_the_page_back(live_app: str, browser: Browser) -> None:
    """The first run draws the map alone and waits for its report of a first paint; a frame
    whose script is blocked never reports, and the controls and the table come anyway."""
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    context.route("**/atlas_live_map/live_map.js", lambda route: route.abort("blockedbyclient"))
    page = context.new_page()
    page.goto(f"{live_app}/?basemap=none&lang=en&q=park")
    sidebar = page.get_by_test_id("stSidebar")
    expect(sidebar).to_contain_text(t("live.controls_follow", "en"), timeout=TIMEOUT_MS)
    expect(sidebar.get_by_role("textbox")).to_have_count(0)
    # after MAP_FIRST_WAIT_S without the report: the whole page, with the link's values
    wait_ms = MAP_FIRST_WAIT_S * 1000 + TIMEOUT_MS
    expect(page.get_by_test_id("stDataFrame").first).to_be_visible(timeout=wait_ms)
    expect(sidebar.get_by_role("textbox", name=t("search", "en"))).to_have_value("park", timeout=TIMEOUT_MS)
    expect(sidebar).not_to_contain_text(t("live.controls_follow", "en"))
    context.close()


def test_failing_tiles_are_said_and_the_no_basemap_view_offered(live_app: str, browser: Browser) -> None:
    context = browser.new_context(viewport={"width": 1400, "height": 1000}, locale="zh-CN")
    # no internet: every tile request fails (and none leaves the machine)
    context.route("**/tile.openstreetmap.org/**", lambda route: route.abort("internetdisconnected"))
    page = context.new_page()
    page.goto(f"{live_app}/?basemap=osm")
    wait_for_app(page)
    frame = live_frame(page)
    expect(frame.locator(".leaflet-control-minimap")).to_have_count(1)  # a basemap: its minimap
    notice = frame.get_by_test_id("atlas-tile-error")
    expect(notice).to_contain_text(t("live.tile_error", "zh"))
    link = notice.get_by_role("link", name=t("live.tile_fallback", "zh"))
    assert parse_qs(urlsplit(link.get_attribute("href")).query)["basemap"] == ["none"]
    frame.evaluate("() => { window.__kept = 'yes'; }")
    link.click()
    page.wait_for_url(lambda url: "basemap=none" in url, timeout=TIMEOUT_MS)
    wait_for_app(page)
    expect(page.get_by_test_id("stSidebar").get_by_role("combobox", name=t("basemap", "zh"))
           ).to_have_value("无底图")
    frame.wait_for_function("() => window.__atlasLive.baseLoads === 2 && window.__atlasLive.ready")
    expect(frame.locator(".leaflet-control-minimap")).to_have_count(0)
    expect(frame.get_by_test_id("atlas-tile-error")).to_have_count(0)
    assert frame.evaluate("() => window.__kept") == "yes"  # the same map, now without tiles
    context.close()


@pytest.mark.parametrize("basemap", ["none", "amap"])
def test_a_tap_inside_the_district_sets_the_position(live_app: str, atlas: Atlas, browser: Browser,
                                                      basemap: str) -> None:
    context = browser.new_context(**PHONE, locale="zh-CN")
    # AMap tiles are answered here (no content), never fetched from the network
    context.route("**/*autonavi.com/**", lambda route: route.fulfill(status=204))
    page = context.new_page()
    page.goto(f"{live_app}/field?basemap={basemap}")
    wait_for_app(page)
    frame_el = page.locator(LIVE)
    frame_el.wait_for(state="visible", timeout=TIMEOUT_MS)
    frame = frame_el.element_handle().content_frame()
    frame.wait_for_function("() => window.__atlasLive && window.__atlasLive.ready"
                            " && window.__atlasLive.mode === 'pick'", timeout=TIMEOUT_MS)
    # tap on Tianshan Park: inside the district, on the outline's fill, on the basemap's grid
    park = atlas.projects.set_index("id").loc["tianshan-park"].geometry
    lon, lat = convert(park.x, park.y, "wgs84", "gcj02" if basemap == "amap" else "wgs84")
    x, y = frame.evaluate("""([lat, lon]) => { const m = window.map_div;
        m.setView([lat, lon], 15, {animate: false});
        const p = m.latLngToContainerPoint([lat, lon]); return [p.x, p.y + 40]; }""", [lat, lon])
    frame_el.evaluate("(e) => e.scrollIntoView({block: 'center'})")
    box = frame_el.bounding_box()
    page.mouse.click(box["x"] + x, box["y"] + y)
    shown = page.get_by_test_id("stAlert").filter(has_text=t("field.src_tap", "zh"))
    expect(shown).to_be_visible(timeout=TIMEOUT_MS)
    numbers = [float(v) for v in re.findall(r"\d+\.\d{4,}", shown.inner_text())]
    tapped_lat, tapped_lon = numbers[:2]
    # 40 px south of the park at zoom 15 (~4.8 m/px): in WGS-84, whatever the basemap
    assert abs(tapped_lon - park.x) < 0.0003, (tapped_lon, park.x)
    assert -0.0025 < tapped_lat - park.y < -0.0012, (tapped_lat, park.y)
    context.close()


def _halos_shown(atlas: Atlas, zoom: int, keep: Callable[[str], bool] = lambda pid: True) -> int:
    """How many uncertainty halos the map should show at `zoom`: larger than the 8 px symbol."""
    from app.map.halos import halo_rows

    ids = atlas.projects["id"].tolist()
    count = 0
    for row, lat, _, radius in halo_rows(atlas.projects, "wgs84"):
        per_pixel = 40075016.686 * np.cos(np.radians(lat)) / 2 ** (zoom + 8)
        count += keep(ids[row]) and radius / per_pixel > 8
    return count


def test_uncertainty_halos_follow_zoom_and_filter(live_app: str, atlas: Atlas, desktop_page: Page) -> None:
    page = desktop_page
    frame = open_map(page, f"{live_app}/?basemap=none&ref=none")
    expect(frame.locator(PROJECT_PATHS)).to_have_count(int(atlas.projects.geometry.notna().sum()))
    for zoom in (11, 16):
        frame.evaluate(f"() => window.map_div.setView([31.215, 121.40], {zoom}, {{animate: false}})")
        frame.wait_for_function(f"() => window.__atlasLive.halos === {_halos_shown(atlas, zoom)}")
    assert _halos_shown(atlas, 11) < _halos_shown(atlas, 16)  # a small radius hides under its symbol
    assert frame.locator("path.atlas-halo").count() == _halos_shown(atlas, 16)
    applied = frame.evaluate("() => window.__atlasLive.applied")
    pick(page, "状态", atlas.vocab.status_label("operating", "zh"))
    frame.wait_for_function(f"() => window.__atlasLive.applied > {applied} && window.__atlasLive.ready")
    status = atlas.projects.set_index("id")["status"]
    expected = _halos_shown(atlas, 16, lambda pid: status[pid] == "operating")
    assert expected < _halos_shown(atlas, 16)
    # a selection that left the view is fitted into it: back to the zoom the count is for
    frame.evaluate("() => window.map_div.setView([31.215, 121.40], 16, {animate: false})")
    frame.wait_for_function(f"() => window.__atlasLive.halos === {expected}")
