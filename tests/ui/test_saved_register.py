"""A saved register in the real app: ``register=`` in the URL shows its features on the map and
in the table, the sidebar picker says which register it is, and the permalink reproduces it."""

from __future__ import annotations

import os
import re

import pytest
from playwright.sync_api import Page, expect

from app.cli.main import main

from .conftest import REPO, wait_for_app, wait_for_map

TIMEOUT_MS = 30_000
REGISTER = "district-2025"
CSV = ("id,名称,经度,纬度,图层\n"
       "reg-garden,社区花园甲,121.4105,31.2125,public_space\n"
       "reg-pocket,口袋公园乙,121.4200,31.2150,renewal\n"
       "reg-odd,未知图层丙,121.4150,31.2100,rooftops\n")


@pytest.fixture(scope="module")
def atlas_app(app_server, tmp_path_factory) -> str:
    """The whole app over a store holding REGISTER, imported from a small CSV file."""
    folder = tmp_path_factory.mktemp("saved-register")
    store, source = folder / "store.sqlite", folder / "district.csv"
    source.write_text(CSV, encoding="utf-8")
    before = os.environ.get("ATLAS_STORE")
    os.environ["ATLAS_STORE"] = str(store)
    try:
        assert main(["import", str(source), "--save", REGISTER]) == 0
    finally:
        if before is None:
            del os.environ["ATLAS_STORE"]
        else:
            os.environ["ATLAS_STORE"] = before
    return app_server(REPO / "streamlit_app.py", env={"ATLAS_STORE": str(store)}, cwd=REPO)


def shows_the_register(page: Page) -> None:
    """The map draws the register's three projects; the table lists them; the picker names it."""
    frame = wait_for_map(page)
    expect(frame.locator("path.atlas-project")).to_have_count(3, timeout=TIMEOUT_MS)
    table = page.get_by_test_id("stDataFrame").last
    for name in ("社区花园甲", "口袋公园乙", "未知图层丙"):
        expect(table).to_contain_text(name, timeout=TIMEOUT_MS)
    expect(page.get_by_test_id("stSidebar").get_by_text(REGISTER)).to_be_visible()


def test_register_in_the_url_shows_its_features_and_the_permalink_reproduces_them(
        desktop_page: Page, browser, atlas_app: str, screenshot):
    page = desktop_page
    page.goto(f"{atlas_app}/?basemap=none&register={REGISTER}")
    wait_for_app(page)
    shows_the_register(page)
    # the URL keeps the register and basemap (the live map adds v= and the view as it moves)
    expect(page).to_have_url(re.compile(rf"^{re.escape(atlas_app)}/\?basemap=none&register={REGISTER}(&|$)"))
    screenshot(page, "saved-register-map")
    # the permalink, opened by a colleague in a browser of their own
    context = browser.new_context(locale="zh-CN", viewport={"width": 1280, "height": 800})
    try:
        other = context.new_page()
        other.set_default_timeout(TIMEOUT_MS)
        other.goto(page.url)
        wait_for_app(other)
        shows_the_register(other)
    finally:
        context.close()


def test_without_register_the_built_in_atlas_is_shown(desktop_page: Page, atlas_app: str):
    page = desktop_page
    page.goto(f"{atlas_app}/?basemap=none")
    wait_for_app(page)
    frame = wait_for_map(page)
    expect(frame.locator("path.atlas-project").first).to_be_attached(timeout=TIMEOUT_MS)
    assert frame.locator("path.atlas-project").count() > 3
    expect(page.get_by_test_id("stDataFrame").last).not_to_contain_text("社区花园甲")
    assert "register=" not in page.url

