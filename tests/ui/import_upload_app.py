"""Fixture app for tests/ui/test_import_upload.py: the import page alone, as the whole app.

Run with cwd tests/ui so that Streamlit serves ``tests/ui/static/`` (next to this script) at
``/app/static/``. The basemap starts at "none", so the map asks no tile server for anything.
"""

from __future__ import annotations

from pathlib import Path

import streamlit as st

from app.map.assets import ensure_static_assets
from app.ui.pages import import_page

st.set_page_config(page_title="导入 · import page fixture", layout="wide")
ensure_static_assets(Path(__file__).parent / "static")
st.session_state.setdefault("imp_basemap", "none")
import_page.render()
