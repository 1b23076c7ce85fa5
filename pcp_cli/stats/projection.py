"""Linear trend projection to a target date (methods.md §6) and the seed-001 count RAG.

Ordinary least squares on t = 1..K ("a statistical trend projects achievement by March
2017"), with t-distribution (K − 2 df) mean and prediction intervals and the probability of
meeting a target. Options: Theil–Sen slope with Kendall's τ, and a Poisson log-link GLM.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np

from pcp_cli.stats.common import InsufficientDataError, Rag, check_finite
from pcp_cli.stats.dist import t_cdf, t_ppf, t_sf

TargetDirection = Literal["at-most", "at-least"]
""""at-most": the target is met when the value is <= target (crime); "at-least": >=."""

MIN_POINTS = 6
"""Fewer points than this: no trend is fitted."""


@dataclass(frozen=True, slots=True)
class LinearFit:
    """OLS fit y_t = a + b·t on t = 1..n.

    ``t_slope`` and ``p_slope`` test the slope against 0; ``sigma`` is the residual SD on
    ``df`` = n − 2 degrees of freedom; ``sxx`` = Σ(t − t̄)² sizes the intervals around t̄.
    """

    n: int
    intercept: float
    slope: float
    se_intercept: float
    se_slope: float
    r_squared: float
    sigma: float
    sxx: float

    @property
    def df(self) -> int:
        return self.n - 2

    @property
    def t_slope(self) -> float:
        """slope / SE; a perfect straight line: infinite (0 when flat)."""
        if self.se_slope > 0:
            return self.slope / self.se_slope
        return math.inf if self.slope else 0.0

    @property
    def p_slope(self) -> float:
        """The two-sided p of ``t_slope`` on ``df``; a perfect straight line: 0 (1 when flat)."""
        if self.se_slope > 0:
            return 2.0 * t_sf(abs(self.t_slope), self.df)
        return 0.0 if self.slope else 1.0

    @property
    def t_mean(self) -> float:
        """t̄, the mean of t = 1..n."""
        return (self.n + 1) / 2


@dataclass(frozen=True, slots=True)
class Projection:
    """Projection at t = h with the mean CI and the prediction interval (PI)."""

    h: float
    value: float
    se_mean: float
    mean_lower: float
    mean_upper: float
    pred_lower: float
    pred_upper: float
    confidence: float
    warnings: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class TheilSenFit:
    """Theil–Sen slope (with its CI), intercept median(y) − slope·median(t), Kendall's τ."""

    slope: float
    intercept: float
    slope_lower: float
    slope_upper: float
    kendall_tau: float
    kendall_p: float


@dataclass(frozen=True, slots=True)
class PoissonTrendFit:
    """Poisson GLM log(μ_t) = a + b·t; ``rate_ratio`` = exp(b) per period."""

    intercept: float
    slope: float
    rate_ratio: float
    iterations: int

    def predict(self, h: float) -> float:
        """Fitted mean at t = h (never negative)."""
        return math.exp(self.intercept + self.slope * h)


def _series(values: Sequence[float]) -> np.ndarray:
    ys = check_finite(values)
    if len(ys) < MIN_POINTS:
        raise InsufficientDataError(
            f"a projection needs at least {MIN_POINTS} points; got {len(ys)}"
        )
    return np.asarray(ys, dtype=np.float64)


def fit_linear_trend(values: Sequence[float]) -> LinearFit:
    """Fit OLS y = a + b·t with t = 1..K (oldest first). Fewer than 6 points: ValueError."""
    y = _series(values)
    n = len(y)
    t = np.arange(1, n + 1, dtype=np.float64)
    t_mean = float(t.mean())
    sxx = float(((t - t_mean) ** 2).sum())
    y_mean = float(y.mean())
    slope = float(((t - t_mean) * (y - y_mean)).sum()) / sxx
    intercept = y_mean - slope * t_mean
    resid = y - (intercept + slope * t)
    sse = float((resid**2).sum())
    sst = float(((y - y_mean) ** 2).sum())
    sigma = math.sqrt(sse / (n - 2))
    se_slope = sigma / math.sqrt(sxx)
    se_intercept = sigma * math.sqrt(1.0 / n + t_mean**2 / sxx)
    return LinearFit(
        n=n,
        intercept=intercept,
        slope=slope,
        se_intercept=se_intercept,
        se_slope=se_slope,
        r_squared=1.0 - sse / sst if sst > 0 else 1.0,
        sigma=sigma,
        sxx=sxx,
    )


def _se_mean(fit: LinearFit, h: float) -> float:
    return fit.sigma * math.sqrt(1.0 / fit.n + (h - fit.t_mean) ** 2 / fit.sxx)


def project(fit: LinearFit, h: float, confidence: float = 0.95) -> Projection:
    """Project the line to t = h: ŷ ± t_{n−2}·SE_mean and ŷ ± t_{n−2}·√(SE_mean² + σ̂²).

    Warns (in ``warnings``) when the projection is negative.
    """
    if not 0.0 < confidence < 1.0:
        raise ValueError(f"confidence must be between 0 and 1; got {confidence!r}")
    value = fit.intercept + fit.slope * h
    se_mean = _se_mean(fit, h)
    se_pred = math.hypot(se_mean, fit.sigma)
    q = t_ppf(0.5 + confidence / 2.0, fit.df)
    warnings = ("projection is negative",) if value < 0 else ()
    return Projection(
        h=h,
        value=value,
        se_mean=se_mean,
        mean_lower=value - q * se_mean,
        mean_upper=value + q * se_mean,
        pred_lower=value - q * se_pred,
        pred_upper=value + q * se_pred,
        confidence=confidence,
        warnings=warnings,
    )


def probability_of_meeting(
    fit: LinearFit, h: float, target: float, direction: TargetDirection = "at-most"
) -> float:
    """P(Y_h <= target) ("at-most") or P(Y_h >= target) ("at-least") from the t predictive
    distribution with n − 2 df: t-CDF of (target − ŷ_h)/√(SE_mean² + σ̂²)."""
    value = fit.intercept + fit.slope * h
    se_pred = math.hypot(_se_mean(fit, h), fit.sigma)
    if se_pred == 0:
        below = 1.0 if value <= target else 0.0
    else:
        below = t_cdf((target - value) / se_pred, fit.df)
    if direction == "at-most":
        return below
    if direction == "at-least":
        return 1.0 - below
    raise ValueError(f"direction must be 'at-most' or 'at-least'; got {direction!r}")


def projects_achievement(
    fit: LinearFit, h: float, target: float, direction: TargetDirection = "at-most"
) -> bool:
    """True when the fitted line at t = h meets the target (ŷ_h <= target for "at-most")."""
    value = fit.intercept + fit.slope * h
    if direction == "at-most":
        return value <= target
    if direction == "at-least":
        return value >= target
    raise ValueError(f"direction must be 'at-most' or 'at-least'; got {direction!r}")


def time_to_reach(fit: LinearFit, target: float) -> float | None:
    """The t at which the line equals ``target``, (target − a)/b; ``None`` for a flat line.

    The result may lie in the past (t < n) or be negative; callers decide what to report.
    """
    if fit.slope == 0:
        return None
    return (target - fit.intercept) / fit.slope


def sum_projection(fit: LinearFit, start: int, end: int) -> float:
    """Sum of the projected values for t = start..end inclusive (e.g. a year-end total)."""
    if end < start:
        raise ValueError(f"end ({end}) must not be before start ({start})")
    k = end - start + 1
    return fit.intercept * k + fit.slope * (start + end) * k / 2.0


def theil_sen_trend(values: Sequence[float], confidence: float = 0.95) -> TheilSenFit:
    """Robust Theil–Sen slope (scipy ``theilslopes``) with Kendall's τ test on t = 1..K."""
    y = _series(values)
    t = np.arange(1, len(y) + 1, dtype=np.float64)
    from scipy.stats import kendalltau, theilslopes  # slow to import; only used here

    res = theilslopes(y, t, alpha=confidence)
    tau = kendalltau(t, y)
    return TheilSenFit(
        slope=float(res[0]),
        intercept=float(res[1]),
        slope_lower=float(res[2]),
        slope_upper=float(res[3]),
        kendall_tau=float(tau.statistic),
        kendall_p=float(tau.pvalue),
    )


def fit_poisson_trend(
    values: Sequence[float], *, max_iter: int = 100, tol: float = 1e-12
) -> PoissonTrendFit:
    """Poisson GLM with log link on t = 1..K, fitted by iteratively reweighted least squares.

    Suits counts and never projects below 0. Values must be >= 0 and not all 0.
    """
    y = _series(values)
    if (y < 0).any() or not (y > 0).any():
        raise ValueError("a Poisson trend needs counts >= 0, not all zero")
    n = len(y)
    x = np.column_stack([np.ones(n), np.arange(1, n + 1, dtype=np.float64)])
    beta = np.array([math.log(float(y.mean())), 0.0])
    iterations = 0
    converged = False
    while not converged:
        iterations += 1
        if iterations > max_iter:
            raise ArithmeticError("Poisson trend fit did not converge")
        eta = x @ beta
        mu = np.exp(eta)
        z = eta + (y - mu) / mu
        xtw = x.T * mu
        new = np.linalg.solve(xtw @ x, xtw @ z)
        converged = float(np.max(np.abs(new - beta))) < tol
        beta = new
    return PoissonTrendFit(
        intercept=float(beta[0]),
        slope=float(beta[1]),
        rate_ratio=math.exp(float(beta[1])),
        iterations=iterations,
    )


def count_rag(significant_improvement: bool, trend_projects_achievement: bool) -> Rag:
    """Seed-001 RAG for counts against a baseline.

    GREEN: a statistically significant improvement now and the trend projects it will be
    maintained. AMBER: no significant improvement yet but a trend projects achievement.
    RED: neither. The key does not cover "significant improvement but the trend does not
    maintain it"; that case is rated AMBER here.
    """
    if significant_improvement and trend_projects_achievement:
        return "GREEN"
    if significant_improvement or trend_projects_achievement:
        return "AMBER"
    return "RED"
