"""The living register on both stores: seed, edits, reviews, history, as-of views, merging a
newer seed, concurrent saves and a save killed half-way. Real SQLite files and a real PostGIS
server (tests/pg_support.py), real processes for the kill."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import threading
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import pytest
import shapely
from shapely import Point, Polygon, box

from app.data.atlas import load_atlas
from app.data.living import SEED_DATE
from app.domain.viewstate import district_today
from app.errors import ConflictError, SubmissionError
from app.geo.uncertainty import DRAWN_M
from app.service.atlas import shown_atlas
from app.service.living import propose_edit, seed_register
from app.store import AtlasStore, open_store
from tests import pg_support

postgis_server = pg_support.postgis_server
pg_url = pg_support.pg_url

TODAY = district_today().isoformat()  # the district's day (UTC+8), as the store dates changes
YESTERDAY = (district_today() - timedelta(days=1)).isoformat()
#: About 120 m x 110 m inside the district, west of 天山公园.
SITE = box(121.4000, 31.2100, 121.4012, 31.2110)


@pytest.fixture(params=["sqlite", "postgis"])
def target(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return str(tmp_path / "atlas.sqlite")
    return request.getfixturevalue("pg_url")


@pytest.fixture(scope="module")
def base():
    return load_atlas()


@pytest.fixture()
def store(target: str, base) -> AtlasStore:
    store = open_store(target)
    seed_register(store, base)
    return store


def unlocated_id(atlas) -> str:
    rows = atlas.projects[atlas.projects.geometry.isna() & atlas.projects["layer"].isin(
        [s.id for s in atlas.project_layers if "polygon" in s.geometry])]
    return str(rows["id"].iloc[0])


def project(store, base, pid, asof=None):
    projects = shown_atlas(store=store, base=base, asof=asof).atlas.projects
    rows = projects[projects["id"] == pid]
    return None if rows.empty else rows.iloc[0]


def test_seeding_writes_each_project_once_and_shows_the_curated_register(store, base):
    log = store.changes()
    assert len(log) == len(base.projects) and set(log["source"]) == {"seed"}
    assert set(log["effective"]) == {SEED_DATE}
    assert seed_register(store, base) == 0  # seeding again records nothing
    shown = shown_atlas(store=store, base=base).atlas.projects
    assert shown["id"].tolist() == base.projects["id"].tolist()
    for mine, theirs in zip(shown.geometry, base.projects.geometry, strict=True):
        assert (mine is None and theirs is None) or mine.equals_exact(theirs, 1e-7)
    assert (shown["status"] == base.projects["status"]).all()
    # only a site has a site area: zones and programmes drawn as areas do not
    assert shown.loc[shown["precision"] != "site", "site_area_m2"].isna().all()


def test_a_drawn_polygon_waits_for_review_then_places_the_project(store, base):
    atlas = shown_atlas(store=store, base=base).atlas
    pid = unlocated_id(atlas)
    row = atlas.projects.set_index("id").loc[pid]
    version_before = shown_atlas(store=store, base=base).atlas.data_version
    [(cid, status)] = propose_edit(store, atlas, pid, actor="李规划", reason="依据红线图绘制",
                                   geometry=SITE, expected_version=int(row["edit_version"]))
    assert status == "pending"
    assert project(store, base, pid).geometry is None  # not shown before a reviewer accepts
    store.review_change(cid, "王审核", accept=True, reason="与红线图一致", expected_version=1)
    placed = project(store, base, pid)
    assert placed.geometry.equals_exact(SITE, 1e-7)
    assert placed["precision"] == "site" and placed["pos_method"] == "drawn"
    assert placed["uncertainty_m"] == DRAWN_M  # a planner's drawing carries its own radius
    assert "李规划" in placed["pos_source"]
    assert placed["site_area_m2"] == pytest.approx(13_200, rel=0.05)
    assert shown_atlas(store=store, base=base).atlas.data_version != version_before
    history = store.changes(project_id=pid)
    assert history["source"].tolist() == ["seed", "planner"]
    assert history.iloc[1][["status", "reviewed_by", "effective"]].tolist() == ["accepted", "王审核", TODAY]
    actions = store.audit(pid)["action"].tolist()
    assert actions[-2:] == ["change", "accept_change"]
    with pytest.raises(ConflictError, match="already accepted by 王审核"):
        store.review_change(cid, "张审核", accept=False, reason="晚了")


def test_the_map_as_of_a_date(store, base):
    atlas = shown_atlas(store=store, base=base).atlas
    pid = unlocated_id(atlas)
    version = int(atlas.projects.set_index("id").loc[pid, "edit_version"])
    ids = propose_edit(store, atlas, pid, actor="李规划", reason="红线", geometry=SITE,
                       stage=("construction", "2025-03-01", "开工仪式报道"),
                       attributes={"lead_agency": "区建设管理委"}, expected_version=version,
                       rule="none")
    assert [s for _, s in ids] == ["accepted", "accepted"]
    assert project(store, base, pid, asof="2025-01-07") is None  # before the register existed
    early = project(store, base, pid, asof="2025-02-01")
    assert early.geometry is None and early["status"] == atlas.projects.set_index("id").loc[pid, "status"]
    spring = project(store, base, pid, asof="2025-04-01")
    assert spring["status"] == "construction" and spring["stage_date"] == "2025-03-01"
    assert spring.geometry is None  # the drawing was recorded today
    assert project(store, base, pid, asof=YESTERDAY)["lead_agency"] == ""
    now = project(store, base, pid, asof=TODAY)
    assert now.geometry is not None and now["lead_agency"] == "区建设管理委"
    assert [s["stage"] for s in now["stages"]][-1] == "construction"
    empty = shown_atlas(store=store, base=base, asof="2024-12-31").atlas
    assert empty.projects.empty and "@2024-12-31" in empty.data_version


def test_a_newer_seed_is_merged_without_losing_edits(store, base):
    atlas = shown_atlas(store=store, base=base).atlas
    pid = unlocated_id(atlas)
    version = int(atlas.projects.set_index("id").loc[pid, "edit_version"])
    propose_edit(store, atlas, pid, actor="李规划", reason="红线与说明", geometry=SITE,
                 attributes={"description": "Planner's wording."}, expected_version=version,
                 rule="none")
    # the newer seed: the edited project's description and status change, another project's
    # action changes, one project is dropped and one added
    projects = base.projects.copy()
    other, dropped = [p for p in projects["id"] if p != pid][:2]
    i = projects.index[projects["id"] == pid][0]
    projects.at[i, "description"] = "Curated wording, newer."
    projects.at[i, "status"] = "completed"
    projects.at[projects.index[projects["id"] == other][0], "action"] = "竣工"
    added = projects.iloc[[0]].copy()
    added["id"] = "new-project-2026"
    projects = projects[projects["id"] != dropped]
    newer = replace(base, projects=__import__("pandas").concat([projects, added], ignore_index=True),
                    data_version="newer")
    recorded = seed_register(store, newer)
    assert recorded == 4  # pid (description, stage), other (action), the new one, the dropped one
    assert seed_register(store, newer) == 0
    merged = shown_atlas(store=store, base=newer).atlas.projects.set_index("id")
    assert merged.loc[pid].geometry.equals_exact(SITE, 1e-7)  # the planner's geometry stays
    assert merged.loc[pid, "description"] == "Planner's wording."  # edited field: the edit wins
    assert merged.loc[pid, "status"] == "completed"  # the newer seed's stage, dated today
    assert merged.loc[pid, "stages"][-1]["date"] == TODAY
    assert merged.loc[other, "action"] == "竣工"
    assert "new-project-2026" in merged.index and dropped not in merged.index
    before = shown_atlas(store=store, base=newer, asof=YESTERDAY).atlas.projects
    assert "new-project-2026" not in set(before["id"]) and dropped in set(before["id"])


def test_the_second_of_two_planners_is_refused_with_what_changed(store, base, target):
    atlas = shown_atlas(store=store, base=base).atlas
    pid = unlocated_id(atlas)
    version = int(atlas.projects.set_index("id").loc[pid, "edit_version"])
    propose_edit(store, atlas, pid, actor="甲", reason="先到", attributes={"lead_agency": "A"},
                 expected_version=version)
    count = len(store.changes())
    with pytest.raises(ConflictError, match=r"changed since it was opened .* by 甲 .* set lead_agency"):
        propose_edit(open_store(target), atlas, pid, actor="乙", reason="后到",
                     attributes={"lead_agency": "B"}, expected_version=version)
    assert len(store.changes()) == count
    assert project(store, base, pid)["lead_agency"] == "A"


def test_simultaneous_saves_of_one_project_let_exactly_one_through(store, base, target):
    atlas = shown_atlas(store=store, base=base).atlas
    pid = unlocated_id(atlas)
    version = int(atlas.projects.set_index("id").loc[pid, "edit_version"])
    barrier, outcome = threading.Barrier(4), {}

    def save(who: str) -> None:
        mine = open_store(target)
        barrier.wait(30)
        try:
            propose_edit(mine, atlas, pid, actor=who, reason="race",
                         attributes={"lead_agency": who}, expected_version=version)
            outcome[who] = "saved"
        except ConflictError:
            outcome[who] = "refused"

    threads = [threading.Thread(target=save, args=(w,)) for w in "ABCD"]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert sorted(outcome.values()) == ["refused", "refused", "refused", "saved"]
    assert len(store.changes(project_id=pid)) == 2


@pytest.mark.parametrize("geometry, message", [
    (Point(121.60, 31.20), "outside the district"),
    (Polygon(), "empty"),
    (Polygon([(121.40, 31.20), (121.41, 31.21), (121.41, 31.20), (121.40, 31.21)]), "crosses itself"),
    (shapely.LineString([(121.40, 31.21), (121.401, 31.211)]), "not a line"),
])
def test_bad_geometries_are_refused_and_nothing_is_stored(store, base, geometry, message):
    atlas = shown_atlas(store=store, base=base).atlas
    pid = unlocated_id(atlas)
    count = len(store.changes())
    with pytest.raises(SubmissionError, match=message):
        propose_edit(store, atlas, pid, actor="李", reason="试", geometry=geometry,
                     expected_version=0)
    assert len(store.changes()) == count


def test_a_small_self_intersection_is_repaired_and_the_repair_recorded(store, base):
    atlas = shown_atlas(store=store, base=base).atlas
    pid = unlocated_id(atlas)
    # a square whose last corner overshoots a little, making a tiny loop
    ring = [(121.400, 31.210), (121.402, 31.210), (121.402, 31.212), (121.400, 31.212),
            (121.4001, 31.2099), (121.400, 31.210)]
    version = int(atlas.projects.set_index("id").loc[pid, "edit_version"])
    propose_edit(store, atlas, pid, actor="李", reason="修复", geometry=Polygon(ring),
                 expected_version=version, rule="none")
    placed = project(store, base, pid)
    assert placed.geometry.is_valid and "repaired with make_valid" in placed["pos_source"]


def test_nothing_changed_and_no_reason_are_refused(store, base):
    atlas = shown_atlas(store=store, base=base).atlas
    pid = unlocated_id(atlas)
    with pytest.raises(SubmissionError, match="nothing changed"):
        propose_edit(store, atlas, pid, actor="李", reason="无", attributes={"lead_agency": ""},
                     expected_version=0)
    with pytest.raises(SubmissionError, match="needs a short reason"):
        propose_edit(store, atlas, pid, actor="李", reason="  ", attributes={"lead_agency": "x"},
                     expected_version=0)


STALLER = """
    import sys, time
    from app.data.living import Edit
    from app.store import open_store
    store = open_store(sys.argv[1])
    def stall(*args, **kwargs):  # the change row is written, its audit row is not
        print("inside the transaction", flush=True)
        time.sleep(120)
    store._audit = stall
    store.add_changes([Edit(sys.argv[2], "planner", "victim", "never", {}, {"lead_agency": "X"})])
"""


def test_a_save_killed_half_way_leaves_the_register_as_it_was(store, base, target):
    pid = unlocated_id(base)
    before = store.changes()
    proc = subprocess.Popen([sys.executable, "-c", textwrap.dedent(STALLER), target, pid],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            cwd=Path(__file__).resolve().parent.parent)
    assert proc.stdout.readline().strip() == "inside the transaction"
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=30)
    reopened = open_store(target)
    assert reopened.changes()["id"].tolist() == before["id"].tolist()
    assert project(reopened, base, pid)["lead_agency"] == ""
    assert reopened.integrity_ok()


def test_processes_seeding_at_once_write_the_seed_once(target, base):
    open_store(target)  # created and migrated before the race
    barrier, counts = threading.Barrier(3), []

    def seed() -> None:
        mine = open_store(target)
        barrier.wait(30)
        counts.append(seed_register(mine, base))

    threads = [threading.Thread(target=seed) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert sorted(counts) == [0, 0, len(base.projects)]
    assert len(open_store(target).changes()) == len(base.projects)


@pytest.mark.parametrize("fmt, name", [("gpkg", "dump.gpkg"), ("geojson", "dump")])
def test_the_change_log_survives_a_dump_and_load_into_the_other_store(store, base, target,
                                                                      tmp_path, pg_url, fmt, name):
    from app.store.dump import load_dump, write_dump
    atlas = shown_atlas(store=store, base=base).atlas
    pid = unlocated_id(atlas)
    [(cid, _)] = propose_edit(store, atlas, pid, actor="李规划", reason="红线", geometry=SITE,
                              expected_version=int(atlas.projects.set_index("id").loc[pid, "edit_version"]))
    store.review_change(cid, "王审核", accept=True, reason="可")
    write_dump(store, fmt, tmp_path / name)
    other = open_store(str(tmp_path / "other.sqlite") if target.startswith("postgresql") else pg_url)
    copied, _ = load_dump(other, tmp_path / name, "迁移")
    assert copied["register_changes"] == len(store.changes())
    mine, theirs = store.changes(), other.changes()
    for column in ("id", "project_id", "source", "actor", "status", "effective", "reviewed_by"):
        assert mine[column].tolist() == theirs[column].tolist(), column
    assert [__import__("json").loads(v) for v in mine["new"]] == [__import__("json").loads(v) for v in theirs["new"]]
    assert project(other, base, pid).geometry.equals_exact(SITE, 1e-7)


def test_a_field_correction_applies_to_its_own_register_only(target, base):
    from app.store import Submission, apply_field_updates
    store = open_store(target)
    pid = "tianshan-park"
    sid = store.submit(Submission(pid, "correct", "王工", lon=121.4105, lat=31.2125, precision="site",
                                  note="入口在北侧", register="district-2025"))
    store.review(sid, "李审", accept=True, reason="ok")
    assert store.field_updates()[["register", "project_id"]].values.tolist() == [["district-2025", pid]]
    built_in = apply_field_updates(base, store).projects.set_index("id").loc[pid]
    assert built_in["pos_method"] != "field"  # the built-in register keeps its own position
    theirs = apply_field_updates(base, store, "district-2025").projects.set_index("id").loc[pid]
    assert theirs["pos_method"] == "field" and theirs.geometry.equals(Point(121.4105, 31.2125))


def _next_second() -> None:
    """Until the clock's second has turned: both stores time decisions to the second, and the
    test needs two decisions in a known order."""
    from datetime import UTC, datetime
    start = datetime.now(UTC).replace(microsecond=0)
    while datetime.now(UTC).replace(microsecond=0) == start:
        threading.Event().wait(0.05)


def test_the_later_decision_about_a_position_wins(store, base):
    from app.store import Submission
    atlas = shown_atlas(store=store, base=base).atlas
    pid = unlocated_id(atlas)
    # a field correction accepted first...
    sid = store.submit(Submission(pid, "correct", "王工", lon=121.4105, lat=31.2125, precision="site",
                                  note="现场找到入口"))
    store.review(sid, "李审", accept=True, reason="现场核实")
    assert project(store, base, pid)["pos_method"] == "field"
    _next_second()
    # ...then a planner's site, accepted later: the planner's position is shown
    row = shown_atlas(store=store, base=base).atlas.projects.set_index("id").loc[pid]
    [(cid, _)] = propose_edit(store, atlas, pid, actor="李规划", reason="依据红线图绘制",
                              geometry=SITE, expected_version=int(row["edit_version"]))
    store.review_change(cid, "王审核", accept=True, reason="与红线图一致", expected_version=1)
    shown = project(store, base, pid)
    assert shown["pos_method"] == "drawn" and shown.geometry.equals_exact(SITE, 1e-7)
    _next_second()
    # a newer field correction wins in turn
    sid = store.submit(Submission(pid, "correct", "赵工", lon=121.4110, lat=31.2128, precision="site",
                                  note="红线图有误"))
    store.review(sid, "李审", accept=True, reason="复核")
    shown = project(store, base, pid)
    assert shown["pos_method"] == "field" and shown.geometry.equals(Point(121.4110, 31.2128))
    # as of yesterday, none of today's decisions: the project was unlocated
    assert project(store, base, pid, asof=YESTERDAY).geometry is None


def _reviewed_on(target: str, submission_id: int, when: str) -> None:
    """As if the submission had been decided at `when` (UTC): both stores date decisions with
    their own clock, and the test needs decisions on days gone by."""
    sql = ("UPDATE submissions SET reviewed_at = {0} WHERE id = {0}",
           "UPDATE field_updates SET updated_at = {0} WHERE submission_id = {0}")
    if target.startswith("postgresql"):
        import psycopg
        with psycopg.connect(target) as conn:
            for statement in sql:
                conn.execute(statement.format("%s"), (when, submission_id))
    else:
        import sqlite3
        conn = sqlite3.connect(target)
        with conn:
            for statement in sql:
                conn.execute(statement.format("?"), (when, submission_id))
        conn.close()


def test_as_of_a_day_between_two_corrections_the_first_one_holds(target, store, base):
    from app.store import Submission
    pid = unlocated_id(shown_atlas(store=store, base=base).atlas)
    first = store.submit(Submission(pid, "correct", "王工", lon=121.4105, lat=31.2125,
                                    precision="site", note="入口在北侧"))
    store.review(first, "李审", accept=True, reason="现场核实")
    _reviewed_on(target, first, "2025-03-01T02:00:00+00:00")  # 3 月 1 日 10:00 in the district
    second = store.submit(Submission(pid, "correct", "赵工", lon=121.4110, lat=31.2128,
                                      precision="site", note="入口已改到东侧"))
    store.review(second, "李审", accept=True, reason="复核")
    _reviewed_on(target, second, "2025-05-31T17:00:00+00:00")  # 6 月 1 日 01:00 in the district
    assert store.field_updates()["submission_id"].tolist() == [second]  # only the latest
    assert project(store, base, pid, asof="2025-02-28").geometry is None
    spring = project(store, base, pid, asof="2025-04-01")
    assert spring.geometry.equals(Point(121.4105, 31.2125)) and spring["pos_method"] == "field"
    assert f"submission {first}" in spring["pos_source"]
    assert project(store, base, pid, asof="2025-05-31").geometry.equals(Point(121.4105, 31.2125))
    assert project(store, base, pid, asof="2025-06-01").geometry.equals(Point(121.4110, 31.2128))
    assert project(store, base, pid).geometry.equals(Point(121.4110, 31.2128))
