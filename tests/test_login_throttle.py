"""Log-in throttling (issue 9, defect 9): failures are counted per user name and per client
address; past the limits every attempt is refused with 429, even with the right password; what
is recorded is capped."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from geociv.auth import MAX_ADDRESS_FAILURES, MAX_USER_FAILURES, MAX_USERNAME_RECORDED, Users
from geociv.errors import AuthenticationError, LoginThrottledError
from tests.conftest import PASSWORD, login


def _client(app, address: str):
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = address
    return client


def _age_attempts(store, minutes: int) -> None:
    """Move every recorded attempt ``minutes`` into the past (as if time had gone by)."""
    conn = store._conn()
    conn.execute(
        "UPDATE login_attempts SET at = strftime('%Y-%m-%dT%H:%M:%S+00:00', at, ?)",
        (f"-{minutes} minutes",),
    )


def test_fifty_wrong_passwords_then_the_right_one_does_not_log_in(app) -> None:
    client = _client(app, "10.0.0.7")
    codes = [login(client, "officer1", f"wrong-{i}").status_code for i in range(50)]
    assert codes[:MAX_USER_FAILURES] == [401] * MAX_USER_FAILURES
    assert set(codes[MAX_USER_FAILURES:]) == {429}
    right = login(client, "officer1")
    assert right.status_code == 429
    text = right.get_data(as_text=True)
    assert "登录失败次数过多" in text and "分钟后" in text and "北京时间" in text
    assert 0 < int(right.headers["Retry-After"]) <= 15 * 60 + 1
    assert client.get("/").status_code == 302  # not logged in
    store = app.extensions["geociv_store"]
    failed = store.audit_entries(actor="officer1", limit=100)
    assert sum(e.action == "auth.login_failed" for e in failed) == MAX_USER_FAILURES
    assert sum(e.action == "auth.login_throttled" for e in failed) == 46
    assert all("10.0.0.7" in e.note for e in failed)
    # Another user from another address is not affected; after the window the user may log in.
    assert login(_client(app, "10.0.0.8"), "planner1").status_code == 302
    _age_attempts(store, 16)
    assert login(_client(app, "10.0.0.7"), "officer1").status_code == 302


def test_failures_from_one_address_over_many_names_block_that_address(app) -> None:
    attacker = _client(app, "192.0.2.1")
    for i in range(MAX_ADDRESS_FAILURES):
        assert login(attacker, f"guess{i}", "nope-nope").status_code == 401
    assert login(attacker, "planner1").status_code == 429
    assert login(_client(app, "192.0.2.2"), "planner1").status_code == 302


def test_a_success_clears_the_user_count(demo_store) -> None:
    users = Users(demo_store)
    for _ in range(2):
        for _ in range(MAX_USER_FAILURES - 1):
            with pytest.raises(AuthenticationError):
                users.authenticate("officer1", "wrong-pass", address="a")
        assert users.authenticate("officer1", PASSWORD, address="a").username == "officer1"


def test_a_huge_user_name_is_refused_cheaply_and_never_stored(app) -> None:
    client = _client(app, "10.0.0.9")
    started = time.perf_counter()
    response = login(client, "x" * 1_000_000, "whatever-pass")
    assert time.perf_counter() - started < 5
    assert response.status_code == 400
    assert f"用户名：过长：最多 {MAX_USERNAME_RECORDED} 个字符" in response.get_data(as_text=True)
    store = app.extensions["geociv_store"]
    conn = store._conn()
    assert conn.execute("SELECT count(*) FROM login_attempts").fetchone()[0] == 0
    longest = conn.execute("SELECT max(length(actor) + length(entity_key)) FROM audit_log")
    assert longest.fetchone()[0] < 1000


def test_what_is_recorded_of_a_long_name_is_capped(demo_store) -> None:
    with pytest.raises(AuthenticationError):
        Users(demo_store).authenticate("y" * 10_000, "whatever-pass", address="203.0.113.5")
    row = demo_store._conn().execute("SELECT username, address, ok FROM login_attempts").fetchone()
    assert (len(row[0]), row[1], row[2]) == (MAX_USERNAME_RECORDED, "203.0.113.5", 0)
    entry = demo_store.audit_entries(limit=1)[0]
    assert entry.action == "auth.login_failed" and len(entry.actor) == MAX_USERNAME_RECORDED
    assert "203.0.113.5" in entry.note


def test_concurrent_guesses_cannot_outrun_the_limit(demo_store) -> None:
    users = Users(demo_store)

    def guess(i: int) -> str:
        try:
            users.authenticate("inspector1", f"wrong-{i}", address=f"198.51.100.{i}")
        except LoginThrottledError:
            return "throttled"
        except AuthenticationError:
            return "wrong"
        return "in"

    with ThreadPoolExecutor(max_workers=8) as pool:
        outcomes = list(pool.map(guess, range(16)))
    assert outcomes.count("wrong") == MAX_USER_FAILURES
    assert outcomes.count("throttled") == 16 - MAX_USER_FAILURES
