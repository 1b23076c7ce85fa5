"""iQuanta-style SPC: the recent 6 months against the previous 12 (methods.md §2.2).

A reconstruction (no public iQuanta methods note exists) of the seed-001 key: "compares
average of most recent 6 months against average of previous 12 months", control lines at
1.96 SD, RED above the upper line, GREEN below the lower line for lower-is-better measures.
Label outputs "iQuanta-style", not "iQuanta".
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from pcp_cli.stats.common import (
    InsufficientDataError,
    Polarity,
    Rag,
    check_polarity,
    rag_from_position,
)
from pcp_cli.stats.etest import poisson_score_test
from pcp_cli.stats.peer import sample_sd

LineMethod = Literal["monthly", "mean-level"]

BASELINE_MONTHS = 12
RECENT_MONTHS = 6
REQUIRED_MONTHS = BASELINE_MONTHS + RECENT_MONTHS


@dataclass(frozen=True, slots=True)
class IQuantaResult:
    """Recent-6 against previous-12 comparison.

    Lines are m_B ± z·s_B ("monthly", each month one observation) or m_B ± z·s_B/√6
    ("mean-level", tests the 6-month average; far more sensitive). ``score_z`` / ``score_p``
    compare sum(recent) over 6 months with sum(baseline) over 12 as Poisson rates (pooled
    score test); they are ``None`` when ``counts=False`` or both sums are 0.
    """

    baseline_mean: float
    baseline_sd: float
    recent_mean: float
    lower: float
    upper: float
    line_method: LineMethod
    line_z: float
    ddof: int
    rag: Rag
    polarity: Polarity
    score_z: float | None
    score_p: float | None
    warnings: tuple[str, ...]


def iquanta_compare(
    values: Sequence[float],
    polarity: Polarity = "lower-is-better",
    *,
    line_method: LineMethod = "monthly",
    line_z: float = 1.96,
    ddof: int = 1,
    counts: bool = True,
) -> IQuantaResult:
    """Compare the mean of the last 6 months with the 12 months before (iQuanta-style).

    ``values`` are monthly values, oldest first, with no gaps; only the last 18 are used.
    Raises :class:`InsufficientDataError` (a ``ValueError``) with fewer than 18 months or a
    missing (NaN) month among the last 18. RAG for lower-is-better: RED if the recent mean
    is above the upper line, GREEN if below the lower line, AMBER otherwise (strict);
    reversed for higher-is-better, ``"NONE"`` for neutral. Set ``counts=False`` for
    rates or percentages, which skips the Poisson score test.
    """
    check_polarity(polarity)
    if line_method not in ("monthly", "mean-level"):
        raise ValueError(f"line_method must be 'monthly' or 'mean-level'; got {line_method!r}")
    if len(values) < REQUIRED_MONTHS:
        raise InsufficientDataError(
            f"insufficient data: {len(values)} months given, {REQUIRED_MONTHS} needed "
            f"({BASELINE_MONTHS} baseline + {RECENT_MONTHS} recent)"
        )
    window = [float(v) for v in values[-REQUIRED_MONTHS:]]
    for i, v in enumerate(window):
        if not math.isfinite(v):
            raise InsufficientDataError(
                f"insufficient data: month {i + 1} of the last {REQUIRED_MONTHS} is missing"
            )
    baseline = window[:BASELINE_MONTHS]
    recent = window[BASELINE_MONTHS:]
    m_b = math.fsum(baseline) / BASELINE_MONTHS
    s_b = sample_sd(baseline, ddof)
    m_r = math.fsum(recent) / RECENT_MONTHS
    half = line_z * s_b
    if line_method == "mean-level":
        half /= math.sqrt(RECENT_MONTHS)
    lower, upper = m_b - half, m_b + half
    warnings: list[str] = []
    if s_b == 0:
        warnings.append("baseline SD is 0: lines equal the baseline mean, any change signals")
    position = 1 if m_r > upper else -1 if m_r < lower else 0
    score_z: float | None = None
    score_p: float | None = None
    if counts:
        if any(v < 0 for v in window):
            raise ValueError("counts=True but the series has negative values")
        score = poisson_score_test(
            math.fsum(recent), math.fsum(baseline), RECENT_MONTHS, BASELINE_MONTHS
        )
        if score is not None:
            score_z, score_p = score.statistic, score.p_value
    return IQuantaResult(
        baseline_mean=m_b,
        baseline_sd=s_b,
        recent_mean=m_r,
        lower=lower,
        upper=upper,
        line_method=line_method,
        line_z=line_z,
        ddof=ddof,
        rag=rag_from_position(position, polarity),
        polarity=polarity,
        score_z=score_z,
        score_p=score_p,
        warnings=tuple(warnings),
    )
