"""Sign-in for the pages that write: Streamlit OIDC when configured, else passphrases.

Passphrase guessing is slowed by two :class:`~app.domain.roles.AttemptLimiter`, each keyed by
the role too: one per browser session (3 free tries, locked after 5 wrong ones in a row; kept in
the process) and one per client address (10 free, locked after 20; kept in the store, so every
replica behind a proxy counts the same guesses), so that opening a new session, or reaching
another replica, does not buy new guesses. Every attempt is counted before the passphrase is
checked, atomically (:meth:`~app.domain.roles.AttemptLimiter.attempt`): a burst of sessions
cannot slip more guesses in than the budget.

The client address is :func:`app.domain.clients.client_address`: ``X-Forwarded-For`` is
believed only from a configured trusted proxy (``[atlas] trusted_proxies`` or
``ATLAS_TRUSTED_PROXIES``; none by default), and every loopback client is one address, ``local``.
"""

from __future__ import annotations

import logging
import math
import os
import time
import uuid

import streamlit as st

from app.domain.clients import request_client
from app.domain.i18n import t
from app.domain.roles import (
    SECRET_ENV,
    SECRET_KEYS,
    AttemptLimiter,
    Identity,
    check_passphrase,
    roles_for_email,
    same_person,
    usable_secret,
)
from app.store import StoreAttempts
from app.ui.cache import get_store
from app.ui.safe import notice

__all__ = ["authored", "client", "identity", "limiters", "own_work",
           "require", "session_key", "settings"]

log = logging.getLogger(__name__)
_WARNED_BLANK: set[str] = set()  # roles whose blank passphrase was logged (once per process)


def _secrets() -> dict:
    try:
        if not st.secrets.load_if_toml_exists():
            return {}
        return {k: st.secrets[k] for k in st.secrets}
    except (FileNotFoundError, KeyError):
        return {}


def settings() -> dict:
    """The ``[atlas]`` section of the app's secrets (role passphrases, role lists, the planner
    review rule ``planner_review``); empty when there is none."""
    atlas = _secrets().get("atlas", {})
    return dict(atlas) if hasattr(atlas, "keys") else {}


def _passphrase(role: str) -> tuple[str | None, bool]:
    """(the role's usable passphrase, whether one was configured but blank)."""
    atlas = _secrets().get("atlas", {})
    raw = atlas.get(SECRET_KEYS[role])
    if raw is None:
        raw = os.environ.get(SECRET_ENV[role])
    secret = usable_secret(raw)
    return secret, raw is not None and secret is None


def _oidc_configured() -> bool:
    return "auth" in _secrets()


@st.cache_resource(show_spinner=False)
def limiters() -> dict[str, AttemptLimiter]:
    """The limiters of passphrase attempts: per session (in this process: a session lives on
    one replica) and per client address (in the store, so that every replica behind the proxy
    counts the same guesses)."""
    return {"session": AttemptLimiter(free=3, lockout_after=5),
            "address": AttemptLimiter(free=10, lockout_after=20, clock=time.time,
                                      records=StoreAttempts(get_store()))}


def client() -> str:
    """The address this session's requests are counted under (see the module docstring)."""
    headers = getattr(st.context, "headers", None) or {}
    return request_client(getattr(st.context, "ip_address", None), headers.get("X-Forwarded-For"),
                          configured=settings().get("trusted_proxies"))


def _attempt_keys(role: str) -> list[tuple[AttemptLimiter, str]]:
    """(limiter, key) pairs an attempt for `role` counts under: this session and its address."""
    guards = limiters()
    session = session_key()
    return [(guards["session"], f"session:{role}:{session}"),
            (guards["address"], f"address:{role}:{client()}")]


def identity() -> Identity | None:
    """The signed-in identity of this session, if any."""
    if _oidc_configured() and getattr(st.user, "is_logged_in", False):
        roles = roles_for_email(st.user.get("email"), _secrets().get("atlas", {}).get("roles", {}))
        email = str(st.user.get("email") or "")
        return Identity(name=str(st.user.get("name") or email), team=email, roles=roles,
                        method="oidc", subject=email.strip().casefold(), session=session_key())
    return st.session_state.get("_identity")


def session_key() -> str:
    """This browser session's random key (what its sign-in attempts and its work are known by)."""
    return st.session_state.setdefault("_signin_session", uuid.uuid4().hex)


#: Session key: what this browser session submitted or proposed, as ("submission" | "change", id).
_AUTHORED = "_authored"


def authored(kind: str, item_id: int) -> None:
    """Note that this session submitted (``kind`` ``"submission"``) or proposed (``"change"``)
    the item: it may not decide it, whoever signs in later in the same session."""
    st.session_state.setdefault(_AUTHORED, set()).add((kind, int(item_id)))


def own_work(kind: str, item_id: int, author: str, who: Identity) -> bool:
    """Whether `who` may not decide the item: this session made it, or `author` (its recorded
    submitter or proposer) is the same person as `who` (:func:`app.domain.roles.same_person`)."""
    return ((kind, int(item_id)) in st.session_state.get(_AUTHORED, set())
            or same_person(str(author or ""), who.actor))


def _signed_in(who: Identity, role: str, lang: str) -> None:
    cols = st.columns([4, 1])
    with cols[0]:
        notice("caption", "auth.signed_in", lang, name=who.name, team=who.team)
    if cols[1].button(t("auth.logout", lang), key=f"logout_{role}"):
        if who.method == "oidc":
            st.logout()
        st.session_state.pop("_identity", None)
        st.rerun()


def _try_passphrase(role: str, lang: str, name: str, given: str, expected: str,
                    who: Identity | None) -> None:
    """Check one sign-in attempt: counted first (refused while a key must wait), then checked."""
    if not name.strip():
        notice("error", "auth.no_name", lang)
        return
    keys = _attempt_keys(role)
    taken = []
    for guard, key in keys:  # the session first: a session that must wait costs no address try
        attempt = guard.attempt(key)
        if not attempt.allowed:
            notice("error", "auth.locked", lang, seconds=math.ceil(attempt.wait_s))
            return
        taken.append((guard, key, attempt.failures))
    if not check_passphrase(given, expected):
        notice("error", "auth.wrong", lang)
        locked = [(guard, key) for guard, key, failures in taken if failures >= guard.lockout_after]
        for guard, key in locked:
            log.warning("passphrase sign-in for the %s role locked for %.0f s after %d failures (%s)",
                        role, guard.lockout_s, guard.lockout_after, key)
        if locked:
            notice("error", "auth.locked", lang, seconds=math.ceil(max(g.lockout_s for g, _ in locked)))
        return
    for guard, key in keys:
        guard.succeeded(key)
    st.session_state["_identity"] = Identity(
        name.strip(), st.session_state.get(f"signin_team_{role}", "").strip(),
        frozenset((set(who.roles) if who else set()) | {role}), "passphrase",
        session=session_key())
    st.rerun()


def require(role: str, lang: str) -> Identity | None:
    """The identity if it holds `role`; otherwise show how to sign in and return None."""
    role_name = t(f"auth.role_{role}", lang)
    who = identity()
    if who is not None and who.can(role):
        _signed_in(who, role, lang)
        return who
    notice("info", "auth.need", lang, role=role_name)
    if _oidc_configured():
        if who is not None and who.method == "oidc":
            notice("error", "auth.not_granted", lang, email=who.team, role=role_name)
        else:
            st.button(t("auth.login_oidc", lang), on_click=st.login, key=f"oidc_{role}")
        return None
    expected, blank = _passphrase(role)
    if blank:
        if role not in _WARNED_BLANK:
            _WARNED_BLANK.add(role)
            log.warning("the %s passphrase (%s / [atlas] %s) is empty or whitespace: sign-in disabled",
                        role, SECRET_ENV[role], SECRET_KEYS[role])
        notice("warning", "auth.blank_secret", lang, role=role_name)
        return None
    if expected is None:
        notice("warning", "auth.not_configured", lang, role=role_name)
        return None
    with st.form(f"signin_{role}"):
        name = st.text_input(t("auth.name", lang), key=f"signin_name_{role}")
        st.text_input(t("auth.team", lang), key=f"signin_team_{role}")
        given = st.text_input(t("auth.passphrase", lang), type="password", key=f"signin_pass_{role}")
        if st.form_submit_button(t("auth.sign_in", lang), width="stretch"):
            _try_passphrase(role, lang, name, given, expected, who)
    return None

