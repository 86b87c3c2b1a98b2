"""Division change cases (行政区划变更) take effect on divisions, names, 勘界 and coverage: one
test per kind, on both backends, on small stores made of real Zhumadian codes and names."""

from __future__ import annotations

import pytest
import shapely

from geociv.changes.cases import DivisionChanges
from geociv.divisions import Divisions, division_record
from geociv.errors import PermissionDeniedError, ValidationError
from geociv.gazetteer.names import Gazetteer
from geociv.store import CoverageZone, ZoneSet

ADMIN = "system"
XIPING = [
    ("410000", "河南省"),
    ("411700", "驻马店市"),
    ("411721", "西平县"),
    ("411702", "驿城区"),
    ("411721204", "宋集乡"),
    ("411721204200", "宋集村委会"),
    ("411721204201", "丁庄村委会"),
    ("411721001", "柏城街道"),
    ("411721501", "产业集聚区"),
    ("411721501001", "徐魏庄居委会"),
    ("411702206", "古城乡"),
    ("411702206200", "古城村委会"),
]


def unit(code: str, name: str) -> dict[str, str]:
    from geociv.divisions import level_of, parent_of

    return {"code": code, "name": name, "level": level_of(code), "parent_code": parent_of(code)}


def move(old: str, old_name: str, new: str, new_name: str) -> dict[str, str]:
    return {"old_code": old, "old_name": old_name, "new_code": new, "new_name": new_name}


@pytest.fixture
def store(any_store):
    Divisions(any_store).load_records([division_record(c, n) for c, n in XIPING], actor=ADMIN)
    Gazetteer(any_store).load_division_names("411700", actor=ADMIN)
    return any_store


def through(changes: DivisionChanges, case, day: str, **review):
    """Review, approve and take effect on ``day``."""
    changes.review(case.case_id, actor=ADMIN, on=day, **review)
    changes.approve(
        case.case_id,
        approving_body="河南省人民政府",
        approval_number="豫政文〔2019〕88号",
        actor=ADMIN,
        on=day,
    )
    return changes.take_effect(case.case_id, actor=ADMIN, on=day)


def codes(store, parent: str, on: str | None = None) -> set[str]:
    return {d.code for d in store.query_divisions(parent=parent, on=on, with_geometry=False)}


def test_township_to_town_retires_the_old_code_and_villages_follow(store):
    changes = DivisionChanges(store)
    case = changes.apply(
        "township_to_town",
        title="撤销宋集乡设立宋集镇",
        actor=ADMIN,
        on="2019-06-01",
        before=[unit("411721204", "宋集乡")],
        after=[unit("411721107", "宋集镇")],
        villages=[
            move("411721204200", "宋集村委会", "411721107200", "宋集村民委员会"),
            move("411721204201", "丁庄村委会", "411721107201", "丁庄村民委员会"),
        ],
    )
    done = through(changes, case, "2019-06-20", pinyin={"411721107": "Sòngjí Zhèn"})
    assert done.status == "effective" and done.effective_date == "2019-06-20"
    old = store.get_division("411721204")
    assert (old.name, old.valid_to, old.change_case) == ("宋集乡", "2019-06-20", case.case_id)
    new = store.get_division("411721107")
    assert (new.valid_from, new.predecessors) == ("2019-06-20", ("411721204",))
    assert "411721107" in codes(store, "411721") and "411721204" not in codes(store, "411721")
    assert "411721204" in codes(store, "411721", on="2019-06-19")
    assert codes(store, "411721107") == {"411721107200", "411721107201"}
    assert codes(store, "411721204", on="2018-01-01") == {"411721204200", "411721204201"}
    assert store.get_division("411721107201").predecessors == ("411721204201",)
    # the name records follow: a new record with the reviewed pinyin and the 曾用名
    record = store.get_name("D411721107")
    assert (record.name, record.pinyin, record.pinyin_reviewed) == ("宋集镇", "Sòngjí Zhèn", True)
    formers = store.former_names("D411721107")
    assert [(f.name, f.valid_to, f.case_id) for f in formers] == [
        ("宋集乡", "2019-06-20", case.case_id)
    ]
    assert store.get_name("D411721204").status == "retired"
    assert store.get_name("D411721107200").name == "宋集村"
    assert done.review["effect"]["survey_task"] is None  # same extent: no 勘界


def test_to_subdistrict_entered_after_the_fact_on_a_store_that_has_the_new_list(store):
    # the store already holds 古城街道 (as the 2023 list does): the case records the history
    Divisions(store).load_records(
        [
            division_record("411702012", "古城街道"),
            division_record("411702012200", "古城村民委员会"),
        ],
        actor=ADMIN,
    )
    changes = DivisionChanges(store)
    case = changes.apply(
        "to_subdistrict",
        title="撤销古城乡设立古城街道",
        actor=ADMIN,
        on="2019-01-10",
        before=[unit("411702206", "古城乡")],
        after=[unit("411702012", "古城街道")],
        villages=[move("411702206200", "古城村委会", "411702012200", "古城村民委员会")],
    )
    through(changes, case, "2019-02-01")
    assert store.get_division("411702012").valid_from == "2019-02-01"
    assert codes(store, "411702", on="2016-08-01") >= {"411702206"}
    assert "411702012" not in codes(store, "411702", on="2016-08-01")
    assert codes(store, "411702206", on="2016-08-01") == {"411702206200"}
    assert codes(store, "411702012") == {"411702012200"}


def test_rename_keeps_the_code_and_the_earlier_name_is_a_version(store):
    changes = DivisionChanges(store)
    case = changes.apply(
        "rename",
        title="宋集乡更名",
        actor=ADMIN,
        on="2020-01-02",
        before=[unit("411721204", "宋集乡")],
        after=[unit("411721204", "宋集新乡")],
    )
    through(changes, case, "2020-01-05")
    assert store.get_division("411721204").name == "宋集新乡"
    assert store.get_division("411721204", on="2020-01-04").name == "宋集乡"
    versions = store.division_versions("411721204")
    assert [(v.name, v.valid_from, v.valid_to) for v in versions] == [
        ("宋集乡", None, "2020-01-05")
    ]
    assert store.get_name("D411721204").name == "宋集新乡"
    assert [f.name for f in store.former_names("D411721204")] == ["宋集乡"]


def test_merge_links_the_absorbed_unit_and_opens_a_survey_due_a_year_after_approval(store):
    changes = DivisionChanges(store)
    case = changes.apply(
        "merge",
        title="产业集聚区并入柏城街道",
        actor=ADMIN,
        on="2019-03-01",
        before=[unit("411721501", "产业集聚区"), unit("411721001", "柏城街道")],
        after=[unit("411721001", "柏城街道")],
        villages=[move("411721501001", "徐魏庄居委会", "411721001011", "徐魏庄居民委员会")],
    )
    done = through(changes, case, "2019-03-15")
    assert store.get_division("411721001").predecessors == ("411721501",)
    assert store.get_division("411721501").valid_to == "2019-03-15"
    task = store.query_survey_tasks(case_id=case.case_id)[0]
    assert task.due == "2020-03-15" and set(task.division_codes) == {"411721001", "411721501"}
    assert done.review["effect"]["survey_task"] == task.task_id
    assert [t.task_id for t in changes.overdue_surveys("2020-03-16")] == [task.task_id]
    assert changes.overdue_surveys("2020-03-15") == []
    changes.finish_survey(task.task_id, actor=ADMIN, on="2020-02-01", note="已完成勘界")
    assert changes.overdue_surveys("2021-01-01") == []


def test_split_gives_the_new_unit_the_divided_one_as_predecessor(store):
    changes = DivisionChanges(store)
    case = changes.apply(
        "split",
        title="宋集乡析置丁庄乡",
        actor=ADMIN,
        on="2021-04-01",
        before=[unit("411721204", "宋集乡")],
        after=[unit("411721204", "宋集乡"), unit("411721209", "丁庄乡")],
        villages=[move("411721204201", "丁庄村委会", "411721209201", "丁庄村委会")],
    )
    through(changes, case, "2021-04-02")
    assert store.get_division("411721209").predecessors == ("411721204",)
    assert store.get_division("411721204").valid_to is None  # the divided unit goes on
    assert codes(store, "411721204") == {"411721204200"}
    assert len(store.query_survey_tasks(case_id=case.case_id)) == 1


def test_new_unit_and_abolish_with_its_villages_moved(store):
    changes = DivisionChanges(store)
    new = changes.apply(
        "new",
        title="新设示例乡",
        actor=ADMIN,
        on="2021-01-01",
        before=[],
        after=[unit("411721210", "示例乡")],
    )
    through(changes, new, "2021-01-02")
    assert store.get_division("411721210").valid_from == "2021-01-02"
    assert store.get_name("D411721210").name == "示例乡"
    gone = changes.apply(
        "abolish",
        title="撤销产业集聚区",
        actor=ADMIN,
        on="2021-02-01",
        before=[unit("411721501", "产业集聚区")],
        after=[],
        villages=[move("411721501001", "徐魏庄居委会", "", "")],
    )
    through(changes, gone, "2021-02-02")
    assert store.get_division("411721501").valid_to == "2021-02-02"
    assert store.get_division("411721501001").valid_to == "2021-02-02"


def test_a_unit_retired_with_villages_left_behind_is_refused_at_review(store):
    changes = DivisionChanges(store)
    case = changes.apply(
        "abolish",
        title="撤销宋集乡",
        actor=ADMIN,
        on="2021-01-01",
        before=[unit("411721204", "宋集乡")],
        after=[],
    )
    with pytest.raises(ValidationError) as caught:
        changes.review(case.case_id, actor=ADMIN, on="2021-01-02")
    problem = caught.value.problems[0]
    assert problem.field == "villages" and "宋集村委会" in problem.message
    assert store.get_division_case(case.case_id).status == "applied"


def test_transfer_moves_a_township_to_another_county_with_a_new_code(store):
    changes = DivisionChanges(store)
    case = changes.apply(
        "transfer",
        title="古城乡划归西平县",
        actor=ADMIN,
        on="2022-01-01",
        before=[unit("411702206", "古城乡")],
        after=[unit("411721211", "古城乡")],
        villages=[move("411702206200", "古城村委会", "411721211200", "古城村委会")],
    )
    through(changes, case, "2022-01-03")
    assert "411721211" in codes(store, "411721") and "411702206" not in codes(store, "411702")
    assert store.get_name("D411721211").division_code == "411721"
    assert store.query_survey_tasks(case_id=case.case_id)  # a change of extent


def test_recode_and_seat_move(store):
    changes = DivisionChanges(store)
    recode = changes.apply(
        "recode",
        title="宋集乡代码变更",
        actor=ADMIN,
        on="2022-05-01",
        before=[unit("411721204", "宋集乡")],
        after=[unit("411721212", "宋集乡")],
        villages=[
            move("411721204200", "宋集村委会", "411721212200", "宋集村委会"),
            move("411721204201", "丁庄村委会", "411721212201", "丁庄村委会"),
        ],
    )
    through(changes, recode, "2022-05-02")
    assert store.get_division("411721212").predecessors == ("411721204",)
    assert store.get_name("D411721212").name == "宋集乡"
    assert store.former_names("D411721212") == []  # same name: no 曾用名
    with pytest.raises(ValidationError):  # a seat move names its new seat
        changes.apply(
            "seat_move",
            title="西平县驻地迁移",
            actor=ADMIN,
            on="2022-06-01",
            before=[unit("411721", "西平县")],
            after=[unit("411721", "西平县")],
        )
    seat = changes.apply(
        "seat_move",
        title="西平县驻地迁移",
        actor=ADMIN,
        on="2022-06-01",
        before=[unit("411721", "西平县")],
        after=[unit("411721", "西平县")],
        seat="柏苑街道",
    )
    assert through(changes, seat, "2022-06-02").changes["seat"] == "柏苑街道"
    assert store.get_division("411721").valid_from is None  # the county itself did not change


def test_coverage_zone_sets_and_runs_naming_a_changed_unit_are_flagged(store):
    square = shapely.box(114.0, 33.3, 114.01, 33.31)
    zone_set = store.add_zone_set(
        ZoneSet("", "乡镇示例", "subdistrict"),
        [CoverageZone("411721204", "宋集乡", 1.0, square)],
        actor=ADMIN,
    )
    other = store.add_zone_set(
        ZoneSet("", "其他", "other"), [CoverageZone("", "范围", 1.0, square)], actor=ADMIN
    )
    from geociv.store import CoverageRun

    run = store.add_coverage_run(
        CoverageRun("", "rental_station", params={"zones": zone_set.set_id}), actor=ADMIN
    )
    changes = DivisionChanges(store)
    case = changes.apply(
        "rename",
        title="宋集乡更名",
        actor=ADMIN,
        on="2020-01-02",
        before=[unit("411721204", "宋集乡")],
        after=[unit("411721204", "宋集新乡")],
    )
    done = through(changes, case, "2020-01-05")
    assert done.review["effect"]["stale"] == {"zone_sets": [zone_set.set_id], "runs": [run.run_id]}
    assert case.case_id in store.get_zone_set(zone_set.set_id).stale
    assert store.get_zone_set(other.set_id).stale == ""
    assert store.get_coverage_run(run.run_id).stale


def test_proposals_are_kept_once_accepted_as_cases_or_dismissed_with_a_reason(store):
    from geociv.changes import DivisionList, propose_changes
    from geociv.changes.lists import read_division_list

    old = read_division_list(
        b"code,name\n411721204,\xe5\xae\x8b\xe9\x9b\x86\xe4\xb9\xa1\n", name="old.csv"
    )
    new = read_division_list("code,name\n411721107,宋集镇\n".encode(), name="new.csv")
    found = propose_changes(DivisionList.merge([old]), new, parent="411721")
    changes = DivisionChanges(store)
    saved = changes.save_proposals(found, batch="测试", actor=ADMIN)
    assert [p.kind for p in saved] == ["township_to_town"]
    assert changes.save_proposals(found, batch="再次", actor=ADMIN) == []  # recognised again
    case = changes.accept(saved[0].proposal_id, actor=ADMIN, on="2019-05-01")
    assert case.kind == "township_to_town" and case.proposal_id == saved[0].proposal_id
    assert store.get_division_proposal(saved[0].proposal_id).case_id == case.case_id
    with pytest.raises(ValidationError):
        changes.dismiss(saved[0].proposal_id, reason="重复", actor=ADMIN)  # already accepted


def test_dismissing_needs_a_reason_and_closing_a_case_after_approval_is_refused(store):
    changes = DivisionChanges(store)
    case = changes.apply(
        "rename",
        title="宋集乡更名",
        actor=ADMIN,
        on="2020-01-02",
        before=[unit("411721204", "宋集乡")],
        after=[unit("411721204", "宋集新乡")],
    )
    closed = changes.close(
        case.case_id, "withdraw", reason="申请人撤回", actor=ADMIN, on="2020-01-03"
    )
    assert (closed.status, closed.close_reason) == ("withdrawn", "申请人撤回")
    again = changes.apply(
        "rename",
        title="宋集乡更名",
        actor=ADMIN,
        on="2020-01-02",
        before=[unit("411721204", "宋集乡")],
        after=[unit("411721204", "宋集新乡")],
    )
    changes.review(again.case_id, actor=ADMIN, on="2020-01-03")
    changes.approve(
        again.case_id, approving_body="省政府", approval_number="1号", actor=ADMIN, on="2020-01-04"
    )
    with pytest.raises(ValidationError):
        changes.close(again.case_id, "reject", reason="不同意", actor=ADMIN)


def test_only_an_officer_within_the_division_opens_a_case(store):
    from geociv.auth import Users

    users = Users(store)
    users.add("planner1", "password-long-1", role="planner", division_code="411721", actor=ADMIN)
    users.add("officer_yc", "password-long-2", role="officer", division_code="411702", actor=ADMIN)
    changes = DivisionChanges(store)
    args = {
        "title": "宋集乡更名",
        "on": "2020-01-02",
        "before": [unit("411721204", "宋集乡")],
        "after": [unit("411721204", "宋集新乡")],
    }
    for actor in ("planner1", "officer_yc"):
        with pytest.raises(PermissionDeniedError):
            changes.apply("rename", actor=actor, **args)


def test_a_code_list_no_longer_renames_a_division_silently(store, tmp_path):
    path = tmp_path / "codes.csv"
    path.write_text("code,name\n411721204,宋集镇\n411721001,柏城街道办事处\n", encoding="utf-8")
    with pytest.raises(ValidationError) as caught:
        Divisions(store).load_code_list(path, actor=ADMIN)
    assert [(p.row, p.field) for p in caught.value.problems] == [(2, "name")]
    assert "区划变更案件" in caught.value.problems[0].message
    path.write_text("code,name\n411721001,柏城街道办事处\n", encoding="utf-8")  # form only
    Divisions(store).load_code_list(path, actor=ADMIN)


@pytest.mark.slow
def test_the_real_2016_to_2023_changes_accepted_in_the_demo_match_both_official_lists(demo_store):
    """The issue's check: every proposal of Zhumadian 2016 → 2023 accepted and taken through
    its steps on the demo (which holds the 2023 list) gives a store whose divisions as of
    2016-08-01 are the 2016 list and today the 2023 list (names compared but for form)."""
    from geociv.changes import propose_changes
    from geociv.changes.forms import same_but_form
    from tests.test_change_proposals import _vintage as vintage

    (old, old_villages), (new, new_villages) = vintage("2016"), vintage("2023")
    changes = DivisionChanges(demo_store)
    found = propose_changes(
        old, new, parent="411700", old_villages=old_villages, new_villages=new_villages
    )
    for proposal in changes.save_proposals(found, batch="2016 → 2023", actor=ADMIN):
        case = changes.accept(proposal.proposal_id, actor=ADMIN, on="2019-10-31")
        through(changes, case, "2019-10-31")
    for day, lists in (("2016-08-01", (old, old_villages)), ("2026-01-01", (new, new_villages))):
        official = {
            code: u.name
            for division_list in lists
            for code, u in division_list.units.items()
            if code.startswith("4117") and code != "411700"
        }
        stored = {
            d.code: d.name
            for d in demo_store.query_divisions(within="4117", on=day, with_geometry=False)
            if d.code != "411700"
        }
        assert stored.keys() == official.keys(), day
        assert [c for c in official if not same_but_form(official[c], stored[c])] == [], day
    assert len(changes.overdue_surveys("2099-01-01")) == len(changes.survey_tasks()) > 0
