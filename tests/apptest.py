"""The map page in AppTest as a browser sees it once its map has painted."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from streamlit.testing.v1 import AppTest

from app.ui.pages.map_page import MAP_PAINTED

#: The pages (streamlit_app.py is the st.App that serves them and /ogc; AppTest runs scripts).
ENTRY = Path(__file__).resolve().parent.parent / "streamlit_page.py"


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


def sign_in(at: AppTest, role: str, name: str, passphrase: str, team: str = "一组") -> AppTest:
    """Fill in and send the sign-in form of `role` on a page that asks for it; the page run."""
    at.text_input(key=f"signin_name_{role}").input(name)
    at.text_input(key=f"signin_team_{role}").input(team)
    at.text_input(key=f"signin_pass_{role}").input(passphrase)
    return at.button[[b.label for b in at.button].index("登录")].click().run()
