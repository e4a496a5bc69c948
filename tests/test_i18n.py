"""The one UI text table: complete in both languages, the same placeholders, used by every page,
and no page keeping a table (or Chinese text) of its own."""

from __future__ import annotations

import ast
import doctest
import re
import string
from pathlib import Path

import pytest

import app.domain.i18n
from app.domain.filters import FILTER_FIELDS
from app.domain.i18n import FIELD_LABELS, STRINGS, t
from app.domain.roles import ROLE_LISTS
from app.io.mapping import MAPPING_FIELDS
from app.io.report import ROW_STATUSES

ROOT = Path(__file__).resolve().parent.parent
UI_SOURCES = sorted((ROOT / "app" / "ui").rglob("*.py"))
CJK = re.compile(r"[\u3000-\u303f\u4e00-\u9fff\uff00-\uffef]")


def placeholders(text: str) -> set[str]:
    """The names of the format fields in `text` (``{n}``, ``{size:.1f}`` -> n, size)."""
    return {name for _, name, _, _ in string.Formatter().parse(text) if name is not None}


def trees() -> list[tuple[Path, ast.Module]]:
    return [(path, ast.parse(path.read_text(encoding="utf-8"))) for path in UI_SOURCES]


@pytest.mark.parametrize("key", sorted(STRINGS))
def test_every_key_has_both_languages_with_the_same_placeholders(key):
    """The same placeholders in both, but for ``en_*`` ones: the English words a message quotes
    from a library or an English name (app/domain/messages.py), which the Chinese leaves out."""
    zh, en = STRINGS[key]
    assert zh.strip() and en.strip(), key
    english_only = {name for name in placeholders(en) if name.startswith("en_")}
    assert placeholders(zh) == placeholders(en) - english_only, key


def test_field_labels_have_both_languages():
    assert all(zh.strip() and en.strip() for zh, en in FIELD_LABELS.values())


def test_t_picks_the_language():
    assert (t("import.run", "zh"), t("import.run", "en")) == ("导入", "Import")


def test_no_ui_module_keeps_a_table_or_chinese_text_of_its_own():
    """Bilingual text lives in app/domain/i18n.py only: no dict keyed by 'zh'/'en' and no
    Chinese string literal anywhere under app/ui (comments are not string literals)."""
    found = []
    for path, tree in trees():
        for node in ast.walk(tree):
            if isinstance(node, ast.Dict):
                keys = {k.value for k in node.keys if isinstance(k, ast.Constant)}
                if {"zh", "en"} <= keys:
                    found.append(f"{path.name}:{node.lineno}: a zh/en table")
            elif isinstance(node, ast.Constant) and isinstance(node.value, str) and CJK.search(node.value):
                found.append(f"{path.name}:{node.lineno}: {node.value[:30]!r}")
    assert not found


def literal_keys() -> set[str]:
    """Every literal key passed to t() or to safe.say/notice under app/ui."""
    keys = set()
    for _, tree in trees():
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call):
                continue
            name = getattr(node.func, "id", None) or getattr(node.func, "attr", None)
            position = {"t": 0, "say": 0, "notice": 1}.get(name)
            if position is None or len(node.args) <= position:
                continue
            arg = node.args[position]
            if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
                keys.add(arg.value)
    return keys


def test_every_key_the_pages_use_exists():
    used = literal_keys()
    assert len(used) > 100  # the scan does see the pages' calls
    assert sorted(used - set(STRINGS)) == []


@pytest.mark.parametrize("key", [
    *(f"import.status_{s}" for s in ROW_STATUSES),
    *(f"import.field_{f}" for f in MAPPING_FIELDS),
    *(f"import.crs_{c}" for c in ("wgs84", "gcj02", "bd09", "epsg")),
    *(f"crs_label_{c}" for c in ("wgs84", "gcj02", "bd09")),
    *(f"field.{k}" for k in ("confirm", "correct", "src_device", "src_typed", "src_tap",
                             "precision_site", "precision_street", "precision_area")),
    *(f"auth.role_{r}" for r in ROLE_LISTS),
    *FILTER_FIELDS,
    "export_wgs84", "export_gcj02", "lang_zh", "lang_en",
])
def test_keys_built_at_run_time_exist(key):
    """Keys the pages build from codes (t(f"import.status_{s}")) are in the table."""
    assert key in STRINGS


def test_doctests():
    assert doctest.testmod(app.domain.i18n).failed == 0
