"""The frame around every page: page config, the shared sidebar, navigation, and the one place
where errors become messages.

A page's failure reaches the user as our own message in their language, never as a traceback
(``client.showErrorDetails = "none"`` in .streamlit/config.toml covers anything not caught
here); the traceback goes to the server log.
"""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager

import streamlit as st

from app.domain.i18n import t
from app.errors import AtlasError, StoreError
from app.ui import state
from app.ui.cache import get_atlas
from app.ui.pages import about_page, field_page, import_page, map_page, review_page
from app.ui.safe import notice

try:
    from psycopg import OperationalError as _PgOperationalError
except ImportError:  # PostGIS support not installed: only SQLite errors can arise
    _PgOperationalError = sqlite3.OperationalError

__all__ = ["errors_shown", "run"]

log = logging.getLogger(__name__)

#: Store failures a user can wait out (locked, full, unreachable): "try again", input kept.
_STORE_BUSY = (StoreError, sqlite3.OperationalError, _PgOperationalError)


@contextmanager
def errors_shown(lang: str) -> Iterator[None]:
    """Run a page's code; show an error it raises as a message in `lang`, log the traceback.

    - the store is busy or unavailable (StoreError, a raw SQLite/psycopg OperationalError):
      "try again, your input is kept";
    - any other AtlasError: its own message (escaped: it may quote user input);
    - a lookup of a value the page never offered (a forged widget value, LookupError):
      "the page received a value it does not know".
    Streamlit's rerun/stop signals are BaseExceptions and pass through untouched.
    """
    try:
        yield
    except _STORE_BUSY:
        log.exception("store unavailable while drawing a page")
        notice("error", "error_store_busy", lang)
    except AtlasError as exc:
        log.warning("page refused an action: %s", exc)
        notice("error", "error_atlas", lang, message=str(exc))
    except LookupError:
        log.exception("a page looked up a value it did not offer")
        notice("error", "error_input", lang)


def run() -> None:
    """Entry point called by streamlit_app.py."""
    st.set_page_config(page_title=t("page_title", "zh"), page_icon="🗺️", layout="wide",
                       initial_sidebar_state="auto")
    lang = state.language_selector()
    pages = [
        st.Page(map_page.render, title=t("map_page", lang), icon=":material/map:", default=True,
                url_path="map"),
        st.Page(field_page.render, title=t("field_page", lang), icon=":material/my_location:",
                url_path="field"),
        st.Page(review_page.render, title=t("review_page", lang), icon=":material/fact_check:",
                url_path="review"),
        st.Page(import_page.render, title=t("import_page", lang), icon=":material/upload_file:",
                url_path="import"),
        st.Page(about_page.render, title=t("about_page", lang), icon=":material/info:",
                url_path="about"),
    ]
    page = st.navigation(pages)
    with errors_shown(lang):
        if page.url_path != "map":
            # the map page's view (filters, search, layers, basemap) lives on, in the URL too
            state.restore()
            state.share_on_other_page(lang, get_atlas().data_version)
        page.run()
