"""Rounds (轮次) and annual plans on the real Zhumadian lines: status per line, overdue plans,
lines not yet inspected in the round."""

from __future__ import annotations

import pytest

from geociv.boundaries.inspections import Inspections
from geociv.boundaries.rounds import Rounds, round_for_year
from geociv.errors import ValidationError
from geociv.store import Team
from tests.boundary_setup import LINE, add_inspector, derive_zhumadian, register_samples

XIPING = ("411721", ["张三", "李四"])  # 西平县 team
SHANGCAI = ("411722", ["王五"])  # 上蔡县 team


def test_round_numbers_follow_zhumadians_fifth_round() -> None:
    assert round_for_year(2021) == (5, 2021, 2025)
    assert round_for_year(2025) == (5, 2021, 2025)
    assert round_for_year(2026) == (6, 2026, 2030)
    assert round_for_year(2016) == (4, 2016, 2020)
    assert round_for_year(2027, reference=(1, 2027), length=4) == (1, 2027, 2030)


def test_rounds_are_opened_once_without_overlap(demo_store) -> None:
    rounds = Rounds(demo_store)
    fifth = rounds.open(5, 2021, actor="admin1")
    assert (fifth.last_year, fifth.title) == (2025, "第5轮界线联检（2021—2025年）")
    sixth = rounds.open_for_year(2026, actor="admin1")
    assert (sixth.round_no, sixth.first_year, sixth.last_year) == (6, 2026, 2030)
    assert rounds.open_for_year(2028, actor="admin1") == sixth
    assert rounds.current(today="2026-11-22") == sixth
    assert rounds.current(today="2019-01-01") is None
    with pytest.raises(ValidationError) as info:
        rounds.open(6, 2024, actor="admin1")
    messages = " ".join(p.message for p in info.value.problems)
    assert "已存在" in messages and "重叠" in messages
    assert [r.round_no for r in rounds.list()] == [5, 6]
    assert demo_store.audit_entries(entity="inspection_rounds")[0].actor == "admin1"


def test_plans_check_round_year_line_and_both_teams(demo_store) -> None:
    derive_zhumadian(demo_store)
    rounds = Rounds(demo_store)
    rounds.open(6, 2026, actor="admin1")
    plan = rounds.plan(6, LINE, 2026, left_team=XIPING, right_team=SHANGCAI, actor="admin1")
    assert plan.plan_id and plan.kind == "regular"
    assert plan.left_team == Team("411721", ("张三", "李四"))
    assert plan.right_team == Team("411722", ("王五",))
    with pytest.raises(ValidationError) as info:
        rounds.plan(
            7, "411721-edge", 2031, left_team=("411722", ["甲"]), right_team=("4117xx", []),
            actor="admin1", kind="weekly",
        )  # fmt: skip
    assert {p.field for p in info.value.problems} == {"round_no", "line_id", "kind",
                                                      "right_team"}  # fmt: skip
    with pytest.raises(ValidationError) as info:
        rounds.plan(
            6, LINE, 2032, left_team=SHANGCAI, right_team={"code": "411722001", "members": "赵六"},
            actor="admin1",
        )  # fmt: skip
    fields = [p.field for p in info.value.problems]
    assert fields == ["year", "left_team", "line_id"]  # wrong side; a second regular plan
    # a township of the side may send the team; an ad-hoc plan may repeat the line
    township = demo_store.query_divisions(parent="411722", level="township", limit=1)[0].code
    extra = rounds.plan(
        6, LINE, 2027, left_team=XIPING, right_team=(township, ["赵六"]), actor="admin1",
        kind="专项检查", note="汛后检查",
    )  # fmt: skip
    assert extra.kind == "ad_hoc" and extra.right_team.code == township
    moved = rounds.reschedule(plan.plan_id, 2028, actor="admin1", reason="防汛任务")
    assert moved.year == 2028
    entry = demo_store.audit_entries(entity="inspection_plans", limit=1)[0]
    assert (entry.before["year"], entry.after["year"], entry.note) == (2026, 2028, "防汛任务")
    with pytest.raises(ValidationError):
        rounds.reschedule(plan.plan_id, 2031, actor="admin1", reason="")
    teams = rounds.set_teams(plan.plan_id, right_team=("411722", ["王五", "钱七"]), actor="t")
    assert teams.right_team.members == ("王五", "钱七")
    assert [p.year for p in rounds.plans(6)] == [2027, 2028]


def test_status_planned_in_progress_done_and_overdue(demo_store) -> None:
    derive_zhumadian(demo_store)
    register_samples(demo_store)
    add_inspector(demo_store, "inspector2", "411722")
    rounds = Rounds(demo_store)
    rounds.open(5, 2021, actor="admin1")
    rounds.open(6, 2026, actor="admin1")
    late = rounds.plan(5, LINE, 2025, left_team=XIPING, right_team=SHANGCAI, actor="admin1")
    (status,) = rounds.status(5, today="2026-11-22")
    assert (status.status, status.status_label) == ("overdue", "逾期")
    assert (status.markers_total, status.markers_checked, status.line_name) == (4, 0, "西上线")
    assert [s.plan.plan_id for s in rounds.overdue(5, today="2026-11-22")] == [late.plan_id]
    assert rounds.status(5, today="2025-06-01")[0].status == "planned"

    now = rounds.plan(6, LINE, 2026, left_team=XIPING, right_team=SHANGCAI, actor="admin1")
    other = rounds.plan(
        6, "411721-411728", 2027, left_team=XIPING, right_team=("411728", ["孙八"]),
        actor="admin1",
    )  # fmt: skip
    by_plan = {s.plan.plan_id: s.status for s in rounds.status(6, today="2026-11-22")}
    assert by_plan == {now.plan_id: "planned", other.plan_id: "planned"}
    inspections = Inspections(demo_store)
    line_record = inspections.record_line(
        now.plan_id, actor="inspector1", inspected_on="2026-10-20"
    )
    assert rounds.status(6, today="2026-11-22")[0].status == "in_progress"
    inspections.sign(line_record.record_id, signer="inspector1")
    assert rounds.status(6, today="2026-11-22")[0].status == "in_progress"  # one side only
    inspections.sign(line_record.record_id, signer="inspector2")
    done = rounds.status(6, year=2026, today="2026-11-22")
    assert [(s.status, s.final_record_id) for s in done] == [("done", line_record.record_id)]
    assert done[0].to_dict()["status_label"] == "已完成"
    # the 2027 plan is overdue once 2027 is over
    later = {s.plan.plan_id: s.status for s in rounds.status(6, today="2028-01-05")}
    assert later == {now.plan_id: "done", other.plan_id: "overdue"}


def test_not_inspected_lists_every_line_without_a_final_record(demo_store) -> None:
    lines = derive_zhumadian(demo_store)
    add_inspector(demo_store, "inspector2", "411722")
    rounds = Rounds(demo_store)
    rounds.open(6, 2026, actor="admin1")
    two_sided = lines.current()
    two_sided = two_sided[two_sided["level"] != "edge"]
    todo = rounds.not_inspected(6)
    assert set(todo["line_id"]) == set(two_sided["line_id"])
    assert set(todo["status"]) == {"unplanned"} and set(todo["status_label"]) == {"未列入计划"}
    plan = rounds.plan(6, LINE, 2026, left_team=XIPING, right_team=SHANGCAI, actor="admin1")
    row = rounds.not_inspected(6).set_index("line_id").loc[LINE]
    assert (row["plan_id"], row["planned_year"], row["status"]) == (plan.plan_id, 2026, "planned")
    inspections = Inspections(demo_store)
    record = inspections.record_line(plan.plan_id, actor="inspector1", inspected_on="2026-10-20")
    for signer in ("inspector1", "inspector2"):
        inspections.sign(record.record_id, signer=signer)
    after = rounds.not_inspected(6)
    assert LINE not in set(after["line_id"]) and len(after) == len(two_sided) - 1
    assert set(rounds.not_inspected(6, parent="411721")["line_id"]) == {"411721-411728"}
