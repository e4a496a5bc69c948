"""Whether a planner's new geometry is of a plausible size for its project's layer.

The measure of a usual size comes from the register itself: the 95th percentile of the areas
(polygons) or lengths (lines) of the layer's located projects, in metres (UTM 51N). A new
geometry more than :data:`FACTOR` times that is unusual -- a 72 ha "civic centre" where the
layer's polygons are a hectare or two. A percentile of fewer than :data:`MIN_SAMPLE` sizes says
little, so until the layer has that many its spec's own usual size is the measure
(``usual_area_m2``, ``usual_length_m`` in ``layers/*.toml``), then the whole register's when it
has that many; without any of these nothing is unusual. Points have no size.

An unusual size is not refused: the planner confirms it explicitly, and the change is stored
with a note of it (:func:`size_note`) and waits for a reviewer, who sees the note.

>>> from shapely import box
>>> from app.data.atlas import load_atlas
>>> atlas = load_atlas()
>>> civic = box(121.400, 31.200, 121.409, 31.2075)          # about 65 ha
>>> check = size_check(atlas, "public_services", civic)
>>> check.measure, check.unusual, round(check.value / check.usual) > 3, check.scope
('area', True, True, 'spec')
>>> size_check(atlas, "public_services", box(121.400, 31.200, 121.401, 31.201)).unusual
False
>>> size_check(atlas, "public_services", civic.centroid) is None
True
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np
import shapely
from shapely.geometry.base import BaseGeometry

from app.data.atlas import Atlas
from app.data.layers import geometry_kind
from app.geo.geocode import to_metric

__all__ = ["FACTOR", "MIN_SAMPLE", "PERCENTILE", "SizeCheck", "size_check", "size_note"]

#: A geometry larger than FACTOR times the layer's PERCENTILE-th percentile is unusual.
FACTOR = 3.0
PERCENTILE = 95.0
#: Fewest sizes a percentile is taken of; below it the layer spec's usual size is the measure.
MIN_SAMPLE = 5

_MEASURES = {"polygon": "area", "line": "length"}


@dataclass(frozen=True)
class SizeCheck:
    """A new geometry's size against its layer's usual size: `measure` ``area`` (m²) or
    ``length`` (m), its `value`, the `usual` size (the percentile), how many geometries that
    was measured from (`sample`) and from where (`scope`: ``layer`` or ``register``, or
    ``spec``: the layer spec's own usual size, `sample` 0)."""

    measure: str
    value: float
    usual: float
    sample: int
    scope: str

    @property
    def unusual(self) -> bool:
        """More than :data:`FACTOR` times the usual size."""
        return self.value > FACTOR * self.usual

    @property
    def ratio(self) -> float:
        """How many times the usual size it is."""
        return self.value / self.usual if self.usual > 0 else float("inf")


def _sizes(geometries: np.ndarray, measure: str) -> np.ndarray:
    """Area or length in metres of each WGS-84 geometry of the measure's kind."""
    kind = {"area": "polygon", "length": "line"}[measure]
    geoms = geometries[~shapely.is_missing(geometries)]
    geoms = np.array([g for g in geoms if not g.is_empty and geometry_kind(g.geom_type) == kind],
                     dtype=object)
    if not len(geoms):
        return np.array([], dtype=float)
    metric = np.asarray(to_metric(geoms), dtype=object)
    return shapely.area(metric) if measure == "area" else shapely.length(metric)


def size_check(atlas: Atlas, layer: str, geometry: BaseGeometry | None) -> SizeCheck | None:
    """`geometry` (WGS-84) against the usual size of `layer`'s projects in `atlas` (module
    doc); None for a point, no geometry, or a register with nothing to measure against."""
    if geometry is None or geometry.is_empty:
        return None
    measure = _MEASURES.get(geometry_kind(geometry.geom_type))
    if measure is None:
        return None
    projects = atlas.projects
    in_layer = projects["layer"].to_numpy(dtype=object) == layer
    geometries = projects.geometry.to_numpy()
    value = float(_sizes(np.array([geometry], dtype=object), measure)[0])
    spec = atlas.spec(layer)
    declared = spec.usual_area_m2 if measure == "area" else spec.usual_length_m
    for scope, rows in (("layer", geometries[in_layer]), ("spec", None), ("register", geometries)):
        if rows is None:
            if declared > 0:
                return SizeCheck(measure, value, float(declared), 0, scope)
            continue
        sizes = _sizes(rows, measure)
        sizes = sizes[sizes > 0]
        if len(sizes) >= MIN_SAMPLE:
            return SizeCheck(measure, value, float(np.percentile(sizes, PERCENTILE)), len(sizes),
                             scope)
    return None


def size_note(check: SizeCheck) -> dict[str, object]:
    """What is stored with a change whose size was confirmed as unusual (plain JSON data).

    >>> size_note(SizeCheck("area", 720000.0, 12298.0, 1, "layer"))["ratio"]
    58.5
    """
    return {**asdict(check), "value": round(check.value, 1), "usual": round(check.usual, 1),
            "ratio": round(check.ratio, 1), "factor": FACTOR, "percentile": PERCENTILE}
