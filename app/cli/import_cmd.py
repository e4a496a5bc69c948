"""``python -m app import PATH``: load a register file, place every row, report every failure.

The command shows the column mapping it uses (inferred from the headers, overridden by
``--map FIELD=COLUMN``), then one line per row that was not placed as given, and the summary.
``--report FILE`` writes the JSON report (``-`` for standard output); ``--save NAME`` stores
the imported register under NAME in the store.

Exit status: 0 when the file could be read, however many rows were rejected or unlocated (they
are in the report); 2 when the file is unusable (missing, unreadable, no usable column, unknown
CRS or encoding) or the store is not available.

>>> parse_map(["name=项目名称", "address="])
{'name': '项目名称', 'address': None}
>>> parse_map(["name"])
Traceback (most recent call last):
...
app.errors.ImportFileError: --map needs FIELD=COLUMN, got 'name'
"""

from __future__ import annotations

import argparse
import getpass
import sqlite3
import sys
import unicodedata
from collections.abc import Iterable
from pathlib import Path

from app.errors import AtlasError, ImportFileError
from app.geo.address import FUZZY_THRESHOLD
from app.io.importer import import_file
from app.io.mapping import MAPPING_FIELDS
from app.io.report import ImportReport

__all__ = ["add_parser", "format_report", "operator", "parse_map", "run"]


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``import`` sub-command to the CLI's sub-parsers."""
    parser = subparsers.add_parser(
        "import", help="import a register file (CSV, Excel, GeoJSON, GeoPackage) and report",
        description=__doc__.split("\n\n")[0] + " See docs/import.md.")
    parser.add_argument("path", type=Path, help=".csv, .xlsx, .geojson/.json or .gpkg file")
    parser.add_argument("--crs", default="wgs84",
                        help="CRS of the coordinates: wgs84 (default), gcj02, bd09, or an EPSG code "
                             "for projected data, e.g. EPSG:32651")
    parser.add_argument("--encoding", default=None,
                        help="CSV text encoding (default: detect UTF-8, UTF-8/UTF-16 with BOM, or "
                             "a checked GBK/GB18030, Big5 or Shift-JIS)")
    parser.add_argument("--map", action="append", default=[], metavar="FIELD=COLUMN",
                        help=f"use COLUMN for FIELD (repeatable; FIELD= unmaps it). Fields: "
                             f"{', '.join(MAPPING_FIELDS)}")
    parser.add_argument("--report", metavar="FILE",
                        help="write the JSON report to FILE ('-' for standard output)")
    parser.add_argument("--save", metavar="NAME", help="save the imported register in the store as NAME")
    parser.add_argument("--min-score", type=float, default=FUZZY_THRESHOLD,
                        help=f"lowest fuzzy match score that places a row (default {FUZZY_THRESHOLD})")


def parse_map(items: Iterable[str]) -> dict[str, str | None]:
    """``FIELD=COLUMN`` items as a mapping; an empty COLUMN unmaps the field."""
    out: dict[str, str | None] = {}
    for item in items:
        name, sep, column = item.partition("=")
        if not sep or not name.strip():
            raise ImportFileError(f"--map needs FIELD=COLUMN, got {item!r}")
        out[name.strip()] = column.strip() or None
    return out


def _width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def _cut(text: str, width: int) -> str:
    out, used = "", 0
    for char in text:
        w = _width(char)
        if used + w > width - (1 if len(text) > len(out) + 1 else 0):
            return out + "…"
        out, used = out + char, used + w
    return out


def _pad(text: str, width: int) -> str:
    text = _cut(text, width)
    return text + " " * (width - _width(text))


def format_report(report: ImportReport, *, all_rows: bool = False) -> str:
    """The report as text: rows not placed as given (or all rows), then the summary line.

    >>> from app.io.report import RowReport
    >>> print(format_report(ImportReport((RowReport(1, "import-0001", "天山公园", "placed", "exact",
    ...                                              "site", score=1.0, place_id="poi-x"),))))
    summary: 1 rows: 1 placed, 0 fixed, 0 unlocated, 0 rejected
    """
    lines = []
    shown = [r for r in report.rows if all_rows or r.status != "placed" or r.problems]
    if shown:
        lines.append(f"{'row':>5}  {_pad('status', 9)}  {_pad('method', 21)}  {'score':>5}  "
                     f"{_pad('name', 20)}  detail")
    for r in shown:
        detail = "; ".join(f"[{p.code}] {p.message}" for p in r.problems)
        if r.candidates and r.status == "unlocated":
            detail += " | candidates: " + ", ".join(f"{c.name_zh} {c.score:.2f}" for c in r.candidates[:3])
        if not detail and r.place_id:
            detail = f"→ {r.place_id}"
        score = "" if r.score is None else f"{r.score:.2f}"
        lines.append(f"{r.row:>5}  {_pad(r.status, 9)}  {_pad(r.method, 21)}  {score:>5}  "
                     f"{_pad(r.name, 20)}  {detail}")
    s = report.summary
    lines.append(f"summary: {s['rows']} rows: {s['placed']} placed, {s['fixed']} fixed, "
                 f"{s['unlocated']} unlocated, {s['rejected']} rejected")
    return "\n".join(lines)


def run(args: argparse.Namespace) -> int:
    """Run ``import`` with parsed arguments; returns the exit status (see the module docstring)."""
    from app.data.atlas import load_atlas

    path = Path(args.path)
    try:
        atlas = load_atlas(getattr(args, "data_dir", None), getattr(args, "layers_dir", None))
        result = import_file(path, filename=path.name, crs=args.crs, encoding=args.encoding,
                             mapping=parse_map(args.map), atlas=atlas,
                             threshold=getattr(args, "min_score", FUZZY_THRESHOLD))
    except AtlasError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    to_stdout = args.report == "-"
    info = sys.stderr if to_stdout else sys.stdout
    mapping = ", ".join(f"{name} ← {column}" for name, column in result.mapping.items())
    print(f"mapping: {mapping or '(none: geometry only)'}", file=info)
    for note in result.report.source.get("notes", ()):
        print(f"note: {note}", file=info)
    print(format_report(result.report), file=info)
    for warning in result.report.warnings:
        print(f"warning: {warning.message}", file=sys.stderr)
    if args.report:
        if to_stdout:
            print(result.report.to_json())
        else:
            from app.io.atomic import atomic_write

            try:
                atomic_write(Path(args.report), result.report.to_json() + "\n")
            except AtlasError as exc:
                print(f"error: {exc}", file=sys.stderr)
                return 2
            print(f"wrote the report to {args.report}", file=info)
    if args.save:
        try:
            from app.store import save_register
        except ImportError:
            print("error: store not available (app.store.save_register is missing); "
                  "nothing was saved", file=sys.stderr)
            return 2
        try:
            save_register(args.save, result.frame, result.report, saved_by=operator())
        except (AtlasError, OSError, sqlite3.Error) as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 2
        print(f"saved register {args.save!r}: {len(result.frame)} projects", file=info)
    return 0


def operator() -> str:
    """Who saves from the command line: the operating-system account running it."""
    return f"cli:{getpass.getuser()}"
