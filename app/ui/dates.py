"""A date a person can type: a text field (``YYYY-MM-DD``; Enter or Tab takes it) beside a
calendar in a popover, both for one value.

Streamlit's own date input takes a typed date only when its calendar is closed first (Escape,
or a click elsewhere): Enter and Tab leave the typed date on screen and the value unchanged. The
text field here takes what is typed at once, the calendar stays for those who pick a day; each
follows the other. The value lives under the calendar's key (a ``datetime.date``), so code
that sets or reads that key keeps working; the text's own key is ``<key>_text``.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

import streamlit as st
from streamlit.delta_generator import DeltaGenerator

from app.domain.days import parse_day
from app.domain.i18n import t
from app.ui.safe import say

__all__ = ["date_field"]

def _text_key(key: str) -> str:
    return f"{key}_text"


def _shown_key(key: str) -> str:
    """Session key: the value the text field was last set to show (to see a change from code)."""
    return f"_{key}_shown"


def _error_key(key: str) -> str:
    return f"_{key}_error"


def _typed(key: str, low: date, high: date, on_change: Callable[[], None] | None) -> None:
    """Callback of the text field: a readable day in range becomes the value; else the text
    goes back to the value and the page says why."""
    text = st.session_state.get(_text_key(key), "")
    day = parse_day(text)
    if day is None or not low <= day <= high:
        st.session_state[_error_key(key)] = ("dates.unreadable" if day is None else "dates.out_of_range",
                                             str(text)[:40])
        st.session_state[_text_key(key)] = _show(st.session_state.get(key))
        return
    st.session_state[key] = day
    st.session_state[_text_key(key)] = st.session_state[_shown_key(key)] = day.isoformat()
    if on_change is not None:
        on_change()


def _picked(key: str, on_change: Callable[[], None] | None) -> None:
    """Callback of the calendar: the text field shows the day picked."""
    st.session_state[_text_key(key)] = st.session_state[_shown_key(key)] = _show(st.session_state.get(key))
    if on_change is not None:
        on_change()


def _show(value: object) -> str:
    return value.isoformat() if isinstance(value, date) else ""


def date_field(where: DeltaGenerator, label: str, key: str, lang: str, *, min_value: date,
               max_value: date, help: str | None = None, disabled: bool = False,
               on_change: Callable[[], None] | None = None) -> date | None:
    """A typed date with its calendar, in `where` (the sidebar, a column); its value (the date
    under `key`, None when empty: no day is chosen until one is given or set under `key`). A typed day that is unreadable or outside
    `min_value`..`max_value` is refused with a message in `lang` and the value stays."""
    st.session_state.setdefault(key, None)  # no day until one is given (not today)
    shown = _show(st.session_state.get(key))
    if st.session_state.get(_shown_key(key)) != shown or _text_key(key) not in st.session_state:
        st.session_state[_text_key(key)] = st.session_state[_shown_key(key)] = shown  # set from code
    text_col, calendar_col = where.columns([5, 1], vertical_alignment="bottom")
    text_col.text_input(label, key=_text_key(key), placeholder=t("dates.placeholder", lang),
                        help=help, disabled=disabled, max_chars=20,
                        on_change=_typed, args=(key, min_value, max_value, on_change))
    with calendar_col.popover("", icon=":material/calendar_month:", disabled=disabled,
                              help=t("dates.calendar", lang)):
        st.date_input(label, key=key, min_value=min_value, max_value=max_value,
                      format="YYYY-MM-DD", disabled=disabled, label_visibility="collapsed",
                      on_change=_picked, args=(key, on_change))
    error = st.session_state.pop(_error_key(key), None)
    if error is not None:  # what was typed is shown escaped
        where.error(say(error[0], lang, text=error[1], low=min_value.isoformat(),
                        high=max_value.isoformat()))
    value = st.session_state.get(key)
    return value if isinstance(value, date) else None
