"""Path styles of the map's style classes (layer colour, approximate-area point, geometry kind).

Styles are per style class, never a per-feature style function: a class is drawn as one
Leaflet layer (SVG) or one canvas path.

>>> path_style({"color": "#123456", "radius": 8}, "#ff0000", area_point=True, kind="point")
{'color': '#ff0000', 'fillColor': '#ff0000', 'fill': True, 'fillOpacity': 0.08, 'dashArray': '4 4'}
>>> path_style({"color": "#123456"}, "#123456", area_point=False, kind="line")["fill"]
False
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

__all__ = ["KIND_OF_TYPE", "path_style"]

#: Geometry kind of each shapely type id (GeometryCollections, 'other', stay on the SVG path).
KIND_OF_TYPE = np.array(["point", "line", "line", "polygon", "point", "line", "polygon", "other"],
                        dtype=object)


def path_style(base: Mapping[str, Any], colour: str, *, area_point: bool, kind: str) -> dict[str, Any]:
    """Leaflet path options of one style class: the spec's `base` style in `colour`; an
    approximate area point (`area_point`) hollow and dashed."""
    style = {k: v for k, v in base.items() if k != "radius"}
    style.update(color=colour, fillColor=colour, fill=kind != "line")
    if kind == "polygon":
        style.setdefault("fillOpacity", 0.2)
    if area_point:  # an approximate position: hollow, dashed
        style.update(fillOpacity=0.08, dashArray="4 4")
    elif kind == "point":
        style["fillOpacity"] = 0.85
    return style
