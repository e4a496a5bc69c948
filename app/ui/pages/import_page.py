"""Import page: upload a register, check the column mapping, import, read the report, see the map.

Everything the page does goes through :mod:`app.io.importer` (the same code as
``python -m app import``); this module only draws widgets. Uploads are limited to
:data:`app.io.limits.UPLOAD_LIMIT_MIB` MiB, checked by the page on whatever reaches it and refused
in the user's language; the browser-side uploader is set just above that bound (in whole MB,
whichever way Streamlit counts them), so that the refusal that states the bound is ours.
"""

from __future__ import annotations

import hashlib
import sqlite3
from dataclasses import replace

import geopandas as gpd
import pandas as pd
import streamlit as st
from streamlit_folium import st_folium

from app.data.atlas import Atlas
from app.errors import AtlasError, ImportFileError
from app.geo.coords import parse_source_crs
from app.io.importer import IMPORTED, ImportResult, import_file
from app.io.limits import UPLOAD_LIMIT_BYTES, UPLOAD_LIMIT_MIB, UPLOADER_LIMIT_MB, check_upload_size
from app.io.mapping import MAPPING_FIELDS, infer_mapping
from app.io.readers import RawTable, read_table
from app.io.report import ROW_STATUSES
from app.map.assets import localize
from app.map.builder import build_map
from app.ui.cache import get_atlas, static_assets

__all__ = ["STRINGS", "UPLOAD_TYPES", "render", "text"]

#: File types the uploader offers.
UPLOAD_TYPES: tuple[str, ...] = ("csv", "txt", "xlsx", "geojson", "json", "gpkg")
_PREVIEW_ROWS = 5
_ENCODINGS = ("auto", "utf-8", "gb18030", "utf-16")
_CRS_CHOICES = ("wgs84", "gcj02", "bd09", "epsg")
_BASEMAPS = ("osm", "amap", "none")
_NONE = ""

#: This page's UI strings: key -> (zh, en).
STRINGS: dict[str, tuple[str, str]] = {
    "page": ("导入项目清单", "Import a register"),
    "intro": ("上传 CSV、Excel(.xlsx)、GeoJSON 或 GeoPackage 项目清单:先核对列对应关系,再导入;"
              "每一行的定位结果(已定位/已修正/未定位/已拒绝)都列在报告中。文件不超过 {mb} MiB。",
              "Upload a CSV, Excel (.xlsx), GeoJSON or GeoPackage register: check the column "
              "mapping, then import; the report lists every row as placed, fixed, unlocated or "
              "rejected. Files up to {mb} MiB."),
    "upload": ("项目清单文件", "Register file"),
    "upload_help": ("CSV 可为 UTF-8、带 BOM 的 UTF-8 或 GBK/GB18030 编码;Excel 读取第一个工作表。",
                    "CSV in UTF-8, UTF-8 with BOM or GBK/GB18030; Excel: the first sheet."),
    "no_file": ("请选择一个不超过 {mb} MiB 的文件。超过上限的文件不会上传(文件名标红);"
                "更大的清单请拆分,或用命令行导入:python -m app import 文件",
                "Choose a file of at most {mb} MiB. A larger file is not uploaded (its name turns "
                "red); split the register, or use the command line: python -m app import FILE"),
    "too_large": ("文件过大:{size:.1f} MiB,上限为 {mb} MiB({limit} 字节)。请拆分清单,或用命令行"
                  " python -m app import 导入。",
                  "The file is too large: {size:.1f} MiB; the limit is {mb} MiB ({limit} bytes). "
                  "Split the register, or import it with python -m app import."),
    "unusable": ("无法读取该文件:", "This file cannot be imported: "),
    "settings": ("读取设置", "Reading"),
    "encoding": ("文本编码", "Text encoding"),
    "enc_auto": ("自动识别", "detect"),
    "crs": ("坐标系", "Coordinate system"),
    "crs_wgs84": ("WGS-84(GPS、天地图)", "WGS-84 (GPS, Tianditu)"),
    "crs_gcj02": ("GCJ-02(高德、腾讯)", "GCJ-02 (AMap, Tencent)"),
    "crs_bd09": ("BD-09(百度)", "BD-09 (Baidu)"),
    "crs_epsg": ("EPSG 代码(投影坐标)", "EPSG code (projected)"),
    "epsg": ("EPSG 代码", "EPSG code"),
    "preview": ("文件预览(前 {n} 行)", "Preview (first {n} rows)"),
    "mapping": ("列对应关系", "Column mapping"),
    "mapping_help": ("已根据表头自动识别,可逐项修改;“—”表示不使用。",
                     "Guessed from the headers; change any of them. '—' means not used."),
    "run": ("导入", "Import"),
    "press_run": ("核对列对应关系后,点击“导入”。", "Check the mapping, then press Import."),
    "summary": ("导入结果", "Result"),
    "report": ("逐行报告", "Row report"),
    "download_report": ("下载报告(JSON)", "Download the report (JSON)"),
    "map": ("导入结果地图", "Map of the imported projects"),
    "basemap": ("底图", "Basemap"),
    "notes": ("说明", "Notes"),
    "save": ("保存到数据库", "Save to the store"),
    "save_name": ("清单名称(字母、数字、- 或 _)", "Register name (letters, digits, - or _)"),
    "save_button": ("保存", "Save"),
    "saved": ("已保存清单 {name}:{n} 个项目。", "Saved register {name}: {n} projects."),
    "store_missing": ("数据库不可用,未保存。", "The store is not available; nothing was saved."),
    "save_failed": ("保存失败:", "Saving failed: "),
    "status_placed": ("已定位", "placed"),
    "status_fixed": ("已修正", "fixed"),
    "status_unlocated": ("未定位", "unlocated"),
    "status_rejected": ("已拒绝", "rejected"),
    "col_row": ("行", "Row"),
    "col_id": ("编号", "ID"),
    "col_name": ("名称", "Name"),
    "col_status": ("结果", "Result"),
    "col_method": ("方法", "Method"),
    "col_score": ("匹配分", "Score"),
    "col_precision": ("定位精度", "Precision"),
    "col_place": ("地名库地点", "Gazetteer place"),
    "col_problems": ("问题与处理", "Problems and what was done"),
    "col_candidates": ("候选地点", "Candidates"),
    "field_name": ("名称", "Name"),
    "field_name_en": ("英文名称", "English name"),
    "field_address": ("地址", "Address"),
    "field_lon": ("经度 / X", "Longitude / X"),
    "field_lat": ("纬度 / Y", "Latitude / Y"),
    "field_id": ("编号", "ID"),
    "field_layer": ("图层", "Layer"),
    "field_category": ("类别", "Category"),
    "field_status": ("状态", "Status"),
    "field_action": ("2025年行动", "2025 action"),
    "field_target_year": ("目标年份", "Target year"),
    "field_subdistrict": ("街道/镇", "Sub-district"),
    "field_description": ("说明", "Description"),
    "field_aliases": ("别名", "Aliases"),
    "imported": ("导入(未指定)", "imported (not given)"),
}


def text(key: str, lang: str) -> str:
    """This page's string `key` in 'zh' or 'en' (the key itself when unknown).

    >>> text("run", "en"), text("run", "zh"), text("nope", "en")
    ('Import', '导入', 'nope')
    """
    zh, en = STRINGS.get(key, (key, key))
    return en if lang == "en" else zh


def _reset_mapping(table: RawTable, digest: str) -> None:
    """A new file: set every mapping selectbox to the inferred column (before they are drawn)."""
    if st.session_state.get("_imp_digest") == digest:
        return
    inferred = infer_mapping(table.columns)
    for name in MAPPING_FIELDS:
        st.session_state[f"imp_map_{name}"] = inferred.get(name, _NONE)
    st.session_state["_imp_digest"] = digest
    st.session_state.pop("_imp_result", None)


def _mapping_widgets(table: RawTable, lang: str) -> dict[str, str | None]:
    st.subheader(text("mapping", lang))
    st.caption(text("mapping_help", lang))
    options = [_NONE, *table.columns]
    chosen: dict[str, str | None] = {}
    cols = st.columns(4)
    for i, name in enumerate(MAPPING_FIELDS):
        with cols[i % 4]:
            value = st.selectbox(text(f"field_{name}", lang), options, key=f"imp_map_{name}",
                                 format_func=lambda v: v or "—")
        chosen[name] = value or None
    return chosen


def _crs_widgets(lang: str, show_encoding: bool) -> tuple[str, str | None]:
    left, mid, right = st.columns(3)
    encoding = "auto"
    if show_encoding:
        encoding = left.selectbox(text("encoding", lang), _ENCODINGS, key="imp_encoding",
                                  format_func=lambda v: text("enc_auto", lang) if v == "auto" else v)
    choice = mid.selectbox(text("crs", lang), _CRS_CHOICES, key="imp_crs",
                           format_func=lambda v: text(f"crs_{v}", lang))
    crs = choice
    if choice == "epsg":
        crs = right.text_input(text("epsg", lang), value="EPSG:32651", key="imp_epsg").strip()
    return crs, None if encoding == "auto" else encoding


def _report_table(result: ImportResult, lang: str) -> pd.DataFrame:
    table = result.report.to_frame()
    table["status"] = table["status"].map(lambda s: text(f"status_{s}", lang))
    return table.rename(columns=lambda c: text(f"col_{c}", lang))


def _summary(result: ImportResult, lang: str) -> None:
    st.subheader(text("summary", lang))
    summary = result.report.summary
    for col, status in zip(st.columns(len(ROW_STATUSES)), ROW_STATUSES, strict=True):
        col.metric(text(f"status_{status}", lang), summary[status])
    notes = result.report.source.get("notes") or ()
    if notes:
        st.caption(f"{text('notes', lang)}: " + " · ".join(str(n) for n in notes))


def _map(atlas: Atlas, frame: gpd.GeoDataFrame, lang: str) -> None:
    st.subheader(text("map", lang))
    basemap = st.selectbox(text("basemap", lang), _BASEMAPS, key="imp_basemap",
                           format_func=lambda v: {"osm": "OpenStreetMap", "amap": "高德 AMap (GCJ-02)",
                                                  "none": "—"}[v])
    static_assets()
    m = build_map(replace(atlas, projects=frame), frame, lang=lang, basemap=basemap,
                  visible_refs=("district_boundary",), height=450)
    localize(m)
    # Nothing is returned from the map: panning and zooming never rerun the script.
    st_folium(m, returned_objects=[], key="imp_map", use_container_width=True, height=450)


def _save(result: ImportResult, lang: str) -> None:
    st.subheader(text("save", lang))
    left, right = st.columns([3, 1], vertical_alignment="bottom")
    name = left.text_input(text("save_name", lang), key="imp_save_name").strip()
    if not right.button(text("save_button", lang), key="imp_save", disabled=not name):
        return
    try:
        from app.store.sqlite import save_register
    except ImportError:
        st.warning(text("store_missing", lang))
        return
    try:
        save_register(name, result.frame, result.report)
    except (AtlasError, OSError, sqlite3.Error) as exc:
        st.error(text("save_failed", lang) + str(exc))
        return
    st.success(text("saved", lang).format(name=name, n=len(result.frame)))


def _show(atlas: Atlas, result: ImportResult, lang: str) -> None:
    _summary(result, lang)
    for warning in result.report.warnings:  # file-level, e.g. GCJ-02 declared as WGS-84
        st.warning(warning.message)
    st.subheader(text("report", lang))
    st.dataframe(_report_table(result, lang), hide_index=True, width="stretch", key="imp_report")
    st.download_button(text("download_report", lang), result.report.to_json().encode("utf-8"),
                       file_name="import-report.json", mime="application/json", key="imp_download")
    frame = result.frame.assign(
        category=result.frame["category"].replace(IMPORTED, text("imported", lang)))
    _map(atlas, frame, lang)
    _save(result, lang)


def render() -> None:
    """The import page."""
    lang = st.session_state.get("w_lang") or "zh"
    st.title(text("page", lang))
    st.caption(text("intro", lang).format(mb=UPLOAD_LIMIT_MIB))
    uploaded = st.file_uploader(text("upload", lang), type=list(UPLOAD_TYPES), key="imp_file",
                                max_upload_size=UPLOADER_LIMIT_MB, help=text("upload_help", lang))
    if uploaded is None:
        st.info(text("no_file", lang).format(mb=UPLOAD_LIMIT_MIB))
        return
    data = uploaded.getvalue()
    try:
        check_upload_size(len(data))
    except ImportFileError:
        st.error(text("too_large", lang).format(size=len(data) / 1024 / 1024, mb=UPLOAD_LIMIT_MIB,
                                                limit=UPLOAD_LIMIT_BYTES))
        return
    is_text = uploaded.name.lower().endswith((".csv", ".txt"))
    st.subheader(text("settings", lang))
    crs, encoding = _crs_widgets(lang, show_encoding=is_text)
    try:
        table = read_table(data, filename=uploaded.name, encoding=encoding)
        parse_source_crs(crs)
    except AtlasError as exc:
        st.error(text("unusable", lang) + str(exc))
        return
    digest = hashlib.sha256(data).hexdigest()[:16]
    _reset_mapping(table, digest)
    st.subheader(text("preview", lang).format(n=_PREVIEW_ROWS))
    st.dataframe(table.frame.head(_PREVIEW_ROWS).astype(str), hide_index=True, width="stretch",
                 key="imp_preview")
    mapping = _mapping_widgets(table, lang)
    params = (digest, tuple(sorted((k, v or "") for k, v in mapping.items())), crs, encoding)
    atlas = get_atlas()
    if st.button(text("run", lang), key="imp_run", type="primary"):
        try:
            result = import_file(data, filename=uploaded.name, crs=crs, encoding=encoding,
                                 mapping=mapping, atlas=atlas)
        except AtlasError as exc:
            st.error(text("unusable", lang) + str(exc))
            return
        st.session_state["_imp_result"] = (params, result)
    stored = st.session_state.get("_imp_result")
    if stored is None or stored[0] != params:
        st.info(text("press_run", lang))
        return
    _show(atlas, stored[1], lang)
