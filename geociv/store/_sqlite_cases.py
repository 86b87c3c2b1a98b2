"""SQL of the place-name signs (signs, sign_patrols) for the GeoPackage store. Mixed into
:class:`~geociv.store.sqlite.SQLiteStore`. (The naming/renaming cases, whose SQL serves both
backends, are in :mod:`geociv.store._cases_sql`.)
"""

from __future__ import annotations

import hashlib
import sqlite3
from typing import Any

from geociv.errors import DuplicateError, StoreError
from geociv.store import _gpkg
from geociv.store._rows import from_row
from geociv.store._sqlite_ids import new_id
from geociv.store._sqlite_points import update_point_record
from geociv.store._sqlite_schema import STORAGE_SRS_ID
from geociv.store.records import (
    Patrol,
    Sign,
    now_utc,
)
from geociv.store.shared import SIGN_FIELDS
from geociv.uploads.media import thumbnail

_SIGN_COLUMNS = (
    "sign_id, name_id, sign_type, text, pinyin, geom, installed_on, status, installer, "
    "remarks, created_at, updated_at"
)
_PATROL_META = (
    "id, sign_id, patrolled_on, condition, inspector, remarks, photo_filename, recorded_by, "
    "recorded_at"
)


def _sign(row: sqlite3.Row) -> Sign:
    return from_row(Sign, row, location=_gpkg.decode(row["geom"]))


def _patrol(row: sqlite3.Row, with_photo: bool) -> Patrol:
    photo = row["photo"] if with_photo else None
    return from_row(Patrol, row, photo=None if photo is None else bytes(photo))


class SignsSQL:
    """Place-name sign methods of the SQLite store (expects ``_conn``, ``_write`` and
    ``_audit``)."""

    _conn: Any
    _write: Any
    _audit: Any

    def add_sign(self, sign: Sign, *, actor: str) -> Sign:
        stamp = now_utc()
        with self._write() as conn:
            sign_id = sign.sign_id
            if not sign_id:
                sign_id = new_id(conn, "signs")
            elif conn.execute("SELECT 1 FROM signs WHERE sign_id = ?", (sign_id,)).fetchone():
                raise DuplicateError(f"地名标志 {sign_id} 已存在")
            conn.execute(
                f"INSERT INTO signs ({_SIGN_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    sign_id,
                    sign.name_id,
                    sign.sign_type,
                    sign.text,
                    sign.pinyin,
                    _gpkg.encode(sign.location, STORAGE_SRS_ID),
                    sign.installed_on,
                    sign.status,
                    sign.installer,
                    sign.remarks,
                    stamp,
                    stamp,
                ),
            )
            stored = self._load_sign(conn, sign_id)
            self._audit(
                conn,
                actor=actor,
                action="signs.add",
                entity="signs",
                key=sign_id,
                before=None,
                after=stored.attributes(),
            )
        return stored

    @staticmethod
    def _load_sign(conn: sqlite3.Connection, sign_id: str) -> Sign:
        row = conn.execute(
            f"SELECT {_SIGN_COLUMNS} FROM signs WHERE sign_id = ?", (sign_id,)
        ).fetchone()
        if row is None:
            raise StoreError(f"地名标志 {sign_id} 不存在")
        return _sign(row)

    def update_sign(self, sign_id: str, *, actor: str, **changes: Any) -> Sign:
        with self._write() as conn:
            return update_point_record(
                conn, table="signs", key_column="sign_id", key=sign_id, changes=changes,
                allowed=SIGN_FIELDS, label="地名标志", load=self._load_sign,
                audit=self._audit, actor=actor,
            )  # fmt: skip

    def get_sign(self, sign_id: str) -> Sign | None:
        row = (
            self._conn()
            .execute(f"SELECT {_SIGN_COLUMNS} FROM signs WHERE sign_id = ?", (sign_id,))
            .fetchone()
        )
        return None if row is None else _sign(row)

    def query_signs(
        self,
        *,
        name_id: str | None = None,
        status: str | None = None,
        include_removed: bool = True,
    ) -> list[Sign]:
        where, args = [], []
        if name_id is not None:
            where.append("name_id = ?")
            args.append(name_id)
        if status is not None:
            where.append("status = ?")
            args.append(status)
        if not include_removed:
            where.append("status != 'removed'")
        sql = f"SELECT {_SIGN_COLUMNS} FROM signs"
        if where:
            sql += " WHERE " + " AND ".join(where)
        rows = self._conn().execute(sql + " ORDER BY sign_id", args).fetchall()
        return [_sign(r) for r in rows]

    def add_patrol(self, patrol: Patrol, *, actor: str) -> Patrol:
        small = None if patrol.photo is None else thumbnail(patrol.photo)
        stamp = now_utc()
        with self._write() as conn:
            if not conn.execute(
                "SELECT 1 FROM signs WHERE sign_id = ?", (patrol.sign_id,)
            ).fetchone():
                raise StoreError(f"地名标志 {patrol.sign_id} 不存在")
            cur = conn.execute(
                "INSERT INTO sign_patrols (sign_id, patrolled_on, condition, inspector, remarks, "
                "photo, photo_filename, recorded_by, recorded_at, photo_thumbnail) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    patrol.sign_id,
                    patrol.patrolled_on,
                    patrol.condition,
                    patrol.inspector,
                    patrol.remarks,
                    None if patrol.photo is None else sqlite3.Binary(patrol.photo),
                    patrol.photo_filename,
                    actor,
                    stamp,
                    None if small is None else sqlite3.Binary(small),
                ),
            )
            row = conn.execute(
                f"SELECT {_PATROL_META} FROM sign_patrols WHERE id = ?", (cur.lastrowid,)
            ).fetchone()
            stored = _patrol(row, with_photo=False)
            after = stored.attributes()
            if patrol.photo is not None:
                after["photo_sha256"] = hashlib.sha256(patrol.photo).hexdigest()
            self._audit(
                conn,
                actor=actor,
                action="signs.patrol",
                entity="signs",
                key=patrol.sign_id,
                before=None,
                after=after,
                note=patrol.remarks,
            )
        return stored

    def patrol_thumbnail(self, patrol_id: int) -> bytes | None:
        row = (
            self._conn()
            .execute("SELECT photo_thumbnail FROM sign_patrols WHERE id = ?", (int(patrol_id),))
            .fetchone()
        )
        return None if row is None or row[0] is None else bytes(row[0])

    def patrols(self, sign_id: str | None = None, *, with_photo: bool = False) -> list[Patrol]:
        columns = _PATROL_META + (", photo" if with_photo else "")
        sql = f"SELECT {columns} FROM sign_patrols"
        args: tuple[str, ...] = ()
        if sign_id is not None:
            sql += " WHERE sign_id = ?"
            args = (sign_id,)
        rows = self._conn().execute(sql + " ORDER BY patrolled_on, id", args).fetchall()
        return [_patrol(r, with_photo) for r in rows]
