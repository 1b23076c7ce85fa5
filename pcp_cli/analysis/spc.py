"""Statistical process control of a KPI's series: XmR charts (NHS "Making Data Count") and
the iQuanta-style recent-6 against previous-12 comparison (seed 001).

The statistics are :func:`pcp_cli.stats.spc.xmr_analysis` and
:func:`pcp_cli.stats.iquanta.iquanta_compare`; this module feeds them the engine's point
series (:meth:`pcp_cli.engine.Engine.points`), splits at gaps, and words the results.

A gap in the series (a month with no data, or an undefined rate) is never joined over: the
chart restarts after it with its own limits, exactly as at a rebase. Points are never
imputed.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from typing import Literal

import polars as pl

from pcp_cli import text
from pcp_cli.analysis.columns import KPI_IDENTITY, MONTH_POINT, Schema, identity
from pcp_cli.analysis.significance import DEFAULT_ALPHA, count_change
from pcp_cli.engine import KpiPoints
from pcp_cli.errors import NoDataError, UsageError
from pcp_cli.kpis import Polarity
from pcp_cli.periods import Month, month_text
from pcp_cli.stats.common import InsufficientDataError
from pcp_cli.stats.iquanta import (
    BASELINE_MONTHS,
    RECENT_MONTHS,
    REQUIRED_MONTHS,
    LineMethod,
    iquanta_compare,
)
from pcp_cli.stats.spc import (
    MDC_OPTIONS,
    MIN_POINTS,
    POINT_LIMITS,
    WARN_BELOW_POINTS,
    ImprovementDirection,
    SpcResult,
    XmrOptions,
    xmr_analysis,
)

SpcMethod = Literal["xmr", "iquanta"]

DEFAULT_SPC_MONTHS = 36
"""The XmR chart behind the SPC status uses (up to) this many months to the period end."""

XMR_METHOD = "XmR (NHS Making Data Count)"
IQUANTA_METHOD = "iQuanta-style: recent 6 months vs previous 12"

_DIRECTION: dict[str, ImprovementDirection] = {
    "lower-is-better": "decrease",
    "higher-is-better": "increase",
    "neutral": "neutral",
}


def improvement_direction(polarity: Polarity) -> ImprovementDirection:
    """The MDC improvement direction of a KPI polarity (lower-is-better: "decrease")."""
    return _DIRECTION[polarity]


@dataclass(frozen=True)
class SpcOptions:
    """Chart options: the XmR chart's (MDC's by default: screening on, MDC 2023 2-in-3, runs
    of 7; its improvement direction is set from each KPI's polarity), the months its limits
    restart at, and the iQuanta-style comparison's lines and significance level."""

    chart: XmrOptions = MDC_OPTIONS
    rebase: tuple[Month, ...] = ()
    lines: LineMethod = "monthly"
    alpha: float = DEFAULT_ALPHA


@dataclass(frozen=True)
class SpcOutcome:
    """Per-point rows for output, a one-line summary, and warnings for stderr."""

    frame: pl.DataFrame
    summary: str
    warnings: tuple[str, ...] = field(default=())


XMR_COLUMNS: Schema = {
    **KPI_IDENTITY,
    **MONTH_POINT,
    "numerator": pl.Float64,
    "denominator": pl.Float64,
    "status": pl.String,
    "group": pl.Int32,
    "in_baseline": pl.Boolean,
    "mean": pl.Float64,
    "amr": pl.Float64,
    **POINT_LIMITS,
    "rule": pl.String,
    "point_type": pl.String,
    "special_cause": pl.Boolean,
    "improvement_direction": pl.String,
    "screened": pl.Boolean,
    "two_in_three": pl.String,
    "run_length": pl.Int32,
    "baseline_points": pl.Int32,
    "target": pl.Float64,
    "variation": pl.String,
    "assurance": pl.String,
}

IQUANTA_COLUMNS: Schema = {
    **KPI_IDENTITY,
    **MONTH_POINT,
    "window": pl.String,
    "baseline_mean": pl.Float64,
    "baseline_sd": pl.Float64,
    "recent_mean": pl.Float64,
    "lower_line": pl.Float64,
    "upper_line": pl.Float64,
    "lines": pl.String,
    "line_z": pl.Float64,
    "rag": pl.String,
    "recent_total": pl.Float64,
    "baseline_total": pl.Float64,
    "poisson_test": pl.String,
    "poisson_z": pl.Float64,
    "poisson_p": pl.Float64,
    "poisson_verdict": pl.String,
}


def _unit_word(span: int, n: int = 2) -> str:
    word = {1: "month", 3: "quarter"}.get(span, "point")
    return word if n == 1 else word + "s"


def _fmt(value: float) -> str:
    return text.value(value, "")


def _header(points: KpiPoints, force_name: str) -> dict[str, object]:
    return identity(points.kpi, points.force, force_name, points.dataset)


def _gap_warnings(points: KpiPoints) -> list[str]:
    out = []
    for first, last in points.gaps:
        where = month_text(first) if first == last else f"{month_text(first)}..{month_text(last)}"
        out.append(
            f"{points.kpi.id} ({points.force}): no data for {where}; the chart restarts after "
            "the gap (runs and moving ranges never cross it)"
        )
    undefined = points.frame.filter(pl.col("status") == "undefined")["period"].to_list()
    if undefined:
        out.append(
            f"{points.kpi.id} ({points.force}): value undefined (zero denominator) in "
            f"{', '.join(undefined)}; treated as a gap"
        )
    return out


def drop_short_first_runs(points: KpiPoints) -> KpiPoints:
    """Leave out runs before a gap too short for limits, when the user chose no start.

    A store that holds an old quarter beside recent years (a one-off MSG extract, say)
    would otherwise refuse the whole chart. What is left out is said in ``notes``; with an
    explicit --from the chart stays strict and names the short run instead.
    """
    ok = points.ok
    if ok.height == 0:
        return points
    segments = ok["segment"].to_list()
    starts = ok["start"].to_list()
    runs: list[tuple[int, int]] = []  # (first index, length) in ok
    for i, seg in enumerate(segments):
        if i and seg == segments[i - 1]:
            runs[-1] = (runs[-1][0], runs[-1][1] + 1)
        else:
            runs.append((i, 1))
    dropped = 0
    while dropped < len(runs) - 1 and runs[dropped][1] < MIN_POINTS:
        dropped += 1
    if not dropped or runs[dropped][1] < MIN_POINTS:
        return points  # nothing to leave out, or nothing worth charting after it
    keep_from = starts[runs[dropped][0]]
    left_out = [
        f"{ok['period'][a]}..{ok['period'][a + n - 1]} ({n} {_unit_word(points.span, n)})"
        if n > 1
        else f"{ok['period'][a]} (1 {_unit_word(points.span, 1)})"
        for a, n in runs[:dropped]
    ]
    note = (
        f"left out before the gap, too short for limits: {', '.join(left_out)}; "
        f"the chart starts at {month_text(keep_from)} (give --from to chart another range)"
    )
    return replace(
        points,
        frame=points.frame.filter(pl.col("start") >= keep_from),
        gaps=tuple(g for g in points.gaps if g[0] > keep_from),
        notes=(*points.notes, note),
    )


# -- XmR --------------------------------------------------------------------------------------


def xmr(points: KpiPoints, options: SpcOptions, force_name: str) -> SpcOutcome:
    """The MDC XmR chart of a KPI's series (see the module docstring for gaps)."""
    kpi = points.kpi
    ok = points.ok
    n = ok.height
    what = f"{kpi.id} for {points.force}"
    if n < MIN_POINTS:
        raise NoDataError(
            f"{what}: only {n} {_unit_word(points.span, n)} with data; an XmR chart needs at "
            f"least {MIN_POINTS} (12 or more for robust limits)",
            hint="widen --from/--to or ingest more months",
        )
    segments = ok["segment"].to_list()
    starts = ok["start"].to_list()
    breaks = [i for i in range(1, n) if segments[i] != segments[i - 1]]
    rebase_positions = []
    for month in options.rebase:
        if month not in starts:
            raise UsageError(
                f"--rebase {month_text(month)}: not a point of the {kpi.id} series for "
                f"{points.force}",
                hint=f"the series has points from {month_text(starts[0])} to "
                f"{month_text(starts[-1])}",
            )
        rebase_positions.append(starts.index(month))
    group_starts = sorted(set(breaks) | set(rebase_positions) - {0})
    chart = replace(options.chart, improvement_direction=improvement_direction(kpi.polarity))
    try:
        result = xmr_analysis(ok["value"].to_list(), chart, rebase_at=group_starts)
    except InsufficientDataError as exc:
        bounds = [0, *group_starts, n]
        short = [
            (bounds[i], bounds[i + 1])
            for i in range(len(bounds) - 1)
            if bounds[i + 1] - bounds[i] < MIN_POINTS
        ]
        join = ".." if points.span == 1 else " to "
        where = ", ".join(
            f"{ok['period'][a]}{join}{ok['period'][b - 1]} ({b - a} points)" for a, b in short
        )
        raise NoDataError(
            f"{what}: a part of the chart between gaps or rebases is too short for limits "
            f"({where or exc}); each needs at least {MIN_POINTS} points",
            hint="choose --from after the gap, or move --rebase",
        ) from None
    warnings = _gap_warnings(points) + [f"{what}: {w}" for w in result.summary.warnings]
    baseline = chart.fix_after_n_points
    if baseline is not None and baseline < WARN_BELOW_POINTS:
        warnings.append(f"{what}: --baseline {baseline} is shorter than MDC's 12-point minimum")
    frame = _xmr_frame(points, result, options, force_name)
    return SpcOutcome(frame, _xmr_summary(points, result, options, frame), tuple(warnings))


def _method_text(options: SpcOptions) -> str:
    chart = options.chart
    parts = [
        "MR screened" if chart.screen_outliers else "MR not screened",
        f"2-in-3 {'MDC 2023' if chart.two_in_three == 'mdc2023' else 'NHSRplotthedots'}",
        f"runs of {chart.trend_length}",
    ]
    if chart.fix_after_n_points:
        parts.append(f"limits from the first {chart.fix_after_n_points} points")
    return f"{XMR_METHOD}; {', '.join(parts)}"


def _xmr_frame(
    points: KpiPoints, result: SpcResult, options: SpcOptions, force_name: str
) -> pl.DataFrame:
    summary = result.summary
    chart = summary.options
    chart_points = result.points.to_dicts()
    groups = summary.groups
    head = _header(points, force_name)
    method = _method_text(options)
    rows = []
    k = 0
    for p in points.frame.iter_rows(named=True):
        row: dict[str, object] = {
            **head,
            "method": method,
            "period": p["period"],
            "start": month_text(p["start"]),
            "end": month_text(p["end"]),
            "value": p["value"],
            "numerator": p["numerator"],
            "denominator": p["denominator"],
            "status": p["status"],
            "improvement_direction": chart.improvement_direction,
            "screened": chart.screen_outliers,
            "two_in_three": chart.two_in_three,
            "run_length": chart.trend_length,
            "baseline_points": chart.fix_after_n_points,
            "target": chart.target,
            "variation": summary.variation,
            "assurance": summary.assurance,
        }
        if p["status"] == "ok":
            c = chart_points[k]
            g = groups[c["group"]]
            row.update(
                {
                    "group": c["group"],
                    "in_baseline": c["index"] - g.start < g.n_baseline,
                    "mean": c["mean"],
                    "amr": g.amr,
                    **{column: c[column] for column in POINT_LIMITS},
                    "rule": c["rule"],
                    "point_type": c["point_type"],
                    "special_cause": c["point_type"] != "common_cause",
                }
            )
            k += 1
        else:
            row.update({"rule": "No data" if p["status"] == "missing" else "Undefined"})
            row.update({"point_type": p["status"], "special_cause": False})
        rows.append(row)
    return pl.DataFrame(rows, schema=XMR_COLUMNS)


def exceptional_text(frame: pl.DataFrame, span: int) -> str:
    """Words for the latest run of points outside the limits.

    A run is points outside the same limit with at most two points between them (so
    "6 of the last 7 months above the upper limit"); months with no data end a run.
    """
    ok = frame.filter(pl.col("status") == "ok")
    n = ok.height
    above = ok["value"] > ok["upl"]
    below = ok["value"] < ok["lpl"]
    sides = [1 if a else -1 if b else 0 for a, b in zip(above, below, strict=True)]
    outside = [i for i, s in enumerate(sides) if s]
    if not outside:
        return f"no {_unit_word(span, 1)} outside the limits"
    last = outside[-1]
    side = sides[last]
    first = last
    count = 1
    groups = ok["group"].to_list()
    for i in reversed(outside[:-1]):
        if sides[i] != side or first - i - 1 > 2 or groups[i] != groups[first]:
            break
        if any(sides[j] == -side for j in range(i + 1, first)):
            break
        first = i
        count += 1
    where = "above the upper limit" if side > 0 else "below the lower limit"
    periods = ok["period"].to_list()
    if last == n - 1:
        length = n - first
        unit = _unit_word(span, length)
        if count == length == 1:
            return f"statistically exceptional: the latest {_unit_word(span, 1)} is {where}"
        return f"statistically exceptional: {count} of the last {length} {unit} {where}"
    stretch = periods[first] if first == last else f"{periods[first]}..{periods[last]}"
    return (
        f"statistically exceptional: {count} {_unit_word(span, count)} {where} ({stretch}); "
        f"the latest, {periods[-1]}, is within the limits"
    )


def _xmr_summary(
    points: KpiPoints, result: SpcResult, options: SpcOptions, frame: pl.DataFrame
) -> str:
    s = result.summary
    ok = frame.filter(pl.col("status") == "ok")
    last = ok.row(ok.height - 1, named=True)
    parts = [
        f"{points.kpi.id}, {frame['force_name'][0]}: {_method_text(options)}",
        f"{s.n_points} {_unit_word(points.span, s.n_points)}",
        f"mean {_fmt(s.current.mean)}, limits {_fmt(s.current.lpl)} to {_fmt(s.current.upl)}"
        + (" (latest group)" if len(s.groups) > 1 else ""),
        exceptional_text(frame, points.span),
    ]
    if last["rule"] not in ("Common Cause", "Above UCL", "Below LCL"):
        parts.append(f"latest point: {last['rule']} ({last['point_type'].replace('_', ' ')})")
    parts.append(f"variation: {s.variation.replace('_', ' ')}")
    target = s.options.target
    if s.assurance is not None:
        parts.append(
            f"assurance against target {_fmt(target or 0)}: {s.assurance.replace('_', ' ')}"
        )
    elif target is not None:
        parts.append("no assurance for a neutral KPI")
    return "; ".join(parts)


# -- iQuanta-style -----------------------------------------------------------------------------


def iquanta(points: KpiPoints, options: SpcOptions, force_name: str) -> SpcOutcome:
    """Mean of the latest 6 months against the 12 before, lines at ±1.96 SD (seed 001)."""
    kpi = points.kpi
    what = f"{kpi.id} for {points.force}"
    if points.span != 1:
        raise UsageError(
            f"{what}: the iQuanta-style comparison needs monthly data; the "
            f"{points.dataset} data comes in blocks of {points.span} months",
            hint="use the XmR chart (the default --method xmr)",
        )
    window = points.frame.tail(REQUIRED_MONTHS)
    bad = window.filter(pl.col("status") != "ok")
    if window.height < REQUIRED_MONTHS or bad.height:
        missing = ", ".join(bad["period"].to_list())
        raise NoDataError(
            f"{what}: insufficient data for the iQuanta-style comparison: it needs "
            f"{REQUIRED_MONTHS} consecutive months with data ({BASELINE_MONTHS} baseline + "
            f"{RECENT_MONTHS} recent); "
            + (f"missing {missing}" if missing else f"{window.height} available"),
            hint="choose --to so the 18 months before it are complete",
        )
    values = window["value"].to_list()
    counts = kpi.kind == "count"
    result = iquanta_compare(values, kpi.polarity, line_method=options.lines, counts=counts)
    recent_total = math.fsum(values[BASELINE_MONTHS:])
    baseline_total = math.fsum(values[:BASELINE_MONTHS])
    change = None
    if counts:
        change = count_change(
            recent_total, baseline_total, RECENT_MONTHS, BASELINE_MONTHS, options.alpha
        )
    lines_text = "±1.96 SD" if options.lines == "monthly" else "±1.96 SD/√6 (mean-level)"
    method = f"{IQUANTA_METHOD}, lines {lines_text}"
    head = _header(points, force_name)
    rows = []
    for i, p in enumerate(window.iter_rows(named=True)):
        rows.append(
            {
                **head,
                "method": method,
                "period": p["period"],
                "start": month_text(p["start"]),
                "end": month_text(p["end"]),
                "value": p["value"],
                "window": "baseline" if i < BASELINE_MONTHS else "recent",
                "baseline_mean": result.baseline_mean,
                "baseline_sd": result.baseline_sd,
                "recent_mean": result.recent_mean,
                "lower_line": result.lower,
                "upper_line": result.upper,
                "lines": result.line_method,
                "line_z": result.line_z,
                "rag": result.rag,
                "recent_total": recent_total if counts else None,
                "baseline_total": baseline_total if counts else None,
                "poisson_test": change.test if change else None,
                "poisson_z": change.statistic if change else None,
                "poisson_p": change.p_value if change else None,
                "poisson_verdict": change.verdict if change else None,
            }
        )
    frame = pl.DataFrame(rows, schema=IQUANTA_COLUMNS)
    recent = f"{window['period'][BASELINE_MONTHS]}..{window['period'][-1]}"
    base = f"{window['period'][0]}..{window['period'][BASELINE_MONTHS - 1]}"
    summary = (
        f"{kpi.id}, {force_name}: {method}: recent mean {_fmt(result.recent_mean)} ({recent}) "
        f"against baseline mean {_fmt(result.baseline_mean)} ({base}), lines "
        f"{_fmt(result.lower)} to {_fmt(result.upper)}: {result.rag}"
    )
    if change is not None and change.p_value is not None:
        summary += (
            f"; Poisson {change.test} of the monthly rates "
            f"{text.p_value(change.p_value, change.alpha)}: "
            f"{change.verdict}"
        )
    elif not counts:
        summary += "; no Poisson comparison (not a count)"
    warnings = [f"{what}: {w}" for w in result.warnings]
    return SpcOutcome(frame, summary, tuple(warnings))


def run(points: KpiPoints, method: SpcMethod, options: SpcOptions, force_name: str) -> SpcOutcome:
    """Dispatch on ``method``: "xmr" (default) or "iquanta"."""
    if method == "iquanta":
        return iquanta(points, options, force_name)
    return xmr(points, options, force_name)
