"""The server backend: PostgreSQL + PostGIS behind the same :class:`~geociv.store.base.Store` API.

Every Store method is here. It follows the GeoPackage store's rules through
:mod:`geociv.store.shared`, and most of its SQL is the GeoPackage store's own (the
``_*_sql.py`` mixins, which ask each backend for its placeholder, geometry and id hooks);
divisions and users (``_pg_people.py``) and the schema (``_pg_schema.py``) are the server's own.

One psycopg connection per thread (autocommit; every logical write is one transaction, a write
inside :meth:`PostgisStore.transaction` a savepoint), geometries as WKB through PostGIS
(``ST_GeomFromWKB(…, 4490)`` in, ``ST_AsBinary`` out), and uniqueness decided in the writing
transaction: rows read ``FOR UPDATE``, unique constraints as the last word
(:class:`~geociv.errors.DuplicateError`). Every write transaction — a single write, or a block
of :meth:`PostgisStore.transaction` where a domain reads, checks and writes — holds one advisory
lock from its start to its commit, so writers take turns as the GeoPackage's do.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from geociv.errors import (
    BackendUnavailableError,
    DuplicateError,
    SchemaVersionError,
    StoreError,
)
from geociv.store._audit_reads import AuditSQL
from geociv.store._boundaries_sql import BoundariesSQL
from geociv.store._cases_sql import CasesSQL
from geociv.store._changes_sql import ChangesSQL
from geociv.store._division_writes_sql import DivisionWritesSQL
from geociv.store._divisions_sql import DivisionReadsSQL
from geociv.store._gazetteer_sql import GazetteerSQL
from geociv.store._inputs_sql import InputsSQL
from geociv.store._inspections_sql import InspectionsSQL
from geociv.store._logins_sql import LoginsSQL
from geociv.store._pg_geometry import (
    GEOM_IN,
    GEOM_OUT,
    bbox_filter,
    from_wkb,
    region_filter,
    to_wkb,
)
from geociv.store._pg_ids import new_id, note_given_id
from geociv.store._pg_people import PeoplePG
from geociv.store._pg_schema import SCHEMA_VERSION, migrate, read_version
from geociv.store._pg_tables import PgTables
from geociv.store._points_sql import PointsSQL
from geociv.store.base import Store
from geociv.store.changes import Change
from geociv.store.shared import AUDIT_COLUMNS, audit_row, meta_view


def _connect(dsn: str) -> Any:
    try:
        import psycopg
        from psycopg.rows import dict_row
    except ImportError as exc:  # the server backend is optional
        raise BackendUnavailableError(
            "PostGIS 后端需要 psycopg 驱动：pip install 'geociv[postgis]'"
        ) from exc
    try:
        return psycopg.connect(dsn, autocommit=True, row_factory=dict_row)
    except psycopg.OperationalError as exc:
        raise StoreError(f"无法连接 PostgreSQL 数据库：{exc}") from exc


class PostgisStore(
    DivisionReadsSQL, DivisionWritesSQL, ChangesSQL, GazetteerSQL, CasesSQL, PointsSQL,
    BoundariesSQL, InspectionsSQL, InputsSQL, PeoplePG, LoginsSQL, AuditSQL, PgTables, Store,
):  # fmt: skip
    """geociv store in a PostgreSQL database with PostGIS.

    Parameters
    ----------
    dsn
        A ``postgresql://`` URL (or libpq connection string) of a database where the
        ``postgis`` extension is installed; the geociv tables are created on first use.
    upgrade
        Run pending schema migrations (default).
    """

    # what the SQL shared with the GeoPackage store asks of the backend
    _mark = "%s"
    _geom_in = GEOM_IN
    _geom_out = GEOM_OUT
    _encode_geom = staticmethod(to_wkb)
    _decode_geom = staticmethod(from_wkb)
    _bbox_sql = staticmethod(bbox_filter)
    _region_sql = staticmethod(region_filter)
    _for_update = " FOR UPDATE"
    #: Held by every write transaction from its start to its commit: writes are serialised as
    #: on the GeoPackage store, and audit ids commit in order, so a cache's mark (see
    #: :meth:`changes_since`) never skips a later commit.
    _AUDIT_LOCK = 0x6175646974

    def __init__(self, dsn: str, *, upgrade: bool = True) -> None:
        self._dsn = dsn
        self.url = self._redacted()  # for messages: never the password
        self._local = threading.local()
        conn = self._conn()
        if conn.execute("SELECT 1 FROM pg_extension WHERE extname = 'postgis'").fetchone() is None:
            raise StoreError("数据库未启用 PostGIS 扩展：请先执行 CREATE EXTENSION postgis")
        version = read_version(conn)
        if version > SCHEMA_VERSION:
            raise SchemaVersionError(
                f"数据库 {self._redacted()} 的结构版本为 {version}，高于本程序支持的 "
                f"{SCHEMA_VERSION}：请升级 geociv"
            )
        self.upgraded_from = version
        if upgrade:
            migrate(conn)

    def _redacted(self) -> str:
        """The URL without a password, for messages."""
        from urllib.parse import urlsplit

        parts = urlsplit(self._dsn)
        if parts.password:
            return self._dsn.replace(f":{parts.password}@", ":***@")
        return self._dsn

    # -- connections -----------------------------------------------------------------------
    def _conn(self) -> Any:
        conn = getattr(self._local, "conn", None)
        if conn is None or conn.closed:
            conn = _connect(self._dsn)
            self._local.conn = conn
        return conn

    @contextmanager
    def _write(self) -> Iterator[Any]:
        # psycopg nests transaction blocks as savepoints: a failed inner write undoes itself
        # and the outer block decides for all of them, as on the GeoPackage store.
        import psycopg

        conn = self._conn()
        depth = getattr(self._local, "depth", 0)
        if depth == 0:
            self._local.own_audit = set()  # audit ids written by this open transaction
        self._local.depth = depth + 1
        try:
            with conn.transaction():
                if depth == 0:
                    # one writer at a time, as on the GeoPackage store: every rule a write checks
                    # (uniqueness, one case per record, numbering) is decided against the data
                    # committed before it, not against rows another writer has not committed yet
                    conn.execute("SELECT pg_advisory_xact_lock(%s)", (self._AUDIT_LOCK,))
                yield conn
        except psycopg.errors.UniqueViolation as exc:
            # the last word on uniqueness: a writer that raced past a check is refused the same
            detail = exc.diag.message_detail or exc.diag.constraint_name or ""
            raise DuplicateError(f"记录已存在（{detail}）") from exc
        finally:
            self._local.depth = depth
            if depth == 0:
                self._local.own_audit = set()

    @contextmanager
    def transaction(self) -> Iterator[None]:
        # the domain's read-check-write blocks take turns, as on the GeoPackage: the outermost
        # write holds the write lock from its start (see _write)
        with self._write():
            yield

    def backup_to(self, path: Path) -> None:
        """A ``pg_dump -Fc`` archive of the database (see :mod:`geociv.store._pg_dump`)."""
        from geociv.store._pg_dump import dump

        dump(self._dsn, path)

    def close(self) -> None:
        conn = getattr(self._local, "conn", None)
        if conn is not None:
            conn.close()
            self._local.conn = None

    @property
    def schema_version(self) -> int:
        return read_version(self._conn())

    @staticmethod
    def _new_ids(conn: Any, table: str) -> Iterator[str]:
        """New ids of ``table`` for a batch, each from the series' counter."""
        while True:
            yield new_id(conn, table)

    @staticmethod
    def _take_id(conn: Any, table: str, given: str, year: str | None = None) -> str:
        """``given`` (the series kept past it), or else the next id from the series' counter."""
        if not given:
            return new_id(conn, table, year)
        note_given_id(conn, table, given, year)
        return given

    def _audit(self, conn: Any, **entry: Any) -> None:
        # inside a write transaction, which holds the write lock (see _write)
        marks = ", ".join(["%s"] * 8)
        row = conn.execute(
            f"INSERT INTO audit_log ({AUDIT_COLUMNS}) VALUES ({marks}) RETURNING id",
            audit_row(**entry),
        ).fetchone()
        getattr(self._local, "own_audit", set()).add(row["id"])

    # -- meta ------------------------------------------------------------------------------
    def get_meta(self, key: str) -> str | None:
        row = self._conn().execute("SELECT value FROM geociv_meta WHERE key = %s", (key,))
        found = row.fetchone()
        return None if found is None else found["value"]

    def set_meta(self, key: str, value: str, *, actor: str, secret: bool = False) -> None:
        with self._write() as conn:
            old = conn.execute(
                "SELECT value FROM geociv_meta WHERE key = %s FOR UPDATE", (key,)
            ).fetchone()
            conn.execute(
                "INSERT INTO geociv_meta (key, value) VALUES (%s, %s) "
                "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                (key, value),
            )
            self._audit(
                conn, actor=actor, action="meta.set", entity="geociv_meta", key=key,
                before=None if old is None else meta_view(old["value"], secret),
                after=meta_view(value, secret),
            )  # fmt: skip

    def delete_meta(self, key: str, *, actor: str, secret: bool = False) -> bool:
        with self._write() as conn:
            old = conn.execute(
                "DELETE FROM geociv_meta WHERE key = %s RETURNING value", (key,)
            ).fetchone()
            if old is None:
                return False
            self._audit(
                conn, actor=actor, action="meta.delete", entity="geociv_meta", key=key,
                before=meta_view(old["value"], secret), after=None,
            )  # fmt: skip
        conn = self._conn()
        if conn.info.transaction_status == 0:  # not inside an outer transaction
            # the deleted row's bytes stay in the table file until vacuumed
            conn.execute("VACUUM geociv_meta")
        return True

    # -- audit -----------------------------------------------------------------------------
    def record_event(
        self, *, actor: str, action: str, entity: str, key: str, note: str = ""
    ) -> None:
        with self._write() as conn:
            self._audit(
                conn, actor=actor, action=action, entity=entity, key=key, before=None,
                after=None, note=note,
            )  # fmt: skip

    def changes_since(self, entities: tuple[str, ...], after: int, *, limit: int) -> list[Change]:
        rows = self._conn().execute(
            "SELECT id, at, entity, entity_key FROM audit_log "
            "WHERE entity = ANY(%s) AND id > %s ORDER BY id LIMIT %s",
            (list(entities), after, int(limit)),
        )
        open_tx = getattr(self._local, "depth", 0)
        own = getattr(self._local, "own_audit", set()) if open_tx else set()
        return [
            Change(r["id"], r["at"], r["entity"], r["entity_key"], r["id"] not in own) for r in rows
        ]
