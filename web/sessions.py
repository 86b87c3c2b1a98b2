"""The signed session cookie, verified once per cookie value and process, not per request.

Flask's cookie session checks the cookie's signature (two HMACs), decompresses and parses it
on every request: about a tenth of the CPU of a small API answer. A logged-in client sends the
same cookie value request after request (it changes only when the session does), and whether
a value is genuine depends only on the value and the keys. So :class:`VerifiedSessionInterface`
keeps, per worker process, what each genuine value held and when it was signed:

- only values whose signature was checked are kept (a forged or altered cookie is checked
  again each time and refused, exactly as before);
- the age is checked on every request against the session lifetime, as itsdangerous does;
- each request gets its own copy; sessions holding anything but plain values (e.g. flashed
  messages, which are lists) are not kept, so nothing a request changes leaks into another;
- at most :data:`MOST_KEPT` values (then forgotten all at once); keyed by the secret keys too.

Writing the cookie (when the session changed) is Flask's own code, unchanged.
"""

from __future__ import annotations

import threading
import time
from typing import Any

from flask import Flask, Request
from flask.sessions import SecureCookieSession, SecureCookieSessionInterface
from itsdangerous import BadSignature

#: Cookie values kept per process (a few hundred bytes each).
MOST_KEPT = 4096

_PLAIN = (str, int, float, bool, type(None))


class VerifiedSessionInterface(SecureCookieSessionInterface):
    """Flask's signed cookie session; a cookie value's signature is verified once (see the
    module's note)."""

    def __init__(self) -> None:
        self._kept: dict[tuple[Any, ...], tuple[dict[str, Any], int]] = {}
        self._lock = threading.Lock()

    def open_session(self, app: Flask, request: Request) -> SecureCookieSession | None:
        """The request's session: from the kept values when its cookie was verified before
        and is not too old, else verified now (and kept)."""
        value = request.cookies.get(self.get_cookie_name(app))
        if not app.secret_key or not value:
            return super().open_session(app, request)
        max_age = int(app.permanent_session_lifetime.total_seconds())
        key = (app.secret_key, tuple(app.config["SECRET_KEY_FALLBACKS"] or ()), value)
        found = self._kept.get(key)
        if found is not None and 0 <= int(time.time()) - found[1] <= max_age:
            return self.session_class(found[0])
        serializer = self.get_signing_serializer(app)
        try:
            data, signed = serializer.loads(value, max_age=max_age, return_timestamp=True)
        except BadSignature:
            return self.session_class()
        if isinstance(data, dict) and all(isinstance(v, _PLAIN) for v in data.values()):
            self._keep(key, dict(data), int(signed.timestamp()))
        return self.session_class(data)

    def _keep(self, key: tuple[Any, ...], data: dict[str, Any], signed: int) -> None:
        with self._lock:
            if len(self._kept) >= MOST_KEPT:
                self._kept.clear()
            self._kept[key] = (data, signed)
