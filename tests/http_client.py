"""A logged-in HTTP client for a real ``geociv serve``: session cookie plus CSRF header, as the
pages' own scripts send them."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import requests

from tests.conftest import PASSWORD, ROOT, free_port

_TOKEN = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')
_META = re.compile(r'<meta name="csrf-token" content="([^"]+)"')


class Client:
    """``requests`` session logged in to ``base`` as ``username``."""

    def __init__(self, base: str, username: str, password: str = PASSWORD) -> None:
        self.base = base
        self.http = requests.Session()
        form = self.http.get(f"{base}/login", timeout=30).text
        token = _TOKEN.search(form).group(1)
        done = self.http.post(
            f"{base}/login",
            data={"username": username, "password": password, "csrf_token": token},
            timeout=30,
        )
        assert done.status_code == 200 and "退出" in done.text, done.text[:300]
        self.csrf = _META.search(done.text).group(1)

    def twin(self) -> Client:
        """Another connection pool in the same logged-in session (no second log-in)."""
        twin = object.__new__(Client)
        twin.base, twin.csrf, twin.http = self.base, self.csrf, requests.Session()
        twin.http.cookies.update(self.http.cookies)
        return twin

    def post(self, path: str, **kwargs) -> requests.Response:
        headers = {"X-CSRFToken": self.csrf, "Accept": "application/json"}
        return self.http.post(f"{self.base}{path}", headers=headers, timeout=120, **kwargs)

    def get(self, path: str, **kwargs) -> requests.Response:
        return self.http.get(f"{self.base}{path}", timeout=60, **kwargs)


class Server:
    """``geociv serve`` (waitress) on ``store`` in a subprocess; ``kill()`` is SIGKILL."""

    def __init__(self, store: Path) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        # a database URL has no folder for the session key file: one key for every restart
        env = {**os.environ, "GEOCIV_STORE": str(store), "GEOCIV_SECRET_KEY": "test-server-key"}
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "geociv", "serve", "--port", str(self.port)],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            cwd=ROOT,
        )
        deadline = time.monotonic() + 30
        while True:
            try:
                requests.get(f"{self.url}/api/openapi.json", timeout=1)
                return
            except requests.RequestException:
                if self.proc.poll() is not None or time.monotonic() > deadline:
                    self.proc.kill()
                    raise RuntimeError("geociv serve did not start") from None
                time.sleep(0.2)

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(timeout=30)

    def kill(self) -> None:
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(timeout=30)
