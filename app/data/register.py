"""The project register (``geodata/register.toml``) and its controlled vocabularies.

Reading collects every broken entry instead of stopping at the first, so that
``python -m app validate`` can print one line per problem.

>>> vocab = Vocabulary(statuses={"planning": ("规划研究", "Planning")}, actions={"推进": "advance"},
...                    labels={})
>>> vocab.status_label("planning", "en"), vocab.status_label("nonsense", "en")
('Planning', 'nonsense')
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from app.domain.model import Project
from app.errors import DataError

__all__ = ["SOURCE_FIELDS", "Vocabulary", "load_sources", "load_vocabulary", "read_register"]


@dataclass(frozen=True)
class Vocabulary:
    """Allowed statuses and actions, and zh/en labels for every coded value."""

    statuses: dict[str, tuple[str, str]]
    actions: dict[str, str]
    labels: dict[str, dict[str, tuple[str, str]]]

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
    return Vocabulary(statuses=statuses, actions=actions, labels=labels)


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
