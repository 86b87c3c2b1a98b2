"""Topology QA of division polygons (DESIGN.md "Boundaries" rule 8).

Finds invalid geometries, gaps, overlaps, slivers, shared edges on which the two sides
disagree, edges claimed by more than two divisions, and dangles, each with a location.

Method: in clean data every inner edge is held by exactly two divisions with identical
vertices (see :func:`geociv.boundaries.lines.shared_segments`). The segments held by one
division only are the outline of the whole set plus every place where the sides disagree; they
are polygonised, and each face is judged by how many divisions cover it: none → a gap, two or
more → an overlap; thin faces are slivers. Only the few one-sided segments go through GEOS,
which keeps the check fast on a whole country.

A gap that reaches the outline of the whole set is open to the outside, so it closes no face:
given the parent's outline (``parent``), the union of the units is compared with it, and what
of the parent no unit covers is a ``gap`` reaching the edge; what of the units lies outside
the parent is reported as ``outside``. Gaps enclosed by units are left to the face method.

Examples
--------
>>> import geopandas as gpd
>>> from shapely import box
>>> cells = [box(114.0, 32.8, 114.2, 32.9), box(114.0, 32.9, 114.1, 33.0),
...          box(114.1001, 32.9, 114.2, 33.0), box(114.0, 33.0, 114.2, 33.1)]
>>> frame = gpd.GeoDataFrame({"code": ["411702", "411721", "411722", "411725"]},
...                          geometry=cells, crs="EPSG:4490")
>>> report = check_topology(frame)
>>> [(i.kind, i.codes) for i in report.issues]
[('gap', ('411702', '411721', '411722', '411725'))]
>>> report.issues[0].message
'0.104 km² 未被任何区划覆盖（细长碎片，多为两侧界线不一致）：411702、411721、411722、411725'
>>> check_topology(frame.iloc[[0, 3]]).clean
True
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import geopandas as gpd
import numpy as np
import shapely
from shapely.geometry.base import BaseGeometry

from geociv import crs as _crs
from geociv.boundaries.lines import shared_segments
from geociv.divisions import Divisions
from geociv.labels import TOPOLOGY_KIND_LABELS

#: A face thinner than this (4πA/P²; 1 for a circle) is a sliver.
SLIVER_THINNESS = 0.05


@dataclass(frozen=True)
class TopologyIssue:
    """One problem, where it is and which divisions it concerns."""

    kind: str
    codes: tuple[str, ...]
    geometry: BaseGeometry
    size: float  # m² for areas, m for lines
    message: str

    def to_dict(self) -> dict[str, object]:
        """JSON-ready form (geometry as GeoJSON)."""
        return {
            "kind": self.kind,
            "label": TOPOLOGY_KIND_LABELS[self.kind],
            "codes": list(self.codes),
            "size": self.size,
            "message": self.message,
            "geometry": shapely.geometry.mapping(self.geometry),
        }


@dataclass
class TopologyReport:
    """All issues found; empty when the polygons are clean."""

    divisions: int
    issues: list[TopologyIssue] = field(default_factory=list)
    #: Holes inside a single division that no division of the set fills: usually an enclave
    #: (飞地) of a division outside the data set — information, not an error.
    holes: list[TopologyIssue] = field(default_factory=list)

    @property
    def clean(self) -> bool:
        """Whether nothing was found."""
        return not self.issues

    def counts(self) -> dict[str, int]:
        """Issues per kind."""
        out: dict[str, int] = {}
        for issue in self.issues:
            out[issue.kind] = out.get(issue.kind, 0) + 1
        return out

    def summary(self) -> str:
        """One line in Chinese."""
        holes = (
            f"；另有 {len(self.holes)} 处区划内的空洞（多为数据集之外区划的飞地）"
            if self.holes
            else ""
        )
        if self.clean:
            return f"{self.divisions} 个区划，未发现拓扑问题{holes}"
        parts = "，".join(f"{TOPOLOGY_KIND_LABELS[k]} {n} 处" for k, n in self.counts().items())
        return f"{self.divisions} 个区划：{parts}{holes}"

    def frame(self) -> gpd.GeoDataFrame:
        """The issues as a GeoDataFrame (EPSG:4490), e.g. for a map layer or export."""
        return gpd.GeoDataFrame(
            {
                "kind": [i.kind for i in self.issues],
                "label": [TOPOLOGY_KIND_LABELS[i.kind] for i in self.issues],
                "codes": [",".join(i.codes) for i in self.issues],
                "size": [i.size for i in self.issues],
                "message": [i.message for i in self.issues],
            },
            geometry=[i.geometry for i in self.issues],
            crs=_crs.STORAGE_CRS,
        )


def check_topology(
    divisions: gpd.GeoDataFrame,
    *,
    code_column: str = "code",
    min_area_m2: float = 1.0,
    parent: BaseGeometry | None = None,
    parent_code: str = "",
) -> TopologyReport:
    """Check polygons of one level for the problems listed in the module docstring.

    Parameters
    ----------
    divisions
        The units (EPSG:4490) with their codes in ``code_column``.
    min_area_m2
        Faces smaller than this are ignored (rounding noise of stored coordinates).
    parent, parent_code
        The outline of the division the units make up and its code: the units' union is
        compared with it (gaps reaching the edge, parts lying outside); ``None`` skips that.
    """
    codes = divisions[code_column].astype(str).to_numpy()
    geoms = np.asarray(divisions.geometry.values)
    report = TopologyReport(divisions=len(codes))
    if parent is not None and len(geoms):
        report.issues.extend(edge_issues(geoms, codes, parent, parent_code, min_area_m2))

    valid = shapely.is_valid(geoms)
    for i in np.flatnonzero(~valid):
        reason = shapely.is_valid_reason(geoms[i])
        where = _location_of(reason) or shapely.point_on_surface(geoms[i])
        report.issues.append(
            TopologyIssue("invalid", (codes[i],), where, 0.0, f"{codes[i]} 几何无效：{reason}")
        )

    segments, owners, counts = shared_segments(geoms)
    for k in np.flatnonzero(counts > 2):
        line = shapely.linestrings(segments[k])
        report.issues.append(
            TopologyIssue("multi_owner", (codes[owners[k, 0]], codes[owners[k, 1]]), line,
                          0.0, f"这条边被 {counts[k]} 个区划共用（应为两个）")
        )  # fmt: skip

    single = segments[owners[:, 1] < 0]
    if len(single) == 0:
        return report
    lines = shapely.linestrings(single)
    noded = shapely.union_all(lines)  # nodes the one-sided edges where they cross
    faces, _cuts, dangles, _invalid = shapely.polygonize_full(shapely.get_parts(noded))
    tree = shapely.STRtree(geoms)
    for face in shapely.get_parts(faces):
        point = shapely.point_on_surface(face)
        covering = tree.query(point, predicate="intersects")
        area = float(_crs.area_km2([face], crs=_crs.STORAGE_CRS)[0]) * 1e6
        if len(covering) == 1 or area < min_area_m2:
            continue
        near = tree.query(face, predicate="intersects")
        involved = tuple(sorted({codes[j] for j in near}))
        perimeter = float(_crs.length_km([face.exterior], crs=_crs.STORAGE_CRS)[0]) * 1e3
        thinness = 4 * math.pi * area / perimeter**2 if perimeter else 0.0
        kind = "gap" if len(covering) == 0 else "overlap"
        if kind == "gap" and len(involved) == 1:
            message = (
                f"{_fmt_area(area)}空洞位于 {involved[0]} 内部，本数据集中没有区划覆盖它"
                "（多为其他区划的飞地，请核对）"
            )
            report.holes.append(TopologyIssue("hole", involved, face, area, message))
            continue
        what = "未被任何区划覆盖" if kind == "gap" else f"被 {len(covering)} 个区划同时覆盖"
        if thinness < SLIVER_THINNESS:
            what += "（细长碎片，多为两侧界线不一致）"
        message = f"{_fmt_area(area)}{what}：{'、'.join(involved)}"
        report.issues.append(TopologyIssue(kind, involved, face, area, message))
    for dangle in shapely.get_parts(dangles):
        near = tree.query(dangle, predicate="intersects")
        involved = tuple(sorted({codes[j] for j in near}))
        length = float(_crs.length_km([dangle], crs=_crs.STORAGE_CRS)[0]) * 1e3
        report.issues.append(
            TopologyIssue("dangle", involved, dangle, length,
                          f"长 {length:,.0f} m 的边界两端未闭合：{'、'.join(involved)}")
        )  # fmt: skip
    return report


def check_within(
    divisions: Divisions,
    parent: str,
    *,
    level: str = "county",
    units: gpd.GeoDataFrame | None = None,
) -> TopologyReport:
    """Topology QA of the ``level`` units of ``parent`` against each other and against the
    parent's own outline (when the store has it).

    ``units`` are those units as :meth:`~geociv.divisions.Divisions.frame` gives them, when
    the caller has them already.
    """
    if units is None:
        units = divisions.frame(parent=parent, level=level)
    units = units[units.geometry.notna()]
    record = divisions.store.get_division(parent)
    outline = None if record is None else record.geometry
    return check_topology(units, parent=outline, parent_code=parent)


def edge_issues(
    geoms: np.ndarray,
    codes: np.ndarray,
    parent: BaseGeometry,
    parent_code: str = "",
    min_area_m2: float = 1.0,
) -> list[TopologyIssue]:
    """Where the units' union and their parent's outline disagree: parts of the parent no
    unit covers that reach its edge (``gap``) and parts of units outside it (``outside``),
    each with its area, the units beside it and a point inside it."""
    union = shapely.union_all(shapely.make_valid(geoms))
    parent = shapely.make_valid(parent)
    tree = shapely.STRtree(geoms)
    edge = parent.boundary
    name = parent_code or "上级区划"
    out: list[TopologyIssue] = []
    pieces = (
        ("gap", shapely.difference(parent, union)),
        ("outside", shapely.difference(union, parent)),
    )
    for kind, rest in pieces:
        for face in shapely.get_parts(rest):
            if face.geom_type != "Polygon" or (kind == "gap" and not face.intersects(edge)):
                continue  # enclosed gaps are found as faces by check_topology
            area = float(_crs.area_km2([face], crs=_crs.STORAGE_CRS)[0]) * 1e6
            if area < min_area_m2:
                continue
            near = tree.query(face, predicate="intersects")
            if kind == "outside":  # the units it is part of, not those it only touches
                near = near[shapely.area(shapely.intersection(geoms[near], face)) > 0]
            involved = tuple(sorted({codes[j] for j in near}))
            at = shapely.point_on_surface(face)
            where = f"（约 {at.x:.4f}°E, {at.y:.4f}°N）"
            beside = "、".join(involved) or "无"
            what = (
                f"在 {name} 范围内、达其边界处未被任何区划覆盖{where}，相邻：{beside}"
                if kind == "gap"
                else f"超出 {name} 的范围{where}：{beside}"
            )
            out.append(TopologyIssue(kind, involved, face, area, f"{_fmt_area(area)}{what}"))
    return out


def _fmt_area(m2: float) -> str:
    return f"{m2 / 1e6:,.3f} km² " if m2 >= 1e5 else f"{m2:,.0f} m² "


def _location_of(reason: str) -> BaseGeometry | None:
    """The point GEOS names in an invalidity reason, e.g. "Self-intersection[114.1 32.9]"."""
    if "[" not in reason:
        return None
    try:
        x, y = reason.split("[", 1)[1].rstrip("]").split()[:2]
        return shapely.Point(float(x), float(y))
    except ValueError:
        return None
