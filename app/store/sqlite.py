"""The embedded store: :class:`~app.store.base.AtlasStore` in one SQLite file, needing no server.

One file (``var/atlas.sqlite``, or ``$ATLAS_STORE``) in WAL mode with a busy timeout, so several
app processes can write at once. Every change is one ``BEGIN IMMEDIATE`` transaction that writes
its audit row together with the change: a crash or kill leaves either both or neither. Positions
are kept as WKT and lon/lat in WGS-84 (EPSG:4326). The checks made before writing come from
:mod:`app.store.base`, the same ones the PostGIS store makes.

>>> import tempfile, pathlib
>>> store = Store(pathlib.Path(tempfile.mkdtemp()) / "s.sqlite")
>>> sid = store.submit(Submission("tianshan-park", "confirm", "王工", "现场一组", note="在此"))
>>> store.pending()["id"].tolist() == [sid]
True
>>> store.review(sid, "李审", accept=True, reason="ok", old_wkt="POINT (121.41 31.21)")
>>> store.pending().empty
True
>>> store.review(sid, "张审", accept=False, reason="late")  # doctest: +ELLIPSIS
Traceback (most recent call last):
app.errors.ConflictError: submission 1 was already accepted by 李审 at ... (version 2); this review was not applied
"""

from __future__ import annotations

import json
import shutil
import sqlite3
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

import geopandas as gpd
import pandas as pd
from shapely import Point
from shapely.geometry import mapping, shape

from app.data.living import Edit, check_date
from app.errors import ConflictError, StoreError, SubmissionError
from app.store.base import (
    CHANGE_COLUMNS,
    HISTORY_COLUMNS,
    Submission,
    change_conflict,
    check_credential,
    check_edits,
    check_not_own,
    check_pending,
    check_register_name,
    check_restore,
    check_review,
    check_text,
    check_wkt,
    disk_full,
    district_day,
    history_rows,
    register_frame,
    register_rows,
    report_text,
    restore_note,
    take_step,
)

__all__ = ["Store"]

#: Free space under which SQLite's "disk I/O error" is taken for what it nearly always is then:
#: a full disk.
_NEARLY_FULL_BYTES = 1 << 20

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
    # version 2: registers can be renamed and deleted, and the audit trail says so
    """
    CREATE TABLE audit_v2 (
        id INTEGER PRIMARY KEY,
        at TEXT NOT NULL,
        actor TEXT NOT NULL,
        action TEXT NOT NULL CHECK (action IN ('submit', 'accept', 'reject', 'save_register',
                                               'rename_register', 'delete_register')),
        project_id TEXT,
        submission_id INTEGER,
        old_wkt TEXT, new_wkt TEXT,
        accuracy_m REAL,
        note TEXT NOT NULL DEFAULT ''
    );
    INSERT INTO audit_v2 SELECT * FROM audit;
    DROP TABLE audit;
    ALTER TABLE audit_v2 RENAME TO audit;
    CREATE INDEX audit_project ON audit (project_id, id);
    """,
    # version 3: the living register -- its change log, and audit actions for it
    """
    CREATE TABLE register_changes (
        id INTEGER PRIMARY KEY,
        register TEXT NOT NULL DEFAULT '',
        project_id TEXT NOT NULL CHECK (length(project_id) > 0),
        source TEXT NOT NULL CHECK (source IN ('seed', 'planner')),
        actor TEXT NOT NULL CHECK (length(actor) > 0),
        at TEXT NOT NULL,
        reason TEXT NOT NULL CHECK (length(reason) > 0),
        old TEXT NOT NULL CHECK (json_valid(old)),
        new TEXT NOT NULL CHECK (json_valid(new)),
        status TEXT NOT NULL CHECK (status IN ('pending', 'accepted', 'rejected')),
        effective TEXT,
        reviewed_by TEXT, reviewed_at TEXT, review_reason TEXT,
        version INTEGER NOT NULL DEFAULT 1,
        CHECK (status <> 'accepted' OR effective IS NOT NULL)
    );
    CREATE INDEX register_changes_project ON register_changes (register, project_id, id);
    CREATE INDEX register_changes_status ON register_changes (status, id);
    CREATE TABLE audit_v3 (
        id INTEGER PRIMARY KEY,
        at TEXT NOT NULL,
        actor TEXT NOT NULL,
        action TEXT NOT NULL CHECK (action IN ('submit', 'accept', 'reject', 'save_register',
                                               'rename_register', 'delete_register', 'change',
                                               'accept_change', 'reject_change')),
        project_id TEXT,
        submission_id INTEGER,
        old_wkt TEXT, new_wkt TEXT,
        accuracy_m REAL,
        note TEXT NOT NULL DEFAULT ''
    );
    INSERT INTO audit_v3 SELECT * FROM audit;
    DROP TABLE audit;
    ALTER TABLE audit_v3 RENAME TO audit;
    CREATE INDEX audit_project ON audit (project_id, id);
    -- field checks name their register: a correction never leaks into another register
    ALTER TABLE submissions ADD COLUMN register TEXT NOT NULL DEFAULT '';
    CREATE TABLE field_updates_v3 (
        register TEXT NOT NULL DEFAULT '',
        project_id TEXT NOT NULL,
        geometry_wkt TEXT NOT NULL,
        precision TEXT NOT NULL,
        accuracy_m REAL,
        updated_by TEXT NOT NULL,
        updated_at TEXT NOT NULL,
        submission_id INTEGER NOT NULL REFERENCES submissions (id),
        PRIMARY KEY (register, project_id)
    );
    INSERT INTO field_updates_v3 SELECT '', * FROM field_updates;
    DROP TABLE field_updates;
    ALTER TABLE field_updates_v3 RENAME TO field_updates;
    -- wrong passphrases per client, shared by every app process using this store
    CREATE TABLE sign_in_failures (
        key TEXT PRIMARY KEY,
        failures INTEGER NOT NULL CHECK (failures > 0),
        last REAL NOT NULL
    );
    """,
    # version 4: API credentials of the OGC API service (their SHA-256 digests, never the key)
    """
    CREATE TABLE api_credentials (
        id INTEGER PRIMARY KEY,
        digest TEXT NOT NULL UNIQUE,
        name TEXT NOT NULL CHECK (length(name) > 0),
        team TEXT NOT NULL DEFAULT '',
        role TEXT NOT NULL CHECK (role IN ('field', 'reviewer', 'planner')),
        created_at TEXT NOT NULL,
        created_by TEXT NOT NULL,
        revoked_at TEXT,
        revoked_by TEXT
    );
    """,
]


def _now() -> str:
    """The current UTC time as ISO text to the second (how both stores show times)."""
    return datetime.now(UTC).isoformat(timespec="seconds")


class Store:
    """The SQLite store in the file at `path` (created, or migrated, on opening).

    Cheap to create; each method opens its own connection. `busy_timeout_s` bounds how long a
    write waits for another process's write.
    """

    def __init__(self, path: Path, busy_timeout_s: float = 15.0) -> None:
        self.path = Path(path)
        self.busy_timeout_s = busy_timeout_s
        #: Transactions this object has committed (a page run re-reads the revision after one).
        self.writes = 0
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise StoreError(f"cannot create the folder of the {self.describe()}: "
                             f"{exc.strerror}") from exc
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
        """One connection (foreign keys on, busy timeout set), closed on leaving.

        sqlite3 errors leave here as the atlas's named errors, like the PostGIS store's: data
        the database refused as SubmissionError, an unusable file (not a database, read-only,
        busy too long, disk full) as StoreError.
        """
        try:
            conn = sqlite3.connect(self.path, timeout=self.busy_timeout_s, isolation_level=None)
        except sqlite3.Error as exc:
            self._refuse_if_full(exc)
            raise StoreError(f"cannot open the {self.describe()}: {exc}") from exc
        try:
            conn.execute("PRAGMA foreign_keys=ON")
            conn.execute(f"PRAGMA busy_timeout={int(self.busy_timeout_s * 1000)}")
            yield conn
        except sqlite3.IntegrityError as exc:
            raise SubmissionError(f"the database refused the data ({exc}); nothing was saved") from exc
        except sqlite3.Error as exc:
            self._refuse_if_full(exc)
            raise StoreError(f"the {self.describe()} cannot be used: {exc}; "
                             "nothing was changed") from exc
        finally:
            conn.close()

    def _refuse_if_full(self, exc: sqlite3.Error) -> None:
        """StoreError saying the disk is full when `exc` is SQLite's "database or disk is full",
        or its "disk I/O error" on a disk with (almost) no space left: a user reads the cause,
        not SQLite's symptom."""
        code = (getattr(exc, "sqlite_errorcode", None) or 0) & 0xFF
        if code not in (sqlite3.SQLITE_FULL, sqlite3.SQLITE_IOERR):
            return
        try:
            free = shutil.disk_usage(self.path.parent).free
        except OSError:
            free = None
        if code == sqlite3.SQLITE_FULL or (free is not None and free < _NEARLY_FULL_BYTES):
            raise disk_full(self.describe(), free or 0) from exc

    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        """One ``BEGIN IMMEDIATE`` transaction: committed on success, rolled back on any error."""
        with self._connect() as conn:
            conn.execute("BEGIN IMMEDIATE")
            try:
                yield conn
            except BaseException:
                conn.execute("ROLLBACK")
                raise
            conn.execute("COMMIT")
            self.writes += 1

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
        check_wkt(old_wkt, "the recorded position")
        at = _now()
        with self._transaction() as conn:
            cur = conn.execute(
                "INSERT INTO submissions (register, project_id, kind, submitted_by, team, submitted_at,"
                " lon, lat, precision, accuracy_m, note, photo, photo_type)"
                " VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)",
                (sub.register, sub.project_id, sub.kind, sub.submitted_by.strip(), sub.team.strip(), at, sub.lon,
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
        check_review(reviewer, reason)
        check_wkt(old_wkt, "the recorded position")
        at = _now()
        status = "accepted" if accept else "rejected"
        with self._transaction() as conn:
            row = conn.execute("SELECT project_id, kind, lon, lat, precision, accuracy_m, version,"
                               " status, reviewed_by, reviewed_at, register FROM submissions"
                               " WHERE id = ?", (submission_id,)).fetchone()
            if row is None:
                raise SubmissionError(f"no submission with id {submission_id!r}")
            project_id, kind, lon, lat, precision, accuracy, version, current, by, when, register = row
            check_pending(submission_id, current, version, expected_version, by, when)
            check_not_own(conn.execute("SELECT submitted_by FROM submissions WHERE id = ?",
                                       (submission_id,)).fetchone()[0], reviewer, "submission",
                          submission_id)
            conn.execute("UPDATE submissions SET status = ?, reviewed_by = ?, reviewed_at = ?,"
                         " review_reason = ?, version = version + 1 WHERE id = ? AND version = ?",
                         (status, reviewer.strip(), at, reason.strip(), submission_id, version))
            new_wkt = None
            if accept and kind == "correct":
                new_wkt = Point(lon, lat).wkt
                conn.execute(
                    "INSERT INTO field_updates (register, project_id, geometry_wkt, precision,"
                    " accuracy_m, updated_by, updated_at, submission_id) VALUES (?,?,?,?,?,?,?,?)"
                    " ON CONFLICT (register, project_id) DO UPDATE SET geometry_wkt = excluded.geometry_wkt,"
                    " precision = excluded.precision, accuracy_m = excluded.accuracy_m,"
                    " updated_by = excluded.updated_by, updated_at = excluded.updated_at,"
                    " submission_id = excluded.submission_id",
                    (register, project_id, new_wkt, precision, accuracy, reviewer.strip(), at,
                     submission_id))
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
        check_text(saved_by, "the saver's name")
        columns, properties, geometries = register_rows(frame)
        features = json.dumps({
            "type": "FeatureCollection", "columns": columns,
            "features": [{"type": "Feature", "properties": props,
                          "geometry": None if geom is None else mapping(geom)}
                         for props, geom in zip(properties, geometries, strict=True)],
        }, ensure_ascii=False)
        report = report_text(report)
        at = _now()
        with self._transaction() as conn:
            conn.execute("INSERT INTO registers (name, saved_at, saved_by, features, report)"
                         " VALUES (?,?,?,?,?) ON CONFLICT (name) DO UPDATE SET saved_at = excluded.saved_at,"
                         " saved_by = excluded.saved_by, features = excluded.features,"
                         " report = excluded.report", (name, at, saved_by, features, report))
            self._audit(conn, at, saved_by, "save_register", note=f"register {name}: {len(frame)} rows")

    def rename_register(self, old: str, new: str, actor: str) -> None:
        """Rename the register `old` to `new` (which must be free), audited."""
        check_register_name(new)
        check_text(actor, "the actor's name")
        self._register_row(old, "name")
        at = _now()
        with self._transaction() as conn:
            if conn.execute("SELECT 1 FROM registers WHERE name = ?", (new,)).fetchone():
                raise SubmissionError(f"a register named {new!r} exists already; delete it or "
                                      "choose another name")
            if conn.execute("UPDATE registers SET name = ? WHERE name = ?", (new, old)).rowcount != 1:
                raise SubmissionError(f"no saved register named {old!r}")
            self._audit(conn, at, actor, "rename_register", note=f"register {old} -> {new}")

    def delete_register(self, name: str, actor: str) -> None:
        """Delete the register `name`, audited (its rows and report go; the audit stays)."""
        check_register_name(name)
        check_text(actor, "the actor's name")
        at = _now()
        with self._transaction() as conn:
            if conn.execute("DELETE FROM registers WHERE name = ?", (name,)).rowcount != 1:
                raise SubmissionError(f"no saved register named {name!r}")
            self._audit(conn, at, actor, "delete_register", note=f"register {name} deleted")

    def add_changes(self, edits: Sequence[Edit], *, expected_version: int | None = None,
                    expected_seed: int | None = None) -> list[int]:
        """Record `edits` in the living register's change log, each with its audit row, in one
        transaction; return their ids.

        With `expected_version` (a planner's save), the project's version -- the id of its last
        change of any status, 0 when none -- must still be that, else ConflictError listing
        what changed since, and nothing is written. Pending edits wait for a reviewer; the others
        hold from their effective day (today when not given). With `expected_seed` (a seed or
        merge), the register's log must still hold that many seed changes, so two processes
        seeding at once write the seed once: the second gets ConflictError.
        """
        check_edits(edits, expected_version)
        at, today = _now(), district_day()
        ids = []
        with self._transaction() as conn:
            if expected_seed is not None:
                seeds = conn.execute("SELECT count(*) FROM register_changes WHERE register = ?"
                                     " AND source = 'seed'", (edits[0].register,)).fetchone()[0]
                if seeds != expected_seed:
                    raise ConflictError("the register was seeded by another process meanwhile; "
                                        "nothing was written")
            if expected_version is not None:
                first = edits[0]
                since = conn.execute(
                    "SELECT id, actor, at, status, old, new FROM register_changes"
                    " WHERE register = ? AND project_id = ? AND id > ? ORDER BY id",
                    (first.register, first.project_id, expected_version)).fetchall()
                if since:
                    raise change_conflict(first.project_id, expected_version, since)
            for edit in edits:
                status = "pending" if edit.pending else "accepted"
                effective = None if edit.pending else (edit.effective or today)
                cur = conn.execute(
                    "INSERT INTO register_changes (register, project_id, source, actor, at, reason,"
                    " old, new, status, effective) VALUES (?,?,?,?,?,?,?,?,?,?)",
                    (edit.register, edit.project_id, edit.source, edit.actor.strip(), at,
                     edit.reason.strip(), edit.old_json, edit.new_json, status, effective))
                cid = int(cur.lastrowid)
                ids.append(cid)
                self._audit(conn, at, edit.actor.strip(), "change", project_id=edit.project_id,
                            old_wkt=edit.old.get("geometry"), new_wkt=edit.new.get("geometry"),
                            note=edit.audit_note(cid, status))
        return ids

    def review_change(self, change_id: int, reviewer: str, *, accept: bool, reason: str,
                      expected_version: int | None = None) -> None:
        """Accept or reject a pending change, audited, in one transaction; an accepted change
        holds from today. ConflictError when it is no longer pending (or not at
        `expected_version`)."""
        check_review(reviewer, reason)
        at, today = _now(), district_day()
        status = "accepted" if accept else "rejected"
        with self._transaction() as conn:
            row = conn.execute("SELECT project_id, old, new, version, status, reviewed_by, reviewed_at"
                               " FROM register_changes WHERE id = ?", (change_id,)).fetchone()
            if row is None:
                raise SubmissionError(f"no change with id {change_id!r}")
            project_id, old, new, version, current, by, when = row
            check_pending(change_id, current, version, expected_version, by, when, what="change")
            check_not_own(conn.execute("SELECT actor FROM register_changes WHERE id = ?",
                                       (change_id,)).fetchone()[0], reviewer, "change", change_id)
            conn.execute("UPDATE register_changes SET status = ?, reviewed_by = ?, reviewed_at = ?,"
                         " review_reason = ?, effective = ?, version = version + 1"
                         " WHERE id = ? AND version = ?",
                         (status, reviewer.strip(), at, reason.strip(), today if accept else None,
                          change_id, version))
            self._audit(conn, at, reviewer.strip(), "accept_change" if accept else "reject_change",
                        project_id=project_id, old_wkt=json.loads(old).get("geometry"),
                        new_wkt=json.loads(new).get("geometry"),
                        note=f"change {change_id}: {reason.strip()}")

    def restore_history(self, tables: Mapping[str, pd.DataFrame], actor: str, source: str) -> int:
        """Copy submissions, field updates and audit rows (ids kept) into this store, which must
        have none yet; one more audit row records the copy. Returns the number of rows copied."""
        check_restore(tables, actor, source)
        at = _now()
        with self._transaction() as conn:
            if conn.execute("SELECT (SELECT count(*) FROM submissions) + (SELECT count(*) FROM audit)"
                            ).fetchone()[0]:
                raise SubmissionError(f"{self.describe()} already has submissions or audit rows; "
                                      "history is copied only into an empty store")
            copied = 0
            for table, columns in HISTORY_COLUMNS.items():
                if table not in tables:
                    continue
                rows = history_rows(tables[table], columns)
                conn.executemany(f"INSERT INTO {table} ({', '.join(columns)}) "  # noqa: S608 (fixed names)
                                 f"VALUES ({', '.join('?' * len(columns))})", rows)
                copied += len(rows)
            self._audit(conn, at, actor, "save_register", note=restore_note(source, tables))
        return copied

    # -- reading --------------------------------------------------------------------------

    def _frame(self, sql: str, params: tuple = ()) -> pd.DataFrame:
        """The rows of a query as a frame."""
        with self._connect() as conn:
            return pd.read_sql_query(sql, conn, params=params)

    def pending(self) -> pd.DataFrame:
        """Pending submissions, oldest first (photos left out; see :meth:`photo`)."""
        return self._frame("SELECT id, register, project_id, kind, submitted_by, team, submitted_at,"
                           " lon, lat, precision, accuracy_m, note, photo_type, version FROM submissions"
                           " WHERE status = 'pending' ORDER BY id")

    def submissions(self, project_id: str | None = None) -> pd.DataFrame:
        """All submissions (optionally of one project), newest first, without photos."""
        check_text(project_id, "the project id")
        return self._frame("SELECT id, register, project_id, kind, submitted_by, team, submitted_at,"
                           " lon, lat, precision, accuracy_m, note, status, reviewed_by, reviewed_at,"
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
        check_text(project_id, "the project id")
        return self._frame("SELECT * FROM audit WHERE (? IS NULL OR project_id = ?) ORDER BY id",
                           (project_id, project_id))

    def field_updates(self) -> pd.DataFrame:
        """Accepted corrections, one per project (the latest accepted one)."""
        return self._frame("SELECT * FROM field_updates ORDER BY register, project_id")

    def history(self) -> dict[str, pd.DataFrame]:
        """Every submission (with its photo), field update, audit row and register change, by id."""
        order = {"submissions": "id", "field_updates": "register, project_id", "audit": "id",
                 "register_changes": "id"}
        return {table: self._frame(f"SELECT {', '.join(columns)} FROM {table}"  # noqa: S608 (fixed names)
                                   f" ORDER BY {order[table]}")
                for table, columns in HISTORY_COLUMNS.items()}

    def attempt(self, key: str) -> tuple[int, float] | None:
        """(failures in a row, epoch seconds of the last) of a sign-in key, or None."""
        with self._connect() as conn:
            row = conn.execute("SELECT failures, last FROM sign_in_failures WHERE key = ?",
                               (key,)).fetchone()
        return (int(row[0]), float(row[1])) if row else None

    def add_attempt_failure(self, key: str, now: float, restart_after: int) -> int:
        """One more failure of a sign-in key, atomically; the count restarts after
        `restart_after` (a lockout that ended). Returns the failures now counted."""
        with self._transaction() as conn:
            return int(conn.execute(
                "INSERT INTO sign_in_failures (key, failures, last) VALUES (?, 1, ?)"
                " ON CONFLICT (key) DO UPDATE SET last = excluded.last, failures ="
                " CASE WHEN failures >= ? THEN 1 ELSE failures + 1 END RETURNING failures",
                (key, now, restart_after)).fetchone()[0])

    def take_attempt(self, key: str, now: float, delay: Callable[[int], float],
                     restart_after: int) -> tuple[float, int]:
        """A sign-in attempt counted or refused in one ``BEGIN IMMEDIATE`` transaction (writers
        wait for each other, across processes too): see :func:`app.domain.roles.take_step`."""
        with self._transaction() as conn:
            row = conn.execute("SELECT failures, last FROM sign_in_failures WHERE key = ?",
                               (key,)).fetchone()
            wait, failures, write = take_step((int(row[0]), float(row[1])) if row else None,
                                              now, delay, restart_after)
            if write is not None:
                conn.execute("INSERT INTO sign_in_failures (key, failures, last) VALUES (?, ?, ?)"
                             " ON CONFLICT (key) DO UPDATE SET failures = excluded.failures,"
                             " last = excluded.last", (key, *write))
        return wait, failures

    def drop_attempts(self, key: str | None = None, *, before: float | None = None) -> None:
        """Forget a sign-in key, or every key idle since before `before`."""
        with self._transaction() as conn:
            if key is not None:
                conn.execute("DELETE FROM sign_in_failures WHERE key = ?", (key,))
            if before is not None:
                conn.execute("DELETE FROM sign_in_failures WHERE last < ?", (before,))

    def changes(self, *, register: str = "", project_id: str | None = None,
                since: str | None = None, status: str | None = None,
                project_ids: Sequence[str] | None = None) -> pd.DataFrame:
        """The living register's change log (:data:`CHANGE_COLUMNS`), oldest first; optionally
        of one project (or of `project_ids`), recorded on or after the day `since`, or in one
        status."""
        check_text(project_id, "the project id")
        if since is not None:
            since = check_date(since, "the first day")
        chosen = None if project_ids is None else json.dumps(sorted({str(p) for p in project_ids}))
        return self._frame(
            f"SELECT {', '.join(CHANGE_COLUMNS)} FROM register_changes"  # noqa: S608 (fixed names)
            " WHERE register = ? AND (? IS NULL OR project_id = ?) AND (? IS NULL OR at >= ?)"
            " AND (? IS NULL OR status = ?)"
            " AND (? IS NULL OR project_id IN (SELECT value FROM json_each(?))) ORDER BY id",
            (register, project_id, project_id, since, since, status, status, chosen, chosen))

    def change_index(self, *, register: str = "") -> pd.DataFrame:
        """Every change-log row's id, project, status and version, oldest first."""
        return self._frame("SELECT id, project_id, status, version FROM register_changes"
                           " WHERE register = ? ORDER BY id", (register,))

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
        """One column of the register `name` (SubmissionError when there is none)."""
        check_register_name(name)
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

    def add_credential(self, digest: str, name: str, team: str, role: str, created_by: str) -> int:
        """Keep an API credential's digest for `name` (`role`); return its id."""
        check_credential(digest, name, team, role, created_by)
        with self._transaction() as conn:
            return int(conn.execute(
                "INSERT INTO api_credentials (digest, name, team, role, created_at, created_by)"
                " VALUES (?,?,?,?,?,?)", (digest, name.strip(), team.strip(), role, _now(),
                                          created_by.strip())).lastrowid)

    def credential(self, digest: str) -> dict | None:
        """The live (not revoked) credential with `digest`: id, name, team, role; or None."""
        with self._connect() as conn:
            row = conn.execute("SELECT id, name, team, role FROM api_credentials"
                               " WHERE digest = ? AND revoked_at IS NULL", (digest,)).fetchone()
        return dict(zip(("id", "name", "team", "role"), row, strict=True)) if row else None

    def revoke_credential(self, credential_id: int, actor: str) -> bool:
        """Revoke credential `credential_id`; False when there is no live one of that id."""
        with self._transaction() as conn:
            return conn.execute("UPDATE api_credentials SET revoked_at = ?, revoked_by = ?"
                                " WHERE id = ? AND revoked_at IS NULL",
                                (_now(), actor.strip(), int(credential_id))).rowcount == 1

    def credentials(self) -> pd.DataFrame:
        """Every credential (live and revoked) without its digest, oldest first."""
        return self._frame("SELECT id, name, team, role, created_at, created_by, revoked_at,"
                           " revoked_by FROM api_credentials ORDER BY id")

    def integrity_ok(self) -> bool:
        """SQLite's own integrity check."""
        with self._connect() as conn:
            return conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
