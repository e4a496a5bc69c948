"""Planners' edits through the service (OGC API – Features Part 4: create, replace, delete).

Writes go to the built-in (living) register's collections only, and only with a planner's API
credential (:mod:`app.ogc.credentials`): no credential is 401, another role's 403, nothing
written. Each write is the planner page's own path, :mod:`app.service.living` with the same
checks and review rule, and its audit row says it came ``via OGC API``:

* ``PUT /collections/{layer}/items/{id}`` -- a GeoJSON Feature: a changed geometry, changed
  editable attributes (:data:`app.data.living.ATTRIBUTE_FIELDS`) and a changed ``status`` (a
  new stage from today) go to :func:`~app.service.living.propose_edit`; changing any other
  property is a 400 naming it; unchanged properties may be sent back as they are;
* ``POST /collections/{layer}/items`` -- a new project (:func:`~app.service.living.propose_project`);
* ``DELETE /collections/{layer}/items/{id}`` -- the project leaves the register from today
  (:func:`~app.service.living.propose_retirement`).

A write needs its reason: the ``Atlas-Reason`` header (percent-encoded UTF-8) or the
property ``edit_reason``. ``If-Match`` with the item's ``ETag`` (its version) guards against
lost updates: a project changed since answers 409 with the changes made since. A write the
review rule holds answers 202 with where to follow it (``/ogc/changes/{id}``); the item is
served unchanged until a reviewer accepts it. A geometry in another coordinate system names it
with ``Content-Crs``. ``OPTIONS`` lists the write methods only to a planner's credential.
"""

from __future__ import annotations

import asyncio
import json
import re
import urllib.parse
from collections.abc import Callable

import shapely
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from app.data.living import ATTRIBUTE_FIELDS
from app.domain.clients import request_client
from app.domain.roles import PLANNER, Identity
from app.errors import AtlasError, ConflictError, SubmissionError
from app.ogc.answers import base_url, error_response
from app.ogc.credentials import Credentials
from app.ogc.crs import CRS_URIS, STORAGE_CRS, from_crs
from app.ogc.items import ShownCache
from app.ogc.provider import collection_parts
from app.service.atlas import BUILT_IN
from app.service.living import propose_edit, propose_project, propose_retirement
from app.service.supervision import PROGRESS_COLUMNS
from app.store.base import district_day

__all__ = ["CHANNEL", "MAX_BODY_BYTES", "Transactions"]

#: How the audit trail names this channel.
CHANNEL = "OGC API"
#: Largest request body read (a project's feature, not a file).
MAX_BODY_BYTES = 1_000_000
#: Properties a PUT may change besides the attributes: the stage (``status``).
_STAGE = "status"
#: Properties derived from others and from the day (progress moves with the date alone): a PUT
#: may send them back with any value, and they are never written.
_DERIVED = frozenset(PROGRESS_COLUMNS)


class Transactions:
    """The write routes over `cache` (its store must exist: writes need one)."""

    def __init__(self, cache: ShownCache) -> None:
        self.cache = cache
        self._credentials: Credentials | None = None

    @property
    def credentials(self) -> Credentials:
        """Credential checks in the cache's store."""
        if self._credentials is None:
            self._credentials = Credentials(self.cache.store)
        return self._credentials

    def routes(self) -> list[Route]:
        """The write and OPTIONS routes (before the read routes of the same paths)."""
        return [
            Route("/collections/{collection_id}/items", self.collection_write, methods=["POST", "OPTIONS"]),
            Route("/collections/{collection_id}/items/{item_id}", self.item_write,
                  methods=["PUT", "DELETE", "OPTIONS"]),
            Route("/changes/{change_id:int}", self.change),
        ]

    # -- who asks ----------------------------------------------------------------------------

    def _identify(self, request: Request) -> tuple[Identity | None, Response | None]:
        """(the planner, None) or (None, the 401/403/429 answer)."""
        address = request_client(request.client.host if request.client else None,
                                 request.headers.get("x-forwarded-for"))
        header = request.headers.get("authorization")
        who, wait = self.credentials.identify(header, address)
        if wait > 0:
            return None, error_response(429, "TooManyRequests", f"too many wrong API keys from this "
                                        f"address: try again in {wait:.0f} s",
                                        headers={"Retry-After": str(max(1, round(wait)))})
        if who is None:
            message = ("this API key is not valid (revoked, or mistyped)" if header
                       else "writing needs a planner's API key in the Authorization header")
            return None, error_response(401, "Unauthorized", message,
                                        headers={"WWW-Authenticate": 'Bearer realm="atlas", Basic realm="atlas"'})
        if not who.can(PLANNER):
            return None, error_response(403, "Forbidden", f"{who.name}'s API key is for the "
                                        f"{'/'.join(sorted(who.roles))} role; only planners edit projects")
        return who, None

    async def _options(self, request: Request, writes: str) -> Response:
        register, _ = collection_parts(request.path_params["collection_id"])
        allow = "GET, HEAD, OPTIONS"
        if register == BUILT_IN and request.headers.get("authorization"):
            who, _problem = await asyncio.to_thread(self._identify, request)
            if who is not None:
                allow += f", {writes}"
        return Response(status_code=200, headers={"Allow": allow})

    # -- the routes ---------------------------------------------------------------------------

    async def collection_write(self, request: Request) -> Response:
        """POST a new project, or OPTIONS of a collection's items."""
        if request.method == "OPTIONS":
            return await self._options(request, "POST")
        return await self._write(request, self._create)

    async def item_write(self, request: Request) -> Response:
        """PUT or DELETE a project, or OPTIONS of an item."""
        if request.method == "OPTIONS":
            return await self._options(request, "PUT, DELETE")
        return await self._write(request, self._replace if request.method == "PUT" else self._delete)

    async def change(self, request: Request) -> Response:
        """Where a held change is followed: its status and review."""
        change_id = request.path_params["change_id"]
        log = await asyncio.to_thread(self.cache.store.changes, register=BUILT_IN)
        rows = log[log["id"] == change_id]
        if rows.empty:
            return error_response(404, "NotFound", f"no change {change_id}")
        row = rows.iloc[0]
        return JSONResponse({key: (None if row[key] is None or row[key] != row[key] else str(row[key]))
                             for key in ("id", "project_id", "status", "actor", "at", "reason",
                                         "reviewed_by", "reviewed_at", "review_reason", "effective")})

    async def _write(self, request: Request, action: Callable) -> Response:
        register, layer = collection_parts(request.path_params["collection_id"])
        base = self.cache.base()
        if layer not in {s.id for s in base.project_layers}:
            return error_response(404, "NotFound", f"no collection {request.path_params['collection_id'][:80]!r}")
        if register != BUILT_IN:
            return error_response(405, "MethodNotAllowed", "saved registers are read-only here; "
                                  "edits go to the living register's collections")
        body = await request.body() if request.method != "DELETE" else b""
        if len(body) > MAX_BODY_BYTES:
            return error_response(413, "PayloadTooLarge", f"the body is {len(body):,} bytes; at most {MAX_BODY_BYTES:,}")
        return await asyncio.to_thread(self._write_sync, request, action, layer, body)

    def _write_sync(self, request: Request, action: Callable, layer: str, body: bytes) -> Response:
        who, problem = self._identify(request)
        if problem is not None:
            return problem
        try:
            feature = _feature(body) if request.method != "DELETE" else {}
            reason = _reason(request, feature)
            return action(request, who, layer, feature, reason)
        except ConflictError as exc:
            return self._conflict(request, str(exc))
        except (SubmissionError, AtlasError, ValueError) as exc:
            return error_response(400, "InvalidParameterValue", str(exc)[:1000])

    # -- the three writes -----------------------------------------------------------------

    def _current(self, layer: str, project_id: str) -> tuple[object, dict | None]:
        shown = self.cache.shown(BUILT_IN)
        items = self.cache.items(BUILT_IN, layer)
        row = items.row_of(project_id)
        return shown.atlas, (items.feature(row) if row is not None else None)

    def _replace(self, request: Request, who: Identity, layer: str, feature: dict, reason: str) -> Response:
        project_id = request.path_params["item_id"]
        atlas, current = self._current(layer, project_id)
        if current is None:
            return error_response(404, "NotFound", f"no project {project_id[:80]!r} in collection {layer}")
        version = _version(request, atlas, project_id)
        if version != _current_version(atlas, project_id):
            # a client working from an older version sees other properties changed since:
            # the answer is the conflict, not a complaint about those properties
            raise ConflictError(f"project {project_id[:80]!r} changed since version {version}")
        props = dict(feature.get("properties") or {})
        props.pop("edit_reason", None)
        attributes, stage = {}, None
        for key, value in props.items():
            if key in _DERIVED or (key in current["properties"] and current["properties"][key] == value):
                continue
            if key in ATTRIBUTE_FIELDS:
                attributes[key] = value
            elif key == _STAGE:
                stage = (str(value), district_day(), reason[:300])
            else:
                editable = ", ".join((*ATTRIBUTE_FIELDS, _STAGE))
                raise SubmissionError(f"property {key[:60]!r} cannot be changed here (editable: {editable})")
        geometry = _geometry(request, feature) if "geometry" in feature else None
        if geometry is not None and current["geometry"] is not None and \
                shapely.equals_exact(geometry, shapely.geometry.shape(current["geometry"]), 1e-7):
            geometry = None
        if geometry is None and "geometry" in feature and feature["geometry"] is None \
                and current["geometry"] is not None:
            raise SubmissionError("a position cannot be removed by sending geometry null; "
                                  "send the corrected geometry instead")
        if geometry is None and not attributes and stage is None:
            return Response(status_code=204)
        results = propose_edit(self.cache.store, atlas, project_id, actor=who.name, reason=reason,
                               geometry=geometry, method="sent", attributes=attributes or None,
                               stage=stage, expected_version=version, channel=CHANNEL)
        return self._answer(request, results, created=None)

    def _create(self, request: Request, who: Identity, layer: str, feature: dict, reason: str) -> Response:
        props = dict(feature.get("properties") or {})
        project_id = str(feature.get("id") or props.get("id") or "")
        attributes = {k: v for k, v in props.items() if k in ATTRIBUTE_FIELDS}
        allowed = {"id", "name_zh", "name_en", "category", _STAGE, "edit_reason", "layer", *ATTRIBUTE_FIELDS}
        extra = sorted(set(props) - allowed)
        if extra:
            raise SubmissionError(f"a new project cannot set {', '.join(extra[:5])} (it may set "
                                  f"{', '.join(sorted(allowed - {'edit_reason'}))})")
        if props.get("layer") not in (None, "", layer):
            raise SubmissionError(f"the feature's layer {str(props['layer'])[:40]!r} is not this collection's ({layer})")
        results = propose_project(
            self.cache.store, self.cache.shown(BUILT_IN).atlas, project_id, layer=layer, actor=who.name,
            reason=reason, name_zh=str(props.get("name_zh") or ""), name_en=str(props.get("name_en") or ""),
            category=str(props.get("category") or ""), geometry=_geometry(request, feature),
            attributes=attributes, stage=str(props.get(_STAGE) or "planning"), channel=CHANNEL)
        return self._answer(request, results, created=f"{layer}/items/{project_id}")

    def _delete(self, request: Request, who: Identity, layer: str, feature: dict, reason: str) -> Response:
        project_id = request.path_params["item_id"]
        atlas, current = self._current(layer, project_id)
        if current is None:
            return error_response(404, "NotFound", f"no project {project_id[:80]!r} in collection {layer}")
        results = propose_retirement(self.cache.store, atlas, project_id, actor=who.name, reason=reason,
                                     expected_version=_version(request, atlas, project_id), channel=CHANNEL)
        return self._answer(request, results, created=None)

    # -- answers ----------------------------------------------------------------------------

    def _answer(self, request: Request, results: list[tuple[int, str]], created: str | None) -> Response:
        root = base_url(request) or ""
        changes = [{"id": cid, "status": status, "href": f"{root}/changes/{cid}"} for cid, status in results]
        if any(status == "pending" for _, status in results):
            held = next(c for c in changes if c["status"] == "pending")
            return JSONResponse({"status": "pending", "description": "held for a reviewer: the item "
                                 "is served unchanged until the change is accepted", "changes": changes},
                                status_code=202, headers={"Location": held["href"]})
        if created is not None:
            return JSONResponse({"status": "accepted", "changes": changes}, status_code=201,
                                headers={"Location": f"{root}/collections/{created}"})
        return JSONResponse({"status": "accepted", "changes": changes}, status_code=200)

    def _conflict(self, request: Request, message: str) -> Response:
        project_id = request.path_params.get("item_id", "")
        log = self.cache.store.changes(register=BUILT_IN, project_id=project_id) if project_id else None
        since = []
        expected = _if_match(request)
        if log is not None and expected is not None:
            for row in log[log["id"] > expected].itertuples(index=False):
                since.append({"id": int(row.id), "actor": row.actor, "at": str(row.at),
                              "status": row.status, "set": sorted(json.loads(row.new))})
        return JSONResponse({"code": "Conflict", "description": message, "changes_since": since},
                            status_code=409)


def _feature(body: bytes) -> dict:
    """The GeoJSON Feature of a request body (ValueError saying what is wrong)."""
    try:
        feature = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise ValueError("the body must be a GeoJSON Feature (JSON, UTF-8)") from None
    if not isinstance(feature, dict) or feature.get("type") != "Feature":
        raise ValueError("the body must be a GeoJSON Feature (\"type\": \"Feature\")")
    if not isinstance(feature.get("properties") or {}, dict):
        raise ValueError("the feature's properties must be an object")
    return feature


def _geometry(request: Request, feature: dict) -> shapely.Geometry | None:
    """The feature's geometry in WGS-84 (``Content-Crs`` names another of the offered ones)."""
    geometry = feature.get("geometry")
    if geometry is None:
        return None
    crs = request.headers.get("content-crs", STORAGE_CRS).strip().strip("<>")
    if crs not in CRS_URIS:
        raise ValueError(f"Content-Crs must be one of {', '.join(CRS_URIS)}")
    try:
        geom = shapely.geometry.shape(geometry)
    except (ValueError, TypeError, AttributeError, KeyError, IndexError, shapely.errors.GEOSException):
        raise ValueError("the feature's geometry is not a GeoJSON geometry") from None
    return from_crs(geom, crs)


def _reason(request: Request, feature: dict) -> str:
    """Why: the ``Atlas-Reason`` header (percent-encoded UTF-8) or the ``edit_reason`` property."""
    header = request.headers.get("atlas-reason")
    if header:
        return urllib.parse.unquote(header[:3000], errors="strict")
    return str((feature.get("properties") or {}).get("edit_reason") or "")


def _if_match(request: Request) -> int | None:
    """The version an ``If-Match`` header names (the ETag of the item), or None."""
    tag = request.headers.get("if-match", "").strip().removeprefix("W/").strip('"')
    return int(tag) if re.fullmatch(r"-?\d{1,14}", tag) else None


def _current_version(atlas: object, project_id: str) -> int:
    """The project's version in `atlas` (the id of its last change; 0 when unknown)."""
    rows = atlas.projects[atlas.projects["id"] == project_id]
    return int(rows["edit_version"].iloc[0]) if "edit_version" in rows and len(rows) else 0


def _version(request: Request, atlas: object, project_id: str) -> int:
    """The version a write is checked against: ``If-Match``, else the project's current one."""
    tag = _if_match(request)
    return tag if tag is not None else _current_version(atlas, project_id)
