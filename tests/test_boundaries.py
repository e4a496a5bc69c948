"""Boundary files: import-boundaries, and the spatial join of projects onto the units."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import shapely
from shapely import box

from app.cli.main import main
from app.data.atlas import load_atlas
from app.data.boundaries import unit_summary
from app.geo.crs import convert_geometry
from app.geo.geocode import to_metric
from tests.apptest import map_app
from tests.conftest import DATA_DIR, LAYERS_DIR

#: A north-south border through 武夷路 (静雅武夷 runs from about 121.410 to 121.425 E).
SPLIT_LON = 121.418
WEST = box(121.33, 31.18, SPLIT_LON, 31.245)
EAST = box(SPLIT_LON, 31.18, 121.435, 31.245)


def _write_units(path: Path, crs: str = "gcj02") -> Path:
    """Two synthetic units, written in `crs` (GCJ-02 by default: the importer must convert)."""
    features = [
        {"type": "Feature", "properties": {"名称": name, "code": code},
         "geometry": shapely.geometry.mapping(convert_geometry(geom, "wgs84", crs))}
        for name, code, geom in [("华阳路街道", "310105001", EAST), ("天山路街道", "310105006", WEST)]
    ]
    path.write_text(json.dumps({"type": "FeatureCollection", "features": features},
                               ensure_ascii=False), encoding="utf-8")
    return path


@pytest.fixture()
def imported(tmp_path, capsys):
    folder = tmp_path / "boundaries"
    source = _write_units(tmp_path / "units.geojson")
    code = main(["import-boundaries", str(source), "--kind", "subdistrict", "--crs", "gcj02",
                 "--code-field", "code", "--boundaries-dir", str(folder)])
    captured = capsys.readouterr()
    assert code == 0, captured.err
    output = captured.out
    return folder, output, load_atlas(DATA_DIR, LAYERS_DIR, boundaries_dir=folder)


def test_the_file_is_stored_in_wgs84_under_the_boundaries_folder(imported):
    folder, output, _ = imported
    stored = json.loads((folder / "subdistrict.geojson").read_text(encoding="utf-8"))
    assert stored["kind"] == "subdistrict" and stored["source_crs"] == "gcj02"
    by_name = {f["properties"]["name"]: shapely.geometry.shape(f["geometry"]) for f in stored["features"]}
    assert by_name["天山路街道"].hausdorff_distance(WEST) < 1e-6  # converted back from GCJ-02
    assert "wrote" in output and "华阳路街道" in output and "straddling two or more" in output


def test_a_straddling_project_gets_its_shares_and_the_larger_unit(imported):
    _, _, atlas = imported
    row = atlas.projects.set_index("id").loc["jingya-wuyi"]
    line = to_metric(row.geometry)
    west_share = line.intersection(to_metric(WEST)).length / line.length
    found = dict((name, share) for name, share in row["unit_shares"]["subdistrict"])
    assert set(found) == {"天山路街道", "华阳路街道"}
    assert found["天山路街道"] == pytest.approx(west_share, abs=0.002)
    assert sum(found.values()) == pytest.approx(1.0, abs=0.002)
    larger = max(found, key=found.get)
    assert (row["subdistrict"], row["subdistrict_method"]) == (larger, "spatial-join")


def test_points_join_whole_and_named_subdistricts_are_kept(imported):
    _, _, atlas = imported
    rows = atlas.projects.set_index("id")
    park = rows.loc["tianshan-park"]
    expected = "天山路街道" if park.geometry.x < SPLIT_LON else "华阳路街道"
    assert park["unit_shares"]["subdistrict"] == [[expected, 1.0]]
    assert (park["subdistrict"], park["subdistrict_method"]) == (expected, "spatial-join")
    intex = rows.loc["intex-renewal"]  # the register names 虹桥街道: a source beats the join
    assert (intex["subdistrict"], intex["subdistrict_method"]) == ("虹桥街道", "register")
    unlocated = rows[rows.geometry.isna()]
    assert (unlocated["unit_shares"].map(len) == 0).all()


def test_the_summary_counts_projects_and_areas_per_unit(imported):
    _, _, atlas = imported
    summary = unit_summary(atlas.projects, atlas.places.values(), "subdistrict").set_index("name")
    assert summary.loc["天山路街道", "code"] == "310105006"
    assert summary.loc["天山路街道", "area_km2"] == pytest.approx(to_metric(WEST).area / 1e6, rel=1e-3)
    located = int(atlas.projects.geometry.notna().sum())
    assert summary["share_sum"].sum() == pytest.approx(located, abs=0.01)  # nothing counted twice
    assert summary["projects"].sum() > located  # straddlers count in both units


def test_the_boundaries_reference_layer_shows_the_units(imported):
    _, _, atlas = imported
    spec = atlas.spec("boundaries_subdistrict")
    assert spec.kind == "reference" and spec.title_en == "units (imported boundaries)"
    frame = atlas.reference_frame(spec)
    assert sorted(frame["name_zh"]) == ["华阳路街道", "天山路街道"]


def test_without_a_boundary_file_subdistrict_stays_unknown(tmp_path):
    atlas = load_atlas(DATA_DIR, LAYERS_DIR, boundaries_dir=tmp_path)
    rows = atlas.projects
    assert (rows.loc[rows["subdistrict"] == "unknown", "subdistrict_method"] == "").all()
    assert (rows["subdistrict_method"] != "spatial-join").all()
    assert set(rows.loc[rows["subdistrict"] != "unknown", "subdistrict_method"]) == {"register"}
    assert not [s for s in atlas.specs if s.id.startswith("boundaries_")]


@pytest.mark.parametrize(("content", "message"), [
    ("name,lon,lat\n甲,121.4,31.2\n", "no geometries"),
    (json.dumps({"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"other": "x"},
         "geometry": {"type": "Polygon", "coordinates": [[[121.4, 31.2], [121.41, 31.2], [121.41, 31.21], [121.4, 31.2]]]}}]}),
     "no name column"),
    (json.dumps({"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"name": "甲"},
         "geometry": {"type": "Point", "coordinates": [121.4, 31.2]}}]}),
     "an outline must be a (Multi)Polygon"),
])
def test_an_unusable_file_is_refused_with_a_reason(tmp_path, capsys, content, message):
    suffix = ".csv" if content.startswith("name,") else ".geojson"
    path = tmp_path / f"bad{suffix}"
    path.write_text(content, encoding="utf-8")
    code = main(["import-boundaries", str(path), "--kind", "unit", "--boundaries-dir", str(tmp_path / "b")])
    assert code == 2
    assert message in capsys.readouterr().err
    assert not (tmp_path / "b" / "unit.geojson").exists()


def test_outlines_far_from_the_district_are_refused(tmp_path, capsys):
    far = box(116.30, 39.90, 116.40, 39.95)  # Beijing
    path = tmp_path / "far.geojson"
    path.write_text(json.dumps({"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"name": "远"}, "geometry": shapely.geometry.mapping(far)}]}),
        encoding="utf-8")
    assert main(["import-boundaries", str(path), "--kind", "parcel",
                 "--boundaries-dir", str(tmp_path / "b")]) == 2
    assert "远" in capsys.readouterr().err
    assert np.isfinite(far.area)


def test_the_about_page_counts_projects_and_areas_per_unit(imported, isolated_store, monkeypatch):
    from streamlit.testing.v1 import AppTest

    folder, _, atlas = imported
    monkeypatch.setenv("ATLAS_BOUNDARIES_DIR", str(folder))

    def page():
        import streamlit as st

        from app.ui.pages import about_page

        st.session_state["w_lang"] = "en"
        about_page.render()

    at = AppTest.from_function(page, default_timeout=60).run()
    assert not at.exception
    assert any("Sub-districts: 2 units;" in c.value for c in at.caption)
    [table] = [d.value for d in at.dataframe if "Sum of shares" in d.value.columns]
    expected = unit_summary(atlas.projects, atlas.places.values(), "subdistrict")
    assert sorted(table["Name"]) == ["华阳路街道", "天山路街道"]
    assert table.set_index("Name")["Projects with a part inside"].to_dict() == \
        expected.set_index("name")["projects"].to_dict()


def test_without_outlines_the_about_page_says_how_to_load_them(tmp_path, isolated_store, monkeypatch):
    from streamlit.testing.v1 import AppTest

    monkeypatch.setenv("ATLAS_BOUNDARIES_DIR", str(tmp_path / "none"))

    def page():
        from app.ui.pages import about_page

        about_page.render()

    at = AppTest.from_function(page, default_timeout=60).run()
    assert not at.exception
    assert any("import-boundaries" in c.value for c in at.caption)


def test_the_map_summary_counts_the_selection_per_unit(imported, isolated_store, monkeypatch):

    folder, _, atlas = imported
    monkeypatch.setenv("ATLAS_BOUNDARIES_DIR", str(folder))
    at = map_app({"basemap": "none", "lang": "en", "layer": "public_space"})
    at.run()
    assert not at.exception
    [table] = [d.value for d in at.dataframe if "Sum of shares" in d.value.columns]
    chosen = atlas.projects[atlas.projects["layer"] == "public_space"]
    expected = unit_summary(chosen, atlas.places.values(), "subdistrict").set_index("name")
    assert table.set_index("Name")["Projects with a part inside"].to_dict() == expected["projects"].to_dict()
    assert expected["projects"].sum() < unit_summary(atlas.projects, atlas.places.values(),
                                                     "subdistrict")["projects"].sum()


def _two_units(path: Path, names_codes: list[tuple[str, str]]) -> Path:
    features = [{"type": "Feature", "properties": {"名称": name, "code": code},
                 "geometry": shapely.geometry.mapping(geom)}
                for (name, code), geom in zip(names_codes, (EAST, WEST), strict=True)]
    path.write_text(json.dumps({"type": "FeatureCollection", "features": features},
                               ensure_ascii=False), encoding="utf-8")
    return path


@pytest.mark.parametrize(("names_codes", "message"), [
    ([("华阳路街道", ""), ("火星街道", "")], "unit 2 ('火星街道'): not one of Changning's sub-districts"),
    ([("华阳路街道", "310105001"), ("天山路街道", "310105001")],
     "code '310105001' is not the official code of 天山路街道, 310105006"),
    ([("华阳路街道", ""), ("华阳路", "")], "华阳路街道 is also unit 1"),
])
def test_subdistrict_units_must_be_the_ten_with_their_codes(tmp_path, capsys, names_codes, message):
    path = _two_units(tmp_path / "s.geojson", names_codes)
    assert main(["import-boundaries", str(path), "--kind", "subdistrict", "--code-field", "code",
                 "--boundaries-dir", str(tmp_path / "b")]) == 2
    assert message in capsys.readouterr().err
    assert not (tmp_path / "b" / "subdistrict.geojson").exists()


def test_short_subdistrict_names_are_stored_with_the_official_name_and_code(tmp_path, capsys):
    path = _two_units(tmp_path / "s.geojson", [("华阳路", ""), ("Tianshan Road Subdistrict", "")])
    folder = tmp_path / "b"
    assert main(["import-boundaries", str(path), "--kind", "subdistrict",
                 "--boundaries-dir", str(folder)]) == 0, capsys.readouterr().err
    stored = json.loads((folder / "subdistrict.geojson").read_text(encoding="utf-8"))
    assert sorted((f["properties"]["name"], f["properties"]["code"]) for f in stored["features"]) == [
        ("华阳路街道", "310105001"), ("天山路街道", "310105006")]
