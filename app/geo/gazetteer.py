"""The gazetteer: named places of Changning with a WGS-84 geometry (or none) and provenance.

Three sources make it up, all under ``geodata/``:

- ``gazetteer.geojson``: metro stations, reference POIs and sub-districts (built by
  ``geodata/scripts/build_gazetteer.py`` from third-party reference positions);
- ``changning_boundary.geojson``: the district outline (``district-changning``);
- ``streets.geojson``: road sketches (from bus stops or house numbers) and the Line 2 track
  (built by ``geodata/scripts/build_streets.py``; optional);
- ``derived_places.toml``: places composed from the others (the Line 3/4 viaduct, a street drawn
  through stations, a zone hull), resolved by the geocoder in file order.

>>> p = Place.from_feature({"id": "x", "geometry": None, "properties": {"id": "x", "name_zh": "某地",
...     "name_en": "Somewhere", "kind": "park", "source": "", "source_crs": None, "method": "none",
...     "confidence": "none"}})
>>> p.located
False
"""

from __future__ import annotations

import json
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import shapely
from shapely.geometry import shape
from shapely.geometry.base import BaseGeometry

from app.domain.model import Recipe, check_id
from app.errors import DataError
from app.geo.uncertainty import place_uncertainty_m

__all__ = ["CONFIDENCES", "PLACE_KINDS", "DerivedPlace", "Place", "load_derived", "load_places"]

CONFIDENCES: tuple[str, ...] = ("high", "medium", "low", "none")
PLACE_KINDS: tuple[str, ...] = (
    "district", "subdistrict", "metro_station", "metro_line", "road", "zone", "park", "museum",
    "mall", "hotel", "creative_park", "library", "venue", "school", "landmark", "unit", "parcel",
)
DISTRICT_ID = "district-changning"


@dataclass(frozen=True)
class Place:
    """A named place: geometry in WGS-84 (or None when no source supports one) and provenance."""

    id: str
    name_zh: str
    name_en: str
    kind: str
    geometry: BaseGeometry | None
    source: str
    source_crs: str | None
    method: str
    confidence: str
    aliases: tuple[str, ...] = ()
    note: str = ""
    code: str | None = None
    lines: tuple[int, ...] = ()
    properties: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)
    #: Metres within which the true place lies from the geometry; None: by the rule of
    #: :func:`app.geo.uncertainty.place_uncertainty_m` (kind and method). None without a position.
    uncertainty_m: float | None = field(default=None, compare=False)

    def __post_init__(self) -> None:
        if self.uncertainty_m is None and self.located:
            object.__setattr__(self, "uncertainty_m", place_uncertainty_m(self.kind, self.method))

    @property
    def located(self) -> bool:
        """True when the place has a non-empty geometry."""
        return self.geometry is not None and not self.geometry.is_empty

    @classmethod
    def from_feature(cls, feature: Mapping[str, Any], where: str = "gazetteer") -> Place:
        """Build a place from a GeoJSON feature with the gazetteer's property keys."""
        props = feature.get("properties") or {}
        pid = check_id(props.get("id", feature.get("id")), where)
        where = f"{where} place {pid!r}"
        kind = props.get("kind")
        if kind not in PLACE_KINDS:
            raise DataError(f"{where}: kind {kind!r} is not one of {PLACE_KINDS}")
        confidence = props.get("confidence")
        if confidence not in CONFIDENCES:
            raise DataError(f"{where}: confidence {confidence!r} is not one of {CONFIDENCES}")
        raw_geom = feature.get("geometry")
        try:
            geometry = shape(raw_geom) if raw_geom else None
        except (ValueError, TypeError, AttributeError, KeyError) as exc:
            raise DataError(f"{where}: unreadable geometry {raw_geom!r:.80}: {exc}") from exc
        return cls(
            id=pid,
            name_zh=str(props.get("name_zh") or ""),
            name_en=str(props.get("name_en") or ""),
            kind=kind,
            geometry=geometry,
            source=str(props.get("source") or ""),
            source_crs=props.get("source_crs"),
            method=str(props.get("method") or ""),
            confidence=confidence,
            aliases=tuple(props.get("aliases") or ()),
            note=str(props.get("note") or ""),
            code=props.get("code"),
            lines=tuple(props.get("lines") or ()),
            properties=dict(props),
        )


@dataclass(frozen=True)
class DerivedPlace:
    """A place composed by a recipe from other places (resolved by the geocoder)."""

    id: str
    name_zh: str
    name_en: str
    kind: str
    recipe: Recipe
    confidence: str
    note: str
    aliases: tuple[str, ...] = ()
    #: Metres within which the true place lies from the composed shape, as the note explains.
    uncertainty_m: float = 0.0

    @classmethod
    def from_mapping(cls, raw: Mapping[str, Any], where: str) -> DerivedPlace:
        """Build one ``[[place]]`` table of derived_places.toml."""
        pid = check_id(raw.get("id"), where)
        where = f"{where} place {pid!r}"
        unknown = sorted(set(raw) - {"id", "name_zh", "name_en", "kind", "geometry", "confidence",
                                     "note", "aliases", "uncertainty_m"})
        if unknown:
            raise DataError(f"{where}: unknown field(s) {unknown}")
        kind = raw.get("kind")
        if kind not in PLACE_KINDS:
            raise DataError(f"{where}: kind {kind!r} is not one of {PLACE_KINDS}")
        confidence = raw.get("confidence")
        if confidence not in CONFIDENCES:
            raise DataError(f"{where}: confidence {confidence!r} is not one of {CONFIDENCES}")
        recipe = Recipe.from_mapping(raw.get("geometry"), where)
        if recipe.kind == "none":
            raise DataError(f"{where}: a derived place needs a geometry recipe")
        note = str(raw.get("note") or "")
        if not note:
            raise DataError(f"{where}: a derived place needs a note saying how good its shape is")
        radius = raw.get("uncertainty_m")
        if isinstance(radius, bool) or not isinstance(radius, int | float) or not radius > 0:
            raise DataError(f"{where}: a derived place needs uncertainty_m, the metres within "
                            f"which the true place lies from its shape (a number > 0), got {radius!r}")
        return cls(id=pid, name_zh=str(raw.get("name_zh") or ""), name_en=str(raw.get("name_en") or ""),
                   kind=kind, recipe=recipe, confidence=confidence, note=note,
                   aliases=tuple(raw.get("aliases") or ()), uncertainty_m=float(radius))


def _read_json(path: Path) -> dict[str, Any]:
    try:
        with path.open(encoding="utf-8") as fh:
            data = json.load(fh)
    except FileNotFoundError as exc:
        raise DataError(f"missing data file {path}") from exc
    except json.JSONDecodeError as exc:
        raise DataError(f"{path}: not valid JSON ({exc})") from exc
    if data.get("type") != "FeatureCollection":
        raise DataError(f"{path}: expected a GeoJSON FeatureCollection, got type {data.get('type')!r}")
    return data


def load_places(data_dir: Path) -> list[Place]:
    """Read the gazetteer, the street sketches and the district boundary from `data_dir`.

    Duplicates are kept so that validation can report them; callers index by id afterwards.
    """
    places = [
        Place.from_feature(f, where=f"gazetteer.geojson feature {i}")
        for i, f in enumerate(_read_json(data_dir / "gazetteer.geojson")["features"])
    ]
    streets = data_dir / "streets.geojson"
    if streets.exists():
        places += [Place.from_feature(f, where=f"streets.geojson feature {i}")
                   for i, f in enumerate(_read_json(streets)["features"])]
    boundary = _read_json(data_dir / "changning_boundary.geojson")["features"]
    if len(boundary) != 1:
        raise DataError(f"changning_boundary.geojson must hold one feature, has {len(boundary)}")
    feature = boundary[0]
    props = dict(feature.get("properties") or {})
    props.setdefault("id", feature.get("id", DISTRICT_ID))
    props.setdefault("kind", "district")
    props.setdefault("confidence", "high")
    props.setdefault("aliases", ["长宁", "Changning", "changning"])
    places.append(Place.from_feature({"geometry": feature.get("geometry"), "properties": props},
                                     where="changning_boundary.geojson"))
    return places


def load_derived(data_dir: Path) -> list[DerivedPlace]:
    """Read ``derived_places.toml`` (an absent file means no derived places)."""
    path = data_dir / "derived_places.toml"
    if not path.exists():
        return []
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise DataError(f"{path.name}: not valid TOML ({exc})") from exc
    return [DerivedPlace.from_mapping(p, where=f"{path.name} entry {i}")
            for i, p in enumerate(raw.get("place", []))]


def district_geometry(places: list[Place]) -> BaseGeometry:
    """The district outline among `places`; DataError when it is missing."""
    for place in places:
        if place.id == DISTRICT_ID and place.located:
            return place.geometry
    raise DataError(f"the gazetteer has no located {DISTRICT_ID!r}")


def is_valid(geometry: BaseGeometry) -> bool:
    """shapely validity, as one place to change the rule."""
    return bool(shapely.is_valid(geometry))
