"""What the GeoPackage's ``gpkg_contents`` says of geociv's tables: which are listed, and when
each last changed.

Besides the feature tables, the tables a bureau may want to browse in QGIS are registered as
``attributes`` (GeoPackage clause 2.4), so GDAL and QGIS list them as layers without options:
naming-case steps and documents, former names, sign patrols, marker references, inspection
rounds, plans and signatures, boundary photos, the audit trail… The standard asks an
attributes table for an ``INTEGER PRIMARY KEY`` (GDAL's validator, Req 119), so the tables
keyed by text (``name_cases``, ``zone_sets`` …) are not registered; neither are geociv's own
internals (users and their password hashes, settings, log-in attempts).

``gpkg_contents.last_change`` of every registered table is stamped by triggers on the table
(after an insert, update or delete), so it tells when the table last changed whoever wrote it
(geociv, GDAL, QGIS …). The stamp is an update of one row of a small table, by its key, in the
transaction of the write. A later migration that rebuilds a registered table (new table,
copy, drop, rename) must create its triggers again: they go with the dropped table.
"""

from __future__ import annotations

#: The default of ``gpkg_contents.last_change``, as the standard (table 5) and GDAL's validator
#: spell it: now, in UTC, to the millisecond.
LAST_CHANGE_DEFAULT = "strftime('%Y-%m-%dT%H:%M:%fZ','now')"

#: Name prefix of the triggers that stamp ``last_change`` (``…<table>_insert`` …).
LAST_CHANGE_TRIGGER = "geociv_last_change_"

#: The non-spatial tables registered as ``attributes``, with their description.
ATTRIBUTE_TABLES: dict[str, str] = {
    "name_history": "曾用名 former names",
    "name_terms": "名称用字禁用词表 term lists",
    "finding_overrides": "规则提示的人工认定 finding overrides",
    "name_case_events": "命名更名案件环节 case steps",
    "name_case_documents": "命名更名案件材料 case documents",
    "sign_patrols": "地名标志巡检 sign patrols",
    "marker_references": "界桩方位物 marker references",
    "boundary_photos": "界线界桩照片 boundary photos",
    "inspection_rounds": "界线联检轮次 inspection rounds",
    "inspection_plans": "界线联检计划 inspection plans",
    "inspection_signatures": "联检记录签字 inspection signatures",
    "audit_log": "操作记录 audit trail",
}


def register_attributes_sql(tables: dict[str, str]) -> str:
    """SQL that lists ``tables`` (name → description) in ``gpkg_contents`` as attributes."""
    return "".join(
        "INSERT INTO gpkg_contents (table_name, data_type, identifier, description) "
        f"VALUES ('{table}', 'attributes', '{table}', '{description}');\n"
        for table, description in tables.items()
    )


def last_change_sql(tables: tuple[str, ...]) -> str:
    """SQL of the triggers that stamp ``gpkg_contents.last_change`` of each of ``tables``
    when a row of it is inserted, updated or deleted."""
    sql = []
    for table in tables:
        for event in ("insert", "update", "delete"):
            sql.append(
                f'CREATE TRIGGER "{LAST_CHANGE_TRIGGER}{table}_{event}" AFTER {event.upper()} '
                f'ON "{table}" BEGIN UPDATE gpkg_contents SET last_change = '
                f"{LAST_CHANGE_DEFAULT} WHERE table_name = '{table}'; END;\n"
            )
    return "".join(sql)
