"""The register holds every place-bound item the 2025 report names, with honest positions."""

from __future__ import annotations

import csv
import json
import re
from pathlib import Path

import pytest
from shapely import Point

from app.data.atlas import report_items
from app.domain.filters import Filter
from app.geo.crs import convert
from app.geo.geocode import to_metric
from app.io.export import export_bytes

REFERENCE = Path(__file__).resolve().parents[1] / "geodata" / "sources"

# Names as the report writes them (二、2025年主要任务), each must be in some project's name_zh.
REQUIRED = [
    "虹开发地区整体更新", "国展中心", "虹桥锦江大酒店", "友谊商城", "新虹桥中心大厦裙房",
    "人民电器厂等地块", "虹桥机场东片区更新改造", "汇川路商办项目", "天山北虹商品房项目", "晶耀虹桥",
    "上海融侨中心", "天山公园", "海粟绿地", "城市建设档案馆", "长宁金融园", "艺术愚园", "静雅武夷",
    "桥下空间", "海粟绿地-轨交3、4号线-天山公园连廊项目", "清池路养老院", "新华社区规划中学",
    "同仁医院", "区少儿图书馆", "区非遗保护中心", "小蓝花", "社区文化活动中心", "上海硅巷科创街区",
    "虹桥智谷", "虹桥国际低空经济产业园", "尚街·创邑Space", "容么么数字中心直播基地",
    "虹桥国际开放枢纽长宁片区", "中国企业出海总部服务中心", "区再生资源、废弃物综合处置中心",
    "一刻钟便民生活圈", "智慧矫正中心", "慢行系统", "两旧一村", "保障性租赁住房", "建设者管理者之家",
]


@pytest.fixture(scope="module")
def exported(atlas):
    data, _, _ = export_bytes(atlas, Filter(), "geojson")
    return json.loads(data)


@pytest.mark.parametrize("name", REQUIRED)
def test_every_item_of_the_report_is_exported(exported, name):
    names = [f["properties"]["name_zh"] for f in exported["features"]]
    assert any(name in n for n in names), name


def test_unlocated_items_are_exported_without_geometry_but_with_a_reason(exported):
    unlocated = [f for f in exported["features"] if f["properties"]["precision"] == "unlocated"]
    assert unlocated
    for feature in unlocated:
        assert feature["geometry"] is None
        assert feature["properties"]["position_note"]


def test_every_located_item_has_provenance(exported):
    for feature in exported["features"]:
        if feature["geometry"] is not None:
            props = feature["properties"]
            assert props["pos_source"] and props["pos_source_crs"] and props["pos_method"], props["id"]


def test_the_viaduct_spaces_follow_station_segments(atlas):
    rows = atlas.projects.set_index("id")
    for pid in ("viaduct-underspace-north", "viaduct-underspace-zhongshan-yananxi",
                "viaduct-underspace-yananxi-hongqiao"):
        assert rows.loc[pid, "pos_method"].startswith("linear reference along line-3-4-viaduct")
        assert rows.loc[pid].geometry.geom_type == "LineString"
    assert rows.loc["art-yuyuan"].geometry.geom_type == "LineString"  # a street line
    assert rows.loc["haisu-tianshan-corridor"].geometry.geom_type == "LineString"


def test_site_positions_are_the_converted_reference_positions(atlas):
    with (REFERENCE / "changning_pois_gcj02.csv").open(encoding="utf-8") as fh:
        gcj = {r["name"]: (float(r["gcj02_lon"]), float(r["gcj02_lat"])) for r in csv.DictReader(fh)}
    rows = atlas.projects.set_index("id")
    for pid, poi in [("tianshan-park", "天山公园"), ("intex-renewal", "上海国际展览中心"),
                     ("jinjiang-hotel-renewal", "虹桥锦江大酒店"),
                     ("children-library-upgrade", "长宁区少年儿童图书馆")]:
        point = rows.loc[pid].geometry
        expected = convert(*gcj[poi], "gcj02", "wgs84")
        assert (point.x, point.y) == pytest.approx(expected, abs=1e-7)
        assert rows.loc[pid, "precision"] == "site"


# --- placements from the AMap 2020 POIs (WGS-84) -----------------------------------------------


def _amap_rows() -> list[dict[str, str]]:
    with (REFERENCE / "changning_pois_amap2020_wgs84.csv").open(encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def _amap_point(name: str) -> Point:
    row = next(r for r in _amap_rows() if r["name"] == name)
    return Point(float(row["wgs84_lon"]), float(row["wgs84_lat"]))


def _metres(a, b) -> float:
    return float(to_metric(a).distance(to_metric(b)))


def test_tongren_hospital_is_at_its_address(atlas):
    """The component-wise median of the hospital's POIs at 仙霞路1111号. They spread over the
    campus (about 150 m across), so the tolerance is 120 m to every one and 40 m to half of them."""
    row = atlas.projects.set_index("id").loc["tongren-hospital"]
    assert row["precision"] == "site" and row["pos_method"].startswith("address: known address 仙霞路1111号")
    assert row["pos_source"].startswith("changning_pois_amap2020_wgs84.csv")
    points = [Point(float(r["wgs84_lon"]), float(r["wgs84_lat"])) for r in _amap_rows()
              if r["address"].startswith("仙霞路1111号") and "附近" not in r["address"]]
    assert len(points) >= 5
    distances = sorted(_metres(row.geometry, p) for p in points)
    assert distances[-1] < 120 and distances[len(distances) // 2] < 40


@pytest.mark.parametrize(("pid", "road", "sources", "tolerance_m"), [
    # on the road's sketch, which passes through each source point (5 m: rounding only);
    # 汇川路 and 清池路 are no longer sketched (tests/test_honest_positions.py says why)
    ("jingya-wuyi", "road-wuyilu", ["武夷路中山西路(公交站)", "武夷路凯旋路(公交站)",
                                    "武夷路定西路(公交站)", "武夷路延安西路(公交站)"], 5),
    ("art-yuyuan", "road-yuyuanlu", ["愚园路定西路(公交站)", "愚园路安西路(公交站)",
                                     "愚园路江苏路(公交站)"], 5),
])
def test_street_projects_follow_their_road_sketch(atlas, pid, road, sources, tolerance_m):
    """Projects of point/polygon layers are a 30 m band around the sketch, street layers the line."""
    row = atlas.projects.set_index("id").loc[pid]
    assert row["precision"] == "street" and row["pos_refs"] == [road]
    sketch = atlas.places[road].geometry
    if row["layer"] == "streets":
        assert row.geometry.equals(sketch)
    else:
        assert row.geometry.geom_type == "Polygon"
        assert row.geometry.covers(sketch)
        assert _metres(row.geometry.exterior, sketch) == pytest.approx(30, abs=1)
    for name in sources:
        assert _metres(row.geometry, _amap_point(name)) <= tolerance_m, name


def test_art_yuyuan_stops_at_the_last_yuyuan_road_stop(atlas):
    """It used to run on about 450 m past 愚园路定西路 to 中山公园 station: now it ends there."""
    line = atlas.projects.set_index("id").loc["art-yuyuan"].geometry
    west = _amap_point("愚园路定西路(公交站)")
    assert min(x for x, _ in line.coords) == pytest.approx(west.x, abs=1e-7)
    assert _metres(line, atlas.places["metro-l2-zhongshangongyuan"].geometry) > 400
    assert atlas.places["district-changning"].geometry.buffer(1e-6).covers(line)


def test_line_2_is_drawn_from_its_track(atlas):
    track = atlas.places["metro-line-2"]
    assert track.kind == "metro_line" and track.geometry.geom_type in ("LineString", "MultiLineString")
    stations = [p for p in atlas.places.values() if p.kind == "metro_station" and p.lines == (2,)
                and p.located and p.properties.get("in_district")]
    assert len(stations) >= 5
    for station in stations:  # the track passes within 1 m of the converted BD-09 station POIs
        assert _metres(track.geometry, station.geometry) < 2, station.id


# --- parts and district-wide items ----------------------------------------------------------


def test_parts_name_their_parent_and_are_not_counted_twice(atlas):
    rows = atlas.projects.set_index("id")
    parts = rows[rows["parent"] != ""]
    assert set(parts.index) == {"viaduct-underspace-north", "viaduct-underspace-zhongshan-yananxi",
                                "viaduct-underspace-yananxi-hongqiao", "haisu-green"}
    assert set(parts["parent"]) == {"viaduct-underspace-programme", "haisu-tianshan-corridor"}
    assert all("splitting it into parts is this atlas's own" in d for d in parts["description"])
    assert all("拆分为若干部分是本图集的做法" in d for d in parts["description_zh"])
    items = report_items(atlas.projects)
    assert len(items) == len(rows) - len(parts)
    assert items.set_index("id").loc["viaduct-underspace-programme", "parts"] == 4


def test_district_wide_items_are_listed_not_drawn(exported, atlas):
    rows = atlas.projects.set_index("id")
    wide = rows[rows["extent"] == "district"]
    # the coverage rule (geodata/README.md) makes every district-wide programme of physical
    # works an entry: four before, fourteen more once the rule was applied evenly
    assert set(wide.index) == {"quarter-hour-life-circles", "slow-traffic-system",
                               "old-housing-renewal", "affordable-rental-housing",
                               "innovation-spaces", "beautiful-streets-new-round",
                               "park-24h-opening", "road-network-improvement", "greening-projects",
                               "sewer-misconnection-remediation", "photovoltaic-rollout",
                               "station-area-improvement", "signboard-streets",
                               "overhead-lines-underground", "employment-service-circle",
                               "boutique-estates", "lift-retrofit", "fitness-centres"}
    assert wide.geometry.isna().all() and (wide["precision"] == "unlocated").all()
    exported_ids = {f["properties"]["id"] for f in exported["features"]}
    assert set(wide.index) <= exported_ids


def test_every_entry_has_zh_and_en_descriptions_and_position_notes(atlas):
    for _, row in atlas.projects.iterrows():
        assert row["description"] and row["description_zh"], row["id"]
        assert bool(row["position_note"]) == bool(row["position_note_zh"]), row["id"]
        assert re.search(r"[\u4e00-\u9fff]", row["description_zh"]), row["id"]


def test_every_copied_source_is_listed_for_the_about_page():
    from app.data.register import load_sources

    listed = {source["file"] for source in load_sources(REFERENCE.parent / "sources.toml")}
    copied = {path.name for path in REFERENCE.iterdir() if path.name != "README.md"}
    assert copied <= listed
    readme = (REFERENCE / "README.md").read_text(encoding="utf-8")
    assert all(name in readme for name in copied)
