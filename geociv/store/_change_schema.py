"""DDL of schema version 12 (division changes, 行政区划变更), one text for both backends.

``{ID}`` stands for the backend's auto-numbered row id and ``{BLOB}`` for its binary type; the
rest is plain SQL both SQLite and PostgreSQL run as it is (text dates ``YYYY-MM-DD``, JSON as
text, ``CHECK`` lists).
"""

from __future__ import annotations

from geociv.store.change_records import (
    DIVISION_CASE_ALL_STATUSES,
    DIVISION_CASE_ALL_STEPS,
    DIVISION_CHANGE_KINDS,
    DIVISION_DOCUMENT_TYPES,
    PROPOSAL_STATUSES,
    SURVEY_TASK_STATUSES,
)


def _among(values: tuple[str, ...]) -> str:
    return ", ".join(f"'{v}'" for v in values)


CHANGE_TABLES_SQL = f"""
ALTER TABLE divisions ADD COLUMN valid_from TEXT;
ALTER TABLE divisions ADD COLUMN valid_to TEXT;
ALTER TABLE divisions ADD COLUMN predecessors TEXT NOT NULL DEFAULT '';
ALTER TABLE divisions ADD COLUMN change_case TEXT NOT NULL DEFAULT '';
CREATE INDEX idx_divisions_valid_to ON divisions (valid_to, level);
CREATE TABLE division_versions (
    {{ID}},
    code        TEXT NOT NULL,
    name        TEXT NOT NULL,
    level       TEXT NOT NULL,
    parent_code TEXT,
    kind        TEXT NOT NULL,
    valid_from  TEXT,
    valid_to    TEXT NOT NULL,
    change_case TEXT NOT NULL DEFAULT '',
    recorded_at TEXT NOT NULL
);
CREATE INDEX idx_division_versions_code ON division_versions (code);
CREATE INDEX idx_division_versions_valid ON division_versions (valid_to, level);
CREATE TABLE division_cases (
    case_id         TEXT PRIMARY KEY,
    kind            TEXT NOT NULL CHECK (kind IN ({_among(DIVISION_CHANGE_KINDS)})),
    title           TEXT NOT NULL,
    division_code   TEXT NOT NULL,
    approving_body  TEXT NOT NULL DEFAULT '',
    approval_number TEXT NOT NULL DEFAULT '',
    approval_date   TEXT,
    effective_date  TEXT,
    changes_json    TEXT NOT NULL,
    proposal_id     TEXT,
    status          TEXT NOT NULL CHECK (status IN ({_among(DIVISION_CASE_ALL_STATUSES)})),
    close_reason    TEXT NOT NULL DEFAULT '',
    review_json     TEXT NOT NULL DEFAULT '{{}}',
    created_at      TEXT NOT NULL,
    updated_at      TEXT NOT NULL
);
CREATE INDEX idx_division_cases_status ON division_cases (status);
CREATE INDEX idx_division_cases_division ON division_cases (division_code);
CREATE TABLE division_case_events (
    {{ID}},
    case_id TEXT NOT NULL REFERENCES division_cases (case_id),
    step    TEXT NOT NULL CHECK (step IN ({_among(DIVISION_CASE_ALL_STEPS)})),
    on_date TEXT NOT NULL,
    actor   TEXT NOT NULL,
    note    TEXT NOT NULL DEFAULT '',
    at      TEXT NOT NULL,
    UNIQUE (case_id, step)
);
CREATE TABLE division_case_documents (
    {{ID}},
    case_id     TEXT NOT NULL REFERENCES division_cases (case_id),
    doc_type    TEXT NOT NULL CHECK (doc_type IN ({_among(DIVISION_DOCUMENT_TYPES)})),
    filename    TEXT NOT NULL,
    content     {{BLOB}} NOT NULL,
    size        INTEGER NOT NULL,
    sha256      TEXT NOT NULL,
    note        TEXT NOT NULL DEFAULT '',
    uploaded_by TEXT NOT NULL,
    uploaded_at TEXT NOT NULL
);
CREATE INDEX idx_division_case_documents ON division_case_documents (case_id, doc_type);
CREATE TABLE division_proposals (
    proposal_id   TEXT PRIMARY KEY,
    batch         TEXT NOT NULL,
    proposal_key  TEXT NOT NULL UNIQUE,
    kind          TEXT NOT NULL CHECK (kind IN ({_among(DIVISION_CHANGE_KINDS)})),
    division_code TEXT NOT NULL,
    body_json     TEXT NOT NULL,
    status        TEXT NOT NULL CHECK (status IN ({_among(PROPOSAL_STATUSES)})),
    reason        TEXT NOT NULL DEFAULT '',
    case_id       TEXT,
    created_by    TEXT NOT NULL,
    created_at    TEXT NOT NULL,
    updated_at    TEXT NOT NULL
);
CREATE INDEX idx_division_proposals_status ON division_proposals (status, division_code);
CREATE TABLE survey_tasks (
    task_id        TEXT PRIMARY KEY,
    case_id        TEXT NOT NULL REFERENCES division_cases (case_id),
    division_codes TEXT NOT NULL,
    line_ids       TEXT NOT NULL DEFAULT '',
    due            TEXT NOT NULL,
    status         TEXT NOT NULL CHECK (status IN ({_among(SURVEY_TASK_STATUSES)})),
    done_on        TEXT,
    note           TEXT NOT NULL DEFAULT '',
    created_by     TEXT NOT NULL,
    created_at     TEXT NOT NULL,
    updated_at     TEXT NOT NULL
);
CREATE INDEX idx_survey_tasks_status ON survey_tasks (status, due);
ALTER TABLE zone_sets ADD COLUMN stale TEXT NOT NULL DEFAULT '';
ALTER TABLE coverage_runs ADD COLUMN stale TEXT NOT NULL DEFAULT '';
"""

#: The new non-spatial tables worth browsing in QGIS (GeoPackage ``gpkg_contents``). Only
#: tables with an integer primary key may be listed (the standard's requirement 119), so the
#: cases, proposals and tasks (text ids) are not, as ``name_cases`` is not.
CHANGE_ATTRIBUTE_TABLES: dict[str, str] = {
    "division_versions": "行政区划历史版本 division versions",
    "division_case_events": "行政区划变更案件环节 change case steps",
    "division_case_documents": "行政区划变更案件材料 change case documents",
}
