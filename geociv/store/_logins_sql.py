"""The ``login_attempts`` table: what the log-in throttle counts.

The SQL is the same on both backends (``TRUE``/``FALSE`` and ``RETURNING`` are understood by
SQLite and PostgreSQL alike); only the driver's placeholder (``_mark``) differs. The
count-then-record cannot interleave: a write transaction excludes other writers on both backends
(SQLite's ``BEGIN IMMEDIATE``, the PostGIS store's write lock).
"""

from __future__ import annotations

from typing import Any

from geociv.errors import StoreError
from geociv.store.records import LoginAttempt, now_utc
from geociv.store.shared import login_audit_note, login_refusal


class LoginsSQL:
    """Log-in attempt methods of a store (expects ``_conn``, ``_write``, ``_audit`` and
    ``_mark``)."""

    _conn: Any
    _write: Any
    _audit: Any
    _mark = "?"

    def claim_login_attempt(
        self,
        username: str,
        address: str,
        *,
        since: str,
        window_s: int,
        max_user: int,
        max_address: int,
    ) -> LoginAttempt:
        m = self._mark
        with self._write() as conn:
            last_ok = conn.execute(
                f"SELECT max(at) AS at FROM login_attempts WHERE username = {m} AND ok",
                (username,),
            ).fetchone()["at"]
            user_since = max(since, last_ok or "")
            blocking = []
            for column, value, start, limit in (
                ("username", username, user_since, max_user),
                ("address", address, since, max_address),
            ):
                # The limit-th newest failure: when it leaves the window, fewer than the limit
                # remain and attempts are taken again.
                row = conn.execute(
                    f"SELECT at FROM login_attempts WHERE {column} = {m} AND NOT ok AND at > {m} "
                    f"ORDER BY at DESC, id DESC LIMIT 1 OFFSET {m}",
                    (value, start, limit - 1),
                ).fetchone()
                if row is not None:
                    blocking.append(row["at"])
            refused = login_refusal(blocking, window_s)
            if refused is not None:
                return refused
            row = conn.execute(
                "INSERT INTO login_attempts (at, username, address, ok) "
                f"VALUES ({m}, {m}, {m}, FALSE) RETURNING id",
                (now_utc(), username, address),
            ).fetchone()
            return LoginAttempt(row["id"])

    def finish_login_attempt(self, attempt_id: int, ok: bool, *, audit_note: str = "") -> None:
        m = self._mark
        with self._write() as conn:
            row = conn.execute(
                f"UPDATE login_attempts SET ok = {m} WHERE id = {m} RETURNING username, address",
                (bool(ok), attempt_id),
            ).fetchone()
            if row is None:
                raise StoreError(f"没有编号为 {attempt_id} 的登录尝试")
            username = row["username"] or "-"
            self._audit(
                conn,
                actor=username,
                action="auth.login" if ok else "auth.login_failed",
                entity="users",
                key=username,
                before=None,
                after=None,
                note=login_audit_note(row["address"], audit_note),
            )
