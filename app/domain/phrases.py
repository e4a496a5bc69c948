"""Phrases the code writes in English, in words of the page's language: where a position came
from, what an import noticed about its file, and references to the work report.

The atlas records provenance as text the code writes in English ("gazetteer place
metro-l3-yananxilu", "field check accepted by 李审 on 2025-05-02 (submission 3)", "drawn in the
app by 李规划 on 2025-05-01"): stable, searchable and the same in every export. A page in
Chinese shows the same facts in Chinese: :func:`provenance_text` recognises the phrases the code
writes (:data:`PATTERNS`, each to a template of :mod:`app.domain.i18n`) and fills in their
parts -- names, days, numbers, place ids (which the caller's `place` names). Text it does not
recognise (a curated note, a user's reason) is returned as it is. :func:`import_note_text` does
the same for an import's notes on its file (:data:`IMPORT_NOTES`: "encoding gb18030
(detected)"), :func:`citation_text` the other way round for references to the report, which
are written in Chinese.

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

__all__ = ["CITATIONS", "IMPORT_NOTES", "PATTERNS", "citation_text", "import_note_text",
           "provenance_text"]

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
    (r"^(?P<file>[\w.-]+\.(?:csv|json|geojson)): (?P<sub>.+?) of the Line (?P<n>\d+) station$", "prov.source_of_station"),
    (r"^AMap subway map station vertex \((?P<year>\d{4})\)$", "prov.amap_subway"),
    (r"^hand-curated list of Line (?P<n>\d+) stations \((?P<file>[\w.-]+)\)$", "prov.hand_curated"),
    (r"^statistical division codes \(统计用区划代码\), entered by hand$", "prov.division_codes"),
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
    (r"^(?P<a>bd09|gcj02)→wgs84 conversion$", "prov.converted"),
    (r"^(?P<a>bd09|gcj02)→wgs84 conversion of every vertex \((?P<code>[^)]+)\), make_valid, snapped to "
     r"(?P<n>\d+) decimals, exterior rings counter-clockwise$", "prov.converted_outline"),
    (r"^bus-stop sketch: (?P<n>\d+) stop points \(stops on it and at its crossings\)$", "prov.sketch_stops"),
    (r"^house-number sketch: (?P<a>\d+) address points? and (?P<b>\d+) bus stops? \(too few bus stops\)$",
     "prov.sketch_houses_stop"),
    (r"^house-number sketch: (?P<a>\d+) address points? \(too few bus stops\)$", "prov.sketch_houses"),
    (r"^track geometry clipped to the district$", "prov.track_clipped"),
    (r"^interchange: position of the Line (?P<n>\d+) station's POI$", "prov.interchange"),
    (r"^reference rows?: (?P<rows>.+)$", "prov.reference_rows"),
    (r"^Sketched through bus stops at: (?P<stops>.+)\. Kerbside stops lie (?P<a>[\d–-]+) m off the "
     r"centreline; straight between stops; clipped to the district\.$", "prov.sketched_stops"),
    (r"^Sketched through the bus stop at (?P<stop>[^,]+), (?P<houses>.+); a building stands back from "
     r"the road, so expect (?P<a>[\d–-]+) m; clipped to the district\.$", "prov.sketched_stop_houses"),
    (r"^Sketched through (?P<houses>.+); a building stands back from the road, so expect "
     r"(?P<a>[\d–-]+) m; clipped to the district\.$", "prov.sketched_houses"),
    (r"^no outline in the shipped sources$", "prov.no_outline"),
    (r"^(?P<crs>WGS-84) \(converted from (?P<src>\S+) by the publisher\)$", "prov.crs_converted_from"),
    (r"^(?P<crs>WGS-84) \(converted by the publisher\)$", "prov.crs_converted"),
    (r"^none \(names and codes only\)$", "prov.crs_none"),
    (r"^change (?P<n>\d+) \((?P<source>seed|planner), (?P<status>accepted|pending|rejected)\): (?P<sub>.*)$",
     "prov.audit_change"),
    (r"^change (?P<n>\d+): (?P<reason>.*)$", "prov.audit_decision"),
    (r"^seeded from the curated register \(data version (?P<v>\S+)\)$", "prov.seeded"),
    (r"^(?P<kind>correct|confirm): (?P<note>.*)$", "prov.audit_submission"),
    (r"^register (?P<name>.+): (?P<n>\d+) rows$", "prov.audit_saved"),
    # an imported register's rows (app/io/importer.py)
    (r"^(?P<what>coordinates|geometry) from the imported file, (?P<conv>\S+→wgs84) conversion; fixed: (?P<fixes>.+)$",
     "prov.import_file_converted_fixed"),
    (r"^(?P<what>coordinates|geometry) from the imported file, (?P<conv>\S+→wgs84) conversion$",
     "prov.import_file_converted"),
    (r"^(?P<what>coordinates|geometry) from the imported file; fixed: (?P<fixes>.+)$", "prov.import_file_fixed"),
    (r"^(?P<what>coordinates|geometry) from the imported file$", "prov.import_file"),
    (r"^(?P<what>coordinates|geometry) from the file \((?P<fixes>.+) fixed\)$", "prov.import_note_fixed"),
    (r"^(?P<what>coordinates|geometry) from the file$", "prov.import_note"),
    (r"^gazetteer (?P<m>[\w-]+) match of the (?P<what>address|name) (?P<q>'.*'|\".*\") to (?P<refs>\S+) "
     r"\(score (?P<s>[\d.]+)\)$", "prov.import_gazetteer"),
    (r"^(?P<m>address|address-interpolated) match of the (?P<what>address|name) (?P<q>'.*'|\".*\") "
     r"\(score (?P<s>[\d.]+)\): (?P<sub>.+)$", "prov.import_address"),
    (r"^gazetteer: (?P<m>[\w-]+)$", "prov.import_gazetteer_only"),
    (r"^Position of gazetteer place (?P<name>.+) \((?P<refs>[^)]+)\), matched by (?P<what>address|name): "
     r"(?P<sub>.+)$", "prov.import_place_note"),
    (r"^Placed from known house numbers, matched by (?P<what>address|name): (?P<sub>.+)$",
     "prov.import_address_note"),
    (r"^(?P<m>[\w-]+) match to (?P<name>.+) \((?P<refs>[^)]+)\)$", "prov.match_to"),
    (r"^(?P<file>.+\.\w+), row (?P<n>\d+)$", "prov.file_row"),
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
    whole = _phrase(text, lang, place)
    if whole is None and "; " in text:  # several sources, each a phrase
        return ";".join(provenance_text(p, lang, place) for p in text.split("; "))
    return _names(text, place) if whole is None else whole


def _phrase(text: str, lang: str, place: Callable[[str], str]) -> str | None:
    """`text` as one of :data:`PATTERNS` in words of `lang`, or None when it is none of them."""
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
            elif name in ("source", "status", "kind", "what"):
                value = t(f"prov.word_{value}", lang)
            elif name == "m":
                value = t(f"import.method_{value}", lang)
            elif name == "rows":
                value = value.replace(" seq ", " 第 ").replace("; ", ";")
            values[name] = value
        return t(key, lang).format(**values)
    return None


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


#: What an import notes about its file (app/io/readers.py, app/io/importer.py), to the i18n key
#: of its template.
IMPORT_NOTES: tuple[tuple[re.Pattern[str], str], ...] = tuple((re.compile(p), key) for p, key in (
    (r"^encoding (?P<enc>\S+) \((?P<how>given|detected)\)$", "note.encoding"),
    (r"^separator (?P<sep>.+)$", "note.separator"),
    (r"^sheet (?P<name>'.*?'|\".*?\") \(the first of (?P<n>\d+): (?P<all>.+)\)$", "note.sheet_first"),
    (r"^sheet (?P<name>'.*?'|\".*?\")$", "note.sheet"),
    (r"^layer (?P<name>'.*?'|\".*?\") \(the first of (?P<n>\d+)\)$", "note.layer_first"),
    (r"^layer (?P<name>'.*?'|\".*?\")$", "note.layer"),
    (r"^(?P<n>\d+) features$", "note.features"),
    (r"^file CRS (?P<crs>\S+)$", "note.file_crs"),
    (r"^(?P<n>\d+) blank row\(s\) skipped$", "note.blank_rows"),
    (r"^the file's geometries are in (?P<file>.+) \(as the file says\); the declared (?P<declared>.+) "
     r"applies only to lon/lat columns$", "note.geometry_crs"),
    (r"^(?P<k>\d+) of the (?P<n>\d+) rows whose name matches a gazetteer place sit a median "
     r"(?P<m>\d+) m from it as (?P<declared>\S+), but on it when their coordinates are read as "
     r"(?P<other>\S+): the file is probably in \S+\. Import it again with --crs \S+ "
     r"\(or choose \S+ on the import page\)\.$", "note.crs_mixup"),
))


def import_note_text(text: str, lang: str) -> str:
    """An import's note on its file in words of `lang` (other text as it is).

    >>> import_note_text("encoding gb18030 (detected)", "zh")
    '编码 gb18030(自动识别)'
    >>> import_note_text("3 blank row(s) skipped", "en")
    '3 blank row(s) skipped'
    """
    text = str(text or "")
    if lang != "zh":
        return text
    for pattern, key in IMPORT_NOTES:
        found = pattern.match(text)
        if found is not None:
            values = {k: v or "" for k, v in found.groupdict().items()}
            if "how" in values:
                values["how"] = t(f"note.how_{values['how']}", lang)
            return t(key, lang).format(**values)
    return text
