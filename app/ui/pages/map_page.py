"""Home page: the map with filters, legend, unlocated list, summary, table and downloads.

A rerun does the work its change needs: the filter mask comes from a cache, the map is the live
map (app/ui/live_map.py) -- its base built once per process, a filter change sends it only the
row mask --, labels are looked up once per distinct value, and a big selection's downloads are
made when clicked. Panning and zooming return nothing to Python (the browser writes lat/lon/z
to the address bar); a click on a feature selects its row and writes p=.

Map first: a session's first run draws the title and the map only; the sidebar's controls
(language, register, date, search, filters, layers, basemap), the summary, the table and the
downloads come with the run that the map's first paint triggers (the map reports it,
:data:`MAP_PAINTED`). Streamlit's browser side loads the code of each kind of element lazily, in
dozens of small files over the browser's six connections, and the map's frame waited behind the
widgets' files and the table's and charts' (about 2 MB): 3.3 s to a new visitor's first map with
everything in one run, 2.2 s with the sidebar in the first run, 1.6-1.7 s with the map alone.
The first run's values come from the URL (app/ui/state.py), so the map shows the link's view at
once. A map that never reports (its frame blocked) does not hold the page back: after
:data:`MAP_FIRST_WAIT_S` the rest is drawn anyway.

The date control (sidebar) shows the register as it stood on a day (``asof=``; today is the
live register); the caption above the map says which day and which data version it is. Below
the map, the progress chart follows the 2025 programme month by month (app/ui/progress.py).
Implementation supervision (app/ui/supervision.py): the map coloured by progress
(``colour=progress``), the changes since an earlier day (``compare=``) on the map and in a
table, the counts by progress beside the summary, and the supervision report's downloads.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
import streamlit as st
from streamlit.delta_generator import DeltaGenerator

from app.data.atlas import Atlas
from app.data.living import SEED_DATE
from app.domain.filters import Filter
from app.domain.i18n import field_label, t
from app.domain.text import escape_markdown
from app.domain.viewstate import BASEMAP_IDS, EARLIEST_ASOF, Notice, ViewState, district_today
from app.geo.crs import convert_geometry
from app.io.export import FORMATS, export_bytes
from app.map.basemaps import BASEMAPS, basemap_title
from app.map.fields import in_language, labelled, place_names, subdistrict_names, take
from app.map.legend import legend_spec
from app.map.live import mask_bits, result_bounds, view_shift
from app.service.atlas import BUILT_IN
from app.ui import state
from app.ui.cache import (
    REGISTER_KEY,
    base_atlas,
    changes_since,
    chosen_register,
    export_file,
    export_name,
    filter_mask,
    get_atlas,
    live_base_url,
    map_assets,
    progress_day,
    run_revision,
    static_assets,
)
from app.ui.dates import date_field
from app.ui.downloads import prepared_download
from app.ui.live_map import live_map, map_texts
from app.ui.progress import render_progress
from app.ui.safe import say
from app.ui.sheets import field_sheet_button
from app.ui.supervision import (
    changes_section,
    chosen_compare,
    colour_control,
    compare_control,
    compare_notice,
    map_args,
    progress_summary,
    selected_changes,
    supervision_downloads,
)
from app.ui.units import loaded_kinds, units_table

_TABLE_COLUMNS = ("name", "layer", "category", "status", "action", "subdistrict", "precision",
                  "progress", "report_ref")

#: Less empty space above the title, so that the map starts high on a desktop and on a phone.
_COMPACT_CSS = ("<style>[data-testid='stMainBlockContainer']{padding-top:2.75rem;"
                "padding-bottom:2rem}@media (max-width:640px){"
                "[data-testid='stMainBlockContainer']{padding-top:3.75rem}}</style>")

#: Session key: the live map has painted once in this session (its message), so the page draws
#: everything, not the map first (module doc).
MAP_PAINTED = "_map_painted"

#: Seconds a first run waits for the map's report before drawing the rest anyway (a frame that
#: cannot load must not leave the page without its controls and table).
MAP_FIRST_WAIT_S = 6.0

#: Session key: when the latest map-first run was made (time.monotonic()).
_FIRST_RUN_AT = "_map_first_at"

#: Registers up to this many projects share each selection between sessions (:func:`_rows`).
SHARED_SELECTION_ROWS = 5_000

#: Selections up to this many projects get their download files made with the page (and
#: cached per filter); bigger ones are made when their button is clicked.
EAGER_DOWNLOAD_ROWS = 5_000


def _label_funcs(atlas: Atlas, lang: str) -> dict[str, object]:
    """format_func for each filter's options: codes shown as labels in the UI language."""
    layers = {s.id: s.title(lang) for s in atlas.project_layers}
    categories = {e.value: (e.en if lang == "en" else e.zh) for s in atlas.project_layers
                  for e in s.legend}
    return {
        "layer": lambda v: layers.get(v, v),
        "category": lambda v: categories.get(v, v),
        "status": lambda v: atlas.vocab.status_label(v, lang),
        "action": lambda v: f"{v} · {atlas.vocab.actions.get(v, '')}" if lang == "en" else v,
        "subdistrict": subdistrict_names(atlas, lang),
        "report_section": lambda v: atlas.vocab.label("section", v, lang),
        "precision": lambda v: atlas.vocab.label("precision", v, lang),
        "progress": lambda v: t(f"supervision.progress_{v}", lang),
    }


def map_first() -> bool:
    """Whether this run of the map page is a session's first, the map alone (module doc)."""
    return not st.session_state.get(MAP_PAINTED)


@st.fragment(run_every=MAP_FIRST_WAIT_S)
def _rest_anyway() -> None:
    """On a first run's page: if the map has not reported its paint within MAP_FIRST_WAIT_S
    seconds of the run (:data:`_FIRST_RUN_AT`), draw the rest without it (its frame may be
    blocked). Its timer stops with the full run, which no longer draws it."""
    started = st.session_state.get(_FIRST_RUN_AT, time.monotonic())
    if map_first() and time.monotonic() - started >= MAP_FIRST_WAIT_S - 0.5:
        st.session_state[MAP_PAINTED] = True
        st.rerun(scope="app")


def _asof_control(lang: str, living: bool) -> None:
    """The as-of date (default today: the live register) and its "today" button; disabled for
    a saved register, which has no history."""
    side = st.sidebar
    today = district_today()
    date_field(side, t("asof.label", lang), state.ASOF_WIDGET, lang, min_value=EARLIEST_ASOF,
               max_value=today, help=t("asof.help", lang), disabled=not living)
    if not living:
        side.caption(t("asof.not_living", lang))
    elif state.chosen_asof() is not None:
        side.button(t("asof.today", lang), on_click=state.back_to_today, key="w_asof_today",
                    icon=":material/today:")


def _sidebar(atlas: Atlas, lang: str, living: bool) -> None:
    side = st.sidebar
    _asof_control(lang, living)
    compare_control(lang, living)
    colour_control(lang)
    side.text_input(t("search", lang), key="w_q", placeholder=t("search_placeholder", lang))
    labels = _label_funcs(atlas, lang)
    allowed = state.allowed_values(atlas)
    with side.expander(t("filters", lang), expanded=True):
        for name in allowed:  # the fields some layer declares filterable
            st.multiselect(t(name, lang), allowed[name], key=state.relabelled(f"w_f_{name}"),
                           format_func=labels[name], placeholder="—")
        st.button(t("reset", lang), on_click=state.clear_filters, width="stretch")
    side.multiselect(t("ref_layers", lang), [s.id for s in atlas.reference_layers], key=state.relabelled("w_refs"),
                     format_func=lambda v: atlas.spec(v).title(lang), placeholder=t("picker.many", lang))
    side.selectbox(t("basemap", lang), BASEMAP_IDS, key=state.relabelled("w_basemap"),
                   format_func=lambda v: basemap_title(v, lang), placeholder=t("picker.one", lang))
    side.caption(f"{t('data_version', lang)}: `{atlas.data_version}`")


def _labels(values: pd.Series, label: Callable[[str], object]) -> pd.Series:
    """`label` of every value, called once per distinct value (not once per row)."""
    codes, uniques = pd.factorize(values, use_na_sentinel=True)
    table = np.array([*(label(u) for u in uniques.tolist()), None], dtype=object)
    out = pd.Series(table[codes], index=values.index, dtype=object)
    # keep a text column's dtype, as Series.map did (charts infer their axis type from it)
    return out.astype(values.dtype) if isinstance(values.dtype, pd.StringDtype) else out


def _display_frame(atlas: Atlas, frame: gpd.GeoDataFrame, lang: str) -> pd.DataFrame:
    labels = _label_funcs(atlas, lang)
    return pd.DataFrame({
        "id": frame["id"],
        "name": frame["name_en" if lang == "en" else "name_zh"],
        **{name: _labels(frame[name], labels[name])
           for name in ("layer", "category", "status", "action", "subdistrict", "precision",
                        "progress")},
        "report_ref": frame["report_ref"],
    })


@dataclass(frozen=True)
class _Parts:
    """What the page shows beside and below the map of one filter's rows, in one language."""

    table: pd.DataFrame  # the table as shown: labels, localized column names
    ids: list[str]  # the table's project ids, row by row
    unlocated: pd.DataFrame  # name and position note of the unlocated rows
    bars: tuple[dict, dict]  # summary bars by layer and by status


def _make_parts(atlas: Atlas, frame: gpd.GeoDataFrame, lang: str) -> _Parts:
    table = _display_frame(atlas, frame, lang)
    rows = frame[frame.geometry.isna()]
    name = "name_en" if lang == "en" else "name_zh"
    labels = _label_funcs(atlas, lang)
    return _Parts(
        table=table.drop(columns=["id"]).rename(columns=lambda c: field_label(c, lang)),
        ids=table["id"].tolist(),
        unlocated=pd.DataFrame({field_label("name", lang): rows[name],
                                field_label("position_note", lang): take(*labelled(in_language(
                                    rows, "position_note", lang, place_names(atlas, lang))))}),
        bars=(_bars(_labels(frame["layer"], labels["layer"]).value_counts(), lang),
              _bars(_labels(frame["status"], labels["status"]).value_counts(), lang)))


# Shared by every session (read-only: nobody changes what they return), once per (data
# version, filter, as-of day[, language]): a crowd opening a link costs one selection, not one
# each. A city-scale register's selections are made per run, so the caches' memory stays small.

@st.cache_resource(show_spinner=False, max_entries=64)
def _shared_rows(version: str, key: tuple, asof: str | None, _atlas: Atlas,
                 _mask: np.ndarray) -> gpd.GeoDataFrame:
    return _atlas.projects[_mask]


@st.cache_resource(show_spinner=False, max_entries=64)
def _shared_parts(version: str, key: tuple, asof: str | None, lang: str, _atlas: Atlas,
                  _frame: gpd.GeoDataFrame) -> _Parts:
    return _make_parts(_atlas, _frame, lang)


def _shared(atlas: Atlas) -> bool:
    return len(atlas.projects) <= SHARED_SELECTION_ROWS


def _rows(atlas: Atlas, flt: Filter, asof: str | None, mask: np.ndarray) -> gpd.GeoDataFrame:
    """The rows of the atlas that pass the filter (shared up to :data:`SHARED_SELECTION_ROWS`)."""
    if not _shared(atlas):
        return atlas.projects[mask]
    return _shared_rows(atlas.data_version, flt.key(), asof or progress_day(), atlas, mask)


def _parts(atlas: Atlas, flt: Filter, asof: str | None, frame: gpd.GeoDataFrame,
           lang: str) -> _Parts:
    """Table, unlocated list and summary bars of `frame` (shared like :func:`_rows`)."""
    if not _shared(atlas):
        return _make_parts(atlas, frame, lang)
    return _shared_parts(atlas.data_version, flt.key(), asof or progress_day(), lang, atlas, frame)


def _on_table_select() -> None:
    rows = st.session_state["w_table"].selection.rows
    ids = st.session_state.get("_table_ids", [])
    st.session_state["focus"] = ids[rows[0]] if rows and rows[0] < len(ids) else None
    st.session_state["_focus_seq"] = st.session_state.get("_focus_seq", 0) + 1


def _on_map_message() -> None:
    """The live map said something (before any widget is drawn): a feature was clicked -- select
    it and its table row --, its layer control changed the layers shown, or its tiles failed
    and the user chose the no-basemap view."""
    message = st.session_state.get("live_map") or {}
    if message.get("painted"):
        st.session_state[MAP_PAINTED] = True
    if message.get("basemap") in BASEMAP_IDS:  # tiles failed: the no-basemap view
        st.session_state["w_basemap"] = message["basemap"]
    if "select" in message:
        pid = message["select"]
        st.session_state["focus"] = pid
        ids = st.session_state.get("_table_ids", [])
        rows = [ids.index(pid)] if pid in ids else []
        st.session_state["w_table"] = {"selection": {"rows": rows, "columns": []}}
    if "layers" in message:
        everything = set(st.session_state.get("_all_layers", ()))
        chosen = [v for v in message["layers"] if v in everything]
        st.session_state["w_f_layer"] = [] if set(chosen) == everything else chosen
        st.session_state["w_refs"] = [v for v in message.get("refs", [])
                                      if v in set(st.session_state.get("_all_refs", ()))]


@st.cache_data(show_spinner=False, max_entries=256)
def _selection_bounds(version: str, bits: str, crs: str, _frame: gpd.GeoDataFrame
                      ) -> list[list[float]] | None:
    """The box of the rows `bits` in the basemap `crs`, once per (data version, rows, CRS)."""
    return result_bounds(_frame, crs)


def _fit(frame: gpd.GeoDataFrame, query: str, crs: str) -> dict:
    """Zoom to a new search's results: a box and a number that changes with the search."""
    if query != st.session_state.get("_fit_query", ""):
        st.session_state["_fit_query"] = query
        st.session_state["_fit_seq"] = st.session_state.get("_fit_seq", 0) + 1 if query else 0
    seq = st.session_state.get("_fit_seq", 0)
    return {"bounds": result_bounds(frame, crs) if query else None, "seq": seq}


@st.cache_data(show_spinner=False, max_entries=256)
def _legend(version: str, bits: str, refs: tuple[str, ...], lang: str, _atlas: Atlas,
            _frame: gpd.GeoDataFrame) -> dict:
    """The legend of the rows `bits` of the atlas, once per (data version, rows, reference
    layers, language) for every session."""
    return legend_spec(_atlas, _frame, list(refs), lang)


def _map(atlas: Atlas, frame: gpd.GeoDataFrame, mask: np.ndarray, lang: str, view: ViewState,
         notices: DeltaGenerator, changes: gpd.GeoDataFrame | None = None) -> None:
    """The live map of `frame` (rows `mask` of the atlas) with what the view asks for."""
    basemap = view.basemap
    key = os.environ.get("TIANDITU_KEY") or None
    if BASEMAPS[basemap].requires_token() and not key:
        notices.info(t("tianditu_needs_key", lang))
        basemap = "none"
    static_assets()
    crs = BASEMAPS[basemap]["crs"]
    base_url, base_key = live_base_url(atlas, lang, basemap, key)
    refs = list(view.ref_layers or ())
    layer_filter = set(view.filters.get("layer", ()))
    st.session_state["_all_layers"] = [s.id for s in atlas.project_layers]
    st.session_state["_all_refs"] = [s.id for s in atlas.reference_layers]
    items = ([{"id": s.id, "kind": "layer", "title": s.title(lang),
               "on": not layer_filter or s.id in layer_filter} for s in atlas.project_layers]
             + [{"id": s.id, "kind": "ref", "title": s.title(lang), "on": s.id in refs}
                for s in atlas.reference_layers])
    # the link's centre and zoom, for the session's first map only: later maps of the session
    # (after a visit to another page) start where the user left the last one (browser-side)
    initial = ({"lat": view.lat, "lon": view.lon, "z": view.zoom or 15}
               if view.lat is not None and not st.session_state.get("_link_view_used") else None)
    st.session_state["_link_view_used"] = True
    district = atlas.places["district-changning"].geometry
    minx, miny, maxx, maxy = convert_geometry(district, "wgs84", crs).bounds
    bits = mask_bits(mask)
    args = {
        "mode": "view", "selectable": True,
        "base_url": base_url, "base_key": base_key, "mask": bits, "refs": refs,
        "legend": _legend(atlas.data_version, bits, tuple(refs), lang, atlas, frame),
        # "at": the map's last message this run has seen (the map keeps its own newer choice)
        "layer_control": {"title": t("live.layers", lang), "items": items,
                          "at": (st.session_state.get("live_map") or {}).get("at")},
        "focus": {"id": view.project, "seq": st.session_state.get("_focus_seq", 0)},
        "fit": _fit(frame, view.query, crs), "view": initial, "shift": view_shift(basemap),
        # where the selection is: a filter change fits the map to it when it left the view
        "selection": _selection_bounds(atlas.data_version, bits, crs, frame),
        "report_painted": map_first(),
        "district": [[miny, minx], [maxy, maxx]], "height": 560, "assets": map_assets(),
        "texts": map_texts(lang),
    }
    args.update(map_args(atlas, frame, view, lang, crs, args["legend"], changes))  # supervision
    # One frame per page visit: the same key on every rerun keeps it; the arguments update it.
    live_map(args, key="live_map", on_change=_on_map_message)


def _unlocated(listing: pd.DataFrame, lang: str) -> None:
    st.markdown(f"**{t('unlocated', lang)} ({len(listing)})**")
    st.caption(t("unlocated_help", lang))
    if listing.empty:
        return
    st.dataframe(listing, hide_index=True, width="stretch",
                 height=min(38 + 35 * len(listing), 300))


def _bars(counts: pd.Series, lang: str) -> dict:
    """A Vega-Lite spec of horizontal bars whose labels are never cut: the axis takes the room
    the longest label needs (no label limit), in zh and en, on desktop and phone.

    Written as the spec itself rather than through Altair: building and validating an Altair
    chart cost more than the rest of a session's summary (tests/test_app.py validates it once).
    """
    projects = t("projects", lang)
    return {
        "$schema": "https://vega.github.io/schema/vega-lite/v6.json",
        "data": {"values": [{"label": str(k), "n": int(v)} for k, v in counts.items()]},
        "mark": {"type": "bar"},
        "height": {"step": 24},
        "encoding": {
            "y": {"field": "label", "type": "nominal", "sort": "-x", "title": None,
                  "axis": {"labelLimit": 0, "labelOverlap": False, "labelFontSize": 12,
                           "labelPadding": 4}},
            "x": {"field": "n", "type": "quantitative", "title": projects,
                  "axis": {"tickMinStep": 1, "format": "d"}},
            "tooltip": [{"field": "label", "type": "nominal", "title": ""},
                        {"field": "n", "type": "quantitative", "title": projects}],
        },
    }


def _summary(atlas: Atlas, frame: gpd.GeoDataFrame, parts: _Parts, lang: str) -> None:
    st.markdown(f"**{t('summary', lang)}**")
    by_layer, by_status = parts.bars
    # stacked, not side by side: long bilingual labels need the column's whole width
    st.caption(t("by_layer", lang))
    st.vega_lite_chart(spec=by_layer, width="stretch")
    st.caption(t("by_status", lang))
    st.vega_lite_chart(spec=by_status, width="stretch")
    for kind in loaded_kinds(atlas):  # outline files loaded: the selection per unit
        units_table(atlas, frame, kind, lang)


def _notices(atlas: Atlas, lang: str) -> None:
    """What the link or the selection could not honour, said once above the map."""
    notices = st.session_state.get(state.NOTICES) or []
    if notices:
        said = [say(n.key, lang, **n.values) if isinstance(n, Notice) else escape_markdown(n)
                for n in notices]  # each in the page's language, its values escaped
        st.warning(t("url_notice", lang) + "\n\n" + "\n".join(f"- {n}" for n in said))
    changed = st.session_state.get(state.VERSION_NOTICE)
    if changed:
        diff = changes_since(changed[0])
        st.info(t("live.version_changed", lang).format(old=escape_markdown(changed[0]),
                                                         new=changed[1])
                + ("" if diff is None else " " + t("live.version_diff", lang).format(**diff)),
                icon="🔄")
    dropped = st.session_state.get("_p_dropped")
    if dropped:
        st.info(t("live.p_filtered", lang).format(p=escape_markdown(dropped)))


def _asof_line(atlas: Atlas, asof: str | None, lang: str) -> str:
    """Which day and data version the page shows (escaped for Markdown)."""
    version = escape_markdown(atlas.data_version)
    if asof is None:
        return t("asof.live", lang).format(v=version)
    return t("asof.past", lang).format(day=asof, v=version)


def render() -> None:
    """The map page."""
    lang = st.session_state.get("w_lang") or "zh"
    state.restore()
    living = chosen_register() == BUILT_IN
    atlas = get_atlas(state.chosen_asof() if living else None)
    state.init_from_url(atlas)
    compare = chosen_compare(lang, living)  # checked before the date control is drawn
    first = map_first()
    if first:  # the controls follow with the next run, from the same values
        st.sidebar.caption(t("live.controls_follow", lang))
    else:
        _sidebar(atlas, lang, living)
    state.remember()
    asof = state.chosen_asof() if living else None
    atlas = get_atlas(asof)  # the date control may have moved
    view = state.current_view(lang).with_changes(asof=asof)
    default_refs = tuple(s.id for s in atlas.reference_layers if s.visible)
    if set(view.ref_layers or ()) == set(default_refs):
        view = view.with_changes(ref_layers=None)

    flt = view.to_filter()
    mask = filter_mask(atlas.data_version, flt.key(), flt, asof, atlas).to_numpy()
    frame = _rows(atlas, flt, asof, mask)
    changes = selected_changes(atlas, flt, compare, asof) if compare else None
    st.session_state["_p_dropped"] = None
    if view.project and not (frame["id"] == view.project).any():
        # a selection the filters exclude is dropped, and the page says so
        st.session_state["_p_dropped"] = view.project
        st.session_state["focus"] = None
        st.session_state.pop("w_table", None)
        view = view.with_changes(project=None)
    state.write_url(view, atlas.data_version)
    if view.ref_layers is None:
        view = view.with_changes(ref_layers=default_refs)

    # a compact title: the map starts high on the page (desktop and phone)
    st.html(_COMPACT_CSS)
    st.markdown(f"#### {t('app_title', lang)}", help=t("app_subtitle", lang))
    # the same blocks on every run, filled or not: the map's frame keeps its place (and life)
    with st.container():
        _notices(atlas, lang)
        compare_notice(lang)
        located = int(frame.geometry.notna().sum())
        st.caption(t("count_line", lang).format(n=len(frame), located=located,
                                                unlocated=len(frame) - located))
        st.caption(_asof_line(atlas, asof, lang))
        if atlas.projects.empty and asof is not None:
            st.info(t("asof.none", lang).format(day=asof, seed=SEED_DATE))
        elif frame.empty:
            st.info(t("empty", lang))
        notices = st.container()

    map_col, side_col = st.columns([5, 2], gap="small")
    with map_col:
        _map(atlas, frame, mask, lang, view, notices, changes)
    if first:  # the map first; the rest when it has painted
        side_col.caption(t("live.rest_follows", lang))
        st.session_state[_FIRST_RUN_AT] = time.monotonic()
        with side_col:
            _rest_anyway()
        return
    parts = _parts(atlas, flt, asof, frame, lang)
    with side_col:
        _unlocated(parts.unlocated, lang)
        _summary(atlas, frame, parts, lang)
        progress_summary(atlas, mask, lang, asof)
    if compare:
        changes_section(atlas, changes, compare, asof, lang)
    # drawn only while open (the open state reruns the page): most visitors never open it
    progress = st.expander(t("progress.title", lang), expanded=False,
                           icon=":material/bar_chart:", key="w_progress_open", on_change="rerun")
    if progress.open:
        with progress:
            render_progress(base_atlas(), run_revision(), lang, living=living)

    st.subheader(t("table", lang))
    st.caption(t("table_help", lang))
    st.session_state["_table_ids"] = parts.ids
    st.dataframe(parts.table, hide_index=True, width="stretch", on_select=_on_table_select,
                 selection_mode="single-row", key="w_table")
    if view.project:
        name = atlas.projects.set_index("id").loc[view.project]
        st.caption(f"{t('focus', lang)} {escape_markdown(name['name_en' if lang == 'en' else 'name_zh'])}")
        field_sheet_button(atlas, view.project, lang, key="dl_map_field_sheet", asof=asof)
    _downloads(atlas, flt, len(frame), lang, asof)
    supervision_downloads(atlas, flt, asof, compare, changes, lang)
    _sheet_download(atlas, flt, view.ref_layers, lang)


def _deferred(atlas: Atlas, flt: Filter, fmt: str, crs: str,
              asof: str | None = None) -> Callable[[], bytes]:
    """The export, made when it is asked for."""
    return lambda: export_bytes(atlas, flt, fmt, crs, asof=asof)[0]


def _downloads(atlas: Atlas, flt: Filter, selected: int, lang: str,
               asof: str | None = None) -> None:
    """One download button per format, for exactly the current filter (same bytes as the CLI).

    Up to :data:`EAGER_DOWNLOAD_ROWS` projects the files are made with the page, cached per
    filter; beyond, each is made when clicked, so a filter change on a city-scale register does
    not export four formats it may never need."""
    st.subheader(t("download", lang))
    crs = st.radio(t("export_crs", lang), ["wgs84", "gcj02"], horizontal=True, key="w_export_crs",
                   format_func=lambda v: t(f"export_{v}", lang))
    columns = st.columns(len(FORMATS))
    for column, (fmt, spec) in zip(columns, FORMATS.items(), strict=True):
        if selected <= EAGER_DOWNLOAD_ROWS:
            data, name, mime = export_file(atlas.data_version, flt.key(), fmt, crs, flt, asof, atlas)
            column.download_button(spec.label, data, file_name=name, mime=mime, key=f"dl_{fmt}",
                                   width="stretch", on_click="ignore")
        else:  # made when asked for; a failure is said on the page
            name, mime = export_name(atlas.data_version, flt.key(), fmt, crs, flt, asof, atlas)
            prepared_download(column, spec.label, _deferred(atlas, flt, fmt, crs, asof),
                              file_name=name, mime=mime, key=f"dl_{fmt}", lang=lang,
                              signature=(atlas.data_version, flt.key(), crs, asof))


def _sheet_download(atlas: Atlas, flt: Filter, refs: tuple[str, ...] | None, lang: str) -> None:
    """The map sheet (PDF) of the current filter and reference layers, drawn when asked for (a
    failure is said on the page); its QR permalink points at this server. (Imports kept here:
    the sheet is this page's add-on.)"""
    from urllib.parse import urlsplit

    from app.sheet import SheetOptions, map_sheet
    from app.sheet.paper import DEFAULT_BASE_URL

    url = urlsplit(st.context.url or "")
    base = f"{url.scheme}://{url.netloc}/" if url.scheme in ("http", "https") else DEFAULT_BASE_URL
    options = SheetOptions(lang=lang, ref_layers=refs, base_url=base,
                           register=st.session_state.get(REGISTER_KEY, ""),
                           asof=state.chosen_asof())
    prepared_download(st.container(), t("sheet.download_map", lang),
                      lambda: map_sheet(atlas, flt, options).to_bytes("pdf"),
                      file_name=f"changning-sheet-{atlas.data_version}.pdf",
                      mime="application/pdf", key="dl_sheet", lang=lang, width="content",
                      what=t("sheet.what_map", lang),
                      signature=(atlas.data_version, flt.key(), refs, lang, options.asof, base))
