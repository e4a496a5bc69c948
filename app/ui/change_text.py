"""How a planner's change is named on the pages: the fields it sets and the geometry it draws.

Plain text (for table cells and selectbox options); a page that puts it into Markdown escapes
it first (:func:`app.domain.text.escape_markdown`).
"""

from __future__ import annotations

import shapely
from shapely.geometry.base import BaseGeometry

from app.data.layers import geometry_kind
from app.data.living import site_area_m2
from app.data.plausibility import SizeCheck
from app.domain.i18n import field_label, t

__all__ = ["PROVENANCE", "field_name", "geometry_text", "size_text"]

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


def size_text(check: SizeCheck, lang: str) -> dict[str, str]:
    """The numbers of an unusual size in words of `lang`: the measure, the new and the usual
    size (m² and ha, or m and km), and how many times the usual it is.

    >>> size_text(SizeCheck("area", 720_000.0, 12_298.0, 1, "layer"), "en")["value"]
    '720,000 m² (72.00 ha)'
    >>> size_text(SizeCheck("length", 950.0, 300.0, 4, "register"), "en")["usual"]
    '300 m (0.30 km)'
    """
    def amount(value: float) -> str:
        if check.measure == "area":
            return t("planner.area_value", lang).format(m2=value, ha=value / 10_000)
        return t("planner.length_value", lang).format(m=value, km=value / 1000)

    return {"measure": t(f"planner.measure_{check.measure}", lang), "value": amount(check.value),
            "usual": amount(check.usual), "ratio": f"{check.ratio:,.1f}",
            "scope": t(f"planner.size_scope_{check.scope}", lang), "n": str(check.sample)}
