"""The register of boundary markers (界桩登记表).

Marker numbers
--------------
A marker's number is ``<line id>-<serial><type code>``: the id of its line
(:mod:`geociv.boundaries.registry`, e.g. ``411702-411725``), a three-digit serial numbered per
line from ``001``, and the type code — ``Q`` for a single marker (单立, standing on the line),
``A``/``B`` for the two markers of a paired set (双立, one on each bank, not on the line) and
``C``/``D``/``E`` for a triple set (三立). The markers of one set share the serial:
``411702-411725-001Q``, ``411702-411725-002A`` and ``411702-411725-002B``. In a file the
short form ``002A`` may be used with the line given in its own column (界线: the line id or the
line's current name, e.g. 驿确线).

Checks (DESIGN.md "Boundaries and inspections" rules 2 and 3)
-------------------------------------------------------------
Every marker written is checked first, and a batch is written whole or not at all: number
format, duplicates (within the batch and with the register), markers on no known line or on a
line with one known side only, type and type code agreeing, incomplete A/B and C/D/E sets,
coordinates outside China or with latitude and longitude swapped, a single (Q) marker farther
than ``line_tolerance_m`` (default :data:`LINE_TOLERANCE_M`, 50 m, measured in the
Gauss-Krüger zone) from its line, and a marker outside the union of its line's two sides'
polygons buffered by ``jurisdiction_buffer_m`` (default :data:`JURISDICTION_BUFFER_M`, 100 m;
where a side's polygon is not in the store, the line buffered by
:data:`MISSING_SIDE_BUFFER_M` stands in for it). Fewer than three reference objects (方位物)
is not an error but a finding (:mod:`geociv.boundaries.findings`).

Markers are never deleted; one taken out of use is retired. Photos are kept as BLOBs.

Examples
--------
>>> parse_marker_number("411702-411725-002A")
('411702-411725', 2, 'A')
>>> marker_number("411702-411725", 1, "Q")
'411702-411725-001Q'
"""

from __future__ import annotations

import math
import re
import threading
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from datetime import date
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pyproj
import shapely
from shapely import Point
from shapely.geometry.base import BaseGeometry

from geociv import crs as _crs
from geociv.authority import lines_outside, refuse_rows, require, require_line
from geociv.boundaries.registry import BoundaryLines, code_prefix, parse_line_id
from geociv.divisions import normalize_code
from geociv.errors import (
    CoordinateRangeError,
    CRSError,
    InputFileError,
    NotFoundError,
    Problem,
    ValidationError,
)
from geociv.fields import check_day
from geociv.labels import MARKER_KIND_LABELS
from geociv.store import (
    MARKER_KINDS,
    MARKER_SETS,
    MARKER_TYPE_CODES,
    BoundaryLine,
    BoundaryPhoto,
    Marker,
    ReferenceObject,
    Store,
)
from geociv.uploads import TABLE_KINDS, image_problems, read_table
from geociv.uploads.tables import data_rows

#: Longest distance (m) of a single (Q) marker from its line.
LINE_TOLERANCE_M = 50.0

#: Buffer (m) around the union of a line's two sides' polygons that a marker must lie in.
JURISDICTION_BUFFER_M = 100.0

#: Where a side's polygon is not in the store, markers may lie this far (m) from the line.
MISSING_SIDE_BUFFER_M = 1000.0

#: Reference objects (方位物) expected per marker.
MIN_REFERENCES = 3

#: Largest photo accepted (bytes).
MAX_PHOTO_BYTES = 20 * 1024 * 1024

MARKER_NUMBER = re.compile(
    r"^(?P<line>\d{6}-(?:\d{6}|edge)(?:-\d{1,2})?)-(?P<serial>\d{3})(?P<type>[QABCDE])$"
)
SHORT_NUMBER = re.compile(r"^(?P<serial>\d{3})(?P<type>[QABCDE])$")

#: Columns of a marker file (界桩登记表), English or Chinese.
MARKER_COLUMNS: dict[str, tuple[str, ...]] = {
    "line": ("line", "line_id", "界线", "界线编号", "界线名称"),
    "number": ("number", "marker", "marker_id", "编号", "界桩编号", "桩号"),
    "type": ("type", "kind", "类型", "界桩类型"),
    "material": ("material", "材质", "界桩材质"),
    "lon": ("lon", "longitude", "x", "经度", "东经"),
    "lat": ("lat", "latitude", "y", "纬度", "北纬"),
    "registered_on": ("registered_on", "登记日期", "埋设日期"),
    "remarks": ("remarks", "备注"),
    "references": ("references", "方位物"),
}
_REQUIRED = ("number", "lon", "lat")
_REFERENCE_COLUMN = re.compile(
    r"^(?:方位物(?P<a>\d+)(?P<ap>名称|方位角|方位|距离)?"
    r"|(?P<bp>方位角|方位|距离)(?P<b>\d+)"
    r"|ref(?P<c>\d+)(?:_(?P<cp>name|bearing|distance))?)$",
    re.IGNORECASE,
)
_PART = {
    None: "description",
    "名称": "description",
    "name": "description",
    "方位角": "bearing",
    "方位": "bearing",
    "bearing": "bearing",
    "距离": "distance",
    "distance": "distance",
}
_KIND_BY_TEXT = {
    **{k: k for k in MARKER_KINDS},
    **{v: k for k, v in MARKER_KIND_LABELS.items()},
    "单立界桩": "single",
    "双立界桩": "paired",
    "三立界桩": "triple",
}

_local = threading.local()


# -- numbers ----------------------------------------------------------------------------------


def marker_number(line_id: str, serial: int, type_code: str) -> str:
    """The number of marker ``serial`` (1–999) with ``type_code`` on line ``line_id``."""
    return f"{line_id}-{serial:03d}{type_code}"


def parse_marker_number(text: str) -> tuple[str, int, str] | None:
    """``(line id, serial, type code)`` of a full marker number, or ``None``."""
    m = MARKER_NUMBER.match(_clean(text).upper().replace("EDGE", "edge"))
    if m is None or parse_line_id(m["line"]) is None:
        return None
    return m["line"], int(m["serial"]), m["type"]


def _clean(text: object) -> str:
    """NFKC (full-width digits and letters become ASCII), whitespace removed."""
    return "".join(unicodedata.normalize("NFKC", "" if text is None else str(text)).split())


# -- Gauss-Krüger distances ---------------------------------------------------------------------


def _transformer(epsg: int) -> pyproj.Transformer:
    cache: dict[int, pyproj.Transformer] = _local.__dict__.setdefault("gk", {})
    if epsg not in cache:
        cache[epsg] = pyproj.Transformer.from_crs(_crs.STORAGE_EPSG, epsg, always_xy=True)
    return cache[epsg]


def to_gk(geometries: Any, epsg: int) -> Any:
    """Geometries (EPSG:4490) projected to the Gauss-Krüger zone ``epsg`` (metres)."""
    transformer = _transformer(epsg)

    def func(coords: np.ndarray) -> np.ndarray:
        x, y = transformer.transform(coords[:, 0], coords[:, 1])
        return np.column_stack([x, y])

    return shapely.transform(geometries, func)


def distance_m(a: BaseGeometry, b: BaseGeometry) -> float:
    """Distance in metres between two geometries in EPSG:4490, measured in the
    Gauss-Krüger zone of ``a``.

    >>> round(distance_m(Point(114.0, 33.0), Point(114.0, 33.001)), 1)
    110.9
    """
    epsg = _crs.gk_zone_epsg(shapely.centroid(a).x)
    pa, pb = to_gk(np.array([a, b], dtype=object), epsg)
    return float(shapely.distance(pa, pb))


def buffer_m(geometry: BaseGeometry, metres: float, epsg: int) -> BaseGeometry:
    """``geometry`` (EPSG:4490) buffered by ``metres`` in zone ``epsg``, still projected."""
    return shapely.buffer(to_gk(geometry, epsg), metres)


# -- parsing ----------------------------------------------------------------------------------


def _number(value: object) -> float | None:
    """A float from a cell (``45``, ``45°``, ``30.5m``, ``30.5米``), or ``None``."""
    text = _clean(value).rstrip("°度米mM")
    if not text:
        return None
    try:
        number = float(text)
    except ValueError:
        return None
    return number if math.isfinite(number) else None


def _split_references(text: str) -> list[list[str]]:
    """Items of a 方位物 cell, each split into its parts.

    >>> _split_references("电线杆/45/30.5；水井/120°/18m")
    [['电线杆', '45', '30.5'], ['水井', '120°', '18m']]
    """
    out = []
    for item in re.split(r"[;；|\n]+", text):
        if item.strip():
            out.append([p.strip() for p in re.split(r"[/,，、]", item.strip())])
    return out


def read_marker_rows(path: str | Path) -> list[dict[str, Any]]:
    """Read a 界桩登记表 (CSV in UTF-8 or GBK, or XLSX) into entries for
    :meth:`Markers.register_many`, each with its file row (``_row``, as Excel numbers it: the
    header is row 1) and the file's column names (``_fields``), so problems name what the user sees.

    Raises
    ------
    InputFileError
        Unsupported type, unreadable file or encoding, missing columns (编号, 经度, 纬度).
    """
    path = Path(path)
    if not path.is_file():
        raise InputFileError(Problem(f"文件不存在：{path}", field="file"), title="无法读取")
    table = read_table(path, kinds=TABLE_KINDS)
    if not table:
        raise InputFileError(Problem("文件为空", field="file"), title=f"{path.name} 无法读取")
    header = [str(h).strip().lstrip("\ufeff") for h in table[0]]
    columns: dict[str, int] = {}
    lowered = [h.lower() for h in header]
    for key, aliases in MARKER_COLUMNS.items():
        for alias in aliases:
            if alias.lower() in lowered:
                columns[key] = lowered.index(alias.lower())
                break
    missing = [k for k in _REQUIRED if k not in columns]
    if missing:
        raise InputFileError(
            [
                Problem(f"缺少列 {k}（可写作 {'、'.join(MARKER_COLUMNS[k])}）", field=k)
                for k in missing
            ],
            title=f"{path.name} 缺少必需的列",
        )
    reference_columns: dict[int, dict[str, int]] = {}
    for index, name in enumerate(header):
        m = _REFERENCE_COLUMN.match(name)
        if m is None or index == columns.get("references"):
            continue
        n = int(m["a"] or m["b"] or m["c"])
        suffix = m["ap"] or m["bp"] or m["cp"]
        part = _PART[suffix.lower() if suffix else None]
        reference_columns.setdefault(n, {})[part] = index
    rows = []
    for i, cells in data_rows(table):
        def cell(index: int | None, cells: list[str] = cells) -> str:
            if index is None or index >= len(cells) or cells[index] is None:
                return ""
            return str(cells[index]).strip()

        fields = {key: header[index] for key, index in columns.items()}
        entry: dict[str, Any] = {
            key: cell(columns.get(key)) for key in MARKER_COLUMNS if key != "references"
        }
        references: list[tuple[str, ...]] = []
        if "references" in columns:
            for j, parts in enumerate(_split_references(cell(columns["references"])), 1):
                parts += [""] * (3 - len(parts))
                label = f"{header[columns['references']]}#{j}"
                references.append((*parts[:3], label))
        for n in sorted(reference_columns):
            parts = reference_columns[n]
            values = [cell(parts.get(p)) for p in ("description", "bearing", "distance")]
            if any(values):
                label = "/".join(header[parts[p]] for p in parts)
                references.append((*values, label))
        entry["references"] = references
        entry["_row"] = i
        entry["_fields"] = fields
        rows.append(entry)
    return rows


# -- the service --------------------------------------------------------------------------------


class Markers:
    """Boundary markers kept in a :class:`~geociv.store.Store`.

    Parameters
    ----------
    store
        Where markers, their reference objects and photos live.
    line_tolerance_m
        Longest accepted distance of a single (Q) marker from its line, metres.
    jurisdiction_buffer_m
        How far outside its line's two sides' polygons a marker may lie, metres.
    """

    def __init__(
        self,
        store: Store,
        *,
        line_tolerance_m: float = LINE_TOLERANCE_M,
        jurisdiction_buffer_m: float = JURISDICTION_BUFFER_M,
    ) -> None:
        if line_tolerance_m < 0 or jurisdiction_buffer_m < 0:
            raise ValueError("tolerances must not be negative")
        self.store = store
        self.lines = BoundaryLines(store)
        self.line_tolerance_m = float(line_tolerance_m)
        self.jurisdiction_buffer_m = float(jurisdiction_buffer_m)

    # -- reads -----------------------------------------------------------------------------
    def get(self, marker_id: str) -> Marker:
        """The marker (active or retired); ``LookupError`` if there is none."""
        marker = self.store.get_marker(_clean(marker_id))
        if marker is None:
            raise NotFoundError(f"未找到界桩 {marker_id}")
        return marker

    def query(
        self,
        *,
        line_id: str | None = None,
        parent: str | None = None,
        line_ids: Iterable[str] | None = None,
        include_retired: bool = False,
        sample: bool | None = None,
        bbox: Sequence[float] | None = None,
    ) -> list[Marker]:
        """Markers of a line, of any of ``line_ids``, or of every line with a side inside
        ``parent`` (the store reads only those lines' markers, by index); those in ``bbox``
        (minx, miny, maxx, maxy, by the store's spatial index)."""
        if line_ids is not None:
            line_ids = set(line_ids)
        if parent is not None:
            prefix = code_prefix(normalize_code(parent))
            of_parent = {
                line.line_id
                for line in self.store.query_boundary_lines(
                    current_only=False, division_prefix=prefix, with_geometry=False
                )
            }
            line_ids = of_parent if line_ids is None else line_ids & of_parent
        return self.store.query_markers(
            line_id=line_id, line_ids=line_ids, include_retired=include_retired, sample=sample,
            bbox=bbox,
        )  # fmt: skip

    def frame(self, **filters: Any) -> gpd.GeoDataFrame:
        """:meth:`query` as a GeoDataFrame in EPSG:4490 (one row per marker; columns
        marker_id, line_id, serial, type_code, kind, kind_label, material, references, sample,
        status, registered_on, remarks)."""
        markers = self.query(**filters)
        return gpd.GeoDataFrame(
            {
                "marker_id": [m.marker_id for m in markers],
                "line_id": [m.line_id for m in markers],
                "serial": [m.serial for m in markers],
                "type_code": [m.type_code for m in markers],
                "kind": [m.kind for m in markers],
                "kind_label": [MARKER_KIND_LABELS[m.kind] for m in markers],
                "material": [m.material for m in markers],
                "references": [len(m.references) for m in markers],
                "sample": [m.sample for m in markers],
                "status": [m.status for m in markers],
                "registered_on": [m.registered_on for m in markers],
                "remarks": [m.remarks for m in markers],
            },
            geometry=[m.location for m in markers],
            crs=_crs.STORAGE_CRS,
        )

    def photos(self, marker_id: str, *, with_content: bool = False) -> list[BoundaryPhoto]:
        """The photos of a marker in the order they were added."""
        return self.store.boundary_photos(
            "marker", self.get(marker_id).marker_id, with_content=with_content
        )

    # -- writes ----------------------------------------------------------------------------
    def register(
        self,
        number: str,
        location: BaseGeometry | tuple[float, float],
        *,
        actor: str,
        line: str | None = None,
        kind: str | None = None,
        material: str = "",
        references: Iterable[ReferenceObject | tuple[str, float, float]] = (),
        registered_on: str | date | None = None,
        remarks: str = "",
        sample: bool = False,
        declared_crs: str | None = None,
    ) -> Marker:
        """Register one marker.

        Parameters
        ----------
        number
            The full number (``411702-411725-001Q``) or, with ``line``, the short one
            (``001Q``).
        location
            A ``Point`` or ``(lon, lat)``: CGCS2000 unless ``declared_crs`` says otherwise
            (WGS84, GCJ02, BD09, an EPSG code).
        line
            The line's id or current name, when ``number`` is short.
        kind
            ``single``/``paired``/``triple`` (单立/双立/三立); must agree with the type code,
            which decides when omitted.
        references
            Reference objects (方位物): ``(description, bearing°, distance m)``.
        sample
            A made-up demo marker (示例).

        Raises
        ------
        ValidationError
            Listing every problem (see the module notes); nothing is stored. A single member
            of a paired or triple set may be registered on its own (the set shows up as a
            finding until complete); :meth:`register_many` and :meth:`import_file` insist on
            complete sets.
        """
        if isinstance(location, Point):
            lon, lat = (location.x, location.y) if not location.is_empty else ("", "")
        elif isinstance(location, Sequence) and len(location) == 2:
            lon, lat = location
        else:
            raise ValidationError(
                Problem("位置应为一个点或（经度, 纬度）", field="location"), title="界桩登记有误"
            )
        entry = {
            "line": line or "",
            "number": number,
            "type": kind or "",
            "material": material,
            "lon": lon,
            "lat": lat,
            "registered_on": registered_on,
            "remarks": remarks,
            "references": list(references),
        }
        try:
            stored = self.register_many(
                [entry],
                actor=actor,
                sample=sample,
                declared_crs=declared_crs,
                require_complete_sets=False,
                title="界桩登记有误",
            )
        except ValidationError as exc:  # one marker: no row numbers in the messages
            raise ValidationError(
                [Problem(p.message, field=p.field) for p in exc.problems], title=exc.title
            ) from None
        return stored[0]

    def register_many(
        self,
        entries: Iterable[Mapping[str, Any]],
        *,
        actor: str,
        sample: bool = False,
        declared_crs: str | None = None,
        require_complete_sets: bool = True,
        title: str = "界桩登记有误，未登记任何界桩",
        action: str = "markers.add",
    ) -> list[Marker]:
        """Register markers all at once, or none.

        Each entry is a mapping with ``number`` and ``lon``/``lat`` and optionally ``line``,
        ``type``, ``material``, ``references`` (``(description, bearing, distance)`` tuples
        or :class:`ReferenceObject`), ``registered_on``, ``remarks``; ``_row`` and
        ``_fields`` (row number and column names, set by :func:`read_marker_rows`) are used in
        messages. Every entry is checked first (see the module notes) and every problem is
        reported with its row and field.

        The actor must be an inspector of a side of every entry's line
        (:func:`geociv.authority.require_line`); numbers are checked against the register
        inside the write transaction, so a number is never registered twice.
        """
        who = require(self.store, actor, ("inspector",), what=action)
        rows = [dict(e) for e in entries]
        found_lines: dict[str, list[BoundaryLine]] = {}
        problems: list[Problem] = []
        parsed = [self._parse(i, row, problems, found_lines) for i, row in enumerate(rows, start=1)]
        refuse_rows(
            self.store,
            who,
            lines_outside(who, [(p["row"], p.get("line")) for p in parsed], "line"),
            action,
        )
        self._check_coordinates(parsed, declared_crs, problems)
        self._check_places(parsed, problems)
        if require_complete_sets:
            self._check_sets(parsed, problems)
        with self.store.transaction():  # the register is read and written under one lock
            self._check_duplicates(parsed, problems)
            if problems:
                problems.sort(key=lambda p: p.row or 0)
                raise ValidationError(problems, title=title)
            return self.store.add_markers(
                self._markers(parsed, sample), actor=actor, action=action
            )

    @staticmethod
    def _markers(parsed: list[dict[str, Any]], sample: bool) -> list[Marker]:
        return [
            Marker(
                marker_id=p["marker_id"],
                line_id=p["line"].line_id,
                serial=p["serial"],
                type_code=p["type_code"],
                kind=MARKER_TYPE_CODES[p["type_code"]],
                location=p["point"],
                material=p["material"],
                registered_on=p["registered_on"],
                references=tuple(p["references"]),
                sample=sample,
                remarks=p["remarks"],
            )
            for p in parsed
        ]

    def import_file(
        self,
        path: str | Path,
        *,
        actor: str,
        sample: bool = False,
        declared_crs: str | None = None,
    ) -> list[Marker]:
        """Import a 界桩登记表 (CSV in UTF-8 or GBK, or XLSX).

        Columns (Chinese or English): 界线/line (id or name; optional when numbers are full),
        编号/number, 类型/type, 材质/material, 经度/lon, 纬度/lat, 登记日期/registered_on,
        备注/remarks, and reference objects either as numbered columns (方位物1, 方位角1,
        距离1, 方位物2 …, or ref1, ref1_bearing, ref1_distance …) or one 方位物 column of
        ``名称/方位角/距离`` items separated by ``；``. Coordinates are CGCS2000 unless
        ``declared_crs`` says otherwise.

        Raises
        ------
        InputFileError
            The file cannot be read or lacks columns.
        ValidationError
            Listing every bad row and field (see the module notes); nothing is stored.
        """
        path = Path(path)
        rows = read_marker_rows(path)
        if not rows:
            raise InputFileError(Problem("文件中没有界桩", field="file"), title=f"{path.name} 为空")
        return self.register_many(
            rows,
            actor=actor,
            sample=sample,
            declared_crs=declared_crs,
            title=f"{path.name} 有误，未导入任何界桩",
            action="markers.import",
        )

    def retire(self, marker_id: str, *, actor: str, reason: str) -> Marker:
        """Take a marker out of use (it stays in the register, ``retired``)."""
        marker = self.get(marker_id)
        self._require_marker_line(marker, actor, "markers.retire")
        problems = []
        if marker.status == "retired":
            problems.append(Problem(f"界桩 {marker.marker_id} 已停用", field="marker_id"))
        if not (reason or "").strip():
            problems.append(Problem("须填写停用原因", field="reason"))
        if problems:
            raise ValidationError(problems, title="界桩停用有误")
        return self.store.retire_marker(marker.marker_id, actor=actor, reason=reason.strip())

    def add_photo(
        self, marker_id: str, filename: str, content: bytes, *, actor: str, note: str = ""
    ) -> BoundaryPhoto:
        """Keep a photo of a marker (never deleted)."""
        marker = self.get(marker_id)
        self._require_marker_line(marker, actor, "markers.photo")
        name, problems = check_photo(filename, content)
        if problems:
            raise ValidationError(problems, title="照片有误")
        return self.store.add_boundary_photo(
            BoundaryPhoto("marker", marker.marker_id, name, bytes(content), note=note.strip()),
            actor=actor,
        )

    def _require_marker_line(self, marker: Marker, actor: str, what: str) -> None:
        """Only inspectors of a side of the marker's line write about the marker."""
        line = self.store.get_boundary_line(marker.line_id)
        if line is None:
            versions = self.store.boundary_line_versions(marker.line_id)
            line = versions[-1] if versions else None
        if line is None:
            require(self.store, actor, ("admin",), what=what)
        else:
            require_line(self.store, actor, line, what=what)

    # -- checks ----------------------------------------------------------------------------
    def _parse(
        self,
        i: int,
        row: Mapping[str, Any],
        problems: list[Problem],
        found_lines: dict[str, list[BoundaryLine]],
    ) -> dict[str, Any]:
        """Check the fields of one entry; return what was understood (``ok`` False if any
        field failed)."""
        at = int(row.get("_row") or i)
        fields = {k: k for k in MARKER_COLUMNS} | dict(row.get("_fields") or {})
        out: dict[str, Any] = {"row": at, "fields": fields, "ok": True, "point": None}
        found: list[Problem] = []

        def problem(message: str, key: str) -> None:
            found.append(Problem(message, row=at, field=fields.get(key, key)))

        number = _clean(row.get("number")).upper().replace("EDGE", "edge")
        line_text = str(row.get("line") or "").strip()
        line_id = serial = type_code = None
        full = MARKER_NUMBER.match(number)
        short = SHORT_NUMBER.match(number)
        if not number:
            problem("界桩编号为空", "number")
        elif full and parse_line_id(full["line"]) is not None:
            line_id, serial, type_code = full["line"], int(full["serial"]), full["type"]
        elif short:
            serial, type_code = int(short["serial"]), short["type"]
        else:
            problem(
                f"界桩编号 {row.get('number')!r} 格式有误：应为“界线编号-三位序号+类型码”，"
                "如 411702-411725-001Q（类型码 Q 单立，A/B 双立，C/D/E 三立），"
                "或在界线列已填写时只写 001Q",
                "number",
            )
        if serial == 0:
            problem("界桩序号从 001 起编", "number")
        line = self._resolve_line(line_id, line_text, type_code is not None, problem, found_lines)
        if line is not None and not line.right_code:
            problem(f"界线 {line.line_id}（{line.name}）只有一侧，不能登记界桩", "line")
            line = None
        kind_text = str(row.get("type") or "").strip()
        if kind_text:
            kind = _KIND_BY_TEXT.get(kind_text.lower(), _KIND_BY_TEXT.get(kind_text))
            if kind is None:
                allowed = "、".join(MARKER_KIND_LABELS.values())
                problem(f"未知的界桩类型“{kind_text}”；可用：{allowed}", "type")
            elif type_code is not None and MARKER_TYPE_CODES[type_code] != kind:
                problem(
                    f"界桩类型“{MARKER_KIND_LABELS[kind]}”与编号中的类型码 {type_code}"
                    f"（{MARKER_KIND_LABELS[MARKER_TYPE_CODES[type_code]]}）不符",
                    "type",
                )
        lon, lat = _number(row.get("lon")), _number(row.get("lat"))
        if lon is None:
            problem(f"经度 {row.get('lon')!r} 不是数字", "lon")
        if lat is None:
            problem(f"纬度 {row.get('lat')!r} 不是数字", "lat")
        references = self._parse_references(row.get("references") or (), problem)
        day_problems: list[Problem] = []
        registered = row.get("registered_on")
        day = check_day(
            registered if registered not in ("", None) else None,
            fields.get("registered_on", "registered_on"),
            day_problems,
            default_today=False,
        )
        found += [Problem(p.message, row=at, field=p.field) for p in day_problems]
        problems += found
        marker_id = None
        if line is not None and serial and type_code:
            marker_id = marker_number(line.line_id, serial, type_code)
        out.update(
            ok=not found,
            line=line,
            serial=serial,
            type_code=type_code,
            marker_id=marker_id,
            lon=lon,
            lat=lat,
            material=str(row.get("material") or "").strip(),
            remarks=str(row.get("remarks") or "").strip(),
            registered_on=day,
            references=references,
        )
        return out

    def _resolve_line(
        self,
        line_id: str | None,
        text: str,
        has_number: bool,
        problem: Any,
        found_lines: dict[str, list[BoundaryLine]],
    ) -> BoundaryLine | None:
        """The line of an entry, from the number and/or the line column (``found_lines``
        caches look-ups by text within one batch)."""
        by_text = None
        if text:
            if text not in found_lines:
                found_lines[text] = self.lines.find(text)
            found = found_lines[text]
            if not found:
                problem(f"未找到现行界线 {text}（应填界线编号或现行界线名称）", "line")
                return None
            if len(found) > 1:
                ids = "、".join(f.line_id for f in found)
                problem(f"界线名称 {text} 对应多段界线（{ids}），请填写界线编号", "line")
                return None
            by_text = found[0]
        if line_id is None:
            if by_text is None and has_number:
                problem("编号未含界线编号，须在界线列填写界线编号或名称", "line")
            return by_text
        line = self.store.get_boundary_line(line_id)
        if line is None:
            problem(f"编号中的界线 {line_id} 不是现行界线：界桩必须属于一条已登记的界线", "number")
            return None
        if by_text is not None and by_text.line_id != line.line_id:
            problem(f"界线列 {text}（{by_text.line_id}）与编号中的界线 {line_id} 不符", "line")
            return None
        return line

    @staticmethod
    def _parse_references(values: Iterable[Any], problem: Any) -> list[ReferenceObject]:
        out = []
        for j, value in enumerate(values, start=1):
            if isinstance(value, ReferenceObject):
                value = (value.description, value.bearing_deg, value.distance_m)
            label = value[3] if len(value) > 3 else f"方位物{j}"
            description = str(value[0] or "").strip()
            bearing, distance = _number(value[1]), _number(value[2])
            ok = True
            if not description:
                problem(f"方位物 {j} 缺少名称", label)
                ok = False
            if bearing is None or not 0 <= bearing < 360:
                problem(f"方位物 {j} 的方位角 {value[1]!r} 应为 0–360 之间的度数", label)
                ok = False
            if distance is None or not 0 < distance <= 10_000:
                problem(f"方位物 {j} 的距离 {value[2]!r} 应为大于 0 的米数", label)
                ok = False
            if ok:
                assert bearing is not None and distance is not None
                out.append(ReferenceObject(description, bearing, distance))
        return out

    def _check_coordinates(
        self, parsed: list[dict[str, Any]], declared_crs: str | None, problems: list[Problem]
    ) -> None:
        """Bring the coordinates to CGCS2000 and check them; sets each entry's ``point``."""
        todo = [p for p in parsed if p["lon"] is not None and p["lat"] is not None]
        if not todo:
            return
        lon = np.array([p["lon"] for p in todo])
        lat = np.array([p["lat"] for p in todo])
        rows = np.array([p["row"] for p in todo])
        projected = _is_projected(declared_crs)
        good = np.ones(len(todo), dtype=bool) if projected else _crs.in_china(lon, lat)
        if not good.all():
            try:
                _crs.check_lonlat(lon[~good], lat[~good], rows=rows[~good])
            except CoordinateRangeError as exc:
                for found in exc.problems:  # type: ignore[attr-defined]
                    entry = next(p for p in todo if p["row"] == found.row)
                    problems.append(Problem(found.message, row=found.row, field=_xy(entry)))
                    entry["ok"] = False
        keep = [p for p, g in zip(todo, good, strict=True) if g]
        if not keep:
            return
        frame = gpd.GeoDataFrame(
            geometry=gpd.points_from_xy([p["lon"] for p in keep], [p["lat"] for p in keep])
        )
        try:
            converted = _crs.to_storage_crs(frame, declared_crs or "CGCS2000")
        except CRSError as exc:
            problems.append(Problem(str(exc), field="declared_crs"))
            return
        except CoordinateRangeError as exc:
            for found in exc.problems:  # type: ignore[attr-defined]
                entry = keep[(found.row or 1) - 1]
                problems.append(Problem(found.message, row=entry["row"], field=_xy(entry)))
                entry["ok"] = False
            return
        for entry, point in zip(keep, converted.geometry, strict=True):
            entry["point"] = Point(point.x, point.y)

    def _check_duplicates(self, parsed: list[dict[str, Any]], problems: list[Problem]) -> None:
        seen: dict[str, int] = {}
        for p in parsed:
            key = p["marker_id"]
            if key is None:
                continue
            field = p["fields"].get("number", "number")
            if key in seen:
                problems.append(
                    Problem(f"界桩编号 {key} 与第 {seen[key]} 行重复", row=p["row"], field=field)
                )
                p["ok"] = False
                continue
            seen[key] = p["row"]
            existing = self.store.get_marker(key)
            if existing is not None:
                state = "（已停用）" if existing.status == "retired" else ""
                problems.append(
                    Problem(f"界桩 {key} 已登记{state}，编号不能重复", row=p["row"], field=field)
                )
                p["ok"] = False

    def _check_places(self, parsed: list[dict[str, Any]], problems: list[Problem]) -> None:
        """Single markers near their line; every marker inside its line's two sides."""
        regions: dict[str, tuple[int, BaseGeometry, BaseGeometry]] = {}
        for p in parsed:
            line, point = p.get("line"), p["point"]
            if line is None or point is None or line.geometry is None:
                continue
            if line.line_id not in regions:
                regions[line.line_id] = self._region(line)
            epsg, line_gk, region = regions[line.line_id]
            point_gk = to_gk(point, epsg)
            if p["type_code"] == "Q":
                off = float(shapely.distance(point_gk, line_gk))
                if off > self.line_tolerance_m:
                    problems.append(
                        Problem(
                            f"单立界桩距界线 {line.line_id}（{line.name}）{off:.1f} 米，"
                            f"超过允许的 {self.line_tolerance_m:g} 米",
                            row=p["row"],
                            field=_xy(p),
                        )
                    )
                    p["ok"] = False
            if not region.contains(point_gk):
                problems.append(
                    Problem(
                        f"坐标 ({point.x:.6f}, {point.y:.6f}) 不在界线 {line.name} 两侧"
                        f"（{line.left_code}、{line.right_code}）的辖区范围内",
                        row=p["row"],
                        field=_xy(p),
                    )
                )
                p["ok"] = False

    def _region(self, line: BoundaryLine) -> tuple[int, BaseGeometry, BaseGeometry]:
        """The line's zone, its projected geometry and the area its markers may lie in."""
        assert line.geometry is not None
        epsg = _crs.gk_zone_epsg(shapely.centroid(line.geometry).x)
        line_gk = to_gk(line.geometry, epsg)
        parts = []
        for code in (line.left_code, line.right_code):
            division = self.store.get_division(code)
            if division is None or division.geometry is None:
                parts.append(shapely.buffer(line_gk, MISSING_SIDE_BUFFER_M))
            else:
                parts.append(buffer_m(division.geometry, self.jurisdiction_buffer_m, epsg))
        return epsg, line_gk, shapely.union_all(parts)

    def _check_sets(self, parsed: list[dict[str, Any]], problems: list[Problem]) -> None:
        """Paired (A/B) and triple (C/D/E) sets complete; one kind per serial."""
        groups: dict[tuple[str, int], list[dict[str, Any]]] = {}
        for p in parsed:
            if p["marker_id"] is not None:
                groups.setdefault((p["line"].line_id, p["serial"]), []).append(p)
        stored: dict[tuple[str, int], set[str]] = {}
        for line_id in {key[0] for key in groups}:
            for m in self.store.query_markers(line_id=line_id):
                stored.setdefault((m.line_id, m.serial), set()).add(m.type_code)
        for (line_id, serial), members in groups.items():
            letters = {m["type_code"] for m in members} | stored.get((line_id, serial), set())
            kinds = {MARKER_TYPE_CODES[c] for c in letters}
            if len(kinds) > 1:
                message = (
                    f"界线 {line_id} 序号 {serial:03d} 的界桩类型不一致（"
                    + "、".join(sorted(letters))
                    + "）：同一序号只能是一个单立界桩或一组双立/三立界桩"
                )
            else:
                (kind,) = kinds
                lacking = [c for c in MARKER_SETS[kind] if c not in letters]
                if not lacking:
                    continue
                message = (
                    f"{MARKER_KIND_LABELS[kind]}界桩 {line_id}-{serial:03d} 不成套：缺少 "
                    + "、".join(f"{serial:03d}{c}" for c in lacking)
                )
            for m in members:
                problems.append(Problem(message, row=m["row"], field=m["fields"]["number"]))
                m["ok"] = False


def _is_projected(declared: str | None) -> bool:
    """Whether a declared CRS is a projected one (metres); offset systems and unknown names
    count as longitude/latitude (:func:`geociv.crs.to_storage_crs` judges the latter)."""
    if not declared:
        return False
    try:
        return not pyproj.CRS.from_user_input(declared).is_geographic
    except pyproj.exceptions.CRSError:
        return False


def _xy(entry: Mapping[str, Any]) -> str:
    fields = entry["fields"]
    return f"{fields.get('lon', 'lon')}/{fields.get('lat', 'lat')}"


def check_photo(filename: str, content: object) -> tuple[str, list[Problem]]:
    """The cleaned file name of a photo and the problems with it: no name, empty, too big, or
    not a JPEG/PNG/WebP image by content (:func:`geociv.uploads.image_problems`)."""
    problems = []
    name = (filename or "").strip().replace("\\", "/").rsplit("/", 1)[-1]
    if not name:
        problems.append(Problem("照片文件名不能为空", field="filename"))
    problems.extend(image_problems(content, field="content"))
    return name, problems
