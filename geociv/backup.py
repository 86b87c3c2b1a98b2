"""Backups of the store, and restoring one (系统管理员).

``backup`` writes a consistent copy while the service keeps running (SQLite's online backup API
copies page by page under the database's own locks; a file copy of a live WAL database can
miss acknowledged writes or be torn). The copy is checked (``PRAGMA integrity_check``) and its
size and SHA-256 are kept in the store as the *last backup*, which the admin page shows.

A PostgreSQL store is backed up with ``pg_dump -Fc`` and restored with ``pg_restore``
(:mod:`geociv.store._pg_dump`); the replaced tables are kept in a schema of their own.

``restore`` checks a backup before it touches anything: a geociv store, intact, written by this
geociv or an older one. The replaced store is kept aside (``<name>.replaced-<time>.gpkg``),
never deleted; the restored copy is then upgraded to the current schema like any older file.

Examples
--------
>>> import tempfile, pathlib
>>> from geociv.store import open_store
>>> folder = pathlib.Path(tempfile.mkdtemp())
>>> store = open_store(folder / "live.gpkg")
>>> info = backup(store, folder / "nightly.gpkg", actor="doc")
>>> info.integrity, last_backup(store).path == str(folder / "nightly.gpkg")
('ok', True)
"""

from __future__ import annotations

import hashlib
import json
import logging
import shutil
import sqlite3
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path

from geociv.errors import Problem, StoreError, ValidationError
from geociv.store import Store, is_server_url, open_store
from geociv.store._pg_dump import check_dump, is_dump
from geociv.store._sqlite_schema import SCHEMA_VERSION, read_version

log = logging.getLogger(__name__)

#: ``geociv_meta`` key of the last backup's description (JSON of :class:`BackupInfo`).
LAST_BACKUP_KEY = "last_backup"


@dataclass(frozen=True)
class BackupInfo:
    """One backup file: where, when, by whom, how big, its checksum and integrity."""

    path: str
    at: str
    actor: str
    size: int
    sha256: str
    schema_version: int
    integrity: str

    @property
    def age_days(self) -> float:
        """Days since the backup was made."""
        return (datetime.now(UTC) - datetime.fromisoformat(self.at)).total_seconds() / 86400


def backup(store: Store, path: str | Path, *, actor: str) -> BackupInfo:
    """Write a consistent copy of ``store`` to the new file ``path`` and record it.

    Raises
    ------
    ValidationError
        ``path`` exists already (a backup never overwrites a file) or its folder is missing.
    StoreError
        The copy fails its integrity check.
    """
    target = Path(path)
    if target.exists():
        raise ValidationError(
            Problem(f"目标文件已存在：{target}（备份不覆盖已有文件）", field="path")
        )
    if not target.parent.is_dir():
        raise ValidationError(Problem(f"目标文件夹不存在：{target.parent}", field="path"))
    partial = target.with_name(target.name + ".partial")
    partial.unlink(missing_ok=True)
    store.backup_to(partial)
    integrity, version = _check_file(partial)
    if integrity != "ok":
        partial.unlink(missing_ok=True)
        raise StoreError(f"备份文件完整性检查未通过：{integrity}")
    partial.rename(target)
    info = BackupInfo(
        path=str(target),
        at=datetime.now(UTC).isoformat(timespec="seconds"),
        actor=actor,
        size=target.stat().st_size,
        sha256=_sha256(target),
        schema_version=version,
        integrity=integrity,
    )
    store.set_meta(LAST_BACKUP_KEY, json.dumps(asdict(info), ensure_ascii=False), actor=actor)
    log.info("backup of %s written to %s (%d bytes)", store.url, target, info.size)
    return info


def last_backup(store: Store) -> BackupInfo | None:
    """The last backup recorded in ``store``, or ``None``."""
    raw = store.get_meta(LAST_BACKUP_KEY)
    return None if raw is None else BackupInfo(**json.loads(raw))


@dataclass(frozen=True)
class RestoreInfo:
    """What a restore did: the backup it took, where the replaced store went."""

    source: str
    store: str
    replaced: str | None
    schema_version: int


def check_backup(path: str | Path) -> int:
    """Check that ``path`` is an intact geociv store this geociv can open; return its schema
    version. Every problem is reported, with ``field="path"``."""
    path = Path(path)
    if not path.is_file():
        raise ValidationError(Problem(f"备份文件不存在：{path}", field="path"), title="无法恢复")
    try:
        integrity, version = _check_file(path)
    except sqlite3.DatabaseError as exc:
        raise ValidationError(
            Problem(f"不是 geociv 存储文件（{exc}）", field="path"), title="无法恢复"
        ) from exc
    problems = []
    if integrity != "ok":
        problems.append(Problem(f"完整性检查未通过：{integrity}", field="path"))
    if version == 0:
        problems.append(Problem("文件中没有 geociv 的数据表，不是 geociv 备份", field="path"))
    elif version > SCHEMA_VERSION:
        problems.append(
            Problem(
                f"备份的结构版本为 {version}，高于本程序支持的 {SCHEMA_VERSION}：请升级 geociv",
                field="path",
            )
        )
    if problems:
        raise ValidationError(problems, title="无法恢复")
    return version


def restore(store_path: str | Path, source: str | Path, *, actor: str) -> RestoreInfo:
    """Replace the store at ``store_path`` with the backup ``source`` (stop the service first).

    The backup is checked before anything changes (:func:`check_backup`); the replaced store is
    moved aside, never deleted; the restored store is upgraded and the restore audited in it.
    A PostgreSQL store (``postgresql://…``) takes a ``pg_dump`` backup (:func:`_restore_server`).
    """
    if is_server_url(store_path):
        return _restore_server(str(store_path), Path(source), actor=actor)
    store_path, source = Path(store_path), Path(source)
    check_backup(source)
    if is_dump(source):
        raise ValidationError(
            Problem(
                "这是 PostgreSQL 数据库的备份（pg_dump），只能恢复到 PostgreSQL 存储；"
                "要得到 GeoPackage 文件，先恢复到数据库，再用 geociv store copy 复制",
                field="path",
            ),
            title="无法恢复",
        )
    if source.resolve() == store_path.resolve():
        raise ValidationError(Problem("备份文件就是当前存储文件", field="path"), title="无法恢复")
    replaced = _move_aside(store_path) if store_path.exists() else None
    incoming = store_path.with_name(store_path.name + ".restoring")
    incoming.unlink(missing_ok=True)
    shutil.copyfile(source, incoming)
    incoming.rename(store_path)
    restored = open_store(store_path)
    try:
        restored.record_event(
            actor=actor,
            action="store.restore",
            entity="store",
            key=str(store_path),
            note=f"由备份 {source} 恢复；原存储文件保存为 {replaced or '（无）'}",
        )
        version = restored.schema_version
    finally:
        restored.close()
    log.info("store %s restored from %s; the old one kept as %s", store_path, source, replaced)
    return RestoreInfo(str(source), str(store_path), replaced and str(replaced), version)


def _restore_server(url: str, source: Path, *, actor: str) -> RestoreInfo:
    """Restore a ``pg_dump`` backup into the PostgreSQL store at ``url``: the tables there are
    kept in a schema of their own (its name is :attr:`RestoreInfo.replaced`)."""
    from geociv.store._pg_dump import restore as restore_dump

    check_backup(source)
    if not is_dump(source):
        raise ValidationError(
            Problem(
                "这是 GeoPackage 备份文件，不能直接恢复到 PostgreSQL 数据库："
                "请用 geociv store copy 把它复制到一个空数据库",
                field="path",
            ),
            title="无法恢复",
        )
    replaced = restore_dump(url, source)
    restored = open_store(url, upgrade=True)
    try:
        note = f"由备份 {source} 恢复；原数据表保存在模式 {replaced or '（无）'}"
        restored.record_event(
            actor=actor, action="store.restore", entity="store", key=restored.url, note=note
        )
        version, shown = restored.schema_version, restored.url
    finally:
        restored.close()
    log.info("store %s restored from %s; the old tables kept in %s", shown, source, replaced)
    return RestoreInfo(str(source), shown, replaced, version)


def _move_aside(store_path: Path) -> Path:
    """Fold the WAL into the store file, then rename it (with its name and the time)."""
    conn = sqlite3.connect(store_path, isolation_level=None)
    try:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        conn.execute("PRAGMA journal_mode = DELETE")
    except sqlite3.OperationalError as exc:
        raise StoreError(f"存储文件正在使用，无法替换（先停止 geociv 服务）：{exc}") from exc
    finally:
        conn.close()
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    aside = store_path.with_name(f"{store_path.stem}.replaced-{stamp}{store_path.suffix}")
    store_path.rename(aside)
    return aside


def new_backup_path(folder: Path, suffix: str = ".gpkg") -> Path:
    """A file name in ``folder`` for a backup made now that no file has yet
    (``geociv-20261203T063000Z.gpkg``, then ``…-2.gpkg`` for a second one in the same second;
    ``suffix=".dump"`` for a PostgreSQL dump).

    >>> import tempfile
    >>> folder = Path(tempfile.mkdtemp())
    >>> first = new_backup_path(folder); first.touch()
    >>> new_backup_path(folder).name == first.name.replace(".gpkg", "-2.gpkg")
    True
    """
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    path = folder / f"geociv-{stamp}{suffix}"
    n = 1
    while path.exists():
        n += 1
        path = folder / f"geociv-{stamp}-{n}{suffix}"
    return path


def _check_file(path: Path) -> tuple[str, int]:
    """``(integrity_check result, schema version)`` of a database file, opened read-only, or
    of a ``pg_dump`` archive (read by ``pg_restore``)."""
    if is_dump(path):
        return check_dump(path)
    conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
    try:
        rows = conn.execute("PRAGMA integrity_check").fetchall()
        integrity = "; ".join(str(r[0]) for r in rows[:5])
        return integrity, read_version(conn)
    finally:
        conn.close()


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()
