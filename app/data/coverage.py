"""The coverage of the work report: every sentence of part 二 decided, place-bound or not.

The register claims to hold every place-bound item of the report's part "二、2025年主要任务"
(the rule is in ``geodata/README.md``, "Coverage of the report"). ``geodata/coverage.toml``
makes that a number: one ``[[sentence]]`` per sentence of the report's text
(``geodata/sources/changning_report_2025_part2.txt``), in order, each with either the register
ids of the items it names (``projects``) or the code of the reason it is not place-bound
(``not_place_bound``, one of the table's ``[reasons]``). :func:`check_coverage` finds every
sentence without a decision, a decision for a sentence the report does not have, an unknown
id or reason, and a register item no sentence names; ``python -m app validate`` prints its
:class:`Coverage` summary and fails on any problem.

Sentences are the report's lines split after 。!?(full-width or not); blank lines are skipped.

>>> split_sentences("甲。乙!\\n\\n丙")
['甲。', '乙!', '丙']
>>> c = check_coverage(["推进甲项目。", "加强管理。"],
...     {"reasons": {"policy": "a policy"}, "sentence": [
...      {"n": 1, "opening": "推进甲", "projects": ["a"]},
...      {"n": 2, "opening": "加强", "not_place_bound": "policy"}]}, {"a": ""})
>>> c.problems, c.place_bound, c.not_place_bound, c.items
([], 1, 1, 1)
>>> check_coverage(["推进甲项目。"], {"sentence": []}, {}).problems
['coverage.toml: sentence 1 of the report has no decision: 推进甲项目。']
"""

from __future__ import annotations

import re
import tomllib
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from app.errors import DataError

__all__ = ["COVERAGE_FILE", "REPORT_FILE", "Coverage", "check_coverage", "load_coverage",
           "split_sentences"]

#: The coverage table, in the data folder.
COVERAGE_FILE = "coverage.toml"
#: The report's part 二, as copied into the data folder's sources.
REPORT_FILE = "sources/changning_report_2025_part2.txt"
_SENTENCE = re.compile(r"[^。!?!?]*[。!?!?]|[^。!?!?]+$")


def split_sentences(text: str) -> list[str]:
    """The sentences of `text`: each line split after 。!?, stripped, blanks dropped."""
    out: list[str] = []
    for line in text.splitlines():
        out += [s.strip() for s in _SENTENCE.findall(line.strip()) if s.strip()]
    return out


@dataclass(frozen=True)
class Coverage:
    """What the table decides: counts, and every problem found (one line each)."""

    sentences: int = 0
    place_bound: int = 0
    not_place_bound: int = 0
    #: Register items (whole report items, parts folded) that some sentence names.
    items: int = 0
    by_reason: dict[str, int] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)

    def summary(self) -> str:
        """One line for ``validate``.

        >>> Coverage(3, 1, 2, 1, {"policy": 2}).summary()
        'report part 二: 3 sentences, 3 decided: 1 place-bound (1 register items), 2 not place-bound (policy 2)'
        """
        reasons = ", ".join(f"{k} {v}" for k, v in sorted(self.by_reason.items()))
        return (f"report part 二: {self.sentences} sentences, "
                f"{self.place_bound + self.not_place_bound} decided: {self.place_bound} "
                f"place-bound ({self.items} register items), {self.not_place_bound} not "
                f"place-bound ({reasons})")


def _decision(entry: Mapping[str, Any], reasons: Mapping[str, Any], known: Mapping[str, str],
              where: str) -> tuple[list[str], str, list[str]]:
    """(project ids, reason code, problems) of one table entry."""
    projects = entry.get("projects")
    reason = entry.get("not_place_bound")
    problems: list[str] = []
    if (projects is None) == (reason is None):
        problems.append(f"{where}: give either projects = [...] or not_place_bound = '<reason>', "
                        "exactly one")
        return [], "", problems
    if projects is not None:
        if not isinstance(projects, list) or not projects or not all(isinstance(p, str) for p in projects):
            problems.append(f"{where}: projects must be a non-empty list of register ids, got {projects!r}")
            return [], "", problems
        problems += [f"{where}: {p!r} is not a register project" for p in projects if p not in known]
        return projects, "", problems
    if reason not in reasons:
        problems.append(f"{where}: reason {reason!r} is not one of [reasons] {sorted(reasons)}")
    return [], str(reason), problems


def check_coverage(sentences: Sequence[str], table: Mapping[str, Any],
                   projects: Mapping[str, str]) -> Coverage:
    """Check `table` (the parsed coverage.toml) against the report's `sentences` and the
    register (`projects`: id -> parent id, '' for a whole item)."""
    reasons = table.get("reasons") or {}
    entries = table.get("sentence") or []
    problems: list[str] = []
    by_n: dict[int, Mapping[str, Any]] = {}
    for i, entry in enumerate(entries):
        n = entry.get("n") if isinstance(entry, Mapping) else None
        if not isinstance(n, int) or isinstance(n, bool):
            problems.append(f"coverage.toml: entry {i + 1} has no sentence number n")
        elif n in by_n:
            problems.append(f"coverage.toml: sentence {n} is decided twice")
        elif not 1 <= n <= len(sentences):
            problems.append(f"coverage.toml: sentence {n} is not in the report "
                            f"({len(sentences)} sentences)")
        else:
            by_n[n] = entry
    named: set[str] = set()
    reason_counts: Counter[str] = Counter()
    place_bound = 0
    for n, text in enumerate(sentences, 1):
        entry = by_n.get(n)
        if entry is None:
            problems.append(f"coverage.toml: sentence {n} of the report has no decision: {text}")
            continue
        where = f"coverage.toml: sentence {n}"
        opening = str(entry.get("opening") or "")
        if not opening or not text.startswith(opening):
            problems.append(f"{where} opens {text[:16]!r} in the report, but the table says "
                            f"{opening!r}")
        ids, reason, found = _decision(entry, reasons, projects, where)
        problems += found
        if ids:
            place_bound += 1
            named.update(projects.get(p) or p for p in ids if p in projects)
        elif reason:
            reason_counts[reason] += 1
    whole = {pid for pid, parent in projects.items() if not parent}
    problems += [f"coverage.toml: register item {pid!r} is named by no sentence of the report"
                 for pid in sorted(whole - named)]
    return Coverage(len(sentences), place_bound, sum(reason_counts.values()), len(named & whole),
                    dict(reason_counts), problems)


def load_coverage(data_dir: Path, projects: Mapping[str, str]) -> Coverage | None:
    """Check the data folder's coverage table against its copy of the report; None when the
    folder has no table (a register that is not the report's).

    >>> load_coverage(Path("/nonexistent"), {}) is None
    True
    """
    path = Path(data_dir) / COVERAGE_FILE
    if not path.exists():
        return None
    report = Path(data_dir) / REPORT_FILE
    try:
        table = tomllib.loads(path.read_text(encoding="utf-8"))
        text = report.read_text(encoding="utf-8")
    except tomllib.TOMLDecodeError as exc:
        raise DataError(f"{COVERAGE_FILE}: not valid TOML ({exc})") from exc
    except FileNotFoundError as exc:
        raise DataError(f"{COVERAGE_FILE} needs the report's text at {REPORT_FILE}") from exc
    return check_coverage(split_sentences(text), table, projects)
