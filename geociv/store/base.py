"""The store API every backend implements.

Domain modules (``geociv.divisions``, ``geociv.auth``, …) reach data only through these methods,
so a PostGIS backend can be put behind the same API. Every write method takes ``actor`` (the
user name, or ``"system"``) and records an :class:`~geociv.store.records.AuditEntry` in the same
transaction as the write.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterable
from typing import Any

from geociv.store.records import (
    AuditEntry,
    Division,
    FindingOverride,
    FormerName,
    NameRecord,
    Term,
    UpsertCounts,
    User,
)


class Store(ABC):
    """Abstract persistence for geociv."""

    #: Where the store lives (path or URL), for messages.
    url: str

    # -- lifecycle -------------------------------------------------------------------------
    @property
    @abstractmethod
    def schema_version(self) -> int:
        """The schema version of the open store."""

    @abstractmethod
    def close(self) -> None:
        """Release connections."""

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- settings kept in the store --------------------------------------------------------
    @abstractmethod
    def get_meta(self, key: str) -> str | None:
        """Return a stored setting, or ``None``."""

    @abstractmethod
    def set_meta(self, key: str, value: str, *, actor: str, secret: bool = False) -> None:
        """Store a setting; a ``secret`` value is audited without its content."""

    # -- divisions -------------------------------------------------------------------------
    @abstractmethod
    def upsert_divisions(
        self, records: Iterable[Division], *, actor: str, action: str = "divisions.upsert"
    ) -> UpsertCounts:
        """Insert new divisions and update changed ones in one transaction.

        Rows equal to the stored ones are left alone (and not audited), so loading the same
        data twice changes nothing.
        """

    @abstractmethod
    def get_division(self, code: str) -> Division | None:
        """Return the division with this code, or ``None``."""

    @abstractmethod
    def query_divisions(
        self,
        *,
        parent: str | None = None,
        level: str | None = None,
        name: str | None = None,
        match: str = "exact",
        include_statistical: bool = True,
        with_geometry: bool = True,
        limit: int | None = None,
    ) -> list[Division]:
        """Divisions filtered by parent code, level and name (``exact``/``prefix``/``contains``),
        ordered by code."""

    @abstractmethod
    def count_divisions(self) -> dict[str, int]:
        """Number of divisions per level."""

    # -- users -----------------------------------------------------------------------------
    @abstractmethod
    def add_user(self, user: User, password_hash: str, *, actor: str) -> None:
        """Create a user; raise :class:`~geociv.errors.DuplicateError` if the name is taken."""

    @abstractmethod
    def get_user(self, username: str) -> tuple[User, str] | None:
        """Return ``(user, password_hash)`` or ``None``."""

    @abstractmethod
    def list_users(self) -> list[User]:
        """All users, ordered by name."""

    @abstractmethod
    def update_user(
        self, username: str, *, actor: str, password_hash: str | None = None, **changes: Any
    ) -> User:
        """Change fields of a user (role, division_code, display_name, active, last_login_at)."""

    # -- gazetteer: names ------------------------------------------------------------------
    @abstractmethod
    def upsert_names(
        self, records: Iterable[NameRecord], *, actor: str, action: str = "names.upsert"
    ) -> UpsertCounts:
        """Insert new name records (by ``name_id``) and update changed ones, in one transaction."""

    @abstractmethod
    def get_name(self, name_id: str) -> NameRecord | None:
        """The name record with this id, or ``None``."""

    @abstractmethod
    def query_names(
        self,
        *,
        division_prefix: str | None = None,
        category: str | None = None,
        name: str | None = None,
        include_retired: bool = False,
        with_geometry: bool = False,
    ) -> list[NameRecord]:
        """Name records, optionally within a division (code prefix), a category, an exact name."""

    @abstractmethod
    def add_former_name(self, former: FormerName, *, actor: str) -> None:
        """Record a former name (曾用名)."""

    @abstractmethod
    def former_names(self, name_id: str | None = None) -> list[FormerName]:
        """Former names of one record, or of all records."""

    @abstractmethod
    def pinyin_overrides(self) -> dict[str, tuple[str, str]]:
        """Officer-added special readings: word → (TONE3 pinyin, note)."""

    @abstractmethod
    def set_pinyin_override(self, word: str, pinyin: str, *, note: str, actor: str) -> None:
        """Add or change a special reading."""

    @abstractmethod
    def terms(self, list_name: str | None = None) -> list[Term]:
        """Officer-added entries of the person/leader/foreign/brand lists."""

    @abstractmethod
    def add_term(self, term: Term, *, actor: str) -> None:
        """Add an entry to a list (an existing entry is left as is)."""

    @abstractmethod
    def add_finding_override(self, name: str, rule_id: str, *, reason: str, actor: str) -> None:
        """Accept a finding on ``name`` with a reason."""

    @abstractmethod
    def finding_overrides(self, name: str | None = None) -> list[FindingOverride]:
        """Accepted findings, of one name or all."""

    # -- audit trail -----------------------------------------------------------------------
    @abstractmethod
    def record_event(
        self, *, actor: str, action: str, entity: str, key: str, note: str = ""
    ) -> None:
        """Audit an event that changes no table (log-in, log-out, refused write)."""

    @abstractmethod
    def last_change(self, entities: tuple[str, ...]) -> int:
        """Id of the newest audit entry on any of ``entities`` (0 if none): a cheap stamp that
        tells caches built from those tables whether they are stale."""

    @abstractmethod
    def audit_entries(
        self, *, limit: int = 100, actor: str | None = None, entity: str | None = None
    ) -> list[AuditEntry]:
        """The newest audit entries first."""
