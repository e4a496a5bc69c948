"""What a field worker copies or taps to open a position in a Chinese navigation app.

Everything here takes a WGS-84 position (the atlas's only stored CRS) and converts it at the
edge, with ``app.geo.crs``, to what each app expects: GCJ-02 for AMap (Gaode), BD-09 for Baidu.

The link formats follow the vendors' published web URI APIs (no key needed for either):

* AMap "单点标注" (marker), https://lbs.amap.com/api/uri-api/guide/mobile-web/point :
  ``https://uri.amap.com/marker`` with ``position=lon,lat`` (longitude first), ``name``,
  ``src`` (caller id, "recommended"), ``coordinate=gaode`` (GCJ-02; the alternative is
  ``wgs84``; the default is GCJ-02) and ``callnative`` (1 = try to open the AMap app on a phone).
* Baidu web URI API, "地图标点" (marker), https://lbsyun.baidu.com/index.php?title=uri/api/web :
  ``https://api.map.baidu.com/marker`` with ``location=lat,lng`` (latitude first), ``title``,
  ``content``, ``output=html`` (required on the web), ``coord_type`` (one of bd09ll, bd09mc,
  gcj02, wgs84; default BD-09) and ``src`` (required, "webapp.companyName.appName").

We send the coordinates already converted (GCJ-02 to AMap, BD-09 to Baidu) and say so
explicitly (``coordinate=gaode``, ``coord_type=bd09ll``), so neither app has to guess, and the
numbers in the link match what :func:`coordinates_for` shows for that app.

>>> url = amap_link(121.4186, 31.2183, "天山公园 & Co")
>>> url.startswith("https://uri.amap.com/marker?position=121.423243,31.216453&")
True
>>> "name=%E5%A4%A9%E5%B1%B1%E5%85%AC%E5%9B%AD%20%26%20Co" in url
True
"""

from __future__ import annotations

from urllib.parse import quote

from app.geo.crs import convert
from app.geo.position import check_position

__all__ = ["AMAP_MARKER_URL", "BAIDU_MARKER_URL", "amap_link", "baidu_link", "coordinates_for"]

#: AMap's web URI API, single-point marker.
AMAP_MARKER_URL = "https://uri.amap.com/marker"
#: Baidu's web URI API, map marker.
BAIDU_MARKER_URL = "https://api.map.baidu.com/marker"

#: Caller ids: AMap's ``src`` is free text; Baidu asks for "webapp.companyName.appName".
_AMAP_SRC = "changning-atlas"
_BAIDU_SRC = "webapp.changning.atlas"
#: Title used when a position has no name (Baidu requires a title).
_UNNAMED = "位置"
_DECIMALS = 6  # 1e-6 degree is about 0.1 m: finer than any phone fix


def _pair(first: float, second: float, sep: str) -> str:
    return f"{first:.{_DECIMALS}f}{sep}{second:.{_DECIMALS}f}"


#: Longest label a navigation link carries (an app shows a line of it; a longer name is cut).
MAX_NAME_CHARS = 100


def _name(name: str) -> str:
    """The link's label: `name` stripped, cut to :data:`MAX_NAME_CHARS` with an ellipsis.

    >>> _name("  天山公园 "), len(_name("长" * 5000)), _name("")
    ('天山公园', 100, '位置')
    """
    if not isinstance(name, str):
        raise TypeError(f"name must be a string, got {type(name).__name__} {str(name)[:80]!r}")
    label = name[:MAX_NAME_CHARS * 4].strip()
    if len(label) > MAX_NAME_CHARS:
        label = label[:MAX_NAME_CHARS - 1] + "…"
    return label or _UNNAMED


def _query(params: list[tuple[str, str]]) -> str:
    """A query string with every value percent-encoded (UTF-8); commas between numbers kept."""
    return "&".join(f"{key}={quote(value, safe=',' if key in ('position', 'location') else '')}"
                    for key, value in params)


def coordinates_for(lon: float, lat: float) -> dict[str, str]:
    """The WGS-84 position as text to copy, in each of WGS-84, GCJ-02 and BD-09.

    Keys are 'wgs84', 'gcj02' and 'bd09'; each value is ``"lat, lon"`` with 6 decimals
    (about 0.1 m), latitude first as GPS tools and most people read a position.

    Which numbers for which app, and in which order:

    * WGS-84: GPS receivers, OpenStreetMap-based apps and Google Maps; "lat, lon" as given.
    * GCJ-02: AMap (高德) and Tencent maps. AMap's own URI API and coordinate picker write
      longitude first ("lon,lat"); reverse the pair when a field asks for lon,lat. AMap notes
      that in China the larger number is always the longitude, so a reversed pair is easy to spot.
    * BD-09: Baidu (百度). Baidu's URI API takes ``location=lat,lng``, the order given here.

    Tapping :func:`amap_link` / :func:`baidu_link` avoids copying altogether.

    >>> coordinates_for(121.4186, 31.2183)
    {'wgs84': '31.218300, 121.418600', 'gcj02': '31.216453, 121.423243', 'bd09': '31.222690, 121.429698'}
    >>> coordinates_for(31.2183, 121.4186)  # swapped: refused, never "fixed"
    Traceback (most recent call last):
    ...
    app.errors.PositionError: lon=31.2183, lat=121.4186 look swapped: latitude must lie within ±90°; in China the longitude is the larger number, so did you mean lon=121.4186, lat=31.2183? Please re-enter the position; the atlas does not swap it for you.
    """
    lon, lat = check_position((lon, lat), fix_swaps=False).lonlat()
    result = {}
    for crs in ("wgs84", "gcj02", "bd09"):
        x, y = convert(lon, lat, "wgs84", crs)
        result[crs] = _pair(y, x, ", ")
    return result


def amap_link(lon_wgs: float, lat_wgs: float, name: str) -> str:
    """An AMap (高德) link that marks the position, converted to GCJ-02, with `name` as its label.

    Parameters used, from AMap's URI API "单点标注" (https://lbs.amap.com/api/uri-api/guide/
    mobile-web/point): ``position=lon,lat``, ``name``, ``src``, ``coordinate=gaode`` (the
    position is GCJ-02) and ``callnative=1`` (on a phone, try the AMap app first). The name is
    percent-encoded as UTF-8, so ``& ? # < >`` and Chinese are safe. An empty name reads 位置.

    >>> amap_link(121.4186, 31.2183, "")
    'https://uri.amap.com/marker?position=121.423243,31.216453&name=%E4%BD%8D%E7%BD%AE&src=changning-atlas&coordinate=gaode&callnative=1'
    """
    lon, lat = check_position((lon_wgs, lat_wgs), fix_swaps=False).lonlat()
    label = _name(name)
    lon_gcj, lat_gcj = convert(lon, lat, "wgs84", "gcj02")
    params = [("position", _pair(lon_gcj, lat_gcj, ",")), ("name", label), ("src", _AMAP_SRC),
              ("coordinate", "gaode"), ("callnative", "1")]
    return f"{AMAP_MARKER_URL}?{_query(params)}"


def baidu_link(lon_wgs: float, lat_wgs: float, name: str) -> str:
    """A Baidu Maps (百度) link that marks the position, converted to BD-09, titled `name`.

    Parameters used, from Baidu's web URI API "地图标点" (https://lbsyun.baidu.com/index.php?
    title=uri/api/web): ``location=lat,lng`` (latitude first), ``title`` (the name),
    ``content`` (the WGS-84 position, for the record), ``output=html``, ``coord_type=bd09ll``
    (the location is BD-09 lon/lat) and ``src``. Values are percent-encoded as UTF-8.

    >>> baidu_link(121.4186, 31.2183, "天山公园")
    'https://api.map.baidu.com/marker?location=31.222690,121.429698&title=%E5%A4%A9%E5%B1%B1%E5%85%AC%E5%9B%AD&content=WGS-84%2031.218300%2C%20121.418600&output=html&coord_type=bd09ll&src=webapp.changning.atlas'
    """
    lon, lat = check_position((lon_wgs, lat_wgs), fix_swaps=False).lonlat()
    label = _name(name)
    lon_bd, lat_bd = convert(lon, lat, "wgs84", "bd09")
    params = [("location", _pair(lat_bd, lon_bd, ",")), ("title", label),
              ("content", f"WGS-84 {_pair(lat, lon, ', ')}"), ("output", "html"),
              ("coord_type", "bd09ll"), ("src", _BAIDU_SRC)]
    return f"{BAIDU_MARKER_URL}?{_query(params)}"
