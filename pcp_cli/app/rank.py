"""`pcp rank` (and the rank charts) as one call: the window, the comparator group and the
rankings of a home force among its peers."""

from __future__ import annotations

from dataclasses import dataclass, field

from pcp_cli.analysis.peers.groups import Comparator, resolve_comparator
from pcp_cli.analysis.peers.ranking import RankPlan
from pcp_cli.analysis.peers.tables import RankResult, rank
from pcp_cli.app.context import Context
from pcp_cli.app.window import Window, anchor_month, resolve_window
from pcp_cli.errors import NoDataError, UsageError
from pcp_cli.kpis import Kpi


@dataclass(frozen=True)
class RankRequest:
    """The options of one ranking (``ddof`` 1: sample SD, 0: population SD)."""

    kpis: list[Kpi]
    period: str = "12m"
    vs: str = "last-year"
    to_month: str | None = None
    group_spec: str = "msg"
    weighted: bool = False
    ddof: int = 1
    exclude_incomplete: bool = False
    must_hold_data: bool = False  # a chart: no data is an error even for an absolute period


@dataclass
class RankOutcome:
    """The rank tables, the window and group they are for, and diagnostics."""

    result: RankResult
    window: Window
    comparator: Comparator
    warnings: list[str] = field(default_factory=list)


def run_rank(context: Context, force: str, request: RankRequest) -> RankOutcome:
    """Rank ``force`` in the group ``request.group_spec`` names (MSG by default)."""
    engine, registry = context.engine, context.registry
    home = registry.forces[force]
    if not home.territorial:
        raise UsageError(
            f"{home.name} is not a territorial police force: it has no population and "
            "is never ranked",
            hint="give one of the 43 territorial forces",
        )
    kpis = request.kpis
    # Every territorial force's series in one query per dataset: the national ranks
    # need them all, and the latest month is read from the same cache.
    engine.preload(kpis, [f.id for f in registry.territorial])
    no_data = (
        f"no data for KPI {kpis[0].id} for {force}"
        if request.must_hold_data
        else f"the store holds no data for {home.name} for the selected KPIs"
    )
    if request.must_hold_data and anchor_month(engine, kpis, [force], request.to_month) is None:
        raise NoDataError(no_data, hint="see which months the store holds with 'pcp periods'")
    window = resolve_window(
        engine, kpis, [home.id], request.period, request.vs, request.to_month, no_data=no_data
    )
    comparator, warnings = resolve_comparator(
        request.group_spec, home, registry, context.groups, window.period
    )
    plan = RankPlan(
        kpis=kpis,
        home=home.id,
        period=window.period,
        baseline=window.baseline,
        comparator=comparator,
        mean_method="weighted" if request.weighted else "unweighted",
        ddof=request.ddof,
        exclude_incomplete=request.exclude_incomplete,
    )
    result = rank(engine, registry, context.populations, plan)
    return RankOutcome(result, window, comparator, [*warnings, *result.warnings])
