"""Command line: ``python -m app`` (or ``changning-atlas``). Everything the app does, headless.

Errors the user can fix (bad data, unknown layer, unwritable path) print one clear message and
exit with status 2; ``validate`` exits 1 when the data has problems.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path

import pandas as pd

from app.cli import api_keys as cli_api_keys
from app.cli import boundaries as cli_boundaries
from app.cli import history as cli_history
from app.cli import import_cmd as cli_import
from app.cli import layers as cli_layers
from app.cli import nearest as cli_nearest
from app.cli import sheet as cli_sheet
from app.cli import store as cli_store
from app.cli import supervision as cli_supervision
from app.cli.asof import add_asof_argument, asof_day
from app.data.atlas import Atlas, check_atlas
from app.data.layer_join import join_layer
from app.domain.filters import Filter, check_filter, parse_where
from app.domain.model import PRECISIONS
from app.errors import AtlasError, FilterError, SubmissionError
from app.io import export
from app.io.atomic import atomic_write
from app.io.export import (
    FORMATS,
    SOURCES,  # noqa: F401  (kept importable from here, where it used to live)
    export_bytes,
    export_layers_separately,
    select_projects,
)
from app.io.importer import DEFAULT_LAYER
from app.io.naming import default_stem, per_layer_paths, safe_output_path
from app.io.prepare import OUTPUT_CRS
from app.io.reference_layers import load_layer
from app.service.atlas import BUILT_IN, shown_atlas

__all__ = ["main"]


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="changning-atlas", description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", type=Path, help="geodata folder (default: the repository's)")
    parser.add_argument("--layers-dir", type=Path, help="layer specs folder (default: layers/)")
    sub = parser.add_subparsers(dest="command", required=True)

    sub.add_parser("validate", help="check gazetteer, register and layer specs; print a summary")

    exp = sub.add_parser("export", help="write the (filtered) projects to a file",
                         description="Write the projects passing the filters to a file, atomically. "
                                     "Same filters and same content as the app's download buttons.")
    exp.add_argument("--format", choices=list(FORMATS), default="geojson",
                     help="geojson (RFC 7946), gpkg (one table per layer), csv (UTF-8 with BOM), kml")
    exp.add_argument("--output", required=True, metavar="PATH",
                     help="file to write, exactly as given (with --per-layer: a stem or folder/)")
    exp.add_argument("--layer", action="append", default=[], metavar="ID",
                     help="only this layer (repeatable)")
    exp.add_argument("--where", action="append", default=[], metavar="FIELD=VALUE",
                     help="only rows with FIELD=VALUE (repeatable; same field repeated = OR)")
    exp.add_argument("-q", "--query", default="", help="search text (names and aliases)")
    exp.add_argument("--crs", choices=list(OUTPUT_CRS), default="wgs84",
                     help="output coordinates: wgs84 (default, RFC 7946) or gcj02 for AMap-based "
                          "tools (recorded in the file; the name stays as given)")
    exp.add_argument("--per-layer", action="store_true",
                     help="one file per layer: --output is a stem or a folder ending in '/', and "
                          "each file is <stem>-<layer>.<suffix>")
    exp.add_argument("--join-layer", default=None, metavar="ID",
                     help="add, per project, the features of this reference layer it touches "
                          "(`layers list`) and its area on them in m2")
    exp.add_argument("--join-field", default=None, metavar="FIELD",
                     help="the layer's field that names a touched feature (default: its row number)")
    cli_store.add_register_argument(exp)
    add_asof_argument(exp)
    cli_nearest.add_parser(sub)
    cli_import.add_parser(sub)
    cli_store.add_parser(sub)
    cli_sheet.add_parser(sub)
    cli_boundaries.add_parser(sub)
    cli_history.add_parser(sub)
    cli_api_keys.add_parser(sub)
    cli_supervision.add_parsers(sub)
    cli_layers.add_parser(sub)
    return parser


def current_atlas(data_dir: Path | None, layers_dir: Path | None, register: str = BUILT_IN,
                  asof: str | None = None) -> Atlas:
    """The atlas the app shows (:func:`app.service.atlas.shown_atlas`): the built-in or the
    saved `register`, with the accepted field corrections of the store applied when a store
    exists (reading never creates one; ATLAS_DATABASE_URL selects PostGIS), as of the day
    `asof` (``YYYY-MM-DD``; None: today)."""
    from app.store import existing_store

    shown = shown_atlas(register, store=existing_store(), data_dir=data_dir, layers_dir=layers_dir,
                        asof=asof)
    for pid in shown.defaulted:
        print(f"note: {pid}: its layer is unknown, so it is shown in the {DEFAULT_LAYER!r} layer",
              file=sys.stderr)
    return shown.atlas


def _summary(atlas: Atlas) -> str:
    frame = atlas.projects
    counts = frame.groupby(["layer", "precision"]).size().unstack(fill_value=0)
    counts = counts.reindex(columns=list(PRECISIONS), fill_value=0)

    def line(label: str, values: Mapping[str, object], total: object) -> str:
        cells = "".join(f"{values[p]:>{len(p) + 2}}" for p in PRECISIONS)
        return f"{label:<18}{cells}{total:>7}"

    lines = [f"OK: {len(frame)} projects in {frame['layer'].nunique()} layers, "
             f"{len(atlas.places)} places, data version {atlas.data_version}",
             line("layer", {p: p for p in PRECISIONS}, "total")]
    for layer, row in counts.iterrows():
        lines.append(line(layer, row, row.sum()))
    total = counts.sum()
    lines.append(line("all", total, total.sum()))
    return "\n".join(lines)


def _validate(args: argparse.Namespace) -> int:
    atlas, problems = check_atlas(args.data_dir, args.layers_dir)
    if problems or atlas is None:
        for problem in problems:
            print(f"error: {problem}", file=sys.stderr)
        print(f"{len(problems)} problem(s) found", file=sys.stderr)
        return 1
    print(_summary(atlas))
    if atlas.coverage is not None:
        print(atlas.coverage.summary())
    return 0


def build_filter(atlas: Atlas, layers: Sequence[str], where: Sequence[str], query: str = "") -> Filter:
    """The Filter for CLI-style arguments, checked against the atlas's vocabularies."""
    values = parse_where(where)
    if layers:
        values["layer"] = tuple(values.get("layer", ())) + tuple(layers)
    flt = Filter(values=values, query=query)
    check_filter(atlas.projects, flt, atlas.filter_values())
    return flt


def export_metadata(atlas: Atlas, flt: Filter, crs: str = "wgs84") -> dict[str, object]:
    """Top-level members every export carries (RFC 7946 allows foreign members).

    Kept here for callers of the CLI module; the definition lives in :mod:`app.io.export`.
    """
    return export.export_metadata(atlas, flt, crs)


def _report(path: Path, selected_count: int, located: int) -> str:
    """The one-line summary printed after each file is written."""
    return (f"wrote {selected_count} features ({located} located, {selected_count - located} "
            f"unlocated) to {path}")


def _joined(atlas: Atlas, layer_id: str, field: str | None) -> pd.DataFrame:
    """The columns ``<id>_features``, ``<id>_touched`` and ``<id>_area_m2`` of the projects."""
    joined = join_layer(atlas.projects, load_layer(layer_id), label=field)
    return joined.rename(columns=lambda c: f"{layer_id}_{c}")


def _export(args: argparse.Namespace) -> int:
    """``export``: the same bytes as the app's download, written atomically where asked."""
    asof = asof_day(args.asof, register=args.register)
    atlas = current_atlas(args.data_dir, args.layers_dir, args.register, asof)
    flt = build_filter(atlas, args.layer, args.where, args.query)
    extra = _joined(atlas, args.join_layer, args.join_field) if args.join_layer else None
    if extra is not None and args.per_layer:
        raise SubmissionError("--join-layer writes one file: leave out --per-layer")
    if not args.per_layer:
        target = safe_output_path(args.output)
        data, _name, _mime = export_bytes(atlas, flt, args.format, args.crs, asof=asof, extra=extra)
        atomic_write(target, data)
        selected = select_projects(atlas, flt)
        print(_report(target, len(selected), int(selected.geometry.notna().sum())))
        return 0
    files = export_layers_separately(atlas, flt, args.format, args.crs, asof=asof)
    paths = per_layer_paths(args.output, list(files), FORMATS[args.format].suffix,
                            default_stem(atlas.data_version, args.crs))
    for layer_id, (data, _name, _mime) in files.items():
        atomic_write(paths[layer_id], data)
        layer_flt = Filter(values={**dict(flt.values), "layer": (layer_id,)}, query=flt.query)
        selected = select_projects(atlas, layer_flt)
        print(_report(paths[layer_id], len(selected), int(selected.geometry.notna().sum())))
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI; returns the exit status."""
    args = _parser().parse_args(argv)
    try:
        if args.command == "validate":
            return _validate(args)
        if args.command == "nearest":
            return cli_nearest.run(args)
        if args.command == "import":
            return cli_import.run(args)
        if args.command == "store":
            return cli_store.run(args)
        if args.command == "sheet":
            return cli_sheet.run(args)
        if args.command == "import-boundaries":
            return cli_boundaries.run(args)
        if args.command == "history":
            return cli_history.run(args)
        if args.command == "api-key":
            return cli_api_keys.run(args)
        if args.command in ("diff", "report"):
            return args.func(args)
        if args.command == "layers":
            return cli_layers.run(args)
        return _export(args)
    except (AtlasError, FilterError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
