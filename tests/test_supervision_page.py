"""AppTest of implementation supervision on the map page: progress= in the URL and the filters,
colour=, the comparison day (URL and control; refused with one message in the page's language,
the view kept), the counts by progress, the changes table and the supervision downloads."""

from __future__ import annotations

from datetime import date

import pandas as pd
from streamlit.testing.v1 import AppTest

from app.domain.i18n import t
from app.domain.text import unescape_markdown as plain
from app.domain.viewstate import district_today
from app.service.atlas import shown_atlas
from app.service.living import propose_edit, seed_register
from app.store import open_store
from app.ui.supervision import map_args
from tests.apptest import map_app

TODAY = district_today().isoformat()


def app(**params: str) -> AppTest:
    return map_app(params, timeout=120).run()


def param(at: AppTest, name: str) -> str | None:
    value = at.query_params.get(name)
    return value[0] if isinstance(value, list) else value


def project_table(at: AppTest) -> pd.DataFrame:
    return next(d.value for d in at.dataframe if t("progress", "en") in d.value.columns
                and t("table", "en") != "" and len(d.value.columns) > 5)


def test_progress_filters_the_page_as_it_filters_an_export(atlas):
    at = app(basemap="none", lang="en", progress="target_passed")
    assert not at.exception
    assert at.multiselect(key="w_f_progress").value == ["target_passed"]
    expected = shown_atlas().atlas.projects
    overdue = expected[expected["progress"] == "target_passed"]
    table = project_table(at)
    assert len(table) == len(overdue) > 0
    assert set(table[t("progress", "en")]) == {t("supervision.progress_target_passed", "en")}
    assert param(at, "progress") == "target_passed"


def test_colour_and_comparison_live_in_the_url(atlas):
    at = app(basemap="none", lang="en", colour="progress", compare="2025-06-01")
    assert not at.exception and not at.warning
    assert at.radio(key="w_colour").value == "progress"
    assert at.date_input(key="w_compare").value == date(2025, 6, 1)
    assert param(at, "colour") == "progress" and param(at, "compare") == "2025-06-01"
    headings = [s.value for s in at.subheader]
    assert t("supervision.changes", "en").format(old="2025-06-01", new=TODAY) in headings
    assert any(i.value == t("supervision.no_changes", "en").format(old="2025-06-01", new=TODAY)
               for i in at.info)
    keys = {b.key for b in at.get("download_button")}
    assert {"dl_report_xlsx", "dl_report_pdf", "dl_diff_geojson", "dl_diff_csv"} <= keys
    # stop comparing: the table and the downloads of changes go, the URL forgets the day
    at.button(key="w_compare_clear").click().run()
    assert param(at, "compare") is None
    assert not any(s.value.startswith("Changes from") for s in at.subheader)
    assert "dl_diff_csv" not in {b.key for b in at.get("download_button")}


def test_a_comparison_lists_each_change_and_the_summary_counts_by_progress(isolated_store, atlas):
    store = open_store(isolated_store)
    seed_register(store, atlas)
    shown = shown_atlas(store=store, base=atlas).atlas
    rows = shown.projects.set_index("id")
    pid = "jingyao-hongqiao"
    propose_edit(store, shown, pid, actor="李规划", reason="竣工验收",
                 stage=("completed", "2025-12-10", "竣工验收备案"),
                 attributes={"lead_agency": "区建管委"}, expected_version=int(rows.loc[pid, "edit_version"]))
    at = app(basemap="none", lang="en")
    at.date_input(key="w_compare").set_value(date(2025, 6, 1)).run()
    assert not at.exception and param(at, "compare") == "2025-06-01"
    changes = next(d.value for d in at.dataframe if t("supervision.col_change", "en") in d.value.columns)
    assert changes[t("supervision.col_change", "en")].tolist() == [
        t("supervision.change_stage", "en"), t("supervision.change_attributes", "en")]
    assert changes[t("supervision.col_to", "en")].iloc[0] == atlas.vocab.status_label("completed", "en")
    # the counts by progress: by section and by agency, the done one under its agency
    by_agency = next(d.value for d in at.dataframe if "区建管委" in list(d.value.index))
    assert by_agency.loc["区建管委", t("report.short_done", "en")] == 1
    assert any(m.value == f"**{t('supervision.summary', 'en')}**" for m in at.markdown)


def test_a_comparison_day_no_longer_before_the_day_shown_is_dropped_with_one_message(atlas):
    at = app(basemap="none", asof="2025-06-30", compare="2025-06-01")
    assert at.date_input(key="w_compare").value == date(2025, 6, 1)
    # the control offers only days from the report to the day before the day shown
    assert at.date_input(key="w_compare").max == date(2025, 6, 29)
    assert at.date_input(key="w_compare").min == date(2025, 1, 8)
    # the day shown moves before the comparison day: said in the page's language, dropped
    at.date_input(key="w_asof").set_value(date(2025, 5, 1)).run()
    warnings = [plain(w.value) for w in at.warning]
    assert warnings == [t("supervision.compare_bad", "zh").format(
        message=t("supervision.compare_after", "zh").format(day="2025-06-01", asof="2025-05-01"))]
    assert at.date_input(key="w_compare").value is None
    assert param(at, "compare") is None and param(at, "asof") == "2025-05-01"
    assert not at.exception


def test_a_bad_comparison_day_in_the_url_is_dropped(atlas):
    for raw, reason in (("2024-12-31", t("supervision.compare_early", "en").format(
                            day="2024-12-31", seed="2025-01-08")),
                        ("<img src=x onerror=alert(1)>", t("supervision.compare_invalid", "en").format(
                            day="<img src=x onerror=alert(1)>"))):
        at = app(basemap="none", lang="en", compare=raw)
        assert not at.exception
        assert [plain(w.value) for w in at.warning] == [
            t("supervision.compare_bad", "en").format(message=reason)]
        assert param(at, "compare") is None
        assert len(project_table(at)) == len(atlas.projects)  # the view is as without it


def test_the_map_gets_the_colours_and_the_overlay(atlas):
    shown = shown_atlas().atlas
    legend = {"title": "Legend", "groups": []}
    from app.domain.viewstate import ViewState

    plain_view = map_args(shown, shown.projects, ViewState(lang="en"), "en", "wgs84", legend, None)
    assert plain_view["tone"] is None and plain_view["compare"] is None
    toned = map_args(shown, shown.projects, ViewState(lang="en", colour="progress"), "en", "wgs84",
                     legend, None)
    import base64

    codes = list(base64.b64decode(toned["tone"]["codes"]))
    assert len(codes) == len(shown.projects)
    passed = shown.projects["progress"].eq("target_passed").to_numpy()
    assert {c for c, p in zip(codes, passed, strict=True) if p} == {1}
    assert toned["legend"]["groups"][0]["title"] == t("supervision.legend", "en").format(day=TODAY)


def test_a_saved_register_is_counted_by_progress_but_has_no_days_to_compare(isolated_store, atlas):
    import geopandas as gpd
    from shapely import Point

    frame = gpd.GeoDataFrame({"id": ["x", "y"], "name_zh": ["甲", "乙"], "name_en": ["A", "B"],
                              "layer": ["renewal", "renewal"], "action": ["竣工", "开工"],
                              "target_year": [2025, 2025], "status": ["completed", "planning"]},
                             geometry=[Point(121.41, 31.21), None], crs="EPSG:4326")
    open_store(isolated_store).save_register("d-2025", frame, {}, saved_by="分析师")
    at = app(basemap="none", lang="en", register="d-2025", compare="2025-06-01")
    assert not at.exception
    assert [plain(w.value) for w in at.warning] == [t("supervision.compare_bad", "en").format(
        message=t("supervision.compare_saved", "en"))]
    assert at.date_input(key="w_compare").disabled
    table = project_table(at)
    assert sorted(table[t("progress", "en")]) == sorted(
        [t("supervision.progress_done", "en"), t("supervision.progress_target_passed", "en")])
    by_agency = next(d.value for d in at.dataframe if t("supervision.no_agency", "en") in list(d.value.index))
    assert by_agency.loc[t("supervision.no_agency", "en"), t("supervision.total", "en")] == 2
