"""The font sheets are drawn in: a CJK sans-serif found on the machine, never downloaded.

Sheets carry Chinese and English text, so they need a font covering both. The atlas does not
bundle one: it looks, through matplotlib's font list (fontconfig's fonts), for the families of
:data:`CJK_FAMILIES`, first Noto Sans CJK SC from Debian's ``fonts-noto-cjk`` (SIL Open Font
License 1.1; installed by ``.ci/install-browser``). Without any of them rendering stops with an
ExportError that says what to install, rather than drawing boxes for every Chinese character.

>>> cjk_font_family() in CJK_FAMILIES
True
>>> sheet_rc_params()["pdf.fonttype"]
3
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from matplotlib import font_manager

from app.errors import ExportError

__all__ = ["CJK_FAMILIES", "cjk_font_family", "sheet_rc_params"]

#: Font families tried in order: each covers simplified Chinese and Latin.
CJK_FAMILIES: tuple[str, ...] = (
    "Noto Sans CJK SC", "Source Han Sans SC", "Source Han Sans CN", "WenQuanYi Zen Hei",
    "WenQuanYi Micro Hei", "Droid Sans Fallback", "Noto Sans CJK JP",
)


@lru_cache(maxsize=1)
def cjk_font_family() -> str:
    """The first of :data:`CJK_FAMILIES` installed; ExportError with the install hint if none."""
    installed = {entry.name for entry in font_manager.fontManager.ttflist}
    for family in CJK_FAMILIES:
        if family in installed:
            return family
    raise ExportError("cannot draw a sheet: no CJK font found (looked for "
                      f"{', '.join(CJK_FAMILIES)}); install one, e.g. Debian's fonts-noto-cjk "
                      "(apt-get install fonts-noto-cjk), then remove matplotlib's font cache")


def sheet_rc_params() -> dict[str, Any]:
    """matplotlib settings every sheet is drawn and saved with: the CJK font, fonts embedded
    as Type 3 subsets (small files, text stays extractable) and fixed SVG ids (determinism)."""
    return {
        "font.family": [cjk_font_family()],
        "font.size": 8.0,
        "axes.unicode_minus": False,
        "pdf.fonttype": 3,
        "pdf.compression": 6,
        "svg.hashsalt": "changning-atlas",
        "path.simplify": True,
        "agg.path.chunksize": 20000,
    }
