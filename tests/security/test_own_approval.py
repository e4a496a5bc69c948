"""Separation of duties: whoever submitted or proposed a change cannot decide it -- not in the
same browser session under another name, not under the same name in another session, not with
the same OIDC identity -- on either store; the review page says why.
"""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from app.errors import SubmissionError
from app.store import Submission, open_store
from tests import pg_support
from tests.apptest import sign_in

postgis_server = pg_support.postgis_server
pg_url = pg_support.pg_url


@pytest.fixture(params=["sqlite", "postgis"])
def store(request: pytest.FixtureRequest, tmp_path):
    target = (str(tmp_path / "atlas.sqlite") if request.param == "sqlite"
              else request.getfixturevalue("pg_url"))
    return open_store(target)


# --- the stores refuse it, whoever calls them -------------------------------------------------

@pytest.mark.parametrize("reviewer", ["王工", " 王 工", "ＷＡＮＧ", "王工 <wang@example.gov.cn>"])
def test_the_submitter_cannot_decide_their_own_submission(store, reviewer):
    submitter = "ＷＡＮＧ" if reviewer == "ＷＡＮＧ" else "王工"
    sid = store.submit(Submission("tianshan-park", "confirm", submitter if reviewer != "ＷＡＮＧ"
                                  else "wang"))
    with pytest.raises(SubmissionError, match="who cannot decide it") as refused:
        store.review(sid, reviewer, accept=True, reason="看过了")
    assert refused.value.key == "err.own_decision"
    assert store.submissions()["status"].tolist() == ["pending"]  # nothing was decided
    store.review(sid, "李审", accept=True, reason="与现场一致")
    assert store.submissions()["status"].tolist() == ["accepted"]


def test_an_oidc_identity_is_the_person_whatever_the_display_name(store):
    sid = store.submit(Submission("tianshan-park", "confirm", "Li Si <li@example.gov.cn>"))
    with pytest.raises(SubmissionError, match="who cannot decide it"):
        store.review(sid, "李四 <LI@example.gov.cn>", accept=False, reason="x")
    store.review(sid, "Li Si <zhao@example.gov.cn>", accept=False, reason="另一账号")


def test_the_proposer_cannot_decide_their_own_change(store, atlas):
    from app.service.atlas import shown_atlas
    from app.service.living import propose_edit, seed_register

    seed_register(store, atlas)
    shown = shown_atlas(store=store, base=atlas).atlas
    version = int(shown.projects.set_index("id").loc["tianshan-park", "edit_version"])
    [(cid, status)] = propose_edit(store, shown, "tianshan-park", actor="李规划", reason="红线",
                                   geometry=shown.projects.set_index("id").loc["tianshan-park",
                                                                               "geometry"].buffer(0.0001),
                                   method="drawn", expected_version=version, rule="all")
    assert status == "pending"
    with pytest.raises(SubmissionError, match="change .* was made by 李规划, who cannot decide it"):
        store.review_change(cid, "李规划", accept=True, reason="自己看过")
    store.review_change(cid, "王审核", accept=True, reason="核对无误")


# --- the pages: one session, two roles ---------------------------------------------------------

def two_pages() -> AppTest:
    """The field, planner and review pages in one browser session (``_page`` picks one)."""
    def page():
        import streamlit as st

        from app.ui.pages import field_page, planner_page, review_page

        pages = {"field": field_page, "planner": planner_page, "review": review_page}
        pages[st.session_state.get("_page", "field")].render()

    return AppTest.from_function(page, default_timeout=60)


@pytest.fixture()
def secrets(monkeypatch):
    monkeypatch.setenv("ATLAS_FIELD_SECRET", "field-pass")
    monkeypatch.setenv("ATLAS_REVIEW_SECRET", "review-pass")
    monkeypatch.setenv("ATLAS_PLANNER_SECRET", "plan-pass")


def test_a_session_cannot_review_what_it_submitted_under_another_name(secrets, isolated_store):
    from app.store import Store

    at = sign_in(two_pages().run(), "field", "王工", "field-pass")
    at.selectbox(key="field_pick").set_value("tianshan-park").run()
    at.button[[b.label for b in at.button].index("提交")].click().run()
    assert any("已保存" in s.value for s in at.success)
    at.session_state["_page"] = "review"
    at = sign_in(at.run(), "reviewer", "李审", "review-pass")  # a different name, same session
    assert not at.exception
    assert any("须由另一位审核人决定" in i.value for i in at.info), [i.value for i in at.info]
    assert "通过" not in [b.label for b in at.button]
    assert Store(isolated_store).submissions()["status"].tolist() == ["pending"]


def test_the_same_name_in_another_session_cannot_review_it_either(secrets, isolated_store):
    from app.store import Store

    Store(isolated_store).submit(Submission("tianshan-park", "confirm", "王工"))
    at = two_pages()
    at.session_state["_page"] = "review"
    at = sign_in(at.run(), "reviewer", "王 工", "review-pass")
    assert any("须由另一位审核人决定" in i.value for i in at.info)
    assert "通过" not in [b.label for b in at.button]
    other = two_pages()
    other.session_state["_page"] = "review"
    other = sign_in(other.run(), "reviewer", "李审", "review-pass")
    assert "通过" in [b.label for b in other.button]


def test_a_planner_cannot_accept_their_change_after_signing_in_as_reviewer(secrets, monkeypatch,
                                                                         isolated_store):
    from app.store import Store

    monkeypatch.setenv("ATLAS_PLANNER_REVIEW", "all")  # every planner edit waits for a reviewer
    at = two_pages()
    at.session_state["_page"] = "planner"
    at = sign_in(at.run(), "planner", "李规划", "plan-pass")
    at.selectbox(key="planner_pick").set_value("tianshan-park").run()
    next(w for w in at.text_input if w.label == "牵头单位").input("区绿化市容局")
    next(w for w in at.text_area if w.label == "修改原因(必填)").input("区政府网站公示")
    at.button[[b.label for b in at.button].index("保存修改")].click().run()
    assert any("等待审核人" in i.value for i in at.info), [e.value for e in at.error]
    at.session_state["_page"] = "review"
    at = sign_in(at.run(), "reviewer", "王审核", "review-pass")  # same session, another name
    assert any("您本人提交的修改" in i.value for i in at.info)
    assert "通过" not in [b.label for b in at.button]
    assert Store(isolated_store).changes(status="pending")["actor"].tolist() == ["李规划"]
