"""The living register's change log, out: the history frame, its CSV and GeoJSON, ``python -m
app history`` and the change-log page, on real stores (SQLite files and a PostGIS database)."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import geopandas as gpd
import pytest
import shapely
from streamlit.testing.v1 import AppTest

from app.cli.main import main
from app.data.living import Edit, seed_values
from app.errors import FilterError
from app.service.history import CHANGE_LOG_COLUMNS, history_bytes, history_frame, history_metadata
from app.service.living import seed_register
from app.store import AtlasStore, Store, open_store
from app.ui.downloads import FILES
from tests import pg_support
from tests.apptest import sign_in

postgis_server = pg_support.postgis_server
pg_url = pg_support.pg_url

ROOT = Path(__file__).resolve().parent.parent
#: A site boundary for an unlocated project: a small block west of Zhongshan Park.
SITE = "POLYGON ((121.4150 31.2190, 121.4170 31.2190, 121.4170 31.2205, 121.4150 31.2205, 121.4150 31.2190))"
TODAY = datetime.now(UTC).date().isoformat()
TOMORROW = (datetime.now(UTC).date() + timedelta(days=1)).isoformat()


@pytest.fixture(params=["sqlite", "postgis"])
def target(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """Where a store lives: an SQLite path or a PostgreSQL URL (a fresh one per test)."""
    if request.param == "sqlite":
        return str(tmp_path / "atlas.sqlite")
    return request.getfixturevalue("pg_url")


def unlocated_id(atlas) -> str:
    return str(atlas.projects.loc[atlas.projects.geometry.isna(), "id"].iloc[0])


def located_id(atlas) -> str:
    return str(atlas.projects.loc[atlas.projects.geometry.notna(), "id"].iloc[0])


def edited_store(store: AtlasStore, atlas) -> dict[str, int]:
    """`store` seeded from the curated register, then three planner changes: a drawn boundary
    for an unlocated project (held for review, then accepted), a lead agency whose reason
    looks like a spreadsheet formula, and a new stage. Returns the seed count and change ids."""
    seeded = seed_register(store, atlas)
    place, other = unlocated_id(atlas), located_id(atlas)
    [drawn] = store.add_changes([Edit(place, "planner", "李规划", "现场踏勘确定红线",
                                      {"geometry": None}, {"geometry": SITE}, pending=True)])
    store.review_change(drawn, "王审核", accept=True, reason="与批复红线一致")
    [agency] = store.add_changes([Edit(other, "planner", "李规划", "=HYPERLINK(\"http://x\")",
                                       {"lead_agency": ""}, {"lead_agency": "区建管委"})])
    [stage] = store.add_changes([Edit(other, "planner", "李规划", "开工仪式",
                                      {}, {"stage_entry": {"stage": "construction",
                                                           "date": "2025-03-01",
                                                           "source": "开工新闻稿"}})])
    return {"seeded": seeded, "drawn": drawn, "agency": agency, "stage": stage}


# -- the history frame and its files, on both stores ------------------------------------

def test_history_frame_has_one_row_per_change_with_old_and_new(target, atlas):
    store = open_store(target)
    ids = edited_store(store, atlas)
    frame = history_frame(store)
    assert isinstance(frame, gpd.GeoDataFrame) and frame.crs.equals("EPSG:4326")
    assert list(frame.columns) == [*CHANGE_LOG_COLUMNS, "geometry"]
    assert ids["seeded"] == len(atlas.projects) == len(frame) - 3
    assert frame["id"].is_monotonic_increasing
    rows = frame.set_index("id")

    drawn = rows.loc[ids["drawn"]]
    assert drawn["project_id"] == unlocated_id(atlas) and drawn["fields"] == ["geometry"]
    assert (drawn["source"], drawn["actor"], drawn["status"]) == ("planner", "李规划", "accepted")
    assert (drawn["reviewed_by"], drawn["review_reason"]) == ("王审核", "与批复红线一致")
    assert drawn["reviewed_at"].startswith(TODAY) and drawn["at"].startswith(TODAY)
    assert drawn["effective"] == TODAY  # a pending edit holds from its acceptance
    assert drawn["old_wkt"] is None and shapely.from_wkt(drawn["new_wkt"]).equals(shapely.from_wkt(SITE))
    assert drawn.geometry.equals(shapely.from_wkt(SITE))
    assert (json.loads(drawn["old"]), json.loads(drawn["new"])) == ({}, {})  # geometry kept apart

    agency = rows.loc[ids["agency"]]
    assert agency.geometry is None and agency["old_wkt"] is None and agency["new_wkt"] is None
    assert json.loads(agency["new"]) == {"lead_agency": "区建管委"}
    assert json.loads(agency["old"]) == {"lead_agency": ""}
    assert rows.loc[ids["stage"], "fields"] == ["stage_entry"]

    # a seed row: the curated values, geometry as the feature and in new_wkt, not in `new`
    other = located_id(atlas)
    seed = frame[(frame["project_id"] == other) & (frame["source"] == "seed")].iloc[0]
    curated = seed_values(atlas.projects)[other]
    assert seed["effective"] == "2025-01-08"
    assert shapely.from_wkt(seed["new_wkt"]).equals_exact(shapely.from_wkt(curated["geometry"]), 1e-9)
    assert seed.geometry.equals_exact(shapely.from_wkt(curated["geometry"]), 1e-9)
    assert "geometry" not in json.loads(seed["new"]) and json.loads(seed["new"])["stages"] == curated["stages"]


def test_history_filters_by_project_and_day(target, atlas):
    store = open_store(target)
    ids = edited_store(store, atlas)
    other = located_id(atlas)
    mine = history_frame(store, project_id=other)
    assert set(mine["project_id"]) == {other}
    assert mine["id"].tolist()[-2:] == [ids["agency"], ids["stage"]]
    assert len(history_frame(store, since=TODAY)) == len(history_frame(store))  # all recorded today
    assert history_frame(store, project_id=other, since=TOMORROW).empty  # known, nothing since
    with pytest.raises(FilterError, match="unknown project 'nowhere'"):
        history_frame(store, project_id="nowhere")
    with pytest.raises(FilterError, match="since date must be a day written YYYY-MM-DD"):
        history_frame(store, since="2025-02-30")


def test_history_geojson_carries_both_geometries(target, atlas, tmp_path):
    store = open_store(target)
    ids = edited_store(store, atlas)
    frame = history_frame(store, project_id=unlocated_id(atlas))
    data = history_bytes(frame, "geojson", history_metadata(project_id=unlocated_id(atlas),
                                                             revision=store.revision()))
    doc = json.loads(data)
    assert doc["type"] == "FeatureCollection" and "crs" not in doc
    assert doc["feature_count"] == len(doc["features"]) == 2  # the seed and the drawn boundary
    assert doc["filter"] == {"register": "built-in", "project": unlocated_id(atlas), "since": None}
    assert doc["store_revision"] == store.revision()
    seed, drawn = doc["features"]
    assert seed["geometry"] is None and seed["properties"]["source"] == "seed"  # unlocated when seeded
    assert drawn["id"] == ids["drawn"] and drawn["geometry"]["type"] == "Polygon"
    assert shapely.geometry.shape(drawn["geometry"]).equals(shapely.from_wkt(SITE))
    assert drawn["properties"]["old_wkt"] is None and drawn["properties"]["fields"] == ["geometry"]
    assert drawn["properties"]["new_wkt"] == frame.iloc[1]["new_wkt"]
    # a GIS reads it: GDAL sees both features, the polygon and the property carrying the old one
    path = tmp_path / "h.geojson"
    path.write_bytes(data)
    read = gpd.read_file(path)
    assert len(read) == 2 and read.geometry.iloc[1].equals(shapely.from_wkt(SITE))
    assert "old_wkt" in read.columns and read.crs.equals("EPSG:4326")


def test_history_csv_is_the_atlas_csv(target, atlas):
    store = open_store(target)
    ids = edited_store(store, atlas)
    frame = history_frame(store)
    raw = history_bytes(frame, "csv")
    assert raw.startswith(b"\xef\xbb\xbf") and b"\r\n" in raw
    rows = list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig"))))
    assert list(rows[0]) == list(CHANGE_LOG_COLUMNS)
    assert len(rows) == len(frame)
    by_id = {int(r["id"]): r for r in rows}
    assert by_id[ids["agency"]]["reason"] == "'=HYPERLINK(\"http://x\")"  # formula neutralised
    assert by_id[ids["drawn"]]["new_wkt"].startswith("POLYGON") and by_id[ids["drawn"]]["old_wkt"] == ""
    seed_fields = by_id[int(frame["id"].iloc[0])]["fields"].split("; ")
    assert {"geometry", "stages", "precision"} <= set(seed_fields)


# -- python -m app history ---------------------------------------------------------------

def history(capsys, *argv: str) -> tuple[int, str, str]:
    status = main(["history", *argv])
    out, err = capsys.readouterr()
    return status, out, err


def test_cli_writes_the_log_in_the_suffix_format(target, atlas, tmp_path, capsys):
    store = open_store(target)
    edited_store(store, atlas)
    frame = history_frame(store)
    placed = int(frame.geometry.notna().sum())
    assert placed == int(atlas.projects.geometry.notna().sum()) + 1  # the seed's and the drawn one
    status, out, err = history(capsys, "--output", str(tmp_path / "log.csv"), "--store", target)
    assert status == 0, err
    assert out == f"wrote {len(frame)} changes ({placed} with a new geometry) to {tmp_path / 'log.csv'}\n"
    assert (tmp_path / "log.csv").read_bytes() == history_bytes(history_frame(store), "csv")
    status, out, err = history(capsys, "--project", unlocated_id(atlas), "--output",
                               str(tmp_path / "one.json"), "--store", target)
    assert status == 0, err
    doc = json.loads((tmp_path / "one.json").read_text(encoding="utf-8"))
    assert [f["properties"]["source"] for f in doc["features"]] == ["seed", "planner"]
    assert out.startswith("wrote 2 changes (1 with a new geometry)")
    status, _out, err = history(capsys, "--since", TOMORROW, "--format", "geojson", "--output",
                                str(tmp_path / "none.txt"), "--store", target)
    assert status == 0, err
    assert json.loads((tmp_path / "none.txt").read_text(encoding="utf-8"))["features"] == []


def test_cli_reads_the_configured_store(isolated_store, atlas, tmp_path, capsys):
    edited_store(Store(isolated_store), atlas)
    status, out, err = history(capsys, "--output", str(tmp_path / "log.geojson"))
    assert status == 0, err
    assert len(json.loads((tmp_path / "log.geojson").read_bytes())["features"]) == len(atlas.projects) + 3


@pytest.mark.parametrize("argv,message", [
    (["--project", "nowhere"], "error: unknown project 'nowhere': the change log holds no change of it"),
    (["--since", "2025-13-01"], "error: the since date must be a day written YYYY-MM-DD, got '2025-13-01'"),
    (["--since", "yesterday"], "error: the since date must be a day written YYYY-MM-DD"),
])
def test_cli_bad_filters_exit_2_and_write_nothing(argv, message, isolated_store, atlas, tmp_path,
                                                  capsys):
    edited_store(Store(isolated_store), atlas)
    output = tmp_path / "log.csv"
    status, out, err = history(capsys, *argv, "--output", str(output))
    assert (status, out) == (2, "")
    assert err.startswith(message)
    assert not output.exists()


@pytest.mark.parametrize("make_output,message", [
    (lambda tmp: tmp / "missing" / "log.csv", "folder {tmp}/missing does not exist"),
    (lambda tmp: tmp, "cannot tell the format"),
    (lambda tmp: tmp / "log.xlsx", "cannot tell the format of 'log.xlsx' from its suffix"),
    (lambda tmp: tmp / "CON.csv", "reserved device name"),
])
def test_cli_bad_outputs_exit_2(make_output, message, isolated_store, atlas, tmp_path, capsys):
    edited_store(Store(isolated_store), atlas)
    status, _out, err = history(capsys, "--output", str(make_output(tmp_path)))
    assert status == 2
    assert err.startswith("error: ") and message.format(tmp=tmp_path) in err


def test_cli_without_a_store_says_how_to_make_one(isolated_store, tmp_path, capsys):
    assert not isolated_store.exists()
    status, _out, err = history(capsys, "--output", str(tmp_path / "log.csv"))
    assert status == 2 and "there is no store yet" in err and "store load" in err
    assert not isolated_store.exists()  # reading never creates a store
    status, _out, err = history(capsys, "--output", str(tmp_path / "log.csv"),
                                "--store", str(tmp_path / "absent.sqlite"))
    assert status == 2 and f"there is no store at {tmp_path / 'absent.sqlite'}" in err
    assert not (tmp_path / "absent.sqlite").exists()
    status, _out, err = history(capsys, "--output", str(tmp_path / "log.csv"), "--store", "atlas")
    assert status == 2 and "a store is a postgresql:// URL" in err


def test_cli_in_a_real_process_against_postgis(pg_url, atlas, tmp_path):
    edited_store(open_store(pg_url), atlas)
    output = tmp_path / "log.geojson"
    done = subprocess.run([sys.executable, "-m", "app", "history", "--project", located_id(atlas),
                           "--output", str(output), "--store", pg_url],
                          capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert done.returncode == 0, done.stderr
    doc = json.loads(output.read_text(encoding="utf-8"))
    assert [f["properties"]["source"] for f in doc["features"]] == ["seed", "planner", "planner"]
    assert "***" not in done.stdout and done.stdout.startswith("wrote 3 changes")


def test_store_load_seeds_the_living_register(tmp_path, capsys):
    from app.cli.main import _parser
    from app.cli.store import run

    path = str(tmp_path / "s.sqlite")
    assert run(_parser().parse_args(["store", "--store", path, "load"])) == 0
    first = capsys.readouterr().out
    count = len(open_store(path).changes())
    assert count > 0 and f"living register: recorded {count} changes" in first
    assert run(_parser().parse_args(["store", "--store", path, "load"])) == 0
    assert "recorded 0 changes from the curated register (it was up to date)" in capsys.readouterr().out
    assert len(open_store(path).changes()) == count


# -- the change-log page -----------------------------------------------------------------

def history_app() -> AppTest:
    def page():
        from app.ui.pages import history_page

        history_page.render()

    return AppTest.from_function(page, default_timeout=60)


def prepared(at: AppTest, key: str) -> bytes:
    """Press the prepare button of download `key` and return the file the page made."""
    at.button(key=f"{key}_make").click().run()
    assert at.download_button(key=key), f"no download {key}: {[e.value for e in at.error]}"
    return at.session_state[FILES][key][1]


def test_visitors_read_the_log_without_the_names_of_people(monkeypatch, isolated_store, atlas):
    edited_store(Store(isolated_store), atlas)
    monkeypatch.setenv("ATLAS_FIELD_SECRET", "field-pass")
    at = history_app().run()
    assert not at.exception
    table = at.dataframe[0].value
    assert len(table) == len(atlas.projects) + 3
    names = {"李规划", "王审核", "王工"}
    assert not names & set(table["修改人"]) and not names & set(table["审核人"].dropna())
    assert set(table["修改人"]) <= {"整理好的项目库", "一位规划师"}
    assert any("姓名已隐去" in c.value for c in at.caption)
    # the downloads hide them too
    text = prepared(at, "history_log_csv").decode("utf-8-sig")
    assert "李规划" not in text and "一位规划师" in text
    # a wrong passphrase shows nothing more
    at = sign_in(at, "field", "王工", "guess")
    assert any("口令不正确" in e.value for e in at.error)
    assert "李规划" not in set(at.dataframe[0].value["修改人"])


@pytest.mark.parametrize("role,env", [("field", "ATLAS_FIELD_SECRET"),
                                      ("reviewer", "ATLAS_REVIEW_SECRET"),
                                      ("planner", "ATLAS_PLANNER_SECRET")])
def test_every_role_reads_the_log_and_downloads_a_project(role, env, monkeypatch, isolated_store, atlas):
    ids = edited_store(Store(isolated_store), atlas)
    monkeypatch.setenv(env, "pass-" + role)
    at = history_app().run()
    at.selectbox(key="history_role").set_value(role).run()
    at = sign_in(at, role, "王工", "pass-" + role)
    assert not at.exception
    assert len(at.dataframe[0].value) == len(atlas.projects) + 3
    assert "李规划" in set(at.dataframe[0].value["修改人"])  # signed in: the names
    assert any(f"共 {len(atlas.projects) + 3} 条变更" in c.value for c in at.caption)
    at.selectbox(key="history_project").set_value(unlocated_id(atlas)).run()
    table = at.dataframe[0].value
    assert table["编号"].tolist()[-1] == ids["drawn"] and set(table["项目代码"]) == {unlocated_id(atlas)}
    labels = [b.label for b in at.button if b.key and b.key.endswith("_make")]
    assert labels == ["生成CSV(Excel)", "生成GeoJSON(含新旧几何)"] * 2  # the filtered log, the project's
    doc = json.loads(prepared(at, "history_project_file_geojson"))
    assert [f["id"] for f in doc["features"]][-1] == ids["drawn"]
    assert doc["features"][-1]["geometry"]["type"] == "Polygon"
    assert doc["filter"]["project"] == unlocated_id(atlas)
    rows = list(csv.DictReader(io.StringIO(
        prepared(at, "history_project_file_csv").decode("utf-8-sig"))))
    assert [int(r["id"]) for r in rows] == table["编号"].tolist()


def test_the_page_filters_by_day_and_says_when_the_log_is_empty(monkeypatch, isolated_store, atlas):
    import sqlite3
    from datetime import date

    monkeypatch.setenv("ATLAS_REVIEW_SECRET", "review-pass")
    Store(isolated_store)  # an empty store: no change yet
    at = history_app().run()
    at.selectbox(key="history_role").set_value("reviewer").run()
    at = sign_in(at, "reviewer", "李审", "review-pass")
    assert any("尚无变更记录" in i.value for i in at.info) and not at.dataframe
    ids = edited_store(Store(isolated_store), atlas)
    with sqlite3.connect(isolated_store) as conn:  # the seed recorded back on the report's day
        conn.execute("UPDATE register_changes SET at = '2025-01-08T09:00:00+00:00' WHERE source = 'seed'")
    at.run()
    assert len(at.dataframe[0].value) == len(atlas.projects) + 3
    at.date_input(key="history_since").set_value(date.fromisoformat(TODAY)).run()
    assert at.dataframe[0].value["编号"].tolist() == [ids["drawn"], ids["agency"], ids["stage"]]
    at.selectbox(key="history_project").set_value(located_id(atlas)).run()
    assert at.dataframe[0].value["编号"].tolist() == [ids["agency"], ids["stage"]]
    assert at.dataframe[0].value["修改的字段"].tolist() == ["牵头单位", "新阶段"]
