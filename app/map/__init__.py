"""The map: layer specs plus filtered data turned into a folium map, and the Leaflet assets it
needs, served from installed packages (``static/atlas_map.js`` is the atlas's own painter).

May import everything up to :mod:`app.data`. Never imports streamlit.
"""
