"""Outcomes that survive the rerun: what an accept, reject, submit, save or delete did.

A page that changes the store reruns right after (so every view shows the change), and a
message shown before the rerun is gone after it. :func:`keep` records the outcome in the
session instead; the page shows it at its top (:func:`show_kept`, through
:func:`app.ui.safe.notice`, so values are escaped) until the user moves on to another page
(the frame calls :func:`moved_to`), dismisses it, or a newer outcome replaces it. The text is
made when shown, in the language of that moment.
"""

from __future__ import annotations

import streamlit as st

from app.domain.i18n import t
from app.ui.safe import Kind, notice

__all__ = ["KEPT_KEY", "keep", "moved_to", "show_kept"]

#: Session key of the kept outcome: (page, kind, string key, values).
KEPT_KEY = "_kept_outcome"
_PAGE_KEY = "_outcome_page"


def keep(kind: Kind, key: str, **values: object) -> None:
    """Keep the outcome ``say(key, lang, **values)`` to show as ``st.<kind>`` after reruns."""
    st.session_state[KEPT_KEY] = (st.session_state.get(_PAGE_KEY, ""), kind, key, values)


def _dismiss() -> None:
    """Callback of the dismiss button."""
    st.session_state.pop(KEPT_KEY, None)


def moved_to(page: str) -> None:
    """Drop an outcome kept on a page other than `page` (the one about to run)."""
    kept = st.session_state.get(KEPT_KEY)
    if kept is not None and kept[0] != page:
        _dismiss()


def show_kept(lang: str, page: str) -> None:
    """At the top of `page` (its URL path): show the outcome kept there, if any; outcomes the
    page keeps from now on belong to it."""
    st.session_state[_PAGE_KEY] = page
    moved_to(page)
    kept = st.session_state.get(KEPT_KEY)
    if kept is None:
        return
    _where, kind, key, values = kept
    text_col, button_col = st.columns([8, 1], vertical_alignment="center")
    with text_col:
        notice(kind, key, lang, **values)
    button_col.button(t("outcome.dismiss", lang), key="outcome_dismiss", on_click=_dismiss)
