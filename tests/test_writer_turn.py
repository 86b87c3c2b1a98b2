"""Writers of a GeoPackage store take turns (geociv/store/_sqlite_lock.py, issue 11): threads
of one process in a queue, processes through an ``flock`` on ``<store>-writer``, then SQLite's
own lock. Real stores, real processes (forked), no timings asserted."""

from __future__ import annotations

import logging
import multiprocessing
import os
import threading
import time
from pathlib import Path

from geociv.errors import BusyError
from geociv.store import open_store
from geociv.store._sqlite_lock import SUFFIX, WriterTurn


def _write_meta(path: str, value: str, started, done) -> None:  # in a child process
    with open_store(path) as store:
        started.set()
        store.set_meta("from-child", value, actor="child")
    done.set()


def test_a_writer_of_another_process_waits_for_its_turn_then_writes(tmp_path: Path) -> None:
    path = tmp_path / "s.gpkg"
    store = open_store(path)
    ctx = multiprocessing.get_context("spawn")  # a fork would copy SQLite's lock records
    started, done = ctx.Event(), ctx.Event()
    with store.transaction():
        store.set_meta("from-parent", "1", actor="parent")
        child = ctx.Process(target=_write_meta, args=(str(path), "2", started, done))
        child.start()
        assert started.wait(60)
        assert not done.wait(0.5)  # waiting for the turn while this transaction is open
        assert Path(f"{path}{SUFFIX}").exists()
    child.join(30)
    assert child.exitcode == 0 and done.is_set()
    assert (store.get_meta("from-parent"), store.get_meta("from-child")) == ("1", "2")
    store.close()


def test_threads_of_one_process_wait_their_turn_and_give_up_with_a_busy_error(
    tmp_path: Path,
) -> None:
    store_file = tmp_path / "s.gpkg"
    store_file.write_bytes(b"")
    turn = WriterTurn(store_file, wait_s=0.3)
    turn.take()
    refused: list[Exception] = []
    waiter = threading.Thread(target=lambda: _take_or_keep(turn, refused))
    waiter.start()
    waiter.join(30)
    assert len(refused) == 1 and isinstance(refused[0], BusyError)
    assert "存储正忙" in str(refused[0])
    turn.give()
    taken: list[Exception] = []
    after = threading.Thread(target=lambda: _take_or_keep(turn, taken))
    after.start()
    after.join(30)
    assert taken == []  # free again: taken (and given back) at once
    turn.close()


def _take_or_keep(turn: WriterTurn, errors: list[Exception]) -> None:
    try:
        turn.take()
    except BusyError as exc:
        errors.append(exc)
        return
    turn.give()


def test_the_lock_file_has_the_store_files_permissions(tmp_path: Path) -> None:
    path = tmp_path / "s.gpkg"
    with open_store(path) as store:
        os.chmod(path, 0o640)
        store.set_meta("a", "1", actor="t")
    assert oct(Path(f"{path}{SUFFIX}").stat().st_mode & 0o777) == oct(0o640 & ~_umask())


def test_without_a_lock_file_writers_still_write(tmp_path: Path, caplog) -> None:
    path = tmp_path / "s.gpkg"
    Path(f"{path}{SUFFIX}").mkdir()  # cannot be opened as the lock file
    with caplog.at_level(logging.WARNING), open_store(path) as store:
        store.set_meta("a", "1", actor="t")
        store.set_meta("a", "2", actor="t")
        assert store.get_meta("a") == "2"
    assert "no writer lock file" in caplog.text


def test_a_forked_child_takes_its_own_turn(tmp_path: Path) -> None:
    """An inherited descriptor would share the parent's flock (and so its turn)."""
    store_file = tmp_path / "s.gpkg"
    store_file.write_bytes(b"")
    turn = WriterTurn(store_file, wait_s=30)
    turn.take()
    turn.give()  # the descriptor is open now
    ctx = multiprocessing.get_context("fork")
    done = ctx.Event()
    turn.take()
    child = ctx.Process(target=_take_in_child, args=(turn, done))
    child.start()
    assert not done.wait(0.5)
    turn.give()
    child.join(30)
    assert child.exitcode == 0 and done.is_set()


def _take_in_child(turn: WriterTurn, done) -> None:
    turn._threads = threading.Lock()  # the copy of the parent's lock is held (fork)
    turn.take()
    done.set()
    time.sleep(0.01)
    turn.give()


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask
