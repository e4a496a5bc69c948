"""Review page: pending field submissions beside the recorded positions, and planners' changes
waiting for acceptance (old -> new values, the new geometry on a small map); accept or reject."""

from __future__ import annotations

import json
from collections.abc import Callable

import pandas as pd
import shapely
import streamlit as st

from app.data.plausibility import SizeCheck
from app.domain.i18n import t
from app.domain.roles import REVIEWER
from app.domain.text import escape_markdown
from app.geo.geocode import to_metric
from app.io.csvfile import csv_bytes
from app.map.basemaps import BASEMAPS
from app.map.fields import in_language, place_names
from app.map.live import geometry_bounds, here_marker, overlay
from app.service.living import SIZE_NOTE
from app.store import ConflictError, SubmissionError
from app.ui import auth, outcome, state
from app.ui.cache import chosen_register, field_basemap, get_atlas, get_store
from app.ui.change_text import field_name, geometry_text, size_text
from app.ui.live_map import overlay_legend, page_map
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


def _audit_table(atlas, audit: pd.DataFrame, lang: str) -> pd.DataFrame:
    """A project's audit rows as shown: when, who, what (in words), the note (in words); the
    CSV download keeps the store's own columns."""
    words = place_names(atlas, lang)

    def action(code: str) -> str:
        key = f"review.action_{code}"
        return code if t(key, lang) == key else t(key, lang)

    def actor(name: str) -> str:
        return t("review.actor_app_start", lang) if name == "app start" else name

    return pd.DataFrame({
        t("review.audit_at", lang): audit["at"].astype(str).str[:19].str.replace("T", " "),
        t("review.audit_actor", lang): audit["actor"].map(actor),
        t("review.audit_action", lang): audit["action"].map(action),
        t("review.audit_note", lang): audit["note"].fillna("").map(words),
    })


def _history(atlas, lang: str) -> None:
    st.subheader(t("review.history", lang))
    name = "name_en" if lang == "en" else "name_zh"
    options = atlas.projects["id"].tolist()
    names = dict(zip(atlas.projects["id"], atlas.projects[name], strict=True))
    project = st.selectbox(t("review.project", lang), options, format_func=lambda v: names.get(v, v),
                           key="review_history_project", placeholder=t("picker.one", lang))
    audit = get_store().audit(project)
    st.dataframe(_audit_table(atlas, audit, lang), hide_index=True, width="stretch")
    st.download_button(t("review.download", lang), csv_bytes(audit),
                       file_name=f"audit-{project}.csv", mime="text/csv")


def _recorded_words(atlas, project: pd.Series, lang: str) -> str:
    """The recorded position in words: its precision and where it came from (place names, not
    ids; plain text)."""
    precision = atlas.vocab.label("precision", project["precision"], lang)
    method = place_names(atlas, lang)(str(project["pos_method"] or "none"))
    return f"{precision} · {method}"


def _submission_map(atlas, row: pd.Series, recorded, lang: str) -> None:
    """The recorded geometry (solid) and the submitted position (the worker's mark) on one small
    map, framed on both."""
    basemap = field_basemap()
    crs = BASEMAPS[basemap]["crs"]
    overlays, extra = [], []
    if recorded is not None:
        overlays.append(overlay(recorded, "old", crs))
        extra.append(overlay_legend("old", lang))
    here = None
    shown = recorded
    if row["kind"] == "correct":
        here = here_marker(row["lon"], row["lat"], row["accuracy_m"], crs)
        extra.append({"label": t("live.compare_here", lang), "color": "#1565c0", "fill": "#1565c0",
                      "shape": "point", "count": None})
        point = shapely.Point(row["lon"], row["lat"])
        shown = point if recorded is None else shapely.union(recorded, point)
    fit = {"bounds": geometry_bounds(shown, crs, pad_m=80), "seq": f"sub:{row['id']}"} if shown is not None else None
    page_map(atlas, lang, mode="review", key=f"review_map_{row['id']}", basemap=basemap, height=360,
             refs=[s.id for s in atlas.reference_layers if s.visible], here=here,
             overlays=overlays, legend_extra=extra, fit=fit)


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
        cols[0].markdown(f"**{t('review.recorded', lang)}**: "
                         f"{escape_markdown(_recorded_words(atlas, project, lang))}")
        if recorded is None:
            cols[0].caption(t("review.unlocated", lang))
        if row["kind"] == "correct":
            precision = atlas.vocab.label("precision", row["precision"], lang)
            cols[1].markdown(say("review.submitted_at", lang, lat=float(row["lat"]), lon=float(row["lon"]),
                                 precision=precision, accuracy=float(row["accuracy_m"] or 0)))
            offset = _offset_m(recorded, row["lon"], row["lat"])
            if offset is not None:
                cols[1].caption(t("review.offset", lang).format(d=offset))
        else:
            cols[1].markdown(f"**{t('review.submitted', lang)}**: {t('review.confirm', lang)}")
        if row["note"]:
            st.markdown(f"**{t('review.note', lang)}**: {escape_markdown(row['note'])}")
        _submission_map(atlas, row, recorded, lang)
        photo = get_store().photo(sid)
        if photo:
            st.image(photo[0], caption=t("review.photo", lang), width=320)
        _review_form(row, who, recorded, lang)
    _planner_changes(atlas, who, lang)
    _history(atlas, lang)



# -- planners' changes (the living register) ----------------------------------------------

#: Session key: the planners' changes decided in this session (not "decided by someone else").
_MINE = "_review_changes_mine"


def _value_text(atlas, name: str, value: object, lang: str, site: bool = True) -> str:
    """A changed value as plain text for the table, in words of `lang`: a geometry by its shape
    (and area, for a site), codes by their labels, provenance in words."""
    if value is None or value == "" or value == []:
        return "—"
    if name == "geometry":
        return geometry_text(shapely.from_wkt(str(value)), lang, site=site)
    if name == "stage_entry" and isinstance(value, dict):
        stage = atlas.vocab.status_label(str(value.get("stage", "")), lang)
        return " · ".join(v for v in (stage, str(value.get("date", "")), str(value.get("source", ""))) if v)
    if name == "precision":
        return atlas.vocab.label("precision", str(value), lang)
    if name == "pos_confidence":
        return atlas.vocab.label("confidence", str(value), lang)
    if name in ("pos_method", "pos_source", "position_note"):
        return place_names(atlas, lang)(str(value))
    if name == "pos_source_crs":
        return t(f"crs_label_{value}", lang) if value in ("wgs84", "gcj02", "bd09") else str(value)
    if name == "status":
        return atlas.vocab.status_label(str(value), lang)
    if isinstance(value, list):
        return "\n".join(str(v) for v in value)
    return str(value)


def _change_table(atlas, old: dict, new: dict, lang: str, project_id: str = "") -> pd.DataFrame:
    """One row per changed field: its name, the value before and the value proposed (notes the
    change carries for the reviewer, such as an unusual size, are shown apart). A recorded
    position note that is the project's own is shown in the page's language."""
    rows = atlas.projects[atlas.projects["id"] == project_id]
    if len(rows) and old.get("position_note") and old["position_note"] == rows["position_note"].iloc[0]:
        values, pick = in_language(rows, "position_note", lang, place_names(atlas, lang))
        old = {**old, "position_note": pick(values.iloc[0])}
    return pd.DataFrame([{t("review.change_field", lang): field_name(name, lang),
                          t("review.change_old", lang): _value_text(atlas, name, old.get(name), lang,
                                                                    old.get("precision") == "site"),
                          t("review.change_new", lang): _value_text(atlas, name, value, lang,
                                                                    new.get("precision", "site") == "site")}
                         for name, value in new.items() if not name.startswith("_")])


def _change_map(atlas, change: pd.Series, new_wkt: str, lang: str) -> None:
    """The recorded geometry (solid) and the proposed one (dashed) side by side on one small map
    (review mode), framed on both."""
    basemap = field_basemap()
    crs = BASEMAPS[basemap]["crs"]
    rows = atlas.projects[atlas.projects["id"] == change["project_id"]]
    recorded = rows.geometry.iloc[0] if len(rows) else None
    proposed = shapely.from_wkt(new_wkt)
    overlays = [overlay(proposed, "new", crs)]
    extra = [overlay_legend("new", lang)]
    if recorded is not None:
        overlays.insert(0, overlay(recorded, "old", crs))
        extra.insert(0, overlay_legend("old", lang))
    both = proposed if recorded is None else shapely.union(recorded, proposed)
    page_map(atlas, lang, mode="review", key=f"review_change_map_{change['id']}", basemap=basemap,
             height=320, refs=[s.id for s in atlas.reference_layers if s.visible], overlays=overlays,
             legend_extra=extra,
             fit={"bounds": geometry_bounds(both, crs, pad_m=80), "seq": f"change:{change['id']}"})


def _size_flag(new: dict, lang: str) -> None:
    """A geometry the planner confirmed as far larger than usual: said before the decision."""
    note = new.get(SIZE_NOTE)
    if not isinstance(note, dict):
        return
    try:
        check = SizeCheck(str(note["measure"]), float(note["value"]), float(note["usual"]),
                          int(note["sample"]), str(note["scope"]))
    except (KeyError, TypeError, ValueError):
        notice("warning", "review.size_flag_unread", lang)
        return
    notice("warning", "review.size_flag_spec" if check.scope == "spec" else "review.size_flag", lang,
           **size_text(check, lang))


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
    _size_flag(new, lang)
    st.dataframe(_change_table(atlas, old, new, lang, str(change["project_id"])), hide_index=True,
                 width="stretch")
    if new.get("geometry"):
        _change_map(atlas, change, str(new["geometry"]), lang)
    if auth.own_work("change", int(change["id"]), change["actor"], who):
        notice("info", "review.own_change", lang)  # four eyes: another person decides
        return
    _change_form(change, who, lang)
