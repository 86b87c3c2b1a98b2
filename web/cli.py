"""``geociv serve``, contributed to the ``geociv`` CLI through the ``geociv.commands`` entry
point (so that ``geociv`` itself never imports ``web``)."""

from __future__ import annotations

import click

from geociv.cli import Context, pass_ctx, reports_errors


@click.command()
@click.option("--host", envvar="GEOCIV_HOST", default="127.0.0.1", show_default=True)
@click.option("--port", envvar="GEOCIV_PORT", default=5000, show_default=True, type=int)
@click.option("--threads", default=8, show_default=True, help="waitress 工作线程数")
@click.option("--debug", is_flag=True, help="使用 Flask 开发服务器（自动重载，仅供开发）")
@pass_ctx
@reports_errors
def serve(ctx: Context, host: str, port: int, threads: int, debug: bool) -> None:
    """启动地图服务（默认使用生产级 WSGI 服务器 waitress）。"""
    from web import create_app

    app = create_app({"GEOCIV_STORE": ctx.settings.store})
    click.echo(f"geociv 地图服务：http://{host}:{port}/（存储 {ctx.settings.store}）", err=True)
    if debug:
        app.run(host=host, port=port, debug=True)
        return
    import waitress

    waitress.serve(app, host=host, port=port, threads=threads, ident="geociv")
