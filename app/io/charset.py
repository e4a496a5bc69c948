"""Text encodings of imported files: UTF-8 first, then Chinese legacy encodings, checked.

GB18030 accepts almost any byte sequence, so "it decoded" proves nothing: a Big5 (Taiwan,
Hong Kong) or Shift-JIS (Japan) file decodes as GB18030 into kana, Greek, private-use and rare
characters. :func:`decode_text` therefore tries each legacy candidate strictly and keeps the
one whose characters are *plausible* for it: the share of its non-ASCII characters that lie in
that encoding's common set (for GB18030/GBK: GB2312's symbols and hanzi, and any other hanzi GBK
encodes, such as the traditional 長寧區 a mainland file may hold -- but not the kana, Greek and
private-use characters that Big5 or Shift-JIS bytes turn into; Big5's frequent hanzi and
symbols; JIS X 0208 for Shift-JIS), and the most plausible one wins. A file that no candidate
makes plausible is refused, asking for UTF-8.

>>> decode_text("长宁区,天山公园".encode("gb18030"), None)
('长宁区,天山公园', 'gb18030')
>>> decode_text("長寧區,天山公園".encode("big5"), None)
('長寧區,天山公園', 'big5')
>>> decode_text("名称,地址,天山公园,長寧區天山路".encode("gbk"), None)[1]
'gb18030'

>>> decode_text(b"", None)
('', 'utf-8')
"""

from __future__ import annotations

import codecs
from collections import Counter
from collections.abc import Callable

from app.errors import ImportFileError

__all__ = ["LEGACY_ENCODINGS", "PLAUSIBLE_SHARE", "decode_text", "plausibility"]

#: Legacy encodings tried, in order, when a file is not UTF-8 (GB18030 covers GBK and GB2312).
LEGACY_ENCODINGS: tuple[str, ...] = ("gb18030", "big5", "shift_jis")
#: Share of a decoding's non-ASCII characters that must be common in its encoding.
PLAUSIBLE_SHARE = 0.9


def _in_gb2312(char: str) -> bool:
    """GB2312: the 6763 hanzi and the symbol rows that mainland Chinese text uses."""
    try:
        code = char.encode("gb2312")
    except UnicodeEncodeError:
        return False
    return len(code) == 2 and (code[0] in (0xA1, 0xA3) or 0xB0 <= code[0] <= 0xF7)


def _in_gbk_extension(char: str) -> bool:
    """A hanzi GBK encodes beyond GB2312 (traditional and rarer characters: 長寧區)."""
    if not "\u4e00" <= char <= "\u9fff" or _in_gb2312(char):
        return False
    try:
        return len(char.encode("gbk")) == 2
    except UnicodeEncodeError:
        return False


def _in_big5_common(char: str) -> bool:
    """Big5's symbols (lead A1-A3) and its frequently used hanzi (lead A4-C6)."""
    try:
        code = char.encode("big5")
    except UnicodeEncodeError:
        return False
    return len(code) == 2 and 0xA1 <= code[0] <= 0xC6


def _in_jis_x0208(char: str) -> bool:
    """JIS X 0208 in Shift-JIS: symbols, kana (lead 81-84) and level 1-2 kanji (lead 88-EA)."""
    try:
        code = char.encode("shift_jis")
    except UnicodeEncodeError:
        return False
    return len(code) == 2 and (0x81 <= code[0] <= 0x84 or 0x88 <= code[0] <= 0xEA)


_COMMON: dict[str, Callable[[str], bool]] = {
    "gb18030": _in_gb2312, "big5": _in_big5_common, "shift_jis": _in_jis_x0208}
#: Weight of GBK's extension hanzi in a GB18030 reading that is mostly GB2312 already (at least
#: :data:`_MAINLAND_SHARE`): enough for a mainland file with some traditional characters, less
#: than a real Big5 or Shift-JIS reading, whose bytes read as GBK fall in the extension too.
_EXTENSION_WEIGHT = 0.9
_MAINLAND_SHARE = 0.5


def plausibility(text: str, encoding: str) -> float:
    """Share of the non-ASCII characters of `text` that are common in `encoding` (1.0 if none).
    For GB18030, a text mostly in GB2312 also counts GBK's other hanzi, at 0.9 each.

    >>> plausibility("天山公园 Park", "gb18030"), plausibility("ASCII only", "big5")
    (1.0, 1.0)
    >>> round(plausibility("上海市長寧區天山路公园", "gb18030"), 3)  # 3 of 11 traditional
    0.973
    >>> big5_as_gb = "天山公園,長寧區".encode("big5").decode("gb18030")
    >>> big5_as_gb, plausibility(big5_as_gb, "gb18030") < PLAUSIBLE_SHARE
    ('ぱ\\ue619そ堕,\\ue057圭跋', True)
    """
    counts = {c: n for c, n in Counter(text).items() if ord(c) > 0x7F}  # Counter counts in C
    total = sum(counts.values())
    if not total:
        return 1.0
    common = _COMMON[encoding]
    share = sum(n for char, n in counts.items() if common(char)) / total
    if encoding == "gb18030" and share >= _MAINLAND_SHARE:
        share += _EXTENSION_WEIGHT * sum(n for char, n in counts.items()
                                         if _in_gbk_extension(char)) / total
    return share


def _given(data: bytes, encoding: str) -> tuple[str, str]:
    """Decode with the encoding the user named; ImportFileError says which byte fails."""
    try:
        name = codecs.lookup(encoding).name
    except LookupError as exc:
        raise ImportFileError(f"unknown encoding {encoding!r}: use e.g. utf-8 or gb18030") from exc
    if name == "utf-8" and data.startswith(codecs.BOM_UTF8):
        name = "utf-8-sig"
    try:
        return data.decode(name), name
    except UnicodeDecodeError as exc:
        raise ImportFileError(
            f"the file is not {encoding}: byte {exc.start} ({data[exc.start:exc.start + 4]!r}) "
            "cannot be decoded; leave the encoding out to detect it") from exc


def decode_text(data: bytes, encoding: str | None) -> tuple[str, str]:
    """(text, encoding used): `encoding` when given, else BOM, UTF-8, then a plausible legacy one.

    >>> decode_text("ｶﾀｶﾅ".encode("utf-16"), None)[1]
    'utf-16'
    >>> decode_text(bytes(range(0x80, 0x100)), None)
    Traceback (most recent call last):
    ...
    app.errors.ImportFileError: the file is not UTF-8, and it reads as none of GB18030/GBK, Big5 or Shift-JIS with plausible characters; save it as UTF-8 (or give its encoding with --encoding / the encoding choice)
    """
    if encoding:
        return _given(data, encoding)
    if data.startswith(codecs.BOM_UTF8):
        return _given(data, "utf-8-sig")
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return _given(data, "utf-16")
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    best: tuple[float, str, str] | None = None
    for name in LEGACY_ENCODINGS:
        try:
            text = data.decode(name)
        except UnicodeDecodeError:
            continue
        share = plausibility(text, name)
        if share >= PLAUSIBLE_SHARE and (best is None or share > best[0]):
            best = (share, text, name)
    if best is None:
        raise ImportFileError(
            "the file is not UTF-8, and it reads as none of GB18030/GBK, Big5 or Shift-JIS with "
            "plausible characters; save it as UTF-8 (or give its encoding with --encoding / the "
            "encoding choice)")
    return best[1], best[2]
