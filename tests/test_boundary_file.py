"""A project's boundary read from an uploaded file: every format, CRS handling, and refusals.

The fixture files are written here, in code, with an explicit CRS (no checked-in files).
"""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path

import geopandas as gpd
import pytest
import shapely
from shapely import Polygon, box

from app.data.atlas import PROJECT_TOLERANCE_M
from app.errors import AtlasError, ImportFileError
from app.geo.crs import convert_geometry
from app.geo.geocode import to_metric
from app.io.boundary_file import MAX_UNPACKED_MIB, boundary_format, read_boundary
from app.io.limits import UPLOAD_LIMIT_BYTES

# a 100 m x 110 m parcel beside 天山公园, in WGS-84
SITE = box(121.4000, 31.2100, 121.4010, 31.2110)


@pytest.fixture(scope="module")
def district_m(atlas):
    return to_metric(atlas.places["district-changning"].geometry)


def frame(*geometries, crs: str = "EPSG:4326") -> gpd.GeoDataFrame:
    """Features with a name each, in `crs` (geometries given in WGS-84)."""
    g = gpd.GeoDataFrame({"name": [f"地块{i}" for i in range(len(geometries))]},
                         geometry=list(geometries), crs="EPSG:4326")
    return g.to_crs(crs)


def written(g: gpd.GeoDataFrame, path: Path, **kwargs) -> bytes:
    g.to_file(path, **kwargs)
    return path.read_bytes()


def zipped_shapefile(g: gpd.GeoDataFrame, folder: Path, parts=(".shp", ".shx", ".dbf", ".prj", ".cpg"),
                     extra: dict[str, bytes] | None = None) -> bytes:
    folder.mkdir(exist_ok=True)
    g.to_file(folder / "红线.shp", engine="pyogrio")
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        for ext in parts:
            if (folder / f"红线{ext}").exists():
                z.write(folder / f"红线{ext}", f"data/红线{ext}")
        for name, data in (extra or {}).items():
            z.writestr(name, data)
    return out.getvalue()


def same_shape(a, b, metres: float = 0.05) -> bool:
    """True when `a` and `b` (WGS-84) differ by at most `metres` anywhere."""
    return to_metric(a).hausdorff_distance(to_metric(b)) <= metres


# --- each format ---------------------------------------------------------------------------

def test_geojson_feature_collection(tmp_path, district_m):
    data = written(frame(SITE), tmp_path / "红线.geojson", driver="GeoJSON")
    got = read_boundary(data, "红线.geojson", district_m=district_m, tolerance_m=PROJECT_TOLERANCE_M)
    assert (got.format, got.crs, got.crs_from_file, got.fixes) == ("geojson", "wgs84", False, ())
    assert same_shape(got.geometry, SITE)


def test_geopackage(tmp_path):
    data = written(frame(SITE), tmp_path / "site.gpkg", driver="GPKG")
    got = read_boundary(data, "site.gpkg")
    assert got.format == "gpkg" and same_shape(got.geometry, SITE)


def test_kml_with_altitudes_is_read_in_2d(tmp_path):
    ring = " ".join(f"{x},{y},12.5" for x, y in SITE.exterior.coords)
    kml = ('<?xml version="1.0" encoding="UTF-8"?><kml xmlns="http://www.opengis.net/kml/2.2">'
           '<Document><Placemark><name>天山路地块</name><Polygon><outerBoundaryIs><LinearRing>'
           f'<coordinates>{ring}</coordinates></LinearRing></outerBoundaryIs></Polygon>'
           '</Placemark></Document></kml>').encode()
    got = read_boundary(kml, "天山路.kml")
    assert got.format == "kml" and not got.geometry.has_z
    assert same_shape(got.geometry, SITE)


def test_zipped_shapefile_in_a_projected_crs_is_converted(tmp_path, district_m):
    data = zipped_shapefile(frame(SITE, crs="EPSG:32651"), tmp_path / "shp",
                            extra={"说明.txt": "红线图".encode()})
    got = read_boundary(data, "红线.zip", district_m=district_m, tolerance_m=PROJECT_TOLERANCE_M)
    assert (got.format, got.crs, got.crs_from_file) == ("shapefile", "EPSG:32651", True)
    assert same_shape(got.geometry, SITE)
    assert abs(got.geometry.centroid.x - 121.4005) < 1e-6  # degrees now, not metres


def test_the_files_own_crs_wins_over_the_declared_one(tmp_path):
    data = written(frame(SITE, crs="EPSG:3857"), tmp_path / "site.gpkg", driver="GPKG")
    got = read_boundary(data, "site.gpkg", crs="gcj02")
    assert (got.crs, got.crs_from_file) == ("EPSG:3857", True) and same_shape(got.geometry, SITE)


def test_declared_gcj02_applies_to_a_file_without_its_own_crs(tmp_path):
    as_amap = convert_geometry(SITE, "wgs84", "gcj02")  # numbers copied from AMap
    data = json.dumps({"type": "Feature", "properties": {},
                       "geometry": shapely.geometry.mapping(as_amap)}).encode()
    got = read_boundary(data, "amap.json", crs="gcj02")
    assert (got.crs, got.crs_from_file) == ("gcj02", False)
    assert same_shape(got.geometry, SITE, metres=1.0)
    plain = read_boundary(data, "amap.json")  # read as WGS-84 it lands ~500 m away
    assert to_metric(plain.geometry).distance(to_metric(SITE)) > 300


def test_swapped_coordinates_are_fixed_and_said(district_m):
    swapped = shapely.transform(SITE, lambda xy: xy[:, ::-1])
    data = json.dumps({"type": "Feature", "properties": {},
                       "geometry": shapely.geometry.mapping(swapped)}).encode()
    got = read_boundary(data, "x.geojson", district_m=district_m, tolerance_m=PROJECT_TOLERANCE_M)
    assert same_shape(got.geometry, SITE)
    assert any("exchanged" in n for n in got.fixes)


def test_a_self_intersecting_polygon_is_passed_on_for_the_edit_check():
    bow_tie = Polygon([(121.400, 31.210), (121.401, 31.211), (121.401, 31.210), (121.400, 31.211)])
    data = json.dumps({"type": "Feature", "properties": {},
                       "geometry": shapely.geometry.mapping(bow_tie)}).encode()
    got = read_boundary(data, "bow.geojson")
    assert not got.geometry.is_valid  # check_geometry repairs or refuses it, with its message


# --- refusals --------------------------------------------------------------------------------

@pytest.mark.parametrize("fmt", ["geojson", "gpkg", "shapefile", "kml"])
def test_several_features_are_refused(tmp_path, fmt):
    g = frame(SITE, box(121.402, 31.210, 121.403, 31.211))
    if fmt == "shapefile":
        data, name = zipped_shapefile(g, tmp_path / "shp"), "two.zip"
    else:
        name = {"geojson": "two.geojson", "gpkg": "two.gpkg", "kml": "two.kml"}[fmt]
        driver = {"geojson": "GeoJSON", "gpkg": "GPKG", "kml": "KML"}[fmt]
        data = written(g, tmp_path / name, driver=driver)
    with pytest.raises(ImportFileError, match=rf"^{name}: the file holds 2 features.*merge its parts"):
        read_boundary(data, name)


@pytest.mark.parametrize(("name", "data", "says"), [
    ("site.gpkg", "name,lon,lat\n天山,121.4,31.2\n".encode(), r"is not a GeoPackage \(it starts like plain text\)"),
    ("site.zip", b"SQLite format 3\x00" + b"\x00" * 100, "is not a zip archive .*a SQLite database"),
    ("site.kml", b'{"type": "Feature"}', r"is not KML \(it starts like JSON\)"),
    ("site.geojson", b"<html><body>login</body></html>", r"is not GeoJSON \(it starts like XML or HTML\)"),
    ("site.geojson", b"{\"type\": \"Feature\", ", "is not valid JSON"),
    ("site.shp", b"\x00\x00\x27\x0a", r"\.shp files are not read as boundaries.*zipped Shapefile"),
])
def test_a_file_that_is_not_what_its_name_says_is_refused(name, data, says):
    with pytest.raises(ImportFileError, match=says):
        read_boundary(data, name)


def test_a_too_big_file_is_refused_before_reading():
    data = b'{"type": "FeatureCollection", "features": [' + b" " * UPLOAD_LIMIT_BYTES + b"]}"
    with pytest.raises(ImportFileError, match="boundary files are limited to 5 MiB"):
        read_boundary(data, "huge.geojson")


def test_a_zip_bomb_is_refused_while_inflating(tmp_path):
    shp = zipped_shapefile(frame(SITE), tmp_path / "shp")
    with zipfile.ZipFile(io.BytesIO(shp)) as z:
        parts = {n: z.read(n) for n in z.namelist()}
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in parts.items():
            z.writestr(name, data + (b"\x00" * (MAX_UNPACKED_MIB + 1) * 2**20 if name.endswith(".dbf") else b""))
    assert len(out.getvalue()) < UPLOAD_LIMIT_BYTES
    with pytest.raises(ImportFileError, match=f"inflates past {MAX_UNPACKED_MIB} MiB"):
        read_boundary(out.getvalue(), "bomb.zip")


def test_a_zip_without_the_shapefile_index_is_refused(tmp_path):
    data = zipped_shapefile(frame(SITE), tmp_path / "shp", parts=(".shp", ".dbf", ".prj"))
    with pytest.raises(ImportFileError, match=r"without its \.shx file"):
        read_boundary(data, "partial.zip")


def test_a_zip_of_other_files_is_refused():
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        z.writestr("红线.dwg", b"AC1032")
    with pytest.raises(ImportFileError, match="holds no Shapefile"):
        read_boundary(out.getvalue(), "cad.zip")


def test_kml_with_entities_is_refused():
    data = (b'<?xml version="1.0"?><!DOCTYPE kml [<!ENTITY a "aaaaaaaa">]>'
            b'<kml xmlns="http://www.opengis.net/kml/2.2"><Placemark><name>&a;</name>'
            b'<Point><coordinates>121.4,31.21</coordinates></Point></Placemark></kml>')
    with pytest.raises(ImportFileError, match="DOCTYPE or entities"):
        read_boundary(data, "x.kml")


def test_a_boundary_outside_the_district_is_refused(district_m):
    pudong = box(121.50, 31.23, 121.501, 31.231)
    data = json.dumps({"type": "Feature", "properties": {},
                       "geometry": shapely.geometry.mapping(pudong)}).encode()
    with pytest.raises(AtlasError, match="outside the district"):
        read_boundary(data, "pudong.geojson", district_m=district_m, tolerance_m=PROJECT_TOLERANCE_M)


def test_metres_declared_as_degrees_are_refused_with_the_hint(tmp_path):
    metric = shapely.transform(SITE, lambda xy: xy * 0 + [[347600.0, 3454000.0]] + xy)
    data = json.dumps({"type": "Feature", "properties": {},
                       "geometry": shapely.geometry.mapping(metric)}).encode()
    with pytest.raises(ImportFileError, match="declare its EPSG code"):
        read_boundary(data, "metres.geojson")
    got = read_boundary(data, "metres.geojson", crs="EPSG:32651")
    assert got.crs == "EPSG:32651" and 121 < got.geometry.centroid.x < 122


@pytest.mark.parametrize(("geometry", "says"), [
    ({"type": "GeometryCollection", "geometries": [
        {"type": "Point", "coordinates": [121.4, 31.21]},
        {"type": "LineString", "coordinates": [[121.4, 31.21], [121.401, 31.211]]}]},
     "mixes geometry kinds"),
    (None, "has no geometry"),
])
def test_a_feature_without_one_kind_of_geometry_is_refused(geometry, says):
    data = json.dumps({"type": "Feature", "properties": {"name": "x"}, "geometry": geometry}).encode()
    with pytest.raises(ImportFileError, match=says):
        read_boundary(data, "x.geojson")


def test_boundary_format_names_what_the_bytes_look_like():
    assert boundary_format("a.JSON", b"\xef\xbb\xbf {") == "geojson"
    with pytest.raises(ImportFileError, match="files without an extension"):
        boundary_format("README", b"hello")
