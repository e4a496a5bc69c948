"""Review page: pending field submissions beside the recorded positions; accept or reject."""

from __future__ import annotations

import pandas as pd
import shapely
import streamlit as st
from streamlit_folium import st_folium

from app.domain.roles import REVIEWER
from app.geo.crs import convert_geometry
from app.geo.geocode import to_metric
from app.io.csvfile import csv_bytes
from app.map.assets import localize
from app.map.builder import BASEMAPS, build_map
from app.store.sqlite import ConflictError, SubmissionError
from app.ui import auth
from app.ui.cache import field_basemap, get_atlas, get_store, static_assets

_TEXT = {
    "zh": {
        "title": "审核现场提交", "none": "没有待审核的提交。", "pick": "选择提交",
        "recorded": "登记位置", "submitted": "提交位置", "offset": "与登记位置相距 {d:.0f} 米",
        "confirm": "确认登记位置无误", "correct": "位置更正", "reason": "审核意见(必填)",
        "accept": "通过", "reject": "退回", "done": "已记录审核结果。",
        "conflict": "该提交已被他人审核,本次审核未生效:", "history": "项目审核记录",
        "project": "项目", "download": "下载审核记录 (CSV)", "photo": "现场照片",
        "unlocated": "该项目原本未定位。",
    },
    "en": {
        "title": "Review field submissions", "none": "No submission is waiting for review.",
        "pick": "Submission", "recorded": "Recorded position", "submitted": "Submitted position",
        "offset": "{d:.0f} m from the recorded position", "confirm": "Confirms the recorded position",
        "correct": "Position correction", "reason": "Reason (required)", "accept": "Accept",
        "reject": "Reject", "done": "Review recorded.",
        "conflict": "Someone else already reviewed this submission; yours was not applied:",
        "history": "Audit history of a project", "project": "Project",
        "download": "Download the audit history (CSV)", "photo": "Photo from the site",
        "unlocated": "The project had no position before.",
    },
}


def _label(row: pd.Series, names: dict[str, str], text: dict[str, str]) -> str:
    kind = text["correct"] if row["kind"] == "correct" else text["confirm"]
    return f"#{row['id']} · {names.get(row['project_id'], row['project_id'])} · {kind} · {row['submitted_by']}"


def _offset_m(recorded, lon: float | None, lat: float | None) -> float | None:
    if recorded is None or lon is None or pd.isna(lon):
        return None
    return float(to_metric(recorded).distance(to_metric(shapely.Point(lon, lat))))


def _review_form(row: pd.Series, who, recorded, text: dict[str, str]) -> None:
    store = get_store()
    with st.form(f"review_{row['id']}"):
        reason = st.text_input(text["reason"])
        left, right = st.columns(2)
        accept = left.form_submit_button(text["accept"], type="primary", width="stretch")
        reject = right.form_submit_button(text["reject"], width="stretch")
    if not (accept or reject):
        return
    try:
        store.review(int(row["id"]), who.name, accept=accept, reason=reason,
                     old_wkt=recorded.wkt if recorded is not None else None,
                     expected_version=int(row["version"]))
    except ConflictError as exc:
        st.error(f"{text['conflict']} {exc}")
        return
    except SubmissionError as exc:
        st.error(str(exc))
        return
    st.success(text["done"])
    st.rerun()


def _history(atlas, lang: str, text: dict[str, str]) -> None:
    st.subheader(text["history"])
    name = "name_en" if lang == "en" else "name_zh"
    options = atlas.projects["id"].tolist()
    names = dict(zip(atlas.projects["id"], atlas.projects[name], strict=True))
    project = st.selectbox(text["project"], options, format_func=lambda v: names.get(v, v),
                           key="review_history_project")
    audit = get_store().audit(project)
    st.dataframe(audit, hide_index=True, width="stretch")
    st.download_button(text["download"], csv_bytes(audit),
                       file_name=f"audit-{project}.csv", mime="text/csv")


def render() -> None:
    """The review page (reviewer role)."""
    lang = st.session_state.get("w_lang") or "zh"
    text = _TEXT[lang]
    st.title(text["title"])
    who = auth.require(REVIEWER, lang)
    if who is None:
        return
    atlas = get_atlas()
    pending = get_store().pending()
    name = "name_en" if lang == "en" else "name_zh"
    names = dict(zip(atlas.projects["id"], atlas.projects[name], strict=True))
    if pending.empty:
        st.info(text["none"])
    else:
        labels = {int(r["id"]): _label(r, names, text) for _, r in pending.iterrows()}
        sid = st.selectbox(text["pick"], list(labels), format_func=labels.get, key="review_pick")
        row = pending.set_index("id", drop=False).loc[sid]
        project = atlas.projects.set_index("id").loc[row["project_id"]]
        recorded = project.geometry
        cols = st.columns(2)
        cols[0].markdown(f"**{text['recorded']}**: {project['precision']} · {project['pos_method']}")
        if recorded is None:
            cols[0].caption(text["unlocated"])
        if row["kind"] == "correct":
            cols[1].markdown(f"**{text['submitted']}**: {row['lon']:.6f}, {row['lat']:.6f} "
                             f"({row['precision']}, ±{row['accuracy_m'] or 0:.0f} m)")
            offset = _offset_m(recorded, row["lon"], row["lat"])
            if offset is not None:
                cols[1].caption(text["offset"].format(d=offset))
        st.markdown(f"> {row['note']}" if row["note"] else "")
        static_assets()
        frame = atlas.projects[atlas.projects["id"] == row["project_id"]]
        here = (row["lon"], row["lat"], row["accuracy_m"]) if row["kind"] == "correct" else None
        basemap = field_basemap()
        m = build_map(atlas, frame, lang=lang, basemap=basemap, visible_refs=("district_boundary",),
                      focus=row["project_id"], here=here, height=360)
        if here is not None and recorded is not None:
            m.fit_bounds(_bounds(recorded, row["lon"], row["lat"], BASEMAPS[basemap].crs), max_zoom=18)
        localize(m)
        st_folium(m, key=f"review_map_{sid}", height=360, use_container_width=True,
                  returned_objects=[])
        photo = get_store().photo(sid)
        if photo:
            st.image(photo[0], caption=text["photo"], width=320)
        _review_form(row, who, recorded, text)
    _history(atlas, lang, text)


def _bounds(recorded, lon: float, lat: float, crs: str) -> list[tuple[float, float]]:
    both = convert_geometry(shapely.union(recorded, shapely.Point(lon, lat)), "wgs84", crs)
    minx, miny, maxx, maxy = both.bounds
    pad = 0.0005
    return [(miny - pad, minx - pad), (maxy + pad, maxx + pad)]

