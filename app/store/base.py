"""What every store shares: the :class:`AtlasStore` interface, the :class:`Submission` it stores,
the checks both backends make before writing, and the conversions of registers and history.

Both backends (:mod:`app.store.sqlite`, :mod:`app.store.postgis`) import from here and never
from each other, so one check is written once and behaves the same on either store: text with a
NUL character, a register name that could not name a file, a review without a reason, or a
review that lost a race are refused with the same named error and the same message.

>>> sub = Submission("tianshan-park", "confirm", "王工", note="在此")
>>> sub.wkt is None
True
>>> Submission("tianshan-park", "confirm", "王\\x00工")
Traceback (most recent call last):
app.errors.SubmissionError: the submitter's name contains a NUL character (\\x00); remove it
"""

from __future__ import annotations

import hashlib
import json
import math
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Protocol, runtime_checkable

import geopandas as gpd
import pandas as pd
import shapely
from shapely import Point

from app.data.living import CHANGE_COLUMNS, Edit, check_reason
from app.domain.messages import keyed
from app.domain.model import LOCATED_PRECISIONS
from app.domain.roles import same_person, take_step
from app.domain.text import check_text
from app.domain.viewstate import DISTRICT_TZ, district_today
from app.errors import ConflictError, StoreError, SubmissionError
from app.geo.uncertainty import field_uncertainty_m

__all__ = [
    "CHANGE_COLUMNS",
    "CURATED_REGISTER",
    "GAZETTEER_REGISTER",
    "HISTORY_COLUMNS",
    "OPTIONAL_HISTORY",
    "MAX_NOTE_CHARS",
    "MAX_PHOTO_BYTES",
    "AtlasStore",
    "StoreAttempts",
    "Submission",
    "apply_field_updates",
        "change_conflict",
    "check_credential",
    "check_edits",
    "check_not_own",
    "disk_full",
    "take_step",
    "check_pending",
    "check_register_name",
    "check_restore",
    "check_review",
    "check_text",
    "check_wkt",
    "history_rows",
    "mask_password",
    "plain_value",
    "register_frame",
    "register_rows",
    "report_text",
    "restore_note",
    "district_day",
]

#: Largest photo accepted with a submission (bytes).
MAX_PHOTO_BYTES = 5 * 1024 * 1024
#: Longest note accepted with a submission (characters).
MAX_NOTE_CHARS = 2000
_PHOTO_TYPES = {b"\xff\xd8\xff": "image/jpeg", b"\x89PNG\r\n\x1a\n": "image/png"}

#: Register names reserved for the curated data (written by ``python -m app store load``).
CURATED_REGISTER = "curated"
GAZETTEER_REGISTER = "gazetteer"

#: The columns of the history tables, the same on every store (what ``store dump`` writes).
HISTORY_COLUMNS: dict[str, tuple[str, ...]] = {
    "submissions": ("id", "register", "project_id", "kind", "submitted_by", "team", "submitted_at", "lon", "lat",
                    "precision", "accuracy_m", "note", "photo", "photo_type", "status",
                    "reviewed_by", "reviewed_at", "review_reason", "version"),
    "field_updates": ("register", "project_id", "geometry_wkt", "precision", "accuracy_m", "updated_by",
                      "updated_at", "submission_id"),
    "audit": ("id", "at", "actor", "action", "project_id", "submission_id", "old_wkt", "new_wkt",
              "accuracy_m", "note"),
    "register_changes": CHANGE_COLUMNS,
}
#: History tables a copy may lack (dumps written before the living register had them).
OPTIONAL_HISTORY: tuple[str, ...] = ("register_changes",)


# -- checks made before anything is written ---------------------------------------------

def check_wkt(wkt: str | None, field: str) -> str | None:
    """`wkt` when it is None or a WKT geometry, else SubmissionError naming `field`.

    >>> check_wkt("POINT (121.4 31.2)", "the recorded position")
    'POINT (121.4 31.2)'
    >>> check_wkt("here", "the recorded position")
    Traceback (most recent call last):
    app.errors.SubmissionError: the recorded position is not a WKT geometry: 'here'
    """
    if wkt is None:
        return None
    check_text(wkt, field)
    try:
        shapely.from_wkt(wkt)
    except shapely.errors.GEOSException:
        raise SubmissionError(f"{field} is not a WKT geometry: {wkt[:80]!r}") from None
    return wkt


def check_register_name(name: str) -> str:
    """`name` when it can name a register (letters, digits, - or _), else SubmissionError.

    >>> check_register_name("district-2025")
    'district-2025'
    >>> check_register_name("../evil")
    Traceback (most recent call last):
    app.errors.SubmissionError: register name must be letters, digits, - or _, got '../evil'
    """
    if not name or not name.replace("-", "").replace("_", "").isalnum():
        raise keyed(SubmissionError, "err.register_name", name=repr(name))
    return name


def check_review(reviewer: str, reason: str) -> None:
    """SubmissionError unless a review names its reviewer and reason, both free of NUL.

    >>> check_review("李审", "与现场一致")
    >>> check_review("李审", " ")
    Traceback (most recent call last):
    app.errors.SubmissionError: a review needs a reason
    """
    if not check_text(reviewer, "the reviewer's name").strip():
        raise SubmissionError("a review needs the reviewer's name")
    if not check_text(reason, "the review reason").strip():
        raise keyed(SubmissionError, "err.review_reason")


def check_pending(submission_id: int, status: str, version: int, expected: int | None,
                  reviewed_by: str | None = None, reviewed_at: str | None = None, *,
                  what: str = "submission") -> None:
    """ConflictError unless the submission is still pending (at the expected version); the
    message says who decided it, what and when.

    >>> check_pending(3, "pending", 1, 1)
    >>> check_pending(3, "accepted", 2, 1, "李审", "2025-01-08T09:30:00+00:00")
    Traceback (most recent call last):
    app.errors.ConflictError: submission 3 was already accepted by 李审 at 2025-01-08T09:30:00+00:00 (version 2); this review was not applied
    """
    if status != "pending":
        raise keyed(ConflictError, "err.already_decided", en_what=what, id=submission_id,
                    en_status=status, version=version, by=reviewed_by or "—",
                    at=reviewed_at or "—")
    if expected is not None and version != expected:
        raise keyed(ConflictError, "err.changed_since_shown", en_what=what, id=submission_id,
                    version=version, expected=expected)


def check_not_own(author: str | None, reviewer: str, what: str, item_id: int) -> None:
    """SubmissionError when the reviewer is the person who submitted or proposed the item
    (:func:`app.domain.roles.same_person`: the same OIDC identity, or the same name): whoever
    made a change cannot decide it.

    >>> check_not_own("王工", "李审", "submission", 3)
    >>> check_not_own("王 工", "王工", "submission", 3)
    Traceback (most recent call last):
    app.errors.SubmissionError: submission 3 was made by 王 工, who cannot decide it: another reviewer must
    """
    if author and same_person(author, reviewer):
        raise keyed(SubmissionError, "err.own_decision", en_what=what, id=item_id, author=author)


def disk_full(store: str, free_bytes: int) -> StoreError:
    """The error for a store whose disk is full: said as such, never as the database's "disk
    I/O error" (`store` is what the store calls itself).

    >>> str(disk_full("SQLite store x.sqlite", 2048))
    'the disk holding the SQLite store x.sqlite is full (2 KiB left); nothing was saved: free some space on it'
    """
    return keyed(StoreError, "err.store_disk_full", en_store=store, free_kib=free_bytes // 1024)


def check_restore(tables: Mapping[str, pd.DataFrame], actor: str, source: str) -> None:
    """SubmissionError when a history copy's actor, source or any text in its tables holds NUL
    (naming the table, column and row), or a table is missing.

    >>> tables = {t: pd.DataFrame({c: [] for c in HISTORY_COLUMNS[t]}) for t in HISTORY_COLUMNS}
    >>> check_restore(tables, "store load", "atlas.gpkg")
    >>> check_restore({"audit": tables["audit"]}, "store load", "atlas.gpkg")
    Traceback (most recent call last):
    app.errors.SubmissionError: the history to copy lacks its tables submissions, field_updates
    """
    check_text(actor, "the name of who copies the history")
    check_text(source, "the history's source")
    missing = [t for t in HISTORY_COLUMNS if t not in tables and t not in OPTIONAL_HISTORY]
    if missing:
        raise SubmissionError(f"the history to copy lacks its tables {', '.join(missing)}")
    for table, columns in HISTORY_COLUMNS.items():
        if table not in tables:
            continue
        frame = tables[table]
        for column in columns:
            if column not in frame or pd.api.types.is_numeric_dtype(frame[column]):
                continue
            for row, value in enumerate(frame[column]):
                if isinstance(value, str):
                    check_text(value, f"{table} row {row} column {column!r}")


def check_edits(edits: Sequence[Edit], expected_version: int | None) -> None:
    """SubmissionError unless `edits` can be recorded together: at least one, reasons given,
    and, when a version is expected (a planner's save), all of one project and one register.

    >>> check_edits([], None)
    Traceback (most recent call last):
    app.errors.SubmissionError: no change to record
    """
    if not edits:
        raise SubmissionError("no change to record")
    for edit in edits:
        check_reason(edit.reason)
        if not edit.actor.strip():
            raise SubmissionError("a change needs the name of who makes it")
    if expected_version is not None and len({(e.register, e.project_id) for e in edits}) != 1:
        raise SubmissionError("a save checked against a version must concern one project")


def check_credential(digest: str, name: str, team: str, role: str, created_by: str) -> None:
    """SubmissionError unless an API credential can be kept: a SHA-256 hex digest, a name, a
    known role, text free of NUL.

    >>> check_credential("0" * 64, "赵工", "规划科", "planner", "admin")
    >>> check_credential("0" * 64, "赵工", "", "admin", "admin")
    Traceback (most recent call last):
    app.errors.SubmissionError: a credential's role is field, reviewer or planner, not 'admin'
    """
    if not re.fullmatch(r"[0-9a-f]{64}", str(digest)):
        raise SubmissionError("a credential is kept as its SHA-256 digest (64 hex digits)")
    if not check_text(name, "the credential holder's name").strip():
        raise SubmissionError("a credential needs the name of who holds it")
    check_text(team, "the team")
    check_text(created_by, "the name of who issues the credential")
    if role not in ("field", "reviewer", "planner"):
        raise SubmissionError(f"a credential's role is field, reviewer or planner, not {role!r}")


def change_conflict(project_id: str, expected: int, since: Sequence[tuple]) -> ConflictError:
    """The error of a planner save that lost a race: which changes were made to `project_id`
    since version `expected` (rows of id, actor, at, status, old JSON, new JSON).

    >>> str(change_conflict("p", 3, [(4, "李工", "2025-06-01T08:00:00+00:00", "pending", "{}",
    ...                                '{"geometry": "POINT (121.4 31.2)"}')]))
    'project p changed since it was opened (version 3): change 4 by 李工 at 2025-06-01T08:00:00+00:00 set geometry (pending); nothing was saved: reload the project to see the changes'
    """
    described = [keyed(ConflictError, "err.change_by", id=id_, actor=actor, at=at,
                       fields=", ".join(k if k != "stage_entry" else "stage" for k in json.loads(new))
                       or "nothing", status=keyed(ConflictError, f"err.status_{status}"))
                 for id_, actor, at, status, _old, new in since]
    changes = described[0] if described else keyed(ConflictError, "err.history_moved")
    for more in described[1:]:
        changes = keyed(ConflictError, "err.and", first=changes, then=more)
    return keyed(ConflictError, "err.project_moved", project=project_id, expected=expected,
                 changes=changes)


class StoreAttempts:
    """Sign-in failures kept in a store, so every app process behind a proxy counts the same
    guesses (an :class:`app.domain.roles.AttemptRecords`). Keys are kept as SHA-256 digests:
    the store never holds a client's address. Use with a wall clock (``time.time``).

    >>> import tempfile, pathlib
    >>> from app.store.sqlite import Store
    >>> records = StoreAttempts(Store(pathlib.Path(tempfile.mkdtemp()) / "s.sqlite"))
    >>> [records.add_failure("address:10.0.0.7", 100.0, 3) for _ in range(4)]
    [1, 2, 3, 1]
    >>> records.get("address:10.0.0.7"), records.get("address:10.0.0.8")
    ((1, 100.0), None)
    """

    def __init__(self, store: AtlasStore) -> None:
        self.store = store

    @staticmethod
    def _key(key: str) -> str:
        return hashlib.sha256(key.encode("utf-8", "surrogatepass")).hexdigest()

    def get(self, key: str) -> tuple[int, float] | None:
        """(failures, last) of `key`, or None."""
        return self.store.attempt(self._key(key))

    def add_failure(self, key: str, now: float, restart_after: int) -> int:
        """One more failure of `key`, counted in the store."""
        return self.store.add_attempt_failure(self._key(key), now, restart_after)

    def take(self, key: str, now: float, delay: Callable[[int], float],
             restart_after: int) -> tuple[float, int]:
        """An attempt of `key` counted, or refused while it must wait, in one transaction of
        the store (:meth:`app.domain.roles.AttemptRecords.take`)."""
        return self.store.take_attempt(self._key(key), now, delay, restart_after)

    def drop(self, key: str) -> None:
        """Forget `key`."""
        self.store.drop_attempts(self._key(key))

    def forget_before(self, horizon: float) -> None:
        """Forget keys idle since before `horizon`."""
        self.store.drop_attempts(before=horizon)


def district_day() -> str:
    """Today in the district (UTC+8), ``YYYY-MM-DD``: the day accepted changes hold from, the
    same day the map's as-of control calls today."""
    return district_today().isoformat()


def mask_password(text: str) -> str:
    """`text` with every password of a connection URL or libpq string shown as ``***``.

    >>> mask_password("postgresql://atlas:s3cret@db:5432/atlas?password=again")
    'postgresql://atlas:***@db:5432/atlas?password=***'
    >>> mask_password("host=db password='a b' dbname=atlas")
    'host=db password=*** dbname=atlas'
    """
    text = re.sub(r"(://[^:/@\s]*:)[^@\s]*@", r"\1***@", text)
    return re.sub(r"(password\s*=\s*)('[^']*'|[^\s&]+)", r"\1***", text, flags=re.IGNORECASE)


# -- what a store is given ----------------------------------------------------------------

@dataclass(frozen=True)
class Submission:
    """A field worker's confirmation of a recorded position, or a correction of it.

    Corrections carry a WGS-84 position (already converted and checked by the caller, see
    ``app.geo.position.check_position``), a precision and a non-empty note.

    >>> Submission("tianshan-park", "correct", "王工", lon=121.41, lat=31.21, precision="site",
    ...            note="入口在北侧").wkt
    'POINT (121.41 31.21)'
    >>> Submission("tianshan-park", "correct", "王工", lon=121.41, lat=31.21, precision="site")
    Traceback (most recent call last):
    app.errors.SubmissionError: a correction needs a note saying what is wrong with the recorded position
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
    #: The register the project belongs to (``""``: the built-in one): a correction applies
    #: to that register only, even where another register uses the same project id.
    register: str = ""

    def __post_init__(self) -> None:
        if self.register:
            check_register_name(self.register)
        if self.kind not in ("confirm", "correct"):
            raise SubmissionError(f"kind must be 'confirm' or 'correct', got {self.kind!r}")
        if not check_text(self.project_id, "the project id"):
            raise SubmissionError("a submission needs the project it is about")
        if not check_text(self.submitted_by, "the submitter's name").strip():
            raise SubmissionError("a submission needs the name of who made it")
        check_text(self.team, "the team")
        check_text(self.note, "the note")
        if len(self.note) > MAX_NOTE_CHARS:
            raise keyed(SubmissionError, "err.note_long", n=len(self.note), max=MAX_NOTE_CHARS)
        if self.accuracy_m is not None and not (math.isfinite(self.accuracy_m) and self.accuracy_m >= 0):
            raise SubmissionError(f"device accuracy must be a distance in metres, got {self.accuracy_m!r}")
        if self.kind == "correct":
            self._check_correction()
        if self.photo is not None:
            if len(self.photo) > MAX_PHOTO_BYTES:
                raise keyed(SubmissionError, "err.photo_large", mb=len(self.photo) / 1e6,
                            max=MAX_PHOTO_BYTES / 1e6)
            if self.photo_type is None:
                raise keyed(SubmissionError, "err.photo_type")

    def _check_correction(self) -> None:
        """SubmissionError unless a correction has a finite position, a precision and a note."""
        if self.lon is None or self.lat is None:
            raise keyed(SubmissionError, "err.correction_position")
        if not (math.isfinite(self.lon) and math.isfinite(self.lat)):
            raise SubmissionError(f"the new position is not a number: lon={self.lon!r}, lat={self.lat!r}")
        if self.precision not in LOCATED_PRECISIONS:
            raise SubmissionError(f"precision of a correction must be one of {', '.join(LOCATED_PRECISIONS)}, got {self.precision!r}")
        if not self.note.strip():
            raise keyed(SubmissionError, "err.correction_note")

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


def report_text(report: object) -> str:
    """A register's import report as JSON text.

    >>> report_text({"rows": 2, "source": "表.csv"})
    '{"rows": 2, "source": "表.csv"}'
    >>> report_text(None)
    'null'
    """
    return report.to_json() if hasattr(report, "to_json") else json.dumps(report, ensure_ascii=False)


def restore_note(source: str, tables: Mapping[str, pd.DataFrame]) -> str:
    """The audit note of a history copy.

    >>> restore_note("a.gpkg", {t: pd.DataFrame() for t in HISTORY_COLUMNS})
    'history copied from a.gpkg: 0 submissions, 0 field updates, 0 audit, 0 register changes'
    """
    counts = ", ".join(f"{len(tables[t])} {t.replace('_', ' ')}" for t in HISTORY_COLUMNS)
    return f"history copied from {source}: {counts}"


# -- registers and history as plain values ------------------------------------------------

def plain_value(value: object) -> object:
    """A value ready for a database driver or JSON: numpy scalars unwrapped, NaN/NA as None.

    >>> import numpy as np
    >>> plain_value(np.int64(3)), plain_value(float("nan")), plain_value(pd.NA), plain_value([1])
    (3, None, None, [1])
    """
    if isinstance(value, (bytes, str, list, dict)) or value is None:
        return value
    if pd.isna(value):
        return None
    return value.item() if hasattr(value, "item") else value


def history_rows(frame: pd.DataFrame, columns: Sequence[str]) -> list[tuple]:
    """The rows of `frame` as tuples of plain values, in the order of `columns`.

    >>> history_rows(pd.DataFrame({"b": [1.5, None], "a": ["x", "y"]}), ["a", "b"])
    [('x', 1.5), ('y', None)]
    """
    return [tuple(plain_value(v) for v in row) for row in frame[list(columns)].itertuples(index=False)]


def register_rows(frame: gpd.GeoDataFrame) -> tuple[list[tuple[str, str]], list[dict], list]:
    """A register as (columns with their dtypes, JSON-ready properties, geometries), in WGS-84.

    The columns, geometry column included, keep the frame's order and dtypes so that
    :func:`register_frame` rebuilds the same frame from any store; properties are plain JSON
    values (lists stay lists, NA is None). A text holding a NUL character is refused
    (SubmissionError naming the column and row): PostgreSQL could not store it.

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
    for name, _ in columns:
        check_text(name, "a register column name")
    text = frame.to_json(drop_id=True) if len(frame) else '{"features": []}'
    collection = json.loads(text)
    properties = [feature["properties"] for feature in collection["features"]]
    if "\\u0000" in text:  # JSON escapes NUL: only then look for where it is
        _check_properties(properties)
    return columns, properties, list(frame.geometry)


def _holds_nul(value: object) -> bool:
    """Whether a JSON value (text, or a list or mapping of them) has a NUL character in a text."""
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(_holds_nul(k) or _holds_nul(v) for k, v in value.items())
    return isinstance(value, list) and any(_holds_nul(v) for v in value)


def _check_properties(properties: Sequence[Mapping]) -> None:
    """SubmissionError naming the first register cell whose text holds a NUL character."""
    for row, props in enumerate(properties):
        for name, value in props.items():
            if _holds_nul(value):
                raise SubmissionError(f"register column {name!r} row {row} contains a NUL "
                                      "character (\\x00); remove it")


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


# -- the interface ------------------------------------------------------------------------

@runtime_checkable
class AtlasStore(Protocol):
    """What the app, the CLI and the exports need from a store; ``app.store.sqlite.Store``
    (SQLite) and ``app.store.postgis.PostgisStore`` (PostGIS) both provide it, with the same
    behaviour."""

    def describe(self) -> str:
        """Which store this is, for messages (a password shows as ``***``)."""
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

    def rename_register(self, old: str, new: str, actor: str) -> None:
        """Rename a saved register, audited (SubmissionError when `old` is missing or `new` taken)."""
        ...

    def delete_register(self, name: str, actor: str) -> None:
        """Delete a saved register, audited (SubmissionError when there is none)."""
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

    #: Writes this store object has made (a page run reads the revision again after one).
    writes: int

    def revision(self) -> int:
        """A number that grows with every committed change (for cache keys)."""
        ...

    def history(self) -> dict[str, pd.DataFrame]:
        """Submissions (with photos), field updates and audit rows, in :data:`HISTORY_COLUMNS`."""
        ...

    def attempt(self, key: str) -> tuple[int, float] | None:
        """(failures in a row, epoch seconds of the last) of a sign-in key, or None."""
        ...

    def add_attempt_failure(self, key: str, now: float, restart_after: int) -> int:
        """One more failure of a sign-in key, atomically; returns the failures now counted."""
        ...

    def take_attempt(self, key: str, now: float, delay: Callable[[int], float],
                     restart_after: int) -> tuple[float, int]:
        """A sign-in attempt of a key counted, or refused while it must wait, in one
        transaction that holds the key's row (:func:`app.domain.roles.take_step`): (wait,
        attempts counted)."""
        ...

    def drop_attempts(self, key: str | None = None, *, before: float | None = None) -> None:
        """Forget a sign-in key, or every key idle since before `before`."""
        ...

    def add_changes(self, edits: Sequence[Edit], *, expected_version: int | None = None,
                    expected_seed: int | None = None) -> list[int]:
        """Record living-register changes (one transaction, audited); ConflictError when the
        project moved past `expected_version`. Returns their ids."""
        ...

    def review_change(self, change_id: int, reviewer: str, *, accept: bool, reason: str,
                      expected_version: int | None = None) -> None:
        """Accept (holding from today) or reject a pending change; ConflictError on a lost race."""
        ...

    def changes(self, *, register: str = "", project_id: str | None = None,
                since: str | None = None, status: str | None = None,
                project_ids: Sequence[str] | None = None) -> pd.DataFrame:
        """The change log in :data:`CHANGE_COLUMNS`, oldest first (`project_ids`: of those
        projects only)."""
        ...

    def change_index(self, *, register: str = "") -> pd.DataFrame:
        """Every row of the change log in :data:`app.data.living.INDEX_COLUMNS` (id, project,
        status, version), oldest first: what :class:`app.data.living.LivingFold` reads to
        know which projects to read again."""
        ...

    def restore_history(self, tables: Mapping[str, pd.DataFrame], actor: str, source: str) -> int:
        """Copy another store's :meth:`history` into this empty one, ids kept; return rows copied."""
        ...

    def integrity_ok(self) -> bool:
        """The store's own consistency check."""
        ...

    def add_credential(self, digest: str, name: str, team: str, role: str, created_by: str) -> int:
        """Keep an API credential's SHA-256 digest for `name` with `role`; return its id."""
        ...

    def credential(self, digest: str) -> dict | None:
        """The live credential with `digest` (id, name, team, role), or None."""
        ...

    def revoke_credential(self, credential_id: int, actor: str) -> bool:
        """Revoke a credential; False when there is no live one of that id."""
        ...

    def credentials(self) -> pd.DataFrame:
        """Every credential without its digest (id, name, team, role, created and revoked)."""
        ...


# -- reading the store into the atlas -----------------------------------------------------

def _confidence(accuracy_m: float | None) -> str:
    """Position confidence from a device's accuracy (medium when unknown)."""
    if accuracy_m is None or not math.isfinite(accuracy_m):
        return "medium"
    return "high" if accuracy_m <= 10 else "medium" if accuracy_m <= 50 else "low"


def _district_day(times: pd.Series) -> pd.Series:
    """Stored UTC times (ISO text) as days in the district (UTC+8), ``YYYY-MM-DD``."""
    return pd.to_datetime(times, utc=True).dt.tz_convert(DISTRICT_TZ).dt.strftime("%Y-%m-%d")


def _corrections_in_force(store: AtlasStore, register: str, asof: str) -> pd.DataFrame:
    """The accepted corrections of `register` in force at the end of `asof` (a district day),
    one per project -- the last one accepted by then --, in the columns of the field updates.

    Made from the submissions, which keep every decision: the field updates hold only each
    project's latest correction, so a day between two accepted corrections of a project
    would otherwise show neither.
    """
    subs = store.submissions()
    subs = subs[(subs["kind"] == "correct") & (subs["status"] == "accepted")
                & (subs["register"].fillna("") == register)]
    subs = subs[_district_day(subs["reviewed_at"]) <= asof]
    subs = (subs.assign(_at=pd.to_datetime(subs["reviewed_at"], utc=True))
            .sort_values(["_at", "id"]).drop_duplicates("project_id", keep="last"))
    return pd.DataFrame({
        "register": register, "project_id": subs["project_id"],
        "geometry_wkt": [Point(lon, lat).wkt for lon, lat in zip(subs["lon"], subs["lat"], strict=True)],
        "precision": subs["precision"], "accuracy_m": subs["accuracy_m"],
        "updated_by": subs["reviewed_by"], "updated_at": subs["reviewed_at"].astype(str),
        "submission_id": subs["id"]}, columns=list(HISTORY_COLUMNS["field_updates"]))


def apply_field_updates(atlas, store: AtlasStore, register: str = "", *,
                        asof: str | None = None,
                        decided: Mapping[str, pd.Timestamp] | None = None,
                        revision: int | None = None):
    """The atlas with the accepted field corrections of `register` (``""``: the built-in one)
    applied (geometry, precision, provenance).

    The later decision about a position wins: a correction accepted before a planner's
    position (`decided`: project id -> when it was accepted, UTC; see
    :func:`app.data.living.geometry_decided`) gives way to it. As of a day (`asof`), each
    project has the last correction accepted by the end of that day (in the district, UTC+8):
    :func:`_corrections_in_force`.

    The data version gains the store's revision (`revision` when the caller has just read it),
    so caches keyed on it see the change; the given atlas is not modified. Updates of projects the atlas does not have are skipped.

    >>> import tempfile, pathlib
    >>> from app.data.atlas import load_atlas
    >>> from app.store.sqlite import Store
    >>> atlas = load_atlas()
    >>> empty = Store(pathlib.Path(tempfile.mkdtemp()) / "s.sqlite")
    >>> apply_field_updates(atlas, empty).data_version == atlas.data_version + "+0"
    True
    """
    if asof is not None:
        updates = _corrections_in_force(store, register, asof)
    else:
        updates = store.field_updates()
        if "register" in updates:
            updates = updates[updates["register"].fillna("") == register]
    if len(updates) and decided:
        accepted = pd.to_datetime(updates["updated_at"], utc=True)
        later = updates["project_id"].map(lambda pid: decided.get(str(pid)))
        updates = updates[later.isna() | (accepted >= pd.to_datetime(later, utc=True))]
    revision = store.revision() if revision is None else revision
    if updates.empty:
        return replace(atlas, data_version=f"{atlas.data_version}+{revision}")
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
        if "uncertainty_m" in projects.columns:
            projects.at[i, "uncertainty_m"] = field_uncertainty_m(row.accuracy_m)
        projects.at[i, "position_note"] = "Position from an accepted field check (see the audit trail)."
    projects = gpd.GeoDataFrame(projects, geometry="geometry", crs="EPSG:4326")
    return replace(atlas, projects=projects, data_version=f"{atlas.data_version}+{revision}")
