"""The field page on a phone: the browser's position reaches Python and the nearest projects
are listed with plausible distances; a signed-in worker's confirmation is stored; a tap on the
map beside another project's geometry sets the position and never the project."""

from __future__ import annotations

from pathlib import Path

import pytest
import shapely
from playwright.sync_api import Browser, Page, expect

from app.data.atlas import load_atlas
from app.geo.geocode import to_metric
from app.store import Store
from tests.ui.conftest import (
    LIVE,
    PHONE,
    assert_only_local_requests,
    record_requests,
    wait_for_app,
)

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def field_app(app_server, tmp_path_factory) -> tuple[str, Path]:
    store = tmp_path_factory.mktemp("field") / "store.sqlite"
    url = app_server(REPO / "streamlit_app.py", cwd=REPO,
                     env={"ATLAS_STORE": str(store), "ATLAS_FIELD_SECRET": "field-pass"})
    return url, store


def sign_in(page: Page, team: str) -> None:
    """Sign in as 王工 of `team` with the field team's passphrase."""
    page.get_by_label("姓名").fill("王工")
    page.get_by_label("小组/单位").fill(team)
    page.get_by_label("口令").fill("field-pass")
    page.get_by_role("button", name="登录").click()
    wait_for_app(page)


def test_located_phone_lists_nearest_projects_and_stores_a_confirmation(browser: Browser, field_app, screenshot):
    url, store = field_app
    station = load_atlas().places["metro-l3-yananxilu"].geometry  # beside 延安西路 station
    context = browser.new_context(**PHONE, locale="zh-CN", permissions=["geolocation"],
                                  geolocation={"latitude": station.y, "longitude": station.x,
                                               "accuracy": 15})
    page = context.new_page()
    log = record_requests(page)
    page.goto(f"{url}/field?basemap=none")
    wait_for_app(page)
    locate = page.frame_locator('iframe[title="streamlit_geolocation.streamlit_geolocation"]')
    locate.locator("button").click()
    expect(page.get_by_text("设备定位")).to_be_visible(timeout=30_000)
    expect(page.get_by_text("精度约 ±15 米")).to_be_visible()
    table = page.get_by_test_id("stTable").first
    expect(table).to_be_visible()
    rows = [[c.strip() for c in row.locator("th, td").all_inner_texts()]
            for row in table.locator("tbody tr").all()]
    assert len(rows) == 5
    at_zero = [name for dist, _, name in rows if dist == "0"]
    assert any("桥下空间" in name for name in at_zero)  # standing under the viaduct
    dist, direction, _ = next(r for r in rows if r[2] == "天山公园整体提升开放")
    assert 100 <= int(dist) <= 300 and direction == "西"
    # the map drew, phone-sized, the worker's position on it
    frame = page.frame_locator(LIVE)
    container = frame.locator("#map_div")
    expect(container).to_be_visible()
    assert container.bounding_box()["width"] >= 300
    expect(frame.locator(".atlas-here")).to_have_count(1)
    screenshot(page, "field-phone")
    # the picker starts on the nearest project; a tap on another in the list selects it
    picker = page.get_by_role("combobox", name="选择项目")
    expect(picker).to_have_value(rows[0][2])
    page.get_by_role("radio", name="天山公园整体提升开放", exact=True).click()  # a pill
    wait_for_app(page)
    expect(picker).to_have_value("天山公园整体提升开放")
    # sign in and confirm it
    sign_in(page, "一组")
    page.get_by_role("button", name="提交").click()
    expect(page.get_by_text("已保存")).to_be_visible(timeout=30_000)
    subs = Store(store).submissions()
    assert subs["submitted_by"].tolist() == ["王工"]
    assert subs.loc[0, "accuracy_m"] == 15
    assert_only_local_requests(log)
    context.close()


def _located_phone(browser: Browser, url: str, where: shapely.Point) -> Page:
    """A phone at `where` (WGS-84) on the field page, located, the map drawn."""
    context = browser.new_context(**PHONE, locale="zh-CN", permissions=["geolocation"],
                                  geolocation={"latitude": where.y, "longitude": where.x,
                                               "accuracy": 15})
    page = context.new_page()
    page.goto(f"{url}/field?basemap=none")
    wait_for_app(page)
    page.frame_locator('iframe[title="streamlit_geolocation.streamlit_geolocation"]').locator("button").click()
    expect(page.get_by_text("设备定位")).to_be_visible(timeout=30_000)
    wait_for_app(page)
    page.locator(LIVE).element_handle().content_frame().wait_for_function(
        "() => window.__atlasLive && window.__atlasLive.ready && "
        "document.querySelectorAll('.atlas-here').length === 1")
    return page


def test_a_tap_beside_another_projects_geometry_sets_the_position_not_the_project(
        browser: Browser, field_app):
    url, store = field_app
    atlas = load_atlas()
    station = atlas.places["metro-l3-yananxilu"].geometry
    page = _located_phone(browser, url, station)
    picker = page.get_by_role("combobox", name="选择项目")
    # the worker picks the park from the nearest list (not the nearest project)
    page.get_by_role("radio", name="天山公园整体提升开放", exact=True).click()
    wait_for_app(page)
    expect(picker).to_have_value("天山公园整体提升开放")
    sign_in(page, "二组")
    expect(picker).to_have_value("天山公园整体提升开放")

    # a tap on the viaduct's under-space line, 120 m south of the station
    viaduct = atlas.projects.set_index("id").loc["viaduct-underspace-yananxi-hongqiao"].geometry
    spot = viaduct.interpolate(viaduct.project(station) + 0.0012)
    assert to_metric(spot).distance(to_metric(viaduct)) < 1
    frame = page.locator(LIVE).element_handle().content_frame()
    page.locator(LIVE).evaluate("(e) => e.scrollIntoView({block: 'center'})")
    x, y = frame.evaluate("([lat, lon]) => { const p = window.map_div.latLngToContainerPoint([lat, lon]);"
                          " return [p.x, p.y]; }", [spot.y, spot.x])
    box = page.locator(LIVE).bounding_box()
    assert 0 < x < box["width"] and 0 < y < box["height"], "the spot is off the map"
    page.touchscreen.tap(box["x"] + x, box["y"] + y)
    expect(page.get_by_text("地图点选")).to_be_visible(timeout=30_000)
    wait_for_app(page)
    assert frame.evaluate("() => window.__atlasLive.picks") == 1
    # the project stays the park: in the picker and in the pills
    expect(picker).to_have_value("天山公园整体提升开放")

    page.get_by_text("位置需要更正", exact=True).click()
    page.get_by_label("说明(更正时必填)").fill("公园入口在桥下东侧")
    page.get_by_role("button", name="提交").click()
    expect(page.get_by_text("已保存")).to_be_visible(timeout=30_000)
    subs = Store(store).submissions()
    row = subs[subs["team"] == "二组"].iloc[-1]
    assert row["project_id"] == "tianshan-park"
    assert row["kind"] == "correct"
    tapped = shapely.Point(row["lon"], row["lat"])
    assert to_metric(tapped).distance(to_metric(viaduct)) < 15  # where the tap was: by the viaduct
    page.context.close()
