"""Reading register files: CSV, Excel, GeoJSON and GeoPackage into a :class:`RawTable`, bounded.

:func:`read_table` detects the format (:func:`detect_format`), checks the file's size, reads it
and tidies the table: headers stripped and unique, blank rows dropped. Every bound of
:mod:`app.io.limits` is checked before the work it bounds: the size before reading, an
``.xlsx`` archive's inflated size before openpyxl opens it, rows while reading (a CSV or a
sheet is read only until its first row over :data:`~app.io.limits.MAX_ROWS`), the feature
count of a GeoJSON or GeoPackage before its features are built. CSV text is UTF-8, UTF-8 with
BOM, UTF-16 with BOM, or a legacy Chinese/Japanese encoding checked for plausibility
(:mod:`app.io.charset`).

>>> t = read_table("名称,经度,纬度\\n天山公园,121.41,31.21\\n".encode("gbk"), filename="a.csv")
>>> t.columns, t.encoding, len(t.frame)
(('名称', '经度', '纬度'), 'gb18030', 1)
>>> read_table(b"", filename="a.csv")
Traceback (most recent call last):
...
app.errors.ImportFileError: a.csv: the file is empty: no header row
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
import xml.etree.ElementTree as ET
import zipfile
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
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

from app.domain.messages import keyed
from app.errors import ImportFileError
from app.geo.coords import SourceCRS, parse_source_crs
from app.io.charset import decode_text
from app.io.gpkg_check import check_geopackage
from app.io.limits import (
    FILE_PARSE,
    MAX_FILE_BYTES,
    MAX_ROWS,
    ParseLimits,
    check_file_size,
    check_xlsx_archive,
)
from app.io.sandbox import run_bounded

__all__ = ["FORMATS", "RawTable", "cell_text", "detect_format", "is_blank", "read_table"]

#: File formats, by the name :func:`detect_format` gives them.
FORMATS: tuple[str, ...] = ("csv", "xlsx", "geojson", "gpkg")
_EXTENSIONS = {".csv": "csv", ".txt": "csv", ".tsv": "csv", ".xlsx": "xlsx", ".xlsm": "xlsx",
               ".geojson": "geojson", ".json": "geojson", ".gpkg": "gpkg"}


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
        raise keyed(ImportFileError, "err.xls", label=filename)
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
    if suffix:
        raise keyed(ImportFileError, "err.unknown_type", label=filename, suffix=suffix)
    raise keyed(ImportFileError, "err.no_extension", label=filename or "?")


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
    #: row -> what reading had to repair in its geometry (e.g. a ring closed)
    geometry_fixes: Mapping[int, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.format not in FORMATS:
            raise ValueError(f"format must be one of {FORMATS}, got {self.format!r}")
        if self.geometries is not None and len(self.geometries) != len(self.frame):
            raise ValueError(f"{len(self.geometries)} geometries for {len(self.frame)} rows")

    @property
    def columns(self) -> tuple[str, ...]:
        """The column headers, in file order."""
        return tuple(str(c) for c in self.frame.columns)


def _header_row(cells: pd.DataFrame) -> pd.DataFrame:
    """The first row of `cells` as the header (pandas would rename repeated headers)."""
    if cells.empty:
        raise keyed(ImportFileError, "err.file_empty")
    headers = [cell_text(v) for v in cells.iloc[0]]
    return cells.iloc[1:].set_axis(headers, axis=1).reset_index(drop=True)


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
        raise keyed(ImportFileError, "err.geojson_crs", name=name)
    found = parse_source_crs(f"EPSG:{match[1]}")
    return None if found.name == "wgs84" else found


def _not_json(exc: Exception) -> ImportFileError:
    """The error for text that is not JSON: where it fails (lines and columns say it in any
    language), and the parser's own words for English readers."""
    if isinstance(exc, json.JSONDecodeError):
        return keyed(ImportFileError, "err.not_json_at", line=exc.lineno, column=exc.colno,
                     en_reason=exc.msg)
    if isinstance(exc, RecursionError):
        return keyed(ImportFileError, "err.parse_nested")
    return keyed(ImportFileError, "err.not_json", en_reason=str(exc))


def _cell(value: object) -> object:
    """A property value as a table cell: nested JSON as text."""
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False)
    return value


# What the parsing libraries raise on malformed input; the readers turn it into ImportFileError.
_EXCEL_ERRORS = (zipfile.BadZipFile, KeyError, ValueError, OSError, TypeError, IndexError,
                 ET.ParseError)
_JSON_ERRORS = (json.JSONDecodeError, UnicodeDecodeError, RecursionError)
# A GeoJSON Feature's type member, counted in the raw bytes before parsing.
_FEATURE = re.compile(rb'"type"\s*:\s*"Feature"')

def _source_bytes(source: bytes | bytearray | memoryview | str | os.PathLike | BinaryIO) -> bytes:
    """The file's bytes; its size is checked against :data:`MAX_FILE_BYTES` before reading."""
    if isinstance(source, bytes | bytearray | memoryview):
        check_file_size(len(source))
        return bytes(source)
    if isinstance(source, str | os.PathLike):
        path = Path(source)
        try:
            if path.is_file():
                check_file_size(path.stat().st_size)
            return path.read_bytes()
        except FileNotFoundError as exc:
            raise ImportFileError(f"no such file: {path}") from exc
        except IsADirectoryError as exc:
            raise ImportFileError(f"{path} is a folder, not a file") from exc
        except PermissionError as exc:
            raise ImportFileError(f"cannot read {path}: permission denied") from exc
    if hasattr(source, "read"):
        data = source.read(MAX_FILE_BYTES + 1)
        if isinstance(data, bytes | bytearray):
            check_file_size(len(data))
            return bytes(data)
        raise ImportFileError(f"the file object gave {type(data).__name__}, not bytes")
    raise ImportFileError(f"cannot import from a {type(source).__name__}; give a path or bytes")


def _too_many_rows(seen: int) -> ImportFileError:
    return keyed(ImportFileError, "err.too_many_rows", max=MAX_ROWS, seen=seen)


def _bounded_rows(rows: Iterable[Sequence[object]]) -> tuple[list[list[object]], int]:
    """(header and data rows, blank rows skipped): `rows` read only until the first data row
    over MAX_ROWS. Rows whose cells are all blank are counted, not kept (a sheet may hold a
    million styled but empty rows)."""
    out: list[list[object]] = []
    blank = 0
    for cells in rows:
        if all(is_blank(c) for c in cells):
            blank += 1 if out else 0  # blank lines above the header are not rows of the table
            continue
        if len(out) > MAX_ROWS:  # the header plus MAX_ROWS data rows are in already
            raise _too_many_rows(len(out))
        out.append(list(cells))
    return out, blank


def _blank_note(skipped: int) -> tuple[str, ...]:
    return (f"{skipped} blank row(s) skipped",) if skipped else ()


def _grid(rows: list[list[object]]) -> pd.DataFrame:
    """Rows of cells as a frame of objects, short rows padded with None."""
    width = max((len(r) for r in rows), default=0)
    return pd.DataFrame([r + [None] * (width - len(r)) for r in rows], dtype=object)


def _separator(text: str) -> str:
    """The separator of a delimited text, guessed from its first non-blank line."""
    header = next((line for line in io.StringIO(text) if line.strip()), "")
    if not header:
        raise keyed(ImportFileError, "err.file_empty")
    sep = max((",", "\t", ";", "|"), key=header.count)
    return sep if header.count(sep) else ","


def _read_csv(data: bytes, encoding: str | None) -> RawTable:
    text, used = decode_text(data, encoding)
    if "\x00" in text:
        raise keyed(ImportFileError, "err.csv_binary")
    text = text.lstrip("\ufeff")
    sep = _separator(text)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=sep)
    try:
        rows, skipped = _bounded_rows(r for r in reader if r)
    except csv.Error as exc:
        raise keyed(ImportFileError, "err.csv_unreadable", encoding=used, sep=repr(sep),
                    line=reader.line_num, en_reason=str(exc)) from exc
    width = len(rows[0]) if rows else 0
    for number, cells in enumerate(rows[1:], start=2):
        if len(cells) > width:
            raise keyed(ImportFileError, "err.csv_row_width", encoding=used, sep=repr(sep),
                        row=number, n=len(cells), width=width)
    cells = _grid(rows)
    frame = _header_row(cells.where(cells.notna(), ""))
    notes = [f"encoding {used}" + (" (given)" if encoding else " (detected)")]
    if sep != ",":
        notes.append(f"separator {sep!r}")
    return RawTable("csv", frame, encoding=used, notes=(*notes, *_blank_note(skipped)))


def _read_xlsx(data: bytes) -> RawTable:
    check_xlsx_archive(data)
    try:
        import openpyxl
        from openpyxl.utils.exceptions import InvalidFileException
    except ImportError as exc:
        raise ImportFileError("reading .xlsx needs openpyxl: pip install openpyxl") from exc
    try:
        book = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (*_EXCEL_ERRORS, InvalidFileException) as exc:
        raise keyed(ImportFileError, "err.xlsx_unreadable", en_reason=str(exc)) from exc
    try:
        sheets = book.sheetnames
        if not sheets:
            raise keyed(ImportFileError, "err.xlsx_no_sheets")
        rows, skipped = _bounded_rows(book[sheets[0]].iter_rows(values_only=True))
    except _EXCEL_ERRORS as exc:
        raise keyed(ImportFileError, "err.xlsx_unreadable", en_reason=str(exc)) from exc
    finally:
        book.close()
    cells = _grid(rows)
    used = [i for i in range(cells.shape[1]) if cells.iloc[:, i].notna().any()]
    cells = cells.iloc[:, :used[-1] + 1] if used else cells.iloc[:, :0]
    frame = _header_row(cells)
    notes = [f"sheet {sheets[0]!r}" + (f" (the first of {len(sheets)}: {sheets})" if len(sheets) > 1 else "")]
    return RawTable("xlsx", frame, notes=(*notes, *_blank_note(skipped)))


def _unclosed_rings(raw: object) -> int:
    """How many rings of a GeoJSON (Multi)Polygon do not end where they start."""
    if not isinstance(raw, Mapping) or raw.get("type") not in ("Polygon", "MultiPolygon"):
        return 0
    polygons = raw.get("coordinates")
    if not isinstance(polygons, list):
        return 0
    if raw["type"] == "Polygon":
        polygons = [polygons]
    return sum(1 for polygon in polygons if isinstance(polygon, list)
               for ring in polygon if isinstance(ring, list) and len(ring) > 1
               and ring[0] != ring[-1])


def _read_geojson(data: bytes) -> RawTable:
    declared = 0
    for _ in _FEATURE.finditer(data):  # a cheap count before parsing: refuse a flood early
        declared += 1
        if declared > MAX_ROWS:
            raise keyed(ImportFileError, "err.too_many_features", max=MAX_ROWS)
    text, used = decode_text(data, None)
    try:
        doc = json.loads(text)
    except _JSON_ERRORS as exc:
        raise _not_json(exc) from exc
    if not isinstance(doc, dict):
        raise keyed(ImportFileError, "err.geojson_not_object", kind=type(doc).__name__)
    kind = doc.get("type")
    if kind == "FeatureCollection":
        features = doc.get("features")
    elif kind == "Feature":
        features = [doc]
    else:
        raise keyed(ImportFileError, "err.geojson_type", kind=repr(kind))
    if not isinstance(features, list):
        raise keyed(ImportFileError, "err.geojson_features")
    if len(features) > MAX_ROWS:
        raise keyed(ImportFileError, "err.too_many_features", max=MAX_ROWS)
    rows, geoms, errors, fixes = [], [], {}, {}
    for i, feature in enumerate(features):
        if not isinstance(feature, dict):
            raise keyed(ImportFileError, "err.geojson_feature", i=i, value=f"{feature!r:.60}")
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
            unclosed = _unclosed_rings(raw) if i not in errors else 0
            if unclosed:
                fixes[i] = (f"{unclosed} polygon ring(s) did not end at their first position "
                            "(RFC 7946 §3.1.6); closed by repeating it")
        geoms.append(geom)
    frame = pd.DataFrame(rows, dtype=object)
    if frame.empty and len(rows):
        frame = pd.DataFrame(index=range(len(rows)))
    return RawTable("geojson", frame, tuple(geoms), errors, file_crs=_crs_member(doc),
                    encoding=used, notes=(f"{len(features)} features",), geometry_fixes=fixes)


def _read_gpkg(data: bytes) -> RawTable:
    check_geopackage(data)  # views, triggers, generated columns: refused before GDAL opens it
    import pyogrio
    from pyogrio import errors as ogr

    failures = (ogr.DataSourceError, ogr.DataLayerError, ogr.CRSError, ogr.FeatureError,
                ogr.FieldError, ogr.GeometryError, ValueError, TypeError)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            layers = pyogrio.list_layers(io.BytesIO(data))
            if len(layers) == 0:
                raise keyed(ImportFileError, "err.gpkg_no_layers")
            name = str(layers[0][0])
            count = int(pyogrio.read_info(io.BytesIO(data), layer=name)["features"])
            if count > MAX_ROWS:
                raise keyed(ImportFileError, "err.gpkg_too_many", name=repr(name), n=count,
                            max=MAX_ROWS)
            frame = pyogrio.read_dataframe(io.BytesIO(data), layer=name, max_features=MAX_ROWS + 1)
    except ImportFileError:
        raise
    except failures as exc:
        raise keyed(ImportFileError, "err.gpkg_read", en_reason=str(exc)) from exc
    notes = [f"layer {name!r}" + (f" (the first of {len(layers)})" if len(layers) > 1 else "")]
    geoms = None
    file_crs = None
    if isinstance(frame, gpd.GeoDataFrame):
        geoms = tuple(None if g is None or g.is_empty else g for g in frame.geometry.values)
        if frame.crs is not None:
            code = frame.crs.to_epsg()
            if code is None:
                raise keyed(ImportFileError, "err.crs_no_epsg", name=frame.crs.name)
            found = parse_source_crs(f"EPSG:{code}")
            file_crs = None if found.name == "wgs84" else found
            notes.append(f"file CRS EPSG:{code}")
        frame = pd.DataFrame(frame.drop(columns=frame.geometry.name))
    return RawTable("gpkg", frame.astype(object), geoms, file_crs=file_crs, notes=tuple(notes))


def read_table(source: bytes | str | os.PathLike | BinaryIO, *, filename: str | None = None,
               encoding: str | None = None, limits: ParseLimits = FILE_PARSE,
               should_stop: Callable[[], bool] | None = None) -> RawTable:
    """Read a file as a :class:`RawTable` (the import page's preview, and the importer's input).

    `source` is a path, bytes or a binary file object; `filename` tells the format of bytes.
    Blank rows are dropped; headers are stripped and must not be empty or repeated.
    ImportFileError says why a file is unusable, naming the bound when one is exceeded.
    The file is read here; it is parsed in a worker process under `limits` (the app passes
    :data:`~app.io.limits.UPLOAD_PARSE`), which `should_stop` may end early
    (:func:`app.io.sandbox.run_bounded`).

    >>> read_table(b"name\\n" + b"x\\n" * 60_000, filename="a.csv")
    Traceback (most recent call last):
    ...
    app.errors.ImportFileError: a.csv: more than 50000 data rows (reading stopped at data row 50001); at most 50000 are imported at once: split the register
    """
    if filename is None and isinstance(source, str | os.PathLike):
        filename = Path(source).name
    label = filename or "the file"
    try:
        data = _source_bytes(source)
    except ImportFileError as exc:
        raise keyed(ImportFileError, "err.in_file", label=label, error=exc) from exc
    fmt = detect_format(filename, data)
    return run_bounded(_parse, data, fmt, label, encoding, limits=limits, should_stop=should_stop)


def _parse(data: bytes, fmt: str, label: str, encoding: str | None) -> RawTable:
    """The file's bytes as a tidy RawTable (run in a parse worker by :func:`read_table`)."""
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
        raise keyed(ImportFileError, "err.in_file", label=label, error=exc) from exc
    return _tidy(table, label)


def is_blank(value: object) -> bool:
    """Whether a cell is empty: None, NaN, NA, NaT or blank text.

    >>> is_blank("  "), is_blank(float("nan")), is_blank(0)
    (True, True, False)
    """
    return value is None or (isinstance(value, float) and math.isnan(value)) or (
        isinstance(value, str) and not value.strip()) or value is pd.NaT or value is pd.NA


def _tidy(table: RawTable, label: str) -> RawTable:
    """Strip headers, refuse empty/duplicate ones, drop blank rows, enforce MAX_ROWS."""
    frame = table.frame
    headers = [str(c).strip() for c in frame.columns]
    if any(not h for h in headers):
        raise keyed(ImportFileError, "err.in_file", label=label,
                    error=keyed(ImportFileError, "err.no_header"))
    dupes = sorted(h for h, n in Counter(headers).items() if n > 1)
    if dupes:
        raise keyed(ImportFileError, "err.in_file", label=label,
                    error=keyed(ImportFileError, "err.repeated_headers", names=str(dupes)))
    frame = frame.set_axis(headers, axis=1).astype(object)
    frame = frame.where(frame.notna(), None)
    keep = np.array([not all(is_blank(v) for v in row) for row in frame.itertuples(index=False)],
                    dtype=bool) if len(frame.columns) else np.zeros(len(frame), dtype=bool)
    geoms = table.geometries
    errors = dict(table.geometry_errors)
    fixes = dict(table.geometry_fixes)
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
            fixes = {new: fixes[old] for new, old in enumerate(positions) if old in fixes}
    if len(frame) == 0:
        raise keyed(ImportFileError, "err.in_file", label=label,
                    error=keyed(ImportFileError, "err.no_rows"))
    if len(frame) > MAX_ROWS:
        raise keyed(ImportFileError, "err.in_file", label=label,
                    error=keyed(ImportFileError, "err.too_many_rows", max=MAX_ROWS, seen=len(frame)))
    return RawTable(table.format, frame.reset_index(drop=True), geoms, errors, table.file_crs,
                    table.encoding, tuple(notes), fixes)


def cell_text(value: object) -> str:
    """A cell as trimmed text ('' for empty); whole floats lose their '.0'.

    >>> cell_text(2025.0), cell_text(None), cell_text(" 天山 ")
    ('2025', '', '天山')
    """
    if is_blank(value):
        return ""
    if isinstance(value, float | np.floating) and math.isfinite(value) and float(value).is_integer():
        return str(int(value))
    if isinstance(value, datetime | date | pd.Timestamp):
        return value.isoformat()
    return str(value).strip()


