"""``geociv user`` and ``geociv audit``: accounts, roles and the audit trail."""

from __future__ import annotations

import json

import click

from geociv.cli.common import (
    Context,
    local_admin,
    pass_ctx,
    reports_errors,
)
from geociv.labels import ROLE_LABELS
from geociv.localtime import cell_time
from geociv.store import ROLES


# -- users ---------------------------------------------------------------------------------
@click.group()
def user() -> None:
    """用户与角色管理。"""


@user.command("add")
@click.argument("username")
@click.option(
    "--role",
    type=click.Choice(ROLES),
    required=True,
    help="角色：" + "，".join(f"{k}={v}" for k, v in ROLE_LABELS.items()),
)
@click.option(
    "--division",
    "division_code",
    required=True,
    metavar="ADCODE",
    help="所属单位的区划代码，例如 411702",
)
@click.option("--name", "display_name", default="", help="显示名称（如 王科员）")
@click.password_option(help="密码（至少 8 位）；不给出时交互输入")
@local_admin
@pass_ctx
@reports_errors
def user_add(
    ctx: Context,
    username: str,
    role: str,
    division_code: str,
    display_name: str,
    password: str,
    actor: str,
) -> None:
    """新增用户 USERNAME。"""
    from geociv.auth import Users

    created = Users(ctx.store).add(
        username,
        password,
        role=role,
        division_code=division_code,
        display_name=display_name,
        actor=actor,
    )
    click.echo(
        f"已创建用户 {created.username}（{ROLE_LABELS[created.role]}，{created.division_code}）"
    )


@user.command("list")
@pass_ctx
@reports_errors
def user_list(ctx: Context) -> None:
    """列出所有用户。"""
    from geociv.auth import Users

    for u in Users(ctx.store).list():
        state = "" if u.active else "（已停用）"
        click.echo(
            f"{u.username}\t{ROLE_LABELS[u.role]}\t{u.division_code}\t{u.display_name}{state}"
        )


@user.command("passwd")
@click.argument("username")
@click.password_option(help="新密码（至少 8 位）")
@local_admin
@pass_ctx
@reports_errors
def user_passwd(ctx: Context, username: str, password: str, actor: str) -> None:
    """修改用户密码。"""
    from geociv.auth import Users

    Users(ctx.store).set_password(username, password, actor=actor)
    click.echo(f"已修改 {username} 的密码")


@user.command("disable")
@click.argument("username")
@local_admin
@pass_ctx
@reports_errors
def user_disable(ctx: Context, username: str, actor: str) -> None:
    """停用用户：其已登录的会话立即结束、不能再登录；记录不删除，可用 enable 恢复。"""
    from geociv.auth import Users

    Users(ctx.store).set_active(username, False, actor=actor)
    click.echo(f"已停用用户 {username}（会话已全部结束）")


@user.command("enable")
@click.argument("username")
@local_admin
@pass_ctx
@reports_errors
def user_enable(ctx: Context, username: str, actor: str) -> None:
    """重新启用已停用的用户。"""
    from geociv.auth import Users

    Users(ctx.store).set_active(username, True, actor=actor)
    click.echo(f"已启用用户 {username}")


# -- audit ---------------------------------------------------------------------------------
@click.command()
@click.option("--limit", default=20, show_default=True)
@click.option("--actor", help="只看该用户")
@click.option("--json", "as_json", is_flag=True, help="以 JSON 输出")
@pass_ctx
@reports_errors
def audit(ctx: Context, limit: int, actor: str | None, as_json: bool) -> None:
    """查看审计日志（最新在前）。"""
    entries = ctx.store.audit_entries(limit=limit, actor=actor)
    for e in entries:
        if as_json:
            click.echo(json.dumps(e.__dict__, ensure_ascii=False))
        else:
            click.echo(
                f"{cell_time(e.at)}\t{e.actor}\t{e.action}\t{e.entity}:{e.entity_key}\t{e.note}"
            )
