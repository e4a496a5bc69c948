"""Import a project register from CSV, Excel, GeoJSON or GeoPackage: map, place, report.

The app's upload page and ``python -m app import`` both call :func:`import_file`, which

1. reads the file (:func:`app.io.readers.read_table`, within the bounds of
   :mod:`app.io.limits`): CSV in UTF-8 (with or without BOM), UTF-16 with BOM, or a checked
   legacy encoding (GBK/GB18030, Big5, Shift-JIS: :mod:`app.io.charset`), Excel ``.xlsx``
   (first sheet), GeoJSON, or GeoPackage (first layer);
2. maps columns to fields (:func:`app.io.mapping.resolve_mapping`): inferred from common zh/en
   headers, with any explicit choice winning;
3. places every row: coordinates (or the file's geometry) in the declared CRS are parsed and
   checked by :mod:`app.geo.coords`; rows without them are matched by address, then by name,
   against the gazetteer by :mod:`app.geo.address`;
4. returns an :class:`ImportResult`: the projects frame (shaped like ``Atlas.projects``), the
   :class:`~app.io.report.ImportReport` (one row per data row, a summary, file-level warnings
   such as a likely GCJ-02/WGS-84 mix-up from :mod:`app.io.crs_guess`) and the mapping used.

A file that cannot be read at all raises :class:`~app.errors.ImportFileError` (or
:class:`~app.errors.UnknownCRSError` for the declared CRS); a bad *row* never raises: it is
reported as ``rejected`` or ``unlocated``.

Imported rows follow one convention (docs/import.md):

- ``layer``: a ``layer`` column naming a project layer (id or title) or :data:`DEFAULT_LAYER`;
- ``category``, ``status``, ``action``: the value when the layer's legend / the vocabulary knows
  it (as a code or a zh/en label), otherwise :data:`IMPORTED` (``"imported"``), with a note;
- ``id``: the ``id`` column when it is a unique slug, otherwise ``import-<row>``;
- ``report_section``, ``report_paragraph``, ``report_ref``: empty (not from the work report);
- rejected rows are left out of the frame and listed in the report only; unlocated rows are in
  the frame with no geometry and precision ``unlocated``.

>>> from app.data.atlas import load_atlas
>>> result = import_file("名称\\n天山公园\\n".encode(), filename="a.csv", atlas=load_atlas())
>>> result.report.rows[0].place_id, result.report.warnings
('poi-tianshangongyuan', ())
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

import geopandas as gpd
import pandas as pd
import shapely
from shapely.geometry.base import BaseGeometry

from app.data.atlas import PROJECT_COLUMNS, PROJECT_TOLERANCE_M, Atlas
from app.data.layers import geometry_kind
from app.domain.filters import normalise_text, search_text
from app.domain.model import check_id
from app.errors import CoordinateError, ImportFileError
from app.geo.address import FUZZY_THRESHOLD, AddressMatch, Candidate, Matcher
from app.geo.coords import Problem, SourceCRS, parse_coordinate, parse_source_crs
from app.geo.gazetteer import CONFIDENCES, DISTRICT_ID
from app.geo.geocode import NO_POSITION, to_metric
from app.geo.position import PositionCheck, check_position
from app.geo.uncertainty import ADDRESS_M, FILE_M, INTERPOLATED_M, reach_m, rounded_m
from app.io.crs_guess import guess_crs_mixup
from app.io.limits import FILE_PARSE, MAX_VERTICES, ParseLimits
from app.io.mapping import resolve_mapping
from app.io.readers import RawTable, cell_text, read_table
from app.io.report import ImportReport, RowReport

__all__ = ["DEFAULT_LAYER", "IMPORTED", "ImportResult", "import_file"]

#: Project layer of rows that do not name one (the atlas's general urban-renewal layer).
DEFAULT_LAYER = "renewal"
#: Category, status and action of rows whose file does not give a known value.
IMPORTED = "imported"

_ALIAS_SPLIT = re.compile(r"[;；,，、|]")
_CJK = re.compile(r"[\u3400-\u9fff]")



@dataclass(frozen=True, eq=False)
class ImportResult:
    """An import's outcome: the projects frame, the report, and the column mapping used."""

    frame: gpd.GeoDataFrame
    report: ImportReport
    mapping: Mapping[str, str]


@dataclass(frozen=True, eq=False)
class _Context:
    """Everything placing a row needs, built once per import."""

    atlas: Atlas
    matcher: Matcher
    district_m: BaseGeometry
    declared: SourceCRS
    geometry_crs: SourceCRS
    filename: str
    layers: Mapping[str, str]
    statuses: Mapping[str, str]
    actions: Mapping[str, str]
    subdistricts: Mapping[str, str]
    categories: Mapping[str, Mapping[str, str]]


def _lookup(pairs: Sequence[tuple[str, Sequence[str]]]) -> dict[str, str]:
    """normalised spelling -> code, for codes and their labels."""
    out: dict[str, str] = {}
    for code, spellings in pairs:
        for spelling in (code, *spellings):
            if spelling:
                out.setdefault(normalise_text(spelling), code)
    return out


def _context(atlas: Atlas, declared: SourceCRS, geometry_crs: SourceCRS, filename: str,
             threshold: float) -> _Context:
    district = atlas.places.get(DISTRICT_ID)
    if district is None or not district.located:
        raise ImportFileError(f"the gazetteer has no located {DISTRICT_ID!r} to check positions against")
    district_m = to_metric(district.geometry)
    shapely.prepare(district_m)
    vocab = atlas.vocab
    return _Context(
        atlas=atlas, matcher=Matcher.from_places(atlas.places, threshold, atlas.addresses),
        district_m=district_m,
        declared=declared, geometry_crs=geometry_crs, filename=filename,
        layers=_lookup([(s.id, (s.title_zh, s.title_en)) for s in atlas.project_layers]),
        statuses=_lookup([(k, v) for k, v in vocab.statuses.items()]),
        actions=_lookup([(k, (v,)) for k, v in vocab.actions.items()]),
        subdistricts=_lookup([(p.name_zh, (p.name_en, *p.aliases)) for p in atlas.places.values()
                              if p.kind == "subdistrict"]),
        categories={s.id: _lookup([(e.value, (e.zh, e.en)) for e in s.legend])
                    for s in atlas.project_layers},
    )


def _coded(value: str, table: Mapping[str, str], what: str, problems: list[Problem],
           default: str = IMPORTED) -> str:
    """The code `value` names in `table`, or `default` with a note when it names none."""
    if not value:
        return default
    code = table.get(normalise_text(value))
    if code is None:
        problems.append(Problem(f"unknown-{what}", "note",
                                f"{what} {value!r} is not known; set to {default!r}"))
        return default
    return code


def _weakest(*levels: str) -> str:
    return max(levels, key=CONFIDENCES.index)


def _representative(geom: BaseGeometry | None) -> tuple[float | None, float | None]:
    if geom is None or geom.is_empty:
        return None, None
    point = geom if geom.geom_type == "Point" else geom.representative_point()
    return round(point.x, 7), round(point.y, 7)


@dataclass(frozen=True)
class _Position:
    """Where a row ended up: status, method, geometry and the provenance columns."""

    status: str
    method: str
    precision: str
    geometry: BaseGeometry | None = None
    score: float | None = None
    matched_on: str = ""
    place_id: str | None = None
    candidates: tuple[Candidate, ...] = ()
    provenance: dict[str, object] = field(default_factory=dict)
    note: str = ""


_NO_PROVENANCE: dict[str, object] = dict(NO_POSITION)


def _no_position(method: str, note: str) -> _Position:
    """A rejected row's position: none."""
    return _Position("rejected", method, "unlocated", provenance=_NO_PROVENANCE | {
        "pos_method": method}, note=note)


def _from_geometry(geom: BaseGeometry, crs: SourceCRS, method: str, row: int, ctx: _Context,
                   problems: list[Problem]) -> _Position:
    vertices = int(shapely.get_num_coordinates(geom))
    if vertices > MAX_VERTICES:  # the planner's bound for one project's geometry, too
        message = (f"the geometry has {vertices:,} vertices; at most {MAX_VERTICES:,} are "
                   "accepted for one project: simplify it")
        problems.append(Problem("too-many-vertices", "rejected", message))
        return _no_position(method, message)
    check: PositionCheck = check_position(geom, crs, ctx.district_m, fix_swaps=True,
                                          tolerance_m=PROJECT_TOLERANCE_M)
    problems.extend(check.problems)
    if check.rejected:
        return _no_position(method, "; ".join(p.message for p in check.problems))
    fixed = any(p.action == "fixed" for p in problems)
    conversion = "" if crs.name == "wgs84" else f", {crs.label}→wgs84 conversion"
    fixes = [p.code for p in problems if p.action == "fixed"]
    what = "coordinates" if method == "coordinates" else "geometry"
    kind = geometry_kind(check.geometry.geom_type)
    return _Position(
        "fixed" if fixed else "placed", method, "street" if kind == "line" else "site",
        geometry=check.geometry, matched_on=method,
        provenance={"pos_source": f"{ctx.filename}, row {row}", "pos_source_crs": crs.label,
                    "pos_method": f"{what} from the imported file{conversion}"
                                  + (f"; fixed: {', '.join(fixes)}" if fixes else ""),
                    "pos_confidence": "medium", "pos_refs": [], "uncertainty_m": FILE_M},
        note=f"{what} from the file" + (f" ({', '.join(fixes)} fixed)" if fixes else ""))


def _merge_candidates(*groups: tuple[Candidate, ...]) -> tuple[Candidate, ...]:
    best: dict[str, Candidate] = {}
    for group in groups:
        for c in group:
            if c.place_id not in best or c.score > best[c.place_id].score:
                best[c.place_id] = c
    return tuple(sorted(best.values(), key=lambda c: -c.score)[:5])


def _from_gazetteer(address: str, name: str, ctx: _Context, problems: list[Problem]) -> _Position:
    attempts: list[tuple[str, AddressMatch]] = []
    for what, text in (("address", address), ("name", name)):
        if text:
            result = ctx.matcher.match(text)
            attempts.append((what, result))
            if result.located:
                break
    what, result = attempts[-1]
    if not result.located:
        first_what, first = attempts[0]
        candidates = _merge_candidates(*(r.candidates for _, r in attempts))
        notes = "; ".join(f"{w} {r.query!r}: {r.note}" for w, r in attempts)
        problems.append(Problem(first.method, "note", notes))
        shown = ", ".join(f"{c.name_zh} ({c.score:.2f})" for c in candidates[:3])
        # the score of the closest miss (0 when nothing came near), so every row has one
        best = max([r.score for _, r in attempts if r.score is not None]
                   + [c.score for c in candidates], default=0.0)
        return _Position("unlocated", first.method, "unlocated", score=best,
                         matched_on=first_what, candidates=candidates,
                         provenance=_NO_PROVENANCE | {"pos_method": f"gazetteer: {first.method}"},
                         note=f"Not located: {notes}" + (f". Closest: {shown}" if shown else ""))
    if result.method in ("address", "address-interpolated"):
        return _Position(
            "placed", result.method, result.precision, geometry=result.geometry,
            score=result.score, matched_on=what, place_id=result.place_id,
            candidates=result.candidates,
            provenance={"pos_source": result.source, "pos_source_crs": result.source_crs,
                        "pos_method": f"{result.method} match of the {what} {result.query!r} "
                                      f"(score {result.score:.2f}): {result.note}",
                        "pos_confidence": "medium" if result.method == "address" else "low",
                        "pos_refs": list(result.refs),
                        "uncertainty_m": ADDRESS_M if result.method == "address" else INTERPOLATED_M},
            note=f"Placed from known house numbers, matched by {what}: {result.note}")
    place = ctx.atlas.places[result.place_id]
    weak = ("low",) if result.method in ("fuzzy", "road", "name-in-address") else ()
    return _Position(
        "placed", result.method, result.precision, geometry=result.geometry, score=result.score,
        matched_on=what, place_id=place.id, candidates=result.candidates,
        provenance={"pos_source": place.source, "pos_source_crs": place.source_crs or "",
                    "pos_method": f"gazetteer {result.method} match of the {what} "
                                  f"{result.query!r} to {place.id} (score {result.score:.2f})",
                    "pos_confidence": _weakest(place.confidence, *weak), "pos_refs": [place.id],
                    "uncertainty_m": place.uncertainty_m},
        note=f"Position of gazetteer place {place.name_zh} ({place.id}), matched by {what}: "
             f"{result.note}")


def _locate(record: Mapping[str, object], mapping: Mapping[str, str], geometry: BaseGeometry | None,
            geometry_error: str | None, row: int, address: str, name: str, ctx: _Context,
            problems: list[Problem]) -> _Position:
    if geometry_error is not None:
        problems.append(Problem("invalid-geometry", "rejected", geometry_error))
        return _no_position("geometry", geometry_error)
    if geometry is not None:
        return _from_geometry(geometry, ctx.geometry_crs, "geometry", row, ctx, problems)
    if "lon" in mapping and "lat" in mapping:
        parsed = {}
        for axis in ("lon", "lat"):
            raw = record.get(mapping[axis])
            try:
                parsed[axis] = parse_coordinate(raw)
            except CoordinateError as exc:
                problems.append(Problem("unparsable-coordinate", "rejected", f"{axis}: {exc}"))
                return _no_position("coordinates", str(exc))
        lon, lat = parsed["lon"], parsed["lat"]
        if (lon.value is None) != (lat.value is None):
            missing, given = ("lon", "lat") if lon.value is None else ("lat", "lon")
            message = (f"{missing} is empty but {given} is given ({record.get(mapping[given])!r}); "
                       "a point needs both")
            problems.append(Problem("incomplete-coordinates", "rejected", message))
            return _no_position("coordinates", message)
        if lon.value is not None and lat.value is not None:
            for fix in dict.fromkeys((*lon.fixes, *lat.fixes)):
                raw = (record.get(mapping["lon"]), record.get(mapping["lat"]))
                problems.append(Problem(fix, "fixed", {
                    "full-width": f"full-width characters converted: {raw[0]!r}, {raw[1]!r}",
                    "dms": f"degrees-minutes-seconds converted: {raw[0]!r}, {raw[1]!r} → "
                           f"{lon.value:.7f}, {lat.value:.7f}",
                }[fix]))
            point = shapely.Point(lon.value, lat.value)
            return _from_geometry(point, ctx.declared, "coordinates", row, ctx, problems)
    if not address and not name:
        message = "no coordinates, no address and no name to place the row by"
        problems.append(Problem("nothing-to-place", "rejected", message))
        return _no_position("none", message)
    return _from_gazetteer(address, name, ctx, problems)


def _make_id(value: str, row: int, taken: set[str], problems: list[Problem]) -> str:
    candidate = re.sub(r"[\s_]+", "-", value.strip().lower())
    generated = f"import-{row:04d}"
    if candidate:
        try:
            check_id(candidate, "id")
        except ValueError:
            problems.append(Problem("id-generated", "note",
                                    f"id {value!r} is not a slug (a-z, 0-9, -); used {generated!r}"))
            candidate = ""
    if candidate and candidate in taken:
        problems.append(Problem("id-generated", "note", f"id {value!r} repeats; used {generated!r}"))
        candidate = ""
    out = candidate or generated
    while out in taken:
        out += "-x"
    taken.add(out)
    return out


def _year(value: str, problems: list[Problem]) -> int | None:
    if not value:
        return None
    match = re.fullmatch(r"(\d{4})(?:年|\.0)?", normalise_text(value))
    year = int(match[1]) if match else None
    if year is None or not 2024 <= year <= 2040:
        problems.append(Problem("invalid-year", "note",
                                f"target year {value!r} is not a year 2024-2040; left empty"))
        return None
    return year


def _attributes(get: Callable[[str], str], position: _Position, project_id: str, display: str,
                ctx: _Context, problems: list[Problem]) -> dict[str, object]:
    """The frame columns of a row that was not rejected (codes checked, defaults noted)."""
    layer = _coded(get("layer"), ctx.layers, "layer", problems, DEFAULT_LAYER)
    spec = ctx.atlas.spec(layer)
    category = _coded(get("category"), ctx.categories[layer], "category", problems)
    status = _coded(get("status"), ctx.statuses, "status", problems)
    action = _coded(get("action"), ctx.actions, "action", problems)
    subdistrict = _coded(get("subdistrict"), ctx.subdistricts, "subdistrict", problems, "unknown")
    if position.geometry is not None and geometry_kind(position.geometry.geom_type) not in spec.geometry:
        problems.append(Problem("layer-geometry", "note",
                                f"a {geometry_kind(position.geometry.geom_type)} in layer {layer!r}, "
                                f"which is drawn for {list(spec.geometry)}"))
    name, name_en, address = get("name"), get("name_en"), get("address")
    name_zh = name or name_en or address or display
    return {
        "id": project_id, "name_zh": name_zh,
        "name_en": name_en or ("" if _CJK.search(name_zh) else name_zh),
        "aliases": [a.strip() for a in _ALIAS_SPLIT.split(get("aliases")) if a.strip()],
        "layer": layer, "category": category, "action": action,
        "action_en": ctx.atlas.vocab.actions.get(action, ""), "status": status,
        "target_year": _year(get("target_year"), problems), "subdistrict": subdistrict,
        "address": address, "precision": position.precision, "report_section": "",
        "report_paragraph": "", "report_ref": "", "description": get("description"),
        "position_note": position.note, **position.provenance, "geometry": position.geometry,
    }


def _place_row(row: int, record: Mapping[str, object], geometry: BaseGeometry | None,
               geometry_error: str | None, mapping: Mapping[str, str], ctx: _Context,
               taken: set[str], geometry_fix: str | None = None
               ) -> tuple[dict[str, object] | None, RowReport]:
    """Place one row: its frame columns (None when rejected) and its report line."""
    def get(name: str) -> str:
        return cell_text(record.get(mapping[name])) if name in mapping else ""

    problems: list[Problem] = []
    if geometry_fix and geometry is not None and geometry_error is None:
        problems.append(Problem("ring-closed", "fixed", geometry_fix))
    name, name_en, address = get("name"), get("name_en"), get("address")
    position = _locate(record, mapping, geometry, geometry_error, row, address, name, ctx, problems)
    display = name or name_en or address
    if not display:
        display = f"未命名 {row}"
        if position.status != "rejected":
            problems.append(Problem("no-name", "note", f"the row has no name; called it {display!r}"))
    project_id = _make_id(get("id"), row, taken, problems)
    values = None if position.status == "rejected" else _attributes(
        get, position, project_id, display, ctx, problems)
    lon, lat = _representative(position.geometry)
    radius = position.provenance.get("uncertainty_m")
    if radius is not None and position.geometry is not None:
        # the representative point of a road stands for any point of it: say how far that is
        radius = rounded_m(float(radius) + reach_m(position.geometry, to_metric(position.geometry)))
    return values, RowReport(
        row=row, id=project_id, name=display, status=position.status, method=position.method,
        precision=position.precision, score=position.score, matched_on=position.matched_on,
        place_id=position.place_id, lon=lon, lat=lat, problems=tuple(problems),
        candidates=position.candidates, uncertainty_m=radius)


def _geometry_crs(declared: SourceCRS, table: RawTable, notes: list[str]) -> SourceCRS:
    """The CRS of the file's own geometries: the file's, when it names one, else the declared."""
    if table.file_crs is None:
        return declared
    if declared.name != "wgs84" and declared != table.file_crs:
        notes.append(f"the file's geometries are in {table.file_crs.label} (as the file says); "
                     f"the declared {declared.label} applies only to lon/lat columns")
    return table.file_crs


def _stop_if_asked(should_stop: Callable[[], bool] | None, label: str, row: int,
                   rows: int) -> None:
    """ImportFileError when `should_stop` says the work is no longer wanted (before `row`)."""
    if should_stop is not None and should_stop():
        where = f"before row {row + 1} of {rows}" if rows else "after reading the file"
        raise ImportFileError(f"{label}: import stopped {where} (its caller has gone)")


def import_file(source: bytes | str | os.PathLike | BinaryIO, *, filename: str | None = None,
                crs: str = "wgs84", encoding: str | None = None,
                mapping: Mapping[str, str | None] | None = None, atlas: Atlas,
                threshold: float = FUZZY_THRESHOLD,
                should_stop: Callable[[], bool] | None = None,
                limits: ParseLimits = FILE_PARSE) -> ImportResult:
    """Read, map, place and report a register file. See the module docstring for the rules.

    `source` is a path or the file's bytes (then `filename` tells the format); `crs` is the
    declared CRS of the coordinates (wgs84, gcj02, bd09 or an EPSG code); `mapping` overrides
    inferred columns (field -> column; None unmaps). Raises ImportFileError (unusable file) or
    UnknownCRSError (bad `crs`); a bad row is never an error, only a line of the report.
    `should_stop`, when given, is asked after the file is read and before each row is placed:
    once it answers True the work ends with ImportFileError (the app passes "this browser
    session has ended", so an abandoned import stops using the server); it can end the file's
    parse too, which runs in a worker process under `limits` (:func:`~app.io.readers.read_table`).

    >>> from app.data.atlas import load_atlas
    >>> csv_bytes = "名称,地址\\n天山公园改造,天山公园\\n某项目,火星基地\\n".encode()
    >>> result = import_file(csv_bytes, filename="r.csv", atlas=load_atlas())
    >>> [(r.status, r.method) for r in result.report.rows]
    [('placed', 'exact'), ('unlocated', 'no-match')]
    >>> result.frame["precision"].tolist(), result.report.summary["unlocated"]
    (['site', 'unlocated'], 1)
    >>> asked = iter([False, False, True])  # read, row 1, then stop before row 2
    >>> import_file(csv_bytes, filename="r.csv", atlas=load_atlas(),
    ...             should_stop=lambda: next(asked))
    Traceback (most recent call last):
    app.errors.ImportFileError: r.csv: import stopped before row 2 of 2 (its caller has gone)
    """
    declared = parse_source_crs(crs)
    table = read_table(source, filename=filename, encoding=encoding, limits=limits,
                       should_stop=should_stop)
    label = filename or (Path(source).name if isinstance(source, str | os.PathLike) else "upload")
    _stop_if_asked(should_stop, label, 0, len(table.frame))
    used = resolve_mapping(table.columns, mapping)
    if ("lon" in used) != ("lat" in used):
        have, lack = ("lon", "lat") if "lon" in used else ("lat", "lon")
        raise ImportFileError(f"{label}: {have} is mapped to {used[have]!r} but {lack} is not; "
                              f"map both (columns: {list(table.columns)})")
    if not ({"name", "name_en", "address", "lon"} & set(used)) and table.geometries is None:
        raise ImportFileError(
            f"{label}: no column for a name, an address or coordinates among {list(table.columns)}; "
            "map one, e.g. name=<column> or lon=<column> lat=<column>")
    notes = list(table.notes)
    geometry_crs = _geometry_crs(declared, table, notes)
    ctx = _context(atlas, declared, geometry_crs, label, threshold)
    records = table.frame.to_dict(orient="records")
    geoms = table.geometries or (None,) * len(records)
    taken: set[str] = set()
    values, reports = [], []
    for i, record in enumerate(records):
        _stop_if_asked(should_stop, label, i, len(records))
        row_values, report = _place_row(i + 1, record, geoms[i], table.geometry_errors.get(i),
                                        used, ctx, taken, table.geometry_fixes.get(i))
        reports.append(report)
        if row_values is not None:
            values.append(row_values)
    frame = _frame(values, atlas)
    source_info = {"filename": label, "format": table.format, "encoding": table.encoding,
                   "crs": declared.label, "geometry_crs": geometry_crs.label
                   if table.geometries is not None else None,
                   "threshold": threshold, "notes": notes, "mapping": dict(used)}
    names = [cell_text(r.get(used["name"])) if "name" in used else "" for r in records]
    coordinate_crs = geometry_crs if table.geometries is not None else declared
    mixup = guess_crs_mixup(_name_matched_points(reports, names, ctx), coordinate_crs.name)
    report = ImportReport(tuple(reports), source_info, () if mixup is None else (mixup,))
    return ImportResult(frame=frame, report=report, mapping=used)


_STRONG_MATCHES = ("exact", "normalised", "alias")


def _name_matched_points(reports: Sequence[RowReport], names: Sequence[str], ctx: _Context
                         ) -> list[tuple[tuple[float, float], tuple[float, float]]]:
    """(the row's point, its named place's point) for point rows placed from the file's own
    coordinates whose name strongly matches a gazetteer place with a point position."""
    pairs = []
    for report, name in zip(reports, names, strict=True):
        if (not name or report.method not in ("coordinates", "geometry") or report.lon is None
                or report.status not in ("placed", "fixed")):
            continue
        match = ctx.matcher.match(name)
        if match.method in _STRONG_MATCHES and match.geometry is not None \
                and match.geometry.geom_type == "Point":
            pairs.append(((report.lon, report.lat), (match.geometry.x, match.geometry.y)))
    return pairs


def _frame(values: list[dict[str, object]], atlas: Atlas) -> gpd.GeoDataFrame:
    columns = list(PROJECT_COLUMNS)
    data = pd.DataFrame([{k: v[k] for k in columns} for v in values], columns=columns)
    geoms = gpd.GeoSeries([v["geometry"] for v in values], crs="EPSG:4326", index=data.index)
    frame = gpd.GeoDataFrame(data, geometry=geoms, crs="EPSG:4326")
    frame["target_year"] = frame["target_year"].astype("Int64")
    frame["search_text"] = search_text(
        frame, {pid: (p.name_zh, p.name_en, *p.aliases) for pid, p in atlas.places.items()})
    return frame
