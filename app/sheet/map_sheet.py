"""The map sheet of a selection: the printable counterpart of the map page.

Title, the filter in words, the map in UTM 51N (projects styled by their layer specs over the
district outline and the visible reference layers; no basemap, so it is drawn offline), legend
with counts, scale bar in metres, north arrow, the unlocated projects of the selection, data
version, generation date, sources and attributions, and a QR code of the permalink: the map
page's URL with the view's query parameters (:func:`app.domain.viewstate.to_query`).

>>> from app.data.atlas import load_atlas
>>> from app.domain.filters import Filter
>>> from app.sheet.paper import SheetOptions
>>> atlas = load_atlas()
>>> sheet = map_sheet(atlas, Filter(values={"layer": ("renewal",)}), SheetOptions(lang="en", dpi=50))
>>> sheet.links["permalink"]
'http://localhost:8501/?lang=en&basemap=none&layer=renewal'
>>> map_sheet(atlas, Filter(), SheetOptions(ref_layers=("metro",)))
Traceback (most recent call last):
...
app.errors.FilterError: unknown reference layer(s) ['metro']; known: ['district_boundary', 'metro_stations', 'metro_line2', 'metro_viaduct', 'road_sketches']
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import UTC, date, datetime
from urllib.parse import urlencode

import matplotlib
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.lines import Line2D
from matplotlib.patches import Rectangle

from app.data.atlas import Atlas
from app.domain.filters import Filter, apply_filter
from app.domain.i18n import t
from app.domain.viewstate import ViewState, to_query
from app.errors import FilterError
from app.geo.gazetteer import DISTRICT_ID
from app.map.legend import legend_spec
from app.sheet.drawing import (
    draw_projects,
    draw_reference,
    extent_of,
    north_arrow,
    scale_bar,
    set_extent,
)
from app.sheet.fonts import sheet_rc_params
from app.sheet.output import Sheet
from app.sheet.page import Page
from app.sheet.paper import SheetOptions
from app.sheet.qr import draw_qr
from app.sheet.words import filter_words, fit, version_line

__all__ = ["map_sheet", "permalink", "visible_references"]

_ZOOM_RANGE = (9, 19)


def visible_references(atlas: Atlas, chosen: Sequence[str] | None) -> tuple[str, ...]:
    """The reference layers a sheet draws: `chosen`, or those visible by default; FilterError
    naming unknown ids."""
    known = [s.id for s in atlas.reference_layers]
    if chosen is None:
        return tuple(s.id for s in atlas.reference_layers if s.visible)
    bad = [r for r in chosen if r not in known]
    if bad:
        raise FilterError(f"unknown reference layer(s) {bad}; known: {known}")
    return tuple(chosen)


def _zoom(bbox: tuple[float, float, float, float]) -> int:
    """A web-map zoom that shows `bbox` in a window about 1000 pixels wide."""
    span = max(bbox[2] - bbox[0], (bbox[3] - bbox[1]) / math.cos(math.radians(bbox[1])))
    zoom = int(math.floor(math.log2(360.0 * 1000 / 256 / span)))
    return min(max(zoom, _ZOOM_RANGE[0]), _ZOOM_RANGE[1])


def permalink(flt: Filter, options: SheetOptions) -> str:
    """The map page's URL reproducing the sheet's view (basemap 'none', as on the sheet).

    >>> permalink(Filter(query="天山"), SheetOptions(base_url="https://atlas.example/",
    ...           bbox=(121.40, 31.20, 121.42, 31.22)))
    'https://atlas.example/?basemap=none&q=%E5%A4%A9%E5%B1%B1&lat=31.21000&lon=121.41000&z=15'
    >>> permalink(Filter(), SheetOptions(ref_layers=()))
    'http://localhost:8501/?basemap=none&ref=none'
    >>> permalink(Filter(), SheetOptions(register="d-2025"))
    'http://localhost:8501/?basemap=none&register=d-2025'
    >>> permalink(Filter(), SheetOptions(asof="2025-06-30"))
    'http://localhost:8501/?basemap=none&asof=2025-06-30'
    """
    view = ViewState(lang=options.lang, basemap="none", ref_layers=options.ref_layers,
                     filters={k: tuple(v) for k, v in flt.values.items() if v}, query=flt.query,
                     register=options.register)
    if options.bbox is not None:
        minlon, minlat, maxlon, maxlat = options.bbox
        view = view.with_changes(lat=(minlat + maxlat) / 2, lon=(minlon + maxlon) / 2,
                                 zoom=_zoom(options.bbox))
    params = to_query(view)
    if options.asof:
        params.setdefault("asof", options.asof)
    query = urlencode(params, safe=",")
    return f"{options.base_url}?{query}" if query else options.base_url


def _legend(page: Page, ax: Axes, legend: dict, width: float, height: float) -> None:
    """The legend in an mm axes: group titles, then a symbol and 'label (count)' per entry."""
    y = height
    size = 7.0
    step = page.line_mm(size)
    page.text_in(ax, 0, y, legend["title"], 9, fontweight="bold")
    y -= page.line_mm(9) * 1.1
    for group in legend["groups"]:
        if y < step:
            break
        page.text_in(ax, 0, y, group["title"], size, fontweight="bold")
        y -= step
        for entry in group["entries"]:
            if y < step:
                break
            mid = y - step / 2
            _symbol(ax, entry, 1.0 * page.scale, mid, 4.0 * page.scale, step * 0.6)
            label = entry["label"] + (f" ({entry['count']})" if entry["count"] is not None else "")
            page.text_in(ax, 6.5 * page.scale, y, label, size)
            y -= step


def _symbol(ax: Axes, entry: dict, x: float, y: float, w: float, h: float) -> None:
    """A legend symbol: a dot, a line or a filled square in the entry's colours."""
    if entry["shape"] == "point":
        ax.add_line(Line2D([x + w / 2], [y], marker="o", markersize=5, markerfacecolor=entry["fill"],
                           markeredgecolor=entry["color"], linestyle="none"))
    elif entry["shape"] == "line":
        ax.add_line(Line2D([x, x + w], [y, y], color=entry["color"], linewidth=2))
    else:
        fill = entry["fill"] if entry["fill"] != "transparent" else "none"
        ax.add_patch(Rectangle((x, y - h / 2), w, h, facecolor=fill, edgecolor=entry["color"],
                               alpha=0.8, linewidth=1))


def _unlocated(page: Page, frame: pd.DataFrame, lang: str, x: float, y_top: float, width: float,
               y_bottom: float) -> None:
    """The selection's unlocated projects, as many as fit above `y_bottom`, then '… and N more'."""
    missing = frame[frame.geometry.isna()]
    y = page.paragraph(x, y_top, width, f"{t('unlocated', lang)} ({len(missing)})", 8.5,
                       fontweight="bold")
    if missing.empty:
        page.text(x, y, t("sheet.none", lang), 7)
        return
    names = missing["name_en" if lang == "en" else "name_zh"].astype(str).tolist()
    fits = max(int((y - y_bottom) / page.line_mm(7)), 1)
    shown = names if len(names) <= fits else names[:fits - 1]
    for name in shown:
        page.text(x, y, fit(f"· {name}", width / page.scale, 7), 7)
        y -= page.line_mm(7)
    if len(shown) < len(names):
        page.text(x, y, t("sheet.more", lang).format(n=len(names) - len(shown)), 7)


Box = tuple[float, float, float, float]  # x, y, width, height in mm from the bottom left


def _boxes(page: Page, header: float, footer: float, legend: dict) -> tuple[Box, Box, Box, Box]:
    """Where the map, legend, unlocated list and QR code go, between header and footer:
    landscape puts a column at the right, portrait a band under the map."""
    s, m, W, H = page.scale, page.margin, page.width_mm, page.height_mm
    if page.landscape:
        side = 74 * s
        map_box = (m, m + footer, W - 2 * m - side - 5 * s, H - 2 * m - header - footer)
        qr = min(44 * s, side * 0.6)
        rows = 1.2 + sum(1 + len(g["entries"]) for g in legend["groups"])
        legend_h = min(rows * page.line_mm(7) + 2 * s, (map_box[3] - qr - 8 * s) - 30 * s)
        return (map_box, (W - m - side, m + footer + map_box[3] - legend_h, side, legend_h),
                (W - m - side, m + footer + qr + 8 * s, side, map_box[3] - legend_h - qr - 10 * s),
                (W - m - qr, m + footer + 4 * s, qr, qr))
    panel = 78 * s
    qr = panel - 10 * s
    legend_w = (W - 2 * m - qr) * 0.5
    return ((m, m + footer + panel, W - 2 * m, H - 2 * m - header - footer - panel),
            (m, m + footer + 2 * s, legend_w, panel - 4 * s),
            (m + legend_w + 4 * s, m + footer + 2 * s, W - 2 * m - qr - legend_w - 8 * s, panel - 4 * s),
            (W - m - qr, m + footer + 6 * s, qr, qr))


def _map_extent(atlas: Atlas, options: SheetOptions) -> tuple[float, float, float, float]:
    if options.bbox is not None:
        return extent_of(options.bbox)
    district = atlas.places[DISTRICT_ID].geometry
    return extent_of(tuple(district.bounds))


def map_sheet(atlas: Atlas, flt: Filter, options: SheetOptions, generated: date | None = None
              ) -> Sheet:
    """The map sheet of the projects passing `flt` (see the module doc). `generated` is the
    date printed on it (today, UTC, by default); everything else follows from the inputs."""
    with matplotlib.rc_context(sheet_rc_params()):
        return _draw(atlas, flt, options, generated or datetime.now(UTC).date())


def _draw(atlas: Atlas, flt: Filter, options: SheetOptions, generated: date) -> Sheet:
    """map_sheet inside the sheet's matplotlib settings."""
    lang = options.lang
    refs = visible_references(atlas, options.ref_layers)
    frame = atlas.projects[apply_filter(atlas.projects, flt).to_numpy()]
    located = int(frame.geometry.notna().sum())
    page = Page(options, "landscape")
    s, m, W, H = page.scale, page.margin, page.width_mm, page.height_mm
    title = f"{t('app_title', lang)} · {t('sheet.map_title', lang)}"
    page.text(m, H - m, title, 15, fontweight="bold")
    y = page.paragraph(m, H - m - page.line_mm(15), W - 2 * m,
                       t("sheet.filter", lang) + filter_words(atlas, flt, lang), 8.5, max_lines=2)
    page.text(m, y, t("count_line", lang).format(n=len(frame), located=located,
                                                 unlocated=len(frame) - located), 8.5)
    header = H - m - y + page.line_mm(8.5) + 2 * s
    legend = legend_spec(atlas, frame, refs, lang)
    footer = 17 * s
    map_box, legend_box, list_box, qr_box = _boxes(page, header, footer, legend)
    qr_size = qr_box[2]
    ax = page.axes(*map_box)
    map_frame = set_extent(ax, _map_extent(atlas, options), margin=0.02)
    draw_reference(ax, atlas, refs)
    draw_projects(ax, atlas, frame)
    scale_bar(map_frame, t("sheet.metres", lang))
    north_arrow(map_frame, t("sheet.north", lang))
    _legend(page, page.mm_axes(*legend_box), legend, legend_box[2], legend_box[3])
    _unlocated(page, frame, lang, list_box[0], list_box[1] + list_box[3], list_box[2], list_box[1])
    link = permalink(flt, options)
    draw_qr(page.axes(*qr_box), link)
    page.text(qr_box[0] + qr_size / 2, qr_box[1] - 0.5 * s, t("sheet.permalink", lang), 6.5,
              ha="center")
    first = [version_line(atlas.data_version, options.asof, lang),
             t("sheet.generated", lang).format(d=generated.isoformat()),
             t("sheet.crs", lang), t("sheet.basemap_none", lang), link]
    page.footer(m, m + footer - 1 * s, W - 2 * m, first, lang, t("sheet.sources", lang))
    return Sheet(page.figure, "map", title, (map_frame,), {"permalink": link}, tuple(page.texts))


