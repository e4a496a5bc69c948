"""Planners' own reference layers: building footprints, land parcels (控规地块), 城市更新单元
outlines -- kept beside the store, one GeoParquet file (WGS-84) and one description each.

The folder is ``$ATLAS_REFERENCE_LAYERS_DIR``, else ``var/reference_layers`` beside the store
(:func:`default_layers_folder`). :func:`add_layer` reads a file bounded
(:func:`app.io.layer_file.read_layer_file`) and writes ``<id>.parquet`` and ``<id>.json``
atomically; :func:`layer_list` and :func:`remove_layer` do what they say; :func:`load_layer`
gives a layer's features back (:func:`app.data.layer_join.join_layer` joins projects to them).

>>> import tempfile, shapely, geopandas as gpd
>>> folder = Path(tempfile.mkdtemp())
>>> parcels = gpd.GeoDataFrame({"landuse": ["R2", "B1"]}, crs="EPSG:4326", geometry=[
...     shapely.box(121.40, 31.20, 121.401, 31.201), shapely.box(121.401, 31.20, 121.402, 31.201)])
>>> info = save_layer(parcels, "parcels", "控规地块", "Land parcels", "parcels.gpkg", folder)
>>> info.features, [i.id for i in layer_list(folder)]
(2, ['parcels'])
>>> save_layer(parcels, "Parcels!", "x", "x", "p.gpkg", folder)
Traceback (most recent call last):
app.errors.SubmissionError: a layer id is a lower-case letter then letters, digits or _ (at most 40), got 'Parcels!'
"""

from __future__ import annotations

import io
import json
import os
import re
import shutil
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path

import geopandas as gpd

from app.data.layers import LayerSpec, geometry_kind
from app.domain.text import check_text
from app.errors import SubmissionError
from app.io.atomic import atomic_write
from app.io.layer_file import read_layer_file

__all__ = ["TILES_URL", "LayerInfo", "add_layer", "default_layers_folder", "layer_list",
           "layers_stamp", "load_layer", "remove_layer", "save_layer", "tiles_folder",
           "user_layer_specs"]

_ID = re.compile(r"[a-z][a-z0-9_]{0,39}")
_ROOT = Path(__file__).resolve().parents[2]


def default_layers_folder() -> Path:
    """``$ATLAS_REFERENCE_LAYERS_DIR``, else ``var/reference_layers`` in the source tree (beside
    the store), else in the working folder.

    >>> default_layers_folder().name
    'reference_layers'
    """
    if os.environ.get("ATLAS_REFERENCE_LAYERS_DIR"):
        return Path(os.environ["ATLAS_REFERENCE_LAYERS_DIR"])
    in_source = (_ROOT / "pyproject.toml").is_file() and (_ROOT / "app").is_dir()
    return (_ROOT if in_source else Path.cwd()) / "var" / "reference_layers"


@dataclass(frozen=True)
class LayerInfo:
    """What is known of a reference layer: its id and titles, where it came from, how many
    features of which kinds, its attribute fields and its extent (WGS-84)."""

    id: str
    title_zh: str
    title_en: str
    source: str
    features: int
    kinds: tuple[str, ...]
    fields: tuple[str, ...]
    bounds: tuple[float, float, float, float]
    added_at: str


def _check_id(layer_id: str) -> str:
    if not isinstance(layer_id, str) or not _ID.fullmatch(layer_id):
        raise SubmissionError("a layer id is a lower-case letter then letters, digits or _ "
                              f"(at most 40), got {str(layer_id)[:60]!r}")
    return layer_id


def _title(text: str, what: str) -> str:
    text = str(text or "").strip()
    if not text or len(text) > 80 or "\n" in text:
        raise SubmissionError(f"{what} is one line of 1 to 80 characters")
    check_text(text, what)
    return text


def save_layer(frame: gpd.GeoDataFrame, layer_id: str, title_zh: str, title_en: str,
               source: str, folder: Path | None = None, *, replace: bool = False) -> LayerInfo:
    """Keep the WGS-84 `frame` as the reference layer `layer_id` in `folder`; its description.
    An id already taken is refused unless `replace`."""
    _check_id(layer_id)
    title_zh, title_en = _title(title_zh, "the Chinese title"), _title(title_en, "the English title")
    folder = folder or default_layers_folder()
    if (folder / f"{layer_id}.json").exists() and not replace:
        raise SubmissionError(f"a reference layer {layer_id!r} exists; remove it first "
                              f"(`python -m app layers remove {layer_id}`)")
    folder.mkdir(parents=True, exist_ok=True)
    frame = frame.to_crs("EPSG:4326")
    frame = frame.rename(columns={c: str(c)[:60] for c in frame.columns})
    kinds = sorted({geometry_kind(t) for t in frame.geom_type.dropna().unique()})
    info = LayerInfo(layer_id, title_zh, title_en, Path(source).name[:200], len(frame), tuple(kinds),
                     tuple(c for c in frame.columns if c != frame.geometry.name),
                     tuple(round(float(v), 7) for v in frame.total_bounds),
                     datetime.now(UTC).isoformat(timespec="seconds"))
    buffer = _parquet_bytes(frame)
    atomic_write(folder / f"{layer_id}.parquet", buffer)
    atomic_write(folder / f"{layer_id}.json",
                 json.dumps(asdict(info), ensure_ascii=False, indent=1).encode("utf-8"))
    return info


def _parquet_bytes(frame: gpd.GeoDataFrame) -> bytes:
    buffer = io.BytesIO()
    frame.to_parquet(buffer, index=False)
    return buffer.getvalue()


def add_layer(path: Path, layer_id: str, title_zh: str, title_en: str, *, crs: str | None = None,
              folder: Path | None = None) -> LayerInfo:
    """Read the file at `path` (bounded; see :mod:`app.io.layer_file`) and keep it as the
    reference layer `layer_id`."""
    _check_id(layer_id)
    frame = read_layer_file(Path(path), Path(path).name, crs=crs)
    return save_layer(frame, layer_id, title_zh, title_en, str(path), folder)


def layer_list(folder: Path | None = None) -> list[LayerInfo]:
    """The reference layers kept in `folder`, by id."""
    folder = folder or default_layers_folder()
    out = []
    for path in sorted(folder.glob("*.json")) if folder.is_dir() else []:
        raw = json.loads(path.read_text(encoding="utf-8"))
        out.append(LayerInfo(**{**raw, "kinds": tuple(raw["kinds"]), "fields": tuple(raw["fields"]),
                                "bounds": tuple(raw["bounds"])}))
    return out


def load_layer(layer_id: str, folder: Path | None = None) -> gpd.GeoDataFrame:
    """The features of the reference layer `layer_id` (WGS-84)."""
    folder = folder or default_layers_folder()
    path = folder / f"{_check_id(layer_id)}.parquet"
    if not path.is_file():
        known = ", ".join(i.id for i in layer_list(folder)) or "none yet"
        raise SubmissionError(f"no reference layer {layer_id!r} (known: {known})")
    return gpd.read_parquet(path)


def tiles_folder(layer_id: str, folder: Path | None = None) -> Path:
    """Where the vector tiles of a large layer are kept (``<id>.tiles/{z}/{x}/{y}.pbf``, built
    by :func:`app.map.vector_tiles.build_tiles`); absent for a layer drawn as GeoJSON.

    >>> tiles_folder("buildings", Path("/srv/layers")).as_posix()
    '/srv/layers/buildings.tiles'
    """
    return (folder or default_layers_folder()) / f"{_check_id(layer_id)}.tiles"


#: URL under which the app serves the tiles of the reference layers (Streamlit's static folder).
TILES_URL = "/app/static/tiles"
#: Where the planners' own layers come in the layer control: after the shipped ones.
_ORDER = 900


def user_layer_specs(folder: Path | None = None) -> list[LayerSpec]:
    """The layer specs of the reference layers kept in `folder` that have vector tiles: hidden
    until chosen (``ref=ID``), drawn from ``TILES_URL/<id>/{z}/{x}/{y}.pbf``.

    >>> user_layer_specs(Path("/no/such/folder"))
    []
    """
    folder = folder or default_layers_folder()
    specs = []
    for n, info in enumerate(layer_list(folder)):
        if not tiles_folder(info.id, folder).is_dir():
            continue
        specs.append(LayerSpec(
            id=info.id, title_zh=info.title_zh, title_en=info.title_en, kind="reference",
            order=_ORDER + n, geometry=info.kinds or ("polygon",),
            style={"color": "#6b5b4b", "fillColor": "#b8a48c", "weight": 1, "fillOpacity": 0.45},
            legend=(), tooltip=(), card=(), visible=False,
            tiles_url=f"{TILES_URL}/{info.id}/{{z}}/{{x}}/{{y}}.pbf"))
    return specs


def layers_stamp(folder: Path | None = None) -> tuple[tuple[str, int], ...]:
    """What changes when a reference layer is added, replaced or removed (for cache keys).

    >>> layers_stamp(Path("/no/such/folder"))
    ()
    """
    folder = folder or default_layers_folder()
    if not folder.is_dir():
        return ()
    return tuple((p.name, p.stat().st_mtime_ns) for p in sorted(folder.glob("*.json")))


def remove_layer(layer_id: str, folder: Path | None = None) -> None:
    """Remove the reference layer `layer_id` (its features, description and tiles)."""
    folder = folder or default_layers_folder()
    load_layer(layer_id, folder)  # refused, naming the known ones, when there is none
    shutil.rmtree(tiles_folder(layer_id, folder), ignore_errors=True)
    for suffix in (".json", ".parquet"):
        (folder / f"{layer_id}{suffix}").unlink(missing_ok=True)
