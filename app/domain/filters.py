"""Attribute filters and search over the projects frame: pure functions, shared by app and CLI.

A :class:`Filter` holds, per filterable field, the set of accepted values (empty = no
constraint) and a free-text query. :func:`apply_filter` returns a boolean mask, so callers can
cache on (data version, filter) and slice whatever they need.

>>> import pandas as pd
>>> frame = pd.DataFrame({"layer": ["a", "b"], "status": ["x", "y"], "name_zh": ["天山公园", "汇川路"],
...                       "name_en": ["Tianshan Park", "Huichuan Rd"], "search_text": ["天山公园 tianshan", "汇川路"]})
>>> apply_filter(frame, Filter(values={"layer": ("a",)})).tolist()
[True, False]
>>> apply_filter(frame, Filter(query="TIANSHAN")).tolist()
[True, False]
>>> parse_where(["status=x", "layer=a", "layer=b"])
{'status': ('x',), 'layer': ('a', 'b')}
>>> parse_where(["status"])
Traceback (most recent call last):
...
app.errors.FilterError: --where needs FIELD=VALUE, got 'status'
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from app.errors import FilterError

__all__ = ["ALWAYS_FILTERS", "FILTER_FIELDS", "Filter", "apply_filter", "check_filter", "normalise_text", "parse_where",
           "search_text"]

#: Fields a filter may constrain, in the order the UI shows them.
FILTER_FIELDS: tuple[str, ...] = (
    "layer", "category", "status", "action", "subdistrict", "report_section", "precision",
    "progress",
)
#: Filters every atlas has, whatever its layers declare: the layer, and the progress against
#: the report's targets that every shown atlas carries (app/service/supervision.py).
ALWAYS_FILTERS: tuple[str, ...] = ("layer", "progress")


def normalise_text(text: str) -> str:
    """Fold width and case and drop spaces, so '１２１ Tian Shan' matches '121tianshan'.

    >>> normalise_text("Ｔｉａｎ Shan　公园")
    'tianshan公园'
    """
    return "".join(unicodedata.normalize("NFKC", text).casefold().split())


@dataclass(frozen=True)
class Filter:
    """Accepted values per field (empty tuple or absent = any) and a search query."""

    values: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    query: str = ""

    def key(self) -> tuple:
        """A hashable, order-independent key for caching."""
        return (tuple(sorted((k, tuple(sorted(v))) for k, v in self.values.items() if v)),
                normalise_text(self.query))

    def describe(self) -> dict[str, object]:
        """The filter as plain data (for export metadata and URLs)."""
        out: dict[str, object] = {k: sorted(v) for k, v in sorted(self.values.items()) if v}
        if self.query.strip():
            out["q"] = self.query.strip()
        return out


def search_text(frame: pd.DataFrame, place_aliases: Mapping[str, Iterable[str]] | None = None
                ) -> pd.Series:
    """Per row, the normalised text a search matches: names, aliases, and the aliases of the
    gazetteer places its position was made from (so 'tianshan' finds 天山公园)."""
    place_aliases = place_aliases or {}
    texts = []
    for names in zip(frame["name_zh"], frame["name_en"], frame.get("aliases", [()] * len(frame)),
                     frame.get("pos_refs", [()] * len(frame)), strict=True):
        name_zh, name_en, aliases, refs = names
        parts = [name_zh, name_en, *list(aliases or ())]
        for ref in refs or ():
            parts.extend(place_aliases.get(ref, ()))
        texts.append("\n".join(normalise_text(p) for p in parts if p))
    return pd.Series(texts, index=frame.index, dtype=object)


def apply_filter(frame: pd.DataFrame, flt: Filter) -> pd.Series:
    """Boolean mask of the rows that pass every constraint and match the query."""
    mask = np.ones(len(frame), dtype=bool)
    for name, accepted in flt.values.items():
        if accepted:
            mask &= frame[name].astype(str).isin(accepted).to_numpy()
    query = normalise_text(flt.query)
    if query:
        haystack = frame["search_text"] if "search_text" in frame else (
            frame["name_zh"].map(normalise_text) + "\n" + frame["name_en"].map(normalise_text))
        mask &= haystack.str.contains(query, regex=False).to_numpy()
    return pd.Series(mask, index=frame.index)


def check_filter(frame: pd.DataFrame, flt: Filter, allowed: Mapping[str, Iterable[str]] | None = None
                 ) -> None:
    """Raise FilterError naming an unknown field or a value that is not allowed.

    `allowed` maps field -> permitted values (the vocabulary); without it, the values present in
    `frame` are the permitted ones.
    """
    for name, accepted in flt.values.items():
        if name not in FILTER_FIELDS:
            raise FilterError(f"unknown filter field {name!r}; use one of {', '.join(FILTER_FIELDS)}")
        if allowed is not None and name not in allowed:
            raise FilterError(f"no layer is filterable by {name!r}; use one of {', '.join(allowed)}")
        permitted = set(allowed[name]) if allowed is not None else set(frame[name].astype(str))
        bad = [v for v in accepted if v not in permitted]
        if bad:
            raise FilterError(f"unknown value(s) {bad} for {name!r}; known: {sorted(permitted)}")


def parse_where(items: Iterable[str]) -> dict[str, tuple[str, ...]]:
    """Parse CLI ``--where FIELD=VALUE`` items; repeating a field ORs its values."""
    out: dict[str, list[str]] = {}
    for item in items:
        name, sep, value = item.partition("=")
        if not sep or not name.strip() or not value.strip():
            raise FilterError(f"--where needs FIELD=VALUE, got {item!r}")
        out.setdefault(name.strip(), []).append(value.strip())
    return {k: tuple(v) for k, v in out.items()}
