"""Log-in and log-out pages.

Log-ins are throttled per user name and per client address (:meth:`geociv.auth.Users.authenticate`,
HTTP 429 while refused). The address is ``request.remote_addr``: behind a reverse proxy, wrap
the app in werkzeug's ``ProxyFix`` with the number of trusted proxies, or every client counts as
the proxy's address; ``X-Forwarded-For`` is never trusted by default.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required, login_user, logout_user
from flask_wtf import FlaskForm
from wtforms import PasswordField, StringField
from wtforms.validators import DataRequired, Length

from geociv.auth import MAX_PASSWORD_LENGTH, MAX_USERNAME_RECORDED, Users
from geociv.errors import AuthenticationError, LoginThrottledError
from web._helpers import SessionUser, store

bp = Blueprint("auth", __name__)


class LoginForm(FlaskForm):
    """User name and password."""

    username = StringField(
        "用户名",
        validators=[
            DataRequired("请输入用户名"),
            Length(max=MAX_USERNAME_RECORDED, message=f"用户名至多 {MAX_USERNAME_RECORDED} 个字符"),
        ],
    )
    password = PasswordField(
        "密码",
        validators=[
            DataRequired("请输入密码"),
            Length(max=MAX_PASSWORD_LENGTH, message=f"密码至多 {MAX_PASSWORD_LENGTH} 个字符"),
        ],
    )


def _safe_next(target: str | None) -> str:
    if target and not urlsplit(target).netloc and target.startswith("/"):
        return target
    return url_for("home.index")


@bp.route("/login", methods=["GET", "POST"])
def login() -> Any:
    """Show the log-in form; on success go to the page asked for."""
    form = LoginForm()
    status = 200 if request.method == "GET" else 400
    headers: dict[str, str] = {}
    if form.validate_on_submit():
        try:
            user = Users(store()).authenticate(
                form.username.data.strip(), form.password.data, address=request.remote_addr or ""
            )
        except LoginThrottledError as exc:
            flash(str(exc), "error")
            status = 429
            wait = datetime.fromisoformat(exc.retry_at) - datetime.now(UTC)
            headers["Retry-After"] = str(max(1, int(wait.total_seconds()) + 1))
        except AuthenticationError as exc:
            flash(str(exc), "error")
            status = 401
        else:
            login_user(SessionUser(user))
            return redirect(_safe_next(request.args.get("next")))
    return render_template("login.html", form=form), status, headers


@bp.post("/logout")
@login_required
def logout() -> Any:
    """Log out (a POST with the CSRF token, so no link can log a user out)."""
    username = current_user.username
    Users(store()).logout(username)  # ends every session of the user, copied cookies too
    logout_user()
    flash("已退出登录", "info")
    return redirect(url_for("auth.login"))
