"""Import a project register from CSV, Excel, GeoJSON or GeoPackage: map, place, report.

The app's upload page and ``python -m app import`` both call :func:`import_file`, which

1. reads the file (:func:`read_table`): CSV in UTF-8, UTF-8 with BOM or GBK/GB18030 (detected
   in that order, or as given by `encoding`), Excel ``.xlsx`` (first sheet), GeoJSON, or
   GeoPackage (first layer);
2. maps columns to fields (:func:`resolve_mapping`): inferred from common zh/en headers by
   :func:`infer_mapping` (名称/项目名称/name, 地址/address, 经度/lon/lng, 纬度/lat …), with any
   explicit choice winning;
3. places every row: coordinates (or the file's geometry) in the declared CRS are parsed and
   checked by :mod:`app.geo.coords`; rows without them are matched by address, then by name,
   against the gazetteer by :mod:`app.geo.address`;
4. returns an :class:`ImportResult`: the projects frame (shaped like ``Atlas.projects``), the
   :class:`ImportReport` (one row per data row, a summary, ``to_json()``) and the mapping used.

A file that cannot be read at all raises :class:`~app.errors.ImportFileError` (or
:class:`~app.errors.UnknownCRSError` for the declared CRS); a bad *row* never raises: it is
reported as ``rejected`` or ``unlocated``.

Imported rows follow one convention (docs/import.md):

- ``layer``: a ``layer`` column naming a project layer (id or title) or :data:`DEFAULT_LAYER`;
- ``category``, ``status``, ``action``: the value when the layer's legend / the vocabulary knows
  it (as a code or a zh/en label), otherwise :data:`IMPORTED` (``"imported"``), with a note;
- ``id``: the ``id`` column when it is a unique slug, otherwise ``import-<row>``;
- ``report_section``, ``report_paragraph``, ``report_ref``: empty (not from the work report);
- rejected rows are left out of the frame and listed in the report only; unlocated rows are in
  the frame with no geometry and precision ``unlocated``.

>>> infer_mapping(["项目名称", "地址", "经度", "纬度", "备注"])
{'name': '项目名称', 'address': '地址', 'lon': '经度', 'lat': '纬度', 'description': '备注'}
>>> infer_mapping([])
{}
"""

from __future__ import annotations

import codecs
import csv
import io
import json
import math
import os
import re
import warnings
import zipfile
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any, BinaryIO

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from shapely.geometry import shape
from shapely.geometry.base import BaseGeometry

from app.data.atlas import PROJECT_COLUMNS, PROJECT_TOLERANCE_M, Atlas
from app.data.layers import geometry_kind
from app.domain.filters import normalise_text, search_text
from app.domain.model import check_id
from app.errors import CoordinateError, ImportFileError
from app.geo.address import FUZZY_THRESHOLD, AddressMatch, Candidate, Matcher
from app.geo.coords import Problem, SourceCRS, parse_coordinate, parse_source_crs
from app.geo.gazetteer import CONFIDENCES, DISTRICT_ID
from app.geo.geocode import to_metric
from app.geo.position import PositionCheck, check_position

__all__ = [
    "DEFAULT_LAYER",
    "FORMATS",
    "IMPORTED",
    "MAPPING_FIELDS",
    "MAX_ROWS",
    "ROW_STATUSES",
    "UPLOAD_LIMIT_BYTES",
    "UPLOAD_LIMIT_MB",
    "ImportReport",
    "ImportResult",
    "Problem",
    "RawTable",
    "RowReport",
    "check_upload_size",
    "detect_format",
    "import_file",
    "infer_mapping",
    "read_table",
    "resolve_mapping",
]

#: Largest upload the app accepts, in MB (MiB: 1 MB = 1024 × 1024 bytes). The CLI has no size
#: limit, only :data:`MAX_ROWS`.
UPLOAD_LIMIT_MB = 5
UPLOAD_LIMIT_BYTES = UPLOAD_LIMIT_MB * 1024 * 1024
#: Most data rows one import handles.
MAX_ROWS = 50_000

#: File formats, by the name :func:`detect_format` gives them.
FORMATS: tuple[str, ...] = ("csv", "xlsx", "geojson", "gpkg")
_EXTENSIONS = {".csv": "csv", ".txt": "csv", ".tsv": "csv", ".xlsx": "xlsx", ".xlsm": "xlsx",
               ".geojson": "geojson", ".json": "geojson", ".gpkg": "gpkg"}

#: Project layer of rows that do not name one (the atlas's general urban-renewal layer).
DEFAULT_LAYER = "renewal"
#: Category, status and action of rows whose file does not give a known value.
IMPORTED = "imported"

#: Per-row outcome: placed as given or by the gazetteer; placed after a recorded fix;
#: kept without a position; refused (left out of the frame).
ROW_STATUSES: tuple[str, ...] = ("placed", "fixed", "unlocated", "rejected")

#: Fields a column can be mapped to, in the order the app shows them.
MAPPING_FIELDS: tuple[str, ...] = (
    "name", "name_en", "address", "lon", "lat", "id", "layer", "category", "status", "action",
    "target_year", "subdistrict", "description", "aliases",
)

# Header spellings per field, compared after _header_key (folded, no spaces or punctuation).
_SYNONYMS: dict[str, tuple[str, ...]] = {
    "name": ("名称", "项目名称", "项目名", "名字", "项目", "中文名", "中文名称", "name", "namezh",
             "projectname", "project", "title", "标题"),
    "name_en": ("英文名", "英文名称", "nameen", "englishname", "english"),
    "address": ("地址", "项目地址", "详细地址", "位置", "地点", "address", "addr", "location"),
    "lon": ("经度", "lon", "lng", "long", "longitude", "x", "东经"),
    "lat": ("纬度", "lat", "latitude", "y", "北纬"),
    "id": ("id", "编号", "项目编号", "code", "projectid"),
    "layer": ("图层", "layer"),
    "category": ("类别", "类型", "分类", "项目类型", "category", "type"),
    "status": ("状态", "进度", "项目状态", "status"),
    "action": ("行动", "2025年行动", "动作", "action"),
    "target_year": ("年份", "目标年份", "年度", "完成年份", "year", "targetyear"),
    "subdistrict": ("街道", "街镇", "街道镇", "所属街道", "subdistrict"),
    "description": ("说明", "描述", "简介", "备注", "内容", "项目内容", "description", "desc",
                    "note", "notes"),
    "aliases": ("别名", "aliases", "alias"),
}
# Second pass: a header containing one of these (or starting with the ascii ones).
_CONTAINS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "name_en": (("英文名",), ("nameen",)),
    "lon": (("经度",), ("lon", "lng")),
    "lat": (("纬度",), ("lat",)),
    "name": (("名称",), ("name",)),
    "address": (("地址",), ("address",)),
    "target_year": (("年份", "年度"), ("year",)),
    "description": (("说明", "简介", "描述"), ()),
    "status": (("状态",), ()),
    "category": (("类别", "类型"), ()),
}
_PUNCT = re.compile(r"[\s_\-()（）\[\]【】<>《》/\\.:：,，·'\"]+")
_ALIAS_SPLIT = re.compile(r"[;；,，、|]")
_CJK = re.compile(r"[\u3400-\u9fff]")


# What the parsing libraries raise on malformed input; the readers turn it into ImportFileError.
_CSV_ERRORS = (pd.errors.ParserError, pd.errors.EmptyDataError, csv.Error, ValueError, IndexError)
_EXCEL_ERRORS = (zipfile.BadZipFile, KeyError, ValueError, OSError, TypeError, IndexError)
_JSON_ERRORS = (json.JSONDecodeError, UnicodeDecodeError, RecursionError)


def check_upload_size(size: int) -> None:
    """Raise ImportFileError when an upload is larger than :data:`UPLOAD_LIMIT_BYTES`.

    >>> check_upload_size(UPLOAD_LIMIT_BYTES)
    >>> check_upload_size(UPLOAD_LIMIT_BYTES + 1)
    Traceback (most recent call last):
    ...
    app.errors.ImportFileError: the file is 5.0 MB (5242881 bytes); uploads are limited to 5 MB (5242880 bytes): split the register, or import it with `python -m app import`
    """
    if size > UPLOAD_LIMIT_BYTES:
        raise ImportFileError(
            f"the file is {size / 1024 / 1024:.1f} MB ({size} bytes); uploads are limited to "
            f"{UPLOAD_LIMIT_MB} MB ({UPLOAD_LIMIT_BYTES} bytes): split the register, "
            "or import it with `python -m app import`")


def detect_format(filename: str | None, data: bytes) -> str:
    """The format of a file, from its extension, else from its first bytes.

    >>> detect_format("项目.CSV", b""), detect_format(None, b"SQLite format 3\\x00...")
    ('csv', 'gpkg')
    >>> detect_format("old.xls", b"")
    Traceback (most recent call last):
    ...
    app.errors.ImportFileError: old.xls: the old Excel format (.xls) is not read; save it as .xlsx (or CSV) and import again
    """
    suffix = Path(filename or "").suffix.lower()
    if suffix == ".xls":
        raise ImportFileError(f"{filename}: the old Excel format (.xls) is not read; "
                              "save it as .xlsx (or CSV) and import again")
    if suffix in _EXTENSIONS:
        return _EXTENSIONS[suffix]
    head = data[:64].lstrip(codecs.BOM_UTF8).lstrip()
    if data.startswith(b"SQLite format 3\x00"):
        return "gpkg"
    if data.startswith(b"PK\x03\x04"):
        return "xlsx"
    if head.startswith(b"{"):
        return "geojson"
    if filename is None or not suffix:
        if data and b"\x00" not in data[:4096]:
            return "csv"
    raise ImportFileError(
        f"{filename or 'the file'}: unknown file type {suffix or '(no extension)'}; "
        "import .csv, .xlsx, .geojson/.json or .gpkg")


@dataclass(frozen=True, eq=False)
class RawTable:
    """A file read as a table of cells (text/number/None) with, for spatial formats, geometries."""

    format: str
    frame: pd.DataFrame
    geometries: tuple[BaseGeometry | None, ...] | None = None
    geometry_errors: Mapping[int, str] = field(default_factory=dict)
    file_crs: SourceCRS | None = None
    encoding: str | None = None
    notes: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if self.format not in FORMATS:
            raise ValueError(f"format must be one of {FORMATS}, got {self.format!r}")
        if self.geometries is not None and len(self.geometries) != len(self.frame):
            raise ValueError(f"{len(self.geometries)} geometries for {len(self.frame)} rows")

    @property
    def columns(self) -> tuple[str, ...]:
        """The column headers, in file order."""
        return tuple(str(c) for c in self.frame.columns)


def _to_bytes(source: bytes | bytearray | memoryview | str | os.PathLike | BinaryIO) -> bytes:
    if isinstance(source, bytes | bytearray | memoryview):
        return bytes(source)
    if isinstance(source, str | os.PathLike):
        path = Path(source)
        try:
            return path.read_bytes()
        except FileNotFoundError as exc:
            raise ImportFileError(f"no such file: {path}") from exc
        except IsADirectoryError as exc:
            raise ImportFileError(f"{path} is a folder, not a file") from exc
        except PermissionError as exc:
            raise ImportFileError(f"cannot read {path}: permission denied") from exc
    if hasattr(source, "read"):
        data = source.read()
        if isinstance(data, bytes | bytearray):
            return bytes(data)
        raise ImportFileError(f"the file object gave {type(data).__name__}, not bytes")
    raise ImportFileError(f"cannot import from a {type(source).__name__}; give a path or bytes")


def _decode(data: bytes, encoding: str | None) -> tuple[str, str]:
    """(text, encoding used): the given encoding, or BOM / UTF-8 / GB18030 in that order."""
    if encoding:
        try:
            name = codecs.lookup(encoding).name
        except LookupError as exc:
            raise ImportFileError(f"unknown encoding {encoding!r}: use e.g. utf-8 or gb18030") from exc
        if name == "utf-8" and data.startswith(codecs.BOM_UTF8):
            name = "utf-8-sig"
        try:
            return data.decode(name), name
        except UnicodeDecodeError as exc:
            raise ImportFileError(
                f"the file is not {encoding}: byte {exc.start} ({data[exc.start:exc.start + 4]!r}) "
                "cannot be decoded; leave the encoding out to detect it") from exc
    if data.startswith(codecs.BOM_UTF8):
        attempts = ("utf-8-sig",)
    elif data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        attempts = ("utf-16",)
    else:
        attempts = ("utf-8", "gb18030")
    for name in attempts:
        try:
            return data.decode(name), name
        except UnicodeDecodeError:
            continue
    raise ImportFileError("the file is neither UTF-8 nor GBK/GB18030 text; "
                          "give its encoding (--encoding) or save it as UTF-8")


def _read_csv(data: bytes, encoding: str | None) -> RawTable:
    text, used = _decode(data, encoding)
    if "\x00" in text:
        raise ImportFileError("the file holds binary data (NUL bytes), not CSV text")
    lines = text.lstrip("\ufeff").splitlines()
    header = next((line for line in lines if line.strip()), "")
    if not header:
        raise ImportFileError("the file is empty: no header row")
    sep = max((",", "\t", ";", "|"), key=header.count)
    sep = sep if header.count(sep) else ","
    try:
        # header=None: the header row is taken as data, so that repeated headers stay visible
        cells = pd.read_csv(io.StringIO(text.lstrip("\ufeff")), sep=sep, dtype=str, header=None,
                            keep_default_na=False, skip_blank_lines=True, engine="python")
    except _CSV_ERRORS as exc:
        raise ImportFileError(f"cannot read the CSV ({used}, separator {sep!r}): {exc}") from exc
    frame = _header_row(cells)
    notes = [f"encoding {used}" + (" (given)" if encoding else " (detected)")]
    if sep != ",":
        notes.append(f"separator {sep!r}")
    return RawTable("csv", frame, encoding=used, notes=tuple(notes))


def _header_row(cells: pd.DataFrame) -> pd.DataFrame:
    """The first row of `cells` as the header (pandas would rename repeated headers)."""
    if cells.empty:
        raise ImportFileError("the file is empty: no header row")
    headers = [_text(v) for v in cells.iloc[0]]
    return cells.iloc[1:].set_axis(headers, axis=1).reset_index(drop=True)


def _read_xlsx(data: bytes) -> RawTable:
    try:
        import openpyxl  # noqa: F401  (pandas reads .xlsx through it)
    except ImportError as exc:
        raise ImportFileError("reading .xlsx needs openpyxl: pip install openpyxl") from exc
    try:
        book = pd.ExcelFile(io.BytesIO(data), engine="openpyxl")
        sheets = book.sheet_names
        if not sheets:
            raise ImportFileError("the workbook has no sheets")
        frame = _header_row(pd.read_excel(book, sheet_name=sheets[0], dtype=object, header=None))
    except _EXCEL_ERRORS as exc:
        raise ImportFileError(f"cannot read the Excel workbook: {exc}") from exc
    notes = [f"sheet {sheets[0]!r}" + (f" (the first of {len(sheets)}: {sheets})" if len(sheets) > 1 else "")]
    return RawTable("xlsx", frame, notes=tuple(notes))


def _crs_member(data: Mapping[str, Any]) -> SourceCRS | None:
    """The CRS named by an (old-style) GeoJSON ``crs`` member, if any; None for WGS-84."""
    crs = data.get("crs")
    name = crs.get("properties", {}).get("name") if isinstance(crs, Mapping) else None
    if not isinstance(name, str):
        return None
    if name.upper().endswith("CRS84"):
        return None
    match = re.search(r"EPSG:{1,2}(\d{4,6})$", name, flags=re.IGNORECASE)
    if match is None:
        raise ImportFileError(f"GeoJSON names an unknown CRS {name!r}; use EPSG codes or none")
    found = parse_source_crs(f"EPSG:{match[1]}")
    return None if found.name == "wgs84" else found


def _cell(value: object) -> object:
    """A property value as a table cell: nested JSON as text."""
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False)
    return value


def _read_geojson(data: bytes) -> RawTable:
    text, used = _decode(data, None)
    try:
        doc = json.loads(text)
    except _JSON_ERRORS as exc:
        raise ImportFileError(f"not valid JSON: {exc}") from exc
    if not isinstance(doc, dict):
        raise ImportFileError(f"GeoJSON must be an object, got {type(doc).__name__}")
    kind = doc.get("type")
    if kind == "FeatureCollection":
        features = doc.get("features")
    elif kind == "Feature":
        features = [doc]
    else:
        raise ImportFileError(f"expected a GeoJSON FeatureCollection or Feature, got type {kind!r}")
    if not isinstance(features, list):
        raise ImportFileError("GeoJSON 'features' must be a list")
    if len(features) > MAX_ROWS:
        raise ImportFileError(f"{len(features)} features; at most {MAX_ROWS} are imported at once")
    rows, geoms, errors = [], [], {}
    for i, feature in enumerate(features):
        if not isinstance(feature, dict):
            raise ImportFileError(f"feature {i} is not an object: {feature!r:.60}")
        props = feature.get("properties") or {}
        rows.append({str(k): _cell(v) for k, v in props.items()} if isinstance(props, dict) else {})
        raw = feature.get("geometry")
        geom = None
        if raw:
            try:
                geom = shape(raw)
            except (ValueError, TypeError, AttributeError, KeyError, IndexError,
                    shapely.errors.ShapelyError) as exc:
                errors[i] = f"unreadable geometry {json.dumps(raw, ensure_ascii=False)[:80]}: {exc}"
        geoms.append(geom)
    frame = pd.DataFrame(rows, dtype=object)
    if frame.empty and len(rows):
        frame = pd.DataFrame(index=range(len(rows)))
    return RawTable("geojson", frame, tuple(geoms), errors, file_crs=_crs_member(doc),
                    encoding=used, notes=(f"{len(features)} features",))


def _read_gpkg(data: bytes) -> RawTable:
    import pyogrio
    from pyogrio import errors as ogr

    failures = (ogr.DataSourceError, ogr.DataLayerError, ogr.CRSError, ogr.FeatureError,
                ogr.FieldError, ogr.GeometryError, ValueError, TypeError)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            layers = pyogrio.list_layers(io.BytesIO(data))
            if len(layers) == 0:
                raise ImportFileError("the GeoPackage has no layers")
            name = str(layers[0][0])
            frame = pyogrio.read_dataframe(io.BytesIO(data), layer=name)
    except failures as exc:
        raise ImportFileError(f"cannot read the GeoPackage: {exc}") from exc
    notes = [f"layer {name!r}" + (f" (the first of {len(layers)})" if len(layers) > 1 else "")]
    geoms = None
    file_crs = None
    if isinstance(frame, gpd.GeoDataFrame):
        geoms = tuple(None if g is None or g.is_empty else g for g in frame.geometry.values)
        if frame.crs is not None:
            code = frame.crs.to_epsg()
            if code is None:
                raise ImportFileError(f"the GeoPackage's CRS ({frame.crs.name}) has no EPSG code; "
                                      "reproject it to EPSG:4326 or a projected EPSG CRS")
            found = parse_source_crs(f"EPSG:{code}")
            file_crs = None if found.name == "wgs84" else found
            notes.append(f"file CRS EPSG:{code}")
        frame = pd.DataFrame(frame.drop(columns=frame.geometry.name))
    return RawTable("gpkg", frame.astype(object), geoms, file_crs=file_crs, notes=tuple(notes))


def read_table(source: bytes | str | os.PathLike | BinaryIO, *, filename: str | None = None,
               encoding: str | None = None) -> RawTable:
    """Read a file as a :class:`RawTable` (for the mapping preview and for :func:`import_file`).

    Blank rows are dropped; headers are stripped and must not be empty or repeated.
    ImportFileError says why a file is unusable.

    >>> t = read_table("名称,经度,纬度\\n天山公园,121.41,31.21\\n".encode("gbk"), filename="a.csv")
    >>> t.columns, t.encoding, len(t.frame)
    (('名称', '经度', '纬度'), 'gb18030', 1)
    >>> read_table(b"", filename="a.csv")
    Traceback (most recent call last):
    ...
    app.errors.ImportFileError: a.csv: the file is empty: no header row
    """
    data = _to_bytes(source)
    if filename is None and isinstance(source, str | os.PathLike):
        filename = Path(source).name
    label = filename or "the file"
    fmt = detect_format(filename, data)
    try:
        if fmt == "csv":
            table = _read_csv(data, encoding)
        elif fmt == "xlsx":
            table = _read_xlsx(data)
        elif fmt == "geojson":
            table = _read_geojson(data)
        else:
            table = _read_gpkg(data)
    except ImportFileError as exc:
        raise ImportFileError(f"{label}: {exc}") from exc
    return _tidy(table, label)


def _blank(value: object) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value)) or (
        isinstance(value, str) and not value.strip()) or value is pd.NaT or value is pd.NA


def _tidy(table: RawTable, label: str) -> RawTable:
    """Strip headers, refuse empty/duplicate ones, drop blank rows, enforce MAX_ROWS."""
    frame = table.frame
    headers = [str(c).strip() for c in frame.columns]
    if any(not h for h in headers):
        raise ImportFileError(f"{label}: a column has no header; name every column")
    dupes = sorted(h for h, n in Counter(headers).items() if n > 1)
    if dupes:
        raise ImportFileError(f"{label}: column header(s) repeated: {dupes}")
    frame = frame.set_axis(headers, axis=1).astype(object)
    frame = frame.where(frame.notna(), None)
    keep = np.array([not all(_blank(v) for v in row) for row in frame.itertuples(index=False)],
                    dtype=bool) if len(frame.columns) else np.zeros(len(frame), dtype=bool)
    geoms = table.geometries
    errors = dict(table.geometry_errors)
    if geoms is not None:
        keep |= np.array([g is not None for g in geoms], dtype=bool)
        keep |= np.array([i in errors for i in range(len(geoms))], dtype=bool)
    dropped = int((~keep).sum())
    positions = np.flatnonzero(keep)
    notes = list(table.notes)
    if dropped:
        notes.append(f"{dropped} blank row(s) skipped")
        frame = frame.iloc[positions]
        if geoms is not None:
            geoms = tuple(geoms[i] for i in positions)
            errors = {new: errors[old] for new, old in enumerate(positions) if old in errors}
    if len(frame) == 0:
        raise ImportFileError(f"{label}: the file has no data rows")
    if len(frame) > MAX_ROWS:
        raise ImportFileError(f"{label}: {len(frame)} rows; at most {MAX_ROWS} are imported at once")
    return RawTable(table.format, frame.reset_index(drop=True), geoms, errors, table.file_crs,
                    table.encoding, tuple(notes))


# -- mapping -------------------------------------------------------------------------------


def _header_key(header: str) -> str:
    return _PUNCT.sub("", normalise_text(str(header)))


def infer_mapping(columns: Sequence[str]) -> dict[str, str]:
    """Field -> column, guessed from the headers; each column used once, fields in order.

    First exact spellings (名称, 项目名称, name; 地址, address; 经度, lon, lng; 纬度, lat …,
    compared without case, width, spaces or punctuation), then headers that contain a telling
    word (经度(GCJ-02), 项目名称(中文)).

    >>> infer_mapping(["Name", "Lng", "Lat", "Address"])
    {'name': 'Name', 'address': 'Address', 'lon': 'Lng', 'lat': 'Lat'}
    >>> infer_mapping(["经度(GCJ02)", "纬度(GCJ02)", "项目名称（中文）", "英文名称"])
    {'name': '项目名称（中文）', 'name_en': '英文名称', 'lon': '经度(GCJ02)', 'lat': '纬度(GCJ02)'}
    >>> infer_mapping(["foo"])
    {}
    """
    keys = {str(c): _header_key(c) for c in columns}
    used: set[str] = set()
    found: dict[str, str] = {}
    for name in MAPPING_FIELDS:
        synonyms = {_header_key(s) for s in _SYNONYMS[name]}
        for column, key in keys.items():
            if column not in used and key in synonyms:
                found[name] = column
                used.add(column)
                break
    for name, (contains, prefixes) in _CONTAINS.items():
        if name in found:
            continue
        for column, key in keys.items():
            if column in used:
                continue
            if any(word in key for word in contains) or (prefixes and key.startswith(prefixes)):
                if name == "name" and "英文" in key:
                    continue
                found[name] = column
                used.add(column)
                break
    return {name: found[name] for name in MAPPING_FIELDS if name in found}


def resolve_mapping(columns: Sequence[str], explicit: Mapping[str, str | None] | None = None
                    ) -> dict[str, str]:
    """The mapping to use: inferred, then overridden by `explicit` (None or "" unmaps a field).

    ImportFileError names an unknown field, a missing column, or a column mapped twice.

    >>> resolve_mapping(["名称", "addr"], {"address": "addr"})
    {'name': '名称', 'address': 'addr'}
    >>> resolve_mapping(["名称"], {"name": "标题"})
    Traceback (most recent call last):
    ...
    app.errors.ImportFileError: mapping name=标题: there is no column '标题'; the columns are ['名称']
    """
    columns = [str(c) for c in columns]
    mapping = infer_mapping(columns)
    explicit = dict(explicit or {})
    for name, column in explicit.items():
        if name not in MAPPING_FIELDS:
            raise ImportFileError(f"mapping {name}={column}: unknown field {name!r}; "
                                  f"fields are {list(MAPPING_FIELDS)}")
        if column not in (None, "") and column not in columns:
            raise ImportFileError(f"mapping {name}={column}: there is no column {column!r}; "
                                  f"the columns are {columns}")
    chosen = [c for c in explicit.values() if c]
    twice = sorted(c for c, n in Counter(chosen).items() if n > 1)
    if twice:
        raise ImportFileError(f"mapping: column(s) {twice} given for more than one field")
    for name, column in explicit.items():
        mapping.pop(name, None)
        if column:
            for other in [k for k, v in mapping.items() if v == column]:
                del mapping[other]
            mapping[name] = column
    return {name: mapping[name] for name in MAPPING_FIELDS if name in mapping}


# -- the report ----------------------------------------------------------------------------


@dataclass(frozen=True)
class RowReport:
    """What happened to one data row (``row`` counts data rows from 1, header excluded).

    >>> RowReport(1, "import-0001", "天山公园", "placed", "exact", "site", score=1.0).to_dict()["status"]
    'placed'
    >>> RowReport(1, "import-0001", "x", "guessed", "exact", "site")
    Traceback (most recent call last):
    ...
    ValueError: row status must be one of ('placed', 'fixed', 'unlocated', 'rejected'), got 'guessed'
    """

    row: int
    id: str
    name: str
    status: str
    method: str
    precision: str
    score: float | None = None
    matched_on: str = ""
    place_id: str | None = None
    lon: float | None = None
    lat: float | None = None
    problems: tuple[Problem, ...] = ()
    candidates: tuple[Candidate, ...] = ()

    def __post_init__(self) -> None:
        if self.status not in ROW_STATUSES:
            raise ValueError(f"row status must be one of {ROW_STATUSES}, got {self.status!r}")
        if self.row < 1:
            raise ValueError(f"row numbers start at 1, got {self.row!r}")

    def to_dict(self) -> dict[str, object]:
        """Plain data for the JSON report."""
        return {"row": self.row, "id": self.id, "name": self.name, "status": self.status,
                "method": self.method, "score": self.score, "precision": self.precision,
                "matched_on": self.matched_on, "place_id": self.place_id, "lon": self.lon,
                "lat": self.lat, "problems": [p.to_dict() for p in self.problems],
                "candidates": [c.to_dict() for c in self.candidates]}


@dataclass(frozen=True)
class ImportReport:
    """Per-row outcomes of one import, the file's facts, and a summary (:meth:`to_json`).

    >>> ImportReport(()).summary
    {'rows': 0, 'placed': 0, 'fixed': 0, 'unlocated': 0, 'rejected': 0, 'by_method': {}, 'by_problem': {}}
    """

    rows: tuple[RowReport, ...]
    source: Mapping[str, Any] = field(default_factory=dict)

    @property
    def summary(self) -> dict[str, Any]:
        """Counts: rows, per status, per method, per problem code."""
        statuses = Counter(r.status for r in self.rows)
        return {
            "rows": len(self.rows),
            **{s: statuses.get(s, 0) for s in ROW_STATUSES},
            "by_method": dict(sorted(Counter(r.method for r in self.rows).items())),
            "by_problem": dict(sorted(Counter(p.code for r in self.rows for p in r.problems).items())),
        }

    def to_dict(self) -> dict[str, Any]:
        """The report as plain data: ``source``, ``summary``, ``rows``."""
        return {"source": dict(self.source), "summary": self.summary,
                "rows": [r.to_dict() for r in self.rows]}

    def to_json(self, indent: int | None = 2) -> str:
        """The report as JSON text (UTF-8 characters kept as they are)."""
        return json.dumps(self.to_dict(), ensure_ascii=False, indent=indent)

    def to_frame(self) -> pd.DataFrame:
        """One line per row for a table: problems and candidates as short text."""
        return pd.DataFrame({
            "row": [r.row for r in self.rows],
            "id": [r.id for r in self.rows],
            "name": [r.name for r in self.rows],
            "status": [r.status for r in self.rows],
            "method": [r.method for r in self.rows],
            "score": pd.array([r.score for r in self.rows], dtype="Float64"),
            "precision": [r.precision for r in self.rows],
            "place": [r.place_id or "" for r in self.rows],
            "problems": ["; ".join(f"[{p.code}] {p.message}" for p in r.problems) for r in self.rows],
            "candidates": ["; ".join(f"{c.name_zh} ({c.score:.2f})" for c in r.candidates)
                           for r in self.rows],
        })


@dataclass(frozen=True, eq=False)
class ImportResult:
    """An import's outcome: the projects frame, the report, and the column mapping used."""

    frame: gpd.GeoDataFrame
    report: ImportReport
    mapping: Mapping[str, str]


# -- placing rows --------------------------------------------------------------------------


def _text(value: object) -> str:
    """A cell as trimmed text ('' for empty); whole floats lose their '.0'."""
    if _blank(value):
        return ""
    if isinstance(value, float | np.floating) and math.isfinite(value) and float(value).is_integer():
        return str(int(value))
    if isinstance(value, datetime | date | pd.Timestamp):
        return value.isoformat()
    return str(value).strip()


@dataclass(frozen=True, eq=False)
class _Context:
    """Everything placing a row needs, built once per import."""

    atlas: Atlas
    matcher: Matcher
    district_m: BaseGeometry
    declared: SourceCRS
    geometry_crs: SourceCRS
    filename: str
    layers: Mapping[str, str]
    statuses: Mapping[str, str]
    actions: Mapping[str, str]
    subdistricts: Mapping[str, str]
    categories: Mapping[str, Mapping[str, str]]


def _lookup(pairs: Sequence[tuple[str, Sequence[str]]]) -> dict[str, str]:
    """normalised spelling -> code, for codes and their labels."""
    out: dict[str, str] = {}
    for code, spellings in pairs:
        for spelling in (code, *spellings):
            if spelling:
                out.setdefault(normalise_text(spelling), code)
    return out


def _context(atlas: Atlas, declared: SourceCRS, geometry_crs: SourceCRS, filename: str,
             threshold: float) -> _Context:
    district = atlas.places.get(DISTRICT_ID)
    if district is None or not district.located:
        raise ImportFileError(f"the gazetteer has no located {DISTRICT_ID!r} to check positions against")
    district_m = to_metric(district.geometry)
    shapely.prepare(district_m)
    vocab = atlas.vocab
    return _Context(
        atlas=atlas, matcher=Matcher.from_places(atlas.places, threshold), district_m=district_m,
        declared=declared, geometry_crs=geometry_crs, filename=filename,
        layers=_lookup([(s.id, (s.title_zh, s.title_en)) for s in atlas.project_layers]),
        statuses=_lookup([(k, v) for k, v in vocab.statuses.items()]),
        actions=_lookup([(k, (v,)) for k, v in vocab.actions.items()]),
        subdistricts=_lookup([(p.name_zh, (p.name_en, *p.aliases)) for p in atlas.places.values()
                              if p.kind == "subdistrict"]),
        categories={s.id: _lookup([(e.value, (e.zh, e.en)) for e in s.legend])
                    for s in atlas.project_layers},
    )


def _coded(value: str, table: Mapping[str, str], what: str, problems: list[Problem],
           default: str = IMPORTED) -> str:
    """The code `value` names in `table`, or `default` with a note when it names none."""
    if not value:
        return default
    code = table.get(normalise_text(value))
    if code is None:
        problems.append(Problem(f"unknown-{what}", "note",
                                f"{what} {value!r} is not known; set to {default!r}"))
        return default
    return code


def _weakest(*levels: str) -> str:
    return max(levels, key=CONFIDENCES.index)


def _representative(geom: BaseGeometry | None) -> tuple[float | None, float | None]:
    if geom is None or geom.is_empty:
        return None, None
    point = geom if geom.geom_type == "Point" else geom.representative_point()
    return round(point.x, 7), round(point.y, 7)


@dataclass(frozen=True)
class _Position:
    """Where a row ended up: status, method, geometry and the provenance columns."""

    status: str
    method: str
    precision: str
    geometry: BaseGeometry | None = None
    score: float | None = None
    matched_on: str = ""
    place_id: str | None = None
    candidates: tuple[Candidate, ...] = ()
    provenance: dict[str, object] = field(default_factory=dict)
    note: str = ""


_NO_PROVENANCE: dict[str, object] = {"pos_source": "", "pos_source_crs": "", "pos_method": "none",
                                     "pos_confidence": "none", "pos_refs": []}


def _no_position(method: str, note: str) -> _Position:
    """A rejected row's position: none."""
    return _Position("rejected", method, "unlocated", provenance=_NO_PROVENANCE | {
        "pos_method": method}, note=note)


def _from_geometry(geom: BaseGeometry, crs: SourceCRS, method: str, row: int, ctx: _Context,
                   problems: list[Problem]) -> _Position:
    check: PositionCheck = check_position(geom, crs, ctx.district_m, fix_swaps=True,
                                          tolerance_m=PROJECT_TOLERANCE_M)
    problems.extend(check.problems)
    if check.rejected:
        return _no_position(method, "; ".join(p.message for p in check.problems))
    fixed = any(p.action == "fixed" for p in problems)
    conversion = "" if crs.name == "wgs84" else f", {crs.label}→wgs84 conversion"
    fixes = [p.code for p in problems if p.action == "fixed"]
    what = "coordinates" if method == "coordinates" else "geometry"
    kind = geometry_kind(check.geometry.geom_type)
    return _Position(
        "fixed" if fixed else "placed", method, "street" if kind == "line" else "site",
        geometry=check.geometry, matched_on=method,
        provenance={"pos_source": f"{ctx.filename}, row {row}", "pos_source_crs": crs.label,
                    "pos_method": f"{what} from the imported file{conversion}"
                                  + (f"; fixed: {', '.join(fixes)}" if fixes else ""),
                    "pos_confidence": "medium", "pos_refs": []},
        note=f"{what} from the file" + (f" ({', '.join(fixes)} fixed)" if fixes else ""))


def _merge_candidates(*groups: tuple[Candidate, ...]) -> tuple[Candidate, ...]:
    best: dict[str, Candidate] = {}
    for group in groups:
        for c in group:
            if c.place_id not in best or c.score > best[c.place_id].score:
                best[c.place_id] = c
    return tuple(sorted(best.values(), key=lambda c: -c.score)[:5])


def _from_gazetteer(address: str, name: str, ctx: _Context, problems: list[Problem]) -> _Position:
    attempts: list[tuple[str, AddressMatch]] = []
    for what, text in (("address", address), ("name", name)):
        if text:
            result = ctx.matcher.match(text)
            attempts.append((what, result))
            if result.located:
                break
    what, result = attempts[-1]
    if not result.located:
        first_what, first = attempts[0]
        candidates = _merge_candidates(*(r.candidates for _, r in attempts))
        notes = "; ".join(f"{w} {r.query!r}: {r.note}" for w, r in attempts)
        problems.append(Problem(first.method, "note", notes))
        shown = ", ".join(f"{c.name_zh} ({c.score:.2f})" for c in candidates[:3])
        return _Position("unlocated", first.method, "unlocated", score=first.score,
                         matched_on=first_what, candidates=candidates,
                         provenance=_NO_PROVENANCE | {"pos_method": f"gazetteer: {first.method}"},
                         note=f"Not located: {notes}" + (f". Closest: {shown}" if shown else ""))
    place = ctx.atlas.places[result.place_id]
    weak = ("low",) if result.method in ("fuzzy", "road", "name-in-address") else ()
    return _Position(
        "placed", result.method, result.precision, geometry=result.geometry, score=result.score,
        matched_on=what, place_id=place.id, candidates=result.candidates,
        provenance={"pos_source": place.source, "pos_source_crs": place.source_crs or "",
                    "pos_method": f"gazetteer {result.method} match of the {what} "
                                  f"{result.query!r} to {place.id} (score {result.score:.2f})",
                    "pos_confidence": _weakest(place.confidence, *weak), "pos_refs": [place.id]},
        note=f"Position of gazetteer place {place.name_zh} ({place.id}), matched by {what}: "
             f"{result.note}")


def _locate(record: Mapping[str, object], mapping: Mapping[str, str], geometry: BaseGeometry | None,
            geometry_error: str | None, row: int, address: str, name: str, ctx: _Context,
            problems: list[Problem]) -> _Position:
    if geometry_error is not None:
        problems.append(Problem("invalid-geometry", "rejected", geometry_error))
        return _no_position("geometry", geometry_error)
    if geometry is not None:
        return _from_geometry(geometry, ctx.geometry_crs, "geometry", row, ctx, problems)
    if "lon" in mapping and "lat" in mapping:
        parsed = {}
        for axis in ("lon", "lat"):
            raw = record.get(mapping[axis])
            try:
                parsed[axis] = parse_coordinate(raw)
            except CoordinateError as exc:
                problems.append(Problem("unparsable-coordinate", "rejected", f"{axis}: {exc}"))
                return _no_position("coordinates", str(exc))
        lon, lat = parsed["lon"], parsed["lat"]
        if (lon.value is None) != (lat.value is None):
            missing, given = ("lon", "lat") if lon.value is None else ("lat", "lon")
            message = (f"{missing} is empty but {given} is given ({record.get(mapping[given])!r}); "
                       "a point needs both")
            problems.append(Problem("incomplete-coordinates", "rejected", message))
            return _no_position("coordinates", message)
        if lon.value is not None and lat.value is not None:
            for fix in dict.fromkeys((*lon.fixes, *lat.fixes)):
                raw = (record.get(mapping["lon"]), record.get(mapping["lat"]))
                problems.append(Problem(fix, "fixed", {
                    "full-width": f"full-width characters converted: {raw[0]!r}, {raw[1]!r}",
                    "dms": f"degrees-minutes-seconds converted: {raw[0]!r}, {raw[1]!r} → "
                           f"{lon.value:.7f}, {lat.value:.7f}",
                }[fix]))
            point = shapely.Point(lon.value, lat.value)
            return _from_geometry(point, ctx.declared, "coordinates", row, ctx, problems)
    if not address and not name:
        message = "no coordinates, no address and no name to place the row by"
        problems.append(Problem("nothing-to-place", "rejected", message))
        return _no_position("none", message)
    return _from_gazetteer(address, name, ctx, problems)


def _make_id(value: str, row: int, taken: set[str], problems: list[Problem]) -> str:
    candidate = re.sub(r"[\s_]+", "-", value.strip().lower())
    generated = f"import-{row:04d}"
    if candidate:
        try:
            check_id(candidate, "id")
        except ValueError:
            problems.append(Problem("id-generated", "note",
                                    f"id {value!r} is not a slug (a-z, 0-9, -); used {generated!r}"))
            candidate = ""
    if candidate and candidate in taken:
        problems.append(Problem("id-generated", "note", f"id {value!r} repeats; used {generated!r}"))
        candidate = ""
    out = candidate or generated
    while out in taken:
        out += "-x"
    taken.add(out)
    return out


def _year(value: str, problems: list[Problem]) -> int | None:
    if not value:
        return None
    match = re.fullmatch(r"(\d{4})(?:年|\.0)?", normalise_text(value))
    year = int(match[1]) if match else None
    if year is None or not 2024 <= year <= 2040:
        problems.append(Problem("invalid-year", "note",
                                f"target year {value!r} is not a year 2024-2040; left empty"))
        return None
    return year


def _attributes(get: Callable[[str], str], position: _Position, project_id: str, display: str,
                ctx: _Context, problems: list[Problem]) -> dict[str, object]:
    """The frame columns of a row that was not rejected (codes checked, defaults noted)."""
    layer = _coded(get("layer"), ctx.layers, "layer", problems, DEFAULT_LAYER)
    spec = ctx.atlas.spec(layer)
    category = _coded(get("category"), ctx.categories[layer], "category", problems)
    status = _coded(get("status"), ctx.statuses, "status", problems)
    action = _coded(get("action"), ctx.actions, "action", problems)
    subdistrict = _coded(get("subdistrict"), ctx.subdistricts, "subdistrict", problems, "unknown")
    if position.geometry is not None and geometry_kind(position.geometry.geom_type) not in spec.geometry:
        problems.append(Problem("layer-geometry", "note",
                                f"a {geometry_kind(position.geometry.geom_type)} in layer {layer!r}, "
                                f"which is drawn for {list(spec.geometry)}"))
    name, name_en, address = get("name"), get("name_en"), get("address")
    name_zh = name or name_en or address or display
    return {
        "id": project_id, "name_zh": name_zh,
        "name_en": name_en or ("" if _CJK.search(name_zh) else name_zh),
        "aliases": [a.strip() for a in _ALIAS_SPLIT.split(get("aliases")) if a.strip()],
        "layer": layer, "category": category, "action": action,
        "action_en": ctx.atlas.vocab.actions.get(action, ""), "status": status,
        "target_year": _year(get("target_year"), problems), "subdistrict": subdistrict,
        "address": address, "precision": position.precision, "report_section": "",
        "report_paragraph": "", "report_ref": "", "description": get("description"),
        "position_note": position.note, **position.provenance, "geometry": position.geometry,
    }


def _place_row(row: int, record: Mapping[str, object], geometry: BaseGeometry | None,
               geometry_error: str | None, mapping: Mapping[str, str], ctx: _Context,
               taken: set[str]) -> tuple[dict[str, object] | None, RowReport]:
    """Place one row: its frame columns (None when rejected) and its report line."""
    def get(name: str) -> str:
        return _text(record.get(mapping[name])) if name in mapping else ""

    problems: list[Problem] = []
    name, name_en, address = get("name"), get("name_en"), get("address")
    position = _locate(record, mapping, geometry, geometry_error, row, address, name, ctx, problems)
    display = name or name_en or address
    if not display:
        display = f"未命名 {row}"
        if position.status != "rejected":
            problems.append(Problem("no-name", "note", f"the row has no name; called it {display!r}"))
    project_id = _make_id(get("id"), row, taken, problems)
    values = None if position.status == "rejected" else _attributes(
        get, position, project_id, display, ctx, problems)
    lon, lat = _representative(position.geometry)
    return values, RowReport(
        row=row, id=project_id, name=display, status=position.status, method=position.method,
        precision=position.precision, score=position.score, matched_on=position.matched_on,
        place_id=position.place_id, lon=lon, lat=lat, problems=tuple(problems),
        candidates=position.candidates)


def _geometry_crs(declared: SourceCRS, table: RawTable, notes: list[str]) -> SourceCRS:
    """The CRS of the file's own geometries: the file's, when it names one, else the declared."""
    if table.file_crs is None:
        return declared
    if declared.name != "wgs84" and declared != table.file_crs:
        notes.append(f"the file's geometries are in {table.file_crs.label} (as the file says); "
                     f"the declared {declared.label} applies only to lon/lat columns")
    return table.file_crs


def import_file(source: bytes | str | os.PathLike | BinaryIO, *, filename: str | None = None,
                crs: str = "wgs84", encoding: str | None = None,
                mapping: Mapping[str, str | None] | None = None, atlas: Atlas,
                threshold: float = FUZZY_THRESHOLD) -> ImportResult:
    """Read, map, place and report a register file. See the module docstring for the rules.

    `source` is a path or the file's bytes (then `filename` tells the format); `crs` is the
    declared CRS of the coordinates (wgs84, gcj02, bd09 or an EPSG code); `mapping` overrides
    inferred columns (field -> column; None unmaps). Raises ImportFileError (unusable file) or
    UnknownCRSError (bad `crs`); a bad row is never an error, only a line of the report.

    >>> from app.data.atlas import load_atlas
    >>> csv_bytes = "名称,地址\\n天山公园改造,天山公园\\n某项目,火星基地\\n".encode()
    >>> result = import_file(csv_bytes, filename="r.csv", atlas=load_atlas())
    >>> [(r.status, r.method) for r in result.report.rows]
    [('placed', 'exact'), ('unlocated', 'no-match')]
    >>> result.frame["precision"].tolist(), result.report.summary["unlocated"]
    (['site', 'unlocated'], 1)
    """
    declared = parse_source_crs(crs)
    table = read_table(source, filename=filename, encoding=encoding)
    label = filename or (Path(source).name if isinstance(source, str | os.PathLike) else "upload")
    used = resolve_mapping(table.columns, mapping)
    if ("lon" in used) != ("lat" in used):
        have, lack = ("lon", "lat") if "lon" in used else ("lat", "lon")
        raise ImportFileError(f"{label}: {have} is mapped to {used[have]!r} but {lack} is not; "
                              f"map both (columns: {list(table.columns)})")
    if not ({"name", "name_en", "address", "lon"} & set(used)) and table.geometries is None:
        raise ImportFileError(
            f"{label}: no column for a name, an address or coordinates among {list(table.columns)}; "
            "map one, e.g. name=<column> or lon=<column> lat=<column>")
    notes = list(table.notes)
    geometry_crs = _geometry_crs(declared, table, notes)
    ctx = _context(atlas, declared, geometry_crs, label, threshold)
    records = table.frame.to_dict(orient="records")
    geoms = table.geometries or (None,) * len(records)
    taken: set[str] = set()
    values, reports = [], []
    for i, record in enumerate(records):
        row_values, report = _place_row(i + 1, record, geoms[i], table.geometry_errors.get(i),
                                        used, ctx, taken)
        reports.append(report)
        if row_values is not None:
            values.append(row_values)
    frame = _frame(values, atlas)
    source_info = {"filename": label, "format": table.format, "encoding": table.encoding,
                   "crs": declared.label, "geometry_crs": geometry_crs.label
                   if table.geometries is not None else None,
                   "threshold": threshold, "notes": notes, "mapping": dict(used)}
    return ImportResult(frame=frame, report=ImportReport(tuple(reports), source_info), mapping=used)


def _frame(values: list[dict[str, object]], atlas: Atlas) -> gpd.GeoDataFrame:
    columns = list(PROJECT_COLUMNS)
    data = pd.DataFrame([{k: v[k] for k in columns} for v in values], columns=columns)
    geoms = gpd.GeoSeries([v["geometry"] for v in values], crs="EPSG:4326", index=data.index)
    frame = gpd.GeoDataFrame(data, geometry=geoms, crs="EPSG:4326")
    frame["target_year"] = frame["target_year"].astype("Int64")
    frame["search_text"] = search_text(
        frame, {pid: (p.name_zh, p.name_en, *p.aliases) for pid, p in atlas.places.items()})
    return frame
