"""Benchmark: what parsing in a worker process costs (``python -m app.bench sandbox``).

Every untrusted file is parsed by :func:`app.io.sandbox.run_bounded` in a worker process. This
measures, on the machine it runs on:

- **start**: a new worker until it can take a task (the interpreter and the readers' imports);
  paid once per app process, and again after a worker was killed, before the page's user has
  chosen a file when the page prewarms one;
- **overhead**: a small register (10 rows of CSV) read through the worker minus the same parse
  in this process, median of ``--repeat`` rounds; target at most 0.05 s, so that the import
  page does not feel slower;
- **largest upload**: a 50,000-row workbook (the most rows an import takes) read through the
  worker, beside its wall-clock limit :data:`~app.io.limits.UPLOAD_PARSE`;
- **endless view**: how long the endless GeoPackage view takes to be refused (target < 10 s).

>>> figures = measure(repeat=1, rows=20)
>>> sorted(figures)
['endless_view_s', 'largest_upload_s', 'overhead_s', 'start_s']
"""

from __future__ import annotations

import argparse
import io
import json
import sqlite3
import statistics
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

import geopandas as gpd
import openpyxl
from shapely.geometry import Point

from app.errors import ImportFileError
from app.io import readers, sandbox
from app.io.limits import MAX_ROWS, UPLOAD_PARSE

__all__ = ["OVERHEAD_TARGET_S", "VIEW_TARGET_S", "main", "measure"]

#: Most a small file's parse may cost more in a worker than in the page's thread.
OVERHEAD_TARGET_S = 0.05
#: The issue's bound for refusing the endless view.
VIEW_TARGET_S = 10.0
_SMALL = "名称,地址,经度,纬度\n" + "".join(f"项目{i},长宁区天山路{i}号,121.41,31.21\n"
                                          for i in range(10))


def _workbook(rows: int) -> bytes:
    """An .xlsx of `rows` register rows (8 columns)."""
    book = openpyxl.Workbook(write_only=True)
    sheet = book.create_sheet()
    sheet.append(["名称", "地址", "经度", "纬度", "状态", "类别", "说明", "年份"])
    for i in range(rows):
        sheet.append([f"项目{i}", f"长宁区天山路{i}号", 121.4 + i * 1e-6, 31.2 + i * 1e-6,
                      "运营提升", "公园", "说明文字" * 3, 2025])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _endless_view(folder: Path) -> bytes:
    """A GeoPackage whose feature layer is a recursive view (as tests/hostile_files.py)."""
    path = folder / "endless.gpkg"
    gpd.GeoDataFrame({"name": ["x"]}, geometry=[Point(121.41, 31.21)],
                     crs="EPSG:4326").to_file(path, layer="base", driver="GPKG")
    with sqlite3.connect(path) as db:
        db.execute("CREATE VIEW endless AS WITH RECURSIVE c(n) AS (SELECT 1 UNION ALL SELECT "
                   "n + 1 FROM c WHERE n < 4000000000) SELECT n AS fid, (SELECT geom FROM base) "
                   "AS geom FROM c")
        db.execute("UPDATE gpkg_contents SET table_name = 'endless' WHERE table_name = 'base'")
    return path.read_bytes()


def measure(*, repeat: int = 20, rows: int = MAX_ROWS) -> dict[str, float]:
    """The four figures of the module docstring, in seconds."""
    started = time.perf_counter()
    sandbox.run_bounded(len, b"", limits=UPLOAD_PARSE)
    start_s = time.perf_counter() - started
    small = _SMALL.encode()
    inside, through = [], []
    for _ in range(repeat):
        t0 = time.perf_counter()
        readers._parse(small, "csv", "small.csv", None)
        t1 = time.perf_counter()
        readers.read_table(small, filename="small.csv", limits=UPLOAD_PARSE)
        inside.append(t1 - t0)
        through.append(time.perf_counter() - t1)
    workbook = _workbook(rows)
    t0 = time.perf_counter()
    readers.read_table(workbook, filename="largest.xlsx", limits=UPLOAD_PARSE)
    largest = time.perf_counter() - t0
    with tempfile.TemporaryDirectory() as folder:
        endless = _endless_view(Path(folder))
    t0 = time.perf_counter()
    try:
        readers.read_table(endless, filename="endless.gpkg", limits=UPLOAD_PARSE)
    except ImportFileError:
        pass
    view = time.perf_counter() - t0
    return {"start_s": start_s,
            "overhead_s": statistics.median(through) - statistics.median(inside),
            "largest_upload_s": largest, "endless_view_s": view}


def main(argv: Sequence[str] | None = None) -> int:
    """Run the benchmark; print each figure beside its target (or ``--json``)."""
    parser = argparse.ArgumentParser(prog="python -m app.bench sandbox",
                                     description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=20, help="rounds of the small file")
    parser.add_argument("--rows", type=int, default=MAX_ROWS, help="rows of the large workbook")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = parser.parse_args(argv)
    figures = measure(repeat=max(args.repeat, 1), rows=max(args.rows, 1))
    if args.json:
        print(json.dumps(figures, indent=1))
        return 0

    def line(label: str, value: float, target: str, met: bool | None) -> None:
        verdict = "" if met is None else ("  met" if met else "  NOT MET")
        print(f"{label:<38} {value:8.3f} s   target {target}{verdict}")

    line("worker start (imports)", figures["start_s"], "(once; prewarmed by the pages)", None)
    line("overhead of a 10-row CSV", figures["overhead_s"], f"<= {OVERHEAD_TARGET_S} s",
         figures["overhead_s"] <= OVERHEAD_TARGET_S)
    line(f"{args.rows:,}-row workbook through a worker", figures["largest_upload_s"],
         f"< {UPLOAD_PARSE.wall_s:g} s (the upload limit)",
         figures["largest_upload_s"] < UPLOAD_PARSE.wall_s)
    line("endless GeoPackage view refused", figures["endless_view_s"], f"< {VIEW_TARGET_S:g} s",
         figures["endless_view_s"] < VIEW_TARGET_S)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
