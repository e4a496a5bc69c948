"""A whole store to and from files: GeoPackage or a GeoJSON folder, and the curated data.

A dump holds one layer per register (``register_<name>``), a table describing them
(``atlas_registers``), and the history (``atlas_submissions``, ``atlas_field_updates``,
``atlas_audit``, and the living register's change log ``atlas_register_changes``; dumps written
before it existed load without it). GeoPackage is one file; GeoJSON is a folder with one ``<layer>.geojson`` per
layer. Loading a dump into another store and dumping that again gives the same registers and
history: column order, dtypes, lists, nulls, unlocated rows and coordinates (bit for bit)
survive, whichever backend either store is.

>>> import tempfile, pathlib
>>> from app.store.sqlite import Store
>>> folder = pathlib.Path(tempfile.mkdtemp())
>>> write_dump(Store(folder / "s.sqlite"), "geojson", folder / "dump")
(0, {'submissions': 0, 'field_updates': 0, 'audit': 0, 'register_changes': 0})
>>> write_dump(Store(folder / "s.sqlite"), "shp", folder / "dump.shp")
Traceback (most recent call last):
app.errors.ExportError: dump format must be gpkg or geojson, got 'shp'
"""

from __future__ import annotations

import base64
import json
import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pyogrio
import shapely
from shapely.geometry import mapping, shape

from app.errors import ExportError, ImportFileError
from app.store.base import (
    CURATED_REGISTER,
    GAZETTEER_REGISTER,
    HISTORY_COLUMNS,
    OPTIONAL_HISTORY,
    AtlasStore,
    plain_value,
    register_frame,
    register_rows,
)

__all__ = ["DumpRegister", "load_curated", "load_dump", "read_dump", "store_content", "write_dump"]

#: Columns of the history tables that hold whole numbers or decimals (the rest are text).
_INTEGERS = {"id", "version", "submission_id"}
_FLOATS = {"lon", "lat", "accuracy_m"}
_DUMP_FORMAT = "changning-atlas store dump 1"


@dataclass(frozen=True)
class DumpRegister:
    """One register of a store, with what was saved alongside it."""

    name: str
    saved_at: str
    saved_by: str
    report: str
    frame: gpd.GeoDataFrame


@dataclass(frozen=True)
class _SavedReport:
    """A report kept as the exact JSON text it was saved with."""

    text: str

    def to_json(self) -> str:
        """The saved text, unchanged."""
        return self.text


# -- the store's content ------------------------------------------------------------------

def _normal_history(frame: pd.DataFrame, table: str) -> pd.DataFrame:
    """A history table with the same dtypes whichever store or file it came from."""
    out = pd.DataFrame(index=range(len(frame)))
    for column in HISTORY_COLUMNS[table]:
        default = "" if column == "register" else None  # dumps from before registers were named
        values = frame[column].tolist() if column in frame else [default] * len(frame)
        if column in _INTEGERS:
            out[column] = pd.array([None if v is None or pd.isna(v) else int(v) for v in values],
                                   dtype="Int64")
        elif column in _FLOATS:
            out[column] = pd.array([None if v is None or pd.isna(v) else float(v) for v in values],
                                   dtype="float64")
        else:
            out[column] = pd.Series([plain_value(v) for v in values], dtype=object)
    return out


def store_content(store: AtlasStore) -> tuple[list[DumpRegister], dict[str, pd.DataFrame]]:
    """Every register of `store` and its history tables (normalised dtypes).

    >>> import tempfile, pathlib
    >>> from app.store.sqlite import Store
    >>> registers, history = store_content(Store(pathlib.Path(tempfile.mkdtemp()) / "s.sqlite"))
    >>> registers, history["audit"].dtypes["id"]
    ([], Int64Dtype())
    """
    registers = [DumpRegister(row.name, row.saved_at, row.saved_by, store.register_report(row.name),
                              store.load_register(row.name))
                 for row in store.registers().itertuples(index=False)]
    history = {table: _normal_history(frame, table) for table, frame in store.history().items()}
    return registers, history


def _history_geometry(table: str, row: dict) -> shapely.Geometry | None:
    """The geometry shown for a history row in GIS software (the text columns stay the data)."""
    if table == "submissions" and row["lon"] is not None:
        return shapely.Point(row["lon"], row["lat"])
    if table == "field_updates":
        return shapely.from_wkt(row["geometry_wkt"])
    if table == "register_changes":
        wkt = json.loads(row["new"]).get("geometry")
        return shapely.from_wkt(wkt) if isinstance(wkt, str) else None
    return None


def _history_records(frame: pd.DataFrame) -> list[dict]:
    """History rows as plain dicts, photos as base64 text."""
    records = []
    for row in frame.to_dict("records"):
        row = {k: plain_value(v) for k, v in row.items()}
        if row.get("photo") is not None:
            row["photo"] = base64.b64encode(row["photo"]).decode("ascii")
        records.append(row)
    return records


def _history_frame(records: list[dict], table: str) -> pd.DataFrame:
    """The inverse of :func:`_history_records`."""
    for row in records:
        if row.get("photo") is not None:
            row["photo"] = base64.b64decode(row["photo"])
    return _normal_history(pd.DataFrame(records, columns=list(HISTORY_COLUMNS[table])), table)


# -- writing a dump -----------------------------------------------------------------------

def _json_columns(frame: gpd.GeoDataFrame) -> set[str]:
    """Object columns holding anything but text (lists, numbers mixed with text): these are
    written to GeoPackage as JSON text."""
    return {c for c in frame.columns if c != frame.geometry.name and frame[c].dtype == object
            and any(v is not None and not isinstance(v, str) and not (
                isinstance(v, float) and pd.isna(v)) for v in frame[c])}


def _write_gpkg(path: Path, registers: list[DumpRegister], history: dict[str, pd.DataFrame],
                source: str) -> None:
    """Write the dump as one GeoPackage file at `path`."""
    meta = []
    for register in registers:
        frame = register.frame
        encoded = _json_columns(frame)
        columns, _, _ = register_rows(frame)
        layer = f"register_{register.name}"
        flat = frame.copy()
        for column in encoded:
            flat[column] = [None if v is None else json.dumps(v, ensure_ascii=False)
                            for v in flat[column]]
        pyogrio.write_dataframe(flat, path, layer=layer, driver="GPKG", promote_to_multi=False)
        meta.append({"name": register.name, "layer": layer, "saved_at": register.saved_at,
                     "saved_by": register.saved_by, "report": register.report,
                     "columns": json.dumps([[name, dtype, "json" if name in encoded else ""]
                                            for name, dtype in columns], ensure_ascii=False)})
    pyogrio.write_dataframe(pd.DataFrame(meta, columns=["name", "layer", "saved_at", "saved_by",
                                                        "report", "columns"], dtype=object),
                            path, layer="atlas_registers", driver="GPKG")
    for table, frame in history.items():
        records = _history_records(frame)
        flat = gpd.GeoDataFrame(pd.DataFrame(records, columns=list(HISTORY_COLUMNS[table])),
                                geometry=[_history_geometry(table, r) for r in records],
                                crs="EPSG:4326")
        for column in HISTORY_COLUMNS[table]:
            if column in _INTEGERS:
                flat[column] = flat[column].astype("Int64")
        pyogrio.write_dataframe(flat, path, layer=f"atlas_{table}", driver="GPKG",
                                promote_to_multi=False)
    pyogrio.write_dataframe(pd.DataFrame({"key": ["format", "source"],
                                          "value": [_DUMP_FORMAT, source]}),
                            path, layer="atlas_dump", driver="GPKG")


def _feature_collection(name: str, properties: list[dict], geometries: list, **members) -> str:
    """A GeoJSON FeatureCollection as text, with foreign `members`."""
    return json.dumps({"type": "FeatureCollection", "name": name, **members, "features": [
        {"type": "Feature", "properties": props, "geometry": None if geom is None else mapping(geom)}
        for props, geom in zip(properties, geometries, strict=True)]}, ensure_ascii=False)


def _write_geojson(folder: Path, registers: list[DumpRegister], history: dict[str, pd.DataFrame],
                   source: str) -> None:
    """Write the dump as a new folder of GeoJSON files."""
    folder.mkdir()
    for register in registers:
        columns, properties, geometries = register_rows(register.frame)
        (folder / f"register_{register.name}.geojson").write_text(_feature_collection(
            register.name, properties, geometries, atlas_register={
                "name": register.name, "saved_at": register.saved_at,
                "saved_by": register.saved_by, "report": register.report, "columns": columns}),
            encoding="utf-8")
    for table, frame in history.items():
        records = _history_records(frame)
        (folder / f"atlas_{table}.geojson").write_text(_feature_collection(
            f"atlas_{table}", records, [_history_geometry(table, r) for r in records]),
            encoding="utf-8")
    (folder / "atlas_dump.json").write_text(json.dumps({"format": _DUMP_FORMAT, "source": source},
                                                       ensure_ascii=False), encoding="utf-8")


def write_dump(store: AtlasStore, fmt: str, output: Path) -> tuple[int, dict[str, int]]:
    """Dump `store` to `output` (``gpkg``: a file; ``geojson``: a folder), replacing an earlier
    dump there only once the new one is complete. Returns (registers, rows per history table)."""
    if fmt not in ("gpkg", "geojson"):
        raise ExportError(f"dump format must be gpkg or geojson, got {fmt!r}")
    output = Path(output)
    folder = output.parent if str(output.parent) else Path(".")
    if not folder.is_dir():
        raise ExportError(f"cannot write {output}: folder {folder} does not exist")
    if fmt == "geojson" and output.exists() and not (output / "atlas_dump.json").exists():
        raise ExportError(f"cannot write the dump to {output}: it exists and is not a dump folder")
    if fmt == "gpkg" and output.is_dir():
        raise ExportError(f"cannot write {output}: it is a folder")
    registers, history = store_content(store)
    work = Path(tempfile.mkdtemp(prefix=f".{output.name}.", dir=folder))
    try:
        staged = work / output.name
        if fmt == "gpkg":
            _write_gpkg(staged, registers, history, store.describe())
        else:
            _write_geojson(staged, registers, history, store.describe())
        if output.is_dir():
            shutil.rmtree(output)
        os.replace(staged, output)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return len(registers), {table: len(frame) for table, frame in history.items()}


# -- reading a dump -----------------------------------------------------------------------

def _read_gpkg(path: Path) -> tuple[list[DumpRegister], dict[str, pd.DataFrame]]:
    """The registers and history of a GeoPackage dump."""
    layers = {str(name) for name, _ in pyogrio.list_layers(path)}
    if "atlas_registers" not in layers:
        raise ImportFileError(f"{path} is not a store dump (it has no atlas_registers table)")
    registers = []
    for meta in pyogrio.read_dataframe(path, layer="atlas_registers").to_dict("records"):
        columns = json.loads(meta["columns"])
        flat = pyogrio.read_dataframe(path, layer=meta["layer"])
        encoded = {name for name, _, encoding in columns if encoding == "json"}
        properties = [{name: (json.loads(row[name]) if name in encoded and row[name] is not None
                              else row[name]) for name, dtype, _ in columns if dtype != "geometry"}
                      for row in ({k: plain_value(v) for k, v in r.items()}
                                  for r in pd.DataFrame(flat.drop(columns="geometry")).to_dict("records"))]
        frame = register_frame([c[:2] for c in columns], properties, list(flat.geometry))
        registers.append(DumpRegister(meta["name"], meta["saved_at"], meta["saved_by"],
                                      meta["report"], frame))
    history = {}
    for table in HISTORY_COLUMNS:
        if f"atlas_{table}" not in layers and table in OPTIONAL_HISTORY:
            continue
        flat = pyogrio.read_dataframe(path, layer=f"atlas_{table}")
        records = [{k: plain_value(v) for k, v in row.items()}
                   for row in pd.DataFrame(flat.drop(columns="geometry")).to_dict("records")]
        history[table] = _history_frame(records, table)
    return registers, history


def _read_collection(path: Path) -> dict:
    """A GeoJSON file's content."""
    return json.loads(path.read_text(encoding="utf-8"))


def _read_geojson(folder: Path) -> tuple[list[DumpRegister], dict[str, pd.DataFrame]]:
    """The registers and history of a GeoJSON dump folder."""
    if not (folder / "atlas_dump.json").exists():
        raise ImportFileError(f"{folder} is not a store dump folder (it has no atlas_dump.json)")
    registers = []
    for path in sorted(folder.glob("register_*.geojson")):
        data = _read_collection(path)
        meta = data["atlas_register"]
        frame = register_frame(meta["columns"], [f["properties"] for f in data["features"]],
                               [None if f["geometry"] is None else shape(f["geometry"])
                                for f in data["features"]])
        registers.append(DumpRegister(meta["name"], meta["saved_at"], meta["saved_by"],
                                      meta["report"], frame))
    history = {table: _history_frame([f["properties"] for f in _read_collection(
        folder / f"atlas_{table}.geojson")["features"]], table) for table in HISTORY_COLUMNS
        if table not in OPTIONAL_HISTORY or (folder / f"atlas_{table}.geojson").exists()}
    return registers, history


def read_dump(path: Path) -> tuple[list[DumpRegister], dict[str, pd.DataFrame]]:
    """The registers and history tables of a dump written by :func:`write_dump`.

    >>> read_dump(Path("nowhere.gpkg"))
    Traceback (most recent call last):
    app.errors.ImportFileError: no dump at nowhere.gpkg
    """
    path = Path(path)
    if not path.exists():
        raise ImportFileError(f"no dump at {path}")
    if path.is_dir():
        return _read_geojson(path)
    try:
        return _read_gpkg(path)
    except pyogrio.errors.DataSourceError as exc:
        raise ImportFileError(f"{path} is not a GeoPackage store dump: {exc}") from exc


# -- the curated data ---------------------------------------------------------------------

def _curated(data_dir: Path | None, layers_dir: Path | None) -> list[tuple[str, gpd.GeoDataFrame, dict]]:
    """The curated register and the gazetteer as (register name, frame, report)."""
    from app.data.atlas import PROJECT_COLUMNS, default_data_dir, load_atlas

    atlas = load_atlas(data_dir, layers_dir)
    projects = atlas.projects[[*PROJECT_COLUMNS, atlas.projects.geometry.name]]
    folder = data_dir or default_data_dir()
    gazetteer = json.loads((folder / "gazetteer.geojson").read_text(encoding="utf-8"))
    features = gazetteer["features"]
    places = register_frame([], [f["properties"] for f in features],
                            [None if f["geometry"] is None else shape(f["geometry"])
                             for f in features])
    base = {"data_version": atlas.data_version}
    return [(CURATED_REGISTER, projects, {**base, "source": "geodata/register.toml",
                                          "rows": len(projects),
                                          "located": int(projects.geometry.notna().sum())}),
            (GAZETTEER_REGISTER, places, {**base, "source": "geodata/gazetteer.geojson",
                                          "rows": len(places),
                                          "located": int(places.geometry.notna().sum())})]


def load_curated(store: AtlasStore, data_dir: Path | None = None, layers_dir: Path | None = None,
                 saved_by: str = "store load") -> list[tuple[str, int, int]]:
    """Save the curated register and the gazetteer into `store` as :data:`CURATED_REGISTER`
    and :data:`GAZETTEER_REGISTER`; return (name, rows, located rows) of each. Saving again
    replaces them.

    >>> import tempfile, pathlib
    >>> from app.store.sqlite import Store
    >>> store = Store(pathlib.Path(tempfile.mkdtemp()) / "s.sqlite")
    >>> [name for name, rows, located in load_curated(store)]
    ['curated', 'gazetteer']
    >>> _ = load_curated(store); store.registers()["name"].tolist()
    ['curated', 'gazetteer']
    """
    done = []
    for name, frame, report in _curated(data_dir, layers_dir):
        store.save_register(name, frame, report, saved_by=saved_by)
        done.append((name, len(frame), report["located"]))
    return done


def load_dump(store: AtlasStore, source: Path, saved_by: str, *,
              registers_only: bool = False) -> tuple[dict[str, int], list[tuple[str, int]]]:
    """Load the dump at `source` into `store`: its history (ids kept; only into a store without
    any, SubmissionError otherwise) unless `registers_only`, then every register.

    Returns (rows copied per history table, empty when none were; (name, rows) per register).

    >>> import tempfile, pathlib
    >>> from app.store.sqlite import Store
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> write_dump(Store(folder / "a.sqlite"), "gpkg", folder / "a.gpkg")[0]
    0
    >>> load_dump(Store(folder / "b.sqlite"), folder / "a.gpkg", "me")  # an empty dump
    ({}, [])
    """
    registers, history = read_dump(source)
    copied: dict[str, int] = {}
    if sum(len(frame) for frame in history.values()) and not registers_only:
        store.restore_history(history, saved_by, str(source))
        copied = {table: len(frame) for table, frame in history.items()}
    for register in registers:
        store.save_register(register.name, register.frame, _SavedReport(register.report),
                            saved_by=saved_by)
    return copied, [(register.name, len(register.frame)) for register in registers]
