"""Two app replicas behind nginx sharing one PostGIS store, as docs/deploy.md deploys them.

Everything on 127.0.0.1: a fresh PostGIS database (tests/pg_support.py's server), two
``python -m app.ui`` replicas with the same ``ATLAS_DATABASE_URL`` and passphrases, and nginx run
as a foreground child with the site block of docs/deploy.md (its ports replaced) in a temporary
folder. Without nginx the module is skipped, except under CI (``$CI`` set), where that fails:
``.ci/install-nginx`` installs it.
"""

from __future__ import annotations

import asyncio
import os
import re
import shutil
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import ExitStack
from http.cookies import SimpleCookie
from pathlib import Path
from urllib.parse import urlsplit

import psycopg
import pytest

from app.bench import load
from app.data.atlas import load_atlas
from app.domain.i18n import t
from app.store import open_store
from tests import pg_support

postgis_server = pg_support.postgis_server  # the fixture: one PostgreSQL server per session

REPO = Path(__file__).resolve().parents[2]
DEPLOY_DOC = REPO / "docs" / "deploy.md"
FIELD_SECRET, REVIEW_SECRET, PLANNER_SECRET = "field-pass", "review-pass", "plan-pass"
_NO_PROXY = urllib.request.build_opener(urllib.request.ProxyHandler({}))
#: The address nginx connects to the replicas from (docs/deploy.md), the one trusted proxy.
TRUSTED_PROXY = "127.0.0.2"
#: The stated budget of wrong passphrases from one client address before its lockout.
ADDRESS_BUDGET = 20


def _nginx() -> str:
    """The nginx binary; skip without it, or fail under CI."""
    found = shutil.which("nginx") or next(
        (p for p in ("/usr/sbin/nginx", "/sbin/nginx") if os.access(p, os.X_OK)), None)
    if found:
        return found
    message = "NGINX NOT AVAILABLE: install Debian's nginx (bash .ci/install-nginx, as root)"
    if os.environ.get("CI"):
        pytest.fail(f"{message}; CI must run the replica test", pytrace=False)
    pytest.skip(message)


def site_block(port_a: int, port_b: int, listen: int) -> str:
    """The ```nginx block of docs/deploy.md with the test's ports in place of 8501, 8502, 80."""
    blocks = re.findall(r"```nginx\n(.*?)```", DEPLOY_DOC.read_text(encoding="utf-8"), re.S)
    assert len(blocks) == 1, "docs/deploy.md must hold exactly one ```nginx block"
    site = blocks[0]
    for needle in ("127.0.0.1:8501", "127.0.0.1:8502", "listen 80;", f"proxy_bind {TRUSTED_PROXY};"):
        assert needle in site, f"docs/deploy.md's site no longer has {needle!r}"
    return (site.replace("127.0.0.1:8501", f"127.0.0.1:{port_a}")
            .replace("127.0.0.1:8502", f"127.0.0.1:{port_b}")
            .replace("listen 80;", f"listen 127.0.0.1:{listen};"))


def nginx_conf(tmp: Path, site: str) -> str:
    """A whole nginx.conf around `site` whose every file is under `tmp`."""
    temp = "\n".join(f"    {kind}_temp_path {tmp / kind};"
                     for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"))
    return (f"worker_processes 1;\nevents {{ worker_connections 512; }}\nhttp {{\n"
            f"    access_log {tmp / 'access.log'};\n{temp}\n{site}\n}}\n")


def _wait_healthy(url: str, process: subprocess.Popen, log: Path, timeout_s: float = 30) -> None:
    """Wait until `url`/_stcore/health answers ok through nginx; fail with nginx's log if not."""
    deadline = time.monotonic() + timeout_s
    while not load.healthy(url):
        if process.poll() is not None or time.monotonic() > deadline:
            pytest.fail(f"nginx did not answer at {url} (exit {process.poll()}):\n"
                        f"{log.read_text(errors='replace') if log.exists() else ''}")
        time.sleep(0.2)


class Deployment:
    """The running replicas, nginx in front, and the store's URL."""

    def __init__(self, url: str, replicas: dict[str, load.Server], database_url: str) -> None:
        self.url = url
        self.replicas = replicas
        self.database_url = database_url


@pytest.fixture(scope="module")
def database_url(postgis_server: tuple[str, str]) -> Iterator[str]:
    """A new database with PostGIS and the atlas schema (``store init``), dropped afterwards."""
    server, template = postgis_server
    name = f"atlas_replicas_{os.getpid()}"
    with psycopg.connect(server, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
    url = urlsplit(server)._replace(path=f"/{name}").geturl()
    open_store(url)  # what `python -m app store init` does before the replicas start
    yield url
    with psycopg.connect(server, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="module")
def deployment(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Deployment]:
    """Replicas a and b on their own ports, nginx on a third, all on 127.0.0.1."""
    binary = _nginx()
    env = {"ATLAS_DATABASE_URL": database_url, "ATLAS_FIELD_SECRET": FIELD_SECRET,
           "ATLAS_REVIEW_SECRET": REVIEW_SECRET, "ATLAS_PLANNER_SECRET": PLANNER_SECRET,
           "ATLAS_TRUSTED_PROXIES": TRUSTED_PROXY}
    tmp = tmp_path_factory.mktemp("nginx")
    with ExitStack() as stack:
        replicas = {name: stack.enter_context(load.started_server(env=env)) for name in "ab"}
        port = load.free_port()
        ports = [urlsplit(replicas[name].url).port for name in "ab"]
        (tmp / "nginx.conf").write_text(nginx_conf(tmp, site_block(*ports, port)),
                                        encoding="utf-8")
        log = tmp / "error.log"
        process = subprocess.Popen(
            [binary, "-p", str(tmp), "-c", str(tmp / "nginx.conf"), "-e", str(log),
             "-g", f"daemon off; pid {tmp / 'nginx.pid'}; error_log {log};"],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
        stack.callback(load.stop, process, 10.0)
        url = f"http://127.0.0.1:{port}"
        _wait_healthy(url, process, log)
        yield Deployment(url, replicas, database_url)


def served_by(url: str, cookie: str | None = None) -> str:
    """The replica name nginx's answer to GET `url` pins the caller to (its Set-Cookie)."""
    request = urllib.request.Request(url, headers={"Cookie": f"atlas_replica={cookie}"}
                                     if cookie else {})
    with _NO_PROXY.open(request, timeout=30) as response:
        assert response.status == 200
        jar = SimpleCookie()
        for header in response.headers.get_all("Set-Cookie") or []:
            jar.load(header)
    return jar["atlas_replica"].value


def test_nginx_spreads_new_visitors_and_pins_each_to_its_replica(deployment):
    assert {served_by(deployment.url) for _ in range(4)} == {"a", "b"}
    for name in "ab":
        assert [served_by(f"{deployment.url}/field", name) for _ in range(3)] == [name] * 3
    # only the replica names are honoured: anything else is a new visitor
    assert served_by(deployment.url, "127.0.0.1:22") in {"a", "b"}


@pytest.mark.parametrize("name", ["a", "b"])
def test_a_map_session_runs_through_nginx_on_the_pinned_replica(deployment, name):
    result = asyncio.run(load.session(deployment.url, timeout_s=120,
                                      headers={"Cookie": f"atlas_replica={name}"}))
    assert result.error is None and result.map_bytes > 1_000


def _pinned_page(browser, url: str, name: str, **options):
    """A page in a new browser context whose cookie pins it to replica `name`."""
    context = browser.new_context(locale="zh-CN", **options)
    context.add_cookies([{"name": "atlas_replica", "value": name, "url": url}])
    page = context.new_page()
    page.set_default_timeout(60_000)
    return context, page


def _sign_in(page, name: str, secret: str) -> None:
    """Fill the page's passphrase form and submit it."""
    from tests.ui.conftest import wait_for_app

    page.get_by_label("姓名").fill(name)
    page.get_by_label("口令").fill(secret)
    page.get_by_role("button", name="登录").click()
    wait_for_app(page, 60_000)


@pytest.mark.browser
def test_a_confirmation_submitted_on_replica_a_is_listed_on_replica_b(deployment):
    from playwright.sync_api import expect, sync_playwright

    from tests.ui.conftest import CHROMIUM, CHROMIUM_ARGS, PHONE, wait_for_app

    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} is missing: run `bash .ci/install-browser` (needs root)")
    station = load_atlas().places["metro-l3-yananxilu"].geometry
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        # a field worker on a phone, pinned to replica a, confirms the nearest project
        context, page = _pinned_page(browser, deployment.url, "a", **PHONE,
                                     permissions=["geolocation"],
                                     geolocation={"latitude": station.y, "longitude": station.x,
                                                  "accuracy": 15})
        page.goto(f"{deployment.url}/field?basemap=none")
        wait_for_app(page, 60_000)
        page.frame_locator('iframe[title="streamlit_geolocation.streamlit_geolocation"]') \
            .locator("button").click()
        expect(page.get_by_text("设备定位")).to_be_visible(timeout=60_000)
        _sign_in(page, "王工", FIELD_SECRET)
        page.get_by_role("button", name="提交").click()
        expect(page.get_by_text("已保存")).to_be_visible(timeout=60_000)
        assert context.cookies()[0]["value"] == "a"  # it stayed on replica a throughout
        context.close()
        # a reviewer pinned to replica b sees it pending
        context, page = _pinned_page(browser, deployment.url, "b",
                                     viewport={"width": 1280, "height": 900})
        page.goto(f"{deployment.url}/review")
        wait_for_app(page, 60_000)
        _sign_in(page, "李审核", REVIEW_SECRET)
        picker = page.get_by_role("combobox", name=t("review.pick", "zh"), exact=True)
        expect(picker).to_have_value(re.compile(r"^#1 · .* · 王工$"), timeout=60_000)
        assert context.cookies()[0]["value"] == "b"
        context.close()
        browser.close()
    submissions = open_store(deployment.database_url).submissions()
    assert submissions["submitted_by"].tolist() == ["王工"]


def test_forty_parallel_sessions_check_at_most_the_budget_of_guesses(deployment):
    """40 sessions at once guess the planner's passphrase, 3 times each: 20 through nginx and 10
    straight at each replica's port, each with an X-Forwarded-For of its own invention. They
    all come from this host, so they are one client: at most 20 guesses are checked in all, and
    the one count both replicas keep in PostGIS holds exactly the guesses checked."""
    from tests.deploy.signin import guesses

    def forged(n: int) -> dict[str, str]:
        return {"X-Forwarded-For": f"198.51.{n // 250}.{n % 250 + 1}"}

    targets = ([deployment.url] * 20 + [deployment.replicas["a"].url] * 10
               + [deployment.replicas["b"].url] * 10)

    async def burst() -> list[list[str]]:
        return await asyncio.gather(*(guesses(url, "planner", "planner", 3, forged(n))
                                      for n, url in enumerate(targets)))

    verdicts = [v for session in asyncio.run(burst()) for v in session]
    assert len(verdicts) == 120 and not [v for v in verdicts if v.startswith("other")], verdicts
    checked = verdicts.count("wrong")
    print(f"{checked} of {len(verdicts)} guesses checked; {verdicts.count('locked')} refused unchecked")
    assert 0 < checked <= ADDRESS_BUDGET, f"{checked} guesses checked, budget {ADDRESS_BUDGET}"
    # one count for the client, kept in PostGIS for both replicas: each checked guess counted
    # once, none lost to a race, none counted for a guess that was refused unchecked
    counted = open_store(deployment.database_url).attempt(_digest("address:planner:local"))
    assert counted is not None and counted[0] == checked


def _digest(key: str) -> str:
    from app.store import StoreAttempts

    return StoreAttempts._key(key)


def test_when_replica_a_stops_its_visitors_are_served_by_b(deployment):
    # last in this module: it stops replica a
    replica = deployment.replicas["a"]
    os.kill(replica.pid, 15)
    deadline = time.monotonic() + 30
    while load.healthy(replica.url) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert served_by(deployment.url, "a") == "b"
    result = asyncio.run(load.session(deployment.url, timeout_s=120,
                                      headers={"Cookie": "atlas_replica=a"}))
    assert result.error is None
