"""A KPI broken down month by month: hate crime by strand, stop and search by object of
search (seeds 000 and 002), for ``pcp table`` and the report's breakdown tables.

The KPI file names the parts (``breakdown = ["hate-crime-race", ...]`` in ``[kpi.<id>]``).
Each part's monthly figures are the engine's monthly series for it, and the total row is
the KPI's own monthly series, not the sum of the parts: a crime can carry two strands (seed
002's "Total Hate Crime" is below the sum of its strands in 6 of 12 months), and not every
object of search has a KPI. A month the store does not hold for a KPI is None.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import polars as pl

from pcp_cli.app.context import Context
from pcp_cli.app.window import resolve_window
from pcp_cli.engine import Engine
from pcp_cli.errors import NoDataError, UsageError
from pcp_cli.kpis import Kpi
from pcp_cli.periods import Month, Period, parse_period

# The report shows the 12 months to the end of its period: seed 002 (a quarterly paper for
# Jul-Sep 2017) tabulates hate crime by strand from Oct 16 to Sep 17; seed 000 names only
# the quarter's three months, which the 12 include.
REPORT_MONTHS = "12m"

RowRole = Literal["part", "total"]


@dataclass(frozen=True)
class BreakdownRequest:
    kpi: Kpi
    force: str
    period: Period


@dataclass(frozen=True)
class BreakdownRow:
    """One KPI's figure in each month of the table; ``source`` is its dataset (None: no
    monthly data in the store)."""

    kpi: Kpi
    role: RowRole
    values: tuple[float | None, ...]
    source: str | None

    @property
    def total(self) -> float | None:
        """The row's sum over the months; None when a month is missing (a sum of the
        months held would read as the period's figure and be too low)."""
        if not self.values or any(v is None for v in self.values):
            return None
        return float(sum(v for v in self.values if v is not None))


@dataclass(frozen=True)
class Breakdown:
    kpi: Kpi
    force: str
    period: Period
    rows: tuple[BreakdownRow, ...]  # the parts in KPI-file order, then the total

    @property
    def months(self) -> tuple[Month, ...]:
        return tuple(self.period.months)

    @property
    def has_data(self) -> bool:
        """Some part has a figure (the report shows the table only then)."""
        return any(v is not None for r in self.rows if r.role == "part" for v in r.values)


def report_period(period: Period) -> Period:
    """The months of the report's breakdown tables: the 12 to the end of its period."""
    return parse_period(REPORT_MONTHS, latest=period.end)


@dataclass(frozen=True)
class TableRequest:
    """``pcp table``: one KPI for one force over ``period`` as given (``Q2``, ``12m``),
    anchored at ``to_month`` or the latest month the KPI and its parts hold."""

    kpi: Kpi
    force: str
    period: str
    to_month: str | None = None


def run_table(context: Context, request: TableRequest) -> Breakdown:
    """The window (:func:`pcp_cli.app.window.resolve_window`), then :func:`breakdown`."""
    engine = context.engine
    parts = [engine.catalogue.kpis[k] for k in request.kpi.breakdown]
    window = resolve_window(
        engine, [request.kpi, *parts], [request.force], request.period, to_month=request.to_month
    )
    return breakdown(engine, BreakdownRequest(request.kpi, request.force, window.period))


def breakdown(engine: Engine, request: BreakdownRequest) -> Breakdown:
    """``request.kpi`` by its breakdown KPIs, month by month over ``request.period``."""
    kpi = request.kpi
    if not kpi.breakdown:
        raise UsageError(
            f"KPI {kpi.id} has no breakdown in the KPI file",
            hint=f'add breakdown = ["<kpi id>", ...] to [kpi.{kpi.id}]',
        )
    parts = [engine.catalogue.kpis[k] for k in kpi.breakdown]
    rows = [_row(engine, part, "part", request) for part in parts]
    rows.append(_row(engine, kpi, "total", request))
    return Breakdown(kpi, request.force, request.period, tuple(rows))


def _row(engine: Engine, kpi: Kpi, role: RowRole, request: BreakdownRequest) -> BreakdownRow:
    period = request.period
    try:
        points = engine.points(kpi, request.force, period.start, period.end)
    except NoDataError:
        return BreakdownRow(kpi, role, (None,) * period.length, None)
    if points.span != 1:  # quarterly or survey blocks: no month-by-month figure
        return BreakdownRow(kpi, role, (None,) * period.length, None)
    ok = points.ok.filter(pl.col("span") == 1)
    by_month = dict(zip(ok["start"].to_list(), ok["value"].to_list(), strict=True))
    values = tuple(None if by_month.get(m) is None else float(by_month[m]) for m in period.months)
    return BreakdownRow(kpi, role, values, points.dataset)
