"""Output file names: safe to create, inside their folder, labelled with their CRS, not too long.

>>> safe_output_path("p.geojson", "/srv/out").as_posix(), label_crs(Path("p.csv"), "gcj02").name
('/srv/out/p.geojson', 'p-gcj02.csv')
"""

from __future__ import annotations

import os
import re
from pathlib import Path, PurePosixPath, PureWindowsPath

from app.errors import ExportError
from app.io.prepare import output_crs

__all__ = ["MAX_NAME_BYTES", "check_name_length", "label_crs", "safe_output_path"]

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
