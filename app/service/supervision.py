"""Implementation supervision (实施监督): each project's progress against its report action.

The work report is a list of promises for a year: 开工, 竣工, 开放, 开学… (part "二、2025年主要任务";
section 一, "集中精力抓好稳增长工作", asks for 目标任务的跟踪调度和督查落实). Each action has a
goal in the vocabulary (``geodata/vocabulary.toml``: the stages whose dated entry shows it done,
:class:`app.data.register.Goal`), each project a target day -- its ``target_date``, else the end
of its ``target_year`` -- and a dated stage history. From those, on any day, every project has
a ``progress`` (:data:`app.domain.model.PROGRESS`):

``done``
    a stage entry reaching the goal is recorded, dated on or before the day (for goals that ask
    for a step forward, dated after the report as well); a register without stage history (a
    saved import) counts its status;
``target_passed``
    the target day has passed and no stage reaching the goal is recorded -- what the record
    says, not a verdict on the work;
``due_soon``
    the target day is at most :func:`due_soon_days` days ahead (default 60);
``on_track``
    the target day is further ahead;
``no_target``
    no target day (or an action without a goal: nothing to measure against).

``days_since_update`` is how many days before the day the project's record last moved: its last
stage entry dated on or before the day, or the last accepted planner change in force by then.

Everything is computed from the folded atlas -- the columns ``action``, ``stages``,
``target_date`` and ``target_year`` that :func:`app.service.atlas.shown_atlas` gives -- and the
change log, column-wise: 100,000 projects with a million stage entries take well under a second
(``python -m app.bench supervision``).

>>> import pandas as pd
>>> from app.data.register import Goal, Vocabulary
>>> vocab = Vocabulary(statuses={}, actions={"竣工": "complete"}, labels={},
...                    goals={"竣工": Goal(("completed", "operating"))})
>>> frame = pd.DataFrame({"id": ["a", "b"], "action": ["竣工", "竣工"],
...     "target_date": ["", ""], "target_year": pd.array([2025, None], dtype="Int64"),
...     "stages": [[{"stage": "construction", "date": "2025-01-08", "source": "report"}], []]})
>>> [progress_frame(frame, vocab, day)["progress"].tolist()
...  for day in ("2025-06-01", "2025-11-15", "2026-01-01")]
[['on_track', 'no_target'], ['due_soon', 'no_target'], ['target_passed', 'no_target']]
>>> progress_frame(frame, vocab, "2025-06-01")["days_since_update"].tolist()
[144, <NA>]
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import replace

import numpy as np
import pandas as pd

from app.data.atlas import Atlas
from app.data.living import SEED_DATE, check_date
from app.data.register import Vocabulary
from app.domain.model import PROGRESS
from app.errors import SubmissionError

__all__ = [
    "DUE_SOON_DAYS",
    "DUE_SOON_ENV",
    "PROGRESS_COLUMNS",
    "SUPERVISION_COLUMNS",
    "due_soon_days",
    "progress_counts",
    "progress_frame",
    "supervision_rows",
    "with_progress",
]

#: Days before its target day from which a project is ``due_soon``, unless configured.
DUE_SOON_DAYS = 60
#: The environment variable that sets that window (whole days, 1-366).
DUE_SOON_ENV = "ATLAS_DUE_SOON_DAYS"

#: The columns :func:`with_progress` adds to the atlas's projects (exported, filterable).
PROGRESS_COLUMNS: tuple[str, ...] = ("progress", "days_since_update")

#: The columns of :func:`progress_frame`.
SUPERVISION_COLUMNS: tuple[str, ...] = (
    "progress", "days_since_update", "target_day", "days_past_target", "goal_date",
    "last_stage", "last_stage_date", "last_stage_source", "last_update")

_NAT = np.datetime64("NaT", "D")
#: Packing a stage entry's day and its place in its list into one int64 (days from 1900 on).
_SLOTS = 1 << 20
_EPOCH_FLOOR = np.datetime64("1900-01-01", "D").astype(np.int64)


def due_soon_days(settings: Mapping[str, object] | None = None) -> int:
    """The ``due_soon`` window in days: `settings` ``due_soon_days`` when given, else
    ``$ATLAS_DUE_SOON_DAYS``, else :data:`DUE_SOON_DAYS`.

    >>> due_soon_days({}), due_soon_days({"due_soon_days": 30})
    (60, 30)
    >>> due_soon_days({"due_soon_days": "two months"})
    Traceback (most recent call last):
    app.errors.SubmissionError: the due-soon window (ATLAS_DUE_SOON_DAYS) must be a whole number of days from 1 to 366, got 'two months'
    """
    raw = (settings or {}).get("due_soon_days") or os.environ.get(DUE_SOON_ENV) or DUE_SOON_DAYS
    text = str(raw).strip()[:20]
    if not text.isdigit() or not 1 <= int(text) <= 366:
        raise SubmissionError(f"the due-soon window ({DUE_SOON_ENV}) must be a whole number of days "
                              f"from 1 to 366, got {text!r}")
    return int(text)


def _days(values: np.ndarray) -> np.ndarray:
    """``YYYY-MM-DD`` texts (or empty, or None) as datetime64[D]; anything unreadable NaT."""
    text = np.asarray(values, dtype=object)
    try:
        return text.astype("datetime64[D]")  # numpy reads ISO days (and "" or None as NaT) fast
    except (ValueError, TypeError):
        days = pd.to_datetime(pd.Series(text, dtype=object), format="%Y-%m-%d", errors="coerce")
        return days.to_numpy(dtype="datetime64[D]")


def _text_day(days: np.ndarray) -> np.ndarray:
    """datetime64[D] as ``YYYY-MM-DD`` text, ``""`` for NaT."""
    text = np.datetime_as_string(days, unit="D").astype(object)
    text[np.isnat(days)] = ""
    return text


def _nullable(values: np.ndarray, missing: np.ndarray) -> pd.arrays.IntegerArray:
    """Whole numbers with gaps (pandas' Int64): `values` where not `missing`."""
    return pd.arrays.IntegerArray(np.where(missing, 0, values).astype(np.int64),
                                  np.asarray(missing, dtype=bool))


def _entries(stages: pd.Series) -> tuple[list, np.ndarray, np.ndarray, np.ndarray]:
    """The stage histories flattened: (the lists, each entry's stage, each entry's day as
    datetime64[D], how many entries each project has)."""
    lists = [h if isinstance(h, list | tuple) else () for h in stages.tolist()]
    counts = np.fromiter(map(len, lists), np.int64, len(lists))
    try:  # entries as the living register records them
        names = [e["stage"] for entries in lists for e in entries]
        dates = [e["date"] for entries in lists for e in entries]
    except (KeyError, TypeError):  # anything else: what can be read of it
        names = [e.get("stage", "") if isinstance(e, dict) else "" for entries in lists for e in entries]
        dates = [e.get("date", "") if isinstance(e, dict) else "" for entries in lists for e in entries]
    names_arr = np.empty(len(names), dtype=object)
    names_arr[:] = names
    dates_arr = np.empty(len(dates), dtype=object)
    dates_arr[:] = dates
    return lists, names_arr, _days(dates_arr), counts


def _segment_best(values: np.ndarray, counts: np.ndarray, pick: str) -> np.ndarray:
    """Per project, the max or min of `values` over its own entries (projects without any get
    -1 for max, the largest int64 for min); entries are contiguous per project, in order."""
    n = len(counts)
    fill = np.int64(-1) if pick == "max" else np.iinfo(np.int64).max
    out = np.full(n, fill, dtype=np.int64)
    some = counts > 0
    if some.any():
        starts = (np.cumsum(counts) - counts)[some]
        reduce = np.maximum if pick == "max" else np.minimum
        out[some] = reduce.reduceat(values, starts)
    return out


def _target_days(projects: pd.DataFrame) -> np.ndarray:
    """Each project's target day: its ``target_date``, else 31 December of its ``target_year``."""
    n = len(projects)
    dates = (projects["target_date"] if "target_date" in projects else pd.Series([""] * n)).to_numpy(dtype=object)
    out = _days(dates)
    if "target_year" in projects:
        years = pd.to_numeric(projects["target_year"], errors="coerce").to_numpy(dtype=float, na_value=np.nan)
        use = np.isnat(out) & np.isfinite(years) & (years >= 2000) & (years <= 2100)
        if use.any():
            ends = np.char.add(years[use].astype(np.int64).astype(str), "-12-31")
            out[use] = ends.astype("datetime64[D]")
    return out


def _planner_days(log: pd.DataFrame | Mapping[str, str] | None, ids: np.ndarray,
                  day: str) -> np.ndarray:
    """Per project (`ids`), the day of its last accepted planner change in force on `day`:
    from the change `log`, or from a mapping of project id to that day (what a kept fold
    knows: :attr:`app.data.living.LivingFold.updated`)."""
    out = np.full(len(ids), np.iinfo(np.int64).min, dtype=np.int64)
    if isinstance(log, Mapping):
        known = [log.get(pid) for pid in ids.tolist()]
        days = _days(np.array([d if d is not None and d <= day else None for d in known], dtype=object))
        return days.astype("datetime64[D]")
    if log is None or not len(log):
        return out.astype("datetime64[D]")
    keep = ((log["status"] == "accepted") & (log["source"] != "seed")).to_numpy(dtype=bool)
    effective = _days(log["effective"].to_numpy(dtype=object, na_value=None)[keep]).astype(np.int64)
    rows = pd.Index(ids, dtype=object).get_indexer(log["project_id"].to_numpy(dtype=object)[keep])
    use = (rows >= 0) & (effective <= np.datetime64(day, "D").astype(np.int64)) & (
        effective != np.iinfo(np.int64).min)
    np.maximum.at(out, rows[use], effective[use])
    return out.astype("datetime64[D]")


def progress_frame(projects: pd.DataFrame, vocab: Vocabulary, day: str, *,
                   log: pd.DataFrame | Mapping[str, str] | None = None, window: int = DUE_SOON_DAYS,
                   detail: bool = True) -> pd.DataFrame:
    """Each project's progress on `day` (``YYYY-MM-DD``), with what a supervision report shows
    beside it: :data:`SUPERVISION_COLUMNS` (`detail` False: :data:`PROGRESS_COLUMNS` only),
    indexed like `projects`.

    `projects` has the folded atlas's columns ``id``, ``action``, ``stages`` (entries dated
    after `day` are ignored), ``target_date``, ``target_year``; `log` is the change log (for
    the last planner change), or what a kept fold knows of it (project id -> the day its last
    planner change holds from; :attr:`app.data.living.LivingFold.updated`); None: stages only; `window` the ``due_soon`` window in days.
    ``days_past_target`` counts the days since the target day of a ``target_passed``
    project; ``goal_date`` is the day the goal was first reached; ``last_stage``,
    ``last_stage_date`` and ``last_stage_source`` are the last stage entry dated on or before
    `day`; ``last_update`` is the day ``days_since_update`` counts from.

    >>> from app.data.register import Goal, Vocabulary
    >>> vocab = Vocabulary(statuses={}, actions={"推进": "advance"}, labels={},
    ...                    goals={"推进": Goal(("planning", "ongoing"), after_report=True)})
    >>> frame = pd.DataFrame({"id": ["p"], "action": ["推进"], "target_date": ["2025-09-30"],
    ...     "target_year": pd.array([None], dtype="Int64"),
    ...     "stages": [[{"stage": "ongoing", "date": "2025-01-08", "source": "report"},
    ...                 {"stage": "ongoing", "date": "2025-05-20", "source": "site visit"}]]})
    >>> row = progress_frame(frame, vocab, "2025-05-19").iloc[0]
    >>> row["progress"], row["last_stage_date"]  # the report's own entry is no step forward
    ('on_track', '2025-01-08')
    >>> row = progress_frame(frame, vocab, "2025-12-01").iloc[0]
    >>> row["progress"], row["goal_date"], row["last_stage_source"], int(row["days_since_update"])
    ('done', '2025-05-20', 'site visit', 195)
    >>> len(progress_frame(frame.iloc[0:0], vocab, "2025-12-01"))
    0
    """
    try:
        day = check_date(day, "the progress day")
    except SubmissionError as exc:
        raise ValueError(str(exc)) from None
    n = len(projects)
    today = np.datetime64(day, "D")
    history = projects["stages"] if "stages" in projects else pd.Series([[]] * n, index=projects.index)
    lists, stages, dated, counts = _entries(history)
    owner = np.repeat(np.arange(n), counts)
    day_no = dated.astype(np.int64)  # days since 1970; NaT is the smallest int64
    valid = ~np.isnat(dated) & (dated <= today)

    # the goal of each project's action, as a table: action code x stage code -> reaches it
    actions = projects["action"].fillna("").astype(str).to_numpy(dtype=object)
    action_codes, action_names = pd.factorize(actions)
    stage_codes, stage_names = pd.factorize(stages)
    reaches = np.zeros((len(action_names) + 1, len(stage_names) + 1), dtype=bool)
    after = np.zeros(len(action_names) + 1, dtype=bool)
    has_goal = np.zeros(len(action_names) + 1, dtype=bool)
    for a, name in enumerate(action_names):
        goal = vocab.goal(name)
        if goal is None:
            continue
        has_goal[a] = True
        after[a] = goal.after_report
        reaches[a, :-1] = [goal.reached_by(s) for s in stage_names]
    entry_action = action_codes[owner]
    reached = valid & reaches[entry_action, stage_codes] & (
        ~after[entry_action] | (dated > np.datetime64(SEED_DATE, "D")))

    never = np.iinfo(np.int64).max
    goal_no = _segment_best(np.where(reached, day_no, never), counts, "min")
    done = goal_no != never
    # the last entry dated on or before the day (the later one in the list on a tie): its
    # day and place in the list packed in one number
    local = np.arange(len(stages)) - np.repeat(np.cumsum(counts) - counts, counts)
    packed = np.where(valid, (day_no - _EPOCH_FLOOR) * _SLOTS + local, -1)
    best = _segment_best(packed, counts, "max")
    has_last = best >= 0
    last_day = np.full(n, _NAT)
    last_day[has_last] = (best[has_last] // _SLOTS + _EPOCH_FLOOR).astype("datetime64[D]")

    # a register without stage history (a saved import) says only where a project stands now:
    # its status, undated, shows a goal reached that needs no date
    bare = ~has_last
    if bare.any() and "status" in projects:
        status = projects["status"].fillna("").astype(str).to_numpy(dtype=object)
        pairs = pd.Series(list(zip(actions[bare], status[bare], strict=True)), dtype=object)
        known = {pair: (goal := vocab.goal(pair[0])) is not None and not goal.after_report
                 and goal.reached_by(pair[1]) for pair in set(pairs)}
        done[np.flatnonzero(bare)[pairs.map(known).to_numpy(dtype=bool)]] = True

    ids = projects["id"].astype(str).to_numpy(dtype=object) if "id" in projects else np.full(n, "", dtype=object)
    planner = _planner_days(log, ids, day)
    update = np.where(np.isnat(last_day), planner,
                      np.where(np.isnat(planner) | (last_day >= planner), last_day, planner))
    since = (today - update).astype("timedelta64[D]").astype(np.int64)

    target = _target_days(projects)
    measurable = ~np.isnat(target) & has_goal[action_codes]
    left = (target - today).astype("timedelta64[D]").astype(np.int64)
    progress = np.full(n, "no_target", dtype=object)
    progress[measurable & (left > window)] = "on_track"
    progress[measurable & (left >= 0) & (left <= window)] = "due_soon"
    passed = measurable & (left < 0)
    progress[passed] = "target_passed"
    progress[done] = "done"
    lean = pd.DataFrame({"progress": progress, "days_since_update": _nullable(since, np.isnat(update))},
                        index=projects.index)
    if not detail:
        return lean

    last_at = np.flatnonzero(has_last)
    position = best[has_last] % _SLOTS
    last_stage = np.full(n, "", dtype=object)
    last_source = np.full(n, "", dtype=object)
    starts = np.cumsum(counts) - counts
    last_stage[last_at] = stages[starts[last_at] + position]
    last_source[last_at] = [str(lists[r][k].get("source", "")) if isinstance(lists[r][k], dict) else ""
                            for r, k in zip(last_at.tolist(), position.tolist(), strict=True)]
    goal_day = np.full(n, _NAT)
    goal_day[done & (goal_no != never)] = goal_no[done & (goal_no != never)].astype("datetime64[D]")
    return lean.assign(
        target_day=_text_day(target),
        days_past_target=_nullable(np.where(passed & ~done, -left, 0), ~(passed & ~done)),
        goal_date=_text_day(goal_day),
        last_stage=last_stage,
        last_stage_date=_text_day(last_day),
        last_stage_source=last_source,
        last_update=_text_day(update),
    )[list(SUPERVISION_COLUMNS)]


def with_progress(atlas: Atlas, day: str, *, log: pd.DataFrame | Mapping[str, str] | None = None,
                  window: int | None = None) -> Atlas:
    """`atlas` with :data:`PROGRESS_COLUMNS` on its projects, as of `day` (see
    :func:`progress_frame`; `window` None: :func:`due_soon_days`).

    >>> from app.data.atlas import load_atlas
    >>> shown = with_progress(load_atlas(), "2026-01-01")
    >>> shown.projects.set_index("id").loc["jingyao-hongqiao", "progress"]
    'target_passed'
    """
    frame = progress_frame(atlas.projects, atlas.vocab, day, log=log,
                           window=due_soon_days() if window is None else window, detail=False)
    projects = atlas.projects.copy()
    for column in PROGRESS_COLUMNS:
        projects[column] = frame[column]
    return replace(atlas, projects=projects)


def progress_counts(frame: pd.DataFrame, by: str | None = None) -> pd.DataFrame:
    """How many projects of `frame` (with a ``progress`` column) stand at each progress, in
    :data:`~app.domain.model.PROGRESS` order, per value of the column `by` when given (one
    row per group, a column per progress, and ``total``).

    >>> frame = pd.DataFrame({"progress": ["done", "target_passed", "done"], "s": ["一", "一", "二"]})
    >>> progress_counts(frame).to_dict()
    {'target_passed': 1, 'due_soon': 0, 'on_track': 0, 'no_target': 0, 'done': 2, 'total': 3}
    >>> progress_counts(frame, "s").loc["二"].tolist()
    [0, 0, 0, 0, 1, 1]
    >>> progress_counts(frame.iloc[0:0], "s").empty
    True
    """
    if by is None:
        counts = frame["progress"].value_counts().reindex(list(PROGRESS), fill_value=0)
        return pd.concat([counts, pd.Series({"total": int(counts.sum())})]).astype(int)
    table = pd.crosstab(frame[by].fillna("").astype(str), frame["progress"]) if len(frame) else \
        pd.DataFrame(columns=list(PROGRESS))
    table = table.reindex(columns=list(PROGRESS), fill_value=0).astype(int)
    table["total"] = table.sum(axis=1)
    table.index.name = by
    table.columns.name = None
    return table


def supervision_rows(projects: pd.DataFrame, vocab: Vocabulary, day: str, *,
                     log: pd.DataFrame | Mapping[str, str] | None = None, window: int | None = None) -> pd.DataFrame:
    """The projects as a supervision report lists them: overdue first (most days past target
    first), then due soon (nearest target first), on track, without target, done; the
    register's columns joined with :func:`progress_frame`'s (``progress`` and
    ``days_since_update`` as `projects` has them, when it has them).

    >>> from app.data.atlas import load_atlas
    >>> atlas = load_atlas()
    >>> rows = supervision_rows(atlas.projects, atlas.vocab, "2026-01-01")
    >>> rows["progress"].iloc[0], int(rows["days_past_target"].iloc[0])
    ('target_passed', 1)
    >>> list(rows["progress"].drop_duplicates()) == [p for p in ("target_passed", "no_target")]
    True
    """
    frame = progress_frame(projects, vocab, day, log=log,
                           window=due_soon_days() if window is None else window)
    if "progress" in projects.columns:  # the shown atlas's own values: the counts every face gives
        frame["progress"] = projects["progress"].to_numpy(dtype=object)
        frame["days_since_update"] = projects["days_since_update"].to_numpy(dtype=object)
        frame.loc[frame["progress"] != "target_passed", "days_past_target"] = pd.NA
    keep = [c for c in projects.columns if c not in frame.columns]
    rows = pd.concat([pd.DataFrame(projects[keep]), frame], axis=1)
    rank = rows["progress"].map({p: i for i, p in enumerate(PROGRESS)})
    past = rows["days_past_target"].fillna(0).astype(int)
    target = rows["target_day"].replace("", "9999-12-31")
    rows = rows.assign(_rank=rank, _past=-past, _target=target, _id=rows["id"].astype(str))
    rows = rows.sort_values(["_rank", "_past", "_target", "_id"], kind="stable")
    return rows.drop(columns=["_rank", "_past", "_target", "_id"]).reset_index(drop=True)
