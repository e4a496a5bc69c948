"""Which features of a reference layer each project touches, and how much of its area.

For a chosen reference layer (a planner's own, :mod:`app.io.reference_layers`: land parcels
with their land use, 城市更新单元 outlines) :func:`join_layer` gives each project the features
it touches and the area it has on them, in square metres in UTM 51N -- for the project card,
``python -m app export --join-layer ID`` and the map's summary. One spatial-index query for all
projects, linear in the pairs found.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from app.data.layers import geometry_kind
from app.errors import SubmissionError
from app.geo.geocode import to_metric

__all__ = ["MAX_JOINED", "join_layer"]

#: Most touched features a project names in a join (the count and area cover them all).
MAX_JOINED = 20


def join_layer(projects: gpd.GeoDataFrame, layer: gpd.GeoDataFrame, *,
               label: str | None = None) -> pd.DataFrame:
    """For each project (the index of `projects`), the features of `layer` it touches:
    ``features`` (how many), ``touched`` (their `label` values, or row numbers, at most
    :data:`MAX_JOINED`, ``;``-separated) and ``area_m2`` (how much of a polygonal project's area
    lies on polygonal features, UTM 51N; NaN for points, lines and unlocated projects). One spatial-index query
    for all projects; unlocated projects touch nothing.

    >>> import shapely
    >>> layer = gpd.GeoDataFrame({"landuse": ["R2", "B1"]}, crs="EPSG:4326", geometry=[
    ...     shapely.box(121.40, 31.20, 121.401, 31.201), shapely.box(121.401, 31.20, 121.402, 31.201)])
    >>> projects = gpd.GeoDataFrame({"id": ["a", "b"]}, crs="EPSG:4326", geometry=[
    ...     shapely.box(121.4005, 31.2002, 121.4015, 31.2008), None])
    >>> joined = join_layer(projects, layer, label="landuse")
    >>> joined["features"].tolist(), joined["touched"].tolist()
    ([2, 0], ['R2;B1', ''])
    >>> float(round(joined["area_m2"].iloc[0], -2)), bool(pd.isna(joined["area_m2"].iloc[1]))
    (6300.0, True)
    """
    if label is not None and label not in layer.columns:
        raise SubmissionError(f"the layer has no field {label!r} (fields: "
                              f"{', '.join(c for c in layer.columns if c != layer.geometry.name)})")
    geoms = np.array(projects.geometry.array, dtype=object)
    present = np.array([g is not None and not g.is_empty for g in geoms], dtype=bool)
    where = np.flatnonzero(present)
    pairs = layer.sindex.query(geoms[where], predicate="intersects") if len(where) else np.empty((2, 0), int)
    rows, features = where[pairs[0]], pairs[1]
    labels = (layer[label].astype(str).to_numpy() if label is not None
              else np.arange(len(layer)).astype(str))
    polygon_project = np.array([g is not None and geometry_kind(g.geom_type) == "polygon" for g in geoms])
    layer_geoms = np.array(layer.geometry.array, dtype=object)
    polygon_feature = np.isin(shapely.get_type_id(layer_geoms), (3, 6, 7))
    area = np.zeros(len(projects))
    both = polygon_project[rows] & polygon_feature[features]
    if both.any():
        metric_projects = {r: to_metric(geoms[r]) for r in np.unique(rows[both]).tolist()}
        left = np.array([metric_projects[r] for r in rows[both].tolist()], dtype=object)
        right = to_metric(layer_geoms[features[both]])
        np.add.at(area, rows[both], shapely.area(shapely.intersection(left, right)))
    counts = np.bincount(rows, minlength=len(projects))
    touched: list[list[str]] = [[] for _ in range(len(projects))]
    for r, f in zip(rows.tolist(), features.tolist(), strict=True):
        if len(touched[r]) < MAX_JOINED:
            touched[r].append(labels[f])
    return pd.DataFrame({"features": counts, "touched": [";".join(t) for t in touched],
                         "area_m2": np.where(polygon_project, area, np.nan)},
                        index=projects.index)
