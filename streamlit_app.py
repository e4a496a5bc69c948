"""Changning Urban Renewal Atlas: the Streamlit entry point (page config and navigation only).

``streamlit run streamlit_app.py`` finds ``app`` below and serves it: an ``st.App`` whose
lifespan makes the atlas and the map's base before the server answers (app/ui/warm.py); each
page run then runs this same file as the page script, which draws the frame.
"""

import streamlit as st

from app.ui import warm

if __name__ == "__main__":  # a run of the page script
    from app.ui import frame

    frame.run()
else:  # the module `streamlit run` serves
    app = st.App(__file__, lifespan=warm.lifespan)
