"""Automatic findings on the real Zhumadian lines: every rule, from the register and from the
latest final (two-side signed) marker checks."""

from __future__ import annotations

import pytest

from geociv.boundaries.findings import DISPLACEMENT_TOLERANCE_M, RULES, Findings
from geociv.boundaries.inspections import Inspections
from geociv.boundaries.markers import Markers
from geociv.boundaries.registry import BoundaryLines
from geociv.boundaries.rounds import Rounds
from tests.boundary_setup import (
    LINE,
    REFERENCES,
    add_inspector,
    derive_zhumadian,
    moved,
    off_line,
    point_on,
    records_read,
    register_samples,
)


def _final(inspections: Inspections, plan_id: int, marker_id: str, **values) -> str:
    record = inspections.record_marker(
        plan_id, marker_id, actor="inspector1", inspected_on="2026-10-20", **values
    )
    inspections.sign(record.record_id, signer="inspector1")
    inspections.sign(record.record_id, signer="inspector2")
    return record.record_id


def test_every_finding_kind(demo_store) -> None:
    lines = derive_zhumadian(demo_store)
    line = lines.get(LINE)
    markers = {m.marker_id: m for m in register_samples(demo_store)}
    register = Markers(demo_store)
    register.register("004A", off_line(line, 0.4, 15), line=LINE, actor="t",
                      references=REFERENCES)  # fmt: skip
    register.register("005Q", point_on(line, 0.65), line=LINE, actor="t",
                      references=REFERENCES[:2])  # fmt: skip
    Markers(demo_store, line_tolerance_m=500).register(
        "006Q", off_line(line, 0.7, 120), line=LINE, actor="t", references=REFERENCES
    )
    other = lines.get("411721-411728")
    register.register("001Q", point_on(other, 0.5), line=other.line_id, actor="t",
                      references=REFERENCES)  # fmt: skip
    lines.close(other.line_id, actor="admin1", reason="区划调整", on="2026-06-01")

    add_inspector(demo_store, "inspector2", "411722")
    rounds = Rounds(demo_store)
    rounds.open(6, 2026, actor="admin1")
    plan = rounds.plan(6, LINE, 2026, left_team=("411721", ["张三"]),
                       right_team=("411722", ["王五"]), actor="admin1")  # fmt: skip
    inspections = Inspections(demo_store)
    q1, a2, b2 = f"{LINE}-001Q", f"{LINE}-002A", f"{LINE}-002B"
    displaced = _final(inspections, plan.plan_id, q1, condition="intact",
                       measured=moved(markers[q1].location, 12), gps_accuracy_m=3,
                       references_present=3)  # fmt: skip
    missing = _final(inspections, plan.plan_id, a2, condition="missing")
    damaged = _final(inspections, plan.plan_id, b2, condition="damaged",
                     measured=moved(markers[b2].location, 1), gps_accuracy_m=3,
                     references_present=[True, False, True])  # fmt: skip
    # a draft is not yet a finding
    inspections.record_marker(plan.plan_id, f"{LINE}-003Q", condition="missing", actor="t",
                              inspected_on="2026-10-20")  # fmt: skip

    found = Findings(demo_store).list()
    kinds = [(f.rule_id, f.marker_id) for f in found]
    assert sorted(kinds) == sorted(
        [
            ("B5-DISPLACED", q1),
            ("B4-MISSING", a2),
            ("B4-DAMAGED", b2),
            ("B4-REFERENCES", b2),
            ("B2-INCOMPLETE-SET", f"{LINE}-004A"),
            ("B2-FEW-REFERENCES", f"{LINE}-005Q"),
            ("B3-OFF-LINE", f"{LINE}-006Q"),
            ("B3-NO-LINE", "411721-411728-001Q"),
        ]
    )
    assert {f.rule_id for f in found} == set(RULES) - {"B2-INCOMPLETE-SET"} | {"B2-INCOMPLETE-SET"}
    by_rule = {f.rule_id: f for f in found}
    moved_by = by_rule["B5-DISPLACED"]
    assert moved_by.record_id == displaced and moved_by.severity == "error"
    assert "12.0 米" in moved_by.message and "GPS 精度 3 米" in moved_by.message
    assert moved_by.location.geom_type == "LineString"  # registered → measured
    assert by_rule["B4-MISSING"].record_id == missing and by_rule["B4-MISSING"].title == "界桩丢失"
    assert by_rule["B4-DAMAGED"].record_id == damaged and "损坏" in by_rule["B4-DAMAGED"].message
    assert "缺少：水井" in by_rule["B4-REFERENCES"].message
    assert "缺少 004B" in by_rule["B2-INCOMPLETE-SET"].message
    assert by_rule["B2-INCOMPLETE-SET"].location.geom_type == "MultiPoint"
    assert "只有 2 个" in by_rule["B2-FEW-REFERENCES"].message
    assert "超过允许的 50 米" in by_rule["B3-OFF-LINE"].message
    assert by_rule["B3-OFF-LINE"].location.equals(register.get(f"{LINE}-006Q").location)
    payload = moved_by.to_dict()
    assert payload["severity_label"] == "错误" and payload["geometry"]["type"] == "LineString"

    # tolerances are configurable
    lenient = Findings(demo_store, displacement_tolerance_m=20, line_tolerance_m=200)
    rules = {f.rule_id for f in lenient.list()}
    assert "B5-DISPLACED" not in rules and "B3-OFF-LINE" not in rules
    assert DISPLACEMENT_TOLERANCE_M == 5.0
    # filters
    assert {f.line_id for f in Findings(demo_store).list(line_id=LINE)} == {LINE}
    assert Findings(demo_store).list(parent="411702") == []
    assert {f.rule_id for f in Findings(demo_store).list(parent="411722")} == {
        f.rule_id for f in found if f.line_id == LINE
    }
    register_only = {f.rule_id for f in Findings(demo_store).list(round_no=5)}
    assert register_only == {"B2-INCOMPLETE-SET", "B2-FEW-REFERENCES", "B3-OFF-LINE",
                             "B3-NO-LINE"}  # fmt: skip
    frame = Findings(demo_store).frame()
    assert len(frame) == len(found) and frame.crs.to_epsg() == 4490
    assert set(frame["severity"]) == {"error", "warning"}


def test_a_resurvey_can_leave_a_single_marker_off_its_line(demo_store, tmp_path) -> None:
    import geopandas as gpd
    import numpy as np
    import pyproj
    import shapely

    lines = derive_zhumadian(demo_store)
    register_samples(demo_store)
    assert Findings(demo_store).list() == []  # the samples are clean
    line = lines.get(LINE)
    to_gk = pyproj.Transformer.from_crs(4490, 4547, always_xy=True)
    back = pyproj.Transformer.from_crs(4547, 4490, always_xy=True)
    projected = shapely.transform(
        shapely.line_merge(line.geometry), lambda c: np.column_stack(to_gk.transform(*c.T))
    )
    shifted = shapely.transform(  # the whole line re-surveyed 80 m to one side
        shapely.offset_curve(projected, 80), lambda c: np.column_stack(back.transform(*c.T))
    )
    path = tmp_path / "kanjie.geojson"
    gpd.GeoDataFrame({"left": ["411721"], "right": ["411722"]}, geometry=[shifted],
                     crs="EPSG:4490").to_file(path)  # fmt: skip
    BoundaryLines(demo_store).import_surveyed(path, actor="admin1", surveyed_on="2026-08-01")
    off = [f for f in Findings(demo_store).list() if f.rule_id == "B3-OFF-LINE"]
    assert {f.marker_id for f in off} == {f"{LINE}-001Q", f"{LINE}-003Q"}  # not the pair
    assert all("第 2 版" in f.message for f in off)
    with pytest.raises(ValueError):
        Findings(demo_store, displacement_tolerance_m=-1)


def test_findings_of_a_division_read_only_the_markers_of_its_lines(demo_store, monkeypatch) -> None:
    """Markers of lines outside the division are not read at all (the store filters the
    lines' markers by index), not read and dropped."""
    lines = derive_zhumadian(demo_store)
    register_samples(demo_store)  # on 西上线, 411721-411722
    other = lines.get("411725-411726")
    Markers(demo_store).register("001Q", point_on(other, 0.5), line=other.line_id, actor="t",
                                 references=REFERENCES)  # fmt: skip
    seen = records_read(demo_store, "query_markers", "marker_id", monkeypatch)
    assert {f.line_id for f in Findings(demo_store).list(parent="411725")} <= {other.line_id}
    assert seen == [f"{other.line_id}-001Q"]
    seen.clear()
    Findings(demo_store).list(parent="411702")
    assert seen == []
