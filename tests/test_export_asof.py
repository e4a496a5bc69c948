"""``export --asof`` and ``sheet --asof``: the register as it stood that day, the day and the
data version written into every export format and onto the sheet's footer; bad days refused."""

from __future__ import annotations

import csv
import io
import json
import xml.etree.ElementTree as ET
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pyogrio
import pytest
import shapely

from app.cli.main import main
from app.data.living import Edit
from app.domain.filters import Filter
from app.io.export import FORMATS
from app.service.living import seed_register
from app.sheet import SheetOptions, field_sheet, permalink
from app.store import Store

KML = "{http://www.opengis.net/kml/2.2}"
SITE = "POLYGON ((121.4150 31.2190, 121.4170 31.2190, 121.4170 31.2205, 121.4150 31.2205, 121.4150 31.2190))"
PLACED_ON = "2025-06-01"
BEFORE, AFTER = "2025-03-01", "2025-07-01"
TOMORROW = (datetime.now(UTC).date() + timedelta(days=1)).isoformat()


@pytest.fixture()
def placed(isolated_store: Path, atlas) -> str:
    """The configured store, seeded, with an unlocated project placed by a planner from
    :data:`PLACED_ON`; returns the project's id."""
    store = Store(isolated_store)
    seed_register(store, atlas)
    pid = str(atlas.projects.loc[atlas.projects.geometry.isna(), "id"].iloc[0])
    store.add_changes([Edit(pid, "planner", "李规划", "现场踏勘确定红线", {"geometry": None},
                            {"geometry": SITE}, effective=PLACED_ON)])
    return pid


def metadata(fmt: str, path: Path) -> dict[str, object]:
    """The file's metadata as written: top-level members, the metadata table, the CSV's
    metadata columns (all rows alike), the KML document's ExtendedData."""
    if fmt == "geojson":
        return json.loads(path.read_text(encoding="utf-8"))
    if fmt == "gpkg":
        table = pyogrio.read_dataframe(path, layer="atlas_export_metadata")
        return {k: (v if not v.startswith(("[", "{")) and v != "null" else json.loads(v))
                for k, v in zip(table["key"], table["value"], strict=True)}
    if fmt == "csv":
        rows = list(csv.DictReader(io.StringIO(path.read_bytes().decode("utf-8-sig"))))
        assert len({(r["data_version"], r["asof"]) for r in rows}) == 1
        return {"data_version": rows[0]["data_version"], "asof": rows[0]["asof"] or None}
    document = ET.fromstring(path.read_bytes()).find(f"{KML}Document")  # noqa: S314 (our own file)
    data = {d.get("name"): d.find(f"{KML}value").text for d in document.find(f"{KML}ExtendedData")}
    assert f"asof: {data['asof']}" in document.find(f"{KML}description").text
    return {**data, "asof": None if data["asof"] == "null" else data["asof"]}


def export(capsys, *argv: str) -> tuple[int, str, str]:
    status = main(["export", *argv])
    out, err = capsys.readouterr()
    return status, out, err


@pytest.mark.parametrize("fmt", list(FORMATS))
def test_every_format_records_the_day_and_the_data_version(fmt, placed, tmp_path, capsys):
    then, now = tmp_path / f"then{FORMATS[fmt].suffix}", tmp_path / f"now{FORMATS[fmt].suffix}"
    assert export(capsys, "--format", fmt, "--output", str(then), "--asof", BEFORE)[0] == 0
    assert export(capsys, "--format", fmt, "--output", str(now))[0] == 0
    old, new = metadata(fmt, then), metadata(fmt, now)
    assert old["asof"] == BEFORE and new["asof"] is None
    assert f"@{BEFORE}+" in str(old["data_version"])  # <data hash>~<log position>@<day>+<revision>
    assert "@" not in str(new["data_version"]) and old["data_version"] != new["data_version"]


def test_the_export_shows_the_register_as_it_stood(placed, tmp_path, capsys):
    features = {}
    for day in (BEFORE, PLACED_ON, AFTER):
        path = tmp_path / f"{day}.geojson"
        status, out, err = export(capsys, "--output", str(path), "--asof", day)
        assert status == 0, err
        doc = json.loads(path.read_text(encoding="utf-8"))
        features[day] = {f["id"]: f for f in doc["features"]}[placed]
    assert features[BEFORE]["geometry"] is None
    assert features[BEFORE]["properties"]["precision"] == "unlocated"
    for day in (PLACED_ON, AFTER):
        assert shapely.geometry.shape(features[day]["geometry"]).equals(shapely.from_wkt(SITE))


def test_per_layer_files_carry_the_day_too(placed, tmp_path, capsys):
    status, out, err = export(capsys, "--per-layer", "--output", f"{tmp_path}/", "--asof", BEFORE)
    assert status == 0, err
    files = sorted(tmp_path.glob("*.geojson"))
    assert len(files) > 1
    assert {json.loads(p.read_text(encoding="utf-8"))["asof"] for p in files} == {BEFORE}


@pytest.mark.parametrize("day,message", [
    ("2025-02-30", "error: the as-of date must be a day written YYYY-MM-DD, got '2025-02-30'"),
    ("1/3/2025", "error: the as-of date must be a day written YYYY-MM-DD, got '1/3/2025'"),
    (TOMORROW, f"error: the as-of date {TOMORROW} is after today"),
])
@pytest.mark.parametrize("command", ["export", "sheet"])
def test_bad_days_are_one_line_and_exit_2(command, day, message, tmp_path, capsys):
    target = tmp_path / ("x.geojson" if command == "export" else "x.png")
    status = main([command, "--output", str(target), "--asof", day])
    out, err = capsys.readouterr()
    assert (status, out) == (2, "")
    assert err.startswith(message) and err.count("\n") == 1
    assert not target.exists()


def test_sheets_print_the_day_beside_the_data_version(placed, atlas, tmp_path, capsys):
    sheet = field_sheet(atlas, placed, SheetOptions(lang="en", dpi=50, asof=BEFORE))
    assert any(f"Data version {atlas.data_version} · as of {BEFORE}" in text for text in sheet.texts)
    today = field_sheet(atlas, placed, SheetOptions(lang="zh", dpi=50))
    assert not any("截至" in text for text in today.texts)
    assert permalink(Filter(), SheetOptions(asof=BEFORE)).endswith(f"asof={BEFORE}")
    target = tmp_path / "then.png"
    status = main(["sheet", "--project", placed, "--asof", BEFORE, "--dpi", "50", "--output", str(target)])
    out, err = capsys.readouterr()
    assert status == 0, err
    assert out.strip() == f"wrote the field sheet to {target}" and target.stat().st_size > 0


def test_a_saved_register_has_no_history(isolated_store, tmp_path, capsys):
    status = main(["export", "--output", str(tmp_path / "x.geojson"), "--register", "district-2025",
                   "--asof", BEFORE])
    out, err = capsys.readouterr()
    assert (status, out) == (2, "")
    assert err == ("error: --asof shows the built-in register as it stood; the saved register "
                   "'district-2025' has no history\n")
