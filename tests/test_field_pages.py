"""AppTest of the field and review pages: roles, check-in, typed positions, reviews."""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from app.store import Store
from tests.apptest import sign_in


def field_app() -> AppTest:
    def page():
        from app.ui.pages import field_page

        field_page.render()

    return AppTest.from_function(page, default_timeout=60)


def review_app() -> AppTest:
    def page():
        from app.ui.pages import review_page

        review_page.render()

    return AppTest.from_function(page, default_timeout=60)


def test_without_configuration_nobody_can_submit(monkeypatch):
    monkeypatch.delenv("ATLAS_FIELD_SECRET", raising=False)
    at = field_app().run()
    assert not at.exception
    assert any("尚未配置" in w.value for w in at.warning)
    assert "提交" not in [b.label for b in at.button]


def test_wrong_passphrase_is_refused(monkeypatch):
    monkeypatch.setenv("ATLAS_FIELD_SECRET", "field-pass")
    at = sign_in(field_app().run(), "field", "王工", "guess")
    assert any("口令不正确" in e.value for e in at.error)
    assert "提交" not in [b.label for b in at.button]


def test_field_worker_confirms_a_project(monkeypatch, isolated_store):
    monkeypatch.setenv("ATLAS_FIELD_SECRET", "field-pass")
    at = sign_in(field_app().run(), "field", "王工", "field-pass")
    at.selectbox(key="field_pick").set_value("tianshan-park").run()
    at.button[[b.label for b in at.button].index("提交")].click().run()
    assert any("已保存" in s.value for s in at.success), [e.value for e in at.error]
    subs = Store(isolated_store).submissions()
    assert subs[["project_id", "kind", "submitted_by", "team"]].values.tolist() == [
        ["tianshan-park", "confirm", "王工", "一组"]]


def test_correction_needs_a_position_and_a_note(monkeypatch, isolated_store):
    monkeypatch.setenv("ATLAS_FIELD_SECRET", "field-pass")
    at = sign_in(field_app().run(), "field", "王工", "field-pass")
    at.selectbox(key="field_pick").set_value("tianshan-park").run()
    at.radio[0].set_value("correct")
    at.button[[b.label for b in at.button].index("提交")].click().run()
    assert any("需要一个位置" in e.value for e in at.error)
    # type a position in GCJ-02 (as copied from AMap)
    at.selectbox[0].set_value("gcj02")
    at.number_input[0].set_value(121.41564)
    at.number_input[1].set_value(31.21025)
    at.button[[b.label for b in at.button].index("使用此坐标")].click().run()
    assert any("手动输入" in s.value for s in at.success)
    at.radio[0].set_value("correct")
    at.button[[b.label for b in at.button].index("提交")].click().run()
    assert any("更正需要说明" in e.value for e in at.error)
    assert Store(isolated_store).submissions().empty  # nothing stored on bad input
    at.radio[0].set_value("correct")
    at.text_area[0].input("入口在北侧")
    at.button[[b.label for b in at.button].index("提交")].click().run()
    subs = Store(isolated_store).submissions()
    assert subs["kind"].tolist() == ["correct"]
    assert subs.loc[0, "lon"] == pytest.approx(121.411, abs=1e-3)  # converted to WGS-84


@pytest.mark.parametrize("lon,lat,message", [
    (31.2, 121.4, "互换"),
    (121.60, 31.30, "区界以外"),
])
def test_bad_typed_positions_are_refused(lon, lat, message):
    at = field_app().run()
    at.number_input[0].set_value(lon)
    at.number_input[1].set_value(lat)
    at.button[[b.label for b in at.button].index("使用此坐标")].click().run()
    assert any(message in e.value for e in at.error), [e.value for e in at.error]
    assert not at.success


def test_reviewer_accepts_and_the_map_data_changes(monkeypatch, isolated_store):
    from app.store import Submission

    store = Store(isolated_store)
    sid = store.submit(Submission("tianshan-park", "correct", "王工", lon=121.4105, lat=31.2125,
                                  precision="site", accuracy_m=5, note="入口在北侧"))
    monkeypatch.setenv("ATLAS_REVIEW_SECRET", "review-pass")
    at = review_app().run()
    assert any("审核人" in i.value for i in at.info)  # needs the reviewer role
    at = sign_in(at, "reviewer", "李审", "review-pass")
    assert at.selectbox(key="review_pick").value == sid
    at.button[[b.label for b in at.button].index("通过")].click().run()
    assert any("审核需要填写意见" in e.value for e in at.error)
    at.text_input[0].input("与照片一致")
    at.button[[b.label for b in at.button].index("通过")].click().run()
    assert store.submissions()["status"].tolist() == ["accepted"]
    assert store.field_updates()["project_id"].tolist() == ["tianshan-park"]
    assert any("没有待审核" in i.value for i in at.info)


def test_field_role_cannot_review(monkeypatch):
    monkeypatch.setenv("ATLAS_FIELD_SECRET", "field-pass")
    monkeypatch.setenv("ATLAS_REVIEW_SECRET", "review-pass")
    at = review_app().run()
    at = sign_in(at, "reviewer", "王工", "field-pass")
    assert any("口令不正确" in e.value for e in at.error)


def shielded_field_app() -> AppTest:
    """The field page inside the frame's error handling, as the app runs it."""
    def page():
        from app.ui.frame import errors_shown
        from app.ui.pages import field_page

        with errors_shown("zh"):
            field_page.render()

    return AppTest.from_function(page, default_timeout=60)


def every_text(at: AppTest) -> str:
    """All text the page shows (alerts, captions, Markdown, exceptions)."""
    elements = [*at.markdown, *at.caption, *at.info, *at.warning, *at.error, *at.success,
                *at.exception]
    return "\n".join(str(e.value) for e in elements)


def test_the_review_list_holds_only_the_shown_registers_checks(monkeypatch, isolated_store):
    from app.store import Submission

    store = Store(isolated_store)
    mine = store.submit(Submission("tianshan-park", "confirm", "王工", note="在此"))
    store.submit(Submission("tianshan-park", "confirm", "赵工", note="另一个项目库的同名项目",
                            register="district-2025"))  # same id, another register
    monkeypatch.setenv("ATLAS_REVIEW_SECRET", "review-pass")
    at = sign_in(review_app().run(), "reviewer", "李审", "review-pass")
    [only] = at.selectbox(key="review_pick").options  # the other register's check is not listed
    assert only.startswith(f"#{mine} ") and "王工" in only
