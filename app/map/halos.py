"""Halos: a faint circle of a point's ``uncertainty_m`` around it on the map.

A project drawn as a point with a radius larger than the symbol gets a halo of that radius, so
a marker placed from a road-sized guess does not look like a surveyed one. The live map
(``static/live_map.js``) draws one ``L.circle`` per halo below the symbols, non-interactive,
shows it only while its project passes the filter and only at zooms where it is larger than the
symbol. Halos are sent for registers of at most :data:`HALO_MAX` such points: a city-scale
register is drawn by the canvas painter, and its points say their radius on the card.

>>> import geopandas as gpd
>>> from shapely import LineString, Point
>>> frame = gpd.GeoDataFrame({"uncertainty_m": [100.0, 5.0, 300.0, None]},
...     geometry=[Point(121.4, 31.2), Point(121.41, 31.2), LineString([(121.4, 31.2), (121.5, 31.3)]),
...               None], crs="EPSG:4326")
>>> halo_rows(frame, "wgs84")
[[0, 31.2, 121.4, 100.0]]
>>> halo_rows(frame.iloc[0:0], "gcj02")
[]
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import shapely

from app.geo.crs import convert

__all__ = ["HALO_MAX", "HALO_MIN_M", "halo_rows"]

#: Radii up to this are never larger than a symbol at the zooms the map allows (metres).
HALO_MIN_M = 20.0
#: Beyond this many halo points a register is city-scale: no halos are sent.
HALO_MAX = 2000


def halo_rows(projects: gpd.GeoDataFrame, crs: str) -> list[list[float]]:
    """``[row, lat, lon, radius_m]`` of every point project whose ``uncertainty_m`` exceeds
    :data:`HALO_MIN_M`, in the map's `crs` (its rows counted in `projects`' order); [] when
    there are none, more than :data:`HALO_MAX`, or no ``uncertainty_m`` column."""
    if "uncertainty_m" not in projects.columns or not len(projects):
        return []
    geoms = projects.geometry.to_numpy()
    radius = np.asarray(projects["uncertainty_m"].to_numpy(dtype=float, na_value=np.nan))
    points = ~shapely.is_missing(geoms) & (shapely.get_type_id(geoms) == 0)
    rows = np.flatnonzero(points & (radius > HALO_MIN_M))
    if not len(rows) or len(rows) > HALO_MAX:
        return []
    lon, lat = convert(shapely.get_x(geoms[rows]), shapely.get_y(geoms[rows]), "wgs84", crs)
    return [[int(r), round(float(y), 7), round(float(x), 7), float(radius[r])]
            for r, x, y in zip(rows, np.atleast_1d(lon), np.atleast_1d(lat), strict=True)]
