"""Synthetic city-scale project registers, for benchmarks and scale tests. Pure and deterministic.

:func:`synthetic_projects` makes a projects frame with the columns, dtypes and vocabulary of the
shipped register (:data:`app.data.atlas.PROJECT_COLUMNS`, ``search_text``, WGS-84 geometry), so the
filters, the map builder and the exports treat it exactly like real data; :func:`synthetic_atlas`
puts it into a copy of an atlas. Everything is drawn from one ``numpy`` generator seeded by
`seed` and built column-wise (no per-feature Python work except the two list columns).

What the attributes look like (cardinalities follow a city register, not a uniform draw):

* ``layer``: every project layer whose spec accepts the geometry kind, skewed towards renewal
  and public space; ``category``: the layer's legend values, Zipf-like (the first is commonest);
* ``status`` (5), ``action`` (12), ``report_section`` (7) with 4 paragraphs each: skewed;
* ``subdistrict``: the 10 sub-districts of the gazetteer, spatially coherent (nearest of 10
  seeds scattered over the district), 3 % 'unknown';
* ``precision``: site 55 %, area 28 %, street 15 %, unlocated 2 % (no geometry, as in the register);
* names, addresses and descriptions: unique per project (road x house number x category);
  ``aliases``: 0-2 per project; provenance from the nearest located gazetteer place.

Geometry kinds: ``point``, ``line`` (6-10 vertex walks), ``polygon`` (star-shaped rings of
`vertices` points, 15-120 m across, half of them clockwise as in real data) or ``mixed``;
2 % of lines and polygons are two-part Multi geometries. All lie inside the district outline.

>>> from app.data.atlas import load_atlas
>>> atlas = load_atlas()
>>> frame = synthetic_projects(atlas, 200, "polygon", seed=1)
>>> len(frame), frame.crs.to_epsg(), frame["id"].is_unique
(200, 4326, True)
>>> bool(frame.geometry.dropna().is_valid.all()), sorted(set(frame.geometry.dropna().geom_type))
(True, ['MultiPolygon', 'Polygon'])
>>> synthetic_projects(atlas, 200, "polygon", seed=1).equals(frame)
True
>>> len(synthetic_projects(atlas, 0))
0
>>> synthetic_projects(atlas, 10, "hexagon")
Traceback (most recent call last):
...
ValueError: kind must be one of point, line, polygon, mixed; got 'hexagon'
"""

from __future__ import annotations

import dataclasses

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from app.data.atlas import PROJECT_COLUMNS, Atlas
from app.geo.gazetteer import DISTRICT_ID

__all__ = ["KINDS", "synthetic_atlas", "synthetic_projects"]

#: Geometry kinds :func:`synthetic_projects` can make.
KINDS: tuple[str, ...] = ("point", "line", "polygon", "mixed")

# Roads of Changning (zh, en) that names and addresses are made of.
_ROADS: tuple[tuple[str, str], ...] = (
    ("天山路", "Tianshan Road"), ("延安西路", "West Yan'an Road"), ("仙霞路", "Xianxia Road"),
    ("虹桥路", "Hongqiao Road"), ("长宁路", "Changning Road"), ("愚园路", "Yuyuan Road"),
    ("江苏路", "Jiangsu Road"), ("番禺路", "Panyu Road"), ("新华路", "Xinhua Road"),
    ("安顺路", "Anshun Road"), ("威宁路", "Weining Road"), ("娄山关路", "Loushanguan Road"),
    ("遵义路", "Zunyi Road"), ("古北路", "Gubei Road"), ("水城路", "Shuicheng Road"),
    ("剑河路", "Jianhe Road"), ("哈密路", "Hami Road"), ("北虹路", "Beihong Road"),
    ("协和路", "Xiehe Road"), ("金钟路", "Jinzhong Road"), ("北翟路", "Beidi Road"),
    ("临虹路", "Linhong Road"), ("福泉路", "Fuquan Road"), ("淞虹路", "Songhong Road"),
    ("天山西路", "West Tianshan Road"), ("芙蓉江路", "Furongjiang Road"), ("定西路", "Dingxi Road"),
    ("法华镇路", "Fahuazhen Road"), ("凯旋路", "Kaixuan Road"), ("中山西路", "West Zhongshan Road"),
    ("武夷路", "Wuyi Road"), ("宣化路", "Xuanhua Road"), ("镇宁路", "Zhenning Road"),
    ("华山路", "Huashan Road"), ("幸福路", "Xingfu Road"), ("平武路", "Pingwu Road"),
    ("昭化路", "Zhaohua Road"), ("泸定路", "Luding Road"), ("通协路", "Tongxie Road"),
    ("广顺路", "Guangshun Road"),
)
_ROAD_PINYIN: tuple[str, ...] = tuple(
    en.lower().replace("west ", "").replace(" road", "lu").replace("'", "") for _, en in _ROADS)

# Lead phrases of report paragraphs, four per section (made up for the benchmark).
_PARAGRAPHS: tuple[str, ...] = ("推进重点项目建设", "激发消费活力", "优化营商环境", "扩大对外开放")

_LAYER_WEIGHTS = {"renewal": 6.0, "public_space": 5.0, "public_services": 4.0,
                  "major_projects": 2.0, "innovation": 2.0, "city_services": 1.0, "streets": 1.5}
_KIND_WEIGHTS = {"point": 0.7, "polygon": 0.25, "line": 0.05}
_PRECISION = (("site", 0.55), ("area", 0.28), ("street", 0.15), ("unlocated", 0.02))
_CONFIDENCE = {"site": ("high", "medium", "low"), "area": ("medium", "low", "low"),
               "street": ("medium", "low", "low")}
_NOTES = {
    "site": ("", "", "", "Position of the building entrance, checked on site."),
    "area": ("Approximate centre only: the outline is not in the shipped sources.",
             "Shown at the centre of the block the report names.",
             "Inside the zone but not in the gazetteer: shown at its approximate centre."),
    "street": ("Drawn along the road between two gazetteer places: a schematic, not a survey.",
               "The road segment the report names, drawn through nearby stations."),
    "unlocated": ("No position for this project in the shipped sources.",
                  "The plot is not identified in the report or in the shipped sources."),
}
_METRES_PER_DEGREE = 111_320.0


def _zipf(rng: np.random.Generator, n: int, size: int, skew: float = 0.8) -> np.ndarray:
    """`size` draws from range(n), value k with weight 1 / (k + 1) ** skew."""
    weights = 1.0 / np.arange(1, n + 1) ** skew
    return rng.choice(n, size=size, p=weights / weights.sum())


def _inside(rng: np.random.Generator, area: shapely.Geometry, n: int) -> np.ndarray:
    """`n` uniform (lon, lat) points inside `area`, by rejection in its bounding box."""
    minx, miny, maxx, maxy = area.bounds
    shapely.prepare(area)
    out = np.empty((0, 2))
    while len(out) < n:
        batch = max(64, int((n - len(out)) * 1.8))
        xy = np.column_stack([rng.uniform(minx, maxx, batch), rng.uniform(miny, maxy, batch)])
        out = np.concatenate([out, xy[shapely.contains_xy(area, xy[:, 0], xy[:, 1])]])
    return out[:n]


def _stars(rng: np.random.Generator, centres: np.ndarray, vertices: int) -> np.ndarray:
    """Star-shaped (hence simple) polygons of `vertices` points around `centres`, 15-120 m across."""
    n, corners = len(centres), vertices - 1
    step = 2.0 * np.pi / corners
    angles = np.arange(corners) * step + rng.uniform(0.0, 0.8 * step, (n, corners))
    radius = rng.uniform(7.5, 60.0, n)[:, None] * rng.uniform(0.6, 1.0, (n, corners))
    dx = radius / (_METRES_PER_DEGREE * np.cos(np.radians(centres[:, 1:2])))
    x = centres[:, :1] + dx * np.cos(angles)
    y = centres[:, 1:2] + radius / _METRES_PER_DEGREE * np.sin(angles)
    x[1::2], y[1::2] = x[1::2, ::-1], y[1::2, ::-1]  # half clockwise, as in real data
    x = np.concatenate([x, x[:, :1]], axis=1)
    y = np.concatenate([y, y[:, :1]], axis=1)
    rings = shapely.linearrings(np.stack([x, y], -1).reshape(-1, 2),
                                indices=np.repeat(np.arange(n), vertices))
    return shapely.polygons(rings)


def _walks(rng: np.random.Generator, starts: np.ndarray) -> np.ndarray:
    """Lines of 6-10 vertices wandering 20-60 m per step from `starts`."""
    n = len(starts)
    counts = rng.integers(6, 11, n)
    owner = np.repeat(np.arange(n), counts)
    heading = np.repeat(rng.uniform(0, 2 * np.pi, n), counts) + rng.normal(0, 0.35, len(owner))
    step = rng.uniform(20.0, 60.0, len(owner))
    first = np.concatenate([[0], np.cumsum(counts)[:-1]])
    step[first] = 0.0
    dx = step * np.cos(heading) / (_METRES_PER_DEGREE * np.cos(np.radians(starts[owner, 1])))
    dy = step * np.sin(heading) / _METRES_PER_DEGREE
    # cumulative sums restarted at each line's first vertex
    cx, cy = np.cumsum(dx), np.cumsum(dy)
    cx -= np.repeat(cx[first] - dx[first], counts)
    cy -= np.repeat(cy[first] - dy[first], counts)
    coords = np.column_stack([starts[owner, 0] + cx, starts[owner, 1] + cy])
    return shapely.linestrings(coords, indices=owner)


def _multi(rng: np.random.Generator, make, centres: np.ndarray, kind: str,
           share: float = 0.02) -> np.ndarray:
    """Geometries made by `make` at `centres`; a `share` of them get a second part nearby."""
    geoms = make(centres)
    two = np.flatnonzero(rng.random(len(centres)) < share)
    if len(two):
        offset = rng.uniform(150.0, 300.0, (len(two), 2)) / _METRES_PER_DEGREE
        extra = make(centres[two] + offset)
        parts = np.stack([geoms[two], extra], axis=1).ravel()
        index = np.repeat(np.arange(len(two)), 2)
        build = shapely.multipolygons if kind == "polygon" else shapely.multilinestrings
        geoms[two] = build(parts, indices=index)
    return geoms


def _kinds_for(atlas: Atlas, kind: str) -> tuple[list[str], np.ndarray]:
    """Layers that take geometries of `kind` (any kind for 'mixed') and their weights."""
    layers = [s.id for s in atlas.project_layers
              if kind == "mixed" or kind in s.geometry]
    weights = np.array([_LAYER_WEIGHTS.get(lid, 1.0) for lid in layers])
    return layers, weights / weights.sum()


def _row_kinds(rng: np.random.Generator, atlas: Atlas, layers: np.ndarray, kind: str) -> np.ndarray:
    """The geometry kind of each row: `kind`, or for 'mixed' one its layer accepts."""
    if kind != "mixed":
        return np.full(len(layers), kind, dtype=object)
    out = np.empty(len(layers), dtype=object)
    for spec in atlas.project_layers:
        rows = np.flatnonzero(layers == spec.id)
        allowed = [k for k in _KIND_WEIGHTS if k in spec.geometry]
        weights = np.array([_KIND_WEIGHTS[k] for k in allowed])
        out[rows] = np.array(allowed, dtype=object)[rng.choice(len(allowed), len(rows),
                                                               p=weights / weights.sum())]
    return out


def _normalised(series: pd.Series) -> pd.Series:
    """:func:`app.domain.filters.normalise_text` of every value, in bulk."""
    return (series.astype(str).str.normalize("NFKC").str.casefold()
            .str.replace(r"\s+", "", regex=True))


def synthetic_projects(atlas: Atlas, n: int, kind: str = "point", *, seed: int = 0,
                       vertices: int = 20) -> gpd.GeoDataFrame:
    """A deterministic register of `n` projects shaped like `atlas`'s own (see the module doc).

    `kind` is one of :data:`KINDS`; `vertices` is the ring length of polygons (at least 4).
    The same arguments always give an equal frame.

    >>> from app.data.atlas import load_atlas
    >>> frame = synthetic_projects(load_atlas(), 1000, "mixed", seed=3)
    >>> located = frame.geometry.notna()
    >>> bool(0.0 < 1 - located.mean() < 0.05), set(frame.loc[~located, "precision"])
    (True, {'unlocated'})
    >>> frame["subdistrict"].nunique() <= 11, frame["status"].nunique()
    (True, 7)
    """
    if kind not in KINDS:
        raise ValueError(f"kind must be one of {', '.join(KINDS)}; got {kind!r}")
    if n < 0 or vertices < 4:
        raise ValueError(f"need n >= 0 and vertices >= 4, got n={n}, vertices={vertices}")
    rng = np.random.default_rng(seed)
    district = atlas.places[DISTRICT_ID].geometry
    vocab = atlas.vocab

    layer_ids, layer_p = _kinds_for(atlas, kind)
    layers = np.array(layer_ids, dtype=object)[rng.choice(len(layer_ids), n, p=layer_p)]
    geom_kind = _row_kinds(rng, atlas, layers, kind)
    category = np.empty(n, dtype=object)
    category_zh = np.empty(n, dtype=object)
    category_en = np.empty(n, dtype=object)
    for lid in layer_ids:
        rows = np.flatnonzero(layers == lid)
        legend = atlas.spec(lid).legend
        pick = _zipf(rng, len(legend), len(rows))
        category[rows] = np.array([e.value for e in legend], dtype=object)[pick]
        category_zh[rows] = np.array([e.zh for e in legend], dtype=object)[pick]
        category_en[rows] = np.array([e.en for e in legend], dtype=object)[pick]

    statuses = list(vocab.statuses)
    status = np.array(statuses, dtype=object)[_zipf(rng, len(statuses), n, 0.5)]
    actions = list(vocab.actions)
    action = np.array(actions, dtype=object)[_zipf(rng, len(actions), n)]
    action_en = pd.Series(action).map(vocab.actions).to_numpy(dtype=object)
    sections = list(vocab.labels["section"])
    section = np.array(sections, dtype=object)[_zipf(rng, len(sections), n, 0.6)]
    paragraph = np.array(_PARAGRAPHS, dtype=object)[_zipf(rng, len(_PARAGRAPHS), n)]
    year = pd.array(rng.choice([2025, 2025, 2025, 2026, 2027], n), dtype="Int64")
    year[rng.random(n) < 0.05] = pd.NA

    names, probs = zip(*_PRECISION, strict=True)
    precision = np.array(names, dtype=object)[rng.choice(len(names), n, p=probs)]
    located = precision != "unlocated"

    xy = _inside(rng, district, n)
    subdistricts = sorted(p.name_zh for p in atlas.places.values() if p.kind == "subdistrict")
    seeds = _inside(rng, district, len(subdistricts))
    nearest = ((xy[:, None, :] - seeds[None, :, :]) ** 2).sum(-1).argmin(1)
    subdistrict = np.array(subdistricts, dtype=object)[nearest] if subdistricts else \
        np.full(n, "unknown", dtype=object)
    subdistrict[rng.random(n) < 0.03] = "unknown"

    geometry = np.full(n, None, dtype=object)
    for gkind, make in (("point", lambda c: shapely.points(c)),
                        ("polygon", lambda c: _stars(rng, c, vertices)),
                        ("line", lambda c: _walks(rng, c))):
        rows = np.flatnonzero((geom_kind == gkind) & located)
        if len(rows):
            geometry[rows] = make(xy[rows]) if gkind == "point" else \
                _multi(rng, make, xy[rows], gkind)

    places = [p for p in atlas.places.values()
              if p.located and p.geometry.geom_type == "Point" and p.kind != "district"]
    place_xy = np.array([(p.geometry.x, p.geometry.y) for p in places]).reshape(-1, 2)
    ref = ((xy[:, None, :] - place_xy[None, :, :]) ** 2).sum(-1).argmin(1) if len(places) else None
    ref_id = np.array([p.id for p in places], dtype=object)[ref] if ref is not None else \
        np.full(n, "", dtype=object)
    ref_source = np.array([p.source for p in places], dtype=object)[ref] if ref is not None else ref_id
    ref_crs = np.array([p.source_crs or "" for p in places], dtype=object)[ref] if ref is not None \
        else ref_id

    road = rng.integers(0, len(_ROADS), n)
    number = rng.integers(1, 1500, n).astype(str).astype(object)
    road_zh = np.array([r[0] for r in _ROADS], dtype=object)[road]
    road_en = np.array([r[1] for r in _ROADS], dtype=object)[road]
    address = road_zh + number + "号"
    address[rng.random(n) < 0.1] = ""
    status_en = np.array([vocab.status_label(s, "en").lower() for s in statuses], dtype=object)[
        pd.Index(statuses).get_indexer(status)]
    description = (pd.Series(action_en).str.capitalize().to_numpy(dtype=object) + " the "
                   + pd.Series(category_en).str.lower().to_numpy(dtype=object) + " at " + number
                   + " " + road_en + " (" + status_en + "), " + subdistrict + ".")

    method = np.where(precision == "site", "gazetteer place ", np.where(
        precision == "area", "approximate centre (representative point) of ",
        "line through gazetteer places ")).astype(object) + ref_id
    confidence = np.full(n, "none", dtype=object)
    note = np.full(n, "", dtype=object)
    for value in ("site", "area", "street", "unlocated"):
        rows = np.flatnonzero(precision == value)
        if value in _CONFIDENCE:
            confidence[rows] = np.array(_CONFIDENCE[value], dtype=object)[
                rng.integers(0, 3, len(rows))]
        note[rows] = np.array(_NOTES[value], dtype=object)[rng.integers(0, len(_NOTES[value]), len(rows))]
    unlocated = ~located
    method[unlocated] = "none"
    ref_source = np.where(unlocated, "", ref_source).astype(object)
    ref_crs = np.where(unlocated, "", ref_crs).astype(object)

    alias_count = rng.choice(3, n, p=[0.3, 0.4, 0.3])
    pinyin = np.array(_ROAD_PINYIN, dtype=object)[road]
    aliases = [[] if k == 0 else [a] if k == 1 else [a, b]
               for k, a, b in zip(alias_count.tolist(), road_zh.tolist(), pinyin.tolist(),
                                  strict=True)]
    pos_refs = [[] if u else [r] for u, r in zip(unlocated.tolist(), ref_id.tolist(), strict=True)]
    # the radius of the kind of position each row stands for (app.geo.uncertainty)
    uncertainty = np.where(unlocated, np.nan, np.where(precision == "site", 50.0, np.where(
        precision == "area", 300.0, 30.0)))

    frame = pd.DataFrame({
        "id": np.array([f"syn-{i:06d}" for i in range(n)], dtype=object),
        "name_zh": road_zh + number + "号" + category_zh,
        "name_en": category_en + " at " + number + " " + road_en,
        "aliases": aliases,
        "layer": layers,
        "category": category,
        "action": action,
        "action_en": action_en,
        "status": status,
        "target_year": year,
        "subdistrict": subdistrict,
        "address": address,
        "precision": precision,
        "report_section": section,
        "report_paragraph": paragraph,
        "report_ref": "二、2025年主要任务 (" + section + ") " + paragraph,
        "description": description,
        "position_note": note,
        "pos_source": ref_source,
        "pos_source_crs": ref_crs,
        "pos_method": method,
        "pos_confidence": confidence,
        "pos_refs": pos_refs,
        "uncertainty_m": uncertainty,
    }, columns=list(PROJECT_COLUMNS))
    for column in frame.columns:
        if column not in ("aliases", "pos_refs", "target_year", "uncertainty_m"):
            frame[column] = frame[column].astype(str)
    out = gpd.GeoDataFrame(frame, geometry=gpd.GeoSeries(geometry, crs="EPSG:4326"),
                           crs="EPSG:4326")
    place_text = {p.id: "\n".join(_normalised(pd.Series([p.name_zh, p.name_en, *p.aliases])))
                  for p in places}
    alias_text = np.where(alias_count == 0, "", np.where(alias_count == 1, road_zh,
                                                         road_zh + "\n" + pinyin)).astype(object)
    ref_text = pd.Series(ref_id).map(place_text).fillna("").to_numpy(dtype=object)
    ref_text[unlocated] = ""
    parts = [_normalised(out["name_zh"]).to_numpy(dtype=object),
             _normalised(out["name_en"]).to_numpy(dtype=object), alias_text, ref_text]
    text = parts[0]
    for part in parts[1:]:
        text = text + np.where(part == "", "", "\n") + part
    out["search_text"] = pd.Series(text, index=out.index, dtype=object)
    return out


def synthetic_atlas(atlas: Atlas, n: int, kind: str = "point", *, seed: int = 0,
                    vertices: int = 20) -> Atlas:
    """A copy of `atlas` whose register is :func:`synthetic_projects`; its data version names
    the arguments, so caches keyed by data version never mix it with the real register.

    >>> from app.data.atlas import load_atlas
    >>> big = synthetic_atlas(load_atlas(), 50, "line", seed=2)
    >>> big.data_version, len(big.projects), set(big.projects["layer"]) <= {"public_space", "streets"}
    ('synthetic-line-50-2-20', 50, True)
    """
    projects = synthetic_projects(atlas, n, kind, seed=seed, vertices=vertices)
    return dataclasses.replace(atlas, projects=projects,
                               data_version=f"synthetic-{kind}-{n}-{seed}-{vertices}")
