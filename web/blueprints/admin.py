"""Administration pages: users and the audit trail (admin role)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_wtf import FlaskForm
from wtforms import PasswordField, SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length

from geociv.auth import MAX_PASSWORD_LENGTH, Users
from geociv.backup import BackupInfo, backup, last_backup, new_backup_path
from geociv.errors import DuplicateError, Problem, StoreError, ValidationError
from geociv.labels import ROLE_LABELS
from geociv.store import is_server_url
from web._helpers import actor, flash_error, role_required, store
from web.audit_view import (
    AUDIT_PAGE_SIZE,
    action_label,
    changes,
    entity_label,
    page_numbers,
    read_filters,
)

bp = Blueprint("admin", __name__, url_prefix="/admin")


class UserForm(FlaskForm):
    """New user."""

    username = StringField("用户名", validators=[DataRequired("请输入用户名")])
    display_name = StringField("显示名称")
    role = SelectField("角色", choices=[SelectChoice(k, v) for k, v in ROLE_LABELS.items()])
    division_code = StringField("所属单位区划代码", validators=[DataRequired("请输入区划代码")])
    password = PasswordField("初始密码", validators=[DataRequired("请输入密码")])


class PasswordForm(FlaskForm):
    """A new password for a user (set by an admin)."""

    password = PasswordField(
        "新密码",
        validators=[
            DataRequired("请输入新密码"),
            Length(max=MAX_PASSWORD_LENGTH, message=f"密码至多 {MAX_PASSWORD_LENGTH} 个字符"),
        ],
    )


@bp.route("/users", methods=["GET", "POST"])
@role_required("admin")
def users() -> Any:
    """List users; add one."""
    form = UserForm()
    status = 200
    if form.validate_on_submit():
        try:
            created = Users(store()).add(
                form.username.data.strip(),
                form.password.data,
                role=form.role.data,
                division_code=form.division_code.data.strip(),
                display_name=form.display_name.data or "",
                actor=actor(),
            )
        except (ValidationError, DuplicateError) as exc:
            flash_error(exc)
            status = 400
        else:
            flash(f"已创建用户 {created.username}", "info")
            return redirect(url_for("admin.users"))
    elif request.method == "POST":
        status = 400
    return render_template(
        "admin_users.html",
        form=form,
        password_form=PasswordForm(formdata=None),
        users=Users(store()).list(),
        role_labels=ROLE_LABELS,
    ), status


@bp.post("/users/<username>/<any(disable, enable):change>")
@role_required("admin")
def set_active(username: str, change: str) -> Any:
    """Disable a user (their sessions end, log-ins are refused; nothing is deleted) or enable
    them again."""
    if change == "disable" and username == actor():
        flash("不能停用自己的账户（请由另一位系统管理员操作）", "error")
        return redirect(url_for("admin.users")), 303
    try:
        Users(store()).set_active(username, change == "enable", actor=actor())
    except StoreError as exc:
        flash_error(exc)
        return redirect(url_for("admin.users")), 303
    flash(f"已{'启用' if change == 'enable' else '停用'}用户 {username}", "info")
    return redirect(url_for("admin.users")), 303


@bp.post("/users/<username>/password")
@role_required("admin")
def set_password(username: str) -> Any:
    """Set a user's password; every session of the user ends."""
    form = PasswordForm()
    try:
        if not form.validate():
            message = (form.password.errors or ["请输入新密码"])[0]
            raise ValidationError(Problem(str(message), field="password"))
        Users(store()).set_password(username, form.password.data, actor=actor())
    except (ValidationError, StoreError) as exc:
        flash_error(exc)
        return redirect(url_for("admin.users")), 303
    flash(f"已修改 {username} 的密码，其已登录的会话均已结束", "info")
    return redirect(url_for("admin.users")), 303


@bp.get("/audit")
@role_required("admin")
def audit() -> Any:
    """The audit trail, newest first, :data:`~web.audit_view.AUDIT_PAGE_SIZE` a page, filtered
    by actor, table, action and Beijing dates (query arguments). A malformed filter is ignored
    and named on the page, which then answers 400; a page past the last shows the last."""
    filters = read_filters(request.args)
    status = 400 if filters.problems else 200
    size = AUDIT_PAGE_SIZE
    found = store().audit_page(filters.query, offset=(filters.page - 1) * size, limit=size)
    pages = max(1, -(-found.total // size))
    if filters.page > pages:
        filters.problems.append(
            Problem(f"共 {pages} 页，没有第 {filters.page} 页；已显示最后一页", field="page")
        )
        filters.page = pages
        found = store().audit_page(filters.query, offset=(pages - 1) * size, limit=size)
    return render_template(
        "admin_audit.html",
        found=found,
        filters=filters,
        pages=pages,
        page_links=page_numbers(filters.page, pages),
        facets=store().audit_facets(),
        changes=changes,
        entity_label=entity_label,
        action_label=action_label,
    ), status


def _backup_folder() -> Path:
    """Where backups made from the page go: ``backups/`` in the instance folder (beside the
    store file unless ``GEOCIV_INSTANCE`` says otherwise)."""
    return Path(current_app.config["GEOCIV_INSTANCE"]).resolve() / "backups"


@bp.get("/backups")
@role_required("admin")
def backups() -> Any:
    """The last backup of the store (when, where, size, checksum) and a button for a new one."""
    last = last_backup(store())
    return render_template(
        "admin_backups.html", last=last, folder=_backup_folder(), stale=_is_stale(last)
    )


@bp.post("/backups")
@role_required("admin")
def make_backup() -> Any:
    """Back the store up now into the backups folder (consistent while the service runs)."""
    folder = _backup_folder()
    folder.mkdir(parents=True, exist_ok=True)  # the instance folder may not exist yet
    try:
        suffix = ".dump" if is_server_url(current_app.config["GEOCIV_STORE"]) else ".gpkg"
        info = backup(store(), new_backup_path(folder, suffix), actor=actor())
    except ValidationError as exc:
        flash_error(exc)
    else:
        checked = "完整性检查通过" if info.integrity == "ok" else f"完整性检查：{info.integrity}"
        flash(f"已备份到 {info.path}（{info.size / 1e6:.1f} MB，{checked}）", "info")
    return redirect(url_for("admin.backups"))


def _is_stale(last: BackupInfo | None) -> bool:
    """No backup, or the last one is more than a day old."""
    return last is None or last.age_days > 1
