"""A day a person typed, in the ways people in Shanghai write one.

>>> parse_day("2025-03-01")
datetime.date(2025, 3, 1)
"""

from __future__ import annotations

import re
from datetime import date

__all__ = ["parse_day"]

_DAY = re.compile(r"\s*(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?\s*")
_COMPACT = re.compile(r"\s*(\d{4})(\d{2})(\d{2})\s*")


def parse_day(text: str) -> date | None:
    """A typed day: ``2025-03-01``, ``2025/3/1``, ``2025.03.01``, ``20250301`` or
    ``2025年3月1日``; None when it is none of them or no such day.

    >>> parse_day("2025/3/1"), parse_day("2025年3月1日"), parse_day(" 20250301 ")
    (datetime.date(2025, 3, 1), datetime.date(2025, 3, 1), datetime.date(2025, 3, 1))
    >>> parse_day("2025-02-30") is None, parse_day("next week") is None, parse_day("") is None
    (True, True, True)
    """
    found = _DAY.fullmatch(text or "") or _COMPACT.fullmatch(text or "")
    if found is None:
        return None
    try:
        return date(*(int(part) for part in found.groups()))
    except ValueError:
        return None
