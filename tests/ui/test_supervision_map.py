"""Implementation supervision in a real browser: the map coloured by progress (SVG paths and the
canvas painter), its legend, two days compared on the map (a symbol per kind of change, the
old position ghosted) and in a table, and a bad comparison day refused with the view kept.

The store is seeded from the curated register with a few planner changes dated after
2025-06-01: a completion, a moved point, a redrawn outline, a new stage and a lead agency with a
target date. Waits are explicit: the app's run state, elements, the live map's flags.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import replace
from urllib.parse import parse_qs, urlsplit

import pytest
import shapely
from playwright.sync_api import Browser, Frame, expect

from app.bench.render import serve
from app.bench.synthetic import synthetic_atlas
from app.data.atlas import Atlas, load_atlas
from app.data.living import SEED_DATE, Edit
from app.domain.i18n import t
from app.domain.viewstate import district_today
from app.map.assets import localize
from app.map.builder import build_map
from app.map.supervision import PROGRESS_COLOURS
from app.service.compare import compare_days

from .conftest import APP_TIMEOUT_MS, PHONE, REPO, open_map

APP = REPO / "streamlit_app.py"
DESKTOP = {"viewport": {"width": 1366, "height": 900}}
TODAY = district_today().isoformat()
OVERDUE = "qingchi-road-care-home"  # 竣工 in 2025, located, nothing recorded since
MOVED = "tianshan-park"  # a point a planner moved
RESHAPED = "hongkaifa-renewal"  # an outline a planner redrew
STAGED = "intex-renewal"  # a new stage: construction started

#: The fill colour of a project's SVG feature in the map frame (null when not drawn).
FILL_JS = """(id) => { let out = null;
  window.map_div.eachLayer((l) => { if (l.feature && l.feature.properties.id === id && l.options
      && l.options.fillColor) { out = l.options.fillColor; } });
  return out; }"""


@pytest.fixture(scope="module")
def atlas() -> Atlas:
    return load_atlas()


@pytest.fixture(scope="module")
def store_path(tmp_path_factory: pytest.TempPathFactory, atlas: Atlas):
    from app.service.living import seed_register
    from app.store import open_store

    path = tmp_path_factory.mktemp("supervision") / "store.sqlite"
    store = open_store(path)
    seed_register(store, atlas, today=SEED_DATE)
    store.add_changes([
        Edit("jingyao-hongqiao", "planner", "planner-a", "竣工验收", {},
             {"stage_entry": {"stage": "completed", "date": "2025-12-10", "source": "竣工验收备案"}},
             effective="2025-12-12"),
        Edit(MOVED, "planner", "planner-a", "现场核实", {},
             {"geometry": "POINT (121.4035 31.2145)", "precision": "site", "pos_method": "drawn"},
             effective="2025-09-01"),
        Edit(RESHAPED, "planner", "planner-a", "控规单元", {},
             {"geometry": shapely.box(121.3900, 31.2050, 121.3950, 31.2090).wkt},
             effective="2025-09-01"),
        Edit("huichuan-road-office", "planner", "planner-a", "明确牵头单位", {},
             {"lead_agency": "区建管委", "target_date": "2027-06-30"}, effective="2025-10-01"),
        Edit(STAGED, "planner", "planner-a", "施工许可", {},
             {"stage_entry": {"stage": "construction", "date": "2025-08-01", "source": "施工许可"}},
             effective="2025-08-02"),
    ])
    return path


@pytest.fixture(scope="module")
def supervision_app(app_server: Callable[..., str], store_path) -> str:
    return app_server(APP, cwd=REPO, env={"ATLAS_STORE": str(store_path)})


def params(url: str) -> dict[str, list[str]]:
    return parse_qs(urlsplit(url).query)


def test_the_map_coloured_by_progress(supervision_app: str, browser: Browser, atlas: Atlas,
                                      screenshot: Callable) -> None:
    context = browser.new_context(**DESKTOP, locale="en-GB")
    page = context.new_page()
    frame = open_map(page, f"{supervision_app}/?basemap=none&lang=en&ref=none&colour=progress")
    assert frame.evaluate(FILL_JS, OVERDUE) == PROGRESS_COLOURS["target_passed"]
    assert frame.evaluate(FILL_JS, MOVED) == PROGRESS_COLOURS["no_target"]
    legend = frame.locator(".atlas-legend")
    expect(legend).to_contain_text(t("supervision.legend", "en").format(day=TODAY))
    expect(legend).to_contain_text("Target passed, no completion recorded")
    # the summary beside the map counts the selection by progress
    expect(page.get_by_test_id("stMainBlockContainer").get_by_text(
        t("supervision.summary", "en"), exact=True)).to_be_visible()
    screenshot(page, "supervision-colour-by-progress-desktop")

    # back to the layers' colours: the same features, their own colours again
    own = frame.evaluate(FILL_JS, OVERDUE)
    page.get_by_test_id("stSidebar").get_by_text(t("supervision.colour_category", "en")).click()
    frame.wait_for_function("() => window.__atlasLive.tone === null && window.__atlasLive.ready",
                            timeout=APP_TIMEOUT_MS)
    assert frame.evaluate(FILL_JS, OVERDUE) not in (own, None)
    page.wait_for_url(lambda url: "colour=" not in url, timeout=APP_TIMEOUT_MS)
    context.close()


def _changes_shown(frame: Frame) -> dict[str, list[str]]:
    """The change symbols on the map: kind -> project ids."""
    found: dict[str, list[str]] = {}
    for kind, pid in frame.evaluate("""() => Array.from(
            document.querySelectorAll('.atlas-change-symbol')).map(
            (e) => [e.getAttribute('data-change'), e.getAttribute('data-project-id')])"""):
        found.setdefault(kind, []).append(pid)
    return found


def test_two_days_compared_on_the_map_and_in_the_table(supervision_app: str, browser: Browser,
                                                        atlas: Atlas, store_path,
                                                        screenshot: Callable) -> None:
    from app.store import open_store

    expected = compare_days(atlas, open_store(store_path), "2025-06-01")
    context = browser.new_context(**DESKTOP, locale="en-GB")
    page = context.new_page()
    frame = open_map(page, f"{supervision_app}/?basemap=none&lang=en&ref=none&compare=2025-06-01")
    frame.wait_for_function(f"() => window.__atlasLive.compare === {len(expected)}",
                            timeout=APP_TIMEOUT_MS)
    located = expected[expected.geometry.notna()]
    symbols = _changes_shown(frame)
    assert sorted(p for ids in symbols.values() for p in ids) == sorted(located["project_id"])
    assert symbols["moved"] == [MOVED] and symbols["reshaped"] == [RESHAPED]
    assert symbols["stage"] == [STAGED]
    # the old position of the move and the old outline are drawn dashed
    ghosts = frame.evaluate("""() => { let n = 0; window.map_div.eachLayer((l) => {
        if (l.feature && l.feature.properties.role === 'ghost') { n++; } }); return n; }""")
    assert ghosts == 2
    legend = frame.locator(".atlas-legend")
    expect(legend).to_contain_text(t("supervision.legend_changes", "en").format(day="2025-06-01"))
    expect(legend).to_contain_text(t("supervision.ghost", "en"))

    heading = page.get_by_text(t("supervision.changes", "en").format(old="2025-06-01", new=TODAY))
    expect(heading).to_be_visible()
    expect(page.get_by_text(t("supervision.changes_count", "en").format(n=len(expected)))).to_be_visible()
    heading.scroll_into_view_if_needed()
    screenshot(page, "supervision-compare-desktop")

    # a symbol's click selects its project, as a feature's does (the legend-and-layers control
    # folded first -- it starts so on a window this size -- as unfolded it covers the district)
    panel = frame.get_by_test_id("atlas-panel")
    if "atlas-collapsed" not in (panel.get_attribute("class") or ""):
        panel.locator(".atlas-panel-title").click()
    expect(panel).to_have_class(re.compile(r"\batlas-collapsed\b"))
    frame.evaluate("""(id) => window.map_div.eachLayer((l) => { if (l.feature && l.getLatLng
        && l.feature.properties.role === 'marker' && l.feature.properties.id === id) {
        window.map_div.setView(l.getLatLng(), 15, {animate: false}); } })""", MOVED)
    frame.locator(f'.atlas-change-symbol[data-project-id="{MOVED}"]').click()
    page.wait_for_url(lambda url: params(url).get("p") == [MOVED], timeout=APP_TIMEOUT_MS)
    context.close()


def test_compare_on_a_phone(supervision_app: str, browser: Browser, screenshot: Callable) -> None:
    context = browser.new_context(**PHONE, locale="zh-CN")
    page = context.new_page()
    frame = open_map(page, f"{supervision_app}/?basemap=none&ref=none&colour=progress&compare=2025-06-01")
    frame.wait_for_function("() => window.__atlasLive.compare > 0", timeout=APP_TIMEOUT_MS)
    assert frame.evaluate(FILL_JS, OVERDUE) == PROGRESS_COLOURS["target_passed"]
    screenshot(page, "supervision-compare-phone")
    heading = page.get_by_text(t("supervision.changes", "zh").format(old="2025-06-01", new=TODAY))
    heading.scroll_into_view_if_needed()
    expect(heading).to_be_visible()
    screenshot(page, "supervision-changes-table-phone")
    context.close()


@pytest.mark.parametrize("query,lang,message", [
    ("compare=2024-12-01", "en", "Cannot compare: the comparison day 2024-12-01 is before the work report"),
    ("asof=2025-06-30&compare=2025-07-05", "zh", "无法对比:对比日期 2025-07-05 不早于查看日期 2025-06-30"),
])
def test_a_bad_comparison_day_is_refused_and_the_view_stays(supervision_app: str, browser: Browser,
                                                            atlas: Atlas, query: str, lang: str,
                                                            message: str) -> None:
    context = browser.new_context(**DESKTOP, locale="en-GB")
    page = context.new_page()
    frame = open_map(page, f"{supervision_app}/?basemap=none&ref=none&lang={lang}&{query}")
    expect(page.get_by_test_id("stAlert").filter(has_text=message)).to_have_count(1)
    assert frame.evaluate("() => window.__atlasLive.compare") is None
    page.wait_for_url(lambda url: "compare=" not in url, timeout=APP_TIMEOUT_MS)
    if "asof=" in query:
        assert params(page.url)["asof"] == ["2025-06-30"]  # the day shown stays
    expect(page.get_by_test_id("stHeading").filter(has_text="2025-0")).to_have_count(0)  # no table
    context.close()


def test_the_canvas_painter_colours_by_progress(browser: Browser, atlas: Atlas) -> None:
    """City-scale layers are painted on a canvas: colour by progress repaints them there."""
    city = synthetic_atlas(atlas, 600, "point", seed=5)
    frame = city.projects.copy()
    frame.loc[frame.index[0], "geometry"] = shapely.Point(121.3935, 31.2105)
    city = replace(city, projects=frame)
    pid = str(frame["id"].iloc[0])
    html = localize(build_map(city, city.projects, basemap="none", svg_max=0)).get_root().render()
    colour = PROGRESS_COLOURS["target_passed"]
    map_js = "Object.values(window).find((v) => v instanceof L.Map)"
    pixel_js = f"""async (id) => {{ const map = {map_js}, atlas = window.atlasMap;
        const painter = atlas.canvas(map), found = await painter.find(id);
        const p = map.latLngToLayerPoint(painter.anchor(found[0], found[1]));
        const canvas = document.querySelector('canvas.atlas-canvas'), b = painter._bounds;
        const k = canvas.width / (b.max.x - b.min.x);
        return Array.from(canvas.getContext('2d').getImageData(
            Math.round((p.x - b.min.x) * k), Math.round((p.y - b.min.y) * k), 1, 1).data); }}"""
    with serve({"canvas.html": html}) as base:
        context = browser.new_context(viewport={"width": 1000, "height": 700})
        page = context.new_page()
        page.goto(f"{base}/pages/canvas.html")
        page.wait_for_function("window.__drawn !== undefined", timeout=APP_TIMEOUT_MS)
        page.evaluate(f"() => {map_js}.setView([31.2105, 121.3935], 18, {{animate: false}})")
        page.evaluate(f"() => window.atlasMap.canvas({map_js}).whenReady()")
        before = page.evaluate(pixel_js, pid)
        page.evaluate(f"""(id) => window.atlasMap.canvas({map_js}).tone(
            (other) => other === id ? {json.dumps(colour)} : null)""", pid)
        after = page.evaluate(pixel_js, pid)
        rgb = [int(colour[i:i + 2], 16) for i in (1, 3, 5)]
        assert before[:3] != after[:3]
        assert all(abs(a - b) <= 40 for a, b in zip(after[:3], rgb, strict=True)), (after, rgb)
        page.evaluate(f"() => window.atlasMap.canvas({map_js}).tone(null)")
        assert page.evaluate(pixel_js, pid)[:3] == before[:3]
        context.close()
