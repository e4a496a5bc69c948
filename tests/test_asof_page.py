"""AppTest of the map page as of a day: the date in the URL and the control, what the page says,
bad dates refused with a notice, and the progress chart below the map."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from app.data.living import SEED_DATE
from app.domain.text import unescape_markdown as plain
from app.domain.viewstate import district_today
from tests.apptest import map_app

ROOT = Path(__file__).resolve().parent.parent


def app(**params: str) -> AppTest:
    return map_app(params, timeout=90).run()


def table(at: AppTest):
    return at.dataframe[-1].value


def captions(at: AppTest) -> list[str]:
    return [plain(c.value) for c in at.caption]


def param(at: AppTest, name: str) -> str | None:
    value = at.query_params.get(name)
    return value[0] if isinstance(value, list) else value


def test_before_the_report_there_are_no_projects_and_the_page_says_so():
    at = app(basemap="none", lang="en", asof="2025-01-01")
    assert not at.exception
    assert len(table(at)) == 0
    assert any("as of 2025-01-01" in i.value and SEED_DATE in i.value for i in at.info)
    assert any(c.startswith("The register as of 2025-01-01 · data version") for c in captions(at))
    assert param(at, "asof") == "2025-01-01"
    assert at.date_input(key="w_asof").value == date(2025, 1, 1)


def test_after_the_report_every_seeded_project_is_there(atlas):
    at = app(basemap="none", asof="2025-06-30")
    assert not at.exception and not at.warning
    assert len(table(at)) == len(atlas.projects)
    assert any(c.startswith("截至 2025-06-30 的项目库") for c in captions(at))
    assert param(at, "asof") == "2025-06-30"


def test_today_is_the_live_register_and_stays_out_of_the_url(atlas):
    at = app(basemap="none", lang="en")
    assert at.date_input(key="w_asof").value == district_today()
    assert any(c.startswith("Today (the live register) · data version") for c in captions(at))
    assert "asof" not in at.query_params
    assert len(table(at)) == len(atlas.projects)


def test_the_date_control_moves_the_map_and_today_comes_back(atlas):
    at = app(basemap="none", lang="en")
    at.date_input(key="w_asof").set_value(date(2025, 1, 7)).run()
    assert len(table(at)) == 0 and param(at, "asof") == "2025-01-07"
    at.button(key="w_asof_today").click().run()
    assert len(table(at)) == len(atlas.projects)
    assert "asof" not in at.query_params


def test_a_typed_date_moves_the_map_and_a_bad_one_is_refused_in_words(atlas):
    at = app(basemap="none", lang="zh")
    at.text_input(key="w_asof_text").input("2025/1/7").run()
    assert at.date_input(key="w_asof").value == date(2025, 1, 7)
    assert param(at, "asof") == "2025-01-07" and len(table(at)) == 0
    assert at.text_input(key="w_asof_text").value == "2025-01-07"
    at.text_input(key="w_asof_text").input("下周三").run()
    assert any("不是日期" in e.value for e in at.error), [e.value for e in at.error]
    assert param(at, "asof") == "2025-01-07"  # the value stays
    at.text_input(key="w_asof_text").input("1999-12-31").run()
    assert any("不在可选范围内" in e.value for e in at.error)
    assert at.text_input(key="w_asof_text").value == "2025-01-07"


@pytest.mark.parametrize("raw,why", [
    ("2025-02-30", "a day written YYYY-MM-DD"),
    ("<img src=x onerror=alert(1)>", "a day written YYYY-MM-DD"),
    ("2999-01-01", "after today"),
])
def test_a_bad_date_is_dropped_with_a_notice_naming_it(atlas, raw, why):
    at = app(basemap="none", lang="en", asof=raw)
    assert not at.exception
    notices = [plain(w.value) for w in at.warning]
    assert any(f"asof={raw!r}" in n and why in n for n in notices), notices
    assert len(table(at)) == len(atlas.projects)  # the live register
    assert "asof" not in at.query_params
    # the notice's text is escaped Markdown: the tag is shown, never made an element
    assert not any("<img" in w.value and "\\<img" not in w.value for w in at.warning)


def _progress_charts(at: AppTest) -> list:
    """The charts in the progress expander (all projects first, then one per group)."""
    expander = next(e for e in at.expander if e.label == "Progress in 2025: projects in each stage")
    found = []

    def walk(node) -> None:
        if getattr(node, "type", None) == "vega_lite_chart":
            found.append(node)
        for child in getattr(node, "children", {}).values():
            walk(child)
    walk(expander)
    return found


def test_the_progress_chart_is_below_the_map(atlas):
    at = app(basemap="none", lang="en")
    layers = atlas.projects["layer"].nunique()
    assert not _progress_charts(at)  # drawn only once it is opened
    at.session_state["w_progress_open"] = True
    at.run()
    assert len(_progress_charts(at)) == 1  # all projects, until a grouping is chosen
    at.segmented_control(key="w_progress_by").set_value("layer").run()
    assert len(_progress_charts(at)) == 1 + layers  # then one per layer
    at.segmented_control(key="w_progress_by").set_value("report_section").run()
    assert not at.exception
    assert len(_progress_charts(at)) == 1 + atlas.projects["report_section"].nunique()


def test_the_page_downloads_record_the_day_they_show(isolated_store):
    import json

    from app.domain.filters import Filter
    from app.ui import cache

    cache.export_file.clear()  # the cache is the process's: made here, for the built-in register
    assert cache.chosen_register() == cache.BUILT_IN
    data, name, _ = cache.export_file("v", ("k",), "geojson", "wgs84", Filter(), "2025-06-01")
    doc = json.loads(data)
    assert doc["asof"] == "2025-06-01" and "@2025-06-01" in doc["data_version"]
    today, _, _ = cache.export_file("v", ("k",), "geojson", "wgs84", Filter())
    assert json.loads(today)["asof"] is None
