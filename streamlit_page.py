"""The app's pages: page config, the shared sidebar and navigation (app/ui/frame.py), run for
every session by the ``st.App`` of streamlit_app.py."""

from app.ui import frame

frame.run()
