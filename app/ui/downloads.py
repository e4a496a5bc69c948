"""A download whose file is made on request, and that says on the page why it failed.

Streamlit can make a download's file when its button is clicked, but then a failure only
reaches the server log (the button shows a generic English note for a few seconds): a map sheet
that could not be drawn simply never came. Here the file is made in the page's own run, when
its "prepare" button is pressed: the page shows a spinner, then either the download button with
the file or the reason it could not be made, in the page's language. The file is kept for the
session under the button's key until what it was made from (`signature`) changes.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Hashable

import streamlit as st
from streamlit.delta_generator import DeltaGenerator

from app.domain.i18n import t
from app.errors import AtlasError
from app.ui.safe import say

__all__ = ["FILES", "prepared_download"]

log = logging.getLogger(__name__)

#: Session key: the files made, by download key: (signature, bytes).
FILES = "_prepared_files"

#: What making a file may raise that a person should read about (not a bug to hide): the
#: atlas's own errors (a sheet without a CJK font, an export that cannot be written), the
#: machine's (no space, no memory), and the drawing library's refusals of a value.
_FAILURES = (AtlasError, OSError, MemoryError, ValueError, RuntimeError)


def _reason(exc: BaseException, lang: str) -> str:
    """Why a file could not be made, in words of `lang` where the cause is known."""
    text = str(exc)
    if "no CJK font" in text:
        return t("download.no_font", lang)
    if isinstance(exc, MemoryError):
        return t("download.no_memory", lang)
    if isinstance(exc, OSError) and not isinstance(exc, AtlasError):
        return t("download.os_error", lang).format(message=text)
    return text


def prepared_download(where: DeltaGenerator, label: str, make: Callable[[], bytes], *,
                      file_name: str, mime: str, key: str, lang: str, signature: Hashable,
                      what: str | None = None, width: str = "stretch") -> bool:
    """The download `label` of the file `make()` returns, made when its prepare button is
    pressed; a failure is said in `where` in `lang` (and logged). `what` names the file in the
    prepare button and the failure (default: `label`). True once the file is there (its
    download button shown)."""
    what = what or label
    files = st.session_state.setdefault(FILES, {})
    held = files.get(key)
    if held is None or held[0] != signature:
        files.pop(key, None)
        if not where.button(t("download.prepare", lang).format(what=what), key=f"{key}_make",
                            width=width, icon=":material/draft:"):
            return False
        try:
            with st.spinner(t("download.preparing", lang).format(what=what)):
                data = make()
        except _FAILURES as exc:
            log.exception("could not make the file of %s (%s)", key, file_name)
            where.error(say("download.failed", lang, what=what, reason=_reason(exc, lang)))
            return False
        files[key] = held = (signature, data)
    where.download_button(label, held[1], file_name=file_name, mime=mime, key=key,
                          on_click="ignore", width=width, icon=":material/download:")
    return True
