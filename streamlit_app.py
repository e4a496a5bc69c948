"""Changning Urban Renewal Atlas: the entry point of ``streamlit run streamlit_app.py`` -- the
app's pages (streamlit_page.py) at ``/`` and the OGC API – Features service (app/ogc/) at
``/ogc``, on one port. Its lifespan makes the atlas and the map's base before the server
answers (app/ui/warm.py)."""

import streamlit as st

from app.ogc.routes import ogc_routes
from app.ui import warm

app = st.App("streamlit_page.py", routes=ogc_routes(), lifespan=warm.lifespan)
