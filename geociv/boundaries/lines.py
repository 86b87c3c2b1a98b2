"""行政区域界线: boundary lines derived from division polygons.

One line per pair of adjacent divisions, split at tri-junctions (三交点), with its length in km
(Gauss-Krüger), its level (provincial / city / county: the highest level at which the two
sides differ), whether it lies on the jurisdiction's edge, and its name by the convention of
one-character abbreviations of both sides + 线 (周口–驻马店: 周驻线; Henan–Anhui: 豫皖线).

The derivation works on shared segments: every ring is cut into its vertex-to-vertex
segments, identical segments are matched by hashing their end points (snapped to a 1e-7° grid,
about 1 cm), which tells each segment's owners; then each ring is cut where the pair of owners
changes, so the runs of consecutive segments are the lines, already split at tri-junctions and
with no geometry overlay at all. That is one sort over the vertices, where intersecting every
adjacent pair's boundaries costs a GEOS overlay per pair. It needs topologically clean input,
where neighbours share vertices; :mod:`geociv.boundaries.topology` reports where that is not so.

Examples
--------
>>> import geopandas as gpd
>>> from shapely import box
>>> frame = gpd.GeoDataFrame({"code": ["411702", "411725"], "name": ["驿城区", "确山县"]},
...                          geometry=[box(114.0, 32.9, 114.1, 33.0),
...                                    box(114.1, 32.9, 114.2, 33.0)], crs="EPSG:4490")
>>> lines = derive_lines(frame, include_edge=False)
>>> list(lines["name"]), round(float(lines["length_km"].iloc[0]), 2)
(['驿确线'], 11.09)
"""

from __future__ import annotations

from collections.abc import Mapping

import geopandas as gpd
import numpy as np
import shapely

from geociv import crs as _crs

#: One-character abbreviations (简称) of the provinces, used in provincial line names.
PROVINCE_ABBREVIATIONS: dict[str, str] = {
    "11": "京", "12": "津", "13": "冀", "14": "晋", "15": "蒙", "21": "辽", "22": "吉",
    "23": "黑", "31": "沪", "32": "苏", "33": "浙", "34": "皖", "35": "闽", "36": "赣",
    "37": "鲁", "41": "豫", "42": "鄂", "43": "湘", "44": "粤", "45": "桂", "46": "琼",
    "50": "渝", "51": "川", "52": "贵", "53": "云", "54": "藏", "61": "陕", "62": "甘",
    "63": "青", "64": "宁", "65": "新", "71": "台", "81": "港", "82": "澳",
}  # fmt: skip

#: Grid the end points are snapped to before matching (degrees).
SNAP = 1e-7


def line_level(a: str, b: str | None) -> str:
    """Level of the line between divisions ``a`` and ``b`` (county codes or coarser)."""
    if b is None:
        return "edge"
    if a[:2] != b[:2]:
        return "provincial"
    if a[:4] != b[:4]:
        return "city"
    return "county"


def abbreviation(code: str, name: str, overrides: Mapping[str, str] | None = None) -> str:
    """The one-character abbreviation of a division: an override, the province's 简称, or the
    first character of its name."""
    if overrides and code in overrides:
        return overrides[code]
    if code.endswith("0000") and code[:2] in PROVINCE_ABBREVIATIONS:
        return PROVINCE_ABBREVIATIONS[code[:2]]
    return name[:1] if name else code


def line_units(a: str, b: str, level: str) -> tuple[str, str]:
    """The two divisions a line separates at its level (e.g. the two cities of a city line),
    ordered by code."""
    digits = {"provincial": 2, "city": 4, "county": 6}[level]
    lo, hi = sorted((a[:digits].ljust(6, "0"), b[:digits].ljust(6, "0")))
    return lo, hi


def line_name(
    a: str,
    b: str,
    level: str,
    names: Mapping[str, str],
    abbreviations: Mapping[str, str] | None = None,
    official: Mapping[tuple[str, str], str] | None = None,
) -> str:
    """Name of a line: its official name if given (``official`` maps the two units of
    :func:`line_units` to a name such as 豫皖线), else the abbreviations of the two sides at the
    line's level, ordered by code, + 线 (周口 411600, 驻马店 411700: 周驻线)."""
    units = line_units(a, b, level)
    if official and units in official:
        return official[units]
    return "".join(abbreviation(u, names.get(u, ""), abbreviations) for u in units) + "线"


def shared_segments(
    geometries: np.ndarray, snap: float = SNAP
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """All distinct ring segments with their owners.

    Returns
    -------
    segments : (n, 2, 2) float array
        Each segment's two end points (as stored in the first owner's ring).
    owners : (n, 2) int array
        Row index of the owners; the second is -1 for a segment with one owner. Segments with
        more than two owners (overlapping polygons) keep the first two.
    counts : (n,) int array
        How many rings hold the segment (1, 2, or more where polygons overlap).
    """
    parts, part_of = shapely.get_parts(geometries, return_index=True)
    rings, ring_of = shapely.get_rings(parts, return_index=True)
    coords, coord_of = shapely.get_coordinates(rings, return_index=True)
    owner_of_coord = part_of[ring_of[coord_of]]
    same_ring = coord_of[:-1] == coord_of[1:]
    start = coords[:-1][same_ring]
    end = coords[1:][same_ring]
    owner = owner_of_coord[:-1][same_ring]
    keep = ~np.all(start == end, axis=1)  # repeated vertices make empty segments
    start, end, owner = start[keep], end[keep], owner[keep]
    lo, hi = _segment_keys(start, end, snap)
    order = np.lexsort((owner, hi, lo))
    lo, hi, owner, start, end = lo[order], hi[order], owner[order], start[order], end[order]
    new_key = np.ones(len(lo), dtype=bool)
    new_key[1:] = (lo[1:] != lo[:-1]) | (hi[1:] != hi[:-1])
    first = np.flatnonzero(new_key)
    counts = np.diff(np.append(first, len(lo)))
    second = np.full(len(first), -1, dtype=np.int64)
    has_two = counts >= 2
    second[has_two] = owner[first[has_two] + 1]
    owners = np.column_stack([owner[first], second])
    segments = np.stack([start[first], end[first]], axis=1)
    return segments, owners, counts


def _segment_keys(start: np.ndarray, end: np.ndarray, snap: float) -> tuple[np.ndarray, np.ndarray]:
    """Each segment's end points snapped to the grid and packed into one int64 each (lon in
    the high 32 bits, lat in the low 31), lower one first, so a segment is a pair of ints."""

    def pack(points: np.ndarray) -> np.ndarray:
        grid = np.round(points / snap).astype(np.int64)
        return ((grid[:, 0] + (1 << 31)) << 31) | (grid[:, 1] + (1 << 30))

    s, e = pack(start), pack(end)
    return np.minimum(s, e), np.maximum(s, e)


def line_runs(
    geometries: np.ndarray, snap: float = SNAP
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Lines between owners as runs of ring segments.

    Returns
    -------
    lines : array of LineString
        One per run; a run spans consecutive segments of one ring with the same owners.
    a, b : int arrays
        Row indices of the two owners of each line (``a < b``); ``b`` is -1 on the outline.
    """
    parts, part_of = shapely.get_parts(geometries, return_index=True)
    rings, ring_of = shapely.get_rings(parts, return_index=True)
    coords, coord_of = shapely.get_coordinates(rings, return_index=True)
    owner_of_coord = part_of[ring_of[coord_of]]
    seg = np.flatnonzero(coord_of[:-1] == coord_of[1:])
    start, end = coords[seg], coords[seg + 1]
    keep = ~np.all(start == end, axis=1)
    seg, start, end = seg[keep], start[keep], end[keep]
    owner = owner_of_coord[seg]
    ring = coord_of[seg]

    lo, hi = _segment_keys(start, end, snap)
    order = np.lexsort((owner, hi, lo))
    slo, shi = lo[order], hi[order]
    new = np.ones(len(order), dtype=bool)
    new[1:] = (slo[1:] != slo[:-1]) | (shi[1:] != shi[:-1])
    group_sorted = np.cumsum(new) - 1
    group = np.empty_like(group_sorted)
    group[order] = group_sorted
    first = np.flatnonzero(new)
    counts = np.diff(np.append(first, len(order)))
    o1 = owner[order][first]
    o2 = np.where(counts >= 2, owner[order][np.minimum(first + 1, len(order) - 1)], -1)
    ga = np.where(o2 < 0, o1, np.minimum(o1, o2))
    gb = np.where(o2 < 0, -1, np.maximum(o1, o2))
    pa, pb = ga[group], gb[group]
    # each shared segment once (from its lower owner's ring); edges between two parts of the
    # same division are not boundary lines
    take = np.flatnonzero((owner == pa) & (pa != pb))
    if len(take) == 0:
        return np.array([], dtype=object), np.array([], int), np.array([], int)
    ta, tb, tr = pa[take], pb[take], ring[take]
    brk = np.ones(len(take), dtype=bool)
    brk[1:] = (
        (tr[1:] != tr[:-1])
        | (ta[1:] != ta[:-1])
        | (tb[1:] != tb[:-1])
        | (take[1:] != take[:-1] + 1)
    )
    run = np.cumsum(brk) - 1
    position = take.astype(np.float64)

    # a run that ends where its ring closes continues the ring's first run of the same pair
    ring_first = np.full(ring.max() + 1, -1)
    ring_last = np.full(ring.max() + 1, -1)
    ring_first[ring[::-1]] = np.arange(len(ring))[::-1]
    ring_last[ring] = np.arange(len(ring))
    run_first = np.flatnonzero(brk)
    run_last = np.append(run_first[1:] - 1, len(take) - 1)
    drop_end = np.zeros(len(run_first), dtype=bool)
    head_of = {int(tr[i]): r for r, i in enumerate(run_first) if take[i] == ring_first[tr[i]]}
    for r, i in enumerate(run_last):
        h = head_of.get(int(tr[i]))
        if (h is not None and h != r and take[i] == ring_last[tr[i]]
                and ta[i] == ta[run_first[h]] and tb[i] == tb[run_first[h]]):  # fmt: skip
            members = slice(run_first[r], i + 1)
            run[members] = h
            position[members] -= 1e15  # before the head run's segments
            drop_end[r] = True
    keep_end = ~drop_end
    ends = run_last[keep_end]
    pts = np.concatenate([start[take], end[take[ends]]])
    ids = np.concatenate([run, run[ends]])
    pos = np.concatenate([position, position[ends] + 0.5])
    o = np.lexsort((pos, ids))
    _, dense = np.unique(ids[o], return_inverse=True)
    lines = shapely.linestrings(pts[o], indices=dense)
    heads = np.unique(run)
    return lines, ta[run_first[heads]], tb[run_first[heads]]


def derive_lines(
    divisions: gpd.GeoDataFrame,
    *,
    code_column: str = "code",
    names: Mapping[str, str] | None = None,
    abbreviations: Mapping[str, str] | None = None,
    official: Mapping[tuple[str, str], str] | None = None,
    include_edge: bool = True,
    inside: set[str] | None = None,
) -> gpd.GeoDataFrame:
    """Boundary lines between adjacent divisions.

    Parameters
    ----------
    divisions
        Polygons of one level (e.g. counties), a code column and, optionally, ``name``; in a
        geographic CRS (EPSG:4490/4326).
    names
        adcode → name for every level used in line names (counties, cities, provinces);
        defaults to the frame's ``name`` column.
    abbreviations
        adcode → one-character abbreviation, overriding the defaults.
    official
        Official names of lines by the (lower, higher) adcodes of the two units at the line's
        level, e.g. ``{("340000", "410000"): "豫皖线"}``; others follow the convention.
    include_edge
        Also return the lines on the outer edge of the whole set (one side only).
    inside
        Codes of the jurisdiction's own divisions: a line is ``internal`` when both sides are
        in it, and lines with neither side in it are dropped. Default: all divisions.

    Returns
    -------
    GeoDataFrame
        Columns ``left``, ``right`` (codes; ``right`` is empty on an edge line), ``level``,
        ``internal``, ``name``, ``section`` (the two divisions' names), ``length_km`` and
        LineString/MultiLineString geometry, in the input CRS.
    """
    codes = divisions[code_column].astype(str).to_numpy()
    label = dict(names or {})
    if "name" in divisions.columns:
        for code, name in zip(codes, divisions["name"], strict=True):
            label.setdefault(code, str(name))
    lines, pair_a, pair_b = line_runs(np.asarray(divisions.geometry.values))
    if not include_edge:
        keep = pair_b >= 0
        lines, pair_a, pair_b = lines[keep], pair_a[keep], pair_b[keep]
    left = codes[pair_a]
    right = np.where(pair_b >= 0, codes[np.maximum(pair_b, 0)], "")
    frame = gpd.GeoDataFrame({"left": left, "right": right}, geometry=lines, crs=divisions.crs)
    own = inside if inside is not None else set(codes)
    in_left = frame["left"].isin(own)
    in_right = frame["right"].isin(own)
    frame = frame[in_left | in_right].reset_index(drop=True)
    frame.loc[~frame["left"].isin(own), ["left", "right"]] = frame.loc[
        ~frame["left"].isin(own), ["right", "left"]
    ].to_numpy()
    frame["level"] = [line_level(lf, rt or None) for lf, rt in zip(frame["left"], frame["right"],
                                                                  strict=True)]  # fmt: skip
    frame["internal"] = frame["left"].isin(own) & frame["right"].isin(own)
    frame["name"] = [
        line_name(lf, rt, lv, label, abbreviations, official) if rt else f"{label.get(lf, lf)}外界"
        for lf, rt, lv in zip(frame["left"], frame["right"], frame["level"], strict=True)
    ]
    frame["section"] = [
        f"{label.get(lf, lf)}—{label.get(rt, rt)}" if rt else label.get(lf, lf)
        for lf, rt in zip(frame["left"], frame["right"], strict=True)
    ]
    frame["length_km"] = _crs.length_km(frame.geometry.values, crs=frame.crs)
    columns = ["name", "section", "left", "right", "level", "internal", "length_km", "geometry"]
    return frame[columns]
