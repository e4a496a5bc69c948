"""The atlas's named exceptions. Each carries a message meant for the person who caused it.

A message may also be *keyed*: ``key`` names its template in :mod:`app.domain.i18n` and
``params`` fill it, so that a page says it in the page's language while the command line and the
log read the English text the exception was made with (:mod:`app.domain.messages` makes them).
Keyed or not, an exception survives pickling whole (a worker process sends it back).

>>> import pickle
>>> err = pickle.loads(pickle.dumps(ImportFileError("too big", key="err.x", params={"n": 3})))
>>> str(err), err.key, err.params
('too big', 'err.x', {'n': 3})
>>> AtlasError("plain").key is None
True
"""

from collections.abc import Mapping

__all__ = [
    "AtlasError",
    "DataError",
    "ExportError",
    "FilterError",
    "GeocodeError",
    "ImportFileError",
    "CoordinateError",
    "LayerSpecError",
    "PositionError",
    "UnknownCRSError",
    "SubmissionError",
    "UnusualSizeError",
    "ConflictError",
    "StoreError",
]


class AtlasError(Exception):
    """Base class: every error the atlas raises on purpose, with a user-facing message (in
    English), and, when keyed, the i18n `key` and `params` of the same message."""

    def __init__(self, *args: object, key: str | None = None,
                 params: Mapping[str, object] | None = None) -> None:
        super().__init__(*args)
        self.key = key
        self.params = dict(params or {})

    def __reduce__(self) -> tuple:
        return _rebuild, (type(self), self.args, self.key, self.params)


def _rebuild(cls: type[AtlasError], args: tuple, key: str | None,
             params: Mapping[str, object]) -> AtlasError:
    """An AtlasError of class `cls` made again from its pickled parts."""
    return cls(*args, key=key, params=params)


class UnknownCRSError(AtlasError, ValueError):
    """A coordinate system name the atlas does not know."""


class DataError(AtlasError, ValueError):
    """A curated data file (gazetteer, register) is malformed or inconsistent."""


class GeocodeError(AtlasError, ValueError):
    """A register entry's geometry recipe cannot be resolved."""


class LayerSpecError(AtlasError, ValueError):
    """A layer spec in layers/ breaks the schema or references something unknown."""


class FilterError(AtlasError, ValueError):
    """A filter names an unknown field or value."""


class ExportError(AtlasError, OSError):
    """An export cannot be written where or how it was asked."""


class PositionError(AtlasError, ValueError):
    """A field position (lon/lat) that is not a usable point: non-finite, swapped, or far away."""


class ImportFileError(AtlasError, ValueError):
    """A file to import is unusable as a register: format, encoding, size, columns or mapping."""


class CoordinateError(AtlasError, ValueError):
    """A coordinate cell that cannot be read as a number or degrees-minutes-seconds."""


class SubmissionError(AtlasError, ValueError):
    """A field submission, review or register that cannot be stored as given (nothing was stored)."""


class UnusualSizeError(SubmissionError):
    """A new geometry far outside its layer's usual size, not saved until confirmed; `check`
    says how far (app.data.plausibility.SizeCheck)."""

    def __init__(self, message: str, check: object) -> None:
        super().__init__(message)
        self.check = check


class ConflictError(AtlasError, RuntimeError):
    """A review raced another review of the same submission; this one was not applied."""


class StoreError(AtlasError, OSError):
    """The store cannot be reached or used: no server, wrong schema version, failed transaction."""
