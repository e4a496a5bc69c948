"""The one CSV writer: every CSV the atlas produces (exports, audit downloads) comes from here.

:func:`csv_bytes` writes UTF-8 with a byte-order mark (so Excel opens Chinese text
correctly), CRLF line ends, booleans as ``true``/``false``, and neutralises formulas: a text
cell (or header) that starts with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return gets a
leading apostrophe, so a spreadsheet shows it as text instead of running it
(CSV injection, OWASP).

>>> import pandas as pd
>>> frame = pd.DataFrame({"name": ['=HYPERLINK("http://x","y")', "天山公园"], "n": [-1, 2]})
>>> csv_bytes(frame).decode("utf-8-sig").splitlines()
['name,n', '"\\'=HYPERLINK(""http://x"",""y"")",-1', '天山公园,2']
>>> csv_bytes(pd.DataFrame()).decode("utf-8-sig")
'\\r\\n'
"""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd
import shapely

from app.io.prepare import COORD_DECIMALS, Prepared, flat_properties

__all__ = ["CSV_METADATA_COLUMNS", "FORMULA_START", "csv_bytes", "neutralise_cell",
           "prepared_csv_bytes"]

#: The export metadata a CSV repeats in a column of its own on every row (a CSV has no place
#: for file-level metadata): which data it holds, and the day it shows the register as of.
CSV_METADATA_COLUMNS: tuple[str, ...] = ("data_version", "asof")

#: Cells starting with these are run as formulas by spreadsheet programs.
FORMULA_START: tuple[str, ...] = ("=", "+", "-", "@", "\t", "\r")


def neutralise_cell(value: Any) -> Any:
    """A text cell that a spreadsheet would run as a formula, prefixed with an apostrophe.

    >>> neutralise_cell("@SUM(A1)"), neutralise_cell("-3"), neutralise_cell(-3), neutralise_cell(None)
    ("'@SUM(A1)", "'-3", -3, None)
    """
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


def csv_bytes(frame: pd.DataFrame) -> bytes:
    """`frame` as CSV bytes (no index): UTF-8 with BOM, CRLF, formulas neutralised (see above).

    Numbers stay numbers (a negative number is not a formula); text, headers included, is
    neutralised; booleans are written ``true``/``false``; missing values are empty cells.

    >>> csv_bytes(pd.DataFrame({"ok": [True, False], "note": [None, "+86 21"]}))[3:]
    b"ok,note\\r\\ntrue,\\r\\nfalse,'+86 21\\r\\n"
    """
    if not isinstance(frame, pd.DataFrame):
        raise TypeError(f"csv_bytes needs a pandas DataFrame, got {type(frame).__name__}")
    out = frame.copy()
    out.columns = [neutralise_cell(str(c)) for c in out.columns]
    for i in range(out.shape[1]):
        column = out.iloc[:, i]
        if pd.api.types.is_bool_dtype(column.dtype) and not column.isna().any():
            out.isetitem(i, np.where(column.to_numpy(dtype=bool), "true", "false"))
        elif not pd.api.types.is_numeric_dtype(column.dtype):
            out.isetitem(i, column.map(neutralise_cell))
    buffer = io.StringIO()
    # Floats print as their shortest repr: rounded coordinates keep at most 7 decimals.
    out.to_csv(buffer, index=False, lineterminator="\r\n", quoting=csv.QUOTE_MINIMAL)
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


_GEOMETRY_NAMES = np.array(["", "Point", "LineString", "LinearRing", "Polygon", "MultiPoint",
                            "MultiLineString", "MultiPolygon", "GeometryCollection"], dtype=object)


def prepared_csv_bytes(prep: Prepared, metadata: Mapping[str, Any] | None = None) -> bytes:
    """The export CSV: properties, then geometry type, lon/lat for points, WKT for the rest,
    then a column for each of :data:`CSV_METADATA_COLUMNS` that `metadata` holds (the same
    value on every row; an empty cell for None).

    >>> import geopandas as gpd
    >>> from app.io.prepare import prepare_frame
    >>> frame = gpd.GeoDataFrame({"id": ["a"]}, geometry=[None], crs="EPSG:4326")
    >>> prep = prepare_frame(frame, ["id"], "wgs84")
    >>> prepared_csv_bytes(prep, {"data_version": "5a4b+3@2025-06-30", "asof": "2025-06-30",
    ...                           "title": "x"}).decode("utf-8-sig").splitlines()
    ['id,geometry_repaired,geometry_type,lon,lat,wkt,data_version,asof', 'a,false,,,,,5a4b+3@2025-06-30,2025-06-30']
    >>> prepared_csv_bytes(prep, {"asof": None}).decode("utf-8-sig").splitlines()[1]
    'a,false,,,,,'
    """
    flat = flat_properties(prep.props)
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
    flat["geometry_type"] = _GEOMETRY_NAMES[type_ids + 1]
    flat[f"lon{suffix}"] = lon
    flat[f"lat{suffix}"] = lat
    flat[f"wkt{suffix}"] = wkt
    for name in CSV_METADATA_COLUMNS:
        if metadata is not None and name in metadata:
            value = metadata[name]
            flat[name] = pd.Series([None if value is None else str(value)] * len(flat),
                                   dtype=object)
    return csv_bytes(flat)
