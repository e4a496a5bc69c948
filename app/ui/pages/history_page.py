"""Change-log page: every change of the living register, filtered by project and day, with
CSV and GeoJSON downloads of the filtered log and of one project's whole history.

Open to anyone signed in, whatever their role; a visitor sees the sign-in. The work is done
in :mod:`app.service.history`, the same code as ``python -m app history``.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from functools import partial

import geopandas as gpd
import pandas as pd
import streamlit as st

from app.domain.i18n import t
from app.domain.roles import FIELD, PLANNER, REVIEWER, Identity
from app.service.history import (
    CHANGE_LOG_COLUMNS,
    HISTORY_FORMATS,
    history_bytes,
    history_file_name,
    history_frame,
    history_metadata,
)
from app.ui import auth, state
from app.ui.cache import get_atlas, get_store, run_revision
from app.ui.safe import notice

__all__ = ["render"]

#: Every role: each may read the change log.
_ROLES = (FIELD, REVIEWER, PLANNER)


def _signed_in(lang: str) -> Identity | None:
    """The signed-in identity when it holds any role; otherwise the sign-in for a chosen role."""
    who = auth.identity()
    held = [role for role in _ROLES if who is not None and who.can(role)]
    if held:
        return auth.require(held[0], lang)
    role = st.selectbox(t("history.role", lang), _ROLES, key=state.relabelled("history_role"),
                        format_func=lambda r: t(f"auth.role_{r}", lang), placeholder=t("picker.one", lang))
    return auth.require(role, lang)


def _table(frame: gpd.GeoDataFrame) -> pd.DataFrame:
    """The log as shown: no geometry column, changed fields joined (shown as plain text)."""
    table = pd.DataFrame(frame[list(CHANGE_LOG_COLUMNS)])
    table["fields"] = [", ".join(v) for v in table["fields"]]
    return table


def _downloads(frame: gpd.GeoDataFrame, label: str, key: str, *, project: str | None,
               since: str | None, lang: str) -> None:
    """One CSV and one GeoJSON download button of `frame`, each file written when clicked."""
    st.markdown(f"**{t(label, lang)}**")
    metadata = history_metadata(project_id=project, since=since, revision=run_revision())
    cols = st.columns(len(HISTORY_FORMATS))
    for col, (fmt, (_suffix, mime)) in zip(cols, HISTORY_FORMATS.items(), strict=True):
        col.download_button(t(f"history.format_{fmt}", lang),
                            partial(history_bytes, frame, fmt, metadata),
                            file_name=history_file_name(fmt, project_id=project, since=since),
                            mime=mime, key=f"{key}_{fmt}", width="stretch")


def render() -> None:
    """The change-log page (any signed-in role)."""
    lang = st.session_state.get("w_lang") or "zh"
    st.title(t("history.title", lang))
    if _signed_in(lang) is None:
        return
    st.caption(t("history.intro", lang))
    store = get_store()
    everything = history_frame(store)
    if everything.empty:
        notice("info", "history.empty", lang)
        return
    projects = get_atlas().projects
    names = dict(zip(projects["id"], projects["name_en" if lang == "en" else "name_zh"],
                     strict=True))
    ids = list(dict.fromkeys(everything["project_id"]))
    left, right = st.columns(2)
    project = left.selectbox(
        t("history.project", lang), ["", *ids], key=state.relabelled("history_project"),
        format_func=lambda p: f"{names[p]} ({p})" if p in names else (p or t("history.all_projects", lang)), placeholder=t("picker.one", lang))
    day = right.date_input(t("history.since", lang), value=None, key="history_since",
                           min_value=date(2000, 1, 1), max_value=datetime.now(UTC).date())
    since = day.isoformat() if isinstance(day, date) else None
    frame = history_frame(store, project_id=project or None, since=since)
    notice("caption", "history.count", lang, n=len(frame))
    st.dataframe(_table(frame), hide_index=True, width="stretch")
    _downloads(frame, "history.download_log", "history_log", project=project or None,
               since=since, lang=lang)
    if project:
        whole = frame if since is None else history_frame(store, project_id=project)
        _downloads(whole, "history.download_project", "history_project_file", project=project,
                   since=None, lang=lang)
