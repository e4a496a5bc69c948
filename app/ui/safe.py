"""Show text that mixes our own Markdown templates with untrusted values.

Templates come from :mod:`app.domain.i18n` (ours, may use Markdown); the values filled into
them (names, notes, file columns, URL parameters, error messages quoting user input) are
escaped by :func:`app.domain.text.escape_markdown` first, so they always render as the plain
characters they are. Every page shows such text through these functions.
"""

from __future__ import annotations

import logging
from typing import Literal

import streamlit as st

from app.domain.i18n import t
from app.domain.messages import message_in
from app.domain.text import escape_markdown
from app.errors import AtlasError

__all__ = ["Kind", "error_message", "notice", "say"]

log = logging.getLogger(__name__)

Kind = Literal["info", "warning", "error", "success", "caption", "markdown", "toast"]


def say(key: str, lang: str, **values: object) -> str:
    """The UI string `key` with `values` filled in, every text value escaped for Markdown.

    Numbers keep their format specs (``{size:.1f}``); anything else is shown as escaped text.

    >>> say("import.saved", "en", name="a_b", n=3)
    'Saved register a\\\\_b: 3 projects.'
    >>> say("import.unusable", "en", message="<img src=x>")
    'This file cannot be imported: \\\\<img src\\\\=x\\\\>'
    """
    safe = {k: v if isinstance(v, int | float) and not isinstance(v, bool) else escape_markdown(v)
            for k, v in values.items()}
    return t(key, lang).format(**safe)


def notice(kind: Kind, key: str, lang: str, **values: object) -> None:
    """Show :func:`say` ``(key, lang, **values)`` as ``st.<kind>`` (info, warning, error, ...)."""
    getattr(st, kind)(say(key, lang, **values))


def error_message(error: AtlasError, lang: str) -> str:
    """What a page says of `error` in `lang`, to fill a notice's ``{message}``: the error's
    keyed message in that language, else (an error whose text exists only in English, on a
    page in Chinese) that the details are in the server's log, where they are written.

    >>> from app.errors import ImportFileError
    >>> error_message(ImportFileError("plain English"), "en")
    'plain English'
    >>> error_message(ImportFileError("plain English"), "zh") == t("error.unkeyed", "zh")
    True
    """
    text = message_in(error, lang)
    if text is None:
        log.warning("a message without a %s text was shown as 'details in the log': %s", lang, error)
        return t("error.unkeyed", lang)
    return text
