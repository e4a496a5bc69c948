"""Paper, resolution and extent of a sheet: the options every sheet takes, checked on creation.

>>> options = SheetOptions(size="A4", orientation="landscape", dpi=100)
>>> options.pixels(), options.pixels("portrait")
((1169, 827), (1169, 827))
>>> SheetOptions(size="A3", orientation="portrait", dpi=50).pixels()
(585, 827)
>>> parse_bbox("121.36,31.19,121.44,31.23")
(121.36, 31.19, 121.44, 31.23)
>>> parse_bbox("121.44,31.19,121.36,31.23")
Traceback (most recent call last):
...
app.errors.FilterError: bbox '121.44,31.19,121.36,31.23': minlon must be less than maxlon
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

from app.domain.viewstate import LANGS
from app.errors import FilterError

__all__ = ["BBOX_LIMITS", "DEFAULT_BASE_URL", "DPI_RANGE", "ORIENTATIONS", "PAPER_MM", "SheetOptions",
           "parse_bbox"]

#: Paper sizes (ISO 216), portrait width x height in millimetres.
PAPER_MM: dict[str, tuple[float, float]] = {"A4": (210.0, 297.0), "A3": (297.0, 420.0)}
ORIENTATIONS: tuple[str, ...] = ("landscape", "portrait")
#: Resolutions a sheet may be rendered at (dots per inch).
DPI_RANGE: tuple[int, int] = (50, 600)
#: Where a bbox must lie (WGS-84 lon/lat): around Shanghai, as the map of one district.
BBOX_LIMITS: tuple[float, float, float, float] = (120.8, 30.6, 122.2, 31.9)
#: Base of the permalink on every sheet when no other is given (the app run locally).
DEFAULT_BASE_URL = "http://localhost:8501/"
_MM_PER_INCH = 25.4


def parse_bbox(text: str) -> tuple[float, float, float, float]:
    """``minlon,minlat,maxlon,maxlat`` (WGS-84) as four floats; FilterError naming what is wrong.

    >>> parse_bbox("121.4, 31.2, 121.41, 31.21")
    (121.4, 31.2, 121.41, 31.21)
    >>> parse_bbox("121.4,31.2,121.41")
    Traceback (most recent call last):
    ...
    app.errors.FilterError: bbox '121.4,31.2,121.41': need four numbers minlon,minlat,maxlon,maxlat
    >>> parse_bbox("1,2,3,4")
    Traceback (most recent call last):
    ...
    app.errors.FilterError: bbox '1,2,3,4': must lie within lon 120.8-122.2, lat 30.6-31.9 (Shanghai)
    """
    parts = [p.strip() for p in str(text).split(",")]
    try:
        values = tuple(float(p) for p in parts)
    except ValueError:
        values = ()
    if len(values) != 4 or not all(math.isfinite(v) for v in values):
        raise FilterError(f"bbox {text!r}: need four numbers minlon,minlat,maxlon,maxlat")
    minlon, minlat, maxlon, maxlat = values
    lo_lon, lo_lat, hi_lon, hi_lat = BBOX_LIMITS
    if not (lo_lon <= minlon <= hi_lon and lo_lon <= maxlon <= hi_lon
            and lo_lat <= minlat <= hi_lat and lo_lat <= maxlat <= hi_lat):
        raise FilterError(f"bbox {text!r}: must lie within lon {lo_lon}-{hi_lon}, "
                          f"lat {lo_lat}-{hi_lat} (Shanghai)")
    if minlon >= maxlon:
        raise FilterError(f"bbox {text!r}: minlon must be less than maxlon")
    if minlat >= maxlat:
        raise FilterError(f"bbox {text!r}: minlat must be less than maxlat")
    return minlon, minlat, maxlon, maxlat


_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")


@dataclass(frozen=True)
class SheetOptions:
    """How a sheet is rendered. Raises FilterError on creation naming a bad value.

    ``orientation`` None means the sheet's own default (landscape for a map sheet, portrait
    for a field sheet); ``bbox`` None means the district (map sheet) or the project's
    surroundings (field sheet).

    >>> SheetOptions(lang="fr")
    Traceback (most recent call last):
    ...
    app.errors.FilterError: lang 'fr': use one of zh, en
    >>> SheetOptions(dpi=10)
    Traceback (most recent call last):
    ...
    app.errors.FilterError: dpi 10: use a whole number from 50 to 600
    """

    lang: str = "zh"
    size: str = "A4"
    orientation: str | None = None
    dpi: int = 150
    bbox: tuple[float, float, float, float] | None = None
    base_url: str = DEFAULT_BASE_URL
    ref_layers: tuple[str, ...] | None = None  # None = the layers' defaults
    register: str = ""  # a saved register's name, for the permalink; "" = the built-in one
    asof: str | None = None  # the day the register is shown as of (YYYY-MM-DD); None = today

    def __post_init__(self) -> None:
        if self.lang not in LANGS:
            raise FilterError(f"lang {self.lang!r}: use one of {', '.join(LANGS)}")
        if self.size not in PAPER_MM:
            raise FilterError(f"size {self.size!r}: use one of {', '.join(PAPER_MM)}")
        if self.orientation is not None and self.orientation not in ORIENTATIONS:
            raise FilterError(f"orientation {self.orientation!r}: use one of {', '.join(ORIENTATIONS)}")
        if (isinstance(self.dpi, bool) or not isinstance(self.dpi, int)
                or not DPI_RANGE[0] <= self.dpi <= DPI_RANGE[1]):
            raise FilterError(f"dpi {self.dpi!r}: use a whole number from {DPI_RANGE[0]} to {DPI_RANGE[1]}")
        if self.bbox is not None:
            parse_bbox(",".join(str(v) for v in self.bbox))
        if not self.base_url.startswith(("http://", "https://")):
            raise FilterError(f"base URL {self.base_url!r}: must start with http:// or https://")
        if self.asof is not None and not _DAY.fullmatch(str(self.asof)):
            raise FilterError(f"as-of date {str(self.asof)[:40]!r}: write it YYYY-MM-DD")

    def landscape(self, default: str = "landscape") -> bool:
        """True when the sheet is landscape (`default` when no orientation was asked for)."""
        return (self.orientation or default) == "landscape"

    def pixels(self, default: str = "landscape") -> tuple[int, int]:
        """Width and height in pixels of the PNG: the paper at this DPI, rounded."""
        short, long = PAPER_MM[self.size]
        width, height = (long, short) if self.landscape(default) else (short, long)
        return round(width / _MM_PER_INCH * self.dpi), round(height / _MM_PER_INCH * self.dpi)

    def inches(self, default: str = "landscape") -> tuple[float, float]:
        """The figure size in inches that gives exactly :meth:`pixels` (the renderer truncates
        width x dpi, so a thousandth of a pixel is added against rounding down)."""
        return tuple((p + 1e-3) / self.dpi for p in self.pixels(default))  # type: ignore[return-value]
