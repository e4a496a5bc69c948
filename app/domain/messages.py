"""Messages that travel inside errors: made from the i18n table, read in any language.

An error raised deep in the atlas (a file that cannot be read, a review that is not allowed)
is shown on a page in the page's language and printed by the command line in English. So the
raiser names a template of :mod:`app.domain.i18n` and its values (:func:`keyed`), the
exception's text is the English template filled in, and a page asks for its own language
(:func:`message_in`). A value may itself be a keyed error (a file's name around the reason it
cannot be read): it is said in the same language. A value named ``en_*`` is English words the
message quotes (a library's own explanation, an English field name): only the English template
uses it, the Chinese one says what it can without it. An error made without a key reads the same
in every language; pages show such errors through :func:`message_in` too, which then gives
their English text only where the language is English.

>>> from app.errors import ImportFileError
>>> inner = keyed(ImportFileError, "err.file_empty")
>>> outer = keyed(ImportFileError, "err.in_file", label="a.csv", error=inner)
>>> str(outer)
'a.csv: the file is empty: no header row'
>>> message_in(outer, "zh")
'a.csv:文件是空的,没有表头行'
>>> message_in(ImportFileError("a message made without a key"), "zh") is None
True
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from app.domain.i18n import STRINGS, t
from app.errors import AtlasError

__all__ = ["keyed", "message_in"]

E = TypeVar("E", bound=AtlasError)


def _filled(key: str, lang: str, params: dict[str, object],
            say: Callable[[object], str]) -> str:
    """Template `key` in `lang` with `params`: numbers as given (format specs apply), errors in
    the same language, anything else through `say`."""
    values = {}
    for name, value in params.items():
        if isinstance(value, AtlasError):
            values[name] = message_in(value, lang) or str(value)
        elif isinstance(value, int | float) and not isinstance(value, bool):
            values[name] = value
        else:
            values[name] = say(value)
    return t(key, lang).format(**values)


def keyed(cls: type[E], key: str, **params: object) -> E:
    """An error of class `cls` whose text is the English template `key` filled with `params`,
    and which remembers both (see the module docstring).

    >>> from app.errors import PositionError
    >>> err = keyed(PositionError, "err.in_file", label="x.csv", error="plain words")
    >>> err.key, str(err)
    ('err.in_file', 'x.csv: plain words')
    >>> keyed(PositionError, "no-such-key")
    Traceback (most recent call last):
    KeyError: "no message template 'no-such-key' in app.domain.i18n"
    """
    if key not in STRINGS:
        raise KeyError(f"no message template {key!r} in app.domain.i18n")
    return cls(_filled(key, "en", params, str), key=key, params=params)


def message_in(error: AtlasError, lang: str) -> str | None:
    """The error's message in `lang` (plain text, not yet escaped for Markdown), or None when
    the error carries no key and `lang` is not English (its text is English only).

    >>> message_in(AtlasError("plain"), "en")
    'plain'
    """
    if error.key is None or error.key not in STRINGS:
        return str(error) if lang == "en" else None
    return _filled(error.key, lang, error.params, str)
