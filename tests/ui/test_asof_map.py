"""The map as of a day, in a real browser: before the report no project is drawn and the page
says so; after it the projects are back, and a project's card shows its stage history as a
timeline (with the planner's later entry, agency and links) -- on a desktop and on a phone.

The store is seeded from the curated register and given one planner change for Tianshan Park
before the app starts: a construction stage dated 2025-03-10 (recorded on 2025-03-12), a lead
agency and two links, one of them a ``javascript:`` address that must never become a link.
Waits are explicit: the app's run state, elements, and the live map's ``ready`` flag.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from playwright.sync_api import Browser, Frame, Page, expect

from app.data.atlas import Atlas, load_atlas
from app.data.living import SEED_DATE, Edit
from app.domain.i18n import t

from .conftest import PHONE, live_frame, open_map, wait_for_app

REPO = Path(__file__).resolve().parents[2]
APP = REPO / "streamlit_app.py"
TIMEOUT_MS = 30_000
PROJECT_PATHS = "#map_div > .leaflet-map-pane path.atlas-project"
PID = "tianshan-park"
LINK = "https://www.shcn.gov.cn/tianshan?id=1&lang=zh"
DESKTOP = {"viewport": {"width": 1366, "height": 900}}


@pytest.fixture(scope="module")
def atlas() -> Atlas:
    """The shipped data."""
    return load_atlas()


@pytest.fixture(scope="module")
def asof_app(app_server: Callable[..., str], tmp_path_factory: pytest.TempPathFactory,
             atlas: Atlas) -> str:
    """The app on a store seeded from the curated register plus one planner change."""
    from app.service.living import seed_register
    from app.store import open_store

    path = tmp_path_factory.mktemp("asof") / "store.sqlite"
    store = open_store(path)
    seed_register(store, atlas, today=SEED_DATE)
    store.add_changes([
        Edit(PID, "planner", "planner-a", "works started (site notice)", {},
             {"stage_entry": {"stage": "construction", "date": "2025-03-10",
                              "source": "天山公园施工公告 <b>site notice</b>"}},
             effective="2025-03-12"),
        Edit(PID, "planner", "planner-a", "agency and documents", {},
             {"lead_agency": "区绿化市容局", "start_date": "2025-03-10", "target_date": "2025-12-31",
              "links": [LINK, "javascript:alert(1)"]}, effective="2025-03-12"),
    ])
    return app_server(APP, cwd=REPO, env={"ATLAS_STORE": str(path)})


def asof_param(page: Page) -> list[str]:
    """The page's ``asof`` query parameter (empty when absent)."""
    return parse_qs(urlsplit(page.url).query).get("asof", [])


def timeline(frame: Frame) -> list[str]:
    """The open card's timeline, one text per entry."""
    card = frame.locator(f'.atlas-card[data-project-id="{PID}"]')
    expect(card).to_be_visible()
    return card.locator(".atlas-timeline li").all_inner_texts()


def test_before_the_report_the_map_is_empty_and_says_so(asof_app: str, browser: Browser,
                                                        screenshot: Callable) -> None:
    context = browser.new_context(**DESKTOP, locale="en-GB")
    page = context.new_page()
    frame = open_map(page, f"{asof_app}/?basemap=none&lang=en&asof=2025-01-01")
    expect(page.get_by_test_id("stAlert").filter(
        has_text="No projects were in the register as of 2025-01-01")).to_be_visible()
    expect(page.get_by_text("The register as of 2025-01-01 · data version")).to_be_visible()
    expect(frame.locator(PROJECT_PATHS)).to_have_count(0)
    assert asof_param(page) == ["2025-01-01"]
    screenshot(page, "asof-2025-01-01-desktop")
    context.close()


def test_after_the_report_the_card_shows_the_timeline(asof_app: str, atlas: Atlas, browser: Browser,
                                                      screenshot: Callable) -> None:
    context = browser.new_context(**DESKTOP, locale="en-GB")
    page = context.new_page()
    located = int(atlas.projects.geometry.notna().sum())

    # early March: the report's stage only, no agency yet
    frame = open_map(page, f"{asof_app}/?basemap=none&lang=en&ref=none&asof=2025-03-01&p={PID}")
    expect(frame.locator(PROJECT_PATHS)).to_have_count(located)
    entries = timeline(frame)
    assert len(entries) == 1 and entries[0].startswith(SEED_DATE)
    card = frame.locator(f'.atlas-card[data-project-id="{PID}"]')
    expect(card.locator('tr[data-field="lead_agency"]')).to_have_count(0)

    # midsummer: the construction entry, the agency and the one safe link
    frame = open_map(page, f"{asof_app}/?basemap=none&lang=en&ref=none&asof=2025-06-30&p={PID}")
    entries = timeline(frame)
    assert len(entries) == 2
    assert entries[1].startswith("2025-03-10") and "Under construction" in entries[1]
    assert "<b>site notice</b>" in entries[1]  # shown as text, not markup
    card = frame.locator(f'.atlas-card[data-project-id="{PID}"]')
    expect(card.locator(".atlas-stage-source b")).to_have_count(0)
    expect(card.locator('tr[data-field="lead_agency"] td')).to_have_text("区绿化市容局")
    links = card.locator(".atlas-links a")
    expect(links).to_have_count(1)
    expect(links.first).to_have_attribute("href", LINK)
    expect(links.first).to_have_attribute("rel", "noopener noreferrer")
    expect(links.first).to_have_attribute("target", "_blank")
    assert asof_param(page) == ["2025-06-30"]
    expect(page.get_by_text("The register as of 2025-06-30 · data version")).to_be_visible()

    screenshot(page, "asof-2025-06-30-card-desktop")

    # the progress chart below the map: all projects, then one per layer when asked
    page.get_by_text(t("progress.title", "en")).click()
    charts = page.get_by_test_id("stExpander").get_by_test_id("stVegaLiteChart")
    expect(charts).to_have_count(1)
    page.get_by_test_id("stExpander").get_by_role("radio", name=t("progress.by_layer", "en")).click()
    expect(charts).to_have_count(1 + atlas.projects["layer"].nunique())
    expect(charts.first).to_be_visible()
    screenshot(page, "asof-progress-desktop")
    charts.last.scroll_into_view_if_needed()
    expect(charts.last).to_be_visible()
    screenshot(page, "asof-progress-by-layer-desktop")

    # the day is kept across pages, in the URL too
    sidebar = page.get_by_test_id("stSidebar")
    sidebar.get_by_role("link", name=t("about_page", "en")).click()
    page.wait_for_url(lambda url: "/about" in url, timeout=TIMEOUT_MS)
    wait_for_app(page)
    assert asof_param(page) == ["2025-06-30"]
    sidebar.get_by_role("link", name=t("map_page", "en")).click()
    wait_for_app(page)
    live_frame(page)
    expect(page.get_by_text("The register as of 2025-06-30 · data version")).to_be_visible()

    # back to today: the live register, asof leaves the URL
    page.get_by_test_id("stSidebar").get_by_role("button", name=t("asof.today", "en")).click()
    page.wait_for_url(lambda url: "asof=" not in url, timeout=TIMEOUT_MS)
    wait_for_app(page)
    expect(page.get_by_text("Today (the live register) · data version")).to_be_visible()
    context.close()


def test_the_card_timeline_on_a_phone(asof_app: str, browser: Browser,
                                      screenshot: Callable) -> None:
    context = browser.new_context(**PHONE, locale="zh-CN")
    page = context.new_page()
    frame = open_map(page, f"{asof_app}/?basemap=none&ref=none&asof=2025-06-30&p={PID}")
    entries = timeline(frame)
    assert len(entries) == 2 and "建设中" in entries[1]
    expect(page.get_by_text("截至 2025-06-30 的项目库")).to_be_visible()
    screenshot(page, "asof-2025-06-30-card-phone")
    page.get_by_text(t("progress.title", "zh")).click()
    chart = page.get_by_test_id("stExpander").get_by_test_id("stVegaLiteChart").first
    chart.scroll_into_view_if_needed()
    expect(chart).to_be_visible()
    screenshot(page, "asof-progress-phone")
    context.close()


def test_a_typed_date_is_taken_with_enter(asof_app: str, atlas: Atlas, desktop_page: Page) -> None:
    page = desktop_page
    frame = open_map(page, f"{asof_app}/?basemap=none")
    applied = frame.evaluate("() => window.__atlasLive.applied")
    box = page.get_by_test_id("stSidebar").get_by_role("textbox", name=t("asof.label", "zh"))
    box.fill("2025-01-07")
    box.press("Enter")
    page.wait_for_url(lambda url: "asof=2025-01-07" in url, timeout=TIMEOUT_MS)
    frame.wait_for_function(f"() => window.__atlasLive.applied > {applied} && window.__atlasLive.ready")
    expect(frame.locator(PROJECT_PATHS)).to_have_count(0)  # before the report: nothing yet
