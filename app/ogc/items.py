"""One collection's items: a project layer of the shown atlas as the export writes it.

A collection of the service is a project layer of the atlas users see
(:func:`app.service.atlas.shown_atlas`: the living built-in register, as of a day when asked,
or a saved register; accepted field corrections and planners' edits applied). Its items are
the features ``python -m app export --format geojson`` writes for that layer -- the same
property preparation (:func:`app.io.export.select_projects`,
:func:`app.io.prepare.prepare_frame`) and the same writer (:func:`app.io.geojson.geojson_bytes`),
so an item equals the exported feature byte for byte in its values. :class:`LayerItems` keeps
each feature's JSON text, the property columns the filters read and the prepared geometries.

:class:`ShownCache` keeps the layers' items of the shown atlases per (curated data version,
store revision, register, day), least recently used dropped beyond a few; the shown atlases
themselves come from the process's one cache (:data:`app.service.atlas_cache.ATLASES`), which
the app's pages read too.

>>> from app.data.atlas import load_atlas
>>> items = layer_items(load_atlas(), "renewal")
>>> len(items) > 0, items.feature(0)["id"] == items.props["id"].iloc[0]
(True, True)
>>> layer_items(load_atlas(), "no-such-layer")  # doctest: +ELLIPSIS
Traceback (most recent call last):
app.errors.FilterError: unknown layer(s) ['no-such-layer']; known: [...]
"""

from __future__ import annotations

import gc
import json
import threading
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import shapely

from app.data.atlas import Atlas
from app.domain.filters import Filter
from app.domain.viewstate import district_today
from app.io.export import EXPORTED_COLUMNS, layer_scope, select_projects
from app.io.geojson import geojson_bytes
from app.io.prepare import flat_properties, prepare_frame
from app.service.atlas import BUILT_IN, ShownAtlas
from app.service.atlas_cache import ATLASES
from app.store import AtlasStore

__all__ = ["GEOJSON_TYPES", "LayerItems", "ShownCache", "geometry_types", "held_types", "layer_items"]

#: GeoJSON geometry types of each layer geometry kind (a layer spec's ``geometry``).
GEOJSON_TYPES: dict[str, tuple[str, ...]] = {
    "point": ("Point", "MultiPoint"),
    "line": ("LineString", "MultiLineString"),
    "polygon": ("Polygon", "MultiPolygon"),
}


@dataclass(frozen=True)
class LayerItems:
    """A layer's features as the GeoJSON export writes them, one JSON text each (register
    order), with the exported property columns (``props``; lists and objects as the CSV export
    writes them) and the prepared WGS-84 geometries (``geoms``, None where unlocated) that
    filters, sorting and CRS conversion read."""

    texts: np.ndarray
    props: pd.DataFrame
    geoms: np.ndarray
    ids: dict[str, int] = field(repr=False)

    def __len__(self) -> int:
        return len(self.texts)

    def feature(self, row: int) -> dict:
        """The GeoJSON feature at `row` (a new dict: callers may change it)."""
        return json.loads(self.texts[row])

    def features(self, rows: Sequence[int] | np.ndarray) -> list[dict]:
        """The GeoJSON features at `rows`, parsed in one pass."""
        rows = np.asarray(rows, dtype=np.int64)
        if not len(rows):
            return []
        return json.loads("[" + ",".join(self.texts[rows].tolist()) + "]")

    def row_of(self, project_id: str) -> int | None:
        """The row of `project_id`, or None."""
        return self.ids.get(str(project_id))


def layer_items(atlas: Atlas, layer: str) -> LayerItems:
    """The features of project layer `layer` of `atlas` as the GeoJSON export writes them."""
    scope = layer_scope(atlas, Filter(values={"layer": (layer,)}))
    frame = select_projects(atlas, Filter(values={"layer": tuple(lid for lid, _ in scope)}))
    prep = prepare_frame(frame, EXPORTED_COLUMNS, "wgs84")
    text = geojson_bytes(prep, {}).decode("utf-8")
    # the writer puts one feature on each line between the head and the tail, and JSON text
    # escapes every newline inside a value: the lines are the features
    lines = text.split("\n")[1:-2] if len(prep.props) else []
    texts = np.array([line[:-1] if line.endswith(",") else line for line in lines], dtype=object)
    ids = {str(pid): n for n, pid in enumerate(prep.props["id"])}
    # filters and sorting read lists and objects as the flat formats write them ('; '-joined,
    # JSON text): plain text, and no hundred thousand lists for the garbage collector to walk
    return LayerItems(texts, flat_properties(prep.props), prep.geoms, ids)


def geometry_types(kinds: Sequence[str]) -> list[str]:
    """The GeoJSON geometry types a layer of geometry `kinds` holds.

    >>> geometry_types(["polygon", "point"])
    ['Polygon', 'MultiPolygon', 'Point', 'MultiPoint']
    """
    return [t for kind in kinds for t in GEOJSON_TYPES.get(kind, ())]


def held_types(items: LayerItems) -> list[str]:
    """The GeoJSON geometry types present among `items` (sorted).

    >>> from app.data.atlas import load_atlas
    >>> set(held_types(layer_items(load_atlas(), "renewal"))) <= {"Point", "LineString", "Polygon", "MultiPolygon", "MultiLineString", "MultiPoint"}
    True
    """
    present = items.geoms[~shapely.is_missing(items.geoms)] if len(items.geoms) else items.geoms
    return sorted({g.geom_type for g in present})


def _settle() -> None:
    """Move what exists now -- the atlases and items just built, which live as long as the
    cache keeps them -- out of the garbage collector's generations (``gc.freeze``).

    A city-scale atlas is hundreds of thousands of lists and dicts; every full collection would
    walk them all (about 0.15 s for 100,000 projects), and serving pages makes full collections
    happen every dozen pages. Frozen objects are still freed by reference counting when the
    cache drops them. What was frozen before is thawed first, so the collection made here --
    once per layer of a new atlas, not per request -- also frees any reference cycle that died
    since the last one: nothing is held for good.
    """
    gc.unfreeze()
    gc.collect()
    gc.freeze()


class ShownCache:
    """The shown atlases and their layers' items, per (curated data version, store revision,
    register, day); at most `max_entries` atlases are kept (least recently used dropped).

    `store` opens the store once, when first needed (None: no store; the built-in register
    only); `base` loads the curated atlas (default: the process's one,
    :meth:`app.service.atlas_cache.AtlasCache.curated`); `build` makes the shown atlas of
    (register, day) from the curated one (default: the process's one cache,
    :meth:`~app.service.atlas_cache.AtlasCache.shown`, with the store; a benchmark passes its
    synthetic register). Thread-safe: the service answers requests on several threads.
    """

    def __init__(self, store: Callable[[], AtlasStore | None], *,
                 base: Callable[[], Atlas] | None = None,
                 build: Callable[[Atlas, str, str | None], ShownAtlas] | None = None,
                 max_entries: int = 6) -> None:
        self._build = build
        self._open_store = store
        self._store: AtlasStore | None = None
        self._store_opened = False
        self._load_base = base
        self._bases: dict[str, Atlas] = {}
        self._shown: OrderedDict[tuple, tuple[ShownAtlas, dict[str, LayerItems]]] = OrderedDict()
        self._registers: tuple[int, tuple[str, ...]] | None = None
        self._max = max_entries
        self._lock = threading.RLock()

    @property
    def store(self) -> AtlasStore | None:
        """The store (opened on first use)."""
        with self._lock:
            if not self._store_opened:
                self._store = self._open_store()
                self._store_opened = True
            return self._store

    def base(self) -> Atlas:
        """The curated atlas (loaded once per data version)."""
        if self._load_base is not None:
            with self._lock:
                if "" not in self._bases:
                    self._bases[""] = self._load_base()
                return self._bases[""]
        return ATLASES.curated(self.store)

    def revision(self) -> int:
        """The store's revision (0 without a store)."""
        store = self.store
        return store.revision() if store is not None else 0

    def registers(self) -> tuple[str, ...]:
        """The saved registers' names (read again when the store's revision moves)."""
        store = self.store
        if store is None:
            return ()
        revision = store.revision()
        with self._lock:
            if self._registers is None or self._registers[0] != revision:
                names = store.registers()
                listed = tuple(sorted(str(n) for n in names["name"])) if len(names) else ()
                self._registers = (revision, listed)
            return self._registers[1]

    def _entry(self, register: str, asof: str | None) -> tuple[ShownAtlas, dict[str, LayerItems]]:
        base = self.base()
        asof = asof if register == BUILT_IN else None
        revision = self.revision()
        # today's register is measured on today's date (its progress moves with the day alone)
        key = (base.data_version, revision, register, asof, district_today().isoformat())
        with self._lock:
            hit = self._shown.get(key)
            if hit is not None:
                self._shown.move_to_end(key)
                return hit
            shown = (self._build(base, register, asof) if self._build is not None
                     else ATLASES.shown(base, self.store, register, asof, revision=revision))
            entry = (shown, {})
            self._shown[key] = entry
            while len(self._shown) > self._max:
                self._shown.popitem(last=False)
            return entry

    def shown(self, register: str = BUILT_IN, asof: str | None = None) -> ShownAtlas:
        """The shown atlas of `register` (as of `asof` for the built-in one)."""
        return self._entry(register, asof)[0]

    def items(self, register: str, layer: str, asof: str | None = None) -> LayerItems:
        """The items of project layer `layer` of `register` (as of `asof`)."""
        shown, layers = self._entry(register, asof)
        with self._lock:
            if layer not in layers:
                layers[layer] = layer_items(shown.atlas, layer)
                _settle()
            return layers[layer]

    def clear(self) -> None:
        """Forget every atlas (the next request builds it again)."""
        with self._lock:
            self._shown.clear()
            self._registers = None
