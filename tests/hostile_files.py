"""Hostile files built in code for the tests: small, made here, nothing downloaded."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import geopandas as gpd
from shapely.geometry import Point

#: A view that counts to four billion, one row at a time: hours of one core for every read.
ENDLESS_VIEW = """
CREATE VIEW endless AS
WITH RECURSIVE c(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM c WHERE n < 4000000000)
SELECT n AS fid, (SELECT geom FROM base LIMIT 1) AS geom, '天山公园' AS name FROM c;
"""

#: The view registered as the file's feature layer, in place of the table it reads from.
_AS_THE_LAYER = """
INSERT INTO gpkg_contents (table_name, data_type, identifier, srs_id)
    VALUES ('endless', 'features', 'endless', 4326);
INSERT INTO gpkg_geometry_columns VALUES ('endless', 'geom', 'POINT', 4326, 0, 0);
DELETE FROM gpkg_geometry_columns WHERE table_name = 'base';
DELETE FROM gpkg_contents WHERE table_name = 'base';
DELETE FROM gpkg_ogr_contents WHERE table_name = 'base';
"""


def endless_view_gpkg(path: Path) -> Path:
    """A GeoPackage whose only feature layer is a recursive SQL view (registered in
    gpkg_contents like a table: GDAL reads it as a layer, and never gets to its end)."""
    gpd.GeoDataFrame({"name": ["天山公园"]}, geometry=[Point(121.41, 31.21)],
                     crs="EPSG:4326").to_file(path, layer="base", driver="GPKG")
    with sqlite3.connect(path) as db:
        db.executescript(ENDLESS_VIEW)
        db.executescript(_AS_THE_LAYER)
    return path
