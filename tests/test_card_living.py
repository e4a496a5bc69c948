"""The card's living-register fields: the stage history, dates, agency, site area and links
reach the browser as JSON data (SVG and canvas alike), labelled, and only when set."""

from __future__ import annotations

import json
from dataclasses import replace

import pandas as pd
import pytest
import shapely

from app.data.living import SEED_DATE, apply_living, change_row, seed_changes, seed_values
from app.map.fields import card_config, project_sources
from app.map.project_layers import project_layers
from tests.test_mapview import decode_part, rendered, svg_features

PID = "tianshan-park"
EVIL = "</script><img src=x onerror=alert(1)>"


@pytest.fixture(scope="module")
def living(atlas):
    """The shipped atlas through the change log: the seed, then for PID a boundary, attributes
    (one link a javascript: URL slipped past the checks) and a construction stage."""
    edits = seed_changes(pd.DataFrame(), seed_values(atlas.projects), effective=SEED_DATE)
    rows = [change_row(i, e.project_id, e.source, e.old, e.new, effective=e.effective)
            for i, e in enumerate(edits, 1)]
    n = len(rows)
    box = shapely.box(121.370, 31.210, 121.372, 31.212)
    rows += [
        change_row(n + 1, PID, "planner", {}, {"geometry": shapely.to_wkt(box)},
                   effective="2025-04-01", actor="planner"),
        change_row(n + 2, PID, "planner", {}, {
            "lead_agency": "区绿化市容局", "start_date": "2025-03-01", "target_date": "2025-12-31",
            "links": ["https://www.shcn.gov.cn/notice?id=1&x=2", "javascript:alert(1)"]},
            effective="2025-04-01", actor="planner"),
        change_row(n + 3, PID, "planner", {}, {"stage_entry": {
            "stage": "construction", "date": "2025-03-10", "source": EVIL}},
            effective="2025-04-02", actor="planner"),
    ]
    projects = apply_living(atlas.projects, pd.DataFrame(rows))
    return replace(atlas, projects=projects)


def _props(living, svg_max: int) -> dict[str, dict]:
    """Each located project's shipped properties, as the browser gets them."""
    out = {}
    for layer in project_layers(living, living.projects, "en", svg_max=svg_max).values():
        if layer.strategy == "svg":
            out.update({f["properties"]["id"]: f["properties"] for f in svg_features(layer)})
        else:
            for part in layer.parts:
                columns = decode_part(part)[2]
                for values in zip(*columns.values(), strict=True):
                    row = dict(zip(columns, values, strict=True))
                    out[row["id"]] = row
    return out


@pytest.mark.parametrize("svg_max", [500, 0])
def test_the_payload_carries_stages_and_links_as_data(living, svg_max):
    props = _props(living, svg_max)[PID]
    assert props["stages"] == [
        {"date": SEED_DATE, "stage": props["stages"][0]["stage"],
         "label": living.vocab.status_label(props["stages"][0]["stage"], "en"),
         "source": props["stages"][0]["source"]},
        {"date": "2025-03-10", "stage": "construction", "label": "Under construction",
         "source": EVIL}]
    # the seed's stage is sourced to the report, cited in the card's language (English here)
    assert props["stages"][0]["source"].startswith("Changning District's 2025 government work report")
    assert props["links"] == ["https://www.shcn.gov.cn/notice?id=1&x=2"]  # javascript: left out
    assert (props["lead_agency"], props["start_date"], props["target_date"]) == (
        "区绿化市容局", "2025-03-01", "2025-12-31")
    area = float(living.projects.set_index("id").loc[PID, "site_area_m2"])
    assert 40_000 < area < 50_000  # 0.002 x 0.002 degrees near 31.2 N
    assert props["site_area"] == f"{area:,.0f} m² ({area / 10_000:,.2f} ha)"


@pytest.mark.parametrize("svg_max", [500, 0])
def test_unset_fields_travel_as_null(living, svg_max):
    points = set(living.projects.loc[living.projects.geom_type == "Point", "id"])
    other = next(p for pid, p in _props(living, svg_max).items() if pid != PID and pid in points)
    assert [other[f] for f in ("lead_agency", "start_date", "target_date", "site_area", "links")] == [None] * 5
    assert len(other["stages"]) == 1  # the seed's entry


def test_the_stage_source_cannot_break_out_of_the_script(living):
    layers = project_layers(living, living.projects, "en")
    text = "".join(p for layer in layers.values() for p in layer.parts)
    assert EVIL not in text and "</" not in text
    assert "\\u003c/script\\u003e" in text


def test_the_card_config_says_which_fields_are_optional_and_how_to_draw_them(atlas):
    config = card_config(atlas.spec("renewal"), "zh")
    assert config["kinds"] == {"stages": "timeline", "links": "links"}
    # the uncertainty line too: an unlocated project has none
    assert config["optional"] == ["stages", "lead_agency", "start_date", "target_date",
                                  "site_area", "uncertainty", "links"]
    assert ["stages", "阶段历程"] in config["card"]
    assert ["uncertainty", "位置误差半径"] in config["card"]
    assert ["site_area", "用地面积"] in config["card"]


def test_a_register_without_history_has_nothing_to_show(atlas):
    """The curated atlas (no change log) and a saved register: the living fields are unset."""
    sources = project_sources(atlas, atlas.projects, "zh")
    for name in ("stages", "lead_agency", "start_date", "target_date", "site_area", "links"):
        assert sources[name][0].isna().all(), name


def test_the_folium_map_ships_the_same_card(living):
    html = rendered(living, lang="zh", basemap="none")
    assert '"kinds": {"stages": "timeline", "links": "links"}' in html
    assert "建设中" in html  # the construction stage's label, in the page's language
    assert "javascript:alert" not in html


def test_a_stage_history_prints_on_the_field_sheet(living):
    from app.sheet.words import card_rows

    rows = dict(card_rows(living, living.projects[living.projects["id"] == PID], "en"))
    assert rows["Stage history"].endswith("2025-03-10 Under construction")
    assert rows["Links"] == "https://www.shcn.gov.cn/notice?id=1&x=2"
    assert json.dumps(rows, ensure_ascii=False)  # plain text only
