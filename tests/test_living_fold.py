"""The living register's linear fold: the same atlas, field by field and dtype by dtype, as the
fold first written (tests/living_oracle.py) on a 2,000-project register; and a fold kept up to
date revision by revision equal to a fold of the whole log, on both stores, after random edit
sequences (hypothesis)."""

from __future__ import annotations

import dataclasses
import os
from pathlib import Path
from urllib.parse import urlsplit

import numpy as np
import pandas as pd
import psycopg
import pytest
import shapely
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.bench.registers import living_log, one_edit, repeated_projects
from app.data.atlas import load_atlas
from app.data.living import (
    INDEX_COLUMNS,
    Edit,
    LivingFold,
    apply_living,
    curated_seed,
    fold,
    geometry_decided,
    geometry_wkt,
    seed_values,
)
from app.service.atlas import refresh_fold
from app.service.living import living_changes, seed_register
from app.store import open_store
from tests import living_oracle, pg_support

postgis_server = pg_support.postgis_server
pg_url = pg_support.pg_url


@pytest.fixture(scope="module")
def base():
    return load_atlas()


def _mixed_log(projects, data_version: str) -> pd.DataFrame:
    """A 2,000-project log with every kind of row: the bench's seed, stages and edits, plus
    pending and rejected edits, a retirement, a retired project seeded again, a newer seed
    merged over some projects, and a seed of a project the curated register no longer has."""
    log = living_log(projects, data_version, edit_share=0.1, stages=3, seed=7)
    ids = projects["id"].tolist()
    extra = [
        (ids[3], "planner", {"lead_agency": "未审"}, "pending", None),
        (ids[4], "planner", {"geometry": "POINT (121.41 31.21)"}, "rejected", None),
        (ids[5], "seed", {"_retired": True}, "accepted", "2025-04-01"),
        (ids[6], "seed", {"_retired": True}, "accepted", "2025-03-01"),
        (ids[6], "seed", {**seed_values(projects.iloc[[6]])[ids[6]], "action": "竣工"}, "accepted", "2025-06-01"),
        (ids[8], "seed", {"description": "a newer curated text", "target_year": 2026}, "accepted", "2025-05-01"),
        ("gone-project", "seed", {**seed_values(projects.iloc[[9]])[ids[9]], "id": "gone-project"},
         "accepted", "2025-02-01"),
        (ids[10], "planner", {"geometry": None, "precision": "unlocated"}, "accepted", "2025-07-01"),
        (ids[11], "planner", {"links": ["https://www.shcn.gov.cn/a"], "start_date": "2025-02-02"},
         "accepted", "2025-02-02"),
    ]
    rows = log.to_dict("records")
    for pid, source, new, status, effective in extra:
        row = dict(rows[-1])
        row.update(id=len(rows) + 1, project_id=pid, source=source, status=status,
                   effective=effective, new=pd.Series([new]).to_json(orient="records")[1:-1],
                   reason="seed merge" if source == "seed" else "edit",
                   reviewed_at="2025-08-01T00:00:00+00:00" if status != "pending" else None)
        rows.append(row)
    return pd.DataFrame(rows, columns=log.columns)


@pytest.mark.parametrize(("register", "asof"), [("report", None), ("repeated", "2025-05-15")])
def test_the_fold_equals_the_first_fold_field_by_field_at_2000_projects(base, register, asof):
    projects = repeated_projects(base.projects, 2000)
    log = _mixed_log(projects, base.data_version)
    shown_on = base.projects if register == "report" else projects
    expected = living_oracle.apply_living(shown_on, log, asof)
    pd.testing.assert_frame_equal(apply_living(shown_on, log, asof), expected, check_exact=True)
    # the curated seed taken from the projects themselves, not parsed from the log: the same
    living = LivingFold(asof, curated_seed(projects, base.data_version))
    living.update(log)
    pd.testing.assert_frame_equal(living.projects(shown_on), expected, check_exact=True)
    folded = living_oracle.fold(log, asof)
    assert living.values == folded and fold(log, asof) == folded
    assert list(living.values) == list(folded)  # in the same order
    assert living.decided == geometry_decided(log, asof)


def test_one_edit_refolds_one_project_and_rebuilds_only_its_row(base):
    projects = repeated_projects(base.projects, 300)
    log = living_log(projects, base.data_version)
    living = LivingFold(None, curated_seed(projects, base.data_version))
    living.update(log)
    before = living.projects(projects)
    snapshot = before.copy()
    pid = projects["id"].iloc[17]
    after_log = one_edit(log, pid)
    index = after_log[list(INDEX_COLUMNS)]
    assert living.stale(index) == {pid}
    assert living.update(after_log[after_log["project_id"] == pid], index) == {pid}
    after = living.projects(projects)
    pd.testing.assert_frame_equal(after, apply_living(projects, after_log), check_exact=True)
    pd.testing.assert_frame_equal(before, snapshot, check_exact=True)  # the frame given before stands
    changed = ~(after["lead_agency"] == before["lead_agency"]).to_numpy()
    assert after["id"][changed].tolist() == [pid]
    assert living.projects(projects) is after  # nothing new: the same frame


def test_a_log_that_is_not_the_one_before_is_folded_whole(base):
    log = living_changes(None, base)  # the in-memory seed (negative ids)
    living = LivingFold()
    assert living.update(log) is None
    stored = log.assign(id=np.arange(1, len(log) + 1))  # the same seed, written to a store
    assert living.stale(stored[list(INDEX_COLUMNS)]) is None
    with pytest.raises(ValueError, match="whole log"):
        living.update(stored.iloc[:1], stored[list(INDEX_COLUMNS)])
    assert living.update(stored) is None and set(living.values) == set(base.projects["id"])


# -- incremental = full, on both stores -------------------------------------------------

@pytest.fixture(scope="module")
def sqlite_store(tmp_path_factory: pytest.TempPathFactory, base):
    store = open_store(str(Path(tmp_path_factory.mktemp("fold")) / "atlas.sqlite"))
    seed_register(store, base)
    return store


@pytest.fixture(scope="module")
def postgis_store(postgis_server, base):
    url, template = postgis_server
    name = f"atlas_fold_{os.getpid()}"  # each test worker its own
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
    store = open_store(urlsplit(url)._replace(path=f"/{name}").geturl())
    seed_register(store, base)
    yield store
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


_FIELDS = st.sampled_from(["lead_agency", "target_date", "geometry", "stage", "description"])
_STEP = st.tuples(st.sampled_from(["edit", "pending", "accept", "reject", "merge"]),
                  st.integers(0, 42), _FIELDS, st.integers(1, 28))


def _step(store, base, kind: str, n: int, field: str, day: int) -> None:
    pid = str(base.projects["id"].iloc[n])
    effective = f"2025-0{1 + day % 9}-{day:02d}"
    if kind == "merge":  # a newer curated register: one project's text changed, another retired
        projects = base.projects.copy()
        projects.loc[projects["id"] == pid, "description"] = f"revised {day}"
        projects = projects[projects["id"] != str(base.projects["id"].iloc[(n + 1) % 43])]
        seed_register(store, dataclasses.replace(base, projects=projects), today=effective)
        return
    if kind in ("accept", "reject"):
        pending = store.changes(status="pending")
        if len(pending):
            row = pending.iloc[n % len(pending)]
            store.review_change(int(row["id"]), "审核员", accept=kind == "accept", reason="核对",
                                expected_version=int(row["version"]))
        return
    x, y = 121.38 + n / 2000, 31.20 + day / 3000
    new = {"lead_agency": f"区建管委 {day}", "target_date": f"2026-0{1 + day % 9}-01",
           "geometry": geometry_wkt(shapely.box(x, y, x + 0.001, y + 0.001)),
           "description": f"text {day}",
           "stage": {"stage": "construction", "date": effective, "source": "公告"}}[field]
    new = {"stage_entry": new} if field == "stage" else {field: new}
    store.add_changes([Edit(pid, "planner", "规划员", "现场核实", {}, new, effective=effective,
                            pending=kind == "pending")])


@pytest.mark.parametrize("which", ["sqlite", "postgis"])
@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(steps=st.lists(_STEP, min_size=1, max_size=6), asof=st.sampled_from([None, "2025-04-15"]))
def test_a_fold_kept_up_to_date_equals_a_fold_of_the_whole_log(request, base, which, steps, asof):
    store = request.getfixturevalue(f"{which}_store")
    living = LivingFold(asof, curated_seed(base.projects, base.data_version))
    refresh_fold(living, base, store)
    living.projects(base.projects)
    for step in steps:
        _step(store, base, *step)
        refresh_fold(living, base, store)
        log = store.changes()
        whole = LivingFold(asof, curated_seed(base.projects, base.data_version))
        whole.update(log)
        assert living.values == whole.values == living_oracle.fold(log, asof)
        assert living.decided == geometry_decided(log, asof)
        pd.testing.assert_frame_equal(living.projects(base.projects), whole.projects(base.projects),
                                      check_exact=True)
    pd.testing.assert_frame_equal(living.projects(base.projects),
                                  living_oracle.apply_living(base.projects, store.changes(), asof),
                                  check_exact=True)
