"""Planners' API credentials for the OGC API service: issued, checked and revoked.

A credential is a random key (``atlas_`` and 43 URL-safe characters) that is shown once, when
it is issued (``python -m app api-key issue``); the store keeps only its SHA-256 digest with
the holder's name, team and role. A client sends it in the ``Authorization`` header -- as a
bearer token, or as the password of HTTP Basic (any user name), for clients such as QGIS and
GDAL that only speak Basic -- never in a URL. Wrong keys are counted per client address in the
store, as wrong sign-in passphrases are (:class:`app.domain.roles.AttemptLimiter`, the
address budget of the sign-in page): after 10 each further try waits 1 s, 2 s, 4 s, …, and
after 20 in a row the address is locked for 5 minutes.

>>> key = new_key()
>>> key.startswith(KEY_PREFIX), len(key), key_digest(key) == key_digest(key)
(True, 49, True)
>>> presented_key("Bearer " + key) == key, presented_key("Basic " + base64.b64encode(f"zhao:{key}".encode()).decode()) == key
(True, True)
>>> presented_key("Digest x") is None
True
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import secrets
import time

from app.domain.roles import AttemptLimiter, Identity
from app.store import AtlasStore, StoreAttempts

__all__ = ["KEY_PREFIX", "MAX_HEADER_CHARS", "Credentials", "key_digest", "new_key", "presented_key"]

#: Every key starts so (a leaked one is easy to search for).
KEY_PREFIX = "atlas_"
#: Longest Authorization header read.
MAX_HEADER_CHARS = 512


def new_key() -> str:
    """A fresh random key (256 bits)."""
    return KEY_PREFIX + secrets.token_urlsafe(32)


def key_digest(key: str) -> str:
    """The SHA-256 hex digest the store keeps of `key`."""
    return hashlib.sha256(key.encode("utf-8", "surrogatepass")).hexdigest()


def presented_key(header: str | None) -> str | None:
    """The key in an ``Authorization`` header (Bearer, or the password of Basic), or None."""
    if not header or len(header) > MAX_HEADER_CHARS:
        return None
    scheme, _, value = header.strip().partition(" ")
    value = value.strip()
    if scheme.lower() == "bearer":
        return value or None
    if scheme.lower() == "basic":
        try:
            decoded = base64.b64decode(value, validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError):
            return None
        return decoded.partition(":")[2] or None
    return None


class Credentials:
    """Issuing, checking and revoking keys in `store`, wrong keys counted per client address."""

    def __init__(self, store: AtlasStore) -> None:
        self.store = store
        self.limiter = AttemptLimiter(free=10, lockout_after=20, clock=time.time,
                                      records=StoreAttempts(store))

    def issue(self, name: str, role: str, *, team: str = "", issued_by: str) -> tuple[int, str]:
        """A new key for `name` with `role`: (its id, the key -- shown this once)."""
        key = new_key()
        return self.store.add_credential(key_digest(key), name, team, role, issued_by), key

    def revoke(self, credential_id: int, actor: str) -> bool:
        """Revoke key `credential_id`; False when no live key has that id."""
        return self.store.revoke_credential(credential_id, actor)

    def identify(self, header: str | None, address: str) -> tuple[Identity | None, float]:
        """Who the ``Authorization`` header names: (the identity, 0.0); (None, 0.0) for no key
        or a wrong one; (None, seconds to wait) while the client at `address` must wait.

        A presented key is counted before it is checked, in one atomic step of the store (as a
        sign-in is: :meth:`app.domain.roles.AttemptLimiter.attempt`), so parallel guesses cannot
        slip past the budget; a right key forgets the address's count.
        """
        if not header:
            return None, 0.0
        attempt = self.limiter.attempt(f"api:{address}")
        if not attempt.allowed:
            return None, attempt.wait_s
        key = presented_key(header)
        found = self.store.credential(key_digest(key)) if key is not None else None
        if found is None:
            return None, 0.0
        self.limiter.succeeded(f"api:{address}")
        return Identity(name=str(found["name"]), team=str(found["team"]),
                        roles=frozenset({str(found["role"])}), method="api key"), 0.0
