"""Is a change between two periods more than noise? Plain-words verdicts for reports.

Counts: :func:`count_verdict`, the one verdict every command uses (compare, check, the
report, project's RAG): the two periods' monthly rates compared allowing for the KPI's own
month-to-month variation (``stats.dispersion``: Laney's dispersion φ from up to 36 months of
history, a quasi-Poisson test, never below the exact Poisson E-test's p; with under 12 months
of history the exact E-test alone, and the notes say so). :func:`count_change` is the plain
Poisson E-test, kept for outputs that say they are Poisson (the iQuanta view's poisson_*).
Proportions (survey KPIs) and rates (ratio KPIs whose numerator cannot exceed the
denominator): the pooled two-proportion z-test, Fisher's exact test when an expected cell is
below 5, and the Newcombe interval for the difference (methods.md §4, §5). The statistics
live in :mod:`pcp_cli.stats`; this module only chooses among them and words the result.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Literal

from pcp_cli.analysis.judgement import judge_verdict
from pcp_cli.kpis import Polarity
from pcp_cli.stats.common import Rag, rag_from_position
from pcp_cli.stats.dispersion import (
    MIN_MONTHS,
    DispersionEstimate,
    compare_counts,
    estimate_dispersion,
)
from pcp_cli.stats.etest import poisson_etest, poisson_score_test
from pcp_cli.stats.intervals import wilson_interval
from pcp_cli.stats.proportions import (
    fisher_exact_p,
    min_expected_cell,
    newcombe_interval,
    survey_rag,
    two_proportion_ztest,
)

Verdict = Literal["significant increase", "significant decrease", "no significant change"]

DEFAULT_ALPHA = 0.05
SMALL_N = 100
"""Fewer respondents than this: the 95% interval can be wider than ±10 percentage points."""
FISHER_BELOW = 5.0
"""Smallest expected cell below this: Fisher's exact test replaces the z-test (methods.md §5)."""


@dataclass(frozen=True)
class ChangeTest:
    """The significance of current against baseline.

    ``test`` names the method ("e-test", "score z-test", "two-proportion z-test", "Fisher
    exact"), ``None`` when no test is possible (``notes`` says why). ``diff_lower`` and
    ``diff_upper`` are the Newcombe 95% interval for current − baseline, in the KPI's unit
    (percentage points for % KPIs); ``None`` for counts. For counts ``dispersion`` is the
    factor φ (>= 1) the verdict allowed for and ``p_value_poisson`` the plain Poisson p
    (``p_value`` >= it); both ``None`` for rates and proportions.
    """

    test: str | None
    statistic: float | None
    p_value: float | None
    alpha: float
    verdict: Verdict | None
    diff_lower: float | None = None
    diff_upper: float | None = None
    notes: tuple[str, ...] = ()
    p_value_poisson: float | None = None
    dispersion: float | None = None

    def improved(self, polarity: Polarity) -> bool:
        """True when the change is significant and in the good direction for ``polarity``."""
        return judge_verdict(self.verdict, polarity) == "better"


def verdict_for(p_value: float | None, difference: float, alpha: float) -> Verdict | None:
    """Plain words: significant increase / decrease at ``alpha``, else no significant change."""
    if p_value is None:
        return None
    if p_value < alpha and difference != 0:
        return "significant increase" if difference > 0 else "significant decrease"
    return "no significant change"


def _whole(x: float) -> bool:
    return float(x).is_integer()


def _untestable_counts(
    current: float, baseline: float, months_current: float, months_baseline: float, alpha: float
) -> ChangeTest | None:
    """The untested result for counts no test can take (no months, negative), else None."""
    if months_current <= 0 or months_baseline <= 0:
        return ChangeTest(None, None, None, alpha, None, notes=("a period has no months of data",))
    if current < 0 or baseline < 0:
        return ChangeTest(None, None, None, alpha, None, notes=("negative counts are not tested",))
    return None


def _monthly_rate_change(
    current: float, baseline: float, months_current: float, months_baseline: float
) -> float:
    """Current minus baseline per month: its sign says which way a significant change went."""
    return current / months_current - baseline / months_baseline


def count_change(
    current: float,
    baseline: float,
    months_current: float,
    months_baseline: float,
    alpha: float = DEFAULT_ALPHA,
) -> ChangeTest:
    """Plain Poisson E-test of current/months_current against baseline/months_baseline.

    It assumes Poisson variation; verdicts use :func:`count_verdict`, which allows for the
    KPI's own variation.
    """
    untestable = _untestable_counts(current, baseline, months_current, months_baseline, alpha)
    if untestable is not None:
        return untestable
    if _whole(current) and _whole(baseline):
        result = poisson_etest(int(current), int(baseline), months_current, months_baseline)
    else:
        result = poisson_score_test(current, baseline, months_current, months_baseline)
    if result is None:  # 0 against 0: nothing happened in either period
        return ChangeTest(
            "e-test", None, None, alpha, "no significant change", notes=("no events in either",)
        )
    diff = _monthly_rate_change(current, baseline, months_current, months_baseline)
    return ChangeTest(
        result.method,
        result.statistic,
        result.p_value,
        alpha,
        verdict_for(result.p_value, diff, alpha),
    )


POISSON_FALLBACK = "Poisson test is used"
"""The end of every note saying the KPI's variation was not estimated (too little history)."""

STOCK_NOTE = (
    "a 12-month stock (each month's value counts the 12 months to it): its month-to-month "
    "variation cannot be estimated, so the plain Poisson test is used"
)


@dataclass(frozen=True)
class CountHistory:
    """A count KPI's history for its dispersion: ``counts`` oldest first, one per ``span``
    months (1: monthly; 3: quarterly tables), ``None`` where a point has no data; ``stock``
    for a 12-month stock (repeat victims), whose variation is not estimated."""

    counts: tuple[float | None, ...]
    span: int = 1
    stock: bool = False


def _dispersion(history: CountHistory) -> DispersionEstimate:
    """φ from the history; a fallback's note in the history's own terms (quarters, stock)."""
    if history.stock:
        return replace(estimate_dispersion(()), fallback_note=STOCK_NOTE)
    estimate = estimate_dispersion(history.counts)
    if estimate.fallback_note is None or history.span == 1:
        return estimate
    points = "quarters" if history.span == 3 else f"{history.span}-month blocks"
    return replace(
        estimate,
        fallback_note=(
            f"{estimate.months_used} {points} of history in the 36 months to the period's end "
            f"(fewer than {MIN_MONTHS}): the KPI's own variation cannot be estimated, so the "
            "plain Poisson test is used"
        ),
    )


def count_verdict(
    current: float,
    baseline: float,
    months_current: float,
    months_baseline: float,
    history: CountHistory,
    alpha: float = DEFAULT_ALPHA,
) -> ChangeTest:
    """The verdict on a count KPI's change, allowing for its normal variation.

    ``history`` is the KPI's counts up to the end of the current period (the last 36 months
    at most). The monthly rates are compared by ``stats.dispersion.compare_counts`` with φ
    from ``estimate_dispersion``: ``p_value`` (>= the plain Poisson p) drives the verdict.
    """
    untestable = _untestable_counts(current, baseline, months_current, months_baseline, alpha)
    if untestable is not None:
        return untestable
    dispersion = _dispersion(history)
    result = compare_counts(current, months_current, baseline, months_baseline, dispersion, alpha)
    diff = _monthly_rate_change(current, baseline, months_current, months_baseline)
    return ChangeTest(
        result.test,
        result.statistic,
        result.p_value,
        alpha,
        verdict_for(result.p_value, diff, alpha),
        notes=result.notes,
        p_value_poisson=result.p_value_poisson,
        dispersion=result.dispersion,
    )


def proportion_change(
    x_current: float,
    n_current: float,
    x_baseline: float,
    n_baseline: float,
    alpha: float = DEFAULT_ALPHA,
    scale: float = 1.0,
) -> ChangeTest:
    """Two-proportion test of x/n now against x/n in the baseline, with the Newcombe CI.

    The pooled z-test drives the verdict, or Fisher's exact test when an expected cell is
    below 5. ``scale`` (100 for %) puts the interval in the KPI's unit.
    """
    for x, n in ((x_current, n_current), (x_baseline, n_baseline)):
        if n <= 0:
            return ChangeTest(None, None, None, alpha, None, notes=("a period has no denominator",))
        if x < 0 or x > n:
            return ChangeTest(
                None,
                None,
                None,
                alpha,
                None,
                notes=("the numerator exceeds the denominator: not a proportion, not tested",),
            )
    zt = two_proportion_ztest(x_current, n_current, x_baseline, n_baseline)
    ci = newcombe_interval(x_current, n_current, x_baseline, n_baseline, 1.0 - alpha)
    test = "two-proportion z-test"
    statistic: float | None = zt.z
    p = zt.p_value
    whole = all(_whole(v) for v in (x_current, n_current, x_baseline, n_baseline))
    if whole and min_expected_cell(x_current, n_current, x_baseline, n_baseline) < FISHER_BELOW:
        test, statistic = "Fisher exact", None
        p = fisher_exact_p(int(x_current), int(n_current), int(x_baseline), int(n_baseline))
    return ChangeTest(
        test,
        statistic,
        p,
        alpha,
        verdict_for(p, zt.difference, alpha),
        ci.lower * scale,
        ci.upper * scale,
    )


@dataclass(frozen=True)
class ProportionSummary:
    """p = x/n with its Wilson interval (``lower``/``upper`` in the KPI's unit)."""

    p: float
    n: float
    lower: float
    upper: float


def proportion_summary(
    x: float, n: float, scale: float = 1.0, confidence: float = 0.95
) -> ProportionSummary | None:
    """x/n with the Wilson interval; ``None`` when it is not a proportion (n <= 0 or x > n)."""
    if n <= 0 or x < 0 or x > n:
        return None
    ci = wilson_interval(x, n, confidence, multiplier=scale)
    return ProportionSummary(x / n, n, ci.lower, ci.upper)


def proportion_rag(
    x_current: float,
    n_current: float,
    x_baseline: float,
    n_baseline: float,
    polarity: Polarity,
    change: ChangeTest,
) -> tuple[Rag, str] | None:
    """The seed-001 satisfaction/confidence RAG and the test that drove it.

    GREEN: confident (at 1 − alpha; 95% by default) the level is better than the baseline;
    RED: confident it is worse; AMBER: no evidence of change. Uses the pooled z-test
    (``stats.proportions.survey_rag``), or Fisher's exact test where ``change`` used it.
    """
    if change.test is None or change.p_value is None:
        return None
    if change.test == "Fisher exact":
        position = 0
        if change.verdict == "significant increase":
            position = 1
        elif change.verdict == "significant decrease":
            position = -1
        return rag_from_position(position, polarity), "Fisher exact"
    rag = survey_rag(
        x_current, n_current, x_baseline, n_baseline, polarity, confidence=1.0 - change.alpha
    )
    return rag.rag, rag.test


def rag_meaning(rag: str, alpha: float) -> str:
    """What a survey RAG says, at the confidence it was judged at (95% at alpha 0.05)."""
    confidence = f"{(1.0 - alpha) * 100:.10g}%"
    return {
        "RED": f"{confidence} confident it is worse than the baseline",
        "AMBER": "no statistical evidence of change",
        "GREEN": f"{confidence} confident it is better than the baseline",
    }[rag]


def small_sample_note(n: float, what: str = "respondents") -> str | None:
    """A warning for a small survey sample, or ``None``."""
    if n < SMALL_N:
        return f"small sample: {n:,.0f} {what} (under {SMALL_N}); the interval is wide"
    return None
