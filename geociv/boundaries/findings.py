"""Automatic findings on markers and their inspections (DESIGN.md "Boundaries and inspections"
rules 2–5), each with a location for the map.

======================  ========  =====================================================
rule                    severity  what
======================  ========  =====================================================
``B2-INCOMPLETE-SET``   error     a paired (A/B) or triple (C/D/E) set lacks a member, or a
                                  serial mixes kinds
``B2-FEW-REFERENCES``   warning   fewer than ``min_references`` (3) reference objects
                                  registered
``B3-OFF-LINE``         error     a single (Q) marker farther than ``line_tolerance_m``
                                  (50 m) from its line's current version
``B3-NO-LINE``          error     a marker whose line is no longer in force
``B4-MISSING``          error     the latest final check found the marker missing (丢失)
``B4-DAMAGED``          warning   … damaged, buried or illegible (损坏/掩埋/字迹不清)
``B4-REFERENCES``       warning   … fewer reference objects present than registered, or
                                  fewer than ``min_references``
``B5-DISPLACED``        error     … measured farther than ``displacement_tolerance_m`` from
                                  the registered position (or recorded as displaced, 移位)
======================  ========  =====================================================

The default displacement tolerance, :data:`DISPLACEMENT_TOLERANCE_M` = 5 m, is the accuracy of
a good handheld GNSS fix: a marker found farther than that from its registered coordinates has
very likely moved. Survey-grade checks (RTK, a few cm) may lower it; phone GPS (≈10 m) needs
more. Distances are measured in the Gauss-Krüger zone of the marker. Inspection findings use
the latest *final* (two-side signed) marker check only — a draft is not yet a finding.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import geopandas as gpd
import shapely
from shapely import LineString, MultiPoint
from shapely.geometry.base import BaseGeometry

from geociv import crs as _crs
from geociv.boundaries.markers import LINE_TOLERANCE_M, MIN_REFERENCES, Markers, distance_m
from geociv.boundaries.registry import code_prefix
from geociv.divisions import normalize_code
from geociv.labels import MARKER_CONDITION_LABELS, MARKER_KIND_LABELS, SEVERITY_LABELS
from geociv.store import (
    MARKER_SETS,
    MARKER_TYPE_CODES,
    BoundaryLine,
    InspectionRecord,
    Marker,
    Store,
)

#: Default largest distance (m) between a marker's measured and registered positions.
DISPLACEMENT_TOLERANCE_M = 5.0


@dataclass(frozen=True)
class FindingRule:
    """A boundary rule: id, severity, Chinese title."""

    rule_id: str
    severity: str
    title: str


RULES: dict[str, FindingRule] = {
    r.rule_id: r
    for r in (
        FindingRule("B2-INCOMPLETE-SET", "error", "双立/三立界桩不成套"),
        FindingRule("B2-FEW-REFERENCES", "warning", "方位物不足"),
        FindingRule("B3-OFF-LINE", "error", "单立界桩偏离界线"),
        FindingRule("B3-NO-LINE", "error", "界桩所在界线已停用"),
        FindingRule("B4-MISSING", "error", "界桩丢失"),
        FindingRule("B4-DAMAGED", "warning", "界桩损坏"),
        FindingRule("B4-REFERENCES", "warning", "方位物缺失"),
        FindingRule("B5-DISPLACED", "error", "界桩移位"),
    )
}


@dataclass(frozen=True)
class BoundaryFinding:
    """One finding: rule, severity, Chinese message, the marker and line concerned, the
    inspection record it comes from (if any) and where to show it on the map (EPSG:4490: the
    marker, or for a displaced marker the line from its registered to its measured
    position)."""

    rule_id: str
    severity: str
    message: str
    line_id: str
    marker_id: str | None = None
    record_id: str | None = None
    location: BaseGeometry | None = field(default=None, compare=False, repr=False)

    @property
    def title(self) -> str:
        """The rule's Chinese title."""
        return RULES[self.rule_id].title

    def to_dict(self) -> dict[str, object]:
        """JSON-ready form (the location as a GeoJSON geometry)."""
        return {
            "rule": self.rule_id,
            "severity": self.severity,
            "severity_label": SEVERITY_LABELS[self.severity],
            "title": self.title,
            "message": self.message,
            "line_id": self.line_id,
            "marker_id": self.marker_id,
            "record_id": self.record_id,
            "geometry": None if self.location is None else shapely.geometry.mapping(self.location),
        }


def _finding(
    rule_id: str,
    message: str,
    line_id: str,
    *,
    marker_id: str | None = None,
    record_id: str | None = None,
    location: BaseGeometry | None = None,
) -> BoundaryFinding:
    return BoundaryFinding(
        rule_id, RULES[rule_id].severity, message, line_id, marker_id, record_id, location
    )


class Findings:
    """Findings on the markers and inspections kept in a :class:`~geociv.store.Store`.

    Parameters
    ----------
    store
        The store.
    displacement_tolerance_m
        Largest accepted distance of a measured position from the registered one (m).
    line_tolerance_m
        Largest accepted distance of a single marker from its line (m).
    min_references
        Reference objects expected per marker.
    """

    def __init__(
        self,
        store: Store,
        *,
        displacement_tolerance_m: float = DISPLACEMENT_TOLERANCE_M,
        line_tolerance_m: float = LINE_TOLERANCE_M,
        min_references: int = MIN_REFERENCES,
    ) -> None:
        if displacement_tolerance_m < 0 or line_tolerance_m < 0 or min_references < 0:
            raise ValueError("tolerances must not be negative")
        self.store = store
        self.displacement_tolerance_m = float(displacement_tolerance_m)
        self.line_tolerance_m = float(line_tolerance_m)
        self.min_references = int(min_references)

    def list(
        self,
        *,
        line_id: str | None = None,
        parent: str | None = None,
        round_no: int | None = None,
    ) -> list[BoundaryFinding]:
        """Every finding, ordered by line, marker and rule.

        Parameters
        ----------
        line_id
            Only this line.
        parent
            Only lines with a side inside this division (adcode).
        round_no
            Judge inspections of this round only (default: the latest final check of each
            marker, whatever its round).
        """
        prefix = None if parent is None else code_prefix(normalize_code(parent))
        lines = {
            line.line_id: line
            for line in self.store.query_boundary_lines(division_prefix=prefix)
            if line_id is None or line.line_id == line_id
        }
        markers = Markers(self.store).query(line_id=line_id, parent=parent)
        latest = self._latest_checks(round_no)
        out: list[BoundaryFinding] = []
        out += self._set_findings(markers)
        for marker in markers:
            line = lines.get(marker.line_id)
            out += self._register_findings(marker, line)
            record = latest.get(marker.marker_id)
            if record is not None:
                out += self._check_findings(marker, record)
        out.sort(key=lambda f: (f.line_id, f.marker_id or "", f.rule_id))
        return out

    def frame(self, **filters: object) -> gpd.GeoDataFrame:
        """:meth:`list` as a GeoDataFrame in EPSG:4490 for the map."""
        found = self.list(**filters)  # type: ignore[arg-type]
        return gpd.GeoDataFrame(
            {
                "rule": [f.rule_id for f in found],
                "severity": [f.severity for f in found],
                "title": [f.title for f in found],
                "message": [f.message for f in found],
                "line_id": [f.line_id for f in found],
                "marker_id": [f.marker_id for f in found],
                "record_id": [f.record_id for f in found],
            },
            geometry=[f.location for f in found],
            crs=_crs.STORAGE_CRS,
        )

    # -- helpers ---------------------------------------------------------------------------
    def _latest_checks(self, round_no: int | None) -> dict[str, InspectionRecord]:
        latest: dict[str, InspectionRecord] = {}
        for record in self.store.query_inspection_records(
            kind="marker", status="final", round_no=round_no
        ):
            key = record.marker_id or ""
            old = latest.get(key)
            if old is None or (record.inspected_on, record.record_id) >= (
                old.inspected_on,
                old.record_id,
            ):
                latest[key] = record
        return latest

    def _set_findings(self, markers: list[Marker]) -> list[BoundaryFinding]:
        groups: dict[tuple[str, int], list[Marker]] = {}
        for m in markers:
            if m.kind != "single":
                groups.setdefault((m.line_id, m.serial), []).append(m)
        for m in markers:
            if m.kind == "single" and (m.line_id, m.serial) in groups:
                groups[(m.line_id, m.serial)].append(m)
        out = []
        for (line_id, serial), members in sorted(groups.items()):
            letters = {m.type_code for m in members}
            kinds = {MARKER_TYPE_CODES[c] for c in letters}
            where = MultiPoint([m.location for m in members if m.location is not None])
            first = min(m.marker_id for m in members)
            if len(kinds) > 1:
                message = (
                    f"界线 {line_id} 序号 {serial:03d} 的界桩类型不一致（"
                    + "、".join(sorted(letters))
                    + "）"
                )
            else:
                (kind,) = kinds
                lacking = [c for c in MARKER_SETS[kind] if c not in letters]
                if not lacking:
                    continue
                message = (
                    f"{MARKER_KIND_LABELS[kind]}界桩 {line_id}-{serial:03d} 不成套：有 "
                    + "、".join(sorted(f"{serial:03d}{c}" for c in letters))
                    + "，缺少 "
                    + "、".join(f"{serial:03d}{c}" for c in lacking)
                )
            out.append(
                _finding("B2-INCOMPLETE-SET", message, line_id, marker_id=first, location=where)
            )
        return out

    def _register_findings(
        self, marker: Marker, line: BoundaryLine | None
    ) -> list[BoundaryFinding]:
        out = []
        here = marker.location
        n = len(marker.references)
        if n < self.min_references:
            out.append(
                _finding(
                    "B2-FEW-REFERENCES",
                    f"界桩 {marker.marker_id} 登记的方位物只有 {n} 个，应至少 "
                    f"{self.min_references} 个",
                    marker.line_id,
                    marker_id=marker.marker_id,
                    location=here,
                )
            )
        if line is None:
            if self.store.get_boundary_line(marker.line_id) is None:
                out.append(
                    _finding(
                        "B3-NO-LINE",
                        f"界桩 {marker.marker_id} 所在的界线 {marker.line_id} 已停用或不存在",
                        marker.line_id,
                        marker_id=marker.marker_id,
                        location=here,
                    )
                )
            return out
        if marker.kind == "single" and here is not None and line.geometry is not None:
            off = distance_m(here, line.geometry)
            if off > self.line_tolerance_m:
                out.append(
                    _finding(
                        "B3-OFF-LINE",
                        f"单立界桩 {marker.marker_id} 距界线 {line.name}（第 {line.version} 版）"
                        f" {off:.1f} 米，超过允许的 {self.line_tolerance_m:g} 米",
                        marker.line_id,
                        marker_id=marker.marker_id,
                        location=here,
                    )
                )
        return out

    def _check_findings(self, marker: Marker, record: InspectionRecord) -> list[BoundaryFinding]:
        out = []
        here = marker.location
        subject = f"界桩 {marker.marker_id}（{record.inspected_on} 联检，记录 {record.record_id}）"

        def add(rule_id: str, message: str, location: BaseGeometry | None = here) -> None:
            out.append(
                _finding(
                    rule_id,
                    message,
                    marker.line_id,
                    marker_id=marker.marker_id,
                    record_id=record.record_id,
                    location=location,
                )
            )

        condition = record.condition or ""
        if condition == "missing":
            add("B4-MISSING", f"{subject}：界桩丢失")
        elif condition in ("damaged", "buried", "illegible"):
            add("B4-DAMAGED", f"{subject}：{MARKER_CONDITION_LABELS[condition]}")
        if record.measured is not None and here is not None and condition != "missing":
            moved = distance_m(here, record.measured)
            accuracy = (
                f"（GPS 精度 {record.gps_accuracy_m:g} 米）"
                if record.gps_accuracy_m is not None
                else ""
            )
            if moved > self.displacement_tolerance_m:
                add(
                    "B5-DISPLACED",
                    f"{subject}：实测位置距登记位置 {moved:.1f} 米{accuracy}，超过允许的 "
                    f"{self.displacement_tolerance_m:g} 米",
                    LineString([here, record.measured]),
                )
            elif condition == "displaced":
                add(
                    "B5-DISPLACED",
                    f"{subject}：记录为移位，实测位置距登记位置 {moved:.1f} 米{accuracy}",
                    LineString([here, record.measured]) if moved > 0 else here,
                )
        elif condition == "displaced":
            add("B5-DISPLACED", f"{subject}：记录为移位（无实测位置）")
        present = record.references_present
        registered = len(marker.references)
        if present is not None and (present < registered or present < self.min_references):
            missing = ""
            if record.reference_checks is not None:
                gone = [
                    r.description
                    for r, ok in zip(marker.references, record.reference_checks, strict=False)
                    if not ok
                ]
                if gone:
                    missing = "，缺少：" + "、".join(gone)
            add(
                "B4-REFERENCES",
                f"{subject}：现存方位物 {present} 个（登记 {registered} 个，应至少 "
                f"{self.min_references} 个）{missing}",
            )
        return out
