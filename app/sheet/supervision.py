"""The supervision report (督办报告): the year's tasks by progress, as an Excel workbook or a PDF.

:func:`supervision_report` gathers what a supervision meeting needs from the atlas shown on a
day (:mod:`app.service.supervision`): every project of the selection, overdue items first --
with the days past target, the last recorded stage, its day and its source -- then those due
soon, on track, without target and done; counts by progress, by report section and by lead
agency; and, when a comparison day is given, what changed since (:mod:`app.service.compare`).

* :func:`report_xlsx`: a summary sheet by lead agency, one sheet per report section, the
  changes, and an "about" sheet (day, data version, filter, window). Every table has its header
  frozen, filters on and its columns sized; days are real dates. Text from the register is
  always written as text (a leading ``=`` never becomes a formula).
* :func:`report_pdf`: A4 portrait in the report's language (zh or en), drawn with matplotlib in
  the sheets' CJK font (:func:`app.sheet.fonts.sheet_rc_params`); every page carries the title,
  the day, the data version and its page number ("3 / 7").

The counts are the atlas's own ``progress`` values, so they equal what
``python -m app export --where progress=…`` selects.

>>> from app.data.atlas import load_atlas
>>> from app.service.supervision import with_progress
>>> report = supervision_report(with_progress(load_atlas(), "2026-01-01"), "2026-01-01", lang="en")
>>> report.counts["target_passed"], report.counts["total"] == len(report.rows)
(7, True)
>>> report_format("督办.XLSX"), report_format("x.pdf")
('xlsx', 'pdf')
"""

from __future__ import annotations

import io
import os
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import geopandas as gpd
import matplotlib
import pandas as pd
from matplotlib.backends.backend_pdf import PdfPages
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Rectangle
from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from app.data.atlas import Atlas
from app.domain.filters import Filter, apply_filter
from app.domain.i18n import field_label, t
from app.domain.model import PROGRESS, REPORT_SECTIONS
from app.errors import ExportError
from app.service.compare import CHANGE_KINDS
from app.service.supervision import due_soon_days, progress_counts, supervision_rows
from app.sheet.fonts import sheet_rc_params
from app.sheet.words import filter_words, fit, version_line

__all__ = [
    "PDF_LAYOUT",
    "REPORT_FORMATS",
    "SupervisionReport",
    "page_count",
    "report_bytes",
    "report_file_name",
    "report_format",
    "report_pdf",
    "report_xlsx",
    "supervision_report",
]

#: Report formats by file suffix, with their MIME types.
REPORT_FORMATS: dict[str, str] = {
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "pdf": "application/pdf",
}

#: The PDF's page: A4 portrait (mm), its margins, and the lines a page holds below its header.
PDF_LAYOUT: dict[str, float] = {"width_mm": 210.0, "height_mm": 297.0, "margin_mm": 14.0,
                                "line_pt": 11.5, "size_pt": 7.2, "lines_per_page": 62}

_NO_SECTION = ""
_SHEET_NAME = re.compile(r"[\[\]:*?/\\]")


@dataclass(frozen=True)
class SupervisionReport:
    """What a supervision report says, in one language: ``rows`` (one per project, overdue
    first; :func:`app.service.supervision.supervision_rows`), ``counts`` by progress, the
    ``changes`` since ``compare`` (None without a comparison), and where it all comes from."""

    rows: pd.DataFrame
    counts: dict[str, int]
    day: str
    data_version: str
    lang: str
    window: int
    filter_text: str
    atlas: Atlas = field(repr=False)
    compare: str | None = None
    changes: gpd.GeoDataFrame | None = None

    def title(self) -> str:
        """The report's title in its language."""
        return t("report.title", self.lang)


def supervision_report(atlas: Atlas, day: str, *, flt: Filter | None = None, lang: str = "zh",
                       changes: gpd.GeoDataFrame | None = None, compare: str | None = None,
                       window: int | None = None) -> SupervisionReport:
    """The report of the projects of `atlas` (shown on `day`, with ``progress``) that pass
    `flt`, in `lang`; `changes` are those since `compare` (:func:`app.service.compare.
    compare_days`), kept to the selection's projects (and the retired ones).

    >>> from app.data.atlas import load_atlas
    >>> from app.service.supervision import with_progress
    >>> atlas = with_progress(load_atlas(), "2026-01-01")
    >>> report = supervision_report(atlas, "2026-01-01", flt=Filter(values={"report_section": ("六",)}))
    >>> sorted(set(report.rows["report_section"])), report.counts["total"]
    (['六'], 14)
    >>> supervision_report(atlas, "2026-01-01", lang="fr")
    Traceback (most recent call last):
    app.errors.ExportError: a report is written in zh or en, not 'fr'
    """
    if lang not in ("zh", "en"):
        raise ExportError(f"a report is written in zh or en, not {lang!r}")
    flt = flt or Filter()
    window = due_soon_days() if window is None else window
    chosen = atlas.projects[apply_filter(atlas.projects, flt).to_numpy()]
    rows = supervision_rows(chosen, atlas.vocab, day, window=window)
    if changes is not None and len(changes):
        keep = changes["project_id"].isin(set(chosen["id"].astype(str))) | (
            changes["change"] == "retired")
        changes = changes[keep.to_numpy()].reset_index(drop=True)
    counts = {str(k): int(v) for k, v in progress_counts(rows).items()}
    return SupervisionReport(rows=rows, counts=counts, day=day,
                             data_version=atlas.data_version, lang=lang, window=window,
                             filter_text=filter_words(atlas, flt, lang), atlas=atlas,
                             compare=compare, changes=changes)


def report_format(path: str | os.PathLike[str]) -> str:
    """'xlsx' or 'pdf' from the file name's suffix; ExportError for anything else."""
    suffix = Path(path).suffix.lower().lstrip(".")
    if suffix not in REPORT_FORMATS:
        raise ExportError(f"report output {os.fspath(path)!r}: the file name must end in "
                          f"{' or '.join('.' + s for s in REPORT_FORMATS)}")
    return suffix


def report_file_name(report: SupervisionReport, fmt: str) -> str:
    """The suggested download name.

    >>> from app.data.atlas import load_atlas
    >>> from app.service.supervision import with_progress
    >>> report = supervision_report(with_progress(load_atlas(), "2026-01-01"), "2026-01-01")
    >>> report_file_name(report, "pdf")
    'changning-supervision-2026-01-01.pdf'
    """
    since = f"-since-{report.compare}" if report.compare else ""
    return f"changning-supervision-{report.day}{since}.{fmt}"


def report_bytes(report: SupervisionReport, fmt: str) -> bytes:
    """The report as ``xlsx`` or ``pdf`` bytes."""
    if fmt == "xlsx":
        return report_xlsx(report)
    if fmt == "pdf":
        return report_pdf(report)
    raise ExportError(f"a report is written as {' or '.join(REPORT_FORMATS)}, not {fmt!r}")


# -- the words ------------------------------------------------------------------------------

def _progress_label(value: str, lang: str, *, short: bool = False) -> str:
    key = f"report.short_{value}" if short else f"supervision.progress_{value}"
    return t(key, lang) if value in PROGRESS else value


def _stage_label(report: SupervisionReport, stage: str) -> str:
    return report.atlas.vocab.status_label(stage, report.lang) if stage else ""


def _section_label(report: SupervisionReport, section: str) -> str:
    if section == _NO_SECTION:
        return t("report.no_section", report.lang)
    return report.atlas.vocab.label("section", section, report.lang)


def _sections(report: SupervisionReport) -> list[str]:
    """The report sections of the rows, in the report's order (rows without one last)."""
    present = set(report.rows["report_section"].fillna("").astype(str)) if len(report.rows) else set()
    return [s for s in REPORT_SECTIONS if s in present] + (
        [_NO_SECTION] if present - set(REPORT_SECTIONS) else [])


def _section_rows(report: SupervisionReport, section: str) -> pd.DataFrame:
    sections = report.rows["report_section"].fillna("").astype(str)
    if section == _NO_SECTION:
        return report.rows[~sections.isin(REPORT_SECTIONS)]
    return report.rows[sections == section]


def _agency(report: SupervisionReport) -> pd.DataFrame:
    """Counts by lead agency (unrecorded ones together, last), then the total row."""
    frame = report.rows.assign(lead_agency=report.rows.get(
        "lead_agency", pd.Series("", index=report.rows.index)).fillna("").astype(str).str.strip())
    table = progress_counts(frame, "lead_agency")
    order = sorted(i for i in table.index if i) + ([""] if "" in table.index else [])
    table = table.reindex(order)
    table.index = [i or t("supervision.no_agency", report.lang) for i in table.index]
    total = pd.DataFrame([[report.counts[c] for c in table.columns]], columns=table.columns,
                         index=[t("supervision.total", report.lang)])
    return pd.concat([table, total])


def _by_section(report: SupervisionReport) -> pd.DataFrame:
    frame = report.rows.assign(report_section=report.rows["report_section"].fillna("").astype(str))
    table = progress_counts(frame, "report_section")
    table = table.reindex([s for s in _sections(report) if s in table.index])
    table.index = [_section_label(report, s) for s in table.index]
    return table


#: The columns of a section's table, in order: (row column, kind) -- kind says how to write it.
_PROJECT_COLUMNS: tuple[tuple[str, str], ...] = (
    ("progress", "progress"), ("days_past_target", "int"), ("target_day", "date"),
    ("id", "text"), ("name", "text"), ("lead_agency", "text"), ("action", "text"),
    ("last_stage", "stage"), ("last_stage_date", "date"), ("last_stage_source", "text"),
    ("days_since_update", "int"), ("goal_date", "date"), ("layer", "layer"),
    ("subdistrict", "text"), ("report_paragraph", "text"))


def _header(report: SupervisionReport, name: str) -> str:
    key = f"report.col_{name}"
    text = t(key, report.lang)
    return field_label(name, report.lang) if text == key else text


def _value(report: SupervisionReport, row: pd.Series, name: str, kind: str) -> object:
    """One cell of a project's row: dates as dates, counts as ints, codes as labels."""
    if name == "name":
        return str(row.get("name_en" if report.lang == "en" else "name_zh") or "")
    value = row.get(name)
    if value is None or value is pd.NA or (isinstance(value, float) and pd.isna(value)):
        return None
    if kind == "date":
        return date.fromisoformat(str(value)) if value else None
    if kind == "int":
        return int(value)
    if kind in ("progress", "short_progress"):
        return _progress_label(str(value), report.lang, short=kind == "short_progress")
    if kind == "stage":
        return _stage_label(report, str(value))
    if kind == "layer":
        return next((s.title(report.lang) for s in report.atlas.specs if s.id == value), str(value))
    return str(value)


#: The columns of the changes table: (row column, kind).
_CHANGE_COLUMNS: tuple[tuple[str, str], ...] = (
    ("change", "change"), ("project_id", "text"), ("name", "text"), ("report_section", "text"),
    ("lead_agency", "text"), ("stage_from", "stage"), ("stage_to", "stage"),
    ("distance_m", "float"), ("fields", "fields"), ("old", "text"), ("new", "text"))


def _change_value(report: SupervisionReport, row: pd.Series, name: str, kind: str) -> object:
    if name == "name":
        return str(row.get("name_en" if report.lang == "en" else "name_zh") or "")
    value = row.get(name)
    if kind == "fields":
        return ", ".join(value) if isinstance(value, list | tuple) else ""
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return None
    if kind == "change":
        return t(f"supervision.change_{value}", report.lang)
    if kind == "stage":
        return _stage_label(report, str(value))
    if kind == "float":
        return round(float(value), 1)
    return str(value)


# -- Excel ----------------------------------------------------------------------------------

def _text_width(value: object) -> int:
    """Width of a cell's text in character units (a CJK character counts two)."""
    if isinstance(value, date):
        return 10
    text = str(value if value is not None else "")
    return sum(2 if ord(c) > 0x2E7F else 1 for c in text)


def _sheet_title(text: str, taken: set[str]) -> str:
    """A valid, unique sheet name (31 characters, none of []:*?/\\)."""
    name = _SHEET_NAME.sub(" ", text).strip()[:31] or "sheet"
    base, n = name, 2
    while name in taken:
        name = f"{base[:28]} {n}"
        n += 1
    taken.add(name)
    return name


def _table(sheet, headers: Sequence[str], rows: Sequence[Sequence[object]]) -> None:
    """Write a table on `sheet`: the header frozen and filtered, dates as dates, text as
    text, columns as wide as their content (within reason)."""
    bold = Font(bold=True)
    fill = PatternFill("solid", fgColor="E8EEF4")
    sheet.append(list(headers))
    for cell in sheet[1]:
        cell.font, cell.fill = bold, fill
        cell.alignment = Alignment(vertical="center", wrap_text=False)
    for values in rows:
        sheet.append([None] * len(headers))
        r = sheet.max_row
        for c, value in enumerate(values, start=1):
            cell = sheet.cell(row=r, column=c)
            if isinstance(value, str):
                cell.value = ILLEGAL_CHARACTERS_RE.sub("", value)
                cell.data_type = "s"  # never a formula, whatever the text starts with
            else:
                cell.value = value
                if isinstance(value, date):
                    cell.number_format = "yyyy-mm-dd"
    sheet.freeze_panes = "A2"
    last = get_column_letter(len(headers))
    sheet.auto_filter.ref = f"A1:{last}{max(sheet.max_row, 1)}"
    for c, header in enumerate(headers, start=1):
        widths = [_text_width(header)] + [_text_width(v[c - 1]) for v in rows[:2000]]
        sheet.column_dimensions[get_column_letter(c)].width = min(max(widths) + 2, 60)


def report_xlsx(report: SupervisionReport) -> bytes:
    """The report as an Excel workbook (module doc).

    >>> import io
    >>> from openpyxl import load_workbook
    >>> from app.data.atlas import load_atlas
    >>> from app.service.supervision import with_progress
    >>> report = supervision_report(with_progress(load_atlas(), "2026-01-01"), "2026-01-01", lang="en")
    >>> book = load_workbook(io.BytesIO(report_xlsx(report)))
    >>> book.sheetnames[0], book.sheetnames[-1], book.worksheets[1].freeze_panes
    ('By lead agency', 'About', 'A2')
    """
    book = Workbook()
    lang = report.lang
    taken: set[str] = set()
    summary = book.active
    summary.title = _sheet_title(t("report.sheet_agency", lang), taken)
    agency = _agency(report)
    _table(summary, [t("report.col_agency", lang), *(_progress_label(p, lang) for p in PROGRESS),
                     t("supervision.total", lang)],
           [[name, *(int(v) for v in values)] for name, values in zip(agency.index, agency.to_numpy(),
                                                                      strict=True)])
    for section in _sections(report):
        sheet = book.create_sheet(_sheet_title(_section_label(report, section), taken))
        rows = _section_rows(report, section)
        _table(sheet, [_header(report, n) for n, _ in _PROJECT_COLUMNS],
               [[_value(report, row, n, k) for n, k in _PROJECT_COLUMNS] for _, row in rows.iterrows()])
    if report.compare is not None:
        sheet = book.create_sheet(_sheet_title(t("report.sheet_changes", lang), taken))
        changes = report.changes if report.changes is not None else pd.DataFrame()
        _table(sheet, [_header(report, n) for n, _ in _CHANGE_COLUMNS],
               [[_change_value(report, row, n, k) for n, k in _CHANGE_COLUMNS]
                for _, row in changes.iterrows()])
    about = book.create_sheet(_sheet_title(t("report.sheet_about", lang), taken))
    _table(about, [t("report.col_item", lang), t("report.col_detail", lang)], _about(report))
    book.properties.title = report.title()
    book.properties.creator = "changning-atlas"
    book.properties.subject = version_line(report.data_version, report.day, lang)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _about(report: SupervisionReport) -> list[list[object]]:
    lang = report.lang
    lines = [
        [t("report.about_title", lang), report.title()],
        [t("report.about_day", lang), date.fromisoformat(report.day)],
        [t("report.about_version", lang), report.data_version],
        [t("report.about_filter", lang), report.filter_text],
        [t("report.about_window", lang), report.window],
        [t("report.about_goals", lang), t("report.goals_note", lang)],
    ]
    if report.compare is not None:
        lines.insert(2, [t("report.about_compare", lang), date.fromisoformat(report.compare)])
    return lines


# -- PDF ------------------------------------------------------------------------------------

@dataclass(frozen=True)
class _Line:
    """One line of the PDF's flow: a heading, a note, a table's header or row, or space."""

    kind: str  # "heading", "note", "header", "row" or "space"
    cells: tuple[str, ...]
    widths: tuple[float, ...] = ()  # mm per cell (tables)
    align: tuple[str, ...] = ()


def _cells(texts: Sequence[object], widths: Sequence[float], size: float) -> tuple[str, ...]:
    return tuple(fit("" if v is None else (v.isoformat() if isinstance(v, date) else str(v)),
                     w - 1.5, size) for v, w in zip(texts, widths, strict=True))


def _pdf_lines(report: SupervisionReport) -> list[_Line]:
    """The report as a flow of lines (each one line high), before it is cut into pages."""
    lang, size = report.lang, PDF_LAYOUT["size_pt"]
    width = PDF_LAYOUT["width_mm"] - 2 * PDF_LAYOUT["margin_mm"]
    lines = [_Line("note", (t("report.about_filter", lang) + ": " + report.filter_text,)),
             _Line("note", (t("report.summary_note", lang).format(window=report.window),))]

    def table(title: str, headers: Sequence[str], rows: Sequence[Sequence[object]],
              widths: Sequence[float], numeric: Sequence[bool]) -> None:
        scale = width / sum(widths)
        widths = tuple(w * scale for w in widths)
        align = tuple("right" if n else "left" for n in numeric)
        if lines:
            lines.append(_Line("space", ()))
        lines.append(_Line("heading", (title,)))
        lines.append(_Line("header", _cells(headers, widths, size), widths, align))
        lines.extend(_Line("row", _cells(r, widths, size), widths, align) for r in rows)
        if not rows:
            lines.append(_Line("note", (t("report.none", lang),)))

    counts = [_progress_label(p, lang) for p in PROGRESS] + [t("supervision.total", lang)]
    table(t("report.by_progress", lang), [t("progress", lang), t("report.col_count", lang)],
          [[label, int(report.counts[key])] for label, key in zip(counts, [*PROGRESS, "total"],
                                                                  strict=True)],
          (80, 20), (False, True))
    for title, frame in ((t("supervision.by_section", lang), _by_section(report)),
                         (t("supervision.by_agency", lang), _agency(report))):
        table(title, ["", *(_progress_label(p, lang, short=True) for p in PROGRESS),
                      t("supervision.total", lang)],
              [[name, *(int(v) for v in values)] for name, values in zip(frame.index, frame.to_numpy(),
                                                                          strict=True)],
              (52, 20, 14, 14, 14, 14, 12), (False, *([True] * 6)))
    columns = (("progress", "short_progress", 20), ("days_past_target", "int", 14),
               ("target_day", "date", 17), ("name", "text", 44), ("lead_agency", "text", 22),
               ("last_stage", "stage", 16), ("last_stage_date", "date", 17),
               ("last_stage_source", "text", 30), ("days_since_update", "int", 14))
    short = {"days_past_target": t("report.short_days_past_target", lang),
             "days_since_update": t("report.short_days_since_update", lang)}
    for section in _sections(report):
        rows = _section_rows(report, section)
        table(_section_label(report, section),
              [short.get(n) or _header(report, n) for n, _, _ in columns],
              [[_value(report, row, n, k) for n, k, _ in columns] for _, row in rows.iterrows()],
              tuple(w for _, _, w in columns), tuple(k == "int" for _, k, _ in columns))
    if report.compare is not None:
        changes = report.changes if report.changes is not None else pd.DataFrame()
        ccols = (("change", "change", 20), ("name", "text", 50), ("stage_from", "stage", 20),
                 ("stage_to", "stage", 20), ("distance_m", "float", 16), ("fields", "fields", 44))
        order = {k: i for i, k in enumerate(CHANGE_KINDS)}
        ranked = changes.iloc[sorted(range(len(changes)), key=lambda i: order.get(
            changes["change"].iloc[i], 9))] if len(changes) else changes
        table(t("report.changes", lang).format(old=report.compare, new=report.day),
              [_header(report, n) for n, _, _ in ccols],
              [[_change_value(report, row, n, k) for n, k, _ in ccols] for _, row in ranked.iterrows()],
              tuple(w for _, _, w in ccols), tuple(k == "float" for _, k, _ in ccols))
    return lines


def _pages(lines: list[_Line]) -> list[list[_Line]]:
    """The flow cut into pages; a heading never ends a page, a table's header is repeated at
    the top of a page its rows continue on."""
    per_page = int(PDF_LAYOUT["lines_per_page"])
    pages: list[list[_Line]] = [[]]
    header: _Line | None = None
    for line in lines:
        if line.kind == "heading":
            header = None
        elif line.kind == "header":
            header = line
        page = pages[-1]
        room = per_page - len(page)
        needs = 3 if line.kind == "heading" else 1  # a heading keeps its header and a row
        if line.kind == "space" and (room < 4 or not page):
            if room < 4:
                pages.append([])
            continue  # no space at the top or the foot of a page
        if room < needs or (line.kind == "header" and room < 2):
            page = []
            pages.append(page)
            if line.kind == "row" and header is not None:
                page.append(header)
        page.append(line)
    return [p for p in pages if p] or [[]]


def _draw_page(fig: Figure, report: SupervisionReport, lines: list[_Line], number: int,
               total: int) -> None:
    lang = report.lang
    w_mm, h_mm, m = PDF_LAYOUT["width_mm"], PDF_LAYOUT["height_mm"], PDF_LAYOUT["margin_mm"]
    size, step = PDF_LAYOUT["size_pt"], PDF_LAYOUT["line_pt"] / 72 * 25.4

    def at(x_mm: float, y_mm: float) -> tuple[float, float]:  # from the top left, in mm
        return x_mm / w_mm, 1 - y_mm / h_mm

    fig.text(*at(m, m), report.title(), fontsize=12, fontweight="bold", va="top")
    fig.text(*at(w_mm - m, m), t("report.page", lang).format(n=number, total=total),
             fontsize=8, ha="right", va="top")
    fig.text(*at(m, m + 6.5), version_line(report.data_version, report.day, lang)
             + (" · " + t("report.since", lang).format(d=report.compare) if report.compare else ""),
             fontsize=7.5, va="top", color="#444444")
    fig.add_artist(Line2D([m / w_mm, 1 - m / w_mm], [at(0, m + 11)[1]] * 2,
                                           color="#999999", linewidth=0.5))
    y = m + 14
    for line in lines:
        if line.kind == "space":
            pass
        elif line.kind in ("heading", "note"):
            bold = line.kind == "heading"
            fig.text(*at(m, y + step * 0.75), fit(line.cells[0], w_mm - 2 * m, 9 if bold else size),
                     fontsize=9 if bold else size, fontweight="bold" if bold else "normal",
                     va="baseline", color="#000000" if bold else "#444444")
        else:
            x = m
            if line.kind == "header":
                fig.add_artist(Rectangle(
                    at(m, y + step), (w_mm - 2 * m) / w_mm, step / h_mm, facecolor="#e8eef4",
                    edgecolor="none"))
            for text, width, align in zip(line.cells, line.widths, line.align, strict=True):
                anchor = x + width - 1 if align == "right" else x + 0.5
                fig.text(*at(anchor, y + step * 0.75), text, fontsize=size, va="baseline",
                         ha=align, fontweight="bold" if line.kind == "header" else "normal")
                x += width
        y += step
    fig.text(*at(m, h_mm - m + 4), fit(t("report.footer", lang), w_mm - 2 * m, 6.5), fontsize=6.5,
             color="#666666", va="top")


def report_pdf(report: SupervisionReport) -> bytes:
    """The report as an A4 PDF in its language (module doc); the same bytes for the same
    report on the same day (no creation date).

    >>> import io, pypdf
    >>> from app.data.atlas import load_atlas
    >>> from app.service.supervision import with_progress
    >>> report = supervision_report(with_progress(load_atlas(), "2026-01-01"), "2026-01-01", lang="en")
    >>> reader = pypdf.PdfReader(io.BytesIO(report_pdf(report)))
    >>> pages = len(reader.pages); "1 / " + str(pages) in reader.pages[0].extract_text()
    True
    """
    pages = _pages(_pdf_lines(report))
    buffer = io.BytesIO()
    size = (PDF_LAYOUT["width_mm"] / 25.4, PDF_LAYOUT["height_mm"] / 25.4)
    metadata = {"Title": report.title(), "Creator": "changning-atlas", "Producer": None,
                "CreationDate": None, "Subject": version_line(report.data_version, report.day,
                                                               report.lang)}
    with matplotlib.rc_context(sheet_rc_params()), PdfPages(buffer, metadata=metadata) as pdf:
        for number, lines in enumerate(pages, start=1):
            fig = Figure(figsize=size)
            _draw_page(fig, report, lines, number, len(pages))
            pdf.savefig(fig)
    return buffer.getvalue()


def page_count(report: SupervisionReport) -> int:
    """How many pages :func:`report_pdf` draws for `report`."""
    return len(_pages(_pdf_lines(report)))
