"""The living register's fold as it was first written (a per-row Python loop writing one cell
at a time), kept as the oracle the linear fold of :mod:`app.data.living` is checked against.
Not used by the app."""

from __future__ import annotations

import json

import geopandas as gpd
import pandas as pd
import shapely

from app.data.living import LIVING_COLUMNS, _accepted, site_area_m2, stage_on


def fold(changes: pd.DataFrame, asof: str | None = None) -> dict[str, dict[str, object]]:
    """Each project's values as of `asof` (``YYYY-MM-DD``; None: now) from the change log.

    Seed values first, then accepted planner edits over them (an edit wins over any seed);
    ``stages`` is the seed's entries and every accepted planner entry, in date order, kept to
    those dated on or before `asof`; ``status`` and ``stage_date`` are the stage then in force.
    Retired projects and projects first seeded after `asof` are absent. ``edit_version`` is
    the id of the project's last change of any status (what a planner's save is checked against).
    """
    seed: dict[str, dict[str, object] | None] = {}
    overlay: dict[str, dict[str, object]] = {}
    added: dict[str, list[dict[str, str]]] = {}
    rows = _accepted(changes, None)
    for row in rows:
        pid = row["project_id"]
        new = json.loads(row["new"])
        if row["source"] != "seed":
            entry = new.pop("stage_entry", None)
            if entry:
                added.setdefault(pid, []).append(entry)
        if asof is not None and str(row["effective"]) > asof:
            continue
        if row["source"] == "seed":
            if new.get("_retired"):
                seed[pid] = None
            else:
                seed[pid] = {**(seed.get(pid) or {}), **new}
        else:
            overlay.setdefault(pid, {}).update(new)
    versions: dict[str, int] = {}
    if changes is not None and len(changes):
        versions = {str(k): int(v) for k, v in changes.groupby("project_id")["id"].max().items()}
    out: dict[str, dict[str, object]] = {}
    for pid, values in seed.items():
        if values is None:
            continue
        merged = {**values, **overlay.get(pid, {})}
        stages = [*values.get("stages", []), *added.get(pid, [])]
        day = asof or "9999-12-31"
        stages = sorted((s for s in stages if s["date"] <= day), key=lambda s: s["date"])
        merged["stages"] = stages
        current = stage_on(stages, asof)
        merged["status"] = current["stage"] if current else ""
        merged["stage_date"] = current["date"] if current else ""
        merged["edit_version"] = versions.get(pid, 0)
        out[pid] = merged
    return out


def apply_living(projects: gpd.GeoDataFrame, changes: pd.DataFrame,
                 asof: str | None = None) -> gpd.GeoDataFrame:
    """`projects` as the change log says they stand on `asof` (None: now): rows absent that
    day dropped, tracked fields and :data:`LIVING_COLUMNS` set from :func:`fold`, the site area
    computed from the geometry. `projects` is not modified.
    """
    state = fold(changes, asof)
    keep = projects["id"].astype(str).isin(state)
    out = projects[keep].copy()
    missing = [pid for pid in state if pid not in set(out["id"].astype(str))]
    if missing:  # dropped by a newer seed, shown as they stood: rebuilt from their logged values
        rows = pd.DataFrame([{c: state[pid].get(c) for c in out.columns if c != out.geometry.name}
                             for pid in missing])
        rows["id"] = missing
        if "search_text" in rows:
            rows["search_text"] = [" ".join(str(state[p].get(k) or "") for k in ("name_zh", "name_en")).lower()
                                   for p in missing]
        name = out.geometry.name
        rows[name] = gpd.GeoSeries([None] * len(rows), crs="EPSG:4326")
        out = gpd.GeoDataFrame(pd.concat([out, gpd.GeoDataFrame(rows, geometry=name, crs="EPSG:4326")],
                                         ignore_index=True), geometry=name, crs="EPSG:4326")
    for column in LIVING_COLUMNS:
        out[column] = None
    index = dict(zip(out["id"].astype(str), out.index, strict=True))
    geometries = list(out.geometry)
    positions = {i: n for n, i in enumerate(out.index)}
    for pid, values in state.items():
        i = index.get(pid)
        if i is None:
            continue
        for name, value in values.items():
            if name == "geometry":
                geometries[positions[i]] = shapely.from_wkt(value) if value else None
            elif name in out.columns or name in ("status", "stage_date"):
                out.at[i, name] = list(value) if isinstance(value, list) else value
        # a site's area only: an area-precision outline (a zone, a programme) is not a site
        site = values.get("precision", out.at[i, "precision"]) == "site"
        out.at[i, "site_area_m2"] = site_area_m2(geometries[positions[i]]) if site else None
    out = out.set_geometry(gpd.GeoSeries(geometries, index=out.index, crs="EPSG:4326"))
    for column in ("start_date", "target_date", "lead_agency"):
        out[column] = out[column].fillna("")
    out["links"] = [v if isinstance(v, list) else [] for v in out["links"]]
    out["stages"] = [v if isinstance(v, list) else [] for v in out["stages"]]
    out["stage_date"] = out["stage_date"].fillna("")
    out["edit_version"] = out["edit_version"].fillna(0).astype(int)
    out["site_area_m2"] = pd.to_numeric(out["site_area_m2"], errors="coerce")
    if "uncertainty_m" in out.columns:
        out["uncertainty_m"] = pd.to_numeric(out["uncertainty_m"], errors="coerce").astype(float)
    if "target_year" in out.columns:
        out["target_year"] = pd.to_numeric(out["target_year"], errors="coerce").astype("Int64")
    return out.reset_index(drop=True)


