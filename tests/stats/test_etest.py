"""Tests for pcp_cli.stats.etest against methods.md §4.1–4.2 (V4.1, V4.2)."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pcp_cli.stats.etest import (
    poisson_conditional_test,
    poisson_error_bars,
    poisson_etest,
    poisson_score_test,
    poisson_z,
)

ABS = 1e-6

# V4.1: k1, k2, n1, n2, e-test p, score z-test p, conditional exact p (None = not given)
ETEST = [
    (0, 3, 1, 1, 0.088379, None, None),
    (6, 2, 1, 1, 0.174875, 0.157299, 0.289062),
    (20, 10, 1, 1, 0.068832, 0.067889, 0.098737),
    (25, 16, 1, 1, 0.164796, 0.159854, 0.211024),
    (30, 12, 12, 6, 0.522130, 0.512691, 0.624074),
    (20, 5, 3, 1, 0.578887, 0.563703, 0.651772),
]


@pytest.mark.parametrize(("k1", "k2", "n1", "n2", "p_e", "p_score", "p_cond"), ETEST)
def test_etest_v41(
    k1: int, k2: int, n1: float, n2: float, p_e: float, p_score: float | None, p_cond: float | None
) -> None:
    r = poisson_etest(k1, k2, n1, n2)
    assert r is not None
    assert r.method == "e-test"
    assert r.p_value == pytest.approx(p_e, abs=ABS)
    if p_score is not None:
        s = poisson_score_test(k1, k2, n1, n2)
        assert s is not None
        assert s.p_value == pytest.approx(p_score, abs=ABS)
    if p_cond is not None:
        assert poisson_conditional_test(k1, k2, n1, n2) == pytest.approx(p_cond, abs=ABS)


def test_etest_readme_value() -> None:
    r = poisson_etest(6, 2)
    assert r is not None
    assert r.p_value == pytest.approx(0.1748748, abs=1e-7)


def test_etest_is_symmetric() -> None:
    a = poisson_etest(6, 2)
    b = poisson_etest(2, 6)
    assert a is not None
    assert b is not None
    assert a.p_value == pytest.approx(b.p_value, abs=1e-12)


def test_tie_tolerance_matters() -> None:
    # ptools drops floating-point ties (0.575641); with the tolerance ties count (0.578887)
    ptools = poisson_etest(20, 5, 3, 1, tie_rel_tol=0.0)
    tolerant = poisson_etest(20, 5, 3, 1)
    assert ptools is not None
    assert tolerant is not None
    assert ptools.p_value == pytest.approx(0.575641, abs=ABS)
    assert tolerant.p_value == pytest.approx(0.578887, abs=ABS)


def test_equal_rates_give_p_one() -> None:
    r = poisson_etest(20, 10, 4, 2)
    assert r is not None
    assert r.p_value == pytest.approx(1.0, abs=ABS)


def test_zero_zero_is_undefined() -> None:
    assert poisson_etest(0, 0) is None
    assert poisson_score_test(0, 0) is None
    assert poisson_conditional_test(0, 0) is None


@pytest.mark.parametrize(("k1", "k2", "n1", "n2"), [(-1, 3, 1, 1), (1, 3, 0, 1), (1, 3, 1, -2)])
def test_invalid_inputs(k1: int, k2: int, n1: float, n2: float) -> None:
    with pytest.raises(ValueError, match=">"):
        poisson_etest(k1, k2, n1, n2)


def test_v21_companion_etest() -> None:
    r = poisson_etest(669, 1200, 6, 12)
    assert r is not None
    assert r.method == "e-test"
    assert r.p_value == pytest.approx(0.0239953, abs=ABS)
    assert r.statistic == pytest.approx(2.2571449, abs=ABS)


def test_exact_at_every_count_issue_11_vector() -> None:
    # 1,201 against 1,299 over twelve months each: the score z-test p (0.0499958) sits just
    # below 0.05 and the exact e-test p (0.0500245) just above; the verdict must not flip.
    r = poisson_etest(1201, 1299, 12, 12)
    assert r is not None
    assert r.method == "e-test"
    assert r.p_value == pytest.approx(0.0500245, abs=5e-8)
    s = poisson_score_test(1201, 1299, 12, 12)
    assert s is not None
    assert s.p_value == pytest.approx(0.0499958, abs=5e-8)


def test_large_counts_stay_exact() -> None:
    r = poisson_etest(52000, 50000, 1, 1)
    assert r is not None
    assert r.method == "e-test"
    s = poisson_score_test(52000, 50000)
    assert s is not None
    # at this size the two agree closely, but the e-test is computed, not the score p
    assert r.p_value == pytest.approx(s.p_value, rel=1e-3)
    assert r.p_value != s.p_value


@pytest.mark.parametrize(("k1", "k2", "n1", "n2"), [(1, 1, 1, 1), (3, 3, 1, 1), (2, 4, 1, 2)])
def test_equal_rates_give_exactly_one(k1: int, k2: int, n1: float, n2: float) -> None:
    # statsmodels etest_poisson_2indep gives 1 here; without counting (0, 0) as a tie the
    # sum is 1 - exp(-2) = 0.8647 for 1 against 1
    r = poisson_etest(k1, k2, n1, n2)
    assert r is not None
    assert r.p_value == 1.0


def test_old_threshold_still_available() -> None:
    r = poisson_etest(20, 10, max_total=10)
    assert r is not None
    assert r.method == "score z-test"
    assert r.p_value == pytest.approx(0.067889, abs=ABS)


@pytest.mark.parametrize(
    ("current", "historical", "z"),
    [(25, 16, 2.0), (20, 10, 2.619717), (16, 25, -2.0), (50, 30, 3.187684)],
)
def test_poisson_z_v42(current: float, historical: float, z: float) -> None:
    assert poisson_z(current, historical) == pytest.approx(z, abs=ABS)


def test_error_bars_v42() -> None:
    low, high = poisson_error_bars(16, 3)
    assert low == pytest.approx(6.25, abs=ABS)
    assert high == pytest.approx(30.25, abs=ABS)
    assert poisson_error_bars(1, 3)[0] == 0.0


def _brute_force_etest(k1: int, k2: int, n1: float, n2: float, tol: float) -> float:
    """The e-test summed over the whole grid, cell by cell (as ptools does): the reference
    for the run-at-each-end summation pcp uses."""
    lam = (k1 + k2) / (n1 + n2)
    t_obs = abs(k1 / n1 - k2 / n2) / math.sqrt(lam)

    def axis(mu: float) -> np.ndarray:
        sd = math.sqrt(mu)
        lo = max(0, math.floor(mu - 12 * sd - 40))
        return np.arange(lo, math.ceil(mu + 12 * sd + 40) + 1, dtype=np.float64)

    def pmf(x: np.ndarray, mu: float) -> np.ndarray:
        lgam = np.array([math.lgamma(v + 1) for v in x])
        return np.exp(x * math.log(mu) - mu - lgam)

    x1, x2 = axis(n1 * lam), axis(n2 * lam)
    xx1, xx2 = x1[:, None], x2[None, :]
    with np.errstate(divide="ignore", invalid="ignore"):
        t = np.abs(xx1 / n1 - xx2 / n2) / np.sqrt((xx1 + xx2) / (n1 + n2))
    t = np.nan_to_num(t, nan=0.0)  # (0, 0): no difference
    extreme = (t >= t_obs * (1 - tol)).astype(np.float64)
    return min(float(pmf(x1, n1 * lam) @ extreme @ pmf(x2, n2 * lam)), 1.0)


@settings(max_examples=150, deadline=None)
@given(
    st.integers(0, 400),
    st.integers(0, 400),
    st.sampled_from([1.0, 2.0, 3.0, 6.0, 12.0, 0.5, 7.3]),
    st.sampled_from([1.0, 2.0, 3.0, 6.0, 12.0, 1.7]),
    st.sampled_from([0.0, 1e-9]),
)
def test_etest_equals_the_whole_grid_sum(
    k1: int, k2: int, n1: float, n2: float, tol: float
) -> None:
    if k1 + k2 == 0:
        return
    r = poisson_etest(k1, k2, n1, n2, tie_rel_tol=tol)
    assert r is not None
    assert r.p_value == pytest.approx(_brute_force_etest(k1, k2, n1, n2, tol), abs=1e-12)


@pytest.mark.parametrize(
    ("k1", "k2", "n1", "n2"),
    [
        (669, 1200, 6, 12),
        (990, 1010, 1, 1),
        (0, 1999, 1, 1),
        (1500, 400, 1, 3),
        (7, 0, 1, 1),
        (1201, 1299, 12, 12),
        (4000, 4200, 3, 3),
        (0, 239, 1, 12),
    ],
)
def test_etest_equals_the_whole_grid_sum_at_the_largest_totals(
    k1: int, k2: int, n1: float, n2: float
) -> None:
    r = poisson_etest(k1, k2, n1, n2)
    assert r is not None and r.method == "e-test"
    assert r.p_value == pytest.approx(_brute_force_etest(k1, k2, n1, n2, 1e-9), abs=1e-12)
