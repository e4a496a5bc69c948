"""Leaflet and plugin assets come from installed packages, never from a CDN (no browser here)."""

from __future__ import annotations

import dataclasses
import re
import sysconfig
from pathlib import Path

import folium
import folium.plugins
import pytest

from app.errors import AtlasError
from app.map.assets import (
    ASSETS,
    IMAGE_PATH_SCRIPT,
    MAP_EXTRAS,
    Asset,
    ensure_static_assets,
    external_links,
    localize,
    offline_html,
)

BASE_URL = "/app/static/vendor"
CHANGNING = (31.2204, 121.4166)

# Element classes whose default_js / default_css the table has to cover.
COVERED = (
    folium.Map,
    folium.plugins.Fullscreen,
    folium.plugins.MeasureControl,
    folium.plugins.MiniMap,
    folium.plugins.MarkerCluster,
    folium.plugins.FastMarkerCluster,
    folium.plugins.LocateControl,
    folium.plugins.Draw,
)

# A cluster callback that needs no awesome-markers (FastMarkerCluster's default does).
CIRCLE_CALLBACK = "function (row) { return L.circleMarker(new L.LatLng(row[0], row[1])); }"

# CSS references to files no installed package carries. Leaflet-MiniMap's toggle button image
# is only shown with MiniMap(toggle_display=True); the browser then gets a local 404.
KNOWN_MISSING = {
    "folium-offline/leaflet-minimap-3.6.1/images/toggle.svg",
    "folium-offline/leaflet-minimap-3.6.1/images/toggle.png",
}


def full_map() -> folium.Map:
    """A map using every element the atlas relies on, with Chinese labels."""
    m = folium.Map(location=CHANGNING, zoom_start=14, tiles=None, control_scale=True)
    folium.CircleMarker(CHANGNING, radius=8, tooltip="中山公园",
                        popup=folium.Popup("长宁区 <b>更新</b>")).add_to(m)
    folium.Polygon([(31.22, 121.41), (31.23, 121.42), (31.21, 121.43)], tooltip="片区").add_to(m)
    folium.GeoJson(
        {"type": "FeatureCollection", "features": [
            {"type": "Feature", "properties": {"name": "天山"},
             "geometry": {"type": "Point", "coordinates": [121.40, 31.21]}}]},
        marker=folium.CircleMarker(radius=5),
        tooltip=folium.GeoJsonTooltip(["name"]),
    ).add_to(m)
    folium.plugins.Fullscreen().add_to(m)
    folium.plugins.MeasureControl().add_to(m)
    folium.plugins.MiniMap().add_to(m)
    folium.plugins.LocateControl().add_to(m)
    folium.plugins.MarkerCluster([(31.215, 121.405), (31.216, 121.406)]).add_to(m)
    folium.plugins.FastMarkerCluster([(31.225, 121.425)], callback=CIRCLE_CALLBACK).add_to(m)
    folium.plugins.Draw(draw_options={"circle": False, "circlemarker": False},
                        show_geometry_on_click=False).add_to(m)
    return m


def links(html: str) -> list[str]:
    """script src and link href values, found independently of app.map.assets."""
    return re.findall(r'<(?:script|link)\b[^>]*\b(?:src|href)="([^"]*)"', html)


def names(m: folium.Map) -> set[str]:
    """Asset names the map itself links."""
    return {name for name, _ in [*m.default_js, *m.default_css]}


def snapshot(folder: Path) -> dict[Path, tuple[int, int, int]]:
    """(inode, size, mtime) of every file under folder."""
    return {p: (p.stat().st_ino, p.stat().st_size, p.stat().st_mtime_ns)
            for p in folder.rglob("*") if p.is_file()}


@pytest.fixture(scope="module")
def static_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A static folder filled once by ensure_static_assets."""
    static = tmp_path_factory.mktemp("app") / "static"
    ensure_static_assets(static)
    return static


def test_full_map_links_only_local_files() -> None:
    html = offline_html(localize(full_map()))
    urls = links(html)
    assert len(urls) >= 10
    assert all(url.startswith(BASE_URL + "/") for url in urls), urls
    assert not [url for url in urls if re.match(r"(https?:)?//", url)]


def test_every_local_url_is_a_file_ensure_static_assets_wrote(static_dir: Path) -> None:
    for url in links(offline_html(localize(full_map()))):
        path = static_dir / url.removeprefix("/app/static/")
        assert path.is_file(), url
        assert path.stat().st_size > 0, url


def test_every_element_gets_local_links() -> None:
    m = localize(full_map())
    for element in _all_elements(m):
        for _, url in [*getattr(element, "default_js", ()), *getattr(element, "default_css", ())]:
            assert url.startswith(BASE_URL + "/"), (type(element).__name__, url)


def test_unused_extras_are_dropped() -> None:
    m = folium.Map(location=CHANGNING, tiles=None)
    folium.CircleMarker(CHANGNING, tooltip=folium.Tooltip("站点")).add_to(m)
    folium.GeoJson({"type": "Polygon", "coordinates": [[[121.4, 31.2], [121.41, 31.2],
                                                       [121.41, 31.21], [121.4, 31.2]]]},
                   popup=folium.GeoJsonPopup([], labels=False)).add_to(m)
    localize(m)
    assert names(m) == {"leaflet", "leaflet_css", IMAGE_PATH_SCRIPT[0]}


@pytest.mark.parametrize(
    ("element", "kept"),
    [
        (lambda: folium.Popup("卡片"), {"jquery"}),
        (lambda: folium.plugins.LocateControl(), {"awesome_markers_font_css"}),
    ],
    ids=["popup-keeps-jquery", "locate-keeps-font-awesome"],
)
def test_extras_an_element_uses_are_kept_and_local(element, kept: set[str]) -> None:
    m = folium.Map(location=CHANGNING, tiles=None)
    marker = folium.CircleMarker(CHANGNING).add_to(m)
    element().add_to(marker if kept == {"jquery"} else m)
    localize(m)
    assert names(m) & MAP_EXTRAS == kept
    assert not external_links(m)


@pytest.mark.parametrize(
    "add",
    [
        lambda m: folium.Marker(CHANGNING, icon=folium.Icon(icon="info-sign")).add_to(m),
        lambda m: folium.plugins.FastMarkerCluster([CHANGNING]).add_to(m),
        lambda m: folium.LinearColormap(["white", "red"], vmin=0, vmax=1).add_to(m),
    ],
    ids=["awesome-marker-icon", "fast-cluster-default-callback", "colormap-d3"],
)
def test_assets_no_package_provides_are_refused(add) -> None:
    m = folium.Map(location=CHANGNING, tiles=None)
    add(m)
    with pytest.raises(AtlasError, match="would still come from another host"):
        localize(m)


def test_localize_is_idempotent_and_leaves_folium_classes_alone() -> None:
    before = (list(folium.Map.default_js), list(folium.plugins.MiniMap.default_css))
    m = localize(full_map())
    first = offline_html(m)
    second = offline_html(localize(m))
    assert links(first) == links(second)
    assert (folium.Map.default_js, folium.plugins.MiniMap.default_css) == before


def test_an_element_added_after_localize_brings_back_what_it_needs() -> None:
    m = localize(folium.Map(location=CHANGNING, tiles=None))
    folium.CircleMarker(CHANGNING, popup="卡片").add_to(m)
    assert "jquery" in names(localize(m))


def test_a_new_upstream_version_is_refused_not_served_stale() -> None:
    m = folium.Map(location=CHANGNING, tiles=None)
    plugin = folium.plugins.Fullscreen().add_to(m)
    plugin.default_js = [("Control.Fullscreen.js",
                          "https://cdn.jsdelivr.net/npm/leaflet.fullscreen@9.9.9/Control.FullScreen.min.js")]
    with pytest.raises(AtlasError, match="update ASSETS"):
        localize(m)


def test_unlocalized_map_is_refused_by_offline_html() -> None:
    with pytest.raises(AtlasError, match="other hosts"):
        offline_html(full_map())


@pytest.mark.parametrize("asset", ASSETS.values(), ids=ASSETS.keys())
def test_every_asset_is_what_folium_asks_for(asset: Asset) -> None:
    asked = {pair for cls in COVERED for pair in [*cls.default_js, *cls.default_css]}
    assert (asset.name, asset.upstream) in asked


@pytest.mark.parametrize("cls", COVERED, ids=lambda cls: cls.__name__)
def test_every_covered_element_is_in_the_table_or_an_extra(cls: type) -> None:
    for name, _ in [*cls.default_js, *cls.default_css]:
        assert name in ASSETS or name in MAP_EXTRAS, name


@pytest.mark.parametrize(
    "asset", [a for a in ASSETS.values() if a.path.endswith(".css")],
    ids=lambda a: a.name,
)
def test_css_references_resolve_to_copied_files(asset: Asset, static_dir: Path) -> None:
    vendor = static_dir / "vendor"
    (css,) = vendor.glob(f"{asset.folder('*')}/{asset.path}")
    package_root = css.parents[len(Path(asset.path).parts) - 1]
    for ref in re.findall(r"url\(\s*['\"]?([^'\")]+)", css.read_text(encoding="utf-8")):
        if ref.startswith(("data:", "#")):
            continue
        assert not re.match(r"(https?:)?//", ref), ref
        target = (css.parent / ref.split("?")[0].split("#")[0]).resolve()
        key = f"{asset.distribution}/{target.relative_to(package_root.resolve()).as_posix()}"
        if key in KNOWN_MISSING:
            continue
        assert target.is_file(), f"{asset.name}: url({ref}) -> {target}"


def test_marker_image_path_script_points_at_leaflet_images(static_dir: Path) -> None:
    script = static_dir / "vendor" / IMAGE_PATH_SCRIPT[1]
    (relative,) = re.findall(r'new URL\("([^"]+)"', script.read_text(encoding="utf-8"))
    assert (script.parent / relative / "marker-icon.png").resolve().is_file()
    html = offline_html(localize(full_map()))
    assert links(html).index(f"{BASE_URL}/{IMAGE_PATH_SCRIPT[1]}") == 1  # right after leaflet.js


def test_ensure_static_assets_is_idempotent(tmp_path: Path) -> None:
    vendor = ensure_static_assets(tmp_path / "static")
    assert vendor == tmp_path / "static" / "vendor"
    first = snapshot(vendor)
    assert ensure_static_assets(tmp_path / "static") == vendor
    assert snapshot(vendor) == first
    assert not list(vendor.rglob("*.tmp"))
    assert all((folder / "SOURCES.txt").is_file() for folder in vendor.iterdir())


def test_ensure_static_assets_repairs_a_damaged_copy(tmp_path: Path) -> None:
    vendor = ensure_static_assets(tmp_path / "static")
    (leaflet,) = vendor.glob("xstatic-leaflet-*/leaflet.js")
    good = leaflet.read_bytes()
    leaflet.write_bytes(good[:-1] + b"!")  # same size, different content
    ensure_static_assets(tmp_path / "static")
    assert leaflet.read_bytes() == good


def test_ensure_static_assets_never_touches_site_packages(tmp_path: Path) -> None:
    purelib = Path(sysconfig.get_paths()["purelib"])
    sources = [purelib / "xstatic", purelib / "offlinefolium"]
    before = {folder: snapshot(folder) for folder in sources}
    ensure_static_assets(tmp_path / "static")
    assert {folder: snapshot(folder) for folder in sources} == before

    inside = purelib / "atlas-test-static"
    with pytest.raises(AtlasError, match="refusing to write"):
        ensure_static_assets(inside)
    assert not inside.exists()


def test_a_missing_package_gives_the_install_hint(tmp_path: Path) -> None:
    table = {**ASSETS, "leaflet": dataclasses.replace(
        ASSETS["leaflet"], distribution="xstatic-no-such-package",
        module="xstatic.pkg.no_such_package",
    )}
    with pytest.raises(AtlasError, match="pip install xstatic-no-such-package"):
        ensure_static_assets(tmp_path / "static", assets=table)
    with pytest.raises(AtlasError, match="pip install xstatic-no-such-package"):
        localize(folium.Map(tiles=None), assets=table)


def _all_elements(element):
    """The element and its descendants."""
    yield element
    for child in element._children.values():
        yield from _all_elements(child)


def test_drawing_tools_are_served_locally_with_their_icons_inline(static_dir: Path) -> None:
    m = folium.Map(location=CHANGNING, tiles=None)
    folium.plugins.Draw(export=False).add_to(m)
    localize(m)
    draw = next(e for e in _all_elements(m) if isinstance(e, folium.plugins.Draw))
    urls = [url for _, url in [*draw.default_js, *draw.default_css]]
    assert [u.rsplit("/", 1)[1] for u in urls] == ["leaflet.draw.js", "leaflet.draw.css"]
    assert all(u.startswith(BASE_URL + "/folium-offline-") for u in urls), urls
    css = (static_dir / urls[1].removeprefix("/app/static/")).read_text(encoding="utf-8")
    refs = re.findall(r"url\(\s*['\"]?([^'\")]{0,40})", css)
    assert refs and all(ref.startswith("data:image/") for ref in refs), refs  # sprites inline
