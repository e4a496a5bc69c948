"""Bounds on what one import may cost, each checked before the work it bounds.

A register file comes from outside and may be hostile or simply wrong: a spreadsheet of a
whole city, an Excel "zip bomb" (a few kB that inflate to gigabytes), millions of rows. Every
bound is stated here once, in MiB where it is a size (1 MiB = 2**20 = 1,048,576 bytes), and
every error names the bound and its unit:

- :data:`UPLOAD_LIMIT_MIB`: files uploaded in the app; :data:`MAX_FILE_MIB`: any import
  (the CLI included), checked from the file's size before it is read;
- :data:`MAX_ROWS`: data rows, counted while the file is read (reading stops at one more);
- :data:`XLSX_MAX_UNCOMPRESSED_MIB` and :data:`XLSX_MAX_RATIO`: an ``.xlsx`` archive's declared
  uncompressed size and compression ratio, read from its central directory before anything
  is inflated, and then the actual inflated bytes, counted as they come;
- :data:`MAX_VERTICES`: vertices of one project's geometry, the same for an imported row as
  for a planner's drawn or uploaded boundary (stated in :mod:`app.data.living`, which checks a
  planner's edit and may not import this package; listed here with the other bounds);
- :data:`UPLOAD_PARSE` and :data:`FILE_PARSE`: the time, processor time and memory one parse
  may take in its worker process (:mod:`app.io.sandbox`): an upload in the app, and a file
  given to the command line (up to 64 MiB); :data:`PARSE_WORKERS` parses at once, and
  :data:`PARSE_QUEUE_S` seconds of waiting for a free worker before "busy".

>>> check_file_size(MAX_FILE_BYTES)
>>> check_file_size(MAX_FILE_BYTES + 1)
Traceback (most recent call last):
...
app.errors.ImportFileError: the file is 64.0 MiB (67108865 bytes); imports are limited to 64 MiB (67108864 bytes, 1 MiB = 1,048,576 bytes)
"""

from __future__ import annotations

import io
import os
import zipfile
from dataclasses import dataclass

from app.data.living import MAX_VERTICES
from app.errors import ImportFileError

__all__ = [
    "FILE_PARSE",
    "MAX_FILE_BYTES",
    "MAX_FILE_MIB",
    "MAX_ROWS",
    "MAX_VERTICES",
    "MIB",
    "PARSE_QUEUE_S",
    "PARSE_WORKERS",
    "UPLOAD_PARSE",
    "ParseLimits",
    "UPLOAD_LIMIT_BYTES",
    "UPLOAD_LIMIT_MIB",
    "UPLOADER_LIMIT_MB",
    "XLSX_MAX_RATIO",
    "XLSX_MAX_UNCOMPRESSED_MIB",
    "check_file_size",
    "check_upload_size",
    "check_xlsx_archive",
]

#: One mebibyte, the unit of every size bound here.
MIB = 2**20

#: Largest file the app's upload page accepts, in MiB.
UPLOAD_LIMIT_MIB = 5
UPLOAD_LIMIT_BYTES = UPLOAD_LIMIT_MIB * MIB
#: What to give Streamlit's uploader (``max_upload_size``, whole MB): enough for every file
#: :func:`check_upload_size` accepts whether Streamlit counts 10**6 or 2**20 bytes to the MB,
#: so that the refusal, when there is one, is ours and states the bound in MiB.
UPLOADER_LIMIT_MB = -(-UPLOAD_LIMIT_BYTES // 10**6)

#: Largest file any import reads (the CLI included), in MiB.
MAX_FILE_MIB = 64
MAX_FILE_BYTES = MAX_FILE_MIB * MIB

#: Most data rows one import handles; reading stops at the first row over it.
MAX_ROWS = 50_000

#: Largest total uncompressed size of an ``.xlsx`` archive's members, in MiB.
XLSX_MAX_UNCOMPRESSED_MIB = 50
#: Highest compression ratio (uncompressed : compressed, all members together) of an ``.xlsx``.
#: Real workbooks stay near 10:1; repeated-byte bombs reach 1000:1.
XLSX_MAX_RATIO = 100


@dataclass(frozen=True)
class ParseLimits:
    """What one parse may cost: `wall_s` seconds on the clock, `cpu_s` seconds of CPU time and
    `memory_mib` MiB of address space more than its worker held before the task.

    >>> ParseLimits(wall_s=0, cpu_s=1, memory_mib=1)
    Traceback (most recent call last):
    ValueError: ParseLimits needs positive limits, got wall_s=0, cpu_s=1, memory_mib=1
    """

    wall_s: float
    cpu_s: float
    memory_mib: int

    def __post_init__(self) -> None:
        if not (self.wall_s > 0 and self.cpu_s > 0 and self.memory_mib > 0):
            raise ValueError(f"ParseLimits needs positive limits, got wall_s={self.wall_s!r}, "
                             f"cpu_s={self.cpu_s!r}, memory_mib={self.memory_mib!r}")


#: One upload's parse (at most 5 MiB): the largest real one, a workbook of 50,000 rows, takes
#: 5-12 s of one core on the 2-core reference machine (``python -m app.bench sandbox``).
UPLOAD_PARSE = ParseLimits(wall_s=60.0, cpu_s=45.0, memory_mib=1024)
#: One file's parse on the command line (at most 64 MiB; an operator's file, still bounded).
FILE_PARSE = ParseLimits(wall_s=300.0, cpu_s=240.0, memory_mib=4096)
#: Parses that run at once in one app process (each holds a core): half the cores, at least 1.
PARSE_WORKERS = max(1, (os.cpu_count() or 2) // 2)
#: Longest wait for a free parse worker before the caller is told the server is busy.
PARSE_QUEUE_S = 20.0

# Archives smaller than this when inflated are never refused for their ratio.
_RATIO_FLOOR = 1 * MIB
_CHUNK = 1 << 16


def _mib(size: int) -> str:
    return f"{size / MIB:.1f} MiB ({size} bytes)"


def check_upload_size(size: int) -> None:
    """Raise ImportFileError when an upload is larger than :data:`UPLOAD_LIMIT_BYTES`.

    >>> check_upload_size(UPLOAD_LIMIT_BYTES)
    >>> check_upload_size(UPLOAD_LIMIT_BYTES + 1)
    Traceback (most recent call last):
    ...
    app.errors.ImportFileError: the file is 5.0 MiB (5242881 bytes); uploads are limited to 5 MiB (5242880 bytes, 1 MiB = 1,048,576 bytes): split the register, or import it with `python -m app import`
    """
    if size > UPLOAD_LIMIT_BYTES:
        raise ImportFileError(
            f"the file is {_mib(size)}; uploads are limited to {UPLOAD_LIMIT_MIB} MiB "
            f"({UPLOAD_LIMIT_BYTES} bytes, 1 MiB = 1,048,576 bytes): split the register, "
            "or import it with `python -m app import`")


def check_file_size(size: int) -> None:
    """Raise ImportFileError when a file to import is larger than :data:`MAX_FILE_BYTES`.

    >>> check_file_size(0)  # an empty file is refused later, for having no header
    """
    if size > MAX_FILE_BYTES:
        raise ImportFileError(
            f"the file is {_mib(size)}; imports are limited to {MAX_FILE_MIB} MiB "
            f"({MAX_FILE_BYTES} bytes, 1 MiB = 1,048,576 bytes)")


def check_xlsx_archive(data: bytes) -> None:
    """Refuse an ``.xlsx`` whose members would inflate past the bounds, before any parser runs.

    First the central directory: the declared uncompressed total must stay within
    :data:`XLSX_MAX_UNCOMPRESSED_MIB` and the ratio within :data:`XLSX_MAX_RATIO`. Then every
    member is inflated once, chunk by chunk, counting: a member that yields more than it
    declared, or a total over the bound, is refused at that chunk. Not a zip: ImportFileError.

    >>> buffer = io.BytesIO()
    >>> with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as z:
    ...     z.writestr("xl/worksheets/sheet1.xml", b" " * (4 * MIB))
    >>> check_xlsx_archive(buffer.getvalue())  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    app.errors.ImportFileError: the workbook inflates 4.0 MiB (4194304 bytes) from ... kB: a compression ratio of ...:1, over the 100:1 that real workbooks stay under; refusing it as a possible zip bomb
    >>> check_xlsx_archive(b"not a zip")
    Traceback (most recent call last):
    ...
    app.errors.ImportFileError: cannot read the Excel workbook: File is not a zip file
    """
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, OSError) as exc:
        raise ImportFileError(f"cannot read the Excel workbook: {exc}") from exc
    with archive:
        members = archive.infolist()
        declared = sum(m.file_size for m in members)
        packed = sum(m.compress_size for m in members)
        if declared > XLSX_MAX_UNCOMPRESSED_MIB * MIB:
            raise ImportFileError(
                f"the workbook declares {_mib(declared)} once unpacked; workbooks are limited to "
                f"{XLSX_MAX_UNCOMPRESSED_MIB} MiB unpacked: save fewer rows, or save it as CSV")
        if declared > _RATIO_FLOOR and declared > XLSX_MAX_RATIO * max(packed, 1):
            raise ImportFileError(
                f"the workbook inflates {_mib(declared)} from {packed / 1000:.1f} kB: a compression "
                f"ratio of {declared // max(packed, 1)}:1, over the {XLSX_MAX_RATIO}:1 that real "
                "workbooks stay under; refusing it as a possible zip bomb")
        _count_inflated(archive, members)


def _count_inflated(archive: zipfile.ZipFile, members: list[zipfile.ZipInfo]) -> None:
    """Inflate every member once, refusing at the first chunk past its declared size or the bound."""
    total = 0
    for member in members:
        seen = 0
        try:
            with archive.open(member) as stream:
                while chunk := stream.read(_CHUNK):
                    seen += len(chunk)
                    total += len(chunk)
                    if seen > member.file_size or total > XLSX_MAX_UNCOMPRESSED_MIB * MIB:
                        raise ImportFileError(
                            f"the workbook member {member.filename!r} inflates past its declared "
                            f"{member.file_size} bytes (or past {XLSX_MAX_UNCOMPRESSED_MIB} MiB in all); "
                            "refusing it as a possible zip bomb")
        except ImportFileError:
            raise
        except (zipfile.BadZipFile, NotImplementedError, EOFError, OSError, ValueError,
                RuntimeError) as exc:  # RuntimeError: an encrypted member
            raise ImportFileError(f"cannot read the Excel workbook: member {member.filename!r}: "
                                  f"{exc}") from exc
