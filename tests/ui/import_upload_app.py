"""Fixture app for tests/ui/test_import_upload.py: the import page alone, as the whole app.

Run with cwd tests/ui so that Streamlit serves ``tests/ui/static/`` (next to this script) at
``/app/static/``: the app's static folder is pointed there (Leaflet's files and the map's base
are written into it), as ``python -m app.ui`` does for its run folder. The basemap starts at
"none", so the map asks no tile server for anything.
"""

from __future__ import annotations

from pathlib import Path

import streamlit as st

from app.ui import cache
from app.ui.pages import import_page

cache.STATIC_DIR = Path(__file__).parent / "static"
st.set_page_config(page_title="导入 · import page fixture", layout="wide")
st.session_state.setdefault("imp_basemap", "none")
import_page.render()
