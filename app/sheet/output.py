"""A rendered sheet and its files: PNG or PDF bytes, the same for the same inputs.

Determinism: no timestamp but the generation date printed on the sheet (PDF creation date
left out, fixed DPI, fixed SVG hash salt, fonts found by name); two renders of the same
selection on the same day give identical bytes.

>>> output_format("sheet.PDF"), output_format("a/b/sheet.png")
('pdf', 'png')
>>> output_format("sheet.svg")
Traceback (most recent call last):
...
app.errors.ExportError: sheet output 'sheet.svg': the file name must end in .png or .pdf
"""

from __future__ import annotations

import io
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import matplotlib
from matplotlib.figure import Figure

from app.errors import ExportError
from app.io.atomic import atomic_write
from app.io.naming import safe_output_path
from app.sheet.drawing import MapFrame
from app.sheet.fonts import sheet_rc_params

__all__ = ["SHEET_FORMATS", "Sheet", "output_format"]

#: Output formats by file suffix, with their MIME types.
SHEET_FORMATS: dict[str, str] = {"png": "image/png", "pdf": "application/pdf"}


def output_format(path: str | os.PathLike[str]) -> str:
    """'png' or 'pdf' from the file name's suffix; ExportError for anything else."""
    suffix = Path(path).suffix.lower().lstrip(".")
    if suffix not in SHEET_FORMATS:
        raise ExportError(f"sheet output {os.fspath(path)!r}: the file name must end in "
                          f"{' or '.join('.' + s for s in SHEET_FORMATS)}")
    return suffix


@dataclass
class Sheet:
    """A sheet drawn on a matplotlib Figure (no pyplot: nothing global, safe in a server).

    ``frames`` are its maps, the first being the main one; ``links`` the URLs its QR codes
    hold ('permalink', or 'amap' and 'baidu'); ``texts`` every text printed, in order.
    """

    figure: Figure
    kind: str
    title: str
    frames: tuple[MapFrame, ...] = ()
    links: Mapping[str, str] = field(default_factory=dict)
    texts: tuple[str, ...] = ()

    def pixel_of(self, lon: float, lat: float, frame: int = 0) -> tuple[float, float]:
        """PNG pixel (column, row from the top left) where a WGS-84 position lies on map `frame`."""
        return self.frames[frame].pixel_of(lon, lat)

    def to_bytes(self, fmt: str) -> bytes:
        """The sheet as 'png' or 'pdf' bytes, at the figure's DPI."""
        if fmt not in SHEET_FORMATS:
            raise ExportError(f"sheet format {fmt!r}: use one of {', '.join(SHEET_FORMATS)}")
        metadata = ({"Title": self.title, "Creator": "changning-atlas", "Producer": None,
                     "CreationDate": None} if fmt == "pdf" else {"Software": None})
        buffer = io.BytesIO()
        with matplotlib.rc_context(sheet_rc_params()):
            self.figure.savefig(buffer, format=fmt, dpi=self.figure.dpi, metadata=metadata)
        return buffer.getvalue()

    def write(self, path: str | os.PathLike[str]) -> Path:
        """Write the sheet atomically to `path` (.png or .pdf); ExportError naming what failed."""
        target = safe_output_path(path)
        return atomic_write(target, self.to_bytes(output_format(target)))
