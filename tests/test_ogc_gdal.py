"""A real client of /ogc: GDAL's OAPIF driver (Debian's gdal-bin, installed by .ci/install-gdal)
reads every collection of the running app; its features equal ``python -m app export`` item
by item, and a CQL2 filter and ``crs=EPSG:4490`` make the round trip through GDAL."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.ogc_support import ROOT, running_app

OGRINFO = shutil.which("ogrinfo")
OGR2OGR = shutil.which("ogr2ogr")
# Skipped where GDAL is missing on a developer's machine; under CI ($CI set) that is a failure.
pytestmark = pytest.mark.skipif(OGR2OGR is None and not os.environ.get("CI"),
                                reason="GDAL NOT AVAILABLE: run .ci/install-gdal (Debian gdal-bin)")
#: GDAL reads the service as any client: no proxy, pages of 1,000 items.
GDAL_ENV = {"NO_PROXY": "127.0.0.1,localhost", "no_proxy": "127.0.0.1,localhost",
            "OGR_OAPIF_PAGE_SIZE": "1000", "GDAL_HTTP_TIMEOUT": "60"}


@pytest.fixture(scope="module")
def tmp(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("gdal")


@pytest.fixture(scope="module")
def app_url(tmp: Path) -> Iterator[str]:
    assert OGR2OGR and OGRINFO, "GDAL's ogr2ogr and ogrinfo are needed: run .ci/install-gdal"
    with running_app({"ATLAS_STORE": str(tmp / "atlas.sqlite")}, tmp / "app.log") as url:
        yield url


@pytest.fixture(scope="module")
def export(app_url: str, tmp: Path) -> dict[str, list[dict]]:
    """`python -m app export --format geojson` of the same store, features by layer."""
    out = tmp / "all.geojson"
    subprocess.run([sys.executable, "-m", "app", "export", "--format", "geojson", "--output", str(out)],
                   cwd=ROOT, check=True, timeout=120, capture_output=True,
                   env={**os.environ, "ATLAS_STORE": str(tmp / "atlas.sqlite")})
    by_layer: dict[str, list[dict]] = {}
    for feature in json.loads(out.read_text(encoding="utf-8"))["features"]:
        by_layer.setdefault(feature["properties"]["layer"], []).append(feature)
    return by_layer


def gdal(*args: str, debug: bool = False) -> tuple[str, str]:
    """(stdout, stderr) of a GDAL command; with `debug`, stderr lists every HTTP request."""
    env = {**os.environ, **GDAL_ENV, **({"CPL_DEBUG": "ON"} if debug else {})}
    proc = subprocess.run(list(args), capture_output=True, text=True, timeout=180, env=env)
    assert proc.returncode == 0, proc.stderr[-2000:]
    return proc.stdout, proc.stderr


def read(app_url: str, layer: str, tmp: Path, *options: str, requests: list[str] | None = None) -> list[dict]:
    """The collection `layer` as GDAL reads it (ogr2ogr to GeoJSON), features in order; the
    URLs GDAL fetched are added to `requests` when given."""
    target = tmp / f"{layer}-{len(list(tmp.iterdir()))}.geojson"
    _, log = gdal(OGR2OGR, "-f", "GeoJSON", str(target), f"OAPIF:{app_url}/ogc", layer, *options,
                  debug=requests is not None)
    if requests is not None:
        requests += [line.split("Fetch(", 1)[1].rstrip(")") for line in log.splitlines() if "HTTP: Fetch(" in line]
    return json.loads(target.read_text(encoding="utf-8"))["features"]


def test_gdal_lists_every_collection(app_url, export):
    listing, _ = gdal(OGRINFO, "-ro", "-so", "-q", f"OAPIF:{app_url}/ogc")
    for layer in export:
        assert f": {layer} (" in listing, listing


def test_gdal_reads_every_collection_equal_to_the_export(app_url, export, tmp_path):
    for layer, features in export.items():
        got = read(app_url, layer, tmp_path)
        assert [f["properties"]["id"] for f in got] == [f["id"] for f in features], layer
        for mine, theirs in zip(got, features, strict=True):
            for key, value in theirs["properties"].items():
                seen = mine["properties"].get(key)
                if isinstance(value, (list, dict)) and isinstance(seen, str):
                    seen = json.loads(seen)  # GDAL keeps a nested value as JSON text
                assert seen == value or (value in ("", None) and seen in ("", None)), (layer, key)
            assert mine["geometry"] == theirs["geometry"], (layer, mine["properties"]["id"])


def test_a_filter_goes_to_the_server_through_gdal(app_url, export, tmp_path):
    """GDAL 3.6 (Debian 12) sends an attribute filter to the server as a queryable's query
    parameter (Part 3); the atlas evaluates it and GDAL gets only the matching items."""
    wanted = [f["id"] for fs in export.values() for f in fs if f["properties"]["status"] == "construction"]
    assert wanted, "the register has projects under construction"
    got = []
    for layer in export:
        requests: list[str] = []
        got += [f["properties"]["id"] for f in read(app_url, layer, tmp_path, "-where",
                                                     "status = 'construction'", requests=requests)]
        last = [url for url in requests if "/items?" in url][-1]
        assert "status=construction" in last, requests  # asked of the server, not sifted by GDAL
    assert sorted(got) == sorted(wanted)


def test_cgcs2000_round_trips_through_gdal(app_url, export, tmp_path):
    layer = next(lid for lid, fs in export.items() if any(f["geometry"] for f in fs))
    got = read(app_url, layer, tmp_path, "-oo", "CRS=EPSG:4490", "-t_srs", "EPSG:4326")
    first = next(f for f in export[layer] if f["geometry"])
    mine = next(f for f in got if f["properties"]["id"] == first["id"])
    assert json.dumps(mine["geometry"]["coordinates"])[:40] == json.dumps(first["geometry"]["coordinates"])[:40]
