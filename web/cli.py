"""``geociv serve``, contributed to the ``geociv`` CLI through the ``geociv.commands`` entry
point (so that ``geociv`` itself never imports ``web``)."""

from __future__ import annotations

import errno
import socket
import sys
from typing import TYPE_CHECKING

import click

from geociv.cli.common import Context, pass_ctx, reports_errors

if TYPE_CHECKING:  # `geociv --help` must not import the web stack
    from flask import Flask


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
@click.option("--threads", default=8, show_default=True, help="waitress 工作线程数（每个进程）")
@click.option(
    "--workers",
    envvar="GEOCIV_WORKERS",
    default=1,
    show_default=True,
    type=click.IntRange(1, 64),
    help="工作进程数（多核服务器上可设为核数，见 README）",
)
@click.option("--debug", is_flag=True, help="使用 Flask 开发服务器（自动重载，仅供开发）")
@pass_ctx
@reports_errors
def serve(ctx: Context, host: str, port: int, threads: int, workers: int, debug: bool) -> None:
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
    if workers > 1:
        app.extensions["geociv_store"].close()  # each worker opens its own connection
        sys.exit(_serve_workers(ctx.settings.store, host, port, threads, workers))
    _serve_one(app, threads, host=host, port=port)


def _warm_up_soon(app: Flask) -> None:
    """Build the app's caches in a thread while it starts serving."""
    import threading

    from web.caching import warm_up

    threading.Thread(target=warm_up, args=(app,), name="geociv-warm-up", daemon=True).start()


def _serve_one(app: Flask, threads: int, host: str, port: int) -> None:
    """Serve ``app`` with waitress in this process."""
    import waitress

    _warm_up_soon(app)
    waitress.serve(app, host=host, port=port, threads=threads, ident="geociv")


def _serve_workers(store: str, host: str, port: int, threads: int, workers: int) -> int:
    """``workers`` processes on one socket (:mod:`web.workers`); the exit status."""
    from web import create_app
    from web.workers import Supervisor, listening_socket, serve_until_stopped, tag_worker

    sock = listening_socket(host, port)

    def serve_child(number: int) -> None:
        app = create_app({"GEOCIV_STORE": store})
        tag_worker(app, number)
        _warm_up_soon(app)
        serve_until_stopped(app, sock, threads)

    click.echo(f"{workers} 个工作进程，每个 {threads} 个线程", err=True)
    return Supervisor(serve_child, workers, lambda line: click.echo(line, err=True)).run()
