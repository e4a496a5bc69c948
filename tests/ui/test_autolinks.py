"""No link forms from a URL parameter: every one of the map page's 18 parameters, and
``register`` on the field and review pages, given a bare URL, a ``www.`` name or an e-mail
address, comes back in a notice as plain text (Streamlit's Markdown makes GitHub's literal
autolinks of these even when every punctuation character is escaped)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from urllib.parse import urlencode

import pytest
from playwright.sync_api import Page, expect

from .conftest import wait_for_app

REPO = Path(__file__).resolve().parents[2]
APP = REPO / "streamlit_app.py"
TIMEOUT_MS = 30_000

#: The map page's parameters (README, "URL parameters of the map page"), each with a value
#: that GFM would autolink: a URL, a www. name or an e-mail address.
MAP_PARAMS = {
    "lang": "http://evil.example/lang", "basemap": "www.evil.example",
    "ref": "admin@evil.example", "layer": "http://evil.example/login",
    "category": "www.evil.example/c", "status": "https://evil.example/login",
    "action": "ops@evil.example", "subdistrict": "https://evil.example/s",
    "section": "www.evil.example", "precision": "root@evil.example",
    "q": "http://evil.example/q", "p": "admin@evil.example",
    "lat": "http://evil.example/lat", "lon": "www.evil.example",
    "z": "www.evil.example", "v": "http://evil.example/v",
    "register": "http://evil.example/r", "asof": "www.evil.example",
}


@pytest.fixture(scope="module")
def atlas_app(app_server: Callable[..., str]) -> str:
    return app_server(APP, env={"ATLAS_DATA_DIR": str(REPO / "geodata")}, cwd=REPO)


def _no_links_to(page: Page, host: str = "evil.example") -> None:
    """The page shows `host` in its notices, and no element links anywhere on it."""
    shown = page.get_by_test_id("stAlert").filter(has_text=host)
    expect(shown.first).to_be_visible(timeout=TIMEOUT_MS)
    wait_for_app(page)
    assert page.locator(f'a[href*="{host}"]').count() == 0, page.locator(
        f'a[href*="{host}"]').evaluate_all("els => els.map(e => e.outerHTML)")
    assert page.locator('[data-testid="stAlert"] a').count() == 0


def test_none_of_the_map_pages_parameters_makes_a_link(atlas_app: str, desktop_page: Page):
    assert len(MAP_PARAMS) == 18
    page = desktop_page
    page.goto(f"{atlas_app}/?{urlencode(MAP_PARAMS)}")
    notices = page.get_by_test_id("stAlert").filter(has_text="链接中的部分参数无效")
    expect(notices).to_be_visible(timeout=TIMEOUT_MS)
    _no_links_to(page)
    text = notices.inner_text()
    for name in ("lang", "basemap", "ref", "layer", "category", "status", "action",
                 "subdistrict", "section", "precision", "p", "z", "asof"):
        assert f"{name}=" in text, name  # each refused value is named in the notice
    assert "lat=" in text and "lon=" in text
    for value in ("www.evil.example", "admin@evil.example"):  # shown as the reader typed it
        assert value in text.replace("\u2060", "")


@pytest.mark.parametrize("path,value", [("field", "http://evil.example/login"),
                                        ("review", "admin@evil.example")])
def test_register_on_the_field_and_review_pages_makes_no_link(atlas_app: str, desktop_page: Page,
                                                              path: str, value: str):
    page = desktop_page
    page.goto(f"{atlas_app}/{path}?{urlencode({'register': value})}")
    _no_links_to(page)
    expect(page.get_by_test_id("stAlert").filter(has_text="清单")).to_be_visible()
