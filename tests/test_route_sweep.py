"""The role-and-jurisdiction sweep (issue 9): every write route of the app's route map, tried
as anonymous, logged in without a CSRF token, each wrong role and the right role in the wrong
division — all refused, writing nothing — and as the right role in the right division, with a
realistic body — accepted.

The table :data:`ROUTES` has one entry per POST/PUT/PATCH/DELETE endpoint; a write route added
to the app without an entry here fails :func:`test_every_write_route_is_in_the_table`. Each
route runs against its own copy of one prepared store (the Zhumadian demo with lines, markers,
a plan and a record on 西上线, a case, a sign), through the real Flask app with CSRF on.
"""

from __future__ import annotations

import io
import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import rasterio
from rasterio.transform import from_origin

from geociv.auth import Users
from geociv.gazetteer.cases import Cases
from geociv.gazetteer.names import Gazetteer
from geociv.gazetteer.signs import Signs
from geociv.store import ROLES, Store, open_store
from tests.boundary_field import Q1, prepare_field
from tests.boundary_setup import LINE, REFERENCES, point_on
from tests.conftest import PASSWORD
from tests.store_probe import scalar

TODAY = date.today().isoformat()
#: Audit actions a refused request may leave (the refusal itself); logins happen before.
REFUSAL_ACTIONS = {"auth.denied"}
LOGIN_ACTIONS = {"auth.login", "auth.logout", "auth.login_failed"}

#: Accounts of the sweep: (role, division). "right" accounts own the prepared records (names,
#: case and sign in 驿城区 411702; the record on 西上线 411721-411722); "wrong" ones have the
#: same role elsewhere.
ACCOUNTS = {
    "officer1": ("officer", "411702"),
    "officer_wrong": ("officer", "411722"),
    "inspector1": ("inspector", "411721"),
    "inspector3": ("inspector", "411725"),
    "planner1": ("planner", "411700"),
    "planner_wrong": ("planner", "411702"),
    "admin1": ("admin", "411700"),
    "admin_wrong": ("admin", "411600"),
}
RIGHT = {"officer": "officer1", "inspector": "inspector1", "planner": "planner1", "admin": "admin1"}
WRONG_DIVISION = {
    "officer": "officer_wrong",
    "inspector": "inspector3",
    "planner": "planner_wrong",
    "admin": "admin_wrong",
}


@dataclass(frozen=True)
class Route:
    """How to call one write route: the roles it allows, a valid body, and what accepts it.

    ``body(ctx)`` returns ``(path, kwargs for client.post)``. ``division`` is whether the
    route's record has a division (then the right role in the wrong division must be
    refused); ``why`` says why not. ``writes`` whether acceptance must add to the audit
    trail (False for checks and for 202 jobs that write later). ``public`` routes (log-in,
    the pure name check) are only checked for not failing.
    """

    roles: tuple[str, ...]
    body: Callable[[dict[str, Any]], tuple[str, dict[str, Any]]]
    division: bool = True
    why: str = ""
    writes: bool = True
    public: bool = False
    accept: bool = True
    ok: tuple[int, ...] = (200, 201, 202, 302)
    division_refusal: tuple[int, ...] = (403,)


Body = Callable[[dict[str, Any]], tuple[str, dict[str, Any]]]


def _filled(body: dict[str, Any], ctx: dict[str, Any]) -> dict[str, Any]:
    return {k: v.format(**ctx) if isinstance(v, str) else v for k, v in body.items()}


def _json(path: str, body: dict[str, Any]) -> Body:
    return lambda ctx: (path.format(**ctx), {"json": _filled(body, ctx)})


def _form(path: str, body: dict[str, Any]) -> Body:
    return lambda ctx: (path.format(**ctx), {"data": _filled(body, ctx)})


def _upload(
    path: str,
    make: Callable[[dict[str, Any]], tuple[bytes, str]],
    field_name: str = "file",
    **form: str,
) -> Body:
    def build(ctx: dict[str, Any]) -> tuple[str, dict]:
        content, filename = make(ctx)
        data: dict[str, Any] = {k: v.format(**ctx) for k, v in form.items()}
        data[field_name] = (io.BytesIO(content), filename)
        return path.format(**ctx), {"data": data, "content_type": "multipart/form-data"}

    return build


# -- files --------------------------------------------------------------------------------------
def _marker_csv(ctx: dict[str, Any]) -> tuple[bytes, str]:
    refs = "；".join(f"{d}/{b}/{m}" for d, b, m in REFERENCES)
    lon, lat = ctx["new_marker_point"]
    text = f"界线,编号,经度,纬度,材质,方位物\n西上线,004Q,{lon:.7f},{lat:.7f},花岗岩,{refs}\n"
    return text.encode("gbk"), "界桩登记表.csv"


def _facility_csv(ctx: dict[str, Any]) -> tuple[bytes, str]:
    lon, lat = ctx["shangcai_point"]
    text = f"名称,类型,经度,纬度,区划代码\n上蔡测试站,rental_station,{lon:.6f},{lat:.6f},411722\n"
    return text.encode("utf-8"), "facilities.csv"


def _names_csv(ctx: dict[str, Any]) -> tuple[bytes, str]:
    return "名称,类别,区划代码\n锦程路,road,411702\n".encode(), "names.csv"


def _jpeg(ctx: dict[str, Any]) -> tuple[bytes, str]:
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (32, 24), (120, 160, 90)).save(out, "JPEG")
    return out.getvalue(), "现场.jpg"


def _pdf(ctx: dict[str, Any]) -> tuple[bytes, str]:
    return b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n", "补充材料.pdf"


def _two_lists(path: str, old_field: str, new_field: str) -> Body:
    """Two official lists of 驿城区 (古城乡 became 古城街道) uploaded with ``parent``."""

    def build(ctx: dict[str, Any]) -> tuple[str, dict]:
        data = {
            "parent": "411702",
            old_field: (io.BytesIO("code,name\n411702206,古城乡\n".encode()), "2016.csv"),
            new_field: (io.BytesIO("code,name\n411702012,古城街道\n".encode()), "2023.csv"),
        }
        return path, {"data": data, "content_type": "multipart/form-data"}

    return build


def _heritage_csv(ctx: dict[str, Any]) -> tuple[bytes, str]:
    text = f"名称,区划,级别,来源\n{ctx['name_text']},411702,地方:测试名录,测试名录（2026）\n"
    return text.encode(), "heritage.csv"


def _box(lon: float, lat: float, d: float = 0.01) -> dict[str, Any]:
    ring = [[lon, lat], [lon + d, lat], [lon + d, lat + d], [lon, lat + d], [lon, lat]]
    return {"type": "Polygon", "coordinates": [ring]}


def _one_polygon(properties: dict[str, str], geometry: dict[str, Any], name: str):
    """A GeoJSON file of one feature, as ``(bytes, file name)``."""
    feature = {"type": "Feature", "properties": properties, "geometry": geometry}
    doc = {"type": "FeatureCollection", "features": [feature]}
    return json.dumps(doc, ensure_ascii=False).encode(), name


def _zones_geojson(ctx: dict[str, Any]) -> tuple[bytes, str]:
    lon, lat = ctx["yicheng_point"]
    return _one_polygon({"name": "测试片区", "code": "Z1"}, _box(lon, lat), "zones.geojson")


def _division_geojson(ctx: dict[str, Any]) -> tuple[bytes, str]:
    lon, lat = ctx["yicheng_point"]
    properties = {"adcode": "411702999", "name": "测试街道"}
    return _one_polygon(properties, _box(lon, lat, 0.002), "divisions.geojson")


def _roads_geojson(ctx: dict[str, Any]) -> tuple[bytes, str]:
    lon, lat = ctx["yicheng_point"]
    lines = []
    for i in range(4):
        lines.append([[lon, lat + i * 0.002], [lon + 0.006, lat + i * 0.002]])
        lines.append([[lon + i * 0.002, lat], [lon + i * 0.002, lat + 0.006]])
    doc = {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "properties": {"highway": "residential"},
                "geometry": {"type": "LineString", "coordinates": c},
            }
            for c in lines
        ],
    }
    return json.dumps(doc).encode(), "roads.geojson"


def _geotiff(ctx: dict[str, Any]) -> tuple[bytes, str]:
    lon, lat = ctx["yicheng_point"]
    data = np.full((10, 10), 5.0, dtype="float32")
    with rasterio.MemoryFile() as mem:
        with mem.open(
            driver="GTiff",
            width=10,
            height=10,
            count=1,
            dtype="float32",
            crs="EPSG:4326",
            transform=from_origin(lon, lat + 0.01, 0.001, 0.001),
            nodata=-1,
        ) as dst:
            dst.write(data, 1)
        return mem.read(), "pop.tif"


# -- the table ----------------------------------------------------------------------------------
_CHECK_FORM = {
    "plan_id": "{plan_id}",
    "marker_id": f"{LINE}-003Q",
    "lon": "{q3_lon}",
    "lat": "{q3_lat}",
    "gps_accuracy_m": "3",
    "condition": "intact",
    "ref_total": "3",
    "ref_ok": ["0", "1", "2"],
    "inspected_on": TODAY,
    "remarks": "完好",
}
_NO_DIVISION = "a shared input or computation with no division"

ROUTES: dict[str, Route] = {
    "admin.users": Route(
        ("admin",),
        _form(
            "/admin/users",
            {
                "username": "new_user",
                "password": "long-enough-1",
                "role": "planner",
                "division_code": "411702",
                "display_name": "新用户",
            },
        ),
    ),
    "admin.set_active": Route(("admin",), _form("/admin/users/officer1/disable", {}), ok=(303,)),
    "admin.set_password": Route(
        ("admin",),
        _form("/admin/users/officer1/password", {"password": "another-long-1"}),
        ok=(303,),
    ),
    "admin.make_backup": Route(
        ("admin",),
        _form("/admin/backups", {}),
        division=False,
        why="the store as a whole, written to the server's backups folder",
    ),
    "boundaries_api.markers_import": Route(
        ("inspector",), _upload("/api/boundaries/markers/import", _marker_csv)
    ),
    "boundaries_api.add_record": Route(
        ("inspector",), _json("/api/boundaries/records", {"plan_id": "{plan_id}", "kind": "line"})
    ),
    "boundaries_api.correct": Route(
        ("inspector",),
        _json(
            "/api/boundaries/records/{record_id}/correct", {"reason": "更正备注", "remarks": "复核"}
        ),
    ),
    "boundaries_api.sign": Route(
        ("inspector",),
        _json("/api/boundaries/records/{record_id}/sign", {"version": "1"}),
        division_refusal=(400,),
    ),  # a side that is not the signer's is a SignOffError
    "cases_api.apply": Route(
        ("officer",),
        _json(
            "/api/cases",
            {
                "kind": "naming",
                "proposed_name": "锦程路",
                "applicant": "某公司",
                "location": "驿城区",
                "category": "road",
                "division_code": "411702",
            },
        ),
    ),
    "cases_api.step": Route(("officer",), _json("/api/cases/{case_id}/review", {})),
    "cases_api.upload_document": Route(
        ("officer",), _upload("/api/cases/{case_id}/documents", _pdf, doc_type="other")
    ),
    "cases_api.reject": Route(
        ("officer",), _json("/api/cases/{case_id}/reject", {"reason": "不符合规划"})
    ),
    "cases_api.withdraw": Route(
        ("officer",), _json("/api/cases/{case_id}/withdraw", {"reason": "申请人撤回"})
    ),
    "cases_api.add_sign": Route(
        ("officer",),
        _json(
            "/api/signs",
            {
                "name_id": "{name_id}",
                "sign_type": "road",
                "text": "{name_text}",
                "lon": "{yicheng_lon}",
                "lat": "{yicheng_lat}",
            },
        ),
    ),
    "cases_api.add_patrol": Route(
        ("officer",), _json("/api/signs/{sign_id}/patrols", {"condition": "intact"})
    ),
    "cases_api.set_sign_status": Route(
        ("officer",), _json("/api/signs/{sign_id}/status", {"status": "damaged"})
    ),
    "coverage_api.start_batch": Route(
        ("planner",),
        _json("/api/coverage/batches", {"types": ["rental_station"], "parent": "411700"}),
        division=False,
        why=_NO_DIVISION,
        writes=False,
    ),
    "coverage_api.import_facilities": Route(
        ("planner",), _upload("/api/coverage/facilities/import", _facility_csv, crs="CGCS2000")
    ),
    "coverage_api.import_network": Route(
        ("planner",),
        _upload("/api/coverage/networks", _roads_geojson, name="测试路网"),
        division=False,
        why=_NO_DIVISION,
        writes=False,
    ),
    "coverage_api.import_raster": Route(
        ("planner",),
        _upload("/api/coverage/rasters", _geotiff, label="测试人口"),
        division=False,
        why=_NO_DIVISION,
    ),
    "coverage_api.start_run": Route(
        ("planner",),
        _json("/api/coverage/runs", {"types": ["rental_station"], "aoi": "411702"}),
        division=False,
        why=_NO_DIVISION,
        writes=False,
    ),
    "coverage_api.start_suggestion": Route(
        ("planner",),
        _json("/api/coverage/suggestions", {"run_id": "R-none", "k": 1}),
        division=False,
        why="needs a finished coverage run; its acceptance is in test_web_coverage",
        writes=False,
        accept=False,
    ),
    "coverage_api.what_if": Route(
        ("planner", "officer", "inspector"),
        _json("/api/coverage/suggestions/S-unknown/what-if", {"add": []}),
        division=False,
        why="answers from a cached suggestion and writes nothing",
        writes=False,
        accept=False,
    ),
    "coverage_api.import_zones": Route(
        ("planner",),
        _upload("/api/coverage/zones", _zones_geojson, name="测试片区", kind="subdistrict"),
        division=False,
        why=_NO_DIVISION,
    ),
    "api.import_divisions": Route(("admin",), _upload("/api/divisions/import", _division_geojson)),
    "names_api.add_name": Route(
        ("officer",),
        _json("/api/names", {"name": "锦程路", "category": "road", "division_code": "411702"}),
    ),
    "names_api.accept": Route(
        ("officer",),
        _json(
            "/api/names/accept",
            {"name": "锦程路", "rule": "N2-DUPLICATE", "reason": "两处同名已报批"},
        ),
        division=False,
        why="an acceptance is about a name, not a division",
    ),
    "names_api.import_names": Route(
        ("officer",), _upload("/api/names/import?save=true", _names_csv)
    ),
    "names_api.add_reading": Route(
        ("officer",),
        _json("/api/names/readings", {"word": "驿城", "pinyin": "yi4 cheng2", "note": "测试"}),
        division=False,
        why="the readings list is shared by every division",
    ),
    "names_api.add_term": Route(
        ("officer",),
        _json("/api/names/terms", {"list": "brand", "term": "测试品牌"}),
        division=False,
        why="the officers' lists are shared by every division",
    ),
    "names_api.validate": Route(
        (),
        _json(
            "/api/names/validate", {"name": "锦程路", "category": "road", "division_code": "411702"}
        ),
        public=True,
    ),
    "boundaries.check_marker": Route(("inspector",), _form("/boundaries/check", _CHECK_FORM)),
    "boundaries.check_line": Route(
        ("inspector",),
        _form(
            "/boundaries/check/line",
            {"line_plan_id": "{plan_id}", "line_inspected_on": TODAY, "line_remarks": "无变化"},
        ),
    ),
    "boundaries.markers_import": Route(
        ("inspector",), _upload("/boundaries/markers/import", _marker_csv)
    ),
    "boundaries.correct": Route(
        ("inspector",),
        _form(
            "/boundaries/records/{record_id}/correct",
            {
                "reason": "更正",
                "remarks": "复核",
                "lon": "{q1_lon}",
                "lat": "{q1_lat}",
                "gps_accuracy_m": "3",
            },
        ),
    ),
    "boundaries.add_photo": Route(
        ("inspector",),
        _upload("/boundaries/records/{record_id}/photos", _jpeg, field_name="photo", note="现场"),
    ),
    "boundaries.sign": Route(
        ("inspector",),
        _form("/boundaries/records/{record_id}/sign", {"version": "1"}),
        division_refusal=(302, 400),
    ),  # refused with a flash
    "boundaries.add_plan": Route(
        ("inspector",),
        _form(
            "/boundaries/rounds/{round_no}/plans",
            {
                "line_id": "411721-411728",
                "year": str(date.today().year),
                "kind": "regular",
                "left_team": "张三",
                "right_team": "王五",
            },
        ),
    ),
    "boundaries.open_round": Route(
        ("inspector",),
        _form("/boundaries/rounds/open", {"year": str(date.today().year + 5)}),
        division=False,
        why="a round is the schedule of every line",
    ),
    "cases.advance": Route(("officer",), _form("/cases/{case_id}/review", {})),
    "cases.upload": Route(
        ("officer",), _upload("/cases/{case_id}/documents", _pdf, doc_type="other")
    ),
    "cases.reject": Route(("officer",), _form("/cases/{case_id}/reject", {"reason": "不符合"})),
    "cases.withdraw": Route(("officer",), _form("/cases/{case_id}/withdraw", {"reason": "撤回"})),
    "cases.new": Route(
        ("officer",),
        _form(
            "/cases/new",
            {
                "kind": "naming",
                "proposed_name": "锦程路",
                "applicant": "某公司",
                "location": "驿城区",
                "category": "road",
                "division_code": "411702",
            },
        ),
    ),
    "auth.login": Route((), _form("/login", {"username": "nobody", "password": "x"}), public=True),
    "auth.logout": Route((), _form("/logout", {}), public=True),
    "names.edit": Route(
        ("officer",), _form("/names/{name_id}/edit", {"pinyin": "Cèshì"}), division_refusal=(403,)
    ),
    "names.accept": Route(
        ("officer",),
        _form(
            "/names/accept", {"name": "锦程路", "rule": "N2-DUPLICATE", "reason": "两处同名已报批"}
        ),
        division=False,
        why="an acceptance is about a name, not a division",
    ),
    "names.check": Route(
        ROLES,
        _form("/names/check", {"name": "锦程路", "category": "road", "division_code": "411702"}),
        division=False,
        why="a check writes nothing",
        writes=False,
    ),
    "names.import_page": Route(("officer",), _upload("/names/import", _names_csv, save="1")),
    "names.lists": Route(
        ("officer",),
        _form("/names/lists", {"kind": "term", "list": "brand", "term": "测试品牌"}),
        division=False,
        why="the officers' lists are shared by every division",
    ),
    "signs.patrol": Route(
        ("officer",), _form("/signs/{sign_id}/patrols", {"condition": "intact", "date": TODAY})
    ),
    "signs.set_status": Route(
        ("officer",), _form("/signs/{sign_id}/status", {"status": "damaged"})
    ),
    "signs.new": Route(
        ("officer",),
        _form(
            "/signs/new",
            {
                "name_id": "{name_id}",
                "sign_type": "road",
                "text": "{name_text}",
                "lon": "{yicheng_lon}",
                "lat": "{yicheng_lat}",
            },
        ),
    ),
    "names_api.import_heritage_levels": Route(
        ("officer",), _upload("/api/names/heritage", _heritage_csv)
    ),
    "names.heritage": Route(("officer",), _upload("/names/heritage", _heritage_csv)),
    # -- division changes (区划变更): a case, a proposal and a 勘界 task in 驿城区 ------------
    "changes_api.propose": Route(
        ("officer",), _two_lists("/api/division-changes/proposals", "from", "to")
    ),
    "changes.proposals_page": Route(("officer",), _two_lists("/divisions/changes/", "old", "new")),
    "changes_api.accept": Route(
        ("officer",), _json("/api/division-changes/proposals/{proposal_id}/accept", {})
    ),
    "changes.accept": Route(
        ("officer",), _form("/divisions/changes/proposals/{proposal_id}/accept", {})
    ),
    "changes_api.dismiss": Route(
        ("officer",),
        _json("/api/division-changes/proposals/{proposal_id}/dismiss", {"reason": "统计简称"}),
    ),
    "changes.dismiss": Route(
        ("officer",),
        _form("/divisions/changes/proposals/{proposal_id}/dismiss", {"reason": "统计简称"}),
    ),
    "changes_api.apply": Route(
        ("officer",),
        _json(
            "/api/division-changes/cases",
            {
                "kind": "rename",
                "title": "朱古洞乡更名（测试）",
                "before": [{"code": "411702204", "name": "朱古洞乡", "level": "township"}],
                "after": [{"code": "411702204", "name": "朱古新乡", "level": "township"}],
            },
        ),
    ),
    "changes_api.step": Route(
        ("officer",), _json("/api/division-changes/cases/{change_case}/review", {})
    ),
    "changes.advance": Route(
        ("officer",), _form("/divisions/changes/cases/{change_case}/review", {})
    ),
    "changes_api.attach": Route(
        ("officer",),
        _upload("/api/division-changes/cases/{change_case}/documents", _pdf, doc_type="other"),
    ),
    "changes.upload": Route(
        ("officer",),
        _upload("/divisions/changes/cases/{change_case}/documents", _pdf, doc_type="other"),
    ),
    "changes_api.survey_done": Route(
        ("officer", "inspector"),
        _json("/api/division-changes/surveys/{survey_task}/done", {"note": "已勘界"}),
    ),
    "changes.survey_done": Route(
        ("officer", "inspector"),
        _form("/divisions/changes/surveys/{survey_task}/done", {"note": "已勘界"}),
    ),
}

_WRITE_METHODS = {"POST", "PUT", "PATCH", "DELETE"}


def _write_endpoints(app: Any) -> set[str]:
    return {r.endpoint for r in app.url_map.iter_rules() if r.methods & _WRITE_METHODS}


# -- the prepared store --------------------------------------------------------------------------
@pytest.fixture(scope="module")
def prepared(
    demo_template, store_maker, tmp_path_factory: pytest.TempPathFactory
) -> tuple[Path, dict]:
    """One store with every record the routes act on; each test copies it."""
    path = store_maker.copy(demo_template, tmp_path_factory.mktemp("sweep"), "sweep")
    store = open_store(path)
    plan, markers = prepare_field(store)
    users = Users(store)
    for name, (role, code) in ACCOUNTS.items():
        if users.get(name) is None:
            users.add(name, PASSWORD, role=role, division_code=code, actor="system")
    ctx = _records(store, plan, markers)
    store.close()
    return path, ctx


def _records(store: Store, plan: Any, markers: dict) -> dict[str, Any]:
    from geociv.boundaries.inspections import Inspections

    gaz = Gazetteer(store)
    roads = [r for r in store.query_names() if r.division_code == "411702" and r.category == "road"]
    name = roads[0] if roads else None
    yicheng = store.get_division("411702").geometry.representative_point()
    shangcai = store.get_division("411722").geometry.representative_point()
    if name is None:
        name, _ = gaz.add("天中测试路", "road", "411702", actor="system")
    case = Cases(store, gaz).apply(
        "naming",
        "锦程路",
        applicant="某公司",
        location="驿城区",
        category="road",
        division_code="411702",
        actor="system",
    )
    for kind in ("assessment", "expert", "consultation"):
        Cases(store, gaz).attach(case.case_id, kind, f"{kind}.pdf", b"%PDF-1.4", actor="system")
    sign = Signs(store, gaz).register(name.name_id, yicheng, "road", name.name, actor="system")
    q1 = markers[Q1]
    record = Inspections(store).record_marker(
        plan.plan_id,
        Q1,
        condition="intact",
        actor="inspector2",
        measured=q1.location,
        gps_accuracy_m=3,
        references_present=3,
    )
    changes = _division_changes(store)
    line = store.get_boundary_line(LINE)
    new_point = point_on(line, 0.65)
    q3 = markers[f"{LINE}-003Q"].location
    return {
        "plan_id": plan.plan_id,
        "round_no": plan.round_no,
        "record_id": record.record_id,
        "case_id": case.case_id,
        "sign_id": sign.sign_id,
        "name_id": name.name_id,
        "name_text": name.name,
        "q1_lon": f"{q1.location.x:.7f}",
        "q1_lat": f"{q1.location.y:.7f}",
        "yicheng_point": (yicheng.x, yicheng.y),
        "yicheng_lon": f"{yicheng.x:.6f}",
        "yicheng_lat": f"{yicheng.y:.6f}",
        "shangcai_point": (shangcai.x, shangcai.y),
        "new_marker_point": (new_point.x, new_point.y),
        "q3_lon": f"{q3.x:.7f}",
        "q3_lat": f"{q3.y:.7f}",
        **changes,
    }


def _division_changes(store: Store) -> dict[str, str]:
    """A change case (applied), a pending proposal and an open 勘界 task, all in 驿城区."""
    from geociv.changes.cases import DivisionChanges
    from geociv.store import DivisionProposal, SurveyTask

    def township(code: str, name: str) -> dict[str, str]:
        return {"code": code, "name": name, "level": "township", "parent_code": "411702"}

    case = DivisionChanges(store).apply(
        "rename", title="胡庙乡更名（测试）", actor="system",
        before=[township("411702205", "胡庙乡")], after=[township("411702205", "胡庙新乡")],
    )  # fmt: skip
    body = {
        "kind": "rename", "level": "township", "villages": [], "evidence": ["测试"],
        "before": [township("411702201", "老河乡")], "after": [township("411702201", "老河新乡")],
    }  # fmt: skip
    proposal = DivisionProposal("", "测试", "rename:411702201", "rename", "411702", body)
    (saved,) = store.add_division_proposals([proposal], actor="system")
    task = SurveyTask("", case.case_id, ("411702205",), "2020-01-01")
    return {
        "change_case": case.case_id,
        "proposal_id": saved.proposal_id,
        "survey_task": store.add_survey_task(task, actor="system").task_id,
    }


_TOKEN = re.compile(r'name="csrf-token" content="([^"]+)"')


def _client(app: Any, username: str | None) -> tuple[Any, str]:
    """A test client logged in as ``username`` through the real form, with its CSRF token."""
    client = app.test_client()
    page = client.get("/login").get_data(as_text=True)
    token = _TOKEN.search(page).group(1)
    if username is not None:
        response = client.post(
            "/login", data={"username": username, "password": PASSWORD, "csrf_token": token}
        )
        assert response.status_code == 302, (username, response.status_code)
        page = client.get("/").get_data(as_text=True)
        token = _TOKEN.search(page).group(1)
    return client, token


def _writes(store_path: Path) -> int:
    """Audit entries that are not log-ins or refusals (read with a plain SQL query)."""
    skipped = ", ".join(f"'{action}'" for action in sorted(REFUSAL_ACTIONS | LOGIN_ACTIONS))
    sql = f"SELECT count(*) FROM audit_log WHERE action NOT IN ({skipped})"
    return int(scalar(store_path, sql))


def _refused(response: Any) -> bool:
    if response.status_code in (400, 401, 403):
        return True
    return response.status_code == 302 and "/login" in response.headers.get("Location", "")


def _says(response: Any) -> str:
    """The messages of a response (JSON body, or the flashed lines of a page)."""
    text = response.get_data(as_text=True)
    if response.mimetype == "text/html":
        flashes = re.findall(r'class="[^"]*(?:flash|error)[^"]*"[^>]*>([^<]+)', text)
        return " | ".join(f.strip() for f in flashes)[:800]
    return text[:800]


SWEPT: list[tuple[str, str, int]] = []


def test_every_write_route_is_in_the_table(app) -> None:
    missing = _write_endpoints(app) - set(ROUTES)
    assert not missing, f"write routes without a sweep entry (add them to ROUTES): {missing}"
    assert not set(ROUTES) - _write_endpoints(app), "stale entries in ROUTES"


@pytest.mark.parametrize("endpoint", sorted(ROUTES))
def test_route_refuses_every_wrong_identity_and_accepts_the_right_one(
    endpoint: str, prepared, store_maker, tmp_path: Path
) -> None:
    from web import create_app

    template, ctx = prepared
    path = store_maker.copy(template, tmp_path, "s")
    app = create_app(
        {
            "GEOCIV_STORE": str(path),
            "GEOCIV_INSTANCE": str(tmp_path),
            "TESTING": True,
            "WTF_CSRF_ENABLED": True,
            "SECRET_KEY": "sweep",
        }
    )
    route = ROUTES[endpoint]
    url, kwargs = route.body(ctx)
    if route.public:
        client, token = _client(app, None)
        response = client.post(url, headers={"X-CSRFToken": token}, **kwargs)
        assert response.status_code < 500, (endpoint, response.status_code)
        SWEPT.append((endpoint, "public", response.status_code))
        return
    identities: list[tuple[str, str | None, bool]] = [("anonymous", None, True)]
    right_role = route.roles[0]
    right = RIGHT[right_role]
    identities.append(("no CSRF token", right, False))
    for role in ROLES:
        if role not in route.roles and role != "admin":
            identities.append((f"wrong role {role}", RIGHT[role], True))
    if route.division:
        identities.append(("right role, wrong division", WRONG_DIVISION[right_role], True))
    clients = {who: _client(app, user) for who, user, _ in identities}
    right_client = _client(app, right)
    before = _writes(path)
    for who, _user, with_token in identities:
        client, token = clients[who]
        headers = {"X-CSRFToken": token} if with_token else {}
        url, kwargs = route.body(ctx)  # fresh file objects for every request
        response = client.post(url, headers=headers, **kwargs)
        detail = (endpoint, who, response.status_code, response.get_data(as_text=True)[:300])
        assert response.status_code < 500, detail
        if who == "right role, wrong division":
            assert response.status_code in route.division_refusal or _refused(response), detail
        else:
            assert _refused(response), detail
        assert _writes(path) == before, ("written by a refused request", *detail)
        SWEPT.append((endpoint, who, response.status_code))
    if not route.accept:
        return
    client, token = right_client
    url, kwargs = route.body(ctx)
    response = client.post(url, headers={"X-CSRFToken": token}, **kwargs)
    detail = (endpoint, response.status_code, _says(response))
    assert response.status_code in route.ok, detail
    if route.writes:
        assert _writes(path) > before, ("accepted but nothing written", *detail)
    SWEPT.append((endpoint, "right", response.status_code))


def test_sweep_figures(capsys) -> None:
    """Print how many routes × identities were swept (runs after the sweep in file order)."""
    routes = {e for e, _, _ in SWEPT}
    with capsys.disabled():
        print(f"\nrole-and-jurisdiction sweep: {len(routes)} routes, {len(SWEPT)} requests")
    assert not SWEPT or len(routes) >= 1
