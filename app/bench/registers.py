"""Living registers at city scale, made from the real one: the report's entries repeated under
new ids, and a change log over them with planners' edits and dated stages. Deterministic.

:func:`repeated_projects` is what a ``register.toml`` of `n` entries would load as (each
entry a copy of a real one, ``<id>-r<k>``); :func:`living_log` is the change log a store
holds for it, in the store's row format: the first seed (:func:`app.data.living.seed_values`,
recorded with :func:`app.data.living.seed_reason`), each project's later stages as planners
record them (dated stage entries, `stages` in all with the seed's), and accepted planner edits
of `edit_share` of the projects: attributes, or a drawn site outline.

>>> from app.data.atlas import load_atlas
>>> base = load_atlas().projects
>>> projects = repeated_projects(base, 100)
>>> len(projects), projects["id"].is_unique, projects["id"].iloc[50]
(100, True, 'park-24h-opening-r50')
>>> log = living_log(projects, "v1", edit_share=0.1, stages=5)
>>> len(log), int((log["source"] == "planner").sum())
(510, 410)
>>> len(repeated_projects(base, 0))
0
"""

from __future__ import annotations

import json

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from app.data.living import (
    CHANGE_COLUMNS,
    SEED_DATE,
    STAGE_ORDER,
    geometry_wkt,
    seed_reason,
    seed_values,
)

__all__ = ["living_log", "one_edit", "repeated_projects"]

#: Days the generated stage entries and edits take effect, after the report's date.
_DAYS = pd.date_range("2025-01-09", "2025-11-30", freq="D").strftime("%Y-%m-%d").tolist()


def repeated_projects(projects: gpd.GeoDataFrame, n: int) -> gpd.GeoDataFrame:
    """`n` projects made by repeating the rows of `projects` in order, project ``k`` taking
    the id ``<id>-r<k>``; everything else, geometry and search text included, as it was."""
    if not len(projects):
        raise ValueError("there are no projects to repeat")
    take = np.arange(n) % len(projects)
    out = projects.iloc[take].reset_index(drop=True).copy()
    out["id"] = [f"{pid}-r{k}" for k, pid in enumerate(out["id"].astype(str))]
    return out


def _row(id_: int, pid: str, source: str, new: dict, effective: str, *,
         reason: str = "bench") -> dict[str, object]:
    return {"id": id_, "register": "", "project_id": pid, "source": source,
            "actor": "seed" if source == "seed" else "planner-bench",
            "at": f"{effective}T02:00:00+00:00", "reason": reason, "old": "{}",
            "new": json.dumps(new, ensure_ascii=False, sort_keys=True), "status": "accepted",
            "effective": effective, "reviewed_by": None, "reviewed_at": None,
            "review_reason": None, "version": 1}


def living_log(projects: gpd.GeoDataFrame, data_version: str, *, edit_share: float = 0.1,
               stages: int = 5, seed: int = 0) -> pd.DataFrame:
    """The change log of a living register over the curated `projects` of `data_version` (see
    the module docstring): ids from 1, the seed first, then the edits in the order made."""
    rng = np.random.default_rng(seed)
    values = seed_values(projects)
    why = seed_reason(data_version)
    rows = [_row(n + 1, pid, "seed", v, SEED_DATE, reason=why) for n, (pid, v) in enumerate(values.items())]
    ids = list(values)
    days = np.sort(rng.integers(0, len(_DAYS), size=(len(ids), max(stages - 1, 0))), axis=1)
    for step in range(days.shape[1]):
        for k, pid in enumerate(ids):
            day = _DAYS[days[k, step]]
            entry = {"stage": STAGE_ORDER[(step + 1) % 5], "date": day, "source": "site notice"}
            rows.append(_row(len(rows) + 1, pid, "planner", {"stage_entry": entry}, day))
    edited = rng.choice(len(ids), size=int(round(len(ids) * edit_share)), replace=False)
    for k in edited.tolist():
        pid, day = ids[k], _DAYS[int(rng.integers(len(_DAYS)))]
        if k % 2:
            new: dict[str, object] = {"lead_agency": f"区建管委 {k}", "target_date": "2026-06-30"}
        else:
            x, y = 121.36 + rng.uniform(0, 0.07), 31.19 + rng.uniform(0, 0.03)
            new = {"geometry": geometry_wkt(shapely.box(x, y, x + 0.001, y + 0.0008)),
                   "precision": "site", "pos_method": "drawn"}
        rows.append(_row(len(rows) + 1, pid, "planner", new, day))
    return pd.DataFrame(rows, columns=list(CHANGE_COLUMNS))


def one_edit(log: pd.DataFrame, project_id: str, *, effective: str = "2025-12-01") -> pd.DataFrame:
    """`log` with one more accepted planner edit of `project_id` (a new lead agency)."""
    rid = int(log["id"].max()) + 1 if len(log) else 1
    row = _row(rid, project_id, "planner", {"lead_agency": f"edit {rid}"}, effective)
    return pd.concat([log, pd.DataFrame([row], columns=list(CHANGE_COLUMNS))], ignore_index=True)
