"""The name rules that must catch (issue 13), on the real Zhumadian demo store: forbidden names
that no confirmation lifts, brand and foreign names pending until confirmed, division names
stacked on a name, person names on word edges and by pattern, built-up-area uniqueness."""

from __future__ import annotations

import io

import pytest

from geociv.errors import ValidationError
from geociv.gazetteer.cases import REQUIRED_DOCUMENTS, Cases
from geociv.gazetteer.names import Gazetteer
from geociv.gazetteer.rules import Candidate
from geociv.store import Store
from tests.conftest import login

OFFICER = "officer1"


def rules_of(report) -> list[str]:
    return [f.rule_id for f in report.findings]


@pytest.fixture
def gaz(demo_store: Store) -> Gazetteer:
    return Gazetteer(demo_store)


@pytest.fixture
def cases(demo_store: Store, gaz: Gazetteer) -> Cases:
    return Cases(demo_store, gaz)


def _naming_case(cases: Cases, name: str, category: str = "road", division: str = "411702"):
    case = cases.apply(
        "naming",
        name,
        category=category,
        division_code=division,
        applicant="驿城区人民政府",
        location="驿城区南部新建道路",
        actor=OFFICER,
        on="2025-03-03",
    )
    for doc_type in REQUIRED_DOCUMENTS:
        cases.attach(case.case_id, doc_type, f"{doc_type}.pdf", b"%PDF-1.7 x", actor=OFFICER)
    return case


# -- forbidden outright: no confirmation lifts them ------------------------------------------
@pytest.mark.parametrize(("name", "rule"), [("毛泽东路", "N3-LEADER"), ("CBD大道", "N4-SCRIPT")])
def test_forbidden_names_cannot_be_confirmed_away(gaz, demo_store, name, rule) -> None:
    with pytest.raises(ValidationError, match=f"规则 {rule}.*不能确认"):
        gaz.accept_finding(name, rule, reason="领导同意", actor=OFFICER)
    with pytest.raises(ValidationError, match=rule):
        gaz.add(name, "road", "411702", actor=OFFICER, accept={rule: "领导同意"})
    assert demo_store.finding_overrides() == []
    # an acceptance stored before the rule became unconfirmable lifts nothing
    demo_store.add_finding_override(name, rule, reason="领导同意", actor=OFFICER)
    report = gaz.check(name, "road", "411702")
    finding = next(f for f in report.findings if f.rule_id == rule)
    assert not finding.accepted and report.blocking and report.verdict == "blocked"
    with pytest.raises(ValidationError, match="未确认的错误"):  # a batch import
        gaz.save_reports(gaz.check_many([Candidate(name, "road", "411702", row=2)]), actor=OFFICER)


def test_a_case_review_refuses_to_confirm_a_leaders_name(cases, demo_store) -> None:
    case = _naming_case(cases, "毛泽东路")
    with pytest.raises(ValidationError) as err:
        cases.review(case.case_id, actor=OFFICER, on="2025-03-10", accept={"N3-LEADER": "领导同意"})
    messages = [p.message for p in err.value.problems]
    assert any("N3-LEADER" in m and "不能确认" in m for m in messages), messages
    assert demo_store.get_case(case.case_id).status == "applied"
    assert demo_store.finding_overrides() == []


def test_the_api_and_pages_refuse_a_leaders_name(client, app) -> None:
    login(client, OFFICER)
    added = client.post(
        "/api/names",
        json={"name": "毛泽东路", "category": "road", "division_code": "411702",
              "accept": {"N3-LEADER": "领导同意"}},
    )  # fmt: skip
    assert added.status_code == 400 and "N3-LEADER" in added.get_data(as_text=True)
    confirmed = client.post(
        "/api/names/accept", json={"name": "毛泽东路", "rule": "N3-LEADER", "reason": "领导同意"}
    )
    assert confirmed.status_code == 400 and "不能确认" in confirmed.get_json()["error"] + str(
        confirmed.get_json()["problems"]
    )
    page = client.post(
        "/names/check", data={"name": "毛泽东路", "category": "road", "division_code": "411702"}
    ).get_data(as_text=True)
    assert "不可确认" in page and 'value="N3-LEADER"' not in page
    assert app.extensions["geociv_store"].finding_overrides() == []


# -- brand and foreign names: 待确认 until an officer confirms --------------------------------
def test_a_brand_name_is_pending_until_confirmed(gaz) -> None:
    report = gaz.check("华为路", "road", "411702")
    assert "N3-BRAND" in rules_of(report)
    assert not report.blocking and report.verdict == "pending"
    assert report.to_dict()["verdict_label"] == "待确认"
    gaz.accept_finding("华为路", "N3-BRAND", reason="华为路为1990年代既有路名，沿用", actor=OFFICER)
    assert gaz.check("华为路", "road", "411702").verdict == "pass"
    assert gaz.check("人民路", "road", "411729").verdict == "pass"


def test_the_check_page_and_api_say_pending_for_a_brand_name(client) -> None:
    login(client, OFFICER)
    asked = {"name": "华为路", "category": "road", "division_code": "411702"}
    body = client.post("/api/names/validate", json=asked).get_json()
    assert body["verdict"] == "pending" and body["verdict_label"] == "待确认"
    page = client.post("/names/check", data=asked).get_data(as_text=True)
    assert 'id="verdict">待确认<' in page and "verdict good" not in page
    assert 'value="N3-BRAND"' in page  # the confirmation form is there


def test_a_naming_case_cannot_pass_review_with_an_unconfirmed_foreign_name(
    cases, demo_store
) -> None:
    case = _naming_case(cases, "曼哈顿小区", category="residential")
    with pytest.raises(ValidationError, match="N3-FOREIGN"):
        cases.review(case.case_id, actor=OFFICER, on="2025-03-10")
    reviewed = cases.review(
        case.case_id, actor=OFFICER, on="2025-03-10", accept={"N3-FOREIGN": "开发商承诺更名前沿用"}
    )
    assert reviewed.status == "reviewed"
    assert [(o.name, o.rule_id) for o in demo_store.finding_overrides()] == [
        ("曼哈顿小区", "N3-FOREIGN")
    ]


def test_the_import_report_counts_pending_names_apart(gaz) -> None:
    from geociv.gazetteer.importer import report_rows, summary

    reports = gaz.check_many(
        [Candidate("华为路", "road", "411702", row=2), Candidate("天中路", "road", "411702", row=3)]
    )
    stats = summary(reports)
    assert (stats["blocked"], stats["pending"]) == (0, 1)
    assert {row[1]: row[7] for row in report_rows(reports)}["华为路"] == "待确认"


def test_the_case_page_asks_a_reason_for_a_brand_finding(client) -> None:
    login(client, OFFICER)
    response = client.post(
        "/cases/new",
        data={"kind": "naming", "proposed_name": "万达路", "category": "road",
              "division_code": "411702", "location": "驿城区南部新建道路",
              "applicant": "驿城区人民政府", "date": "2025-05-06"},
    )  # fmt: skip
    case_id = response.headers["Location"].rsplit("/", 1)[-1]
    for doc_type in REQUIRED_DOCUMENTS:
        client.post(
            f"/cases/{case_id}/documents",
            data={"doc_type": doc_type, "file": (io.BytesIO(b"%PDF-1.7"), f"{doc_type}.pdf")},
            content_type="multipart/form-data",
        )
    page = client.get(f"/cases/{case_id}").get_data(as_text=True)
    assert 'name="accept-N3-BRAND"' in page and "N3-BRAND" in page
    refused = client.post(f"/cases/{case_id}/review", data={"date": "2025-05-07"})
    assert refused.status_code == 400


# -- uniqueness of streets and residential areas: the built-up area ---------------------------
def test_road_uniqueness_is_the_built_up_area_not_the_prefecture(gaz) -> None:
    gaz.add("天中大道", "road", "411702", actor=OFFICER)  # 驿城区, the central city
    gaz.add("蔡侯路", "road", "411722", actor="admin1")  # 上蔡县's seat (a city account)
    # the central city's districts and its statistical 开发区 are one built-up area
    assert "N2-DUPLICATE" in rules_of(gaz.check("天中大道", "road", "411771"))
    assert "N2-DUPLICATE" in rules_of(gaz.check("天中大道", "road", "411702001"))
    # a county seat is a town of its own: not a duplicate of the city's road
    assert "N2-DUPLICATE" not in rules_of(gaz.check("天中大道", "road", "411722"))
    assert "N2-DUPLICATE" not in rules_of(gaz.check("天中大道", "road", "411721"))
    # … and within the county it is
    assert "N2-DUPLICATE" in rules_of(gaz.check("蔡侯路", "road", "411722001"))
    assert "N2-DUPLICATE" not in rules_of(gaz.check("蔡侯路", "road", "411702"))


def test_one_file_may_hold_the_same_street_name_in_the_city_and_in_a_county(gaz) -> None:
    reports = gaz.check_many(
        [
            Candidate("幸福家园", "residential", "411702", row=2),
            Candidate("幸福家园", "residential", "411722", row=3),
            Candidate("幸福家园", "residential", "411771", row=4),
        ]
    )
    assert ["N2-DUPLICATE" in rules_of(r) for r in reports] == [True, False, True]


# -- a division name stacked on a name -----------------------------------------------------
@pytest.mark.parametrize(
    ("name", "category", "division", "found"),
    [
        ("驿城区人民路", "road", "411702", "驿城区"),
        ("驻马店人民路", "road", "411702", "驻马店"),
        ("上蔡县新城路", "road", "411722", "上蔡县"),
        ("上蔡蔡侯路", "road", "411722", "上蔡"),
        ("驿城区幸福家园", "residential", "411702", "驿城区"),
    ],
)
def test_a_division_name_stacked_on_a_name_is_flagged(gaz, name, category, division, found):
    report = gaz.check(name, category, division)
    stacked = [f for f in report.findings if f.rule_id == "N1-DIVISION"]
    assert len(stacked) == 1 and f"“{found}”" in stacked[0].message, report.findings
    assert stacked[0].severity == "warning"


@pytest.mark.parametrize(
    ("name", "category", "division"),
    [
        ("驿城大道", "road", "411702"),  # a road named after its town: a name of its own
        ("驻马店大道", "road", "411702"),
        ("驿城东路", "road", "411702"),  # + a direction
        ("驿城新村", "residential", "411702"),  # + a generic
        ("驻马店西站", "station", "411702"),
        ("上蔡路", "road", "411702"),
        ("人民路", "road", "411722"),
        ("新华路", "road", "411722"),  # 简称 of divisions elsewhere are everyday words
        ("板桥东村", "village", "411702102"),  # named after its township's seat
        ("驿城区", "county", "411700"),  # a division's own name
    ],
)
def test_names_of_their_own_are_not_stacked(gaz, name, category, division) -> None:
    assert "N1-DIVISION" not in rules_of(gaz.check(name, category, division))


# -- person names: list names on word edges, full names by their shape ------------------------
@pytest.mark.parametrize(
    ("name", "category", "rule"),
    [
        ("李白路", "road", "N3-PERSON"),
        ("李白东路", "road", "N3-PERSON"),
        ("李白公园", "park", "N3-PERSON"),
        ("李白村", "village", "N3-PERSON"),
        ("杜甫路社区", "village", "N3-PERSON"),  # named after a road named after him
        ("孙中山纪念路", "road", "N3-PERSON"),  # three characters: a person wherever
        ("毛泽东思想路", "road", "N3-LEADER"),
    ],
)
def test_list_names_on_word_edges_are_caught(gaz, name, category, rule) -> None:
    division = "411702102" if category == "village" else "411702"
    assert rule in rules_of(gaz.check(name, category, division))


@pytest.mark.parametrize(
    ("name", "category"),
    [("李白社村", "village"), ("小李白路", "road"), ("陈云峰路", "road"), ("朱德旺村", "village")],
)
def test_a_list_name_inside_a_longer_word_is_not_a_person(gaz, name, category) -> None:
    division = "411702102" if category == "village" else "411702"
    got = rules_of(gaz.check(name, category, division))
    assert "N3-PERSON" not in got and "N3-LEADER" not in got


def test_a_full_name_not_on_the_lists_is_a_notice_by_its_shape(gaz) -> None:
    for name in ("李嘉诚大道", "司马光路", "欧阳修路", "杨靖宇路"):
        report = gaz.check(name, "road", "411702")
        like = [f for f in report.findings if f.rule_id == "N3-PERSON-LIKE"]
        assert len(like) == 1 and like[0].severity == "notice", (name, report.findings)
    for name in ("文化路", "黄河东路", "王庄路", "周口店路", "金水路", "高新路", "彭公祠街",
                 "焦裕禄路", "人民路", "建设路", "刘阁路"):  # fmt: skip
        assert "N3-PERSON-LIKE" not in rules_of(gaz.check(name, "road", "411702")), name
    assert "N3-PERSON-LIKE" not in rules_of(gaz.check("李嘉诚村", "village", "411702102"))
