"""``geociv backup`` / ``geociv restore`` and the admin page's 数据备份 (issue 9, Backups)."""

from __future__ import annotations

import hashlib
import sqlite3
import subprocess
import sys
import threading
from pathlib import Path

from click.testing import CliRunner

from geociv.cli import main
from tests.conftest import ROOT, login
from tests.http_client import Client, Server
from tests.test_durability import ROAD_NAMES, _add_name


def run(*args: str):
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def _names(path: Path) -> set[str]:
    conn = sqlite3.connect(path)
    try:
        return {r[0] for r in conn.execute("SELECT name FROM names")}
    finally:
        conn.close()


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_backup_while_the_server_writes_is_consistent(demo_path: Path, tmp_path: Path) -> None:
    server = Server(demo_path)
    try:
        officer = Client(server.url, "officer1")
        stop = threading.Event()
        added: list[str] = []

        def writer() -> None:
            for name in ROAD_NAMES:
                if stop.is_set():
                    return
                if _add_name(officer, name):
                    added.append(name)

        thread = threading.Thread(target=writer)
        thread.start()
        while len(added) < 3:
            thread.join(timeout=0.05)
        target = tmp_path / "nightly.gpkg"
        done = subprocess.run(
            [sys.executable, "-m", "geociv", "--store", str(demo_path), "backup", str(target)],
            cwd=ROOT, capture_output=True, text=True, timeout=120,
        )  # fmt: skip
        stop.set()
        thread.join(timeout=60)
    finally:
        server.stop()
    assert done.returncode == 0, done.stderr
    assert "完整性 ok" in done.stdout
    conn = sqlite3.connect(target)
    assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "delete"  # one file
    conn.close()
    backed = _names(target) & set(ROAD_NAMES)
    assert set(added[:3]) <= backed <= set(added)  # a consistent point in the writes
    assert not target.with_name(target.name + "-wal").exists()


def test_backup_restore_round_trip_keeps_the_replaced_store(
    demo_path: Path, tmp_path: Path
) -> None:
    target = tmp_path / "b.gpkg"
    assert run("--store", str(demo_path), "backup", str(target)).exit_code == 0
    again = run("--store", str(demo_path), "backup", str(target))
    assert again.exit_code == 2 and "目标文件已存在" in again.output
    added = run(
        "--store", str(demo_path), "names", "add", "春松路", "--category", "road",
        "--division", "411702",
    )  # fmt: skip
    assert added.exit_code == 0, added.output
    assert "春松路" in _names(demo_path)

    restored = run("--store", str(demo_path), "restore", str(target), "--yes")
    assert restored.exit_code == 0, restored.output
    assert "春松路" not in _names(demo_path)
    (aside,) = tmp_path.glob("demo.replaced-*.gpkg")
    assert "春松路" in _names(aside)  # nothing is deleted
    conn = sqlite3.connect(demo_path)
    (action,) = conn.execute(
        "SELECT action FROM audit_log ORDER BY id DESC LIMIT 1"
    ).fetchone()
    conn.close()
    assert action == "store.restore"


def test_restore_refuses_a_bad_backup_and_touches_nothing(demo_path: Path, tmp_path: Path) -> None:
    before = _sha(demo_path)
    junk = tmp_path / "junk.gpkg"
    junk.write_bytes(b"not a database at all" * 100)
    newer = tmp_path / "newer.gpkg"
    assert run("--store", str(demo_path), "backup", str(newer)).exit_code == 0
    conn = sqlite3.connect(newer)
    conn.execute("UPDATE geociv_meta SET value = '99' WHERE key = 'schema_version'")
    conn.commit()
    conn.close()
    torn = tmp_path / "torn.gpkg"
    data = newer.read_bytes()
    torn.write_bytes(data[: len(data) // 3])
    before = _sha(demo_path)
    for bad, message in (
        (junk, "不是 geociv 存储文件"),
        (newer, "高于本程序支持的"),
        (torn, "geociv"),
        (tmp_path / "missing.gpkg", "备份文件不存在"),
    ):
        result = run("--store", str(demo_path), "restore", str(bad), "--yes")
        assert result.exit_code == 2, (bad.name, result.output)
        assert message in result.output, (bad.name, result.output)
    assert _sha(demo_path) == before
    assert list(tmp_path.glob("demo.replaced-*")) == []


def test_admin_page_shows_the_last_backup_and_makes_one(client, app, demo_path: Path) -> None:
    login(client, "admin1")
    page = client.get("/admin/backups").get_data(as_text=True)
    assert "尚无备份记录" in page and "超过一天没有备份" in page
    done = client.post("/admin/backups", follow_redirects=True).get_data(as_text=True)
    assert "已备份到" in done and "SHA-256" in done and "超过一天没有备份" not in done
    (made,) = (demo_path.parent / "backups").glob("geociv-*.gpkg")
    conn = sqlite3.connect(made)
    assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    conn.close()
    for _ in range(2):  # two more at once: each gets its own file (same second: …-2.gpkg)
        again = client.post("/admin/backups", follow_redirects=True).get_data(as_text=True)
        assert "已备份到" in again and "目标文件已存在" not in again
    assert len(list((demo_path.parent / "backups").glob("geociv-*.gpkg"))) == 3
    client.post("/logout")
    login(client, "planner1")
    assert client.get("/admin/backups").status_code == 403
    assert client.post("/admin/backups").status_code == 403
