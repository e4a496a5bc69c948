"""The font sheets are drawn in: Noto Sans CJK SC from the package index, found before any
system font.

Sheets carry Chinese and English text, so they need a font covering both. It comes with
``pip install``: the dependency ``noto-cjk-sans-otc`` ships Google's Noto Sans CJK (one
OpenType collection, SIL Open Font License 1.1, the licence in its wheel), which
:func:`cjk_font_family` registers with matplotlib ahead of the machine's own fonts, so a sheet
looks the same on every machine and needs neither root nor apt. Only when that package is
missing (an install that left it out) are the machine's fonts searched, for the families of
:data:`CJK_FAMILIES`; without any of them rendering stops with an ExportError saying what to
install, rather than drawing boxes for every Chinese character.

>>> cjk_font_family() in CJK_FAMILIES
True
>>> packaged_font() is None or packaged_font().name.endswith(".ttc")
True
>>> sheet_rc_params()["pdf.fonttype"]
3
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any

from matplotlib import font_manager

from app.errors import ExportError

__all__ = ["CJK_FAMILIES", "PACKAGED_FAMILY", "cjk_font_family", "packaged_font",
           "sheet_rc_params"]

#: The family the sheets use from the packaged collection (simplified Chinese glyph forms).
PACKAGED_FAMILY = "Noto Sans CJK SC"
#: Font families tried in order: each covers simplified Chinese and Latin.
CJK_FAMILIES: tuple[str, ...] = (
    PACKAGED_FAMILY, "Source Han Sans SC", "Source Han Sans CN", "WenQuanYi Zen Hei",
    "WenQuanYi Micro Hei", "Droid Sans Fallback", "Noto Sans CJK JP",
)


def packaged_font() -> Path | None:
    """The font file of the ``noto-cjk-sans-otc`` package, or None when it is not installed.

    >>> packaged_font() is None or packaged_font().is_file()
    True
    """
    try:
        import noto_cjk_sans_otc
    except ImportError:
        return None
    path = Path(str(noto_cjk_sans_otc.FONT_PATH))
    return path if path.is_file() else None


def _register_first(path: Path) -> None:
    """Add the faces of `path` to matplotlib's font list *in front* of every other font, so
    that a family name the machine also has (Debian's fonts-noto-cjk) resolves to this file."""
    manager = font_manager.fontManager
    if any(Path(entry.fname) == path for entry in manager.ttflist):
        return
    before = len(manager.ttflist)
    manager.addfont(str(path))
    added = manager.ttflist[before:]
    del manager.ttflist[before:]
    manager.ttflist[:0] = added
    manager._findfont_cached.cache_clear()  # addfont cleared it before the entries moved


@lru_cache(maxsize=1)
def cjk_font_family() -> str:
    """The packaged Noto Sans CJK SC, else the first of :data:`CJK_FAMILIES` installed;
    ExportError with the install hint if none."""
    packaged = packaged_font()
    if packaged is not None:
        _register_first(packaged)
    installed = {entry.name for entry in font_manager.fontManager.ttflist}
    for family in CJK_FAMILIES:
        if family in installed:
            return family
    raise ExportError("cannot draw a sheet: no CJK font found (looked for "
                      f"{', '.join(CJK_FAMILIES)}); reinstall the atlas with its dependencies "
                      "(pip install noto-cjk-sans-otc), or install a system CJK font such as "
                      "Debian's fonts-noto-cjk, then remove matplotlib's font cache")


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
