"""The stopping rule's statistics: the order-statistic interval of the median."""

from __future__ import annotations

import math

import numpy as np
import pytest

from nnkb.bench.stats import ci_within, median_ci, median_ci_ranks, summarize


def _coverage(n: int, r: int) -> float:
    """Exact coverage of [x(r), x(n-r+1)]: 1 - 2 P(B <= r-1), B ~ Bin(n, 1/2)."""
    return 1 - 2 * sum(math.comb(n, k) for k in range(r)) / 2**n


@pytest.mark.parametrize(
    "n, ranks", [(6, (1, 6)), (10, (2, 9)), (20, (6, 15)), (50, (18, 33)), (100, (40, 61))]
)
def test_ranks_match_published_tables(n, ranks):
    assert median_ci_ranks(n) == ranks


def test_ranks_are_the_narrowest_with_95_percent_coverage():
    for n in range(6, 300):
        r, s = median_ci_ranks(n)
        assert s == n - r + 1
        assert _coverage(n, r) >= 0.95
        assert _coverage(n, r + 1) < 0.95  # one rank narrower would fall short


def test_large_n_does_not_underflow():
    r, s = median_ci_ranks(20_000)
    # normal approximation: n/2 -/+ 1.96 sqrt(n)/2
    assert abs(r - (10_000 - 1.96 * math.sqrt(20_000) / 2)) < 3
    assert s == 20_000 - r + 1


def test_too_few_samples_have_no_interval():
    assert median_ci_ranks(5) is None
    assert median_ci(np.arange(5.0)) is None
    assert not ci_within(np.ones(5), 0.02)


def test_interval_of_a_known_sample():
    values = np.array([9, 3, 7, 1, 5, 2, 10, 8, 4, 6], dtype=float)  # 1..10 shuffled
    assert median_ci(values) == (2.0, 9.0)  # ranks 2 and 9 of 10
    twenty = np.arange(1.0, 21.0)[::-1]
    assert median_ci(twenty) == (6.0, 15.0)


def test_convergence_rule():
    tight = np.full(30, 1.0) + np.linspace(-0.01, 0.01, 30)  # all within ±1 %
    assert ci_within(tight, 0.02)
    wide = np.linspace(0.5, 1.5, 30)
    assert not ci_within(wide, 0.02)


def test_interval_covers_the_true_median_about_95_percent_of_the_time():
    rng = np.random.default_rng(1)
    true_median = math.log(2)  # exponential(1): skewed, like latencies
    hits = 0
    trials = 2000
    for _ in range(trials):
        lo, hi = median_ci(rng.exponential(size=40))
        hits += lo <= true_median <= hi
    assert 0.94 <= hits / trials <= 0.99  # exact coverage for n=40 is 0.9615


def test_summarize_fields():
    values = np.arange(1.0, 101.0) / 1000
    stats = summarize(values, converged=True)
    assert stats.n == 100
    assert stats.p50 == pytest.approx(0.0505)
    assert stats.min == 0.001
    assert stats.p90 == pytest.approx(np.percentile(values, 90))
    assert stats.p99 == pytest.approx(0.09901)
    assert stats.mean == pytest.approx(0.0505)
    assert stats.stdev == pytest.approx(np.std(values, ddof=1))
    assert (stats.ci95_low, stats.ci95_high) == (0.040, 0.061)
    assert stats.converged is True
