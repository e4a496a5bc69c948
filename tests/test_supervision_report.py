"""``python -m app report``: the supervision report as Excel (openpyxl reads it back: sheets,
frozen headers, filters, widths, real dates, text never a formula) and as PDF (pypdf reads it
back: every page numbered with the day and data version) -- its counts equal what
``export --where progress=…`` selects, on both stores."""

from __future__ import annotations

import io
import json
from datetime import datetime
from pathlib import Path

import pypdf
import pytest
from openpyxl import load_workbook

from app.cli.main import main
from app.data.atlas import load_atlas
from app.domain.i18n import t
from app.domain.model import PROGRESS
from app.domain.viewstate import district_today
from app.service.atlas import shown_atlas
from app.service.living import propose_edit, seed_register
from app.sheet.supervision import PDF_LAYOUT, page_count, supervision_report
from app.store import open_store
from tests import pg_support

postgis_server = pg_support.postgis_server
pg_url = pg_support.pg_url

TODAY = district_today().isoformat()
DONE_ID = "jingyao-hongqiao"  # 竣工 in 2025: completed on 2025-12-10
AGENCY_ID = "qingchi-road-care-home"  # 竣工 in 2025, overdue, its agency a would-be formula
FORMULA = '=HYPERLINK("http://evil.example","点我")'


@pytest.fixture(scope="module")
def base():
    return load_atlas()


@pytest.fixture(params=["sqlite", "postgis"])
def store(request: pytest.FixtureRequest, isolated_store: Path, monkeypatch, base):
    """The configured store (what export reads) seeded, with a completion and an agency."""
    if request.param == "postgis":
        url = request.getfixturevalue("pg_url")
        monkeypatch.setenv("ATLAS_DATABASE_URL", url)
        store = open_store(url)
    else:
        store = open_store(isolated_store)
    seed_register(store, base)
    atlas = shown_atlas(store=store, base=base).atlas
    rows = atlas.projects.set_index("id")
    propose_edit(store, atlas, DONE_ID, actor="李规划", reason="竣工验收",
                 stage=("completed", "2025-12-10", "竣工验收备案表"),
                 expected_version=int(rows.loc[DONE_ID, "edit_version"]))
    propose_edit(store, atlas, AGENCY_ID, actor="李规划", reason="明确牵头单位",
                 attributes={"lead_agency": FORMULA},
                 expected_version=int(rows.loc[AGENCY_ID, "edit_version"]))
    return store


def export_count(tmp_path: Path, progress: str) -> int:
    out = tmp_path / f"{progress}.geojson"
    assert main(["export", "--output", str(out), "--where", f"progress={progress}"]) == 0
    return len(json.loads(out.read_text(encoding="utf-8"))["features"])


def test_the_workbook(store, base, tmp_path, capsys):
    out = tmp_path / "督办.xlsx"
    assert main(["report", "--output", str(out), "--compare", "2025-06-01"]) == 0
    assert f"wrote the supervision report as of {TODAY}" in capsys.readouterr().out
    book = load_workbook(out)
    sections = [s for s in ("一", "二", "三", "四", "五", "六", "七")
                if s in set(base.projects["report_section"])]
    assert book.sheetnames == [t("report.sheet_agency", "zh"),
                               *(base.vocab.label("section", s, "zh") for s in sections),
                               t("report.sheet_changes", "zh"), t("report.sheet_about", "zh")]
    for sheet in book.worksheets:
        assert sheet.freeze_panes == "A2"
        assert sheet.auto_filter.ref == f"A1:{sheet.cell(1, sheet.max_column).column_letter}{sheet.max_row}"
        assert all(sheet.column_dimensions[c.column_letter].width >= 6 for c in sheet[1])

    # the summary by lead agency: the total row equals export --where progress=...
    summary = book.worksheets[0]
    header = [c.value for c in summary[1]]
    total = {header[i]: summary.cell(summary.max_row, i + 1).value for i in range(1, len(header))}
    for value in PROGRESS:
        assert total[t(f"supervision.progress_{value}", "zh")] == export_count(tmp_path, value), value
    assert total[t("supervision.total", "zh")] == len(base.projects)
    agencies = [summary.cell(r, 1).value for r in range(2, summary.max_row)]
    assert FORMULA in agencies and t("supervision.no_agency", "zh") in agencies

    # a section sheet: overdue first, with days past target, real dates and the stage's source
    first = book[base.vocab.label("section", "六", "zh")]
    cols = {c.value: c.column for c in first[1]}
    progress = [first.cell(r, cols[t("report.col_progress", "zh")]).value for r in range(2, first.max_row + 1)]
    assert progress[0] == t("supervision.progress_target_passed", "zh")
    assert progress.index(t("supervision.progress_no_target", "zh")) > progress.index(
        t("supervision.progress_target_passed", "zh"))
    target = first.cell(2, cols[t("report.col_target_day", "zh")])
    assert target.is_date and isinstance(target.value, datetime) and target.value.year == 2025
    days_late = first.cell(2, cols[t("report.col_days_past_target", "zh")]).value
    assert days_late == (district_today() - target.value.date()).days
    source = first.cell(2, cols[t("report.col_last_stage_source", "zh")]).value
    assert source.startswith("长宁区2025年政府工作报告")
    # text from the register is text: the would-be formula is a string cell
    agency = [first.cell(r, cols[t("report.col_lead_agency", "zh")]) for r in range(2, first.max_row + 1)]
    formula = [c for c in agency if c.value == FORMULA]
    assert len(formula) == 1 and formula[0].data_type == "s"

    # done: the completion, on the day it was reached
    section_one = book[base.vocab.label("section", "一", "zh")]
    cols = {c.value: c.column for c in section_one[1]}
    done = [r for r in range(2, section_one.max_row + 1)
            if section_one.cell(r, cols[t("report.col_id", "zh")]).value == DONE_ID][0]
    assert section_one.cell(done, cols[t("report.col_progress", "zh")]).value == t("supervision.progress_done", "zh")
    assert section_one.cell(done, cols[t("report.col_goal_date", "zh")]).value == datetime(2025, 12, 10)

    # the changes since the comparison day: one row per change
    changes = book[t("report.sheet_changes", "zh")]
    kinds = {changes.cell(r, 2).value: changes.cell(r, 1).value for r in range(2, changes.max_row + 1)}
    assert kinds == {DONE_ID: t("supervision.change_stage", "zh"),
                     AGENCY_ID: t("supervision.change_attributes", "zh")}


def test_the_pdf(store, base, tmp_path):
    out = tmp_path / "report.pdf"
    assert main(["report", "--output", str(out), "--lang", "en", "--asof", "2026-01-01"]) == 0
    reader = pypdf.PdfReader(io.BytesIO(out.read_bytes()))
    texts = [page.extract_text() for page in reader.pages]
    atlas = shown_atlas(store=store, base=base, asof="2026-01-01").atlas
    report = supervision_report(atlas, "2026-01-01", lang="en")
    assert len(reader.pages) == page_count(report) >= 2
    for n, text in enumerate(texts, start=1):
        assert f"Page {n} / {len(texts)}" in text
        assert "as of 2026-01-01" in text and atlas.data_version in text
    box = reader.pages[0].mediabox
    assert (round(float(box.width)), round(float(box.height))) == (595, 842)  # A4 portrait, points
    first = texts[0]
    assert first.index("Target passed, no completion recorded") < first.index("No target date")
    assert "Changning 2025 tasks: supervision report" in first
    due_2025 = int((base.projects["target_year"] == 2025).sum())
    assert report.counts["done"] == 1 and report.counts["target_passed"] == due_2025 - 1


def test_a_bad_request_exits_2_with_one_line(tmp_path, capsys):
    cases = [(["--output", str(tmp_path / "r.docx")], "the file name must end in .xlsx or .pdf"),
             (["--compare", "2024-06-01", "--output", str(tmp_path / "r.pdf")],
              "the comparison day 2024-06-01 is before the work report of 2025-01-08"),
             (["--asof", "2025-05-01", "--compare", "2025-06-01", "--output", str(tmp_path / "r.pdf")],
              "is not before the day it is compared with, 2025-05-01")]
    for args, message in cases:
        assert main(["report", *args]) == 2
        err = capsys.readouterr().err
        assert message in err and "Traceback" not in err
    assert not list(tmp_path.iterdir())


def test_the_layout_holds_a_page_of_rows():
    assert PDF_LAYOUT["lines_per_page"] * PDF_LAYOUT["line_pt"] / 72 * 25.4 < (
        PDF_LAYOUT["height_mm"] - 2 * PDF_LAYOUT["margin_mm"] - 14)
