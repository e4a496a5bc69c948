"""The map: layer specs plus filtered data turned into a folium map, and the Leaflet assets it
needs, served from installed packages.

``builder``        :func:`~app.map.builder.build_map`, the folium map of a filtered selection
``project_layers`` project layers ready to draw (SVG or canvas by size), cacheable
``payload``        the compact columnar payloads of canvas-drawn layers
``geojson``        FeatureCollection text of SVG-drawn layers, built in bulk
``fields``         display fields: what a spec's tooltip and card name, labelled
``legend``         the legend as data
``style``          path styles of the style classes
``basemaps``       the basemap registry (xyzservices TileProviders)
``elements``       the script element through which everything reaches the map
``scriptjson``     the one JSON escaper for text inside ``<script>``
``assets``         Leaflet and plugin files served by Streamlit, never a CDN
``drawing``        the planner's Leaflet.draw tools, drawings back to WGS-84, proposed geometries
``halos``          the uncertainty halos of point projects (``uncertainty_m``) for the live map
``static/atlas_map.js``  the atlas's own tooltips, cards, legend and canvas painter

May import everything up to :mod:`app.data`. Never imports streamlit.
"""
