"""Poisson comparisons of two periods' counts (methods.md §4.1–4.2).

Sources: Krishnamoorthy & Thomson (2004) E-test as coded in ``apwheele/ptools`` ``R/e_test.R``
and ``crimepy/wdd.py`` (pooled "score" statistic, equal to statsmodels
``etest_poisson_2indep(method="score")``), plus crimepy ``ytd_stats`` Poisson Z.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass
from typing import Literal

from pcp_cli.stats.dist import norm_sf

PoissonTestMethod = Literal["e-test", "score z-test"]

ETEST_MAX_TOTAL = 2000
"""Above this total count (k1 + k2) :func:`poisson_etest` uses the score z-test instead.

At that size the e-test and the score test agree to about 1e-5 in p, and the e-test grid
(about 1e6 cells) still takes only milliseconds, so the switch only bounds run time.
"""

TIE_REL_TOL = 1e-9
"""Relative tolerance for counting grid statistics equal to the observed one (ties)."""

_GRID_SDS = 12.0
"""The grid spans mean ± 12 SD + 40 per axis: the Poisson pmf beyond is far below 1e-20."""


@dataclass(frozen=True, slots=True)
class PoissonTestResult:
    """Result of comparing two Poisson rates k1/n1 and k2/n2 (two-sided).

    ``statistic`` is the pooled score z, (k1/n1 − k2/n2)/√(λ̂(1/n1 + 1/n2)) with
    λ̂ = (k1 + k2)/(n1 + n2); ``method`` says which p-value was computed.
    """

    p_value: float
    statistic: float
    method: PoissonTestMethod


def _check(k1: float, k2: float, n1: float, n2: float) -> None:
    for name, k in (("k1", k1), ("k2", k2)):
        if not math.isfinite(k) or k < 0:
            raise ValueError(f"{name} must be a count >= 0; got {k!r}")
    for name, n in (("n1", n1), ("n2", n2)):
        if not math.isfinite(n) or n <= 0:
            raise ValueError(f"{name} (exposure) must be > 0; got {n!r}")


def poisson_score_test(
    k1: float, k2: float, n1: float = 1.0, n2: float = 1.0
) -> PoissonTestResult | None:
    """Pooled score z-test for k1/n1 = k2/n2 (two-sided normal p). ``None`` for k1 = k2 = 0.

    Example (§2.2 V2.1): 669 in 6 months vs 1200 in 12 gives z = 2.2571449, p = 0.0239990.
    """
    _check(k1, k2, n1, n2)
    if k1 + k2 == 0:
        return None
    lam = (k1 + k2) / (n1 + n2)
    z = (k1 / n1 - k2 / n2) / math.sqrt(lam * (1.0 / n1 + 1.0 / n2))
    return PoissonTestResult(2.0 * norm_sf(abs(z)), z, "score z-test")


def _axis(mu: float) -> range:
    sd = math.sqrt(mu)
    lo = max(0, math.floor(mu - _GRID_SDS * sd - 40.0))
    hi = math.ceil(mu + _GRID_SDS * sd + 40.0)
    return range(lo, hi + 1)


def _pmf(axis: range, mu: float) -> list[float]:
    log_mu = math.log(mu)
    return [math.exp(k * log_mu - mu - math.lgamma(k + 1.0)) for k in axis]


def poisson_etest(
    k1: int,
    k2: int,
    n1: float = 1.0,
    n2: float = 1.0,
    *,
    max_total: int = ETEST_MAX_TOTAL,
    tie_rel_tol: float = TIE_REL_TOL,
) -> PoissonTestResult | None:
    """Krishnamoorthy–Thomson E-test of k1/n1 = k2/n2 with the pooled (score) statistic.

    Sums P(x1)P(x2) under X1 ~ Poisson(n1·λ̂), X2 ~ Poisson(n2·λ̂) over all grid points
    (except (0, 0)) whose statistic is at least the observed one, counting values within a
    relative 1e-9 as ties (ptools drops floating-point ties: 20,5,3,1 gives 0.575641 there,
    0.578887 here and in statsmodels; ``tie_rel_tol=0`` reproduces ptools). Returns ``None``
    for k1 = k2 = 0. When k1 + k2 exceeds ``max_total`` the score z-test p is returned
    instead, with ``method="score z-test"``.
    """
    _check(k1, k2, n1, n2)
    if k1 != int(k1) or k2 != int(k2):
        raise ValueError("the e-test needs whole-number counts")
    if k1 + k2 == 0:
        return None
    score = poisson_score_test(k1, k2, n1, n2)
    assert score is not None
    if k1 + k2 > max_total:
        return score
    # Same arithmetic as ptools (the constant factor √(1/n1 + 1/n2) is left out), so that
    # tie_rel_tol=0 reproduces its floating-point behaviour exactly.
    lam = (k1 + k2) / (n1 + n2)
    threshold = abs(k1 / n1 - k2 / n2) / math.sqrt(lam) * (1.0 - tie_rel_tol)
    n_total = n1 + n2

    def extreme(x1: int, x2: int) -> bool:
        if x1 + x2 == 0:
            return False  # the statistic is 0/0 there
        return abs(x1 / n1 - x2 / n2) / math.sqrt((x1 + x2) / n_total) >= threshold

    axis1, axis2 = _axis(n1 * lam), _axis(n2 * lam)
    p1, p2 = _pmf(axis1, n1 * lam), _pmf(axis2, n2 * lam)
    below = [0.0, *itertools.accumulate(p2)]  # below[i]: mass of axis2[:i]
    lo2, hi2 = axis2.start, axis2.stop - 1
    # For a fixed x1 the statistic falls as x2 rises to x1·n2/n1 and rises after it, so
    # the extreme x2 are a run at each end of the axis: find the two ends (a, b) by
    # walking from the previous x1's, which move little (O(grid) in all, not O(grid²)).
    a, b = lo2 - 1, hi2 + 1
    p = 0.0
    for x1, px1 in zip(axis1, p1, strict=True):
        turn = min(hi2, math.floor(x1 * n2 / n1))  # the last x2 of the falling part
        a = max(lo2 - 1, min(a, turn))
        while a + 1 <= turn and extreme(x1, a + 1):
            a += 1
        while a >= lo2 and not extreme(x1, a):
            a -= 1
        b = max(b, turn + 1, lo2)
        while b - 1 >= max(turn + 1, lo2) and extreme(x1, b - 1):
            b -= 1
        while b <= hi2 and not extreme(x1, b):
            b += 1
        tails = below[a - lo2 + 1] + (below[-1] - below[b - lo2])
        p += px1 * tails
    return PoissonTestResult(min(p, 1.0), score.statistic, "e-test")


def poisson_conditional_test(k1: int, k2: int, n1: float = 1.0, n2: float = 1.0) -> float | None:
    """Conditional exact test: k1 ~ Binomial(k1 + k2, n1/(n1 + n2)), two-sided p.

    ``None`` for k1 = k2 = 0.
    """
    _check(k1, k2, n1, n2)
    if k1 + k2 == 0:
        return None
    from scipy.stats import binomtest  # slow to import; only this test needs it

    return float(binomtest(int(k1), int(k1 + k2), n1 / (n1 + n2)).pvalue)


def poisson_z(current: float, historical: float) -> float:
    """Wheeler's Poisson Z = 2(√current − √historical); |Z| >= 3 is a suggested alert."""
    if current < 0 or historical < 0:
        raise ValueError("counts must be >= 0")
    return 2.0 * (math.sqrt(current) - math.sqrt(historical))


def poisson_error_bars(prior_mean: float, z: float = 3.0) -> tuple[float, float]:
    """Weekly error bars (crimepy ``weekly_data``): (max(0, √m − z/2)², (√m + z/2)²)."""
    if prior_mean < 0:
        raise ValueError("prior_mean must be >= 0")
    root = math.sqrt(prior_mean)
    return max(0.0, root - z / 2.0) ** 2, (root + z / 2.0) ** 2
