"""``geociv serve --workers N``: N waitress processes answering on one listening socket.

One Python process serves requests on one core at a time (the GIL), however many waitress
threads it has. With ``N`` workers the parent binds the port once, then forks ``N`` children;
each builds its own app (its own store connection, search index and caches) and hands the
inherited socket to waitress (``sockets=``), and the kernel gives each new connection to
whichever child accepts it first. The parent serves nothing: it restarts a child that dies
(reported on standard error; a child that dies again and again right after starting stops the
service) and, on SIGTERM or SIGINT, stops every child (each finishes the requests it is
answering, waitress's shutdown) before it exits.

The caches of the workers follow the store, not each other: every write is audited in its own
transaction, and each cache catches up from the audit trail (:mod:`geociv.store.changes`,
:func:`web.caching.cached`), so a write through one worker is seen by the next request to any.

Why not gunicorn: it would be a new dependency doing the same pre-fork job with its own
configuration and signals to learn, while waitress (already the server of ``geociv serve``,
and the one that also runs on Windows) accepts ready sockets; the supervision needed here
(start, restart, stop) is this one small module.
"""

from __future__ import annotations

import contextlib
import logging
import os
import select
import signal
import socket
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from flask import Flask

logger = logging.getLogger(__name__)

#: Response header naming the worker (1…N) that answered; only sent when N > 1.
WORKER_HEADER = "X-Geociv-Worker"
#: A child that exits sooner than this after its start "failed to start".
QUICK_EXIT_S = 5.0
#: So many quick exits in a row stop the service instead of restarting forever.
MOST_QUICK_EXITS = 5
#: How long a stopping worker lets the requests under way finish.
FINISH_S = 10.0
#: How long the first process waits for stopping workers before it kills them.
STOP_GRACE_S = FINISH_S + 5.0


def listening_socket(host: str, port: int, backlog: int = 1024) -> socket.socket:
    """A socket bound to ``host:port`` and listening, for the workers to share."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    sock.listen(backlog)
    sock.setblocking(False)
    sock.set_inheritable(True)
    return sock


def serve_until_stopped(app: Flask, sock: socket.socket, threads: int) -> None:
    """Serve ``app`` on the shared ``sock`` until SIGTERM or SIGINT; then stop taking
    connections (the other workers and the socket stay), let the requests under way finish and
    be sent (up to :data:`FINISH_S`), and return."""
    import waitress
    from waitress import wasyncore

    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop.set())
    server = waitress.create_server(app, sockets=[sock], threads=threads, ident="geociv")
    channels = server._map  # the listening socket and the connections (waitress's own map)
    while not stop.is_set():
        wasyncore.loop(timeout=0.5, map=channels, use_poll=True, count=1)
    server.close()  # this worker's copy of the listening socket only
    deadline = time.monotonic() + FINISH_S
    while _answering(channels) and time.monotonic() < deadline:
        wasyncore.loop(timeout=0.05, map=channels, use_poll=True, count=1)
    server.task_dispatcher.shutdown(timeout=1)


def _answering(channels: dict) -> bool:
    """Whether a connection has a request in hand or an answer not yet sent."""
    return any(getattr(c, "requests", None) or getattr(c, "total_outbufs_len", 0)
               for c in list(channels.values()))  # fmt: skip


def tag_worker(app: Flask, number: int) -> None:
    """Name the worker in every response (:data:`WORKER_HEADER`): a number, not a pid."""

    @app.after_request
    def _tag(response):  # type: ignore[no-untyped-def]
        response.headers[WORKER_HEADER] = str(number)
        return response


@dataclass
class Supervisor:
    """Start ``workers`` children serving ``sock``; keep them running until told to stop.

    Parameters
    ----------
    serve
        Run in each child with its number (1…N): build the app and serve until SIGTERM or
        SIGINT (:func:`serve_until_stopped`). Returns when the child is done.
    workers
        How many children.
    say
        Where messages for the operator go (one Chinese line each).
    """

    serve: Callable[[int], None]
    workers: int
    say: Callable[[str], None]
    children: dict[int, tuple[int, float]] = field(default_factory=dict)  # pid → number, start
    quick_exits: int = 0

    def run(self) -> int:
        """Serve until SIGTERM/SIGINT (exit status 0) or until children keep failing (1)."""
        wake_r, wake_w = os.pipe()
        os.set_blocking(wake_w, False)
        signal.set_wakeup_fd(wake_w)
        before = {signum: signal.signal(signum, lambda *_: None)  # the pipe says which came
                  for signum in (signal.SIGTERM, signal.SIGINT, signal.SIGCHLD)}  # fmt: skip
        try:
            for number in range(1, self.workers + 1):
                self._start(number, (wake_r, wake_w))
            status = self._watch(wake_r, (wake_r, wake_w))
        finally:
            self._stop_all()
            signal.set_wakeup_fd(-1)
            for signum, handler in before.items():
                signal.signal(signum, handler)
            os.close(wake_r)
            os.close(wake_w)
        return status

    def _watch(self, wake_r: int, pipe: tuple[int, int]) -> int:
        """Wait for signals; restart children that exit. The exit status of the service."""
        while True:
            ready, _, _ = select.select([wake_r], [], [], 1.0)
            got = os.read(wake_r, 64) if ready else b""
            if signal.SIGTERM in got or signal.SIGINT in got:
                return 0
            for pid, status in self._reap():
                number, started = self.children.pop(pid)
                how = _how_it_ended(status)
                if time.monotonic() - started < QUICK_EXIT_S:
                    self.quick_exits += 1
                else:
                    self.quick_exits = 0
                if self.quick_exits >= MOST_QUICK_EXITS:
                    self.say(f"错误：工作进程连续 {self.quick_exits} 次启动后立即退出（最后一次："
                             f"工作进程 {number}，{how}），停止服务")  # fmt: skip
                    return 1
                self.say(f"工作进程 {number}（pid {pid}）意外退出（{how}），正在重新启动")
                time.sleep(min(0.2 * 2**self.quick_exits, 5.0) if self.quick_exits else 0)
                self._start(number, pipe)

    def _reap(self) -> list[tuple[int, int]]:
        """Children that have exited: (pid, wait status)."""
        ended = []
        while True:
            try:
                pid, status = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:  # none left
                return ended
            if pid == 0:
                return ended
            if pid in self.children:
                ended.append((pid, status))

    def _start(self, number: int, pipe: tuple[int, int]) -> None:
        sys.stdout.flush()
        sys.stderr.flush()
        pid = os.fork()
        if pid:
            self.children[pid] = (number, time.monotonic())
            return
        status = 1
        try:
            signal.set_wakeup_fd(-1)
            os.close(pipe[0])
            os.close(pipe[1])
            signal.signal(signal.SIGCHLD, signal.SIG_DFL)
            signal.signal(signal.SIGINT, signal.default_int_handler)
            signal.signal(signal.SIGTERM, _exit_quietly)  # until serve() takes SIGTERM itself
            self.serve(number)
            status = 0
        except (SystemExit, KeyboardInterrupt):
            status = 0
        except BaseException:
            logger.exception("worker %d failed", number)
        finally:
            sys.stdout.flush()
            sys.stderr.flush()
            os._exit(status)

    def _stop_all(self) -> None:
        """SIGTERM every child, wait for them (killing those still there after the grace)."""
        for pid in self.children:
            _signal(pid, signal.SIGTERM)
        deadline = time.monotonic() + STOP_GRACE_S
        while self.children:
            for pid, _ in self._reap():
                self.children.pop(pid, None)
            if time.monotonic() > deadline:
                for pid in self.children:
                    _signal(pid, signal.SIGKILL)
                deadline = float("inf")
            time.sleep(0.05)


def _exit_quietly(signum: int, frame: object) -> None:
    """SIGTERM in a child still building its app: unwind and exit."""
    raise SystemExit(0)


def _signal(pid: int, signum: int) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signum)


def _how_it_ended(status: int) -> str:
    """A wait status in words: 信号 9 / 退出码 1."""
    if os.WIFSIGNALED(status):
        return f"信号 {os.WTERMSIG(status)}"
    return f"退出码 {os.waitstatus_to_exitcode(status)}"
