"""A cheap, honest read load on a running ``geociv serve``, and where the CPU went.

Each client is a process holding one HTTP/1.1 keep-alive connection (``http.client``), asking
the read mix in turn, and opening a new connection every :data:`RECONNECT` requests, so that
the kernel hands connections to the workers again and again (with one listening socket shared
by the workers, whichever worker accepts first takes the connection; the ``X-Geociv-Worker``
header of every answer is counted, so an uneven spread shows). Every client first reads for
:data:`WARM_S` seconds without counting (connections open, caches hot, processes scheduled),
then counts for the measured seconds.

During the measured window the CPU time of every process is taken (:mod:`psutil`): the
clients (their own ``process_time``), each worker of the server, the server's first process,
and the rest of the machine (total busy time minus those: other processes, the kernel's work
not charged to a process, and time the hypervisor gave to other guests, "steal"), so the
output says whether the clients, the server or something else used the cores.
"""

from __future__ import annotations

import http.client
import multiprocessing
import os
import time
import urllib.parse
from collections import Counter
from dataclasses import dataclass, field

import psutil

#: A client opens a new connection after so many requests on one.
RECONNECT = 100
#: Seconds each run reads before it starts counting.
WARM_S = 1.0
#: A request slower than this is an error.
TIMEOUT_S = 30.0
WORKER_HEADER = "X-Geociv-Worker"


@dataclass
class Run:
    """One measured run: answers, the worker that gave them, and CPU seconds by process."""

    clients: int
    seconds: float
    ok: int = 0
    errors: int = 0
    by_worker: Counter = field(default_factory=Counter)
    client_cpu: float = 0.0
    worker_cpu: dict[int, float] = field(default_factory=dict)  # pid → CPU seconds
    parent_cpu: float = 0.0
    busy_cpu: float = 0.0  # the whole machine

    @property
    def rate(self) -> float:
        """Answers 200 per second."""
        return self.ok / self.seconds

    @property
    def rest_cores(self) -> float:
        """Cores the rest of the machine kept busy (not the clients, not the server)."""
        server = sum(self.worker_cpu.values()) + self.parent_cpu
        return max(self.busy_cpu - server - self.client_cpu, 0.0) / self.seconds

    def describe(self) -> str:
        """One line: CPU per wall second by process kind, ms of CPU per request, spread."""
        per_s = self.seconds
        server = sum(self.worker_cpu.values()) + self.parent_cpu
        rest = self.rest_cores * per_s
        cores = os.cpu_count() or 1
        idle = max(cores - self.busy_cpu / per_s, 0.0)
        workers = " + ".join(f"{c / per_s:.2f}" for c in self.worker_cpu.values())
        spread = ", ".join(f"{w}: {n}" for w, n in sorted(self.by_worker.items()))
        per_request = 1000 / max(self.ok + self.errors, 1)
        return (
            f"CPU (cores busy): clients {self.client_cpu / per_s:.2f}, workers {workers}, "
            f"rest of machine {rest / per_s:.2f}, idle {idle:.2f} of {cores}; CPU per request: "
            f"server {server * per_request:.2f} ms, client {self.client_cpu * per_request:.2f}"
            f" ms; answered by worker {spread}; errors {self.errors}"
        )


def _client(args: tuple[str, int, tuple[str, ...], str, float, float]) -> tuple:
    """One client process: read from ``start - WARM_S``, count from ``start`` for
    ``seconds``. (answers 200, errors, answers by worker, CPU seconds while counting)."""
    host, port, paths, cookie, start, seconds = args
    headers = {"Cookie": cookie} if cookie else {}
    while time.time() < start - WARM_S:
        time.sleep(0.001)
    conn, made, i = None, 0, os.getpid()
    ok = errors = 0
    served: Counter = Counter()
    cpu_started = None
    while (now := time.time()) < start + seconds:
        if cpu_started is None and now >= start:
            cpu_started, ok, errors, served = time.process_time(), 0, 0, Counter()
        if conn is None or made >= RECONNECT:
            if conn is not None:
                conn.close()
            conn, made = http.client.HTTPConnection(host, port, timeout=TIMEOUT_S), 0
        try:
            conn.request("GET", paths[i % len(paths)], headers=headers)
            answer = conn.getresponse()
            answer.read()
            ok += answer.status == 200
            errors += answer.status != 200
            served[answer.getheader(WORKER_HEADER, "-")] += 1
        except (OSError, http.client.HTTPException):
            errors += 1
            conn = None
        i += 1
        made += 1
    cpu = time.process_time() - (cpu_started or time.process_time())
    return ok, errors, served, cpu


def _cpu(proc: psutil.Process) -> float:
    try:
        times = proc.cpu_times()
    except psutil.NoSuchProcess:
        return 0.0
    return times.user + times.system


def _busy() -> float:
    """CPU seconds the machine spent busy (all cores) so far."""
    t = psutil.cpu_times()
    return sum(t) - t.idle - getattr(t, "iowait", 0.0)


def measure(base: str, server_pid: int, paths: tuple[str, ...], cookie: str, clients: int,
            seconds: float) -> Run:  # fmt: skip
    """``clients`` processes reading ``paths`` from ``base`` for ``seconds`` (after
    :data:`WARM_S` uncounted), with the CPU used meanwhile by clients, server and the rest."""
    url = urllib.parse.urlsplit(base)
    server = psutil.Process(server_pid)
    start = time.time() + 1.0 + WARM_S  # the pool's processes are forked by then
    job = (url.hostname, url.port, paths, cookie, start, seconds)
    with multiprocessing.get_context("fork").Pool(clients) as pool:
        pending = pool.map_async(_client, [job] * clients)
        time.sleep(max(start - time.time(), 0))
        workers = server.children() or [server]  # --workers 1: the first process serves
        parent = server if workers != [server] else None
        before = [_cpu(w) for w in workers], _cpu(parent) if parent else 0.0, _busy()
        time.sleep(max(start + seconds - time.time(), 0))
        after = [_cpu(w) for w in workers], _cpu(parent) if parent else 0.0, _busy()
        results = pending.get(timeout=seconds + 5 * TIMEOUT_S)
    run = Run(clients, seconds)
    for ok, errors, served, cpu in results:
        run.ok, run.errors, run.client_cpu = run.ok + ok, run.errors + errors, run.client_cpu + cpu
        run.by_worker.update(served)
    run.worker_cpu = {w.pid: a - b for w, a, b in zip(workers, after[0], before[0], strict=True)}
    run.parent_cpu = after[1] - before[1]
    run.busy_cpu = after[2] - before[2]
    return run
