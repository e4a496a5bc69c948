"""The basemaps: one registry of :class:`xyzservices.TileProvider` entries, keyed by id.

Besides xyzservices' own keys (``name``, ``url``, ``attribution``, ``html_attribution``,
``max_zoom``, ``subdomains``), every entry carries

``title_zh``, ``title_en``
    what the basemap pickers show;
``crs``
    the CRS its tiles are drawn in, ``wgs84`` or ``gcj02`` -- overlays are shifted into it (AMap
    tiles are GCJ-02, ~500 m off WGS-84 in Shanghai; Tianditu's CGCS2000 is WGS-84 within a
    metre);
``overlays``
    tile layers drawn over the base (Tianditu's labels), as TileProviders too.

A key is xyzservices' placeholder: Tianditu's ``tk`` is ``"<insert your TIANDITU_KEY here>"``,
so :meth:`~xyzservices.TileProvider.requires_token` says it needs one and
``BASEMAPS["tianditu"](tk=key)`` fills it in. ``none`` has an empty ``url``: no tiles, the
district boundary and the layers alone.

The ids themselves live in :data:`app.domain.viewstate.BASEMAP_IDS`, because URL parsing (in
``app.domain``) must know them without importing the map; this module builds its registry in
that order and refuses to load when the two disagree, so the list is written once more here
and checked, never silently different.

>>> BASEMAPS["amap"]["crs"], BASEMAPS["osm"]["crs"], BASEMAPS["none"].url
('gcj02', 'wgs84', '')
>>> BASEMAPS["tianditu"].requires_token(), BASEMAPS["osm"].requires_token()
(True, False)
>>> basemap_title("amap", "en")
'AMap (GCJ-02, overlays shifted)'
>>> basemap_title("google", "en")
Traceback (most recent call last):
...
KeyError: "unknown basemap 'google'; use one of osm, amap, tianditu, none"
"""

from __future__ import annotations

from xyzservices import TileProvider

from app.domain.viewstate import BASEMAP_IDS

__all__ = ["BASEMAPS", "BASEMAP_CRSS", "basemap_title", "check_basemaps", "keyless_basemaps"]

#: CRSs a basemap's tiles may be drawn in.
BASEMAP_CRSS: tuple[str, ...] = ("wgs84", "gcj02")

_TIANDITU = ("https://t{s}.tianditu.gov.cn/{layer}_w/wmts?SERVICE=WMTS&REQUEST=GetTile"
             "&VERSION=1.0.0&LAYER={layer}&STYLE=default&TILEMATRIXSET=w&FORMAT=tiles"
             "&TILEMATRIX={z}&TILEROW={y}&TILECOL={x}&tk={tk}")
_TIANDITU_KEYS = {"attribution": "(C) Tianditu (CGCS2000)",
                  "html_attribution": "&copy; 天地图 Tianditu (CGCS2000)",
                  "subdomains": "01234567", "max_zoom": 18, "crs": "wgs84",
                  "tk": "<insert your TIANDITU_KEY here>"}

_ENTRIES = (
    TileProvider(
        name="atlas.osm", url="https://tile.openstreetmap.org/{z}/{x}/{y}.png",
        attribution="(C) OpenStreetMap contributors",
        html_attribution="&copy; OpenStreetMap contributors", max_zoom=19, crs="wgs84",
        title_zh="OpenStreetMap (WGS-84)", title_en="OpenStreetMap (WGS-84)",
        overlays=()),
    TileProvider(
        name="atlas.amap", url="https://webrd0{s}.is.autonavi.com/appmaptile?lang=zh_cn&size=1"
        "&scale=1&style=8&x={x}&y={y}&z={z}",
        attribution="(C) AutoNavi (GCJ-02)", html_attribution="&copy; 高德地图 AutoNavi (GCJ-02)",
        max_zoom=18, subdomains="1234", crs="gcj02", title_zh="高德地图 (GCJ-02,叠加层已纠偏)",
        title_en="AMap (GCJ-02, overlays shifted)", overlays=()),
    TileProvider(
        name="atlas.tianditu", url=_TIANDITU, layer="vec", title_zh="天地图", title_en="Tianditu",
        overlays=(TileProvider(name="atlas.tianditu-labels", url=_TIANDITU, layer="cva",
                               title_zh="天地图注记", title_en="Tianditu labels", overlays=(),
                               **_TIANDITU_KEYS),),
        **_TIANDITU_KEYS),
    TileProvider(
        name="atlas.none", url="", attribution="", max_zoom=19, crs="wgs84",
        title_zh="无底图", title_en="No basemap", overlays=()),
)

#: Every basemap by id, in picker order (the order of BASEMAP_IDS).
BASEMAPS: dict[str, TileProvider] = {p.name.removeprefix("atlas."): p for p in _ENTRIES}


def check_basemaps(registry: dict[str, TileProvider]) -> None:
    """Raise ValueError naming the entry and value that break the registry's contract: the
    ids of BASEMAP_IDS in their order, each with a known ``crs``, titles and ``overlays``.

    >>> check_basemaps({**BASEMAPS, "osm": BASEMAPS["osm"](crs="bd09")})
    Traceback (most recent call last):
    ...
    ValueError: basemap 'osm': crs 'bd09' is not one of ('wgs84', 'gcj02')
    """
    if tuple(registry) != BASEMAP_IDS:
        raise ValueError(f"basemap registry {tuple(registry)} differs from BASEMAP_IDS {BASEMAP_IDS}")
    for key, provider in registry.items():
        if provider.get("crs") not in BASEMAP_CRSS:
            raise ValueError(f"basemap {key!r}: crs {provider.get('crs')!r} is not one of {BASEMAP_CRSS}")
        missing = [k for k in ("title_zh", "title_en", "overlays", "max_zoom") if k not in provider]
        if missing:
            raise ValueError(f"basemap {key!r}: missing {missing}")


check_basemaps(BASEMAPS)


def basemap_title(basemap_id: str, lang: str) -> str:
    """The picker title of a basemap in 'zh' or 'en' (KeyError naming the known ids)."""
    if basemap_id not in BASEMAPS:
        raise KeyError(f"unknown basemap {basemap_id!r}; use one of {', '.join(BASEMAPS)}")
    return BASEMAPS[basemap_id]["title_en" if lang == "en" else "title_zh"]


def keyless_basemaps() -> tuple[str, ...]:
    """Ids of the basemaps that work without a key, in picker order.

    >>> keyless_basemaps()
    ('osm', 'amap', 'none')
    """
    return tuple(key for key, provider in BASEMAPS.items() if not provider.requires_token())
