"""Cached access to the atlas for the pages (one load per data version and process)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import streamlit as st

from app.assets import ensure_static_assets
from app.atlas import Atlas, data_version, default_data_dir, default_layers_dir, load_atlas
from app.export import export_bytes
from app.filters import Filter, apply_filter
from app.store import Store, apply_field_updates, open_store

STATIC_DIR = Path(__file__).resolve().parent.parent.parent / "static"


@st.cache_resource(show_spinner=False)
def _register(version: str) -> Atlas:
    return load_atlas(default_data_dir(), default_layers_dir())


@st.cache_resource(show_spinner=False)
def _with_updates(version: str, revision: int) -> Atlas:
    return apply_field_updates(_register(version), get_store())


@st.cache_resource(show_spinner=False)
def get_store() -> Store:
    """The store of this process (``$ATLAS_STORE`` or var/atlas.sqlite)."""
    return open_store()


def get_atlas() -> Atlas:
    """The atlas of the current data files with accepted field updates applied.

    Reloaded when a data file changes or the store records a change.
    """
    version = data_version(default_data_dir(), default_layers_dir())
    return _with_updates(version, get_store().revision())


@st.cache_resource(show_spinner=False)
def static_assets() -> Path:
    """Copy Leaflet and plugin files from their packages to Streamlit's static folder, once."""
    return ensure_static_assets(STATIC_DIR)


@st.cache_data(show_spinner=False, max_entries=256)
def filter_mask(version: str, key: tuple, _flt: Filter) -> pd.Series:
    """Boolean mask of the projects passing `_flt`, cached by (data version, filter key)."""
    return apply_filter(get_atlas().projects, _flt)


def field_basemap() -> str:
    """The basemap chosen on the map page, for the field and review maps (no key -> none)."""
    chosen = st.session_state.get("w_basemap") or st.query_params.get("basemap") or "osm"
    return "none" if chosen not in ("osm", "amap", "none") else chosen


@st.cache_data(show_spinner=False, max_entries=64)
def export_file(version: str, key: tuple, fmt: str, crs: str, _flt: Filter) -> tuple[bytes, str, str]:
    """export_bytes for the current atlas, cached by (data version, filter key, format, CRS)."""
    return export_bytes(get_atlas(), _flt, fmt, crs)
