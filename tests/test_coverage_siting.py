"""Site suggestion: greedy and exact MCLP, LSCP, the feasibility bound and what-if queries."""

from __future__ import annotations

import itertools
import time

import numpy as np
import pytest
import scipy.sparse as sp

from geociv.coverage.siting import SiteCoverage, coverage_within_distance
from geociv.errors import ValidationError


def _brute_force(model: SiteCoverage, k: int) -> float:
    return max(
        model.covered_by(combo) for combo in itertools.combinations(model.candidates.tolist(), k)
    )


@pytest.fixture(scope="module")
def random_model() -> SiteCoverage:
    rng = np.random.default_rng(7)
    matrix = rng.random((60, 14)) < 0.18
    weights = rng.integers(1, 50, 60).astype(float)
    return SiteCoverage(matrix, weights, existing=[0, 1])


def test_greedy_can_miss_the_optimum_exact_does_not() -> None:
    # Demand e1..e4; site 0 covers e1, e2; site 1 covers e3, e4; site 2 covers e2, e3.
    matrix = np.array([[1, 0, 0], [1, 0, 1], [0, 1, 1], [0, 1, 0]], dtype=bool)
    model = SiteCoverage(matrix, [1.0, 1.1, 1.1, 1.0], site_ids=["A", "B", "C"])
    greedy = model.greedy_mclp(2, improve=False)
    exact = model.exact_mclp(2)
    assert greedy.selected[0] == "C"
    assert greedy.covered == pytest.approx(3.2)
    assert greedy.method == "greedy-mclp"
    swapped = model.greedy_mclp(2)  # single swaps repair this one
    assert swapped.method == "greedy-mclp+swap"
    assert sorted(swapped.selected) == ["A", "B"]
    assert sorted(exact.selected) == ["A", "B"]
    assert exact.covered == pytest.approx(4.2)
    assert exact.optimal is True
    assert exact.share == pytest.approx(1.0)


def test_exact_matches_brute_force_and_keeps_existing(random_model: SiteCoverage) -> None:
    for k in (1, 2, 3):
        exact = random_model.exact_mclp(k)
        greedy = random_model.greedy_mclp(k)
        pure = random_model.greedy_mclp(k, improve=False)
        best = _brute_force(random_model, k)
        assert pure.covered <= greedy.covered + 1e-9
        assert exact.covered == pytest.approx(best)
        assert greedy.covered <= exact.covered + 1e-9
        assert len(exact.selected) == k and len(greedy.selected) == k
        assert not {0, 1} & set(exact.selected)
        assert not {0, 1} & set(greedy.selected)
        assert exact.existing_covered == random_model.covered_by([])
        assert exact.added == pytest.approx(exact.covered - exact.existing_covered)


def test_feasibility_bound_brackets_the_optimum(random_model: SiteCoverage) -> None:
    for k in (1, 2, 3, 4):
        bound = random_model.feasibility_bound(k)
        optimum = random_model.exact_mclp(k).covered
        assert bound.lower <= optimum + 1e-9 <= bound.upper + 2e-9
    bound = random_model.feasibility_bound(2)
    total = random_model.total
    assert bound.verdict(bound.upper / total + 0.01) == "unreachable"
    assert bound.verdict(bound.lower / total) == "reachable"
    if bound.upper > bound.lower:
        assert bound.verdict((bound.lower + bound.upper) / 2 / total) == "undecided"


def test_lscp_finds_the_fewest_sites(random_model: SiteCoverage) -> None:
    target = 0.8
    result = random_model.lscp(target)
    k = len(result.selected)
    assert result.share >= target
    assert result.optimal is True
    assert not {0, 1} & set(result.selected)
    if k > 0:
        assert _brute_force(random_model, k - 1) < target * random_model.total
    greedy = random_model.lscp(target, exact=False)
    assert greedy.share >= target and len(greedy.selected) >= k
    # Already met by the existing sites: nothing to add.
    assert random_model.lscp(random_model.existing_covered / random_model.total).selected == ()


def test_lscp_unreachable_target_is_refused() -> None:
    matrix = np.array([[1, 0], [0, 1], [0, 0]], dtype=bool)
    model = SiteCoverage(matrix, [1.0, 1.0, 2.0])
    with pytest.raises(ValidationError, match="达不到目标"):
        model.lscp(0.6)
    with pytest.raises(ValidationError):
        model.lscp(1.5)


def test_bad_k_and_bad_input(random_model: SiteCoverage) -> None:
    with pytest.raises(ValidationError, match="大于候选站点数 12"):
        random_model.greedy_mclp(13)
    with pytest.raises(ValidationError, match="大于候选站点数"):
        random_model.exact_mclp(20)
    with pytest.raises(ValidationError, match="非负整数"):
        random_model.feasibility_bound(-1)
    with pytest.raises(ValidationError, match="需求权重"):
        SiteCoverage(np.ones((3, 2), dtype=bool), [1.0, 2.0])
    with pytest.raises(ValidationError, match="非负"):
        SiteCoverage(np.ones((2, 2), dtype=bool), [1.0, -2.0])
    with pytest.raises(ValidationError, match="未知站点"):
        SiteCoverage(np.ones((2, 2), dtype=bool), [1.0, 2.0], existing=[5])
    with pytest.raises(ValidationError, match="重复"):
        SiteCoverage(np.ones((2, 2), dtype=bool), [1.0, 2.0], site_ids=["a", "a"])


def test_what_if_is_fast_and_consistent() -> None:
    rng = np.random.default_rng(3)
    n_demand, n_sites = 200_000, 1_000
    matrix = sp.random_array(
        (n_demand, n_sites),
        density=0.002,
        format="csc",
        rng=rng,
        data_sampler=lambda size: np.ones(size),
    )
    weights = rng.random(n_demand) * 10
    model = SiteCoverage(matrix, weights, existing=range(20))
    start = time.perf_counter()
    answer = model.what_if(add=[500, 501], remove=[3])
    elapsed = time.perf_counter() - start
    assert elapsed < 0.5
    assert answer.seconds < 0.5
    assert answer.before == pytest.approx(model.existing_covered)
    expected_sites = [*(i for i in range(20) if i != 3), 500, 501]
    assert list(answer.sites) == expected_sites
    counts = np.asarray((matrix[:, expected_sites] != 0).sum(axis=1)).ravel()
    assert answer.after == pytest.approx(weights[counts > 0].sum())
    assert answer.delta == pytest.approx(answer.after - answer.before)
    # From a plan other than the existing sites.
    again = model.what_if(remove=[500], sites=answer.sites)
    assert again.before == pytest.approx(answer.after)
    with pytest.raises(ValidationError, match="已在方案中"):
        model.what_if(add=[0])
    with pytest.raises(ValidationError, match="不在方案中"):
        model.what_if(remove=[999])


def test_coverage_within_distance_matches_brute_force() -> None:
    rng = np.random.default_rng(11)
    demand = rng.random((300, 2)) * 5000
    sites = rng.random((25, 2)) * 5000
    matrix = coverage_within_distance(demand, sites, 720.0).toarray()
    dist = np.hypot(*(demand[:, None, :] - sites[None, :, :]).transpose(2, 0, 1))
    assert (matrix == (dist <= 720.0)).all()
    with pytest.raises(ValidationError, match="半径"):
        coverage_within_distance(demand, sites, 0)


def test_greedy_with_lp_start_is_close_to_exact_and_bounded() -> None:
    # Clustered demand on a plane with a grid of candidate sites: single swaps alone can stall.
    rng = np.random.default_rng(5)
    centres = rng.random((12, 2)) * 6000
    demand = np.vstack([c + rng.normal(0, 600, (150, 2)) for c in centres])
    weights = rng.gamma(2.0, 10.0, demand.shape[0])
    ticks = np.arange(0, 6001, 400.0)
    sites = np.array([(x, y) for x in ticks for y in ticks])
    model = SiteCoverage(coverage_within_distance(demand, sites, 720.0), weights, existing=[0, 7])
    for k in (5, 12):
        exact = model.exact_mclp(k)
        greedy = model.greedy_mclp(k)
        plain = model.greedy_mclp(k, lp=False)
        assert plain.upper is None
        assert greedy.covered >= plain.covered - 1e-9
        assert greedy.covered <= exact.covered + 1e-9
        assert greedy.covered >= 0.98 * exact.covered
        assert greedy.upper is not None and greedy.upper >= exact.covered - 1e-9
        if greedy.optimal:
            assert greedy.covered == pytest.approx(exact.covered)
        bound = model.feasibility_bound(k)
        assert bound.lower <= exact.covered + 1e-9 <= bound.upper + 1e-6
        assert bound.upper <= greedy.upper + 1e-9
        order = model.marginal_order(greedy.selected)
        assert sorted(s for s, _ in order) == sorted(greedy.selected)
        gains = [g for _, g in order]
        assert gains == sorted(gains, reverse=True)
        assert model.existing_covered + sum(gains) == pytest.approx(greedy.covered)
