"""Plain records that cross the store boundary (no backend types leak out)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import Any

from shapely.geometry.base import BaseGeometry


def now_utc() -> str:
    """The current time as an ISO-8601 UTC string (what every timestamp column holds)."""
    return datetime.now(UTC).isoformat(timespec="seconds")


#: Division levels from the top of the adcode hierarchy down.
LEVELS: tuple[str, ...] = ("province", "city", "county", "township", "village")

#: Chinese label of each level, for UI and messages.
LEVEL_LABELS: dict[str, str] = {
    "province": "省级",
    "city": "地级",
    "county": "县级",
    "township": "乡级",
    "village": "村级",
}

#: ``statutory`` divisions are in GB/T 2260; ``statistical`` ones are units that only the
#: National Bureau of Statistics codes (development zones and the like).
KINDS: tuple[str, ...] = ("statutory", "statistical")

#: User roles. ``admin`` may do everything.
ROLES: tuple[str, ...] = ("officer", "inspector", "planner", "admin")

ROLE_LABELS: dict[str, str] = {
    "officer": "地名管理员",
    "inspector": "界线联检人员",
    "planner": "规划人员",
    "admin": "系统管理员",
}


@dataclass(frozen=True)
class Division:
    """One administrative division (行政区划) with its optional polygon in EPSG:4490."""

    code: str
    name: str
    level: str
    parent_code: str | None
    kind: str = "statutory"
    geometry: BaseGeometry | None = field(default=None, compare=False, repr=False)
    area_km2: float | None = None
    source: str = ""

    def attributes(self) -> dict[str, Any]:
        """The non-geometry fields as a dict (what the audit trail records)."""
        data = asdict(self)
        data.pop("geometry")
        return data


@dataclass(frozen=True)
class User:
    """A geociv user. ``division_code`` is the adcode of the user's bureau."""

    username: str
    role: str
    division_code: str
    display_name: str = ""
    active: bool = True
    created_at: str = ""
    last_login_at: str | None = None


@dataclass(frozen=True)
class AuditEntry:
    """One entry of the audit trail: who did what to which record, with before and after."""

    id: int
    at: str
    actor: str
    action: str
    entity: str
    entity_key: str
    before: dict[str, Any] | None
    after: dict[str, Any] | None
    note: str = ""


@dataclass
class UpsertCounts:
    """What a bulk write did."""

    inserted: int = 0
    updated: int = 0
    unchanged: int = 0

    @property
    def changed(self) -> int:
        """Rows inserted or updated."""
        return self.inserted + self.updated


#: Life cycle of a name record. Nothing is deleted: a name is ``retired``.
NAME_STATUSES: tuple[str, ...] = ("proposed", "approved", "published", "retired")

NAME_STATUS_LABELS: dict[str, str] = {
    "proposed": "拟用",
    "approved": "已批准",
    "published": "已公告",
    "retired": "已停用",
}


@dataclass(frozen=True)
class NameRecord:
    """A standard place name (标准地名) in the gazetteer.

    ``specific``/``generic`` are the 专名/通名 split; ``pinyin`` is the reviewed romanisation
    stored with the record (never silently recomputed); ``represents`` is the adcode of the
    division this is the name of, when it is one.
    """

    name_id: str
    name: str
    specific: str
    generic: str
    category: str
    division_code: str
    pinyin: str = ""
    pinyin_reviewed: bool = False
    status: str = "approved"
    heritage_level: str = ""
    aliases: tuple[str, ...] = ()
    source: str = ""
    represents: str | None = None
    geometry: BaseGeometry | None = field(default=None, compare=False, repr=False)
    created_at: str = field(default="", compare=False)
    updated_at: str = field(default="", compare=False)

    def attributes(self) -> dict[str, Any]:
        """Non-geometry fields for the audit trail and the API."""
        data = asdict(self)
        data.pop("geometry")
        data["aliases"] = list(self.aliases)
        return data


@dataclass(frozen=True)
class FormerName:
    """A former name (曾用名) of a record with its validity dates."""

    name_id: str
    name: str
    pinyin: str = ""
    valid_from: str | None = None
    valid_to: str | None = None
    note: str = ""
    case_id: str | None = None


@dataclass(frozen=True)
class Term:
    """An entry of an officer-extendable list (person, leader, foreign, brand names)."""

    list: str
    term: str
    note: str = ""
    added_by: str = ""


@dataclass(frozen=True)
class FindingOverride:
    """An officer's decision to accept a finding on a name, with the reason."""

    name: str
    rule_id: str
    reason: str
    actor: str
    at: str
