"""About page: where the data comes from, how positions are made, what the codes mean."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence

import pandas as pd
import streamlit as st

from app.data.atlas import Atlas, default_data_dir, report_items
from app.data.register import load_sources
from app.domain.i18n import t
from app.domain.model import PRECISIONS
from app.domain.phrases import provenance_text
from app.domain.text import escape_markdown
from app.ui.cache import get_atlas
from app.ui.units import loaded_kinds, units_table


def _codes(codes: Sequence[str], label: Callable[[str], str], lang: str) -> pd.DataFrame:
    """A two-column table of codes and their labels in `lang`."""
    return pd.DataFrame({t("about.code", lang): list(codes),
                         t("about.label", lang): [label(k) for k in codes]})


def _vintage(text: str, lang: str) -> str:
    """A source's year in words of `lang` ("c. 2020": about 2020)."""
    circa = re.fullmatch(r"c\. (\d{4})", text)
    return t("about.vintage_circa", lang).format(year=circa.group(1)) if circa else text


def _sources(lang: str) -> pd.DataFrame:
    """The third-party sources (geodata/sources.toml) as a table in `lang`."""
    suffix = "en" if lang == "en" else "zh"
    rows = load_sources(default_data_dir() / "sources.toml")
    return pd.DataFrame({
        t("about.src_file", lang): [r["file"] for r in rows],
        t("about.src_what", lang): [r[f"what_{suffix}"] for r in rows],
        t("about.src_vintage", lang): [_vintage(r["vintage"], lang) for r in rows],
        t("about.src_crs", lang): [provenance_text(r["crs"], lang) for r in rows],
        t("about.src_terms", lang): [r[f"terms_{suffix}"] for r in rows],
        t("about.src_places", lang): [r[f"places_{suffix}"] for r in rows],
    })


def _units(atlas: Atlas, lang: str) -> None:
    """Per loaded outline kind: each unit's code, area, projects inside and their summed shares."""
    st.subheader(t("about.units", lang))
    kinds = loaded_kinds(atlas)
    if not kinds:
        st.caption(t("about.units_none", lang))
    for kind in kinds:
        units_table(atlas, atlas.projects, kind, lang)


def render() -> None:
    """The about page."""
    atlas = get_atlas()
    lang = st.session_state.get("w_lang") or "zh"
    st.title(t("about_page", lang))
    st.markdown(t("about.body", lang))
    st.caption(f"{t('data_version', lang)}: `{atlas.data_version}`")
    st.subheader(t("about.sources", lang))
    st.caption(t("about.sources_intro", lang))
    st.dataframe(_sources(lang), hide_index=True)
    st.subheader(t("about.items", lang))
    items = report_items(atlas.projects)
    rows = atlas.projects.set_index("id")
    wide = items.loc[items["district_wide"], "id"].tolist()
    st.markdown(t("about.items_counts", lang).format(
        items=len(items), rows=len(rows), parts=int((rows["parent"] != "").sum()),
        located=int(items["located"].sum()), wide=len(wide)))
    name = "name_en" if lang == "en" else "name_zh"
    st.markdown("\n".join(f"- {escape_markdown(str(rows.loc[pid, name]))}" for pid in wide))
    _units(atlas, lang)
    vocab = atlas.vocab
    st.subheader(t("status", lang))
    st.dataframe(_codes(vocab.statuses, lambda k: vocab.status_label(k, lang), lang), hide_index=True)
    st.subheader(t("precision", lang))
    st.dataframe(_codes(PRECISIONS,
                        lambda k: vocab.label("precision", k, lang), lang), hide_index=True)
