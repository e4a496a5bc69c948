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
from shapely.geometry import mapping
from shapely.geometry.base import BaseGeometry

from app.data.atlas import PROJECT_TOLERANCE_M, Atlas
from app.data.living import MAX_VERTICES, STAGE_ORDER
from app.data.plausibility import size_check
from app.domain.i18n import t
from app.domain.roles import PLANNER, Identity
from app.domain.text import escape_markdown
from app.domain.viewstate import district_today
from app.errors import AtlasError, ConflictError, SubmissionError, UnusualSizeError
from app.geo.crs import convert_geometry
from app.geo.geocode import to_metric
from app.io import sandbox
from app.io.boundary_file import BOUNDARY_FORMATS, BoundaryFile, read_boundary
from app.io.limits import UPLOADER_LIMIT_MB
from app.map.basemaps import BASEMAP_CRSS, BASEMAPS, basemap_title, keyless_basemaps
from app.map.drawing import DRAW_TEXT_KEYS, draw_texts, draw_tools, drawn_geometry
from app.map.live import OVERLAY_STYLES, geometry_bounds, overlay
from app.service.atlas import BUILT_IN
from app.service.living import propose_edit, review_rule
from app.ui import auth, outcome, state
from app.ui.cache import REGISTER_KEY, chosen_register, field_basemap, get_atlas, get_store
from app.ui.change_text import PROVENANCE, field_name, geometry_text, size_text
from app.ui.live_map import overlay_legend, page_map
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


def _editable(geometry: BaseGeometry | None) -> bool:
    """Whether Leaflet.draw can edit `geometry` as one shape (a point, a line or a polygon)."""
    return geometry is not None and not geometry.is_empty and geometry.geom_type in (
        "Point", "LineString", "Polygon")


def _place_picker(atlas: Atlas, lang: str) -> str | None:
    """Go to a place: a road, a station, a landmark, a sub-district or another project."""
    en = lang == "en"
    names = {p.id: (p.name_en if en else p.name_zh) for p in atlas.places.values()
             if p.geometry is not None and p.kind != "district"}
    located = atlas.projects[atlas.projects.geometry.notna()]
    names |= {f"project:{pid}": name for pid, name in
              zip(located["id"], located["name_en" if en else "name_zh"], strict=True)}
    return st.selectbox(t("planner.goto", lang), sorted(names, key=names.get), index=None,
                        format_func=names.get, placeholder=t("planner.goto_hint", lang),
                        key=state.relabelled("planner_goto"))


def _goto_geometry(atlas: Atlas, place: str | None) -> BaseGeometry | None:
    if not place:
        return None
    if place.startswith("project:"):
        rows = atlas.projects[atlas.projects["id"] == place.removeprefix("project:")]
        return rows.geometry.iloc[0] if len(rows) else None
    found = atlas.places.get(place)
    return found.geometry if found is not None else None


def _too_big(drawing: object) -> bool:
    """Whether a drawing the map sent has more vertices than any geometry may have."""
    text = str((drawing or {}).get("coordinates", "")) if isinstance(drawing, dict) else ""
    return text.count(",") > 2 * MAX_VERTICES


def _map_message(key: str) -> dict:
    return st.session_state.get(key) or {}


def _geometry_input(atlas: Atlas, row: pd.Series, lang: str) -> tuple[BaseGeometry | None, str]:
    """The map (draw mode: every project, the reference layers with the roads, the basemap, a
    place to go to; the recorded shape ready to edit, or the uploaded boundary); the new
    geometry in WGS-84 (None when there is none) and how it came: drawn or uploaded."""
    mode = st.segmented_control(f"**{t('planner.how', lang)}**", ["draw", "upload"], default="draw",
                                format_func=lambda v: t(f"planner.how_{v}", lang),
                                key="planner_mode") or "draw"
    uploaded = _upload(atlas, lang) if mode == "upload" else None
    left, right = st.columns([3, 2])
    with left:
        place = _place_picker(atlas, lang)
    if st.session_state.get("planner_basemap") not in keyless_basemaps():
        st.session_state["planner_basemap"] = field_basemap()  # the map page's, to begin with
    basemap = right.selectbox(t("basemap", lang), keyless_basemaps(), key=state.relabelled("planner_basemap"),
                              format_func=lambda v: basemap_title(v, lang))
    crs = BASEMAPS[basemap]["crs"]
    key = f"planner_map_{row['id']}_{_seq()}_{mode}"
    message = _map_message(key)
    drawn = None
    if uploaded is None:
        drawing = message.get("drawn")
        if _too_big(drawing):  # bounded before any work: a drawing is a site, not a city
            notice("error", "planner.drawing_too_big", lang, n=MAX_VERTICES)
        else:
            drawn = drawn_geometry(drawing, message.get("crs") if message.get("crs") in BASEMAP_CRSS else crs)
    recorded = row.geometry if isinstance(row.geometry, BaseGeometry) else None
    shown = uploaded.geometry if uploaded is not None else drawn
    goto = _goto_geometry(atlas, place)
    # the map goes to the place asked for, else to the new or recorded shape, else the district
    target, seq = (goto, f"place:{place}") if goto is not None else (
        (shown, f"new:{mode}:{_seq()}") if uploaded is not None else (recorded, f"row:{row['id']}"))
    fit = {"bounds": geometry_bounds(target, crs, pad_m=120), "seq": seq} if target is not None else None
    overlays, extra = [], []
    draw = None
    if uploaded is not None:
        overlays.append(overlay(uploaded.geometry, "new", crs))
        extra.append(overlay_legend("new", lang))
    else:
        editing = drawn if drawn is not None else (recorded if _editable(recorded) else None)
        role = "new" if drawn is not None else "old"
        shape = None if editing is None else mapping(
            convert_geometry(editing, "wgs84", crs) if crs != "wgs84" else editing)
        draw = {"tools": draw_tools(atlas.spec(row["layer"]).geometry),
                "texts": draw_texts({k: t(f"planner.draw_{k}", lang) for k in DRAW_TEXT_KEYS}),
                "shape": shape, "style": OVERLAY_STYLES[role],
                "shape_key": f"{role}:{crs}:{editing.wkt if editing is not None else ''}"}
        if recorded is not None and drawn is not None:
            overlays.append(overlay(recorded, "old", crs))
        extra.append(overlay_legend(role, lang))
    refs = [s.id for s in atlas.reference_layers if s.visible or s.id == "road_sketches"]
    page_map(atlas, lang, mode="draw", key=key, basemap=basemap, height=_MAP_HEIGHT, refs=refs,
             overlays=overlays, legend_extra=extra, fit=fit, draw=draw)
    if uploaded is not None:
        return uploaded.geometry, "uploaded"
    st.caption(t("planner.draw_help", lang))
    return drawn, "drawn"


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


def _conflict(project_id: str, opened: int, lang: str) -> None:
    """Why a save was refused, in the page's language: the changes made since `opened`."""
    log = get_store().changes(project_id=project_id)
    since = log[log["id"] > opened] if len(log) else log
    lines = []
    for _, change in since.iterrows():
        fields = ", ".join(field_name(k, lang) for k in json.loads(change["new"] or "{}")
                           if not k.startswith("_")) or "—"
        lines.append(say("planner.conflict_change", lang, cid=int(change["id"]), actor=change["actor"],
                         at=str(change["at"])[:16].replace("T", " "), fields=fields,
                         status=t(f"planner.status_{change['status']}", lang)))
    st.error(say("planner.conflict_intro", lang, opened=opened) + "\n\n"
             + "\n".join(f"- {line}" for line in lines))


def _save(atlas: Atlas, row: pd.Series, who: Identity, version: int,
          geometry: tuple[BaseGeometry | None, str], attributes: dict[str, object],
          stage: tuple[str, str, str] | None, reason: str, lang: str,
          size_confirmed: bool = False) -> None:
    """Propose the edit; keep its outcome and start afresh, or say why nothing was saved."""
    shape, method = geometry
    if shape is None and not attributes and stage is None:
        notice("warning", "planner.nothing", lang)
        return
    try:
        results = propose_edit(get_store(), atlas, str(row["id"]), actor=who.actor, reason=reason,
                               geometry=shape, method=method, attributes=attributes or None,
                               stage=stage, expected_version=version,
                               rule=review_rule(auth.settings()), size_confirmed=size_confirmed)
    except ConflictError:
        _conflict(str(row["id"]), version, lang)
        st.button(t("planner.reload", lang), on_click=_renew, args=(str(row["id"]),),
                  key="planner_reload_conflict")
        return
    except UnusualSizeError as exc:
        notice("error", "planner.size_unconfirmed", lang, **size_text(exc.check, lang))
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
    check = None
    if geometry[0] is not None:
        shape = escape_markdown(geometry_text(geometry[0], lang))
        st.info(f"{t('planner.new_geometry', lang)} {shape}")
        check = size_check(atlas, str(row["layer"]), geometry[0])
        if check is not None and check.unusual:  # a plausibility check before the save
            notice("warning", "planner.size_unusual_spec" if check.scope == "spec" else "planner.size_unusual",
                   lang, **size_text(check, lang))
    with st.form(f"planner_form_{row['id']}_{_seq()}"):
        values = _attribute_inputs(atlas, row, lang)
        stage = _stage_inputs(atlas, row, lang)
        reason = st.text_area(t("planner.reason", lang), max_chars=500, height=80,
                              placeholder=t("planner.reason_hint", lang), key=_key(row, "reason"))
        confirmed = False
        if check is not None and check.unusual:
            confirmed = st.checkbox(t("planner.size_confirm", lang), key=_key(row, "size_ok"))
        saved = st.form_submit_button(t("planner.save", lang), type="primary", width="stretch")
    if saved:
        _save(atlas, row, who, version, geometry, _changed(row, values), stage, reason, lang,
              size_confirmed=confirmed)


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
