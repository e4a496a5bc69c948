"""KML 2.2 writing with ElementTree (one Folder per layer, one Placemark per project).

ElementTree escapes all text; characters XML 1.0 cannot hold at all become U+FFFD.

>>> import geopandas as gpd
>>> from shapely import Point
>>> from app.io.prepare import prepare_frame
>>> frame = gpd.GeoDataFrame({"id": ["a"], "name_zh": ["甲]]>"]}, geometry=[Point(121.4, 31.2)],
...                          crs="EPSG:4326")
>>> text = kml_bytes(prepare_frame(frame, ["id", "name_zh"], "wgs84"), {}, None).decode()
>>> "<coordinates>121.4,31.2</coordinates>" in text, "甲]]&gt;" in text
(True, True)
"""

from __future__ import annotations

import json
import math
import re
import xml.etree.ElementTree as ET
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
import shapely

from app.io.prepare import COORD_DECIMALS, Prepared, flat_properties, layer_groups

__all__ = ["kml_bytes"]

# An XML NCName: ids that can be a Placemark's id attribute.
_NCNAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_.-]*$")
# Characters XML 1.0 forbids even as references: C0 controls but tab/LF/CR, surrogates, FFFE/F.
_NOT_XML = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def _kml_coordinates(geoms: np.ndarray) -> list[str]:
    """KML coordinate text ('lon,lat lon,lat ...') of points, lines or rings, in bulk.

    Shapely writes the rounded WKT of all of them at once ('LINESTRING (x y, x y)'); three
    replacements over the joined text turn the WKT coordinate lists into KML's.
    """
    if len(geoms) == 0:
        return []
    wkt = shapely.to_wkt(geoms, rounding_precision=COORD_DECIMALS, trim=True)
    joined = "\x00".join(w[w.index("(") + 1:-1] for w in wkt)
    return joined.replace(", ", "\x01").replace(" ", ",").replace("\x01", " ").split("\x00")


def _kml_parts(geoms: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Points, lines and polygons of every geometry (collections unpacked), with their owner."""
    parts, owner = shapely.get_parts(geoms, return_index=True)
    while len(parts) and (shapely.get_type_id(parts) >= 4).any():  # nested collections
        nested = shapely.get_type_id(parts) >= 4
        inner, at = shapely.get_parts(parts[nested], return_index=True)
        parts = np.concatenate([parts[~nested], inner])
        owner = np.concatenate([owner[~nested], owner[nested][at]])
    order = np.argsort(owner, kind="stable")
    return parts[order], owner[order]


def _kml_geometries(geoms: np.ndarray) -> list[ET.Element | None]:
    """One KML geometry element per input geometry (MultiGeometry for several parts)."""
    parts, owner = _kml_parts(geoms)
    kinds = shapely.get_type_id(parts)
    elements: list[ET.Element] = [ET.Element("Point") for _ in range(len(parts))]
    points = np.flatnonzero(kinds == 0)
    for i, text in zip(points, _kml_coordinates(parts[points]), strict=True):
        ET.SubElement(elements[i], "coordinates").text = text
    lines = np.flatnonzero((kinds == 1) | (kinds == 2))
    for i, text in zip(lines, _kml_coordinates(parts[lines]), strict=True):
        elements[i] = ET.Element("LineString")
        ET.SubElement(elements[i], "coordinates").text = text
    polygons = np.flatnonzero(kinds == 3)
    rings, ring_owner = shapely.get_rings(parts[polygons], return_index=True)
    for i in polygons:
        elements[i] = ET.Element("Polygon")
    first = np.r_[True, ring_owner[1:] != ring_owner[:-1]] if len(rings) else np.zeros(0, bool)
    for k, text, is_outer in zip(ring_owner, _kml_coordinates(rings), first, strict=True):
        boundary = ET.SubElement(elements[polygons[k]],
                                 "outerBoundaryIs" if is_outer else "innerBoundaryIs")
        ET.SubElement(ET.SubElement(boundary, "LinearRing"), "coordinates").text = text
    out: list[ET.Element | None] = [None] * len(geoms)
    single = shapely.get_type_id(geoms) < 4
    for i, element in zip(owner, elements, strict=True):
        if single[i]:
            out[i] = element
            continue
        if out[i] is None:
            out[i] = ET.Element("MultiGeometry")
        out[i].append(element)
    return out


def _xml_text(value: Any) -> str:
    """Text for XML: '' for missing, str() of the rest, minus what XML 1.0 cannot hold at all."""
    if value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value)):
        return ""
    return _NOT_XML.sub("\ufffd", value if isinstance(value, str) else str(value))


def _kml_data(parent: ET.Element, values: Mapping[str, Any]) -> None:
    """Append ExtendedData with one Data/value per item."""
    extended = ET.SubElement(parent, "ExtendedData")
    for key, value in values.items():
        data = ET.SubElement(extended, "Data", name=key)
        ET.SubElement(data, "value").text = _xml_text(value)


def kml_bytes(prep: Prepared, metadata: Mapping[str, Any],
         layers: Sequence[tuple[str, str]] | None) -> bytes:
    """KML 2.2 written with ElementTree, which escapes all text (GDAL's LIBKML driver puts
    text in CDATA sections unsplit, so a value containing ']]>' made the file unreadable)."""
    flat = flat_properties(prep.props)
    flat["geometry_repaired"] = np.where(flat["geometry_repaired"].to_numpy(), "true", "false")
    records = flat.to_dict(orient="records")
    geometries = _kml_geometries(prep.geoms)
    title = _xml_text(metadata.get("title", "export"))
    if prep.crs != "wgs84":
        title += f" [{prep.crs.upper().replace('GCJ02', 'GCJ-02')} coordinates, not WGS-84]"
    meta = {k: v if isinstance(v, str) else json.dumps(v, ensure_ascii=False)
            for k, v in metadata.items()}
    root = ET.Element("kml", xmlns="http://www.opengis.net/kml/2.2")
    document = ET.SubElement(root, "Document")
    ET.SubElement(document, "name").text = title
    ET.SubElement(document, "description").text = _xml_text(
        "\n".join(f"{k}: {v}" for k, v in meta.items()))
    _kml_data(document, meta)
    for lid, layer_title, mask in layer_groups(prep, layers):
        folder = ET.SubElement(document, "Folder", id=lid)
        ET.SubElement(folder, "name").text = _xml_text(layer_title)
        for i in np.flatnonzero(mask):
            record = records[i]
            pid = _xml_text(record.get("id"))
            mark = ET.SubElement(folder, "Placemark", id=pid) if _NCNAME.match(pid) else \
                ET.SubElement(folder, "Placemark")
            zh, en = _xml_text(record.get("name_zh")), _xml_text(record.get("name_en"))
            ET.SubElement(mark, "name").text = f"{zh} / {en}" if zh and en else (zh or en or pid)
            ET.SubElement(mark, "description").text = _xml_text(record.get("description"))
            _kml_data(mark, record)
            if geometries[i] is not None:
                mark.append(geometries[i])
    ET.indent(root, space=" ")
    return ET.tostring(root, encoding="utf-8", xml_declaration=True) + b"\n"
