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
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pyproj

STORAGE_SRS_ID = 4490


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


#: ``MIGRATIONS[i]`` is the SQL that brings a store from version ``i`` to ``i + 1``.
MIGRATIONS: list[str] = [_V1, _V2]

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
        # executescript commits any open transaction first, so the script carries its own
        # BEGIN/COMMIT: the DDL and the version bump land together or not at all.
        script = (
            "BEGIN IMMEDIATE;\n"
            + MIGRATIONS[current]
            + "INSERT INTO geociv_meta (key, value) VALUES ('schema_version', "
            + f"'{current + 1}') ON CONFLICT (key) DO UPDATE SET value = excluded.value;\n"
            + "COMMIT;"
        )
        try:
            conn.executescript(script)
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise
        current += 1
        applied.append(current)
    return applied
