"""Benchmark: GeoJSON export throughput, ours against geopandas' ``to_file(driver="GeoJSON")``.

Run ``python -m app.bench.export --features 100000`` (add ``--repeat 3`` for a median). Both
writers get the same synthetic frame of star-shaped polygons (``--vertices`` each, default 20)
scattered over Changning, in the same run, and write to the same temporary folder. Ours is the
full export path (:func:`app.io.export.frame_bytes` + :func:`app.io.atomic.atomic_write`): reprojection
check, rounding, validity check, winding, serialisation and an fsynced atomic write.

Throughput is printed both as MB/s (1 MB = 10**6 bytes of output) and as features/s. Ours writes
fewer bytes (7 decimals instead of GDAL's 15 significant digits), so the MB/s ratio understates
the speed-up; ``--rfc7946`` adds GDAL's own RFC 7946 mode (also 7 decimals) as a like-for-like row.

Not part of the test run; ``tests/test_export.py`` only smoke-tests it with a few features.

>>> frame = synthetic_frame(3, vertices=5)
>>> len(frame), int(frame.geometry.count_coordinates().iloc[0]), bool(frame.is_valid.all())
(3, 5, True)
>>> synthetic_frame(0).empty
True
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from app.io.atomic import atomic_write
from app.io.export import frame_bytes

__all__ = ["BENCH_COLUMNS", "Timing", "main", "report", "run", "synthetic_frame"]

#: Properties of the synthetic features (plain scalars, so that GDAL writes them too).
BENCH_COLUMNS: tuple[str, ...] = ("id", "name_zh", "name_en", "layer", "status", "target_year")

# Changning's bounding box, roughly (WGS-84).
_LON = (121.33, 121.45)
_LAT = (31.18, 31.24)


def synthetic_frame(n: int, vertices: int = 20, seed: int = 0) -> gpd.GeoDataFrame:
    """`n` valid star-shaped polygons of `vertices` points (ring closed), built in bulk, WGS-84."""
    if n < 0 or vertices < 4:
        raise ValueError(f"need n >= 0 and vertices >= 4, got n={n}, vertices={vertices}")
    rng = np.random.default_rng(seed)
    corners = vertices - 1
    centre_x = rng.uniform(*_LON, n)
    centre_y = rng.uniform(*_LAT, n)
    # One corner per sector, strictly increasing angles: a star-shaped, hence simple, ring.
    step = 2.0 * np.pi / corners
    angles = np.arange(corners) * step + rng.uniform(0.0, 0.8 * step, (n, corners))
    radius = rng.uniform(0.0002, 0.001, (n, corners))
    x = centre_x[:, None] + radius * np.cos(angles)
    y = centre_y[:, None] + radius * np.sin(angles)
    # Half the rings clockwise, as in real data, so the export has to fix their winding.
    x[1::2], y[1::2] = x[1::2, ::-1], y[1::2, ::-1]
    x = np.concatenate([x, x[:, :1]], axis=1)
    y = np.concatenate([y, y[:, :1]], axis=1)
    coords = np.stack([x, y], axis=-1).reshape(-1, 2)
    rings = shapely.linearrings(coords, indices=np.repeat(np.arange(n), vertices))
    polygons = shapely.polygons(rings) if n else np.array([], dtype=object)
    ids = np.char.add("bench-", np.arange(n).astype(str)).astype(object)
    props = pd.DataFrame({
        "id": ids,
        "name_zh": np.where(np.arange(n) % 2 == 0, "天山公园更新", "虹桥路街区"),
        "name_en": np.where(np.arange(n) % 2 == 0, "Tianshan Park renewal", "Hongqiao Road block"),
        "layer": np.where(np.arange(n) % 3 == 0, "renewal", "public_space"),
        "status": "planning",
        "target_year": np.full(n, 2025, dtype=np.int64),
    })
    return gpd.GeoDataFrame(props, geometry=gpd.GeoSeries(polygons, crs="EPSG:4326"),
                            crs="EPSG:4326")


@dataclass(frozen=True)
class Timing:
    """One timed write: wall-clock seconds, CPU seconds of this process, bytes written."""

    wall: float
    cpu: float
    size: int


def _timed(write: Callable[[], int]) -> Timing:
    """Run one writer and time it."""
    wall, cpu = time.perf_counter(), time.process_time()
    size = write()
    return Timing(time.perf_counter() - wall, time.process_time() - cpu, size)


def run(n: int, vertices: int = 20, repeat: int = 1, rfc7946: bool = False,
        folder: Path | None = None) -> dict[str, list[Timing]]:
    """Time each writer `repeat` times on one synthetic frame, writers interleaved per round.

    'ours' is serialisation plus the fsynced atomic write; 'ours_serialise_only' is the
    serialisation part of the same runs (geopandas' to_file does not fsync).
    """
    frame = synthetic_frame(n, vertices)
    metadata = {"name": "bench", "feature_count_expected": n}
    results: dict[str, list[Timing]] = {"ours": [], "geopandas": []}
    if rfc7946:
        results["geopandas_rfc7946"] = []
    serialise: list[Timing] = []
    with tempfile.TemporaryDirectory(prefix="atlas-bench-", dir=folder) as tmp:
        out = Path(tmp)

        def ours() -> int:
            data = frame_bytes(frame, "geojson", metadata, columns=BENCH_COLUMNS)
            return atomic_write(out / "ours.geojson", data).stat().st_size

        def ours_serialise() -> int:
            return len(frame_bytes(frame, "geojson", metadata, columns=BENCH_COLUMNS))

        def theirs(options: dict[str, str], name: str) -> Callable[[], int]:
            def write() -> int:
                frame.to_file(out / name, driver="GeoJSON", **options)
                return (out / name).stat().st_size
            return write

        writers = {"ours": ours, "geopandas": theirs({}, "geopandas.geojson"),
                   "geopandas_rfc7946": theirs({"RFC7946": "YES"}, "geopandas_rfc.geojson")}
        for _ in range(repeat):
            for name in results:
                results[name].append(_timed(writers[name]))
            serialise.append(_timed(ours_serialise))
    results["ours_serialise_only"] = serialise
    return results


def _median_range(values: list[float], digits: int = 3, unit: str = "") -> str:
    """'median (min-max)' of `values`."""
    med, lo, hi = statistics.median(values), min(values), max(values)
    return f"{med:.{digits}f}{unit} ({lo:.{digits}f}-{hi:.{digits}f})"


def report(results: dict[str, list[Timing]], n: int) -> list[str]:
    """The printed table: per writer size, wall and CPU seconds, MB/s, features/s; speed-ups
    as the median (min-max) of the per-round ratios, which load on the machine skews least."""
    lines = [f"{'writer':<21}{'MB':>7}{'wall s, median (min-max)':>27}{'CPU s':>8}"
             f"{'MB/s':>8}{'features/s':>12}"]
    for name, runs in results.items():
        wall = statistics.median(t.wall for t in runs)
        cpu = statistics.median(t.cpu for t in runs)
        size = runs[-1].size
        lines.append(f"{name:<21}{size / 1e6:>7.1f}{_median_range([t.wall for t in runs]):>27}"
                     f"{cpu:>8.3f}{size / 1e6 / wall:>8.1f}{n / wall:>12,.0f}")
    ours = results["ours"]
    for base in ("geopandas", "geopandas_rfc7946"):
        if base not in results:
            continue
        theirs = results[base]
        time_ratio = [b.wall / a.wall for a, b in zip(ours, theirs, strict=True)]
        mbps_ratio = [(a.size / a.wall) / (b.size / b.wall) for a, b in zip(ours, theirs, strict=True)]
        cpu_ratio = [b.cpu / a.cpu for a, b in zip(ours, theirs, strict=True) if a.cpu > 0]
        label = "to_file GeoJSON" if base == "geopandas" else "to_file GeoJSON RFC7946=YES"
        cpu = f"{statistics.median(cpu_ratio):.2f}x" if cpu_ratio else "n/a"
        lines.append(f"speed-up vs geopandas {label}: {_median_range(time_ratio, 2, 'x')} in "
                     f"features/s, {_median_range(mbps_ratio, 2, 'x')} in MB/s, {cpu} in CPU time")
    return lines


def main(argv: Sequence[str] | None = None) -> int:
    """Run the benchmark and print one line per writer plus the speed-ups; returns 0."""
    parser = argparse.ArgumentParser(prog="python -m app.bench.export",
                                     description=__doc__.splitlines()[0])
    parser.add_argument("--features", type=int, default=100_000, help="number of polygons")
    parser.add_argument("--vertices", type=int, default=20, help="vertices per polygon ring")
    parser.add_argument("--repeat", type=int, default=1, help="rounds (median and range shown)")
    parser.add_argument("--rfc7946", action="store_true",
                        help="also time geopandas with GDAL's RFC7946=YES option")
    parser.add_argument("--tmp", type=Path, default=None, help="folder for the output files")
    args = parser.parse_args(argv)
    if args.features < 1 or args.repeat < 1 or args.vertices < 4:
        parser.error("--features and --repeat must be at least 1, --vertices at least 4")
    results = run(args.features, args.vertices, args.repeat, args.rfc7946, args.tmp)
    print(f"{args.features} polygons x {args.vertices} vertices, {args.repeat} round(s); "
          "1 MB = 10**6 bytes")
    print("\n".join(report(results, args.features)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
