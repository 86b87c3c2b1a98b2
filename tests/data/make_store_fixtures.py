"""Write ``store_v1.gpkg`` … ``store_v9.gpkg``: stores as schema versions 1–9 wrote them.

Kept for the record of how the committed fixtures were made (each when its version was the
newest); the upgrade tests read the committed files, not fresh ones, so later changes to the
migrations cannot quietly rewrite the past. From version 6 on the file also holds one facility;
from version 7 on also one name record (顺河路) with a renaming case under review (C2026-0001:
its apply and review events and one document), so the rebuild of the case tables in version 8
is seen to keep them. Version 8 also holds the session key in ``geociv_meta`` as versions up
to 8 kept it, so that moving it out of the store (version 9) is seen to happen; version 9 no
longer holds it. Version 9, the last before the store passed GDAL's GeoPackage validator, has
``gpkg_contents.last_change`` values with the seconds twice and says GeoPackage 1.4, so that
version 10 is seen to repair them.
Run: ``python tests/data/make_store_fixtures.py VERSION``.
"""

import hashlib
import sqlite3
from pathlib import Path

from shapely import MultiPolygon, Point, Polygon

from geociv.store import _gpkg
from geociv.store._gpkg_index import register_functions
from geociv.store._sqlite_schema import ensure_geopackage, migrate

HERE = Path(__file__).parent


def write(version: int) -> Path:
    """Write the fixture of schema ``version``."""
    out = HERE / f"store_v{version}.gpkg"
    out.unlink(missing_ok=True)
    ensure_geopackage(out)
    conn = sqlite3.connect(out, isolation_level=None)
    register_functions(conn)  # from version 11 on, the spatial indexes' triggers call them
    migrate(conn, target=version)
    shape = MultiPolygon([Polygon([(113.9, 32.9), (114.1, 32.9), (114.1, 33.1), (113.9, 33.1)])])
    conn.execute("BEGIN")
    conn.execute(
        "INSERT INTO divisions (code, name, level, parent_code, kind, geom, area_km2) "
        "VALUES ('411702', '驿城区', 'county', '411700', 'statutory', ?, 414.5)",
        (_gpkg.encode(shape, 4490),),
    )
    conn.execute(
        "INSERT INTO divisions (code, name, level, parent_code, kind) "
        "VALUES ('411702001', '顺河街道', 'township', '411702', 'statutory')"
    )
    conn.execute(
        "INSERT INTO users (username, password_hash, role, division_code, display_name, "
        "created_at) VALUES ('wang', 'scrypt:32768:8:1$x$y', 'officer', '411702', '王科员', "
        "'2026-01-05T08:00:00+00:00')"
    )
    conn.execute(
        "INSERT INTO audit_log (at, actor, action, entity, entity_key, after_json) VALUES "
        "('2026-01-05T08:00:00+00:00', 'system', 'users.add', 'users', 'wang', '{}')"
    )
    if version >= 6:
        conn.execute(
            "INSERT INTO facilities (geom, facility_id, name, type, capacity_beds, status, "
            "division_code, created_by, created_at, updated_at) VALUES (?, 'F000001', "
            "'顺河社区日间照料中心', 'day_care', 20, 'existing', '411702', 'system', "
            "'2026-01-05T08:00:00+00:00', '2026-01-05T08:00:00+00:00')",
            (_gpkg.encode(Point(114.02, 32.98), 4490),),
        )
    if version >= 7:
        _renaming_case(conn)
    if version == 8:
        conn.execute(
            "INSERT INTO geociv_meta (key, value) VALUES ('secret_key', "
            "'0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef')"
        )
    conn.execute("COMMIT")
    conn.close()
    return out


def _renaming_case(conn: sqlite3.Connection) -> None:
    """One name record and a renaming case on it, reviewed, with one document."""
    stamp = "2026-01-05T08:00:00+00:00"
    conn.execute(
        "INSERT INTO names (geom, name_id, name, specific, generic, category, division_code, "
        "pinyin, pinyin_reviewed, status, created_at, updated_at) VALUES (?, 'N000001', "
        "'顺河路', '顺河', '路', 'road', '411702', 'Shùnhé Lù', 1, 'published', ?, ?)",
        (_gpkg.encode(Point(114.02, 32.99), 4490), stamp, stamp),
    )
    conn.execute(
        "INSERT INTO name_cases (case_id, kind, name_id, old_name, proposed_name, pinyin, "
        "category, division_code, location, reason, applicant, status, review_json, "
        "created_at, updated_at) VALUES ('C2026-0001', 'renaming', 'N000001', '顺河路', "
        "'顺和路', '', 'road', '411702', '东起解放路，西至雪松大道', '重名', '驿城区人民政府', "
        "'reviewed', '{\"pinyin\": \"Shùnhé Lù\"}', ?, ?)",
        (stamp, stamp),
    )
    conn.executemany(
        "INSERT INTO name_case_events (case_id, step, on_date, actor, note, at) "
        "VALUES ('C2026-0001', ?, ?, 'wang', '', ?)",
        [("apply", "2026-01-05", stamp), ("review", "2026-01-06", stamp)],
    )
    content = b"%PDF-1.7 assessment"
    conn.execute(
        "INSERT INTO name_case_documents (case_id, doc_type, filename, content, size, sha256, "
        "uploaded_by, uploaded_at) VALUES ('C2026-0001', 'assessment', '综合评估报告.pdf', ?, ?, "
        "?, 'wang', ?)",
        (content, len(content), hashlib.sha256(content).hexdigest(), stamp),
    )


if __name__ == "__main__":
    import sys

    print(write(int(sys.argv[1])))  # e.g. `python tests/data/make_store_fixtures.py 2`
