"""The embedded backend: one SQLite file in GeoPackage form (QGIS opens its layers directly).

WAL mode, one connection per thread, one transaction per logical write, and the audit entry of
a write in the same transaction as the write itself.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from geociv.errors import DuplicateError, SchemaVersionError, StoreError
from geociv.store import _gpkg
from geociv.store._audit_reads import AuditSQL
from geociv.store._boundaries_sql import BoundariesSQL
from geociv.store._cases_sql import CasesSQL
from geociv.store._changes_sql import ChangesSQL
from geociv.store._division_writes_sql import DivisionWritesSQL
from geociv.store._divisions_sql import DivisionReadsSQL
from geociv.store._gazetteer_sql import GazetteerSQL
from geociv.store._gpkg_index import bbox_filter, region_filter, register_functions
from geociv.store._inputs_sql import InputsSQL
from geociv.store._inspections_sql import InspectionsSQL
from geociv.store._logins_sql import LoginsSQL
from geociv.store._points_sql import PointsSQL
from geociv.store._rows import from_row
from geociv.store._sqlite_ids import first_free_serial, new_id
from geociv.store._sqlite_lock import WriterTurn
from geociv.store._sqlite_schema import (
    SCHEMA_VERSION,
    STORAGE_SRS_ID,
    ensure_geopackage,
    migrate,
    read_version,
)
from geociv.store._sqlite_tables import SQLiteTables
from geociv.store.base import Store
from geociv.store.changes import Change
from geociv.store.records import User, now_utc
from geociv.store.shared import (
    AUDIT_COLUMNS,
    ID_FORMATS,
    audit_row,
    meta_view,
    user_change,
    user_view,
)
from geociv.uploads.guard import protect

if TYPE_CHECKING:
    from shapely.geometry.base import BaseGeometry

#: Longest wait for the write lock (this process's writers, then SQLite's busy timeout).
WRITE_WAIT_S = 30.0

_USER_COLUMNS = (
    "username, role, division_code, display_name, active, created_at, last_login_at, "
    "session_version"
)


class SQLiteStore(
    DivisionReadsSQL,
    DivisionWritesSQL,
    ChangesSQL,
    GazetteerSQL,
    CasesSQL,
    PointsSQL,
    BoundariesSQL,
    InspectionsSQL,
    InputsSQL,
    LoginsSQL,
    AuditSQL,
    SQLiteTables,
    Store,
):
    """geociv store in a GeoPackage file.

    Parameters
    ----------
    path
        The ``.gpkg`` file; created with every table on first use.
    upgrade
        Run pending schema migrations (default). With ``False`` an older file is opened as is.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> with SQLiteStore(pathlib.Path(tempfile.mkdtemp()) / "s.gpkg") as store:
    ...     store.schema_version
    12
    """

    def __init__(self, path: str | Path, *, upgrade: bool = True) -> None:
        self.path = Path(path)
        self.url = str(self.path)
        self._local = threading.local()
        self._turn = WriterTurn(self.path, WRITE_WAIT_S)
        try:
            ensure_geopackage(self.path)
            conn = self._conn()
            version = read_version(conn)
            if version > SCHEMA_VERSION:
                raise SchemaVersionError(
                    f"存储文件 {self.path} 的结构版本为 {version}，高于本程序支持的 "
                    f"{SCHEMA_VERSION}：请升级 geociv"
                )
            if upgrade:
                self.upgraded_from = version
                migrate(conn)
            protect(self.path)  # no upload reader may open the live store (or its WAL)
        except sqlite3.DatabaseError as exc:
            raise StoreError(f"无法打开存储文件 {self.path}：{exc}") from exc

    # -- connections -----------------------------------------------------------------------
    # -- what the SQL shared with PostGIS asks of the backend -------------------------------
    _bbox_sql = staticmethod(bbox_filter)
    _region_sql = staticmethod(region_filter)

    @staticmethod
    def _encode_geom(table: str, geometry: BaseGeometry | None) -> bytes | None:
        """The GeoPackage blob of ``geometry`` for ``table``'s geometry column."""
        return _gpkg.encode(geometry, STORAGE_SRS_ID)

    @staticmethod
    def _decode_geom(value: bytes | None) -> BaseGeometry | None:
        return _gpkg.decode(value)

    @staticmethod
    def _new_ids(conn: sqlite3.Connection, table: str) -> Iterator[str]:
        """New ids of ``table`` for a batch: the largest serial read once, then counted on."""
        ids, serial = ID_FORMATS[table], first_free_serial(conn, table)
        while True:
            yield ids.make(serial)
            serial += 1

    @staticmethod
    def _take_id(conn: sqlite3.Connection, table: str, given: str, year: str | None = None) -> str:
        """``given``, or else the next id of ``table`` (the largest serial plus one)."""
        return given or new_id(conn, table, year)

    def _conn(self) -> sqlite3.Connection:
        conn = getattr(self._local, "conn", None)
        if conn is None:
            conn = sqlite3.connect(self.path, isolation_level=None, timeout=WRITE_WAIT_S)
            conn.row_factory = sqlite3.Row
            register_functions(conn)  # the R-tree triggers call them
            conn.execute("PRAGMA journal_mode = WAL")
            conn.execute("PRAGMA foreign_keys = ON")
            self._local.conn = conn
        return conn

    @contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        # Re-entrant: inside an open transaction (see transaction()) a write is a savepoint, so
        # a failed inner write undoes itself and the outer block decides for all of them.
        conn = self._conn()
        depth = getattr(self._local, "depth", 0)
        if depth:
            savepoint = f"geociv_{depth}"
            conn.execute(f"SAVEPOINT {savepoint}")
            self._local.depth = depth + 1
            try:
                yield conn
            except BaseException:
                conn.execute(f"ROLLBACK TO {savepoint}")
                conn.execute(f"RELEASE {savepoint}")
                raise
            finally:
                self._local.depth = depth
            conn.execute(f"RELEASE {savepoint}")
            return
        self._begin(conn)
        try:
            try:
                yield conn
            except BaseException:
                conn.execute("ROLLBACK")
                raise
            finally:
                self._local.depth = 0
            conn.execute("COMMIT")
        finally:
            self._turn.give()

    def _begin(self, conn: sqlite3.Connection) -> None:
        """Take the write turn (:mod:`geociv.store._sqlite_lock`), then SQLite's write lock
        (``BEGIN IMMEDIATE``); both are held when this returns."""
        self._turn.take()
        try:
            conn.execute("BEGIN IMMEDIATE")
            self._local.depth = 1
            # Audit entries up to here are committed; this transaction's own come after them.
            self._local.committed = conn.execute("SELECT max(id) FROM audit_log").fetchone()[0] or 0
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            self._local.depth = 0
            self._turn.give()
            raise

    @contextmanager
    def transaction(self) -> Iterator[None]:
        with self._write():
            yield

    def backup_to(self, path: Path) -> None:
        target = sqlite3.connect(path, isolation_level=None)
        try:
            self._conn().backup(target, pages=1024)
            # one self-contained file: a backup carries no -wal beside it
            target.execute("PRAGMA journal_mode = DELETE")
        finally:
            target.close()

    def close(self) -> None:
        conn = getattr(self._local, "conn", None)
        if conn is not None:
            conn.close()
            self._local.conn = None
        self._turn.close()

    @property
    def schema_version(self) -> int:
        return read_version(self._conn())

    @staticmethod
    def _audit(
        conn: sqlite3.Connection,
        *,
        actor: str,
        action: str,
        entity: str,
        key: str,
        before: dict[str, Any] | None,
        after: dict[str, Any] | None,
        note: str = "",
    ) -> None:
        row = audit_row(
            actor=actor, action=action, entity=entity, key=key, before=before, after=after,
            note=note,
        )  # fmt: skip
        conn.execute(f"INSERT INTO audit_log ({AUDIT_COLUMNS}) VALUES ({', '.join('?' * 8)})", row)

    # -- meta ------------------------------------------------------------------------------
    def get_meta(self, key: str) -> str | None:
        row = self._conn().execute("SELECT value FROM geociv_meta WHERE key = ?", (key,)).fetchone()
        return None if row is None else row[0]

    def set_meta(self, key: str, value: str, *, actor: str, secret: bool = False) -> None:
        with self._write() as conn:
            old = conn.execute("SELECT value FROM geociv_meta WHERE key = ?", (key,)).fetchone()
            conn.execute(
                "INSERT INTO geociv_meta (key, value) VALUES (?, ?) "
                "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                (key, value),
            )
            self._audit(
                conn,
                actor=actor,
                action="meta.set",
                entity="geociv_meta",
                key=key,
                before=None if old is None else meta_view(old[0], secret),
                after=meta_view(value, secret),
            )

    def delete_meta(self, key: str, *, actor: str, secret: bool = False) -> bool:
        conn = self._conn()
        # secure_delete overwrites the freed bytes; the checkpoint copies the rewritten page
        # into the file and empties the WAL, so no copy of the value stays on disk.
        conn.execute("PRAGMA secure_delete = ON")
        try:
            with self._write():
                old = conn.execute("SELECT value FROM geociv_meta WHERE key = ?", (key,)).fetchone()
                if old is None:
                    return False
                conn.execute("DELETE FROM geociv_meta WHERE key = ?", (key,))
                self._audit(
                    conn,
                    actor=actor,
                    action="meta.delete",
                    entity="geociv_meta",
                    key=key,
                    before=meta_view(old[0], secret),
                    after=None,
                )
        finally:
            conn.execute("PRAGMA secure_delete = OFF")
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        return True

    # -- users -----------------------------------------------------------------------------
    @staticmethod
    def _user(row: sqlite3.Row) -> User:
        return from_row(User, row, active=bool(row["active"]))

    def add_user(self, user: User, password_hash: str, *, actor: str) -> None:
        with self._write() as conn:
            if conn.execute("SELECT 1 FROM users WHERE username = ?", (user.username,)).fetchone():
                raise DuplicateError(f"用户 {user.username} 已存在")
            conn.execute(
                "INSERT INTO users (username, password_hash, role, division_code, display_name, "
                "active, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                (
                    user.username,
                    password_hash,
                    user.role,
                    user.division_code,
                    user.display_name,
                    int(user.active),
                    user.created_at or now_utc(),
                ),
            )
            self._audit(
                conn,
                actor=actor,
                action="users.add",
                entity="users",
                key=user.username,
                before=None,
                after=user_view(user),
            )

    def get_user(self, username: str) -> tuple[User, str] | None:
        row = (
            self._conn()
            .execute(
                f"SELECT {_USER_COLUMNS}, password_hash FROM users WHERE username = ?", (username,)
            )
            .fetchone()
        )
        return None if row is None else (self._user(row), row["password_hash"])

    def list_users(self) -> list[User]:
        rows = self._conn().execute(f"SELECT {_USER_COLUMNS} FROM users ORDER BY username")
        return [self._user(r) for r in rows]

    def update_user(
        self, username: str, *, actor: str, password_hash: str | None = None, **changes: Any
    ) -> User:
        with self._write() as conn:
            row = conn.execute(
                f"SELECT {_USER_COLUMNS} FROM users WHERE username = ?", (username,)
            ).fetchone()
            if row is None:
                raise StoreError(f"用户 {username} 不存在")
            before = self._user(row)
            plan = user_change(before, changes, password_hash is not None)
            sets = [f"{k} = ?" for k in changes]
            args: list[Any] = [int(v) if k == "active" else v for k, v in changes.items()]
            if password_hash is not None:
                sets.append("password_hash = ?")
                args.append(password_hash)
            if plan.ends_sessions:
                sets.append("session_version = session_version + 1")
            if sets:
                conn.execute(
                    f"UPDATE users SET {', '.join(sets)} WHERE username = ?", (*args, username)
                )
            after = self._user(
                conn.execute(
                    f"SELECT {_USER_COLUMNS} FROM users WHERE username = ?", (username,)
                ).fetchone()
            )
            if plan.audited:
                self._audit(
                    conn,
                    actor=actor,
                    action="users.update",
                    entity="users",
                    key=username,
                    before=user_view(before),
                    after=user_view(after),
                    note=plan.note,
                )
        return after

    def end_sessions(self, username: str, *, actor: str, action: str, note: str = "") -> int:
        with self._write() as conn:
            row = conn.execute(
                "UPDATE users SET session_version = session_version + 1 WHERE username = ? "
                "RETURNING session_version",
                (username,),
            ).fetchone()
            if row is None:
                raise StoreError(f"用户 {username} 不存在")
            self._audit(
                conn,
                actor=actor,
                action=action,
                entity="users",
                key=username,
                before={"session_version": row[0] - 1},
                after={"session_version": row[0]},
                note=note,
            )
        return row[0]

    # -- audit -----------------------------------------------------------------------------
    def record_event(
        self, *, actor: str, action: str, entity: str, key: str, note: str = ""
    ) -> None:
        with self._write() as conn:
            self._audit(
                conn,
                actor=actor,
                action=action,
                entity=entity,
                key=key,
                before=None,
                after=None,
                note=note,
            )

    def changes_since(self, entities: tuple[str, ...], after: int, *, limit: int) -> list[Change]:
        # Writers take the write lock (BEGIN IMMEDIATE) before their audit rows get ids and
        # keep it until they commit, so committed ids only grow: no entry lands behind a stamp.
        marks = ", ".join("?" * len(entities))
        rows = self._conn().execute(
            f"SELECT id, at, entity, entity_key FROM audit_log WHERE entity IN ({marks}) "
            f"AND id > ? ORDER BY id LIMIT {int(limit)}",
            (*entities, after),
        )
        committed = self._local.committed if getattr(self._local, "depth", 0) else None
        return [
            Change(i, at, entity, key, committed is None or i <= committed)
            for i, at, entity, key in rows
        ]
