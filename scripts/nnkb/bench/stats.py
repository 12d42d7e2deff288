"""Latency statistics, and the stopping rule of the repetition loop.

The confidence interval of the median is distribution-free: for n sorted samples the
interval [x(r), x(n-r+1)] (1-based ranks) covers the true median with probability
1 - 2 P(B <= r-1), B ~ Binomial(n, 1/2). Latencies are skewed and have outliers, so an
interval that assumes normality would be wrong; this one assumes only independence.
"""

from __future__ import annotations

import math

import numpy as np

from ..results import Stats


def median_ci_ranks(n: int, level: float = 0.95) -> tuple[int, int] | None:
    """1-based ranks (r, n - r + 1) of the shortest symmetric order-statistic interval for
    the median with coverage >= level, or None when n is too small for any interval."""
    alpha_half = (1.0 - level) / 2.0
    # Walk the lower tail of Binomial(n, 1/2) in log space (2**-n underflows past n ~ 1074).
    log_pmf = -n * math.log(2.0)  # P(B = 0)
    log_cdf = log_pmf
    r = 0  # largest r with P(B <= r - 1) <= alpha/2, i.e. cdf(r - 1) <= alpha/2
    k = 0
    while k < n and log_cdf <= math.log(alpha_half):
        r = k + 1
        log_pmf += math.log(n - k) - math.log(k + 1)  # P(B = k + 1)
        k += 1
        log_cdf = float(np.logaddexp(log_cdf, log_pmf))
    if r < 1 or r > n - r + 1:
        return None
    return r, n - r + 1


def median_ci(values: np.ndarray, level: float = 0.95) -> tuple[float, float] | None:
    """Confidence interval of the median of `values`, or None when n is too small."""
    ranks = median_ci_ranks(len(values), level)
    if ranks is None:
        return None
    ordered = np.sort(values)
    return float(ordered[ranks[0] - 1]), float(ordered[ranks[1] - 1])


def ci_within(values: np.ndarray, target: float, level: float = 0.95) -> bool:
    """Whether the median's confidence interval lies within ±target (relative) of it."""
    ci = median_ci(values, level)
    if ci is None:
        return False
    median = float(np.median(values))
    if median <= 0:
        return False
    return (median - ci[0]) <= target * median and (ci[1] - median) <= target * median


def summarize(values: np.ndarray, converged: bool, level: float = 0.95) -> Stats:
    """The latency statistics of a row's repetitions, seconds."""
    values = np.asarray(values, dtype=np.float64)
    n = len(values)
    ci = median_ci(values, level)
    if ci is None:  # too few samples for an interval: report the full range instead
        ci = (float(values.min()), float(values.max()))
    p90, p99 = np.percentile(values, [90, 99])
    return Stats(
        n=n,
        p50=float(np.median(values)),
        p90=float(p90),
        p99=float(p99),
        mean=float(values.mean()),
        min=float(values.min()),
        stdev=float(values.std(ddof=1)) if n > 1 else 0.0,
        ci95_low=ci[0],
        ci95_high=ci[1],
        converged=bool(converged),
    )
