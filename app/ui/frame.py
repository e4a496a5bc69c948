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
from app.io.importer import DEFAULT_LAYER
from app.service.atlas import BUILT_IN
from app.store import CURATED_REGISTER, GAZETTEER_REGISTER
from app.ui import outcome, state
from app.ui.cache import REGISTER_KEY, get_atlas, get_shown, get_store, new_run, run_revision
from app.ui.pages import (
    about_page,
    field_page,
    history_page,
    import_page,
    map_page,
    planner_page,
    review_page,
)
from app.ui.safe import error_message, notice

try:
    from psycopg import OperationalError as _PgOperationalError
except ImportError:  # PostGIS support not installed: only SQLite errors can arise
    _PgOperationalError = sqlite3.OperationalError

__all__ = ["REGISTER_PAGES", "errors_shown", "register_picker", "run"]

log = logging.getLogger(__name__)

#: The pages' URL paths, in navigation order.
_PAGE_PATHS = ("map", "field", "planner", "review", "import", "history", "about")
#: Pages that show the register picker (their URL paths): each shows the chosen register.
REGISTER_PAGES = ("map", "field", "review")

#: Store failures a user can wait out (locked, full, unreachable): "try again", input kept.
_STORE_BUSY = (StoreError, sqlite3.OperationalError, _PgOperationalError)


@contextmanager
def errors_shown(lang: str) -> Iterator[None]:
    """Run a page's code; show an error it raises as a message in `lang`, log the traceback.

    - the store is busy or unavailable (StoreError, a raw SQLite/psycopg OperationalError):
      "try again, your input is kept"; but a full disk is said as such;
    - any other AtlasError: its own message (escaped: it may quote user input);
    - a lookup of a value the page never offered (a forged widget value, LookupError):
      "the page received a value it does not know".
    Streamlit's rerun/stop signals are BaseExceptions and pass through untouched.
    """
    try:
        yield
    except _STORE_BUSY as exc:
        log.exception("store unavailable while drawing a page")
        if getattr(exc, "key", None) == "err.store_disk_full":  # waiting will not help
            notice("error", "error_atlas", lang, message=error_message(exc, lang))
        else:
            notice("error", "error_store_busy", lang)
    except AtlasError as exc:
        log.warning("page refused an action: %s", exc)
        notice("error", "error_atlas", lang, message=error_message(exc, lang))
    except LookupError:
        log.exception("a page looked up a value it did not offer")
        notice("error", "error_input", lang)


def run() -> None:
    """Entry point called by streamlit_app.py."""
    new_run()  # the store's revision is read once per run, by the first page that asks
    st.set_page_config(page_title=t("page_title", "zh"), page_icon="🗺️", layout="wide",
                       initial_sidebar_state="auto")
    lang = state.language()
    pages = [
        st.Page(map_page.render, title=t("map_page", lang), icon=":material/map:", default=True,
                url_path="map"),
        st.Page(field_page.render, title=t("field_page", lang), icon=":material/my_location:",
                url_path="field"),
        st.Page(planner_page.render, title=t("planner_page", lang), icon=":material/edit_location_alt:",
                url_path="planner"),
        st.Page(review_page.render, title=t("review_page", lang), icon=":material/fact_check:",
                url_path="review"),
        st.Page(import_page.render, title=t("import_page", lang), icon=":material/upload_file:",
                url_path="import"),
        st.Page(history_page.render, title=t("history_page", lang), icon=":material/history:",
                url_path="history"),
        st.Page(about_page.render, title=t("about_page", lang), icon=":material/info:",
                url_path="about"),
    ]
    page = st.navigation(pages)
    # the default page's url_path is "" (the root URL): name pages by their declared paths
    name = next(path for path, p in zip(_PAGE_PATHS, pages, strict=True) if p is page)
    state.arrived(name)
    # a new visitor's map comes first, alone: the shared controls come with the next run
    controls = not (name == "map" and map_page.map_first())
    if controls:
        lang = state.language_selector()
    with errors_shown(lang):
        if name in REGISTER_PAGES:
            register_picker(lang, draw=controls)
        outcome.moved_to(name)
        if name != "map":
            # the map page's view (filters, search, layers, basemap) lives on, in the URL too
            state.restore()
            state.share_on_other_page(lang, get_atlas(state.chosen_asof()).data_version)
        page.run()


def _registers() -> list[str]:
    """The registers a user may pick: the built-in one, then the saved ones (not the curated
    data's own copies in the store)."""
    saved = _saved_registers(get_store().describe(), run_revision())
    return [BUILT_IN] + [n for n in saved if n not in (CURATED_REGISTER, GAZETTEER_REGISTER)]


@st.cache_data(show_spinner=False, max_entries=8)
def _saved_registers(store: str, revision: int) -> list[str]:
    """The names of the registers saved in the store, once per store revision (saving,
    renaming or deleting one is a revision)."""
    return get_store().registers()["name"].tolist()


def _on_register_change() -> None:
    """Callback of the picker: remember the choice; a focused project may not exist in it."""
    st.session_state[REGISTER_KEY] = st.session_state["w_register"]
    st.session_state["focus"] = None


def register_picker(lang: str, *, draw: bool = True) -> None:
    """The register picker of the shared sidebar, synced with ``register=`` in the URL.

    Its first value comes from the URL; a name that is not (or no longer) saved falls back to
    the built-in register with a notice. Shows the note about rows moved to the default layer.
    With `draw` false the choice is made and noted the same way, without the picker (a map
    page's first run).
    """
    options = _registers()
    if REGISTER_KEY not in st.session_state:
        wanted = st.query_params.get("register") or BUILT_IN
        st.session_state[REGISTER_KEY] = wanted
    if st.session_state[REGISTER_KEY] not in options:
        notice("warning", "register.unknown", lang, name=st.session_state[REGISTER_KEY])
        st.session_state[REGISTER_KEY] = BUILT_IN
        st.session_state["focus"] = None
    st.session_state["w_register"] = st.session_state[REGISTER_KEY]
    if draw:
        st.sidebar.selectbox(t("register.pick", lang), options, key=state.relabelled("w_register"),
                             on_change=_on_register_change, help=t("register.help", lang),
                             format_func=lambda n: n or t("register.builtin", lang), placeholder=t("picker.one", lang))
    chosen = st.session_state[REGISTER_KEY]
    if (st.query_params.get("register") or BUILT_IN) != chosen:
        if chosen:
            st.query_params["register"] = chosen
        else:
            del st.query_params["register"]
    shown = get_shown()
    if shown.defaulted:
        ids = ", ".join(shown.defaulted[:10]) + (" …" if len(shown.defaulted) > 10 else "")
        notice("info", "register.defaulted", lang, name=chosen, n=len(shown.defaulted),
               layer=shown.atlas.spec(DEFAULT_LAYER).title_en if lang == "en"
               else shown.atlas.spec(DEFAULT_LAYER).title_zh, ids=ids)
