"""Sessions (issue 9, defect 3): the signing key lives outside the store, and a session ends on
log-out, a new password, a new role or division and deactivation — copied cookies included."""

from __future__ import annotations

import shutil
import stat
from pathlib import Path

import pytest
from flask import Flask
from flask.sessions import SecureCookieSessionInterface

from geociv.auth import Users
from geociv.config import Settings
from geociv.errors import AuthenticationError, ConfigError
from geociv.session_key import SECRET_KEY_FILE, session_key
from geociv.store import open_store
from tests.conftest import PASSWORD, ROOT, login
from web import create_app

#: The key that store_v8.gpkg holds in geociv_meta (tests/data/make_store_fixtures.py).
V8_KEY = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"


def _forge(key: str, user_id: str) -> str:
    """A session cookie for ``user_id`` signed with ``key``, as an attacker would make it."""
    forger = Flask("forger")
    forger.secret_key = key
    serializer = SecureCookieSessionInterface().get_signing_serializer(forger)
    assert serializer is not None
    return serializer.dumps({"_user_id": user_id, "_fresh": True})


def _logged_in(client) -> bool:
    """Whether ``client`` holds a live session (the home page does not send it to log in)."""
    response = client.get("/")
    return "/login" not in response.headers.get("Location", "")


@pytest.fixture
def v8_store(tmp_path: Path) -> Path:
    path = tmp_path / "store.gpkg"
    shutil.copy(ROOT / "tests" / "data" / "store_v8.gpkg", path)
    assert V8_KEY.encode() in path.read_bytes()
    return path


def test_the_key_moves_out_of_an_old_store_and_old_cookies_stop_working(v8_store: Path) -> None:
    app = create_app({"GEOCIV_STORE": str(v8_store), "TESTING": True})
    store = app.extensions["geociv_store"]
    assert store.get_meta("secret_key") is None
    key_file = v8_store.parent / SECRET_KEY_FILE
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert app.secret_key == key_file.read_text().strip() != V8_KEY
    entry = store.audit_entries(entity="geociv_meta", limit=1)[0]
    assert (entry.action, entry.entity_key, entry.before, entry.after) == (
        "meta.delete",
        "secret_key",
        {"value": "***"},
        None,
    )
    # The user "wang" of the fixture, with a forged session: the leaked key no longer works,
    # whatever the id looks like; the same forgery with the real key would (the control).
    for user_id in ("wang", "wang:0"):
        client = app.test_client()
        client.set_cookie("session", _forge(V8_KEY, user_id))
        assert not _logged_in(client)
    control = app.test_client()
    control.set_cookie("session", _forge(app.secret_key, "wang:0"))
    assert _logged_in(control)
    store.close()
    for part in (v8_store, Path(f"{v8_store}-wal")):
        if part.exists():
            assert V8_KEY.encode() not in part.read_bytes(), part


def test_the_key_file_is_reused_and_an_environment_key_wins(tmp_path: Path) -> None:
    settings = Settings.from_env({"store": str(tmp_path / "s.gpkg")}, environ={})
    with open_store(settings.store) as store:
        first = session_key(settings, store)
        assert session_key(settings, store) == first
        store.set_meta("secret_key", "left-over", actor="t", secret=True)
        given = Settings.from_env(
            {"store": settings.store}, environ={"GEOCIV_SECRET_KEY": "from-env"}
        )
        assert session_key(given, store) == "from-env"
        assert store.get_meta("secret_key") is None
    elsewhere = Settings.from_env(
        {"store": settings.store, "instance": str(tmp_path / "inst")}, environ={}
    )
    with open_store(settings.store) as store:
        assert session_key(elsewhere, store) != first
    assert (tmp_path / "inst" / SECRET_KEY_FILE).exists()


def test_a_key_file_others_can_read_is_refused(tmp_path: Path) -> None:
    key_file = tmp_path / SECRET_KEY_FILE
    key_file.write_text("k" * 64)
    key_file.chmod(0o644)
    with pytest.raises(ConfigError, match="chmod 600"):
        create_app({"GEOCIV_STORE": str(tmp_path / "s.gpkg"), "TESTING": True})


# -- sessions end ----------------------------------------------------------------------------
def _two_clients(app, username: str):
    """A client logged in through the form, and a second one holding a copy of its cookie."""
    first = app.test_client()
    assert login(first, username).status_code == 302
    copy = app.test_client()
    copy.set_cookie("session", first.get_cookie("session").value)
    assert _logged_in(first) and _logged_in(copy)
    return first, copy


def test_a_copied_cookie_does_not_survive_logout(app) -> None:
    first, copy = _two_clients(app, "officer1")
    assert first.post("/logout").status_code == 302
    assert not _logged_in(first)
    assert not _logged_in(copy)
    entry = app.extensions["geociv_store"].audit_entries(actor="officer1", limit=1)[0]
    assert entry.action == "auth.logout" and entry.after == {"session_version": 1}


@pytest.mark.parametrize(
    ("event", "change"),
    [
        ("password", lambda users: users.set_password("officer1", "new-pass-123", actor="admin1")),
        ("role", lambda users: users.update("officer1", role="planner", actor="admin1")),
        (
            "division",
            lambda users: users.update("officer1", division_code="411721", actor="admin1"),
        ),
        ("disable", lambda users: users.set_active("officer1", False, actor="admin1")),
    ],
)
def test_sessions_end_when_the_account_changes(app, event: str, change) -> None:
    first, copy = _two_clients(app, "officer1")
    store = app.extensions["geociv_store"]
    change(Users(store))
    assert not _logged_in(first) and not _logged_in(copy), event
    entry = store.audit_entries(entity="users", key="officer1", limit=1)[0]
    assert "会话已全部结束" in entry.note


def test_a_display_name_change_keeps_the_session(app) -> None:
    first, _ = _two_clients(app, "officer1")
    Users(app.extensions["geociv_store"]).update("officer1", display_name="王", actor="admin1")
    assert _logged_in(first)


def test_admin_disables_and_enables_a_user_on_the_page(app) -> None:
    store = app.extensions["geociv_store"]
    victim, copy = _two_clients(app, "planner1")
    admin = app.test_client()
    login(admin, "admin1")
    page = admin.get("/admin/users").get_data(as_text=True)
    assert "/admin/users/planner1/disable" in page and "window.confirm" in page
    assert admin.post("/admin/users/planner1/disable").status_code == 303
    assert not _logged_in(victim) and not _logged_in(copy)
    assert login(app.test_client(), "planner1").status_code == 401
    row = admin.get("/admin/users").get_data(as_text=True).split('id="user-planner1"')[1]
    assert "已停用" in row.split("</tr>")[0] and "/admin/users/planner1/enable" in row
    assert Users(store).get("planner1") is not None  # nothing deleted
    assert admin.post("/admin/users/planner1/enable").status_code == 303
    assert login(app.test_client(), "planner1").status_code == 302
    own = admin.post("/admin/users/admin1/disable")
    assert own.status_code == 303 and Users(store).get("admin1").active
    actions = [e.action for e in store.audit_entries(actor="admin1", entity="users", limit=2)]
    assert actions == ["users.update", "users.update"]


def test_admin_sets_a_password_on_the_page(app) -> None:
    victim, copy = _two_clients(app, "planner1")
    admin = app.test_client()
    login(admin, "admin1")
    short = admin.post("/admin/users/planner1/password", data={"password": "x"})
    assert short.status_code == 303 and _logged_in(victim)
    assert "密码至少 8 位" in admin.get("/admin/users").get_data(as_text=True)
    done = admin.post("/admin/users/planner1/password", data={"password": "fresh-pass-42"})
    assert done.status_code == 303
    assert not _logged_in(victim) and not _logged_in(copy)
    assert login(app.test_client(), "planner1", PASSWORD).status_code == 401
    assert login(app.test_client(), "planner1", "fresh-pass-42").status_code == 302


def test_disable_and_enable_on_the_command_line(demo_path: Path) -> None:
    from click.testing import CliRunner

    from geociv.auth import local_actor
    from geociv.cli import main

    run = CliRunner().invoke
    off = run(main, ["--store", str(demo_path), "user", "disable", "officer1"])
    assert off.exit_code == 0 and "已停用" in off.output
    listed = run(main, ["--store", str(demo_path), "user", "list"]).output
    assert "officer1" in listed and "（已停用）" in listed
    with open_store(demo_path) as store:
        with pytest.raises(AuthenticationError, match="用户名或密码错误"):
            Users(store).authenticate("officer1", PASSWORD)
        entry = store.audit_entries(entity="users", key="officer1", limit=3)
        assert any(e.action == "users.update" and e.actor == local_actor() for e in entry)
    on = run(main, ["--store", str(demo_path), "user", "enable", "officer1"])
    assert on.exit_code == 0
    with open_store(demo_path) as store:
        assert Users(store).authenticate("officer1", PASSWORD).username == "officer1"
    missing = run(main, ["--store", str(demo_path), "user", "disable", "nobody"])
    assert missing.exit_code == 1 and "不存在" in missing.output
