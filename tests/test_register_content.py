"""The register holds every place-bound item the 2025 report names, with honest positions."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from app.domain.filters import Filter
from app.geo.crs import convert
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
