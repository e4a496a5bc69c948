"""Who may do what: viewing is open; submitting needs the field-team role, reviewing the
reviewer role, saving an imported register the planner role. Identities come from Streamlit's
OIDC login when configured, or from a shared passphrase per role for deployments without an
identity provider. Pure: no streamlit here.

Configuration (never in the repository): ``.streamlit/secrets.toml`` or the environment.

- OIDC: an ``[auth]`` section as Streamlit documents it, plus role lists by e-mail:
  ``[atlas.roles] field_team = ["a@example.org"]``, ``reviewers = [...]``, ``planners = [...]``.
- Passphrases: ``[atlas] field_secret = "…"``, ``review_secret = "…"``, ``planner_secret = "…"``
  or the environment variables ``ATLAS_FIELD_SECRET``, ``ATLAS_REVIEW_SECRET`` and
  ``ATLAS_PLANNER_SECRET``. A secret that is empty or only whitespace enables nothing.

Guessing is slowed by :class:`AttemptLimiter`: a few free tries, then a doubling delay, then a
lockout for a while. An attempt is counted *before* the passphrase is checked, in one atomic
step that also refuses it when the key must wait (:meth:`AttemptLimiter.attempt`): guesses sent
together, from many sessions or to several app processes, cannot all slip in before the count.

>>> check_passphrase("s3cret", "s3cret"), check_passphrase("guess", "s3cret"), check_passphrase("", "")
(True, False, False)
>>> check_passphrase(" ", " ")
False
>>> sorted(roles_for_email("B@Example.org", {"field_team": ["a@example.org"], "reviewers": ["b@example.org"]}))
['reviewer']
"""

from __future__ import annotations

import hmac
import re
import threading
import time
import unicodedata
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Protocol

__all__ = [
    "FIELD",
    "PLANNER",
    "REVIEWER",
    "ROLE_LISTS",
    "SECRET_ENV",
    "SECRET_KEYS",
    "Attempt",
    "AttemptLimiter",
    "AttemptRecords",
    "Identity",
    "MemoryAttempts",
    "check_passphrase",
    "roles_for_email",
    "same_person",
    "usable_secret",
]

FIELD = "field"
REVIEWER = "reviewer"
PLANNER = "planner"

#: The ``[atlas.roles]`` list that grants each role to e-mail addresses.
ROLE_LISTS: dict[str, str] = {FIELD: "field_team", REVIEWER: "reviewers", PLANNER: "planners"}
#: The ``[atlas]`` secrets key holding each role's passphrase.
SECRET_KEYS: dict[str, str] = {FIELD: "field_secret", REVIEWER: "review_secret",
                               PLANNER: "planner_secret"}
#: The environment variable holding each role's passphrase (used when secrets have none).
SECRET_ENV: dict[str, str] = {FIELD: "ATLAS_FIELD_SECRET", REVIEWER: "ATLAS_REVIEW_SECRET",
                              PLANNER: "ATLAS_PLANNER_SECRET"}


@dataclass(frozen=True)
class Identity:
    """A signed-in person: display name, team, roles and how they signed in; for OIDC the
    e-mail the provider vouches for (`subject`), and the browser session signed in (`session`).

    >>> Identity("李审", "", frozenset({REVIEWER}), "oidc", subject="li@example.gov.cn").actor
    '李审 <li@example.gov.cn>'
    >>> Identity("王工", "一组", frozenset({FIELD}), "passphrase").actor
    '王工'
    """

    name: str
    team: str
    roles: frozenset[str]
    method: str  # 'oidc' or 'passphrase'
    subject: str = ""
    session: str = ""

    def can(self, role: str) -> bool:
        """True when this identity holds `role`."""
        return role in self.roles

    @property
    def actor(self) -> str:
        """Who this is in the store's records: the name, and for OIDC the e-mail in ``<>``, so
        that a decision is tied to the identity (:func:`same_person`)."""
        return f"{self.name} <{self.subject}>" if self.subject else self.name


_EMAIL = re.compile(r"<\s*([^<>\s]+@[^<>\s]+)\s*>\s*$")


def _person(actor: str) -> tuple[str | None, str]:
    """(the OIDC e-mail, the name) an actor string holds; names compared without case, width
    or spaces."""
    match = _EMAIL.search(actor)
    name = actor[:match.start()] if match else actor
    return (match[1].casefold() if match else None,
            "".join(unicodedata.normalize("NFKC", name).casefold().split()))


def same_person(one: str, other: str) -> bool:
    """Whether two actors of the store's records are the same person: the same OIDC e-mail when
    both have one, else the same name (case, width and spaces ignored).

    >>> same_person("王工", " 王 工"), same_person("Li <li@x.cn>", "LI <Li@X.cn>")
    (True, True)
    >>> same_person("Li <li@x.cn>", "Li <li2@x.cn>"), same_person("王工", "李审")
    (False, False)
    """
    (mail, name), (other_mail, other_name) = _person(one), _person(other)
    if mail and other_mail:
        return mail == other_mail
    return bool(name) and name == other_name


def usable_secret(value: object) -> str | None:
    """The configured passphrase, or None when it is missing, not text, empty or only whitespace.

    >>> usable_secret("s3cret"), usable_secret("  "), usable_secret(None), usable_secret("\\t\\n")
    ('s3cret', None, None, None)
    """
    if not isinstance(value, str) or not value.strip():
        return None
    return value


def check_passphrase(given: str, expected: str | None) -> bool:
    """Constant-time comparison; an empty, whitespace-only or missing passphrase never matches."""
    expected = usable_secret(expected)
    if expected is None or not given:
        return False
    return hmac.compare_digest(given.encode("utf-8"), expected.encode("utf-8"))


def roles_for_email(email: str | None, config: Mapping[str, Sequence[str]]) -> frozenset[str]:
    """Roles granted to an e-mail address by ``[atlas.roles]`` (case-insensitive)."""
    if not email:
        return frozenset()
    email = email.strip().casefold()
    return frozenset(role for role, listing in ROLE_LISTS.items()
                     if email in {e.strip().casefold() for e in config.get(listing, ())})


class AttemptRecords(Protocol):
    """Where an :class:`AttemptLimiter` keeps the failures of each key: in this process
    (:class:`MemoryAttempts`), or in the store, shared by every replica of the app."""

    def get(self, key: str) -> tuple[int, float] | None:
        """(failures in a row, time of the last one) of `key`, or None."""
        ...

    def add_failure(self, key: str, now: float, restart_after: int) -> int:
        """Count one more failure of `key` at `now` (from 1 again once `restart_after` were
        counted: a lockout that ended); return the failures now counted. Atomic."""
        ...

    def take(self, key: str, now: float, delay: Callable[[int], float],
             restart_after: int) -> tuple[float, int]:
        """In one atomic step: when `key` must still wait (its last attempt plus ``delay(its
        attempts)`` is after `now`), (the wait, its attempts), nothing counted; otherwise count
        one more attempt at `now` -- from 1 again when `restart_after` were counted and that
        wait is over (a lockout that ended) -- and return (0.0, the attempts now counted)."""
        ...

    def drop(self, key: str) -> None:
        """Forget `key`."""
        ...

    def forget_before(self, horizon: float) -> None:
        """Forget keys whose last failure is older than `horizon`."""
        ...


def take_step(record: tuple[int, float] | None, now: float, delay: Callable[[int], float],
              restart_after: int) -> tuple[float, int, tuple[int, float] | None]:
    """The rule of :meth:`AttemptRecords.take` on one record, for every store to apply inside
    its own lock: (wait, attempts, the record to write or None when nothing is counted).

    >>> take_step(None, 10.0, lambda n: 0.0, 5)
    (0.0, 1, (1, 10.0))
    >>> take_step((5, 10.0), 20.0, lambda n: 300.0, 5)  # locked: refused, nothing counted
    (290.0, 5, None)
    >>> take_step((5, 10.0), 400.0, lambda n: 300.0, 5)  # the lockout is over: count afresh
    (0.0, 1, (1, 400.0))
    """
    failures, last = record or (0, now)
    wait = last + delay(failures) - now if record else 0.0
    if wait > 0:
        return wait, failures, None
    failures = 1 if failures >= restart_after else failures + 1
    return 0.0, failures, (failures, now)


@dataclass
class MemoryAttempts:
    """Attempt records in this process's memory (thread-safe: a server runs sessions in
    threads)."""

    _records: dict[str, tuple[int, float]] = field(default_factory=dict, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def take(self, key: str, now: float, delay: Callable[[int], float],
             restart_after: int) -> tuple[float, int]:
        """See :meth:`AttemptRecords.take`; atomic under this object's lock."""
        with self._lock:
            wait, failures, write = take_step(self._records.get(key), now, delay, restart_after)
            if write is not None:
                self._records[key] = write
        return wait, failures

    def get(self, key: str) -> tuple[int, float] | None:
        """(failures, last) of `key`, or None."""
        return self._records.get(key)

    def add_failure(self, key: str, now: float, restart_after: int) -> int:
        """One more failure of `key`; the count restarts after a lockout."""
        with self._lock:
            failures, _ = self._records.get(key, (0, 0.0))
            failures = 1 if failures >= restart_after else failures + 1
            self._records[key] = (failures, now)
        return failures

    def drop(self, key: str) -> None:
        """Forget `key`."""
        with self._lock:
            self._records.pop(key, None)

    def forget_before(self, horizon: float) -> None:
        """Drop keys idle since before `horizon` (bounds memory)."""
        with self._lock:
            for key in [k for k, (_, last) in self._records.items() if last < horizon]:
                del self._records[key]


@dataclass(frozen=True)
class Attempt:
    """The answer of :meth:`AttemptLimiter.attempt`: whether the attempt may be made (it is
    counted then), the seconds to wait when not, and the attempts counted in a row."""

    allowed: bool
    wait_s: float
    failures: int


@dataclass
class AttemptLimiter:
    """Slows passphrase guessing per key (a session, a client address).

    The first `free` failures cost nothing; each later one makes the key wait `base_delay_s`,
    doubling with every failure; after `lockout_after` failures in a row the key is locked for
    `lockout_s` seconds. A success clears the key; a key idle for `lockout_s` is forgotten.
    `clock` returns seconds (monotonic; wall-clock time when `records` are shared between
    processes); tests pass a fake one. `records` keep the failures (this process's memory
    unless given).

    >>> now = [0.0]
    >>> limiter = AttemptLimiter(free=2, base_delay_s=1, lockout_after=4, lockout_s=60, clock=lambda: now[0])
    >>> [limiter.failed("s") for _ in range(2)], limiter.wait_s("s")
    ([False, False], 0.0)
    >>> limiter.failed("s"), limiter.wait_s("s")
    (False, 1.0)
    >>> now[0] = 1.0; limiter.failed("s"), limiter.wait_s("s")
    (True, 60.0)
    >>> now[0] = 61.0; limiter.wait_s("s"), limiter.wait_s("never-seen")
    (0.0, 0.0)
    """

    free: int = 3
    base_delay_s: float = 1.0
    lockout_after: int = 5
    lockout_s: float = 300.0
    clock: Callable[[], float] = time.monotonic
    records: AttemptRecords = field(default_factory=MemoryAttempts, repr=False)

    def __post_init__(self) -> None:
        if not 0 <= self.free < self.lockout_after:
            raise ValueError(f"AttemptLimiter needs 0 <= free < lockout_after, got free={self.free!r}, "
                             f"lockout_after={self.lockout_after!r}")

    def _delay(self, failures: int) -> float:
        """The wait that `failures` failures in a row impose after the last one."""
        if failures >= self.lockout_after:
            return self.lockout_s
        if failures <= self.free:
            return 0.0
        return self.base_delay_s * 2 ** (failures - self.free - 1)

    def wait_s(self, key: str) -> float:
        """Seconds `key` must wait before its next attempt (0.0 when it may try now)."""
        self.records.forget_before(self.clock() - self.lockout_s)
        record = self.records.get(key)
        if record is None:
            return 0.0
        failures, last = record
        return max(0.0, last + self._delay(failures) - self.clock())

    def locked(self, key: str) -> bool:
        """True while `key` is in a lockout (not merely a short delay)."""
        record = self.records.get(key)
        return record is not None and record[0] >= self.lockout_after and self.wait_s(key) > 0

    def attempt(self, key: str) -> Attempt:
        """Count an attempt of `key` *before* it is checked, or refuse it while `key` must wait;
        one atomic step in the records. After a success, call :meth:`succeeded`.

        >>> now = [0.0]
        >>> limiter = AttemptLimiter(free=1, lockout_after=3, lockout_s=60, clock=lambda: now[0])
        >>> [limiter.attempt("k").allowed for _ in range(3)]  # 1 free, then a 1 s wait
        [True, True, False]
        >>> now[0] = 1.0; limiter.attempt("k"), limiter.attempt("k").wait_s
        (Attempt(allowed=True, wait_s=0.0, failures=3), 60.0)
        """
        self.records.forget_before(self.clock() - self.lockout_s)
        wait, failures = self.records.take(key, self.clock(), self._delay, self.lockout_after)
        return Attempt(wait <= 0, max(wait, 0.0), failures)

    def failed(self, key: str) -> bool:
        """Record a failed attempt of `key` that was not counted by :meth:`attempt`; True when
        this failure starts a lockout. A failure during a lockout changes nothing (it neither
        extends nor restarts it)."""
        def lockout(failures: int) -> float:
            return self.lockout_s if failures >= self.lockout_after else 0.0

        wait, failures = self.records.take(key, self.clock(), lockout, self.lockout_after)
        return wait <= 0 and failures == self.lockout_after

    def succeeded(self, key: str) -> None:
        """Forget the failures of `key` (it signed in)."""
        self.records.drop(key)
