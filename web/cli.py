"""``geociv serve``, contributed to the ``geociv`` CLI through the ``geociv.commands`` entry
point (so that ``geociv`` itself never imports ``web``)."""

from __future__ import annotations

import errno
import socket
import sys

import click

from geociv.cli.common import Context, pass_ctx, reports_errors


def _port_is_free(host: str, port: int) -> bool:
    """Whether ``host:port`` can be listened on now (checked before the app is built)."""
    with socket.socket() as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as exc:
            if exc.errno == errno.EADDRINUSE:
                return False
            raise
    return True


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

    if not _port_is_free(host, port):
        click.secho(
            f"错误：端口 {port} 已被占用（{host}）。请先停止占用它的程序，或换一个端口："
            f"GEOCIV_PORT={port + 1} make run，或 geociv serve --port {port + 1}",
            fg="red",
            err=True,
        )
        sys.exit(1)
    app = create_app({"GEOCIV_STORE": ctx.settings.store})
    click.echo(f"geociv 地图服务：http://{host}:{port}/（存储 {ctx.settings.store}）", err=True)
    if debug:
        app.run(host=host, port=port, debug=True)
        return
    import threading

    import waitress

    from web.caching import warm_up

    threading.Thread(target=warm_up, args=(app,), name="geociv-warm-up", daemon=True).start()
    waitress.serve(app, host=host, port=port, threads=threads, ident="geociv")
