"""Files in and out: atomic writes, exports (GeoJSON, GeoPackage, CSV, KML) and imports.

May import everything up to :mod:`app.data`. Never imports streamlit or a store backend.
"""
