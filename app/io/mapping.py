"""Column mapping of imported registers: which column holds the name, the address, lon/lat ...

:func:`infer_mapping` guesses from common zh/en headers (名称/项目名称/name, 地址/address,
经度/lon/lng, 纬度/lat ...); :func:`resolve_mapping` lets an explicit choice win.

>>> infer_mapping(["项目名称", "地址", "经度", "纬度", "备注"])
{'name': '项目名称', 'address': '地址', 'lon': '经度', 'lat': '纬度', 'description': '备注'}
>>> infer_mapping([])
{}
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Mapping, Sequence

from app.domain.filters import normalise_text
from app.errors import ImportFileError

__all__ = ["MAPPING_FIELDS", "infer_mapping", "resolve_mapping"]

#: Fields a column can be mapped to, in the order the app shows them.
MAPPING_FIELDS: tuple[str, ...] = (
    "name", "name_en", "address", "lon", "lat", "id", "layer", "category", "status", "action",
    "target_year", "subdistrict", "description", "aliases",
)

# Header spellings per field, compared after _header_key (folded, no spaces or punctuation).
_SYNONYMS: dict[str, tuple[str, ...]] = {
    "name": ("名称", "项目名称", "项目名", "名字", "项目", "中文名", "中文名称", "name", "namezh",
             "projectname", "project", "title", "标题"),
    "name_en": ("英文名", "英文名称", "nameen", "englishname", "english"),
    "address": ("地址", "项目地址", "详细地址", "位置", "地点", "address", "addr", "location"),
    "lon": ("经度", "lon", "lng", "long", "longitude", "x", "东经"),
    "lat": ("纬度", "lat", "latitude", "y", "北纬"),
    "id": ("id", "编号", "项目编号", "code", "projectid"),
    "layer": ("图层", "layer"),
    "category": ("类别", "类型", "分类", "项目类型", "category", "type"),
    "status": ("状态", "进度", "项目状态", "status"),
    "action": ("行动", "2025年行动", "动作", "action"),
    "target_year": ("年份", "目标年份", "年度", "完成年份", "year", "targetyear"),
    "subdistrict": ("街道", "街镇", "街道镇", "所属街道", "subdistrict"),
    "description": ("说明", "描述", "简介", "备注", "内容", "项目内容", "description", "desc",
                    "note", "notes"),
    "aliases": ("别名", "aliases", "alias"),
}
# Second pass: a header containing one of these (or starting with the ascii ones).
_CONTAINS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "name_en": (("英文名",), ("nameen",)),
    "lon": (("经度",), ("lon", "lng")),
    "lat": (("纬度",), ("lat",)),
    "name": (("名称",), ("name",)),
    "address": (("地址",), ("address",)),
    "target_year": (("年份", "年度"), ("year",)),
    "description": (("说明", "简介", "描述"), ()),
    "status": (("状态",), ()),
    "category": (("类别", "类型"), ()),
}
_PUNCT = re.compile(r"[\s_\-()（）\[\]【】<>《》/\\.:：,，·'\"]+")

def _header_key(header: str) -> str:
    return _PUNCT.sub("", normalise_text(str(header)))


def infer_mapping(columns: Sequence[str]) -> dict[str, str]:
    """Field -> column, guessed from the headers; each column used once, fields in order.

    First exact spellings (名称, 项目名称, name; 地址, address; 经度, lon, lng; 纬度, lat …,
    compared without case, width, spaces or punctuation), then headers that contain a telling
    word (经度(GCJ-02), 项目名称(中文)).

    >>> infer_mapping(["Name", "Lng", "Lat", "Address"])
    {'name': 'Name', 'address': 'Address', 'lon': 'Lng', 'lat': 'Lat'}
    >>> infer_mapping(["经度(GCJ02)", "纬度(GCJ02)", "项目名称（中文）", "英文名称"])
    {'name': '项目名称（中文）', 'name_en': '英文名称', 'lon': '经度(GCJ02)', 'lat': '纬度(GCJ02)'}
    >>> infer_mapping(["foo"])
    {}
    """
    keys = {str(c): _header_key(c) for c in columns}
    used: set[str] = set()
    found: dict[str, str] = {}
    for name in MAPPING_FIELDS:
        synonyms = {_header_key(s) for s in _SYNONYMS[name]}
        for column, key in keys.items():
            if column not in used and key in synonyms:
                found[name] = column
                used.add(column)
                break
    for name, (contains, prefixes) in _CONTAINS.items():
        if name in found:
            continue
        for column, key in keys.items():
            if column in used:
                continue
            if any(word in key for word in contains) or (prefixes and key.startswith(prefixes)):
                if name == "name" and "英文" in key:
                    continue
                found[name] = column
                used.add(column)
                break
    return {name: found[name] for name in MAPPING_FIELDS if name in found}


def resolve_mapping(columns: Sequence[str], explicit: Mapping[str, str | None] | None = None
                    ) -> dict[str, str]:
    """The mapping to use: inferred, then overridden by `explicit` (None or "" unmaps a field).

    ImportFileError names an unknown field, a missing column, or a column mapped twice.

    >>> resolve_mapping(["名称", "addr"], {"address": "addr"})
    {'name': '名称', 'address': 'addr'}
    >>> resolve_mapping(["名称"], {"name": "标题"})
    Traceback (most recent call last):
    ...
    app.errors.ImportFileError: mapping name=标题: there is no column '标题'; the columns are ['名称']
    """
    columns = [str(c) for c in columns]
    mapping = infer_mapping(columns)
    explicit = dict(explicit or {})
    for name, column in explicit.items():
        if name not in MAPPING_FIELDS:
            raise ImportFileError(f"mapping {name}={column}: unknown field {name!r}; "
                                  f"fields are {list(MAPPING_FIELDS)}")
        if column not in (None, "") and column not in columns:
            raise ImportFileError(f"mapping {name}={column}: there is no column {column!r}; "
                                  f"the columns are {columns}")
    chosen = [c for c in explicit.values() if c]
    twice = sorted(c for c, n in Counter(chosen).items() if n > 1)
    if twice:
        raise ImportFileError(f"mapping: column(s) {twice} given for more than one field")
    for name, column in explicit.items():
        mapping.pop(name, None)
        if column:
            for other in [k for k, v in mapping.items() if v == column]:
                del mapping[other]
            mapping[name] = column
    return {name: mapping[name] for name in MAPPING_FIELDS if name in mapping}
