"""The basemap registry: one TileProvider per id of BASEMAP_IDS, each usable by the map."""

from __future__ import annotations

import folium
import pytest

from app.domain.viewstate import BASEMAP_IDS
from app.map.basemaps import BASEMAP_CRSS, BASEMAPS, basemap_title, check_basemaps, keyless_basemaps
from app.map.builder import build_map
from app.map.scriptjson import script_json


def test_the_registry_is_the_domains_list_of_ids():
    assert tuple(BASEMAPS) == BASEMAP_IDS
    with pytest.raises(ValueError, match="differs from BASEMAP_IDS"):
        check_basemaps({k: v for k, v in BASEMAPS.items() if k != "amap"})


@pytest.mark.parametrize("basemap", BASEMAP_IDS)
def test_every_basemap_is_complete_and_draws(basemap, atlas):
    provider = BASEMAPS[basemap]
    assert provider["crs"] in BASEMAP_CRSS
    assert basemap_title(basemap, "zh") and basemap_title(basemap, "en")
    key = "k123" if provider.requires_token() else None
    html = build_map(atlas, atlas.projects.iloc[:3], basemap=basemap, tianditu_key=key).get_root().render()
    if provider.url:
        assert provider.url.startswith("https://")
        url = provider.build_url(x=1, y=2, z=3, **({"tk": key} if key else {}))
        assert "{" not in url
        tiles = folium.TileLayer(tiles=provider(tk=key) if key else provider).tiles
        assert script_json(tiles) in html  # as folium writes it: JSON, '&' escaped
        for overlay in provider["overlays"]:
            assert script_json(folium.TileLayer(tiles=overlay(tk=key)).tiles) in html
    else:
        assert "L.tileLayer" not in html


def test_a_basemap_that_needs_a_key_is_refused_without_one(atlas):
    assert keyless_basemaps() == tuple(b for b in BASEMAP_IDS if b != "tianditu")
    with pytest.raises(ValueError, match="TIANDITU_KEY"):
        build_map(atlas, atlas.projects, basemap="tianditu")
    html = build_map(atlas, atlas.projects, basemap="tianditu", tianditu_key="abc123").get_root().render()
    assert html.count("tk=abc123") >= 3  # base, labels, minimap


def test_amap_is_the_gcj02_basemap():
    assert [b for b in BASEMAP_IDS if BASEMAPS[b]["crs"] == "gcj02"] == ["amap"]
