"""``python -m app sheet``: a printable map sheet (PNG or PDF) of a selection, or the field
sheet of one project (``--project ID``).

Wired into ``app.cli.main`` by :func:`add_parser` (which sets ``func=run``). The selection
options are export's (``--layer``, ``--where``, ``-q``, checked the same way). Errors the user
can fix -- a bad bbox, an unknown project, layer or value, an unwritable path, a file name not
ending in .png or .pdf, an as-of date that is malformed or after today -- print one line on
stderr and exit with status 2 (``app.cli.main``). ``--asof YYYY-MM-DD`` draws the built-in
register as it stood that day and prints the day in the footer beside the data version.
"""

from __future__ import annotations

import argparse

from app.cli.asof import add_asof_argument, asof_day
from app.cli.store import add_register_argument
from app.domain.viewstate import LANGS
from app.sheet import SheetOptions, field_sheet, map_sheet, output_format, parse_bbox
from app.sheet.paper import DEFAULT_BASE_URL, ORIENTATIONS, PAPER_MM

__all__ = ["add_parser", "run"]


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``sheet`` sub-command to an argparse sub-parsers object.

    >>> parser = argparse.ArgumentParser(prog="atlas")
    >>> add_parser(parser.add_subparsers(dest="command"))
    >>> args = parser.parse_args(["sheet", "--output", "x.pdf", "--where", "status=planning"])
    >>> args.lang, args.size, args.orientation, args.dpi, args.project, args.register, args.asof
    ('zh', 'A4', None, 150, None, '', None)
    >>> args.func is run
    True
    """
    sub = subparsers.add_parser(
        "sheet", help="draw a printable map sheet (PNG/PDF) of a selection, or a project's field sheet",
        description="Draw a map sheet of the projects passing the filters (the same filters as "
                    "export), or with --project the field sheet of one project. No basemap: "
                    "drawn offline from the atlas's own layers.")
    sub.add_argument("--output", required=True, metavar="PATH", help="file to write: .png or .pdf")
    sub.add_argument("--layer", action="append", default=[], metavar="ID",
                     help="only this layer (repeatable)")
    sub.add_argument("--where", action="append", default=[], metavar="FIELD=VALUE",
                     help="only rows with FIELD=VALUE (repeatable; same field repeated = OR)")
    sub.add_argument("-q", "--query", default="", help="search text (names and aliases)")
    sub.add_argument("--project", metavar="ID", help="draw the field sheet of this project instead")
    sub.add_argument("--lang", choices=list(LANGS), default="zh", help="language of the sheet")
    sub.add_argument("--size", choices=list(PAPER_MM), default="A4", help="paper size")
    sub.add_argument("--orientation", choices=list(ORIENTATIONS),
                     help="default: landscape for a map sheet, portrait for a field sheet")
    sub.add_argument("--bbox", metavar="MINLON,MINLAT,MAXLON,MAXLAT",
                     help="map extent in WGS-84 (default: the whole district)")
    sub.add_argument("--ref", action="append", metavar="ID",
                     help="reference layer to draw (repeatable; default: the layers' defaults)")
    sub.add_argument("--dpi", type=int, default=150, help="resolution (50-600, default 150)")
    sub.add_argument("--base-url", default=DEFAULT_BASE_URL,
                     help=f"the app's address for the QR permalink (default {DEFAULT_BASE_URL})")
    add_register_argument(sub)
    add_asof_argument(sub)
    sub.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Draw the sheet the arguments ask for and write it atomically; prints one line."""
    from app.cli.main import build_filter, current_atlas  # main imports this module

    output_format(args.output)  # a wrong suffix fails before any loading or drawing
    asof = asof_day(args.asof, register=args.register)
    options = SheetOptions(lang=args.lang, size=args.size, orientation=args.orientation,
                           dpi=args.dpi, bbox=parse_bbox(args.bbox) if args.bbox else None,
                           base_url=args.base_url,
                           ref_layers=tuple(args.ref) if args.ref is not None else None,
                           register=args.register, asof=asof)
    atlas = current_atlas(args.data_dir, args.layers_dir, args.register, asof)
    if args.project is not None:
        sheet = field_sheet(atlas, args.project, options)
    else:
        sheet = map_sheet(atlas, build_filter(atlas, args.layer, args.where, args.query), options)
    path = sheet.write(args.output)
    print(f"wrote the {sheet.kind} sheet to {path}")
    return 0
