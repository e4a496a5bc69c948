"""Cached access to the atlas for the pages (one load per data version and process).

The atlas a session sees is :func:`app.service.atlas.shown_atlas` for the register chosen in
the sidebar (:data:`REGISTER_KEY`) and, on the map page, the day it is shown as of: read
through the process's one :data:`app.service.atlas_cache.ATLASES`, keyed on exactly what it is
made of (the curated data with its boundary files, the store's revision, the register, the
day), so the pages, the OGC API and ``python -m app`` always agree. The store's revision is
read once per page run (:func:`run_revision`); a page fetches the atlas once and passes it on.

Besides the atlas itself, what is computed from it is cached here, keyed on the atlas's data
version (which names its revision and day) and given the atlas it was computed from: the
filter mask, the exports, and the live map's base written to the static folder (the files of
bases no longer served are removed).

The progress of today's register (:mod:`app.service.supervision`) depends on the day as well:
the shown atlas is keyed on the district's day, and the data cached from it is dropped when
the day changes (:func:`progress_day`).
"""

from __future__ import annotations

import dataclasses
import shutil
import threading
import zlib
from collections import OrderedDict
from pathlib import Path
from typing import Any

import pandas as pd
import streamlit as st
from streamlit.runtime.scriptrunner import get_script_run_ctx

from app.data.atlas import Atlas
from app.domain.filters import Filter, apply_filter
from app.domain.viewstate import district_today
from app.io.atomic import atomic_write
from app.io.export import export_bytes
from app.io.reference_layers import layers_stamp, tiles_folder, user_layer_specs
from app.map.assets import ensure_static_assets
from app.map.basemaps import BASEMAPS
from app.map.live import base_key, live_assets, live_base
from app.map.project_layers import project_layers
from app.service.atlas import BUILT_IN, ShownAtlas, version_diff
from app.service.atlas_cache import ATLASES
from app.service.living import living_changes
from app.store import Store, open_store

#: Session key of the register chosen in the sidebar (kept across pages without the widget).
REGISTER_KEY = "_register"

STATIC_DIR = Path(__file__).resolve().parents[2] / "static"

#: Session key of the store revision read in this page run (see :func:`run_revision`).
_RUN_REVISION = "_run_revision"


def new_run() -> None:
    """Start a page run: the store's revision is read again (once) by the next page that asks."""
    st.session_state.pop(_RUN_REVISION, None)


def run_revision() -> int:
    """The store's revision as read once in this page run (:func:`new_run` starts a run), so
    every cache a run consults is keyed on the same revision and the store is asked once --
    again only after this process wrote to it. Outside a page run it is read every time."""
    base_atlas()  # the store seeded (or merged) with the curated data first
    store = get_store()
    if get_script_run_ctx() is None:
        return store.revision()
    known = st.session_state.get(_RUN_REVISION)
    if known is None or known[0] != store.writes:
        known = st.session_state[_RUN_REVISION] = (store.writes, store.revision())
    return known[1]


@st.cache_resource(show_spinner=False)
def get_store() -> Store:
    """The store of this process (``$ATLAS_STORE`` or var/atlas.sqlite)."""
    return open_store()


def chosen_register() -> str:
    """The register this session shows (chosen in the sidebar; ``""`` = the built-in one)."""
    return st.session_state.get(REGISTER_KEY, BUILT_IN)


def get_shown(asof: str | None = None) -> ShownAtlas:
    """The atlas this session shows (:func:`app.service.atlas.shown_atlas`), with where it came
    from: the register chosen in the session, accepted field updates applied, as it stood on
    `asof` (``YYYY-MM-DD``; None: today, the live register -- saved registers have no history,
    so for them it is always None).

    Reloaded when a data file changes or the store records a change.
    """
    register = chosen_register()
    asof = asof if register == BUILT_IN else None
    if asof is None:
        progress_day()  # a new day drops what was cached from the day before
    return ATLASES.shown(base_atlas(), get_store(), register, asof, revision=run_revision())


@st.cache_resource(show_spinner=False)
def _day_seen() -> dict[str, str]:
    return {}


def progress_day() -> str:
    """Today in the district (``YYYY-MM-DD``): the day the progress of today's register is
    measured on. On a new day the data cached for the day before (filter masks, legends,
    exports) is dropped, since a project's progress may have moved with the date alone."""
    today = district_today().isoformat()
    seen = _day_seen()
    if seen.get("day") not in (None, today):
        st.cache_data.clear()
    seen["day"] = today
    return today


def warm_atlas() -> Atlas:
    """The built-in register as shown today, made through the same cache as :func:`get_atlas`
    without a session (the server's start: app/ui/warm.py)."""
    return ATLASES.shown(base_atlas(), get_store(), BUILT_IN, None, revision=run_revision()).atlas


def changes_since(link_version: str) -> dict[str, int] | None:
    """How many projects were added, moved, changed and removed since the data version of a
    link (None when that cannot be told: another register, other curated data)."""
    if chosen_register() != BUILT_IN:
        return None
    base = base_atlas()
    return version_diff(base, get_store(), link_version, log=change_log(base))


def base_atlas() -> Atlas:
    """The curated atlas (``geodata/``, ``layers/`` and the boundary files) as loaded, before the
    store's changes (:meth:`app.service.atlas_cache.AtlasCache.curated`: loaded once per data
    version and boundary files, the store's living register seeded from it the first time)."""
    return ATLASES.curated(get_store())


def get_atlas(asof: str | None = None) -> Atlas:
    """The atlas this session shows: the chosen register with accepted field updates applied,
    as of `asof` (see :func:`get_shown`)."""
    return get_shown(asof).atlas


@st.cache_resource(show_spinner=False, max_entries=4)
def _change_log(version: str, revision: int, _base: Atlas) -> pd.DataFrame:
    return living_changes(get_store(), _base)


def change_log(base: Atlas) -> pd.DataFrame:
    """The built-in register's change log (:func:`app.service.living.living_changes`: every
    status; an in-memory seed when the store was never seeded), once per data version and store
    revision. `base` is the curated atlas (:func:`base_atlas`)."""
    return _change_log(base.data_version, run_revision(), base)


@st.cache_resource(show_spinner=False)
def static_assets() -> Path:
    """Copy Leaflet and plugin files from their packages to Streamlit's static folder, once."""
    return ensure_static_assets(STATIC_DIR)


@st.cache_resource(show_spinner=False, max_entries=4)
def _served_tiles(stamp: tuple) -> None:
    """The vector tiles of the planners' reference layers, copied under STATIC_DIR/tiles (the
    URL of :data:`app.io.reference_layers.TILES_URL`), once per set of layers; tiles of layers
    no longer kept are removed."""
    target = STATIC_DIR / "tiles"
    wanted = {spec.id for spec in user_layer_specs()}
    for old in (target.iterdir() if target.is_dir() else ()):
        if old.name not in wanted:
            shutil.rmtree(old, ignore_errors=True)
    for layer_id in wanted:
        shutil.rmtree(target / layer_id, ignore_errors=True)
        shutil.copytree(tiles_folder(layer_id), target / layer_id)


def serve_tiles() -> None:
    """Make the reference layers' tiles servable (cheap when nothing changed)."""
    _served_tiles(layers_stamp())


@st.cache_resource(show_spinner=False)
def map_assets(draw: bool = False) -> dict[str, Any]:
    """The live map's asset URLs (with Leaflet.draw for the planner's map), once per process."""
    return live_assets(draw=draw)


@st.cache_data(show_spinner=False, max_entries=256)
def filter_mask(version: str, key: tuple, _flt: Filter, asof: str | None = None,
                _atlas: Atlas | None = None) -> pd.Series:
    """Boolean mask of the projects (as of `asof`) passing `_flt`, cached by (data version,
    filter key, as-of day); `_atlas` is the atlas of that data version when the caller has it
    (otherwise the session's is fetched)."""
    return apply_filter((_atlas or get_atlas(asof)).projects, _flt)


#: URL under which Streamlit serves STATIC_DIR (``server.enableStaticServing``).
STATIC_URL = "/app/static"


#: Live base files this process keeps: the least recently used beyond this many are removed
#: from the static folder together with their entry, so a URL handed out is always one whose
#: file exists (a few languages, basemaps, as-of days, revisions and import previews).
LIVE_FILES_KEPT = 12
_live_files: OrderedDict[tuple, str] = OrderedDict()
_live_files_lock = threading.Lock()
_live_build_lock = threading.Lock()


def _live_base_file(version: str, lang: str, basemap: str, tianditu_key: str | None,
                    atlas: Atlas) -> str:
    """The URL of the live base of `atlas` (named by `version`) in `lang` on `basemap`: written
    once, kept while among the :data:`LIVE_FILES_KEPT` most recently used."""
    key = (version, lang, basemap, tianditu_key)
    with _live_build_lock:  # one build at a time: a base is built once, whoever asks first
        with _live_files_lock:
            url = _live_files.get(key)
            if url is not None:
                _live_files.move_to_end(key)
                return url
        crs = BASEMAPS[basemap]["crs"]
        layers = project_layers(atlas, atlas.projects, lang, crs)
        name = f"live/{base_key(version, lang, basemap)}.json"
        (STATIC_DIR / "live").mkdir(parents=True, exist_ok=True)
        atomic_write(STATIC_DIR / name, live_base(atlas, lang, basemap, tianditu_key,
                                                  layers=layers, version=version))
        url = f"{STATIC_URL}/{name}"
        with _live_files_lock:
            _live_files[key] = url
            while len(_live_files) > LIVE_FILES_KEPT:
                _, old = _live_files.popitem(last=False)
                if old not in _live_files.values():  # another key may name the same file
                    (STATIC_DIR / old.removeprefix(f"{STATIC_URL}/")).unlink(missing_ok=True)
        return url


def live_base_url(atlas: Atlas, lang: str, basemap: str, tianditu_key: str | None, *,
                  version: str | None = None) -> tuple[str, str]:
    """URL of the live map's base (app/map/live.py) for this data version (which names the
    store's revision), language and basemap, and its key: built and written to the static
    folder once per process, shared by every session (a browser fetches it once per page
    visit). `version` names data other than the shown register's (an import's preview: its
    file and settings)."""
    tiled = [spec.tiles_url for spec in atlas.reference_layers if spec.tiles_url]
    version = (version or atlas.data_version) + (
        f".t{zlib.crc32(' '.join(tiled).encode()):08x}" if tiled else "")
    if tiled:
        serve_tiles()
    return (_live_base_file(version, lang, basemap, tianditu_key, atlas),
            base_key(version, lang, basemap))


def field_basemap() -> str:
    """The basemap chosen on the map page, for the field and review maps (no key -> none)."""
    chosen = st.session_state.get("w_basemap") or st.query_params.get("basemap") or "osm"
    return "none" if chosen not in BASEMAPS or BASEMAPS[chosen].requires_token() else chosen


@st.cache_data(show_spinner=False, max_entries=64)
def export_file(version: str, key: tuple, fmt: str, crs: str, _flt: Filter,
                asof: str | None = None, _atlas: Atlas | None = None) -> tuple[bytes, str, str]:
    """export_bytes for the atlas of data version `version` (`_atlas` when the caller has it;
    otherwise the session's, as of `asof`), cached by (data version, filter key, format, CRS,
    as-of day)."""
    return export_bytes(_atlas or get_atlas(asof), _flt, fmt, crs, asof=asof)


@st.cache_data(show_spinner=False, max_entries=256)
def export_name(version: str, key: tuple, fmt: str, crs: str, _flt: Filter,
                asof: str | None = None, _atlas: Atlas | None = None) -> tuple[str, str]:
    """(file name, MIME type) of :func:`export_file` without making the file: the name
    export_bytes gives for the same filter on no rows (it depends on the layers in scope, the
    data version, the format and the CRS only)."""
    atlas = _atlas or get_atlas(asof)
    _, name, mime = export_bytes(dataclasses.replace(atlas, projects=atlas.projects.iloc[0:0]),
                                 _flt, fmt, crs)
    return name, mime
