"""`pcp chart` as one call: the figures a chart plots (the CLI draws them).

The trend and SPC charts read one KPI of one force; the rank chart is ``pcp rank``'s
table for one KPI (:func:`pcp_cli.app.rank.run_rank`), so the chart and the table agree.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

import polars as pl

from pcp_cli.analysis.spc import SpcOptions
from pcp_cli.analysis.trend import YearTrend, year_on_year
from pcp_cli.app.context import Context
from pcp_cli.app.rank import RankRequest, run_rank
from pcp_cli.app.window import anchor_month, month_range
from pcp_cli.engine import Engine
from pcp_cli.errors import NoDataError, UsageError
from pcp_cli.events import KnownEvent
from pcp_cli.kpis import Kpi
from pcp_cli.periods import Month, parse_period

ChartKind = Literal["trend", "spc", "rank"]


@dataclass(frozen=True)
class ChartRequest:
    """What to chart: the SPC chart with ``spc`` options, the rank chart with ``rank`` (the
    request of ``pcp rank``), otherwise the year-on-year trend."""

    kpi: Kpi
    force: str
    period: str | None = None
    from_month: str | None = None
    to_month: str | None = None
    spc: SpcOptions | None = None
    rank: RankRequest | None = None


@dataclass
class ChartFigures:
    """The figures of one chart: ``trend`` (trend), or ``frame`` (the SPC chart's rows or
    the rank table), with a one-line summary and diagnostics."""

    kind: ChartKind
    trend: YearTrend | None = None
    frame: pl.DataFrame | None = None
    summary: str | None = None
    restarts: tuple[Month, ...] = ()  # SPC: limits restarted at declared events (not --rebase)
    events: tuple[KnownEvent, ...] = ()  # SPC: pcp.toml's [[event]]s, marked on the chart
    warnings: list[str] = field(default_factory=list)


def chart_figures(context: Context, request: ChartRequest) -> ChartFigures:
    """The figures ``request`` charts (see :class:`ChartFigures`)."""
    engine, kpi, force = context.engine, request.kpi, request.force
    if request.rank is not None:
        outcome = run_rank(context, force, request.rank)
        notes = outcome.result.notes
        return ChartFigures(
            "rank",
            frame=outcome.result.frame,
            summary=notes[-1] if notes else None,
            warnings=outcome.warnings,
        )
    if request.spc is not None:
        return _spc(engine, context, request, request.spc)
    latest = _latest(engine, kpi, force, request.to_month)
    return ChartFigures("trend", trend=year_on_year(engine, kpi, force, latest))


def _latest(engine: Engine, kpi: Kpi, force: str, to_month: str | None) -> Month:
    latest = anchor_month(engine, [kpi], [force], to_month)
    if latest is None:
        raise NoDataError(
            f"no data for KPI {kpi.id} for {force}",
            hint="see which months the store holds with 'pcp periods'",
        )
    return latest


def _spc(engine: Engine, context: Context, request: ChartRequest, spc: SpcOptions) -> ChartFigures:
    from pcp_cli.analysis.spc import run

    kpi, force, to_month = request.kpi, request.force, request.to_month
    start, end = month_range(request.from_month, to_month)
    if request.period is not None:
        if start is not None:
            raise UsageError("give --period or --from, not both")
        chosen = parse_period(request.period, latest=_latest(engine, kpi, force, to_month))
        start, end = chosen.start, chosen.end
    from pcp_cli.app.spc import with_event_restarts

    points, options = with_event_restarts(
        engine, engine.points(kpi, force, start, end), spc, context.settings.events
    )
    outcome = run(points, "xmr", options, context.registry.name(force))
    restarts = tuple(m for m in options.rebase if m not in spc.rebase)
    warnings = [
        line if line.startswith(kpi.id) else f"{kpi.id} ({force}): {line}"
        for line in (*points.notes, *outcome.warnings)
    ]
    return ChartFigures(
        "spc",
        frame=outcome.frame,
        summary=outcome.summary,
        restarts=restarts,
        events=tuple(context.settings.events),
        warnings=warnings,
    )
