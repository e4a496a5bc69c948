"""The pygeoapi feature provider over the shown atlas (:mod:`app.ogc.items`).

pygeoapi loads a provider by its dotted path (``app.ogc.provider.AtlasProvider``) for each
request; the provider's ``data`` names the collection (``renewal``, or ``<register>.<layer>``
for a saved register) and its options the :class:`~app.ogc.items.ShownCache` it reads
(:func:`register_source`). Paging, ``bbox``, ``datetime`` (the register as of that day),
``sortby``, ``properties``, ``skipGeometry``, ``crs`` and the CQL2 filter (parsed by the
routes, :mod:`app.ogc.cql`) are all answered here, column at a time.
"""

from __future__ import annotations

import contextvars
import itertools
import json
import re
import threading
from collections.abc import Mapping, Sequence
from datetime import datetime

import numpy as np
import shapely
from pygeoapi.provider.base import (
    BaseProvider,
    ProviderInvalidQueryError,
    ProviderItemNotFoundError,
    ProviderQueryError,
)
from pygeofilter import ast

from app.domain.viewstate import DISTRICT_TZ
from app.errors import AtlasError
from app.io.export import EXPORT_FIELDS, FIELD_DOCS
from app.ogc.cql import FilterSyntaxError, evaluate
from app.ogc.crs import STORAGE_CRS, to_crs
from app.ogc.items import LayerItems, ShownCache
from app.service.atlas import BUILT_IN

__all__ = ["FIELD_TYPES", "FILTER", "AtlasProvider", "asof_day", "collection_parts",
           "register_source", "source"]

#: The JSON type of each item property (queryables and the collection's schema).
FIELD_TYPES: dict[str, str] = {
    **{name: "string" for name in EXPORT_FIELDS},
    "target_year": "integer", "days_since_update": "integer", "site_area_m2": "number", "geometry_repaired": "boolean",
    "aliases": "array", "pos_refs": "array", "links": "array", "stages": "array",
    "unit_shares": "object",
}
_SORTABLE = tuple(n for n, t in FIELD_TYPES.items() if t in ("string", "integer", "number", "boolean"))

#: The parsed CQL2 filter of the request being answered (set by :mod:`app.ogc.routes`).
FILTER: contextvars.ContextVar[ast.Node | None] = contextvars.ContextVar("ogc_filter", default=None)

_SOURCES: dict[str, ShownCache] = {}
_COUNTER = itertools.count(1)
_LOCK = threading.Lock()
_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")


def register_source(cache: ShownCache) -> str:
    """Make `cache` reachable by providers; return the key naming it in their options."""
    with _LOCK:
        key = f"source-{next(_COUNTER)}"
        _SOURCES[key] = cache
        return key


def source(key: str) -> ShownCache:
    """The cache registered under `key`."""
    try:
        return _SOURCES[key]
    except KeyError:
        raise ProviderQueryError(f"no atlas source {key!r}") from None


def collection_parts(collection: str) -> tuple[str, str]:
    """(register, layer) of a collection id: ``renewal`` is the built-in register's layer,
    ``district-2025.renewal`` the saved register ``district-2025``'s.

    >>> collection_parts("renewal"), collection_parts("district-2025.renewal")
    (('', 'renewal'), ('district-2025', 'renewal'))
    """
    register, _, layer = collection.rpartition(".")
    return register or BUILT_IN, layer


def asof_day(value: str | None) -> str | None:
    """The district day (``YYYY-MM-DD``) a ``datetime=`` instant names; None for none.

    A date is that day; a date and time is converted to the district's clock (UTC+8). An
    interval is refused: the register is shown as it stood on one day.

    >>> asof_day("2025-06-01"), asof_day("2025-06-01T20:00:00Z"), asof_day(None)
    ('2025-06-01', '2025-06-02', None)
    >>> asof_day("2025-01-01/2025-06-01")
    Traceback (most recent call last):
    pygeoapi.provider.base.ProviderInvalidQueryError: datetime is one day (the register as it stood that day), e.g. 2025-06-01; intervals are not supported
    """
    if value is None or value == "":
        return None
    text = str(value)[:64]
    if "/" in text:
        raise ProviderInvalidQueryError(user_msg="datetime is one day (the register as it stood "
                                        "that day), e.g. 2025-06-01; intervals are not supported")
    if _DAY.fullmatch(text):
        return text
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise ProviderInvalidQueryError(user_msg=f"datetime must be a day (2025-06-01) or an "
                                        f"RFC 3339 date-time, got {text!r}") from None
    if moment.tzinfo is not None:
        moment = moment.astimezone(DISTRICT_TZ)
    return moment.date().isoformat()


class AtlasProvider(BaseProvider):
    """One collection of the shown atlas, for pygeoapi."""

    def __init__(self, provider_def: Mapping) -> None:
        super().__init__(provider_def)
        self.register, self.layer = collection_parts(str(self.data))
        self.cache = source(str((self.options or {}).get("source", "")))
        self.id_field = "id"
        self.title_field = "name_zh"
        self._fields = {name: {"type": FIELD_TYPES[name], "title": name,
                               "description": FIELD_DOCS.get(name, "")}
                        for name in EXPORT_FIELDS}

    def get_fields(self) -> dict:
        """The item properties and their JSON types."""
        return self._fields

    def _items(self, asof: str | None) -> LayerItems:
        try:
            return self.cache.items(self.register, self.layer, asof)
        except AtlasError as exc:
            raise ProviderInvalidQueryError(user_msg=str(exc)) from None

    def query(self, offset: int = 0, limit: int = 10, resulttype: str = "results",
              bbox: Sequence[float] = (), datetime_: str | None = None,
              properties: Sequence[tuple[str, str]] = (), sortby: Sequence[Mapping] = (),
              select_properties: Sequence[str] = (), skip_geometry: bool = False,
              q: str | None = None, filterq: object = None, crs_transform_spec: object = None,
              **kwargs: object) -> dict:
        """One page of the collection's items as a GeoJSON FeatureCollection."""
        items = self._items(asof_day(datetime_))
        mask = np.ones(len(items), dtype=bool)
        if bbox:
            box = shapely.box(*[float(v) for v in bbox[:2]], *[float(v) for v in bbox[-2:]]) \
                if len(bbox) in (4, 6) else None
            if box is None:
                raise ProviderInvalidQueryError(user_msg="bbox needs 4 (or 6) numbers")
            if len(bbox) == 6:
                box = shapely.box(float(bbox[0]), float(bbox[1]), float(bbox[3]), float(bbox[4]))
            present = ~shapely.is_missing(items.geoms)
            hit = np.zeros(len(items), dtype=bool)
            hit[present] = shapely.intersects(items.geoms[present], box)
            mask &= hit
        for name, value in properties:
            if name in items.props.columns:
                mask &= items.props[name].astype(str).to_numpy() == str(value)
        node = FILTER.get()
        if node is not None:
            try:
                mask &= evaluate(node, items.props, items.geoms)
            except FilterSyntaxError as exc:
                raise ProviderInvalidQueryError(user_msg=str(exc)) from None
        rows = np.flatnonzero(mask)
        if sortby:
            rows = self._sorted(items, rows, sortby)
        matched = len(rows)
        page = rows[int(offset):int(offset) + int(limit)] if resulttype != "hits" else rows[:0]
        features = self._features(items, page, select_properties, skip_geometry, crs_transform_spec)
        return {"type": "FeatureCollection", "features": features,
                "numberMatched": matched, "numberReturned": len(features)}

    def get(self, identifier: str, crs_transform_spec: object = None, **kwargs: object) -> dict:
        """One item by project id (404 when the collection has none of that id)."""
        items = self._items(None)
        row = items.row_of(str(identifier))
        if row is None:
            raise ProviderItemNotFoundError(user_msg=f"no project {str(identifier)[:80]!r} in "
                                            f"collection {self.data}")
        return self._features(items, np.array([row]), (), False, crs_transform_spec)[0]

    @staticmethod
    def _sorted(items: LayerItems, rows: np.ndarray, sortby: Sequence[Mapping]) -> np.ndarray:
        names = [s["property"] for s in sortby]
        bad = [n for n in names if n not in _SORTABLE]
        if bad:
            raise ProviderInvalidQueryError(user_msg=f"cannot sort by {bad[0]!r}; sortable: {', '.join(_SORTABLE)}")
        frame = items.props.iloc[rows][names].copy()
        frame["_row"] = rows
        ordered = frame.sort_values(names, ascending=[s.get("order", "+") != "-" for s in sortby],
                                    kind="stable", na_position="last")
        return ordered["_row"].to_numpy(dtype=np.int64)

    @staticmethod
    def _features(items: LayerItems, rows: np.ndarray, select: Sequence[str], skip_geometry: bool,
                  crs_spec: object) -> list[dict]:
        features = items.features(rows)
        target = getattr(crs_spec, "target_crs_uri", None)
        if skip_geometry:
            for feature in features:
                feature["geometry"] = None
        elif target and target != STORAGE_CRS and len(rows):
            try:
                converted = to_crs(items.geoms[rows], target)
            except ValueError as exc:
                raise ProviderInvalidQueryError(user_msg=str(exc)) from None
            texts = shapely.to_geojson(converted)
            for feature, geom, text in zip(features, converted, texts, strict=True):
                feature["geometry"] = None if geom is None else json.loads(text)
        if select:
            keep = set(select)
            for feature in features:
                feature["properties"] = {k: v for k, v in feature["properties"].items() if k in keep}
        return features
