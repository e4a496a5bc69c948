"""GeoJSON (RFC 7946) writing, fast: every feature is built and joined by Arrow.

WGS-84 lon/lat, no ``crs`` member, exterior rings counter-clockwise and holes clockwise
(:mod:`app.io.prepare`), feature ``id`` = project id, unlocated projects as
``"geometry": null``, the export's metadata as top-level foreign members. Geometry is
serialised in bulk by shapely (no Python loop over coordinates); property values are escaped
a column at a time with Arrow compute and every feature is joined by Arrow (no Python loop
over features).

>>> import geopandas as gpd
>>> from shapely import Point
>>> frame = gpd.GeoDataFrame({"id": ["a", "b"], "name_zh": ["甲", "<乙>"]},
...                          geometry=[Point(121.123456789, 31.2), None], crs="EPSG:4326")
>>> text = geojson_text(frame, columns=["id", "name_zh"], metadata={})
>>> '"coordinates":[121.1234568,31.2]' in text, '"geometry":null' in text
(True, True)
"""

from __future__ import annotations

import itertools
import json
import math
from collections.abc import Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from json.encoder import encode_basestring
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pyarrow as pa  # installed with pandas' Arrow strings and with streamlit
import pyarrow.compute as pc
import shapely

from app.errors import ExportError
from app.io.jsontext import json_contents
from app.io.prepare import COORD_DECIMALS, Prepared, prepare_frame

__all__ = ["geojson_bytes", "geojson_text"]

_RESERVED_MEMBERS = frozenset({"type", "features", "crs", "bbox"})


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
# What json.dumps(..., ensure_ascii=False) writes for each control character.
_CONTROL_ESCAPES = {chr(c): f"\\u{c:04x}" for c in range(32)} | {
    "\b": "\\b", "\f": "\\f", "\n": "\\n", "\r": "\\r", "\t": "\\t"}


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
    contents = json_contents(flat, encode_basestring)
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


def geojson_bytes(prep: Prepared, metadata: Mapping[str, Any]) -> bytes:
    """One FeatureCollection (UTF-8) of a prepared frame; `metadata` as top-level members.

    >>> empty = prepare_frame(gpd.GeoDataFrame({"id": []}, geometry=[], crs="EPSG:4326"), ["id"], "wgs84")
    >>> geojson_bytes(empty, {"bbox": 1})
    Traceback (most recent call last):
    ...
    app.errors.ExportError: metadata may not use the GeoJSON member name(s) ['bbox']
    """
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
    return geojson_bytes(prepare_frame(frame, columns, crs), metadata).decode("utf-8")
