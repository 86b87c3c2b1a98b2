"""Log-in and log-out pages."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required, login_user, logout_user
from flask_wtf import FlaskForm
from wtforms import PasswordField, StringField
from wtforms.validators import DataRequired

from geociv.auth import Users
from geociv.errors import AuthenticationError
from web._helpers import SessionUser, store

bp = Blueprint("auth", __name__)


class LoginForm(FlaskForm):
    """User name and password."""

    username = StringField("用户名", validators=[DataRequired("请输入用户名")])
    password = PasswordField("密码", validators=[DataRequired("请输入密码")])


def _safe_next(target: str | None) -> str:
    if target and not urlsplit(target).netloc and target.startswith("/"):
        return target
    return url_for("home.index")


@bp.route("/login", methods=["GET", "POST"])
def login() -> Any:
    """Show the log-in form; on success go to the page asked for."""
    form = LoginForm()
    if form.validate_on_submit():
        try:
            user = Users(store()).authenticate(form.username.data.strip(), form.password.data)
        except AuthenticationError as exc:
            flash(str(exc), "error")
        else:
            login_user(SessionUser(user))
            return redirect(_safe_next(request.args.get("next")))
    return render_template("login.html", form=form), 200 if request.method == "GET" else 401


@bp.post("/logout")
@login_required
def logout() -> Any:
    """Log out (a POST with the CSRF token, so no link can log a user out)."""
    username = current_user.username
    logout_user()
    store().record_event(actor=username, action="auth.logout", entity="users", key=username)
    flash("已退出登录", "info")
    return redirect(url_for("auth.login"))
