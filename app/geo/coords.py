"""Coordinates as imported registers write them: parse the cell, declare the CRS.

Two steps, each pure (the third, checking the point, is ``app.geo.position.check_position``):

1. :func:`parse_coordinate` reads one cell: a number, a decimal string, full-width digits
   (``１２１．４２``) or degrees-minutes-seconds (``121°25′30″E``, ``北纬31度13分``). Empty
   cells and the usual "no value" spellings (``NaN``, ``null``, ``-``, ``无``) are *missing*,
   not zero. Anything else raises :class:`~app.errors.CoordinateError`.
2. :func:`parse_source_crs` reads the declared CRS: ``wgs84`` / ``gcj02`` / ``bd09`` (and the
   aliases :func:`app.geo.crs.normalize_crs` knows), or an EPSG code such as ``EPSG:32651`` for
   projected data.

Every fix and every rejection is a :class:`Problem` with a code, what was done, and a message
quoting the value; nothing is corrected silently.

>>> parse_coordinate("１２１．４２")
ParsedCoordinate(value=121.42, fixes=('full-width',))
>>> parse_coordinate("31°13'30\\"N").value
31.225
>>> parse_coordinate("NaN")
ParsedCoordinate(value=None, fixes=())
>>> parse_coordinate("121,42")
Traceback (most recent call last):
...
app.errors.CoordinateError: not a coordinate: '121,42' (use a decimal point, e.g. 121.42, or degrees-minutes-seconds such as 121°25′12″E)
"""

from __future__ import annotations

import math
import re
import unicodedata
from dataclasses import dataclass
from functools import cache
from numbers import Real

import numpy as np
from pyproj import CRS
from pyproj.exceptions import CRSError

from app.errors import CoordinateError, UnknownCRSError
from app.geo.crs import CRS_NAMES, normalize_crs

__all__ = [
    "MAX_CELL_CHARS",
    "MISSING_TEXTS",
    "PROBLEM_ACTIONS",
    "ParsedCoordinate",
    "Problem",
    "SourceCRS",
    "parse_coordinate",
    "parse_dms",
    "parse_source_crs",
]

#: The longest coordinate cell read, in characters; a longer one is refused before parsing.
#: Generous for any real notation (北纬31度13分30.123456秒 is 20), and it keeps every parse
#: of user text to a few microseconds whatever the file holds.
MAX_CELL_CHARS = 200

_MAX_CRS_CHARS = 64  # 'EPSG:32651' is 10; the longest alias is 7

#: Cell texts that mean "no value" (compared after NFKC and case folding).
MISSING_TEXTS: frozenset[str] = frozenset(
    {"", "nan", "none", "null", "na", "n/a", "#n/a", "-", "--", "—", "——", "无", "空", "缺失"})

#: What the importer did about a problem: fixed it (and says so), rejected the row, or only notes it.
PROBLEM_ACTIONS: tuple[str, ...] = ("fixed", "rejected", "note")

_DECIMAL = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:e[+-]?\d+)?")
_HEMISPHERES = (("北纬", "N"), ("南纬", "S"), ("东经", "E"), ("西经", "W"), ("北", "N"),
                ("南", "S"), ("东", "E"), ("西", "W"))
# Degree, minute and second marks as people type them, folded to ASCII before parsing.
_MARKS = str.maketrans({"º": "°", "˚": "°", "′": "'", "’": "'", "‘": "'", "″": '"', "”": '"',
                        "“": '"', "度": "°", "分": "'", "秒": '"'})
# A DMS body once hemisphere markers are gone: degrees, optional minutes, optional seconds.
# Linear time by construction: every run of digits is bounded, and a separator is required
# between two parts, so there is exactly one way to split a body into parts. (The pattern this
# replaces let `\d+` parts touch, and a cell of 800 digits took ten seconds to refuse.)
_DMS = re.compile(
    r"(?P<sign>[+-])?(?P<deg>\d{1,3}(?:\.\d{1,20})?)"
    r"(?:[°d: ](?P<min>\d{1,2}(?:\.\d{1,20})?)"
    r"(?:['m: ](?P<sec>\d{1,2}(?:\.\d{1,20})?)[\"s]?|['m])?"
    r"|[°d])?"
)
_MINUS = {"\u2212": "-", "\u2012": "-", "\u2013": "-", "\ufe63": "-"}


@dataclass(frozen=True)
class Problem:
    """A problem with one row's input and what was done about it.

    >>> Problem("swapped", "fixed", "lon and lat were swapped").action
    'fixed'
    >>> Problem("swapped", "guessed", "x")
    Traceback (most recent call last):
    ...
    ValueError: problem action must be one of ('fixed', 'rejected', 'note'), got 'guessed'
    """

    code: str
    action: str
    message: str

    def __post_init__(self) -> None:
        if self.action not in PROBLEM_ACTIONS:
            raise ValueError(f"problem action must be one of {PROBLEM_ACTIONS}, got {self.action!r}")
        if not self.code or not self.message:
            raise ValueError(f"a problem needs a code and a message, got {self.code!r}, {self.message!r}")

    def to_dict(self) -> dict[str, str]:
        """Plain data for the JSON report."""
        return {"code": self.code, "action": self.action, "message": self.message}


@dataclass(frozen=True)
class ParsedCoordinate:
    """One parsed cell: its value in decimal units (None = missing) and the fixes applied."""

    value: float | None
    fixes: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if self.value is not None and not math.isfinite(self.value):
            raise ValueError(f"a parsed coordinate must be finite, got {self.value!r}")


def _check_length(text: str) -> None:
    """CoordinateError when a cell is longer than MAX_CELL_CHARS (quoting its start only)."""
    if len(text) > MAX_CELL_CHARS:
        raise CoordinateError(
            f"coordinate cell too long: {len(text)} characters (at most {MAX_CELL_CHARS} are "
            f"read), starting {text[:20]!r}")


def _fold(text: str) -> tuple[str, bool]:
    """NFKC-fold `text`; True when that changed any full-width character."""
    folded = unicodedata.normalize("NFKC", text)
    for char, plain in _MINUS.items():
        folded = folded.replace(char, plain)
    full_width = any("\uff01" <= c <= "\uff5e" or c == "\u3000" for c in text)
    return folded.strip(), full_width


def parse_dms(text: str) -> float:
    """Degrees-minutes-seconds (or degrees with a hemisphere) to signed decimal degrees.

    Accepts ``°′″``, ASCII ``d m s`` / ``' "``, Chinese ``度分秒``, colons or spaces between the
    parts, and a hemisphere as a letter (``N S E W``) or in Chinese (``北纬``, ``东经``) before or
    after the number. South and west are negative. Minutes and seconds must be below 60 and only
    the last part may have decimals; parts are separated (``31°13′``, ``31 13``, ``31:13``), and
    degrees have at most 3 digits, minutes and seconds 2. Text longer than
    :data:`MAX_CELL_CHARS` is refused unread.

    >>> parse_dms("121°25′30.5″E"), parse_dms("北纬31度13分30秒")
    (121.4251388888889, 31.225)
    >>> parse_dms("33 51 S")
    -33.85
    >>> parse_dms("31°75′N")
    Traceback (most recent call last):
    ...
    app.errors.CoordinateError: minutes must be below 60 in '31°75′N'
    """
    if not isinstance(text, str):
        raise CoordinateError(f"degrees-minutes-seconds must be text, got {type(text).__name__} {text!r}")
    _check_length(text)
    body = _fold(text.translate(_MARKS))[0].translate(_MARKS).casefold()
    body = body.replace("''", '"')
    hemisphere = None
    for marker, code in (*_HEMISPHERES, *((c.lower(), c) for c in "NSEW")):
        if body.startswith(marker):
            hemisphere, body = code, body[len(marker):].strip()
            break
    suffix = None
    for marker, code in _HEMISPHERES:
        if body.endswith(marker):
            suffix = (marker, code)
            break
    else:
        last, before = body[-1:], body[-2:-1]
        # a trailing 's' right after a digit is the seconds mark (30s), not south
        if last in ("n", "e", "w") or (last == "s" and before and not before.isdigit()):
            suffix = (last, last.upper())
    if suffix is not None:
        if hemisphere is not None:
            raise CoordinateError(f"two hemispheres in {text!r}")
        hemisphere, body = suffix[1], body[: -len(suffix[0])].strip()
    body = re.sub(r"\s*([°'\":])\s*", r"\1", re.sub(r"\s+", " ", body)).strip()
    match = _DMS.fullmatch(body)
    if not body or match is None:
        raise CoordinateError(f"not degrees-minutes-seconds: {text!r}")
    deg, minutes, seconds = match["deg"], match["min"], match["sec"]
    parts = [p for p in (deg, minutes, seconds) if p is not None]
    if any("." in p for p in parts[:-1]):
        raise CoordinateError(f"only the last part may have decimals in {text!r}")
    m = float(minutes) if minutes is not None else 0.0
    s = float(seconds) if seconds is not None else 0.0
    if m >= 60:
        raise CoordinateError(f"minutes must be below 60 in {text!r}")
    if s >= 60:
        raise CoordinateError(f"seconds must be below 60 in {text!r}")
    value = (float(deg) * 3600.0 + m * 60.0 + s) / 3600.0  # one rounding, so 31°13′30″ is 31.225
    if match["sign"] == "-":
        if hemisphere is not None:
            raise CoordinateError(f"both a minus sign and a hemisphere in {text!r}")
        value = -value
    if hemisphere in ("S", "W"):
        value = -value
    if not math.isfinite(value):
        raise CoordinateError(f"not a finite coordinate: {text!r}")
    return value


def parse_coordinate(value: object) -> ParsedCoordinate:
    """Parse one coordinate cell; None value = missing. CoordinateError when unreadable.

    Numbers pass through (NaN is missing, infinity is an error). Text is NFKC-folded, so
    full-width digits and points work and are recorded as the fix ``full-width``; DMS or
    hemisphere notation is recorded as ``dms``. A decimal comma is refused rather than guessed.

    >>> parse_coordinate(121.42), parse_coordinate(float("nan"))
    (ParsedCoordinate(value=121.42, fixes=()), ParsedCoordinate(value=None, fixes=()))
    >>> parse_coordinate("  ")
    ParsedCoordinate(value=None, fixes=())
    >>> parse_coordinate("１２１°２５′Ｅ")
    ParsedCoordinate(value=121.41666666666667, fixes=('full-width', 'dms'))
    >>> parse_coordinate(True)
    Traceback (most recent call last):
    ...
    app.errors.CoordinateError: not a coordinate: True (a bool)
    >>> parse_coordinate("1" * 201)
    Traceback (most recent call last):
    ...
    app.errors.CoordinateError: coordinate cell too long: 201 characters (at most 200 are read), starting '11111111111111111111'
    """
    if value is None:
        return ParsedCoordinate(None)
    if isinstance(value, bool | np.bool_):
        raise CoordinateError(f"not a coordinate: {value!r} (a bool)")
    if isinstance(value, Real | np.integer | np.floating):
        number = float(value)
        if math.isnan(number):
            return ParsedCoordinate(None)
        if not math.isfinite(number):
            raise CoordinateError(f"not a finite coordinate: {value!r}")
        return ParsedCoordinate(number)
    if not isinstance(value, str):
        raise CoordinateError(f"not a coordinate: {value!r} (a {type(value).__name__})")
    _check_length(value)
    text, full_width = _fold(value)
    fixes = ("full-width",) if full_width else ()
    if text.casefold() in MISSING_TEXTS:
        return ParsedCoordinate(None, fixes)
    if _DECIMAL.fullmatch(text.casefold()):
        number = float(text)
        if not math.isfinite(number):
            raise CoordinateError(f"not a finite coordinate: {value!r}")
        return ParsedCoordinate(number, fixes)
    if re.fullmatch(r"[+-]?\d+,\d+", text):
        raise CoordinateError(
            f"not a coordinate: {value!r} (use a decimal point, e.g. 121.42, or "
            "degrees-minutes-seconds such as 121°25′12″E)")
    try:
        number = parse_dms(text)
    except CoordinateError as exc:
        raise CoordinateError(
            f"not a coordinate: {value!r} (use a decimal point, e.g. 121.42, or "
            "degrees-minutes-seconds such as 121°25′12″E)") from exc
    return ParsedCoordinate(number, (*fixes, "dms"))


@dataclass(frozen=True)
class SourceCRS:
    """The CRS an imported file's coordinates are in.

    ``name`` is 'wgs84', 'gcj02', 'bd09', or 'EPSG:<code>'; ``projected`` says whether the
    numbers are metres (x, y) rather than degrees (lon, lat).
    """

    name: str
    projected: bool = False

    def __post_init__(self) -> None:
        if self.name not in CRS_NAMES and not re.fullmatch(r"EPSG:\d{4,6}", self.name):
            raise UnknownCRSError(f"source CRS must be one of {CRS_NAMES} or 'EPSG:<code>', got {self.name!r}")
        if self.projected and self.name in CRS_NAMES:
            raise UnknownCRSError(f"{self.name} is geographic, it cannot be projected")

    @property
    def label(self) -> str:
        """Short label for reports: 'gcj02', 'EPSG:32651'."""
        return self.name


@cache
def _pyproj_crs(code: int) -> CRS:
    return CRS.from_epsg(code)


def parse_source_crs(text: str) -> SourceCRS:
    """The declared CRS of an import: a name/alias of app.geo.crs, or an EPSG code.

    EPSG:4326 and WGS-84 aliases are 'wgs84'; EPSG:4490 (CGCS2000, the Chinese national datum,
    centimetres from WGS-84) is accepted as geographic.

    >>> parse_source_crs("GCJ-02"), parse_source_crs("epsg:32651")
    (SourceCRS(name='gcj02', projected=False), SourceCRS(name='EPSG:32651', projected=True))
    >>> parse_source_crs("4326").name
    'wgs84'
    >>> parse_source_crs("EPSG:999999")
    Traceback (most recent call last):
    ...
    app.errors.UnknownCRSError: unknown CRS 'EPSG:999999': use wgs84, gcj02, bd09 or a known EPSG code such as EPSG:32651
    """
    if not isinstance(text, str):
        raise UnknownCRSError(f"CRS must be text, got {type(text).__name__} {text!r}")
    if len(text) > _MAX_CRS_CHARS:
        raise UnknownCRSError(f"CRS text too long: {len(text)} characters (at most "
                              f"{_MAX_CRS_CHARS} are read), starting {text[:20]!r}")
    try:
        return SourceCRS(normalize_crs(text))
    except UnknownCRSError:
        pass
    match = re.fullmatch(r"\s*(?:epsg:?\s*)?(\d{4,6})\s*", text.casefold())
    if match is None:
        raise UnknownCRSError(
            f"unknown CRS {text!r}: use wgs84, gcj02, bd09 or an EPSG code such as EPSG:32651")
    code = int(match[1])
    try:
        crs = _pyproj_crs(code)
    except CRSError as exc:
        raise UnknownCRSError(
            f"unknown CRS {text!r}: use wgs84, gcj02, bd09 or a known EPSG code such as EPSG:32651"
        ) from exc
    if code == 4326:
        return SourceCRS("wgs84")
    if not (crs.is_projected or crs.is_geographic):
        raise UnknownCRSError(f"CRS {text!r} ({crs.name}) is neither geographic nor projected")
    return SourceCRS(f"EPSG:{code}", projected=bool(crs.is_projected))
