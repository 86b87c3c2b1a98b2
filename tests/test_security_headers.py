"""Security headers on every response, the secure-cookie setting and the security scheme in the
OpenAPI document (issue 9, defect 9)."""

from __future__ import annotations

import re

import pytest

from tests.conftest import login
from web import create_app
from web.security import TILE_HOSTS


def _directives(response) -> dict[str, str]:
    policy = response.headers["Content-Security-Policy"]
    return {d.split()[0]: d for d in (x.strip() for x in policy.split(";")) if d}


@pytest.mark.parametrize(
    ("path", "logged_in"),
    [
        ("/login", False),
        ("/", True),
        ("/cases/", True),
        ("/api/divisions?level=county&geometry=false", False),
        ("/api/openapi.json", False),
        ("/static/geociv.css", False),
        ("/vendor/leaflet/leaflet.js", False),
        ("/no/such/page", False),
        ("/api/no-such-thing", False),
    ],
)
def test_every_response_carries_the_security_headers(client, path: str, logged_in: bool) -> None:
    if logged_in:
        login(client, "officer1")
    response = client.get(path)
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "same-origin"
    csp = _directives(response)
    assert csp["default-src"] == "default-src 'self'"
    assert csp["frame-ancestors"] == "frame-ancestors 'none'"
    assert csp["object-src"] == "object-src 'none'"
    assert csp["connect-src"] == "connect-src 'self'"
    assert csp["base-uri"] == "base-uri 'self'" and csp["form-action"] == "form-action 'self'"
    assert all(host in csp["img-src"] for host in TILE_HOSTS)
    assert "http:" not in response.headers["Content-Security-Policy"]
    assert "'unsafe-eval'" not in response.headers["Content-Security-Policy"]


def test_errors_and_refusals_carry_them_too(client) -> None:
    refused = client.post("/api/divisions/import")
    assert refused.status_code == 401 and refused.headers["X-Frame-Options"] == "DENY"


def test_session_cookie_secure_is_a_setting(demo_path, monkeypatch) -> None:
    base = {"GEOCIV_STORE": str(demo_path), "TESTING": True, "WTF_CSRF_ENABLED": False}
    plain = create_app(base)
    assert plain.config["SESSION_COOKIE_SECURE"] is False
    cookie = login(plain.test_client(), "officer1").headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Secure" not in cookie
    monkeypatch.setenv("GEOCIV_SESSION_COOKIE_SECURE", "1")
    tls = create_app(base)
    assert tls.config["SESSION_COOKIE_SECURE"] is True
    cookie = login(tls.test_client(), "officer1").headers["Set-Cookie"]
    assert re.search(r";\s*Secure", cookie)


def test_openapi_declares_the_security_scheme_the_routes_enforce(client) -> None:
    doc = client.get("/api/openapi.json").get_json()
    schemes = doc["components"]["securitySchemes"]
    assert schemes["session"] == {**schemes["session"], "type": "apiKey", "in": "cookie"}
    assert schemes["csrf"]["in"] == "header" and schemes["csrf"]["name"] == "X-CSRFToken"
    checked = 0
    for path, methods in doc["paths"].items():
        url = re.sub(r"\{[^}]+\}", "X1", path)
        for method, op in methods.items():
            needs = op.get("security")
            response = client.open(url, method=method.upper())
            if needs:
                wanted = {"session"} if method == "get" else {"session", "csrf"}
                assert set(needs[0]) == wanted, (method, path)
                assert response.status_code == 401, (method, path, response.status_code)
            else:
                assert response.status_code != 401, (method, path)
            checked += 1
    assert checked == sum(len(m) for m in doc["paths"].values()) >= 60
