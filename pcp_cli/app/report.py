"""`pcp report` as one call: the window, the plan and the panel paper's model."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime

from pcp_cli.app.areas import report_areas
from pcp_cli.app.context import Context
from pcp_cli.app.report_build import build_report
from pcp_cli.app.report_model import Report, ReportPlan
from pcp_cli.app.window import resolve_window
from pcp_cli.errors import NoDataError
from pcp_cli.periods import Period


@dataclass(frozen=True)
class ReportRequest:
    """The options of one report."""

    force: str
    period: str
    vs: str
    to_month: str | None
    group: str
    alpha: float
    spc_months: int
    generated_at: datetime
    by: str | None = None  # by-area tables: --by, else [report] by in pcp.toml, else none


def make_report(context: Context, request: ReportRequest) -> Report:
    """The report of one force (NoDataError when no KPI has data for it)."""
    engine, registry, settings = context.engine, context.registry, context.settings
    force = request.force
    window = resolve_window(
        engine,
        engine.catalogue.select("all"),
        [force],
        request.period,
        request.vs,
        request.to_month,
        no_data=f"the store holds no data for {registry.name(force)}",
    )
    rolling = Period(window.period.end - 11, window.period.end, "rolling")
    plan = ReportPlan(
        force=force,
        period=window.period,
        baseline=window.baseline,
        rolling=rolling,
        rolling_baseline=rolling.preceding(),
        group=request.group,
        alpha=request.alpha,
        spc_months=request.spc_months,
        events=settings.events,
        recording=settings.recording,
    )
    built = build_report(
        engine,
        registry,
        context.populations,
        plan,
        forces_path=settings.forces_path,
        store_path=settings.store_path,
        generated_at=request.generated_at,
        groups=settings.groups,
    )
    if not built.lines:
        raise NoDataError(
            f"no KPI has data for {built.force_name} in the store",
            hint="run 'pcp periods' to see what the store holds",
        )
    local = report_areas(engine, registry, built, request.by or settings.report_by)
    return replace(built, local=local) if local is not None else built
