"""Comparison of two days (对比分析): what changed in the register between them, one row per change.

:func:`compare_projects` takes the atlas's projects as they stood on two days (as
:func:`app.service.atlas.shown_atlas` gives them, ``asof=`` each day) and lists, column-wise:

``added`` / ``retired``
    a project there on the later day only / on the earlier day only;
``moved``
    its position moved as a whole (a point, or an outline shifted without changing shape; also
    a project placed for the first time or unplaced), with ``distance_m``, how far its centre
    moved in metres (UTM 51N);
``reshaped``
    its outline changed (``distance_m`` too);
``stage``
    its stage changed (``stage_from`` -> ``stage_to``);
``attributes``
    other recorded values changed (``fields``; position notes and provenance go with a move).

``old`` and ``new`` hold the changed values as JSON text, ``old_wkt`` and ``new_wkt`` the
geometries before and after; the row's geometry is the later one (the earlier one for a
retired project). :func:`compare_days` folds the two days from the store, :func:`diff_bytes`
writes CSV or GeoJSON with the atlas's own writers. ``python -m app diff`` and the map page's
``compare=`` both come here.

>>> import geopandas as gpd
>>> from shapely import Point
>>> old = gpd.GeoDataFrame({"id": ["a", "b"], "name_zh": ["甲", "乙"], "status": ["planning", "planning"]},
...                        geometry=[Point(121.40, 31.20), None], crs="EPSG:4326")
>>> new = gpd.GeoDataFrame({"id": ["a", "c"], "name_zh": ["甲", "丙"], "status": ["construction", "planning"]},
...                        geometry=[Point(121.401, 31.20), None], crs="EPSG:4326")
>>> changes = compare_projects(old, new, from_day="2025-03-01", to_day="2025-06-01")
>>> changes[["change", "project_id", "stage_from", "stage_to"]].values.tolist()
[['added', 'c', '', 'planning'], ['retired', 'b', 'planning', ''], ['moved', 'a', '', ''], ['stage', 'a', 'planning', 'construction']]
>>> round(changes["distance_m"].iloc[2])
95
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from app.data.atlas import Atlas
from app.data.living import SEED_DATE, check_date
from app.domain.model import CHANGE_KINDS
from app.domain.viewstate import EARLIEST_ASOF, district_today
from app.errors import FilterError, SubmissionError
from app.geo.crs import METRIC_CRS, transformer
from app.io.export import LICENCE
from app.io.prepare import COORD_DECIMALS
from app.service.atlas import shown_atlas
from app.service.history import HISTORY_FORMATS, history_bytes, history_format
from app.store import AtlasStore

__all__ = [
    "ATTRIBUTE_COLUMNS",
    "CHANGE_KINDS",
    "DIFF_COLUMNS",
    "DIFF_FORMATS",
    "EARLIEST_DIFF",
    "POSITION_COLUMNS",
    "check_compare",
    "compare_days",
    "compare_projects",
    "diff_bytes",
    "diff_file_name",
    "diff_format",
    "diff_metadata",
]

#: Recorded values compared as attributes (what a planner or a newer seed may change).
ATTRIBUTE_COLUMNS: tuple[str, ...] = (
    "name_zh", "name_en", "aliases", "layer", "category", "action", "target_year", "subdistrict",
    "address", "report_section", "report_paragraph", "description", "description_zh",
    "start_date", "target_date", "lead_agency", "links", "parent", "extent")

#: Values that describe the position: listed with a move, as attributes when it did not move.
POSITION_COLUMNS: tuple[str, ...] = (
    "precision", "pos_source", "pos_source_crs", "pos_method", "pos_confidence", "pos_refs",
    "position_note", "position_note_zh")

#: The columns of :func:`compare_projects`, in file order (the geometry comes on top of them).
DIFF_COLUMNS: tuple[str, ...] = (
    "change", "project_id", "name_zh", "name_en", "layer", "report_section", "lead_agency",
    "from_day", "to_day", "fields", "stage_from", "stage_to", "distance_m", "old", "new",
    "old_wkt", "new_wkt")

#: The formats a comparison is written in, by name: file suffix and MIME type (a change log's).
DIFF_FORMATS: dict[str, tuple[str, str]] = {"geojson": HISTORY_FORMATS["geojson"],
                                            "csv": HISTORY_FORMATS["csv"]}

#: The earliest day ``python -m app diff`` may start from (a day before the report lists every
#: project as added; the map page and the report compare from the report's date on).
EARLIEST_DIFF = EARLIEST_ASOF.isoformat()

#: Shifts smaller than this (degrees, about 1 mm) between matching vertices are one shift.
_SAME_SHIFT = 1e-8


def _plain(value: object) -> object:
    """A cell as plain, comparable JSON data: missing and empty text alike are None."""
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, float) and math.isnan(value):
        return None
    if isinstance(value, np.ndarray):
        value = value.tolist()
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value] or None
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()} or None
    if hasattr(value, "item"):
        value = value.item()
    return None if value == "" else value


def _column(frame: pd.DataFrame, name: str, rows: np.ndarray) -> pd.Series:
    """Rows `rows` of column `name` of `frame` (all None without such a column), indexed 0..n."""
    if name not in frame.columns:
        return pd.Series([None] * len(rows), dtype=object)
    return frame[name].take(rows).reset_index(drop=True)


def _objects(series: pd.Series) -> np.ndarray:
    """A column's values as objects, missing ones None."""
    return series.to_numpy(dtype=object, na_value=None)


def _differ(old: pd.Series, new: pd.Series) -> np.ndarray:
    """Per pair, whether the values differ as data (missing, ``""`` and ``[]`` alike): text and
    number columns compared column-wise, others roughly first and the flagged pairs closely."""
    if not len(old):
        return np.zeros(0, dtype=bool)
    text = [pd.api.types.is_string_dtype(s.dtype) and s.dtype != object for s in (old, new)]
    if all(text):
        return (old.fillna("") != new.fillna("")).to_numpy(dtype=bool)
    if all(pd.api.types.is_numeric_dtype(s.dtype) for s in (old, new)):
        same = (old == new).fillna(False).to_numpy(dtype=bool) | (old.isna() & new.isna()).to_numpy(dtype=bool)
        return ~same
    a, b = _objects(old), _objects(new)
    rough = np.fromiter((x is not y and x != y for x, y in zip(a, b, strict=True)), bool, len(a))
    for i in np.flatnonzero(rough):
        rough[i] = _plain(a[i]) != _plain(b[i])
    return rough


def _json(record: Mapping[str, object]) -> str:
    return json.dumps(dict(record), ensure_ascii=False, sort_keys=True)


def _centres_m(geoms: np.ndarray) -> np.ndarray:
    """Centres of WGS-84 geometries in metres (UTM 51N), NaN for none."""
    out = np.full((len(geoms), 2), np.nan)
    present = ~shapely.is_missing(geoms) & ~shapely.is_empty(geoms)
    if present.any():
        centre = shapely.centroid(geoms[present])
        x, y = transformer("EPSG:4326", METRIC_CRS).transform(shapely.get_x(centre), shapely.get_y(centre))
        out[present, 0], out[present, 1] = x, y
    return out


def _translated(old: np.ndarray, new: np.ndarray) -> np.ndarray:
    """Per pair of present geometries: whether `new` is `old` shifted as a whole (same type,
    same vertices in the same order, every vertex moved by the same step)."""
    out = np.zeros(len(old), dtype=bool)
    if not len(old):
        return out
    same = (shapely.get_type_id(old) == shapely.get_type_id(new)) & (
        shapely.get_num_coordinates(old) == shapely.get_num_coordinates(new)) & (
        shapely.get_num_coordinates(old) > 0)
    if not same.any():
        return out
    idx = np.flatnonzero(same)
    a, b = shapely.get_coordinates(old[idx]), shapely.get_coordinates(new[idx])
    counts = shapely.get_num_coordinates(old[idx])
    starts = np.concatenate([[0], np.cumsum(counts)[:-1]])
    step = b - a
    first = np.repeat(step[starts], counts, axis=0)
    spread = np.abs(step - first).max(axis=1)
    out[idx] = np.maximum.reduceat(spread, starts) <= _SAME_SHIFT
    return out


def compare_projects(old: gpd.GeoDataFrame, new: gpd.GeoDataFrame, *, from_day: str,
                     to_day: str) -> gpd.GeoDataFrame:
    """The changes from `old` (the projects on `from_day`) to `new` (on `to_day`): one row per
    change and kind, :data:`DIFF_COLUMNS` plus the geometry, WGS-84; added and retired first,
    then each project's changes in the register order of `new`.

    >>> from shapely import box
    >>> one = gpd.GeoDataFrame({"id": ["a"], "lead_agency": [""]}, geometry=[box(121.4, 31.2, 121.401, 31.201)],
    ...                        crs="EPSG:4326")
    >>> two = one.assign(lead_agency=["区建管委"], geometry=[box(121.4, 31.2, 121.402, 31.201)])
    >>> rows = compare_projects(one, two, from_day="2025-01-08", to_day="2025-02-01")
    >>> rows[["change", "fields", "new"]].values.tolist()
    [['reshaped', ['geometry'], '{}'], ['attributes', ['lead_agency'], '{"lead_agency": "区建管委"}']]
    >>> len(compare_projects(one, one, from_day="2025-01-08", to_day="2025-02-01"))
    0
    """
    old_ids = old["id"].astype(str).to_numpy(dtype=object)
    new_ids = new["id"].astype(str).to_numpy(dtype=object)
    position = pd.Index(old_ids, dtype=object).get_indexer(new_ids)
    both = position >= 0
    retired = pd.Index(new_ids, dtype=object).get_indexer(old_ids) < 0
    new_rows, old_rows = np.flatnonzero(both), position[both]
    pairs: dict[str, tuple[pd.Series, pd.Series]] = {}

    def pair(name: str) -> tuple[pd.Series, pd.Series]:
        """Column `name` on both days, for the projects there on both (row by row)."""
        if name not in pairs:
            pairs[name] = _column(old, name, old_rows), _column(new, name, new_rows)
        return pairs[name]

    def plain(series: pd.Series, at: np.ndarray) -> list[object]:
        return [_plain(v) for v in _objects(series.take(at))]

    parts: list[pd.DataFrame] = []

    def rows(kind: str, new_idx: np.ndarray, old_idx: np.ndarray, **values: object) -> None:
        n = len(new_idx) if len(new_idx) else len(old_idx)
        if not n:
            return
        source = new if len(new_idx) else old
        at = new_idx if len(new_idx) else old_idx
        record = {
            "change": [kind] * n,
            "project_id": source["id"].astype(str).to_numpy(dtype=object)[at],
            **{c: [v or "" for v in plain(_column(source, c, at), np.arange(n))]
               for c in ("name_zh", "name_en", "layer", "report_section", "lead_agency")},
            "_order": at + (0 if len(new_idx) else len(new)),
            "_kind": np.full(n, CHANGE_KINDS.index(kind)),
        }
        record.update(values)
        parts.append(pd.DataFrame(record))

    # added and retired
    added = np.flatnonzero(~both)
    if len(added):
        new_geo = new.geometry.to_numpy()[added]
        rows("added", added, np.zeros(0, dtype=int), fields=[[] for _ in added], stage_from="",
             stage_to=[v or "" for v in plain(_column(new, "status", added), np.arange(len(added)))],
             distance_m=np.nan, old="{}", new="{}", old_wkt=None, new_wkt=_wkt(new_geo),
             _geometry=new_geo)
    gone = np.flatnonzero(retired)
    if len(gone):
        old_geo = old.geometry.to_numpy()[gone]
        rows("retired", np.zeros(0, dtype=int), gone, fields=[[] for _ in gone],
             stage_from=[v or "" for v in plain(_column(old, "status", gone), np.arange(len(gone)))],
             stage_to="", distance_m=np.nan, old="{}", new="{}", old_wkt=_wkt(old_geo),
             new_wkt=None, _geometry=old_geo)

    # geometry: moved or reshaped
    g_old = old.geometry.to_numpy()[old_rows]
    g_new = new.geometry.to_numpy()[new_rows]
    missing_old, missing_new = shapely.is_missing(g_old), shapely.is_missing(g_new)
    moved_geom = (missing_old != missing_new) | (
        ~missing_old & ~missing_new & (shapely.to_wkb(g_old) != shapely.to_wkb(g_new)))
    placed = np.flatnonzero(moved_geom)
    position_changed = np.zeros(len(new_rows), dtype=bool)
    if len(placed):
        a, b = g_old[placed], g_new[placed]
        present = ~shapely.is_missing(a) & ~shapely.is_missing(b)
        shift = np.zeros(len(placed), dtype=bool)
        shift[present] = _translated(a[present], b[present])
        shift |= ~present | (shapely.get_type_id(a) == 0) & (shapely.get_type_id(b) == 0)
        centres = _centres_m(a), _centres_m(b)
        distance = np.hypot(*(centres[1] - centres[0]).T)
        for kind, chosen in (("moved", shift), ("reshaped", ~shift)):
            pick = placed[chosen]
            if not len(pick):
                continue
            values = {c: (plain(pair(c)[0], pick), plain(pair(c)[1], pick)) for c in POSITION_COLUMNS}
            olds, news, fields = [], [], []
            for j in range(len(pick)):
                changed = [c for c, (o, w) in values.items() if o[j] != w[j]]
                fields.append(["geometry", *changed])
                olds.append(_json({c: values[c][0][j] for c in changed}))
                news.append(_json({c: values[c][1][j] for c in changed}))
            position_changed[pick] = True
            rows(kind, new_rows[pick], np.zeros(0, dtype=int), fields=fields, stage_from="",
                 stage_to="", distance_m=np.round(distance[chosen], 1), old=olds, new=news,
                 old_wkt=_wkt(g_old[pick]), new_wkt=_wkt(g_new[pick]), _geometry=g_new[pick])

    # stage
    staged = np.flatnonzero(_differ(*pair("status")))
    if len(staged):
        s_old, s_new = (plain(s, staged) for s in pair("status"))
        d_old, d_new = (plain(s, staged) for s in pair("stage_date"))
        rows("stage", new_rows[staged], np.zeros(0, dtype=int), fields=[["status"] for _ in staged],
             stage_from=[s or "" for s in s_old], stage_to=[s or "" for s in s_new],
             distance_m=np.nan,
             old=[_json({"status": s, "stage_date": d}) for s, d in zip(s_old, d_old, strict=True)],
             new=[_json({"status": s, "stage_date": d}) for s, d in zip(s_new, d_new, strict=True)],
             old_wkt=None, new_wkt=None, _geometry=g_new[staged])

    # attributes (position values too, when the position itself did not move)
    differs = {c: _differ(*pair(c)) for c in ATTRIBUTE_COLUMNS}
    differs.update({c: _differ(*pair(c)) & ~position_changed for c in POSITION_COLUMNS})
    any_diff = np.zeros(len(new_rows), dtype=bool)
    for mask in differs.values():
        any_diff |= mask
    changed_rows = np.flatnonzero(any_diff)
    if len(changed_rows):
        names = [c for c in differs if differs[c][changed_rows].any()]
        values = {c: (plain(pair(c)[0], changed_rows), plain(pair(c)[1], changed_rows)) for c in names}
        fields = [[c for c in names if differs[c][i]] for i in changed_rows]
        rows("attributes", new_rows[changed_rows], np.zeros(0, dtype=int), fields=fields,
             stage_from="", stage_to="", distance_m=np.nan,
             old=[_json({c: values[c][0][j] for c in f}) for j, f in enumerate(fields)],
             new=[_json({c: values[c][1][j] for c in f}) for j, f in enumerate(fields)],
             old_wkt=None, new_wkt=None, _geometry=g_new[changed_rows])

    if parts:
        data = pd.concat(parts, ignore_index=True)
        added_first = np.where(data["_kind"] <= 1, data["_kind"], 2)
        data = data.assign(_first=added_first).sort_values(["_first", "_order", "_kind"], kind="stable")
    else:
        data = pd.DataFrame(columns=[*DIFF_COLUMNS, "_geometry"])
    data["from_day"], data["to_day"] = from_day, to_day
    data["distance_m"] = pd.to_numeric(data["distance_m"], errors="coerce")
    for name in ("stage_from", "stage_to"):
        data[name] = data[name].fillna("")
    geometry = gpd.GeoSeries(list(data["_geometry"]), crs="EPSG:4326")
    out = pd.DataFrame({c: data[c].to_numpy(dtype=object) if c != "distance_m" else data[c].to_numpy()
                        for c in DIFF_COLUMNS})
    return gpd.GeoDataFrame(out, geometry=geometry.to_numpy(), crs="EPSG:4326").reset_index(drop=True)


def _wkt(geoms: np.ndarray) -> np.ndarray:
    """WKT of each geometry at full precision, None for none."""
    out = np.full(len(geoms), None, dtype=object)
    present = ~shapely.is_missing(geoms)
    if present.any():
        out[present] = shapely.to_wkt(geoms[present], rounding_precision=-1, trim=True)
    return out


def check_compare(compare: object, day: str | None = None, *, earliest: str = SEED_DATE,
                  today: str | None = None) -> str:
    """`compare` as the earlier day of a comparison with `day` (None: today in the district):
    a real ``YYYY-MM-DD`` day, not before `earliest` (default: the report's date) and before
    `day`; else FilterError saying what is wrong.

    >>> check_compare("2025-03-01", "2025-06-30")
    '2025-03-01'
    >>> check_compare("2025-07-01", "2025-06-30")
    Traceback (most recent call last):
    app.errors.FilterError: the comparison day 2025-07-01 is not before the day it is compared with, 2025-06-30
    >>> check_compare("2024-12-31", "2025-06-30")
    Traceback (most recent call last):
    app.errors.FilterError: the comparison day 2024-12-31 is before the work report of 2025-01-08
    >>> check_compare("yesterday")
    Traceback (most recent call last):
    app.errors.FilterError: the comparison day must be a day written YYYY-MM-DD, got 'yesterday'
    """
    try:
        text = check_date(compare, "the comparison day")
    except SubmissionError as exc:
        raise FilterError(str(exc)) from None
    later = day or today or district_today().isoformat()
    if text < earliest:
        raise FilterError(f"the comparison day {text} is before the work report of {SEED_DATE}"
                          if earliest == SEED_DATE else
                          f"the comparison day {text} is before {earliest}")
    if text >= later:
        raise FilterError(f"the comparison day {text} is not before the day it is compared with, {later}")
    return text


def compare_days(base: Atlas, store: AtlasStore | None, from_day: str, to_day: str | None = None,
                 *, log: pd.DataFrame | None = None, earliest: str = SEED_DATE) -> gpd.GeoDataFrame:
    """The changes in the built-in register from `from_day` to `to_day` (None: today, the live
    register), each day folded by :func:`~app.service.atlas.shown_atlas` with the store's
    accepted field corrections; see :func:`compare_projects`. The frame's ``attrs`` name the
    two days and the later day's data version. FilterError for days that do not make a
    comparison (:func:`check_compare`; `earliest` is the earliest earlier day allowed).

    >>> from app.data.atlas import load_atlas
    >>> changes = compare_days(load_atlas(), None, "2025-01-07", "2025-01-09", earliest="2000-01-01")
    >>> set(changes["change"]), len(changes) == len(load_atlas().projects)
    ({'added'}, True)
    """
    today = district_today().isoformat()
    if to_day is not None:
        try:
            to_day = check_date(to_day, "the later day")
        except SubmissionError as exc:
            raise FilterError(str(exc)) from None
        if to_day > today:
            raise FilterError(f"the later day {to_day} is after today ({today})")
    from_day = check_compare(from_day, to_day or today, earliest=earliest)
    before = shown_atlas(store=store, base=base, asof=from_day, log=log).atlas
    after = shown_atlas(store=store, base=base, asof=to_day, log=log).atlas
    changes = compare_projects(before.projects, after.projects, from_day=from_day,
                               to_day=to_day or today)
    changes.attrs.update(from_day=from_day, to_day=to_day or today, data_version=after.data_version)
    return changes


def diff_metadata(*, from_day: str, to_day: str, data_version: str,
                  filter_: Mapping[str, object] | None = None) -> dict[str, Any]:
    """The top-level members of a comparison's GeoJSON (RFC 7946 foreign members).

    >>> diff_metadata(from_day="2025-03-01", to_day="2025-06-30", data_version="v")["to_day"]
    '2025-06-30'
    """
    return {
        "name": "changning-renewal-atlas-changes",
        "title": "长宁区城市更新地图 变化对比 / Changning Urban Renewal Atlas: changes between two days",
        "from_day": from_day, "to_day": to_day, "data_version": data_version,
        "filter": dict(filter_ or {}),
        "generated_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "coordinate_system": "wgs84", "coordinate_decimals": COORD_DECIMALS,
        "change_kinds": list(CHANGE_KINDS),
        "geometry_note": ("feature geometry: the project's geometry on to_day (on from_day for a "
                          "retired project); old_wkt / new_wkt: before and after (WKT, WGS-84)"),
        "licence": LICENCE,
    }


def diff_bytes(frame: gpd.GeoDataFrame, fmt: str, metadata: Mapping[str, Any] | None = None) -> bytes:
    """The changes as a ``geojson`` or ``csv`` file's bytes, one feature (row) per change,
    written as the change log is (:func:`app.service.history.history_bytes`).

    >>> empty = compare_projects(gpd.GeoDataFrame({"id": []}, geometry=[], crs="EPSG:4326"),
    ...                          gpd.GeoDataFrame({"id": []}, geometry=[], crs="EPSG:4326"),
    ...                          from_day="2025-03-01", to_day="2025-06-30")
    >>> diff_bytes(empty, "csv").decode("utf-8-sig").split(",")[:3]
    ['change', 'project_id', 'name_zh']
    >>> diff_bytes(empty, "kml")
    Traceback (most recent call last):
    app.errors.ExportError: a change log is written as csv or geojson, not 'kml'
    """
    return history_bytes(frame, fmt, metadata, columns=DIFF_COLUMNS)


def diff_format(path: str | Path, fmt: str | None = None) -> str:
    """The format to write `path` in: `fmt` when given, else told by the suffix (as a change
    log's, :func:`app.service.history.history_format`).

    >>> diff_format("changes.CSV"), diff_format("x.txt", "geojson")
    ('csv', 'geojson')
    """
    return history_format(path, fmt)


def diff_file_name(from_day: str, to_day: str, fmt: str) -> str:
    """The suggested download name of a comparison.

    >>> diff_file_name("2025-03-01", "2025-06-30", "csv")
    'changning-changes-2025-03-01-2025-06-30.csv'
    """
    return f"changning-changes-{from_day}-{to_day}{DIFF_FORMATS[fmt][0]}"

