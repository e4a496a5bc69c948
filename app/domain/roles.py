"""Who may do what: viewing is open; submitting needs the field-team role, reviewing the
reviewer role. Identities come from Streamlit's OIDC login when configured, or from a shared
passphrase per role for deployments without an identity provider. Pure: no streamlit here.

Configuration (never in the repository): ``.streamlit/secrets.toml`` or the environment.

- OIDC: an ``[auth]`` section as Streamlit documents it, plus role lists by e-mail:
  ``[atlas.roles] field_team = ["a@example.org"]``, ``reviewers = ["b@example.org"]``.
- Passphrases: ``[atlas] field_secret = "…"``, ``review_secret = "…"`` or the environment
  variables ``ATLAS_FIELD_SECRET`` and ``ATLAS_REVIEW_SECRET``.

>>> check_passphrase("s3cret", "s3cret"), check_passphrase("guess", "s3cret"), check_passphrase("", "")
(True, False, False)
>>> sorted(roles_for_email("B@Example.org", {"field_team": ["a@example.org"], "reviewers": ["b@example.org"]}))
['reviewer']
"""

from __future__ import annotations

import hmac
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

__all__ = ["FIELD", "REVIEWER", "Identity", "check_passphrase", "roles_for_email"]

FIELD = "field"
REVIEWER = "reviewer"


@dataclass(frozen=True)
class Identity:
    """A signed-in person: display name, team, roles and how they signed in."""

    name: str
    team: str
    roles: frozenset[str]
    method: str  # 'oidc' or 'passphrase'

    def can(self, role: str) -> bool:
        """True when this identity holds `role`."""
        return role in self.roles


def check_passphrase(given: str, expected: str | None) -> bool:
    """Constant-time comparison; an empty or missing expected passphrase never matches."""
    if not expected or not given:
        return False
    return hmac.compare_digest(given.encode("utf-8"), expected.encode("utf-8"))


def roles_for_email(email: str | None, config: Mapping[str, Sequence[str]]) -> frozenset[str]:
    """Roles granted to an e-mail address by ``[atlas.roles]`` (case-insensitive)."""
    if not email:
        return frozenset()
    email = email.strip().casefold()
    granted = set()
    if email in {e.strip().casefold() for e in config.get("field_team", ())}:
        granted.add(FIELD)
    if email in {e.strip().casefold() for e in config.get("reviewers", ())}:
        granted.add(REVIEWER)
    return frozenset(granted)
