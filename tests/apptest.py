"""The map page in AppTest as a browser sees it once its map has painted."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from streamlit.testing.v1 import AppTest

from app.ui.pages.map_page import MAP_PAINTED

ENTRY = Path(__file__).resolve().parent.parent / "streamlit_app.py"


def map_app(params: Mapping[str, str] | None = None, *, timeout: float = 60) -> AppTest:
    """The app (not run yet) with the URL's `params`, its map painted.

    A browser's map reports its first paint and the page then draws the table, the summary and
    the downloads; AppTest runs no component, so the session starts with that report made.
    """
    at = AppTest.from_file(str(ENTRY), default_timeout=timeout)
    for key, value in (params or {}).items():
        at.query_params[key] = value
    at.session_state[MAP_PAINTED] = True
    return at
