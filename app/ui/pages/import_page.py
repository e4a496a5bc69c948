"""Import page: upload a register, check the column mapping, import, read the report, see the map.

Everything the page does goes through :mod:`app.io.importer` (the same code as
``python -m app import``); this module only draws widgets. Uploads are limited to
:data:`app.io.limits.UPLOAD_LIMIT_MIB` MiB, checked by the page on whatever reaches it and refused
in the user's language; the browser-side uploader is set just above that bound (in whole MB,
whichever way Streamlit counts them), so that the refusal that states the bound is ours.
Anyone may preview an import; saving it into the store needs the planner role, and the
audit row names the planner.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import replace

import geopandas as gpd
import pandas as pd
import streamlit as st
from streamlit import runtime
from streamlit.runtime.scriptrunner import get_script_run_ctx

from app.data.atlas import Atlas
from app.domain.i18n import t
from app.domain.phrases import import_note_text
from app.domain.roles import PLANNER
from app.domain.text import escape_markdown
from app.errors import AtlasError, ImportFileError, SubmissionError
from app.geo.coords import parse_source_crs
from app.io import sandbox
from app.io.importer import IMPORTED, ImportResult, import_file
from app.io.limits import (
    UPLOAD_LIMIT_BYTES,
    UPLOAD_LIMIT_MIB,
    UPLOAD_PARSE,
    UPLOADER_LIMIT_MB,
    check_upload_size,
)
from app.io.mapping import MAPPING_FIELDS, infer_mapping
from app.io.readers import RawTable, read_table
from app.io.report import ROW_STATUSES
from app.map.basemaps import BASEMAPS, basemap_title, keyless_basemaps
from app.map.live import result_bounds
from app.store import save_register
from app.ui import auth, outcome, state
from app.ui.cache import get_atlas, get_store
from app.ui.live_map import page_map
from app.ui.safe import error_message, notice

__all__ = ["UPLOAD_TYPES", "render"]

#: File types the uploader offers.
UPLOAD_TYPES: tuple[str, ...] = ("csv", "txt", "xlsx", "geojson", "json", "gpkg")
_PREVIEW_ROWS = 5
_ENCODINGS = ("auto", "utf-8", "gb18030", "big5", "shift_jis", "utf-16")
_CRS_CHOICES = ("wgs84", "gcj02", "bd09", "epsg")
_BASEMAPS = keyless_basemaps()  # the import page asks for no key
_NONE = ""


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
    st.subheader(t("import.mapping", lang))
    st.caption(t("import.mapping_help", lang))
    options = [_NONE, *table.columns]
    chosen: dict[str, str | None] = {}
    cols = st.columns(4)
    for i, name in enumerate(MAPPING_FIELDS):
        with cols[i % 4]:
            value = st.selectbox(t(f"import.field_{name}", lang), options, key=state.relabelled(f"imp_map_{name}"),
                                 format_func=lambda v: v or "—", placeholder=t("picker.one", lang))
        chosen[name] = value or None
    return chosen


def _crs_widgets(lang: str, show_encoding: bool) -> tuple[str, str | None]:
    left, mid, right = st.columns(3)
    encoding = "auto"
    if show_encoding:
        encoding = left.selectbox(t("import.encoding", lang), _ENCODINGS, key=state.relabelled("imp_encoding"),
                                  format_func=lambda v: t("import.enc_auto", lang) if v == "auto" else v, placeholder=t("picker.one", lang))
    choice = mid.selectbox(t("import.crs", lang), _CRS_CHOICES, key=state.relabelled("imp_crs"),
                           format_func=lambda v: t(f"import.crs_{v}", lang), placeholder=t("picker.one", lang))
    crs = choice
    if choice == "epsg":
        crs = right.text_input(t("import.epsg", lang), value="EPSG:32651", key="imp_epsg").strip()
    return crs, None if encoding == "auto" else encoding


def _method_words(method: str, lang: str) -> str:
    """A report row's method in words of `lang` (the code itself when it has none)."""
    key = f"import.method_{method}"
    words = t(key, lang)
    return method if words == key else words


def _report_table(result: ImportResult, atlas: Atlas, lang: str) -> pd.DataFrame:
    table = result.report.to_frame()
    table["status"] = table["status"].map(lambda s: t(f"import.status_{s}", lang))
    table["method"] = table["method"].map(lambda m: _method_words(str(m), lang))
    table["precision"] = table["precision"].map(lambda p: atlas.vocab.label("precision", str(p), lang))
    return table.rename(columns=lambda c: t(f"import.col_{c}", lang))


def _summary(result: ImportResult, lang: str) -> None:
    st.subheader(t("import.summary", lang))
    summary = result.report.summary
    for col, status in zip(st.columns(len(ROW_STATUSES)), ROW_STATUSES, strict=True):
        col.metric(t(f"import.status_{status}", lang), summary[status])
    notes = result.report.source.get("notes") or ()
    if notes:
        st.caption(f"{t('import.notes', lang)}: "
                   + " · ".join(escape_markdown(import_note_text(n, lang)) for n in notes))


def _map(atlas: Atlas, frame: gpd.GeoDataFrame, lang: str, version: str) -> None:
    """The imported rows on the atlas's one map (view mode, no selection), fitted to them;
    `version` names this import (its file and settings), so its base is built once."""
    st.subheader(t("import.map", lang))
    basemap = st.selectbox(t("import.basemap", lang), _BASEMAPS, key=state.relabelled("imp_basemap"),
                           format_func=lambda v: basemap_title(v, lang), placeholder=t("picker.one", lang))
    crs = BASEMAPS[basemap]["crs"]
    bounds = result_bounds(frame, crs)
    # Nothing comes back from this map: panning and zooming never rerun the script.
    page_map(replace(atlas, projects=frame), lang, mode="view", key="imp_map", basemap=basemap,
             height=450, refs=["district_boundary"], version=version,
             fit={"bounds": bounds, "seq": version} if bounds else None)


def _save(result: ImportResult, lang: str) -> None:
    """Saving needs the planner role; the preview, report and map above stay open to all."""
    st.subheader(t("import.save", lang))
    who = auth.require(PLANNER, lang)
    if who is None:
        return
    left, right = st.columns([3, 1], vertical_alignment="bottom")
    name = left.text_input(t("import.save_name", lang), key="imp_save_name").strip()
    if not right.button(t("import.save_button", lang), key="imp_save", disabled=not name):
        return
    try:
        save_register(name, result.frame, result.report, store=get_store(), saved_by=who.name)
    except SubmissionError as exc:
        notice("error", "import.save_failed", lang, message=error_message(exc, lang))
        return
    outcome.keep("success", "import.saved", name=name, n=len(result.frame))
    st.rerun()


def _show(atlas: Atlas, result: ImportResult, lang: str, version: str) -> None:
    _summary(result, lang)
    for warning in result.report.warnings:  # file-level, e.g. GCJ-02 declared as WGS-84
        st.warning(escape_markdown(import_note_text(warning.message, lang)))
    st.subheader(t("import.report", lang))
    st.dataframe(_report_table(result, atlas, lang), hide_index=True, width="stretch", key="imp_report")
    st.download_button(t("import.download_report", lang), result.report.to_json().encode("utf-8"),
                       file_name="import-report.json", mime="application/json", key="imp_download")
    imported = t("import.imported", lang)  # the word for what the file did not say
    frame = result.frame.assign(**{name: result.frame[name].replace(IMPORTED, imported)
                                   for name in ("category", "status", "action")
                                   if name in result.frame.columns})
    _map(atlas, frame, lang, version)
    _save(result, lang)


def _preview_table(data: bytes, name: str, encoding: str | None, digest: str) -> RawTable:
    """The file read for its preview and mapping: parsed (in a worker) once per file and
    encoding in this session, not again on every rerun of the page."""
    key = (digest, name, encoding)
    kept = st.session_state.get("_imp_table")
    if kept is not None and kept[0] == key:
        return kept[1]
    table = read_table(data, filename=name, encoding=encoding, limits=UPLOAD_PARSE,
                       should_stop=_session_ended())
    st.session_state["_imp_table"] = (key, table)
    return table


def _session_ended() -> Callable[[], bool]:
    """A check that is True once this browser session has gone (never, outside a server)."""
    ctx = get_script_run_ctx()
    if ctx is None or not runtime.exists():  # AppTest, bare mode
        return lambda: False
    server, session_id = runtime.get_instance(), ctx.session_id
    return lambda: not server.is_active_session(session_id)


def render() -> None:
    """The import page."""
    lang = st.session_state.get("w_lang") or "zh"
    st.title(t("import.page", lang))
    outcome.show_kept(lang, "import")
    st.caption(t("import.intro", lang).format(mb=UPLOAD_LIMIT_MIB))
    sandbox.prewarm()  # the file is parsed in a worker: start one while the user picks a file
    uploaded = st.file_uploader(t("import.upload", lang), type=list(UPLOAD_TYPES), key="imp_file",
                                max_upload_size=UPLOADER_LIMIT_MB, help=t("import.upload_help", lang))
    if uploaded is None:
        st.info(t("import.no_file", lang).format(mb=UPLOAD_LIMIT_MIB))
        return
    data = uploaded.getvalue()
    try:
        check_upload_size(len(data))
    except ImportFileError:
        notice("error", "import.too_large", lang, size=len(data) / 1024 / 1024, mb=UPLOAD_LIMIT_MIB,
               limit=UPLOAD_LIMIT_BYTES)
        return
    is_text = uploaded.name.lower().endswith((".csv", ".txt"))
    st.subheader(t("import.settings", lang))
    crs, encoding = _crs_widgets(lang, show_encoding=is_text)
    digest = hashlib.sha256(data).hexdigest()[:16]
    try:
        table = _preview_table(data, uploaded.name, encoding, digest)
        parse_source_crs(crs)
    except AtlasError as exc:
        notice("error", "import.unusable", lang, message=error_message(exc, lang))
        return
    _reset_mapping(table, digest)
    st.subheader(t("import.preview", lang).format(n=_PREVIEW_ROWS))
    st.dataframe(table.frame.head(_PREVIEW_ROWS).astype(str), hide_index=True, width="stretch",
                 key="imp_preview")
    mapping = _mapping_widgets(table, lang)
    params = (digest, tuple(sorted((k, v or "") for k, v in mapping.items())), crs, encoding)
    atlas = get_atlas()
    if st.button(t("import.run", lang), key="imp_run", type="primary"):
        try:
            result = import_file(data, filename=uploaded.name, crs=crs, encoding=encoding,
                                 mapping=mapping, atlas=atlas, should_stop=_session_ended(),
                                 limits=UPLOAD_PARSE)
        except AtlasError as exc:
            notice("error", "import.unusable", lang, message=error_message(exc, lang))
            return
        st.session_state["_imp_result"] = (params, result)
    stored = st.session_state.get("_imp_result")
    if stored is None or stored[0] != params:
        st.info(t("import.press_run", lang))
        return
    version = "import-" + hashlib.sha256(repr(stored[0]).encode("utf-8")).hexdigest()[:16]
    _show(atlas, stored[1], lang, version)
