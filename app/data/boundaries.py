"""Outline files of sub-districts, planning units or parcels, and the spatial join onto projects.

No open source reachable here has the sub-district outlines, so the atlas ships none; a planner
or an analyst loads one with ``python -m app import-boundaries PATH --kind subdistrict|unit|parcel``
(:mod:`app.cli.boundaries`). The command writes ``<kind>.geojson`` into the boundaries folder
(:func:`default_boundaries_dir`: ``$ATLAS_BOUNDARIES_DIR``, else ``var/boundaries`` beside the
store's ``var/atlas.sqlite`` in the source tree, else in the working folder), WGS-84, one feature
per unit with ``name`` and ``code``, and the layer's own ``name``, ``source`` and ``source_crs``.
Loading the atlas reads every such file as reference places of kind ``subdistrict``, ``unit`` or
``parcel``, each file as a reference layer named as the user named it
(:func:`boundary_layer_specs`: ``boundaries_<kind>``), and :func:`join_units` fills each
located project's units with the share of the project inside each unit: points 1.0 in the unit
that covers them, lines by length, polygons by area (EPSG:32651). A project's ``subdistrict`` is
filled from the sub-district holding its largest share (method ``spatial-join``) only where the
register says ``unknown``: a sub-district a source names is kept (method ``register``).

>>> from shapely import Point, box
>>> units = [("甲", box(0, 0, 10, 10)), ("乙", box(10, 0, 20, 10))]
>>> shares(box(5, 2, 15, 4), units), shares(Point(3, 3), units), shares(Point(30, 3), units)
([('乙', 0.5), ('甲', 0.5)], [('甲', 1.0)], [])
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path

import geopandas as gpd
import pandas as pd
import shapely
from shapely.geometry import mapping, shape
from shapely.geometry.base import BaseGeometry

from app.data.layers import LayerSpec
from app.errors import DataError
from app.geo.gazetteer import Place
from app.geo.geocode import to_metric

__all__ = [
    "BOUNDARY_KINDS",
    "straddling",
    "BOUNDARY_TOLERANCE_M",
    "boundaries_stamp",
    "boundary_collection",
    "boundary_layer_specs",
    "boundary_path",
    "default_boundaries_dir",
    "join_units",
    "load_boundaries",
    "official_subdistricts",
    "shares",
    "unit_summary",
]

#: What an outline file can hold; each kind has one file in the boundaries folder.
BOUNDARY_KINDS: tuple[str, ...] = ("subdistrict", "unit", "parcel")
#: Outlines may reach this far outside the district (units and parcels cross its edge), metres.
BOUNDARY_TOLERANCE_M = 5000.0
_ROOT = Path(__file__).resolve().parents[2]
_DECIMALS = 7


def official_subdistricts(units: Sequence[tuple[str, str, BaseGeometry]], places: Iterable[Place],
                          label: str = "outline file") -> list[tuple[str, str, BaseGeometry]]:
    """Sub-district units named as the district's ten 街道/镇 with their official codes.

    A unit's name must be one of the gazetteer's sub-districts (``天山路街道``; ``天山路`` or its
    English name also do) and a code, when given, must be that sub-district's statistical code;
    each sub-district may come once. Returns the units with the official name and code;
    DataError naming the unit and the ten names otherwise.

    >>> from shapely import box
    >>> ten = [Place("subdistrict-tianshanlu", "天山路街道", "Tianshan Road Subdistrict",
    ...              "subdistrict", None, "", None, "none", "none", code="310105006")]
    >>> official_subdistricts([("天山路", "", box(0, 0, 1, 1))], ten)[0][:2]
    ('天山路街道', '310105006')
    >>> official_subdistricts([("火星街道", "", box(0, 0, 1, 1))], ten)
    Traceback (most recent call last):
    ...
    app.errors.DataError: outline file unit 1 ('火星街道'): not one of Changning's sub-districts 天山路街道; name it as they are named
    """
    official = [p for p in places if p.kind == "subdistrict" and not p.id.startswith("boundary-")]
    by_name: dict[str, Place] = {}
    for place in official:
        for name in (place.name_zh, place.name_zh.removesuffix("街道"), place.name_en,
                     *place.aliases):
            by_name.setdefault(name.strip().casefold(), place)
    out: list[tuple[str, str, BaseGeometry]] = []
    seen: dict[str, int] = {}
    names = "、".join(p.name_zh for p in official)
    for i, (name, code, geometry) in enumerate(units, 1):
        where = f"{label} unit {i} ({name!r})"
        place = by_name.get(name.strip().casefold())
        if place is None:
            raise DataError(f"{where}: not one of Changning's sub-districts {names}; name it as "
                            "they are named")
        if code and code != place.code:
            raise DataError(f"{where}: code {code!r} is not the official code of "
                            f"{place.name_zh}, {place.code}")
        if place.id in seen:
            raise DataError(f"{where}: {place.name_zh} is also unit {seen[place.id]}; each "
                            "sub-district is one unit")
        seen[place.id] = i
        out.append((place.name_zh, place.code or "", geometry))
    return out


def default_boundaries_dir() -> Path:
    """``$ATLAS_BOUNDARIES_DIR``, else ``var/boundaries`` in the source tree (beside the store),
    else in the working folder.

    >>> default_boundaries_dir().name
    'boundaries'
    """
    if os.environ.get("ATLAS_BOUNDARIES_DIR"):
        return Path(os.environ["ATLAS_BOUNDARIES_DIR"])
    in_source = (_ROOT / "pyproject.toml").is_file() and (_ROOT / "app").is_dir()
    return (_ROOT if in_source else Path.cwd()) / "var" / "boundaries"


def boundaries_stamp(folder: Path) -> tuple[tuple[str, int, int], ...]:
    """What changes when an outline file in `folder` is added, replaced or removed: each
    file's name, size and modification time (empty when there are none), for cache keys.

    >>> boundaries_stamp(Path("/no/such/folder"))
    ()
    """
    if not folder.is_dir():
        return ()
    return tuple((p.name, p.stat().st_size, p.stat().st_mtime_ns) for p in sorted(folder.glob("*.geojson")))


def boundary_path(folder: Path, kind: str) -> Path:
    """The file of `kind` in `folder`; ValueError for an unknown kind.

    >>> boundary_path(Path("b"), "unit").as_posix()
    'b/unit.geojson'
    >>> boundary_path(Path("b"), "county")
    Traceback (most recent call last):
    ...
    ValueError: boundary kind must be one of ('subdistrict', 'unit', 'parcel'), got 'county'
    """
    if kind not in BOUNDARY_KINDS:
        raise ValueError(f"boundary kind must be one of {BOUNDARY_KINDS}, got {kind!r}")
    return Path(folder) / f"{kind}.geojson"


def boundary_collection(kind: str, name: str, source: str, source_crs: str,
                        units: Sequence[tuple[str, str, BaseGeometry]]) -> dict:
    """The GeoJSON written for a boundary layer: units (name, code, WGS-84 polygon), rounded.

    >>> from shapely import box
    >>> c = boundary_collection("unit", "Test", "t.geojson", "wgs84", [("甲", "", box(0, 0, 1, 1))])
    >>> c["kind"], c["features"][0]["properties"]
    ('unit', {'name': '甲', 'code': ''})
    >>> boundary_collection("unit", "Test", "t", "wgs84", [])
    Traceback (most recent call last):
    ...
    app.errors.DataError: a boundary layer needs at least one unit
    """
    boundary_path(Path("."), kind)
    if not units:
        raise DataError("a boundary layer needs at least one unit")
    features = []
    for unit_name, code, geometry in units:
        rounded = shapely.set_precision(geometry, 10 ** -_DECIMALS)
        features.append({"type": "Feature", "properties": {"name": unit_name, "code": code},
                         "geometry": mapping(rounded)})
    return {"type": "FeatureCollection", "kind": kind, "name": name, "source": source,
            "source_crs": source_crs, "features": features}


def load_boundaries(folder: Path) -> list[Place]:
    """Every unit of every boundary file in `folder` as a reference place (none if absent)."""
    places: list[Place] = []
    for kind in BOUNDARY_KINDS:
        path = boundary_path(folder, kind)
        if not path.exists():
            continue
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            features = data["features"]
        except (json.JSONDecodeError, KeyError, TypeError) as exc:
            raise DataError(f"{path}: not a boundary file written by import-boundaries ({exc})") from exc
        layer = str(data.get("name") or kind)
        for i, feature in enumerate(features, 1):
            props = feature.get("properties") or {}
            try:
                geometry = shape(feature["geometry"])
            except (KeyError, TypeError, ValueError, AttributeError) as exc:
                raise DataError(f"{path} unit {i}: unreadable geometry ({exc})") from exc
            places.append(Place(
                id=f"boundary-{kind}-{i}", name_zh=str(props.get("name") or f"{kind} {i}"),
                name_en=str(props.get("name_en") or props.get("name") or f"{kind} {i}"),
                kind=kind, geometry=geometry,
                source=f"boundary layer {layer!r} ({data.get('source', '')})",
                source_crs=str(data.get("source_crs") or "wgs84"),
                method="imported outline (import-boundaries)", confidence="medium",
                code=str(props.get("code") or "") or None, note=f"{kind} outline of layer {layer!r}",
                properties={"layer": layer},
            ))
    return places


def boundary_layer_specs(places: Iterable[Place]) -> list[LayerSpec]:
    """One reference layer per loaded boundary kind, titled with the layer's name.

    >>> boundary_layer_specs([])
    []
    """
    by_kind: dict[str, list[Place]] = {}
    for place in places:
        if place.kind in BOUNDARY_KINDS and place.id.startswith("boundary-"):
            by_kind.setdefault(place.kind, []).append(place)
    specs = []
    for order, kind in enumerate(BOUNDARY_KINDS):
        if kind not in by_kind:
            continue
        layer = by_kind[kind][0].properties.get("layer") or kind
        specs.append(LayerSpec.from_mapping({
            "id": f"boundaries_{kind}", "title_zh": f"{layer}(导入的边界)",
            "title_en": f"{layer} (imported boundaries)", "kind": "reference",
            "order": 105 + order, "geometry": ["polygon"],
            "place_ids": [p.id for p in by_kind[kind]], "tooltip": ["name", "name_other"],
            "card": ["name", "name_other", "source", "method", "confidence", "note"],
            "legend": [], "style": {"color": "#8e44ad", "weight": 2, "opacity": 0.8,
                                    "fillOpacity": 0.03, "dashArray": "4 4"},
        }, f"boundary layer {kind}"))
    return specs


def shares(geometry: BaseGeometry, units: Sequence[tuple[str, BaseGeometry]]) -> list[tuple[str, float]]:
    """(unit name, share of `geometry` inside it), largest first, shares rounded to 3 decimals.

    Geometries are taken as they are (metric in the atlas): points count 1.0 in every unit that
    covers them, lines by length, polygons by area. Units holding no part are left out.
    """
    out: dict[str, float] = {}
    dimension = shapely.get_dimensions(geometry)
    total = geometry.length if dimension == 1 else geometry.area
    for name, unit in units:
        if dimension == 0:
            share = 1.0 if unit.covers(geometry) else 0.0
        elif total <= 0:
            share = 0.0
        else:
            part = geometry.intersection(unit)
            share = (part.length if dimension == 1 else part.area) / total
        if share > 0.0005:
            out[name] = out.get(name, 0.0) + round(share, 3)
    return sorted(out.items(), key=lambda item: (-item[1], item[0]))


def join_units(projects: gpd.GeoDataFrame, places: Mapping[str, Place]) -> pd.DataFrame:
    """Per project: ``subdistrict``, ``subdistrict_method``, ``unit`` and ``unit_shares``.

    ``unit_shares`` maps each loaded kind to [[name, share], ...]; ``unit`` is the unit (or
    parcel) with the largest share. Without sub-district outlines ``subdistrict`` keeps the
    register's value and the method is ``register`` (named by a source) or ``''`` (unknown).
    """
    by_kind: dict[str, list[tuple[str, BaseGeometry]]] = {}
    for place in places.values():
        if place.kind in BOUNDARY_KINDS and place.located and place.id.startswith("boundary-"):
            by_kind.setdefault(place.kind, []).append((place.name_zh, to_metric(place.geometry)))
    rows = []
    for subdistrict, geometry in zip(projects["subdistrict"], projects.geometry, strict=True):
        method = "register" if subdistrict != "unknown" else ""
        found: dict[str, list[list[object]]] = {}
        unit = ""
        if geometry is not None and not geometry.is_empty and by_kind:
            metric = to_metric(geometry)
            for kind, units in by_kind.items():
                found[kind] = [[name, share] for name, share in shares(metric, units)]
            if subdistrict == "unknown" and found.get("subdistrict"):
                subdistrict, method = str(found["subdistrict"][0][0]), "spatial-join"
            for kind in ("unit", "parcel"):
                if found.get(kind) and not unit:
                    unit = str(found[kind][0][0])
        rows.append({"subdistrict": subdistrict, "subdistrict_method": method, "unit": unit,
                     "unit_shares": found})
    return pd.DataFrame(rows, index=projects.index,
                        columns=["subdistrict", "subdistrict_method", "unit", "unit_shares"])


def straddling(projects: pd.DataFrame, kind: str) -> int:
    """How many projects lie in two or more units of `kind` (from ``unit_shares``).

    >>> straddling(pd.DataFrame({"unit_shares": [{"unit": [("a", 0.5), ("b", 0.5)]}, {}, ""]}), "unit")
    1
    """
    return int(projects["unit_shares"].map(
        lambda found: isinstance(found, dict) and len(found.get(kind, [])) > 1).sum())


def unit_summary(projects: pd.DataFrame, places: Iterable[Place], kind: str) -> pd.DataFrame:
    """Per unit of `kind`: code, area in km², projects with a part inside, and their summed shares.

    >>> unit_summary(pd.DataFrame({"unit_shares": []}), [], "unit").columns.tolist()
    ['name', 'code', 'area_km2', 'projects', 'share_sum']
    """
    boundary_path(Path("."), kind)
    columns = ["name", "code", "area_km2", "projects", "share_sum"]
    rows = []
    for place in places:
        if place.kind != kind or not place.id.startswith("boundary-") or not place.located:
            continue
        inside = [dict((n, s) for n, s in found.get(kind, [])).get(place.name_zh, 0.0)
                  for found in projects["unit_shares"]]
        rows.append({"name": place.name_zh, "code": place.code or "",
                     "area_km2": round(to_metric(place.geometry).area / 1e6, 3),
                     "projects": sum(1 for s in inside if s > 0),
                     "share_sum": round(sum(inside), 3)})
    return pd.DataFrame(rows, columns=columns)
