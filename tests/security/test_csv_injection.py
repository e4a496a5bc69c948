"""CSV injection: every CSV the atlas produces neutralises cells a spreadsheet would run.

A text cell starting with = + - @ TAB or CR gets a leading apostrophe (OWASP "CSV injection").
Checked through the real producers: the export CSV (app and CLI) and the review page's audit
download, and structurally: no other code in app/ writes CSV.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pandas as pd
import pytest

from app.domain.filters import Filter
from app.io.csvfile import FORMULA_START, csv_bytes
from app.io.export import frame_bytes, select_projects
from app.store.sqlite import Store, Submission

ROOT = Path(__file__).resolve().parents[2]
HOSTILE = '=HYPERLINK("http://x","y")'


def rows_of(data: bytes) -> list[list[str]]:
    assert data.startswith(b"\xef\xbb\xbf"), "Excel needs the UTF-8 BOM to read Chinese text"
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))


def assert_no_formula(rows: list[list[str]]) -> None:
    for row in rows:
        for cell in row:
            assert not cell.startswith(FORMULA_START), f"formula cell went out as is: {cell!r}"


def test_export_csv_neutralises_a_hostile_project_name(atlas):
    frame = select_projects(atlas, Filter()).head(3).copy()
    frame["name_zh"] = [HOSTILE, "+1", "天山公园"]
    frame["description"] = ["@SUM(A1:A9)", "\tTAB", "-2+3"]
    rows = rows_of(frame_bytes(frame, "csv", {}))
    header = rows[0]
    names = [r[header.index("name_zh")] for r in rows[1:]]
    assert names == ["'" + HOSTILE, "'+1", "天山公园"]
    assert [r[header.index("description")] for r in rows[1:]] == ["'@SUM(A1:A9)", "'\tTAB", "'-2+3"]
    assert_no_formula(rows)
    # numbers are not formulas: a negative coordinate or count stays a number
    lon = [float(r[header.index("lon")]) for r in rows[1:] if r[header.index("lon")]]
    assert all(120 < v < 123 for v in lon)


def test_audit_csv_neutralises_what_a_field_worker_typed(tmp_path):
    store = Store(tmp_path / "atlas.sqlite")
    store.submit(Submission(project_id="tianshan-park", kind="correct", submitted_by=HOSTILE,
                            lon=121.4105, lat=31.2125, precision="site",
                            note="入口在北侧"))
    audit = store.audit("tianshan-park")
    rows = rows_of(csv_bytes(audit))
    cells = {cell for row in rows[1:] for cell in row}
    assert "'" + HOSTILE in cells
    assert_no_formula(rows)


def test_review_page_downloads_the_audit_through_the_one_writer():
    page = (ROOT / "app" / "ui" / "pages" / "review_page.py").read_text(encoding="utf-8")
    assert "csv_bytes(audit)" in page


def test_no_other_csv_writer_in_the_app():
    writers = []
    for path in sorted((ROOT / "app").rglob("*.py")):
        text = path.read_text(encoding="utf-8")
        if ".to_csv(" in text or "csv.writer(" in text or "csv.DictWriter(" in text:
            writers.append(path.relative_to(ROOT).as_posix())
    assert writers == ["app/io/csvfile.py"]


@pytest.mark.parametrize("value", ["=cmd", "+cmd", "-cmd", "@cmd", "\tcmd", "\rcmd"])
def test_every_formula_start_is_neutralised_in_headers_and_cells(value):
    rows = rows_of(csv_bytes(pd.DataFrame({value: [value], "n": [-1.5]})))
    assert rows == [["'" + value, "n"], ["'" + value, "-1.5"]]
