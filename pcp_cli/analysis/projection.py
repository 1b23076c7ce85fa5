"""Projecting a KPI's trend to a target date, with the seed-001 RAG (methods.md §6).

An ordinary least squares line through the monthly values (or rolling 12-month totals) of
the fitting window, t = 1..K, extended to the target month, with its prediction interval and
the probability of meeting the target (:mod:`pcp_cli.stats.projection`). The RAG follows the
seed-001 key for counts against a baseline: GREEN when the change against the baseline is
a significant improvement now and the trend projects the target is met (maintained); AMBER
when only one of the two holds; RED when neither does.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import polars as pl

from pcp_cli import text
from pcp_cli.analysis.columns import KPI_IDENTITY, Schema, fields_of, identity
from pcp_cli.analysis.compare import count_history
from pcp_cli.analysis.significance import (
    DEFAULT_ALPHA,
    ChangeTest,
    count_verdict,
    proportion_change,
)
from pcp_cli.engine import Engine, KpiPoints
from pcp_cli.errors import NoDataError, UsageError
from pcp_cli.kpis import Kpi
from pcp_cli.periods import Month, Period, month_text
from pcp_cli.stats.common import InsufficientDataError
from pcp_cli.stats.projection import (
    MIN_POINTS,
    LinearFit,
    TargetDirection,
    count_rag,
    fit_linear_trend,
    probability_of_meeting,
    project,
    projects_achievement,
    time_to_reach,
)

DEFAULT_WINDOW = 24
ROLLING = 12
METHOD = "OLS linear trend on t = 1..K (methods.md §6)"

COLUMNS: Schema = {
    **KPI_IDENTITY,
    "series": pl.String,
    "fit_from": pl.String,
    "fit_to": pl.String,
    "points": pl.Int32,
    "values": pl.List(pl.Float64),
    "intercept": pl.Float64,
    "slope": pl.Float64,
    "se_slope": pl.Float64,
    "p_slope": pl.Float64,
    "r_squared": pl.Float64,
    "sigma": pl.Float64,
    "target": pl.Float64,
    "target_direction": pl.String,
    "by": pl.String,
    "h": pl.Int32,
    "projection": pl.Float64,
    "mean_lower": pl.Float64,
    "mean_upper": pl.Float64,
    "pi_lower": pl.Float64,
    "pi_upper": pl.Float64,
    "confidence": pl.Float64,
    "probability": pl.Float64,
    "projects_achievement": pl.Boolean,
    "reaches_target": pl.String,
    "current_period": pl.String,
    "current_value": pl.Float64,
    "baseline_period": pl.String,
    "baseline_value": pl.Float64,
    "change_test": pl.String,
    "change_p": pl.Float64,
    "change_dispersion": pl.Float64,
    "change_p_poisson": pl.Float64,
    "change_verdict": pl.String,
    "alpha": pl.Float64,
    "significant_improvement": pl.Boolean,
    "rag": pl.String,
    "rag_reason": pl.String,
}


@dataclass(frozen=True)
class Target:
    """``value`` as given, or a change in percent against the baseline when ``relative``."""

    value: float
    relative: bool = False


def parse_target(text: str) -> Target:
    """``95`` (a value) or ``-5%`` (a change against the baseline level)."""
    raw = text.strip().replace(",", "")
    try:
        if raw.endswith("%"):
            return Target(float(raw[:-1]), relative=True)
        return Target(float(raw))
    except ValueError:
        raise UsageError(
            f"--target '{text}' is not a number",
            hint="give a value (95) or a change against the baseline (-5%)",
        ) from None


@dataclass(frozen=True)
class TrendSeries:
    """The series whose trend is fitted: the months from ``start`` to ``end`` (``None``: up
    to 24 months with data, to the latest month held), each point a month's value or, with
    ``rolling``, the 12 months' total (a rate's value over the 12 months) to that month."""

    start: Month | None = None
    end: Month | None = None
    rolling: bool = False


@dataclass(frozen=True)
class ProjectPlan:
    """Project the trend of ``series`` to ``by`` against ``target`` (``direction`` None: from
    the KPI's polarity); the RAG's test compares ``current`` (None: the latest 12 months)
    with ``baseline`` (None: the period before it, or a year earlier, as ``baseline_vs``)."""

    target: Target
    by: Month
    series: TrendSeries = TrendSeries()
    direction: TargetDirection | None = None
    current: Period | None = None
    baseline: Period | None = None
    baseline_vs: str = "previous"
    alpha: float = DEFAULT_ALPHA
    confidence: float = 0.95


@dataclass(frozen=True)
class ProjectOutcome:
    frame: pl.DataFrame
    summary: str
    warnings: tuple[str, ...]


def target_direction(kpi: Kpi, given: TargetDirection | None) -> TargetDirection:
    if given is not None:
        return given
    if kpi.polarity == "lower-is-better":
        return "at-most"
    if kpi.polarity == "higher-is-better":
        return "at-least"
    raise UsageError(
        f"{kpi.id} is neutral: say whether the target is a ceiling or a floor",
        hint="give --direction at-most (stay at or below) or --direction at-least",
    )


def _window(
    points: KpiPoints, plan: ProjectPlan, warnings: list[str]
) -> tuple[Month, Month, list[float]]:
    """The fitting window (first, last month) and its values (monthly or rolling 12)."""
    kpi = points.kpi
    frame = points.frame
    ok = points.ok
    if not ok.height:
        raise NoDataError(f"no data for {kpi.id} for {points.force}")
    series = plan.series
    end = series.end if series.end is not None else int(ok["start"].max())  # type: ignore[arg-type]
    by_month = {int(r["start"]): r for r in frame.iter_rows(named=True)}
    need = ROLLING if series.rolling else 1

    def usable(m: Month) -> bool:
        return all(
            (r := by_month.get(x)) is not None and r["status"] == "ok"
            for x in range(m - need + 1, m + 1)
        )

    if series.start is not None:
        start = series.start
        bad = [m for m in range(start, end + 1) if not usable(m)]
        if bad:
            what = "12 months of data before it" if series.rolling else "data"
            raise NoDataError(
                f"{kpi.id} for {points.force}: {month_text(bad[0])}"
                + (f" and {len(bad) - 1} more month(s)" if len(bad) > 1 else "")
                + f" in the fitting window {month_text(start)}..{month_text(end)} lack {what}",
                hint="choose --from after the gap, or ingest the missing months",
            )
    else:
        if not usable(end):
            raise NoDataError(
                f"{kpi.id} for {points.force}: no usable data for {month_text(end)}"
                + (" and the 11 months before it" if series.rolling else ""),
                hint="choose --to, or ingest the missing months",
            )
        start = end
        while start - 1 > end - DEFAULT_WINDOW and usable(start - 1):
            start -= 1
        if end - start + 1 < DEFAULT_WINDOW:
            first_month = int(frame["start"].min())  # type: ignore[arg-type]
            reason = (
                "the data starts there" if start - need + 1 <= first_month else "a gap before it"
            )
            warnings.append(
                f"{kpi.id} ({points.force}): fitting {end - start + 1} months "
                f"({month_text(start)}..{month_text(end)}), not {DEFAULT_WINDOW}: {reason}"
            )
    values: list[float] = []
    for m in range(start, end + 1):
        rows = [by_month[x] for x in range(m - need + 1, m + 1)]
        if kpi.kind == "count":
            values.append(math.fsum(r["value"] for r in rows))
        else:
            num = math.fsum(r["numerator"] for r in rows)
            den = math.fsum(r["denominator"] for r in rows)
            if not den:
                raise NoDataError(f"{kpi.id}: zero denominator in the window ending {m}")
            values.append(num / den * kpi.scale)
    return start, end, values


def _change(
    engine: Engine, kpi: Kpi, force: str, current: Period, baseline: Period, alpha: float
) -> tuple[ChangeTest | None, float | None, float | None, str | None]:
    """The current-versus-baseline test, the two levels, or a reason it is not possible."""
    try:
        cur, base = engine.values(kpi, force, [current, baseline])
    except (NoDataError, UsageError) as exc:
        return None, None, None, exc.message
    if cur.value is None or base.value is None:
        return None, cur.value, base.value, "a value is undefined (zero denominator)"
    if kpi.kind == "count":
        history = count_history(engine, kpi, force, cur.dataset, current.end)
        change = count_verdict(
            cur.value, base.value, current.length, baseline.length, history, alpha
        )
    else:
        assert cur.numerator is not None and cur.denominator is not None
        assert base.numerator is not None and base.denominator is not None
        change = proportion_change(
            cur.numerator, cur.denominator, base.numerator, base.denominator, alpha, kpi.scale
        )
    return change, cur.value, base.value, None


def _level(kpi: Kpi, value: float, period: Period, rolling: bool) -> float:
    """A period's value on the scale of the fitted series (per month, or per 12 months)."""
    if kpi.kind != "count":
        return value
    return value / period.length * (ROLLING if rolling else 1)


def _scale_warning(kpi: Kpi, target: float, values: list[float], rolling: bool) -> str | None:
    """A count target on the wrong scale: a 12-month total against monthly values, or the
    other way round, would be met (or missed) trivially."""
    if kpi.kind != "count" or not values or target <= 0:
        return None
    low, high = min(values), max(values)
    if not rolling and target >= ROLLING / 2 * high > 0:
        return (
            f"the target {_fmt(target)} is {target / high:.1f}× the largest monthly value "
            f"fitted ({_fmt(high)}); for a 12-month total give --rolling-12"
        )
    if rolling and target <= 2 * low / ROLLING:
        return (
            f"the target {_fmt(target)} is {target / low:.2f}× the smallest 12-month total "
            f"fitted ({_fmt(low)}); for a month's value leave out --rolling-12"
        )
    return None


def project_kpi(
    engine: Engine, kpi: Kpi, force: str, force_name: str, plan: ProjectPlan
) -> ProjectOutcome:
    warnings: list[str] = []
    direction = target_direction(kpi, plan.direction)
    points, start, end, values = _history(engine, kpi, force, plan, warnings)
    fit = _fit(values, kpi, force)
    h = plan.by - start + 1
    current, baseline = _periods(plan, end)
    change, cur_value, base_value, why_not = _change(
        engine, kpi, force, current, baseline, plan.alpha
    )
    target = _target(kpi, force, plan, values, (baseline, base_value, why_not), warnings)
    proj = project(fit, h, plan.confidence)
    probability = probability_of_meeting(fit, h, target, direction)
    achieves = projects_achievement(fit, h, target, direction)
    reaches = _reaches(fit, target, direction, start)
    warnings += [f"{kpi.id} ({force}): {w}" for w in proj.warnings]
    improved = _improved(change, direction)
    if change is None:
        warnings.append(f"{kpi.id} ({force}): {_no_test(baseline, why_not)}")
    rag = count_rag(improved, achieves)
    outlook = (proj.value, target, achieves)
    reason = _rag_reason(kpi, plan, direction, rag, outlook, change, baseline)
    series = _series_name(kpi, plan)
    row = {
        **identity(kpi, force, force_name, points.dataset),
        "method": METHOD,
        "series": series,
        "fit_from": month_text(start),
        "fit_to": month_text(end),
        "points": fit.n,
        "values": values,
        "intercept": fit.intercept,
        "slope": fit.slope,
        "se_slope": fit.se_slope,
        "p_slope": fit.p_slope,
        "r_squared": fit.r_squared,
        "sigma": fit.sigma,
        "target": target,
        "target_direction": direction,
        "by": month_text(plan.by),
        "h": h,
        "projection": proj.value,
        "mean_lower": proj.mean_lower,
        "mean_upper": proj.mean_upper,
        "pi_lower": proj.pred_lower,
        "pi_upper": proj.pred_upper,
        "confidence": plan.confidence,
        "probability": probability,
        "projects_achievement": achieves,
        "reaches_target": reaches,
        "current_period": current.label,
        "current_value": cur_value,
        "baseline_period": baseline.label,
        "baseline_value": base_value,
        **fields_of(
            change,
            change_test="test",
            change_p="p_value",
            change_dispersion="dispersion",
            change_p_poisson="p_value_poisson",
            change_verdict="verdict",
        ),
        "alpha": plan.alpha,
        "significant_improvement": improved,
        "rag": rag,
        "rag_reason": reason,
    }
    frame = pl.DataFrame([row], schema=COLUMNS)
    summary = (
        f"{kpi.id}, {force_name}: {METHOD} of {fit.n} {series} "
        f"({month_text(start)}..{month_text(end)}): slope {fit.slope:+.4g} a month; "
        f"{month_text(plan.by)}: {_fmt(proj.value)} ({proj.confidence:.0%} prediction interval "
        f"{_fmt(proj.pred_lower)} to {_fmt(proj.pred_upper)}), chance of meeting the target "
        f"{text.probability(probability)}; {rag}: {reason}"
    )
    return ProjectOutcome(frame, summary, tuple(warnings))


def _history(
    engine: Engine, kpi: Kpi, force: str, plan: ProjectPlan, warnings: list[str]
) -> tuple[KpiPoints, Month, Month, list[float]]:
    """The monthly series to fit and its first and last month (``--by`` must be after)."""
    series = plan.series
    history_start = None
    if series.start is not None:
        history_start = series.start - (ROLLING - 1 if series.rolling else 0)
    points = engine.points(kpi, force, history_start, series.end)
    if points.span != 1:
        raise UsageError(
            f"{kpi.id} for {force} comes in blocks of {points.span} months; "
            "a projection needs monthly data"
        )
    warnings += [f"{kpi.id} ({force}): {n}" for n in points.notes]
    start, end, values = _window(points, plan, warnings)
    if plan.by <= end:
        raise UsageError(
            f"--by {month_text(plan.by)} is not after the fitting window "
            f"({month_text(start)}..{month_text(end)})",
            hint="the target date must be in the future of the data",
        )
    return points, start, end, values


def _fit(values: list[float], kpi: Kpi, force: str) -> LinearFit:
    try:
        return fit_linear_trend(values)
    except InsufficientDataError:
        raise NoDataError(
            f"{kpi.id} for {force}: {len(values)} month(s) to fit; a projection needs at "
            f"least {MIN_POINTS} (12 to 24 recommended)",
            hint="widen --from/--to or ingest more months",
        ) from None


def _periods(plan: ProjectPlan, end: Month) -> tuple[Period, Period]:
    """The period tested (the latest 12 months unless given) and its baseline."""
    current = plan.current or Period(end - ROLLING + 1, end, "rolling")
    return current, _baseline(plan, current)


def _baseline(plan: ProjectPlan, current: Period) -> Period:
    if plan.baseline is not None:
        return plan.baseline
    if plan.baseline_vs in ("last-year", "year"):
        return current.year_earlier()
    return current.preceding()


def _rag_reason(
    kpi: Kpi,
    plan: ProjectPlan,
    direction: str,
    rag: str,
    outlook: tuple[float, float, bool],
    change: ChangeTest | None,
    baseline: Period,
) -> str:
    """Why the RAG is what it is: the test against the baseline and the trend's outlook
    (``outlook``: the projected value, the target, whether the projection meets it)."""
    projected, target, achieves = outlook
    unit = "" if kpi.unit == "%" else f" {kpi.unit}"
    pct = "%" if kpi.unit == "%" else ""
    meets = "at or below" if direction == "at-most" else "at or above"
    trend_text = (
        f"the trend projects {_fmt(projected)}{pct} by {month_text(plan.by)}, "
        + ("meeting" if achieves else "missing")
        + f" the target ({meets} {_fmt(target)}{pct}{unit})"
    )
    if change is not None and change.p_value is not None:
        test_text = (
            f"{change.verdict} against {baseline.label}, {change.test} "
            f"{text.p_value(change.p_value, change.alpha)}"
        )
    elif change is not None:
        test_text = f"{change.verdict} against {baseline.label}"
    else:
        test_text = f"no test against {baseline.label}"
    return {
        "GREEN": f"significant improvement now ({test_text}) and {trend_text}",
        "AMBER": (
            f"no significant improvement yet ({test_text}) but {trend_text}"
            if achieves
            else f"significant improvement now ({test_text}) but {trend_text}"
        ),
        "RED": f"no significant improvement ({test_text}) and {trend_text}",
    }[rag]


def _target(
    kpi: Kpi,
    force: str,
    plan: ProjectPlan,
    values: list[float],
    base: tuple[Period, float | None, str | None],
    warnings: list[str],
) -> float:
    """The target value: given, or ``--target ±N%`` of the baseline's level."""
    baseline, base_value, why_not = base
    if plan.target.relative:
        if base_value is None:
            raise NoDataError(
                f"--target {plan.target.value:+g}% needs the baseline {baseline.label}: {why_not}",
                hint="give --baseline PERIOD, or a target value",
            )
        level = _level(kpi, base_value, baseline, plan.series.rolling)
        return level * (1 + plan.target.value / 100)
    target = plan.target.value
    scale = _scale_warning(kpi, target, values, plan.series.rolling)
    if scale:
        warnings.append(f"{kpi.id} ({force}): {scale}")
    return target


def _reaches(fit: LinearFit, target: float, direction: str, start: Month) -> str | None:
    """The first month from which the fitted line meets the target (may be in the window)."""
    reach = time_to_reach(fit, target)
    heading_right = (fit.slope < 0) == (direction == "at-most") and fit.slope != 0
    if reach is not None and heading_right:
        return month_text(start + max(1, math.ceil(reach)) - 1)
    return None


def _improved(change: ChangeTest | None, direction: str) -> bool:
    """A significant change in the target's direction (no test: not improved)."""
    if change is None:
        return False
    want = "significant decrease" if direction == "at-most" else "significant increase"
    return change.verdict == want


def _no_test(baseline: Period, why_not: str | None) -> str:
    return (
        f"no test against the baseline {baseline.label} ({why_not}); "
        "the RAG counts it as no significant improvement"
    )


def _series_name(kpi: Kpi, plan: ProjectPlan) -> str:
    """What the fitted points are: monthly values or rolling 12-month totals/values."""
    if not plan.series.rolling:
        return "monthly values"
    return "rolling 12-month totals" if kpi.kind == "count" else "rolling 12-month values"


def _fmt(value: float) -> str:
    return text.level(value, "")
