"""Comparing two days (对比分析) and ``python -m app diff``, on both stores: every project added
around the first seed, a planner's move with its distance, a redrawn outline, a stage from -> to,
attributes, a project a newer seed retires, nothing changed, and bad days refused."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pandas as pd
import pytest
import shapely
from pyproj import Geod
from shapely import Point, box

from app.cli.main import main
from app.data.atlas import load_atlas
from app.data.living import SEED_DATE
from app.domain.viewstate import district_today
from app.service.atlas import shown_atlas
from app.service.compare import CHANGE_KINDS, DIFF_COLUMNS, compare_days, compare_projects
from app.service.living import propose_edit, seed_register
from app.store import open_store
from tests import pg_support

postgis_server = pg_support.postgis_server
pg_url = pg_support.pg_url

TODAY = district_today().isoformat()
POINT_ID = "tianshan-park"  # a point
AREA_ID = "hongkaifa-renewal"  # an outline
STAGE_ID = "jingyao-hongqiao"  # 竣工, under construction


@pytest.fixture(scope="module")
def base():
    return load_atlas()


@pytest.fixture(params=["sqlite", "postgis"])
def location(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return str(tmp_path / "atlas.sqlite")
    return request.getfixturevalue("pg_url")


@pytest.fixture()
def store(location: str, base):
    store = open_store(location)
    seed_register(store, base)
    return store


def diff(location: str, tmp_path: Path, *args: str) -> tuple[int, list[dict]]:
    out = tmp_path / "changes.geojson"
    code = main(["diff", *args, "--output", str(out), "--store", location])
    return code, json.loads(out.read_text(encoding="utf-8"))["features"]


def test_around_the_first_seed_every_project_is_added(store, location, base, tmp_path, capsys):
    code, features = diff(location, tmp_path, "--from", "2025-01-07", "--to", "2025-01-09")
    assert code == 0
    assert [f["properties"]["change"] for f in features] == ["added"] * len(base.projects)
    assert sorted(f["properties"]["project_id"] for f in features) == sorted(base.projects["id"])
    located = int(base.projects.geometry.notna().sum())
    assert sum(f["geometry"] is not None for f in features) == located
    assert f"wrote {len(base.projects)} changes between 2025-01-07 and 2025-01-09 " \
           f"({len(base.projects)} added)" in capsys.readouterr().out


def test_a_move_a_reshape_a_stage_and_attributes(store, location, base, tmp_path):
    atlas = shown_atlas(store=store, base=base).atlas
    rows = atlas.projects.set_index("id")
    old_point = rows.loc[POINT_ID].geometry
    new_point = Point(old_point.x + 0.002, old_point.y + 0.001)
    propose_edit(store, atlas, POINT_ID, actor="李规划", reason="按现场核实移位", geometry=new_point,
                 expected_version=int(rows.loc[POINT_ID, "edit_version"]), rule="none")
    outline = box(121.3900, 31.2050, 121.3950, 31.2090)
    propose_edit(store, atlas, AREA_ID, actor="李规划", reason="依据控规单元重绘", geometry=outline,
                 expected_version=int(rows.loc[AREA_ID, "edit_version"]), rule="none")
    propose_edit(store, atlas, STAGE_ID, actor="李规划", reason="竣工验收",
                 stage=("completed", "2025-12-10", "竣工验收备案"),
                 attributes={"lead_agency": "区建管委"},
                 expected_version=int(rows.loc[STAGE_ID, "edit_version"]), rule="none")

    code, features = diff(location, tmp_path, "--from", "2025-06-01")
    assert code == 0
    by_kind = {}
    for f in features:
        by_kind.setdefault(f["properties"]["change"], []).append(f["properties"])
    assert set(by_kind) == {"moved", "reshaped", "stage", "attributes"}

    [moved] = by_kind["moved"]
    assert moved["project_id"] == POINT_ID and moved["fields"][0] == "geometry"
    _, _, metres = Geod(ellps="WGS84").inv(old_point.x, old_point.y, new_point.x, new_point.y)
    assert moved["distance_m"] == pytest.approx(metres, abs=1.0)
    assert shapely.from_wkt(moved["old_wkt"]).equals_exact(old_point, 1e-9)
    assert json.loads(moved["new"])["pos_method"] == "drawn"

    [reshaped] = by_kind["reshaped"]
    assert reshaped["project_id"] == AREA_ID and reshaped["distance_m"] > 0
    assert shapely.from_wkt(reshaped["new_wkt"]).equals_exact(outline, 1e-9)

    [stage] = by_kind["stage"]
    assert (stage["project_id"], stage["stage_from"], stage["stage_to"]) == (
        STAGE_ID, "construction", "completed")
    assert json.loads(stage["new"]) == {"status": "completed", "stage_date": "2025-12-10"}

    attributes = {a["project_id"]: a for a in by_kind["attributes"]}
    assert attributes[STAGE_ID]["fields"] == ["lead_agency"]
    assert json.loads(attributes[STAGE_ID]["old"]) == {"lead_agency": None}
    assert json.loads(attributes[STAGE_ID]["new"]) == {"lead_agency": "区建管委"}
    assert set(attributes) == {STAGE_ID}  # a move's provenance goes with the move

    # the stage is valid time: as of the day it was reached, the edits recorded today are not
    kinds = set(compare_days(base, store, "2025-06-01", "2025-12-31")["change"])
    assert kinds == {"stage"}


def test_a_project_a_newer_seed_drops_is_retired(store, location, base, tmp_path):
    dropped = str(base.projects["id"].iloc[0])
    newer = replace(base, projects=base.projects[base.projects["id"] != dropped].reset_index(drop=True))
    seed_register(store, newer, today=TODAY)
    changes = compare_days(base, store, SEED_DATE)
    assert changes[["change", "project_id"]].values.tolist() == [["retired", dropped]]
    assert changes["stage_from"].iloc[0] == base.projects["status"].iloc[0]
    assert changes.geometry.iloc[0] is not None  # where it was


def test_nothing_changed_is_said(store, location, tmp_path, capsys):
    out = tmp_path / "changes.txt"
    code = main(["diff", "--from", "2025-03-01", "--to", "2025-06-01", "--output", str(out),
                 "--format", "csv", "--store", location])
    assert code == 0
    assert "no changes between 2025-03-01 and 2025-06-01" in capsys.readouterr().out
    frame = pd.read_csv(out, encoding="utf-8-sig")
    assert list(frame.columns) == list(DIFF_COLUMNS) and frame.empty


@pytest.mark.parametrize("args,message", [
    (["--from", "2025-02-30"], "the comparison day must be a day written YYYY-MM-DD, got '2025-02-30'"),
    (["--from", "2025-06-01", "--to", "2025-05-01"],
     "the comparison day 2025-06-01 is not before the day it is compared with, 2025-05-01"),
    (["--from", "2025-06-01", "--to", "2099-01-01"], "the later day 2099-01-01 is after today"),
    (["--from", "2025-06-01", "--format", "kml"], "invalid choice: 'kml'"),
])
def test_bad_days_exit_2_with_one_line(tmp_path, capsys, args, message):
    if "--format" in args:  # argparse's own refusal: status 2 too
        with pytest.raises(SystemExit) as exit_:
            main(["diff", *args, "--output", str(tmp_path / "c.geojson")])
        assert exit_.value.code == 2
    else:
        assert main(["diff", *args, "--output", str(tmp_path / "c.geojson")]) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err
    assert not (tmp_path / "c.geojson").exists()


def test_changes_are_listed_added_and_retired_first_then_by_project(base):
    old = base.projects.iloc[[0, 1, 2]]
    new = base.projects.iloc[[1, 2, 3]].assign(lead_agency=["甲", "", "乙"])
    changes = compare_projects(old, new, from_day="2025-03-01", to_day="2025-06-01")
    assert changes["change"].tolist() == ["added", "retired", "attributes"]
    assert CHANGE_KINDS[:2] == ("added", "retired")
