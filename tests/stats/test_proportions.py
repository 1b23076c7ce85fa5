"""Tests for pcp_cli.stats.proportions against methods.md §5 (V5)."""

from __future__ import annotations

import pytest

from pcp_cli.stats.intervals import wilson_interval
from pcp_cli.stats.proportions import (
    count_from_percentage,
    fisher_exact_p,
    min_expected_cell,
    newcombe_interval,
    survey_rag,
    two_proportion_ztest,
)

ABS = 1e-6

# V5: x1, n1, x2, n2, d, z, p, cc z, cc p, Newcombe lower, upper, Fisher p
V5 = [
    (96, 105, 160, 190, 0.072180, 1.752467, 0.079694, 1.572961, 0.115728, -0.010371, 0.143076,
     0.105386),
    (96, 105, 842, 1000, 0.072286, 1.967291, 0.049150, 1.824086, 0.068139, -0.000124, 0.118857,
     0.061180),
    (96, 105, 88, 105, 0.076190, 1.676116, 0.093715, 1.466601, 0.142485, -0.014296, 0.167553,
     0.141384),
    (48, 50, 40, 50, 0.160000, 2.461830, 0.013823, 2.154101, 0.031232, 0.031095, 0.293549,
     0.027746),
    (550, 600, 500, 600, 0.083333, 4.364358, 0.000013, 4.277071, 0.000019, 0.046133, 0.120767,
     0.000016),
]  # fmt: skip


@pytest.mark.parametrize(
    ("x1", "n1", "x2", "n2", "d", "z", "p", "ccz", "ccp", "lo", "hi", "fisher"), V5
)
def test_v5(
    x1: int,
    n1: int,
    x2: int,
    n2: int,
    d: float,
    z: float,
    p: float,
    ccz: float,
    ccp: float,
    lo: float,
    hi: float,
    fisher: float,
) -> None:
    t = two_proportion_ztest(x1, n1, x2, n2)
    assert t.difference == pytest.approx(d, abs=ABS)
    assert t.z == pytest.approx(z, abs=ABS)
    assert t.p_value == pytest.approx(p, abs=ABS)
    cc = two_proportion_ztest(x1, n1, x2, n2, continuity_correction=True)
    assert cc.z == pytest.approx(ccz, abs=ABS)
    assert cc.p_value == pytest.approx(ccp, abs=ABS)
    ci = newcombe_interval(x1, n1, x2, n2)
    assert ci.lower == pytest.approx(lo, abs=ABS)
    assert ci.upper == pytest.approx(hi, abs=ABS)
    assert fisher_exact_p(x1, n1, x2, n2) == pytest.approx(fisher, abs=ABS)


@pytest.mark.parametrize(
    ("x", "n", "lo", "hi"),
    [
        (96, 105, 0.845077, 0.954251),
        (160, 190, 0.783547, 0.887104),
        (842, 1000, 0.818090, 0.863292),
    ],
)
def test_v5_wilson_intervals_overlap(x: int, n: int, lo: float, hi: float) -> None:
    ci = wilson_interval(x, n)
    assert ci.lower == pytest.approx(lo, abs=ABS)
    assert ci.upper == pytest.approx(hi, abs=ABS)


def test_overlap_is_not_the_test() -> None:
    # 48/50 vs 40/50: Wilson CIs overlap, yet the difference is significant
    a, b = wilson_interval(48, 50), wilson_interval(40, 50)
    assert a.lower < b.upper
    assert survey_rag(48, 50, 40, 50).rag == "GREEN"


def test_v5_row2_methods_disagree_and_rag_names_the_test() -> None:
    z = survey_rag(96, 105, 842, 1000)
    n = survey_rag(96, 105, 842, 1000, test="newcombe")
    assert (z.rag, z.test) == ("GREEN", "z-test")
    assert (n.rag, n.test) == ("AMBER", "newcombe")
    assert z.p_value == pytest.approx(0.049150, abs=ABS)
    assert n.ci.lower == pytest.approx(-0.000124, abs=ABS)


@pytest.mark.parametrize(
    ("args", "polarity", "rag"),
    [
        ((550, 600, 500, 600), "higher-is-better", "GREEN"),
        ((500, 600, 550, 600), "higher-is-better", "RED"),
        ((550, 600, 500, 600), "lower-is-better", "RED"),
        ((96, 105, 88, 105), "higher-is-better", "AMBER"),
        ((550, 600, 500, 600), "neutral", "NONE"),
    ],
)
def test_survey_rag(args: tuple[int, int, int, int], polarity: str, rag: str) -> None:
    assert survey_rag(*args, polarity=polarity).rag == rag  # type: ignore[arg-type]
    assert survey_rag(*args, polarity=polarity, test="newcombe").rag == rag  # type: ignore[arg-type]


def test_percentage_to_count() -> None:
    assert count_from_percentage(91.4, 105) == 96
    assert count_from_percentage(84.2, 190) == 160


def test_edge_proportions() -> None:
    same = two_proportion_ztest(0, 10, 0, 20)
    assert (same.z, same.p_value) == (0.0, 1.0)
    ci = newcombe_interval(10, 10, 0, 10)
    assert ci.lower > 0
    assert ci.upper <= 1.0


def test_min_expected_cell_and_errors() -> None:
    assert min_expected_cell(48, 50, 40, 50) == pytest.approx(6.0)
    with pytest.raises(ValueError, match="x1"):
        two_proportion_ztest(11, 10, 1, 10)
    with pytest.raises(ValueError, match="whole-number"):
        fisher_exact_p(1.5, 10, 1, 10)  # type: ignore[arg-type]
