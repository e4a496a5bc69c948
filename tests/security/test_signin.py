"""Passphrase sign-in: constant-time checks, blank secrets refused, guessing slowed and locked."""

from __future__ import annotations

import doctest
import logging

import pytest
from streamlit.testing.v1 import AppTest

import app.domain.roles
from app.domain.roles import (
    PLANNER,
    AttemptLimiter,
    check_passphrase,
    roles_for_email,
    usable_secret,
)

FIELD_PASS = "field-pass"  # noqa: S105 (a test passphrase)


class FakeClock:
    """A monotonic clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


# --- the limiter, pure ---------------------------------------------------------------------

def test_free_tries_then_doubling_delays_then_a_lockout():
    clock = FakeClock()
    limiter = AttemptLimiter(free=3, base_delay_s=1, lockout_after=6, lockout_s=300, clock=clock)
    waits = []
    for _ in range(5):
        assert limiter.wait_s("s") == 0.0
        assert limiter.failed("s") is False
        waits.append(limiter.wait_s("s"))
        clock.advance(waits[-1])
    assert waits == [0.0, 0.0, 0.0, 1.0, 2.0]
    assert limiter.failed("s") is True  # the 6th failure in a row locks
    assert limiter.locked("s") and limiter.wait_s("s") == 300.0
    clock.advance(299)
    assert limiter.wait_s("s") == pytest.approx(1.0)
    clock.advance(1)
    assert limiter.wait_s("s") == 0.0 and not limiter.locked("s")


def test_keys_are_counted_apart_and_a_success_clears_one():
    clock = FakeClock()
    limiter = AttemptLimiter(free=1, lockout_after=2, lockout_s=60, clock=clock)
    limiter.failed("a")
    assert limiter.failed("a") is True
    assert limiter.wait_s("a") == 60.0 and limiter.wait_s("b") == 0.0
    limiter.succeeded("a")
    assert limiter.wait_s("a") == 0.0


def test_after_a_lockout_the_count_starts_again():
    clock = FakeClock()
    limiter = AttemptLimiter(free=1, base_delay_s=1, lockout_after=3, lockout_s=60, clock=clock)
    for _ in range(3):
        clock.advance(limiter.wait_s("s"))
        limiter.failed("s")
    clock.advance(60)
    assert limiter.failed("s") is False and limiter.wait_s("s") == 0.0


def test_idle_keys_are_forgotten():
    clock = FakeClock()
    limiter = AttemptLimiter(clock=clock, lockout_s=60)
    limiter.failed("old")
    clock.advance(61)
    limiter.wait_s("other")
    assert limiter.records.get("old") is None


def test_a_limiter_that_could_never_lock_is_refused():
    with pytest.raises(ValueError, match="free=5"):
        AttemptLimiter(free=5, lockout_after=5)


def test_blank_secrets_never_match():
    assert usable_secret("   ") is None and usable_secret("\u3000\t") is None
    assert not check_passphrase(" ", " ")
    assert not check_passphrase("", "")
    assert check_passphrase(" s ", " s ")  # a real secret may contain spaces
    assert not check_passphrase("s", " s ")


def test_planners_are_granted_by_email():
    assert roles_for_email("Zhao@example.org ", {"planners": ["zhao@example.org"]}) == {PLANNER}


def test_doctests():
    assert doctest.testmod(app.domain.roles).failed == 0


# --- the page --------------------------------------------------------------------------------

def field_app() -> AppTest:
    def page():
        from app.ui.pages import field_page

        field_page.render()

    return AppTest.from_function(page, default_timeout=60)


def attempt(at: AppTest, passphrase: str) -> AppTest:
    at.text_input(key="signin_name_field").input("王工")
    at.text_input(key="signin_team_field").input("一组")
    at.text_input(key="signin_pass_field").input(passphrase)
    return at.button[[b.label for b in at.button].index("登录")].click().run()


def signed_in(at: AppTest) -> bool:
    return "提交" in [b.label for b in at.button]


@pytest.mark.parametrize("secret", ["", "   ", "\t\n"])
def test_a_blank_secret_disables_sign_in_with_a_message(monkeypatch, caplog, secret):
    from app.ui import auth

    monkeypatch.setattr(auth, "_WARNED_BLANK", set())  # logged once per process: start afresh
    monkeypatch.setenv("ATLAS_FIELD_SECRET", secret)
    with caplog.at_level(logging.WARNING, logger="app.ui.auth"):
        at = field_app().run()
    assert not at.exception
    assert any("为空或只有空格" in w.value for w in at.warning)
    assert not [t for t in at.text_input if t.key == "signin_pass_field"]  # no form to try
    assert "ATLAS_FIELD_SECRET" in caplog.text and "empty or whitespace" in caplog.text


def test_the_sixth_try_after_five_wrong_ones_is_refused_even_when_right(monkeypatch, caplog):
    from app.ui import auth

    clock = FakeClock()
    guards = {"session": AttemptLimiter(free=3, base_delay_s=1, lockout_after=5, lockout_s=300,
                                        clock=clock),
              "address": AttemptLimiter(free=10, lockout_after=20, clock=clock)}
    monkeypatch.setattr(auth, "limiters", lambda: guards)
    monkeypatch.setenv("ATLAS_FIELD_SECRET", FIELD_PASS)
    at = field_app().run()
    for _ in range(3):
        at = attempt(at, "guess")
        assert any("口令不正确" in e.value for e in at.error)
    at = attempt(at, "guess")  # the 4th: wrong, and now a 1 s wait
    at = attempt(at, FIELD_PASS)  # too soon: refused without being checked
    assert any("尝试次数过多" in e.value for e in at.error) and not signed_in(at)
    clock.advance(1)
    with caplog.at_level(logging.WARNING, logger="app.ui.auth"):
        at = attempt(at, "guess")  # the 5th wrong one in a row: locked
    assert any("300 秒" in e.value for e in at.error)
    assert "locked for 300 s after 5 failures" in caplog.text
    clock.advance(200)
    at = attempt(at, FIELD_PASS)  # the 6th, right, but during the lockout
    assert any("尝试次数过多" in e.value and "100 秒" in e.value for e in at.error)
    assert not signed_in(at)
    clock.advance(100)
    at = attempt(at, FIELD_PASS)
    assert not at.exception and signed_in(at)


# --- the address limiter shared by replicas through the store -------------------------------

from tests import pg_support  # noqa: E402 (the store fixtures belong to this part only)

postgis_server = pg_support.postgis_server
pg_url = pg_support.pg_url


@pytest.fixture(params=["sqlite", "postgis"])
def store_target(request: pytest.FixtureRequest, tmp_path) -> str:
    if request.param == "sqlite":
        return str(tmp_path / "atlas.sqlite")
    return request.getfixturevalue("pg_url")


def test_replicas_sharing_a_store_count_the_same_guesses(store_target):
    from app.store import StoreAttempts, open_store

    clock = FakeClock()
    replicas = [AttemptLimiter(free=10, lockout_after=20, clock=clock,
                               records=StoreAttempts(open_store(store_target))) for _ in range(2)]
    key = "address:203.0.113.9"
    locked = [replicas[n % 2].failed(key) for n in range(20)]  # guesses spread over two replicas
    assert locked == [False] * 19 + [True]
    assert replicas[0].locked(key) and replicas[1].locked(key)
    assert replicas[1].wait_s(key) == pytest.approx(300)
    assert replicas[0].wait_s("address:203.0.113.10") == 0.0  # another client is not held
    clock.advance(301)
    assert not replicas[1].locked(key)
    replicas[0].failed(key)
    replicas[1].succeeded(key)
    assert replicas[0].wait_s(key) == 0.0


def test_the_store_keeps_no_client_address(tmp_path):
    import sqlite3

    from app.store import Store, StoreAttempts

    store = Store(tmp_path / "s.sqlite")
    AttemptLimiter(records=StoreAttempts(store)).failed("address:203.0.113.9")
    rows = sqlite3.connect(store.path).execute("SELECT key FROM sign_in_failures").fetchall()
    assert len(rows) == 1 and "203.0.113" not in rows[0][0] and len(rows[0][0]) == 64


def test_a_burst_of_attempts_is_counted_atomically(store_target):
    """40 attempts at the same moment from 40 threads, each with its own store connection (as
    40 sessions on two replicas would): the store lets through exactly the free ones and the
    first delayed one, and counts each."""
    import threading

    from app.store import StoreAttempts, open_store

    clock = FakeClock()
    limiters = [AttemptLimiter(free=10, lockout_after=20, clock=clock,
                               records=StoreAttempts(open_store(store_target))) for _ in range(40)]
    start = threading.Barrier(len(limiters))
    allowed: list[bool] = []

    def guess(limiter: AttemptLimiter) -> None:
        start.wait()
        allowed.append(limiter.attempt("address:reviewer:203.0.113.9").allowed)

    threads = [threading.Thread(target=guess, args=(limiter,)) for limiter in limiters]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert len(allowed) == 40
    assert allowed.count(True) == 11  # 10 free, the 11th starts the 1 s wait
    assert limiters[0].records.get("address:reviewer:203.0.113.9")[0] == 11


def test_guesses_landing_during_a_lockout_do_not_restart_it():
    clock = FakeClock()
    limiter = AttemptLimiter(free=3, lockout_after=5, lockout_s=300, clock=clock)
    for _ in range(5):
        clock.advance(limiter.wait_s("s"))
        assert limiter.attempt("s").allowed
    assert limiter.locked("s")
    clock.advance(10)
    assert limiter.failed("s") is False  # a late failure of an attempt checked before the lock
    assert not limiter.attempt("s").allowed
    assert limiter.wait_s("s") == pytest.approx(290) and limiter.records.get("s")[0] == 5
