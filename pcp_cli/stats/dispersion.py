"""How much a KPI's monthly counts vary beyond Poisson, and period comparisons that allow for it.

Monthly police counts vary far more than a Poisson process: Leicestershire's recorded crime
moves by about 500 a month around about 7,100 where Poisson would give about 84. A Poisson
test then calls nearly every change at force level "significant". This module estimates the
KPI's own dispersion φ (its month-to-month variance as a multiple of the Poisson variance)
and compares two periods with the counts' variance taken as φ times the Poisson one
(quasi-Poisson).

Sources (docs/statistics.md, "Verdicts that allow for normal variation", says why this
method): Laney (2002) "Improved control charts for attributes", Quality Engineering
14(4):531–537 (the u′ chart's σ_z); Wheeler & Chambers (1992) and Nelson (1982) for the
moving range and its screening at 3.267 × the mean; Cryer & Ryan (1990) "The estimation of
sigma for an X chart: MR/d2 or S/c4?", J. Quality Technology 22(3):187–192 for the moving
range's efficiency; Wedderburn (1974) and McCullagh & Nelder (1989, §9) for quasi-Poisson
tests; Krishnamoorthy & Thomson (2004) for the E-test.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass

from pcp_cli.stats.dist import norm_ppf, norm_sf, t_ppf, t_sf
from pcp_cli.stats.etest import poisson_etest, poisson_score_test

MIN_MONTHS = 12
"""Fewer usable months than this: no estimate, the plain Poisson test is used (and said)."""

D2 = 1.128
"""E|X1 − X2| / σ for two independent normal values (2/√π, rounded as Laney and MDC do)."""

SCREEN_CONSTANT = 3.267
"""Moving ranges at or above this multiple of their mean are dropped once (XmR practice)."""

METHOD = "laney-moving-range"
SOURCE = (
    "Laney (2002), Quality Engineering 14(4):531-537: phi = (mean moving range of the "
    "standardised monthly counts / 1.128)^2, moving ranges screened once at 3.267 x their "
    "mean (Nelson 1982)"
)
ETEST_NAME = "Poisson E-test (Krishnamoorthy & Thomson 2004)"
SCORE_NAME = "Poisson score test"
QUASI_NAME = "quasi-Poisson score test (Wedderburn 1974), dispersion by Laney (2002)"

# Correlation of two neighbouring moving ranges of independent normal values,
# (√3/2 + π/12 − 1)/(π/2 − 1) ≈ 0.22394: it sets the moving range's effective df.
_ADJACENT_MR_CORRELATION = (math.sqrt(3.0) / 2.0 + math.pi / 12.0 - 1.0) / (math.pi / 2.0 - 1.0)


@dataclass(frozen=True, slots=True)
class DispersionEstimate:
    """A KPI's dispersion factor φ: its monthly variance as a multiple of the Poisson one.

    ``factor`` is never below 1 (data that really are Poisson keep the power of the exact
    test). With fewer than ``min_months`` usable months ``factor`` is 1 and
    ``fallback_note`` says that the plain Poisson test is used. ``estimate`` is σ_z² before
    the floor (``None`` on fallback); ``degrees_of_freedom`` is the estimate's effective df
    (a t reference for the adjusted test), ``None`` on fallback; ``moving_ranges_screened``
    is how many moving ranges were set aside as special causes.
    """

    factor: float
    months_used: int
    method: str
    source: str
    fallback_note: str | None
    estimate: float | None = None
    degrees_of_freedom: float | None = None
    moving_ranges_screened: int = 0


@dataclass(frozen=True, slots=True)
class CountComparison:
    """Two periods' counts compared as monthly rates, allowing for the KPI's dispersion.

    ``p_value`` (two-sided) drives the verdict: ``significant`` is ``p_value < alpha``.
    ``p_value_poisson`` is the plain exact E-test p (the score test's for counts that are not
    whole). ``dispersion`` is the factor used; ``test`` names the method and its source.
    ``statistic`` is the pooled score z divided by √φ. ``rate_ratio`` is
    (current/current_months)/(baseline/baseline_months) with its interval at
    ``confidence`` (= 1 − alpha), widened by √φ; ``None`` where a count is 0. ``notes`` say
    what was assumed (too little history, no events).
    """

    p_value: float
    p_value_poisson: float
    dispersion: float
    test: str
    significant: bool
    statistic: float | None
    rate_ratio: float | None
    rate_ratio_lower: float | None
    rate_ratio_upper: float | None
    confidence: float
    alpha: float
    notes: tuple[str, ...] = ()


def _monthly_values(monthly_counts: Sequence[float | None]) -> list[float | None]:
    """The counts with NaN read as a missing month; negative or infinite counts are errors."""
    out: list[float | None] = []
    for i, v in enumerate(monthly_counts):
        if v is None or (isinstance(v, float) and math.isnan(v)):
            out.append(None)
            continue
        value = float(v)
        if not math.isfinite(value) or value < 0:
            raise ValueError(f"monthly count [{i}] must be a number >= 0 or missing; got {v!r}")
        out.append(value)
    return out


def _screened_mean(ranges: list[float]) -> tuple[float, int]:
    """Mean moving range after dropping those >= 3.267 × the mean once (XmR screening).

    Not screened when screening would leave a mean of 0 (rare events: a few 1s among 0s),
    since a dispersion of 0 would call every month a special cause.
    """
    raw = math.fsum(ranges) / len(ranges)
    kept = [r for r in ranges if r < SCREEN_CONSTANT * raw]
    if not kept or math.fsum(kept) == 0.0:
        return raw, 0
    return math.fsum(kept) / len(kept), len(ranges) - len(kept)


def moving_range_degrees_of_freedom(n_ranges: int) -> float:
    """Effective df of σ̂ = mean moving range / d2 from ``n_ranges`` moving ranges.

    Var(σ̂)/σ² = (π/2 − 1)(1 + 2ρ(m − 1)/m)/m for m ranges of independent normal values
    (neighbouring ranges correlate with ρ ≈ 0.224); matched to a sample SD's 1/(2ν) this
    gives ν = m / ((π − 2)(1 + 2ρ(m − 1)/m)), about 0.6·m (Cryer & Ryan 1990: the moving
    range is about 60% as efficient as the SD).
    """
    if n_ranges < 1:
        raise ValueError(f"need at least one moving range; got {n_ranges}")
    m = float(n_ranges)
    return m / ((math.pi - 2.0) * (1.0 + 2.0 * _ADJACENT_MR_CORRELATION * (m - 1.0) / m))


def _fallback(months_used: int, why: str) -> DispersionEstimate:
    return DispersionEstimate(1.0, months_used, METHOD, SOURCE, why)


def estimate_dispersion(
    monthly_counts: Sequence[float | None], *, min_months: int = MIN_MONTHS
) -> DispersionEstimate:
    """Laney's dispersion factor of a KPI's monthly counts (oldest first; ``None`` = missing).

    Each month is standardised by the Poisson SD of the mean, z_i = (x_i − x̄)/√x̄; the
    moving ranges |z_i − z_{i−1}| (only between neighbouring months that both have data)
    are screened once at 3.267 × their mean, and φ = (mean moving range / 1.128)². The
    factor is max(φ, 1). Moving ranges see only month-to-month change, so a slow trend or
    a seasonal swing is not mistaken for dispersion. Months used: those in at least one
    moving range; fewer than ``min_months`` (or no events at all): factor 1 with a
    ``fallback_note``.
    """
    if min_months < 2:
        raise ValueError(f"min_months must be at least 2; got {min_months!r}")
    values = _monthly_values(monthly_counts)
    pairs = [
        (i, a, b)
        for i, (a, b) in enumerate(itertools.pairwise(values))
        if a is not None and b is not None
    ]
    used = sorted({i for i, _, _ in pairs} | {i + 1 for i, _, _ in pairs})
    if len(used) < min_months:
        return _fallback(
            len(used),
            f"{len(used)} months of history with a neighbouring month (fewer than "
            f"{min_months}): the KPI's own variation cannot be estimated, so the plain "
            "Poisson test is used",
        )
    mean = math.fsum(v for i in used if (v := values[i]) is not None) / len(used)
    if mean == 0.0:
        return _fallback(len(used), "no events in the months of history: the Poisson test is used")
    scale = math.sqrt(mean)
    amr, screened = _screened_mean([abs(b - a) / scale for _, a, b in pairs])
    phi = (amr / D2) ** 2
    return DispersionEstimate(
        factor=max(phi, 1.0),
        months_used=len(used),
        method=METHOD,
        source=SOURCE,
        fallback_note=None,
        estimate=phi,
        degrees_of_freedom=moving_range_degrees_of_freedom(len(pairs) - screened),
        moving_ranges_screened=screened,
    )


def _check_period(count: float, months: float, which: str) -> None:
    if not math.isfinite(count) or count < 0:
        raise ValueError(f"the {which} count must be a number >= 0; got {count!r}")
    if not math.isfinite(months) or months <= 0:
        raise ValueError(f"the {which} period must have months > 0; got {months!r}")


def _poisson_p(
    current: float, current_months: float, baseline: float, baseline_months: float
) -> tuple[float, str]:
    """The plain Poisson p: exact E-test for whole counts, the score test otherwise."""
    if float(current).is_integer() and float(baseline).is_integer():
        exact = poisson_etest(int(current), int(baseline), current_months, baseline_months)
        assert exact is not None  # not 0 against 0: the caller handled that
        return exact.p_value, ETEST_NAME
    score = poisson_score_test(current, baseline, current_months, baseline_months)
    assert score is not None
    return score.p_value, SCORE_NAME


def _rate_ratio_interval(
    current: float,
    current_months: float,
    baseline: float,
    baseline_months: float,
    phi: float,
    quantile: float,
) -> tuple[float | None, float | None, float | None]:
    """Rate ratio and its Wald interval on the log scale, variance φ(1/current + 1/baseline)."""
    if baseline == 0:
        return None, None, None
    ratio = (current / current_months) / (baseline / baseline_months)
    if current == 0:
        return ratio, None, None
    half = quantile * math.sqrt(phi * (1.0 / current + 1.0 / baseline))
    return ratio, ratio * math.exp(-half), ratio * math.exp(half)


def compare_counts(
    current: float,
    current_months: float,
    baseline: float,
    baseline_months: float,
    dispersion: DispersionEstimate,
    alpha: float = 0.05,
) -> CountComparison:
    """Is the current period's monthly rate different from the baseline's, beyond the KPI's
    normal variation?

    φ = ``dispersion.factor``. With φ = 1 the exact E-test decides. With φ > 1 the counts'
    variance is φ × Poisson (quasi-Poisson): the pooled score z is divided by √φ and
    referred to a t distribution with the estimate's effective df (normal if none), and the
    p is never below the plain Poisson p (both tests must reject; the combination keeps
    the level). The rate ratio's interval is exp(log RR ± q·√(φ(1/c + 1/b))), q the same
    reference's quantile at 1 − alpha/2.
    """
    _check_period(current, current_months, "current")
    _check_period(baseline, baseline_months, "baseline")
    if not (math.isfinite(alpha) and 0.0 < alpha < 1.0):
        raise ValueError(f"alpha must be between 0 and 1; got {alpha!r}")
    phi = dispersion.factor
    if not (math.isfinite(phi) and phi >= 1.0):
        raise ValueError(f"the dispersion factor must be >= 1; got {phi!r}")
    notes = () if dispersion.fallback_note is None else (dispersion.fallback_note,)
    if current + baseline == 0:
        return CountComparison(
            1.0, 1.0, phi, ETEST_NAME, False, None, None, None, None, 1.0 - alpha, alpha,
            (*notes, "no events in either period: nothing to test"),
        )  # fmt: skip
    p_poisson, poisson_name = _poisson_p(current, current_months, baseline, baseline_months)
    score = poisson_score_test(current, baseline, current_months, baseline_months)
    assert score is not None
    df = dispersion.degrees_of_freedom
    if phi == 1.0:
        p_value, test, z, quantile = (
            p_poisson,
            poisson_name,
            score.statistic,
            norm_ppf(1 - alpha / 2),
        )
    else:
        z = score.statistic / math.sqrt(phi)
        if df is None:
            p_adjusted, quantile = 2.0 * norm_sf(abs(z)), norm_ppf(1.0 - alpha / 2.0)
        else:
            p_adjusted, quantile = 2.0 * t_sf(abs(z), df), t_ppf(1.0 - alpha / 2.0, df)
        p_value, test = max(p_adjusted, p_poisson), QUASI_NAME
    ratio, lower, upper = _rate_ratio_interval(
        current, current_months, baseline, baseline_months, phi, quantile
    )
    return CountComparison(
        p_value=p_value,
        p_value_poisson=p_poisson,
        dispersion=phi,
        test=test,
        significant=p_value < alpha,
        statistic=z,
        rate_ratio=ratio,
        rate_ratio_lower=lower,
        rate_ratio_upper=upper,
        confidence=1.0 - alpha,
        alpha=alpha,
        notes=notes,
    )
