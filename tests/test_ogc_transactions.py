"""Planners' edits through /ogc of the real app, on both stores: only a planner's API key
writes, through the planner page's checks and review rule; the change log and the audit trail
say so; a stale version is a 409 with the changes since; a held change is not served until a
reviewer accepts it."""

from __future__ import annotations

import json
import os
import urllib.parse
from collections.abc import Iterator

import pytest

from app.ogc.credentials import Credentials
from app.service.history import history_frame
from app.store import StoreAttempts, open_store
from tests import pg_support
from tests.ogc_support import call, get_json, running_app

postgis_server = pg_support.postgis_server
LAYER = "public_space"
PROJECT = "tianshan-park"


@pytest.fixture(scope="module", params=["sqlite", "postgis"])
def app(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict]:
    """The app on a new store of each kind, with one key per role; its URL, store and keys."""
    tmp = tmp_path_factory.mktemp(f"tx-{request.param}")
    if request.param == "sqlite":
        location, env = str(tmp / "atlas.sqlite"), {"ATLAS_STORE": str(tmp / "atlas.sqlite")}
    else:
        server, template = request.getfixturevalue("postgis_server")
        name = f"atlas_ogc_{os.getpid()}_{tmp.name.replace('-', '_')}"  # one per xdist worker
        import psycopg

        with psycopg.connect(server, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
        location = urllib.parse.urlsplit(server)._replace(path=f"/{name}").geturl()
        env = {"ATLAS_DATABASE_URL": location, "ATLAS_STORE": str(tmp / "unused.sqlite")}
    store = open_store(location)
    credentials = Credentials(store)
    keys = {role: credentials.issue(f"{role} 甲", role, issued_by="测试")[1]
            for role in ("planner", "reviewer", "field")}
    try:
        with running_app({**env, "ATLAS_PLANNER_REVIEW": "geometry"}, tmp / "app.log") as url:
            yield {"ogc": f"{url}/ogc", "store": store, "keys": keys, "credentials": credentials}
    finally:
        if request.param == "postgis":
            import psycopg

            with psycopg.connect(request.getfixturevalue("postgis_server")[0], autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def item(app: dict, project: str = PROJECT) -> tuple[int, dict, dict]:
    return get_json(f"{app['ogc']}/collections/{LAYER}/items/{project}?f=json")


def write(app: dict, method: str, feature: dict | None, *, role: str | None = "planner",
          project: str = PROJECT, reason: str = "现场核实", headers: dict | None = None) -> tuple[int, dict, dict]:
    url = f"{app['ogc']}/collections/{LAYER}/items" + (f"/{project}" if method != "POST" else "")
    sent = {**({"Authorization": f"Bearer {app['keys'][role]}"} if role else {}),
            "Atlas-Reason": urllib.parse.quote(reason), **(headers or {})}
    status, answer_headers, body = call(method, url, body=feature, headers=sent)
    return status, answer_headers, json.loads(body) if body else {}


def test_anonymous_field_and_reviewer_writes_are_refused_and_nothing_is_written(app):
    _, _, feature = item(app)
    feature["properties"]["lead_agency"] = "不应写入"
    assert write(app, "PUT", feature, role=None)[0] == 401
    assert write(app, "PUT", feature, role="field")[0] == 403
    assert write(app, "PUT", feature, role="reviewer")[0] == 403
    assert write(app, "DELETE", None, role="field")[0] == 403
    status, headers, body = call("PUT", f"{app['ogc']}/collections/{LAYER}/items/{PROJECT}", body=feature,
                                 headers={"Authorization": "Bearer atlas_not-a-key"})
    assert status == 401
    assert app["store"].changes(register="").query("source == 'planner'").empty
    assert item(app)[2]["properties"]["lead_agency"] != "不应写入"


def test_options_offers_writes_only_to_a_planner(app):
    url = f"{app['ogc']}/collections/{LAYER}/items"
    assert "POST" not in call("OPTIONS", url)[1]["allow"]
    assert "POST" not in call("OPTIONS", url, headers={"Authorization": f"Bearer {app['keys']['field']}"})[1]["allow"]
    assert "POST" in call("OPTIONS", url, headers={"Authorization": f"Bearer {app['keys']['planner']}"})[1]["allow"]
    one = call("OPTIONS", f"{url}/{PROJECT}", headers={"Authorization": f"Bearer {app['keys']['planner']}"})
    assert "PUT" in one[1]["allow"] and "DELETE" in one[1]["allow"]


def test_a_planners_put_is_served_and_in_the_history_with_the_api_as_channel(app):
    status, headers, feature = item(app)
    version = headers["etag"]
    feature["properties"]["lead_agency"] = "区绿化市容局"
    status, _, answer = write(app, "PUT", feature, headers={"If-Match": version})
    assert status == 200 and answer["changes"][0]["status"] == "accepted"
    assert item(app)[2]["properties"]["lead_agency"] == "区绿化市容局"
    log = history_frame(app["store"], project_id=PROJECT)
    assert "区绿化市容局" in log.to_csv()
    assert any("via OGC API" in note for note in app["store"].audit(PROJECT)["note"])
    # a second save against the version before it lost the race: 409 with what changed since
    feature["properties"]["lead_agency"] = "另一个机构"
    status, _, conflict = write(app, "PUT", feature, headers={"If-Match": version})
    assert status == 409 and conflict["changes_since"][0]["set"] == ["lead_agency"]
    assert item(app)[2]["properties"]["lead_agency"] == "区绿化市容局"


def test_a_field_that_cannot_be_edited_is_a_400_naming_it(app):
    _, _, feature = item(app)
    feature["properties"]["report_section"] = "九"
    status, _, answer = write(app, "PUT", feature)
    assert status == 400 and "report_section" in answer["description"]
    _, _, feature = item(app)
    status, _, answer = write(app, "PUT", feature | {"properties": {**feature["properties"], "lead_agency": "x"}},
                              reason=" ")
    assert status == 400 and "reason" in answer["description"]


def test_a_held_geometry_is_not_served_until_a_reviewer_accepts_it(app):
    _, _, feature = item(app)
    before = feature["geometry"]
    feature["geometry"] = {"type": "Point", "coordinates": [121.4051, 31.2123]}
    status, headers, answer = write(app, "PUT", feature, reason="入口位置复核")
    assert status == 202 and headers["location"].endswith(f"/changes/{answer['changes'][0]['id']}")
    assert item(app)[2]["geometry"] == before
    follow = get_json(headers["location"])[2]
    assert follow["status"] == "pending"
    app["store"].review_change(answer["changes"][0]["id"], "李审", accept=True, reason="核实无误")
    assert item(app)[2]["geometry"]["coordinates"] == [121.4051, 31.2123]


def test_a_planners_post_adds_a_project_after_review_and_delete_retires_it(app):
    new = {"type": "Feature", "id": "pocket-park-api",
           "geometry": {"type": "Point", "coordinates": [121.41, 31.21]},
           "properties": {"name_zh": "接口口袋公园", "name_en": "Pocket park by API"}}
    status, _, answer = write(app, "POST", new, reason="区政府批复新增")
    assert status == 202
    assert item(app, "pocket-park-api")[0] == 404  # held: not served yet
    app["store"].review_change(answer["changes"][0]["id"], "李审", accept=True, reason="同意")
    status, _, served = item(app, "pocket-park-api")
    assert status == 200 and served["properties"]["name_zh"] == "接口口袋公园"
    assert "pocket-park-api" in set(history_frame(app["store"])["project_id"])
    status, _, answer = write(app, "DELETE", None, project="pocket-park-api", reason="撤销")
    assert status == 202
    app["store"].review_change(answer["changes"][0]["id"], "李审", accept=True, reason="同意撤销")
    assert item(app, "pocket-park-api")[0] == 404


def test_a_revoked_key_no_longer_writes(app):
    key_id, key = app["credentials"].issue("临时", "planner", issued_by="测试")
    _, _, feature = item(app)
    feature["properties"]["description_zh"] = "临时说明"
    headers = {"Authorization": f"Bearer {key}", "Atlas-Reason": "x"}
    url = f"{app['ogc']}/collections/{LAYER}/items/{PROJECT}"
    assert call("PUT", url, body=feature, headers=headers)[0] == 200
    assert app["credentials"].revoke(key_id, "测试")
    feature["properties"]["description_zh"] = "再次说明"
    assert call("PUT", url, body=feature, headers=headers)[0] == 401


def test_a_burst_of_wrong_keys_with_forged_addresses_stays_within_the_budget(app):
    """Last in the module: it makes the loopback address wait. Thirty wrong keys at once, each
    naming another client in ``X-Forwarded-For``: a header from an untrusted peer names nobody,
    every try counts against one address, and at most the lockout's 20 are checked."""
    from concurrent.futures import ThreadPoolExecutor

    url = f"{app['ogc']}/collections/{LAYER}/items/{PROJECT}"

    def guess(n: int) -> int:
        return call("PUT", url, body={"type": "Feature", "properties": {}, "geometry": None},
                    headers={"Authorization": f"Bearer atlas_guess-{n}",
                             "X-Forwarded-For": f"203.0.113.{n}"})[0]

    before = (StoreAttempts(app["store"]).get("api:local") or (0, 0.0))[0]
    with ThreadPoolExecutor(max_workers=10) as pool:
        answers = list(pool.map(guess, range(30)))
    assert set(answers) <= {401, 429} and 429 in answers
    assert before + answers.count(401) <= 20
    # every checked guess is in the shared count, under the one loopback address
    assert StoreAttempts(app["store"]).get("api:local")[0] == before + answers.count(401)
