"""Leaflet and its plugins' JS/CSS, served from installed Python packages instead of CDNs.

folium lists the files each map element needs as ``default_js`` / ``default_css``: pairs of
(name, url) that point at public CDNs, which are slow or blocked on mainland and government
networks. This module keeps the map off those hosts in three steps:

1. :func:`ensure_static_assets` copies the files out of installed packages into the app's
   static folder, which Streamlit serves at ``/app/static/`` when
   ``server.enableStaticServing`` is on (the folder must sit next to the main script);
2. :func:`localize` points every element of a map at those copies, drops the extras folium
   attaches to every map "just in case" (Bootstrap, awesome-markers, Font Awesome, jQuery)
   unless an element of this map uses them, and raises if anything would still be fetched
   from another host;
3. :func:`offline_html` renders a map and checks the rendered ``<script src>`` and
   ``<link href>`` once more.

Where each file comes from is data: :data:`ASSETS` maps folium's name for a file to the
package that carries it. A file is found in a package folder (the XStatic packages: Leaflet,
Leaflet.markercluster, jQuery, Font Awesome) or, for the plugins no XStatic package carries
(leaflet.fullscreen, leaflet-measure, Leaflet-MiniMap, leaflet-locatecontrol, Leaflet.draw -- the
planner page's drawing tools, whose CSS carries its icons inline), as text in the
table that ``folium-offline`` embeds under the same CDN URL folium uses.

>>> import folium
>>> m = localize(folium.Map(tiles=None))
>>> [url for _, url in m.default_js]
['/app/static/vendor/xstatic-leaflet-1.9.3.0/leaflet.js', '/app/static/vendor/atlas/leaflet-image-path.js']
"""

from __future__ import annotations

import hashlib
import importlib
import json
import re
import site
import sysconfig
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from html.parser import HTMLParser
from importlib import metadata
from pathlib import Path
from types import ModuleType

import folium
import folium.plugins
from branca.colormap import ColorMap
from branca.element import Element

from app.errors import AtlasError
from app.io.atomic import atomic_write

__all__ = [
    "ASSETS",
    "DEFAULT_BASE_URL",
    "IMAGE_PATH_SCRIPT",
    "MAP_EXTRAS",
    "NEEDS",
    "Asset",
    "Need",
    "ensure_static_assets",
    "external_links",
    "linked_urls",
    "localize",
    "offline_html",
]

#: URL under which Streamlit serves ``<static dir>/vendor`` (``server.enableStaticServing``).
DEFAULT_BASE_URL = "/app/static/vendor"

#: The atlas's own script, under ``vendor/``, that tells Leaflet where its marker images are.
#: The live map loads leaflet.css beside the scripts, not before them, so Leaflet may not read
#: the image folder from the stylesheet and then guesses a wrong URL (a 404 for every default
#: marker icon, such as the planner's drawn point). localize() links this script right after
#: Leaflet.
IMAGE_PATH_SCRIPT = ("leaflet_image_path", "atlas/leaflet-image-path.js")


@dataclass(frozen=True)
class Asset:
    """One JS or CSS file that folium asks for, and the installed package that carries it.

    ``name`` and ``upstream`` are folium's (name, url) pair; ``upstream`` is checked, so a
    folium upgrade that moves a plugin to a new version fails loudly instead of being served
    an old copy. ``path`` is where the file lands under ``vendor/<distribution>-<version>/``.
    For a packaged file (``embedded is None``) it is also where the file sits under the
    XStatic module's ``BASE_DIR``, so that relative ``url(...)`` references in CSS keep
    working; ``companions`` are glob patterns (under the same ``BASE_DIR``) of files such a
    CSS refers to. For an embedded file, ``embedded`` names the module-level dict that holds
    the file's text under its ``upstream`` URL.
    """

    name: str
    upstream: str
    distribution: str
    module: str
    path: str
    licence: str
    companions: tuple[str, ...] = ()
    embedded: str | None = None

    def folder(self, version: str) -> str:
        """The vendor sub-folder for this asset's package at ``version``."""
        return f"{_canonical(self.distribution)}-{version}"

    def url(self, base_url: str, version: str) -> str:
        """The local URL of the file, e.g. ``/app/static/vendor/xstatic-leaflet-1.9.3.0/leaflet.js``."""
        return f"{base_url.rstrip('/')}/{self.folder(version)}/{self.path}"


def _canonical(distribution: str) -> str:
    """PEP 503 normalised distribution name (``XStatic_Leaflet`` -> ``xstatic-leaflet``)."""
    return re.sub(r"[-_.]+", "-", distribution).lower()


def _packaged(
    name: str, upstream: str, distribution: str, path: str, licence: str, *companions: str
) -> Asset:
    """A file shipped as a file by an XStatic package (``xstatic.pkg.<name>``)."""
    module = "xstatic.pkg." + _canonical(distribution).removeprefix("xstatic-").replace("-", "_")
    return Asset(name, upstream, distribution, module, path, licence, companions)


def _embedded(name: str, upstream: str, path: str, licence: str) -> Asset:
    """A file whose text folium-offline embeds in ``offlinefolium.elements._res[upstream]``."""
    return Asset(name, upstream, "folium-offline", "offlinefolium.elements", path, licence,
                 embedded="_res")


_CDNJS = "https://cdnjs.cloudflare.com/ajax/libs"
_JSDELIVR = "https://cdn.jsdelivr.net"
_FULLSCREEN = f"{_JSDELIVR}/npm/leaflet.fullscreen@3.0.0"
_MEASURE = f"{_JSDELIVR}/gh/ljagis/leaflet-measure@2.1.7/dist"
_MINIMAP = f"{_CDNJS}/leaflet-minimap/3.6.1"
_LOCATE = f"{_CDNJS}/leaflet-locatecontrol/0.66.2"
_CLUSTER = f"{_CDNJS}/leaflet.markercluster/1.1.0"
_DRAW = f"{_CDNJS}/leaflet.draw/1.0.2"

#: folium's asset name -> where an installed package keeps that file. The licence is the
#: licence of the file itself (the packaging around it is MIT or BSD).
ASSETS: Mapping[str, Asset] = {a.name: a for a in (
    # folium.Map: Leaflet core (Leaflet 1.9.3, the version folium pins).
    _packaged("leaflet", f"{_JSDELIVR}/npm/leaflet@1.9.3/dist/leaflet.js",
              "xstatic-leaflet", "leaflet.js", "BSD-2-Clause"),
    _packaged("leaflet_css", f"{_JSDELIVR}/npm/leaflet@1.9.3/dist/leaflet.css",
              "xstatic-leaflet", "leaflet.css", "BSD-2-Clause", "images/*.png"),
    # folium.Map's extras that some elements really use (see NEEDS).
    _packaged("jquery", "https://code.jquery.com/jquery-3.7.1.min.js",
              "xstatic-jquery", "jquery.min.js", "MIT"),
    _packaged("awesome_markers_font_css",
              f"{_JSDELIVR}/npm/@fortawesome/fontawesome-free@6.2.0/css/all.min.css",
              "xstatic-font-awesome", "css/all.min.css",
              "MIT (CSS), OFL-1.1 (fonts), CC-BY-4.0 (icons)",
              "webfonts/*.woff2", "webfonts/*.ttf", "LICENSE.txt"),
    # MarkerCluster / FastMarkerCluster: folium asks for 1.1.0; 1.4.1 keeps its API.
    _packaged("markerclusterjs", f"{_CLUSTER}/leaflet.markercluster.js",
              "xstatic-leaflet-markercluster", "leaflet.markercluster.js", "MIT"),
    _packaged("markerclustercss", f"{_CLUSTER}/MarkerCluster.css",
              "xstatic-leaflet-markercluster", "MarkerCluster.css", "MIT"),
    _packaged("markerclusterdefaultcss", f"{_CLUSTER}/MarkerCluster.Default.css",
              "xstatic-leaflet-markercluster", "MarkerCluster.Default.css", "MIT"),
    # Plugins that no XStatic package carries: folium-offline embeds folium's exact files.
    _embedded("Control.Fullscreen.js", f"{_FULLSCREEN}/Control.FullScreen.min.js",
              "leaflet.fullscreen-3.0.0/Control.FullScreen.min.js", "MIT"),
    _embedded("Control.FullScreen.css", f"{_FULLSCREEN}/Control.FullScreen.css",
              "leaflet.fullscreen-3.0.0/Control.FullScreen.css", "MIT"),
    _embedded("leaflet_measure_js", f"{_MEASURE}/leaflet-measure.min.js",
              "leaflet-measure-2.1.7/leaflet-measure.min.js", "MIT"),
    _embedded("leaflet_measure_css", f"{_MEASURE}/leaflet-measure.min.css",
              "leaflet-measure-2.1.7/leaflet-measure.min.css", "MIT"),
    _embedded("Control_MiniMap_js", f"{_MINIMAP}/Control.MiniMap.js",
              "leaflet-minimap-3.6.1/Control.MiniMap.js", "BSD-2-Clause"),
    _embedded("Control_MiniMap_css", f"{_MINIMAP}/Control.MiniMap.css",
              "leaflet-minimap-3.6.1/Control.MiniMap.css", "BSD-2-Clause"),
    _embedded("Control_locate_min_js", f"{_LOCATE}/L.Control.Locate.min.js",
              "leaflet-locatecontrol-0.66.2/L.Control.Locate.min.js", "MIT"),
    _embedded("Control_locate_min_css", f"{_LOCATE}/L.Control.Locate.min.css",
              "leaflet-locatecontrol-0.66.2/L.Control.Locate.min.css", "MIT"),
    # folium.plugins.Draw (the planner page): Leaflet.draw, its sprite icons inline in the CSS.
    _embedded("leaflet_draw_js", f"{_DRAW}/leaflet.draw.js", "leaflet.draw-1.0.2/leaflet.draw.js", "MIT"),
    _embedded("leaflet_draw_css", f"{_DRAW}/leaflet.draw.css", "leaflet.draw-1.0.2/leaflet.draw.css",
              "MIT"),
)}

#: What folium.Map links on every map whether or not anything uses it. :func:`localize`
#: drops each of these unless an element of the map needs it (see :data:`NEEDS`).
MAP_EXTRAS: frozenset[str] = frozenset({
    "jquery", "bootstrap", "bootstrap_css", "glyphicons_css", "awesome_markers",
    "awesome_markers_css", "awesome_markers_font_css", "awesome_rotate_css",
})

_AWESOME_MARKERS = frozenset({
    "awesome_markers", "awesome_markers_css", "awesome_markers_font_css", "glyphicons_css",
    "awesome_rotate_css",
})


def _always(_element: Element) -> bool:
    """Every instance of the class needs the assets."""
    return True


def _default_cluster_callback(element: Element) -> bool:
    """FastMarkerCluster without ``callback=`` draws L.AwesomeMarkers icons."""
    return "AwesomeMarkers" in getattr(element, "callback", "")


@dataclass(frozen=True)
class Need:
    """Instances of ``kind`` (for which ``when`` holds) use some of :data:`MAP_EXTRAS`."""

    kind: type
    assets: frozenset[str]
    why: str
    when: Callable[[Element], bool] = _always


#: Which map elements use which of folium.Map's extras. Bootstrap's JS and CSS are used by
#: no folium element: HTML of your own that relies on Bootstrap classes loses its styling.
NEEDS: tuple[Need, ...] = (
    Need(folium.Popup, frozenset({"jquery"}), "folium.Popup parses its HTML with jQuery's $()"),
    Need(folium.Icon, _AWESOME_MARKERS,
         "folium.Icon is a Leaflet.awesome-markers icon; use CircleMarker or DivIcon"),
    Need(folium.plugins.FastMarkerCluster, _AWESOME_MARKERS,
         "FastMarkerCluster's default callback draws awesome-markers; pass callback=",
         _default_cluster_callback),
    Need(folium.plugins.LocateControl, frozenset({"awesome_markers_font_css"}),
         "LocateControl draws its button with Font Awesome classes"),
)

#: Elements that add CDN links while rendering (outside default_js); localize() refuses them.
_RENDER_TIME_CDN: tuple[tuple[type, str], ...] = (
    (ColorMap, "d3 from cdnjs/d3js.org (branca colormap legend)"),
    (folium.Vega, "vega from jsDelivr"),
    (folium.VegaLite, "vega / vega-lite / vega-embed from jsDelivr"),
)


def ensure_static_assets(static_dir: Path, assets: Mapping[str, Asset] = ASSETS) -> Path:
    """Copy every file of ``assets`` into ``static_dir/vendor`` and return that folder.

    Files land in ``vendor/<distribution>-<version>/<path>``, each written atomically by
    :func:`app.io.atomic.atomic_write`; a file already there with the same size
    and SHA-256 is left alone, so calling this on every script run is cheap and safe. Each
    package folder also gets a ``SOURCES.txt`` naming the upstream URL and licence of every
    file. ``static_dir`` must be the ``static`` folder next to the Streamlit main script.

    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     vendor = ensure_static_assets(Path(tmp) / "static")
    ...     print((vendor / "xstatic-leaflet-1.9.3.0" / "leaflet.js").is_file())
    True
    >>> ensure_static_assets(Path(sysconfig.get_paths()["purelib"]) / "static")
    Traceback (most recent call last):
    ...
    app.errors.AtlasError: refusing to write static assets inside the installed packages ...

    Raises AtlasError (with the ``pip install`` hint) when a package is missing, and when
    ``static_dir`` lies inside site-packages or inside a package the files come from.
    """
    vendor = Path(static_dir) / "vendor"
    _refuse_package_dirs(vendor, assets)
    manifests: dict[Path, list[str]] = {}
    for asset in assets.values():
        folder = vendor / asset.folder(_version(asset))
        for relative, data in _asset_files(asset):
            _write_if_changed(folder / relative, data)
        manifests.setdefault(folder, []).append(
            f"{asset.path}\t{asset.upstream}\t{asset.licence}\t{asset.distribution}"
        )
    if "leaflet_css" in assets:
        leaflet_css = assets["leaflet_css"]
        images = f"../{leaflet_css.folder(_version(leaflet_css))}/images/"
        script = vendor / IMAGE_PATH_SCRIPT[1]
        _write_if_changed(script, _image_path_script(images).encode())
        manifests[script.parent] = [f"{script.name}\t(written by app/map/assets.py)\tMIT\tchangning-atlas"]
    for folder, lines in manifests.items():
        text = "path\tupstream\tlicence\tpackage\n" + "\n".join(sorted(lines)) + "\n"
        _write_if_changed(folder / "SOURCES.txt", text.encode())
    return vendor


def localize(
    m: folium.Map, base_url: str = DEFAULT_BASE_URL, assets: Mapping[str, Asset] = ASSETS
) -> folium.Map:
    """Point every JS/CSS link of ``m`` and its elements at the local copies; return ``m``.

    Call it after the map is complete (elements added later keep their CDN links) and serve
    the files with :func:`ensure_static_assets`. The extras folium.Map links on every map
    (:data:`MAP_EXTRAS`) are dropped unless an element needs them (:data:`NEEDS`): a
    folium.Popup keeps jQuery, a LocateControl keeps Font Awesome. Lists are replaced on the
    instances, never on folium's classes, and calling it twice changes nothing.

    >>> m = localize(folium.Map(tiles=None))
    >>> [name for name, _ in m.default_css]
    ['leaflet_css']
    >>> folium.Marker([31.22, 121.42], icon=folium.Icon()).add_to(m)  # doctest: +ELLIPSIS
    <folium.map.Marker object at ...>
    >>> localize(m)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    app.errors.AtlasError: these map assets would still come from another host...

    Raises AtlasError when a link would still leave the host (no installed package provides
    it), when folium asks for another upstream version than the table knows, and when a
    package of the table is missing.
    """
    elements = list(_walk(m.get_root()))
    needed = frozenset().union(*(
        need.assets for element in elements for need in NEEDS
        if isinstance(element, need.kind) and need.when(element)
    ))
    versions: dict[str, str] = {}

    def local(asset: Asset) -> str:
        if asset.distribution not in versions:
            versions[asset.distribution] = _version(asset)
        return asset.url(base_url, versions[asset.distribution])

    for element in elements:
        if not hasattr(element, "default_js") or not hasattr(element, "default_css"):
            continue
        drop = MAP_EXTRAS - needed if isinstance(element, folium.Map) else frozenset()
        element.default_js = _relink(_links(element, "default_js"), drop, assets, local)
        element.default_css = _relink(_links(element, "default_css"), drop, assets, local)
        if isinstance(element, folium.Map) and "leaflet_css" in assets:
            element.default_js = _with_image_path(element.default_js, base_url)
    leaks = external_links(m)
    if leaks:
        reasons = sorted({need.why for element in elements for need in NEEDS
                          if isinstance(element, need.kind) and need.when(element)
                          and need.assets - assets.keys()})
        raise AtlasError(
            "these map assets would still come from another host, and no installed package"
            " provides them (see ASSETS in app/map/assets.py):\n  "
            + "\n  ".join(f"{owner}: {name} <{url}>" for owner, name, url in leaks)
            + "".join(f"\n  note: {why}" for why in reasons)
        )
    return m


def external_links(m: folium.Map) -> list[tuple[str, str, str]]:
    """(element class, asset name, url) of every JS/CSS link of ``m`` that leaves the host.

    >>> external_links(folium.Map(tiles=None))[0]
    ('Map', 'leaflet', 'https://cdn.jsdelivr.net/npm/leaflet@1.9.3/dist/leaflet.js')
    >>> external_links(localize(folium.Map(tiles=None)))
    []
    """
    leaks: list[tuple[str, str, str]] = []
    for element in _walk(m.get_root()):
        owner = type(element).__name__
        for name, url in [*getattr(element, "default_js", ()), *getattr(element, "default_css", ())]:
            if _is_external(url):
                leaks.append((owner, name, url))
        for kind, what in _RENDER_TIME_CDN:
            if isinstance(element, kind):
                leaks.append((owner, "(added while rendering)", what))
    return leaks


def offline_html(m: folium.Map) -> str:
    """Render the page of ``m`` and check that no ``<script src>`` / ``<link href>`` leaves the host.

    Tile URLs inside the map's script are not links and are allowed: the basemap is a
    separate, user-chosen layer.

    >>> "leaflet.js" in offline_html(localize(folium.Map(tiles=None)))
    True
    >>> offline_html(folium.Map(tiles=None))
    Traceback (most recent call last):
    ...
    app.errors.AtlasError: the rendered map links files on other hosts: ...
    """
    html = m.get_root().render()
    leaks = [url for url in linked_urls(html) if _is_external(url)]
    if leaks:
        raise AtlasError(
            f"the rendered map links files on other hosts: {', '.join(leaks)}; call localize() first"
        )
    return html


def linked_urls(html: str) -> list[str]:
    """The ``src`` of every ``<script>`` and the ``href`` of every ``<link>`` in ``html``.

    >>> linked_urls('<script src="/a.js"></script><link rel="stylesheet" href="b.css"/><script>x</script>')
    ['/a.js', 'b.css']
    """
    parser = _LinkParser()
    parser.feed(html)
    parser.close()
    return parser.urls


class _LinkParser(HTMLParser):
    """Collects script src and link href attributes."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.urls: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        """Record the URL attribute of script and link tags."""
        wanted = {"script": "src", "link": "href"}.get(tag)
        for key, value in attrs:
            if key == wanted and value:
                self.urls.append(value)


def _image_path_script(images: str) -> str:
    """Text of the script that sets ``L.Icon.Default.imagePath`` to ``images`` (relative to it)."""
    return (
        "/* Written by app/map/assets.py (Changning Urban Renewal Atlas). leaflet.css may load\n"
        "   after Leaflet has looked for its marker images through the stylesheet, so name\n"
        "   their folder here. */\n"
        f"L.Icon.Default.imagePath = new URL({json.dumps(images)}, document.currentScript.src).href;\n"
    )


def _with_image_path(links: list[tuple[str, str]], base_url: str) -> list[tuple[str, str]]:
    """``links`` with the image-path script right after Leaflet (once)."""
    name, path = IMAGE_PATH_SCRIPT
    out = [link for link in links if link[0] != name]
    after = next((i + 1 for i, (n, _) in enumerate(out) if n == "leaflet"), len(out))
    out.insert(after, (name, f"{base_url.rstrip('/')}/{path}"))
    return out


def _links(element: Element, attribute: str) -> list[tuple[str, str]]:
    """The element's links; for a Map, plus folium's extras that an earlier localize() dropped."""
    links = list(getattr(element, attribute))
    if isinstance(element, folium.Map):
        present = {name for name, _ in links}
        links += [(name, url) for name, url in getattr(type(element), attribute)
                  if name in MAP_EXTRAS and name not in present]
    return links


def _relink(
    links: list[tuple[str, str]],
    drop: frozenset[str],
    assets: Mapping[str, Asset],
    local: Callable[[Asset], str],
) -> list[tuple[str, str]]:
    """A new (name, url) list: extras in ``drop`` left out, known assets pointed at ``local``."""
    out: list[tuple[str, str]] = []
    for name, url in links:
        if name in drop:
            continue
        asset = assets.get(name)
        if asset is not None and url == asset.upstream:
            url = local(asset)
        elif asset is not None and _is_external(url):
            raise AtlasError(
                f"folium asks for {name!r} at {url}, but app/map/assets.py serves a copy of"
                f" {asset.upstream} from {asset.distribution}: check the new version and"
                " update ASSETS"
            )
        out.append((name, url))
    return out


def _walk(element: Element) -> Iterator[Element]:
    """``element`` and all its descendants, depth first."""
    yield element
    for child in list(getattr(element, "_children", {}).values()):
        yield from _walk(child)


def _is_external(url: str) -> bool:
    """True for URLs that a browser would fetch from some other host."""
    return re.match(r"(?i)^(https?:)?//", url.strip()) is not None


def _install_hint(asset: Asset) -> str:
    """The sentence that tells a person how to get a missing package."""
    return (
        f"{asset.name!r} comes from the Python package {asset.distribution!r}, which is not"
        f" installed: pip install {asset.distribution}"
    )


def _version(asset: Asset) -> str:
    """Installed version of the asset's distribution."""
    try:
        return metadata.version(asset.distribution)
    except metadata.PackageNotFoundError as error:
        raise AtlasError(_install_hint(asset)) from error


def _import(asset: Asset) -> ModuleType:
    """The module that holds the asset."""
    try:
        return importlib.import_module(asset.module)
    except ModuleNotFoundError as error:
        raise AtlasError(_install_hint(asset)) from error


def _package_root(asset: Asset) -> Path:
    """Folder that the asset's files are read from."""
    module = _import(asset)
    if asset.embedded is None:
        return Path(module.BASE_DIR)
    return Path(module.__file__).parent


def _asset_files(asset: Asset) -> Iterator[tuple[str, bytes]]:
    """(path under the package's vendor folder, content) of the asset and its companions."""
    module = _import(asset)
    if asset.embedded is not None:
        table = getattr(module, asset.embedded, {})
        if asset.upstream not in table:
            raise AtlasError(
                f"{asset.distribution} {_version(asset)} no longer embeds {asset.upstream}"
                f" (for {asset.name!r}); pin the version that does or update ASSETS"
            )
        yield asset.path, table[asset.upstream].encode("utf-8")
        return
    root = Path(module.BASE_DIR)
    source = root / asset.path
    if not source.is_file():
        raise AtlasError(f"{asset.distribution} {_version(asset)} has no file {asset.path}")
    yield asset.path, source.read_bytes()
    for pattern in asset.companions:
        for companion in sorted(root.glob(pattern)):
            yield companion.relative_to(root).as_posix(), companion.read_bytes()


def _refuse_package_dirs(vendor: Path, assets: Mapping[str, Asset]) -> None:
    """Raise if ``vendor`` lies inside site-packages or a package the assets come from."""
    roots = {Path(p) for p in (sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"])}
    roots.update(Path(p) for p in site.getsitepackages())
    roots.add(Path(site.getusersitepackages()))
    roots.update(_package_root(asset) for asset in assets.values())
    target = vendor.resolve()
    for root in roots:
        if target.is_relative_to(root.resolve()):
            raise AtlasError(
                f"refusing to write static assets inside the installed packages ({root});"
                " pass the 'static' folder next to the Streamlit main script"
            )


def _write_if_changed(path: Path, data: bytes) -> bool:
    """Atomically write ``data`` to ``path`` unless it already holds exactly that; True if written."""
    if path.is_file() and path.stat().st_size == len(data):
        if hashlib.sha256(path.read_bytes()).digest() == hashlib.sha256(data).digest():
            return False
    path.parent.mkdir(parents=True, exist_ok=True)
    atomic_write(path, data)
    return True
