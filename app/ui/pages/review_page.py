"""Review page: pending field submissions beside the recorded positions, and planners' changes
waiting for acceptance (old -> new values, the new geometry on a small map); accept or reject."""

from __future__ import annotations

import json
from collections.abc import Callable

import pandas as pd
import shapely
import streamlit as st
from streamlit_folium import st_folium

from app.domain.i18n import t
from app.domain.roles import REVIEWER
from app.domain.text import escape_markdown
from app.geo.crs import convert_geometry
from app.geo.geocode import to_metric
from app.io.csvfile import csv_bytes
from app.map.assets import localize
from app.map.basemaps import BASEMAPS
from app.map.builder import build_map
from app.map.drawing import add_proposed
from app.store import ConflictError, SubmissionError
from app.ui import auth, outcome, state
from app.ui.cache import chosen_register, field_basemap, get_atlas, get_store, static_assets
from app.ui.change_text import field_name, geometry_text, short_wkt
from app.ui.safe import error_message, notice, say


def _label(row: pd.Series, names: dict[str, str], lang: str) -> str:
    """A submission in the picker (plain text: selectbox options are not Markdown)."""
    kind = t("review.correct" if row["kind"] == "correct" else "review.confirm", lang)
    return f"#{row['id']} · {names.get(row['project_id'], row['project_id'])} · {kind} · {row['submitted_by']}"


def _offset_m(recorded, lon: float | None, lat: float | None) -> float | None:
    if recorded is None or lon is None or pd.isna(lon):
        return None
    return float(to_metric(recorded).distance(to_metric(shapely.Point(lon, lat))))


def _decide(form: str, lang: str, decide: Callable[[bool, str], None], *, conflict: str,
            done: tuple[str, str], **ids: int) -> None:
    """Accept or reject with a reason: the one form for field submissions and planners'
    changes. `decide(accept, reason)` records the decision; losing a race to another reviewer
    is said (`conflict`, with who won), then `done` (accepted, rejected) is kept for the next run.
    """
    with st.form(form):
        reason = st.text_input(t("review.reason", lang), key=f"{form}_reason")
        left, right = st.columns(2)
        accept = left.form_submit_button(t("review.accept", lang), type="primary", width="stretch")
        reject = right.form_submit_button(t("review.reject", lang), width="stretch")
    if not (accept or reject):
        return
    try:
        decide(accept, reason)
    except ConflictError as exc:
        notice("error", conflict, lang, message=error_message(exc, lang))
        return
    except SubmissionError as exc:
        notice("error", "error_atlas", lang, message=error_message(exc, lang))
        return
    outcome.keep("success", done[0] if accept else done[1], **ids)
    st.rerun()


def _review_form(row: pd.Series, who, recorded, lang: str) -> None:
    """Accept or reject a field submission (unless it is the reviewer's own: then say why not)."""
    if auth.own_work("submission", int(row["id"]), row["submitted_by"], who):
        notice("info", "review.own_submission", lang, by=row["submitted_by"])  # four eyes
        return

    def decide(accept: bool, reason: str) -> None:
        get_store().review(int(row["id"]), who.actor, accept=accept, reason=reason,
                           old_wkt=recorded.wkt if recorded is not None else None,
                           expected_version=int(row["version"]))

    _decide(f"review_{row['id']}", lang, decide, conflict="review.conflict",
            done=("review.accepted", "review.rejected"), sid=int(row["id"]))


def _history(atlas, lang: str) -> None:
    st.subheader(t("review.history", lang))
    name = "name_en" if lang == "en" else "name_zh"
    options = atlas.projects["id"].tolist()
    names = dict(zip(atlas.projects["id"], atlas.projects[name], strict=True))
    project = st.selectbox(t("review.project", lang), options, format_func=lambda v: names.get(v, v),
                           key="review_history_project", placeholder=t("picker.one", lang))
    audit = get_store().audit(project)
    st.dataframe(audit, hide_index=True, width="stretch")
    st.download_button(t("review.download", lang), csv_bytes(audit),
                       file_name=f"audit-{project}.csv", mime="text/csv")


def render() -> None:
    """The review page (reviewer role)."""
    lang = st.session_state.get("w_lang") or "zh"
    st.title(t("review.title", lang))
    outcome.show_kept(lang, "review")
    who = auth.require(REVIEWER, lang)
    if who is None:
        return
    atlas = get_atlas()
    pending = get_store().pending()
    pending = pending[pending["register"].fillna("") == chosen_register()]  # of the register shown
    name = "name_en" if lang == "en" else "name_zh"
    names = dict(zip(atlas.projects["id"], atlas.projects[name], strict=True))
    if pending.empty:
        st.info(t("review.none", lang))
    else:
        labels = {int(r["id"]): _label(r, names, lang) for _, r in pending.iterrows()}
        sid = st.selectbox(t("review.pick", lang), list(labels), format_func=labels.get, key=state.relabelled("review_pick"), placeholder=t("picker.one", lang))
        row = pending.set_index("id", drop=False).loc[sid]
        project = atlas.projects.set_index("id").loc[row["project_id"]]
        recorded = project.geometry
        cols = st.columns(2)
        cols[0].markdown(f"**{t('review.recorded', lang)}**: {escape_markdown(project['precision'])}"
                         f" · {escape_markdown(project['pos_method'])}")
        if recorded is None:
            cols[0].caption(t("review.unlocated", lang))
        if row["kind"] == "correct":
            cols[1].markdown(f"**{t('review.submitted', lang)}**: {row['lon']:.6f}, {row['lat']:.6f} "
                             f"({escape_markdown(row['precision'])}, ±{row['accuracy_m'] or 0:.0f} m)")
            offset = _offset_m(recorded, row["lon"], row["lat"])
            if offset is not None:
                cols[1].caption(t("review.offset", lang).format(d=offset))
        if row["note"]:
            st.markdown(f"**{t('review.note', lang)}**: {escape_markdown(row['note'])}")
        static_assets()
        frame = atlas.projects[atlas.projects["id"] == row["project_id"]]
        here = (row["lon"], row["lat"], row["accuracy_m"]) if row["kind"] == "correct" else None
        basemap = field_basemap()
        m = build_map(atlas, frame, lang=lang, basemap=basemap, visible_refs=("district_boundary",),
                      focus=row["project_id"], here=here, height=360)
        if here is not None and recorded is not None:
            m.fit_bounds(_bounds(recorded, row["lon"], row["lat"], BASEMAPS[basemap]["crs"]), max_zoom=18)
        localize(m)
        st_folium(m, key=f"review_map_{sid}", height=360, use_container_width=True,
                  returned_objects=[])
        photo = get_store().photo(sid)
        if photo:
            st.image(photo[0], caption=t("review.photo", lang), width=320)
        _review_form(row, who, recorded, lang)
    _planner_changes(atlas, who, lang)
    _history(atlas, lang)


def _bounds(recorded, lon: float, lat: float, crs: str) -> list[tuple[float, float]]:
    both = convert_geometry(shapely.union(recorded, shapely.Point(lon, lat)), "wgs84", crs)
    minx, miny, maxx, maxy = both.bounds
    pad = 0.0005
    return [(miny - pad, minx - pad), (maxy + pad, maxx + pad)]



# -- planners' changes (the living register) ----------------------------------------------

#: Session key: the planners' changes decided in this session (not "decided by someone else").
_MINE = "_review_changes_mine"


def _value_text(name: str, value: object, lang: str, site: bool = True) -> str:
    """A changed value as plain text for the table: a geometry by its shape (and area, for a
    site)."""
    if value is None or value == "" or value == []:
        return "—"
    if name == "geometry":
        return geometry_text(shapely.from_wkt(str(value)), lang, site=site)
    if name == "stage_entry" and isinstance(value, dict):
        return " · ".join(str(value.get(k, "")) for k in ("stage", "date", "source"))
    if isinstance(value, list):
        return "\n".join(str(v) for v in value)
    return str(value)


def _change_table(old: dict, new: dict, lang: str) -> pd.DataFrame:
    """One row per changed field: its name, the value before and the value proposed."""
    return pd.DataFrame([{t("review.change_field", lang): field_name(name, lang),
                          t("review.change_old", lang): _value_text(name, old.get(name), lang,
                                                                    old.get("precision") == "site"),
                          t("review.change_new", lang): _value_text(name, value, lang,
                                                                    new.get("precision", "site") == "site")}
                         for name, value in new.items()])


def _change_map(atlas, change: pd.Series, new_wkt: str, lang: str) -> None:
    """The recorded geometry and the proposed one (dashed) with the district outline."""
    static_assets()
    basemap = field_basemap()
    frame = atlas.projects[atlas.projects["id"] == change["project_id"]]
    m = build_map(atlas, frame, lang=lang, basemap=basemap, visible_refs=("district_boundary",),
                  height=320, clickable_refs=False)  # framed on the proposed geometry below
    add_proposed(m, shapely.from_wkt(new_wkt), BASEMAPS[basemap]["crs"])
    localize(m)
    st_folium(m, key=f"review_change_map_{change['id']}", height=320, use_container_width=True,
              returned_objects=[])
    st.caption(f"WKT: {escape_markdown(short_wkt(new_wkt))}")


def _change_form(change: pd.Series, who, lang: str) -> None:
    """Accept or reject a planner's change."""
    def decide(accept: bool, reason: str) -> None:
        get_store().review_change(int(change["id"]), who.actor, accept=accept, reason=reason,
                                  expected_version=int(change["version"]))
        st.session_state.setdefault(_MINE, set()).add(int(change["id"]))

    _decide(f"review_change_{change['id']}", lang, decide, conflict="review.change_conflict",
            done=("review.change_accepted", "review.change_rejected"), cid=int(change["id"]))


def _decided_meanwhile(pending: pd.DataFrame, lang: str) -> None:
    """Say so when the change this reviewer was looking at was decided by someone else."""
    picked = st.session_state.get("review_change_pick")
    if picked is None or picked in set(pending["id"]) or picked in st.session_state.get(_MINE, set()):
        return
    log = get_store().changes(register="")
    gone = log[log["id"] == picked]
    if len(gone) and gone.iloc[0]["status"] in ("accepted", "rejected"):
        row = gone.iloc[0]
        notice("warning", "review.change_gone", lang, cid=int(picked), by=row["reviewed_by"] or "—",
               at=str(row["reviewed_at"] or "")[:19].replace("T", " "),
               decision=t(f"review.decided_{row['status']}", lang))


def _planner_changes(atlas, who, lang: str) -> None:
    """Planners' changes waiting for a reviewer: pick one, see old -> new, decide."""
    st.subheader(t("review.changes_title", lang))
    pending = get_store().changes(register="", status="pending")
    _decided_meanwhile(pending, lang)
    if pending.empty:
        st.info(t("review.changes_none", lang))
        return
    name = "name_en" if lang == "en" else "name_zh"
    names = dict(zip(atlas.projects["id"], atlas.projects[name], strict=True))
    labels = {int(r["id"]): f"#{r['id']} · {names.get(r['project_id'], r['project_id'])} · {r['actor']} · "
                            f"{str(r['at'])[:16].replace('T', ' ')}" for _, r in pending.iterrows()}
    cid = st.selectbox(t("review.change_pick", lang), list(labels), format_func=labels.get,
                       key=state.relabelled("review_change_pick"), placeholder=t("picker.one", lang))
    change = pending.set_index("id", drop=False).loc[cid]
    old, new = json.loads(change["old"] or "{}"), json.loads(change["new"] or "{}")
    st.markdown(say("review.change_meta", lang, project=names.get(change["project_id"], change["project_id"]),
                    actor=change["actor"], at=str(change["at"])[:19].replace("T", " "),
                    reason=change["reason"]))
    st.dataframe(_change_table(old, new, lang), hide_index=True, width="stretch")
    if new.get("geometry"):
        _change_map(atlas, change, str(new["geometry"]), lang)
    if auth.own_work("change", int(change["id"]), change["actor"], who):
        notice("info", "review.own_change", lang)  # four eyes: another person decides
        return
    _change_form(change, who, lang)
