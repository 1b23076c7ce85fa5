"""`pcp project` as one call: the plan (target, dates, periods) and the projection."""

from __future__ import annotations

from dataclasses import dataclass

from pcp_cli.analysis.projection import (
    ProjectOutcome,
    ProjectPlan,
    TrendSeries,
    parse_target,
    project_kpi,
)
from pcp_cli.app.context import Context
from pcp_cli.app.window import anchor_month, month_range
from pcp_cli.kpis import Kpi
from pcp_cli.periods import Month, Period, parse_month, parse_period
from pcp_cli.stats.projection import TargetDirection

_PREVIOUS = ("previous", "prev", "preceding")
_LAST_YEAR = ("last-year", "year")


@dataclass(frozen=True)
class ProjectRequest:
    """The options of one projection, as given (``target``: ``1800`` or ``-5%``)."""

    kpi: Kpi
    target: str
    by: str
    from_month: str | None = None
    to_month: str | None = None
    rolling: bool = False
    direction: TargetDirection | None = None
    current: str | None = None
    baseline: str = "previous"
    alpha: float = 0.05
    confidence: float = 0.95


def check_request(request: ProjectRequest) -> tuple[Month | None, Month | None]:
    """The usage errors that need no store (the target, the dates and their order); the
    months the trend is fitted over (None: from the first, or to the latest, held)."""
    parse_target(request.target)
    parse_month(request.by)
    return month_range(request.from_month, request.to_month)


def run_projection(context: Context, force: str, request: ProjectRequest) -> ProjectOutcome:
    """Project the KPI's trend for ``force`` to ``request.by`` and rate it (seed 001)."""
    engine, registry = context.engine, context.registry
    start, end = check_request(request)
    # Relative --current/--baseline periods end at --to, or at the KPI's latest month.
    latest = anchor_month(engine, [request.kpi], [force], request.to_month)
    current: Period | None = None
    if request.current:
        current = parse_period(request.current, latest=latest)
    baseline: Period | None = None
    vs = request.baseline.strip().lower()
    if vs not in (*_PREVIOUS, *_LAST_YEAR):
        baseline = parse_period(request.baseline, latest=latest)
    plan = ProjectPlan(
        target=parse_target(request.target),
        by=parse_month(request.by),
        series=TrendSeries(start, end, request.rolling),
        direction=request.direction,
        current=current,
        baseline=baseline,
        baseline_vs="last-year" if vs in _LAST_YEAR else "previous",
        alpha=request.alpha,
        confidence=request.confidence,
    )
    return project_kpi(engine, request.kpi, force, registry.name(force), plan)
