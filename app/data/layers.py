"""Layer specs: one small TOML file per map layer in ``layers/``, checked against a JSON Schema.

A spec says which features a layer shows (register projects of one ``layer`` value, or gazetteer
places by id or kind), how they look (Leaflet path options), which categories its legend has,
and which fields its tooltip, card and filters use. Adding a layer is adding a file.

What the field lists do (the map builder and the filters read them; nothing else decides):

``tooltip``
    the fields shown on hover, in order, the first in bold;
``card``
    the fields of the card a click opens, in order: the first is the card's title, each other
    one a labelled row;
``filterable`` (project layers only)
    the attributes a planner may filter this layer's projects by. A filter widget (and a URL or
    ``--where`` filter) exists for a field when at least one project layer lists it; the
    filter then applies to every project, as every project has every attribute. ``layer``
    itself is always a filter.

Tooltip and card fields are the display fields of :data:`PROJECT_FIELDS` or
:data:`REFERENCE_FIELDS`; ``name`` is the name in the page's language, ``name_other`` the name
in the other one.

>>> DEMO = {"id": "demo", "title_zh": "示例", "title_en": "Demo",
...     "kind": "projects", "order": 1, "geometry": ["point"], "style": {"color": "#123456"},
...     "legend_field": "category", "legend": [{"value": "a", "zh": "甲", "en": "A", "color": "#ff0000"}],
...     "tooltip": ["name"], "card": ["name", "status"], "filterable": ["category"]}
>>> spec = LayerSpec.from_mapping(DEMO, "demo.toml")
>>> spec.colour_for("a"), spec.colour_for("unknown")
('#ff0000', '#123456')
>>> LayerSpec.from_mapping({"id": "Bad Id"}, "bad.toml")
Traceback (most recent call last):
...
app.errors.LayerSpecError: bad.toml: 'title_zh' is a required property (at top level)
>>> LayerSpec.from_mapping({**DEMO, "card": ["name", "colour"]}, "demo.toml")  # doctest: +ELLIPSIS
Traceback (most recent call last):
...
app.errors.LayerSpecError: demo.toml: 'colour' is not one of ['id', 'name', ...] (at card/1)
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jsonschema

from app.domain.filters import ALWAYS_FILTERS, FILTER_FIELDS
from app.errors import LayerSpecError

__all__ = ["FILTERABLE_FIELDS", "LAYER_SCHEMA", "PROJECT_FIELDS", "REFERENCE_FIELDS", "LegendEntry",
           "LayerSpec", "geometry_kind", "load_layer_specs"]

#: Display fields a project layer's tooltip and card may name (app/map/fields.py labels them).
PROJECT_FIELDS: tuple[str, ...] = (
    "id", "name", "name_other", "name_zh", "name_en", "layer", "category", "status", "action",
    "target_year", "subdistrict", "address", "precision", "pos_confidence", "pos_method",
    "pos_source", "position_note", "report_ref", "description",
    # the living register's (issue 15): shown on a card only when set
    "stages", "lead_agency", "start_date", "target_date", "site_area", "links",
    # how far the position may be from the truth (uncertainty_m), shown as ±N m
    "uncertainty",
)
#: Display fields a reference layer's tooltip and card may name.
REFERENCE_FIELDS: tuple[str, ...] = (
    "id", "name", "name_other", "name_zh", "name_en", "line", "source", "method", "confidence",
    "note",
)
#: Attributes a project layer may declare filterable (``layer`` and ``progress`` always are).
FILTERABLE_FIELDS: tuple[str, ...] = tuple(f for f in FILTER_FIELDS if f not in ALWAYS_FILTERS)

_COLOUR = {"type": "string", "pattern": "^#[0-9a-fA-F]{6}$"}
_FIELDS = {"type": "array", "items": {"type": "string", "minLength": 1}, "uniqueItems": True}


def _fields_of(names: tuple[str, ...], min_items: int = 1) -> dict[str, Any]:
    """Schema of a list of distinct field names drawn from `names`."""
    return {"type": "array", "items": {"enum": list(names)}, "uniqueItems": True,
            "minItems": min_items}


def _kind_rule(kind: str, fields: tuple[str, ...], filterable: dict[str, Any] | bool) -> dict[str, Any]:
    """The field lists a layer of `kind` may have."""
    return {"if": {"properties": {"kind": {"const": kind}}},
            "then": {"properties": {"tooltip": _fields_of(fields), "card": _fields_of(fields),
                                    "filterable": filterable}}}

#: JSON Schema of a layer spec file (after TOML parsing).
LAYER_SCHEMA: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "type": "object",
    "additionalProperties": False,
    "required": ["id", "title_zh", "title_en", "kind", "order", "geometry", "style", "legend",
                 "tooltip", "card"],
    "properties": {
        "id": {"type": "string", "pattern": "^[a-z][a-z0-9_]*$"},
        "title_zh": {"type": "string", "minLength": 1},
        "title_en": {"type": "string", "minLength": 1},
        "description": {"type": "string"},
        "kind": {"enum": ["projects", "reference"]},
        "order": {"type": "integer"},
        "visible": {"type": "boolean"},
        "geometry": {"type": "array", "minItems": 1, "uniqueItems": True,
                     "items": {"enum": ["point", "line", "polygon"]}},
        "place_ids": _FIELDS,
        "place_kinds": _FIELDS,
        "style": {
            "type": "object",
            "additionalProperties": False,
            "required": ["color"],
            "properties": {
                "color": _COLOUR, "fillColor": _COLOUR,
                "weight": {"type": "number", "minimum": 0, "maximum": 20},
                "opacity": {"type": "number", "minimum": 0, "maximum": 1},
                "fillOpacity": {"type": "number", "minimum": 0, "maximum": 1},
                "radius": {"type": "number", "minimum": 1, "maximum": 30},
                "dashArray": {"type": "string", "pattern": "^[0-9 ,]*$"},
            },
        },
        "legend_field": {"type": "string"},
        "usual_area_m2": {"type": "number", "exclusiveMinimum": 0},
        "usual_length_m": {"type": "number", "exclusiveMinimum": 0},
        "legend": {
            "type": "array",
            "items": {
                "type": "object",
                "additionalProperties": False,
                "required": ["value", "zh", "en", "color"],
                "properties": {"value": {"type": "string"}, "zh": {"type": "string"},
                               "en": {"type": "string"}, "color": _COLOUR},
            },
        },
        "tooltip": _FIELDS,
        "card": _FIELDS,
        "filterable": _FIELDS,
    },
    # reference layers are shown or hidden whole: they have no filterable fields
    "allOf": [_kind_rule("projects", PROJECT_FIELDS, _fields_of(FILTERABLE_FIELDS, 0)),
              _kind_rule("reference", REFERENCE_FIELDS, False)],
}

_VALIDATOR = jsonschema.Draft202012Validator(LAYER_SCHEMA)


@dataclass(frozen=True)
class LegendEntry:
    """One legend row: a value of the layer's legend field, its labels and its colour."""

    value: str
    zh: str
    en: str
    color: str


@dataclass(frozen=True)
class LayerSpec:
    """A validated layer spec. Use :meth:`from_mapping` or :func:`load_layer_specs`."""

    id: str
    title_zh: str
    title_en: str
    kind: str
    order: int
    geometry: tuple[str, ...]
    style: Mapping[str, Any]
    legend: tuple[LegendEntry, ...]
    tooltip: tuple[str, ...]
    card: tuple[str, ...]
    filterable: tuple[str, ...] = ()
    legend_field: str | None = None
    visible: bool = True
    place_ids: tuple[str, ...] = ()
    place_kinds: tuple[str, ...] = ()
    description: str = ""
    #: The largest site (m²) and line (m) the layer's projects usually have: what a planner's
    #: new geometry is measured against while the register holds too few of its own to tell
    #: (app/data/plausibility.py); 0: not said.
    usual_area_m2: float = 0.0
    usual_length_m: float = 0.0
    #: For a planner's own reference layer drawn from vector tiles: the URL template of its
    #: tiles (``…/{z}/{x}/{y}.pbf``, see app/map/vector_tiles.py); empty for every other layer.
    tiles_url: str = ""

    @classmethod
    def from_mapping(cls, raw: Mapping[str, Any], where: str) -> LayerSpec:
        """Validate `raw` against LAYER_SCHEMA; the error names the file and the bad value."""
        if raw.get("kind") == "reference" and "filterable" in raw:
            raise LayerSpecError(f"{where}: a reference layer is shown or hidden whole and has no "
                                 f"filters: remove filterable = {raw['filterable']!r}")
        errors = sorted(_VALIDATOR.iter_errors(dict(raw)), key=lambda e: list(e.absolute_path))
        if errors:
            first = errors[0]
            at = "/".join(str(p) for p in first.absolute_path) or "top level"
            raise LayerSpecError(f"{where}: {first.message} (at {at})")
        if raw["kind"] == "reference" and not (raw.get("place_ids") or raw.get("place_kinds")):
            raise LayerSpecError(f"{where}: a reference layer needs place_ids or place_kinds")
        if raw["legend"] and not raw.get("legend_field"):
            raise LayerSpecError(f"{where}: a legend needs legend_field (the field it colours by)")
        values = [entry["value"] for entry in raw["legend"]]
        if len(values) != len(set(values)):
            raise LayerSpecError(f"{where}: legend values repeat: {values}")
        return cls(
            id=raw["id"], title_zh=raw["title_zh"], title_en=raw["title_en"], kind=raw["kind"],
            order=raw["order"], geometry=tuple(raw["geometry"]), style=dict(raw["style"]),
            legend=tuple(LegendEntry(**entry) for entry in raw["legend"]),
            tooltip=tuple(raw["tooltip"]), card=tuple(raw["card"]),
            filterable=tuple(raw.get("filterable", ())), legend_field=raw.get("legend_field"),
            visible=raw.get("visible", True), place_ids=tuple(raw.get("place_ids", ())),
            place_kinds=tuple(raw.get("place_kinds", ())), description=raw.get("description", ""),
            usual_area_m2=float(raw.get("usual_area_m2", 0)),
            usual_length_m=float(raw.get("usual_length_m", 0)),
        )

    def title(self, lang: str) -> str:
        """The layer's title in 'zh' or 'en'."""
        return self.title_en if lang == "en" else self.title_zh

    def colour_for(self, value: object) -> str:
        """Legend colour of a legend-field value, or the layer's base colour."""
        for entry in self.legend:
            if entry.value == value:
                return entry.color
        return self.style["color"]

    def legend_label(self, value: object, lang: str) -> str:
        """The legend label of a value in 'zh' or 'en' (the value itself when unknown)."""
        for entry in self.legend:
            if entry.value == value:
                return entry.en if lang == "en" else entry.zh
        return str(value)

    def legend_values(self) -> tuple[str, ...]:
        """The values the legend knows, in legend order."""
        return tuple(entry.value for entry in self.legend)


def geometry_kind(geom_type: str) -> str:
    """The layer-spec kind ('point', 'line', 'polygon') of a shapely geometry type name.

    >>> geometry_kind("MultiLineString"), geometry_kind("GeometryCollection")
    ('line', 'polygon')
    """
    return {"Point": "point", "MultiPoint": "point", "LineString": "line",
            "MultiLineString": "line"}.get(geom_type, "polygon")


def load_layer_specs(layers_dir: Path) -> list[LayerSpec]:
    """Read every ``*.toml`` in `layers_dir`, validated, sorted by (order, id).

    The file name must be the layer id, so that a layer is found by its name on disk.
    """
    specs = []
    for path in sorted(layers_dir.glob("*.toml")):
        try:
            raw = tomllib.loads(path.read_text(encoding="utf-8"))
        except tomllib.TOMLDecodeError as exc:
            raise LayerSpecError(f"{path.name}: not valid TOML ({exc})") from exc
        spec = LayerSpec.from_mapping(raw, path.name)
        if spec.id != path.stem:
            raise LayerSpecError(f"{path.name}: id {spec.id!r} must match the file name {path.stem!r}")
        specs.append(spec)
    if not specs:
        raise LayerSpecError(f"no layer specs (*.toml) in {layers_dir}")
    ids = [s.id for s in specs]
    if len(ids) != len(set(ids)):
        raise LayerSpecError(f"layer ids repeat: {ids}")
    return sorted(specs, key=lambda s: (s.order, s.id))
