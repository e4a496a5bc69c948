"""The frame around every page: page config, the shared sidebar, navigation."""

from __future__ import annotations

import streamlit as st

from app.domain.i18n import t
from app.ui import state
from app.ui.pages import about_page, field_page, import_page, map_page, review_page


def run() -> None:
    """Entry point called by streamlit_app.py."""
    st.set_page_config(page_title="长宁城市更新地图 · Changning Urban Renewal Atlas",
                       page_icon="🗺️", layout="wide", initial_sidebar_state="auto")
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
    st.navigation(pages).run()
