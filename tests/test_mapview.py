"""Map builder: what reaches the browser is data, escaped, and in the right CRS."""

import json
import re

import pytest

from app.crs import convert
from app.mapview import build_map, legend_spec, project_payload, safe_json

REFS = ("district_boundary", "metro_stations", "metro_viaduct")


def rendered(atlas, frame=None, **kw):
    m = build_map(atlas, atlas.projects if frame is None else frame, visible_refs=REFS, **kw)
    return m.get_root().render()


def test_safe_json_cannot_close_a_script():
    text = safe_json({"name": "</script><img src=x onerror=alert(1)>", "t": "${alert(1)}"})
    assert "<" not in text and ">" not in text
    assert json.loads(text)["name"].startswith("</script>")


def test_register_text_reaches_the_page_only_as_escaped_data(atlas):
    frame = atlas.projects.copy()
    i = frame.index[frame["id"] == "tianshan-park"][0]
    frame.loc[i, "name_zh"] = "<img src=x onerror=alert(1)>"
    frame.loc[i, "description"] = "</script><script>alert(2)</script>${alert(3)}"
    html = rendered(atlas, frame, basemap="none")
    assert "<img src=x" not in html
    assert "<script>alert(2)" not in html
    assert "</script><script>" not in html
    # the payload is there, but only inside JSON strings with < and > escaped
    assert "\\u003cimg src=x onerror=alert(1)\\u003e" in html
    # cards, tooltips and the legend are built with textContent, never innerHTML
    from importlib import resources

    helper = resources.files("app").joinpath("atlas_map.js").read_text(encoding="utf-8")
    assert "textContent" in helper and "innerHTML" not in helper


def test_every_located_project_is_drawn_once_and_unlocated_never(atlas):
    html = rendered(atlas, basemap="none")
    drawn = set(re.findall(r'"id": ?"([a-z0-9-]+)"', html))
    located = set(atlas.projects.loc[atlas.projects.geometry.notna(), "id"])
    unlocated = set(atlas.projects.loc[atlas.projects.geometry.isna(), "id"])
    assert located <= drawn
    assert not (unlocated & drawn)


def test_amap_basemap_shifts_overlays_to_gcj02(atlas):
    wgs = project_payload(atlas.projects, atlas, "zh", "wgs84").set_index("id")
    gcj = project_payload(atlas.projects, atlas, "zh", "gcj02").set_index("id")
    p = wgs.loc["tianshan-park"].geometry
    q = gcj.loc["tianshan-park"].geometry
    assert (q.x, q.y) == pytest.approx(convert(p.x, p.y, "wgs84", "gcj02"), abs=1e-9)
    assert atlas.projects.set_index("id").loc["tianshan-park"].geometry.equals(p)  # data untouched


def test_no_basemap_means_no_tile_url(atlas):
    html = rendered(atlas, basemap="none")
    assert "tile.openstreetmap.org" not in html and "autonavi" not in html
    assert "tile.openstreetmap.org" in rendered(atlas, basemap="osm")


def test_tianditu_without_key_is_refused(atlas):
    with pytest.raises(ValueError, match="TIANDITU_KEY"):
        build_map(atlas, atlas.projects, basemap="tianditu")
    assert "tk=abc123" in rendered(atlas, basemap="tianditu", tianditu_key="abc123")


def test_map_tools_are_present(atlas):
    html = rendered(atlas, basemap="osm")
    for needle in ("L.control.fullscreen", "L.Control.Measure", "L.Control.MiniMap", "L.control.scale"):
        assert needle in html, needle


def test_legend_follows_visible_layers_and_counts(atlas):
    only_parks = atlas.projects[atlas.projects["layer"] == "public_space"]
    legend = legend_spec(atlas, only_parks, visible_refs=("metro_stations",), lang="en")
    titles = [g["title"] for g in legend["groups"]]
    assert titles == ["Parks and public space", "Reference layers"]
    counts = {e["label"]: e["count"] for e in legend["groups"][0]["entries"]}
    located = only_parks[only_parks.geometry.notna()]
    assert sum(counts.values()) == len(located)
    ref_labels = [e["label"] for e in legend["groups"][1]["entries"]]
    assert "Line 3" in ref_labels and "District boundary" not in ref_labels
    assert legend_spec(atlas, atlas.projects.iloc[0:0], (), "zh")["groups"] == []
