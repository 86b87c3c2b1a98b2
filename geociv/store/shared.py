"""Business rules of the store that do not depend on the backend.

The GeoPackage store (:mod:`geociv.store.sqlite`) and the PostGIS store
(:mod:`geociv.store.postgis`) keep the same data under the same rules: which fields a write may
change, when a user's sessions end, what an audit entry holds, how ids are formed, when a
re-loaded row counts as unchanged, when the log-in throttle refuses. Those decisions live here,
once; a backend only reads and writes rows.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any, TypeVar

from geociv.errors import Problem, StoreError, ValidationError
from geociv.store.records import AuditEntry, AuditQuery, Division, LoginAttempt, User, now_utc

if TYPE_CHECKING:
    from shapely.geometry.base import BaseGeometry

T = TypeVar("T")

#: Columns of ``audit_log`` written by :func:`audit_row`, in its order.
AUDIT_COLUMNS = "at, actor, action, entity, entity_key, before_json, after_json, note"


# -- audit entries ------------------------------------------------------------------------------
def geometry_summary(geometry: BaseGeometry | None) -> dict[str, Any] | None:
    """A short, comparable description of a geometry for the audit trail.

    >>> from shapely import Point
    >>> geometry_summary(Point(114, 33))["bounds"]
    [114.0, 33.0, 114.0, 33.0]
    """
    if geometry is None:
        return None
    import shapely

    wkb = shapely.to_wkb(geometry, byte_order=1, flavor="iso")
    return {
        "type": geometry.geom_type,
        "bounds": [round(v, 6) for v in geometry.bounds],
        "sha1": hashlib.sha1(wkb).hexdigest(),
    }


def audit_row(
    *,
    actor: str,
    action: str,
    entity: str,
    key: str,
    before: Mapping[str, Any] | None,
    after: Mapping[str, Any] | None,
    note: str = "",
) -> tuple[Any, ...]:
    """The values of one ``audit_log`` row (columns :data:`AUDIT_COLUMNS`), stamped now.

    >>> audit_row(actor="a", action="x.set", entity="t", key="k", before=None,
    ...           after={"名": 1})[1:]
    ('a', 'x.set', 't', 'k', None, '{"名": 1}', '')
    """

    def as_json(value: Mapping[str, Any] | None) -> str | None:
        return None if value is None else json.dumps(value, ensure_ascii=False)

    return (now_utc(), actor, action, entity, key, as_json(before), as_json(after), note)


def utc_bound(value: str, field: str) -> str:
    """An ISO-8601 timestamp as stored in ``audit_log.at`` (UTC, whole seconds); a time
    without zone counts as UTC.

    >>> utc_bound("2026-05-02T00:00:00+08:00", "since")
    '2026-05-01T16:00:00+00:00'
    """
    try:
        at = datetime.fromisoformat(value)
    except ValueError:
        problem = Problem(
            f"应为 ISO-8601 时间，如 2026-05-01T16:00:00+00:00，收到 {value!r}", field=field
        )
        raise ValidationError(problem, title="审计日志查询条件有误") from None
    if at.tzinfo is None:
        at = at.replace(tzinfo=UTC)
    return at.astimezone(UTC).isoformat(timespec="seconds")


def audit_where(query: AuditQuery, mark: str) -> tuple[str, list[Any]]:
    """The ``WHERE`` clause (empty without filters) and its arguments for ``query``, with
    ``mark`` as the driver's placeholder (``?`` for sqlite3, ``%s`` for psycopg)."""
    clauses: list[str] = []
    args: list[Any] = []
    for column, value in (
        ("actor", query.actor),
        ("entity", query.entity),
        ("entity_key", query.key),
        ("action", query.action),
    ):
        if value is not None:
            clauses.append(f"{column} = {mark}")
            args.append(value)
    if query.since is not None:
        clauses.append(f"at >= {mark}")
        args.append(utc_bound(query.since, "since"))
    if query.until is not None:
        clauses.append(f"at < {mark}")
        args.append(utc_bound(query.until, "until"))
    return (" WHERE " + " AND ".join(clauses) if clauses else ""), args


def audit_entry(row: Mapping[str, Any]) -> AuditEntry:
    """The audit entry of an ``audit_log`` row (JSON columns parsed)."""
    return AuditEntry(
        id=row["id"],
        at=row["at"],
        actor=row["actor"],
        action=row["action"],
        entity=row["entity"],
        entity_key=row["entity_key"],
        before=None if row["before_json"] is None else json.loads(row["before_json"]),
        after=None if row["after_json"] is None else json.loads(row["after_json"]),
        note=row["note"],
    )


def meta_view(value: str, secret: bool) -> dict[str, str]:
    """What the audit trail shows of a setting's value (``***`` for a secret)."""
    return {"value": "***" if secret else value}


# -- validation ---------------------------------------------------------------------------------
def check_fields(changes: Iterable[str], allowed: set[str] | frozenset[str], label: str) -> None:
    """Refuse a change of fields that ``label`` (e.g. ``用户``) does not have.

    >>> check_fields(["role"], {"role"}, "用户")
    >>> check_fields(["colour"], {"role"}, "用户")
    Traceback (most recent call last):
    ...
    geociv.errors.StoreError: 用户没有字段：colour
    """
    unknown = set(changes) - set(allowed)
    if unknown:
        raise StoreError(f"{label}没有字段：{', '.join(sorted(unknown))}")


def like_pattern(text: str, match: str) -> str:
    r"""A ``LIKE … ESCAPE '\'`` pattern: ``text`` as a ``prefix`` or (else) ``contains``.

    >>> like_pattern("50%_路", "prefix")
    '50\\%\\_路%'
    """
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"{escaped}%" if match == "prefix" else f"%{escaped}%"


def placeholders(mark: str, n: int) -> str:
    """``n`` placeholders for a ``VALUES`` list (``?, ?, ?`` or ``%s, %s, %s``).

    >>> placeholders("%s", 3)
    '%s, %s, %s'
    """
    return ", ".join([mark] * n)


class Args(tuple):
    """The several arguments of one condition of :func:`where_clause` (a box's four …)."""


def where_clause(conditions: Iterable[tuple[str, Any]]) -> tuple[str, list[Any]]:
    """`` WHERE a AND b`` of the ``(sql, value)`` conditions whose value is not ``None``, and
    those values (an empty clause when none is given); a value that is :class:`Args` gives
    one argument per placeholder of its condition.

    >>> where_clause([("kind = ?", "aoi"), ("status = ?", None), ("x > ? AND x < ?", Args((1, 2)))])
    (' WHERE kind = ? AND x > ? AND x < ?', ['aoi', 1, 2])
    """
    given = [(sql, value) for sql, value in conditions if value is not None]
    if not given:
        return "", []
    args: list[Any] = []
    for _, value in given:
        args.extend(value) if isinstance(value, Args) else args.append(value)
    return " WHERE " + " AND ".join(sql for sql, _ in given), args


#: (minx, miny, maxx, maxy) in EPSG:4490.
Box = tuple[float, float, float, float]


def checked_box(box: Iterable[float]) -> Box:
    """``box`` as four floats (minx, miny, maxx, maxy) with min ≤ max, or a
    :class:`~geociv.errors.ValidationError` naming the ``bbox`` field.

    >>> checked_box([114, 32.8, "114.2", 33])
    (114.0, 32.8, 114.2, 33.0)
    """
    try:
        values = tuple(float(v) for v in box)
    except (TypeError, ValueError):
        values = ()
    if len(values) != 4 or any(v != v or v in (float("inf"), float("-inf")) for v in values):
        raise ValidationError(Problem("地图范围须为 4 个数：最小经度、最小纬度、最大经度、最大纬度",
                                      field="bbox"))  # fmt: skip
    if values[0] > values[2] or values[1] > values[3]:
        raise ValidationError(Problem("地图范围的最小值大于最大值", field="bbox"))
    return values  # type: ignore[return-value]


def exact_extent(
    extent: tuple[str, str, str, str], geom: str, mark: str, box: Box
) -> tuple[str, Args]:
    """The condition that the extent of ``geom`` meets ``box`` exactly, given the SQL
    functions of the backend that read an extent's (minx, maxx, miny, maxy): what decides
    after a spatial index, whose 32-bit boxes are rounded outwards, has found the candidates.

    >>> exact_extent(("XMIN", "XMAX", "YMIN", "YMAX"), "g", "?", (1, 2, 3, 4))[1]
    (3, 1, 4, 2)
    """
    minx, maxx, miny, maxy = (f"{f}({geom})" for f in extent)
    sql = f"{minx} <= {mark} AND {maxx} >= {mark} AND {miny} <= {mark} AND {maxy} >= {mark}"
    x0, y0, x1, y1 = box
    return sql, Args((x1, x0, y1, y0))


def box_condition(
    bbox_sql: Callable[[str, Box], tuple[str, Args]], table: str, bbox: Iterable[float] | None
) -> tuple[str, Args | None]:
    """A :func:`where_clause` condition: ``table``'s rows whose geometry's extent meets
    ``bbox``, by the backend's ``bbox_sql`` hook (the spatial index); none when ``bbox`` is
    ``None``."""
    if bbox is None:
        return "", None
    return bbox_sql(table, checked_box(bbox))


@dataclass(frozen=True)
class Region:
    """What a backend's ``region_sql`` hook answers for a division filter (see the notes of
    :mod:`geociv.store.base`): the SQL condition and its arguments, and the division's polygon
    when the condition only finds candidates (the GeoPackage's R-tree) and the rows it keeps
    must still be tested exactly (:meth:`keep`); ``None`` when the SQL is exact (PostGIS)."""

    sql: str
    args: Args
    polygon: BaseGeometry | None = None

    def condition(self) -> tuple[str, Args]:
        """The :func:`where_clause` condition."""
        return self.sql, self.args

    def keep(self, items: Sequence[T], geometries: Sequence[BaseGeometry | None]) -> list[T]:
        """Those of ``items`` (the rows the SQL found) whose geometry (in ``geometries``, one
        per item) lies in the polygon, wholly or in part (its edge counts)."""
        if self.polygon is None:
            return list(items)
        import shapely

        inside = shapely.intersects(self.polygon, list(geometries))
        return [item for item, keep in zip(items, inside, strict=True) if keep]


def region_condition(
    region_sql: Callable[[Any, str, str], Region | None], conn: Any, table: str, code: str | None
) -> Region | None:
    """The division filter on ``table`` (``None`` when ``code`` is ``None``), by the backend's
    ``region_sql`` hook; a :class:`~geociv.errors.ValidationError` on the ``inside_division``
    field when the division is unknown or has no polygon."""
    if code is None:
        return None
    region = region_sql(conn, table, code)
    if region is None:
        raise ValidationError(
            Problem(f"区划 {code} 不存在或没有边界面，无法按其范围筛选", field="inside_division")
        )
    return region


def same_geometry(stored: BaseGeometry | None, given: BaseGeometry | None) -> bool:
    """Whether a stored geometry is ``given`` (to within 1e-9°): an unchanged re-load."""
    if stored is None or given is None:
        return stored is None and given is None
    return stored.equals_exact(given, 1e-9)


def upsert_outcome(old: Any, new: Any, stored_geometry: Any, geometry: Any) -> str:
    """``"inserted"``, ``"updated"`` or ``"unchanged"`` for writing ``new`` over the stored
    ``old`` (``None`` when there is none): a row equal in fields and geometry is left alone."""
    if old is None:
        return "inserted"
    if old == new and same_geometry(stored_geometry, geometry):
        return "unchanged"
    return "updated"


# -- divisions ----------------------------------------------------------------------------------
def division_view(division: Division) -> dict[str, Any]:
    """A division as the audit trail records it."""
    return {**division.attributes(), "geometry": geometry_summary(division.geometry)}


def division_where(
    *,
    parent: str | None = None,
    level: str | None = None,
    name: str | None = None,
    match: str = "exact",
    include_statistical: bool = True,
    within: str | None = None,
    mark: str,
    extra: tuple[str, Args | None] = ("", None),
    code: str | None = None,
    on: str | None = None,
    table: str = "divisions",
) -> tuple[str, list[Any]]:
    """The ``WHERE`` clause (empty without filters) and its arguments of
    :meth:`~geociv.store.base.Store.query_divisions`, with ``mark`` as the placeholder.

    ``within`` selects the codes that start with it as a range of the code index (codes are
    digits, and ``:`` sorts right after ``9``); ``extra`` is one more condition with its
    arguments (the box filter, :func:`box_condition`). Without ``on`` only the divisions in
    force; with ``on`` (``YYYY-MM-DD``) the versions in force that day, of ``table``
    (``divisions`` or ``division_versions``, whose ``valid_to`` is never empty).

    >>> where, args = division_where(parent="411700", level=None, name="西平", match="prefix",
    ...                              include_statistical=False, mark="?")
    >>> args, where.count("?"), where.endswith("kind = 'statutory'")
    (['411700', '西平%'], 2, True)
    """
    clauses, args = validity_condition(on, mark, table)
    if within:
        clauses += [f"code >= {mark}", f"code < {mark}"]
        args += [within, within + ":"]
    for column, value in (("code", code), ("parent_code", parent), ("level", level)):
        if value is not None:
            clauses.append(f"{column} = {mark}")
            args.append(value)
    if name is not None and match == "exact":
        clauses.append(f"name = {mark}")
        args.append(name)
    elif name is not None:
        clauses.append(f"name LIKE {mark} ESCAPE '\\'")
        args.append(like_pattern(name, match))
    if not include_statistical:
        clauses.append("kind = 'statutory'")
    if extra[1] is not None:
        clauses.append(extra[0])
        args += extra[1]
    return (" WHERE " + " AND ".join(clauses) if clauses else ""), args


def validity_condition(
    on: str | None, mark: str, table: str = "divisions"
) -> tuple[list[str], list[Any]]:
    """The conditions (and arguments) that keep the versions in force on the day ``on``, or,
    without a day, the divisions in force now.

    >>> validity_condition(None, "?")
    (['valid_to IS NULL'], [])
    >>> validity_condition("2018-01-01", "?")[0]
    ['(valid_from IS NULL OR valid_from <= ?)', '(valid_to IS NULL OR valid_to > ?)']
    """
    if on is None:
        return (["valid_to IS NULL"] if table == "divisions" else []), []
    return (
        [
            f"(valid_from IS NULL OR valid_from <= {mark})",
            f"(valid_to IS NULL OR valid_to > {mark})",
        ],
        [on, on],
    )


def split_codes(text: str | None) -> tuple[str, ...]:
    """Codes kept comma-separated in one column, as a tuple (``""`` → ``()``)."""
    return tuple(c for c in (text or "").split(",") if c)


def join_codes(codes: Iterable[str]) -> str:
    """The inverse of :func:`split_codes`."""
    return ",".join(codes)


# -- users --------------------------------------------------------------------------------------
#: Fields of a user that :meth:`~geociv.store.base.Store.update_user` may change.
USER_FIELDS = frozenset({"role", "division_code", "display_name", "active", "last_login_at"})
#: Changes that end every session of the user (their session version is bumped).
SESSION_ENDING = ("role", "division_code", "active")


def user_view(user: User) -> dict[str, Any]:
    """A user as the audit trail records it (never the password hash)."""
    return {k: getattr(user, k) for k in ("role", "division_code", "display_name", "active")}


@dataclass(frozen=True)
class UserChange:
    """What an :meth:`~geociv.store.base.Store.update_user` call does besides the new values."""

    #: the user's sessions end (their session version is bumped)
    ends_sessions: bool
    #: the change is audited (a log-in stamp alone is not)
    audited: bool
    #: the audit note
    note: str


def user_change(before: User, changes: Mapping[str, Any], new_password: bool) -> UserChange:
    """Decide what changing ``before`` by ``changes`` (and a new password) entails.

    >>> old = User("u", "officer", "411702")
    >>> user_change(old, {"role": "planner"}, False)
    UserChange(ends_sessions=True, audited=True, note='该用户的会话已全部结束')
    >>> user_change(old, {"last_login_at": "2026-05-01T00:00:00+00:00"}, False).audited
    False
    """
    check_fields(changes, USER_FIELDS, "用户")
    ending = new_password or any(
        k in changes and changes[k] != getattr(before, k) for k in SESSION_ENDING
    )
    notes = ["密码已更改"] if new_password else []
    notes += ["该用户的会话已全部结束"] if ending else []
    audited = bool(set(changes) - {"last_login_at"}) or new_password
    return UserChange(ending, audited, "；".join(notes))


# -- point records edited field by field --------------------------------------------------------
#: Fields of a sign that :meth:`~geociv.store.base.Store.update_sign` may change.
SIGN_FIELDS = frozenset(
    {"name_id", "sign_type", "text", "pinyin", "location", "installed_on", "status", "installer",
     "remarks"}
)  # fmt: skip
#: Fields of a facility that :meth:`~geociv.store.base.Store.update_facility` may change.
FACILITY_FIELDS = frozenset(
    {"name", "type", "location", "capacity_beds", "status", "division_code", "address", "source"}
)


# -- log-in throttle ----------------------------------------------------------------------------
def login_refusal(blocking: Iterable[str], window_s: int) -> LoginAttempt | None:
    """The refused attempt when a limit is reached: ``blocking`` holds, per limit reached, the
    time of the limit-th newest counted failure; the attempt is taken again when the newest of
    them leaves the window. ``None`` (not refused) when no limit is reached."""
    times = list(blocking)
    if not times:
        return None
    free_at = datetime.fromisoformat(max(times)) + timedelta(seconds=window_s)
    return LoginAttempt(None, free_at.isoformat(timespec="seconds"))


def login_audit_note(address: str, audit_note: str = "") -> str:
    """The audit note of a finished log-in attempt (the client address first)."""
    note = f"来源地址 {address or '-'}"
    return f"{note}；{audit_note}" if audit_note else note


# -- ids ----------------------------------------------------------------------------------------
@dataclass(frozen=True)
class IdFormat:
    """How the ids of one table are made: a prefix (with the year for yearly series) and a
    zero-padded serial.

    >>> ID_FORMATS["name_cases"].make(7, year="2026"), ID_FORMATS["facilities"].make(12)
    ('C2026-0007', 'F000012')
    """

    table: str
    column: str
    letter: str
    width: int
    yearly: bool = False

    def prefix(self, year: str | None = None) -> str:
        """The part before the serial (``C2026-`` for a yearly series)."""
        if self.yearly:
            if not year:
                raise StoreError(f"{self.table} 的编号需要年份")
            return f"{self.letter}{year}-"
        return self.letter

    def make(self, serial: int, year: str | None = None) -> str:
        """The id with this serial."""
        return f"{self.prefix(year)}{serial:0{self.width}d}"

    def serial_of(self, key: str, year: str | None = None) -> int | None:
        """The serial of an id of this format (``None`` for an id of another form)."""
        prefix = self.prefix(year)
        tail = key[len(prefix) :] if key.startswith(prefix) else ""
        return int(tail) if tail.isdigit() else None


#: Id formats by table: ``F000001`` facilities, ``C2026-0001`` naming cases, …
ID_FORMATS: dict[str, IdFormat] = {
    f.table: f
    for f in (
        IdFormat("name_cases", "case_id", "C", 4, yearly=True),
        IdFormat("inspection_records", "record_id", "I", 4, yearly=True),
        IdFormat("signs", "sign_id", "S", 6),
        IdFormat("facilities", "facility_id", "F", 6),
        IdFormat("coverage_runs", "run_id", "R", 6),
        IdFormat("road_networks", "network_id", "RN", 4),
        IdFormat("population_rasters", "raster_id", "PR", 4),
        IdFormat("zone_sets", "set_id", "ZS", 4),
        IdFormat("division_cases", "case_id", "D", 4, yearly=True),
        IdFormat("division_proposals", "proposal_id", "P", 6),
        IdFormat("survey_tasks", "task_id", "K", 4, yearly=True),
    )
}


def next_serial(keys: Iterable[str], prefix: str) -> int:
    """One more than the largest numeric suffix after ``prefix`` among ``keys``.

    >>> next_serial(["F000002", "F000010", "Fx", "G000099"], "F")
    11
    """
    serials = [
        int(key[len(prefix) :])
        for key in keys
        if key.startswith(prefix) and key[len(prefix) :].isdigit()
    ]
    return max(serials, default=0) + 1
