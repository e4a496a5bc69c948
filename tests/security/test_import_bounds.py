"""Hostile or oversized register files: every bound is checked before the work it bounds.

Each test builds its hostile file in memory (no fixtures on disk) and asserts behaviour: the
clear error, and that the expensive step (reading, openpyxl, json.loads, GDAL) never ran.
"""

from __future__ import annotations

import dataclasses
import io
import json
import time
import zipfile
from pathlib import Path

import geopandas as gpd
import openpyxl
import pyogrio
import pytest
import shapely
from shapely import Point

import app.io.readers
from app.cli.main import main
from app.domain.filters import Filter
from app.errors import ExportError, ImportFileError
from app.geo.crs import convert
from app.io.atomic import atomic_write
from app.io.export import export_bytes
from app.io.importer import import_file
from app.io.limits import (
    MAX_FILE_BYTES,
    MAX_ROWS,
    MIB,
    UPLOAD_LIMIT_BYTES,
    UPLOADER_LIMIT_MB,
    XLSX_MAX_UNCOMPRESSED_MIB,
    check_upload_size,
)
from app.io.naming import MAX_NAME_BYTES, label_crs, safe_output_path
from app.io.readers import read_table

CONTENT_TYPES = (b'<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org'
                 b'/package/2006/content-types"></Types>')


def forbid(monkeypatch, owner: object, name: str) -> None:
    """Make `owner.name` fail the test if anything calls it."""
    def called(*args: object, **kwargs: object) -> None:
        raise AssertionError(f"{name} ran although the bound should have stopped the import first")
    monkeypatch.setattr(owner, name, called)


# -- file size ------------------------------------------------------------------------------


def test_upload_bound_is_stated_and_enforced_in_mib():
    assert UPLOAD_LIMIT_BYTES == 5 * 2**20
    check_upload_size(UPLOAD_LIMIT_BYTES)
    with pytest.raises(ImportFileError, match=r"5\.0 MiB \(5242881 bytes\); uploads are limited "
                                              r"to 5 MiB \(5242880 bytes, 1 MiB = 1,048,576 bytes\)"):
        check_upload_size(UPLOAD_LIMIT_BYTES + 1)
    # Streamlit's own uploader limit never refuses a file our bound accepts, whichever way it
    # counts a MB (10**6 on some platforms, 2**20 on others): the refusal is always ours.
    assert UPLOADER_LIMIT_MB * 10**6 >= UPLOAD_LIMIT_BYTES
    assert UPLOADER_LIMIT_MB * 10**6 < UPLOAD_LIMIT_BYTES + 10**6


def test_an_oversized_file_is_refused_from_its_size_before_it_is_read(tmp_path, monkeypatch):
    big = tmp_path / "big.csv"
    with big.open("wb") as fh:  # sparse: no 64 MiB written
        fh.truncate(MAX_FILE_BYTES + 1)
    forbid(monkeypatch, Path, "read_bytes")
    with pytest.raises(ImportFileError, match=r"big\.csv: the file is 64\.0 MiB \(67108865 bytes\); "
                                              r"imports are limited to 64 MiB"):
        read_table(big)


def test_oversized_bytes_and_streams_are_refused(tmp_path):
    data = b"name\n" + b"x" * MAX_FILE_BYTES
    with pytest.raises(ImportFileError, match="imports are limited to 64 MiB"):
        read_table(data, filename="a.csv")
    with pytest.raises(ImportFileError, match="imports are limited to 64 MiB"):
        read_table(io.BytesIO(data), filename="a.csv")


def test_cli_refuses_an_oversized_file_with_the_unit(tmp_path, capsys):
    big = tmp_path / "big.csv"
    with big.open("wb") as fh:
        fh.truncate(MAX_FILE_BYTES + 1)
    assert main(["import", str(big)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: big.csv: the file is 64.0 MiB") and "MiB" in err


# -- xlsx zip bombs ---------------------------------------------------------------------------


def bomb(sheet_bytes: int) -> bytes:
    """A real workbook whose sheet XML is padded with `sheet_bytes` of one repeated byte (XML
    whitespace, so the sheet stays valid and openpyxl would parse all of it), deflated."""
    book = openpyxl.Workbook()
    book.active.append(["名称"])
    plain = io.BytesIO()
    book.save(plain)
    buffer = io.BytesIO()
    with zipfile.ZipFile(plain) as source, \
            zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as archive:
        for member in source.infolist():
            content = source.read(member)
            if member.filename != "xl/worksheets/sheet1.xml":
                archive.writestr(member, content)
                continue
            at = content.index(b"<sheetData>") + len(b"<sheetData>")
            with archive.open(member.filename, "w", force_zip64=True) as sheet:
                sheet.write(content[:at])
                chunk = b" " * MIB
                for _ in range(sheet_bytes // MIB):
                    sheet.write(chunk)
                sheet.write(content[at:])
    return buffer.getvalue()


def test_the_bomb_is_a_workbook_that_openpyxl_would_parse():
    small = bomb(2 * MIB)  # small enough to parse here, ratio over the bound all the same
    sheet = openpyxl.load_workbook(io.BytesIO(small), read_only=True).active
    assert [row for row in sheet.iter_rows(values_only=True)] == [("名称",)]
    with pytest.raises(ImportFileError, match="zip bomb"):
        read_table(small, filename="small-bomb.xlsx")


def test_xlsx_bomb_over_the_declared_size_is_refused_quickly(monkeypatch):
    data = bomb(256 * MIB)  # 256 MiB of sheet XML in about 1 MB of file
    assert len(data) < 2 * MIB
    forbid(monkeypatch, openpyxl, "load_workbook")
    started = time.perf_counter()
    with pytest.raises(ImportFileError, match=rf"declares 256\.0 MiB .* limited to "
                                              rf"{XLSX_MAX_UNCOMPRESSED_MIB} MiB unpacked"):
        read_table(data, filename="bomb.xlsx")
    assert time.perf_counter() - started < 5  # the central directory only: no inflating


def test_xlsx_bomb_under_the_size_bound_is_refused_for_its_ratio(monkeypatch):
    data = bomb(40 * MIB)
    forbid(monkeypatch, openpyxl, "load_workbook")
    with pytest.raises(ImportFileError, match=r"compression ratio of \d+:1, over the 100:1 .* zip bomb"):
        read_table(data, filename="bomb.xlsx")


def lie_about_size(data: bytes, member: str, declared: int) -> bytes:
    """The zip with `member`'s uncompressed size (local header and central directory) replaced."""
    out = bytearray(data)
    name = member.encode()
    for signature, offset in ((b"PK\x03\x04", 22), (b"PK\x01\x02", 24)):
        at = out.find(signature + b"")
        while at != -1:
            name_at = at + (30 if signature == b"PK\x03\x04" else 46)
            if out[name_at:name_at + len(name)] == name:
                out[at + offset:at + offset + 4] = declared.to_bytes(4, "little")
            at = out.find(signature, at + 4)
    return bytes(out)


def test_a_member_that_inflates_past_its_declared_size_is_refused(monkeypatch):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", CONTENT_TYPES)
        archive.writestr("xl/worksheets/sheet1.xml", b"<row/>" * 100_000)  # 600 kB, ratio fine
    data = lie_about_size(buffer.getvalue(), "xl/worksheets/sheet1.xml", 1000)
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        assert archive.getinfo("xl/worksheets/sheet1.xml").file_size == 1000  # the lie stands
    forbid(monkeypatch, openpyxl, "load_workbook")
    with pytest.raises(ImportFileError, match="sheet1.xml"):
        read_table(data, filename="liar.xlsx")


def test_a_real_workbook_still_reads(tmp_path):
    path = tmp_path / "ok.xlsx"
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["名称", "经度", "纬度"])
    sheet.append(["天山公园", 121.411, 31.2121])
    book.save(path)
    table = read_table(path)
    assert table.columns == ("名称", "经度", "纬度")
    assert table.frame.iloc[0].tolist() == ["天山公园", 121.411, 31.2121]


# -- rows -------------------------------------------------------------------------------------


def test_a_csv_of_millions_of_rows_is_refused_at_the_first_row_over_the_bound():
    # 2.5 million rows, ~5 MB, then a tripwire: a field over the csv module's size limit makes
    # the reader fail *if it ever gets there*. Stopping at row MAX_ROWS + 1 never reaches it.
    data = b"name\n" + b"x\n" * 2_500_000 + b'"' + b"y" * 200_000 + b'"\n'
    assert len(data) < UPLOAD_LIMIT_BYTES
    with pytest.raises(ImportFileError) as caught:
        read_table(data, filename="huge.csv")
    assert str(caught.value) == (
        f"huge.csv: more than {MAX_ROWS} data rows (reading stopped at data row {MAX_ROWS + 1}); "
        f"at most {MAX_ROWS} are imported at once: split the register")


def test_blank_rows_do_not_count_against_the_bound():
    data = b"name,x\n" + b",\n" * (MAX_ROWS + 10) + "天山公园,1\n".encode()
    table = read_table(data, filename="blank.csv")
    assert len(table.frame) == 1
    assert f"{MAX_ROWS + 10} blank row(s) skipped" in table.notes


def test_xlsx_rows_are_counted_while_reading(monkeypatch, tmp_path):
    monkeypatch.setattr(app.io.readers, "MAX_ROWS", 10)
    path = tmp_path / "rows.xlsx"
    book = openpyxl.Workbook(write_only=True)
    sheet = book.create_sheet()
    sheet.append(["name"])
    for i in range(500):
        sheet.append([f"p{i}"])
    book.save(path)
    # the parse a worker runs (app.io.sandbox), here in the test's process, which sees the patch
    with pytest.raises(ImportFileError, match=r"more than 10 data rows \(reading stopped at data row 11\)"):
        app.io.readers._parse(path.read_bytes(), "xlsx", path.name, None)


def test_geojson_features_are_counted_before_parsing(monkeypatch):
    feature = {"type": "Feature", "properties": {"name": "x"},
               "geometry": {"type": "Point", "coordinates": [121.41, 31.21]}}
    data = json.dumps({"type": "FeatureCollection", "features": [feature] * (MAX_ROWS + 1)}).encode()
    forbid(monkeypatch, json, "loads")
    with pytest.raises(ImportFileError, match=f"more than {MAX_ROWS} features"):
        read_table(data, filename="many.geojson")


def test_geopackage_features_are_counted_before_reading(monkeypatch, tmp_path):
    monkeypatch.setattr(app.io.readers, "MAX_ROWS", 5)
    path = tmp_path / "many.gpkg"
    gpd.GeoDataFrame({"name": [f"p{i}" for i in range(20)]},
                     geometry=[Point(121.41, 31.21)] * 20, crs="EPSG:4326").to_file(path)
    forbid(monkeypatch, pyogrio, "read_dataframe")
    with pytest.raises(ImportFileError, match="has 20 features; at most 5"):
        app.io.readers._parse(path.read_bytes(), "gpkg", path.name, None)  # as a worker runs it


# -- encodings --------------------------------------------------------------------------------

PLACES_TRADITIONAL = "名稱,地址\n天山公園,長寧區天山路\n中山公園,長寧路780號\n虹橋機場,長寧區\n愚園路歷史風貌區,愚園路\n"


def test_big5_is_read_as_big5_not_as_gb18030():
    data = PLACES_TRADITIONAL.encode("big5")
    data.decode("gb18030")  # the trap: it *does* decode as GB18030, into nonsense
    table = read_table(data, filename="big5.csv")
    assert table.encoding == "big5"
    assert table.columns == ("名稱", "地址")
    assert table.frame["名稱"].tolist() == ["天山公園", "中山公園", "虹橋機場", "愚園路歷史風貌區"]
    assert "encoding big5 (detected)" in table.notes


def test_shift_jis_is_read_as_shift_jis():
    table = read_table("名前,住所\n東京駅,千代田区丸の内\n".encode("shift_jis"), filename="sjis.csv")
    assert table.encoding == "shift_jis" and table.frame.iloc[0].tolist() == ["東京駅", "千代田区丸の内"]


def test_gbk_still_reads_as_gb18030():
    table = read_table("名称,地址\n天山公园,长宁区天山路\n".encode("gbk"), filename="gbk.csv")
    assert table.encoding == "gb18030" and table.frame.iloc[0, 0] == "天山公园"


def test_implausible_text_is_refused_asking_for_utf8():
    data = "名称\n".encode() + bytes(range(0x80, 0x100)) * 4
    with pytest.raises(ImportFileError, match="save it as UTF-8"):
        read_table(data, filename="garbage.csv")


# -- export names -----------------------------------------------------------------------------


def test_names_over_255_bytes_are_a_clear_export_error(tmp_path):
    name = "长" * 84 + ".geojson"  # 252 + 8 = 260 bytes of UTF-8, only 92 characters
    assert len(name) < MAX_NAME_BYTES < len(name.encode())
    for call in (lambda: safe_output_path(name), lambda: safe_output_path(name, tmp_path),
                 lambda: atomic_write(tmp_path / name, "{}")):
        with pytest.raises(ExportError, match="bytes"):
            call()
    fits = "长" * 81 + ".geojson"  # 251 bytes: fine alone, 257 once labelled "-gcj02"
    assert safe_output_path(fits) == Path(fits)
    with pytest.raises(ExportError, match=r"is 257 bytes long \(UTF-8\); file names are limited to 255"):
        label_crs(Path(fits), "gcj02")


def test_the_apps_suggested_name_is_checked_too(atlas):
    long_version = dataclasses.replace(atlas, data_version="v" * 250)
    with pytest.raises(ExportError, match="file names are limited to 255 bytes"):
        export_bytes(long_version, Filter(), "csv")
    _, name, _ = export_bytes(atlas, Filter(), "csv")
    assert len(name.encode()) <= MAX_NAME_BYTES


def test_a_name_just_under_the_limit_is_written(tmp_path):
    target = tmp_path / ("a" * (MAX_NAME_BYTES - 8) + ".geojson")
    atomic_write(target, "{}")  # the temporary name is shortened to fit, not the target's
    assert target.read_text() == "{}" and [p.name for p in tmp_path.iterdir()] == [target.name]


def test_cli_export_with_a_too_long_name_exits_2_without_a_traceback(tmp_path, capsys):
    status = main(["export", "--output", str(tmp_path / ("长" * 90 + ".geojson"))])
    err = capsys.readouterr().err
    assert status == 2 and err.startswith("error: output name") and "255 bytes" in err
    assert "Traceback" not in err and list(tmp_path.iterdir()) == []


# -- geometry repairs and CRS mix-ups ------------------------------------------------------


def test_an_unclosed_polygon_ring_is_closed_with_a_note(atlas):
    ring = [[121.410, 31.211], [121.412, 31.211], [121.412, 31.213], [121.410, 31.213]]
    closed = [*ring, ring[0]]
    doc = {"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"名称": "开口地块"},
         "geometry": {"type": "Polygon", "coordinates": [ring]}},
        {"type": "Feature", "properties": {"名称": "闭合地块"},
         "geometry": {"type": "Polygon", "coordinates": [closed]}},
    ]}
    result = import_file(json.dumps(doc).encode(), filename="rings.geojson", atlas=atlas)
    opened, shut = result.report.rows
    assert opened.status == "fixed" and [p.code for p in opened.problems] == ["ring-closed"]
    assert "closed by repeating it" in opened.problems[0].message
    assert shut.status == "placed" and not shut.problems
    assert result.frame.geometry.iloc[0].equals(result.frame.geometry.iloc[1])
    assert "ring-closed" in result.frame["pos_method"].iloc[0]


def gazetteer_points(atlas, n: int = 6) -> list[tuple[str, float, float]]:
    """Names and WGS-84 positions of gazetteer places the name matcher finds exactly."""
    out = []
    for place in atlas.places.values():
        if place.located and place.geometry.geom_type == "Point" and place.kind != "metro_station":
            out.append((place.name_zh, place.geometry.x, place.geometry.y))
    return out[:n]


def register(rows: list[tuple[str, float, float]]) -> bytes:
    return ("名称,经度,纬度\n" + "".join(f"{n},{x:.7f},{y:.7f}\n" for n, x, y in rows)).encode()


def test_gcj02_declared_as_wgs84_gets_a_warning_and_the_suggested_crs(atlas, tmp_path, capsys):
    truth = gazetteer_points(atlas)
    gcj = [(n, *convert(x, y, "wgs84", "gcj02")) for n, x, y in truth]
    data = register(gcj)
    result = import_file(data, filename="amap.csv", crs="wgs84", atlas=atlas)
    assert all(r.status == "placed" for r in result.report.rows)  # nothing looks wrong row by row
    (warning,) = result.report.warnings
    assert warning.code == "crs-mixup" and warning.suggested_crs == "gcj02"
    assert "--crs gcj02" in warning.message
    assert json.loads(result.report.to_json())["warnings"][0]["suggested_crs"] == "gcj02"
    # following the advice gives the gazetteer positions back and no warning
    again = import_file(data, filename="amap.csv", crs="gcj02", atlas=atlas)
    assert again.report.warnings == ()
    for geom, (_, x, y) in zip(again.frame.geometry, truth, strict=True):
        assert shapely.distance(geom, Point(x, y)) < 1e-5
    # the CLI says so too
    path = tmp_path / "amap.csv"
    path.write_bytes(data)
    assert main(["import", str(path)]) == 0
    assert "warning: " in capsys.readouterr().err


def test_true_wgs84_and_bd09_files(atlas):
    truth = gazetteer_points(atlas)
    assert import_file(register(truth), filename="gps.csv", atlas=atlas).report.warnings == ()
    baidu = [(n, *convert(x, y, "wgs84", "bd09")) for n, x, y in truth]
    (warning,) = import_file(register(baidu), filename="baidu.csv", atlas=atlas).report.warnings
    assert warning.suggested_crs == "bd09"
