"""Untrusted text (from users, files, URLs, the store) made inert for Markdown. Pure.

Streamlit renders the text of ``st.markdown``, alerts, captions and widget labels as Markdown
(GitHub flavour, with maths, colour and icon directives), so a note such as
``![x](http://host/p.png)`` would make every reader's browser fetch an outside image. CommonMark
lets any ASCII punctuation character be escaped with a backslash; escaping all of them leaves
no link, image, autolink, raw HTML, code span, maths, directive or emphasis to be parsed, and
the reader sees the original characters.

>>> print(escape_markdown("![x](http://h/p.png)"))
\\!\\[x\\]\\(http\\:\\/\\/h\\/p\\.png\\)
>>> print(escape_markdown("天山公园 <b>"))
天山公园 \\<b\\>
>>> escape_markdown("")
''
"""

from __future__ import annotations

import re
import string

from app.errors import SubmissionError

__all__ = ["check_text", "escape_markdown", "unescape_markdown"]

_ESCAPES = str.maketrans({c: "\\" + c for c in string.punctuation})
_ESCAPED = re.compile("\\\\([" + re.escape(string.punctuation) + "])")


def escape_markdown(value: object) -> str:
    """`value` as text in which every ASCII punctuation character is backslash-escaped.

    Non-text values are turned into text first; line breaks are kept.

    >>> print(escape_markdown("[a](javascript:alert(1))"))
    \\[a\\]\\(javascript\\:alert\\(1\\)\\)
    >>> print(escape_markdown(None), escape_markdown(3.5))
    None 3\\.5
    """
    return str(value).translate(_ESCAPES)


def unescape_markdown(source: str) -> str:
    """What a reader sees of Markdown `source`: its backslash escapes of punctuation removed.

    The inverse of :func:`escape_markdown`; tests use it to compare shown text with its origin.

    >>> unescape_markdown(escape_markdown("![x](http://h/p.png) 天山"))
    '![x](http://h/p.png) 天山'
    >>> unescape_markdown("")
    ''
    """
    return _ESCAPED.sub(r"\1", source)


def check_text(value: str | None, field: str) -> str | None:
    """`value` (None too) unless it holds a NUL character, which PostgreSQL cannot store
    (SubmissionError naming `field`): the one check every stored text passes.

    >>> check_text("入口在北侧", "the note")
    '入口在北侧'
    >>> check_text("a\\x00b", "the note")
    Traceback (most recent call last):
    app.errors.SubmissionError: the note contains a NUL character (\\x00); remove it
    """
    if value is not None and "\x00" in value:
        raise SubmissionError(f"{field} contains a NUL character (\\x00); remove it")
    return value
