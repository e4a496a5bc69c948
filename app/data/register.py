"""The project register (``geodata/register.toml``) and its controlled vocabularies.

Reading collects every broken entry instead of stopping at the first, so that
``python -m app validate`` can print one line per problem.

>>> vocab = Vocabulary(statuses={"planning": ("规划研究", "Planning")}, actions={"推进": "advance"},
...                    labels={})
>>> vocab.status_label("planning", "en"), vocab.status_label("nonsense", "en")
('Planning', 'nonsense')
>>> vocab.goal("推进") is None  # no goal given: progress cannot be judged
True
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from app.domain.model import Project
from app.errors import DataError

__all__ = ["SOURCE_FIELDS", "Goal", "Vocabulary", "goal_problems", "load_sources", "load_vocabulary",
           "read_register"]


@dataclass(frozen=True)
class Goal:
    """What a report action asks for (``vocabulary.toml``: ``goal``, ``goal_after_report``):
    the stages whose dated entry shows it done, and whether only entries dated after the
    report count (a step forward, for verbs such as 推进 that name no one stage).

    >>> Goal(("completed", "operating")).reached_by("operating"), Goal(("completed",)).reached_by("paused")
    (True, False)
    """

    stages: tuple[str, ...]
    after_report: bool = False

    def reached_by(self, stage: str) -> bool:
        """Whether an entry of `stage` counts as the goal reached (its date aside)."""
        return stage in self.stages


@dataclass(frozen=True)
class Vocabulary:
    """Allowed statuses and actions, and zh/en labels for every coded value."""

    statuses: dict[str, tuple[str, str]]
    actions: dict[str, str]
    labels: dict[str, dict[str, tuple[str, str]]]
    #: the goal of each action that names one (``vocabulary.toml`` ``[action]``)
    goals: dict[str, Goal] = field(default_factory=dict)

    def goal(self, action: str) -> Goal | None:
        """The goal the action `action` sets, or None (unknown action, or none given)."""
        return self.goals.get(action)

    def status_label(self, status: str, lang: str) -> str:
        """The status in 'zh' or 'en'; an unknown code is shown as it is."""
        zh, en = self.statuses.get(status, (status, status))
        return en if lang == "en" else zh

    def label(self, table: str, value: str, lang: str) -> str:
        """Label of `value` in vocabulary `table` ('precision', 'confidence', 'section')."""
        zh, en = self.labels.get(table, {}).get(value, (value, value))
        return en if lang == "en" else zh


def _toml(path: Path) -> dict[str, Any]:
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise DataError(f"missing data file {path}") from exc
    except tomllib.TOMLDecodeError as exc:
        raise DataError(f"{path.name}: not valid TOML ({exc})") from exc


def _goal(action: str, entry: dict[str, Any], where: str) -> Goal | None:
    """The goal of one ``[action]`` entry (None when it gives none); DataError quoting a value
    of the wrong type."""
    if "goal" not in entry:
        return None
    stages, after = entry["goal"], entry.get("goal_after_report", False)
    if not isinstance(stages, list) or not all(isinstance(s, str) for s in stages):
        raise DataError(f"{where}: action {action!r}: goal must be a list of stages, got {stages!r}")
    if not isinstance(after, bool):
        raise DataError(f"{where}: action {action!r}: goal_after_report must be true or false, "
                        f"got {after!r}")
    return Goal(tuple(stages), after)


def load_vocabulary(path: Path) -> Vocabulary:
    """Read ``vocabulary.toml``."""
    raw = _toml(path)
    try:
        statuses = {k: (v["zh"], v["en"]) for k, v in raw["status"].items()}
        actions = {k: v["en"] for k, v in raw["action"].items()}
        labels = {table: {k: (v["zh"], v["en"]) for k, v in raw[table].items()}
                  for table in ("precision", "confidence", "section")}
    except (KeyError, TypeError) as exc:
        raise DataError(f"{path.name}: missing table or label {exc}") from exc
    labels["status"] = statuses
    goals = {k: goal for k, v in raw["action"].items()
             if (goal := _goal(k, v, path.name)) is not None}
    return Vocabulary(statuses=statuses, actions=actions, labels=labels, goals=goals)


def goal_problems(vocab: Vocabulary) -> list[str]:
    """One line per action without a goal, or whose goal names an unknown or repeated stage.

    >>> vocab = Vocabulary(statuses={"planning": ("规划研究", "Planning")},
    ...                    actions={"开工": "start", "推进": "advance"}, labels={},
    ...                    goals={"开工": Goal(("built",))})
    >>> goal_problems(vocab)  # doctest: +NORMALIZE_WHITESPACE
    ["vocabulary action '开工': goal stage 'built' is not a status (known: ['planning'])",
     "vocabulary action '推进': no goal (list the stages that show it done: goal = [...])"]
    """
    problems = []
    for action in vocab.actions:
        goal = vocab.goal(action)
        where = f"vocabulary action {action!r}"
        if goal is None or not goal.stages:
            problems.append(f"{where}: no goal (list the stages that show it done: goal = [...])")
            continue
        for stage in goal.stages:
            if stage not in vocab.statuses:
                problems.append(f"{where}: goal stage {stage!r} is not a status "
                                f"(known: {sorted(vocab.statuses)})")
        if len(set(goal.stages)) != len(goal.stages):
            problems.append(f"{where}: goal names a stage twice: {list(goal.stages)}")
    return problems


def read_register(path: Path) -> tuple[list[Project], list[str]]:
    """Parse every ``[[project]]`` of `path`; return the good ones and one message per bad one."""
    raw = _toml(path)
    unknown = sorted(set(raw) - {"project"})
    problems = [f"{path.name}: unknown top-level key(s) {unknown}"] if unknown else []
    projects = []
    for i, entry in enumerate(raw.get("project", [])):
        try:
            projects.append(Project.from_mapping(entry, where=f"{path.name} entry {i}"))
        except DataError as exc:
            problems.append(str(exc))
    return projects, problems


#: Fields of every ``[[source]]`` of ``sources.toml`` (the about page's list of sources).
SOURCE_FIELDS: tuple[str, ...] = ("file", "what_zh", "what_en", "vintage", "crs", "terms_zh",
                                  "terms_en", "places_zh", "places_en")


def load_sources(path: Path) -> list[dict[str, str]]:
    """Read ``sources.toml``: one dict per source with every field of SOURCE_FIELDS.

    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     target = Path(tmp) / "sources.toml"
    ...     _ = target.write_text('[[source]]\\nfile = "x.csv"\\n', encoding="utf-8")
    ...     load_sources(target)
    Traceback (most recent call last):
    ...
    app.errors.DataError: sources.toml source 0 (x.csv): missing or empty what_zh, what_en, vintage, crs, terms_zh, terms_en, places_zh, places_en
    """
    raw = _toml(path)
    sources = []
    for i, entry in enumerate(raw.get("source", [])):
        missing = [k for k in SOURCE_FIELDS if not isinstance(entry.get(k), str) or not entry[k].strip()]
        if missing:
            raise DataError(f"{path.name} source {i} ({entry.get('file', '?')}): missing or empty "
                            + ", ".join(missing))
        sources.append({k: entry[k] for k in SOURCE_FIELDS})
    return sources
