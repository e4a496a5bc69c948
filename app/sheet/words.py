"""The words on a sheet: a filter said in the sheet's language, a project's card rows, and
text wrapped to a width on paper.

>>> from app.data.atlas import load_atlas
>>> from app.domain.filters import Filter
>>> atlas = load_atlas()
>>> filter_words(atlas, Filter(values={"layer": ("renewal",)}, query="tianshan"), "en")
'Layer: Urban renewal; search "tianshan"'
>>> filter_words(atlas, Filter(), "zh")
'全部项目(无筛选)'
>>> wrap("长宁区" * 10, width_mm=20, size_pt=10)[0]
'长宁区长宁'
>>> fit("长宁区" * 10, width_mm=20, size_pt=10), fit("", 20, 10)
('长宁区长…', '')
"""

from __future__ import annotations

import unicodedata

import pandas as pd

from app.data.atlas import Atlas
from app.domain.filters import Filter
from app.domain.i18n import field_label, t
from app.map.fields import project_sources

__all__ = ["card_rows", "filter_words", "fit", "value_label", "version_line", "wrap"]

_PT_PER_MM = 72 / 25.4


def value_label(atlas: Atlas, name: str, value: str, lang: str) -> str:
    """The label of one filter value in `lang` (the value itself where there is none)."""
    if name == "layer":
        return next((s.title(lang) for s in atlas.specs if s.id == value), value)
    if name == "category":
        return next((s.legend_label(value, lang) for s in atlas.project_layers
                     if value in s.legend_values()), value)
    if name == "status":
        return atlas.vocab.status_label(value, lang)
    if name in ("precision", "report_section"):
        return atlas.vocab.label("section" if name == "report_section" else name, value, lang)
    if name == "subdistrict" and value == "unknown":
        return t("unknown", lang)
    return value


def version_line(data_version: str, asof: str | None, lang: str) -> str:
    """The footer's data version, and the day the register is shown as of when there is one.

    >>> version_line("5a4b+3@2025-06-30", "2025-06-30", "en")
    'Data version 5a4b+3@2025-06-30 · as of 2025-06-30'
    >>> version_line("5a4b+3", None, "zh")
    '数据版本 5a4b+3'
    """
    line = t("sheet.data_version", lang).format(v=data_version)
    return f"{line} · {t('sheet.asof', lang).format(d=asof)}" if asof else line


def filter_words(atlas: Atlas, flt: Filter, lang: str) -> str:
    """The filter as one line of words: each field's label and its values, then the search."""
    sep, comma = ("; ", ", ") if lang == "en" else (";", "、")
    colon = ": " if lang == "en" else ":"
    parts = [f"{field_label(name, lang)}{colon}"
             + comma.join(value_label(atlas, name, v, lang) for v in values)
             for name, values in flt.values.items() if values]
    if flt.query.strip():
        parts.append(t("sheet.search", lang).format(q=flt.query.strip()))
    return sep.join(parts) if parts else t("sheet.all", lang)


def card_rows(atlas: Atlas, row: pd.DataFrame, lang: str) -> list[tuple[str, str]]:
    """(label, value) for each field of the project's card after its title field, as the card
    on screen shows them; empty values are left out. `row` is a one-row projects frame."""
    spec = atlas.spec(str(row["layer"].iloc[0]))
    sources = project_sources(atlas, row, lang)
    rows = []
    for name in spec.card[1:]:
        series, label = sources[name]
        value = series.iloc[0]
        if value is None or (not isinstance(value, str) and pd.isna(value)) or value == "":
            continue
        shown = label(value) if label else value
        if isinstance(shown, list):  # the stage history, links: one line of entries
            shown = "; ".join(f"{e['date']} {e['label']}" if isinstance(e, dict) else str(e)
                              for e in shown)
        if shown is None or shown == "":
            continue
        rows.append((field_label(name, lang), str(shown)))
    return rows


def _units(char: str) -> int:
    """Width of a character in half-em units: 2 for wide (CJK) characters, 1 otherwise."""
    return 2 if unicodedata.east_asian_width(char) in ("W", "F") else 1


def wrap(text: str, width_mm: float, size_pt: float) -> list[str]:
    """`text` broken into lines that fit `width_mm` at `size_pt` (a CJK character is one em
    wide, others half an em; Latin text breaks at spaces where it can)."""
    limit = max(int(width_mm * _PT_PER_MM / (size_pt / 2)), 4)
    lines: list[str] = []
    for paragraph in str(text).splitlines() or [""]:
        line, used, last_space = "", 0, -1
        for char in paragraph:
            if used + _units(char) > limit:
                if last_space > len(line) // 2 and char != " ":
                    lines.append(line[:last_space])
                    line = line[last_space + 1:]
                else:
                    lines.append(line)
                    line = ""
                line = line.lstrip(" ")
                used = sum(_units(c) for c in line)
                last_space = -1
            if char == " " and not line:
                continue
            if char == " ":
                last_space = len(line)
            line += char
            used += _units(char)
        lines.append(line)
    return lines


def fit(text: str, width_mm: float, size_pt: float) -> str:
    """`text` on one line of `width_mm` at `size_pt`, cut with an ellipsis when too long."""
    limit = max(int(width_mm * _PT_PER_MM / (size_pt / 2)), 4)
    used = 0
    for i, char in enumerate(text):
        used += _units(char)
        if used > limit:
            cut = text[:i]
            while cut and sum(_units(c) for c in cut) + 2 > limit:
                cut = cut[:-1]
            return cut + "…"
    return text
