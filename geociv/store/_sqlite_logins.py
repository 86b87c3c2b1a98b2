"""The ``login_attempts`` table: what the log-in throttle counts."""

from __future__ import annotations

from typing import Any

from geociv.errors import StoreError
from geociv.store.records import LoginAttempt, now_utc
from geociv.store.shared import login_audit_note, login_refusal


class LoginsSQL:
    """Log-in attempt methods of the SQLite store (expects ``_conn``, ``_write``, ``_audit``)."""

    _conn: Any
    _write: Any
    _audit: Any

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
        with self._write() as conn:
            last_ok = conn.execute(
                "SELECT max(at) FROM login_attempts WHERE username = ? AND ok = 1", (username,)
            ).fetchone()[0]
            user_since = max(since, last_ok or "")
            blocking = []
            for column, value, start, limit in (
                ("username", username, user_since, max_user),
                ("address", address, since, max_address),
            ):
                # The limit-th newest failure: when it leaves the window, fewer than the limit
                # remain and attempts are taken again.
                row = conn.execute(
                    f"SELECT at FROM login_attempts WHERE {column} = ? AND ok = 0 AND at > ? "
                    "ORDER BY at DESC, id DESC LIMIT 1 OFFSET ?",
                    (value, start, limit - 1),
                ).fetchone()
                if row is not None:
                    blocking.append(row[0])
            refused = login_refusal(blocking, window_s)
            if refused is not None:
                return refused
            cur = conn.execute(
                "INSERT INTO login_attempts (at, username, address, ok) VALUES (?, ?, ?, 0)",
                (now_utc(), username, address),
            )
            return LoginAttempt(cur.lastrowid)

    def finish_login_attempt(self, attempt_id: int, ok: bool, *, audit_note: str = "") -> None:
        with self._write() as conn:
            row = conn.execute(
                "UPDATE login_attempts SET ok = ? WHERE id = ? RETURNING username, address",
                (int(ok), attempt_id),
            ).fetchone()
            if row is None:
                raise StoreError(f"没有编号为 {attempt_id} 的登录尝试")
            username, address = row
            self._audit(
                conn,
                actor=username or "-",
                action="auth.login" if ok else "auth.login_failed",
                entity="users",
                key=username or "-",
                before=None,
                after=None,
                note=login_audit_note(address, audit_note),
            )
