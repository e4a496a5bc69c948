"""The map: one live Leaflet map for every page (its data here, its browser side in ``static/``),
and the Leaflet assets it needs, served from installed packages.

``live``           the live map's base (every located project, reference layers, tiles) per data
                   version, language and basemap; the filter's row mask; a page mode's position,
                   overlays and boxes to fit; the plugin files it loads
``project_layers`` project layers ready to draw (SVG or canvas by size), cacheable
``references``     reference layers (district, metro, roads) as SVG parts
``payload``        the compact columnar payloads of canvas-drawn layers
``geojson``        FeatureCollection text of SVG-drawn layers, built in bulk
``fields``         display fields: what a spec's tooltip and card name, labelled in the page's language
``legend``         the legend as data
``style``          path styles of the style classes
``basemaps``       the basemap registry (xyzservices TileProviders)
``drawing``        the planner's Leaflet.draw tools, drawings back to WGS-84
``assets``         Leaflet and plugin files served by Streamlit, never a CDN
``halos``          the uncertainty halos of point projects (``uncertainty_m``) for the live map
``builder``        a standalone folium map of a selection: the bench's baseline, no page's map
``elements``       the script element through which the builder's code reaches its folium map
``scriptjson``     the one JSON escaper for text inside ``<script>``
``static/live_map.js``   the live map component (modes view, pick, draw, review)
``static/atlas_map.js``  the atlas's own tooltips, cards, legend and canvas painter
``static/atlas_map.css`` their styles

May import everything up to :mod:`app.data`. Never imports streamlit.
"""
