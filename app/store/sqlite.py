"""The store: field submissions, reviews, the audit trail and the registers, behind one interface.

Two implementations of :class:`AtlasStore`, chosen by one setting:

* :class:`Store`, the embedded default: one SQLite file (``var/atlas.sqlite``, or
  ``$ATLAS_STORE``) in WAL mode with a busy timeout, so several app processes can write at once.
  Every change is one ``BEGIN IMMEDIATE`` transaction that writes its audit row together with
  the change: a crash or kill leaves either both or neither.
* ``app.store.postgis.PostgisStore`` when ``$ATLAS_DATABASE_URL`` is set (``postgresql://…``): the
  same methods over PostgreSQL + PostGIS for a district's many users (see docs/store.md).

Geometries are WGS-84 (EPSG:4326) on both; callers see WKT and lon/lat, never a database type.

The register in ``geodata/`` is never edited: accepted corrections live in the store and are
applied on top of it when the atlas is loaded (:func:`apply_field_updates`), with provenance
``pos_method = "field"``. ``python -m app store load`` also copies the curated register and the
gazetteer into the store as the registers :data:`CURATED_REGISTER` and :data:`GAZETTEER_REGISTER`.

>>> import tempfile, pathlib
>>> store = Store(pathlib.Path(tempfile.mkdtemp()) / "s.sqlite")
>>> sid = store.submit(Submission("tianshan-park", "confirm", "王工", "现场一组", note="在此"))
>>> store.pending()["id"].tolist() == [sid]
True
>>> store.review(sid, "李审", accept=True, reason="ok", old_wkt="POINT (121.41 31.21)")
>>> store.pending().empty
True
>>> store.review(sid, "张审", accept=False, reason="late")
Traceback (most recent call last):
app.errors.ConflictError: submission 1 was already accepted (version 2); this review was not applied
"""

from __future__ import annotations

import json
import math
import os
import sqlite3
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Protocol, runtime_checkable

import geopandas as gpd
import pandas as pd
import shapely
from shapely import Point
from shapely.geometry import mapping, shape

from app.domain.model import LOCATED_PRECISIONS
from app.errors import ConflictError, StoreError, SubmissionError

__all__ = [
    "CURATED_REGISTER",
    "GAZETTEER_REGISTER",
    "HISTORY_COLUMNS",
    "MAX_NOTE_CHARS",
    "MAX_PHOTO_BYTES",
    "AtlasStore",
    "ConflictError",
    "Store",
    "StoreError",
    "SubmissionError",
    "Submission",
    "apply_field_updates",
    "check_register_name",
    "database_url",
    "default_store_path",
    "existing_store",
    "open_store",
    "register_frame",
    "register_rows",
    "save_register",
]

#: Largest photo accepted with a submission (bytes).
MAX_PHOTO_BYTES = 5 * 1024 * 1024
MAX_NOTE_CHARS = 2000
_PHOTO_TYPES = {b"\xff\xd8\xff": "image/jpeg", b"\x89PNG\r\n\x1a\n": "image/png"}
_ROOT = Path(__file__).resolve().parents[2]

#: Register names reserved for the curated data (written by ``python -m app store load``).
CURATED_REGISTER = "curated"
GAZETTEER_REGISTER = "gazetteer"

#: The columns of the history tables, the same on every store (what ``store dump`` writes).
HISTORY_COLUMNS: dict[str, tuple[str, ...]] = {
    "submissions": ("id", "project_id", "kind", "submitted_by", "team", "submitted_at", "lon", "lat",
                    "precision", "accuracy_m", "note", "photo", "photo_type", "status",
                    "reviewed_by", "reviewed_at", "review_reason", "version"),
    "field_updates": ("project_id", "geometry_wkt", "precision", "accuracy_m", "updated_by",
                      "updated_at", "submission_id"),
    "audit": ("id", "at", "actor", "action", "project_id", "submission_id", "old_wkt", "new_wkt",
              "accuracy_m", "note"),
}

_SCHEMA = [
    # version 1
    """
    CREATE TABLE IF NOT EXISTS submissions (
        id INTEGER PRIMARY KEY,
        project_id TEXT NOT NULL,
        kind TEXT NOT NULL CHECK (kind IN ('confirm', 'correct')),
        submitted_by TEXT NOT NULL CHECK (length(submitted_by) > 0),
        team TEXT NOT NULL DEFAULT '',
        submitted_at TEXT NOT NULL,
        lon REAL, lat REAL,
        precision TEXT,
        accuracy_m REAL,
        note TEXT NOT NULL DEFAULT '',
        photo BLOB, photo_type TEXT,
        status TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'accepted', 'rejected')),
        reviewed_by TEXT, reviewed_at TEXT, review_reason TEXT,
        version INTEGER NOT NULL DEFAULT 1,
        CHECK (kind = 'confirm' OR (lon IS NOT NULL AND lat IS NOT NULL AND precision IS NOT NULL))
    );
    CREATE INDEX IF NOT EXISTS submissions_status ON submissions (status, project_id);
    CREATE TABLE IF NOT EXISTS field_updates (
        project_id TEXT PRIMARY KEY,
        geometry_wkt TEXT NOT NULL,
        precision TEXT NOT NULL,
        accuracy_m REAL,
        updated_by TEXT NOT NULL,
        updated_at TEXT NOT NULL,
        submission_id INTEGER NOT NULL REFERENCES submissions (id)
    );
    CREATE TABLE IF NOT EXISTS audit (
        id INTEGER PRIMARY KEY,
        at TEXT NOT NULL,
        actor TEXT NOT NULL,
        action TEXT NOT NULL CHECK (action IN ('submit', 'accept', 'reject', 'save_register')),
        project_id TEXT,
        submission_id INTEGER,
        old_wkt TEXT, new_wkt TEXT,
        accuracy_m REAL,
        note TEXT NOT NULL DEFAULT ''
    );
    CREATE INDEX IF NOT EXISTS audit_project ON audit (project_id, id);
    CREATE TABLE IF NOT EXISTS registers (
        name TEXT PRIMARY KEY,
        saved_at TEXT NOT NULL,
        saved_by TEXT NOT NULL,
        features TEXT NOT NULL,
        report TEXT NOT NULL
    );
    """,
]


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


@dataclass(frozen=True)
class Submission:
    """A field worker's confirmation of a recorded position, or a correction of it.

    Corrections carry a WGS-84 position (already converted and checked by the caller, see
    ``app.geo.nearest.check_position``), a precision and a non-empty note.
    """

    project_id: str
    kind: str
    submitted_by: str
    team: str = ""
    lon: float | None = None
    lat: float | None = None
    precision: str | None = None
    accuracy_m: float | None = None
    note: str = ""
    photo: bytes | None = None

    def __post_init__(self) -> None:
        if self.kind not in ("confirm", "correct"):
            raise SubmissionError(f"kind must be 'confirm' or 'correct', got {self.kind!r}")
        if not self.project_id:
            raise SubmissionError("a submission needs the project it is about")
        if not self.submitted_by.strip():
            raise SubmissionError("a submission needs the name of who made it")
        if len(self.note) > MAX_NOTE_CHARS:
            raise SubmissionError(f"the note is {len(self.note)} characters; at most {MAX_NOTE_CHARS}")
        if self.accuracy_m is not None and not (math.isfinite(self.accuracy_m) and self.accuracy_m >= 0):
            raise SubmissionError(f"device accuracy must be a distance in metres, got {self.accuracy_m!r}")
        if self.kind == "correct":
            if self.lon is None or self.lat is None:
                raise SubmissionError("a correction needs the new position")
            if not (math.isfinite(self.lon) and math.isfinite(self.lat)):
                raise SubmissionError(f"the new position is not a number: lon={self.lon!r}, lat={self.lat!r}")
            if self.precision not in LOCATED_PRECISIONS:
                raise SubmissionError(f"precision of a correction must be site, street or area, got {self.precision!r}")
            if not self.note.strip():
                raise SubmissionError("a correction needs a note saying what is wrong with the recorded position")
        if self.photo is not None:
            if len(self.photo) > MAX_PHOTO_BYTES:
                raise SubmissionError(f"the photo is {len(self.photo) / 1e6:.1f} MB; "
                                      f"at most {MAX_PHOTO_BYTES / 1e6:.0f} MB")
            if self.photo_type is None:
                raise SubmissionError("the photo must be a JPEG or PNG image")

    @property
    def photo_type(self) -> str | None:
        """MIME type of the photo from its first bytes (None when absent or unknown)."""
        if not self.photo:
            return None
        return next((t for magic, t in _PHOTO_TYPES.items() if self.photo.startswith(magic)), None)

    @property
    def wkt(self) -> str | None:
        """The submitted position as WKT (None for a confirmation without position)."""
        if self.lon is None or self.lat is None:
            return None
        return Point(self.lon, self.lat).wkt


def default_store_path() -> Path:
    """``$ATLAS_STORE`` or ``var/atlas.sqlite`` in the repository."""
    return Path(os.environ.get("ATLAS_STORE") or _ROOT / "var" / "atlas.sqlite")


def database_url() -> str | None:
    """``$ATLAS_DATABASE_URL`` (a PostgreSQL URL that selects the PostGIS store), or None."""
    return (os.environ.get("ATLAS_DATABASE_URL") or "").strip() or None


def check_register_name(name: str) -> str:
    """`name` when it can name a register (letters, digits, - or _), else SubmissionError.

    >>> check_register_name("district-2025")
    'district-2025'
    >>> check_register_name("../evil")
    Traceback (most recent call last):
    app.errors.SubmissionError: register name must be letters, digits, - or _, got '../evil'
    """
    if not name or not name.replace("-", "").replace("_", "").isalnum():
        raise SubmissionError(f"register name must be letters, digits, - or _, got {name!r}")
    return name


def register_rows(frame: gpd.GeoDataFrame) -> tuple[list[tuple[str, str]], list[dict], list]:
    """A register as (columns with their dtypes, JSON-ready properties, geometries), in WGS-84.

    The columns, geometry column included, keep the frame's order and dtypes so that
    :func:`register_frame` rebuilds the same frame from any store; properties are plain JSON
    values (lists stay lists, NA is None).

    >>> frame = gpd.GeoDataFrame({"id": ["a", "b"], "year": pd.array([2025, None], dtype="Int64")},
    ...                          geometry=[Point(121.4, 31.2), None], crs="EPSG:4326")
    >>> columns, props, geoms = register_rows(frame)
    >>> columns
    [('id', 'str'), ('year', 'Int64'), ('geometry', 'geometry')]
    >>> props, [g if g is None else g.wkt for g in geoms]
    ([{'id': 'a', 'year': 2025}, {'id': 'b', 'year': None}], ['POINT (121.4 31.2)', None])
    """
    if len(frame):
        frame = frame.to_crs("EPSG:4326")
    columns = [(str(c), "geometry" if c == frame.geometry.name else str(frame[c].dtype))
               for c in frame.columns]
    collection = json.loads(frame.to_json(drop_id=True)) if len(frame) else {"features": []}
    properties = [feature["properties"] for feature in collection["features"]]
    return columns, properties, list(frame.geometry)


def register_frame(columns: Sequence[Sequence[str]], properties: Sequence[Mapping],
                   geometries: Sequence) -> gpd.GeoDataFrame:
    """The WGS-84 frame of a stored register: the inverse of :func:`register_rows`.

    Without `columns` (registers saved before columns were recorded) the property names are
    taken in order of appearance, dtypes are inferred and the geometry comes last.

    >>> register_frame([("id", "str"), ("geometry", "geometry"), ("year", "Int64")],
    ...                [{"id": "a", "year": 2025}, {"year": None, "id": "b"}],
    ...                [Point(121.4, 31.2), None]).dtypes.astype(str).tolist()
    ['str', 'geometry', 'Int64']
    >>> len(register_frame([], [], []))
    0
    """
    geometry = next((c[0] for c in columns if c[1] == "geometry"), "geometry")
    names = ([c[0] for c in columns if c[1] != "geometry"]
             or list(dict.fromkeys(k for p in properties for k in p)))
    data = {name: [p.get(name) for p in properties] for name in names}
    frame = gpd.GeoDataFrame(pd.DataFrame(data, columns=names),
                             geometry=gpd.GeoSeries(list(geometries), crs="EPSG:4326"))
    if geometry != "geometry":
        frame = frame.rename_geometry(geometry)
    if any(c[1] == "geometry" for c in columns):
        frame = frame[[c[0] for c in columns]]
    for name, dtype in columns:
        if dtype not in ("geometry", str(frame[name].dtype)):
            try:
                frame[name] = frame[name].astype(dtype)
            except (TypeError, ValueError):
                pass  # a dtype this pandas cannot rebuild from JSON values: keep what was read
    return frame


def _plain(value: object) -> object:
    """A value ready for a database driver: numpy scalars unwrapped, NaN/NA as None."""
    if isinstance(value, (bytes, str, list, dict)) or value is None:
        return value
    if pd.isna(value):
        return None
    return value.item() if hasattr(value, "item") else value


def _rows(frame: pd.DataFrame, columns: Sequence[str]) -> list[tuple]:
    """The rows of `frame` as tuples of plain values, in the order of `columns`."""
    return [tuple(_plain(v) for v in row) for row in frame[list(columns)].itertuples(index=False)]


@runtime_checkable
class AtlasStore(Protocol):
    """What the app, the CLI and the exports need from a store; :class:`Store` (SQLite) and
    ``app.store.postgis.PostgisStore`` (PostGIS) both provide it, with the same behaviour."""

    def describe(self) -> str:
        """Which store this is, for messages (never shows a password)."""
        ...

    def schema_version(self) -> int:
        """The schema version the store is at."""
        ...

    def migrate(self) -> list[int]:
        """Apply pending schema migrations; return the versions applied (empty when current)."""
        ...

    def submit(self, sub: Submission, old_wkt: str | None = None) -> int:
        """Store a submission with its audit row; return its id."""
        ...

    def review(self, submission_id: int, reviewer: str, *, accept: bool, reason: str,
               old_wkt: str | None = None, expected_version: int | None = None) -> None:
        """Accept or reject a pending submission (ConflictError when a racing review won)."""
        ...

    def save_register(self, name: str, frame: gpd.GeoDataFrame, report: object,
                      saved_by: str = "import") -> None:
        """Save a register under `name`, replacing one of that name, audited."""
        ...

    def load_register(self, name: str) -> gpd.GeoDataFrame:
        """A saved register as a WGS-84 frame (SubmissionError when there is none)."""
        ...

    def register_report(self, name: str) -> str:
        """The JSON text of the report saved with a register."""
        ...

    def registers(self) -> pd.DataFrame:
        """Names, save times and savers of the saved registers."""
        ...

    def pending(self) -> pd.DataFrame:
        """Pending submissions, oldest first, without photos."""
        ...

    def submissions(self, project_id: str | None = None) -> pd.DataFrame:
        """All submissions (optionally of one project), newest first, without photos."""
        ...

    def photo(self, submission_id: int) -> tuple[bytes, str] | None:
        """(bytes, MIME type) of a submission's photo, or None."""
        ...

    def audit(self, project_id: str | None = None) -> pd.DataFrame:
        """The audit trail (optionally of one project), oldest first."""
        ...

    def field_updates(self) -> pd.DataFrame:
        """Accepted corrections, one per project."""
        ...

    def revision(self) -> int:
        """A number that grows with every committed change (for cache keys)."""
        ...

    def history(self) -> dict[str, pd.DataFrame]:
        """Submissions (with photos), field updates and audit rows, in :data:`HISTORY_COLUMNS`."""
        ...

    def restore_history(self, tables: Mapping[str, pd.DataFrame], actor: str, source: str) -> int:
        """Copy another store's :meth:`history` into this empty one, ids kept; return rows copied."""
        ...

    def integrity_ok(self) -> bool:
        """The store's own consistency check."""
        ...


class Store:
    """The embedded SQLite store. Cheap to create; each method opens its own connection."""

    def __init__(self, path: Path | None = None, busy_timeout_s: float = 15.0) -> None:
        self.path = Path(path or default_store_path())
        self.busy_timeout_s = busy_timeout_s
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.migrate()

    def describe(self) -> str:
        """``SQLite store at PATH``."""
        return f"SQLite store at {self.path}"

    def schema_version(self) -> int:
        """SQLite's ``user_version``: the number of schema scripts applied."""
        with self._connect() as conn:
            return int(conn.execute("PRAGMA user_version").fetchone()[0])

    def migrate(self) -> list[int]:
        """Apply the schema scripts not yet applied, each in its own transaction (done on open)."""
        applied = []
        with self._connect() as conn:
            conn.execute("PRAGMA journal_mode=WAL")
            version = conn.execute("PRAGMA user_version").fetchone()[0]
            for number, script in enumerate(_SCHEMA[version:], start=version + 1):
                conn.executescript(f"BEGIN IMMEDIATE; {script}; PRAGMA user_version = {number}; COMMIT;")
                applied.append(number)
        return applied

    @contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection]:
        conn = sqlite3.connect(self.path, timeout=self.busy_timeout_s, isolation_level=None)
        try:
            conn.execute("PRAGMA foreign_keys=ON")
            conn.execute(f"PRAGMA busy_timeout={int(self.busy_timeout_s * 1000)}")
            yield conn
        finally:
            conn.close()

    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        with self._connect() as conn:
            conn.execute("BEGIN IMMEDIATE")
            try:
                yield conn
            except BaseException:
                conn.execute("ROLLBACK")
                raise
            conn.execute("COMMIT")

    def _audit(self, conn: sqlite3.Connection, at: str, actor: str, action: str, *,
               project_id: str | None = None, submission_id: int | None = None,
               old_wkt: str | None = None, new_wkt: str | None = None,
               accuracy_m: float | None = None, note: str = "") -> None:
        """Write one audit row inside the caller's transaction."""
        conn.execute(
            "INSERT INTO audit (at, actor, action, project_id, submission_id, old_wkt, new_wkt,"
            " accuracy_m, note) VALUES (?,?,?,?,?,?,?,?,?)",
            (at, actor, action, project_id, submission_id, old_wkt, new_wkt, accuracy_m, note))

    # -- writing --------------------------------------------------------------------------

    def submit(self, sub: Submission, old_wkt: str | None = None) -> int:
        """Store a submission and its audit row in one transaction; return its id."""
        at = _now()
        with self._transaction() as conn:
            cur = conn.execute(
                "INSERT INTO submissions (project_id, kind, submitted_by, team, submitted_at, lon, lat,"
                " precision, accuracy_m, note, photo, photo_type) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
                (sub.project_id, sub.kind, sub.submitted_by.strip(), sub.team.strip(), at, sub.lon,
                 sub.lat, sub.precision, sub.accuracy_m, sub.note.strip(), sub.photo, sub.photo_type))
            sid = int(cur.lastrowid)
            self._audit(conn, at, sub.submitted_by.strip(), "submit", project_id=sub.project_id,
                        submission_id=sid, old_wkt=old_wkt, new_wkt=sub.wkt,
                        accuracy_m=sub.accuracy_m, note=f"{sub.kind}: {sub.note.strip()}")
        return sid

    def review(self, submission_id: int, reviewer: str, *, accept: bool, reason: str,
               old_wkt: str | None = None, expected_version: int | None = None) -> None:
        """Accept or reject a pending submission, with its audit row, in one transaction.

        Accepting a correction records it as the project's field update. Raises ConflictError
        when the submission is no longer pending (or not at `expected_version`): a racing
        review has already decided it, and nothing is applied twice.
        """
        _check_review(reviewer, reason)
        at = _now()
        status = "accepted" if accept else "rejected"
        with self._transaction() as conn:
            row = conn.execute("SELECT project_id, kind, lon, lat, precision, accuracy_m, version, status"
                               " FROM submissions WHERE id = ?", (submission_id,)).fetchone()
            if row is None:
                raise SubmissionError(f"no submission with id {submission_id!r}")
            project_id, kind, lon, lat, precision, accuracy, version, current = row
            _check_pending(submission_id, current, version, expected_version)
            conn.execute("UPDATE submissions SET status = ?, reviewed_by = ?, reviewed_at = ?,"
                         " review_reason = ?, version = version + 1 WHERE id = ? AND version = ?",
                         (status, reviewer.strip(), at, reason.strip(), submission_id, version))
            new_wkt = None
            if accept and kind == "correct":
                new_wkt = Point(lon, lat).wkt
                conn.execute(
                    "INSERT INTO field_updates (project_id, geometry_wkt, precision, accuracy_m,"
                    " updated_by, updated_at, submission_id) VALUES (?,?,?,?,?,?,?)"
                    " ON CONFLICT (project_id) DO UPDATE SET geometry_wkt = excluded.geometry_wkt,"
                    " precision = excluded.precision, accuracy_m = excluded.accuracy_m,"
                    " updated_by = excluded.updated_by, updated_at = excluded.updated_at,"
                    " submission_id = excluded.submission_id",
                    (project_id, new_wkt, precision, accuracy, reviewer.strip(), at, submission_id))
            self._audit(conn, at, reviewer.strip(), "accept" if accept else "reject",
                        project_id=project_id, submission_id=submission_id, old_wkt=old_wkt,
                        new_wkt=new_wkt, accuracy_m=accuracy, note=reason.strip())

    def save_register(self, name: str, frame: gpd.GeoDataFrame, report: object,
                      saved_by: str = "import") -> None:
        """Save a register under `name` (replacing one of that name), audited.

        Stored as one GeoJSON FeatureCollection whose foreign member ``columns`` keeps the
        column order and dtypes (see :func:`register_rows`).
        """
        check_register_name(name)
        columns, properties, geometries = register_rows(frame)
        features = json.dumps({
            "type": "FeatureCollection", "columns": columns,
            "features": [{"type": "Feature", "properties": props,
                          "geometry": None if geom is None else mapping(geom)}
                         for props, geom in zip(properties, geometries, strict=True)],
        }, ensure_ascii=False)
        report_text = _report_text(report)
        at = _now()
        with self._transaction() as conn:
            conn.execute("INSERT INTO registers (name, saved_at, saved_by, features, report)"
                         " VALUES (?,?,?,?,?) ON CONFLICT (name) DO UPDATE SET saved_at = excluded.saved_at,"
                         " saved_by = excluded.saved_by, features = excluded.features,"
                         " report = excluded.report", (name, at, saved_by, features, report_text))
            self._audit(conn, at, saved_by, "save_register", note=f"register {name}: {len(frame)} rows")

    def restore_history(self, tables: Mapping[str, pd.DataFrame], actor: str, source: str) -> int:
        """Copy submissions, field updates and audit rows (ids kept) into this store, which must
        have none yet; one more audit row records the copy. Returns the number of rows copied."""
        at = _now()
        with self._transaction() as conn:
            if conn.execute("SELECT (SELECT count(*) FROM submissions) + (SELECT count(*) FROM audit)"
                            ).fetchone()[0]:
                raise SubmissionError(f"{self.describe()} already has submissions or audit rows; "
                                      "history is copied only into an empty store")
            copied = 0
            for table, columns in HISTORY_COLUMNS.items():
                rows = _rows(tables[table], columns)
                conn.executemany(f"INSERT INTO {table} ({', '.join(columns)}) "  # noqa: S608 (fixed names)
                                 f"VALUES ({', '.join('?' * len(columns))})", rows)
                copied += len(rows)
            self._audit(conn, at, actor, "save_register", note=_restore_note(source, tables))
        return copied

    # -- reading --------------------------------------------------------------------------

    def _frame(self, sql: str, params: tuple = ()) -> pd.DataFrame:
        with self._connect() as conn:
            return pd.read_sql_query(sql, conn, params=params)

    def pending(self) -> pd.DataFrame:
        """Pending submissions, oldest first (photos left out; see :meth:`photo`)."""
        return self._frame("SELECT id, project_id, kind, submitted_by, team, submitted_at, lon, lat,"
                           " precision, accuracy_m, note, photo_type, version FROM submissions"
                           " WHERE status = 'pending' ORDER BY id")

    def submissions(self, project_id: str | None = None) -> pd.DataFrame:
        """All submissions (optionally of one project), newest first, without photos."""
        return self._frame("SELECT id, project_id, kind, submitted_by, team, submitted_at, lon, lat,"
                           " precision, accuracy_m, note, status, reviewed_by, reviewed_at,"
                           " review_reason, version FROM submissions"
                           " WHERE (? IS NULL OR project_id = ?) ORDER BY id DESC",
                           (project_id, project_id))

    def photo(self, submission_id: int) -> tuple[bytes, str] | None:
        """(bytes, MIME type) of a submission's photo, or None."""
        with self._connect() as conn:
            row = conn.execute("SELECT photo, photo_type FROM submissions WHERE id = ?",
                               (submission_id,)).fetchone()
        return (row[0], row[1]) if row and row[0] else None

    def audit(self, project_id: str | None = None) -> pd.DataFrame:
        """The audit trail (optionally of one project), oldest first."""
        return self._frame("SELECT * FROM audit WHERE (? IS NULL OR project_id = ?) ORDER BY id",
                           (project_id, project_id))

    def field_updates(self) -> pd.DataFrame:
        """Accepted corrections, one per project (the latest accepted one)."""
        return self._frame("SELECT * FROM field_updates ORDER BY project_id")

    def history(self) -> dict[str, pd.DataFrame]:
        """Every submission (with its photo), field update and audit row, by id."""
        order = {"submissions": "id", "field_updates": "project_id", "audit": "id"}
        return {table: self._frame(f"SELECT {', '.join(columns)} FROM {table}"  # noqa: S608 (fixed names)
                                   f" ORDER BY {order[table]}")
                for table, columns in HISTORY_COLUMNS.items()}

    def revision(self) -> int:
        """A number that grows with every change (for cache keys).

        The last audit id: writers are serialised by ``BEGIN IMMEDIATE``, so ids commit in order.
        """
        with self._connect() as conn:
            return int(conn.execute("SELECT coalesce(max(id), 0) FROM audit").fetchone()[0])

    def registers(self) -> pd.DataFrame:
        """Names and save times of the saved registers."""
        return self._frame("SELECT name, saved_at, saved_by FROM registers ORDER BY name")

    def _register_row(self, name: str, column: str) -> str:
        with self._connect() as conn:
            row = conn.execute(f"SELECT {column} FROM registers WHERE name = ?",  # noqa: S608
                               (name,)).fetchone()
        if row is None:
            raise SubmissionError(f"no saved register named {name!r}")
        return row[0]

    def load_register(self, name: str) -> gpd.GeoDataFrame:
        """A saved register as a WGS-84 frame, columns and dtypes as saved."""
        data = json.loads(self._register_row(name, "features"))
        if "columns" not in data and not data["features"]:
            return gpd.GeoDataFrame(geometry=[], crs="EPSG:4326")
        if "columns" not in data:  # saved before columns were recorded
            return gpd.GeoDataFrame.from_features(data["features"], crs="EPSG:4326")
        return register_frame(data["columns"], [f["properties"] for f in data["features"]],
                              [None if f["geometry"] is None else shape(f["geometry"])
                               for f in data["features"]])

    def register_report(self, name: str) -> str:
        """The JSON text of the report saved with a register."""
        return self._register_row(name, "report")

    def integrity_ok(self) -> bool:
        """SQLite's own integrity check."""
        with self._connect() as conn:
            return conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"


def _check_review(reviewer: str, reason: str) -> None:
    """SubmissionError unless a review names its reviewer and reason."""
    if not reviewer.strip():
        raise SubmissionError("a review needs the reviewer's name")
    if not reason.strip():
        raise SubmissionError("a review needs a reason")


def _check_pending(submission_id: int, status: str, version: int, expected: int | None) -> None:
    """ConflictError unless the submission is still pending (at the expected version)."""
    if status != "pending" or (expected is not None and version != expected):
        raise ConflictError(f"submission {submission_id} was already {status} "
                            f"(version {version}); this review was not applied")


def _report_text(report: object) -> str:
    """A register's import report as JSON text."""
    return report.to_json() if hasattr(report, "to_json") else json.dumps(report, ensure_ascii=False)


def _restore_note(source: str, tables: Mapping[str, pd.DataFrame]) -> str:
    """The audit note of a history copy."""
    counts = ", ".join(f"{len(tables[t])} {t.replace('_', ' ')}" for t in HISTORY_COLUMNS)
    return f"history copied from {source}: {counts}"


def open_store(path: Path | None = None) -> AtlasStore:
    """The configured store, created (or migrated) when needed.

    With `path`, the SQLite store at that path. Without, the PostGIS store at
    ``$ATLAS_DATABASE_URL`` when that is set, else the SQLite store at :func:`default_store_path`.

    >>> import tempfile, pathlib
    >>> open_store(pathlib.Path(tempfile.mkdtemp()) / "s.sqlite").describe().startswith("SQLite")
    True
    """
    url = None if path is not None else database_url()
    if url:
        from app.store.postgis import PostgisStore

        return PostgisStore(url)
    return Store(path)


def existing_store() -> AtlasStore | None:
    """The configured store if it exists, for readers that must not create one.

    PostGIS when ``$ATLAS_DATABASE_URL`` is set (its schema is not created or migrated here:
    StoreError says to run ``python -m app store init``); else the SQLite file when it exists;
    else None.
    """
    url = database_url()
    if url:
        from app.store.postgis import PostgisStore

        return PostgisStore(url, migrate=False)
    path = default_store_path()
    return Store(path) if path.exists() else None


def save_register(name: str, frame: gpd.GeoDataFrame, report: object,
                  store: AtlasStore | None = None) -> None:
    """Save an imported register into the (default) store.

    The curated data's names are refused here: only ``python -m app store load`` writes them.
    """
    if name in (CURATED_REGISTER, GAZETTEER_REGISTER):
        raise SubmissionError(f"the register name {name!r} is reserved for the curated data; "
                              "choose another name")
    (store or open_store()).save_register(name, frame, report)


def _confidence(accuracy_m: float | None) -> str:
    if accuracy_m is None or not math.isfinite(accuracy_m):
        return "medium"
    return "high" if accuracy_m <= 10 else "medium" if accuracy_m <= 50 else "low"


def apply_field_updates(atlas, store: AtlasStore):
    """The atlas with accepted field corrections applied (geometry, precision, provenance).

    The data version gains the store's revision, so caches keyed on it see the change.
    """
    updates = store.field_updates()
    if updates.empty:
        return replace(atlas, data_version=f"{atlas.data_version}+{store.revision()}")
    projects = atlas.projects.copy()
    index = {pid: i for i, pid in zip(projects.index, projects["id"], strict=True)}
    for row in updates.itertuples(index=False):
        i = index.get(row.project_id)
        if i is None:
            continue
        accuracy = "" if row.accuracy_m is None or pd.isna(row.accuracy_m) else f", device accuracy {row.accuracy_m:.0f} m"
        projects.at[i, "geometry"] = shapely.from_wkt(row.geometry_wkt)
        projects.at[i, "precision"] = row.precision
        projects.at[i, "pos_method"] = "field"
        projects.at[i, "pos_source"] = (f"field check accepted by {row.updated_by} on "
                                        f"{row.updated_at[:10]} (submission {row.submission_id}{accuracy})")
        projects.at[i, "pos_source_crs"] = "wgs84"
        projects.at[i, "pos_confidence"] = _confidence(row.accuracy_m)
        projects.at[i, "pos_refs"] = []
        projects.at[i, "position_note"] = "Position from an accepted field check (see the audit trail)."
    projects = gpd.GeoDataFrame(projects, geometry="geometry", crs="EPSG:4326")
    return replace(atlas, projects=projects, data_version=f"{atlas.data_version}+{store.revision()}")
