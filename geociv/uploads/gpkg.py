"""A GeoPackage upload inspected with Python's sqlite3, read-only, before GDAL sees it.

Refused: views, virtual tables other than the GeoPackage R-tree, triggers other than GDAL's
standard ``rtree_*`` triggers, and layers with more than :data:`~geociv.uploads.limits.MAX_FEATURES`
features. The private copy is opened as ``file:…?mode=ro&immutable=1`` so that nothing in it can
write, attach or keep a journal.
"""

from __future__ import annotations

import re
import sqlite3
from pathlib import Path
from urllib.parse import quote

from geociv.errors import InputFileError, Problem
from geociv.uploads.limits import MAX_FEATURES

#: Triggers the GeoPackage standard and GDAL create: R-tree maintenance, the tile matrix and
#: metadata checks, GDAL's feature counts. (Nothing is written to an upload, so none fires.)
_STANDARD_TRIGGER = re.compile(
    r"^(rtree_.+_(insert|update\d*|delete)|gpkg_tile_matrix_.+_(insert|update)"
    r"|gpkg_metadata_reference_.+_(insert|update)|trigger_(insert|delete)_feature_count_.+)$",
    re.I,
)
_FORBIDDEN_SQL = re.compile(r"\b(attach|load_extension|writefile|readfile|fts\d|fts)\b", re.I)
_RTREE_TABLE = re.compile(r"^rtree_.+$", re.I)
_RTREE_SQL = re.compile(r"^\s*create\s+virtual\s+table\s+.*\busing\s+rtree\s*\(", re.I | re.S)


def inspect_geopackage(path: Path, *, filename: str) -> list[str]:
    """Check the GeoPackage at ``path`` (a private copy) and return its feature tables.

    Raises
    ------
    InputFileError
        A view, a foreign virtual table, a trigger, no feature table, too many features, or not
        a readable GeoPackage (field ``file``).
    """
    uri = f"file:{quote(str(path.resolve()))}?mode=ro&immutable=1"
    problems: list[Problem] = []
    try:
        conn = sqlite3.connect(uri, uri=True, isolation_level=None)
    except sqlite3.Error as exc:
        raise _refuse(f"不是可读的 GeoPackage（{exc}）", filename) from exc
    try:
        conn.execute("PRAGMA trusted_schema = OFF")
        rows = conn.execute("SELECT type, name, sql FROM sqlite_master").fetchall()
        for kind, name, sql in rows:
            problem = _object_problem(kind, name, sql or "")
            if problem:
                problems.append(Problem(problem, field="file"))
        if problems:
            raise InputFileError(problems, title=f"{filename} 含有不允许的数据库对象，拒绝读取")
        tables = _feature_tables(conn, filename)
        for table in tables:
            quoted = table.replace('"', '""')
            (count,) = conn.execute(f'SELECT count(*) FROM "{quoted}"').fetchone()
            if count > MAX_FEATURES:
                raise _refuse(f"图层 {table} 有 {count:,} 个要素，超过上限 {MAX_FEATURES:,} 个",
                              filename)  # fmt: skip
        return tables
    except sqlite3.Error as exc:
        raise _refuse(f"不是可读的 GeoPackage（{exc}）", filename) from exc
    finally:
        conn.close()


def _object_problem(kind: str, name: str, sql: str) -> str | None:
    if kind == "view":
        return f"含有视图 {name}（GeoPackage 上传不允许视图）"
    if kind == "trigger" and (not _STANDARD_TRIGGER.match(name) or _FORBIDDEN_SQL.search(sql)):
        return f"含有触发器 {name}（只允许 GeoPackage/GDAL 标准的 rtree_* 等触发器）"
    virtual = kind == "table" and re.match(r"^\s*create\s+virtual\s+table", sql, re.I)
    if virtual and not (_RTREE_TABLE.match(name) and _RTREE_SQL.match(sql)):
        return f"含有虚拟表 {name}（只允许 GeoPackage 的 R 树空间索引）"
    return None


def _feature_tables(conn: sqlite3.Connection, filename: str) -> list[str]:
    try:
        rows = conn.execute(
            "SELECT table_name FROM gpkg_contents WHERE data_type IN ('features', 'attributes')"
        ).fetchall()
    except sqlite3.Error as exc:
        raise _refuse("不是 GeoPackage：缺少 gpkg_contents 表", filename) from exc
    names = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    tables = [r[0] for r in rows if r[0] in names]
    if not tables:
        raise _refuse("GeoPackage 中没有要素图层", filename)
    return tables


def _refuse(message: str, filename: str) -> InputFileError:
    return InputFileError(Problem(message, field="file"), title=f"{filename} 无法读取")
