"""Fixture app for tests/ui: a folium map with every plugin the atlas uses, and no CDN.

tests/ui/test_offline_assets.py runs it as a real Streamlit app with cwd tests/ui and
``--server.enableStaticServing true``, so Streamlit serves ``tests/ui/static/`` (next to this
main script) at ``/app/static/``. It draws 4 circle markers and 1 polygon: 5 vector paths.
"""

from __future__ import annotations

from pathlib import Path

import folium
import folium.plugins

from app.map.assets import ensure_static_assets, localize

STATIC_DIR = Path(__file__).parent / "static"
CENTRE = (31.2204, 121.4166)

# (name, lat, lon): places in Changning, WGS-84, for drawing only.
SITES = (
    ("中山公园", 31.2234, 121.4162),
    ("天山公园", 31.2121, 121.4110),
    ("虹桥路", 31.2010, 121.4180),
    ("新华路", 31.2060, 121.4300),
)
AREA = ((31.2150, 121.4000), (31.2290, 121.4050), (31.2250, 121.4250), (31.2120, 121.4200))

# The minimap must not fall back to OpenStreetMap tiles: one blank tile as a data: URI.
BLANK_TILE = (
    "data:image/svg+xml,%3Csvg xmlns='http://www.w3.org/2000/svg' width='256' height='256'%3E"
    "%3Crect width='256' height='256' fill='%23e4e8ec'/%3E%3C/svg%3E"
)
CLUSTER_CALLBACK = "function (row) { return L.circleMarker(new L.LatLng(row[0], row[1])); }"


def build_map() -> folium.Map:
    """The fixture map: vectors, a popup, a plain marker, clusters and every control."""
    # Without a tile layer Leaflet has no maxZoom, and Leaflet.markercluster throws.
    m = folium.Map(location=CENTRE, zoom_start=14, tiles=None, control_scale=True, maxZoom=19)
    for index, (name, lat, lon) in enumerate(SITES):
        folium.CircleMarker(
            (lat, lon), radius=9, color="#c0392b", fill=True, fill_opacity=0.7,
            tooltip=folium.Tooltip(name, permanent=index == 0),
            popup=folium.Popup(f"<b>{name}</b> 城市更新项目") if index == 1 else None,
        ).add_to(m)
    folium.Polygon(AREA, color="#2c3e50", fill=True, fill_opacity=0.15, tooltip="更新片区").add_to(m)
    folium.Marker((31.2180, 121.4360), tooltip="默认图标").add_to(m)
    folium.plugins.MarkerCluster([(31.2300, 121.4300), (31.2302, 121.4303)]).add_to(m)
    folium.plugins.FastMarkerCluster(
        [(31.2020, 121.4020), (31.2022, 121.4024)], callback=CLUSTER_CALLBACK
    ).add_to(m)
    folium.plugins.Fullscreen(title="全屏", title_cancel="退出全屏").add_to(m)
    folium.plugins.MeasureControl(primary_length_unit="meters").add_to(m)
    folium.plugins.LocateControl().add_to(m)
    folium.plugins.MiniMap(tile_layer=folium.TileLayer(BLANK_TILE, attr="blank")).add_to(m)
    return m


if __name__ == "__main__":
    import streamlit as st
    from streamlit_folium import st_folium

    st.set_page_config(page_title="离线地图 · offline map fixture", layout="wide")
    ensure_static_assets(STATIC_DIR)
    st.title("长宁区城市更新 · 离线地图")
    st_folium(localize(build_map()), returned_objects=[], height=400, key="m",
              use_container_width=True)
