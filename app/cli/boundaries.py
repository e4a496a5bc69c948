"""``python -m app import-boundaries PATH --kind subdistrict|unit|parcel``: load an outline file.

The file is any spatial format the importer reads (GeoJSON, GeoPackage) in any CRS it accepts
(``--crs``, else the file's declared CRS, else WGS-84); GCJ-02, BD-09 and projected CRSs are
converted through :func:`app.geo.position.check_position`, which also refuses swapped or far-away
coordinates. Each feature is one unit, named by ``--name-field`` (default: the first of
``name``, ``name_zh``, ``名称``, ``NAME``, ``Name``, ``街道``, ``街镇``) with an optional
``--code-field``. The outlines are written, WGS-84, to ``<kind>.geojson`` in the boundaries
folder (``--boundaries-dir``, default :func:`app.data.boundaries.default_boundaries_dir`), where
the atlas loads them as the reference layer ``boundaries`` and joins them onto the projects;
a new file of the same kind replaces the old one. The command prints, per unit, its area and
the projects inside it, and how many projects' ``subdistrict`` the join filled. Sub-district
units must be the district's ten 街道/镇, named as the gazetteer names them (with their official
statistical codes, filled in when the file has none:
:func:`app.data.boundaries.official_subdistricts`). Exit status 2 with one message for an
unusable file.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import shapely

from app.data.atlas import load_atlas
from app.data.boundaries import (
    BOUNDARY_KINDS,
    BOUNDARY_TOLERANCE_M,
    boundary_collection,
    boundary_path,
    default_boundaries_dir,
    official_subdistricts,
    straddling,
    unit_summary,
)
from app.errors import AtlasError
from app.geo.coords import SourceCRS, parse_source_crs
from app.geo.gazetteer import DISTRICT_ID
from app.geo.geocode import to_metric
from app.geo.position import check_position
from app.io.atomic import atomic_write
from app.io.readers import cell_text, read_table

__all__ = ["NAME_FIELDS", "add_parser", "read_units", "run"]

#: Columns tried, in order, for the unit's name when --name-field is not given.
NAME_FIELDS: tuple[str, ...] = ("name", "name_zh", "名称", "NAME", "Name", "街道", "街镇")


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``import-boundaries`` sub-command.

    >>> parser = argparse.ArgumentParser(prog="atlas")
    >>> add_parser(parser.add_subparsers(dest="command"))
    >>> args = parser.parse_args(["import-boundaries", "units.geojson", "--kind", "unit"])
    >>> args.kind, args.crs, args.func is run
    ('unit', None, True)
    """
    sub = subparsers.add_parser(
        "import-boundaries", help="load an outline file of sub-districts, units or parcels",
        description=__doc__.split("\n\n")[1].replace("\n", " "))
    sub.add_argument("path", type=Path, metavar="PATH", help="GeoJSON or GeoPackage file")
    sub.add_argument("--kind", required=True, choices=BOUNDARY_KINDS,
                     help="what the outlines are: subdistrict fills the projects' sub-district")
    sub.add_argument("--crs", default=None,
                     help="CRS of the file (wgs84, gcj02, bd09, EPSG:<code>; default: the file's, "
                          "else wgs84)")
    sub.add_argument("--name", default=None, help="layer name (default: the file name)")
    sub.add_argument("--name-field", default=None, help="column with the unit's name")
    sub.add_argument("--code-field", default=None, help="column with the unit's code")
    sub.add_argument("--boundaries-dir", type=Path, default=None,
                     help="where boundary files are kept (default: $ATLAS_BOUNDARIES_DIR or "
                          "var/boundaries)")
    sub.set_defaults(func=run)


def read_units(path: Path, crs_text: str | None, district_m: shapely.Geometry,
               name_field: str | None = None, code_field: str | None = None
               ) -> tuple[list[tuple[str, str, shapely.Geometry]], SourceCRS]:
    """The units of an outline file as (name, code, WGS-84 polygon), and the CRS read.

    AtlasError (ImportFileError, DataError, UnknownCRSError) naming the file, and the row where
    one is at fault, when the file is unusable.
    """
    table = read_table(path)
    label = Path(path).name
    if table.geometries is None:
        raise AtlasError(f"{label}: no geometries: an outline file must be GeoJSON or GeoPackage")
    crs = parse_source_crs(crs_text) if crs_text else (table.file_crs or SourceCRS("wgs84"))
    columns = table.columns
    name_column = name_field or next((c for c in NAME_FIELDS if c in columns), None)
    if name_column is None or name_column not in columns:
        raise AtlasError(f"{label}: no name column (tried {name_field or ', '.join(NAME_FIELDS)}); "
                         f"columns: {list(columns)}; pass --name-field")
    if code_field is not None and code_field not in columns:
        raise AtlasError(f"{label}: no column {code_field!r}; columns: {list(columns)}")
    units = []
    for row, geometry in enumerate(table.geometries):
        where = f"{label} feature {row + 1}"
        name = cell_text(table.frame.iloc[row][name_column]).strip()
        if not name:
            raise AtlasError(f"{where}: empty name in column {name_column!r}")
        if geometry is None or shapely.get_dimensions(geometry) != 2:
            kind = "no geometry" if geometry is None else f"a {geometry.geom_type}"
            raise AtlasError(f"{where} ({name}): {kind}; an outline must be a (Multi)Polygon")
        check = check_position(geometry, crs, district_m, fix_swaps=False, tolerance_m=BOUNDARY_TOLERANCE_M)
        if check.rejected:
            raise AtlasError(f"{where} ({name}): " + "; ".join(p.message for p in check.problems))
        code = cell_text(table.frame.iloc[row][code_field]).strip() if code_field else ""
        units.append((name, code, shapely.make_valid(check.geometry)))
    return units, crs


def run(args: argparse.Namespace) -> int:
    """Import the file, print the per-unit summary; exit status 0, or 2 with one message."""
    folder = args.boundaries_dir or default_boundaries_dir()
    try:
        atlas = load_atlas(getattr(args, "data_dir", None), getattr(args, "layers_dir", None),
                           boundaries_dir=folder)
        district_m = to_metric(atlas.places[DISTRICT_ID].geometry)
        units, crs = read_units(args.path, args.crs, district_m, args.name_field, args.code_field)
        if args.kind == "subdistrict":
            units = official_subdistricts(units, atlas.places.values(), args.path.name)
        collection = boundary_collection(args.kind, args.name or args.path.stem, args.path.name,
                                         crs.label, units)
        target = boundary_path(folder, args.kind)
        folder.mkdir(parents=True, exist_ok=True)
        atomic_write(target, json.dumps(collection, ensure_ascii=False, indent=1) + "\n")
        atlas = load_atlas(getattr(args, "data_dir", None), getattr(args, "layers_dir", None),
                           boundaries_dir=folder)
    except AtlasError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(f"wrote {target}: {len(units)} {args.kind} outline(s) from {args.path.name} ({crs.label})")
    summary = unit_summary(atlas.projects, atlas.places.values(), args.kind)
    print(summary.to_string(index=False))
    joined = int((atlas.projects["subdistrict_method"] == "spatial-join").sum())
    located = int(atlas.projects.geometry.notna().sum())
    print(f"located projects: {located}; sub-district filled by spatial join: {joined}; "
          f"straddling two or more {args.kind} units: {straddling(atlas.projects, args.kind)}")
    return 0
