"""Reference layers (district outline, metro, streets) as the map draws them: SVG parts.

Each reference layer's features are grouped by their legend value and drawn as one GeoJSON part
per group, styled from the layer spec, carrying exactly the spec's tooltip and card fields.
Shifted into the basemap's CRS here, at the edge (GCJ-02 on AMap); the data stays WGS-84.

>>> from app.data.atlas import load_atlas
>>> atlas = load_atlas()
>>> parts, config = reference_parts(atlas, atlas.spec("district_boundary"), "en", "wgs84", below=True)
>>> len(parts), "atlas-below" in parts[0]
(1, True)
>>> reference_parts(atlas, atlas.spec("metro_stations"), "zh", "wgs84", interactive=False)[0][0].count('"interactive": false')
1
"""

from __future__ import annotations

from app.data.atlas import Atlas
from app.data.layers import LayerSpec, geometry_kind
from app.map.fields import card_config, columns_of, reference_sources, shipped_fields
from app.map.geojson import feature_collections, geojson_args
from app.map.project_layers import shifted
from app.map.scriptjson import script_json
from app.map.style import path_style

__all__ = ["reference_parts"]


def reference_parts(atlas: Atlas, spec: LayerSpec, lang: str, crs: str, below: bool = False,
                    interactive: bool = True) -> tuple[list[str], str]:
    """(per legend value the ``data, style, radius`` argument text, card config JSON) of a
    reference layer drawn as SVG with its spec's tooltip and card; `below`: under the projects,
    letting the canvas painter take events; not `interactive`: it never takes a click or tap."""
    frame = atlas.reference_frame(spec)
    config = script_json(card_config(spec, lang))
    if frame.empty:
        return [], config
    frame = frame.assign(geometry=shifted(frame.geometry, crs))
    sources = reference_sources(atlas, frame, lang)
    fields = shipped_fields(spec)
    key = spec.legend_field if spec.legend_field in frame else None
    parts = frame.groupby(key) if key else [(None, frame)]
    out = []
    for value, part in parts:
        kind = geometry_kind(part.geometry.iloc[0].geom_type)
        style = path_style(spec.style, spec.colour_for(value), area_point=False, kind=kind)
        style.update({k: v for k, v in spec.style.items() if k in ("fillOpacity", "dashArray")})
        # 'atlas-below': drawn under the projects; the canvas painter takes pointer events on it
        style["className"] = (f"atlas-feature atlas-reference atlas-layer-{spec.id}"
                              + (" atlas-below" if below else ""))
        if not interactive:
            style["interactive"] = False
            style["bubblingMouseEvents"] = True
        if kind == "point":
            style["color"] = "#333333"
        rows = {name: (values.loc[part.index], label) for name, (values, label) in sources.items()}
        data = feature_collections(part.geometry.to_numpy(), columns_of(rows, fields))[0]
        radius = spec.style.get("radius", 5) if kind == "point" else None
        out.append(geojson_args(style, data, radius))
    return out, config
