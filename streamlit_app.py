"""Changning Urban Renewal Atlas: the Streamlit entry point (page config and navigation only)."""

from app.ui import frame

frame.run()
