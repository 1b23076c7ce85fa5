"""Plain words for the report: the SPC status of a period, the per-KPI headline, its
judgement (better / worse / no judgement) and its importance.

A headline is written only where something is statistically notable: the change against
the baseline is significant (the compare verdict at the report's alpha), or the monthly
(SPC) chart shows something outside normal variation in the report period. Noise gets no
headline. The words are for a councillor: no test names, no chart jargon ("control limit"
is "the normal range"); the methods annex names the methods.

:func:`importance` is the one ranking of headlines (front page, JSON ``headline`` rows): a
better verdict (one allowing for a KPI's normal variation) plugs in there.
"""

from __future__ import annotations

import math
from statistics import NormalDist
from typing import Literal

from pcp_cli.analysis.judgement import judge_change
from pcp_cli.app.report_model import KpiLine
from pcp_cli.app.spc import SpcStatus
from pcp_cli.text import change, number, p_value, percent_change
from pcp_cli.text import value as value_text

# One formatter for every printed number (pcp_cli.text), under the report's names.
pct_text = percent_change
change_text = change


def p_text(p: float | None, alpha: float = 0.05) -> str:
    """'p = 0.012' or 'p < 0.001' (:func:`pcp_cli.text.p_value`: never rounded across alpha)."""
    return p_value(p, alpha)


# -- SPC ---------------------------------------------------------------------------------------
def spc_words(spc: SpcStatus) -> str:
    """The SPC status for a table cell: 'unusually high', 'above average for months', ..."""
    return {
        "exceptional high": "unusually high",
        "exceptional low": "unusually low",
        "special cause high": "higher than usual",
        "special cause low": "lower than usual",
        "common cause": "normal variation",
    }.get(spc.status, "–")


# -- judgement and importance ------------------------------------------------------------------
Direction = Literal["better", "worse", "neutral"]

JUDGEMENT_WORDS: dict[str, str] = {
    "better": "▲ better",
    "worse": "▼ worse",
    "neutral": "no judgement",
}
"""Better / worse in words and a symbol, never by colour alone."""

_SPC_DIRECTION: dict[str, Direction] = {
    "special_cause_improvement": "better",
    "special_cause_concern": "worse",
}


def direction(line: KpiLine) -> Direction:
    """Better or worse by the KPI's polarity, for a significant change or an SPC signal.

    A significant change decides; else the SPC signal's type (improvement or concern);
    a KPI with neutral polarity, or nothing notable, is "neutral" (no judgement).
    """
    if line.kpi.polarity == "neutral":
        return "neutral"
    if line.significant and line.change:
        return judge_change(line.change, line.kpi.polarity)
    if line.spc.signal:
        return _SPC_DIRECTION.get(line.spc.point_type or "", "neutral")
    return "neutral"


Z_CAP = 6.0
"""Changes beyond this many standard errors rank alike (then by the size of the % change):
with large counts every real change is 'p < 0.001', and the size is what a reader weighs."""


def change_z(line: KpiLine) -> float:
    """The size of the change in standard errors, from the two-sided p-value (0 if untested)."""
    p = line.p_value
    if p is None or not isinstance(p, int | float) or not math.isfinite(p) or p >= 1:
        return 0.0
    if p <= 0:
        return Z_CAP
    return min(Z_CAP, -NormalDist().inv_cdf(max(p / 2, 1e-300)))


def importance(line: KpiLine) -> tuple[float, float]:
    """How prominent a headline is: larger first. The one ranking of the report's headlines.

    The change against the KPI's normal variation (its z, for a significant change), plus
    an SPC signal (months outside the normal range weigh more than a run), plus a half
    point when the KPI has a judgement (better or worse); ties by the size of the % change.
    """
    score = change_z(line) if line.significant else 0.0
    if line.spc.signal:
        score += 2.0 if line.spc.status.startswith("exceptional") else 1.0
    if direction(line) != "neutral":
        score += 0.5
    pct = line.pct_change
    return score, abs(pct) if pct is not None and math.isfinite(pct) else 0.0


FRONT_PAGE_HEADLINES = 8


def ranked_headlines(lines: list[KpiLine], limit: int = FRONT_PAGE_HEADLINES) -> list[KpiLine]:
    """The KPIs with a headline, most important first, at most ``limit``."""
    notable = [line for line in lines if line.headline]
    return sorted(notable, key=importance, reverse=True)[:limit]


# -- headlines ---------------------------------------------------------------------------------
def headline(line: KpiLine) -> str | None:
    """'All crime rose 8.4% to 23,116 (21,327 a year before), a significant rise; ...'.

    None unless the change is significant or the SPC chart shows something outside normal
    variation in the report period. Where the monthly pattern points the other way from
    the change ("fell 12%" but months above the average), the sentence says "but".
    """
    if not (line.significant or line.spc.signal):
        return None
    text = _change_words(line)
    if not line.spc.signal:
        return None if text is None else f"{text}."
    detail = line.spc.detail
    if line.spc.event:  # a declared event (pcp.toml) that explains the months
        detail += f", after {line.spc.event}"
    change = line.change
    high = "high" in line.spc.status
    if text is None:
        return f"{kpi_words(line)}; {detail}."
    against = change is not None and change != 0 and (change > 0) != high
    return f"{text}; but {detail}." if against else f"{text}; {detail}."


def kpi_words(line: KpiLine) -> str:
    """'Rape was 246 in Q2 2018/19' (no comparison possible)."""
    if line.value is None:
        return f"{line.kpi.label} has no figure for {line.period}"
    return f"{line.kpi.label} was {value_text(line.value, line.kpi.unit)} in {line.period}"


def _change_words(line: KpiLine) -> str | None:
    kpi = line.kpi
    value, base, change, pct = line.value, line.baseline_value, line.change, line.pct_change
    if value is None or base is None or change is None:
        return None
    baseline = line.baseline_period or "the baseline"
    figures = f"{value_text(value, kpi.unit)} ({value_text(base, kpi.unit)} in {baseline})"
    if change == 0:
        text = f"{kpi.label} was unchanged at {figures}"
    else:
        way = "rose" if change > 0 else "fell"
        if kpi.unit == "%":
            size = f"{number(abs(change), 1)} points"
        elif pct is not None and math.isfinite(pct):
            size = f"{number(abs(pct), 1)}%"
        else:
            size = f"by {number(abs(change), 0)}"
        text = f"{kpi.label} {way} {size} to {figures}"
    if line.significant:
        noun = "rise" if change > 0 else "fall" if change < 0 else "change"
        return f"{text}, a significant {noun}"
    if line.verdict:
        return f"{text}, not a significant change"
    return text
