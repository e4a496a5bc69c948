"""The shareable view: everything a planner sets, as URL query parameters and back.

Parameters (all optional; lists are comma-separated or repeated):

=============  ==========================================================
``lang``       ``zh`` (default) or ``en``
``basemap``    one of :data:`BASEMAP_IDS` (default ``osm``)
``ref``        visible reference layers, e.g. ``district_boundary,metro_stations``
``layer``      project layers to show (filter)
``category``, ``status``, ``action``, ``subdistrict``, ``section``, ``precision``: filters
``q``          search text (zh/en names, aliases, pinyin)
``p``          selected project id (the map focuses on it)
``lat``, ``lon``, ``z``  map centre (WGS-84) and zoom; the live map writes them as it moves
``v``          data version the link was made with (the page adds it; when it differs from
               the running data the page says the data has changed)
``register``   a saved register shown instead of the built-in one (its name)
``asof``       the day the map shows the register as it stood (``YYYY-MM-DD``, not after
               today; absent: today, the live register)
``compare``    an earlier day to compare with (``YYYY-MM-DD``): what changed from it to the day
               shown (checked against ``asof`` and the report's date by the page)
``colour``     ``category`` (default: each layer's categories) or ``progress``
=============  ==========================================================

A bad value is dropped with a :class:`Notice` naming it; the rest of the view still applies.
A notice reads as English text and carries its i18n key and values, so that the page says it
in its own language (the ``url.*`` strings of :mod:`app.domain.i18n`).

>>> allowed = {"layer": ["renewal", "streets"], "status": ["planning"]}
>>> view, notices = parse_view({"lang": "en", "layer": "renewal,parks", "z": "99"}, allowed)
>>> view.lang, view.filters["layer"], view.zoom
('en', ('renewal',), None)
>>> notices
["ignored layer='parks' (unknown value)", "ignored z='99' (zoom must be a whole number 9-19)"]
>>> to_query(view)["layer"]
'renewal'
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta, timezone

from app.domain.filters import FILTER_FIELDS, Filter
from app.domain.i18n import t

__all__ = ["BASEMAP_IDS", "COLOURS", "EARLIEST_ASOF", "LANGS", "Notice", "ViewState", "district_today",
           "parse_asof", "parse_view", "to_query"]

LANGS: tuple[str, ...] = ("zh", "en")
#: Basemap ids, in picker order. The basemaps themselves (tiles, CRS, titles) are the registry
#: in app/map/basemaps.py, which checks on import that its keys are exactly these.
BASEMAP_IDS: tuple[str, ...] = ("osm", "amap", "tianditu", "none")
#: What the map may be coloured by (``colour=``): the layers' categories, or progress against the
#: report's targets.
COLOURS: tuple[str, ...] = ("category", "progress")
#: URL parameter name of each filter field (the report section is shortened to ``section``).
PARAM_OF: dict[str, str] = {f: ("section" if f == "report_section" else f) for f in FILTER_FIELDS}

# Centre must stay near Shanghai; the map is of one district.
_LAT_RANGE = (30.6, 31.9)
_LON_RANGE = (120.8, 122.2)
_ZOOM_RANGE = (9, 19)
#: The earliest day ``asof`` may name (the change log's dates are checked against the same).
EARLIEST_ASOF = date(2000, 1, 1)
_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")
#: The district's clock (China Standard Time, no daylight saving): what "today" means here.
DISTRICT_TZ = timezone(timedelta(hours=8))


class Notice(str):
    """A notice about a URL parameter: its English text, with the i18n `key` and `values` that
    say it in another language.

    >>> n = Notice("url.unknown", name="layer", value="parks")
    >>> n, n.key, n.values
    ("ignored layer='parks' (unknown value)", 'url.unknown', {'name': 'layer', 'value': 'parks'})
    """

    key: str
    values: dict[str, object]

    def __new__(cls, key: str, **values: object) -> Notice:
        text = super().__new__(cls, t(key, "en").format(**{k: v if isinstance(v, int | float)
                                                           else str(v) for k, v in values.items()}))
        text.key = key
        text.values = values
        return text


@dataclass(frozen=True)
class ViewState:
    """A complete, shareable view of the map page."""

    lang: str = "zh"
    basemap: str = "osm"
    ref_layers: tuple[str, ...] | None = None  # None = the layers' defaults
    filters: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    query: str = ""
    project: str | None = None
    lat: float | None = None
    lon: float | None = None
    zoom: int | None = None
    register: str = ""  # "" = the built-in register
    asof: str | None = None  # 'YYYY-MM-DD'; None = today (the live register)
    compare: str | None = None  # an earlier day compared with the day shown, as given
    colour: str = "category"  # one of COLOURS

    def to_filter(self) -> Filter:
        """The attribute filter this view applies."""
        return Filter(values={k: v for k, v in self.filters.items() if v}, query=self.query)

    def with_changes(self, **changes: object) -> ViewState:
        """A copy with some fields changed."""
        return replace(self, **changes)


def _values(raw: object) -> list[str]:
    items = raw if isinstance(raw, list | tuple) else [raw]
    out: list[str] = []
    for item in items:
        out.extend(part.strip() for part in str(item).split(",") if part.strip())
    return out


def _number(raw: object, lo: float, hi: float) -> float | None:
    try:
        value = float(_values(raw)[0])
    except (ValueError, IndexError):
        return None
    return value if math.isfinite(value) and lo <= value <= hi else None


def district_today() -> date:
    """Today in the district (UTC+8): the latest day ``asof`` may name."""
    return datetime.now(DISTRICT_TZ).date()


def parse_asof(raw: object, today: date | None = None) -> tuple[str | None, Notice | None]:
    """(the day, None) when `raw` is a real ``YYYY-MM-DD`` day from :data:`EARLIEST_ASOF` to
    `today` (default :func:`district_today`); otherwise (None, a notice naming the value).

    >>> parse_asof("2025-06-30", date(2025, 7, 1))
    ('2025-06-30', None)
    >>> parse_asof("2025-02-30", date(2025, 7, 1))
    (None, "ignored asof='2025-02-30' (a day written YYYY-MM-DD)")
    >>> parse_asof("2025-07-02", date(2025, 7, 1))
    (None, "ignored asof='2025-07-02' (after today, 2025-07-01)")
    """
    today = today or district_today()
    text = (_values(raw) or [""])[0][:40]
    try:
        day = date.fromisoformat(text) if _DAY.fullmatch(text) else None
    except ValueError:
        day = None
    if day is None or day < EARLIEST_ASOF:
        return None, Notice("url.bad_day", name="asof", value=text)
    if day > today:
        return None, Notice("url.future_day", name="asof", value=text, today=today.isoformat())
    return day.isoformat(), None


def parse_view(params: Mapping[str, object], allowed: Mapping[str, Iterable[str]],
               ref_layers: Iterable[str] = (), project_ids: Iterable[str] = (),
               registers: Iterable[str] | None = None,
               today: date | None = None) -> tuple[ViewState, list[Notice]]:
    """Read a view from query parameters; unknown or bad values become notices, never errors.

    `allowed` maps each filter field to its permitted values; `ref_layers` and `project_ids`
    are the known reference layer ids and project ids; `registers` the saved registers' names
    (None: ``register`` is not checked here but by whoever reads the store); `today` the
    latest day ``asof`` may name (default: today in the district).

    >>> parse_view({"register": "d-2025"}, {}, registers=["d-2025"])[0].register
    'd-2025'
    >>> parse_view({"register": "gone"}, {}, registers=[])
    (ViewState(lang='zh', basemap='osm', ref_layers=None, filters={}, query='', project=None, lat=None, lon=None, zoom=None, register='', asof=None, compare=None, colour='category'), ["ignored register='gone' (no saved register of that name)"])
    >>> view = parse_view({"compare": "2025-06-01", "colour": "progress"}, {})[0]
    >>> view.compare, view.colour, to_query(view)
    ('2025-06-01', 'progress', {'compare': '2025-06-01', 'colour': 'progress'})
    >>> parse_view({"asof": "2025-13-01"}, {})[1]
    ["ignored asof='2025-13-01' (a day written YYYY-MM-DD)"]
    """
    notices: list[Notice] = []
    view = ViewState()

    def one_of(name: str, choices: tuple[str, ...], default: str) -> str:
        if name not in params:
            return default
        value = (_values(params[name]) or [""])[0]
        if value in choices:
            return value
        notices.append(Notice("url.one_of", name=name, value=value, choices=", ".join(choices)))
        return default

    lang = one_of("lang", LANGS, view.lang)
    basemap = one_of("basemap", BASEMAP_IDS, view.basemap)
    filters: dict[str, tuple[str, ...]] = {}
    for fieldname, param in PARAM_OF.items():
        if param not in params:
            continue
        permitted = set(allowed.get(fieldname, ()))
        good = []
        for value in _values(params[param]):
            if value in permitted:
                good.append(value)
            else:
                notices.append(Notice("url.unknown", name=param, value=value))
        if good:
            filters[fieldname] = tuple(dict.fromkeys(good))
    refs: tuple[str, ...] | None = None
    if "ref" in params:
        known = set(ref_layers)
        chosen = []
        for value in _values(params["ref"]):
            if value in known or value == "none":
                chosen.append(value)
            else:
                notices.append(Notice("url.unknown_ref", name="ref", value=value))
        refs = tuple(v for v in dict.fromkeys(chosen) if v != "none")
    query = " ".join(_values(params["q"]))[:100] if "q" in params else ""
    project = None
    if "p" in params:
        value = (_values(params["p"]) or [""])[0]
        if value in set(project_ids):
            project = value
        else:
            notices.append(Notice("url.no_project", name="p", value=value))
    lat = lon = zoom = None
    if "lat" in params or "lon" in params:
        lat = _number(params.get("lat"), *_LAT_RANGE)
        lon = _number(params.get("lon"), *_LON_RANGE)
        if lat is None or lon is None:
            given = {k: ",".join(_values(v)) or "—" if v is not None else "—"
                     for k, v in (("lat", params.get("lat")), ("lon", params.get("lon")))}
            notices.append(Notice("url.lat_lon", **given))
            lat = lon = None
    if "z" in params:
        z = _number(params["z"], *_ZOOM_RANGE)
        if z is None or z != int(z):
            notices.append(Notice("url.zoom", name="z", value=(_values(params["z"]) or [""])[0],
                                  low=_ZOOM_RANGE[0], high=_ZOOM_RANGE[1]))
        else:
            zoom = int(z)
    register = (_values(params["register"]) or [""])[0] if "register" in params else ""
    if register and registers is not None and register not in set(registers):
        notices.append(Notice("url.no_register", name="register", value=register))
        register = ""
    asof = None
    if "asof" in params:
        asof, notice = parse_asof(params["asof"], today)
        if notice:
            notices.append(notice)
    # checked by the page against the day shown and the report, with a message of its own
    compare = ((_values(params["compare"]) or [""])[0][:40] or None) if "compare" in params else None
    colour = one_of("colour", COLOURS, view.colour)
    return ViewState(lang=lang, basemap=basemap, ref_layers=refs, filters=filters, query=query,
                     project=project, lat=lat, lon=lon, zoom=zoom, register=register,
                     asof=asof, compare=compare, colour=colour), notices


def to_query(view: ViewState) -> dict[str, str]:
    """Query parameters reproducing `view` (defaults left out, so URLs stay short)."""
    out: dict[str, str] = {}
    if view.lang != "zh":
        out["lang"] = view.lang
    if view.basemap != "osm":
        out["basemap"] = view.basemap
    if view.ref_layers is not None:
        out["ref"] = ",".join(view.ref_layers) or "none"
    for fieldname, values in view.filters.items():
        if values:
            out[PARAM_OF[fieldname]] = ",".join(values)
    if view.query:
        out["q"] = view.query
    if view.project:
        out["p"] = view.project
    if view.lat is not None and view.lon is not None:
        out["lat"], out["lon"] = f"{view.lat:.5f}", f"{view.lon:.5f}"
    if view.zoom is not None:
        out["z"] = str(view.zoom)
    if view.register:
        out["register"] = view.register
    if view.asof:
        out["asof"] = view.asof
    if view.compare:
        out["compare"] = view.compare
    if view.colour != "category":
        out["colour"] = view.colour
    return out
