"""The shown atlas, once per process: built when what it is made of changes, shared by every
session, page, request and thread.

A shown atlas (:func:`app.service.atlas.shown_atlas`) is made of exactly five things: the
curated atlas (its data version, boundary files included), the store's revision, the register,
the as-of day and -- for the atlas of now -- today's date in the district, the day its progress
is measured on (:mod:`app.service.supervision`). :class:`AtlasCache` keeps the last few under
that key, so a page run, an OGC API request or a CLI command that asks again with the same
key gets the same object back at the cost of a dictionary look-up. For the built-in register it also keeps the living fold
(:class:`app.data.living.LivingFold`) of each (curated data, store, day): a new revision reads
only the change-log rows of the projects changed since, refolds them and rebuilds only their
rows (:func:`app.service.atlas.refresh_fold`). :meth:`AtlasCache.curated` loads the curated
atlas of the data folders once per data version and boundary files, and seeds the store's living
register from it. The Streamlit caches of :mod:`app.ui.cache` only wrap it; anything outside
Streamlit (the OGC API, a worker) uses :data:`ATLASES` the same way::

    base = ATLASES.curated(store)
    shown = ATLASES.shown(base, store, register, asof)

>>> from app.data.atlas import load_atlas
>>> cache, base = AtlasCache(), load_atlas()
>>> first = cache.shown(base, None)
>>> cache.shown(base, None) is first, len(first.atlas.projects) == len(base.projects)
(True, True)
>>> cache.shown(base, None, asof="2024-12-31").atlas.projects.empty
True
>>> cache.curated() is cache.curated(), cache.curated().data_version == base.data_version
(True, True)
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Hashable
from dataclasses import replace
from pathlib import Path

from app.data.atlas import Atlas, data_version, default_data_dir, default_layers_dir, load_atlas
from app.data.boundaries import boundaries_stamp, default_boundaries_dir
from app.data.living import LivingFold, check_date, curated_seed
from app.domain.viewstate import district_today
from app.io.reference_layers import layers_stamp, user_layer_specs
from app.service.atlas import BUILT_IN, ShownAtlas, shown_atlas
from app.service.living import seed_register
from app.store import AtlasStore

__all__ = ["ATLASES", "AtlasCache"]


class _Recent(OrderedDict):
    """A dictionary that keeps its `bound` most recently used entries."""

    def __init__(self, bound: int) -> None:
        super().__init__()
        self.bound = bound

    def get_recent(self, key: Hashable) -> object | None:
        value = self.get(key)
        if value is not None:
            self.move_to_end(key)
        return value

    def put(self, key: Hashable, value: object) -> None:
        self[key] = value
        self.move_to_end(key)
        while len(self) > self.bound:
            self.popitem(last=False)


class AtlasCache:
    """Shown atlases by (curated data version, store, store revision, register, as-of day).

    `atlases` bounds the shown atlases kept (each as of a day is one); `folds` the living folds
    (one per curated data version, store and day). Thread-safe: a miss is built once, under a
    lock, while hits are answered without waiting for it.
    """

    def __init__(self, *, atlases: int = 16, folds: int = 8) -> None:
        self._atlases = _Recent(atlases)
        self._folds = _Recent(folds)
        self._curated = _Recent(2)
        self._bases = _Recent(2)
        self._lock = threading.Lock()
        self._build = threading.Lock()

    def curated(self, store: AtlasStore | None = None, *, data_dir: Path | None = None,
                layers_dir: Path | None = None, boundaries_dir: Path | None = None,
                actor: str = "app start") -> Atlas:
        """The curated atlas of the data folders (defaults: :func:`~app.data.atlas.default_data_dir`
        and the like), loaded once per data version, set of boundary files and of reference layers
        of planners' own (:func:`app.io.reference_layers.user_layer_specs`: those with vector
        tiles join its reference layers); the first time, `store`'s living register is seeded
        from it (or merged with a newer one)."""
        data_dir, layers_dir = data_dir or default_data_dir(), layers_dir or default_layers_dir()
        boundaries_dir = boundaries_dir or default_boundaries_dir()
        key = (str(data_dir), str(layers_dir), data_version(data_dir, layers_dir),
               boundaries_stamp(boundaries_dir), layers_stamp(), self._store_key(store))
        with self._lock:
            base = self._bases.get_recent(key)
        if base is not None:
            return base
        with self._build:
            with self._lock:
                base = self._bases.get_recent(key)
            if base is None:
                base = load_atlas(data_dir, layers_dir, boundaries_dir)
                if store is not None:
                    seed_register(store, base, actor=actor)
                # planners' own reference layers with vector tiles join the shipped ones
                base = replace(base, specs=(*base.specs, *user_layer_specs()))
                with self._lock:
                    self._bases.put(key, base)
            return base

    @staticmethod
    def _store_key(store: AtlasStore | None) -> str:
        return store.describe() if store is not None else ""

    def shown(self, base: Atlas, store: AtlasStore | None, register: str = BUILT_IN,
              asof: str | None = None, *, revision: int | None = None) -> ShownAtlas:
        """The shown atlas of `register` (as of `asof`: the built-in register only) over the
        curated atlas `base` with the store's corrections; `revision` is the store's revision
        when the caller has just read it (otherwise it is read here, once)."""
        if asof is not None:
            asof = check_date(asof, "the as-of date")
        if register != BUILT_IN:
            asof = None
        if revision is None:
            revision = store.revision() if store is not None else 0
        # today's progress is today's: the day is part of what an atlas of now is made of
        day = asof or district_today().isoformat()
        key = (base.data_version, self._store_key(store), revision, register, asof, day)
        with self._lock:
            hit = self._atlases.get_recent(key)
        if hit is not None:
            return hit
        with self._build:
            with self._lock:
                hit = self._atlases.get_recent(key)
            if hit is not None:  # built by another thread while this one waited
                return hit
            living = self._fold(base, store, asof) if register == BUILT_IN else None
            shown = shown_atlas(register, store=store, asof=asof, base=base, living=living,
                                revision=revision)
            with self._lock:
                self._atlases.put(key, shown)
            return shown

    def _fold(self, base: Atlas, store: AtlasStore | None, asof: str | None) -> LivingFold:
        """The kept fold of the built-in register over `base` as of `asof` (a new one the
        first time); the caller brings it up to the store's log."""
        curated = self._curated.get_recent(base.data_version)
        if curated is None or curated.projects is not base.projects:
            curated = curated_seed(base.projects, base.data_version)
            self._curated.put(base.data_version, curated)
        key = (base.data_version, self._store_key(store), asof)
        living = self._folds.get_recent(key)
        if living is None or living.curated is not curated:
            living = LivingFold(asof, curated)
            self._folds.put(key, living)
        return living

    def clear(self) -> None:
        """Forget every atlas and fold (a test's fresh start)."""
        with self._build, self._lock:
            self._atlases.clear()
            self._folds.clear()
            self._curated.clear()
            self._bases.clear()


#: The process's one cache: every page, request and command of this process reads through it.
ATLASES = AtlasCache()
