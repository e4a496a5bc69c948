"""The atlas as an OGC API – Features service, served at ``/ogc`` beside the app.

* :mod:`app.ogc.items` -- one collection's items: the export's GeoJSON features of a project
  layer of the shown atlas (:func:`app.service.atlas.shown_atlas`), with the columns the
  filters read; :class:`~app.ogc.items.ShownCache` keeps them per (curated data, store
  revision, register, day).
* :mod:`app.ogc.cql` -- CQL2 text filters (parsed by pygeofilter) evaluated over a
  collection's columns, bounded in length and depth.
* :mod:`app.ogc.crs` -- the coordinate systems offered (OGC API – Features Part 2) and the
  vectorised conversion out of WGS-84.
* :mod:`app.ogc.provider` -- the pygeoapi feature provider over :mod:`app.ogc.items`.
* :mod:`app.ogc.config` -- pygeoapi's configuration and OpenAPI document, made from the layer
  specs and the saved registers (nothing written to disk).
* :mod:`app.ogc.credentials` -- planners' API credentials: issued, checked (rate-limited like
  sign-in) and revoked; the store keeps their SHA-256 digests only.
* :mod:`app.ogc.transactions` -- Part 4: a planner's POST, PUT and DELETE through
  :func:`app.service.living.propose_edit` and its review rule.
* :mod:`app.ogc.routes` -- the ASGI application mounted at ``/ogc`` (``streamlit_app.py``).

May import everything up to :mod:`app.service` and :mod:`app.io`. Never imports streamlit.
"""
