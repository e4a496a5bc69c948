"""Progress against the report's targets: the vocabulary's goals (validated), the progress of a
project on a given day on both stores, ``days_since_update``, and the field in every face --
exports, ``--where progress=``, the URL."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from app.cli.main import main
from app.data.atlas import load_atlas
from app.data.living import SEED_DATE, change_row
from app.domain.model import PROGRESS
from app.domain.viewstate import parse_view
from app.service.atlas import shown_atlas
from app.service.living import propose_edit, seed_register
from app.service.supervision import progress_counts, progress_frame, with_progress
from app.store import open_store
from tests import pg_support

postgis_server = pg_support.postgis_server
pg_url = pg_support.pg_url

#: 竣工 (complete) in 2025, under construction in the report: the issue's example.
PID = "jingyao-hongqiao"


@pytest.fixture(scope="module")
def base():
    return load_atlas()


@pytest.fixture(params=["sqlite", "postgis"])
def store(request: pytest.FixtureRequest, tmp_path: Path, base):
    target = str(tmp_path / "atlas.sqlite") if request.param == "sqlite" else \
        request.getfixturevalue("pg_url")
    store = open_store(target)
    seed_register(store, base)
    return store


def progress_on(store, base, day: str, pid: str = PID) -> pd.Series:
    projects = shown_atlas(store=store, base=base, asof=day).atlas.projects
    return projects.set_index("id").loc[pid]


# -- the goals are data, checked by `validate` ---------------------------------------------

def test_every_action_of_the_vocabulary_has_a_goal_of_known_stages(base):
    assert set(base.vocab.goals) == set(base.vocab.actions)
    for action, goal in base.vocab.goals.items():
        assert goal.stages and set(goal.stages) <= set(base.vocab.statuses), action
        assert "paused" not in goal.stages  # a pause never shows an action done
    assert base.vocab.goal("竣工").stages == ("completed", "operating")
    assert base.vocab.goal("推进").after_report and not base.vocab.goal("开工").after_report


@pytest.mark.parametrize("edit,message", [
    (lambda s: s.replace('en = "complete"\ngoal = ["completed", "operating"]\n', 'en = "complete"\n'),
     "vocabulary action '竣工': no goal"),
    (lambda s: s.replace('goal = ["operating"]', 'goal = ["open"]', 1),
     "vocabulary action '开放': goal stage 'open' is not a status"),
    (lambda s: s.replace('goal = ["operating"]', 'goal = "operating"', 1),
     "action '开放': goal must be a list of stages, got 'operating'"),
])
def test_validate_names_a_missing_or_broken_goal(data_copy, layers_copy, capsys, edit, message):
    path = data_copy / "vocabulary.toml"
    path.write_text(edit(path.read_text(encoding="utf-8")), encoding="utf-8")
    code = main(["--data-dir", str(data_copy), "--layers-dir", str(layers_copy), "validate"])
    assert code == 1
    assert message in capsys.readouterr().err


# -- a project's progress on a day, on both stores -------------------------------------------

def test_completion_due_in_2025_on_both_stores(store, base):
    row = base.projects.set_index("id").loc[PID]
    assert (row["action"], int(row["target_year"]), row["status"]) == ("竣工", 2025, "construction")
    assert progress_on(store, base, "2025-06-01")["progress"] == "on_track"
    assert progress_on(store, base, "2025-11-15")["progress"] == "due_soon"
    assert progress_on(store, base, "2025-12-31")["progress"] == "due_soon"  # the target day itself
    assert progress_on(store, base, "2026-01-01")["progress"] == "target_passed"

    atlas = shown_atlas(store=store, base=base).atlas
    version = int(atlas.projects.set_index("id").loc[PID, "edit_version"])
    propose_edit(store, atlas, PID, actor="李规划", reason="竣工验收备案",
                 stage=("completed", "2025-12-10", "竣工验收备案表"), expected_version=version)
    assert progress_on(store, base, "2025-12-09")["progress"] == "due_soon"
    done = progress_on(store, base, "2025-12-10")
    assert done["progress"] == "done" and done["days_since_update"] == 0
    assert progress_on(store, base, "2026-01-01")["progress"] == "done"
    assert progress_on(store, base, "2026-01-01")["days_since_update"] == 22
    today = shown_atlas(store=store, base=base).atlas.projects.set_index("id").loc[PID]
    assert today["progress"] == "done"


def test_a_later_target_date_wins_over_the_year_and_an_edit_counts_as_an_update(store, base):
    atlas = shown_atlas(store=store, base=base).atlas
    version = int(atlas.projects.set_index("id").loc[PID, "edit_version"])
    propose_edit(store, atlas, PID, actor="李规划", reason="市里批准延期",
                 attributes={"target_date": "2027-06-30", "lead_agency": "区建管委"},
                 expected_version=version)
    now = shown_atlas(store=store, base=base).atlas.projects.set_index("id").loc[PID]
    assert now["progress"] == "on_track"  # 2027-06-30 is more than 60 days ahead
    assert now["days_since_update"] == 0  # the planner's change holds from today
    # as of a day before the change, the report's target year still stands
    assert progress_on(store, base, "2026-01-01")["progress"] == "target_passed"


def test_an_advance_needs_a_stage_dated_after_the_report():
    vocab = load_atlas().vocab
    frame = pd.DataFrame({
        "id": ["a", "b"], "action": ["推进", "推进"], "target_date": ["2025-12-31", "2025-12-31"],
        "target_year": pd.array([None, None], dtype="Int64"),
        "stages": [[{"stage": "ongoing", "date": SEED_DATE, "source": "report"}],
                   [{"stage": "ongoing", "date": SEED_DATE, "source": "report"},
                    {"stage": "ongoing", "date": "2025-08-01", "source": "督办会纪要"},
                    {"stage": "paused", "date": "2025-09-01", "source": "暂缓通知"}]]})
    frame_on = progress_frame(frame, vocab, "2026-01-01")
    assert frame_on["progress"].tolist() == ["target_passed", "done"]
    assert frame_on["days_past_target"].tolist() == [1, pd.NA]
    assert frame_on["last_stage"].tolist() == ["ongoing", "paused"]
    assert frame_on["goal_date"].tolist() == ["", "2025-08-01"]


def test_days_since_update_counts_from_the_last_stage_or_planner_change():
    vocab = load_atlas().vocab
    log = pd.DataFrame([
        change_row(1, "a", "seed", {}, {"action": "开工"}, effective=SEED_DATE),
        change_row(2, "a", "planner", {}, {"lead_agency": "x"}, effective="2025-05-01"),
        change_row(3, "a", "planner", {}, {"lead_agency": "y"}, effective="2025-07-01",
                   status="pending")])
    frame = pd.DataFrame({"id": ["a"], "action": ["开工"], "target_date": [""],
                          "target_year": pd.array([2025], dtype="Int64"),
                          "stages": [[{"stage": "preparation", "date": SEED_DATE, "source": "r"}]]})
    assert progress_frame(frame, vocab, "2025-04-30", log=log)["days_since_update"].tolist() == [112]
    on = progress_frame(frame, vocab, "2025-08-01", log=log).iloc[0]
    assert (on["days_since_update"], on["last_update"]) == (92, "2025-05-01")  # pending: not counted


def test_the_due_soon_window_is_configurable(monkeypatch, base):
    day = "2025-10-15"  # 77 days before 2025-12-31
    assert with_progress(base, day).projects.set_index("id").loc[PID, "progress"] == "on_track"
    monkeypatch.setenv("ATLAS_DUE_SOON_DAYS", "90")
    assert with_progress(base, day).projects.set_index("id").loc[PID, "progress"] == "due_soon"


# -- the field in every face -----------------------------------------------------------------

def test_export_carries_progress_and_where_selects_it(tmp_path, capsys):
    atlas = shown_atlas().atlas
    counts = progress_counts(atlas.projects)
    assert counts["target_passed"] > 0 and counts["total"] == len(atlas.projects)
    out = tmp_path / "overdue.geojson"
    assert main(["export", "--output", str(out), "--where", "progress=target_passed"]) == 0
    data = json.loads(out.read_text(encoding="utf-8"))
    assert len(data["features"]) == counts["target_passed"]
    assert {f["properties"]["progress"] for f in data["features"]} == {"target_passed"}
    assert all(f["properties"]["days_since_update"] > 0 for f in data["features"])
    assert data["progress_day"] == data["generated_at"][:4] + data["progress_day"][4:]  # a day
    capsys.readouterr()
    assert main(["export", "--output", str(out), "--where", "progress=late"]) == 2
    assert "unknown value(s) ['late'] for 'progress'" in capsys.readouterr().err


def test_the_url_names_progress_as_it_names_any_filter(base):
    view, notices = parse_view({"progress": "target_passed,due_soon,soon"}, base.filter_values())
    assert view.filters["progress"] == ("target_passed", "due_soon")
    assert notices == ["ignored progress='soon' (unknown value)"]
    assert base.filter_values()["progress"] == list(PROGRESS)


def test_a_saved_register_has_progress_too(tmp_path, base):
    import geopandas as gpd
    from shapely import Point

    store = open_store(tmp_path / "s.sqlite")
    frame = gpd.GeoDataFrame({"id": ["x", "y", "z"], "name_zh": ["甲", "乙", "丙"], "name_en": list("ABC"),
                              "layer": ["renewal"] * 3, "action": ["开工", "未知", "竣工"],
                              "target_year": [2025, 2025, 2025],
                              "status": ["preparation", "planning", "completed"]},
                             geometry=[Point(121.41, 31.21), None, None], crs="EPSG:4326")
    store.save_register("d-2025", frame, {}, saved_by="分析师")
    shown = shown_atlas("d-2025", store=store, base=base, asof=None).atlas.projects
    # no stage history: the status says where a project stands; an unknown action has no goal
    assert shown["progress"].tolist() == ["target_passed", "no_target", "done"]
    assert shown["days_since_update"].isna().all()
