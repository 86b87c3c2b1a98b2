"""One conformance suite, two backends: the same Store calls give the same results on a
GeoPackage file and on a PostGIS database (``any_store``), for every method of the Store API,
including the rules decided in the writing transaction when two writers race."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

import pytest
from shapely import LineString, MultiLineString, MultiPolygon, Point, box

from geociv.errors import DuplicateError, StaleRecordError, StoreError
from geociv.store import (
    AuditQuery,
    BoundaryLine,
    BoundaryPhoto,
    CaseDocument,
    CoverageRun,
    CoverageZone,
    Division,
    Facility,
    FormerName,
    InspectionPlan,
    InspectionRecord,
    InspectionRound,
    LineChange,
    Marker,
    NameCase,
    NameRecord,
    Patrol,
    PopulationRaster,
    ReferenceObject,
    RoadNetwork,
    Sign,
    Signature,
    Team,
    Term,
    User,
    ZoneSet,
)

pytestmark = pytest.mark.postgis


def _county(code: str = "411702", name: str = "驿城区", parent: str = "411700") -> Division:
    x = int(code) % 100 / 10
    return Division(
        code, name, "county", parent,
        geometry=MultiPolygon([box(113 + x, 32.9, 113.1 + x, 33.1)]), area_km2=414.5,
    )  # fmt: skip


def _name(name_id: str = "N0001", name: str = "人民路", **given) -> NameRecord:
    fields = dict(
        specific=name[:-1], generic=name[-1], category="road", division_code="411702",
        pinyin="Rénmín Lù", geometry=LineString([(114.0, 33.0), (114.01, 33.0)]),
    )  # fmt: skip
    return NameRecord(name_id, name, **{**fields, **given})


# -- divisions ---------------------------------------------------------------------------------
def test_divisions_upsert_is_idempotent_and_audited(any_store) -> None:
    first = any_store.upsert_divisions([_county()], actor="alice")
    again = any_store.upsert_divisions([_county()], actor="alice")
    renamed = any_store.upsert_divisions([_county(name="驿城新区")], actor="bob")
    assert (first.inserted, again.unchanged, renamed.updated) == (1, 1, 1)
    entries = any_store.audit_entries(entity="divisions")
    assert [e.actor for e in entries] == ["bob", "alice"]
    assert entries[0].before["name"] == "驿城区" and entries[0].after["name"] == "驿城新区"
    assert entries[0].after["geometry"]["type"] == "MultiPolygon"
    stored = any_store.get_division("411702")
    assert stored.geometry.equals(_county().geometry) and stored.area_km2 == 414.5
    assert any_store.get_division("999999") is None


def test_division_queries_filter_order_and_escape(any_store) -> None:
    any_store.upsert_divisions(
        [
            Division("411700", "驻马店市", "city", "410000"),
            _county("411721", "西平县"),
            _county("411702", "驿城区"),
            _county("411722", "上蔡县"),
            Division("411799", "50%_开发区", "county", "411700", kind="statistical"),
        ],
        actor="t",
    )
    children = any_store.query_divisions(parent="411700")
    assert [d.code for d in children] == ["411702", "411721", "411722", "411799"]
    assert [d.code for d in any_store.query_divisions(name="西平", match="prefix")] == ["411721"]
    assert [d.code for d in any_store.query_divisions(name="%_", match="contains")] == ["411799"]
    assert any_store.query_divisions(name="_", match="contains") == [
        any_store.get_division("411799")
    ]
    statutory = any_store.query_divisions(level="county", include_statistical=False, limit=2)
    assert [d.code for d in statutory] == ["411702", "411721"]
    light = any_store.query_divisions(parent="411700", with_geometry=False)
    assert all(d.geometry is None for d in light)
    assert any_store.count_divisions() == {"city": 1, "county": 4}


def test_a_failing_batch_writes_nothing(any_store) -> None:
    any_store.upsert_divisions([_county()], actor="t")
    broken = Division("411721", None, "county", "411700")  # type: ignore[arg-type]
    with pytest.raises(Exception):  # noqa: B017 - each driver's own integrity error
        any_store.upsert_divisions([_county(name="改名"), broken], actor="t")
    assert any_store.get_division("411702").name == "驿城区"
    assert any_store.get_division("411721") is None
    assert len(any_store.audit_entries()) == 1


def test_a_transaction_is_all_or_nothing(any_store) -> None:
    with pytest.raises(RuntimeError), any_store.transaction():
        any_store.set_meta("a", "1", actor="t")
        any_store.upsert_divisions([_county()], actor="t")
        raise RuntimeError("the second step failed")
    assert any_store.get_meta("a") is None and any_store.get_division("411702") is None
    with any_store.transaction():
        any_store.set_meta("a", "1", actor="t")
        with pytest.raises(DuplicateError):  # a failed inner write undoes only itself
            any_store.add_user(User("u", "officer", "411702"), "h", actor="t")
            any_store.add_user(User("u", "officer", "411702"), "h", actor="t")
    assert any_store.get_meta("a") == "1"
    assert [u.username for u in any_store.list_users()] == ["u"]


# -- settings ----------------------------------------------------------------------------------
def test_meta_is_audited_and_a_secret_never_shown(any_store) -> None:
    any_store.set_meta("site", "驻马店", actor="admin")
    any_store.set_meta("key", "s3cret", actor="admin", secret=True)
    any_store.set_meta("key", "other", actor="admin", secret=True)
    assert any_store.get_meta("site") == "驻马店" and any_store.get_meta("key") == "other"
    assert any_store.delete_meta("key", actor="admin", secret=True) is True
    assert any_store.delete_meta("key", actor="admin") is False
    assert any_store.get_meta("key") is None
    shown = [(e.action, e.before, e.after) for e in any_store.audit_entries(entity="geociv_meta")]
    assert shown[:3] == [
        ("meta.delete", {"value": "***"}, None),
        ("meta.set", {"value": "***"}, {"value": "***"}),
        ("meta.set", None, {"value": "***"}),
    ]
    assert "s3cret" not in repr(any_store.audit_entries())


# -- users and sessions ------------------------------------------------------------------------
def test_users_are_unique_and_changes_end_sessions(any_store) -> None:
    any_store.add_user(User("li", "officer", "411702", "李明"), "hash1", actor="admin")
    with pytest.raises(DuplicateError, match="li"):
        any_store.add_user(User("li", "planner", "411700"), "hash2", actor="admin")
    user, password_hash = any_store.get_user("li")
    assert (user.display_name, user.active, user.session_version, password_hash) == (
        "李明", True, 0, "hash1",
    )  # fmt: skip
    assert any_store.update_user("li", actor="admin", display_name="李 明").session_version == 0
    assert any_store.update_user("li", actor="admin", role="planner").session_version == 1
    assert any_store.update_user("li", actor="admin", active=False).active is False
    changed = any_store.update_user("li", actor="admin", password_hash="hash3")
    assert changed.session_version == 3 and any_store.get_user("li")[1] == "hash3"
    any_store.update_user("li", actor="li", last_login_at="2026-05-01T00:00:00+00:00")
    ended = any_store.end_sessions("li", actor="li", action="auth.logout", note="退出")
    assert ended == 4 and any_store.get_user("li")[0].session_version == 4
    with pytest.raises(StoreError, match="没有字段"):
        any_store.update_user("li", actor="admin", colour="red")
    with pytest.raises(StoreError, match="不存在"):
        any_store.update_user("nobody", actor="admin", role="admin")
    actions = [(e.action, e.note) for e in any_store.audit_entries(entity="users")]
    assert actions == [
        ("auth.logout", "退出"),
        ("users.update", "密码已更改；该用户的会话已全部结束"),
        ("users.update", "该用户的会话已全部结束"),
        ("users.update", "该用户的会话已全部结束"),
        ("users.update", ""),
        ("users.add", ""),
    ]  # the log-in stamp alone is not audited
    assert [u.username for u in any_store.list_users()] == ["li"]


def test_log_in_throttle_counts_failures_per_user_and_address(any_store) -> None:
    limits = dict(since="2000-01-01T00:00:00+00:00", window_s=900, max_user=3, max_address=5)
    for _ in range(3):
        attempt = any_store.claim_login_attempt("li", "10.0.0.1", **limits)
        any_store.finish_login_attempt(attempt.attempt_id, False)
    refused = any_store.claim_login_attempt("li", "10.0.0.2", **limits)
    assert refused.refused and refused.attempt_id is None and refused.retry_at
    other = any_store.claim_login_attempt("wang", "10.0.0.1", **limits)
    any_store.finish_login_attempt(other.attempt_id, True, audit_note="密码正确")
    for name in ("a", "b"):
        any_store.claim_login_attempt(name, "10.0.0.1", **limits)  # in flight: counted
    assert any_store.claim_login_attempt("c", "10.0.0.1", **limits).refused
    entries = any_store.audit_entries(entity="users")
    assert entries[0].action == "auth.login" and entries[0].note == "来源地址 10.0.0.1；密码正确"
    assert [e.action for e in entries[1:]] == ["auth.login_failed"] * 3
    with pytest.raises(StoreError, match="登录尝试"):
        any_store.finish_login_attempt(99999, True)


def test_concurrent_log_in_guesses_cannot_outrun_the_limit(any_store) -> None:
    limits = dict(since="2000-01-01T00:00:00+00:00", window_s=900, max_user=5, max_address=100)
    taken: list[int] = []

    def guess() -> None:
        attempt = any_store.claim_login_attempt("li", "10.0.0.1", **limits)
        if not attempt.refused:
            taken.append(attempt.attempt_id)

    threads = [threading.Thread(target=guess) for _ in range(20)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(taken) == 5


def test_writes_from_several_threads_all_land(any_store) -> None:
    def add(i: int) -> None:
        any_store.add_user(User(f"u{i:02d}", "officer", "411702"), "h", actor="t")

    threads = [threading.Thread(target=add, args=(i,)) for i in range(12)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(any_store.list_users()) == 12
    assert len(any_store.audit_entries(entity="users")) == 12


# -- audit trail -------------------------------------------------------------------------------
def test_audit_pages_filters_facets_and_change_stamps(any_store) -> None:
    assert any_store.last_change(("divisions", "names")) == 0
    any_store.upsert_divisions([_county()], actor="alice")
    any_store.record_event(actor="bob", action="auth.logout", entity="users", key="bob")
    any_store.set_meta("x", "1", actor="alice")
    page = any_store.audit_page(AuditQuery(actor="alice"), limit=1)
    assert page.total == 2 and [e.entity for e in page.entries] == ["geociv_meta"]
    second = any_store.audit_page(AuditQuery(actor="alice"), offset=1, limit=1, count=False)
    assert second.total == -1 and second.entries[0].entity_key == "411702"
    assert any_store.audit_page(AuditQuery(since="2999-01-01T00:00:00+08:00")).total == 0
    assert any_store.audit_page(AuditQuery(until="2999-01-01")).total == 3
    facets = any_store.audit_facets()
    assert facets.actors == ["alice", "bob"]
    assert facets.entities == ["divisions", "geociv_meta", "users"]
    stamp = any_store.last_change(("divisions", "users"))
    assert stamp == any_store.audit_entries(entity="users")[0].id
    any_store.set_meta("x", "2", actor="alice")
    assert any_store.last_change(("divisions", "users")) == stamp  # other tables: same stamp


# -- gazetteer ---------------------------------------------------------------------------------
def test_names_upsert_query_and_keep_their_geometry(any_store) -> None:
    counts = any_store.upsert_names(
        [_name(), _name("N0002", "解放大道", category="road", geometry=Point(114.02, 33.0)),
         _name("N0003", "老街", status="retired", division_code="411721", geometry=None)],
        actor="officer",
    )  # fmt: skip
    assert counts.inserted == 3
    assert any_store.upsert_names([_name()], actor="officer").unchanged == 1
    moved = _name(geometry=LineString([(114.0, 33.0), (114.02, 33.0)]))
    assert any_store.upsert_names([moved], actor="officer").updated == 1
    stored = any_store.get_name("N0001")
    assert stored.geometry.equals(moved.geometry) and stored.pinyin == "Rénmín Lù"
    assert stored == moved and stored.created_at and any_store.get_name("N9") is None
    found = any_store.query_names(division_prefix="4117")
    assert [n.name_id for n in found] == ["N0001", "N0002"]  # retired left out
    assert all(n.geometry is None for n in found)
    everything = any_store.query_names(include_retired=True, with_geometry=True)
    assert [n.name for n in everything] == ["人民路", "解放大道", "老街"]
    assert everything[1].geometry.equals(Point(114.02, 33.0))
    assert [n.name_id for n in any_store.query_names(name="解放大道")] == ["N0002"]
    assert any_store.query_names(division_prefix="4117", category="village") == []
    assert [e.action for e in any_store.audit_entries(entity="names")] == ["names.upsert"] * 4


def test_former_names_readings_lists_and_overrides(any_store) -> None:
    any_store.upsert_names([_name()], actor="officer")
    any_store.add_former_name(
        FormerName("N0001", "红旗路", "Hóngqí Lù", valid_to="2001-01-01", case_id="C2001-0001"),
        actor="officer",
    )
    assert [f.name for f in any_store.former_names("N0001")] == ["红旗路"]
    assert any_store.former_names()[0].case_id == "C2001-0001"
    any_store.set_pinyin_override("泌阳", "bi4 yang2", note="审定读音", actor="officer")
    any_store.set_pinyin_override("泌阳", "bi4 yang2", note="再审", actor="officer")
    assert any_store.pinyin_overrides() == {"泌阳": ("bi4 yang2", "再审")}
    any_store.add_term(Term("brand", "万达"), actor="officer")
    any_store.add_term(Term("brand", "万达", note="again"), actor="officer")  # left as is
    any_store.add_term(Term("person", "张三"), actor="officer")
    assert [(t.list, t.term, t.added_by) for t in any_store.terms()] == [
        ("brand", "万达", "officer"), ("person", "张三", "officer"),
    ]  # fmt: skip
    assert [t.term for t in any_store.terms("person")] == ["张三"]
    any_store.add_finding_override("万达路", "brand", reason="历史地名", actor="officer")
    assert [(o.rule_id, o.reason) for o in any_store.finding_overrides("万达路")] == [
        ("brand", "历史地名")
    ]
    assert any_store.finding_overrides("别的") == []
    audited = [e.action for e in any_store.audit_entries()]
    assert audited.count("terms.add") == 2 and audited.count("pinyin.override") == 2
    override = any_store.audit_entries(entity="pinyin_overrides")[0]
    assert override.before == {"pinyin": "bi4 yang2", "note": "审定读音"}


# -- signs and patrols -------------------------------------------------------------------------
def _jpeg() -> bytes:
    import io

    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (640, 480), (200, 30, 30)).save(out, "JPEG")
    return out.getvalue()


def test_signs_get_ids_change_field_by_field_and_are_patrolled(any_store) -> None:
    any_store.upsert_names([_name()], actor="officer")
    first = any_store.add_sign(
        Sign("", "N0001", "road", "人民路", "Rénmín Lù", Point(114.0, 33.0)), actor="officer"
    )
    given = any_store.add_sign(Sign("S000010", "N0001", "road", "人民路"), actor="officer")
    after = any_store.add_sign(Sign("", "N0001", "road", "人民路"), actor="officer")
    assert [first.sign_id, given.sign_id, after.sign_id] == ["S000001", "S000010", "S000011"]
    with pytest.raises(DuplicateError, match="S000010"):
        any_store.add_sign(Sign("S000010", "N0001", "road", "人民路"), actor="officer")
    moved = any_store.update_sign("S000001", actor="officer", location=Point(114.1, 33.1),
                                  status="damaged")  # fmt: skip
    assert (moved.location.x, moved.status) == (114.1, "damaged")
    assert any_store.get_sign("S000001").location.equals(Point(114.1, 33.1))
    with pytest.raises(StoreError, match="没有字段"):
        any_store.update_sign("S000001", actor="officer", colour="red")
    with pytest.raises(StoreError, match="不存在"):
        any_store.update_sign("S999999", actor="officer", status="removed")
    any_store.update_sign("S000011", actor="officer", status="removed")
    assert [s.sign_id for s in any_store.query_signs(include_removed=False)] == [
        "S000001", "S000010",
    ]  # fmt: skip
    assert [s.sign_id for s in any_store.query_signs(status="damaged")] == ["S000001"]
    assert len(any_store.query_signs(name_id="N0001")) == 3 and any_store.get_sign("S9") is None
    photo = _jpeg()
    patrol = any_store.add_patrol(
        Patrol("S000001", "2026-05-01", "broken", "王五", "被车撞", photo, "p.jpg"), actor="officer"
    )
    any_store.add_patrol(Patrol("S000010", "2026-04-01", "intact", "王五"), actor="officer")
    assert patrol.id and patrol.recorded_by == "officer" and patrol.photo is None
    assert [p.sign_id for p in any_store.patrols()] == ["S000010", "S000001"]
    (full,) = any_store.patrols("S000001", with_photo=True)
    assert full.photo == photo and full.photo_filename == "p.jpg"
    assert any_store.patrol_thumbnail(patrol.id)[:2] == b"\xff\xd8"  # a JPEG
    assert any_store.patrol_thumbnail(99999) is None
    with pytest.raises(StoreError, match="S404"):
        any_store.add_patrol(Patrol("S404", "2026-05-01", "intact", "王五"), actor="officer")
    audited = any_store.audit_entries(entity="signs")
    assert [e.action for e in audited][:2] == ["signs.patrol", "signs.patrol"]
    assert audited[1].after["photo_sha256"] and audited[1].note == "被车撞"


# -- facilities and coverage runs --------------------------------------------------------------
def test_facilities_keep_ids_refuse_duplicates_and_unknown_fields(any_store) -> None:
    given = Facility("X1", "甲", "day_care", Point(114.0, 33.0), capacity_beds=20)
    (stored,) = any_store.add_facilities([given], actor="a")
    assert stored.facility_id == "X1" and stored.created_by == "a" and stored.capacity_beds == 20
    with pytest.raises(DuplicateError):
        any_store.add_facilities([Facility("", "乙", "day_care"), given], actor="a")
    assert len(any_store.query_facilities()) == 1  # the batch wrote nothing
    made = any_store.add_facilities(
        [Facility("", "乙", "nursing_home", Point(114.2, 33.0), sample=True),
         Facility("", "丙", "rental_station", status="planned")],
        actor="a",
    )  # fmt: skip
    assert [f.facility_id for f in made] == ["F000001", "F000002"] and made[0].sample is True
    with pytest.raises(StoreError):
        any_store.update_facility("X1", actor="a", colour="red")
    moved = any_store.update_facility("X1", actor="b", location=Point(114.1, 33.1))
    assert moved.location.x == 114.1 and any_store.get_facility("X1").location.x == 114.1
    assert any_store.audit_entries(entity="facilities")[0].before["lon"] == 114.0
    any_store.update_facility("F000001", actor="b", status="retired")
    assert [f.facility_id for f in any_store.query_facilities()] == ["F000002", "X1"]
    assert [f.facility_id for f in any_store.query_facilities(status="retired")] == ["F000001"]
    assert len(any_store.query_facilities(include_retired=True)) == 3
    assert [f.name for f in any_store.query_facilities(type="rental_station")] == ["丙"]
    assert any_store.get_facility("F9") is None


def test_coverage_runs_are_numbered_and_kept(any_store) -> None:
    run = any_store.add_coverage_run(CoverageRun("", "day_care", {"a": 1}, {"b": 2}), actor="c")
    other = any_store.add_coverage_run(CoverageRun("", "rental", {"速度": 0.8}), actor="c")
    assert (run.run_id, other.run_id) == ("R000001", "R000002") and run.actor == "c"
    assert any_store.coverage_runs("x") == [] and any_store.coverage_runs("rental") == [other]
    assert any_store.coverage_runs()[0].params == {"a": 1}
    assert any_store.get_coverage_run("R000002").params == {"速度": 0.8}
    assert any_store.get_coverage_run("R9") is None
    assert any_store.audit_entries(entity="coverage_runs")[0].after["kind"] == "rental"


# -- naming/renaming cases ---------------------------------------------------------------------
def _case(case_id: str = "", name: str = "建设路", division: str = "411702") -> NameCase:
    return NameCase(case_id, "naming", name, "road", division, "驿城区住建局")


def test_cases_are_numbered_per_year_and_advance_one_step_at_a_time(any_store) -> None:
    first = any_store.add_case(_case(), on="2026-03-01", actor="officer", note="受理")
    second = any_store.add_case(_case(name="和平路"), on="2026-03-02", actor="officer")
    given = any_store.add_case(_case("C2026-0040", "文明路"), on="2026-03-03", actor="officer")
    later = any_store.add_case(_case(division="411721"), on="2026-04-01", actor="officer")
    other_year = any_store.add_case(_case(name="新华路"), on="2027-01-05", actor="officer")
    assert [c.case_id for c in (first, second, given, later, other_year)] == [
        "C2026-0001", "C2026-0002", "C2026-0040", "C2026-0041", "C2027-0001",
    ]  # fmt: skip
    with pytest.raises(DuplicateError, match="C2026-0040"):
        any_store.add_case(_case("C2026-0040"), on="2026-03-03", actor="officer")
    assert first.status == "applied" and first.steps[0].note == "受理"
    reviewed = any_store.advance_case(
        "C2026-0001", "review", expect_status="applied", on="2026-03-05", actor="officer",
        changes={"review": {"findings": [], "拼音": "Jiànshè Lù"}, "pinyin": "Jiànshè Lù"},
    )  # fmt: skip
    assert reviewed.status == "reviewed" and reviewed.review["拼音"] == "Jiànshè Lù"
    with pytest.raises(StoreError, match="刷新"):  # someone else moved it on already
        any_store.advance_case("C2026-0001", "review", expect_status="applied",
                               on="2026-03-05", actor="officer")  # fmt: skip
    with pytest.raises(StoreError, match="步骤"):
        any_store.advance_case("C2026-0001", "fly", expect_status="reviewed", on="x", actor="o")
    with pytest.raises(StoreError, match="不能更改字段"):
        any_store.advance_case("C2026-0001", "approve", expect_status="reviewed",
                               on="x", actor="o", changes={"kind": "renaming"})  # fmt: skip
    with pytest.raises(StoreError, match="不存在"):
        any_store.advance_case("C1999-0001", "review", expect_status="applied", on="x",
                               actor="o")  # fmt: skip
    any_store.advance_case("C2026-0002", "withdraw", expect_status="applied", on="2026-03-07",
                           actor="officer", changes={"close_reason": "申请人撤回"})  # fmt: skip
    stored = any_store.get_case("C2026-0001")
    assert [s.step for s in stored.steps] == ["apply", "review"] and stored.pinyin
    assert any_store.get_case("C2026-0002").close_reason == "申请人撤回"
    assert [c.case_id for c in any_store.query_cases(status="applied")] == [
        "C2026-0040", "C2026-0041", "C2027-0001",
    ]  # fmt: skip
    assert [c.case_id for c in any_store.query_cases(division_prefix="411721")] == ["C2026-0041"]
    assert [len(c.steps) for c in any_store.query_cases(kind="naming")] == [2, 2, 1, 1, 1]
    assert any_store.get_case("C9") is None and any_store.query_cases(kind="renaming") == []
    actions = [e.action for e in any_store.audit_entries(entity="name_cases")]
    assert actions[:2] == ["cases.withdraw", "cases.review"] and actions.count("cases.apply") == 5


def test_case_documents_are_kept_with_their_hash(any_store) -> None:
    any_store.add_case(_case(), on="2026-03-01", actor="officer")
    report = "综合评估报告".encode()
    stored = any_store.add_case_document(
        CaseDocument("C2026-0001", "assessment", "评估.pdf", report, note="初稿"), actor="officer"
    )
    again = any_store.add_case_document(
        CaseDocument("C2026-0001", "assessment", "评估2.pdf", b"v2"), actor="officer"
    )
    assert stored.id and again.id > stored.id and stored.size == len(report)
    assert stored.content is None and len(stored.sha256) == 64
    listed = any_store.case_documents("C2026-0001")
    assert [d.filename for d in listed] == ["评估.pdf", "评估2.pdf"] and listed[0].content is None
    assert any_store.case_documents("C2026-0001", with_content=True)[0].content == report
    assert any_store.get_case_document(stored.id).content == report
    assert any_store.get_case_document(99999) is None
    with pytest.raises(StoreError, match="不存在"):
        any_store.add_case_document(CaseDocument("C1999-0001", "other", "x", b"x"), actor="o")
    with pytest.raises(StoreError, match="为空"):
        any_store.add_case_document(CaseDocument("C2026-0001", "other", "x"), actor="o")
    assert any_store.audit_entries(entity="name_cases")[0].after["filename"] == "评估2.pdf"


# -- coverage inputs ---------------------------------------------------------------------------
def test_road_networks_rasters_and_zone_sets_are_kept_listed_and_retired(any_store) -> None:
    edges = [(LineString([(116.30, 40.00), (116.31, 40.00)]), 853.2),
             (LineString([(116.31, 40.00), (116.31, 40.01)]), 1110.0)]  # fmt: skip
    network = any_store.add_road_network(
        RoadNetwork("", "海淀路网", "snap-1", 4547, 3, 2, 1.96, {"largest": 3}, "osm",
                    graph=b"graph-bytes"),
        edges, actor="planner",
    )  # fmt: skip
    assert network.network_id == "RN0001" and network.size == 11 and network.graph is None
    assert any_store.get_road_network("RN0001").graph == b"graph-bytes"
    assert any_store.get_road_network("RN0001", with_graph=False).components == {"largest": 3}
    stored_edges = any_store.road_edges("RN0001")
    assert [round(length, 1) for _, length in stored_edges] == [853.2, 1110.0]
    assert stored_edges[1][0].equals(edges[1][0])
    with pytest.raises(DuplicateError):
        any_store.add_road_network(RoadNetwork("RN0001", "x", "s", 4547, 0, 0, 0.0,
                                               graph=b"g"), [], actor="planner")  # fmt: skip
    with pytest.raises(StoreError, match="graph"):
        any_store.add_road_network(RoadNetwork("", "x", "s", 4547, 0, 0, 0.0), [], actor="p")
    raster = any_store.add_population_raster(
        PopulationRaster("", "60岁以上", "pop.tif", "EPSG:4326", (114.0, 30.4, 114.5, 30.8),
                         12345.5, 400, data=b"tiff"),
        actor="planner",
    )  # fmt: skip
    assert raster.raster_id == "PR0001" and raster.bounds == (114.0, 30.4, 114.5, 30.8)
    assert any_store.get_population_raster("PR0001").data == b"tiff"
    assert any_store.get_population_raster("PR0001", with_data=False).data is None
    zones = [
        CoverageZone("411702001", "顺河街道", 12.5, box(114.0, 33.0, 114.05, 33.05)),
        CoverageZone("411702002", "东风街道", 8.25, box(114.05, 33.0, 114.1, 33.05)),
    ]
    zone_set = any_store.add_zone_set(
        ZoneSet("", "驿城区街道", "subdistrict", sample=True), zones, actor="planner"
    )
    assert (zone_set.set_id, zone_set.n_zones, zone_set.sample) == ("ZS0001", 2, True)
    stored_zones = any_store.coverage_zones("ZS0001")
    assert [z.name for z in stored_zones] == ["顺河街道", "东风街道"]
    assert stored_zones[0].geometry.geom_type == "MultiPolygon"
    assert stored_zones[0].geometry.equals(zones[0].geometry)
    with pytest.raises(StoreError, match="面"):
        any_store.add_zone_set(ZoneSet("", "x", "aoi"), [CoverageZone("", "x", 1.0, Point(1, 1))],
                               actor="planner")  # fmt: skip
    assert [z.set_id for z in any_store.zone_sets("subdistrict")] == ["ZS0001"]
    for key in ("RN0001", "PR0001", "ZS0001"):
        any_store.retire_coverage_input(key, actor="planner", reason="换新")
    any_store.retire_coverage_input("RN0001", actor="planner")  # already retired: nothing
    assert any_store.road_networks() == [] and any_store.population_rasters() == []
    assert any_store.zone_sets() == [] and any_store.get_zone_set("ZS0001").retired
    assert [n.network_id for n in any_store.road_networks(include_retired=True)] == ["RN0001"]
    assert len(any_store.population_rasters(include_retired=True)) == 1
    with pytest.raises(StoreError, match="RN、PR 或 ZS"):
        any_store.retire_coverage_input("XX0001", actor="planner")
    with pytest.raises(StoreError, match="不存在"):
        any_store.retire_coverage_input("ZS0009", actor="planner")
    retired = [e.action for e in any_store.audit_entries() if e.action.endswith(".retire")]
    assert len(retired) == 3


def test_changes_since_follow_commits_and_mark_the_open_transaction(any_store) -> None:
    any_store.upsert_divisions([_county()], actor="t")
    mark = any_store.last_change(("divisions",))
    assert any_store.changes_since(("divisions",), mark, limit=10) == []
    any_store.upsert_divisions([_county("411721", "西平县")], actor="t")
    (change,) = any_store.changes_since(("divisions",), mark, limit=10)
    assert (change.entity, change.key, change.committed) == ("divisions", "411721", True)
    with any_store.transaction():
        any_store.upsert_divisions([_county("411722", "上蔡县")], actor="t")
        inside = any_store.changes_since(("divisions",), mark, limit=10)
        assert [(c.key, c.committed) for c in inside] == [("411721", True), ("411722", False)]
    after = any_store.changes_since(("divisions",), mark, limit=10)
    assert [(c.key, c.committed) for c in after] == [("411721", True), ("411722", True)]
    assert any_store.count_divisions(within="4117") == {"county": 3}
    assert any_store.division_names(["411721", "419999"]) == {"411721": "西平县"}
    assert [d.code for d in any_store.query_divisions(within="41172")] == ["411721", "411722"]


# -- boundary lines ----------------------------------------------------------------------------
LINE_ID = "411721-411722"
_TRACK = LineString([(113.9, 33.0), (114.0, 33.05), (114.1, 33.0)])


def _line(line_id: str = LINE_ID, geometry=_TRACK, **given) -> BoundaryLine:
    left, right = line_id.split("-")
    fields = dict(name="西平县—上蔡县", left_code=left, right_code=right, level="county",
                  length_km=21.3, internal=True, source="surveyed", geometry=geometry)  # fmt: skip
    return BoundaryLine(line_id, **{**fields, **given})


def test_boundary_lines_are_versioned_closed_and_queried(any_store) -> None:
    counts = any_store.save_boundary_lines(
        [_line(), _line("411702-411721", LineString([(113.8, 33.1), (113.9, 33.0)]),
                        level="edge", source="derived", internal=False)],
        on="2026-01-05", actor="inspector",
    )  # fmt: skip
    assert (counts.inserted, counts.updated, counts.unchanged) == (2, 0, 0)
    reversed_track = LineString(list(_TRACK.coords)[::-1])
    again = any_store.save_boundary_lines([_line(geometry=reversed_track)], on="2026-02-01",
                                          actor="inspector")  # fmt: skip
    assert again.unchanged == 1  # the same line drawn the other way round
    with pytest.raises(StoreError, match="早于"):
        any_store.save_boundary_lines([_line(length_km=22.0)], on="2025-12-31", actor="i")
    moved = MultiLineString([[(113.9, 33.0), (114.0, 33.06), (114.1, 33.0)]])
    changed = any_store.save_boundary_lines(
        [_line(geometry=moved, length_km=21.5, note="勘界调整")], on="2026-03-01", actor="bob"
    )
    assert changed.updated == 1
    current = any_store.get_boundary_line(LINE_ID)
    assert (current.version, current.valid_from, current.valid_to) == (2, "2026-03-01", None)
    assert current.geometry.equals(moved) and current.internal is True
    first = any_store.get_boundary_line(LINE_ID, version=1)
    assert first.valid_to == "2026-03-01" and first.geometry.geom_type == "MultiLineString"
    assert first.geometry.equals(MultiLineString([_TRACK])) and first.created_by == "inspector"
    assert any_store.get_boundary_line(LINE_ID, version=9) is None
    assert any_store.get_boundary_line("nope") is None
    assert [v.version for v in any_store.boundary_line_versions(LINE_ID)] == [1, 2]
    audit = any_store.audit_entries(entity="boundary_lines", key=LINE_ID)
    assert audit[0].before["version"] == 1 and audit[0].after["geometry"]["type"]
    with pytest.raises(StoreError, match="早于"):
        any_store.close_boundary_lines([LINE_ID], on="2026-02-01", actor="bob")
    assert any_store.close_boundary_lines([LINE_ID, "nope"], on="2026-06-01", actor="bob") == 1
    assert any_store.get_boundary_line(LINE_ID) is None
    assert any_store.audit_entries(entity="boundary_lines")[0].after["valid_to"] == "2026-06-01"
    assert [x.line_id for x in any_store.query_boundary_lines()] == ["411702-411721"]
    everything = any_store.query_boundary_lines(current_only=False, with_geometry=False)
    assert [(x.line_id, x.version) for x in everything] == [
        ("411702-411721", 1), (LINE_ID, 1), (LINE_ID, 2),
    ]  # fmt: skip
    assert all(x.geometry is None for x in everything)
    assert any_store.query_boundary_lines(division_prefix="411722") == []
    found = any_store.query_boundary_lines(division_prefix="4117", level="edge", source="derived")
    assert [x.internal for x in found] == [False]
    assert any_store.query_boundary_lines(current_only=False, division_prefix="411722")


def test_heights_are_left_out_as_on_the_geopackage(any_store) -> None:
    """A surveyed line, a marker or a name read from a 3-D file is stored as its 2-D footprint
    (every layer is two-dimensional), not refused by the server's typed columns."""
    any_store.save_boundary_lines(
        [_line(geometry=LineString([(113.9, 33.0, 80.0), (114.1, 33.0, 95.5)]))],
        on="2026-01-05", actor="inspector",
    )  # fmt: skip
    line = any_store.get_boundary_line(LINE_ID).geometry
    assert not line.has_z and line.equals(MultiLineString([[(113.9, 33.0), (114.1, 33.0)]]))
    any_store.add_markers([_marker(1, location=Point(114.0, 33.05, 120.0))], actor="inspector")
    location = any_store.get_marker(f"{LINE_ID}-001Q").location
    assert not location.has_z and location.equals(Point(114.0, 33.05))
    any_store.upsert_names([_name(geometry=Point(114.0, 33.0, 75.0))], actor="officer")
    assert any_store.get_name("N0001").geometry.wkt == "POINT (114 33)"


# -- markers -----------------------------------------------------------------------------------
def _marker(serial: int = 1, type_code: str = "Q", line_id: str = LINE_ID, **given) -> Marker:
    kind = "single" if type_code == "Q" else "paired"
    fields = dict(location=Point(114.0 + serial / 1000, 33.05), material="花岗岩",
                  registered_on="2021-05-10")  # fmt: skip
    return Marker(f"{line_id}-{serial:03d}{type_code}", line_id, serial, type_code, kind,
                  **{**fields, **given})  # fmt: skip


def test_markers_are_registered_once_queried_and_retired(any_store) -> None:
    references = (ReferenceObject("电线杆", 45.0, 30.5), ReferenceObject("水井", 120.0, 18.0))
    stored = any_store.add_markers(
        [_marker(1, references=references), _marker(2, "A"), _marker(2, "B", sample=True),
         _marker(1, line_id="411702-411721")],
        actor="inspector",
    )  # fmt: skip
    assert [m.marker_id for m in stored][:2] == [f"{LINE_ID}-001Q", f"{LINE_ID}-002A"]
    first = any_store.get_marker(f"{LINE_ID}-001Q")
    assert first.references == references and first.location.equals(Point(114.001, 33.05))
    assert (first.status, first.sample, first.created_by) == ("active", False, "inspector")
    with pytest.raises(DuplicateError, match="001Q"):
        any_store.add_markers([_marker(3), _marker(1)], actor="inspector")
    assert any_store.get_marker(f"{LINE_ID}-003Q") is None  # the batch wrote nothing
    assert [m.marker_id[-4:] for m in any_store.query_markers(line_id=LINE_ID)] == [
        "001Q", "002A", "002B",
    ]  # fmt: skip
    assert [m.marker_id[-4:] for m in any_store.query_markers(sample=True)] == ["002B"]
    assert len(any_store.query_markers(sample=False)) == 3
    assert [m.line_id for m in any_store.query_markers(line_ids=["411702-411721"])] == [
        "411702-411721"
    ]
    retired = any_store.retire_marker(f"{LINE_ID}-002A", actor="inspector", reason="河道改道")
    assert retired.status == "retired" and retired.updated_at >= retired.created_at
    with pytest.raises(StoreError, match="已停用"):
        any_store.retire_marker(f"{LINE_ID}-002A", actor="inspector", reason="again")
    with pytest.raises(StoreError, match="不存在"):
        any_store.retire_marker("nope", actor="inspector", reason="x")
    assert len(any_store.query_markers(line_id=LINE_ID)) == 2
    assert len(any_store.query_markers(line_id=LINE_ID, include_retired=True)) == 3
    audit = any_store.audit_entries(entity="markers", key=f"{LINE_ID}-002A")
    assert [(e.action, e.note) for e in audit] == [("markers.retire", "河道改道"),
                                                   ("markers.add", "")]  # fmt: skip
    assert any_store.get_marker("nope") is None


# -- rounds, plans and inspection records ------------------------------------------------------
def _plan(year: int = 2026, kind: str = "regular", line_id: str = LINE_ID) -> InspectionPlan:
    left, right = line_id.split("-")
    return InspectionPlan(None, 1, line_id, year, Team(left, ("张三", "王五")), Team(right),
                          kind=kind)  # fmt: skip


def _check(plan_id: int, **given) -> InspectionRecord:
    fields = dict(marker_id=f"{LINE_ID}-001Q", measured=Point(114.0011, 33.0501),
                  gps_accuracy_m=3.5, condition="intact", references_present=2,
                  reference_checks=(True, False), remarks="完好")  # fmt: skip
    return InspectionRecord("", "marker", plan_id, 1, LINE_ID, "2026-05-10", **{**fields, **given})


def test_rounds_and_plans_one_regular_plan_per_line_and_round(any_store) -> None:
    any_store.add_inspection_round(InspectionRound(1, 2021, 2025, "第一轮"), actor="admin")
    any_store.add_inspection_round(InspectionRound(2, 2026, 2030), actor="admin")
    with pytest.raises(DuplicateError, match="第 1 轮"):
        any_store.add_inspection_round(InspectionRound(1, 2021, 2025), actor="admin")
    assert [r.round_no for r in any_store.inspection_rounds()] == [1, 2]
    assert any_store.get_inspection_round(1).title == "第一轮"
    assert any_store.get_inspection_round(9) is None
    plan = any_store.add_inspection_plan(_plan(), actor="admin")
    assert plan.plan_id and plan.left_team.members == ("张三", "王五") and not plan.sample
    with pytest.raises(DuplicateError, match="已列入"):
        any_store.add_inspection_plan(_plan(2027), actor="admin")
    ad_hoc = any_store.add_inspection_plan(_plan(2026, "ad_hoc"), actor="admin")
    other = any_store.add_inspection_plan(_plan(2025, line_id="411702-411721"), actor="admin")
    with pytest.raises(StoreError, match="不存在"):
        any_store.add_inspection_plan(
            InspectionPlan(None, 9, LINE_ID, 2026, Team("411721"), Team("411722")), actor="a"
        )
    changed = any_store.update_inspection_plan(
        plan.plan_id, actor="admin", note="改期", year=2027, right_team=Team("411722", ("李四",))
    )
    assert (changed.year, changed.right_team.members) == (2027, ("李四",))
    assert any_store.get_inspection_plan(plan.plan_id) == changed
    with pytest.raises(StoreError, match="没有字段"):
        any_store.update_inspection_plan(plan.plan_id, actor="admin", line_id="x")
    with pytest.raises(StoreError, match="不存在"):
        any_store.update_inspection_plan(99999, actor="admin", year=2028)
    assert any_store.get_inspection_plan(99999) is None
    ids = [p.plan_id for p in any_store.query_inspection_plans(round_no=1)]
    assert ids == [other.plan_id, ad_hoc.plan_id, plan.plan_id]  # by year, then line
    assert [p.plan_id for p in any_store.query_inspection_plans(kind="ad_hoc")] == [ad_hoc.plan_id]
    assert any_store.query_inspection_plans(year=2027, line_id=LINE_ID) == [changed]
    audit = any_store.audit_entries(entity="inspection_plans", key=str(plan.plan_id))
    assert audit[0].note == "改期" and audit[0].before["year"] == 2026


def _inspected(store) -> int:
    """A round, a regular plan and the marker it checks; the plan's id."""
    store.add_inspection_round(InspectionRound(1, 2026, 2030), actor="admin")
    store.add_markers([_marker(1)], actor="inspector")
    return store.add_inspection_plan(_plan(), actor="admin").plan_id


def _signature(side: str, username: str = "") -> Signature:
    code = "411721" if side == "left" else "411722"
    return Signature(side, code, username or f"{side}1")


def test_records_are_corrected_as_versions_and_final_when_both_sides_sign(any_store) -> None:
    plan_id = _inspected(any_store)
    record = any_store.add_inspection_record(_check(plan_id), actor="left1")
    assert (record.record_id, record.version, record.status) == ("I2026-0001", 1, "draft")
    assert record.measured.equals(Point(114.0011, 33.0501)) and record.reference_checks == (
        True, False,
    )  # fmt: skip
    line_check = any_store.add_inspection_record(
        InspectionRecord("", "line", plan_id, 1, LINE_ID, "2026-05-11",
                         changes=(LineChange("road", "新修乡道穿越界线"),)),
        actor="left1",
    )  # fmt: skip
    assert line_check.record_id == "I2026-0002" and line_check.measured is None
    with pytest.raises(StoreError, match="不存在"):
        any_store.add_inspection_record(_check(99999), actor="left1")
    edited = any_store.revise_inspection_record(
        "I2026-0001", expect_version=1, actor="left1", reason="笔误",
        changes={"condition": "damaged", "measured": Point(114.0012, 33.0502)},
    )  # fmt: skip
    assert (edited.version, edited.condition, edited.reason) == (1, "damaged", "笔误")
    signed = any_store.sign_inspection_record(
        "I2026-0001", version=1, signature=_signature("left"), actor="left1"
    )
    assert signed.status == "draft" and signed.signature("left").username == "left1"
    with pytest.raises(DuplicateError, match="同一方"):
        any_store.sign_inspection_record(
            "I2026-0001", version=1, signature=_signature("left", "other"), actor="o"
        )
    corrected = any_store.revise_inspection_record(
        "I2026-0001", expect_version=1, actor="right1", reason="复测",
        changes={"gps_accuracy_m": 1.5, "changes": [LineChange("other", "界桩倾斜")]},
    )  # fmt: skip
    assert (corrected.version, corrected.status, corrected.signatures) == (2, "draft", ())
    assert corrected.measured.equals(Point(114.0012, 33.0502)) and corrected.changes
    with pytest.raises(StaleRecordError, match="刷新"):  # based on the replaced version
        any_store.revise_inspection_record("I2026-0001", expect_version=1, actor="left1",
                                           reason="x", changes={"remarks": "x"})  # fmt: skip
    with pytest.raises(StaleRecordError, match="最新版本"):
        any_store.sign_inspection_record("I2026-0001", version=1,
                                         signature=_signature("right"), actor="right1")  # fmt: skip
    with pytest.raises(StoreError, match="不能更改字段"):
        any_store.revise_inspection_record("I2026-0001", expect_version=2, actor="left1",
                                           reason="x", changes={"kind": "line"})  # fmt: skip
    for side in ("right", "left"):
        final = any_store.sign_inspection_record(
            "I2026-0001", version=2, signature=_signature(side), actor=f"{side}1"
        )
    assert final.status == "final" and [s.side for s in final.signatures] == ["left", "right"]
    with pytest.raises(StaleRecordError, match="双方签字"):
        any_store.revise_inspection_record("I2026-0001", expect_version=2, actor="left1",
                                           reason="x", changes={"remarks": "x"})  # fmt: skip
    with pytest.raises(StoreError, match="第 7 版"):
        any_store.sign_inspection_record("I2026-0001", version=7,
                                         signature=_signature("left"), actor="o")  # fmt: skip
    versions = any_store.inspection_record_versions("I2026-0001")
    assert [(v.version, v.status, len(v.signatures)) for v in versions] == [
        (1, "superseded", 1), (2, "final", 2),
    ]  # fmt: skip
    assert any_store.get_inspection_record("I2026-0001", 1).condition == "damaged"
    assert any_store.get_inspection_record("I2026-0001").version == 2
    assert any_store.get_inspection_record("I2099-0001") is None
    assert [(r.record_id, r.version) for r in any_store.query_inspection_records()] == [
        ("I2026-0001", 2), ("I2026-0002", 1),
    ]  # fmt: skip
    every = any_store.query_inspection_records(plan_id=plan_id, include_superseded=True)
    assert len(every) == 3
    assert any_store.query_inspection_records(kind="line", marker_id=None)[0].changes == (
        LineChange("road", "新修乡道穿越界线"),
    )
    finals = any_store.query_inspection_records(
        round_no=1, line_id=LINE_ID, marker_id=f"{LINE_ID}-001Q", status="final"
    )
    assert [r.version for r in finals] == [2]
    actions = [e.action for e in any_store.audit_entries(entity="inspection_records")]
    assert actions.count("inspections.sign") == 3 and "inspections.correct" in actions
    assert "inspections.edit" in actions and actions.count("inspections.add") == 2


def test_photos_of_markers_and_records_keep_content_and_a_thumbnail(any_store) -> None:
    from tests.sample_files import jpeg_bytes

    plan_id = _inspected(any_store)
    record = any_store.add_inspection_record(_check(plan_id), actor="left1")
    big = jpeg_bytes(800, 600)
    marker_photo = any_store.add_boundary_photo(
        BoundaryPhoto("marker", f"{LINE_ID}-001Q", "界桩.jpg", big, note="正面"), actor="left1"
    )
    assert marker_photo.id and marker_photo.content is None and marker_photo.size == len(big)
    assert marker_photo.uploaded_by == "left1" and len(marker_photo.sha256) == 64
    any_store.add_boundary_photo(
        BoundaryPhoto("inspection", record.record_id, "现场.jpg", b"not a picture"), actor="l"
    )
    (listed,) = any_store.boundary_photos("marker", f"{LINE_ID}-001Q")
    assert listed == marker_photo and listed.content is None
    assert any_store.boundary_photos("marker", f"{LINE_ID}-001Q", with_content=True)[0].content
    assert any_store.get_boundary_photo(marker_photo.id).content == big
    assert any_store.get_boundary_photo(99999) is None
    small = any_store.boundary_photo_thumbnail(marker_photo.id)
    assert small[:2] == b"\xff\xd8" and len(small) < len(big)
    (other,) = any_store.boundary_photos("inspection", record.record_id)
    assert any_store.boundary_photo_thumbnail(other.id) is None  # no picture: no thumbnail
    assert any_store.boundary_photo_thumbnail(99999) is None
    for photo, message in (
        (BoundaryPhoto("marker", "nope", "x.jpg", big), "不存在"),
        (BoundaryPhoto("sign", "S1", "x.jpg", big), "未知的照片归属"),
        (BoundaryPhoto("marker", f"{LINE_ID}-001Q", "x.jpg", b""), "为空"),
    ):
        with pytest.raises(StoreError, match=message):
            any_store.add_boundary_photo(photo, actor="left1")
    audit = any_store.audit_entries(entity="markers", key=f"{LINE_ID}-001Q")
    assert audit[0].action == "photos.add" and audit[0].note == "正面"


# -- two writers racing a rule decided in the writing transaction -------------------------------
def _race(store, first: Callable[[], Any], second: Callable[[], Any]) -> list[Any]:
    """Run ``first`` in a transaction that stays open 0.5 s after it wrote, and ``second`` in
    another thread meanwhile; each one's result or exception."""
    outcomes: list[Any] = [None, None]
    wrote = threading.Event()

    def run(i: int, step: Callable[[], Any]) -> None:
        try:
            if i == 0:
                with store.transaction():
                    outcomes[0] = step()
                    wrote.set()
                    time.sleep(0.5)
            else:
                wrote.wait(10)
                outcomes[1] = step()
        except Exception as exc:  # the outcome under test
            outcomes[i] = exc
        finally:
            wrote.set()

    threads = [threading.Thread(target=run, args=(i, s)) for i, s in enumerate((first, second))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    return outcomes


def test_two_sides_signing_at_once_make_the_record_final(any_store) -> None:
    plan_id = _inspected(any_store)
    any_store.add_inspection_record(_check(plan_id), actor="left1")

    def sign(side: str) -> Callable[[], Any]:
        return lambda: any_store.sign_inspection_record(
            "I2026-0001", version=1, signature=_signature(side), actor=f"{side}1"
        )

    outcomes = _race(any_store, sign("left"), sign("right"))
    assert all(isinstance(o, InspectionRecord) for o in outcomes), outcomes
    stored = any_store.get_inspection_record("I2026-0001")
    assert stored.status == "final" and len(stored.signatures) == 2


def test_racing_corrections_of_one_version_one_wins_the_other_is_stale(any_store) -> None:
    plan_id = _inspected(any_store)
    any_store.add_inspection_record(_check(plan_id), actor="left1")
    any_store.sign_inspection_record("I2026-0001", version=1, signature=_signature("left"),
                                     actor="left1")  # fmt: skip

    def correct(remarks: str) -> Callable[[], Any]:
        return lambda: any_store.revise_inspection_record(
            "I2026-0001", expect_version=1, actor="right1", reason="复测",
            changes={"remarks": remarks},
        )  # fmt: skip

    won, lost = _race(any_store, correct("甲"), correct("乙"))
    assert won.version == 2 and isinstance(lost, StaleRecordError), lost
    versions = any_store.inspection_record_versions("I2026-0001")
    assert [(v.version, v.status, v.remarks) for v in versions] == [
        (1, "superseded", "完好"), (2, "draft", "甲"),
    ]  # fmt: skip


def test_racing_registers_of_one_marker_number_one_wins_nothing_half_written(any_store) -> None:
    outcomes = _race(
        any_store,
        lambda: any_store.add_markers([_marker(1), _marker(5)], actor="a"),
        lambda: any_store.add_markers([_marker(2), _marker(5)], actor="b"),
    )
    assert len(outcomes[0]) == 2 and isinstance(outcomes[1], DuplicateError), outcomes
    assert [m.serial for m in any_store.query_markers()] == [1, 5]  # not serial 2
    assert [e.actor for e in any_store.audit_entries(entity="markers")] == ["a", "a"]
