"""Register entries and recipes check themselves and quote the bad value."""

import pytest

from app.domain.model import Project, Recipe
from app.errors import DataError


def entry(**overrides):
    base = {
        "id": "demo-park", "name_zh": "示例公园", "name_en": "Demo Park", "layer": "public_space",
        "category": "park", "action": "开放", "status": "operating", "precision": "site",
        "geometry": {"ref": "poi-tianshangongyuan"}, "description": "A park.",
        "report": {"section": "四", "paragraph": "打造高品质公共空间"},
    }
    base.update(overrides)
    return {k: v for k, v in base.items() if v is not None}


def test_a_good_entry_builds():
    project = Project.from_mapping(entry(aliases=["示例"], target_year=2025))
    assert project.geometry == Recipe(kind="ref", refs=("poi-tianshangongyuan",))
    assert project.subdistrict == "unknown"
    assert project.report.label().endswith("(四) 打造高品质公共空间")


@pytest.mark.parametrize("overrides,message", [
    ({"id": "Bad Id"}, "'Bad Id'"),
    ({"name_zh": ""}, "name_zh is missing"),
    ({"precision": "exact"}, "'exact'"),
    ({"report": {"section": "八", "paragraph": "x"}}, "'八'"),
    ({"target_year": 1999}, "1999"),
    ({"aliases": "天山"}, "aliases must be a list"),
    ({"colour": "red"}, "unknown field"),
    ({"geometry": None}, "does not match its geometry"),
    ({"precision": "unlocated"}, "does not match its geometry"),
    ({"precision": "area"}, "needs a position_note"),
    ({"geometry": {"point": [121.4, 31.2]}}, "needs its crs"),
    ({"geometry": {"point": [121.4, float("nan")], "crs": "wgs84", "source": "x"}}, "NaN"),
    ({"geometry": {"ref": "a", "line": ["b", "c"]}}, "exactly one of"),
    ({"geometry": {"line": ["only-one"]}}, "at least 2"),
    ({"geometry": {"along": "line-x", "from": "a"}}, "'from' and 'to'"),
])
def test_bad_entries_name_the_problem(overrides, message):
    with pytest.raises(DataError, match=message.replace("(", r"\(")) as info:
        Project.from_mapping(entry(**overrides))
    assert "demo-park" in str(info.value) or "Bad Id" in str(info.value)


def test_recipe_parses_linear_reference():
    recipe = Recipe.from_mapping({"along": "line-3-4-viaduct", "from": "a", "to": "b",
                                  "from_m": 10, "to_m": 200.5}, "t")
    assert recipe.kind == "along"
    assert recipe.place_refs() == ("a", "b", "line-3-4-viaduct")
    assert (recipe.from_m, recipe.to_m) == (10.0, 200.5)
