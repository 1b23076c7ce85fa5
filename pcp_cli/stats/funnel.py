"""Funnel-plot limits and significance labels (methods.md §3.4).

Source: PHEindicatormethods ``R/Funnels.R`` and ``R/utils.R`` (``sigma_adjustment``,
``poisson_funnel``, ``funnel_ratio_significance``). PHE finds the exact Poisson limits by
bisection; here the equivalent chi-squared closed forms are used, and the proportion limits
use the closed form of PHE's quadratic, p ± z·√(p(1 − p)/N) (identical to 1e-12). The
labels of ratios and rates use the exact Poisson interval at every count, as the drawn
funnel does (PHE labels with Byar's interval from 10 events; ``method="phe"``).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from pcp_cli.stats.common import z_for_confidence
from pcp_cli.stats.dist import chi2_ppf
from pcp_cli.stats.intervals import Interval, count_interval, exact_poisson_interval

Significance = Literal[
    "Low (0.001)", "Low (0.025)", "High (0.001)", "High (0.025)", "Not significant"
]
FunnelPosition = Literal["within 95%", "above 95%", "above 99.8%", "below 95%", "below 99.8%"]
RatioType = Literal["ratio", "count", "isr"]
CountCiMethod = Literal["exact", "phe"]
"""Count intervals behind funnel labels: exact Poisson at every count, or PHE's (Byar's from 10)."""

CONFIDENCE_95 = 0.95
CONFIDENCE_998 = 0.998


@dataclass(frozen=True, slots=True)
class FunnelLimits:
    """Funnel limits at one population: 95% ("2s", p = 0.025) and 99.8% ("3s", p = 0.001)."""

    lower_95: float
    upper_95: float
    lower_998: float
    upper_998: float


@dataclass(frozen=True, slots=True)
class FunnelExpected:
    """Expected counts at which an observed count sits on the lower / upper funnel."""

    lower: float
    upper: float


def _check_positive(value: float, what: str) -> None:
    if not math.isfinite(value) or value <= 0:
        raise ValueError(f"{what} must be > 0; got {value!r}")


def _check_nonneg(value: float, what: str) -> None:
    if not math.isfinite(value) or value < 0:
        raise ValueError(f"{what} must be >= 0; got {value!r}")


# --- proportions ------------------------------------------------------------------------


def proportion_funnel_average(numerators: Sequence[float], denominators: Sequence[float]) -> float:
    """Funnel baseline for proportions: Σx / Σn (a fraction, not scaled)."""
    if len(numerators) != len(denominators) or not numerators:
        raise ValueError("numerators and denominators must be non-empty and the same length")
    total_n = sum(denominators)
    _check_positive(total_n, "sum of denominators")
    return sum(numerators) / total_n


def proportion_funnel_limits(
    population: float, average: float, multiplier: float = 100.0, *, clamp: bool = True
) -> FunnelLimits:
    """Inverted-Wilson funnel limits for a proportion (PHE ``sigma_adjustment``).

    ``average`` is a fraction in [0, 1]; results are scaled by ``multiplier``. A limit is the
    observed proportion whose Wilson interval just touches the average, which reduces to
    average ± z·√(average(1 − average)/population). With ``clamp`` the limits are clamped
    to [0, multiplier] (PHE hard-codes 100, a bug for multiplier 1 that is not copied).
    """
    _check_positive(population, "population")
    if not 0.0 <= average <= 1.0:
        raise ValueError(f"average must be a fraction between 0 and 1; got {average!r}")
    spread = math.sqrt(average * (1.0 - average) / population)

    def limit(confidence: float, sign: float) -> float:
        value = (average + sign * z_for_confidence(confidence) * spread) * multiplier
        return min(max(value, 0.0), multiplier) if clamp else value

    return FunnelLimits(
        lower_95=limit(CONFIDENCE_95, -1.0),
        upper_95=limit(CONFIDENCE_95, 1.0),
        lower_998=limit(CONFIDENCE_998, -1.0),
        upper_998=limit(CONFIDENCE_998, 1.0),
    )


def proportion_significance(x: float, n: float, average: float) -> Significance:
    """PHE funnel significance of x/n against ``average`` (a fraction).

    Equivalent to asking whether the Wilson CI of x/n excludes the average. Labels are checked
    in the order Low (0.001), Low (0.025), High (0.001), High (0.025), with strict comparisons.
    """
    _check_nonneg(x, "x")
    _check_positive(n, "n")
    if x > n:
        raise ValueError(f"x ({x!r}) must not exceed n ({n!r})")
    value = x / n
    lim = proportion_funnel_limits(n, average, multiplier=1.0, clamp=False)
    if value < lim.lower_998:
        return "Low (0.001)"
    if value < lim.lower_95:
        return "Low (0.025)"
    if value > lim.upper_998:
        return "High (0.001)"
    if value > lim.upper_95:
        return "High (0.025)"
    return "Not significant"


# --- ratios and rates (exact Poisson) --------------------------------------------------


def funnel_expected_counts(observed: float, confidence: float = CONFIDENCE_95) -> FunnelExpected:
    """Expected counts at which ``observed`` sits on the lower / upper exact Poisson funnel.

    lower = χ²_{1−p}(2O+2)/2 and upper = χ²_p(2O)/2 with p = (1 − confidence)/2 (0.025 or
    0.001). These are the closed forms of PHE's ``poisson_funnel`` bisection. O = 0 gives an
    upper expected count of 0.
    """
    _check_nonneg(observed, "observed")
    z_for_confidence(confidence)
    p = (1.0 - confidence) / 2.0
    lower = chi2_ppf(1.0 - p, 2.0 * observed + 2.0) / 2.0
    upper = 0.0 if observed == 0 else chi2_ppf(p, 2.0 * observed) / 2.0
    return FunnelExpected(lower, upper)


def ratio_value(observed: float, expected: float, ratio_type: RatioType = "ratio") -> float:
    """Express O/E as PHE does: "ratio" O/E, "count" O/E − 1, "isr" 100·O/E."""
    _check_positive(expected, "expected")
    r = observed / expected
    if ratio_type == "count":
        return r - 1.0
    if ratio_type == "isr":
        return 100.0 * r
    return r


def _observed_on_funnel(expected: float, p: float, side: Literal["lower", "upper"]) -> float:
    """Continuous observed count O on the lower/upper funnel at ``expected`` (inverse of above)."""
    if side == "lower":
        # chi2.ppf(1-p, 2O+2)/2 = E, increasing in O; below O=0 the lower limit is 0.
        if chi2_ppf(1.0 - p, 2.0) / 2.0 >= expected:
            return 0.0

        def f(o: float) -> float:
            return chi2_ppf(1.0 - p, 2.0 * o + 2.0) / 2.0 - expected

    else:

        def f(o: float) -> float:
            return chi2_ppf(p, 2.0 * o) / 2.0 - expected

    hi = expected + 20.0 * math.sqrt(expected) + 50.0
    from scipy.optimize import brentq  # slow to import; only the bisection needs it

    return float(brentq(f, 1e-12, hi, xtol=1e-12, rtol=1e-12))


def ratio_funnel_limits(expected: float) -> FunnelLimits:
    """Exact Poisson funnel limits for the ratio O/E at expected count ``expected``.

    Each limit is O*/E where O* is the (continuous) observed count that sits on the funnel,
    found by root-finding the closed forms of :func:`funnel_expected_counts`.
    """
    _check_positive(expected, "expected")

    def lim(confidence: float, side: Literal["lower", "upper"]) -> float:
        p = (1.0 - confidence) / 2.0
        return _observed_on_funnel(expected, p, side) / expected

    return FunnelLimits(
        lower_95=lim(CONFIDENCE_95, "lower"),
        upper_95=lim(CONFIDENCE_95, "upper"),
        lower_998=lim(CONFIDENCE_998, "lower"),
        upper_998=lim(CONFIDENCE_998, "upper"),
    )


def rate_funnel_average(
    counts: Sequence[float], populations: Sequence[float], multiplier: float = 1000.0
) -> float:
    """Funnel baseline for crude rates: multiplier × Σcount / Σpopulation."""
    if len(counts) != len(populations) or not counts:
        raise ValueError("counts and populations must be non-empty and the same length")
    for p in populations:
        _check_positive(p, "population")
    return multiplier * sum(counts) / sum(populations)


def rate_funnel_limits(
    population: float, group_rate: float, multiplier: float = 1000.0
) -> FunnelLimits:
    """Exact Poisson funnel limits for a crude rate at ``population`` (rates per multiplier).

    ``group_rate`` is per ``multiplier`` people. For several years of data pass the
    person-years as ``population``.
    """
    _check_positive(population, "population")
    _check_positive(group_rate, "group_rate")
    lim = ratio_funnel_limits(population * group_rate / multiplier)
    return FunnelLimits(
        lower_95=lim.lower_95 * group_rate,
        upper_95=lim.upper_95 * group_rate,
        lower_998=lim.lower_998 * group_rate,
        upper_998=lim.upper_998 * group_rate,
    )


def _count_ci(observed: float, confidence: float, method: CountCiMethod) -> Interval:
    if method == "exact":
        return exact_poisson_interval(observed, confidence)
    if method == "phe":
        return count_interval(observed, confidence)[0]
    raise ValueError(f"method must be 'exact' or 'phe'; got {method!r}")


def _count_significance(
    observed: float, reference: float, method: CountCiMethod = "exact"
) -> Significance:
    """Compare the CI of a count with a reference count: exact Poisson at every count, or
    ``method="phe"`` (PHEindicatormethods: exact below 10, Byar's from 10)."""
    ci_998 = _count_ci(observed, CONFIDENCE_998, method)
    ci_95 = _count_ci(observed, CONFIDENCE_95, method)
    if ci_998.upper < reference:
        return "Low (0.001)"
    if ci_95.upper < reference:
        return "Low (0.025)"
    if observed > 0 and ci_998.lower > reference:
        return "High (0.001)"
    if observed > 0 and ci_95.lower > reference:
        return "High (0.025)"
    return "Not significant"


def ratio_significance(
    observed: float, expected: float, *, method: CountCiMethod = "exact"
) -> Significance:
    """PHE ``funnel_ratio_significance``: is O/E significantly different from 1?

    Uses the exact Poisson CI of O at every count (O = 0: lower bound 0), so the label
    agrees with the exact funnel :func:`ratio_funnel_limits` draws. ``method="phe"``
    reproduces PHEindicatormethods (Byar's from 10 events), which can misplace a force
    next to a line: 10 events against 2.94 expected are above the exact 99.8% line, but
    Byar's puts them only above 95%.
    """
    _check_nonneg(observed, "observed")
    _check_positive(expected, "expected")
    return _count_significance(observed, expected, method)


def rate_significance(
    count: float,
    population: float,
    group_rate: float,
    multiplier: float = 1000.0,
    *,
    method: CountCiMethod = "exact",
) -> Significance:
    """Funnel significance of a crude rate against ``group_rate`` (per ``multiplier``).

    The count's exact Poisson CI (``method="phe"``: Byar's from 10 events, as PHE) is
    compared with the expected count population × group_rate / multiplier, which places
    the rate exactly as against :func:`rate_funnel_limits`. Directly standardised rates are
    not handled.
    """
    _check_nonneg(count, "count")
    _check_positive(population, "population")
    _check_nonneg(group_rate, "group_rate")
    return _count_significance(count, population * group_rate / multiplier, method)


_POSITION: dict[Significance, FunnelPosition] = {
    "Low (0.001)": "below 99.8%",
    "Low (0.025)": "below 95%",
    "High (0.001)": "above 99.8%",
    "High (0.025)": "above 95%",
    "Not significant": "within 95%",
}


def funnel_position(
    count: float, population: float, group_rate_per_unit: float, multiplier: float = 1000.0
) -> FunnelPosition:
    """Where a rate sits on the group's funnel: "within 95%", "above 99.8%", ...

    ``group_rate_per_unit`` is the group rate per ``multiplier`` people (for example 72.77
    crimes per 1,000 with ``multiplier=1000``). Decided by :func:`rate_significance` with
    exact Poisson limits at every count, as the funnel is drawn.
    """
    return _POSITION[rate_significance(count, population, group_rate_per_unit, multiplier)]


def significance_to_position(significance: Significance) -> FunnelPosition:
    """Translate a PHE significance label to a :data:`FunnelPosition`."""
    return _POSITION[significance]
