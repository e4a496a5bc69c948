"""The living register at work: seeding the store from the curated register, and planners' edits.

:func:`seed_register` writes the curated register into the store's change log on first start
and, when ``geodata/register.toml`` has changed since, merges the differences (edits made in
the app stay: see :mod:`app.data.living`). :func:`propose_edit` checks a planner's edit -- a
drawn or uploaded geometry, attribute values, a dated stage -- and records it, the geometry
and the attributes as separate changes so that the review rule (:func:`review_rule`) can hold
one for a reviewer and not the other; :func:`propose_project` and :func:`propose_retirement`
add and remove a project the same way. The app's planner page, the OGC API service
(:mod:`app.ogc.transactions`) and the CLI call these; the map,
exports and sheets read the result through :func:`app.service.atlas.shown_atlas`.

>>> import tempfile, pathlib
>>> from app.data.atlas import load_atlas
>>> from app.store.sqlite import Store
>>> store, base = Store(pathlib.Path(tempfile.mkdtemp()) / "s.sqlite"), load_atlas()
>>> seed_register(store, base) == len(base.projects), seed_register(store, base)
(True, 0)
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping

import pandas as pd
from shapely.geometry.base import BaseGeometry

from app.data.atlas import PROJECT_TOLERANCE_M, Atlas
from app.data.living import (
    CHANGE_COLUMNS,
    SEED_DATE,
    Edit,
    change_row,
    check_attributes,
    check_geometry,
    check_reason,
    check_stage_entry,
    geometry_wkt,
    needs_review,
    seed_changes,
    seed_reason,
    seed_values,
)
from app.data.plausibility import size_check, size_note
from app.domain.messages import keyed
from app.domain.text import check_text
from app.errors import ConflictError, SubmissionError, UnusualSizeError
from app.geo.gazetteer import DISTRICT_ID
from app.geo.geocode import to_metric
from app.geo.uncertainty import DRAWN_M
from app.store import AtlasStore
from app.store.base import district_day

__all__ = ["REVIEW_RULE_ENV", "SIZE_NOTE", "living_changes", "propose_edit", "propose_project",
           "propose_retirement", "review_rule", "seed_register"]

#: The key under which a geometry change confirmed as of unusual size carries its note
#: (app.data.plausibility.size_note); the leading underscore: it is not a project field.
SIZE_NOTE = "_size_check"

#: The environment variable that sets which planner edits wait for a reviewer.
REVIEW_RULE_ENV = "ATLAS_PLANNER_REVIEW"


def review_rule(settings: Mapping[str, object] | None = None) -> str:
    """Which planner edits wait for a reviewer: `settings` ``planner_review`` (the app's
    secrets), else ``$ATLAS_PLANNER_REVIEW``, else ``geometry`` (geometry changes wait,
    attribute and stage edits do not).

    >>> review_rule({}), review_rule({"planner_review": "all"})
    ('geometry', 'all')
    >>> review_rule({"planner_review": "never"})
    Traceback (most recent call last):
    app.errors.SubmissionError: the planner review rule must be one of geometry, all, none; got 'never'
    """
    value = (settings or {}).get("planner_review") or os.environ.get(REVIEW_RULE_ENV) or "geometry"
    value = str(value).strip()
    if value not in ("geometry", "all", "none"):
        raise SubmissionError(f"the planner review rule must be one of geometry, all, none; got {value!r}")
    return value


def seed_register(store: AtlasStore, base: Atlas, *, actor: str = "seed",
                  today: str | None = None) -> int:
    """Bring the store's living register up to the curated register of `base`; return how many
    changes were recorded (0 when it already holds it).

    The first seed holds from the report's date (:data:`~app.data.living.SEED_DATE`); a later
    merge holds from `today` and touches only the seed's own values, never planners' edits.
    """
    values = seed_values(base.projects)
    for attempt in range(3):
        log = store.changes(register="")
        seeds = int((log["source"] == "seed").sum()) if len(log) else 0
        effective = (today or district_day()) if seeds else SEED_DATE
        edits = seed_changes(log, values, effective=effective, actor=actor,
                             reason="" if seeds else seed_reason(base.data_version))
        if not edits:
            return 0
        try:
            store.add_changes(edits, expected_seed=seeds)
        except ConflictError:  # another process seeded meanwhile: look again
            if attempt == 2:
                raise
            continue
        return len(edits)
    return 0


def living_changes(store: AtlasStore | None, base: Atlas) -> pd.DataFrame:
    """The change log the built-in register is folded from: the store's, or -- for a store
    never seeded, or none -- an in-memory seed of `base` (negative ids) followed by the store's
    planner changes, so the app shows the same register before its first seed is written."""
    log = store.changes(register="") if store is not None else pd.DataFrame(columns=CHANGE_COLUMNS)
    if len(log) and (log["source"] == "seed").any():
        return log
    values = seed_values(base.projects)
    why = seed_reason(base.data_version)  # the fold takes these values from `base` itself
    seed = pd.DataFrame([change_row(-len(values) + n, pid, "seed", {}, v, effective=SEED_DATE, reason=why)
                         for n, (pid, v) in enumerate(values.items())], columns=list(CHANGE_COLUMNS))
    return pd.concat([seed, log], ignore_index=True) if len(log) else seed


def _current(atlas: Atlas, project_id: str) -> pd.Series:
    rows = atlas.projects[atlas.projects["id"] == project_id]
    if rows.empty:
        raise keyed(SubmissionError, "err.project_unknown", project=repr(str(project_id)[:80]))
    return rows.iloc[0]


def _who_and_why(actor: object, reason: object) -> tuple[str, str]:
    """(actor, reason) of a planner's change, checked: both are required."""
    actor = str(actor or "").strip()
    if not actor:
        raise SubmissionError("a change needs the name of who makes it")
    return actor, check_reason(str(reason or ""))


def _checked_geometry(atlas: Atlas, layer: str, geometry: BaseGeometry) -> tuple[BaseGeometry, str]:
    """A planner's geometry for `layer`, checked (kinds, district tolerance) and repaired."""
    spec = atlas.spec(layer)
    district = atlas.places.get(DISTRICT_ID)
    return check_geometry(geometry, kinds=spec.geometry, tolerance_m=PROJECT_TOLERANCE_M,
                          district_m=to_metric(district.geometry) if district is not None else None,
                          layer=f"layer {spec.id}")


def _same(a: object, b: object) -> bool:
    if isinstance(a, float) and pd.isna(a):
        a = None
    if isinstance(b, float) and pd.isna(b):
        b = None
    return (a or None) == (b or None)


def propose_edit(store: AtlasStore, atlas: Atlas, project_id: str, *, actor: str, reason: str,
                 geometry: BaseGeometry | None = None, method: str = "drawn",
                 attributes: Mapping[str, object] | None = None,
                 stage: tuple[str, str, str] | None = None, expected_version: int,
                 rule: str | None = None, today: str | None = None,
                 channel: str = "", size_confirmed: bool = False) -> list[tuple[int, str]]:
    """Check and record a planner's edit of `project_id` in the shown `atlas` (with the living
    register applied, so current values and ``edit_version`` are known); return
    ``[(change id, 'accepted' | 'pending')]``.

    `geometry` (WGS-84; `method` ``drawn`` or ``uploaded`` on the planner page, ``sent`` through
    the OGC API) must suit the project's layer and lie in the district; `attributes` are checked by
    :func:`~app.data.living.check_attributes` and only the changed ones recorded; `stage` is
    ``(stage, YYYY-MM-DD, source)``. A ``SubmissionError`` says what is wrong and nothing is
    stored; a ``ConflictError`` says who changed the project since `expected_version`.
    `channel` names where the edit came from when not the app's pages (the audit row says it).

    A geometry far larger than its layer's usual size (:mod:`app.data.plausibility`) raises
    ``UnusualSizeError`` unless `size_confirmed`; confirmed, it is stored with the size's note
    (:data:`SIZE_NOTE`) and waits for a reviewer whatever the review rule.
    """
    actor, reason = _who_and_why(actor, reason)
    rule = rule or review_rule()
    today = today or district_day()
    row = _current(atlas, project_id)
    edits: list[Edit] = []
    if geometry is not None:
        spec = atlas.spec(str(row["layer"]))
        geom, repair = _checked_geometry(atlas, spec.id, geometry)
        if method not in ("drawn", "uploaded", "sent"):
            raise SubmissionError(f"a geometry is drawn, uploaded or sent, not {method!r}")
        old_geom = row.geometry if isinstance(row.geometry, BaseGeometry) else None
        where = f"through the {channel}" if channel else "in the app"
        new = {"geometry": geometry_wkt(geom), "precision": "site", "pos_method": method,
               "pos_source": f"{method} {where} by {actor} on {today}"
                             + (f"; {repair}" if repair else ""),
               "pos_source_crs": "wgs84", "pos_confidence": "high", "uncertainty_m": DRAWN_M,
               "position_note": f"Position {method} by a planner: {reason}"}
        old = {"geometry": geometry_wkt(old_geom), "precision": row.get("precision"),
               "pos_method": row.get("pos_method"), "pos_source": row.get("pos_source"),
               "pos_source_crs": row.get("pos_source_crs"),
               "pos_confidence": row.get("pos_confidence"),
               "uncertainty_m": row.get("uncertainty_m"),
               "position_note": row.get("position_note")}
        old = {k: (None if isinstance(v, float) and pd.isna(v) else v) for k, v in old.items()}
        check = size_check(atlas, spec.id, geom)
        unusual = check is not None and check.unusual
        if unusual and not size_confirmed:
            raise UnusualSizeError(
                f"the new geometry's {check.measure} ({check.value:,.0f}) is {check.ratio:,.1f} "
                f"times the usual {check.measure} of layer {spec.id} ({check.usual:,.0f}): "
                "confirm it to save", check)
        if unusual:
            new[SIZE_NOTE] = size_note(check)
        edits.append(Edit(project_id, "planner", actor, reason, old, new,
                          pending=unusual or needs_review(rule, new), channel=channel))
    values: dict[str, object] = {}
    old_values: dict[str, object] = {}
    if attributes:
        checked = check_attributes(attributes, actions=atlas.vocab.actions)
        for key, value in checked.items():
            current = row.get(key)
            if key == "links":
                current = list(current) if isinstance(current, (list, tuple)) else []
            if not _same(current, value):
                values[key] = value
                old_values[key] = None if isinstance(current, float) and pd.isna(current) else current
        if "action" in values:
            values["action_en"] = atlas.vocab.actions.get(str(values["action"]), "")
            old_values["action_en"] = row.get("action_en")
    if stage is not None:
        values["stage_entry"] = check_stage_entry(*stage, today=today)
        old_values["status"] = row.get("status")
    if values:
        edits.append(Edit(project_id, "planner", actor, reason, old_values, values,
                          pending=needs_review(rule, values), channel=channel))
    if not edits:
        raise keyed(SubmissionError, "err.nothing_changed")
    ids = store.add_changes(edits, expected_version=int(expected_version))
    return [(cid, "pending" if edit.pending else "accepted") for cid, edit in zip(ids, edits, strict=True)]


#: What a new project's id may look like (as the curated register's ids: a lower-case slug).
_PROJECT_ID = re.compile(r"[a-z0-9][a-z0-9-]{1,79}")


def propose_project(store: AtlasStore, atlas: Atlas, project_id: str, *, layer: str, actor: str,
                    reason: str, name_zh: str, name_en: str = "", category: str = "",
                    geometry: BaseGeometry | None = None, attributes: Mapping[str, object] | None = None,
                    stage: str = "planning", rule: str | None = None, today: str | None = None,
                    channel: str = "") -> list[tuple[int, str]]:
    """Check and record a project a planner adds to `layer` of the living register; return
    ``[(change id, 'accepted' | 'pending')]``. Under the review rules ``geometry`` and ``all`` a
    new project waits for a reviewer, as a moved one does.

    The id must be new (a lower-case slug); the names are one line each (``name_zh``
    required); `category` one of the layer's legend values or empty; `geometry` passes the
    checks of :func:`propose_edit` (none: the project is unlocated); `attributes` those of
    :func:`~app.data.living.check_attributes`; `stage` is its stage from `today`.

    >>> import tempfile, pathlib
    >>> from app.data.atlas import load_atlas
    >>> from app.store.sqlite import Store
    >>> store, atlas = Store(pathlib.Path(tempfile.mkdtemp()) / "s.sqlite"), load_atlas()
    >>> propose_project(store, atlas, "tianshan-park", layer="public_space", actor="赵工",
    ...                 reason="新增", name_zh="天山公园")
    Traceback (most recent call last):
    app.errors.SubmissionError: project id 'tianshan-park' is taken; choose another
    """
    actor, reason = _who_and_why(actor, reason)
    rule = rule or review_rule()
    today = today or district_day()
    project_id = str(project_id or "").strip()
    if not _PROJECT_ID.fullmatch(project_id):
        raise SubmissionError(f"a new project's id is a lower-case slug (letters, digits, -), "
                              f"2 to 80 characters; got {project_id[:80]!r}")
    taken = set(atlas.projects["id"].astype(str)) | set(store.changes(register="")["project_id"].astype(str))
    if project_id in taken:
        raise SubmissionError(f"project id {project_id!r} is taken; choose another")
    known = {spec.id: spec for spec in atlas.project_layers}
    if layer not in known:
        raise SubmissionError(f"unknown project layer {str(layer)[:40]!r} (known: {', '.join(known)})")
    spec = known[layer]
    names = {"name_zh": name_zh, "name_en": name_en}
    for key, value in names.items():
        text = check_text(str(value or ""), f"the project's {key}").strip()
        if len(text) > 200 or "\n" in text:
            raise SubmissionError(f"the project's {key} must be one line of at most 200 characters")
        names[key] = text
    if not names["name_zh"]:
        raise SubmissionError("a new project needs its Chinese name (name_zh)")
    if category and category not in spec.legend_values():
        raise SubmissionError(f"category {str(category)[:40]!r} is not in layer {layer}'s legend "
                              f"({', '.join(spec.legend_values())})")
    checked = check_attributes(attributes or {}, actions=atlas.vocab.actions)
    entry = check_stage_entry(stage, today, reason, today=today)
    values: dict[str, object] = {
        "id": project_id, **names, "aliases": [], "layer": layer, "category": category or "",
        "action": "", "action_en": "", "target_year": None, "subdistrict": "unknown",
        "address": "", "report_section": "", "report_paragraph": "", "report_ref": "",
        "description": "", "description_zh": "", "pos_refs": [], "parent": "", "extent": "",
        "start_date": "", "target_date": "", "lead_agency": "", "links": [],
        "precision": "unlocated", "pos_method": "none", "pos_source": "", "pos_source_crs": "",
        "pos_confidence": "none", "position_note": f"Added by a planner without a position: {reason}",
        "geometry": None, "stages": [entry], "_created": True, **checked,
    }
    if "action" in checked:
        values["action_en"] = atlas.vocab.actions.get(str(checked["action"]), "")
    if geometry is not None:
        geom, repair = _checked_geometry(atlas, spec.id, geometry)
        where = f"through the {channel}" if channel else "in the app"
        values.update({"geometry": geometry_wkt(geom), "precision": "site", "pos_method": "sent",
                       "pos_source": f"sent {where} by {actor} on {today}" + (f"; {repair}" if repair else ""),
                       "pos_source_crs": "wgs84", "pos_confidence": "high",
                       "position_note": f"Position given by a planner: {reason}"})
    edit = Edit(project_id, "planner", actor, reason, {}, values, pending=needs_review(rule, values),
                channel=channel)
    ids = store.add_changes([edit], expected_version=0)
    return [(ids[0], "pending" if edit.pending else "accepted")]


def propose_retirement(store: AtlasStore, atlas: Atlas, project_id: str, *, actor: str,
                       reason: str, expected_version: int, rule: str | None = None,
                       channel: str = "") -> list[tuple[int, str]]:
    """Check and record a planner's removal of `project_id` from the living register (it stays
    in the history and in views as of earlier days); return ``[(change id, status)]``. Under the
    review rules ``geometry`` and ``all`` it waits for a reviewer."""
    actor, reason = _who_and_why(actor, reason)
    _current(atlas, project_id)
    new = {"_retired": True}
    edit = Edit(project_id, "planner", actor, reason, {"_retired": False}, new,
                pending=needs_review(rule or review_rule(), new), channel=channel)
    ids = store.add_changes([edit], expected_version=int(expected_version))
    return [(ids[0], "pending" if edit.pending else "accepted")]
