"""Who may write what, where: role and jurisdiction, checked in one place.

Every write of a domain service names its ``actor``. :func:`authority_of` resolves that name
through the store to what the actor may do; :func:`require` and :func:`require_line` refuse
with :class:`~geociv.errors.PermissionDeniedError` (HTTP 403) when the role or the division
does not fit. The API, the pages and the CLI all go through the services, so all of them get
the same answer.

The rules:

- A user account acts with its role (``admin`` has every role) inside its division: a city
  user (``411700``) covers its counties (``4117xx``) and their townships and villages; a
  province-level user covers everything below it (:func:`within`). Admins are bounded by
  their division too. A deactivated account may not write at all.
- ``system`` and ``cli:<os user>`` are the local administrator (whoever runs the program on
  the store file): every role, every division. So is any other name that is not a user
  account (a script calling the library with ``actor="import-job"``); such a name can only
  come from code running with the store file in hand, never from the web app, whose actor is
  always the logged-in account.
- ``anonymous`` and an empty actor may not write.
- Boundary-line records (markers, plans, inspection records, corrections, photos) belong to
  the two sides of the line: a user may write them if their division is on one side of the
  line (:func:`side_of`) or contains one side (a city inspector covers its counties' lines).

Examples
--------
>>> within("411721", "411721"), within("411721001", "411700"), within("411722", "411702")
(True, True, False)
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass

from shapely.geometry.base import BaseGeometry

from geociv.errors import PermissionDeniedError, Problem
from geociv.labels import ROLE_LABELS
from geociv.store import BoundaryLine, Store

logger = logging.getLogger(__name__)

#: Actor names that never write (a request without a logged-in user).
ANONYMOUS_ACTORS = frozenset({"", "anonymous"})


def code_prefix(code: str) -> str:
    """The prefix every code inside division ``code`` starts with.

    >>> [code_prefix(c) for c in ("410000", "411700", "411702", "411702001")]
    ['41', '4117', '411702', '411702001']
    """
    if len(code) == 6:
        if code.endswith("0000"):
            return code[:2]
        if code.endswith("00"):
            return code[:4]
    return code


def within(code: str, unit: str) -> bool:
    """Whether division ``code`` is ``unit`` or lies inside it (by code prefix).

    >>> within("411721", "411721"), within("411721001", "411721"), within("411700", "411721")
    (True, True, False)
    """
    return bool(unit) and bool(code) and code.startswith(code_prefix(unit))


def side_unit(code: str, level: str) -> str:
    """The division that stands for a side of a line of ``level``: the county for a county
    line, its city for a city line, its province for a provincial line.

    >>> [side_unit("411702", level) for level in ("county", "city", "provincial")]
    ['411702', '411700', '410000']
    """
    if not code:
        return ""
    if level == "city":
        return code[:4] + "00"
    if level == "provincial":
        return code[:2] + "0000"
    return code


def side_of(code: str, line: BoundaryLine) -> str | None:
    """``left`` or ``right``: the side of ``line`` that division ``code`` belongs to (equal
    to, or inside, that side's division at the line's level); ``None`` if neither."""
    for side, side_code in (("left", line.left_code), ("right", line.right_code)):
        if side_code and within(code, side_unit(side_code, line.level)):
            return side
    return None


@dataclass(frozen=True)
class Authority:
    """What an actor may do: ``role`` inside ``division_code`` (empty: everywhere).

    ``local`` marks the local administrator (``system``, ``cli:…``, a library caller).
    """

    actor: str
    role: str
    division_code: str = ""
    local: bool = False

    def has_role(self, *roles: str) -> bool:
        """Whether the actor has one of ``roles`` (admins have every role)."""
        return self.role == "admin" or self.role in roles

    def covers(self, code: str | None) -> bool:
        """Whether division ``code`` lies within the actor's jurisdiction."""
        return self.local or not self.division_code or within(str(code or ""), self.division_code)

    def covers_line(self, line: BoundaryLine) -> bool:
        """Whether the actor may write records of ``line``: their division is on one side of
        it, or contains one side."""
        if self.local or not self.division_code:
            return True
        if side_of(self.division_code, line) is not None:
            return True
        return any(self.covers(code) for code in (line.left_code, line.right_code) if code)

    @property
    def label(self) -> str:
        """How messages name the actor."""
        if self.local:
            return f"本机管理员 {self.actor}"
        role = ROLE_LABELS.get(self.role, self.role)
        return f"用户 {self.actor}（{role}，区划 {self.division_code}）"


def authority_of(store: Store, actor: str) -> Authority:
    """Resolve ``actor`` to what it may do.

    Raises
    ------
    PermissionDeniedError
        The actor is anonymous, or the account is deactivated.
    """
    name = (actor or "").strip()
    if name in ANONYMOUS_ACTORS:
        raise PermissionDeniedError("未登录的用户不能写入")
    found = store.get_user(name)
    if found is None:
        return Authority(name, "admin", "", local=True)
    user = found[0]
    if not user.active:
        raise PermissionDeniedError(f"用户 {name} 已停用，不能写入")
    return Authority(name, user.role, user.division_code)


def _deny(store: Store, who: Authority, what: str, message: str) -> None:
    """Audit a refused write and raise :class:`PermissionDeniedError` with ``message``."""
    logger.info("refused %s for %s: %s", what, who.actor, message)
    store.record_event(actor=who.actor, action="auth.denied", entity="authority", key=what,
                       note=message[:500])  # fmt: skip
    raise PermissionDeniedError(message)


def require(
    store: Store,
    actor: str,
    roles: Iterable[str],
    *,
    divisions: Iterable[str | None] = (),
    field: str = "division_code",
    what: str = "",
) -> Authority:
    """Check that ``actor`` has one of ``roles`` and that every code in ``divisions`` lies
    within their jurisdiction; return their :class:`Authority`.

    Parameters
    ----------
    roles
        The roles allowed (admins always are).
    divisions
        Division codes the write touches (the record's division; old and new ones for a
        change). ``None`` and empty codes are ignored.
    field
        The field that holds the division, named in the refusal.
    what
        What is being written (an action name such as ``names.add``), for the audit trail.

    Raises
    ------
    PermissionDeniedError
        Naming the missing role, or the division outside the jurisdiction and its field.
    """
    roles = tuple(roles)
    who = authority_of(store, actor)
    if not who.has_role(*roles):
        wanted = "、".join(ROLE_LABELS.get(r, r) for r in roles)
        _deny(store, who, what, f"{who.label}无权执行此操作：需要角色 {wanted}")
    outside = sorted({str(c) for c in divisions if c and not who.covers(str(c))})
    if outside:
        problem = Problem(f"区划 {'、'.join(outside)} 不在{who.label}的管辖范围内", field=field)
        _deny(store, who, what, str(problem))
    return who


def require_line(
    store: Store,
    actor: str,
    line: BoundaryLine,
    *,
    roles: Iterable[str] = ("inspector",),
    field: str = "line_id",
    what: str = "",
) -> Authority:
    """Check that ``actor`` has one of ``roles`` and may write records of ``line`` (their
    division is on, or contains, one side of it).

    Raises
    ------
    PermissionDeniedError
        Naming the missing role, or the line, its two sides and the field.
    """
    who = require(store, actor, roles, what=what)
    if not who.covers_line(line):
        sides = "、".join(c for c in (line.left_code, line.right_code) if c)
        problem = Problem(
            f"界线 {line.name or line.line_id}（{line.line_id}，两侧区划 {sides}）"
            f"不是{who.label}所在一方的界线，不能写入",
            field=field,
        )
        _deny(store, who, what, str(problem))
    return who


def problems_outside(
    who: Authority, codes: Iterable[tuple[int | None, str | None]], field: str
) -> list[Problem]:
    """For imports: one problem per ``(row, code)`` whose division lies outside ``who``'s
    jurisdiction."""
    return [
        Problem(f"区划 {code} 不在{who.label}的管辖范围内", row=row, field=field)
        for row, code in codes
        if code and not who.covers(str(code))
    ]


def refuse_rows(store: Store, who: Authority, problems: list[Problem], what: str) -> None:
    """Refuse an import whose rows lie outside the jurisdiction (``problems`` from
    :func:`problems_outside`); nothing is written."""
    if problems:
        shown = "；".join(str(p) for p in problems[:20])
        more = f"；等共 {len(problems)} 行" if len(problems) > 20 else ""
        _deny(store, who, what, f"有 {len(problems)} 行超出管辖范围，未导入：{shown}{more}")


def lines_outside(
    who: Authority, rows: Iterable[tuple[int | None, BoundaryLine | None]], field: str
) -> list[Problem]:
    """For imports of boundary records: one problem per ``(row, line)`` whose line ``who``
    may not write (see :meth:`Authority.covers_line`)."""
    return [
        Problem(
            f"界线 {line.name or line.line_id}（{line.line_id}）不是{who.label}所在一方的界线",
            row=row,
            field=field,
        )
        for row, line in rows
        if line is not None and not who.covers_line(line)
    ]


def points_outside(
    store: Store,
    who: Authority,
    rows: Iterable[tuple[int | None, str | None, BaseGeometry | None]],
    field: str,
    *,
    uncoded: bool = True,
) -> list[Problem]:
    """For point records with an optional division (facilities): one problem per
    ``(row, code, point)`` whose code lies outside ``who``'s jurisdiction, or, without a code
    and when ``uncoded`` is true, whose point lies outside the polygon of ``who``'s division
    (refused too when the store has no such polygon to decide with). With ``uncoded`` false,
    rows without a code are reference points of no division and pass."""
    if who.local or not who.division_code:
        return []
    division = store.get_division(who.division_code)
    polygon = None if division is None else division.geometry
    out = []
    for row, code, point in rows:
        if code:
            if not who.covers(code):
                out.append(Problem(f"区划 {code} 不在{who.label}的管辖范围内", row=row,
                                   field="division_code"))  # fmt: skip
        elif uncoded and (polygon is None or point is None or not polygon.covers(point)):
            out.append(Problem(f"位置不在{who.label}的辖区内，且未填写本辖区的区划代码",
                               row=row, field=field))  # fmt: skip
    return out
