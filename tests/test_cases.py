"""Naming/renaming cases (命名更名) on the real Zhumadian demo store: the whole workflow, the
status and date checks, the heritage block (rule 6), overdue alerts (rule 7), the notice."""

from __future__ import annotations

import hashlib
import re

import pytest

from geociv.errors import ValidationError
from geociv.gazetteer.cases import REQUIRED_DOCUMENTS, Cases, CaseStatusError
from geociv.gazetteer.names import Gazetteer
from geociv.store import NameCase, Store
from tests.sample_files import docx_bytes

#: 任张楼村, a village of 板桥镇 (驿城区), and the township itself.
VILLAGE = "D411702102211"
TOWNSHIP = "D411702102"
OFFICER = "officer1"


@pytest.fixture
def cases(demo_store: Store) -> Cases:
    return Cases(demo_store, Gazetteer(demo_store))


def _apply_renaming(
    cases: Cases, name_id: str = VILLAGE, new: str = "新张楼村", on: str = "2025-03-03"
) -> NameCase:
    return cases.apply(
        "renaming",
        new,
        name_id=name_id,
        applicant="板桥镇人民政府",
        location="板桥镇东北部，京港澳高速以西",
        reason="村名与邻村易混",
        actor=OFFICER,
        on=on,
    )


def _attach_reports(cases: Cases, case_id: str) -> None:
    for doc_type in REQUIRED_DOCUMENTS:
        cases.attach(
            case_id, doc_type, f"{doc_type}.pdf", b"%PDF-1.7 " + doc_type.encode(), actor=OFFICER
        )


def _approved(cases: Cases, case: NameCase, approved_on: str) -> NameCase:
    _attach_reports(cases, case.case_id)
    cases.review(case.case_id, actor=OFFICER, on=case.date_of("apply"))
    return cases.approve(
        case.case_id, approving_body="驿城区人民政府", actor="admin1", on=approved_on
    )


def test_renaming_a_village_through_the_whole_workflow(demo_store: Store, cases: Cases) -> None:
    old = demo_store.get_name(VILLAGE)
    assert old.name == "任张楼村"
    case = _apply_renaming(cases)
    assert re.fullmatch(r"C2025-\d{4}", case.case_id)
    assert (case.status, case.old_name, case.division_code) == ("applied", "任张楼村", "411702102")
    _attach_reports(cases, case.case_id)
    assert cases.check(case.case_id) == []
    case = cases.review(case.case_id, actor=OFFICER, on="2025-03-10", note="材料齐全")
    assert case.status == "reviewed"
    assert case.review["pinyin"] == "Xīnzhānglóu Cūn"
    assert case.review["counts"]["error"] == 0
    assert case.review["documents"] == ["assessment", "consultation", "expert"]
    case = cases.approve(
        case.case_id, approving_body="驿城区人民政府", actor="admin1", on="2025-03-20"
    )
    assert demo_store.get_name(VILLAGE).name == "任张楼村"  # not renamed before it takes effect
    case = cases.file(case.case_id, filed_with="驻马店市民政局", actor=OFFICER, on="2025-03-25")
    case = cases.publish(case.case_id, actor=OFFICER, on="2025-03-28")
    case = cases.effective(case.case_id, actor=OFFICER, on="2025-04-01")

    assert case.status == "effective"
    assert [(s.step, s.on, s.actor) for s in case.steps] == [
        ("apply", "2025-03-03", OFFICER),
        ("review", "2025-03-10", OFFICER),
        ("approve", "2025-03-20", "admin1"),
        ("file", "2025-03-25", OFFICER),
        ("publish", "2025-03-28", OFFICER),
        ("effective", "2025-04-01", OFFICER),
    ]
    assert case.step("review").note == "材料齐全"
    assert (case.approving_body, case.filed_with) == ("驿城区人民政府", "驻马店市民政局")
    renamed = demo_store.get_name(VILLAGE)
    assert (renamed.name, renamed.specific, renamed.generic) == ("新张楼村", "新张楼", "村")
    assert renamed.pinyin == "Xīnzhānglóu Cūn"
    former = demo_store.former_names(VILLAGE)
    assert [(f.name, f.pinyin, f.valid_to, f.case_id) for f in former] == [
        ("任张楼村", "Rènzhānglóu Cūn", "2025-04-01", case.case_id)
    ]
    # every step and every document audited, attributed to its actor
    entries = demo_store.audit_entries(entity="name_cases", limit=50)
    actions = [e.action for e in reversed(entries)]
    assert actions == [
        "cases.apply",
        "cases.document",
        "cases.document",
        "cases.document",
        "cases.review",
        "cases.approve",
        "cases.file",
        "cases.publish",
        "cases.effective",
    ]
    approve = next(e for e in entries if e.action == "cases.approve")
    assert approve.actor == "admin1"
    assert (approve.before["status"], approve.after["status"]) == ("reviewed", "approved")
    assert cases.get(case.case_id) == case
    assert cases.overdue(today="2025-12-31") == []
    assert [c.case_id for c in cases.query(status="effective")] == [case.case_id]


def test_case_ids_are_serial_per_year_and_stable(cases: Cases) -> None:
    first = _apply_renaming(cases)
    second = cases.apply(
        "naming",
        "天中路",
        category="road",
        division_code="411702",
        applicant="驿城区住建局",
        location="东起开源大道，西至雪松大道",
        actor=OFFICER,
        on="2025-05-06",
    )
    third = cases.apply(
        "命名",
        "雪松路",
        category="road",
        division_code="411702",
        applicant="驿城区住建局",
        location="北起天中路",
        actor=OFFICER,
        on="2024-12-30",
    )
    assert (first.case_id, second.case_id, third.case_id) == (
        "C2025-0001",
        "C2025-0002",
        "C2024-0001",
    )
    assert cases.get("C2025-0001").proposed_name == "新张楼村"


def test_a_step_in_the_wrong_status_names_the_status(demo_store: Store, cases: Cases) -> None:
    case = _apply_renaming(cases)
    with pytest.raises(CaseStatusError, match=r"当前状态为“已申请”，批准需要状态“已审核”"):
        cases.approve(case.case_id, approving_body="驿城区人民政府", actor=OFFICER)
    with pytest.raises(CaseStatusError, match="已申请"):
        cases.effective(case.case_id, actor=OFFICER)
    with pytest.raises(LookupError, match="C2099-0001"):
        cases.publish("C2099-0001", actor=OFFICER)
    assert demo_store.get_case(case.case_id).status == "applied"
    assert len(demo_store.get_case(case.case_id).steps) == 1


def test_review_needs_the_three_reports_and_lists_every_missing_one(
    demo_store: Store, cases: Cases
) -> None:
    case = _apply_renaming(cases)
    cases.attach(case.case_id, "综合评估报告", "评估.pdf", b"report", actor=OFFICER)
    before = len(demo_store.audit_entries(limit=10_000))
    with pytest.raises(ValidationError) as err:
        cases.review(case.case_id, actor=OFFICER, on="2025-03-10")
    messages = [p.message for p in err.value.problems]
    assert messages == ["缺少专家论证报告", "缺少征求意见报告"]
    assert all(p.field == "documents" for p in err.value.problems)
    assert demo_store.get_case(case.case_id).status == "applied"
    assert len(demo_store.audit_entries(limit=10_000)) == before
    assert len(cases.check(case.case_id)) == 2


def test_review_is_stopped_by_errors_unless_an_officer_accepts_them(
    demo_store: Store, cases: Cases
) -> None:
    case = _apply_renaming(cases, new="关刘庄村")  # another village of the same township
    _attach_reports(cases, case.case_id)
    with pytest.raises(ValidationError, match="N2-DUPLICATE"):
        cases.review(case.case_id, actor=OFFICER, on="2025-03-10")
    assert demo_store.finding_overrides() == []
    with pytest.raises(ValidationError) as err:  # a reason is required, nothing written
        cases.review(case.case_id, actor=OFFICER, on="2025-03-10", accept={"N2-DUPLICATE": " "})
    assert [p.field for p in err.value.problems] == ["accept", "name"]
    assert demo_store.finding_overrides() == []
    reviewed = cases.review(
        case.case_id,
        actor=OFFICER,
        on="2025-03-10",
        accept={"N2-DUPLICATE": "两村合并，沿用关刘庄村名"},
    )
    assert reviewed.status == "reviewed"
    dup = next(f for f in reviewed.review["findings"] if f["rule"] == "N2-DUPLICATE")
    assert dup["accepted"] and dup["reason"] == "两村合并，沿用关刘庄村名"
    assert [(o.name, o.rule_id, o.actor) for o in demo_store.finding_overrides()] == [
        ("关刘庄村", "N2-DUPLICATE", OFFICER)
    ]


def test_dates_are_iso_not_in_the_future_and_not_before_the_previous_step(
    demo_store: Store, cases: Cases
) -> None:
    case = _apply_renaming(cases, on="2025-03-03")
    _attach_reports(cases, case.case_id)
    for bad, expected in (
        ("2025-03-02", "早于申请日期 2025-03-03"),
        ("2025/03/10", "YYYY-MM-DD"),
        ("2025-02-30", "不存在"),
        ("2999-01-01", "晚于今天"),
    ):
        with pytest.raises(ValidationError, match=expected):
            cases.review(case.case_id, actor=OFFICER, on=bad)
    cases.review(case.case_id, actor=OFFICER, on="2025-03-03")  # same day is fine
    with pytest.raises(ValidationError) as err:
        cases.approve(case.case_id, approving_body=" ", actor=OFFICER, on="2025-03-01")
    assert [p.field for p in err.value.problems] == ["on", "approving_body"]
    assert demo_store.get_case(case.case_id).status == "reviewed"


def test_application_problems_are_reported_all_at_once(demo_store: Store, cases: Cases) -> None:
    before = len(demo_store.audit_entries(limit=10_000))
    with pytest.raises(ValidationError) as err:
        cases.apply(
            "naming",
            " ",
            category="castle",
            division_code="411799",
            applicant="",
            location="",
            actor=OFFICER,
            on="2025-13-01",
        )
    assert sorted(p.field for p in err.value.problems) == [
        "applicant",
        "category",
        "division_code",
        "location",
        "on",
        "proposed_name",
    ]
    with pytest.raises(ValidationError) as err:
        cases.apply("merging", "新村", applicant="x", location="y", actor=OFFICER, on="2025-03-03")
    assert [p.field for p in err.value.problems] == ["kind"]
    with pytest.raises(ValidationError, match="未找到地名记录 D000"):
        cases.apply("renaming", "新村", name_id="D000", applicant="x", location="y", actor=OFFICER)
    with pytest.raises(ValidationError, match="相同"):
        _apply_renaming(cases, new="任张楼村")
    assert demo_store.query_cases() == []
    assert len(demo_store.audit_entries(limit=10_000)) == before


def test_one_open_renaming_case_per_name(cases: Cases) -> None:
    first = _apply_renaming(cases)
    with pytest.raises(ValidationError, match=f"已有在办的更名案件：{first.case_id}"):
        _apply_renaming(cases, new="张楼新村")


def test_renaming_a_heritage_name_needs_protection_measures(
    demo_store: Store, cases: Cases
) -> None:
    cases.gazetteer.update(TOWNSHIP, actor="admin1", heritage_level="千年古镇")
    case = _apply_renaming(cases, name_id=TOWNSHIP, new="板桥新镇")
    _attach_reports(cases, case.case_id)
    with pytest.raises(ValidationError, match="N6-HERITAGE") as err:
        cases.review(case.case_id, actor=OFFICER, on="2025-03-10")
    assert "千年古镇" in str(err.value) and "须附保护措施" in str(err.value)
    assert cases.check(case.case_id)[0].message.startswith("[N6-HERITAGE]")
    with pytest.raises(ValidationError):  # cannot be accepted away
        cases.review(
            case.case_id, actor=OFFICER, on="2025-03-10", accept={"N6-HERITAGE": "领导同意"}
        )
    cases.attach(case.case_id, "保护措施", "保护方案.docx", docx_bytes(), actor=OFFICER)
    reviewed = cases.review(case.case_id, actor=OFFICER, on="2025-03-10")
    assert reviewed.review["heritage_level"] == "千年古镇"
    assert (
        cases.approve(
            case.case_id, approving_body="驻马店市人民政府", actor="admin1", on="2025-03-15"
        ).status
        == "approved"
    )


def test_heritage_listed_after_review_still_blocks_approval(
    demo_store: Store, cases: Cases
) -> None:
    case = _apply_renaming(cases)
    _attach_reports(cases, case.case_id)
    cases.review(case.case_id, actor=OFFICER, on="2025-03-10")
    cases.gazetteer.update(VILLAGE, actor="admin1", heritage_level="千年古村落")
    with pytest.raises(ValidationError, match="N6-HERITAGE"):
        cases.approve(case.case_id, approving_body="驿城区人民政府", actor="admin1")
    assert demo_store.get_case(case.case_id).status == "reviewed"


def test_overdue_filing_and_publication_found_with_back_dated_approval(cases: Cases) -> None:
    late = _approved(cases, _apply_renaming(cases, on="2025-01-02"), "2025-01-03")
    cases.file(late.case_id, filed_with="驻马店市民政局", actor=OFFICER, on="2025-02-01")
    prompt = _approved(
        cases,
        cases.apply(
            "naming",
            "天中路",
            category="road",
            division_code="411702",
            applicant="驿城区住建局",
            location="东起开源大道，西至雪松大道",
            actor=OFFICER,
            on="2025-01-05",
        ),
        "2025-01-06",
    )
    cases.file(prompt.case_id, filed_with="驻马店市民政局", actor=OFFICER, on="2025-01-20")
    cases.publish(prompt.case_id, actor=OFFICER, on="2025-01-21")

    assert cases.overdue(today="2025-01-18") == []  # 15 days after approval: not yet overdue
    found = cases.overdue(today="2025-03-01")
    assert [(o.case_id, o.step, o.done_on, o.days) for o in found] == [
        (late.case_id, "file", "2025-02-01", 29),
        (late.case_id, "publish", None, 57),
    ]
    assert {o.finding.rule_id for o in found} == {"N7-OVERDUE"}
    assert "相隔 29 天" in found[0].finding.message
    assert "已 57 天仍未公告" in found[1].finding.message
    assert found[0].finding.related == (late.case_id,)
    assert found[1].to_dict()["step_label"] == "公告"
    with pytest.raises(ValidationError, match="YYYY-MM-DD"):
        cases.overdue(today="2025-3-1")


def test_naming_creates_the_record_at_approval_and_publishes_it_when_effective(
    demo_store: Store, cases: Cases
) -> None:
    case = cases.apply(
        "naming",
        "天中路",
        category="road",
        division_code="411702",
        applicant="驿城区住建局",
        location="东起开源大道，西至雪松大道",
        actor=OFFICER,
        on="2025-05-06",
    )
    assert demo_store.query_names(name="天中路") == []
    case = _approved(cases, case, "2025-05-20")
    record = demo_store.get_name(case.name_id)
    assert (record.name, record.status, record.category) == ("天中路", "approved", "road")
    assert record.source == f"命名案件 {case.case_id}"
    cases.file(case.case_id, filed_with="驻马店市民政局", actor=OFFICER, on="2025-05-25")
    cases.publish(case.case_id, actor=OFFICER, on="2025-05-26")
    cases.effective(case.case_id, actor=OFFICER, on="2025-06-01")
    assert demo_store.get_name(case.name_id).status == "published"
    assert demo_store.former_names(case.name_id) == []


def test_notice_fields_and_printable_html(cases: Cases) -> None:
    case = _approved(cases, _apply_renaming(cases), "2025-03-20")
    cases.file(case.case_id, filed_with="驻马店市民政局", actor=OFFICER, on="2025-03-25")
    cases.publish(case.case_id, actor=OFFICER, on="2025-03-28")
    notice = cases.notice(case.case_id)
    assert {
        k: notice[k]
        for k in (
            "title",
            "standard_name",
            "pinyin",
            "old_name",
            "division_name",
            "division_code",
            "division_full_name",
            "location",
            "approving_body",
            "approval_date",
            "case_id",
            "notice_date",
        )
    } == {
        "title": "关于任张楼村更名为新张楼村的公告",
        "standard_name": "新张楼村",
        "pinyin": "Xīnzhānglóu Cūn",
        "old_name": "任张楼村",
        "division_name": "板桥镇",
        "division_code": "411702102",
        "division_full_name": "驻马店市驿城区板桥镇",
        "location": "板桥镇东北部，京港澳高速以西",
        "approving_body": "驿城区人民政府",
        "approval_date": "2025-03-20",
        "case_id": case.case_id,
        "notice_date": "2025-03-28",
    }
    page = cases.notice_html(case.case_id)
    assert page.startswith("<!DOCTYPE html>") and 'lang="zh-CN"' in page
    assert "<h1>关于任张楼村更名为新张楼村的公告</h1>" in page
    assert "size: A4" in page
    for shown in ("新张楼村", "Xīnzhānglóu Cūn", "板桥镇（代码 411702102）", "2025年3月20日"):
        assert shown in page
    signature = page.split('class="signature"')[1]
    assert "驿城区人民政府" in signature and "2025年3月28日" in signature
    assert not re.search(r"<(link|script|img)\b|https?://|url\(", page)  # no external assets


def test_notice_of_a_naming_case_before_publication_uses_the_given_date(cases: Cases) -> None:
    case = cases.apply(
        "naming",
        "天中路",
        category="road",
        division_code="411702",
        applicant="驿城区住建局",
        location="东起<开源大道>",
        actor=OFFICER,
        on="2025-05-06",
    )
    case = _approved(cases, case, "2025-05-20")
    notice = cases.notice(case.case_id, on="2025-05-22")
    assert notice["title"] == "关于天中路命名的公告"
    assert (notice["pinyin"], notice["notice_date"]) == ("Tiānzhōng Lù", "2025-05-22")
    page = cases.notice_html(case.case_id, on="2025-05-22")
    assert "东起&lt;开源大道&gt;" in page and "原名称" not in page


def test_notice_is_refused_before_approval(cases: Cases) -> None:
    case = _apply_renaming(cases)
    with pytest.raises(CaseStatusError, match=r"已申请.*批准后才能生成公告"):
        cases.notice(case.case_id)
    _attach_reports(cases, case.case_id)
    cases.review(case.case_id, actor=OFFICER, on="2025-03-10")
    with pytest.raises(CaseStatusError, match="已审核"):
        cases.notice_html(case.case_id)


def test_documents_are_stored_with_their_bytes_and_never_replaced(
    demo_store: Store, cases: Cases
) -> None:
    case = _apply_renaming(cases)
    content = "专家论证意见：同意更名。".encode()
    doc = cases.attach(
        case.case_id, "expert", r"C:\材料\专家论证.pdf", content, actor=OFFICER, note="第一稿"
    )
    again = cases.attach(case.case_id, "expert", "专家论证-修订.pdf", b"v2", actor="admin1")
    assert (doc.filename, doc.size, doc.uploaded_by) == ("专家论证.pdf", len(content), OFFICER)
    assert doc.sha256 == hashlib.sha256(content).hexdigest()
    stored = cases.document(doc.id)
    assert stored.content == content and stored.note == "第一稿"
    assert [d.filename for d in cases.documents(case.case_id)] == [
        "专家论证.pdf",
        "专家论证-修订.pdf",
    ]
    assert all(d.content is None for d in cases.documents(case.case_id))
    assert again.uploaded_by == "admin1"
    with pytest.raises(ValidationError) as err:
        cases.attach("C1999-0001", "photo", " ", b"", actor=OFFICER)
    assert [p.field for p in err.value.problems] == ["case_id", "doc_type", "filename", "content"]
    assert len(cases.documents(case.case_id)) == 2
    audit = demo_store.audit_entries(entity="name_cases", limit=1)[0]
    assert audit.action == "cases.document" and "content" not in audit.after


def test_concurrent_applications_get_distinct_serial_ids(cases: Cases) -> None:
    from concurrent.futures import ThreadPoolExecutor

    def apply(i: int) -> str:
        return cases.apply(
            "naming",
            f"纬{'一二三四五六七八'[i]}路",
            category="road",
            division_code="411702",
            applicant="驿城区住建局",
            location="新区",
            actor=f"u{i}",
            on="2025-05-06",
        ).case_id

    with ThreadPoolExecutor(4) as pool:
        ids = list(pool.map(apply, range(8)))
    assert sorted(ids) == [f"C2025-{n:04d}" for n in range(1, 9)]


# -- closing without effect: withdrawal (撤回) and refusal (不予批准) ----------------------------


def _naming(cases: Cases, on: str = "2025-05-06") -> NameCase:
    return cases.apply(
        "naming",
        "天中路",
        category="road",
        division_code="411702",
        applicant="驿城区住建局",
        location="东起开源大道，西至雪松大道",
        actor=OFFICER,
        on=on,
    )


def _gazetteer_state(store: Store, name_id: str) -> tuple[object, ...]:
    """What a closed case must not change: the record as stored, its former names, the
    gazetteer's audit trail and the records named 天中路/新张楼村."""
    record = store.get_name(name_id)
    return (
        record,
        record.updated_at,
        store.former_names(name_id),
        len(store.audit_entries(entity="names", limit=100_000)),
        store.query_names(name="天中路"),
        store.query_names(name="新张楼村"),
    )


@pytest.mark.parametrize("step", ["withdraw", "reject"])
@pytest.mark.parametrize("reviewed", [False, True], ids=["applied", "reviewed"])
def test_a_renaming_case_is_closed_before_approval_and_the_old_name_stays(
    demo_store: Store, cases: Cases, step: str, reviewed: bool
) -> None:
    case = _apply_renaming(cases)
    _attach_reports(cases, case.case_id)
    if reviewed:
        case = cases.review(case.case_id, actor=OFFICER, on="2025-03-10")
    before = _gazetteer_state(demo_store, VILLAGE)
    close = cases.withdraw if step == "withdraw" else cases.reject
    closed = close(
        case.case_id, reason="  申请人来函撤回  ", actor="admin1", on="2025-03-12", note="来函存档"
    )
    status = {"withdraw": "withdrawn", "reject": "rejected"}[step]
    assert (closed.status, closed.close_reason) == (status, "申请人来函撤回")
    assert not closed.is_open and closed.closed == closed.step(step)
    assert (closed.step(step).on, closed.step(step).actor, closed.step(step).note) == (
        "2025-03-12",
        "admin1",
        "来函存档",
    )
    assert [s.step for s in closed.steps] == ["apply", *(["review"] if reviewed else []), step]
    assert cases.get(case.case_id) == closed and closed.close_reason == "申请人来函撤回"
    assert [c.case_id for c in cases.query(status=status)] == [case.case_id]
    # the gazetteer is not touched: 任张楼村 is still the standard name, no former name
    assert _gazetteer_state(demo_store, VILLAGE) == before
    assert demo_store.get_name(VILLAGE).name == "任张楼村"
    # audited with before and after, attributed to the actor
    entry = demo_store.audit_entries(entity="name_cases", limit=1)[0]
    assert (entry.action, entry.actor, entry.entity_key) == (
        f"cases.{step}",
        "admin1",
        case.case_id,
    )
    assert entry.before["status"] == ("reviewed" if reviewed else "applied")
    assert (entry.after["status"], entry.after["close_reason"]) == (status, "申请人来函撤回")
    assert entry.note == "来函存档"
    # a closed case is not an open case on the record: a new renaming can be applied for
    again = _apply_renaming(cases, new="张楼村", on="2025-03-15")
    assert again.status == "applied" and again.case_id != case.case_id


def test_a_naming_case_refused_at_approval_registers_no_name(
    demo_store: Store, cases: Cases
) -> None:
    case = _naming(cases)
    _attach_reports(cases, case.case_id)
    case = cases.review(case.case_id, actor=OFFICER, on="2025-05-07")
    names_before = len(demo_store.audit_entries(entity="names", limit=100_000))
    refused = cases.reject(
        case.case_id, reason="与规划路网不符，不予批准", actor="admin1", on="2025-05-10"
    )
    assert (refused.status, refused.name_id) == ("rejected", None)
    assert demo_store.query_names(name="天中路") == []
    assert len(demo_store.audit_entries(entity="names", limit=100_000)) == names_before
    with pytest.raises(CaseStatusError, match="批准后才能生成公告"):
        cases.notice(case.case_id)
    assert cases.overdue(today="2025-12-31") == []


def test_a_closed_case_takes_no_further_step(demo_store: Store, cases: Cases) -> None:
    case = _naming(cases)
    _attach_reports(cases, case.case_id)
    cases.withdraw(case.case_id, reason="申请人撤回", actor=OFFICER, on="2025-05-08")
    entries = len(demo_store.audit_entries(entity="name_cases", limit=1000))
    refusals = [
        lambda: cases.review(case.case_id, actor=OFFICER, on="2025-05-09"),
        lambda: cases.approve(case.case_id, approving_body="驿城区人民政府", actor=OFFICER),
        lambda: cases.file(case.case_id, filed_with="驻马店市民政局", actor=OFFICER),
        lambda: cases.publish(case.case_id, actor=OFFICER),
        lambda: cases.effective(case.case_id, actor=OFFICER),
        lambda: cases.withdraw(case.case_id, reason="再撤回", actor=OFFICER),
        lambda: cases.reject(case.case_id, reason="不予批准", actor=OFFICER),
    ]
    for attempt in refusals:
        with pytest.raises(
            CaseStatusError, match=r"已于 2025-05-08 撤回（理由：申请人撤回），已办结"
        ):
            attempt()
    stored = demo_store.get_case(case.case_id)
    assert stored.status == "withdrawn" and [s.step for s in stored.steps] == ["apply", "withdraw"]
    assert len(demo_store.audit_entries(entity="name_cases", limit=1000)) == entries
    assert demo_store.query_names(name="天中路") == []
    # documents can still be kept with it (the withdrawal letter)
    doc = cases.attach(case.case_id, "other", "撤回函.pdf", b"%PDF-1.7", actor=OFFICER)
    assert doc.case_id == case.case_id


@pytest.mark.parametrize("step", ["withdraw", "reject"])
def test_closing_is_refused_once_approved_or_effective(
    demo_store: Store, cases: Cases, step: str
) -> None:
    case = _approved(cases, _apply_renaming(cases), "2025-03-20")
    close = cases.withdraw if step == "withdraw" else cases.reject
    label = {"withdraw": "撤回", "reject": "不予批准"}[step]
    refused = rf"当前状态为“已批准”，只有“已申请”、“已审核”.*才能{label}"
    with pytest.raises(CaseStatusError, match=refused):
        close(case.case_id, reason="理由", actor=OFFICER, on="2025-03-21")
    cases.file(case.case_id, filed_with="驻马店市民政局", actor=OFFICER, on="2025-03-25")
    cases.publish(case.case_id, actor=OFFICER, on="2025-03-28")
    cases.effective(case.case_id, actor=OFFICER, on="2025-04-01")
    with pytest.raises(CaseStatusError, match="已于 2025-04-01 生效，已办结"):
        close(case.case_id, reason="理由", actor=OFFICER)
    stored = demo_store.get_case(case.case_id)
    assert stored.status == "effective" and stored.close_reason == ""
    assert demo_store.get_name(VILLAGE).name == "新张楼村"


@pytest.mark.parametrize("step", ["withdraw", "reject"])
def test_closing_needs_a_reason_and_a_valid_date(
    demo_store: Store, cases: Cases, step: str
) -> None:
    case = _apply_renaming(cases, on="2025-03-03")
    close = cases.withdraw if step == "withdraw" else cases.reject
    label = {"withdraw": "撤回", "reject": "不予批准"}[step]
    for reason in ("", "   "):
        with pytest.raises(ValidationError) as caught:
            close(case.case_id, reason=reason, actor=OFFICER, on="2025-03-05")
        assert [(p.field, p.message) for p in caught.value.problems] == [
            ("reason", f"{label}理由不能为空")
        ]
        assert caught.value.title == f"案件 {case.case_id} 不能{label}"
    with pytest.raises(ValidationError) as caught:
        close(case.case_id, reason="", actor=OFFICER, on="2025-03-01")  # before the application
    assert {p.field for p in caught.value.problems} == {"on", "reason"}
    assert "早于申请日期 2025-03-03" in str(caught.value.problems)
    with pytest.raises(ValidationError, match="晚于今天"):
        close(case.case_id, reason="理由", actor=OFFICER, on="2999-01-01")
    stored = demo_store.get_case(case.case_id)
    assert stored.status == "applied" and len(stored.steps) == 1
    assert [e.action for e in demo_store.audit_entries(entity="name_cases")] == ["cases.apply"]


def test_closing_and_its_audit_entry_are_one_transaction(
    demo_store: Store, cases: Cases, monkeypatch: pytest.MonkeyPatch
) -> None:
    case = _apply_renaming(cases)

    def broken_audit(*args: object, **kwargs: object) -> None:
        raise RuntimeError("audit log unavailable")

    monkeypatch.setattr(demo_store, "_audit", broken_audit)
    with pytest.raises(RuntimeError, match="audit log unavailable"):
        cases.reject(case.case_id, reason="重名", actor=OFFICER, on="2025-03-05")
    monkeypatch.undo()
    stored = demo_store.get_case(case.case_id)
    assert (stored.status, stored.close_reason, len(stored.steps)) == ("applied", "", 1)
    assert cases.reject(case.case_id, reason="重名", actor=OFFICER, on="2025-03-05").status == (
        "rejected"
    )


def test_taking_effect_and_the_renaming_are_one_transaction(
    demo_store: Store, demo_path, cases: Cases
) -> None:
    """If the case step cannot be written, the village is not renamed either."""
    import sqlite3

    case = _approved(cases, _apply_renaming(cases), "2025-03-20")
    cases.file(case.case_id, filed_with="驻马店市民政局", actor=OFFICER, on="2025-03-25")
    cases.publish(case.case_id, actor=OFFICER, on="2025-03-28")
    before = _gazetteer_state(demo_store, VILLAGE)
    # A real database failure at the last write of the step (another connection's trigger).
    with sqlite3.connect(demo_path) as conn:
        conn.execute(
            "CREATE TRIGGER refuse_effective BEFORE INSERT ON name_case_events "
            "WHEN NEW.step = 'effective' BEGIN SELECT RAISE(ABORT, '磁盘已满'); END"
        )
    with pytest.raises(sqlite3.IntegrityError, match="磁盘已满"):
        cases.effective(case.case_id, actor=OFFICER, on="2025-04-01")
    assert _gazetteer_state(demo_store, VILLAGE) == before
    assert demo_store.get_name(VILLAGE).name == "任张楼村"
    assert demo_store.get_case(case.case_id).status == "published"
    with sqlite3.connect(demo_path) as conn:
        conn.execute("DROP TRIGGER refuse_effective")
    assert cases.effective(case.case_id, actor=OFFICER, on="2025-04-01").status == "effective"
    assert demo_store.get_name(VILLAGE).name == "新张楼村"


def test_approving_a_naming_case_and_registering_the_name_are_one_transaction(
    demo_store: Store, demo_path, cases: Cases
) -> None:
    import sqlite3

    case = _naming(cases)
    _attach_reports(cases, case.case_id)
    cases.review(case.case_id, actor=OFFICER, on="2025-05-06")
    with sqlite3.connect(demo_path) as conn:
        conn.execute(
            "CREATE TRIGGER refuse_approve BEFORE INSERT ON name_case_events "
            "WHEN NEW.step = 'approve' BEGIN SELECT RAISE(ABORT, '磁盘已满'); END"
        )
    with pytest.raises(sqlite3.IntegrityError):
        cases.approve(
            case.case_id, approving_body="驿城区人民政府", actor="admin1", on="2025-05-07"
        )
    assert demo_store.query_names(name="天中路") == []
    assert demo_store.get_case(case.case_id).status == "reviewed"
