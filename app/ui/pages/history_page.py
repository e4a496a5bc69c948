"""Change-log page: every change of the living register, filtered by project and day, with
CSV and GeoJSON downloads of the filtered log and of one project's whole history.

Public: anyone may read what changed, when and why. The names of the people who made and
reviewed each change are shown to a signed-in user (any role) only; an anonymous reader sees
the role instead, in the table and in the downloads. The work is done in
:mod:`app.service.history`, the same code as ``python -m app history``.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from functools import partial

import geopandas as gpd
import pandas as pd
import streamlit as st

from app.domain.i18n import t
from app.domain.phrases import provenance_text
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
from app.ui.change_text import field_name
from app.ui.dates import date_field
from app.ui.downloads import prepared_download
from app.ui.safe import notice

__all__ = ["PEOPLE_COLUMNS", "anonymous", "render"]

#: The columns that name people: hidden from anonymous readers.
PEOPLE_COLUMNS = ("actor", "reviewed_by")


#: Every role: each may see the names in the change log.
_ROLES = (FIELD, REVIEWER, PLANNER)


def _signed_in(lang: str) -> Identity | None:
    """The signed-in identity when it holds any role (it sees names; said with the sign-out),
    else None, with the sign-in of a chosen role folded away (for the names)."""
    who = auth.identity()
    held = [role for role in _ROLES if who is not None and who.can(role)]
    if held:
        return auth.require(held[0], lang)
    with st.expander(t("history.sign_in_for_names", lang)):
        role = st.selectbox(t("history.role", lang), _ROLES, key=state.relabelled("history_role"),
                            format_func=lambda r: t(f"auth.role_{r}", lang),
                            placeholder=t("picker.one", lang))
        auth.require(role, lang)
    return None


def anonymous(frame: gpd.GeoDataFrame, lang: str) -> gpd.GeoDataFrame:
    """`frame` (a change log) with the names of people replaced by their role in `lang`: who
    made a change (the register's seed, a planner) and who reviewed it (a reviewer).

    >>> import pandas as pd
    >>> log = pd.DataFrame({"source": ["planner", "seed"], "actor": ["Li", "app start"],
    ...                     "reviewed_by": ["Zhao", None]})
    >>> anonymous(log, "en")[["actor", "reviewed_by"]].values.tolist()
    [['a planner', 'a reviewer'], ['the curated register', None]]
    """
    out = frame.copy()
    out["actor"] = [t(f"history.by_{source}", lang) if source in ("seed", "planner")
                    else t("history.by_someone", lang) for source in out["source"]]
    out["reviewed_by"] = pd.Series(
        [None if by is None or (isinstance(by, float) and pd.isna(by)) or by == ""
         else t("history.by_reviewer", lang) for by in out["reviewed_by"]], index=out.index, dtype=object)
    return out


#: What the page's table leaves to the downloads: the values before and after as JSON (in both
#: languages' fields) and the geometries as WKT.
DOWNLOAD_ONLY = ("old", "new", "old_wkt", "new_wkt")


def _table(frame: gpd.GeoDataFrame, lang: str) -> pd.DataFrame:
    """The log as shown: who, when, why, which fields (the values themselves are in the
    downloads), codes and notes in words, columns named in `lang` (plain text cells)."""
    table = pd.DataFrame(frame[[c for c in CHANGE_LOG_COLUMNS if c not in DOWNLOAD_ONLY]])
    table["fields"] = [", ".join(field_name(k, lang) for k in v if not str(k).startswith("_"))
                       for v in table["fields"]]
    table["source"] = [t(f"prov.word_{v}", lang) for v in table["source"]]
    table["status"] = [t(f"prov.word_{v}", lang) for v in table["status"]]
    table["reason"] = [provenance_text(str(v or ""), lang) for v in table["reason"]]
    table["actor"] = [t("review.actor_app_start", lang) if v == "app start" else v for v in table["actor"]]
    return table.rename(columns=lambda c: t(f"history.col_{c}", lang))


def _downloads(frame: gpd.GeoDataFrame, label: str, key: str, *, project: str | None,
               since: str | None, named: bool, lang: str) -> None:
    """One CSV and one GeoJSON download of `frame` (with people's names when `named`), each file
    written when asked for; a failure is said on the page."""
    st.markdown(f"**{t(label, lang)}**")
    metadata = history_metadata(project_id=project, since=since, revision=run_revision())
    cols = st.columns(len(HISTORY_FORMATS))
    for col, (fmt, (_suffix, mime)) in zip(cols, HISTORY_FORMATS.items(), strict=True):
        prepared_download(col, t(f"history.format_{fmt}", lang),
                          partial(history_bytes, frame, fmt, metadata),
                          file_name=history_file_name(fmt, project_id=project, since=since),
                          mime=mime, key=f"{key}_{fmt}", lang=lang,
                          signature=(project, since, metadata.get("store_revision"), named))


def render() -> None:
    """The change-log page (public; names for signed-in users only)."""
    lang = st.session_state.get("w_lang") or "zh"
    st.title(t("history.title", lang))
    st.caption(t("history.intro", lang))
    named = _signed_in(lang) is not None
    if not named:
        st.caption(t("history.names_hidden", lang))
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
        format_func=lambda p: f"{names[p]} ({p})" if p in names else (p or t("history.all_projects", lang)),
        placeholder=t("picker.one", lang))
    day = date_field(right, t("history.since", lang), "history_since", lang,
                     min_value=date(2000, 1, 1), max_value=datetime.now(UTC).date())
    since = day.isoformat() if isinstance(day, date) else None
    frame = history_frame(store, project_id=project or None, since=since)
    if not named:
        frame = anonymous(frame, lang)
    notice("caption", "history.count", lang, n=len(frame))
    st.dataframe(_table(frame, lang), hide_index=True, width="stretch")
    _downloads(frame, "history.download_log", "history_log", project=project or None,
               since=since, named=named, lang=lang)
    if project:
        whole = frame if since is None else history_frame(store, project_id=project)
        if not named:
            whole = anonymous(whole, lang)
        _downloads(whole, "history.download_project", "history_project_file", project=project,
                   since=None, named=named, lang=lang)
