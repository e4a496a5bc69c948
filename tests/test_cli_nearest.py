"""``nearest`` sub-command, driven through a small parser built with ``add_parser``."""

from __future__ import annotations

import argparse
import doctest
import json
import re

import pytest

import app.cli.nearest
from app.cli.nearest import add_parser, run
from app.geo.crs import convert
from app.geo.nearest import NEAREST_COLUMNS

LINE = re.compile(r"^ *\d+\.\d m, (N|NE|E|SE|S|SW|W|NW|here) \S+, .+ \(.+\) \[[a-z0-9-]+\]$")


@pytest.fixture(scope="module")
def parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="changning-atlas")
    add_parser(parser.add_subparsers(dest="command", required=True))
    return parser


@pytest.fixture(scope="module")
def station(atlas) -> tuple[float, float]:
    point = atlas.places["metro-l3-yananxilu"].geometry
    return point.x, point.y


def call(parser, capsys, *argv: str) -> tuple[int, str, str]:
    status = run(parser.parse_args(["nearest", *argv]))
    out, err = capsys.readouterr()
    return status, out, err


def test_doctests():
    assert doctest.testmod(app.cli.nearest).failed == 0


def test_text_output(parser, capsys, station):
    status, out, err = call(parser, capsys, "--lon", str(station[0]), "--lat", str(station[1]),
                            "-n", "6")
    assert status == 0 and err == ""
    lines = out.splitlines()
    assert len(lines) == 6
    assert all(LINE.match(line) for line in lines), lines
    assert "[viaduct-underspace-zhongshan-yananxi]" in out
    park = next(line for line in lines if line.endswith("[tianshan-park]"))
    assert "天山公园整体提升开放 (Tianshan Park upgrade and opening)" in park
    distances = [float(line.split(" m,")[0]) for line in lines]
    assert distances == sorted(distances) and distances[0] == 0.0
    assert lines[0].split(", ")[1] == "here 此处"


def test_default_is_five(parser, capsys, station):
    status, out, _err = call(parser, capsys, "--lon", str(station[0]), "--lat", str(station[1]))
    assert status == 0 and len(out.splitlines()) == 5


def test_json_output(parser, capsys, station):
    status, out, _err = call(parser, capsys, "--lon", str(station[0]), "--lat", str(station[1]),
                             "-n", "8", "--json")
    assert status == 0
    assert "天山公园" in out  # UTF-8 text, not \\u escapes
    rows = json.loads(out)
    assert isinstance(rows, list) and len(rows) == 8
    assert all(list(row) == list(NEAREST_COLUMNS) for row in rows)
    by_id = {row["id"]: row for row in rows}
    on_it = by_id["viaduct-underspace-yananxi-hongqiao"]
    assert on_it["distance_m"] == 0.0 and on_it["bearing_deg"] is None
    park = by_id["tianshan-park"]
    assert park["distance_m"] <= 300 and 0 <= park["bearing_deg"] < 360
    assert park["direction_en"] in {"W", "SW", "NW"} and park["direction_zh"].startswith("西")


def test_json_with_n_zero_is_an_empty_list(parser, capsys, station):
    status, out, _err = call(parser, capsys, "--lon", str(station[0]), "--lat", str(station[1]),
                             "-n", "0", "--json")
    assert status == 0 and json.loads(out) == []


@pytest.mark.parametrize("crs", ["gcj02", "bd09", "amap", "Baidu"])
def test_chinese_crs_input_gives_the_wgs84_answer(parser, capsys, station, crs):
    _status, truth, _err = call(parser, capsys, "--lon", repr(station[0]),
                                "--lat", repr(station[1]), "--json")
    lon, lat = convert(*station, "wgs84", crs)
    status, out, err = call(parser, capsys, "--lon", repr(lon), "--lat", repr(lat), "--crs", crs,
                            "--json")
    assert status == 0 and err == ""
    assert json.loads(out) == json.loads(truth)


@pytest.mark.parametrize("argv,message", [
    (["--lon", "31.2115764", "--lat", "121.4124617"], "look swapped"),
    (["--lon", "nan", "--lat", "31.2"], "lon must be a finite number"),
    (["--lon", "121.41", "--lat", "inf"], "lat must be a finite number"),
    (["--lon", "190", "--lat", "31.2"], "is not a position"),
    (["--lon", "121.55", "--lat", "31.23"], "m outside the district (tolerance 500 m)"),
    (["--lon", "121.41", "--lat", "31.21", "--crs", "utm"], "unknown CRS 'utm'"),
    (["--lon", "121.41", "--lat", "31.21", "--tolerance-m", "-5"], "tolerance_m"),
])
def test_errors_exit_2_with_a_message(parser, capsys, argv, message):
    status, out, err = call(parser, capsys, *argv)
    assert status == 2
    assert out == ""
    assert err.startswith("error: ") and message in err
    assert "Traceback" not in err


def test_tolerance_option(parser, capsys):
    # Pudong lies about 11 km outside the district: refused by default, accepted when asked.
    status, _out, _err = call(parser, capsys, "--lon", "121.55", "--lat", "31.23",
                              "--tolerance-m", "20000")
    assert status == 0
