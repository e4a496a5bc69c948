"""Reading one project's boundary (红线) from an uploaded file: GeoJSON, GeoPackage, KML or a
zipped Shapefile, bounded, in any CRS the importer knows, to one WGS-84 geometry.

A planner places a project by uploading the file the design institute sent. The file comes from
outside, so it is checked before any parser sees it, in this order:

1. its size (at most :data:`~app.io.limits.UPLOAD_LIMIT_MIB` MiB, like every upload in the app);
2. that it is what its name says (:func:`boundary_format`): a ``.gpkg`` starts as SQLite, a
   ``.zip`` as a zip archive, a ``.kml`` is KML text, a ``.geojson`` / ``.json`` is JSON;
3. a zip's members are inflated here, counted chunk by chunk (at most
   :data:`MAX_UNPACKED_MIB` MiB in all), and must hold exactly one ``.shp`` with its ``.shx``
   and ``.dbf``; a KML may not declare a DOCTYPE or entities (no entity expansion);
4. a GeoPackage holds no SQL view, trigger of its own or generated column
   (:func:`app.io.gpkg_check.check_geopackage`);
5. exactly one feature in the whole file (several -> merge them first), with a geometry of one
   kind (no GeometryCollection), at most :data:`~app.io.limits.MAX_VERTICES` vertices.

Steps 3 to 5 run in a worker process under :data:`~app.io.limits.UPLOAD_PARSE`
(:func:`app.io.sandbox.run_bounded`): a file that makes a parser spin or swell is stopped
and refused, and the server's thread waits a bounded time.

Then the CRS, as the importer decides it: the file's own CRS (a GeoPackage's or Shapefile's
``.prj``, an old-style GeoJSON ``crs`` member) wins when it is not WGS-84; otherwise the CRS
the planner declares applies (GCJ-02 numbers copied from AMap into a GeoJSON, say). The
vertices go through :func:`app.geo.position.check_position` -- the one position check, with the
importer's ``fix_swaps=True`` -- so metres declared as degrees, exchanged x/y and a boundary far
outside the district get the same messages as in an import. Validity (a self-intersecting ring)
is not judged here: :func:`app.data.living.check_geometry` repairs or refuses it when the edit
is proposed.

>>> import json
>>> square = {"type": "Polygon", "coordinates": [[[121.40, 31.20], [121.401, 31.20],
...           [121.401, 31.201], [121.40, 31.201], [121.40, 31.20]]]}
>>> got = read_boundary(json.dumps({"type": "Feature", "properties": {}, "geometry": square}).encode(),
...                     "红线.geojson")
>>> got.geometry.geom_type, got.format, got.crs, got.crs_from_file
('Polygon', 'geojson', 'wgs84', False)
>>> read_boundary(b"PK\\x03\\x04...", "红线.geojson")
Traceback (most recent call last):
app.errors.ImportFileError: 红线.geojson: the file is not GeoJSON (it starts like a zip archive); upload a .geojson, .json, .gpkg, .kml or a zipped Shapefile (.zip)
"""

from __future__ import annotations

import io
import json
import re
import warnings
import zipfile
from dataclasses import dataclass
from pathlib import PurePosixPath

import numpy as np
import shapely
from shapely.geometry.base import BaseGeometry

from app.domain.messages import keyed
from app.errors import ImportFileError
from app.geo.coords import SourceCRS, parse_source_crs
from app.geo.position import check_position
from app.io.gpkg_check import check_geopackage
from app.io.limits import (
    MAX_VERTICES,
    MIB,
    UPLOAD_LIMIT_BYTES,
    UPLOAD_LIMIT_MIB,
    UPLOAD_PARSE,
    ParseLimits,
)
from app.io.sandbox import run_bounded

__all__ = ["BOUNDARY_FORMATS", "MAX_UNPACKED_MIB", "BoundaryFile", "boundary_format",
           "read_boundary"]

#: File name endings a boundary upload may have, and the format each stands for.
BOUNDARY_FORMATS: dict[str, str] = {".geojson": "geojson", ".json": "geojson", ".gpkg": "gpkg",
                                    ".kml": "kml", ".zip": "shapefile"}
#: Most bytes a zipped Shapefile's members may inflate to, in all (MiB).
MAX_UNPACKED_MIB = 20
#: Shapefile members read from a zip (the rest, e.g. a readme, is ignored).
_SHAPEFILE_PARTS = (".shp", ".shx", ".dbf", ".prj", ".cpg")
_CHUNK = 1 << 16


@dataclass(frozen=True)
class BoundaryFile:
    """A boundary read from a file: its WGS-84 `geometry` (2-D, as drawn: validity is checked
    when the edit is proposed), the `format`, the `crs` its numbers were in and whether the file
    named it (`crs_from_file`; else the declared CRS was used), and `fixes`: what reading
    repaired, in words (x and y exchanged)."""

    geometry: BaseGeometry
    format: str
    crs: str
    crs_from_file: bool = False
    fixes: tuple[str, ...] = ()


def _looks_like(data: bytes) -> str:
    """What the first bytes of `data` look like (a key of the i18n table), for the "not what
    its name says" message."""
    head = data[:256].lstrip(b"\xef\xbb\xbf").lstrip()
    if data.startswith(b"SQLite format 3\x00"):
        return "sqlite"
    if data.startswith(b"PK\x03\x04"):
        return "zip"
    if head.startswith(b"<"):
        return "xml"
    if head.startswith((b"{", b"[")):
        return "json"
    if b"\x00" in data[:1024]:
        return "binary"
    return "text" if data else "empty"


def boundary_format(filename: str, data: bytes) -> str:
    """The format of a boundary upload from its name, checked against its first bytes.

    >>> boundary_format("site.GPKG", b"SQLite format 3\\x00")
    'gpkg'
    >>> boundary_format("site.kml", b'<?xml version="1.0"?><kml xmlns="http://www.opengis.net/kml/2.2">')
    'kml'
    >>> boundary_format("site.dwg", b"AC1032")
    Traceback (most recent call last):
    app.errors.ImportFileError: site.dwg: .dwg files are not read as boundaries; upload a .geojson, .json, .gpkg, .kml or a zipped Shapefile (.zip)
    >>> boundary_format("site.gpkg", b"name,lon,lat\\n")
    Traceback (most recent call last):
    app.errors.ImportFileError: site.gpkg: the file is not a GeoPackage (it starts like plain text); upload a .geojson, .json, .gpkg, .kml or a zipped Shapefile (.zip)
    """
    suffix = PurePosixPath(filename.replace("\\", "/")).suffix.lower()
    fmt = BOUNDARY_FORMATS.get(suffix)
    if fmt is None:
        if suffix:
            raise keyed(ImportFileError, "err.boundary_suffix", label=filename, suffix=suffix)
        raise keyed(ImportFileError, "err.boundary_no_suffix", label=filename)
    head = data[:1024].lstrip(b"\xef\xbb\xbf").lstrip()
    fits = {"gpkg": data.startswith(b"SQLite format 3\x00"),
            "shapefile": data.startswith(b"PK\x03\x04"),
            "geojson": head.startswith(b"{"),
            "kml": head.startswith(b"<") and b"<kml" in data[:4096]}[fmt]
    if not fits:
        raise keyed(ImportFileError, "err.boundary_mismatch", label=filename,
                    expected=keyed(ImportFileError, f"err.kind_{fmt}"),
                    found=keyed(ImportFileError, f"err.looks_{_looks_like(data)}"))
    return fmt


def _unpacked_shapefile(data: bytes) -> bytes:
    """The zip's Shapefile members, inflated here under a bound, as a fresh uncompressed zip."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, OSError) as exc:
        raise keyed(ImportFileError, "err.zip_unreadable", en_reason=str(exc)) from exc
    with archive:
        members = [m for m in archive.infolist() if not m.is_dir()
                   and PurePosixPath(m.filename).suffix.lower() in _SHAPEFILE_PARTS
                   and not PurePosixPath(m.filename).name.startswith(".")]
        shps = sorted(m.filename for m in members if m.filename.lower().endswith(".shp"))
        if not shps:
            names = [m.filename for m in archive.infolist()][:10]
            raise keyed(ImportFileError, "err.zip_no_shp", names=str(names))
        if len(shps) > 1:
            raise keyed(ImportFileError, "err.zip_many_shp", n=len(shps), names=", ".join(shps[:5]))
        stem = shps[0][:-4]
        parts = {PurePosixPath(m.filename).suffix.lower(): m for m in members
                 if m.filename[:-len(PurePosixPath(m.filename).suffix)] == stem}
        missing = [ext for ext in (".shx", ".dbf") if ext not in parts]
        if missing:
            raise keyed(ImportFileError, "err.zip_parts", name=shps[0], missing=" + ".join(missing))
        out = io.BytesIO()
        total = 0
        with zipfile.ZipFile(out, "w", zipfile.ZIP_STORED) as fresh:
            for ext, member in sorted(parts.items()):
                chunks = []
                try:
                    with archive.open(member) as stream:
                        while chunk := stream.read(_CHUNK):
                            total += len(chunk)
                            if total > MAX_UNPACKED_MIB * MIB:
                                raise keyed(ImportFileError, "err.zip_bomb", mib=MAX_UNPACKED_MIB)
                            chunks.append(chunk)
                except ImportFileError:
                    raise
                except (zipfile.BadZipFile, NotImplementedError, EOFError, OSError, ValueError,
                        RuntimeError) as exc:  # RuntimeError: an encrypted member
                    raise keyed(ImportFileError, "err.zip_member", name=member.filename,
                                en_reason=str(exc)) from exc
                fresh.writestr(f"boundary{ext}", b"".join(chunks))
    return out.getvalue()


def _checked_kml(data: bytes) -> bytes:
    """`data` when it declares no DOCTYPE or entities (nothing for an XML parser to expand)."""
    if re.search(rb"<!(DOCTYPE|ENTITY)", data, flags=re.IGNORECASE):
        raise keyed(ImportFileError, "err.kml_doctype")
    return data


def _read_one_feature(data: bytes) -> tuple[BaseGeometry | None, SourceCRS | None]:
    """The geometry of the file's one feature and the file's CRS (None: none or WGS-84)."""
    import pyogrio
    from pyogrio import errors as ogr

    failures = (ogr.DataSourceError, ogr.DataLayerError, ogr.CRSError, ogr.FeatureError,
                ogr.FieldError, ogr.GeometryError, ValueError, TypeError)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            # a layer is named by its index: bytes get a new temporary name on every open
            layers = [str(name) for name, _ in pyogrio.list_layers(io.BytesIO(data))]
            counts = [int(pyogrio.read_info(io.BytesIO(data), layer=i,
                                            force_feature_count=True)["features"])
                      for i in range(len(layers))]
            total = sum(counts)
            if total == 0:
                raise keyed(ImportFileError, "err.boundary_none")
            if total > 1:
                where = "" if len(layers) == 1 else " (" + ", ".join(
                    f"{name}: {n}" for name, n in zip(layers, counts, strict=True) if n) + ")"
                raise keyed(ImportFileError, "err.boundary_many", n=total, where=where)
            index = next(i for i, count in enumerate(counts) if count)
            frame = pyogrio.read_dataframe(io.BytesIO(data), layer=index, max_features=1)
    except ImportFileError:
        raise
    except failures as exc:
        raise keyed(ImportFileError, "err.boundary_read", en_reason=str(exc)) from exc
    geometry = frame.geometry.iloc[0] if len(frame) else None
    if frame.crs is None:
        return geometry, None
    code = frame.crs.to_epsg()
    if code is None:
        raise keyed(ImportFileError, "err.crs_no_epsg", name=frame.crs.name)
    found = parse_source_crs(f"EPSG:{code}")
    return geometry, None if found.name == "wgs84" else found


def _checked_geometry(geometry: BaseGeometry | None) -> BaseGeometry:
    """The feature's geometry in 2-D, when it is one kind and not too big to be a site."""
    if geometry is None or geometry.is_empty:
        raise keyed(ImportFileError, "err.boundary_empty")
    if geometry.geom_type == "GeometryCollection":
        kinds = sorted({g.geom_type for g in geometry.geoms})
        raise keyed(ImportFileError, "err.boundary_mixed", kinds=", ".join(kinds))
    vertices = int(shapely.get_num_coordinates(geometry))
    if vertices > MAX_VERTICES:
        raise keyed(ImportFileError, "err.too_many_vertices", n=vertices, max=MAX_VERTICES)
    return shapely.force_2d(geometry)


def read_boundary(data: bytes, filename: str, *, crs: str | SourceCRS = "wgs84",
                  district_m: BaseGeometry | None = None, tolerance_m: float = 0.0,
                  limits: ParseLimits = UPLOAD_PARSE) -> BoundaryFile:
    """The one boundary in an uploaded file, in WGS-84 (see the module docstring for the rules).

    `crs` is what the planner declares for numbers whose CRS the file does not name (any text
    :func:`~app.geo.coords.parse_source_crs` reads); `district_m` (the district outline in the
    metric CRS) and `tolerance_m` refuse a boundary lying farther outside. ImportFileError (or
    PositionError / UnknownCRSError, all AtlasErrors) says what is wrong, prefixed by `filename`.
    The file is parsed in a worker process under `limits`.

    >>> read_boundary(b"x" * (UPLOAD_LIMIT_BYTES + 1), "big.geojson")
    Traceback (most recent call last):
    app.errors.ImportFileError: big.geojson: the file is 5.0 MiB (5242881 bytes); boundary files are limited to 5 MiB (5242880 bytes)
    >>> read_boundary(b'{"type": "FeatureCollection", "features": []}', "empty.geojson")
    Traceback (most recent call last):
    app.errors.ImportFileError: empty.geojson: the file holds no feature: draw the boundary, or upload the file that holds it
    """
    if len(data) > UPLOAD_LIMIT_BYTES:
        raise keyed(ImportFileError, "err.boundary_size", label=filename, size=len(data) / MIB,
                    n=len(data), mib=UPLOAD_LIMIT_MIB, limit=UPLOAD_LIMIT_BYTES)
    declared = crs if isinstance(crs, SourceCRS) else parse_source_crs(crs)
    fmt = boundary_format(filename, data)
    try:
        geometry, file_crs = run_bounded(_parse, data, fmt, limits=limits)
    except ImportFileError as exc:
        raise keyed(ImportFileError, "err.in_file", label=filename, error=exc) from exc
    used = file_crs or declared
    fixes: list[str] = []
    wgs84 = _to_wgs84(geometry, used, district_m, tolerance_m, filename, fixes)
    return BoundaryFile(wgs84, fmt, used.label, file_crs is not None, tuple(fixes))


def _parse(data: bytes, fmt: str) -> tuple[BaseGeometry, SourceCRS | None]:
    """The checked geometry of the file's one feature and the file's CRS (run in a parse
    worker by :func:`read_boundary`)."""
    if fmt == "shapefile":
        data = _unpacked_shapefile(data)
    elif fmt == "kml":
        data = _checked_kml(data)
    elif fmt == "geojson":
        _check_json(data)
    elif fmt == "gpkg":
        check_geopackage(data)
    geometry, file_crs = _read_one_feature(data)
    return _checked_geometry(geometry), file_crs


def _check_json(data: bytes) -> None:
    """ImportFileError unless `data` parses as JSON text (GDAL's own message would be vaguer)."""
    try:
        json.loads(data.decode("utf-8-sig"))
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError) as exc:
        if isinstance(exc, json.JSONDecodeError):
            raise keyed(ImportFileError, "err.not_json_at", line=exc.lineno, column=exc.colno,
                        en_reason=exc.msg) from exc
        raise keyed(ImportFileError, "err.not_json", en_reason=str(exc)) from exc


def _to_wgs84(geometry: BaseGeometry, crs: SourceCRS, district_m: BaseGeometry | None,
              tolerance_m: float, filename: str, fixes: list[str]) -> BaseGeometry:
    """`geometry` in WGS-84: its vertices checked and converted as one position check."""
    coords = shapely.get_coordinates(geometry)
    vertices = shapely.multipoints(coords)
    check = check_position(vertices, crs, district_m, fix_swaps=True, tolerance_m=tolerance_m)
    if check.rejected:
        why = "; ".join(p.message for p in check.problems if p.action == "rejected")
        raise keyed(ImportFileError, "err.boundary_vertices", label=filename, en_why=why)
    fixes.extend(p.message for p in check.problems if p.action == "fixed")
    converted = shapely.get_coordinates(check.geometry)
    if converted.shape != coords.shape or not np.isfinite(converted).all():
        raise keyed(ImportFileError, "err.boundary_convert", label=filename, crs=crs.label)
    return shapely.transform(geometry, lambda _: converted)
