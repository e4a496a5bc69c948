"""Planners' own reference layers: `python -m app layers add|list|remove` on real files (a
GeoPackage in EPSG:3857, a zipped Shapefile in GB18030 with its .cpg), a zip bomb refused
before it inflates, and `export --join-layer` naming the parcels each project touches."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import geopandas as gpd
import pytest
import shapely

from app.cli.main import main
from app.data.atlas import load_atlas
from app.io.layer_file import MAX_RATIO
from app.io.reference_layers import layer_list, load_layer

#: Two parcels side by side over 天山公园 (about 121.395-121.405 E, 31.208-31.214 N).
WEST = shapely.box(121.380, 31.200, 121.400, 31.220)
EAST = shapely.box(121.400, 31.200, 121.420, 31.220)


@pytest.fixture()
def folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "reference_layers"
    monkeypatch.setenv("ATLAS_REFERENCE_LAYERS_DIR", str(path))
    return path


def _parcels() -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame({"地块编号": ["CN-01", "CN-02"], "用地性质": ["居住用地", "公共绿地"]},
                            geometry=[WEST, EAST], crs="EPSG:4326")


def test_a_geopackage_in_web_mercator_is_kept_in_wgs84(tmp_path, folder, capsys):
    source = tmp_path / "parcels.gpkg"
    _parcels().to_crs("EPSG:3857").to_file(source, driver="GPKG")
    assert main(["layers", "add", str(source), "--id", "parcels", "--title-zh", "控规地块",
                 "--title-en", "Land parcels"]) == 0
    assert "2 features (polygon)" in capsys.readouterr().out
    kept = load_layer("parcels")
    assert kept.crs.to_epsg() == 4326
    assert kept.geometry.iloc[0].equals_exact(WEST, 1e-7)
    assert main(["layers", "list", "--json"]) == 0
    [listed] = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert listed["id"] == "parcels" and listed["title_zh"] == "控规地块" and listed["features"] == 2
    assert main(["layers", "remove", "parcels"]) == 0 and layer_list(folder) == []
    assert main(["layers", "remove", "parcels"]) == 2
    assert "no reference layer 'parcels'" in capsys.readouterr().err


def test_a_zipped_shapefile_in_gb18030_reads_its_cpg(tmp_path, folder, capsys):
    shp = tmp_path / "shp" / "parcels.shp"
    shp.parent.mkdir()
    _parcels().to_crs("EPSG:32651").to_file(shp, driver="ESRI Shapefile", encoding="GB18030")
    (shp.with_suffix(".cpg")).write_text("GB18030")
    assert "居住用地".encode("gb18030") in shp.with_suffix(".dbf").read_bytes()
    archive = tmp_path / "parcels.zip"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as out:
        for part in shp.parent.iterdir():
            out.write(part, part.name)
    assert main(["layers", "add", str(archive), "--id", "parcels_shp", "--title-zh", "地块",
                 "--title-en", "Parcels"]) == 0, capsys.readouterr().err
    kept = load_layer("parcels_shp")
    assert kept["用地性质"].tolist() == ["居住用地", "公共绿地"]
    assert shapely.normalize(kept.geometry.iloc[1]).equals_exact(shapely.normalize(EAST), 1e-6)


def test_a_zip_bomb_is_refused_before_it_inflates(tmp_path, folder, capsys):
    bomb = tmp_path / "bomb.zip"
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as out:
        out.writestr("b.shp", b"\0" * (40 * 2**20))  # 40 MiB of zeros pack to about 40 kB
        out.writestr("b.dbf", b"\0" * 100)
        out.writestr("b.shx", b"\0" * 100)
    assert bomb.stat().st_size < 200_000
    assert main(["layers", "add", str(bomb), "--id", "bomb", "--title-zh", "炸弹",
                 "--title-en", "Bomb"]) == 2
    err = capsys.readouterr().err
    assert f"at most 2048 MiB and {MAX_RATIO} times are read" in err and "Traceback" not in err
    assert not folder.exists() or not list(folder.iterdir())  # nothing kept


@pytest.mark.parametrize(("content", "message"), [
    (b"", "it is empty"), (b'{"type": "FeatureCollection"}', "it starts like JSON")])
def test_a_file_that_is_no_layer_is_named(tmp_path, folder, capsys, content, message):
    path = tmp_path / "x.gpkg"
    path.write_bytes(content)
    assert main(["layers", "add", str(path), "--id", "x", "--title-zh", "x", "--title-en", "x"]) == 2
    assert message in capsys.readouterr().err


def test_export_names_the_parcels_each_project_touches(tmp_path, folder, capsys):
    source = tmp_path / "parcels.gpkg"
    _parcels().to_file(source, driver="GPKG")
    assert main(["layers", "add", str(source), "--id", "parcels", "--title-zh", "控规地块",
                 "--title-en", "Land parcels"]) == 0
    out = tmp_path / "joined.geojson"
    assert main(["export", "--output", str(out), "--join-layer", "parcels",
                 "--join-field", "用地性质"]) == 0
    features = {f["properties"]["id"]: f["properties"] for f in json.loads(out.read_text())["features"]}
    atlas = load_atlas()
    park = atlas.projects.set_index("id").loc["tianshan-park"]
    props = features["tianshan-park"]
    expected = [name for name, box in (("居住用地", WEST), ("公共绿地", EAST)) if park.geometry.intersects(box)]
    assert props["parcels_features"] == len(expected) >= 1
    assert props["parcels_touched"].split(";") == expected
    unlocated = atlas.projects.loc[atlas.projects.geometry.isna(), "id"].iloc[0]
    assert features[unlocated]["parcels_features"] == 0 and features[unlocated]["parcels_touched"] == ""
    assert main(["export", "--output", str(out), "--join-layer", "nope"]) == 2
    assert "no reference layer 'nope' (known: parcels)" in capsys.readouterr().err


def test_a_large_layer_is_also_cut_into_vector_tiles(tmp_path, folder, capsys, monkeypatch):
    import app.cli.layers

    monkeypatch.setattr(app.cli.layers, "VECTOR_TILE_MIN_FEATURES", 2)  # the two parcels count as large
    source = tmp_path / "parcels.gpkg"
    _parcels().to_file(source, driver="GPKG")
    assert main(["layers", "add", str(source), "--id", "parcels", "--title-zh", "控规地块",
                 "--title-en", "Land parcels"]) == 0
    assert "vector tiles:" in capsys.readouterr().out
    tiles = list((folder / "parcels.tiles").glob("*/*/*.pbf"))
    assert tiles and {p.parts[-3] for p in tiles} == {str(z) for z in range(11, 17)}
    assert main(["layers", "remove", "parcels"]) == 0 and not (folder / "parcels.tiles").exists()
