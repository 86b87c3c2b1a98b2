"""Plain records that cross the store boundary (no backend types leak out)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # shapely only for annotations: importing the store stays light
    from shapely.geometry.base import BaseGeometry


def now_utc() -> str:
    """The current time as an ISO-8601 UTC string (what every timestamp column holds)."""
    return datetime.now(UTC).isoformat(timespec="seconds")


#: Division levels from the top of the adcode hierarchy down.
LEVELS: tuple[str, ...] = ("province", "city", "county", "township", "village")

#: ``statutory`` divisions are in GB/T 2260; ``statistical`` ones are units that only the
#: National Bureau of Statistics codes (development zones and the like).
KINDS: tuple[str, ...] = ("statutory", "statistical")

#: User roles. ``admin`` may do everything.
ROLES: tuple[str, ...] = ("officer", "inspector", "planner", "admin")


@dataclass(frozen=True)
class Division:
    """One administrative division (行政区划) with its optional polygon in EPSG:4490.

    Divisions are versioned: this is the code's latest version, valid from ``valid_from``
    (``None``: since before the records) until ``valid_to`` (``None``: current; a retired code
    keeps its row). ``predecessors`` are the codes it was made from and ``change_case`` the
    division change case that last changed it; earlier names, parents or levels of the same
    code are :class:`~geociv.store.change_records.DivisionVersion` rows.
    """

    code: str
    name: str
    level: str
    parent_code: str | None
    kind: str = "statutory"
    geometry: BaseGeometry | None = field(default=None, compare=False, repr=False)
    area_km2: float | None = None
    source: str = ""
    valid_from: str | None = None
    valid_to: str | None = None
    predecessors: tuple[str, ...] = ()
    change_case: str = ""

    def attributes(self) -> dict[str, Any]:
        """The non-geometry fields as a dict (what the audit trail records)."""
        data = asdict(self)
        data.pop("geometry")
        data["predecessors"] = list(self.predecessors)
        return data

    @property
    def current(self) -> bool:
        """Whether the code is in force (not retired)."""
        return self.valid_to is None


@dataclass(frozen=True)
class User:
    """A geociv user. ``division_code`` is the adcode of the user's bureau; ``session_version``
    is carried in every session of the user and bumped to end them all."""

    username: str
    role: str
    division_code: str
    display_name: str = ""
    active: bool = True
    created_at: str = ""
    last_login_at: str | None = None
    session_version: int = 0


@dataclass(frozen=True)
class LoginAttempt:
    """The outcome of claiming a log-in attempt: its id, or (refused) when to try again."""

    attempt_id: int | None
    retry_at: str | None = None

    @property
    def refused(self) -> bool:
        """Whether the throttle refused the attempt."""
        return self.attempt_id is None


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


@dataclass(frozen=True)
class AuditQuery:
    """Which audit entries to list; every filter is optional and they combine with AND.

    Attributes
    ----------
    actor, entity, key, action
        Exact user name, table, record key and action (``names.update``).
    since, until
        ISO-8601 UTC timestamps (``2026-05-01T16:00:00+00:00``): entries at or after
        ``since`` and strictly before ``until``.
    """

    actor: str | None = None
    entity: str | None = None
    key: str | None = None
    action: str | None = None
    since: str | None = None
    until: str | None = None


@dataclass(frozen=True)
class AuditPage:
    """One page of audit entries, newest first, with the number of entries that match."""

    entries: list[AuditEntry]
    total: int
    offset: int
    limit: int


@dataclass(frozen=True)
class AuditFacets:
    """The values the audit trail holds, for filter choices (sorted, each list bounded)."""

    actors: list[str]
    entities: list[str]
    actions: list[str]


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


# -- naming/renaming cases (命名更名) ------------------------------------------------------------

#: ``naming`` gives a new name; ``renaming`` changes the standard name of an existing record.
CASE_KINDS: tuple[str, ...] = ("naming", "renaming")

#: The steps of a case that takes effect, in order (its path), each with the status the case
#: has after it.
CASE_STEPS: tuple[str, ...] = ("apply", "review", "approve", "file", "publish", "effective")

#: Steps that close a case for good without it taking effect: ``withdraw`` (撤回, the
#: applicant withdraws the application) and ``reject`` (不予批准, the reviewing or approving
#: body refuses it). Both are allowed only before approval (:data:`CASE_CLOSABLE_STATUSES`).
CASE_CLOSING_STEPS: tuple[str, ...] = ("withdraw", "reject")

#: Every step a case can record: its path, then the closing steps.
CASE_ALL_STEPS: tuple[str, ...] = CASE_STEPS + CASE_CLOSING_STEPS

#: Statuses along the path, in the order of :data:`CASE_STEPS`.
CASE_STATUSES: tuple[str, ...] = (
    "applied",
    "reviewed",
    "approved",
    "filed",
    "published",
    "effective",
)

#: Terminal statuses of a case closed without taking effect (after :data:`CASE_CLOSING_STEPS`).
CASE_CLOSED_STATUSES: tuple[str, ...] = ("withdrawn", "rejected")

#: Every status a case can have: the path, then the closed ones.
CASE_ALL_STATUSES: tuple[str, ...] = CASE_STATUSES + CASE_CLOSED_STATUSES

#: Statuses from which a case can be withdrawn or refused: before approval. Once approved the
#: name is decided (a naming case already has its record), so the case runs to 生效.
CASE_CLOSABLE_STATUSES: tuple[str, ...] = ("applied", "reviewed")

#: Statuses in which a case is finished (办结) and takes no further step.
CASE_FINAL_STATUSES: tuple[str, ...] = ("effective", *CASE_CLOSED_STATUSES)

#: Status a case is in after each step.
STEP_STATUS: dict[str, str] = {
    **dict(zip(CASE_STEPS, CASE_STATUSES, strict=True)),
    **dict(zip(CASE_CLOSING_STEPS, CASE_CLOSED_STATUSES, strict=True)),
}

#: Documents of a case. The first three must be attached before review; ``protection``
#: (保护措施) before a heritage name is renamed.
DOCUMENT_TYPES: tuple[str, ...] = (
    "assessment",
    "expert",
    "consultation",
    "protection",
    "approval",
    "other",
)


@dataclass(frozen=True)
class CaseStep:
    """One step a case went through: the date it took effect (``on``, ``YYYY-MM-DD``, may be
    back-dated for paper cases), who recorded it, a note, and when it was recorded (UTC)."""

    step: str
    on: str
    actor: str
    note: str = ""
    at: str = ""


@dataclass(frozen=True)
class NameCase:
    """A naming or renaming case (命名/更名案件).

    ``name_id`` is the record being renamed (``renaming``) or, for ``naming``, the record
    created at approval. ``old_name`` is the record's name when the renaming was applied for.
    ``review`` holds the summary of the checks run at review (findings, generated pinyin).
    ``close_reason`` is the reason (理由) recorded when the case was withdrawn or refused.
    ``steps`` are filled from the events table, in order.
    """

    case_id: str
    kind: str
    proposed_name: str
    category: str
    division_code: str
    applicant: str
    location: str = ""
    name_id: str | None = None
    old_name: str = ""
    pinyin: str = ""
    reason: str = ""
    approving_body: str = ""
    filed_with: str = ""
    status: str = "applied"
    close_reason: str = ""
    review: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)
    steps: tuple[CaseStep, ...] = field(default=(), compare=False)
    created_at: str = field(default="", compare=False)
    updated_at: str = field(default="", compare=False)

    def step(self, step: str) -> CaseStep | None:
        """The record of ``step`` (``apply`` … ``effective``, ``withdraw``, ``reject``), or
        ``None`` if not reached."""
        return next((s for s in self.steps if s.step == step), None)

    def date_of(self, step: str) -> str | None:
        """The date of ``step``, or ``None`` if not reached."""
        found = self.step(step)
        return None if found is None else found.on

    @property
    def is_open(self) -> bool:
        """Whether the case can still take a step (not effective, withdrawn or refused)."""
        return self.status not in CASE_FINAL_STATUSES

    @property
    def closed(self) -> CaseStep | None:
        """The withdrawal or refusal step that closed the case, or ``None``."""
        return next((s for s in self.steps if s.step in CASE_CLOSING_STEPS), None)

    def attributes(self) -> dict[str, Any]:
        """Fields for the audit trail and the API (steps as dicts, review summary included)."""
        data = asdict(self)
        data["steps"] = [asdict(s) for s in self.steps]
        return data


@dataclass(frozen=True)
class CaseDocument:
    """A document attached to a case. ``content`` is only loaded on request."""

    case_id: str
    doc_type: str
    filename: str
    content: bytes | None = field(default=None, repr=False, compare=False)
    size: int = 0
    sha256: str = ""
    note: str = ""
    uploaded_by: str = ""
    uploaded_at: str = ""
    id: int | None = None

    def attributes(self) -> dict[str, Any]:
        """Metadata without the content."""
        data = asdict(self)
        data.pop("content")
        return data


# -- place-name signs (地名标志) ------------------------------------------------------------------

SIGN_TYPES: tuple[str, ...] = ("road", "house_number", "village", "natural", "other")

#: Life cycle of a sign. Nothing is deleted: a sign taken down is ``removed``.
SIGN_STATUSES: tuple[str, ...] = ("in_service", "damaged", "removed")

PATROL_CONDITIONS: tuple[str, ...] = ("intact", "soiled", "broken", "missing", "obscured")


@dataclass(frozen=True)
class Sign:
    """A place-name sign (地名标志) showing the name record ``name_id``.

    ``text`` and ``pinyin`` are what the sign actually shows; ``location`` is a point in
    EPSG:4490.
    """

    sign_id: str
    name_id: str
    sign_type: str
    text: str
    pinyin: str = ""
    location: BaseGeometry | None = field(default=None, compare=False, repr=False)
    installed_on: str | None = None
    status: str = "in_service"
    installer: str = ""
    remarks: str = ""
    created_at: str = field(default="", compare=False)
    updated_at: str = field(default="", compare=False)

    def attributes(self) -> dict[str, Any]:
        """Non-geometry fields plus ``lon``/``lat`` for the audit trail and the API."""
        data = asdict(self)
        loc = data.pop("location")
        data["lon"] = None if loc is None else round(loc.x, 7)
        data["lat"] = None if loc is None else round(loc.y, 7)
        return data


@dataclass(frozen=True)
class Patrol:
    """One patrol inspection (巡检) of a sign. ``photo`` is only loaded on request."""

    sign_id: str
    patrolled_on: str
    condition: str
    inspector: str
    remarks: str = ""
    photo: bytes | None = field(default=None, repr=False, compare=False)
    photo_filename: str = ""
    recorded_by: str = ""
    recorded_at: str = ""
    id: int | None = None

    def attributes(self) -> dict[str, Any]:
        """Fields without the photo bytes."""
        data = asdict(self)
        data.pop("photo")
        return data


# -- boundary lines, markers and the joint inspection (界线、界桩、联检) ------------------------

#: Level of a boundary line: the highest level at which its two sides differ; ``edge`` lines
#: have one known side only (the outline of the divisions they were derived from).
LINE_LEVELS: tuple[str, ...] = ("provincial", "city", "county", "edge")

#: Where a line's geometry comes from: derived from division polygons, a survey (勘界), or
#: made up for the demo (示例).
LINE_SOURCES: tuple[str, ...] = ("derived", "surveyed", "sample")

#: Marker type codes: ``Q`` single (单立, on the line); ``A``/``B`` a paired set (双立, one on
#: each side, same serial); ``C``/``D``/``E`` a triple set (三立, same serial).
MARKER_TYPE_CODES: dict[str, str] = {
    "Q": "single",
    "A": "paired",
    "B": "paired",
    "C": "triple",
    "D": "triple",
    "E": "triple",
}

MARKER_KINDS: tuple[str, ...] = ("single", "paired", "triple")

#: Letters of each complete set.
MARKER_SETS: dict[str, tuple[str, ...]] = {
    "single": ("Q",),
    "paired": ("A", "B"),
    "triple": ("C", "D", "E"),
}

#: Condition of a marker found in an inspection (DESIGN.md "Boundaries" rule 4).
MARKER_CONDITIONS: tuple[str, ...] = (
    "intact",
    "damaged",
    "missing",
    "displaced",
    "buried",
    "illegible",
)

#: Kinds of change along a line recorded in a line inspection.
LINE_CHANGE_TYPES: tuple[str, ...] = ("construction", "river", "road", "dispute", "other")

#: ``regular``: the once-per-round inspection of a line; ``ad_hoc``: after a flood, a river
#: course or road change, a dispute.
PLAN_KINDS: tuple[str, ...] = ("regular", "ad_hoc")

RECORD_KINDS: tuple[str, ...] = ("marker", "line")

#: ``draft`` until both sides have signed, then ``final``; a version replaced by a correction
#: is ``superseded`` (kept, with its signatures).
RECORD_STATUSES: tuple[str, ...] = ("draft", "final", "superseded")

SIDES: tuple[str, ...] = ("left", "right")

PHOTO_OWNERS: tuple[str, ...] = ("marker", "inspection")


def _point_fields(data: dict[str, Any], key: str, prefix: str) -> None:
    """Replace the point ``data[key]`` by ``<prefix>lon``/``<prefix>lat`` (rounded)."""
    point = data.pop(key)
    data[f"{prefix}lon"] = None if point is None else round(point.x, 7)
    data[f"{prefix}lat"] = None if point is None else round(point.y, 7)


@dataclass(frozen=True)
class BoundaryLine:
    """One version of an administrative boundary line (行政区域界线) in EPSG:4490.

    ``line_id`` is stable across versions: the two sides' codes, lower first
    (``411702-411725``; an edge line is ``411721-edge``), with ``-2``, ``-3`` … when two
    divisions share more than one stretch of line. ``left_code`` is the jurisdiction's side.
    A version is current while ``valid_to`` is ``None``; a re-survey (勘界) closes it and
    adds the next version.
    """

    line_id: str
    name: str
    left_code: str
    right_code: str
    level: str
    length_km: float
    section: str = ""
    internal: bool = True
    source: str = "derived"
    version: int = 0
    valid_from: str = ""
    valid_to: str | None = None
    note: str = ""
    geometry: BaseGeometry | None = field(default=None, compare=False, repr=False)
    created_by: str = field(default="", compare=False)
    created_at: str = field(default="", compare=False)

    @property
    def current(self) -> bool:
        """Whether this version is in force."""
        return self.valid_to is None

    def attributes(self) -> dict[str, Any]:
        """Non-geometry fields for the audit trail and the API."""
        data = asdict(self)
        data.pop("geometry")
        return data


@dataclass(frozen=True)
class ReferenceObject:
    """A reference object (方位物) of a marker: what it is, its bearing from the marker in
    degrees clockwise from north, and its distance in metres."""

    description: str
    bearing_deg: float
    distance_m: float


@dataclass(frozen=True)
class Marker:
    """A boundary marker (界桩) as registered (界桩登记表), located in EPSG:4490.

    ``marker_id`` is its number: ``<line_id>-<serial:03d><type code>`` such as
    ``411702-411725-001Q`` or ``411702-411725-014A``/``014B`` (a paired set shares its serial).
    Markers are never deleted: a marker taken out of use is ``retired``. ``sample`` marks
    made-up demo markers (示例).
    """

    marker_id: str
    line_id: str
    serial: int
    type_code: str
    kind: str
    location: BaseGeometry | None = field(default=None, compare=False, repr=False)
    material: str = ""
    registered_on: str | None = None
    references: tuple[ReferenceObject, ...] = ()
    sample: bool = False
    status: str = "active"
    remarks: str = ""
    created_by: str = field(default="", compare=False)
    created_at: str = field(default="", compare=False)
    updated_at: str = field(default="", compare=False)

    def attributes(self) -> dict[str, Any]:
        """Fields plus ``lon``/``lat`` for the audit trail and the API."""
        data = asdict(self)
        _point_fields(data, "location", "")
        data["references"] = [asdict(r) for r in self.references]
        return data


@dataclass(frozen=True)
class BoundaryPhoto:
    """A photo of a marker or of an inspection record; never deleted. ``content`` is only
    loaded on request."""

    owner: str
    owner_key: str
    filename: str
    content: bytes | None = field(default=None, repr=False, compare=False)
    size: int = 0
    sha256: str = ""
    note: str = ""
    uploaded_by: str = ""
    uploaded_at: str = ""
    id: int | None = None

    def attributes(self) -> dict[str, Any]:
        """Metadata without the content."""
        data = asdict(self)
        data.pop("content")
        return data


@dataclass(frozen=True)
class InspectionRound:
    """A 5-year round (轮次) of the joint inspection: every line once from ``first_year`` to
    ``last_year``."""

    round_no: int
    first_year: int
    last_year: int
    title: str = ""
    created_by: str = field(default="", compare=False)
    created_at: str = field(default="", compare=False)

    def covers(self, year: int) -> bool:
        """Whether ``year`` falls in the round."""
        return self.first_year <= year <= self.last_year


@dataclass(frozen=True)
class Team:
    """The inspection team of one side of a line: the side's adcode and its members' names."""

    code: str
    members: tuple[str, ...] = ()


@dataclass(frozen=True)
class InspectionPlan:
    """A line planned for inspection in a year of a round, with a team for each side."""

    plan_id: int | None
    round_no: int
    line_id: str
    year: int
    left_team: Team
    right_team: Team
    kind: str = "regular"
    sample: bool = False
    note: str = ""
    created_by: str = field(default="", compare=False)
    created_at: str = field(default="", compare=False)
    updated_at: str = field(default="", compare=False)

    def attributes(self) -> dict[str, Any]:
        """Fields for the audit trail and the API (teams as dicts)."""
        data = asdict(self)
        for side in ("left_team", "right_team"):
            data[side]["members"] = list(data[side]["members"])
        return data


@dataclass(frozen=True)
class LineChange:
    """A change found along a line: ``change_type`` (construction / river / road / dispute /
    other) and a free-text description."""

    change_type: str
    description: str


@dataclass(frozen=True)
class Signature:
    """One side's signature on a version of an inspection record."""

    side: str
    side_code: str
    username: str
    signed_at: str = ""
    note: str = ""


@dataclass(frozen=True)
class InspectionRecord:
    """One version of an inspection record (联检记录): a marker check (``kind="marker"``) or
    a line check (``kind="line"``), belonging to a plan.

    A marker check has the measured position (EPSG:4490) with its GPS accuracy in metres, the
    condition, the reference objects still present (a count, and per object when
    ``reference_checks`` is given, in the order of the marker's register), remarks. A line
    check lists ``changes`` along the line. The record is ``final`` once both sides have signed
    the version; a correction writes the next version and marks this one ``superseded``.
    """

    record_id: str
    kind: str
    plan_id: int
    round_no: int
    line_id: str
    inspected_on: str
    marker_id: str | None = None
    measured: BaseGeometry | None = field(default=None, compare=False, repr=False)
    gps_accuracy_m: float | None = None
    condition: str | None = None
    references_present: int | None = None
    reference_checks: tuple[bool, ...] | None = None
    changes: tuple[LineChange, ...] = ()
    remarks: str = ""
    sample: bool = False
    version: int = 1
    status: str = "draft"
    reason: str = ""
    signatures: tuple[Signature, ...] = field(default=(), compare=False)
    created_by: str = field(default="", compare=False)
    created_at: str = field(default="", compare=False)
    updated_at: str = field(default="", compare=False)

    @property
    def is_final(self) -> bool:
        """Whether both sides have signed this version."""
        return self.status == "final"

    def signature(self, side: str) -> Signature | None:
        """The signature of ``left`` or ``right``, or ``None``."""
        return next((s for s in self.signatures if s.side == side), None)

    def attributes(self) -> dict[str, Any]:
        """Fields plus ``measured_lon``/``measured_lat`` for the audit trail and the API."""
        data = asdict(self)
        _point_fields(data, "measured", "measured_")
        data["reference_checks"] = (
            None if self.reference_checks is None else list(self.reference_checks)
        )
        data["changes"] = [asdict(c) for c in self.changes]
        data["signatures"] = [asdict(s) for s in self.signatures]
        return data


#: Kinds of elderly-care facility (养老服务设施), in the order of the Zhumadian plan.
FACILITY_TYPES = (
    "nursing_home",
    "subdistrict_center",
    "day_care",
    "rural_mutual_aid",
    "rental_station",
    "fitting_center",
    "experience_hall",
)
#: ``retired`` marks a closed facility: rows are never deleted.
FACILITY_STATUSES = ("existing", "planned", "candidate", "retired")


@dataclass(frozen=True)
class Facility:
    """An elderly-care facility or rental station; ``location`` is a point in EPSG:4490."""

    facility_id: str
    name: str
    type: str
    location: BaseGeometry | None = field(default=None, compare=False, repr=False)
    capacity_beds: int | None = None
    status: str = "existing"
    division_code: str = ""
    address: str = ""
    source: str = ""
    sample: bool = False
    created_by: str = field(default="", compare=False)
    created_at: str = field(default="", compare=False)
    updated_at: str = field(default="", compare=False)

    def attributes(self) -> dict[str, Any]:
        """Non-geometry fields plus ``lon``/``lat`` for the audit trail and the API."""
        data = asdict(self)
        _point_fields(data, "location", "")
        return data


@dataclass(frozen=True)
class CoverageRun:
    """One stored coverage computation: its inputs (``params``) and headline figures
    (``summary``), both JSON-ready dicts."""

    run_id: str
    kind: str
    params: dict[str, Any] = field(default_factory=dict)
    summary: dict[str, Any] = field(default_factory=dict)
    actor: str = ""
    created_at: str = field(default="", compare=False)
    #: why the run no longer matches the divisions (a change case took effect); empty if it does
    stale: str = ""


#: Kinds of zone set: an area of interest (统计范围, e.g. the main urban area), subdistricts
#: (街道/乡镇), communities (社区/村) or anything else.
ZONE_SET_KINDS = ("aoi", "subdistrict", "community", "other")


@dataclass(frozen=True)
class RoadNetwork:
    """A walkable road network kept with the store.

    ``graph`` holds the exact node and edge arrays (an ``.npz``) from which the network is
    rebuilt with the same ``snapshot_id``; it is ``None`` when the record was read without it.
    ``crs`` is the EPSG code of the network's metric CRS; ``components`` its connectivity
    (``count``, ``largest_length_share``).
    """

    network_id: str
    name: str
    snapshot_id: str
    crs: int
    n_nodes: int
    n_edges: int
    length_km: float
    components: dict[str, Any] = field(default_factory=dict)
    source: str = ""
    graph: bytes | None = field(default=None, compare=False, repr=False)
    size: int = 0
    sha256: str = ""
    retired: bool = False
    created_by: str = field(default="", compare=False)
    created_at: str = field(default="", compare=False)

    def attributes(self) -> dict[str, Any]:
        """The fields without the graph (audit trail, API)."""
        data = asdict(self)
        data.pop("graph")
        return data


@dataclass(frozen=True)
class PopulationRaster:
    """A population-count raster (GeoTIFF bytes in ``data``) kept with the store.

    ``crs`` is the raster's own CRS as text, ``bounds`` its extent in longitude/latitude
    (min lon, min lat, max lon, max lat), ``total`` the sum of its valid cells and ``cells``
    how many valid cells it has. ``data`` is ``None`` when read without the content.
    """

    raster_id: str
    label: str
    filename: str
    crs: str
    bounds: tuple[float, float, float, float]
    total: float
    cells: int
    data: bytes | None = field(default=None, compare=False, repr=False)
    size: int = 0
    sha256: str = ""
    retired: bool = False
    created_by: str = field(default="", compare=False)
    created_at: str = field(default="", compare=False)

    def attributes(self) -> dict[str, Any]:
        """The fields without the content (audit trail, API)."""
        data = asdict(self)
        data.pop("data")
        data["bounds"] = list(self.bounds)
        return data


@dataclass(frozen=True)
class CoverageZone:
    """One zone of a zone set: ``geometry`` a (multi)polygon in EPSG:4490."""

    code: str
    name: str
    area_km2: float
    geometry: BaseGeometry | None = field(default=None, compare=False, repr=False)


@dataclass(frozen=True)
class ZoneSet:
    """A named set of zones (areas of interest, subdistricts, communities) kept with the store;
    ``kind`` is one of :data:`ZONE_SET_KINDS`."""

    set_id: str
    name: str
    kind: str
    n_zones: int = 0
    source: str = ""
    sample: bool = False
    retired: bool = False
    created_by: str = field(default="", compare=False)
    created_at: str = field(default="", compare=False)
    #: why the set no longer matches the divisions (a change case took effect); empty if it does
    stale: str = ""

    def attributes(self) -> dict[str, Any]:
        """The fields as a dict (audit trail, API)."""
        return asdict(self)
