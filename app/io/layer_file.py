"""A reference layer's file, read bounded: GeoPackage, GeoParquet, FlatGeobuf or a zipped
Shapefile, in any CRS the importer knows, to a WGS-84 frame.

A planner's reference data (building footprints, 控规地块 parcels, 城市更新单元 outlines) is
large but comes from outside, so every bound is checked before the work it bounds:

1. the file's size (:data:`MAX_LAYER_FILE_MIB`) and its kind from its first bytes, not its name;
2. a zip's members from its central directory (a Shapefile's parts only, at most
   :data:`MAX_UNPACKED_MIB` in all and :data:`MAX_RATIO` times their packed size), then the
   inflated bytes counted chunk by chunk as they are written -- a zip bomb stops there;
3. the features (:data:`MAX_LAYER_FEATURES`): from the file's own count where it has one,
   and reading stops at one more;
4. the CRS: the file's own (a ``.prj``, the GeoPackage's SRS), or ``--crs`` when it has none
   (``wgs84``, ``gcj02``, ``bd09`` or any ``EPSG:`` code); the result must lie in lon/lat
   range of China, else the CRS was wrong and the message says so.

A Shapefile's text is decoded by its ``.cpg`` (GB18030 included), else as UTF-8.

>>> read_layer_file(b"not a layer", "x.gpkg")
Traceback (most recent call last):
app.errors.ImportFileError: x.gpkg: not a GeoPackage, GeoParquet, FlatGeobuf or zipped Shapefile (it starts like plain text)
"""

from __future__ import annotations

import os
import tempfile
import zipfile
from pathlib import Path

import geopandas as gpd
import numpy as np
import pyarrow.parquet as pq
import pyogrio
import shapely

from app.errors import ImportFileError, UnknownCRSError
from app.geo.crs import convert_geometry, normalize_crs, out_of_china
from app.io.limits import MIB

__all__ = ["LAYER_FORMATS", "MAX_LAYER_FEATURES", "MAX_LAYER_FILE_MIB", "MAX_RATIO",
           "MAX_UNPACKED_MIB", "read_layer_file"]

#: Largest reference-layer file read (MiB): a million building footprints as a GeoPackage.
MAX_LAYER_FILE_MIB = 1024
#: Most features a reference layer holds (Shanghai has about two million buildings).
MAX_LAYER_FEATURES = 2_000_000
#: Most bytes a zipped Shapefile may inflate to, in all (MiB), and its largest packing ratio.
MAX_UNPACKED_MIB = 2048
MAX_RATIO = 200
#: What each kind of file is, by its first bytes.
LAYER_FORMATS = {"gpkg": "a GeoPackage", "parquet": "a GeoParquet file",
                 "fgb": "a FlatGeobuf file", "zip": "a zipped Shapefile"}
_SHAPEFILE_PARTS = (".shp", ".shx", ".dbf", ".prj", ".cpg")
_CHUNK = 1 << 20


def _kind(data: bytes) -> str | None:
    if data.startswith(b"SQLite format 3\x00"):
        return "gpkg"
    if data.startswith(b"PAR1"):
        return "parquet"
    if data.startswith(b"fgb\x03"):
        return "fgb"
    if data.startswith(b"PK\x03\x04"):
        return "zip"
    return None


def _looks_like(data: bytes) -> str:
    if not data:
        return "it is empty"
    if data.lstrip()[:1] in (b"{", b"["):
        return "it starts like JSON"
    return "it starts like plain text" if data[:64].isascii() else "its first bytes are unknown"


def _unzipped(source: Path, folder: Path, name: str) -> Path:
    """The zip's Shapefile parts inflated into `folder` under the bounds; the ``.shp``."""
    try:
        archive = zipfile.ZipFile(source)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError) as exc:
        raise ImportFileError(f"{name}: cannot read the zip archive: {exc}") from exc
    with archive:
        members = [m for m in archive.infolist()
                   if not m.is_dir() and Path(m.filename).suffix.lower() in _SHAPEFILE_PARTS]
        shps = [m for m in members if m.filename.lower().endswith(".shp")]
        if len(shps) != 1:
            raise ImportFileError(f"{name}: the zip archive must hold one Shapefile (.shp); it "
                                  f"holds {len(shps)}")
        stem = shps[0].filename[:-4]
        members = [m for m in members if m.filename[: -len(Path(m.filename).suffix)] == stem]
        declared = sum(m.file_size for m in members)
        packed = max(sum(m.compress_size for m in members), 1)
        if declared > MAX_UNPACKED_MIB * MIB or declared / packed > MAX_RATIO:
            raise ImportFileError(f"{name}: the zip archive would inflate to {declared / MIB:.0f} MiB "
                                  f"({declared / packed:.0f} times its size); at most "
                                  f"{MAX_UNPACKED_MIB} MiB and {MAX_RATIO} times are read")
        written = 0
        for member in members:
            target = folder / ("layer" + Path(member.filename).suffix.lower())
            try:
                with archive.open(member) as src, open(target, "wb") as out:
                    while chunk := src.read(_CHUNK):
                        written += len(chunk)
                        if written > MAX_UNPACKED_MIB * MIB or written / packed > MAX_RATIO:
                            raise ImportFileError(f"{name}: the zip archive inflates past what it "
                                                  f"declares; stopped at {written / MIB:.0f} MiB")
                        out.write(chunk)
            except (zipfile.BadZipFile, NotImplementedError, EOFError, OSError, ValueError) as exc:
                raise ImportFileError(f"{name}: cannot read {member.filename}: {exc}") from exc
    return folder / "layer.shp"


def _features(path: Path, kind: str, name: str) -> int | None:
    """The features the file says it holds (None when it does not say)."""
    if kind == "parquet":
        return pq.ParquetFile(path).metadata.num_rows
    try:
        info = pyogrio.read_info(path, force_feature_count=False)
    except pyogrio.errors.DataSourceError as exc:
        raise ImportFileError(f"{name}: cannot read {LAYER_FORMATS[kind]}: {exc}") from exc
    count = int(info.get("features") or -1)
    return count if count >= 0 else None


def _read(path: Path, kind: str, name: str) -> gpd.GeoDataFrame:
    count = _features(path, kind, name)
    if count is not None and count > MAX_LAYER_FEATURES:
        raise ImportFileError(f"{name}: {count:,} features; a reference layer holds at most "
                              f"{MAX_LAYER_FEATURES:,}")
    try:
        if kind == "parquet":
            return gpd.read_parquet(path)
        frame = pyogrio.read_dataframe(path, max_features=MAX_LAYER_FEATURES + 1)
    except (pyogrio.errors.DataSourceError, pyogrio.errors.DataLayerError, ValueError, OSError) as exc:
        raise ImportFileError(f"{name}: cannot read {LAYER_FORMATS[kind]}: {exc}") from exc
    if len(frame) > MAX_LAYER_FEATURES:
        raise ImportFileError(f"{name}: more than {MAX_LAYER_FEATURES:,} features; a reference "
                              "layer holds at most that many")
    return frame


def _to_wgs84(frame: gpd.GeoDataFrame, crs: str | None, name: str) -> gpd.GeoDataFrame:
    """`frame` in WGS-84: from its own CRS, else from `crs` (the importer's names or EPSG)."""
    if frame.crs is None and not crs:
        raise ImportFileError(f"{name}: the file names no CRS; give it (--crs wgs84, gcj02, "
                              "bd09 or EPSG:code)")
    wanted = (crs or "").strip()
    if frame.crs is None or wanted:
        try:
            source = normalize_crs(wanted)
        except UnknownCRSError:
            source = None
        if source in ("gcj02", "bd09"):
            geoms = [convert_geometry(g, source, "wgs84") if g is not None else None
                     for g in frame.geometry]
            return gpd.GeoDataFrame(frame.drop(columns=frame.geometry.name),
                                    geometry=gpd.GeoSeries(geoms, index=frame.index), crs="EPSG:4326")
        try:
            frame = frame.set_crs("EPSG:4326" if source == "wgs84" else wanted, allow_override=True)
        except (ValueError, TypeError) as exc:  # pyproj's CRSError is a ValueError
            raise ImportFileError(f"{name}: unknown CRS {wanted[:40]!r}") from exc
    return frame.to_crs("EPSG:4326")


def read_layer_file(data: bytes | Path, name: str, *, crs: str | None = None) -> gpd.GeoDataFrame:
    """The features of a reference-layer file (its bytes, or its path) named `name`, in
    WGS-84: one row per feature with a geometry, its attributes as read. ImportFileError
    naming the file and the bound or problem otherwise (see the module docstring)."""
    if isinstance(data, Path):
        try:
            size = data.stat().st_size
            with open(data, "rb") as handle:
                head = handle.read(16)
        except OSError as exc:
            raise ImportFileError(f"{name}: cannot read the file: {exc.strerror}") from exc
    else:
        size, head = len(data), data[:16]
    if size > MAX_LAYER_FILE_MIB * MIB:
        raise ImportFileError(f"{name}: the file is {size / MIB:.1f} MiB; a reference layer is "
                              f"at most {MAX_LAYER_FILE_MIB} MiB")
    kind = _kind(head)
    if kind is None:
        raise ImportFileError(f"{name}: not a GeoPackage, GeoParquet, FlatGeobuf or zipped "
                              f"Shapefile ({_looks_like(head)})")
    with tempfile.TemporaryDirectory(prefix="atlas-layer-") as folder:
        path = data if isinstance(data, Path) else Path(folder) / f"source.{kind}"
        if not isinstance(data, Path):
            path.write_bytes(data)
        if kind == "zip":
            os.mkdir(Path(folder) / "unzipped")
            path = _unzipped(path, Path(folder) / "unzipped", name)
        frame = _read(path, kind, name)
    frame = frame[frame.geometry.notna() & ~frame.geometry.is_empty]
    if frame.empty:
        raise ImportFileError(f"{name}: no feature has a geometry")
    frame = _to_wgs84(frame, crs, name)
    minx, miny, maxx, maxy = frame.total_bounds
    if not np.all(np.isfinite([minx, miny, maxx, maxy])) or bool(
            np.any(out_of_china(np.array([minx, maxx]), np.array([miny, maxy])))):
        raise ImportFileError(f"{name}: after conversion to WGS-84 the features lie at "
                              f"{minx:.3f}..{maxx:.3f} E, {miny:.3f}..{maxy:.3f} N, outside China: "
                              "check the CRS (--crs)")
    frame = frame.set_geometry(shapely.make_valid(frame.geometry.array))
    return frame.reset_index(drop=True)
