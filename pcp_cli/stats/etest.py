"""Poisson comparisons of two periods' counts (methods.md §4.1–4.2).

Sources: Krishnamoorthy & Thomson (2004) E-test as coded in ``apwheele/ptools`` ``R/e_test.R``
and ``crimepy/wdd.py`` (pooled "score" statistic, equal to statsmodels
``etest_poisson_2indep(method="score")``), plus crimepy ``ytd_stats`` Poisson Z.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from pcp_cli.stats.dist import norm_sf

if TYPE_CHECKING:  # numpy costs 0.1 s to import; only the e-test's sum needs it
    import numpy as np
    from numpy.typing import NDArray

PoissonTestMethod = Literal["e-test", "score z-test"]

ETEST_MAX_TOTAL: int | None = None
"""Kept for callers of an older version: the e-test is now exact at every count.

It used to switch to the score z-test above 2,000 events, which flipped verdicts at the
switch (1,201 against 1,299 over twelve months each: score p 0.0499958, exact 0.0500245).
The summation below is O(grid), a few milliseconds even at 100,000 events.
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


def _pmf(axis: range, mu: float) -> NDArray[np.float64]:
    import numpy as np

    log_mu = math.log(mu)
    log_fact = np.fromiter((math.lgamma(k + 1.0) for k in axis), np.float64, len(axis))
    ks = np.arange(axis.start, axis.stop, dtype=np.float64)
    out: NDArray[np.float64] = np.exp(ks * log_mu - mu - log_fact)
    return out


def poisson_etest(
    k1: int,
    k2: int,
    n1: float = 1.0,
    n2: float = 1.0,
    *,
    max_total: int | None = ETEST_MAX_TOTAL,
    tie_rel_tol: float = TIE_REL_TOL,
) -> PoissonTestResult | None:
    """Krishnamoorthy–Thomson E-test of k1/n1 = k2/n2 with the pooled (score) statistic.

    Sums P(x1)P(x2) under X1 ~ Poisson(n1·λ̂), X2 ~ Poisson(n2·λ̂) over all grid points
    (except (0, 0)) whose statistic is at least the observed one, counting values within a
    relative 1e-9 as ties (ptools drops floating-point ties: 20,5,3,1 gives 0.575641 there,
    0.578887 here and in statsmodels; ``tie_rel_tol=0`` reproduces ptools). Returns ``None``
    for k1 = k2 = 0. Equal rates (1 against 1) give p = 1, as in statsmodels: every outcome,
    (0, 0) included, is then at least as extreme as the observed one.

    Exact at every count by default. ``max_total`` (a total above which the score z-test p
    is returned, ``method="score z-test"``) exists only for comparisons with older output.
    """
    _check(k1, k2, n1, n2)
    if k1 != int(k1) or k2 != int(k2):
        raise ValueError("the e-test needs whole-number counts")
    if k1 + k2 == 0:
        return None
    score = poisson_score_test(k1, k2, n1, n2)
    assert score is not None
    if max_total is not None and k1 + k2 > max_total:
        return score
    # Same arithmetic as ptools (the constant factor √(1/n1 + 1/n2) is left out), so that
    # tie_rel_tol=0 reproduces its floating-point behaviour exactly.
    lam = (k1 + k2) / (n1 + n2)
    threshold = abs(k1 / n1 - k2 / n2) / math.sqrt(lam) * (1.0 - tie_rel_tol)
    if threshold <= 0.0:
        return PoissonTestResult(1.0, score.statistic, "e-test")
    p = _extreme_mass(_axis(n1 * lam), _axis(n2 * lam), n1, n2, lam, threshold)
    return PoissonTestResult(min(p, 1.0), score.statistic, "e-test")


def _extreme_mass(
    axis1: range, axis2: range, n1: float, n2: float, lam: float, threshold: float
) -> float:
    """Probability of the grid cells whose statistic is at least ``threshold``.

    For a fixed x1 the statistic falls as x2 rises to x1·n2/n1 and rises after it, so the
    extreme x2 are a run at each end of axis2, ending at a and starting at b. The ends are
    the roots of a quadratic in x2, then checked and moved cell by cell with the very
    arithmetic of a cell-by-cell sum (so ties fall as they would there). O(grid), in numpy.
    """
    import numpy as np

    n_total = n1 + n2
    x1 = np.arange(axis1.start, axis1.stop, dtype=np.float64)
    lo2, hi2 = axis2.start, axis2.stop - 1

    def extreme(x2: NDArray[np.float64]) -> NDArray[np.bool_]:
        total = x1 + x2
        with np.errstate(divide="ignore", invalid="ignore"):
            stat = np.abs(x1 / n1 - x2 / n2) / np.sqrt(total / n_total)
        return (total > 0) & (stat >= threshold)  # (0, 0) is 0/0: no difference

    # (x1/n1 − y/n2)² = t²(x1 + y)/N  <=>  y²/n2² − y(2·x1/(n1·n2) + t²/N) + x1²/n1² − t²x1/N = 0
    t2 = threshold * threshold
    half_b = x1 / (n1 * n2) + t2 / (2.0 * n_total)
    c = (x1 / n1) ** 2 - t2 * x1 / n_total
    root = np.sqrt(np.maximum(half_b * half_b - c / (n2 * n2), 0.0))
    # the last x2 of the falling part (lo2 − 1 when the whole axis rises)
    turn = np.clip(np.floor(x1 * n2 / n1), lo2 - 1.0, float(hi2))
    first_rising = turn + 1.0
    a = np.clip(np.floor(n2 * n2 * (half_b - root)), lo2 - 1.0, turn)
    b = np.clip(np.ceil(n2 * n2 * (half_b + root)), first_rising, hi2 + 1.0)
    for _ in range(8):  # the roots are within a cell or two; the checks settle them
        up = (a + 1.0 <= turn) & extreme(a + 1.0)
        down = ~up & (a >= lo2) & ~extreme(a)
        lower = (b - 1.0 >= first_rising) & extreme(b - 1.0)
        higher = ~lower & (b <= hi2) & ~extreme(b)
        if not (up.any() or down.any() or lower.any() or higher.any()):
            break
        a = a + up - down
        b = b - lower + higher
    else:
        raise ArithmeticError("the e-test's run ends did not settle")
    below = np.concatenate(([0.0], np.cumsum(_pmf(axis2, n2 * lam))))  # mass of axis2[:i]
    tails = below[(a - lo2 + 1).astype(np.int64)] + (below[-1] - below[(b - lo2).astype(np.int64)])
    return float(_pmf(axis1, n1 * lam) @ tails)


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
