"""Placing things on paper: a Figure addressed in millimetres from the bottom-left corner,
with text sizes that grow with the paper, and every printed text recorded.

>>> from app.sheet.paper import SheetOptions
>>> page = Page(SheetOptions(size="A3", dpi=50), "landscape")
>>> page.width_mm, page.height_mm, round(page.scale, 3)
(420.0, 297.0, 1.414)
>>> round(page.paragraph(10, 100, 50, "Changning", 8), 1)  # the y below the text
94.6
>>> page.paragraph(10, 100, 50, "", 8) < 100, page.texts  # an empty text still takes a line
(True, ['Changning', ''])
"""

from __future__ import annotations

from collections.abc import Sequence

import matplotlib
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from app.io.export import LICENCE, SOURCES
from app.sheet.fonts import sheet_rc_params
from app.sheet.paper import PAPER_MM, SheetOptions
from app.sheet.words import wrap

__all__ = ["LINE_SPACING", "MARGIN_MM", "Page"]

#: Space around everything, in millimetres (at A4; more on larger paper).
MARGIN_MM = 10.0
#: Line height as a multiple of the font size.
LINE_SPACING = 1.35
_MM_PER_PT = 25.4 / 72


class Page:
    """A blank sheet: its Figure, size in mm, text scale, and the texts printed so far."""

    def __init__(self, options: SheetOptions, default_orientation: str) -> None:
        short, long = PAPER_MM[options.size]
        landscape = options.landscape(default_orientation)
        self.width_mm, self.height_mm = (long, short) if landscape else (short, long)
        self.landscape = landscape
        self.scale = short / PAPER_MM["A4"][0]
        self.margin = MARGIN_MM * self.scale
        self.figure = Figure(figsize=options.inches(default_orientation), dpi=options.dpi)
        FigureCanvasAgg(self.figure)
        self.figure.patch.set_facecolor("white")
        self.texts: list[str] = []

    def axes(self, x: float, y: float, w: float, h: float) -> Axes:
        """New axes over the rectangle (mm, from the bottom left)."""
        with matplotlib.rc_context(sheet_rc_params()):
            return self.figure.add_axes((x / self.width_mm, y / self.height_mm,
                                         w / self.width_mm, h / self.height_mm))

    def mm_axes(self, x: float, y: float, w: float, h: float) -> Axes:
        """Invisible axes over the rectangle whose data units are mm from its bottom left."""
        ax = self.axes(x, y, w, h)
        ax.set_xlim(0, w)
        ax.set_ylim(0, h)
        ax.set_axis_off()
        return ax

    def line_mm(self, size_pt: float) -> float:
        """Height of one text line at `size_pt` (unscaled) in mm."""
        return size_pt * self.scale * LINE_SPACING * _MM_PER_PT

    def text(self, x: float, y: float, text: str, size_pt: float, **style: object) -> None:
        """Print `text` at (x, y) mm (top-left aligned unless `style` says otherwise)."""
        style = {"ha": "left", "va": "top", **style}
        with matplotlib.rc_context(sheet_rc_params()):
            self.figure.text(x / self.width_mm, y / self.height_mm, text,
                             fontsize=size_pt * self.scale, **style)
        self.texts.append(text)

    def text_in(self, ax: Axes, x: float, y: float, text: str, size_pt: float,
                **style: object) -> None:
        """Print `text` at (x, y) in the data units of `ax` (an :meth:`mm_axes`)."""
        style = {"ha": "left", "va": "top", **style}
        ax.text(x, y, text, fontsize=size_pt * self.scale, **style)
        self.texts.append(text)

    def paragraph(self, x: float, y_top: float, width: float, text: str, size_pt: float,
                  max_lines: int | None = None, **style: object) -> float:
        """Print `text` wrapped to `width` mm from `y_top` down; returns the y below it.
        Lines beyond `max_lines` are cut, the last one kept shows an ellipsis."""
        lines = wrap(text, width / self.scale, size_pt)
        if max_lines is not None and len(lines) > max_lines:
            lines = lines[:max_lines]
            lines[-1] = lines[-1][:-1] + "…"
        return self.lines(x, y_top, lines, size_pt, **style)

    def lines(self, x: float, y_top: float, lines: Sequence[str], size_pt: float,
              **style: object) -> float:
        """Print one text per line from `y_top` down; returns the y below the last."""
        y = y_top
        for line in lines:
            self.text(x, y, line, size_pt, **style)
            y -= self.line_mm(size_pt)
        return y

    def footer(self, x: float, y_top: float, width: float, first: Sequence[str], lang: str,
               heading: str) -> float:
        """The sheet's foot: `first` (data version, date...) on one line, then the sources
        and their attribution, small. Returns the y below it."""
        y = self.paragraph(x, y_top, width, " · ".join(first), 6.5)
        y = self.paragraph(x, y, width, f"{heading}: " + "; ".join(SOURCES), 5.5)
        return self.paragraph(x, y, width, LICENCE, 5.5)
