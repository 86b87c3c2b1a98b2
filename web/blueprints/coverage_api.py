"""JSON API of the 15-minute service circles (服务圈覆盖): facilities, stored inputs, coverage
runs, site suggestions, exports and the progress of long computations.

Reads need a logged-in user (any role); writes — importing facilities, networks, rasters and
zones, starting a coverage run or a site suggestion — the ``planner`` role (admins pass every
role). Long computations answer ``202 {"job_id"}`` at once; ``GET /api/coverage/jobs/<id>``
reports the fraction done, the stage and finally the result. Bad input is a 400 with
``{"error", "problems": [{row, field, message}]}``.
"""

from __future__ import annotations

import base64
import json
import tempfile
from collections import OrderedDict
from pathlib import Path
from typing import TYPE_CHECKING, Any

import geopandas as gpd
import shapely
from flask import Blueprint, Response, current_app, jsonify, request

from geociv import uploads
from geociv.coverage.exports import method_text, speed_text
from geociv.coverage.facilities import Facilities, FacilityImport, parse_type
from geociv.coverage.isochrones import SPEEDS
from geociv.coverage.requests import CoverageRequest, SuggestRequest, layers_of
from geociv.coverage.service import CoverageResult, circle_label
from geociv.crs import STORAGE_CRS
from geociv.errors import Problem, ValidationError
from geociv.labels import FACILITY_STATUS_LABELS, FACILITY_TYPE_LABELS, METHOD_LABELS, SPEED_LABELS
from geociv.localtime import cell_time
from geociv.store import FACILITY_STATUSES, FACILITY_TYPES, CoverageRun
from web._helpers import actor, not_found, role_required, store
from web._uploads import received, received_for_later
from web.coverage_export import FACILITY_COLORS
from web.handlers.coverage import CRS_CHOICES, READERS
from web.handlers.files import download
from web.job_board import JobBoard
from web.jobs import Jobs
from web.params import bbox_arg
from web.words import labelled

if TYPE_CHECKING:
    from geociv.coverage.suggest import SiteSuggestion

bp = Blueprint("coverage_api", __name__, url_prefix="/api/coverage")


_CACHE_SIZE = 16


# -- app-wide helpers -------------------------------------------------------------------------


def jobs() -> Jobs:
    """The app's background job pool."""
    ext = current_app.extensions
    if "geociv_jobs" not in ext:
        cfg = current_app.config
        ext["geociv_jobs"] = Jobs(
            workers=2,
            max_waiting=int(cfg.get("JOBS_MAX_WAITING", 8)),
            per_owner=int(cfg.get("JOBS_PER_USER", 3)),
            board=JobBoard(Path(cfg["GEOCIV_INSTANCE"]) / "jobs"),
        )
    return ext["geociv_jobs"]


def _cache(name: str) -> OrderedDict[str, Any]:
    ext = current_app.extensions
    return ext.setdefault(f"geociv_coverage_{name}", OrderedDict())


def _remember(name: str, key: str, value: Any) -> None:
    cache = _cache(name)
    cache[key] = value
    cache.move_to_end(key)
    while len(cache) > _CACHE_SIZE:
        cache.popitem(last=False)


def coverage_result(run_id: str) -> CoverageResult:
    """The layers of a coverage run: from the cache, else recomputed from its request."""
    cached = _cache("results").get(run_id)
    if cached is not None:
        return cached
    run = store().get_coverage_run(run_id)
    if run is None or _run_kind(run.kind) != "coverage":
        not_found(f"覆盖计算记录 {run_id} 不存在")
    result = layers_of(store(), run_id)
    _remember("results", run_id, result)
    return result


def suggestion_of(run_id: str) -> SiteSuggestion | None:
    """The cached suggestion (with its coverage model) of a stored suggestion run."""
    return _cache("suggestions").get(run_id)


def geojson(frame: gpd.GeoDataFrame | None) -> dict[str, Any] | None:
    """A GeoDataFrame as a GeoJSON dict (coordinates in EPSG:4490 degrees, 6 decimals)."""
    if frame is None:
        return None
    return json.loads(frame.to_json(drop_id=True, to_wgs84=False, na="null"))


def facilities_geojson(types: list[str] | None = None) -> dict[str, Any]:
    """The stored facilities (not retired) with Chinese labels."""
    frame = Facilities(store()).frame()
    if types:
        frame = frame[frame["type"].isin(types)]
    frame = frame.assign(
        status_label=frame["status"].map(FACILITY_STATUS_LABELS),
        capacity_beds=frame["capacity_beds"].astype(object).where(frame["capacity_beds"].notna()),
    )
    return geojson(frame[frame.geometry.notna()]) or {}


def _run_kind(kind: str) -> str:
    """``coverage``, ``suggestion`` or ``batch`` from a stored run's kind."""
    if kind.startswith("suggest:"):
        return "suggestion"
    return "batch" if kind.startswith("batch:") else "coverage"


def run_json(run: CoverageRun) -> dict[str, Any]:
    """A stored run (coverage, suggestion or batch) for the API."""
    kind = run.kind.split(":", 1)[-1]
    types = [t for t in kind.split(",") if t in FACILITY_TYPE_LABELS]
    return {
        "run_id": run.run_id,
        "kind": _run_kind(run.kind),
        "types": types,
        "circle": circle_label(types) if types else "",
        "created_at": run.created_at,
        "created_at_text": cell_time(run.created_at),
        "actor": run.actor,
        "summary": run.summary,
        "params": run.params,
        "stale": run.stale,
    }


def result_json(result: CoverageResult) -> dict[str, Any]:
    """The layers and figures of a coverage result."""
    return {
        "run_id": result.run_id,
        "summary": result.summary(),
        "method": result.method,
        "method_label": METHOD_LABELS[result.method],
        "method_text": method_text(result),
        "minutes": list(result.isochrones.minutes),
        "speed_mps": result.isochrones.speed_mps,
        "speed_text": speed_text(result),
        "inputs": result.inputs,
        "aoi": geojson(result.aoi),
        "isochrones": geojson(result.polygons),
        "uncovered": geojson(result.uncovered),
        "zones": geojson(result.zones),
    }


def _json_body() -> dict[str, Any]:
    data = request.get_json(silent=True)
    if data is None:
        data = request.form.to_dict()
        for key in ("types", "rings", "statuses"):
            if key in request.form:
                data[key] = request.form.getlist(key)
    if not isinstance(data, dict):
        raise ValidationError("请求体应为 JSON 对象", title="请求有误")
    return data


# -- reads -------------------------------------------------------------------------------------


@bp.get("/options")
@role_required(*READERS)
def options() -> Response:
    """What a planner can choose from: facility types (with counts), statuses, speeds, the
    stored areas of interest, networks, rasters and zone sets."""
    from geociv.coverage.stored import CoverageInputs

    inputs = CoverageInputs(store())
    counts: dict[str, int] = {}
    for f in store().query_facilities():
        counts[f.type] = counts.get(f.type, 0) + 1
    zone_sets = [
        {"set_id": z.set_id, "name": z.name, "kind": z.kind, "n_zones": z.n_zones, "stale": z.stale}
        for z in inputs.zone_sets()
    ]
    return jsonify(
        types=[
            {
                "code": t,
                "label": FACILITY_TYPE_LABELS[t],
                "count": counts.get(t, 0),
                "color": FACILITY_COLORS[t],
            }
            for t in FACILITY_TYPES
        ],
        statuses=[{"code": s, "label": FACILITY_STATUS_LABELS[s]} for s in FACILITY_STATUSES],
        speeds=[
            {"code": k, "label": f"{SPEED_LABELS[k][0]}（{SPEED_LABELS[k][1]}）", "mps": v}
            for k, v in SPEEDS.items()
        ],
        crs=[{"code": k, "label": v} for k, v in CRS_CHOICES.items()],
        aois=[z for z in zone_sets if z["kind"] == "aoi"],
        zone_sets=[z for z in zone_sets if z["kind"] != "aoi"],
        networks=[
            {
                "network_id": n.network_id,
                "name": n.name,
                "n_edges": n.n_edges,
                "length_km": n.length_km,
            }
            for n in inputs.networks()
        ],
        rasters=[
            {"raster_id": r.raster_id, "label": r.label, "total": r.total} for r in inputs.rasters()
        ],
    )


@bp.get("/facilities")
@role_required(*READERS)
def facilities() -> Response:
    """Stored facilities as GeoJSON (``?type=`` code or label, repeatable)."""
    types = []
    for t in request.args.getlist("type"):
        code = parse_type(t)
        if code is None:
            raise ValidationError(Problem(f"未知的设施类型 {t!r}", field="type"))
        types.append(code)
    return jsonify(facilities_geojson(types or None))


@bp.get("/runs")
@role_required(*READERS)
def runs() -> Response:
    """Stored runs, newest first (``?kind=coverage|suggestion|batch``). ``reopenable`` says
    whether a coverage run's layers can be drawn again (runs made from stored inputs can; a
    script's run on an ad-hoc polygon keeps only its figures)."""
    kind = request.args.get("kind")
    items = [run_json(r) for r in store().coverage_runs()]
    if kind:
        items = [r for r in items if r["kind"] == kind]
    items.sort(key=lambda r: r["run_id"], reverse=True)
    for item in items:
        params = item.pop("params")
        item["reopenable"] = item["kind"] != "coverage" or bool(params.get("request"))
    return jsonify(runs=items)


@bp.get("/runs/<run_id>")
@role_required(*READERS)
def run_detail(run_id: str) -> Response:
    """A coverage run: figures, inputs and layers (GeoJSON), plus the per-zone table."""
    return jsonify(result_json(coverage_result(run_id)))


@bp.get("/jobs/<job_id>")
@role_required(*READERS)
def job(job_id: str) -> Response:
    """Progress of a background computation."""
    found = jobs().get(job_id)
    if found is None:
        not_found(f"计算任务 {job_id} 不存在或已过期")
    answer = found.to_dict()
    if answer.get("error"):  # the failure's problems in the page's words, as every 4xx
        answer["error"] = {**answer["error"], "problems": labelled(answer["error"]["problems"])}
    return jsonify(answer)


# -- exports -----------------------------------------------------------------------------------


def _suggestion_for_export() -> SiteSuggestion | None:
    sid = request.args.get("suggestion")
    if not sid:
        return None
    found = suggestion_of(sid)
    if found is None:
        not_found(f"选址建议 {sid} 不在缓存中，请重新计算选址")
    return found


@bp.get("/runs/<run_id>/export.gpkg")
@role_required(*READERS)
def export_gpkg(run_id: str) -> Response:
    """The run's layers as one GeoPackage (``?suggestion=`` adds the suggested sites)."""
    from geociv.coverage.exports import results_geopackage

    result = coverage_result(run_id)
    suggestion = _suggestion_for_export()
    with tempfile.TemporaryDirectory() as tmp:
        path = results_geopackage(
            Path(tmp) / f"coverage_{run_id}.gpkg",
            result=result,
            facilities=Facilities(store()).frame(),
            suggestion=None if suggestion is None else suggestion.sites,
        )
        content = path.read_bytes()
    return download(content, f"服务圈覆盖_{run_id}.gpkg")


@bp.get("/runs/<run_id>/zones.csv")
@role_required(*READERS)
def export_zones(run_id: str) -> Response:
    """The per-zone table as CSV (UTF-8 with BOM, opens in Excel)."""
    from geociv.coverage.exports import zones_csv

    result = coverage_result(run_id)
    if result.zones is None:
        raise ValidationError(Problem("该次计算没有选择统计单元", field="zones_id"))
    return download(zones_csv(result).encode("utf-8"), f"分单元覆盖_{run_id}.csv")


@bp.get("/runs/<run_id>/summary.csv")
@role_required(*READERS)
def export_summary(run_id: str) -> Response:
    """The headline figures and inputs as CSV."""
    from geociv.coverage.exports import summary_csv

    result = coverage_result(run_id)
    suggestion = _suggestion_for_export()
    text = summary_csv(result, suggestion=None if suggestion is None else suggestion.sites)
    return download(text.encode("utf-8"), f"覆盖指标_{run_id}.csv")


@bp.get("/runs/<run_id>/map.html")
@role_required(*READERS)
def export_map(run_id: str) -> Response:
    """The map as one standalone HTML file that opens offline."""
    from web.coverage_export import standalone_map_html

    result = coverage_result(run_id)
    suggestion = _suggestion_for_export()
    page = standalone_map_html(
        result,
        Facilities(store()).frame(),
        suggestion=None if suggestion is None else suggestion.sites,
    )
    return download(page.encode("utf-8"), f"服务圈覆盖图_{run_id}.html")


# -- writes ------------------------------------------------------------------------------------


@bp.post("/facilities/import")
@role_required("planner")
def import_facilities() -> Response:
    """Import a facility file (multipart ``file``, ``crs`` for tables, optional
    ``default_type``, ``default_status``); all rows or none, unless ``skip_invalid=1`` asks
    for the valid rows only: then the rejected rows come back (``rejected``, and as a CSV
    with a 原因 column in ``rejected_csv``, base64). Every facility must lie in the
    jurisdiction unless ``within=0``. With ``network_id`` the points are compared with that
    road network and a GCJ-02/BD-09 file declared as another system is refused."""
    crs = request.form.get("crs") or None
    # Facilities must lie in the jurisdiction unless the planner says otherwise (within=0).
    within = _flag("within", True)
    area = str(current_app.config["JURISDICTION"]) if within else None
    if area is not None and (store().get_division(area) or None) is None:
        area = None
    network_id = request.form.get("network_id") or None
    network = _inputs().load_network(network_id) if network_id else None
    facilities = Facilities(store())
    with received(request.files.get("file"), uploads.FACILITY_KINDS) as upload:
        options = {
            "declared_crs": crs,
            "actor": actor(),
            "area": area,
            "network": network,
            "default_type": request.form.get("default_type") or None,
            "default_status": request.form.get("default_status") or "existing",
            "source": request.form.get("source") or None,
        }
        if _flag("skip_invalid", False):
            done = facilities.import_valid_rows(upload.path, **options)
            added, extra = done.added, _rejected_reply(done, upload.filename)
        else:
            added, extra = facilities.import_file(upload.path, **options), {}
    by_type: dict[str, int] = {}
    for f in added:
        label = FACILITY_TYPE_LABELS[f.type]
        by_type[label] = by_type.get(label, 0) + 1
    ids = [f.facility_id for f in added]
    return jsonify(added=len(added), by_type=by_type, ids=ids, **extra), 201


def _flag(name: str, default: bool) -> bool:
    """A yes/no form field (``1``/``0``, ``true``/``false``…)."""
    value = (request.form.get(name) or "").strip().lower()
    return default if not value else value not in ("0", "false", "no", "off")


def _rejected_reply(done: FacilityImport, filename: str) -> dict[str, Any]:
    """The rows an import left out: each with its reason, and the file to download."""
    reply: dict[str, Any] = {
        "skipped": len(done.rejected),
        "rejected": [{"row": r.row, "reason": r.reason} for r in done.rejected],
    }
    if done.rejected:
        reply["rejected_filename"] = f"{Path(filename).stem}_被拒行.csv"
        reply["rejected_csv"] = base64.b64encode(done.rejected_csv()).decode("ascii")
    return reply


@bp.post("/runs")
@role_required("planner")
def start_run() -> tuple[Response, int]:
    """Start a coverage run (see :class:`geociv.coverage.requests.CoverageRequest`); answers
    202 with the job id, whose result is the run's figures and layers."""
    req = CoverageRequest.from_dict(_json_body())
    user = actor()
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    the_store = store()

    def work(progress: Any) -> dict[str, Any]:
        result = req.run(the_store, actor=user, progress=progress)
        with app.app_context():
            _remember("results", result.run_id, result)
        return {"run_id": result.run_id, "summary": result.summary()}

    started = jobs().submit("coverage", work, owner=user)
    return jsonify(job_id=started.job_id, state=started.state), 202


@bp.post("/suggestions")
@role_required("planner")
def start_suggestion() -> tuple[Response, int]:
    """Suggest new sites on the inputs of a coverage run (see
    :class:`geociv.coverage.requests.SuggestRequest`); answers 202 with the job id."""
    req = SuggestRequest.from_dict(_json_body())
    if store().get_coverage_run(req.run_id) is None:
        not_found(f"覆盖计算记录 {req.run_id} 不存在")
    user = actor()
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    the_store = store()

    def work(progress: Any) -> dict[str, Any]:
        outcome = req.run(the_store, actor=user, progress=progress)
        with app.app_context():
            _remember("suggestions", outcome.run.run_id, outcome.suggestion)
        return {"suggestion_id": outcome.run.run_id, "summary": outcome.run.summary}

    started = jobs().submit("suggest", work, owner=user)
    return jsonify(job_id=started.job_id, state=started.state), 202


@bp.post("/batches")
@role_required("planner")
def start_batch() -> tuple[Response, int]:
    """Coverage of every county (``level``) of the jurisdiction (or ``parent``) at once, one
    Dask task per division; answers 202 with the job id."""
    from geociv.coverage.batch import batch_coverage

    data = _json_body()
    base = CoverageRequest.from_dict(data, need_aoi=False)
    parent = str(data.get("parent") or current_app.config["JURISDICTION"])
    level = str(data.get("level") or "county")
    user = actor()
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    the_store = store()

    def work(progress: Any) -> dict[str, Any]:
        result = batch_coverage(
            the_store,
            base.types,
            parent=parent,
            level=level,
            minutes=base.minutes,
            speed=base.speed,
            network_id=base.network_id,
            raster_id=base.raster_id,
            statuses=base.statuses,
            detour=base.detour,
            access_m=base.access_m,
            actor=user,
            progress=progress,
        )
        with app.app_context():
            _remember("batches", result.run_id, result)
        return {"run_id": result.run_id, "headline": result.headline}

    started = jobs().submit("batch", work, owner=user)
    return jsonify(job_id=started.job_id, state=started.state), 202


@bp.get("/batches/<run_id>")
@role_required(*READERS)
def batch_detail(run_id: str) -> Response:
    """A batch run: headline, overall figures and the divisions with their shares (GeoJSON)."""
    run = store().get_coverage_run(run_id)
    if run is None or _run_kind(run.kind) != "batch":
        not_found(f"汇总计算记录 {run_id} 不存在")
    cached = _cache("batches").get(run_id)
    if cached is not None:
        frame = cached.table
    else:  # after a restart: the stored table with the divisions' polygons
        rows = run.summary.get("divisions_table") or []
        found = [store().get_division(str(r.get("code"))) for r in rows]
        frame = gpd.GeoDataFrame(
            rows, geometry=[d.geometry if d else None for d in found], crs=STORAGE_CRS
        )
    body = run_json(run)
    body["divisions"] = geojson(frame.set_geometry(frame.geometry.simplify(0.0005)))
    body["summary"] = {k: v for k, v in run.summary.items() if k != "divisions_table"}
    return jsonify(body)


@bp.get("/suggestions/<suggestion_id>")
@role_required(*READERS)
def suggestion_detail(suggestion_id: str) -> Response:
    """A site suggestion: the sites (GeoJSON), their service areas, figures and the bound."""
    run = store().get_coverage_run(suggestion_id)
    if run is None or not run.kind.startswith("suggest:"):
        not_found(f"选址建议 {suggestion_id} 不存在")
    found = suggestion_of(suggestion_id)
    body = run_json(run)
    if found is not None:
        body["sites"] = geojson(found.sites)
        body["service_areas"] = geojson(found.service_areas())
        body["what_if"] = True
    else:
        body["sites"] = None
        body["service_areas"] = None
        body["what_if"] = False
    return jsonify(body)


@bp.post("/suggestions/<suggestion_id>/what-if")
@role_required(*READERS)
def what_if(suggestion_id: str) -> Response:
    """Coverage if sites are added (suggested or candidate ids) or existing ones removed,
    answered from the cached per-site coverage (under a second)."""
    found = suggestion_of(suggestion_id)
    if found is None:
        not_found(f"选址建议 {suggestion_id} 不在缓存中，请重新计算选址")
    data = _json_body()
    add = [str(s) for s in data.get("add") or []]
    remove = [str(s) for s in data.get("remove") or []]
    return jsonify(found.what_if(add=add, remove=remove))


# -- stored inputs: networks, rasters, zones ---------------------------------------------------


def _inputs() -> Any:
    from geociv.coverage.stored import CoverageInputs

    return CoverageInputs(store())


@bp.post("/networks")
@role_required("planner")
def import_network() -> tuple[Response, int]:
    """Import a road network (multipart ``file``: an OSM PBF or a roads layer; ``name``) in the
    background; the job's result is the connectivity report."""
    name = (request.form.get("name") or "").strip()
    if not name:
        raise ValidationError(Problem("请填写路网名称", field="name"), title="缺少路网名称")
    upload = received_for_later(request.files.get("file"), uploads.NETWORK_KINDS)
    path = upload.path
    user = actor()
    the_store = store()

    def work(progress: Any) -> dict[str, Any]:
        from geociv.coverage.stored import CoverageInputs

        try:
            report = CoverageInputs(the_store).import_network(
                path, name=name, actor=user, progress=progress
            )
            return report.to_dict()
        finally:
            upload.cleanup()

    try:
        started = jobs().submit("network", work, owner=user)
    except BaseException:
        upload.cleanup()
        raise
    return jsonify(job_id=started.job_id, state=started.state), 202


#: Most network lines sent to a map at once.
EDGES_MAX = 60_000


@bp.get("/networks/<network_id>/edges")
@role_required(*READERS)
def network_edges(network_id: str) -> Response:
    """The lines of a stored network as GeoJSON, within ``?bbox=minlon,minlat,maxlon,maxlat``."""
    edges = _inputs().network_edges(network_id, bbox_arg("bbox"))
    if len(edges) > EDGES_MAX:
        raise ValidationError(
            Problem(f"范围内路段过多（{len(edges):,} 条），请缩小范围", field="bbox"),
            title="路网过大，无法在地图上显示",
        )
    edges = edges.set_geometry(shapely.set_precision(edges.geometry.to_numpy(), 1e-6))
    return jsonify(geojson(edges))


@bp.get("/networks/<network_id>/snap")
@role_required(*READERS)
def snap(network_id: str) -> Response:
    """Snap distance of every facility (``?type=``) to a stored network, with far ones flagged."""
    frame = Facilities(store()).frame(type=request.args.get("type") or None)
    table = _inputs().snap_report(network_id, frame)
    rows = json.loads(table.to_json(orient="records", force_ascii=False))
    far = int(table["far"].sum()) if "far" in table else 0
    return jsonify(network_id=network_id, facilities=rows, far=far)


@bp.post("/rasters")
@role_required("planner")
def import_raster() -> tuple[Response, int]:
    """Import a population raster (multipart ``file`` GeoTIFF, ``label``)."""
    label = (request.form.get("label") or "").strip() or "60岁以上人口"
    with received(request.files.get("file"), uploads.RASTER_KINDS) as upload:
        raster = _inputs().import_raster(upload.path, label=label, actor=actor())
    return jsonify(raster.attributes()), 201


@bp.post("/zones")
@role_required("planner")
def import_zones() -> tuple[Response, int]:
    """Import zones or an area of interest (multipart ``file``, ``name``, ``kind``)."""
    form = request.form
    with received(request.files.get("file"), uploads.VECTOR_KINDS) as upload:
        zone_set = _inputs().import_zones(
            upload.path,
            name=(form.get("name") or "").strip() or Path(upload.filename).stem,
            kind=form.get("kind") or "subdistrict",
            actor=actor(),
            name_field=form.get("name_field") or None,
            code_field=form.get("code_field") or None,
        )
    return jsonify(zone_set.attributes()), 201
