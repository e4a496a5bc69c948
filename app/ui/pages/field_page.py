"""Field page (phone first): where am I, which projects are near, navigate, confirm or correct."""

from __future__ import annotations

import pandas as pd
import shapely
import streamlit as st
import streamlit_geolocation as geolocation

from app.domain.i18n import t
from app.domain.model import LOCATED_PRECISIONS
from app.domain.roles import FIELD
from app.errors import AtlasError
from app.geo.crs import convert
from app.geo.geocode import to_metric
from app.geo.navlinks import amap_link, baidu_link, coordinates_for
from app.geo.nearest import nearest
from app.geo.position import FIELD_TOLERANCE_M, check_position
from app.map.basemaps import BASEMAPS
from app.map.live import geometry_bounds, here_marker
from app.store import MAX_PHOTO_BYTES, Submission, SubmissionError
from app.ui import auth, outcome, state
from app.ui.cache import chosen_register, field_basemap, get_atlas, get_store
from app.ui.live_map import ensure_registered, page_map
from app.ui.safe import error_message, notice
from app.ui.sheets import field_sheet_button

_CRS_CHOICES = ("wgs84", "gcj02", "bd09")


def _crs_label(crs: str, lang: str) -> str:
    """Display name of a coordinate system (the same in both languages but for the app names)."""
    return t(f"crs_label_{crs}", lang)


def _set_position(lon: float, lat: float, accuracy: float | None, source: str) -> None:
    st.session_state["field_pos"] = (lon, lat, accuracy, source)


def _error(exc: AtlasError, lang: str) -> None:
    """An AtlasError's message (it may quote what the user typed or uploaded), escaped."""
    notice("error", "error_atlas", lang, message=error_message(exc, lang))


def _position(atlas, lang: str) -> tuple[float, float, float | None, str] | None:
    st.subheader(t("field.where", lang))
    district = atlas.places["district-changning"].geometry
    # the locate button is a component of its package, declared when this page was imported
    ensure_registered(geolocation._streamlit_geolocation)
    located = geolocation.streamlit_geolocation()
    if located and located.get("latitude") is not None:
        fix = (located["longitude"], located["latitude"], located.get("accuracy"))
        if st.session_state.get("_last_fix") != fix:
            st.session_state["_last_fix"] = fix
            try:
                lon, lat = check_position(fix[:2], "wgs84", to_metric(district), fix_swaps=False,
                                          tolerance_m=FIELD_TOLERANCE_M).lonlat()
                _set_position(lon, lat, fix[2], "device")
            except AtlasError as exc:
                _error(exc, lang)
    else:
        st.caption(t("field.locate", lang))
    with st.expander(t("field.manual", lang)):
        with st.form("typed_position"):
            crs = st.selectbox(t("field.crs", lang), _CRS_CHOICES, format_func=lambda v: _crs_label(v, lang), placeholder=t("picker.one", lang))
            lon = st.number_input(t("field.lon", lang), value=None, format="%.6f", step=0.000001)
            lat = st.number_input(t("field.lat", lang), value=None, format="%.6f", step=0.000001)
            if st.form_submit_button(t("field.use", lang), width="stretch"):
                if lon is None or lat is None:
                    notice("error", "field.missing_position", lang)
                else:
                    try:
                        wlon, wlat = check_position((lon, lat), crs, to_metric(district), fix_swaps=False,
                                                    tolerance_m=FIELD_TOLERANCE_M).lonlat()
                        _set_position(wlon, wlat, None, "typed")
                    except AtlasError as exc:
                        _error(exc, lang)
        st.caption(t("field.tap", lang))
    pos = st.session_state.get("field_pos")
    if pos:
        line = t("field.pos", lang).format(lat=pos[1], lon=pos[0])
        if pos[2]:
            line += t("field.acc", lang).format(a=pos[2])
        st.success(f"{line} · {t(f'field.src_{pos[3]}', lang)}")
    return pos


#: Session key: the worker chose the project themselves (a pill or the picker); from then on
#: no position -- and a tap never -- changes it.
_CHOSEN = "_field_chosen"
#: Session key: why the last tap could not be used (an AtlasError's message; None: the map's
#: message was not a position), shown once.
_TAP_ERROR = "_field_tap_error"


def _on_tap() -> None:
    """The map said something: a tap (pick mode) sets the worker's position and nothing else --
    never the project (it runs before the page, so the map and the list show the new position)."""
    message = st.session_state.get("field_map") or {}
    tap = message.get("pick")
    if not tap:
        return
    crs = message.get("crs") if message.get("crs") in ("wgs84", "gcj02") else "wgs84"
    try:
        lon, lat = float(tap["lng"]), float(tap["lat"])
    except (TypeError, ValueError, KeyError):  # not what the map sends: a forged message
        st.session_state[_TAP_ERROR] = None
        return
    if crs != "wgs84":  # the map is drawn in GCJ-02: undo the shift
        lon, lat = convert(lon, lat, crs, "wgs84")
    atlas = get_atlas()
    try:
        district_m = to_metric(atlas.places["district-changning"].geometry)
        lon, lat = check_position((lon, lat), "wgs84", district_m, fix_swaps=False,
                                  tolerance_m=FIELD_TOLERANCE_M).lonlat()
    except AtlasError as exc:
        st.session_state[_TAP_ERROR] = str(exc)
    else:
        _set_position(lon, lat, None, "tap")


def _map(atlas, pos, lang: str) -> None:
    """The field map (pick mode): every project, the worker's position; a tap sets it."""
    basemap = field_basemap()
    crs = BASEMAPS[basemap]["crs"] if basemap in BASEMAPS else "wgs84"
    here = here_marker(pos[0], pos[1], pos[2], crs) if pos else None
    # a located or typed position brings the map to it; a tap leaves the view where it is
    fit = None
    if pos and pos[3] != "tap":
        fit = {"bounds": geometry_bounds(shapely.Point(pos[0], pos[1]), crs, pad_m=250),
               "seq": f"{pos[3]}:{pos[0]:.6f}:{pos[1]:.6f}"}
    page_map(atlas, lang, mode="pick", key="field_map", basemap=basemap, height=420, here=here,
             fit=fit, on_change=_on_tap)
    if _TAP_ERROR in st.session_state:
        error = st.session_state.pop(_TAP_ERROR)
        if error is None:
            notice("error", "field.tap_unreadable", lang)
        else:
            _error(AtlasError(error), lang)


def _on_near_select() -> None:
    """A project of the nearest list was tapped: it becomes the picker's choice."""
    chosen = st.session_state.get("field_near")
    if chosen:
        st.session_state["field_pick"] = chosen
        st.session_state[_CHOSEN] = True


def _on_pick() -> None:
    """The worker chose a project in the picker."""
    st.session_state[_CHOSEN] = True


def _nearby(atlas, pos, lang: str) -> str | None:
    st.subheader(t("field.nearby", lang))
    name = "name_en" if lang == "en" else "name_zh"
    names = dict(zip(atlas.projects["id"], atlas.projects[name], strict=True))
    near_ids: list[str] = []
    if pos:
        n = st.segmented_control(t("field.n", lang), [3, 5, 10], default=5, key="field_n") or 5
        near = nearest(atlas.projects, pos[0], pos[1], n=n)
        direction = "direction_en" if lang == "en" else "direction_zh"
        dist = t("field.dist", lang)
        table = pd.DataFrame({dist: near["distance_m"].round(0).astype(int),
                              t("field.dir", lang): near[direction],
                              t("field.name", lang): near[name]})
        near_ids = near["id"].tolist()
        st.session_state["_near_ids"] = near_ids
        st.table(table.set_index(dist))  # plain text cells: readable on a phone
        # the same projects as buttons a thumb can hit: a tap selects the project (below)
        st.pills(t("field.nearby_tap", lang), near_ids, key=state.relabelled("field_near"), on_change=_on_near_select,
                 format_func=lambda v: names.get(v, v), selection_mode="single")
        # a located or typed position puts the picker on the nearest project, until the
        # worker chooses one; a tap on the map never moves it
        if (near_ids and pos[3] != "tap" and not st.session_state.get(_CHOSEN)
                and st.session_state.get("_near_for") != pos[:2]):
            st.session_state["_near_for"] = pos[:2]
            st.session_state["field_pick"] = near_ids[0]
    else:
        st.caption(t("field.none_yet", lang))
    options = near_ids + [pid for pid in atlas.projects["id"] if pid not in set(near_ids)]
    return st.selectbox(t("field.pick", lang), options, format_func=lambda v: names.get(v, v),
                        key=state.relabelled("field_pick"), on_change=_on_pick,
                        placeholder=t("picker.one", lang))


def _navigate(atlas, project_id: str, lang: str) -> None:
    row = atlas.projects.set_index("id").loc[project_id]
    if row.geometry is None:
        st.info(t("field.unlocated_note", lang))
        return
    point = row.geometry if row.geometry.geom_type == "Point" else row.geometry.representative_point()
    st.caption(t("field.coords", lang))
    for crs, value in coordinates_for(point.x, point.y).items():
        st.code(f"{_crs_label(crs, lang)}: {value}", language=None)
    name = row["name_en" if lang == "en" else "name_zh"]
    left, right = st.columns(2)
    left.link_button(t("field.amap", lang), amap_link(point.x, point.y, name), width="stretch")
    right.link_button(t("field.baidu", lang), baidu_link(point.x, point.y, name), width="stretch")


def _checkin(atlas, project_id: str, pos, lang: str) -> None:
    st.subheader(t("field.checkin", lang))
    who = auth.require(FIELD, lang)
    if who is None:
        return
    with st.form("checkin", clear_on_submit=False):
        kind = st.radio(t("field.kind", lang), ["confirm", "correct"], horizontal=True,
                        format_func=lambda v: t(f"field.{v}", lang))
        precision = st.selectbox(t("field.precision", lang), list(LOCATED_PRECISIONS),
                                 format_func=lambda v: t(f"field.precision_{v}", lang), placeholder=t("picker.one", lang))
        note = st.text_area(t("field.note", lang), max_chars=2000)
        photo = st.file_uploader(t("field.photo", lang), type=["jpg", "jpeg", "png"])
        sent = st.form_submit_button(t("field.submit", lang), type="primary", width="stretch")
    if not sent:
        return
    if photo is not None and photo.size > MAX_PHOTO_BYTES:
        notice("error", "field.photo_too_large", lang, name=photo.name, size=photo.size / 1e6,
               limit=MAX_PHOTO_BYTES / 1e6)
        return
    if kind == "correct" and not pos:
        notice("error", "field.need_pos", lang)
        return
    row = atlas.projects.set_index("id").loc[project_id]
    if kind == "confirm" and row.geometry is None:
        # nothing to confirm: offer to propose the worker's position instead
        notice("error", "field.unlocated_confirm", lang)
        return
    try:
        sub = Submission(
            project_id=project_id, kind=kind, submitted_by=who.actor, team=who.team,
            lon=pos[0] if kind == "correct" else None, lat=pos[1] if kind == "correct" else None,
            precision=precision if kind == "correct" else None,
            accuracy_m=pos[2] if pos else None, note=note,
            photo=photo.getvalue() if photo is not None else None, register=chosen_register())
        sid = get_store().submit(sub, old_wkt=row.geometry.wkt if row.geometry is not None else None)
    except SubmissionError as exc:
        _error(exc, lang)
        return
    auth.authored("submission", sid)
    outcome.keep("success", "field.stored", sid=sid)
    st.rerun()


def render() -> None:
    """The field page."""
    lang = st.session_state.get("w_lang") or "zh"
    st.title(t("field.title", lang))
    outcome.show_kept(lang, "field")
    atlas = get_atlas()
    pos = _position(atlas, lang)
    _map(atlas, pos, lang)
    chosen = _nearby(atlas, pos, lang)
    if chosen:
        _navigate(atlas, chosen, lang)
        field_sheet_button(atlas, chosen, lang, key="dl_field_sheet")
        _checkin(atlas, chosen, pos, lang)


