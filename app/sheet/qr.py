"""QR codes on a sheet: a link as a black-and-white module matrix, drawn pixel-exact.

>>> matrix = qr_matrix("http://localhost:8501/?lang=en")
>>> matrix.shape[0] == matrix.shape[1], matrix.dtype.name, int(matrix[0].sum())  # quiet zone
(True, 'bool', 0)
>>> qr_matrix("")
Traceback (most recent call last):
...
app.errors.ExportError: a QR code needs a non-empty text
"""

from __future__ import annotations

import numpy as np
import segno
from matplotlib.axes import Axes

from app.errors import ExportError

__all__ = ["QUIET_ZONE", "draw_qr", "qr_matrix"]

#: Light modules around the code, as ISO/IEC 18004 asks (4), so scanners find its edges.
QUIET_ZONE = 4


def qr_matrix(text: str) -> np.ndarray:
    """The QR code of `text` (error correction level M, never a Micro QR) as a boolean matrix,
    True = dark module, with the quiet zone."""
    if not text:
        raise ExportError("a QR code needs a non-empty text")
    code = segno.make(text, error="m", micro=False, boost_error=False)
    return np.array([list(row) for row in code.matrix_iter(scale=1, border=QUIET_ZONE)], dtype=bool)


def draw_qr(ax: Axes, text: str, caption: str = "") -> None:
    """Draw the QR code of `text` filling `ax` (kept square), with `caption` under it."""
    matrix = qr_matrix(text)
    ax.imshow(~matrix, cmap="gray", vmin=0, vmax=1, interpolation="nearest", resample=False)
    ax.set_aspect("equal")
    ax.set_axis_off()
    if caption:
        ax.text(0.5, -0.02, caption, transform=ax.transAxes, ha="center", va="top", fontsize=7)
