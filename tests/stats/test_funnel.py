"""Tests for pcp_cli.stats.funnel against methods.md §3.4 (V3.3–V3.5)."""

from __future__ import annotations

import pytest

from pcp_cli.stats.funnel import (
    funnel_expected_counts,
    funnel_position,
    proportion_funnel_average,
    proportion_funnel_limits,
    proportion_significance,
    rate_funnel_average,
    rate_funnel_limits,
    rate_significance,
    ratio_funnel_limits,
    ratio_significance,
    ratio_value,
)
from pcp_cli.stats.intervals import rate_interval

ABS = 1e-6
REL = 1e-6
AVERAGE = 0.80642448  # fixture average, 80.642448%

# V3.3: population, lower 95, upper 95, lower 99.8, upper 99.8 (percent)
PROP_FUNNEL = [
    (1, 3.204264, 100, 0, 100),
    (4, 41.923356, 100, 19.594903, 100),
    (11, 57.293957, 100, 43.829393, 100),
    (664, 77.637263, 83.647632, 75.904239, 85.380656),
    (110000, 80.408963, 80.875933, 80.274317, 81.010578),
]


@pytest.mark.parametrize(("pop", "lo95", "hi95", "lo998", "hi998"), PROP_FUNNEL)
def test_proportion_funnel_v33(
    pop: float, lo95: float, hi95: float, lo998: float, hi998: float
) -> None:
    lim = proportion_funnel_limits(pop, AVERAGE, multiplier=100)
    assert lim.lower_95 == pytest.approx(lo95, abs=ABS)
    assert lim.upper_95 == pytest.approx(hi95, abs=ABS)
    assert lim.lower_998 == pytest.approx(lo998, abs=ABS)
    assert lim.upper_998 == pytest.approx(hi998, abs=ABS)


def test_proportion_funnel_raw_value_before_clamp() -> None:
    raw = proportion_funnel_limits(11, AVERAGE, multiplier=100, clamp=False)
    assert raw.upper_95 == pytest.approx(103.990939, abs=ABS)


def test_proportion_funnel_clamps_to_multiplier_not_100() -> None:
    lim = proportion_funnel_limits(11, AVERAGE, multiplier=1)
    assert lim.upper_95 == 1.0
    assert lim.lower_95 == pytest.approx(0.57293957, abs=ABS)
    assert proportion_funnel_limits(1, AVERAGE, multiplier=1).lower_998 == 0.0


@pytest.mark.parametrize(
    ("average", "n", "lower", "upper"),
    [(0.5, 100, 0.402002, 0.597998), (0.1, 50, 0.016846, 0.183154)],
)
def test_inverted_wilson_synthetic(average: float, n: float, lower: float, upper: float) -> None:
    lim = proportion_funnel_limits(n, average, multiplier=1)
    assert lim.lower_95 == pytest.approx(lower, abs=ABS)
    assert lim.upper_95 == pytest.approx(upper, abs=ABS)


def test_proportion_funnel_average() -> None:
    assert proportion_funnel_average([10, 30], [100, 100]) == pytest.approx(0.2)


# V3.4: O, lower 95 expected, upper 95 expected, lower 99.8 expected, upper 99.8 expected
# (the fixture is PHE's bisection, so relative tolerance)
RATIO_EXPECTED = [
    (1, 5.571645, 0.025318, 9.233410, 0.0010005),
    (10, 18.390358, 4.795388, 24.133972, 2.960520),
]


@pytest.mark.parametrize(("obs", "lo95", "hi95", "lo998", "hi998"), RATIO_EXPECTED)
def test_ratio_funnel_expected_v34(
    obs: float, lo95: float, hi95: float, lo998: float, hi998: float
) -> None:
    e95 = funnel_expected_counts(obs, 0.95)
    e998 = funnel_expected_counts(obs, 0.998)
    # fixture values are printed to 6-7 significant figures
    assert e95.lower == pytest.approx(lo95, rel=REL)
    assert e95.upper == pytest.approx(hi95, rel=2e-5)
    assert e998.lower == pytest.approx(lo998, rel=REL)
    assert e998.upper == pytest.approx(hi998, rel=5e-5)


def test_ratio_funnel_expected_closed_forms() -> None:
    assert funnel_expected_counts(1).lower == pytest.approx(5.5716434, abs=ABS)
    assert funnel_expected_counts(1).upper == pytest.approx(0.0253178, abs=ABS)
    assert funnel_expected_counts(1, 0.998).lower == pytest.approx(9.2334135, abs=ABS)
    assert funnel_expected_counts(10).lower == pytest.approx(18.390356, abs=ABS)
    assert funnel_expected_counts(10).upper == pytest.approx(4.7953887, abs=ABS)
    assert funnel_expected_counts(10, 0.998).lower == pytest.approx(24.1339711, abs=ABS)
    assert funnel_expected_counts(0).upper == 0.0


def test_ratio_limit_types_v34() -> None:
    e = funnel_expected_counts(1).lower
    assert ratio_value(1, e, "count") == pytest.approx(-0.820520, abs=ABS)
    assert ratio_value(1, e, "isr") == pytest.approx(17.948022, rel=REL)
    assert ratio_value(1, e) == pytest.approx(0.17948022, rel=REL)


def test_ratio_funnel_limits_invert_expected_counts() -> None:
    # at E = 5.5716434 the lower 95% funnel passes through O = 1
    e = funnel_expected_counts(1).lower
    assert ratio_funnel_limits(e).lower_95 == pytest.approx(1 / e, rel=1e-9)
    e10 = funnel_expected_counts(10, 0.998).upper
    assert ratio_funnel_limits(e10).upper_998 == pytest.approx(10 / e10, rel=1e-9)


def test_rate_funnel_limits_scale_with_group_rate() -> None:
    e = funnel_expected_counts(10).lower  # population 1000 * rate / 1000 == e
    lim = rate_funnel_limits(1000, e, multiplier=1000)
    assert lim.lower_95 == pytest.approx(10.0, rel=1e-9)
    assert lim.lower_95 < e < lim.upper_95


# V3.5 significance examples from the PHE fixtures
@pytest.mark.parametrize(
    ("obs", "exp", "label"),
    [
        (8, 6.239860, "Not significant"),
        (151, 106.442972, "High (0.001)"),
        (159, 232.932904, "Low (0.001)"),
        (150, 119.569550, "High (0.025)"),
        (101, 126.297361, "Low (0.025)"),
    ],
)
def test_ratio_significance_v35(obs: float, exp: float, label: str) -> None:
    assert ratio_significance(obs, exp) == label


@pytest.mark.parametrize(
    ("x", "n", "label"),
    [
        (35078.488, 41980, "High (0.001)"),
        (26789.238, 33012, "High (0.025)"),
        (30277.5312, 37828, "Low (0.025)"),
    ],
)
def test_proportion_significance_v35(x: float, n: float, label: str) -> None:
    assert proportion_significance(x, n, AVERAGE) == label


def test_proportion_significance_matches_wilson_ci() -> None:
    # outside the funnel exactly when the Wilson CI excludes the average
    assert proportion_significance(30, 100, 0.5) == "Low (0.001)"
    assert proportion_significance(40, 100, 0.5) == "Low (0.025)"
    assert proportion_significance(55, 100, 0.5) == "Not significant"


def test_rate_significance_agrees_with_rate_ci() -> None:
    # 150 per 120,000: 95% CI 1.057956-1.466818, 99.8% CI 0.958059-1.598785 per 1,000
    assert rate_significance(150, 120000, 1.0) == "High (0.025)"
    assert rate_significance(150, 120000, 0.95) == "High (0.001)"
    assert rate_significance(150, 120000, 1.5) == "Low (0.025)"
    assert rate_significance(150, 120000, 1.7) == "Low (0.001)"
    assert rate_significance(150, 120000, 1.25) == "Not significant"
    # 0 events in 12,000: 95% upper 0.307407, 99.8% upper 0.575646 per 1,000
    assert rate_interval(0, 12000, 1000, 0.998).upper == pytest.approx(0.575646, abs=ABS)
    assert rate_significance(0, 12000, 0.5) == "Low (0.025)"
    assert rate_significance(0, 12000, 0.6) == "Low (0.001)"
    assert rate_significance(0, 12000, 0.3) == "Not significant"


def test_funnel_position_labels() -> None:
    assert funnel_position(150, 120000, 1.0) == "above 95%"
    assert funnel_position(150, 120000, 0.95) == "above 99.8%"
    assert funnel_position(150, 120000, 1.5) == "below 95%"
    assert funnel_position(150, 120000, 1.7) == "below 99.8%"
    assert funnel_position(150, 120000, 1.25) == "within 95%"
    assert funnel_position(150, 120_000_000, 1.25, multiplier=1_000_000) == "within 95%"


def test_rate_funnel_average() -> None:
    assert rate_funnel_average([10, 30], [1000, 3000]) == pytest.approx(10.0)
    with pytest.raises(ValueError, match="population"):
        rate_funnel_average([1], [0])


# --- exact Poisson labels at every count (issue 11) ------------------------------------


def _scipy_exact(observed: int, confidence: float) -> tuple[float, float]:
    """Garwood's exact Poisson interval from scipy.stats (an independent oracle)."""
    from scipy.stats import chi2

    a = (1 - confidence) / 2
    lower = 0.0 if observed == 0 else float(chi2.ppf(a, 2 * observed)) / 2
    return lower, float(chi2.ppf(1 - a, 2 * observed + 2)) / 2


def test_force_next_to_the_998_line_is_placed_by_the_exact_limits() -> None:
    # 10 crimes where 2.94 are expected (2,940 people at 1 per 1,000): the exact 99.8% lower
    # bound of 10 is 2.9605 > 2.94, so the force is above the 99.8% line; Byar's bound
    # (2.9163) would put it only above the 95% line
    lower_998, _ = _scipy_exact(10, 0.998)
    assert lower_998 == pytest.approx(2.9605204, abs=1e-7)
    assert rate_significance(10, 2940, 1.0) == "High (0.001)"
    assert funnel_position(10, 2940, 1.0) == "above 99.8%"
    assert rate_significance(10, 2940, 1.0, method="phe") == "High (0.025)"
    # and the same force against the drawn funnel
    lim = rate_funnel_limits(2940, 1.0)
    assert lim.upper_998 < 10 / 2.94
    # the upper side: 10 where 24.16 are expected is below the exact 99.8% line (24.134)
    _, upper_998 = _scipy_exact(10, 0.998)
    assert upper_998 < 24.16
    assert ratio_significance(10, 24.16) == "Low (0.001)"
    assert ratio_significance(10, 24.16, method="phe") == "Low (0.025)"


@pytest.mark.parametrize("observed", [0, 1, 9, 10, 11, 37, 150, 1000])
@pytest.mark.parametrize("confidence", [0.95, 0.998])
def test_labels_follow_scipys_exact_limits_at_every_count(observed: int, confidence: float) -> None:
    lower, upper = _scipy_exact(observed, confidence)
    high = "High (0.001)" if confidence == 0.998 else "High (0.025)"
    low = "Low (0.001)" if confidence == 0.998 else "Low (0.025)"
    if observed > 0:  # expected just below the exact lower bound: above the line
        assert ratio_significance(observed, lower * (1 - 1e-7)) in (high, "High (0.001)")
        assert ratio_significance(observed, lower * (1 + 1e-7)) != high
    assert ratio_significance(observed, upper * (1 + 1e-7)) in (low, "Low (0.001)")
    assert ratio_significance(observed, upper * (1 - 1e-7)) != low


@pytest.mark.parametrize("expected", [0.5, 2.94, 9.0, 10.0, 24.16, 106.44, 5000.0])
def test_labels_agree_with_the_drawn_exact_funnel(expected: float) -> None:
    lim = ratio_funnel_limits(expected)
    for observed in range(0, int(expected * 3 + 20)):
        ratio = observed / expected
        label = ratio_significance(observed, expected)
        if ratio > lim.upper_998 * (1 + 1e-9):
            assert label == "High (0.001)"
        elif ratio > lim.upper_95 * (1 + 1e-9):
            assert label == "High (0.025)"
        elif ratio < lim.lower_998 * (1 - 1e-9):
            assert label == "Low (0.001)"
        elif ratio < lim.lower_95 * (1 - 1e-9):
            assert label == "Low (0.025)"
        elif lim.lower_95 * (1 + 1e-9) < ratio < lim.upper_95 * (1 - 1e-9):
            assert label == "Not significant"


def test_bad_count_method() -> None:
    with pytest.raises(ValueError, match="method"):
        ratio_significance(5, 3, method="byars")  # type: ignore[arg-type]
