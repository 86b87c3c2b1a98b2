"""Jurisdiction (issue 9, defect 6): every write checks that the record's division lies within
the user's division, and boundary records are written only by the two sides of their line.

On the real Zhumadian demo store: 驿城区 is 411702, 上蔡县 411722, 西平县 411721, 确山县 411725;
驿确线 (411702-411725) lies between 驿城区 and 确山县. The refusals are checked in the services
(what the API, the pages and the CLI all call) and through the real Flask app.
"""

from __future__ import annotations

from datetime import date

import pytest
from shapely import Point

from geociv.auth import Users
from geociv.authority import authority_of, require
from geociv.boundaries.inspections import Inspections
from geociv.boundaries.markers import Markers
from geociv.boundaries.rounds import Rounds
from geociv.coverage.facilities import Facilities
from geociv.divisions import Divisions, division_record
from geociv.errors import PermissionDeniedError
from geociv.gazetteer.cases import Cases
from geociv.gazetteer.names import Gazetteer
from geociv.gazetteer.signs import Signs
from geociv.store import Store
from tests.boundary_field import prepare_field
from tests.boundary_setup import REFERENCES, add_inspector, point_on
from tests.conftest import PASSWORD, login

YIQUE = "411702-411725"  # 驿确线: 驿城区 — 确山县
TODAY = date.today().isoformat()


def _user(store: Store, name: str, role: str, code: str) -> str:
    Users(store).add(name, PASSWORD, role=role, division_code=code, actor="system")
    return name


def _names_named(store: Store, name: str) -> int:
    return sum(r.name == name for r in store.query_names())


def _denied(store: Store) -> int:
    return sum(e.action == "auth.denied" for e in store.audit_entries(limit=10_000))


# -- who is who -------------------------------------------------------------------------------
def test_local_actors_users_and_anonymous(demo_store) -> None:
    assert authority_of(demo_store, "system").local
    assert authority_of(demo_store, "cli:wang").local
    officer = authority_of(demo_store, "officer1")
    assert (officer.role, officer.division_code, officer.local) == ("officer", "411702", False)
    assert officer.covers("411702003") and not officer.covers("411722")
    assert authority_of(demo_store, "admin1").covers("411722")  # the city covers its counties
    assert not authority_of(demo_store, "admin1").covers("411100")
    for nobody in ("", "anonymous"):
        with pytest.raises(PermissionDeniedError, match="未登录"):
            authority_of(demo_store, nobody)
    Users(demo_store).update("officer1", actor="admin1", active=False)
    with pytest.raises(PermissionDeniedError, match="已停用"):
        require(demo_store, "officer1", ("officer",))


# -- names ------------------------------------------------------------------------------------
def test_a_yicheng_officer_cannot_register_a_name_in_shangcai(demo_store) -> None:
    gaz = Gazetteer(demo_store)
    before = _denied(demo_store)
    with pytest.raises(PermissionDeniedError) as refused:
        gaz.add("锦程路", "road", "411722", actor="officer1")
    assert "411722" in str(refused.value) and "division_code" in str(refused.value)
    assert _names_named(demo_store, "锦程路") == 0
    assert _denied(demo_store) == before + 1  # the refusal is audited
    _user(demo_store, "city_officer", "officer", "411700")
    gaz.add("锦程路", "road", "411722", actor="city_officer")  # a city officer covers 上蔡县
    gaz.add("锦华街", "road", "411702", actor="officer1")  # his own district
    assert _names_named(demo_store, "锦程路") == 1 and _names_named(demo_store, "锦华街") == 1


def test_name_edits_imports_and_renames_stay_in_the_jurisdiction(demo_store) -> None:
    gaz = Gazetteer(demo_store)
    shangcai = next(r for r in demo_store.query_names() if r.division_code == "411722")
    with pytest.raises(PermissionDeniedError):
        gaz.update(shangcai.name_id, actor="officer1", pinyin="X")
    with pytest.raises(PermissionDeniedError):
        gaz.rename(shangcai.name_id, "新名村", actor="officer1")
    own = next(r for r in demo_store.query_names() if r.division_code == "411702")
    with pytest.raises(PermissionDeniedError, match="411722"):  # moving it out of his district
        gaz.update(own.name_id, actor="officer1", division_code="411722")
    from geociv.gazetteer.rules import Candidate

    reports = gaz.check_many([Candidate("锦程路", "road", "411702", row=1),
                              Candidate("锦华街", "road", "411722", row=2)])  # fmt: skip
    with pytest.raises(PermissionDeniedError, match="第 2 行"):
        gaz.save_reports(reports, actor="officer1")
    assert _names_named(demo_store, "锦程路") == 0  # all or nothing
    with pytest.raises(PermissionDeniedError, match="地名管理员"):
        gaz.add_term("leader", "某某某", actor="planner1")


def test_through_http_the_refusal_is_403_with_the_division_and_field(client, app) -> None:
    login(client, "officer1")
    response = client.post(
        "/api/names", json={"name": "锦程路", "category": "road", "division_code": "411722"}
    )
    assert response.status_code == 403
    error = response.get_json()["error"]
    assert "411722" in error and "division_code" in error
    assert _names_named(app.extensions["geociv_store"], "锦程路") == 0


# -- cases and signs --------------------------------------------------------------------------
def test_cases_are_opened_and_advanced_only_in_the_jurisdiction(demo_store) -> None:
    cases = Cases(demo_store, Gazetteer(demo_store))
    with pytest.raises(PermissionDeniedError, match="411722"):
        cases.apply("naming", "锦程路", applicant="某公司", location="上蔡县", category="road",
                    division_code="411722", actor="officer1")  # fmt: skip
    _user(demo_store, "shangcai_officer", "officer", "411722")
    case = cases.apply("naming", "锦程路", applicant="某公司", location="上蔡县", category="road",
                       division_code="411722", actor="shangcai_officer")  # fmt: skip
    with pytest.raises(PermissionDeniedError):
        cases.attach(case.case_id, "assessment", "a.pdf", b"%PDF-1.7", actor="officer1")
    with pytest.raises(PermissionDeniedError):
        cases.review(case.case_id, actor="officer1")
    with pytest.raises(PermissionDeniedError):
        cases.withdraw(case.case_id, reason="撤回", actor="officer1")
    assert cases.get(case.case_id).status == "applied"
    assert len(cases.documents(case.case_id)) == 0


def test_signs_and_patrols_follow_the_division_of_their_name(demo_store) -> None:
    signs = Signs(demo_store, Gazetteer(demo_store))
    shangcai = next(r for r in demo_store.query_names() if r.division_code == "411722")
    where = Point(114.27, 33.26)
    with pytest.raises(PermissionDeniedError, match="411722"):
        signs.register(shangcai.name_id, where, "village", shangcai.name, actor="officer1")
    _user(demo_store, "shangcai_officer", "officer", "411722")
    sign = signs.register(shangcai.name_id, where, "village", shangcai.name,
                          actor="shangcai_officer")  # fmt: skip
    with pytest.raises(PermissionDeniedError):
        signs.patrol(sign.sign_id, "intact", actor="officer1")
    with pytest.raises(PermissionDeniedError):
        signs.set_status(sign.sign_id, "damaged", actor="officer1")
    assert signs.patrols(sign.sign_id) == [] and signs.get(sign.sign_id).status == "in_service"


# -- boundary records -------------------------------------------------------------------------
@pytest.fixture
def yique(demo_store):
    """A plan, a marker and a record on 驿确线 made by 确山县's inspector."""
    prepare_field(demo_store)  # inspector1 西平县, inspector2 上蔡县, inspector3 确山县
    line = demo_store.get_boundary_line(YIQUE)
    marker = Markers(demo_store).register(
        "001Q", point_on(line, 0.4), line=YIQUE, actor="inspector3", references=REFERENCES
    )
    rounds = Rounds(demo_store)
    round_ = rounds.current() or rounds.open_for_year(date.today().year, actor="inspector3")
    plan = rounds.plan(round_.round_no, YIQUE, date.today().year,
                       left_team=("411702", ["甲"]), right_team=("411725", ["乙"]),
                       actor="inspector3")  # fmt: skip
    record = Inspections(demo_store).record_marker(
        plan.plan_id, marker.marker_id, condition="intact", actor="inspector3",
        measured=marker.location, gps_accuracy_m=3, references_present=3,
    )  # fmt: skip
    return demo_store, line, marker, plan, record


def test_a_xiping_inspector_cannot_create_or_correct_a_record_on_yique(yique) -> None:
    store, _line, _marker, plan, record = yique
    svc = Inspections(store)
    with pytest.raises(PermissionDeniedError, match="驿确线") as refused:
        svc.record_line(plan.plan_id, actor="inspector1")
    assert "line_id" in str(refused.value)
    with pytest.raises(PermissionDeniedError, match="驿确线"):
        svc.correct(record.record_id, actor="inspector1", reason="改", condition="damaged")
    with pytest.raises(PermissionDeniedError):
        svc.add_photo(record.record_id, "a.jpg", b"\xff\xd8\xff" + b"0" * 64, actor="inspector1")
    kept = svc.get(record.record_id)
    assert (kept.condition, kept.version) == ("intact", 1)
    assert store.query_inspection_records(plan_id=plan.plan_id, kind="line") == []
    # the city inspector covers the lines of its counties
    add_inspector(store, "zmd_city", "411700")
    assert svc.correct(record.record_id, actor="zmd_city", reason="复核",
                       condition="damaged").condition == "damaged"  # fmt: skip


def test_markers_plans_and_lines_only_by_their_sides(yique) -> None:
    store, line, marker, plan, _record = yique
    with pytest.raises(PermissionDeniedError):
        Markers(store).register("005Q", point_on(line, 0.7), line=YIQUE, actor="inspector1")
    with pytest.raises(PermissionDeniedError):
        Markers(store).retire(marker.marker_id, actor="inspector1", reason="x")
    with pytest.raises(PermissionDeniedError):
        Rounds(store).reschedule(plan.plan_id, date.today().year, actor="inspector1", reason="x")
    assert len(store.query_markers(line_id=YIQUE)) == 1


def test_through_http_a_record_on_another_line_is_403(client, app) -> None:
    store = app.extensions["geociv_store"]
    prepare_field(store)
    line = store.get_boundary_line(YIQUE)
    Markers(store).register("001Q", point_on(line, 0.4), line=YIQUE, actor="system",
                            references=REFERENCES)  # fmt: skip
    rounds = Rounds(store)
    round_ = rounds.current() or rounds.open_for_year(date.today().year, actor="system")
    plan = rounds.plan(round_.round_no, YIQUE, date.today().year,
                       left_team=("411702", ["甲"]), right_team=("411725", ["乙"]),
                       actor="system")  # fmt: skip
    body = {"plan_id": plan.plan_id, "kind": "line"}
    login(client, "inspector1")
    response = client.post("/api/boundaries/records", json=body)
    assert response.status_code == 403 and "驿确线" in response.get_json()["error"]
    login(client, "inspector3")
    response = client.post("/api/boundaries/records", json=body)
    assert response.status_code == 201, response.get_json()


# -- coverage and divisions -------------------------------------------------------------------
def test_facilities_with_a_division_code_outside_are_refused_even_with_within_0(
    demo_store, tmp_path
) -> None:
    path = tmp_path / "f.csv"
    path.write_text(
        "名称,类型,经度,纬度,区划代码\n某站,rental_station,114.02,32.98,411722\n", encoding="utf-8"
    )
    _user(demo_store, "yicheng_planner", "planner", "411702")
    facilities = Facilities(demo_store)
    before = len(demo_store.query_facilities())
    with pytest.raises(PermissionDeniedError, match="411722"):
        facilities.import_file(path, declared_crs="CGCS2000", actor="yicheng_planner")
    # without a code, a point outside the planner's district passes only without an area
    path.write_text("名称,类型,经度,纬度\n某站,rental_station,116.3,39.9\n", encoding="utf-8")
    with pytest.raises(PermissionDeniedError, match="location"):
        facilities.import_file(path, declared_crs="CGCS2000", actor="yicheng_planner",
                               area=Point(116.3, 39.9).buffer(0.1))  # fmt: skip
    assert len(facilities.import_file(path, declared_crs="CGCS2000",
                                      actor="yicheng_planner")) == 1  # fmt: skip
    assert len(demo_store.query_facilities()) == before + 1


def test_divisions_are_loaded_by_admins_within_their_division(demo_store) -> None:
    divisions = Divisions(demo_store)
    luohe = [division_record("411100", "漯河市")]
    with pytest.raises(PermissionDeniedError, match="411100"):
        divisions.load_records(luohe, actor="admin1")  # 驻马店's admin
    with pytest.raises(PermissionDeniedError, match="系统管理员"):
        divisions.load_records([division_record("411702", "驿城区")], actor="officer1")
    assert demo_store.get_division("411100") is None
    _user(demo_store, "henan_admin", "admin", "410000")
    assert divisions.load_records(luohe, actor="henan_admin").inserted == 1
