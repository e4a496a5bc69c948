"""Load and check everything the atlas shows: gazetteer, derived places, register, layer specs.

:func:`check_atlas` returns every problem it finds (one line each) together with whatever could
be built; :func:`load_atlas` is the strict form used by the app, the CLI and exports.

The projects frame has one row per register entry, WGS-84, with these stable columns
(documented in geodata/README.md): the register fields, ``report_ref``, and the provenance
columns ``pos_source``, ``pos_source_crs``, ``pos_method``, ``pos_confidence``, ``pos_refs``
and ``uncertainty_m`` (metres; :mod:`app.geo.uncertainty`, None when unlocated);
plus ``search_text`` (normalised names and aliases for search; not exported).
"""

from __future__ import annotations

import hashlib
import os
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import pandas as pd
import shapely

from app.data.boundaries import (
    BOUNDARY_TOLERANCE_M,
    boundary_layer_specs,
    default_boundaries_dir,
    join_units,
    load_boundaries,
)
from app.data.coverage import Coverage, load_coverage
from app.data.layers import LayerSpec, geometry_kind, load_layer_specs
from app.data.register import Vocabulary, goal_problems, load_vocabulary, read_register
from app.domain.filters import ALWAYS_FILTERS, search_text
from app.domain.model import PRECISIONS, PROGRESS, REPORT_SECTIONS, Project
from app.errors import AtlasError, DataError, GeocodeError
from app.geo.crs import CRS_NAMES
from app.geo.district import distance_outside
from app.geo.gazetteer import DISTRICT_ID, Place, load_derived, load_places
from app.geo.geocode import NO_POSITION, resolve, resolve_derived, to_metric
from app.geo.housenumbers import ADDRESSES_FILE, AddressBook

__all__ = [
    "PLACE_TOLERANCE_M",
    "EXTRA_COLUMNS",
    "PROJECT_COLUMNS",
    "PROJECT_TOLERANCE_M",
    "Atlas",
    "check_atlas",
    "data_version",
    "default_data_dir",
    "default_layers_dir",
    "load_atlas",
    "report_items",
]

#: A project may lie at most this far outside the district outline (outline and positions are
#: both approximate; border projects such as a station shared with a neighbour need room).
PROJECT_TOLERANCE_M = 300.0
#: Gazetteer places may lie this far outside: stations bordering the district are kept on purpose.
PLACE_TOLERANCE_M = 1000.0

_ROOT = Path(__file__).resolve().parents[2]
#: Files whose content defines the data version.
_VERSIONED = ("gazetteer.geojson", "changning_boundary.geojson", "streets.geojson",
              ADDRESSES_FILE, "derived_places.toml", "register.toml", "vocabulary.toml")
#: Register fields carried as atlas columns beside PROJECT_COLUMNS: the zh wording of
#: description and position note (not exported), the parent report item of a part, and
#: 'district' for district-wide items (both exported, app.io.export.EXTRA_EXPORT_COLUMNS).
#: ``subdistrict_method`` ('register', 'spatial-join' or ''), ``unit`` and ``unit_shares`` come
#: from the spatial join with loaded boundary files (app.data.boundaries).
EXTRA_COLUMNS: tuple[str, ...] = ("description_zh", "position_note_zh", "parent", "extent",
                                  "subdistrict_method", "unit", "unit_shares")

PROJECT_COLUMNS: tuple[str, ...] = (
    "id", "name_zh", "name_en", "aliases", "layer", "category", "action", "action_en", "status",
    "target_year", "subdistrict", "address", "precision", "report_section", "report_paragraph",
    "report_ref", "description", "position_note", "pos_source", "pos_source_crs", "pos_method",
    "pos_confidence", "pos_refs", "uncertainty_m",
)


def default_data_dir() -> Path:
    """``$ATLAS_DATA_DIR``, else the source tree's ``geodata/``, else the installed copy.

    A wheel installs ``geodata/`` as ``app/geodata`` (pyproject.toml ``[tool.setuptools]``).

    >>> (default_data_dir() / "register.toml").is_file()
    True
    >>> import os; os.environ["ATLAS_DATA_DIR"] = "/srv/atlas/geodata"
    >>> default_data_dir().as_posix()
    '/srv/atlas/geodata'
    >>> del os.environ["ATLAS_DATA_DIR"]
    """
    if os.environ.get("ATLAS_DATA_DIR"):
        return Path(os.environ["ATLAS_DATA_DIR"])
    in_source = (_ROOT / "pyproject.toml").is_file() and (_ROOT / "geodata").is_dir()
    return _ROOT / "geodata" if in_source else Path(__file__).resolve().parents[1] / "geodata"


def default_layers_dir() -> Path:
    """``$ATLAS_LAYERS_DIR``, else the source tree's ``layers/``, else the installed copy.

    A wheel installs ``layers/`` as ``app/layers`` (pyproject.toml ``[tool.setuptools]``).

    >>> sorted(default_layers_dir().glob("*.toml"))[0].name
    'city_services.toml'
    >>> import os; os.environ["ATLAS_LAYERS_DIR"] = ""  # empty counts as unset
    >>> default_layers_dir().name
    'layers'
    >>> del os.environ["ATLAS_LAYERS_DIR"]
    """
    if os.environ.get("ATLAS_LAYERS_DIR"):
        return Path(os.environ["ATLAS_LAYERS_DIR"])
    in_source = (_ROOT / "pyproject.toml").is_file() and (_ROOT / "layers").is_dir()
    return _ROOT / "layers" if in_source else Path(__file__).resolve().parents[1] / "layers"


def data_version(data_dir: Path, layers_dir: Path | None = None) -> str:
    """A short hash of the data files (and layer specs), changing whenever any of them does.

    Every page run asks for it, so the hash is kept per set of (file, size, modification time)
    and the files are read again only when one of those changes.
    """
    paths = [data_dir / name for name in _VERSIONED]
    if layers_dir is not None:
        paths += sorted(layers_dir.glob("*.toml"))
    stamps = []
    for path in paths:
        try:
            stat = path.stat()
        except FileNotFoundError:
            continue
        stamps.append((str(path), stat.st_size, stat.st_mtime_ns))
    key = tuple(stamps)
    known = _VERSIONS.get(key)
    if known is None:
        digest = hashlib.sha256()
        for name, _, _ in stamps:
            path = Path(name)
            digest.update(path.name.encode())
            digest.update(path.read_bytes())
        known = _VERSIONS[key] = digest.hexdigest()[:12]
        if len(_VERSIONS) > 64:  # a long-running process whose data keeps changing
            _VERSIONS.pop(next(iter(_VERSIONS)))
    return known


#: Data versions by the (file, size, modification time) of the files they hash.
_VERSIONS: dict[tuple, str] = {}


@dataclass(frozen=True)
class Atlas:
    """Everything loaded: projects (GeoDataFrame, WGS-84), places by id, layer specs."""

    projects: gpd.GeoDataFrame
    places: dict[str, Place]
    specs: tuple[LayerSpec, ...]
    vocab: Vocabulary
    data_version: str
    addresses: AddressBook | None = None
    #: How the register covers the report (geodata/coverage.toml), None without a table.
    coverage: Coverage | None = None

    def spec(self, layer_id: str) -> LayerSpec:
        """The layer spec with this id (KeyError naming the known ids otherwise)."""
        for spec in self.specs:
            if spec.id == layer_id:
                return spec
        raise KeyError(f"unknown layer {layer_id!r}; known: {[s.id for s in self.specs]}")

    @property
    def project_layers(self) -> tuple[LayerSpec, ...]:
        """Specs of kind 'projects', in display order."""
        return tuple(s for s in self.specs if s.kind == "projects")

    @property
    def reference_layers(self) -> tuple[LayerSpec, ...]:
        """Specs of kind 'reference', in display order."""
        return tuple(s for s in self.specs if s.kind == "reference")

    def filter_values(self) -> dict[str, list[str]]:
        """Permitted values of each filter field: the vocabularies, not only what is present.

        ``layer``, then the fields some project layer declares ``filterable``, in FILTER_FIELDS
        order; the categories are those of the layers that filter by category. A field no
        layer declares has no entry, so no widget, URL parameter or ``--where`` uses it --
        except ``progress`` (against the report's targets), which every shown atlas has.
        One definition for the app's widgets, URL parsing and the CLI's --where checks.
        """
        declared = {f for s in self.project_layers for f in s.filterable}
        vocab = {
            "layer": [s.id for s in self.project_layers],
            "category": list(dict.fromkeys(e.value for s in self.project_layers
                                           if "category" in s.filterable for e in s.legend)),
            "status": list(self.vocab.statuses),
            "action": list(self.vocab.actions),
            "subdistrict": ["unknown"] + sorted(p.name_zh for p in self.places.values()
                                                if p.kind == "subdistrict"),
            "report_section": list(REPORT_SECTIONS),
            "precision": list(PRECISIONS),
            "progress": list(PROGRESS),
        }
        return {name: values for name, values in vocab.items()
                if name in ALWAYS_FILTERS or name in declared}

    def reference_frame(self, spec: LayerSpec) -> gpd.GeoDataFrame:
        """The located places a reference layer shows, as a WGS-84 frame."""
        chosen = [p for p in self.places.values() if p.located and (
            p.id in spec.place_ids or p.kind in spec.place_kinds)]
        rows = [{"id": p.id, "name_zh": p.name_zh, "name_en": p.name_en, "kind": p.kind,
                 "line": str(p.lines[0]) if p.lines else "", "source": p.source,
                 "source_crs": p.source_crs or "", "method": p.method,
                 "confidence": p.confidence, "note": p.note, "geometry": p.geometry}
                for p in chosen]
        columns = ["id", "name_zh", "name_en", "kind", "line", "source", "source_crs", "method",
                   "confidence", "note", "geometry"]
        return gpd.GeoDataFrame(pd.DataFrame(rows, columns=columns), geometry="geometry",
                                crs="EPSG:4326")


def report_items(projects: pd.DataFrame) -> pd.DataFrame:
    """One row per report item: parts (rows with a ``parent``) are folded into their parent.

    Columns: ``id`` (the item), ``parts`` (how many register rows make it up), ``located``
    (whether any of them has a geometry), ``district_wide``.

    >>> frame = pd.DataFrame({"id": ["a", "a1", "a2", "b"], "parent": ["", "a", "a", ""],
    ...                       "extent": ["", "", "", "district"],
    ...                       "geometry": [None, object(), None, None]})
    >>> report_items(frame).to_dict("records")  # doctest: +NORMALIZE_WHITESPACE
    [{'id': 'a', 'parts': 3, 'located': True, 'district_wide': False},
     {'id': 'b', 'parts': 1, 'located': False, 'district_wide': True}]
    >>> len(report_items(frame.iloc[0:0]))
    0
    """
    parent = projects.get("parent", pd.Series("", index=projects.index)).fillna("")
    item = parent.where(parent != "", projects["id"])
    extent = projects.get("extent", pd.Series("", index=projects.index)).fillna("")
    located = projects["geometry"].notna()
    out = pd.DataFrame({"id": item, "located": located, "district_wide": extent == "district"})
    grouped = out.groupby("id", sort=False)
    return pd.DataFrame({
        "id": list(grouped.groups), "parts": grouped.size().tolist(),
        "located": grouped["located"].any().tolist(),
        "district_wide": grouped["district_wide"].any().tolist(),
    }, columns=["id", "parts", "located", "district_wide"])


def _check_places(places: list[Place], district_m: shapely.Geometry | None) -> list[str]:
    problems = []
    for pid, n in Counter(p.id for p in places).items():
        if n > 1:
            problems.append(f"gazetteer: duplicate place id {pid!r} ({n} times)")
    for p in places:
        where = f"gazetteer place {p.id!r}"
        if p.source_crs is not None and p.source_crs not in CRS_NAMES:
            problems.append(f"{where}: unknown source CRS {p.source_crs!r} (use {', '.join(CRS_NAMES)})")
        if not p.located:
            if p.confidence != "none":
                problems.append(f"{where}: has no position but confidence {p.confidence!r} (must be 'none')")
            continue
        if not p.source or not p.method or p.source_crs is None:
            problems.append(f"{where}: missing provenance (source, source_crs and method are required)")
        if not shapely.is_valid(p.geometry):
            problems.append(f"{where}: invalid geometry ({shapely.is_valid_reason(p.geometry)})")
        elif district_m is not None and p.id != DISTRICT_ID:
            outside = distance_outside(p.geometry, district_m)
            tolerance = BOUNDARY_TOLERANCE_M if p.id.startswith("boundary-") else PLACE_TOLERANCE_M
            if outside > tolerance:
                problems.append(f"{where}: lies {outside:.0f} m outside the district "
                                f"(tolerance {tolerance:.0f} m)")
    return problems


def _project_row(project: Project, vocab: Vocabulary) -> dict[str, object]:
    return {
        "id": project.id, "name_zh": project.name_zh, "name_en": project.name_en,
        "aliases": list(project.aliases), "layer": project.layer, "category": project.category,
        "action": project.action, "action_en": vocab.actions.get(project.action, ""),
        "status": project.status, "target_year": project.target_year,
        "subdistrict": project.subdistrict, "address": project.address,
        "precision": project.precision, "report_section": project.report.section,
        "report_paragraph": project.report.paragraph, "report_ref": project.report.label(),
        "description": project.description, "position_note": project.position_note,
        "description_zh": project.description_zh, "position_note_zh": project.position_note_zh,
        "parent": project.parent, "extent": project.extent,
    }


def _check_project(project: Project, specs: dict[str, LayerSpec], vocab: Vocabulary,
                   subdistricts: set[str]) -> list[str]:
    where = f"register project {project.id!r}"
    problems = []
    spec = specs.get(project.layer)
    if spec is None or spec.kind != "projects":
        known = sorted(k for k, s in specs.items() if s.kind == "projects")
        problems.append(f"{where}: unknown layer {project.layer!r} (known: {known})")
    elif project.category not in spec.legend_values():
        problems.append(f"{where}: category {project.category!r} is not in layer "
                        f"{spec.id!r} (known: {list(spec.legend_values())})")
    if project.status not in vocab.statuses:
        problems.append(f"{where}: unknown status {project.status!r} (known: {sorted(vocab.statuses)})")
    if project.action not in vocab.actions:
        problems.append(f"{where}: unknown action {project.action!r} (known: {sorted(vocab.actions)})")
    if project.subdistrict != "unknown" and project.subdistrict not in subdistricts:
        problems.append(f"{where}: unknown subdistrict {project.subdistrict!r} "
                        f"(use 'unknown' or one of {sorted(subdistricts)})")
    return problems


def check_atlas(data_dir: Path | None = None, layers_dir: Path | None = None,
                boundaries_dir: Path | None = None) -> tuple[Atlas | None, list[str]]:
    """Load everything, returning (atlas or None when unusable, list of problems).

    Boundary files (sub-districts, units, parcels) are read from `boundaries_dir`, by default
    :func:`app.data.boundaries.default_boundaries_dir`; none there means no spatial join.
    """
    data_dir = data_dir or default_data_dir()
    layers_dir = layers_dir or default_layers_dir()
    boundaries_dir = boundaries_dir or default_boundaries_dir()
    problems: list[str] = []
    try:
        vocab = load_vocabulary(data_dir / "vocabulary.toml")
        specs = load_layer_specs(layers_dir)
        raw_places = load_places(data_dir)
        derived = load_derived(data_dir)
        addresses = AddressBook.from_file(data_dir / ADDRESSES_FILE)
        raw_places += load_boundaries(boundaries_dir)
    except AtlasError as exc:
        return None, [str(exc)]
    district = next((p.geometry for p in raw_places if p.id == DISTRICT_ID and p.located), None)
    district_m = to_metric(district) if district is not None else None
    if district is None:
        problems.append(f"gazetteer: no located {DISTRICT_ID!r} (changning_boundary.geojson)")
    problems += _check_places(raw_places, district_m)
    problems += goal_problems(vocab)
    places = {p.id: p for p in raw_places}
    try:
        places = resolve_derived(derived, places)
    except GeocodeError as exc:
        problems.append(str(exc))
    for d in derived:
        p = places.get(d.id)
        if p is not None and p.located and not shapely.is_valid(p.geometry):
            problems.append(f"derived place {d.id!r}: invalid geometry")

    try:
        projects, register_problems = read_register(data_dir / "register.toml")
    except DataError as exc:
        projects, register_problems = [], [str(exc)]
    problems += register_problems
    spec_by_id = {s.id: s for s in specs}
    subdistricts = {p.name_zh for p in places.values() if p.kind == "subdistrict"}
    rows, geoms = [], []
    for pid, n in Counter(p.id for p in projects).items():
        if n > 1:
            problems.append(f"register: duplicate project id {pid!r} ({n} times)")
    for project in projects:
        where = f"register project {project.id!r}"
        problems += _check_project(project, spec_by_id, vocab, subdistricts)
        try:
            geom, provenance = resolve(project.geometry, places, where, addresses)
        except GeocodeError as exc:
            problems.append(str(exc))
            geom, provenance = None, NO_POSITION | {"pos_method": "unresolved"}
        if geom is not None:
            if geom.is_empty:
                problems.append(f"{where}: its geometry is empty (clipped away or degenerate)")
            elif not shapely.is_valid(geom):
                problems.append(f"{where}: invalid geometry ({shapely.is_valid_reason(geom)})")
            else:
                spec = spec_by_id.get(project.layer)
                kind = geometry_kind(geom.geom_type)
                if spec is not None and kind not in spec.geometry:
                    problems.append(f"{where}: a {kind} geometry, but layer {spec.id!r} takes {list(spec.geometry)}")
                if district_m is not None:
                    outside = distance_outside(geom, district_m)
                    if outside > PROJECT_TOLERANCE_M:
                        problems.append(f"{where}: lies {outside:.0f} m outside the district "
                                        f"(tolerance {PROJECT_TOLERANCE_M:.0f} m)")
            if not provenance["pos_source"]:
                problems.append(f"{where}: located but without provenance (no source)")
            radius = provenance.get("uncertainty_m")
            if not isinstance(radius, int | float) or not radius > 0:
                problems.append(f"{where}: drawn without uncertainty_m (how far the true "
                                f"position may lie), got {radius!r}")
        rows.append(_project_row(project, vocab) | provenance)
        geoms.append(geom)
    ids = {p.id: p for p in projects}
    for project in projects:
        parent = ids.get(project.parent) if project.parent else None
        if project.parent and parent is None:
            problems.append(f"register project {project.id!r}: parent {project.parent!r} is not a project")
        elif parent is not None and parent.parent:
            problems.append(f"register project {project.id!r}: parent {project.parent!r} is itself "
                            "a part; name the whole report item")
    try:
        coverage = load_coverage(data_dir, {p.id: p.parent for p in projects})
    except DataError as exc:
        coverage, problems = None, [*problems, str(exc)]
    if coverage is not None:
        problems += coverage.problems
    frame = gpd.GeoDataFrame(pd.DataFrame(rows, columns=[*PROJECT_COLUMNS, *EXTRA_COLUMNS]),
                             geometry=gpd.GeoSeries(geoms, crs="EPSG:4326"), crs="EPSG:4326")
    frame["target_year"] = frame["target_year"].astype("Int64")
    frame["uncertainty_m"] = pd.to_numeric(frame["uncertainty_m"], errors="coerce").astype(float)
    joined = join_units(frame, places)
    for column in joined.columns:
        frame[column] = joined[column]
    frame["search_text"] = search_text(
        frame, {pid: (p.name_zh, p.name_en, *p.aliases) for pid, p in places.items()})
    version = data_version(data_dir, layers_dir)
    boundary_files = sorted(boundaries_dir.glob("*.geojson")) if boundaries_dir.is_dir() else []
    if boundary_files:
        digest = hashlib.sha256(version.encode())
        for path in boundary_files:
            digest.update(path.name.encode() + path.read_bytes())
        version = digest.hexdigest()[:12]
    specs = [*specs, *boundary_layer_specs(places.values())]
    atlas = Atlas(projects=frame, places=places, specs=tuple(specs), vocab=vocab,
                  data_version=version, addresses=addresses, coverage=coverage)
    return atlas, problems


def load_atlas(data_dir: Path | None = None, layers_dir: Path | None = None,
               boundaries_dir: Path | None = None) -> Atlas:
    """Strict load: DataError listing every problem if there is any."""
    atlas, problems = check_atlas(data_dir, layers_dir, boundaries_dir)
    if problems or atlas is None:
        raise DataError("the atlas data has problems:\n" + "\n".join(f"  - {p}" for p in problems))
    return atlas
