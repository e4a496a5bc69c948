"""The map of a sheet: layers drawn in UTM 51N with the styles of their layer specs, a scale
bar in metres (true, since the map is projected), a north arrow, and the map's affine transform.

Each style class of a layer (colour, approximate-area point, geometry kind) becomes one
matplotlib artist whatever its size: all its points one marker line, all its lines or polygon
rings one compound path. So a sheet of 100,000 features is drawn with a few dozen artists.
Leaflet's sizes (pixels on screen) become points on paper at :data:`PT_PER_PX`.

>>> nice_length(1234.0), nice_length(0.0)
(1000.0, 1.0)
>>> extent_of((121.40, 31.20, 121.41, 31.21))  # doctest: +ELLIPSIS
(347..., 345..., 348..., 345...)
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from matplotlib.axes import Axes
from matplotlib.colors import to_rgba
from matplotlib.patches import FancyArrow, PathPatch, Rectangle
from matplotlib.path import Path

from app.data.atlas import Atlas
from app.data.layers import LayerSpec
from app.geo.crs import METRIC_CRS, transformer
from app.map.style import KIND_OF_TYPE, path_style

__all__ = ["PT_PER_PX", "MapFrame", "draw_projects", "draw_reference", "extent_of", "nice_length",
           "north_arrow", "scale_bar", "set_extent"]

#: Size on paper (points) of one screen pixel of a layer spec's style: maps are denser on paper.
PT_PER_PX = 0.5
#: Drawing order: reference polygons under projects; project polygons, lines, points; then the
#: reference lines and points (stations) on top, as on screen.
_Z = {("reference", "polygon"): 1, ("projects", "polygon"): 2, ("projects", "line"): 3,
      ("projects", "point"): 4, ("reference", "line"): 5, ("reference", "point"): 6}


@dataclass(frozen=True)
class MapFrame:
    """A map drawn on a sheet: its axes and its extent in METRIC_CRS metres.

    :meth:`pixel_of` and :meth:`affine` tell where a position lands in the rendered PNG
    (column, row from the top-left corner), once the figure's size and DPI are fixed.
    """

    ax: Axes
    extent: tuple[float, float, float, float]

    def affine(self) -> tuple[float, float, float, float, float, float]:
        """``(a, b, c, d, e, f)`` with col = a*x + b*y + c and row = d*x + e*y + f, for
        METRIC_CRS metres (x east, y north) to PNG pixels (row 0 at the top)."""
        fig = self.ax.figure
        height = fig.bbox.height
        (x0, y0), (x1, y1) = self.ax.transData.transform(
            [(self.extent[0], self.extent[1]), (self.extent[2], self.extent[3])])
        a = (x1 - x0) / (self.extent[2] - self.extent[0])
        e = -(y1 - y0) / (self.extent[3] - self.extent[1])
        return a, 0.0, x0 - a * self.extent[0], 0.0, e, (height - y0) - e * self.extent[1]

    def pixel_of(self, lon: float, lat: float) -> tuple[float, float]:
        """PNG pixel (column, row) of a WGS-84 position."""
        x, y = transformer("EPSG:4326", METRIC_CRS).transform(lon, lat)
        a, b, c, d, e, f = self.affine()
        return a * x + b * y + c, d * x + e * y + f


def extent_of(bbox: tuple[float, float, float, float]) -> tuple[float, float, float, float]:
    """Metric extent (minx, miny, maxx, maxy) covering a WGS-84 bbox (its densified outline)."""
    outline = shapely.segmentize(shapely.box(*bbox), 0.001)
    return tuple(shapely.transform(outline, _to_metric).bounds)  # type: ignore[return-value]


def _to_metric(coords: np.ndarray) -> np.ndarray:
    """WGS-84 lon/lat coordinates -> METRIC_CRS metres."""
    x, y = transformer("EPSG:4326", METRIC_CRS).transform(coords[:, 0], coords[:, 1])
    return np.column_stack([x, y])


def metric(geoms: np.ndarray) -> np.ndarray:
    """WGS-84 geometries (None allowed) -> METRIC_CRS."""
    return shapely.transform(np.asarray(geoms, dtype=object), _to_metric)


def set_extent(ax: Axes, extent: Sequence[float], margin: float = 0.0) -> MapFrame:
    """Show `extent` (metres, plus `margin` of its size) on `ax` at one scale in x and y,
    widened to the axes' shape so that nothing is cut and metres stay square."""
    minx, miny, maxx, maxy = extent
    width, height = max(maxx - minx, 1.0), max(maxy - miny, 1.0)
    cx, cy = (minx + maxx) / 2, (miny + maxy) / 2
    width, height = width * (1 + 2 * margin), height * (1 + 2 * margin)
    box = ax.get_position()
    fig_w, fig_h = ax.figure.get_size_inches()
    ratio = (box.width * fig_w) / (box.height * fig_h)
    if width / height < ratio:
        width = height * ratio
    else:
        height = width / ratio
    shown = (cx - width / 2, cy - height / 2, cx + width / 2, cy + height / 2)
    ax.set_xlim(shown[0], shown[2])
    ax.set_ylim(shown[1], shown[3])
    ax.set_aspect("auto")
    ax.set_xticks([])
    ax.set_yticks([])
    return MapFrame(ax, shown)


def _rgba(colour: str, alpha: float) -> tuple[float, float, float, float]:
    return to_rgba(colour, alpha)


def _dashes(style: Mapping[str, Any]) -> Any:
    """matplotlib's linestyle of a Leaflet dashArray ("8 6"), in points."""
    numbers = [float(n) * PT_PER_PX for n in str(style.get("dashArray", "")).replace(",", " ").split()]
    return (0, tuple(numbers)) if numbers and any(numbers) else "solid"


def _path(geoms: np.ndarray, kind: str) -> Path:
    """One compound path of all lines (kind 'line') or all polygon rings (kind 'polygon')."""
    parts = shapely.get_parts(geoms)
    if kind == "polygon":
        parts = shapely.get_rings(shapely.orient_polygons(parts))  # holes wind the other way
    coords, index = shapely.get_coordinates(parts, return_index=True)
    codes = np.full(len(coords), Path.LINETO, dtype=Path.code_type)
    if len(coords):
        starts = np.r_[True, index[1:] != index[:-1]]
        codes[starts] = Path.MOVETO
        if kind == "polygon":
            ends = np.r_[index[1:] != index[:-1], True]
            codes[ends] = Path.CLOSEPOLY
    return Path(coords, codes)


def draw_class(ax: Axes, geoms: np.ndarray, kind: str, style: Mapping[str, Any], radius: float,
               zorder: float) -> None:
    """Draw metric geometries of one style class (Leaflet path options `style`) on `ax`."""
    if not len(geoms):
        return
    edge = _rgba(style["color"], float(style.get("opacity", 1.0)))
    width = float(style.get("weight", 3)) * PT_PER_PX
    face = (_rgba(style.get("fillColor", style["color"]), float(style.get("fillOpacity", 0.2)))
            if style.get("fill", kind != "line") else "none")
    if kind == "point":
        xy = shapely.get_coordinates(geoms)
        ax.plot(xy[:, 0], xy[:, 1], linestyle="none", marker="o", markersize=2 * radius * PT_PER_PX,
                markerfacecolor=face, markeredgecolor=edge, markeredgewidth=width, zorder=zorder,
                scalex=False, scaley=False)
        return
    # add_artist, not add_patch: the extent is set, and add_patch's walk over every curve to
    # update the data limits costs a minute on 100,000 features
    ax.add_artist(PathPatch(_path(geoms, kind), facecolor=face if kind == "polygon" else "none",
                            edgecolor=edge, linewidth=width, linestyle=_dashes(style),
                            zorder=zorder, capstyle="round", joinstyle="round",
                            transform=ax.transData))


def _kinds(geoms: np.ndarray) -> np.ndarray:
    kinds = KIND_OF_TYPE[shapely.get_type_id(geoms)]
    return np.where(kinds == "other", "polygon", kinds)


def draw_projects(ax: Axes, atlas: Atlas, frame: gpd.GeoDataFrame) -> int:
    """Draw the located projects of `frame` by layer, styled as on screen; returns how many."""
    geoms = frame.geometry.to_numpy()
    located = ~shapely.is_missing(geoms)
    located[located] = ~shapely.is_empty(geoms[located])
    drawn = 0
    for spec in atlas.project_layers:
        index = np.flatnonzero(located & (frame["layer"] == spec.id).to_numpy(dtype=bool))
        if not len(index):
            continue
        moved = metric(geoms[index])
        kinds = _kinds(moved)
        field = spec.legend_field or "layer"
        values = frame[field].to_numpy(dtype=object)[index] if field in frame else np.full(len(index), None)
        area = frame["precision"].to_numpy(dtype=object)[index] == "area"
        classes = pd.DataFrame({"value": values, "area": area & (kinds == "point"), "kind": kinds})
        for (value, is_area, kind), rows in classes.groupby(["value", "area", "kind"], sort=True,
                                                            dropna=False).indices.items():
            style = path_style(spec.style, spec.colour_for(value), area_point=bool(is_area), kind=kind)
            draw_class(ax, moved[rows], kind, style, float(spec.style.get("radius", 7)),
                       _Z[("projects", kind)] + spec.order / 1000)
        drawn += len(index)
    return drawn


def draw_reference(ax: Axes, atlas: Atlas, layer_ids: Sequence[str]) -> None:
    """Draw the reference layers named in `layer_ids` (district outline, metro...)."""
    for spec in atlas.reference_layers:
        if spec.id in layer_ids:
            _draw_reference_layer(ax, atlas, spec)


def _draw_reference_layer(ax: Axes, atlas: Atlas, spec: LayerSpec) -> None:
    frame = atlas.reference_frame(spec)
    if frame.empty:
        return
    moved = metric(frame.geometry.to_numpy())
    kinds = _kinds(moved)
    values = (frame[spec.legend_field].astype(str).to_numpy(dtype=object)
              if spec.legend_field else np.full(len(frame), ""))
    for value in dict.fromkeys(values.tolist()):
        for kind in ("polygon", "line", "point"):
            rows = np.flatnonzero((values == value) & (kinds == kind))
            if len(rows):
                style = path_style(spec.style, spec.colour_for(value), area_point=False, kind=kind)
                style["fillOpacity"] = spec.style.get("fillOpacity", style.get("fillOpacity"))
                draw_class(ax, moved[rows], kind, style, float(spec.style.get("radius", 5)),
                           _Z[("reference", kind)] + spec.order / 1000)


def nice_length(target: float) -> float:
    """The largest 1, 2 or 5 x 10^n metres not above `target` (1 m at least)."""
    if not target > 1.0:
        return 1.0
    power = 10.0 ** math.floor(math.log10(target))
    return max(step * power for step in (1.0, 2.0, 5.0) if step * power <= target)


def scale_bar(frame: MapFrame, label: str = "m") -> float:
    """A scale bar in the lower left of the map, about a fifth of its width; returns its length
    in metres. Four alternating black and white segments, labelled 0 and the full length."""
    ax, (minx, miny, maxx, maxy) = frame.ax, frame.extent
    length = nice_length((maxx - minx) / 5)
    x0, y0 = minx + (maxx - minx) * 0.04, miny + (maxy - miny) * 0.05
    height = (maxy - miny) * 0.012
    ax.add_patch(Rectangle((x0 - length * 0.04, y0 - height * 0.8), length * 1.22, height * 4.2,
                           facecolor=(1, 1, 1, 0.8), edgecolor="none", zorder=20))
    for i in range(4):
        ax.add_patch(Rectangle((x0 + i * length / 4, y0), length / 4, height, zorder=21,
                               facecolor="black" if i % 2 == 0 else "white", edgecolor="black",
                               linewidth=0.5))
    for fraction in (0.0, 1.0):
        metres = length * fraction
        text = f"{metres:g}" if fraction == 0.0 else (
            f"{metres / 1000:g} km" if length >= 2000 else f"{metres:g} {label}")
        ax.text(x0 + length * fraction, y0 + height * 1.4, text, ha="center", va="bottom",
                fontsize=6, zorder=22)
    return length


def north_arrow(frame: MapFrame, label: str = "N") -> float:
    """An arrow to true north in the upper right (UTM grid north differs from it by the
    meridian convergence, about 0.8° in Changning); returns its angle from grid north in degrees."""
    ax, (minx, miny, maxx, maxy) = frame.ax, frame.extent
    x, y = maxx - (maxx - minx) * 0.05, maxy - (maxy - miny) * 0.16
    lon, lat = transformer(METRIC_CRS, "EPSG:4326").transform(x, y)
    nx, ny = transformer("EPSG:4326", METRIC_CRS).transform(lon, lat + 0.01)
    angle = math.atan2(nx - x, ny - y)
    size = (maxy - miny) * 0.08
    dx, dy = math.sin(angle) * size, math.cos(angle) * size
    ax.add_patch(FancyArrow(x, y, dx, dy, width=size * 0.12, head_width=size * 0.35,
                            head_length=size * 0.35, length_includes_head=True,
                            facecolor="black", edgecolor="white", linewidth=0.5, zorder=22))
    ax.text(x + dx * 1.15, y + dy * 1.15, label, ha="center", va="bottom", fontsize=9,
            fontweight="bold", zorder=22)
    return math.degrees(angle)
