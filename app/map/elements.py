"""The one way the atlas's code and data reach the bench's folium map (app/map/builder.py):
:class:`MapScript`.

Everything the map needs runs from the map's own script. branca compiles the output of every
element's script macro as a Jinja template when the figure renders, so register text such as
``{{ 7*7 }}`` would be evaluated on the server and ``{% raw %}`` would break the page:
:class:`MapScript` adds its code to the figure as plain text instead.

>>> import folium
>>> m = folium.Map(tiles=None)
>>> _ = m.add_child(MapScript("console.log({map}, ", '"{{ 7*7 }}"', ");"))
>>> html = m.get_root().render()
>>> f'console.log({m.get_name()}, "{{{{ 7*7 }}}}");' in html
True
"""

from __future__ import annotations

from typing import Any

from branca.element import Element, MacroElement
from jinja2 import Template

__all__ = ["MapScript"]


class _Raw(Element):
    """Text placed in the figure as it is."""

    def __init__(self, text: str) -> None:
        super().__init__()
        self._text = text

    def render(self, **kwargs: Any) -> str:
        """The text, untouched."""
        return self._text


class MapScript(MacroElement):
    """Raw JavaScript placed in the map's own script, in the order it is added.

    ``{map}`` in `code` and `tail` is replaced by the map's JS variable name; `data` goes
    between them as it is (a big payload is never searched for the placeholder). `data` must
    already be script-safe (:func:`app.map.scriptjson.script_json`).
    """

    _template = Template("{% macro script(this, kwargs) %}{{ this.code }}{% endmacro %}")

    def __init__(self, code: str, data: str = "", tail: str = "") -> None:
        super().__init__()
        self._name = "AtlasScript"
        self._code = code
        self._data = data
        self._tail = tail

    @property
    def code(self) -> str:
        """The script with the map's variable name filled in."""
        name = self._parent.get_name()
        head = self._code.replace("{map}", name)
        return head + self._data + self._tail.replace("{map}", name) if self._data else head

    def render(self, **kwargs: Any) -> None:
        """Add the code to the figure's script without compiling it as a template."""
        self.get_root().script.add_child(_Raw(self.code), name=self.get_name())
