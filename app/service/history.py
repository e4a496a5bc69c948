"""The living register's change log, out: one feature per change, as CSV or GeoJSON.

:func:`history_frame` reads a store's change log (``store.changes``, see
:mod:`app.data.living`) and turns each change into one row: who made it, when, from which day
it holds, whether it was reviewed, which fields it changed, the old and new values as JSON text
(geometry left out of them) and the old and new geometry as WKT. The row's geometry is the
geometry the change set, so a GIS shows where a project was placed or redrawn; a change that
set no geometry (an attribute or stage edit) has none. :func:`history_bytes` writes the frame
with the atlas's own writers: :func:`app.io.csvfile.csv_bytes` (the one CSV writer) and
:func:`app.io.geojson.geojson_bytes` (RFC 7946; the old geometry rides in ``old_wkt``).

The app's change-log page and ``python -m app history`` both go through here.

>>> import pandas as pd
>>> from app.data.living import change_row
>>> log = pd.DataFrame([
...     change_row(1, "p", "seed", {}, {"action": "开工", "geometry": None}, effective="2025-01-08"),
...     change_row(2, "p", "planner", {"geometry": None}, {"geometry": "POINT (121.4 31.2)"},
...                effective="2025-05-01", actor="李规划", reason="现场踏勘")])
>>> frame = changes_frame(log)
>>> frame[["id", "fields", "new", "new_wkt"]].values.tolist()
[[1, ['action', 'geometry'], '{"action": "开工"}', None], [2, ['geometry'], '{}', 'POINT (121.4 31.2)']]
>>> [g is None for g in frame.geometry]
[True, False]
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from app.data.living import check_date
from app.errors import ExportError, FilterError, SubmissionError
from app.io.csvfile import csv_bytes
from app.io.export import LICENCE
from app.io.geojson import geojson_bytes
from app.io.prepare import COORD_DECIMALS, flat_properties, prepare_frame
from app.store import AtlasStore

__all__ = [
    "CHANGE_LOG_COLUMNS",
    "HISTORY_FORMATS",
    "changes_frame",
    "check_since",
    "history_bytes",
    "history_file_name",
    "history_format",
    "history_frame",
    "history_metadata",
]

#: The properties of a change-log row, in file order (the geometry comes on top of them).
CHANGE_LOG_COLUMNS: tuple[str, ...] = (
    "id", "project_id", "source", "actor", "at", "effective", "status", "reason",
    "reviewed_by", "reviewed_at", "review_reason", "fields", "old", "new", "old_wkt", "new_wkt")

#: The formats a change log is written in, by name: their file suffix and MIME type.
HISTORY_FORMATS: dict[str, tuple[str, str]] = {
    "csv": (".csv", "text/csv"),
    "geojson": (".geojson", "application/geo+json"),
}

_SUFFIXES = {".csv": "csv", ".geojson": "geojson", ".json": "geojson"}
_NAME_PART = re.compile(r"[^A-Za-z0-9_-]+")


def _text_time(value: object) -> str | None:
    """A timestamp or day as ISO text (a store may return text, datetime or date)."""
    if value is None or value is pd.NaT or value is pd.NA or (
            isinstance(value, float) and math.isnan(value)):
        return None
    if isinstance(value, datetime):
        return value.isoformat(timespec="seconds")
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def _text(value: object) -> str | None:
    """A text cell, None when missing."""
    if value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value)):
        return None
    return str(value)


def _values(raw: object) -> dict[str, Any]:
    """The JSON object of an ``old``/``new`` cell ({} when empty)."""
    if raw is None or (isinstance(raw, float) and math.isnan(raw)) or raw == "":
        return {}
    value = json.loads(raw) if isinstance(raw, str) else raw
    return dict(value) if isinstance(value, Mapping) else {}


def _without_geometry(values: Mapping[str, Any]) -> str:
    return json.dumps({k: v for k, v in values.items() if k != "geometry"},
                      ensure_ascii=False, sort_keys=True)


def _changed_fields(old: Mapping[str, Any], new: Mapping[str, Any]) -> list[str]:
    """The field names a change touched: those it set, then any it only had before."""
    return [*new, *(k for k in old if k not in new)]


def changes_frame(changes: pd.DataFrame) -> gpd.GeoDataFrame:
    """A store's change-log rows (:data:`app.data.living.CHANGE_COLUMNS`) as the history
    frame: :data:`CHANGE_LOG_COLUMNS` plus the geometry each change set, WGS-84.

    >>> empty = changes_frame(pd.DataFrame())
    >>> list(empty.columns) == [*CHANGE_LOG_COLUMNS, "geometry"], len(empty), str(empty.crs)
    (True, 0, 'EPSG:4326')
    """
    n = len(changes)

    def column(name: str) -> list[object]:
        return changes[name].tolist() if n and name in changes.columns else [None] * n

    olds = [_values(v) for v in column("old")]
    news = [_values(v) for v in column("new")]
    old_wkt = [_text(v.get("geometry")) for v in olds]
    new_wkt = [_text(v.get("geometry")) for v in news]
    records = {
        "id": [int(v) for v in column("id")],
        "project_id": [str(v) for v in column("project_id")],
        **{name: [_text(v) for v in column(name)]
           for name in ("source", "actor", "status", "reason", "reviewed_by", "review_reason")},
        **{name: [_text_time(v) for v in column(name)] for name in ("at", "effective", "reviewed_at")},
        "fields": [_changed_fields(o, w) for o, w in zip(olds, news, strict=True)],
        "old": [_without_geometry(v) for v in olds], "new": [_without_geometry(v) for v in news],
        "old_wkt": old_wkt, "new_wkt": new_wkt}
    geometries = shapely.from_wkt(np.array(new_wkt, dtype=object))  # None stays None
    # object columns: a missing value stays None (pandas' own strings would make it NaN)
    data = pd.DataFrame({name: pd.Series(records[name], dtype=object) for name in CHANGE_LOG_COLUMNS})
    data["id"] = data["id"].astype("int64")
    return gpd.GeoDataFrame(data, geometry=gpd.GeoSeries(geometries, crs="EPSG:4326"),
                            crs="EPSG:4326")


def check_since(since: object) -> str | None:
    """`since` as a ``YYYY-MM-DD`` day (None or ``""``: no limit), else FilterError.

    >>> check_since("2025-06-01"), check_since(None), check_since("")
    ('2025-06-01', None, None)
    >>> check_since("June")
    Traceback (most recent call last):
    app.errors.FilterError: the since date must be a day written YYYY-MM-DD, got 'June'
    """
    if since is None or since == "":
        return None
    try:
        return check_date(since, "the since date")
    except SubmissionError as exc:
        raise FilterError(str(exc)) from None


def history_frame(store: AtlasStore, *, register: str = "", project_id: str | None = None,
                  since: str | None = None) -> gpd.GeoDataFrame:
    """The change log of `store` (one row per change, oldest first) as a GeoDataFrame.

    `register` is ``""`` for the built-in register; `project_id` keeps one project's changes
    (FilterError when the log has never recorded a change of it); `since` (``YYYY-MM-DD``)
    keeps the changes recorded on or after that day. Columns: :data:`CHANGE_LOG_COLUMNS` and
    the geometry the change set (None when it set none), WGS-84.

    >>> from app.store import Store
    >>> import tempfile, pathlib
    >>> store = Store(pathlib.Path(tempfile.mkdtemp()) / "s.sqlite")
    >>> len(history_frame(store))
    0
    >>> history_frame(store, project_id="no-such-project")
    Traceback (most recent call last):
    app.errors.FilterError: unknown project 'no-such-project': the change log holds no change of it
    """
    since = check_since(since)
    wanted = None if project_id in (None, "") else str(project_id)
    changes = store.changes(register=register, project_id=wanted, since=since)
    if wanted is not None and not len(changes) and (
            since is None or not len(store.changes(register=register, project_id=wanted))):
        raise FilterError(f"unknown project {wanted[:80]!r}: the change log holds no change of it")
    return changes_frame(changes)


def history_metadata(*, register: str = "", project_id: str | None = None,
                     since: str | None = None, revision: int | None = None) -> dict[str, Any]:
    """The top-level members of a change-log GeoJSON (RFC 7946 foreign members).

    >>> history_metadata(project_id="p", since="2025-06-01", revision=7)["filter"]
    {'register': 'built-in', 'project': 'p', 'since': '2025-06-01'}
    """
    return {
        "name": "changning-renewal-atlas-change-log",
        "title": "长宁区城市更新地图 变更记录 / Changning Urban Renewal Atlas: change log",
        "generated_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "filter": {"register": register or "built-in", "project": project_id or None,
                   "since": since or None},
        "store_revision": revision,
        "coordinate_system": "wgs84",
        "coordinate_decimals": COORD_DECIMALS,
        "geometry_note": ("feature geometry: the geometry the change set (null when it set none); "
                          "old_wkt / new_wkt: the geometry before and after, as recorded (WKT, WGS-84)"),
        "licence": LICENCE,
    }


def history_bytes(frame: gpd.GeoDataFrame, fmt: str, metadata: Mapping[str, Any] | None = None,
                  *, columns: tuple[str, ...] = CHANGE_LOG_COLUMNS) -> bytes:
    """The history frame as a ``csv`` or ``geojson`` file's bytes.

    CSV: the `columns` (default :data:`CHANGE_LOG_COLUMNS`; lists joined by ``'; '``), UTF-8
    with BOM, formulas neutralised. GeoJSON: one feature per change (feature id = change id),
    the new geometry as the feature's, `metadata` and ``feature_count`` as top-level members.
    The comparison of two days (:mod:`app.service.compare`) is written the same way.

    >>> history_bytes(changes_frame(pd.DataFrame()), "csv").decode("utf-8-sig").split(",")[:3]
    ['id', 'project_id', 'source']
    >>> history_bytes(changes_frame(pd.DataFrame()), "kml")
    Traceback (most recent call last):
    app.errors.ExportError: a change log is written as csv or geojson, not 'kml'
    """
    if fmt not in HISTORY_FORMATS:
        raise ExportError(f"a change log is written as {' or '.join(HISTORY_FORMATS)}, not {fmt!r}")
    if fmt == "csv":
        return csv_bytes(flat_properties(pd.DataFrame(frame[list(columns)])))
    prep = prepare_frame(frame, columns, "wgs84")
    return geojson_bytes(prep, {**dict(metadata or {}), "feature_count": len(frame)})


def history_format(path: str | Path, fmt: str | None = None) -> str:
    """The format to write `path` in: `fmt` when given, else told by the suffix.

    >>> history_format("log.CSV"), history_format("x.json"), history_format("x.txt", "geojson")
    ('csv', 'geojson', 'geojson')
    >>> history_format("log.txt")
    Traceback (most recent call last):
    app.errors.ExportError: cannot tell the format of 'log.txt' from its suffix: end it in .csv or .geojson, or give the format
    """
    if fmt is not None:
        if fmt not in HISTORY_FORMATS:
            raise ExportError(f"a change log is written as {' or '.join(HISTORY_FORMATS)}, not {fmt!r}")
        return fmt
    found = _SUFFIXES.get(Path(path).suffix.lower())
    if found is None:
        raise ExportError(f"cannot tell the format of {Path(path).name[:80]!r} from its suffix: "
                          "end it in .csv or .geojson, or give the format")
    return found


def history_file_name(fmt: str, *, project_id: str | None = None, since: str | None = None) -> str:
    """The suggested download name of a change log.

    >>> history_file_name("csv"), history_file_name("geojson", project_id="tianshan-park", since="2025-06-01")
    ('changning-history.csv', 'changning-history-tianshan-park-since-2025-06-01.geojson')
    >>> history_file_name("csv", project_id="../../x")
    'changning-history-x.csv'
    """
    parts = ["changning-history"]
    if project_id:
        parts.append(_NAME_PART.sub("", str(project_id))[:80] or "project")
    if since:
        parts.append(f"since-{since}")
    return "-".join(parts) + HISTORY_FORMATS[fmt][0]
