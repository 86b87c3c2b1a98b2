"""Whose turn it is to write a GeoPackage store, across threads and processes.

SQLite lets one writer in at a time; the others wait in its busy handler, which *sleeps* and
tries again (1, 2, 5 … then 100 ms a time). Under load (several ``geociv serve`` workers, each
with several threads) that wastes the lock's free moments and lets the writers of one process
take the lock again and again while another process's writer sleeps: seconds of waiting for
a transaction of milliseconds. So writers take their turn here first: a lock of this process
(threads queue, woken as soon as it is free), then an ``flock`` on a small file beside the store
(processes queue in the kernel, woken as soon as it is released). ``BEGIN IMMEDIATE`` then
finds SQLite's lock free unless a program outside geociv (QGIS editing the file) holds it;
for that, SQLite's busy timeout still applies. Threads of this process wait at most ``wait_s``
(then :class:`BusyError`); the ``flock`` itself has no timeout, like every blocking lock the
kernel drops when its holder exits (even by ``kill -9``).

The lock file is separate from the store: opening and closing the store file itself would
drop the process's SQLite (POSIX) locks on it.
"""

from __future__ import annotations

import fcntl
import logging
import os
import threading
from pathlib import Path

from geociv.errors import BusyError

logger = logging.getLogger(__name__)

#: The lock file beside the store ``x.gpkg``: ``x.gpkg-writer``.
SUFFIX = "-writer"


class WriterTurn:
    """The write turn on the store at ``path`` (see the module's note).

    Parameters
    ----------
    path
        The store file.
    wait_s
        Longest wait for the turn before :class:`BusyError`.
    """

    def __init__(self, path: Path, wait_s: float) -> None:
        self.store = Path(path)
        self.path = Path(f"{path}{SUFFIX}")
        self.wait_s = wait_s
        self._threads = threading.Lock()
        self._fd: int | None = None
        self._pid = 0

    def take(self) -> None:
        """Wait for the turn (threads of this process first, then other processes)."""
        if not self._threads.acquire(timeout=self.wait_s):
            raise BusyError("存储正忙（其他写入等待超时），请稍后再试")
        try:
            self._take_file()
        except BaseException:
            self._threads.release()
            raise

    def give(self) -> None:
        """End the turn (after ``COMMIT`` or ``ROLLBACK``)."""
        try:
            if self._fd is not None:
                fcntl.flock(self._fd, fcntl.LOCK_UN)
        finally:
            self._threads.release()

    def close(self) -> None:
        """Close the lock file (the store is closed), unless a write is under way."""
        if not self._threads.acquire(blocking=False):
            return  # closing would end that writer's turn; the descriptor stays open
        try:
            if self._fd is not None and self._pid == os.getpid():
                os.close(self._fd)
            self._fd, self._pid = None, 0
        finally:
            self._threads.release()

    def _take_file(self) -> None:
        if self._pid != os.getpid():
            # a forked child opens its own: an inherited descriptor shares the parent's lock
            self._fd, self._pid = self._open(), os.getpid()
        if self._fd is not None:
            fcntl.flock(self._fd, fcntl.LOCK_EX)

    def _open(self) -> int | None:
        """The lock file, made with the store's permissions (as SQLite makes its ``-wal``);
        ``None`` when it cannot be made (the writers then wait in SQLite's busy handler)."""
        try:
            mode = self.store.stat().st_mode
            return os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, mode & 0o666)
        except OSError as exc:
            logger.warning("no writer lock file %s (%s): writers wait in SQLite", self.path, exc)
            return None
