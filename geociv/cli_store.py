"""``geociv backup`` and ``geociv restore``: the store's backups on the command line.

Registered lazily on the main group by :mod:`geociv.cli`; the work is done by
:mod:`geociv.backup`.
"""

from __future__ import annotations

import click

from geociv.cli import Context, InputFile, OutputFile, local_admin, pass_ctx, reports_errors


@click.command("backup")
@click.argument("path", type=OutputFile())
@local_admin
@pass_ctx
@reports_errors
def backup_command(ctx: Context, path: str, actor: str) -> None:
    """备份存储文件到 PATH（服务运行时也可执行：SQLite 在线备份，得到一致的副本）。

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
    """用备份 PATH 替换当前存储文件（先停止 geociv 服务）。

    先检查备份（geociv 存储、完整性、结构版本不高于本程序），再把当前存储文件改名保存
    （*.replaced-时间.gpkg，不删除），最后放入备份并升级到当前结构版本。
    """
    from geociv.backup import check_backup, restore

    store_path = ctx.settings.store
    version = check_backup(path)
    if not yes:
        click.confirm(
            f"用 {path}（结构版本 {version}）替换 {store_path}？原文件会改名保存", abort=True
        )
    info = restore(store_path, path, actor=actor)
    kept = f"原存储文件已保存为 {info.replaced}" if info.replaced else "原来没有存储文件"
    click.echo(f"已由 {info.source} 恢复 {info.store}（结构版本 {info.schema_version}）；{kept}")
