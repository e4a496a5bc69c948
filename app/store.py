"""The embedded store: field submissions, reviews, the audit trail and imported registers.

One SQLite file (default ``var/atlas.sqlite``, or ``$ATLAS_STORE``), in WAL mode with a busy
timeout, so several app processes can write at once. Every change is one ``BEGIN IMMEDIATE``
transaction that writes its audit row together with the change: a crash or kill leaves either
both or neither. Geometries are stored as WKT in WGS-84 (EPSG:4326).

The register in ``geodata/`` is never edited: accepted corrections live in the store and are
applied on top of it when the atlas is loaded (:func:`apply_field_updates`), with provenance
``pos_method = "field"``.

>>> import tempfile, pathlib
>>> store = Store(pathlib.Path(tempfile.mkdtemp()) / "s.sqlite")
>>> sid = store.submit(Submission("tianshan-park", "confirm", "王工", "现场一组", note="在此"))
>>> store.pending()["id"].tolist() == [sid]
True
>>> store.review(sid, "李审", accept=True, reason="ok", old_wkt="POINT (121.41 31.21)")
>>> store.pending().empty
True
"""

from __future__ import annotations

import json
import math
import os
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path

import geopandas as gpd
import pandas as pd
import shapely
from shapely import Point

from app.errors import AtlasError

__all__ = [
    "MAX_NOTE_CHARS",
    "MAX_PHOTO_BYTES",
    "ConflictError",
    "Store",
    "SubmissionError",
    "Submission",
    "apply_field_updates",
    "default_store_path",
    "open_store",
    "save_register",
]

#: Largest photo accepted with a submission (bytes).
MAX_PHOTO_BYTES = 5 * 1024 * 1024
MAX_NOTE_CHARS = 2000
_PHOTO_TYPES = {b"\xff\xd8\xff": "image/jpeg", b"\x89PNG\r\n\x1a\n": "image/png"}
_ROOT = Path(__file__).resolve().parent.parent

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


class SubmissionError(AtlasError, ValueError):
    """A field submission that cannot be stored as given (nothing was stored)."""


class ConflictError(AtlasError, RuntimeError):
    """A review raced another review of the same submission; this one was not applied."""


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


@dataclass(frozen=True)
class Submission:
    """A field worker's confirmation of a recorded position, or a correction of it.

    Corrections carry a WGS-84 position (already converted and checked by the caller, see
    ``app.nearest.check_position``), a precision and a non-empty note.
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
            if self.precision not in ("site", "street", "area"):
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


class Store:
    """The embedded SQLite store. Cheap to create; each method opens its own connection."""

    def __init__(self, path: Path | None = None, busy_timeout_s: float = 15.0) -> None:
        self.path = Path(path or default_store_path())
        self.busy_timeout_s = busy_timeout_s
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self._connect() as conn:
            conn.execute("PRAGMA journal_mode=WAL")
            version = conn.execute("PRAGMA user_version").fetchone()[0]
            for number, script in enumerate(_SCHEMA[version:], start=version + 1):
                conn.executescript(f"BEGIN IMMEDIATE; {script}; PRAGMA user_version = {number}; COMMIT;")

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
            conn.execute(
                "INSERT INTO audit (at, actor, action, project_id, submission_id, old_wkt, new_wkt,"
                " accuracy_m, note) VALUES (?,?,?,?,?,?,?,?,?)",
                (at, sub.submitted_by.strip(), "submit", sub.project_id, sid, old_wkt, sub.wkt,
                 sub.accuracy_m, f"{sub.kind}: {sub.note.strip()}"))
        return sid

    def review(self, submission_id: int, reviewer: str, *, accept: bool, reason: str,
               old_wkt: str | None = None, expected_version: int | None = None) -> None:
        """Accept or reject a pending submission, with its audit row, in one transaction.

        Accepting a correction records it as the project's field update. Raises ConflictError
        when the submission is no longer pending (or not at `expected_version`): a racing
        review has already decided it, and nothing is applied twice.
        """
        if not reviewer.strip():
            raise SubmissionError("a review needs the reviewer's name")
        if not reason.strip():
            raise SubmissionError("a review needs a reason")
        at = _now()
        status = "accepted" if accept else "rejected"
        with self._transaction() as conn:
            row = conn.execute("SELECT project_id, kind, lon, lat, precision, accuracy_m, version, status"
                               " FROM submissions WHERE id = ?", (submission_id,)).fetchone()
            if row is None:
                raise SubmissionError(f"no submission with id {submission_id!r}")
            project_id, kind, lon, lat, precision, accuracy, version, current = row
            if current != "pending" or (expected_version is not None and version != expected_version):
                raise ConflictError(f"submission {submission_id} was already {current} "
                                    f"(version {version}); this review was not applied")
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
            conn.execute(
                "INSERT INTO audit (at, actor, action, project_id, submission_id, old_wkt, new_wkt,"
                " accuracy_m, note) VALUES (?,?,?,?,?,?,?,?,?)",
                (at, reviewer.strip(), "accept" if accept else "reject", project_id, submission_id,
                 old_wkt, new_wkt, accuracy, reason.strip()))

    def save_register(self, name: str, frame: gpd.GeoDataFrame, report: object,
                      saved_by: str = "import") -> None:
        """Save an imported register under `name` (replacing one of that name), audited."""
        if not name or not name.replace("-", "").replace("_", "").isalnum():
            raise SubmissionError(f"register name must be letters, digits, - or _, got {name!r}")
        features = frame.to_crs("EPSG:4326").to_json(drop_id=True) if len(frame) else \
            '{"type": "FeatureCollection", "features": []}'
        report_text = report.to_json() if hasattr(report, "to_json") else json.dumps(report, ensure_ascii=False)
        at = _now()
        with self._transaction() as conn:
            conn.execute("INSERT INTO registers (name, saved_at, saved_by, features, report)"
                         " VALUES (?,?,?,?,?) ON CONFLICT (name) DO UPDATE SET saved_at = excluded.saved_at,"
                         " saved_by = excluded.saved_by, features = excluded.features,"
                         " report = excluded.report", (name, at, saved_by, features, report_text))
            conn.execute("INSERT INTO audit (at, actor, action, note) VALUES (?,?,?,?)",
                         (at, saved_by, "save_register", f"register {name}: {len(frame)} rows"))

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

    def revision(self) -> int:
        """A number that grows with every change (for cache keys)."""
        with self._connect() as conn:
            return int(conn.execute("SELECT coalesce(max(id), 0) FROM audit").fetchone()[0])

    def registers(self) -> pd.DataFrame:
        """Names and save times of the imported registers."""
        return self._frame("SELECT name, saved_at, saved_by FROM registers ORDER BY name")

    def load_register(self, name: str) -> gpd.GeoDataFrame:
        """An imported register as a WGS-84 frame."""
        with self._connect() as conn:
            row = conn.execute("SELECT features FROM registers WHERE name = ?", (name,)).fetchone()
        if row is None:
            raise SubmissionError(f"no saved register named {name!r}")
        data = json.loads(row[0])
        if not data["features"]:
            return gpd.GeoDataFrame(geometry=[], crs="EPSG:4326")
        return gpd.GeoDataFrame.from_features(data["features"], crs="EPSG:4326")

    def integrity_ok(self) -> bool:
        """SQLite's own integrity check."""
        with self._connect() as conn:
            return conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"


def open_store(path: Path | None = None) -> Store:
    """The store at `path` (default: :func:`default_store_path`), created when missing."""
    return Store(path)


def save_register(name: str, frame: gpd.GeoDataFrame, report: object, store: Store | None = None) -> None:
    """Save an imported register into the (default) store."""
    (store or open_store()).save_register(name, frame, report)


def _confidence(accuracy_m: float | None) -> str:
    if accuracy_m is None or not math.isfinite(accuracy_m):
        return "medium"
    return "high" if accuracy_m <= 10 else "medium" if accuracy_m <= 50 else "low"


def apply_field_updates(atlas, store: Store):
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
