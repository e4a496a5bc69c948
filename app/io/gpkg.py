"""GeoPackage writing: one spatially indexed table per layer plus a metadata table.

A GCJ-02 export carries a CRS definition that names GCJ-02, so GIS software shows the label
instead of assuming EPSG:4326.

>>> import geopandas as gpd, pyogrio, tempfile
>>> from pathlib import Path
>>> from shapely import Point
>>> from app.io.prepare import prepare_frame
>>> frame = gpd.GeoDataFrame({"id": ["a"]}, geometry=[Point(121.4, 31.2)], crs="EPSG:4326")
>>> data = gpkg_bytes(prepare_frame(frame, ["id"], "wgs84"), {"name": "x"}, None)
>>> with tempfile.TemporaryDirectory() as tmp:
...     path = Path(tmp) / "x.gpkg"
...     _ = path.write_bytes(data)
...     sorted(str(name) for name, _ in pyogrio.list_layers(path))
['atlas_export_metadata', 'projects']
"""

from __future__ import annotations

import json
import tempfile
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import pyproj

from app.errors import ExportError
from app.io.prepare import Prepared, flat_properties, layer_groups

__all__ = ["GPKG_METADATA_TABLE", "gpkg_bytes"]

#: Name of the table holding the export metadata.
GPKG_METADATA_TABLE = "atlas_export_metadata"
# A geographic CRS naming GCJ-02, so GIS software shows the label instead of assuming EPSG:4326.
_GCJ02_WKT = (
    'GEOGCRS["GCJ-02 (AMap/Gaode obfuscated WGS 84)",'
    'DATUM["GCJ-02 obfuscation of WGS 84",'
    'ELLIPSOID["WGS 84",6378137,298.257223563,LENGTHUNIT["metre",1]]],'
    'PRIMEM["Greenwich",0,ANGLEUNIT["degree",0.0174532925199433]],'
    'CS[ellipsoidal,2],'
    'AXIS["geodetic longitude (Lon)",east,ORDER[1],ANGLEUNIT["degree",0.0174532925199433]],'
    'AXIS["geodetic latitude (Lat)",north,ORDER[2],ANGLEUNIT["degree",0.0174532925199433]],'
    'REMARK["Not a geodetic datum: WGS 84 positions shifted by the published GCJ-02 formula '
    '(about 500 m in Shanghai). For AMap-based tools only."]]'
)


def _geo_frame(prep: Prepared, mask: np.ndarray | None = None) -> gpd.GeoDataFrame:
    """The prepared rows (or those under `mask`) as a GeoDataFrame in the output CRS."""
    props, geoms = flat_properties(prep.props), prep.geoms
    if mask is not None:
        props, geoms = props[mask].reset_index(drop=True), geoms[mask]
    crs = pyproj.CRS.from_wkt(_GCJ02_WKT) if prep.crs == "gcj02" else "EPSG:4326"
    return gpd.GeoDataFrame(props, geometry=gpd.GeoSeries(geoms, crs=crs), crs=crs)


def _metadata_rows(metadata: Mapping[str, Any]) -> pd.DataFrame:
    """Metadata as a key/value table (non-text values as JSON)."""
    return pd.DataFrame({
        "key": list(metadata),
        "value": [v if isinstance(v, str) else json.dumps(v, ensure_ascii=False)
                  for v in metadata.values()],
    })


def gpkg_bytes(prep: Prepared, metadata: Mapping[str, Any],
          layers: Sequence[tuple[str, str]] | None) -> bytes:
    """GeoPackage bytes: one spatially indexed table per layer plus the metadata table."""
    groups = layer_groups(prep, layers)
    if any(lid == GPKG_METADATA_TABLE for lid, _, _ in groups):
        raise ExportError(f"a layer may not be called {GPKG_METADATA_TABLE!r} in a GeoPackage")
    with tempfile.TemporaryDirectory(prefix="atlas-gpkg-") as tmp:
        path = Path(tmp) / "export.gpkg"
        for lid, title, mask in groups:
            pyogrio.write_dataframe(
                _geo_frame(prep, mask), path, layer=lid, driver="GPKG", geometry_type="Unknown",
                append=path.exists(),
                layer_options={"SPATIAL_INDEX": "YES", "IDENTIFIER": title,
                               "DESCRIPTION": f"{title} ({int(mask.sum())} projects)"},
            )
        pyogrio.write_dataframe(_metadata_rows(metadata), path, layer=GPKG_METADATA_TABLE,
                                driver="GPKG", append=path.exists())
        return path.read_bytes()
