"""How the 2025 programme moved: how many projects stood in each stage, month by month.

The counts come from the living register's change log (:func:`app.data.living.stage_counts`,
the same fold the map shows "as of" a day), taken on the last day of each month -- or today for
the month under way. A project counts from the day it was first seeded; its stage on a day is
the last stage entry dated on or before it. Groups (a layer, a report section) are the curated
register's, which the change log does not track.

Pure: no store and no streamlit; the page passes the change log and draws the frame.

>>> from app.data.living import change_row
>>> log = pd.DataFrame([
...     change_row(1, "a", "seed", {}, {"stages": [{"stage": "planning", "date": "2025-01-08",
...                "source": "report"}]}, effective="2025-01-08"),
...     change_row(2, "a", "planner", {}, {"stage_entry": {"stage": "construction",
...                "date": "2025-03-10", "source": "site notice"}}, effective="2025-03-12")])
>>> counts = stage_progress(log, {"a": "renewal"}, ["2025-02-28", "2025-03-31"])
>>> counts[["date", "group", "stage", "count"]].values.tolist()
[['2025-02-28', 'renewal', 'planning', 1], ['2025-03-31', 'renewal', 'construction', 1]]
>>> len(stage_progress(log, {}, ["2024-12-31"]))
0
"""

from __future__ import annotations

import calendar
from collections.abc import Iterable, Mapping
from datetime import date

import pandas as pd

from app.data.living import STAGE_ORDER, stage_counts

__all__ = ["PROGRESS_COLUMNS", "STAGE_COLOURS", "UNKNOWN_STAGE", "month_ends", "stage_progress"]

#: What a project without any stage entry that day counts as.
UNKNOWN_STAGE = "unknown"

#: One colour per stage (and the unknown), the same in every chart: early stages cool, built
#: ones warm to green, a pause grey (ColorBrewer-like hues, readable on white).
STAGE_COLOURS: dict[str, str] = {
    "planning": "#9ecae1", "preparation": "#4292c6", "construction": "#f28e2b",
    "completed": "#59a14f", "operating": "#1b7837", "ongoing": "#b07aa1", "paused": "#8c8c8c",
    UNKNOWN_STAGE: "#d9d9d9",
}

#: The columns of :func:`stage_progress`'s frame.
PROGRESS_COLUMNS: tuple[str, ...] = ("date", "group", "stage", "order", "count")


def month_ends(year: int = 2025, today: date | None = None) -> list[str]:
    """The last day of each month of `year` (``YYYY-MM-DD``), the month under way ending
    `today` and later months left out (default: no cut).

    >>> month_ends(2025)[:2], len(month_ends(2025))
    (['2025-01-31', '2025-02-28'], 12)
    >>> month_ends(2025, date(2025, 3, 15))
    ['2025-01-31', '2025-02-28', '2025-03-15']
    >>> month_ends(2025, date(2024, 12, 31))
    []
    """
    out = []
    for month in range(1, 13):
        end = date(year, month, calendar.monthrange(year, month)[1])
        if today is not None and end > today:
            if date(year, month, 1) <= today:
                out.append(today.isoformat())
            break
        out.append(end.isoformat())
    return out


def stage_progress(changes: pd.DataFrame, groups: Mapping[str, str] | None,
                   days: Iterable[str]) -> pd.DataFrame:
    """How many projects stood in each stage on each of `days`, per group: columns
    :data:`PROGRESS_COLUMNS` (``order`` = the stage's place in :data:`STAGE_ORDER`, the unknown
    last), sorted by date, group and stage order; stages nobody was in are left out.

    `groups` maps project ids to a group (a layer id, a report section); a project it does not
    name is in group ``""``; None puts every project in group ``""``.

    >>> empty = pd.DataFrame(columns=["id", "project_id", "source", "new", "status", "effective"])
    >>> list(stage_progress(empty, None, ["2025-01-31"]).columns)
    ['date', 'group', 'stage', 'order', 'count']
    """
    days = list(days)
    if not days or changes is None or not len(changes):
        return pd.DataFrame({c: pd.Series(dtype="int64" if c in ("order", "count") else object)
                             for c in PROGRESS_COLUMNS})
    by = pd.Series(dict(groups or {}), dtype=object)
    counts = stage_counts(changes, days, by=by)
    if counts.empty:
        counts = pd.DataFrame(columns=["date", "stage", "group", "count"])
    counts["group"] = counts["group"].fillna("").astype(str)
    rank = {stage: i for i, stage in enumerate((*STAGE_ORDER, UNKNOWN_STAGE))}
    counts["order"] = counts["stage"].map(rank).fillna(len(rank)).astype("int64")
    counts["count"] = counts["count"].astype("int64")
    counts = counts.sort_values(["date", "group", "order"], kind="stable")
    return counts[list(PROGRESS_COLUMNS)].reset_index(drop=True)
