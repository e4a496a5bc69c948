"""The atlas's vocabulary: projects and recipes, filters, the shareable view, roles and UI text.

Pure Python and pandas; imports only :mod:`app.errors`. Nothing here reads files outside
its own package, knows a coordinate system or imports streamlit.
"""
