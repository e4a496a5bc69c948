"""The atlas as users see it: one function behind the app's pages and every CLI command.

:func:`shown_atlas` starts from the curated data (``geodata/`` and ``layers/``), swaps in a
saved register when one is named, and applies the accepted field corrections of the store. The
map, the field and review pages, the downloads, ``export`` and ``nearest`` all read the atlas it
returns, so after a reviewer accepts a moved position the app and the CLI give the same
distances and the same files.

A saved register's rows go through the same layer specs as the built-in ones; a row whose
layer the specs do not know is shown in :data:`app.io.importer.DEFAULT_LAYER` and its id is
listed in :attr:`ShownAtlas.defaulted`, so the page can say so.

The built-in register is the living one (:mod:`app.data.living`): its projects are folded
from the store's change log -- seed and planners' accepted edits -- and ``asof`` shows them as
they stood on a day. Saved (imported) registers are shown as saved; ``asof`` does not apply.

Every atlas shown carries each project's ``progress`` against its report action and its
``days_since_update`` (:mod:`app.service.supervision`), as of the day shown -- `asof`, or today
in the district.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from pathlib import Path

import geopandas as gpd
import pandas as pd

from app.data.atlas import PROJECT_COLUMNS, Atlas, load_atlas
from app.data.living import LivingFold, check_date, curated_seed, fold
from app.domain.filters import search_text
from app.domain.viewstate import district_today
from app.errors import StoreError
from app.io.importer import DEFAULT_LAYER
from app.service.living import living_changes
from app.service.supervision import with_progress
from app.store import AtlasStore, apply_field_updates, check_register_name

__all__ = ["BUILT_IN", "ShownAtlas", "living_atlas", "refresh_fold", "register_atlas", "shown_atlas",
           "version_diff"]

#: The name that stands for the curated register of ``geodata/`` (no saved register).
BUILT_IN = ""


@dataclass(frozen=True)
class ShownAtlas:
    """An atlas as shown, with where it came from.

    ``register`` is the saved register's name, or :data:`BUILT_IN`; ``defaulted`` the ids of
    rows whose layer was unknown and that are shown in :data:`~app.io.importer.DEFAULT_LAYER`.
    """

    atlas: Atlas
    register: str = BUILT_IN
    defaulted: tuple[str, ...] = ()


def _with_columns(frame: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """`frame` with every project column (missing text columns empty), WGS-84, fresh index."""
    out = frame.reset_index(drop=True).copy()
    for column in PROJECT_COLUMNS:
        if column not in out.columns:
            out[column] = ([[] for _ in range(len(out))] if column in ("aliases", "pos_refs")
                           else None if column == "uncertainty_m" else "")
    geometry = out.geometry if isinstance(out, gpd.GeoDataFrame) and out.geometry.name in out \
        else gpd.GeoSeries([None] * len(out))
    data = pd.DataFrame(out[list(PROJECT_COLUMNS)])
    data["target_year"] = pd.to_numeric(data["target_year"], errors="coerce").astype("Int64")
    data["uncertainty_m"] = pd.to_numeric(data["uncertainty_m"], errors="coerce").astype(float)
    return gpd.GeoDataFrame(data, geometry=gpd.GeoSeries(list(geometry), crs="EPSG:4326"),
                            crs="EPSG:4326")


def register_atlas(base: Atlas, frame: gpd.GeoDataFrame, name: str) -> ShownAtlas:
    """`base` showing the saved register `frame` (named `name`) instead of its own projects.

    Places, layer specs and vocabularies stay those of `base`. Rows whose layer is not a project
    layer of `base` go to :data:`~app.io.importer.DEFAULT_LAYER` (category cleared when that
    layer's legend does not know it) and are listed in ``defaulted``. The data version names the
    register, so caches keyed on it never mix two registers.

    >>> from shapely import Point
    >>> base = load_atlas()
    >>> rows = gpd.GeoDataFrame({"id": ["a", "b"], "name_zh": ["甲", "乙"], "name_en": ["A", "B"],
    ...                          "layer": ["renewal", "no-such-layer"]},
    ...                         geometry=[Point(121.41, 31.21), None], crs="EPSG:4326")
    >>> shown = register_atlas(base, rows, "district-2025")
    >>> shown.atlas.projects["layer"].tolist(), shown.defaulted
    (['renewal', 'renewal'], ('b',))
    >>> shown.atlas.data_version.startswith("district-2025-")
    True
    >>> register_atlas(base, rows, "../x")
    Traceback (most recent call last):
    app.errors.SubmissionError: register name must be letters, digits, - or _, got '../x'
    """
    check_register_name(name)
    projects = _with_columns(frame)
    known = {s.id for s in base.project_layers}
    unknown = ~projects["layer"].isin(known)
    defaulted = tuple(str(pid) for pid in projects.loc[unknown, "id"])
    if unknown.any():
        legend = base.spec(DEFAULT_LAYER).legend_values()
        projects.loc[unknown, "layer"] = DEFAULT_LAYER
        projects.loc[unknown & ~projects["category"].isin(legend), "category"] = ""
    projects["search_text"] = search_text(
        projects, {pid: (p.name_zh, p.name_en, *p.aliases) for pid, p in base.places.items()})
    atlas = replace(base, projects=projects, data_version=f"{name}-{base.data_version}")
    return ShownAtlas(atlas, name, defaulted)


def _position(log: pd.DataFrame) -> int:
    """The change log's position (its last id; 0 for none or only an in-memory seed)."""
    last = int(log["id"].max()) if len(log) else 0
    return last if last > 0 else 0


def refresh_fold(living: LivingFold, base: Atlas, store: AtlasStore | None) -> int:
    """Bring `living` (a fold of the built-in register over `base`) up to the store's change
    log, reading only the rows of the projects changed since it last read (all of them the
    first time, or when the store was never seeded); return the log's position.

    >>> base = load_atlas()
    >>> living = LivingFold(None, curated_seed(base.projects, base.data_version))
    >>> refresh_fold(living, base, None), len(living.values) == len(base.projects)
    (0, True)
    """
    index = store.change_index(register="") if store is not None else None
    stale = living.stale(index) if index is not None else None
    if stale is None:
        log = living_changes(store, base)
        living.update(log)
        return _position(log)
    if stale:
        living.update(store.changes(register="", project_ids=sorted(stale)), index)
    return _position(index)


def living_atlas(base: Atlas, store: AtlasStore | None, asof: str | None = None, *,
                 log: pd.DataFrame | None = None, living: LivingFold | None = None) -> Atlas:
    """`base` with its projects as the living register has them (on `asof`, or now).

    The data version names the day when one is given, so caches keep the two apart. `log` is
    the change log when the caller has already read it; otherwise it is read from `store`.
    `living` is a fold kept by the caller (:class:`~app.data.living.LivingFold` as of the same
    day): it is brought up to the store's log reading only what changed since, and its
    projects are rebuilt only where they changed (see :mod:`app.service.atlas_cache`).

    >>> base = load_atlas()
    >>> early = living_atlas(base, None, "2024-12-31")
    >>> len(early.projects), early.data_version.endswith("@2024-12-31")
    (0, True)
    >>> len(living_atlas(base, None).projects) == len(base.projects)
    True
    """
    if asof is not None:
        asof = check_date(asof, "the as-of date")
    if living is None:
        living = LivingFold(asof, curated_seed(base.projects, base.data_version))
        if log is None:
            log = living_changes(store, base)
    elif living.asof != asof:
        raise ValueError(f"the fold is as of {living.asof}, not {asof}")
    if log is not None:
        living.update(log)
        position = _position(log)
    else:
        position = refresh_fold(living, base, store)
    projects = gpd.GeoDataFrame(living.projects(base.projects), geometry="geometry", crs="EPSG:4326")
    version = f"{base.data_version}~{position}" + (f"@{asof}" if asof else "")
    return replace(base, projects=projects, data_version=version)


#: A data version as :func:`living_atlas` writes it: the curated data's hash, the change log's
#: position, the as-of day, the store's revision (field corrections).
_VERSION = re.compile(r"(?P<data>[0-9a-f]{6,64})~(?P<log>\d{1,12})(?:@\d{4}-\d{2}-\d{2})?(?:\+\d{1,12})?")


def version_diff(base: Atlas, store: AtlasStore | None, old_version: str, *,
                 log: pd.DataFrame | None = None) -> dict[str, int] | None:
    """What changed in the built-in register since the data version `old_version` (from a
    link): how many projects were added, moved, otherwise changed and removed, comparing the
    change log up to the link's position with the whole log. None when the link's version is
    not one this atlas wrote, or its curated data differs (the log cannot say what changed).

    >>> base = load_atlas()
    >>> version_diff(base, None, living_atlas(base, None).data_version)
    {'added': 0, 'moved': 0, 'changed': 0, 'removed': 0}
    >>> version_diff(base, None, "![x](http://evil)") is None
    True
    """
    match = _VERSION.fullmatch(str(old_version)[:120])
    if match is None or match["data"] != base.data_version:
        return None
    if log is None:
        log = living_changes(store, base)
    then = fold(log[log["id"] <= int(match["log"])])
    now = fold(log)
    skip = {"edit_version"}
    moved = sum(1 for pid in now.keys() & then.keys()
                if now[pid].get("geometry") != then[pid].get("geometry"))
    changed = sum(1 for pid in now.keys() & then.keys()
                  if now[pid].get("geometry") == then[pid].get("geometry") and any(
                      now[pid].get(k) != then[pid].get(k) for k in (now[pid].keys() | then[pid].keys()) - skip))
    return {"added": len(now.keys() - then.keys()), "moved": moved, "changed": changed,
            "removed": len(then.keys() - now.keys())}


def shown_atlas(register: str = BUILT_IN, *, store: AtlasStore | None = None,
                asof: str | None = None, base: Atlas | None = None,
                data_dir: Path | None = None, layers_dir: Path | None = None,
                log: pd.DataFrame | None = None, living: LivingFold | None = None,
                revision: int | None = None) -> ShownAtlas:
    """The atlas users see: the built-in (living) register, as of `asof` when given, or the
    saved `register`, with the accepted field corrections of `store` applied.

    `base` is the loaded curated atlas when the caller already has it (the app caches it);
    otherwise it is loaded from `data_dir` / `layers_dir`. Without a store nothing is applied
    and only the built-in register can be shown. `living` is a fold the caller keeps (see
    :func:`living_atlas`); `revision` the store's revision when the caller has just read it
    (it is not read again).

    >>> shown = shown_atlas()
    >>> shown.register, len(shown.atlas.projects) > 0, shown.defaulted
    ('', True, ())
    >>> shown_atlas("district-2025")
    Traceback (most recent call last):
    app.errors.StoreError: register 'district-2025' needs a store, and none exists yet (run `python -m app store init`)
    """
    if base is None:
        base = load_atlas(data_dir, layers_dir)
    decided = None
    if register == BUILT_IN:
        if living is None:
            if asof is not None:
                asof = check_date(asof, "the as-of date")
            living = LivingFold(asof, curated_seed(base.projects, base.data_version))
            if log is None:
                log = living_changes(store, base)
        shown = ShownAtlas(living_atlas(base, store, asof, log=log, living=living))
        decided = living.decided
    elif store is None:
        raise StoreError(f"register {register!r} needs a store, and none exists yet "
                         "(run `python -m app store init`)")
    else:
        shown = register_atlas(base, store.load_register(register), register)
    # progress against the report's targets, on the day shown
    day = asof if register == BUILT_IN and asof else district_today().isoformat()
    # (the day of each project's last planner change: from the log read here, else the fold's)
    updates = (log if log is not None else living.updated) if register == BUILT_IN else None
    shown = replace(shown, atlas=with_progress(shown.atlas, day, log=updates))
    if store is None:
        return shown
    # a field correction and a planner's position: the later decision wins (and as of a day,
    # only what was decided by then)
    return replace(shown, atlas=apply_field_updates(shown.atlas, store, register,
                                                    asof=asof if register == BUILT_IN else None,
                                                    decided=decided, revision=revision))
