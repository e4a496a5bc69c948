"""Output file names: safe to create, inside their folder, not too long, one rule for all.

A path a user gives is written exactly as given: the coordinate system is recorded inside the
file (see docs/export.md), never by changing the name. With one file per layer, the user's path
is a stem or a folder and each file is ``<stem>-<layer><suffix>`` (:func:`per_layer_paths`).
Names the atlas suggests itself (the app's downloads, a folder given without a stem) follow the
same rule with the stem :func:`default_stem`, which does say a GCJ-02 CRS (:func:`label_crs`).

>>> safe_output_path("p.geojson", "/srv/out").as_posix(), label_crs(Path("p.csv"), "gcj02").name
('/srv/out/p.geojson', 'p-gcj02.csv')
"""

from __future__ import annotations

import os
import re
from collections.abc import Sequence
from pathlib import Path, PurePosixPath, PureWindowsPath

from app.errors import ExportError
from app.io.prepare import output_crs

__all__ = ["MAX_NAME_BYTES", "check_name_length", "default_stem", "label_crs", "layer_file_name",
           "per_layer_paths", "safe_output_path"]

# Names Windows refuses as file names, with or without an extension.
_RESERVED_NAMES = frozenset(
    {"CON", "PRN", "AUX", "NUL", "CONIN$", "CONOUT$"}
    | {f"{dev}{n}" for dev in ("COM", "LPT") for n in (*"123456789", "¹", "²", "³")}
)
_WINDOWS_FORBIDDEN = re.compile(r'[<>:"|?*\\]')
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")

#: Longest file or folder name, in bytes of UTF-8: the limit of ext4, APFS, NTFS (255 units).
MAX_NAME_BYTES = 255


def check_name_length(path: str | os.PathLike[str]) -> Path:
    """`path` as a Path, or ExportError when one of its names is over :data:`MAX_NAME_BYTES`.

    A Chinese character takes 3 bytes of UTF-8, so 86 of them already make a name too long.

    >>> check_name_length("out/" + "长" * 80 + ".csv").name[-4:]
    '.csv'
    >>> check_name_length("长" * 85 + ".csv")
    Traceback (most recent call last):
    ...
    app.errors.ExportError: output name '长长长长长长长长长长长长…长.csv' is 259 bytes long (UTF-8); file names are limited to 255 bytes: choose a shorter name
    """
    path = Path(path)
    for part in path.parts:
        size = len(part.encode("utf-8", "surrogatepass"))
        if size > MAX_NAME_BYTES:
            shown = part if len(part) <= 40 else f"{part[:12]}…{part[-5:]}"
            raise ExportError(f"output name {shown!r} is {size} bytes long (UTF-8); file names are "
                              f"limited to {MAX_NAME_BYTES} bytes: choose a shorter name")
    return path


def safe_output_path(name_or_path: str | os.PathLike[str], base_dir: str | os.PathLike[str] | None = None
                     ) -> Path:
    """Check an output name from a user and return it as a Path; ExportError if it is unsafe.

    Always rejected: empty names, control characters, Windows reserved device names (CON, PRN,
    AUX, NUL, COM1-9, LPT1-9, with or without extension), names ending in a dot or space, and
    names over :data:`MAX_NAME_BYTES` bytes of UTF-8.
    With `base_dir` (names typed into the app), the name must also stay inside `base_dir`:
    no absolute paths, no ``..``, no backslashes or characters Windows forbids; the result is
    ``base_dir / name``. Without it (a path typed on the command line) the path is taken as is.

    >>> safe_output_path("projects.geojson", "/srv/out").as_posix()
    '/srv/out/projects.geojson'
    >>> safe_output_path("../../x", "/srv/out")
    Traceback (most recent call last):
    ...
    app.errors.ExportError: output name '../../x' leaves the output folder (no '..' or absolute paths)
    >>> safe_output_path("nul.csv")
    Traceback (most recent call last):
    ...
    app.errors.ExportError: output name 'nul.csv' is a reserved device name on Windows; choose another name
    """
    if not isinstance(name_or_path, str | os.PathLike):
        raise ExportError(f"output name must be text or a path, got {type(name_or_path).__name__}")
    text = os.fspath(name_or_path)
    if not text.strip():
        raise ExportError("output name is empty")
    if _CONTROL.search(text):
        raise ExportError(f"output name {text!r} contains control characters")
    if base_dir is None:
        parts = [Path(text).name]
    else:
        posix, windows = PurePosixPath(text), PureWindowsPath(text)
        if (posix.is_absolute() or windows.anchor or ".." in posix.parts
                or ".." in windows.parts):
            raise ExportError(f"output name {text!r} leaves the output folder "
                              "(no '..' or absolute paths)")
        if _WINDOWS_FORBIDDEN.search(text):
            raise ExportError(f"output name {text!r} contains a character that is not allowed "
                              'in file names (< > : " | ? * \\)')
        parts = [p for p in posix.parts if p != "."]
    if not parts or not parts[-1]:
        raise ExportError(f"output name {text!r} has no file name")
    for part in parts:
        if part.split(".")[0].strip().upper() in _RESERVED_NAMES:
            raise ExportError(f"output name {text!r} is a reserved device name on Windows; "
                              "choose another name")
        if part.endswith((".", " ")) and part not in (".", ".."):
            raise ExportError(f"output name {text!r} ends in a dot or space")
    check_name_length(text)
    if base_dir is None:
        return Path(text)
    base = Path(base_dir).resolve()
    target = (base / Path(*parts)).resolve()
    if not target.is_relative_to(base):  # a symlink inside base pointing out of it
        raise ExportError(f"output name {text!r} leaves the output folder {base}")
    return target


def label_crs(path: Path, crs: str) -> Path:
    """`path` with ``-<crs>`` before its suffix unless the name already says so (WGS-84: as is).

    >>> label_crs(Path("out/p.geojson"), "gcj02").as_posix(), label_crs(Path("p.csv"), "wgs84").name
    ('out/p-gcj02.geojson', 'p.csv')
    """
    crs = output_crs(crs)
    if crs == "wgs84" or crs in path.name.lower().replace("-", "").replace("_", ""):
        return check_name_length(path)
    return check_name_length(path.with_name(f"{path.stem}-{crs}{path.suffix}"))


def default_stem(data_version: str, crs: str) -> str:
    """The stem of the names the atlas suggests: ``changning-<data version>``, CRS-labelled.

    >>> default_stem("0123abcd+4", "wgs84"), default_stem("0123abcd+4", "gcj02")
    ('changning-0123abcd+4', 'changning-0123abcd+4-gcj02')
    """
    return label_crs(Path(f"changning-{data_version}"), crs).name


def layer_file_name(stem: str, layer: str | None, suffix: str) -> str:
    """``<stem>-<layer><suffix>``, or ``<stem><suffix>`` without a layer; checked for length.

    >>> layer_file_name("per", "renewal", ".kml"), layer_file_name("all", None, ".csv")
    ('per-renewal.kml', 'all.csv')
    """
    return check_name_length(f"{stem}-{layer}{suffix}" if layer else f"{stem}{suffix}").name


def per_layer_paths(output: str | os.PathLike[str], layers: Sequence[str], suffix: str,
                    stem: str) -> dict[str, Path]:
    """Where ``--per-layer`` writes each layer: ``<stem>-<layer><suffix>``, by layer id.

    `output` is a folder (ending in ``/`` or an existing folder: `stem` is used there) or a stem
    (a trailing `suffix` on it is dropped, so ``per.geojson`` and ``per`` write the same files).

    >>> {k: v.as_posix() for k, v in per_layer_paths("out/per.geojson", ["renewal"], ".geojson",
    ...                                              "changning-v1").items()}
    {'renewal': 'out/per-renewal.geojson'}
    >>> per_layer_paths("out/", ["streets"], ".kml", "changning-v1")["streets"].as_posix()
    'out/changning-v1-streets.kml'
    >>> per_layer_paths("out/.geojson", ["streets"], ".geojson", "x")
    Traceback (most recent call last):
    ...
    app.errors.ExportError: output stem '.geojson' is only the suffix '.geojson': give a name before it, or a folder ending in '/'
    """
    text = os.fspath(output)
    safe_output_path(text)
    if text.endswith(("/", os.sep)) or Path(text).is_dir():
        folder, base = Path(text), stem
    else:
        folder, base = Path(text).parent, Path(text).name
        if base.lower().endswith(suffix.lower()):
            base = base[: -len(suffix)]
            if not base:
                raise ExportError(f"output stem {Path(text).name!r} is only the suffix {suffix!r}: "
                                  "give a name before it, or a folder ending in '/'")
    return {layer: folder / layer_file_name(base, layer, suffix) for layer in layers}
