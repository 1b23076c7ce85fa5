"""Confidence intervals for proportions, counts and rates (methods.md §3.2–3.3).

Sources: PHEindicatormethods ``R/utils.R`` (Wilson, Byar's) and ``R/Rates.R``
(``phe_rate``: exact Poisson below 10 events, Byar's from 10).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

from pcp_cli.stats.common import z_for_confidence
from pcp_cli.stats.dist import chi2_ppf

RateMethod = Literal["Exact", "Byars"]

EXACT_BELOW = 10
"""Counts below this use the exact Poisson interval in :func:`rate_interval` (PHE parity)."""


@dataclass(frozen=True, slots=True)
class Interval:
    """A two-sided interval with both bounds defined."""

    lower: float
    upper: float


@dataclass(frozen=True, slots=True)
class CountInterval:
    """An interval for a count; ``lower`` is ``None`` where Byar's lower bound is negative."""

    lower: float | None
    upper: float


@dataclass(frozen=True, slots=True)
class RateInterval:
    """A rate with its confidence interval (``phe_rate``), already scaled by ``multiplier``."""

    value: float
    lower: float
    upper: float
    method: RateMethod
    confidence: float
    multiplier: float


def _check_count(x: float, what: str = "count") -> None:
    if not math.isfinite(x) or x < 0:
        raise ValueError(f"{what} must be a finite number >= 0; got {x!r}")


def wilson_interval(
    x: float, n: float, confidence: float = 0.95, multiplier: float = 1.0
) -> Interval:
    """Wilson score interval for the proportion x/n (PHEindicatormethods ``wilson_lower/upper``).

    ``x`` may be fractional. ``x = 0`` gives lower exactly 0 and ``x = n`` gives upper exactly
    1 (times ``multiplier``). ``confidence = 1`` gives [0, 1]. Raises ``ValueError`` for
    x < 0, n <= 0 or x > n.
    """
    if not math.isfinite(x) or x < 0:
        raise ValueError(f"numerator x must be >= 0; got {x!r}")
    if not math.isfinite(n) or n <= 0:
        raise ValueError(f"denominator n must be > 0; got {n!r}")
    if x > n:
        raise ValueError(f"numerator x ({x!r}) must not exceed denominator n ({n!r})")
    if confidence == 1.0:
        return Interval(0.0, multiplier)
    z = z_for_confidence(confidence)
    z2 = z * z
    root = z * math.sqrt(z2 + 4.0 * x * (1.0 - x / n))
    denom = 2.0 * (n + z2)
    lower = 0.0 if x == 0 else (2.0 * x + z2 - root) / denom
    upper = 1.0 if x == n else (2.0 * x + z2 + root) / denom
    return Interval(lower * multiplier, upper * multiplier)


def byars_lower(x: float, confidence: float = 0.95) -> float | None:
    """Byar's lower limit for a count: x(1 - 1/(9x) - z/(3√x))³; ``None`` if negative."""
    _check_count(x)
    if x == 0:
        return 0.0
    z = z_for_confidence(confidence)
    value = x * (1.0 - 1.0 / (9.0 * x) - z / (3.0 * math.sqrt(x))) ** 3
    return None if value < 0 else value


def byars_upper(x: float, confidence: float = 0.95) -> float:
    """Byar's upper limit for a count: (x+1)(1 - 1/(9(x+1)) + z/(3√(x+1)))³."""
    _check_count(x)
    z = z_for_confidence(confidence)
    x1 = x + 1.0
    return x1 * (1.0 - 1.0 / (9.0 * x1) + z / (3.0 * math.sqrt(x1))) ** 3


def byars_interval(x: float, confidence: float = 0.95) -> CountInterval:
    """Byar's (Breslow & Day) interval for a Poisson count; lower is ``None`` when negative."""
    return CountInterval(byars_lower(x, confidence), byars_upper(x, confidence))


def exact_poisson_interval(x: float, confidence: float = 0.95) -> Interval:
    """Exact (chi-squared) Poisson interval: [χ²_{α/2}(2x)/2, χ²_{1-α/2}(2x+2)/2].

    ``x = 0`` gives a lower bound of exactly 0 (scipy's ``chi2.ppf(q, 0)`` is NaN).
    """
    _check_count(x)
    z_for_confidence(confidence)  # validates confidence
    alpha = 1.0 - confidence
    lower = 0.0 if x == 0 else chi2_ppf(alpha / 2.0, 2.0 * x) / 2.0
    upper = chi2_ppf(1.0 - alpha / 2.0, 2.0 * x + 2.0) / 2.0
    return Interval(lower, upper)


def count_interval(x: float, confidence: float = 0.95) -> tuple[Interval, RateMethod]:
    """Interval for a count as ``phe_rate`` does it: exact below 10 events, Byar's from 10.

    Byar's lower bound cannot be negative for x >= 10 at any confidence below ~1 - 1e-20;
    should it be, it is reported as 0.
    """
    if x < EXACT_BELOW:
        return exact_poisson_interval(x, confidence), "Exact"
    ci = byars_interval(x, confidence)
    return Interval(0.0 if ci.lower is None else ci.lower, ci.upper), "Byars"


def rate_interval(
    count: float, population: float, multiplier: float = 1000.0, confidence: float = 0.95
) -> RateInterval:
    """Crude rate per ``multiplier`` with CI (``phe_rate``; methods.md §3.3).

    Method "Exact" below 10 events and "Byars" from 10. Raises ``ValueError`` for a negative
    count or a population <= 0. The default multiplier is 1,000 (crime rates); PHE's is 100,000.
    """
    _check_count(count)
    if not math.isfinite(population) or population <= 0:
        raise ValueError(f"population must be > 0; got {population!r}")
    ci, method = count_interval(count, confidence)
    scale = multiplier / population
    return RateInterval(
        value=count * scale,
        lower=ci.lower * scale,
        upper=ci.upper * scale,
        method=method,
        confidence=confidence,
        multiplier=multiplier,
    )
