"""How a planner's change is named on the pages: the fields it sets and the geometry it draws.

Plain text (for table cells and selectbox options); a page that puts it into Markdown escapes
it first (:func:`app.domain.text.escape_markdown`).
"""

from __future__ import annotations

import shapely
from shapely.geometry.base import BaseGeometry

from app.data.layers import geometry_kind
from app.data.living import site_area_m2
from app.domain.i18n import field_label, t

__all__ = ["PROVENANCE", "field_name", "geometry_text", "short_wkt"]

#: The position fields a geometry change sets beside the geometry (where it came from).
PROVENANCE = frozenset({"precision", "pos_method", "pos_source", "pos_source_crs",
                        "pos_confidence", "position_note", "uncertainty_m"})


def field_name(name: str, lang: str) -> str:
    """Display name of a field a planner change sets (the register's label when it has one).

    >>> field_name("lead_agency", "en"), field_name("stage_entry", "en")
    ('Lead agency', 'New stage')
    >>> field_name("no_such_field", "en")
    'no_such_field'
    """
    key = f"planner.field_{name}"
    text = t(key, lang)
    return field_label(name, lang) if text == key else text


def geometry_text(geometry: BaseGeometry | None, lang: str, *, site: bool = True) -> str:
    """'Polygon, 4 vertices · site area 10,564 m² (1.06 ha)': the kind, the vertices and, for a
    polygon that is a `site` (the register's precision; an area-precision outline of a zone is
    not), the site area in square metres and hectares.

    >>> from shapely import Point, box
    >>> geometry_text(box(121.40, 31.20, 121.401, 31.201), "en")
    'Polygon, 4 vertices · site area 10,564 m² (1.06 ha)'
    >>> geometry_text(Point(121.4, 31.2), "en"), geometry_text(None, "en")
    ('Point', 'no geometry yet (unlocated)')
    >>> geometry_text(box(121.40, 31.20, 121.401, 31.201), "en", site=False)
    'Polygon, 4 vertices'

    """
    if geometry is None or geometry.is_empty:
        return t("planner.no_geometry", lang)
    kind = geometry_kind(geometry.geom_type)
    rings = int(shapely.get_num_interior_rings(geometry)) + 1 if geometry.geom_type == "Polygon" else 0
    vertices = int(shapely.get_num_coordinates(geometry)) - rings
    text = t(f"planner.kind_{kind}", lang)
    if kind != "point" or vertices > 1:
        text = t("planner.shape", lang).format(kind=text, n=vertices)
    area = site_area_m2(geometry) if site else None
    if area is not None:
        text += " · " + t("planner.area", lang).format(m2=area, ha=area / 10_000)
    return text


def short_wkt(wkt: str, limit: int = 160) -> str:
    """`wkt` with coordinates to 7 decimals (about 1 cm), cut to `limit` characters.

    >>> short_wkt("POINT (121.40119999999999 31.209999999999997)")
    'POINT (121.4012 31.21)'
    >>> short_wkt("LINESTRING (121.4 31.2, 121.5 31.3)", limit=20)
    'LINESTRING (121.4 31 …'
    """
    text = shapely.to_wkt(shapely.from_wkt(wkt), rounding_precision=7, trim=True)
    return text if len(text) <= limit else text[:limit] + " …"
