"""Plain words for the report: the SPC status of a period and the per-KPI headline.

A headline is written only where something is statistically notable: the change against
the baseline is significant (the compare verdict at the report's alpha), or the XmR chart
shows special cause variation in the report period. Noise gets no headline.
"""

from __future__ import annotations

import math
import re

import polars as pl

from pcp_cli.analysis.spc import exceptional_text
from pcp_cli.periods import Period, month_text
from pcp_cli.report.model import KpiLine, SpcStatus

_UPPER = "above the upper control limit"
_LOWER = "below the lower control limit"


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
    """The SPC status of ``period`` from an XmR frame (analysis.spc) ending at its last month."""
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
            detail=f"common cause variation: no special cause in {period.label}",
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
        return words.replace("upper limit", "upper control limit").replace(
            "lower limit", "lower control limit"
        )
    rule = "Above UCL" if high else "Below LCL"
    count = inside.filter(pl.col("rule") == rule).height
    where = _UPPER if high else _LOWER
    months = "month" if inside.height == 1 else "months"
    return f"{count} of the {inside.height} {months} of {period.label} {where}"


_TREND = re.compile(r"(\d+) Point Trend \((Increasing|Decreasing)\)")
_SHIFT = re.compile(r"(\d+) Points (Above|Below) CL")
_TWO = re.compile(r"2 in 3 (Above|Below) CL")


def _rule_words(rule: str, period: str) -> str:
    if m := _TREND.fullmatch(rule):
        way = "higher" if m.group(2) == "Increasing" else "lower"
        return (
            f"a trend: {m.group(1)} or more months in a row each {way} than the last, to {period}"
        )
    if m := _SHIFT.fullmatch(rule):
        side = "above" if m.group(2) == "Above" else "below"
        return f"a shift: {m.group(1)} or more months in a row {side} the average, to {period}"
    if m := _TWO.fullmatch(rule):
        side = "upper" if m.group(1) == "Above" else "lower"
        return f"2 of 3 months close to or beyond the {side} control limit, to {period}"
    return f"special cause variation ({rule}) in {period}"


# -- headlines ---------------------------------------------------------------------------------
def headline(line: KpiLine) -> str | None:
    """'All crime rose 8.4% (23,116 vs 21,327), a significant increase; ...' or None.

    None unless the change is significant or the SPC chart shows special cause variation
    in the report period.
    """
    if not (line.significant or line.spc.signal):
        return None
    kpi = line.kpi
    value, base, change, pct = line.value, line.baseline_value, line.change, line.pct_change
    parts: list[str] = []
    if value is not None and base is not None and change is not None:
        direction = "rose" if change > 0 else "fell" if change < 0 else "was unchanged"
        figures = f"({value_text(value, kpi.unit)} vs {value_text(base, kpi.unit)})"
        if change == 0:
            text = f"{kpi.label} was unchanged {figures}"
        elif kpi.unit == "%":
            text = f"{kpi.label} {direction} {number(abs(change), 1)} points {figures}"
        elif pct is not None:
            text = f"{kpi.label} {direction} {number(abs(pct), 1)}% {figures}"
        else:
            text = f"{kpi.label} {direction} by {number(abs(change), 0)} {figures}"
        if line.significant:
            text += f", a {line.verdict}"
        elif line.verdict:
            text += ", not a significant change"
        parts.append(text)
    else:
        parts.append(f"{kpi.label}: {value_text(value, kpi.unit)} in {line.get('period')}")
    if line.spc.signal:
        parts.append(line.spc.detail)
    return "; ".join(parts)
