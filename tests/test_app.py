"""AppTest smoke tests of the pages: filters drive counts and table; bad URLs give notices."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from app.domain.text import unescape_markdown as plain
from tests.apptest import map_app

ROOT = Path(__file__).resolve().parent.parent


def app(**params: str) -> AppTest:
    return map_app(params).run()


def count_line(at: AppTest) -> str:
    return next(m.value for m in [*at.caption, *at.markdown]
                if "个项目符合筛选" in m.value or "projects match" in m.value)


def table(at: AppTest):
    return at.dataframe[-1].value


def test_home_page_lists_every_project(atlas):
    at = app(basemap="none")
    assert not at.exception
    n = len(atlas.projects)
    located = int(atlas.projects.geometry.notna().sum())
    assert count_line(at) == f"共 {n} 个项目符合筛选:地图上 {located} 个,未定位 {n - located} 个"
    assert len(table(at)) == n
    assert not at.warning


def _map_args(at: AppTest) -> dict:
    [live] = [e for e in at.get("component_instance")
              if e.proto.component_name == "app.ui.live_map.atlas_live_map"]
    return json.loads(live.proto.json_args)


def test_the_map_comes_first_and_the_rest_once_it_has_painted(atlas):
    from app.ui.pages.map_page import MAP_PAINTED

    at = AppTest.from_file(str(ROOT / "streamlit_page.py"), default_timeout=60)
    at.query_params["basemap"] = "none"
    at.query_params["layer"] = "public_space"
    at.run()  # a new visitor's first run: the title, the counts and the map, nothing else
    assert not at.exception
    assert _map_args(at)["report_painted"] is True
    # the link's view at once, though no control is drawn yet
    expected = atlas.projects[atlas.projects["layer"] == "public_space"]
    shown = len(expected)
    assert count_line(at).startswith(f"共 {shown} 个项目") and 0 < shown < len(atlas.projects)
    assert not at.dataframe and not at.get("download_button")
    assert not at.text_input and not at.multiselect and not at.selectbox and not at.date_input
    assert not at.get("button_group")  # the language switch
    assert any("地图绘出后" in c.value for c in at.caption)
    assert any("筛选、图层和底图" in c.value for c in at.sidebar.caption)
    at.session_state[MAP_PAINTED] = True  # what the map's report of its first paint sets
    at.run()
    assert _map_args(at)["report_painted"] is False
    assert at.text_input(key="w_q").value == ""
    assert at.multiselect(key="w_f_layer").value == ["public_space"]
    assert at.selectbox(key="w_register") and at.get("button_group")
    assert len(table(at)) == shown and at.get("download_button")


def test_a_language_switch_gives_every_choice_widget_its_value_again():
    """The switch's callback re-sets the choice widgets noted where they are drawn
    (state.relabelled): each one on the page, and the values stay what they were."""
    at = app(basemap="none", layer="public_space", refs="boundary")
    drawn = {w.key for w in [*at.multiselect, *at.selectbox]}
    assert {"w_f_layer", "w_refs", "w_basemap", "w_register"} <= drawn
    assert drawn <= at.session_state["_relabel_keys"]
    values = {k: at.session_state[k] for k in drawn}
    at.button_group(key="w_lang").set_value("en").run()
    assert not at.exception and not at.warning
    assert {k: at.session_state[k] for k in drawn} == values
    assert at.multiselect(key="w_f_layer").value == ["public_space"]
    assert "Parks and public space" in at.multiselect(key="w_f_layer").options


def test_a_filter_changes_table_and_counts(atlas):
    at = app(basemap="none")
    at.multiselect(key="w_f_layer").set_value(["public_space"]).run()
    expected = atlas.projects[atlas.projects["layer"] == "public_space"]
    assert len(table(at)) == len(expected)
    assert f"共 {len(expected)} 个项目" in count_line(at)
    assert at.query_params["layer"] in ("public_space", ["public_space"])


def test_search_finds_tianshan_by_pinyin():
    at = app(basemap="none", q="tianshan", lang="en")
    names = table(at)["Name"].tolist()
    assert "Tianshan Park upgrade and opening" in names
    assert len(names) < 10


def test_empty_result_says_so():
    at = app(basemap="none", q="no-such-place-anywhere")
    assert any("没有项目符合" in i.value for i in at.info)


def test_url_filters_reproduce_the_view(atlas):
    at = app(basemap="none", lang="en", status="operating", section="四")
    rows = atlas.projects[(atlas.projects["status"] == "operating")
                          & (atlas.projects["report_section"] == "四")]
    assert len(table(at)) == len(rows)
    assert at.multiselect(key="w_f_status").value == ["operating"]
    assert at.markdown[0].value == "#### Changning Urban Renewal Atlas"  # compact: map high up


@pytest.mark.parametrize("params,bad", [
    ({"status": "bogus"}, "bogus"),
    ({"basemap": "google"}, "google"),
    ({"z": "99"}, "z='99'"),
    ({"p": "nope"}, "nope"),
])
def test_bad_url_values_are_ignored_with_a_notice(atlas, params, bad):
    at = app(**({"basemap": "none"} | params))
    assert not at.exception
    assert any(bad in plain(w.value) for w in at.warning)
    assert len(table(at)) == len(atlas.projects)


def test_tianditu_without_key_falls_back_visibly(monkeypatch):
    monkeypatch.delenv("TIANDITU_KEY", raising=False)
    at = app(basemap="tianditu")
    assert any("TIANDITU_KEY" in i.value for i in at.info)
    assert not at.exception


def test_about_page_renders():
    def page():
        from app.ui.pages import about_page

        about_page.render()

    at = AppTest.from_function(page, default_timeout=60).run()
    assert not at.exception
    assert at.title[0].value == "数据与说明"
    assert len(at.dataframe) == 3  # sources, statuses, precisions
    assert "changning_pois_amap2020_wgs84.csv" in at.dataframe[0].value.iloc[:, 0].tolist()
    texts = " ".join(m.value for m in at.markdown)
    # parts folded, district-wide listed; 59 items since the coverage rule was applied evenly
    assert "报告条目 59 项" in texts and "一刻钟便民生活圈" in texts


def test_a_download_button_per_format_for_the_current_filter():
    at = app(basemap="none", layer="public_space")
    buttons = at.get("download_button")
    # one per export format and the supervision report (xlsx, pdf)
    assert len(buttons) == 6
    assert at.button(key="dl_sheet_make")  # the map sheet, drawn when asked for (tests/test_sheet.py)
    assert not at.exception


def test_export_for_the_page_filter_matches_the_cli(atlas, tmp_path):
    """The page's downloads call export_bytes with the page's Filter; so does the CLI."""
    import json
    import subprocess
    import sys

    from app.domain.viewstate import parse_view
    from app.io.export import export_bytes
    from app.service.atlas import shown_atlas
    from app.ui.state import allowed_values

    atlas = shown_atlas(base=atlas).atlas  # what the page shows: the living register
    view, _ = parse_view({"layer": "public_space", "status": "operating"}, allowed_values(atlas))
    page_bytes, _, _ = export_bytes(atlas, view.to_filter(), "geojson")
    out = tmp_path / "cli.geojson"
    subprocess.run([sys.executable, "-m", "app", "export", "--format", "geojson", "--output", str(out),
                    "--layer", "public_space", "--where", "status=operating"], check=True, cwd=ROOT)
    page, cli = json.loads(page_bytes), json.loads(out.read_text(encoding="utf-8"))
    page.pop("generated_at"), cli.pop("generated_at")
    assert page["features"] and page == cli


def test_a_project_in_the_url_focuses_the_map(atlas):
    at = app(basemap="none", p="tianshan-park")
    assert any("地图已定位到: 天山公园整体提升开放" in c.value for c in at.caption)
    assert at.query_params["p"] in ("tianshan-park", ["tianshan-park"])
    from app.map.builder import build_map

    html = build_map(atlas, atlas.projects, basemap="none", focus="tianshan-park").get_root().render()
    assert 'openPopup(' in html and '"tianshan-park"' in html
    point = atlas.projects.set_index("id").loc["tianshan-park"].geometry
    assert f"[{point.y}, {point.x}]" in html  # centred on the project, zoom 17


def test_the_url_carries_the_data_version_and_an_old_one_gives_a_notice(atlas):
    at = app(basemap="none")
    version = at.query_params["v"]
    assert str(version).startswith(atlas.data_version)
    assert not at.info
    old = app(basemap="none", lang="en", v="0000-old")
    assert any("changed since this link was made" in i.value and "0000-old" in plain(i.value)
               for i in old.info)
    assert old.query_params["v"] == version


def test_a_selected_project_that_the_filters_exclude_is_dropped_with_a_notice(atlas):
    layer = atlas.projects.set_index("id").loc["tianshan-park", "layer"]
    other = next(s.id for s in atlas.project_layers if s.id != layer)
    at = app(basemap="none", lang="en", p="tianshan-park", layer=other)
    assert any("tianshan-park" in plain(i.value) and "not in the current filter" in i.value
               for i in at.info)
    assert "p" not in at.query_params


def test_clear_filters_clears_search_and_every_filter():
    at = app(basemap="none", status="operating", q="tianshan")
    assert at.text_input(key="w_q").value == "tianshan"
    next(b for b in at.button if b.label == "清除筛选").click().run()
    assert at.text_input(key="w_q").value == ""
    assert at.multiselect(key="w_f_status").value == []
    assert "status" not in at.query_params and "q" not in at.query_params



def test_a_link_made_before_a_planner_placed_a_project_says_what_changed(atlas, isolated_store):
    from app.service.atlas import shown_atlas
    from app.service.living import propose_edit
    from app.store import open_store

    at = app(basemap="none")  # the app seeds the store on its first start
    version = str(at.query_params["v"])
    store = open_store()
    living = shown_atlas(store=store, base=atlas).atlas
    pid = living.projects.loc[living.projects.geometry.isna(), "id"].iloc[0]
    edit_version = int(living.projects.set_index("id").loc[pid, "edit_version"])
    propose_edit(store, living, pid, actor="李规划", reason="依红线", rule="none",
                 geometry=living.places["district-changning"].geometry.representative_point(),
                 attributes={"lead_agency": "区建管委"}, expected_version=edit_version)
    later = app(basemap="none", lang="en", v=version)
    [info] = [i for i in later.info if "changed since this link was made" in i.value]
    assert "0 projects added, 1 moved, 0 changed, 0 removed" in plain(info.value)
    assert str(later.query_params["v"]) != version


def test_a_selected_project_offers_its_field_sheet_on_the_map_page(atlas):
    at = app(basemap="none", p="tianshan-park")
    assert at.button(key="dl_map_field_sheet_make").label == "生成现场核查单(PDF)"
    plain_page = app(basemap="none")
    assert "dl_map_field_sheet_make" not in [b.key for b in plain_page.button]


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_the_summary_bars_are_a_valid_vega_lite_spec(lang):
    import altair as alt
    import pandas as pd

    from app.ui.pages.map_page import _bars

    spec = _bars(pd.Series({"公园与公共空间": 10, "Innovation and industry": 8}), lang)
    chart = alt.Chart.from_dict(spec)  # validates against Altair's Vega-Lite schema
    assert chart.to_dict()["encoding"]["y"]["axis"]["labelLimit"] == 0
    assert [v["n"] for v in spec["data"]["values"]] == [10, 8]
