"""The live map component: one Leaflet map per page visit, updated in place on every rerun.

The browser side is ``app/map/static/index.html`` + ``live_map.js`` (served by Streamlit from
that folder; why a component of our own and not st_folium is said at the top of live_map.js).
Python sends the base's URL (:func:`app.ui.cache.live_base_url`), the filter's row mask and
the small things that change; the component returns ``{"select": id}`` when a feature is
clicked and ``{"layers": [...], "refs": [...]}`` when its layer control is used.
"""

from __future__ import annotations

from collections.abc import Callable
from importlib import resources
from pathlib import Path
from typing import Any

import streamlit.components.v1 as components

__all__ = ["live_map"]

_STATIC = Path(str(resources.files("app.map").joinpath("static")))
_component = components.declare_component("atlas_live_map", path=str(_STATIC))


def live_map(args: dict[str, Any], *, key: str, on_change: Callable[[], None] | None = None
             ) -> dict[str, Any] | None:
    """Show the live map with `args` (see live_map.js ``apply``); its last message or None."""
    return _component(**args, key=key, default=None, on_change=on_change)
