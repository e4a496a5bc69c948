"""Planner page: place or redraw a project, update its attributes and stage, save with a reason.

The planner picks a project (the unlocated ones first), sees its recorded geometry with the
district outline, draws a new point, line or polygon (the kinds its layer takes) or uploads a
boundary file, edits the attributes, adds a dated stage entry, and saves with a reason through
:func:`app.service.living.propose_edit`. The save is checked against the project's version as
it was when the planner opened it, so a colleague's save in between is never overwritten: the
second save is refused with what changed. Whether a change waits for a reviewer is the
register's rule (by default, geometry changes do).
"""

from __future__ import annotations

import json
from datetime import date

import pandas as pd
import streamlit as st
from shapely.geometry.base import BaseGeometry
from streamlit_folium import st_folium

from app.data.atlas import PROJECT_TOLERANCE_M, Atlas
from app.data.living import STAGE_ORDER
from app.domain.i18n import t
from app.domain.roles import PLANNER, Identity
from app.domain.text import escape_markdown
from app.domain.viewstate import district_today
from app.errors import AtlasError, ConflictError, SubmissionError
from app.geo.geocode import to_metric
from app.io import sandbox
from app.io.boundary_file import BOUNDARY_FORMATS, BoundaryFile, read_boundary
from app.io.limits import UPLOADER_LIMIT_MB
from app.map.assets import localize
from app.map.basemaps import BASEMAPS
from app.map.builder import build_map
from app.map.drawing import DRAW_TEXT_KEYS, add_draw_tools, add_proposed, drawn_geometry
from app.service.atlas import BUILT_IN
from app.service.living import propose_edit, review_rule
from app.ui import auth, outcome, state
from app.ui.cache import (
    REGISTER_KEY,
    chosen_register,
    field_basemap,
    get_atlas,
    get_store,
    static_assets,
)
from app.ui.change_text import PROVENANCE, field_name, geometry_text
from app.ui.safe import error_message, notice, say

#: Session keys: the version of each project as the planner opened it, and a counter that
#: renews the map and the form after a save (their widgets start afresh).
_BASE_KEY = "_planner_base"
_SEQ_KEY = "_planner_seq"
_CRS_CHOICES = ("wgs84", "gcj02", "bd09", "epsg")
_MAP_HEIGHT = 460
#: The days a date input offers (the checks of app.data.living accept 2000-2100).
_DAYS = {"min_value": date(2000, 1, 1), "max_value": date(2100, 12, 31), "format": "YYYY-MM-DD"}


def _seq() -> int:
    return int(st.session_state.get(_SEQ_KEY, 0))


def _key(row: pd.Series, name: str) -> str:
    """A form widget's key: its identity never hangs on the value it starts with, so what the
    planner typed survives a colleague's save (which changes those values) until a reload."""
    return f"planner_{name}_{row['id']}_{_seq()}"


def _renew(project_id: str) -> None:
    """Forget the version the planner opened `project_id` at, and start map and form afresh."""
    st.session_state.setdefault(_BASE_KEY, {}).pop(project_id, None)
    st.session_state[_SEQ_KEY] = _seq() + 1


def _use_builtin() -> None:
    """Callback: show the built-in register (the living one) instead of a saved one."""
    st.session_state[REGISTER_KEY] = BUILT_IN
    st.session_state["focus"] = None


def _name(row: pd.Series, lang: str) -> str:
    return str(row["name_en" if lang == "en" else "name_zh"])


def _pick(atlas: Atlas, lang: str) -> str | None:
    """The project picker: unlocated projects first (with their count), then the located ones."""
    projects = atlas.projects
    unlocated = projects.geometry.isna().to_numpy()
    notice("caption", "planner.count", lang, n=len(projects), unlocated=int(unlocated.sum()))
    if projects.empty:
        return None
    names = {pid: _name(row, lang) for pid, row in projects.set_index("id").iterrows()}
    tag = t("planner.unlocated_tag", lang)
    first = sorted(projects.loc[unlocated, "id"], key=names.get)
    rest = sorted(projects.loc[~unlocated, "id"], key=names.get)
    labels = {pid: f"{names[pid]} · {tag}" for pid in first} | {pid: names[pid] for pid in rest}
    options = first + rest
    return st.selectbox(t("planner.pick", lang), options, format_func=labels.get,
                        key=state.relabelled("planner_pick"), placeholder=t("picker.one", lang))


def _opened_version(project_id: str, current: int, lang: str) -> int:
    """The project's version as the planner opened it; says so when it has moved since."""
    bases = st.session_state.setdefault(_BASE_KEY, {})
    opened = bases.setdefault(project_id, current)
    if opened != current:
        notice("warning", "planner.moved", lang, opened=opened, now=current)
        st.button(t("planner.reload", lang), on_click=_renew, args=(project_id,),
                  key="planner_reload")
    return opened


def _current(atlas: Atlas, row: pd.Series, lang: str) -> None:
    """What the register holds now: layer, stage since when, lead agency, geometry and area."""
    spec = atlas.spec(row["layer"])
    stage = atlas.vocab.status_label(str(row.get("status") or ""), lang) or "—"
    since = str(row.get("stage_date") or "")
    precision = atlas.vocab.label("precision", row["precision"], lang)
    st.markdown(say("planner.now", lang, layer=spec.title(lang), stage=stage, since=since or "—",
                    precision=precision, agency=str(row.get("lead_agency") or "—")))
    shape = geometry_text(row.geometry, lang, site=row["precision"] == "site")
    st.caption(f"{t('planner.current_geometry', lang)} {escape_markdown(shape)}")
    stages = row.get("stages")
    if isinstance(stages, list) and stages:
        table = pd.DataFrame([{
            t("planner.stage_col", lang): atlas.vocab.status_label(s.get("stage", ""), lang),
            t("planner.date_col", lang): s.get("date", ""),
            t("planner.source_col", lang): s.get("source", "")} for s in stages])
        with st.expander(say("planner.history", lang, n=len(stages))):
            st.dataframe(table, hide_index=True, width="stretch")


def _upload(atlas: Atlas, lang: str) -> BoundaryFile | None:
    """The boundary-file uploader with its CRS choice; the boundary read, or None."""
    left, mid, right = st.columns([3, 2, 2])
    sandbox.prewarm()  # the file is parsed in a worker: start one while the user picks a file
    file = left.file_uploader(t("planner.upload", lang), type=[s[1:] for s in BOUNDARY_FORMATS],
                              key=f"planner_file_{_seq()}", max_upload_size=UPLOADER_LIMIT_MB,
                              help=t("planner.upload_help", lang))
    crs = mid.selectbox(t("planner.crs", lang), _CRS_CHOICES, key=state.relabelled("planner_crs"),
                        format_func=lambda v: t(f"import.crs_{v}", lang),
                        help=t("planner.crs_help", lang), placeholder=t("picker.one", lang))
    if crs == "epsg":
        crs = right.text_input(t("import.epsg", lang), value="EPSG:32651", key="planner_epsg").strip()
    if file is None:
        return None
    district_m = to_metric(atlas.places["district-changning"].geometry)
    try:
        got = read_boundary(file.getvalue(), file.name, crs=crs, district_m=district_m,
                            tolerance_m=PROJECT_TOLERANCE_M)
    except AtlasError as exc:
        notice("error", "planner.upload_refused", lang, message=error_message(exc, lang))
        return None
    if got.crs_from_file:
        notice("caption", "planner.upload_crs_file", lang, crs=got.crs)
    elif got.crs != "wgs84":
        notice("caption", "planner.upload_crs_declared", lang, crs=got.crs)
    for fix in got.fixes:
        notice("caption", "planner.upload_note", lang, note=fix)
    return got


def _view_of(geometry: BaseGeometry | None) -> tuple[tuple[float, float] | None, int | None]:
    """(centre as lat/lon, zoom) showing `geometry`; (None, None): the whole district."""
    if geometry is None or geometry.is_empty:
        return None, None
    minx, miny, maxx, maxy = geometry.bounds
    return ((miny + maxy) / 2, (minx + maxx) / 2), 17 if geometry.geom_type == "Point" else 16


def _drawing(out: dict | None) -> dict | None:
    """The drawing to use: the last one touched if it is still on the map, else the last one."""
    drawings = (out or {}).get("all_drawings") or []
    if not drawings:
        return None
    last = (out or {}).get("last_active_drawing")
    return last if last in drawings else drawings[-1]


def _geometry_input(atlas: Atlas, row: pd.Series, lang: str) -> tuple[BaseGeometry | None, str]:
    """The map with the recorded geometry and the drawing tools (or the uploaded boundary);
    the new geometry in WGS-84 (None when there is none) and how it came: drawn or uploaded."""
    mode = st.segmented_control(f"**{t('planner.how', lang)}**", ["draw", "upload"], default="draw",
                                format_func=lambda v: t(f"planner.how_{v}", lang),
                                key="planner_mode") or "draw"
    uploaded = _upload(atlas, lang) if mode == "upload" else None
    static_assets()
    basemap = field_basemap()
    crs = BASEMAPS[basemap]["crs"]
    frame = atlas.projects[atlas.projects["id"] == row["id"]]
    # centred on the recorded geometry, the card left closed: it would cover where one draws
    centre, zoom = _view_of(row.geometry)
    m = build_map(atlas, frame, lang=lang, basemap=basemap, visible_refs=("district_boundary",),
                  centre=centre, zoom=zoom, height=_MAP_HEIGHT, clickable_refs=False)
    if uploaded is not None:
        add_proposed(m, uploaded.geometry, crs)
    else:
        add_draw_tools(m, atlas.spec(row["layer"]).geometry,
                       texts={k: t(f"planner.draw_{k}", lang) for k in DRAW_TEXT_KEYS})
    localize(m)
    returned = [] if uploaded is not None else ["all_drawings", "last_active_drawing"]
    out = st_folium(m, key=f"planner_map_{row['id']}_{_seq()}_{mode}", height=_MAP_HEIGHT,
                    use_container_width=True, returned_objects=returned)
    if uploaded is not None:
        return uploaded.geometry, "uploaded"
    if mode == "draw" and len((out or {}).get("all_drawings") or []) > 1:
        notice("warning", "planner.several", lang, n=len(out["all_drawings"]))
    return drawn_geometry(_drawing(out), crs), "drawn"


def _day(value: object) -> date | None:
    """A stored 'YYYY-MM-DD' as a date for the date inputs (None when blank or unreadable)."""
    try:
        return date.fromisoformat(str(value)) if value else None
    except ValueError:
        return None


def _links(value: object) -> list[str]:
    return [str(v) for v in value] if isinstance(value, list | tuple) else []


def _text(row: pd.Series, name: str) -> str:
    value = row.get(name)
    return "" if value is None or (isinstance(value, float) and pd.isna(value)) else str(value)


def _attribute_inputs(atlas: Atlas, row: pd.Series, lang: str) -> dict[str, object]:
    """The attribute widgets (inside the form), filled with the recorded values; their values."""
    actions = list(atlas.vocab.actions)
    recorded = _text(row, "action")
    options = ([""] if recorded not in actions else []) + actions
    top = st.columns(3)
    def action_label(action: str) -> str:
        if not action:
            return "—"
        return f"{action} · {atlas.vocab.actions[action]}" if lang == "en" else action

    action = top[0].selectbox(t("planner.action", lang), options, format_func=action_label,
                              index=options.index(recorded) if recorded in options else 0,
                              key=_key(row, f"action_{lang}"), placeholder=t("picker.one", lang))
    start = top[1].date_input(t("planner.start_date", lang), value=_day(row.get("start_date")),
                              key=_key(row, "start"), **_DAYS)
    target = top[2].date_input(t("planner.target_date", lang), value=_day(row.get("target_date")),
                               key=_key(row, "target"), **_DAYS)
    agency = st.text_input(t("planner.lead_agency", lang), max_chars=120,
                           value=_text(row, "lead_agency"), key=_key(row, "agency"))
    description_zh = st.text_area(t("planner.description_zh", lang), max_chars=2000,
                                  value=_text(row, "description_zh"), key=_key(row, "desc_zh"))
    description = st.text_area(t("planner.description_en", lang), max_chars=2000,
                               value=_text(row, "description"), key=_key(row, "desc_en"))
    links = st.text_area(t("planner.links", lang), value="\n".join(_links(row.get("links"))),
                         help=t("planner.links_help", lang), height=80, key=_key(row, "links"))
    return {"action": action, "start_date": start.isoformat() if start else "",
            "target_date": target.isoformat() if target else "", "lead_agency": agency,
            "description_zh": description_zh, "description": description,
            "links": [line.strip() for line in links.splitlines() if line.strip()]}


def _changed(row: pd.Series, values: dict[str, object]) -> dict[str, object]:
    """The attribute values that differ from the recorded ones."""
    out = {}
    for name, value in values.items():
        old = _links(row.get(name)) if name == "links" else _text(row, name)
        if value != old:
            out[name] = value
    return out


def _stage_inputs(atlas: Atlas, row: pd.Series, lang: str) -> tuple[str, str, str] | None:
    """The new stage entry's widgets (inside the form); the entry, or None when none is added."""
    st.markdown(f"**{t('planner.stage', lang)}**")
    stages = [s for s in STAGE_ORDER if s in atlas.vocab.statuses]
    cols = st.columns([2, 2, 3])
    none = t("planner.stage_none", lang)
    stage = cols[0].selectbox(t("planner.stage_new", lang), ["", *stages],
                              format_func=lambda s: atlas.vocab.status_label(s, lang) if s else none,
                              key=_key(row, f"stage_{lang}"), placeholder=t("picker.one", lang))
    day = cols[1].date_input(t("planner.stage_date", lang), value=district_today(),
                             key=_key(row, "stage_day"), **_DAYS)
    source = cols[2].text_input(t("planner.stage_source", lang), max_chars=300,
                                placeholder=t("planner.stage_source_hint", lang),
                                key=_key(row, "stage_source"))
    if not stage:
        return None
    return stage, day.isoformat() if day else "", source.strip()


def _save(atlas: Atlas, row: pd.Series, who: Identity, version: int,
          geometry: tuple[BaseGeometry | None, str], attributes: dict[str, object],
          stage: tuple[str, str, str] | None, reason: str, lang: str) -> None:
    """Propose the edit; keep its outcome and start afresh, or say why nothing was saved."""
    shape, method = geometry
    if shape is None and not attributes and stage is None:
        notice("warning", "planner.nothing", lang)
        return
    try:
        results = propose_edit(get_store(), atlas, str(row["id"]), actor=who.actor, reason=reason,
                               geometry=shape, method=method, attributes=attributes or None,
                               stage=stage, expected_version=version,
                               rule=review_rule(auth.settings()))
    except ConflictError as exc:
        notice("error", "planner.conflict", lang, message=error_message(exc, lang))
        st.button(t("planner.reload", lang), on_click=_renew, args=(str(row["id"]),),
                  key="planner_reload_conflict")
        return
    except SubmissionError as exc:
        notice("error", "error_atlas", lang, message=error_message(exc, lang))
        return
    for cid, _status in results:
        auth.authored("change", cid)
    accepted = ", ".join(f"#{cid}" for cid, status in results if status == "accepted")
    pending = ", ".join(f"#{cid}" for cid, status in results if status == "pending")
    if accepted and pending:
        outcome.keep("info", "planner.saved_mixed", accepted=accepted, pending=pending)
    elif pending:
        outcome.keep("info", "planner.saved_pending", ids=pending)
    else:
        outcome.keep("success", "planner.saved_accepted", ids=accepted)
    _renew(str(row["id"]))
    st.rerun()


def _edit_form(atlas: Atlas, row: pd.Series, geometry: tuple[BaseGeometry | None, str],
               who: Identity, version: int, lang: str) -> None:
    """Attributes, a stage entry and the reason, saved together with the new geometry."""
    st.subheader(t("planner.attributes", lang))
    if geometry[0] is not None:
        shape = escape_markdown(geometry_text(geometry[0], lang))
        st.info(f"{t('planner.new_geometry', lang)} {shape}")
    with st.form(f"planner_form_{row['id']}_{_seq()}"):
        values = _attribute_inputs(atlas, row, lang)
        stage = _stage_inputs(atlas, row, lang)
        reason = st.text_area(t("planner.reason", lang), max_chars=500, height=80,
                              placeholder=t("planner.reason_hint", lang), key=_key(row, "reason"))
        saved = st.form_submit_button(t("planner.save", lang), type="primary", width="stretch")
    if saved:
        _save(atlas, row, who, version, geometry, _changed(row, values), stage, reason, lang)


def _pending(project_id: str, lang: str) -> None:
    """This project's changes that wait for a reviewer (plain cells: never Markdown)."""
    waiting = get_store().changes(project_id=project_id, status="pending")
    if waiting.empty:
        return
    rows = []
    for _, change in waiting.iterrows():
        new = json.loads(change["new"] or "{}")
        rows.append({"#": int(change["id"]), t("planner.who", lang): change["actor"],
                     t("planner.when", lang): str(change["at"])[:16].replace("T", " "),
                     t("planner.fields", lang): ", ".join(field_name(k, lang) for k in new
                                                         if "geometry" not in new or k not in PROVENANCE),
                     t("planner.reason_col", lang): change["reason"]})
    st.markdown(f"**{say('planner.waiting', lang, n=len(rows))}**")
    st.dataframe(pd.DataFrame(rows), hide_index=True, width="stretch")


def render() -> None:
    """The planner page (planner role)."""
    lang = st.session_state.get("w_lang") or "zh"
    st.title(t("planner.title", lang))
    outcome.show_kept(lang, "planner")
    who = auth.require(PLANNER, lang)
    if who is None:
        return
    if chosen_register() != BUILT_IN:
        notice("info", "planner.builtin_only", lang, name=chosen_register())
        st.button(t("planner.use_builtin", lang), on_click=_use_builtin, key="planner_builtin")
        return
    atlas = get_atlas()
    project_id = _pick(atlas, lang)
    if project_id is None:
        return
    row = atlas.projects.set_index("id", drop=False).loc[project_id]
    version = _opened_version(project_id, int(row.get("edit_version", 0) or 0), lang)
    _current(atlas, row, lang)
    geometry = _geometry_input(atlas, row, lang)
    _edit_form(atlas, row, geometry, who, version, lang)
    _pending(project_id, lang)
