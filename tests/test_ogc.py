"""The OGC API – Features service at /ogc of the real app, checked as the OGC's test suite
(ets-ogcapi-features10) checks a service, as far as that goes without Java: landing links,
a valid OpenAPI 3.0 document, conformance, collection metadata, paging through ``next``,
``numberMatched``, CRS URIs and ``Content-Crs``, GeoJSON items -- and that the items are the
export's features, that filters and days are the atlas's, and that bad input is a 400 or 404
with a message, never a 500."""

from __future__ import annotations

import json
import urllib.parse
from collections.abc import Iterator
from pathlib import Path

import pytest
import shapely
from openapi_spec_validator import validate

from app.domain.filters import Filter
from app.io.export import EXPORT_FIELDS, export_bytes
from app.service.atlas import shown_atlas
from app.store import open_store
from tests.ogc_support import call, get_json, running_app

CRS84 = "http://www.opengis.net/def/crs/OGC/1.3/CRS84"
CGCS2000 = "http://www.opengis.net/def/crs/EPSG/0/4490"
EPSG4326 = "http://www.opengis.net/def/crs/EPSG/0/4326"


@pytest.fixture(scope="module")
def store_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("ogc") / "atlas.sqlite"


@pytest.fixture(scope="module")
def ogc(store_path: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The service's base URL (…/ogc) of one real app for the module."""
    log = tmp_path_factory.mktemp("ogc-log") / "app.log"
    with running_app({"ATLAS_STORE": str(store_path)}, log) as url:
        yield f"{url}/ogc"


@pytest.fixture(scope="module")
def exported(store_path: Path) -> dict[str, list[dict]]:
    """`python -m app export`'s GeoJSON features of the same store, by layer."""
    atlas = shown_atlas(store=open_store(store_path)).atlas
    data, _, _ = export_bytes(atlas, Filter(), "geojson")
    out: dict[str, list[dict]] = {spec.id: [] for spec in atlas.project_layers}
    for feature in json.loads(data)["features"]:
        out[feature["properties"]["layer"]].append(feature)
    return out


def all_items(url: str) -> list[dict]:
    """Every item of a collection, following ``next`` links with pages of 10."""
    features, pages = [], 0
    while url:
        status, _, page = get_json(url)
        assert status == 200, page
        features += page["features"]
        assert page["numberReturned"] == len(page["features"]) <= 10
        url = next((link["href"] for link in page["links"] if link["rel"] == "next"), None)
        pages += 1
        assert pages < 100
    return features


def test_landing_page_links_the_api_definition_conformance_and_data(ogc):
    status, _, landing = get_json(f"{ogc}/?f=json")
    assert status == 200
    rels = {link["rel"]: link for link in landing["links"]}
    assert rels["service-desc"]["type"].startswith("application/vnd.oai.openapi+json")
    assert rels["service-desc"]["href"] == f"{ogc}/openapi"
    assert rels["conformance"]["href"] == f"{ogc}/conformance"
    assert rels["data"]["href"] == f"{ogc}/collections"
    assert all(link.get("type") != "text/html" for link in landing["links"])
    for link in landing["links"]:  # every link the landing page gives answers
        if link.get("type", "").endswith("json"):
            assert call("GET", link["href"])[0] == 200, link
    # a browser asking for HTML gets the JSON document
    status, headers, _ = call("GET", f"{ogc}/collections", headers={"Accept": "text/html"})
    assert status == 200 and "json" in headers["content-type"]


def test_openapi_document_is_valid_and_states_the_page_sizes(ogc):
    status, headers, document = get_json(f"{ogc}/openapi?f=json")
    assert status == 200 and document["openapi"].startswith("3.0")
    validate(document)  # openapi-spec-validator: the whole document, offline (no remote $ref)
    assert "http" not in json.dumps([v for k, v in _refs(document)])
    limit = document["components"]["parameters"]["limit"]["schema"]
    assert (limit["default"], limit["maximum"]) == (100, 10_000)


def _refs(node: object) -> Iterator[tuple[str, str]]:
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "$ref":
                yield key, value
            else:
                yield from _refs(value)
    elif isinstance(node, list):
        for value in node:
            yield from _refs(value)


def test_conformance_declares_features_crs_and_the_four_cql2_classes_qgis_needs(ogc):
    _, _, conformance = get_json(f"{ogc}/conformance")
    declared = set(conformance["conformsTo"])
    for suffix in ("ogcapi-features-1/1.0/conf/core", "ogcapi-features-1/1.0/conf/geojson",
                   "ogcapi-features-1/1.0/conf/oas30", "ogcapi-features-2/1.0/conf/crs",
                   "ogcapi-features-3/1.0/conf/filter", "ogcapi-features-3/1.0/conf/features-filter",
                   "cql2/1.0/conf/cql2-text", "cql2/1.0/conf/basic-cql2"):
        assert f"http://www.opengis.net/spec/{suffix}" in declared


def test_each_project_layer_is_a_collection_with_its_geometry_types_and_crs(ogc, exported):
    _, _, listing = get_json(f"{ogc}/collections?f=json")
    collections = {c["id"]: c for c in listing["collections"]}
    assert set(exported) <= set(collections)
    for layer in exported:
        collection = collections[layer]
        assert collection["geometryTypes"], layer  # ArcGIS needs them even when empty
        assert CGCS2000 in collection["crs"] and collection["storageCrs"] == CRS84
        assert any(link["rel"] == "items" for link in collection["links"])
    status, _, one = get_json(f"{ogc}/collections/renewal?f=json")
    assert status == 200 and one["id"] == "renewal" and "Polygon" in one["geometryTypes"]


def test_items_equal_the_export_item_by_item_through_next_links(ogc, exported):
    for layer, features in exported.items():
        items = all_items(f"{ogc}/collections/{layer}/items?f=json&limit=10")
        assert [f["id"] for f in items] == [f["id"] for f in features], layer
        for item, feature in zip(items, features, strict=True):
            assert item["type"] == "Feature"
            assert list(item["properties"]) == list(EXPORT_FIELDS)
            assert item["properties"] == feature["properties"]
            assert item["geometry"] == feature["geometry"]
            if item["geometry"] is not None:
                assert shapely.geometry.shape(item["geometry"]).is_valid


def test_number_matched_and_the_page_size_cap(ogc, exported):
    _, _, page = get_json(f"{ogc}/collections/renewal/items?f=json&limit=3")
    assert page["numberMatched"] == len(exported["renewal"]) and page["numberReturned"] == 3
    _, _, capped = get_json(f"{ogc}/collections/renewal/items?f=json&limit=999999")
    assert capped["numberReturned"] == len(exported["renewal"])
    _, _, hits = get_json(f"{ogc}/collections/renewal/items?f=json&resulttype=hits")
    assert hits["features"] == [] and hits["numberMatched"] == len(exported["renewal"])


def test_crs_gives_cgcs2000_with_its_axis_order_and_says_so(ogc, exported):
    status, headers, page = get_json(f"{ogc}/collections/renewal/items?f=json&limit=1&crs={CGCS2000}")
    assert status == 200 and headers["content-crs"] == f"<{CGCS2000}>"
    wgs = exported["renewal"][0]["geometry"]["coordinates"][0][0]
    lat_first = page["features"][0]["geometry"]["coordinates"][0][0]
    assert lat_first == pytest.approx([wgs[1], wgs[0]], abs=1e-6)
    _, headers, _ = get_json(f"{ogc}/collections/renewal/items?f=json&limit=1")
    assert headers["content-crs"] == f"<{CRS84}>"
    _, _, metres = get_json(f"{ogc}/collections/renewal/items?f=json&limit=1&crs="
                            "http://www.opengis.net/def/crs/EPSG/0/32651")
    assert metres["features"][0]["geometry"]["coordinates"][0][0][0] > 300_000


def test_bbox_in_another_crs_selects_the_same_items(ogc):
    _, _, lonlat = get_json(f"{ogc}/collections/renewal/items?f=json&bbox=121.40,31.20,121.43,31.23")
    _, _, latlon = get_json(f"{ogc}/collections/renewal/items?f=json&bbox=31.20,121.40,31.23,121.43"
                            f"&bbox-crs={EPSG4326}")
    assert [f["id"] for f in lonlat["features"]] == [f["id"] for f in latlon["features"]]
    assert 0 < lonlat["numberMatched"] < 10


def test_a_cql2_filter_is_evaluated_by_the_atlas_and_kept_in_next_links(ogc, exported):
    features = [f for fs in exported.values() for f in fs]
    status_of = {f["id"]: f["properties"]["status"] for f in features}
    wanted = {pid for pid, s in status_of.items() if s == "construction"}
    text = "status = 'construction' OR name_zh LIKE '%公园%'"
    matched: list[dict] = []
    for layer in exported:
        url = f"{ogc}/collections/{layer}/items?f=json&limit=2&filter-lang=cql2-text&filter=" \
              + urllib.parse.quote(text)
        matched += _follow(url)
    ids = {f["id"] for f in matched}
    assert wanted <= ids
    assert all(f["properties"]["status"] == "construction" or "公园" in f["properties"]["name_zh"] for f in matched)
    spatial = "S_INTERSECTS(geometry, POLYGON((121.40 31.20, 121.43 31.20, 121.43 31.23, 121.40 31.23, 121.40 31.20)))"
    _, _, inside = get_json(f"{ogc}/collections/renewal/items?f=json&filter=" + urllib.parse.quote(spatial))
    _, _, boxed = get_json(f"{ogc}/collections/renewal/items?f=json&bbox=121.40,31.20,121.43,31.23")
    assert {f["id"] for f in inside["features"]} == {f["id"] for f in boxed["features"]}


def _follow(url: str) -> list[dict]:
    out = []
    while url:
        status, _, page = get_json(url)
        assert status == 200, page
        out += page["features"]
        url = next((link["href"] for link in page["links"] if link["rel"] == "next"), None)
        if url:
            assert "filter=" in url  # the filter stays on every page
    return out


def test_datetime_is_the_register_as_it_stood_that_day(ogc, exported):
    _, _, before = get_json(f"{ogc}/collections/renewal/items?f=json&datetime=2024-12-31")
    assert before["numberMatched"] == 0  # the register starts with the report, 2025-01-08
    _, _, after = get_json(f"{ogc}/collections/renewal/items?f=json&datetime=2025-06-01T10:00:00Z")
    assert after["numberMatched"] == len(exported["renewal"])


@pytest.mark.parametrize(("query", "says"), [
    ("limit=abc", "limit"),
    ("limit=0", "limit"),
    ("bbox=1,2", "bbox"),
    ("crs=http://www.opengis.net/def/crs/EPSG/0/2000", "crs"),
    ("filter=status%20%3D", "filter"),
    ("filter=colour%3D'red'", "unknown property 'colour'"),
    ("filter=" + "(" * 30 + "status%3D'x'" + ")" * 30, "parentheses"),
    ("filter=" + "a" * 5000, "characters"),
    ("filter-lang=cql-json&filter=x", "cql2-text"),
    ("datetime=2025-01-01/2025-06-01", "one day"),
    ("datetime=yesterday", "datetime"),
    ("sortby=stages", "sort"),
    ("f=html", "f must be json"),  # pygeoapi's HTML would load scripts from other hosts
])
def test_bad_input_is_a_400_naming_what_is_wrong(ogc, query, says):
    status, headers, body = call("GET", f"{ogc}/collections/renewal/items?f=json&{query}")
    assert status == 400, body
    text = body.decode("utf-8")
    assert says.lower() in text.lower() and "Traceback" not in text and "/work" not in text


@pytest.mark.parametrize("path", ["/collections/no-such-layer", "/collections/no-such-layer/items",
                                  "/collections/renewal/items/no-such-project",
                                  "/collections/nosuch.renewal/items"])
def test_unknown_collections_and_items_are_404(ogc, path):
    status, _, body = call("GET", f"{ogc}{path}?f=json")
    assert status == 404, body
    assert b"Traceback" not in body and b"/work" not in body


def test_a_saved_register_is_reachable_as_register_dot_layer(ogc, store_path, exported):
    from app.data.atlas import load_atlas

    frame = load_atlas().projects.head(3)[["id", "name_zh", "name_en", "layer", "geometry"]]
    open_store(store_path).save_register("district-2025", frame, {"rows": 3}, saved_by="测试")
    _, _, listing = get_json(f"{ogc}/collections?f=json")
    assert "district-2025.renewal" in {c["id"] for c in listing["collections"]}
    layer = str(frame["layer"].iloc[0])
    _, _, page = get_json(f"{ogc}/collections/district-2025.{layer}/items?f=json")
    assert {f["id"] for f in page["features"]} == set(frame.loc[frame["layer"] == layer, "id"])
