"""Implementation supervision on the map page: colour by progress, two days compared, the
counts by progress, and the supervision downloads. Each piece is a function of its own, called
from app/ui/pages/map_page.py in one line.

The view keeps two more values, in the URL like the others (app/domain/viewstate.py):
``colour=progress`` (the map coloured by progress instead of by category) and
``compare=YYYY-MM-DD`` (what changed from that day to the day shown). A comparison day that is
not a real day, before the work report, or not before the day shown is refused with one
message in the page's language, and the view stays as it was (:func:`check_compare_day`).
"""

from __future__ import annotations

from datetime import date, timedelta

import geopandas as gpd
import numpy as np
import pandas as pd
import streamlit as st

from app.data.atlas import Atlas
from app.data.living import SEED_DATE
from app.domain.filters import Filter, apply_filter
from app.domain.i18n import field_label, t
from app.domain.model import PROGRESS, REPORT_SECTIONS
from app.domain.text import escape_markdown
from app.domain.viewstate import COLOURS, ViewState, district_today, parse_asof
from app.map.supervision import (
    MAX_COMPARE_FEATURES,
    PROGRESS_COLOURS,
    compare_legend_group,
    compare_overlay,
    progress_legend,
    tone_payload,
)
from app.service.compare import (
    DIFF_FORMATS,
    check_compare,
    compare_days,
    diff_bytes,
    diff_file_name,
    diff_metadata,
)
from app.service.supervision import progress_counts
from app.sheet.supervision import REPORT_FORMATS, report_bytes, supervision_report
from app.ui import state
from app.ui.cache import base_atlas, change_log, get_atlas, get_store

__all__ = ["COLOUR_WIDGET", "COMPARE_WIDGET", "changes_section", "check_compare_day",
           "chosen_compare", "colour_control", "compare_control", "compare_notice", "map_args",
           "progress_summary", "selected_changes", "supervision_downloads"]

#: Widget keys: how the map is coloured, and the comparison day (a date, or None).
COLOUR_WIDGET = "w_colour"
COMPARE_WIDGET = "w_compare"
#: Session key: (message, the day kept instead) of the comparison day last refused; said
#: until another day is chosen.
_COMPARE_ERROR = "_compare_error"
#: Session key: the comparison day last accepted (what a refused one falls back to).
_COMPARE_KEPT = "_compare_kept"


def check_compare_day(raw: object, asof: str | None, lang: str, *, living: bool = True
                      ) -> tuple[str | None, str | None]:
    """(the comparison day, None) when `raw` (a date or ``YYYY-MM-DD``) may be compared with
    the day shown (`asof`, None: today); (None, a message in `lang`) otherwise; (None, None)
    when there is none.

    >>> check_compare_day(date(2025, 6, 1), "2025-09-30", "en")
    ('2025-06-01', None)
    >>> check_compare_day("2025-10-01", "2025-09-30", "en")[1]
    'Cannot compare: the comparison day 2025-10-01 is not before the day shown, 2025-09-30. The view is unchanged.'
    >>> check_compare_day("2024-12-01", None, "en")[1]
    'Cannot compare: the comparison day 2024-12-01 is before the work report of 2025-01-08. The view is unchanged.'
    >>> check_compare_day("<b>x</b>", None, "en")[1]
    "Cannot compare: '<b>x</b>' is not a day written YYYY-MM-DD. The view is unchanged."
    >>> check_compare_day(None, None, "en")
    (None, None)
    """
    if raw is None or raw == "":
        return None, None
    text = raw.isoformat() if isinstance(raw, date) else str(raw)[:40]
    later = asof or district_today().isoformat()
    if not living:
        reason = t("supervision.compare_saved", lang)
    elif parse_asof(text, date.max)[0] is None:
        reason = t("supervision.compare_invalid", lang).format(day=text)
    elif text < SEED_DATE:
        reason = t("supervision.compare_early", lang).format(day=text, seed=SEED_DATE)
    elif text >= later:
        reason = t("supervision.compare_after", lang).format(day=text, asof=later)
    else:
        return check_compare(text, later, earliest=SEED_DATE), None
    return None, t("supervision.compare_bad", lang).format(message=reason)


def chosen_compare(lang: str, living: bool) -> str | None:
    """The comparison day of this run, checked against the day shown before any widget is
    drawn: a refused one is taken back (the last accepted day, or none) and its message kept
    for :func:`compare_control` and the page. Call once per run, before the sidebar."""
    raw = st.session_state.get(COMPARE_WIDGET)
    day, error = check_compare_day(raw, state.chosen_asof() if living else None, lang, living=living)
    if error:
        kept = st.session_state.get(_COMPARE_KEPT)
        day, _ = check_compare_day(kept, state.chosen_asof(), lang, living=living)
        st.session_state[_COMPARE_ERROR] = (error, day)
    elif (st.session_state.get(_COMPARE_ERROR) or (None, day))[1] != day:
        st.session_state.pop(_COMPARE_ERROR, None)  # another day chosen since: said enough
    st.session_state[_COMPARE_KEPT] = day
    # the widget holds a date (the URL gave text)
    st.session_state[COMPARE_WIDGET] = date.fromisoformat(day) if day else None
    return day


def compare_error() -> str | None:
    """The message of the comparison day last refused, until another day is chosen."""
    refused = st.session_state.get(_COMPARE_ERROR)
    return refused[0] if refused else None


def colour_control(lang: str) -> None:
    """The sidebar's "colour the map by" choice: the layers' categories or progress."""
    st.session_state.setdefault(COLOUR_WIDGET, COLOURS[0])
    st.sidebar.radio(t("supervision.colour", lang), COLOURS, key=state.relabelled(COLOUR_WIDGET),
                     format_func=lambda v: t(f"supervision.colour_{v}", lang), horizontal=True)


def compare_control(lang: str, living: bool) -> None:
    """The sidebar's comparison day (empty: no comparison), below the as-of date; disabled for
    a saved register, which has no history."""
    asof = state.chosen_asof()
    latest = date.fromisoformat(asof) if asof else district_today()
    st.session_state.setdefault(COMPARE_WIDGET, None)
    st.sidebar.date_input(t("supervision.compare", lang), key=COMPARE_WIDGET,
                          min_value=date.fromisoformat(SEED_DATE),
                          max_value=max(latest - timedelta(days=1), date.fromisoformat(SEED_DATE)),
                          format="YYYY-MM-DD", help=t("supervision.compare_help", lang),
                          disabled=not living)
    if st.session_state.get(COMPARE_WIDGET) is not None:
        st.sidebar.button(t("supervision.compare_clear", lang), key="w_compare_clear",
                          on_click=_stop_comparing, icon=":material/close:")


def _stop_comparing() -> None:
    st.session_state[COMPARE_WIDGET] = None
    st.session_state[_COMPARE_KEPT] = None


@st.cache_data(show_spinner=False, max_entries=32)
def _changes(version: str, revision: int, from_day: str, to_day: str | None) -> gpd.GeoDataFrame:
    """The changes from `from_day` to `to_day` (None: today) in the built-in register, once
    per (data version, store revision, days) for every session."""
    base = base_atlas()
    return compare_days(base, get_store(), from_day, to_day, log=change_log(base))


def selected_changes(atlas: Atlas, flt: Filter, compare: str, asof: str | None) -> gpd.GeoDataFrame:
    """The changes since `compare` of the projects the filter selects: those it selects on the
    day shown, and the retired ones it selected on the comparison day."""
    base = base_atlas()
    changes = _changes(base.data_version, get_store().revision(), compare, asof)
    chosen = set(atlas.projects.loc[apply_filter(atlas.projects, flt).to_numpy(), "id"].astype(str))
    before = get_atlas(compare).projects
    earlier = set(before.loc[apply_filter(before, flt).to_numpy(), "id"].astype(str))
    keep = changes["project_id"].isin(chosen) | (
        (changes["change"] == "retired") & changes["project_id"].isin(earlier))
    out = changes[keep.to_numpy()].reset_index(drop=True)
    out.attrs.update(changes.attrs)
    return out


def map_args(atlas: Atlas, frame: gpd.GeoDataFrame, view: ViewState, lang: str, crs: str,
             legend: dict, changes: gpd.GeoDataFrame | None) -> dict:
    """What the live map gets for supervision (app/map/supervision.py): ``tone`` when the map
    is coloured by progress (and its legend), ``compare`` when two days are compared (and a
    legend group of the changes); None for each when not."""
    day = view.asof or district_today().isoformat()
    out: dict = {"tone": None, "compare": None, "legend": legend}
    if view.colour == "progress" and "progress" in atlas.projects:
        out["tone"] = tone_payload(atlas.projects["progress"])
        out["legend"] = progress_legend(legend, frame, lang, day)
    if changes is not None and view.compare:
        out["compare"] = compare_overlay(changes, crs, lang,
                                         lambda s: atlas.vocab.status_label(s, lang) if s else "—")
        out["legend"] = {**out["legend"], "groups": [
            *out["legend"]["groups"], compare_legend_group(changes, lang, view.compare)]}
    return out


def _progress_bars(counts: pd.Series, lang: str) -> dict:
    """Horizontal bars of the selection by progress, each in its map colour."""
    labels = [t(f"supervision.progress_{p}", lang) for p in PROGRESS]
    return {
        "$schema": "https://vega.github.io/schema/vega-lite/v6.json",
        "data": {"values": [{"label": label, "n": int(counts[p])}
                            for p, label in zip(PROGRESS, labels, strict=True)]},
        "mark": {"type": "bar"},
        "height": {"step": 24},
        "encoding": {
            "y": {"field": "label", "type": "nominal", "sort": labels, "title": None,
                  "axis": {"labelLimit": 0, "labelFontSize": 12}},
            "x": {"field": "n", "type": "quantitative", "title": t("projects", lang),
                  "axis": {"tickMinStep": 1, "format": "d"}},
            "color": {"field": "label", "type": "nominal", "legend": None,
                      "scale": {"domain": labels, "range": [PROGRESS_COLOURS[p] for p in PROGRESS]}},
            "tooltip": [{"field": "label", "type": "nominal", "title": ""},
                        {"field": "n", "type": "quantitative", "title": t("projects", lang)}],
        },
    }


def _count_table(frame: pd.DataFrame, by: str, label, lang: str,
                 order: tuple[str, ...] = ()) -> pd.DataFrame:
    """Counts of `frame` by progress per value of `by` (in `order`, then the rest sorted, the
    empty value last), labelled."""
    values = frame[by] if by in frame else pd.Series("", index=frame.index)  # a saved register
    table = progress_counts(frame.assign(**{by: values.fillna("").astype(str).str.strip()}), by)
    rest = sorted(i for i in table.index if i and i not in order)
    table = table.reindex([*(i for i in order if i in table.index), *rest,
                           *([""] if "" in table.index else [])])
    table.index = [label(i) for i in table.index]
    return table.rename(columns={**{p: t(f"report.short_{p}", lang) for p in PROGRESS},
                                 "total": t("supervision.total", lang)})


def progress_summary(atlas: Atlas, mask: np.ndarray, lang: str, asof: str | None) -> None:
    """Counts by progress of the projects the filter selects: bars, then by report section
    and by lead agency (taken from the atlas of this run, not a cached selection: progress
    moves with the day)."""
    frame = atlas.projects[mask]
    day = asof or district_today().isoformat()
    st.markdown(f"**{t('supervision.summary', lang)}**")
    st.caption(t("supervision.summary_help", lang).format(day=day))
    if "progress" not in frame:
        return
    st.vega_lite_chart(spec=_progress_bars(progress_counts(frame), lang), width="stretch")
    if not len(frame):
        return
    st.caption(t("supervision.by_section", lang))
    st.dataframe(_count_table(frame, "report_section",
                              lambda s: atlas.vocab.label("section", s, lang) if s else "—", lang,
                              REPORT_SECTIONS), width="stretch")
    st.caption(t("supervision.by_agency", lang))
    st.dataframe(_count_table(frame, "lead_agency",
                              lambda s: s or t("supervision.no_agency", lang), lang), width="stretch")


def changes_section(atlas: Atlas, changes: gpd.GeoDataFrame, compare: str, asof: str | None,
                    lang: str) -> None:
    """The changes since `compare`, one row per change; or that there were none."""
    later = asof or district_today().isoformat()
    st.subheader(t("supervision.changes", lang).format(old=compare, new=later))
    if not len(changes):
        st.info(t("supervision.no_changes", lang).format(old=compare, new=later))
        return
    st.caption(t("supervision.changes_count", lang).format(n=len(changes)))
    if len(changes) > MAX_COMPARE_FEATURES:
        st.caption(t("supervision.changes_capped", lang).format(shown=MAX_COMPARE_FEATURES,
                                                                n=len(changes)))
    stage = lambda s: atlas.vocab.status_label(s, lang) if s else ""  # noqa: E731
    name = changes["name_en" if lang == "en" else "name_zh"]
    table = pd.DataFrame({
        t("supervision.col_change", lang): [t(f"supervision.change_{k}", lang) for k in changes["change"]],
        t("supervision.col_project", lang): name.where(name != "", changes["project_id"]),
        field_label("lead_agency", lang): changes["lead_agency"],
        # a stage in words; the values an attribute change changed; a move speaks by its distance
        t("supervision.col_from", lang): [
            stage(a) if k == "stage" else o if k == "attributes" else "" for k, a, o in
            zip(changes["change"], changes["stage_from"], changes["old"], strict=True)],
        t("supervision.col_to", lang): [
            stage(b) if k == "stage" else w if k == "attributes" else "" for k, b, w in
            zip(changes["change"], changes["stage_to"], changes["new"], strict=True)],
        t("supervision.col_distance", lang): changes["distance_m"],
        t("supervision.col_fields", lang): [", ".join(f) for f in changes["fields"]],
    })
    st.dataframe(table, hide_index=True, width="stretch")


def supervision_downloads(atlas: Atlas, flt: Filter, asof: str | None, compare: str | None,
                          changes: gpd.GeoDataFrame | None, lang: str) -> None:
    """The supervision report (xlsx, pdf) of the selection, and with a comparison its changes
    (GeoJSON, CSV): the same files as ``python -m app report`` and ``diff``, made when clicked."""
    day = asof or district_today().isoformat()
    st.markdown(f"**{t('supervision.download', lang)}**")

    def report(fmt: str):
        return lambda: report_bytes(supervision_report(atlas, day, flt=flt, lang=lang,
                                                       changes=changes, compare=compare), fmt)

    name = f"changning-supervision-{day}" + (f"-since-{compare}" if compare else "")
    buttons = [(t("supervision.report_xlsx", lang), report("xlsx"), f"{name}.xlsx",
                REPORT_FORMATS["xlsx"], "dl_report_xlsx"),
               (t("supervision.report_pdf", lang), report("pdf"), f"{name}.pdf",
                REPORT_FORMATS["pdf"], "dl_report_pdf")]
    if compare and changes is not None:
        meta = diff_metadata(from_day=compare, to_day=day, data_version=atlas.data_version,
                             filter_=flt.describe())
        for fmt, label in (("geojson", "supervision.diff_geojson"), ("csv", "supervision.diff_csv")):
            buttons.append((t(label, lang), (lambda f=fmt: diff_bytes(changes, f, meta)),
                            diff_file_name(compare, day, fmt),
                            DIFF_FORMATS[fmt][1], f"dl_diff_{fmt}"))
    columns = st.columns(len(buttons))
    for column, (label, data, file_name, mime, key) in zip(columns, buttons, strict=True):
        column.download_button(label, data, file_name=file_name, mime=mime, key=key,
                               width="stretch", on_click="ignore")


def compare_notice(lang: str) -> None:
    """Say, once, why a comparison day was refused."""
    error = compare_error()
    if error:
        st.warning(escape_markdown(error), icon="⚠️")
