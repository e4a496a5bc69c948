"""The field page on a phone: the browser's position reaches Python and the nearest projects
are listed with plausible distances; a signed-in worker's confirmation is stored."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import Browser, expect

from app.data.atlas import load_atlas
from app.store import Store
from tests.ui.conftest import PHONE, assert_only_local_requests, record_requests, wait_for_app

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def field_app(app_server, tmp_path_factory) -> tuple[str, Path]:
    store = tmp_path_factory.mktemp("field") / "store.sqlite"
    url = app_server(REPO / "streamlit_app.py", cwd=REPO,
                     env={"ATLAS_STORE": str(store), "ATLAS_FIELD_SECRET": "field-pass"})
    return url, store


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
    # the map drew, phone-sized
    frame = page.frame_locator('iframe[title="streamlit_folium.st_folium"]')
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
    # sign in and confirm the first (nearest) project
    page.get_by_label("姓名").fill("王工")
    page.get_by_label("小组/单位").fill("一组")
    page.get_by_label("口令").fill("field-pass")
    page.get_by_role("button", name="登录").click()
    wait_for_app(page)
    page.get_by_role("button", name="提交").click()
    expect(page.get_by_text("已保存")).to_be_visible(timeout=30_000)
    subs = Store(store).submissions()
    assert subs["submitted_by"].tolist() == ["王工"]
    assert subs.loc[0, "accuracy_m"] == 15
    assert_only_local_requests(log)
    context.close()
