"""Separation of duties with OIDC (Streamlit's ``st.login``) against a real OpenID Connect
provider running here: ``oidc-provider-mock`` (PyPI), with two predefined people. A submission
made by one identity cannot be accepted by the same identity signed in as reviewer; another
reviewer's identity can. The store records the identity (name and e-mail) with each decision.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from app.bench.load import free_port
from app.store import Store

from .conftest import DESKTOP, wait_for_app

REPO = Path(__file__).resolve().parents[2]
TIMEOUT_MS = 60_000
WANG = {"sub": "wang", "email": "wang@example.gov.cn", "name": "王工"}
LI = {"sub": "li", "email": "li@example.gov.cn", "name": "李审"}


@pytest.fixture(scope="module")
def provider() -> Iterator[str]:
    """A local OpenID Connect provider (oidc-provider-mock) with WANG and LI; its base URL."""
    pytest.importorskip("authlib", reason="st.login needs Authlib: pip install -e '.[test]'")
    port = free_port()
    command = [sys.executable, "-m", "oidc_provider_mock", "--port", str(port),
               "--user-claims", json.dumps(WANG), "--user-claims", json.dumps(LI)]
    process = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        try:
            with urllib.request.urlopen(f"{url}/.well-known/openid-configuration", timeout=5):
                break
        except OSError:
            if process.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"oidc-provider-mock did not start (exit {process.poll()})")
            time.sleep(0.25)
    yield url
    process.terminate()
    process.wait(10)


@pytest.fixture(scope="module")
def oidc_app(app_server, provider: str, tmp_path_factory) -> tuple[str, Path]:
    """The atlas with OIDC sign-in against `provider` (secrets in its own folder); its URL and
    store."""
    folder = tmp_path_factory.mktemp("oidc-app")
    (folder / ".streamlit").mkdir()
    shutil.copy(REPO / ".streamlit" / "config.toml", folder / ".streamlit" / "config.toml")
    store = folder / "atlas.sqlite"
    url = app_server(REPO / "streamlit_app.py", cwd=folder,
                     env={"ATLAS_DATA_DIR": str(REPO / "geodata"), "ATLAS_STORE": str(store)})
    # written before the first page asks for it: Streamlit reads secrets when they are used
    (folder / ".streamlit" / "secrets.toml").write_text(f"""
[auth]
redirect_uri = "{url}/oauth2callback"
cookie_secret = "a-test-cookie-secret-of-some-length"
client_id = "atlas"
client_secret = "atlas-secret"
server_metadata_url = "{provider}/.well-known/openid-configuration"

[atlas.roles]
field_team = ["{WANG['email']}"]
reviewers = ["{WANG['email']}", "{LI['email']}"]
""", encoding="utf-8")
    return url, store


def _sign_in(page: Page, url: str, path: str, person: dict[str, str]) -> None:
    """Open `path`, sign in with the provider as `person`, and come back to `path`."""
    page.goto(f"{url}/{path}")
    wait_for_app(page)
    page.get_by_role("button", name="使用单位账号登录").click()
    page.get_by_role("button", name=person["sub"], exact=True).click()  # the provider's page
    page.wait_for_url(f"{url}/**")
    page.goto(f"{url}/{path}")
    wait_for_app(page)
    expect(page.get_by_text(f"已登录:{person['name']}")).to_be_visible(timeout=TIMEOUT_MS)


def test_an_oidc_identity_cannot_decide_what_it_submitted(browser: Browser, oidc_app):
    url, store = oidc_app
    wang = browser.new_context(locale="zh-CN", **DESKTOP).new_page()
    wang.set_default_timeout(TIMEOUT_MS)
    _sign_in(wang, url, "field", WANG)
    wang.get_by_role("button", name="提交", exact=True).click()
    expect(wang.get_by_text("等待审核")).to_be_visible(timeout=TIMEOUT_MS)
    submitted = Store(store).submissions()
    assert submitted["submitted_by"].tolist() == ["王工 <wang@example.gov.cn>"]
    # the same identity as reviewer: told why, and given no decision to make
    wang.goto(f"{url}/review")
    wait_for_app(wang)
    expect(wang.get_by_text("须由另一位审核人决定")).to_be_visible(timeout=TIMEOUT_MS)
    expect(wang.get_by_role("button", name="通过", exact=True)).to_have_count(0)
    wang.context.close()
    # another identity decides it, and the store records who
    li = browser.new_context(locale="zh-CN", **DESKTOP).new_page()
    li.set_default_timeout(TIMEOUT_MS)
    _sign_in(li, url, "review", LI)
    li.get_by_label("审核意见(必填)").fill("与现场一致")
    li.get_by_role("button", name="通过", exact=True).click()
    expect(li.get_by_text("已通过提交")).to_be_visible(timeout=TIMEOUT_MS)
    li.context.close()
    decided = Store(store).submissions()
    assert decided[["status", "reviewed_by"]].values.tolist() == [
        ["accepted", "李审 <li@example.gov.cn>"]]
