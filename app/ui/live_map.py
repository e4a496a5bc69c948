"""The atlas's one map component: one Leaflet map per page visit, updated in place on every rerun.

Every page that shows a map shows this one, in a mode (:data:`app.map.live.MODES`): the map
page in ``view`` mode (:mod:`app.ui.pages.map_page` builds its own arguments), the field page
in ``pick`` mode, the planner page in ``draw`` mode, the review page in ``review`` mode and the
import preview in ``view`` mode without selection; those four call :func:`page_map`.

The browser side is ``app/map/static/index.html`` + ``live_map.js`` (served by Streamlit from
that folder; why a component of our own and not st_folium is said at the top of live_map.js).
Python sends the base's URL (:func:`app.ui.cache.live_base_url`), the filter's row mask and
the small things that change; the component returns ``{"select": id}`` when a feature is
clicked on the map page, ``{"layers": [...], "refs": [...]}`` when its layer control is used
there, ``{"pick": {"lat", "lng"}, "crs"}`` when a position is tapped (pick mode) and
``{"drawn": geometry, "crs"}`` when a drawing is made, edited or deleted (draw mode).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping, Sequence
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np
import streamlit.components.v1 as components
from streamlit import runtime

from app.data.atlas import Atlas
from app.domain.i18n import t
from app.geo.crs import convert_geometry
from app.map.basemaps import BASEMAPS
from app.map.legend import legend_spec
from app.map.live import MODES, OVERLAY_STYLES, mask_bits, view_shift
from app.ui.cache import live_base_url, map_assets, static_assets

__all__ = ["MapOut", "ensure_registered", "live_map", "map_texts", "overlay_legend", "page_map"]

_STATIC = Path(str(resources.files("app.map").joinpath("static")))
_component = components.declare_component("atlas_live_map", path=str(_STATIC))

#: What the component last said (a dict) or None.
MapOut = dict[str, Any] | None


def ensure_registered(component: object) -> None:
    """Make sure the server knows a component's files. Streamlit registers a component only
    when it is declared during a page run; the pages are imported at the server's start
    (app/ui/warm.py), outside one, and then the component's frame would get "404 Not Found"."""
    if runtime.exists():
        registry = runtime.get_instance().component_registry
        if registry.get_component(component.name) is None:
            registry.register_component(component)


def live_map(args: dict[str, Any], *, key: str, on_change: Callable[[], None] | None = None
             ) -> MapOut:
    """Show the live map with `args` (see live_map.js ``apply``); its last message or None."""
    ensure_registered(_component)
    return _component(**args, key=key, default=None, on_change=on_change)


def map_texts(lang: str) -> dict[str, str]:
    """The map's own words in `lang`: full screen, tile failure, the legend-and-layers title.

    >>> map_texts("en")["legend_layers"]
    'Legend & layers'
    """
    keys = ("fullscreen", "exit_fullscreen", "live.tile_error", "live.tile_fallback",
            "live.legend_layers")
    return {k.removeprefix("live."): t(k, lang) for k in keys}


def overlay_legend(role: str, lang: str) -> dict[str, Any]:
    """The legend's line for an overlay of `role` (:data:`app.map.live.OVERLAY_STYLES`): what
    the solid or dashed outline means.

    >>> overlay_legend("new", "en")["label"], overlay_legend("new", "en")["dashed"]
    ('Proposed geometry', True)
    """
    style = OVERLAY_STYLES[role]
    return {"label": t(f"live.compare_{role}", lang), "color": style["color"],
            "fill": "transparent", "shape": "polygon", "count": None,
            "dashed": bool(style.get("dashArray"))}


def _layer_items(atlas: Atlas, lang: str, refs: Sequence[str]) -> list[dict[str, Any]]:
    return ([{"id": s.id, "kind": "layer", "title": s.title(lang), "on": True}
             for s in atlas.project_layers]
            + [{"id": s.id, "kind": "ref", "title": s.title(lang), "on": s.id in refs}
               for s in atlas.reference_layers])


def page_map(atlas: Atlas, lang: str, *, mode: str, key: str, basemap: str, height: int = 420,
             refs: Sequence[str] | None = None, mask: np.ndarray | None = None,
             version: str | None = None, here: Mapping[str, Any] | None = None,
             overlays: Sequence[Mapping[str, Any]] = (),
             legend_extra: Sequence[Mapping[str, Any]] = (),
             fit: Mapping[str, Any] | None = None, draw: Mapping[str, Any] | None = None,
             on_change: Callable[[], None] | None = None) -> MapOut:
    """A working page's map (pick, draw, review, or the import preview in view mode): every
    located project of `atlas` (or the rows of `mask`), the reference layers `refs` (default:
    the layers' own defaults), the basemap (a keyed one without its key falls back to none),
    and what the mode adds -- `here` and `overlays` from :func:`app.map.live.here_marker` and
    :func:`app.map.live.overlay`, `draw` the drawing tools and the shape to edit, `fit` a box
    to show (``{"bounds", "seq"}``: fitted when ``seq`` changes). `legend_extra` are legend
    entries added under their own group (what the overlays mean). `version` names the data
    when `atlas` is not the shown register (an import's preview). Its last message, or None.
    """
    if mode not in MODES:
        raise ValueError(f"unknown map mode {mode!r}; use one of {', '.join(MODES)}")
    static_assets()
    tianditu = os.environ.get("TIANDITU_KEY") or None
    if basemap not in BASEMAPS or (BASEMAPS[basemap].requires_token() and not tianditu):
        basemap = "none"
    crs = BASEMAPS[basemap]["crs"]
    base_url, base_key = live_base_url(atlas, lang, basemap, tianditu, version=version)
    refs = [s.id for s in atlas.reference_layers if s.visible] if refs is None else list(refs)
    frame = atlas.projects if mask is None else atlas.projects[mask]
    legend = legend_spec(atlas, frame, refs, lang)
    if legend_extra:
        legend = {**legend, "groups": [*legend["groups"],
                                       {"title": t("live.compare", lang), "entries": list(legend_extra)}]}
    district = atlas.places["district-changning"].geometry
    minx, miny, maxx, maxy = convert_geometry(district, "wgs84", crs).bounds
    args = {
        "mode": mode, "selectable": False, "base_url": base_url, "base_key": base_key,
        "mask": mask_bits(mask) if mask is not None else "", "refs": refs, "legend": legend,
        "layer_control": {"title": t("live.layers", lang), "items": _layer_items(atlas, lang, refs),
                          "at": None},
        "focus": None, "fit": dict(fit) if fit else None, "view": None,
        "shift": view_shift(basemap), "report_painted": False, "here": dict(here) if here else None,
        "overlays": [dict(o) for o in overlays], "draw": dict(draw) if draw else None,
        "district": [[miny, minx], [maxy, maxx]], "height": height, "fixed_height": True,
        "assets": map_assets(mode == "draw"), "texts": map_texts(lang), "crs": crs,
    }
    return live_map(args, key=key, on_change=on_change)
