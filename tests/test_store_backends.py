"""Both stores, SQLite and PostGIS, against one set of behaviours; then what only PostGIS does.

Every shared behaviour is tested here once, over both backends (the ``target`` fixture); what
needs no server (the SQLite file itself, choosing a store, the checks of a submission) is in
tests/test_store.py. Real components only: SQLite files, a real PostgreSQL + PostGIS server (see
tests/pg_support.py: ``$ATLAS_TEST_DATABASE_URL``, or one it starts; the PostGIS cases are
skipped loudly, "POSTGIS NOT AVAILABLE: …", when no server can be had, and fail under CI), and
real processes for the races and the kills.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import pandas as pd
import psycopg
import pytest
import shapely

from app.cli.store import add_parser, run
from app.errors import ConflictError, StoreError, SubmissionError
from app.geo.uncertainty import FIELD_UNKNOWN_M
from app.store import (
    CURATED_REGISTER,
    GAZETTEER_REGISTER,
    AtlasStore,
    Store,
    Submission,
    apply_field_updates,
    delete_register,
    existing_store,
    open_store,
    rename_register,
    save_register,
)
from app.store.dump import read_dump
from app.store.postgis import MIGRATIONS, PostgisStore
from tests import pg_support
from tests.apptest import sign_in

postgis_server = pg_support.postgis_server  # the fixtures: a server per session, a database per test
pg_url = pg_support.pg_url

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
BOW_TIE = "POLYGON ((121.40 31.20, 121.42 31.22, 121.42 31.20, 121.40 31.22, 121.40 31.20))"


@pytest.fixture(params=["sqlite", "postgis"])
def target(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """Where a store lives: an SQLite path or a PostgreSQL URL (a fresh one per test)."""
    if request.param == "sqlite":
        return str(tmp_path / "atlas.sqlite")
    return request.getfixturevalue("pg_url")


@pytest.fixture()
def store(target: str) -> AtlasStore:
    return open_store(target)


def correction(**kw) -> Submission:
    values = dict(project_id="tianshan-park", kind="correct", submitted_by="王工", team="一组",
                  lon=121.4105, lat=31.2125, precision="site", accuracy_m=6.0,
                  note="入口在北侧") | kw
    return Submission(**values)


def child(script: str, *args: str) -> subprocess.Popen:
    """A Python process running `script` (with the repository importable)."""
    return subprocess.Popen([sys.executable, "-c", textwrap.dedent(script), *args],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            cwd=Path(__file__).resolve().parent.parent)


# -- the same behaviour on both ----------------------------------------------------------

def test_both_stores_provide_the_interface(store):
    assert isinstance(store, AtlasStore)
    assert store.schema_version() >= 1 and store.migrate() == []
    assert store.integrity_ok()
    assert store.revision() == 0


def test_submission_writes_its_audit_row(store):
    sid = store.submit(correction(photo=PNG), old_wkt="POINT (121.41 31.21)")
    audit = store.audit("tianshan-park")
    assert audit[["action", "submission_id", "actor"]].values.tolist() == [["submit", sid, "王工"]]
    assert audit.loc[0, "old_wkt"] == "POINT (121.41 31.21)"
    assert audit.loc[0, "new_wkt"] == "POINT (121.4105 31.2125)"
    assert audit.loc[0, "accuracy_m"] == 6.0 and audit.loc[0, "note"] == "correct: 入口在北侧"
    pending = store.pending()
    assert pending[["id", "lon", "lat", "precision", "photo_type", "version"]].values.tolist() == [
        [sid, 121.4105, 31.2125, "site", "image/png", 1]]
    assert pending.loc[0, "submitted_at"].endswith("+00:00")
    assert store.photo(sid) == (PNG, "image/png")
    assert store.revision() >= 1


def test_accepting_a_correction_updates_the_atlas(store, atlas):
    sid = store.submit(correction())
    before = apply_field_updates(atlas, store)
    assert before.projects.set_index("id").loc["tianshan-park"]["pos_method"] != "field"
    store.review(sid, "李审", accept=True, reason="与现场一致", old_wkt="POINT (121.41 31.21)",
                 expected_version=1)
    after = apply_field_updates(atlas, store)
    row = after.projects.set_index("id").loc["tianshan-park"]
    assert (row.geometry.x, row.geometry.y) == (121.4105, 31.2125)
    assert row["pos_method"] == "field" and row["pos_confidence"] == "high"
    assert row["pos_source_crs"] == "wgs84"
    assert row["uncertainty_m"] == 6.0  # the device's accuracy stored with the submission
    assert "李审" in row["pos_source"] and f"submission {sid}" in row["pos_source"]
    assert after.data_version != before.data_version
    assert atlas.projects.set_index("id").loc["tianshan-park"]["pos_method"] != "field"
    assert store.audit("tianshan-park")["action"].tolist() == ["submit", "accept"]
    assert store.field_updates()[["project_id", "geometry_wkt", "precision", "submission_id"]
                                 ].values.tolist() == [["tianshan-park", "POINT (121.4105 31.2125)",
                                                        "site", sid]]
    assert store.submissions().loc[0, ["status", "reviewed_by", "version"]].tolist() == [
        "accepted", "李审", 2]


def test_a_correction_can_locate_an_unlocated_project(store, atlas):
    assert atlas.projects.set_index("id").loc["tianshan-beihong-housing"].geometry is None
    sid = store.submit(correction(project_id="tianshan-beihong-housing", precision="street"))
    store.review(sid, "李审", accept=True, reason="地块实地")
    row = apply_field_updates(atlas, store).projects.set_index("id").loc["tianshan-beihong-housing"]
    assert row.geometry is not None and row["precision"] == "street"
    typed = correction(project_id="tianshan-beihong-housing", accuracy_m=None)
    sid = store.submit(typed)
    store.review(sid, "李审", accept=True, reason="坐标由导航软件读出")
    row = apply_field_updates(atlas, store).projects.set_index("id").loc["tianshan-beihong-housing"]
    assert row["uncertainty_m"] == FIELD_UNKNOWN_M  # no device accuracy: a typed position's radius


def test_confirmation_accepted_keeps_the_geometry(store, atlas):
    sid = store.submit(Submission("tianshan-park", "confirm", "王工", accuracy_m=8.0))
    store.review(sid, "李审", accept=True, reason="ok")
    assert store.field_updates().empty
    assert store.submissions()["status"].tolist() == ["accepted"]
    assert apply_field_updates(atlas, store).projects.equals(atlas.projects)


def test_rejection_changes_nothing_but_is_audited(store, atlas):
    sid = store.submit(correction())
    store.review(sid, "李审", accept=False, reason="位置不对")
    assert store.field_updates().empty
    assert store.submissions()["status"].tolist() == ["rejected"]
    assert store.audit()["action"].tolist() == ["submit", "reject"]
    assert apply_field_updates(atlas, store).projects.equals(atlas.projects)


def test_a_decided_or_stale_review_is_a_conflict_that_names_the_winner(store):
    sid = store.submit(correction())
    with pytest.raises(ConflictError, match=f"submission {sid} changed since it was shown"):
        store.review(sid, "李审", accept=True, reason="ok", expected_version=7)
    assert store.submissions()["status"].tolist() == ["pending"]
    store.review(sid, "李审", accept=True, reason="ok")
    at = store.submissions().loc[0, "reviewed_at"]
    with pytest.raises(ConflictError) as info:
        store.review(sid, "张审", accept=False, reason="late")
    assert str(info.value) == (f"submission {sid} was already accepted by 李审 at {at} (version 2);"
                               " this review was not applied")
    assert at.endswith("+00:00")
    with pytest.raises(SubmissionError, match="no submission"):
        store.review(9999, "张审", accept=False, reason="none")
    assert store.audit()["action"].tolist() == ["submit", "accept"]


def test_registers_round_trip_exactly(store, atlas):
    frame = atlas.projects.drop(columns="search_text")
    store.save_register(CURATED_REGISTER, frame, {"rows": len(frame)}, saved_by="test")
    back = store.load_register(CURATED_REGISTER)
    assert list(back.columns) == list(frame.columns)
    pd.testing.assert_frame_equal(pd.DataFrame(back.drop(columns="geometry")),
                                  pd.DataFrame(frame.drop(columns="geometry")).reset_index(drop=True))
    assert [g is None for g in back.geometry] == [g is None for g in frame.geometry]
    assert all(a is None or shapely.equals_exact(a, b, tolerance=0)
               for a, b in zip(back.geometry, frame.geometry, strict=True))
    assert json.loads(store.register_report(CURATED_REGISTER)) == {"rows": len(frame)}
    assert store.registers()[["name", "saved_by"]].values.tolist() == [[CURATED_REGISTER, "test"]]
    with pytest.raises(SubmissionError, match="reserved"):
        save_register(GAZETTEER_REGISTER, frame, {}, store=store, saved_by="王工")
    with pytest.raises(SubmissionError, match="register name"):
        store.save_register("../evil", frame, {})
    with pytest.raises(SubmissionError, match="no saved register"):
        store.load_register("missing")


def test_registers_are_renamed_and_deleted_with_audit_rows(store, atlas):
    frame = atlas.projects.drop(columns="search_text").head(3)
    save_register("draft", frame, {"rows": 3}, store=store, saved_by="王工")
    save_register("other", frame.head(1), {"rows": 1}, store=store, saved_by="王工")
    before = store.revision()
    rename_register("draft", "district-2025", store, actor="cli:ops")
    assert store.registers()["name"].tolist() == ["district-2025", "other"]
    assert store.load_register("district-2025")["id"].tolist() == frame["id"].tolist()
    assert json.loads(store.register_report("district-2025")) == {"rows": 3}
    assert store.revision() > before
    with pytest.raises(SubmissionError, match="exists already"):
        rename_register("district-2025", "other", store, actor="cli:ops")
    with pytest.raises(SubmissionError, match="no saved register named 'draft'"):
        rename_register("draft", "x", store, actor="cli:ops")
    with pytest.raises(SubmissionError, match="reserved"):
        rename_register("other", CURATED_REGISTER, store, actor="cli:ops")
    delete_register("other", store, actor="李审")
    assert store.registers()["name"].tolist() == ["district-2025"]
    with pytest.raises(SubmissionError, match="no saved register"):
        store.load_register("other")
    with pytest.raises(SubmissionError, match="no saved register"):
        delete_register("other", store, actor="李审")
    audit = store.audit()
    assert audit[["actor", "action", "note"]].values.tolist()[-2:] == [
        ["cli:ops", "rename_register", "register draft -> district-2025"],
        ["李审", "delete_register", "register other deleted"]]
    assert store.integrity_ok()


def test_text_with_a_nul_character_is_refused_alike(store, atlas):
    """PostgreSQL cannot store NUL in text and SQLite can: both refuse it before writing, with
    the same message naming the field."""
    sid = store.submit(correction())
    frame = atlas.projects[["id", "name_zh", "geometry"]].head(2).copy()
    bad_cell = frame.copy()
    bad_cell.loc[bad_cell.index[1], "name_zh"] = "天山\x00公园"
    history = store.history()
    history["audit"].loc[0, "note"] = "坏\x00"
    cases = {
        "the reviewer's name contains a NUL": lambda: store.review(sid, "李\x00审", accept=True,
                                                                  reason="ok"),
        "the review reason contains a NUL": lambda: store.review(sid, "李审", accept=True,
                                                                 reason="o\x00k"),
        "the recorded position contains a NUL": lambda: store.review(
            sid, "李审", accept=True, reason="ok", old_wkt="POINT (121.41 31.21)\x00"),
        "the recorded position is not a WKT geometry": lambda: store.submit(correction(),
                                                                            old_wkt="here"),
        "register name must be letters": lambda: store.save_register("a\x00b", frame, {}),
        "the saver's name contains a NUL": lambda: store.save_register("ok", frame, {},
                                                                       saved_by="导\x00入"),
        "register column 'name_zh' row 1 contains a NUL": lambda: store.save_register(
            "ok", bad_cell, {}),
        "audit row 0 column 'note' contains a NUL": lambda: store.restore_history(
            history, "me", "dump.gpkg"),
        "the name of who copies the history contains a NUL": lambda: store.restore_history(
            history, "m\x00e", "dump.gpkg"),
    }
    revision = store.revision()
    for message, write in cases.items():
        with pytest.raises(SubmissionError, match=message):
            write()
    assert store.revision() == revision and store.registers().empty
    assert store.submissions()["status"].tolist() == ["pending"]
    with pytest.raises(SubmissionError, match="the project id contains a NUL"):
        store.audit("tianshan\x00park")
    with pytest.raises(SubmissionError, match="the project id contains a NUL"):
        store.submissions("tianshan\x00park")
    with pytest.raises(SubmissionError, match="register name must be letters"):
        store.load_register("a\x00b")
    with pytest.raises(SubmissionError, match="register name must be letters"):
        store.register_report("a\x00b")


WRITER = """
    import sys
    from app.store import open_store
    from app.store import Submission
    store = open_store(sys.argv[1])
    for i in range(int(sys.argv[2])):
        store.submit(Submission("tianshan-park", "confirm", sys.argv[3], note=str(i)))
    print("done", flush=True)
"""


def test_three_processes_submitting_at_once_all_succeed(store, target):
    procs = [child(WRITER, target, "40", who) for who in ("甲", "乙", "丙")]
    outs = [p.communicate(timeout=120) for p in procs]
    assert all(p.returncode == 0 for p in procs), outs
    counts = store.submissions()["submitted_by"].value_counts().to_dict()
    assert counts == {"甲": 40, "乙": 40, "丙": 40}
    audit = store.audit()
    assert len(audit) == 120 and sorted(audit["submission_id"]) == sorted(store.submissions()["id"])
    assert store.revision() == 120 and store.integrity_ok()


RACER = """
    import sys
    from app.store import open_store
    from app.errors import ConflictError
    store = open_store(sys.argv[1])
    try:
        store.review(int(sys.argv[2]), sys.argv[3], accept=sys.argv[3] == "A", reason="race",
                     expected_version=1)
        print("applied")
    except ConflictError:
        print("conflict")
"""


def test_racing_reviews_apply_once(store, target):
    results = []
    for _ in range(5):
        sid = store.submit(correction())
        procs = [child(RACER, target, str(sid), who) for who in ("A", "B")]
        results.append(sorted(p.communicate(timeout=60)[0].strip() for p in procs))
    assert results == [["applied", "conflict"]] * 5
    audit = store.audit()
    decided = audit[audit["action"].isin(["accept", "reject"])]
    assert len(decided) == 5 and decided["submission_id"].is_unique
    assert (store.submissions()["version"] == 2).all()
    accepted = store.submissions().query("status == 'accepted'")
    assert len(store.field_updates()) == min(1, len(accepted))  # all about one project


def test_a_review_waits_for_the_one_in_progress_then_is_rejected(store, target):
    """The second reviewer of a submission blocks while the first one's transaction is open
    (SQLite: the write lock; PostGIS: the row lock), then finds it decided."""
    sid = store.submit(correction())
    first = open_store(target)
    inside, release = threading.Event(), threading.Event()
    audit = first._audit

    def held(*args, **kwargs):
        inside.set()
        release.wait(30)
        audit(*args, **kwargs)

    first._audit = held
    outcome: dict[str, str] = {}

    def review(who: str, reviewer: AtlasStore) -> None:
        try:
            reviewer.review(sid, who, accept=who == "A", reason="race", expected_version=1)
            outcome[who] = "applied"
        except ConflictError:
            outcome[who] = "conflict"

    a = threading.Thread(target=review, args=("A", first))
    a.start()
    assert inside.wait(30)
    b = threading.Thread(target=review, args=("B", open_store(target)))
    b.start()
    b.join(timeout=1.0)
    assert b.is_alive() and not outcome  # B is waiting for A's transaction
    release.set()
    a.join(timeout=30)
    b.join(timeout=30)
    assert outcome == {"A": "applied", "B": "conflict"}
    assert store.submissions()["status"].tolist() == ["accepted"]
    assert store.audit()["action"].tolist() == ["submit", "accept"]


STALLER = """
    import sys, time
    from app.store import open_store
    from app.store import Submission
    store = open_store(sys.argv[1])
    def stall(*args, **kwargs):  # the submission row is written, its audit row is not
        print("inside the transaction", flush=True)
        time.sleep(120)
    store._audit = stall
    store.submit(Submission("tianshan-park", "confirm", "victim", note="never"))
"""


def test_a_client_killed_mid_transaction_leaves_no_partial_change(store, target):
    store.submit(Submission("tianshan-park", "confirm", "early", note="before"))
    proc = child(STALLER, target)
    assert proc.stdout.readline().strip() == "inside the transaction"
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=30)
    reopened = open_store(target)
    assert reopened.submissions()["submitted_by"].tolist() == ["early"]
    assert reopened.audit()["submission_id"].tolist() == reopened.submissions()["id"].tolist()
    started = time.monotonic()
    sid = reopened.submit(correction())  # no lock is left behind
    assert time.monotonic() - started < 5
    assert reopened.integrity_ok() and sid not in (None, 0)


def test_a_writer_killed_at_any_moment_leaves_a_consistent_store(store, target):
    store.submit(Submission("tianshan-park", "confirm", "early", note="before"))
    proc = child(WRITER, target, "100000", "victim")
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and len(store.submissions()) < 30:
        time.sleep(0.05)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=30)
    reopened = open_store(target)
    assert reopened.integrity_ok()
    subs = reopened.submissions()
    assert "early" in subs["submitted_by"].tolist() and len(subs) >= 30  # what was seen committed
    # every stored submission has exactly its audit row, and no audit row is orphaned
    assert sorted(reopened.audit()["submission_id"]) == sorted(subs["id"])


def test_open_store_follows_the_setting(monkeypatch, tmp_path, target):
    monkeypatch.setenv("ATLAS_STORE", str(tmp_path / "default.sqlite"))
    if target.startswith("postgresql://"):
        monkeypatch.setenv("ATLAS_DATABASE_URL", target)
        assert isinstance(open_store(), PostgisStore)
        assert isinstance(existing_store(), PostgisStore)
        assert isinstance(open_store(tmp_path / "explicit.sqlite"), Store)
    else:
        monkeypatch.delenv("ATLAS_DATABASE_URL", raising=False)
        assert existing_store() is None  # reading never creates the file
        assert isinstance(open_store(), Store)
        assert isinstance(existing_store(), Store)


def use_store(monkeypatch: pytest.MonkeyPatch, target: str) -> None:
    """Point the app at `target` the way a deployment does: by its settings alone."""
    import streamlit as st

    if target.startswith("postgresql://"):
        monkeypatch.setenv("ATLAS_DATABASE_URL", target)
    else:
        monkeypatch.delenv("ATLAS_DATABASE_URL", raising=False)
        monkeypatch.setenv("ATLAS_STORE", target)
    st.cache_resource.clear()
    st.cache_data.clear()


def test_the_field_and_review_pages_work_on_either_store(monkeypatch, target):
    from streamlit.testing.v1 import AppTest

    use_store(monkeypatch, target)
    monkeypatch.setenv("ATLAS_FIELD_SECRET", "field-pass")
    monkeypatch.setenv("ATLAS_REVIEW_SECRET", "review-pass")

    def page(name: str) -> AppTest:
        return AppTest.from_string(f"from app.ui.pages import {name}\n{name}.render()",
                                   default_timeout=60).run()

    at = sign_in(page("field_page"), "field", "王工", "field-pass")
    at.selectbox(key="field_pick").set_value("tianshan-park").run()
    at.button[[b.label for b in at.button].index("提交")].click().run()
    assert any("已保存" in s.value for s in at.success), [e.value for e in at.error]
    store = open_store(target)
    sid = store.submit(correction())
    at = sign_in(page("review_page"), "reviewer", "李审", "review-pass")
    assert at.selectbox(key="review_pick").value == 1
    at.selectbox(key="review_pick").set_value(sid).run()
    at.text_input[0].input("与照片一致")
    at.button[[b.label for b in at.button].index("通过")].click().run()
    assert not at.exception and not at.error
    assert sorted(store.submissions()["status"]) == ["accepted", "pending"]
    assert store.field_updates()["submission_id"].tolist() == [sid]


def test_exports_carry_accepted_corrections_on_either_store(monkeypatch, target, atlas):
    from app.domain.filters import Filter
    from app.io.export import export_bytes

    use_store(monkeypatch, target)
    store = open_store()
    store.review(store.submit(correction()), "李审", accept=True, reason="ok")
    current = apply_field_updates(atlas, existing_store())
    data = json.loads(export_bytes(current, Filter(values={}, query=""), "geojson", "wgs84")[0])
    feature = next(f for f in data["features"] if f["properties"]["id"] == "tianshan-park")
    assert feature["geometry"]["coordinates"] == [121.4105, 31.2125]
    assert feature["properties"]["pos_method"] == "field"


def cli(*argv: str) -> int:
    import argparse

    parser = argparse.ArgumentParser(prog="atlas")
    add_parser(parser.add_subparsers(dest="command", required=True))
    return run(parser.parse_args(list(argv)))


def assert_same_registers(left, right):
    """Registers equal in names, columns, dtypes, values, and coordinates within 1e-9."""
    assert [r.name for r in left] == [r.name for r in right]
    for a, b in zip(left, right, strict=True):
        assert a.report == b.report
        pd.testing.assert_frame_equal(pd.DataFrame(a.frame.drop(columns="geometry")),
                                      pd.DataFrame(b.frame.drop(columns="geometry")))
        assert [g is None for g in a.frame.geometry] == [g is None for g in b.frame.geometry]
        for ga, gb in zip(a.frame.geometry, b.frame.geometry, strict=True):
            assert ga is None or shapely.equals_exact(ga, gb, tolerance=1e-9)


def test_cli_init_load_review_dump(target, tmp_path, atlas, capsys):
    assert cli("store", "--store", target, "init") == 0
    assert "schema version 4" in capsys.readouterr().out
    assert cli("store", "--store", target, "migrate") == 0
    assert "nothing to apply" in capsys.readouterr().out
    assert cli("store", "--store", target, "load") == 0
    out = capsys.readouterr().out
    assert "'curated': 63 rows" in out and "'gazetteer'" in out  # 63 entries since the coverage rule
    assert "living register: recorded 63 changes" in out  # the curated register, seeded
    store = open_store(target)
    store.review(store.submit(correction(photo=PNG)), "李审", accept=True, reason="ok")
    for fmt, name in (("gpkg", "dump.gpkg"), ("geojson", "dump-geojson")):
        assert cli("store", "--store", target, "dump", "--format", fmt,
                   "--output", str(tmp_path / name)) == 0
        assert "wrote 2 registers" in capsys.readouterr().out
        registers, history = read_dump(tmp_path / name)
        curated = registers[0].frame
        assert registers[0].name == CURATED_REGISTER and len(curated) == len(atlas.projects)
        expected = atlas.projects.drop(columns="search_text")
        assert curated["aliases"].tolist() == expected["aliases"].tolist()
        assert curated["target_year"].dtype == expected["target_year"].dtype
        assert curated.geometry.isna().sum() == expected.geometry.isna().sum() > 0
        assert history["submissions"].loc[0, "photo"] == PNG
        assert history["audit"]["action"].tolist() == (["save_register"] * 2 + ["change"] * 63
                                                       + ["submit", "accept"])
    assert_same_registers(read_dump(tmp_path / "dump.gpkg")[0],
                          read_dump(tmp_path / "dump-geojson")[0])
    assert cli("store", "--store", target, "load", "--from", str(tmp_path / "missing.gpkg")) == 2
    assert "no dump at" in capsys.readouterr().err


# -- PostGIS only --------------------------------------------------------------------------

def test_round_trip_geopackage_postgis_geopackage(tmp_path, pg_url, atlas, capsys):
    sqlite = str(tmp_path / "field.sqlite")
    assert cli("store", "--store", sqlite, "load") == 0
    embedded = open_store(sqlite)
    sid = embedded.submit(correction(photo=PNG), old_wkt="POINT (121.41 31.21)")
    embedded.review(sid, "李审", accept=True, reason="ok")
    embedded.review(embedded.submit(correction(kind="confirm", lon=None, lat=None,
                                               precision=None)), "李审", accept=False, reason="no")
    first, second = tmp_path / "first.gpkg", tmp_path / "second.gpkg"
    assert cli("store", "--store", sqlite, "dump", "--output", str(first)) == 0
    assert cli("store", "--store", pg_url, "init") == 0
    assert cli("store", "--store", pg_url, "load", "--from", str(first)) == 0
    # 2 submissions, 1 field update, 6 audit rows, and the seed: 63 changes with their audit rows
    assert "copied the history: 135 rows" in capsys.readouterr().out
    assert cli("store", "--store", pg_url, "dump", "--output", str(second)) == 0
    (reg1, hist1), (reg2, hist2) = read_dump(first), read_dump(second)
    assert_same_registers(reg1, reg2)
    pd.testing.assert_frame_equal(hist1["submissions"], hist2["submissions"])
    pd.testing.assert_frame_equal(hist1["field_updates"], hist2["field_updates"])
    copied = hist2["audit"].iloc[:len(hist1["audit"])]
    pd.testing.assert_frame_equal(hist1["audit"], copied)
    assert hist2["audit"]["action"].iloc[len(hist1["audit"]):].tolist() == ["save_register"] * 3
    postgis = open_store(pg_url)
    assert apply_field_updates(atlas, postgis).projects.equals(
        apply_field_updates(atlas, embedded).projects)
    assert postgis.submit(correction()) == 3  # ids continue after the copied ones
    assert cli("store", "--store", pg_url, "load", "--from", str(first)) == 2  # history not empty
    assert "only into an empty store" in capsys.readouterr().err
    assert cli("store", "--store", pg_url, "load", "--from", str(first), "--registers-only") == 0


def test_invalid_geometry_is_rejected_by_the_database(pg_url, atlas):
    store = PostgisStore(pg_url)
    bow_tie = atlas.projects.drop(columns="search_text").head(1).copy()
    bow_tie["geometry"] = [shapely.from_wkt(BOW_TIE)]
    with pytest.raises(SubmissionError, match="invalid geometry.*Self-intersection"):
        store.save_register("bad", bow_tie, {})
    assert store.registers().empty and store.audit().empty and store.revision() == 0
    with psycopg.connect(pg_url) as conn:  # and straight into the table, past the store's code
        conn.execute("INSERT INTO registers (name, saved_by, columns, report)"
                     " VALUES ('raw', 'sql', '[]', '{}')")
        with pytest.raises(psycopg.errors.CheckViolation, match="register_features_geom_valid"):
            conn.execute("INSERT INTO register_features (register_name, seq, properties, geom)"
                         " VALUES ('raw', 0, '{}', ST_GeomFromText(%s, 4326))", (BOW_TIE,))
    with psycopg.connect(pg_url) as conn, pytest.raises(psycopg.errors.CheckViolation):
        conn.execute("INSERT INTO register_features (register_name, seq, properties, geom)"
                     " VALUES ('raw', 0, '{}', ST_GeomFromText('POINT (1 2)', 3857))")


def test_schema_has_4326_geometries_gist_indexes_and_validity_checks(pg_url):
    PostgisStore(pg_url)
    with psycopg.connect(pg_url) as conn:
        columns = conn.execute("SELECT f_table_name, f_geometry_column, srid FROM geometry_columns"
                               " WHERE f_table_schema = 'public' ORDER BY 1, 2").fetchall()
        gist = {r[0] for r in conn.execute("SELECT indexname FROM pg_indexes WHERE indexdef"
                                           " LIKE '%USING gist%'")}
        checks = {r[0] for r in conn.execute("SELECT conname FROM pg_constraint WHERE contype = 'c'"
                                             " AND pg_get_constraintdef(oid) LIKE '%st_isvalid%'")}
    assert {c[2] for c in columns} == {4326}
    assert {(c[0], c[1]) for c in columns} >= {("submissions", "geom"), ("field_updates", "geom"),
                                               ("register_features", "geom"), ("places", "geom")}
    assert gist == {"submissions_geom", "field_updates_geom", "register_features_geom",
                    "register_changes_geom"}
    assert checks == {"submissions_geom_valid", "field_updates_geom_valid",
                      "register_features_geom_valid"}


def test_migrations_are_idempotent_and_safe_to_run_at_once(pg_url):
    stores = [PostgisStore(pg_url, migrate=False) for _ in range(4)]
    assert stores[0].schema_version() == 0
    results: list[list[int]] = []
    threads = [threading.Thread(target=lambda s=s: results.append(s.migrate())) for s in stores]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    # each version applied exactly once, by whichever caller took its lock first
    assert len(results) == 4 and sorted(v for r in results for v in r) == list(range(1, len(MIGRATIONS) + 1))
    assert PostgisStore(pg_url).migrate() == []
    with psycopg.connect(pg_url) as conn:
        assert conn.execute("SELECT count(*) FROM schema_migrations").fetchone()[0] == len(MIGRATIONS)
        conn.execute("INSERT INTO schema_migrations (version) VALUES (%s)", (len(MIGRATIONS) + 1,))
    with pytest.raises(StoreError, match="newer than this atlas knows"):
        PostgisStore(pg_url)


def test_an_uninitialised_or_unreachable_database_is_a_store_error(pg_url, monkeypatch):
    monkeypatch.setenv("ATLAS_DATABASE_URL", pg_url)
    with pytest.raises(StoreError, match="store init"):
        existing_store().field_updates()  # a reader never creates the schema
    with pytest.raises(StoreError, match="cannot connect") as info:
        PostgisStore("postgresql://atlas:secret@127.0.0.1:1/atlas")
    assert "secret" not in str(info.value) and "atlas:***@127.0.0.1:1" in str(info.value)


def test_revision_follows_commit_order(pg_url):
    """A change committed after another always has the higher revision (cache keys)."""
    store = PostgisStore(pg_url)
    seen = []
    for _ in range(3):
        store.submit(correction())
        seen.append(store.revision())
    assert seen == sorted(seen) and len(set(seen)) == 3
