"""Development-only cross-check of pcp's statistics against statsmodels on random cases.

statsmodels is a test dependency (the ``dev`` extra), never imported by pcp itself; these
tests are skipped when it is not installed. Every case is drawn from a seeded generator,
so a failure is reproducible.
"""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("statsmodels", reason="statsmodels (dev extra) is not installed")

import statsmodels.api as sm
from statsmodels.stats.proportion import (
    confint_proportions_2indep,
)
from statsmodels.stats.proportion import (
    test_proportions_2indep as sm_test_proportions_2indep,
)
from statsmodels.stats.rates import etest_poisson_2indep

from pcp_cli.stats.dispersion import DispersionEstimate, compare_counts
from pcp_cli.stats.etest import poisson_etest
from pcp_cli.stats.projection import fit_linear_trend, project
from pcp_cli.stats.proportions import newcombe_interval, two_proportion_ztest

# Exposure pairs whose ratio is a power of 2: statsmodels computes the statistic with
# r = n1/n2, which is then exact, so both find the same tied grid cells.
EXACT_RATIO_EXPOSURES = [(1, 1), (3, 3), (12, 12), (3, 6), (6, 12), (3, 12), (2, 1), (12, 3)]
# Ratios such as 1/3 are not: statsmodels then misses some tied cells (floating noise beyond
# its 1e-15 tolerance), which pcp counts (relative tolerance 1e-9, as ``tie_rel_tol`` says).
INEXACT_RATIO_EXPOSURES = [(2, 6), (1, 3), (12, 1), (6, 1)]


def _etest_cases(
    n: int, seed: int, most: int, exposures: list[tuple[int, int]]
) -> list[tuple[int, int, float, float]]:
    rng = np.random.default_rng(seed)
    cases = []
    for _ in range(n):
        n1, n2 = (float(v) for v in exposures[int(rng.integers(len(exposures)))])
        rate = rng.uniform(0.5, most / 24)
        k1 = int(rng.poisson(rate * n1 * rng.uniform(0.7, 1.4)))
        k2 = int(rng.poisson(rate * n2))
        if k1 + k2 > 0:
            cases.append((k1, k2, n1, n2))
    return cases


def _statsmodels_etest(k1: int, k2: int, n1: float, n2: float) -> float:
    _, p = etest_poisson_2indep(k1, n1, k2, n2, method="score")
    return float(p)


@pytest.mark.parametrize(
    ("k1", "k2", "n1", "n2"),
    _etest_cases(60, seed=20261201, most=2500, exposures=EXACT_RATIO_EXPOSURES),
)
def test_etest_equals_statsmodels(k1: int, k2: int, n1: float, n2: float) -> None:
    ours = poisson_etest(k1, k2, n1, n2)
    assert ours is not None
    assert ours.p_value == pytest.approx(_statsmodels_etest(k1, k2, n1, n2), abs=1e-9)


def _tie_mass(k1: int, k2: int, n1: float, n2: float) -> float:
    """Probability of the grid cells whose statistic equals the observed one within 1e-9."""
    from scipy.stats import poisson

    lam = (k1 + k2) / (n1 + n2)
    grid = np.arange(0, int(max(n1, n2) * lam + 15 * np.sqrt(max(n1, n2) * lam) + 60))
    x1, x2 = grid[:, None].astype(float), grid[None, :].astype(float)
    with np.errstate(divide="ignore", invalid="ignore"):
        stat = np.abs(x1 / n1 - x2 / n2) / np.sqrt((x1 + x2) / (n1 + n2))
    observed = abs(k1 / n1 - k2 / n2) / np.sqrt(lam)
    tied = np.abs(stat - observed) <= 1e-9 * observed
    mass = poisson.pmf(grid, n1 * lam)[:, None] * poisson.pmf(grid, n2 * lam)[None, :]
    return float(mass[tied].sum())


@pytest.mark.parametrize(
    ("k1", "k2", "n1", "n2"),
    _etest_cases(20, seed=5, most=1500, exposures=INEXACT_RATIO_EXPOSURES),
)
def test_etest_differs_from_statsmodels_only_by_tied_cells(
    k1: int, k2: int, n1: float, n2: float
) -> None:
    ours = poisson_etest(k1, k2, n1, n2)
    assert ours is not None
    theirs = _statsmodels_etest(k1, k2, n1, n2)
    assert theirs - 1e-9 <= ours.p_value <= theirs + _tie_mass(k1, k2, n1, n2) + 1e-9


@pytest.mark.parametrize(
    ("k1", "k2", "n1", "n2"),
    [(1201, 1299, 12, 12), (1, 1, 1, 1), (0, 3, 1, 1), (20, 5, 3, 1), (2000, 1890, 3, 3)],
)
def test_etest_vectors_equal_statsmodels(k1: int, k2: int, n1: float, n2: float) -> None:
    ours = poisson_etest(k1, k2, n1, n2)
    assert ours is not None
    assert ours.p_value == pytest.approx(_statsmodels_etest(k1, k2, n1, n2), abs=1e-9)


def _proportion_cases(n: int, seed: int) -> list[tuple[int, int, int, int]]:
    rng = np.random.default_rng(seed)
    cases = []
    for _ in range(n):
        n1, n2 = (int(v) for v in rng.integers(20, 3000, 2))
        p = rng.uniform(0.05, 0.95)
        x1 = int(rng.binomial(n1, min(0.99, p * rng.uniform(0.85, 1.15))))
        x2 = int(rng.binomial(n2, p))
        if 0 < x1 + x2 < n1 + n2:
            cases.append((x1, n1, x2, n2))
    return cases


@pytest.mark.parametrize(("x1", "n1", "x2", "n2"), _proportion_cases(60, seed=7))
def test_two_proportions_equal_statsmodels(x1: int, n1: int, x2: int, n2: int) -> None:
    ours = two_proportion_ztest(x1, n1, x2, n2)
    theirs = sm_test_proportions_2indep(x1, n1, x2, n2, method="score", correction=False)
    assert ours.z == pytest.approx(float(theirs.statistic), rel=1e-9, abs=1e-12)
    assert ours.p_value == pytest.approx(float(theirs.pvalue), rel=1e-9, abs=1e-15)
    for confidence in (0.95, 0.99):
        ci = newcombe_interval(x1, n1, x2, n2, confidence)
        lo, hi = confint_proportions_2indep(
            x1, n1, x2, n2, method="newcomb", compare="diff", alpha=1 - confidence
        )
        assert ci.lower == pytest.approx(float(lo), abs=1e-12)
        assert ci.upper == pytest.approx(float(hi), abs=1e-12)


def _series_cases(n: int, seed: int) -> list[tuple[list[float], float, float]]:
    rng = np.random.default_rng(seed)
    cases = []
    for _ in range(n):
        k = int(rng.integers(6, 37))
        t = np.arange(1, k + 1)
        y = rng.uniform(50, 5000) + rng.uniform(-20, 20) * t + rng.normal(0, 80, k)
        h = float(k + rng.integers(1, 25))
        cases.append(([float(v) for v in y], h, float(rng.choice([0.8, 0.9, 0.95, 0.99]))))
    return cases


@pytest.mark.parametrize(("values", "h", "confidence"), _series_cases(30, seed=3))
def test_projection_interval_equals_ols_get_prediction(
    values: list[float], h: float, confidence: float
) -> None:
    fit = fit_linear_trend(values)
    ours = project(fit, h, confidence)
    t = np.arange(1, len(values) + 1, dtype=float)
    model = sm.OLS(np.asarray(values), sm.add_constant(t)).fit()
    frame = model.get_prediction(np.array([[1.0, h]])).summary_frame(alpha=1 - confidence)
    assert fit.slope == pytest.approx(float(model.params[1]), rel=1e-9)
    assert ours.value == pytest.approx(float(frame["mean"].iloc[0]), rel=1e-9)
    assert ours.se_mean == pytest.approx(float(frame["mean_se"].iloc[0]), rel=1e-9)
    assert ours.mean_lower == pytest.approx(float(frame["mean_ci_lower"].iloc[0]), rel=1e-9)
    assert ours.mean_upper == pytest.approx(float(frame["mean_ci_upper"].iloc[0]), rel=1e-9)
    assert ours.pred_lower == pytest.approx(float(frame["obs_ci_lower"].iloc[0]), rel=1e-9)
    assert ours.pred_upper == pytest.approx(float(frame["obs_ci_upper"].iloc[0]), rel=1e-9)


@pytest.mark.parametrize("seed", range(10))
def test_dispersion_interval_equals_a_quasi_poisson_glm(seed: int) -> None:
    # the rate ratio's log-scale SE √(φ(1/c + 1/b)) is the SE of a period effect in a
    # Poisson GLM of the monthly counts with the scale fixed at φ (quasi-likelihood,
    # McCullagh & Nelder 1989)
    rng = np.random.default_rng(seed)
    months_c, months_b = (int(v) for v in rng.choice([3, 6, 12], 2))
    level = rng.uniform(200, 30000)
    current_months = rng.poisson(level * rng.uniform(0.8, 1.25), months_c).astype(float)
    baseline_months = rng.poisson(level, months_b).astype(float)
    phi = float(rng.uniform(1.5, 40))
    endog = np.concatenate([current_months, baseline_months])
    exog = sm.add_constant(np.r_[np.ones(months_c), np.zeros(months_b)])
    glm = sm.GLM(endog, exog, family=sm.families.Poisson()).fit(scale=phi)
    estimate = DispersionEstimate(phi, 36, "given", "test", None, phi, None, 0)
    current, baseline = float(current_months.sum()), float(baseline_months.sum())
    ours = compare_counts(current, months_c, baseline, months_b, estimate, alpha=0.05)
    assert ours.rate_ratio == pytest.approx(float(np.exp(glm.params[1])), rel=1e-9)
    lo, hi = np.exp(glm.conf_int(alpha=0.05)[1])
    assert ours.rate_ratio_lower == pytest.approx(float(lo), rel=1e-7)
    assert ours.rate_ratio_upper == pytest.approx(float(hi), rel=1e-7)
    # the GLM's Wald z is log RR / SE; pcp's score z / √φ agrees to first order
    assert ours.statistic == pytest.approx(float(glm.tvalues[1]), rel=0.05, abs=0.02)
