"""``geociv serve`` as a new user meets it: a busy port gets one Chinese line, not a traceback."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

from tests.conftest import ROOT


def test_a_busy_port_is_named_in_one_chinese_line(demo_path: Path) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        done = subprocess.run(
            [sys.executable, "-m", "geociv", "serve", "--port", str(port)],
            env={**os.environ, "GEOCIV_STORE": str(demo_path)},
            cwd=ROOT, capture_output=True, text=True, timeout=60,
        )  # fmt: skip
    assert done.returncode == 1
    assert f"端口 {port} 已被占用" in done.stderr and "GEOCIV_PORT=" in done.stderr
    assert "Traceback" not in done.stderr and "地图服务：http" not in done.stderr
