"""Comparing two proportions, e.g. survey satisfaction between periods (methods.md §5).

Pooled two-proportion z-test (optionally continuity-corrected), Newcombe's hybrid score
interval for the difference (Newcombe 1998, "method 10"), Fisher's exact test (scipy), and
the seed-001 satisfaction/confidence RAG.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

from pcp_cli.stats.common import Polarity, Rag, check_polarity, z_for_confidence
from pcp_cli.stats.dist import norm_sf
from pcp_cli.stats.intervals import Interval, wilson_interval

RagTest = Literal["z-test", "newcombe"]


@dataclass(frozen=True, slots=True)
class TwoProportionTest:
    """Pooled z-test of p1 = p2: d = p1 − p2, z and two-sided p."""

    difference: float
    z: float
    p_value: float
    continuity_correction: bool


@dataclass(frozen=True, slots=True)
class SurveyRag:
    """Seed-001 RAG for a survey proportion against a baseline, with the evidence used.

    ``test`` names what drives the RAG; ``p_value`` is the pooled z-test p (always reported)
    and ``ci`` the Newcombe interval for p_current − p_baseline (always reported).
    """

    rag: Rag
    test: RagTest
    confidence: float
    difference: float
    p_value: float
    ci: Interval


def _check_pair(x: float, n: float, which: str) -> None:
    if not math.isfinite(n) or n <= 0:
        raise ValueError(f"n{which} must be > 0; got {n!r}")
    if not math.isfinite(x) or x < 0 or x > n:
        raise ValueError(f"x{which} must be between 0 and n{which} ({n!r}); got {x!r}")


def count_from_percentage(percentage: float, n: int) -> int:
    """Turn a published percentage back into a count, rounding half up (91.4% of 105 -> 96)."""
    if not 0.0 <= percentage <= 100.0:
        raise ValueError(f"percentage must be between 0 and 100; got {percentage!r}")
    if n <= 0:
        raise ValueError(f"n must be > 0; got {n!r}")
    return math.floor(percentage * n / 100.0 + 0.5)


def two_proportion_ztest(
    x1: float, n1: float, x2: float, n2: float, *, continuity_correction: bool = False
) -> TwoProportionTest:
    """Pooled two-proportion z-test: z = (p1 − p2)/√(p̄(1 − p̄)(1/n1 + 1/n2)), p̄ = Σx/Σn.

    The continuity correction shrinks |p1 − p2| by ½(1/n1 + 1/n2) (not below 0). When p̄ is
    0 or 1 the proportions are identical and z = 0, p = 1 is returned.
    """
    _check_pair(x1, n1, "1")
    _check_pair(x2, n2, "2")
    p1, p2 = x1 / n1, x2 / n2
    d = p1 - p2
    pooled = (x1 + x2) / (n1 + n2)
    var = pooled * (1.0 - pooled) * (1.0 / n1 + 1.0 / n2)
    if var <= 0:
        return TwoProportionTest(d, 0.0, 1.0, continuity_correction)
    num = abs(d)
    if continuity_correction:
        num = max(0.0, num - 0.5 * (1.0 / n1 + 1.0 / n2))
    z = math.copysign(num, d) / math.sqrt(var)
    return TwoProportionTest(d, z, 2.0 * norm_sf(abs(z)), continuity_correction)


def newcombe_interval(
    x1: float, n1: float, x2: float, n2: float, confidence: float = 0.95
) -> Interval:
    """Newcombe hybrid score interval for p1 − p2 from the two Wilson intervals.

    lower = d − √((p1 − l1)² + (u2 − p2)²), upper = d + √((u1 − p1)² + (p2 − l2)²).
    """
    _check_pair(x1, n1, "1")
    _check_pair(x2, n2, "2")
    p1, p2 = x1 / n1, x2 / n2
    w1 = wilson_interval(x1, n1, confidence)
    w2 = wilson_interval(x2, n2, confidence)
    d = p1 - p2
    return Interval(
        d - math.hypot(p1 - w1.lower, w2.upper - p2),
        d + math.hypot(w1.upper - p1, p2 - w2.lower),
    )


def fisher_exact_p(x1: int, n1: int, x2: int, n2: int) -> float:
    """Two-sided Fisher exact p for the 2×2 table [[x1, n1 − x1], [x2, n2 − x2]]."""
    _check_pair(x1, n1, "1")
    _check_pair(x2, n2, "2")
    if any(v != int(v) for v in (x1, n1, x2, n2)):
        raise ValueError("Fisher's exact test needs whole-number counts")
    table = [[int(x1), int(n1 - x1)], [int(x2), int(n2 - x2)]]
    from scipy.stats import fisher_exact  # slow to import; only used for small cells

    return float(fisher_exact(table, alternative="two-sided").pvalue)


def min_expected_cell(x1: float, n1: float, x2: float, n2: float) -> float:
    """Smallest expected cell count of the 2×2 table; below 5, prefer Fisher's exact test."""
    _check_pair(x1, n1, "1")
    _check_pair(x2, n2, "2")
    pooled = (x1 + x2) / (n1 + n2)
    return min(n1 * pooled, n1 * (1 - pooled), n2 * pooled, n2 * (1 - pooled))


def survey_rag(
    x_current: float,
    n_current: float,
    x_baseline: float,
    n_baseline: float,
    polarity: Polarity = "higher-is-better",
    *,
    test: RagTest = "z-test",
    confidence: float = 0.95,
) -> SurveyRag:
    """Seed-001 survey RAG: GREEN if ``confidence`` sure the current level is better than the
    baseline, RED if sure it is worse, AMBER otherwise; ``"NONE"`` for neutral measures.

    ``test="z-test"`` (default) uses the pooled two-proportion z-test (two-sided
    p < 1 − confidence, direction from the sign of the difference); ``test="newcombe"``
    uses whether the Newcombe interval excludes 0. The two can disagree at the edge (§5 V5:
    96/105 vs 842/1000 is GREEN by z-test, AMBER by Newcombe).
    """
    check_polarity(polarity)
    if test not in ("z-test", "newcombe"):
        raise ValueError(f"test must be 'z-test' or 'newcombe'; got {test!r}")
    z_for_confidence(confidence)
    zt = two_proportion_ztest(x_current, n_current, x_baseline, n_baseline)
    ci = newcombe_interval(x_current, n_current, x_baseline, n_baseline, confidence)
    if test == "z-test":
        significant = zt.p_value < 1.0 - confidence
        direction = (1 if zt.difference > 0 else -1) if significant else 0
    else:
        direction = 1 if ci.lower > 0 else -1 if ci.upper < 0 else 0
    rag: Rag
    if polarity == "neutral":
        rag = "NONE"
    elif direction == 0:
        rag = "AMBER"
    else:
        better = direction > 0 if polarity == "higher-is-better" else direction < 0
        rag = "GREEN" if better else "RED"
    return SurveyRag(rag, test, confidence, zt.difference, zt.p_value, ci)
