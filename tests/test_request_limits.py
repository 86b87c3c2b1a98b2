"""Issue 9, defects 4 (request side) and 7: every request is bounded and bad input is a 4xx
naming the field, never a 5xx or a silent accept. One test per case the fuzzing found; each
failed before web.params, the OpenAPI-driven checks and the error mapping."""

from __future__ import annotations

import io
import logging
import threading

import pytest

from geociv.store import Signature
from tests.boundary_field import Q1, prepare_field
from tests.conftest import login

MB = 1024 * 1024


def fields(response) -> set[str]:
    """The fields named by a 4xx JSON body."""
    return {p["field"] for p in response.get_json()["problems"]}


# -- defect 7: 5xx → 4xx ---------------------------------------------------------------------


def test_a_level_above_the_parent_is_a_400_naming_level(client) -> None:
    response = client.get("/api/divisions?parent=411700&level=province")
    assert response.status_code == 400
    assert fields(response) == {"level"} and "驻马店市" in response.get_data(as_text=True)


@pytest.fixture
def field(app):
    """Lines, markers, this year's plan and inspectors of both sides of 西上线."""
    store = app.extensions["geociv_store"]
    plan, markers = prepare_field(store)
    return store, plan, markers


def test_ids_beyond_64_bits_are_400s_not_overflow_errors(client, field) -> None:
    login(client, "inspector1")
    huge = 10**20
    body = {"plan_id": huge, "marker_id": Q1, "condition": "完好"}
    response = client.post("/api/boundaries/records", json=body)
    assert response.status_code == 400 and "plan_id" in fields(response)
    multipart = client.post("/api/boundaries/records", data={**body, "plan_id": str(huge)})
    assert multipart.status_code == 400 and "plan_id" in fields(multipart)
    listed = client.get(f"/api/boundaries/records?plan_id={huge}")
    assert listed.status_code == 400 and fields(listed) == {"plan_id"}
    report = client.get(f"/api/boundaries/reports/annual/{huge}")
    assert report.status_code == 400 and fields(report) == {"year"}
    assert client.get(f"/api/boundaries/findings?round={huge}").status_code == 400
    document = client.get(f"/api/cases/C2026-0001/documents/{huge}")
    assert document.status_code == 400 and fields(document) == {"document_id"}


def test_a_number_where_a_list_is_expected_is_a_400(client) -> None:
    login(client, "planner1")
    for path in ("/api/coverage/runs", "/api/coverage/batches"):
        response = client.post(path, json={"types": 5, "aoi": {"division": "411702"}})
        assert response.status_code == 400, path
        assert fields(response) == {"types"}
    statuses = client.post(
        "/api/coverage/runs",
        json={"types": ["rental_station"], "statuses": 7, "aoi": {"division": "411702"}},
    )
    assert statuses.status_code == 400 and fields(statuses) == {"statuses"}


@pytest.mark.parametrize(
    "body",
    [[1, 2], "text", 5],
    ids=["list", "string", "number"],
)
def test_a_json_body_that_is_not_an_object_is_a_400(client, body) -> None:
    login(client, "planner1")
    response = client.post("/api/coverage/runs", json=body)
    assert response.status_code == 400 and fields(response) == {"body"}
    broken = client.post(
        "/api/coverage/runs", data=b"{not json", headers={"Content-Type": "application/json"}
    )
    assert broken.status_code == 400 and fields(broken) == {"body"}


def test_signing_a_final_record_is_a_409_conflict(client, field) -> None:
    plan = field[1]
    login(client, "inspector1")
    body = {"plan_id": plan.plan_id, "marker_id": Q1, "condition": "丢失", "sign": True}
    record = client.post("/api/boundaries/records", json=body).get_json()
    rid = record["record_id"]
    login(client, "inspector2")
    assert client.post(f"/api/boundaries/records/{rid}/sign", json={}).status_code == 200
    again = client.post(f"/api/boundaries/records/{rid}/sign", json={})
    assert again.status_code == 409 and "双方签字" in again.get_data(as_text=True)
    corrected = client.post(f"/api/boundaries/records/{rid}/correct", json={"reason": "改"})
    assert corrected.status_code == 409


def test_a_signature_that_loses_the_race_is_a_conflict_in_the_store(field) -> None:
    """Inside the writing transaction a final version refuses a signature with a
    ConflictError (the web's 409), no longer a bare StoreError (a 500)."""
    store, plan, _ = field
    from geociv.boundaries.inspections import Inspections
    from geociv.errors import ConflictError, StaleRecordError

    svc = Inspections(store)
    record = svc.record_marker(plan.plan_id, Q1, condition="missing", actor="inspector1")
    svc.sign(record.record_id, signer="inspector1")
    svc.sign(record.record_id, signer="inspector2")
    late = Signature("right", "411722", "inspector2")
    with pytest.raises(ConflictError) as caught:
        store.sign_inspection_record(
            record.record_id, version=record.version, signature=late, actor="inspector2"
        )
    assert isinstance(caught.value, StaleRecordError)


def test_both_sides_signing_at_once_never_answers_5xx(app, field) -> None:
    store, plan, markers = field
    from geociv.boundaries.inspections import Inspections

    statuses: list[int] = []
    for marker_id in list(markers)[:3]:
        record = Inspections(store).record_marker(
            plan.plan_id, marker_id, condition="missing", actor="inspector1"
        )
        clients = []
        for name in ("inspector1", "inspector2", "inspector1", "inspector2"):
            c = app.test_client()
            login(c, name)
            clients.append(c)
        barrier = threading.Barrier(len(clients))

        def sign(c, rid=record.record_id, barrier=barrier) -> None:
            barrier.wait(timeout=10)
            statuses.append(c.post(f"/api/boundaries/records/{rid}/sign", json={}).status_code)

        threads = [threading.Thread(target=sign, args=(c,)) for c in clients]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=30)
        assert Inspections(store).get(record.record_id).status == "final"
    assert statuses.count(200) == 6  # one signature per side and record
    assert set(statuses) <= {200, 400, 409}


def test_an_unexpected_exception_is_logged_and_a_chinese_500(app, caplog) -> None:
    def broken() -> str:
        raise ZeroDivisionError("boom")

    app.add_url_rule("/api/_broken", "broken", broken)
    app.config["PROPAGATE_EXCEPTIONS"] = False
    with caplog.at_level(logging.ERROR, logger="web._helpers"):
        response = app.test_client().get("/api/_broken")
    assert response.status_code == 500
    assert response.get_json()["error"] == "服务器内部错误，请稍后重试或联系管理员"
    assert "ZeroDivisionError" in caplog.text and "/api/_broken" in caplog.text


# -- defect 7: silent accepts → 400 naming the field -----------------------------------------

RUN = {"types": ["rental_station"], "aoi": {"division": "411702"}}


def test_rings_out_of_range_are_refused(client) -> None:
    login(client, "planner1")
    response = client.post("/api/coverage/runs", json={**RUN, "rings": [-5, 1e9]})
    assert response.status_code == 400 and fields(response) == {"rings"}
    many = client.post("/api/coverage/runs", json={**RUN, "rings": list(range(1, 30))})
    assert many.status_code == 400 and fields(many) == {"rings"}


@pytest.mark.parametrize("minutes", [True, 0, 500, "inf"])
def test_minutes_out_of_range_are_refused(client, minutes) -> None:
    login(client, "planner1")
    response = client.post("/api/coverage/runs", json={**RUN, "minutes": minutes})
    assert response.status_code == 400 and fields(response) == {"minutes"}


@pytest.mark.parametrize("k", [0, 501, 2.5, True])
def test_k_out_of_range_is_refused(client, k) -> None:
    login(client, "planner1")
    response = client.post("/api/coverage/suggestions", json={"run_id": "R999999", "k": k})
    assert response.status_code == 400 and fields(response) == {"k"}


@pytest.mark.parametrize("limit", ["-1", "0", "101", "1e3", "99999999999999999999999"])
def test_limit_out_of_range_is_refused(client, limit) -> None:
    response = client.get(f"/api/names/search?q=驿城&limit={limit}")
    assert response.status_code == 400 and fields(response) == {"limit"}
    assert client.get("/api/names/search?q=驿城&limit=5").status_code == 200


@pytest.mark.parametrize(
    "bbox",
    [
        "nan,32,115,34",
        "114,32,inf,34",
        "115,32,114,34",
        "114,34,115,32",
        "1,2,3",
        "-180,-90,180,90",
    ],
    ids=["nan", "inf", "lon-order", "lat-order", "three", "too-large"],
)
def test_bad_bboxes_are_refused(client, bbox) -> None:
    response = client.get(f"/api/names/search?q=驿城&bbox={bbox}")
    assert response.status_code == 400 and fields(response) == {"bbox"}
    assert client.get("/api/names/search?q=驿城&bbox=113,32,115,34").status_code == 200


def test_patrol_days_are_bounded(client) -> None:
    login(client, "officer1")
    response = client.get("/api/signs/findings?patrol_days=99999999999999999999")
    assert response.status_code == 400 and fields(response) == {"patrol_days"}


# -- defect 4: bounded inputs ----------------------------------------------------------------


def test_a_huge_name_to_the_anonymous_validator_is_refused_at_once(client) -> None:
    name = "人" * 100_001
    body = {"name": name, "category": "road", "division_code": "411702"}
    response = client.post("/api/names/validate", json=body)
    assert response.status_code == 400 and fields(response) == {"name"}
    assert "最多 50 个字符" in response.get_data(as_text=True)


def test_huge_search_and_pinyin_text_is_refused(client) -> None:
    search = client.get("/api/names/search?q=" + "驿" * 5000)
    assert search.status_code == 400 and fields(search) == {"q"}
    spelled = client.get("/api/pinyin?name=" + "驿" * 5000)
    assert spelled.status_code == 400 and fields(spelled) == {"name"}
    assert client.get("/api/pinyin?name=驿城区").status_code == 200


def test_free_text_on_pages_is_capped_too(client) -> None:
    login(client, "officer1")
    response = client.post(
        "/names/check", data={"name": "驿" * 5000, "category": "road", "division_code": "411702"}
    )
    assert response.status_code == 400 and "过长" in response.get_data(as_text=True)


def test_login_fields_are_capped(client) -> None:
    response = client.post("/login", data={"username": "x" * (MB // 2), "password": "y"})
    assert response.status_code in (400, 413)


def test_a_json_body_over_1_mb_is_a_413_naming_the_limit(client) -> None:
    login(client, "officer1")
    body = {"name": "驿城路", "category": "road", "division_code": "411702", "x": "a" * MB}
    response = client.post("/api/names", json=body)
    assert response.status_code == 413
    assert "1 MB" in response.get_json()["error"]


def test_an_upload_is_refused_by_its_declared_size_before_it_is_read(client) -> None:
    """A 190 MB file to a 50 MB route: 413 from the Content-Length alone."""
    login(client, "officer1")
    response = client.post(
        "/api/names/import",
        input_stream=io.BytesIO(b"--x\r\n"),
        content_type="multipart/form-data; boundary=x",
        environ_overrides={"CONTENT_LENGTH": str(190 * MB)},
    )
    assert response.status_code == 413
    assert "50 MB" in response.get_json()["error"]
    photo = client.post(
        "/api/boundaries/records",
        input_stream=io.BytesIO(b"--x\r\n"),
        content_type="multipart/form-data; boundary=x",
        environ_overrides={"CONTENT_LENGTH": str(25 * MB)},
    )
    assert photo.status_code == 413 and "20 MB" in photo.get_json()["error"]


def test_every_upload_route_has_its_own_size_limit(app) -> None:
    import inspect

    from web.params import BODY_LIMITS, DEFAULT_BODY_LIMIT

    uploads = {
        endpoint
        for endpoint, view in app.view_functions.items()
        if "request.files" in inspect.getsource(view)
    }
    assert uploads <= set(BODY_LIMITS), uploads - set(BODY_LIMITS)
    assert set(BODY_LIMITS) <= set(app.view_functions), "a listed route was renamed"
    assert all(limit > DEFAULT_BODY_LIMIT for limit in BODY_LIMITS.values())
    assert app.config["MAX_CONTENT_LENGTH"] == max(BODY_LIMITS.values())


def test_background_computations_are_bounded_with_a_429(demo_path) -> None:
    from web import create_app

    app = create_app(
        {
            "GEOCIV_STORE": str(demo_path),
            "TESTING": True,
            "WTF_CSRF_ENABLED": False,
            "SECRET_KEY": "t",
            "JOBS_PER_USER": 1,
        }
    )
    client = app.test_client()
    login(client, "planner1")
    first = client.post("/api/coverage/runs", json=RUN)
    assert first.status_code == 202
    second = client.post("/api/coverage/runs", json=RUN)
    assert second.status_code == 429 and "后台计算已满" in second.get_json()["error"]
    from web.blueprints.coverage_api import jobs

    with app.app_context():
        assert jobs().wait(first.get_json()["job_id"], timeout=60).state == "done"
    assert client.post("/api/coverage/runs", json=RUN).status_code == 202


@pytest.mark.parametrize("path", ["/login", "/api/names", "/api/coverage/zones"])
def test_a_multipart_part_without_a_name_is_a_400_with_csrf_on(demo_path, path) -> None:
    """flask-wtf's token search crashed (500) on a nameless part, before any view ran."""
    from web import create_app

    app = create_app({"GEOCIV_STORE": str(demo_path), "SECRET_KEY": "t"})  # CSRF on
    client = app.test_client()
    client.get("/login")  # a session with a CSRF token
    body = b'--x\r\nContent-Disposition: form-data\r\n\r\nv\r\n--x--\r\n'
    response = client.post(path, data=body, content_type="multipart/form-data; boundary=x")
    assert response.status_code == 400
    assert "未命名的字段" in response.get_data(as_text=True)


def test_a_json_list_posted_to_a_form_page_is_a_400(client) -> None:
    response = client.post("/login", json=[1, 2, 3])
    assert response.status_code == 400 and "JSON 对象" in response.get_data(as_text=True)


def test_an_upload_name_with_a_nul_is_a_400_naming_the_field(client) -> None:
    login(client, "officer1")
    response = client.post(
        "/api/names/import", data={"file": (io.BytesIO(b"a,b\n"), "a\x00b.csv")}
    )
    assert response.status_code == 400 and fields(response) == {"file"}
