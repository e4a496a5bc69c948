"""Where a position came from, in words of the page's language.

The atlas records provenance as text the code writes in English ("gazetteer place
metro-l3-yananxilu", "field check accepted by 李审 on 2025-05-02 (submission 3)", "drawn in the
app by 李规划 on 2025-05-01"): stable, searchable and the same in every export. A page in
Chinese shows the same facts in Chinese: :func:`provenance_text` recognises the phrases the code
writes (:data:`PATTERNS`, each to a template of :mod:`app.domain.i18n`) and fills in their
parts -- names, days, numbers, place ids (which the caller's `place` names). Text it does not
recognise (a curated note, a user's reason) is returned as it is.

>>> provenance_text("gazetteer place metro-l3-yananxilu", "zh", lambda i: "延安西路站")
'地名库地点 延安西路站'
>>> provenance_text("field check accepted by 李审 on 2025-05-02 (submission 3, device accuracy 15 m)", "zh")
'现场核查,由 李审 于 2025-05-02 通过(提交编号 3,设备精度 15 米)'
>>> provenance_text("changning_pois_gcj02.csv: AMap marker (2019)", "zh")
'changning_pois_gcj02.csv:高德地图标注(2019)'
>>> provenance_text("gazetteer place poi-a", "en", lambda i: "A")
'gazetteer place A'
>>> provenance_text("a note nobody wrote a pattern for", "zh")
'a note nobody wrote a pattern for'
"""

from __future__ import annotations

import re
from collections.abc import Callable

from app.domain.i18n import t

__all__ = ["CITATIONS", "PATTERNS", "citation_text", "provenance_text"]

_PLACE_ID = re.compile(r"\b[a-z0-9]+(?:-[a-z0-9]+)+\b")
_DAY = r"\d{4}-\d{2}-\d{2}"

#: The phrases the code writes, each to the i18n key of its template. Named groups are filled
#: in: ``sub`` groups are translated again (a phrase inside a phrase), ``refs`` and ``line``
#: name places, ``file`` is a file name, kept as it is.
PATTERNS: tuple[tuple[re.Pattern[str], str], ...] = tuple((re.compile(p), key) for p, key in (
    (r"^none$", "prov.none"),
    (r"^field$", "prov.field"),
    (r"^(?P<how>drawn|uploaded)$", "prov.by_planner"),
    (r"^gazetteer place (?P<refs>.+)$", "prov.place"),
    (r"^line through gazetteer places (?P<refs>.+)$", "prov.line_through"),
    (r"^convex hull of gazetteer places (?P<refs>.+) grown by (?P<m>[\d.]+) m$", "prov.hull"),
    (r"^approximate centre \(representative point\) of (?P<refs>.+)$", "prov.centre"),
    (r"^explicit coordinates, (?P<crs>\S+)→wgs84 conversion$", "prov.explicit"),
    (r"^linear reference along (?P<line>[^:]+): segment (?P<refs>.+), whole stretch$", "prov.linear_all"),
    (r"^linear reference along (?P<line>[^:]+): segment (?P<refs>.+), (?P<a>[\d.]+)–(?P<b>[\d.]+|end) m$",
     "prov.linear_part"),
    (r"^address: (?P<sub>.+)$", "prov.address"),
    (r"^address-interpolated: (?P<sub>.+)$", "prov.address_interpolated"),
    (r"^known address (?P<key>\S+)(?: \((?P<names>.+)\))?$", "prov.known_address"),
    (r"^interpolated between (?P<low>\S+) and (?P<high>\S+) \((?P<side>.+)\)$", "prov.interpolated"),
    (r"^derived: (?P<sub>.+)$", "prov.derived"),
    (rf"^field check accepted by (?P<who>.+) on (?P<day>{_DAY}) \(submission (?P<sid>\d+)"
     r", device accuracy (?P<acc>\d+) m\)$", "prov.field_check_accuracy"),
    (rf"^field check accepted by (?P<who>.+) on (?P<day>{_DAY}) \(submission (?P<sid>\d+)\)$",
     "prov.field_check"),
    (rf"^(?P<how>drawn|uploaded) in the app by (?P<who>.+?) on (?P<day>{_DAY}); (?P<repair>.+)$",
     "prov.in_app_repaired"),
    (rf"^(?P<how>drawn|uploaded) in the app by (?P<who>.+?) on (?P<day>{_DAY})$", "prov.in_app"),
    (r"^Position from an accepted field check \(see the audit trail\)\.$", "prov.field_note"),
    (r"^Position (?P<how>drawn|uploaded) by a planner: (?P<reason>.+)$", "prov.planner_note"),
    (r"^(?P<file>[\w.-]+\.(?:csv|json|geojson|toml)): (?P<sub>.+)$", "prov.source_file"),
    (r"^AMap marker \((?P<year>\d{4})\)$", "prov.amap_marker"),
    (r"^AMap POIs \(c\. (?P<year>\d{4}), publisher-converted to WGS-84\)$", "prov.amap_pois"),
    (r"^Baidu station POI \((?P<year>\d{4})\)$", "prov.baidu_station"),
    (r"^Line 2 track \(Baidu line query, publisher-converted to WGS-84\)$", "prov.line2_track"),
))


def _names(text: str, place: Callable[[str], str]) -> str:
    return _PLACE_ID.sub(lambda m: place(m.group(0)), text)


def provenance_text(text: str, lang: str, place: Callable[[str], str] = str) -> str:
    """`text` (provenance the code wrote, module doc) in words of `lang`; place ids in it named
    by `place` (id -> name; the id itself by default). Several sources joined by "; " are
    translated one by one."""
    text = str(text or "")
    if lang != "zh":
        return _names(text, place)
    parts = text.split("; ") if "; " in text and not text.startswith(("drawn in", "uploaded in")) else [text]
    if len(parts) > 1:
        return ";".join(provenance_text(p, lang, place) for p in parts)
    for pattern, key in PATTERNS:
        found = pattern.match(text)
        if found is None:
            continue
        values = {}
        for name, value in found.groupdict().items():
            value = value or ""
            if name == "sub":
                value = provenance_text(value, lang, place)
            elif name in ("refs", "line", "low", "high", "key"):
                value = _names(value, place)
            elif name == "how":
                value = t(f"prov.how_{value}", lang)
            values[name] = value
        return t(key, lang).format(**values)
    return _names(text, place)


#: References to the work report, written in Chinese (as the report is cited), to the i18n key
#: of their English: ``sec`` is the report's section numeral (一…七), named by the caller.
CITATIONS: tuple[tuple[re.Pattern[str], str], ...] = tuple((re.compile(p), key) for p, key in (
    (r"^二、2025年主要任务 \((?P<sec>[一二三四五六七])\) (?P<para>.+)$", "cite.report_ref"),
    (r"^长宁区2025年政府工作报告,第(?P<sec>[一二三四五六七])部分“(?P<para>.+)”$", "cite.stage_source"),
))


def citation_text(text: str, lang: str, section: Callable[[str], str] = str) -> str:
    """A reference to the work report (written in Chinese) in words of `lang`; `section`
    names a section numeral in `lang`. Other text is returned as it is.

    >>> citation_text("二、2025年主要任务 (四) 打造高品质公共空间", "en", lambda s: "IV. Urban renewal")
    '2025 work report, part 2 "Main tasks for 2025", section IV. Urban renewal'
    >>> citation_text("二、2025年主要任务 (四) 打造高品质公共空间", "zh")
    '二、2025年主要任务 (四) 打造高品质公共空间'
    """
    text = str(text or "")
    if lang == "zh":
        return text
    for pattern, key in CITATIONS:
        found = pattern.match(text)
        if found is not None:
            return t(key, lang).format(section=section(found.group("sec")))
    return text
