"""The working store: submissions, reviews, the audit trail and saved registers.

Where to look:

* :mod:`app.store.base` -- what every store shares: the :class:`AtlasStore` interface, the
  :class:`Submission` it stores, the checks made before writing, register and history
  conversions, and :func:`apply_field_updates` (accepted corrections on top of the atlas);
* :mod:`app.store.sqlite` -- :class:`Store`, the embedded default (one SQLite file);
* :mod:`app.store.postgis` -- ``PostgisStore``, the shared one (PostgreSQL + PostGIS), imported
  only when chosen;
* :mod:`app.store.select` -- which store to open (:func:`open_store`, :func:`existing_store`)
  from the settings or a name a user typed;
* :mod:`app.store.dump` -- a whole store to and from GeoPackage or GeoJSON files.

Callers import from here: ``from app.store import open_store, Submission``. The backends import
from :mod:`app.store.base` only, never from each other. May import :mod:`app.errors`,
:mod:`app.domain`, :mod:`app.geo` and :mod:`app.data` (only :func:`app.store.dump.load_curated`
does, to read the curated register).
"""

from app.errors import ConflictError, StoreError, SubmissionError
from app.store.base import (
    CURATED_REGISTER,
    GAZETTEER_REGISTER,
    HISTORY_COLUMNS,
    MAX_NOTE_CHARS,
    MAX_PHOTO_BYTES,
    AtlasStore,
    StoreAttempts,
    Submission,
    apply_field_updates,
    check_register_name,
)
from app.store.select import (
    database_url,
    default_store_path,
    delete_register,
    existing_store,
    open_store,
    rename_register,
    save_register,
)
from app.store.sqlite import Store

__all__ = [
    "CURATED_REGISTER",
    "GAZETTEER_REGISTER",
    "HISTORY_COLUMNS",
    "MAX_NOTE_CHARS",
    "MAX_PHOTO_BYTES",
    "AtlasStore",
    "ConflictError",
    "Store",
    "StoreAttempts",
    "StoreError",
    "SubmissionError",
    "Submission",
    "apply_field_updates",
    "check_register_name",
    "database_url",
    "default_store_path",
    "delete_register",
    "existing_store",
    "open_store",
    "rename_register",
    "save_register",
]
