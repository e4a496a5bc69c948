"""The coordinate systems the service offers (OGC API – Features Part 2), and the conversion.

Items are stored and served in WGS-84 longitude/latitude (``CRS84``, the default of Part 1).
With ``crs=`` a client asks for another of :data:`CRS_URIS`: EPSG:4326 (WGS-84, latitude
first as EPSG defines it), EPSG:4490 (CGCS2000, the national datum for planning data; at this
scale it differs from WGS-84 by centimetres, and pyproj converts between them without a
shift), EPSG:3857 (web Mercator) or EPSG:32651 (UTM 51N, the atlas's metric system). Axis
order is the coordinate system's own, as Part 2 requires. GCJ-02 and BD-09 are not offered:
they are no coordinate systems a GIS knows, only the edges of the app use them.

>>> to_crs(np.array([shapely.Point(121.4, 31.2)]), CRS_URIS[1])[0].wkt
'POINT (31.2 121.4)'
>>> to_crs(np.array([None]), CRS_URIS[3])[0] is None
True
"""

from __future__ import annotations

import functools

import numpy as np
import shapely
from pyproj import CRS, Transformer

__all__ = ["CRS_URIS", "STORAGE_CRS", "crs_decimals", "from_crs", "to_crs"]

#: Where items are stored: WGS-84 longitude/latitude.
STORAGE_CRS = "http://www.opengis.net/def/crs/OGC/1.3/CRS84"

#: Every coordinate system a client may ask for (``crs=``, ``bbox-crs=``, ``filter-crs=``).
CRS_URIS: tuple[str, ...] = (
    STORAGE_CRS,
    "http://www.opengis.net/def/crs/EPSG/0/4326",
    "http://www.opengis.net/def/crs/EPSG/0/4490",
    "http://www.opengis.net/def/crs/EPSG/0/3857",
    "http://www.opengis.net/def/crs/EPSG/0/32651",
)


@functools.lru_cache(maxsize=len(CRS_URIS))
def _transformer(uri: str) -> Transformer:
    code = uri.rsplit("/", 1)[-1]
    target = CRS.from_user_input("OGC:CRS84" if code == "CRS84" else f"EPSG:{code}")
    return Transformer.from_crs(CRS.from_user_input("OGC:CRS84"), target, always_xy=False)


def crs_decimals(uri: str) -> int:
    """Decimals kept in coordinates of `uri`: 7 for degrees (about 1 cm, as the export), 3 for
    metres.

    >>> crs_decimals(CRS_URIS[2]), crs_decimals(CRS_URIS[4])
    (7, 3)
    """
    return 3 if uri.endswith(("/3857", "/32651")) else 7


def to_crs(geoms: np.ndarray, uri: str) -> np.ndarray:
    """WGS-84 lon/lat geometries (None allowed) in the coordinate system `uri` (one of
    :data:`CRS_URIS`), in its own axis order, rounded to :func:`crs_decimals`; in bulk."""
    if uri not in CRS_URIS:
        raise ValueError(f"coordinate system {uri[:120]!r} is not offered; use one of {', '.join(CRS_URIS)}")
    out = np.asarray(geoms, dtype=object).copy()
    if uri == STORAGE_CRS or not len(out):
        return out
    present = ~shapely.is_missing(out)
    transformer = _transformer(uri)

    def convert(coords: np.ndarray) -> np.ndarray:
        first, second = transformer.transform(coords[:, 0], coords[:, 1])
        return np.round(np.column_stack([first, second]), crs_decimals(uri))

    out[present] = shapely.transform(out[present], convert)
    return out


@functools.lru_cache(maxsize=len(CRS_URIS))
def _inverse(uri: str) -> Transformer:
    code = uri.rsplit("/", 1)[-1]
    source = CRS.from_user_input("OGC:CRS84" if code == "CRS84" else f"EPSG:{code}")
    return Transformer.from_crs(source, CRS.from_user_input("OGC:CRS84"), always_xy=False)


def from_crs(geom: shapely.Geometry, uri: str) -> shapely.Geometry:
    """A geometry given in the coordinate system `uri` (its own axis order), in WGS-84
    lon/lat: what a client sends with ``Content-Crs``.

    >>> from_crs(shapely.Point(31.2, 121.4), CRS_URIS[1]).wkt
    'POINT (121.4 31.2)'
    """
    if uri not in CRS_URIS:
        raise ValueError(f"coordinate system {uri[:120]!r} is not offered; use one of {', '.join(CRS_URIS)}")
    if uri == STORAGE_CRS:
        return geom
    transformer = _inverse(uri)

    def convert(coords: np.ndarray) -> np.ndarray:
        first, second = transformer.transform(coords[:, 0], coords[:, 1])
        return np.column_stack([first, second])

    return shapely.transform(geom, convert)
