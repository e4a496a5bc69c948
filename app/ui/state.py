"""The page's view state: read once from the URL, then kept by widgets and mirrored to the URL."""

from __future__ import annotations

import streamlit as st

from app.data.atlas import Atlas
from app.domain.filters import FILTER_FIELDS
from app.domain.i18n import t
from app.domain.viewstate import LANGS, ViewState, parse_view, to_query

_INIT = "_view_initialised"
NOTICES = "_url_notices"


def _params() -> dict[str, list[str]]:
    return {k: st.query_params.get_all(k) for k in st.query_params.keys()}  # noqa: SIM118


def language_selector() -> str:
    """The shared language switch in the sidebar; its first value comes from ``?lang=``."""
    if "w_lang" not in st.session_state:
        lang = (st.query_params.get("lang") or "zh")
        st.session_state["w_lang"] = lang if lang in LANGS else "zh"
    return st.sidebar.segmented_control(
        t("language", "zh"), LANGS, key="w_lang", format_func=lambda v: t(f"lang_{v}", v),
        selection_mode="single") or "zh"


def allowed_values(atlas: Atlas) -> dict[str, list[str]]:
    """Permitted values of each filter field (see Atlas.filter_values)."""
    return atlas.filter_values()


def init_from_url(atlas: Atlas) -> None:
    """Once per session: turn the URL's parameters into widget values, keeping notices."""
    if st.session_state.get(_INIT):
        return
    view, notices = parse_view(_params(), allowed_values(atlas),
                               ref_layers=[s.id for s in atlas.reference_layers],
                               project_ids=atlas.projects["id"].tolist())
    st.session_state[NOTICES] = notices
    st.session_state["w_basemap"] = view.basemap
    st.session_state["w_refs"] = list(view.ref_layers) if view.ref_layers is not None else [
        s.id for s in atlas.reference_layers if s.visible]
    st.session_state["w_q"] = view.query
    for name in FILTER_FIELDS:
        st.session_state[f"w_f_{name}"] = list(view.filters.get(name, ()))
    st.session_state["focus"] = view.project
    st.session_state["map_centre"] = (view.lat, view.lon) if view.lat is not None else None
    st.session_state["map_zoom"] = view.zoom
    st.session_state[_INIT] = True


def current_view(lang: str) -> ViewState:
    """The view the widgets describe now."""
    centre = st.session_state.get("map_centre")
    return ViewState(
        lang=lang,
        basemap=st.session_state.get("w_basemap", "osm"),
        ref_layers=tuple(st.session_state.get("w_refs", ())),
        filters={name: tuple(st.session_state.get(f"w_f_{name}", ())) for name in FILTER_FIELDS},
        query=st.session_state.get("w_q", "").strip(),
        project=st.session_state.get("focus"),
        lat=centre[0] if centre else None,
        lon=centre[1] if centre else None,
        zoom=st.session_state.get("map_zoom"),
        register=st.session_state.get("_register", ""),  # chosen in the frame's sidebar
    )


def write_url(view: ViewState) -> None:
    """Mirror `view` into the address bar (only when it changed, to avoid extra reruns)."""
    wanted = to_query(view)
    if wanted != {k: st.query_params.get(k) for k in st.query_params.keys()}:  # noqa: SIM118
        st.query_params.from_dict(wanted)


def clear_filters() -> None:
    """Callback of the 'clear filters' button."""
    for name in FILTER_FIELDS:
        st.session_state[f"w_f_{name}"] = []
    st.session_state["w_q"] = ""
    st.session_state["focus"] = None
