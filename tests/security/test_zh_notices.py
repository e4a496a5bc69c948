"""Every message in the page's language: in Chinese, a notice has no English words, details
included -- only names, codes and units (WGS-84, EPSG, MiB, .xlsx ...).

Two halves: every notice key of the i18n table rendered in Chinese (the keys the pages show as
notices, found in their code, and every message an error or a URL notice carries), and the
map page run in AppTest with a link full of bad parameters, whose warning must be Chinese too.
Streamlit's own placeholders ("Choose an option") come from the table as well.
"""

from __future__ import annotations

import ast
import re
import string
from pathlib import Path

import pytest

from app.domain.i18n import STRINGS, t
from app.domain.text import unescape_markdown
from tests.apptest import map_app

ROOT = Path(__file__).resolve().parents[2]

#: Latin words a Chinese notice may hold: names (of formats, systems, products), codes and units.
ALLOWED = {
    # coordinate systems and codes
    "WGS-84", "GCJ-02", "BD-09", "EPSG", "GPS", "UTM", "YYYY-MM-DD", "lat", "lon",
    # formats, encodings and the software named
    "CSV", "Excel", "xlsx", "xls", "json", "JSON", "GeoJSON", "geojson", "GeoPackage", "gpkg",
    "KML", "kml", "Shapefile", "shp", "shx", "dbf", "prj", "zip", "SQL", "SQLite", "GDAL",
    "GIS", "DOCTYPE", "NUL", "UTF-8", "GBK", "GB18030", "Big5", "Shift-JIS", "BOM", "OIDC",
    "PDF", "PNG", "JPEG", "QR", "http", "https", "csv", "txt", "README", "TIANDITU_KEY",
    "python", "-m", "app", "import", "store", "load", "import-boundaries", "subdistrict",
    "unit", "parcel", "PATH", "--kind", "CRS", "ID", "ms",
    "Feature", "FeatureCollection", "features", "XML", "HTML", "UTC", "kind",
    # the link's parameter names and the basemaps' ids (codes a link is written with)
    "lang", "basemap", "ref", "layer", "category", "status", "action", "section",
    "precision", "q", "p", "z", "v", "register", "asof", "osm", "amap", "tianditu", "none",
    # units
    "MiB", "MB", "KiB", "km", "m", "ha", "s",
}
_LATIN = re.compile(r"[A-Za-z][A-Za-z0-9_.\-]*[A-Za-z0-9]|[A-Za-z]")
#: Placeholders and notices of every page: the first argument of these calls in app/ui.
_NOTICE_CALLS = {"notice": 1, "say": 0, "keep": 1}


def _latin_words(text: str) -> set[str]:
    return {w.strip(".-") for w in _LATIN.findall(text)} - {""}


def _keys_shown_as_notices() -> set[str]:
    """i18n keys that app/ui passes to notice(), say() or outcome.keep(), or that an st.info,
    st.warning, st.error, st.success or st.caption shows through t()."""
    keys: set[str] = set()
    for path in (ROOT / "app" / "ui").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.Call):
                continue
            name = getattr(node.func, "attr", getattr(node.func, "id", ""))
            at = _NOTICE_CALLS.get(name)
            if at is not None and len(node.args) > at and isinstance(node.args[at], ast.Constant):
                keys.add(node.args[at].value)
            if name in ("info", "warning", "error", "success", "caption", "toast") and node.args:
                first = node.args[0]
                if (isinstance(first, ast.Call) and getattr(first.func, "id", "") == "t"
                        and isinstance(first.args[0], ast.Constant)):
                    keys.add(first.args[0].value)
    return {k for k in keys if isinstance(k, str) and k in STRINGS}


def notice_keys() -> list[str]:
    """Every notice key: those the pages show, and every message errors and links carry."""
    carried = {k for k in STRINGS if k.split(".")[0] in ("err", "url", "picker", "error")}
    return sorted(_keys_shown_as_notices() | carried)


def _rendered(key: str) -> str:
    """The Chinese template of `key` with every value filled in (a number fits every format)."""
    fields = {f for _, f, _, _ in string.Formatter().parse(t(key, "zh")) if f}
    return t(key, "zh").format(**{f.split(".")[0].split("[")[0]: 1 for f in fields})


def test_the_notice_keys_are_found():
    keys = notice_keys()
    assert {"error_atlas", "import.unusable", "auth.locked", "url.unknown", "err.parse_wall",
            "picker.one", "register.unknown"} <= set(keys)
    assert len(keys) > 150


@pytest.mark.parametrize("key", notice_keys())
def test_every_notice_reads_in_chinese(key):
    rendered = _rendered(key)
    assert _latin_words(rendered) <= ALLOWED, (key, rendered, _latin_words(rendered) - ALLOWED)


BAD_LINK = {"layer": "parks", "status": "dreaming", "p": "no-such-project", "z": "99",
            "lat": "north", "asof": "2025-13-01", "basemap": "moon", "ref": "metro", "lang": "zh"}


def test_a_bad_link_is_explained_in_chinese_on_the_map_page():
    at = map_app(BAD_LINK).run()
    assert not at.exception
    warning = next(w.value for w in at.warning if "链接中的部分参数无效" in w.value)
    text = unescape_markdown(warning).replace("\u2060", "")
    for name, value in BAD_LINK.items():  # what the link said is quoted as it was given
        text = text.replace(f"{name}='{value}'", "").replace(f"{name}={value}", "")
    assert _latin_words(text) <= ALLOWED, text


def test_the_pickers_placeholders_come_from_the_table():
    at = map_app({"lang": "zh"}).run()
    assert at.selectbox(key="w_basemap").proto.placeholder == "请选择"
    assert at.selectbox(key="w_register").proto.placeholder == "请选择"
    assert at.multiselect(key="w_refs").proto.placeholder == "请选择(可多选)"
