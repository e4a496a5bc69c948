"""Cached access to the atlas for the pages (one load per data version and process).

The atlas a session sees is :func:`app.service.atlas.shown_atlas` for the register chosen in
the sidebar (:data:`REGISTER_KEY`) and, on the map page, the day it is shown as of, cached per
(data version, register, store revision, as-of day): the same function the CLI reads, so the
pages and ``python -m app`` always agree.

Besides the atlas itself, three things are cached here so that a rerun does only the work its
change needs: the filter mask (per data version and filter), the map's project layers (per
data version, layer, language, basemap CRS and the exact rows of the layer that pass the
filter -- so a filter change rebuilds only the layers whose rows changed), and the exports.
"""

from __future__ import annotations

import dataclasses
import hashlib
import threading
from collections import OrderedDict
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import streamlit as st

from app.data.atlas import Atlas, data_version, default_data_dir, default_layers_dir, load_atlas
from app.domain.filters import Filter, apply_filter
from app.io.atomic import atomic_write
from app.io.export import export_bytes
from app.map.assets import ensure_static_assets
from app.map.basemaps import BASEMAPS
from app.map.live import base_key, live_assets, live_base
from app.map.project_layers import MapLayer, project_layers
from app.service.atlas import BUILT_IN, ShownAtlas, shown_atlas, version_diff
from app.service.living import living_changes, seed_register
from app.store import Store, open_store

#: Session key of the register chosen in the sidebar (kept across pages without the widget).
REGISTER_KEY = "_register"

STATIC_DIR = Path(__file__).resolve().parents[2] / "static"

#: Characters of map-layer text kept in the process-wide layer cache (least recently used
#: layers are dropped beyond it): about 400 MB, a few dozen city-scale layers.
LAYER_CACHE_CHARS = 400_000_000


@st.cache_resource(show_spinner=False)
def _register(version: str) -> Atlas:
    """The curated atlas of this data version; the store's living register is seeded from it
    (first start) or merged with it (a newer register.toml) once per version and process."""
    atlas = load_atlas(default_data_dir(), default_layers_dir())
    seed_register(get_store(), atlas, actor="app start")
    return atlas


@st.cache_resource(show_spinner=False, max_entries=16)
def _shown(version: str, register: str, revision: int, asof: str | None) -> ShownAtlas:
    base = _register(version)
    log = _change_log(base.data_version, revision, base) if register == BUILT_IN else None
    return shown_atlas(register, store=get_store(), base=base, asof=asof, log=log)


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
    version = data_version(default_data_dir(), default_layers_dir())
    register = chosen_register()
    return _shown(version, register, get_store().revision(),
                  asof if register == BUILT_IN else None)


def warm_atlas() -> Atlas:
    """The built-in register as shown today, made through the same cache as :func:`get_atlas`
    without a session (the server's start: app/ui/warm.py)."""
    version = data_version(default_data_dir(), default_layers_dir())
    return _shown(version, BUILT_IN, get_store().revision(), None).atlas


def changes_since(link_version: str) -> dict[str, int] | None:
    """How many projects were added, moved, changed and removed since the data version of a
    link (None when that cannot be told: another register, other curated data)."""
    if chosen_register() != BUILT_IN:
        return None
    base = base_atlas()
    return version_diff(base, get_store(), link_version, log=change_log(base))


def base_atlas() -> Atlas:
    """The curated atlas (``geodata/`` and ``layers/``) as loaded, before the store's changes."""
    return _register(data_version(default_data_dir(), default_layers_dir()))


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
    return _change_log(base.data_version, get_store().revision(), base)


@st.cache_resource(show_spinner=False)
def static_assets() -> Path:
    """Copy Leaflet and plugin files from their packages to Streamlit's static folder, once."""
    return ensure_static_assets(STATIC_DIR)


@st.cache_resource(show_spinner=False)
def map_assets(draw: bool = False) -> dict[str, Any]:
    """The live map's asset URLs (with Leaflet.draw for the planner's map), once per process."""
    return live_assets(draw=draw)


@st.cache_data(show_spinner=False, max_entries=256)
def filter_mask(version: str, key: tuple, _flt: Filter, asof: str | None = None) -> pd.Series:
    """Boolean mask of the projects (as of `asof`) passing `_flt`, cached by (data version,
    filter key, as-of day)."""
    return apply_filter(get_atlas(asof).projects, _flt)


class _LayerCache:
    """A thread-safe LRU of map layers, bounded by the characters of text they hold."""

    def __init__(self, max_chars: int) -> None:
        self._items: OrderedDict[tuple, MapLayer] = OrderedDict()
        self._chars = 0
        self._max = max_chars
        self._lock = threading.Lock()

    def get(self, key: tuple) -> MapLayer | None:
        """The layer under `key` (now the most recently used), or None."""
        with self._lock:
            layer = self._items.get(key)
            if layer is not None:
                self._items.move_to_end(key)
            return layer

    def put(self, key: tuple, layer: MapLayer) -> None:
        """Keep `layer` under `key`, dropping the least recently used beyond the bound."""
        with self._lock:
            if key in self._items:
                self._chars -= self._items.pop(key).size
            self._items[key] = layer
            self._chars += layer.size
            while self._chars > self._max and len(self._items) > 1:
                _, dropped = self._items.popitem(last=False)
                self._chars -= dropped.size


@st.cache_resource(show_spinner=False)
def _layer_cache() -> _LayerCache:
    return _LayerCache(LAYER_CACHE_CHARS)


def selection_key(rows: np.ndarray) -> str:
    """A short digest of row positions (which rows of a layer pass the filter).

    >>> selection_key(np.array([1, 5])) == selection_key(np.array([1, 5])) != selection_key(np.array([1]))
    True
    """
    return hashlib.blake2b(np.ascontiguousarray(rows, dtype=np.int64).tobytes(),
                           digest_size=16).hexdigest()


def map_layers(atlas: Atlas, mask: np.ndarray, lang: str, crs: str) -> dict[str, MapLayer]:
    """The map's project layers for the projects under `mask`, in the UI language and the
    basemap's CRS: from the cache for every layer whose rows are unchanged; the others built
    together. Panning and zooming never get here (the map returns nothing to Python)."""
    cache = _layer_cache()
    layer_of = atlas.projects["layer"]
    keys, out = {}, {}
    for spec in atlas.project_layers:
        rows = np.flatnonzero(mask & (layer_of == spec.id).to_numpy(dtype=bool))
        keys[spec.id] = (atlas.data_version, spec.id, lang, crs, selection_key(rows))
        hit = cache.get(keys[spec.id])
        if hit is not None:
            out[spec.id] = hit
    missing = [lid for lid in keys if lid not in out]
    if missing:
        built = project_layers(atlas, atlas.projects[mask], lang, crs, only=missing)
        for lid, layer in built.items():
            cache.put(keys[lid], layer)
            out[lid] = layer
    return {spec.id: out[spec.id] for spec in atlas.project_layers}


#: URL under which Streamlit serves STATIC_DIR (``server.enableStaticServing``).
STATIC_URL = "/app/static"


@st.cache_resource(show_spinner=False, max_entries=32)
def _live_base_file(version: str, lang: str, basemap: str, tianditu_key: str | None,
                    _atlas: Atlas) -> str:
    """Write the live base of `_atlas` (named by `version`) once; its URL."""
    atlas = _atlas
    crs = BASEMAPS[basemap]["crs"]
    layers = map_layers(atlas, np.ones(len(atlas.projects), dtype=bool), lang, crs)
    name = f"live/{base_key(version, lang, basemap)}.json"
    (STATIC_DIR / "live").mkdir(parents=True, exist_ok=True)
    atomic_write(STATIC_DIR / name, live_base(atlas, lang, basemap, tianditu_key, layers=layers,
                                              version=version))
    return f"{STATIC_URL}/{name}"


def live_base_url(atlas: Atlas, lang: str, basemap: str, tianditu_key: str | None, *,
                  version: str | None = None) -> tuple[str, str]:
    """URL of the live map's base (app/map/live.py) for this data version, language and
    basemap, and its key: built and written to the static folder once per process, shared by
    every session (a browser fetches it once per page visit). `version` names data other than
    the shown register's (an import's preview: its file and settings)."""
    version = version or f"{atlas.data_version}.{get_store().revision()}"
    return (_live_base_file(version, lang, basemap, tianditu_key, atlas),
            base_key(version, lang, basemap))


def field_basemap() -> str:
    """The basemap chosen on the map page, for the field and review maps (no key -> none)."""
    chosen = st.session_state.get("w_basemap") or st.query_params.get("basemap") or "osm"
    return "none" if chosen not in BASEMAPS or BASEMAPS[chosen].requires_token() else chosen


@st.cache_data(show_spinner=False, max_entries=64)
def export_file(version: str, key: tuple, fmt: str, crs: str, _flt: Filter,
                asof: str | None = None) -> tuple[bytes, str, str]:
    """export_bytes for the current atlas (as of `asof`), cached by (data version, filter key,
    format, CRS, as-of day)."""
    return export_bytes(get_atlas(asof), _flt, fmt, crs, asof=asof)


@st.cache_data(show_spinner=False, max_entries=256)
def export_name(version: str, key: tuple, fmt: str, crs: str, _flt: Filter,
                asof: str | None = None) -> tuple[str, str]:
    """(file name, MIME type) of :func:`export_file` without making the file: the name
    export_bytes gives for the same filter on no rows (it depends on the layers in scope, the
    data version, the format and the CRS only)."""
    atlas = get_atlas(asof)
    _, name, mime = export_bytes(dataclasses.replace(atlas, projects=atlas.projects.iloc[0:0]),
                                 _flt, fmt, crs)
    return name, mime
