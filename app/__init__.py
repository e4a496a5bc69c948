"""Changning Urban Renewal Atlas (长宁城市更新地图).

The package, in the order data flows through it (a package may import the ones above it, never
the ones below):

* :mod:`app.errors` -- the named exceptions, each carrying its user-facing message.
* :mod:`app.domain` -- the data model, controlled vocabularies, filters, view state, UI text.
* :mod:`app.geo` -- coordinate systems, the gazetteer, geocoding, addresses, nearest, links.
* :mod:`app.data` -- loading and checking what the atlas shows: register, layer specs.
* :mod:`app.io` -- files in and out: atomic writes, exports, imports.
* :mod:`app.store` -- the working store (SQLite by default, PostGIS when shared).
* :mod:`app.map` -- the folium map builder and the locally served Leaflet assets.
* :mod:`app.cli`, :mod:`app.bench` -- the command line and the benchmarks.
* :mod:`app.ui` -- the Streamlit pages: the only package that imports streamlit.
"""
