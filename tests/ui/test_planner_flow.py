"""A planner places an unlocated project by drawing its boundary with the Leaflet.draw toolbar;
a reviewer accepts it; the map page counts one unlocated project fewer and the GeoJSON export
carries the boundary. A planner uploads a zipped Shapefile in UTM 51N instead. Also: the planner
page on a phone, for a person to see."""

from __future__ import annotations

import json
import re
import zipfile
from datetime import timedelta
from pathlib import Path

import geopandas as gpd
import pytest
import shapely
from playwright.sync_api import Browser, Page, expect

from app.data.atlas import load_atlas
from app.domain.viewstate import district_today
from app.store import Store
from tests.ui.conftest import (
    LIVE,
    PHONE,
    assert_only_local_requests,
    record_requests,
    wait_for_app,
    wait_for_map,
)

REPO = Path(__file__).resolve().parents[2]
DESKTOP_WIDE = {"viewport": {"width": 1366, "height": 900}}
SECRETS = {"ATLAS_PLANNER_SECRET": "plan-pass", "ATLAS_REVIEW_SECRET": "review-pass"}


@pytest.fixture(scope="module")
def atlas_app(app_server, tmp_path_factory) -> tuple[str, Path]:
    store = tmp_path_factory.mktemp("planner") / "store.sqlite"
    url = app_server(REPO / "streamlit_app.py", cwd=REPO, env={"ATLAS_STORE": str(store), **SECRETS})
    return url, store


def sign_in(page: Page, name: str, passphrase: str) -> None:
    page.get_by_label("姓名").fill(name)
    page.get_by_label("小组/单位").fill("规划科")
    page.get_by_label("口令").fill(passphrase)
    page.get_by_role("button", name="登录").click()
    wait_for_app(page)


def unlocated_on_map_page(page: Page, url: str, query: str = "") -> int:
    """The unlocated count the map page states (all projects, no filter)."""
    page.goto(f"{url}/?basemap=none{query}")
    wait_for_app(page)
    line = page.get_by_text(re.compile(r"共 \d+ 个项目符合筛选")).first
    expect(line).to_be_visible()
    return int(re.search(r"未定位 (\d+) 个", line.inner_text())[1])


def draw_square(page: Page) -> None:
    """Draw a polygon of four clicks around the map's centre with the toolbar, and finish it.

    Leaflet.draw ignores a click that comes within 50 ms of the previous one (it takes it for
    part of a double click), so each click is repeated until its vertex is on the map.
    """
    frame = wait_for_map(page)
    frame.locator("a.leaflet-draw-draw-polygon").click()
    box = frame.locator(".leaflet-container").first.bounding_box()
    cx, cy = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    vertices = frame.locator(".leaflet-editing-icon")
    for n, (dx, dy) in enumerate(((-40, -30), (40, -30), (40, 30), (-40, 30)), start=1):
        for _ in range(10):
            page.mouse.click(cx + dx, cy + dy)
            try:
                expect(vertices).to_have_count(n, timeout=500)
                break
            except AssertionError:
                continue
        expect(vertices).to_have_count(n)
    frame.get_by_role("link", name="完成", exact=True).click()


def test_planner_draws_a_boundary_reviewer_accepts_and_the_map_and_export_show_it(
        browser: Browser, atlas_app, screenshot):
    url, store = atlas_app
    atlas = load_atlas()
    context = browser.new_context(locale="zh-CN", **DESKTOP_WIDE)
    page = context.new_page()
    log = record_requests(page)
    before = unlocated_on_map_page(page, url)
    assert before == int(atlas.projects.geometry.isna().sum())

    # the planner: sign in, the picker starts on an unlocated project
    page.goto(f"{url}/planner?basemap=none")
    wait_for_app(page)
    sign_in(page, "李规划", "plan-pass")
    picker = page.get_by_role("combobox", name="选择项目")
    shown = picker.input_value()
    assert shown.endswith(" · 未定位")
    name = shown.removesuffix(" · 未定位")
    project_id = atlas.projects.set_index("name_zh").loc[name, "id"]
    expect(page.get_by_text(f"其中 {before} 个尚未定位")).to_be_visible()

    # the drawing map has the district around it offline: projects, metro, roads
    frame = wait_for_map(page)
    located = int(atlas.projects.geometry.notna().sum())
    expect(frame.locator("path.atlas-project")).to_have_count(located)
    expect(frame.locator("path.atlas-layer-metro_stations")).to_have_count(
        len(atlas.reference_frame(atlas.spec("metro_stations"))))
    expect(frame.locator("path.atlas-layer-road_sketches").first).to_be_attached()

    # drawn at the district's scale: a square of about a hundred hectares, for a civic centre
    draw_square(page)
    wait_for_app(page)
    expect(page.get_by_text(re.compile(r"新的几何:\s*多边形,4 个顶点 · 用地面积 [\d,]+ 平方米"))).to_be_visible()
    expect(page.get_by_text(re.compile(r"明显偏大"))).to_be_visible()  # said before the save
    screenshot(page, "planner-desktop-drawn")
    page.get_by_label("修改原因(必填)").fill("设计院提供的红线图")
    page.get_by_role("button", name="保存修改").click()
    wait_for_app(page)
    expect(page.get_by_text(re.compile(r"未保存:新几何的面积.*须先勾选确认"))).to_be_visible()
    assert Store(store).changes(project_id=project_id).query("source == 'planner'").empty
    page.get_by_text("我已核对,该尺寸无误", exact=False).click()
    page.get_by_role("button", name="保存修改").click()
    wait_for_app(page)
    expect(page.get_by_text("等待审核人通过后生效")).to_be_visible()
    pending = Store(store).changes(project_id=project_id, status="pending")
    assert pending["actor"].tolist() == ["李规划"]
    new = json.loads(pending["new"].iloc[0])
    drawn = shapely.from_wkt(new["geometry"])
    assert drawn.geom_type == "Polygon" and len(drawn.exterior.coords) == 5
    assert new["_size_check"]["measure"] == "area" and new["_size_check"]["ratio"] > 3
    assert_only_local_requests(log)  # Leaflet.draw came from this server too

    # a reviewer (another person, another browser) accepts it
    reviewer = browser.new_context(locale="zh-CN", **DESKTOP_WIDE).new_page()
    reviewer.goto(f"{url}/review?basemap=none")
    wait_for_app(reviewer)
    sign_in(reviewer, "赵审核", "review-pass")
    expect(reviewer.get_by_text("规划师的修改")).to_be_visible()
    expect(reviewer.get_by_text("设计院提供的红线图").first).to_be_visible()
    # marked for the reviewer; words and a map (recorded and proposed), never WKT
    expect(reviewer.get_by_text(re.compile(r"尺寸异常,规划师已确认"))).to_be_visible()
    review_map = wait_for_map(reviewer)
    expect(review_map.locator("path.atlas-overlay-new")).to_have_count(1)
    expect(reviewer.get_by_text(re.compile(r"POLYGON|WKT"))).to_have_count(0)
    expect(reviewer.get_by_text(re.compile(r"drawn in the app|gazetteer place"))).to_have_count(0)
    reviewer.get_by_label("审核意见(必填)").last.fill("与规划图一致")
    reviewer.get_by_role("button", name="通过").last.click()
    wait_for_app(reviewer)
    expect(reviewer.get_by_text(re.compile(r"已通过修改 #\d+"))).to_be_visible()
    reviewer.context.close()

    # the map page: one unlocated project fewer; the GeoJSON export holds the boundary
    assert unlocated_on_map_page(page, url) == before - 1
    with page.expect_download() as download:
        page.get_by_role("button", name="GeoJSON").click()
    exported = json.loads(Path(download.value.path()).read_text(encoding="utf-8"))
    feature = next(f for f in exported["features"] if f["properties"]["id"] == project_id)
    assert feature["geometry"]["type"] == "Polygon"
    assert shapely.geometry.shape(feature["geometry"]).normalize().equals_exact(drawn.normalize(), 1e-6)

    # its card on the live map: a site now, with its area
    page.goto(f"{url}/?basemap=none&ref=none&p={project_id}")
    card = wait_for_map(page).locator(f'.atlas-card[data-project-id="{project_id}"]')
    expect(card).to_be_visible()
    expect(card.locator('tr[data-field="site_area"]')).to_contain_text("平方米")

    # the same map as of the day before the change: the project is unlocated again
    yesterday = (district_today() - timedelta(days=1)).isoformat()
    assert unlocated_on_map_page(page, url, f"&asof={yesterday}") == before
    context.close()


def test_planner_uploads_a_zipped_shapefile_in_utm(browser: Browser, atlas_app, tmp_path):
    url, store = atlas_app
    site = shapely.box(121.4080, 31.2120, 121.4092, 31.2129)  # beside 天山公园
    folder = tmp_path / "shp"
    folder.mkdir()
    gpd.GeoDataFrame({"name": ["红线"]}, geometry=[site], crs="EPSG:4326").to_crs(32651) \
        .to_file(folder / "site.shp", engine="pyogrio")
    archive = tmp_path / "红线.zip"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as z:
        for part in folder.iterdir():
            z.write(part, part.name)
    context = browser.new_context(locale="zh-CN", **DESKTOP_WIDE)
    page = context.new_page()
    page.goto(f"{url}/planner?basemap=none")
    wait_for_app(page)
    sign_in(page, "李规划", "plan-pass")
    page.get_by_role("combobox", name="选择项目").click()
    page.keyboard.type("天山公园整体提升开放")
    page.keyboard.press("Enter")
    wait_for_app(page)
    page.get_by_text("上传边界文件", exact=True).click()
    wait_for_app(page)
    page.locator('input[type="file"]').set_input_files(str(archive))
    wait_for_app(page)
    expect(page.get_by_text("文件注明其坐标系为 EPSG:32651")).to_be_visible()
    expect(page.get_by_text(re.compile(r"新的几何:\s*多边形,4 个顶点 · 用地面积"))).to_be_visible()
    wait_for_map(page)
    page.get_by_label("修改原因(必填)").fill("设计院红线图(Shapefile)")
    page.get_by_role("button", name="保存修改").click()
    wait_for_app(page)
    expect(page.get_by_text("等待审核人通过后生效")).to_be_visible()
    pending = Store(store).changes(project_id="tianshan-park", status="pending")
    new = json.loads(pending["new"].iloc[-1])
    assert new["pos_method"] == "uploaded"
    assert shapely.from_wkt(new["geometry"]).normalize().equals_exact(site.normalize(), 1e-6)
    context.close()


def test_planner_page_on_a_phone(browser: Browser, atlas_app, screenshot):
    url, _store = atlas_app
    context = browser.new_context(locale="zh-CN", **PHONE)
    page = context.new_page()
    page.goto(f"{url}/planner?basemap=none")
    wait_for_app(page)
    sign_in(page, "李规划", "plan-pass")
    frame = wait_for_map(page)
    expect(frame.locator("a.leaflet-draw-draw-polygon")).to_be_visible()
    container = frame.locator(".leaflet-container").first
    assert container.bounding_box()["width"] >= 300
    expect(page.get_by_role("button", name="保存修改")).to_be_visible()
    # a place to go to: the map goes there
    park = load_atlas().places["poi-tianshangongyuan"].geometry
    live = page.locator(LIVE).element_handle().content_frame()
    live.wait_for_function("() => window.__atlasLive && window.__atlasLive.ready")
    page.get_by_role("combobox", name=re.compile("转到地点")).click()
    page.keyboard.type("天山公园")
    page.get_by_role("option", name="天山公园", exact=True).click()
    wait_for_app(page)
    live.wait_for_function("([lat, lon]) => window.map_div.getZoom() >= 15 && "
                           "window.map_div.getBounds().contains([lat, lon])", arg=[park.y, park.x])
    screenshot(page, "planner-phone")
    context.close()
