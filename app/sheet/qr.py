"""QR codes on a sheet: a link as a black-and-white module matrix, drawn pixel-exact.

>>> matrix = qr_matrix("http://localhost:8501/?lang=en")
>>> matrix.shape[0] == matrix.shape[1], matrix.dtype.name, int(matrix[0].sum())  # quiet zone
(True, 'bool', 0)
>>> qr_matrix("")
Traceback (most recent call last):
...
app.errors.ExportError: a QR code needs a non-empty text
>>> fits_qr("x" * 400), fits_qr("x" * 500)
(True, False)
"""

from __future__ import annotations

import numpy as np
import segno
from matplotlib.axes import Axes

from app.errors import ExportError

__all__ = ["MAX_VERSION", "QUIET_ZONE", "draw_qr", "fits_qr", "qr_matrix"]

#: Light modules around the code, as ISO/IEC 18004 asks (4), so scanners find its edges.
QUIET_ZONE = 4
#: The largest QR version a sheet prints: 77 modules a side (412 bytes at level M), so that a
#: code 38 mm wide keeps modules of about 0.45 mm, which a phone still reads from a printout.
MAX_VERSION = 15


def _make(text: str) -> segno.QRCode | None:
    """The QR code of `text` at level M, or None when it needs more than :data:`MAX_VERSION`."""
    try:
        code = segno.make(text, error="m", micro=False, boost_error=False)
    except segno.DataOverflowError:
        return None
    return code if code.version <= MAX_VERSION else None


def fits_qr(text: str) -> bool:
    """Whether `text` fits one printable QR code (at most :data:`MAX_VERSION`, level M)."""
    return bool(text) and _make(text) is not None


def qr_matrix(text: str) -> np.ndarray:
    """The QR code of `text` (error correction level M, never a Micro QR, at most
    :data:`MAX_VERSION`) as a boolean matrix, True = dark module, with the quiet zone;
    ExportError when `text` is empty or too long."""
    if not text:
        raise ExportError("a QR code needs a non-empty text")
    code = _make(text)
    if code is None:
        raise ExportError(f"the link is {len(text.encode())} bytes, too long for a printable QR "
                          f"code (version {MAX_VERSION} holds 412 at level M): {text[:80]}…")
    return np.array([list(row) for row in code.matrix_iter(scale=1, border=QUIET_ZONE)], dtype=bool)


def draw_qr(ax: Axes, text: str, caption: str = "") -> None:
    """Draw the QR code of `text` filling `ax` (kept square), with `caption` under it."""
    matrix = qr_matrix(text)
    ax.imshow(~matrix, cmap="gray", vmin=0, vmax=1, interpolation="nearest", resample=False)
    ax.set_aspect("equal")
    ax.set_axis_off()
    if caption:
        ax.text(0.5, -0.02, caption, transform=ax.transAxes, ha="center", va="top", fontsize=7)
