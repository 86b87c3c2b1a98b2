"""Site suggestion: where new facilities cover the most people, with existing sites kept.

The input is a coverage matrix: one row per demand unit (a population cell or point), one
column per site (existing or candidate), ``True`` where the site serves the unit (e.g. the
unit lies in the site's 15-minute isochrone), and a weight per demand unit (people).

:class:`SiteCoverage` answers

* maximal covering (MCLP) for k new sites, greedily (:meth:`SiteCoverage.greedy_mclp`) or
  exactly through spopt's integer program (:meth:`SiteCoverage.exact_mclp`);
* the fewest new sites reaching a covered share (:meth:`SiteCoverage.lscp`);
* whether a target can be met with k sites (:meth:`SiteCoverage.feasibility_bound`): the
  greedy result is reachable (a lower bound on the optimum) and, as coverage is submodular,
  the existing coverage plus the k largest marginal gains is an upper bound;
* "what if I add/remove this site" from cached per-site coverage (:meth:`SiteCoverage.what_if`).

Existing sites are always kept: they are not candidates and their coverage is the baseline.

Examples
--------
>>> import numpy as np
>>> m = np.array([[1, 0, 0], [1, 1, 0], [0, 1, 0], [0, 0, 1]], dtype=bool)
>>> model = SiteCoverage(m, [10, 5, 3, 1], existing=[0])
>>> model.greedy_mclp(1).selected
(1,)
>>> model.greedy_mclp(1).covered
18.0
"""

from __future__ import annotations

import math
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import pulp
import scipy.sparse as sp
from numpy.typing import ArrayLike, NDArray
from scipy.spatial import cKDTree

from geociv.errors import Problem, ValidationError

__all__ = [
    "FeasibilityBound",
    "SiteCoverage",
    "SitingResult",
    "WhatIf",
    "coverage_within_distance",
]

EXACT_MAX_ENTRIES = 20_000_000
"""Largest (distinct demand rows × candidates) :meth:`SiteCoverage.exact_mclp` accepts."""

LP_MAX_NNZ = 2_000_000
"""Largest number of coverage pairs (distinct open demand rows × candidates, non-zero) for
which :meth:`SiteCoverage.greedy_mclp` also solves the LP relaxation by default."""


@dataclass(frozen=True)
class SitingResult:
    """Sites chosen by a siting method and the coverage they give with the existing sites.

    Attributes
    ----------
    method : str
        ``"greedy-mclp"``, ``"exact-mclp"`` or ``"lscp"`` (with the inner method).
    selected : tuple
        The new sites chosen (site ids, or column indices when no ids were given).
    covered : float
        Demand weight covered by existing plus selected sites.
    total : float
        Total demand weight.
    existing_covered : float
        Demand weight covered by the existing sites alone.
    seconds : float
        Wall time taken.
    optimal : bool or None
        Whether the answer is proven optimal (``None`` for heuristics when not proven).
    notes : tuple of str
        Remarks (e.g. a time limit reached).
    upper : float or None
        A proven upper bound on the coverage of any k new sites (the LP relaxation's value),
        when one was computed.
    """

    method: str
    selected: tuple[Any, ...]
    covered: float
    total: float
    existing_covered: float
    seconds: float
    optimal: bool | None = None
    notes: tuple[str, ...] = ()
    upper: float | None = None

    @property
    def share(self) -> float:
        """Covered share of the total demand."""
        return self.covered / self.total if self.total > 0 else math.nan

    @property
    def added(self) -> float:
        """Demand weight the selected sites add to the existing coverage."""
        return self.covered - self.existing_covered


@dataclass(frozen=True)
class FeasibilityBound:
    """What k new sites can cover at best and at least.

    Attributes
    ----------
    k : int
        Number of new sites.
    lower : float
        Coverage the greedy choice reaches (achievable).
    upper : float
        No choice of k sites covers more than this.
    total : float
        Total demand weight.
    """

    k: int
    lower: float
    upper: float
    total: float

    def verdict(self, target_share: float) -> Literal["reachable", "unreachable", "undecided"]:
        """Tell whether ``target_share`` of the demand can be covered with k new sites.

        Parameters
        ----------
        target_share : float
            Target share in [0, 1].

        Returns
        -------
        str
            ``"unreachable"`` when the upper bound is below the target, ``"reachable"``
            when the greedy choice already meets it, else ``"undecided"`` (run
            :meth:`SiteCoverage.exact_mclp`).
        """
        target = target_share * self.total
        if self.upper < target - 1e-9 * max(self.total, 1.0):
            return "unreachable"
        if self.lower >= target - 1e-9 * max(self.total, 1.0):
            return "reachable"
        return "undecided"


@dataclass(frozen=True)
class WhatIf:
    """Coverage before and after adding and removing sites."""

    before: float
    after: float
    total: float
    added: tuple[Any, ...] = ()
    removed: tuple[Any, ...] = ()
    seconds: float = 0.0
    sites: tuple[Any, ...] = field(default=())

    @property
    def delta(self) -> float:
        """Change in covered demand weight."""
        return self.after - self.before

    @property
    def share_before(self) -> float:
        """Covered share before the change."""
        return self.before / self.total if self.total > 0 else math.nan

    @property
    def share_after(self) -> float:
        """Covered share after the change."""
        return self.after / self.total if self.total > 0 else math.nan


def coverage_within_distance(
    demand_xy: ArrayLike, sites_xy: ArrayLike, radius: float
) -> sp.csc_array:
    """Coverage matrix of sites serving every demand point within a straight-line radius.

    This is the fallback coverage used when no road network is loaded (a straight-line
    radius, e.g. 0.8 m/s × 15 min = 720 m, optionally divided by a detour factor).

    Parameters
    ----------
    demand_xy, sites_xy : array_like, shape (n, 2)
        Coordinates in a projected CRS (metres).
    radius : float
        Service radius, same unit.

    Returns
    -------
    scipy.sparse.csc_array of bool
        Shape (n demand, n sites).

    Examples
    --------
    >>> coverage_within_distance([[0, 0], [100, 0]], [[0, 0]], 50).toarray().ravel().tolist()
    [True, False]
    """
    d = np.asarray(demand_xy, dtype=np.float64).reshape(-1, 2)
    s = np.asarray(sites_xy, dtype=np.float64).reshape(-1, 2)
    if not radius > 0:
        raise ValidationError(Problem("服务半径必须大于 0", field="radius"))
    pairs = cKDTree(d).query_ball_tree(cKDTree(s), r=radius)
    rows = np.repeat(np.arange(d.shape[0]), [len(p) for p in pairs])
    cols = np.fromiter((j for p in pairs for j in p), dtype=np.int64, count=rows.size)
    data = np.ones(rows.size, dtype=bool)
    return sp.csc_array((data, (rows, cols)), shape=(d.shape[0], s.shape[0]))


class SiteCoverage:
    """A coverage matrix with demand weights and existing sites, ready for siting queries.

    Parameters
    ----------
    matrix : array_like or scipy sparse, shape (n demand, n sites)
        ``True`` where a site serves a demand unit.
    weights : array_like, shape (n demand,)
        Demand weight (people) of each unit; non-negative and finite.
    existing : iterable, optional
        Sites kept in every answer (ids, or column indices when ``site_ids`` is None).
    site_ids : sequence, optional
        A label per column; used for input and output instead of column indices.

    Raises
    ------
    ValidationError
        On shape mismatches, bad weights, unknown or duplicate sites.
    """

    def __init__(
        self,
        matrix: Any,
        weights: ArrayLike,
        *,
        existing: Iterable[Any] = (),
        site_ids: Sequence[Any] | None = None,
    ) -> None:
        a = sp.csc_array(matrix, dtype=bool) if not sp.issparse(matrix) else matrix
        self._a: sp.csc_array = sp.csc_array(a, dtype=bool)
        self._a.eliminate_zeros()
        n_demand, n_sites = self._a.shape
        w = np.asarray(weights, dtype=np.float64).ravel()
        problems = []
        if w.size != n_demand:
            problems.append(Problem(f"需求权重有 {w.size} 个，覆盖矩阵有 {n_demand} 行"))
        elif not np.all(np.isfinite(w)) or np.any(w < 0):
            problems.append(Problem("需求权重必须是非负有限数"))
        if site_ids is not None and len(site_ids) != n_sites:
            problems.append(Problem(f"站点编号有 {len(site_ids)} 个，覆盖矩阵有 {n_sites} 列"))
        if site_ids is not None and len(set(site_ids)) != len(site_ids):
            problems.append(Problem("站点编号有重复"))
        if problems:
            raise ValidationError(problems, title="选址输入有误")
        self.weights: NDArray[np.float64] = w
        self.total: float = float(w.sum())
        self.site_ids: list[Any] | None = list(site_ids) if site_ids is not None else None
        self._pos = {s: i for i, s in enumerate(self.site_ids)} if self.site_ids else None
        self.existing: NDArray[np.int64] = np.unique(self._indices(existing, "existing"))
        is_existing = np.zeros(n_sites, dtype=bool)
        is_existing[self.existing] = True
        self.candidates: NDArray[np.int64] = np.flatnonzero(~is_existing)
        # Cached per-site coverage: demand rows of each column, and the existing counts.
        self._rows = [
            self._a.indices[self._a.indptr[j] : self._a.indptr[j + 1]] for j in range(n_sites)
        ]
        self._existing_counts = self._counts(self.existing)
        self.existing_covered: float = float(self.weights[self._existing_counts > 0].sum())
        self._reduced_cache: tuple[sp.csr_array, NDArray[np.float64]] | None = None
        self._greedy_cache: dict[tuple[int, bool, bool | None], SitingResult] = {}

    # -- helpers ----------------------------------------------------------------------------

    @property
    def n_sites(self) -> int:
        """Number of sites (columns)."""
        return int(self._a.shape[1])

    def _indices(self, sites: Iterable[Any], what: str) -> NDArray[np.int64]:
        out, bad = [], []
        for s in sites:
            if self._pos is not None:
                if s in self._pos:
                    out.append(self._pos[s])
                else:
                    bad.append(s)
            elif isinstance(s, int | np.integer) and 0 <= int(s) < self.n_sites:
                out.append(int(s))
            else:
                bad.append(s)
        if bad:
            raise ValidationError(
                Problem(f"未知站点：{', '.join(map(str, bad[:20]))}", field=what),
                title="选址输入有误",
            )
        return np.asarray(out, dtype=np.int64)

    def _labels(self, idx: Iterable[int]) -> tuple[Any, ...]:
        if self.site_ids is None:
            return tuple(int(i) for i in idx)
        return tuple(self.site_ids[int(i)] for i in idx)

    def _counts(self, sites: Iterable[int]) -> NDArray[np.int32]:
        counts = np.zeros(self._a.shape[0], dtype=np.int32)
        for j in sites:
            counts[self._rows[int(j)]] += 1
        return counts

    def covered_by(self, sites: Iterable[Any]) -> float:
        """Demand weight covered by the existing sites plus ``sites``.

        Parameters
        ----------
        sites : iterable
            Additional sites (ids or indices).

        Returns
        -------
        float
            Covered demand weight, overlaps counted once.
        """
        counts = self._existing_counts + self._counts(self._indices(sites, "sites"))
        return float(self.weights[counts > 0].sum())

    @property
    def matrix(self) -> sp.csc_array:
        """The boolean coverage matrix (demand × sites); do not modify it."""
        return self._a

    def marginal_order(self, sites: Iterable[Any]) -> list[tuple[Any, float]]:
        """Order sites greedily by what each adds to the existing sites and those before it.

        Parameters
        ----------
        sites : iterable
            New sites (ids or indices).

        Returns
        -------
        list of (site, float)
            Each site with the demand weight it adds, largest first among the rest.

        Examples
        --------
        >>> import numpy as np
        >>> m = np.array([[1, 0, 1], [0, 1, 1], [0, 1, 0]], dtype=bool)
        >>> SiteCoverage(m, [1, 2, 3]).marginal_order([0, 1])
        [(1, 5.0), (0, 1.0)]
        """
        left = [int(j) for j in self._indices(sites, "sites")]
        counts = self._existing_counts.copy()
        out: list[tuple[Any, float]] = []
        while left:
            gains = [
                float(self.weights[self._rows[j]][counts[self._rows[j]] == 0].sum()) for j in left
            ]
            pos = int(np.argmax(gains))
            j = left.pop(pos)
            counts[self._rows[j]] += 1
            out.append((self._labels([j])[0], gains[pos]))
        return out

    def _check_k(self, k: int) -> None:
        if not isinstance(k, int | np.integer) or k < 0:
            raise ValidationError(Problem(f"新增站点数 k 必须是非负整数，收到 {k!r}", field="k"))
        if k > self.candidates.size:
            raise ValidationError(
                Problem(
                    f"新增站点数 k = {k} 大于候选站点数 {self.candidates.size}"
                    f"（已有站点 {self.existing.size} 个不计入候选）",
                    field="k",
                ),
                title="选址输入有误",
            )

    def _gains(self, uncovered_weight: NDArray[np.float64]) -> NDArray[np.float64]:
        return np.asarray(self._a.T @ uncovered_weight, dtype=np.float64).ravel()

    # -- queries ----------------------------------------------------------------------------

    def greedy_mclp(self, k: int, *, improve: bool = True, lp: bool | None = None) -> SitingResult:
        """Choose k new sites greedily, each adding the most uncovered demand, then improve.

        Parameters
        ----------
        k : int
            Number of new sites; at most the number of candidates.
        improve : bool, default True
            Then swap single chosen sites for unchosen candidates while a swap adds
            coverage (vertex substitution); the result is never worse than pure greedy.
        lp : bool, optional
            With ``improve``, also solve the LP relaxation of the MCLP (HiGHS interior
            point, deterministic), start a second swap search from the k candidates with the
            largest LP values and keep the better answer. The LP value is an upper bound on
            any choice of k sites (``upper``); when the answer reaches it, it is proven
            optimal. Default: when the instance has at most :data:`LP_MAX_NNZ` coverage
            pairs.

        Returns
        -------
        SitingResult
            Greedy choice (pure greedy is within 1 - 1/e of the optimum by submodularity;
            with swaps and the LP start usually within a fraction of a percent).

        Raises
        ------
        ValidationError
            If k is negative or larger than the number of candidates.
        """
        self._check_k(k)
        key = (int(k), bool(improve), lp)
        if key not in self._greedy_cache:
            self._greedy_cache[key] = self._greedy_mclp(int(k), improve, lp)
        return self._greedy_cache[key]

    def _greedy_mclp(self, k: int, improve: bool, lp: bool | None) -> SitingResult:
        t0 = time.perf_counter()
        chosen, counts = self._greedy(k, [])
        notes: list[str] = []
        upper: float | None = None
        optimal: bool | None = None
        if improve and chosen:
            self._swap(chosen, counts)
            covered = float(self.weights[counts > 0].sum())
            relaxed = self._lp_relaxation(k, lp)
            if relaxed is not None:
                upper, order = relaxed
                start = [int(j) for j in order[:k]]
                counts2 = self._existing_counts + self._counts(start)
                self._swap(start, counts2)
                covered2 = float(self.weights[counts2 > 0].sum())
                if covered2 > covered + 1e-12 * max(self.total, 1.0):
                    chosen, counts, covered = start, counts2, covered2
                    notes.append("LP 松弛引导的交换搜索结果更优")
                if covered >= upper - 1e-7 * max(self.total, 1.0):
                    optimal = True
        covered = float(self.weights[counts > 0].sum())
        if upper is not None:
            upper = max(upper, covered)
        return SitingResult(
            method="greedy-mclp" + ("+swap" if improve else ""),
            selected=self._labels(chosen),
            covered=covered,
            total=self.total,
            existing_covered=self.existing_covered,
            seconds=time.perf_counter() - t0,
            optimal=optimal,
            notes=tuple(notes),
            upper=upper,
        )

    def _greedy(self, k: int, start: list[int]) -> tuple[list[int], NDArray[np.int32]]:
        """Add sites to ``start`` one at a time, each the largest gain, until there are k."""
        chosen = list(start)
        counts = self._existing_counts + self._counts(chosen)
        available = np.zeros(self.n_sites, dtype=bool)
        available[self.candidates] = True
        available[chosen] = False
        while len(chosen) < k:
            gains = self._gains(np.where(counts > 0, 0.0, self.weights))
            gains[~available] = -1.0
            j = int(np.argmax(gains))
            chosen.append(j)
            available[j] = False
            counts[self._rows[j]] += 1
        return chosen, counts

    def _lp_relaxation(self, k: int, use: bool | None) -> tuple[float, NDArray[np.int64]] | None:
        """LP relaxation of the MCLP: its value (an upper bound) and candidates by LP value.

        Returns ``None`` when not wanted, too large (``use`` None) or not solved.
        """
        from scipy.optimize import linprog

        if use is False or k == 0:
            return None
        sub, w = self._reduced()
        if use is None and sub.nnz > LP_MAX_NNZ:
            return None
        n, c = sub.shape
        if n == 0:
            return self.existing_covered, self.candidates.copy()
        # Variables: x (candidates) then y (demand rows); maximise w·y, y_i <= sum_j a_ij x_j.
        cost = np.concatenate([np.zeros(c), -w])
        a_ub = sp.hstack([-sp.csr_array(sub, dtype=np.float64), sp.eye_array(n)], format="csr")
        a_eq = np.concatenate([np.ones(c), np.zeros(n)])[None, :]
        res = linprog(
            cost,
            A_ub=a_ub,
            b_ub=np.zeros(n),
            A_eq=a_eq,
            b_eq=[float(k)],
            bounds=(0.0, 1.0),
            method="highs-ipm",
        )
        if res.status != 0 or res.x is None:
            return None
        x = res.x[:c]
        # Ties (e.g. all zero) broken by the single-site gain, then by column.
        single = np.asarray(sub.T @ w, dtype=np.float64).ravel()
        order = np.lexsort((np.arange(c), -single, -np.round(x, 9)))
        # The LP optimum is attained up to the solver tolerance; widen it so it stays an
        # upper bound.
        value = self.existing_covered - float(res.fun) + 1e-7 * max(self.total, 1.0)
        return value, self.candidates[order]

    def _swap(self, chosen: list[int], counts: NDArray[np.int32]) -> None:
        """Improve ``chosen`` (and ``counts``) in place by best single swaps until none adds
        coverage."""
        tol = 1e-12 * max(self.total, 1.0)
        available = np.zeros(self.n_sites, dtype=bool)
        available[self.candidates] = True
        available[chosen] = False
        while True:
            best = (tol, -1, -1)
            for pos, s in enumerate(chosen):
                rows = self._rows[s]
                loss = float(self.weights[rows][counts[rows] == 1].sum())
                counts[rows] -= 1
                gains = self._gains(np.where(counts > 0, 0.0, self.weights))
                counts[rows] += 1
                gains[~available] = -np.inf
                c = int(np.argmax(gains))
                if gains[c] - loss > best[0]:
                    best = (gains[c] - loss, pos, c)
            if best[1] < 0:
                return
            _, pos, c = best
            s = chosen[pos]
            counts[self._rows[s]] -= 1
            counts[self._rows[c]] += 1
            available[s], available[c] = True, False
            chosen[pos] = c

    def _reduced(self) -> tuple[sp.csr_array, NDArray[np.float64]]:
        """Demand rows not covered by existing sites, deduplicated by coverage pattern.

        Columns are :attr:`candidates`; the result is cached.
        """
        if self._reduced_cache is not None:
            return self._reduced_cache
        open_rows = np.flatnonzero((self._existing_counts == 0) & (self.weights > 0))
        sub = sp.csr_array(self._a[open_rows][:, self.candidates])
        sub.sort_indices()
        keep = np.flatnonzero(np.diff(sub.indptr) > 0)
        sub = sp.csr_array(sub[keep])
        w = self.weights[open_rows][keep]
        if sub.shape[0] == 0:
            self._reduced_cache = (sub, w)
            return self._reduced_cache
        # Rows with the same set of columns are merged (exact: keyed by their column bytes).
        indices, indptr = sub.indices.astype(np.int64), sub.indptr
        first: dict[bytes, int] = {}
        inverse = np.empty(sub.shape[0], dtype=np.int64)
        for i in range(sub.shape[0]):
            key = indices[indptr[i] : indptr[i + 1]].tobytes()
            inverse[i] = first.setdefault(key, len(first))
        reps = np.zeros(len(first), dtype=np.int64)
        reps[inverse[::-1]] = np.arange(sub.shape[0])[::-1]
        agg = np.bincount(inverse, weights=w, minlength=len(first))
        self._reduced_cache = (sp.csr_array(sub[reps]), agg)
        return self._reduced_cache

    def exact_mclp(self, k: int, *, time_limit: float | None = None) -> SitingResult:
        """Choose k new sites maximising covered demand, exactly (spopt MCLP with CBC).

        Demand already covered by existing sites is fixed as covered and units with the
        same coverage pattern are merged before the integer program is built, which is
        equivalent and much smaller.

        Parameters
        ----------
        k : int
            Number of new sites; at most the number of candidates.
        time_limit : float, optional
            Seconds allowed to the solver; the answer is then not necessarily optimal.

        Returns
        -------
        SitingResult
            The chosen sites; ``optimal`` tells whether optimality was proven.

        Raises
        ------
        ValidationError
            If k is bad or the instance is too large for the exact method.
        """
        from spopt.locate import MCLP

        self._check_k(k)
        t0 = time.perf_counter()
        sub, w = self._reduced()
        if sub.shape[0] * sub.shape[1] > EXACT_MAX_ENTRIES:
            raise ValidationError(
                Problem(
                    f"精确求解规模过大（{sub.shape[0]} 个需求 × {sub.shape[1]} 个候选），"
                    "请改用贪心法或缩小范围",
                    field="k",
                )
            )
        notes: list[str] = []
        if k == 0 or sub.shape[0] == 0:
            chosen = list(self.candidates[:k])
            optimal = True
        else:
            cost = np.where(sub.toarray(), 0.0, 1.0)
            model = MCLP.from_cost_matrix(cost, w, service_radius=0.5, p_facilities=int(k))
            solver = pulp.PULP_CBC_CMD(msg=False, timeLimit=time_limit)
            model.problem.solve(solver)
            status = pulp.LpStatus[model.problem.status]
            optimal = status == "Optimal" and time_limit is None
            if status not in ("Optimal", "Not Solved"):
                raise ValidationError(Problem(f"整数规划求解失败：{status}"))
            if time_limit is not None:
                notes.append(f"求解时限 {time_limit} 秒，结果未必最优")
            values = np.array([v.value() or 0.0 for v in model.fac_vars])
            chosen = list(self.candidates[np.flatnonzero(values > 0.5)])
        counts = self._existing_counts + self._counts(chosen)
        return SitingResult(
            method="exact-mclp",
            selected=self._labels(chosen),
            covered=float(self.weights[counts > 0].sum()),
            total=self.total,
            existing_covered=self.existing_covered,
            seconds=time.perf_counter() - t0,
            optimal=optimal,
            notes=tuple(notes),
        )

    def feasibility_bound(self, k: int) -> FeasibilityBound:
        """Bounds on the demand k new sites can cover (with the existing sites).

        Parameters
        ----------
        k : int
            Number of new sites.

        Returns
        -------
        FeasibilityBound
            ``lower`` is the greedy coverage; ``upper`` the existing coverage plus the k
            largest single-site gains (valid because coverage is submodular), capped at
            the demand any candidate can reach and, when the LP relaxation was solved, at
            its value.
        """
        self._check_k(k)
        uncovered = np.where(self._existing_counts > 0, 0.0, self.weights)
        gains = self._gains(uncovered)[self.candidates]
        top = np.sort(gains)[::-1][: int(k)].sum()
        reachable = self._existing_counts + self._counts(self.candidates)
        cap = float(self.weights[reachable > 0].sum())
        upper = min(self.existing_covered + float(top), cap)
        greedy = self.greedy_mclp(k)
        if greedy.upper is not None:
            upper = min(upper, greedy.upper)
        lower = greedy.covered
        return FeasibilityBound(k=int(k), lower=lower, upper=max(upper, lower), total=self.total)

    def lscp(self, target_share: float, *, exact: bool = True) -> SitingResult:
        """The fewest new sites whose coverage, with the existing sites, reaches a share.

        The search runs k upward from the smallest k whose upper bound reaches the target
        to the k the greedy method needs; with ``exact`` each k is solved exactly, so the
        answer is the true minimum.

        Parameters
        ----------
        target_share : float
            Target covered share of the total demand, in [0, 1].
        exact : bool, default True
            Use exact MCLP for each k; otherwise return the greedy answer.

        Returns
        -------
        SitingResult
            Method ``"lscp"``; ``selected`` are the new sites.

        Raises
        ------
        ValidationError
            If the share is out of range or cannot be reached even with every candidate.
        """
        if not 0.0 <= target_share <= 1.0:
            raise ValidationError(Problem("目标覆盖比例必须在 0 到 1 之间", field="target_share"))
        t0 = time.perf_counter()
        target = target_share * self.total
        tol = 1e-9 * max(self.total, 1.0)
        reachable = self._existing_counts + self._counts(self.candidates)
        best_possible = float(self.weights[reachable > 0].sum())
        if best_possible < target - tol:
            raise ValidationError(
                Problem(
                    f"即使启用全部 {self.candidates.size} 个候选站点，覆盖比例最多为 "
                    f"{best_possible / self.total:.1%}，达不到目标 {target_share:.1%}",
                    field="target_share",
                ),
                title="目标无法达到",
            )
        # Greedy, one site at a time, until the target is met: an upper bound on k.
        counts = self._existing_counts.copy()
        available = np.zeros(self.n_sites, dtype=bool)
        available[self.candidates] = True
        chosen: list[int] = []
        while float(self.weights[counts > 0].sum()) < target - tol:
            gains = self._gains(np.where(counts > 0, 0.0, self.weights))
            gains[~available] = -1.0
            j = int(np.argmax(gains))
            chosen.append(j)
            available[j] = False
            counts[self._rows[j]] += 1
        best: SitingResult | None = None
        if exact and chosen:
            for k in range(len(chosen)):
                if self.feasibility_bound(k).upper < target - tol:
                    continue
                res = self.exact_mclp(k)
                if res.covered >= target - tol:
                    best = res
                    break
        if best is None:
            selected = self._labels(chosen)
            covered = float(self.weights[counts > 0].sum())
            optimal = None if not exact else True
        else:
            selected, covered, optimal = best.selected, best.covered, best.optimal
        return SitingResult(
            method="lscp" + ("-exact" if exact else "-greedy"),
            selected=selected,
            covered=covered,
            total=self.total,
            existing_covered=self.existing_covered,
            seconds=time.perf_counter() - t0,
            optimal=optimal if exact else None,
        )

    def what_if(
        self,
        add: Iterable[Any] = (),
        remove: Iterable[Any] = (),
        *,
        sites: Iterable[Any] | None = None,
    ) -> WhatIf:
        """Coverage after adding and removing sites, from the cached per-site coverage.

        Parameters
        ----------
        add : iterable
            Sites to add (not already in the plan).
        remove : iterable
            Sites to remove (must be in the plan; existing sites may be removed here).
        sites : iterable, optional
            The plan to start from. Default: the existing sites.

        Returns
        -------
        WhatIf
            Coverage before and after, and the resulting set of sites.

        Raises
        ------
        ValidationError
            For unknown sites, adding a site already in the plan or removing one not in it.
        """
        t0 = time.perf_counter()
        add_i = self._indices(add, "add")
        rem_i = self._indices(remove, "remove")
        if sites is None:
            plan = set(self.existing.tolist())
            counts = self._existing_counts.copy()
        else:
            plan_i = self._indices(sites, "sites")
            plan = set(plan_i.tolist())
            counts = self._counts(plan)
        problems = [
            Problem(f"站点 {self._labels([j])[0]} 已在方案中", field="add")
            for j in add_i
            if j in plan
        ] + [
            Problem(f"站点 {self._labels([j])[0]} 不在方案中", field="remove")
            for j in rem_i
            if j not in plan
        ]
        if problems:
            raise ValidationError(problems, title="选址输入有误")
        before = float(self.weights[counts > 0].sum())
        for j in add_i:
            counts[self._rows[j]] += 1
        for j in rem_i:
            counts[self._rows[j]] -= 1
        after = float(self.weights[counts > 0].sum())
        new_plan = (plan | set(add_i.tolist())) - set(rem_i.tolist())
        return WhatIf(
            before=before,
            after=after,
            total=self.total,
            added=self._labels(add_i),
            removed=self._labels(rem_i),
            seconds=time.perf_counter() - t0,
            sites=self._labels(sorted(new_plan)),
        )
