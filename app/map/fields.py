"""Display fields: what a layer spec's ``tooltip`` and ``card`` name, labelled in the page's
language, and the tooltip/card configuration the browser builds them from.

Every field of :data:`app.data.layers.PROJECT_FIELDS` (projects) and
:data:`~app.data.layers.REFERENCE_FIELDS` (reference places) has a *source* here: the column
it comes from and the label function of its values. Columns are factorised and each distinct
value is labelled once, so a label costs time per distinct value, not per row.

>>> from app.data.atlas import load_atlas
>>> atlas = load_atlas()
>>> card_config(atlas.spec("district_boundary"), "en")["card"][0]
['name_other', 'Other name']
>>> shipped_fields(atlas.spec("district_boundary"))
('id', 'name', 'name_other', 'source', 'method', 'confidence')

The living register's fields (:data:`LIVING_FIELDS`) are shown on a card only when set; two of
them are lists and travel as JSON data, never as text to parse: ``stages`` (the stage history,
``[{"date", "stage", "label", "source"}]`` oldest first) and ``links`` (http(s) addresses only).
A frame without the living columns (a saved register, the curated seed) has them all unset.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np
import pandas as pd

from app.data.atlas import Atlas
from app.data.layers import LayerSpec
from app.domain.i18n import field_label, t
from app.domain.phrases import citation_text, provenance_text

__all__ = ["CARD_KINDS", "LIVING_FIELDS", "Column", "Source", "card_config", "columns_of",
           "in_language", "labelled", "links_of", "place_names", "project_sources",
           "reference_sources", "site_area_text", "uncertainty_text",
           "stages_of", "subdistrict_names", "shipped_fields", "take", "used"]

#: A display field's column and the label function of its values (None: shown as it is).
Source = tuple[pd.Series, Callable[[Any], Any] | None]
#: A labelled column: per-row codes (-1 = missing) and the label of each code.
Column = tuple[np.ndarray, np.ndarray]

_SEP = "\x1f"  # joins two columns into one key where a label needs both

#: Card fields of the living register: a card leaves out the ones a project has not set.
LIVING_FIELDS: tuple[str, ...] = ("stages", "lead_agency", "start_date", "target_date",
                                  "site_area", "links")
#: Card fields drawn as more than text: the stage history as a timeline, links as links.
CARD_KINDS: dict[str, str] = {"stages": "timeline", "links": "links"}
_HTTP = re.compile(r"https?://[^\s<>\"'`]+", re.IGNORECASE)


def _names(frame: pd.DataFrame, lang: str) -> dict[str, Source]:
    """The name fields: in the page's language, in the other one, and each language's."""
    en = lang == "en"
    return {"name": (frame["name_en" if en else "name_zh"], None),
            "name_other": (frame["name_zh" if en else "name_en"], None),
            "name_zh": (frame["name_zh"], None), "name_en": (frame["name_en"], None)}


def place_names(atlas: Atlas, lang: str) -> Callable[[str], str]:
    """A label function for provenance text (a position method, a source): in words of `lang`
    (:func:`app.domain.phrases.provenance_text`), each known place id named in `lang`;
    "none" becomes the word for it.

    >>> from app.data.atlas import load_atlas
    >>> label = place_names(load_atlas(), "en")
    >>> label("gazetteer place metro-l3-yananxilu")
    "gazetteer place West Yan'an Road (Line 3)"
    >>> label("none"), label("")
    ('none', '')
    >>> place_names(load_atlas(), "zh")("gazetteer place metro-l3-yananxilu")
    '地名库地点 延安西路站'
    """
    def name(place_id: str) -> str:
        place = atlas.places.get(place_id)
        return place_id if place is None else (place.name_en if lang == "en" else place.name_zh)

    def label(text: str) -> str:
        if text == "none":
            return t("method_none", lang)
        return provenance_text(text, lang, name)
    return label


def in_language(frame: pd.DataFrame, name: str, lang: str,
                label: Callable[[Any], Any] | None = None) -> Source:
    """A text field stored in English with a Chinese column beside it (``<name>_zh``): the
    Chinese one on a zh page where it is set, else the English one through `label`.

    >>> frame = pd.DataFrame({"note": ["An English note", "only English"], "note_zh": ["中文说明", None]})
    >>> values, pick = in_language(frame, "note", "zh", str.upper)
    >>> [pick(v) for v in values]
    ['中文说明', 'ONLY ENGLISH']
    """
    english = _column(frame, name)
    if lang != "zh" or f"{name}_zh" not in frame.columns:
        return english, label
    chinese = _text(frame[f"{name}_zh"])
    both = chinese.astype(object).where(chinese.notna(), _SEP + english.astype(object).fillna(""))

    def pick(value: Any) -> Any:
        if isinstance(value, str) and value.startswith(_SEP):
            value = value[1:] or None
            return label(value) if label is not None and value is not None else value
        return value
    return both.where(english.notna() | chinese.notna(), None), pick


def subdistrict_names(atlas: Atlas, lang: str) -> Callable[[str], str]:
    """A label function for sub-district names (stored in Chinese): English in the en UI.

    >>> from app.data.atlas import load_atlas
    >>> label = subdistrict_names(load_atlas(), "en")
    >>> label("虹桥街道"), label("unknown"), label("某街道")
    ('Hongqiao Subdistrict', 'unknown', '某街道')
    """
    english = {p.name_zh: p.name_en for p in atlas.places.values() if p.kind == "subdistrict"}

    def label(value: str) -> str:
        if value == "unknown":
            return t("unknown", lang)
        return english.get(value, value) if lang == "en" else value
    return label


def _column(frame: pd.DataFrame, name: str) -> pd.Series:
    """`frame`'s column `name`, or an unset one (all None) when it has none."""
    if name in frame.columns:
        return frame[name]
    return pd.Series([None] * len(frame), index=frame.index, dtype=object)


def _text(values: pd.Series) -> pd.Series:
    """A text column with empty text unset (None)."""
    return values.astype(object).where(values.notna() & (values.astype(str) != ""), None)


def _json_lists(values: pd.Series) -> pd.Series:
    """Each non-empty list as canonical JSON text (so equal lists factorise alike), else None."""
    return pd.Series([json.dumps(v, ensure_ascii=False, sort_keys=True)
                      if isinstance(v, list | tuple) and len(v) else None for v in values],
                     index=values.index, dtype=object)


def stages_of(text: str, label: Callable[[str], str],
              source: Callable[[str], str] = str) -> list[dict[str, str]]:
    """A stage history (JSON text of ``{"stage", "date", "source"}`` entries) as the card's
    timeline: oldest first, each stage with its `label` and its `source` in the page's words;
    malformed entries are left out.

    >>> stages_of('[{"stage": "construction", "date": "2025-03-01", "source": "notice"},'
    ...           ' {"stage": "planning", "date": "2025-01-08", "source": "report"}, 7]', str.upper)
    [{'date': '2025-01-08', 'stage': 'planning', 'label': 'PLANNING', 'source': 'report'}, \
{'date': '2025-03-01', 'stage': 'construction', 'label': 'CONSTRUCTION', 'source': 'notice'}]
    >>> stages_of("[]", str)
    []
    """
    entries = [e for e in json.loads(text) if isinstance(e, dict) and e.get("stage")]
    out = [{"date": str(e.get("date") or ""), "stage": str(e["stage"]),
            "label": label(str(e["stage"])), "source": source(str(e.get("source") or ""))}
           for e in entries]
    return sorted(out, key=lambda e: e["date"])


def links_of(text: str) -> list[str]:
    """The http(s) addresses of a links list (JSON text); anything else is left out.

    >>> links_of('["https://www.shcn.gov.cn/a?b=1", "javascript:alert(1)", "ftp://x", 5]')
    ['https://www.shcn.gov.cn/a?b=1']
    """
    return [v for v in json.loads(text) if isinstance(v, str) and _HTTP.fullmatch(v)]


def site_area_text(m2: float, lang: str) -> str:
    """A site area in square metres and hectares (公顷), rounded for reading.

    >>> site_area_text(12345.6, "en"), site_area_text(12345.6, "zh")
    ('12,346 m² (1.23 ha)', '12,346 平方米(1.23 公顷)')
    >>> site_area_text(float("nan"), "en")
    ''
    """
    if m2 is None or not math.isfinite(m2):
        return ""
    return t("card.site_area", lang).format(m2=f"{m2:,.0f}", ha=f"{m2 / 10_000:,.2f}")


def uncertainty_text(metres: float | None, lang: str) -> str:
    """A position's uncertainty as the card shows it: ``±120 m`` (``±120 米``), or ''.

    >>> uncertainty_text(118.0, "en"), uncertainty_text(1100, "zh"), uncertainty_text(None, "en")
    ('±118 m', '±1100 米', '')
    """
    if metres is None or not math.isfinite(metres):
        return ""
    return t("card.uncertainty", lang).format(m=f"{metres:.0f}")


def project_sources(atlas: Atlas, frame: pd.DataFrame, lang: str) -> dict[str, Source]:
    """Per project display field: the column of `frame` it comes from and its label function.

    >>> from app.data.atlas import load_atlas
    >>> from app.data.layers import PROJECT_FIELDS
    >>> atlas = load_atlas()
    >>> tuple(project_sources(atlas, atlas.projects, "en")) == PROJECT_FIELDS
    True
    >>> project_sources(atlas, atlas.projects.iloc[0:0], "zh")["status"][0].size
    0
    """
    vocab = atlas.vocab
    titles = {s.id: s.title(lang) for s in atlas.specs}

    def category(key: str) -> str:
        layer, _, value = key.partition(_SEP)
        return atlas.spec(layer).legend_label(value, lang) if layer in titles else value

    def action(key: str) -> str:
        value, _, english = key.partition(_SEP)
        return f"{value} ({english})" if english else value

    def cite(text: str) -> str:
        return citation_text(text, lang, lambda sec: vocab.label("section", sec, lang))

    en = lang == "en"
    return {
        "id": (frame["id"], None),
        **_names(frame, lang),
        "layer": (frame["layer"], lambda v: titles.get(v, v)),
        "category": (frame["layer"].astype(str) + _SEP + frame["category"].astype(str), category),
        "status": (frame["status"], lambda v: vocab.status_label(v, lang)),
        "action": ((frame["action"].astype(str) + _SEP + frame["action_en"].fillna("").astype(str),
                    action) if en else (frame["action"], None)),
        "target_year": (frame["target_year"], None),
        "subdistrict": (frame["subdistrict"], subdistrict_names(atlas, lang)),
        "address": (frame["address"], None),
        "precision": (frame["precision"], lambda v: vocab.label("precision", v, lang)),
        "pos_confidence": (frame["pos_confidence"], lambda v: vocab.label("confidence", v, lang)),
        "pos_method": (frame["pos_method"], place_names(atlas, lang)),
        "pos_source": (frame["pos_source"], place_names(atlas, lang)),
        "position_note": in_language(frame, "position_note", lang, place_names(atlas, lang)),
        "report_ref": (frame["report_ref"], cite),
        "description": in_language(frame, "description", lang),
        "stages": (_json_lists(_column(frame, "stages")),
                   lambda v: stages_of(v, lambda s: vocab.status_label(s, lang), cite)),
        "lead_agency": (_text(_column(frame, "lead_agency")), None),
        "start_date": (_text(_column(frame, "start_date")), None),
        "target_date": (_text(_column(frame, "target_date")), None),
        "site_area": (pd.to_numeric(_column(frame, "site_area_m2"), errors="coerce"),
                      lambda v: site_area_text(v, lang) or None),
        "links": (_json_lists(_column(frame, "links")), lambda v: links_of(v) or None),
        "uncertainty": (pd.to_numeric(_column(frame, "uncertainty_m"), errors="coerce"),
                        lambda v: uncertainty_text(v, lang) or None),
    }


def reference_sources(atlas: Atlas, frame: pd.DataFrame, lang: str) -> dict[str, Source]:
    """Per reference display field: the column of `frame` (a reference frame) and its labels.

    >>> from app.data.atlas import load_atlas
    >>> from app.data.layers import REFERENCE_FIELDS
    >>> atlas = load_atlas()
    >>> frame = atlas.reference_frame(atlas.spec("metro_stations"))
    >>> tuple(reference_sources(atlas, frame, "zh")) == REFERENCE_FIELDS
    True
    """
    words = place_names(atlas, lang)
    return {
        "id": (frame["id"], None),
        **_names(frame, lang),
        "line": (frame["line"], None),
        **{name: (frame[name], words) for name in ("source", "method")},
        "confidence": (frame["confidence"], lambda v: atlas.vocab.label("confidence", v, lang)),
        "note": (frame["note"], words),
    }


def shipped_fields(spec: LayerSpec) -> tuple[str, ...]:
    """The properties a feature of `spec` carries to the browser: its id (to find and open
    it), then its tooltip and card fields, each once.

    >>> spec = LayerSpec.from_mapping({"id": "x", "title_zh": "x", "title_en": "x",
    ...     "kind": "projects", "order": 1, "geometry": ["point"], "style": {"color": "#000000"},
    ...     "legend": [], "tooltip": ["name", "id"], "card": ["name"]}, "x.toml")
    >>> shipped_fields(spec)
    ('id', 'name')
    """
    return tuple(dict.fromkeys(("id", *spec.tooltip, *spec.card)))


def card_config(spec: LayerSpec, lang: str) -> dict[str, Any]:
    """What atlas_map.js builds a feature's tooltip and card from: the tooltip fields, the
    card's title field (the first card field) and the other card fields with their labels;
    when the card has any, ``optional``: its fields left out when unset (:data:`LIVING_FIELDS`)
    and ``kinds``: those drawn as more than text (:data:`CARD_KINDS`).

    >>> from app.data.atlas import load_atlas
    >>> config = card_config(load_atlas().spec("renewal"), "en")
    >>> config["kinds"], "stages" in config["optional"], "name" in config["optional"]
    ({'stages': 'timeline', 'links': 'links'}, True, False)
    """
    rest = spec.card[1:]
    config: dict[str, Any] = {"tooltip": list(spec.tooltip), "title": spec.card[0],
                              "card": [[name, field_label(name, lang)] for name in rest]}
    # an unlocated project has no uncertainty: its line is left out like an unset living field
    optional = [name for name in rest if name in LIVING_FIELDS or name == "uncertainty"]
    kinds = {name: kind for name, kind in CARD_KINDS.items() if name in rest}
    return {**config, **({"optional": optional} if optional else {}),
            **({"kinds": kinds} if kinds else {})}


def labelled(source: Source) -> Column:
    """(codes, labels) of a column: code -1 is a missing value; labels (an object array) are
    plain JSON values, the label function run once per distinct value.

    >>> codes, labels = labelled((pd.Series(["a", None, "a"]), str.upper))
    >>> codes.tolist(), labels.tolist()
    ([0, -1, 0], ['A'])
    """
    values, label = source
    codes, uniques = pd.factorize(values, use_na_sentinel=True)
    plain = uniques.tolist()  # Python scalars, except from object columns of numpy values
    if pd.api.types.is_object_dtype(getattr(uniques, "dtype", None)):
        plain = [_plain(u) for u in plain]
    values = plain if label is None else [label(u) for u in plain]
    out = np.empty(len(values), dtype=object)
    if any(isinstance(v, list) for v in values):
        for i, value in enumerate(values):  # a list label is one value: never broadcast it
            out[i] = value
    else:
        out[:] = values
    return codes, out


def take(codes: np.ndarray, labels: np.ndarray) -> np.ndarray:
    """Per-row values (None where missing), in time proportional to the rows only.

    >>> take(np.array([1, -1]), np.array(["a", "b"], dtype=object)).tolist()
    ['b', None]
    >>> take(np.array([-1]), np.array([], dtype=object)).tolist()
    [None]
    """
    if len(labels) == 0:
        return np.full(len(codes), None, dtype=object)
    return np.where(codes >= 0, labels[codes], None)


def used(codes: np.ndarray, size: int) -> tuple[np.ndarray, np.ndarray]:
    """(used codes, each row's index among them) -- code -1 (missing) first when present --
    by counting, in time linear in rows and labels (no sort).

    >>> [a.tolist() for a in used(np.array([2, -1, 2]), 3)]
    [[-1, 2], [1, 0, 1]]
    """
    present = np.zeros(size + 1, dtype=bool)
    present[codes + 1] = True
    return np.flatnonzero(present) - 1, (np.cumsum(present) - 1)[codes + 1]


def _plain(value: Any) -> Any:
    """A value as plain JSON data (numpy scalars unwrapped, NaN as None)."""
    if hasattr(value, "item"):
        value = value.item()
    if isinstance(value, float) and value != value:
        return None
    return value


def columns_of(sources: Mapping[str, Source], names: tuple[str, ...]) -> dict[str, Column]:
    """The labelled columns of the fields `names`, in that order."""
    return {name: labelled(sources[name]) for name in names}
