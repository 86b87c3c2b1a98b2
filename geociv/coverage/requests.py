"""Coverage and site-suggestion requests by the ids of stored inputs.

The web page, the JSON API and scripts ask for a coverage run or a site suggestion with plain
values: facility types, minutes, a speed preset and the ids of a stored area of interest, road
network, population raster and zone set (:mod:`geociv.coverage.stored`). A request is checked as
a whole (every bad field reported at once), resolved against the store and run; the request is
kept with the run's inputs so the same figures can be produced again.

Examples
--------
>>> req = CoverageRequest.from_dict({"types": ["辅具租赁服务站"], "aoi": {"division": "411702"}})
>>> req.types, req.minutes, req.rings, req.speed
(['rental_station'], 15.0, (5.0, 10.0), 'elderly')
>>> try:
...     CoverageRequest.from_dict({"types": [], "minutes": -1})
... except ValidationError as exc:
...     print([p.field for p in exc.problems])
['types', 'minutes', 'aoi']
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any

import geopandas as gpd
import shapely

from geociv.coverage.facilities import parse_status, parse_types
from geociv.coverage.isochrones import SPEEDS
from geociv.coverage.service import Coverage, CoverageResult
from geociv.crs import STORAGE_CRS
from geociv.errors import Problem, ValidationError
from geociv.store import CoverageRun, Store

if TYPE_CHECKING:
    from geociv.coverage.suggest import SiteSuggestion

__all__ = ["CoverageRequest", "Progress", "SuggestRequest", "SuggestionOutcome", "layers_of"]

Progress = Callable[[float, str], None]
"""``progress(fraction, message)``: how far a long computation is, for progress bars."""

_TITLE = "计算条件有误"

EXACT_TIME_LIMIT_S = 120.0
"""Seconds the exact site-suggestion solver may run for a request (then the best answer found)."""


def _none(fraction: float, message: str) -> None:
    """A progress callback that reports nowhere."""


def _number(
    data: Mapping[str, Any], key: str, default: float, low: float, high: float, problems: list
) -> float:
    value = data.get(key, default)
    if value is None or (isinstance(value, str) and not value.strip()):
        problems.append(Problem("请填写数字", field=key))
        return default
    try:
        if isinstance(value, bool):
            raise TypeError(value)
        number = float(value)
    except (TypeError, ValueError):
        problems.append(Problem(f"应为数字，收到“{value}”", field=key))
        return default
    if not (low <= number <= high) or math.isnan(number):
        problems.append(Problem(f"应在 {low:g}–{high:g} 之间，收到 {number:g}", field=key))
    return number


#: Most inner rings a request may ask for.
RINGS_MAX = 10


def _listed(data: Mapping[str, Any], key: str, problems: list[Problem]) -> list[Any]:
    """``data[key]`` as a list (one text counts as a list of one); anything else is a
    problem naming ``key``."""
    value = data.get(key)
    if value is None or value == "":
        return []
    if isinstance(value, str):
        return [value]
    if isinstance(value, list | tuple):
        return list(value)
    problems.append(Problem(f"应为数组，收到 {value!r}", field=key))
    return []


def _rings(raw: Any, minutes: float, problems: list[Problem]) -> list[float]:
    """Inner ring times: each a finite number of minutes above 0 and below ``minutes``."""
    values = raw if isinstance(raw, list | tuple) else [raw]
    if len(values) > RINGS_MAX:
        problems.append(Problem(f"最多 {RINGS_MAX} 个圈层，收到 {len(values)} 个", field="rings"))
        return []
    rings: list[float] = []
    for r in values:
        try:
            number = float(r) if not isinstance(r, bool) else math.nan
        except (TypeError, ValueError):
            number = math.nan
        if not (math.isfinite(number) and 0 < number <= 120):
            message = f"圈层时间应为 0–120 分钟之间的数字，收到 {r!r}"
            problems.append(Problem(message, field="rings"))
        else:
            rings.append(number)
    return rings


def _optional_id(data: Mapping[str, Any], key: str) -> str | None:
    value = data.get(key)
    return None if value is None else str(value).strip() or None


@dataclass(frozen=True)
class CoverageRequest:
    """A coverage run asked for by the ids of stored inputs.

    Attributes
    ----------
    types : list of str
        Facility type codes (labels such as 辅具租赁服务站 are accepted by :meth:`from_dict`).
    minutes : float
        Time budget of the service circle (default 15).
    rings : tuple of float
        Inner rings drawn too (default 5 and 10 minutes).
    speed : str or float
        A preset of :data:`geociv.coverage.isochrones.SPEEDS` or metres per second.
    statuses : tuple of str
        Facility statuses included (default existing).
    aoi : dict
        ``{"zone_set": id}`` (a stored area of interest) or ``{"division": code}``.
    network_id, raster_id, zones_id : str or None
        Stored road network (else the straight-line fallback), population raster (its label
        names it in the headline, e.g. 60岁以上人口), zone set.
    other_raster_ids : tuple of str
        Further population rasters measured too (e.g. the total population).
    detour, access_m : float
        Detour factor of the fallback; walk-access buffer of the network method.
    """

    types: list[str]
    aoi: dict[str, str]
    minutes: float = 15.0
    rings: tuple[float, ...] = (5.0, 10.0)
    speed: str | float = "elderly"
    statuses: tuple[str, ...] = ("existing",)
    network_id: str | None = None
    raster_id: str | None = None
    zones_id: str | None = None
    other_raster_ids: tuple[str, ...] = ()
    detour: float = 1.3
    access_m: float = 50.0

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], *, need_aoi: bool = True) -> CoverageRequest:
        """Check a request (e.g. a JSON body) and return it; every bad field is reported.

        ``need_aoi=False`` checks everything but the area (a batch brings its own areas).

        Raises
        ------
        ValidationError
            Naming each bad field.
        """
        problems: list[Problem] = []
        types, problems = parse_types(_listed(data, "types", problems))
        minutes = _number(data, "minutes", 15.0, 1.0, 120.0, problems)
        rings = _rings(data.get("rings", (5, 10)), minutes, problems)
        speed: str | float = data.get("speed", "elderly")
        if isinstance(speed, bool) or not isinstance(speed, str | int | float):
            problems.append(Problem(f"速度应为预设名称或数字，收到 {speed!r}", field="speed"))
            speed = "elderly"
        if isinstance(speed, str) and speed not in SPEEDS:
            try:
                speed = float(speed)
            except ValueError:
                problems.append(Problem(f"未知的速度 {speed!r}", field="speed"))
        if isinstance(speed, int | float) and not 0.1 <= float(speed) <= 40:  # NaN too
            problems.append(Problem(f"速度应在 0.1–40 m/s 之间，收到 {speed}", field="speed"))
        statuses = []
        for s in _listed(data, "statuses", problems) or ["existing"]:
            code = parse_status(str(s))
            if code is None:
                problems.append(Problem(f"未知的设施状态 {s!r}", field="statuses"))
            else:
                statuses.append(code)
        aoi = data.get("aoi") or {}
        if isinstance(aoi, str):
            aoi = {"zone_set": aoi} if aoi.upper().startswith("ZS") else {"division": aoi}
        if not (isinstance(aoi, Mapping) and (aoi.get("zone_set") or aoi.get("division"))):
            if need_aoi:
                problems.append(Problem("请选择统计范围（主城区或行政区划）", field="aoi"))
            aoi = {}
        raw_others = data.get("other_raster_ids") or []
        if isinstance(raw_others, str):
            raw_others = [raw_others]
        others = tuple(dict.fromkeys(str(r).strip() for r in raw_others if str(r).strip()))
        if others and not _optional_id(data, "raster_id"):
            problems.append(Problem("请先选择主要人口栅格", field="raster_id"))
        detour = _number(data, "detour", 1.3, 1.0, 3.0, problems)
        access_m = _number(data, "access_m", 50.0, 0.0, 500.0, problems)
        if problems:
            raise ValidationError(problems, title=_TITLE)
        return cls(
            types=types,
            aoi={k: str(v) for k, v in aoi.items() if k in ("zone_set", "division") and v},
            minutes=minutes,
            rings=tuple(sorted({r for r in rings if 0 < r < minutes})),
            speed=speed,
            statuses=tuple(dict.fromkeys(statuses)),
            network_id=_optional_id(data, "network_id"),
            raster_id=_optional_id(data, "raster_id"),
            zones_id=_optional_id(data, "zones_id"),
            other_raster_ids=tuple(r for r in others if r != _optional_id(data, "raster_id")),
            detour=detour,
            access_m=access_m,
        )

    def to_dict(self) -> dict[str, Any]:
        """The request as a JSON-ready dict (:meth:`from_dict` reads it back)."""
        out = asdict(self)
        out["rings"] = list(self.rings)
        out["statuses"] = list(self.statuses)
        out["other_raster_ids"] = list(self.other_raster_ids)
        return out

    def resolve_aoi(self, store: Store) -> tuple[Any, str | None]:
        """The area of interest as :meth:`Coverage.run` takes it, and its name."""
        if "zone_set" in self.aoi:
            from geociv.coverage.stored import CoverageInputs

            inputs = CoverageInputs(store)
            set_id = self.aoi["zone_set"]
            zones = inputs.zones(set_id)
            name = inputs.zone_set(set_id).name
            geom = shapely.union_all(zones.geometry.to_numpy())
            return gpd.GeoDataFrame({"name": [name]}, geometry=[geom], crs=STORAGE_CRS), name
        return self.aoi["division"], None

    def run(
        self,
        store: Store,
        *,
        actor: str,
        progress: Progress | None = None,
        record: bool = True,
    ) -> CoverageResult:
        """Resolve the stored inputs and run the coverage (stored with this request unless
        ``record`` is false).

        Raises
        ------
        ValidationError
            For unknown ids, no matching facility or a bad area of interest.
        """
        step = progress or _none
        step(0.0, "读取统计范围与输入数据")
        aoi, aoi_name = self.resolve_aoi(store)
        network = raster = zones = None
        raster_label = "老年人口"
        others: list[tuple[Any, str]] = []
        if self.network_id or self.raster_id or self.zones_id:
            from geociv.coverage.stored import CoverageInputs

            inputs = CoverageInputs(store)
            if self.network_id:
                step(0.01, "载入路网")
                network = inputs.load_network(self.network_id)
            if self.raster_id:
                raster = inputs.raster_path(self.raster_id)
                label = next(
                    (r.label for r in inputs.rasters() if r.raster_id == self.raster_id), ""
                )
                raster_label = label or raster_label
                for other_id in self.other_raster_ids:
                    other = inputs.raster(other_id)
                    others.append((inputs.raster_path(other_id), other.label or other_id))
            if self.zones_id:
                zones = inputs.zones(self.zones_id)
        return Coverage(store).run(
            self.types,
            actor=actor,
            aoi=aoi,
            aoi_name=aoi_name,
            minutes=self.minutes,
            speed=self.speed,
            network=network,
            raster=raster,
            raster_label=raster_label,
            other_rasters=others,
            zones=zones,
            statuses=self.statuses,
            detour=self.detour,
            access_m=self.access_m,
            ring_minutes=self.rings,
            progress=progress,
            request=self.to_dict(),
            record=record,
        )


def layers_of(store: Store, run_id: str, *, progress: Progress | None = None) -> CoverageResult:
    """Recompute the layers of a stored run from its request (nothing new is stored).

    Raises
    ------
    ValidationError
        If the run does not exist or was not made from a request.
    """
    run = store.get_coverage_run(run_id)
    request = None if run is None else run.params.get("request")
    if not request:
        raise ValidationError(Problem(f"计算记录 {run_id} 不存在或无法重算", field="run_id"))
    assert run is not None
    result = CoverageRequest.from_dict(request).run(
        store, actor=run.actor, progress=progress, record=False
    )
    result.run_id = run_id
    return result


@dataclass
class SuggestionOutcome:
    """A site suggestion and its stored record."""

    suggestion: SiteSuggestion
    run: CoverageRun
    base: CoverageRequest


@dataclass(frozen=True)
class SuggestRequest:
    """Where to put new sites, on the inputs of a stored coverage run.

    Attributes
    ----------
    run_id : str
        The coverage run whose facility types, area, time, speed, network and raster are used.
    k : int or None
        Number of new sites (maximal covering); or
    target_share : float or None
        The covered share to reach with the fewest new sites (set covering).
    objective : str
        ``"area"`` or ``"population"`` (needs the run's raster).
    candidates : str
        ``"stored"`` (facilities of the run's types with status candidate) or ``"generated"``
        (a grid of points over the area of interest).
    method : str
        ``"auto"``, ``"greedy"`` or ``"exact"``.
    spacing_m : float
        Spacing of generated candidates.
    """

    run_id: str
    k: int | None = None
    target_share: float | None = None
    objective: str = "area"
    candidates: str = "generated"
    method: str = "auto"
    spacing_m: float = 300.0
    extra: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> SuggestRequest:
        """Check a request; every bad field is reported at once."""
        problems: list[Problem] = []
        run_id = str(data.get("run_id") or "").strip()
        if not run_id:
            problems.append(Problem("请先计算一次覆盖，再建议新址", field="run_id"))
        k = data.get("k")
        target = data.get("target_share")
        if k in (None, "") and target in (None, ""):
            problems.append(Problem("请给出新增站点数 k 或目标覆盖率", field="k"))
        if k not in (None, ""):
            try:
                if isinstance(k, bool) or (isinstance(k, float) and not k.is_integer()):
                    raise TypeError(k)
                k = int(k)
                if not 1 <= k <= 500:
                    problems.append(Problem(f"新增站点数应在 1–500 之间，收到 {k}", field="k"))
            except (TypeError, ValueError):
                problems.append(Problem(f"新增站点数应为整数，收到“{k}”", field="k"))
        else:
            k = None
        if target not in (None, ""):
            target = _number(data, "target_share", 0.5, 0.01, 1.0, problems)
        else:
            target = None
        objective = str(data.get("objective") or "area")
        if objective not in ("area", "population"):
            problems.append(
                Problem(f"未知的目标 {objective!r}（area/population）", field="objective")
            )
        candidates = str(data.get("candidates") or "generated")
        if candidates not in ("stored", "generated"):
            problems.append(Problem(f"未知的候选点来源 {candidates!r}", field="candidates"))
        method = str(data.get("method") or "auto")
        if method not in ("auto", "greedy", "exact"):
            problems.append(Problem(f"未知的求解方法 {method!r}", field="method"))
        spacing = _number(data, "spacing_m", 300.0, 50.0, 5000.0, problems)
        if problems:
            raise ValidationError(problems, title=_TITLE)
        return cls(run_id, k, target, objective, candidates, method, spacing)

    def run(
        self, store: Store, *, actor: str, progress: Progress | None = None
    ) -> SuggestionOutcome:
        """Suggest the sites and store the suggestion as a run of kind ``suggest:<types>``.

        Raises
        ------
        ValidationError
            Unknown run, a population objective without a raster, no candidates, k larger
            than the candidates, an unreachable target.
        """
        from geociv.coverage.suggest import suggest_sites

        step = progress or _none
        run = store.get_coverage_run(self.run_id)
        request = None if run is None else run.params.get("request")
        if not request:
            raise ValidationError(Problem(f"计算记录 {self.run_id} 不存在", field="run_id"))
        base = CoverageRequest.from_dict(request)
        if self.objective == "population" and not base.raster_id:
            raise ValidationError(
                Problem("按人口选址需要在覆盖计算中选择人口栅格", field="objective"), title=_TITLE
            )
        step(0.0, "读取现有设施与候选点")
        aoi_frame, _ = Coverage(store).area_of_interest(*base.resolve_aoi(store))
        aoi_geom = aoi_frame.geometry.iloc[0]
        facilities = [
            f for t in base.types for f in store.query_facilities(type=t) if f.location is not None
        ]
        existing = [f for f in facilities if f.status in base.statuses]
        candidate_ids: list[str] | None = None
        candidate_points = None
        if self.candidates == "stored":
            stored = [f for f in facilities if f.status == "candidate"]
            if not stored:
                raise ValidationError(
                    Problem("没有状态为“候选”的设施；可改用自动生成的候选点", field="candidates"),
                    title=_TITLE,
                )
            candidate_ids = [f.facility_id for f in stored]
            candidate_points = gpd.GeoSeries([f.location for f in stored], crs=STORAGE_CRS)
        network = raster = None
        if base.network_id or (self.objective == "population" and base.raster_id):
            from geociv.coverage.stored import CoverageInputs

            inputs = CoverageInputs(store)
            if base.network_id:
                network = inputs.load_network(base.network_id)
            if self.objective == "population" and base.raster_id:
                raster = inputs.raster_path(base.raster_id)
        suggestion = suggest_sites(
            # Indexed by facility id, so that "what if this facility closed" names it.
            gpd.GeoSeries(
                [f.location for f in existing],
                index=[f.facility_id for f in existing],
                crs=STORAGE_CRS,
            ),
            aoi_geom,
            self.k,
            target_share=self.target_share,
            candidates=candidate_points,
            candidate_ids=candidate_ids,
            network=network,
            raster=raster,
            minutes=base.minutes,
            speed=base.speed,
            detour=base.detour,
            access_m=base.access_m,
            candidate_spacing_m=self.spacing_m,
            method=self.method,  # type: ignore[arg-type]
            progress=step,
            exact_time_limit=EXACT_TIME_LIMIT_S,
        )
        params = {
            **suggestion.inputs(),
            "request": {**asdict(self), "base": base.to_dict()},
            "existing_ids": [f.facility_id for f in existing],
            "sites": suggestion.sites.drop(columns="geometry").to_dict("records"),
            "site_lonlat": [[round(p.x, 6), round(p.y, 6)] for p in suggestion.sites.geometry],
        }
        record = store.add_coverage_run(
            CoverageRun(
                "",
                kind="suggest:" + ",".join(base.types),
                params=params,
                summary=suggestion.summary(),
            ),
            actor=actor,
        )
        return SuggestionOutcome(suggestion, record, base)
