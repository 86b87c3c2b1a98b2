"""The key that signs web sessions, kept outside the store.

Whoever holds the key can forge any session, and a copy of the GeoPackage travels widely (QGIS
users, backups), so the key never lives in the store: it comes from ``GEOCIV_SECRET_KEY`` or
from the file :data:`SECRET_KEY_FILE` in the instance folder, created once with mode 0600.

Stores written before version 9 kept the key in ``geociv_meta.secret_key``. That key must be
taken as known to everyone who ever had a copy of the file, so it is not reused: the row is
removed (audited, value shown as ``***``) and a new key is generated. Sessions signed with the
old key end; users log in again once.

Examples
--------
>>> import tempfile, pathlib
>>> from geociv.config import Settings
>>> from geociv.store import open_store
>>> folder = pathlib.Path(tempfile.mkdtemp())
>>> settings = Settings.from_env({"store": str(folder / "s.gpkg")}, environ={})
>>> with open_store(settings.store) as store:
...     key = session_key(settings, store)
>>> oct((folder / SECRET_KEY_FILE).stat().st_mode & 0o777), len(key)
('0o600', 64)
"""

from __future__ import annotations

import logging
import os
import secrets
import stat
from pathlib import Path

from geociv.config import Settings
from geociv.errors import ConfigError
from geociv.store import Store

log = logging.getLogger(__name__)

#: Name of the key file in the instance folder.
SECRET_KEY_FILE = "geociv-session.key"
#: The ``geociv_meta`` key under which stores up to version 8 kept the session key.
LEGACY_META_KEY = "secret_key"


def session_key(settings: Settings, store: Store, *, actor: str = "system") -> str:
    """Return the session-signing key, moving a key left in the store out of it first.

    Parameters
    ----------
    settings
        ``secret_key`` (``GEOCIV_SECRET_KEY``) wins; else the key file in
        ``settings.instance_path``, created on first use.
    store
        The store; a ``secret_key`` row in its ``geociv_meta`` is deleted (audited).
    actor
        Who the removal of the old key is attributed to.

    Raises
    ------
    ConfigError
        The key file is readable or writable by group or others, or is empty.
    """
    legacy = store.get_meta(LEGACY_META_KEY) is not None
    if legacy:
        store.delete_meta(LEGACY_META_KEY, actor=actor, secret=True)
        log.warning("session key removed from the store %s (a new key replaces it)", store.url)
    if settings.secret_key:
        return settings.secret_key
    path = settings.instance_path / SECRET_KEY_FILE
    if path.exists():
        return read_key_file(path)
    return create_key_file(path)


def read_key_file(path: Path) -> str:
    """Read the key file; refuse one that group or others may read or write."""
    mode = path.stat().st_mode
    if mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise ConfigError(
            f"会话密钥文件 {path} 的权限为 {oct(mode & 0o777)}，同组或其他用户可读写："
            f"请执行 chmod 600 {path} 后再启动"
        )
    key = path.read_text(encoding="ascii").strip()
    if not key:
        raise ConfigError(f"会话密钥文件 {path} 为空：删除该文件后重新启动即可生成新密钥")
    return key


def create_key_file(path: Path) -> str:
    """Generate a key and write it to ``path`` with mode 0600 (the file must not exist)."""
    key = secrets.token_hex(32)
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # another process made it first: use that one
        return read_key_file(path)
    with os.fdopen(fd, "w", encoding="ascii") as f:
        os.fchmod(f.fileno(), 0o600)
        f.write(key + "\n")
    log.info("new session key written to %s", path)
    return key
