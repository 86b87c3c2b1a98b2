"""Persistence. :func:`open_store` picks the backend from a path or database URL.

Examples
--------
>>> import tempfile, pathlib
>>> store = open_store(pathlib.Path(tempfile.mkdtemp()) / "geociv.gpkg")
>>> type(store).__name__, store.count_divisions()
('SQLiteStore', {})
"""

from __future__ import annotations

from pathlib import Path

from geociv.errors import StoreError
from geociv.store.base import Store
from geociv.store.change_records import (
    DIVISION_CASE_ALL_STATUSES,
    DIVISION_CASE_ALL_STEPS,
    DIVISION_CASE_CLOSED_STATUSES,
    DIVISION_CASE_CLOSING_STEPS,
    DIVISION_CASE_STATUSES,
    DIVISION_CASE_STEPS,
    DIVISION_CHANGE_KINDS,
    DIVISION_DOCUMENT_TYPES,
    DIVISION_STEP_STATUS,
    EXTENT_CHANGE_KINDS,
    PROPOSAL_STATUSES,
    SURVEY_TASK_STATUSES,
    DivisionCase,
    DivisionProposal,
    DivisionVersion,
    SurveyTask,
)
from geociv.store.records import (
    CASE_ALL_STATUSES,
    CASE_ALL_STEPS,
    CASE_CLOSABLE_STATUSES,
    CASE_CLOSED_STATUSES,
    CASE_CLOSING_STEPS,
    CASE_FINAL_STATUSES,
    CASE_KINDS,
    CASE_STATUSES,
    CASE_STEPS,
    DOCUMENT_TYPES,
    FACILITY_STATUSES,
    FACILITY_TYPES,
    KINDS,
    LEVELS,
    LINE_CHANGE_TYPES,
    LINE_LEVELS,
    LINE_SOURCES,
    MARKER_CONDITIONS,
    MARKER_KINDS,
    MARKER_SETS,
    MARKER_TYPE_CODES,
    NAME_STATUSES,
    PATROL_CONDITIONS,
    PHOTO_OWNERS,
    PLAN_KINDS,
    RECORD_KINDS,
    RECORD_STATUSES,
    ROLES,
    SIDES,
    SIGN_STATUSES,
    SIGN_TYPES,
    STEP_STATUS,
    ZONE_SET_KINDS,
    AuditEntry,
    AuditFacets,
    AuditPage,
    AuditQuery,
    BoundaryLine,
    BoundaryPhoto,
    CaseDocument,
    CaseStep,
    CoverageRun,
    CoverageZone,
    Division,
    Facility,
    FindingOverride,
    FormerName,
    InspectionPlan,
    InspectionRecord,
    InspectionRound,
    LineChange,
    LoginAttempt,
    Marker,
    NameCase,
    NameRecord,
    Patrol,
    PopulationRaster,
    ReferenceObject,
    RoadNetwork,
    Sign,
    Signature,
    Team,
    Term,
    UpsertCounts,
    User,
    ZoneSet,
    now_utc,
)

__all__ = [
    "CASE_ALL_STATUSES",
    "CASE_ALL_STEPS",
    "CASE_CLOSABLE_STATUSES",
    "CASE_CLOSED_STATUSES",
    "CASE_CLOSING_STEPS",
    "CASE_FINAL_STATUSES",
    "CASE_KINDS",
    "CASE_STATUSES",
    "CASE_STEPS",
    "DIVISION_CASE_ALL_STATUSES",
    "DIVISION_CASE_ALL_STEPS",
    "DIVISION_CASE_CLOSED_STATUSES",
    "DIVISION_CASE_CLOSING_STEPS",
    "DIVISION_CASE_STATUSES",
    "DIVISION_CASE_STEPS",
    "DIVISION_CHANGE_KINDS",
    "DIVISION_DOCUMENT_TYPES",
    "DIVISION_STEP_STATUS",
    "DOCUMENT_TYPES",
    "EXTENT_CHANGE_KINDS",
    "FACILITY_STATUSES",
    "FACILITY_TYPES",
    "KINDS",
    "LEVELS",
    "LINE_CHANGE_TYPES",
    "LINE_LEVELS",
    "LINE_SOURCES",
    "MARKER_CONDITIONS",
    "MARKER_KINDS",
    "MARKER_SETS",
    "MARKER_TYPE_CODES",
    "NAME_STATUSES",
    "PATROL_CONDITIONS",
    "PHOTO_OWNERS",
    "PLAN_KINDS",
    "PROPOSAL_STATUSES",
    "RECORD_KINDS",
    "RECORD_STATUSES",
    "ROLES",
    "SIDES",
    "SIGN_STATUSES",
    "SIGN_TYPES",
    "STEP_STATUS",
    "SURVEY_TASK_STATUSES",
    "ZONE_SET_KINDS",
    "AuditEntry",
    "AuditFacets",
    "AuditPage",
    "AuditQuery",
    "BoundaryLine",
    "BoundaryPhoto",
    "CaseDocument",
    "CaseStep",
    "CoverageRun",
    "CoverageZone",
    "Division",
    "DivisionCase",
    "DivisionProposal",
    "DivisionVersion",
    "Facility",
    "FindingOverride",
    "FormerName",
    "InspectionPlan",
    "InspectionRecord",
    "InspectionRound",
    "LineChange",
    "LoginAttempt",
    "Marker",
    "NameCase",
    "NameRecord",
    "Patrol",
    "PopulationRaster",
    "ReferenceObject",
    "RoadNetwork",
    "Sign",
    "Signature",
    "Store",
    "SurveyTask",
    "Team",
    "Term",
    "UpsertCounts",
    "User",
    "ZoneSet",
    "is_server_url",
    "now_utc",
    "open_store",
]


def is_server_url(url: str | Path) -> bool:
    """Whether ``url`` names a PostgreSQL database rather than a GeoPackage file.

    >>> is_server_url("postgresql://geociv@db.example/geociv"), is_server_url("instance/a.gpkg")
    (True, False)
    """
    return str(url).startswith(("postgresql://", "postgres://"))


def open_store(url: str | Path, *, upgrade: bool = True) -> Store:
    """Open (and on first use create) the store at ``url``.

    Parameters
    ----------
    url
        A file path or ``sqlite:///path`` for the embedded GeoPackage store; a
        ``postgresql://user@host:port/db`` URL (or ``postgres://``) for a PostgreSQL database
        with the PostGIS extension, shared by a city and its counties (the geociv tables are
        created in it on first use).
    upgrade
        Bring an older store up to the current schema.

    Raises
    ------
    StoreError
        The address is neither a path nor a known URL, or the database cannot be reached.
    geociv.errors.BackendUnavailableError
        A PostgreSQL URL without the ``psycopg`` driver installed.
    """
    text = str(url)
    if is_server_url(text):
        from geociv.store.postgis import PostgisStore

        return PostgisStore(text, upgrade=upgrade)
    if "://" in text and not text.startswith("sqlite:///"):
        raise StoreError(
            f"无法识别的存储地址 {text!r}：应为文件路径、sqlite:///路径或 postgresql://用户@主机/数据库"
        )
    from geociv.store.sqlite import SQLiteStore

    return SQLiteStore(Path(text.removeprefix("sqlite:///")), upgrade=upgrade)
