"""SQL of the divisions and users tables for the PostGIS store. Mixed into
:class:`~geociv.store.postgis.PostgisStore`; the rules come from :mod:`geociv.store.shared`."""

from __future__ import annotations

from typing import Any

from geociv.errors import DuplicateError, StoreError
from geociv.store._rows import from_row
from geociv.store.records import User, now_utc
from geociv.store.shared import (
    user_change,
    user_view,
)

_USER_COLUMNS = (
    "username, role, division_code, display_name, active, created_at, last_login_at, "
    "session_version"
)


def _user(row: dict[str, Any]) -> User:
    return from_row(User, row)


class PeoplePG:
    """Divisions and users (expects ``_conn``, ``_write`` and ``_audit``)."""

    _conn: Any
    _write: Any
    _audit: Any

    # -- divisions -------------------------------------------------------------------------
    # -- users -----------------------------------------------------------------------------
    def add_user(self, user: User, password_hash: str, *, actor: str) -> None:
        with self._write() as conn:
            sql = "SELECT 1 FROM users WHERE username = %s FOR UPDATE"
            if conn.execute(sql, (user.username,)).fetchone():
                raise DuplicateError(f"用户 {user.username} 已存在")
            conn.execute(
                "INSERT INTO users (username, password_hash, role, division_code, "
                "display_name, active, created_at) VALUES (%s, %s, %s, %s, %s, %s, %s)",
                (user.username, password_hash, user.role, user.division_code,
                 user.display_name, bool(user.active), user.created_at or now_utc()),
            )  # fmt: skip
            self._audit(
                conn, actor=actor, action="users.add", entity="users", key=user.username,
                before=None, after=user_view(user),
            )  # fmt: skip

    def get_user(self, username: str) -> tuple[User, str] | None:
        row = (
            self._conn()
            .execute(
                f"SELECT {_USER_COLUMNS}, password_hash FROM users WHERE username = %s",
                (username,),
            )
            .fetchone()
        )
        return None if row is None else (_user(row), row["password_hash"])

    def list_users(self) -> list[User]:
        rows = self._conn().execute(f"SELECT {_USER_COLUMNS} FROM users ORDER BY username")
        return [_user(r) for r in rows]

    def update_user(
        self, username: str, *, actor: str, password_hash: str | None = None, **changes: Any
    ) -> User:
        with self._write() as conn:
            row = conn.execute(
                f"SELECT {_USER_COLUMNS} FROM users WHERE username = %s FOR UPDATE", (username,)
            ).fetchone()
            if row is None:
                raise StoreError(f"用户 {username} 不存在")
            before = _user(row)
            plan = user_change(before, changes, password_hash is not None)
            sets = [f"{k} = %s" for k in changes]
            args: list[Any] = [bool(v) if k == "active" else v for k, v in changes.items()]
            if password_hash is not None:
                sets.append("password_hash = %s")
                args.append(password_hash)
            if plan.ends_sessions:
                sets.append("session_version = session_version + 1")
            if sets:
                conn.execute(
                    f"UPDATE users SET {', '.join(sets)} WHERE username = %s", (*args, username)
                )
            after = _user(
                conn.execute(
                    f"SELECT {_USER_COLUMNS} FROM users WHERE username = %s", (username,)
                ).fetchone()
            )
            if plan.audited:
                self._audit(
                    conn, actor=actor, action="users.update", entity="users", key=username,
                    before=user_view(before), after=user_view(after), note=plan.note,
                )  # fmt: skip
        return after

    def end_sessions(self, username: str, *, actor: str, action: str, note: str = "") -> int:
        with self._write() as conn:
            row = conn.execute(
                "UPDATE users SET session_version = session_version + 1 WHERE username = %s "
                "RETURNING session_version",
                (username,),
            ).fetchone()
            if row is None:
                raise StoreError(f"用户 {username} 不存在")
            version = row["session_version"]
            self._audit(
                conn, actor=actor, action=action, entity="users", key=username,
                before={"session_version": version - 1}, after={"session_version": version},
                note=note,
            )  # fmt: skip
        return version
