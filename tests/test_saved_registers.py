"""A saved register is an atlas like the built-in one, and the app and the CLI agree on it.

The path of an analyst: import a small file, save it as a register, then read it back through
the CLI (``export --register``, ``nearest --register``), the app (AppTest of the whole app with
``register=`` in the URL) and the store commands (``registers``, ``rename``, ``delete``). Then a
reviewer accepts a correction, and the app's nearest list and export (the functions the pages
call) are compared with the CLI's, item by item, in a separate process.
"""

from __future__ import annotations

import getpass
import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from app.cli.main import build_filter, main
from app.domain.text import unescape_markdown as plain
from app.domain.viewstate import parse_view, to_query
from app.errors import StoreError
from app.geo.nearest import nearest
from app.io.export import export_bytes
from app.service.atlas import BUILT_IN, shown_atlas
from app.store import CURATED_REGISTER, Store, Submission, open_store
from app.store.sqlite import _SCHEMA
from tests.apptest import map_app

ROOT = Path(__file__).resolve().parent.parent
REGISTER = "district-2025"
# Two located rows and one whose layer the atlas does not know (it goes to the default layer).
CSV = ("id,名称,经度,纬度,图层\n"
       "reg-garden,社区花园甲,121.4105,31.2125,public_space\n"
       "reg-pocket,口袋公园乙,121.4200,31.2150,renewal\n"
       "reg-odd,未知图层丙,121.4150,31.2100,rooftops\n")
IDS = ["reg-garden", "reg-pocket", "reg-odd"]


def call(capsys, *argv: str) -> tuple[int, str, str]:
    status = main(list(argv))
    out, err = capsys.readouterr()
    return status, out, err


def run_cli(store: Path, *argv: str) -> subprocess.CompletedProcess[str]:
    """The CLI in a process of its own, reading `store`."""
    env = {**os.environ, "ATLAS_STORE": str(store)}
    env.pop("ATLAS_DATABASE_URL", None)
    return subprocess.run([sys.executable, "-m", "app", *argv], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=300)


@pytest.fixture()
def saved(tmp_path: Path, capsys, isolated_store: Path) -> Path:
    """The small file imported with ``import --save``: the register REGISTER in the store."""
    source = tmp_path / "district.csv"
    source.write_text(CSV, encoding="utf-8")
    status, out, err = call(capsys, "import", str(source), "--save", REGISTER)
    assert status == 0, err
    assert f"saved register {REGISTER!r}: 3 projects" in out
    return isolated_store


def test_cli_export_and_nearest_read_a_saved_register(saved, tmp_path, capsys):
    status, out, err = call(capsys, "export", "--register", REGISTER,
                            "--output", str(tmp_path / "reg.geojson"))
    assert status == 0, err
    doc = json.loads((tmp_path / "reg.geojson").read_text(encoding="utf-8"))
    assert [f["id"] for f in doc["features"]] == IDS
    assert [f["properties"]["layer"] for f in doc["features"]] == ["public_space", "renewal", "renewal"]
    assert doc["data_version"].startswith(f"{REGISTER}-")
    assert err == ""  # the importer already placed reg-odd in the default layer, and said so
    status, out, err = call(capsys, "nearest", "--register", REGISTER, "--lon", "121.4105",
                            "--lat", "31.2125", "-n", "3", "--json")
    assert status == 0, err
    listed = json.loads(out)
    assert [r["id"] for r in listed] == ["reg-garden", "reg-odd", "reg-pocket"]
    assert listed[0]["distance_m"] == 0.0
    # the built-in register is untouched by the saved one
    status, out, _err = call(capsys, "nearest", "--lon", "121.4105", "--lat", "31.2125", "--json")
    assert status == 0 and not {r["id"] for r in json.loads(out)} & set(IDS)



def test_cli_sheet_draws_a_saved_registers_project(saved, tmp_path, capsys):
    out_path = tmp_path / "garden.png"
    status, out, err = call(capsys, "sheet", "--register", REGISTER, "--project", "reg-garden",
                            "--dpi", "50", "--output", str(out_path))
    assert status == 0, err
    assert out_path.read_bytes().startswith(b"\x89PNG")
    status, out, err = call(capsys, "sheet", "--project", "reg-garden", "--dpi", "50",
                            "--output", str(tmp_path / "builtin.png"))
    assert status == 2 and "reg-garden" in err  # not a project of the built-in register

def save_legacy(store_path: Path, atlas) -> None:
    """A register saved when a layer 'rooftops' existed, which the layer specs no longer have."""
    frame = atlas.projects.drop(columns="search_text").head(2).copy()
    frame.loc[frame.index[1], "layer"] = "rooftops"
    Store(store_path).save_register("legacy", frame, {}, saved_by="test")


def test_rows_of_an_unknown_layer_go_to_the_default_layer_and_are_named(saved, atlas, tmp_path,
                                                                       capsys):
    save_legacy(saved, atlas)
    second = atlas.projects["id"].iloc[1]
    shown = shown_atlas("legacy", store=Store(saved), base=atlas)
    assert shown.defaulted == (second,)
    assert shown.atlas.projects["layer"].tolist()[1] == "renewal"
    status, _out, err = call(capsys, "export", "--register", "legacy",
                             "--output", str(tmp_path / "legacy.csv"), "--format", "csv")
    assert status == 0
    assert f"note: {second}: its layer is unknown, so it is shown in the 'renewal' layer" in err


def test_an_unknown_register_is_one_clear_error(saved, tmp_path, capsys):
    for argv in (["export", "--output", str(tmp_path / "x.geojson")],
                 ["nearest", "--lon", "121.41", "--lat", "31.21"]):
        status, out, err = call(capsys, *argv, "--register", "nope")
        assert status == 2 and out == ""
        assert err.strip() == "error: no saved register named 'nope'"
    assert not (tmp_path / "x.geojson").exists()


def test_store_lists_renames_and_deletes_registers_as_the_operator(saved, capsys):
    status, out, _err = call(capsys, "store", "registers")
    assert status == 0 and out.startswith(f"{REGISTER}\tsaved ")
    assert f"by cli:{getpass.getuser()}" in out
    status, out, err = call(capsys, "store", "rename", REGISTER, "district-final")
    assert status == 0, err
    status, out, err = call(capsys, "store", "rename", "district-final", CURATED_REGISTER)
    assert status == 2 and "reserved for the curated data" in err
    status, out, err = call(capsys, "store", "delete", "district-final")
    assert status == 0 and "deleted register 'district-final'" in out
    status, out, err = call(capsys, "store", "registers")
    assert out == "" and "no saved registers" in err
    audit = Store(saved).audit()
    assert audit[["actor", "action"]].values.tolist() == [
        [f"cli:{getpass.getuser()}", "save_register"],
        [f"cli:{getpass.getuser()}", "rename_register"],
        [f"cli:{getpass.getuser()}", "delete_register"]]
    assert audit["note"].tolist()[1:] == [f"register {REGISTER} -> district-final",
                                          "register district-final deleted"]


def test_an_old_sqlite_store_migrates_and_keeps_its_audit(tmp_path):
    path = tmp_path / "v1.sqlite"
    conn = sqlite3.connect(path)
    conn.executescript(f"{_SCHEMA[0]}; PRAGMA user_version = 1;")
    conn.execute("INSERT INTO audit (at, actor, action, note) VALUES "
                 "('2025-06-01T00:00:00+00:00', '王工', 'save_register', 'register old: 0 rows')")
    conn.execute("INSERT INTO registers VALUES ('old', '2025-06-01', '王工', "
                 "'{\"type\": \"FeatureCollection\", \"features\": []}', '{}')")
    conn.commit()
    conn.close()
    store = Store(path)
    assert store.schema_version() == 4
    store.rename_register("old", "new", "李审")
    assert store.audit()[["actor", "action"]].values.tolist() == [
        ["王工", "save_register"], ["李审", "rename_register"]]
    assert store.integrity_ok()


# -- the app and the CLI agree after an accepted correction -------------------------------

def accept_correction(store: Store, project_id: str, lon: float, lat: float,
                      register: str = BUILT_IN) -> None:
    sid = store.submit(Submission(project_id, "correct", "王工", "一组", lon=lon, lat=lat,
                                  precision="site", accuracy_m=4.0, note="入口在北侧",
                                  register=register))
    store.review(sid, "李审", accept=True, reason="与照片一致")


def app_atlas():
    """The atlas the app's pages read (app.ui.cache.get_atlas, the chosen register)."""
    from app.ui import cache

    return cache.get_atlas()


@pytest.mark.parametrize("register", [BUILT_IN, REGISTER])
def test_app_and_cli_agree_after_an_accepted_correction(register, atlas, isolated_store,
                                                        tmp_path, monkeypatch):
    import streamlit as st

    store = open_store()
    if register:  # the curated projects saved as a register: the same ids, a different source
        store.save_register(register, atlas.projects.drop(columns="search_text"), {},
                            saved_by="test")
    moved = (121.4230, 31.2160)  # where the reviewer accepted 天山公园 to be
    accept_correction(store, "tianshan-park", *moved, register=register)
    st.session_state["_register"] = register  # the bare-mode session state: lives on...
    try:
        shown = app_atlas()
    finally:
        del st.session_state["_register"]  # ...unless removed, into other modules' tests
    assert shown.data_version.startswith(f"{register}-" if register else atlas.data_version)
    park = shown.projects.set_index("id").loc["tianshan-park"]
    assert (park.geometry.x, park.geometry.y) == moved and park["pos_method"] == "field"

    # nearest: the list the field page shows, against `python -m app nearest --json`
    app_list = nearest(shown.projects, *moved, 8)
    argv = ["nearest", "--lon", str(moved[0]), "--lat", str(moved[1]), "-n", "8", "--json"]
    done = run_cli(isolated_store, *argv, *(["--register", register] if register else []))
    assert done.returncode == 0, done.stderr
    cli_list = json.loads(done.stdout)
    assert len(cli_list) == len(app_list) == 8
    for cli_item, (_, app_item) in zip(cli_list, app_list.iterrows(), strict=True):
        assert cli_item["id"] == app_item["id"]
        assert cli_item["distance_m"] == pytest.approx(app_item["distance_m"], abs=0.05)
        assert cli_item["direction_en"] == app_item["direction_en"]
    assert cli_list[0]["id"] == "tianshan-park" and cli_list[0]["distance_m"] == 0.0

    # export: the page's download bytes against `python -m app export`, feature by feature
    flt = build_filter(shown, ["public_space"], [])
    app_doc = json.loads(export_bytes(shown, flt, "geojson")[0])
    output = tmp_path / "cli.geojson"
    done = run_cli(isolated_store, "export", "--layer", "public_space", "--output", str(output),
                   *(["--register", register] if register else []))
    assert done.returncode == 0, done.stderr
    cli_doc = json.loads(output.read_text(encoding="utf-8"))
    assert cli_doc["data_version"] == app_doc["data_version"] == shown.data_version
    assert len(cli_doc["features"]) == len(app_doc["features"]) > 0
    for cli_feature, app_feature in zip(cli_doc["features"], app_doc["features"], strict=True):
        assert cli_feature == app_feature
    exported = {f["id"]: f for f in cli_doc["features"]}["tianshan-park"]
    assert exported["geometry"]["coordinates"] == list(moved)
    assert exported["properties"]["pos_method"] == "field"


def test_shown_atlas_needs_a_store_only_for_a_saved_register(atlas):
    shown = shown_atlas(base=atlas).atlas  # the living register, folded from its seed alone
    assert shown.projects["id"].tolist() == atlas.projects["id"].tolist()
    assert shown.data_version == f"{atlas.data_version}~0"  # the data, then the log's position
    with pytest.raises(StoreError, match="needs a store"):
        shown_atlas(REGISTER, base=atlas)


# -- the app: register= in the URL, and the permalink ------------------------------------

def full_app(**params: str) -> AppTest:
    return map_app(params).run()


def test_the_map_page_shows_a_saved_register_from_the_url(saved, atlas):
    at = full_app(basemap="none", register=REGISTER)
    assert not at.exception
    table = at.dataframe[-1].value
    assert sorted(table["名称"].tolist()) == sorted(["社区花园甲", "口袋公园乙", "未知图层丙"])
    assert at.selectbox(key="w_register").value == REGISTER
    assert at.selectbox(key="w_register").options == ["内置清单(2025 工作报告)", REGISTER]
    assert not any("图层未知" in i.value for i in at.info)
    # the permalink keeps the register, with the filters
    at.multiselect(key="w_f_layer").set_value(["public_space"]).run()
    query = {k: at.query_params[k] for k in at.query_params}
    assert query["register"] in (REGISTER, [REGISTER])
    view, notices = parse_view(query, {"layer": ["public_space", "renewal"]},
                               registers=[REGISTER])
    assert notices == [] and view.register == REGISTER and view.filters["layer"] == ("public_space",)
    again = full_app(**{k: v if isinstance(v, str) else ",".join(v) for k, v in to_query(view).items()})
    assert again.dataframe[-1].value["名称"].tolist() == ["社区花园甲"]
    # back to the built-in register: the URL drops the parameter
    again.selectbox(key="w_register").set_value(BUILT_IN).run()
    assert "register" not in again.query_params
    assert len(again.dataframe[-1].value) > 3


def test_the_page_names_rows_shown_in_the_default_layer(saved, atlas):
    save_legacy(saved, atlas)
    at = full_app(basemap="none", register="legacy", lang="en")
    second = atlas.projects["id"].iloc[1]
    notes = [plain(i.value) for i in at.info if "unknown layer" in i.value]
    assert notes == [f"1 projects of the register legacy name an unknown layer and are shown in "
                     f"the layer “Urban renewal”: {second}"]
    assert len(at.dataframe[-1].value) == 2


def test_a_register_not_saved_falls_back_with_a_notice(saved):
    at = full_app(basemap="none", register="gone")
    assert not at.exception
    assert any("gone" in w.value for w in at.warning)
    assert at.selectbox(key="w_register").value == BUILT_IN
    assert "register" not in at.query_params


# -- outcomes that survive the rerun ------------------------------------------------------

def review_app() -> AppTest:
    def page():
        from app.ui.pages import review_page

        review_page.render()

    return AppTest.from_function(page, default_timeout=60)


def test_the_accept_message_is_visible_after_the_rerun(monkeypatch, isolated_store):
    store = Store(isolated_store)
    first = store.submit(Submission("tianshan-park", "correct", "王工", lon=121.4105, lat=31.2125,
                                    precision="site", accuracy_m=5, note="入口在北侧"))
    second = store.submit(Submission("tianshan-park", "confirm", "张工", note="无误"))
    monkeypatch.setenv("ATLAS_REVIEW_SECRET", "review-pass")
    at = review_app().run()
    at.text_input(key="signin_name_reviewer").input("李审")
    at.text_input(key="signin_team_reviewer").input("审核组")
    at.text_input(key="signin_pass_reviewer").input("review-pass")
    at = at.button[[b.label for b in at.button].index("登录")].click().run()
    assert at.selectbox(key="review_pick").value == first
    at.text_input[0].input("与照片一致")
    at.button[[b.label for b in at.button].index("通过")].click().run()  # the page reruns itself
    assert store.submissions().set_index("id").loc[first, "status"] == "accepted"
    assert [s.value for s in at.success] == [f"已通过提交 #{first},地图与导出已更新。"]
    assert at.selectbox(key="review_pick").value == second  # the page moved on to the next one
    at.selectbox(key="review_history_project").set_value("tianshan-park").run()  # another rerun
    assert [s.value for s in at.success] == [f"已通过提交 #{first},地图与导出已更新。"]
    at.text_input[0].input("重复")
    at.button[[b.label for b in at.button].index("退回")].click().run()
    assert [s.value for s in at.success] == [f"已退回提交 #{second}。"]  # the newer outcome
    at.button(key="outcome_dismiss").click().run()
    assert not at.success
