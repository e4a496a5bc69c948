"""Map builder: what reaches the browser is data, escaped, and in the right CRS, at any size,
and shows what the layer specs say.

City-scale layers travel as compressed columnar payloads; :func:`decode_part` reads one back
the way app/map/static/atlas_map.js does, and :func:`svg_features` reads an SVG layer's
GeoJSON, so the tests can check what the browser gets."""

import base64
import doctest
import importlib
import json
import re
import zlib
from dataclasses import replace

import geopandas as gpd
import numpy as np
import pytest
import shapely

from app.bench.synthetic import synthetic_atlas
from app.geo.crs import convert
from app.map.builder import build_map
from app.map.legend import legend_spec
from app.map.payload import COORD_SCALE
from app.map.project_layers import SVG_MAX_FEATURES, project_layers
from app.map.scriptjson import script_json
from tests.apptest import map_app

REFS = ("district_boundary", "metro_stations", "metro_viaduct")


def rendered(atlas, frame=None, **kw):
    m = build_map(atlas, atlas.projects if frame is None else frame, visible_refs=REFS, **kw)
    return m.get_root().render()


MAP_MODULES = ("basemaps", "builder", "elements", "fields", "geojson", "legend", "payload",
               "project_layers", "scriptjson", "style")


@pytest.mark.parametrize("name", MAP_MODULES)
def test_doctests(name):
    module = importlib.import_module(f"app.map.{name}")
    result = doctest.testmod(module)
    assert result.failed == 0 and result.attempted > 0


def svg_features(layer) -> list[dict]:
    """The GeoJSON features of an SVG-drawn layer, as atlasMap.geojson receives them."""
    features = []
    for part in layer.parts:
        collection, _ = json.JSONDecoder().raw_decode(part)
        features += collection["features"]
    return features


def test_script_json_cannot_close_a_script():
    value = {"name": "</script><img src=x onerror=alert(1)>", "t": "${alert(1)}", "q": "it's & \u2028"}
    text = script_json(value)
    assert not set("<>&'") & set(text)
    assert json.loads(text) == value  # escaped, not altered
    assert "长宁" in script_json("长宁")  # UTF-8 text stays UTF-8


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

    helper = resources.files("app.map").joinpath("static/atlas_map.js").read_text(encoding="utf-8")
    assert "textContent" in helper and "innerHTML" not in helper


def test_every_located_project_is_drawn_once_and_unlocated_never(atlas):
    html = rendered(atlas, basemap="none")
    drawn = set(re.findall(r'"id": ?"([a-z0-9-]+)"', html))
    located = set(atlas.projects.loc[atlas.projects.geometry.notna(), "id"])
    unlocated = set(atlas.projects.loc[atlas.projects.geometry.isna(), "id"])
    assert located <= drawn
    assert not (unlocated & drawn)


def test_amap_basemap_shifts_overlays_to_gcj02(atlas):
    def point(crs):
        layer = project_layers(atlas, atlas.projects, "zh", crs, only=["public_space"])["public_space"]
        (feature,) = [f for f in svg_features(layer) if f["id"] == "tianshan-park"]
        return feature["geometry"]["coordinates"]

    source = atlas.projects.set_index("id").loc["tianshan-park"].geometry
    assert point("wgs84") == pytest.approx([source.x, source.y], abs=1e-6)
    assert point("gcj02") == pytest.approx(convert(source.x, source.y, "wgs84", "gcj02"), abs=1e-6)
    assert atlas.projects.set_index("id").loc["tianshan-park"].geometry.equals(source)  # untouched


def test_no_basemap_means_no_tile_url(atlas):
    html = rendered(atlas, basemap="none")
    assert "tile.openstreetmap.org" not in html and "autonavi" not in html
    assert "tile.openstreetmap.org" in rendered(atlas, basemap="osm")


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


# -- city-scale layers: the strategy, the columnar canvas payload, caching, template safety ----


def _inflate(text: str) -> bytes:
    return zlib.decompress(base64.b64decode(text), -15)


def _codes(packed: dict) -> np.ndarray:
    return np.frombuffer(base64.b64decode(packed["b"]), {"u1": "<u1", "u2": "<u2", "u4": "<u4",
                                                         "i4": "<i4"}[packed["t"]])


def decode_part(text: str) -> tuple[dict, list, dict]:
    """A canvas payload as (payload, shapely geometries in payload order, columns as lists)."""
    data = json.loads(text)
    words = np.frombuffer(_inflate(data["geometry"]), "<i4").astype(np.int64)
    sizes = data["sizes"]
    xy = np.cumsum(words[:sizes[0]].reshape(-1, 2), axis=0) / data["scale"]
    offsets, at, block, size = [], sizes[0], 1, data["n"]
    for present in data["levels"]:
        if present:
            counts = words[at:at + sizes[block]]
            at, block = at + sizes[block], block + 1
        else:
            counts = np.ones(size, dtype=np.int64)
        offsets.append(np.concatenate([[0], np.cumsum(counts)]))
        size = int(offsets[-1][-1])

    def vertices(a: int, b: int) -> np.ndarray:
        return xy[a:b]

    geoms = []
    for i in range(data["n"]):
        if data["kind"] == "point":
            a, b = offsets[0][i], offsets[0][i + 1]
            pts = [shapely.Point(p) for p in vertices(a, b)]
            geoms.append(pts[0] if len(pts) == 1 else shapely.MultiPoint(pts))
        elif data["kind"] == "line":
            lines = [shapely.LineString(vertices(offsets[1][k], offsets[1][k + 1]))
                     for k in range(offsets[0][i], offsets[0][i + 1])]
            geoms.append(lines[0] if len(lines) == 1 else shapely.MultiLineString(lines))
        else:
            polys = []
            for p in range(offsets[0][i], offsets[0][i + 1]):
                rings = [vertices(offsets[2][r], offsets[2][r + 1])
                         for r in range(offsets[1][p], offsets[1][p + 1])]
                polys.append(shapely.Polygon(rings[0], rings[1:]))
            geoms.append(polys[0] if len(polys) == 1 else shapely.MultiPolygon(polys))
    raw = json.loads(_inflate(data["columns"]))
    columns = {}
    for name, col in raw.items():
        columns[name] = col if isinstance(col, list) else [col["v"][c] for c in _codes(col["c"])]
    return data, geoms, columns


@pytest.fixture(scope="module")
def city(atlas):
    return synthetic_atlas(atlas, 4000, "mixed", seed=11)


def test_layers_switch_to_the_canvas_above_the_threshold(atlas, city):
    layers = project_layers(city, city.projects)
    for spec in city.project_layers:
        n = int((city.projects["layer"].eq(spec.id) & city.projects.geometry.notna()).sum())
        assert layers[spec.id].count == n
        assert layers[spec.id].strategy == ("svg" if n <= SVG_MAX_FEATURES else "canvas")
    assert {layer.strategy for layer in project_layers(atlas, atlas.projects).values()} == {"svg"}


def test_canvas_payload_round_trips_geometry_and_properties(atlas):
    frame = synthetic_atlas(atlas, 600, "mixed", seed=12).projects
    # add the shapes a register can also hold: a polygon with a hole, a MultiPoint
    frame = frame.copy()
    ring = shapely.Point(121.40, 31.21).buffer(0.002, quad_segs=4)
    frame.loc[frame.index[0], ["layer", "category", "geometry"]] = [
        "renewal", "old_housing", shapely.Polygon(ring.exterior, [ring.buffer(-0.001).exterior])]
    frame.loc[frame.index[1], ["layer", "category", "geometry"]] = [
        "renewal", "old_housing", shapely.MultiPoint([(121.39, 31.2), (121.391, 31.201)])]
    big = replace(atlas, projects=gpd.GeoDataFrame(frame, geometry="geometry", crs="EPSG:4326"))
    for layer in project_layers(big, big.projects, "en", svg_max=0).values():
        if layer.count == 0:
            continue
        assert layer.strategy == "canvas"
        seen = 0
        for part in layer.parts:
            data, geoms, columns = decode_part(part)
            assert sum(c["n"] for c in data["classes"]) == data["n"] == len(geoms)
            by_id = big.projects.set_index("id")
            for pid, geom, name in zip(columns["id"], geoms, columns["name"], strict=True):
                source = by_id.loc[pid]
                assert name == source["name_en"]
                if geom.geom_type in ("Polygon", "MultiPolygon"):
                    # rings travel without their closing vertex; windings as given
                    assert shapely.equals_exact(shapely.normalize(geom),
                                                shapely.normalize(source.geometry), 1.01 / COORD_SCALE)
                else:
                    assert shapely.equals_exact(geom, source.geometry, 1.01 / COORD_SCALE)
            seen += data["n"]
        assert seen == layer.count


def test_canvas_classes_follow_the_legend_and_carry_its_colours(city):
    spec = city.spec("renewal")
    layer = project_layers(city, city.projects, only=["renewal"], svg_max=0)["renewal"]
    data, _, columns = decode_part(layer.parts[-1])
    colours = [c["style"]["color"] for c in data["classes"]]
    assert set(colours) <= {e.color for e in spec.legend} | {spec.style["color"]}
    start = 0
    for cls in data["classes"]:  # every feature of a class has that class's category
        labels = set(columns["category"][start:start + cls["n"]])
        assert len(labels) == 1
        start += cls["n"]


def test_canvas_labels_follow_the_language(city):
    zh = decode_part(project_layers(city, city.projects, "zh", only=["renewal"],
                                    svg_max=0)["renewal"].parts[-1])[2]
    en = decode_part(project_layers(city, city.projects, "en", only=["renewal"],
                                    svg_max=0)["renewal"].parts[-1])[2]
    assert set(en["status"]) <= {city.vocab.status_label(s, "en") for s in city.vocab.statuses}
    assert set(zh["status"]) <= {city.vocab.status_label(s, "zh") for s in city.vocab.statuses}
    by_id = city.projects.set_index("id")
    assert en["name"] == by_id.loc[en["id"], "name_en"].tolist()
    assert zh["name"] == by_id.loc[zh["id"], "name_zh"].tolist()
    assert en["name_other"] == zh["name"]  # the same features, the other language's name


def test_canvas_coordinates_are_shifted_on_the_amap_basemap(city):
    wgs = decode_part(project_layers(city, city.projects, only=["renewal"], svg_max=0)["renewal"].parts[-1])
    gcj = decode_part(project_layers(city, city.projects, crs="gcj02", only=["renewal"],
                                     svg_max=0)["renewal"].parts[-1])
    p, q = wgs[1][0], gcj[1][0]
    assert wgs[2]["id"][0] == gcj[2]["id"][0]
    assert (q.x, q.y) == pytest.approx(convert(p.x, p.y, "wgs84", "gcj02"), abs=2e-6)


def test_layers_are_deterministic_and_prebuilt_layers_give_the_same_map(city):
    first = project_layers(city, city.projects)
    assert first == project_layers(city, city.projects)  # what the page's cache relies on
    frame = city.projects[city.projects["status"] == "operating"]
    prebuilt = build_map(city, frame, basemap="none", layers=project_layers(city, frame))
    direct = build_map(city, frame, basemap="none")
    strip = re.compile(r"_[0-9a-f]{32}")
    assert strip.sub("", prebuilt.get_root().render()) == strip.sub("", direct.get_root().render())


def test_only_the_layers_asked_for_are_built(city):
    layers = project_layers(city, city.projects, only=["streets", "renewal"])
    assert list(layers) == ["renewal", "streets"]  # display order


@pytest.mark.parametrize("svg_max", [SVG_MAX_FEATURES, 0])
def test_register_text_never_runs_at_any_size(atlas, svg_max):
    frame = atlas.projects.copy()
    i = frame.index[frame["id"] == "tianshan-park"][0]
    frame.loc[i, "name_zh"] = "<img src=x onerror=alert(1)>{{ 7*7 }}"
    frame.loc[i, "description"] = "</script><script>alert(2)</script>${alert(3)}{% raw %}"
    frame.loc[i, "description_zh"] = frame.loc[i, "description"]  # the zh card shows this one
    html = build_map(atlas, frame, basemap="none", svg_max=svg_max).get_root().render()
    assert "<img src=x" not in html and "</script><script>" not in html
    if svg_max:
        assert "{{ 7*7 }}" in html  # shipped as data, not evaluated as a Jinja template
        assert "{% raw %}" in html
    else:  # the canvas payload is compressed data: find the text after inflating it
        parts = re.findall(r"atlasMap\.canvas\(map_[0-9a-f]+\)\.add\((\{.*?\}), \{\"tooltip\"", html)
        columns = [decode_part(text)[2] for text in parts]
        assert "<img src=x onerror=alert(1)>{{ 7*7 }}" in {n for c in columns for n in c["name"]}
        assert ("</script><script>alert(2)</script>${alert(3)}{% raw %}"
                in {d for c in columns for d in c["description"]})


def test_jinja_syntax_in_register_text_is_not_a_template(atlas):
    frame = atlas.projects.copy()
    i = frame.index[frame["id"] == "tianshan-park"][0]
    frame.loc[i, "name_zh"] = "{{ 7*7 }}X"
    html = build_map(atlas, frame, basemap="none").get_root().render()
    assert "{{ 7*7 }}X" in html and "49X" not in html


# -- the layer specs decide what tooltips, cards and filters show -------------------------------


def _config(layer) -> dict:
    return json.loads(layer.config)


@pytest.mark.parametrize("svg_max", [SVG_MAX_FEATURES, 0])
def test_tooltips_and_cards_show_exactly_the_specs_fields(atlas, svg_max):
    from app.domain.i18n import field_label

    layers = project_layers(atlas, atlas.projects, "en", svg_max=svg_max)
    for spec in atlas.project_layers:
        layer = layers[spec.id]
        cfg = _config(layer)
        assert cfg["tooltip"] == list(spec.tooltip)
        assert [cfg["title"], *(row[0] for row in cfg["card"])] == list(spec.card)
        assert [row[1] for row in cfg["card"]] == [field_label(f, "en") for f in spec.card[1:]]
        shipped = {"id", *spec.tooltip, *spec.card}
        if layer.strategy == "svg":
            assert all(set(f["properties"]) == shipped for f in svg_features(layer))
        else:
            assert all(set(decode_part(part)[2]) == shipped for part in layer.parts)


def test_reference_layers_show_their_specs_fields(atlas):
    html = rendered(atlas, basemap="none", lang="en")
    for spec in atlas.reference_layers:
        cfg = {"tooltip": list(spec.tooltip), "title": spec.card[0]}
        marker = f', {json.dumps(cfg)[:-1]}, "card": '
        assert marker in html, spec.id


def _set(path, key: str, value: list[str]) -> None:
    """Replace the `key = [...]` line of a layer spec file."""
    text = path.read_text(encoding="utf-8")
    text, n = re.subn(rf"^{key} = .*$", f"{key} = {json.dumps(value)}", text, flags=re.M)
    assert n == 1, f"{path.name} has no {key} line"
    path.write_text(text, encoding="utf-8")


@pytest.fixture()
def edited(data_copy, layers_copy):
    """An atlas whose specs were edited: renewal's tooltip and card reordered and cut; no
    layer filters by precision; only the streets layer filters by status, not by category."""
    from app.data.atlas import load_atlas

    _set(layers_copy / "renewal.toml", "tooltip", ["name_en", "address"])
    _set(layers_copy / "renewal.toml", "card", ["address", "description", "name"])
    for path in layers_copy.glob("*.toml"):
        if 'kind = "projects"' in path.read_text(encoding="utf-8"):
            _set(path, "filterable", ["status"] if path.stem == "streets" else ["category", "subdistrict"])
    return load_atlas(data_copy, layers_copy)


@pytest.mark.parametrize("svg_max", [SVG_MAX_FEATURES, 0])
def test_an_edited_spec_changes_what_the_browser_gets(edited, svg_max):
    layer = project_layers(edited, edited.projects, "en", svg_max=svg_max, only=["renewal"])["renewal"]
    assert _config(layer) == {"tooltip": ["name_en", "address"], "title": "address",
                              "card": [["description", "Description"], ["name", "Name"]]}
    if layer.strategy == "svg":
        properties = [f["properties"] for f in svg_features(layer)]
    else:
        properties = [dict(zip(cols, values, strict=True)) for part in layer.parts
                      for cols in [decode_part(part)[2]] for values in zip(*cols.values(), strict=True)]
    by_id = edited.projects.set_index("id")
    assert len(properties) == layer.count > 0
    for props in properties:
        assert list(props) == ["id", "name_en", "address", "description", "name"]
        assert props["name"] == by_id.loc[props["id"], "name_en"]  # 'name' is in the page language
    html = build_map(edited, edited.projects, basemap="none", lang="en", svg_max=svg_max).get_root().render()
    assert f", {layer.config});" in html


def test_filterable_decides_which_filters_exist(edited, atlas, capsys, data_copy, layers_copy):
    from app.cli.main import main

    values = edited.filter_values()
    # no precision, etc.; progress (against the report's targets) is always a filter
    assert list(values) == ["layer", "category", "status", "subdistrict", "progress"]
    streets = set(edited.spec("streets").legend_values())
    assert streets and not streets & set(values["category"])  # streets do not filter by category
    assert set(values["category"]) | streets == set(atlas.filter_values()["category"])
    assert list(atlas.filter_values()) == ["layer", "category", "status", "action", "subdistrict",
                                           "report_section", "precision", "progress"]
    code = main(["--data-dir", str(data_copy), "--layers-dir", str(layers_copy), "export",
                 "--output", str(data_copy / "x.geojson"), "--where", "precision=site"])
    assert code == 2
    assert "no layer is filterable by 'precision'" in capsys.readouterr().err


def test_the_map_page_offers_only_declared_filters(edited, data_copy, layers_copy, monkeypatch):

    from app.domain.text import unescape_markdown

    monkeypatch.setenv("ATLAS_DATA_DIR", str(data_copy))
    monkeypatch.setenv("ATLAS_LAYERS_DIR", str(layers_copy))
    at = map_app({"basemap": "none", "precision": "site", "status": "operating"})
    at.run()
    assert not at.exception
    filters = [m.key for m in at.multiselect if m.key.startswith("w_f_")]
    assert filters == ["w_f_layer", "w_f_category", "w_f_status", "w_f_subdistrict", "w_f_progress"]
    assert at.multiselect(key="w_f_status").value == ["operating"]
    assert any("precision='site'" in unescape_markdown(w.value) for w in at.warning)  # dropped, and said so


def test_the_live_base_carries_every_located_project_once_and_the_mask_every_row(atlas):
    from app.map.live import live_base, mask_bits

    base = json.loads(live_base(atlas, "en", "amap"))
    assert base["ids"] == atlas.projects["id"].tolist() and base["crs"] == "gcj02"
    drawn = [f["properties"]["id"] for layer in base["layers"] for part in layer["parts"]
             for f in part[0]["features"]]
    located = atlas.projects.loc[atlas.projects.geometry.notna(), "id"]
    assert sorted(drawn) == sorted(located)
    mask = (atlas.projects["status"] == "operating").to_numpy()
    bits = np.unpackbits(np.frombuffer(base64.b64decode(mask_bits(mask)), dtype=np.uint8),
                         bitorder="little")[:len(mask)].astype(bool)
    assert (bits == mask).all()
