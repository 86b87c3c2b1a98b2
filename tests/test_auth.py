"""Users, roles, password hashing, log-in/out pages, role checks on writes, CSRF, audit."""

from __future__ import annotations

import io

import pytest

from geociv.auth import Users, has_role, require_role
from geociv.errors import (
    AuthenticationError,
    DuplicateError,
    PermissionDeniedError,
    ValidationError,
)
from geociv.store import User
from tests.conftest import PASSWORD, login


def test_add_user_hashes_the_password(demo_store) -> None:
    Users(demo_store).add(
        "zhao",
        "a-long-password",
        role="inspector",
        division_code="411725",
        actor="admin1",
        display_name="赵工",
    )
    user, password_hash = demo_store.get_user("zhao")
    assert (user.role, user.division_code, user.display_name) == ("inspector", "411725", "赵工")
    assert "a-long-password" not in password_hash and password_hash.startswith("scrypt:")


def test_every_problem_with_a_new_user_is_reported_together(demo_store) -> None:
    with pytest.raises(ValidationError) as info:
        Users(demo_store).add("x", "short", role="mayor", division_code="411799", actor="t")
    assert {p.field for p in info.value.problems} == {
        "username",
        "password",
        "role",
        "division_code",
    }
    assert demo_store.get_user("x") is None
    with pytest.raises(DuplicateError):
        Users(demo_store).add(
            "officer1", PASSWORD, role="officer", division_code="411702", actor="t"
        )


def test_authenticate_audits_success_and_failure(demo_store) -> None:
    users = Users(demo_store)
    assert users.authenticate("planner1", PASSWORD).last_login_at
    with pytest.raises(AuthenticationError):
        users.authenticate("planner1", "wrong-password")
    with pytest.raises(AuthenticationError):
        users.authenticate("nobody", PASSWORD)
    actions = [e.action for e in demo_store.audit_entries(limit=3)]
    assert actions == ["auth.login_failed", "auth.login_failed", "auth.login"]


def test_disabled_user_cannot_log_in(demo_store) -> None:
    users = Users(demo_store)
    users.update("planner1", actor="admin1", active=False)
    with pytest.raises(AuthenticationError):
        users.authenticate("planner1", PASSWORD)


def test_roles() -> None:
    admin = User("a", "admin", "411700")
    officer = User("o", "officer", "411702")
    assert has_role(admin, "planner") and has_role(officer, "officer")
    assert not has_role(officer, "inspector", "planner")
    assert not has_role(User("x", "officer", "411702", active=False), "officer")
    with pytest.raises(PermissionDeniedError, match="界线联检人员"):
        require_role(officer, "inspector")


# -- pages -----------------------------------------------------------------------------------
def test_pages_need_login(client) -> None:
    response = client.get("/")
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    assert client.get("/admin/users").status_code == 302


def test_login_and_logout(client, app) -> None:
    page = client.get("/login")
    assert "登录" in page.get_data(as_text=True)
    bad = login(client, "officer1", "wrong-password")
    assert bad.status_code == 401 and "用户名或密码错误" in bad.get_data(as_text=True)
    ok = login(client, "officer1")
    assert ok.status_code == 302
    assert "驻马店市" in client.get("/").get_data(as_text=True)
    assert client.post("/logout").status_code == 302
    assert client.get("/").status_code == 302
    actions = [e.action for e in app.extensions["geociv_store"].audit_entries(actor="officer1")]
    assert actions[:3] == ["auth.logout", "auth.login", "auth.login_failed"]


def test_login_redirect_stays_on_this_site(client) -> None:
    response = client.post(
        "/login?next=https://evil.example/", data={"username": "officer1", "password": PASSWORD}
    )
    assert response.headers["Location"] == "/"


@pytest.mark.parametrize("username", ["officer1", "inspector1", "planner1"])
def test_write_endpoints_refuse_other_roles_and_audit_it(client, app, username: str) -> None:
    login(client, username)
    upload = {"file": (io.BytesIO(b"{}"), "x.geojson")}
    response = client.post("/api/divisions/import", data=upload, content_type="multipart/form-data")
    assert response.status_code == 403
    assert "系统管理员" in response.get_json()["error"]
    response = client.post("/admin/users", data={"username": "new1"})
    assert response.status_code == 403
    denied = app.extensions["geociv_store"].audit_entries(actor=username, limit=2)
    assert [e.action for e in denied] == ["auth.denied", "auth.denied"]


def test_api_write_without_login_is_401_json(client) -> None:
    response = client.post("/api/divisions/import")
    assert response.status_code == 401 and response.get_json()["error"] == "未登录"


def test_admin_adds_a_user_through_the_form(client, app) -> None:
    login(client, "admin1")
    response = client.post(
        "/admin/users",
        data={
            "username": "sun",
            "display_name": "孙规划",
            "role": "planner",
            "division_code": "411727",
            "password": "planner-pass-1",
        },
    )
    assert response.status_code == 302
    listing = client.get("/admin/users").get_data(as_text=True)
    assert "孙规划" in listing and "411727" in listing
    bad = client.post(
        "/admin/users",
        data={"username": "s", "role": "planner", "division_code": "9", "password": "x"},
    )
    assert bad.status_code == 400
    text = bad.get_data(as_text=True)
    assert "密码至少 8 位" in text and "区划代码" in text
    entry = app.extensions["geociv_store"].audit_entries(entity="users", limit=1)[0]
    assert (entry.actor, entry.action, entry.entity_key) == ("admin1", "users.add", "sun")
    assert "孙规划" in client.get("/admin/audit").get_data(as_text=True)


def test_csrf_is_enforced_on_forms(demo_path) -> None:
    from web import create_app

    app = create_app({"GEOCIV_STORE": str(demo_path), "TESTING": True})
    client = app.test_client()
    response = login(client, "officer1")
    assert response.status_code == 400 and "CSRF" in response.get_data(as_text=True)
    page = client.get("/login").get_data(as_text=True)
    token = page.split('name="csrf_token" type="hidden" value="')[1].split('"')[0]
    response = client.post(
        "/login", data={"username": "officer1", "password": PASSWORD, "csrf_token": token}
    )
    assert response.status_code == 302
    upload = {"file": (io.BytesIO(b"{}"), "x.geojson")}
    assert client.post("/api/divisions/import", data=upload).status_code == 400
