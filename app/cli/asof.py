"""``--asof YYYY-MM-DD``: the option ``export`` and ``sheet`` share, showing the built-in
register as it stood on a past day (:func:`app.service.atlas.shown_atlas`).

The day is checked by :func:`asof_day` when the command runs, so a bad one prints one line
(``error: …``) and exits with status 2 like every other fixable error (``app.cli.main``).
"""

from __future__ import annotations

import argparse

from app.data.living import check_date
from app.domain.viewstate import district_today
from app.errors import FilterError, SubmissionError

__all__ = ["add_asof_argument", "asof_day"]


def asof_day(text: str | None, today: str | None = None, *, register: str = "") -> str | None:
    """`text` when it is a ``YYYY-MM-DD`` day not after `today` (default: today, UTC); None
    when not given; else FilterError saying what is wrong. Only the built-in register
    (`register` ``""``) has a history: a saved register with a day is refused.

    >>> asof_day("2025-06-30", today="2025-12-01"), asof_day(None)
    ('2025-06-30', None)
    >>> asof_day("2025-13-01", today="2025-12-01")
    Traceback (most recent call last):
    app.errors.FilterError: the as-of date must be a day written YYYY-MM-DD, got '2025-13-01'
    >>> asof_day("2026-01-01", today="2025-12-01")
    Traceback (most recent call last):
    app.errors.FilterError: the as-of date 2026-01-01 is after today (2025-12-01): the register can only be shown as it stood
    >>> asof_day("2025-06-30", register="district-2025")
    Traceback (most recent call last):
    app.errors.FilterError: --asof shows the built-in register as it stood; the saved register 'district-2025' has no history
    """
    if text is None:
        return None
    if register:
        raise FilterError(f"--asof shows the built-in register as it stood; the saved register "
                          f"{register!r} has no history")
    try:
        day = check_date(text, "the as-of date")
    except SubmissionError as exc:
        raise FilterError(str(exc)) from None
    today = today or district_today().isoformat()  # the district's day, as the app's control
    if day > today:
        raise FilterError(f"the as-of date {day} is after today ({today}): "
                          "the register can only be shown as it stood")
    return day


def add_asof_argument(parser: argparse.ArgumentParser) -> None:
    """Add ``--asof YYYY-MM-DD`` (the built-in register as it stood that day) to `parser`.

    >>> parser = argparse.ArgumentParser()
    >>> add_asof_argument(parser)
    >>> parser.parse_args([]).asof, parser.parse_args(["--asof", "2025-03-01"]).asof
    (None, '2025-03-01')
    """
    parser.add_argument("--asof", metavar="YYYY-MM-DD",
                        help="the built-in register as it stood that day (not after today; "
                             "saved registers have no history)")
