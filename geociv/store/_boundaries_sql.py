"""SQL of the boundary register: lines (``boundary_lines``), markers (``markers`` with their
``marker_references``) and the photos of markers and inspections (``boundary_photos``).

The same SQL serves both backends (mixed into :class:`~geociv.store.sqlite.SQLiteStore` and
:class:`~geociv.store.postgis.PostgisStore`); what differs is asked of the store: the driver's
placeholder (``_mark``), the geometry hooks (``_geom_in``, ``_geom_out``, ``_encode_geom``,
``_decode_geom``), the spatial filters (``_bbox_sql``, ``_region_sql``; see the notes of
:mod:`geociv.store.base`) and ``_for_update``, the lock on a row read before a rule is decided on it
(none on the GeoPackage, whose writer holds the whole file). Unique constraints are the last
word on a writer that raced past a check (a :class:`~geociv.errors.DuplicateError`).

Nothing here deletes a row: a line is versioned (the old version gets ``valid_to``), a marker
is retired, a photo is kept.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import replace
from typing import Any

import shapely
from shapely import LineString, MultiLineString
from shapely.geometry.base import BaseGeometry

from geociv.errors import DuplicateError, StoreError
from geociv.store._rows import from_row
from geociv.store.records import (
    BoundaryLine,
    BoundaryPhoto,
    Marker,
    ReferenceObject,
    UpsertCounts,
    now_utc,
)
from geociv.store.shared import (
    Args,
    box_condition,
    geometry_summary,
    placeholders,
    region_condition,
    where_clause,
)
from geociv.uploads.media import thumbnail

_LINE_FIELDS = (
    "line_id, version, name, section, left_code, right_code, level, internal, length_km, "
    "source, valid_from, valid_to, note, created_by, created_at"
)
#: Fields that make two versions of a line the same (besides the geometry).
_LINE_SAME = ("name", "section", "left_code", "right_code", "level", "internal", "source")

_MARKER_FIELDS = (
    "marker_id, line_id, serial, type_code, kind, material, registered_on, sample, status, "
    "remarks, created_by, created_at, updated_at"
)
_PHOTO_META = "id, owner, owner_key, filename, size, sha256, note, uploaded_by, uploaded_at"
#: The table holding the key of each kind of photo owner.
_PHOTO_OWNERS = {
    "marker": ("markers", "marker_id"),
    "inspection": ("inspection_records", "record_id"),
}


def chunks(items: Sequence[str], size: int = 500) -> Iterator[Sequence[str]]:
    """``items`` in slices of at most ``size`` (for ``IN (…)`` lists under SQLite's limit)."""
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _as_multiline(geometry: BaseGeometry | None) -> BaseGeometry | None:
    if isinstance(geometry, LineString):
        return MultiLineString([geometry])
    return geometry


def _line_view(line: BoundaryLine) -> dict[str, Any]:
    return {**line.attributes(), "geometry": geometry_summary(line.geometry)}


def _same_line(old: BoundaryLine, line: BoundaryLine) -> bool:
    if any(getattr(old, k) != getattr(line, k) for k in _LINE_SAME):
        return False
    if round(old.length_km, 6) != round(line.length_km, 6):
        return False
    new_geom = _as_multiline(line.geometry)
    if old.geometry is None or new_geom is None:
        return old.geometry is None and new_geom is None
    # the same line may come back reversed or starting elsewhere on a ring
    return bool(shapely.normalize(old.geometry).equals_exact(shapely.normalize(new_geom), 1e-9))


def _photo(row: Any, with_content: bool) -> BoundaryPhoto:
    return from_row(BoundaryPhoto, row, content=bytes(row["content"]) if with_content else None)


class BoundariesSQL:
    """Boundary line, marker and photo methods of a store (expects ``_conn``, ``_write``,
    ``_audit`` and the backend's hooks named in the module notes)."""

    _conn: Any
    _write: Any
    _audit: Any
    _encode_geom: Any
    _decode_geom: Any
    _bbox_sql: Any
    _region_sql: Any
    _mark = "?"
    _geom_in = "?"
    _geom_out = "geom"
    _for_update = ""

    # -- lines -----------------------------------------------------------------------------
    def _line_columns(self, with_geometry: bool = True) -> str:
        return f"{_LINE_FIELDS}, {self._geom_out if with_geometry else 'NULL AS geom'}"

    def _line(self, row: Any, with_geometry: bool = True) -> BoundaryLine:
        return from_row(
            BoundaryLine,
            row,
            internal=bool(row["internal"]),
            geometry=self._decode_geom(row["geom"]) if with_geometry else None,
        )

    def _current_line(self, conn: Any, line_id: str, *, lock: bool = False) -> BoundaryLine | None:
        """The current version of a line (with ``lock``, locked until the write commits)."""
        row = conn.execute(
            f"SELECT {self._line_columns()} FROM boundary_lines "
            f"WHERE line_id = {self._mark} AND valid_to IS NULL{self._for_update if lock else ''}",
            (line_id,),
        ).fetchone()
        return None if row is None else self._line(row)

    def save_boundary_lines(
        self,
        lines: Iterable[BoundaryLine],
        *,
        on: str,
        actor: str,
        action: str = "lines.save",
    ) -> UpsertCounts:
        counts = UpsertCounts()
        stamp = now_utc()
        with self._write() as conn:
            for line in lines:
                outcome = self._save_line(conn, line, on, actor, action, stamp)
                setattr(counts, outcome, getattr(counts, outcome) + 1)
        return counts

    def _save_line(
        self, conn: Any, line: BoundaryLine, on: str, actor: str, action: str, stamp: str
    ) -> str:
        """Write ``line`` as the new current version (or leave an unchanged one alone); return
        ``"inserted"``, ``"updated"`` or ``"unchanged"``."""
        m = self._mark
        current = self._current_line(conn, line.line_id, lock=True)
        if current is not None and _same_line(current, line):
            return "unchanged"
        valid_from = line.valid_from or on
        if current is not None:
            if valid_from < current.valid_from:
                raise StoreError(
                    f"界线 {line.line_id} 新版本的启用日期 {valid_from} 早于现行版本的 "
                    f"{current.valid_from}"
                )
            conn.execute(
                f"UPDATE boundary_lines SET valid_to = {m} "
                f"WHERE line_id = {m} AND valid_to IS NULL",
                (valid_from, line.line_id),
            )
        last = conn.execute(
            f"SELECT coalesce(max(version), 0) AS last FROM boundary_lines WHERE line_id = {m}",
            (line.line_id,),
        ).fetchone()["last"]
        values = (
            line.line_id, last + 1, line.name, line.section, line.left_code, line.right_code,
            line.level, bool(line.internal), float(line.length_km), line.source, valid_from,
            None, line.note, actor, stamp,
        )  # fmt: skip
        conn.execute(
            f"INSERT INTO boundary_lines ({_LINE_FIELDS}, geom) "
            f"VALUES ({placeholders(m, len(values))}, {self._geom_in})",
            (*values, self._encode_geom("boundary_lines", _as_multiline(line.geometry))),
        )
        after = self._load_line(conn, line.line_id, last + 1)
        self._audit(
            conn, actor=actor, action=action, entity="boundary_lines", key=line.line_id,
            before=None if current is None else _line_view(current), after=_line_view(after),
            note=line.note,
        )  # fmt: skip
        return "inserted" if current is None else "updated"

    def _load_line(self, conn: Any, line_id: str, version: int) -> BoundaryLine:
        row = conn.execute(
            f"SELECT {self._line_columns()} FROM boundary_lines "
            f"WHERE line_id = {self._mark} AND version = {self._mark}",
            (line_id, int(version)),
        ).fetchone()
        if row is None:
            raise StoreError(f"界线 {line_id} 没有第 {version} 版")
        return self._line(row)

    def close_boundary_lines(
        self, line_ids: Iterable[str], *, on: str, actor: str, note: str = ""
    ) -> int:
        closed = 0
        m = self._mark
        with self._write() as conn:
            for line_id in line_ids:
                before = self._current_line(conn, line_id, lock=True)
                if before is None:
                    continue
                if on < before.valid_from:
                    raise StoreError(
                        f"界线 {line_id} 的停用日期 {on} 早于其启用日期 {before.valid_from}"
                    )
                conn.execute(
                    f"UPDATE boundary_lines SET valid_to = {m} "
                    f"WHERE line_id = {m} AND valid_to IS NULL",
                    (on, line_id),
                )
                closed += 1
                self._audit(
                    conn, actor=actor, action="lines.close", entity="boundary_lines",
                    key=line_id, before=before.attributes(),
                    after={**before.attributes(), "valid_to": on}, note=note,
                )  # fmt: skip
        return closed

    def get_boundary_line(self, line_id: str, version: int | None = None) -> BoundaryLine | None:
        if version is None:
            return self._current_line(self._conn(), line_id)
        try:
            return self._load_line(self._conn(), line_id, version)
        except StoreError:
            return None

    def boundary_line_versions(self, line_id: str) -> list[BoundaryLine]:
        rows = self._conn().execute(
            f"SELECT {self._line_columns()} FROM boundary_lines WHERE line_id = {self._mark} "
            "ORDER BY version",
            (line_id,),
        )
        return [self._line(r) for r in rows]

    def query_boundary_lines(
        self,
        *,
        current_only: bool = True,
        division_prefix: str | None = None,
        level: str | None = None,
        source: str | None = None,
        with_geometry: bool = True,
        bbox: tuple[float, float, float, float] | None = None,
        inside_division: str | None = None,
    ) -> list[BoundaryLine]:
        m = self._mark
        conn = self._conn()
        region = region_condition(self._region_sql, conn, "boundary_lines", inside_division)
        prefix = f"{division_prefix}%" if division_prefix else None
        where, args = where_clause(
            [
                ("valid_to IS NULL", Args(()) if current_only else None),
                (f"(left_code LIKE {m} OR right_code LIKE {m})", prefix and Args((prefix,) * 2)),
                (f"level = {m}", level),
                (f"source = {m}", source),
                box_condition(self._bbox_sql, "boundary_lines", bbox),
                region.condition() if region else ("", None),
            ]
        )
        tested = region is not None and region.polygon is not None
        rows = conn.execute(
            f"SELECT {self._line_columns(with_geometry or tested)} FROM boundary_lines{where} "
            "ORDER BY line_id, version",
            args,
        )
        lines = [self._line(r, with_geometry or tested) for r in rows]
        if region is not None:
            lines = region.keep(lines, [x.geometry for x in lines])
        if tested and not with_geometry:
            lines = [replace(x, geometry=None) for x in lines]
        return lines

    # -- markers ---------------------------------------------------------------------------
    def _references(self, conn: Any, marker_ids: Sequence[str]) -> dict[str, list[ReferenceObject]]:
        out: dict[str, list[ReferenceObject]] = {}
        for chunk in chunks(list(marker_ids)):
            for r in conn.execute(
                "SELECT marker_id, description, bearing_deg, distance_m FROM marker_references "
                f"WHERE marker_id IN ({placeholders(self._mark, len(chunk))}) "
                "ORDER BY marker_id, seq",
                tuple(chunk),
            ):
                out.setdefault(r["marker_id"], []).append(
                    ReferenceObject(r["description"], r["bearing_deg"], r["distance_m"])
                )
        return out

    def _marker(self, row: Any, references: Sequence[ReferenceObject]) -> Marker:
        return from_row(
            Marker,
            row,
            location=self._decode_geom(row["geom"]),
            references=tuple(references),
            sample=bool(row["sample"]),
        )

    def _load_marker(self, conn: Any, marker_id: str, *, lock: bool = False) -> Marker | None:
        row = conn.execute(
            f"SELECT {_MARKER_FIELDS}, {self._geom_out} FROM markers "
            f"WHERE marker_id = {self._mark}{self._for_update if lock else ''}",
            (marker_id,),
        ).fetchone()
        if row is None:
            return None
        return self._marker(row, self._references(conn, [marker_id]).get(marker_id, []))

    def add_markers(
        self, markers: Iterable[Marker], *, actor: str, action: str = "markers.add"
    ) -> list[Marker]:
        stamp = now_utc()
        stored: list[Marker] = []
        with self._write() as conn:
            for marker in markers:
                self._insert_marker(conn, marker, actor, stamp)
                loaded = self._load_marker(conn, marker.marker_id)
                assert loaded is not None
                stored.append(loaded)
                self._audit(
                    conn, actor=actor, action=action, entity="markers", key=marker.marker_id,
                    before=None, after=loaded.attributes(),
                )  # fmt: skip
        return stored

    def _insert_marker(self, conn: Any, m: Marker, actor: str, stamp: str) -> None:
        mark = self._mark
        if conn.execute(
            f"SELECT 1 FROM markers WHERE marker_id = {mark}", (m.marker_id,)
        ).fetchone():
            raise DuplicateError(f"界桩 {m.marker_id} 已登记")
        values = (
            m.marker_id, m.line_id, m.serial, m.type_code, m.kind, m.material, m.registered_on,
            bool(m.sample), m.status, m.remarks, actor, stamp, stamp,
        )  # fmt: skip
        conn.execute(
            f"INSERT INTO markers ({_MARKER_FIELDS}, geom) "
            f"VALUES ({placeholders(mark, len(values))}, {self._geom_in})",
            (*values, self._encode_geom("markers", m.location)),
        )
        if m.references:
            conn.cursor().executemany(
                "INSERT INTO marker_references (marker_id, seq, description, bearing_deg, "
                f"distance_m) VALUES ({placeholders(mark, 5)})",
                [
                    (m.marker_id, i, r.description, r.bearing_deg, r.distance_m)
                    for i, r in enumerate(m.references, start=1)
                ],
            )

    def get_marker(self, marker_id: str) -> Marker | None:
        return self._load_marker(self._conn(), marker_id)

    def query_markers(
        self,
        *,
        line_id: str | None = None,
        line_ids: Iterable[str] | None = None,
        include_retired: bool = False,
        sample: bool | None = None,
        bbox: tuple[float, float, float, float] | None = None,
        inside_division: str | None = None,
    ) -> list[Marker]:
        m = self._mark
        conn = self._conn()
        region = region_condition(self._region_sql, conn, "markers", inside_division)
        conditions = [
            (f"line_id = {m}", line_id),
            (f"status = {m}", None if include_retired else "active"),
            (f"sample = {m}", None if sample is None else bool(sample)),
            box_condition(self._bbox_sql, "markers", bbox),
            region.condition() if region else ("", None),
        ]
        if line_ids is None:
            rows = self._marker_rows(conn, conditions)
        else:  # sorted, so the slices' rows follow one another in the query's order
            rows = []
            for chunk in chunks(sorted(set(line_ids))):
                among = (f"line_id IN ({placeholders(m, len(chunk))})", Args(chunk))
                rows += self._marker_rows(conn, [*conditions, among])
        if region is not None:
            rows = region.keep(rows, [self._decode_geom(r["geom"]) for r in rows])
        references = self._references(conn, [r["marker_id"] for r in rows])
        return [self._marker(r, references.get(r["marker_id"], [])) for r in rows]

    def _marker_rows(self, conn: Any, conditions: list[tuple[str, Any]]) -> list[Any]:
        """The rows of the markers that meet the :func:`where_clause` ``conditions``, in the
        order of :meth:`query_markers`."""
        where, args = where_clause(conditions)
        return conn.execute(
            f"SELECT {_MARKER_FIELDS}, {self._geom_out} FROM markers{where} "
            "ORDER BY line_id, serial, type_code",
            args,
        ).fetchall()

    def retire_marker(self, marker_id: str, *, actor: str, reason: str) -> Marker:
        with self._write() as conn:
            before = self._load_marker(conn, marker_id, lock=True)
            if before is None:
                raise StoreError(f"界桩 {marker_id} 不存在")
            if before.status == "retired":
                raise StoreError(f"界桩 {marker_id} 已停用")
            conn.execute(
                f"UPDATE markers SET status = 'retired', updated_at = {self._mark} "
                f"WHERE marker_id = {self._mark}",
                (now_utc(), marker_id),
            )
            after = self._load_marker(conn, marker_id)
            assert after is not None
            self._audit(
                conn, actor=actor, action="markers.retire", entity="markers", key=marker_id,
                before=before.attributes(), after=after.attributes(), note=reason,
            )  # fmt: skip
        return after

    # -- photos ----------------------------------------------------------------------------
    def add_boundary_photo(self, photo: BoundaryPhoto, *, actor: str) -> BoundaryPhoto:
        content = photo.content
        if not content:
            raise StoreError("照片内容为空")
        if photo.owner not in _PHOTO_OWNERS:
            raise StoreError(f"未知的照片归属 {photo.owner!r}")
        entity, key_column = _PHOTO_OWNERS[photo.owner]
        small = thumbnail(content)  # made before the write transaction
        m = self._mark
        with self._write() as conn:
            if not conn.execute(
                f"SELECT 1 FROM {entity} WHERE {key_column} = {m}", (photo.owner_key,)
            ).fetchone():
                raise StoreError(f"照片所属的 {photo.owner} {photo.owner_key} 不存在")
            row = conn.execute(
                "INSERT INTO boundary_photos (owner, owner_key, filename, content, size, sha256, "
                f"note, uploaded_by, uploaded_at, thumbnail) VALUES ({placeholders(m, 10)}) "
                f"RETURNING {_PHOTO_META}",
                (photo.owner, photo.owner_key, photo.filename, bytes(content), len(content),
                 hashlib.sha256(content).hexdigest(), photo.note, actor, now_utc(), small),
            ).fetchone()  # fmt: skip
            stored = _photo(row, with_content=False)
            self._audit(
                conn, actor=actor, action="photos.add", entity=entity, key=photo.owner_key,
                before=None, after=stored.attributes(), note=photo.note,
            )  # fmt: skip
        return stored

    def boundary_photos(
        self, owner: str, owner_key: str, *, with_content: bool = False
    ) -> list[BoundaryPhoto]:
        m = self._mark
        columns = _PHOTO_META + (", content" if with_content else "")
        rows = self._conn().execute(
            f"SELECT {columns} FROM boundary_photos WHERE owner = {m} AND owner_key = {m} "
            "ORDER BY id",
            (owner, owner_key),
        )
        return [_photo(r, with_content) for r in rows]

    def get_boundary_photo(self, photo_id: int) -> BoundaryPhoto | None:
        row = (
            self._conn()
            .execute(
                f"SELECT {_PHOTO_META}, content FROM boundary_photos WHERE id = {self._mark}",
                (int(photo_id),),
            )
            .fetchone()
        )
        return None if row is None else _photo(row, with_content=True)

    def boundary_photo_thumbnail(self, photo_id: int) -> bytes | None:
        row = (
            self._conn()
            .execute(
                f"SELECT thumbnail FROM boundary_photos WHERE id = {self._mark}", (int(photo_id),)
            )
            .fetchone()
        )
        return None if row is None or row["thumbnail"] is None else bytes(row["thumbnail"])
