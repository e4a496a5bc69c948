"""Field page (phone first): where am I, which projects are near, navigate, confirm or correct."""

from __future__ import annotations

import pandas as pd
import streamlit as st
from streamlit_folium import st_folium
from streamlit_geolocation import streamlit_geolocation

from app.domain.model import LOCATED_PRECISIONS
from app.domain.roles import FIELD
from app.errors import AtlasError
from app.geo.crs import convert
from app.geo.geocode import to_metric
from app.geo.navlinks import amap_link, baidu_link, coordinates_for
from app.geo.nearest import nearest
from app.geo.position import FIELD_TOLERANCE_M, check_position
from app.map.assets import localize
from app.map.basemaps import BASEMAPS
from app.map.builder import build_map
from app.store import MAX_PHOTO_BYTES, Submission, SubmissionError
from app.ui import auth
from app.ui.cache import field_basemap, get_atlas, get_store, static_assets

_TEXT = {
    "zh": {
        "title": "现场核查", "where": "我的位置", "locate": "点击上方按钮获取设备定位(需允许浏览器定位)。",
        "manual": "手动输入坐标或在地图上点选", "crs": "坐标系", "lon": "经度", "lat": "纬度",
        "use": "使用此坐标", "tap": "在下方地图上点一下,也可设为当前位置。",
        "pos": "当前位置(WGS-84):{lat:.6f}, {lon:.6f}", "acc": ",精度约 ±{a:.0f} 米",
        "src": {"device": "设备定位", "typed": "手动输入", "tap": "地图点选"},
        "nearby": "附近项目", "none_yet": "先确定位置,再列出附近项目。", "pick": "选择项目",
        "coords": "坐标(可复制)", "amap": "在高德地图中打开", "baidu": "在百度地图中打开",
        "checkin": "现场核查提交", "kind": "核查结果", "confirm": "登记位置正确",
        "correct": "位置需要更正", "new_pos": "更正后的位置", "precision": "更正位置的精度",
        "note": "说明(更正时必填)", "photo": "现场照片(可选,JPEG/PNG,≤5 MB)", "submit": "提交",
        "stored": "已保存(编号 {sid}),等待审核。", "need_pos": "更正需要一个位置:请先定位或点选地图。",
        "precisions": {"site": "地块/建筑", "street": "路段", "area": "片区"},
        "unlocated_note": "该项目尚未定位,可提交其实际位置。", "n": "显示数量",
        "dist": "距离(米)", "dir": "方向", "name": "名称",
    },
    "en": {
        "title": "Field check", "where": "My position",
        "locate": "Tap the button above to use the device's position (allow location access).",
        "manual": "Type coordinates or tap the map", "crs": "Coordinate system", "lon": "Longitude",
        "lat": "Latitude", "use": "Use these coordinates", "tap": "A tap on the map below also sets your position.",
        "pos": "Position (WGS-84): {lat:.6f}, {lon:.6f}", "acc": ", accuracy about ±{a:.0f} m",
        "src": {"device": "device", "typed": "typed", "tap": "map tap"},
        "nearby": "Nearby projects", "none_yet": "Set a position first to list nearby projects.",
        "pick": "Project", "coords": "Coordinates (copy)", "amap": "Open in AMap", "baidu": "Open in Baidu Maps",
        "checkin": "Check-in", "kind": "Result", "confirm": "Recorded position is right",
        "correct": "Position needs correcting", "new_pos": "Corrected position",
        "precision": "Precision of the corrected position", "note": "Note (required for a correction)",
        "photo": "Photo (optional, JPEG/PNG, ≤ 5 MB)", "submit": "Submit",
        "stored": "Saved (no. {sid}); waiting for review.",
        "need_pos": "A correction needs a position: locate yourself or tap the map first.",
        "precisions": {"site": "Site", "street": "Street", "area": "Area"},
        "unlocated_note": "This project has no position yet; you can submit where it really is.",
        "n": "How many", "dist": "Distance (m)", "dir": "Direction", "name": "Name",
    },
}
_CRS_LABELS = {"wgs84": "WGS-84 (GPS)", "gcj02": "GCJ-02 (高德/腾讯)", "bd09": "BD-09 (百度)"}


def _set_position(lon: float, lat: float, accuracy: float | None, source: str) -> None:
    st.session_state["field_pos"] = (lon, lat, accuracy, source)


def _position(atlas, text: dict) -> tuple[float, float, float | None, str] | None:
    st.subheader(text["where"])
    district = atlas.places["district-changning"].geometry
    located = streamlit_geolocation()
    if located and located.get("latitude") is not None:
        fix = (located["longitude"], located["latitude"], located.get("accuracy"))
        if st.session_state.get("_last_fix") != fix:
            st.session_state["_last_fix"] = fix
            try:
                lon, lat = check_position(fix[:2], "wgs84", to_metric(district), fix_swaps=False,
                                          tolerance_m=FIELD_TOLERANCE_M).lonlat()
                _set_position(lon, lat, fix[2], "device")
            except AtlasError as exc:
                st.error(str(exc))
    else:
        st.caption(text["locate"])
    with st.expander(text["manual"]):
        with st.form("typed_position"):
            crs = st.selectbox(text["crs"], list(_CRS_LABELS), format_func=_CRS_LABELS.get)
            lon = st.number_input(text["lon"], value=None, format="%.6f", step=0.000001)
            lat = st.number_input(text["lat"], value=None, format="%.6f", step=0.000001)
            if st.form_submit_button(text["use"], width="stretch"):
                try:
                    if lon is None or lat is None:
                        raise SubmissionError(f"{text['lon']}/{text['lat']}: ?")
                    wlon, wlat = check_position((lon, lat), crs, to_metric(district), fix_swaps=False,
                                                tolerance_m=FIELD_TOLERANCE_M).lonlat()
                    _set_position(wlon, wlat, None, "typed")
                except AtlasError as exc:
                    st.error(str(exc))
        st.caption(text["tap"])
    pos = st.session_state.get("field_pos")
    if pos:
        line = text["pos"].format(lat=pos[1], lon=pos[0])
        if pos[2]:
            line += text["acc"].format(a=pos[2])
        st.success(f"{line} · {text['src'][pos[3]]}")
    return pos


def _map(atlas, frame: pd.DataFrame, pos, lang: str) -> None:
    static_assets()
    basemap = field_basemap()
    here = (pos[0], pos[1], pos[2]) if pos else None
    m = build_map(atlas, frame, lang=lang, basemap=basemap, visible_refs=("district_boundary",),
                  centre=(pos[1], pos[0]) if pos else None, zoom=16 if pos else None, here=here,
                  height=420)
    localize(m)
    # Only a tap is returned (deliberately): it sets the worker's position.
    out = st_folium(m, key="field_map", height=420, use_container_width=True,
                    returned_objects=["last_clicked"])
    clicked = (out or {}).get("last_clicked")
    if clicked and st.session_state.get("_last_tap") != clicked:
        st.session_state["_last_tap"] = clicked
        lon, lat = clicked["lng"], clicked["lat"]
        if BASEMAPS[basemap]["crs"] != "wgs84":  # the map is drawn in GCJ-02: undo the shift
            lon, lat = convert(lon, lat, BASEMAPS[basemap]["crs"], "wgs84")
        try:
            district_m = to_metric(atlas.places["district-changning"].geometry)
            lon, lat = check_position((lon, lat), "wgs84", district_m, fix_swaps=False,
                                      tolerance_m=FIELD_TOLERANCE_M).lonlat()
        except AtlasError as exc:
            st.error(str(exc))
        else:
            _set_position(lon, lat, None, "tap")
            st.rerun()


def _nearby(atlas, pos, lang: str, text: dict) -> str | None:
    st.subheader(text["nearby"])
    name = "name_en" if lang == "en" else "name_zh"
    names = dict(zip(atlas.projects["id"], atlas.projects[name], strict=True))
    near_ids: list[str] = []
    if pos:
        n = st.segmented_control(text["n"], [3, 5, 10], default=5, key="field_n") or 5
        near = nearest(atlas.projects, pos[0], pos[1], n=n)
        direction = "direction_en" if lang == "en" else "direction_zh"
        table = pd.DataFrame({text["dist"]: near["distance_m"].round(0).astype(int),
                              text["dir"]: near[direction], text["name"]: near[name]})
        st.table(table.set_index(text["dist"]))  # plain text cells: readable on a phone
        near_ids = near["id"].tolist()
    else:
        st.caption(text["none_yet"])
    options = near_ids + [pid for pid in atlas.projects["id"] if pid not in set(near_ids)]
    return st.selectbox(text["pick"], options, format_func=lambda v: names.get(v, v), key="field_pick")


def _navigate(atlas, project_id: str, lang: str, text: dict) -> None:
    row = atlas.projects.set_index("id").loc[project_id]
    if row.geometry is None:
        st.info(text["unlocated_note"])
        return
    point = row.geometry if row.geometry.geom_type == "Point" else row.geometry.representative_point()
    st.caption(text["coords"])
    for crs, value in coordinates_for(point.x, point.y).items():
        st.code(f"{_CRS_LABELS[crs]}: {value}", language=None)
    name = row["name_en" if lang == "en" else "name_zh"]
    left, right = st.columns(2)
    left.link_button(text["amap"], amap_link(point.x, point.y, name), width="stretch")
    right.link_button(text["baidu"], baidu_link(point.x, point.y, name), width="stretch")


def _checkin(atlas, project_id: str, pos, text: dict) -> None:
    st.subheader(text["checkin"])
    who = auth.require(FIELD, st.session_state.get("w_lang") or "zh")
    if who is None:
        return
    with st.form("checkin", clear_on_submit=False):
        kind = st.radio(text["kind"], ["confirm", "correct"], horizontal=True,
                        format_func=lambda v: text[v])
        precision = st.selectbox(text["precision"], list(LOCATED_PRECISIONS),
                                 format_func=text["precisions"].get)
        note = st.text_area(text["note"], max_chars=2000)
        photo = st.file_uploader(text["photo"], type=["jpg", "jpeg", "png"])
        sent = st.form_submit_button(text["submit"], type="primary", width="stretch")
    if not sent:
        return
    if photo is not None and photo.size > MAX_PHOTO_BYTES:
        st.error(f"{photo.name}: {photo.size / 1e6:.1f} MB > {MAX_PHOTO_BYTES / 1e6:.0f} MB")
        return
    if kind == "correct" and not pos:
        st.error(text["need_pos"])
        return
    row = atlas.projects.set_index("id").loc[project_id]
    try:
        sub = Submission(
            project_id=project_id, kind=kind, submitted_by=who.name, team=who.team,
            lon=pos[0] if kind == "correct" else None, lat=pos[1] if kind == "correct" else None,
            precision=precision if kind == "correct" else None,
            accuracy_m=pos[2] if pos else None, note=note,
            photo=photo.getvalue() if photo is not None else None)
        sid = get_store().submit(sub, old_wkt=row.geometry.wkt if row.geometry is not None else None)
    except SubmissionError as exc:
        st.error(str(exc))
        return
    st.success(text["stored"].format(sid=sid))


def render() -> None:
    """The field page."""
    lang = st.session_state.get("w_lang") or "zh"
    text = _TEXT[lang]
    st.title(text["title"])
    atlas = get_atlas()
    pos = _position(atlas, text)
    _map(atlas, atlas.projects, pos, lang)
    chosen = _nearby(atlas, pos, lang, text)
    if chosen:
        _navigate(atlas, chosen, lang, text)
        _checkin(atlas, chosen, pos, text)
