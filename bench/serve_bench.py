"""``geociv serve`` under load, over real HTTP: throughput with workers, writers under load.

``reads``: a read-heavy mix (name search API, division look-ups, the home page) against
``geociv serve --workers 2`` on the demo store, first by one client, then by eight at once
(each client a process with a keep-alive connection, renewed every 100 requests so that both
workers get connections; see :mod:`read_load`, which also says where the CPU went: clients,
each worker, the rest of the machine).
Runs of one and eight clients alternate (``--repeat`` each, so that load from elsewhere on the
machine hits both alike); prints the median and best requests/s and their ratios (target
≥ 1.7 on two cores), then eight clients against ``--workers 1`` for comparison.

``writers``: the demo plus every division and name record of Henan (~55 k names, built as in
``store_bench.py`` from ``../shared/data/admin-codes``), ``geociv serve --workers 2``, and 60
officers logged in over HTTP (session cookie + CSRF header) writing at once: new names, signs
for them, a sign's status changed. Prints p50/p95/max latency, the answers by status, the
timeouts (none allowed; target p95 < 1 s), and checks that every acknowledged write is in
the store afterwards.

Run: ``python bench/serve_bench.py reads [--seconds 10] [--repeat 3] [--workers 2]`` and
``python bench/serve_bench.py writers [SHARED_DATA_DIR] [--writers 60] [--each 10]
[--workers 2] [--keep henan.gpkg]``.
"""

from __future__ import annotations

import argparse
import http.cookiejar
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import urllib.request
from collections import Counter
from pathlib import Path

from _shared import shared_data  # bench/ is on sys.path when run as a script
from read_load import Run, measure
from store_bench import _SYLLABLES, CODE_LISTS, PASSWORD, build

from geociv.auth import Users
from geociv.store import open_store

ROOT = Path(__file__).resolve().parents[1]
READS = ("/api/names/search?q=" + urllib.parse.quote("驿城"), "/api/names/search?q=zmd",
         "/api/names/search?q=" + urllib.parse.quote("王庄"), "/api/divisions/411702",
         "/api/divisions/411721", "/")  # fmt: skip
#: Cores that the rest of the machine may keep busy for a ``reads`` run to count as quiet.
QUIET_CORES = 0.25
NOT_QUIET = (" — NOT a quiet machine: the clients and the server did not have the cores to "
             "themselves, so the ratios above say little about geociv")  # fmt: skip
#: A request slower than this counts as a timeout.
TIMEOUT_S = 30.0
_TOKEN = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')
_META = re.compile(r'<meta name="csrf-token" content="([^"]+)"')


class Server:
    """``geociv serve --workers N`` on ``store`` in a subprocess."""

    def __init__(self, store: str, workers: int, folder: Path, threads: int = 8) -> None:
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = s.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        env = {**os.environ, "GEOCIV_STORE": store, "GEOCIV_WORKERS": str(workers),
               "GEOCIV_INSTANCE": str(folder), "PYTHONPATH": str(ROOT)}  # fmt: skip
        self.log = folder / f"serve-{self.port}.log"
        with open(self.log, "wb") as log:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "geociv", "serve", "--port", str(self.port),
                 "--threads", str(threads)],
                env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=log,
            )  # fmt: skip
        deadline = time.monotonic() + 120
        while True:
            try:
                urllib.request.urlopen(f"{self.url}/api/openapi.json", timeout=2)
                return
            except OSError:
                if self.proc.poll() is not None or time.monotonic() > deadline:
                    raise SystemExit("geociv serve did not start") from None
                time.sleep(0.3)

    def warm(self, seconds: float = 0) -> None:
        """Wait until each worker has built its caches (a search answers fast everywhere)."""
        deadline = time.monotonic() + 300
        fast = 0
        while fast < 20 and time.monotonic() < deadline:
            started = time.perf_counter()
            urllib.request.urlopen(f"{self.url}{READS[0]}", timeout=300).read()
            fast = fast + 1 if time.perf_counter() - started < 0.2 else 0
        time.sleep(seconds)

    def stop(self) -> None:
        """Stop the server; print what it said on standard error when it was a traceback."""
        self.proc.send_signal(signal.SIGTERM)
        self.proc.wait(timeout=60)
        said = self.log.read_text(encoding="utf-8", errors="replace")
        if "Traceback" in said:
            print(f"geociv serve said:\n{said[-3000:]}", file=sys.stderr)


class Session:
    """An officer logged in over HTTP: cookie jar plus the CSRF token of the pages."""

    def __init__(self, base: str, username: str) -> None:
        self.base = base
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar))
        form = self.opener.open(f"{base}/login", timeout=60).read().decode()
        data = urllib.parse.urlencode({"username": username, "password": PASSWORD,
                                       "csrf_token": _TOKEN.search(form).group(1)})  # fmt: skip
        page = self.opener.open(f"{base}/login", data.encode(), timeout=60).read().decode()
        self.csrf = _META.search(page).group(1)

    def cookie(self) -> str:
        """The session cookie as a ``Cookie`` header value."""
        return "; ".join(f"{c.name}={c.value}" for c in self.jar)

    def call(self, method: str, path: str, body: dict | None = None) -> tuple[int, bytes, float]:
        """(status, body, seconds); status 0 for a timeout or a broken connection."""
        import json

        data = json.dumps(body).encode() if body is not None else None
        req = urllib.request.Request(f"{self.base}{path}", data=data, method=method, headers={
            "Content-Type": "application/json", "Accept": "application/json",
            "X-CSRFToken": self.csrf, "Connection": "close"})  # fmt: skip
        started = time.perf_counter()
        try:
            with self.opener.open(req, timeout=TIMEOUT_S) as answer:
                status, content = answer.status, answer.read()
        except urllib.error.HTTPError as exc:
            status, content = exc.code, exc.read()
        except OSError:
            status, content = 0, b""
        return status, content, time.perf_counter() - started


# -- reads ------------------------------------------------------------------------------------
def reads(args: argparse.Namespace) -> None:
    from geociv.demo import load_demo

    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        store = open_store(folder / "demo.gpkg")
        load_demo(store)
        Users(store).add("officer1", PASSWORD, role="officer", division_code="411702",
                         actor="bench")  # fmt: skip
        url = store.url
        store.close()
        figures: dict[tuple[int, int], list[Run]] = {}
        for workers, runs in ((args.workers, (1, 8) * args.repeat), (1, (8,) * args.repeat)):
            server = Server(url, workers, folder, args.threads)
            try:
                server.warm(2)
                cookie = Session(server.url, "officer1").cookie()
                for clients in runs:  # interleaved: a burst of outside load hits both alike
                    run = measure(server.url, server.proc.pid, READS, cookie, clients,
                                  args.seconds)  # fmt: skip
                    figures.setdefault((workers, clients), []).append(run)
                    print(f"workers {workers}, clients {clients}: {run.rate:.1f} requests/s; "
                          f"{run.describe()}", file=sys.stderr)  # fmt: skip
            finally:
                server.stop()
    _reads_report(figures, args)


def _reads_report(figures: dict[tuple[int, int], list[Run]], args: argparse.Namespace) -> None:
    print(f"\nread mix {', '.join(READS)}; {args.seconds:.0f} s per run, {args.repeat} runs "
          f"each; {args.threads} threads per worker; cores {os.cpu_count()}; load average now "
          f"{os.getloadavg()[0]:.2f}")  # fmt: skip
    rates = {k: [run.rate for run in runs] for k, runs in figures.items()}
    for (workers, clients), rate in rates.items():
        print(f"--workers {workers}, {clients} client(s): median {statistics.median(rate):.1f}, "
              f"best {max(rate):.1f} req/s")  # fmt: skip
    one, many = rates[(args.workers, 1)], rates[(args.workers, 8)]
    print(f"ratio 8 clients / 1 client on --workers {args.workers}: median "
          f"{statistics.median(many) / statistics.median(one):.2f}, best {max(many) / max(one):.2f}"
          " (target >= 1.7)")  # fmt: skip
    print(
        f"--workers {args.workers} / --workers 1 at 8 clients (median): "
        f"{statistics.median(many) / statistics.median(rates[(1, 8)]):.2f}"
    )
    busy = [run.rest_cores for runs in figures.values() for run in runs]
    print(
        f"other processes kept {statistics.median(busy):.2f} cores busy during the runs "
        f"(median; most {max(busy):.2f})" + (NOT_QUIET if max(busy) > QUIET_CORES else "")
    )


# -- writers ----------------------------------------------------------------------------------
def _writer(session: Session, number: int, each: int, out: list) -> None:
    """``each`` writes: a new name, a sign for it, then its status changed (and again)."""
    import json

    sign_id = ""
    name_id = ""
    for i in range(each):
        serial = number * 1000 + i
        a, b = divmod(serial, len(_SYLLABLES))
        text = (
            "载"
            + _SYLLABLES[a // len(_SYLLABLES) % len(_SYLLABLES)]
            + _SYLLABLES[a % len(_SYLLABLES)]
            + _SYLLABLES[b]
            + "路"
        )
        step = i % 3
        if step == 0 or not name_id:
            body = {
                "name": text,
                "category": "road",
                "division_code": "411702",
                "accept": {"N2-SIMILAR": "bench", "N2-HOMOPHONE": "bench"},
            }
            kind, (status, content, took) = "name", session.call("POST", "/api/names", body)
            if status == 201:
                name_id = json.loads(content)["record"]["id"]
                out.append(("name", name_id, None))
        elif step == 1:
            body = {
                "name_id": name_id,
                "sign_type": "road",
                "text": text,
                "lon": 114.02 + i / 1e4,
                "lat": 32.98 + number / 1e4,
            }
            kind, (status, content, took) = "sign", session.call("POST", "/api/signs", body)
            if status == 201:
                sign_id = json.loads(content)["id"]
                out.append(("sign", sign_id, name_id))
        else:
            body = {"status": "damaged", "remarks": "bench"}
            kind, (status, content, took) = (
                "status",
                session.call("POST", f"/api/signs/{sign_id}/status", body),
            )
        out.append((kind, status, took, content[:200] if status >= 500 or status == 0 else b""))


def henan_store(folder: Path, shared: Path, writers: int, keep: str | None) -> str:
    """The Henan-sized store with ``writers`` officers, in ``folder`` (a copy of ``keep``
    when that file exists; else built, and copied to ``keep`` when given)."""
    if keep and Path(keep).exists():
        shutil.copy(keep, folder / "henan.gpkg")
        return str(folder / "henan.gpkg")
    url = build(folder, "henan", shared)
    with open_store(url) as store:
        users = Users(store)
        for n in range(1, writers + 1):
            users.add(f"writer{n:02d}", PASSWORD, role="officer", division_code="411702",
                      actor="bench")  # fmt: skip
    if keep:
        shutil.copy(url, keep)
    return url


def writers(args: argparse.Namespace) -> None:
    shared = shared_data(args.shared, *(f"admin-codes/{f}" for f in CODE_LISTS))
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        url = henan_store(folder, shared, args.writers, args.keep)
        server = Server(url, args.workers, folder, args.threads)
        try:
            server.warm(2)
            sessions = [Session(server.url, f"writer{n:02d}") for n in range(1, args.writers + 1)]
            results: list[list] = [[] for _ in sessions]
            threads = [threading.Thread(target=_writer, args=(s, n, args.each, results[n]))
                       for n, s in enumerate(sessions)]  # fmt: skip
            started = time.perf_counter()
            for t in threads:
                t.start()
            for t in threads:
                t.join()
            took = time.perf_counter() - started
        finally:
            server.stop()
        _writers_report(url, results, took, args)


def _writers_report(url: str, results: list[list], took: float, args: argparse.Namespace) -> None:
    calls = [r for rs in results for r in rs if isinstance(r[1], int)]
    made = [r for rs in results for r in rs if not isinstance(r[1], int)]
    times = sorted(r[2] for r in calls)
    statuses = Counter((r[0], r[1]) for r in calls)
    with open_store(url) as store:
        missing = [r for r in made if (store.get_name(r[1]) if r[0] == "name"
                                       else store.get_sign(r[1])) is None]  # fmt: skip
    p95 = statistics.quantiles(times, n=20)[18]
    print(f"\n{args.writers} writers x {args.each} writes on the Henan-sized store, "
          f"--workers {args.workers}, cores {os.cpu_count()}, load average "
          f"{os.getloadavg()[0]:.2f}")  # fmt: skip
    print(
        f"{len(calls)} requests in {took:.1f} s ({len(calls) / took:.1f}/s); "
        f"p50 {statistics.median(times) * 1000:.0f} ms, p95 {p95 * 1000:.0f} ms, "
        f"max {times[-1] * 1000:.0f} ms (target p95 < 1000 ms)"
    )
    for kind in sorted({r[0] for r in calls}):
        mine = sorted(r[2] for r in calls if r[0] == kind)
        print(
            f"  {kind:<7} p50 {statistics.median(mine) * 1000:5.0f} ms, p95 "
            f"{statistics.quantiles(mine, n=20)[18] * 1000:5.0f} ms"
        )
    print("answers: " + ", ".join(f"{k} {s}: {n}" for (k, s), n in sorted(statuses.items())))
    print(
        f"timeouts/broken: {sum(n for (_, s), n in statuses.items() if s == 0)}; "
        f"5xx: {sum(n for (_, s), n in statuses.items() if s >= 500)}; "
        f"acknowledged writes missing afterwards: {len(missing)} of {len(made)}"
    )
    for r in calls:
        if r[1] >= 500 or r[1] == 0:
            print("  e.g.", r[0], r[1], r[3][:200])
            break


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("what", choices=("reads", "writers"))
    parser.add_argument("shared", nargs="?", default=None, help="shared data folder")
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--repeat", type=int, default=3, help="reads: runs of each")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=8, help="waitress threads per worker")
    parser.add_argument("--writers", type=int, default=60)
    parser.add_argument("--each", type=int, default=10)
    parser.add_argument("--keep", help="writers: keep the built Henan store here, reuse it later")
    args = parser.parse_args()
    (reads if args.what == "reads" else writers)(args)


if __name__ == "__main__":
    main()
