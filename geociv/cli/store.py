"""``geociv init``, ``geociv backup`` and ``geociv restore``: the store file itself.

Registered lazily on the main group (:mod:`geociv.cli.root`); backups are made by
:mod:`geociv.backup`.
"""

from __future__ import annotations

import sys

import click

from geociv.cli.common import Context, InputFile, OutputFile, local_admin, pass_ctx, reports_errors
from geociv.labels import LEVEL_LABELS
from geociv.store import LEVELS, is_server_url


@click.command("backup")
@click.argument("path", type=OutputFile())
@local_admin
@pass_ctx
@reports_errors
def backup_command(ctx: Context, path: str, actor: str) -> None:
    """备份存储到 PATH（服务运行时也可执行：SQLite 在线备份，得到一致的副本）。

    PostgreSQL 存储（--store postgresql://…）用 pg_dump -Fc 备份（需要 Debian 软件包
    postgresql-client；密码经环境变量传给 pg_dump，不出现在命令行上）。

    \b
    每晚备份一次的 cron 示例：
      15 2 * * * cd /srv/geociv && .venv/bin/geociv backup backups/geociv-$(date +\\%F).gpkg
    """
    from geociv.backup import backup

    info = backup(ctx.store, path, actor=actor)
    click.echo(
        f"已备份到 {info.path}：{info.size / 1e6:.1f} MB，结构版本 {info.schema_version}，"
        f"完整性 {info.integrity}，SHA-256 {info.sha256[:16]}…"
    )


@click.command("restore")
@click.argument("path", type=InputFile("备份文件"))
@click.option("--yes", is_flag=True, help="不再询问，直接恢复")
@local_admin
@pass_ctx
@reports_errors
def restore_command(ctx: Context, path: str, yes: bool, actor: str) -> None:
    """用备份 PATH 替换当前存储（先停止 geociv 服务）。

    先检查备份（geociv 存储、完整性、结构版本不高于本程序），再把当前存储文件改名保存
    （*.replaced-时间.gpkg，不删除），最后放入备份并升级到当前结构版本。PostgreSQL 存储
    用 pg_restore 恢复 pg_dump 备份，原有数据表移入模式 geociv_replaced_时间（不删除）。
    """
    from geociv.backup import check_backup, restore

    store_path = ctx.settings.store
    version = check_backup(path)
    if not yes:
        click.confirm(
            f"用 {path}（结构版本 {version}）替换 {store_path}？原文件会改名保存", abort=True
        )
    info = restore(store_path, path, actor=actor)
    kept = f"原存储已保存为 {info.replaced}" if info.replaced else "原来没有存储"
    click.echo(f"已由 {info.source} 恢复 {info.store}（结构版本 {info.schema_version}）；{kept}")


@click.command()
@click.option("--demo", is_flag=True, help="载入驻马店市示例辖区（区划代码与县级边界）")
@click.option(
    "--demo-user/--no-demo-user",
    default=True,
    show_default=True,
    help="与 --demo 一起：创建示例管理员 demo（密码 geociv-demo）",
)
@pass_ctx
@reports_errors
def init(ctx: Context, demo: bool, demo_user: bool) -> None:
    """创建（或升级）存储文件；--demo 载入示例辖区。重复运行不会改变已有数据。"""
    from geociv.auth import local_actor
    from geociv.demo import load_demo
    from geociv.session_key import session_key

    store = ctx.store
    upgraded = getattr(store, "upgraded_from", None)
    if upgraded and upgraded < store.schema_version:
        click.echo(f"存储结构已从版本 {upgraded} 升级到 {store.schema_version}")
    session_key(ctx.settings, store, actor=local_actor())
    where = "数据库" if is_server_url(store.url) else "存储文件"
    click.echo(f"{where}：{store.url}（结构版本 {store.schema_version}）")
    if demo:
        result = load_demo(store, progress=sys.stderr.isatty())
        c, p, n = result.codes, result.polygons, result.names
        click.echo(
            f"示例辖区 驻马店市：区划代码 新增 {c.inserted}、更新 {c.updated}、未变 {c.unchanged}；"
            f"边界 新增 {p.inserted}、更新 {p.updated}、未变 {p.unchanged}；"
            f"地名 新增 {n.inserted}、更新 {n.updated}、未变 {n.unchanged}"
        )
        if result.boundaries is not None:
            b = result.boundaries
            click.echo(
                f"界线：新增 {b.lines.inserted}、新版本 {b.lines.versioned}、"
                f"未变 {b.lines.unchanged}；"
                f"示例界桩 {b.markers} 颗、示例计划 {int(b.plan)} 项、示例检查记录 "
                f"{1 if b.inspection else 0} 条（均标注“示例”）"
            )
            if b.users:
                click.echo(
                    f"已创建示例联检员：{'、'.join(b.users)}（密码 geociv-demo，用于体验双方签字）"
                )
        if result.facilities:
            click.echo(
                f"服务设施：新增示例设施 {result.facilities} 处（主城区为示意范围，均标注“示例”）"
            )
        if result.zone_sets:
            click.echo(
                f"统计单元：新增 {result.zone_sets} 组（示例主城区、示例统计网格，"
                "网格代替尚无公开边界的街道）"
            )
        if demo_user:
            from geociv.auth import Users

            users = Users(store)
            if users.get("demo") is None:
                users.add(
                    "demo",
                    "geociv-demo",
                    role="admin",
                    division_code="411700",
                    display_name="示例管理员",
                    actor="system",
                )
                click.echo("已创建示例管理员：用户名 demo，密码 geociv-demo（正式使用前请修改）")
    counts = store.count_divisions()
    click.echo(
        "区划：" + "，".join(f"{LEVEL_LABELS[k]} {counts[k]}" for k in LEVELS if k in counts)
    )
