"""JSON string escaping in bulk: many texts encoded by one encoder call over their joined text.

Encoding a column of 100,000 names one ``json.dumps`` at a time costs a Python call each; joining
them with NUL (which every JSON encoder spells ``\\u0000``), encoding once and splitting on that
spelling gives the same tokens in one pass. The export's GeoJSON writer (plain JSON) and the
map's payloads (script-safe JSON, :func:`app.map.scriptjson.script_json`) both use it, each with
its own encoder.

>>> import json
>>> json_contents(['a"b', "天山"], lambda s: json.dumps(s, ensure_ascii=False))
['a\\\\"b', '天山']
"""

from __future__ import annotations

from collections.abc import Callable

__all__ = ["json_contents"]

_NUL = "\x00"
_ESCAPED_NUL = "\\u0000"  # how JSON spells a NUL character: the six characters \u0000


def json_contents(texts: list[str], encode: Callable[[str], str]) -> list[str] | None:
    r"""The escaped contents (without quotes) of each text's JSON string, as `encode` writes a
    string (quotes included), made by one `encode` call over the NUL-joined texts.

    None (the caller encodes one by one) when a text holds a NUL or the characters ``\u0000``,
    which would make the split ambiguous.

    >>> import json
    >>> json_contents(["c\\d", "e\nf"], json.dumps)
    ['c\\\\d', 'e\\nf']
    >>> json_contents(["x\x00y"], json.dumps) is None, json_contents([], json.dumps)
    (True, [])
    """
    if not texts:
        return []
    joined = _NUL.join(texts)
    if joined.count(_NUL) != len(texts) - 1 or _ESCAPED_NUL in joined:
        return None
    return encode(joined)[1:-1].split(_ESCAPED_NUL)
