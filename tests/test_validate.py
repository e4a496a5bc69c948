"""`python -m app validate` passes on the shipped data and names each kind of broken entry."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from app.cli.main import main
from tests.conftest import name_in_coverage

ROOT = Path(__file__).resolve().parent.parent


def run_validate(data_dir: Path, layers_dir: Path, capsys) -> tuple[int, str]:
    code = main(["--data-dir", str(data_dir), "--layers-dir", str(layers_dir), "validate"])
    out = capsys.readouterr()
    return code, out.out + out.err


def test_shipped_data_validates_with_a_summary():
    result = subprocess.run([sys.executable, "-m", "app", "validate"], cwd=ROOT,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert "OK:" in result.stdout
    for layer in ("renewal", "public_space", "public_services", "innovation", "streets"):
        assert layer in result.stdout
    assert "unlocated" in result.stdout


def append_project(data_dir: Path, toml: str) -> None:
    with (data_dir / "register.toml").open("a", encoding="utf-8") as fh:
        fh.write("\n" + toml)


GOOD = '''[[project]]
id = "{id}"
name_zh = "测试"
name_en = "Test"
layer = "{layer}"
category = "{category}"
action = "推进"
status = "{status}"
precision = "site"
geometry = {geometry}
description = "A test."
report = {{ section = "四", paragraph = "打造高品质公共空间" }}
'''


def good(**kw):
    values = {"id": "test-entry", "layer": "public_space", "category": "park",
              "status": "operating", "geometry": '{ ref = "poi-tianshangongyuan" }'} | kw
    return GOOD.format(**values)


@pytest.mark.parametrize("toml,message", [
    (good(geometry='{ ref = "poi-does-not-exist" }'), "unknown place reference 'poi-does-not-exist'"),
    (good(geometry='{ ref = "metro-l15-changfenggongyuan" }'), "has no position"),
    (good(id="tianshan-park"), "duplicate project id 'tianshan-park'"),
    (good(layer="parks"), "unknown layer 'parks'"),
    (good(category="forest"), "category 'forest' is not in layer 'public_space'"),
    (good(status="done"), "unknown status 'done'"),
    (good(geometry='{ point = [121.4, 31.2], crs = "utm", source = "survey" }'), "unknown CRS 'utm'"),
    (good(geometry='{ point = [121.80, 31.30], crs = "wgs84", source = "survey" }'), "outside the district"),
    (good(geometry='{ point = [121.4, 31.2] }'), "needs its crs"),
    (good(id="Bad_ID"), "'Bad_ID'"),
    (good(geometry='{ address = "仙霞路99999号" }'), "neither a known address nor bracketed"),
    (good(geometry='{ address = "仙霞路" }'), "is not an address"),
    (good().replace('precision = "site"', 'precision = "site"\nparent = "no-such-item"'),
     "parent 'no-such-item' is not a project"),
    (good().replace('precision = "site"', 'precision = "site"\nparent = "viaduct-underspace-north"'),
     "is itself a part"),
    (good().replace('precision = "site"', 'precision = "site"\nextent = "district"'),
     "a district-wide item is listed, never drawn"),
    (good().replace('precision = "site"', 'precision = "site"\nextent = "city"'),
     "extent must be 'district' or absent"),
])
def test_each_kind_of_broken_entry_is_reported(data_copy, layers_copy, capsys, toml, message):
    append_project(data_copy, toml)
    code, output = run_validate(data_copy, layers_copy, capsys)
    assert code == 1
    assert message in output
    assert "problem(s) found" in output


def test_a_correct_new_entry_passes(data_copy, layers_copy, capsys):
    append_project(data_copy, good())
    name_in_coverage(data_copy, "test-entry")  # every entry is named by a report sentence
    code, output = run_validate(data_copy, layers_copy, capsys)
    assert code == 0, output
    assert "64 projects" in output


def edit_gazetteer(data_dir: Path, edit) -> None:
    path = data_dir / "gazetteer.geojson"
    data = json.loads(path.read_text(encoding="utf-8"))
    edit(data["features"])
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")


def feature(features, pid):
    return next(f for f in features if f["id"] == pid)


@pytest.mark.parametrize("edit,message", [
    (lambda fs: feature(fs, "poi-tianshangongyuan")["properties"].update(source=""), "missing provenance"),
    (lambda fs: feature(fs, "poi-tianshangongyuan")["properties"].update(source_crs="web-mercator"),
     "unknown source CRS 'web-mercator'"),
    (lambda fs: fs.append(feature(fs, "poi-tianshangongyuan")), "duplicate place id 'poi-tianshangongyuan'"),
    (lambda fs: feature(fs, "poi-zhongshangongyuan").update(
        geometry={"type": "Point", "coordinates": [121.60, 31.30]}), "outside the district"),
    (lambda fs: fs.append({"type": "Feature", "id": "bowtie", "geometry": {"type": "Polygon", "coordinates": [[
        [121.40, 31.20], [121.41, 31.21], [121.41, 31.20], [121.40, 31.21], [121.40, 31.20]]]},
        "properties": {**feature(fs, "poi-tianshangongyuan")["properties"], "id": "bowtie"}}),
     "invalid geometry"),
])
def test_broken_gazetteer_entries_are_reported(data_copy, layers_copy, capsys, edit, message):
    edit_gazetteer(data_copy, edit)
    code, output = run_validate(data_copy, layers_copy, capsys)
    assert code == 1
    assert message in output


def test_unreadable_register_is_a_clear_error(data_copy, layers_copy, capsys):
    (data_copy / "register.toml").write_text("[[project]\nid = ", encoding="utf-8")
    code, output = run_validate(data_copy, layers_copy, capsys)
    assert code == 1
    assert "register.toml: not valid TOML" in output


def test_bad_layer_spec_is_reported(data_copy, layers_copy, capsys):
    path = layers_copy / "streets.toml"
    path.write_text(path.read_text(encoding="utf-8").replace('color = "#c2185b"', 'color = "pink"', 1),
                    encoding="utf-8")
    code, output = run_validate(data_copy, layers_copy, capsys)
    assert code == 1
    assert "streets.toml" in output and "'pink'" in output
