"""geociv's Flask application factory, ``create_app()``, with one blueprint per domain.

Examples
--------
>>> import tempfile, pathlib
>>> app = create_app({"GEOCIV_STORE": str(pathlib.Path(tempfile.mkdtemp()) / "s.gpkg"),
...                   "TESTING": True})
>>> app.test_client().get("/api/openapi.json").status_code
200
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask import Flask
from flask_login import LoginManager
from flask_wtf.csrf import CSRFProtect

from geociv.auth import Users
from geociv.config import Settings
from geociv.session_key import session_key
from geociv.store import open_store
from web import params, security, words
from web._helpers import register_error_handlers
from web.blueprints import (
    admin,
    api,
    auth,
    boundaries,
    boundaries_api,
    cases,
    cases_api,
    changes,
    changes_api,
    coverage,
    coverage_api,
    home,
    names,
    names_api,
    signs,
    vendor,
)
from web.navigation import nav_context
from web.sessions import VerifiedSessionInterface

csrf = CSRFProtect()


def create_app(test_config: Mapping[str, Any] | None = None) -> Flask:
    """Create the geociv web application.

    Parameters
    ----------
    test_config
        Flask config overrides. ``GEOCIV_STORE`` sets the store (else ``GEOCIV_STORE`` from the
        environment, else ``instance/geociv.gpkg``); ``SECRET_KEY`` the session key (else
        ``GEOCIV_SECRET_KEY``, else the key file in the instance folder ``GEOCIV_INSTANCE``,
        default the store's folder; see :mod:`geociv.session_key`); ``TIANDITU_KEY`` enables the
        天地图 basemap; ``SESSION_COOKIE_SECURE`` (``GEOCIV_SESSION_COOKIE_SECURE``) sends the
        session cookie over HTTPS only.
    """
    test_config = dict(test_config or {})
    settings = Settings.from_env(
        {
            "store": test_config.get("GEOCIV_STORE"),
            "tianditu_key": test_config.get("TIANDITU_KEY"),
            "jurisdiction": test_config.get("JURISDICTION"),
            "secret_key": test_config.get("SECRET_KEY"),
            "instance": test_config.get("GEOCIV_INSTANCE"),
            "session_cookie_secure": test_config.get("SESSION_COOKIE_SECURE"),
        }
    )
    app = Flask("web")  # the package: templates and static files live beside this module
    app.session_interface = VerifiedSessionInterface()
    store = open_store(settings.store)
    app.config.from_mapping(
        GEOCIV_STORE=settings.store,
        GEOCIV_INSTANCE=str(settings.instance_path),
        TIANDITU_KEY=settings.tianditu_key,
        JURISDICTION=settings.jurisdiction,
        SECRET_KEY=session_key(settings, store),
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        # the largest body any route takes; each route's own limit: web.params.BODY_LIMITS
        MAX_CONTENT_LENGTH=max(params.BODY_LIMITS.values()),
        JSON_AS_ASCII=False,
    )
    security.install(app, cookie_secure=settings.session_cookie_secure)
    app.config.from_mapping(test_config)
    app.json.ensure_ascii = False  # type: ignore[attr-defined]
    app.extensions["geociv_store"] = store

    params.init_app(app)  # body size and field bounds first, before CSRF reads any form
    csrf.init_app(app)
    login = LoginManager(app)
    login.login_view = "auth.login"
    login.login_message = "请先登录"

    @login.user_loader
    def _load_user(session_id: str) -> Any:
        # "username:session_version": a session whose version is not the user's current one
        # was ended (log-out, new password, role or division, deactivation).
        from web._helpers import SessionUser

        username, _, version = session_id.rpartition(":")
        user = Users(store).get(username) if username else None
        if user is None or not user.active or version != str(user.session_version):
            return None
        return SessionUser(user)

    for bp in (
        auth.bp,
        home.bp,
        api.bp,
        names_api.bp,
        names.bp,
        cases_api.bp,
        cases.bp,
        changes_api.bp,
        changes.bp,
        signs.bp,
        boundaries_api.bp,
        boundaries.bp,
        coverage_api.bp,
        coverage.bp,
        admin.bp,
        vendor.bp,
    ):
        app.register_blueprint(bp)
    app.context_processor(nav_context)
    csrf.exempt(names_api.validate)  # a pure check: no state changes, usable by scripts
    register_error_handlers(app)
    words.init_app(app)
    return app
