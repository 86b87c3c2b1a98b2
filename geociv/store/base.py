"""The store API every backend implements.

Domain modules (``geociv.divisions``, ``geociv.auth``, …) reach data only through these methods,
so a PostGIS backend can be put behind the same API. Every write method takes ``actor`` (the
user name, or ``"system"``) and records an :class:`~geociv.store.records.AuditEntry` in the same
transaction as the write.

Box filters: a ``bbox`` argument is (minx, miny, maxx, maxy) in EPSG:4490; a row is kept when
the extent of its geometry meets the box (touching edges count); rows without a geometry or
with an empty one are left out. The database answers with its spatial index (the R-tree of the
GeoPackage, the GiST index on PostGIS), so the cost follows the rows in the box, not the
store's size. A malformed box is a ``ValidationError`` on the ``bbox`` field.

Division filters: an ``inside_division`` argument is a division's code; a row is kept when its
geometry lies in that division's polygon, wholly or in part (the polygon's edge counts: a
marker standing exactly on a shared boundary is in both divisions). This is about the place,
unlike the code-prefix filters (``within``, ``division_prefix``), which follow the codes a
row names.
PostGIS answers with ``ST_Intersects`` on the GiST index; the GeoPackage takes the R-tree's
candidates in the polygon's extent and tests them exactly with shapely. A division that is
unknown or has no polygon is a ``ValidationError`` on the ``inside_division`` field.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterable, Mapping, Sequence
from contextlib import AbstractContextManager
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # shapely only for annotations: importing the store stays light
    from shapely.geometry.base import BaseGeometry

from geociv.store.change_records import (
    DivisionCase,
    DivisionProposal,
    DivisionVersion,
    SurveyTask,
)
from geociv.store.changes import Change
from geociv.store.records import (
    AuditEntry,
    AuditFacets,
    AuditPage,
    AuditQuery,
    BoundaryLine,
    BoundaryPhoto,
    CaseDocument,
    CoverageRun,
    CoverageZone,
    Division,
    Facility,
    FindingOverride,
    FormerName,
    InspectionPlan,
    InspectionRecord,
    InspectionRound,
    LoginAttempt,
    Marker,
    NameCase,
    NameRecord,
    Patrol,
    PopulationRaster,
    RoadNetwork,
    Sign,
    Signature,
    Term,
    UpsertCounts,
    User,
    ZoneSet,
)
from geociv.store.shared import Box


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

    @abstractmethod
    def transaction(self) -> AbstractContextManager[None]:
        """Group several writes (each still audited) into one transaction: all or none.

        Writes inside the block are nested in it; an exception leaving the block undoes every
        one of them. Used where one step changes two things, e.g. a naming case taking effect
        and the gazetteer record it renames.

        Examples
        --------
        >>> import tempfile, pathlib
        >>> from geociv.store import open_store
        >>> store = open_store(pathlib.Path(tempfile.mkdtemp()) / "t.gpkg")
        >>> try:
        ...     with store.transaction():
        ...         store.set_meta("example", "1", actor="doc")
        ...         raise RuntimeError("second write failed")
        ... except RuntimeError:
        ...     pass
        >>> store.get_meta("example") is None
        True
        """

    @abstractmethod
    def backup_to(self, path: Path) -> None:
        """Write a consistent copy of the whole store to the new file ``path`` while it stays
        in use (SQLite's online backup API; never a plain file copy of a live database)."""

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

    @abstractmethod
    def delete_meta(self, key: str, *, actor: str, secret: bool = False) -> bool:
        """Remove a setting (audited, a ``secret`` value shown as ``***``) so that its bytes
        are gone from the store file too; return whether it existed."""

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
    def get_division(self, code: str, *, on: str | None = None) -> Division | None:
        """Return the division with this code (retired or not), or ``None``; with ``on``
        (``YYYY-MM-DD``) the version in force that day, or ``None`` if the code was not."""

    @abstractmethod
    def division_versions(self, code: str) -> list[DivisionVersion]:
        """The earlier versions of a code (name, parent, level before a change), oldest first."""

    @abstractmethod
    def add_division_versions(
        self, versions: Iterable[DivisionVersion], *, actor: str, action: str = "divisions.version"
    ) -> int:
        """Keep earlier versions of codes (audited); return how many were added."""

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
        within: str | None = None,
        bbox: Box | None = None,
        on: str | None = None,
        code: str | None = None,
    ) -> list[Division]:
        """Divisions filtered by parent code, level and name (``exact``/``prefix``/``contains``),
        ordered by code. Only the divisions in force, or with ``on`` (``YYYY-MM-DD``) the
        versions in force that day (earlier versions without a polygon). ``within`` is a code
        prefix (``4117`` for everything under 411700): the backend reads only the divisions
        under it, by index, whatever the store's size.
        ``bbox`` keeps those whose polygon's extent meets the box (see the module notes)."""

    @abstractmethod
    def count_divisions(
        self, *, within: str | None = None, include_statistical: bool = True
    ) -> dict[str, int]:
        """Number of divisions per level (under the code prefix ``within``), counted by the
        backend without reading the rows."""

    @abstractmethod
    def division_names(self, codes: Iterable[str]) -> dict[str, str]:
        """adcode → name of those of ``codes`` the store has: one indexed look-up per code,
        so a page labels what it shows at a cost independent of the store's size."""

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
        """Change fields of a user (role, division_code, display_name, active, last_login_at).

        A new password, role or division, or a change of ``active``, bumps the user's
        ``session_version`` in the same transaction, which ends every session of the user."""

    @abstractmethod
    def end_sessions(self, username: str, *, actor: str, action: str, note: str = "") -> int:
        """Bump the user's ``session_version`` (ending all their sessions) and audit it as
        ``action``; return the new version."""

    # -- log-in attempts -------------------------------------------------------------------
    @abstractmethod
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
        """Decide and record a log-in attempt in one transaction.

        Failures since ``since`` are counted per user name (only those after the user's last
        success) and per address; at ``max_user`` or ``max_address`` the attempt is refused
        with the time the oldest counted failure leaves the ``window_s`` window. Otherwise a row
        is recorded as failed (so attempts in flight count) and its id returned for
        :meth:`finish_login_attempt`."""

    @abstractmethod
    def finish_login_attempt(self, attempt_id: int, ok: bool, *, audit_note: str = "") -> None:
        """Mark a claimed attempt successful or failed and audit it (``auth.login`` or
        ``auth.login_failed``, with the recorded user name and address) in one transaction."""

    # -- gazetteer: names ------------------------------------------------------------------
    @abstractmethod
    def upsert_names(
        self,
        records: Iterable[NameRecord],
        *,
        actor: str,
        action: str = "names.upsert",
        notes: Mapping[str, str] | None = None,
    ) -> UpsertCounts:
        """Insert new name records (by ``name_id``) and update changed ones, in one transaction;
        ``notes`` (by ``name_id``) go into the records' audit entries."""

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
        bbox: Box | None = None,
    ) -> list[NameRecord]:
        """Name records, optionally within a division (code prefix), a category, an exact name,
        whose geometry's extent meets ``bbox`` (see the module notes; names without a
        geometry are then left out)."""

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
    def changes_since(self, entities: tuple[str, ...], after: int, *, limit: int) -> list[Change]:
        """The audit entries on ``entities`` newer than the id ``after``, oldest first, at
        most ``limit``, as :class:`~geociv.store.changes.Change` rows: what a cache built at
        ``after`` must update (whichever process wrote them). Ids of committed entries must
        only grow, so that a cache's mark never skips an entry committed after it; entries of
        the caller's own open write transaction say ``committed=False``."""

    def audit_entries(
        self,
        *,
        limit: int = 100,
        actor: str | None = None,
        entity: str | None = None,
        key: str | None = None,
    ) -> list[AuditEntry]:
        """The newest audit entries first, optionally of one actor, table or record key."""
        query = AuditQuery(actor=actor, entity=entity, key=key)
        return self.audit_page(query, limit=limit, count=False).entries

    @abstractmethod
    def audit_page(
        self, query: AuditQuery, *, offset: int = 0, limit: int = 50, count: bool = True
    ) -> AuditPage:
        """The entries matching ``query``, newest first, skipping ``offset`` and at most
        ``limit``; ``total`` is the number of matching entries (``-1`` when ``count`` is
        false, which spares a pass over them)."""

    @abstractmethod
    def audit_facets(self, *, limit: int = 500) -> AuditFacets:
        """The actors, tables and actions found in the audit trail (at most ``limit`` each)."""

    # -- naming/renaming cases (命名更名) --------------------------------------------------------
    @abstractmethod
    def add_case(self, case: NameCase, *, on: str, actor: str, note: str = "") -> NameCase:
        """Store a new case in status ``applied`` with its ``apply`` step dated ``on``.

        An empty ``case.case_id`` is assigned in the same transaction: ``C<year of on>-<serial>``
        (``C2026-0001``). Returns the stored case.
        """

    @abstractmethod
    def advance_case(
        self,
        case_id: str,
        step: str,
        *,
        expect_status: str,
        on: str,
        actor: str,
        note: str = "",
        changes: Mapping[str, Any] | None = None,
    ) -> NameCase:
        """Record ``step`` of a case dated ``on`` and move it to the status after that step.

        ``step`` is one of the path after ``apply`` (``review`` … ``effective``) or a closing
        step (``withdraw``, ``reject``). The write and its audit entry happen in one
        transaction, only if the case is still in ``expect_status`` (else
        :class:`~geociv.errors.StoreError`). ``changes`` may set ``name_id``, ``pinyin``,
        ``approving_body``, ``filed_with``, ``close_reason`` and ``review`` (a JSON-ready
        dict).
        """

    @abstractmethod
    def get_case(self, case_id: str) -> NameCase | None:
        """The case with its steps, or ``None``."""

    @abstractmethod
    def query_cases(
        self,
        *,
        status: str | None = None,
        kind: str | None = None,
        name_id: str | None = None,
        division_prefix: str | None = None,
    ) -> list[NameCase]:
        """Cases with their steps, ordered by case id."""

    @abstractmethod
    def add_case_document(self, document: CaseDocument, *, actor: str) -> CaseDocument:
        """Attach a document (content required) to a case; returns it with id, size, hash, time.

        Documents are never deleted or replaced: a corrected report is attached again.
        """

    @abstractmethod
    def case_documents(self, case_id: str, *, with_content: bool = False) -> list[CaseDocument]:
        """The documents of a case in the order they were attached."""

    @abstractmethod
    def get_case_document(self, document_id: int) -> CaseDocument | None:
        """One document with its content, or ``None``."""

    # -- place-name signs (地名标志) --------------------------------------------------------------
    @abstractmethod
    def add_sign(self, sign: Sign, *, actor: str) -> Sign:
        """Register a sign; an empty ``sign.sign_id`` is assigned (``S000001`` …). Raises
        :class:`~geociv.errors.DuplicateError` if the id is taken."""

    @abstractmethod
    def update_sign(self, sign_id: str, *, actor: str, **changes: Any) -> Sign:
        """Change fields of a sign (``name_id``, ``sign_type``, ``text``, ``pinyin``,
        ``location``, ``installed_on``, ``status``, ``installer``, ``remarks``)."""

    @abstractmethod
    def get_sign(self, sign_id: str) -> Sign | None:
        """The sign, or ``None``."""

    @abstractmethod
    def query_signs(
        self,
        *,
        name_id: str | None = None,
        status: str | None = None,
        include_removed: bool = True,
        bbox: Box | None = None,
    ) -> list[Sign]:
        """Signs, optionally of one name record or status, or in ``bbox`` (see the
        module notes), ordered by sign id."""

    @abstractmethod
    def add_patrol(self, patrol: Patrol, *, actor: str, status: str | None = None) -> Patrol:
        """Record a patrol inspection of a sign; returns it with its id. With ``status``, the
        sign's status becomes it in the same transaction (audited as ``signs.update``) when it
        differs."""

    @abstractmethod
    def patrols(self, sign_id: str | None = None, *, with_photo: bool = False) -> list[Patrol]:
        """Patrols of one sign or of all, oldest first."""

    @abstractmethod
    def patrol_thumbnail(self, patrol_id: int) -> bytes | None:
        """The stored JPEG thumbnail of a patrol's photo, or ``None``."""

    # -- boundary lines (行政区域界线) ------------------------------------------------------------
    @abstractmethod
    def save_boundary_lines(
        self, lines: Iterable[BoundaryLine], *, on: str, actor: str, action: str = "lines.save"
    ) -> UpsertCounts:
        """Store lines in one transaction, keeping versions.

        A line whose current version has the same fields and geometry is left alone
        (``unchanged``); a line without a current version gets its next version
        (``inserted``); otherwise the current version is closed (``valid_to`` = the new
        version's ``valid_from``, default ``on``) and the next version added (``updated``).
        ``version``, ``valid_to`` and ``created_*`` of the given records are ignored; a
        LineString is stored as a one-part MultiLineString. Nothing is overwritten.
        """

    @abstractmethod
    def close_boundary_lines(
        self, line_ids: Iterable[str], *, on: str, actor: str, note: str = ""
    ) -> int:
        """Close the current version of each line (it no longer exists); return how many."""

    @abstractmethod
    def get_boundary_line(self, line_id: str, version: int | None = None) -> BoundaryLine | None:
        """One version of a line (default: the current one), or ``None``."""

    @abstractmethod
    def boundary_line_versions(self, line_id: str) -> list[BoundaryLine]:
        """Every version of a line, oldest first."""

    @abstractmethod
    def query_boundary_lines(
        self,
        *,
        current_only: bool = True,
        division_prefix: str | None = None,
        level: str | None = None,
        source: str | None = None,
        with_geometry: bool = True,
        bbox: Box | None = None,
        inside_division: str | None = None,
    ) -> list[BoundaryLine]:
        """Lines (current versions by default) with a side whose code starts with
        ``division_prefix``, of a level and source, ordered by line id and version; those
        whose extent meets ``bbox``, those in the polygon of the division ``inside_division``
        (see the module notes)."""

    # -- boundary markers (界桩) ---------------------------------------------------------------
    @abstractmethod
    def add_markers(
        self, markers: Iterable[Marker], *, actor: str, action: str = "markers.add"
    ) -> list[Marker]:
        """Register markers with their reference objects in one transaction; raise
        :class:`~geociv.errors.DuplicateError` (and write nothing) if a number is taken."""

    @abstractmethod
    def get_marker(self, marker_id: str) -> Marker | None:
        """The marker (retired or not), or ``None``."""

    @abstractmethod
    def query_markers(
        self,
        *,
        line_id: str | None = None,
        line_ids: Iterable[str] | None = None,
        include_retired: bool = False,
        sample: bool | None = None,
        bbox: Box | None = None,
        inside_division: str | None = None,
    ) -> list[Marker]:
        """Markers ordered by line, serial and type code: of the line ``line_id``, of any of
        ``line_ids`` (by index: none when it is empty), in ``bbox``, in the polygon of the
        division ``inside_division`` (see the module notes)."""

    @abstractmethod
    def retire_marker(self, marker_id: str, *, actor: str, reason: str) -> Marker:
        """Take a marker out of use (it stays in the register as ``retired``)."""

    @abstractmethod
    def add_boundary_photo(self, photo: BoundaryPhoto, *, actor: str) -> BoundaryPhoto:
        """Keep a photo of a marker (``owner="marker"``) or of an inspection record
        (``owner="inspection"``, key = record id); returns it with id, size and hash.
        Photos are never deleted."""

    @abstractmethod
    def boundary_photos(
        self, owner: str, owner_key: str, *, with_content: bool = False
    ) -> list[BoundaryPhoto]:
        """The photos of a marker or a record, in the order they were added."""

    @abstractmethod
    def get_boundary_photo(self, photo_id: int) -> BoundaryPhoto | None:
        """One photo with its content, or ``None``."""

    @abstractmethod
    def boundary_photo_thumbnail(self, photo_id: int) -> bytes | None:
        """The stored JPEG thumbnail of a photo, or ``None`` (no photo, or none made)."""

    # -- the joint inspection (联检): rounds, plans, records -------------------------------------
    @abstractmethod
    def add_inspection_round(self, round_: InspectionRound, *, actor: str) -> InspectionRound:
        """Open a round; :class:`~geociv.errors.DuplicateError` if its number is taken."""

    @abstractmethod
    def get_inspection_round(self, round_no: int) -> InspectionRound | None:
        """The round, or ``None``."""

    @abstractmethod
    def inspection_rounds(self) -> list[InspectionRound]:
        """All rounds by number."""

    @abstractmethod
    def add_inspection_plan(self, plan: InspectionPlan, *, actor: str) -> InspectionPlan:
        """Store a plan and assign its id; a second ``regular`` plan of the same line in a
        round raises :class:`~geociv.errors.DuplicateError`."""

    @abstractmethod
    def update_inspection_plan(
        self, plan_id: int, *, actor: str, note: str = "", **changes: Any
    ) -> InspectionPlan:
        """Change ``year``, ``left_team``, ``right_team`` or ``note`` of a plan (audited)."""

    @abstractmethod
    def get_inspection_plan(self, plan_id: int) -> InspectionPlan | None:
        """The plan, or ``None``."""

    @abstractmethod
    def query_inspection_plans(
        self,
        *,
        round_no: int | None = None,
        year: int | None = None,
        line_id: str | None = None,
        kind: str | None = None,
    ) -> list[InspectionPlan]:
        """Plans ordered by round, year and line."""

    @abstractmethod
    def add_inspection_record(self, record: InspectionRecord, *, actor: str) -> InspectionRecord:
        """Store version 1 of a new record (status ``draft``, no signatures); its id is
        assigned in the same transaction: ``I<year inspected>-<serial>`` (``I2026-0001``)."""

    @abstractmethod
    def revise_inspection_record(
        self,
        record_id: str,
        *,
        expect_version: int,
        actor: str,
        reason: str,
        changes: Mapping[str, Any],
    ) -> InspectionRecord:
        """Correct the latest version of a record, which must be ``expect_version``.

        Unsigned, it is changed in place; once any side has signed, the correction is a new
        version (status ``draft``, no signatures) and the signed one is kept as
        ``superseded``. A ``final`` record is refused (:class:`~geociv.errors.StoreError`).
        ``changes`` may set ``inspected_on``, ``measured``, ``gps_accuracy_m``,
        ``condition``, ``references_present``, ``reference_checks``, ``changes``, ``remarks``.
        """

    @abstractmethod
    def sign_inspection_record(
        self, record_id: str, *, version: int, signature: Signature, actor: str
    ) -> InspectionRecord:
        """Add one side's signature to a version; the version becomes ``final`` with the
        second side's. A side that has signed already raises
        :class:`~geociv.errors.DuplicateError`; a superseded or final version
        :class:`~geociv.errors.StaleRecordError` (a race with another signer)."""

    @abstractmethod
    def get_inspection_record(
        self, record_id: str, version: int | None = None
    ) -> InspectionRecord | None:
        """One version of a record with its signatures (default: the latest), or ``None``."""

    @abstractmethod
    def inspection_record_versions(self, record_id: str) -> list[InspectionRecord]:
        """Every version of a record, oldest first."""

    @abstractmethod
    def query_inspection_records(
        self,
        *,
        plan_id: int | None = None,
        round_no: int | None = None,
        line_id: str | None = None,
        marker_id: str | None = None,
        kind: str | None = None,
        status: str | None = None,
        include_superseded: bool = False,
    ) -> list[InspectionRecord]:
        """Records (latest versions only unless ``include_superseded``) ordered by inspection
        date and id."""

    # -- service coverage (服务圈) ----------------------------------------------------------------
    @abstractmethod
    def add_facilities(self, facilities: Iterable[Facility], *, actor: str) -> list[Facility]:
        """Store facilities in one transaction (all or none); an empty ``facility_id`` is
        assigned (``F000001`` …). Raises :class:`~geociv.errors.DuplicateError` if an id is
        taken."""

    @abstractmethod
    def update_facility(self, facility_id: str, *, actor: str, **changes: Any) -> Facility:
        """Change fields of a facility (``name``, ``type``, ``location``, ``capacity_beds``,
        ``status``, ``division_code``, ``address``, ``source``). Facilities are never deleted:
        a closed one gets ``status="retired"``."""

    @abstractmethod
    def get_facility(self, facility_id: str) -> Facility | None:
        """The facility, or ``None``."""

    @abstractmethod
    def query_facilities(
        self,
        *,
        type: str | None = None,
        status: str | None = None,
        include_retired: bool = False,
        bbox: Box | None = None,
    ) -> list[Facility]:
        """Facilities, optionally of one type or status (retired ones only when asked for) or
        in ``bbox`` (see the module notes), ordered by id."""

    @abstractmethod
    def add_coverage_run(self, run: CoverageRun, *, actor: str) -> CoverageRun:
        """Record a coverage computation; an empty ``run_id`` is assigned (``R000001`` …)."""

    @abstractmethod
    def get_coverage_run(self, run_id: str) -> CoverageRun | None:
        """One coverage run, or ``None``."""

    @abstractmethod
    def coverage_runs(self, kind: str | None = None) -> list[CoverageRun]:
        """Coverage runs, optionally of one kind, oldest first."""

    # -- coverage inputs: road networks, population rasters, zone sets -------------------------
    @abstractmethod
    def add_road_network(
        self, network: RoadNetwork, edges: Sequence[tuple[BaseGeometry, float]], *, actor: str
    ) -> RoadNetwork:
        """Store a road network (its ``graph`` bytes required) and its display lines
        (``(LineString in EPSG:4490, length in metres)`` pairs) in one transaction; an empty
        ``network_id`` gets the next ``RN0001``…"""

    @abstractmethod
    def get_road_network(self, network_id: str, *, with_graph: bool = True) -> RoadNetwork | None:
        """The road network with this id (retired ones too), or ``None``."""

    @abstractmethod
    def road_networks(self, *, include_retired: bool = False) -> list[RoadNetwork]:
        """Stored road networks without their graphs, ordered by id."""

    @abstractmethod
    def road_edges(
        self, network_id: str, *, bbox: Box | None = None
    ) -> list[tuple[BaseGeometry, float]]:
        """The display lines of a network (EPSG:4490) with their lengths in metres, those in
        ``bbox`` only when given (see the module notes)."""

    @abstractmethod
    def add_population_raster(self, raster: PopulationRaster, *, actor: str) -> PopulationRaster:
        """Store a population raster (its ``data`` bytes required); an empty ``raster_id`` gets
        the next ``PR0001``…"""

    @abstractmethod
    def get_population_raster(
        self, raster_id: str, *, with_data: bool = True
    ) -> PopulationRaster | None:
        """The population raster with this id (retired ones too), or ``None``."""

    @abstractmethod
    def population_rasters(self, *, include_retired: bool = False) -> list[PopulationRaster]:
        """Stored population rasters without their content, ordered by id."""

    @abstractmethod
    def add_zone_set(
        self, zone_set: ZoneSet, zones: Sequence[CoverageZone], *, actor: str
    ) -> ZoneSet:
        """Store a zone set and its zones (at least one) in one transaction; an empty
        ``set_id`` gets the next ``ZS0001``…"""

    @abstractmethod
    def get_zone_set(self, set_id: str) -> ZoneSet | None:
        """The zone set with this id (retired ones too), or ``None``."""

    @abstractmethod
    def zone_sets(self, kind: str | None = None, *, include_retired: bool = False) -> list[ZoneSet]:
        """Stored zone sets, optionally of one kind, ordered by id."""

    @abstractmethod
    def coverage_zones(self, set_id: str) -> list[CoverageZone]:
        """The zones of a set, in the order they were stored."""

    @abstractmethod
    def retire_coverage_input(self, key: str, *, actor: str, reason: str = "") -> None:
        """Mark a road network (``RN…``), population raster (``PR…``) or zone set (``ZS…``)
        retired: it is kept, never deleted, but no longer listed by default."""

    # -- division changes (行政区划变更) --------------------------------------------------------
    @abstractmethod
    def add_division_case(
        self, case: DivisionCase, *, on: str, actor: str, note: str = ""
    ) -> DivisionCase:
        """Open a change case (status ``applied``, id ``D2026-0001`` unless given)."""

    @abstractmethod
    def advance_division_case(
        self,
        case_id: str,
        step: str,
        *,
        expect_status: str,
        on: str,
        actor: str,
        note: str = "",
        changes: Mapping[str, Any] | None = None,
    ) -> DivisionCase:
        """Record a step of a change case that is in ``expect_status`` (refused otherwise: a
        concurrent step), with the case fields the step sets."""

    @abstractmethod
    def get_division_case(self, case_id: str) -> DivisionCase | None:
        """A change case with its steps, or ``None``."""

    @abstractmethod
    def query_division_cases(
        self,
        *,
        status: str | None = None,
        kind: str | None = None,
        division_prefix: str | None = None,
    ) -> list[DivisionCase]:
        """Change cases, by id."""

    @abstractmethod
    def add_division_case_document(self, document: CaseDocument, *, actor: str) -> CaseDocument:
        """Keep a document of a change case (never deleted)."""

    @abstractmethod
    def division_case_documents(
        self, case_id: str, *, with_content: bool = False
    ) -> list[CaseDocument]:
        """The documents of a change case, oldest first."""

    @abstractmethod
    def get_division_case_document(self, document_id: int) -> CaseDocument | None:
        """One document of a change case with its content."""

    @abstractmethod
    def add_division_proposals(
        self, proposals: Iterable[DivisionProposal], *, actor: str
    ) -> list[DivisionProposal]:
        """Keep proposals for review; one already kept (same key) is skipped. Returns the new."""

    @abstractmethod
    def get_division_proposal(self, proposal_id: str) -> DivisionProposal | None:
        """One proposal, or ``None``."""

    @abstractmethod
    def query_division_proposals(
        self,
        *,
        status: str | None = None,
        division_prefix: str | None = None,
        batch: str | None = None,
    ) -> list[DivisionProposal]:
        """Proposals, by id."""

    @abstractmethod
    def decide_division_proposal(
        self,
        proposal_id: str,
        *,
        status: str,
        actor: str,
        reason: str = "",
        case_id: str | None = None,
    ) -> DivisionProposal:
        """Accept (with the case made of it) or dismiss (with a reason) a pending proposal."""

    @abstractmethod
    def add_survey_task(self, task: SurveyTask, *, actor: str) -> SurveyTask:
        """Open a 勘界 task (id ``K2026-0001`` unless given)."""

    @abstractmethod
    def query_survey_tasks(
        self, *, status: str | None = None, case_id: str | None = None
    ) -> list[SurveyTask]:
        """勘界 tasks, by due date."""

    @abstractmethod
    def finish_survey_task(
        self, task_id: str, *, on: str, actor: str, note: str = ""
    ) -> SurveyTask:
        """Record an open 勘界 task as done on the day ``on``."""

    @abstractmethod
    def mark_coverage_stale(
        self, codes: Iterable[str], reason: str, *, actor: str
    ) -> dict[str, list[str]]:
        """Flag as out of date the zone sets with a zone of one of ``codes`` and the stored
        runs that used them or name a code; returns ``{"zone_sets": [...], "runs": [...]}``."""
