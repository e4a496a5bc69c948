"""The living register: the register as a log of dated changes, and the atlas as of any day.

The working register is not a file but a fold over a change log. Each change names a project,
the values it had (``old``) and the values it gets (``new``), who made it, why, and from which
day it holds (``effective``, ``YYYY-MM-DD``). Two sources write changes:

* ``seed`` -- ``geodata/register.toml`` as curated (:func:`seed_values`). The first seed holds
  from the report's date (:data:`SEED_DATE`); a later, newer seed is merged as the differences
  from the seed values already logged (:func:`seed_changes`), holding from the day of the merge;
  a project the newer seed drops is retired from that day.
* ``planner`` -- edits made in the app: a drawn or uploaded geometry, attribute values, a new
  dated stage. Accepted edits win over the seed for the fields they set, whatever seed comes
  later, so merging a newer seed never loses an edit.

Positions and attributes as of a day are those of the accepted changes effective on or before
it. The stage is different: a stage entry carries the day it was reached (valid time), so the
stage as of a day is the last entry dated on or before it, whenever the entry was recorded. A
project exists from the day of its first seed change; before that it is absent.

The change log's rows (what a store returns) have the columns of :data:`CHANGE_COLUMNS`; values
are JSON text, geometries WKT in WGS-84. This module is pure: it neither reads nor writes a
store (that is :mod:`app.store`), so the same fold serves both backends and the tests.

>>> import pandas as pd
>>> rows = pd.DataFrame([
...     change_row(1, "p", "seed", {}, {"status": "planning", "geometry": None,
...                "stages": [{"stage": "planning", "date": "2025-01-08", "source": "report"}]},
...                effective="2025-01-08"),
...     change_row(2, "p", "planner", {"geometry": None}, {"geometry": "POINT (121.4 31.2)"},
...                effective="2025-05-01"),
...     change_row(3, "p", "planner", {}, {"stage_entry": {"stage": "construction",
...                "date": "2025-03-01", "source": "site notice"}}, effective="2025-06-01")])
>>> fold(rows, "2025-04-01")["p"]["geometry"], fold(rows, "2025-04-01")["p"]["status"]
(None, 'construction')
>>> fold(rows)["p"]["geometry"]
'POINT (121.4 31.2)'
>>> fold(rows, "2024-12-31")
{}
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date

import geopandas as gpd
import pandas as pd
import shapely
from shapely.geometry.base import BaseGeometry

from app.data.layers import geometry_kind
from app.domain.messages import keyed
from app.domain.text import check_text
from app.domain.viewstate import district_today
from app.errors import SubmissionError
from app.geo.district import distance_outside
from app.geo.geocode import to_metric

__all__ = [
    "ATTRIBUTE_FIELDS",
    "CHANGE_COLUMNS",
    "LIVING_COLUMNS",
    "MAX_LINKS",
    "MAX_REASON_CHARS",
    "MAX_VERTICES",
    "REVIEW_RULES",
    "SEED_DATE",
    "STAGE_ORDER",
    "TRACKED_FIELDS",
    "UNLOGGED_COLUMNS",
    "Edit",
    "apply_living",
    "change_row",
    "check_attributes",
    "check_date",
    "check_geometry",
    "check_reason",
    "check_stage_entry",
    "fold",
    "geometry_wkt",
    "needs_review",
    "seed_changes",
    "seed_values",
    "site_area_m2",
    "stage_counts",
    "stage_on",
]

#: The report's date: the day the curated register (the first seed) holds from.
SEED_DATE = "2025-01-08"

#: Stages in the order a project usually moves through them (``paused`` may come anywhere;
#: ``ongoing`` is an area-wide programme). The values are the vocabulary's ``status`` keys.
STAGE_ORDER: tuple[str, ...] = ("planning", "preparation", "construction", "completed",
                                "operating", "ongoing", "paused")

#: The project fields the change log tracks (``geometry`` as WKT, ``stages`` as a list of
#: ``{"stage", "date", "source"}``). ``status`` is not tracked: it is the stage of the day.
TRACKED_FIELDS: tuple[str, ...] = (
    "geometry", "precision", "pos_method", "pos_source", "pos_source_crs", "pos_confidence",
    "uncertainty_m", "position_note", "action", "action_en", "target_year", "description", "description_zh",
    "start_date", "target_date", "lead_agency", "links", "stages")

#: What a planner may set as attributes (the stage has its own entry; site area is computed).
ATTRIBUTE_FIELDS: tuple[str, ...] = ("action", "start_date", "target_date", "lead_agency",
                                     "description", "description_zh", "links")

#: Columns the living register adds to the atlas's projects.
LIVING_COLUMNS: tuple[str, ...] = ("start_date", "target_date", "lead_agency", "links", "stages",
                                   "stage_date", "site_area_m2", "edit_version")

#: The columns of a change-log row, the same on every store.
CHANGE_COLUMNS: tuple[str, ...] = (
    "id", "register", "project_id", "source", "actor", "at", "reason", "old", "new", "status",
    "effective", "reviewed_by", "reviewed_at", "review_reason", "version")

#: Which planner edits wait for a reviewer: ``geometry`` (the default: a geometry change does,
#: attribute and stage edits do not), ``all`` or ``none``.
REVIEW_RULES: tuple[str, ...] = ("geometry", "all", "none")

MAX_REASON_CHARS = 500
MAX_TEXT_CHARS = 2000
MAX_AGENCY_CHARS = 120
MAX_SOURCE_CHARS = 300
MAX_LINKS = 10
MAX_LINK_CHARS = 500
#: Most vertices a drawn or uploaded geometry may have (a site boundary, not a city).
MAX_VERTICES = 10_000
#: A self-intersecting polygon is repaired when the repair changes its area by at most this.
REPAIR_AREA_SHARE = 0.01
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_URL = re.compile(r"https?://[^\s<>\"'`]{1,490}")


@dataclass(frozen=True)
class Edit:
    """One change to record: `project_id`'s fields `old` -> `new` (JSON-able values, geometry
    as WKT or None), by `actor` for `reason`. `source` is ``seed`` or ``planner``;
    `effective` the day it holds from (None: the day it is accepted). `pending` edits wait for
    a reviewer. `register` is ``""`` for the built-in register. `channel` says where the edit
    came from when not the app's pages (``OGC API``), for the audit row.
    """

    project_id: str
    source: str
    actor: str
    reason: str
    old: Mapping[str, object] = field(default_factory=dict)
    new: Mapping[str, object] = field(default_factory=dict)
    effective: str | None = None
    pending: bool = False
    register: str = ""
    channel: str = ""

    def __post_init__(self) -> None:
        if self.source not in ("seed", "planner"):
            raise SubmissionError(f"a change's source is 'seed' or 'planner', not {self.source!r}")
        if not self.new:
            raise SubmissionError("a change must set at least one value")
        if self.effective is not None:
            check_date(self.effective, "the change's effective date")
        for name in ("project_id", "actor", "reason", "register", "channel"):
            check_text(getattr(self, name), f"the change's {name}")
        check_text(self.old_json, "the old values")
        check_text(self.new_json, "the new values")

    def audit_note(self, change_id: int, status: str) -> str:
        """The note of the audit row of this edit, recorded as change `change_id` with `status`.

        >>> Edit("p", "planner", "赵工", "红线调整", new={"x": 1}, channel="OGC API").audit_note(7, "pending")
        'change 7 (planner, pending, via OGC API): 红线调整'
        """
        via = f", via {self.channel}" if self.channel else ""
        return f"change {change_id} ({self.source}, {status}{via}): {self.reason.strip()}"

    @property
    def old_json(self) -> str:
        return json.dumps(dict(self.old), ensure_ascii=False, sort_keys=True)

    @property
    def new_json(self) -> str:
        return json.dumps(dict(self.new), ensure_ascii=False, sort_keys=True)


def change_row(id_: int, project_id: str, source: str, old: Mapping, new: Mapping, *,
               effective: str, status: str = "accepted", actor: str = "seed",
               at: str = "2025-01-08T00:00:00+00:00", reason: str = "") -> dict[str, object]:
    """One change-log row as a store returns it (for tests and in-memory seeds)."""
    return {"id": id_, "register": "", "project_id": project_id, "source": source,
            "actor": actor, "at": at, "reason": reason,
            "old": json.dumps(dict(old), ensure_ascii=False),
            "new": json.dumps(dict(new), ensure_ascii=False), "status": status,
            "effective": effective, "reviewed_by": None, "reviewed_at": None,
            "review_reason": None, "version": 1}


# -- checks made before an edit is recorded -------------------------------------------

def check_date(value: object, what: str) -> str:
    """`value` when it is a real ``YYYY-MM-DD`` day between 2000 and 2100, else SubmissionError.

    >>> check_date("2025-06-01", "the start date")
    '2025-06-01'
    >>> check_date("2025-02-30", "the start date")
    Traceback (most recent call last):
    app.errors.SubmissionError: the start date must be a day written YYYY-MM-DD, got '2025-02-30'
    """
    text = str(value)[:40]
    if isinstance(value, date):
        text = value.isoformat()
    try:
        if not _DATE.fullmatch(text):
            raise ValueError
        day = date.fromisoformat(text)
    except ValueError:
        raise keyed(SubmissionError, "err.date_format", en_what=what, text=text) from None
    if not 2000 <= day.year <= 2100:
        raise keyed(SubmissionError, "err.date_range", en_what=what, text=text)
    return text


def check_reason(reason: str) -> str:
    """The stripped reason of a change: required, one short paragraph, no NUL.

    >>> check_reason("  现场踏勘确定红线 ")
    '现场踏勘确定红线'
    >>> check_reason(" ")
    Traceback (most recent call last):
    app.errors.SubmissionError: every change needs a short reason
    """
    text = str(reason or "").strip()
    if not text:
        raise keyed(SubmissionError, "err.reason_needed")
    if len(text) > MAX_REASON_CHARS:
        raise keyed(SubmissionError, "err.reason_long", n=len(text), max=MAX_REASON_CHARS)
    check_text(text, "the reason")
    return text


def _text(value: object, what: str, limit: int, *, single_line: bool = False) -> str:
    text = str(value if value is not None else "").strip()
    if len(text) > limit:
        raise keyed(SubmissionError, "err.text_long", en_what=what, n=len(text), max=limit)
    check_text(text, what)
    if single_line and ("\n" in text or "\r" in text):
        raise keyed(SubmissionError, "err.one_line", en_what=what)
    return text


def check_attributes(values: Mapping[str, object], actions: Iterable[str] = ()) -> dict[str, object]:
    """The attribute edit `values`, checked and normalised (SubmissionError naming what is wrong).

    Keys are :data:`ATTRIBUTE_FIELDS`; `actions` are the 2025 actions the vocabulary knows (when
    given, ``action`` must be one of them). Dates are days; the start may not follow the target.
    Links are http(s) addresses, at most :data:`MAX_LINKS`.

    >>> check_attributes({"lead_agency": " 区建管委 ", "links": ["https://www.shcn.gov.cn/x"]})
    {'lead_agency': '区建管委', 'links': ['https://www.shcn.gov.cn/x']}
    >>> check_attributes({"start_date": "2025-09-01", "target_date": "2025-03-01"})
    Traceback (most recent call last):
    app.errors.SubmissionError: the start date 2025-09-01 is after the target date 2025-03-01
    >>> check_attributes({"links": ["javascript:alert(1)"]})
    Traceback (most recent call last):
    app.errors.SubmissionError: link 1 is not an http(s) address: 'javascript:alert(1)'
    >>> check_attributes({"site_area_m2": 5})
    Traceback (most recent call last):
    app.errors.SubmissionError: 'site_area_m2' cannot be edited (editable: action, start_date, target_date, lead_agency, description, description_zh, links)
    """
    out: dict[str, object] = {}
    known = tuple(actions)
    for key, value in values.items():
        if key not in ATTRIBUTE_FIELDS:
            raise SubmissionError(f"{key!r} cannot be edited (editable: {', '.join(ATTRIBUTE_FIELDS)})")
        if key in ("start_date", "target_date"):
            out[key] = "" if value in (None, "") else check_date(value, f"the {key.replace('_', ' ')}")
        elif key == "links":
            links = [str(v).strip() for v in (value or []) if str(v).strip()]
            if len(links) > MAX_LINKS:
                raise keyed(SubmissionError, "err.links_many", n=len(links), max=MAX_LINKS)
            for n, link in enumerate(links, start=1):
                if len(link) > MAX_LINK_CHARS or not _URL.fullmatch(link):
                    raise keyed(SubmissionError, "err.link_bad", n=n, link=repr(link[:80]))
            out[key] = links
        elif key == "action":
            text = _text(value, "the 2025 action", 20, single_line=True)
            if known and text and text not in known:
                raise keyed(SubmissionError, "err.action_unknown", text=repr(text),
                            known=", ".join(known))
            out[key] = text
        elif key == "lead_agency":
            out[key] = _text(value, "the lead agency", MAX_AGENCY_CHARS, single_line=True)
        else:
            out[key] = _text(value, f"the {key.replace('_', ' ')}", MAX_TEXT_CHARS)
    start, target = out.get("start_date"), out.get("target_date")
    if start and target and start > target:
        raise keyed(SubmissionError, "err.start_after_target", start=start, target=target)
    return out


def check_stage_entry(stage: str, day: object, source: str, *, today: str | None = None) -> dict[str, str]:
    """A stage entry ``{"stage", "date", "source"}``, checked: a known stage, a real day not
    after `today`, and a source saying how it is known.

    >>> check_stage_entry("construction", "2025-03-01", "开工仪式新闻稿", today="2025-06-01")
    {'stage': 'construction', 'date': '2025-03-01', 'source': '开工仪式新闻稿'}
    >>> check_stage_entry("built", "2025-03-01", "x")
    Traceback (most recent call last):
    app.errors.SubmissionError: unknown stage 'built' (known: planning, preparation, construction, completed, operating, ongoing, paused)
    >>> check_stage_entry("completed", "2026-01-01", "x", today="2025-06-01")
    Traceback (most recent call last):
    app.errors.SubmissionError: the stage date 2026-01-01 is in the future (today is 2025-06-01)
    """
    if stage not in STAGE_ORDER:
        raise keyed(SubmissionError, "err.stage_unknown", stage=repr(str(stage)[:40]),
                    known=", ".join(STAGE_ORDER))
    day = check_date(day, "the stage date")
    today = today or district_today().isoformat()
    if day > today:
        raise keyed(SubmissionError, "err.stage_future", day=day, today=today)
    text = _text(source, "the stage's source", MAX_SOURCE_CHARS, single_line=True)
    if not text:
        raise keyed(SubmissionError, "err.stage_source")
    return {"stage": stage, "date": day, "source": text}


def check_geometry(geometry: BaseGeometry | None, *, kinds: Iterable[str],
                   district_m: BaseGeometry | None, tolerance_m: float,
                   layer: str = "this layer") -> tuple[BaseGeometry, str]:
    """A drawn or uploaded WGS-84 geometry, checked; returns it (repaired when needed) and a
    note saying what the repair did (``""`` when none was needed).

    Refused with a SubmissionError naming the problem: empty, too many vertices, non-finite
    coordinates, a kind the layer does not take, more than `tolerance_m` outside the district,
    or self-intersecting in a way ``make_valid`` can only repair by changing its area by more
    than 1 %.

    >>> from shapely import Polygon, box
    >>> district_m = to_metric(box(121.35, 31.17, 121.45, 31.24))
    >>> bowtie = Polygon([(121.40, 31.20), (121.41, 31.21), (121.41, 31.20), (121.40, 31.21)])
    >>> check_geometry(bowtie, kinds=["polygon"], district_m=district_m, tolerance_m=300)
    Traceback (most recent call last):
    app.errors.SubmissionError: the polygon crosses itself (Self-intersection[121.405 31.205]) and repairing it would change its area by 100 %; redraw it
    >>> geom, note = check_geometry(box(121.40, 31.20, 121.41, 31.21), kinds=["polygon"],
    ...                             district_m=district_m, tolerance_m=300)
    >>> note
    ''
    >>> check_geometry(box(121.40, 31.20, 121.41, 31.21), kinds=["point"], district_m=district_m,
    ...                tolerance_m=300, layer="metro stations")
    Traceback (most recent call last):
    app.errors.SubmissionError: metro stations takes point geometries, not a polygon
    """
    if geometry is None or geometry.is_empty:
        raise keyed(SubmissionError, "err.geometry_empty")
    coords = shapely.get_coordinates(geometry)
    if len(coords) > MAX_VERTICES:
        raise keyed(SubmissionError, "err.geometry_vertices", n=len(coords), max=MAX_VERTICES)
    if not all(math.isfinite(v) for v in coords.ravel()):
        raise keyed(SubmissionError, "err.geometry_nonfinite")
    if (abs(coords[:, 0]) > 180).any() or (abs(coords[:, 1]) > 90).any():
        raise keyed(SubmissionError, "err.geometry_not_lonlat")
    note = ""
    if not geometry.is_valid:
        reason = shapely.is_valid_reason(geometry)
        repaired = shapely.make_valid(geometry)
        if repaired.geom_type == "GeometryCollection":
            parts = [g for g in repaired.geoms if geometry_kind(g.geom_type) == geometry_kind(geometry.geom_type)]
            repaired = shapely.union_all(parts) if parts else repaired
        before, after = to_metric(geometry).area, to_metric(repaired).area
        # shapely's area of a self-intersecting ring is its signed shoelace sum: loops that
        # wind the other way subtract, so a bow tie has no area and its repair all of it
        largest = max(after, before)
        change = min(abs(after - before) / largest, 1.0) if largest else 0.0
        changed_kind = geometry_kind(repaired.geom_type) != geometry_kind(geometry.geom_type)
        if change > REPAIR_AREA_SHARE or changed_kind or repaired.is_empty:
            what = {"polygon": "polygon", "line": "line", "point": "point"}[geometry_kind(geometry.geom_type)]
            share = 100 if changed_kind or repaired.is_empty else round(change * 100)
            raise keyed(SubmissionError, "err.geometry_crosses", en_what=what, en_reason=reason,
                        share=share)
        note = f"repaired with make_valid ({reason}); area changed by {change * 100:.2f} %"
        geometry = repaired
    kind = geometry_kind(geometry.geom_type)
    allowed = tuple(kinds)
    if kind not in allowed:
        article = "an" if kind[0] in "aeiou" else "a"
        raise keyed(SubmissionError, "err.geometry_kind", layer=layer,
                    en_allowed=", ".join(allowed), en_article=article, en_kind=kind)
    if district_m is not None:
        outside = distance_outside(geometry, district_m)
        if outside > tolerance_m:
            raise keyed(SubmissionError, "err.geometry_outside", m=outside, max=tolerance_m)
    return geometry, note


def needs_review(rule: str, new: Mapping[str, object]) -> bool:
    """Whether a planner edit setting `new` waits for a reviewer under `rule`.

    >>> needs_review("geometry", {"geometry": "POINT (121.4 31.2)"}), needs_review("geometry", {"lead_agency": "x"})
    (True, False)
    >>> needs_review("sometimes", {})
    Traceback (most recent call last):
    app.errors.SubmissionError: the review rule must be one of geometry, all, none; got 'sometimes'
    """
    if rule not in REVIEW_RULES:
        raise SubmissionError(f"the review rule must be one of {', '.join(REVIEW_RULES)}; got {rule!r}")
    if rule == "all":
        return True
    if rule == "none":
        return False
    # adding or removing a project changes the map as much as moving one
    return "geometry" in new or bool(new.get("_created")) or bool(new.get("_retired"))


def site_area_m2(geometry: BaseGeometry | None) -> float | None:
    """Area of a polygonal geometry in square metres (UTM 51N), None for points, lines, nothing.

    >>> from shapely import box
    >>> round(site_area_m2(box(121.40, 31.20, 121.401, 31.201)), -1)
    10560.0
    """
    if geometry is None or geometry.is_empty or geometry_kind(geometry.geom_type) != "polygon":
        return None
    return float(to_metric(geometry).area)


# -- the seed ---------------------------------------------------------------------------

def geometry_wkt(geometry: object) -> str | None:
    """WKT of a WGS-84 geometry at full precision (it reads back bit for bit), as the log
    records it; None for none."""
    if geometry is None or not isinstance(geometry, BaseGeometry) or geometry.is_empty:
        return None
    return shapely.to_wkt(geometry, rounding_precision=-1, trim=True)


def _plain(value: object) -> object:
    if value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NA:
        return None
    if hasattr(value, "item"):
        return value.item()
    return value


#: Columns of the atlas's projects that the seed does not log: computed when shown (search
#: text) or joined at run time from loaded boundary files.
UNLOGGED_COLUMNS: tuple[str, ...] = ("search_text", "subdistrict_method", "unit", "unit_shares",
                                     *LIVING_COLUMNS)


def _json_value(value: object) -> object:
    """`value` as plain JSON data (numpy scalars, NaN and NA become numbers or None)."""
    if isinstance(value, (list, tuple)):
        return [_json_value(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _json_value(v) for k, v in value.items()}
    return _plain(value)


def seed_values(projects: gpd.GeoDataFrame, *, day: str = SEED_DATE) -> dict[str, dict[str, object]]:
    """The values of each curated project as the seed logs them: every column but the
    :data:`UNLOGGED_COLUMNS`, geometry as WKT, and the register's status as one stage entry
    dated `day` and sourced to the report paragraph (``status`` itself is not logged: it is
    the stage of the day).

    >>> from app.data.atlas import load_atlas
    >>> values = seed_values(load_atlas().projects)
    >>> values["tianshan-park"]["stages"][0]["date"], "status" in values["tianshan-park"]
    ('2025-01-08', False)
    """
    out: dict[str, dict[str, object]] = {}
    columns = [c for c in projects.columns
               if c not in UNLOGGED_COLUMNS and c not in ("status", projects.geometry.name)]
    records = pd.DataFrame(projects[columns]).to_dict("records")
    for record, geom, status in zip(records, projects.geometry, projects["status"], strict=True):
        values = {k: _json_value(v) for k, v in record.items()}
        values["geometry"] = geometry_wkt(geom)
        # cited in the report's own language, as a reference to it is written
        source = (f"长宁区2025年政府工作报告,第{record.get('report_section', '')}部分"
                  f"“{record.get('report_paragraph', '')}”")
        values["stages"] = [{"stage": str(status), "date": day, "source": source}]
        out[str(record["id"])] = values
    return out


def _seed_state(changes: pd.DataFrame) -> dict[str, dict[str, object] | None]:
    """The seed values as last logged, per project (None: retired)."""
    state: dict[str, dict[str, object] | None] = {}
    for row in _accepted(changes, None):
        if row["source"] != "seed":
            continue
        new = json.loads(row["new"])
        pid = row["project_id"]
        if new.get("_retired"):
            state[pid] = None
        else:
            current = state.get(pid) or {}
            state[pid] = {**current, **new}
    return state


def seed_changes(changes: pd.DataFrame, values: Mapping[str, Mapping[str, object]], *,
                 effective: str, actor: str = "seed", reason: str = "") -> list[Edit]:
    """The seed changes that bring the logged seed (in `changes`) to `values`: a creation for a
    new project, the changed fields of a known one, a retirement for one no longer there.

    Empty when the log already holds `values`, so seeding twice writes nothing.

    >>> log = pd.DataFrame([change_row(1, "p", "seed", {}, {"action": "开工"}, effective="2025-01-08")])
    >>> [(e.project_id, dict(e.new)) for e in seed_changes(log, {"p": {"action": "竣工"}, "q": {"action": "开工"}},
    ...                                                   effective="2025-09-01")]
    [('p', {'action': '竣工'}), ('q', {'action': '开工'})]
    >>> seed_changes(log, {"p": {"action": "开工"}}, effective="2025-09-01")
    []

    A changed stage is added to the logged stage history, dated `effective`, not swapped in.
    """
    state = _seed_state(changes) if len(changes) else {}
    out: list[Edit] = []
    for pid, new_values in values.items():
        current = state.get(pid)
        if current is None:
            why = reason or ("seeded from the curated register" if pid not in state
                             else "back in the curated register")
            out.append(Edit(pid, "seed", actor, why, {}, dict(new_values), effective))
            continue
        new = {k: new_values[k] for k in new_values
               if k != "stages" and current.get(k) != new_values[k]}
        logged = list(current.get("stages") or [])
        wanted = list(new_values.get("stages") or [])
        if wanted and (not logged or logged[-1]["stage"] != wanted[-1]["stage"]):
            new["stages"] = [*logged, {**wanted[-1], "date": effective}]
        if new:
            old = {k: current.get(k) for k in new}
            out.append(Edit(pid, "seed", actor, reason or "the curated register changed",
                            old, new, effective))
    for pid, current in state.items():
        if current is not None and pid not in values:
            out.append(Edit(pid, "seed", actor, reason or "no longer in the curated register",
                            {"_retired": False}, {"_retired": True}, effective))
    return out


# -- the fold -----------------------------------------------------------------------------

def _accepted(changes: pd.DataFrame, asof: str | None) -> list[dict[str, object]]:
    if changes is None or not len(changes):
        return []
    rows = changes[changes["status"] == "accepted"]
    if asof is not None:
        rows = rows[rows["effective"].astype(str) <= asof]
    return rows.sort_values("id").to_dict("records")


def geometry_decided(changes: pd.DataFrame, asof: str | None = None) -> dict[str, pd.Timestamp]:
    """When each project's position was last decided by a planner in the log (the accepted
    geometry changes that are not the seed's, in force on `asof`): the time it was accepted
    (reviewed, or recorded when it needed no review), UTC. A field correction accepted before
    that time is older than the planner's position and gives way to it.

    >>> rows = [change_row(1, "a", "seed", {}, {"geometry": "POINT (1 1)"}, effective="2025-01-08"),
    ...         change_row(2, "a", "planner", {}, {"geometry": "POINT (2 2)"}, effective="2025-03-01",
    ...                    at="2025-03-01T00:00:00+00:00"),
    ...         change_row(3, "b", "planner", {}, {"lead_agency": "x"}, effective="2025-03-01")]
    >>> rows[1]["reviewed_at"] = "2025-03-02T08:00:00+00:00"
    >>> log = pd.DataFrame(rows)
    >>> {k: v.isoformat() for k, v in geometry_decided(log).items()}
    {'a': '2025-03-02T08:00:00+00:00'}
    >>> geometry_decided(log, "2025-01-31")
    {}
    """
    decided: dict[str, pd.Timestamp] = {}
    for row in _accepted(changes, asof):
        if row["source"] == "seed" or "geometry" not in json.loads(row["new"]):
            continue
        reviewed = row.get("reviewed_at")
        when = pd.Timestamp(row["at"] if reviewed is None or pd.isna(reviewed) else reviewed)
        when = when.tz_localize("UTC") if when.tzinfo is None else when.tz_convert("UTC")
        pid = str(row["project_id"])
        decided[pid] = max(when, decided.get(pid, when))
    return decided


def stage_on(stages: list[Mapping[str, str]], day: str | None) -> dict[str, str] | None:
    """The stage entry in force on `day` (the last dated on or before it; None: today).

    >>> history = [{"stage": "planning", "date": "2025-01-08"}, {"stage": "construction", "date": "2025-04-01"}]
    >>> stage_on(history, "2025-03-31")["stage"], stage_on(history, None)["stage"]
    ('planning', 'construction')
    >>> stage_on(history, "2024-12-31") is None
    True
    """
    day = day or "9999-12-31"
    current = None
    for entry in sorted(stages, key=lambda e: e["date"]):
        if entry["date"] <= day:
            current = entry
    return dict(current) if current else None


def fold(changes: pd.DataFrame, asof: str | None = None) -> dict[str, dict[str, object]]:
    """Each project's values as of `asof` (``YYYY-MM-DD``; None: now) from the change log.

    Seed values first (or the first values of a project a planner added: a change with
    ``_created``), then accepted planner edits over them (an edit wins over any seed; one setting
    ``_retired`` removes the project from that day);
    ``stages`` is the seed's entries and every accepted planner entry, in date order, kept to
    those dated on or before `asof`; ``status`` and ``stage_date`` are the stage then in force.
    Retired projects and projects first seeded after `asof` are absent. ``edit_version`` is
    the id of the project's last change of any status (what a planner's save is checked against).
    """
    seed: dict[str, dict[str, object] | None] = {}
    created: dict[str, dict[str, object]] = {}
    overlay: dict[str, dict[str, object]] = {}
    added: dict[str, list[dict[str, str]]] = {}
    rows = _accepted(changes, None)
    for row in rows:
        pid = row["project_id"]
        new = json.loads(row["new"])
        if row["source"] != "seed":
            entry = new.pop("stage_entry", None)
            if entry:
                added.setdefault(pid, []).append(entry)
        if asof is not None and str(row["effective"]) > asof:
            continue
        if row["source"] == "seed":
            if new.get("_retired"):
                seed[pid] = None
            else:
                seed[pid] = {**(seed.get(pid) or {}), **new}
        elif new.pop("_created", False):  # a project a planner added: its first values
            created[pid] = new
        else:
            overlay.setdefault(pid, {}).update(new)
    versions: dict[str, int] = {}
    if changes is not None and len(changes):
        versions = {str(k): int(v) for k, v in changes.groupby("project_id")["id"].max().items()}
    out: dict[str, dict[str, object]] = {}
    bases = {**{pid: v for pid, v in created.items() if pid not in seed}, **seed}
    for pid, values in bases.items():
        if values is None or overlay.get(pid, {}).get("_retired"):
            continue
        merged = {**values, **overlay.get(pid, {})}
        merged.pop("_retired", None)
        stages = [*values.get("stages", []), *added.get(pid, [])]
        day = asof or "9999-12-31"
        stages = sorted((s for s in stages if s["date"] <= day), key=lambda s: s["date"])
        merged["stages"] = stages
        current = stage_on(stages, asof)
        merged["status"] = current["stage"] if current else ""
        merged["stage_date"] = current["date"] if current else ""
        merged["edit_version"] = versions.get(pid, 0)
        out[pid] = merged
    return out


def apply_living(projects: gpd.GeoDataFrame, changes: pd.DataFrame,
                 asof: str | None = None) -> gpd.GeoDataFrame:
    """`projects` as the change log says they stand on `asof` (None: now): rows absent that
    day dropped, tracked fields and :data:`LIVING_COLUMNS` set from :func:`fold`, the site area
    computed from the geometry. `projects` is not modified.
    """
    state = fold(changes, asof)
    keep = projects["id"].astype(str).isin(state)
    out = projects[keep].copy()
    missing = [pid for pid in state if pid not in set(out["id"].astype(str))]
    if missing:  # dropped by a newer seed, shown as they stood: rebuilt from their logged values
        rows = pd.DataFrame([{c: state[pid].get(c) for c in out.columns if c != out.geometry.name}
                             for pid in missing])
        rows["id"] = missing
        if "search_text" in rows:
            rows["search_text"] = [" ".join(str(state[p].get(k) or "") for k in ("name_zh", "name_en")).lower()
                                   for p in missing]
        name = out.geometry.name
        rows[name] = gpd.GeoSeries([None] * len(rows), crs="EPSG:4326")
        out = gpd.GeoDataFrame(pd.concat([out, gpd.GeoDataFrame(rows, geometry=name, crs="EPSG:4326")],
                                         ignore_index=True), geometry=name, crs="EPSG:4326")
    for column in LIVING_COLUMNS:
        out[column] = None
    index = dict(zip(out["id"].astype(str), out.index, strict=True))
    geometries = list(out.geometry)
    positions = {i: n for n, i in enumerate(out.index)}
    for pid, values in state.items():
        i = index.get(pid)
        if i is None:
            continue
        for name, value in values.items():
            if name == "geometry":
                geometries[positions[i]] = shapely.from_wkt(value) if value else None
            elif name in out.columns or name in ("status", "stage_date"):
                out.at[i, name] = list(value) if isinstance(value, list) else value
        # a site's area only: an area-precision outline (a zone, a programme) is not a site
        site = values.get("precision", out.at[i, "precision"]) == "site"
        out.at[i, "site_area_m2"] = site_area_m2(geometries[positions[i]]) if site else None
    out = out.set_geometry(gpd.GeoSeries(geometries, index=out.index, crs="EPSG:4326"))
    for column in ("start_date", "target_date", "lead_agency"):
        out[column] = out[column].fillna("")
    out["links"] = [v if isinstance(v, list) else [] for v in out["links"]]
    out["stages"] = [v if isinstance(v, list) else [] for v in out["stages"]]
    out["stage_date"] = out["stage_date"].fillna("")
    out["edit_version"] = out["edit_version"].fillna(0).astype(int)
    out["site_area_m2"] = pd.to_numeric(out["site_area_m2"], errors="coerce")
    if "uncertainty_m" in out.columns:
        out["uncertainty_m"] = pd.to_numeric(out["uncertainty_m"], errors="coerce").astype(float)
    if "target_year" in out.columns:
        out["target_year"] = pd.to_numeric(out["target_year"], errors="coerce").astype("Int64")
    return out.reset_index(drop=True)


def stage_counts(changes: pd.DataFrame, days: Iterable[str], *, by: pd.Series | None = None) -> pd.DataFrame:
    """How many projects stood in each stage on each of `days` (long form: ``date``, ``stage``,
    ``count``, and ``group`` when `by` maps project ids to a group such as the layer)."""
    records = []
    for day in days:
        for pid, values in fold(changes, day).items():
            group = by.get(pid, "") if by is not None else ""
            records.append({"date": day, "stage": values["status"] or "unknown", "group": group})
    frame = pd.DataFrame(records, columns=["date", "stage", "group"])
    keys = ["date", "stage"] + (["group"] if by is not None else [])
    return frame.groupby(keys).size().rename("count").reset_index()

