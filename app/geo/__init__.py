"""Positions: coordinate systems, the gazetteer, geocoding, addresses, coordinate cells, nearest
projects and navigation links.

May import :mod:`app.errors` and :mod:`app.domain`. WGS-84 is the only stored CRS; GCJ-02 and
BD-09 appear here only as conversions at the edges (:mod:`app.geo.crs`).
"""
