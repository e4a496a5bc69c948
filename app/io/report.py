"""The import report: one line per data row (what happened and why) and a summary.

>>> advice = ReportWarning("crs-gcj02", "most points sit ~500 m off", suggested_crs="gcj02")
>>> report = ImportReport((RowReport(1, "import-0001", "天山公园", "placed", "exact", "site"),),
...                       warnings=(advice,))
>>> report.summary["placed"], report.to_dict()["warnings"][0]["suggested_crs"]
(1, 'gcj02')
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from app.geo.address import Candidate
from app.geo.coords import Problem

__all__ = ["ROW_STATUSES", "ImportReport", "ReportWarning", "RowReport"]

#: Per-row outcome: placed as given or by the gazetteer; placed after a recorded fix;
#: kept without a position; refused (left out of the frame).
ROW_STATUSES: tuple[str, ...] = ("placed", "fixed", "unlocated", "rejected")


@dataclass(frozen=True)
class RowReport:
    """What happened to one data row (``row`` counts data rows from 1, header excluded).

    >>> RowReport(1, "import-0001", "天山公园", "placed", "exact", "site", score=1.0).to_dict()["status"]
    'placed'
    >>> RowReport(1, "import-0001", "x", "guessed", "exact", "site")
    Traceback (most recent call last):
    ...
    ValueError: row status must be one of ('placed', 'fixed', 'unlocated', 'rejected'), got 'guessed'
    """

    row: int
    id: str
    name: str
    status: str
    method: str
    precision: str
    score: float | None = None
    matched_on: str = ""
    place_id: str | None = None
    lon: float | None = None
    lat: float | None = None
    problems: tuple[Problem, ...] = ()
    candidates: tuple[Candidate, ...] = ()
    #: Metres around (lon, lat) within which the true position is expected: for a line or an
    #: area this includes how far its farthest part lies from that representative point.
    uncertainty_m: float | None = None

    def __post_init__(self) -> None:
        if self.status not in ROW_STATUSES:
            raise ValueError(f"row status must be one of {ROW_STATUSES}, got {self.status!r}")
        if self.row < 1:
            raise ValueError(f"row numbers start at 1, got {self.row!r}")

    def to_dict(self) -> dict[str, object]:
        """Plain data for the JSON report."""
        return {"row": self.row, "id": self.id, "name": self.name, "status": self.status,
                "method": self.method, "score": self.score, "precision": self.precision,
                "matched_on": self.matched_on, "place_id": self.place_id, "lon": self.lon,
                "lat": self.lat, "uncertainty_m": self.uncertainty_m, "problems": [p.to_dict() for p in self.problems],
                "candidates": [c.to_dict() for c in self.candidates]}


@dataclass(frozen=True)
class ReportWarning:
    """Something about the whole file that the rows alone do not show, with the fix to offer.

    `suggested_crs` names the ``--crs`` (or the page's CRS choice) that would fix it, if any.

    >>> ReportWarning("crs-gcj02", "points sit ~500 m off", "gcj02").to_dict()["code"]
    'crs-gcj02'
    >>> ReportWarning("", "x")
    Traceback (most recent call last):
    ...
    ValueError: a report warning needs a code and a message, got '', 'x'
    """

    code: str
    message: str
    suggested_crs: str = ""

    def __post_init__(self) -> None:
        if not self.code or not self.message:
            raise ValueError(f"a report warning needs a code and a message, got {self.code!r}, "
                             f"{self.message!r}")

    def to_dict(self) -> dict[str, str]:
        """Plain data for the JSON report."""
        return {"code": self.code, "message": self.message, "suggested_crs": self.suggested_crs}


@dataclass(frozen=True)
class ImportReport:
    """Per-row outcomes of one import, the file's facts, and a summary (:meth:`to_json`).

    >>> ImportReport(()).summary
    {'rows': 0, 'placed': 0, 'fixed': 0, 'unlocated': 0, 'rejected': 0, 'by_method': {}, 'by_problem': {}}
    """

    rows: tuple[RowReport, ...]
    source: Mapping[str, Any] = field(default_factory=dict)
    warnings: tuple[ReportWarning, ...] = ()

    @property
    def summary(self) -> dict[str, Any]:
        """Counts: rows, per status, per method, per problem code."""
        statuses = Counter(r.status for r in self.rows)
        return {
            "rows": len(self.rows),
            **{s: statuses.get(s, 0) for s in ROW_STATUSES},
            "by_method": dict(sorted(Counter(r.method for r in self.rows).items())),
            "by_problem": dict(sorted(Counter(p.code for r in self.rows for p in r.problems).items())),
        }

    def to_dict(self) -> dict[str, Any]:
        """The report as plain data: ``source``, ``summary``, ``warnings``, ``rows``."""
        return {"source": dict(self.source), "summary": self.summary,
                "warnings": [w.to_dict() for w in self.warnings],
                "rows": [r.to_dict() for r in self.rows]}

    def to_json(self, indent: int | None = 2) -> str:
        """The report as JSON text (UTF-8 characters kept as they are)."""
        return json.dumps(self.to_dict(), ensure_ascii=False, indent=indent)

    def to_frame(self) -> pd.DataFrame:
        """One line per row for a table: problems and candidates as short text."""
        return pd.DataFrame({
            "row": [r.row for r in self.rows],
            "id": [r.id for r in self.rows],
            "name": [r.name for r in self.rows],
            "status": [r.status for r in self.rows],
            "method": [r.method for r in self.rows],
            "score": pd.array([r.score for r in self.rows], dtype="Float64"),
            "precision": [r.precision for r in self.rows],
            "uncertainty_m": pd.array([r.uncertainty_m for r in self.rows], dtype="Float64"),
            "place": [r.place_id or "" for r in self.rows],
            "problems": ["; ".join(f"[{p.code}] {p.message}" for p in r.problems) for r in self.rows],
            "candidates": ["; ".join(f"{c.name_zh} ({c.score:.2f})" for c in r.candidates)
                           for r in self.rows],
        })
