"""Tests for pcp_cli.stats.peer against methods.md §2.3–2.4 (V2.2)."""

from __future__ import annotations

import pytest

from pcp_cli.stats.peer import (
    competition_rank,
    msg_position,
    msg_rates,
    msg_summary,
    overdispersion_limits,
    rag_against_lines,
    rank_by_polarity,
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
    o = overdispersion_limits(COUNTS, POPS)
    assert o.target == pytest.approx(72.768362, abs=ABS)
    assert o.phi == pytest.approx(466.46, abs=0.005)
    assert o.multiplicative_lower[0] == pytest.approx(62.3441, abs=5e-5)
    assert o.multiplicative_upper[0] == pytest.approx(83.1926, abs=5e-5)
    assert o.tau == pytest.approx(5.9314, abs=5e-5)
    for lo, hi in zip(o.random_effects_lower, o.random_effects_upper, strict=True):
        assert lo == pytest.approx(61.13, abs=0.01)
        assert hi == pytest.approx(84.40, abs=0.01)
