"""A cold server serves its first visitor fast: the atlas and the map's base are made at start.

Without this the first visitor after a start paid for everything the caches hold: loading and
checking the curated data, seeding or folding the store's change log, writing Leaflet's files
into the static folder, building the live map's base. :func:`warm` does that work once, at
start, for the view a new visitor gets (the built-in register today, in Chinese, on the
default basemap, and the no-basemap view the field and planner pages fall back to), through the
same caches the pages read, so their first run finds it done.

``streamlit_app.py`` runs it in the lifespan of its ``st.App`` (:func:`lifespan`): Streamlit
answers its health check (``/_stcore/health``) only once the lifespan has started, so "ok"
means ready. ``python -m app.ui`` serves the same entry script and so warms the same way.
"""

from __future__ import annotations

import asyncio
import importlib
import logging
import time
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager

from app.domain.viewstate import BASEMAP_IDS
from app.map.basemaps import BASEMAPS

__all__ = ["DEFAULT_VIEWS", "lifespan", "warm"]

log = logging.getLogger(__name__)

#: (language, basemap) of the views made at start: a new visitor's default, and the view
#: without tiles that the working pages fall back to.
DEFAULT_VIEWS: tuple[tuple[str, str], ...] = (("zh", BASEMAP_IDS[0]), ("zh", "none"))


def warm(views: Sequence[tuple[str, str]] = DEFAULT_VIEWS) -> dict[str, float]:
    """Fill the caches a new visitor's first run reads: the static files, the shown atlas, the
    live map's base of each of `views` and its assets. Returns the seconds each step took.

    It imports the pages too, so that the first page run does not: Streamlit registers a
    component only when a page run declares it, and a component of a page imported here is
    registered by the page before it is drawn (:func:`app.ui.live_map.ensure_registered`).
    (Imported here: the entry script imports this module before the server runs.)"""
    from app.ui import cache

    took: dict[str, float] = {}
    started = time.perf_counter()

    def step(name: str) -> None:
        nonlocal started
        now = time.perf_counter()
        took[name] = round(now - started, 3)
        started = now

    cache.static_assets()
    step("static files")
    atlas = cache.warm_atlas()
    step("atlas")
    for lang, basemap in views:
        if BASEMAPS[basemap].requires_token():
            continue  # a keyed basemap is shown only with its key, chosen by the visitor
        cache.live_base_url(atlas, lang, basemap, None)
        step(f"map base {lang}/{basemap}")
    cache.map_assets(draw=False)
    step("map assets")
    importlib.import_module("app.ui.frame")  # every page, for the first run
    step("pages")
    return took


@asynccontextmanager
async def lifespan(app: object) -> AsyncIterator[None]:
    """The ``st.App`` lifespan: :func:`warm` before the server answers, off the event loop;
    says in the server log when the atlas is ready and how long it took."""
    started = time.perf_counter()
    took = await asyncio.to_thread(warm)
    log.warning("atlas ready in %.1f s (%s)", time.perf_counter() - started,
                ", ".join(f"{name} {seconds:.2f} s" for name, seconds in took.items()))
    yield
