"""A KPI's progress to the target the KPI file sets: one answer for `pcp project` and the report.

The target (:mod:`pcp_cli.targets`) becomes a :class:`ProjectPlan` here, and the projection,
its prediction interval and the seed-001 RAG are :func:`analysis.projection.project_kpi`'s:
`pcp project --kpi all-crime --to 2018-09` (no --target) and the report for Q2 2018/19
give the same figures.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pcp_cli.analysis.projection import (
    ProjectOutcome,
    ProjectPlan,
    Target,
    TrendSeries,
    project_kpi,
)
from pcp_cli.analysis.significance import DEFAULT_ALPHA
from pcp_cli.app.context import Context
from pcp_cli.engine import Engine
from pcp_cli.errors import PcpError, UsageError
from pcp_cli.kpis import Kpi
from pcp_cli.periods import Month, month_name, parse_month, parse_period
from pcp_cli.targets import KpiTarget


def target_plan(target: KpiTarget, end: Month | None, alpha: float = DEFAULT_ALPHA) -> ProjectPlan:
    """The projection the KPI file's target asks for, fitted up to ``end`` (None: the
    latest month held)."""
    baseline = None
    if target.vs is not None and target.vs not in ("previous", "last-year"):
        baseline = parse_period(target.vs)
    return ProjectPlan(
        target=Target(target.amount, relative=target.relative),
        by=target.by,
        series=TrendSeries(end=end, rolling=target.rolling),
        direction=target.direction,
        baseline=baseline,
        baseline_vs=target.vs if target.vs == "last-year" else "previous",
        alpha=alpha,
    )


def project_target(
    engine: Engine,
    kpi: Kpi,
    force: str,
    force_name: str,
    end: Month | None,
    alpha: float = DEFAULT_ALPHA,
) -> ProjectOutcome:
    """``kpi``'s projection to its target (the KPI must have one); errors as `pcp project`."""
    assert kpi.target is not None
    return project_kpi(engine, kpi, force, force_name, target_plan(kpi.target, end, alpha))


def run_file_target(
    context: Context, kpi: Kpi, force: str, to_month: str | None, alpha: float = DEFAULT_ALPHA
) -> ProjectOutcome:
    """``pcp project`` without --target/--by: the projection to the KPI file's target
    (the report's), fitted to ``to_month`` or the latest month held."""
    if kpi.target is None:
        raise UsageError(
            f"{kpi.id} has no target in {context.engine.catalogue.path}",
            hint='give --target and --by, or add target = { value = ..., by = "YYYY-MM" } '
            f"to [kpi.{kpi.id}]",
        )
    end = parse_month(to_month) if to_month else None
    return project_target(context.engine, kpi, force, context.registry.name(force), end, alpha)


@dataclass(frozen=True)
class TargetStatus:
    """A KPI's target in the report: the projection row of `pcp project`, or why none."""

    target: KpiTarget
    row: dict[str, Any] | None = None
    note: str = ""


def target_status(
    engine: Engine, kpi: Kpi, force: str, force_name: str, end: Month, alpha: float
) -> TargetStatus | None:
    """The report's view of ``kpi``'s target at the period end ``end``; None without one."""
    target = kpi.target
    if target is None:
        return None
    if target.by <= end:
        return TargetStatus(target, note=f"the target date {month_name(target.by)} has passed")
    try:
        outcome = project_target(engine, kpi, force, force_name, end, alpha)
    except PcpError as exc:
        return TargetStatus(target, note=f"no projection: {exc.message}")
    return TargetStatus(target, outcome.frame.row(0, named=True))
