"""Every layer spec in layers/ is valid and usable; broken specs are refused by name."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from app.data.layers import (
    FILTERABLE_FIELDS,
    PROJECT_FIELDS,
    REFERENCE_FIELDS,
    LayerSpec,
    load_layer_specs,
)
from app.errors import LayerSpecError
from tests.conftest import name_in_coverage

LAYERS = sorted((Path(__file__).resolve().parent.parent / "layers").glob("*.toml"))


@pytest.mark.parametrize("path", LAYERS, ids=[p.stem for p in LAYERS])
def test_every_spec_is_valid_and_used(path, atlas):
    spec = LayerSpec.from_mapping(tomllib.loads(path.read_text(encoding="utf-8")), path.name)
    assert spec.id == path.stem
    assert spec.title_zh and spec.title_en
    if spec.kind == "projects":
        rows = atlas.projects[atlas.projects["layer"] == spec.id]
        assert len(rows), f"no register entry uses layer {spec.id}"
        assert set(rows["category"]) <= set(spec.legend_values())
        assert spec.legend_field == "category"
        assert set(spec.filterable) <= set(FILTERABLE_FIELDS)
        assert set(spec.tooltip + spec.card) <= set(PROJECT_FIELDS)
    else:
        frame = atlas.reference_frame(spec)
        assert len(frame), f"reference layer {spec.id} shows nothing"
        if spec.legend:
            assert set(frame[spec.legend_field]) <= set(spec.legend_values())
        assert spec.filterable == ()
        assert set(spec.tooltip + spec.card) <= set(REFERENCE_FIELDS)
    assert spec.tooltip and spec.card


def test_specs_load_in_display_order():
    specs = load_layer_specs(LAYERS[0].parent)
    assert [s.order for s in specs] == sorted(s.order for s in specs)
    assert {s.kind for s in specs} == {"projects", "reference"}


GOOD = {"id": "demo", "title_zh": "示例", "title_en": "Demo", "kind": "projects", "order": 1,
        "geometry": ["point"], "style": {"color": "#123456"}, "legend_field": "category",
        "legend": [{"value": "a", "zh": "甲", "en": "A", "color": "#ff0000"}],
        "tooltip": ["name_zh"], "card": ["name_zh"]}


@pytest.mark.parametrize("change,message", [
    ({"kind": "overlay"}, "'overlay'"),
    ({"geometry": ["circle"]}, "'circle'"),
    ({"style": {"color": "red"}}, "'red'"),
    ({"style": {"color": "#123456", "onclick": "x"}}, "onclick"),
    ({"legend": [{"value": "a", "zh": "甲", "en": "A", "color": "#ff0000"}] * 2}, "repeat"),
    ({"kind": "reference"}, "place_ids"),
    ({"tooltip": []} | {"extra": 1}, "extra"),
    ({"tooltip": []}, "should be non-empty"),
    ({"card": ["name", "colour"]}, "'colour' is not one of"),
    ({"card": ["name", "line"]}, "'line' is not one of"),  # a reference field on a project layer
    ({"filterable": ["layer"]}, "'layer' is not one of"),  # the layer filter is always there
    ({"filterable": ["category", "category"]}, "non-unique"),
    ({"kind": "reference", "place_kinds": ["metro_station"], "filterable": ["line"]},
     "a reference layer is shown or hidden whole and has no filters"),
    ({"kind": "reference", "place_kinds": ["metro_station"], "card": ["name", "status"]},
     "'status' is not one of"),
])
def test_bad_specs_are_refused_with_the_bad_value(change, message):
    with pytest.raises(LayerSpecError, match=message):
        LayerSpec.from_mapping(GOOD | change, "demo.toml")


def test_file_name_must_match_id(tmp_path):
    (tmp_path / "other.toml").write_text(
        'id = "demo"\ntitle_zh = "示"\ntitle_en = "D"\nkind = "projects"\norder = 1\n'
        'geometry = ["point"]\ntooltip = ["name_zh"]\ncard = ["name_zh"]\nlegend = []\n'
        '[style]\ncolor = "#123456"\n', encoding="utf-8")
    with pytest.raises(LayerSpecError, match="must match the file name"):
        load_layer_specs(tmp_path)


def test_adding_a_layer_is_adding_a_file(tmp_path, data_copy, layers_copy, capsys):
    from app.cli.main import main

    (layers_copy / "heritage.toml").write_text(
        'id = "heritage"\ntitle_zh = "历史风貌"\ntitle_en = "Heritage"\nkind = "projects"\n'
        'order = 80\ngeometry = ["point"]\ntooltip = ["name_zh"]\ncard = ["name_zh"]\n'
        'legend_field = "category"\n[style]\ncolor = "#7b241c"\n'
        '[[legend]]\nvalue = "villa"\nzh = "花园住宅"\nen = "Garden villa"\ncolor = "#7b241c"\n',
        encoding="utf-8")
    with (data_copy / "register.toml").open("a", encoding="utf-8") as fh:
        fh.write('\n[[project]]\nid = "demo-villa"\nname_zh = "示例花园住宅"\nname_en = "Demo villa"\n'
                 'layer = "heritage"\ncategory = "villa"\naction = "推进"\nstatus = "planning"\n'
                 'precision = "site"\ngeometry = { ref = "poi-shangshengxinsuo" }\n'
                 'description = "A test."\nreport = { section = "四", paragraph = "打造高品质公共空间" }\n')
    name_in_coverage(data_copy, "demo-villa")  # every entry is named by a report sentence
    code = main(["--data-dir", str(data_copy), "--layers-dir", str(layers_copy), "validate"])
    assert code == 0, capsys.readouterr().err
    assert "heritage" in capsys.readouterr().out
