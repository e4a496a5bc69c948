"""``python -m app export``: same content as the app's downloads, clear errors, atomic files."""

from __future__ import annotations

import json
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pyogrio
import pytest

from app.cli.main import build_filter, main
from app.io.export import FORMATS, export_bytes

ROOT = Path(__file__).resolve().parent.parent
KML = "{http://www.opengis.net/kml/2.2}"
# A filter that keeps located and unlocated projects of two layers.
FILTER_ARGS = ["--layer", "public_space", "--layer", "renewal",
               "--where", "precision=street", "--where", "precision=area",
               "--where", "precision=unlocated"]


@pytest.fixture(scope="module")
def atlas():
    """What the app's pages and the CLI show: the living register (no store: its seed alone)."""
    from app.data.atlas import load_atlas
    from app.service.atlas import shown_atlas
    from tests.conftest import DATA_DIR, LAYERS_DIR

    return shown_atlas(base=load_atlas(DATA_DIR, LAYERS_DIR)).atlas


def run_cli(*argv: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "app", *argv], cwd=ROOT, capture_output=True,
                          text=True, timeout=300)


def call(capsys, *argv: str) -> tuple[int, str, str]:
    status = main(list(argv))
    out, err = capsys.readouterr()
    return status, out, err


def comparable(fmt: str, data: bytes, folder: Path) -> object:
    """The export's content with its generation time removed, as comparable plain data."""
    if fmt == "geojson":
        doc = json.loads(data)
        assert doc.pop("generated_at")
        return doc
    if fmt == "csv":
        return data  # no generation time in a CSV: byte for byte
    if fmt == "kml":
        root = ET.fromstring(data)  # noqa: S314  (our own output)
        document = root.find(f"{KML}Document")
        description = document.find(f"{KML}description")
        lines = description.text.splitlines()
        assert any(line.startswith("generated_at: ") for line in lines)
        description.text = "\n".join(x for x in lines if not x.startswith("generated_at: "))
        extended = document.find(f"{KML}ExtendedData")
        for item in extended.findall(f"{KML}Data"):
            if item.get("name") == "generated_at":
                extended.remove(item)
        return ET.tostring(root)
    path = folder / f"compare-{len(list(folder.iterdir()))}.gpkg"
    path.write_bytes(data)
    tables = {}
    for name, _kind in pyogrio.list_layers(path):
        frame = pyogrio.read_dataframe(path, layer=name)
        if name == "atlas_export_metadata":
            frame = frame[frame["key"] != "generated_at"]
        if "geometry" in frame:
            wkt = frame.geometry.to_wkt()
            frame = frame.drop(columns="geometry").assign(wkt=wkt)
        tables[name] = frame.astype(str).to_dict(orient="list")
    return tables


@pytest.mark.parametrize("fmt", list(FORMATS))
def test_cli_output_equals_app_download(fmt, atlas, tmp_path):
    output = tmp_path / f"cli{FORMATS[fmt].suffix}"
    done = run_cli("export", "--format", fmt, "--output", str(output), *FILTER_ARGS)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("wrote ") and str(output) in done.stdout
    flt = build_filter(atlas, ["public_space", "renewal"],
                       ["precision=street", "precision=area", "precision=unlocated"])
    app_data, name, mime = export_bytes(atlas, flt, fmt)  # what the download button serves
    assert mime == FORMATS[fmt].mime and name.endswith(FORMATS[fmt].suffix)
    assert comparable(fmt, output.read_bytes(), tmp_path) == comparable(fmt, app_data, tmp_path)


def test_cli_gcj02_matches_app_written_as_given(atlas, tmp_path):
    done = run_cli("export", "--output", str(tmp_path / "p.geojson"), "--crs", "gcj02",
                   "--layer", "public_space")
    assert done.returncode == 0, done.stderr
    written = tmp_path / "p.geojson"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["p.geojson"]
    assert str(written) in done.stdout
    cli_doc = comparable("geojson", written.read_bytes(), tmp_path)
    app_data, name, _ = export_bytes(atlas, build_filter(atlas, ["public_space"], []), "geojson",
                                     crs="gcj02")
    assert name.endswith("-gcj02-public_space.geojson")  # a suggested name says the CRS
    assert cli_doc == comparable("geojson", app_data, tmp_path)
    assert cli_doc["coordinate_system"] == "gcj02"


def recorded_crs(fmt: str, path: Path) -> str:
    """The coordinate system an export file says it is in, read the way its users would."""
    if fmt == "geojson":
        return json.loads(path.read_bytes())["coordinate_system"]
    if fmt == "gpkg":
        meta = pyogrio.read_dataframe(path, layer="atlas_export_metadata")
        return dict(zip(meta["key"], meta["value"], strict=True))["coordinate_system"].strip('"')
    if fmt == "csv":
        header = path.read_bytes().decode("utf-8-sig").splitlines()[0].split(",")
        return "gcj02" if "lon_gcj02" in header else "wgs84" if "lon" in header else "?"
    document = ET.fromstring(path.read_bytes()).find(f"{KML}Document")  # noqa: S314
    lines = document.find(f"{KML}description").text.splitlines()
    return next(x for x in lines if x.startswith("coordinate_system: ")).split(": ")[1]


@pytest.mark.parametrize("crs", ["wgs84", "gcj02"])
@pytest.mark.parametrize("fmt", list(FORMATS))
def test_output_names_for_every_format_and_crs(fmt, crs, atlas, tmp_path, capsys):
    suffix = FORMATS[fmt].suffix
    layers = ["--layer", "public_space", "--layer", "streets"]
    # one file: exactly the path given, whatever its suffix (or none)
    for given in (f"out{suffix}", "q.data", "noext"):
        status, out, err = call(capsys, "export", "--format", fmt, "--crs", crs,
                                "--output", str(tmp_path / given), *layers)
        assert status == 0, err
        assert (tmp_path / given).is_file() and str(tmp_path / given) in out
        assert recorded_crs(fmt, tmp_path / given) == crs
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([f"out{suffix}", "q.data", "noext"])
    # per layer: a stem (with or without the suffix) or a folder
    per = {"stem": ("per", "per"), "stem+suffix": (f"per2{suffix}", "per2")}
    for given, stem in per.values():
        status, _out, err = call(capsys, "export", "--format", fmt, "--crs", crs, "--per-layer",
                                 "--output", str(tmp_path / given), *layers)
        assert status == 0, err
        for layer in ("public_space", "streets"):
            path = tmp_path / f"{stem}-{layer}{suffix}"
            assert path.is_file() and recorded_crs(fmt, path) == crs
    folder = tmp_path / "dir"
    folder.mkdir()
    status, _out, err = call(capsys, "export", "--format", fmt, "--crs", crs, "--per-layer",
                             "--output", f"{folder}/", *layers)
    assert status == 0, err
    _, app_name, _ = export_bytes(atlas, build_filter(atlas, ["streets"], []), fmt, crs)
    assert app_name in {p.name for p in folder.iterdir()}  # the app's download name, same rule
    label = "-gcj02" if crs == "gcj02" else ""
    assert sorted(p.name for p in folder.iterdir()) == [
        f"changning-{atlas.data_version}{label}-{layer}{suffix}" for layer in ("public_space", "streets")]


def test_cli_per_layer_files(atlas, tmp_path, capsys):
    status, out, err = call(capsys, "export", "--output", str(tmp_path / "all.geojson"),
                            "--per-layer", "--layer", "public_space", "--layer", "streets")
    assert status == 0, err
    files = sorted(p.name for p in tmp_path.iterdir() if p.suffix == ".geojson")
    assert files == ["all-public_space.geojson", "all-streets.geojson"]
    for layer in ("public_space", "streets"):
        doc = json.loads((tmp_path / f"all-{layer}.geojson").read_text(encoding="utf-8"))
        expected = atlas.projects.loc[atlas.projects["layer"] == layer, "id"].tolist()
        assert [f["id"] for f in doc["features"]] == expected
        assert f"all-{layer}.geojson" in out


def test_cli_reports_counts(atlas, tmp_path, capsys):
    status, out, _err = call(capsys, "export", "--format", "csv", "--output", str(tmp_path / "x.csv"))
    located = int(atlas.projects.geometry.notna().sum())
    total = len(atlas.projects)
    assert status == 0
    assert out.strip() == (f"wrote {total} features ({located} located, {total - located} "
                           f"unlocated) to {tmp_path / 'x.csv'}")


@pytest.mark.parametrize("argv,message", [
    (["--layer", "nope"], "unknown value(s) ['nope'] for 'layer'"),
    (["--where", "colour=red"], "unknown filter field 'colour'"),
    (["--where", "status=finished-yesterday"], "unknown value(s) ['finished-yesterday'] for 'status'"),
    (["--where", "status"], "--where needs FIELD=VALUE, got 'status'"),
])
def test_cli_bad_filters_exit_2_and_keep_the_old_file(argv, message, tmp_path, capsys):
    output = tmp_path / "keep.geojson"
    output.write_text("previous", encoding="utf-8")
    status, out, err = call(capsys, "export", "--output", str(output), *argv)
    assert status == 2 and out == ""
    assert err.startswith("error: ") and message in err
    assert output.read_text(encoding="utf-8") == "previous"


@pytest.mark.parametrize("make_output,message", [
    (lambda tmp: tmp / "missing" / "x.geojson", "folder {tmp}/missing does not exist"),
    (lambda tmp: tmp, "it is a folder"),
    (lambda tmp: tmp / "CON.geojson", "reserved device name"),
    (lambda tmp: tmp / "a\x01b.geojson", "control characters"),
    (lambda tmp: tmp / "x.geojson.", "ends in a dot"),
])
def test_cli_bad_outputs_exit_2(make_output, message, tmp_path, capsys):
    status, _out, err = call(capsys, "export", "--output", str(make_output(tmp_path)))
    assert status == 2
    assert err.startswith("error: ") and message.format(tmp=tmp_path) in err
    assert not [p for p in tmp_path.rglob("*") if p.name.endswith(".part")]


def test_cli_errors_in_a_real_process(tmp_path):
    done = run_cli("export", "--output", str(tmp_path / "x.geojson"), "--layer", "nope")
    assert done.returncode == 2 and done.stdout == ""
    assert done.stderr.startswith("error: unknown value(s) ['nope'] for 'layer'")
    assert "Traceback" not in done.stderr
    done = run_cli("export", "--format", "shp", "--output", str(tmp_path / "x.shp"))
    assert done.returncode == 2 and "invalid choice: 'shp'" in done.stderr
    done = run_cli("export", "--output", "/proc/atlas-export.geojson")
    assert done.returncode == 2 and done.stderr.startswith("error: cannot write")
    assert "Traceback" not in done.stderr


def test_cli_help_names_formats_and_crs():
    done = run_cli("export", "--help")
    assert done.returncode == 0
    for word in ("geojson", "gpkg", "csv", "kml", "--crs", "gcj02", "--per-layer", "--where"):
        assert word in done.stdout
