"""Atomic file writes: the one place that writes a temporary file, fsyncs it and renames it.

Every file the atlas writes (exports, import reports, vendored static assets, benchmark
output) goes through :func:`atomic_write`, so a reader never sees half a file and a crash
leaves the previous file in place.

>>> import tempfile
>>> with tempfile.TemporaryDirectory() as tmp:
...     path = atomic_write(Path(tmp) / "a.txt", "甲")
...     path.read_bytes(), sorted(p.name for p in Path(tmp).iterdir())
(b'\\xe7\\x94\\xb2', ['a.txt'])
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterable
from pathlib import Path

from app.errors import ExportError

__all__ = ["atomic_write"]


# Room a temporary name needs beyond its prefix: "<pid>." (up to 8 + 1), 8 random characters
# from mkstemp, ".part"; names are limited to 255 bytes.
_PART_ROOM = 9 + 8 + 5
_MAX_NAME_BYTES = 255


def _part_prefix(path: Path) -> str:
    """``.<name>.`` with the name cut short enough that every temporary name fits 255 bytes."""
    name = path.name
    while len(f".{name}.".encode("utf-8", "surrogatepass")) + _PART_ROOM > _MAX_NAME_BYTES:
        name = name[:-1]
    return f".{name}."


def _pid_alive(pid: int) -> bool:
    """Whether a process with this id exists (POSIX)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # alive, owned by someone else
        return True
    return True


def _remove_stale_parts(path: Path) -> None:
    """Delete temporary files of earlier writes to `path` whose writer process is gone."""
    if os.name != "posix":  # os.kill(pid, 0) would terminate the process on Windows
        return
    prefix, folder = _part_prefix(path), path.parent
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return
    for entry in entries:
        if not (entry.name.startswith(prefix) and entry.name.endswith(".part")):
            continue
        pid_text = entry.name[len(prefix):].split(".", 1)[0]
        if not pid_text.isdigit() or int(pid_text) == os.getpid() or _pid_alive(int(pid_text)):
            continue
        try:
            os.unlink(entry.path)
        except FileNotFoundError:
            pass  # another writer removed it first


def _fsync_folder(folder: Path) -> None:
    """Make a rename in `folder` durable (POSIX; a no-op elsewhere)."""
    if os.name != "posix":
        return
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def atomic_write(path: Path, data: str | bytes | Iterable[bytes]) -> Path:
    """Write `data` (text as UTF-8, bytes, or an iterable of byte chunks) to `path` through a
    temporary file in the same folder (``.<name>.<pid>.<random>.part``), then os.replace.

    A crash or kill mid-write leaves any previous file at `path` untouched; the orphaned
    ``.part`` file is removed by the next write to the same path (once its process is gone).
    A new file gets mode 0644; a replaced file keeps its mode.

    >>> atomic_write(Path("/nonexistent-folder/x.geojson"), "{}")
    Traceback (most recent call last):
    ...
    app.errors.ExportError: cannot write /nonexistent-folder/x.geojson: folder /nonexistent-folder does not exist
    """
    path = Path(path)
    folder = path.parent if str(path.parent) else Path(".")
    if not folder.is_dir():
        what = "is not a folder" if folder.exists() else "does not exist"
        raise ExportError(f"cannot write {path}: folder {folder} {what}")
    if len(path.name.encode("utf-8", "surrogatepass")) > _MAX_NAME_BYTES:
        raise ExportError(f"cannot write {path.name[:12]}…{path.suffix}: the name is over "
                          f"{_MAX_NAME_BYTES} bytes (UTF-8); choose a shorter name")
    if path.is_dir():
        raise ExportError(f"cannot write {path}: it is a folder")
    chunks: Iterable[bytes]
    if isinstance(data, str):
        chunks = (data.encode("utf-8"),)
    elif isinstance(data, bytes | bytearray | memoryview):
        chunks = (bytes(data),)
    else:
        chunks = data
    _remove_stale_parts(path)
    try:
        mode = path.stat().st_mode & 0o7777 if path.exists() else 0o644
        fd, tmp = tempfile.mkstemp(prefix=f"{_part_prefix(path)}{os.getpid()}.", suffix=".part", dir=folder)
    except OSError as exc:
        raise ExportError(f"cannot write into {folder}: {exc.strerror}") from exc
    try:
        with os.fdopen(fd, "wb") as fh:
            for chunk in chunks:
                fh.write(chunk)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, mode)
        os.replace(tmp, path)
        _fsync_folder(folder)
    except OSError as exc:
        raise ExportError(f"cannot write {path}: {exc.strerror}") from exc
    finally:
        Path(tmp).unlink(missing_ok=True)  # gone after a successful replace
    return path
