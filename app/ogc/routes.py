"""The ASGI application of the OGC API – Features service, mounted at ``/ogc``.

Reads are pygeoapi's: each route below is a one-line adapter that builds pygeoapi's
``APIRequest`` and calls its API function (landing page, OpenAPI, collections, queryables,
schema, items, item) with the configuration of :mod:`app.ogc.config`. Around them this module
adds what the atlas needs:

* the configuration and OpenAPI document are made for the address the service is reached at
  (links are absolute) and made again when a register is saved, renamed or deleted;
* ``filter`` is CQL2 text: checked and parsed here (:mod:`app.ogc.cql`), handed to the
  provider, and kept in the paging links; ``filter-lang`` may be ``cql2-text`` only;
* ``/conformance`` declares the classes of :data:`app.ogc.config.CONFORMANCE`;
* collections name the geometry types they hold (``geometryTypes``);
* writes (POST, PUT, DELETE) and OPTIONS are the planners' transactions
  (:mod:`app.ogc.transactions`);
* every answer is JSON (pygeoapi's HTML pages would load scripts from other hosts); bad
  input is a 400 naming what is wrong and an
  unknown collection a 404 -- never a traceback or a path of this machine.

>>> service = OgcService(ShownCache(lambda: None))
>>> [route.path for route in service.routes()][:3]
['/', '/openapi', '/conformance']
"""

from __future__ import annotations

import asyncio
import contextvars
import json
import logging
import threading
import urllib.parse
from collections import OrderedDict
from collections.abc import Callable
from http import HTTPStatus

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import BaseRoute, Mount, Route

from app.errors import AtlasError
from app.ogc.answers import base_url, error_response
from app.ogc.config import (
    CONFORMANCE,
    collection_geometry_types,
    openapi_document,
    pygeoapi_config,
)
from app.ogc.cql import FilterSyntaxError, parse_filter
from app.ogc.crs import CRS_URIS, STORAGE_CRS
from app.ogc.items import ShownCache
from app.ogc.provider import FILTER, collection_parts, register_source
from app.ogc.transactions import Transactions
from app.service.atlas import BUILT_IN
from app.store import open_store

__all__ = ["OgcService", "ogc_app", "ogc_routes"]

LOGGER = logging.getLogger(__name__)
#: Query parameters longer than this are refused before anything else is done.
MAX_QUERY_CHARS = 8000
_FILTER_PARAMS = ("filter", "filter-lang")


class OgcService:
    """The service over one :class:`~app.ogc.items.ShownCache`: pygeoapi ``API`` objects per
    address and set of saved registers (a few kept), and the routes."""

    def __init__(self, cache: ShownCache) -> None:
        self.cache = cache
        self.source_key = register_source(cache)
        self._apis: OrderedDict[tuple, object] = OrderedDict()
        self._lock = threading.Lock()
        self.transactions = Transactions(cache)

    # -- pygeoapi's API for an address --------------------------------------------------

    def api(self, base_url: str) -> object:
        """pygeoapi's ``API`` for the service at `base_url`, with today's collections."""
        from pygeoapi.api import API  # noqa: PLC0415 -- pygeoapi is imported when the service first answers

        base = self.cache.base()
        registers = self.cache.registers()
        key = (base_url, base.data_version, registers)
        with self._lock:
            hit = self._apis.get(key)
            if hit is not None:
                self._apis.move_to_end(key)
                return hit
        config = pygeoapi_config(base, registers, base_url, self.source_key)
        api = API(config, openapi_document(config))
        with self._lock:
            self._apis[key] = api
            while len(self._apis) > 4:
                self._apis.popitem(last=False)
        return api

    # -- calling pygeoapi ------------------------------------------------------------------

    async def call(self, request: Request, function: Callable, *args: object,
                   parsed_filter: object = None) -> Response:
        """Answer `request` with pygeoapi's `function` (run on a worker thread, with the parsed
        filter in its context)."""
        from pygeoapi.api import APIRequest  # noqa: PLC0415

        base = base_url(request)
        if base is None:
            return error_response(400, "InvalidParameterValue", "the Host header is not a host name")
        if request.query_params.get("f", "json") not in ("json", "jsonld"):
            return error_response(400, "InvalidParameterValue", "f must be json or jsonld: this "
                                  "service answers JSON (GeoJSON for items)")
        if len(request.url.query) > MAX_QUERY_CHARS:
            return error_response(400, "InvalidParameterValue",
                                  f"the query is {len(request.url.query):,} characters; at most {MAX_QUERY_CHARS:,}")
        try:
            api = await asyncio.get_running_loop().run_in_executor(None, self.api, base)
        except AtlasError as exc:
            return error_response(400, "InvalidParameterValue", str(exc))
        api_request = await APIRequest.from_starlette(_for_pygeoapi(request), api.locales)
        context = contextvars.copy_context()
        context.run(FILTER.set, parsed_filter)
        loop = asyncio.get_running_loop()
        headers, status, content = await loop.run_in_executor(
            None, context.run, _call_in_loop, loop, function, api, api_request, *args)
        if parsed_filter is not None and status == HTTPStatus.OK and isinstance(content, str):
            content = _keep_filter_in_links(content, request)
        response = Response(content, status_code=int(status))
        response.headers.update({k: v for k, v in headers.items() if isinstance(v, str)})
        return response

    # -- the routes --------------------------------------------------------------------------

    def routes(self) -> list[Route]:
        """The service's routes (mounted under ``/ogc``)."""
        return [
            Route("/", self.landing),
            Route("/openapi", self.openapi),
            Route("/conformance", self.conformance),
            Route("/collections", self.collections),
            Route("/collections/{collection_id}", self.collection),
            Route("/collections/{collection_id}/queryables", self.queryables),
            Route("/collections/{collection_id}/schema", self.schema),
            *self.transactions.routes(),
            Route("/collections/{collection_id}/items", self.items),
            Route("/collections/{collection_id}/items/{item_id}", self.item),
        ]

    async def landing(self, request: Request) -> Response:
        """The landing page: links to the OpenAPI document, the conformance and the data."""
        import pygeoapi.api as core  # noqa: PLC0415

        response = await self.call(request, core.landing_page)
        if response.status_code != 200 or not response.headers.get("content-type", "").startswith("application/json"):
            return response
        document = json.loads(response.body)
        # pygeoapi links processes, jobs, tiling schemes and HTML pages too: this service has none
        document["links"] = [link for link in document.get("links", [])
                             if not str(link.get("rel", "")).startswith("http://www.opengis.net/def/rel/ogc/1.0/")
                             and link.get("type") != "text/html"]
        headers = {k: v for k, v in response.headers.items() if k.lower() != "content-length"}
        return Response(json.dumps(document, ensure_ascii=False), status_code=200, headers=headers)

    async def openapi(self, request: Request) -> Response:
        """The OpenAPI 3.0 document."""
        import pygeoapi.api as core  # noqa: PLC0415

        return await self.call(request, core.openapi_)

    async def conformance(self, request: Request) -> Response:
        """The conformance classes the service declares."""
        return JSONResponse({"conformsTo": list(CONFORMANCE)})

    async def collections(self, request: Request) -> Response:
        """Every collection's metadata."""
        import pygeoapi.api as core  # noqa: PLC0415

        return self._with_geometry_types(await self.call(request, core.describe_collections))

    async def collection(self, request: Request) -> Response:
        """One collection's metadata (404 when unknown)."""
        import pygeoapi.api as core  # noqa: PLC0415

        collection = request.path_params["collection_id"]
        return self._with_geometry_types(await self.call(request, core.describe_collections, collection))

    async def queryables(self, request: Request) -> Response:
        """The properties a filter may name."""
        import pygeoapi.api.itemtypes as items  # noqa: PLC0415

        return await self.call(request, items.get_collection_queryables,
                               request.path_params["collection_id"])

    async def schema(self, request: Request) -> Response:
        """The collection's item schema."""
        import pygeoapi.api as core  # noqa: PLC0415

        return await self.call(request, core.get_collection_schema, request.path_params["collection_id"])

    async def items(self, request: Request) -> Response:
        """A page of a collection's items (GET)."""
        import pygeoapi.api.itemtypes as items  # noqa: PLC0415

        problem, parsed = _parsed_filter(request)
        if problem is not None:
            return problem
        return await self.call(request, items.get_collection_items,
                               request.path_params["collection_id"], parsed_filter=parsed)

    async def item(self, request: Request) -> Response:
        """One item by project id (GET)."""
        import pygeoapi.api.itemtypes as items  # noqa: PLC0415

        response = await self.call(request, items.get_collection_item,
                                   request.path_params["collection_id"], request.path_params["item_id"])
        if response.status_code == 200:
            version = await asyncio.to_thread(self._version, request.path_params["collection_id"],
                                              request.path_params["item_id"])
            if version is not None:  # what If-Match names when this item is written back
                response.headers["ETag"] = f'"{version}"'
        return response

    def _version(self, collection: str, project_id: str) -> int | None:
        """The project's version in the built-in register (None for a saved register's)."""
        register, _ = collection_parts(collection)
        if register != BUILT_IN:
            return None
        projects = self.cache.shown(BUILT_IN).atlas.projects
        rows = projects.loc[projects["id"] == project_id, "edit_version"] if "edit_version" in projects else []
        return int(rows.iloc[0]) if len(rows) else None

    def _with_geometry_types(self, response: Response) -> Response:
        """`response` (collection metadata) with each collection's ``geometryTypes``."""
        if response.status_code != 200 or not response.headers.get("content-type", "").startswith("application/json"):
            return response
        document = json.loads(response.body)
        base = self.cache.base()
        for entry in document.get("collections", [document]):
            if isinstance(entry, dict) and "id" in entry:
                entry["geometryTypes"] = collection_geometry_types(base, str(entry["id"]))
                entry.setdefault("storageCrs", STORAGE_CRS)
                entry["crs"] = list(CRS_URIS)
        headers = {k: v for k, v in response.headers.items() if k.lower() != "content-length"}
        return Response(json.dumps(document, ensure_ascii=False), status_code=200, headers=headers)


def _call_in_loop(loop: asyncio.AbstractEventLoop, function: Callable, *args: object) -> tuple:
    asyncio.set_event_loop(loop)  # pygeoapi's functions look for the running loop
    return function(*args)


def _parsed_filter(request: Request) -> tuple[Response | None, object]:
    """(None, the parsed CQL2 filter or None) of a request, or (a 400 answer, None)."""
    lang = request.query_params.get("filter-lang")
    if lang is not None and lang != "cql2-text":
        return error_response(400, "InvalidParameterValue",
                              f"filter-lang must be cql2-text, got {lang[:40]!r}"), None
    crs = request.query_params.get("filter-crs")
    if crs is not None and crs not in CRS_URIS:
        return error_response(400, "InvalidParameterValue",
                              f"filter-crs must be one of {', '.join(CRS_URIS)}"), None
    text = request.query_params.get("filter")
    if text is None:
        return None, None
    try:
        node = parse_filter(text)
    except FilterSyntaxError as exc:
        return error_response(400, "InvalidParameterValue", str(exc)), None
    if crs is not None and crs != STORAGE_CRS:
        from pygeoapi.util import modify_pygeofilter  # noqa: PLC0415

        node = modify_pygeofilter(node, filter_crs_uri=crs, storage_crs_uri=STORAGE_CRS)
    return None, node


def _for_pygeoapi(request: Request) -> Request:
    """`request` as pygeoapi gets it: without its filter parameters (the filter is parsed
    here) and asking for JSON (``f=json`` unless ``f`` names a JSON format): pygeoapi's HTML
    pages load their scripts and styles from other hosts, which the atlas never does."""
    pairs = [(k, v) for k, v in request.query_params.multi_items() if k not in _FILTER_PARAMS]
    if "f" not in request.query_params:
        pairs.append(("f", "json"))
    if pairs == request.query_params.multi_items():
        return request
    scope = dict(request.scope)
    scope["query_string"] = urllib.parse.urlencode(pairs).encode("ascii")
    clone = Request(scope, request.receive)
    return clone


def _keep_filter_in_links(content: str, request: Request) -> str:
    """pygeoapi's items page with the filter added back to its links (self, next, prev...)."""
    at = content.rfind('"links":')
    if at < 0:
        return content
    extra = urllib.parse.urlencode([(k, v) for k, v in request.query_params.multi_items()
                                    if k in _FILTER_PARAMS], quote_via=urllib.parse.quote)
    items_url = f"/collections/{request.path_params['collection_id']}/items?"
    tail = content[at:].replace(items_url, items_url + extra.replace("\\", "\\\\").replace('"', '\\"') + "&")
    return content[:at] + tail


def ogc_app(cache: ShownCache | None = None) -> Starlette:
    """The service as an ASGI application (mounted at ``/ogc`` by ``streamlit_app.py``): the
    configured store's atlas unless `cache` is given."""
    service = OgcService(cache or ShownCache(open_store))
    return Starlette(routes=service.routes(), exception_handlers={
        AtlasError: lambda request, exc: error_response(400, "InvalidParameterValue", str(exc))})


def ogc_routes(path: str = "/ogc") -> list[BaseRoute]:
    """The service mounted at `path`, for ``st.App(..., routes=ogc_routes())``; `path` itself
    (no trailing slash, where clients such as GDAL start) redirects to the landing page."""

    async def to_landing(request: Request) -> Response:
        query = f"?{request.url.query}" if request.url.query else ""
        return RedirectResponse(f"{path}/{query}", status_code=308)

    return [Route(path, to_landing, methods=["GET", "HEAD"]), Mount(path, app=ogc_app())]
