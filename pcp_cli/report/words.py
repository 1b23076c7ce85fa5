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
import re
from statistics import NormalDist
from typing import Literal

import polars as pl

from pcp_cli.analysis.spc import exceptional_text
from pcp_cli.errors import PcpError
from pcp_cli.periods import Period, month_name, month_text, parse_month
from pcp_cli.report.model import KpiLine, SpcStatus

_UPPER = "above the normal range"
_LOWER = "below the normal range"


def number(value: float | None, decimals: int = 0, *, signed: bool = False) -> str:
    """1,234 / +1,234 / −1,234 (a true minus sign); '–' for None, 'undefined' for NaN."""
    if value is None:
        return "–"
    if not math.isfinite(value):
        return "undefined"
    text = f"{value:+,.{decimals}f}" if signed else f"{value:,.{decimals}f}"
    return text.replace("-", "−")


def value_text(value: float | None, unit: str) -> str:
    """A KPI value as the papers print it: counts whole, rates and surveys to one decimal."""
    if value is None:
        return "–"
    if unit == "%":
        return number(value, 1) + ("%" if math.isfinite(value) else "")
    if float(value).is_integer():
        return number(value, 0)
    return number(value, 2)


def change_text(change: float | None, unit: str) -> str:
    if change is None:
        return "–"
    if unit == "%":
        return number(change, 1, signed=True) + " pts"
    return number(change, 0 if float(change).is_integer() else 2, signed=True)


def pct_text(pct: float | None) -> str:
    return "–" if pct is None else number(pct, 1, signed=True) + "%"


def p_text(p: float | None) -> str:
    if p is None or not math.isfinite(p):
        return ""
    return "p < 0.001" if p < 0.001 else f"p = {p:.3f}"


# -- SPC ---------------------------------------------------------------------------------------
def read_spc(frame: pl.DataFrame, period: Period, source: str) -> SpcStatus:
    """The SPC status of ``period`` from an XmR frame (analysis.spc) ending at its last month.

    ``detail`` is in plain words ("2 of the 3 months of Q2 2018/19 above the normal range").
    """
    ok = frame.filter(pl.col("status") == "ok")
    first, last = month_text(period.start), month_text(period.end)
    inside = ok.filter((pl.col("start") >= first) & (pl.col("end") <= last))
    latest = ok.row(ok.height - 1, named=True)
    window = f"{ok['period'][0]}..{ok['period'][-1]}"
    common = {
        "source": source,
        "window": window,
        "points": ok.height,
        "mean": latest["mean"],
        "lower": latest["lpl"],
        "upper": latest["upl"],
        "frame": frame,
    }
    special = inside.filter(pl.col("special_cause"))
    if not special.height:
        return SpcStatus(
            "common cause",
            detail=f"normal variation: nothing unusual in {period.label}",
            **common,
        )
    flagged = tuple(special["period"].to_list())
    outside = inside.filter(pl.col("rule").is_in(["Above UCL", "Below LCL"]))
    if outside.height:
        row = outside.row(outside.height - 1, named=True)
        high = row["rule"] == "Above UCL"
        status = "exceptional high" if high else "exceptional low"
        detail = _exceptional_words(frame, inside, high, period)
    else:
        row = special.row(special.height - 1, named=True)
        rule = str(row["rule"])
        high = "Above" in rule or "Increasing" in rule
        status = "special cause high" if high else "special cause low"
        detail = _rule_words(rule, str(row["period"]))
    return SpcStatus(
        status,
        signal=True,
        point_type=row["point_type"],
        detail=detail,
        flagged=flagged,
        **common,
    )


def _exceptional_words(
    frame: pl.DataFrame, inside: pl.DataFrame, high: bool, period: Period
) -> str:
    text = exceptional_text(frame, 1)
    prefix = "statistically exceptional: "
    if text.startswith(prefix) and "; the latest," not in text:
        words = text.removeprefix(prefix)
        words = words.replace("above the upper limit", _UPPER).replace(
            "below the lower limit", _LOWER
        )
        return _with_verb(words)
    rule = "Above UCL" if high else "Below LCL"
    count = inside.filter(pl.col("rule") == rule).height
    where = _UPPER if high else _LOWER
    months = "month" if inside.height == 1 else "months"
    verb = "was" if count == 1 else "were"
    return f"{count} of the {inside.height} {months} of {period.label} {verb} {where}"


_RUN = re.compile(r"(\d+) of the last (\d+) (months?) (above|below) (.*)")


def _with_verb(words: str) -> str:
    """'5 of the last 5 months above ...' -> 'each of the last 5 months was above ...'."""
    m = _RUN.fullmatch(words)
    if not m:  # "the latest month is above ...": the paper speaks of a finished period
        return words.replace("the latest month is ", "the latest month was ")
    count, length, unit, side, rest = m.groups()
    if count == length:
        return f"each of the last {length} {unit} was {side} {rest}"
    verb = "was" if count == "1" else "were"
    return f"{count} of the last {length} {unit} {verb} {side} {rest}"


_TREND = re.compile(r"(\d+) Point Trend \((Increasing|Decreasing)\)")
_SHIFT = re.compile(r"(\d+) Points (Above|Below) CL")
_TWO = re.compile(r"2 in 3 (Above|Below) CL")


def _rule_words(rule: str, period: str) -> str:
    try:
        when = month_name(parse_month(period))
    except PcpError:
        when = period
    if m := _TREND.fullmatch(rule):
        way = "higher" if m.group(2) == "Increasing" else "lower"
        return f"{m.group(1)} or more months in a row were each {way} than the last, to {when}"
    if m := _SHIFT.fullmatch(rule):
        side = "above" if m.group(2) == "Above" else "below"
        return f"{m.group(1)} or more months in a row were {side} the long-run average, to {when}"
    if m := _TWO.fullmatch(rule):
        side = "top" if m.group(1) == "Above" else "bottom"
        return f"2 of 3 months were at or beyond the {side} of the normal range, to {when}"
    return f"an unusual pattern in the monthly figures, to {when}"


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
    change = line.change
    if line.significant and change:
        lower_better = line.kpi.polarity == "lower-is-better"
        return "better" if (change < 0) == lower_better else "worse"
    if line.spc.signal:
        return _SPC_DIRECTION.get(line.spc.point_type or "", "neutral")
    return "neutral"


Z_CAP = 6.0
"""Changes beyond this many standard errors rank alike (then by the size of the % change):
with large counts every real change is 'p < 0.001', and the size is what a reader weighs."""


def change_z(line: KpiLine) -> float:
    """The size of the change in standard errors, from the two-sided p-value (0 if untested)."""
    p = line.get("p_value")
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
        return f"{line.kpi.label} has no figure for {line.get('period')}"
    return f"{line.kpi.label} was {value_text(line.value, line.kpi.unit)} in {line.get('period')}"


def _change_words(line: KpiLine) -> str | None:
    kpi = line.kpi
    value, base, change, pct = line.value, line.baseline_value, line.change, line.pct_change
    if value is None or base is None or change is None:
        return None
    baseline = line.get("baseline_period") or "the baseline"
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
