"""AppTest of the import page (app/ui/pages/import_page.py), with real file uploads.

Streamlit 1.67's AppTest uploads through ``at.file_uploader(...).set_value((name, bytes, mime))``:
the bytes go through the uploaded-file manager to ``st.file_uploader`` exactly as a browser
upload's do, so the page's own code path is the one a user takes.
"""

from __future__ import annotations

import doctest
import json
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from app.domain.i18n import STRINGS
from app.domain.text import unescape_markdown as plain
from app.io.limits import UPLOAD_LIMIT_BYTES
from app.io.mapping import MAPPING_FIELDS
from app.ui import cache
from app.ui.pages import import_page

PLANNER_PASS = "plan-pass"  # noqa: S105 (a test passphrase)
CSV = ("项目名称,地址,经度,纬度,状态\n"
       "天山公园改造,,121.4110,31.2121,运营提升\n"
       "交换坐标,,31.2183,121.4186,\n"
       "投影坐标,,350000,3454000,\n"
       "地址项目,上海市长宁区延安中路1609号,,,\n"  # a road with no sketch in Changning
       "公园项目,天山公园,,,\n")


def page() -> None:
    from app.ui.pages import import_page

    import_page.render()


def start(lang: str = "zh") -> AppTest:
    at = AppTest.from_function(page, default_timeout=120)
    at.session_state["w_lang"] = lang
    return at.run()


def upload(at: AppTest, name: str, data: bytes, mime: str = "text/csv") -> AppTest:
    return at.file_uploader(key="imp_file").set_value((name, data, mime)).run()



def sign_in_planner(at: AppTest, name: str = "赵规划", passphrase: str = PLANNER_PASS) -> AppTest:
    at.text_input(key="signin_name_planner").input(name)
    at.text_input(key="signin_team_planner").input("规划科")
    at.text_input(key="signin_pass_planner").input(passphrase)
    return at.button[[b.label for b in at.button].index("登录")].click().run()


def report_table(at: AppTest):
    """The row report: the page's second table (the first is the file preview)."""
    assert len(at.dataframe) == 2
    return at.dataframe[1].value


def metrics(at: AppTest) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def test_the_page_asks_for_a_file():
    at = start()
    assert not at.exception
    assert at.title[0].value == "导入项目清单"
    assert "5 MiB" in at.caption[0].value
    uploader = at.file_uploader(key="imp_file")
    assert set(uploader.allowed_type) >= {".csv", ".xlsx", ".geojson", ".gpkg"}
    assert any("python -m app import" in i.value for i in at.info)


def test_upload_shows_the_inferred_mapping_before_import():
    at = upload(start(), "清单.csv", CSV.encode("gbk"))
    assert not at.exception and not at.error
    chosen = {name: at.selectbox(key=f"imp_map_{name}").value for name in MAPPING_FIELDS}
    assert chosen == {**dict.fromkeys(MAPPING_FIELDS, ""), "name": "项目名称", "address": "地址",
                      "lon": "经度", "lat": "纬度", "status": "状态"}
    assert at.selectbox(key="imp_encoding").value == "auto"
    assert len(at.dataframe[0].value) == 5
    assert not at.metric  # nothing imported before the button
    assert any("导入" in i.value for i in at.info)


def test_import_gives_summary_report_and_map():
    at = upload(start(), "清单.csv", CSV.encode("utf-8-sig"))
    at.button(key="imp_run").click().run()
    assert not at.exception and not at.error
    assert metrics(at) == {"已定位": "2", "已修正": "1", "未定位": "1", "已拒绝": "1"}
    report = report_table(at)
    assert len(report) == 5
    assert report["结果"].tolist() == ["已定位", "已修正", "已拒绝", "未定位", "已定位"]
    assert report.loc[3, "方法"] == "道路不在地名库中"  # road-not-in-gazetteer, in words
    assert "延安西路站" in report.loc[3, "候选地点"]
    assert at.get("download_button")
    # the map: the atlas's one map component, its base drawing the located rows only
    assert any(h.value == "导入结果地图" for h in at.subheader)
    (live,) = at.get("component_instance")
    assert live.proto.component_name == "app.ui.live_map.atlas_live_map"
    args = json.loads(live.proto.json_args)
    assert args["mode"] == "view" and not args["selectable"]
    base = json.loads((cache.STATIC_DIR / args["base_url"].removeprefix(cache.STATIC_URL + "/"))
                      .read_text(encoding="utf-8"))
    layers = json.dumps(base["layers"])
    drawn = [n for n in range(1, 6) if f"import-000{n}" in layers]
    assert drawn == [1, 2, 5]  # placed and fixed; never the unlocated (4) or rejected (3)


def test_the_mapping_can_be_changed():
    at = upload(start(), "清单.csv", CSV.encode())
    at.selectbox(key="imp_map_lon").set_value("")
    at.selectbox(key="imp_map_lat").set_value("")
    at.button(key="imp_run").click().run()
    assert not at.exception and not at.error
    # without coordinates every row is matched by address or name instead
    assert metrics(at) == {"已定位": "2", "已修正": "0", "未定位": "3", "已拒绝": "0"}


def test_changing_the_mapping_after_import_asks_to_import_again():
    at = upload(start(), "清单.csv", CSV.encode())
    at.button(key="imp_run").click().run()
    assert at.metric
    at.selectbox(key="imp_map_status").set_value("").run()
    assert not at.metric
    assert any("导入" in i.value for i in at.info)


def test_gcj02_choice_is_applied():
    at = upload(start(), "清单.csv", CSV.encode())
    at.selectbox(key="imp_crs").set_value("gcj02")
    at.button(key="imp_run").click().run()
    report = report_table(at)
    assert not at.exception and report.loc[0, "结果"] == "已定位"


def test_a_file_over_the_limit_gets_a_clear_message():
    at = upload(start(), "big.csv", b"a" * (UPLOAD_LIMIT_BYTES + 1))
    assert not at.exception
    assert len(at.error) == 1
    message = at.error[0].value
    assert "5 MiB" in message and str(UPLOAD_LIMIT_BYTES) in message and "python -m app import" in message
    assert not at.selectbox


def test_an_unusable_file_says_why():
    at = upload(start("en"), "broken.gpkg", b"not a geopackage", "application/geopackage+sqlite3")
    assert not at.exception
    assert plain(at.error[0].value).startswith("This file cannot be imported: broken.gpkg:")


def test_english_labels():
    at = upload(start("en"), "register.csv", CSV.encode())
    at.button(key="imp_run").click().run()
    assert at.title[0].value == "Import a register"
    assert set(metrics(at)) == {"placed", "fixed", "unlocated", "rejected"}
    assert "Result" in report_table(at).columns


def test_a_planner_saves_into_the_store_under_their_name(isolated_store: Path,
                                                         monkeypatch: pytest.MonkeyPatch):
    from app.store.sqlite import Store

    monkeypatch.setenv("ATLAS_PLANNER_SECRET", "plan-pass")
    at = upload(start(), "清单.csv", CSV.encode())
    at.button(key="imp_run").click().run()
    at = sign_in_planner(at)
    at.text_input(key="imp_save_name").input("parks-2025").run()
    at.button(key="imp_save").click().run()
    assert not at.exception and not at.error
    assert plain(at.success[0].value) == "已保存清单 parks-2025:4 个项目。"
    store = Store(isolated_store)
    assert store.registers()[["name", "saved_by"]].values.tolist() == [["parks-2025", "赵规划"]]
    audit = store.audit()
    assert audit.loc[audit["action"] == "save_register", "actor"].tolist() == ["赵规划"]


def test_a_reserved_register_name_is_refused_in_the_users_language(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("ATLAS_PLANNER_SECRET", "plan-pass")
    at = upload(start(), "清单.csv", CSV.encode())
    at.button(key="imp_run").click().run()
    at = sign_in_planner(at)
    at.text_input(key="imp_save_name").input("curated").run()
    at.button(key="imp_save").click().run()
    assert not at.exception
    assert plain(at.error[0].value).startswith("保存失败:")


def test_every_mapping_field_has_a_label():
    assert all(f"import.field_{name}" in STRINGS for name in MAPPING_FIELDS)


def test_doctests():
    assert doctest.testmod(import_page).failed == 0
