"""Users, roles and passwords.

Roles: ``officer`` (地名管理员), ``inspector`` (界线联检人员), ``planner`` (规划人员) and ``admin``
(系统管理员, allowed everything). Every user belongs to a division (their bureau's adcode).
Passwords are stored as salted scrypt hashes, never in clear. Log-ins are throttled: after
:data:`MAX_USER_FAILURES` failures for one user name or :data:`MAX_ADDRESS_FAILURES` from one
client address within :data:`LOGIN_WINDOW_S` seconds every attempt is refused, even with the right
password, until the window has passed. Each user carries a session version; logging out, a new
password, a new role or division and deactivation bump it, which ends all the user's sessions.
Commands run on the server's own machine act as :func:`local_actor` (``cli:<os user>``).

Examples
--------
>>> from geociv.store import User
>>> planner = User("li", "planner", "411700")
>>> has_role(planner, "planner"), has_role(planner, "officer")
(True, False)
"""

from __future__ import annotations

import functools
import logging
import os
import re
from datetime import UTC, datetime, timedelta
from typing import NoReturn

from werkzeug.security import check_password_hash, generate_password_hash

from geociv.authority import require
from geociv.divisions import normalize_code
from geociv.errors import (
    AdcodeError,
    AuthenticationError,
    LoginThrottledError,
    PermissionDeniedError,
    Problem,
    StoreError,
    ValidationError,
)
from geociv.labels import ROLE_LABELS
from geociv.localtime import BEIJING
from geociv.store import ROLES, Store, User, now_utc

log = logging.getLogger(__name__)

USERNAME_PATTERN = re.compile(r"^[A-Za-z0-9_.\-]{2,32}$")
MIN_PASSWORD_LENGTH = 8
#: Longest password accepted (longer ones are refused before hashing).
MAX_PASSWORD_LENGTH = 256
#: At most this much of a user name given at log-in is looked up, recorded or audited.
MAX_USERNAME_RECORDED = 64
#: The log-in throttle: failures counted over this many seconds …
LOGIN_WINDOW_S = 15 * 60
#: … per user name (after the user's last success) …
MAX_USER_FAILURES = 5
#: … and per client address.
MAX_ADDRESS_FAILURES = 20
#: Prefix of the actor of commands run locally (a local admin with full jurisdiction).
LOCAL_ACTOR_PREFIX = "cli:"


@functools.cache
def _dummy_hash() -> str:
    """A hash to compare against when the user does not exist, so that a wrong user name takes
    as long as a wrong password (made on first use: importing this module stays cheap)."""
    return generate_password_hash("geociv-no-such-user")


def has_role(user: User, *roles: str) -> bool:
    """Whether ``user`` is active and has one of ``roles`` (admins have every role)."""
    return user.active and (user.role == "admin" or user.role in roles)


def require_role(user: User, *roles: str) -> None:
    """Raise :class:`PermissionDeniedError` unless ``user`` has one of ``roles``."""
    if not has_role(user, *roles):
        wanted = "、".join(ROLE_LABELS[r] for r in roles)
        raise PermissionDeniedError(f"用户 {user.username} 无权执行此操作：需要角色 {wanted}")


def local_actor() -> str:
    """The audit name of whoever runs the command line here: ``cli:<os user name>``.

    Running ``geociv`` on the server's machine with access to the store file is being its
    local administrator; the operating system, not a command-line option, says who that is.
    """
    try:
        import pwd

        name = pwd.getpwuid(os.geteuid()).pw_name
    except (ImportError, KeyError, AttributeError):
        name = os.environ.get("USERNAME") or os.environ.get("USER") or "unknown"
    return f"{LOCAL_ACTOR_PREFIX}{name}"


def is_local_actor(actor: str) -> bool:
    """Whether ``actor`` is a local command-line administrator (see :func:`local_actor`)."""
    return actor.startswith(LOCAL_ACTOR_PREFIX)


class Users:
    """User accounts kept in the store."""

    def __init__(self, store: Store) -> None:
        self.store = store

    def add(
        self,
        username: str,
        password: str,
        *,
        role: str,
        division_code: str,
        actor: str,
        display_name: str = "",
    ) -> User:
        """Create a user after checking every field; all problems are reported together."""
        problems = self._check(
            username=username, password=password, role=role, division_code=division_code
        )
        if problems:
            raise ValidationError(problems, title="用户信息有误")
        self._require_admin_over(actor, division_code, what="users.add")
        user = User(
            username=username,
            role=role,
            division_code=normalize_code(division_code),
            display_name=display_name.strip(),
            created_at=now_utc(),
        )
        self.store.add_user(user, generate_password_hash(password), actor=actor)
        return user

    def get(self, username: str) -> User | None:
        """The user, or ``None``."""
        found = self.store.get_user(username)
        return None if found is None else found[0]

    def list(self) -> list[User]:
        """All users."""
        return self.store.list_users()

    def authenticate(self, username: str, password: str, *, address: str = "") -> User:
        """Return the user if the password matches; record and audit the attempt either way.

        Parameters
        ----------
        username, password
            What was typed. Only the first :data:`MAX_USERNAME_RECORDED` characters of the
            name are recorded; a longer name never matches.
        address
            The client address (``request.remote_addr``; ``cli:<user>`` for the CLI).

        Raises
        ------
        LoginThrottledError
            Too many recent failures for the name or the address (even if the password is
            right); the message says when to try again.
        AuthenticationError
            Wrong name or password, or the account is disabled.
        """
        name = username[:MAX_USERNAME_RECORDED]
        since = datetime.now(UTC) - timedelta(seconds=LOGIN_WINDOW_S)
        claim = self.store.claim_login_attempt(
            name,
            address,
            since=since.isoformat(timespec="seconds"),
            window_s=LOGIN_WINDOW_S,
            max_user=MAX_USER_FAILURES,
            max_address=MAX_ADDRESS_FAILURES,
        )
        if claim.refused:
            self._refuse_throttled(name, address, str(claim.retry_at))
        found = self.store.get_user(username) if len(username) <= MAX_USERNAME_RECORDED else None
        ok = check_password_hash(found[1] if found else _dummy_hash(), password)
        success = bool(found and ok and found[0].active)
        note = "" if success else ("账户已停用" if found and ok else "用户名或密码错误")
        self.store.finish_login_attempt(int(claim.attempt_id or 0), success, audit_note=note)
        if not success:
            raise AuthenticationError("用户名或密码错误，或账户已停用")
        return self.store.update_user(username, actor=username, last_login_at=now_utc())

    def _refuse_throttled(self, name: str, address: str, retry_at: str) -> NoReturn:
        until = datetime.fromisoformat(retry_at)
        minutes = max(1, -(-int((until - datetime.now(UTC)).total_seconds()) // 60))
        local = until.astimezone(BEIJING).strftime("%H:%M")
        self.store.record_event(
            actor=name or "-",
            action="auth.login_throttled",
            entity="users",
            key=name or "-",
            note=f"来源地址 {address or '-'}；失败次数过多，{retry_at} 前拒绝登录",
        )
        log.warning("log-in throttled for %r from %s until %s", name, address, retry_at)
        raise LoginThrottledError(
            f"登录失败次数过多，已暂停登录：请在约 {minutes} 分钟后（北京时间 {local} 之后）再试",
            retry_at=retry_at,
        )

    def logout(self, username: str) -> None:
        """End every session of ``username`` (audited as ``auth.logout``)."""
        self.store.end_sessions(username, actor=username, action="auth.logout")

    def set_active(self, username: str, active: bool, *, actor: str) -> User:
        """Disable (``active=False``) or re-enable a user; nothing is deleted. Disabling ends
        the user's sessions and refuses their log-ins."""
        user = self._existing(username)
        self._require_admin_over(actor, user.division_code, what="users.set_active")
        return self.store.update_user(username, actor=actor, active=active)

    def set_password(self, username: str, password: str, *, actor: str) -> None:
        """Change a password (at least 8 characters)."""
        problems = self._check(password=password)
        if problems:
            raise ValidationError(problems, title="密码不符合要求")
        # The store bumps the session version with the new hash: every session ends.
        user = self._existing(username)
        if actor != username:  # one's own password needs no administrator
            self._require_admin_over(actor, user.division_code, what="users.set_password")
        self.store.update_user(
            username, actor=actor, password_hash=generate_password_hash(password)
        )

    def update(self, username: str, *, actor: str, **changes: object) -> User:
        """Change role, division_code, display_name or active."""
        user = self._existing(username)
        new_division = str(changes.get("division_code") or user.division_code)
        self._require_admin_over(
            actor, user.division_code, new_division, what="users.update"
        )
        problems = self._check(
            **{k: v for k, v in changes.items() if k in ("role", "division_code")}
        )
        if problems:
            raise ValidationError(problems, title="用户信息有误")
        if "division_code" in changes:
            changes["division_code"] = normalize_code(str(changes["division_code"]))
        return self.store.update_user(username, actor=actor, **changes)

    def _require_admin_over(self, actor: str, *divisions: str, what: str) -> None:
        """An administrator may manage only the accounts of their own division and below
        (the local administrator, ``cli:…``, any)."""
        require(self.store, actor, ("admin",), divisions=divisions, what=what)

    def _existing(self, username: str) -> User:
        user = self.get(username)
        if user is None:
            raise StoreError(f"用户 {username} 不存在")
        return user

    def _check(self, **fields: object) -> list[Problem]:
        problems = []
        if "username" in fields and not USERNAME_PATTERN.match(str(fields["username"])):
            problems.append(Problem("用户名应为 2–32 位字母、数字或 _ . -", field="username"))
        if "password" in fields and len(str(fields["password"])) < MIN_PASSWORD_LENGTH:
            problems.append(Problem(f"密码至少 {MIN_PASSWORD_LENGTH} 位", field="password"))
        if "password" in fields and len(str(fields["password"])) > MAX_PASSWORD_LENGTH:
            problems.append(Problem(f"密码至多 {MAX_PASSWORD_LENGTH} 位", field="password"))
        if "role" in fields and fields["role"] not in ROLES:
            problems.append(
                Problem(
                    f"未知角色“{fields['role']}”；可用：{'、'.join(ROLE_LABELS.values())}",
                    field="role",
                )
            )
        if "division_code" in fields:
            try:
                code = normalize_code(str(fields["division_code"]))
            except AdcodeError as exc:
                problems.append(Problem(str(exc), field="division_code"))
            else:
                if self.store.get_division(code) is None:
                    problems.append(
                        Problem(
                            f"区划 {code} 不在库中（先运行 geociv init）", field="division_code"
                        )
                    )
        return problems
