"""``geociv serve --workers N``: several processes on one port, one store (issue 11).

A real ``geociv serve --workers 2`` in a subprocess. Each request goes on a new connection, so
the kernel hands it to either worker; ``X-Geociv-Worker`` says which one answered. The tests
check behaviour: both workers answer, a write through one is seen (search index, name
checker) by every worker, a killed worker is replaced, SIGTERM stops them all.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
import urllib.parse
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from tests.conftest import ROOT, free_port
from tests.http_client import Client
from web.workers import WORKER_HEADER


class Workers:
    """``geociv serve --workers N`` on ``store`` in a subprocess, its stderr kept."""

    def __init__(self, store: Path, folder: Path, workers: int = 2) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = folder / "serve.log"
        with open(self.log, "wb") as log:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "geociv", "serve", "--port", str(self.port)],
                env={**os.environ, "GEOCIV_STORE": str(store), "GEOCIV_WORKERS": str(workers),
                     "GEOCIV_INSTANCE": str(folder)},
                stdout=subprocess.DEVNULL, stderr=log, cwd=ROOT,
            )  # fmt: skip
        wait_for(lambda: self.children() == workers and self.answers(), "workers started")

    def get(self, path: str) -> requests.Response:
        """GET on a new connection (any worker may take it)."""
        return requests.get(f"{self.url}{path}", headers={"Connection": "close"}, timeout=30)

    def answers(self) -> bool:
        try:
            return self.get("/api/openapi.json").status_code == 200
        except requests.ConnectionError:
            return False

    def from_every_worker(
        self, ask: Callable[[], requests.Response], status: int = 200
    ) -> dict[str, Any]:
        """Repeat ``ask()`` until each worker answered ``status``; the last answer of each
        (its JSON, or the response when it has no body)."""
        seen: dict[str, Any] = {}
        deadline = time.monotonic() + 60
        while len(seen) < 2:
            answer = ask()
            assert answer.status_code == status, answer.text[:300]
            seen[answer.headers[WORKER_HEADER]] = answer.json() if answer.content else answer
            assert time.monotonic() < deadline, f"only workers {sorted(seen)} answered"
        return seen

    def children(self) -> int:
        return len(self.child_pids())

    def child_pids(self) -> list[int]:
        path = Path(f"/proc/{self.proc.pid}/task/{self.proc.pid}/children")
        return [int(p) for p in path.read_text().split()] if path.exists() else []

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            self.proc.wait(timeout=30)


def wait_for(condition: Callable[[], bool], what: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for: {what}"
        time.sleep(0.1)


@pytest.fixture
def workers(demo_path: Path, tmp_path: Path) -> Iterator[Workers]:
    server = Workers(demo_path, tmp_path)
    yield server
    server.stop()


def search(server: Workers, q: str) -> Callable[[], requests.Response]:
    return lambda: server.get(f"/api/names/search?q={urllib.parse.quote(q)}")


def test_two_workers_answer_and_each_sees_a_write_made_through_the_other(workers) -> None:
    before = workers.from_every_worker(search(workers, "试安宁路"))  # both indexes built
    assert all(not answer["results"] for answer in before.values())

    officer = Client(workers.url, "officer1")
    made = officer.post("/api/names", json={
        "name": "试安宁路", "category": "road", "division_code": "411702",
        "accept": {"N2-SIMILAR": "test"},
    })  # fmt: skip
    assert made.status_code == 201, made.text[:300]
    name_id = made.json()["record"]["id"]

    after = workers.from_every_worker(search(workers, "试安宁路"))
    assert {w: [h["name_id"] for h in a["results"]] for w, a in after.items()} == {
        "1": [name_id], "2": [name_id],
    }  # fmt: skip
    by_pinyin = workers.from_every_worker(search(workers, "shianning"))
    assert all(name_id in [h["name_id"] for h in a["results"]] for a in by_pinyin.values())

    # the name checker of every worker knows the new name: a second one is refused everywhere
    def check() -> requests.Response:
        return requests.post(f"{workers.url}/api/names/validate", timeout=30,
                             headers={"Connection": "close"},
                             json={"name": "试安宁路", "category": "road",
                                   "division_code": "411702"})  # fmt: skip

    checked = workers.from_every_worker(check)
    for report in checked.values():
        assert "N2-DUPLICATE" in {f["rule"] for f in report["findings"]}


def test_every_worker_gives_the_same_etag_and_honours_it(workers) -> None:
    tags: dict[str, str] = {}
    while len(tags) < 2:
        answer = workers.get("/api/divisions/411702")
        tags[answer.headers[WORKER_HEADER]] = answer.headers["ETag"]
    assert len(set(tags.values())) == 1
    tag = tags["1"]

    def again() -> requests.Response:
        return requests.get(f"{workers.url}/api/divisions/411702", timeout=30,
                            headers={"Connection": "close", "If-None-Match": tag})  # fmt: skip

    workers.from_every_worker(again, status=304)


def test_a_killed_worker_is_replaced_and_sigterm_stops_them_all(workers) -> None:
    first = workers.child_pids()
    os.kill(first[0], signal.SIGKILL)
    wait_for(lambda: workers.children() == 2 and first[0] not in workers.child_pids(),
             "a new worker")  # fmt: skip
    wait_for(lambda: "意外退出（信号 9）" in workers.log.read_text(), "the report")
    assert "正在重新启动" in workers.log.read_text()
    workers.from_every_worker(lambda: workers.get("/api/openapi.json"))

    children = workers.child_pids()
    workers.proc.send_signal(signal.SIGTERM)
    assert workers.proc.wait(timeout=30) == 0
    for pid in children:
        assert not Path(f"/proc/{pid}").exists() or "Z" in _state(pid)
    with pytest.raises(requests.ConnectionError):
        workers.get("/")
    assert "Traceback" not in workers.log.read_text()


def test_sigint_stops_them_all(demo_path: Path, tmp_path: Path) -> None:
    server = Workers(demo_path, tmp_path)
    children = server.child_pids()
    server.proc.send_signal(signal.SIGINT)
    assert server.proc.wait(timeout=30) == 0
    wait_for(lambda: not any(Path(f"/proc/{p}").exists() for p in children), "children gone", 10)


def test_one_worker_is_the_default_and_names_no_worker(live_server: str) -> None:
    answer = requests.get(f"{live_server}/api/openapi.json", timeout=30)
    assert answer.status_code == 200 and WORKER_HEADER not in answer.headers


def _state(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/stat").read_text().split(")")[-1].split()[0]
    except FileNotFoundError:
        return "gone"


def test_a_background_job_started_through_one_worker_is_followed_through_every_worker(
    workers,
) -> None:
    planner = Client(workers.url, "planner1")
    started = planner.post("/api/coverage/runs", json={"types": ["rental_station"],
                                                       "aoi": {"division": "411702"}})  # fmt: skip
    assert started.status_code == 202, started.text[:300]
    job_id = started.json()["job_id"]
    cookies = planner.http.cookies

    def poll() -> requests.Response:
        return requests.get(f"{workers.url}/api/coverage/jobs/{job_id}", cookies=cookies,
                            headers={"Connection": "close"}, timeout=30)  # fmt: skip

    wait_for(lambda: poll().json()["state"] == "done", "the job done", timeout=120)
    seen = workers.from_every_worker(poll)
    assert {a["state"] for a in seen.values()} == {"done"}
    assert len({a["result"]["run_id"] for a in seen.values()}) == 1
    unknown = requests.get(f"{workers.url}/api/coverage/jobs/0123456789ab", cookies=cookies,
                           timeout=30)  # fmt: skip
    assert unknown.status_code == 404


SLOW_APP = """
import socket, sys, time
from flask import Flask
from web.workers import listening_socket, serve_until_stopped

app = Flask("slow")

@app.get("/slow")
def slow():
    time.sleep(1.5)
    return "done " + "x" * 20_000_000  # more than the socket buffers hold: sent by the loop

sock = listening_socket("127.0.0.1", int(sys.argv[1]))
print("ready", flush=True)
serve_until_stopped(app, sock, threads=2)
print("stopped", flush=True)
"""


def test_a_stopping_worker_finishes_and_sends_the_answers_under_way(tmp_path: Path) -> None:
    port = free_port()
    proc = subprocess.Popen([sys.executable, "-c", SLOW_APP, str(port)], cwd=ROOT,
                            stdout=subprocess.PIPE, text=True)  # fmt: skip
    assert proc.stdout.readline().strip() == "ready"
    answers: list[requests.Response | Exception] = []

    def ask() -> None:
        try:
            answers.append(requests.get(f"http://127.0.0.1:{port}/slow", timeout=30))
        except requests.RequestException as exc:
            answers.append(exc)

    asking = threading.Thread(target=ask)
    asking.start()
    time.sleep(0.5)  # the request is being answered
    proc.send_signal(signal.SIGTERM)
    asking.join(30)
    assert proc.wait(timeout=30) == 0 and proc.stdout.read().strip() == "stopped"
    answer = answers[0]
    assert isinstance(answer, requests.Response), answer
    assert answer.status_code == 200 and answer.text == "done " + "x" * 20_000_000


FAILING_WORKERS = """
import os, sys
from web.workers import Supervisor

status = Supervisor(lambda number: os._exit(3), 2, lambda line: print(line, flush=True)).run()
sys.exit(status)
"""


def test_workers_that_keep_dying_at_start_stop_the_service() -> None:
    done = subprocess.run([sys.executable, "-c", FAILING_WORKERS], cwd=ROOT, timeout=120,
                          capture_output=True, text=True)  # fmt: skip
    assert done.returncode == 1, done.stderr
    lines = done.stdout.splitlines()
    assert "意外退出（退出码 3），正在重新启动" in lines[0]
    assert "连续 5 次启动后立即退出" in lines[-1] and "退出码 3），停止服务" in lines[-1]
    assert "Traceback" not in done.stderr
