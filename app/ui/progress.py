"""The map page's progress chart: how many projects stood in each stage, month by month in 2025.

The numbers are :func:`app.service.progress.stage_progress` over the store's change log (the
same fold that draws the map as of a day); this module only labels and draws them: one chart
of all projects, then one small chart per layer or report section (the reader's choice), the
stages in their order and always in the same colours (:data:`STAGE_COLOURS`). Vega-Lite comes
with Streamlit's own frontend: nothing is fetched from elsewhere.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

import altair as alt
import pandas as pd
import streamlit as st

from app.data.atlas import Atlas
from app.data.living import STAGE_ORDER
from app.domain.i18n import t
from app.domain.model import REPORT_SECTIONS
from app.domain.viewstate import district_today
from app.service.progress import STAGE_COLOURS, UNKNOWN_STAGE, month_ends, stage_progress
from app.ui import state
from app.ui.cache import change_log

__all__ = ["PROGRESS_YEAR", "progress_chart", "render_progress"]

#: The programme year the chart follows (the district's 2025 work report).
PROGRESS_YEAR = 2025
_GROUPINGS = ("layer", "report_section")


def _stage_label(atlas: Atlas, lang: str) -> Callable[[str], str]:
    """A stage's label in `lang` (the vocabulary's; the unknown from the UI strings)."""
    return lambda s: t("progress.unknown", lang) if s == UNKNOWN_STAGE else atlas.vocab.status_label(s, lang)


def progress_chart(frame: pd.DataFrame, stage_label: Callable[[str], str], lang: str, *,
                   legend: bool, height: int = 170) -> alt.Chart:
    """Stacked bars of `frame` (one group of :func:`stage_progress`'s rows): a bar per month,
    a band per stage in the stage order, coloured the same in every chart."""
    stages = [*STAGE_ORDER, UNKNOWN_STAGE]
    labels = [stage_label(s) for s in stages]
    fmt = t("progress.month_format", lang)
    days = sorted(frame["date"].unique())
    months = [pd.Timestamp(d).strftime(fmt) for d in days]
    data = frame.assign(month=frame["date"].map(dict(zip(days, months, strict=True))),
                        stage_label=frame["stage"].map(stage_label))
    colour = alt.Color("stage_label:N", title=t("progress.stage", lang),
                       scale=alt.Scale(domain=labels, range=[STAGE_COLOURS[s] for s in stages]),
                       sort=labels,
                       # two columns: the widest pair of labels still fits a phone's width
                       legend=alt.Legend(orient="bottom", columns=2, labelLimit=150,
                                         columnPadding=8) if legend else None)
    return alt.Chart(data).mark_bar().encode(
        x=alt.X("month:O", sort=months, title=None, axis=alt.Axis(labelAngle=0)),
        y=alt.Y("count:Q", stack="zero", title=t("progress.count", lang),
                axis=alt.Axis(tickMinStep=1, format="d")),
        color=colour,
        order=alt.Order("order:Q", sort="ascending"),
        tooltip=[alt.Tooltip("date:N", title=t("progress.month", lang)),
                 alt.Tooltip("stage_label:N", title=t("progress.stage", lang)),
                 alt.Tooltip("count:Q", title=t("progress.count", lang))],
    ).properties(height=height)


@st.cache_data(show_spinner=False, max_entries=32)
def _progress(version: str, revision: int, by: str, today: date, _atlas: Atlas) -> pd.DataFrame:
    """The counts, once per (data version, store revision, grouping, day)."""
    projects = _atlas.projects
    groups = dict(zip(projects["id"].astype(str), projects[by].astype(str), strict=True))
    return stage_progress(change_log(_atlas), groups, month_ends(PROGRESS_YEAR, today))


def render_progress(atlas: Atlas, revision: int, lang: str, *, living: bool) -> None:
    """The progress chart (all projects, then by layer or report section) of the built-in
    register's change log; `atlas` is the curated one (it names each project's layer and
    section). A saved register (not `living`) has no history: the page says so."""
    if not living:
        st.info(t("progress.not_living", lang))
        return
    st.caption(t("progress.help", lang))
    # no grouping until one is asked for: each chart costs every session that shows it
    by = st.segmented_control(t("progress.by", lang), _GROUPINGS, key=state.relabelled("w_progress_by"),
                              default=None, selection_mode="single",
                              format_func=lambda v: t(f"progress.by_{'section' if v == 'report_section' else 'layer'}", lang))
    charts = _chart_specs(atlas.data_version, revision, by or "layer", district_today(), lang, atlas)
    if charts is None:
        st.info(t("progress.empty", lang))
        return
    everything, groups = charts
    groups = groups if by else []
    st.markdown(f"**{t('progress.all', lang)}**")
    st.vega_lite_chart(spec=everything, width="stretch")
    for start in range(0, len(groups), 2):
        for column, (title, spec) in zip(st.columns(2), groups[start:start + 2], strict=False):
            with column:
                st.markdown(f"**{title}**")
                st.vega_lite_chart(spec=spec, width="stretch")


@st.cache_data(show_spinner=False, max_entries=32)
def _chart_specs(version: str, revision: int, by: str, today: date, lang: str, _atlas: Atlas
                 ) -> tuple[dict, list[tuple[str, dict]]] | None:
    """The Vega-Lite specs of the charts (all projects; then (title, spec) per group), built
    once per (data version, store revision, grouping, day, language) and shared by every
    session: building Altair charts costs more than the rest of the map page's run."""
    frame = _progress(version, revision, by, today, _atlas)
    if frame.empty:
        return None
    stage_label = _stage_label(_atlas, lang)
    everything = frame.groupby(["date", "stage", "order"], as_index=False)["count"].sum()
    titles = ({s.id: s.title(lang) for s in _atlas.project_layers} if by == "layer"
              else {g: _atlas.vocab.label("section", g, lang) for g in frame["group"].unique()})
    order = list(titles) if by == "layer" else [s for s in REPORT_SECTIONS if s in titles]
    groups = [g for g in order if (frame["group"] == g).any()]
    return (progress_chart(everything, stage_label, lang, legend=True, height=220).to_dict(),
            [(titles[g], progress_chart(frame[frame["group"] == g], stage_label, lang,
                                        legend=False).to_dict(validate=False)) for g in groups])
