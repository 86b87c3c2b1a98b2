"""Inspection records on the real Zhumadian lines and the two-side sign-off: inspector1 is
西平县 (411721), the left side of 西上线; the 上蔡县 (411722) side is created here."""

from __future__ import annotations

import pyogrio
import pytest
from shapely import Point

from geociv.boundaries.inspections import Inspections, RecordFinalError, SignOffError
from geociv.boundaries.markers import Markers, distance_m
from geociv.boundaries.rounds import Rounds
from geociv.crs import wgs84_to_gcj02
from geociv.errors import DuplicateError, PermissionDeniedError, StoreError, ValidationError
from geociv.store import LineChange, Signature
from tests.boundary_setup import (
    LINE,
    add_inspector,
    derive_with_neighbours,
    derive_zhumadian,
    moved,
    point_on,
    register_samples,
)
from tests.sample_files import jpeg_bytes

JPEG = jpeg_bytes()

Q1 = f"{LINE}-001Q"


@pytest.fixture
def field(demo_store):
    """Lines, sample markers, round 6 with 西上线 planned for 2026, inspectors of both sides,
    one of a third county and a planner."""
    derive_zhumadian(demo_store)
    markers = {m.marker_id: m for m in register_samples(demo_store)}
    add_inspector(demo_store, "inspector2", "411722")  # 上蔡县: the right side
    xiping_town = demo_store.query_divisions(parent="411721", level="township", limit=1)[0]
    add_inspector(demo_store, "inspector1b", xiping_town.code)  # also 西平县's side
    add_inspector(demo_store, "inspector3", "411725")  # 确山县: neither side
    rounds = Rounds(demo_store)
    rounds.open(6, 2026, actor="admin1")
    plan = rounds.plan(
        6, LINE, 2026, left_team=("411721", ["张三"]), right_team=("411722", ["王五"]),
        actor="admin1", sample=True,
    )  # fmt: skip
    return demo_store, plan, markers


def _check(inspections: Inspections, plan, markers, **overrides):
    values = {
        "condition": "intact",
        "inspected_on": "2026-10-20",
        "measured": moved(markers[Q1].location, 1.5),
        "gps_accuracy_m": 3.0,
        "references_present": [True, True, True],
        "remarks": "完好",
    }
    values.update(overrides)
    return inspections.record_marker(plan.plan_id, Q1, actor="inspector1", **values)


def test_a_record_is_final_only_when_both_sides_have_signed(field) -> None:
    store, plan, markers = field
    inspections = Inspections(store)
    record = _check(inspections, plan, markers)
    assert (record.record_id, record.version, record.status) == ("I2026-0001", 1, "draft")
    assert record.sample and record.references_present == 3 and record.round_no == 6
    assert distance_m(record.measured, markers[Q1].location) == pytest.approx(1.5, abs=0.05)
    assert [r.record_id for r in inspections.pending("inspector2")] == ["I2026-0001"]

    signed = inspections.sign(record.record_id, signer="inspector1", note="西平县确认")
    assert signed.status == "draft" and signed.signature("left").username == "inspector1"
    assert signed.signature("right") is None
    assert inspections.pending("inspector1") == []
    # the same side cannot sign twice, whoever signs for it
    with pytest.raises(SignOffError, match="同一方不能再次签字"):
        inspections.sign(record.record_id, signer="inspector1")
    with pytest.raises(SignOffError, match="同一方不能再次签字"):
        inspections.sign(record.record_id, signer="inspector1b")
    # a county on neither side cannot sign; nor can a planner; nor an unknown user
    with pytest.raises(SignOffError, match="不属于界线 西上线 的任何一侧"):
        inspections.sign(record.record_id, signer="inspector3")
    with pytest.raises(PermissionDeniedError):
        inspections.sign(record.record_id, signer="planner1")
    with pytest.raises(SignOffError, match="不存在"):
        inspections.sign(record.record_id, signer="nobody")
    # the store refuses a second signature of a side by itself too
    with pytest.raises(DuplicateError):
        store.sign_inspection_record(
            record.record_id, version=1, signature=Signature("left", "411721", "x"), actor="x"
        )
    final = inspections.sign(record.record_id, signer="inspector2")
    assert final.is_final and final.status == "final"
    assert {(s.side, s.side_code, s.username) for s in final.signatures} == {
        ("left", "411721", "inspector1"),
        ("right", "411722", "inspector2"),
    }
    assert final.signature("left").note == "西平县确认"
    # a final record cannot be edited or signed again
    with pytest.raises(RecordFinalError, match="已由双方签字确认，不能修改"):
        inspections.correct(record.record_id, actor="inspector1", reason="改", remarks="改")
    with pytest.raises(RecordFinalError):
        inspections.sign(record.record_id, signer="inspector1b")
    with pytest.raises(StoreError, match="不能修改"):
        store.revise_inspection_record(
            record.record_id, expect_version=1, actor="x", reason="x", changes={"remarks": "x"}
        )
    assert inspections.get(record.record_id).remarks == "完好"
    actions = [e.action for e in store.audit_entries(entity="inspection_records")]
    assert actions == ["inspections.sign", "inspections.sign", "inspections.add"]
    assert store.audit_entries(entity="inspection_records")[0].actor == "inspector2"


def test_a_correction_after_a_signature_is_a_new_version(field) -> None:
    store, plan, markers = field
    inspections = Inspections(store)
    record = _check(inspections, plan, markers)
    inspections.sign(record.record_id, signer="inspector2")  # the right side signs first
    corrected = inspections.correct(
        record.record_id,
        actor="inspector1",
        reason="GPS 读数抄错",
        measured=moved(markers[Q1].location, 12),
        condition="移位",
    )
    assert (corrected.version, corrected.status, corrected.signatures) == (2, "draft", ())
    assert corrected.condition == "displaced" and corrected.reason == "GPS 读数抄错"
    v1, v2 = inspections.versions(record.record_id)
    assert (v1.version, v1.status) == (1, "superseded")
    assert [s.username for s in v1.signatures] == ["inspector2"]  # kept with the old version
    assert v1.condition == "intact" and v1.measured.equals(record.measured)  # not overwritten
    assert v2 == corrected
    # signing the version one has read, after it was corrected, is refused
    with pytest.raises(SignOffError, match="已被更正"):
        inspections.sign(record.record_id, signer="inspector1", version=1)
    with pytest.raises(StoreError, match="已被更正"):
        store.sign_inspection_record(
            record.record_id, version=1, signature=Signature("left", "411721", "x"), actor="x"
        )
    inspections.sign(record.record_id, signer="inspector1", version=2)
    final = inspections.sign(record.record_id, signer="inspector2", version=2)
    assert final.is_final and final.version == 2
    assert [r.version for r in inspections.query(plan_id=plan.plan_id)] == [2]
    assert len(inspections.query(plan_id=plan.plan_id, include_superseded=True)) == 2
    entry = store.audit_entries(entity="inspection_records", limit=5)[2]
    assert entry.action == "inspections.correct" and entry.before["version"] == 1


def test_an_unsigned_draft_is_corrected_in_place_and_audited(field) -> None:
    store, plan, markers = field
    inspections = Inspections(store)
    record = _check(inspections, plan, markers)
    edited = inspections.correct(record.record_id, actor="inspector1", reason="补充",
                                 remarks="东侧方位物被遮挡", references_present=2)  # fmt: skip
    assert (edited.version, edited.remarks, edited.references_present) == (
        1,
        "东侧方位物被遮挡",
        2,
    )
    assert edited.reference_checks is None
    entry = store.audit_entries(entity="inspection_records", limit=1)[0]
    assert entry.action == "inspections.edit" and entry.before["remarks"] == "完好"
    with pytest.raises(ValidationError) as info:
        inspections.correct(record.record_id, actor="t", reason="", colour="红", condition="坏")
    assert {p.field for p in info.value.problems} == {"reason", "colour", "condition"}


def test_marker_checks_are_validated(field) -> None:
    store, plan, markers = field
    inspections = Inspections(store)
    with pytest.raises(ValidationError) as info:
        inspections.record_marker(
            plan.plan_id, Q1, actor="inspector1", condition="完好", inspected_on="2025-12-31",
            measured=None, references_present=[True, False],
        )  # fmt: skip
    assert {p.field for p in info.value.problems} == {
        "inspected_on", "measured", "references_present",
    }  # fmt: skip
    with pytest.raises(ValidationError) as info:
        inspections.record_marker(
            plan.plan_id, "411702-411725-001Q", actor="t", condition="broken",
            measured=(32.98, 114.02), gps_accuracy_m=-1,
        )  # fmt: skip
    assert {p.field for p in info.value.problems} == {
        "marker_id", "condition", "measured", "gps_accuracy_m",
    }  # fmt: skip
    with pytest.raises(ValidationError, match="GPS 精度"):
        inspections.record_marker(plan.plan_id, Q1, actor="t", condition="intact",
                                  measured=markers[Q1].location)  # fmt: skip
    with pytest.raises(ValidationError, match="未找到联检计划"):
        inspections.record_marker(999, Q1, actor="t", condition="missing")
    # a missing marker needs no position; a second check of it in the same plan is refused
    gone = inspections.record_marker(plan.plan_id, Q1, actor="t", condition="丢失",
                                     inspected_on="2026-10-21", references_present=1)  # fmt: skip
    assert gone.measured is None and gone.condition == "missing"
    with pytest.raises(ValidationError, match="已有检查记录"):
        _check(inspections, plan, markers)
    # positions picked on an Amap (GCJ-02) map are converted to CGCS2000
    true = markers[f"{LINE}-002A"].location
    gcj = Point(*wgs84_to_gcj02(true.x, true.y))
    record = inspections.record_marker(
        plan.plan_id, f"{LINE}-002A", actor="t", condition="intact", measured=gcj,
        gps_accuracy_m=5, declared_crs="GCJ02", inspected_on="2026-10-21",
    )  # fmt: skip
    assert distance_m(record.measured, true) < 0.5
    assert record.record_id == "I2026-0002"  # nothing refused took a number
    assert store.get_inspection_record("I2026-0002") == record


def test_line_checks_photos_and_the_measured_layer(field, demo_path) -> None:
    store, plan, markers = field
    inspections = Inspections(store)
    with pytest.raises(ValidationError) as info:
        inspections.record_line(plan.plan_id, actor="t", changes=[("flood", "x"), ("road", " ")])
    assert len(info.value.problems) == 2
    record = inspections.record_line(
        plan.plan_id,
        actor="inspector1",
        inspected_on="2026-10-22",
        changes=[("道路变化", "新建 S331 省道跨越界线"), {"change_type": "dispute",
                                                          "description": "界线东段耕地权属争议"}],
        remarks="其余段落无变化",
    )  # fmt: skip
    assert record.kind == "line" and record.changes == (
        LineChange("road", "新建 S331 省道跨越界线"),
        LineChange("dispute", "界线东段耕地权属争议"),
    )
    with pytest.raises(ValidationError, match="已有界线检查记录"):
        inspections.record_line(plan.plan_id, actor="t")
    photo = inspections.add_photo(record.record_id, "s331.jpg", JPEG, actor="inspector1")
    assert photo.owner == "inspection" and photo.owner_key == record.record_id
    corrected = inspections.correct(record.record_id, actor="inspector1", reason="补记",
                                    changes=[("river", "河道东移约 30 米")])  # fmt: skip
    assert corrected.changes == (LineChange("river", "河道东移约 30 米"),)
    assert [p.filename for p in inspections.photos(record.record_id)] == ["s331.jpg"]
    check = _check(inspections, plan, markers)
    frame = inspections.frame(plan_id=plan.plan_id)
    assert list(frame["record_id"]) == [check.record_id] and frame.crs.to_epsg() == 4490
    layer = pyogrio.read_dataframe(demo_path, layer="inspection_records")
    assert len(layer) == 2 and layer.crs.to_epsg() == 4490  # the line record has no point


def test_city_bureaus_and_their_counties_sign_a_city_line(demo_store) -> None:
    lines = derive_with_neighbours(demo_store)
    line = lines.get("411623-411722")  # 周驻线: 上蔡县 (驻马店) — 商水县 (周口)
    assert (line.name, line.level, line.left_code) == ("周驻线", "city", "411722")
    register = Markers(demo_store)
    marker = register.register("001Q", point_on(line, 0.5), line=line.line_id, actor="admin1",
                               sample=True)  # fmt: skip
    add_inspector(demo_store, "zmd_city", "411700")
    add_inspector(demo_store, "zk_city", "411600")
    add_inspector(demo_store, "shangshui", "411623")
    rounds = Rounds(demo_store)
    rounds.open(6, 2026, actor="admin1")
    with pytest.raises(ValidationError, match="不属于界线 周驻线 的左侧"):
        rounds.plan(6, line.line_id, 2026, left_team=("411623", ["甲"]),
                    right_team=("411600", ["乙"]), actor="admin1")  # fmt: skip
    plan = rounds.plan(6, line.line_id, 2026, left_team=("411700", ["驻马店市民政局"]),
                       right_team=("411600", ["周口市民政局"]), actor="admin1")  # fmt: skip
    inspections = Inspections(demo_store)
    record = inspections.record_marker(
        plan.plan_id, marker.marker_id, condition="intact", actor="zmd_city",
        measured=marker.location, gps_accuracy_m=2, references_present=0,
    )  # fmt: skip
    # 西平县 is in 驻马店市, the left side of a city line; 驿城区's city bureau is the same side
    assert inspections.sign(record.record_id, signer="inspector1").signature("left")
    with pytest.raises(SignOffError, match="同一方"):
        inspections.sign(record.record_id, signer="zmd_city")
    final = inspections.sign(record.record_id, signer="shangshui")  # a 周口 county
    assert final.is_final and final.signature("right").side_code == "411623"
