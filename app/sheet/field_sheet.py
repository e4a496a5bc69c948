"""The field sheet of one project: what a field team carries to the site.

The project's card in the sheet's language; a location map of its surroundings (neighbouring
projects, reference layers, metro stations named) in UTM 51N with a scale bar and north arrow;
the nearest metro stations with distance and direction; its position in WGS-84, GCJ-02 and
BD-09 (:func:`app.geo.navlinks.coordinates_for`); QR codes of the AMap and Baidu navigation
links (:mod:`app.geo.navlinks`); the position's precision and source. An unlocated project
gets its card and a note, never a made-up position.

>>> from app.data.atlas import load_atlas
>>> from app.sheet.paper import SheetOptions
>>> atlas = load_atlas()
>>> sheet = field_sheet(atlas, "tianshan-park", SheetOptions(lang="en", dpi=50))
>>> sorted(sheet.links), sheet.links["amap"].startswith("https://uri.amap.com/marker?")
(['amap', 'baidu'], True)
>>> field_sheet(atlas, "no-such-project", SheetOptions())
Traceback (most recent call last):
...
app.errors.FilterError: unknown project 'no-such-project': no project of the register has this id
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime

import geopandas as gpd
import matplotlib
import pandas as pd
import shapely
from matplotlib import patheffects
from matplotlib.axes import Axes

from app.data.atlas import Atlas
from app.domain.i18n import t
from app.errors import ExportError, FilterError
from app.geo.crs import CRS_NAMES
from app.geo.navlinks import amap_link, baidu_link, coordinates_for
from app.geo.nearest import nearest
from app.sheet.drawing import (
    MapFrame,
    draw_class,
    draw_projects,
    draw_reference,
    metric,
    north_arrow,
    scale_bar,
    set_extent,
)
from app.sheet.fonts import sheet_rc_params
from app.sheet.map_sheet import visible_references
from app.sheet.output import Sheet
from app.sheet.page import Page
from app.sheet.paper import SheetOptions
from app.sheet.qr import draw_qr, fits_qr
from app.sheet.words import card_rows, version_line

__all__ = ["LINK_NAME_CHARS", "NEAREST_STATIONS", "SURROUNDINGS_M", "field_sheet",
           "navigation_link", "project_point"]

#: Half the width of the location map around the project, at least (metres).
SURROUNDINGS_M = 450.0
#: How many metro stations the sheet lists.
NEAREST_STATIONS = 3
_STATION_KIND = "metro_station"
#: The name a navigation link carries when the whole name makes its QR code too large.
LINK_NAME_CHARS = 16
#: Most lines of the sheet's title (the project's name) and of one card or position entry.
TITLE_LINES, ENTRY_LINES = 2, 4


def navigation_link(build: Callable[[float, float, str], str], lon: float, lat: float,
                    name: str) -> str:
    """The link `build` makes for the position and `name`, fitting one printable QR code: with
    the whole name, else with the name cut to :data:`LINK_NAME_CHARS` characters, else without
    a name (the map app then labels the mark itself). ExportError only if even that is too long.

    >>> from app.geo.navlinks import amap_link
    >>> link = navigation_link(amap_link, 121.4186, 31.2183, "天山公园" * 2500)
    >>> fits_qr(link), "name=%E5%A4%A9" in link, len(link) < 400
    (True, True, True)
    """
    cut = name[:LINK_NAME_CHARS] + "…" if len(name) > LINK_NAME_CHARS else name
    for label in dict.fromkeys((name, cut, "")):
        link = build(lon, lat, label)
        if fits_qr(link):
            return link
    raise ExportError(f"the navigation link is too long for a printable QR code even without "
                      f"the project's name: {link[:80]}…")


def project_point(geometry: shapely.Geometry) -> shapely.Point:
    """The point navigation goes to: the point itself, or a point inside a line or area (as
    the field page does).

    >>> project_point(shapely.Point(1, 2)).coords[0]
    (1.0, 2.0)
    >>> shapely.LineString([(0, 0), (2, 0)]).covers(project_point(shapely.LineString([(0, 0), (2, 0)])))
    True
    """
    if geometry.geom_type == "Point":
        return geometry
    return geometry.representative_point()


def _stations(atlas: Atlas) -> gpd.GeoDataFrame:
    """Located metro stations with the columns :func:`app.geo.nearest.nearest` needs."""
    rows = [{"id": p.id, "name_zh": p.name_zh, "name_en": p.name_en, "layer": _STATION_KIND,
             "precision": "site", "geometry": p.geometry}
            for p in atlas.places.values() if p.kind == _STATION_KIND and p.located]
    return gpd.GeoDataFrame(pd.DataFrame(rows, columns=["id", "name_zh", "name_en", "layer",
                                                        "precision", "geometry"]),
                            geometry="geometry", crs="EPSG:4326")


def _line_names(atlas: Atlas, station_id: str, lang: str) -> str:
    """'Line 2, Line 10' / '2号线、10号线' for a station (its lines, labelled by the station layer)."""
    lines = atlas.places[station_id].lines
    spec = next((s for s in atlas.reference_layers if _STATION_KIND in s.place_kinds), None)
    labels = [spec.legend_label(str(n), lang) if spec else str(n) for n in lines]
    return (", " if lang == "en" else "、").join(labels)


def _station_name(atlas: Atlas, station_id: str, lang: str) -> str:
    """The station's name with its lines, unless the name already says them."""
    place = atlas.places[station_id]
    name = place.name_en if lang == "en" else place.name_zh
    lines = _line_names(atlas, station_id, lang)
    return name if not lines or lines in name else f"{name} ({lines})"


def _station_labels(ax: Axes, atlas: Atlas, frame: MapFrame, lang: str, size: float) -> None:
    """Names of the stations inside the map, beside their symbols."""
    stations = _stations(atlas)
    if stations.empty:
        return
    points = metric(stations.geometry.to_numpy())
    minx, miny, maxx, maxy = frame.extent
    offset = (maxx - minx) * 0.012
    for name, point in zip(stations["name_en" if lang == "en" else "name_zh"], points, strict=True):
        if minx < point.x < maxx and miny < point.y < maxy:
            ax.text(point.x + offset, point.y + offset, name, fontsize=size, zorder=30, clip_on=True,
                    path_effects=[patheffects.withStroke(linewidth=2, foreground="white")])


def _location_map(page: Page, atlas: Atlas, row: gpd.GeoDataFrame, box: tuple[float, ...],
                  lang: str) -> MapFrame:
    """The location map: the project highlighted amid its surroundings."""
    ax = page.axes(*box)
    geom_m = metric(row.geometry.to_numpy())[0]
    centre = project_point(geom_m)
    minx, miny, maxx, maxy = geom_m.bounds
    half = max(SURROUNDINGS_M, (maxx - minx) * 0.6, (maxy - miny) * 0.6)
    frame = set_extent(ax, (centre.x - half, centre.y - half, centre.x + half, centre.y + half))
    refs = tuple(dict.fromkeys((*visible_references(atlas, None),
                                *(s.id for s in atlas.reference_layers if _STATION_KIND in s.place_kinds))))
    draw_reference(ax, atlas, refs)
    draw_projects(ax, atlas, atlas.projects)
    kind = {"Point": "point", "MultiPoint": "point", "LineString": "line",
            "MultiLineString": "line"}.get(geom_m.geom_type, "polygon")
    halo = {"color": "#000000", "weight": 9 if kind != "point" else 3, "opacity": 0.9,
            "fill": False}
    draw_class(ax, metric([project_point(row.geometry.iloc[0])]) if kind == "point"
               else metric(row.geometry.to_numpy()), kind, halo, 13.0, 1.5)  # under the project
    _station_labels(ax, atlas, frame, lang, 6 * page.scale)
    scale_bar(frame, t("sheet.metres", lang))
    north_arrow(frame, t("sheet.north", lang))
    return frame


def _flow(page: Page, x: float, y: float, width: float, bottom: float, heading: str,
          lines: list[str], size: float = 7.5) -> float:
    """A heading and its lines, wrapped to `width`, stopping above `bottom`; returns the y below."""
    y = page.paragraph(x, y, width, heading, 9, max_lines=1, fontweight="bold")
    for line in lines:
        if y - page.line_mm(size) < bottom:
            break
        y = page.paragraph(x, y, width, line, size, max_lines=ENTRY_LINES)
    return y - page.line_mm(size) * 0.5


def field_sheet(atlas: Atlas, project_id: str, options: SheetOptions,
                generated: date | None = None) -> Sheet:
    """The field sheet of project `project_id` (see the module doc); FilterError for an
    unknown id. `generated` is the date printed on it (today, UTC, by default)."""
    if not isinstance(project_id, str) or project_id not in set(atlas.projects["id"]):
        raise FilterError(f"unknown project {project_id!r}: no project of the register has "
                          "this id")
    with matplotlib.rc_context(sheet_rc_params()):
        return _draw(atlas, project_id, options, generated or datetime.now(UTC).date())


Box = tuple[float, float, float, float]  # x, y, width, height in mm from the bottom left


def _boxes(page: Page, top: float, footer: float) -> tuple[Box, Box, Box, list[Box]]:
    """Where the map, the info column, the card and the two QR codes go below `top`."""
    s, m, W = page.scale, page.margin, page.width_mm
    if page.landscape:
        right = m + 133 * s
        card = (right, m + footer, (W - m - right) * 0.5 - 2 * s, top - m - footer)
        info = (right + card[2] + 4 * s, m + footer + 44 * s, W - m - right - card[2] - 4 * s,
                top - m - footer - 44 * s)
        qr = min(38 * s, info[2] / 2 - 3 * s)
        return ((m, m + footer, 128 * s, top - m - footer), info, card,
                [(info[0], m + footer + 5 * s, qr, qr), (info[0] + qr + 5 * s, m + footer + 5 * s, qr, qr)])
    map_box = (m, top - 112 * s, W - 2 * m - 66 * s, 112 * s)
    qr = 40 * s
    return (map_box, (W - m - 62 * s, map_box[1], 62 * s, 112 * s),
            (m, m + footer, W - 2 * m - qr - 6 * s, map_box[1] - 6 * s - m - footer),
            [(W - m - qr, map_box[1] - 8 * s - qr, qr, qr),
             (W - m - qr, map_box[1] - 8 * s - 2 * qr - 10 * s, qr, qr)])


def _navigation(page: Page, atlas: Atlas, point: shapely.Point, name: str, info: Box,
                qr_boxes: list[Box], lang: str) -> tuple[float, dict[str, str]]:
    """Coordinates, nearest stations and the navigation QR codes; returns the y below the
    info column's text and the links."""
    coords = coordinates_for(point.x, point.y)
    y = _flow(page, info[0], info[1] + info[3], info[2], info[1],
              f"{t('sheet.coords', lang)} ({t('sheet.latlon', lang)})",
              [f"{t(f'sheet.crs_{crs}', lang)}: {coords[crs]}" for crs in CRS_NAMES])
    near = nearest(_stations(atlas), point.x, point.y, NEAREST_STATIONS)
    y = _flow(page, info[0], y, info[2], info[1], t("sheet.stations", lang), [
        t("sheet.station_line", lang).format(
            d=r.distance_m, dir=r.direction_en if lang == "en" else r.direction_zh,
            name=_station_name(atlas, r.id, lang))
        for r in near.itertuples()] or [t("sheet.none", lang)])
    links = {"amap": navigation_link(amap_link, point.x, point.y, name),
             "baidu": navigation_link(baidu_link, point.x, point.y, name)}
    for (key, label), box in zip((("amap", "sheet.nav_amap"), ("baidu", "sheet.nav_baidu")),
                                 qr_boxes, strict=True):
        draw_qr(page.axes(*box), links[key])
        page.text(box[0] + box[2] / 2, box[1] - 0.5 * page.scale, t(label, lang), 7, ha="center")
    return y, links


def _not_located(page: Page, box: Box, lang: str) -> None:
    """An empty frame where the map would be, saying why there is none."""
    ax = page.mm_axes(*box)
    ax.set_axis_on()
    ax.set_xticks([])
    ax.set_yticks([])
    page.paragraph(box[0] + 5 * page.scale, box[1] + box[3] / 2, box[2] - 10 * page.scale,
                   t("sheet.not_located", lang), 10)


def _position(atlas: Atlas, record: pd.Series, located: bool, lang: str) -> list[str]:
    """The position's precision, then (when located) confidence, method and source, and its note."""
    vocab = atlas.vocab
    lines = [f"{t('precision', lang)}: {vocab.label('precision', record['precision'], lang)}"]
    if located:
        lines += [f"{vocab.label('confidence', record['pos_confidence'], lang)} · {record['pos_method']}",
                  str(record["pos_source"] or "—")]
    if record["position_note"]:
        lines.append(str(record["position_note"]))
    return lines


def stage_lines(atlas: Atlas, record: pd.Series, lang: str) -> list[str]:
    """The project's stage history as lines (date · stage · source), oldest first, under a
    heading; nothing when the atlas carries no history (a saved register).

    >>> from app.data.atlas import load_atlas
    >>> from app.service.atlas import shown_atlas
    >>> atlas = shown_atlas(base=load_atlas()).atlas
    >>> lines = stage_lines(atlas, atlas.projects.set_index("id").loc["tianshan-park"], "en")
    >>> lines[0], lines[1].startswith("2025-01-08 · ")
    ('Stage history:', True)
    """
    stages = record.get("stages")
    if not isinstance(stages, (list, tuple)) or not stages:
        return []
    return [f"{t('sheet.stages', lang)}:"] + [
        f"{entry['date']} · {atlas.vocab.status_label(entry['stage'], lang)} · {entry.get('source', '')}"
        for entry in stages]


def _draw(atlas: Atlas, project_id: str, options: SheetOptions, generated: date) -> Sheet:
    """field_sheet inside the sheet's matplotlib settings."""
    lang = options.lang
    row = atlas.projects[atlas.projects["id"] == project_id].iloc[:1]
    record = row.iloc[0]
    name = str(record["name_en" if lang == "en" else "name_zh"])
    other = str(record["name_zh" if lang == "en" else "name_en"])
    page = Page(options, "portrait")
    s, m, W, H = page.scale, page.margin, page.width_mm, page.height_mm
    title = f"{t('sheet.field_title', lang)} · {name[:120]}{'…' if len(name) > 120 else ''}"
    page.text(m, H - m, t("app_title", lang) + " · " + t("sheet.field_title", lang), 8.5)
    y = page.paragraph(m, H - m - page.line_mm(8.5), W - 2 * m, name, 14, max_lines=TITLE_LINES,
                       fontweight="bold")
    y = page.paragraph(m, y, W - 2 * m, f"{other} · {project_id} · "
                       f"{atlas.spec(str(record['layer'])).title(lang)}", 8.5, max_lines=TITLE_LINES)
    footer = 17 * s
    map_box, info, card_box, qr_boxes = _boxes(page, y - 3 * s, footer)
    located = record.geometry is not None and not record.geometry.is_empty
    frames: tuple[MapFrame, ...] = ()
    links: dict[str, str] = {}
    info_y = info[1] + info[3]
    if located:
        frames = (_location_map(page, atlas, row, map_box, lang),)
        info_y, links = _navigation(page, atlas, project_point(record.geometry), name, info,
                                    qr_boxes, lang)
    else:
        _not_located(page, map_box, lang)
    _flow(page, info[0], info_y, info[2], info[1], t("sheet.position", lang),
          _position(atlas, record, located, lang), 7)
    card = [f"{label}: {value}" for label, value in card_rows(atlas, row, lang)]
    card += stage_lines(atlas, record, lang)
    _flow(page, card_box[0], card_box[1] + card_box[3], card_box[2], card_box[1],
          t("sheet.card", lang), card, 7.5)
    first = [version_line(atlas.data_version, options.asof, lang),
             t("sheet.generated", lang).format(d=generated.isoformat()), t("sheet.crs", lang),
             t("sheet.basemap_none", lang)]
    page.footer(m, m + footer - 1 * s, W - 2 * m, first, lang, t("sheet.sources", lang))
    return Sheet(page.figure, "field", title, frames, links, tuple(page.texts))
