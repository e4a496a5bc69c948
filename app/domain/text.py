"""Untrusted text (from users, files, URLs, the store) made inert for Markdown. Pure.

Streamlit renders the text of ``st.markdown``, alerts, captions and widget labels as Markdown
(GitHub flavour, with maths, colour and icon directives), so a note such as
``![x](http://host/p.png)`` would make every reader's browser fetch an outside image. CommonMark
lets any ASCII punctuation character be escaped with a backslash; escaping all of them leaves
no link, image, ``<…>`` autolink, raw HTML, code span, maths, directive or emphasis to be
parsed, and the reader sees the original characters.

Escapes do not stop GitHub's *literal* autolinks, though: Streamlit's Markdown finds
``http://…``, ``https://…``, ``www.…`` and ``name@host.domain`` in the text once its escapes
are resolved, and makes them links (``status=http://evil.example/login`` in a URL became a link
in the page's warning). So :func:`escape_markdown` also puts an invisible WORD JOINER (U+2060)
where each of them would begin: between ``http``/``https`` and ``:``, ``www`` and ``.``, and
before ``@``. The text reads and copies the same; no autolink can form.

>>> print(escape_markdown("![x](http://h/p.png)"))
\\!\\[x\\]\\(http\u2060\\:\\/\\/h\\/p\\.png\\)
>>> print(escape_markdown("天山公园 <b>"))
天山公园 \\<b\\>
>>> escape_markdown("")
''
"""

from __future__ import annotations

import re
import string

from app.errors import SubmissionError

__all__ = ["JOINER", "check_text", "escape_markdown", "unescape_markdown"]

_ESCAPES = str.maketrans({c: "\\" + c for c in string.punctuation})
_ESCAPED = re.compile("\\\\([" + re.escape(string.punctuation) + "])")
#: WORD JOINER: invisible, not a space, and no character of a GFM literal autolink.
JOINER = "\u2060"
# Where a literal autolink would start, in escaped text: http(s)\:  www\.  \@
_AUTOLINK_START = re.compile(r"(?i)(?<=http)(?=\\:)|(?<=https)(?=\\:)|(?<=www)(?=\\\.)|(?=\\@)")
_JOINED = re.compile(JOINER + r"(?=\\[:.@])")


def escape_markdown(value: object) -> str:
    """`value` as text in which every ASCII punctuation character is backslash-escaped and no
    literal autolink can start (a WORD JOINER where one would).

    Non-text values are turned into text first; line breaks are kept.

    >>> print(escape_markdown("[a](javascript:alert(1))"))
    \\[a\\]\\(javascript\\:alert\\(1\\)\\)
    >>> print(escape_markdown(None), escape_markdown(3.5))
    None 3\\.5
    >>> [escape_markdown(v).count(JOINER) for v in ("www.evil.example", "admin@evil.example",
    ...                                             "_HTTPS://evil.example", "天山公园 1.5 km")]
    [1, 1, 1, 0]
    """
    return _AUTOLINK_START.sub(JOINER, str(value).translate(_ESCAPES))


def unescape_markdown(source: str) -> str:
    """What a reader sees of Markdown `source`: its backslash escapes of punctuation removed.

    The inverse of :func:`escape_markdown`; tests use it to compare shown text with its origin.

    >>> unescape_markdown(escape_markdown("![x](http://h/p.png) 天山"))
    '![x](http://h/p.png) 天山'
    >>> unescape_markdown("")
    ''
    """
    return _ESCAPED.sub(r"\1", _JOINED.sub("", source))


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
