"""The live store files: registered by the store, never opened by an upload reader."""

from __future__ import annotations

import os
import threading
from pathlib import Path

from geociv.errors import InputFileError, Problem

_LOCK = threading.Lock()
#: (device, inode) of each registered file → its path (an inode counts only while that path
#: still names it: a closed and deleted store's inode may be reused by any new file).
_PROTECTED: dict[tuple[int, int], str] = {}


def protect(path: str | Path) -> None:
    """Register a live store file (and so its ``-wal``/``-shm``) that no reader may open."""
    for suffix in ("", "-wal", "-shm", "-journal"):
        try:
            st = os.stat(f"{path}{suffix}")
        except OSError:
            continue
        with _LOCK:
            _PROTECTED[(st.st_dev, st.st_ino)] = f"{path}{suffix}"


def check_not_protected(path: Path) -> None:
    """Refuse a path that is a live store file (checked with ``stat``; nothing is opened:
    closing any descriptor of a SQLite file drops the process's locks on it)."""
    try:
        st = os.stat(path)
    except OSError:
        return
    key = (st.st_dev, st.st_ino)
    with _LOCK:
        registered = _PROTECTED.get(key)
    if registered is not None and _inode(registered) == key:
        raise InputFileError(
            Problem("不能把正在使用的 geociv 存储文件当作导入文件", field="file"),
            title=f"{path.name} 无法读取",
        )


def _inode(path: str) -> tuple[int, int] | None:
    try:
        st = os.stat(path)
    except OSError:
        return None
    return (st.st_dev, st.st_ino)
