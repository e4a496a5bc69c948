"""``python -m app layers add|list|remove``: planners' own reference layers.

``layers add PATH --id ID --title-zh … --title-en …`` reads a GeoPackage, GeoParquet,
FlatGeobuf or zipped Shapefile in any CRS the importer knows (``--crs`` when the file names
none), bounded (:mod:`app.io.layer_file`), and keeps it as a reference layer in WGS-84
(:mod:`app.io.reference_layers`) -- a layer of 20,000 features or more also as vector tiles
(:mod:`app.map.vector_tiles`); ``layers list`` shows them (``--json`` for one object per
layer); ``layers remove ID`` removes one. ``--folder`` chooses where they are kept (default
``$ATLAS_REFERENCE_LAYERS_DIR`` or ``var/reference_layers``). ``export --join-layer ID`` adds,
per project, the features of that layer it touches and its area on them. A wrong file or id
exits 2 with one message naming it.
"""

from __future__ import annotations

import argparse
import json
from dataclasses import asdict
from pathlib import Path

from app.io.reference_layers import (
    add_layer,
    default_layers_folder,
    layer_list,
    load_layer,
    remove_layer,
    tiles_folder,
)
from app.map.vector_tiles import VECTOR_TILE_MIN_FEATURES, build_tiles

__all__ = ["add_parser", "run"]


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``layers`` sub-command.

    >>> parser = argparse.ArgumentParser(prog="atlas")
    >>> add_parser(parser.add_subparsers(dest="command"))
    >>> args = parser.parse_args(["layers", "add", "b.gpkg", "--id", "buildings", "--title-zh", "建筑",
    ...                           "--title-en", "Buildings"])
    >>> args.action, args.id, args.crs
    ('add', 'buildings', None)
    """
    sub = subparsers.add_parser("layers", help="add, list or remove a reference layer of your own",
                                description=__doc__.split("\n\n")[1].replace("\n", " "))
    actions = sub.add_subparsers(dest="action", required=True)
    add = actions.add_parser("add", help="read a file and keep it as a reference layer")
    add.add_argument("path", type=Path, help=".gpkg, .parquet, .fgb or a zipped Shapefile (.zip)")
    add.add_argument("--id", required=True, help="the layer's id (lower case, digits, _): ref=ID in links")
    add.add_argument("--title-zh", required=True, help="the layer's title in Chinese")
    add.add_argument("--title-en", required=True, help="the layer's title in English")
    add.add_argument("--crs", default=None,
                     help="the file's CRS when it names none: wgs84, gcj02, bd09 or EPSG:code")
    listing = actions.add_parser("list", help="the reference layers kept")
    listing.add_argument("--json", action="store_true", help="one JSON object per layer")
    remove = actions.add_parser("remove", help="remove a reference layer")
    remove.add_argument("id", help="the layer's id")
    for action in (add, listing, remove):
        action.add_argument("--folder", type=Path, default=None,
                            help="where the layers are kept (default: $ATLAS_REFERENCE_LAYERS_DIR "
                                 "or var/reference_layers)")


def run(args: argparse.Namespace) -> int:
    """Do what ``layers`` was asked; AtlasError (exit 2) for a wrong file or id."""
    folder = args.folder or default_layers_folder()
    if args.action == "add":
        info = add_layer(args.path, args.id, args.title_zh, args.title_en, crs=args.crs, folder=folder)
        west, south, east, north = info.bounds
        print(f"added reference layer {info.id} ({info.title_zh} / {info.title_en}): "
              f"{info.features} features ({', '.join(info.kinds)}), fields: "
              f"{', '.join(info.fields) or 'none'}; extent {west:.4f}..{east:.4f} E, "
              f"{south:.4f}..{north:.4f} N; kept in {folder}")
        if info.features >= VECTOR_TILE_MIN_FEATURES:
            tiles = build_tiles(load_layer(info.id, folder), tiles_folder(info.id, folder), info.id)
            print(f"vector tiles: {tiles.tiles} tiles, zooms {tiles.zooms[0]}-{tiles.zooms[1]}, "
                  f"{tiles.bytes / 2**20:.1f} MiB, built in {tiles.seconds:.1f} s")
        return 0
    if args.action == "remove":
        remove_layer(args.id, folder)
        print(f"removed reference layer {args.id}")
        return 0
    layers = layer_list(folder)
    for info in layers:
        print(json.dumps(asdict(info), ensure_ascii=False) if args.json else
              f"{info.id}\t{info.title_zh} / {info.title_en}\t{info.features} features\t"
              f"{', '.join(info.kinds)}\t{info.source}\t{info.added_at}")
    if not layers and not args.json:
        print(f"no reference layers in {folder} (add one: python -m app layers add PATH --id ID ...)")
    return 0
