"""The map's legend as plain data: the project categories drawn (with counts), then the
visible reference layers. ``static/atlas_map.js`` renders it with ``textContent``."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
import shapely

from app.data.atlas import Atlas
from app.data.layers import geometry_kind
from app.domain.i18n import t

__all__ = ["legend_spec"]


def legend_spec(atlas: Atlas, frame: pd.DataFrame, visible_refs: Sequence[str], lang: str
                ) -> dict[str, Any]:
    """Legend groups for the visible layers: project categories present (with counts), then
    the visible reference layers. Plain data; the browser renders it as text.

    >>> from app.data.atlas import load_atlas
    >>> atlas = load_atlas()
    >>> spec = legend_spec(atlas, atlas.projects, ["metro_viaduct"], "en")
    >>> spec["title"], spec["groups"][-1]["entries"][0]["label"]
    ('Legend', 'Metro Line 3/4 viaduct')
    >>> legend_spec(atlas, atlas.projects.iloc[0:0], (), "zh")["groups"]
    []
    """
    geoms = frame.geometry.to_numpy()
    located = np.flatnonzero(~shapely.is_missing(geoms))
    layers = frame["layer"].to_numpy(dtype=object)[located]
    pairs = pd.DataFrame({"layer": layers, "category": frame["category"].to_numpy(dtype=object)[located]})
    counts = pairs.value_counts().to_dict()  # (layer, category) -> count, no copy of the frame
    first = dict(zip(layers[::-1].tolist(), located[::-1].tolist(), strict=True))  # first row per layer
    groups = []
    for spec in atlas.project_layers:
        if spec.id not in first:
            continue
        kind = geometry_kind(geoms[first[spec.id]].geom_type)
        entries = [{"label": e.zh if lang == "zh" else e.en, "color": e.color, "fill": e.color,
                    "shape": kind, "count": int(counts[(spec.id, e.value)])}
                   for e in spec.legend if (spec.id, e.value) in counts]
        groups.append({"title": spec.title(lang), "entries": entries})
    refs = []
    for spec in atlas.reference_layers:
        if spec.id not in visible_refs:
            continue
        kind = spec.geometry[0]
        if spec.legend:
            present = {str(v) for v in atlas.reference_frame(spec)[spec.legend_field]}
            refs += [{"label": e.zh if lang == "zh" else e.en, "color": e.color, "fill": e.color,
                      "shape": kind, "count": None} for e in spec.legend if e.value in present]
        else:
            refs.append({"label": spec.title(lang), "color": spec.style["color"],
                         "fill": "transparent" if kind != "line" else spec.style["color"],
                         "shape": kind, "count": None})
    if refs:
        groups.append({"title": t("reference_layers", lang), "entries": refs})
    return {"title": t("legend", lang), "groups": groups}
