"""AppTest of the planner page (roles, saving with a reason, concurrent saves) and of the
review page's section of planners' changes."""

from __future__ import annotations

import pytest
from shapely import box
from streamlit.testing.v1 import AppTest

from app.data.atlas import load_atlas
from app.domain.roles import FIELD, PLANNER, Identity
from app.service.atlas import shown_atlas
from app.service.living import propose_edit
from app.store import Store
from tests import apptest

# a small parcel inside the district, beside 天山公园
PARCEL = box(121.4000, 31.2100, 121.4010, 31.2110)


def planner_app() -> AppTest:
    def page():
        from app.ui.pages import planner_page

        planner_page.render()

    return AppTest.from_function(page, default_timeout=60)


def review_app() -> AppTest:
    def page():
        from app.ui.pages import review_page

        review_page.render()

    return AppTest.from_function(page, default_timeout=60)


def sign_in(at: AppTest, role: str, passphrase: str, name: str = "李规划") -> AppTest:
    return apptest.sign_in(at, role, name, passphrase, team="规划科")


def labels(at: AppTest) -> list[str]:
    return [b.label for b in at.button]


def tools_shown(at: AppTest) -> bool:
    """Whether any of the planner's tools is on the page."""
    keys = {getattr(w, "key", None) for w in [*at.selectbox, *at.text_area, *at.text_input]}
    return any(str(k).startswith("planner_pick") for k in keys) or "保存修改" in labels(at)


def save(at: AppTest) -> AppTest:
    return at.button[labels(at).index("保存修改")].click().run()


def by_label(widgets, label: str):
    return next(w for w in widgets if w.label == label)


@pytest.fixture
def planner(monkeypatch) -> AppTest:
    monkeypatch.setenv("ATLAS_PLANNER_SECRET", "plan-pass")
    at = sign_in(planner_app().run(), PLANNER, "plan-pass")
    assert not at.exception, at.exception
    return at


# --- who sees the tools ----------------------------------------------------------------------

def test_nobody_signed_in_sees_the_sign_in_and_no_tools(monkeypatch):
    monkeypatch.setenv("ATLAS_PLANNER_SECRET", "plan-pass")
    at = planner_app().run()
    assert not at.exception
    assert any("规划师" in i.value for i in at.info)  # "this needs the planner role"
    assert "登录" in labels(at)
    assert not tools_shown(at)


def test_without_configuration_nobody_gets_the_tools(monkeypatch):
    monkeypatch.delenv("ATLAS_PLANNER_SECRET", raising=False)
    at = planner_app().run()
    assert any("尚未配置" in w.value for w in at.warning)
    assert not tools_shown(at)


def test_a_field_worker_is_refused(monkeypatch):
    monkeypatch.setenv("ATLAS_PLANNER_SECRET", "plan-pass")
    at = planner_app()
    at.session_state["_identity"] = Identity("王工", "一组", frozenset({FIELD}), "passphrase")
    at.run()
    assert any("规划师" in i.value for i in at.info)
    assert not tools_shown(at)


def test_a_wrong_passphrase_gives_no_tools(monkeypatch):
    monkeypatch.setenv("ATLAS_PLANNER_SECRET", "plan-pass")
    at = sign_in(planner_app().run(), PLANNER, "guess")
    assert any("口令不正确" in e.value for e in at.error)
    assert not tools_shown(at)


def test_a_planner_gets_the_tools_with_unlocated_projects_first(planner):
    atlas = load_atlas()
    unlocated = set(atlas.projects.loc[atlas.projects.geometry.isna(), "id"])
    picker = planner.selectbox(key="planner_pick")
    options = list(picker.options)
    assert len(options) == len(atlas.projects)
    assert all("未定位" in label for label in options[:len(unlocated)])
    assert not any("未定位" in label for label in options[len(unlocated):])
    assert picker.value in unlocated
    assert any(f"其中 {len(unlocated)} 个尚未定位" in c.value for c in planner.caption)
    assert "保存修改" in labels(planner)
    assert "退出登录" in labels(planner)


def test_the_chosen_project_survives_a_change_of_language(planner):
    planner.selectbox(key="planner_pick").set_value("tianshan-park").run()
    planner.session_state["w_lang"] = "en"
    planner.run()
    picker = planner.selectbox(key="planner_pick")
    assert picker.value == "tianshan-park"
    assert any(o.endswith(" · unlocated") for o in picker.options)
    assert not any("未定位" in o for o in picker.options)
    assert "Save the change" in labels(planner)


# --- saving ------------------------------------------------------------------------------------

def test_an_attribute_edit_needs_a_reason_and_is_saved_in_force(planner, isolated_store):
    planner.selectbox(key="planner_pick").set_value("tianshan-park").run()
    by_label(planner.text_input, "牵头单位").input("区绿化市容局")
    save(planner)
    assert any("需要简短的原因" in e.value for e in planner.error), [e.value for e in planner.error]
    assert Store(isolated_store).changes(project_id="tianshan-park", status="accepted") \
        .query("source == 'planner'").empty
    by_label(planner.text_area, "修改原因(必填)").input("区政府网站公示")
    save(planner)
    assert any("已保存并生效" in s.value for s in planner.success), [e.value for e in planner.error]
    changes = Store(isolated_store).changes(project_id="tianshan-park").query("source == 'planner'")
    assert changes[["actor", "reason", "status"]].values.tolist() == [["李规划", "区政府网站公示", "accepted"]]
    assert '"lead_agency": "区绿化市容局"' in changes["new"].iloc[0]
    # the page now shows the saved value, and a second save of the same values saves nothing
    assert by_label(planner.text_input, "牵头单位").value == "区绿化市容局"
    by_label(planner.text_area, "修改原因(必填)").input("再次保存")
    save(planner)
    assert any("没有需要保存的修改" in w.value for w in planner.warning)


def test_a_stage_entry_is_saved_with_its_date_and_source(planner, isolated_store):
    planner.selectbox(key="planner_pick").set_value("tianshan-park").run()
    by_label(planner.selectbox, "阶段").set_value("construction")
    by_label(planner.text_input, "依据来源").input("施工许可公示")
    by_label(planner.text_area, "修改原因(必填)").input("已开工")
    save(planner)
    assert any("已保存并生效" in s.value for s in planner.success), [e.value for e in planner.error]
    new = Store(isolated_store).changes(project_id="tianshan-park").query("source == 'planner'")["new"]
    assert '"stage": "construction"' in new.iloc[0] and '"source": "施工许可公示"' in new.iloc[0]


def test_a_save_after_a_colleagues_save_is_refused(planner, isolated_store):
    planner.selectbox(key="planner_pick").set_value("tianshan-park").run()
    # a colleague saves the same project meanwhile (through the same service)
    store = Store(isolated_store)
    shown = shown_atlas(store=store).atlas
    opened = int(shown.projects.set_index("id").loc["tianshan-park", "edit_version"])
    propose_edit(store, shown, "tianshan-park", actor="王规划", reason="同事先改",
                 attributes={"lead_agency": "天山路街道"}, expected_version=opened)
    by_label(planner.text_input, "牵头单位").input("区绿化市容局")
    by_label(planner.text_area, "修改原因(必填)").input("我的修改")
    save(planner)
    assert any("未保存" in e.value and "王规划" in e.value for e in planner.error), \
        [e.value for e in planner.error]
    actors = store.changes(project_id="tianshan-park").query("source == 'planner'")["actor"].tolist()
    assert actors == ["王规划"]  # nothing of the second save was stored


# --- review of planners' changes -------------------------------------------------------------

@pytest.fixture
def pending_geometry(isolated_store) -> tuple[Store, str, int]:
    """An unlocated project's proposed boundary, waiting for review (the default rule)."""
    store = Store(isolated_store)
    atlas = shown_atlas(store=store).atlas
    row = atlas.projects[atlas.projects.geometry.isna() & (atlas.projects["layer"] == "renewal")].iloc[0]
    [(cid, status)] = propose_edit(store, atlas, row["id"], actor="李规划", reason="红线图",
                                   geometry=PARCEL, expected_version=int(row["edit_version"]))
    assert status == "pending"
    return store, row["id"], cid


def test_a_reviewer_sees_a_pending_boundary_and_accepts_it(monkeypatch, pending_geometry):
    store, project_id, cid = pending_geometry
    monkeypatch.setenv("ATLAS_REVIEW_SECRET", "review-pass")
    at = sign_in(review_app().run(), "reviewer", "review-pass", name="赵审核")
    assert not at.exception, at.exception
    assert at.selectbox(key="review_change_pick").value == cid
    cells = at.dataframe[0].value.to_string()
    assert "多边形,4 个顶点" in cells and "公顷" in cells
    assert any("红线图" in m.value for m in at.markdown)
    at.text_input(key=f"review_change_{cid}_reason").input("与规划图一致")
    at.button[labels(at).index("通过")].click().run()
    assert any(f"已通过修改 #{cid}" in s.value for s in at.success), [e.value for e in at.error]
    decided = store.changes(project_id=project_id).set_index("id").loc[cid]
    assert (decided["status"], decided["reviewed_by"]) == ("accepted", "赵审核")
    assert not at.warning  # our own decision is not "decided by someone else"


def test_a_reviewer_who_loses_the_race_is_told_plainly(monkeypatch, pending_geometry):
    store, _project_id, cid = pending_geometry
    monkeypatch.setenv("ATLAS_REVIEW_SECRET", "review-pass")
    at = sign_in(review_app().run(), "reviewer", "review-pass", name="赵审核")
    version = int(store.changes(status="pending").set_index("id").loc[cid, "version"])
    store.review_change(cid, "钱审核", accept=False, reason="位置不对", expected_version=version)
    at.text_input(key=f"review_change_{cid}_reason").input("与规划图一致")
    at.button[labels(at).index("通过")].click().run()
    assert any(f"修改 #{cid} 已由 钱审核" in w.value and "退回,本次审核未生效" in w.value
               for w in at.warning), [w.value for w in at.warning]
    assert any("没有等待审核的规划修改" in i.value for i in at.info)
    decided = store.changes().set_index("id").loc[cid]
    assert (decided["status"], decided["reviewed_by"]) == ("rejected", "钱审核")


def test_a_planner_who_is_also_a_reviewer_does_not_decide_their_own_change(monkeypatch,
                                                                           pending_geometry):
    store, _project_id, cid = pending_geometry
    monkeypatch.setenv("ATLAS_REVIEW_SECRET", "review-pass")
    at = sign_in(review_app().run(), "reviewer", "review-pass", name="李规划")
    assert at.selectbox(key="review_change_pick").value == cid
    assert any("须由另一位审核人决定" in i.value for i in at.info)
    assert "通过" not in labels(at)
    assert store.changes(status="pending")["id"].tolist() == [cid]


def test_a_forged_drawing_of_too_many_vertices_is_refused_before_any_work(planner):
    """What the map sends back is bounded before it is read: a drawing is a site, not a city."""
    from app.data.living import MAX_VERTICES

    planner.selectbox(key="planner_pick").set_value("tianshan-park").run()
    key = "planner_map_tianshan-park_0_draw"  # the draw map of the project, as opened
    ring = [[121.40 + i * 1e-7, 31.20] for i in range(MAX_VERTICES + 10)] + [[121.40, 31.20]]
    planner.session_state[key] = {"drawn": {"type": "Polygon", "coordinates": [ring]}, "crs": "wgs84"}
    planner.run()
    assert not planner.exception
    assert any("顶点超过" in e.value for e in planner.error), [e.value for e in planner.error]
