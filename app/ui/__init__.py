"""Streamlit pages of the atlas. The only package that imports streamlit."""
