"""Users, roles and passwords.

Roles: ``officer`` (地名管理员), ``inspector`` (界线联检人员), ``planner`` (规划人员) and ``admin``
(系统管理员, allowed everything). Every user belongs to a division (their bureau's adcode).
Passwords are stored as salted scrypt hashes, never in clear.

Examples
--------
>>> from geociv.store import User
>>> planner = User("li", "planner", "411700")
>>> has_role(planner, "planner"), has_role(planner, "officer")
(True, False)
"""

from __future__ import annotations

import re

from werkzeug.security import check_password_hash, generate_password_hash

from geociv.divisions import normalize_code
from geociv.errors import (
    AdcodeError,
    AuthenticationError,
    PermissionDeniedError,
    Problem,
    StoreError,
    ValidationError,
)
from geociv.store import ROLE_LABELS, ROLES, Store, User, now_utc

USERNAME_PATTERN = re.compile(r"^[A-Za-z0-9_.\-]{2,32}$")
MIN_PASSWORD_LENGTH = 8

#: A hash to compare against when the user does not exist, so that a wrong user name takes as
#: long as a wrong password.
_DUMMY_HASH = generate_password_hash("geociv-no-such-user")


def has_role(user: User, *roles: str) -> bool:
    """Whether ``user`` is active and has one of ``roles`` (admins have every role)."""
    return user.active and (user.role == "admin" or user.role in roles)


def require_role(user: User, *roles: str) -> None:
    """Raise :class:`PermissionDeniedError` unless ``user`` has one of ``roles``."""
    if not has_role(user, *roles):
        wanted = "、".join(ROLE_LABELS[r] for r in roles)
        raise PermissionDeniedError(f"用户 {user.username} 无权执行此操作：需要角色 {wanted}")


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

    def authenticate(self, username: str, password: str) -> User:
        """Return the user if the password matches; audit the attempt either way."""
        found = self.store.get_user(username)
        ok = check_password_hash(found[1] if found else _DUMMY_HASH, password)
        if not found or not ok or not found[0].active:
            self.store.record_event(
                actor=username or "-",
                action="auth.login_failed",
                entity="users",
                key=username or "-",
                note="账户已停用" if found and ok else "用户名或密码错误",
            )
            raise AuthenticationError("用户名或密码错误，或账户已停用")
        user = self.store.update_user(username, actor=username, last_login_at=now_utc())
        self.store.record_event(actor=username, action="auth.login", entity="users", key=username)
        return user

    def set_password(self, username: str, password: str, *, actor: str) -> None:
        """Change a password (at least 8 characters)."""
        problems = self._check(password=password)
        if problems:
            raise ValidationError(problems, title="密码不符合要求")
        self._existing(username)
        self.store.update_user(
            username, actor=actor, password_hash=generate_password_hash(password)
        )

    def update(self, username: str, *, actor: str, **changes: object) -> User:
        """Change role, division_code, display_name or active."""
        self._existing(username)
        problems = self._check(
            **{k: v for k, v in changes.items() if k in ("role", "division_code")}
        )
        if problems:
            raise ValidationError(problems, title="用户信息有误")
        if "division_code" in changes:
            changes["division_code"] = normalize_code(str(changes["division_code"]))
        return self.store.update_user(username, actor=actor, **changes)

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
        if "role" in fields and fields["role"] not in ROLES:
            problems.append(
                Problem(f"未知角色 {fields['role']!r}；可用：{', '.join(ROLES)}", field="role")
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
