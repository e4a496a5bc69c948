"""Hostile files II: every parse of an untrusted file is bounded (app/io/sandbox.py).

An endless GeoPackage view is refused before a row is read, by every reader (the import's
read_table, the planner's read_boundary, ``python -m app import`` and ``import-boundaries``);
a parse that spins or swells anyway is stopped by its worker's limits, and the worker is
replaced, so the next file is read as usual.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from app.cli.main import main
from app.errors import ImportFileError
from app.io import sandbox
from app.io.boundary_file import read_boundary
from app.io.limits import ParseLimits
from app.io.readers import read_table
from tests.hostile_files import endless_view_gpkg

#: The issue's bound for refusing the endless view.
REFUSED_WITHIN_S = 10.0


@pytest.fixture(scope="module")
def endless(tmp_path_factory) -> Path:
    return endless_view_gpkg(tmp_path_factory.mktemp("hostile") / "endless.gpkg")


def test_the_import_refuses_an_endless_view_before_reading_a_row(endless):
    started = time.monotonic()
    with pytest.raises(ImportFileError, match=r"endless.gpkg: the GeoPackage holds an SQL view \('endless'\)"):
        read_table(endless.read_bytes(), filename=endless.name)
    assert time.monotonic() - started < REFUSED_WITHIN_S


def test_the_planners_upload_refuses_an_endless_view(endless):
    started = time.monotonic()
    with pytest.raises(ImportFileError, match="SQL view"):
        read_boundary(endless.read_bytes(), "红线.gpkg")
    assert time.monotonic() - started < REFUSED_WITHIN_S


@pytest.mark.parametrize("command", [["import"], ["import-boundaries", "--kind", "unit"]])
def test_the_command_line_refuses_it_with_one_line_and_status_2(endless, command, capsys, tmp_path):
    extra = ["--boundaries-dir", str(tmp_path)] if "import-boundaries" in command else []
    status = main([command[0], str(endless), *command[1:], *extra])
    out, err = capsys.readouterr()
    assert status == 2
    assert err.startswith("error: endless.gpkg: the GeoPackage holds an SQL view") and err.count("\n") == 1
    assert "Traceback" not in out + err


def _endless_parse() -> None:
    while True:
        pass


def _swell() -> bytes:
    return b"x" * (2 * 2**30)


def test_a_parse_over_its_time_is_killed_and_the_worker_replaced():
    limits = ParseLimits(wall_s=1.0, cpu_s=30, memory_mib=512)
    sandbox.run_bounded(len, b"warm", limits=limits)
    before = set(sandbox.worker_pids())
    started = time.monotonic()
    with pytest.raises(ImportFileError, match="took longer than 1 s"):
        sandbox.run_bounded(_endless_parse, limits=limits)
    assert time.monotonic() - started < 5
    for pid in before - set(sandbox.worker_pids()):
        with pytest.raises(ProcessLookupError):
            os.kill(pid, 0)  # the spinning worker is gone, not left running
    assert sandbox.run_bounded(len, b"next file", limits=limits) == 9  # a fresh worker reads on


def test_a_parse_over_its_memory_is_refused():
    with pytest.raises(ImportFileError, match="more than 256 MiB of memory"):
        sandbox.run_bounded(_swell, limits=ParseLimits(wall_s=60, cpu_s=30, memory_mib=256))


def test_a_callers_stop_ends_the_parse():
    asked = iter([False, True])
    with pytest.raises(ImportFileError, match="reading was stopped"):
        sandbox.run_bounded(_endless_parse, limits=ParseLimits(wall_s=60, cpu_s=60, memory_mib=256),
                            should_stop=lambda: next(asked, True))


# -- smaller breaks ----------------------------------------------------------------------------

def test_a_gbk_file_with_some_traditional_characters_is_read():
    data = "名称,地址\n天山公园,上海市長寧區天山路\n中山公园,长宁路780号\n".encode("gbk")
    table = read_table(data, filename="gbk.csv")
    assert table.encoding == "gb18030"
    assert table.frame["地址"].tolist() == ["上海市長寧區天山路", "长宁路780号"]


def test_the_importer_caps_vertices_as_the_planner_page_does(atlas):
    import json

    from shapely.geometry import Point, mapping

    from app.data.living import MAX_VERTICES as PLANNER_CAP
    from app.io.importer import import_file
    from app.io.limits import MAX_VERTICES

    assert MAX_VERTICES == PLANNER_CAP == 10_000
    big = Point(121.41, 31.21).buffer(0.002, quad_segs=60_000)  # 240,001 vertices
    small = Point(121.42, 31.21).buffer(0.002)
    features = [{"type": "Feature", "properties": {"name": name}, "geometry": mapping(geom)}
                for name, geom in (("大", big), ("小", small))]
    data = json.dumps({"type": "FeatureCollection", "features": features}).encode()
    report = import_file(data, filename="shapes.geojson", atlas=atlas).report
    assert [r.status for r in report.rows] == ["rejected", "placed"]
    assert "at most 10,000 are accepted for one project" in report.rows[0].problems[0].message


FULL_DISK = """
import os, sys
from pathlib import Path
from app.errors import StoreError
from app.store import Store, Submission
store = Store(Path(sys.argv[1]) / "atlas.sqlite")
store.submit(Submission("tianshan-park", "confirm", "王工"))
filler = os.open(Path(sys.argv[1]) / "filler", os.O_WRONLY | os.O_CREAT)  # other files fill it
try:
    while True:
        os.write(filler, bytes(4096))
except OSError:
    os.close(filler)
try:
    for _ in range(50):
        store.submit(Submission("tianshan-park", "confirm", "王工", note="满" * 1900))
except StoreError as exc:
    print(exc.key, "|", exc)
"""


def test_a_full_disk_is_reported_as_a_full_disk(tmp_path):
    """The store on a small tmpfs that fills up (a mount namespace of its own, as root)."""
    import shutil
    import subprocess
    import sys

    unshare = shutil.which("unshare")
    mount_point = tmp_path / "disk"
    mount_point.mkdir()
    if unshare is None or os.geteuid() != 0:
        pytest.skip("needs root and unshare(1) to mount a small tmpfs in its own namespace")
    script = tmp_path / "full.py"
    script.write_text(FULL_DISK, encoding="utf-8")
    result = subprocess.run(
        [unshare, "-m", "sh", "-c", f"mount -t tmpfs -o size=512k none {mount_point} && "
                                    f"exec {sys.executable} {script} {mount_point}"],
        capture_output=True, text=True, timeout=120, check=False)
    assert result.returncode == 0, result.stderr
    key, _, message = result.stdout.partition(" | ")
    assert key == "err.store_disk_full", result.stdout + result.stderr
    assert "is full" in message and "disk I/O error" not in message


def test_a_parse_right_after_a_prewarm_takes_the_starting_worker():
    """The page prewarms a worker and the user's file comes while it is still importing: the
    parse waits for that worker (no second one, no missed 'ready')."""
    import threading

    pool = sandbox._Pool()
    warming = threading.Thread(target=pool.prewarm)
    warming.start()
    started = time.monotonic()
    limits = ParseLimits(wall_s=30, cpu_s=30, memory_mib=256)
    assert pool.run(len, (b"abc",), {}, limits, None) == 3
    warming.join(60)
    assert time.monotonic() - started < sandbox._START_S / 2
    assert len(pool.pids()) == 1  # one worker, kept warm
    for pid in pool.pids():
        os.kill(pid, 9)
