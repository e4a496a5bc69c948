"""The atlas's data model: places, geometry recipes and register projects.

Small frozen types that check themselves on creation; each error quotes the offending value and
names the entry it came from, so a planner editing `geodata/register.toml` can find the mistake.

>>> Recipe.from_mapping({"ref": "poi-tianshangongyuan"}, where="demo").kind
'ref'
>>> Recipe.from_mapping({}, where="demo").kind
'none'
>>> Recipe.from_mapping({"frobnicate": 1}, where="demo")
Traceback (most recent call last):
...
app.errors.DataError: demo: geometry recipe has unknown key(s) ['frobnicate']; expected one of: ref, line, hull, within, point, along, address
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from typing import Any

from app.errors import DataError

__all__ = ["CHANGE_KINDS", "LOCATED_PRECISIONS", "PRECISIONS", "PROGRESS", "REPORT_SECTIONS", "Project",
           "Recipe", "ReportRef"]

#: How precise a drawn position is: a building or parcel, a road segment, a zone (or its centre).
LOCATED_PRECISIONS: tuple[str, ...] = ("site", "street", "area")
#: Every precision a project can have, finest first; 'unlocated' is listed, never drawn.
PRECISIONS: tuple[str, ...] = (*LOCATED_PRECISIONS, "unlocated")
REPORT_SECTIONS: tuple[str, ...] = ("一", "二", "三", "四", "五", "六", "七")
#: The halves a buffered ``ref`` recipe may keep (``side``).
SIDES: tuple[str, ...] = ("east", "west", "north", "south")
#: A project's progress against its report action on a day (app/service/supervision.py), in
#: the order a supervision report lists them: overdue first.
PROGRESS: tuple[str, ...] = ("target_passed", "due_soon", "on_track", "no_target", "done")
#: The kinds of change between two days (app/service/compare.py), in the order they are listed.
CHANGE_KINDS: tuple[str, ...] = ("added", "retired", "moved", "reshaped", "stage", "attributes")
_ID = re.compile(r"^[a-z0-9][a-z0-9-]*$")

# Recipe keys, in the order they are documented in geodata/README.md.
_RECIPE_KEYS = ("ref", "line", "hull", "within", "point", "along", "address")


def check_id(value: object, where: str) -> str:
    """Return `value` if it is a valid id (lower-case ascii slug), else raise DataError."""
    if not isinstance(value, str) or not _ID.match(value):
        raise DataError(f"{where}: id must be a lower-case slug like 'tianshan-park', got {value!r}")
    return value


def _text(mapping: Mapping[str, Any], key: str, where: str, *, required: bool = True) -> str:
    value = mapping.get(key, "")
    if not isinstance(value, str):
        raise DataError(f"{where}: {key} must be text, got {type(value).__name__} {value!r}")
    if required and not value.strip():
        raise DataError(f"{where}: {key} is missing or empty")
    return value.strip()


@dataclass(frozen=True)
class Recipe:
    """How a project's (or derived place's) geometry is made from the gazetteer.

    kind is one of:
      - ``ref``: the geometry of one gazetteer place;
      - ``line``: a line through gazetteer points in order ("from A via B to C");
      - ``hull``: the convex hull of gazetteer points, grown by ``buffer_m`` metres (an area);
      - ``within``: the representative point of another place's area (approximate centre);
      - ``point``: explicit coordinates with their CRS and source;
      - ``along``: a stretch of a line place between two stations, ``from_m``..``to_m`` metres
        measured from the first station (linear referencing); no numbers = the whole stretch;
      - ``address``: a street address ``<road><n>号`` placed from the known house numbers
        (exact, or interpolated between two known neighbours on the road);
      - ``none``: no supported position (the project is unlocated).

    Any recipe may state ``uncertainty_m``, a floor under the radius the geocoder derives (a
    note says why); ``side`` (east, west, north, south) keeps the half of a buffered ``ref``
    on that side of the place.
    """

    kind: str
    refs: tuple[str, ...] = ()
    buffer_m: float = 0.0
    lon: float | None = None
    lat: float | None = None
    crs: str | None = None
    source: str = ""
    line: str | None = None
    from_m: float | None = None
    to_m: float | None = None
    clip_to_district: bool = False
    address: str = ""
    uncertainty_m: float = 0.0
    side: str = ""

    @classmethod
    def from_mapping(cls, raw: Mapping[str, Any] | None, where: str) -> Recipe:
        """Build a recipe from its TOML table; an empty or missing table means 'none'."""
        if not raw:
            return cls(kind="none")
        if not isinstance(raw, Mapping):
            raise DataError(f"{where}: geometry must be a table, got {raw!r}")
        kinds = [k for k in _RECIPE_KEYS if k in raw]
        extras = {"buffer_m", "crs", "source", "from", "to", "from_m", "to_m", "clip_to_district",
                  "uncertainty_m", "side"}
        unknown = sorted(set(raw) - set(_RECIPE_KEYS) - extras)
        if unknown:
            raise DataError(
                f"{where}: geometry recipe has unknown key(s) {unknown}; "
                f"expected one of: {', '.join(_RECIPE_KEYS)}"
            )
        if len(kinds) != 1:
            raise DataError(f"{where}: geometry recipe needs exactly one of {_RECIPE_KEYS}, got {kinds}")
        kind = kinds[0]
        value = raw[kind]
        buffer_m = _number(raw.get("buffer_m", 0.0), "buffer_m", where)
        clip = bool(raw.get("clip_to_district", False))
        stated = _number(raw.get("uncertainty_m", 0.0), "uncertainty_m", where)
        if stated < 0:
            raise DataError(f"{where}: uncertainty_m must be a distance >= 0, got {stated!r}")
        side = raw.get("side", "")
        if side and (kind != "ref" or not buffer_m or side not in SIDES):
            raise DataError(f"{where}: side must be one of {SIDES} on a buffered ref, got {side!r}")
        if kind == "address":
            if not isinstance(value, str) or not value.strip():
                raise DataError(f"{where}: address must be text such as '仙霞路1111号', got {value!r}")
            return cls(kind=kind, address=value.strip(), uncertainty_m=stated)
        if kind in ("ref", "within"):
            return cls(kind=kind, refs=(_ref(value, where),), buffer_m=buffer_m,
                       clip_to_district=clip, uncertainty_m=stated, side=side)
        if kind in ("line", "hull"):
            if not isinstance(value, list) or len(value) < 2:
                raise DataError(f"{where}: {kind} needs a list of at least 2 place ids, got {value!r}")
            return cls(kind=kind, refs=tuple(_ref(v, where) for v in value), buffer_m=buffer_m,
                       clip_to_district=clip, uncertainty_m=stated)
        if kind == "point":
            if not (isinstance(value, list) and len(value) == 2):
                raise DataError(f"{where}: point must be [lon, lat], got {value!r}")
            lon, lat = (_number(v, "point", where) for v in value)
            if "crs" not in raw:
                raise DataError(f"{where}: explicit point {value!r} needs its crs (wgs84, gcj02 or bd09)")
            source = _text(raw, "source", where)
            return cls(kind=kind, lon=lon, lat=lat, crs=str(raw["crs"]), source=source,
                       uncertainty_m=stated)
        # along
        if "from" not in raw or "to" not in raw:
            raise DataError(f"{where}: along needs 'from' and 'to' station ids")
        from_m = raw.get("from_m")
        to_m = raw.get("to_m")
        return cls(
            kind=kind, line=_ref(value, where), refs=(_ref(raw["from"], where), _ref(raw["to"], where)),
            from_m=None if from_m is None else _number(from_m, "from_m", where),
            to_m=None if to_m is None else _number(to_m, "to_m", where), uncertainty_m=stated,
        )

    def place_refs(self) -> tuple[str, ...]:
        """Every place id this recipe depends on."""
        return self.refs + ((self.line,) if self.line else ())


def _ref(value: object, where: str) -> str:
    if not isinstance(value, str) or not value:
        raise DataError(f"{where}: a place reference must be a place id, got {value!r}")
    return value


def _number(value: object, name: str, where: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise DataError(f"{where}: {name} must be a number, got {value!r}")
    number = float(value)
    if number != number:  # NaN
        raise DataError(f"{where}: {name} is NaN")
    return number


@dataclass(frozen=True)
class ReportRef:
    """Where the report names the project: section 一..七 and the paragraph's lead phrase."""

    section: str
    paragraph: str

    def label(self) -> str:
        """Human citation, e.g. '二、2025年主要任务 (四) 打造高品质公共空间'."""
        return f"二、2025年主要任务 ({self.section}) {self.paragraph}"


@dataclass(frozen=True)
class Project:
    """One entry of the project register, before geocoding."""

    id: str
    name_zh: str
    name_en: str
    layer: str
    category: str
    action: str
    status: str
    precision: str
    report: ReportRef
    description: str
    geometry: Recipe
    aliases: tuple[str, ...] = ()
    target_year: int | None = None
    subdistrict: str = "unknown"
    address: str = ""
    position_note: str = ""
    #: Chinese wording of the description and position note (the fields above are English).
    description_zh: str = ""
    position_note_zh: str = ""
    #: The register id of the report item this entry is a part of ('' for a whole item); the
    #: split into parts is this project's, not the report's.
    parent: str = ""
    #: 'district' for an item the report sets for the whole district (counted and listed, never
    #: drawn), else ''.
    extent: str = ""
    extra: dict[str, Any] = field(default_factory=dict, compare=False)

    @classmethod
    def from_mapping(cls, raw: Mapping[str, Any], where: str = "register") -> Project:
        """Build and check one register entry (a TOML ``[[project]]`` table)."""
        if not isinstance(raw, Mapping):
            raise DataError(f"{where}: each project must be a table, got {raw!r}")
        pid = check_id(raw.get("id"), where)
        where = f"{where} project {pid!r}"
        known = {f.name for f in fields(cls)} - {"extra"}
        unknown = sorted(set(raw) - known)
        if unknown:
            raise DataError(f"{where}: unknown field(s) {unknown}")
        precision = _text(raw, "precision", where)
        if precision not in PRECISIONS:
            raise DataError(f"{where}: precision {precision!r} is not one of {PRECISIONS}")
        report = raw.get("report")
        if not isinstance(report, Mapping):
            raise DataError(f"{where}: report must be a table with section and paragraph, got {report!r}")
        section = _text(report, "section", where)
        if section not in REPORT_SECTIONS:
            raise DataError(f"{where}: report section {section!r} is not one of {REPORT_SECTIONS}")
        year = raw.get("target_year")
        if year is not None and (not isinstance(year, int) or not 2024 <= year <= 2040):
            raise DataError(f"{where}: target_year must be a year 2024-2040, got {year!r}")
        aliases = raw.get("aliases", [])
        if not isinstance(aliases, list) or not all(isinstance(a, str) for a in aliases):
            raise DataError(f"{where}: aliases must be a list of text, got {aliases!r}")
        recipe = Recipe.from_mapping(raw.get("geometry"), where)
        if (recipe.kind == "none") != (precision == "unlocated"):
            raise DataError(
                f"{where}: precision {precision!r} does not match its geometry "
                f"({'none' if recipe.kind == 'none' else recipe.kind}); "
                "a project without a geometry recipe is 'unlocated', and only then"
            )
        extent = _text(raw, "extent", where, required=False)
        if extent not in ("", "district"):
            raise DataError(f"{where}: extent must be 'district' or absent, got {extent!r}")
        if extent == "district" and precision != "unlocated":
            raise DataError(f"{where}: a district-wide item is listed, never drawn: its precision "
                            f"must be 'unlocated', not {precision!r}")
        parent = _text(raw, "parent", where, required=False)
        if parent == pid:
            raise DataError(f"{where}: parent names the project itself")
        if precision != "site" and not _text(raw, "position_note", where, required=False):
            raise DataError(f"{where}: precision {precision!r} needs a position_note saying why")
        return cls(
            id=pid,
            name_zh=_text(raw, "name_zh", where),
            name_en=_text(raw, "name_en", where),
            layer=_text(raw, "layer", where),
            category=_text(raw, "category", where),
            action=_text(raw, "action", where),
            status=_text(raw, "status", where),
            precision=precision,
            report=ReportRef(section=section, paragraph=_text(report, "paragraph", where)),
            description=_text(raw, "description", where),
            geometry=recipe,
            aliases=tuple(aliases),
            target_year=year,
            subdistrict=_text(raw, "subdistrict", where, required=False) or "unknown",
            address=_text(raw, "address", where, required=False),
            position_note=_text(raw, "position_note", where, required=False),
            description_zh=_text(raw, "description_zh", where, required=False),
            position_note_zh=_text(raw, "position_note_zh", where, required=False),
            parent=parent,
            extent=extent,
        )
