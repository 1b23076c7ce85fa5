"""Tests for pcp_cli.stats.peer against methods.md §2.3–2.4 (V2.2)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from pcp_cli.stats.common import z_for_confidence
from pcp_cli.stats.funnel import (
    proportion_funnel_average,
    proportion_funnel_limits,
    proportion_significance,
)
from pcp_cli.stats.peer import (
    competition_rank,
    msg_position,
    msg_rates,
    msg_summary,
    overdispersion_limits,
    rag_against_lines,
    rank_by_polarity,
    winsorized,
)

ABS = 1e-6
POPS = [p * 1000 for p in (1200, 900, 1500, 1050, 800, 1300, 1000, 1100)]
COUNTS = [95000, 60000, 120000, 70000, 52000, 98000, 69000, 80000]
RATES = [79.166667, 66.666667, 80.0, 66.666667, 65.0, 75.384615, 69.0, 72.727273]


def test_rates_v22() -> None:
    assert msg_rates(COUNTS, POPS) == pytest.approx(RATES, abs=ABS)


def test_summary_v22() -> None:
    s = msg_summary(COUNTS, POPS)
    assert s.mean_method == "unweighted"
    assert s.mean == pytest.approx(71.826486, abs=ABS)
    assert s.sd == pytest.approx(5.879671, abs=ABS)
    assert s.lower == pytest.approx(60.302332, abs=ABS)
    assert s.upper == pytest.approx(83.350641, abs=ABS)
    assert s.ddof == 1
    assert s.note is None


def test_weighted_mean_and_population_sd_v22() -> None:
    s = msg_summary(COUNTS, POPS, mean_method="weighted", ddof=0)
    assert s.mean == pytest.approx(72.768362, abs=ABS)
    assert s.sd == pytest.approx(5.499928, abs=ABS)


def test_all_forces_amber_and_z_v22() -> None:
    positions = [msg_position(i, COUNTS, POPS) for i in range(8)]
    assert [p.rag for p in positions] == ["AMBER"] * 8
    assert positions[0].z == pytest.approx(1.248400, abs=ABS)
    assert positions[2].z == pytest.approx(1.390131, abs=ABS)


def test_leave_one_out_v22() -> None:
    p = msg_position(0, COUNTS, POPS, leave_one_out=True)
    assert p.peers.n == 7
    assert p.peers.mean == pytest.approx(70.777889, abs=ABS)
    assert p.peers.sd == pytest.approx(5.483590, abs=ABS)
    assert p.peers.lower == pytest.approx(60.030053, abs=ABS)
    assert p.peers.upper == pytest.approx(81.525725, abs=ABS)
    assert p.z == pytest.approx((RATES[0] - 70.777889) / 5.483590, abs=1e-5)
    assert p.rank == 7  # rank is always within the whole group


def test_ranks_competition_with_float_noise_ties() -> None:
    # B (60000/900) and D (70000/1050) tie at 66.67 and share rank 2; G is then 4th
    ranks = rank_by_polarity(msg_rates(COUNTS, POPS), "lower-is-better")
    assert ranks == [7, 2, 8, 2, 1, 6, 4, 5]
    assert rank_by_polarity(msg_rates(COUNTS, POPS), "higher-is-better") == [2, 6, 1, 6, 8, 3, 5, 4]
    assert competition_rank([3.0, 1.0, 1.0, 2.0]) == [4, 1, 1, 3]
    assert competition_rank([3.0, 1.0, 1.0, 2.0], descending=True) == [1, 3, 3, 2]


@pytest.mark.parametrize(
    ("value", "polarity", "rag"),
    [
        (90.0, "lower-is-better", "RED"),
        (50.0, "lower-is-better", "GREEN"),
        (70.0, "lower-is-better", "AMBER"),
        (90.0, "higher-is-better", "GREEN"),
        (50.0, "higher-is-better", "RED"),
        (90.0, "neutral", "NONE"),
    ],
)
def test_rag_by_polarity(value: float, polarity: str, rag: str) -> None:
    assert rag_against_lines(value, 60.0, 80.0, polarity) == rag  # type: ignore[arg-type]


def test_rag_on_the_line_is_amber() -> None:
    assert rag_against_lines(80.0, 60.0, 80.0, "lower-is-better") == "AMBER"


def test_higher_is_better_flips_rag() -> None:
    counts = [10, 10, 10, 10, 10, 30]
    pops = [1000] * 6
    assert msg_position(5, counts, pops, "lower-is-better").rag == "RED"
    assert msg_position(5, counts, pops, "higher-is-better").rag == "GREEN"


@pytest.mark.parametrize("size", [1, 2])
def test_small_group_has_no_sd(size: int) -> None:
    s = msg_summary(COUNTS[:size], POPS[:size])
    assert s.sd is None
    assert s.lower is None
    assert s.upper is None
    assert s.note is not None
    assert "too small" in s.note
    p = msg_position(0, COUNTS[:size], POPS[:size])
    assert p.z is None
    assert p.rag == "NONE"
    assert p.note == s.note


def test_leave_one_out_in_group_of_three_has_no_sd() -> None:
    p = msg_position(0, COUNTS[:3], POPS[:3], leave_one_out=True)
    assert p.peers.n == 2
    assert p.z is None


def test_zero_sd_gives_no_z() -> None:
    p = msg_position(0, [10, 10, 10], [1000, 1000, 1000])
    assert p.peers.sd == 0.0
    assert p.z is None
    assert p.note is not None


def test_zero_count_is_valid_and_zero_population_is_error() -> None:
    assert msg_rates([0, 5], [100, 100]) == [0.0, 50.0]
    with pytest.raises(ValueError, match="population"):
        msg_rates([1, 2], [100, 0])


def test_overdispersion_v22() -> None:
    o = overdispersion_limits(COUNTS, POPS, winsorize=0.0)  # V2.2 is not winsorised
    assert o.target == pytest.approx(72.768362, abs=ABS)
    assert o.phi == pytest.approx(466.46, abs=0.005)
    assert o.multiplicative_lower[0] == pytest.approx(62.3441, abs=5e-5)
    assert o.multiplicative_upper[0] == pytest.approx(83.1926, abs=5e-5)
    assert o.tau == pytest.approx(5.9314, abs=5e-5)
    for lo, hi in zip(o.random_effects_lower, o.random_effects_upper, strict=True):
        assert lo == pytest.approx(61.13, abs=0.01)
        assert hi == pytest.approx(84.40, abs=0.01)


def test_overdispersion_v22_winsorised_at_10_percent() -> None:
    # Spiegelhalter (2005): the z-scores shrunk to their 10th and 90th percentiles (R type 7)
    o = overdispersion_limits(COUNTS, POPS)
    z = np.array(o.z_scores)
    low, high = np.quantile(z, [0.1, 0.9])
    phi = float(np.mean(np.clip(z, low, high) ** 2))
    assert o.winsorize == 0.1
    assert o.phi == pytest.approx(phi, rel=1e-12)
    assert o.phi < 466.46  # the two most extreme forces no longer set the width alone
    theta = sum(COUNTS) / sum(POPS)
    w = np.array([p / theta for p in POPS])
    tau2 = (8 * phi - 7) / (w.sum() - (w**2).sum() / w.sum())
    assert o.tau == pytest.approx(math.sqrt(tau2) * 1000, rel=1e-9)


def test_winsorized() -> None:
    assert winsorized([1.0, 2.0, 3.0, 4.0, 100.0], 0.0) == [1.0, 2.0, 3.0, 4.0, 100.0]
    # R: quantile(c(1,2,3,4,100), c(.1,.9)) gives 1.4 and 61.6
    assert winsorized([1.0, 2.0, 3.0, 4.0, 100.0], 0.1) == pytest.approx([1.4, 2, 3, 4, 61.6])
    with pytest.raises(ValueError, match="winsorising"):
        winsorized([1.0, 2.0], 0.5)


SATISFIED = [850.0] * 7 + [800.0]
ASKED = [1000.0] * 8


def test_proportion_funnel_uses_binomial_variance_issue_11() -> None:
    # Seven forces at 850 of 1,000 satisfied and one at 800: nothing but that one force is
    # unusual, so the over-dispersed funnel must not be wider than the plain one, and 800
    # stays below its 99.8% limit ("below 99.8%", not "within 95%")
    theta = proportion_funnel_average(SATISFIED, ASKED)
    for confidence in (0.95, 0.998):
        zq = z_for_confidence(confidence)
        od = overdispersion_limits(SATISFIED, ASKED, multiplier=100, z=zq, variance="binomial")
        plain = proportion_funnel_limits(1000, theta, 100)
        lower = plain.lower_95 if confidence == 0.95 else plain.lower_998
        upper = plain.upper_95 if confidence == 0.95 else plain.upper_998
        for lo, hi in zip(od.random_effects_lower, od.random_effects_upper, strict=True):
            assert lo == pytest.approx(lower, abs=1e-9)
            assert hi == pytest.approx(upper, abs=1e-9)
        assert od.multiplicative_lower[7] == pytest.approx(lower, abs=1e-9)
        assert od.tau == 0.0
    outer = overdispersion_limits(
        SATISFIED, ASKED, multiplier=100, z=z_for_confidence(0.998), variance="binomial"
    )
    assert outer.random_effects_lower[7] > 80.0
    assert proportion_significance(800, 1000, theta) == "Low (0.001)"


def test_poisson_variance_made_the_proportion_funnel_too_wide() -> None:
    # the defect: θ/n instead of θ(1 − θ)/n is 6.4 times the variance at θ = 0.84
    od = overdispersion_limits(SATISFIED, ASKED, multiplier=100, variance="poisson")
    assert od.random_effects_lower[7] < 80.0 < 82.0


def test_binomial_variance_validation() -> None:
    with pytest.raises(ValueError, match="exceeds"):
        overdispersion_limits([5, 12], [10, 10], variance="binomial")
    with pytest.raises(ValueError, match="100%"):
        overdispersion_limits([10, 10], [10, 10], variance="binomial")
    with pytest.raises(ValueError, match="variance"):
        overdispersion_limits([1, 2], [10, 10], variance="normal")  # type: ignore[arg-type]


def test_binomial_funnel_widens_for_real_spread() -> None:
    # forces spread from 60% to 90% of 1,000: real between-force variation, τ > 0
    nums = [600.0, 650.0, 700.0, 750.0, 800.0, 850.0, 900.0]
    dens = [1000.0] * 7
    od = overdispersion_limits(nums, dens, multiplier=1, variance="binomial")
    theta = sum(nums) / sum(dens)
    s2 = theta * (1 - theta) / 1000
    assert od.tau > 0
    assert od.random_effects_upper[0] - theta == pytest.approx(1.96 * math.sqrt(s2 + od.tau**2))
    assert od.random_effects_upper[0] - theta > 1.96 * math.sqrt(s2)


def test_rank_places_a_proportion_against_the_binomial_funnel() -> None:
    """Issue 11 through the peer statistics that rank uses: a survey share or positive
    outcome rate is judged against the binomial over-dispersed funnel."""
    from pcp_cli.analysis.peers.statistics import _overdispersed

    nums, dens = list(SATISFIED), list(ASKED)
    positions = _overdispersed("proportion", nums, dens, 100.0)
    assert positions is not None
    assert positions[7] == "below 99.8%"  # Poisson variance said "within 95%"
    assert set(positions[:7]) == {"within 95%"}
    # The same figures as a rate per population keep Poisson's wider funnel, which places
    # the eighth force inside it.
    per_population = _overdispersed("per-population", nums, dens, 100.0)
    assert per_population is not None and per_population[7] != "below 99.8%"
