"""Schema of the embedded GeoPackage store and the migrations between its versions.

The schema version lives in the ``geociv_meta`` table (``PRAGMA user_version`` belongs to the
GeoPackage format). A newer geociv opening an older file runs the missing migrations in one
transaction each; a file newer than this geociv is refused, never guessed at.

Versions
--------
1. GeoPackage core tables, CGCS2000 (EPSG:4490), ``divisions`` feature table, ``users``,
   ``audit_log``, ``geociv_meta``.
2. ``divisions.source`` and ``divisions.updated_at``; ``users.last_login_at``;
   ``audit_log.note``; indexes on division parent and name.
3. Gazetteer: ``names`` feature table (any geometry type), ``name_history`` (曾用名),
   ``pinyin_overrides``, ``name_terms`` (person/leader/foreign/brand lists), ``finding_overrides``.
4. Naming/renaming cases (命名更名): ``name_cases``, ``name_case_events`` (one row per step),
   ``name_case_documents`` (reports as BLOBs, never deleted); place-name signs (地名标志):
   ``signs`` point feature table and ``sign_patrols`` (巡检, optional photo BLOB).
5. Boundaries and the joint inspection (界线联检): ``boundary_lines`` multi-line feature table
   (versions of each line, at most one current), ``markers`` point feature table (界桩) with
   ``marker_references`` (方位物), ``boundary_photos`` (BLOBs, never deleted),
   ``inspection_rounds``, ``inspection_plans``, ``inspection_records`` point feature table
   (measured positions; versions) and ``inspection_signatures``.
6. Service coverage (服务圈): ``facilities`` point feature table (elderly-care facilities and
   rental stations; never deleted, a closed facility gets ``status = 'retired'``) and
   ``coverage_runs`` (every coverage computation with its inputs and headline figures, JSON).
7. Coverage inputs kept with the store: ``road_networks`` (walkable graphs as BLOBs with their
   snapshot id and connectivity) with the ``road_edges`` line feature table (for display and
   export), ``population_rasters`` (GeoTIFFs as BLOBs with CRS, bounds and total), and
   ``zone_sets`` with the ``coverage_zones`` multi-polygon feature table (areas of interest,
   subdistricts, communities). Nothing is deleted: a superseded input gets ``retired = 1``.
8. A case can end without taking effect: ``name_cases.status`` also allows ``withdrawn``
   (已撤回) and ``rejected`` (不予批准), ``name_case_events.step`` also ``withdraw`` and
   ``reject``, and ``name_cases.close_reason`` keeps the reason (理由). SQLite cannot alter a
   CHECK constraint, so the three case tables are rebuilt (rows, ids and AUTOINCREMENT
   counters kept); foreign keys stay enforced throughout (see :data:`_V8`).
9. Trust: ``users.session_version`` (bumped to end a user's sessions), ``login_attempts``
   (what the log-in throttle counts, with the client address), and thumbnails of stored
   photos (``boundary_photos.thumbnail``, ``sign_patrols.photo_thumbnail``).
10. The file passes GDAL's GeoPackage validator and opens without warnings in Debian 12's GDAL
    (3.6, which QGIS on Debian 12 uses): ``gpkg_contents.last_change`` gets the standard's
    default (the library that creates the file wrote ``%S.%f``, seconds twice) and the values
    written through that default are repaired (``…T07:28:45.45.393Z`` → ``…T07:28:45.393Z``);
    the file says GeoPackage 1.3 (``PRAGMA user_version`` 10300), the newest version those
    readers know, instead of 1.4. See :data:`_V10`.
11. Spatial indexes: every feature table gets its GeoPackage R-tree (``rtree_<table>_geom``,
    extension ``gpkg_rtree_index``) with the triggers that keep it, so box queries are answered
    by the index (see :mod:`geociv.store._gpkg_index`); the non-spatial tables worth browsing
    are listed in ``gpkg_contents`` as attributes, and triggers stamp ``last_change`` of every
    listed table when it is written (see :mod:`geociv.store._gpkg_contents`).
12. Division changes (行政区划变更): ``divisions`` is versioned (``valid_from``, ``valid_to``:
    a retired code keeps its row; ``predecessors``, ``change_case``) with the earlier versions
    of a code in ``division_versions``; change cases (``division_cases``,
    ``division_case_events``, ``division_case_documents``), the proposals made from two
    official lists (``division_proposals``), re-survey tasks (勘界, ``survey_tasks``), and
    ``zone_sets.stale`` / ``coverage_runs.stale`` (why they no longer match the divisions).
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pyproj

from geociv.store._change_schema import CHANGE_ATTRIBUTE_TABLES, CHANGE_TABLES_SQL
from geociv.store._gpkg_contents import (
    ATTRIBUTE_TABLES,
    LAST_CHANGE_DEFAULT,
    last_change_sql,
    register_attributes_sql,
)
from geociv.store._gpkg_index import spatial_index_sql

STORAGE_SRS_ID = 4490

#: ``PRAGMA user_version`` of the file: GeoPackage 1.3. GDAL before 3.8 (Debian 12 has 3.6.2,
#: under its QGIS too) warns that a 1.4 file "may only be partially supported"; nothing geociv
#: writes needs 1.4.
GPKG_USER_VERSION = 10300


def _create_geopackage(path: Path) -> None:
    """Create an empty GeoPackage with the CGCS2000 SRS and the ``divisions`` layer."""
    from fudgeo.enumeration import FieldType
    from fudgeo.geopkg import Field, GeoPackage, SpatialReferenceSystem

    gpkg = GeoPackage.create(path, flavor="EPSG")
    try:
        srs = SpatialReferenceSystem(
            name="China Geodetic Coordinate System 2000",
            organization="EPSG",
            org_coord_sys_id=STORAGE_SRS_ID,
            definition=pyproj.CRS.from_epsg(STORAGE_SRS_ID).to_wkt("WKT1_GDAL"),
            description="CGCS2000 — geociv storage CRS",
        )
        gpkg.create_feature_class(
            "divisions",
            srs=srs,
            shape_type="MULTIPOLYGON",
            fields=(
                Field("code", FieldType.text, is_nullable=False),
                Field("name", FieldType.text, is_nullable=False),
                Field("level", FieldType.text, is_nullable=False),
                Field("parent_code", FieldType.text),
                Field("kind", FieldType.text, is_nullable=False, default="statutory"),
                Field("area_km2", FieldType.double),
            ),
            description="行政区划 administrative divisions",
            spatial_index=False,
            geom_name="geom",
            pk_name="fid",
        )
        # fudgeo stamps the registration with the local time marked as UTC ('Z')
        gpkg.connection.execute(f"UPDATE gpkg_contents SET last_change = {LAST_CHANGE_DEFAULT}")
        gpkg.connection.commit()
    finally:
        gpkg.connection.close()


_V1 = """
CREATE UNIQUE INDEX idx_divisions_code ON divisions (code);
CREATE TABLE geociv_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE users (
    username      TEXT PRIMARY KEY,
    password_hash TEXT NOT NULL,
    role          TEXT NOT NULL
          CHECK (role IN ('officer', 'inspector', 'planner', 'admin')),
    division_code TEXT NOT NULL,
    display_name  TEXT NOT NULL DEFAULT '',
    active        INTEGER NOT NULL DEFAULT 1,
    created_at    TEXT NOT NULL
);
CREATE TABLE audit_log (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    at          TEXT NOT NULL,
    actor       TEXT NOT NULL,
    action      TEXT NOT NULL,
    entity      TEXT NOT NULL,
    entity_key  TEXT NOT NULL,
    before_json TEXT,
    after_json  TEXT
);
CREATE INDEX idx_audit_entity ON audit_log (entity, entity_key);
"""


_V2 = """
ALTER TABLE divisions ADD COLUMN source TEXT NOT NULL DEFAULT '';
ALTER TABLE divisions ADD COLUMN updated_at TEXT;
ALTER TABLE users ADD COLUMN last_login_at TEXT;
ALTER TABLE audit_log ADD COLUMN note TEXT NOT NULL DEFAULT '';
CREATE INDEX idx_divisions_parent ON divisions (parent_code, level);
CREATE INDEX idx_divisions_name ON divisions (name);
CREATE INDEX idx_audit_actor ON audit_log (actor, id);
"""


_V3 = """
CREATE TABLE names (
    fid             INTEGER PRIMARY KEY AUTOINCREMENT,
    geom            GEOMETRY,
    name_id         TEXT NOT NULL UNIQUE,
    name            TEXT NOT NULL,
    specific        TEXT NOT NULL,
    generic         TEXT NOT NULL,
    category        TEXT NOT NULL,
    division_code   TEXT NOT NULL,
    pinyin          TEXT NOT NULL DEFAULT '',
    pinyin_reviewed INTEGER NOT NULL DEFAULT 0,
    status          TEXT NOT NULL
                    CHECK (status IN ('proposed', 'approved', 'published', 'retired')),
    heritage_level  TEXT NOT NULL DEFAULT '',
    aliases         TEXT NOT NULL DEFAULT '[]',
    source          TEXT NOT NULL DEFAULT '',
    represents      TEXT,
    created_at      TEXT NOT NULL,
    updated_at      TEXT NOT NULL
);
CREATE INDEX idx_names_division ON names (division_code);
CREATE INDEX idx_names_name ON names (name);
CREATE INDEX idx_names_category ON names (category, status);
INSERT INTO gpkg_contents (table_name, data_type, identifier, description, srs_id)
    VALUES ('names', 'features', 'names', '地名 place names', 4490);
INSERT INTO gpkg_geometry_columns (table_name, column_name, geometry_type_name, srs_id, z, m)
    VALUES ('names', 'geom', 'GEOMETRY', 4490, 0, 0);
CREATE TABLE name_history (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    name_id    TEXT NOT NULL REFERENCES names (name_id),
    name       TEXT NOT NULL,
    pinyin     TEXT NOT NULL DEFAULT '',
    valid_from TEXT,
    valid_to   TEXT,
    note       TEXT NOT NULL DEFAULT '',
    case_id    TEXT
);
CREATE INDEX idx_name_history_name ON name_history (name);
CREATE INDEX idx_name_history_id ON name_history (name_id);
CREATE TABLE pinyin_overrides (
    word     TEXT PRIMARY KEY,
    pinyin   TEXT NOT NULL,
    note     TEXT NOT NULL DEFAULT '',
    added_by TEXT NOT NULL,
    added_at TEXT NOT NULL
);
CREATE TABLE name_terms (
    id       INTEGER PRIMARY KEY AUTOINCREMENT,
    list     TEXT NOT NULL CHECK (list IN ('person', 'leader', 'foreign', 'brand')),
    term     TEXT NOT NULL,
    note     TEXT NOT NULL DEFAULT '',
    added_by TEXT NOT NULL,
    added_at TEXT NOT NULL,
    UNIQUE (list, term)
);
CREATE TABLE finding_overrides (
    id      INTEGER PRIMARY KEY AUTOINCREMENT,
    name    TEXT NOT NULL,
    rule_id TEXT NOT NULL,
    reason  TEXT NOT NULL,
    actor   TEXT NOT NULL,
    at      TEXT NOT NULL
);
CREATE INDEX idx_finding_overrides ON finding_overrides (name, rule_id);
CREATE INDEX idx_audit_entity_id ON audit_log (entity, id);
"""


_V4 = """
CREATE TABLE name_cases (
    case_id        TEXT PRIMARY KEY,
    kind           TEXT NOT NULL CHECK (kind IN ('naming', 'renaming')),
    name_id        TEXT REFERENCES names (name_id),
    old_name       TEXT NOT NULL DEFAULT '',
    proposed_name  TEXT NOT NULL,
    pinyin         TEXT NOT NULL DEFAULT '',
    category       TEXT NOT NULL,
    division_code  TEXT NOT NULL,
    location       TEXT NOT NULL DEFAULT '',
    reason         TEXT NOT NULL DEFAULT '',
    applicant      TEXT NOT NULL,
    approving_body TEXT NOT NULL DEFAULT '',
    filed_with     TEXT NOT NULL DEFAULT '',
    status         TEXT NOT NULL CHECK (status IN
                   ('applied', 'reviewed', 'approved', 'filed', 'published', 'effective')),
    review_json    TEXT NOT NULL DEFAULT '{}',
    created_at     TEXT NOT NULL,
    updated_at     TEXT NOT NULL
);
CREATE INDEX idx_name_cases_status ON name_cases (status);
CREATE INDEX idx_name_cases_name ON name_cases (name_id);
CREATE INDEX idx_name_cases_division ON name_cases (division_code);
CREATE TABLE name_case_events (
    id      INTEGER PRIMARY KEY AUTOINCREMENT,
    case_id TEXT NOT NULL REFERENCES name_cases (case_id),
    step    TEXT NOT NULL
            CHECK (step IN ('apply', 'review', 'approve', 'file', 'publish', 'effective')),
    on_date TEXT NOT NULL,
    actor   TEXT NOT NULL,
    note    TEXT NOT NULL DEFAULT '',
    at      TEXT NOT NULL,
    UNIQUE (case_id, step)
);
CREATE TABLE name_case_documents (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    case_id     TEXT NOT NULL REFERENCES name_cases (case_id),
    doc_type    TEXT NOT NULL CHECK (doc_type IN
                ('assessment', 'expert', 'consultation', 'protection', 'approval', 'other')),
    filename    TEXT NOT NULL,
    content     BLOB NOT NULL,
    size        INTEGER NOT NULL,
    sha256      TEXT NOT NULL,
    note        TEXT NOT NULL DEFAULT '',
    uploaded_by TEXT NOT NULL,
    uploaded_at TEXT NOT NULL
);
CREATE INDEX idx_name_case_documents ON name_case_documents (case_id, doc_type);
CREATE TABLE signs (
    fid          INTEGER PRIMARY KEY AUTOINCREMENT,
    geom         POINT,
    sign_id      TEXT NOT NULL UNIQUE,
    name_id      TEXT NOT NULL REFERENCES names (name_id),
    sign_type    TEXT NOT NULL
                 CHECK (sign_type IN ('road', 'house_number', 'village', 'natural', 'other')),
    text         TEXT NOT NULL,
    pinyin       TEXT NOT NULL DEFAULT '',
    installed_on TEXT,
    status       TEXT NOT NULL CHECK (status IN ('in_service', 'damaged', 'removed')),
    installer    TEXT NOT NULL DEFAULT '',
    remarks      TEXT NOT NULL DEFAULT '',
    created_at   TEXT NOT NULL,
    updated_at   TEXT NOT NULL
);
CREATE INDEX idx_signs_name ON signs (name_id);
INSERT INTO gpkg_contents (table_name, data_type, identifier, description, srs_id)
    VALUES ('signs', 'features', 'signs', '地名标志 place-name signs', 4490);
INSERT INTO gpkg_geometry_columns (table_name, column_name, geometry_type_name, srs_id, z, m)
    VALUES ('signs', 'geom', 'POINT', 4490, 0, 0);
CREATE TABLE sign_patrols (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    sign_id        TEXT NOT NULL REFERENCES signs (sign_id),
    patrolled_on   TEXT NOT NULL,
    condition      TEXT NOT NULL
                   CHECK (condition IN ('intact', 'soiled', 'broken', 'missing', 'obscured')),
    inspector      TEXT NOT NULL,
    remarks        TEXT NOT NULL DEFAULT '',
    photo          BLOB,
    photo_filename TEXT NOT NULL DEFAULT '',
    recorded_by    TEXT NOT NULL,
    recorded_at    TEXT NOT NULL
);
CREATE INDEX idx_sign_patrols ON sign_patrols (sign_id, patrolled_on);
"""


_V5 = """
CREATE TABLE boundary_lines (
    fid        INTEGER PRIMARY KEY AUTOINCREMENT,
    geom       MULTILINESTRING,
    line_id    TEXT NOT NULL,
    version    INTEGER NOT NULL CHECK (version >= 1),
    name       TEXT NOT NULL,
    section    TEXT NOT NULL DEFAULT '',
    left_code  TEXT NOT NULL,
    right_code TEXT NOT NULL DEFAULT '',
    level      TEXT NOT NULL CHECK (level IN ('provincial', 'city', 'county', 'edge')),
    internal   INTEGER NOT NULL DEFAULT 0,
    length_km  REAL NOT NULL,
    source     TEXT NOT NULL CHECK (source IN ('derived', 'surveyed', 'sample')),
    valid_from TEXT NOT NULL,
    valid_to   TEXT,
    note       TEXT NOT NULL DEFAULT '',
    created_by TEXT NOT NULL,
    created_at TEXT NOT NULL,
    UNIQUE (line_id, version)
);
CREATE UNIQUE INDEX idx_boundary_lines_current ON boundary_lines (line_id) WHERE valid_to IS NULL;
CREATE INDEX idx_boundary_lines_sides ON boundary_lines (left_code, right_code);
INSERT INTO gpkg_contents (table_name, data_type, identifier, description, srs_id)
    VALUES ('boundary_lines', 'features', 'boundary_lines', '行政区域界线 boundary lines', 4490);
INSERT INTO gpkg_geometry_columns (table_name, column_name, geometry_type_name, srs_id, z, m)
    VALUES ('boundary_lines', 'geom', 'MULTILINESTRING', 4490, 0, 0);
CREATE TABLE markers (
    fid           INTEGER PRIMARY KEY AUTOINCREMENT,
    geom          POINT,
    marker_id     TEXT NOT NULL UNIQUE,
    line_id       TEXT NOT NULL,
    serial        INTEGER NOT NULL CHECK (serial BETWEEN 1 AND 999),
    type_code     TEXT NOT NULL CHECK (type_code IN ('Q', 'A', 'B', 'C', 'D', 'E')),
    kind          TEXT NOT NULL CHECK (kind IN ('single', 'paired', 'triple')),
    material      TEXT NOT NULL DEFAULT '',
    registered_on TEXT,
    sample        INTEGER NOT NULL DEFAULT 0,
    status        TEXT NOT NULL CHECK (status IN ('active', 'retired')),
    remarks       TEXT NOT NULL DEFAULT '',
    created_by    TEXT NOT NULL,
    created_at    TEXT NOT NULL,
    updated_at    TEXT NOT NULL
);
CREATE INDEX idx_markers_line ON markers (line_id, serial);
INSERT INTO gpkg_contents (table_name, data_type, identifier, description, srs_id)
    VALUES ('markers', 'features', 'markers', '界桩 boundary markers', 4490);
INSERT INTO gpkg_geometry_columns (table_name, column_name, geometry_type_name, srs_id, z, m)
    VALUES ('markers', 'geom', 'POINT', 4490, 0, 0);
CREATE TABLE marker_references (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    marker_id   TEXT NOT NULL REFERENCES markers (marker_id),
    seq         INTEGER NOT NULL,
    description TEXT NOT NULL,
    bearing_deg REAL NOT NULL CHECK (bearing_deg >= 0 AND bearing_deg < 360),
    distance_m  REAL NOT NULL CHECK (distance_m > 0),
    UNIQUE (marker_id, seq)
);
CREATE TABLE boundary_photos (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    owner       TEXT NOT NULL CHECK (owner IN ('marker', 'inspection')),
    owner_key   TEXT NOT NULL,
    filename    TEXT NOT NULL,
    content     BLOB NOT NULL,
    size        INTEGER NOT NULL,
    sha256      TEXT NOT NULL,
    note        TEXT NOT NULL DEFAULT '',
    uploaded_by TEXT NOT NULL,
    uploaded_at TEXT NOT NULL
);
CREATE INDEX idx_boundary_photos ON boundary_photos (owner, owner_key);
CREATE TABLE inspection_rounds (
    round_no   INTEGER PRIMARY KEY CHECK (round_no >= 1),
    first_year INTEGER NOT NULL,
    last_year  INTEGER NOT NULL,
    title      TEXT NOT NULL DEFAULT '',
    created_by TEXT NOT NULL,
    created_at TEXT NOT NULL,
    CHECK (last_year >= first_year)
);
CREATE TABLE inspection_plans (
    plan_id      INTEGER PRIMARY KEY AUTOINCREMENT,
    round_no     INTEGER NOT NULL REFERENCES inspection_rounds (round_no),
    line_id      TEXT NOT NULL,
    year         INTEGER NOT NULL,
    kind         TEXT NOT NULL CHECK (kind IN ('regular', 'ad_hoc')),
    left_code    TEXT NOT NULL,
    left_team    TEXT NOT NULL DEFAULT '[]',
    right_code   TEXT NOT NULL,
    right_team   TEXT NOT NULL DEFAULT '[]',
    sample       INTEGER NOT NULL DEFAULT 0,
    note         TEXT NOT NULL DEFAULT '',
    created_by   TEXT NOT NULL,
    created_at   TEXT NOT NULL,
    updated_at   TEXT NOT NULL
);
CREATE UNIQUE INDEX idx_inspection_plans_regular ON inspection_plans (round_no, line_id)
    WHERE kind = 'regular';
CREATE INDEX idx_inspection_plans_year ON inspection_plans (round_no, year);
CREATE TABLE inspection_records (
    fid                INTEGER PRIMARY KEY AUTOINCREMENT,
    geom               POINT,
    record_id          TEXT NOT NULL,
    version            INTEGER NOT NULL CHECK (version >= 1),
    kind               TEXT NOT NULL CHECK (kind IN ('marker', 'line')),
    plan_id            INTEGER NOT NULL REFERENCES inspection_plans (plan_id),
    round_no           INTEGER NOT NULL,
    line_id            TEXT NOT NULL,
    marker_id          TEXT REFERENCES markers (marker_id),
    inspected_on       TEXT NOT NULL,
    gps_accuracy_m     REAL,
    condition          TEXT CHECK (condition IS NULL OR condition IN
                       ('intact', 'damaged', 'missing', 'displaced', 'buried', 'illegible')),
    references_present INTEGER,
    reference_checks   TEXT,
    changes_json       TEXT NOT NULL DEFAULT '[]',
    remarks            TEXT NOT NULL DEFAULT '',
    sample             INTEGER NOT NULL DEFAULT 0,
    status             TEXT NOT NULL CHECK (status IN ('draft', 'final', 'superseded')),
    reason             TEXT NOT NULL DEFAULT '',
    created_by         TEXT NOT NULL,
    created_at         TEXT NOT NULL,
    updated_at         TEXT NOT NULL,
    UNIQUE (record_id, version)
);
CREATE INDEX idx_inspection_records_plan ON inspection_records (plan_id, kind);
CREATE INDEX idx_inspection_records_marker ON inspection_records (marker_id);
CREATE INDEX idx_inspection_records_line ON inspection_records (line_id, round_no);
INSERT INTO gpkg_contents (table_name, data_type, identifier, description, srs_id)
    VALUES ('inspection_records', 'features', 'inspection_records',
            '联检记录（实测位置） inspection records', 4490);
INSERT INTO gpkg_geometry_columns (table_name, column_name, geometry_type_name, srs_id, z, m)
    VALUES ('inspection_records', 'geom', 'POINT', 4490, 0, 0);
CREATE TABLE inspection_signatures (
    id        INTEGER PRIMARY KEY AUTOINCREMENT,
    record_id TEXT NOT NULL,
    version   INTEGER NOT NULL,
    side      TEXT NOT NULL CHECK (side IN ('left', 'right')),
    side_code TEXT NOT NULL,
    username  TEXT NOT NULL,
    signed_at TEXT NOT NULL,
    note      TEXT NOT NULL DEFAULT '',
    UNIQUE (record_id, version, side),
    FOREIGN KEY (record_id, version) REFERENCES inspection_records (record_id, version)
);
"""


_V6 = """
CREATE TABLE facilities (
    fid           INTEGER PRIMARY KEY AUTOINCREMENT,
    geom          POINT,
    facility_id   TEXT NOT NULL UNIQUE,
    name          TEXT NOT NULL,
    type          TEXT NOT NULL CHECK (type IN ('nursing_home', 'subdistrict_center', 'day_care',
                  'rural_mutual_aid', 'rental_station', 'fitting_center', 'experience_hall')),
    capacity_beds INTEGER CHECK (capacity_beds IS NULL OR capacity_beds >= 0),
    status        TEXT NOT NULL
                  CHECK (status IN ('existing', 'planned', 'candidate', 'retired')),
    division_code TEXT NOT NULL DEFAULT '',
    address       TEXT NOT NULL DEFAULT '',
    source        TEXT NOT NULL DEFAULT '',
    sample        INTEGER NOT NULL DEFAULT 0,
    created_by    TEXT NOT NULL,
    created_at    TEXT NOT NULL,
    updated_at    TEXT NOT NULL
);
CREATE INDEX idx_facilities_type ON facilities (type, status);
INSERT INTO gpkg_contents (table_name, data_type, identifier, description, srs_id)
    VALUES ('facilities', 'features', 'facilities', '养老服务设施 elderly-care facilities', 4490);
INSERT INTO gpkg_geometry_columns (table_name, column_name, geometry_type_name, srs_id, z, m)
    VALUES ('facilities', 'geom', 'POINT', 4490, 0, 0);
CREATE TABLE coverage_runs (
    run_id       TEXT PRIMARY KEY,
    created_at   TEXT NOT NULL,
    actor        TEXT NOT NULL,
    kind         TEXT NOT NULL,
    params_json  TEXT NOT NULL,
    summary_json TEXT NOT NULL
);
CREATE INDEX idx_coverage_runs_kind ON coverage_runs (kind, created_at);
"""


_V7 = """
CREATE TABLE road_networks (
    network_id  TEXT PRIMARY KEY,
    name        TEXT NOT NULL,
    source      TEXT NOT NULL DEFAULT '',
    snapshot_id TEXT NOT NULL,
    crs         INTEGER NOT NULL,
    n_nodes     INTEGER NOT NULL CHECK (n_nodes >= 0),
    n_edges     INTEGER NOT NULL CHECK (n_edges >= 0),
    length_km   REAL NOT NULL,
    components  TEXT NOT NULL DEFAULT '{}',
    graph       BLOB NOT NULL,
    size        INTEGER NOT NULL,
    sha256      TEXT NOT NULL,
    retired     INTEGER NOT NULL DEFAULT 0,
    created_by  TEXT NOT NULL,
    created_at  TEXT NOT NULL
);
CREATE INDEX idx_road_networks_snapshot ON road_networks (snapshot_id);
CREATE TABLE road_edges (
    fid        INTEGER PRIMARY KEY AUTOINCREMENT,
    geom       LINESTRING,
    network_id TEXT NOT NULL REFERENCES road_networks (network_id),
    length_m   REAL NOT NULL
);
CREATE INDEX idx_road_edges_network ON road_edges (network_id);
INSERT INTO gpkg_contents (table_name, data_type, identifier, description, srs_id)
    VALUES ('road_edges', 'features', 'road_edges', '步行路网 walkable road network', 4490);
INSERT INTO gpkg_geometry_columns (table_name, column_name, geometry_type_name, srs_id, z, m)
    VALUES ('road_edges', 'geom', 'LINESTRING', 4490, 0, 0);
CREATE TABLE population_rasters (
    raster_id  TEXT PRIMARY KEY,
    label      TEXT NOT NULL,
    filename   TEXT NOT NULL,
    crs        TEXT NOT NULL,
    bounds     TEXT NOT NULL,
    total      REAL NOT NULL,
    cells      INTEGER NOT NULL CHECK (cells > 0),
    data       BLOB NOT NULL,
    size       INTEGER NOT NULL,
    sha256     TEXT NOT NULL,
    retired    INTEGER NOT NULL DEFAULT 0,
    created_by TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE TABLE zone_sets (
    set_id     TEXT PRIMARY KEY,
    name       TEXT NOT NULL,
    kind       TEXT NOT NULL CHECK (kind IN ('aoi', 'subdistrict', 'community', 'other')),
    source     TEXT NOT NULL DEFAULT '',
    n_zones    INTEGER NOT NULL CHECK (n_zones >= 1),
    sample     INTEGER NOT NULL DEFAULT 0,
    retired    INTEGER NOT NULL DEFAULT 0,
    created_by TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE INDEX idx_zone_sets_kind ON zone_sets (kind, set_id);
CREATE TABLE coverage_zones (
    fid      INTEGER PRIMARY KEY AUTOINCREMENT,
    geom     MULTIPOLYGON,
    set_id   TEXT NOT NULL REFERENCES zone_sets (set_id),
    seq      INTEGER NOT NULL,
    code     TEXT NOT NULL DEFAULT '',
    name     TEXT NOT NULL,
    area_km2 REAL NOT NULL,
    UNIQUE (set_id, seq)
);
INSERT INTO gpkg_contents (table_name, data_type, identifier, description, srs_id)
    VALUES ('coverage_zones', 'features', 'coverage_zones',
            '统计单元与统计范围 coverage zones', 4490);
INSERT INTO gpkg_geometry_columns (table_name, column_name, geometry_type_name, srs_id, z, m)
    VALUES ('coverage_zones', 'geom', 'MULTIPOLYGON', 4490, 0, 0);
"""


#: Version 8 rebuilds the case tables with wider CHECK constraints. The stores run with
#: ``PRAGMA foreign_keys = ON``, which cannot be switched off inside the migration's
#: transaction, and dropping ``name_cases`` while events and documents still point at it would
#: violate their foreign keys. So new tables are made under ``*_v8`` names with the children
#: pointing at ``name_cases_v8``, filled, the old tables dropped children first (nothing
#: points at the old ``name_cases`` any more), and the new ones renamed: renaming
#: ``name_cases_v8`` rewrites the children's references to ``name_cases``.
_V8 = """
CREATE TABLE name_cases_v8 (
    case_id        TEXT PRIMARY KEY,
    kind           TEXT NOT NULL CHECK (kind IN ('naming', 'renaming')),
    name_id        TEXT REFERENCES names (name_id),
    old_name       TEXT NOT NULL DEFAULT '',
    proposed_name  TEXT NOT NULL,
    pinyin         TEXT NOT NULL DEFAULT '',
    category       TEXT NOT NULL,
    division_code  TEXT NOT NULL,
    location       TEXT NOT NULL DEFAULT '',
    reason         TEXT NOT NULL DEFAULT '',
    applicant      TEXT NOT NULL,
    approving_body TEXT NOT NULL DEFAULT '',
    filed_with     TEXT NOT NULL DEFAULT '',
    status         TEXT NOT NULL CHECK (status IN ('applied', 'reviewed', 'approved', 'filed',
                   'published', 'effective', 'withdrawn', 'rejected')),
    close_reason   TEXT NOT NULL DEFAULT '',
    review_json    TEXT NOT NULL DEFAULT '{}',
    created_at     TEXT NOT NULL,
    updated_at     TEXT NOT NULL
);
INSERT INTO name_cases_v8 (case_id, kind, name_id, old_name, proposed_name, pinyin, category,
    division_code, location, reason, applicant, approving_body, filed_with, status,
    review_json, created_at, updated_at)
SELECT case_id, kind, name_id, old_name, proposed_name, pinyin, category, division_code,
    location, reason, applicant, approving_body, filed_with, status, review_json, created_at,
    updated_at
FROM name_cases;
CREATE TABLE name_case_events_v8 (
    id      INTEGER PRIMARY KEY AUTOINCREMENT,
    case_id TEXT NOT NULL REFERENCES name_cases_v8 (case_id),
    step    TEXT NOT NULL CHECK (step IN ('apply', 'review', 'approve', 'file', 'publish',
            'effective', 'withdraw', 'reject')),
    on_date TEXT NOT NULL,
    actor   TEXT NOT NULL,
    note    TEXT NOT NULL DEFAULT '',
    at      TEXT NOT NULL,
    UNIQUE (case_id, step)
);
INSERT INTO name_case_events_v8 (id, case_id, step, on_date, actor, note, at)
SELECT id, case_id, step, on_date, actor, note, at FROM name_case_events ORDER BY id;
CREATE TABLE name_case_documents_v8 (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    case_id     TEXT NOT NULL REFERENCES name_cases_v8 (case_id),
    doc_type    TEXT NOT NULL CHECK (doc_type IN
                ('assessment', 'expert', 'consultation', 'protection', 'approval', 'other')),
    filename    TEXT NOT NULL,
    content     BLOB NOT NULL,
    size        INTEGER NOT NULL,
    sha256      TEXT NOT NULL,
    note        TEXT NOT NULL DEFAULT '',
    uploaded_by TEXT NOT NULL,
    uploaded_at TEXT NOT NULL
);
INSERT INTO name_case_documents_v8 (id, case_id, doc_type, filename, content, size, sha256,
    note, uploaded_by, uploaded_at)
SELECT id, case_id, doc_type, filename, content, size, sha256, note, uploaded_by, uploaded_at
FROM name_case_documents ORDER BY id;
UPDATE sqlite_sequence SET seq = max(seq,
    coalesce((SELECT seq FROM sqlite_sequence WHERE name = 'name_case_events'), 0))
    WHERE name = 'name_case_events_v8';
UPDATE sqlite_sequence SET seq = max(seq,
    coalesce((SELECT seq FROM sqlite_sequence WHERE name = 'name_case_documents'), 0))
    WHERE name = 'name_case_documents_v8';
DROP TABLE name_case_documents;
DROP TABLE name_case_events;
DROP TABLE name_cases;
ALTER TABLE name_cases_v8 RENAME TO name_cases;
ALTER TABLE name_case_events_v8 RENAME TO name_case_events;
ALTER TABLE name_case_documents_v8 RENAME TO name_case_documents;
CREATE INDEX idx_name_cases_status ON name_cases (status);
CREATE INDEX idx_name_cases_name ON name_cases (name_id);
CREATE INDEX idx_name_cases_division ON name_cases (division_code);
CREATE INDEX idx_name_case_documents ON name_case_documents (case_id, doc_type);
"""

#: Version 9 (trust): a per-user session version that ends every session of the user when it
#: changes (log-out, new password, new role or division, deactivation); the log-in attempts the
#: throttle counts (user name capped, client address); thumbnails of stored photos.
_V9 = """
ALTER TABLE users ADD COLUMN session_version INTEGER NOT NULL DEFAULT 0;
CREATE TABLE login_attempts (
    id       INTEGER PRIMARY KEY AUTOINCREMENT,
    at       TEXT NOT NULL,
    username TEXT NOT NULL,
    address  TEXT NOT NULL DEFAULT '',
    ok       INTEGER NOT NULL CHECK (ok IN (0, 1))
);
CREATE INDEX idx_login_attempts_user ON login_attempts (username, at);
CREATE INDEX idx_login_attempts_address ON login_attempts (address, at);
ALTER TABLE boundary_photos ADD COLUMN thumbnail BLOB;
ALTER TABLE sign_patrols ADD COLUMN photo_thumbnail BLOB;
"""


#: A ``last_change`` written through the old default: seconds twice (``…:45.45.393Z``).
_SECONDS_TWICE = "????-??-??T??:??:??.??.???Z"

#: Version 10 (a valid GeoPackage). SQLite cannot change a column's default, so
#: ``gpkg_contents`` is rebuilt the way SQLite documents for any other table change: a new table
#: under a temporary name, the rows copied (``last_change`` repaired: seconds written twice are
#: dropped, anything else SQLite reads is normalised, anything it cannot read becomes now), the
#: old table dropped and the new one renamed. ``gpkg_geometry_columns`` and the tile tables
#: point at ``gpkg_contents`` by name, so this runs with foreign keys off and checks them before
#: it commits (see :data:`_KEYS_OFF` and :func:`migrate`).
_V10 = f"""
CREATE TABLE gpkg_contents_v10 (
    table_name  TEXT     NOT NULL PRIMARY KEY,
    data_type   TEXT     NOT NULL,
    identifier  TEXT UNIQUE,
    description TEXT              DEFAULT '',
    last_change DATETIME NOT NULL DEFAULT ({LAST_CHANGE_DEFAULT}),
    min_x       DOUBLE,
    min_y       DOUBLE,
    max_x       DOUBLE,
    max_y       DOUBLE,
    srs_id      INTEGER,
    CONSTRAINT fk_gc_r_srs_id FOREIGN KEY (srs_id) REFERENCES gpkg_spatial_ref_sys (srs_id)
);
INSERT INTO gpkg_contents_v10 (table_name, data_type, identifier, description, last_change,
    min_x, min_y, max_x, max_y, srs_id)
SELECT table_name, data_type, identifier, description,
    coalesce(strftime('%Y-%m-%dT%H:%M:%fZ', CASE WHEN last_change GLOB '{_SECONDS_TWICE}'
        THEN substr(last_change, 1, 19) || substr(last_change, 23) ELSE last_change END),
        {LAST_CHANGE_DEFAULT}),
    min_x, min_y, max_x, max_y, srs_id
FROM gpkg_contents;
DROP TABLE gpkg_contents;
ALTER TABLE gpkg_contents_v10 RENAME TO gpkg_contents;
PRAGMA user_version = {GPKG_USER_VERSION};
"""

#: The feature tables of the store (each has a ``geom`` column and an integer ``fid`` key).
FEATURE_TABLES = (
    "divisions",
    "names",
    "signs",
    "boundary_lines",
    "markers",
    "inspection_records",
    "facilities",
    "road_edges",
    "coverage_zones",
)

#: Version 11: the spatial index of every feature table (the connection running it has the
#: ``ST_*`` functions, :func:`geociv.store._gpkg_index.register_functions`), the non-spatial
#: tables worth browsing registered as attributes, and ``last_change`` stamped on every write
#: of a registered table (see :mod:`geociv.store._gpkg_contents`).
_V11 = (
    spatial_index_sql(FEATURE_TABLES)
    + register_attributes_sql(ATTRIBUTE_TABLES)
    + last_change_sql(FEATURE_TABLES + tuple(ATTRIBUTE_TABLES))
)

#: Version 12: division changes (行政区划变更). See :data:`CHANGE_TABLES_SQL`; the tables are
#: the same on both backends (the PostGIS DDL is made from the same text).
_V12 = (
    CHANGE_TABLES_SQL.replace("{ID}", "id INTEGER PRIMARY KEY AUTOINCREMENT").replace(
        "{BLOB}", "BLOB"
    )
    + register_attributes_sql(CHANGE_ATTRIBUTE_TABLES)
    + last_change_sql(tuple(CHANGE_ATTRIBUTE_TABLES))
)

#: ``MIGRATIONS[i]`` is the SQL that brings a store from version ``i`` to ``i + 1``.
MIGRATIONS: list[str] = [_V1, _V2, _V3, _V4, _V5, _V6, _V7, _V8, _V9, _V10, _V11, _V12]

#: Versions whose migration rebuilds a table that others point at: run with foreign keys off,
#: and the tables named here checked before the migration commits.
_KEYS_OFF: dict[int, tuple[str, ...]] = {
    10: ("gpkg_geometry_columns", "gpkg_tile_matrix_set", "gpkg_tile_matrix"),
}

SCHEMA_VERSION = len(MIGRATIONS)


def read_version(conn: sqlite3.Connection) -> int:
    """Schema version of an open file; 0 for a file without geociv tables."""
    has_meta = conn.execute(
        "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'geociv_meta'"
    ).fetchone()
    if not has_meta:
        return 0
    row = conn.execute("SELECT value FROM geociv_meta WHERE key = 'schema_version'").fetchone()
    return int(row[0]) if row else 0


def ensure_geopackage(path: Path) -> None:
    """Create the GeoPackage file with its core tables if it does not exist yet."""
    if not path.exists() or path.stat().st_size == 0:
        path.parent.mkdir(parents=True, exist_ok=True)
        _create_geopackage(path)


def migrate(conn: sqlite3.Connection, target: int = SCHEMA_VERSION) -> list[int]:
    """Run the migrations from the file's version up to ``target``; return the versions applied."""
    applied = []
    current = read_version(conn)
    while current < target:
        _run_migration(conn, current + 1)
        current += 1
        applied.append(current)
    return applied


def _run_migration(conn: sqlite3.Connection, version: int) -> None:
    """Bring the file to ``version`` in one transaction: the DDL and the version bump together."""
    checked = _KEYS_OFF.get(version)
    keys_were_on = conn.execute("PRAGMA foreign_keys").fetchone()[0]
    if checked:  # only outside a transaction does this take effect
        conn.execute("PRAGMA foreign_keys = OFF")
    # executescript commits any open transaction first, so the script opens its own.
    script = (
        "BEGIN IMMEDIATE;\n"
        + MIGRATIONS[version - 1]
        + "INSERT INTO geociv_meta (key, value) VALUES ('schema_version', "
        + f"'{version}') ON CONFLICT (key) DO UPDATE SET value = excluded.value;\n"
    )
    try:
        conn.executescript(script)
        _check_foreign_keys(conn, version, checked or ())
        conn.execute("COMMIT")
    except BaseException:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise
    finally:
        if checked and keys_were_on:
            conn.execute("PRAGMA foreign_keys = ON")


def _check_foreign_keys(conn: sqlite3.Connection, version: int, tables: tuple[str, ...]) -> None:
    """Refuse the migration if a row of ``tables`` (those the file has) points nowhere."""
    present = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    for table in (t for t in tables if t in present):
        broken = conn.execute("SELECT * FROM pragma_foreign_key_check(?)", (table,)).fetchall()
        if broken:
            raise sqlite3.IntegrityError(f"migration {version}: {table} {list(broken[0])}")
