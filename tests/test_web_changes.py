"""Division change pages (行政区划变更) through the Flask test client on the real Zhumadian demo
store: proposals from two uploaded official lists (驿城区, NBS 2016 and 2023), accept and
dismiss, a case from review with pinyin to taking effect, documents, 勘界 tasks in the 逾期
lists, the home map as of a day, roles and bad input."""

from __future__ import annotations

import io
import re

from geociv.changes.cases import DivisionChanges
from geociv.store import Store
from tests.conftest import OPEN_DATA, login

LISTS = OPEN_DATA / "admin-codes" / "zhumadian"
#: 古城乡 (2016) became 古城街道 (2023).
OLD_CODE, NEW_CODE = "411702206", "411702012"


def county_list(name: str, county: str = "411702") -> bytes:
    """The rows of one county from an NBS list file (header kept)."""
    lines = (LISTS / name).read_text(encoding="utf-8").splitlines()
    return ("\n".join([lines[0], *(x for x in lines[1:] if x.startswith(county))]) + "\n").encode()


def _text(response) -> str:
    html = response.get_data(as_text=True)
    html = re.sub(r"<script.*?</script>", " ", html, flags=re.S)
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


def _store(app) -> Store:
    return app.extensions["geociv_store"]


def _upload_lists(client, old: bytes | None = None, new: bytes | None = None, parent="411702"):
    return client.post(
        "/divisions/changes/",
        data={
            "old": (io.BytesIO(old or county_list("townships_nbs_2016.csv")), "乡级2016.csv"),
            "new": (io.BytesIO(new or county_list("townships_nbs_2023.csv")), "乡级2023.csv"),
            "parent": parent,
        },
        content_type="multipart/form-data",
    )


def _pending(app, kind: str) -> str:
    found = DivisionChanges(_store(app)).proposals(status="pending")
    return next(p.proposal_id for p in found if p.kind == kind)


def take_gucheng_effect(client, app) -> str:
    """Upload the lists, accept 古城乡 → 古城街道 and take it to effect in 2019 through the
    pages; returns the case id."""
    assert _upload_lists(client).status_code == 302
    pid = _pending(app, "to_subdistrict")
    answer = client.post(f"/divisions/changes/proposals/{pid}/accept", data={"date": "2019-01-10"})
    assert answer.status_code == 302, _text(answer)
    case_id = answer.headers["Location"].rsplit("/", 1)[-1]
    steps = {
        "review": {"date": "2019-01-15", f"pinyin-{NEW_CODE}": "Gǔchéng Jiēdào"},
        "approve": {"date": "2019-02-01", "approving_body": "河南省人民政府",
                    "approval_number": "豫政文〔2019〕12号"},
        "effective": {"date": "2019-03-01"},
    }  # fmt: skip
    for step, data in steps.items():
        answer = client.post(f"/divisions/changes/cases/{case_id}/{step}", data=data)
        assert answer.status_code == 302, (step, _text(answer))
    return case_id


def test_proposals_from_uploaded_lists_grouped_by_kind(client, app) -> None:
    login(client, "officer1")
    answer = _upload_lists(client)
    assert answer.status_code == 302, _text(answer)
    page = _text(client.get("/divisions/changes/"))
    assert "撤乡（镇）设街道（1 项）" in page and "更名（4 项）" in page
    assert "古城乡" in page and "古城街道" in page and "0.80" in page
    # the same lists again add nothing
    _upload_lists(client)
    assert len(DivisionChanges(_store(app)).proposals()) == 5


def test_bad_list_names_file_row_field_and_stores_nothing(client, app) -> None:
    login(client, "officer1")
    bad = county_list("townships_nbs_2016.csv").replace(b"411702206,", b"41170220X,")
    answer = _upload_lists(client, old=bad)
    assert answer.status_code == 400
    page = _text(answer)
    assert "乡级2016.csv" in page and "第 " in page and "区划代码" in page
    assert DivisionChanges(_store(app)).proposals() == []


def test_missing_file_and_bad_parent_are_400(client, app) -> None:
    login(client, "officer1")
    answer = client.post("/divisions/changes/", data={"parent": "411702"},
                         content_type="multipart/form-data")  # fmt: skip
    assert answer.status_code == 400 and "旧名单" in _text(answer)
    answer = _upload_lists(client, parent="4117x")
    assert answer.status_code == 400 and "上级区划代码" in _text(answer)


def test_dismiss_needs_a_reason(client, app) -> None:
    login(client, "officer1")
    _upload_lists(client)
    pid = _pending(app, "rename")
    answer = client.post(f"/divisions/changes/proposals/{pid}/dismiss", data={"reason": " "})
    assert answer.status_code == 400 and "理由" in _text(answer)
    answer = client.post(f"/divisions/changes/proposals/{pid}/dismiss",
                         data={"reason": "仅为写法变化"})  # fmt: skip
    assert answer.status_code == 302
    assert _store(app).get_division_proposal(pid).status == "dismissed"


def test_case_from_proposal_to_effect_and_outcome(client, app) -> None:
    login(client, "officer1")
    case_id = take_gucheng_effect(client, app)
    page = _text(client.get(f"/divisions/changes/cases/{case_id}"))
    assert "已生效" in page and "豫政文〔2019〕12号" in page and "Gǔchéng Jiēdào" in page
    assert "停用的区划： 411702206" in page and "新设的区划： 411702012" in page
    store = _store(app)
    assert store.get_division(OLD_CODE, on="2016-08-01").name == "古城乡"
    assert store.get_division(NEW_CODE, on="2016-08-01") is None
    assert case_id in _text(client.get("/divisions/changes/cases"))


def test_review_form_prefills_pinyin(client, app) -> None:
    login(client, "officer1")
    _upload_lists(client)
    answer = client.post(f"/divisions/changes/proposals/{_pending(app, 'to_subdistrict')}/accept")
    page = client.get(answer.headers["Location"]).get_data(as_text=True)
    assert f'name="pinyin-{NEW_CODE}"' in page and "Gǔchéng Jiēdào" in page


def test_bad_step_input_is_400_naming_the_field(client, app) -> None:
    login(client, "officer1")
    _upload_lists(client)
    answer = client.post(f"/divisions/changes/proposals/{_pending(app, 'to_subdistrict')}/accept")
    case_id = answer.headers["Location"].rsplit("/", 1)[-1]
    client.post(f"/divisions/changes/cases/{case_id}/review", data={})
    body = {"approving_body": "河南省人民政府", "date": "2019-02-30"}
    answer = client.post(f"/divisions/changes/cases/{case_id}/approve", data=body)
    assert answer.status_code == 400
    page = _text(answer)
    assert "批准文号" in page and "日期" in page
    assert client.post(f"/divisions/changes/cases/{case_id}/withdraw").status_code == 400
    assert client.post(f"/divisions/changes/cases/{case_id}/bogus").status_code == 404
    assert client.get("/divisions/changes/cases/D1999-9999").status_code == 404


def test_withdraw_with_reason_closes_the_case(client, app) -> None:
    login(client, "officer1")
    _upload_lists(client)
    answer = client.post(f"/divisions/changes/proposals/{_pending(app, 'to_subdistrict')}/accept")
    case_id = answer.headers["Location"].rsplit("/", 1)[-1]
    answer = client.post(f"/divisions/changes/cases/{case_id}/withdraw",
                         data={"reason": "县政府来函撤回"})  # fmt: skip
    assert answer.status_code == 302
    page = _text(client.get(f"/divisions/changes/cases/{case_id}"))
    assert "已撤回" in page and "县政府来函撤回" in page


def test_document_upload_and_download(client, app) -> None:
    login(client, "officer1")
    _upload_lists(client)
    answer = client.post(f"/divisions/changes/proposals/{_pending(app, 'to_subdistrict')}/accept")
    case_id = answer.headers["Location"].rsplit("/", 1)[-1]
    content = b"%PDF-1.7\n% approval\n"
    answer = client.post(
        f"/divisions/changes/cases/{case_id}/documents",
        data={"doc_type": "approval", "file": (io.BytesIO(content), "批复.pdf"), "note": "扫描件"},
        content_type="multipart/form-data",
    )
    assert answer.status_code == 302, _text(answer)
    (doc,) = _store(app).division_case_documents(case_id)
    assert client.get(f"/divisions/changes/cases/{case_id}/documents/{doc.id}").data == content
    answer = client.post(
        f"/divisions/changes/cases/{case_id}/documents",
        data={"doc_type": "approval"},
        content_type="multipart/form-data",
    )
    assert answer.status_code == 400


def test_planner_is_refused(client, app) -> None:
    login(client, "planner1")
    assert client.get("/divisions/changes/").status_code == 403
    assert _upload_lists(client).status_code == 403
    assert client.post("/divisions/changes/proposals/P000001/accept").status_code == 403
    assert client.post("/divisions/changes/surveys/K2020-0001/done").status_code == 403
    assert client.get("/divisions/changes/cases").status_code == 200


def test_officer_menu_links_the_pages(client) -> None:
    login(client, "officer1")
    page = client.get("/").get_data(as_text=True)
    nav = page[page.index("<nav") : page.index("</nav>")]
    assert 'href="/divisions/changes/">区划变更' in nav
    assert 'href="/divisions/changes/surveys"' in client.get("/divisions/changes/").get_data(
        as_text=True
    )
    login(client, "admin1")
    assert 'id="division-changes-link"' in client.get("/cases/").get_data(as_text=True)


def _overdue_survey(app) -> str:
    """A 新设 case in 驿城区 approved in 2020: its 勘界 task was due in 2021."""
    svc = DivisionChanges(_store(app))
    unit = {"code": "411702013", "name": "天中街道", "level": "township",
            "parent_code": "411702"}  # fmt: skip
    case = svc.apply("new", title="新设天中街道", before=[], after=[unit], actor="officer1",
                     on="2020-01-02")  # fmt: skip
    svc.review(case.case_id, actor="officer1", on="2020-01-03")
    svc.approve(case.case_id, approving_body="河南省人民政府", approval_number="豫政文〔2020〕3号",
                actor="officer1", on="2020-01-10")  # fmt: skip
    svc.take_effect(case.case_id, actor="officer1", on="2020-02-01")
    (task,) = svc.survey_tasks()
    return task.task_id


def test_overdue_survey_tasks_listed_and_done(client, app) -> None:
    task_id = _overdue_survey(app)
    login(client, "officer1")
    page = client.get("/divisions/changes/surveys").get_data(as_text=True)
    assert f'id="task-{task_id}" class="overdue"' in page and "逾期" in page
    listed = _text(client.get("/cases/"))
    assert "勘界逾期" in listed and task_id in listed
    answer = client.post(f"/divisions/changes/surveys/{task_id}/done", data={"date": "2099-01-01"})
    assert answer.status_code == 400 and "晚于今天" in _text(answer)
    answer = client.post(f"/divisions/changes/surveys/{task_id}/done",
                         data={"date": "2021-06-01", "note": "已会同勘界"})  # fmt: skip
    assert answer.status_code == 302
    assert "勘界逾期" not in _text(client.get("/cases/"))
    again = client.post(f"/divisions/changes/surveys/{task_id}/done", data={"date": "2021-06-02"})
    assert again.status_code == 400 and "已于 2021-06-01 完成" in _text(again)
    assert client.post("/divisions/changes/surveys/K1999-0001/done").status_code == 404


def _day_panel(response) -> str:
    html = response.get_data(as_text=True)
    return html[html.index('id="day-divisions"') : html.index("点击地图上的县区")]


def test_home_as_of_a_day(client, app) -> None:
    login(client, "officer1")
    before = _day_panel(client.get("/"))  # today's view is cached before the case takes effect
    assert f'data-code="{NEW_CODE}"' in before
    take_gucheng_effect(client, app)
    old = client.get("/?date=2016-08-01")
    assert old.status_code == 200
    panel = _day_panel(old)
    assert f'data-code="{OLD_CODE}">古城乡' in panel and f'data-code="{NEW_CODE}"' not in panel
    assert "已撤销" in panel
    now = _day_panel(client.get("/"))
    assert f'data-code="{NEW_CODE}">古城街道' in now and f'data-code="{OLD_CODE}"' not in now
    # the earlier day did not replace today's cached figures
    assert _day_panel(client.get("/")) == now


def test_home_bad_date_is_a_clear_400(client) -> None:
    login(client, "officer1")
    answer = client.get("/?date=2016-13-01")
    assert answer.status_code == 400
    assert "2016-13-01" in _text(answer) and "不存在" in _text(answer)
    assert client.get("/?date=yesterday").status_code == 400


def test_home_counts_as_of_a_day(client, app) -> None:
    login(client, "officer1")
    today = client.get("/").get_data(as_text=True)
    count = int(re.search(r'id="count-township">(\d+)<', today).group(1))
    _overdue_survey(app)  # 天中街道 from 2020-02-01
    later = client.get("/").get_data(as_text=True)
    assert int(re.search(r'id="count-township">(\d+)<', later).group(1)) == count + 1
    earlier = client.get("/?date=2019-06-01").get_data(as_text=True)
    assert int(re.search(r'id="count-township">(\d+)<', earlier).group(1)) == count


def test_a_township_moved_between_counties_puts_their_line_under_survey(app, client) -> None:
    """A township transferred from 西平县 to 上蔡县 moves the county line between them: the
    case's 勘界 task lists that line and the line's page says it waits for the re-survey."""
    from geociv.demo import load_boundary_demo

    store = _store(app)
    load_boundary_demo(store, actor="system")  # the demo's county lines
    township = store.query_divisions(parent="411721", level="township", with_geometry=False)[-1]
    villages = store.query_divisions(parent=township.code, with_geometry=False)
    new_code = "411722299"
    moves = [
        {"old_code": v.code, "old_name": v.name, "new_code": new_code + v.code[9:],
         "new_name": v.name}
        for v in villages
    ]  # fmt: skip
    changes = DivisionChanges(store)
    case = changes.apply(
        "transfer", title=f"{township.name}划归上蔡县（测试）", actor="system", on="2026-01-02",
        before=[{"code": township.code, "name": township.name, "level": "township",
                 "parent_code": "411721"}],
        after=[{"code": new_code, "name": township.name, "level": "township",
                "parent_code": "411722"}],
        villages=moves,
    )  # fmt: skip
    changes.review(case.case_id, actor="system", on="2026-01-03")
    changes.approve(
        case.case_id, approving_body="河南省人民政府", approval_number="豫政文〔2026〕9号",
        actor="system", on="2026-01-04",
    )  # fmt: skip
    changes.take_effect(case.case_id, actor="system", on="2026-01-05")
    (task,) = store.query_survey_tasks(case_id=case.case_id)
    assert "411721-411722" in task.line_ids and task.due == "2027-01-04"
    assert "411702-411725" not in task.line_ids  # a line the change does not move
    login(client, "inspector1")
    page = _text(client.get("/boundaries/lines/411721-411722"))
    assert "待勘界" in page and task.task_id in page and "2027-01-04 前完成" in page
    assert "待勘界" not in _text(client.get("/boundaries/lines/411702-411725"))
