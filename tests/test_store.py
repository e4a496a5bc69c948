"""The embedded store with real SQLite files: transactions, audit rows, races and kills."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from app.store.sqlite import (
    MAX_PHOTO_BYTES,
    ConflictError,
    Store,
    Submission,
    SubmissionError,
    apply_field_updates,
)

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


@pytest.fixture()
def store(tmp_path: Path) -> Store:
    return Store(tmp_path / "atlas.sqlite")


def correction(**kw) -> Submission:
    values = dict(project_id="tianshan-park", kind="correct", submitted_by="王工", team="一组",
                  lon=121.4105, lat=31.2125, precision="site", accuracy_m=6.0,
                  note="入口在北侧") | kw
    return Submission(**values)


def test_wal_mode_and_schema_version(store):
    import sqlite3

    conn = sqlite3.connect(store.path)
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert conn.execute("PRAGMA user_version").fetchone()[0] == 1
    Store(store.path)  # reopening migrates nothing and loses nothing
    assert conn.execute("PRAGMA user_version").fetchone()[0] == 1


def test_submission_writes_an_audit_row(store):
    sid = store.submit(correction(), old_wkt="POINT (121.41 31.21)")
    audit = store.audit("tianshan-park")
    assert audit[["action", "submission_id", "actor"]].values.tolist() == [["submit", sid, "王工"]]
    assert audit.loc[0, "old_wkt"] == "POINT (121.41 31.21)"
    assert audit.loc[0, "new_wkt"] == "POINT (121.4105 31.2125)"
    assert audit.loc[0, "accuracy_m"] == 6.0


def test_accepting_a_correction_updates_the_atlas_with_field_provenance(store, atlas):
    sid = store.submit(correction(photo=PNG))
    assert store.photo(sid) == (PNG, "image/png")
    before = apply_field_updates(atlas, store)
    row = before.projects.set_index("id").loc["tianshan-park"]
    assert row["pos_method"] != "field"  # nothing applied before review
    store.review(sid, "李审", accept=True, reason="与现场一致", old_wkt=row.geometry.wkt)
    after = apply_field_updates(atlas, store)
    row = after.projects.set_index("id").loc["tianshan-park"]
    assert (row.geometry.x, row.geometry.y) == (121.4105, 31.2125)
    assert row["pos_method"] == "field" and row["pos_source_crs"] == "wgs84"
    assert "李审" in row["pos_source"] and row["pos_confidence"] == "high"
    assert after.data_version != before.data_version
    assert atlas.projects.set_index("id").loc["tianshan-park"]["pos_method"] != "field"
    assert store.audit("tianshan-park")["action"].tolist() == ["submit", "accept"]


def test_a_correction_can_locate_an_unlocated_project(store, atlas):
    sid = store.submit(correction(project_id="jingya-wuyi", precision="street"))
    store.review(sid, "李审", accept=True, reason="武夷路实地")
    row = apply_field_updates(atlas, store).projects.set_index("id").loc["jingya-wuyi"]
    assert row.geometry is not None and row["precision"] == "street"


def test_rejection_changes_nothing_but_is_audited(store, atlas):
    sid = store.submit(correction())
    store.review(sid, "李审", accept=False, reason="位置不对")
    assert store.field_updates().empty
    assert store.submissions()["status"].tolist() == ["rejected"]
    assert store.audit()["action"].tolist() == ["submit", "reject"]
    assert apply_field_updates(atlas, store).projects.equals(atlas.projects)


def test_confirmation_accepted_keeps_the_geometry(store):
    sid = store.submit(Submission("tianshan-park", "confirm", "王工", accuracy_m=8.0))
    store.review(sid, "李审", accept=True, reason="ok")
    assert store.field_updates().empty
    assert store.submissions()["status"].tolist() == ["accepted"]


def test_a_decided_submission_cannot_be_reviewed_again(store):
    sid = store.submit(correction())
    store.review(sid, "李审", accept=True, reason="ok")
    with pytest.raises(ConflictError, match="already accepted"):
        store.review(sid, "张审", accept=False, reason="late")
    assert store.audit()["action"].tolist() == ["submit", "accept"]


def test_stale_version_is_a_conflict(store):
    sid = store.submit(correction())
    with pytest.raises(ConflictError):
        store.review(sid, "李审", accept=True, reason="ok", expected_version=7)
    assert store.submissions()["status"].tolist() == ["pending"]


@pytest.mark.parametrize("kw,message", [
    ({"note": "  "}, "needs a note"),
    ({"lon": float("nan")}, "not a number"),
    ({"lon": None}, "needs the new position"),
    ({"precision": "unlocated"}, "precision"),
    ({"submitted_by": " "}, "who made it"),
    ({"kind": "delete"}, "'delete'"),
    ({"accuracy_m": -3.0}, "accuracy"),
    ({"photo": b"GIF89a"}, "JPEG or PNG"),
    ({"photo": PNG + b"\x00" * MAX_PHOTO_BYTES}, "at most"),
    ({"note": "x" * 5000}, "5000 characters"),
])
def test_bad_submissions_store_nothing(store, kw, message):
    with pytest.raises(SubmissionError, match=message):
        store.submit(correction(**kw))
    assert store.submissions().empty and store.audit().empty


WRITER = textwrap.dedent("""
    import sys
    from app.store.sqlite import Store, Submission
    store = Store(sys.argv[1])
    for i in range(int(sys.argv[2])):
        store.submit(Submission("tianshan-park", "confirm", sys.argv[3], note=str(i)))
    print("done", flush=True)
""")


def test_two_processes_submitting_at_once_both_succeed(tmp_path):
    path = tmp_path / "atlas.sqlite"
    Store(path)
    procs = [subprocess.Popen([sys.executable, "-c", WRITER, str(path), "60", who],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for who in ("甲", "乙")]
    outs = [p.communicate(timeout=120) for p in procs]
    assert all(p.returncode == 0 for p in procs), outs
    store = Store(path)
    counts = store.submissions()["submitted_by"].value_counts().to_dict()
    assert counts == {"甲": 60, "乙": 60}
    assert len(store.audit()) == 120


def test_a_process_killed_mid_submission_leaves_a_consistent_store(tmp_path):
    path = tmp_path / "atlas.sqlite"
    Store(path).submit(Submission("tianshan-park", "confirm", "early", note="before"))
    proc = subprocess.Popen([sys.executable, "-c", WRITER, str(path), "100000", "victim"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 60
    store = Store(path)
    while time.monotonic() < deadline and len(store.submissions()) < 30:
        time.sleep(0.05)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=30)
    store = Store(path)
    assert store.integrity_ok()
    subs = store.submissions()
    audit = store.audit()
    assert "early" in subs["submitted_by"].tolist()
    assert len(subs) > 30
    # every stored submission has exactly its audit row, and no audit row is orphaned
    assert sorted(audit["submission_id"].tolist()) == sorted(subs["id"].tolist())


RACER = textwrap.dedent("""
    import sys
    from app.store.sqlite import ConflictError, Store
    store = Store(sys.argv[1])
    try:
        store.review(int(sys.argv[2]), sys.argv[3], accept=sys.argv[3] == "A", reason="race")
        print("applied")
    except ConflictError:
        print("conflict")
""")


def test_racing_reviews_apply_once(tmp_path):
    path = tmp_path / "atlas.sqlite"
    store = Store(path)
    results = []
    for _ in range(5):
        sid = store.submit(correction())
        procs = [subprocess.Popen([sys.executable, "-c", RACER, str(path), str(sid), who],
                                  stdout=subprocess.PIPE, text=True) for who in ("A", "B")]
        results.append(sorted(p.communicate(timeout=60)[0].strip() for p in procs))
    assert results == [["applied", "conflict"]] * 5
    audit = store.audit()
    assert len(audit[audit["action"].isin(["accept", "reject"])]) == 5


def test_saved_registers_round_trip(store, atlas):
    frame = atlas.projects[atlas.projects.geometry.notna()][["id", "name_zh", "geometry"]]
    store.save_register("district-2025", frame, {"summary": {"placed": len(frame)}})
    back = store.load_register("district-2025")
    assert sorted(back["id"]) == sorted(frame["id"])
    assert store.registers()["name"].tolist() == ["district-2025"]
    with pytest.raises(SubmissionError, match="register name"):
        store.save_register("../evil", frame, {})
