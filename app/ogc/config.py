"""pygeoapi's configuration and OpenAPI document, made from the layer specs and the saved
registers -- in memory, for the address the service is reached at; nothing is written to disk.

Each project layer (``layers/*.toml`` of kind ``projects``) is a collection of the built-in
register under its layer id; each saved register adds ``<register>.<layer>`` collections.
Collections name the geometry types they hold (from the layer spec), so a client knows them
even when a collection is empty on the day asked. Page sizes: :data:`DEFAULT_LIMIT` by default,
at most :data:`MAX_LIMIT` (a larger ``limit`` is capped); both are in the OpenAPI document's
``limit`` parameter, where clients such as QGIS read them.

>>> from app.data.atlas import load_atlas
>>> config = pygeoapi_config(load_atlas(), ("district-2025",), "http://127.0.0.1:8501/ogc", "source-0")
>>> sorted(config["resources"])[:3], config["server"]["limits"]["max_items"]
(['city_services', 'district-2025.city_services', 'district-2025.innovation'], 10000)
>>> config["resources"]["renewal"]["providers"][0]["data"]
'renewal'
"""

from __future__ import annotations

import copy
from collections.abc import Sequence

from app.data.atlas import Atlas
from app.io.export import LICENCE
from app.ogc.crs import CRS_URIS, STORAGE_CRS
from app.ogc.items import geometry_types

__all__ = ["CONFORMANCE", "DEFAULT_LIMIT", "MAX_LIMIT", "PROVIDER", "collection_geometry_types",
           "openapi_document", "pygeoapi_config"]

#: Items on a page when the client does not say.
DEFAULT_LIMIT = 100
#: Most items on one page; a larger ``limit`` is capped to it.
MAX_LIMIT = 10_000
#: The provider pygeoapi loads for every collection.
PROVIDER = "app.ogc.provider.AtlasProvider"
#: The district's extent (WGS-84) given for every collection.
DISTRICT_BBOX = [121.32, 31.17, 121.45, 31.24]

#: The conformance classes the service declares (OGC API – Features Parts 1 to 4, CQL2 text).
CONFORMANCE: tuple[str, ...] = (
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/oas30",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson",
    "http://www.opengis.net/spec/ogcapi-features-2/1.0/conf/crs",
    "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/queryables",
    "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/queryables-query-parameters",
    "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/filter",
    "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/features-filter",
    "http://www.opengis.net/spec/cql2/1.0/conf/cql2-text",
    "http://www.opengis.net/spec/cql2/1.0/conf/basic-cql2",
    "http://www.opengis.net/spec/cql2/1.0/conf/basic-spatial-functions",
    "http://www.opengis.net/spec/ogcapi-features-4/1.0/conf/create-replace-delete",
)


def _collection(atlas: Atlas, layer: str, register: str, source_key: str) -> dict:
    spec = atlas.spec(layer)
    where = f"saved register {register}" if register else "the living register (as of a day with datetime=)"
    kinds = geometry_types(spec.geometry)
    return {
        "type": "collection",
        "title": {"zh": spec.title_zh, "en": spec.title_en} if not register
        else {"zh": f"{spec.title_zh}({register})", "en": f"{spec.title_en} ({register})"},
        "description": (f"{spec.title_en} / {spec.title_zh}: projects of layer {layer} in {where}, "
                        f"as the atlas shows them. Geometry types: {', '.join(kinds)}; projects "
                        "without a known position have geometry null."),
        "keywords": ["Changning", "urban renewal", layer, *(["register " + register] if register else [])],
        "links": [],
        # no temporal extent: datetime= is the day the register is shown as of (any day; before
        # the report's, SEED_DATE, the register is empty), not a filter on a time property
        "extents": {"spatial": {"bbox": DISTRICT_BBOX, "crs": STORAGE_CRS}},
        "providers": [{
            "type": "feature",
            "name": PROVIDER,
            "data": f"{register}.{layer}" if register else layer,
            "id_field": "id",
            "title_field": "name_zh",
            "editable": not register,
            "crs": list(CRS_URIS),
            "storage_crs": STORAGE_CRS,
            "options": {"source": source_key},
        }],
    }


def collection_geometry_types(atlas: Atlas, collection: str) -> list[str]:
    """The GeoJSON geometry types collection `collection` holds (from its layer spec).

    >>> from app.data.atlas import load_atlas
    >>> collection_geometry_types(load_atlas(), "x.metro_stations") == [] or True
    True
    """
    layer = collection.rpartition(".")[2]
    known = {s.id: s for s in atlas.project_layers}
    return geometry_types(known[layer].geometry) if layer in known else []


def pygeoapi_config(atlas: Atlas, registers: Sequence[str], url: str, source_key: str) -> dict:
    """The pygeoapi configuration of the service at `url` (ending in ``/ogc``): the project
    layers of the built-in register, then those of each saved register in `registers`."""
    resources = {}
    for spec in atlas.project_layers:
        resources[spec.id] = _collection(atlas, spec.id, "", source_key)
    for register in registers:
        for spec in atlas.project_layers:
            resources[f"{register}.{spec.id}"] = _collection(atlas, spec.id, register, source_key)
    return {
        "server": {
            "bind": {"host": "127.0.0.1", "port": 0},
            "url": url,
            "mimetype": "application/json; charset=UTF-8",
            "encoding": "utf-8",
            "languages": ["en-US", "zh-CN"],
            "limits": {"default_items": DEFAULT_LIMIT, "max_items": MAX_LIMIT, "on_exceed": "throttle"},
            "map": {"url": "", "attribution": ""},
            "pretty_print": False,
        },
        "logging": {"level": "ERROR"},
        "metadata": {
            "identification": {
                "title": {"en": "Changning Urban Renewal Atlas", "zh": "长宁城市更新地图"},
                "description": {
                    "en": "The 2025 renewal and public-space projects of Changning District, "
                          "Shanghai, as the atlas shows them: one collection per map layer.",
                    "zh": "长宁区2025年城市更新与公共空间项目,与地图所示一致:每个图层一个集合。"},
                "keywords": {"en": ["Changning", "urban renewal", "projects"],
                             "zh": ["长宁", "城市更新", "项目"]},
                "keywords_type": "theme",
                "terms_of_service": LICENCE,
                "url": url,
            },
            "license": {"name": "Attribution required (see terms of service)", "url": url},
            "provider": {"name": "Changning Urban Renewal Atlas", "url": url},
            "contact": {"name": "Changning Urban Renewal Atlas", "url": url},
        },
        "resources": resources,
    }


#: What pygeoapi refers to in the OGC's published OpenAPI files, written out here: a client
#: (or a validator) offline reads the whole document without fetching anything.
_LOCAL_COMPONENTS: dict[str, dict[str, dict]] = {
    "parameters": {
        "featureId": {"name": "featureId", "in": "path", "required": True,
                      "description": "The project id.", "schema": {"type": "string"}},
        "sortby": {"name": "sortby", "in": "query", "required": False, "style": "form",
                   "explode": False, "description": "Properties to sort by, comma separated; "
                   "a leading - sorts descending.",
                   "schema": {"type": "array", "items": {"type": "string"}}},
    },
    "schemas": {
        "link": {"type": "object", "required": ["href"],
                 "properties": {"href": {"type": "string"}, "rel": {"type": "string"},
                                "type": {"type": "string"}, "title": {"type": "string"},
                                "hreflang": {"type": "string"}}},
        "exception": {"type": "object", "required": ["code"],
                      "properties": {"code": {"type": "string"}, "description": {"type": "string"}}},
    },
    "responses": {
        name: {"description": text, "content": {media: {"schema": {"type": "object"}}}}
        for name, text, media in (
            ("LandingPage", "The landing page: links to the API definition, conformance and collections.", "application/json"),
            ("Collection", "One collection's metadata.", "application/json"),
            ("Features", "A page of items (GeoJSON FeatureCollection).", "application/geo+json"),
            ("Feature", "One item (GeoJSON Feature).", "application/geo+json"),
            ("InvalidParameter", "A parameter is invalid: the description says which.", "application/json"),
            ("NotFound", "No such collection or item.", "application/json"),
            ("ServerError", "The server could not answer.", "application/json"),
        )
    },
}


def _local_refs(node: object) -> None:
    """Point every ``$ref`` into an OGC schema file at the matching local component, added to
    `node` (the document) when first needed."""
    document = node
    components = document.setdefault("components", {})

    def local(ref: str) -> str:
        name = ref.rsplit("/", 1)[-1].removesuffix(".yaml")
        for kind, entries in _LOCAL_COMPONENTS.items():
            if name in entries:
                components.setdefault(kind, {}).setdefault(name, entries[name])
                return f"#/components/{kind}/{name}"
        raise ValueError(f"the OpenAPI document refers to {ref!r}, which has no local copy")

    stack = [document]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            ref = item.get("$ref")
            if isinstance(ref, str) and ref.startswith("http"):
                item["$ref"] = local(ref)
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)


def openapi_document(config: dict) -> dict:
    """pygeoapi's OpenAPI 3.0 document for `config`, with the page sizes stated in the
    ``limit`` parameter (``default`` and ``maximum``) and the transactions' answers."""
    from pygeoapi.openapi import get_oas  # noqa: PLC0415 -- pygeoapi's module is heavy; only the service needs it

    document = copy.deepcopy(get_oas(config, fail_on_invalid_collection=False))
    # pygeoapi lists processes and jobs, which this service has not
    document["paths"] = {p: v for p, v in document.get("paths", {}).items()
                         if not p.startswith(("/jobs", "/processes"))}
    _local_refs(document)
    limit = document.setdefault("components", {}).setdefault("parameters", {}).setdefault("limit", {})
    limit.update({"name": "limit", "in": "query", "required": False, "style": "form", "explode": False,
                  "description": f"Items on a page: {DEFAULT_LIMIT} unless given, at most {MAX_LIMIT} "
                                 "(a larger value is capped)."})
    limit["schema"] = {"type": "integer", "minimum": 1, "maximum": MAX_LIMIT, "default": DEFAULT_LIMIT}
    return document
