"""Tests for pcp_cli.stats.dispersion: Laney's dispersion and the quasi-Poisson comparison.

The property tests simulate monthly counts (seeded) and assert rates of "significant"
verdicts, never single runs: issue 11's bar is at most about 10% false positives with
dispersion 20, a +25% step found almost always, and on Poisson data about 5% false
positives with a +5% step still found at 5,000–30,000 a month.
"""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pcp_cli.stats.dispersion import (
    DispersionEstimate,
    compare_counts,
    estimate_dispersion,
    moving_range_degrees_of_freedom,
)
from pcp_cli.stats.dist import norm_sf, t_ppf, t_sf
from pcp_cli.stats.etest import poisson_etest, poisson_score_test

# methods.md §9 vector: ū = 109.5833, mean moving range of z = 2.43161, Laney φ = 4.64695
LANEY_VECTOR = [100, 120, 90, 130, 110, 95, 125, 105, 115, 140, 85, 100]


def _given(factor: float, df: float | None = None) -> DispersionEstimate:
    return DispersionEstimate(factor, 36, "given", "test", None, factor, df, 0)


# --- the estimate -------------------------------------------------------------------------


def test_laney_vector_methods_9() -> None:
    d = estimate_dispersion(LANEY_VECTOR)
    assert d.estimate == pytest.approx(4.64695, abs=5e-6)
    assert d.factor == d.estimate
    assert d.months_used == 12
    assert d.moving_ranges_screened == 0
    assert d.fallback_note is None
    assert d.method == "laney-moving-range"
    assert "Laney (2002)" in d.source
    mean = sum(LANEY_VECTOR) / 12
    amr = sum(abs(b - a) for a, b in itertools.pairwise(LANEY_VECTOR)) / 11
    assert amr / math.sqrt(mean) == pytest.approx(2.43161, abs=5e-6)


def _numpy_laney(x: np.ndarray) -> float:
    """An independent whole-array version (no gaps): screened once at 3.267 × the mean."""
    z = (x - x.mean()) / math.sqrt(x.mean())
    mr = np.abs(np.diff(z))
    kept = mr[mr < 3.267 * mr.mean()]
    amr = kept.mean() if kept.size and kept.sum() > 0 else mr.mean()
    return float((amr / 1.128) ** 2)


@pytest.mark.parametrize("seed", range(8))
def test_estimate_equals_an_independent_numpy_version(seed: int) -> None:
    rng = np.random.default_rng(seed)
    x = rng.negative_binomial(5, 5 / (5 + 800), size=36).astype(float)
    assert estimate_dispersion(list(x)).estimate == pytest.approx(_numpy_laney(x), rel=1e-12)


def test_never_below_one() -> None:
    d = estimate_dispersion([100, 101, 100, 101, 100, 101, 100, 101, 100, 101, 100, 101])
    assert d.estimate is not None
    assert d.estimate < 0.02
    assert d.factor == 1.0


def test_too_little_history_falls_back_to_poisson() -> None:
    d = estimate_dispersion(LANEY_VECTOR[:11])
    assert d.factor == 1.0
    assert d.months_used == 11
    assert d.estimate is None
    assert d.degrees_of_freedom is None
    assert d.fallback_note is not None
    assert "fewer than 12" in d.fallback_note
    assert "Poisson test is used" in d.fallback_note
    assert estimate_dispersion(LANEY_VECTOR[:11], min_months=6).fallback_note is None


def test_missing_months_break_the_moving_ranges() -> None:
    # a month with no neighbour is not used; the gap's moving ranges are not taken
    gappy: list[float | None] = [*LANEY_VECTOR[:6], None, 500.0, None, *LANEY_VECTOR[6:]]
    d = estimate_dispersion(gappy)
    assert d.months_used == 12
    whole = estimate_dispersion(LANEY_VECTOR)
    # without the pair across the gap (95 → 125) the mean range is smaller
    assert d.estimate is not None
    assert whole.estimate is not None
    assert d.estimate < whole.estimate
    assert estimate_dispersion([*LANEY_VECTOR[:6], math.nan, *LANEY_VECTOR[6:]]) == d


def test_all_zero_history_falls_back() -> None:
    d = estimate_dispersion([0.0] * 24)
    assert d.factor == 1.0
    assert d.fallback_note is not None
    assert "no events" in d.fallback_note


@pytest.mark.parametrize("bad", [-1.0, math.inf])
def test_bad_counts_are_errors(bad: float) -> None:
    with pytest.raises(ValueError, match=r"monthly count \[3\]"):
        estimate_dispersion([1.0, 2.0, 3.0, bad, 5.0])


def test_min_months_must_allow_a_moving_range() -> None:
    with pytest.raises(ValueError, match="min_months"):
        estimate_dispersion(LANEY_VECTOR, min_months=1)


def test_one_special_cause_is_screened_out() -> None:
    # a lockdown-like drop and recovery: two huge moving ranges among steady months
    rng = np.random.default_rng(3)
    x = rng.poisson(7000, size=30).astype(float)
    x[15] = 5200.0
    d = estimate_dispersion(list(x))
    assert d.moving_ranges_screened == 2
    assert d.estimate is not None
    assert d.estimate < 2.0
    unscreened = (np.abs(np.diff(x)).mean() / 1.128) ** 2 / x.mean()
    assert unscreened > 4  # the drop alone would make Poisson data look over-dispersed


def test_rare_events_are_not_screened_to_zero() -> None:
    zeros_and_two_ones = [0.0] * 24
    zeros_and_two_ones[5] = zeros_and_two_ones[17] = 1.0
    d = estimate_dispersion(zeros_and_two_ones)
    assert d.moving_ranges_screened == 0  # screening would drop every non-zero range
    assert d.estimate is not None
    assert d.estimate > 0


def test_a_trend_is_not_mistaken_for_dispersion() -> None:
    # Poisson counts rising by a fifth over 36 months (5,000 to 6,000): Pearson χ²/df about
    # a constant mean calls this over-dispersed; the moving ranges see the noise and only
    # the month's step of the trend (28 here, beside a noise range of about 84)
    estimates = []
    for seed in range(40):
        x = np.random.default_rng(seed).poisson(np.linspace(5000, 6000, 36)).astype(float)
        pearson = float(((x - x.mean()) ** 2 / x.mean()).sum() / 35)
        assert pearson > 10
        estimates.append(estimate_dispersion(list(x)).estimate)
    assert float(np.median(estimates)) < 1.2


def test_degrees_of_freedom_of_the_moving_range() -> None:
    assert moving_range_degrees_of_freedom(1) == pytest.approx(1 / (math.pi - 2))
    assert moving_range_degrees_of_freedom(35) == pytest.approx(21.37, abs=0.01)
    # large m: about 0.605 m (Cryer & Ryan 1990: the moving range is ~60% efficient)
    assert moving_range_degrees_of_freedom(10_000) / 10_000 == pytest.approx(0.605, abs=1e-3)
    sims = np.random.default_rng(0).standard_normal((20_000, 36))
    sigma = np.abs(np.diff(sims, axis=1)).mean(axis=1) / (2 / math.sqrt(math.pi))
    assert 1 / (2 * sigma.var()) == pytest.approx(moving_range_degrees_of_freedom(35), rel=0.05)
    assert estimate_dispersion(LANEY_VECTOR).degrees_of_freedom == pytest.approx(
        moving_range_degrees_of_freedom(11)
    )


# --- the comparison -----------------------------------------------------------------------


def test_poisson_factor_is_the_exact_etest() -> None:
    # issue 11: 1,201 against 1,299 over twelve months each is not significant (0.0500245)
    c = compare_counts(1201, 12, 1299, 12, estimate_dispersion([1201.0] * 3))
    assert c.p_value == pytest.approx(0.0500245, abs=5e-8)
    assert c.p_value == c.p_value_poisson
    assert c.dispersion == 1.0
    assert c.test == "Poisson E-test (Krishnamoorthy & Thomson 2004)"
    assert c.significant is False
    assert c.notes and "Poisson test is used" in c.notes[0]
    assert c.rate_ratio == pytest.approx(1201 / 1299)


def test_adjusted_p_divides_the_score_by_root_phi_normal() -> None:
    c = compare_counts(1300, 3, 1200, 3, _given(4.0))
    score = poisson_score_test(1300, 1200, 3, 3)
    assert score is not None
    assert c.statistic == pytest.approx(score.statistic / 2.0, rel=1e-12)
    assert c.p_value == pytest.approx(2 * norm_sf(abs(score.statistic) / 2), rel=1e-12)
    etest = poisson_etest(1300, 1200, 3, 3)
    assert etest is not None
    assert c.p_value_poisson == etest.p_value
    assert c.p_value > 0.3 > 0.05 > c.p_value_poisson
    assert c.significant is False
    assert c.test.startswith("quasi-Poisson score test")
    assert c.dispersion == 4.0


def test_adjusted_p_uses_t_with_the_estimates_df() -> None:
    c = compare_counts(1500, 3, 1200, 3, _given(9.0, df=12.0))
    score = poisson_score_test(1500, 1200, 3, 3)
    assert score is not None
    z = score.statistic / 3.0
    assert c.p_value == pytest.approx(2 * t_sf(abs(z), 12.0), rel=1e-12)
    assert c.significant is (c.p_value < 0.05)
    # the interval: exp(log RR ± t·√(φ(1/c + 1/b)))
    half = t_ppf(0.975, 12.0) * math.sqrt(9.0 * (1 / 1500 + 1 / 1200))
    assert c.rate_ratio == pytest.approx(1.25)
    assert c.rate_ratio_lower == pytest.approx(1.25 * math.exp(-half), rel=1e-12)
    assert c.rate_ratio_upper == pytest.approx(1.25 * math.exp(half), rel=1e-12)
    assert c.confidence == 0.95


def test_unequal_periods_compare_monthly_rates() -> None:
    # 818 over 3 months against 3,615 over 12: the monthly rates, −9.5%
    c = compare_counts(818, 3, 3615, 12, _given(1.0))
    assert c.rate_ratio == pytest.approx((818 / 3) / (3615 / 12))
    etest = poisson_etest(818, 3615, 3, 12)
    assert etest is not None
    assert c.p_value == etest.p_value


def test_zero_counts() -> None:
    none = compare_counts(0, 3, 0, 3, _given(5.0))
    assert none.p_value == 1.0
    assert not none.significant
    assert none.rate_ratio is None
    assert "no events in either period" in none.notes[-1]
    fell = compare_counts(0, 3, 30, 3, _given(2.0))
    assert fell.rate_ratio == 0.0
    assert fell.rate_ratio_lower is None
    rose = compare_counts(30, 3, 0, 3, _given(2.0))
    assert rose.rate_ratio is None
    assert rose.p_value >= rose.p_value_poisson


def test_fractional_counts_use_the_score_test() -> None:
    c = compare_counts(10.5, 1, 4.5, 1, _given(1.0))
    score = poisson_score_test(10.5, 4.5)
    assert score is not None
    assert c.p_value == score.p_value
    assert c.test == "Poisson score test"


@pytest.mark.parametrize(
    ("args", "match"),
    [
        ((-1, 3, 5, 3), "current count"),
        ((1, 0, 5, 3), "current period"),
        ((1, 3, math.nan, 3), "baseline count"),
        ((1, 3, 5, -3), "baseline period"),
    ],
)
def test_bad_periods(args: tuple[float, float, float, float], match: str) -> None:
    with pytest.raises(ValueError, match=match):
        compare_counts(*args, _given(1.0))


def test_bad_alpha_and_factor() -> None:
    with pytest.raises(ValueError, match="alpha"):
        compare_counts(5, 1, 3, 1, _given(1.0), alpha=math.nan)
    with pytest.raises(ValueError, match="dispersion factor"):
        compare_counts(5, 1, 3, 1, _given(0.5))


@settings(max_examples=200, deadline=None)
@given(
    st.integers(0, 3000),
    st.integers(0, 3000),
    st.sampled_from([1.0, 3.0, 12.0]),
    st.sampled_from([1.0, 3.0, 12.0]),
    st.floats(1.0, 60.0),
    st.one_of(st.none(), st.floats(2.0, 60.0)),
)
def test_allowing_for_dispersion_never_makes_a_change_more_significant(
    c: int, b: int, cm: float, bm: float, phi: float, df: float | None
) -> None:
    r = compare_counts(c, cm, b, bm, _given(phi, df))
    assert r.p_value >= r.p_value_poisson
    assert 0.0 <= r.p_value <= 1.0
    if r.rate_ratio_lower is not None and r.rate_ratio_upper is not None:
        assert r.rate_ratio is not None
        assert r.rate_ratio_lower <= r.rate_ratio <= r.rate_ratio_upper
        # a larger φ gives a wider interval
        wider = compare_counts(c, cm, b, bm, _given(phi * 2, df))
        assert wider.rate_ratio_lower is not None
        assert wider.rate_ratio_lower <= r.rate_ratio_lower


# --- property tests on simulated series (rates, not single runs) --------------------------


def _series(rng: np.random.Generator, phi: float, step: float, months: int = 36) -> np.ndarray:
    """Monthly counts at a level drawn from 5,000–30,000, variance φ × mean (gamma-Poisson;
    Poisson when φ = 1), the last quarter's level multiplied by 1 + step."""
    level = np.full(months, rng.uniform(5000, 30000))
    level[-3:] *= 1.0 + step
    if phi > 1.0:
        level = rng.gamma(level / (phi - 1.0), phi - 1.0)
    return rng.poisson(level).astype(float)


def _significant_share(
    phi: float, step: float, n_series: int, seed: int, *, poisson_only: bool = False
) -> float:
    """Share of series whose current quarter (the last 3 months) differs significantly at
    0.05 from the same quarter a year before, the dispersion estimated from all 36 months."""
    rng = np.random.default_rng(seed)
    hits = 0
    for _ in range(n_series):
        x = _series(rng, phi, step)
        d = estimate_dispersion(list(x))
        c = compare_counts(float(x[-3:].sum()), 3, float(x[-15:-12].sum()), 3, d)
        hits += (c.p_value_poisson if poisson_only else c.p_value) < 0.05
    return hits / n_series


def test_no_change_with_dispersion_20_is_rarely_significant() -> None:
    assert _significant_share(20.0, 0.0, 300, seed=1) <= 0.10


def test_the_plain_poisson_test_fails_on_the_same_series() -> None:
    # the reason for all this: the E-test alone calls most of these no-change series significant
    assert _significant_share(20.0, 0.0, 100, seed=1, poisson_only=True) >= 0.5


def test_a_25_percent_step_with_dispersion_20_is_found() -> None:
    assert _significant_share(20.0, 0.25, 300, seed=2) >= 0.90


def test_poisson_data_keep_about_5_percent_false_positives() -> None:
    assert _significant_share(1.0, 0.0, 300, seed=3) <= 0.08


def test_a_5_percent_step_on_poisson_data_is_still_found() -> None:
    assert _significant_share(1.0, 0.05, 300, seed=4) >= 0.80


@pytest.mark.slow
@pytest.mark.parametrize(("phi", "most"), [(2.0, 0.08), (5.0, 0.08), (20.0, 0.08), (50.0, 0.08)])
def test_false_positive_rate_near_alpha_over_many_series(phi: float, most: float) -> None:
    assert _significant_share(phi, 0.0, 3000, seed=5) <= most


@pytest.mark.slow
def test_a_10_percent_step_with_dispersion_20_is_usually_found() -> None:
    assert _significant_share(20.0, 0.10, 2000, seed=6) >= 0.75


def test_pcp_never_imports_statsmodels() -> None:
    # statsmodels is a test-only oracle (the dev extra); pcp must run without it
    from pathlib import Path

    package = Path(__file__).resolve().parents[2] / "pcp_cli"
    offenders = [
        str(p.relative_to(package))
        for p in package.rglob("*.py")
        if any(
            line.lstrip().startswith(("import statsmodels", "from statsmodels"))
            for line in p.read_text(encoding="utf-8").splitlines()
        )
    ]
    assert offenders == []
